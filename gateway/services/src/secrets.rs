//! Channel secrets (passwords, API tokens) sealed at rest with ChaCha20-Poly1305. The key lives
//! in a file of its own beside the store (created on first start, mode 0600), so a copy of the
//! store alone reveals no secret. Secrets are never logged and never returned by the API.

use std::collections::BTreeMap;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const NONCE_BYTES: usize = 12;

pub struct SecretBox {
    cipher: ChaCha20Poly1305,
    /// Derived from the key (HKDF), for tags that prove the gateway made a value (HMAC).
    tag_key: [u8; 32],
    /// The tag key of gateways before 2026-12-05, which hashed the key and the data with a
    /// prefix; tags they made (forwarding addresses set at mail providers, visitors' sessions)
    /// must keep matching.
    legacy_tag_key: [u8; 32],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// Reads the key file, or creates it with a new random key.
    pub fn load_or_create(path: &Path) -> std::io::Result<SecretBox> {
        let key = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut key = vec![0u8; 32];
                rand::rng().fill_bytes(&mut key);
                write_private(path, &key)?;
                key
            }
            Err(error) => return Err(error),
        };
        let key: [u8; 32] = key.try_into().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} does not hold a 32-byte key", path.display()),
            )
        })?;
        Ok(SecretBox::from_key(key))
    }

    pub fn from_key(key: [u8; 32]) -> SecretBox {
        let mut tag_key = [0; 32];
        Hkdf::<Sha256>::new(None, &key)
            .expand(b"switchboard tag key", &mut tag_key)
            .expect("32 bytes is a length HKDF-SHA256 gives");
        let mut legacy_tag_key = Sha256::new_with_prefix(b"switchboard tag key\0");
        legacy_tag_key.update(key);
        SecretBox {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key)),
            tag_key,
            legacy_tag_key: legacy_tag_key.finalize().into(),
        }
    }

    /// A short tag (16 hex digits) that only this gateway's key makes for `data`, e.g. the
    /// unguessable part of a channel's forwarding address: HMAC-SHA256 of the purpose and the
    /// data, cut to 64 bits.
    pub fn tag(&self, purpose: &str, data: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.tag_key)
            .expect("HMAC takes a key of any length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        hex::encode(&mac.finalize().into_bytes()[..8])
    }

    /// The tag an older gateway made for `data`.
    fn legacy_tag(&self, purpose: &str, data: &[u8]) -> String {
        let mut hash = Sha256::new_with_prefix(self.legacy_tag_key);
        hash.update(purpose.as_bytes());
        hash.update([0]);
        hash.update(data);
        hex::encode(&hash.finalize()[..8])
    }

    /// Whether `tag` is the tag of `data` (or the one an older gateway made), compared in
    /// constant time, so that how long a refusal takes says nothing about how much of a guess
    /// was right.
    pub fn tag_matches(&self, purpose: &str, data: &[u8], tag: &str) -> bool {
        let tag = tag.as_bytes();
        let current = self.tag(purpose, data).as_bytes().ct_eq(tag);
        let legacy = self.legacy_tag(purpose, data).as_bytes().ct_eq(tag);
        bool::from(current | legacy)
    }

    /// A nonce followed by the ciphertext of the secrets as JSON.
    pub fn seal(&self, secrets: &BTreeMap<String, String>) -> Result<Vec<u8>, String> {
        let plain = serde_json::to_vec(secrets).map_err(|error| error.to_string())?;
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_slice())
            .map_err(|_| "cannot seal the secrets".to_string())?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    pub fn open(&self, sealed: &[u8]) -> Result<BTreeMap<String, String>, String> {
        if sealed.len() < NONCE_BYTES {
            return Err("the sealed secrets are truncated".into());
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| {
                "the channel's secrets cannot be opened with this gateway's key".to_string()
            })?;
        serde_json::from_slice(&plain).map_err(|error| error.to_string())
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key() {
        let secrets = BTreeMap::from([("api_token".to_string(), "s3cr3t-value".to_string())]);
        let sealing = SecretBox::from_key([7; 32]);
        let sealed = sealing.seal(&secrets).expect("seal");
        assert!(
            !String::from_utf8_lossy(&sealed).contains("s3cr3t-value"),
            "nothing readable at rest"
        );
        assert_eq!(sealing.open(&sealed), Ok(secrets));
        assert!(SecretBox::from_key([8; 32]).open(&sealed).is_err());
        assert!(sealing.open(&sealed[..5]).is_err());
    }

    #[test]
    fn a_tag_matches_only_its_own_data_and_purpose() {
        let secrets = SecretBox::from_key([7; 32]);
        let tag = secrets.tag("visitor", b"1.2.a-x");
        assert!(secrets.tag_matches("visitor", b"1.2.a-x", &tag));
        assert!(!secrets.tag_matches("visitor", b"1.2.a-y", &tag));
        assert!(!secrets.tag_matches("forwarding address", b"1.2.a-x", &tag));
        assert!(!secrets.tag_matches("visitor", b"1.2.a-x", &tag[..15]));
        assert!(!secrets.tag_matches("visitor", b"1.2.a-x", ""));
    }

    #[test]
    fn a_tag_an_older_gateway_made_still_matches() {
        // What the gateway of 2026-12-04 made for this key, purpose and data.
        let secrets = SecretBox::from_key([7; 32]);
        let mut key = Sha256::new_with_prefix(b"switchboard tag key\0");
        key.update([7; 32]);
        let mut old = Sha256::new_with_prefix(key.finalize());
        old.update(b"forwarding address\0");
        old.update(b"1.2");
        let old = hex::encode(&old.finalize()[..8]);
        assert_ne!(
            secrets.tag("forwarding address", b"1.2"),
            old,
            "a new construction"
        );
        assert!(secrets.tag_matches("forwarding address", b"1.2", &old));
        assert!(!secrets.tag_matches("visitor", b"1.2", &old));
    }

    #[test]
    fn a_tag_is_the_hmac_of_the_purpose_and_data_under_a_derived_key() {
        // HKDF-SHA256 (no salt, info "switchboard tag key") of the key, then HMAC-SHA256.
        let secrets = SecretBox::from_key([0x0b; 32]);
        let mut derived = [0; 32];
        Hkdf::<Sha256>::new(None, &[0x0b; 32])
            .expand(b"switchboard tag key", &mut derived)
            .expect("expand");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&derived).expect("key");
        mac.update(b"visitor\x001.2.a-x");
        let expected = hex::encode(&mac.finalize().into_bytes()[..8]);
        assert_eq!(secrets.tag("visitor", b"1.2.a-x"), expected);
    }

    #[test]
    fn the_key_file_is_made_once_and_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("secret.key");
        let first = SecretBox::load_or_create(&path).expect("create");
        let sealed = first
            .seal(&BTreeMap::from([("a".into(), "b".into())]))
            .expect("seal");
        let again = SecretBox::load_or_create(&path).expect("load");
        assert!(again.open(&sealed).is_ok());
        std::fs::write(&path, b"short").expect("write");
        assert!(
            SecretBox::load_or_create(&path).is_err(),
            "a broken key file is named, not replaced"
        );
    }
}
