//! A stand-in for Microsoft identity platform's token endpoint (v2.0), written from its
//! published refresh-token flow, on 127.0.0.1:
//!
//! - `GET /authorize` is the sign-in page of the authorization-code flow with PKCE: for the
//!   known client, a `redirect_uri`, a `state` and an S256 `code_challenge`, it "signs in" the
//!   person a test named with [`OAuthStandIn::consent_as`] and sends them back to
//!   `redirect_uri?code=…&state=…` (`?error=access_denied&…` when nobody consents).
//! - `POST /token` takes `grant_type=authorization_code` (the code, the same `redirect_uri` and
//!   the `code_verifier` whose SHA-256 is the challenge) or `grant_type=refresh_token`, with the
//!   client's id and secret in the form, and answers `{token_type, scope, expires_in,
//!   access_token, refresh_token}`, a new refresh token each time (the old one stays valid, as
//!   Microsoft's does); a code or refresh token it did not issue, that was used or revoked gets
//!   `400 {"error":"invalid_grant", "error_description", …}`, a wrong client `401
//!   invalid_client`.
//! - `POST /introspect` (RFC 7662) serves Dovecot's oauth2 passdb: `{"active":true,
//!   "username"}` for an access token it issued that has not expired, `{"active":false}` else.
//!
//! A test grants a refresh token for a mailbox (the consent a person gives in a browser),
//! then can shorten the tokens' life, revoke the grant and count renewals.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::Query;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Redirect;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The only client the stand-in knows.
pub const CLIENT_ID: &str = "switchboard-test-client";
pub const CLIENT_SECRET: &str = "switchboard-test-secret";

#[derive(Default)]
struct Tokens {
    /// Refresh token → the user it was granted for, while not revoked.
    refresh: HashMap<String, String>,
    /// Access token → (user, expiry).
    access: HashMap<String, (String, Instant)>,
    /// How long new access tokens live.
    life: Duration,
    renewals: usize,
    issued: u64,
    /// Who signs in at `/authorize`, if anyone will.
    consenting: Option<String>,
    /// Code → (user, PKCE challenge, redirect URI), until it is used.
    codes: HashMap<String, (String, String, String)>,
}

impl Tokens {
    fn new_token(&mut self, kind: &str) -> String {
        self.issued += 1;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        format!("{kind}-{}-{nanos:x}", self.issued)
    }
}

/// The running stand-in; it stops when dropped.
pub struct OAuthStandIn {
    pub base_url: String,
    tokens: Arc<Mutex<Tokens>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for OAuthStandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl OAuthStandIn {
    /// Serves on `port` (the mail rig's `oauth_port`, where its Dovecot asks).
    pub async fn start(port: u16) -> anyhow::Result<OAuthStandIn> {
        let tokens = Arc::new(Mutex::new(Tokens {
            life: Duration::from_secs(3599),
            ..Tokens::default()
        }));
        let app = Router::new()
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/introspect", post(introspect))
            .with_state(tokens.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(OAuthStandIn {
            base_url: format!("http://127.0.0.1:{port}"),
            tokens,
            server,
        })
    }

    fn tokens(&self) -> MutexGuard<'_, Tokens> {
        self.tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn token_url(&self) -> String {
        format!("{}/token", self.base_url)
    }

    pub fn authorize_url(&self) -> String {
        format!("{}/authorize", self.base_url)
    }

    /// The person who signs in and consents at `/authorize` from now on.
    pub fn consent_as(&self, user: &str) {
        self.tokens().consenting = Some(user.to_string());
    }

    /// A refresh token for `user`, as the consent screen would hand one out.
    pub fn grant(&self, user: &str) -> String {
        let mut tokens = self.tokens();
        let refresh = tokens.new_token("refresh");
        tokens.refresh.insert(refresh.clone(), user.to_string());
        refresh
    }

    /// Access tokens issued from now on live `life`.
    pub fn set_token_life(&self, life: Duration) {
        self.tokens().life = life;
    }

    /// Revokes every refresh token of `user` (the user withdrew consent, an admin reset it).
    pub fn revoke(&self, user: &str) {
        self.tokens().refresh.retain(|_, owner| owner != user);
    }

    /// Access tokens handed out for refresh tokens so far.
    pub fn renewals(&self) -> usize {
        self.tokens().renewals
    }
}

fn refusal(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS-STAND-IN: {description}"),
        "error_codes": [0],
        "trace_id": "00000000-0000-0000-0000-000000000000",
    });
    (status, Json(body)).into_response()
}

/// The fields of a form-encoded body.
fn form(body: &Bytes) -> HashMap<String, String> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

async fn token(State(tokens): State<Arc<Mutex<Tokens>>>, body: Bytes) -> Response {
    let form = form(&body);
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if field("client_id") != CLIENT_ID || field("client_secret") != CLIENT_SECRET {
        return refusal(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The client id or secret is wrong.",
        );
    }
    let mut tokens = tokens
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let user = match field("grant_type") {
        "refresh_token" => tokens.refresh.get(field("refresh_token")).cloned(),
        "authorization_code" => tokens
            .codes
            .remove(field("code"))
            .filter(|(_, challenge, redirect)| {
                *challenge == s256(field("code_verifier")) && redirect == field("redirect_uri")
            })
            .map(|(user, _, _)| user),
        _ => {
            return refusal(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Only the authorization_code and refresh_token grants are served here.",
            );
        }
    };
    let Some(user) = user else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The code or refresh token is not valid, was used or revoked, or the code verifier does not match.",
        );
    };
    let access = tokens.new_token("access");
    let refresh = tokens.new_token("refresh");
    let life = tokens.life;
    tokens
        .access
        .insert(access.clone(), (user.clone(), Instant::now() + life));
    tokens.refresh.insert(refresh.clone(), user);
    tokens.renewals += 1;
    Json(json!({
        "token_type": "Bearer",
        "scope": field("scope"),
        "expires_in": life.as_secs(),
        "ext_expires_in": life.as_secs(),
        "access_token": access,
        "refresh_token": refresh,
    }))
    .into_response()
}

/// BASE64URL(SHA-256(verifier)), the S256 challenge of a PKCE verifier.
fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn authorize(
    State(tokens): State<Arc<Mutex<Tokens>>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    if field("client_id") != CLIENT_ID
        || field("response_type") != "code"
        || field("code_challenge_method") != "S256"
        || field("code_challenge").is_empty()
        || field("state").is_empty()
        || field("redirect_uri").is_empty()
    {
        return refusal(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "A known client_id, response_type=code, an S256 code_challenge, a state and a redirect_uri are required.",
        );
    }
    let mut tokens = tokens
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let back = |pairs: &[(&str, &str)]| {
        let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
        Redirect::to(&format!("{}?{query}", field("redirect_uri"))).into_response()
    };
    let Some(user) = tokens.consenting.clone() else {
        return back(&[
            ("error", "access_denied"),
            ("error_description", "The person declined to sign in."),
            ("state", field("state")),
        ]);
    };
    let code = tokens.new_token("code");
    tokens.codes.insert(
        code.clone(),
        (
            user,
            field("code_challenge").to_string(),
            field("redirect_uri").to_string(),
        ),
    );
    back(&[("code", &code), ("state", field("state"))])
}

async fn introspect(
    State(tokens): State<Arc<Mutex<Tokens>>>,
    body: Bytes,
) -> Json<serde_json::Value> {
    let form = form(&body);
    let tokens = tokens
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let token = form.get("token").map(String::as_str).unwrap_or_default();
    Json(match tokens.access.get(token) {
        Some((user, expiry)) if Instant::now() < *expiry => {
            json!({ "active": true, "username": user })
        }
        _ => json!({ "active": false }),
    })
}
