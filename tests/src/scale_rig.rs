//! A private PostgreSQL and a private nats-server for the scale-out tests, from Debian's
//! packages, each on free loopback ports with its data in the test's own temporary folder, as
//! `../shared/recipes/postgres-nats.md` describes: PostgreSQL runs as its package's `postgres`
//! user (it refuses root), and each is stopped by its own handle when dropped, never by name.
//! [`Cluster`] starts gateway nodes that share them, as `docs/scale-out.md` sets nodes up.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::Gateway;
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
        let postgres = Postgres {
            url: format!("postgres://sb@127.0.0.1:{port}/switchboard"),
            port,
            data,
            _folder: folder,
        };
        postgres.run_server()?;
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

impl Postgres {
    /// Stops the server (`pg_ctl stop -m fast`), keeping its data: what its clients see of
    /// the database going away.
    pub fn stop(&self) -> anyhow::Result<()> {
        as_postgres(
            Command::new(Path::new(POSTGRES_BIN).join("pg_ctl"))
                .arg("-D")
                .arg(&self.data)
                .args(["-m", "fast", "-w", "stop"]),
        )
    }

    /// Starts the server on its port (again, after [`Postgres::stop`]).
    pub fn run_server(&self) -> anyhow::Result<()> {
        let folder = self._folder.path();
        as_postgres(
            Command::new(Path::new(POSTGRES_BIN).join("pg_ctl"))
                .arg("-D")
                .arg(&self.data)
                .arg("-l")
                .arg(folder.join("pg.log"))
                .args(["-w", "start", "-o"])
                .arg(format!(
                    "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
                    self.port,
                    folder.display()
                )),
        )
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// A running nats-server with JetStream, and its monitoring port.
pub struct Nats {
    pub url: String,
    pub monitor_port: u16,
    server: Child,
    _folder: tempfile::TempDir,
}

/// The password of the test bus's user, and as a URL writes it (a percent sign and a colon).
const NATS_PASSWORD: &str = "p%ss:w0rd";
const NATS_PASSWORD_IN_URL: &str = "p%25ss%3Aw0rd";

impl Nats {
    /// A nats-server that lets in only the user `sb` with its password, as
    /// `docs/scale-out.md` sets it up; `url` carries them.
    pub fn start() -> anyhow::Result<Nats> {
        let folder = tempfile::tempdir()?;
        let [port, monitor_port] = free_ports()?;
        let server = Self::serve(folder.path(), port, monitor_port)?;
        Ok(Nats {
            url: format!("nats://sb:{NATS_PASSWORD_IN_URL}@127.0.0.1:{port}"),
            monitor_port,
            server,
            _folder: folder,
        })
    }

    /// Stops the server (by its own PID) and starts it again on the same ports: what its
    /// clients see of a bus restart.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.server.kill()?;
        self.server.wait()?;
        let port: u16 = self.url.rsplit(':').next().unwrap_or_default().parse()?;
        self.server = Self::serve(self._folder.path(), port, self.monitor_port)?;
        Ok(())
    }

    /// A nats-server on `port`, once it listens.
    fn serve(folder: &Path, port: u16, monitor_port: u16) -> anyhow::Result<Child> {
        let server = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .args(["--user", "sb", "--pass", NATS_PASSWORD])
            .args(["-m", &monitor_port.to_string(), "-js", "-sd"])
            .arg(folder.join("js"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start nats-server; `cargo xtask setup` installs it")?;
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                bail!("nats-server did not listen on {port} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
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

/// A private PostgreSQL and nats-server, and a folder per gateway node that shares them.
pub struct Cluster {
    pub postgres: Postgres,
    pub nats: Nats,
    pub folder: tempfile::TempDir,
}

impl Cluster {
    pub fn start() -> anyhow::Result<Cluster> {
        Ok(Cluster {
            postgres: Postgres::start()?,
            nats: Nats::start()?,
            folder: tempfile::tempdir()?,
        })
    }

    /// Node `name`, with its own data folder (`<folder>/<name>`) and the cluster's store, bus
    /// and secrets key; its plugins may reach providers' stand-ins on loopback.
    pub async fn node(&self, name: &str) -> anyhow::Result<Gateway> {
        let data = self.folder.path().join(name);
        std::fs::create_dir_all(&data)?;
        let settings = [
            ("SWITCHBOARD_STORE__BACKEND", "postgres".to_string()),
            ("SWITCHBOARD_STORE__URL", self.postgres.url.clone()),
            ("SWITCHBOARD_BUS__URL", self.nats.url.clone()),
            (
                "SWITCHBOARD_STORE__SECRET_KEY",
                self.folder.path().join("secret.key").display().to_string(),
            ),
        ];
        Gateway::start_beside_stand_ins(&data, &settings).await
    }

    /// Three nodes, `a`, `b` and `c`; the first sets up the demo workspace, the others join it.
    pub async fn three_nodes(&self) -> anyhow::Result<[Gateway; 3]> {
        let a = self.node("a").await?;
        let (b, c) = tokio::try_join!(self.node("b"), self.node("c"))?;
        Ok([a, b, c])
    }
}
