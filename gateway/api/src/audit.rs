//! The audit log's one line per route: what the caller did to which record, and which fields
//! the request set (by name, never a value), written after the change was made:
//! `Audit::of(AuditAction::TeamUpdated).record(id, &team.name).change(&update).by(&state, &caller).await`.

use serde::Serialize;
use switchboard_model::{
    Agent, AuditAction, AuditActor, AuditRecord, Id, changed_fields, fields_that_differ,
};

use crate::{AppState, Caller};

/// An entry of the audit log being written.
pub struct Audit(AuditRecord);

impl Audit {
    pub fn of(action: AuditAction) -> Audit {
        Audit(AuditRecord {
            // The caller is set by `by`.
            actor: AuditActor::System,
            action,
            record_id: None,
            record_name: None,
            changed: Vec::new(),
        })
    }

    /// The record changed, by id and name.
    pub fn record(mut self, id: Id, name: &str) -> Audit {
        self.0.record_id = Some(id);
        self.0.record_name = Some(name.to_string());
        self
    }

    /// The record changed, by id only.
    pub fn id(mut self, id: Id) -> Audit {
        self.0.record_id = Some(id);
        self
    }

    /// The record changed, by name only (a plugin).
    pub fn named(mut self, name: &str) -> Audit {
        self.0.record_name = Some(name.to_string());
        self
    }

    /// The fields `change` (a request's body) sets.
    pub fn change(mut self, change: &impl Serialize) -> Audit {
        self.0.changed = serde_json::to_value(change)
            .map(|value| changed_fields(&value))
            .unwrap_or_default();
        self
    }

    /// The fields that differ between two versions of a record written whole.
    pub fn between(mut self, before: &impl Serialize, after: &impl Serialize) -> Audit {
        if let (Ok(before), Ok(after)) = (serde_json::to_value(before), serde_json::to_value(after))
        {
            self.0.changed = fields_that_differ(&before, &after);
        }
        self
    }

    /// Writes it as done by the installation's operator.
    pub async fn by_operator(mut self, state: &AppState, workspace_id: Id) {
        self.0.actor = AuditActor::Operator;
        switchboard_services::audit::record(state, workspace_id, self.0).await;
    }

    /// Writes it as done by `caller`.
    pub async fn by(self, state: &AppState, caller: &Caller) {
        self.by_agent(state, caller.workspace_id, &caller.agent)
            .await;
    }

    /// Writes it as done by `agent` of the workspace `workspace_id`.
    pub async fn by_agent(mut self, state: &AppState, workspace_id: Id, agent: &Agent) {
        self.0.actor = AuditActor::Agent {
            id: agent.id,
            name: agent.name.clone(),
        };
        switchboard_services::audit::record(state, workspace_id, self.0).await;
    }
}
