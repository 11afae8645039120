//! The agent console's budget, in headless Chromium against the release gateway on loopback,
//! with one workspace holding an inbox of `CONSOLE_INBOX` (10,000) conversations and two
//! conversations of 500 messages each:
//!
//! 1. first load, every file with brotli as the gateway sends it over HTTPS: ≤ 350 KB (and,
//!    beside it, what Chromium actually fetched);
//! 2. opening a conversation of 500 messages, from the click on its row to its last message's
//!    bubble in the DOM: ≤ 150 ms;
//! 3. an inbound message posted through the API, to its text in the list's row: ≤ 300 ms median
//!    (with a 500-message conversation open, the summary's figure, then with none open);
//! 4. scrolling the inbox while its pages load: frames ≤ 16.7 ms (frame intervals from
//!    `requestAnimationFrame`, and Chromium's long animation frames).
//!
//! The machine is shared and noisy, so every timing is printed beside a floor measured in the
//! same run, in the same browser: (2) the same messages fetched from the same API and drawn as
//! plain `<li>` elements with `innerHTML`, in the console's own page; (3) the inbound POST's
//! own round trip; (4) the same animation-frame loop on the same page, idle. A size has no
//! floor: it does not vary with the machine's load. Nothing is asserted: the bench fails only
//! when something never shows. `CONSOLE_RUNS` (20) sets the repeats of (2) and (3),
//! `CONSOLE_SCROLL_SECONDS` (5) the length of (4); `cargo xtask bench` runs it.

use std::fmt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use fantoccini::Locator;
use fantoccini::wd::TimeoutConfiguration;
use futures_util::{StreamExt, TryStreamExt};
use serde::Deserialize;
use switchboard_e2e::browser::{Browser, eventually, sign_in_to_console};
use switchboard_e2e::{
    Client, Gateway, front_end_size, inbound_message, percentile, run_bench, setting,
};

/// Messages in each of the long conversations.
const LONG_CONVERSATION: usize = 500;
/// Inbound posts in flight at once while the inbox is seeded.
const SEEDING_CONCURRENCY: usize = 32;
/// The list's row height in CSS pixels (`ROW_HEIGHT` in console/src/views/list.rs).
const ROW_HEIGHT: f64 = 68.0;
/// Pixels scrolled at each animation frame.
const SCROLL_STEP: u32 = 200;
/// One frame at 60 Hz, in milliseconds.
const FRAME_BUDGET: f64 = 1000.0 / 60.0;
/// A frame interval that shows a frame whose work overran [`FRAME_BUDGET`]: frames start on the
/// 60 Hz beat, so on-time intervals jitter around 16.7 ms and a late one lasts two beats or more.
const LATE_FRAME: f64 = 1.5 * FRAME_BUDGET;

fn main() -> anyhow::Result<()> {
    let files = front_end_size::console()?;
    for file in &files {
        println!(
            "  {}: {} bytes, {} gzipped, {} with brotli",
            file.name, file.bytes, file.gzipped, file.brotli
        );
    }
    let sent: usize = files.iter().map(|file| file.brotli).sum();
    let first_load = Figure {
        name: "first load, brotli",
        value: sent as f64 / 1000.0,
        unit: "KB",
        budget: front_end_size::CONSOLE_BUDGET as f64 / 1000.0,
        floor: None,
    };
    println!("{first_load}");
    run_bench(in_chromium(first_load))
}

async fn in_chromium(first_load: Figure) -> anyhow::Result<()> {
    let runs = setting("CONSOLE_RUNS", 20);
    let inbox = setting("CONSOLE_INBOX", 10_000);
    let scroll = Duration::from_secs(setting("CONSOLE_SCROLL_SECONDS", 5) as u64);
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = admin.api_channel().await?;

    seed_inbox(&admin, channel, inbox).await?;
    // Seeded last, so that they head the list (newest activity first).
    let (first, second) = tokio::try_join!(
        long_conversation(&admin, channel, "ana"),
        long_conversation(&admin, channel, "bruno"),
    )?;

    let browser = Browser::start(1280, 800).await?;
    // Waits longer than WebDriver's 30 s for the frame loops' answers.
    browser
        .client
        .update_timeouts(TimeoutConfiguration::new(
            Some(2 * scroll + Duration::from_secs(60)),
            None,
            None,
        ))
        .await?;
    sign_in_to_console(&browser, &gateway.base_url).await?;
    first_load_as_fetched(&browser).await?;
    show_every_conversation(&browser).await?;
    for long in [&first, &second] {
        eventually("the long conversations' rows", async || {
            let row = browser
                .client
                .execute(
                    "return !!document.querySelector(`.rows li.row[data-id=\"${arguments[0]}\"]`)",
                    vec![long.conversation.into()],
                )
                .await?;
            Ok((row == true).then_some(()))
        })
        .await?;
    }

    let opening = opening(&browser, [&first, &second], runs).await?;
    let arrival = arrival(&browser, &admin, channel, runs).await?;
    let scrolling = scrolling(&browser, &gateway.base_url, inbox, scroll).await?;
    browser.close().await?;

    println!("\nsummary");
    for figure in [first_load, opening, arrival, scrolling] {
        println!("  {figure}");
    }
    Ok(())
}

/// One line of the summary: a figure beside its budget and beside the floor measured in the
/// same run (none for a size, which does not vary with the machine's load).
struct Figure {
    name: &'static str,
    value: f64,
    unit: &'static str,
    budget: f64,
    floor: Option<f64>,
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Figure {
            name,
            value,
            unit,
            budget,
            floor,
        } = self;
        write!(f, "{name}: {value:.1} {unit} (budget {budget:.1} {unit}, ")?;
        match floor {
            Some(floor) => write!(f, "floor {floor:.1} {unit}, ×{:.1})", value / floor),
            None => write!(f, "no floor, {:.0}% of the budget)", 100.0 * value / budget),
        }
    }
}

/// Timings in milliseconds, sorted for their percentiles.
struct Samples(Vec<u64>);

impl Samples {
    fn new(millis: &[f64]) -> Samples {
        // Whole microseconds, for the shared percentile helper.
        let mut micros: Vec<u64> = millis.iter().map(|ms| (ms * 1000.0) as u64).collect();
        micros.sort_unstable();
        Samples(micros)
    }

    /// The value at `p` (0 to 1), in milliseconds.
    fn at(&self, p: f64) -> f64 {
        percentile(&self.0, p) / 1000.0
    }

    /// The share of samples over `limit` milliseconds, in percent.
    fn share_over(&self, limit: f64) -> f64 {
        let over = self
            .0
            .iter()
            .filter(|&&micros| micros as f64 > limit * 1000.0)
            .count();
        100.0 * over as f64 / self.0.len() as f64
    }

    fn describe(&self) -> String {
        format!(
            "p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.at(0.5),
            self.at(0.95),
            self.at(0.99),
            self.at(1.0)
        )
    }
}

/// `count` conversations, each one inbound message from a contact of its own.
async fn seed_inbox(admin: &Client, channel: u64, count: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    futures_util::stream::iter(0..count)
        .map(|n| async move {
            let email = format!("customer-{n}@example.com");
            let text = format!("Order #{n}: when will it ship?");
            admin
                .post_inbound(
                    channel,
                    &inbound_message(&email, &format!("inbox-{n}"), &text),
                )
                .await
        })
        .buffer_unordered(SEEDING_CONCURRENCY)
        .try_for_each(|_| async { Ok(()) })
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "seeded an inbox of {count} conversations in {seconds:.1} s ({:.0} inbound posts/s)",
        count as f64 / seconds
    );
    Ok(())
}

/// A conversation of [`LONG_CONVERSATION`] inbound messages.
struct LongConversation {
    conversation: u64,
    last_message: u64,
}

async fn long_conversation(
    admin: &Client,
    channel: u64,
    contact: &str,
) -> anyhow::Result<LongConversation> {
    let email = format!("{contact}@example.com");
    let mut stored = None;
    for n in 0..LONG_CONVERSATION {
        let text = format!(
            "Message {n} from {contact}: the parcel for order #{n} left the warehouse but the \
             tracking page still says it is being prepared."
        );
        let ingested = admin
            .post_inbound(
                channel,
                &inbound_message(&email, &format!("{contact}-{n}"), &text),
            )
            .await?;
        if let Some(LongConversation { conversation, .. }) = stored {
            anyhow::ensure!(
                ingested.conversation_id == conversation,
                "{contact}'s messages went into more than one conversation"
            );
        }
        stored = Some(LongConversation {
            conversation: ingested.conversation_id,
            last_message: ingested.message_id,
        });
    }
    stored.context("no messages")
}

/// What the first load (page, Wasm, JS glue, CSS) weighed as Chromium fetched it from this
/// gateway, which may send the files as they are rather than gzipped.
async fn first_load_as_fetched(browser: &Browser) -> anyhow::Result<()> {
    let sizes = browser
        .client
        .execute(
            "return [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')] \
               .filter(entry => !new URL(entry.name).pathname.startsWith('/api/')) \
               .map(entry => [entry.encodedBodySize, entry.decodedBodySize])",
            vec![],
        )
        .await?;
    let sizes: Vec<(u64, u64)> = serde_json::from_value(sizes)?;
    let (sent, files): (u64, u64) = sizes
        .iter()
        .fold((0, 0), |(sent, files), (encoded, decoded)| {
            (sent + encoded, files + decoded)
        });
    println!(
        "first load as Chromium fetched it from the gateway: {:.1} KB over the wire for {:.1} KB of files ({})",
        sent as f64 / 1000.0,
        files as f64 / 1000.0,
        if sent < files {
            "compressed"
        } else {
            "not compressed"
        }
    );
    Ok(())
}

/// Switches the list to every conversation (new ones are unassigned, not the agent's own).
async fn show_every_conversation(browser: &Browser) -> anyhow::Result<()> {
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".view-all"))
        .await?
        .click()
        .await?;
    Ok(())
}

/// Clicks the row of conversation `arguments[0]` and answers the milliseconds until the bubble
/// of message `arguments[1]` is in the DOM, and of those the part after the thread's last page
/// arrived (from the resource timings); or why not.
const OPEN_CONVERSATION: &str = r#"
const [conversation, lastMessage, done] = arguments;
const row = document.querySelector(`.rows li.row[data-id="${conversation}"]`);
const bubble = () => document.querySelector(`.messages li.message[data-id="${lastMessage}"]`);
if (!row) return done('its row is not in the list');
if (bubble()) return done('its last message is drawn already');
performance.clearResourceTimings();
performance.setResourceTimingBufferSize(10000);
let start = null;
const observer = new MutationObserver(() => {
  if (!bubble()) return;
  const drawn = performance.now();
  observer.disconnect();
  clearTimeout(timer);
  const fetched = Math.max(...performance.getEntriesByType('resource')
    .filter(entry => entry.name.includes(`/conversations/${conversation}/messages`))
    .map(entry => entry.responseEnd));
  done([drawn - start, drawn - fetched]);
});
observer.observe(document.body, { childList: true, subtree: true });
const timer = setTimeout(() => { observer.disconnect(); done('its last message was not drawn within 20 s'); }, 20000);
start = performance.now();
row.click();
"#;

/// The floor of [`OPEN_CONVERSATION`]: fetches the messages of conversation `arguments[0]` page
/// by page as the console does, draws them as plain `<li>` bubbles with `innerHTML` into the
/// same page, and answers [total, drawing alone, messages] in milliseconds.
const DRAW_PLAINLY: &str = r#"
const [conversation, done] = arguments;
(async () => {
  const start = performance.now();
  const messages = [];
  let cursor = null;
  do {
    const page = await (await fetch(`/api/v1/conversations/${conversation}/messages?limit=200`
      + (cursor === null ? '' : `&cursor=${cursor}`))).json();
    messages.push(...page.items);
    cursor = page.next_cursor ?? null;
  } while (cursor !== null);
  const fetched = performance.now();
  const time = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
  const escape = text => text.replace(/[&<>]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
  const list = document.createElement('ol');
  list.className = 'messages';
  document.body.append(list);
  list.innerHTML = messages.map(message => `<li class="message in" data-id="${message.id}">`
    + `<div class="meta"><span class="author">Contact</span><time>${time.format(message.created_at)}</time></div>`
    + `<div class="text">${escape(message.text)}</div></li>`).join('');
  const drawn = performance.now();
  list.remove();
  return [drawn - start, drawn - fetched, messages.length];
})().then(done, error => done(String(error)));
"#;

/// Figure 2: the long conversations opened in turn, each open beside its floor.
async fn opening(
    browser: &Browser,
    conversations: [&LongConversation; 2],
    runs: usize,
) -> anyhow::Result<Figure> {
    let (mut opened, mut after_fetch) = (Vec::new(), Vec::new());
    let (mut floor, mut drawing) = (Vec::new(), Vec::new());
    for run in 0..runs {
        // The other one was open last, so each open loads its thread afresh.
        let long = conversations[run % 2];
        let answer = browser
            .client
            .execute_async(
                OPEN_CONVERSATION,
                vec![long.conversation.into(), long.last_message.into()],
            )
            .await?;
        let (total, after): (f64, f64) = serde_json::from_value(answer.clone())
            .with_context(|| format!("opening conversation {}: {answer}", long.conversation))?;
        opened.push(total);
        after_fetch.push(after);
        // Let the open settle (the read mark, the contact) before the floor.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let answer = browser
            .client
            .execute_async(DRAW_PLAINLY, vec![long.conversation.into()])
            .await?;
        let (total, draw, count): (f64, f64, usize) = serde_json::from_value(answer.clone())
            .with_context(|| format!("drawing the messages plainly: {answer}"))?;
        anyhow::ensure!(
            count == LONG_CONVERSATION,
            "the plain drawing fetched {count} messages"
        );
        floor.push(total);
        drawing.push(draw);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let opened = Samples::new(&opened);
    let (floor, drawing) = (Samples::new(&floor), Samples::new(&drawing));
    println!(
        "open a conversation of {LONG_CONVERSATION} messages, click → last bubble in the DOM ({runs} runs): {} (of which after its last page arrived: {})",
        opened.describe(),
        Samples::new(&after_fetch).describe()
    );
    println!(
        "  floor, the same messages fetched and drawn as plain <li> with innerHTML in the same page: {} (of which drawing: {})",
        floor.describe(),
        drawing.describe()
    );
    Ok(Figure {
        name: "open a conversation of 500 messages, median",
        value: opened.at(0.5),
        unit: "ms",
        budget: 150.0,
        floor: Some(floor.at(0.5)),
    })
}

/// Resolves `window.switchboardBenchRow` with the wall-clock time (`Date.now()`, the bench's
/// clock too) at which a row of the list shows `arguments[0]`, or `null` after 20 s.
const WATCH_FOR_ROW: &str = r#"
const text = arguments[0];
const shown = () => [...document.querySelectorAll('.rows .row .title')]
  .some(title => title.textContent.includes(text));
window.switchboardBenchRow = new Promise(resolve => {
  const observer = new MutationObserver(() => {
    if (!shown()) return;
    observer.disconnect();
    resolve(Date.now());
  });
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  setTimeout(() => { observer.disconnect(); resolve(null); }, 20000);
});
"#;

/// Milliseconds since the Unix epoch, the clock of the page's `Date.now()`.
fn wall_clock_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0
}

/// Figure 3: new conversations posted one at a time, each timed from its post to its row,
/// first with the last long conversation still open, then with none open.
async fn arrival(
    browser: &Browser,
    admin: &Client,
    channel: u64,
    runs: usize,
) -> anyhow::Result<Figure> {
    let mut round_trips = Vec::new();
    let beside_a_thread = arrivals(browser, admin, channel, runs, "open", &mut round_trips).await?;
    browser
        .client
        .execute("document.querySelector('.thread .back').click()", vec![])
        .await?;
    eventually("the conversation closed", async || {
        let open = browser
            .client
            .execute("return !!document.querySelector('.messages')", vec![])
            .await?;
        Ok((open == false).then_some(()))
    })
    .await?;
    let alone = arrivals(browser, admin, channel, runs, "closed", &mut round_trips).await?;
    let round_trips = Samples::new(&round_trips);
    println!("inbound message → its row ({runs} runs each, page clock in whole ms)");
    println!(
        "  with a {LONG_CONVERSATION}-message conversation open: {}",
        beside_a_thread.describe()
    );
    println!("  with no conversation open: {}", alone.describe());
    println!(
        "  floor, the inbound POST's own round trip: {}",
        round_trips.describe()
    );
    Ok(Figure {
        name: "inbound message to its row, conversation open, median",
        value: beside_a_thread.at(0.5),
        unit: "ms",
        budget: 300.0,
        floor: Some(round_trips.at(0.5)),
    })
}

/// `runs` inbound messages from new contacts (named after `tag`), each timed from its post to
/// its row; each post's round trip is added to `round_trips`.
async fn arrivals(
    browser: &Browser,
    admin: &Client,
    channel: u64,
    runs: usize,
    tag: &str,
    round_trips: &mut Vec<f64>,
) -> anyhow::Result<Samples> {
    let mut shown = Vec::new();
    for run in 0..runs {
        let text = format!("Arrival {tag} {run}: is my parcel on its way?");
        browser
            .client
            .execute(WATCH_FOR_ROW, vec![text.clone().into()])
            .await?;
        let posted_at = wall_clock_ms();
        let posted = Instant::now();
        admin
            .post_inbound(
                channel,
                &inbound_message(
                    &format!("arrival-{tag}-{run}@example.com"),
                    &format!("arrival-{tag}-{run}"),
                    &text,
                ),
            )
            .await?;
        round_trips.push(posted.elapsed().as_secs_f64() * 1000.0);
        let at = browser
            .client
            .execute_async("window.switchboardBenchRow.then(arguments[0])", vec![])
            .await?;
        let at = at
            .as_f64()
            .with_context(|| format!("`{text}` did not show in the list within 20 s"))?;
        shown.push(at - posted_at);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(Samples::new(&shown))
}

/// Runs an animation-frame loop on the list for `arguments[1]` ms, scrolling it down
/// `arguments[0]` pixels at each frame, and answers the frames, with the long ones (over 50 ms)
/// Chromium reports and the script that took most of each.
const FRAME_LOOP: &str = r#"
const [step, millis, rowHeight, done] = arguments;
const rows = document.querySelector('.rows');
const watching = PerformanceObserver.supportedEntryTypes.includes('long-animation-frame');
const long = [];
const observer = new PerformanceObserver(list => long.push(...list.getEntries()));
if (watching) observer.observe({ type: 'long-animation-frame' });
const cause = entry => {
  const script = entry.scripts.reduce((longest, script) =>
    longest !== null && longest.duration >= script.duration ? longest : script, null);
  return script === null ? 'style, layout and paint' : script.invoker;
};
const intervals = [];
let last = null, end = null;
const frame = now => {
  if (last === null) end = now + millis; else intervals.push(now - last);
  last = now;
  if (now < end) {
    rows.scrollTop += step;
    return requestAnimationFrame(frame);
  }
  long.push(...observer.takeRecords());
  observer.disconnect();
  done({
    intervals,
    long_frames: watching ? long.map(entry => ({ duration: entry.duration, cause: cause(entry) })) : null,
    loaded: Math.round(rows.querySelector('ul').offsetHeight / rowHeight),
    scrolled: rows.scrollTop,
  });
};
requestAnimationFrame(frame);
"#;

/// What [`FRAME_LOOP`] answers.
#[derive(Deserialize)]
struct Frames {
    /// Between consecutive animation frames, in milliseconds.
    intervals: Vec<f64>,
    /// The long animation frames, where Chromium reports them.
    long_frames: Option<Vec<LongFrame>>,
    /// Conversations the list had loaded at the end.
    loaded: u64,
    /// Where the list was scrolled to, in pixels.
    scrolled: f64,
}

#[derive(Deserialize)]
struct LongFrame {
    duration: f64,
    /// What invoked the script that took longest in it (`Response.json.then`, say).
    cause: String,
}

impl Frames {
    fn describe(&self) -> String {
        let intervals = Samples::new(&self.intervals);
        let long = match &self.long_frames {
            Some(long) if long.is_empty() => "no long animation frames (> 50 ms)".to_string(),
            Some(long) => {
                let mut causes = std::collections::BTreeMap::<&str, usize>::new();
                for frame in long {
                    *causes.entry(&frame.cause).or_default() += 1;
                }
                let causes: Vec<String> = causes
                    .iter()
                    .map(|(cause, count)| format!("{cause} ×{count}"))
                    .collect();
                format!(
                    "{} long animation frames (> 50 ms), longest {:.0} ms; their longest scripts ran from {}",
                    long.len(),
                    long.iter().map(|frame| frame.duration).fold(0.0, f64::max),
                    causes.join(", ")
                )
            }
            None => "long animation frames not reported by this Chromium".into(),
        };
        format!(
            "{} frames, interval {}, {:.1}% late (over {LATE_FRAME:.0} ms); {long}",
            self.intervals.len() + 1,
            intervals.describe(),
            intervals.share_over(LATE_FRAME)
        )
    }
}

/// Figure 4: a freshly loaded console's list scrolled while its pages load, beside the same
/// frame loop idle.
async fn scrolling(
    browser: &Browser,
    base_url: &str,
    inbox: usize,
    scroll: Duration,
) -> anyhow::Result<Figure> {
    browser.client.goto(&format!("{base_url}/app/")).await?;
    show_every_conversation(browser).await?;
    eventually("the list's first page", async || {
        let rows = browser
            .client
            .execute(
                "return document.querySelectorAll('.rows li.row').length",
                vec![],
            )
            .await?;
        Ok((rows.as_u64() > Some(0)).then_some(()))
    })
    .await?;
    // The first page's contacts are asked for one by one; let them come.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let frame_loop = async |step: u32| -> anyhow::Result<Frames> {
        let answer = browser
            .client
            .execute_async(
                FRAME_LOOP,
                vec![
                    step.into(),
                    (scroll.as_millis() as u64).into(),
                    ROW_HEIGHT.into(),
                ],
            )
            .await?;
        Ok(serde_json::from_value(answer)?)
    };
    let idle = frame_loop(0).await?;
    let scrolled = frame_loop(SCROLL_STEP).await?;
    println!(
        "scroll an inbox of {inbox} conversations, {SCROLL_STEP} px a frame for {} s ({:.0} px, {} conversations loaded by the end): {}",
        scroll.as_secs(),
        scrolled.scrolled,
        scrolled.loaded,
        scrolled.describe()
    );
    println!(
        "  floor, the same frame loop idle on the same page: {}",
        idle.describe()
    );
    Ok(Figure {
        name: "scroll frame interval, p95",
        value: Samples::new(&scrolled.intervals).at(0.95),
        unit: "ms",
        budget: FRAME_BUDGET,
        floor: Some(Samples::new(&idle.intervals).at(0.95)),
    })
}
