//! What the browser apps weigh as browsers fetch them: the widget's loader gzipped with
//! `gzip -9`, and each file of the built chat app and agent console (page, Wasm, JS glue, CSS)
//! as the gateway sends them to a browser over HTTPS, compressed with `brotli -q 11` (and, for
//! browsers without brotli, gzipped).

use std::io::Write;

use anyhow::Context;

use crate::{target_dir, workspace_root};

/// The loader's budget, gzipped.
pub const LOADER_BUDGET: usize = 2_000;
/// The whole chat app's budget, compressed as sent.
pub const APP_BUDGET: usize = 100_000;
/// The agent console's first load, compressed as sent (Chatwoot's dashboard weighs several
/// megabytes).
pub const CONSOLE_BUDGET: usize = 350_000;
/// The settings' page, which admins alone load when they open the settings (and their browser
/// keeps until the next build), compressed as sent: every admin screen is in it.
pub const SETTINGS_BUDGET: usize = 400_000;

/// One file and its size, as stored and as sent.
#[derive(Debug)]
pub struct Weighed {
    pub name: String,
    pub bytes: usize,
    pub gzipped: usize,
    /// With brotli, as the gateway sends the apps' files to browsers that take it.
    pub brotli: usize,
}

fn weigh(path: &std::path::Path) -> anyhow::Result<Weighed> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Weighed {
        name: path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
        bytes: bytes.len(),
        gzipped: compressed("gzip", &["-9", "-c"], &bytes)?,
        brotli: compressed("brotli", &["-q", "11", "-c"], &bytes)?,
    })
}

/// How many bytes `program` with `args` makes of `bytes`.
fn compressed(program: &str, args: &[&str], bytes: &[u8]) -> anyhow::Result<usize> {
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {program}; `cargo xtask setup` installs it"))?;
    // Written from another thread while this one reads: a file whose compressed copy outgrows
    // the pipe would otherwise leave the compressor waiting to write and this waiting for it
    // to read.
    let mut input = child.stdin.take().context("the compressor's input")?;
    let owned = bytes.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&owned));
    let size = child.wait_with_output()?.stdout.len();
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("the writer of {program}'s input panicked"))??;
    Ok(size)
}

/// The loader site owners' pages fetch.
pub fn loader() -> anyhow::Result<Weighed> {
    weigh(&workspace_root().join("www/widget/loader.js"))
}

/// Every file of the built chat app (`cargo xtask test` and `bench` build it first).
pub fn chat_app() -> anyhow::Result<Vec<Weighed>> {
    built("widget-dist")
}

/// Every file of the built agent console, all of which its first load fetches (the settings'
/// page's files are in a folder of their own).
pub fn console() -> anyhow::Result<Vec<Weighed>> {
    built("console-dist")
}

/// Every file of the built settings' page, all of which it fetches.
pub fn settings_page() -> anyhow::Result<Vec<Weighed>> {
    built("console-dist/admin")
}

fn built(folder: &str) -> anyhow::Result<Vec<Weighed>> {
    let dist = target_dir().join(folder);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dist).with_context(|| format!("no {}", dist.display()))? {
        let path = entry?.path();
        // The build's compressed copies are what the gateway sends of the files beside them.
        if !path.is_file()
            || path
                .extension()
                .is_some_and(|extension| extension == "gz" || extension == "br")
        {
            continue;
        }
        files.push(weigh(&path)?);
    }
    anyhow::ensure!(!files.is_empty(), "{} is empty", dist.display());
    Ok(files)
}

/// Fails, naming every file, unless `files` (a built app, `what`) hold their Wasm and weigh
/// `budget` bytes or less as sent with brotli.
pub fn ensure_within(what: &str, files: &[Weighed], budget: usize) -> anyhow::Result<()> {
    let total: usize = files.iter().map(|file| file.brotli).sum();
    anyhow::ensure!(
        total <= budget,
        "the {what} is {total} bytes with brotli, over its budget of {budget}: {files:?}"
    );
    anyhow::ensure!(
        files.iter().any(|file| file.name.ends_with(".wasm")),
        "the {what} has no Wasm: {files:?}"
    );
    Ok(())
}
