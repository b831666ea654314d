//! The only place where SQLite and PostgreSQL are told apart. Each fork is a plain `match`
//! on the connection with a comment saying why the shared query layer cannot express it.

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::result::Error as DieselError;
use diesel::{Connection, PgConnection, SqliteConnection};

use diesel_migrations::{EmbeddedMigrations, embed_migrations};

use crate::writer::SharedWriter;
use crate::{Backend, DbConn};

/// Runs the same diesel builder on whichever inner connection `conn` holds, for queries the
/// `MultiConnection` enum cannot express but both engines can (upserts, batch inserts).
macro_rules! on_each_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            DbConn::Sqlite($c) => $body,
            DbConn::Postgresql($c) => $body,
        }
    };
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Fork: DDL differs per engine (`AUTOINCREMENT` against `BIGSERIAL`), so each backend has its
/// own migration folder, kept in lockstep (`tests/migrations.rs` proves it).
pub(crate) fn migrations(conn: &DbConn) -> EmbeddedMigrations {
    match conn {
        DbConn::Sqlite(_) => SQLITE_MIGRATIONS,
        DbConn::Postgresql(_) => POSTGRES_MIGRATIONS,
    }
}

/// Opens a connection for `url`, which [`Backend::from_url`] has already classified.
///
/// Fork: `DbConn::establish` tries each variant in turn and reports only "invalid
/// connection url", hiding the real cause (connection refused, bad password); dispatching on
/// the scheme ourselves keeps it. SQLite connections also get their per-connection pragmas.
pub(crate) fn establish(backend: Backend, url: &str) -> Result<DbConn, diesel::ConnectionError> {
    match backend {
        Backend::Postgres => PgConnection::establish(url).map(DbConn::Postgresql),
        Backend::Sqlite => {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            let mut conn = SqliteConnection::establish(path)?;
            // WAL lets readers run beside the writer; synchronous=FULL makes an acknowledged
            // post survive power loss; busy_timeout makes a second writer wait, not fail.
            // (SQLite's page cache stays at its default 2 MiB per connection: 8 MiB cut the
            // time searches spend in read() calls at 100k posts, but doubled the server's
            // resident size, and a memory map is counted once per connection in it.)
            conn.batch_execute(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;
                 PRAGMA foreign_keys = ON;
                 PRAGMA busy_timeout = 5000;",
            )
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(DbConn::Sqlite(conn))
        }
    }
}

/// Runs `f` while holding the database-wide migration lock, so that nodes starting at the
/// same moment take turns and the later ones find nothing left to do.
///
/// Fork: SQLite runs the whole migration inside one `BEGIN IMMEDIATE` transaction (each
/// migration becomes a savepoint; the others wait on `busy_timeout`). PostgreSQL takes a
/// session-level advisory lock, which does not depend on how the migrations use transactions.
pub fn with_migration_lock<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, crate::Error>,
) -> Result<T, crate::Error> {
    // Any constant works, as long as nothing else in the database uses it: "stoa" in ASCII.
    const LOCK: &str = "1937010529";
    if let DbConn::Sqlite(_) = conn {
        return write_transaction(conn, f);
    }
    conn.batch_execute(&format!("SELECT pg_advisory_lock({LOCK})"))?;
    let result = f(conn);
    conn.batch_execute(&format!("SELECT pg_advisory_unlock({LOCK})"))?;
    result
}

/// Runs `f` in a write transaction: committed when it returns `Ok`, rolled back otherwise.
/// Inside another write transaction it is a savepoint of that one.
///
/// Fork: SQLite lets one transaction write at a time. Inside [`crate::Db::run`], `f` runs on
/// the database's one writer connection, not on `conn`, in a savepoint of a transaction
/// shared with the writers queued behind it, and returns once that transaction is committed
/// (see [`crate::writer`]): they wait their turn in this process, not in SQLite's busy
/// handler, which polls with sleeps of up to 100 ms, and one commit (and `fsync`) serves
/// them all. Elsewhere (a lone command's connection) the transaction is `conn`'s own: a plain
/// `BEGIN` would take the write lock only at the first write, and a transaction that read
/// first would then fail with `SQLITE_BUSY` at once, ignoring `busy_timeout`, so it begins
/// with `BEGIN IMMEDIATE`, which takes the lock at the start. PostgreSQL locks rows, so its
/// ordinary `BEGIN` is right.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DieselError>,
{
    // Inside another one (on the shared writer, `conn` is its connection): a savepoint.
    if crate::writer::depth(conn)? > 0 {
        return conn.transaction(f);
    }
    let f = match conn {
        DbConn::Sqlite(c) => match SharedWriter::write_with_current(f) {
            Ok(written) => return written,
            Err(f) => {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
                f
            }
        },
        DbConn::Postgresql(c) => {
            AnsiTransactionManager::begin_transaction(c)?;
            f
        }
    };
    within_begun_transaction(conn, f)
}

/// Runs `f` in the transaction just begun on `conn`: committed when it returns `Ok`, rolled
/// back otherwise.
fn within_begun_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DieselError>,
{
    match f(conn) {
        Ok(value) => {
            DbConn::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match DbConn::rollback_transaction(conn) {
            Ok(()) | Err(DieselError::BrokenTransactionManager) => Err(error),
            Err(rollback_error) => Err(rollback_error.into()),
        },
    }
}

/// Runs `f`, reads whose best plan is the same whatever values they are given (a tag's
/// list walks that tag's rows in order, popular or not), with each statement planned once.
///
/// Fork: PostgreSQL plans a prepared statement again for each run's values as long as its
/// one generic plan looks costlier than those, and for the tag list it does at 100,000 posts
/// and more (not on the small dump): planning then took 0.5 ms of the query's 0.7 on every
/// request, for the same plan. `SET LOCAL plan_cache_mode = force_generic_plan`, sent with
/// the `BEGIN` in one round trip, asks for the generic plan inside this transaction only
/// (one global setting would also give the home list a generic plan, which, not knowing the
/// `LIMIT`, sorts every thread). SQLite plans a prepared statement once anyway.
pub fn planned_once<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DieselError>,
{
    match conn {
        DbConn::Sqlite(_) => f(conn),
        DbConn::Postgresql(c) => {
            AnsiTransactionManager::begin_transaction_sql(
                c,
                "BEGIN READ ONLY; SET LOCAL plan_cache_mode = force_generic_plan",
            )?;
            within_begun_transaction(conn, f)
        }
    }
}

/// Runs `f` where a concurrent writer's commit could make it fail on a unique index, so that
/// the failure can be undone alone and the transaction go on.
///
/// Fork: on PostgreSQL that is a savepoint (two transactions can both pass a "was it sent
/// before?" check). A SQLite write transaction holds the only write lock from its `BEGIN
/// IMMEDIATE` (see [`write_transaction`]), so no other commit can come between the check and
/// the write, and a savepoint there only costs: every page changed after it is copied to a
/// sub-journal, and FTS5 flushes its pending index at each one.
pub fn racing_writers<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DieselError>,
{
    match conn {
        DbConn::Sqlite(_) => f(conn),
        DbConn::Postgresql(_) => conn.transaction(f),
    }
}

/// Opens a rate-limit window for `bucket` at `at` with one hit, unless the bucket already has
/// a row (then nothing happens and `false` comes back: the caller counts against that row).
///
/// Fork: `INSERT … ON CONFLICT DO NOTHING`, which both engines support but diesel's
/// `MultiConnection` cannot express; the same builder runs on each inner connection. (A
/// `DO UPDATE` that reset the row would lose a hit counted by a concurrent request.)
pub fn open_rate_window(
    conn: &mut DbConn,
    bucket: &str,
    at: time::PrimitiveDateTime,
) -> diesel::QueryResult<bool> {
    use crate::schema::rate_limits::dsl::{bucket as bucket_col, hits, rate_limits, window_start};
    use diesel::{ExpressionMethods, RunQueryDsl};
    let row = (bucket_col.eq(bucket), window_start.eq(at), hits.eq(1));
    on_each_backend!(conn, |c| diesel::insert_into(rate_limits)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))
    .map(|inserted| inserted == 1)
}

/// `(table, column, type class, nullable)` for every application table, to prove that both
/// migration folders build the same schema.
///
/// Fork: each engine describes its catalogue differently (`pragma_table_info` against
/// `information_schema`), and declared types are spelled per engine, so they are mapped to
/// a class: `int`, `text`, `bool`, `timestamp`. The full-text tables (`fulltext_*`) are left
/// out: they are each engine's own index structure (an FTS5 table against a tsvector column).
#[cfg(feature = "testing")]
pub fn describe_schema(
    conn: &mut DbConn,
) -> diesel::QueryResult<Vec<(String, String, String, bool)>> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::{Bool, Text};

    #[derive(diesel::QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
        #[diesel(sql_type = Text)]
        data_type: String,
        #[diesel(sql_type = Bool)]
        nullable: bool,
    }

    let sql = match conn {
        DbConn::Sqlite(_) => {
            "SELECT m.name AS table_name, p.name AS column_name, lower(p.type) AS data_type,
                    (p.\"notnull\" = 0 AND p.pk = 0) AS nullable
             FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
               AND m.name NOT LIKE '__diesel%' AND m.name NOT LIKE 'fulltext_%'
             ORDER BY 1, 2"
        }
        DbConn::Postgresql(_) => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name,
                    data_type::text AS data_type, (is_nullable = 'YES') AS nullable
             FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name NOT LIKE '__diesel%'
               AND table_name NOT LIKE 'fulltext_%'
             ORDER BY 1, 2"
        }
    };
    let rows: Vec<Column> = diesel::sql_query(sql).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|c| {
            let class = match c.data_type.as_str() {
                "integer" | "bigint" => "int",
                "text" => "text",
                "boolean" => "bool",
                t if t.starts_with("timestamp") => "timestamp",
                other => other,
            };
            (c.table_name, c.column_name, class.to_owned(), c.nullable)
        })
        .collect())
}

/// Tells whether anything was committed to the database since it last looked, whichever
/// connection, node or process committed it. It holds a connection of its own.
///
/// Fork: SQLite moves `PRAGMA data_version` (as one connection sees it) whenever another
/// connection commits. PostgreSQL has no such counter; the content tables' triggers notify
/// the `stoa_content` channel on commit (see the `content_changes` migration), and this
/// connection listens. Notifications arrive when the connection next talks to the server,
/// so each look sends a trivial query.
pub struct ChangeWatch {
    conn: DbConn,
    last_version: i64,
}

impl std::fmt::Debug for ChangeWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeWatch").finish_non_exhaustive()
    }
}

impl ChangeWatch {
    /// Opens the watching connection to `url`.
    pub fn open(backend: Backend, url: &str) -> Result<ChangeWatch, crate::Error> {
        let mut conn = establish(backend, url)
            .map_err(|e| crate::Error::Worker(format!("cannot open a connection: {e}")))?;
        if let DbConn::Postgresql(c) = &mut conn {
            c.batch_execute("LISTEN stoa_content")?;
        }
        let mut watch = ChangeWatch {
            conn,
            last_version: 0,
        };
        watch.changed()?;
        Ok(watch)
    }

    /// True when something was committed since the last call (or since it was opened).
    pub fn changed(&mut self) -> Result<bool, crate::Error> {
        match &mut self.conn {
            DbConn::Sqlite(c) => {
                use diesel::RunQueryDsl;
                #[derive(diesel::QueryableByName)]
                struct DataVersion {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    data_version: i64,
                }
                let version = diesel::sql_query("PRAGMA data_version")
                    .get_result::<DataVersion>(c)?
                    .data_version;
                let changed = version != self.last_version;
                self.last_version = version;
                Ok(changed)
            }
            DbConn::Postgresql(c) => {
                // Not an empty query: diesel reports PostgreSQL's answer to one as an error.
                c.batch_execute("SELECT 1")?;
                let mut changed = false;
                for notification in c.notifications_iter() {
                    notification?;
                    changed = true;
                }
                Ok(changed)
            }
        }
    }
}

/// Refreshes the query planner's statistics, after a bulk load (an import) changed the
/// shape of the data.
///
/// Fork: SQLite keeps statistics only when asked (`ANALYZE`); PostgreSQL's autovacuum would
/// get there by itself, later, and `ANALYZE` brings it forward.
pub fn refresh_statistics(conn: &mut DbConn) -> diesel::QueryResult<()> {
    conn.batch_execute("ANALYZE")
}

/// Lets the database refresh statistics that have grown out of date; cheap when none have.
///
/// Fork: SQLite's `PRAGMA optimize` (with `0x10002` it also looks at tables never analyzed,
/// within `analysis_limit` rows each); PostgreSQL's autovacuum does this on its own.
pub fn optimize(conn: &mut DbConn) -> diesel::QueryResult<()> {
    match conn {
        DbConn::Sqlite(c) => {
            c.batch_execute("PRAGMA analysis_limit = 2000; PRAGMA optimize = 0x10002;")
        }
        DbConn::Postgresql(_) => Ok(()),
    }
}
