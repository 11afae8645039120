//! Durable ingest throughput straight into the sled store: many concurrent writers each
//! ingesting inbound messages (contact look-up, conversation, message, event and indexes),
//! every one acknowledged only once its group commit is flushed to disk; then how long a message
//! that comes alone takes to be stored (what a post waits before its event goes out), what one
//! round of the delivery worker costs over channels with nothing to send, and what reading a
//! long conversation costs (a page after a cursor, its newest messages, one old message).
//! The ingest rate is set beside a floor measured in the same run on the same disk: a bare
//! group-commit writer that makes as many records of the same size (what the store's folder
//! grew by, per message) durable for as many concurrent writers, as a ratio.
//!
//! `cargo xtask bench` runs it; `MESSAGES`, `WRITERS`, `LONE_WRITES`, `IDLE_CHANNELS` and
//! `LONG_CONVERSATION` change the load.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_e2e::{cpu_ticks, percentiles, run_bench, setting};
use switchboard_model::{ChannelKind, ContactRef, Identity, InboundMessage, NewChannel};
use switchboard_store::prelude::*;
use switchboard_store::{InProcessBus, RecordStore};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let messages = setting("MESSAGES", 200_000);
    let writers = setting("WRITERS", 512);
    let senders = 2_000;
    run_bench(async move {
        let dir = tempfile::tempdir()?;
        let store = Arc::new(RecordStore::open(
            dir.path(),
            Arc::new(InProcessBus::new(1024)),
        )?);
        let workspace = store.create_workspace("Bench").await?.id;
        let channel = NewChannel::new(ChannelKind::API, "API");
        let channel = store.create_channel(workspace, channel, None).await?.id;

        let cpu_before = cpu_by_thread()?;
        let size_before = folder_bytes(dir.path())?;
        let started = Instant::now();
        ingest_all(&store, workspace, channel, 0..messages, writers, move |n| {
            let sender = format!("customer{}@example.com", n % senders);
            let text = "Hola, quería saber el estado de mi pedido 4711, gracias.";
            InboundMessage::text(from(sender), format!("bench-{n}"), text)
        })
        .await?;
        let elapsed = started.elapsed();
        let rate = messages as f64 / elapsed.as_secs_f64();
        println!(
            "store ingest: {messages} durable messages from {writers} concurrent writers in {:.2} s = {rate:.0} messages/s",
            elapsed.as_secs_f64(),
        );
        let size = (folder_bytes(dir.path())?.saturating_sub(size_before) / messages as u64).max(1);
        let floor = bare_group_commit(dir.path(), messages, writers, size as usize).await?;
        println!(
            "  floor, a bare group-commit writer of {size}-byte records (the store's growth per message) for {writers} writers on the same disk: {floor:.0} records/s; the store ingests ×{:.2} of that",
            rate / floor
        );
        let cpu_after = cpu_by_thread()?;
        let used: Vec<String> = cpu_after
            .iter()
            .map(|(name, ticks)| {
                let ticks = ticks - cpu_before.get(name).copied().unwrap_or(0);
                format!("{name} {:.0} %", ticks as f64 / elapsed.as_secs_f64())
            })
            .collect();
        println!(
            "  CPU while ingesting (100 % is one core): {}",
            used.join(", ")
        );
        lone_writes(store.as_ref(), workspace, channel).await?;
        idle_delivery_round(store.as_ref(), workspace).await?;
        long_conversation(&store, workspace, channel).await?;
        drop(store);
        // The writer's threads let go of the store's lock a moment after the store is dropped.
        for _ in 0..100 {
            let started = Instant::now();
            if RecordStore::open(dir.path(), Arc::new(InProcessBus::new(1024))).is_ok() {
                println!(
                    "opening the store again with {messages} messages: {:.0} ms",
                    started.elapsed().as_secs_f64() * 1e3
                );
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        anyhow::bail!("the store could not be opened again")
    })
}

/// How long each of `LONE_WRITES` messages takes to be stored when it comes alone, 20 ms after
/// the last one (longer than the writer waits for a lull before a checkpoint).
async fn lone_writes(store: &RecordStore, workspace: u64, channel: u64) -> anyhow::Result<()> {
    let count = setting("LONE_WRITES", 500);
    let mut took = Vec::with_capacity(count);
    for n in 0..count {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let message = InboundMessage::text(
            from("alone@example.com".into()),
            format!("alone-{n}"),
            "¿Alguien me puede ayudar con mi factura?",
        );
        let started = Instant::now();
        store.ingest(workspace, channel, message).await?;
        took.push(u64::try_from(started.elapsed().as_nanos())?);
    }
    println!(
        "a message alone, {count} times: {}",
        percentiles(took.into_iter())
    );
    Ok(())
}

/// What the delivery worker's round costs when nothing waits: it asks every channel of every
/// workspace for due replies, at least once a second and after every reply queued.
async fn idle_delivery_round(store: &RecordStore, workspace: u64) -> anyhow::Result<()> {
    let count = setting("IDLE_CHANNELS", 1_000);
    let mut channels = Vec::with_capacity(count);
    for n in 0..count {
        let channel = NewChannel::new(ChannelKind::API, format!("Idle {n}"));
        channels.push(store.create_channel(workspace, channel, None).await?.id);
    }
    let started = Instant::now();
    for channel in &channels {
        let claimed = store
            .claim_outbox(*channel, "bench-node", 60_000, 50)
            .await?;
        anyhow::ensure!(claimed.is_empty(), "an idle channel had replies to deliver");
    }
    let elapsed = started.elapsed();
    println!(
        "delivery round over {count} idle channels: {:.2} ms ({:.1} µs per channel)",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / count as f64
    );
    Ok(())
}

/// Ingests message `n` for every `n` in `range`, from `writers` concurrent writers.
async fn ingest_all(
    store: &Arc<RecordStore>,
    workspace: u64,
    channel: u64,
    range: std::ops::Range<usize>,
    writers: usize,
    message: impl Fn(usize) -> InboundMessage + Copy + Send + 'static,
) -> anyhow::Result<()> {
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let (store, range) = (store.clone(), range.clone());
        tasks.push(tokio::spawn(async move {
            for n in range.skip(writer).step_by(writers) {
                store.ingest(workspace, channel, message(n)).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

/// A customer known only by this email address.
fn from(email: String) -> ContactRef {
    ContactRef {
        identity: Identity::new("email", email),
        name: None,
        email: None,
        phone: None,
        custom_fields: Default::default(),
    }
}

/// Reads of one conversation of `LONG_CONVERSATION` messages: the agents' list pages through
/// it, the chat shows its newest messages, a delivery finds its message.
async fn long_conversation(
    store: &Arc<RecordStore>,
    workspace: u64,
    channel: u64,
) -> anyhow::Result<()> {
    let length = setting("LONG_CONVERSATION", 10_000);
    let message = |n: usize| {
        InboundMessage::text(
            from("long-thread@example.com".into()),
            format!("long-{n}"),
            format!("mensaje {n}"),
        )
    };
    // The first message opens the conversation; the rest come from 64 writers at once.
    let conversation = store
        .ingest(workspace, channel, message(0))
        .await?
        .conversation_id;
    ingest_all(store, workspace, channel, 1..length, 64, message).await?;
    let all = store.all_messages(workspace, conversation).await?;
    anyhow::ensure!(
        all.len() == length,
        "the long conversation holds {} messages",
        all.len()
    );
    let middle = all[length / 2].id;
    let old = all[10].id;
    println!("a conversation of {length} messages:");
    timed("a page of 50 from its middle", 200, async || {
        Ok(store
            .messages(workspace, conversation, Some(middle), 50)
            .await?
            .items
            .len())
    })
    .await?;
    timed("its newest 500", 20, async || {
        Ok(store
            .latest_messages(workspace, conversation, 500)
            .await?
            .len())
    })
    .await?;
    timed("one of its first messages", 200, async || {
        store.message(workspace, conversation, old).await?;
        Ok(1)
    })
    .await?;
    timed("all of it", 3, async || {
        Ok(store.all_messages(workspace, conversation).await?.len())
    })
    .await?;
    Ok(())
}

/// Prints how long one `read` takes, over `rounds`, and how many messages it gave.
async fn timed(
    what: &str,
    rounds: u32,
    mut read: impl AsyncFnMut() -> anyhow::Result<usize>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut messages = 0;
    for _ in 0..rounds {
        messages = read().await?;
    }
    println!(
        "  {what}: {:.0} µs ({messages} messages)",
        started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds)
    );
    Ok(())
}

/// CPU time (user and system, in clock ticks of 10 ms) of this process's threads so far, summed
/// by thread name with any number at the end taken off (`sled-io-3` counts as `sled-io`).
fn cpu_by_thread() -> anyhow::Result<BTreeMap<String, u64>> {
    let mut by_name = BTreeMap::new();
    for task in std::fs::read_dir("/proc/self/task")? {
        let dir = task?.path();
        let (Ok(name), Ok(ticks)) = (std::fs::read_to_string(dir.join("comm")), cpu_ticks(&dir))
        else {
            continue; // the thread ended meanwhile
        };
        let name = name
            .trim()
            .trim_end_matches(|c: char| c.is_ascii_digit() || c == '-');
        *by_name.entry(name.to_string()).or_insert(0) += ticks;
    }
    Ok(by_name)
}

/// The bytes of every file under `folder`.
fn folder_bytes(folder: &std::path::Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            total += folder_bytes(&entry.path())?;
        } else if kind.is_file() {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

/// Records per second of a bare group-commit writer: `writers` tasks each hand a record of
/// `size` bytes to one thread, which appends every record waiting, syncs the file once for
/// them all (fdatasync) and then answers each. What durable ingest can reach on this disk with
/// no store at all.
async fn bare_group_commit(
    folder: &std::path::Path,
    records: usize,
    writers: usize,
    size: usize,
) -> anyhow::Result<f64> {
    use std::io::Write;
    use std::sync::atomic::{AtomicUsize, Ordering};
    type Waiting = (Vec<u8>, tokio::sync::oneshot::Sender<()>);
    let (sender, received) = std::sync::mpsc::channel::<Waiting>();
    let mut file = std::fs::File::create(folder.join("bare-group-commit"))?;
    let committer = std::thread::spawn(move || -> std::io::Result<()> {
        while let Ok(first) = received.recv() {
            let mut group = vec![first];
            group.extend(received.try_iter());
            for (record, _) in &group {
                file.write_all(record)?;
            }
            file.sync_data()?;
            for (_, done) in group {
                let _ = done.send(());
            }
        }
        Ok(())
    });
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let (sender, next) = (sender.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < records {
                let (done, written) = tokio::sync::oneshot::channel();
                sender.send((vec![b'x'; size], done))?;
                written.await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let rate = records as f64 / started.elapsed().as_secs_f64();
    drop(sender);
    committer
        .join()
        .map_err(|_| anyhow::anyhow!("the bare committer panicked"))??;
    Ok(rate)
}
