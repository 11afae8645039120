//! Installs what the test suite needs, each step only when it is missing, so that a fresh
//! machine and a warm one run the same command. Nothing here downloads a prebuilt binary:
//! tools come from rustup, crates.io (`cargo install`), npm or Debian's packages.

use std::process::Command;

use anyhow::{Context, bail};

/// Debian packages the suite uses: a private Dovecot (IMAP, and LMTP for local delivery) and
/// Postfix (SMTP) for the mail tests (`tests/src/mail_rig.rs`), and `openssl` to make their
/// throwaway certificates. Installing `postfix` removes any other MTA (exim4) the image has.
/// `chromium` and `chromium-driver` run the widget's browser tests (headless, never a
/// downloaded browser). `util-linux` gives `prlimit`, with which a test runs the gateway under
/// a file size limit (a full disk, as the store meets it). `wordpress` (with a default theme, PHP
/// and MariaDB's server) runs a private WordPress site for the plugin's browser test
/// (`tests/src/wordpress.rs`); its Apache dependency is installed but never started. `brotli`
/// makes the compressed copies of the browser apps' files that the gateway sends. `postgresql`
/// and `nats-server` run privately for the scale-out tests (`tests/src/scale_rig.rs`); their
/// packaged services are never started.
const DEBIAN_PACKAGES: &[&str] = &[
    "dovecot-imapd",
    "dovecot-lmtpd",
    "postfix",
    "openssl",
    "chromium",
    "chromium-driver",
    "util-linux",
    "wordpress",
    "wordpress-theme-twentytwentythree",
    "php-cli",
    "php-mysql",
    "mariadb-server-core",
    "brotli",
    "postgresql",
    "nats-server",
];
/// Debian packages only the benchmarks use: `wrk` loads the API from a second process.
const BENCH_PACKAGES: &[&str] = &["wrk"];
/// rustup targets the suite builds for: plugins (WASI) and the widget (browser).
const RUST_TARGETS: &[&str] = &["wasm32-wasip2", "wasm32-unknown-unknown"];
/// rustup components the suite's checks run: `cargo clippy` and `cargo fmt`.
const RUST_COMPONENTS: &[&str] = &["clippy", "rustfmt"];
/// Tools built from crates.io: (binary, crate, version, whether `--locked` works).
/// wasm-bindgen-cli's own lockfile names a crate version crates.io no longer serves.
const CARGO_TOOLS: &[(&str, &str, &str, bool)] = &[
    ("trunk", "trunk", "0.21.14", true),
    ("wasm-bindgen", "wasm-bindgen-cli", "0.2.130", false),
];

/// What only `cargo xtask fuzz` uses: cargo-fuzz, which drives libFuzzer.
const FUZZ_TOOLS: &[(&str, &str, &str, bool)] = &[("cargo-fuzz", "cargo-fuzz", "0.13.2", true)];

/// Everything the tests need.
pub fn install() -> anyhow::Result<()> {
    install_debian_packages(DEBIAN_PACKAGES)?;
    install_build_tools()
}

/// What building the gateway, its plugins and the widget needs.
pub fn install_build_tools() -> anyhow::Result<()> {
    install_with_rustup("target", RUST_TARGETS)?;
    install_with_rustup("component", RUST_COMPONENTS)?;
    install_cargo_tools(CARGO_TOOLS)?;
    install_npm_tools()
}

/// The release of Twilio's helper library whose request validator signs the SMS tests'
/// webhooks, as Twilio itself would.
const TWILIO_LIBRARY: &str = "9.13.0";

/// A Python environment at `venv` with Twilio's helper library from PyPI, for the SMS tests
/// (`switchboard_e2e::sms_stand_in::provider_python` finds it at `target/provider-venv`).
pub fn install_provider_libraries(venv: &std::path::Path) -> anyhow::Result<()> {
    let python = venv.join("bin/python");
    let installed = format!("import twilio; assert twilio.__version__ == '{TWILIO_LIBRARY}'");
    if Command::new(&python)
        .args(["-c", &installed])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
    {
        return Ok(());
    }
    run("python3", &["-m", "venv", &venv.to_string_lossy()])?;
    run(
        &python.to_string_lossy(),
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            &format!("twilio=={TWILIO_LIBRARY}"),
        ],
    )
}

/// The schemathesis release `cargo xtask api-fuzz` runs.
const SCHEMATHESIS: &str = "4.32.5";

/// A Python environment at `venv` with schemathesis from PyPI; answers its `python`.
pub fn install_schemathesis(venv: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let python = venv.join("bin/python");
    let st = venv.join("bin/st");
    if output(&st.to_string_lossy(), &["--version"])
        .is_ok_and(|version| version.contains(SCHEMATHESIS))
    {
        return Ok(python);
    }
    run("python3", &["-m", "venv", &venv.to_string_lossy()])?;
    run(
        &python.to_string_lossy(),
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            &format!("schemathesis=={SCHEMATHESIS}"),
        ],
    )?;
    Ok(python)
}

/// What fuzzing needs: the plugins' target and cargo-fuzz.
pub fn install_for_fuzz() -> anyhow::Result<()> {
    install_with_rustup("target", RUST_TARGETS)?;
    install_cargo_tools(FUZZ_TOOLS)
}

/// Where `cargo install` puts binaries.
pub fn cargo_bin() -> std::path::PathBuf {
    let home = std::env::var_os("CARGO_HOME").map_or_else(
        || std::path::Path::new(&std::env::var_os("HOME").unwrap_or_default()).join(".cargo"),
        std::path::PathBuf::from,
    );
    home.join("bin")
}

fn install_cargo_tools(tools: &[(&str, &str, &str, bool)]) -> anyhow::Result<()> {
    for (binary, krate, version, locked) in tools {
        let path = cargo_bin().join(binary);
        let current = output(&path.to_string_lossy(), &["--version"]).unwrap_or_default();
        if current.split_whitespace().nth(1) == Some(*version) {
            continue;
        }
        println!("installing {krate} {version} with cargo install");
        let mut args = vec!["install", *krate, "--version", *version, "--force"];
        if *locked {
            args.push("--locked");
        }
        run("cargo", &args)?;
    }
    Ok(())
}

/// `tools/node_modules`, from the committed lockfile: binaryen's `wasm-opt`.
fn install_npm_tools() -> anyhow::Result<()> {
    let wasm_opt = std::path::Path::new("tools/node_modules/.bin/wasm-opt");
    if output(&wasm_opt.to_string_lossy(), &["--version"])
        .is_ok_and(|version| version.contains("version 132"))
    {
        return Ok(());
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir("tools")
        .status()
        .context("cannot run npm (Node.js is needed for binaryen's wasm-opt)")?;
    if !status.success() {
        bail!("`npm ci` in tools/ failed ({status})");
    }
    Ok(())
}

/// What the benchmarks need beyond the suite.
pub fn install_for_bench() -> anyhow::Result<()> {
    install()?;
    install_debian_packages(BENCH_PACKAGES)
}

/// Adds the rustup `kind`s (`target` or `component`) in `wanted` that are missing. rustup
/// lists a component with its host's triple after it (`clippy-x86_64-unknown-linux-gnu`).
fn install_with_rustup(kind: &str, wanted: &[&str]) -> anyhow::Result<()> {
    if wanted.is_empty() {
        return Ok(());
    }
    let installed = output("rustup", &[kind, "list", "--installed"])?;
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|name| {
            !installed
                .lines()
                .any(|line| line == *name || line.starts_with(&format!("{name}-")))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut args = vec![kind, "add"];
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
