//! Installs what the test suite needs, each step only when it is missing, so that a fresh
//! machine and a warm one run the same command. Nothing here downloads a prebuilt binary:
//! tools come from rustup, crates.io (`cargo install`), npm or Debian's packages.

use std::process::Command;

use anyhow::{Context, bail};

/// Debian packages the suite uses: a private Dovecot (IMAP, and LMTP for local delivery) and
/// Postfix (SMTP) for the mail tests (`tests/src/mail_rig.rs`), and `openssl` to make their
/// throwaway certificates. Installing `postfix` removes any other MTA (exim4) the image has.
const DEBIAN_PACKAGES: &[&str] = &["dovecot-imapd", "dovecot-lmtpd", "postfix", "openssl"];
/// Debian packages only the benchmarks use: `wrk` loads the API from a second process.
const BENCH_PACKAGES: &[&str] = &["wrk"];
/// rustup targets the suite builds for.
const RUST_TARGETS: &[&str] = &["wasm32-wasip2"];

pub fn install() -> anyhow::Result<()> {
    install_rust_targets()?;
    install_debian_packages(DEBIAN_PACKAGES)
}

/// What the benchmarks need beyond the suite.
pub fn install_for_bench() -> anyhow::Result<()> {
    install()?;
    install_debian_packages(BENCH_PACKAGES)
}

fn install_rust_targets() -> anyhow::Result<()> {
    if RUST_TARGETS.is_empty() {
        return Ok(());
    }
    let installed = output("rustup", &["target", "list", "--installed"])?;
    let missing: Vec<&str> = RUST_TARGETS
        .iter()
        .copied()
        .filter(|target| !installed.lines().any(|line| line == *target))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut args = vec!["target", "add"];
    args.extend(&missing);
    run("rustup", &args)
}

fn install_debian_packages(packages: &[&str]) -> anyhow::Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|package| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", package])
                .output()
                .is_ok_and(|out| {
                    String::from_utf8_lossy(&out.stdout).contains("install ok installed")
                })
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("installing Debian packages: {}", missing.join(" "));
    run("apt-get", &["update", "-q"])?;
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend(&missing);
    let status = Command::new("apt-get")
        .args(&args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("cannot run apt-get")?;
    if !status.success() {
        bail!("`apt-get install {}` failed ({status})", missing.join(" "));
    }
    Ok(())
}

fn output(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {program}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn run(program: &str, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new(program)
        .args(args)
        .status()
        .with_context(|| format!("cannot run {program}"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}
