//! Email channels' mailboxes: the provider presets a settings form offers, a channel's mailbox
//! status (its forwarding address, servers and connection health), "Test connection", and
//! sending a conversation's transcript by email.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use switchboard_mail::{Provider, Security, Server};
use switchboard_model::{ChannelHealth, Id};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::extract::{Json, Path};
use crate::{ApiResult, AppState};
use switchboard_services::email::{account, email_channel};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_providers))
        .routes(routes!(mailbox_status))
        .routes(routes!(test_connection))
        .routes(routes!(send_transcript))
}

/// Where to send a transcript.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TranscriptRequest {
    /// The address that receives it.
    to: String,
    /// `en` (the default), `es` or `pt-BR`: the language of its heading.
    #[serde(default)]
    locale: Option<String>,
}

/// What the mail server said.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct TranscriptSent {
    /// The SMTP server's acceptance, e.g. `250 2.0.0 Ok: queued as 4F2C1`.
    accepted: String,
}

/// Emails the conversation's transcript (its messages, not its private notes).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/transcript", tag = "conversations", params(("id" = u64, Path)),
    request_body = TranscriptRequest,
    responses((status = 200, body = TranscriptSent), (status = 502, body = switchboard_model::ErrorBody, description = "the mail server or adapter refused")))]
async fn send_transcript(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(request): Json<TranscriptRequest>,
) -> ApiResult<axum::Json<TranscriptSent>> {
    let to = request.to.trim();
    let (local, domain) = to.split_once('@').unwrap_or_default();
    if local.is_empty()
        || !domain.contains('.')
        || to.len() > 254
        || to.contains(char::is_whitespace)
    {
        return Err(crate::ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("`to` must be an email address, not `{to}`"),
        ));
    }
    let locale = request.locale.as_deref().unwrap_or("en");
    let accepted = switchboard_services::email::transcript::send(
        &state,
        caller.workspace_id,
        id,
        &caller.agent.name,
        to,
        locale,
    )
    .await?;
    Ok(axum::Json(TranscriptSent { accepted }))
}

/// A server as the settings form shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ServerView {
    host: String,
    port: u16,
    /// `tls`, `starttls` or `none`.
    security: String,
}

impl From<&Server> for ServerView {
    fn from(server: &Server) -> Self {
        ServerView {
            host: server.host.clone(),
            port: server.port,
            security: match server.security {
                Security::Tls => "tls",
                Security::Starttls => "starttls",
                Security::None => "none",
            }
            .into(),
        }
    }
}

/// A provider whose servers are filled in for the admin.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ProviderPreset {
    /// The value of the channel's `provider` setting.
    provider: String,
    imap: Option<ServerView>,
    smtp: Option<ServerView>,
}

/// The providers with known servers: Gmail, Outlook / Office 365, Yahoo, iCloud, and Other.
#[utoipa::path(get, path = "/api/v1/email/providers", tag = "channels", responses((status = 200, body = Vec<ProviderPreset>)))]
async fn list_providers(_caller: Caller) -> axum::Json<Vec<ProviderPreset>> {
    let presets = Provider::ALL
        .iter()
        .map(|provider| {
            let servers = provider.servers();
            ProviderPreset {
                provider: serde_json::to_value(provider)
                    .ok()
                    .and_then(|name| name.as_str().map(str::to_string))
                    .unwrap_or_default(),
                imap: servers.as_ref().map(|(imap, _)| imap.into()),
                smtp: servers.as_ref().map(|(_, smtp)| smtp.into()),
            }
        })
        .collect();
    axum::Json(presets)
}

/// What the gateway knows about an email channel's mailbox.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct MailboxStatus {
    /// Mail forwarded to this address arrives in the channel (when the listener is on).
    forwarding_address: Option<String>,
    imap: Option<ServerView>,
    smtp: Option<ServerView>,
    username: Option<String>,
    /// What the settings lack, if they are not complete.
    settings_problem: Option<String>,
    /// The IMAP sync's state, once it has started.
    health: Option<ChannelHealth>,
}

/// An email channel's mailbox: forwarding address, servers and connection health (admins only).
#[utoipa::path(get, path = "/api/v1/channels/{id}/mailbox", tag = "channels", params(("id" = u64, Path)),
    responses((status = 200, body = MailboxStatus), (status = 409, body = switchboard_model::ErrorBody, description = "not an email channel")))]
async fn mailbox_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<MailboxStatus>> {
    caller.require_admin()?;
    let channel = email_channel(&state, caller.workspace_id, id).await?;
    let (imap, smtp, username, settings_problem) = match account(&state, &channel).await? {
        Ok(account) => (
            account.imap.as_ref().map(ServerView::from),
            account.smtp.as_ref().map(ServerView::from),
            Some(account.username),
            None,
        ),
        Err(problem) => (None, None, None, Some(problem)),
    };
    Ok(axum::Json(MailboxStatus {
        forwarding_address: state.mail.forwarding_address(&state, &channel),
        imap,
        smtp,
        username,
        settings_problem,
        health: state.mail.health(channel.id),
    }))
}

/// How "Test connection" went: for IMAP and SMTP, `ok`, `not_configured`, or `failed` with
/// the step that failed (`settings`, `token`, `dns`, `tcp`, `tls`, `authentication`, `mailbox`,
/// `protocol`) and the server's words.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ConnectionTest {
    ok: bool,
    #[schema(value_type = Object)]
    imap: serde_json::Value,
    #[schema(value_type = Object)]
    smtp: serde_json::Value,
}

/// Tries the channel's IMAP and SMTP servers with its saved settings (admins only).
#[utoipa::path(post, path = "/api/v1/channels/{id}/mailbox/test", tag = "channels", params(("id" = u64, Path)),
    responses((status = 200, body = ConnectionTest), (status = 409, body = switchboard_model::ErrorBody, description = "not an email channel")))]
async fn test_connection(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<ConnectionTest>> {
    caller.require_admin()?;
    let channel = email_channel(&state, caller.workspace_id, id).await?;
    let signed_in = match account(&state, &channel).await? {
        Ok(account) => {
            switchboard_services::email::oauth::signed_in(&state, &channel, account).await?
        }
        Err(problem) => Err(switchboard_mail::MailError::new(
            switchboard_mail::Step::Settings,
            problem,
        )),
    };
    let report = match signed_in {
        Ok((account, _)) => switchboard_mail::probe::check(&account, &state.mail.trust).await,
        Err(error) => {
            let failed = switchboard_mail::probe::Outcome::Failed {
                step: error.step,
                message: error.message,
            };
            switchboard_mail::probe::Report {
                imap: failed.clone(),
                smtp: failed,
            }
        }
    };
    let json = |outcome| serde_json::to_value(outcome).unwrap_or_default();
    Ok(axum::Json(ConnectionTest {
        ok: report.ok(),
        imap: json(&report.imap),
        smtp: json(&report.smtp),
    }))
}
