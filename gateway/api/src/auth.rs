//! Who is calling: console sessions (an HttpOnly, SameSite=Strict cookie) and bearer API tokens.
//! Secrets are random 32-byte values; the store keeps only their SHA-256. Passwords are hashed
//! with argon2id.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use switchboard_model::{Agent, Id, Role, TokenScope, now_millis};
use switchboard_services::workspaces;
use tokio::sync::Semaphore;

use crate::{ApiError, ApiResult, AppState};

/// The name of the console's session cookie.
pub const SESSION_COOKIE: &str = "sb_session";

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// An authenticated caller: an agent of one workspace, by session or by API token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub workspace_id: Id,
    pub agent: Agent,
    /// `true` when the caller came with the session cookie (a browser).
    pub by_cookie: bool,
    /// What the credentials may do: a session, all its agent may; a token, its scope.
    pub scope: TokenScope,
}

impl Caller {
    /// Fails unless the caller is an admin, with credentials that may act as one.
    pub fn require_admin(&self) -> ApiResult<()> {
        match (self.agent.role, self.scope) {
            (Role::Admin, TokenScope::Admin) => Ok(()),
            (Role::Admin, _) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "token_scope",
                "this API token's scope does not reach admin actions",
            )),
            (Role::Supervisor, _) => Err(ApiError::forbidden(
                "this action needs the admin role: a supervisor works every conversation but changes no settings",
            )),
            (Role::Agent, _) => Err(ApiError::forbidden("this action needs the admin role")),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Caller> {
        if let Some(token) = bearer_token(parts)? {
            let found = state.store.api_token(secret_hash(&token)).await?;
            let token = found.ok_or_else(|| {
                ApiError::unauthenticated(
                    "invalid_token",
                    "the API token is unknown or was revoked",
                )
            })?;
            if token
                .expires_at
                .is_some_and(|expires| expires <= now_millis())
            {
                return Err(ApiError::unauthenticated(
                    "token_expired",
                    format!("the API token {:?} has expired", token.name),
                ));
            }
            let reads = matches!(parts.method, Method::GET | Method::HEAD);
            if token.scope == TokenScope::Read && !reads {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "token_scope",
                    "this API token may only read",
                ));
            }
            let agent = active_agent(state, token.workspace_id, token.agent_id).await?;
            require_own_password(&agent, parts)?;
            workspaces::require_active(&state.services, token.workspace_id).await?;
            return Ok(Caller {
                workspace_id: token.workspace_id,
                agent,
                by_cookie: false,
                scope: token.scope,
            });
        }
        let Some(secret) = session_cookie(&parts.headers) else {
            return Err(ApiError::unauthenticated(
                "unauthenticated",
                "log in first, or send an API token as `Authorization: Bearer <token>`",
            ));
        };
        let session = state
            .store
            .session(secret_hash(&secret))
            .await?
            .ok_or_else(|| {
                ApiError::unauthenticated("session_expired", "your session has ended; log in again")
            })?;
        if session.expires_at <= now_millis() {
            return Err(ApiError::unauthenticated(
                "session_expired",
                "your session has ended; log in again",
            ));
        }
        let agent = active_agent(state, session.workspace_id, session.agent_id).await?;
        require_own_password(&agent, parts)?;
        workspaces::require_active(&state.services, session.workspace_id).await?;
        Ok(Caller {
            workspace_id: session.workspace_id,
            agent,
            by_cookie: true,
            scope: TokenScope::Admin,
        })
    }
}

/// What a person whose password was generated may call before choosing their own: who they
/// are, choosing it, and signing out.
const OPEN_BEFORE_CHOOSING: [(Method, &str); 3] = [
    (Method::GET, "/api/v1/auth/me"),
    (Method::POST, "/api/v1/auth/password"),
    (Method::POST, "/api/v1/auth/logout"),
];

/// Fails with `choose_password` while the agent still has a generated password, but for the
/// calls of [`OPEN_BEFORE_CHOOSING`].
fn require_own_password(agent: &Agent, parts: &Parts) -> ApiResult<()> {
    let open = OPEN_BEFORE_CHOOSING
        .iter()
        .any(|(method, path)| parts.method == method && parts.uri.path() == *path);
    if !agent.must_choose_password || open {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "choose_password",
        "the password you signed in with was generated for you: choose your own first (POST /api/v1/auth/password)",
    ))
}

async fn active_agent(state: &AppState, workspace_id: Id, agent_id: Id) -> ApiResult<Agent> {
    let agent = state
        .store
        .agent(workspace_id, agent_id)
        .await
        .map_err(|_| {
            ApiError::unauthenticated(
                "unauthenticated",
                "the agent behind these credentials no longer exists",
            )
        })?;
    if !agent.active {
        return Err(ApiError::unauthenticated(
            "agent_deactivated",
            "this agent has been deactivated",
        ));
    }
    Ok(agent)
}

pub(crate) fn bearer_token(parts: &Parts) -> ApiResult<Option<String>> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or_default();
    match value.strip_prefix("Bearer ").map(str::trim) {
        Some(token) if !token.is_empty() => Ok(Some(token.to_string())),
        _ => Err(ApiError::unauthenticated(
            "invalid_authorization",
            "the Authorization header must be `Bearer <token>`",
        )),
    }
}

/// The session secret from the request's cookies, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

/// A new random secret, URL-safe.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new password of 20 letters and digits, none easily mistaken for another (no 0/O, 1/l).
pub fn new_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// What the store keeps instead of a secret.
pub fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Hashes a password with argon2id (it takes tens of milliseconds), within [`HASHING`].
pub async fn hash_password(password: String) -> ApiResult<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
            format!("the password must have at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    HASHING
        .run(move || {
            let mut salt = [0u8; 16];
            rand::rng().fill_bytes(&mut salt);
            let salt = SaltString::encode_b64(&salt)
                .map_err(|error| ApiError::internal(error.to_string()))?;
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|error| ApiError::internal(format!("cannot hash the password: {error}")))
        })
        .await?
}

/// Checks a password against a stored hash, within [`HASHING`]. Without a stored hash it
/// still does the work of one check, so the answer takes as long for unknown addresses.
pub async fn verify_password(password: String, stored: Option<String>) -> ApiResult<bool> {
    HASHING
        .run(move || {
            let known = stored.is_some();
            let stored = stored.unwrap_or_else(|| UNKNOWN_AGENT_HASH.to_string());
            let Ok(hash) = PasswordHash::new(&stored) else {
                return false;
            };
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
                && known
        })
        .await
}

/// Password hashing, capped: a flood of logins (to any address, known or not) gets half the
/// cores at most, so that plugin calls, webhooks and visitors keep the rest of the blocking
/// pool and the CPU. A few wait their turn; past that a login is refused at once with `503`
/// and `Retry-After`, rather than queueing work nobody will wait for.
static HASHING: LazyLock<HashingGate> = LazyLock::new(|| HashingGate {
    running: Semaphore::new(
        std::thread::available_parallelism()
            .map_or(1, usize::from)
            .div_ceil(2),
    ),
    waiting: AtomicUsize::new(0),
});

/// Hashes that may wait for a turn.
pub const HASHING_QUEUE: usize = 32;
/// How long one waits at most.
const HASHING_WAIT: Duration = Duration::from_secs(5);

struct HashingGate {
    running: Semaphore,
    waiting: AtomicUsize,
}

impl HashingGate {
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> ApiResult<T> {
        let busy = || {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the gateway is checking too many passwords at once; try again in a few seconds",
            )
            .retry_after(2)
        };
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= HASHING_QUEUE {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            metrics::counter!("switchboard_password_checks_refused_total").increment(1);
            return Err(busy());
        }
        let turn = tokio::time::timeout(HASHING_WAIT, self.running.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        let Ok(Ok(_turn)) = turn else {
            metrics::counter!("switchboard_password_checks_refused_total").increment(1);
            return Err(busy());
        };
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|error| ApiError::internal(error.to_string()))
    }
}

/// An argon2id hash of a random password nobody knows, checked for unknown addresses.
const UNKNOWN_AGENT_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c3dpdGNoYm9hcmQtZHVtbXk$Rr3TLyFhcvSmLx7Ne0Pi8mD2bgl9r0zQ2s+5m0YsA3k";
