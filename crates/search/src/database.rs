//! The database backend: SQLite FTS5 or PostgreSQL full text, whichever the forum runs on.
//!
//! Each visible thread has one row in `fulltext_threads` (title, tag names, question,
//! answers), rewritten by [`refresh`] inside the transaction of every change to that text.
//! Everything else a search filters or sorts on (category, tags, solved, score, deletion) is
//! read from the live tables at query time, so it can never be stale.
//!
//! Fork: this module and `stoa_db::dialect` are the places where the engines are told apart.
//! FTS5 and tsvector share neither DDL nor query syntax nor ranking functions, so every
//! statement here is written once per engine, side by side.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use stoa_db::{DbConn, ThreadId};

use crate::{Marked, SearchHit, SearchRequest, SearchResults, Sort};

/// Marks the start and end of a matched word in titles and snippets; control characters
/// cannot be typed into a post, so they cannot be confused with its text.
pub(crate) const MARK_START: char = '\u{2}';
pub(crate) const MARK_END: char = '\u{3}';

/// Builds the document of every visible thread (or, with the condition, of one).
const SQLITE_DOCUMENTS: &str = "
    SELECT t.id, t.title,
           COALESCE((SELECT group_concat(g.name, ' ') FROM thread_tags tt
                     JOIN tags g ON g.id = tt.tag_id WHERE tt.thread_id = t.id), ''),
           q.body_source,
           COALESCE((SELECT group_concat(a.body_source, char(10)) FROM posts a
                     WHERE a.thread_id = t.id AND a.is_question = 0 AND a.deleted_at IS NULL), '')
    FROM threads t JOIN posts q ON q.thread_id = t.id AND q.is_question = 1
    WHERE t.deleted_at IS NULL AND q.deleted_at IS NULL";

const POSTGRES_DOCUMENTS: &str = "
    SELECT t.id, t.title,
           COALESCE((SELECT string_agg(g.name, ' ') FROM thread_tags tt
                     JOIN tags g ON g.id = tt.tag_id WHERE tt.thread_id = t.id), ''),
           q.body_source,
           COALESCE((SELECT string_agg(a.body_source, E'\\n' ORDER BY a.id) FROM posts a
                     WHERE a.thread_id = t.id AND NOT a.is_question AND a.deleted_at IS NULL), '')
    FROM threads t JOIN posts q ON q.thread_id = t.id AND q.is_question
    WHERE t.deleted_at IS NULL AND q.deleted_at IS NULL";

/// Rewrites the search document of `thread` from its current title, tags, question and
/// answers, or removes it when the thread is deleted. Call inside the transaction that
/// changed the thread.
pub fn refresh(conn: &mut DbConn, thread: ThreadId) -> QueryResult<()> {
    let (delete, insert) = match conn {
        DbConn::Sqlite(_) => (
            "DELETE FROM fulltext_threads WHERE rowid = ?".to_owned(),
            format!(
                "INSERT INTO fulltext_threads (rowid, title, tags, question, answers)
                 {SQLITE_DOCUMENTS} AND t.id = ?"
            ),
        ),
        DbConn::Postgresql(_) => (
            "DELETE FROM fulltext_threads WHERE thread_id = $1".to_owned(),
            format!(
                "INSERT INTO fulltext_threads (thread_id, title, tags, question, answers)
                 {POSTGRES_DOCUMENTS} AND t.id = $1"
            ),
        ),
    };
    diesel::sql_query(delete)
        .bind::<BigInt, _>(thread.0)
        .execute(conn)?;
    diesel::sql_query(insert)
        .bind::<BigInt, _>(thread.0)
        .execute(conn)?;
    Ok(())
}

/// Rewrites the documents of the next `limit` threads after id `after`, in id order;
/// returns the last thread id done, or `None` when no thread is left. A reindex calls it
/// until `None`, then [`rebuild_finish`]; searches keep working meanwhile.
pub fn rebuild_batch(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Option<i64>> {
    #[derive(QueryableByName)]
    struct Last {
        #[diesel(sql_type = Nullable<BigInt>)]
        last: Option<i64>,
    }
    let (last, delete, insert) = match conn {
        DbConn::Sqlite(_) => (
            "SELECT max(id) AS last FROM (SELECT id FROM threads WHERE id > ?1 ORDER BY id LIMIT ?2)",
            "DELETE FROM fulltext_threads WHERE rowid > ?1 AND rowid <= ?2".to_owned(),
            format!(
                "INSERT INTO fulltext_threads (rowid, title, tags, question, answers)
                 {SQLITE_DOCUMENTS} AND t.id > ?1 AND t.id <= ?2"
            ),
        ),
        DbConn::Postgresql(_) => (
            "SELECT max(id) AS last FROM (SELECT id FROM threads WHERE id > $1 ORDER BY id LIMIT $2) batch",
            "DELETE FROM fulltext_threads WHERE thread_id > $1 AND thread_id <= $2".to_owned(),
            format!(
                "INSERT INTO fulltext_threads (thread_id, title, tags, question, answers)
                 {POSTGRES_DOCUMENTS} AND t.id > $1 AND t.id <= $2"
            ),
        ),
    };
    let Last { last } = diesel::sql_query(last)
        .bind::<BigInt, _>(after)
        .bind::<BigInt, _>(limit)
        .get_result(conn)?;
    let Some(last) = last else { return Ok(None) };
    for statement in [delete, insert] {
        diesel::sql_query(statement)
            .bind::<BigInt, _>(after)
            .bind::<BigInt, _>(last)
            .execute(conn)?;
    }
    Ok(Some(last))
}

/// Ends a reindex: drops documents whose thread is gone, and lets FTS5 merge its segments.
pub fn rebuild_finish(conn: &mut DbConn) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConn::Sqlite(_) => conn.batch_execute(
            "DELETE FROM fulltext_threads
                 WHERE rowid NOT IN (SELECT id FROM threads WHERE deleted_at IS NULL);
             INSERT INTO fulltext_threads (fulltext_threads) VALUES ('optimize');",
        ),
        DbConn::Postgresql(_) => conn.batch_execute(
            "DELETE FROM fulltext_threads
                 WHERE thread_id NOT IN (SELECT id FROM threads WHERE deleted_at IS NULL);",
        ),
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many threads the index holds.
pub fn documents(conn: &mut DbConn) -> QueryResult<i64> {
    let row: Count =
        diesel::sql_query("SELECT count(*) AS n FROM fulltext_threads").get_result(conn)?;
    Ok(row.n)
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    thread_id: i64,
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Bool)]
    solved: bool,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    answer_count: i32,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    snippet: String,
}

/// The filters, in both engines' placeholder styles: `(?N IS NULL OR …)` keeps one statement
/// text (and one set of binds) whichever filters are in use.
fn conditions(p: impl Fn(usize) -> String) -> String {
    format!(
        "t.deleted_at IS NULL
         AND ({c} IS NULL OR t.category_id = {c})
         AND ({g} IS NULL OR EXISTS (SELECT 1 FROM thread_tags tt
                                    WHERE tt.thread_id = t.id AND tt.tag_id = {g}))
         AND ({s} = FALSE OR t.accepted_answer_id IS NOT NULL)
         AND ({u} = FALSE OR t.answer_count = 0)
         AND ({a} IS NULL OR t.author_id = {a})
         AND ({x} IS NULL OR t.id <> {x})",
        c = p(2),
        g = p(3),
        s = p(4),
        u = p(5),
        a = p(6),
        x = p(7),
    )
}

fn order(sort: Sort, relevance: &str) -> String {
    match sort {
        Sort::Relevance => format!("{relevance}, t.id DESC"),
        Sort::Newest => "t.created_at DESC, t.id DESC".to_owned(),
        Sort::Votes => "(SELECT q.score FROM posts q WHERE q.thread_id = t.id AND q.is_question = TRUE) DESC, t.id DESC"
            .to_owned(),
    }
}

/// Column weights for FTS5's bm25, in column order: a word in the title counts most, then
/// the tags, the question, the answers.
const SQLITE_WEIGHTS: &str = "10.0, 6.0, 2.0, 1.0";

/// Runs a search on the database.
pub fn search(conn: &mut DbConn, request: &SearchRequest) -> QueryResult<SearchResults> {
    let (select, count) = match conn {
        DbConn::Sqlite(_) => {
            let p = |n: usize| format!("?{n}");
            let from = format!(
                "FROM fulltext_threads JOIN threads t ON t.id = fulltext_threads.rowid
                 WHERE fulltext_threads MATCH ?1 AND {}",
                conditions(p)
            );
            let order = order(
                request.sort,
                &format!("bm25(fulltext_threads, {SQLITE_WEIGHTS})"),
            );
            (
                format!(
                    "SELECT t.id AS thread_id, t.slug, t.accepted_answer_id IS NOT NULL AS solved,
                            t.answer_count,
                            highlight(fulltext_threads, 0, char(2), char(3)) AS title,
                            snippet(fulltext_threads, -1, char(2), char(3), '…', 24) AS snippet
                     {from} ORDER BY {order} LIMIT ?8 OFFSET ?9"
                ),
                format!("SELECT count(*) AS n {from}"),
            )
        }
        DbConn::Postgresql(_) => {
            let p = |n: usize| match n {
                2 | 3 | 6 | 7 => format!("${n}::bigint"),
                _ => format!("${n}"),
            };
            let from = format!(
                "FROM fulltext_threads f JOIN threads t ON t.id = f.thread_id,
                      to_tsquery('english', $1) query
                 WHERE f.document @@ query AND {}",
                conditions(p)
            );
            // ts_rank_cd with normalisation 1 divides by 1 + log(length), so a long thread
            // that mentions a word once does not outrank a short one about it.
            let order = order(request.sort, "ts_rank_cd(f.document, query, 1) DESC");
            // The headlines are made for the page's rows only, after the limit.
            (
                format!(
                    "SELECT r.thread_id, r.slug, r.solved, r.answer_count,
                            ts_headline('english', r.title, r.query,
                                        'HighlightAll=true, StartSel=\u{2}, StopSel=\u{3}') AS title,
                            ts_headline('english', r.body, r.query,
                                        'MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \",
                                         StartSel=\u{2}, StopSel=\u{3}') AS snippet
                     FROM (SELECT t.id AS thread_id, t.slug, t.accepted_answer_id IS NOT NULL AS solved,
                                  t.answer_count, f.title, query,
                                  left(f.question || E'\\n' || f.answers, 5000) AS body,
                                  row_number() OVER (ORDER BY {order}) AS position
                           {from} ORDER BY {order} LIMIT $8 OFFSET $9) r
                     ORDER BY r.position"
                ),
                format!("SELECT count(*) AS n {from}"),
            )
        }
    };
    let expression = match conn {
        DbConn::Sqlite(_) => request.query.to_fts5(request.matching),
        DbConn::Postgresql(_) => request.query.to_tsquery(request.matching),
    };
    let filter = &request.filter;
    macro_rules! with_binds {
        ($sql:expr) => {
            diesel::sql_query($sql)
                .bind::<Text, _>(&expression)
                .bind::<Nullable<BigInt>, _>(filter.category.map(|c| c.0))
                .bind::<Nullable<BigInt>, _>(filter.tag.map(|t| t.0))
                .bind::<Bool, _>(filter.solved)
                .bind::<Bool, _>(filter.unanswered)
                .bind::<Nullable<BigInt>, _>(filter.author.map(|a| a.0))
                .bind::<Nullable<BigInt>, _>(request.exclude.map(|t| t.0))
        };
    }
    let rows: Vec<Row> = with_binds!(select)
        .bind::<BigInt, _>(i64::from(request.limit))
        .bind::<BigInt, _>(i64::from(request.offset))
        .load(conn)?;
    let total = if request.count_total {
        let counted: Count = with_binds!(count).get_result(conn)?;
        u64::try_from(counted.n).unwrap_or_default()
    } else {
        rows.len() as u64
    };
    Ok(SearchResults {
        hits: rows
            .into_iter()
            .map(|r| SearchHit {
                thread_id: ThreadId(r.thread_id),
                slug: r.slug,
                solved: r.solved,
                answer_count: r.answer_count,
                title: Marked(r.title),
                snippet: Marked(r.snippet),
            })
            .collect(),
        total,
        matching: request.matching,
    })
}
