//! The workspace's installed plugins as the API sees them: stored versions (component blobs,
//! manifests, grants) in the store, and linked, ready-to-call plugins in memory. A plugin is
//! loaded from the store the first time a channel needs it, so any node can serve it.

mod context;
mod forms;
mod install;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use switchboard_model::{Channel, Id};
use switchboard_plugins::{Fetch, Grants, Manifest, Plugin, PluginError, Runtime};
use switchboard_store::Store;

pub use self::context::{call_context, channel_secrets, keep_channel_secrets, secrets_of};
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
    switchboard_model::setting_text(&channel.settings, name)
}
