//! What every live socket does between the events it sends: it notices the peer closing,
//! pings an idle peer so that a dead one is noticed too, and otherwise waits for the next thing
//! to send. The agents' event socket and the visitors' socket both loop on
//! [`LiveSocket::next`], each with its own source of events and its own catching up.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use serde::Serialize;
use tokio::time::Interval;

/// How often an idle socket is pinged.
const PING_EVERY: Duration = Duration::from_secs(30);

pub struct LiveSocket {
    socket: WebSocket,
    ping: Interval,
}

impl LiveSocket {
    pub fn new(socket: WebSocket) -> LiveSocket {
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.reset();
        LiveSocket { socket, ping }
    }

    /// The socket, to send on.
    pub fn socket(&mut self) -> &mut WebSocket {
        &mut self.socket
    }

    /// What `live` gives, pinging the peer while it waits; `None` once the peer closed.
    pub async fn next<T>(&mut self, live: impl Future<Output = T>) -> Result<Option<T>, String> {
        let mut live = std::pin::pin!(live);
        loop {
            tokio::select! {
                item = &mut live => return Ok(Some(item)),
                incoming = self.socket.recv() => match incoming {
                    None | Some(Ok(Message::Close(_))) => return Ok(None),
                    Some(Err(error)) => return Err(error.to_string()),
                    Some(Ok(_)) => {}
                },
                _ = self.ping.tick() => {
                    self.socket
                        .send(Message::Ping(Default::default()))
                        .await
                        .map_err(|error| error.to_string())?;
                }
            }
        }
    }

    /// Closes the socket with `code` and `reason`, telling the client why.
    pub async fn close(&mut self, code: u16, reason: &'static str) -> Result<(), String> {
        let frame = axum::extract::ws::CloseFrame {
            code,
            reason: reason.into(),
        };
        self.socket
            .send(Message::Close(Some(frame)))
            .await
            .map_err(|error| error.to_string())
    }
}

/// Sends `value` as a JSON text frame.
pub async fn send_json(socket: &mut WebSocket, value: &impl Serialize) -> Result<(), String> {
    let text = serde_json::to_string(value).map_err(|error| error.to_string())?;
    socket
        .send(Message::Text(text.into()))
        .await
        .map_err(|error| error.to_string())
}
