//! The store's plugins area on sled (see `crate::store`).

use std::collections::BTreeMap;

use async_trait::async_trait;
use switchboard_model::{Channel, Id, PluginState, PluginVersion, TrustedKeys};

use crate::engine::txn::{Read, Scan};
use crate::keys::{key, key_str};
use crate::{ChannelRecord, PluginData, StoreError, StoreResult};

use crate::domain::{RecordStore, directory, keys};

#[async_trait]
impl PluginData for RecordStore {
    async fn install_plugin(
        &self,
        workspace_id: Id,
        name: &str,
        version: PluginVersion,
    ) -> StoreResult<PluginState> {
        let name = name.to_string();
        self.writer
            .write(move |txn| directory::install_plugin(txn, workspace_id, &name, version))
            .await
    }

    async fn trusted_keys(&self, workspace_id: Id) -> StoreResult<TrustedKeys> {
        Ok(self
            .view()
            .get_json(&key(keys::TRUSTED_KEYS, &[workspace_id]))?
            .unwrap_or_default())
    }

    async fn set_trusted_keys(&self, workspace_id: Id, trusted: TrustedKeys) -> StoreResult<()> {
        self.writer
            .write(move |txn| txn.put_json(key(keys::TRUSTED_KEYS, &[workspace_id]), &trusted))
            .await
    }

    async fn plugins(&self, workspace_id: Id) -> StoreResult<Vec<PluginState>> {
        self.scan(&key(keys::PLUGIN, &[workspace_id]))
    }

    async fn plugin(&self, workspace_id: Id, name: &str) -> StoreResult<PluginState> {
        self.view()
            .get_json(&key_str(keys::PLUGIN, &[workspace_id], name))?
            .ok_or_else(|| StoreError::not_found("plugin", name))
    }

    async fn update_plugin(
        &self,
        workspace_id: Id,
        name: &str,
        active_version: Option<String>,
        enabled: Option<bool>,
    ) -> StoreResult<PluginState> {
        let name = name.to_string();
        self.writer
            .write(move |txn| {
                directory::update_plugin(txn, workspace_id, &name, active_version, enabled)
            })
            .await
    }

    async fn put_channel_record(
        &self,
        workspace_id: Id,
        channel_id: Id,
        record: ChannelRecord,
        bytes: Vec<u8>,
    ) -> StoreResult<()> {
        self.writer
            .write(move |txn| {
                let channel: Channel = txn
                    .get_json(&key(keys::CHANNEL, &[workspace_id, channel_id]))?
                    .ok_or_else(|| StoreError::not_found("channel", channel_id))?;
                if channel.deleted_at.is_some() {
                    // A deleted channel keeps no secrets, cursors or counts.
                    return Err(StoreError::Conflict(format!(
                        "channel {channel_id} ({}) was deleted",
                        channel.name
                    )));
                }
                txn.put(
                    keys::channel_record(workspace_id, channel_id, record),
                    bytes,
                );
                Ok(())
            })
            .await
    }

    async fn channel_record(
        &self,
        workspace_id: Id,
        channel_id: Id,
        record: ChannelRecord,
    ) -> StoreResult<Option<Vec<u8>>> {
        Read::get(
            &self.view(),
            &keys::channel_record(workspace_id, channel_id, record),
        )
    }

    async fn plugin_kv(
        &self,
        workspace_id: Id,
        channel_id: Id,
    ) -> StoreResult<BTreeMap<String, Vec<u8>>> {
        let prefix = key(keys::PLUGIN_KV, &[workspace_id, channel_id]);
        Ok(Scan::scan_prefix(&self.view(), &prefix)?
            .into_iter()
            .map(|(name, value)| {
                (
                    String::from_utf8_lossy(&name[prefix.len()..]).into_owned(),
                    value,
                )
            })
            .collect())
    }

    async fn put_plugin_kv(
        &self,
        workspace_id: Id,
        channel_id: Id,
        writes: BTreeMap<String, Vec<u8>>,
        max_bytes: u64,
    ) -> StoreResult<()> {
        self.writer
            .write(move |txn| {
                let prefix = key(keys::PLUGIN_KV, &[workspace_id, channel_id]);
                let mut entries: BTreeMap<Vec<u8>, usize> = Scan::scan_prefix(txn, &prefix)?
                    .into_iter()
                    .map(|(name, value)| (name[prefix.len()..].to_vec(), value.len()))
                    .collect();
                for (name, value) in &writes {
                    entries.insert(name.as_bytes().to_vec(), value.len());
                }
                let size: u64 = entries
                    .iter()
                    .map(|(name, value)| (name.len() + value) as u64)
                    .sum();
                if size > max_bytes {
                    return Err(StoreError::TooLarge {
                        what: "the channel's plugin key-value store",
                        size,
                        limit: max_bytes,
                    });
                }
                for (name, value) in writes {
                    txn.put(
                        key_str(keys::PLUGIN_KV, &[workspace_id, channel_id], &name),
                        value,
                    );
                }
                Ok(())
            })
            .await
    }
}
