//! An email channel set up in the console, in Spanish, against the private Postfix and Dovecot:
//! the provider first, then the mailbox; "Test connection" names a wrong password in the
//! admin's language, passes once the right one is saved, and the mailbox shows as connected.

use std::time::Duration;

use switchboard_e2e::browser::{Browser, choose, click, set_field, shown};
use switchboard_e2e::mail_rig::MailRig;
use switchboard_e2e::{Gateway, eventually_within};

use super::console_settings::{admin_console, into_view};

/// Fills in the email page's servers with the rig's, over plain connections.
async fn rig_servers(admin: &Browser, form: &str, rig: &MailRig) -> anyhow::Result<()> {
    for (server, port) in [("imap", rig.imap_port), ("smtp", rig.smtp_port)] {
        let field = |name: &str| format!("{form} [name={server}_{name}]");
        set_field(admin, &field("host"), "127.0.0.1").await?;
        set_field(admin, &field("port"), &port.to_string()).await?;
        choose(admin, &field("security"), "none").await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_connects_a_mailbox_and_test_connection_names_a_wrong_password_in_spanish()
-> anyhow::Result<()> {
    let rig = MailRig::start().await?;
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let api = gateway.admin().await?;
    let admin = admin_console(&gateway, "es", false).await?;
    click(&admin, ".topbar .settings-link").await?;
    click(&admin, ".kinds .kind[data-kind=email]").await?;
    shown(
        &admin,
        ".email-settings",
        "¿Dónde está el buzón de soporte?",
    )
    .await?;
    shown(
        &admin,
        ".email-settings .providers",
        "Gmail · Google Workspace",
    )
    .await?;
    admin.screenshot("console-email-providers").await?;
    click(&admin, ".email-settings .provider[data-provider=gmail]").await?;
    shown(
        &admin,
        ".email-settings .sign-in .help",
        "contraseña de aplicación",
    )
    .await?;
    click(&admin, ".email-settings .back-to-list").await?;
    click(&admin, ".kinds .kind[data-kind=email]").await?;
    click(&admin, ".email-settings .provider[data-provider=other]").await?;

    let form = ".email-settings";
    set_field(&admin, &format!("{form} input[name=name]"), "Soporte").await?;
    set_field(
        &admin,
        &format!("{form} input[name=reply_address]"),
        "support@example.test",
    )
    .await?;
    set_field(
        &admin,
        &format!("{form} input[name=reply_name]"),
        "Acme Soporte",
    )
    .await?;
    set_field(
        &admin,
        &format!("{form} input[name=password]"),
        "not-the-password",
    )
    .await?;
    rig_servers(&admin, form, &rig).await?;
    click(&admin, &format!("{form} button[type=submit]")).await?;
    shown(
        &admin,
        &format!("{form} .test-result.failed"),
        "La conexión falló",
    )
    .await?;
    shown(
        &admin,
        &format!("{form} .test-result .outcome.failed"),
        "el servidor no aceptó el usuario o la contraseña",
    )
    .await?;
    into_view(&admin, &format!("{form} .test-result")).await?;
    admin.screenshot("console-email-wrong-password").await?;

    set_field(&admin, &format!("{form} input[name=password]"), "supportpw").await?;
    click(&admin, &format!("{form} button[type=submit]")).await?;
    shown(
        &admin,
        &format!("{form} .test-result.ok"),
        "Conectado: el correo entrante y el saliente funcionan.",
    )
    .await?;
    let (_, channels) = api.get("/api/v1/channels").await?;
    let channel = channels
        .as_array()
        .and_then(|all| all.iter().find(|channel| channel["kind"] == "email"))
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no email channel: {channels}"))?;
    assert_eq!(channel["settings"]["reply_address"], "support@example.test");
    assert_eq!(channel["settings"]["imap_port"], rig.imap_port);
    assert!(
        !channel.to_string().contains("supportpw"),
        "the password is never shown: {channel}"
    );
    // Once the sync has signed in, the channel's page says the mailbox is connected.
    let id = channel["id"].as_u64().unwrap_or_default();
    eventually_within(Duration::from_secs(30), "the mailbox synced", async || {
        let (_, mailbox) = api.get(&format!("/api/v1/channels/{id}/mailbox")).await?;
        Ok((mailbox["health"]["state"] == "ok").then_some(()))
    })
    .await?;
    click(&admin, &format!("{form} .back-to-list")).await?;
    click(&admin, ".channel-row[data-kind=email] .edit").await?;
    shown(&admin, &format!("{form} .health"), "Buzón: Conectado").await?;
    into_view(&admin, &format!("{form} .health")).await?;
    admin.screenshot("console-email-connected").await?;
    admin.close().await?;
    rig.stop().await
}

/// "Sign in with…" against a stand-in of Microsoft's identity platform (authorization code with
/// PKCE): the admin saves an Outlook channel with the app's client id, is sent to the
/// provider's page and back, and the mailbox then connects over XOAUTH2 with the token the
/// gateway obtained (Dovecot checks it with the stand-in).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_signs_a_mailbox_in_with_the_provider_and_it_connects_over_oauth()
-> anyhow::Result<()> {
    use switchboard_e2e::oauth_stand_in::{CLIENT_ID, CLIENT_SECRET, OAuthStandIn};
    let rig = MailRig::start().await?;
    let tokens = OAuthStandIn::start(rig.oauth_port).await?;
    tokens.consent_as("support@example.test");
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start_beside_stand_ins(data.path(), &[]).await?;
    let api = gateway.admin().await?;
    let admin = admin_console(&gateway, "es", false).await?;
    click(&admin, ".topbar .settings-link").await?;
    click(&admin, ".kinds .kind[data-kind=email]").await?;
    click(&admin, ".email-settings .provider[data-provider=outlook]").await?;
    let form = ".email-settings";
    shown(
        &admin,
        &format!("{form} .sign-in .help"),
        "Microsoft 365 solo acepta OAuth",
    )
    .await?;
    set_field(&admin, &format!("{form} input[name=name]"), "Soporte").await?;
    set_field(
        &admin,
        &format!("{form} input[name=reply_address]"),
        "support@example.test",
    )
    .await?;
    choose(&admin, &format!("{form} select[name=auth]"), "xoauth2").await?;
    set_field(
        &admin,
        &format!("{form} input[name=oauth_client_id]"),
        CLIENT_ID,
    )
    .await?;
    set_field(
        &admin,
        &format!("{form} input[name=oauth_client_secret]"),
        CLIENT_SECRET,
    )
    .await?;
    click(&admin, &format!("{form} details.servers summary")).await?;
    rig_servers(&admin, form, &rig).await?;
    set_field(
        &admin,
        &format!("{form} input[name=oauth_authorize_url]"),
        &tokens.authorize_url(),
    )
    .await?;
    set_field(
        &admin,
        &format!("{form} input[name=oauth_token_url]"),
        &tokens.token_url(),
    )
    .await?;
    click(&admin, &format!("{form} button[type=submit]")).await?;
    shown(&admin, &format!("{form} .saved"), "Guardado.").await?;
    // No token yet: the test names the missing sign-in.
    shown(
        &admin,
        &format!("{form} .test-result.failed"),
        "La conexión falló",
    )
    .await?;

    click(&admin, &format!("{form} .sign-in-with")).await?;
    shown(
        &admin,
        &format!("{form} .saved"),
        "Sesión iniciada: Switchboard guarda el permiso sellado",
    )
    .await?;
    let address = admin.client.current_url().await?;
    assert_eq!(address.path(), "/app/settings/channels", "{address}");
    click(&admin, &format!("{form} .test-connection")).await?;
    shown(
        &admin,
        &format!("{form} .test-result.ok"),
        "Conectado: el correo entrante y el saliente funcionan.",
    )
    .await?;
    into_view(&admin, &format!("{form} .test-result")).await?;
    admin
        .screenshot("console-email-signed-in-with-provider")
        .await?;
    let (_, channels) = api.get("/api/v1/channels").await?;
    let channel = channels
        .as_array()
        .and_then(|all| all.iter().find(|channel| channel["kind"] == "email"))
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no email channel: {channels}"))?;
    assert_eq!(channel["settings"]["auth"], "xoauth2", "{channel}");
    let (_, secrets) = api
        .get(&format!("/api/v1/channels/{}/secrets", channel["id"]))
        .await?;
    assert!(
        secrets["names"]
            .as_array()
            .is_some_and(|names| names.contains(&"oauth_refresh_token".into())),
        "{secrets}"
    );
    assert!(
        tokens.renewals() >= 1 || !channel.to_string().contains("refresh-"),
        "{channel}"
    );
    admin.close().await?;
    rig.stop().await
}
