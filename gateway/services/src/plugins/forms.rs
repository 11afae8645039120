//! Which plugin runs a channel of a kind, and the forms of the channel kinds an admin can add,
//! read from the manifests of the installed plugins and of the adapters the gateway ships.

use switchboard_model::{ChannelForm, ChannelKind, Id, PluginState};
use switchboard_plugins::Manifest;
use switchboard_store::{Store, StoreError};

use super::{Plugins, parse_manifest};
use crate::{Fault, FaultKind, ServiceResult};

impl Plugins {
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
