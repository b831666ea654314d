//! Throw-away databases for tests: a SQLite file in a temporary folder, or a fresh
//! PostgreSQL database created on the server named by `STOA_TEST_DATABASE_URL` and dropped
//! afterwards. Nothing is mocked: tests talk to the real engines.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// The variable naming a PostgreSQL server (any database on it) that tests may create
/// databases on.
pub const POSTGRES_URL_VAR: &str = "STOA_TEST_DATABASE_URL";

/// The engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn(T)` once on SQLite and once on PostgreSQL, where `T` is what
/// `$setup` (an `async fn(TestBackend) -> T`, named by an absolute path such as
/// `crate::common::TestApp::spawn`) builds for that engine. The PostgreSQL variants run when
/// the calling crate's build script sets `cfg(stoa_pg_tests)` (it does when
/// `STOA_TEST_DATABASE_URL` is set) and are listed as ignored otherwise.
#[macro_export]
macro_rules! on_both_backends {
    ($setup:path; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($setup($crate::testing::TestBackend::Sqlite).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(stoa_pg_tests), ignore = "set STOA_TEST_DATABASE_URL to run on PostgreSQL")]
                async fn $name() {
                    super::$name($setup($crate::testing::TestBackend::Postgres).await).await;
                }
            )*
        }
    };
}

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    /// The URL to give to [`crate::Db::connect`].
    pub url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    /// Removed with its folder when dropped.
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl TestDatabase {
    /// A new, empty database on `backend`.
    pub fn new(backend: TestBackend) -> Self {
        match backend {
            TestBackend::Sqlite => Self::sqlite(),
            TestBackend::Postgres => Self::postgres(),
        }
    }

    /// A new, empty SQLite file.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
        let url = dir.path().join("stoa.db").display().to_string();
        TestDatabase {
            url,
            cleanup: Cleanup::Sqlite { _dir: dir },
        }
    }

    /// A new, empty PostgreSQL database. Panics when `STOA_TEST_DATABASE_URL` is unset or the
    /// server cannot be reached: a PostgreSQL test that runs must really run.
    pub fn postgres() -> Self {
        let admin_url = std::env::var(POSTGRES_URL_VAR)
            .unwrap_or_else(|_| panic!("{POSTGRES_URL_VAR} is not set"));
        let name = format!("stoa_test_{:016x}", rand::random::<u64>());
        let mut admin = PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is unreachable: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        let url = with_database(&admin_url, &name);
        TestDatabase {
            url,
            cleanup: Cleanup::Postgres { admin_url, name },
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            // FORCE ends the pool's connections that may still be open.
            let dropped = match PgConnection::establish(admin_url) {
                Ok(mut admin) => admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = dropped {
                eprintln!("could not drop test database {name}: {e}");
            }
        }
    }
}

/// Applies migrations one at a time up to and including the one whose version starts with
/// `version` (to put content in a database as an older release left it). Versions are the
/// folder names' digits (`2026-11-23-000001` is `20261123000001`).
pub fn migrate_through(conn: &mut crate::DbConn, version: &str) -> Result<(), crate::Error> {
    use diesel_migrations::MigrationHarness;
    let version = version.replace('-', "");
    loop {
        let applied = conn
            .run_next_migration(crate::dialect::migrations(conn))
            .map_err(|e| crate::Error::Migration(e.to_string()))?;
        if applied.to_string().starts_with(&version) {
            return Ok(());
        }
    }
}

/// Replaces the database name (the URL's path) in a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            with_database("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
        assert_eq!(
            with_database("postgres://h/db?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
    }
}
