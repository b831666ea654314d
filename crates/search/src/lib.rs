//! Stoa search: finding the answer that already exists.
//!
//! [`SearchIndex`] is what the web front asks. Two backends answer it: the database the forum
//! runs on ([`DatabaseIndex`]: SQLite FTS5 or PostgreSQL full text, kept in step with the
//! content inside each write transaction by [`sync::thread_changed`]) and Meilisearch, fed
//! through an outbox of jobs written in those same transactions.
//!
//! Visibility is decided when searching, from the live tables: a deleted thread or answer is
//! gone from results the moment its deletion commits, whatever an index still holds.

pub mod database;
pub mod eval;
pub mod meili;
pub mod outbox;
pub mod query;
pub mod sync;

use std::future::Future;
use std::pin::Pin;

use stoa_db::{CategoryId, Db, TagId, ThreadId, UserId};

pub use query::{Matching, Query, QueryError};

/// Search errors, with no HTTP in them.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Db(#[from] stoa_db::Error),
    #[error("the search engine failed: {0}")]
    Engine(String),
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        Error::Db(e.into())
    }
}

/// Narrows a search; every filter is optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    pub category: Option<CategoryId>,
    pub tag: Option<TagId>,
    /// Only questions with an accepted answer.
    pub solved: bool,
    /// Only questions without any answer.
    pub unanswered: bool,
    /// Only questions asked by this member.
    pub author: Option<UserId>,
}

/// The order of results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Best match first.
    #[default]
    Relevance,
    Newest,
    /// Highest-scored question first.
    Votes,
}

impl Sort {
    /// Every order, in the order the page offers them.
    pub const ALL: [Sort; 3] = [Sort::Relevance, Sort::Newest, Sort::Votes];

    /// The URL spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Newest => "newest",
            Sort::Votes => "votes",
        }
    }

    /// Reads the URL spelling; anything else is relevance.
    pub fn parse(s: &str) -> Sort {
        Sort::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .unwrap_or_default()
    }
}

/// One search.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: Query,
    pub matching: Matching,
    pub filter: Filter,
    pub sort: Sort,
    pub offset: u32,
    pub limit: u32,
    /// A thread to leave out (the one whose related questions are wanted).
    pub exclude: Option<ThreadId>,
    /// Whether hits carry their titles with the matched words marked, and snippets: the
    /// search page shows them; suggestions show plain titles, and marking cost the thread
    /// page three quarters of its rendering.
    pub headlines: bool,
}

impl SearchRequest {
    /// A request for the first `limit` results of `query`, best first, counted.
    pub fn new(query: Query, limit: u32) -> SearchRequest {
        SearchRequest {
            query,
            matching: Matching::All,
            filter: Filter::default(),
            sort: Sort::Relevance,
            offset: 0,
            limit,
            exclude: None,
            headlines: true,
        }
    }

    /// Questions like the one titled in `query` ("similar questions", "related questions"):
    /// any of its words, best first, with plain titles and no snippets.
    pub fn similar(query: Query, limit: u32, exclude: Option<ThreadId>) -> SearchRequest {
        SearchRequest {
            matching: Matching::Any,
            exclude,
            headlines: false,
            ..SearchRequest::new(query, limit)
        }
    }
}

/// Text in which the matched words are marked, from the engine; [`Marked::to_html`] makes it
/// safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked(pub String);

impl Marked {
    /// The text HTML-escaped, with each matched stretch in `<mark>`.
    pub fn to_html(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + 16);
        for c in self.0.chars() {
            match c {
                database::MARK_START => out.push_str("<mark>"),
                database::MARK_END => out.push_str("</mark>"),
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c => out.push(c),
            }
        }
        out
    }

    /// The text without marks.
    pub fn plain(&self) -> String {
        self.0
            .chars()
            .filter(|&c| c != database::MARK_START && c != database::MARK_END)
            .collect()
    }
}

/// A thread that matched.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub thread_id: ThreadId,
    pub slug: String,
    pub solved: bool,
    pub answer_count: i32,
    pub title: Marked,
    /// A few lines of the question or an answer around the matched words.
    pub snippet: Marked,
}

/// A page of results.
#[derive(Debug, Clone)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Every match.
    pub total: u64,
    /// There are more than `total` matches: a word was in so many threads that only the
    /// newest were ranked.
    pub total_is_lower_bound: bool,
    /// How the query was matched: [`Matching::EveryWordFirst`] when too few threads held every
    /// word and the search was widened.
    pub matching: Matching,
}

/// A boxed future, so that [`SearchIndex`] can be used as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where searches go: the database, or an external engine.
pub trait SearchIndex: Send + Sync + std::fmt::Debug {
    /// The backend's name, for `stoa search status` and the logs.
    fn name(&self) -> &'static str;

    /// Runs one search as asked (the database backend widens a strict first page itself).
    fn run<'a>(&'a self, request: &'a SearchRequest)
    -> BoxFuture<'a, Result<SearchResults, Error>>;

    /// Runs a search; when nothing holds every word of a multi-word query sorted by
    /// relevance, runs it again matching any word, so a reader still gets the closest
    /// questions (the results say which happened).
    fn search<'a>(
        &'a self,
        request: &'a SearchRequest,
    ) -> BoxFuture<'a, Result<SearchResults, Error>> {
        Box::pin(async move {
            let found = self.run(request).await?;
            if !widening_helps(request, &found) {
                return Ok(found);
            }
            let wider = SearchRequest {
                matching: Matching::EveryWordFirst,
                ..request.clone()
            };
            self.run(&wider).await
        })
    }
}

/// A strict search found fewer than a page, and matching any word could find more.
fn widening_helps(request: &SearchRequest, found: &SearchResults) -> bool {
    request.matching == Matching::All
        && request.sort == Sort::Relevance
        && request.offset == 0
        && request.query.len() > 1
        && found.total < u64::from(request.limit)
}

/// The database backend (the default): searches the forum's own SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct DatabaseIndex {
    db: Db,
}

impl DatabaseIndex {
    pub fn new(db: Db) -> Self {
        DatabaseIndex { db }
    }
}

impl SearchIndex for DatabaseIndex {
    fn name(&self) -> &'static str {
        match self.db.backend() {
            stoa_db::Backend::Sqlite => "database (SQLite FTS5)",
            stoa_db::Backend::Postgres => "database (PostgreSQL full text)",
        }
    }

    fn run<'a>(
        &'a self,
        request: &'a SearchRequest,
    ) -> BoxFuture<'a, Result<SearchResults, Error>> {
        let request = request.clone();
        Box::pin(async move {
            self.db
                .run(move |conn| database::search(conn, &request).map_err(Error::from))
                .await
        })
    }

    /// One statement does both: a strict first page that finds less than a page continues
    /// with the threads holding some of the words (see [`database::search`]).
    fn search<'a>(
        &'a self,
        request: &'a SearchRequest,
    ) -> BoxFuture<'a, Result<SearchResults, Error>> {
        self.run(request)
    }
}
