//! The gateway's work behind its HTTP edge: taking in what channels send (ingest, through each
//! channel's plugin), delivering agents' replies (the outbox), the email channel's workers
//! (IMAP sync, forwarded mail, continuation of chats by email, transcripts, OAuth), website chat
//! sessions and visitors' live feeds, the installed plugins, the fetch client plugins call
//! through, sealed channel secrets, rate limits, outgoing webhooks and the audit log.
//!
//! Everything here fails with one [`Fault`], which says where the fault lies and whether a retry
//! may help; `switchboard-api` maps it to HTTP. This crate never imports the API.

pub mod audit;
pub mod backoff;
pub mod connection;
pub mod contact_files;
pub mod contact_signals;
pub mod email;
mod error;
pub mod export;
pub mod fetch;
pub mod inbound_rules;
pub mod ingest;
pub mod invitations;
pub mod language;
pub mod media;
pub mod origin;
pub mod outbox;
pub mod password_reset;
pub mod plugins;
pub mod quotas;
pub mod reachability;
pub mod routing;
pub mod secrets;
pub mod settings;
pub mod signals;
pub mod signup;
pub mod status;
pub mod system_mail;
pub mod templates;
pub mod throttle;
pub mod ticks;
pub mod webhooks;
pub mod widget;
pub mod workspaces;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use switchboard_store::{EventBus, Store};

pub use email::MailService;
pub use error::{Fault, FaultKind, ServiceResult};
pub use fetch::{FetchPolicy, HttpFetcher};
pub use outbox::QueuedReplies;
pub use plugins::Plugins;
pub use secrets::SecretBox;
pub use widget::Widgets;

/// A day in milliseconds.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// What the services need from the gateway's configuration.
#[derive(Debug, Clone)]
pub struct ServicesConfig {
    /// Largest attachment accepted, in bytes.
    pub max_attachment_bytes: usize,
    /// How many dead letters each channel keeps.
    pub dead_letters: switchboard_store::DeadLetterLimits,
    /// How much visitors may upload.
    pub uploads: UploadLimits,
    /// The address people reach the gateway at, for links in emails.
    pub public_url: String,
    /// The first retry of a reply whose provider failed, or of a webhook delivery, waits
    /// this long; each further one twice as long.
    pub first_retry: std::time::Duration,
    /// The watched plugin folder (`<folder>/<workspace id>/`), if the gateway watches one.
    pub plugins_folder: Option<std::path::PathBuf>,
    /// Whether people may sign up for a workspace themselves.
    pub signup: signup::SignupSettings,
    /// The installation's own mail, if the operator set it.
    pub system_mail: Option<system_mail::SystemMail>,
}

impl Default for ServicesConfig {
    fn default() -> Self {
        ServicesConfig {
            max_attachment_bytes: 25 * 1024 * 1024,
            dead_letters: switchboard_store::DeadLetterLimits::default(),
            uploads: UploadLimits::default(),
            public_url: "http://127.0.0.1:8080".into(),
            first_retry: std::time::Duration::from_secs(30),
            plugins_folder: None,
            signup: signup::SignupSettings::default(),
            system_mail: None,
        }
    }
}

/// Daily quotas on visitors' uploads, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    pub visitor_bytes_per_day: u64,
    /// For all visitors of one workspace together.
    pub workspace_bytes_per_day: u64,
}

impl Default for UploadLimits {
    fn default() -> Self {
        UploadLimits {
            visitor_bytes_per_day: 50 << 20,
            workspace_bytes_per_day: 1 << 30,
        }
    }
}

/// The services of one gateway node, shared by its routes and its background workers.
pub struct Services {
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn EventBus>,
    pub config: ServicesConfig,
    pub plugins: Arc<Plugins>,
    /// Seals and opens channel secrets.
    pub secrets: Arc<SecretBox>,
    /// Email transports' shared state: trusted CAs, forwarding domain, mailbox health.
    pub mail: Arc<MailService>,
    /// The chat widgets' rate limits and typing signals.
    pub widgets: Arc<Widgets>,
    /// Where a reply was just queued, so that this node's delivery worker sends it at once
    /// instead of at its next full round.
    pub replies_queued: Arc<QueuedReplies>,
    /// When agents' typing was last shown on each conversation's channel.
    pub signals: Arc<signals::Signals>,
    /// Full-text search over conversations, kept up with the store by its indexer.
    pub search: Arc<switchboard_search::SearchIndex>,
    /// Which reached quotas this node told workspaces' admins about today.
    pub quotas_told: Arc<quotas::Told>,
}

/// Locks `mutex`. A panic elsewhere while it was held leaves data that is still whole here
/// (every critical section keeps it consistent), so poisoning is ignored.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
