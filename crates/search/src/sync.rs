//! Keeping search in step with content, inside the transaction that changes it.

use diesel::prelude::*;
use stoa_db::schema::{search_jobs, search_settings};
use stoa_db::{DbConn, PostId, ThreadId};

use crate::database;

/// Call in the transaction that creates, deletes or restores a thread: its search rows and
/// its answers' are rewritten at once, and when an external engine is fed, a job for it is
/// queued in the same transaction, so it is sent if and only if the change commits.
pub fn thread_changed(conn: &mut DbConn, thread: ThreadId) -> QueryResult<()> {
    database::refresh_thread(conn, thread)?;
    queue_if_fed(conn, &[thread])
}

/// Call in the transaction of any change to one post's text (written, edited, deleted,
/// restored, commented on; a question's title and tags too): only that post's search row is
/// rewritten (the thread's, for a question), and the thread is queued as by
/// [`thread_changed`].
pub fn post_changed(conn: &mut DbConn, thread: ThreadId, post: PostId) -> QueryResult<()> {
    database::refresh_post(conn, post)?;
    queue_if_fed(conn, &[thread])
}

/// As [`post_changed`] for an answer just written (it has no search row yet).
pub fn answer_added(conn: &mut DbConn, thread: ThreadId, answer: PostId) -> QueryResult<()> {
    database::add_answer(conn, answer)?;
    queue_if_fed(conn, &[thread])
}

/// As [`post_changed`] for many posts (an import batch); `threads` are theirs.
pub fn posts_changed(conn: &mut DbConn, threads: &[ThreadId], posts: &[PostId]) -> QueryResult<()> {
    for &post in posts {
        database::refresh_post(conn, post)?;
    }
    queue_if_fed(conn, threads)
}

/// As [`thread_changed`] for a change that leaves the searchable text alone (a vote, an
/// accepted answer): only an external engine, which stores those facts, needs to hear of it.
pub fn thread_facts_changed(conn: &mut DbConn, thread: ThreadId) -> QueryResult<()> {
    queue_if_fed(conn, &[thread])
}

/// As [`thread_changed`] for many threads at once (an import batch).
pub fn threads_changed(conn: &mut DbConn, threads: &[ThreadId]) -> QueryResult<()> {
    for &thread in threads {
        database::refresh_thread(conn, thread)?;
    }
    queue_if_fed(conn, threads)
}

/// The external engine the nodes feed, if any (`meilisearch`).
pub fn external_engine(conn: &mut DbConn) -> QueryResult<Option<String>> {
    search_settings::table
        .find(1_i64)
        .select(search_settings::external_engine)
        .first::<Option<String>>(conn)
        .optional()
        .map(Option::flatten)
}

fn queue_if_fed(conn: &mut DbConn, threads: &[ThreadId]) -> QueryResult<()> {
    if threads.is_empty() || external_engine(conn)?.is_none() {
        return Ok(());
    }
    crate::outbox::queue(conn, threads)
}

/// What `stoa search status` reports.
#[derive(Debug, Clone)]
pub struct Status {
    /// Threads in the database index.
    pub documents: i64,
    /// Visible threads (what the index should hold).
    pub threads: i64,
    /// Jobs waiting for the external engine.
    pub pending_jobs: i64,
    /// When the oldest waiting job was queued.
    pub oldest_pending: Option<time::PrimitiveDateTime>,
    pub external_engine: Option<String>,
}

/// The state of the search index and its outbox.
pub fn status(conn: &mut DbConn) -> QueryResult<Status> {
    use stoa_db::schema::threads;
    Ok(Status {
        documents: database::documents(conn)?,
        threads: threads::table
            .filter(threads::deleted_at.is_null())
            .count()
            .get_result(conn)?,
        pending_jobs: search_jobs::table.count().get_result(conn)?,
        oldest_pending: search_jobs::table
            .select(diesel::dsl::min(search_jobs::created_at))
            .first(conn)?,
        external_engine: external_engine(conn)?,
    })
}
