//! What a node's writer remembers of the records it read and wrote, so that a group reads the
//! database only for what it has not met yet. It is good for as long as the last group
//! committed is this writer's own: each group leaves a token of its writer under
//! [`keys::META_LAST_GROUP`], and a writer that finds another token there once it holds the
//! writers' lock forgets everything (another node wrote in between). With one node, or one
//! node doing most writes, the hot records (a conversation, its contact, the channel) are read
//! once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use crate::engine::txn::{Overlay, Value};
use crate::keys;

/// How many records are remembered before the writer starts over.
const REMEMBERED: usize = 200_000;
/// Larger values (files) are read from the database each time rather than kept.
const LARGEST_REMEMBERED: usize = 64 * 1024;

pub struct Remembered {
    /// This writer's own part of every token, random for each start.
    writer: u64,
    groups: u64,
    /// The token of the last group this writer committed, while its memory holds.
    last: Option<Vec<u8>>,
    /// Values by key; `None` for a key known to hold nothing.
    values: RefCell<HashMap<Vec<u8>, Option<Arc<Value>>>>,
}

impl Remembered {
    pub fn new() -> Remembered {
        let writer = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos() as u64)
            ^ u64::from(std::process::id()).rotate_left(32);
        Remembered {
            writer,
            groups: 0,
            last: None,
            values: RefCell::default(),
        }
    }

    /// Keeps what is remembered only if `found`, the token of the last group committed, is
    /// this writer's last one.
    pub fn check(&mut self, found: Option<&[u8]>) {
        if found.is_none() || found != self.last.as_deref() {
            self.forget();
        }
    }

    /// The token the next group leaves.
    pub fn next_token(&mut self) -> Vec<u8> {
        self.groups += 1;
        format!("{:016x}.{}", self.writer, self.groups).into_bytes()
    }

    /// What is remembered of `key`: `Some(None)` when it holds nothing.
    pub fn lookup(&self, key: &[u8]) -> Option<Option<Arc<Value>>> {
        self.values.borrow().get(key).cloned()
    }

    pub fn remember(&self, key: &[u8], value: Option<Arc<Value>>) {
        let mut values = self.values.borrow_mut();
        if value
            .as_ref()
            .is_some_and(|value| value.bytes.len() > LARGEST_REMEMBERED)
        {
            values.remove(key);
            return;
        }
        if values.len() >= REMEMBERED {
            values.clear();
        }
        values.insert(key.to_vec(), value);
    }

    /// The group that left `token` committed `writes`.
    pub fn committed(&mut self, token: Vec<u8>, writes: &Overlay) {
        for (key, value) in writes {
            if !key.starts_with(keys::EVENT) {
                self.remember(key, value.clone());
            }
        }
        self.last = Some(token);
    }

    /// Forgets everything: another node wrote, or this writer's group failed.
    pub fn forget(&mut self) {
        self.values.get_mut().clear();
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(bytes: usize) -> Option<Arc<Value>> {
        Some(Arc::new(Value::new(vec![b'x'; bytes])))
    }

    /// Records are kept; a file is not, and writing one over a kept value drops that value.
    #[test]
    fn a_large_value_is_not_kept_and_drops_what_was_kept_of_its_key() {
        let remembered = Remembered::new();
        remembered.remember(b"cv1", value(900));
        assert!(remembered.lookup(b"cv1").is_some());
        remembered.remember(b"cv1", value(LARGEST_REMEMBERED + 1));
        assert!(
            remembered.lookup(b"cv1").is_none(),
            "read from the database again"
        );
        remembered.remember(b"cv2", None);
        assert_eq!(
            remembered.lookup(b"cv2").map(|kept| kept.is_none()),
            Some(true)
        );
    }

    /// What is remembered holds only while the last group was this writer's own.
    #[test]
    fn another_writers_group_makes_it_forget() {
        let mut remembered = Remembered::new();
        let token = remembered.next_token();
        remembered.committed(token.clone(), &Overlay::new());
        remembered.remember(b"cv1", value(10));
        remembered.check(Some(&token));
        assert!(
            remembered.lookup(b"cv1").is_some(),
            "its own group was last"
        );
        remembered.check(Some(b"0123456789abcdef.7"));
        assert!(remembered.lookup(b"cv1").is_none(), "another node wrote");
    }
}
