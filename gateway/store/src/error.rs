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
}

impl From<::sled::Error> for StoreError {
    fn from(error: ::sled::Error) -> Self {
        StoreError::Backend(error.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> Self {
        StoreError::Backend(format!("corrupt record: {error}"))
    }
}
