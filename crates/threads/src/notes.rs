//! Internal notes: what staff, moderators and the owner tell each other about a thread. They
//! live in their own table, which no public reader (pages, search, the API, notifications)
//! touches, so they cannot leak by one query forgetting a filter. Who may read or write them
//! is the policy's `StaffNotes`; the caller checks it.

use diesel::prelude::*;
use stoa_db::schema::{staff_notes, threads, users};
use stoa_db::{DbConn, ThreadId, UserId, time::now};
use time::PrimitiveDateTime;

use crate::{Body, Error, IdempotencyKey, markdown};

/// A note as the thread page shows it to staff.
#[derive(Debug, Clone, Queryable)]
pub struct NoteView {
    pub id: i64,
    pub body_html: String,
    pub created_at: PrimitiveDateTime,
    pub author: String,
}

/// The thread's notes, oldest first, at most `limit` (the newest ones when there are more).
pub fn for_thread(conn: &mut DbConn, thread: ThreadId, limit: i64) -> Result<Vec<NoteView>, Error> {
    let mut notes: Vec<NoteView> = staff_notes::table
        .inner_join(users::table)
        .filter(staff_notes::thread_id.eq(thread))
        .select((
            staff_notes::id,
            staff_notes::body_html,
            staff_notes::created_at,
            users::display_name,
        ))
        .order(staff_notes::id.desc())
        .limit(limit)
        .load(conn)?;
    notes.reverse();
    Ok(notes)
}

/// Adds a note to `thread`; a repeated form submission adds nothing. Call inside a write
/// transaction.
pub fn add(
    conn: &mut DbConn,
    thread: ThreadId,
    author: UserId,
    body: &Body,
    key: Option<&IdempotencyKey>,
) -> Result<(), Error> {
    let exists: bool = diesel::select(diesel::dsl::exists(
        threads::table
            .find(thread)
            .filter(threads::deleted_at.is_null()),
    ))
    .get_result(conn)?;
    if !exists {
        return Err(Error::ThreadNotFound);
    }
    let write = |conn: &mut DbConn| {
        diesel::insert_into(staff_notes::table)
            .values((
                staff_notes::thread_id.eq(thread),
                staff_notes::author_id.eq(author),
                staff_notes::body_source.eq(body.as_str()),
                staff_notes::body_html.eq(markdown::render(body.as_str())),
                staff_notes::idempotency_key.eq(key.map(IdempotencyKey::as_str)),
                staff_notes::created_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(())
    };
    crate::once_per_key(conn, key.is_some(), write, |_| Ok(Some(())))
}
