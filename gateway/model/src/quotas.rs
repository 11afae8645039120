//! The quotas an installation's operator sets on a workspace, by name, and how much of each a
//! workspace uses: what its admins are shown when one is reached.

use serde::{Deserialize, Serialize};

use crate::WorkspaceQuotas;

/// One of a workspace's quotas; on the wire (and in a refusal's `field`) as
/// [`WorkspaceQuotas`] spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Quota {
    Agents,
    Channels,
    Plugins,
    StorageMib,
    MessagesPerDay,
}

impl Quota {
    /// Every quota, in the order admins are shown them.
    pub const ALL: [Quota; 5] = [
        Quota::Agents,
        Quota::Channels,
        Quota::Plugins,
        Quota::StorageMib,
        Quota::MessagesPerDay,
    ];

    /// Its name, as a refusal's `field` gives it.
    pub fn name(self) -> &'static str {
        match self {
            Quota::Agents => "agents",
            Quota::Channels => "channels",
            Quota::Plugins => "plugins",
            Quota::StorageMib => "storage_mib",
            Quota::MessagesPerDay => "messages_per_day",
        }
    }

    /// The quota named `name` (a refusal's `field`), if it is one.
    pub fn named(name: &str) -> Option<Quota> {
        Quota::ALL.into_iter().find(|quota| quota.name() == name)
    }
}

impl WorkspaceQuotas {
    /// The limit `quota` sets, in its own unit (MiB for storage); `None` is no limit.
    pub fn limit(&self, quota: Quota) -> Option<u64> {
        match quota {
            Quota::Agents => self.agents.map(u64::from),
            Quota::Channels => self.channels.map(u64::from),
            Quota::Plugins => self.plugins.map(u64::from),
            Quota::StorageMib => self.storage_mib,
            Quota::MessagesPerDay => self.messages_per_day.map(u64::from),
        }
    }
}

/// How much of one quota a workspace uses, in the quota's unit (MiB for storage, rounded up;
/// today's messages, UTC, for the daily one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuotaUse {
    pub quota: Quota,
    pub limit: u64,
    pub used: u64,
}

impl QuotaUse {
    /// Whether the workspace may have no more of it (a file that fits may still be kept).
    pub fn reached(&self) -> bool {
        self.used >= self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_is_named_as_its_setting_is() {
        let quotas = WorkspaceQuotas {
            channels: Some(3),
            storage_mib: Some(100),
            ..WorkspaceQuotas::default()
        };
        let set: serde_json::Value = serde_json::to_value(quotas).expect("it writes");
        for quota in Quota::ALL {
            assert!(set.get(quota.name()).is_some(), "{quota:?}");
            assert_eq!(Quota::named(quota.name()), Some(quota));
            assert_eq!(
                serde_json::to_value(quota).expect("it writes"),
                serde_json::json!(quota.name())
            );
        }
        assert_eq!(quotas.limit(Quota::Channels), Some(3));
        assert_eq!(quotas.limit(Quota::StorageMib), Some(100));
        assert_eq!(quotas.limit(Quota::Agents), None);
        assert_eq!(Quota::named("people"), None);
    }
}
