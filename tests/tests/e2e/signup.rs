//! Self-service sign-up on the real binary: the link goes out through a private Postfix (the
//! installation's own mail) and is read from Dovecot, as the person who signed up would; a
//! disposable domain is refused, the link makes the workspace once, and its admin signs in.

use anyhow::Context;
use hyper::{Method, StatusCode};
use switchboard_e2e::mail_rig::{CUSTOMER, MailRig, SUPPORT, SUPPORT_PASSWORD};
use switchboard_e2e::{Client, Gateway, eventually_within};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_business_signs_up_by_itself_through_a_link_sent_by_mail_and_its_admin_signs_in()
-> anyhow::Result<()> {
    let rig = MailRig::start().await?;
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start_with(
        data.path(),
        &[
            ("SWITCHBOARD_SIGNUP__ENABLED", "true".into()),
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
    .await?;
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
    let body = eventually_within(
        std::time::Duration::from_secs(20),
        "the sign-up email in the mailbox",
        async || {
            if rig.messages(CUSTOMER, "INBOX")? == 0 {
                return Ok(None);
            }
            rig.doveadm(&["fetch", "-u", CUSTOMER, "text", "mailbox", "INBOX", "all"])
                .map(Some)
        },
    )
    .await?;
    // The message as a mail program reads it: its text part, decoded.
    let source = body
        .split_once("text:")
        .map_or(body.as_str(), |(_, source)| source)
        .trim_start();
    let message = mail_parser::MessageParser::default()
        .parse(source.as_bytes())
        .context("the sign-up email parses")?;
    let text = message.body_text(0).context("a text part")?.into_owned();
    assert!(text.contains("Café Aurora"), "{text}");
    let link = text
        .split_whitespace()
        .find(|word| word.contains("/signup/finish?"))
        .with_context(|| format!("a link in {text:?}"))?;
    let path = link
        .strip_prefix(&gateway.base_url)
        .with_context(|| format!("{link} on {}", gateway.base_url))?
        .to_string();
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
    // The link makes one workspace: used again, it says there is an account.
    let (status, page) = post_form(&visitor, &path, &[("password", password)]).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    rig.stop().await
}
