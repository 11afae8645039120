//! The website chat widget's side of the gateway: widget ids, visitor tokens, the widget's
//! public settings, rate limits per visitor and per address, typing signals between agents
//! and visitors, when each visitor was last in the chat (neither of which is stored), and the
//! live events of visitors' sockets ([`feeds`]), and the sites it refused ([`refused_origins`]).
//!
//! A widget id is `{workspace}.{channel}`. A visitor token is
//! `{workspace}.{channel}.{visitor}.{expires}.{tag}`, where the visitor is `a-…` (anonymous,
//! made up by the gateway) or `u-…` (a site's user id, vouched for with the widget's identity
//! secret), `expires` is when it stops working (Unix seconds, [`TOKEN_DAYS`] after it was made)
//! and the tag is made with the gateway's key: tokens need no storage and cannot be forged. The
//! widget starts a session at every page load, which renews its token; a token made before
//! tokens expired (without `expires`) is still renewed once, by a session start only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use switchboard_model::{Channel, ChannelKind, Id, WebchatSettings, now_millis};
pub use switchboard_model::{Presence, Side, SignalKind};
use tokio::sync::broadcast;

use crate::throttle::RateLimiter;
use crate::{Fault, FaultKind, SecretBox, ServiceResult, Services, lock};

mod feeds;
pub mod office_hours;
pub mod refused_origins;

pub use feeds::Live;

/// A visitor, as a token names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visitor {
    pub workspace_id: Id,
    pub channel_id: Id,
    /// `a-…` or `u-…`: the value of the contact's `webchat` identity.
    pub id: String,
}

/// How long a visitor token works, in days.
pub const TOKEN_DAYS: i64 = 30;

impl Visitor {
    /// A token for this visitor, working for [`TOKEN_DAYS`] from now.
    pub fn token(&self, secrets: &SecretBox) -> String {
        self.token_until(secrets, now_millis() / 1000 + TOKEN_DAYS * 24 * 3600)
    }

    fn token_until(&self, secrets: &SecretBox, expires: i64) -> String {
        let body = format!(
            "{}.{}.{}.{expires}",
            self.workspace_id, self.channel_id, self.id
        );
        let tag = secrets.tag("visitor", body.as_bytes());
        format!("{body}.{tag}")
    }

    /// The visitor a token names, while it works.
    pub fn from_token(secrets: &SecretBox, token: &str) -> Option<Visitor> {
        match Self::read_token(secrets, token)? {
            (visitor, Some(expires)) if expires > now_millis() / 1000 => Some(visitor),
            _ => None,
        }
    }

    /// The visitor a token names, for a session start that renews it: a working token, or
    /// one made before tokens expired.
    pub fn from_renewable_token(secrets: &SecretBox, token: &str) -> Option<Visitor> {
        match Self::read_token(secrets, token)? {
            (visitor, None) => Some(visitor),
            (visitor, Some(expires)) if expires > now_millis() / 1000 => Some(visitor),
            _ => None,
        }
    }

    fn read_token(secrets: &SecretBox, token: &str) -> Option<(Visitor, Option<i64>)> {
        let (body, tag) = token.rsplit_once('.')?;
        if !secrets.tag_matches("visitor", body.as_bytes(), tag) {
            return None;
        }
        let parts: Vec<&str> = body.split('.').collect();
        let (workspace, channel, id, expires) = match parts.as_slice() {
            [workspace, channel, id] => (workspace, channel, id, None),
            [workspace, channel, id, expires] => {
                (workspace, channel, id, Some(expires.parse().ok()?))
            }
            _ => return None,
        };
        Some((
            Visitor {
                workspace_id: workspace.parse().ok()?,
                channel_id: channel.parse().ok()?,
                id: id.to_string(),
            },
            expires,
        ))
    }

    pub fn identity(&self) -> switchboard_model::Identity {
        switchboard_model::Identity::new(VISITOR_IDENTITY, &self.id)
    }
}

/// The kind of contact identity whose value is a chat visitor's id.
const VISITOR_IDENTITY: &str = "webchat";

/// The visitors a contact is: the values of its `webchat` identities.
pub fn visitor_ids(contact: &switchboard_model::Contact) -> impl Iterator<Item = &str> {
    contact
        .identities
        .iter()
        .filter(|identity| identity.kind == VISITOR_IDENTITY)
        .map(|identity| identity.value.as_str())
}

/// A website chat channel's widget id, `{workspace}.{channel}`; `None` for other kinds.
pub fn widget_id(channel: &Channel) -> Option<String> {
    (channel.kind == ChannelKind::WEBCHAT)
        .then(|| format!("{}.{}", channel.workspace_id, channel.id))
}

/// The line a site owner pastes before `</body>`: the loader from the gateway's public URL
/// (which must be the root of its origin, as the loader derives every other address from it)
/// and the widget id in `data-widget`.
pub fn snippet(public_url: &str, widget_id: &str) -> String {
    let attribute = |text: &str| {
        text.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        "<script async src=\"{}/widget/loader.js\" data-widget=\"{}\"></script>",
        attribute(public_url.trim_end_matches('/')),
        attribute(widget_id)
    )
}

/// The webchat channel a widget id names.
pub async fn channel(state: &Services, widget: &str) -> ServiceResult<Channel> {
    let unknown = || {
        Fault::new(
            FaultKind::NotFound,
            "no_widget",
            format!(
                "there is no website chat with the widget id `{widget}`: the id is `{{workspace}}.{{channel}}` of a website chat channel (GET /api/v1/channels lists them); copy the snippet again from the channel"
            ),
        )
    };
    let (workspace, channel) = widget.split_once('.').ok_or_else(unknown)?;
    let (Ok(workspace_id), Ok(channel_id)) = (workspace.parse::<Id>(), channel.parse::<Id>())
    else {
        return Err(unknown());
    };
    let channel = state
        .store
        .channel(workspace_id, channel_id)
        .await
        .map_err(|_| unknown())?;
    if channel.kind != ChannelKind::WEBCHAT {
        return Err(unknown());
    }
    crate::workspaces::require_active(state, workspace_id).await?;
    if !channel.active {
        return Err(Fault::new(
            FaultKind::Conflict,
            "channel_inactive",
            format!(
                "the website chat `{widget}` is switched off: an admin switches the channel on again (`active`)"
            ),
        ));
    }
    Ok(channel)
}

/// Whether `color` is `#rgb` or `#rrggbb`: the colour goes into a style, so nothing else gets
/// through.
pub fn valid_color(color: &str) -> bool {
    color
        .strip_prefix('#')
        .is_some_and(|hex| matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The origins a widget may be embedded in (`allowed_origins`); empty means any. Settings are
/// checked when written, but a value stored before that (one origin a line, a stray word) is
/// read entry by entry, skipping what cannot be an origin, so that no visitor's request fails
/// on it.
pub fn allowed_origins(channel: &Channel) -> Vec<String> {
    crate::origin::read_allowed_list(&WebchatSettings::read(&channel.settings).allowed_origins)
}

/// Whether a browser request's `Origin` may use the widget: the gateway's own pages (the chat
/// frame) always may; other pages only when listed.
pub fn origin_allowed(channel: &Channel, origin: Option<&str>, host: Option<&str>) -> bool {
    let Some(origin) = origin else { return true };
    if host.is_some_and(|host| crate::origin::is_same_host(origin, host)) {
        return true;
    }
    let allowed = allowed_origins(channel);
    allowed.is_empty() || allowed.contains(&crate::origin::normalize(origin))
}

/// The visitor-facing limits.
pub struct WidgetLimits {
    /// Messages and uploads per visitor.
    pub per_visitor: RateLimiter,
    /// Every widget request per client address.
    pub per_address: RateLimiter,
    /// Typing and read signals per visitor.
    pub signals_per_visitor: RateLimiter,
}

impl Default for WidgetLimits {
    fn default() -> Self {
        WidgetLimits {
            per_visitor: RateLimiter::new(20, 30),
            per_address: RateLimiter::new(120, 300),
            signals_per_visitor: RateLimiter::new(10, 60),
        }
    }
}

/// What the widget side shares: presence signals of all workspaces, the rate limits, and
/// when each visitor was last in the chat.
#[derive(Default)]
pub struct Widgets {
    pub limits: WidgetLimits,
    pub presence: PresenceHub,
    pub seen: VisitorsSeen,
    /// Live events for visitors' sockets.
    pub feeds: Arc<feeds::VisitorFeeds>,
}

/// When visitors were last in the chat (this node's memory, not stored): a visitor counts as
/// there while a widget socket of theirs is open, and at each request they make. Replies to a
/// visitor who was not there since go out by email (see `email::continuation`).
#[derive(Default)]
pub struct VisitorsSeen {
    /// By workspace and visitor id (the value of the contact's `webchat` identity).
    visitors: Mutex<HashMap<(Id, String), Seen>>,
}

#[derive(Default)]
struct Seen {
    open_sockets: u32,
    last_seen: i64,
}

/// While it lives, the visitor counts as in the chat.
pub struct InChat<'a> {
    seen: &'a VisitorsSeen,
    key: (Id, String),
}

impl Drop for InChat<'_> {
    fn drop(&mut self) {
        let mut visitors = self.seen.lock();
        if let Some(seen) = visitors.get_mut(&self.key) {
            seen.open_sockets = seen.open_sockets.saturating_sub(1);
            seen.last_seen = now_millis();
        }
    }
}

/// How long a visitor's last visit is remembered once they are gone.
const REMEMBER_MS: i64 = 24 * 60 * 60 * 1000;

impl VisitorsSeen {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(Id, String), Seen>> {
        lock(&self.visitors)
    }

    /// The visitor made a request just now.
    pub fn saw(&self, visitor: &Visitor) {
        let now = now_millis();
        let mut visitors = self.lock();
        if visitors.len() > 100_000 {
            visitors.retain(|_, seen| seen.open_sockets > 0 || now - seen.last_seen < REMEMBER_MS);
        }
        visitors
            .entry((visitor.workspace_id, visitor.id.clone()))
            .or_default()
            .last_seen = now;
    }

    /// The visitor opened a socket; they are in the chat until the guard is dropped.
    pub fn enter(&self, visitor: &Visitor) -> InChat<'_> {
        self.saw(visitor);
        let key = (visitor.workspace_id, visitor.id.clone());
        self.lock().entry(key.clone()).or_default().open_sockets += 1;
        InChat { seen: self, key }
    }

    /// Whether the visitor has been in the chat at or after `since` (or is now).
    pub fn seen_since(&self, workspace_id: Id, visitor_id: &str, since: i64) -> bool {
        self.lock()
            .get(&(workspace_id, visitor_id.to_string()))
            .is_some_and(|seen| seen.open_sockets > 0 || seen.last_seen >= since)
    }
}

/// Presence signals, kept apart per workspace and per side: a signal wakes only the tasks
/// that pass that workspace's signals of that side on (a visitor's to the agents' event-socket
/// shards, an agent's to the visitors' router), never those of other workspaces.
#[derive(Default)]
pub struct PresenceHub {
    senders: Mutex<HashMap<(Id, Side), broadcast::Sender<Presence>>>,
    /// Where this node's signals also go: the other nodes, through the bus (see
    /// [`PresenceHub::relay_to`]).
    relay: std::sync::OnceLock<Relay>,
}

/// Passes a signal made on this node on to the other nodes.
pub type Relay = Box<dyn Fn(&Presence) + Send + Sync>;

/// Signals one listener may fall behind by before it misses some (they are hints).
const SIGNALS_QUEUED: usize = 64;
/// Workspaces and sides with a sender before those nobody listens to any more are forgotten.
const SENDERS_KEPT: usize = 1024;

impl PresenceHub {
    /// Passes a signal made on this node to the listeners of its workspace and side, here and
    /// (when relayed) on the other nodes.
    pub fn publish(&self, signal: Presence) {
        if let Some(relay) = self.relay.get() {
            relay(&signal);
        }
        self.deliver(signal);
    }

    /// Sends this node's signals to `relay` too, from now on (once: a node has one bus).
    pub fn relay_to(&self, relay: Relay) {
        let _ = self.relay.set(relay);
    }

    /// Passes `signal` to this node's listeners of its workspace and side, if there are any.
    pub fn deliver(&self, signal: Presence) {
        let key = (signal.workspace_id, signal.from);
        let mut senders = lock(&self.senders);
        if let Some(sender) = senders.get(&key)
            && sender.send(signal).is_err()
        {
            senders.remove(&key);
        }
    }

    /// The signals that `from` sends in the workspace, from now on.
    pub fn subscribe(&self, workspace_id: Id, from: Side) -> broadcast::Receiver<Presence> {
        let mut senders = lock(&self.senders);
        if senders.len() >= SENDERS_KEPT {
            senders.retain(|_, sender| sender.receiver_count() > 0);
        }
        senders
            .entry((workspace_id, from))
            .or_insert_with(|| broadcast::channel(SIGNALS_QUEUED).0)
            .subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ana() -> Visitor {
        Visitor {
            workspace_id: 1,
            channel_id: 2,
            id: "a-00ff".into(),
        }
    }

    #[test]
    fn a_token_works_until_it_expires_and_cannot_be_stretched() {
        let secrets = SecretBox::from_key([3; 32]);
        let token = ana().token(&secrets);
        assert_eq!(Visitor::from_token(&secrets, &token), Some(ana()));
        let expired = ana().token_until(&secrets, now_millis() / 1000 - 1);
        assert_eq!(Visitor::from_token(&secrets, &expired), None);
        assert_eq!(Visitor::from_renewable_token(&secrets, &expired), None);
        // Moving the expiry forward breaks the tag.
        let (body, tag) = expired.rsplit_once('.').expect("tag");
        let (start, _) = body.rsplit_once('.').expect("expiry");
        let stretched = format!("{start}.99999999999.{tag}");
        assert_eq!(Visitor::from_token(&secrets, &stretched), None);
    }

    #[test]
    fn a_token_from_before_expiry_is_renewed_by_a_session_start_only() {
        let secrets = SecretBox::from_key([3; 32]);
        let body = "1.2.a-00ff";
        let legacy = format!("{body}.{}", secrets.tag("visitor", body.as_bytes()));
        assert_eq!(Visitor::from_token(&secrets, &legacy), None);
        assert_eq!(
            Visitor::from_renewable_token(&secrets, &legacy),
            Some(ana())
        );
    }

    #[test]
    fn a_signal_reaches_only_the_listeners_of_its_workspace_and_side() {
        let hub = PresenceHub::default();
        let mut agents_of_acme = hub.subscribe(1, Side::Visitor);
        let mut agents_of_rival = hub.subscribe(2, Side::Visitor);
        let mut visitors_of_acme = hub.subscribe(1, Side::Agent);
        hub.publish(Presence {
            workspace_id: 1,
            conversation_id: 7,
            from: Side::Visitor,
            kind: SignalKind::Typing,
            author: Some("Ana".into()),
        });
        let signal = agents_of_acme
            .try_recv()
            .expect("the agents of Acme hear Ana");
        assert_eq!(signal.conversation_id, 7);
        assert!(
            agents_of_rival.try_recv().is_err(),
            "another workspace hears nothing"
        );
        assert!(
            visitors_of_acme.try_recv().is_err(),
            "visitors hear agents only"
        );
    }
}
