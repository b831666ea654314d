//! Rendered pages for readers without a session, kept in memory until content changes.
//!
//! A thread page is read hundreds of times per write, and a guest's copy is the same for
//! every guest. The cache keeps the bytes of each such page with the content generation it
//! was rendered in; any change moves the generation on, and older pages are never served.
//! The generation moves when this node answers a request that may write (anything but GET
//! and HEAD), at once, so the writer's next page shows the change; and when the database
//! reports a commit from anywhere (another node, a command such as an import, the view-count
//! flush), within [`WATCH_EVERY`].
//!
//! Each page is also kept gzip-compressed, made once when it is stored: browsers ask for
//! gzip, and compressing a 20 KB page per request cost 30 times the cached answer itself.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use std::io::Write;

use actix_web::http::header::{self, ContentType};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use stoa_db::Db;

use crate::AppError;
use crate::memo::Memo;

/// How often the database is asked whether anything was committed.
pub const WATCH_EVERY: Duration = Duration::from_millis(100);

/// Pages kept at most (20–30 KB each, threads and lists); past it the cache starts afresh.
const MAX_PAGES: usize = 2048;

/// The cache, shared by every worker of a node.
#[derive(Debug)]
pub struct PageCache {
    generation: AtomicU64,
    pages: Memo<String, Page>,
    /// Pages being rendered, each with the lock its renderer holds: a change moves the
    /// generation and every page must be rendered again, and without a turn each of the
    /// guests reading a busy page meanwhile would render it too, all at once.
    rendering: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache {
            generation: AtomicU64::new(0),
            pages: Memo::new(MAX_PAGES),
            rendering: Mutex::new(HashMap::new()),
        }
    }
}

/// The right to render one page, held until dropped (see [`PageCache::turn`]).
pub struct Turn<'a> {
    cache: &'a PageCache,
    key: String,
    _held: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut rendering = self
            .cache
            .rendering
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // The last one waiting for this page leaves the map as it found it: no one holds the
        // lock but the map and this turn (whose guard is dropped right after this).
        if rendering
            .get(&self.key)
            .is_some_and(|lock| Arc::strong_count(lock) == 2)
        {
            rendering.remove(&self.key);
        }
    }
}

/// A page as it is served: its HTML, and the same gzip-compressed (when that worked).
#[derive(Debug, Clone)]
pub struct Page {
    pub html: Bytes,
    pub gzip: Option<Bytes>,
}

impl Page {
    /// Keeps `html` with its compressed copy.
    pub fn new(html: Bytes) -> Page {
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(html.len() / 4),
            flate2::Compression::default(),
        );
        let gzip = encoder
            .write_all(&html)
            .and_then(|()| encoder.finish())
            .map(Bytes::from)
            .ok();
        Page { html, gzip }
    }

    /// The `200` answer to `req`: compressed when the client accepts gzip.
    pub fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let mut response = HttpResponse::Ok();
        response
            .content_type(ContentType::html())
            .insert_header((header::VARY, "Accept-Encoding"));
        match &self.gzip {
            Some(gzip) if accepts_gzip(req) => response
                .insert_header((header::CONTENT_ENCODING, "gzip"))
                .body(gzip.clone()),
            _ => response.body(self.html.clone()),
        }
    }
}

/// Whether `Accept-Encoding` lists gzip (or `*`) without `q=0`.
pub(crate) fn accepts_gzip(req: &HttpRequest) -> bool {
    let Some(accepted) = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    accepted.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or_default();
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

impl PageCache {
    /// The current content generation: read it before loading what a page shows, and store
    /// the page under it.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Content changed: every page rendered before now is out of date.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The page stored under `key`, if it was rendered in the current generation.
    pub fn get(&self, key: &str) -> Option<Page> {
        self.pages.get(key, self.generation())
    }

    /// Waits for the turn to render page `key`: one request at a time renders a page, and
    /// those that waited find it stored when their turn comes (look again with
    /// [`PageCache::get`], or for the copy members of one shape share, in its memo).
    pub async fn turn(&self, key: &str) -> Turn<'_> {
        let lock = {
            let mut rendering = self.rendering.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(rendering.entry(key.to_owned()).or_default())
        };
        Turn {
            cache: self,
            key: key.to_owned(),
            _held: lock.lock_owned().await,
        }
    }

    /// Keeps `page` as the page `key` rendered in `generation` (unless content changed
    /// meanwhile: then it is already out of date).
    pub fn put(&self, key: String, generation: u64, page: Page) {
        self.pages.put(key, generation, self.generation(), page);
    }

    /// The guests' page `key` as the answer to `req`: from memory while content is
    /// unchanged; otherwise `render` makes it (one request per page at a time, and those
    /// waiting meanwhile take its copy) and it is kept. An error is answered, not kept.
    pub async fn for_guests<Rendered>(
        &self,
        key: String,
        req: &HttpRequest,
        render: impl FnOnce() -> Rendered,
    ) -> Result<HttpResponse, AppError>
    where
        Rendered: Future<Output = Result<String, AppError>>,
    {
        if let Some(page) = self.get(&key) {
            return Ok(page.respond(req));
        }
        let _turn = self.turn(&key).await;
        if let Some(page) = self.get(&key) {
            return Ok(page.respond(req));
        }
        let generation = self.generation();
        let page = Page::new(Bytes::from(render().await?));
        let response = page.respond(req);
        self.put(key, generation, page);
        Ok(response)
    }

    /// Watches the database for commits and invalidates the cache on each, on a thread of
    /// its own, for as long as the cache exists. A lost connection is opened again.
    pub fn watch(cache: &Arc<PageCache>, db: &Db) {
        let cache: Weak<PageCache> = Arc::downgrade(cache);
        let db = db.clone();
        let spawned = std::thread::Builder::new()
            .name("stoa-change-watch".into())
            .spawn(move || watch_forever(&cache, &db));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the change watch: pages are not cached");
        }
    }
}

fn watch_forever(cache: &Weak<PageCache>, db: &Db) {
    let mut failures = 0u32;
    while cache.strong_count() > 0 {
        let mut watch = match db.watch_changes() {
            Ok(watch) => watch,
            Err(e) => {
                failures += 1;
                if failures == 1 {
                    tracing::warn!(error = %e, "the change watch cannot reach the database; retrying");
                }
                // Pages cannot be trusted while nobody watches.
                if let Some(cache) = cache.upgrade() {
                    cache.invalidate();
                }
                std::thread::sleep(Duration::from_secs(1).min(WATCH_EVERY * failures));
                continue;
            }
        };
        failures = 0;
        loop {
            std::thread::sleep(WATCH_EVERY);
            let Some(cache) = cache.upgrade() else { return };
            match watch.changed() {
                Ok(false) => {}
                Ok(true) => cache.invalidate(),
                Err(e) => {
                    tracing::warn!(error = %e, "the change watch lost its connection");
                    cache.invalidate();
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_from_an_older_generation_is_never_served() {
        let cache = PageCache::default();
        let page = |html: &'static str| Page::new(Bytes::from_static(html.as_bytes()));
        let html_of = |cache: &PageCache| cache.get("/q/1/a").map(|p| p.html);
        let rendered_in = cache.generation();
        cache.put("/q/1/a".into(), rendered_in, page("one"));
        assert_eq!(html_of(&cache).as_deref(), Some(&b"one"[..]));
        cache.invalidate();
        assert_eq!(html_of(&cache), None);
        // Rendered from data read before a change committed: not kept.
        cache.put("/q/1/a".into(), rendered_in, page("stale"));
        assert_eq!(html_of(&cache), None);
    }

    #[tokio::test]
    async fn one_request_at_a_time_renders_a_page() {
        let cache = PageCache::default();
        let soon = Duration::from_millis(50);
        let first = cache.turn("/q/1/a").await;
        assert!(
            tokio::time::timeout(soon, cache.turn("/q/1/a"))
                .await
                .is_err(),
            "a second reader of the page waits"
        );
        let other = tokio::time::timeout(soon, cache.turn("/q/2/b")).await;
        assert!(other.is_ok(), "another page does not wait");
        drop(other);
        drop(first);
        let again = tokio::time::timeout(soon, cache.turn("/q/1/a")).await;
        assert!(
            again.is_ok(),
            "the turn passes on once the renderer is done"
        );
        drop(again);
        let rendering = cache.rendering.lock().unwrap_or_else(|e| e.into_inner());
        assert!(rendering.is_empty(), "nothing is left behind");
    }
}
