//! Importing a big mailbox from a real, local Dovecot through the gateway's IMAP sync: every
//! message goes through the email adapter (in Wasm) into the store, with its original kept.
//! Reports messages per second from the first imported message to the last, beside a bare
//! writer that syncs one message's bytes at a time to the same disk.
//!
//! `cargo xtask bench` runs it; `MAILBOX_MESSAGES` (10,000) sets the size and `SENDERS` (200)
//! how many customers wrote them.

use std::time::{Duration, Instant};

use anyhow::Context;
use hyper::{Method, StatusCode};
use serde_json::json;
use switchboard_e2e::mail_rig::MailRig;
use switchboard_e2e::{Client, Gateway, run_bench, setting};

fn main() -> anyhow::Result<()> {
    run_bench(run())
}

/// A typical customer email: a few paragraphs, a quoted earlier message, about 2 KB.
fn email(n: usize, senders: usize) -> Vec<u8> {
    let sender = n % senders;
    format!(
        "From: Cliente {sender} <cliente{sender}@example.test>\r\nTo: support@example.test\r\n\
         Subject: Pedido {n}\r\nMessage-ID: <bench-{n}@example.test>\r\nDate: Sun, 22 Nov 2026 10:00:00 -0300\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n\
         Hola, les escribo por el pedido {n}. Todavía no llegó y el seguimiento no muestra novedades\r\n\
         desde el martes. ¿Podrían revisar si hubo algún problema con el envío?\r\n\r\n\
         Además quería consultar si es posible cambiar la dirección de entrega, porque esta semana\r\n\
         no voy a estar en casa. La nueva dirección sería Av. Siempre Viva 742, piso 3.\r\n\r\n\
         Muchas gracias,\r\nCliente {sender}\r\n\r\n\
         El sáb, 21 nov 2026 a las 18:00, Soporte <support@example.test> escribió:\r\n\
         > Hola, gracias por escribirnos. Su pedido fue despachado y llegará en 3 a 5 días hábiles.\r\n\
         > Puede seguirlo en la página de seguimiento con el código que le enviamos.\r\n\
         > Saludos, el equipo de soporte.\r\n"
    )
    .into_bytes()
}

/// Writes per second of a bare writer that appends `size` bytes and waits for the disk
/// (fdatasync) each time, one at a time: what an import that made each message durable on its
/// own could reach at best.
fn bare_durable_writes(folder: &std::path::Path, size: usize) -> anyhow::Result<f64> {
    use std::io::Write;
    const WRITES: usize = 2_000;
    let mut file = std::fs::File::create(folder.join("bare-writer"))?;
    let record = vec![b'x'; size];
    let started = Instant::now();
    for _ in 0..WRITES {
        file.write_all(&record)?;
        file.sync_data()?;
    }
    Ok(WRITES as f64 / started.elapsed().as_secs_f64())
}

/// How many messages the channel's conversations hold.
async fn imported(admin: &Client, channel: u64) -> anyhow::Result<u64> {
    let conversations = admin
        .all_pages(&format!(
            "/api/v1/conversations?channel_id={channel}&limit=200"
        ))
        .await?;
    Ok(conversations
        .iter()
        .filter_map(|conversation| conversation["message_count"].as_u64())
        .sum())
}

async fn run() -> anyhow::Result<()> {
    let messages = setting("MAILBOX_MESSAGES", 10_000);
    let senders = setting("SENDERS", 200);
    let rig = MailRig::start().await?;
    let filled = Instant::now();
    let count = rig.fill_maildir(
        "support@example.test",
        (0..messages).map(|n| email(n, senders)),
    )?;
    let bytes: usize = (0..messages).map(|n| email(n, senders).len()).sum();
    println!(
        "mailbox: {count} messages, {:.1} MB, written in {:.1} s",
        bytes as f64 / 1e6,
        filled.elapsed().as_secs_f64()
    );

    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let (status, channel) = admin
        .post(
            "/api/v1/channels",
            &json!({ "kind": "email", "name": "Soporte", "settings": {
                "reply_address": "support@example.test",
                "imap_host": "127.0.0.1", "imap_port": rig.imap_port, "imap_security": "none",
                "username": "support@example.test"
            }}),
        )
        .await?;
    anyhow::ensure!(status == StatusCode::CREATED, "{channel}");
    let channel = channel["id"].as_u64().context("channel id")?;
    let (status, answer) = admin
        .call(
            Method::PUT,
            &format!("/api/v1/channels/{channel}/secrets"),
            Some(&json!({ "secrets": { "password": "supportpw" } })),
        )
        .await?;
    anyhow::ensure!(status.is_success(), "{answer}");

    let mut first: Option<(Instant, u64)> = None;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let done = imported(&admin, channel).await?;
        if done > 0 && first.is_none() {
            first = Some((Instant::now(), done));
        }
        if done >= count as u64 {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {done} of {count} imported after 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (started, already) = first.context("nothing imported")?;
    let seconds = started.elapsed().as_secs_f64();
    let rate = (count as u64 - already) as f64 / seconds;
    println!(
        "IMAP import: {count} messages in {seconds:.1} s after the first: {rate:.0} messages/s ({:.1} MB/s of MIME)",
        rate * bytes as f64 / count as f64 / 1e6
    );
    drop(gateway);
    let floor = bare_durable_writes(data.path(), bytes / count)?;
    println!(
        "floor, one message's bytes written and synced at a time on the same disk: {floor:.0} writes/s; the import is {:.2}× that",
        rate / floor
    );
    rig.stop().await?;
    Ok(())
}
