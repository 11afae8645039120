//! Plugins: what one asks for before it is installed, uploading one, its installed versions
//! and state, and the publishers' keys a workspace trusts.

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

/// A manifest, or a signed package, to read before installing: what the admin is asked to
/// approve. One of the two is given.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PluginPreviewRequest {
    /// The manifest file's text (TOML, as plugins ship it, or JSON).
    #[serde(default)]
    pub manifest: Option<String>,
    /// A signed package (`.sbplugin`), base64-encoded.
    #[serde(default)]
    pub package_base64: Option<String>,
}

/// What a plugin asks for, read from its manifest and checked, before anything is installed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PluginPreview {
    pub name: String,
    pub version: String,
    /// The `switchboard:channel` contract version it was built against.
    pub contract: String,
    pub channel_kind: String,
    /// Hosts it may send requests to (`host` or `host:port`).
    pub allowed_hosts: Vec<String>,
    /// Channel settings it reads.
    pub settings: Vec<String>,
    /// Channel secrets it reads.
    pub secrets: Vec<String>,
    /// Largest memory of one call, in MiB.
    pub memory_mib: u32,
    /// Longest call, in milliseconds.
    pub time_ms: u32,
    /// Largest result of one call, in KiB.
    pub output_kib: u32,
    /// How often it is called on a schedule, in seconds, if at all.
    pub tick_seconds: Option<u32>,
    /// Hours after a contact's last message during which free text may be sent, if limited.
    pub reply_window_hours: Option<u32>,
    /// The version of a plugin of that name the workspace runs now, if it has one: installing
    /// is then an upgrade (or a downgrade).
    pub installed_version: Option<String>,
    /// The manifest as `POST /api/v1/plugins` takes it.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub manifest: serde_json::Value,
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
