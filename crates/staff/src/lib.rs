//! For the business's people: business hours, the queue of threads that wait for a reply
//! from the team, assignments, and (in `insights`) how fast customers get help.

pub mod hours;
pub mod insights;
pub mod queue;

/// Why a staff action was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A form field's value was refused; the text says how to fix it.
    #[error("{0}")]
    Invalid(String),
    #[error("That question does not exist.")]
    ThreadNotFound,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}
