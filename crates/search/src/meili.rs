//! The Meilisearch backend: one document per thread, fed by the outbox, searched with typo
//! tolerance. Whatever Meilisearch returns is checked against the live tables before it is
//! shown, so a thread deleted a moment ago never appears while its removal is on its way;
//! and when Meilisearch cannot be reached, searches are answered by the database index.

use std::time::Duration;

use meilisearch_sdk::client::Client;
use meilisearch_sdk::indexes::Index;
use meilisearch_sdk::search::{MatchingStrategies, SearchResult};
use meilisearch_sdk::settings::Settings;
use meilisearch_sdk::task_info::TaskInfo;
use stoa_db::{Db, ThreadId};

use crate::database::MARK_START;
use crate::outbox::{DocumentSink, ThreadDocument};
use crate::query::Matching;
use crate::{
    BoxFuture, DatabaseIndex, Error, Marked, SearchHit, SearchIndex, SearchRequest, SearchResults,
    Sort,
};

/// The index's name unless configured otherwise.
pub const DEFAULT_INDEX: &str = "stoa_threads";
/// How long to wait for Meilisearch to apply a change before counting it failed.
const TASK_TIMEOUT: Duration = Duration::from_secs(30);

const MARK_START_STR: &str = "\u{2}";
const MARK_END_STR: &str = "\u{3}";

/// Searches Meilisearch; keeps it fed as the outbox's sink.
#[derive(Clone)]
pub struct MeiliIndex {
    client: Client,
    index: Index,
    /// Answers searches while Meilisearch is unreachable, and checks visibility.
    database: DatabaseIndex,
    db: Db,
}

impl std::fmt::Debug for MeiliIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeiliIndex")
            .field("index", &self.index.uid)
            .finish_non_exhaustive()
    }
}

fn engine(e: impl std::fmt::Display) -> Error {
    Error::Engine(e.to_string())
}

impl MeiliIndex {
    /// A client for the Meilisearch server at `url` with `api_key` (empty: none), using the
    /// index `index`. Nothing is sent until [`MeiliIndex::configure`].
    pub fn new(db: Db, url: &str, api_key: &str, index: &str) -> Result<MeiliIndex, Error> {
        let key = (!api_key.is_empty()).then_some(api_key);
        let client = Client::new(url, key).map_err(engine)?;
        let index = client.index(index);
        Ok(MeiliIndex {
            client,
            index,
            database: DatabaseIndex::new(db.clone()),
            db,
        })
    }

    /// Creates the index if needed and sets what is searched (title first), filtered and
    /// sorted; typo tolerance stays on (Meilisearch's default).
    pub async fn configure(&self) -> Result<(), Error> {
        let settings = Settings::new()
            .with_searchable_attributes(["title", "tags", "question", "answers"])
            .with_filterable_attributes([
                "id",
                "category_id",
                "tag_ids",
                "author_id",
                "solved",
                "answer_count",
                "has_staff_answer",
            ])
            .with_sortable_attributes(["created_at", "last_activity_at", "score"]);
        let created = self
            .client
            .create_index(&self.index.uid, Some("id"))
            .await
            .map_err(engine)?;
        // Already existing is fine: the task fails with index_already_exists.
        created
            .wait_for_completion(&self.client, None, Some(TASK_TIMEOUT))
            .await
            .map_err(engine)?;
        self.applied(self.index.set_settings(&settings).await).await
    }

    /// Waits until Meilisearch has carried out the task it `accepted`; its failure, or the
    /// request's, is an engine error.
    async fn applied(
        &self,
        accepted: Result<TaskInfo, meilisearch_sdk::errors::Error>,
    ) -> Result<(), Error> {
        let task = accepted
            .map_err(engine)?
            .wait_for_completion(&self.client, None, Some(TASK_TIMEOUT))
            .await
            .map_err(engine)?;
        if task.is_failure() {
            return Err(engine(task.unwrap_failure()));
        }
        Ok(())
    }

    /// How many documents the index holds.
    pub async fn documents(&self) -> Result<usize, Error> {
        Ok(self
            .index
            .get_stats()
            .await
            .map_err(engine)?
            .number_of_documents)
    }

    async fn search_meili(&self, request: &SearchRequest) -> Result<SearchResults, Error> {
        let text = query_text(request);
        let filter = filter(request);
        let sort: &[&str] = match request.sort {
            Sort::Relevance => &[],
            Sort::Newest => &["created_at:desc", "id:desc"],
            Sort::Votes => &["score:desc", "id:desc"],
        };
        let mut query = self.index.search();
        query
            .with_query(&text)
            .with_offset(request.offset as usize)
            .with_limit(request.limit as usize)
            .with_matching_strategy(match request.matching {
                Matching::All => MatchingStrategies::ALL,
                Matching::Any | Matching::EveryWordFirst => MatchingStrategies::LAST,
            });
        if request.headlines {
            query
                .with_attributes_to_highlight(meilisearch_sdk::search::Selectors::Some(&["title"]))
                .with_attributes_to_crop(meilisearch_sdk::search::Selectors::Some(&[
                    ("question", Some(30)),
                    ("answers", Some(30)),
                ]))
                .with_highlight_pre_tag(MARK_START_STR)
                .with_highlight_post_tag(MARK_END_STR);
        }
        if !filter.is_empty() {
            query.with_filter(&filter);
        }
        if !sort.is_empty() {
            query.with_sort(sort);
        }
        let found = query.execute::<ThreadDocument>().await.map_err(engine)?;
        let total = found
            .estimated_total_hits
            .or(found.total_hits)
            .unwrap_or(found.hits.len()) as u64;
        let mut hits: Vec<SearchHit> = found.hits.into_iter().map(hit).collect();
        self.keep_visible(&mut hits).await?;
        Ok(SearchResults {
            hits,
            total,
            total_is_lower_bound: false,
            matching: request.matching,
        })
    }

    /// Drops hits whose thread is deleted in the database (its removal may still be queued).
    async fn keep_visible(&self, hits: &mut Vec<SearchHit>) -> Result<(), Error> {
        use diesel::prelude::*;
        use stoa_db::schema::threads;
        let ids: Vec<ThreadId> = hits.iter().map(|h| h.thread_id).collect();
        let visible: Vec<ThreadId> = self
            .db
            .run(move |conn| {
                threads::table
                    .filter(threads::id.eq_any(&ids))
                    .filter(threads::deleted_at.is_null())
                    .select(threads::id)
                    .load(conn)
                    .map_err(Error::from)
            })
            .await?;
        hits.retain(|h| visible.contains(&h.thread_id));
        Ok(())
    }
}

/// The reader's words for Meilisearch: words, `"phrases"` and `-excluded` words, all made of
/// letters and digits only.
fn query_text(request: &SearchRequest) -> String {
    let q = &request.query;
    let mut parts: Vec<String> = q.words.clone();
    parts.extend(q.phrases.iter().map(|p| format!("\"{}\"", p.join(" "))));
    parts.extend(q.excluded.iter().map(|w| format!("-{w}")));
    parts.join(" ")
}

/// The filters as a Meilisearch filter expression, from typed values only.
fn filter(request: &SearchRequest) -> String {
    let f = &request.filter;
    let mut parts = Vec::new();
    if let Some(c) = f.category {
        parts.push(format!("category_id = {}", c.0));
    }
    if let Some(t) = f.tag {
        parts.push(format!("tag_ids = {}", t.0));
    }
    if let Some(a) = f.author {
        parts.push(format!("author_id = {}", a.0));
    }
    if f.solved {
        parts.push("solved = true".to_owned());
    }
    if f.unanswered {
        parts.push("answer_count = 0".to_owned());
    }
    if let Some(t) = request.exclude {
        parts.push(format!("id != {}", t.0));
    }
    parts.join(" AND ")
}

/// A Meilisearch hit as a search hit: the marked title, and the question's cropped lines
/// around the words (the answers' when the question has none).
fn hit(found: SearchResult<ThreadDocument>) -> SearchHit {
    let formatted = |field: &str| {
        found
            .formatted_result
            .as_ref()
            .and_then(|f| f.get(field))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let title = formatted("title").unwrap_or_else(|| found.result.title.clone());
    let question = formatted("question").unwrap_or_default();
    let snippet = if question.contains(MARK_START) {
        question
    } else {
        formatted("answers")
            .filter(|a| a.contains(MARK_START))
            .unwrap_or(question)
    };
    SearchHit {
        thread_id: ThreadId(found.result.id),
        slug: found.result.slug,
        solved: found.result.solved,
        answer_count: found.result.answer_count,
        title: Marked(title),
        snippet: Marked(snippet),
    }
}

impl SearchIndex for MeiliIndex {
    fn name(&self) -> &'static str {
        "Meilisearch"
    }

    fn run<'a>(
        &'a self,
        request: &'a SearchRequest,
    ) -> BoxFuture<'a, Result<SearchResults, Error>> {
        Box::pin(async move {
            match self.search_meili(request).await {
                Err(Error::Engine(why)) => {
                    tracing::warn!(search.error = %why, "Meilisearch failed; the database index answers");
                    self.database.run(request).await
                }
                other => other,
            }
        })
    }
}

impl DocumentSink for MeiliIndex {
    fn apply<'a>(
        &'a self,
        upserts: &'a [ThreadDocument],
        deletes: &'a [ThreadId],
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            if !upserts.is_empty() {
                self.applied(self.index.add_or_replace(upserts, Some("id")).await)
                    .await?;
            }
            if !deletes.is_empty() {
                let ids: Vec<i64> = deletes.iter().map(|t| t.0).collect();
                self.applied(self.index.delete_documents(&ids).await)
                    .await?;
            }
            Ok(())
        })
    }
}
