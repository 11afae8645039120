//! The website widget's size and speed budget: the loader and the chat app (Wasm, JS glue,
//! CSS) gzipped as browsers fetch them, then, in headless Chromium on loopback, the time from
//! navigation to the launcher on the page (the loader draws it once the gateway answered with
//! the widget's settings; taken when a script of the page first finds it, an upper bound), and
//! from `Switchboard.open()` on a freshly loaded page to the chat app reporting `ready`.
//!
//! Budgets: loader ≤ 2 KB gzipped, app ≤ 100 KB with brotli (as the gateway sends it over
//! HTTPS); launcher ≤ 100 ms; open → usable ≤ 300 ms.
//! `cargo xtask bench` runs it after building the widget; `WIDGET_RUNS` (10) sets the repeats.

use anyhow::Context;
use switchboard_e2e::browser::Browser;
use switchboard_e2e::{Gateway, front_end_size, run_bench, setting};

fn main() -> anyhow::Result<()> {
    let loader = front_end_size::loader()?;
    println!(
        "loader: {} bytes, {} gzipped (budget {})",
        loader.bytes,
        loader.gzipped,
        front_end_size::LOADER_BUDGET
    );
    let mut total = 0;
    for file in front_end_size::chat_app()? {
        total += file.brotli;
        println!(
            "  {}: {} bytes, {} gzipped, {} with brotli",
            file.name, file.bytes, file.gzipped, file.brotli
        );
    }
    println!(
        "chat app (page, Wasm, JS glue, CSS): {total} bytes with brotli (budget {})",
        front_end_size::APP_BUDGET
    );

    run_bench(timings())
}

async fn timings() -> anyhow::Result<()> {
    let runs = setting("WIDGET_RUNS", 10);
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let browser = Browser::start(1280, 800).await?;
    let (mut launcher, mut open) = (Vec::new(), Vec::new());
    let mut warm = 0;
    while open.len() < runs {
        browser.client.goto("about:blank").await?;
        browser
            .client
            .goto(&format!("{}/demo/index.html", gateway.base_url))
            .await?;
        // A cold open only: when the loader already made the frame in idle time, the page is
        // loaded again (`null`).
        let measured = browser
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 const measure = () => { \
                   const host = document.getElementById('switchboard-widget'); \
                   if (!host) return requestAnimationFrame(measure); \
                   const shown = performance.now(); \
                   if (host.shadowRoot.querySelector('iframe')) return done(null); \
                   const start = performance.now(); \
                   window.Switchboard.on('ready', () => done([shown, performance.now() - start])); \
                   window.Switchboard.open(); \
                 }; \
                 measure();",
                vec![],
            )
            .await?;
        if measured.is_null() {
            warm += 1;
            anyhow::ensure!(
                warm < 10 * runs,
                "the frame was always made before the open"
            );
            continue;
        }
        launcher.push(measured[0].as_f64().context("launcher time")?);
        open.push(measured[1].as_f64().context("open time")?);
    }
    browser.close().await?;
    let median = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        (values[values.len() / 2], values[values.len() - 1])
    };
    let (launcher_median, launcher_max) = median(&mut launcher);
    let (open_median, open_max) = median(&mut open);
    println!(
        "page load → launcher drawn: median {launcher_median:.0} ms, max {launcher_max:.0} ms (budget 100)"
    );
    println!(
        "Switchboard.open() → chat app ready (cold): median {open_median:.0} ms, max {open_max:.0} ms (budget 300)"
    );
    Ok(())
}
