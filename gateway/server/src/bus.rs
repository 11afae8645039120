//! The link between gateway nodes through NATS (`bus.url`). Each node announces that it
//! committed, so that the others read the new events from the store at once instead of at
//! their next look, and passes its visitors' and agents' presence signals (typing, read) on.
//! The store stays the source of truth: a node that misses announcements (NATS restarting)
//! still reads every event at its next look, in id order, and clients catch up by event id.
//! Whether the node is linked shows in the gauge `switchboard_bus_connected` (1 or 0).

use std::sync::Arc;

use anyhow::Context;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use switchboard_model::Presence;
use switchboard_services::Widgets;
use switchboard_store::RecordStore;

const COMMITTED: &str = "switchboard.committed";
const PRESENCE: &str = "switchboard.presence";

/// A presence signal on the bus, with the node it was made on.
#[derive(Serialize, Deserialize)]
struct Relayed {
    node: String,
    signal: Presence,
}

/// Links this node (`node`) to the others through the NATS server at `url`; runs in the
/// background from then on, reconnecting by itself.
pub async fn link(
    url: &str,
    node: String,
    store: Arc<RecordStore>,
    widgets: Arc<Widgets>,
) -> anyhow::Result<()> {
    let (address, login) = login_of(url)?;
    let options = match login {
        Login::None => async_nats::ConnectOptions::new(),
        Login::UserPassword(user, password) => {
            async_nats::ConnectOptions::with_user_and_password(user, password)
        }
        Login::Token(token) => async_nats::ConnectOptions::with_token(token),
    };
    let woken = store.clone();
    let connected = metrics::gauge!("switchboard_bus_connected");
    connected.set(0.0);
    let client = options
        .name(format!("switchboard {node}"))
        .retry_on_initial_connect()
        .event_callback(move |event| {
            match event {
                // Back after a break: read what the other nodes committed meanwhile.
                async_nats::Event::Connected => {
                    connected.set(1.0);
                    woken.wake_follower();
                }
                async_nats::Event::Disconnected => connected.set(0.0),
                _ => {}
            }
            async {}
        })
        .connect(address.as_str())
        .await
        .with_context(|| format!("cannot reach the bus at {address}"))?;
    let mut commits = client.subscribe(COMMITTED).await?;
    let mut signals = client.subscribe(PRESENCE).await?;

    if let Some(mut committed) = store.commits() {
        let (client, node) = (client.clone(), node.clone());
        tokio::spawn(async move {
            while committed.changed().await.is_ok() {
                if let Err(error) = client.publish(COMMITTED, node.clone().into()).await {
                    tracing::warn!(%error, "cannot announce a commit on the bus");
                }
            }
        });
    }
    {
        let own = node.clone();
        tokio::spawn(async move {
            while let Some(message) = commits.next().await {
                if message.payload.as_ref() != own.as_bytes() {
                    store.wake_follower();
                }
            }
        });
    }

    let (relay, mut outgoing) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    let own = node.clone();
    widgets.presence.relay_to(Box::new(move |signal| {
        let relayed = Relayed {
            node: own.clone(),
            signal: signal.clone(),
        };
        if let Ok(json) = serde_json::to_vec(&relayed) {
            let _ = relay.send(json);
        }
    }));
    {
        let client = client.clone();
        tokio::spawn(async move {
            while let Some(json) = outgoing.recv().await {
                if let Err(error) = client.publish(PRESENCE, json.into()).await {
                    tracing::debug!(%error, "cannot pass a presence signal on");
                }
            }
        });
    }
    tokio::spawn(async move {
        while let Some(message) = signals.next().await {
            match serde_json::from_slice::<Relayed>(&message.payload) {
                Ok(relayed) if relayed.node != node => widgets.presence.deliver(relayed.signal),
                Ok(_) => {}
                Err(error) => tracing::debug!(%error, "a presence signal on the bus does not read"),
            }
        }
    });
    Ok(())
}

/// How a node logs in to NATS.
#[derive(Debug, PartialEq, Eq)]
enum Login {
    None,
    UserPassword(String, String),
    Token(String),
}

/// The login `bus.url` carries (`nats://user:password@host:4222`, or a token alone:
/// `nats://token@host:4222`), which the NATS client takes only from its options, and the
/// address without it (what logs may show).
fn login_of(url: &str) -> anyhow::Result<(String, Login)> {
    let mut address = url::Url::parse(url).context("bus.url is not a URL")?;
    let decode = |part: &str| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8()
            .map(|decoded| decoded.into_owned())
            .context("bus.url's login is not UTF-8")
    };
    let login = match (address.username(), address.password()) {
        ("", None) => Login::None,
        (user, Some(password)) => Login::UserPassword(decode(user)?, decode(password)?),
        (token, None) => Login::Token(decode(token)?),
    };
    // Neither fails on a nats:// URL with a host.
    let _ = address.set_username("");
    let _ = address.set_password(None);
    Ok((address.to_string(), login))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_comes_out_of_the_url_and_the_address_keeps_none_of_it() {
        let (address, login) = login_of("nats://sb:p%40ss%3Aword@10.0.0.5:4222").expect("read");
        assert_eq!(address, "nats://10.0.0.5:4222");
        assert_eq!(login, Login::UserPassword("sb".into(), "p@ss:word".into()));
        let (address, login) = login_of("nats://s3cr3t@nats.internal:4222").expect("read");
        assert_eq!(
            (address.as_str(), login),
            ("nats://nats.internal:4222", Login::Token("s3cr3t".into()))
        );
        let (address, login) = login_of("nats://127.0.0.1:4222").expect("read");
        assert_eq!(
            (address.as_str(), login),
            ("nats://127.0.0.1:4222", Login::None)
        );
    }
}
