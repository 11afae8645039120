//! The signed plugin package: one file that carries a channel adapter's component and its
//! manifest, signed with its publisher's ed25519 key, so that an admin installs only what a
//! publisher they trust built.
//!
//! The file is a first line `SWITCHBOARD-PLUGIN 1`, a second line of JSON
//! `{"manifest": "<the manifest's TOML>", "key": "<public key, base64>",
//! "signature": "<signature, base64>"}`, and the component's bytes to the end. The signature
//! covers `switchboard-plugin 1`, the SHA-256 of the manifest's text and the SHA-256 of the
//! component, each on its own line, so neither can be swapped without breaking it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The package's first line.
const MAGIC: &[u8] = b"SWITCHBOARD-PLUGIN 1\n";
/// The longest header line accepted.
const MAX_HEADER_BYTES: usize = 256 * 1024;

/// Why a package was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PackageError {
    #[error(
        "the file is not a Switchboard plugin package (it must start with `SWITCHBOARD-PLUGIN 1`)"
    )]
    NotAPackage,
    #[error("the package's header cannot be read: {0}")]
    BadHeader(String),
    #[error("the package is signed by key {0}, which this workspace does not trust")]
    Untrusted(String),
    #[error(
        "the package's signature does not match its manifest and component: it was changed after signing"
    )]
    BadSignature,
}

/// A package opened and checked: what it carries, and who signed it.
#[derive(Debug)]
pub struct Opened {
    pub manifest_toml: String,
    pub component: Vec<u8>,
    /// The signer's public key, base64.
    pub key: String,
}

#[derive(Serialize, Deserialize)]
struct Header {
    manifest: String,
    key: String,
    signature: String,
}

/// What is signed.
fn signed_text(manifest_toml: &str, component: &[u8]) -> String {
    format!(
        "switchboard-plugin 1\n{}\n{}\n",
        hex::encode(Sha256::digest(manifest_toml.as_bytes())),
        hex::encode(Sha256::digest(component))
    )
}

/// A publisher's key pair from its 32-byte secret seed.
pub fn signing_key(seed: &[u8; 32]) -> SigningKey {
    SigningKey::from_bytes(seed)
}

/// The public half of a key, base64, as admins list the keys they trust.
pub fn public_key(key: &SigningKey) -> String {
    STANDARD.encode(key.verifying_key().as_bytes())
}

/// Packs and signs a component and its manifest.
pub fn pack(manifest_toml: &str, component: &[u8], key: &SigningKey) -> Vec<u8> {
    let signature = key.sign(signed_text(manifest_toml, component).as_bytes());
    let header = Header {
        manifest: manifest_toml.to_string(),
        key: public_key(key),
        signature: STANDARD.encode(signature.to_bytes()),
    };
    let mut file = MAGIC.to_vec();
    // A JSON text holds no raw line break: the header is one line.
    file.extend_from_slice(
        serde_json::to_string(&header)
            .unwrap_or_default()
            .as_bytes(),
    );
    file.push(b'\n');
    file.extend_from_slice(component);
    file
}

/// Opens a package and checks that one of the `trusted` public keys (base64) signed it.
pub fn open(file: &[u8], trusted: &[String]) -> Result<Opened, PackageError> {
    let rest = file.strip_prefix(MAGIC).ok_or(PackageError::NotAPackage)?;
    let end = rest
        .iter()
        .take(MAX_HEADER_BYTES)
        .position(|byte| *byte == b'\n')
        .ok_or_else(|| PackageError::BadHeader("no end of the header line".into()))?;
    let header: Header = serde_json::from_slice(&rest[..end])
        .map_err(|error| PackageError::BadHeader(error.to_string()))?;
    let component = rest[end + 1..].to_vec();
    if !trusted.iter().any(|key| key.trim() == header.key) {
        return Err(PackageError::Untrusted(header.key));
    }
    let key_bytes: [u8; 32] = STANDARD
        .decode(&header.key)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| PackageError::BadHeader("the key is not 32 bytes of base64".into()))?;
    let key = VerifyingKey::from_bytes(&key_bytes)
        .map_err(|_| PackageError::BadHeader("the key is not an ed25519 key".into()))?;
    let signature: [u8; 64] = STANDARD
        .decode(&header.signature)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| PackageError::BadHeader("the signature is not 64 bytes of base64".into()))?;
    key.verify(
        signed_text(&header.manifest, &component).as_bytes(),
        &Signature::from_bytes(&signature),
    )
    .map_err(|_| PackageError::BadSignature)?;
    Ok(Opened {
        manifest_toml: header.manifest,
        component,
        key: header.key,
    })
}

/// Whether `key` is an ed25519 public key in base64, as an admin gives one to trust.
pub fn is_public_key(key: &str) -> bool {
    STANDARD
        .decode(key.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .is_some_and(|bytes| VerifyingKey::from_bytes(&bytes).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "name = \"crm\"\nversion = \"1.0.0\"\n";

    #[test]
    fn a_package_opens_only_whole_and_from_a_trusted_key() {
        let key = signing_key(&[7; 32]);
        let other = signing_key(&[8; 32]);
        let file = pack(MANIFEST, b"\0asm component", &key);
        let opened = open(&file, &[public_key(&key)]).expect("opens");
        assert_eq!(opened.manifest_toml, MANIFEST);
        assert_eq!(opened.component, b"\0asm component");
        assert_eq!(
            open(&file, &[public_key(&other)]).err(),
            Some(PackageError::Untrusted(public_key(&key)))
        );
        let mut changed = file.clone();
        *changed.last_mut().expect("bytes") ^= 1;
        assert_eq!(
            open(&changed, &[public_key(&key)]).err(),
            Some(PackageError::BadSignature)
        );
        let swapped = String::from_utf8_lossy(&file).replace("1.0.0", "9.9.9");
        assert_eq!(
            open(swapped.as_bytes(), &[public_key(&key)]).err(),
            Some(PackageError::BadSignature),
            "another manifest under the same signature"
        );
        assert_eq!(open(b"\0asm", &[]).err(), Some(PackageError::NotAPackage));
        assert!(is_public_key(&public_key(&key)));
        assert!(!is_public_key("not a key"));
    }
}
