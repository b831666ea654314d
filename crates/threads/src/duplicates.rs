//! Closing a question as a duplicate of another, reopening it, and the questions linked to an
//! original.

use diesel::prelude::*;
use stoa_db::schema::threads;
use stoa_db::{DbConn, ThreadId, UserId, time::now};

use crate::Error;

/// A question closed as a duplicate of another, as listed under the original.
#[derive(Debug, Clone, Queryable)]
pub struct LinkedThread {
    pub id: ThreadId,
    pub title: String,
    pub slug: String,
}

/// Reads which question someone means: its id, its path (`/q/12/slug`) or its full address.
pub fn parse_reference(input: &str) -> Option<ThreadId> {
    let input = input.trim();
    let id = match input.find("/q/") {
        Some(at) => input[at + 3..].split(['/', '?', '#']).next()?,
        None => input,
    };
    id.parse().ok().filter(|id: &i64| *id > 0).map(ThreadId)
}

/// Closes `thread` as a duplicate of `original`. Call inside a write transaction.
pub fn close(
    conn: &mut DbConn,
    thread: ThreadId,
    original: ThreadId,
    by: UserId,
) -> Result<(), Error> {
    if thread == original {
        return Err(Error::InvalidDuplicate(
            "A question cannot be a duplicate of itself.".into(),
        ));
    }
    let target: Option<Option<ThreadId>> = threads::table
        .find(original)
        .filter(threads::deleted_at.is_null())
        .select(threads::duplicate_of)
        .first(conn)
        .optional()?;
    match target {
        None => {
            return Err(Error::InvalidDuplicate(
                "There is no such question to point to.".into(),
            ));
        }
        Some(Some(_)) => {
            return Err(Error::InvalidDuplicate(
                "That question is itself closed as a duplicate: point to its original instead."
                    .into(),
            ));
        }
        Some(None) => {}
    }
    let closed = diesel::update(
        threads::table
            .find(thread)
            .filter(threads::deleted_at.is_null()),
    )
    .set((
        threads::closed_at.eq(now()),
        threads::closed_by.eq(by),
        threads::duplicate_of.eq(original),
    ))
    .execute(conn)?;
    if closed == 0 {
        Err(Error::ThreadNotFound)
    } else {
        Ok(())
    }
}

/// Reopens `thread`. Call inside a write transaction.
pub fn reopen(conn: &mut DbConn, thread: ThreadId) -> Result<(), Error> {
    diesel::update(threads::table.find(thread))
        .set((
            threads::closed_at.eq(None::<time::PrimitiveDateTime>),
            threads::closed_by.eq(None::<UserId>),
            threads::duplicate_of.eq(None::<ThreadId>),
        ))
        .execute(conn)?;
    Ok(())
}

/// The latest `limit` questions closed as duplicates of `original`.
pub fn linked(
    conn: &mut DbConn,
    original: ThreadId,
    limit: i64,
) -> Result<Vec<LinkedThread>, Error> {
    Ok(threads::table
        .filter(threads::duplicate_of.eq(original))
        .filter(threads::deleted_at.is_null())
        .order((threads::created_at.desc(), threads::id.desc()))
        .limit(limit)
        .select((threads::id, threads::title, threads::slug))
        .load(conn)?)
}

/// The question `thread` duplicates, if it is closed as a duplicate.
pub fn original_of(conn: &mut DbConn, thread: ThreadId) -> Result<Option<LinkedThread>, Error> {
    let Some(original) = threads::table
        .find(thread)
        .select(threads::duplicate_of)
        .first::<Option<ThreadId>>(conn)?
    else {
        return Ok(None);
    };
    Ok(threads::table
        .find(original)
        .filter(threads::deleted_at.is_null())
        .select((threads::id, threads::title, threads::slug))
        .first(conn)
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_ids_paths_or_addresses() {
        assert_eq!(parse_reference("42"), Some(ThreadId(42)));
        assert_eq!(parse_reference("/q/42/some-slug"), Some(ThreadId(42)));
        assert_eq!(
            parse_reference("https://help.example.com/q/42/x?sort=votes#post-3"),
            Some(ThreadId(42))
        );
        assert_eq!(
            parse_reference("https://help.example.com/q/42"),
            Some(ThreadId(42))
        );
        for bad in ["", "abc", "/q/", "-3", "/q/x/y"] {
            assert_eq!(parse_reference(bad), None, "{bad}");
        }
    }
}
