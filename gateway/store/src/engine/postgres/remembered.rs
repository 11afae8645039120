//! What a node's writer remembers of the records it read and wrote, so that a group reads the
//! database only for what it has not met yet. Groups are numbered under the writers' lock: each
//! leaves its number and writer under [`keys::META_LAST_GROUP`], and the keys it wrote in the
//! table `group_writes`, kept for a while. A writer that finds, once it holds the lock, that
//! other nodes' groups committed since the last one its memory saw forgets only the records
//! those groups wrote; one that cannot tell (their keys were pruned, its own group failed)
//! forgets everything. So with one node, or nodes writing mostly different conversations, the
//! hot records (a conversation, its contact, the channel) are read once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use crate::engine::txn::{Overlay, Value};
use crate::keys;

/// How many records are remembered before the writer starts over.
const REMEMBERED: usize = 200_000;
/// Larger values (files) are read from the database each time rather than kept.
const LARGEST_REMEMBERED: usize = 64 * 1024;

/// A group of writes: its number, and the writer that committed it (what
/// [`keys::META_LAST_GROUP`] holds, as `number:writer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupMark {
    pub number: u64,
    pub writer: u64,
}

impl GroupMark {
    /// Reads a mark; `None` for anything else (a store written before groups were numbered).
    pub fn parse(bytes: &[u8]) -> Option<GroupMark> {
        let (number, writer) = std::str::from_utf8(bytes).ok()?.split_once(':')?;
        Some(GroupMark {
            number: number.parse().ok()?,
            writer: u64::from_str_radix(writer, 16).ok()?,
        })
    }

    pub fn to_bytes(self) -> Vec<u8> {
        format!("{}:{:016x}", self.number, self.writer).into_bytes()
    }
}

/// What the memory lacks before a group may read through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lag {
    /// Nothing: it has seen every group committed.
    None,
    /// The keys written by the groups after `seen`, up to `last`, which other nodes committed.
    Groups { seen: u64, last: u64 },
}

pub struct Remembered {
    /// This writer's own id, random for each start.
    writer: u64,
    /// The last group whose writes this memory reflects (`None`: it reflects nothing).
    seen: Option<u64>,
    /// Whether the last group committed was this writer's own last one.
    follows_own: bool,
    /// Values by key; `None` for a key known to hold nothing.
    values: RefCell<HashMap<Vec<u8>, Option<Arc<Value>>>>,
}

impl Remembered {
    pub fn new() -> Remembered {
        Remembered {
            writer: rand::random(),
            seen: None,
            follows_own: false,
            values: RefCell::default(),
        }
    }

    /// Compares the memory with `last`, the mark of the last group committed, and `highest`,
    /// the highest group number in `group_writes` (both read under the lock): what it lacks.
    /// A mark that is missing, unreadable (a writer of an older release) or not the highest
    /// number means groups went by that the log does not tell: it forgets everything, and
    /// numbering goes on above the highest.
    pub fn lag(&mut self, last: Option<GroupMark>, highest: u64) -> Lag {
        let last = match last {
            Some(mark) if mark.number == highest => mark,
            _ => {
                self.values.get_mut().clear();
                self.seen = Some(highest);
                self.follows_own = false;
                return Lag::None;
            }
        };
        self.follows_own = last.writer == self.writer && self.seen == Some(last.number);
        match self.seen {
            Some(seen) if seen == last.number => Lag::None,
            Some(seen) if seen < last.number => Lag::Groups {
                seen,
                last: last.number,
            },
            _ => {
                self.values.get_mut().clear();
                self.seen = Some(last.number);
                Lag::None
            }
        }
    }

    /// Whether the last group committed, as [`Remembered::lag`] last found it, was this
    /// writer's own last one: then nothing else committed since.
    pub fn follows_own(&self) -> bool {
        self.follows_own
    }

    /// Forgets the keys `written` by the groups after `seen` up to `last` (each group's number
    /// with its keys, in order); everything when one of those groups is missing.
    pub fn forget_written(&mut self, seen: u64, last: u64, written: &[(u64, Vec<Vec<u8>>)]) {
        let complete = written
            .iter()
            .map(|(number, _)| *number)
            .eq(seen + 1..=last);
        let values = self.values.get_mut();
        if complete {
            for key in written.iter().flat_map(|(_, keys)| keys) {
                values.remove(key);
            }
        } else {
            values.clear();
        }
        self.seen = Some(last);
    }

    /// The last group whose writes the memory reflects.
    pub fn seen(&self) -> Option<u64> {
        self.seen
    }

    /// The mark of the next group, once the memory has seen the last one.
    pub fn next_group(&self) -> GroupMark {
        GroupMark {
            number: self.seen.unwrap_or(0) + 1,
            writer: self.writer,
        }
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

    /// The group `mark` committed `writes`.
    pub fn committed(&mut self, mark: GroupMark, writes: &Overlay) {
        for (key, value) in writes {
            if !key.starts_with(keys::EVENT) {
                self.remember(key, value.clone());
            }
        }
        self.seen = Some(mark.number);
    }

    /// Forgets everything: this writer's group failed.
    pub fn forget(&mut self) {
        self.values.get_mut().clear();
        self.seen = None;
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

    /// Another node's groups make the writer forget what they wrote, and only that; when their
    /// keys are no longer all there, everything.
    #[test]
    fn another_writers_groups_make_it_forget_what_they_wrote() {
        let mut remembered = Remembered::new();
        assert_eq!(remembered.lag(None, 0), Lag::None, "a new database");
        let own = remembered.next_group();
        assert_eq!(own.number, 1);
        remembered.committed(own, &Overlay::new());
        remembered.remember(b"cv1", value(10));
        remembered.remember(b"cv2", value(10));
        assert_eq!(
            remembered.lag(Some(own), 1),
            Lag::None,
            "its own group was last"
        );
        assert!(remembered.follows_own());
        assert!(remembered.lookup(b"cv1").is_some());

        let others = GroupMark {
            number: 3,
            writer: 7,
        };
        let lag = remembered.lag(Some(others), 3);
        assert_eq!(lag, Lag::Groups { seen: 1, last: 3 });
        assert!(!remembered.follows_own());
        remembered.forget_written(1, 3, &[(2, vec![b"cv1".to_vec()]), (3, vec![])]);
        assert!(
            remembered.lookup(b"cv1").is_none(),
            "the other node wrote it"
        );
        assert!(remembered.lookup(b"cv2").is_some(), "nobody else wrote it");
        assert_eq!(remembered.next_group().number, 4);

        let later = GroupMark {
            number: 6,
            writer: 7,
        };
        assert_eq!(
            remembered.lag(Some(later), 6),
            Lag::Groups { seen: 3, last: 6 }
        );
        remembered.forget_written(3, 6, &[(5, vec![]), (6, vec![])]);
        assert!(
            remembered.lookup(b"cv2").is_none(),
            "group 4's keys are gone"
        );
        assert_eq!(
            GroupMark::parse(&later.to_bytes()),
            Some(later),
            "a mark reads back"
        );
    }

    /// A writer of an older release (a rolling upgrade) leaves a mark this one cannot read and
    /// logs no keys: the memory starts over and numbers go on above the highest logged, so a
    /// number is never given twice.
    #[test]
    fn an_unreadable_mark_makes_it_forget_everything_and_number_above_the_log() {
        let mut remembered = Remembered::new();
        assert_eq!(remembered.lag(None, 0), Lag::None);
        let own = remembered.next_group();
        remembered.committed(own, &Overlay::new());
        remembered.remember(b"cv1", value(10));
        let older = GroupMark::parse(b"0123456789abcdef.7");
        assert_eq!(older, None);
        assert_eq!(remembered.lag(older, own.number), Lag::None);
        assert!(
            remembered.lookup(b"cv1").is_none(),
            "the older writer may have written it"
        );
        assert!(!remembered.follows_own());
        assert_eq!(remembered.next_group().number, own.number + 1);
    }
}
