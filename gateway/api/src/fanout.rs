//! Live events to the agents' event sockets.
//!
//! A workspace's sockets are kept in shards of up to [`SHARD_SIZE`]. A shard is one task with
//! one feed from the bus: it makes each event's WebSocket frame once for all its members and
//! writes it straight to every member's [`Wire`], so an event wakes one task per shard, not one
//! per socket. Visitors'
//! presence signals (typing, read) go the same way, as hints: a socket that is aside or full
//! misses them.
//!
//! A socket joins set aside: its own task first sends what the store holds after the client's
//! last id, then rejoins ([`Membership::rejoin`]). A socket that cannot take the next frame, or
//! whose shard fell behind the bus, is set aside again and catches up from the store the same
//! way. Every event still arrives once and in order: while a member is aside its shard notes
//! the newest event it skipped, and the member rejoins only once the store has given it
//! everything up to there (an event is in the store before the bus carries it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use switchboard_model::{EventId, Id};
use switchboard_store::{EventBus, Subscription};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{Notify, broadcast};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use crate::connection::Wire;
use switchboard_services::lock;
use switchboard_services::widget::{Presence, PresenceHub, Side};

/// Sockets per shard: few enough that one shard's writes take a fraction of a millisecond,
/// and enough shards for both cores to share a big workspace's fan-out.
const SHARD_SIZE: usize = 32;

/// Every workspace's shards.
#[derive(Default)]
pub struct FanOut {
    workspaces: Mutex<HashMap<Id, Vec<Arc<Shard>>>>,
}

struct Shard {
    members: Mutex<Vec<Arc<Member>>>,
    /// Told when the last member left: the shard's task ends.
    retired: Notify,
}

struct Member {
    /// The agent whose socket it is.
    agent_id: Id,
    wire: Arc<Wire>,
    progress: Mutex<Progress>,
    /// Told when the shard sets the member aside.
    set_aside: Notify,
}

#[derive(Debug)]
struct Progress {
    /// The newest event the socket was sent (by the shard while live, else as of rejoining).
    last_sent: EventId,
    live: bool,
    /// The newest event the shard skipped while the member was aside.
    skipped_up_to: EventId,
    /// The socket's access ended (its workspace was suspended, its agent deactivated): it
    /// closes.
    closed: bool,
}

/// A socket's place in a shard; leaving is dropping it.
pub struct Membership {
    fanout: Arc<FanOut>,
    workspace_id: Id,
    shard: Arc<Shard>,
    member: Arc<Member>,
}

impl FanOut {
    /// Adds a socket to the workspace's fan-out, set aside until it has sent what the store
    /// holds after `last_sent`.
    pub fn join(
        self: &Arc<Self>,
        bus: &dyn EventBus,
        presence: &PresenceHub,
        workspace_id: Id,
        agent_id: Id,
        wire: Arc<Wire>,
        last_sent: EventId,
    ) -> Membership {
        let member = Arc::new(Member {
            agent_id,
            wire,
            progress: Mutex::new(Progress {
                last_sent,
                live: false,
                skipped_up_to: 0,
                closed: false,
            }),
            set_aside: Notify::new(),
        });
        let mut workspaces = lock(&self.workspaces);
        let shards = workspaces.entry(workspace_id).or_default();
        let shard = match shards
            .iter()
            .find(|shard| lock(&shard.members).len() < SHARD_SIZE)
        {
            Some(shard) => shard.clone(),
            None => {
                let shard = Arc::new(Shard {
                    members: Mutex::default(),
                    retired: Notify::new(),
                });
                // Subscribed before any member joins, so no event after joining is missed.
                tokio::spawn(run(
                    shard.clone(),
                    bus.subscribe(workspace_id),
                    presence.subscribe(workspace_id, Side::Visitor),
                ));
                shards.push(shard.clone());
                shard
            }
        };
        lock(&shard.members).push(member.clone());
        Membership {
            fanout: self.clone(),
            workspace_id,
            shard,
            member,
        }
    }

    /// Ends every socket of the workspace: each one's [`Membership::set_aside`] answers `None`.
    pub fn close_workspace(&self, workspace_id: Id) {
        self.close(workspace_id, None);
    }

    /// Ends every socket agent `agent_id` of the workspace opened, as
    /// [`FanOut::close_workspace`] does.
    pub fn close_agent(&self, workspace_id: Id, agent_id: Id) {
        self.close(workspace_id, Some(agent_id));
    }

    /// Ends the workspace's sockets: all of them, or those of one agent.
    fn close(&self, workspace_id: Id, agent_id: Option<Id>) {
        let workspaces = lock(&self.workspaces);
        for shard in workspaces.get(&workspace_id).into_iter().flatten() {
            for member in lock(&shard.members).iter() {
                if agent_id.is_some_and(|agent_id| agent_id != member.agent_id) {
                    continue;
                }
                let mut progress = lock(&member.progress);
                progress.closed = true;
                progress.live = false;
                drop(progress);
                member.set_aside.notify_one();
            }
        }
    }
}

impl Membership {
    /// Goes live after the socket was sent every event up to `last_sent`; `false` when the
    /// shard skipped a newer one meanwhile, which the store must give first.
    pub fn rejoin(&self, last_sent: EventId) -> bool {
        let mut progress = lock(&self.member.progress);
        if progress.skipped_up_to > last_sent {
            return false;
        }
        progress.last_sent = last_sent;
        progress.live = true;
        true
    }

    /// Waits until the shard sets the socket aside; then the newest event it was sent, or
    /// `None` when the socket's access ended ([`FanOut::close_workspace`],
    /// [`FanOut::close_agent`]).
    pub async fn set_aside(&self) -> Option<EventId> {
        loop {
            self.member.set_aside.notified().await;
            // A notice from before the last rejoin is stale.
            let progress = lock(&self.member.progress);
            if progress.closed {
                return None;
            }
            if !progress.live {
                return Some(progress.last_sent);
            }
        }
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        let mut workspaces = lock(&self.fanout.workspaces);
        let mut members = lock(&self.shard.members);
        members.retain(|member| !Arc::ptr_eq(member, &self.member));
        if !members.is_empty() {
            return;
        }
        drop(members);
        self.shard.retired.notify_one();
        if let Some(shards) = workspaces.get_mut(&self.workspace_id) {
            shards.retain(|shard| !Arc::ptr_eq(shard, &self.shard));
            if shards.is_empty() {
                workspaces.remove(&self.workspace_id);
            }
        }
    }
}

/// A shard's task: each event from the bus, and each visitor's presence signal in the
/// workspace, to every member.
async fn run(
    shard: Arc<Shard>,
    mut feed: Subscription,
    mut presence: broadcast::Receiver<Presence>,
) {
    let mut presence_open = true;
    loop {
        tokio::select! {
            biased;
            () = shard.retired.notified() => return,
            frame = feed.recv() => match frame {
                Ok(frame) => {
                    let bytes = text_frame(&frame.json);
                    for member in lock(&shard.members).iter() {
                        member.offer(frame.id, &bytes);
                    }
                }
                // Events this shard never saw are in the store: every member reads them there.
                Err(RecvError::Lagged(_)) => {
                    for member in lock(&shard.members).iter() {
                        member.put_aside(&mut lock(&member.progress));
                    }
                }
                Err(RecvError::Closed) => return,
            },
            signal = presence.recv(), if presence_open => match signal {
                Ok(signal) => {
                    let json = serde_json::json!({ "type": "presence", "data": signal });
                    let bytes = text_frame(&json.to_string());
                    for member in lock(&shard.members).iter() {
                        member.hint(&bytes);
                    }
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => presence_open = false,
            },
        }
    }
}

impl Member {
    fn offer(&self, id: EventId, frame: &[u8]) {
        let mut progress = lock(&self.progress);
        if id <= progress.last_sent {
            return;
        }
        if progress.live {
            if let Ok(true) = self.wire.send_whole(frame) {
                progress.last_sent = id;
                return;
            }
            // A full queue, or a broken connection (which its task finds on its own).
            self.put_aside(&mut progress);
        }
        progress.skipped_up_to = progress.skipped_up_to.max(id);
    }

    /// A frame with no id, for a live socket with room for it.
    fn hint(&self, frame: &[u8]) {
        if lock(&self.progress).live {
            let _ = self.wire.send_whole(frame);
        }
    }

    fn put_aside(&self, progress: &mut Progress) {
        if progress.live {
            progress.live = false;
            metrics::counter!("switchboard_event_sockets_set_aside_total").increment(1);
            self.set_aside.notify_one();
        }
    }
}

/// A text as one unmasked WebSocket text frame (server to client): an event's JSON is framed
/// once, the same bytes for every socket.
pub(crate) fn text_frame(text: &str) -> Vec<u8> {
    let frame = Frame::message(text.as_bytes().to_vec(), OpCode::Data(Data::Text), true);
    let mut bytes = Vec::with_capacity(frame.len());
    // Writing into a Vec cannot fail.
    let _ = frame.format(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::StreamExt;
    use switchboard_store::{EventFrame, InProcessBus};
    use tokio::net::{TcpListener, TcpSocket, TcpStream};
    use tokio_tungstenite::WebSocketStream;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::Role;

    use super::*;

    const WORKSPACE: Id = 7;

    /// A wire on the gateway's side and the client's end of it, which takes little at a time.
    async fn connection() -> (Arc<Wire>, WebSocketStream<TcpStream>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let client = TcpSocket::new_v4().expect("socket");
        client.set_recv_buffer_size(4096).expect("small buffer");
        let (client, accepted) = tokio::join!(
            client.connect(listener.local_addr().expect("address")),
            listener.accept()
        );
        let wire = Arc::new(Wire::new(accepted.expect("accept").0));
        let client =
            WebSocketStream::from_raw_socket(client.expect("connect"), Role::Client, None).await;
        (wire, client)
    }

    /// A bus, a presence hub and a fan-out, as the gateway has them.
    struct Rig {
        bus: InProcessBus,
        hub: PresenceHub,
        fanout: Arc<FanOut>,
    }

    impl Rig {
        fn new() -> Rig {
            Rig {
                bus: InProcessBus::new(1024),
                hub: PresenceHub::default(),
                fanout: Arc::new(FanOut::default()),
            }
        }

        /// A socket of `workspace` that joined the fan-out (aside until it rejoins), its wire
        /// and its client.
        async fn socket(
            &self,
            workspace: Id,
        ) -> (Membership, Arc<Wire>, WebSocketStream<TcpStream>) {
            let (wire, client) = connection().await;
            let membership = self
                .fanout
                .join(&self.bus, &self.hub, workspace, 1, wire.clone(), 0);
            (membership, wire, client)
        }
    }

    fn event(id: EventId) -> EventFrame {
        let json = format!(r#"{{"id":{id},"padding":"{}"}}"#, "x".repeat(16 * 1024));
        EventFrame {
            id,
            workspace_id: WORKSPACE,
            json: json.into(),
        }
    }

    /// The ids of the events the client has been sent, reading until none comes for 300 ms.
    async fn received(client: &mut WebSocketStream<TcpStream>) -> Vec<EventId> {
        let mut ids = Vec::new();
        while let Ok(Some(frame)) =
            tokio::time::timeout(Duration::from_millis(300), client.next()).await
        {
            let Message::Text(text) = frame.expect("a whole frame") else {
                panic!("not a text frame");
            };
            let event: serde_json::Value = serde_json::from_str(&text).expect("whole JSON");
            ids.push(event["id"].as_u64().expect("an id"));
        }
        ids
    }

    #[tokio::test]
    async fn a_socket_that_cannot_keep_up_is_set_aside_with_every_frame_it_was_sent_whole() {
        let rig = Rig::new();
        let (membership, _, mut client) = rig.socket(WORKSPACE).await;
        assert!(membership.rejoin(0), "nothing was skipped yet");

        // 16 MiB of events against a 256 KiB queue and a client that does not read.
        let published: Vec<EventFrame> = (1..=1000).map(event).collect();
        rig.bus.publish(&published);
        let last_sent = tokio::time::timeout(Duration::from_secs(10), membership.set_aside())
            .await
            .expect("set aside once its queue was full")
            .expect("still open");
        assert!(last_sent > 0 && last_sent < 1000, "{last_sent}");

        let ids = received(&mut client).await;
        assert_eq!(ids, (1..=last_sent).collect::<Vec<_>>());
        assert!(
            !membership.rejoin(last_sent),
            "the shard skipped newer events, which the store must give first"
        );
        assert!(membership.rejoin(1000));
        rig.bus.publish(&[event(999), event(1001)]);
        assert_eq!(received(&mut client).await, vec![1001]);
    }

    #[tokio::test]
    async fn members_of_other_workspaces_and_sockets_that_left_get_nothing() {
        let rig = Rig::new();
        let (staying_member, _, mut staying) = rig.socket(WORKSPACE).await;
        // The connection stays open after its socket left the fan-out (the wire is kept).
        let (leaving_member, _leaving_wire, mut leaving) = rig.socket(WORKSPACE).await;
        let (other_member, _, mut other) = rig.socket(WORKSPACE + 1).await;
        for member in [&staying_member, &leaving_member, &other_member] {
            assert!(member.rejoin(0));
        }
        rig.bus.publish(&[event(1)]);
        assert_eq!(received(&mut staying).await, vec![1]);
        assert_eq!(received(&mut leaving).await, vec![1]);
        drop(leaving_member);
        rig.bus.publish(&[event(2)]);
        assert_eq!(received(&mut staying).await, vec![2]);
        assert_eq!(received(&mut leaving).await, Vec::<EventId>::new());
        assert_eq!(received(&mut other).await, Vec::<EventId>::new());
        drop(staying_member);
        assert!(
            !lock(&rig.fanout.workspaces).contains_key(&WORKSPACE),
            "a workspace without sockets keeps no shard"
        );
    }

    #[tokio::test]
    async fn a_visitors_presence_reaches_the_live_sockets_of_its_workspace_only() {
        let rig = Rig::new();
        let (live_member, _, mut live_client) = rig.socket(WORKSPACE).await;
        let (_aside_member, _, mut aside_client) = rig.socket(WORKSPACE).await;
        let (other_member, _, mut other_client) = rig.socket(WORKSPACE + 1).await;
        assert!(live_member.rejoin(0) && other_member.rejoin(0));
        rig.hub.publish(Presence {
            workspace_id: WORKSPACE,
            conversation_id: 3,
            from: Side::Visitor,
            kind: switchboard_services::widget::SignalKind::Typing,
            author: None,
        });
        let frame = tokio::time::timeout(Duration::from_secs(5), live_client.next())
            .await
            .expect("a frame in time")
            .expect("open")
            .expect("a whole frame");
        let presence: serde_json::Value =
            serde_json::from_str(frame.to_text().expect("text")).expect("JSON");
        assert_eq!(presence["type"], "presence");
        assert_eq!(presence["data"]["conversation_id"], 3);
        assert_eq!(received(&mut aside_client).await, Vec::<EventId>::new());
        assert_eq!(received(&mut other_client).await, Vec::<EventId>::new());
    }
}
