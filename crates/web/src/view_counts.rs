//! Counting readers of a thread without cookies and without keeping addresses. A reader is a
//! keyed hash of (address, thread) in memory; the key is random and replaced every day, so
//! yesterday's hashes cannot be matched to anyone. Counts reach the database in batches.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stoa_db::{Db, ThreadId, dialect};

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
    seen: HashSet<u64>,
    pending: HashMap<ThreadId, i64>,
}

impl State {
    fn new(day: Date) -> State {
        State {
            day,
            key: RandomState::new(),
            seen: HashSet::new(),
            pending: HashMap::new(),
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

    /// Notes that `reader` opened `thread`; only their first visit of the day counts.
    pub fn saw(&self, reader: IpAddr, thread: ThreadId) {
        let Ok(mut state) = self.inner.lock() else {
            return;
        };
        let today = OffsetDateTime::now_utc().date();
        if state.day != today || state.seen.len() >= MAX_REMEMBERED {
            let pending = std::mem::take(&mut state.pending);
            *state = State::new(today);
            state.pending = pending;
        }
        let fingerprint = state.key.hash_one((reader, thread));
        if state.seen.insert(fingerprint) {
            *state.pending.entry(thread).or_default() += 1;
        }
    }

    /// Writes the counts gathered since the last flush to the database, in one transaction.
    /// On failure they are kept for the next try.
    pub async fn flush(&self, db: &Db) -> Result<(), stoa_db::Error> {
        let counted: Vec<(ThreadId, i64)> = match self.inner.lock() {
            Ok(mut state) => state.pending.drain().collect(),
            Err(_) => return Ok(()),
        };
        if counted.is_empty() {
            return Ok(());
        }
        let batch = counted.clone();
        let written = db
            .run(move |conn| {
                dialect::write_transaction(conn, |conn| {
                    stoa_threads::views::add_views(conn, &batch).map_err(|e| match e {
                        stoa_threads::Error::Db(db) => db,
                        other => stoa_db::Error::Worker(other.to_string()),
                    })
                })
            })
            .await;
        if written.is_ok() {
            self.pages.invalidate();
        } else if let Ok(mut state) = self.inner.lock() {
            for (thread, views) in counted {
                *state.pending.entry(thread).or_default() += views;
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
