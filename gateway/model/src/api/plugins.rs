//! Plugins: uploading one, its installed versions and state, and the publishers' keys a
//! workspace trusts.

use serde::{Deserialize, Serialize};

use crate::{Id, Millis};

/// A plugin to install (or a new version of one), with the grants the admin approves.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PluginUpload {
    /// The plugin's manifest (name, version, contract, channel kind, hosts, settings, secrets, budget).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub manifest: serde_json::Value,
    /// The component, base64-encoded.
    pub wasm_base64: String,
    /// What the admin grants; absent grants everything the manifest asks for.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub grants: Option<serde_json::Value>,
}

/// One installed version of a plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PluginVersion {
    pub version: String,
    pub contract: String,
    /// Hex SHA-256 of the component.
    pub sha256: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub manifest: serde_json::Value,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub grants: serde_json::Value,
    pub installed_at: Millis,
}

/// A plugin publisher's public key that a workspace's admins trust: signed plugin packages
/// are installed only when one of these signed them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrustedKey {
    /// Whose key it is, for the admins (`Acme Integrations`).
    pub name: String,
    /// The ed25519 public key, base64 (what `cargo xtask plugin keygen` prints).
    pub key: String,
}

/// The keys a workspace trusts for plugin packages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrustedKeys {
    pub keys: Vec<TrustedKey>,
}

/// An installed plugin: its versions, the one in use, and whether it runs at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PluginState {
    pub name: String,
    pub workspace_id: Id,
    /// Oldest first.
    pub versions: Vec<PluginVersion>,
    pub active_version: String,
    pub enabled: bool,
}
