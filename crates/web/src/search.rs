//! Finding what was already asked: the search page, similar questions while asking, and
//! related questions on a thread page.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use stoa_db::{DbConn, ThreadId};
use stoa_moderation::policy::{self, Action};
use stoa_search::{Filter, Matching, Query, QueryError, SearchHit, SearchRequest, Sort};
use stoa_threads::categories::{self, Category};
use stoa_threads::{tags, views};

use crate::home::QuestionRow;
use crate::layout::{Layout, render};
use crate::memo::Memo;
use crate::session::Viewer;
use crate::{AppError, AppState, limits, urlencode};

/// Results per search page.
const PAGE_SIZE: u32 = 20;
/// Pages a search can be followed to (1,000 results is more than anyone reads).
const MAX_PAGE: u32 = 50;
/// Similar or related questions shown.
pub const SIMILAR_SHOWN: u32 = 5;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/search", web::get().to(search_page));
}

/// Per-node limits on searches from one address, kept in memory: a search is a read, and
/// counting it in the database would cost a write per search. A person never meets them.
#[derive(Debug)]
pub struct SearchLimits {
    pages: DefaultKeyedRateLimiter<IpAddr>,
    /// The ask form asks for suggestions as the title is typed, so it gets more.
    suggestions: DefaultKeyedRateLimiter<IpAddr>,
}

impl Default for SearchLimits {
    fn default() -> Self {
        let per_minute = |n: u32, burst: u32| {
            Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
                .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
        };
        SearchLimits {
            pages: RateLimiter::keyed(per_minute(60, 20)),
            suggestions: RateLimiter::keyed(per_minute(120, 30)),
        }
    }
}

impl SearchLimits {
    fn check(
        limiter: &DefaultKeyedRateLimiter<IpAddr>,
        req: &HttpRequest,
        state: &AppState,
    ) -> Result<(), AppError> {
        let address =
            limits::client_address(req, state).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let verdict = limiter.check_key(&address);
        // Forget addresses whose allowance is full again, so the map stays small.
        if limiter.len() > 10_000 {
            limiter.retain_recent();
        }
        verdict.map_err(|_| {
            tracing::warn!("search rate limit reached");
            AppError::TooManyRequests(time::Duration::seconds(5))
        })
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    /// A category's slug.
    #[serde(default)]
    category: String,
    #[serde(default)]
    tag: String,
    /// A member's username (the asker).
    #[serde(default)]
    author: String,
    solved: Option<String>,
    unanswered: Option<String>,
    #[serde(default)]
    sort: String,
    page: Option<u32>,
    /// Match any word (set on the pages after a search that had to be widened).
    any: Option<String>,
}

impl SearchParams {
    /// The URL of this search with another sort and page (`any` kept as given).
    fn url(&self, sort: Sort, page: u32, any: bool) -> String {
        let mut url = format!("/search?q={}", urlencode(&self.q));
        for (name, value) in [
            ("category", &self.category),
            ("tag", &self.tag),
            ("author", &self.author),
        ] {
            if !value.is_empty() {
                url.push_str(&format!("&{name}={}", urlencode(value)));
            }
        }
        if self.solved.is_some() {
            url.push_str("&solved=1");
        }
        if self.unanswered.is_some() {
            url.push_str("&unanswered=1");
        }
        if sort != Sort::Relevance {
            url.push_str(&format!("&sort={}", sort.as_str()));
        }
        if any {
            url.push_str("&any=1");
        }
        if page > 1 {
            url.push_str(&format!("&page={page}"));
        }
        url
    }
}

/// A link that reorders the results.
#[derive(Debug)]
pub struct SortTab {
    pub label: &'static str,
    pub url: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    params: SearchParams,
    categories: Vec<Category>,
    /// Why nothing was searched, or why a filter matches nothing.
    message: Option<String>,
    /// The results, with their titles and snippets marked.
    questions: Vec<QuestionRow>,
    /// "N results", once a search ran.
    summary: Option<String>,
    /// The search matched any of the words: nothing held all of them.
    widened: bool,
    sort_tabs: Vec<SortTab>,
    previous_page: Option<String>,
    next_page: Option<String>,
}

/// The filters of `params` resolved to ids, or the reason they match nothing.
async fn resolve_filter(
    state: &AppState,
    params: &SearchParams,
    categories: &[Category],
) -> Result<Result<Filter, String>, AppError> {
    let mut filter = Filter {
        solved: params.solved.is_some(),
        unanswered: params.unanswered.is_some(),
        ..Filter::default()
    };
    if !params.category.is_empty() {
        match categories.iter().find(|c| c.slug == params.category) {
            Some(c) => filter.category = Some(c.id),
            None => return Ok(Err("There is no such category.".into())),
        }
    }
    let tag = params.tag.trim().to_lowercase();
    let author = params.author.trim().trim_start_matches('@').to_owned();
    let (tag_id, author_id) = state
        .db
        .run(move |conn| {
            let tag = if tag.is_empty() {
                None
            } else {
                Some(tags::find(conn, &tag)?.map(|t| t.id))
            };
            let author = if author.is_empty() {
                None
            } else {
                Some(
                    stoa_accounts::users::find_by_username(conn, &author)
                        .map_err(AppError::from)?
                        .map(|u| u.id),
                )
            };
            Ok::<_, AppError>((tag, author))
        })
        .await?;
    match tag_id {
        Some(None) => return Ok(Err(format!("There is no tag “{}”.", params.tag.trim()))),
        Some(Some(id)) => filter.tag = Some(id),
        None => {}
    }
    match author_id {
        Some(None) => {
            return Ok(Err(format!(
                "There is no member “{}”.",
                params.author.trim()
            )));
        }
        Some(Some(id)) => filter.author = Some(id),
        None => {}
    }
    Ok(Ok(filter))
}

async fn search_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, AppError> {
    policy::decide(viewer.actor(), Action::ReadPublic)?;
    let params = params.into_inner();
    let categories = state
        .db
        .run(|conn| categories::list(conn).map_err(AppError::from))
        .await?;
    let sort = Sort::parse(&params.sort);
    let page_number = params.page.unwrap_or(1).clamp(1, MAX_PAGE);
    let mut page = SearchPage {
        layout: Layout::new(&state, &viewer, "Search"),
        categories,
        message: None,
        questions: Vec::new(),
        summary: None,
        widened: false,
        sort_tabs: Vec::new(),
        previous_page: None,
        next_page: None,
        params,
    };
    if page.params.q.trim().is_empty() {
        return render(&page, StatusCode::OK, &page.layout, None);
    }
    let query = match Query::parse(&page.params.q) {
        Ok(query) => query,
        Err(e) => {
            page.message = Some(e.to_string());
            let status = match e {
                QueryError::TooLong => StatusCode::BAD_REQUEST,
                QueryError::NoWords => StatusCode::OK,
            };
            return render(&page, status, &page.layout, None);
        }
    };
    // Counted before any filter is looked up: a search that will be refused costs nothing more.
    SearchLimits::check(&state.search_limits.pages, &req, &state)?;
    let filter = match resolve_filter(&state, &page.params, &page.categories).await? {
        Ok(filter) => filter,
        Err(message) => {
            page.message = Some(message);
            page.summary = Some("No results".into());
            return render(&page, StatusCode::OK, &page.layout, None);
        }
    };
    let request = SearchRequest {
        matching: if page.params.any.is_some() {
            Matching::EveryWordFirst
        } else {
            Matching::All
        },
        filter,
        sort,
        offset: (page_number - 1) * PAGE_SIZE,
        ..SearchRequest::new(query, PAGE_SIZE)
    };
    let found = state.search.search(&request).await?;
    let widened = found.matching == Matching::EveryWordFirst;
    page.questions = result_rows(&state, found.hits).await?;
    page.widened = widened && page.params.any.is_none();
    page.summary = Some(match (found.total, found.total_is_lower_bound) {
        (n, true) => format!("More than {n} results, best first among the newest"),
        (0, false) => "No results".to_owned(),
        (1, false) => "1 result".to_owned(),
        (n, false) => format!("{n} results"),
    });
    page.sort_tabs = Sort::ALL
        .into_iter()
        .map(|s| SortTab {
            label: match s {
                Sort::Relevance => "Best match",
                Sort::Newest => "Newest",
                Sort::Votes => "Votes",
            },
            url: page.params.url(s, 1, false),
            current: s == sort,
        })
        .collect();
    let shown_through = u64::from(page_number * PAGE_SIZE);
    if page_number < MAX_PAGE && found.total > shown_through {
        page.next_page = Some(page.params.url(sort, page_number + 1, widened));
    }
    if page_number > 1 {
        page.previous_page = Some(page.params.url(sort, page_number - 1, widened));
    }
    render(&page, StatusCode::OK, &page.layout, None)
}

/// The hits as list rows (author, category, tags, counts from the live tables), in order.
/// Hits whose thread went away since the search (deleted meanwhile) are left out.
async fn result_rows(state: &AppState, hits: Vec<SearchHit>) -> Result<Vec<QuestionRow>, AppError> {
    let ids: Vec<ThreadId> = hits.iter().map(|h| h.thread_id).collect();
    let (summaries, mut tags) = state
        .db
        .run(move |conn| {
            let summaries = views::summaries(conn, &ids)?;
            let tags = tags::for_threads(conn, &ids)?;
            Ok::<_, stoa_threads::Error>((summaries, tags))
        })
        .await?;
    let mut hits: std::collections::HashMap<ThreadId, SearchHit> =
        hits.into_iter().map(|h| (h.thread_id, h)).collect();
    Ok(summaries
        .into_iter()
        .filter_map(|t| {
            let hit = hits.remove(&t.id)?;
            let row_tags = tags.remove(&t.id).unwrap_or_default();
            Some(QuestionRow {
                title_html: Some(hit.title.to_html()),
                snippet_html: Some(hit.snippet.to_html()),
                ..QuestionRow::new(t, row_tags)
            })
        })
        .collect())
}

/// A question like another, as the ask form and a thread page list it.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub title: String,
    pub url: String,
    pub solved: bool,
    pub answer_count: i32,
}

impl From<SearchHit> for Suggestion {
    fn from(hit: SearchHit) -> Self {
        Suggestion {
            title: hit.title.plain(),
            url: format!("/q/{}/{}", hit.thread_id, hit.slug),
            solved: hit.solved,
            answer_count: hit.answer_count,
        }
    }
}

impl From<views::ThreadSummary> for Suggestion {
    fn from(thread: views::ThreadSummary) -> Self {
        Suggestion {
            url: format!("/q/{}/{}", thread.id, thread.slug),
            title: thread.title,
            solved: thread.solved,
            answer_count: thread.answer_count,
        }
    }
}

/// Threads whose related questions are kept at most.
pub const RELATED_KEPT: usize = 10_000;

/// How long related questions found are kept at most, even while no question is asked.
const RELATED_FOR: Duration = Duration::from_secs(5 * 60);

/// Each thread's related questions, kept while no question is asked.
///
/// Finding them is a search (any word of the title, ranked): a few milliseconds on a small
/// community, 30–100 ms on SQLite at a million posts, where ranking common words reads
/// their whole index. A thread page is rendered again after every change in the community,
/// yet which questions are like another changes when a question is asked, hardly when one is
/// answered, voted on or read. So the ids found are kept with the newest thread's id, and each
/// render reads those questions as they are then, in the page's own trip to the database:
/// a question retitled meanwhile shows its new title, a deleted one is left out.
///
/// What a kept list misses is found again within [`RELATED_FOR`]: a question asked while
/// another was (PostgreSQL hands out ids as they are asked for, and they may commit out of
/// order), one Meilisearch had not indexed yet, one restored or retitled into likeness, and a
/// replacement for one deleted.
///
/// A page waits for a search at most `related_wait_ms` (see `docs/configuration.md`): past
/// that it shows the list kept before, read as it is now, or none, and the search goes on
/// to keep its list for the page's next render. One search runs per thread at a time, and
/// at most [`RELATED_SEARCHES`] in all; a page that would start one more shows what is kept.
#[derive(Debug)]
pub struct RelatedQuestions {
    /// By thread, in the "generation" of the newest thread's id when they were found.
    found: Memo<ThreadId, Found>,
    /// The threads whose related questions are being searched for.
    searching: Mutex<HashSet<ThreadId>>,
}

/// Related-questions searches running at most, on the database's connections that pages
/// need too.
const RELATED_SEARCHES: usize = 4;

/// Related questions as found for a thread's title, best first, and when the search began.
#[derive(Debug, Clone)]
struct Found {
    title: String,
    ids: Arc<[ThreadId]>,
    at: Instant,
}

/// A search for a thread's related questions, counted as running until dropped.
struct Searching {
    related: Arc<RelatedQuestions>,
    thread: ThreadId,
}

impl Drop for Searching {
    fn drop(&mut self) {
        let mut searching = self
            .related
            .searching
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        searching.remove(&self.thread);
    }
}

/// A thread's related questions as its page's load read them: kept and read as they are now
/// (no question was asked since they were found, and the thread kept its title), or to be
/// found, with those kept before for the same title, if the search takes too long.
#[derive(Debug)]
pub enum Related {
    Read(Vec<Suggestion>),
    ToFind { newest: u64, kept: Vec<Suggestion> },
}

impl RelatedQuestions {
    pub fn new(capacity: usize) -> Self {
        RelatedQuestions {
            found: Memo::new(capacity),
            searching: Mutex::new(HashSet::new()),
        }
    }

    /// A search for `thread`'s related questions, unless one runs already or
    /// [`RELATED_SEARCHES`] do.
    fn begin(self: &Arc<Self>, thread: ThreadId) -> Option<Searching> {
        let mut searching = self.searching.lock().unwrap_or_else(|e| e.into_inner());
        if searching.len() >= RELATED_SEARCHES || !searching.insert(thread) {
            return None;
        }
        Some(Searching {
            related: Arc::clone(self),
            thread,
        })
    }

    /// Reads the questions related to `thread`, titled `title`, if they are kept: within the
    /// trip to the database that loads its page.
    pub fn read(
        &self,
        conn: &mut DbConn,
        thread: ThreadId,
        title: &str,
    ) -> Result<Related, stoa_threads::Error> {
        let newest = u64::try_from(views::newest_id(conn)?).unwrap_or_default();
        let Some((found_in, found)) = self
            .found
            .get_any(&thread)
            .filter(|(_, found)| found.title == title)
        else {
            return Ok(Related::ToFind {
                newest,
                kept: Vec::new(),
            });
        };
        let now: Vec<Suggestion> = views::summaries(conn, &found.ids)?
            .into_iter()
            .map(Suggestion::from)
            .collect();
        if found_in == newest && found.at.elapsed() < RELATED_FOR {
            Ok(Related::Read(now))
        } else {
            Ok(Related::ToFind { newest, kept: now })
        }
    }
}

/// The questions related to thread `thread` titled `title` (see [`similar`]): as `read` with
/// its page, or found now and kept (see [`RelatedQuestions`]). Never an error: a search that
/// fails is logged, and the page shows what is kept.
pub async fn related(
    state: &AppState,
    thread: ThreadId,
    title: &str,
    read: Related,
) -> Vec<Suggestion> {
    let (newest, kept) = match read {
        Related::Read(suggestions) => return suggestions,
        Related::ToFind { newest, kept } => (newest, kept),
    };
    let Some(searching) = state.related.begin(thread) else {
        return kept;
    };
    let (index, title) = (Arc::clone(&state.search), title.to_owned());
    // On its own task, so that it goes on when the page stops waiting.
    let search = tokio::spawn(async move {
        let began = Instant::now();
        let hits = hits_like(&*index, &title, false, Some(thread))
            .await
            .inspect_err(|e| tracing::warn!(error = %e, "related questions not found"))
            .ok()?;
        let found = &searching.related.found;
        // A search that began later may have ended sooner: its list stays.
        if found
            .get_any(&thread)
            .is_none_or(|(_, kept)| kept.at <= began)
        {
            let ids = hits.iter().map(|hit| hit.thread_id).collect();
            // Found after `newest` was read: a question asked in between may be among them,
            // and the next render, seeing a newer question, finds them again.
            let kept = Found {
                title,
                ids,
                at: began,
            };
            found.put(thread, newest, newest, kept);
        }
        Some(hits)
    });
    let wait = Duration::from_millis(u64::from(state.settings.related_wait_ms));
    if wait.is_zero() {
        // Not even until the timer's next tick: a search may end within it.
        return kept;
    }
    match tokio::time::timeout(wait, search).await {
        Ok(Ok(Some(hits))) => hits.into_iter().map(Suggestion::from).collect(),
        Ok(Ok(None)) | Err(_) => kept,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "related questions search failed");
            kept
        }
    }
}

/// Up to [`SIMILAR_SHOWN`] questions like the one titled `title`, best first, leaving out
/// `exclude`. `typing`: the title is still being typed, so its last word may be unfinished.
pub async fn similar(
    state: &AppState,
    title: &str,
    typing: bool,
    exclude: Option<ThreadId>,
) -> Result<Vec<Suggestion>, AppError> {
    let hits = hits_like(&*state.search, title, typing, exclude).await?;
    Ok(hits.into_iter().map(Suggestion::from).collect())
}

/// The search behind [`similar`].
async fn hits_like(
    index: &dyn stoa_search::SearchIndex,
    title: &str,
    typing: bool,
    exclude: Option<ThreadId>,
) -> Result<Vec<SearchHit>, AppError> {
    let Ok(mut query) = Query::from_title(title) else {
        return Ok(Vec::new());
    };
    query.prefix_last &= typing;
    let request = SearchRequest::similar(query, SIMILAR_SHOWN, exclude);
    Ok(index.run(&request).await?.hits)
}

#[derive(Debug, Deserialize)]
pub struct SimilarParams {
    #[serde(default)]
    title: String,
}

#[derive(Serialize)]
struct SimilarList {
    questions: Vec<Suggestion>,
}

/// `GET /api/v1/similar?title=…`: the questions like a title being typed.
pub async fn similar_json(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    params: web::Query<SimilarParams>,
) -> Result<HttpResponse, AppError> {
    policy::decide(viewer.actor(), Action::ReadPublic)?;
    SearchLimits::check(&state.search_limits.suggestions, &req, &state)?;
    let questions = similar(&state, &params.title, true, None).await?;
    Ok(HttpResponse::Ok().json(SimilarList { questions }))
}
