//! The one error of the gateway's services: what went wrong, where the fault lies, and so
//! whether trying again may help. The API maps it to an HTTP answer; the outbox and ingest
//! decide retries and dead letters from [`Fault::retryable`], never from a status code.

use switchboard_store::StoreError;

/// Where a fault lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// What was given names something wrong (a setting, a payload, a request).
    Invalid,
    /// What was asked for does not exist (or is another workspace's).
    NotFound,
    /// It clashes with what is stored now.
    Conflict,
    /// It is larger than allowed.
    TooLarge,
    /// A limit was reached; the same request passes later.
    Limited,
    /// The gateway cannot take the work right now; the sender should try again.
    Busy,
    /// A provider (a mail server, an authorization server) failed or refused.
    Provider,
    /// The gateway's disk has no room.
    Full,
    /// The workspace is suspended by the installation's operator.
    Suspended,
    /// The workspace has as many of something as the operator lets it have.
    QuotaReached,
    /// A fault of the gateway's own.
    Internal,
}

/// A service's failure, with a stable `code` and a message that names the problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    pub code: &'static str,
    pub message: String,
    /// Seconds after which the same work may succeed.
    pub retry_after: Option<u32>,
    /// A provider's own words, when it refused.
    pub reason: Option<String>,
    /// The setting or field at fault, by name.
    pub field: Option<String>,
    /// The entry of that setting at fault, as written, when it holds several (boxed, as it is
    /// rare, to keep a fault small enough to return by value).
    pub value: Option<Box<str>>,
}

pub type ServiceResult<T> = Result<T, Fault>;

impl Fault {
    pub fn new(kind: FaultKind, code: &'static str, message: impl Into<String>) -> Fault {
        Fault {
            kind,
            code,
            message: message.into(),
            retry_after: None,
            reason: None,
            field: None,
            value: None,
        }
    }

    /// The same fault, carrying a provider's own words.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Fault {
        self.reason = Some(reason.into());
        self
    }

    /// The same fault, naming the setting or field at fault.
    pub fn on_field(mut self, field: impl Into<String>) -> Fault {
        self.field = Some(field.into());
        self
    }

    /// The same fault, naming the entry at fault of a setting that holds several.
    pub fn on_value(mut self, value: impl Into<Box<str>>) -> Fault {
        self.value = Some(value.into());
        self
    }

    /// The same fault, saying when to try again.
    pub fn retry_after(mut self, seconds: u64) -> Fault {
        // Seconds in a `u32` (136 years) keep the error small enough to return by value.
        self.retry_after = Some(u32::try_from(seconds.max(1)).unwrap_or(u32::MAX));
        self
    }

    pub fn internal(message: impl Into<String>) -> Fault {
        Fault::new(FaultKind::Internal, "internal", message)
    }

    /// Whether the same work may succeed later; when it may not, the fault lies in what was
    /// given, and retrying it unchanged fails again.
    pub fn retryable(&self) -> bool {
        match self.kind {
            FaultKind::Invalid
            | FaultKind::NotFound
            | FaultKind::Conflict
            | FaultKind::TooLarge
            | FaultKind::QuotaReached => false,
            FaultKind::Limited
            | FaultKind::Busy
            | FaultKind::Provider
            | FaultKind::Full
            | FaultKind::Suspended
            | FaultKind::Internal => true,
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Fault {}

impl From<StoreError> for Fault {
    fn from(error: StoreError) -> Self {
        let message = error.to_string();
        match error {
            StoreError::NotFound { .. } => Fault::new(FaultKind::NotFound, "not_found", message),
            StoreError::Conflict(_) => Fault::new(FaultKind::Conflict, "conflict", message),
            StoreError::Invalid(_) => Fault::new(FaultKind::Invalid, "invalid", message),
            StoreError::TooLarge { .. } => Fault::new(FaultKind::TooLarge, "too_large", message),
            StoreError::OverQuota { retry_after_ms, .. } => {
                Fault::new(FaultKind::Limited, "over_quota", message)
                    .retry_after(u64::try_from(retry_after_ms).map_or(1, |ms| ms.div_ceil(1000)))
            }
            StoreError::Full(_) => {
                tracing::warn!(%message, "a write was refused: the disk has no room");
                Fault::new(
                    FaultKind::Full,
                    "insufficient_storage",
                    "the gateway's disk is full; nothing was stored, try again later",
                )
                .retry_after(60)
            }
            StoreError::Backend(_) => Fault::internal(message),
        }
    }
}
