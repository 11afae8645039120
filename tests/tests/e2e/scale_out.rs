//! Three gateway nodes on loopback ports sharing a private PostgreSQL (the store) and a private
//! nats-server (the bus), as `docs/scale-out.md` sets them up: what one node takes in (a
//! message, a file) reaches clients of the others, and killing a node loses no acknowledged
//! message.

use std::time::Duration;

use anyhow::Context;
use futures_util::StreamExt;
use hyper::StatusCode;
use serde_json::{Value, json};
use switchboard_e2e::mail_rig::MailRig;
use switchboard_e2e::scale_rig::Cluster;
use switchboard_e2e::{Client, EventSocket, eventually_within, inbound_message};
use switchboard_mail::Security;
use switchboard_mail::smtp::Sender;

use crate::email::{connect, forwarded_mailbox, forwarding_listener, support_settings, trust};

/// The next frame of type `kind` on `socket` whose JSON holds `text`, within ten seconds.
async fn frame_with(socket: &mut EventSocket, kind: &str, text: &str) -> anyhow::Result<Value> {
    let kind = format!("\"type\":\"{kind}\"");
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(frame) = socket.next().await {
            let frame = frame?;
            if let Ok(json) = frame.to_text()
                && json.contains(&kind)
                && json.contains(text)
            {
                return Ok(serde_json::from_str(json)?);
            }
        }
        anyhow::bail!("the socket closed")
    })
    .await
    .with_context(|| format!("no frame with {text:?} within 10 s"))?
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_on_one_node_chats_with_an_agent_on_another() -> anyhow::Result<()> {
    let cluster = Cluster::start()?;
    let [a, b, c] = cluster.three_nodes().await?;
    let agent_on_b = b.admin().await?;
    let (_, widget) = agent_on_b.demo_widget().await?;
    let mut agent_socket = agent_on_b.event_socket(0).await?;

    // The visitor's page talks to node A.
    let visitor = Client::new(&a.base_url);
    let (status, session) = visitor
        .post(&format!("/widget/v1/{widget}/visitors"), &json!({}))
        .await?;
    anyhow::ensure!(status == StatusCode::OK, "{session}");
    let token = session["token"].as_str().context("visitor token")?;
    let visitor = visitor.with_bearer(token);
    let url = format!(
        "{}/widget/v1/{widget}/socket?token={token}&after=0",
        a.base_url.replacen("http", "ws", 1)
    );
    let (mut visitor_socket, _) = tokio_tungstenite::connect_async(url).await?;
    let (status, sent) = visitor
        .post(
            &format!("/widget/v1/{widget}/messages"),
            &json!({ "client_id": "v-1", "text": "Hola, ¿tienen envíos a Cusco?" }),
        )
        .await?;
    anyhow::ensure!(status == StatusCode::CREATED, "{sent}");

    // The agent's socket on node B carries it; the agent answers through node C.
    let created = frame_with(&mut agent_socket, "message_created", "envíos a Cusco").await?;
    let conversation = created["data"]["conversation"]["id"]
        .as_u64()
        .with_context(|| format!("a conversation in {created}"))?;
    let agent_on_c = c.admin().await?;
    agent_on_c
        .reply(conversation, "¡Hola! Sí, enviamos a Cusco en 3 días.")
        .await?;

    // A photo the visitor sends through node A downloads from node B: files are shared too.
    let photo = b"\x89PNG\r\n\x1a\n la caja".to_vec();
    let (status, uploaded) = visitor
        .send(
            hyper::Method::POST,
            &format!("/widget/v1/{widget}/attachments?name=caja.png"),
            &[],
            Some(("image/png", photo.clone())),
        )
        .await?;
    anyhow::ensure!(status == StatusCode::CREATED, "{uploaded}");
    let message =
        json!({ "client_id": "v-2", "text": "Así llega la caja", "attachments": [uploaded] });
    let (status, sent) = visitor
        .post(&format!("/widget/v1/{widget}/messages"), &message)
        .await?;
    anyhow::ensure!(status == StatusCode::CREATED, "{sent}");
    frame_with(&mut agent_socket, "message_created", "Así llega la caja").await?;
    let sha256 = uploaded["sha256"].as_str().context("the photo's sha256")?;
    let (status, downloaded) = agent_on_b
        .get_bytes(&format!("/api/v1/attachments/{sha256}"))
        .await?;
    assert_eq!(
        (status, &downloaded[..]),
        (StatusCode::OK, &photo[..]),
        "the photo sent through A, downloaded through B"
    );

    // The visitor, still on node A, gets the answer live.
    let answer = frame_with(&mut visitor_socket, "message", "enviamos a Cusco").await?;
    assert_eq!(
        (
            answer["message"]["from"].as_str(),
            answer["message"]["text"].as_str()
        ),
        (
            Some("agent"),
            Some("¡Hola! Sí, enviamos a Cusco en 3 días.")
        ),
        "{answer}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_forwarded_to_one_node_shows_on_another() -> anyhow::Result<()> {
    let cluster = Cluster::start()?;
    let [a, _b, c] = cluster.three_nodes().await?;
    let admin_on_a = a.admin().await?;
    let (channel_id, address) = forwarded_mailbox(&admin_on_a).await?;
    let mut socket_on_a = admin_on_a.event_socket(0).await?;

    // The business's mail server forwards a customer's mail to node C's listener.
    let listener = forwarding_listener(&c, Security::None);
    Sender::new(&listener, &trust())?
        .send(
            "ventas@acme.test",
            std::slice::from_ref(&address),
            b"From: Joao Silva <joao@cliente.test>\r\nTo: ventas@acme.test\r\nSubject: Orcamento\r\nMessage-ID: <fw-1@cliente.test>\r\n\r\nOla, quero um orcamento.\r\n",
        )
        .await?;

    // Acknowledged means stored: node A lists it at once, and its socket carried it.
    let (_, page) = admin_on_a
        .get(&format!("/api/v1/conversations?channel_id={channel_id}"))
        .await?;
    let titles: Vec<&str> = page["items"]
        .as_array()
        .context("items")?
        .iter()
        .filter_map(|conversation| conversation["title"].as_str())
        .collect();
    assert_eq!(titles, ["Orcamento"]);
    frame_with(&mut socket_on_a, "message_created", "quero um orcamento").await?;
    Ok(())
}

/// Two nodes started at the same moment on an empty database: both come up, one of them sets
/// up the first workspace and its admin, the other waits for it, and the admin signs in
/// through either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_started_together_on_an_empty_database_set_up_one_workspace() -> anyhow::Result<()>
{
    let cluster = Cluster::start()?;
    // The key every node is given, as the page says, rather than made by the first start.
    std::fs::write(cluster.folder.path().join("secret.key"), [7u8; 32])?;
    let (a, b) = tokio::try_join!(cluster.node("a"), cluster.node("b"))?;
    let workspaces = cluster.postgres.psql(
        "switchboard",
        "SELECT count(*) FROM records WHERE substring(key from 1 for 2) = 'ws'",
    )?;
    assert_eq!(workspaces, "1", "one first workspace");
    for node in [&a, &b] {
        let admin = node.admin().await?;
        let (status, channels) = admin.get("/api/v1/channels").await?;
        assert_eq!(status, StatusCode::OK, "{channels}");
    }
    Ok(())
}

/// Sixteen clients post through all three nodes, each message to the next node in turn, and
/// node B is killed (`kill -9`) halfway: a client whose post was not acknowledged sends it
/// again (same external id) through the next node. Every acknowledged message is stored
/// exactly once, and nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_node_while_clients_post_loses_no_acknowledged_message() -> anyhow::Result<()> {
    const CLIENTS: usize = 16;
    const EACH: usize = 30;
    let cluster = Cluster::start()?;
    let [a, b, c] = cluster.three_nodes().await?;
    let admin = a.admin().await?;
    let channel = admin.api_channel().await?;
    let token = admin.token().context("a token")?.to_string();
    let nodes: Vec<Client> = [&a, &b, &c]
        .iter()
        .map(|node| Client::new(&node.base_url).with_bearer(&token))
        .collect();
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let nodes = nodes.clone();
        clients.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for n in 0..EACH {
                let external_id = format!("c{client}-m{n}");
                let message = inbound_message(
                    &format!("cliente{client}@example.test"),
                    &external_id,
                    &format!("mensaje {n} del cliente {client}"),
                );
                // The next node in turn; one that does not answer is passed over.
                let mut tries = 0;
                loop {
                    let node = &nodes[(client + n + tries) % nodes.len()];
                    let path = format!("/api/v1/channels/{channel}/inbound");
                    match node.post(&path, &message).await {
                        Ok((status, _)) if status.is_success() => break,
                        _ if tries < 10 => tries += 1,
                        outcome => anyhow::bail!("{external_id} never taken: {outcome:?}"),
                    }
                }
                acknowledged.push(external_id);
            }
            anyhow::Ok(acknowledged)
        }));
    }
    let halfway = {
        let admin = admin.clone();
        async move {
            loop {
                let (_, page) = admin.get("/api/v1/conversations?limit=200").await?;
                let stored: u64 = page["items"]
                    .as_array()
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(|c| c["message_count"].as_u64())
                            .sum()
                    })
                    .unwrap_or(0);
                if stored >= (CLIENTS * EACH / 2) as u64 {
                    return anyhow::Ok(());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    halfway.await?;
    b.kill_hard().await?;
    let mut acknowledged = Vec::new();
    for client in clients {
        acknowledged.extend(client.await??);
    }
    assert_eq!(acknowledged.len(), CLIENTS * EACH);

    // Read back through node C: each acknowledged message once.
    let reader = c.admin().await?;
    let mut stored: Vec<String> = reader
        .all_messages()
        .await?
        .iter()
        .filter_map(|message| message["external_id"].as_str().map(String::from))
        .collect();
    stored.sort();
    let mut expected = acknowledged;
    expected.sort();
    assert_eq!(stored, expected, "every acknowledged message, exactly once");
    Ok(())
}

/// The node that holds `lease` (e.g. `mailbox:7`), by the name in its data folder.
fn lease_holder(cluster: &Cluster, lease: &str) -> anyhow::Result<String> {
    let value = cluster.postgres.psql(
        "switchboard",
        &format!("SELECT convert_from(value, 'UTF8') FROM records WHERE key = 'ls{lease}'::bytea"),
    )?;
    let lease: Value =
        serde_json::from_str(&value).with_context(|| format!("no lease: {value:?}"))?;
    let holder = lease["holder"].as_str().context("a holder")?;
    for node in ["a", "b", "c"] {
        let name = std::fs::read_to_string(cluster.folder.path().join(node).join("node-id"))?;
        if name.trim() == holder {
            return Ok(node.to_string());
        }
    }
    anyhow::bail!("{holder} is none of the nodes")
}

/// How many messages the workspace holds with this text.
async fn copies(client: &Client, text: &str) -> anyhow::Result<usize> {
    let messages = client.all_messages().await?;
    Ok(messages
        .iter()
        .filter(|message| message["text"].as_str().is_some_and(|t| t.contains(text)))
        .count())
}

/// One node syncs a mailbox (it holds the mailbox's lease). Killed (`kill -9`), it keeps the
/// lease until it runs out, then another node takes it over and imports the mail that came
/// meanwhile; stopped with `SIGTERM`, it lets go at once and another takes over within one
/// try (5 s). No message is imported twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_nodes_mailbox_is_synced_by_another_within_seconds() -> anyhow::Result<()> {
    mailbox_taken_over(Stop::Kill).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_node_hands_its_mailbox_over_at_once() -> anyhow::Result<()> {
    mailbox_taken_over(Stop::Terminate).await
}

/// How the node holding the mailbox goes.
#[derive(Clone, Copy, PartialEq)]
enum Stop {
    Kill,
    Terminate,
}

async fn mailbox_taken_over(stop: Stop) -> anyhow::Result<()> {
    let rig = MailRig::start().await?;
    let cluster = Cluster::start()?;
    let nodes = cluster.three_nodes().await?;
    let admin = nodes[0].admin().await?;
    let settings = support_settings(&rig, json!({}));
    let channel = connect(&admin, "Soporte", settings, "supportpw").await?;
    let mail = |n: u32, text: &str| {
        format!(
            "From: Lucia Perez <lucia@cliente.test>\r\nTo: support@example.test\r\nSubject: Pedido {n}\r\nMessage-ID: <pedido-{n}@cliente.test>\r\n\r\n{text}\r\n"
        )
    };
    rig.save(
        "support@example.test",
        mail(1, "Mi pedido no llega").as_bytes(),
    )?;
    let within = Duration::from_secs(60);
    eventually_within(within, "the first mail imported", async || {
        Ok((copies(&admin, "Mi pedido no llega").await? == 1).then_some(()))
    })
    .await?;

    let holder = lease_holder(&cluster, &format!("mailbox:{channel}"))?;
    let [a, b, c] = nodes;
    let (stopped, survivors) = match holder.as_str() {
        "a" => (a, [b, c]),
        "b" => (b, [a, c]),
        _ => (c, [a, b]),
    };
    match stop {
        Stop::Kill => stopped.kill_hard().await?,
        Stop::Terminate => stopped.terminate().await?,
    }
    let gone = std::time::Instant::now();
    rig.save(
        "support@example.test",
        mail(2, "Sigo esperando mi pedido").as_bytes(),
    )?;
    let reader = survivors[0].admin().await?;
    eventually_within(
        within,
        "the mail sent after the stop imported",
        async || Ok((copies(&reader, "Sigo esperando mi pedido").await? == 1).then_some(())),
    )
    .await?;
    let taken_over = lease_holder(&cluster, &format!("mailbox:{channel}"))?;
    assert_ne!(taken_over, holder, "another node holds the mailbox now");
    if stop == Stop::Terminate {
        // Well before the 15 s lease would have run out.
        assert!(
            gone.elapsed() < Duration::from_secs(12),
            "taken over after {:?}",
            gone.elapsed()
        );
    }
    assert_eq!(
        copies(&reader, "Mi pedido no llega").await?,
        1,
        "nothing imported twice"
    );
    drop(survivors);
    rig.stop().await?;
    Ok(())
}

/// The bus restarts while nodes work: a client whose socket on node B closed meanwhile
/// reconnects after the last event it saw and gets every event it missed, and the events
/// committed on node A after the restart reach node B's sockets live again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bus_restart_loses_no_event_for_a_reconnecting_client() -> anyhow::Result<()> {
    let mut cluster = Cluster::start()?;
    let a = cluster.node("a").await?;
    let b = cluster.node("b").await?;
    let on_a = a.admin().await?;
    let on_b = b.admin().await?;
    let channel = on_a.api_channel().await?;
    let post = async |external_id: &str, text: &str| {
        on_a.post_inbound(
            channel,
            &inbound_message("rosa@cliente.test", external_id, text),
        )
        .await
    };
    let mut socket = on_b.event_socket(0).await?;
    post("r-1", "antes del reinicio").await?;
    let seen = frame_with(&mut socket, "message_created", "antes del reinicio").await?;
    let last_seen = seen["id"].as_u64().context("an event id")?;
    drop(socket);

    cluster.nats.restart()?;
    post("r-2", "durante el reinicio").await?;
    post("r-3", "después del reinicio").await?;
    let mut socket = on_b.event_socket(last_seen).await?;
    frame_with(&mut socket, "message_created", "durante el reinicio").await?;
    frame_with(&mut socket, "message_created", "después del reinicio").await?;
    post("r-4", "ya en vivo").await?;
    frame_with(&mut socket, "message_created", "ya en vivo").await?;
    Ok(())
}

/// Each node's metrics carry its name and its link to the bus (which lets in only its user),
/// and a node that cannot reach the database says so on `/readyz` (so that the proxy sends
/// traffic elsewhere) and is ready again once it can, its next read and write going through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_node_names_itself_in_its_metrics_and_is_unready_without_the_database()
-> anyhow::Result<()> {
    let cluster = Cluster::start()?;
    let a = cluster.node("a").await?;
    let admin = a.admin().await?;
    let name = std::fs::read_to_string(cluster.folder.path().join("a").join("node-id"))?;
    let (_, metrics) = admin.get_bytes("/metrics").await?;
    let metrics = String::from_utf8_lossy(&metrics);
    assert!(
        metrics.contains(&format!("node=\"{}\"", name.trim())),
        "{metrics}"
    );
    // Linked to the bus, which lets in only its user: the URL's login was used.
    eventually_within(
        Duration::from_secs(10),
        "the node linked to the bus",
        async || {
            let (_, metrics) = admin.get_bytes("/metrics").await?;
            let linked = String::from_utf8_lossy(&metrics)
                .lines()
                .any(|line| line.starts_with("switchboard_bus_connected{") && line.ends_with(" 1"));
            Ok(linked.then_some(()))
        },
    )
    .await?;
    let ready = async || -> anyhow::Result<StatusCode> {
        Ok(Client::new(&a.base_url).get("/readyz").await?.0)
    };
    assert_eq!(ready().await?, StatusCode::OK);
    cluster.postgres.stop()?;
    eventually_within(
        Duration::from_secs(10),
        "readyz answering 503",
        async || Ok((ready().await? == StatusCode::SERVICE_UNAVAILABLE).then_some(())),
    )
    .await?;
    cluster.postgres.run_server()?;
    eventually_within(
        Duration::from_secs(20),
        "readyz answering 200 again",
        async || Ok((ready().await? == StatusCode::OK).then_some(())),
    )
    .await?;
    // The first write and read once the database is back go through: the connections that
    // broke with its restart are made again under them, not failed.
    let inbound = format!("/api/v1/channels/{}/inbound", admin.api_channel().await?);
    let message = inbound_message("ana@example.com", "after-restart", "¿Siguen ahí?");
    let (status, stored) = admin.post(&inbound, &message).await?;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    let (status, listed) = admin.get("/api/v1/conversations").await?;
    assert_eq!(status, StatusCode::OK, "{listed}");
    Ok(())
}

/// Agents' replies on a plugin channel wait in the outbox while the provider is down; a node is
/// killed meanwhile, and once the provider is back the other nodes send every reply, each
/// exactly once (no two nodes take the same reply), in the order they were written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_replies_are_sent_once_each_after_a_node_is_killed() -> anyhow::Result<()> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let up = Arc::new(AtomicBool::new(false));
    let received = Arc::new(Mutex::new(Vec::<String>::new()));
    let provider = {
        let (up, received) = (up.clone(), received.clone());
        axum::Router::new().route(
            "/out",
            axum::routing::post(move |body: String| async move {
                if !up.load(Ordering::Acquire) {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                received.lock().expect("received").push(body);
                StatusCode::OK
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let provider_address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, provider).await });

    let cluster = Cluster::start()?;
    let [a, b, c] = cluster.three_nodes().await?;
    let admin = a.admin().await?;
    admin
        .install_component(
            "template_adapter",
            &json!({
                "name": "crm", "version": "1.0.0", "contract": "0.2.0", "channel_kind": "api",
                "allowed_hosts": [provider_address.to_string()], "settings": ["reply_url"]
            }),
        )
        .await?;
    let channel = json!({
        "kind": "api", "name": "CRM", "plugin": "crm",
        "settings": { "reply_url": format!("http://{provider_address}/out") }
    });
    let (status, channel) = admin.post("/api/v1/channels", &channel).await?;
    anyhow::ensure!(status == StatusCode::CREATED, "{channel}");
    let hook = format!(
        "/hooks/{}/{}/{}",
        channel["workspace_id"],
        channel["id"],
        channel["webhook_token"].as_str().unwrap_or_default()
    );
    let message = json!({ "id": "crm-1", "from": { "id": "lead-1" }, "text": "Hola" });
    let (status, ingested) = Client::new(&b.base_url).post(&hook, &message).await?;
    anyhow::ensure!(status == StatusCode::OK, "{ingested}");
    let conversation = ingested["ingested"][0]["conversation_id"]
        .as_u64()
        .context("a conversation")?;
    let texts: Vec<String> = (1..=6).map(|n| format!("respuesta número {n}")).collect();
    for text in &texts {
        admin.reply(conversation, text).await?;
    }
    // Every node's delivery round has met the provider down at least once.
    tokio::time::sleep(Duration::from_secs(3)).await;
    c.kill_hard().await?;
    up.store(true, Ordering::Release);

    let sent = eventually_within(Duration::from_secs(60), "every reply sent", async || {
        let received = received.lock().expect("received").clone();
        let all = texts
            .iter()
            .all(|text| received.iter().any(|body| body.contains(text.as_str())));
        Ok(all.then_some(received))
    })
    .await?;
    // Rounds go on a while: a reply sent twice would show now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = received.lock().expect("received").clone();
    let order: Vec<usize> = received
        .iter()
        .filter_map(|body| texts.iter().position(|text| body.contains(text.as_str())))
        .collect();
    assert_eq!(
        order,
        (0..texts.len()).collect::<Vec<_>>(),
        "each reply once, in order: {sent:?}"
    );
    drop((a, b));
    Ok(())
}
