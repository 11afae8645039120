//! The limits the installation's operator sets on a workspace ([`WorkspaceQuotas`]), checked
//! before the workspace gets one more person, channel or plugin, or a file an agent or a
//! visitor uploads. Customers' messages, and the files that come with them, are never refused
//! by them. Two requests at the same moment may both pass the check: a quota is a
//! plan's limit, not a lock.

use sha2::{Digest, Sha256};
use switchboard_model::{Id, WorkspaceQuotas, now_millis};
use switchboard_store::Store;

use crate::{Fault, FaultKind, ServiceResult};

/// What a quota counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Agents,
    Channels,
    Plugins,
}

impl Counted {
    /// The quota's name, as `WorkspaceQuotas` and the error's `field` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Counted::Agents => "agents",
            Counted::Channels => "channels",
            Counted::Plugins => "plugins",
        }
    }

    fn limit(self, quotas: &WorkspaceQuotas) -> Option<u32> {
        match self {
            Counted::Agents => quotas.agents,
            Counted::Channels => quotas.channels,
            Counted::Plugins => quotas.plugins,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Counted::Agents => "people",
            Counted::Channels => "channels",
            Counted::Plugins => "plugins of its own",
        }
    }
}

/// Fails with `quota_reached` (naming the quota) when the workspace may not have one more.
pub async fn ensure_room(
    store: &dyn Store,
    workspace_id: Id,
    counted: Counted,
) -> ServiceResult<()> {
    let workspace = store.workspace(workspace_id).await?;
    let Some(limit) = counted.limit(&workspace.quotas) else {
        return Ok(());
    };
    let used = match counted {
        Counted::Agents => store.agents(workspace_id).await?.len(),
        Counted::Channels => store
            .channels(workspace_id)
            .await?
            .iter()
            .filter(|channel| channel.deleted_at.is_none())
            .count(),
        Counted::Plugins => store
            .plugins(workspace_id)
            .await?
            .iter()
            .filter(|plugin| switchboard_plugins::bundled(&plugin.name).is_none())
            .count(),
    };
    if used < limit as usize {
        return Ok(());
    }
    Err(Fault::new(
        FaultKind::QuotaReached,
        "quota_reached",
        format!(
            "this workspace may have at most {limit} {}, and has {used}: remove one, or ask the operator of this Switchboard installation for a larger quota",
            counted.what()
        ),
    )
    .on_field(counted.name()))
}

/// Fails with `quota_reached` (field `storage_mib`) when keeping the file `incoming` would take
/// the workspace past its storage quota; a file it keeps already takes no more room.
pub async fn ensure_storage(
    store: &dyn Store,
    workspace_id: Id,
    incoming: &[u8],
) -> ServiceResult<()> {
    let workspace = store.workspace(workspace_id).await?;
    let Some(quota_mib) = workspace.quotas.storage_mib else {
        return Ok(());
    };
    let sha256 = hex::encode(Sha256::digest(incoming));
    if store.has_file(workspace_id, &sha256).await? {
        return Ok(());
    }
    let stored = store.stored_bytes(workspace_id).await?;
    if stored.saturating_add(incoming.len() as u64) <= quota_mib.saturating_mul(1 << 20) {
        return Ok(());
    }
    Err(Fault::new(
        FaultKind::QuotaReached,
        "quota_reached",
        format!(
            "this workspace may keep {quota_mib} MiB of files and keeps {} MiB: remove files, or ask the operator of this Switchboard installation for a larger quota",
            stored.div_ceil(1 << 20)
        ),
    )
    .on_field("storage_mib"))
}

/// Fails with `quota_reached` (field `messages_per_day`, `429` with `Retry-After` until the next
/// day, UTC) when the workspace wrote as many messages to contacts today as its quota allows.
pub async fn ensure_message_today(store: &dyn Store, workspace_id: Id) -> ServiceResult<()> {
    let workspace = store.workspace(workspace_id).await?;
    let Some(quota) = workspace.quotas.messages_per_day else {
        return Ok(());
    };
    let sent = store.sent_today(workspace_id).await?;
    if sent < u64::from(quota) {
        return Ok(());
    }
    const DAY_MS: i64 = 86_400_000;
    let until_tomorrow = (DAY_MS - now_millis().rem_euclid(DAY_MS)) as u64;
    Err(Fault::new(
        FaultKind::Limited,
        "quota_reached",
        format!(
            "this workspace may write {quota} messages to contacts a day (UTC) and wrote {sent} today: private notes still go in, replies again tomorrow, or ask the operator of this Switchboard installation for a larger quota"
        ),
    )
    .on_field("messages_per_day")
    .retry_after(until_tomorrow.div_ceil(1000)))
}
