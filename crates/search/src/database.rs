//! The database backend: SQLite FTS5 or PostgreSQL full text, whichever the forum runs on.
//!
//! `fulltext_threads` has a row per visible thread (title, tag names, the question and its
//! comments: what the asker wrote) and `fulltext_answers` a row per visible answer (the answer
//! and its comments), rewritten by [`refresh_thread`] and [`refresh_post`] inside the
//! transaction of every change to that text. A thread is found through any of its rows, so a
//! question whose words appear only in its answers is still found, and a long discussion
//! does not drown its title (both engines normalise by length); adding an answer writes one
//! small row. A search for every word asks each engine for the rows holding them all, which
//! both answer from their inverted index without looking at each match of a common word.
//! Everything a search filters or sorts on besides text (category, tags, solved,
//! score, deletion) is read from the live tables at query time, so it is never stale.
//!
//! Fork: this module and `stoa_db::dialect` are where the engines are told apart. FTS5 and
//! tsvector share neither DDL nor query syntax nor ranking functions, so each statement is
//! written once per engine, side by side.

use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};
use stoa_db::prepared::{Param as Bound, PreparedSql};
use stoa_db::{DbConn, MultiBackend, PostId, ThreadId};

use crate::query::Matching;
use crate::{Marked, SearchHit, SearchRequest, SearchResults, Sort};

/// Marks the start and end of a matched word in titles and snippets; control characters
/// cannot be typed into a post, so they cannot be confused with its text.
pub(crate) const MARK_START: char = '\u{2}';
pub(crate) const MARK_END: char = '\u{3}';

/// Matches of some of the words ranked per table, the newest first. Scoring every match of a
/// word found in most threads would cost microseconds per thread for a ranking that hardly
/// tells them apart, so words found in this many rows are left out of this ranking when
/// rarer words are in the query ([`rare_terms`]), and a query of common words only ranks its
/// newest matches (its results say so). On a community smaller than this, every search is
/// ranked exactly.
pub const RANKED_SOME: i64 = 1000;

/// Matches of every word ranked per table, the newest first. The rows holding every word are
/// few unless the words are common, and then the newest of them make a fair first page.
pub const RANKED_EVERY: i64 = 300;

/// Rows to write, as `SELECT`s over `threads t` / `posts p`; callers append conditions.
struct Documents {
    heads: &'static str,
    answers: &'static str,
}

const SQLITE_DOCUMENTS: Documents = Documents {
    heads: "SELECT t.id, t.title,
                   COALESCE((SELECT group_concat(g.name, ' ') FROM thread_tags tt
                             JOIN tags g ON g.id = tt.tag_id WHERE tt.thread_id = t.id), ''),
                   q.body_source || char(10) ||
                   COALESCE((SELECT group_concat(c.body_source, char(10)) FROM comments c
                             WHERE c.post_id = q.id), '')
            FROM threads t JOIN posts q ON q.thread_id = t.id AND q.is_question = 1
            WHERE t.deleted_at IS NULL AND q.deleted_at IS NULL",
    answers: "SELECT p.id,
                     p.body_source || char(10) ||
                     COALESCE((SELECT group_concat(c.body_source, char(10)) FROM comments c
                               WHERE c.post_id = p.id), ''),
                     p.thread_id
              FROM posts p JOIN threads t ON t.id = p.thread_id
              WHERE p.is_question = 0 AND p.deleted_at IS NULL AND t.deleted_at IS NULL",
};

const POSTGRES_DOCUMENTS: Documents = Documents {
    heads: "SELECT t.id, t.title,
                   COALESCE((SELECT string_agg(g.name, ' ') FROM thread_tags tt
                             JOIN tags g ON g.id = tt.tag_id WHERE tt.thread_id = t.id), ''),
                   q.body_source || E'\\n' ||
                   COALESCE((SELECT string_agg(c.body_source, E'\\n' ORDER BY c.id) FROM comments c
                             WHERE c.post_id = q.id), '')
            FROM threads t JOIN posts q ON q.thread_id = t.id AND q.is_question
            WHERE t.deleted_at IS NULL AND q.deleted_at IS NULL",
    answers: "SELECT p.id,
                     p.body_source || E'\\n' ||
                     COALESCE((SELECT string_agg(c.body_source, E'\\n' ORDER BY c.id) FROM comments c
                               WHERE c.post_id = p.id), ''),
                     p.thread_id
              FROM posts p JOIN threads t ON t.id = p.thread_id
              WHERE NOT p.is_question AND p.deleted_at IS NULL AND t.deleted_at IS NULL",
};

/// Which rows a rewrite covers: conditions on `t.id` (thread rows) and on `p` (answer rows,
/// with the ids of the old answer rows to delete, if there can be any), `$1` and `$2` standing
/// for parameters.
struct Scope {
    threads: Option<&'static str>,
    answers: Option<(&'static str, Option<&'static str>)>,
}

/// The statements that rewrite the rows in `scope`: delete them, insert them again from the
/// live tables (nothing, for what is deleted).
fn rewrite(conn: &DbConn, scope: &Scope) -> Vec<String> {
    let (documents, thread_key, post_key, columns) = match conn {
        DbConn::Sqlite(_) => (
            &SQLITE_DOCUMENTS,
            "rowid",
            "rowid",
            "rowid, body, thread_id",
        ),
        DbConn::Postgresql(_) => (
            &POSTGRES_DOCUMENTS,
            "thread_id",
            "post_id",
            "post_id, body, thread_id",
        ),
    };
    let mut statements = Vec::new();
    if let Some(threads) = scope.threads {
        statements.push(format!(
            "DELETE FROM fulltext_threads WHERE {}",
            threads.replace("t.id", thread_key)
        ));
        statements.push(format!(
            "INSERT INTO fulltext_threads ({thread_key}, title, tags, question) {} AND {threads}",
            documents.heads
        ));
    }
    if let Some((new_rows, old_posts)) = scope.answers {
        if let Some(old_posts) = old_posts {
            statements.push(format!(
                "DELETE FROM fulltext_answers WHERE {post_key} IN ({old_posts})"
            ));
        }
        statements.push(format!(
            "INSERT INTO fulltext_answers ({columns}) {} AND {new_rows}",
            documents.answers
        ));
    }
    statements
}

/// Runs `statements`, each with `params` bound where its `$1`, `$2` stand.
fn execute(conn: &mut DbConn, statements: Vec<String>, params: &[Bound]) -> QueryResult<()> {
    for statement in statements {
        PreparedSql::new(&statement, params).execute(conn)?;
    }
    Ok(())
}

/// Rewrites the search rows of `thread` and of all its answers from the live tables (or
/// removes them, when the thread is deleted): for a new thread, or one deleted or restored.
/// Call inside the transaction that changed it.
pub fn refresh_thread(conn: &mut DbConn, thread: ThreadId) -> QueryResult<()> {
    let scope = Scope {
        threads: Some("t.id = $1"),
        answers: Some((
            "p.thread_id = $1",
            Some("SELECT id FROM posts WHERE thread_id = $1"),
        )),
    };
    let statements = rewrite(conn, &scope);
    execute(conn, statements, &[thread.0.into()])
}

/// Rewrites the search row of one post: the thread's row for a question (its title, tags and
/// comments with it), the answer's own row for an answer. Call inside the transaction that
/// changed it.
pub fn refresh_post(conn: &mut DbConn, post: PostId) -> QueryResult<()> {
    use stoa_db::schema::posts;
    let Some((thread, is_question)) = posts::table
        .find(post)
        .select((posts::thread_id, posts::is_question))
        .first::<(ThreadId, bool)>(conn)
        .optional()?
    else {
        return Ok(());
    };
    let (scope, id) = if is_question {
        let scope = Scope {
            threads: Some("t.id = $1"),
            answers: None,
        };
        (scope, thread.0)
    } else {
        let scope = Scope {
            threads: None,
            answers: Some(("p.id = $1", Some("SELECT id FROM posts WHERE id = $1"))),
        };
        (scope, post.0)
    };
    let statements = rewrite(conn, &scope);
    execute(conn, statements, &[id.into()])
}

/// Writes the search row of `answer`, just written: it has none to replace.
pub fn add_answer(conn: &mut DbConn, answer: PostId) -> QueryResult<()> {
    let scope = Scope {
        threads: None,
        answers: Some(("p.id = $1", None)),
    };
    let statements = rewrite(conn, &scope);
    execute(conn, statements, &[answer.0.into()])
}

/// Rewrites the search rows of the next `limit` threads after id `after` and of their
/// answers, in id order; returns the last thread id done, or `None` when no thread is left.
/// A reindex calls it until `None`, then [`rebuild_finish`]; searches keep working meanwhile.
pub fn rebuild_batch(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Option<i64>> {
    #[derive(QueryableByName)]
    struct Last {
        #[diesel(sql_type = Nullable<BigInt>)]
        last: Option<i64>,
    }
    let last_of_batch = format!(
        "SELECT max(id) AS last FROM (SELECT id FROM threads WHERE id > {} ORDER BY id LIMIT {}) batch",
        placeholder(conn, 1),
        placeholder(conn, 2)
    );
    let Last { last } = diesel::sql_query(last_of_batch)
        .bind::<BigInt, _>(after)
        .bind::<BigInt, _>(limit)
        .get_result(conn)?;
    let Some(last) = last else { return Ok(None) };
    let scope = Scope {
        threads: Some("t.id > $1 AND t.id <= $2"),
        answers: Some((
            "p.thread_id > $1 AND p.thread_id <= $2",
            Some("SELECT id FROM posts WHERE thread_id > $1 AND thread_id <= $2"),
        )),
    };
    let statements = rewrite(conn, &scope);
    execute(conn, statements, &[after.into(), last.into()])?;
    Ok(Some(last))
}

/// Ends a reindex: drops rows whose thread or post is gone, and [`compact`]s the index.
pub fn rebuild_finish(conn: &mut DbConn) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConn::Sqlite(_) => {
            conn.batch_execute(
                "DELETE FROM fulltext_threads
                     WHERE rowid NOT IN (SELECT id FROM threads WHERE deleted_at IS NULL);
                 DELETE FROM fulltext_answers
                     WHERE rowid NOT IN (SELECT p.id FROM posts p JOIN threads t ON t.id = p.thread_id
                                         WHERE p.deleted_at IS NULL AND t.deleted_at IS NULL);",
            )?;
            compact(conn)
        }
        DbConn::Postgresql(_) => conn.batch_execute(
            "DELETE FROM fulltext_threads
                 WHERE thread_id NOT IN (SELECT id FROM threads WHERE deleted_at IS NULL);
             DELETE FROM fulltext_answers
                 WHERE post_id NOT IN (SELECT p.id FROM posts p JOIN threads t ON t.id = p.thread_id
                                       WHERE p.deleted_at IS NULL AND t.deleted_at IS NULL);",
        ),
    }
}

/// The full-text tables, each named as its own FTS5 command column.
const SQLITE_FULLTEXT_TABLES: [&str; 2] = ["fulltext_threads", "fulltext_answers"];

/// Merges the full-text index into one segment per table, after a bulk load (an import, a
/// reindex). A search reads each segment holding its words, so the fewer the faster: at 100k
/// posts, 27 segments against 1 made a search take about twice as long (docs/benchmarks.md).
///
/// Fork: FTS5 writes its index in segments and merges them as rows arrive; PostgreSQL's GIN
/// index has nothing to merge.
pub fn compact(conn: &mut DbConn) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    if let DbConn::Sqlite(_) = conn {
        for table in SQLITE_FULLTEXT_TABLES {
            conn.batch_execute(&format!(
                "INSERT INTO {table} ({table}) VALUES ('optimize')"
            ))?;
        }
    }
    Ok(())
}

/// Index pages merged by one [`tidy_step`] per table, at most: tens of milliseconds of the
/// writer's time.
const TIDY_PAGES: u32 = 500;

/// Merges some of the full-text index's segments, on the levels that hold two or more (FTS5
/// by itself waits for four, so a forum's every-day writes leave a few on each level; the
/// tables are set to merge from two, `usermerge`). Returns whether anything was merged: run
/// it, each time in its own write transaction, until it returns `false`.
pub fn tidy_step(conn: &mut DbConn) -> QueryResult<bool> {
    use diesel::connection::SimpleConnection;
    if let DbConn::Postgresql(_) = conn {
        return Ok(false);
    }
    let mut merged = false;
    for table in SQLITE_FULLTEXT_TABLES {
        let changes = |conn: &mut DbConn| {
            diesel::sql_query("SELECT total_changes() AS n")
                .get_result::<Count>(conn)
                .map(|c| c.n)
        };
        let before = changes(conn)?;
        conn.batch_execute(&format!(
            "INSERT INTO {table} ({table}, rank) VALUES ('merge', {TIDY_PAGES})"
        ))?;
        // A merge that found nothing to do counts one change; one that merged, more.
        merged |= changes(conn)? - before >= 2;
    }
    Ok(merged)
}

/// The placeholder of the `n`th bind parameter (SQLite accepts `?N` as PostgreSQL `$N`).
fn placeholder(conn: &DbConn, n: usize) -> String {
    placeholder_for(Engine::of(conn), n)
}

fn placeholder_for(engine: Engine, n: usize) -> String {
    match engine {
        Engine::Sqlite => format!("?{n}"),
        Engine::Postgres => format!("${n}"),
    }
}

/// Which engine a statement is written for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    fn of(conn: &DbConn) -> Engine {
        match conn {
            DbConn::Sqlite(_) => Engine::Sqlite,
            DbConn::Postgresql(_) => Engine::Postgres,
        }
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

/// A thread's search rows as the index holds them (its answers' joined in post order).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Document {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub tags: String,
    #[diesel(sql_type = Text)]
    pub question: String,
    #[diesel(sql_type = Text)]
    pub answers: String,
}

/// The text of a thread's answer rows, as SQL over a thread id `{thread}`, in post order.
pub(crate) fn answers_text(conn: &DbConn, thread: &str) -> String {
    match conn {
        DbConn::Sqlite(_) => format!(
            "COALESCE((SELECT group_concat(body, char(10)) FROM
                 (SELECT a.body FROM fulltext_answers a
                  WHERE a.rowid IN (SELECT id FROM posts WHERE thread_id = {thread})
                  ORDER BY a.rowid)), '')"
        ),
        DbConn::Postgresql(_) => format!(
            "COALESCE((SELECT string_agg(a.body, E'\\n' ORDER BY a.post_id)
                       FROM fulltext_answers a WHERE a.thread_id = {thread}), '')"
        ),
    }
}

/// Every thread's documents, in id order: what a reindex must reproduce.
pub fn dump(conn: &mut DbConn) -> QueryResult<Vec<Document>> {
    let key = match conn {
        DbConn::Sqlite(_) => "rowid",
        DbConn::Postgresql(_) => "thread_id",
    };
    let answers = answers_text(conn, &format!("h.{key}"));
    diesel::sql_query(format!(
        "SELECT h.{key} AS id, h.title, h.tags, h.question, {answers} AS answers
         FROM fulltext_threads h ORDER BY h.{key}"
    ))
    .load(conn)
}

/// A value to bind.
enum Param {
    Text(String),
    Int(i64),
}

/// SQL text and its parameters, numbered in the order they are added.
struct Statement {
    engine: Engine,
    sql: String,
    params: Vec<Param>,
}

impl Statement {
    fn new(engine: Engine) -> Self {
        Statement {
            engine,
            sql: String::new(),
            params: Vec::new(),
        }
    }

    /// Adds a parameter; returns its placeholder, which may be used several times.
    fn param(&mut self, value: Param) -> String {
        self.params.push(value);
        placeholder_for(self.engine, self.params.len())
    }

    fn text(&mut self, value: &str) -> String {
        self.param(Param::Text(value.to_owned()))
    }

    fn int(&mut self, value: i64) -> String {
        self.param(Param::Int(value))
    }

    fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }

    fn query(&self) -> BoxedSqlQuery<'static, MultiBackend, SqlQuery> {
        let mut query = diesel::sql_query(self.sql.clone()).into_boxed::<MultiBackend>();
        for param in &self.params {
            query = match param {
                Param::Text(s) => query.bind::<Text, _>(s.clone()),
                Param::Int(i) => query.bind::<BigInt, _>(*i),
            };
        }
        query
    }
}

/// Column weights for FTS5's bm25 on `fulltext_threads`: a word in the title counts most,
/// then the tags, then the question. (`fulltext_answers` has one column.)
const SQLITE_WEIGHTS: &str = "10.0, 5.0, 2.0";

/// The weights of PostgreSQL's classes D, C, B and A (answers, question, tags, title) for
/// `ts_rank`, made to rank as FTS5's bm25 does with [`SQLITE_WEIGHTS`]: bm25 multiplies a
/// hit by its column's weight and then saturates it (`tf·(k1+1) / (tf+k1)`, `k1` = 1.2), so
/// one hit in a title (10) scores 1.96, in the tags (5) 1.77, in the question (2) 1.38 and in
/// an answer (1) 1.0; relative to the title, 0.51, 0.70, 0.90 and 1. (PostgreSQL's default,
/// 0.1, 0.2, 0.4 and 1, made a title hit on a common word outweigh a question hit on a rare
/// one: recall@10 0.67 and 0.63 instead of 0.83 on the beer site, docs/search-quality.md.)
const POSTGRES_CLASS_WEIGHTS: &str = "{0.51, 0.70, 0.90, 1.0}";

/// What one statement ranks, as match expressions: the rows holding every word, which make
/// their thread a complete result, and the rows holding some of the (rarer) words, which make
/// it a partial one.
struct Ranking<'a> {
    every: Option<&'a str>,
    some: Option<&'a str>,
    /// Each term's weight in each table, where the engine's ranking has none of its own
    /// (PostgreSQL); empty where it has (FTS5's bm25).
    rarity: &'a [Rarity],
}

/// How much a term tells threads apart in each table: the inverse of how many rows hold it,
/// as FTS5's bm25 weighs it (`ln((N - n + 0.5) / (n + 0.5))`, at least 10⁻⁶).
#[derive(Debug, Clone)]
struct Rarity {
    term: String,
    head: f64,
    talk: f64,
}

/// One kind of ranked match in a statement: its name (`{name}_head`, `{name}_talk`), its
/// match expression, whether its rows make a thread complete, and how many are ranked.
struct Ranked<'a> {
    name: &'static str,
    expression: &'a str,
    complete: bool,
    cap: i64,
}

impl<'a> Ranking<'a> {
    /// The kinds of match the statement ranks.
    fn kinds(&self) -> impl Iterator<Item = Ranked<'a>> {
        let every = self.every.map(|expression| Ranked {
            name: "every",
            expression,
            complete: true,
            cap: RANKED_EVERY,
        });
        let some = self.some.map(|expression| Ranked {
            name: "some",
            expression,
            complete: false,
            cap: RANKED_SOME,
        });
        every.into_iter().chain(some)
    }
}

/// Appends the `WITH` part: the newest matches of each match expression in each table
/// ([`RANKED_EVERY`], [`RANKED_SOME`]), scored, and per thread whether it is complete, with
/// the score of its rows holding every word; a partial thread's score is that of its rows
/// holding some.
fn ranked(s: &mut Statement, ranking: &Ranking) {
    let rarity = ranking.rarity;
    let scored = |s: &mut Statement, name: &str, expression: &str, cap: i64| {
        let p = s.text(expression);
        match s.engine {
            // FTS5 walks its matches in rowid order, so the newest come first and the limit
            // stops the scoring early.
            Engine::Sqlite => format!(
                "{name}_head AS MATERIALIZED (
                     SELECT rowid AS id, bm25(fulltext_threads, {SQLITE_WEIGHTS}) AS score
                     FROM fulltext_threads WHERE fulltext_threads MATCH {p}
                     ORDER BY rowid DESC LIMIT {cap}),
                 {name}_talk AS MATERIALIZED (
                     SELECT thread_id AS id, bm25(fulltext_answers) AS score
                     FROM fulltext_answers WHERE fulltext_answers MATCH {p}
                     ORDER BY rowid DESC LIMIT {cap})"
            ),
            // ts_rank with normalisation 1 divides by 1 + log(length) (on the beer site it
            // found more originals than ts_rank_cd, which weighs how close the words are).
            // It knows nothing of how rare a word is, so each term is ranked alone and
            // weighed by its rarity in the table, as bm25 does. PostgreSQL computes it after
            // the sort, for the rows kept.
            Engine::Postgres => {
                let score = |s: &mut Statement, weight: fn(&Rarity) -> f64| {
                    let terms: Vec<String> = rarity
                        .iter()
                        .map(|r| {
                            let t = s.text(&r.term);
                            format!(
                                "{:.4} * ts_rank('{POSTGRES_CLASS_WEIGHTS}', document, \
                                                 to_tsquery('stoa_english', {t}), 1)",
                                weight(r)
                            )
                        })
                        .collect();
                    if terms.is_empty() {
                        "0".to_owned()
                    } else {
                        format!("({})", terms.join(" + "))
                    }
                };
                let head = score(s, |r| r.head);
                let talk = score(s, |r| r.talk);
                format!(
                    "{name}_head AS MATERIALIZED (
                         SELECT thread_id AS id, {head} AS score
                         FROM fulltext_threads WHERE document @@ to_tsquery('stoa_english', {p})
                         ORDER BY thread_id DESC LIMIT {cap}),
                     {name}_talk AS MATERIALIZED (
                         SELECT thread_id AS id, {talk} AS score
                         FROM fulltext_answers WHERE document @@ to_tsquery('stoa_english', {p})
                         ORDER BY post_id DESC LIMIT {cap})"
                )
            }
        }
    };
    let mut parts = Vec::new();
    let mut matched = Vec::new();
    for kind in ranking.kinds() {
        let (name, complete) = (kind.name, u8::from(kind.complete));
        parts.push(scored(s, name, kind.expression, kind.cap));
        matched.push(format!(
            "SELECT id, score, {complete} AS complete FROM {name}_head
             UNION ALL SELECT id, score, {complete} FROM {name}_talk"
        ));
    }
    s.push(&format!(
        "WITH {},
         ranked AS (
             SELECT id, max(complete) AS complete,
                    CASE WHEN max(complete) = 1 THEN sum(score * complete)
                         ELSE sum(score) END AS score
             FROM ({}) m
             GROUP BY id) ",
        parts.join(", "),
        matched.join(" UNION ALL ")
    ));
}

/// Whether thread `t` holds `term` in its own row or in one of its answers. The answers' side
/// goes through `posts` by post id: reading each match's thread id from the full-text table
/// would cost a lookup per match of a common word.
fn holds(s: &mut Statement, term: &str) -> String {
    let p = s.text(term);
    match s.engine {
        Engine::Sqlite => format!(
            "(t.id IN (SELECT rowid FROM fulltext_threads WHERE fulltext_threads MATCH {p})
              OR EXISTS (SELECT 1 FROM posts a WHERE a.thread_id = t.id AND a.id IN
                         (SELECT rowid FROM fulltext_answers WHERE fulltext_answers MATCH {p})))"
        ),
        Engine::Postgres => format!(
            "(t.id IN (SELECT thread_id FROM fulltext_threads
                       WHERE document @@ to_tsquery('stoa_english', {p}))
              OR EXISTS (SELECT 1 FROM fulltext_answers a WHERE a.thread_id = t.id
                         AND a.document @@ to_tsquery('stoa_english', {p})))"
        ),
    }
}

/// Appends `FROM … WHERE …`: the ranked threads that are visible, hold none of the excluded
/// words, and pass the filters.
fn from_where(s: &mut Statement, request: &SearchRequest, excluded: &[String]) {
    s.push(" FROM ranked r JOIN threads t ON t.id = r.id WHERE t.deleted_at IS NULL");
    for word in excluded {
        let holds = holds(s, word);
        s.push(&format!(" AND NOT {holds}"));
    }
    let filter = &request.filter;
    if let Some(category) = filter.category {
        let p = s.int(category.0);
        s.push(&format!(" AND t.category_id = {p}"));
    }
    if let Some(tag) = filter.tag {
        let p = s.int(tag.0);
        s.push(&format!(
            " AND EXISTS (SELECT 1 FROM thread_tags tt WHERE tt.thread_id = t.id AND tt.tag_id = {p})"
        ));
    }
    if filter.solved {
        s.push(" AND t.accepted_answer_id IS NOT NULL");
    }
    if filter.unanswered {
        s.push(" AND t.answer_count = 0");
    }
    if let Some(author) = filter.author {
        let p = s.int(author.0);
        s.push(&format!(" AND t.author_id = {p}"));
    }
    if let Some(thread) = request.exclude {
        let p = s.int(thread.0);
        s.push(&format!(" AND t.id <> {p}"));
    }
}

/// The order of `found` rows.
fn order(engine: Engine, sort: Sort) -> &'static str {
    match (sort, engine) {
        (Sort::Relevance, Engine::Sqlite) => "score, thread_id DESC",
        (Sort::Relevance, Engine::Postgres) => "score DESC, thread_id DESC",
        (Sort::Newest, _) => "created_at DESC, thread_id DESC",
        (Sort::Votes, _) => {
            "(SELECT q.score FROM posts q WHERE q.thread_id = found.thread_id AND q.is_question = TRUE) DESC, thread_id DESC"
        }
    }
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    thread_id: i64,
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Bool)]
    solved: bool,
    #[diesel(sql_type = Integer)]
    answer_count: i32,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    snippet: String,
    /// Every result of the search, not only this page's.
    #[diesel(sql_type = BigInt)]
    total: i64,
    /// The results where one row holds every word.
    #[diesel(sql_type = BigInt)]
    complete_total: i64,
    /// A table had more matches than were ranked.
    #[diesel(sql_type = Bool)]
    capped: bool,
}

/// Words in a snippet.
const SNIPPET_WORDS: usize = 24;

/// The first words of `text`, for a result whose title holds the words searched for (read
/// from at most [`OPENING_CHARS`] characters).
fn opening(text: &str) -> String {
    let mut words = text.split_whitespace();
    let mut out = words
        .by_ref()
        .take(SNIPPET_WORDS)
        .collect::<Vec<_>>()
        .join(" ");
    if words.next().is_some() {
        out.push('…');
    }
    out
}

/// Characters of a question read for its [`opening`].
const OPENING_CHARS: usize = 1000;

/// Marks the matched words in the titles of `rows` and gives each a snippet: the question's
/// first words when the title holds the words searched for, else the question's lines around
/// them, or the first answer's that holds them. FTS5 computes marks only while matching, so
/// this matches again for the page's rows alone, each row by `MATCH … AND rowid = n` (a seek;
/// a `rowid IN (…)` list would walk every match), the seeks of a table in one statement: at
/// most three statements for a page. (A snippet reads its whole column, so it is made only
/// where it is shown.)
fn mark_sqlite(conn: &mut DbConn, any: &str, rows: &mut [Row]) -> QueryResult<()> {
    use std::collections::HashMap;
    use stoa_db::schema::posts;
    #[derive(QueryableByName)]
    struct Marks {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        title: String,
        #[diesel(sql_type = Text)]
        snippet: String,
        /// `snippet` is the start of the question, unmarked.
        #[diesel(sql_type = Bool)]
        opening: bool,
    }
    /// Answers looked at for a snippet, at most, per thread.
    const ANSWERS_LOOKED_AT: usize = 3;
    // The ids are integers read from the database just now, so they are written inline.
    let seeks = |ids: &[i64], select: &str, table: &str| {
        ids.iter()
            .map(|id| format!("SELECT {id} AS id, {select} FROM {table} WHERE {table} MATCH ?1 AND rowid = {id}"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ")
    };
    let threads: Vec<i64> = rows.iter().map(|r| r.thread_id).collect();
    if threads.is_empty() {
        return Ok(());
    }
    let title = "highlight(fulltext_threads, 0, char(2), char(3))";
    let questions: HashMap<i64, Marks> = diesel::sql_query(seeks(
        &threads,
        &format!(
            "{title} AS title, instr({title}, char(2)) > 0 AS opening,
             CASE WHEN instr({title}, char(2)) > 0 THEN substr(question, 1, {OPENING_CHARS})
                  ELSE snippet(fulltext_threads, 2, char(2), char(3), '…', {SNIPPET_WORDS})
             END AS snippet"
        ),
        "fulltext_threads",
    ))
    .bind::<Text, _>(any)
    .load::<Marks>(conn)?
    .into_iter()
    .map(|m| (m.id, m))
    .collect();
    let unmarked: Vec<ThreadId> = threads
        .iter()
        .filter(|t| {
            !questions
                .get(t)
                .is_some_and(|m| m.opening || m.snippet.contains(MARK_START))
        })
        .map(|&t| ThreadId(t))
        .collect();
    let mut answers: HashMap<i64, i64> = HashMap::new();
    if !unmarked.is_empty() {
        let mut looked_at: HashMap<ThreadId, usize> = HashMap::new();
        let candidates: Vec<(ThreadId, PostId)> = posts::table
            .filter(posts::thread_id.eq_any(&unmarked))
            .filter(posts::is_question.eq(false))
            .filter(posts::deleted_at.is_null())
            .order((posts::thread_id, posts::id))
            .select((posts::thread_id, posts::id))
            .load(conn)?;
        let mut thread_of: HashMap<i64, i64> = HashMap::new();
        for (thread, post) in candidates {
            let n = looked_at.entry(thread).or_default();
            if *n < ANSWERS_LOOKED_AT {
                *n += 1;
                thread_of.insert(post.0, thread.0);
            }
        }
        let mut ids: Vec<i64> = thread_of.keys().copied().collect();
        ids.sort_unstable();
        if !ids.is_empty() {
            let found: Vec<Marks> = diesel::sql_query(seeks(
                &ids,
                &format!(
                    "'' AS title, FALSE AS opening,
                     snippet(fulltext_answers, 0, char(2), char(3), '…', {SNIPPET_WORDS}) AS snippet"
                ),
                "fulltext_answers",
            ))
            .bind::<Text, _>(any)
            .load(conn)?;
            // The first answer (by id) with a mark gives its thread's snippet.
            for marks in found.iter().filter(|m| m.snippet.contains(MARK_START)) {
                if let Some(&thread) = thread_of.get(&marks.id) {
                    let best = answers.entry(thread).or_insert(marks.id);
                    *best = (*best).min(marks.id);
                }
            }
            let snippets: HashMap<i64, &Marks> = found.iter().map(|m| (m.id, m)).collect();
            for row in rows.iter_mut() {
                if let Some(snippet) = answers.get(&row.thread_id).and_then(|a| snippets.get(a)) {
                    row.snippet = snippet.snippet.clone();
                }
            }
        }
    }
    for row in rows.iter_mut() {
        if let Some(question) = questions.get(&row.thread_id) {
            row.title = question.title.clone();
            if question.opening {
                row.snippet = opening(&question.snippet);
            } else if !answers.contains_key(&row.thread_id) {
                row.snippet = question.snippet.clone();
            }
        }
    }
    Ok(())
}

/// A term, and how many rows of each table hold it (each count stops at [`RANKED_SOME`]).
struct TermCount {
    term: String,
    head: i64,
    talk: i64,
}

/// How many rows of each table hold each of `terms`, counted up to [`RANKED_SOME`] (so this
/// costs little even for common words).
fn term_counts(conn: &mut DbConn, terms: &[String]) -> QueryResult<Vec<TermCount>> {
    let probes = match conn {
        DbConn::Sqlite(_) => [
            "SELECT count(*) AS n FROM (SELECT 1 FROM fulltext_threads WHERE fulltext_threads MATCH ?1 LIMIT ?2)",
            "SELECT count(*) AS n FROM (SELECT 1 FROM fulltext_answers WHERE fulltext_answers MATCH ?1 LIMIT ?2)",
        ],
        DbConn::Postgresql(_) => [
            "SELECT count(*) AS n FROM (SELECT 1 FROM fulltext_threads
                 WHERE document @@ to_tsquery('stoa_english', $1) LIMIT $2) x",
            "SELECT count(*) AS n FROM (SELECT 1 FROM fulltext_answers
                 WHERE document @@ to_tsquery('stoa_english', $1) LIMIT $2) x",
        ],
    };
    let mut counts = Vec::with_capacity(terms.len());
    for term in terms {
        let mut count = |probe: &str| {
            diesel::sql_query(probe)
                .bind::<Text, _>(term)
                .bind::<BigInt, _>(RANKED_SOME)
                .get_result::<Count>(conn)
                .map(|c| c.n)
        };
        let head = count(probes[0])?;
        let talk = count(probes[1])?;
        counts.push(TermCount {
            term: term.clone(),
            head,
            talk,
        });
    }
    Ok(counts)
}

/// The terms found in fewer than [`RANKED_SOME`] rows of both tables, or all of them when
/// none is.
fn rare_terms(counts: &[TermCount]) -> Vec<String> {
    let rare: Vec<String> = counts
        .iter()
        .filter(|c| c.head < RANKED_SOME && c.talk < RANKED_SOME)
        .map(|c| c.term.clone())
        .collect();
    if rare.is_empty() {
        counts.iter().map(|c| c.term.clone()).collect()
    } else {
        rare
    }
}

/// Each term's [`Rarity`] in each table, from `counts` and the tables' sizes (PostgreSQL).
fn rarities(conn: &mut DbConn, counts: &[TermCount]) -> QueryResult<Vec<Rarity>> {
    #[derive(QueryableByName)]
    struct Sizes {
        #[diesel(sql_type = BigInt)]
        head: i64,
        #[diesel(sql_type = BigInt)]
        talk: i64,
    }
    // The planner's row counts, so no table is read; a table never analysed yet (-1: a
    // small one, autovacuum analyses after 50 changed rows) is counted.
    let sizes: Sizes = diesel::sql_query(
        "SELECT (SELECT CASE WHEN reltuples < 0 THEN (SELECT count(*) FROM fulltext_threads)
                             ELSE reltuples::bigint END
                 FROM pg_class WHERE oid = 'fulltext_threads'::regclass) AS head,
                (SELECT CASE WHEN reltuples < 0 THEN (SELECT count(*) FROM fulltext_answers)
                             ELSE reltuples::bigint END
                 FROM pg_class WHERE oid = 'fulltext_answers'::regclass) AS talk",
    )
    .get_result(conn)?;
    // FTS5's bm25 weighs a term so: a word in half the rows or more tells nothing.
    let idf = |n: i64, size: i64| {
        let (n, size) = (n as f64, size.max(n) as f64);
        ((size - n + 0.5) / (n + 0.5)).ln().max(1e-6)
    };
    Ok(counts
        .iter()
        .map(|c| Rarity {
            term: c.term.clone(),
            head: idf(c.head, sizes.head),
            talk: idf(c.talk, sizes.talk),
        })
        .collect())
}

/// Runs a search on the database.
///
/// A strict search ([`Matching::All`]) finds the threads where one row holds every word: the
/// question (with its title, tags and comments) or one answer (with its comments), as a
/// reader would find them in one post. When its first page finds fewer of those than a page,
/// it reaches on to the threads holding some of the words, best first after the complete
/// ones, and says so ([`Matching::EveryWordFirst`] in the results).
pub fn search(conn: &mut DbConn, request: &SearchRequest) -> QueryResult<SearchResults> {
    let engine = Engine::of(conn);
    let (terms, excluded, and, or) = match engine {
        Engine::Sqlite => (
            request.query.fts5_terms(),
            request
                .query
                .excluded
                .iter()
                .map(|w| format!("\"{w}\""))
                .collect(),
            " AND ",
            " OR ",
        ),
        Engine::Postgres => (
            request.query.tsquery_terms(),
            request.query.excluded.clone(),
            " & ",
            " | ",
        ),
    };
    let search = Search {
        request,
        excluded: &excluded,
        marked: terms.join(or),
    };
    let every = terms.join(and);
    let several = terms.len() > 1;
    // PostgreSQL weighs each term by its rarity, so it counts them first; SQLite counts them
    // only to choose the rarer ones for partial matches, when there are any.
    let counts = match engine {
        Engine::Postgres => Some(term_counts(conn, &terms)?),
        Engine::Sqlite => None,
    };
    let rarity = match &counts {
        Some(counts) => rarities(conn, counts)?,
        None => Vec::new(),
    };
    // The partial matches are ranked by the rarer terms (a thread holding those holds what
    // the reader was most specific about).
    let some = |conn: &mut DbConn| -> QueryResult<String> {
        let rare = match (&counts, several) {
            (_, false) => terms.clone(),
            (Some(counts), true) => rare_terms(counts),
            (None, true) => rare_terms(&term_counts(conn, &terms)?),
        };
        Ok(rare.join(or))
    };
    let (rows, matching) = match request.matching {
        Matching::Any => {
            let some = some(conn)?;
            let ranking = Ranking {
                every: None,
                some: Some(&some),
                rarity: &rarity,
            };
            (search.run(conn, &ranking, request.offset)?, Matching::Any)
        }
        Matching::EveryWordFirst if several => {
            let some = some(conn)?;
            let ranking = Ranking {
                every: Some(&every),
                some: Some(&some),
                rarity: &rarity,
            };
            (
                search.run(conn, &ranking, request.offset)?,
                Matching::EveryWordFirst,
            )
        }
        Matching::All | Matching::EveryWordFirst => {
            let strict = Ranking {
                every: Some(&every),
                some: None,
                rarity: &rarity,
            };
            let rows = search.run(conn, &strict, request.offset)?;
            let complete = rows.first().map_or(0, |r| r.complete_total);
            if several && request.offset == 0 && complete < i64::from(request.limit) {
                let some = some(conn)?;
                let widened = Ranking {
                    every: Some(&every),
                    some: Some(&some),
                    rarity: &rarity,
                };
                (search.run(conn, &widened, 0)?, Matching::EveryWordFirst)
            } else {
                (rows, Matching::All)
            }
        }
    };
    let (total, capped) = rows.first().map_or((0, false), |r| {
        (u64::try_from(r.total).unwrap_or_default(), r.capped)
    });
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
        total_is_lower_bound: capped,
        matching,
    })
}

/// What every statement of one search shares.
struct Search<'a> {
    request: &'a SearchRequest,
    excluded: &'a [String],
    /// Every term, any of which is marked in titles and snippets.
    marked: String,
}

impl Search<'_> {
    /// One page of the threads `ranking` finds, complete ones first, with their marked titles
    /// and snippets if the request wants them, each row carrying the totals.
    fn run(&self, conn: &mut DbConn, ranking: &Ranking, offset: u32) -> QueryResult<Vec<Row>> {
        let engine = Engine::of(conn);
        let request = self.request;
        let mut s = Statement::new(engine);
        ranked(&mut s, ranking);
        // `found`: the visible, filtered matches; titles and snippets are read for the page's
        // rows only.
        s.push(
            ", found AS MATERIALIZED (SELECT t.id AS thread_id, t.created_at, r.score, r.complete",
        );
        from_where(&mut s, request, self.excluded);
        s.push(") ");
        let order = match (ranking.every.and(ranking.some), order(engine, request.sort)) {
            (Some(_), order) => format!("complete DESC, {order}"),
            (None, order) => order.to_owned(),
        };
        let capped = ranking
            .kinds()
            .flat_map(|kind| {
                ["head", "talk"].map(|table| {
                    format!(
                        "(SELECT count(*) FROM {}_{table}) >= {}",
                        kind.name, kind.cap
                    )
                })
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        let limit = s.int(i64::from(request.limit));
        let offset = s.int(i64::from(offset));
        let page = format!(
            "SELECT row_number() OVER (ORDER BY {order}) AS position, thread_id,
                    count(*) OVER () AS total, sum(complete) OVER () AS complete_total,
                    ({capped}) AS capped
             FROM found ORDER BY {order} LIMIT {limit} OFFSET {offset}"
        );
        let columns = "p.thread_id, t.slug, t.accepted_answer_id IS NOT NULL AS solved,
                       t.answer_count, p.total, p.complete_total, p.capped";
        match (engine, request.headlines) {
            (Engine::Sqlite, _) | (Engine::Postgres, false) => s.push(&format!(
                "SELECT {columns}, t.title, '' AS snippet
                 FROM ({page}) p JOIN threads t ON t.id = p.thread_id ORDER BY p.position"
            )),
            (Engine::Postgres, true) => {
                // The headlines are made for the page's rows only: the question's lines
                // around the words, or the first answer's that holds them.
                let q = format!("to_tsquery('stoa_english', {})", s.text(&self.marked));
                let marks = "StartSel=\u{2}, StopSel=\u{3}";
                let fragments =
                    "MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \"";
                s.push(&format!(
                    "SELECT {columns},
                            ts_headline('stoa_english', h.title, {q}, 'HighlightAll=true, {marks}') AS title,
                            CASE WHEN strpos(x.question, chr(2)) > 0 THEN x.question
                                 ELSE COALESCE((SELECT ts_headline('stoa_english', left(a.body, 5000), {q},
                                                                   '{fragments}, {marks}')
                                                FROM fulltext_answers a
                                                WHERE a.thread_id = p.thread_id AND a.document @@ {q}
                                                ORDER BY a.post_id LIMIT 1), x.question)
                            END AS snippet
                     FROM ({page}) p
                     JOIN threads t ON t.id = p.thread_id
                     JOIN fulltext_threads h ON h.thread_id = p.thread_id
                     CROSS JOIN LATERAL (SELECT ts_headline('stoa_english', left(h.question, 5000), {q},
                                                            '{fragments}, {marks}') AS question) x
                     ORDER BY p.position"
                ));
            }
        }
        let mut rows: Vec<Row> = s.query().load(conn)?;
        if engine == Engine::Sqlite && request.headlines {
            mark_sqlite(conn, &self.marked, &mut rows)?;
        }
        Ok(rows)
    }
}
