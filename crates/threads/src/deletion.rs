//! Soft delete and restore. A deleted answer is hidden from everyone but its author and
//! moderators; deleting a question deletes its whole thread. Counters (answers, tag
//! questions) count what readers see, so they move with every delete and restore, and only
//! when the row really changed (a double click deletes once).

use diesel::prelude::*;
use stoa_db::schema::{posts, tags, thread_tags, threads};
use stoa_db::{DbConn, PostId, ThreadId, UserId, time::now};
use time::PrimitiveDateTime;

use crate::Error;

/// What the policy needs to know about a post before deleting or restoring it.
#[derive(Debug, Clone, Copy)]
pub struct PostFacts {
    pub author: UserId,
    pub thread: ThreadId,
    pub is_question: bool,
    /// The post itself is deleted.
    pub deleted: bool,
    /// Its thread is deleted (for an answer: the question was).
    pub thread_deleted: bool,
    /// Who deleted it, if it is deleted.
    pub deleted_by: Option<UserId>,
    /// A question with an accepted or upvoted answer by someone else: its asker may not delete it.
    pub protected: bool,
}

impl PostFacts {
    /// Hidden from readers, by its own deletion or its thread's.
    pub fn hidden(&self) -> bool {
        self.deleted || self.thread_deleted
    }
}

/// Loads the facts about `post`.
pub fn facts(conn: &mut DbConn, post: PostId) -> Result<PostFacts, Error> {
    type Row = (
        UserId,
        ThreadId,
        bool,
        bool,
        bool,
        Option<UserId>,
        Option<PostId>,
    );
    let (author, thread, is_question, deleted, thread_deleted, deleted_by, accepted): Row =
        posts::table
            .inner_join(threads::table)
            .filter(posts::id.eq(post))
            .select((
                posts::author_id,
                posts::thread_id,
                posts::is_question,
                posts::deleted_at.is_not_null(),
                threads::deleted_at.is_not_null(),
                posts::deleted_by,
                threads::accepted_answer_id,
            ))
            .first(conn)
            .optional()?
            .ok_or(Error::PostNotFound)?;
    let protected = is_question && {
        let valued: i64 = posts::table
            .filter(posts::thread_id.eq(thread))
            .filter(posts::is_question.eq(false))
            .filter(posts::deleted_at.is_null())
            .filter(posts::author_id.ne(author))
            .filter(posts::score.gt(0).or(posts::id.nullable().eq(accepted)))
            .count()
            .get_result(conn)?;
        valued > 0
    };
    Ok(PostFacts {
        author,
        thread,
        is_question,
        deleted,
        thread_deleted,
        deleted_by,
        protected,
    })
}

/// Locks the thread row (a no-op update), so deletes, restores and edits of one thread take
/// turns on PostgreSQL as they do on SQLite.
pub(crate) fn lock_thread(conn: &mut DbConn, thread: ThreadId) -> Result<(), Error> {
    diesel::update(threads::table.find(thread))
        .set(threads::id.eq(threads::id))
        .execute(conn)?;
    Ok(())
}

/// Deletes `post` (a question: its whole thread). Returns whether anything changed. Call
/// inside a write transaction.
pub fn delete(conn: &mut DbConn, post: PostId, by: UserId) -> Result<bool, Error> {
    remove(conn, post, Some(by), None)
}

/// Hides `post` from readers while moderators decide, saying why (`by`: the moderator who
/// hid it, `None` when flags did). For readers it is deleted; its author sees the reason.
/// Returns whether anything changed. Call inside a write transaction.
pub fn hide(
    conn: &mut DbConn,
    post: PostId,
    by: Option<UserId>,
    reason: &str,
) -> Result<bool, Error> {
    remove(conn, post, by, Some(reason))
}

/// Turns a hidden post into a deleted one (a moderator's decision), or deletes a visible one.
pub fn delete_as_moderator(conn: &mut DbConn, post: PostId, by: UserId) -> Result<bool, Error> {
    let converted = diesel::update(
        posts::table
            .find(post)
            .filter(posts::deleted_at.is_not_null())
            .filter(posts::hidden_reason.is_not_null()),
    )
    .set((
        posts::hidden_reason.eq(None::<String>),
        posts::deleted_by.eq(by),
    ))
    .execute(conn)?;
    Ok(converted == 1 || delete(conn, post, by)?)
}

fn remove(
    conn: &mut DbConn,
    post: PostId,
    by: Option<UserId>,
    hidden_reason: Option<&str>,
) -> Result<bool, Error> {
    let thread = facts(conn, post)?.thread;
    lock_thread(conn, thread)?;
    let facts = facts(conn, post)?;
    let at = now();
    let changed = diesel::update(posts::table.find(post).filter(posts::deleted_at.is_null()))
        .set((
            posts::deleted_at.eq(at),
            posts::deleted_by.eq(by),
            posts::hidden_reason.eq(hidden_reason),
        ))
        .execute(conn)?
        == 1;
    if !changed || facts.thread_deleted {
        return Ok(changed);
    }
    if facts.is_question {
        diesel::update(threads::table.find(facts.thread))
            .set(threads::deleted_at.eq(at))
            .execute(conn)?;
        count_tags(conn, facts.thread, -1)?;
    } else {
        diesel::update(threads::table.find(facts.thread))
            .set(threads::answer_count.eq(threads::answer_count - 1))
            .execute(conn)?;
        // A deleted answer cannot stay the accepted one.
        diesel::update(
            threads::table
                .find(facts.thread)
                .filter(threads::accepted_answer_id.eq(post)),
        )
        .set(threads::accepted_answer_id.eq(None::<PostId>))
        .execute(conn)?;
    }
    if facts.is_question {
        stoa_search::sync::thread_changed(conn, facts.thread)?;
    } else {
        stoa_search::sync::post_changed(conn, facts.thread, post)?;
    }
    Ok(true)
}

/// Restores a deleted `post` (a question: its whole thread). An answer whose question is
/// deleted waits for the question. Call inside a write transaction.
pub fn restore(conn: &mut DbConn, post: PostId) -> Result<bool, Error> {
    let thread = facts(conn, post)?.thread;
    lock_thread(conn, thread)?;
    let facts = facts(conn, post)?;
    if !facts.is_question && facts.thread_deleted {
        return Err(Error::ThreadNotFound);
    }
    let changed = diesel::update(
        posts::table
            .find(post)
            .filter(posts::deleted_at.is_not_null()),
    )
    .set((
        posts::deleted_at.eq(None::<PrimitiveDateTime>),
        posts::deleted_by.eq(None::<UserId>),
        posts::hidden_reason.eq(None::<String>),
    ))
    .execute(conn)?
        == 1;
    if !changed {
        return Ok(false);
    }
    if facts.is_question {
        diesel::update(threads::table.find(facts.thread))
            .set(threads::deleted_at.eq(None::<PrimitiveDateTime>))
            .execute(conn)?;
        count_tags(conn, facts.thread, 1)?;
    } else {
        diesel::update(threads::table.find(facts.thread))
            .set(threads::answer_count.eq(threads::answer_count + 1))
            .execute(conn)?;
    }
    if facts.is_question {
        stoa_search::sync::thread_changed(conn, facts.thread)?;
    } else {
        stoa_search::sync::post_changed(conn, facts.thread, post)?;
    }
    Ok(true)
}

/// Moves the question count of every tag of `thread` by `change`.
fn count_tags(conn: &mut DbConn, thread: ThreadId, change: i32) -> Result<(), Error> {
    let tagged = thread_tags::table
        .filter(thread_tags::thread_id.eq(thread))
        .select(thread_tags::tag_id);
    diesel::update(tags::table.filter(tags::id.eq_any(tagged)))
        .set(tags::question_count.eq(tags::question_count + change))
        .execute(conn)?;
    Ok(())
}
