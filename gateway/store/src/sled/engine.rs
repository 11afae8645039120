//! The storage engine beneath the domain steps: the write-ahead log, the event journal, the
//! group-commit writer and its transactions, the builder's memory of recent values, and the
//! disk reserve. It knows keys and bytes, not conversations; the steps in `sled/` use it.

pub mod disk_room;
pub mod journal;
pub mod known_keys;
pub mod recent;
pub mod txn;
pub mod wal;
pub mod writer;
