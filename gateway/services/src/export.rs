//! A workspace's export, for its owner to keep or to take elsewhere: every record of it as one
//! JSON line, `{"kind": …, "data": …}`, in an order a reader can rebuild it from. It opens with
//! `export` (the format and the workspace), goes through the workspace, its people, teams,
//! channels, canned responses, labels, pending invitations, API tokens, contacts,
//! conversations (each followed by its messages), dead letters (with their payload), plugins
//! and their stored data, and the files
//! it keeps (their digest and size; the bytes are fetched apart), and closes with `end` and
//! the number of lines before it, so that a cut-off export is told from a whole one.
//! Passwords' digests, API tokens' secrets, channels' secrets and webhook tokens stay out.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde_json::json;
use switchboard_model::{ConversationFilter, ConversationSort, Id, now_millis};
use switchboard_store::Store;
use tokio::sync::mpsc;

use crate::{Fault, ServiceResult};

/// The layout of the lines; a reader refuses a format it does not know.
pub const FORMAT: u32 = 1;
/// Records read per page.
const PAGE: usize = 200;

/// Writes the lines of a workspace's export, each ending in `\n`, to `out`; stops early when
/// the reader went away. Answers how many lines it wrote.
pub async fn export(store: &dyn Store, id: Id, out: &mpsc::Sender<Vec<u8>>) -> ServiceResult<u64> {
    let mut lines = Lines { out, written: 0 };
    let workspace = store.workspace(id).await?;
    lines
        .send(
            "export",
            &json!({ "format": FORMAT, "workspace_id": id, "made_at": now_millis() }),
        )
        .await?;
    lines.send("workspace", &workspace).await?;
    for agent in store.agents(id).await? {
        lines.send("agent", &agent).await?;
    }
    for team in store.teams(id).await? {
        lines.send("team", &team).await?;
    }
    let channels = store.channels(id).await?;
    for channel in &channels {
        let mut channel = channel.clone();
        channel.webhook_token = None;
        lines.send("channel", &channel).await?;
    }
    for canned in store.canned_responses(id).await? {
        lines.send("canned_response", &canned).await?;
    }
    for label in store.labels(id).await? {
        lines.send("label", &label).await?;
    }
    for invitation in store.invitations(id).await? {
        lines.send("invitation", &invitation).await?;
    }
    for token in store.api_tokens(id).await? {
        lines.send("api_token", &token).await?;
    }
    let mut cursor = None;
    loop {
        let page = store.contacts(id, None, cursor, PAGE).await?;
        for contact in &page.items {
            lines.send("contact", contact).await?;
        }
        cursor = page.items.last().map(|contact| contact.id);
        if page.next_cursor.is_none() {
            break;
        }
    }
    let mut filter = ConversationFilter {
        sort: Some(ConversationSort::Newest),
        limit: Some(PAGE as u32),
        ..ConversationFilter::default()
    };
    loop {
        let page = store.conversations(id, &filter).await?;
        for conversation in &page.items {
            lines.send("conversation", conversation).await?;
            for message in store.all_messages(id, conversation.id).await? {
                lines.send("message", &message).await?;
            }
        }
        match page.next_cursor {
            Some(next) => filter.cursor = Some(next),
            None => break,
        }
    }
    let mut cursor = None;
    loop {
        let page = store.dead_letters(id, cursor, PAGE).await?;
        for letter in &page.items {
            let (letter, payload) = store.dead_letter(id, letter.id).await?;
            lines
                .send(
                    "dead_letter",
                    &json!({ "letter": letter, "payload_base64": STANDARD.encode(payload) }),
                )
                .await?;
        }
        cursor = page.items.last().map(|letter| letter.id);
        if page.next_cursor.is_none() {
            break;
        }
    }
    for plugin in store.plugins(id).await? {
        lines.send("plugin", &plugin).await?;
    }
    for channel in &channels {
        for (key, value) in store.plugin_kv(id, channel.id).await? {
            let data = json!({ "channel_id": channel.id, "key": key, "value_base64": STANDARD.encode(value) });
            lines.send("plugin_data", &data).await?;
        }
    }
    for (sha256, size) in store.file_list(id).await? {
        lines
            .send("file", &json!({ "sha256": sha256, "size": size }))
            .await?;
    }
    let written = lines.written;
    lines.send("end", &json!({ "lines": written })).await?;
    Ok(lines.written)
}

/// The export's writer.
struct Lines<'a> {
    out: &'a mpsc::Sender<Vec<u8>>,
    written: u64,
}

impl Lines<'_> {
    async fn send(&mut self, kind: &str, data: &impl Serialize) -> ServiceResult<()> {
        let mut line = serde_json::to_vec(&json!({ "kind": kind, "data": data }))
            .map_err(|error| Fault::internal(format!("writing an export line: {error}")))?;
        line.push(b'\n');
        self.out
            .send(line)
            .await
            .map_err(|_| Fault::internal("the export's reader went away"))?;
        self.written += 1;
        Ok(())
    }
}
