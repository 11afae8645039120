//! The key layout of the sled tree. Every key starts with a two-byte tag, then big-endian ids
//! (so keys sort by id), then at most one string. Workspace-owned records put the workspace id
//! first, so a scan can never wander into another workspace.

use switchboard_model::Id;

use crate::ChannelRecord;

pub const META_NEXT_ID: &[u8] = b"mt/next_id";
pub const META_FORMAT: &[u8] = b"mt/format"; // the layout version, see FORMAT
pub const META_JOURNAL_END: &[u8] = b"mt/journal_end"; // where the indexed event journal ends
pub const META_LAST_GROUP: &[u8] = b"mt/last_group"; // PostgreSQL: the writer of the last group
pub const WORKSPACE: &[u8; 2] = b"ws"; // [ws]
pub const AGENT: &[u8; 2] = b"ag"; // [ws, agent]
pub const AGENT_EMAIL: &[u8; 2] = b"ae"; // email -> (ws, agent)
pub const PASSWORD: &[u8; 2] = b"pw"; // [agent] -> argon2id hash
pub const SESSION: &[u8; 2] = b"ss"; // sha256 -> Session
pub const TOKEN: &[u8; 2] = b"tk"; // sha256 -> ApiToken
pub const TOKEN_BY_WORKSPACE: &[u8; 2] = b"tw"; // [ws, token] -> sha256
pub const TEAM: &[u8; 2] = b"tm"; // [ws, team]
pub const CHANNEL: &[u8; 2] = b"ch"; // [ws, channel]
pub const CANNED: &[u8; 2] = b"cr"; // [ws, canned]
pub const LABEL: &[u8; 2] = b"lb"; // [ws, label]
pub const INVITATION: &[u8; 2] = b"iv"; // [ws, invitation]
pub const CONTACT: &[u8; 2] = b"ct"; // [ws, contact]
pub const IDENTITY: &[u8; 2] = b"ci"; // [ws] kind \0 value -> contact
pub const CONVERSATION: &[u8; 2] = b"cv"; // [ws, conversation]
pub const OPEN: &[u8; 2] = b"oc"; // [ws, channel, contact] -> open conversation
pub const BY_CONTACT: &[u8; 2] = b"cc"; // [ws, contact, conversation] -> ()
pub const MESSAGE_CHUNK: &[u8; 2] = b"mc"; // [ws, conversation, chunk] -> [(message, event)]
pub const DELIVERY: &[u8; 2] = b"md"; // [ws, message] -> latest DeliveryStatus
pub const MESSAGE_EDIT: &[u8; 2] = b"me"; // [ws, message] -> the author's latest edit
pub const DEDUPE: &[u8; 2] = b"dx"; // [ws, channel] external id -> Ingested
pub const PROVIDER_ID: &[u8; 2] = b"px"; // [ws, channel] provider's id of a reply -> Ingested
pub const EARLY_REPORT: &[u8; 2] = b"pe"; // [ws, channel] provider's id -> a report before it
pub const EVENT: &[u8; 2] = b"ev"; // [ws, event], in the writer's overlays only (see journal)
pub const EVENT_INDEX: &[u8; 2] = b"ei"; // [ws, first event of a group] -> journal places
pub const OUTBOX: &[u8; 2] = b"ob"; // [channel, message] -> OutboxItem
pub const DEAD_LETTER: &[u8; 2] = b"dl"; // [ws, letter]
pub const DEAD_PAYLOAD: &[u8; 2] = b"dp"; // [letter] -> raw bytes
pub const DEAD_BY_CHANNEL: &[u8; 2] = b"dc"; // [ws, channel, letter] -> (received_at, size)
pub const DEAD_USAGE: &[u8; 2] = b"du"; // [ws, channel] -> (bytes, letters)
pub const FILE: &[u8; 2] = b"fi"; // [ws] sha256 hex -> StoredFile (size, blob's name)
pub const LAYOUT_3_BLOB: &[u8; 2] = b"bl"; // [ws] sha256 hex -> bytes, until layout 4 moves them
pub const UNATTACHED: &[u8; 2] = b"bu"; // [ws] sha256 hex -> Unattached, until a message names it
pub const KEPT_FILE: &[u8; 2] = b"bk"; // [ws] sha256 hex -> (), once a message or record names it
pub const UPLOADED_TODAY: &[u8; 2] = b"ud"; // [ws] visitor (empty: all) -> (day, bytes)
pub const SENT_BY_WORKSPACE: &[u8; 2] = b"sw"; // [ws] -> (day, messages queued to contacts that day)
pub const FILE_BYTES: &[u8; 2] = b"fb"; // [ws] -> bytes of all its files (FILE), kept as they come and go
pub const LEASE: &[u8; 2] = b"ls"; // name -> Lease
pub const PLUGIN: &[u8; 2] = b"pl"; // [ws] name -> PluginState
pub const TRUSTED_KEYS: &[u8; 2] = b"pt"; // [ws] -> TrustedKeys
pub const PLUGIN_KV: &[u8; 2] = b"kv"; // [ws, channel] key -> bytes
pub const CHANNEL_SECRETS: &[u8; 2] = b"cs"; // [ws, channel] -> sealed secrets
pub const TRANSPORT_CURSOR: &[u8; 2] = b"tc"; // [ws, channel] -> a transport's cursor
pub const AUTO_REPLIES: &[u8; 2] = b"ar"; // [ws, channel] -> {contact: last auto-reply}
pub const SENT_TODAY: &[u8; 2] = b"st"; // [ws, channel] -> (day, emails sent)
pub const OAUTH_ACCESS: &[u8; 2] = b"oa"; // [ws, channel] -> sealed access token
pub const REFUSED_ORIGINS: &[u8; 2] = b"ro"; // [ws, channel] -> sites the widget refused, per day
pub const ROUTING: &[u8; 2] = b"ru"; // [ws] -> Routing (hours, away message, rules)
pub const TEAM_TURN: &[u8; 2] = b"rr"; // [ws, team] -> the member automatic assignment chose last
pub const WEBHOOK: &[u8; 2] = b"wh"; // [ws, webhook] -> the webhook and its sealed secret
pub const WEBHOOK_LOG: &[u8; 2] = b"wl"; // [ws, webhook, delivery] -> WebhookDelivery
pub const WEBHOOK_QUEUE: &[u8; 2] = b"wq"; // [ws, delivery] -> (webhook, when due)
pub const WEBHOOK_CURSOR: &[u8; 2] = b"wc"; // [ws] -> the last event webhooks were told of
pub const AUDIT: &[u8; 2] = b"au"; // [ws, entry] -> AuditEntry

/// Tags whose keys start with a workspace's id: removing the workspace removes everything
/// under `key(tag, &[workspace])` of each (its own record, [`WORKSPACE`], last).
pub const BY_WORKSPACE: [&[u8; 2]; 46] = [
    AGENT,
    TOKEN_BY_WORKSPACE,
    TEAM,
    CHANNEL,
    CANNED,
    LABEL,
    INVITATION,
    CONTACT,
    IDENTITY,
    CONVERSATION,
    OPEN,
    BY_CONTACT,
    MESSAGE_CHUNK,
    DELIVERY,
    MESSAGE_EDIT,
    DEDUPE,
    PROVIDER_ID,
    EARLY_REPORT,
    EVENT,
    EVENT_INDEX,
    DEAD_LETTER,
    DEAD_BY_CHANNEL,
    DEAD_USAGE,
    FILE,
    UNATTACHED,
    KEPT_FILE,
    UPLOADED_TODAY,
    FILE_BYTES,
    SENT_BY_WORKSPACE,
    PLUGIN,
    TRUSTED_KEYS,
    PLUGIN_KV,
    CHANNEL_SECRETS,
    TRANSPORT_CURSOR,
    AUTO_REPLIES,
    SENT_TODAY,
    OAUTH_ACCESS,
    REFUSED_ORIGINS,
    ROUTING,
    TEAM_TURN,
    WEBHOOK,
    WEBHOOK_LOG,
    WEBHOOK_QUEUE,
    WEBHOOK_CURSOR,
    AUDIT,
    WORKSPACE,
];

/// The layout this code reads and writes: 2 keeps events in the journal, 3 indexes dead
/// letters by channel, 4 keeps files' bytes in blobs beside the tree (a store of layout 2 or 3
/// is upgraded when opened).
pub const FORMAT: u64 = 4;

/// A key of `tag` and ids.
pub fn key(tag: &[u8; 2], ids: &[Id]) -> Vec<u8> {
    let mut key = Vec::with_capacity(2 + 8 * ids.len());
    key.extend_from_slice(tag);
    for id in ids {
        key.extend_from_slice(&id.to_be_bytes());
    }
    key
}

/// A key of `tag`, ids and a trailing string.
pub fn key_str(tag: &[u8; 2], ids: &[Id], text: &str) -> Vec<u8> {
    let mut key = key(tag, ids);
    key.extend_from_slice(text.as_bytes());
    key
}

/// The last id of a key made by [`key`].
pub fn last_id(key: &[u8]) -> Option<Id> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(Id::from_be_bytes(tail))
}

/// Where one of a channel's records is kept.
pub fn channel_record(workspace_id: Id, channel_id: Id, record: ChannelRecord) -> Vec<u8> {
    let tag = match record {
        ChannelRecord::Secrets => CHANNEL_SECRETS,
        ChannelRecord::TransportCursor => TRANSPORT_CURSOR,
        ChannelRecord::AutoReplies => AUTO_REPLIES,
        ChannelRecord::SentToday => SENT_TODAY,
        ChannelRecord::OAuthAccess => OAUTH_ACCESS,
        ChannelRecord::RefusedOrigins => REFUSED_ORIGINS,
    };
    key(tag, &[workspace_id, channel_id])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tags of a workspace's records keyed otherwise, which `domain::removal` finds through its
    /// other records: a password by its agent, a sign-in address by its text, a session or a
    /// token by its secret's digest, a queued reply by its channel, a dead letter's payload by
    /// the letter.
    const FOUND_THROUGH_OTHERS: [&[u8; 2]; 6] =
        [PASSWORD, AGENT_EMAIL, SESSION, TOKEN, OUTBOX, DEAD_PAYLOAD];

    /// Every tag is either under a workspace's id or found through its records, so that
    /// removing a workspace leaves nothing of it; leases name work, not a workspace's data,
    /// and lapse by themselves; a tag of an older layout is gone once the store is upgraded.
    #[test]
    fn removing_a_workspace_knows_every_tag() {
        let source = include_str!("keys.rs");
        let classified = format!("{BY_WORKSPACE:?} {FOUND_THROUGH_OTHERS:?}");
        for line in source.lines() {
            let Some(rest) = line.strip_prefix("pub const ") else {
                continue;
            };
            let (name, kind) = rest.split_once(':').expect("a constant");
            let older_layout = name.starts_with("LAYOUT_");
            if !kind.trim_start().starts_with("&[u8; 2]") || name == "LEASE" || older_layout {
                continue;
            }
            let tag = rest.split('"').nth(1).expect("the tag's text");
            let bytes = format!("{:?}", tag.as_bytes());
            assert!(
                classified.contains(&bytes),
                "{name} ({tag}) is in neither list"
            );
        }
    }
}
