//! First start: on an empty store, create a workspace, its first admin, a demo API channel and
//! a website chat (webchat) channel, so that a new install is usable at once. A generated
//! password is the admin's until they choose their own, at their first sign-in.

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

/// Sets up the demo workspace when the store has no workspace yet.
pub async fn bootstrap(
    store: &dyn Store,
    config: &BootstrapConfig,
    password_file: &Path,
) -> anyhow::Result<Option<FirstLogin>> {
    if !config.enabled {
        return Ok(None);
    }
    if !store.workspaces().await?.is_empty() {
        return Ok(Some(FirstLogin {
            email: config.admin_email.clone(),
            new_workspace: None,
            password: None,
        }));
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
