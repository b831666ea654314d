//! Counting readers of a thread without cookies and without keeping addresses. A reader is a
//! keyed hash of (address, thread) in memory; the key is random and replaced every day, so
//! yesterday's hashes cannot be matched to anyone. Counts reach the database in batches.
//! Members' reading counts the same way toward their trust level: the posts on a thread
//! page, once a thread a day, added to their `posts_read` (no list of what they read is
//! kept).

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stoa_db::{Db, ThreadId, UserId};

use crate::page_cache::PageCache;
use time::{Date, OffsetDateTime};

/// How many distinct (reader, thread) pairs are remembered in a day before the memory is
/// cleared early; 8 bytes each.
const MAX_REMEMBERED: usize = 1_000_000;

/// Distinct readers per thread since the last flush.
#[derive(Debug)]
pub struct ViewCounter {
    inner: Mutex<State>,
    /// Guests' pages show the counts: a flush makes them out of date.
    pages: Arc<PageCache>,
}

#[derive(Debug)]
struct State {
    day: Date,
    key: RandomState,
    /// The keyed fingerprints of today's readers (already random: hashed again only fast).
    seen: HashSet<u64, foldhash::fast::RandomState>,
    pending: HashMap<ThreadId, i64>,
    /// Posts read per member since the last flush.
    reads: HashMap<UserId, i64>,
}

impl State {
    /// Whether `what` is seen for the first time today (it is remembered from now on).
    fn first_today(&mut self, what: &impl std::hash::Hash) -> bool {
        let fingerprint = self.key.hash_one(what);
        self.seen.insert(fingerprint)
    }

    fn new(day: Date) -> State {
        State {
            day,
            key: RandomState::new(),
            seen: HashSet::default(),
            pending: HashMap::new(),
            reads: HashMap::new(),
        }
    }
}

impl ViewCounter {
    /// A counter whose flushes invalidate `pages`.
    pub fn new(pages: Arc<PageCache>) -> ViewCounter {
        ViewCounter {
            inner: Mutex::new(State::new(OffsetDateTime::now_utc().date())),
            pages,
        }
    }

    /// Notes that `thread` was opened by `reader` (when the address is known), and, when a
    /// member opened it, that `member.0` read `member.1` of its posts. Each counts once a
    /// thread a day.
    pub fn opened(&self, thread: ThreadId, reader: Option<IpAddr>, member: Option<(UserId, i64)>) {
        // One lock for both: every page view comes here, from every worker.
        let Ok(mut state) = self.inner.lock() else {
            return;
        };
        let today = OffsetDateTime::now_utc().date();
        if state.day != today || state.seen.len() >= MAX_REMEMBERED {
            let pending = std::mem::take(&mut state.pending);
            let reads = std::mem::take(&mut state.reads);
            *state = State::new(today);
            state.pending = pending;
            state.reads = reads;
        }
        if let Some(reader) = reader
            && state.first_today(&(reader, thread))
        {
            *state.pending.entry(thread).or_default() += 1;
        }
        if let Some((member, posts)) = member
            && state.first_today(&("member", member, thread))
        {
            *state.reads.entry(member).or_default() += posts;
        }
    }

    /// Writes the counts gathered since the last flush to the database, in one transaction.
    /// On failure they are kept for the next try.
    pub async fn flush(&self, db: &Db) -> Result<(), stoa_db::Error> {
        // The lock is released before the database is awaited.
        let (counted, reads) = {
            let Ok(mut state) = self.inner.lock() else {
                return Ok(());
            };
            let counted: Vec<(ThreadId, i64)> = state.pending.drain().collect();
            let reads: Vec<(UserId, i64)> = state.reads.drain().collect();
            (counted, reads)
        };
        if counted.is_empty() && reads.is_empty() {
            return Ok(());
        }
        let (views, read) = (counted.clone(), reads.clone());
        let written = db
            .write(move |conn| {
                stoa_threads::views::add_views(conn, &views).map_err(|e| match e {
                    stoa_threads::Error::Db(db) => db,
                    other => stoa_db::Error::Worker(other.to_string()),
                })?;
                stoa_accounts::users::add_posts_read(conn, &read).map_err(|e| match e {
                    stoa_accounts::Error::Db(db) => db,
                    other => stoa_db::Error::Worker(other.to_string()),
                })
            })
            .await;
        if written.is_ok() {
            self.pages.invalidate();
        } else if let Ok(mut state) = self.inner.lock() {
            for (thread, views) in counted {
                *state.pending.entry(thread).or_default() += views;
            }
            for (member, posts) in reads {
                *state.reads.entry(member).or_default() += posts;
            }
        }
        written
    }

    /// Flushes every `every` until the process ends.
    pub async fn flush_forever(&self, db: Db, every: Duration) {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            if let Err(e) = self.flush(&db).await {
                tracing::warn!(error = %e, "view counts could not be saved; will retry");
            }
        }
    }
}
