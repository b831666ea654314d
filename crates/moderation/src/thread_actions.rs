//! What moderators do to a thread: lock and unlock, close for a reason and reopen, pin and
//! unpin in its category, move to another category. Each changes the row only when it is not
//! already in that state (a double click acts once) and is logged in the same transaction.

use diesel::prelude::*;
use stoa_db::schema::{categories, threads};
use stoa_db::{CategoryId, DbConn, ThreadId, UserId, time::now};
use time::PrimitiveDateTime;

use crate::audit::{self, AuditAction};
use crate::{Error, Reason};

/// One thread action, as the thread page's moderation form names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThreadAction {
    Lock(Reason),
    Unlock,
    Close(Reason),
    Reopen,
    Pin,
    Unpin,
    Move(CategoryId),
}

impl ThreadAction {
    /// Reads the form: `action`, with `reason` for lock and close and `category` for move.
    pub fn parse(action: &str, reason: &str, category: &str) -> Result<ThreadAction, Error> {
        Ok(match action {
            "lock" => ThreadAction::Lock(Reason::parse(reason)?),
            "unlock" => ThreadAction::Unlock,
            "close" => ThreadAction::Close(Reason::parse(reason)?),
            "reopen" => ThreadAction::Reopen,
            "pin" => ThreadAction::Pin,
            "unpin" => ThreadAction::Unpin,
            "move" => ThreadAction::Move(
                category
                    .parse()
                    .map(CategoryId)
                    .map_err(|_| Error::Invalid("Choose the category to move it to.".into()))?,
            ),
            _ => return Err(Error::Invalid("Choose what to do with the thread.".into())),
        })
    }
}

/// Applies `action` to `thread`. Returns whether anything changed. Call inside a write
/// transaction.
pub fn apply(
    conn: &mut DbConn,
    by: UserId,
    thread: ThreadId,
    action: &ThreadAction,
) -> Result<bool, Error> {
    let live: i64 = threads::table
        .find(thread)
        .filter(threads::deleted_at.is_null())
        .count()
        .get_result(conn)?;
    if live == 0 {
        return Err(stoa_threads::Error::ThreadNotFound.into());
    }
    let at = now();
    let none = None::<PrimitiveDateTime>;
    let row = threads::table.find(thread);
    let (changed, logged, reason) = match action {
        ThreadAction::Lock(reason) => (
            diesel::update(row.filter(threads::locked_at.is_null()))
                .set(threads::locked_at.eq(at))
                .execute(conn)?,
            AuditAction::LockThread,
            reason.as_str().to_owned(),
        ),
        ThreadAction::Unlock => (
            diesel::update(row.filter(threads::locked_at.is_not_null()))
                .set(threads::locked_at.eq(none))
                .execute(conn)?,
            AuditAction::UnlockThread,
            String::new(),
        ),
        ThreadAction::Close(reason) => (
            diesel::update(row.filter(threads::closed_at.is_null()))
                .set((
                    threads::closed_at.eq(at),
                    threads::closed_by.eq(by),
                    threads::close_reason.eq(reason.as_str()),
                ))
                .execute(conn)?,
            AuditAction::CloseThread,
            reason.as_str().to_owned(),
        ),
        ThreadAction::Reopen => (
            diesel::update(row.filter(threads::closed_at.is_not_null()))
                .set((
                    threads::closed_at.eq(none),
                    threads::closed_by.eq(None::<UserId>),
                    threads::close_reason.eq(None::<String>),
                    threads::duplicate_of.eq(None::<ThreadId>),
                ))
                .execute(conn)?,
            AuditAction::ReopenThread,
            String::new(),
        ),
        ThreadAction::Pin => (
            diesel::update(row.filter(threads::pinned_at.is_null()))
                .set(threads::pinned_at.eq(at))
                .execute(conn)?,
            AuditAction::PinThread,
            String::new(),
        ),
        ThreadAction::Unpin => (
            diesel::update(row.filter(threads::pinned_at.is_not_null()))
                .set(threads::pinned_at.eq(none))
                .execute(conn)?,
            AuditAction::UnpinThread,
            String::new(),
        ),
        ThreadAction::Move(category) => {
            let name: String = categories::table
                .find(*category)
                .select(categories::name)
                .first(conn)
                .optional()?
                .ok_or_else(|| Error::Invalid("That category does not exist.".into()))?;
            let moved = diesel::update(row.filter(threads::category_id.ne(*category)))
                .set(threads::category_id.eq(*category))
                .execute(conn)?;
            if moved == 1 {
                // Searches filter by category: an external engine must hear of it.
                stoa_search::sync::thread_facts_changed(conn, thread)?;
            }
            (moved, AuditAction::MoveThread, format!("to {name}"))
        }
    };
    if changed == 1 {
        audit::record_for_thread(conn, by, logged, thread, &reason)?;
    }
    Ok(changed == 1)
}
