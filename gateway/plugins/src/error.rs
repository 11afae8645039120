//! Why a plugin could not be loaded or a call failed. Every variant names what happened in
//! words an admin can act on; the gateway keeps the payload of a failed inbound call as a dead
//! letter.

use thiserror::Error;

#[derive(Debug, Clone, Error, PartialEq)]
pub enum PluginError {
    /// The file or its manifest cannot be used; nothing was installed.
    #[error("the plugin cannot be loaded: {0}")]
    Invalid(String),
    /// The plugin ran longer than its time budget and was stopped.
    #[error("the plugin ran past its time budget of {budget_ms} ms and was stopped")]
    Timeout { budget_ms: u32 },
    /// The plugin wanted more memory than its budget.
    #[error("the plugin wanted more than its memory budget of {budget_mib} MiB and was stopped")]
    OutOfMemory { budget_mib: u32 },
    /// The plugin's result was larger than its budget.
    #[error("the plugin returned {size_kib} KiB, over its output budget of {budget_kib} KiB")]
    OutputTooLarge { size_kib: u64, budget_kib: u32 },
    /// The plugin crashed (a panic, an invalid memory access...).
    #[error("the plugin crashed: {0}")]
    Trap(String),
    /// The plugin used a capability it was not granted.
    #[error("the plugin was refused a capability: {0}")]
    Denied(String),
    /// The payload is not what this channel sends.
    #[error("the payload is malformed: {0}")]
    Malformed(String),
    /// The payload is valid but the plugin does not handle it.
    #[error("the plugin does not handle this: {0}")]
    Unsupported(String),
    /// The channel's provider refused.
    #[error("the provider refused: {0}")]
    Provider(String),
    /// The plugin reported a bug of its own.
    #[error("the plugin failed: {0}")]
    Internal(String),
    /// The request did not come from the provider (a wrong signature, a replay).
    #[error("the request was refused as forged: {0}")]
    Forged(String),
    /// The host could not run the plugin (no instance slot, a thread failed).
    #[error("the plugin host could not run the call: {0}")]
    Host(String),
}
