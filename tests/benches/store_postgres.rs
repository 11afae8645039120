//! Durable ingest into the store on PostgreSQL, beside two limits measured in the same run:
//! `pgbench`'s own write transactions (`-N`: an account update, a select and a history insert,
//! each committed with fsync) on the same private server with as many clients, and the embedded
//! sled store on the same disk with as many writers. Each ingest is a whole domain step
//! (contact look-up, conversation, message, event and indexes) committed before it is
//! acknowledged; the figures are reported as ratios.
//!
//! `cargo xtask bench` runs it; `PG_MESSAGES` and `PG_WRITERS` change the load.

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use switchboard_e2e::scale_rig::Postgres;
use switchboard_e2e::{run_bench, setting};
use switchboard_model::{ChannelKind, ContactRef, Identity, InboundMessage, NewChannel};
use switchboard_store::prelude::*;
use switchboard_store::{InProcessBus, RecordStore};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let messages = setting("PG_MESSAGES", 20_000);
    let writers = setting("PG_WRITERS", 16);
    run_bench(async move {
        let postgres = Postgres::start()?;
        let pgbench = pgbench(&postgres, writers)?;
        let on_postgres =
            RecordStore::open_postgres(&postgres.url, Arc::new(InProcessBus::new(1024)))?;
        let postgres_rate = ingest_rate(on_postgres, messages, writers).await?;
        let dir = tempfile::tempdir()?;
        let on_sled = RecordStore::open(dir.path(), Arc::new(InProcessBus::new(1024)))?;
        let sled_rate = ingest_rate(on_sled, messages, writers).await?;
        println!(
            "store ingest on PostgreSQL: {messages} durable messages from {writers} concurrent writers: {postgres_rate:.0} messages/s"
        );
        println!(
            "  limit, pgbench -N with {writers} clients on the same server: {pgbench:.0} transactions/s; the store ingests ×{:.2} of that",
            postgres_rate / pgbench
        );
        println!(
            "  the sled store, same load on the same disk: {sled_rate:.0} messages/s; PostgreSQL ×{:.2} of that",
            postgres_rate / sled_rate
        );
        Ok(())
    })
}

/// `pgbench`'s rate of write transactions with `clients` clients for ten seconds, on a
/// database of its own in `postgres`.
fn pgbench(postgres: &Postgres, clients: usize) -> anyhow::Result<f64> {
    postgres.psql("postgres", "CREATE DATABASE pgbench")?;
    let run = |args: &[&str]| -> anyhow::Result<String> {
        let output = Command::new("pgbench")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &postgres.port.to_string(),
                "-U",
                "sb",
            ])
            .args(args)
            .arg("pgbench")
            .output()
            .context("cannot run pgbench")?;
        anyhow::ensure!(
            output.status.success(),
            "pgbench: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    run(&["-i", "-s", "1", "-q"])?;
    let clients = clients.to_string();
    let report = run(&["-c", &clients, "-j", "2", "-T", "10", "-N"])?;
    let tps = report
        .lines()
        .find_map(|line| line.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .context("no tps in pgbench's report")?;
    Ok(tps.parse()?)
}

/// Messages per second that `writers` concurrent writers ingest into `store`.
async fn ingest_rate(store: RecordStore, messages: usize, writers: usize) -> anyhow::Result<f64> {
    let store = Arc::new(store);
    let workspace = store.create_workspace("Bench").await?.id;
    let channel = NewChannel::new(ChannelKind::API, "API");
    let channel = store.create_channel(workspace, channel, None).await?.id;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for n in (0..messages).skip(writer).step_by(writers) {
                let sender = ContactRef {
                    identity: Identity::new("email", format!("customer{}@example.com", n % 2_000)),
                    name: None,
                    email: None,
                    phone: None,
                    custom_fields: Default::default(),
                };
                let text = "Hola, quería saber el estado de mi pedido 4711, gracias.";
                let message = InboundMessage::text(sender, format!("bench-{n}"), text);
                store.ingest(workspace, channel, message).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(messages as f64 / started.elapsed().as_secs_f64())
}
