//! Stoa's database layer: one connection type over SQLite (the embedded default) and
//! PostgreSQL (for several nodes), a bounded pool, the schema and the embedded migrations.
//!
//! Every query is written once against [`DbConn`]. Callers own transactions: functions in the
//! domain crates take `&mut DbConn` and a multi-step write wraps them in
//! [`dialect::write_transaction`]. Async code reaches the database only through
//! [`Db::run`], which runs the closure on tokio's blocking pool, at most as many at a time as
//! there are pooled connections, and writes through [`Db::write`], which is `run` with the
//! closure in a write transaction.

mod conn;
pub mod dialect;
mod ids;
pub mod page;
pub mod prepared;
pub mod schema;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel_migrations::MigrationHarness;
use tokio::sync::Semaphore;

pub use conn::DbConn;
pub use conn::MultiBackend;
pub use diesel;
pub use ids::{CategoryId, CommentId, PostId, TagId, ThreadId, UserId};

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `postgres://` and `postgresql://` URLs select PostgreSQL; `sqlite://path` or a plain
    /// file path selects SQLite. Any other scheme is refused rather than taken for a file name.
    pub fn from_url(url: &str) -> Result<Self, Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else if url.starts_with("sqlite://") || !url.contains("://") {
            Ok(Backend::Sqlite)
        } else {
            Err(Error::UnsupportedUrl(
                url.split("://").next().unwrap_or_default().to_owned(),
            ))
        }
    }
}

/// Database errors, with no HTTP in them.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unsupported database URL scheme `{0}://` (use postgres://… or a SQLite file path)")]
    UnsupportedUrl(String),
    #[error("cannot connect to the database: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("the database worker stopped: {0}")]
    Worker(String),
}

impl Error {
    /// True when the database rejected a write because a unique constraint already holds
    /// the value (a taken username, a repeated form submission).
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            Error::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

/// Creates pooled connections, dispatching on the URL scheme (see [`dialect`]).
#[derive(Debug)]
struct Manager {
    backend: Backend,
    url: String,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        let mut conn =
            dialect::establish(self.backend, &self.url).map_err(r2d2::Error::ConnectionError)?;
        // On SQLite every write takes its turn on the writer connection
        // (`dialect::write_transaction`); the pool's connections only read, so that a write
        // outside one fails at once rather than waiting on the file's lock, maybe past
        // `busy_timeout`, while others write.
        if self.backend == Backend::Sqlite {
            use diesel::connection::SimpleConnection;
            conn.batch_execute("PRAGMA query_only = ON")
                .map_err(r2d2::Error::QueryError)?;
        }
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    /// A connection given back mid-transaction (its closure panicked, or a rollback failed)
    /// is closed rather than handed to the next caller inside that transaction.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        use diesel::connection::TransactionManager;
        std::thread::panicking() || DbConn::is_broken_transaction_manager(conn)
    }
}

/// A pool of connections and the one async entry point to them.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    permits: Arc<Semaphore>,
    backend: Backend,
    url: Arc<str>,
    /// SQLite's one writer connection, which the write transactions of [`Db::run`] share.
    writer: Option<Arc<writer::SharedWriter>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Connects to `url` with at most `pool_size` connections. For SQLite the file's folder
    /// is created if missing. Fails at once if the database cannot be reached.
    pub fn connect(url: &str, pool_size: u32) -> Result<Self, Error> {
        let backend = Backend::from_url(url)?;
        if backend == Backend::Sqlite {
            let path = std::path::Path::new(url.strip_prefix("sqlite://").unwrap_or(url));
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Error::Worker(format!("cannot create the folder {}: {e}", dir.display()))
                })?;
            }
        }
        let pool_size = pool_size.max(1);
        // No idle minimum: with one, the pool opens a replacement in a background thread
        // whenever the idle connection is taken, and a command that ends meanwhile exits
        // while that thread is in libpq's TLS handshake: OpenSSL's exit-time cleanup then
        // crashes the process (seen as `stoa search status` dying with SIGSEGV about one
        // run in ten on a loaded machine). Connections open when asked for and stay open.
        let pool = Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(5))
            .build(Manager {
                backend,
                url: url.to_owned(),
            })?;
        let url = Arc::<str>::from(url);
        Ok(Db {
            pool,
            permits: Arc::new(Semaphore::new(pool_size as usize)),
            backend,
            writer: (backend == Backend::Sqlite).then(|| writer::SharedWriter::new(url.clone())),
            url,
        })
    }

    /// The engine behind this pool.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A watch on commits to this database, on a connection of its own (outside the pool).
    pub fn watch_changes(&self) -> Result<dialect::ChangeWatch, Error> {
        dialect::ChangeWatch::open(self.backend, &self.url)
    }

    /// Runs `f` with a pooled connection on tokio's blocking pool, so diesel's synchronous
    /// calls never block an async worker. Its write transactions on SQLite run on the shared
    /// writer connection (see [`dialect::write_transaction`]). At most `pool_size` closures
    /// run at once; the rest wait here without holding a thread.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| Error::Worker(e.to_string()))?;
        let pool = self.pool.clone();
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _writer = writer.as_ref().map(writer::SharedWriter::enter);
            let mut conn: PooledConnection<Manager> = pool.get().map_err(Error::from)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| Error::Worker(e.to_string()))?
    }

    /// Runs `f` in one write transaction (see [`dialect::write_transaction`]) with a pooled
    /// connection, as [`Db::run`] does: the way async code writes. Pooled SQLite connections
    /// only read, so a write outside a write transaction fails; a closure given to `run` that
    /// must read before it writes calls `write_transaction` itself. Committed when `f` returns
    /// `Ok`, rolled back otherwise.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + From<diesel::result::Error> + Send + 'static,
    {
        self.run(move |conn| dialect::write_transaction(conn, f))
            .await
    }

    /// Applies pending migrations and returns the versions applied.
    pub async fn migrate(&self) -> Result<Vec<String>, Error> {
        self.run(migrate).await
    }
}

/// Applies the pending migrations of the connection's backend, embedded in the binary.
/// Several nodes starting at once take turns (see [`dialect::with_migration_lock`]).
pub fn migrate(conn: &mut DbConn) -> Result<Vec<String>, Error> {
    dialect::with_migration_lock(conn, |conn| {
        let applied = conn
            .run_pending_migrations(dialect::migrations(conn))
            .map_err(|e| Error::Migration(e.to_string()))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    })
}
