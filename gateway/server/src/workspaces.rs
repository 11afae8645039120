//! `switchboard workspace …`: the operator's commands for the businesses the installation
//! hosts. On a stopped gateway they work on the store directly; while the gateway runs (it
//! holds the store) they ask it through `/api/v1/operator` with `operator.token`. Either way the
//! same rules apply (`switchboard_api::operator`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use switchboard_model::{
    CreatedWorkspace, ErrorBody, Id, NewWorkspace, RemovedWorkspace, Workspace, WorkspaceQuotas,
    WorkspaceSummary,
};
use switchboard_store::{Directory, Files, InProcessBus, RecordStore};

use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum WorkspaceCommand {
    /// Make a workspace and its first admin, whose one-time password is printed once.
    Create {
        /// The business's name, as its people see it.
        #[arg(long)]
        name: String,
        /// The first admin's email address, with which they sign in.
        #[arg(long)]
        admin_email: String,
        /// The first admin's name (by default the part of the address before `@`).
        #[arg(long)]
        admin_name: Option<String>,
    },
    /// List every workspace with its people, channels, conversations and stored bytes.
    List,
    /// Suspend a workspace: its people are signed out, its widget and webhooks refused;
    /// nothing is deleted.
    Suspend { id: Id },
    /// Resume a suspended workspace.
    Resume { id: Id },
    /// Set how many people, channels and plugins of its own a workspace may have; a quota not
    /// given stays as it is, `none` lifts it.
    Quotas {
        id: Id,
        #[arg(long)]
        agents: Option<Quota<u32>>,
        #[arg(long)]
        channels: Option<Quota<u32>>,
        #[arg(long)]
        plugins: Option<Quota<u32>>,
        /// MiB of files agents and visitors may upload.
        #[arg(long)]
        storage_mib: Option<Quota<u64>>,
        /// Messages agents and API clients may write to contacts a day (UTC).
        #[arg(long)]
        messages_per_day: Option<Quota<u32>>,
    },
    /// Remove a suspended workspace for good: its people, channels, conversations, files,
    /// secrets, search entries and plugins.
    Delete { id: Id },
    /// Write a workspace's full export into a new folder: `records.jsonl` (one record per
    /// line, see docs/operators.md) and `files/` (each file by its SHA-256).
    Export {
        id: Id,
        /// The folder to make; it must not exist yet, or be empty.
        #[arg(long)]
        to: PathBuf,
    },
}

/// Runs the command and prints its outcome.
pub fn run(config: &Config, command: WorkspaceCommand) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let place = Place::find(config)?;
            let public_url = public_url(config);
            match command {
                WorkspaceCommand::Create {
                    name,
                    admin_email,
                    admin_name,
                } => {
                    let new = NewWorkspace {
                        name,
                        admin_email,
                        admin_name,
                    };
                    let created = place.create(new).await?;
                    println!(
                        "Created workspace {} {:?}.\nIts admin signs in at {public_url}/app/ as {} with this password, shown only now (they should change it):\n\n    {}\n",
                        created.workspace.id,
                        created.workspace.name,
                        created.admin.email,
                        created.password
                    );
                }
                WorkspaceCommand::List => print_list(&place.list().await?),
                WorkspaceCommand::Suspend { id } => {
                    let workspace = place.suspend(id, true).await?;
                    println!(
                        "Suspended workspace {id} {:?}: its people are signed out and its widget and webhooks refused. Nothing was deleted; `switchboard workspace resume {id}` undoes it.",
                        workspace.name
                    );
                }
                WorkspaceCommand::Resume { id } => {
                    let workspace = place.suspend(id, false).await?;
                    println!("Resumed workspace {id} {:?}.", workspace.name);
                }
                WorkspaceCommand::Quotas {
                    id,
                    agents,
                    channels,
                    plugins,
                    storage_mib,
                    messages_per_day,
                } => {
                    let mut quotas = place.workspace(id).await?.quotas;
                    if let Some(Quota(given)) = storage_mib {
                        quotas.storage_mib = given;
                    }
                    for (given, quota) in [
                        (agents, &mut quotas.agents),
                        (channels, &mut quotas.channels),
                        (plugins, &mut quotas.plugins),
                        (messages_per_day, &mut quotas.messages_per_day),
                    ] {
                        if let Some(Quota(given)) = given {
                            *quota = given;
                        }
                    }
                    let workspace = place.set_quotas(id, quotas).await?;
                    let shown = |quota: Option<u32>| quota.map_or("no limit".to_string(), |n| n.to_string());
                    println!(
                        "Workspace {id} {:?} may have: people {}, channels {}, plugins of its own {}, MiB of files {}, messages a day {}.",
                        workspace.name,
                        shown(workspace.quotas.agents),
                        shown(workspace.quotas.channels),
                        shown(workspace.quotas.plugins),
                        workspace.quotas.storage_mib.map_or("no limit".to_string(), |mib| mib.to_string()),
                        shown(workspace.quotas.messages_per_day)
                    );
                }
                WorkspaceCommand::Export { id, to } => {
                    let (records, files, bytes) = place.export(id, &to).await?;
                    println!(
                        "Exported workspace {id} to {}: {records} records in records.jsonl and {files} files ({} KiB) in files/.",
                        to.display(),
                        bytes.div_ceil(1024)
                    );
                }
                WorkspaceCommand::Delete { id } => {
                    let removed = place.remove(config, id).await?;
                    println!(
                        "Removed workspace {id} {:?}: {} records, {} event lines and {} plugin files. Nothing of it is left in the store or the search index.",
                        removed.workspace.name,
                        removed.records,
                        removed.event_lines,
                        removed.plugin_files
                    );
                }
            }
            Ok(())
        })
}

/// A quota as given on the command line: a number, or `none` for no limit.
#[derive(Debug, Clone, Copy)]
pub struct Quota<T>(Option<T>);

impl<T: std::str::FromStr> std::str::FromStr for Quota<T> {
    type Err = String;

    fn from_str(text: &str) -> Result<Quota<T>, String> {
        if text == "none" {
            return Ok(Quota(None));
        }
        text.parse()
            .map(|n| Quota(Some(n)))
            .map_err(|_| format!("{text:?} is neither a number nor `none`"))
    }
}

fn public_url(config: &Config) -> String {
    if config.server.public_url.is_empty() {
        format!("http://{}", config.server.listen)
    } else {
        config.server.public_url.trim_end_matches('/').to_string()
    }
}

fn print_list(workspaces: &[WorkspaceSummary]) {
    println!(
        "{:>6}  {:<10}  {:>6}  {:>8}  {:>13}  {:>10}  name",
        "id", "status", "people", "channels", "conversations", "storage"
    );
    for summary in workspaces {
        let (workspace, usage) = (&summary.workspace, &summary.usage);
        let status = if workspace.suspended_at.is_some() {
            "suspended"
        } else {
            "active"
        };
        println!(
            "{:>6}  {:<10}  {:>6}  {:>8}  {:>13}  {:>7} KiB  {}",
            workspace.id,
            status,
            usage.agents,
            usage.channels,
            usage.conversations,
            usage.storage_bytes.div_ceil(1024),
            workspace.name
        );
    }
}

/// Where the command does its work.
enum Place {
    /// The gateway is stopped: its store, opened here.
    Store(Arc<RecordStore>),
    /// The gateway runs and holds the store: its operator routes.
    Gateway { base_url: String, token: String },
}

impl Place {
    fn find(config: &Config) -> anyhow::Result<Place> {
        let path = &config.store.path;
        if !path.exists() {
            bail!(
                "there is no store at {} (store.path): start the gateway once first",
                path.display()
            );
        }
        let bus = Arc::new(InProcessBus::new(16));
        match RecordStore::open(path, bus) {
            Ok(store) => Ok(Place::Store(Arc::new(store))),
            Err(error) if error.to_string().contains("could not acquire lock") => {
                let Some(token) = config.operator_token()? else {
                    bail!(
                        "the gateway is running and holds the store {}: set operator.token (SWITCHBOARD_OPERATOR__TOKEN) for the gateway and this command, or stop the gateway",
                        path.display()
                    );
                };
                let mut listen = config.server.listen;
                if listen.ip().is_unspecified() {
                    listen.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                Ok(Place::Gateway {
                    base_url: format!("http://{listen}"),
                    token,
                })
            }
            Err(error) => Err(anyhow::anyhow!("{error}"))
                .with_context(|| format!("opening {}", path.display())),
        }
    }

    async fn create(&self, new: NewWorkspace) -> anyhow::Result<CreatedWorkspace> {
        match self {
            Place::Store(store) => Ok(switchboard_api::operator::create_workspace(
                store.as_ref(),
                new,
            )
            .await
            .map_err(|error| anyhow::anyhow!("{}", error.message))?),
            Place::Gateway { .. } => {
                self.call(Method::POST, "", Some(serde_json::to_vec(&new)?))
                    .await
            }
        }
    }

    async fn list(&self) -> anyhow::Result<Vec<WorkspaceSummary>> {
        match self {
            Place::Store(store) => Ok(switchboard_api::operator::summaries(store.as_ref())
                .await
                .map_err(|error| anyhow::anyhow!("{}", error.message))?),
            Place::Gateway { .. } => self.call(Method::GET, "", None).await,
        }
    }

    async fn workspace(&self, id: Id) -> anyhow::Result<Workspace> {
        match self {
            Place::Store(store) => store
                .workspace(id)
                .await
                .map_err(|error| anyhow::anyhow!("{error}")),
            Place::Gateway { .. } => {
                let summary: WorkspaceSummary =
                    self.call(Method::GET, &format!("/{id}"), None).await?;
                Ok(summary.workspace)
            }
        }
    }

    async fn set_quotas(&self, id: Id, quotas: WorkspaceQuotas) -> anyhow::Result<Workspace> {
        match self {
            Place::Store(store) => {
                switchboard_api::operator::set_quotas(store.as_ref(), id, quotas)
                    .await
                    .map_err(|error| anyhow::anyhow!("{}", error.message))
            }
            Place::Gateway { .. } => {
                self.call(
                    Method::PUT,
                    &format!("/{id}/quotas"),
                    Some(serde_json::to_vec(&quotas)?),
                )
                .await
            }
        }
    }

    async fn suspend(&self, id: Id, suspended: bool) -> anyhow::Result<Workspace> {
        match self {
            Place::Store(store) => {
                Ok(
                    switchboard_api::operator::suspend(store.as_ref(), id, suspended)
                        .await
                        .map_err(|error| anyhow::anyhow!("{}", error.message))?,
                )
            }
            Place::Gateway { .. } => {
                let action = if suspended { "suspend" } else { "resume" };
                self.call(
                    Method::POST,
                    &format!("/{id}/{action}"),
                    Some(b"{}".to_vec()),
                )
                .await
            }
        }
    }

    async fn remove(&self, config: &Config, id: Id) -> anyhow::Result<RemovedWorkspace> {
        match self {
            Place::Store(store) => {
                let search =
                    switchboard_search::SearchIndex::open(&config.data_dir().join("search"))
                        .map_err(|error| anyhow::anyhow!("opening the search index: {error}"))?;
                switchboard_services::workspaces::remove(
                    store.as_ref(),
                    &search,
                    Some(&config.plugins.folder),
                    id,
                )
                .await
                .map_err(|fault| anyhow::anyhow!("{}", fault.message))
            }
            Place::Gateway { .. } => self.call(Method::DELETE, &format!("/{id}"), None).await,
        }
    }

    /// Writes the workspace's export into `folder`: its records, then each file they list.
    /// Answers how many records and files, and the files' bytes.
    async fn export(&self, id: Id, folder: &Path) -> anyhow::Result<(u64, u64, u64)> {
        let empty = std::fs::read_dir(folder).map_or(true, |mut entries| entries.next().is_none());
        anyhow::ensure!(
            empty,
            "{} is not empty: export into a new folder",
            folder.display()
        );
        std::fs::create_dir_all(folder.join("files"))
            .with_context(|| format!("cannot make {}", folder.display()))?;
        let records_path = folder.join("records.jsonl");
        let mut records = std::io::BufWriter::new(std::fs::File::create(&records_path)?);
        match self {
            Place::Store(store) => {
                let (lines, mut reader) = tokio::sync::mpsc::channel(64);
                let store = store.clone();
                let writer = tokio::spawn(async move {
                    switchboard_services::export::export(store.as_ref(), id, &lines).await
                });
                while let Some(line) = reader.recv().await {
                    records.write_all(&line)?;
                }
                writer
                    .await?
                    .map_err(|fault| anyhow::anyhow!("{}", fault.message))?;
            }
            Place::Gateway { .. } => {
                let mut body = self
                    .request(Method::GET, &format!("/{id}/export"), None)
                    .await?;
                while let Some(frame) = body.frame().await {
                    if let Ok(data) = frame?.into_data() {
                        records.write_all(&data)?;
                    }
                }
            }
        }
        records.flush()?;
        drop(records);
        let text = std::fs::read_to_string(&records_path)?;
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()
            .context("reading the export back")?;
        anyhow::ensure!(
            lines.last().is_some_and(|line| line["kind"] == "end"),
            "the export was cut off before its end: {} is incomplete",
            records_path.display()
        );
        let (mut files, mut bytes) = (0, 0);
        for line in lines.iter().filter(|line| line["kind"] == "file") {
            let sha256 = line["data"]["sha256"].as_str().context("a file's digest")?;
            anyhow::ensure!(
                sha256.len() == 64 && sha256.bytes().all(|byte| byte.is_ascii_hexdigit()),
                "{sha256:?} is not a file's digest"
            );
            let content = match self {
                Place::Store(store) => store
                    .blob(id, sha256)
                    .await
                    .map_err(|error| anyhow::anyhow!("{error}"))?,
                Place::Gateway { .. } => {
                    let mut body = self
                        .request(Method::GET, &format!("/{id}/files/{sha256}"), None)
                        .await?;
                    let mut content = Vec::new();
                    while let Some(frame) = body.frame().await {
                        if let Ok(data) = frame?.into_data() {
                            content.extend_from_slice(&data);
                        }
                    }
                    content
                }
            };
            bytes += content.len() as u64;
            files += 1;
            std::fs::write(folder.join("files").join(sha256), content)?;
        }
        Ok((lines.len() as u64, files, bytes))
    }

    /// Calls `/api/v1/operator/workspaces{path}` on the running gateway; its answer as JSON.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> anyhow::Result<T> {
        let answer = self.request(method, path, body).await?;
        let bytes = answer.collect().await?.to_bytes();
        serde_json::from_slice(&bytes)
            .with_context(|| format!("reading the gateway's answer to {path}"))
    }

    /// Sends a request to `/api/v1/operator/workspaces{path}` on the running gateway; the body
    /// of a successful answer, else the gateway's refusal as the error.
    async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> anyhow::Result<Incoming> {
        let Place::Gateway { base_url, token } = self else {
            bail!("the store is open here");
        };
        let url = format!("{base_url}/api/v1/operator/workspaces{path}");
        let request = Request::builder()
            .method(method)
            .uri(&url)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.unwrap_or_default())))?;
        let client = Client::builder(TokioExecutor::new()).build_http();
        let response = client
            .request(request)
            .await
            .with_context(|| format!("the gateway holds the store but does not answer at {url}"))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response.into_body());
        }
        let body = response.into_body().collect().await?.to_bytes();
        let message = serde_json::from_slice::<ErrorBody>(&body)
            .map(|error| error.error.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(&body).into_owned());
        bail!("the gateway refused ({status}): {message}")
    }
}
