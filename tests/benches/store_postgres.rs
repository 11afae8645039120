//! Durable ingest into the store on PostgreSQL, beside two limits measured in the same run:
//! `pgbench`'s own write transactions (`-N`: an account update, a select and a history insert,
//! each committed with fsync) on the same private server with as many clients, and the embedded
//! sled store on the same disk with as many writers. Each ingest is a whole domain step
//! (contact look-up, conversation, message, event and indexes) committed before it is
//! acknowledged; the figures are reported as ratios. Then the same load split between two nodes
//! writing at once (each writer forgets what the other one wrote since its own last group), and
//! what a message costs the database on disk.
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
        let open = || {
            let bus = Arc::new(InProcessBus::new(1024));
            anyhow::Ok(Arc::new(RecordStore::open_postgres(&postgres.url, bus)?))
        };
        let before = database_bytes(&postgres)?;
        let one_node = ingest_rate(vec![open()?], messages, writers).await?;
        let per_message = database_bytes(&postgres)?.saturating_sub(before) / messages as u64;
        let two_nodes = ingest_rate(vec![open()?, open()?], messages, writers).await?;
        let dir = tempfile::tempdir()?;
        let on_sled = RecordStore::open(dir.path(), Arc::new(InProcessBus::new(1024)))?;
        let sled_rate = ingest_rate(vec![Arc::new(on_sled)], messages, writers).await?;
        println!(
            "store ingest on PostgreSQL: {messages} durable messages from {writers} concurrent writers: {one_node:.0} messages/s"
        );
        println!(
            "  limit, pgbench -N with {writers} clients on the same server: {pgbench:.0} transactions/s; the store ingests ×{:.2} of that",
            one_node / pgbench
        );
        println!(
            "  the sled store, same load on the same disk: {sled_rate:.0} messages/s; PostgreSQL ×{:.2} of that",
            one_node / sled_rate
        );
        println!(
            "  two nodes writing at once ({} writers each): {two_nodes:.0} messages/s, ×{:.2} of one node; the database grew by {per_message} bytes per message (records, events, indexes)",
            writers / 2,
            two_nodes / one_node
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

/// The bytes the `switchboard` database takes on disk.
fn database_bytes(postgres: &Postgres) -> anyhow::Result<u64> {
    postgres.psql("switchboard", "CHECKPOINT")?;
    let size = postgres.psql("switchboard", "SELECT pg_database_size('switchboard')")?;
    Ok(size.parse()?)
}

/// Messages per second that `writers` concurrent writers, spread over `nodes` (stores on one
/// database, or one store), ingest into a new workspace.
async fn ingest_rate(
    nodes: Vec<Arc<RecordStore>>,
    messages: usize,
    writers: usize,
) -> anyhow::Result<f64> {
    let workspace = nodes[0].create_workspace("Bench").await?.id;
    let channel = NewChannel::new(ChannelKind::API, "API");
    let channel = nodes[0].create_channel(workspace, channel, None).await?.id;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let store = nodes[writer % nodes.len()].clone();
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
