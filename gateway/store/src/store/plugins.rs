//! Installed plugins, and what each channel's plugin keeps: records, secrets, its key-value store.

use std::collections::BTreeMap;

use async_trait::async_trait;
use switchboard_model::{Id, PluginState, PluginVersion, TrustedKeys};

use crate::{ChannelRecord, StoreResult};

#[async_trait]
pub trait PluginData: Send + Sync {
    /// Adds a version of a plugin (its component is a blob already) and makes it the active one.
    async fn install_plugin(
        &self,
        workspace_id: Id,
        name: &str,
        version: PluginVersion,
    ) -> StoreResult<PluginState>;
    async fn plugins(&self, workspace_id: Id) -> StoreResult<Vec<PluginState>>;
    async fn plugin(&self, workspace_id: Id, name: &str) -> StoreResult<PluginState>;
    /// Makes an installed version the active one, or switches the plugin on or off.
    async fn update_plugin(
        &self,
        workspace_id: Id,
        name: &str,
        active_version: Option<String>,
        enabled: Option<bool>,
    ) -> StoreResult<PluginState>;

    /// The plugin publishers' keys the workspace's admins trust.
    async fn trusted_keys(&self, workspace_id: Id) -> StoreResult<TrustedKeys>;
    async fn set_trusted_keys(&self, workspace_id: Id, keys: TrustedKeys) -> StoreResult<()>;

    /// Replaces one of a channel's records kept apart from its settings.
    async fn put_channel_record(
        &self,
        workspace_id: Id,
        channel_id: Id,
        record: ChannelRecord,
        bytes: Vec<u8>,
    ) -> StoreResult<()>;
    async fn channel_record(
        &self,
        workspace_id: Id,
        channel_id: Id,
        record: ChannelRecord,
    ) -> StoreResult<Option<Vec<u8>>>;
    /// A channel's plugin key-value store.
    async fn plugin_kv(
        &self,
        workspace_id: Id,
        channel_id: Id,
    ) -> StoreResult<BTreeMap<String, Vec<u8>>>;
    /// Keeps the key-value writes of a successful plugin call, all or none: refused with
    /// `TooLarge` when the channel's keys and values would then add up to more than
    /// `max_bytes` (counted at the commit, so that calls running at once cannot each fill it).
    async fn put_plugin_kv(
        &self,
        workspace_id: Id,
        channel_id: Id,
        writes: BTreeMap<String, Vec<u8>>,
        max_bytes: u64,
    ) -> StoreResult<()>;
}
