//! Routing in the console and through real mail: an admin working in Spanish turns on a team's
//! automatic assignment, closes the business (no opening left in the week, a holiday), writes
//! the away message and a rule in Settings › Horarios y reglas; customers' emails through
//! Postfix and Dovecot then go to the team by the rule, to its online members in turn (the log
//! says to whom), and the customer gets the away message once, which the console names.

use std::time::Duration;

use anyhow::Context;
use hyper::StatusCode;
use mail_parser::MessageParser;
use serde_json::{Value, json};
use switchboard_e2e::browser::{choose, click, set_field, shown, texts, type_into};
use switchboard_e2e::mail_rig::MailRig;
use switchboard_e2e::{ADMIN_EMAIL, Gateway, eventually_within};

use super::console_settings::admin_console;
use super::email::{
    connect, conversations, customer_inbox, customer_mail, customer_sends, messages,
    support_settings,
};

const AWAY: &str = "Gracias por escribirnos. Atendemos de lunes a viernes de 9 a 18 h; te respondemos apenas abramos.";
const WAIT: Duration = Duration::from_secs(30);

/// The away messages in the customer's mailbox.
async fn away_messages(rig: &MailRig) -> anyhow::Result<Vec<String>> {
    Ok(customer_inbox(rig)
        .await?
        .iter()
        .filter_map(|source| MessageParser::default().parse(source))
        .filter(|mail| mail.header_raw("Auto-Submitted").map(str::trim) == Some("auto-replied"))
        .map(|mail| mail.body_text(0).unwrap_or_default().to_string())
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_outside_business_hours_goes_to_the_rules_team_in_turn_and_gets_the_away_message_once()
-> anyhow::Result<()> {
    let rig = MailRig::start().await?;
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let api = gateway.admin().await?;
    let channel = connect(
        &api,
        "Soporte",
        support_settings(&rig, json!({})),
        "supportpw",
    )
    .await?;
    let (status, bea) = api
        .post(
            "/api/v1/agents",
            &json!({ "name": "Bea Souza", "email": "bea@example.com", "password": "la clave de Bea", "role": "agent" }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{bea}");
    let bea_id = bea["id"].as_u64().context("Bea's id")?;
    let (_, me) = api.get("/api/v1/auth/me").await?;
    let admin_id = me["agent"]["id"].as_u64().context("admin id")?;

    // Settings › Equipos: Facturación assigns in turn, at most five open conversations each.
    let admin = admin_console(&gateway, "es", false).await?;
    click(&admin, ".topbar .settings-link").await?;
    click(&admin, ".settings-tabs .tab[data-section=teams]").await?;
    click(&admin, ".settings .new-team").await?;
    type_into(&admin, ".team-editor input[name=name]", "Facturación").await?;
    for email in [ADMIN_EMAIL, "bea@example.com"] {
        click(&admin, &format!(".team-editor input[data-email='{email}']")).await?;
    }
    click(&admin, ".team-editor input[name=auto_assign]").await?;
    shown(
        &admin,
        ".team-editor",
        "Máximo de conversaciones abiertas por persona",
    )
    .await?;
    set_field(&admin, ".team-editor input[name=max_open_per_agent]", "5").await?;
    click(&admin, ".team-editor button[type=submit]").await?;
    shown(&admin, ".team-row[data-team='Facturación']", "Bea Souza").await?;
    let (_, teams) = api.get("/api/v1/teams").await?;
    let team = &teams[0];
    assert_eq!(
        (
            team["auto_assign"].clone(),
            team["max_open_per_agent"].clone()
        ),
        (json!(true), json!(5)),
        "{teams}"
    );
    let team_id = team["id"].as_u64().context("team id")?;

    // Settings › Horarios y reglas: no opening left in the week, a holiday, the away message and
    // a rule for invoices.
    click(&admin, ".settings-tabs .tab[data-section=routing]").await?;
    shown(&admin, ".settings-head h1", "Horarios y reglas").await?;
    shown(&admin, ".routing-settings .rules .none", "Sin reglas").await?;
    click(&admin, ".routing-settings input[name=always-open]").await?;
    shown(&admin, ".routing-settings .week", "Lunes").await?;
    for day in 1..=5 {
        click(&admin, &format!(".routing-settings input[name=open-{day}]")).await?;
    }
    click(&admin, ".routing-settings .add-holiday").await?;
    set_field(
        &admin,
        ".routing-settings input[name=holiday-date]",
        "2026-12-25",
    )
    .await?;
    set_field(
        &admin,
        ".routing-settings input[name=holiday-name]",
        "Navidad",
    )
    .await?;
    set_field(
        &admin,
        ".routing-settings textarea[name=away_message]",
        AWAY,
    )
    .await?;
    click(&admin, ".routing-settings .add-rule").await?;
    set_field(
        &admin,
        ".routing-settings .rule input[name=rule-name]",
        "Facturas",
    )
    .await?;
    type_into(
        &admin,
        ".routing-settings .rule input[name=rule-keywords]",
        "factura, boleta",
    )
    .await?;
    choose(
        &admin,
        ".routing-settings .rule select[name=rule-team]",
        &team_id.to_string(),
    )
    .await?;
    click(&admin, ".routing-settings > .buttons button[type=submit]").await?;
    shown(&admin, ".routing-settings .saved", "Guardado.").await?;
    admin.screenshot("console-settings-routing").await?;
    let (_, routing) = api.get("/api/v1/routing").await?;
    assert_eq!(routing["hours"]["week"], json!([]), "{routing}");
    assert_eq!(
        routing["hours"]["holidays"][0],
        json!({ "date": "2026-12-25", "name": "Navidad" })
    );
    assert_eq!(routing["away_message"], AWAY);
    assert_eq!(
        routing["rules"],
        json!([{ "name": "Facturas", "channel_ids": [], "senders": [], "keywords": ["factura", "boleta"], "team_id": team_id, "labels": [] }])
    );

    // Two emails about invoices: each to the team, in turn; one away message for the person.
    customer_sends(
        &rig,
        "support@example.test",
        &customer_mail("inv-1", "Factura de noviembre", "No me llegó la factura."),
    )
    .await?;
    let first = eventually_within(WAIT, "the first email imported", async || {
        Ok(conversations(&api, channel).await?.into_iter().next())
    })
    .await?;
    assert_eq!(first["team_id"], team_id, "{first}");
    assert_eq!(
        first["assignee_id"], admin_id,
        "the first member's turn: {first}"
    );
    let away = eventually_within(
        WAIT,
        "the away message in the customer's mailbox",
        async || Ok(away_messages(&rig).await?.into_iter().next()),
    )
    .await?;
    assert!(away.starts_with("Gracias por escribirnos"), "{away}");
    // Answered: the person's next email starts a new conversation.
    let (status, closed) = api
        .post(
            &format!("/api/v1/conversations/{}/close", first["id"]),
            &json!({}),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{closed}");
    customer_sends(
        &rig,
        "support@example.test",
        &customer_mail("inv-2", "Boleta duplicada", "Me llegaron dos boletas."),
    )
    .await?;
    let second = eventually_within(WAIT, "the second email imported", async || {
        let all = conversations(&api, channel).await?;
        Ok(all.into_iter().find(|c| c["title"] == "Boleta duplicada"))
    })
    .await?;
    assert_eq!(second["team_id"], team_id);
    assert_eq!(
        second["assignee_id"], bea_id,
        "the next member's turn: {second}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let second_log = messages(&api, second["id"].as_u64().context("id")?).await?;
    let directions: Vec<&Value> = second_log.iter().map(|m| &m["direction"]).collect();
    assert_eq!(
        directions,
        [&json!("in"), &json!("system")],
        "no second away message: {second_log:?}"
    );
    assert_eq!(away_messages(&rig).await?.len(), 1, "once a day");

    // Reopened, the first conversation shows in the console, which names the answer and the
    // assignment in Spanish.
    let (status, reopened) = api
        .post(
            &format!("/api/v1/conversations/{}/reopen", first["id"]),
            &json!({}),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{reopened}");
    click(&admin, ".settings-head .to-inbox").await?;
    click(&admin, &format!(".row[data-id='{}']", first["id"])).await?;
    shown(
        &admin,
        ".thread .message.out .author",
        "Mensaje de ausencia",
    )
    .await?;
    shown(&admin, ".thread .step", "la asignó a").await?;
    let steps = texts(&admin, ".thread .step").await?;
    assert!(
        steps.iter().any(|step| step.contains("la asignó a")),
        "{steps:?}"
    );
    admin.screenshot("console-routing-away-message").await?;

    // The team gets hours of its own: weekdays from nine to six, in the workspace's zone.
    click(&admin, ".topbar .settings-link").await?;
    click(&admin, ".settings-tabs .tab[data-section=teams]").await?;
    click(&admin, ".team-row[data-team='Facturación'] .edit").await?;
    shown(
        &admin,
        ".team-editor .team-hours",
        "El horario del espacio de trabajo",
    )
    .await?;
    click(&admin, ".team-editor .team-hours input[name=always-open]").await?;
    shown(&admin, ".team-editor .team-hours .week", "Viernes").await?;
    admin.screenshot("console-settings-team-hours").await?;
    click(&admin, ".team-editor button[type=submit]").await?;
    shown(&admin, ".team-row[data-team='Facturación']", "Bea Souza").await?;
    let (_, teams) = api.get("/api/v1/teams").await?;
    let week = &teams[0]["hours"]["week"];
    assert_eq!(week.as_array().map(Vec::len), Some(5), "{teams}");
    assert_eq!(week[0], json!({ "day": 1, "from": "09:00", "to": "18:00" }));
    admin.close().await?;
    rig.stop().await
}
