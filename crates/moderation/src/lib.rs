//! Stoa moderation: the permission policy (the one place that answers "may this person do
//! this?"; every handler asks [`policy::decide`]), flags and the review queue, what
//! moderators do to threads and accounts, the audit log that records all of it, and the rate
//! limits bots run into.

pub mod audit;
pub mod community;
mod error;
pub mod flags;
pub mod limits;
pub mod policy;
pub mod posting;
pub mod review;
pub mod secrets;
pub mod signup;
pub mod standing;
pub mod thread_actions;
pub mod trust;

pub use error::{Error, Reason};
