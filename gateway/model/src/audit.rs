//! The audit log: who changed which setting of a workspace, invited or removed whom, installed
//! which plugin, and when. An entry names the fields a change set, never their values, so no
//! secret ever reaches it ([`changed_fields`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Id, Millis, PluginState};

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AuditActor {
    /// An agent of the workspace, by session or API token; `name` as it was then.
    Agent { id: Id, name: String },
    /// The installation's operator.
    Operator,
    /// The gateway itself (a plugin dropped into the watched folder).
    System,
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    ChannelCreated,
    ChannelUpdated,
    /// Its secrets were replaced or changed (which ones, never their values).
    ChannelSecretsChanged,
    ChannelDeleted,
    RoutingChanged,
    TeamCreated,
    TeamUpdated,
    TeamDeleted,
    PersonAdded,
    PersonInvited,
    InvitationWithdrawn,
    PersonUpdated,
    PersonRoleChanged,
    PersonDeactivated,
    PersonReactivated,
    TokenCreated,
    TokenRevoked,
    PluginInstalled,
    /// Another installed version made the active one (an upgrade or a rollback).
    PluginActivated,
    PluginDisabled,
    PluginEnabled,
    TrustedKeysChanged,
    WebhookCreated,
    WebhookUpdated,
    WebhookDeleted,
    WorkspaceUpdated,
    /// By the operator: the workspace's people were signed out and its traffic refused.
    WorkspaceSuspended,
    WorkspaceResumed,
    /// By the operator: how many people, channels and plugins it may have.
    QuotasChanged,
    ContactsImported,
    ContactErased,
}

/// One change, as recorded (the store gives it its id and time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    pub actor: AuditActor,
    pub action: AuditAction,
    /// The record changed, when it has an id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_id: Option<Id>,
    /// Its name (or address) as it was then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_name: Option<String>,
    /// The fields the change set, by name (`settings.imap_host`, `secrets.password`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
}

/// An entry of the audit log (`GET /api/v1/audit-log`, newest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: Id,
    pub workspace_id: Id,
    pub at: Millis,
    #[serde(flatten)]
    pub record: AuditRecord,
}

/// How the audit log names a plugin: its name and active version.
pub fn plugin_label(plugin: &PluginState) -> String {
    format!("{} {}", plugin.name, plugin.active_version)
}

/// The fields a change (a request's body as JSON) sets, by name: its keys whose value is not
/// `null`, and inside `settings` and `secrets` each key by itself. Values are never read
/// beyond that, so a secret's value cannot reach the log.
pub fn changed_fields(change: &Value) -> Vec<String> {
    let Some(fields) = change.as_object() else {
        return Vec::new();
    };
    let mut changed = Vec::new();
    for (name, value) in fields {
        match value {
            Value::Null | Value::Bool(false) if name == "rotate_secret" => {}
            Value::Null => {}
            Value::Object(inner) if ["settings", "secrets"].contains(&name.as_str()) => {
                changed.extend(inner.keys().map(|key| format!("{name}.{key}")));
            }
            _ => changed.push(name.clone()),
        }
    }
    changed
}

/// The fields whose values differ between two versions of a record written whole, by name
/// (`null` and absent are the same).
pub fn fields_that_differ(before: &Value, after: &Value) -> Vec<String> {
    let (Some(before), Some(after)) = (before.as_object(), after.as_object()) else {
        return Vec::new();
    };
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|name| {
            let set = |value: Option<&Value>| value.filter(|value| !value.is_null()).cloned();
            set(before.get(*name)) != set(after.get(*name))
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_names_its_fields_and_never_a_value() {
        let change = serde_json::json!({
            "name": "Soporte",
            "default_team_id": null,
            "settings": { "imap_host": "imap.acme.test" },
            "secrets": { "password": "hunter2" },
            "rotate_secret": false,
        });
        let changed = changed_fields(&change);
        assert_eq!(
            changed,
            ["name", "secrets.password", "settings.imap_host"],
            "keys in order, nulls left out"
        );
        assert!(!format!("{changed:?}").contains("hunter2"));
        assert!(changed_fields(&serde_json::json!([1, 2])).is_empty());
    }

    #[test]
    fn a_record_written_whole_names_the_fields_that_differ() {
        let before = serde_json::json!({ "rules": [], "away_message": "Hola", "hours": null });
        let after = serde_json::json!({ "rules": [{ "team_id": 4 }], "away_message": "Hola" });
        assert_eq!(fields_that_differ(&before, &after), ["rules"]);
    }
}
