//! The visitor API (`/widget/v1`) through the router, without sockets: what a chat widget gets
//! for each call (the end-to-end tests drive the same routes from Chromium).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{TestApp, assert_error, assert_error_naming};

/// A website chat channel with `settings`; answers its widget id.
async fn webchat(app: &TestApp, settings: Value) -> String {
    let (status, channel) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "webchat", "name": "Tienda", "settings": settings }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    format!("{}.{}", channel["workspace_id"], channel["id"])
}

/// One visitor request, as the widget's frame sends it.
async fn visitor_call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    origin: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    let body = match body {
        Some(body) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    app.send(request.body(body).expect("request")).await
}

/// A new visitor's token for `widget`.
async fn session(app: &TestApp, widget: &str, origin: Option<&str>) -> (StatusCode, Value) {
    visitor_call(
        app,
        Method::POST,
        &format!("/widget/v1/{widget}/visitors"),
        None,
        origin,
        Some(json!({})),
    )
    .await
}

#[tokio::test]
async fn a_visitor_gets_the_settings_starts_a_session_writes_once_and_reads_the_history() {
    let app = TestApp::new().await;
    let widget = webchat(&app, json!({ "color": "#0a7d5a", "locale": "es" })).await;

    let (status, config) = visitor_call(
        &app,
        Method::GET,
        &format!("/widget/v1/{widget}/config"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{config}");
    assert_eq!(config["color"], "#0a7d5a");
    assert_eq!(config["greeting"], "¡Hola! ¿En qué podemos ayudarte?");
    assert_eq!(config["online"], true, "no office hours: always staffed");
    assert_eq!(
        config["launcher"]["pt-BR"],
        json!(["Abrir chat", "Fechar chat"]),
        "the loader's launcher names in each language"
    );

    let (status, started) = session(&app, &widget, None).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let token = started["token"].as_str().expect("a visitor token");
    let messages = format!("/widget/v1/{widget}/messages");
    let hello = json!({ "client_id": "c-1", "text": "Hola, ¿tienen talla M?" });
    let (status, first) = visitor_call(
        &app,
        Method::POST,
        &messages,
        Some(token),
        None,
        Some(hello.clone()),
    )
    .await;
    assert!(status.is_success(), "{status} {first}");
    let (_, again) = visitor_call(
        &app,
        Method::POST,
        &messages,
        Some(token),
        None,
        Some(hello),
    )
    .await;
    assert_eq!(
        again["message_id"], first["message_id"],
        "the same client id is stored once"
    );

    let (status, history) =
        visitor_call(&app, Method::GET, &messages, Some(token), None, None).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let texts: Vec<(&str, &str)> = history["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|message| {
            (
                message["from"].as_str().unwrap_or_default(),
                message["text"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(texts, [("visitor", "Hola, ¿tienen talla M?")]);
    let (_, conversation) = app
        .get(
            &format!("/api/v1/conversations/{}", first["conversation_id"]),
            &app.agent,
        )
        .await;
    assert_eq!(
        conversation["status"], "open",
        "an agent sees it: {conversation}"
    );
}

#[tokio::test]
async fn the_visitor_api_refuses_a_foreign_page_a_missing_or_foreign_token_and_an_unknown_widget() {
    let app = TestApp::new().await;
    let shop = webchat(
        &app,
        json!({ "allowed_origins": ["https://tienda.example"] }),
    )
    .await;
    let other = webchat(&app, json!({})).await;

    let (status, allowed) = session(&app, &shop, Some("https://tienda.example")).await;
    assert_eq!(status, StatusCode::OK, "{allowed}");
    let token = allowed["token"].as_str().expect("a visitor token");
    assert_error(
        &session(&app, &shop, Some("https://otra-tienda.example")).await,
        StatusCode::FORBIDDEN,
        "origin_not_allowed",
    );

    let history = |widget: &str| format!("/widget/v1/{widget}/messages");
    assert_error(
        &visitor_call(&app, Method::GET, &history(&shop), None, None, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    assert_error(
        &visitor_call(&app, Method::GET, &history(&other), Some(token), None, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let (status, _) = visitor_call(
        &app,
        Method::GET,
        "/widget/v1/1.999999/config",
        None,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn allowed_origins_are_read_as_pasted_and_a_wrong_one_is_named_when_written() {
    let app = TestApp::new().await;
    let pasted = "https://Tienda.Example/\nwww.tienda.pe\nhttp://localhost:8080/checkout?step=2";
    let (status, channel) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "webchat", "name": "Tienda", "settings": { "allowed_origins": pasted } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    assert_eq!(
        channel["settings"]["allowed_origins"],
        json!([
            "https://tienda.example",
            "https://www.tienda.pe",
            "http://localhost:8080"
        ]),
        "one per line, a host alone and a page's address, kept as origins"
    );
    let widget = format!("{}.{}", channel["workspace_id"], channel["id"]);
    let (status, _) = session(&app, &widget, Some("https://www.tienda.pe")).await;
    assert_eq!(status, StatusCode::OK, "a page of an allowed origin chats");

    crate::support::assert_error_naming(
        &app.call(
            Method::PATCH,
            &format!("/api/v1/channels/{}", channel["id"]),
            &app.admin,
            Some(json!({ "settings": { "allowed_origins": ["https://tienda.example", "tienda example"] } })),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_settings",
        "\"tienda example\"",
    );
}

/// A colour or position the widget cannot draw is refused when written, naming the setting (the
/// widget would otherwise draw its default and nobody would be told); a wrong allowed origin is
/// named by its entry as well, for a sentence in the admin's language. Good values reach the
/// widget's settings.
#[tokio::test]
async fn a_colour_or_position_the_widget_cannot_draw_is_refused_and_a_wrong_origin_is_named() {
    let app = TestApp::new().await;
    let widget = webchat(&app, json!({ "color": "#0a7d5a" })).await;
    let (_, channel_id) = widget.split_once('.').expect("a widget id");
    let path = format!("/api/v1/channels/{channel_id}");
    for (settings, field) in [
        (json!({ "color": "red" }), "color"),
        (json!({ "color": "#12345" }), "color"),
        (json!({ "color": "#0a7d5a;background:url(x)" }), "color"),
        (json!({ "position": "middle" }), "position"),
        (json!({ "position": 1 }), "position"),
    ] {
        let answer = app
            .call(
                Method::PATCH,
                &path,
                &app.admin,
                Some(json!({ "settings": settings })),
            )
            .await;
        assert_error_naming(
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_settings",
            &format!("`{field}`"),
        );
        assert_eq!(answer.1["error"]["field"], field, "{}", answer.1);
    }
    let answer = app
        .call(
            Method::PATCH,
            &path,
            &app.admin,
            Some(json!({ "settings": { "allowed_origins": ["https://tienda.example", " tienda example "] } })),
        )
        .await;
    assert_error(
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_settings",
    );
    assert_eq!(
        answer.1["error"]["field"], "allowed_origins",
        "{}",
        answer.1
    );
    assert_eq!(answer.1["error"]["value"], "tienda example", "{}", answer.1);

    let (status, changed) = app
        .call(
            Method::PATCH,
            &path,
            &app.admin,
            Some(json!({ "settings": { "color": "#C0FFEE", "position": "left" } })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let (_, config) = visitor_call(
        &app,
        Method::GET,
        &format!("/widget/v1/{widget}/config"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(
        (&config["color"], &config["position"]),
        (&json!("#C0FFEE"), &json!("left"))
    );
}

#[tokio::test]
async fn changing_one_setting_keeps_the_others() {
    let app = TestApp::new().await;
    let (_, channel) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "webchat", "name": "Tienda",
                    "settings": { "greeting": "¡Hola! ¿En qué te ayudamos?", "color": "#0a7d5a" } }),
        )
        .await;
    let path = format!("/api/v1/channels/{}", channel["id"]);
    let (status, changed) = app
        .call(
            Method::PATCH,
            &path,
            &app.admin,
            Some(json!({ "settings": { "allowed_origins": ["https://tienda.example"], "color": null } })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        changed["settings"],
        json!({ "greeting": "¡Hola! ¿En qué te ayudamos?",
                "allowed_origins": ["https://tienda.example"] }),
        "the greeting stays, the colour set to null is removed"
    );
}

/// A page on a site the widget does not allow gets a refusal that tells its owner what to set
/// (readable by the loader on that site), the admins see the site with today's count, and one
/// merge patch of `allowed_origins` lets it in and takes it off the list.
#[tokio::test]
async fn a_refused_site_is_named_counted_for_the_admins_and_allowed_in_one_step() {
    let app = TestApp::new().await;
    let (status, channel) = app
        .post(
            "/api/v1/channels",
            &app.admin,
            json!({ "kind": "webchat", "name": "Tienda", "settings": {
                "color": "#0a7d5a", "allowed_origins": ["https://tienda.example"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    let widget = format!("{}.{}", channel["workspace_id"], channel["id"]);
    let config = format!("/widget/v1/{widget}/config");
    let from = |origin: &str| {
        Request::get(&config)
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .expect("request")
    };
    for _ in 0..3 {
        let refused = app.send(from("http://tienda.example")).await;
        assert_error_naming(
            &refused,
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "add http://tienda.example to the channel's `allowed_origins`",
        );
    }
    let response = app
        .router
        .clone()
        .oneshot(from("http://tienda.example"))
        .await
        .expect("response");
    assert_eq!(
        response.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some(&header::HeaderValue::from_static("*")),
        "the loader on the refused site can read why"
    );
    assert_eq!(app.send(from("null")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        app.send(from("https://tienda.example")).await.0,
        StatusCode::OK
    );

    let refused_origins = format!("/api/v1/channels/{}/refused-origins", channel["id"]);
    let (status, listed) = app.get(&refused_origins, &app.admin).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(
        listed,
        json!([{ "origin": "http://tienda.example", "times_today": 4,
                 "last_refused_at": listed[0]["last_refused_at"] }]),
        "the page without a site (`null`) is not kept"
    );
    assert!(
        listed[0]["last_refused_at"]
            .as_i64()
            .is_some_and(|at| at > 0)
    );
    assert_error(
        &app.get(&refused_origins, &app.agent).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &app.get(&refused_origins, &app.stranger).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    let (status, allowed) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/channels/{}", channel["id"]),
            &app.admin,
            Some(json!({ "settings": { "allowed_origins": [
                "https://tienda.example", "http://tienda.example"] } })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{allowed}");
    assert_eq!(allowed["settings"]["color"], "#0a7d5a", "the rest stays");
    let (status, config) = app.send(from("http://tienda.example")).await;
    assert_eq!(status, StatusCode::OK, "{config}");
    assert_eq!(config["color"], "#0a7d5a");
    assert_eq!(app.get(&refused_origins, &app.admin).await.1, json!([]));
}

#[tokio::test]
async fn admins_see_a_website_chats_widget_id_and_snippet_and_agents_do_not() {
    let app = TestApp::new().await;
    let widget = webchat(&app, json!({})).await;
    let (_, id) = widget.split_once('.').expect("workspace.channel");
    let path = format!("/api/v1/channels/{id}");

    let (status, channel) = app.get(&path, &app.admin).await;
    assert_eq!(status, StatusCode::OK, "{channel}");
    assert_eq!(channel["widget_id"], widget.as_str(), "{channel}");
    assert_eq!(
        channel["snippet"],
        format!(
            "<script async src=\"http://127.0.0.1:8080/widget/loader.js\" data-widget=\"{widget}\"></script>"
        ),
        "the loader from the gateway's public URL, naming the widget"
    );

    // The list shows the same to admins, and nothing of the kind for a channel that is not a
    // website chat.
    let (_, list) = app.get("/api/v1/channels", &app.admin).await;
    let list = list.as_array().expect("a list");
    let listed = list
        .iter()
        .find(|c| c["id"] == channel["id"])
        .expect("the webchat channel is listed");
    assert_eq!(listed["widget_id"], widget.as_str());
    assert_eq!(listed["snippet"], channel["snippet"]);
    let api = list
        .iter()
        .find(|c| c["id"] == json!(app.channel))
        .expect("the seeded API channel is listed");
    assert!(
        api.get("widget_id").is_none() && api.get("snippet").is_none(),
        "only website chats have a widget: {api}"
    );

    // Agents do not install the chat on sites.
    let (status, seen_by_agent) = app.get(&path, &app.agent).await;
    assert_eq!(status, StatusCode::OK, "{seen_by_agent}");
    assert!(
        seen_by_agent.get("widget_id").is_none() && seen_by_agent.get("snippet").is_none(),
        "{seen_by_agent}"
    );
    let (_, list) = app.get("/api/v1/channels", &app.agent).await;
    assert!(
        list.as_array()
            .expect("a list")
            .iter()
            .all(|c| c.get("widget_id").is_none() && c.get("snippet").is_none()),
        "{list}"
    );

    // The widget id in the snippet is the one the visitor API answers to.
    let (status, config) = visitor_call(
        &app,
        Method::GET,
        &format!("/widget/v1/{widget}/config"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{config}");
}
