//! A private WordPress for browser tests: Debian's `wordpress` package copied into a temporary
//! folder, served by PHP's built-in server on a free loopback port, on a MariaDB process of its
//! own, installed without a browser. Neither `/etc/wordpress` nor a system database is used, so
//! sites can run side by side. It follows the verified recipe in
//! `/work/shared/recipes/wordpress.md`. Needs root (MariaDB runs as the test's user) and the
//! Debian packages that `cargo xtask setup` installs; starting takes about 2 s.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use tempfile::TempDir;

/// The site's administrator.
pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "e2e wordpress password";

/// Debian's WordPress, copied for each site.
const WORDPRESS: &str = "/usr/share/wordpress";
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// A running site. Dropping it stops PHP and MariaDB and deletes the folder.
pub struct WordPress {
    /// `http://127.0.0.1:PORT`, the site's home.
    pub url: String,
    folder: TempDir,
    /// PHP's server, once started.
    php: Option<Child>,
    database: Child,
}

impl WordPress {
    /// Installs a fresh site called `title`, in `locale` (a WordPress locale such as `es_MX`).
    pub fn start(title: &str, locale: &str) -> anyhow::Result<WordPress> {
        for program in ["/usr/sbin/mariadbd", "/usr/bin/php", WORDPRESS] {
            ensure!(
                Path::new(program).exists(),
                "{program} is missing: run `cargo xtask setup` (Debian's wordpress, php-cli, php-mysql and mariadb-server-core)"
            );
        }
        // MariaDB's socket path must stay under 108 bytes: a short folder under /tmp.
        let folder = tempfile::Builder::new().prefix("wp-").tempdir_in("/tmp")?;
        let root = folder.path();
        let [database_port, site_port] = [free_port()?, free_port()?];
        let url = format!("http://127.0.0.1:{site_port}");

        run(Command::new("mariadb-install-db")
            .args(["--no-defaults", "--user=root", "--skip-test-db"])
            .arg(format!("--datadir={}", root.join("db").display()))
            .arg("--auth-root-authentication-method=socket"))?;
        let database = Command::new("/usr/sbin/mariadbd")
            .arg("--no-defaults")
            .arg(format!("--datadir={}", root.join("db").display()))
            .arg(format!("--socket={}", root.join("mysql.sock").display()))
            .arg(format!("--pid-file={}", root.join("mysql.pid").display()))
            .arg(format!("--log-error={}", root.join("mysql.err").display()))
            .arg(format!("--port={database_port}"))
            .args([
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--user=root",
            ])
            .arg("--innodb-buffer-pool-size=32M")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start mariadbd")?;
        // From here on, dropping `site` stops whatever started.
        let mut site = WordPress {
            url,
            php: None,
            database,
            folder,
        };
        let root = site.folder.path().to_path_buf();
        let socket = root.join("mysql.sock");
        wait_until("MariaDB", || {
            Command::new("mariadb")
                .arg("-S")
                .arg(&socket)
                .args(["-u", "root", "-e", "SELECT 1"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })?;
        run(Command::new("mariadb").arg("-S").arg(&socket).args([
            "-u",
            "root",
            "-e",
            "CREATE DATABASE wordpress; CREATE USER 'wp'@'%' IDENTIFIED BY 'wp'; GRANT ALL ON wordpress.* TO 'wp'@'%';",
        ]))?;

        run(Command::new("cp")
            .args(["-a", WORDPRESS])
            .arg(root.join("wp")))?;
        std::fs::write(
            root.join("wp/wp-config.php"),
            format!(
                "<?php
define('DB_NAME', 'wordpress'); define('DB_USER', 'wp'); define('DB_PASSWORD', 'wp');
define('DB_HOST', '127.0.0.1:{database_port}'); define('DB_CHARSET', 'utf8mb4'); define('DB_COLLATE', '');
define('WP_HOME', '{url}'); define('WP_SITEURL', '{url}');
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('DISABLE_WP_CRON', true); define('AUTOMATIC_UPDATER_DISABLED', true);
$table_prefix = 'wp_';
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
",
                url = site.url
            ),
        )?;
        // Four workers: the install calls the site back while it serves the install itself.
        // Its own process group, so that stopping it stops its workers too.
        site.php = Some(
            Command::new("php")
                .args(["-d", "sendmail_path=/bin/true", "-S"])
                .arg(format!("127.0.0.1:{site_port}"))
                .arg("-t")
                .arg(root.join("wp"))
                .env("PHP_CLI_SERVER_WORKERS", "4")
                .process_group(0)
                .stdin(Stdio::null())
                .stdout(std::fs::File::create(root.join("php.log"))?)
                .stderr(Stdio::null())
                .spawn()
                .context("cannot start php")?,
        );
        let address = format!("127.0.0.1:{site_port}");
        wait_until("PHP's server", || {
            std::net::TcpStream::connect(&address).is_ok()
        })?;
        // The language is written as is: WordPress's own setting accepts only locales whose core
        // translation is installed, and no language pack can be downloaded here.
        site.php(
            "define('WP_INSTALLING', true);",
            &format!(
                "require_once ABSPATH . 'wp-admin/includes/upgrade.php';
                 wp_install({}, {}, 'admin@example.com', false, '', {});
                 $wpdb->replace($wpdb->options, array('option_name' => 'WPLANG', 'option_value' => {}, 'autoload' => 'yes'));",
                php_string(title),
                php_string(ADMIN),
                php_string(ADMIN_PASSWORD),
                php_string(locale)
            ),
        )?;
        Ok(site)
    }

    /// Copies the plugin in `folder` into the site and activates it as an admin would.
    pub fn activate_plugin(&self, folder: &Path) -> anyhow::Result<()> {
        let plugins = self.folder.path().join("wp/wp-content/plugins");
        run(Command::new("cp").arg("-r").arg(folder).arg(&plugins))?;
        let name = folder
            .file_name()
            .and_then(|name| name.to_str())
            .context("a plugin folder's name")?;
        self.php(
            "",
            &format!(
                "require_once ABSPATH . 'wp-admin/includes/plugin.php';
                 $activated = activate_plugin({});
                 if (is_wp_error($activated)) {{ fwrite(STDERR, $activated->get_error_message()); exit(1); }}",
                php_string(&format!("{name}/{name}.php"))
            ),
        )
    }

    /// Runs PHP `code` on the command line with WordPress loaded (after `before`).
    fn php(&self, before: &str, code: &str) -> anyhow::Result<()> {
        let load = self.folder.path().join("wp/wp-load.php");
        run(Command::new("php")
            .args(["-d", "sendmail_path=/bin/true", "-r"])
            .arg(format!(
                "{before} require {}; {code}",
                php_string(&load.display().to_string())
            )))
    }
}

impl Drop for WordPress {
    fn drop(&mut self) {
        // PHP's workers are in the server's process group; MariaDB stops cleanly on SIGTERM.
        let php_group = self.php.as_ref().map(|php| format!("-{}", php.id()));
        for target in php_group
            .into_iter()
            .chain([self.database.id().to_string()])
        {
            let _ = Command::new("kill").args(["-TERM", "--", &target]).status();
        }
        if let Some(php) = &mut self.php {
            let _ = php.wait();
        }
        let _ = self.database.wait();
    }
}

/// `text` as a single-quoted PHP string.
fn php_string(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Runs a command to its end; its output is the error when it fails.
fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn wait_until(what: &str, mut ready: impl FnMut() -> bool) -> anyhow::Result<()> {
    let start = Instant::now();
    while !ready() {
        ensure!(
            start.elapsed() < READY_TIMEOUT,
            "{what} did not start within {READY_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}
