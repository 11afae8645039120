//! The event stream. `GET /api/v1/events?after=N` returns stored events as JSON;
//! `GET /api/v1/events/ws?after=N` upgrades to a WebSocket that first sends every event after
//! `N`, then live ones, each exactly once and in order. A client that reconnects passes the last
//! id it saw and misses nothing. Between events the socket also carries visitors' presence
//! (`{"type":"presence",...}`: typing, read), which has no id and is never replayed.

use std::sync::Arc;

use axum::Extension;
use axum::extract::ws::WebSocket;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};
use axum::response::Response;
use serde::Deserialize;
use switchboard_model::{Event, EventId, Id};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::connection::{Peer, Wire};
use crate::extract::{Query, Upgrade};
use crate::fanout::Membership;
use crate::live::{LiveSocket, send_json};
use crate::{ApiError, ApiResult, AppState};

/// Events read from the store per round while catching up.
const CATCH_UP_BATCH: usize = 500;
/// The close code of a socket whose workspace was suspended or whose agent was deactivated:
/// the client signs in again, which says why it cannot.
const ACCESS_ENDED: u16 = 4001;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_events))
        .routes(routes!(event_socket))
}

/// Where to resume from.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct Resume {
    /// The last event id the client saw; 0 or absent for everything still stored.
    after: Option<EventId>,
    /// At most 1000; 200 by default (JSON list only).
    limit: Option<u32>,
}

/// Stored events after `after`, oldest first.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(Resume), responses((status = 200, body = Vec<Event>)))]
async fn list_events(
    State(state): State<AppState>,
    caller: Caller,
    Query(resume): Query<Resume>,
) -> ApiResult<axum::Json<Vec<Event>>> {
    let limit = resume.limit.map_or(200, |limit| limit.clamp(1, 1000)) as usize;
    Ok(axum::Json(
        state
            .store
            .events_after(caller.workspace_id, resume.after.unwrap_or(0), limit)
            .await?,
    ))
}

/// Upgrades to a WebSocket carrying the workspace's events as JSON text frames.
#[utoipa::path(get, path = "/api/v1/events/ws", tag = "events", params(Resume),
    responses((status = 101, description = "switching to the WebSocket protocol"),
        (status = 400, body = switchboard_model::ErrorBody, description = "`not_a_websocket`: a request that is no WebSocket handshake")))]
async fn event_socket(
    State(state): State<AppState>,
    caller: Caller,
    Query(resume): Query<Resume>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<Peer>>>,
    Upgrade(upgrade): Upgrade,
) -> ApiResult<Response> {
    if caller.by_cookie && !same_origin(&headers) {
        return Err(ApiError::forbidden(
            "a WebSocket opened with the session cookie must come from the console's own origin",
        ));
    }
    let Some(Extension(ConnectInfo(peer))) = peer else {
        return Err(ApiError::internal(
            "the event stream needs the connections of switchboard_api::serve",
        ));
    };
    let (workspace_id, agent_id) = (caller.workspace_id, caller.agent.id);
    let after = resume.after.unwrap_or(0);
    Ok(upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| stream(socket, state, peer.wire, workspace_id, agent_id, after)))
}

/// Browsers always send Origin on WebSocket requests; it must name this very host.
fn same_origin(headers: &HeaderMap) -> bool {
    let (Some(origin), Some(host)) = (headers.get(ORIGIN), headers.get(HOST)) else {
        return true;
    };
    let (Ok(origin), Ok(host)) = (origin.to_str(), host.to_str()) else {
        return false;
    };
    switchboard_services::origin::is_same_host(origin, host)
}

#[tracing::instrument(name = "event_socket", skip(socket, state, wire))]
async fn stream(
    socket: WebSocket,
    state: AppState,
    wire: Arc<Wire>,
    workspace_id: Id,
    agent_id: Id,
    after: EventId,
) {
    metrics::gauge!("switchboard_event_sockets").increment(1.0);
    // Joined first, then the backlog is read: whatever commits in between is either in what
    // the store gives or noted by the shard, which waits until the store has given it.
    let membership = state.fanout.join(
        state.bus.as_ref(),
        &state.widgets.presence,
        workspace_id,
        agent_id,
        wire,
        after,
    );
    let mut live = LiveSocket::new(socket);
    let outcome: Result<(), String> = async {
        send_backlog(live.socket(), &state, &membership, workspace_id, after).await?;
        // Live events go straight to the wire (the fan-out writes them); this socket only
        // catches up from the store when it fell behind.
        loop {
            match live.next(membership.set_aside()).await? {
                // The client left.
                None => return Ok(()),
                Some(Some(last_sent)) => {
                    tracing::debug!("a slow event socket catches up from the store");
                    send_backlog(live.socket(), &state, &membership, workspace_id, last_sent)
                        .await?;
                }
                Some(None) => return live.close(ACCESS_ENDED, "access ended").await,
            }
        }
    }
    .await;
    if let Err(error) = outcome {
        tracing::debug!(%error, "an event socket closed");
    }
    metrics::gauge!("switchboard_event_sockets").decrement(1.0);
}

/// Sends the stored events after `last_sent` until the socket can go live.
async fn send_backlog(
    socket: &mut WebSocket,
    state: &AppState,
    membership: &Membership,
    workspace_id: Id,
    mut last_sent: EventId,
) -> Result<(), String> {
    loop {
        catch_up(socket, state, workspace_id, &mut last_sent).await?;
        if membership.rejoin(last_sent) {
            return Ok(());
        }
    }
}

async fn catch_up(
    socket: &mut WebSocket,
    state: &AppState,
    workspace_id: Id,
    last_sent: &mut EventId,
) -> Result<(), String> {
    loop {
        let events = state
            .store
            .events_after(workspace_id, *last_sent, CATCH_UP_BATCH)
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = events.last().map(|event| event.id) else {
            return Ok(());
        };
        for event in &events {
            send_json(socket, event).await?;
        }
        *last_sent = last;
    }
}
