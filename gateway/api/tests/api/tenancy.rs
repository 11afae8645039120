//! The tenancy sweep: workspace B holds one of every kind of record, and for every route the
//! API description lists, workspace A's admin, agent and API token call it with B's ids and get
//! `404` (an agent may get `403` for what needs an admin), never B's data; A's lists never
//! show B's records, B's webhook never delivers into A, and ids of B's inside A's requests are
//! refused. The sweep walks the served description, so a new route is swept without editing
//! this test; a route whose id it cannot tell, or that needs a body to reach its lookup, fails
//! here naming what to add.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::plugins::{message, upload};
use crate::support::{Auth, TestApp};

/// In every text of B's records, so that a leak shows in any answer to A.
const MARKER: &str = "rival-secret";

/// One record of each kind in workspace B, by the path segment that names it.
struct Theirs {
    agent: u64,
    token: u64,
    canned: u64,
    channel: u64,
    contact: u64,
    conversation: u64,
    message: u64,
    dead_letter: u64,
    team: u64,
    label: u64,
    invitation: u64,
    webhook: u64,
    plugin: String,
    attachment: String,
    /// B's webhook path (its plugin channel's).
    hook: String,
}

impl Theirs {
    /// The value for `{param}` in `path`, told by the segment before it.
    fn id_for(&self, path: &str, param: &str) -> String {
        let before = path
            .split(&format!("/{{{param}}}"))
            .next()
            .and_then(|head| head.rsplit('/').next())
            .unwrap_or_default();
        match (before, param) {
            ("agents", "id") => self.agent.to_string(),
            ("api-tokens", "id") => self.token.to_string(),
            ("canned-responses", "id") => self.canned.to_string(),
            ("channels", "id") => self.channel.to_string(),
            ("contacts", "id") => self.contact.to_string(),
            ("conversations", "id") => self.conversation.to_string(),
            ("messages", "message_id") => self.message.to_string(),
            ("dead-letters", "id") => self.dead_letter.to_string(),
            ("teams", "id") => self.team.to_string(),
            ("labels", "id") => self.label.to_string(),
            ("invitations", "id") => self.invitation.to_string(),
            ("webhooks", "id") => self.webhook.to_string(),
            ("plugins", "name") => self.plugin.clone(),
            ("attachments", "sha256") => self.attachment.clone(),
            _ => panic!(
                "the sweep knows no record of the other workspace for `{{{param}}}` after `{before}` in {path}: add one to `Theirs`"
            ),
        }
    }
}

/// Workspace B's records, made by its admin through the API.
async fn fill_theirs(app: &TestApp) -> Theirs {
    let b = &app.stranger;
    let created = async |path: &str, body: Value| {
        let (status, value) = app.post(path, b, body).await;
        assert!(status.is_success(), "{path}: {status} {value}");
        value
    };
    let id = |value: &Value| value["id"].as_u64().expect("an id");
    let inbound = format!("/api/v1/channels/{}/inbound", app.stranger_channel);
    let stored = created(
        &inbound,
        json!({
            "contact": { "identity": { "kind": "email", "value": "rival-secret@rival.test" }, "name": "Rival Secret" },
            "external_id": "r-1",
            "text": "rival-secret message",
            "html": "<p>rival-secret message</p>",
        }),
    )
    .await;
    // A payload B's channel cannot read is kept as a dead letter.
    let (status, _) = app
        .call_raw(
            Method::POST,
            &inbound,
            b,
            Some("{\"rival-secret\": "),
            Some("application/json"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, letters) = app.get("/api/v1/dead-letters", b).await;
    let (_, conversations) = app.get("/api/v1/conversations", b).await;
    let conversation = &conversations["items"][0];
    let agent = created(
        "/api/v1/agents",
        json!({ "name": "rival-secret agent", "email": "carla@rival.test", "password": "long enough pw", "role": "agent" }),
    )
    .await;
    let team = created(
        "/api/v1/teams",
        json!({ "name": "rival-secret team", "colour": "#e5534b", "member_ids": [] }),
    )
    .await;
    let label = created(
        "/api/v1/labels",
        json!({ "name": "rival-secret label", "colour": "#e5534b" }),
    )
    .await;
    let invitation = created(
        "/api/v1/invitations",
        json!({ "name": "rival-secret invitee", "email": "dani@rival.test", "role": "agent" }),
    )
    .await;
    let canned = created(
        "/api/v1/canned-responses",
        json!({ "shortcut": "rival", "content": "rival-secret canned" }),
    )
    .await;
    let token = created(
        "/api/v1/api-tokens",
        json!({ "name": "rival-secret token", "scope": "admin" }),
    )
    .await;
    // A public address: the URL is checked, never called.
    let webhook = created(
        "/api/v1/webhooks",
        json!({ "url": "https://93.184.215.14/rival-secret", "events": ["message_created"] }),
    )
    .await;
    let (status, attachment) = app
        .call_raw(
            Method::POST,
            "/api/v1/attachments?name=rival-secret.pdf",
            b,
            Some("%PDF-1.4 rival-secret"),
            Some("application/pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{attachment}");
    // B's plugin, and a channel of B's that it runs.
    created(
        "/api/v1/plugins",
        upload("template_adapter", "rival-crm", "1.0.0", 300),
    )
    .await;
    let hooked = created(
        "/api/v1/channels",
        json!({ "kind": "api", "name": "rival-secret hook", "plugin": "rival-crm" }),
    )
    .await;
    let hook = format!(
        "/hooks/{}/{}/{}",
        hooked["workspace_id"],
        hooked["id"],
        hooked["webhook_token"]
            .as_str()
            .expect("B's admin sees the token")
    );
    Theirs {
        agent: id(&agent),
        token: id(&token),
        canned: id(&canned),
        channel: app.stranger_channel,
        contact: conversation["contact_id"].as_u64().expect("contact"),
        conversation: id(conversation),
        message: stored["message_id"]
            .as_u64()
            .expect("the stored message's id"),
        dead_letter: letters["items"][0]["id"].as_u64().expect("a dead letter"),
        team: id(&team),
        label: id(&label),
        invitation: id(&invitation["invitation"]),
        webhook: id(&webhook),
        plugin: "rival-crm".into(),
        attachment: attachment["sha256"].as_str().expect("sha").into(),
        hook,
    }
}

/// A body that gets a request past its checks to the lookup of the record it names.
pub(crate) fn body_for(method: &Method, path: &str) -> Option<(String, &'static str)> {
    let json = |value: Value| Some((value.to_string(), "application/json"));
    match (method.as_str(), path) {
        ("GET" | "DELETE", _) => None,
        ("PUT", "/api/v1/agents/{id}/avatar") => Some((PNG.into(), "image/png")),
        ("PATCH", "/api/v1/agents/{id}" | "/api/v1/channels/{id}" | "/api/v1/teams/{id}") => {
            json(json!({ "name": "Mallory" }))
        }
        ("PATCH", "/api/v1/contacts/{id}") => json(json!({ "notes": "Mallory" })),
        ("POST", "/api/v1/channels/{id}/inbound") => json(json!({
            "contact": { "identity": { "kind": "email", "value": "mallory@acme.test" } },
            "external_id": "mallory-1", "text": "from A",
        })),
        ("PUT" | "PATCH", "/api/v1/channels/{id}/secrets") => json(json!({ "secrets": {} })),
        ("POST", "/api/v1/contacts/{id}/merge") => json(json!({ "from_id": 1 })),
        ("POST", "/api/v1/contacts/{id}/tags") => json(json!({ "add": ["vip"] })),
        ("POST", "/api/v1/conversations/{id}/assign") => json(json!({ "assignee_id": null })),
        ("POST", "/api/v1/conversations/{id}/labels") => json(json!({ "labels": ["vip"] })),
        ("POST", "/api/v1/conversations/{id}/messages") => json(json!({ "text": "from A" })),
        ("POST", "/api/v1/conversations/{id}/status") => json(json!({ "status": "resolved" })),
        ("POST", "/api/v1/conversations/{id}/team") => json(json!({ "team_id": null })),
        ("POST", "/api/v1/conversations/{id}/transcript") => {
            json(json!({ "to": "mallory@acme.test" }))
        }
        ("POST", "/api/v1/plugins/{name}/activate") => json(json!({ "version": "1.0.0" })),
        _ => json(json!({})),
    }
}

/// A 1×1 transparent PNG.
const PNG: &str = "\u{89}PNG";

/// Every method and path of the served description under `/api/v1` that names a record by
/// id, but the operator's (another test sweeps those) and the event socket (its own test).
async fn routes_with_ids(app: &TestApp) -> Vec<(Method, String)> {
    let (status, description) = app.get("/api/v1/openapi.json", &Auth::None).await;
    assert_eq!(status, StatusCode::OK);
    let mut routes = Vec::new();
    for (path, operations) in description["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/v1/")
            || !path.contains('{')
            || path.starts_with("/api/v1/operator/")
        {
            continue;
        }
        for method in operations.as_object().expect("operations").keys() {
            let method: Method = method.to_uppercase().parse().expect("a method");
            routes.push((method, path.clone()));
        }
    }
    assert!(
        routes.len() > 40,
        "the description lists the routes: {routes:?}"
    );
    routes
}

fn filled(path: &str, theirs: &Theirs) -> String {
    let mut filled = path.to_string();
    while let Some(start) = filled.find('{') {
        let end = filled[start..].find('}').expect("a closing brace") + start;
        let param = filled[start + 1..end].to_string();
        filled.replace_range(start..=end, &theirs.id_for(path, &param));
    }
    filled
}

#[tokio::test]
async fn another_workspaces_ids_reach_nothing_on_any_route() {
    let app = TestApp::new().await;
    let theirs = fill_theirs(&app).await;
    let (_, token) = app
        .post(
            "/api/v1/api-tokens",
            &app.admin,
            json!({ "name": "ours", "scope": "admin" }),
        )
        .await;
    let our_token = Auth::Bearer(token["token"].as_str().expect("a token").into());
    let ours = [
        ("A's admin", &app.admin),
        ("A's agent", &app.agent),
        ("A's API token", &our_token),
    ];
    let mut swept = 0;
    for (method, path) in routes_with_ids(&app).await {
        let url = filled(&path, &theirs);
        let body = body_for(&method, &path);
        let call = async |auth: &Auth| {
            let (body, content_type) = body.clone().unzip();
            app.call_raw(method.clone(), &url, auth, body.as_deref(), content_type)
                .await
        };
        // The ids are B's own: B reaches them (a kind of record a route does not serve may
        // be refused, but never as missing).
        if method == Method::GET {
            let (status, answer) = call(&app.stranger).await;
            assert_ne!(
                status,
                StatusCode::NOT_FOUND,
                "B's own {path} as {url}: {answer}"
            );
        }
        for (who, auth) in ours {
            let (status, answer) = call(auth).await;
            let refused_as_agent = who == "A's agent" && status == StatusCode::FORBIDDEN;
            assert!(
                status == StatusCode::NOT_FOUND || refused_as_agent,
                "{who}: {method} {url} ({path}) answered {status}: {answer}"
            );
            assert!(
                !answer.to_string().contains(MARKER),
                "{who}: {method} {url} showed B's data: {answer}"
            );
            swept += 1;
        }
    }
    assert!(swept > 120, "{swept} calls");

    // Nothing of B's is in any of A's lists.
    for list in [
        "/api/v1/agents",
        "/api/v1/api-tokens",
        "/api/v1/audit-log",
        "/api/v1/canned-responses",
        "/api/v1/channels",
        "/api/v1/contacts",
        "/api/v1/conversations",
        "/api/v1/conversations/counts",
        "/api/v1/dead-letters",
        "/api/v1/events",
        "/api/v1/invitations",
        "/api/v1/labels",
        "/api/v1/plugins",
        "/api/v1/search?q=rival",
        "/api/v1/teams",
        "/api/v1/webhooks",
    ] {
        for (who, auth) in ours {
            let (_, answer) = app.get(list, auth).await;
            assert!(
                !answer.to_string().contains(MARKER),
                "{who}: {list} showed B's data: {answer}"
            );
        }
    }
}

#[tokio::test]
async fn ids_of_another_workspace_inside_a_request_are_refused_and_its_webhook_stays_its_own() {
    let app = TestApp::new().await;
    let theirs = fill_theirs(&app).await;
    app.inbound("ana@example.com", "a-1", "Hola").await;
    let (_, conversations) = app.get("/api/v1/conversations", &app.admin).await;
    let ours = &conversations["items"][0];
    let (conversation, contact) = (&ours["id"], &ours["contact_id"]);
    for (path, body) in [
        (
            "/api/v1/conversations".to_string(),
            json!({ "channel_id": theirs.channel, "contact_id": theirs.contact, "text": "x" }),
        ),
        (
            format!("/api/v1/conversations/{conversation}/assign"),
            json!({ "assignee_id": theirs.agent }),
        ),
        (
            format!("/api/v1/conversations/{conversation}/team"),
            json!({ "team_id": theirs.team }),
        ),
        (
            format!("/api/v1/contacts/{contact}/merge"),
            json!({ "from_id": theirs.contact }),
        ),
        (
            "/api/v1/teams".to_string(),
            json!({ "name": "Mixta", "colour": "#e5534b", "member_ids": [theirs.agent] }),
        ),
    ] {
        let (status, answer) = app.post(&path, &app.admin, body).await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{path} answered {status}: {answer}"
        );
        assert!(!answer.to_string().contains(MARKER), "{path}: {answer}");
    }
    let (status, answer) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/channels/{}", app.channel),
            &app.admin,
            Some(json!({ "default_team_id": theirs.team })),
        )
        .await;
    assert!(
        status == StatusCode::NOT_FOUND || status == StatusCode::UNPROCESSABLE_ENTITY,
        "{status}: {answer}"
    );

    // B's webhook delivers into B, whoever calls it; A's inbox is unchanged.
    let (_, before) = app.get("/api/v1/conversations", &app.admin).await;
    let (status, answer) = app
        .call_raw(
            Method::POST,
            &theirs.hook,
            &app.admin,
            Some(&message("hooked-1", "via B's hook")),
            Some("application/json"),
        )
        .await;
    assert!(status.is_success(), "{status}: {answer}");
    let (_, after) = app.get("/api/v1/conversations", &app.admin).await;
    assert_eq!(before, after, "nothing reached A");
    let (_, theirs_now) = app.get("/api/v1/conversations", &app.stranger).await;
    assert_eq!(
        theirs_now["items"].as_array().map(Vec::len),
        Some(2),
        "B got it: {theirs_now}"
    );
}
