//! The workspace's installed plugins as the API sees them: stored versions (component blobs,
//! manifests, grants) in the store, and linked, ready-to-call plugins in memory. A plugin is
//! loaded from the store the first time a channel needs it, so any node can serve it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use switchboard_model::{
    Channel, ChannelForm, ChannelKind, Id, PluginState, PluginUpload, PluginVersion, now_millis,
};
use switchboard_plugins::{CallContext, Fetch, Grants, Manifest, Plugin, PluginError, Runtime};
use switchboard_store::{ChannelRecord, FilePurpose, Store, StoreError};

use crate::{Fault, FaultKind, ServiceResult, Services, lock};

/// The largest component accepted.
pub const MAX_COMPONENT_BYTES: u64 = 20 * 1024 * 1024;

pub struct Plugins {
    pub runtime: Arc<Runtime>,
    /// Makes the HTTP requests plugins were granted.
    pub fetcher: Arc<dyn Fetch>,
    /// Linked plugins by workspace and name, with the hash of the component they were built from.
    loaded: Mutex<HashMap<(Id, String), Plugin>>,
}

impl Plugins {
    pub fn new(runtime: Arc<Runtime>, fetcher: Arc<dyn Fetch>) -> Plugins {
        Plugins {
            runtime,
            fetcher,
            loaded: Mutex::new(HashMap::new()),
        }
    }

    /// Checks, compiles and stores an uploaded plugin version, and makes it the active one.
    pub async fn install(
        &self,
        store: &dyn Store,
        workspace_id: Id,
        upload: PluginUpload,
    ) -> ServiceResult<PluginState> {
        let wasm = STANDARD
            .decode(upload.wasm_base64.as_bytes())
            .map_err(|error| invalid(format!("`wasm_base64` is not base64: {error}")))?;
        let manifest: Manifest = serde_json::from_value(upload.manifest.clone())
            .map_err(|error| invalid(format!("the manifest is not valid: {error}")))?;
        let grants: Grants = match upload.grants {
            Some(grants) => serde_json::from_value(grants)
                .map_err(|error| invalid(format!("the grants are not valid: {error}")))?,
            None => manifest.grant_all(),
        };
        self.install_component(store, workspace_id, wasm, manifest, grants)
            .await
    }

    /// Installs a signed package (`switchboard_package`) that one of the workspace's trusted
    /// keys signed; it is granted what its manifest asks for, as its publisher is trusted.
    pub async fn install_package(
        &self,
        store: &dyn Store,
        workspace_id: Id,
        file: &[u8],
    ) -> ServiceResult<PluginState> {
        let trusted: Vec<String> = store
            .trusted_keys(workspace_id)
            .await?
            .keys
            .into_iter()
            .map(|trusted| trusted.key)
            .collect();
        let opened = switchboard_package::open(file, &trusted).map_err(|error| {
            let code = match error {
                switchboard_package::PackageError::Untrusted(_) => "untrusted_package",
                _ => "invalid_package",
            };
            Fault::new(FaultKind::Invalid, code, error.to_string())
        })?;
        let manifest = parse_manifest(&opened.manifest_toml, "in the package")?;
        let grants = manifest.grant_all();
        tracing::info!(workspace_id, plugin = %manifest.name, key = %opened.key, "installing a signed package");
        self.install_component(store, workspace_id, opened.component, manifest, grants)
            .await
    }

    /// Installs every plugin of a watched folder that is new or changed:
    /// `<folder>/<workspace id>/<name>.wasm` beside its manifest `<name>.toml`. Placing the
    /// files there grants the plugin what its manifest asks for. Returns what happened to each
    /// file that was installed or refused; unchanged files are not mentioned.
    pub async fn install_from_folder(
        &self,
        store: &dyn Store,
        folder: &Path,
    ) -> Vec<(PathBuf, ServiceResult<PluginState>)> {
        let mut outcomes = Vec::new();
        let Ok(workspaces) = std::fs::read_dir(folder) else {
            return outcomes;
        };
        for workspace in workspaces.filter_map(Result::ok) {
            let Some(workspace_id) = workspace
                .file_name()
                .to_str()
                .and_then(|name| name.parse::<Id>().ok())
            else {
                continue;
            };
            let Ok(files) = std::fs::read_dir(workspace.path()) else {
                continue;
            };
            let components = files.filter_map(Result::ok).map(|entry| entry.path());
            for file in components.filter(|file| {
                file.extension()
                    .is_some_and(|extension| extension == "wasm")
            }) {
                if let Some(outcome) = self.install_file(store, workspace_id, &file).await {
                    outcomes.push((file, outcome));
                }
            }
        }
        outcomes
    }

    /// Installs one watched file unless that very component is installed already.
    async fn install_file(
        &self,
        store: &dyn Store,
        workspace_id: Id,
        file: &Path,
    ) -> Option<ServiceResult<PluginState>> {
        let wasm = match std::fs::read(file) {
            Ok(wasm) => wasm,
            Err(error) => {
                return Some(Err(invalid(format!(
                    "cannot read {}: {error}",
                    file.display()
                ))));
            }
        };
        let sha256 = hex::encode(Sha256::digest(&wasm));
        let already = store.plugins(workspace_id).await.ok()?;
        if already
            .iter()
            .flat_map(|plugin| &plugin.versions)
            .any(|version| version.sha256 == sha256)
        {
            return None;
        }
        let manifest_file = file.with_extension("toml");
        let manifest = std::fs::read_to_string(&manifest_file)
            .map_err(|error| {
                invalid(format!(
                    "cannot read the manifest {}: {error}",
                    manifest_file.display()
                ))
            })
            .and_then(|text| parse_manifest(&text, &manifest_file.display().to_string()));
        Some(match manifest {
            Ok(manifest) => {
                let grants = manifest.grant_all();
                self.install_component(store, workspace_id, wasm, manifest, grants)
                    .await
            }
            Err(error) => Err(error),
        })
    }

    /// The adapter a new channel of `kind` is run by: the plugin `named`, else the adapter the
    /// gateway ships under the kind's name (installed the first time a channel uses it), else
    /// the workspace's installed plugin of that kind. An API channel needs none; any other kind
    /// without an adapter, or a plugin of another kind, is refused naming both.
    pub async fn adapter_for(
        &self,
        store: &dyn Store,
        workspace_id: Id,
        kind: ChannelKind,
        named: Option<&str>,
    ) -> ServiceResult<Option<String>> {
        let name = match named {
            Some(name) => name.to_string(),
            None if switchboard_plugins::bundled(kind.name()).is_some() => kind.name().to_string(),
            None if kind == ChannelKind::API => return Ok(None),
            None => {
                let installed = store.plugins(workspace_id).await?;
                let Some(plugin) = installed.iter().find(|state| {
                    form_of(Some(state), &state.name)
                        .ok()
                        .flatten()
                        .is_some_and(|form| form.kind == kind)
                }) else {
                    return Err(Fault::new(
                        FaultKind::Invalid,
                        "no_adapter",
                        format!(
                            "no plugin runs channels of kind {kind}: install one for it, or name the plugin in `plugin`"
                        ),
                    ));
                };
                plugin.name.clone()
            }
        };
        if switchboard_plugins::bundled(&name).is_some() {
            self.ensure_bundled(store, workspace_id, &name).await?;
        }
        let state = match store.plugin(workspace_id, &name).await {
            Ok(state) => Some(state),
            Err(StoreError::NotFound { .. }) => None,
            Err(error) => return Err(error.into()),
        };
        if let Some(form) = form_of(state.as_ref(), &name)?
            && form.kind != kind
        {
            return Err(Fault::new(
                FaultKind::Invalid,
                "wrong_channel_kind",
                format!(
                    "the plugin {name} runs channels of kind {}, not {kind}",
                    form.kind
                ),
            ));
        }
        Ok(Some(name))
    }

    /// Installs the adapter the gateway ships as `name` unless the workspace has a plugin of
    /// that name already (an admin's own version wins).
    pub async fn ensure_bundled(
        &self,
        store: &dyn Store,
        workspace_id: Id,
        name: &str,
    ) -> ServiceResult<()> {
        if store.plugin(workspace_id, name).await.is_ok() {
            return Ok(());
        }
        let bundled = switchboard_plugins::bundled(name)
            .ok_or_else(|| invalid(format!("no plugin named {name} ships with the gateway")))?;
        let manifest = parse_manifest(bundled.manifest, name)?;
        let grants = manifest.grant_all();
        self.install_component(store, workspace_id, bundled.wasm.to_vec(), manifest, grants)
            .await
            .map(drop)
    }

    /// The forms of the channel kinds an admin can add: the plugin channels the gateway ships
    /// (SMS, Telegram, WhatsApp) and every installed plugin, the workspace's own version of a
    /// plugin winning over the one shipped. Email and website chat have screens of their own.
    pub async fn channel_forms(
        &self,
        store: &dyn Store,
        workspace_id: Id,
    ) -> ServiceResult<Vec<ChannelForm>> {
        let installed = store.plugins(workspace_id).await?;
        let mut names: Vec<String> = switchboard_plugins::SHIPPED
            .iter()
            .map(|(name, _)| name.to_string())
            .collect();
        for state in &installed {
            if !names.contains(&state.name) {
                names.push(state.name.clone());
            }
        }
        let mut forms = Vec::new();
        for name in names {
            let state = installed.iter().find(|state| state.name == name);
            if let Some(form) = form_of(state, &name)?
                .filter(|form| !matches!(form.kind, ChannelKind::EMAIL | ChannelKind::WEBCHAT))
            {
                forms.push(form);
            }
        }
        Ok(forms)
    }

    /// The form of the plugin `name` as the workspace has it (installed, else shipped).
    pub async fn channel_form(
        &self,
        store: &dyn Store,
        workspace_id: Id,
        name: &str,
    ) -> ServiceResult<Option<ChannelForm>> {
        let state = match store.plugin(workspace_id, name).await {
            Ok(state) => Some(state),
            Err(StoreError::NotFound { .. }) => None,
            Err(error) => return Err(error.into()),
        };
        form_of(state.as_ref(), name)
    }

    /// Checks, compiles and stores a plugin version, and makes it the active one.
    async fn install_component(
        &self,
        store: &dyn Store,
        workspace_id: Id,
        wasm: Vec<u8>,
        manifest: Manifest,
        grants: Grants,
    ) -> ServiceResult<PluginState> {
        if wasm.len() as u64 > MAX_COMPONENT_BYTES {
            return Err(Fault::new(
                FaultKind::TooLarge,
                "too_large",
                format!(
                    "the component is {} bytes, over the limit of {MAX_COMPONENT_BYTES}",
                    wasm.len()
                ),
            ));
        }
        let new_of_its_own = switchboard_plugins::bundled(&manifest.name).is_none()
            && store.plugin(workspace_id, &manifest.name).await.is_err();
        if new_of_its_own {
            crate::quotas::check_room(store, workspace_id, switchboard_model::Quota::Plugins)
                .await?;
        }
        if switchboard_plugins::bundled(&manifest.name).is_none() {
            crate::quotas::check_storage(store, workspace_id, &wasm).await?;
        }
        let plugin = self.load(wasm.clone(), manifest, grants).await?;
        let sha256 = store
            .put_blob(workspace_id, wasm, MAX_COMPONENT_BYTES, FilePurpose::Kept)
            .await?;
        let version = PluginVersion {
            version: plugin.manifest.version.clone(),
            contract: plugin.manifest.contract.clone(),
            sha256,
            manifest: serde_json::to_value(&plugin.manifest)
                .map_err(|error| Fault::internal(error.to_string()))?,
            grants: serde_json::to_value(&plugin.grants)
                .map_err(|error| Fault::internal(error.to_string()))?,
            installed_at: now_millis(),
        };
        let name = plugin.manifest.name.clone();
        let state = store.install_plugin(workspace_id, &name, version).await?;
        self.forget(workspace_id, &name);
        tracing::info!(workspace_id, plugin = %name, version = %state.active_version, "installed a plugin");
        Ok(state)
    }

    /// The plugin a channel uses, ready to call.
    pub async fn active(
        &self,
        store: &dyn Store,
        workspace_id: Id,
        name: &str,
    ) -> ServiceResult<Plugin> {
        let state = store.plugin(workspace_id, name).await?;
        if !state.enabled {
            return Err(Fault::new(
                FaultKind::Busy,
                "plugin_disabled",
                format!("the plugin {name} is disabled"),
            ));
        }
        let version = state
            .versions
            .iter()
            .find(|version| version.version == state.active_version)
            .ok_or_else(|| {
                Fault::internal(format!(
                    "the plugin {name} has no version {}",
                    state.active_version
                ))
            })?;
        let key = (workspace_id, name.to_string());
        if let Some(plugin) = self
            .cached(&key)
            .filter(|plugin| plugin.sha256 == version.sha256)
        {
            return Ok(plugin);
        }
        let wasm = store.blob(workspace_id, &version.sha256).await?;
        let manifest: Manifest = serde_json::from_value(version.manifest.clone())
            .map_err(|error| Fault::internal(error.to_string()))?;
        let grants: Grants = serde_json::from_value(version.grants.clone())
            .map_err(|error| Fault::internal(error.to_string()))?;
        let plugin = self.load(wasm, manifest, grants).await?;
        lock(&self.loaded).insert(key, plugin.clone());
        Ok(plugin)
    }

    /// Drops the linked copy, so the next call loads what the store says is active.
    pub fn forget(&self, workspace_id: Id, name: &str) {
        lock(&self.loaded).remove(&(workspace_id, name.to_string()));
    }

    fn cached(&self, key: &(Id, String)) -> Option<Plugin> {
        lock(&self.loaded).get(key).cloned()
    }

    /// Compiling takes a while: it runs on a blocking thread.
    async fn load(
        &self,
        wasm: Vec<u8>,
        manifest: Manifest,
        grants: Grants,
    ) -> ServiceResult<Plugin> {
        let runtime = self.runtime.clone();
        tokio::task::spawn_blocking(move || runtime.load(&wasm, manifest, grants))
            .await
            .map_err(|error| Fault::internal(error.to_string()))?
            .map_err(plugin_error)
    }
}

fn invalid(message: String) -> Fault {
    Fault::new(FaultKind::Invalid, "invalid_plugin", message)
}

/// A plugin failure as an API error.
pub fn plugin_error(error: PluginError) -> Fault {
    let code = match &error {
        PluginError::Invalid(_) => "invalid_plugin",
        PluginError::Malformed(_) => "unprocessable_payload",
        PluginError::Denied(_) => "plugin_denied",
        _ => "plugin_failed",
    };
    Fault::new(FaultKind::Invalid, code, error.to_string())
}

/// A channel's settings as a plugin sees them: top-level strings, numbers and booleans.
fn string_settings(settings: &serde_json::Value) -> BTreeMap<String, String> {
    let Some(object) = settings.as_object() else {
        return BTreeMap::new();
    };
    object
        .iter()
        .filter_map(|(name, value)| match value {
            serde_json::Value::String(text) => Some((name.clone(), text.clone())),
            serde_json::Value::Number(_) | serde_json::Value::Bool(_) => {
                Some((name.clone(), value.to_string()))
            }
            _ => None,
        })
        .collect()
}

/// What a plugin call for this channel gets: its settings, its secrets, its key-value store and
/// the HTTP client. The plugin then sees only the ones it was granted.
pub async fn call_context(state: &Services, channel: &Channel) -> ServiceResult<CallContext> {
    let secrets = channel_secrets(state, channel).await?;
    Ok(CallContext {
        channel_id: channel.id,
        settings: string_settings(&channel.settings),
        secrets,
        kv: state
            .store
            .plugin_kv(channel.workspace_id, channel.id)
            .await?,
        fetcher: Some(state.plugins.fetcher.clone()),
    })
}

/// A channel's secrets in the clear, for the plugin or the transport that needs them.
pub async fn channel_secrets(
    state: &Services,
    channel: &Channel,
) -> ServiceResult<BTreeMap<String, String>> {
    Ok(
        match state
            .store
            .channel_record(channel.workspace_id, channel.id, ChannelRecord::Secrets)
            .await?
        {
            Some(sealed) => state.secrets.open(&sealed).map_err(Fault::internal)?,
            None => BTreeMap::new(),
        },
    )
}

/// The channel form of a plugin: from its active installed version, else from the adapter
/// the gateway ships under that name. An installed copy of a shipped adapter stored before
/// manifests described forms takes the shipped description of the same version.
fn form_of(state: Option<&PluginState>, name: &str) -> ServiceResult<Option<ChannelForm>> {
    let shipped = switchboard_plugins::bundled(name)
        .map(|bundled| parse_manifest(bundled.manifest, name))
        .transpose()?;
    let installed = state
        .and_then(|state| {
            state
                .versions
                .iter()
                .find(|version| version.version == state.active_version)
        })
        .map(|version| {
            serde_json::from_value::<Manifest>(version.manifest.clone())
                .map_err(|error| Fault::internal(error.to_string()))
        })
        .transpose()?;
    let manifest = match (installed, shipped) {
        (Some(mut installed), Some(shipped)) => {
            if installed.form.is_none() && installed.version == shipped.version {
                installed.form = shipped.form;
            }
            installed
        }
        (Some(manifest), None) | (None, Some(manifest)) => manifest,
        (None, None) => return Ok(None),
    };
    Ok(Some(manifest.channel_form()))
}

fn parse_manifest(text: &str, origin: &str) -> ServiceResult<Manifest> {
    toml::from_str::<Manifest>(text)
        .map_err(|error| invalid(format!("the manifest {origin} is not valid: {error}")))
}

/// The address a channel's provider calls with its webhooks, for a plugin channel.
pub fn webhook_url(state: &Services, channel: &Channel) -> Option<String> {
    let token = channel.webhook_token.as_deref()?;
    Some(format!(
        "{}/hooks/{}/{}/{token}",
        state.config.public_url.trim_end_matches('/'),
        channel.workspace_id,
        channel.id
    ))
}

/// One of a channel's settings as text, whether it was saved as a string or a number; blank
/// text counts as unset.
pub fn setting_text(channel: &Channel, name: &str) -> Option<String> {
    match channel.settings.get(name)? {
        serde_json::Value::String(text) => Some(text.trim().to_string()).filter(|t| !t.is_empty()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}
