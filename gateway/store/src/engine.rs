//! The storage engines beneath the domain steps (`crate::domain`). What both share: the
//! transaction a step runs against ([`txn::Txn`], reading through [`txn::Below`]) and the
//! writer's front ([`writer::Writer`]). The embedded engine on sled: the write-ahead log, the
//! event journal, the group-commit builder and committer, the builder's memory of recent
//! values, and the disk reserve. [`postgres`]: the same steps on a database several nodes
//! share. [`blobs`]: where files' bytes live, apart from either engine's records. Engines know
//! keys and bytes, not conversations.

pub mod blobs;
pub mod disk_room;
pub mod journal;
pub mod known_keys;
pub mod postgres;
pub mod recent;
pub mod txn;
pub mod wal;
pub mod writer;
