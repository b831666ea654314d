//! Soft delete and restore. A deleted answer is hidden from everyone but its author and
//! moderators; deleting a question deletes its whole thread. Counters (answers, tag
//! questions) count what readers see, so they move with every delete and restore.

use diesel::prelude::*;
use stoa_db::schema::{posts, tags, thread_tags, threads};
use stoa_db::{DbConn, PostId, ThreadId, UserId, time::now};

use crate::Error;

/// What the policy needs to know about a post before deleting or restoring it.
#[derive(Debug, Clone, Copy)]
pub struct PostFacts {
    pub author: UserId,
    pub thread: ThreadId,
    pub is_question: bool,
    pub deleted: bool,
    /// A question with an accepted or upvoted answer by someone else: its asker may not delete it.
    pub protected: bool,
}

/// Loads the facts about `post`.
pub fn facts(conn: &mut DbConn, post: PostId) -> Result<PostFacts, Error> {
    let (author, thread, is_question, deleted, accepted): (
        UserId,
        ThreadId,
        bool,
        bool,
        Option<PostId>,
    ) = posts::table
        .inner_join(threads::table)
        .filter(posts::id.eq(post))
        .select((
            posts::author_id,
            posts::thread_id,
            posts::is_question,
            posts::deleted_at
                .is_not_null()
                .or(threads::deleted_at.is_not_null()),
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
        protected,
    })
}

/// Deletes `post` (a question: its whole thread). Returns the thread. Call inside a write
/// transaction.
pub fn delete(conn: &mut DbConn, post: PostId, by: UserId) -> Result<ThreadId, Error> {
    let facts = facts(conn, post)?;
    if facts.deleted {
        return Ok(facts.thread);
    }
    let at = now();
    diesel::update(posts::table.find(post))
        .set((posts::deleted_at.eq(at), posts::deleted_by.eq(by)))
        .execute(conn)?;
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
    Ok(facts.thread)
}

/// Restores a deleted `post` (a question: its whole thread). Call inside a write transaction.
pub fn restore(conn: &mut DbConn, post: PostId) -> Result<ThreadId, Error> {
    let facts = facts(conn, post)?;
    if !facts.deleted {
        return Ok(facts.thread);
    }
    diesel::update(posts::table.find(post))
        .set((
            posts::deleted_at.eq(None::<time::PrimitiveDateTime>),
            posts::deleted_by.eq(None::<UserId>),
        ))
        .execute(conn)?;
    if facts.is_question {
        diesel::update(threads::table.find(facts.thread))
            .set(threads::deleted_at.eq(None::<time::PrimitiveDateTime>))
            .execute(conn)?;
        count_tags(conn, facts.thread, 1)?;
    } else {
        diesel::update(threads::table.find(facts.thread))
            .set(threads::answer_count.eq(threads::answer_count + 1))
            .execute(conn)?;
    }
    Ok(facts.thread)
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
