//! Which keys exist under the prefixes that the writer mostly looks up only to find nothing:
//! the external id of every new message, the identity of every new contact.
//!
//! A sled read is the builder's costliest step for a new message: it descends the tree only to
//! find the key missing (and, while the committer wrote sled batches, it waited for each of
//! them). So the builder answers "never written" for those keys from this filter and reads sled
//! only for a key that may exist. It is a Bloom filter: it may say "maybe" for a key that was
//! never written (sled then answers), but never "no" for one that was. It is filled from the
//! tree when the store opens, and the builder adds every covered key a group writes before the
//! group goes to disk.

use growable_bloom_filter::GrowableBloom;

use crate::StoreResult;
use crate::keys;

/// The prefixes whose keys the filter covers.
const COVERED: [&[u8]; 2] = [keys::DEDUPE, keys::IDENTITY];
/// How often a key that was never written is read from sled all the same.
const FALSE_POSITIVES: f64 = 0.01;
/// What the first layer is sized for; the filter adds larger layers as keys come.
const FIRST_LAYER: usize = 100_000;

#[derive(Debug)]
pub struct KnownKeys {
    filter: GrowableBloom,
}

fn covered(key: &[u8]) -> bool {
    COVERED.iter().any(|prefix| key.starts_with(prefix))
}

impl KnownKeys {
    /// Every covered key the tree holds, of which there are about `expected` (a guess that
    /// sizes the filter's first layer).
    pub fn load(tree: &sled::Tree, expected: usize) -> StoreResult<KnownKeys> {
        let mut known = KnownKeys {
            filter: GrowableBloom::new(FALSE_POSITIVES, expected.max(FIRST_LAYER)),
        };
        for prefix in COVERED {
            for key in tree.scan_prefix(prefix).keys() {
                known.filter.insert(&key?[..]);
            }
        }
        Ok(known)
    }

    /// Whether `key` is one the filter covers and surely was never written.
    pub fn never_written(&self, key: &[u8]) -> bool {
        covered(key) && !self.filter.contains(key)
    }

    /// Notes a key that is being written (any key; only covered ones are kept).
    pub fn add(&mut self, key: &[u8]) {
        if covered(key) {
            self.filter.insert(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{key, key_str};

    #[test]
    fn answers_no_only_for_covered_keys_never_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tree = sled::open(dir.path()).expect("open sled");
        let stored = key_str(keys::DEDUPE, &[1, 2], "stored-before");
        tree.insert(&stored, b"{}".as_slice()).expect("insert");
        let mut known = KnownKeys::load(&tree, 1).expect("load");
        let written = key_str(keys::IDENTITY, &[1], "email\0ana@example.com");
        known.add(&written);

        assert!(!known.never_written(&stored), "a key in the tree at open");
        assert!(!known.never_written(&written), "a key written since");
        assert!(known.never_written(&key_str(keys::DEDUPE, &[1, 2], "new")));
        let conversation = key(keys::CONVERSATION, &[1, 7]);
        assert!(
            !known.never_written(&conversation),
            "not covered: sled answers"
        );
        known.add(&conversation);
        assert!(!known.never_written(&conversation));
    }

    #[test]
    fn keeps_every_key_as_it_grows_past_its_first_layer() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tree = sled::open(dir.path()).expect("open sled");
        let mut known = KnownKeys::load(&tree, 1).expect("load");
        let keys: Vec<Vec<u8>> = (0..3 * FIRST_LAYER)
            .map(|n| key_str(keys::DEDUPE, &[1, 2], &format!("message-{n}")))
            .collect();
        for key in &keys {
            known.add(key);
        }
        assert!(keys.iter().all(|key| !known.never_written(key)));
        let never = (0..10_000)
            .filter(|n| known.never_written(&key_str(keys::DEDUPE, &[1, 2], &format!("other-{n}"))))
            .count();
        assert!(
            never > 9_000,
            "only {never} of 10,000 new keys were known to be new"
        );
    }
}
