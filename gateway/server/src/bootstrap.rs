//! First start: on an empty store, create a workspace, its first admin, a demo API channel and
//! a website chat (webchat) channel, so that a new install is usable at once. A generated
//! password is the admin's until they choose their own, at their first sign-in. Of nodes
//! starting together on an empty shared store, one does it and the others wait.

use std::path::Path;

use anyhow::Context;
use switchboard_model::{ChannelKind, NewChannel, Role, WorkspaceUpdate};
use switchboard_store::{NewAgentRecord, Store};

use crate::config::BootstrapConfig;

/// What a person needs to log in, printed at start-up.
pub struct FirstLogin {
    pub email: String,
    /// The workspace made at this start, if one was.
    pub new_workspace: Option<switchboard_model::Id>,
    /// `None` when the store already existed: the password was printed at its first start.
    pub password: Option<String>,
}

/// The demo workspace's website chat, once the plugins can be installed.
pub async fn demo_chat(
    state: &switchboard_api::AppState,
    workspace_id: switchboard_model::Id,
) -> anyhow::Result<()> {
    state
        .plugins
        .ensure_bundled(state.store.as_ref(), workspace_id, "webchat")
        .await
        .map_err(|error| anyhow::anyhow!("installing the webchat adapter: {}", error.message))?;
    let chat = NewChannel {
        kind: ChannelKind::WEBCHAT,
        name: "Website chat".to_string(),
        default_team_id: None,
        settings: serde_json::json!({
            "color": "#1f6feb",
            "greeting": {
                "en": "Hi! How can we help?",
                "es": "¡Hola! ¿En qué podemos ayudarte?",
                "pt-BR": "Olá! Como podemos ajudar?"
            }
        }),
        plugin: Some("webchat".to_string()),
    };
    state.store.create_channel(workspace_id, chat, None).await?;
    Ok(())
}

/// The lease a node holds while it sets up the first workspace, and how long it may take.
const FIRST_START: &str = "first-start";
const FIRST_START_MS: i64 = 120_000;

/// Sets up the demo workspace when the store has no workspace yet. Nodes that start together
/// on an empty shared store leave it to the one holding the first-start lease (`holder` is this
/// node's name) and wait for its workspace.
pub async fn bootstrap(
    store: &dyn Store,
    config: &BootstrapConfig,
    password_file: &Path,
    holder: &str,
) -> anyhow::Result<Option<FirstLogin>> {
    if !config.enabled {
        return Ok(None);
    }
    let existing = || {
        Ok(Some(FirstLogin {
            email: config.admin_email.clone(),
            new_workspace: None,
            password: None,
        }))
    };
    if !store.workspaces().await?.is_empty() {
        return existing();
    }
    if !store
        .acquire_lease(FIRST_START, holder, FIRST_START_MS)
        .await?
    {
        let waited = std::time::Instant::now();
        while store.workspaces().await?.is_empty() {
            anyhow::ensure!(
                waited.elapsed().as_millis() < FIRST_START_MS as u128,
                "another node has been setting up the first workspace for two minutes: start this one once it is up"
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        return existing();
    }
    // Another node may have finished before this one took the lease.
    if !store.workspaces().await?.is_empty() {
        return existing();
    }
    let generated = config.admin_password.is_empty();
    let password = if generated {
        let password = switchboard_api::new_password();
        write_private(password_file, &password).with_context(|| {
            format!(
                "cannot save the first password in {}",
                password_file.display()
            )
        })?;
        password
    } else {
        config.admin_password.clone()
    };
    let workspace = store.create_workspace(&config.workspace_name).await?;
    let password_hash = switchboard_api::hash_password(password.clone())
        .await
        .map_err(|error| anyhow::anyhow!("the bootstrap admin password: {}", error.message))?;
    let admin = NewAgentRecord {
        name: "Admin".to_string(),
        email: config.admin_email.clone(),
        role: Role::Admin,
        password_hash,
        must_choose_password: generated,
    };
    store.create_agent(workspace.id, admin).await?;
    if !config.first_run {
        let done = WorkspaceUpdate {
            onboarded: Some(true),
            ..WorkspaceUpdate::default()
        };
        store.update_workspace(workspace.id, done).await?;
    }
    let channel = NewChannel::new(ChannelKind::API, "API");
    store.create_channel(workspace.id, channel, None).await?;
    tracing::info!(workspace_id = workspace.id, "created the first workspace");
    Ok(Some(FirstLogin {
        email: config.admin_email.clone(),
        new_workspace: Some(workspace.id),
        password: Some(password),
    }))
}

fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(file)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use switchboard_store::prelude::*;
    use switchboard_store::{InProcessBus, RecordStore};

    use super::*;

    /// A node that finds another node setting up the first workspace (holding the first-start
    /// lease) waits for that workspace rather than make a second one.
    #[tokio::test]
    async fn a_node_waits_for_the_first_workspace_another_node_sets_up() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(
            RecordStore::open(&dir.path().join("store"), Arc::new(InProcessBus::new(16)))
                .expect("open"),
        );
        assert!(
            store
                .acquire_lease(FIRST_START, "node-a", FIRST_START_MS)
                .await
                .expect("lease")
        );
        let other = store.clone();
        let setting_up = tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            other
                .create_workspace("Acme")
                .await
                .expect("node A's workspace");
        });
        let config = BootstrapConfig {
            admin_password: "a long password".into(),
            ..BootstrapConfig::default()
        };
        let login = bootstrap(&*store, &config, &dir.path().join("pw.txt"), "node-b")
            .await
            .expect("started")
            .expect("a login");
        setting_up.await.expect("set up");
        assert_eq!(login.new_workspace, None, "node B made no workspace");
        let names: Vec<String> = store
            .workspaces()
            .await
            .expect("list")
            .into_iter()
            .map(|workspace| workspace.name)
            .collect();
        assert_eq!(names, ["Acme"]);
    }
}
