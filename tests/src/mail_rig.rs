//! A private mail server pair for tests: Dovecot (IMAP, IMAPS, and LMTP for local delivery) and
//! Postfix (SMTP, SMTPS), with all their configuration, queue, mailboxes, sockets, pid files and
//! logs in one temporary folder, listening on free 127.0.0.1 ports chosen at run time, so that
//! several rigs can run side by side. It does what the verified recipe in
//! `/work/shared/recipes/mail-servers.md` (`start.sh`, `stop.sh`) does, with three changes: plus
//! addressing (`support+c42@example.test` lands in `support@example.test`'s INBOX), SMTP AUTH
//! through Dovecot (so that a client sends with the same user name and password it reads IMAP
//! with), and free ports instead of fixed ones.
//!
//! Postfix accepts mail for `example.test` and hands it to Dovecot over LMTP; mail to any other
//! domain is refused. Users: [`SUPPORT`] / [`SUPPORT_PASSWORD`] and [`CUSTOMER`] /
//! [`CUSTOMER_PASSWORD`]. TLS uses a throwaway CA ([`MailRig::ca_pem`]) and a leaf certificate
//! for `localhost`, `mail.example.test` and `127.0.0.1`.
//!
//! Needs root (Postfix needs it, Dovecot switches users) and the Debian packages that `cargo
//! xtask setup` installs. Start-up takes about 0.4 s, stopping about 1.2 s (Dovecot's master
//! takes a second to exit after SIGTERM).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs::{self, File, FileTimes};
use std::io::{BufRead, BufReader, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};
use tempfile::TempDir;

/// The only domain the rig delivers.
pub const DOMAIN: &str = "example.test";
pub const SUPPORT: &str = "support@example.test";
pub const SUPPORT_PASSWORD: &str = "supportpw";
pub const CUSTOMER: &str = "customer@example.test";
pub const CUSTOMER_PASSWORD: &str = "customerpw";
/// Every mailbox and its password.
pub const USERS: [(&str, &str); 2] = [(SUPPORT, SUPPORT_PASSWORD), (CUSTOMER, CUSTOMER_PASSWORD)];

/// How long the servers may take to greet after starting, and to free their ports after
/// stopping.
const READY_TIMEOUT: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(50);
/// Start-up is tried again with new ports when one was taken in the meantime.
const ATTEMPTS: usize = 3;

/// A running Dovecot + Postfix pair. Dropping it stops both servers, waits until their ports
/// are closed and deletes the folder; [`MailRig::stop`] does the same and reports failures.
#[derive(Debug)]
pub struct MailRig {
    /// IMAP, plain (offers STARTTLS).
    pub imap_port: u16,
    /// SMTP, plain (offers STARTTLS and AUTH).
    pub smtp_port: u16,
    /// IMAP with implicit TLS.
    pub imaps_port: u16,
    /// SMTP with implicit TLS.
    pub smtps_port: u16,
    /// Where Dovecot checks the tokens of XOAUTH2 and OAUTHBEARER sign-ins:
    /// `http://127.0.0.1:{oauth_port}/introspect`, which a test serves with
    /// [`crate::oauth_stand_in::OAuthStandIn`]. Password sign-ins never ask it.
    pub oauth_port: u16,
    /// `None` once stopped.
    dir: Option<TempDir>,
    path: PathBuf,
    /// The ports to wait for at stop, whatever a caller does to the public fields.
    ports: [u16; 4],
    /// Whether both servers greeted. A rig that failed to start does not wait for its ports to
    /// close at stop: another process may hold one, which is why it failed.
    started: bool,
    programs: Programs,
}

#[derive(Debug, Clone)]
struct Programs {
    dovecot: PathBuf,
    doveadm: PathBuf,
    postfix: PathBuf,
    openssl: PathBuf,
    kill: PathBuf,
}

impl MailRig {
    /// Starts a fresh pair in a new folder under `/tmp` and waits until both greet.
    pub async fn start() -> anyhow::Result<MailRig> {
        tokio::task::spawn_blocking(MailRig::start_blocking)
            .await
            .context("the mail rig's start-up panicked")?
    }

    /// [`MailRig::start`] for callers without a Tokio runtime (benchmarks).
    pub fn start_blocking() -> anyhow::Result<MailRig> {
        if fs::metadata("/proc/self")?.uid() != 0 {
            bail!(
                "the mail rig must run as root: Postfix needs it, and Dovecot switches to the \
                 users `mail`, `dovecot` and `postfix`"
            );
        }
        let programs = Programs::find()?;
        let mut attempt = 1;
        loop {
            match MailRig::try_start(&programs) {
                Ok(rig) => return Ok(rig),
                Err(error)
                    if attempt < ATTEMPTS
                        && format!("{error:#}").contains("Address already in use") =>
                {
                    // Another process took a port between our probe and the server's bind.
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    fn try_start(programs: &Programs) -> anyhow::Result<MailRig> {
        let dir = tempfile::Builder::new()
            .prefix("mailrig-")
            .tempdir_in("/tmp")
            .context("cannot create the mail rig's folder in /tmp")?;
        let [imap_port, smtp_port, imaps_port, smtps_port, oauth_port] = free_ports()?;
        let mut rig = MailRig {
            imap_port,
            smtp_port,
            imaps_port,
            smtps_port,
            oauth_port,
            path: dir.path().to_path_buf(),
            dir: Some(dir),
            ports: [imap_port, smtp_port, imaps_port, smtps_port],
            started: false,
            programs: programs.clone(),
        };
        // On failure `rig` is dropped here, which stops whatever did start and deletes the
        // folder; the logs are in the error.
        match rig.write_files().and_then(|()| rig.launch()) {
            Ok(()) => {
                rig.started = true;
                Ok(rig)
            }
            Err(error) => Err(error.context(format!(
                "the mail rig in {} did not start\n{}",
                rig.path.display(),
                rig.logs()
            ))),
        }
    }

    /// The folder holding everything: configuration, queue, mailboxes, sockets and logs.
    pub fn dir(&self) -> &Path {
        &self.path
    }

    /// The CA certificate (PEM) that clients must trust for the TLS ports and STARTTLS.
    pub fn ca_pem(&self) -> PathBuf {
        self.path.join("tls/ca.pem")
    }

    /// Runs `doveadm -c DIR/dovecot.conf ARGS…` against this Dovecot and answers its output,
    /// e.g. `["mailbox", "status", "-u", SUPPORT, "messages", "INBOX"]` → `"INBOX messages=2\n"`
    /// (global options such as `-f tab` go first).
    pub fn doveadm(&self, args: &[&str]) -> anyhow::Result<String> {
        let output = Command::new(&self.programs.doveadm)
            .arg("-c")
            .arg(self.path.join("dovecot.conf"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .context("cannot run doveadm")?;
        if !output.status.success() {
            bail!(
                "`doveadm {}` failed ({}): {}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// How many messages `user`'s `mailbox` (e.g. `INBOX`) holds, from `doveadm mailbox status`.
    pub fn messages(&self, user: &str, mailbox: &str) -> anyhow::Result<u32> {
        // Tab format: a header line ("mailbox\tmessages"), then one line per mailbox.
        let output = self.doveadm(&[
            "-f", "tab", "mailbox", "status", "-u", user, "messages", mailbox,
        ])?;
        let mut lines = output.lines();
        let column = lines
            .next()
            .and_then(|header| header.split('\t').position(|name| name == "messages"));
        column
            .and_then(|column| lines.next()?.split('\t').nth(column)?.parse().ok())
            .with_context(|| format!("unexpected `doveadm mailbox status` output: {output:?}"))
    }

    /// Stores `source` (an RFC 5322 message) straight into `user`'s INBOX, without SMTP.
    pub fn save(&self, user: &str, source: &[u8]) -> anyhow::Result<()> {
        let mut child = Command::new(&self.programs.doveadm)
            .arg("-c")
            .arg(self.path.join("dovecot.conf"))
            .args(["save", "-u", user, "-m", "INBOX"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot run doveadm")?;
        let mut stdin = child.stdin.take().context("no stdin")?;
        // doveadm reads all of stdin before it answers, so this cannot deadlock on its output.
        let written = stdin.write_all(source);
        drop(stdin);
        let output = child.wait_with_output()?;
        if !output.status.success() {
            bail!(
                "`doveadm save -u {user} -m INBOX` failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        written.context("cannot write the message to doveadm")
    }

    /// Drops many messages into `user`'s INBOX at once, as files in its Maildir's `new/` (as a
    /// local delivery agent would), for benchmarks that need a big mailbox fast. Dovecot gives
    /// them UIDs when it next looks.
    pub fn fill_maildir(
        &self,
        user: &str,
        sources: impl IntoIterator<Item = Vec<u8>>,
    ) -> anyhow::Result<usize> {
        use std::os::unix::fs::MetadataExt;
        let (local, domain) = user.split_once('@').context("a full address")?;
        let mail_root = self.path.join("mail");
        // The first message goes through Dovecot, which creates the Maildir.
        let mut sources = sources.into_iter();
        let Some(first) = sources.next() else {
            return Ok(0);
        };
        self.save(user, &first)?;
        let new = mail_root.join(domain).join(local).join("Maildir/new");
        let owner = std::fs::metadata(&mail_root)?;
        let mut count = 1;
        for (n, source) in sources.enumerate() {
            let file = new.join(format!(
                "1700000000.M{n}P{}.switchboard-bench",
                std::process::id()
            ));
            std::fs::write(&file, source)?;
            std::os::unix::fs::chown(&file, Some(owner.uid()), Some(owner.gid()))?;
            count += 1;
        }
        Ok(count)
    }

    /// The end of both servers' logs, for a failing test's message.
    pub fn logs(&self) -> String {
        let mut logs = String::new();
        for file in [
            "dovecot/startup.err",
            "dovecot/dovecot.log",
            "postfix/startup.err",
            "postfix/postfix.log",
        ] {
            let path = self.path.join(file);
            if let Ok(text) = fs::read(&path) {
                let text = String::from_utf8_lossy(&text);
                if text.trim().is_empty() {
                    continue;
                }
                let start = text.len().saturating_sub(6000);
                let start = (start..text.len())
                    .find(|index| text.is_char_boundary(*index))
                    .unwrap_or(0);
                let _ = writeln!(logs, "--- {} ---\n{}", path.display(), &text[start..]);
            }
        }
        logs
    }

    /// Stops Postfix, then Dovecot, waits until every port is closed, and deletes the folder.
    /// When a server does not stop, the folder is kept and the error says where it is.
    pub async fn stop(self) -> anyhow::Result<()> {
        tokio::task::spawn_blocking(move || self.stop_blocking())
            .await
            .context("stopping the mail rig panicked")?
    }

    /// [`MailRig::stop`] without a Tokio runtime.
    pub fn stop_blocking(mut self) -> anyhow::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> anyhow::Result<()> {
        let Some(dir) = self.dir.take() else {
            return Ok(());
        };
        match self.stop_servers() {
            Ok(()) => {
                // A Dovecot process that served a client may still be finishing its index
                // files for a moment after the master exits.
                let path = dir.keep();
                let mut attempt = 0;
                loop {
                    match std::fs::remove_dir_all(&path) {
                        Ok(()) => return Ok(()),
                        Err(_) if attempt < 20 => {
                            attempt += 1;
                            std::thread::sleep(Duration::from_millis(100));
                        }
                        Err(error) => {
                            return Err(error)
                                .with_context(|| format!("cannot delete {}", path.display()));
                        }
                    }
                }
            }
            Err(error) => {
                let kept = dir.keep();
                Err(error.context(format!(
                    "the mail rig in {} did not stop cleanly; the folder is kept",
                    kept.display()
                )))
            }
        }
    }

    fn stop_servers(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        // Postfix first, so that nothing is half-way into LMTP. `postfix status` exits 0 only
        // while this instance's master runs; `postfix stop` returns once the master is gone.
        let etc = self.path.join("postfix/etc");
        if etc.join("main.cf").exists() {
            let running = Command::new(&self.programs.postfix)
                .arg("-c")
                .arg(&etc)
                .arg("status")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success());
            if running {
                let stopped = Command::new(&self.programs.postfix)
                    .arg("-c")
                    .arg(&etc)
                    .arg("stop")
                    .stdin(Stdio::null())
                    .output();
                match stopped {
                    Ok(output) if output.status.success() => {}
                    Ok(output) => problems.push(format!(
                        "`postfix stop` failed ({}): {}",
                        output.status,
                        String::from_utf8_lossy(&output.stderr).trim()
                    )),
                    Err(error) => problems.push(format!("cannot run postfix: {error}")),
                }
            }
        }
        // Dovecot: SIGTERM to the master, which exits (and closes its ports) after about 1 s.
        // `dovecot stop` does the same but polls slowly (2.5 s).
        let pid_file = self.path.join("dovecot/run/master.pid");
        if let Ok(pid) = fs::read_to_string(&pid_file) {
            let pid = pid.trim();
            if alive(pid) {
                self.signal("TERM", pid);
                if !wait_until(READY_TIMEOUT, || !alive(pid)) {
                    problems.push(format!(
                        "the Dovecot master {pid} did not exit within {READY_TIMEOUT:?} of \
                         SIGTERM; it was killed"
                    ));
                    self.signal("KILL", pid);
                }
            }
        }
        // Children can hold a listener for a moment after their master is gone.
        for port in self.ports.into_iter().filter(|_| self.started) {
            if !wait_until(READY_TIMEOUT, || !port_open(port)) {
                problems.push(format!("port {port} is still open"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            bail!("{}\n{}", problems.join("; "), self.logs())
        }
    }

    fn signal(&self, signal: &str, pid: &str) {
        let _ = Command::new(&self.programs.kill)
            .args([&format!("-{signal}"), pid])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// Writes the folder's layout, certificates and both servers' configuration.
    fn write_files(&self) -> anyhow::Result<()> {
        let dir = &self.path;
        // Marker and ports, as `start.sh` writes them, so that `stop.sh DIR` can clean up a
        // folder left behind by a killed test.
        fs::write(dir.join(".mailrig"), "")?;
        fs::write(
            dir.join("ports.env"),
            format!(
                "MAILRIG_DIR={dir}\nIMAP_PORT={}\nSMTP_PORT={}\nLMTP_SOCKET={dir}/dovecot/run/lmtp\n\
                 IMAPS_PORT={}\nSMTPS_PORT={}\nTLS_CA={dir}/tls/ca.pem\n",
                self.imap_port,
                self.smtp_port,
                self.imaps_port,
                self.smtps_port,
                dir = dir.display()
            ),
        )?;
        // The unprivileged daemons (dovecot auth = user `dovecot`, mail = user `mail`, the
        // postfix lmtp client = user `postfix`) must be able to traverse the folder, which
        // tempfile creates with mode 0700.
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755))?;
        for sub in [
            "dovecot/run",
            "dovecot/state",
            "mail",
            "postfix/etc",
            "postfix/spool",
            "postfix/data",
            "tls",
        ] {
            fs::create_dir_all(dir.join(sub))?;
        }
        let (mail_uid, mail_gid) = system_user("mail")?;
        chown(dir.join("mail"), Some(mail_uid), Some(mail_gid))?;
        fs::set_permissions(dir.join("mail"), fs::Permissions::from_mode(0o700))?;
        // Postfix's data_directory (master.lock) must belong to postfix; the queue directory
        // stays root's, `postfix start` creates its subfolders with the right owners.
        let (postfix_uid, postfix_gid) = system_user("postfix")?;
        chown(
            dir.join("postfix/data"),
            Some(postfix_uid),
            Some(postfix_gid),
        )?;
        fs::set_permissions(dir.join("postfix/data"), fs::Permissions::from_mode(0o700))?;

        make_certificates(&self.programs.openssl, &self.path.join("tls"))?;

        // passwd-file: user:{SCHEME}password:uid:gid:gecos:home:shell:extra; uid, gid and
        // home come from mail_uid, mail_gid and the static userdb.
        let users: String = USERS
            .iter()
            .map(|(user, password)| format!("{user}:{{PLAIN}}{password}::::::\n"))
            .collect();
        fs::write(dir.join("dovecot/users"), users)?;
        fs::set_permissions(dir.join("dovecot/users"), fs::Permissions::from_mode(0o644))?;
        fs::write(dir.join("dovecot.conf"), self.render(DOVECOT_CONF))?;
        fs::write(
            dir.join("dovecot/oauth2.conf.ext"),
            self.render(DOVECOT_OAUTH2),
        )?;

        let etc = dir.join("postfix/etc");
        fs::write(etc.join("main.cf"), self.render(POSTFIX_MAIN_CF))?;
        fs::write(etc.join("master.cf"), self.render(POSTFIX_MASTER_CF))?;
        let vmailbox: String = USERS
            .iter()
            .map(|(user, _)| format!("{user} OK\n"))
            .collect();
        fs::write(etc.join("vmailbox"), vmailbox)?;
        Ok(())
    }

    fn render(&self, template: &str) -> String {
        let dir = self.path.display().to_string();
        let name = self
            .path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        template
            .replace("@DIR@", &dir)
            .replace("@NAME@", &name)
            .replace("@IMAP_PORT@", &self.imap_port.to_string())
            .replace("@IMAPS_PORT@", &self.imaps_port.to_string())
            .replace("@SMTP_PORT@", &self.smtp_port.to_string())
            .replace("@SMTPS_PORT@", &self.smtps_port.to_string())
            .replace("@OAUTH_PORT@", &self.oauth_port.to_string())
    }

    /// Starts Dovecot, then Postfix, and waits for their greetings.
    fn launch(&self) -> anyhow::Result<()> {
        let dir = &self.path;
        // Dovecot's daemons keep the caller's stderr open: with a pipe, a caller waiting for
        // EOF would wait forever. Its output goes to a file, shown only on failure.
        let status = Command::new(&self.programs.dovecot)
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(log_file(&dir.join("dovecot/startup.err"))?)
            .stderr(log_file(&dir.join("dovecot/startup.err"))?)
            .status()
            .context("cannot run dovecot")?;
        if !status.success() {
            bail!("dovecot failed to start ({status})");
        }

        // Postfix pauses 1-2 s ("cool-down") whenever it reads a file modified less than a
        // second ago: once in `postfix start`, once more in the first smtpd. Backdate them.
        let past = SystemTime::now() - Duration::from_secs(10);
        for entry in fs::read_dir(dir.join("postfix/etc"))? {
            File::open(entry?.path())?
                .set_times(FileTimes::new().set_accessed(past).set_modified(past))?;
        }
        // Returns once the master is initialised and has bound its ports; its errors go to
        // maillog_file rather than to stderr.
        let status = Command::new(&self.programs.postfix)
            .arg("-c")
            .arg(dir.join("postfix/etc"))
            .arg("start")
            .stdin(Stdio::null())
            .stdout(log_file(&dir.join("postfix/startup.err"))?)
            .stderr(log_file(&dir.join("postfix/startup.err"))?)
            .status()
            .context("cannot run postfix")?;
        if !status.success() {
            bail!("postfix failed to start ({status})");
        }

        // Both have bound their ports, but the first imap-login and smtpd are only forked on
        // the first connection: wait for real greetings so that a test's first session is fast.
        let ready = || {
            greets(self.imap_port, "* OK")
                && greets(self.smtp_port, "220")
                && port_open(self.imaps_port)
                && port_open(self.smtps_port)
        };
        if !wait_until(READY_TIMEOUT, ready) {
            bail!("the servers did not greet within {READY_TIMEOUT:?}");
        }
        Ok(())
    }
}

impl Drop for MailRig {
    fn drop(&mut self) {
        if let Err(error) = self.shutdown() {
            eprintln!("mail rig: {error:#}");
        }
    }
}

impl Programs {
    fn find() -> anyhow::Result<Programs> {
        Ok(Programs {
            dovecot: program("dovecot")?,
            doveadm: program("doveadm")?,
            postfix: program("postfix")?,
            openssl: program("openssl")?,
            kill: program("kill")?,
        })
    }
}

/// A throwaway CA and a leaf certificate signed by it (CA:FALSE, serverAuth, SAN localhost,
/// mail.example.test and 127.0.0.1), EC P-256, made with `openssl` in `tls`: `ca.pem`,
/// `cert.pem` and `key.pem`. A single self-signed certificate would be CA:TRUE, which rustls
/// refuses as a server's certificate.
pub fn test_certificates(tls: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(tls)?;
    make_certificates(&program("openssl")?, tls)
}

fn make_certificates(openssl: &Path, tls: &Path) -> anyhow::Result<()> {
    let file = |name: &str| tls.join(name).display().to_string();
    let run = |args: &[&str]| -> anyhow::Result<()> {
        let output = Command::new(openssl)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .context("cannot run openssl")?;
        if !output.status.success() {
            bail!(
                "`openssl {}` failed ({}): {}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "3650",
        "-subj",
        "/CN=mailrig test CA",
        "-keyout",
        &file("ca.key"),
        "-out",
        &file("ca.pem"),
    ])?;
    run(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &file("key.pem"),
        "-out",
        &file("req.csr"),
    ])?;
    fs::write(
        tls.join("leaf.ext"),
        "basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\n\
         subjectAltName=DNS:localhost,DNS:mail.example.test,IP:127.0.0.1\n",
    )?;
    run(&[
        "x509",
        "-req",
        "-in",
        &file("req.csr"),
        "-CA",
        &file("ca.pem"),
        "-CAkey",
        &file("ca.key"),
        "-CAcreateserial",
        "-days",
        "3650",
        "-extfile",
        &file("leaf.ext"),
        "-out",
        &file("cert.pem"),
    ])?;
    for (name, mode) in [
        ("cert.pem", 0o644),
        ("ca.pem", 0o644),
        ("key.pem", 0o600),
        ("ca.key", 0o600),
    ] {
        fs::set_permissions(tls.join(name), fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// A program on PATH or in the sbin folders, which a non-login root shell may lack on PATH.
fn program(name: &str) -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map(PathBuf::from))
        .map(|folder| folder.join(name))
        .find(|candidate| {
            candidate
                .metadata()
                .is_ok_and(|meta| meta.is_file() && meta.mode() & 0o111 != 0)
        })
        .with_context(|| {
            format!(
                "`{name}` is not installed, and the mail tests need it: run `cargo xtask setup` \
                 (as root), which installs the Debian packages dovecot-imapd, dovecot-lmtpd, \
                 postfix and openssl"
            )
        })
}

/// The uid and gid of a system user, from /etc/passwd.
fn system_user(name: &str) -> anyhow::Result<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd")?;
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.len() > 3 && fields[0] == name)
        .and_then(|fields| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
        .with_context(|| {
            format!(
                "there is no user `{name}`: run `cargo xtask setup` to install the mail servers"
            )
        })
}

/// Ports this process already handed out, so that two rigs of one test binary never share one.
static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// `N` distinct free ports on 127.0.0.1: bound to port 0 all at once, read, released. Another
/// process could take one before the server binds it; start-up then tries again.
pub fn free_ports<const N: usize>() -> anyhow::Result<[u16; N]> {
    let mut handed_out = HANDED_OUT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let handed_out = handed_out.get_or_insert_with(HashSet::new);
    let mut listeners = Vec::new();
    let mut ports = [0; N];
    let mut found = 0;
    while found < N {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = listener.local_addr()?.port();
        if handed_out.insert(port) {
            ports[found] = port;
            found += 1;
        }
        listeners.push(listener);
        if listeners.len() > 64 {
            bail!("cannot find {N} free ports on 127.0.0.1");
        }
    }
    drop(listeners);
    Ok(ports)
}

fn log_file(path: &Path) -> anyhow::Result<File> {
    File::options()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))
}

fn address(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(&address(port), Duration::from_millis(500)).is_ok()
}

/// Whether the server on `port` sends a first line starting with `prefix`.
fn greets(port: u16, prefix: &str) -> bool {
    let Ok(stream) = TcpStream::connect_timeout(&address(port), Duration::from_millis(500)) else {
        return false;
    };
    if stream.set_read_timeout(Some(READY_TIMEOUT)).is_err() {
        return false;
    }
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with(prefix)
}

/// Whether a process runs. A zombie counts as gone: PID 1 in a container does not always reap
/// orphaned daemons at once.
fn alive(pid: &str) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z'))
    })
}

fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

/// Standalone: does not include /etc/dovecot/conf.d.
/// Dovecot's oauth2 passdb: each token is posted to the stand-in's introspection endpoint
/// (RFC 7662), which names the user it was issued for while it is valid.
const DOVECOT_OAUTH2: &str = r#"introspection_mode = post
introspection_url = http://127.0.0.1:@OAUTH_PORT@/introspect
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
"#;

const DOVECOT_CONF: &str = r#"# Standalone config: does NOT include /etc/dovecot/conf.d.
instance_name = mailrig-@NAME@
base_dir = @DIR@/dovecot/run
state_dir = @DIR@/dovecot/state
log_path = @DIR@/dovecot/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1

ssl = yes
ssl_cert = <@DIR@/tls/cert.pem
ssl_key = <@DIR@/tls/key.pem
ssl_min_protocol = TLSv1.2
# Allow LOGIN/AUTH PLAIN without TLS (127.0.0.1 counts as secured anyway).
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
# Fast, constant-time failures for wrong-password tests: no auth_failure_delay (2 s) and no
# growing per-IP penalty (mode 0 on the anvil-auth-penalty listener turns it off).
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}

# Plus addressing: mail to support+c42@example.test is delivered to support@example.test's
# INBOX (not to a folder named after the detail).
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no

# Dovecot refuses to access mail as root, so all virtual users share the system user 'mail'.
mail_uid = mail
mail_gid = mail
first_valid_uid = 8
first_valid_gid = 8
mail_location = maildir:~/Maildir

# Passwords for PLAIN and LOGIN, and for the look-ups that name no mechanism (LMTP delivery);
# tokens, checked by the test's OAuth stand-in, for XOAUTH2 and OAUTHBEARER.
passdb {
  driver = passwd-file
  mechanisms = none plain login
  args = scheme=PLAIN username_format=%u @DIR@/dovecot/users
}
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = @DIR@/dovecot/oauth2.conf.ext
}
userdb {
  driver = static
  args = home=@DIR@/mail/%d/%n allow_all_users=no
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = @IMAP_PORT@
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = @IMAPS_PORT@
    ssl = yes
  }
}
service lmtp {
  # Postfix's lmtp client runs as user 'postfix' and connects here.
  unix_listener lmtp {
    mode = 0666
  }
}
service auth {
  # Postfix's smtpd (user 'postfix') checks SMTP AUTH passwords here.
  unix_listener auth-postfix {
    mode = 0666
  }
}
# Not used; keep them off so nothing else listens.
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
"#;

const POSTFIX_MAIN_CF: &str = r#"compatibility_level = 3.6
# config_directory is set by "postfix -c @DIR@/postfix/etc"
queue_directory = @DIR@/postfix/spool
data_directory = @DIR@/postfix/data
mail_owner = postfix
setgid_group = postdrop
# No syslog in containers: log to a file via postlogd (the postlog service in master.cf). The
# file must be under maillog_file_prefixes.
maillog_file_prefixes = @DIR@
maillog_file = @DIR@/postfix/postfix.log

myhostname = mail.example.test
mydomain = example.test
myorigin = example.test
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = reject_unauth_destination

# Plus addressing: support+c42@example.test is accepted as support@example.test (vmailbox
# lookup) and handed to Dovecot with the detail, which Dovecot drops again.
recipient_delimiter = +

# SMTP AUTH (PLAIN, LOGIN) against Dovecot's users, so that a client can send with the
# credentials it reads IMAP with. Offered on every port; 127.0.0.1 may also send without it.
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = @DIR@/dovecot/run/auth-postfix

# No DNS anywhere.
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native

# example.test is delivered to Dovecot over LMTP; unknown users are rejected at RCPT time;
# everything else is refused.
virtual_mailbox_domains = example.test
virtual_mailbox_maps = texthash:@DIR@/postfix/etc/vmailbox
virtual_transport = lmtp:unix:@DIR@/dovecot/run/lmtp
default_transport = error:outside mail is disabled in tests
relay_transport = error:outside mail is disabled in tests
biff = no
# Room for a 50 MiB email, as the gateway takes (Postfix's default is 10 MB).
message_size_limit = 52428800

smtpd_tls_cert_file = @DIR@/tls/cert.pem
smtpd_tls_key_file = @DIR@/tls/key.pem
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
"#;

/// The chroot column (5th) is `n` everywhere: a chroot would need copies of /etc files.
const POSTFIX_MASTER_CF: &str = r#"127.0.0.1:@SMTP_PORT@ inet n - n - - smtpd
127.0.0.1:@SMTPS_PORT@ inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
tlsmgr     unix  - - n 1000? 1 tlsmgr
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n -  0 cleanup
qmgr       unix  n - n 300 1 qmgr
rewrite    unix  - - n -  - trivial-rewrite
bounce     unix  - - n -  0 bounce
defer      unix  - - n -  0 bounce
trace      unix  - - n -  0 bounce
verify     unix  - - n -  1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -  - proxymap
proxywrite unix  - - n -  1 proxymap
showq      unix  n - n -  - showq
error      unix  - - n -  - error
retry      unix  - - n -  - error
discard    unix  - - n -  - discard
lmtp       unix  - - n -  - lmtp
anvil      unix  - - n -  1 anvil
scache     unix  - - n -  1 scache
postlog    unix-dgram n - n - 1 postlogd
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_says_how_to_install_it() {
        let error = program("no-such-mail-server").expect_err("not installed");
        assert!(format!("{error}").contains("cargo xtask setup"), "{error}");
    }

    #[test]
    fn a_running_process_is_alive_and_a_missing_one_is_not() {
        assert!(alive(&std::process::id().to_string()));
        assert!(!alive("999999999"));
    }
}
