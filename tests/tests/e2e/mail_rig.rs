//! The private mail servers (`switchboard_e2e::mail_rig`) carry mail the way the gateway's mail
//! crate sends and reads it: SMTP in, IMAP out, plain and with TLS, plus addressing, and
//! `doveadm save` for filling a mailbox without SMTP. The tests run side by side, each with its
//! own rig, which also shows that rigs on run-time ports do not get in each other's way.

use std::time::{Duration, Instant};

use switchboard_e2e::mail_rig::{CUSTOMER, CUSTOMER_PASSWORD, MailRig, SUPPORT, SUPPORT_PASSWORD};
use switchboard_mail::imap::{Cursor, FetchedMail, Mailbox};
use switchboard_mail::smtp::Sender;
use switchboard_mail::{Account, Auth, MailError, Security, Server, Step, Trust};

/// An account on the rig: IMAP and SMTP on the given host and ports, one security for both.
fn account(
    host: &str,
    (imap_port, smtp_port): (u16, u16),
    security: Security,
    (username, password): (&str, &str),
) -> Account {
    let server = |port| Server {
        host: host.to_string(),
        port,
        security,
    };
    Account {
        imap: Some(server(imap_port)),
        smtp: Some(server(smtp_port)),
        username: username.to_string(),
        auth: Auth::Password(password.to_string()),
        folder: "INBOX".into(),
    }
}

fn trust(rig: &MailRig) -> anyhow::Result<Trust> {
    Trust::new(vec![std::fs::read(rig.ca_pem())?]).map_err(anyhow::Error::msg)
}

/// A small RFC 5322 message whose Message-ID is `<{token}@example.test>`.
fn message(from: &str, to: &str, token: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: test {token}\r\n\
         Message-ID: <{token}@example.test>\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hello from {from}, {token}.\r\n"
    )
    .into_bytes()
}

/// Polls the account's INBOX until a message containing `token` arrives (10 s at most).
async fn wait_for(account: &Account, trust: &Trust, token: &str) -> anyhow::Result<FetchedMail> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut mailbox = Mailbox::open(account, trust).await?;
        let mail = mailbox.fetch_after(Cursor::default(), 100).await?;
        mailbox.logout().await;
        if let Some(found) = mail.into_iter().find(|mail| contains(&mail.source, token)) {
            return Ok(found);
        }
        if Instant::now() > deadline {
            anyhow::bail!("no message with {token} in {}'s INBOX", account.username);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

fn header<'a>(source: &'a str, name: &str) -> Option<&'a str> {
    source
        .lines()
        .take_while(|line| !line.is_empty())
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
}

fn ports_closed(rig_ports: &[u16]) -> bool {
    rig_ports
        .iter()
        .all(|port| std::net::TcpStream::connect(("127.0.0.1", *port)).is_err())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_to_imap_with_plus_addressing() -> anyhow::Result<()> {
    let started = Instant::now();
    let rig = MailRig::start().await?;
    eprintln!(
        "rig started in {:?} at {}",
        started.elapsed(),
        rig.dir().display()
    );
    let trust = trust(&rig)?;
    let ports = (rig.imap_port, rig.smtp_port);
    let customer = account(
        "127.0.0.1",
        ports,
        Security::None,
        (CUSTOMER, CUSTOMER_PASSWORD),
    );
    let support = account(
        "127.0.0.1",
        ports,
        Security::None,
        (SUPPORT, SUPPORT_PASSWORD),
    );

    // customer → support, sent with SMTP AUTH as the customer.
    let sent = Instant::now();
    let accepted = Sender::new(&customer, &trust)?
        .send(
            CUSTOMER,
            &[SUPPORT.into()],
            &message(CUSTOMER, SUPPORT, "first"),
        )
        .await?;
    assert!(accepted.starts_with("250"), "{accepted}");
    let mail = wait_for(&support, &trust, "first@example.test").await?;
    eprintln!(
        "customer → support visible over IMAP {:?} after sending",
        sent.elapsed()
    );
    let source = String::from_utf8_lossy(&mail.source);
    assert_eq!(header(&source, "Subject"), Some("test first"));
    assert!(source.contains("Hello from customer@example.test, first."));

    // Plus addressing: support+c42 lands in support's INBOX, the To header intact.
    let tagged = "support+c42@example.test";
    let sent = Instant::now();
    Sender::new(&customer, &trust)?
        .send(
            CUSTOMER,
            &[tagged.into()],
            &message(CUSTOMER, tagged, "tagged"),
        )
        .await?;
    let mail = wait_for(&support, &trust, "tagged@example.test").await?;
    eprintln!(
        "support+c42 visible over IMAP {:?} after sending",
        sent.elapsed()
    );
    let source = String::from_utf8_lossy(&mail.source);
    assert_eq!(header(&source, "To"), Some(tagged));
    eprintln!("Delivered-To: {:?}", header(&source, "Delivered-To"));
    assert_eq!(rig.messages(SUPPORT, "INBOX")?, 2);
    assert_eq!(rig.messages(CUSTOMER, "INBOX")?, 0);
    let subjects = rig.doveadm(&["fetch", "-u", SUPPORT, "hdr.subject", "mailbox", "INBOX"])?;
    assert!(
        subjects.contains("test first") && subjects.contains("test tagged"),
        "{subjects}"
    );

    // Refusals name the right step: an unknown user, a wrong SMTP password, a wrong IMAP one.
    let error = Sender::new(&customer, &trust)?
        .send(
            CUSTOMER,
            &["nobody@example.test".into()],
            &message(CUSTOMER, "x", "x"),
        )
        .await
        .expect_err("an unknown recipient is refused");
    assert_eq!(error.step, Step::Rejected { permanent: true }, "{error}");
    let wrong = account("127.0.0.1", ports, Security::None, (CUSTOMER, "wrong"));
    let error = Sender::new(&wrong, &trust)?
        .send(
            CUSTOMER,
            &[SUPPORT.into()],
            &message(CUSTOMER, SUPPORT, "wrong"),
        )
        .await
        .expect_err("a wrong SMTP password is refused");
    assert_eq!(error.step, Step::Authentication, "{error}");
    let error: MailError = Mailbox::open(&wrong, &trust)
        .await
        .expect_err("a wrong IMAP password is refused");
    assert_eq!(error.step, Step::Authentication, "{error}");

    let all_ports = [rig.imap_port, rig.smtp_port, rig.imaps_port, rig.smtps_port];
    let dir = rig.dir().to_path_buf();
    let stopping = Instant::now();
    rig.stop().await?;
    eprintln!("rig stopped in {:?}", stopping.elapsed());
    assert!(ports_closed(&all_ports), "a port is still open");
    assert!(!dir.exists(), "{} is left behind", dir.display());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implicit_tls_on_imaps_and_smtps() -> anyhow::Result<()> {
    let rig = MailRig::start().await?;
    let trust = trust(&rig)?;
    // By name and by address: the certificate carries DNS:localhost and IP:127.0.0.1.
    for (host, token) in [
        ("localhost", "tls-by-name"),
        ("127.0.0.1", "tls-by-address"),
    ] {
        let ports = (rig.imaps_port, rig.smtps_port);
        let support = account(host, ports, Security::Tls, (SUPPORT, SUPPORT_PASSWORD));
        let customer = account(host, ports, Security::Tls, (CUSTOMER, CUSTOMER_PASSWORD));
        Sender::new(&support, &trust)?
            .send(
                SUPPORT,
                &[CUSTOMER.into()],
                &message(SUPPORT, CUSTOMER, token),
            )
            .await?;
        wait_for(&customer, &trust, &format!("{token}@example.test")).await?;
    }
    // Without the rig's CA the certificate is refused.
    let ports = (rig.imaps_port, rig.smtps_port);
    let support = account(
        "localhost",
        ports,
        Security::Tls,
        (SUPPORT, SUPPORT_PASSWORD),
    );
    let stranger = Trust::new(Vec::new()).map_err(anyhow::Error::msg)?;
    let error = Mailbox::open(&support, &stranger)
        .await
        .expect_err("an unknown CA is refused");
    assert_eq!(error.step, Step::Tls, "{error}");
    rig.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_messages_are_read_over_imap() -> anyhow::Result<()> {
    let rig = MailRig::start().await?;
    let count = 50;
    let saving = Instant::now();
    for n in 0..count {
        rig.save(SUPPORT, &message(CUSTOMER, SUPPORT, &format!("saved-{n}")))?;
    }
    eprintln!("{count} messages saved in {:?}", saving.elapsed());
    assert_eq!(rig.messages(SUPPORT, "INBOX")?, count as u32);
    let ports = (rig.imap_port, rig.smtp_port);
    let support = account(
        "127.0.0.1",
        ports,
        Security::None,
        (SUPPORT, SUPPORT_PASSWORD),
    );
    let mut mailbox = Mailbox::open(&support, &trust(&rig)?).await?;
    let mail = mailbox.fetch_after(Cursor::default(), 1000).await?;
    mailbox.logout().await;
    assert_eq!(mail.len(), count);
    assert!(contains(
        &mail[count - 1].source,
        &format!("saved-{}@", count - 1)
    ));
    rig.stop().await
}
