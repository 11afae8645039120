//! How a delivery is signed: `X-Switchboard-Signature: t=<unix seconds>,v1=<hex>`, where the
//! hex is the HMAC-SHA256, keyed with the webhook's secret, of the timestamp, a dot and the body
//! exactly as sent. The timestamp lets a receiver refuse an old delivery replayed. Pure.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header that carries the signature.
pub const HEADER: &str = "X-Switchboard-Signature";

/// The header's value for `body` sent at `timestamp` (Unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_the_timestamp_and_the_body() {
        let signed = sign("whsec_test", 1_700_000_000, b"{\"event\":\"ping\"}");
        let (t, v1) = signed.split_once(",v1=").expect("two parts");
        assert_eq!(t, "t=1700000000");
        assert_eq!(v1.len(), 64);
        assert_ne!(
            signed,
            sign("whsec_test", 1_700_000_001, b"{\"event\":\"ping\"}")
        );
        assert_ne!(
            signed,
            sign("whsec_test", 1_700_000_000, b"{\"event\":\"pong\"}")
        );
        assert_ne!(
            signed,
            sign("whsec_other", 1_700_000_000, b"{\"event\":\"ping\"}")
        );
    }
}
