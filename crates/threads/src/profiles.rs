//! Member profiles: who they are, what they contributed, their recent posts.

use diesel::prelude::*;
use stoa_db::page::{Cursor, Page};
use stoa_db::schema::{posts, threads, users};
use stoa_db::{DbConn, MultiBackend, PostId, ThreadId, UserId};
use time::PrimitiveDateTime;

use crate::Error;

/// The public part of an account.
#[derive(Debug, Clone, Queryable)]
pub struct Profile {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub role: String,
    pub created_at: PrimitiveDateTime,
}

/// What a member contributed (deleted posts do not count).
#[derive(Debug, Clone, Copy, Default)]
pub struct Contributions {
    pub questions: i64,
    pub answers: i64,
    pub accepted_answers: i64,
    pub score: i64,
}

/// One of a member's posts, as listed on their profile.
#[derive(Debug, Clone, Queryable)]
pub struct RecentPost {
    pub post: PostId,
    pub is_question: bool,
    pub score: i32,
    pub created_at: PrimitiveDateTime,
    pub thread: ThreadId,
    pub title: String,
    pub slug: String,
}

/// The profile of `id`, if the account exists.
pub fn find(conn: &mut DbConn, id: UserId) -> Result<Option<Profile>, Error> {
    Ok(users::table
        .find(id)
        .select((
            users::id,
            users::username,
            users::display_name,
            users::bio,
            users::role,
            users::created_at,
        ))
        .first(conn)
        .optional()?)
}

/// Counts a member's contributions: two aggregate queries over indexed columns.
pub fn contributions(conn: &mut DbConn, id: UserId) -> Result<Contributions, Error> {
    let visible = posts::author_id
        .eq(id)
        .and(posts::deleted_at.is_null())
        .and(threads::deleted_at.is_null());
    let by_kind: Vec<(bool, i64, Option<i64>)> = posts::table
        .inner_join(threads::table)
        .filter(visible)
        .group_by(posts::is_question)
        .select((
            posts::is_question,
            diesel::dsl::count(posts::id),
            diesel::dsl::sum(posts::score),
        ))
        .load(conn)?;
    let mut counted = Contributions::default();
    for (is_question, posts, score) in by_kind {
        if is_question {
            counted.questions = posts;
        } else {
            counted.answers = posts;
        }
        counted.score += score.unwrap_or(0);
    }
    let accepted_answers: i64 = threads::table
        .inner_join(posts::table.on(threads::accepted_answer_id.eq(posts::id.nullable())))
        .filter(posts::author_id.eq(id))
        .filter(threads::deleted_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(Contributions {
        accepted_answers,
        ..counted
    })
}

/// A page of a member's visible posts, newest first.
pub fn recent_posts(
    conn: &mut DbConn,
    id: UserId,
    cursor: Option<Cursor>,
    limit: usize,
) -> Result<Page<RecentPost>, Error> {
    let mut query = posts::table
        .inner_join(threads::table)
        .filter(posts::author_id.eq(id))
        .filter(posts::deleted_at.is_null())
        .filter(threads::deleted_at.is_null())
        .select((
            posts::id,
            posts::is_question,
            posts::score,
            posts::created_at,
            threads::id,
            threads::title,
            threads::slug,
        ))
        .order((posts::created_at.desc(), posts::id.desc()))
        .limit(i64::try_from(limit).unwrap_or(20) + 1)
        .into_boxed::<MultiBackend>();
    if let Some(c) = cursor {
        query = query.filter(
            posts::created_at
                .lt(c.at)
                .or(posts::created_at.eq(c.at).and(posts::id.lt(PostId(c.id)))),
        );
    }
    let rows = query.load::<RecentPost>(conn)?;
    Ok(Page::from_rows(rows, limit, |p| Cursor {
        at: p.created_at,
        id: p.post.0,
    }))
}
