//! A private PostgreSQL and a private nats-server for the scale-out tests, from Debian's
//! packages, each on free loopback ports with its data in the test's own temporary folder, as
//! `../shared/recipes/postgres-nats.md` describes: PostgreSQL runs as its package's `postgres`
//! user (it refuses root), and each is stopped by its own handle when dropped, never by name.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::mail_rig::free_ports;

/// Where Debian's PostgreSQL 15 keeps its programs.
const POSTGRES_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A running PostgreSQL with a `switchboard` database and a `sb` user that needs no password.
pub struct Postgres {
    pub url: String,
    pub port: u16,
    data: PathBuf,
    _folder: tempfile::TempDir,
}

impl Postgres {
    pub fn start() -> anyhow::Result<Postgres> {
        let folder = tempfile::tempdir()?;
        let root = folder.path();
        as_root(Command::new("chown").args(["postgres:postgres"]).arg(root))?;
        let data = root.join("pg");
        as_postgres(
            Command::new(Path::new(POSTGRES_BIN).join("initdb"))
                .arg("-D")
                .arg(&data)
                .args(["-U", "sb", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
        )?;
        let [port] = free_ports()?;
        as_postgres(
            Command::new(Path::new(POSTGRES_BIN).join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(root.join("pg.log"))
                .args(["-w", "start", "-o"])
                .arg(format!(
                    "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
                    root.display()
                )),
        )?;
        let postgres = Postgres {
            url: format!("postgres://sb@127.0.0.1:{port}/switchboard"),
            port,
            data,
            _folder: folder,
        };
        postgres.psql("postgres", "create database switchboard")?;
        Ok(postgres)
    }

    /// What `psql` prints for `sql` run in `database` (unaligned, without headers).
    pub fn psql(&self, database: &str, sql: &str) -> anyhow::Result<String> {
        let output = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "sb",
                "-d",
                database,
            ])
            .args(["-X", "-A", "-t", "-c", sql])
            .output()
            .context("cannot run psql")?;
        if !output.status.success() {
            bail!("psql `{sql}`: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = as_postgres(
            Command::new(Path::new(POSTGRES_BIN).join("pg_ctl"))
                .arg("-D")
                .arg(&self.data)
                .args(["-m", "fast", "-w", "stop"]),
        );
    }
}

/// A running nats-server with JetStream, and its monitoring port.
pub struct Nats {
    pub url: String,
    pub monitor_port: u16,
    server: Child,
    _folder: tempfile::TempDir,
}

impl Nats {
    pub fn start() -> anyhow::Result<Nats> {
        let folder = tempfile::tempdir()?;
        let [port, monitor_port] = free_ports()?;
        let server = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .args(["-m", &monitor_port.to_string(), "-js", "-sd"])
            .arg(folder.path().join("js"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start nats-server; `cargo xtask setup` installs it")?;
        let nats = Nats {
            url: format!("nats://127.0.0.1:{port}"),
            monitor_port,
            server,
            _folder: folder,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                bail!("nats-server did not listen on {port} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(nats)
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn as_postgres(command: &mut Command) -> anyhow::Result<()> {
    let program = command.get_program().to_os_string();
    let args: Vec<_> = command.get_args().map(|arg| arg.to_os_string()).collect();
    as_root(
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(program)
            .args(args),
    )
}

fn as_root(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
