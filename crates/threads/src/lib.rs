//! Stoa threads: categories, questions and their answers, and the Markdown renderer that turns
//! a post into safe HTML once, when it is written.
//!
//! Functions take a `&mut DbConn`; a caller that writes wraps them in
//! `stoa_db::dialect::write_transaction` (from async code, `Db::write`).

pub mod categories;
pub mod comments;
pub mod deletion;
pub mod duplicates;
mod error;
mod input;
pub mod markdown;
pub mod notes;
pub mod posts;
pub mod profiles;
pub mod revisions;
pub mod tags;
pub mod views;
pub mod votes;

pub use error::Error;
pub use input::{Body, IdempotencyKey, Title};

/// Runs `write` for a form submission that carries an idempotency key. If a concurrent
/// submission of the same form committed first (on PostgreSQL both can pass a "was it sent
/// before?" check), the unique index on the key refuses this one: undo it (see
/// [`stoa_db::dialect::racing_writers`]) and return what the first one wrote, found by
/// `earlier`.
pub(crate) fn once_per_key<T>(
    conn: &mut stoa_db::DbConn,
    keyed: bool,
    write: impl FnOnce(&mut stoa_db::DbConn) -> Result<T, Error>,
    earlier: impl FnOnce(&mut stoa_db::DbConn) -> Result<Option<T>, Error>,
) -> Result<T, Error> {
    match stoa_db::dialect::racing_writers(conn, write) {
        Err(Error::Db(e)) if keyed && e.is_unique_violation() => earlier(conn)?.ok_or(Error::Db(e)),
        other => other,
    }
}
