//! SQLite's writes, one database connection for all of a process's writers, with their
//! commits grouped.
//!
//! SQLite lets one transaction write at a time, and most of a short write transaction's cost
//! is its commit: the changed pages appended to the write-ahead log, then an `fsync`. So the
//! writers of a [`crate::Db`] take turns on one connection of its own, each inside a savepoint
//! of a transaction that stays open while more writers are queued (a nested write transaction
//! is a savepoint inside the writer's); the writer that finds
//! nobody behind it (or the batch full) commits for all of them. Every writer returns only
//! once the commit that holds its work is done, so an acknowledged write is as durable as
//! before; a writer whose own work failed is rolled back to its savepoint alone.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::{Backend, DbConn};

/// Writers' turns in one transaction at most: the first writer of a batch waits for the
/// others, so the cap bounds what grouping can add to its wait.
const MAX_BATCH: usize = 16;

/// The writer connection of one SQLite database and the batch open on it.
pub(crate) struct SharedWriter {
    url: Arc<str>,
    state: Mutex<WriterState>,
    /// Writers waiting for `state`: while there are some, the batch stays open for them.
    queued: AtomicUsize,
}

#[derive(Default)]
struct WriterState {
    /// Opened at the first write, and again after a failed commit.
    conn: Option<DbConn>,
    /// The transaction open on `conn`, if any.
    batch: Option<Batch>,
}

struct Batch {
    /// Writers that had a turn in it, whether their work was kept or not.
    turns: usize,
    outcome: Arc<Outcome>,
}

/// How a batch's commit ended, for the writers waiting on it.
#[derive(Default)]
struct Outcome {
    settled: Mutex<Option<Result<(), String>>>,
    done: Condvar,
}

impl Outcome {
    fn settle(&self, result: Result<(), String>) {
        *lock(&self.settled) = Some(result);
        self.done.notify_all();
    }

    fn wait(&self) -> Result<(), DieselError> {
        let settled = self
            .done
            .wait_while(lock(&self.settled), |settled| settled.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        match &*settled {
            Some(Err(message)) => Err(commit_failed(message.clone())),
            _ => Ok(()),
        }
    }
}

thread_local! {
    /// The writer that write transactions on this thread use (set by [`crate::Db::run`]).
    static CURRENT: RefCell<Option<Arc<SharedWriter>>> = const { RefCell::new(None) };
}

/// Keeps a [`SharedWriter`] as this thread's writer until dropped.
pub(crate) struct Entered(Option<Arc<SharedWriter>>);

impl Drop for Entered {
    fn drop(&mut self) {
        CURRENT.with_borrow_mut(|current| *current = self.0.take());
    }
}

impl SharedWriter {
    /// The writer for the SQLite database at `url`; it connects at its first write.
    pub(crate) fn new(url: Arc<str>) -> Arc<SharedWriter> {
        Arc::new(SharedWriter {
            url,
            state: Mutex::default(),
            queued: AtomicUsize::new(0),
        })
    }

    /// Makes this the writer of the write transactions this thread runs until the guard drops.
    pub(crate) fn enter(self: &Arc<Self>) -> Entered {
        let previous = CURRENT.with_borrow_mut(|current| current.replace(Arc::clone(self)));
        Entered(previous)
    }

    /// Runs `f` on this thread's writer, if it has one; otherwise `f` comes back unrun.
    pub(crate) fn write_with_current<T, E, F>(f: F) -> Result<Result<T, E>, F>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<DieselError>,
    {
        match CURRENT.with_borrow(Option::clone) {
            Some(writer) => Ok(writer.write(f)),
            None => Err(f),
        }
    }

    /// Runs `f` in a savepoint of the open batch, then commits the batch unless more writers
    /// are queued and it has room, and returns once `f`'s work is committed (or failed).
    fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<DieselError>,
    {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let mut state = lock(&self.state);
        self.queued.fetch_sub(1, Ordering::SeqCst);
        let outcome = match self.begin(&mut state) {
            Ok(outcome) => outcome,
            Err(e) => {
                self.fail_batch(&mut state, &e);
                return Err(e.into());
            }
        };
        let Some(conn) = state.conn.as_mut() else {
            unreachable!("begin opened the connection");
        };
        let result = catch_unwind(AssertUnwindSafe(|| f(conn)));
        if let Err(e) = close_savepoint(conn, matches!(result, Ok(Ok(_)))) {
            self.fail_batch(&mut state, &e);
        }
        let committed_here = self.end_turn(&mut state);
        drop(state);
        let value = match result {
            Ok(value) => value?,
            Err(panic) => resume_unwind(panic),
        };
        match committed_here {
            Some(commit) => commit?,
            None => outcome.wait()?,
        }
        Ok(value)
    }

    /// Opens the connection and the batch's transaction if need be, and this writer's
    /// savepoint in it. Every writer has one, the batch's first too: if SQLite ever rolls back
    /// the whole transaction (a full disk, an I/O error), releasing the savepoint fails and
    /// the batch is failed, rather than a later `SAVEPOINT` quietly beginning a new one.
    fn begin(&self, state: &mut WriterState) -> Result<Arc<Outcome>, DieselError> {
        let conn = match &mut state.conn {
            Some(conn) => conn,
            empty => empty.insert(
                crate::dialect::establish(Backend::Sqlite, &self.url)
                    .map_err(|e| commit_failed(format!("cannot open the writer: {e}")))?,
            ),
        };
        if state.batch.is_none() {
            let DbConn::Sqlite(c) = conn else {
                unreachable!("the shared writer is SQLite's");
            };
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
        }
        let batch = state.batch.get_or_insert_with(|| Batch {
            turns: 0,
            outcome: Arc::default(),
        });
        batch.turns += 1;
        DbConn::begin_transaction(conn)?;
        Ok(Arc::clone(&batch.outcome))
    }

    /// Ends a turn: the batch stays open while writers are queued and it has room; otherwise
    /// it is committed here, and the commit's result comes back.
    fn end_turn(&self, state: &mut WriterState) -> Option<Result<(), DieselError>> {
        let turns = state.batch.as_ref()?.turns;
        if turns < MAX_BATCH && self.queued.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let committed = match state.conn.as_mut() {
            Some(conn) => match depth(conn) {
                Ok(1) => DbConn::commit_transaction(conn),
                _ => Err(DieselError::BrokenTransactionManager),
            },
            None => Err(DieselError::BrokenTransactionManager),
        };
        match committed {
            Ok(()) => {
                if let Some(batch) = state.batch.take() {
                    batch.outcome.settle(Ok(()));
                }
                Some(Ok(()))
            }
            Err(e) => {
                self.fail_batch(state, &e);
                Some(Err(commit_failed(e.to_string())))
            }
        }
    }

    /// The batch's transaction is lost (a failed commit or savepoint): its writers are told,
    /// and the connection, whose transaction state is unknown, is closed (which rolls back).
    fn fail_batch(&self, state: &mut WriterState, error: &DieselError) {
        if let Some(batch) = state.batch.take() {
            batch.outcome.settle(Err(error.to_string()));
        }
        state.conn = None;
    }
}

/// Ends the writer's own savepoint (depth 2 in the batch's transaction): released into the
/// batch when `keep`, rolled back otherwise, with any savepoint a panic left open inside it.
fn close_savepoint(conn: &mut DbConn, keep: bool) -> Result<(), DieselError> {
    loop {
        match depth(conn)? {
            2 => break,
            d if d > 2 => DbConn::rollback_transaction(conn)?,
            _ => return Err(DieselError::BrokenTransactionManager),
        }
    }
    if keep {
        DbConn::commit_transaction(conn)?;
    } else {
        DbConn::rollback_transaction(conn)?;
    }
    match depth(conn)? {
        1 => Ok(()),
        _ => Err(DieselError::BrokenTransactionManager),
    }
}

/// How many transactions and savepoints diesel has open on `conn`.
pub(crate) fn depth(conn: &mut DbConn) -> Result<u32, DieselError> {
    Ok(DbConn::transaction_manager_status_mut(conn)
        .transaction_depth()?
        .map_or(0, std::num::NonZeroU32::get))
}

/// A failure of the batch a write was committed with, as the write's error.
fn commit_failed(message: String) -> DieselError {
    DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message))
}

/// Locks `mutex`; a writer that panicked left nothing half-done under it (its savepoint was
/// rolled back before the panic went on).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
