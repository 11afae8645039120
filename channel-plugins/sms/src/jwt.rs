//! HS256-signed JSON Web Tokens (RFC 7519), as Vonage and MessageBird sign their webhooks:
//! the signature checked with the shared secret, then the claims handed back. Which claims
//! must hold is the caller's to say.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};
use switchboard_channel_sdk::Error;

/// The claims of `token` if `secret` signed it with HS256; a forgery otherwise.
pub fn verified_claims(token: &str, secret: &str) -> Result<Value, Error> {
    let forged = |why: &str| Error::Forged(format!("the webhook's token {why}"));
    let token = token.trim();
    let (signed, signature) = token
        .rsplit_once('.')
        .ok_or_else(|| forged("is not a JWT"))?;
    let (header, claims) = signed
        .split_once('.')
        .ok_or_else(|| forged("is not a JWT"))?;
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| forged("is not base64url"))
    };
    let header: Value =
        serde_json::from_slice(&decode(header)?).map_err(|_| forged("has no JSON header"))?;
    if header["alg"] != "HS256" {
        return Err(forged("is not signed with HS256"));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|error| Error::Internal(error.to_string()))?;
    mac.update(signed.as_bytes());
    mac.verify_slice(&decode(signature)?)
        .map_err(|_| forged("is not signed with the channel's secret"))?;
    serde_json::from_slice(&decode(claims)?).map_err(|_| forged("has no JSON claims"))
}

/// Hex SHA-256, as the tokens' hash claims carry it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// How old a token may be: older ones are refused, so only recent ids need remembering.
pub const MAX_AGE_MS: u64 = 5 * 60 * 1000;
/// Token ids remembered, newest last: a replay within [`MAX_AGE_MS`] is refused unless this
/// many other webhooks came in between (and then it is a duplicate the gateway stores once).
const REMEMBERED: usize = 4096;

/// Refuses a token issued more than [`MAX_AGE_MS`] ago (or in the future), or whose `jti` was
/// seen lately, so a captured webhook cannot be sent again; remembers this one. The ids are
/// kept as 8-byte hashes in one key, so a check costs a scan of bytes, not a parse.
pub fn fresh_and_first(
    claims: &Value,
    issued_at_seconds: Option<u64>,
    now_ms: u64,
) -> Result<(), Error> {
    use switchboard_channel_sdk::host;
    let issued_ms = issued_at_seconds
        .ok_or_else(|| Error::Forged("the webhook's token says not when it was issued".into()))?
        .saturating_mul(1000);
    if now_ms.saturating_sub(issued_ms) > MAX_AGE_MS || issued_ms > now_ms + 60_000 {
        return Err(Error::Forged(
            "the webhook's token is too old or from the future: a replay".into(),
        ));
    }
    let Some(id) = claims["jti"].as_str().filter(|id| !id.is_empty()) else {
        return Err(Error::Forged("the webhook's token has no `jti`".into()));
    };
    let digest = Sha256::digest(id.as_bytes());
    let hash = &digest[..8];
    let mut recent = host::kv_get("recent_jti").unwrap_or_default();
    if recent.chunks_exact(8).any(|seen| seen == hash) {
        return Err(Error::Forged(
            "the webhook's token was used before: a replay".into(),
        ));
    }
    if recent.len() >= REMEMBERED * 8 {
        recent.drain(..recent.len() + 8 - REMEMBERED * 8);
    }
    recent.extend_from_slice(hash);
    host::kv_set("recent_jti", &recent);
    Ok(())
}
