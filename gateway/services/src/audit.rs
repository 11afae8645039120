//! Writing the audit log: one call where a change is made, after it was. A log that cannot be
//! written is reported in the gateway's own log; the change it tells of stays made.

use switchboard_model::{AuditAction, AuditActor, AuditRecord, Id, PluginState, plugin_label};

use crate::Services;

/// Records a change in the workspace's audit log.
pub async fn record(state: &Services, workspace_id: Id, record: AuditRecord) {
    let action = record.action;
    if let Err(error) = state.store.record_audit(workspace_id, record).await {
        tracing::warn!(workspace_id, ?action, %error, "the audit log could not record a change");
    }
}

/// Records a plugin the gateway installed from the watched folder (no person did).
pub async fn plugin_from_folder(state: &Services, plugin: &PluginState) {
    let entry = AuditRecord {
        actor: AuditActor::System,
        action: AuditAction::PluginInstalled,
        record_id: None,
        record_name: Some(plugin_label(plugin)),
        changed: Vec::new(),
    };
    record(state, plugin.workspace_id, entry).await;
}
