//! Up and down votes on questions and answers. One vote per member and post (a unique index);
//! the post's score moves in the same transaction as the vote, by exactly the vote's change.

use std::collections::HashMap;

use diesel::prelude::*;
use stoa_db::schema::{posts, threads, votes};
use stoa_db::{DbConn, PostId, ThreadId, UserId, time::now};

use crate::Error;

/// A member's vote on a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vote {
    Up,
    Down,
    /// No vote (a retracted one).
    None,
}

impl Vote {
    fn value(self) -> i32 {
        match self {
            Vote::Up => 1,
            Vote::Down => -1,
            Vote::None => 0,
        }
    }

    fn from_value(value: i32) -> Vote {
        match value.signum() {
            1 => Vote::Up,
            -1 => Vote::Down,
            _ => Vote::None,
        }
    }
}

/// Threads that are not deleted (a post in a deleted thread takes no votes or comments).
pub(crate) fn live_threads() -> diesel::dsl::Select<
    diesel::dsl::Filter<threads::table, diesel::dsl::IsNull<threads::deleted_at>>,
    threads::id,
> {
    threads::table
        .filter(threads::deleted_at.is_null())
        .select(threads::id)
}

/// The post's author, for the policy's "own post" check.
pub fn post_author(conn: &mut DbConn, post: PostId) -> Result<UserId, Error> {
    posts::table
        .find(post)
        .select(posts::author_id)
        .first(conn)
        .optional()?
        .ok_or(Error::PostNotFound)
}

/// Sets `voter`'s vote on `post` to `vote` and returns the post's new score. Call inside a
/// write transaction.
///
/// The post row is locked first (a no-op update), so two requests of the same member on the
/// same post take turns on PostgreSQL as they do on SQLite, and each reads the other's vote.
pub fn cast(conn: &mut DbConn, voter: UserId, post: PostId, vote: Vote) -> Result<i32, Error> {
    let (author, thread): (UserId, ThreadId) = diesel::update(
        posts::table
            .find(post)
            .filter(posts::deleted_at.is_null())
            .filter(posts::thread_id.eq_any(live_threads())),
    )
    .set(posts::score.eq(posts::score))
    .returning((posts::author_id, posts::thread_id))
    .get_result(conn)
    .optional()?
    .ok_or(Error::PostNotFound)?;
    if author == voter {
        return Err(Error::OwnVote);
    }
    let mine = votes::table
        .filter(votes::post_id.eq(post))
        .filter(votes::user_id.eq(voter));
    let old: Option<i32> = mine.select(votes::value).first(conn).optional()?;
    match (old, vote) {
        (None, Vote::None) => {}
        (Some(_), Vote::None) => {
            diesel::delete(mine).execute(conn)?;
        }
        (None, _) => {
            diesel::insert_into(votes::table)
                .values((
                    votes::post_id.eq(post),
                    votes::user_id.eq(voter),
                    votes::value.eq(vote.value()),
                    votes::created_at.eq(now()),
                ))
                .execute(conn)?;
        }
        (Some(_), _) => {
            diesel::update(mine)
                .set(votes::value.eq(vote.value()))
                .execute(conn)?;
        }
    }
    let change = vote.value() - old.unwrap_or(0);
    stoa_search::sync::thread_facts_changed(conn, thread)?;
    Ok(diesel::update(posts::table.find(post))
        .set(posts::score.eq(posts::score + change))
        .returning(posts::score)
        .get_result(conn)?)
}

/// `viewer`'s votes on the posts of `thread`.
pub fn in_thread(
    conn: &mut DbConn,
    viewer: UserId,
    thread: ThreadId,
) -> Result<HashMap<PostId, Vote>, Error> {
    let rows: Vec<(PostId, i32)> = votes::table
        .inner_join(posts::table)
        .filter(votes::user_id.eq(viewer))
        .filter(posts::thread_id.eq(thread))
        .select((votes::post_id, votes::value))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(post, value)| (post, Vote::from_value(value)))
        .collect())
}
