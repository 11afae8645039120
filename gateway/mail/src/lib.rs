//! The gateway's email sockets. The email adapter plugin parses and builds messages; this crate
//! moves them: it syncs a mailbox over IMAP by UID ([`imap`]), sends replies through the
//! channel's SMTP server ([`smtp`]), takes mail forwarded to a channel's receiving address with
//! its own SMTP listener ([`listener`]), and checks a mailbox's settings step by step
//! ([`probe`]). Every failure names the step that failed ([`MailError`]).

pub mod account;
mod connect;
mod error;
pub mod imap;
pub mod listener;
pub mod probe;
pub mod smtp;

pub use account::{Account, Auth, Provider, Security, Server};
pub use connect::Trust;
pub use error::{MailError, Step};
