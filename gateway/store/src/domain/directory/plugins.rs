//! A workspace's plugins: installing a version (one version, one build) and choosing the active
//! version or turning the plugin on and off.

use switchboard_model::{Id, PluginState, PluginVersion};

use super::require_workspace;
use crate::engine::txn::{Read, Txn};
use crate::keys::{self, key_str};
use crate::{StoreError, StoreResult};

pub fn install_plugin(
    txn: &mut Txn,
    workspace_id: Id,
    name: &str,
    version: PluginVersion,
) -> StoreResult<PluginState> {
    require_workspace(txn, workspace_id)?;
    let plugin_key = key_str(keys::PLUGIN, &[workspace_id], name);
    let mut state = txn
        .get_json::<PluginState>(&plugin_key)?
        .unwrap_or_else(|| PluginState {
            name: name.to_string(),
            workspace_id,
            versions: Vec::new(),
            active_version: version.version.clone(),
            enabled: true,
        });
    match state
        .versions
        .iter()
        .find(|installed| installed.version == version.version)
    {
        Some(installed) if installed.sha256 != version.sha256 => {
            return Err(StoreError::Conflict(format!(
                "version {} of {name} is installed with other code; give the new build a new version",
                version.version
            )));
        }
        Some(_) => {}
        None => state.versions.push(version.clone()),
    }
    state.active_version = version.version;
    txn.put_json(plugin_key, &state)?;
    Ok(state)
}

pub fn update_plugin(
    txn: &mut Txn,
    workspace_id: Id,
    name: &str,
    active_version: Option<String>,
    enabled: Option<bool>,
) -> StoreResult<PluginState> {
    let plugin_key = key_str(keys::PLUGIN, &[workspace_id], name);
    let mut state: PluginState = txn
        .get_json(&plugin_key)?
        .ok_or_else(|| StoreError::not_found("plugin", name))?;
    if let Some(version) = active_version {
        if !state
            .versions
            .iter()
            .any(|installed| installed.version == version)
        {
            return Err(StoreError::not_found(
                "plugin version",
                format!("{name} {version}"),
            ));
        }
        state.active_version = version;
    }
    if let Some(enabled) = enabled {
        state.enabled = enabled;
    }
    txn.put_json(plugin_key, &state)?;
    Ok(state)
}
