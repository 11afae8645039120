//! Installing plugins: an uploaded component, a signed package, the files of the watched
//! folder, or an adapter the gateway ships; each is checked, compiled and stored, and becomes
//! the active version.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use switchboard_model::{
    Id, PluginPreview, PluginPreviewRequest, PluginState, PluginUpload, PluginVersion, now_millis,
};
use switchboard_plugins::{Grants, Manifest};
use switchboard_store::{FilePurpose, Store};

use super::{MAX_COMPONENT_BYTES, Plugins, invalid, parse_manifest};
use crate::{Fault, FaultKind, ServiceResult};

impl Plugins {
    /// What the manifest (or the signed package's) asks for, checked as installing would check
    /// it, without installing anything: what an admin approves first.
    pub async fn preview(
        &self,
        store: &dyn Store,
        workspace_id: Id,
        request: PluginPreviewRequest,
    ) -> ServiceResult<PluginPreview> {
        let manifest = match (request.manifest, request.package_base64) {
            (Some(text), None) if text.trim_start().starts_with('{') => {
                serde_json::from_str::<Manifest>(&text)
                    .map_err(|error| invalid(format!("the manifest is not valid: {error}")))?
            }
            (Some(text), None) => parse_manifest(&text, "file")?,
            (None, Some(package)) => {
                let file = STANDARD
                    .decode(package.as_bytes())
                    .map_err(|error| invalid(format!("`package_base64` is not base64: {error}")))?;
                let opened = open_package(store, workspace_id, &file).await?;
                parse_manifest(&opened.manifest_toml, "in the package")?
            }
            _ => {
                return Err(invalid(
                    "give either `manifest` (the manifest's text) or `package_base64`".into(),
                ));
            }
        };
        self.runtime
            .check_manifest(&manifest)
            .map_err(super::plugin_error)?;
        let installed_version = store
            .plugin(workspace_id, &manifest.name)
            .await
            .ok()
            .map(|installed| installed.active_version);
        Ok(PluginPreview {
            manifest: serde_json::to_value(&manifest)
                .map_err(|error| Fault::internal(error.to_string()))?,
            name: manifest.name,
            version: manifest.version,
            contract: manifest.contract,
            channel_kind: manifest.channel_kind.name().to_string(),
            allowed_hosts: manifest.allowed_hosts,
            settings: manifest.settings,
            secrets: manifest.secrets,
            memory_mib: manifest.budget.memory_mib,
            time_ms: manifest.budget.time_ms,
            output_kib: manifest.budget.output_kib,
            tick_seconds: manifest.tick_seconds,
            reply_window_hours: manifest.reply_window_hours,
            installed_version,
        })
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
        let opened = open_package(store, workspace_id, file).await?;
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
}

/// Opens a signed package, which one of the workspace's trusted keys must have signed.
async fn open_package(
    store: &dyn Store,
    workspace_id: Id,
    file: &[u8],
) -> ServiceResult<switchboard_package::Opened> {
    let trusted: Vec<String> = store
        .trusted_keys(workspace_id)
        .await?
        .keys
        .into_iter()
        .map(|trusted| trusted.key)
        .collect();
    switchboard_package::open(file, &trusted).map_err(|error| {
        let code = match error {
            switchboard_package::PackageError::Untrusted(_) => "untrusted_package",
            _ => "invalid_package",
        };
        Fault::new(FaultKind::Invalid, code, error.to_string())
    })
}
