//! Workspaces as the installation's operator makes, limits, counts and removes them: the
//! workspace itself, its quotas, its name's rule and its usage.

use serde::{Deserialize, Serialize};

use super::{profile, yes};
use crate::{Agent, Id, Millis};

/// One business hosted by the gateway. Every other record belongs to exactly one workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workspace {
    pub id: Id,
    pub name: String,
    pub created_at: Millis,
    /// Set while the installation's operator has suspended the workspace: its people cannot
    /// sign in, its widget and webhooks answer `workspace_suspended`, and nothing is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_at: Option<Millis>,
    /// The limits the installation's operator set; none by default.
    #[serde(default)]
    pub quotas: WorkspaceQuotas,
    /// Where the business is, as an IANA time zone (`America/Bogota`); `UTC` until an admin
    /// picks one.
    #[serde(default = "profile::utc")]
    pub time_zone: String,
    /// The languages the business serves its customers in, of [`crate::LANGUAGES`].
    #[serde(default = "profile::every_language")]
    pub languages: Vec<String>,
    /// The one of `languages` used when nothing says which.
    #[serde(default = "profile::english")]
    pub default_language: String,
    /// Whether its first admin went through the first run (name, time zone, languages, a first
    /// channel) or skipped it; a workspace made before the first run existed counts as done.
    #[serde(default = "yes")]
    pub onboarded: bool,
}

/// How many of each the operator lets a workspace have; `None` is no limit. Reaching one
/// refuses one more (`403 quota_reached`, naming it); customers' messages are never refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceQuotas {
    /// People, active or not.
    pub agents: Option<u32>,
    /// Channels not deleted.
    pub channels: Option<u32>,
    /// Plugins installed by the workspace (the adapters the gateway ships do not count).
    pub plugins: Option<u32>,
    /// MiB of files (attachments, avatars, plugin components) agents and visitors may upload;
    /// files that come with customers' mail and messages are always kept.
    #[serde(default)]
    pub storage_mib: Option<u64>,
    /// Messages agents and API clients may write to contacts a day (UTC); bots' and automatic
    /// answers count but are never refused, and contacts' messages are never counted.
    #[serde(default)]
    pub messages_per_day: Option<u32>,
}

impl WorkspaceQuotas {
    /// The largest quota of anything counted; no quota is no limit.
    pub const MAX_COUNT: u32 = 1_000_000;
    /// The largest storage quota, 1 PiB.
    pub const MAX_STORAGE_MIB: u64 = 1 << 30;

    /// The quota past its largest value, if one is: its name and why.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        let counted = [
            ("agents", self.agents),
            ("channels", self.channels),
            ("plugins", self.plugins),
            ("messages_per_day", self.messages_per_day),
        ];
        if let Some((field, _)) = counted
            .into_iter()
            .find(|(_, quota)| quota.is_some_and(|quota| quota > Self::MAX_COUNT))
        {
            let max = Self::MAX_COUNT;
            return Some((
                field,
                format!("a quota of {field} is at most {max}; leave it out for no limit"),
            ));
        }
        self.storage_mib
            .is_some_and(|mib| mib > Self::MAX_STORAGE_MIB)
            .then(|| {
                let max = Self::MAX_STORAGE_MIB;
                (
                    "storage_mib",
                    format!("a storage quota is at most {max} MiB; leave it out for no limit"),
                )
            })
    }
}

/// The longest workspace name.
pub const MAX_WORKSPACE_NAME_CHARS: usize = 100;

/// What is wrong with a workspace's name (as typed; it is kept trimmed), if anything.
pub fn workspace_name_problem(name: &str) -> Option<String> {
    let name = name.trim();
    let fits = !name.is_empty() && name.chars().count() <= MAX_WORKSPACE_NAME_CHARS;
    (!fits || name.chars().any(char::is_control)).then(|| {
        format!(
            "the workspace's name must have 1 to {MAX_WORKSPACE_NAME_CHARS} characters, none of them a control character"
        )
    })
}

/// How much of the installation a workspace uses, for its operator.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceUsage {
    /// People, active or not.
    pub agents: u64,
    /// Channels not deleted.
    pub channels: u64,
    pub conversations: u64,
    /// Bytes of stored files (attachments, avatars) and kept payloads of dead letters.
    pub storage_bytes: u64,
}

/// A workspace as its operator sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceSummary {
    #[serde(flatten)]
    pub workspace: Workspace,
    pub usage: WorkspaceUsage,
}

/// A new business on the installation, with its first admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewWorkspace {
    pub name: String,
    pub admin_email: String,
    /// The admin's name; the part of the address before `@` when absent.
    #[serde(default)]
    pub admin_name: Option<String>,
}

/// What removing a workspace took away, counted as it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemovedWorkspace {
    pub workspace: Workspace,
    /// Records of the store (people, channels, contacts, conversations, files, secrets…).
    pub records: u64,
    /// Lines of its events in the journal, overwritten.
    pub event_lines: u64,
    /// Files of its watched plugin folder.
    pub plugin_files: u64,
}

/// A workspace just made, with the password its first admin signs in with once: it is shown
/// here only, and the admin must choose their own at their first sign-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedWorkspace {
    pub workspace: Workspace,
    pub admin: Agent,
    pub password: String,
}
