//! The outbox that feeds an external engine: jobs written with each change (see
//! [`crate::sync`]), claimed by workers on any node, sent with retries and backoff.
//!
//! A job says "thread N changed"; sending it means sending the thread's document as it is
//! now (or deleting it), so replaying a job is harmless and many jobs for one thread are sent
//! once. While a worker sends a thread, the thread's jobs are claimed: no other worker takes
//! them until it finishes or the claim lapses, so a thread's versions never overtake each
//! other.

use std::collections::HashMap;
use std::time::Duration;

use diesel::prelude::*;
use serde::Serialize;
use stoa_db::schema::{search_jobs, search_settings, thread_tags};
use stoa_db::time::now;
use stoa_db::{Db, DbConn, ThreadId, dialect};
use time::PrimitiveDateTime;

use crate::{BoxFuture, Error};

/// Threads sent per round.
pub const THREADS_PER_ROUND: usize = 100;
/// How long a claim holds before another worker may take the jobs over.
pub const CLAIM: time::Duration = time::Duration::seconds(60);
/// The longest wait between retries.
const MAX_BACKOFF_SECONDS: i64 = 600;

/// A thread as an external engine stores it: its text and what searches filter and sort on.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ThreadDocument {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub tags: Vec<String>,
    pub tag_ids: Vec<i64>,
    pub question: String,
    pub answers: String,
    pub category_id: i64,
    pub author_id: i64,
    pub score: i32,
    pub solved: bool,
    pub answer_count: i32,
    /// A member of staff (staff, a moderator or the owner) answered.
    pub has_staff_answer: bool,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
    /// The last answer's time, or the question's (seconds since the Unix epoch).
    pub last_activity_at: i64,
}

/// Where the documents go (Meilisearch, or a test's stand-in for it).
pub trait DocumentSink: Send + Sync {
    /// Stores `upserts` (replacing earlier versions) and removes the threads `deletes`;
    /// returns once the engine has applied both, or fails.
    fn apply<'a>(
        &'a self,
        upserts: &'a [ThreadDocument],
        deletes: &'a [ThreadId],
    ) -> BoxFuture<'a, Result<(), Error>>;
}

/// Jobs of some threads, claimed by one worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub threads: Vec<ThreadId>,
    /// The newest job claimed: later jobs of these threads wait for the next round.
    pub through: i64,
    /// The most attempts any claimed job has had.
    pub attempts: i32,
}

/// Starts feeding `engine` (`meilisearch`): from now on every change queues a job. When no
/// engine was fed before, every thread is queued, so the engine receives the whole forum.
/// Returns the threads queued.
pub fn attach(conn: &mut DbConn, engine: &str) -> QueryResult<usize> {
    dialect::write_transaction(conn, |conn| {
        let before = crate::sync::external_engine(conn)?;
        diesel::update(search_settings::table.find(1_i64))
            .set(search_settings::external_engine.eq(engine))
            .execute(conn)?;
        if before.as_deref() == Some(engine) {
            return Ok(0);
        }
        queue_everything(conn)
    })
}

/// Stops feeding any engine and drops its waiting jobs (the database index serves searches).
pub fn detach(conn: &mut DbConn) -> QueryResult<()> {
    dialect::write_transaction(conn, |conn| {
        diesel::update(search_settings::table.find(1_i64))
            .set(search_settings::external_engine.eq(None::<String>))
            .execute(conn)?;
        diesel::delete(search_jobs::table).execute(conn)?;
        Ok(())
    })
}

/// Queues a job for each of `threads`, due now.
pub(crate) fn queue(conn: &mut DbConn, threads: &[ThreadId]) -> QueryResult<()> {
    let at = now();
    for thread in threads {
        diesel::insert_into(search_jobs::table)
            .values((
                search_jobs::thread_id.eq(thread.0),
                search_jobs::created_at.eq(at),
                search_jobs::run_after.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Queues a job for every thread (deleted ones too, so the engine forgets them), in one
/// statement; returns how many.
pub fn queue_everything(conn: &mut DbConn) -> QueryResult<usize> {
    let at = now();
    let sql = match conn {
        DbConn::Sqlite(_) => {
            "INSERT INTO search_jobs (thread_id, created_at, run_after) SELECT id, ?1, ?1 FROM threads"
        }
        DbConn::Postgresql(_) => {
            "INSERT INTO search_jobs (thread_id, created_at, run_after) SELECT id, $1, $1 FROM threads"
        }
    };
    diesel::sql_query(sql)
        .bind::<diesel::sql_types::Timestamp, _>(at)
        .execute(conn)
}

/// Claims the due jobs of up to `max_threads` threads that no other worker holds, oldest
/// first. `None` when nothing is due.
pub fn claim(conn: &mut DbConn, max_threads: usize) -> QueryResult<Option<Claim>> {
    dialect::write_transaction(conn, |conn| {
        let at = now();
        let due = due_jobs(conn, at, max_threads * 4)?;
        let mut threads: Vec<ThreadId> = Vec::new();
        for (_, thread) in &due {
            if !threads.contains(thread) && threads.len() < max_threads {
                threads.push(*thread);
            }
        }
        if threads.is_empty() {
            return Ok(None);
        }
        let ids: Vec<i64> = threads.iter().map(|t| t.0).collect();
        let mine = || search_jobs::table.filter(search_jobs::thread_id.eq_any(&ids));
        let (through, attempts): (Option<i64>, Option<i32>) = mine()
            .select((
                diesel::dsl::max(search_jobs::id),
                diesel::dsl::max(search_jobs::attempts),
            ))
            .first(conn)?;
        let through = through.unwrap_or_default();
        diesel::update(mine().filter(search_jobs::id.le(through)))
            .set(search_jobs::claimed_until.eq(Some(at + CLAIM)))
            .execute(conn)?;
        Ok(Some(Claim {
            threads,
            through,
            attempts: attempts.unwrap_or_default(),
        }))
    })
}

/// Due jobs of threads nobody holds, as `(job id, thread)`, oldest first.
///
/// Fork: on PostgreSQL, workers on several nodes claim at once. They take turns through a
/// transaction-scoped advisory lock (so two cannot both see a thread as free), and
/// `FOR UPDATE SKIP LOCKED` leaves rows another transaction holds to it. SQLite's write
/// transaction already serialises claims.
fn due_jobs(
    conn: &mut DbConn,
    at: PrimitiveDateTime,
    limit: usize,
) -> QueryResult<Vec<(i64, ThreadId)>> {
    #[derive(QueryableByName)]
    struct Due {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        thread_id: i64,
    }
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows: Vec<Due> = match conn {
        DbConn::Sqlite(_) => diesel::sql_query(
            "SELECT id, thread_id FROM search_jobs j
             WHERE run_after <= ?1
               AND NOT EXISTS (SELECT 1 FROM search_jobs held
                               WHERE held.thread_id = j.thread_id AND held.claimed_until > ?1)
             ORDER BY id LIMIT ?2",
        )
        .bind::<diesel::sql_types::Timestamp, _>(at)
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .load(conn)?,
        DbConn::Postgresql(_) => {
            // "stoa" in ASCII, plus one: the migration lock uses the plain value.
            diesel::sql_query("SELECT pg_advisory_xact_lock(1937010530)").execute(conn)?;
            diesel::sql_query(
                "SELECT id, thread_id FROM search_jobs j
                 WHERE run_after <= $1
                   AND NOT EXISTS (SELECT 1 FROM search_jobs held
                                   WHERE held.thread_id = j.thread_id AND held.claimed_until > $1)
                 ORDER BY id LIMIT $2
                 FOR UPDATE SKIP LOCKED",
            )
            .bind::<diesel::sql_types::Timestamp, _>(at)
            .bind::<diesel::sql_types::BigInt, _>(limit)
            .load(conn)?
        }
    };
    Ok(rows
        .into_iter()
        .map(|r| (r.id, ThreadId(r.thread_id)))
        .collect())
}

/// The claimed threads were sent: their jobs up to the claim are done; later ones are free.
pub fn complete(conn: &mut DbConn, claim: &Claim) -> QueryResult<()> {
    let ids: Vec<i64> = claim.threads.iter().map(|t| t.0).collect();
    dialect::write_transaction(conn, |conn| {
        let mine = || search_jobs::table.filter(search_jobs::thread_id.eq_any(&ids));
        diesel::delete(mine().filter(search_jobs::id.le(claim.through))).execute(conn)?;
        diesel::update(mine())
            .set(search_jobs::claimed_until.eq(None::<PrimitiveDateTime>))
            .execute(conn)?;
        Ok(())
    })
}

/// Sending failed: the claimed jobs wait (1 s, 2 s, 4 s … at most 10 minutes) and are
/// retried, the error kept for `stoa search status`.
pub fn fail(conn: &mut DbConn, claim: &Claim, error: &str) -> QueryResult<()> {
    let ids: Vec<i64> = claim.threads.iter().map(|t| t.0).collect();
    let wait = 1_i64
        .checked_shl(claim.attempts.clamp(0, 20).unsigned_abs())
        .unwrap_or(MAX_BACKOFF_SECONDS)
        .min(MAX_BACKOFF_SECONDS);
    let error: String = error.chars().take(500).collect();
    dialect::write_transaction(conn, |conn| {
        let mine = search_jobs::table
            .filter(search_jobs::thread_id.eq_any(&ids))
            .filter(search_jobs::id.le(claim.through));
        diesel::update(mine)
            .set((
                search_jobs::attempts.eq(search_jobs::attempts + 1),
                search_jobs::run_after.eq(now() + time::Duration::seconds(wait)),
                search_jobs::claimed_until.eq(None::<PrimitiveDateTime>),
                search_jobs::last_error.eq(Some(&error)),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// The documents of `threads` as they are now, and the threads that are gone (deleted), in
/// two queries. The text comes from the database index, which the same transactions keep.
pub fn documents(
    conn: &mut DbConn,
    wanted: &[ThreadId],
) -> QueryResult<(Vec<ThreadDocument>, Vec<ThreadId>)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        slug: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        title: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        tags: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        question: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        answers: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        category_id: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        author_id: i64,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        score: i32,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        solved: bool,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        answer_count: i32,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        has_staff_answer: bool,
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        created_at: PrimitiveDateTime,
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        last_activity_at: PrimitiveDateTime,
    }
    if wanted.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let key = match conn {
        DbConn::Sqlite(_) => "rowid",
        DbConn::Postgresql(_) => "thread_id",
    };
    let answers = crate::database::answers_text(conn, "t.id");
    // The ids are integers from the job table, written inline.
    let ids = wanted
        .iter()
        .map(|t| t.0.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT t.id, t.slug, h.title, h.tags, h.question, {answers} AS answers,
                t.category_id, t.author_id,
                (SELECT q.score FROM posts q WHERE q.thread_id = t.id AND q.is_question = TRUE) AS score,
                t.accepted_answer_id IS NOT NULL AS solved, t.answer_count,
                EXISTS (SELECT 1 FROM posts a JOIN users u ON u.id = a.author_id
                        WHERE a.thread_id = t.id AND a.is_question = FALSE AND a.deleted_at IS NULL
                          AND u.role IN ('staff', 'moderator', 'owner')) AS has_staff_answer,
                t.created_at, t.last_activity_at
         FROM threads t
         JOIN fulltext_threads h ON h.{key} = t.id
         WHERE t.deleted_at IS NULL AND t.id IN ({ids})"
    ))
    .load(conn)?;
    let mut tag_ids: HashMap<i64, Vec<i64>> = HashMap::new();
    for (thread, tag) in thread_tags::table
        .filter(thread_tags::thread_id.eq_any(wanted))
        .select((thread_tags::thread_id, thread_tags::tag_id))
        .order((thread_tags::thread_id, thread_tags::tag_id))
        .load::<(i64, i64)>(conn)?
    {
        tag_ids.entry(thread).or_default().push(tag);
    }
    let gone = wanted
        .iter()
        .filter(|t| !rows.iter().any(|r| r.id == t.0))
        .copied()
        .collect();
    let documents = rows
        .into_iter()
        .map(|r| ThreadDocument {
            tag_ids: tag_ids.remove(&r.id).unwrap_or_default(),
            tags: r.tags.split_whitespace().map(str::to_owned).collect(),
            id: r.id,
            slug: r.slug,
            title: r.title,
            question: r.question,
            answers: r.answers,
            category_id: r.category_id,
            author_id: r.author_id,
            score: r.score,
            solved: r.solved,
            answer_count: r.answer_count,
            has_staff_answer: r.has_staff_answer,
            created_at: r.created_at.assume_utc().unix_timestamp(),
            last_activity_at: r.last_activity_at.assume_utc().unix_timestamp(),
        })
        .collect();
    Ok((documents, gone))
}

/// One round: claims due jobs, sends their threads to `sink`, and marks them done or failed.
/// Returns how many threads were sent.
pub async fn drain_once(db: &Db, sink: &dyn DocumentSink) -> Result<usize, Error> {
    let Some(claim) = db
        .run(|conn| claim(conn, THREADS_PER_ROUND).map_err(Error::from))
        .await?
    else {
        return Ok(0);
    };
    let wanted = claim.threads.clone();
    let (upserts, deletes) = db
        .run(move |conn| documents(conn, &wanted).map_err(Error::from))
        .await?;
    let sent = sink.apply(&upserts, &deletes).await;
    let claimed = claim.clone();
    match sent {
        Ok(()) => {
            db.run(move |conn| complete(conn, &claimed).map_err(Error::from))
                .await?;
            Ok(claim.threads.len())
        }
        Err(e) => {
            let message = e.to_string();
            db.run(move |conn| fail(conn, &claimed, &message).map_err(Error::from))
                .await?;
            Err(e)
        }
    }
}

/// Drains the outbox for as long as the process runs: at once while jobs are due, then every
/// `idle` (a failure waits for its backoff).
pub async fn run_forever(db: Db, sink: std::sync::Arc<dyn DocumentSink>, idle: Duration) {
    loop {
        match drain_once(&db, sink.as_ref()).await {
            Ok(0) => tokio::time::sleep(idle).await,
            Ok(sent) => tracing::debug!(search.sent = sent, "search documents sent"),
            Err(e) => {
                tracing::warn!(error = %e, "sending search documents failed; they will be retried");
                tokio::time::sleep(idle).await;
            }
        }
    }
}
