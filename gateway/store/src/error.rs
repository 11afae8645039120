//! The one error type of the storage seam.

use thiserror::Error;

pub type StoreResult<T> = Result<T, StoreError>;

/// Why a storage step failed. The API layer maps each variant to an HTTP status.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum StoreError {
    /// The record does not exist in this workspace (it may exist in another one).
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    /// The step contradicts what is stored, e.g. an email address already in use.
    #[error("{0}")]
    Conflict(String),
    /// The step itself makes no sense, e.g. merging a contact into itself.
    #[error("{0}")]
    Invalid(String),
    /// A value is larger than its limit.
    #[error("{what} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        what: &'static str,
        size: u64,
        limit: u64,
    },
    /// A quota is used up for now; `retry_after_ms` tells when it renews.
    #[error("{message}")]
    OverQuota {
        message: String,
        retry_after_ms: i64,
    },
    /// The disk has no room for the step, or less than the reserve the store keeps free; the
    /// step did not happen and may be tried again once there is room.
    #[error("{0}")]
    Full(String),
    /// The disk or the database failed; the step did not happen.
    #[error("storage failure: {0}")]
    Backend(String),
}

impl StoreError {
    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        StoreError::NotFound {
            what,
            id: id.to_string(),
        }
    }

    /// The error for an I/O `error` while trying to `what` the file at `path`: [`StoreError::Full`]
    /// when the disk (or a limit on file sizes) had no room.
    pub fn io(what: &str, path: &std::path::Path, error: &std::io::Error) -> StoreError {
        let message = format!("cannot {what} {}: {error}", path.display());
        if no_room(error) {
            StoreError::Full(message)
        } else {
            StoreError::Backend(message)
        }
    }
}

/// Whether an I/O error says that the disk, a quota or the file size limit left no room.
fn no_room(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::StorageFull | ErrorKind::FileTooLarge | ErrorKind::QuotaExceeded
    )
}

impl From<::sled::Error> for StoreError {
    fn from(error: ::sled::Error) -> Self {
        match &error {
            ::sled::Error::Io(io) if no_room(io) => StoreError::Full(error.to_string()),
            _ => StoreError::Backend(error.to_string()),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> Self {
        StoreError::Backend(format!("corrupt record: {error}"))
    }
}
