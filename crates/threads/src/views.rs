//! Read models for pages: a thread with its posts, and the list of latest questions. Each is
//! a fixed number of queries, whatever the number of rows.

use diesel::prelude::*;
use stoa_db::page::{Cursor, Page};
use stoa_db::schema::{categories, posts, threads, users};
use stoa_db::{CategoryId, DbConn, PostId, ThreadId, UserId};
use time::PrimitiveDateTime;

use crate::Error;

/// Who wrote something, as shown next to it.
#[derive(Debug, Clone, Queryable)]
pub struct Author {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: String,
}

/// A row of a question list.
#[derive(Debug, Clone, Queryable)]
pub struct ThreadSummary {
    pub id: ThreadId,
    pub title: String,
    pub slug: String,
    pub answer_count: i32,
    pub created_at: PrimitiveDateTime,
    pub category_name: String,
    pub category_slug: String,
    pub author: Author,
}

/// A thread's heading.
#[derive(Debug, Clone, Queryable)]
pub struct ThreadHead {
    pub id: ThreadId,
    pub title: String,
    pub slug: String,
    pub answer_count: i32,
    pub created_at: PrimitiveDateTime,
    pub category_id: CategoryId,
    pub category_name: String,
    pub category_slug: String,
}

/// A question body or an answer, ready to show.
#[derive(Debug, Clone, Queryable)]
pub struct PostView {
    pub id: PostId,
    pub is_question: bool,
    pub body_html: String,
    pub created_at: PrimitiveDateTime,
    pub author: Author,
}

/// A thread page: the question, then one page of answers (oldest first).
#[derive(Debug, Clone)]
pub struct ThreadPage {
    pub head: ThreadHead,
    pub question: PostView,
    pub answers: Page<PostView>,
}

const AUTHOR: (users::id, users::username, users::display_name, users::role) =
    (users::id, users::username, users::display_name, users::role);

/// The latest questions, newest first, `limit` per page, after `cursor`.
pub fn latest(
    conn: &mut DbConn,
    cursor: Option<Cursor>,
    limit: usize,
) -> Result<Page<ThreadSummary>, Error> {
    let mut query = threads::table
        .inner_join(categories::table)
        .inner_join(users::table)
        .select((
            threads::id,
            threads::title,
            threads::slug,
            threads::answer_count,
            threads::created_at,
            categories::name,
            categories::slug,
            AUTHOR,
        ))
        .order((threads::created_at.desc(), threads::id.desc()))
        .limit(i64::try_from(limit).unwrap_or(50) + 1)
        .into_boxed();
    if let Some(c) = cursor {
        query = query.filter(
            threads::created_at.lt(c.at).or(threads::created_at
                .eq(c.at)
                .and(threads::id.lt(ThreadId(c.id)))),
        );
    }
    let rows = query.load::<ThreadSummary>(conn)?;
    Ok(Page::from_rows(rows, limit, |t| Cursor {
        at: t.created_at,
        id: t.id.0,
    }))
}

/// The thread `id` with its question and a page of answers after `cursor`; `None` if absent.
/// Three queries: the heading, the question, the answers.
pub fn thread(
    conn: &mut DbConn,
    id: ThreadId,
    cursor: Option<Cursor>,
    limit: usize,
) -> Result<Option<ThreadPage>, Error> {
    let head = threads::table
        .find(id)
        .inner_join(categories::table)
        .select((
            threads::id,
            threads::title,
            threads::slug,
            threads::answer_count,
            threads::created_at,
            categories::id,
            categories::name,
            categories::slug,
        ))
        .first::<ThreadHead>(conn)
        .optional()?;
    let Some(head) = head else { return Ok(None) };
    let post_columns = (
        posts::id,
        posts::is_question,
        posts::body_html,
        posts::created_at,
        AUTHOR,
    );
    let question = posts::table
        .inner_join(users::table)
        .filter(posts::thread_id.eq(id))
        .filter(posts::is_question.eq(true))
        .select(post_columns)
        .first::<PostView>(conn)?;
    let mut answers = posts::table
        .inner_join(users::table)
        .filter(posts::thread_id.eq(id))
        .filter(posts::is_question.eq(false))
        .select(post_columns)
        .order((posts::created_at.asc(), posts::id.asc()))
        .limit(i64::try_from(limit).unwrap_or(50) + 1)
        .into_boxed();
    if let Some(c) = cursor {
        answers = answers.filter(
            posts::created_at
                .gt(c.at)
                .or(posts::created_at.eq(c.at).and(posts::id.gt(PostId(c.id)))),
        );
    }
    let answers = Page::from_rows(answers.load::<PostView>(conn)?, limit, |p| Cursor {
        at: p.created_at,
        id: p.id.0,
    });
    Ok(Some(ThreadPage {
        head,
        question,
        answers,
    }))
}
