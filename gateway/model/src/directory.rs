//! Who and what a workspace is made of: the workspace itself, its agents and teams, its channels,
//! its canned responses, its catalogue of labels and the people it invited.

mod agent;
mod canned_response;
mod channel;
mod invitation;
mod label;
mod profile;
mod team;
mod workspace;

pub use agent::*;
pub use canned_response::*;
pub use channel::*;
pub use invitation::*;
pub use label::*;
pub use profile::*;
pub use team::*;
pub use workspace::*;

pub(crate) fn yes() -> bool {
    true
}
