//! The build helper behind the README's commands.
//!
//! - `cargo xtask run [--release]`: build everything and run the gateway on 127.0.0.1:8080
//!   with its store under `data/`; it prints the URLs and the first login.
//! - `cargo xtask test`: install what the suite needs (idempotently), then run every test.
//! - `cargo xtask bench`: build the release gateway and run the benchmarks.
//! - `cargo xtask fuzz [SECONDS]`: run each fuzzing target in `fuzz/` for SECONDS (150).
//! - `cargo xtask api-fuzz [SECONDS]`: test the served API description with schemathesis (600).
//! - `cargo xtask setup`: only the installation step of `test`.

mod plugin;
mod setup;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("run") => run(&root, args.iter().any(|arg| arg == "--release")),
        Some("test") => test(&root),
        Some("bench") => bench(&root),
        Some("fuzz") => fuzz(&root, seconds(&args, 150)?),
        Some("api-fuzz") => api_fuzz(&root, seconds(&args, 600)?),
        Some("plugin") => plugin::run(&root, &args[1..]),
        Some("setup") => setup::install().and_then(|()| {
            setup::install_provider_libraries(&target_dir(&root).join("provider-venv"))
        }),
        _ => {
            eprintln!(
                "usage: cargo xtask <run [--release] | test | bench | fuzz [SECONDS] | api-fuzz [SECONDS] | plugin <new NAME | keygen FILE | pack NAME --key FILE> | setup>"
            );
            bail!("unknown or missing command")
        }
    }
}

/// The command's SECONDS argument, `default` when it has none.
fn seconds(args: &[String], default: u64) -> anyhow::Result<u64> {
    args.get(1).map_or(Ok(default), |seconds| {
        seconds
            .parse()
            .with_context(|| format!("`{seconds}` is not a number of seconds"))
    })
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Runs a command, failing with its name when it fails.
pub fn cargo(args: &[&str], envs: &[(&str, &Path)]) -> anyhow::Result<()> {
    cargo_in(Path::new("."), args, envs)
}

/// [`cargo`] in the folder `dir` (another workspace of the project).
fn cargo_in(dir: &Path, args: &[&str], envs: &[(&str, &Path)]) -> anyhow::Result<()> {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(dir).args(args);
    for (key, value) in envs {
        command.env(key, value);
    }
    let status = command
        .status()
        .with_context(|| format!("cannot run cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

fn run(root: &Path, release: bool) -> anyhow::Result<()> {
    setup::install_build_tools()?;
    build_front_ends(root)?;
    let profile = if release { "release" } else { "debug" };
    let mut build = vec!["build", "-p", "switchboard"];
    if release {
        build.push("--release");
    }
    cargo(&build, &[])?;
    let binary = target_dir(root).join(profile).join("switchboard");
    let config = root.join("switchboard.toml");
    let mut command = Command::new(&binary);
    // The demo shop is for trying the widget on this machine, never for a gateway in production.
    if std::env::var_os("SWITCHBOARD_WEB__DEMO_PAGES").is_none() {
        command.env("SWITCHBOARD_WEB__DEMO_PAGES", "true");
    }
    if config.exists() {
        command.arg("--config").arg(&config);
    }
    let status = command
        .status()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    if !status.success() {
        bail!("the gateway stopped with {status}");
    }
    Ok(())
}

fn test(root: &Path) -> anyhow::Result<()> {
    setup::install()?;
    setup::install_provider_libraries(&target_dir(root).join("provider-venv"))?;
    lint(root)?;
    build_front_ends(root)?;
    // The whole workspace, not only the gateway's package: built alone, the gateway resolves
    // its dependencies' features apart from the tests and everything would build twice.
    cargo(&["build", "--workspace"], &[])?;
    let binary = target_dir(root).join("debug/switchboard");
    // The adapters' own rules (escaping, cutting text), natively: no gateway needed.
    cargo_in(
        &root.join("channel-plugins"),
        &["test", "--workspace", "--no-fail-fast"],
        &[("CARGO_TARGET_DIR", &target_dir(root).join("plugins"))],
    )?;
    cargo(
        &["test", "--workspace", "--no-fail-fast"],
        &[("GATEWAY_BIN", &binary)],
    )
}

/// The project's workspaces besides the gateway's: their folder, the target they build for,
/// and the folder under `target/` they build in.
const OTHER_WORKSPACES: &[(&str, &str, &str)] = &[
    ("console", "wasm32-unknown-unknown", "console"),
    ("widget", "wasm32-unknown-unknown", "widget"),
    ("front", "wasm32-unknown-unknown", "console"),
    ("channel-plugins", "wasm32-wasip2", "plugins"),
];

/// The habits every change keeps, checked before the tests: every workspace formatted, and
/// clippy-clean with warnings as errors.
fn lint(root: &Path) -> anyhow::Result<()> {
    cargo(&["fmt", "--all", "--check"], &[])?;
    cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    for (folder, target, build_folder) in OTHER_WORKSPACES {
        let dir = root.join(folder);
        cargo_in(&dir, &["fmt", "--check"], &[])?;
        cargo_in(
            &dir,
            &[
                "clippy",
                "--release",
                "--target",
                target,
                "--",
                "-D",
                "warnings",
            ],
            &[("CARGO_TARGET_DIR", &target_dir(root).join(build_folder))],
        )?;
    }
    Ok(())
}

fn bench(root: &Path) -> anyhow::Result<()> {
    setup::install_for_bench()?;
    build_front_ends(root)?;
    cargo(&["build", "--release", "-p", "switchboard"], &[])?;
    let binary = target_dir(root).join("release/switchboard");
    cargo(
        &["bench", "-p", "switchboard-e2e"],
        &[("GATEWAY_BIN", &binary)],
    )?;
    // Plugin calls on their own, and email normalization inside the sandbox beside the same
    // mail-parser work run natively.
    cargo(&["bench", "-p", "switchboard-plugins"], &[])
}

/// Fuzzing targets and their seeds: inputs the project keeps for its tests where it has them.
const FUZZ_TARGETS: &[(&str, &str)] = &[
    ("write_ahead_log", "fuzz/seeds/write_ahead_log"),
    ("smtp_session", "fuzz/seeds/smtp_session"),
    ("email_adapter", "tests/resources/email"),
    ("webhook_template", "fuzz/seeds/webhook_template"),
];

/// Runs each fuzzing target for `seconds` with libFuzzer (through cargo-fuzz, on the stable
/// compiler). Inputs that reach new code are kept in `target/fuzz-corpus/` for the next run; an
/// input that crashes a target fails the command and is left in `fuzz/artifacts/`, to be kept
/// as a regression test once fixed.
fn fuzz(root: &Path, seconds: u64) -> anyhow::Result<()> {
    setup::install_for_fuzz()?;
    for (target, seeds) in FUZZ_TARGETS {
        let corpus = target_dir(root).join("fuzz-corpus").join(target);
        std::fs::create_dir_all(&corpus)?;
        println!("fuzzing {target} for {seconds} s");
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "fuzz",
                "run",
                "--fuzz-dir",
                "fuzz",
                "--sanitizer",
                "none",
                target,
            ])
            .arg(&corpus)
            .arg(root.join(seeds))
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-rss_limit_mb=4096")
            .arg("-timeout=30")
            // cargo-fuzz passes compiler flags that only a nightly compiler takes otherwise.
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_DIR", target_dir(root).join("fuzz"))
            .status()
            .context("cannot run cargo fuzz")?;
        if !status.success() {
            bail!(
                "fuzzing {target} failed ({status}): a build error is printed above; a crash leaves its input in fuzz/artifacts/{target}/"
            );
        }
    }
    Ok(())
}

/// Tests every operation of the API description a fresh gateway serves with schemathesis
/// (from PyPI, in `target/api-fuzz-venv`) for `seconds`: no answer may be a 5xx, and every
/// refusal must be in the documented error shape (`tools/api-fuzz/hooks.py`). The gateway runs
/// on a store of its own in a temporary folder; the findings are in `target/api-fuzz-report/`.
fn api_fuzz(root: &Path, seconds: u64) -> anyhow::Result<()> {
    let python = setup::install_schemathesis(&target_dir(root).join("api-fuzz-venv"))?;
    cargo(&["build", "-p", "switchboard"], &[])?;
    let data = target_dir(root).join("api-fuzz-data");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data)?;
    const PASSWORD: &str = "api-fuzz-admin-password";
    let mut gateway = Command::new(target_dir(root).join("debug/switchboard"))
        .env("SWITCHBOARD_SERVER__LISTEN", "127.0.0.1:0")
        .env("SWITCHBOARD_MAIL__LISTEN", "")
        .env("SWITCHBOARD_STORE__PATH", data.join("store"))
        .env("SWITCHBOARD_STORE__SECRET_KEY", data.join("secret.key"))
        .env("SWITCHBOARD_PLUGINS__FOLDER", data.join("plugins"))
        .env("SWITCHBOARD_PLUGINS__CACHE", data.join("plugin-cache"))
        .env("SWITCHBOARD_BOOTSTRAP__ADMIN_EMAIL", "admin@example.com")
        .env("SWITCHBOARD_BOOTSTRAP__ADMIN_PASSWORD", PASSWORD)
        .env("SWITCHBOARD_LOG__FILTER", "error")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("cannot start the gateway")?;
    let base = {
        use std::io::BufRead;
        let stdout = gateway.stdout.take().context("the gateway's output")?;
        let mut lines = std::io::BufReader::new(stdout).lines();
        let base = lines.by_ref().map_while(Result::ok).find_map(|line| {
            line.strip_prefix("Switchboard is running at ")
                .map(str::to_string)
        });
        // Keep reading, so that the gateway never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        base
    };
    let outcome = match base {
        Some(base) => Command::new(&python)
            .arg(root.join("tools/api-fuzz/run.py"))
            .args([&base, "admin@example.com", PASSWORD, &seconds.to_string()])
            .arg(target_dir(root).join("api-fuzz-report"))
            .status()
            .context("cannot run schemathesis"),
        None => Err(anyhow::anyhow!("the gateway stopped before it was ready")),
    };
    let _ = gateway.kill();
    let _ = gateway.wait();
    if !outcome?.success() {
        bail!("schemathesis found answers out of the API's promises; see its output above");
    }
    Ok(())
}

/// Builds the browser apps with Trunk (offline: the `wasm-bindgen` and `wasm-opt` that setup
/// installed): the chat widget into `target/widget-dist` (as `Trunk.toml` says), the agent
/// console into `target/console-dist`, and its settings' page (which only admins load) into
/// `target/console-dist/admin`, where the gateway serves them from. The console first: Trunk
/// empties its folder.
fn build_front_ends(root: &Path) -> anyhow::Result<()> {
    trunk_build(root, &[], "widget")?;
    let console_dist = target_dir(root).join("console-dist");
    let admin_dist = console_dist.join("admin");
    for (page, dist, url) in [
        ("console/index.html", &console_dist, "/app/"),
        ("console/settings.html", &admin_dist, "/app/admin/"),
    ] {
        trunk_build(
            root,
            &[
                page.as_ref(),
                "--dist".as_ref(),
                dist.as_os_str(),
                "--public-url".as_ref(),
                url.as_ref(),
            ],
            "console",
        )?;
    }
    for dist in [
        target_dir(root).join("widget-dist"),
        console_dist,
        admin_dist,
    ] {
        compress_beside(&dist)?;
    }
    Ok(())
}

/// Puts a brotli copy (`name.br`, `brotli -q 11`) and a gzipped one (`name.gz`, `gzip -9`)
/// beside each file a browser fetches from `dist`; the gateway sends the smallest copy the
/// browser takes (every current browser takes brotli over HTTPS).
fn compress_beside(dist: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dist).with_context(|| format!("no {}", dist.display()))? {
        let path = entry?.path();
        let fetched = path
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| ["wasm", "js", "css", "html", "svg"].contains(&extension));
        if !fetched {
            continue;
        }
        for (program, args) in [
            ("gzip", ["-9", "--keep", "--force", "--no-name"].as_slice()),
            ("brotli", ["-q", "11", "--keep", "--force"].as_slice()),
        ] {
            let status = Command::new(program)
                .args(args)
                .arg(&path)
                .status()
                .with_context(|| format!("cannot run {program}"))?;
            if !status.success() {
                bail!("{program} of {} failed ({status})", path.display());
            }
        }
    }
    Ok(())
}

/// `trunk build --release` with `args`, compiling into `target/{cache}`.
fn trunk_build(root: &Path, args: &[&std::ffi::OsStr], cache: &str) -> anyhow::Result<()> {
    let path = std::env::join_paths(
        [setup::cargo_bin(), root.join("tools/node_modules/.bin")]
            .into_iter()
            .chain(std::env::split_paths(
                &std::env::var_os("PATH").unwrap_or_default(),
            )),
    )?;
    let status = Command::new(setup::cargo_bin().join("trunk"))
        .arg("build")
        .args(args)
        .arg("--release=true")
        .env("PATH", path)
        .env("TRUNK_SKIP_VERSION_CHECK", "true")
        .env("CARGO_TARGET_DIR", target_dir(root).join(cache))
        .status()
        .context("cannot run trunk; `cargo xtask setup` installs it")?;
    if !status.success() {
        bail!("`trunk build --release` of the {cache} failed ({status})");
    }
    Ok(())
}
