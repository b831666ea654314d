//! Rendered pages for readers without a session, kept in memory until content changes.
//!
//! A thread page is read hundreds of times per write, and a guest's copy is the same for
//! every guest. The cache keeps the bytes of each such page with the content generation it
//! was rendered in; any change moves the generation on, and older pages are never served.
//! The generation moves when this node answers a request that may write (anything but GET
//! and HEAD), at once, so the writer's next page shows the change; and when the database
//! reports a commit from anywhere (another node, a command such as an import, the view-count
//! flush), within [`WATCH_EVERY`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use actix_web::web::Bytes;
use stoa_db::Db;

/// How often the database is asked whether anything was committed.
pub const WATCH_EVERY: Duration = Duration::from_millis(100);

/// Pages kept at most (about 20 KB each); past it the cache starts afresh.
const MAX_PAGES: usize = 2048;

/// The cache, shared by every worker of a node.
#[derive(Debug, Default)]
pub struct PageCache {
    generation: AtomicU64,
    pages: Mutex<HashMap<String, (u64, Bytes)>>,
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
    pub fn get(&self, key: &str) -> Option<Bytes> {
        let current = self.generation();
        let pages = self.pages.lock().ok()?;
        pages
            .get(key)
            .filter(|(generation, _)| *generation == current)
            .map(|(_, body)| body.clone())
    }

    /// Keeps `body` as the page `key` rendered in `generation` (unless content changed
    /// meanwhile: then it is already out of date).
    pub fn put(&self, key: String, generation: u64, body: Bytes) {
        if generation != self.generation() {
            return;
        }
        let Ok(mut pages) = self.pages.lock() else {
            return;
        };
        if pages.len() >= MAX_PAGES {
            pages.retain(|_, (g, _)| *g == generation);
            if pages.len() >= MAX_PAGES {
                pages.clear();
            }
        }
        pages.insert(key, (generation, body));
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
        let rendered_in = cache.generation();
        cache.put("/q/1/a".into(), rendered_in, Bytes::from_static(b"one"));
        assert_eq!(cache.get("/q/1/a").as_deref(), Some(&b"one"[..]));
        cache.invalidate();
        assert_eq!(cache.get("/q/1/a"), None);
        // Rendered from data read before a change committed: not kept.
        cache.put("/q/1/a".into(), rendered_in, Bytes::from_static(b"stale"));
        assert_eq!(cache.get("/q/1/a"), None);
    }
}
