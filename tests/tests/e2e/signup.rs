//! What people do for themselves through links the installation mails them, on the real
//! binary: the links go out through a private Postfix (the installation's own mail) and are read
//! from Dovecot, as the person would. Sign-up: a disposable domain is refused, the link makes
//! the workspace once, and its admin signs in. A forgotten password: the link sets a new one,
//! once.

use anyhow::Context;
use hyper::{Method, StatusCode};
use switchboard_e2e::mail_rig::{CUSTOMER, MailRig, SUPPORT, SUPPORT_PASSWORD};
use switchboard_e2e::{Client, Gateway, eventually_within};

const OPERATOR_TOKEN: &str = "the operator's token of the sign-up test";

/// A form posted as a browser in Spanish posts it; the status and the page.
async fn post_form(
    client: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> anyhow::Result<(StatusCode, String)> {
    let body = serde_urlencoded::to_string(fields)?;
    let (status, _, page) = client
        .exchange(
            Method::POST,
            path,
            &[("accept-language", "es-MX,es;q=0.9")],
            Some(("application/x-www-form-urlencoded", body.into_bytes())),
        )
        .await?;
    Ok((status, String::from_utf8(page.to_vec())?))
}

/// The gateway sending its own mail through the rig's Postfix, sign-up on or off.
pub(crate) async fn with_system_mail(
    rig: &MailRig,
    data: &std::path::Path,
    signup: bool,
) -> anyhow::Result<Gateway> {
    Gateway::start_with(
        data,
        &[
            ("SWITCHBOARD_SIGNUP__ENABLED", signup.to_string()),
            ("SWITCHBOARD_SIGNUP__QUOTAS__CHANNELS", "2".into()),
            ("SWITCHBOARD_OPERATOR__TOKEN", OPERATOR_TOKEN.into()),
            (
                "SWITCHBOARD_SIGNUP__REFUSED_DOMAINS",
                "[\"mailinator.com\", \"*.tempmail.example\"]".into(),
            ),
            ("SWITCHBOARD_SYSTEM_MAIL__HOST", "localhost".into()),
            ("SWITCHBOARD_SYSTEM_MAIL__PORT", rig.smtp_port.to_string()),
            ("SWITCHBOARD_SYSTEM_MAIL__USERNAME", SUPPORT.into()),
            ("SWITCHBOARD_SYSTEM_MAIL__PASSWORD", SUPPORT_PASSWORD.into()),
            (
                "SWITCHBOARD_SYSTEM_MAIL__FROM",
                format!("Switchboard <{SUPPORT}>"),
            ),
            (
                "SWITCHBOARD_MAIL__CA_FILES",
                format!("[\"{}\"]", rig.ca_pem().display()),
            ),
        ],
    )
    .await
}

/// The path of the link to `marker` in the newest of `count` messages of the customer's
/// inbox, once it is there, read as a mail program would (the text part, decoded).
pub(crate) async fn mailed_link(
    rig: &MailRig,
    count: u32,
    marker: &str,
    base_url: &str,
) -> anyhow::Result<String> {
    let body = eventually_within(
        std::time::Duration::from_secs(20),
        "the email in the mailbox",
        async || {
            if rig.messages(CUSTOMER, "INBOX")? < count {
                return Ok(None);
            }
            let sequence = count.to_string();
            rig.doveadm(&[
                "fetch", "-u", CUSTOMER, "text", "mailbox", "INBOX", &sequence,
            ])
            .map(Some)
        },
    )
    .await?;
    let source = body
        .split_once("text:")
        .map_or(body.as_str(), |(_, source)| source)
        .trim_start();
    let message = mail_parser::MessageParser::default()
        .parse(source.as_bytes())
        .context("the email parses")?;
    let text = message.body_text(0).context("a text part")?.into_owned();
    let link = text
        .split_whitespace()
        .find(|word| word.contains(marker))
        .with_context(|| format!("a link to {marker} in {text:?}"))?;
    Ok(link
        .strip_prefix(base_url)
        .with_context(|| format!("{link} on {base_url}"))?
        .to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_business_signs_up_by_itself_through_a_link_sent_by_mail_and_its_admin_signs_in()
-> anyhow::Result<()> {
    let rig = MailRig::start().await?;
    let data = tempfile::tempdir()?;
    let gateway = with_system_mail(&rig, data.path(), true).await?;
    let visitor = Client::new(&gateway.base_url);
    let (status, _, page) = visitor
        .exchange(
            Method::GET,
            "/signup",
            &[("accept-language", "es-MX")],
            None,
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page).contains("Crea tu espacio en Switchboard"));

    for disposable in ["ana@mailinator.com", "ana@x.tempmail.example"] {
        let (status, page) = post_form(
            &visitor,
            "/signup",
            &[("business", "Café Aurora"), ("email", disposable)],
        )
        .await?;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains("usa el correo de tu negocio"), "{page}");
    }
    let (status, page) = post_form(
        &visitor,
        "/signup",
        &[("business", "Café Aurora"), ("email", CUSTOMER)],
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("revisa tu correo"), "{page}");

    // The link arrives in the customer's mailbox.
    let path = mailed_link(&rig, 1, "/signup/finish?", &gateway.base_url).await?;
    let (status, _, page) = visitor
        .exchange(Method::GET, &path, &[("accept-language", "es-MX")], None)
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page).contains("Elige la contraseña"));

    let (status, page) = post_form(&visitor, &path, &[("password", "corta")]).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let password = "una contraseña larga";
    let (status, page) = post_form(&visitor, &path, &[("password", password)]).await?;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    assert!(page.contains("Tu espacio Café Aurora está listo"), "{page}");

    let (status, _, session) = visitor.attempt_login(CUSTOMER, password, &[]).await?;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["workspace"]["name"], "Café Aurora");
    // It starts with the quotas the operator set for sign-ups.
    let (_, workspaces) = visitor
        .with_bearer(OPERATOR_TOKEN)
        .get("/api/v1/operator/workspaces")
        .await?;
    let made = workspaces
        .as_array()
        .and_then(|all| all.iter().find(|each| each["name"] == "Café Aurora"))
        .context("the new workspace is listed")?;
    assert_eq!(made["quotas"]["channels"], 2, "{made}");
    assert_eq!(made["quotas"]["agents"], serde_json::Value::Null, "{made}");
    // The link makes one workspace: used again, it says there is an account.
    let (status, page) = post_form(&visitor, &path, &[("password", password)]).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    rig.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_through_a_link_that_works_once() -> anyhow::Result<()> {
    let rig = MailRig::start().await?;
    let data = tempfile::tempdir()?;
    let gateway = with_system_mail(&rig, data.path(), false).await?;
    let admin = gateway.admin().await?;
    let old = "la contraseña de antes";
    let (status, agent) = admin
        .post(
            "/api/v1/agents",
            &serde_json::json!({ "name": "Carla", "email": CUSTOMER, "password": old, "role": "agent" }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let visitor = Client::new(&gateway.base_url);
    // Sign-up stays closed, and says so.
    let (status, _, _) = visitor.exchange(Method::GET, "/signup", &[], None).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An address with no account gets the same answer, and no email.
    let (status, page) = post_form(
        &visitor,
        "/password-reset",
        &[("email", "nadie@example.test")],
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Si ese correo tiene una cuenta"), "{page}");
    let (status, same) = post_form(&visitor, "/password-reset", &[("email", CUSTOMER)]).await?;
    assert_eq!((status, &same), (StatusCode::OK, &page));

    let path = mailed_link(&rig, 1, "/password-reset/finish?", &gateway.base_url).await?;
    let (status, _, page) = visitor
        .exchange(Method::GET, &path, &[("accept-language", "es-MX")], None)
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page).contains("Elige tu contraseña nueva"));
    let new = "la contraseña de ahora";
    let (status, page) = post_form(&visitor, &path, &[("password", new)]).await?;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("tu contraseña es la nueva"), "{page}");

    let (status, _, _) = visitor.attempt_login(CUSTOMER, old, &[]).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = visitor.attempt_login(CUSTOMER, new, &[]).await?;
    assert_eq!(status, StatusCode::OK);
    // The link worked once.
    let (status, page) = post_form(&visitor, &path, &[("password", "y otra más todavía")]).await?;
    assert_eq!(status, StatusCode::GONE, "{page}");
    rig.stop().await
}

/// The subject and text of message `sequence` of the customer's inbox, as a mail program
/// shows them.
fn mailed(rig: &MailRig, sequence: u32) -> anyhow::Result<(String, String)> {
    let fetched = rig.doveadm(&[
        "fetch",
        "-u",
        CUSTOMER,
        "text",
        "mailbox",
        "INBOX",
        &sequence.to_string(),
    ])?;
    let source = fetched
        .split_once("text:")
        .map_or(fetched.as_str(), |(_, source)| source)
        .trim_start();
    let message = mail_parser::MessageParser::default()
        .parse(source.as_bytes())
        .context("the email parses")?;
    Ok((
        message.subject().unwrap_or_default().to_string(),
        message.body_text(0).context("a text part")?.into_owned(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_are_told_by_mail_in_their_language_once_a_day_when_a_quota_is_reached()
-> anyhow::Result<()> {
    let rig = MailRig::start().await?;
    let data = tempfile::tempdir()?;
    let gateway = with_system_mail(&rig, data.path(), false).await?;
    let admin = gateway.admin().await?;
    // Lucía, a second admin, reads Spanish; her mail is at the rig.
    let password = "la contraseña de Lucía";
    let (status, lucia) = admin
        .post(
            "/api/v1/agents",
            &serde_json::json!({ "name": "Lucía", "email": CUSTOMER, "password": password, "role": "admin" }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{lucia}");
    let lucia = Client::new(&gateway.base_url)
        .login(CUSTOMER, password)
        .await?;
    let language = serde_json::json!({ "language": "es" });
    let (status, me) = lucia
        .call(Method::PATCH, "/api/v1/auth/me", Some(&language))
        .await?;
    assert_eq!(status, StatusCode::OK, "{me}");
    let workspace = me["workspace"]["id"].as_u64().context("a workspace id")?;
    let (_, people) = admin.get("/api/v1/agents").await?;
    let people = people.as_array().context("a list")?.len();
    let quotas = serde_json::json!({ "storage_mib": 1, "agents": people });
    let (status, _) = Client::new(&gateway.base_url)
        .with_bearer(OPERATOR_TOKEN)
        .call(
            Method::PUT,
            &format!("/api/v1/operator/workspaces/{workspace}/quotas"),
            Some(&quotas),
        )
        .await?;
    assert_eq!(status, StatusCode::OK);

    // A file past the storage quota is refused, twice; then one person too many.
    for _ in 0..2 {
        let (status, refused) = admin
            .send(
                Method::POST,
                "/api/v1/attachments?name=catalogo.pdf",
                &[],
                Some(("application/pdf", vec![b'%'; 1_500_000])),
            )
            .await?;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
        assert_eq!(refused["error"]["field"], "storage_mib", "{refused}");
    }
    let (status, refused) = admin
        .post(
            "/api/v1/agents",
            &serde_json::json!({ "name": "Carla", "email": "carla@example.test", "password": "otra contraseña larga", "role": "agent" }),
        )
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");

    // Lucía gets one email per quota, in Spanish, naming what stopped and that nothing is lost.
    eventually_within(
        std::time::Duration::from_secs(20),
        "two notices in Lucía's mailbox",
        async || Ok((rig.messages(CUSTOMER, "INBOX")? >= 2).then_some(())),
    )
    .await?;
    // The two notices go out side by side, so either may arrive first.
    let notices = [mailed(&rig, 1)?, mailed(&rig, 2)?];
    let notice = |ending: &str| {
        notices
            .iter()
            .find(|(subject, _)| subject.ends_with(ending))
            .cloned()
            .with_context(|| format!("no notice ending {ending:?}: {notices:?}"))
    };
    let (_, text) = notice("llegó a su límite de almacenamiento (MiB)")?;
    assert!(text.contains("ya no pueden subir archivos"), "{text}");
    assert!(text.contains("no se pierde ninguno"), "{text}");
    assert!(
        text.contains(&format!("{}/app/", gateway.base_url)),
        "{text}"
    );
    let (_, text) = notice("llegó a su límite de personas")?;
    assert!(text.contains(&format!("({people})")), "{text}");
    // The second refused file told nobody again.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(rig.messages(CUSTOMER, "INBOX")?, 2);
    rig.stop().await
}
