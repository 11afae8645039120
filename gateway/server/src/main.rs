//! The Switchboard gateway: reads its configuration, opens the store, and serves the API.
//! Everything else lives in the library crates under `gateway/`.

mod bootstrap;
mod bus;
mod config;
mod logging;
mod workspaces;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use metrics_exporter_prometheus::PrometheusBuilder;
use switchboard_api::AppState;
use switchboard_services::email::forwarding::Forwarding;
use switchboard_services::{HttpFetcher, MailService, Plugins, SecretBox, Services, Widgets};
use switchboard_store::{EventBus, InProcessBus, RecordStore, Store};

use crate::config::{Config, MailConfig, StoreBackend, StoreConfig};

// The store allocates and frees many small buffers per message; glibc's allocator was a third of
// the gateway's time under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Switchboard: one inbox for email, website chat, Telegram and SMS.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// A TOML configuration file; `SWITCHBOARD_*` environment variables override it.
    #[arg(long, short, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Serve (what the binary does without a command).
    Serve,
    /// Keep every record that still reads of a write-ahead log that a start refused as
    /// damaged, setting the damaged file aside; then start the gateway again. Run it with the
    /// gateway stopped.
    SalvageLog,
    /// Copy the sled store (`store.path`) into an empty PostgreSQL database, for gateways that
    /// share it (`store.backend = "postgres"`), and check the copy. Run it with the gateway
    /// stopped; a database that already holds records is refused.
    Migrate {
        /// The database: postgres://user:password@host:5432/database
        #[arg(long)]
        to: String,
        /// Copy files' bytes into this folder (the nodes' `store.files_path`) rather than into
        /// the database.
        #[arg(long)]
        files_to: Option<PathBuf>,
    },
    /// The businesses this installation hosts (for its operator).
    #[command(subcommand)]
    Workspace(workspaces::WorkspaceCommand),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Some(Command::SalvageLog) => return salvage_log(&config),
        Some(Command::Migrate { to, files_to }) => {
            return migrate(&config, &to, files_to.as_deref());
        }
        Some(Command::Workspace(command)) => return workspaces::run(&config, command),
        Some(Command::Serve) | None => {}
    }
    logging::init(&config.log);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.server.worker_threads())
        .enable_all()
        .build()?
        .block_on(serve(config))
}

/// The store the configuration names: sled in its folder, or the shared PostgreSQL database.
fn open_store(config: &StoreConfig, bus: Arc<dyn EventBus>) -> anyhow::Result<RecordStore> {
    match config.backend {
        StoreBackend::Sled => {
            std::fs::create_dir_all(&config.path).with_context(|| {
                format!("cannot create the store folder {}", config.path.display())
            })?;
            let reserve = config.min_free_mib.saturating_mul(1 << 20);
            Ok(RecordStore::open_with(&config.path, bus, reserve)?)
        }
        StoreBackend::Postgres => {
            let store = RecordStore::open_postgres(&config.url, bus)?;
            match config.files_folder() {
                Some(folder) => Ok(store.keep_files_in(folder)?),
                None => Ok(store),
            }
        }
    }
}

fn salvage_log(config: &Config) -> anyhow::Result<()> {
    let store = &config.store.path;
    match RecordStore::salvage_log(store).map_err(|error| anyhow::anyhow!("{error}"))? {
        None => println!(
            "{} holds no write-ahead log; nothing to do",
            store.display()
        ),
        Some(salvaged) => println!(
            "kept {} records of the write-ahead log; {} bytes could not be read; the damaged file is now {}. Start the gateway to apply the records.",
            salvaged.kept,
            salvaged.lost_bytes,
            salvaged.set_aside.display()
        ),
    }
    Ok(())
}

fn migrate(config: &Config, to: &str, files_to: Option<&Path>) -> anyhow::Result<()> {
    let store = &config.store.path;
    let report = switchboard_store::copy_sled_into_postgres(store, to, files_to)
        .with_context(|| format!("cannot migrate {} to PostgreSQL", store.display()))?;
    print!("{report}");
    let files = match files_to {
        Some(folder) => format!(", store.files_path to {}", folder.display()),
        None => String::new(),
    };
    println!(
        "Copied and checked. Set store.backend = \"postgres\" and store.url to this database{files}, then start the gateways."
    );
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    // Past a limit on file sizes (`ulimit -f`) a write fails like one on a full disk, which the
    // store survives, instead of the signal ending the gateway.
    let _file_size_limit = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(
        nix::libc::SIGXFSZ,
    ))
    .context("cannot take the file-size-limit signal")?;
    // Leased work (outbox items, mailboxes) is held under this node's name, which survives a
    // restart: a node that crashed takes its own leases back at once. Its metrics carry it.
    let data_dir = config.data_dir();
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create the data folder {}", data_dir.display()))?;
    let holder = node_name(&data_dir)?;
    let metrics = PrometheusBuilder::new()
        .add_global_label("node", holder.clone())
        .install_recorder()
        .context("cannot install the metrics recorder")?;
    let upkeep = metrics.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });

    let bus: Arc<dyn EventBus> = Arc::new(InProcessBus::new(config.store.bus_capacity));
    let records = Arc::new(open_store(&config.store, bus.clone())?);
    let store: Arc<dyn Store> = records.clone();
    let first_login = bootstrap::bootstrap(
        store.as_ref(),
        &config.bootstrap,
        &config.first_password_file(),
        &holder,
    )
    .await?;

    let runtime = switchboard_plugins::Runtime::new(switchboard_plugins::RuntimeConfig {
        cache_dir: Some(config.plugins.cache.clone()),
        cache_max_bytes: config.plugins.cache_max_mib.saturating_mul(1 << 20),
        ceilings: config.plugins.ceilings()?,
        ..Default::default()
    })?;
    let fetcher = Arc::new(
        HttpFetcher::new(config.plugins.fetch_policy()?)
            .context("cannot read the system's root certificates")?,
    );
    let plugins = Arc::new(Plugins::new(runtime, fetcher));
    let secrets = SecretBox::load_or_create(&config.store.secret_key).with_context(|| {
        format!(
            "cannot read or create the secret key {}",
            config.store.secret_key.display()
        )
    })?;
    let mut trusted = Vec::new();
    for file in &config.mail.ca_files {
        trusted.push(
            std::fs::read(file)
                .with_context(|| format!("cannot read the CA file {}", file.display()))?,
        );
    }
    let trust = switchboard_mail::Trust::new(trusted).map_err(anyhow::Error::msg)?;
    let forwarding_domain =
        (!config.mail.listen.is_empty()).then(|| config.mail.forwarding_domain.clone());
    // Bound before the API is set up: with port 0 only the bound address tells the URL.
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let local = listener.local_addr()?;
    let base_url = if config.server.listen.port() == 0 {
        format!("http://{local}")
    } else {
        config.server.public_url.clone()
    };
    let services = Arc::new(Services {
        store,
        bus,
        config: config.services(base_url.clone()),
        plugins,
        secrets: Arc::new(secrets),
        mail: Arc::new(MailService::new(trust, forwarding_domain)),
        widgets: Arc::new(Widgets::default()),
        replies_queued: Arc::default(),
        signals: Arc::default(),
        quotas_told: Arc::default(),
        search: Arc::new(
            switchboard_search::SearchIndex::open(&data_dir.join("search"))
                .map_err(anyhow::Error::msg)?,
        ),
    });
    let state = AppState {
        services,
        config: Arc::new(config.api()?),
        metrics,
        fanout: Arc::default(),
    };
    if !config.bus.url.is_empty() {
        bus::link(
            &config.bus.url,
            holder.clone(),
            records,
            state.services.widgets.clone(),
        )
        .await?;
    }
    install_bundled_plugins(&state).await?;
    if let Some(workspace_id) = first_login.as_ref().and_then(|login| login.new_workspace) {
        bootstrap::demo_chat(&state, workspace_id).await?;
    }
    watch_plugins_folder(&state, &config);
    expire_dead_letters(&state);
    wake_snoozed_conversations(&state);
    assign_queued_conversations(&state);
    sweep_unattached_files(&state, config.uploads.unattached_hours);
    deliver_replies(&state, holder.clone());
    tick_plugins(&state, holder.clone());
    deliver_webhooks(&state);
    switchboard_services::email::sync::spawn(state.services.clone(), holder.clone());
    switchboard_search::Indexer::new(state.store.clone(), state.search.clone()).spawn();
    let smtp_listener = listen_for_forwarded_mail(&state, &config.mail).await?;
    let demo_widget = switchboard_api::first_widget(&state)
        .await
        .map_err(|error| anyhow::anyhow!(error.message))?;
    let drained = state.services.clone();
    let app = switchboard_api::router(state);
    tracing::info!(%local, "listening");
    print_welcome(
        &config,
        &base_url,
        first_login.as_ref(),
        smtp_listener,
        demo_widget,
    );
    // Stops taking connections at the signal and finishes the calls in flight; then lets go
    // of this node's leases so that the other nodes take its mailboxes and replies over now.
    switchboard_api::serve(listener, app, shutdown_signal()).await?;
    match drained.store.release_leases(&holder).await {
        Ok(released) => tracing::info!(released, "let go of this node's leases"),
        Err(error) => tracing::warn!(%error, "cannot let go of this node's leases"),
    }
    Ok(())
}

fn print_welcome(
    config: &Config,
    base: &str,
    login: Option<&bootstrap::FirstLogin>,
    smtp_listener: Option<std::net::SocketAddr>,
    demo_widget: Option<String>,
) {
    println!("Switchboard is running at {base}");
    println!("  Agent console:   {base}/");
    println!("  API description: {base}/api/v1/openapi.json");
    println!("  Health:          {base}/healthz");
    if let Some(widget) = demo_widget {
        if config.web.demo_pages {
            println!("  Website chat:    {base}/demo/?widget={widget} (widget {widget})");
        } else {
            println!("  Website chat:    widget {widget}");
        }
        println!("  Install guides:  {base}/install/");
    }
    if let Some(smtp) = smtp_listener {
        println!("  Forwarded mail:  smtp://{smtp}");
    }
    if let Some(login) = login {
        match &login.password {
            Some(password) => println!("  Log in as {} with the password {password}", login.email),
            None if config.first_password_file().exists() => println!(
                "  Log in as {} (its first password is in {})",
                login.email,
                config.first_password_file().display()
            ),
            None => println!("  Log in as {}", login.email),
        }
    }
}

/// Installs plugins dropped into the watched folder, now and every few seconds; a refused file
/// is logged once per reason.
fn watch_plugins_folder(state: &AppState, config: &Config) {
    let (plugins, store) = (state.plugins.clone(), state.store.clone());
    let services = state.services.clone();
    let (folder, every) = (
        config.plugins.folder.clone(),
        Duration::from_secs(config.plugins.scan_seconds.max(1)),
    );
    tokio::spawn(async move {
        let mut refused: std::collections::HashMap<PathBuf, String> =
            std::collections::HashMap::new();
        loop {
            for (file, outcome) in plugins.install_from_folder(store.as_ref(), &folder).await {
                match outcome {
                    Ok(installed) => {
                        refused.remove(&file);
                        tracing::info!(file = %file.display(), plugin = %installed.name, version = %installed.active_version, "installed a plugin from the plugins folder");
                        switchboard_services::audit::plugin_from_folder(&services, &installed)
                            .await;
                    }
                    Err(error) if refused.get(&file) != Some(&error.message) => {
                        tracing::warn!(file = %file.display(), reason = %error.message, "a plugin in the plugins folder was refused");
                        refused.insert(file, error.message);
                    }
                    Err(_) => {}
                }
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// Starts the SMTP listener for forwarding addresses, unless `mail.listen` is empty; answers
/// the address it listens on.
async fn listen_for_forwarded_mail(
    state: &AppState,
    config: &MailConfig,
) -> anyhow::Result<Option<std::net::SocketAddr>> {
    if config.listen.is_empty() {
        return Ok(None);
    }
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen for forwarded mail on {}", config.listen))?;
    let local = listener.local_addr()?;
    std::fs::create_dir_all(&config.spool)
        .with_context(|| format!("cannot create the mail spool {}", config.spool.display()))?;
    let limits = switchboard_mail::listener::Limits {
        tls: config.tls()?,
        ..switchboard_mail::listener::Limits::new(
            config.hostname.clone(),
            config.max_message_bytes,
            config.spool.clone(),
        )
    };
    let room = Arc::new(Forwarding::new(state.services.clone()));
    tokio::spawn(switchboard_mail::listener::serve(listener, limits, room));
    tracing::info!(%local, "listening for forwarded mail");
    Ok(Some(local))
}

/// Installs the adapters that ship with the gateway into every workspace whose channels use
/// them and that has none of that name yet.
async fn install_bundled_plugins(state: &AppState) -> anyhow::Result<()> {
    for workspace in state.store.workspaces().await? {
        for channel in state.store.channels(workspace.id).await? {
            let Some(name) = channel.plugin.as_deref() else {
                continue;
            };
            if switchboard_plugins::bundled(name).is_some() {
                state
                    .plugins
                    .ensure_bundled(state.store.as_ref(), workspace.id, name)
                    .await
                    .map_err(|error| {
                        anyhow::anyhow!("installing the {name} adapter: {}", error.message)
                    })?;
            }
        }
    }
    Ok(())
}

/// This node's name, kept in the data folder (`node-id`) and made on first start.
fn node_name(data_dir: &std::path::Path) -> anyhow::Result<String> {
    let file = data_dir.join("node-id");
    match std::fs::read_to_string(&file) {
        Ok(name) if !name.trim().is_empty() => Ok(name.trim().to_string()),
        _ => {
            let name = format!("node-{:016x}", rand::random::<u64>());
            std::fs::write(&file, &name)
                .with_context(|| format!("cannot write {}", file.display()))?;
            Ok(name)
        }
    }
}

/// Drops dead letters past their age, every hour (a channel that gets new ones trims its own
/// at once).
fn expire_dead_letters(state: &AppState) {
    let (store, max_age_ms) = (
        state.store.clone(),
        state.services.config.dead_letters.max_age_ms,
    );
    tokio::spawn(async move {
        loop {
            let before = switchboard_model::now_millis().saturating_sub(max_age_ms);
            match store.expire_dead_letters(before).await {
                Ok(0) => {}
                Ok(dropped) => tracing::info!(dropped, "dropped dead letters past their age"),
                Err(error) => tracing::warn!(%error, "cannot drop old dead letters"),
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
}

/// Opens snoozed conversations again when their time comes, checking every second.
fn wake_snoozed_conversations(state: &AppState) {
    let store = state.store.clone();
    tokio::spawn(async move {
        loop {
            match store.wake_snoozed(switchboard_model::now_millis()).await {
                Ok(woken) => {
                    for conversation in woken {
                        tracing::info!(
                            workspace_id = conversation.workspace_id,
                            conversation_id = conversation.id,
                            "a snoozed conversation is open again"
                        );
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot wake snoozed conversations"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// Gives conversations waiting in a team's queue to the team's members as they become free
/// (come online, resolve a conversation), every few seconds.
fn assign_queued_conversations(state: &AppState) {
    let store = state.store.clone();
    tokio::spawn(async move {
        loop {
            match store.assign_queued(QUEUE_ROUND).await {
                Ok(assigned) => {
                    for conversation in assigned {
                        tracing::info!(
                            workspace_id = conversation.workspace_id,
                            conversation_id = conversation.id,
                            "a queued conversation was assigned"
                        );
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot assign queued conversations"),
            }
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
    });
}

/// How many waiting conversations one round of [`assign_queued_conversations`] looks at.
const QUEUE_ROUND: usize = 500;

/// Removes uploaded files that no message named within `hours`, every hour.
fn sweep_unattached_files(state: &AppState, hours: u32) {
    let store = state.store.clone();
    let grace_ms = i64::from(hours) * 3_600_000;
    tokio::spawn(async move {
        loop {
            let before = switchboard_model::now_millis().saturating_sub(grace_ms);
            match store.sweep_unattached_files(before).await {
                Ok((0, _)) => {}
                Ok((files, bytes)) => {
                    tracing::info!(files, bytes, "removed uploaded files that no message named")
                }
                Err(error) => tracing::warn!(%error, "cannot remove unattached uploads"),
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
}

/// Delivers queued replies on plugin channels: every second over every workspace (for
/// retries, waits that have ended and work that other nodes left), and in between at once in
/// each workspace where this node queues one. A few rounds run side by side, so that a channel
/// whose provider is slow holds up no later round (which leaves that channel to it); past
/// that, queued replies wait for a round to end and are taken together.
fn deliver_replies(state: &AppState, holder: String) {
    /// Delivery rounds running at once.
    const ROUNDS_AT_ONCE: usize = 4;
    let state = state.clone();
    let rounds = Arc::new(tokio::sync::Semaphore::new(ROUNDS_AT_ONCE));
    tokio::spawn(async move {
        let round = async |workspaces: Option<Vec<switchboard_model::Id>>| {
            let Ok(running) = rounds.clone().acquire_owned().await else {
                return;
            };
            let (state, holder) = (state.clone(), holder.clone());
            tokio::spawn(async move {
                let done = match workspaces {
                    None => switchboard_services::outbox::deliver_due(&state, &holder).await,
                    Some(workspaces) => {
                        switchboard_services::outbox::deliver_queued(&state, &holder, &workspaces)
                            .await
                    }
                };
                if let Err(error) = done {
                    tracing::warn!(code = error.code, reason = %error.message, "a delivery round failed");
                }
                drop(running);
            });
        };
        loop {
            round(None).await;
            let full_round = tokio::time::Instant::now() + Duration::from_secs(1);
            while let Some(workspaces) = state.replies_queued.wait_until(full_round).await {
                round(Some(workspaces)).await;
            }
        }
    });
}

/// Tells workspaces' webhooks of new events and posts their due deliveries, every second.
fn deliver_webhooks(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            if let Err(error) = switchboard_services::webhooks::deliver_due(&state).await {
                tracing::warn!(code = error.code, reason = %error.message, "a round of webhook deliveries failed");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// Makes the scheduled calls of plugins that poll their provider, looking every second for
/// the channels whose time has come.
fn tick_plugins(state: &AppState, holder: String) {
    let state = state.clone();
    tokio::spawn(async move {
        let schedule = switchboard_services::ticks::Schedule::default();
        loop {
            if let Err(error) =
                switchboard_services::ticks::tick_due(&state, &holder, &schedule).await
            {
                tracing::warn!(code = error.code, reason = %error.message, "a round of scheduled plugin calls failed");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
