//! Concurrent writers wait for each other instead of failing: on SQLite every write
//! transaction takes the write lock at its start (`BEGIN IMMEDIATE`), and the writers of one
//! process share transactions on one connection, each still failing alone.

use diesel::prelude::*;
use stoa_db::schema::categories;
use stoa_db::testing::TestDatabase;
use stoa_db::{Db, dialect, time::now};

/// A new SQLite database, migrated, behind a pool of `connections`.
async fn migrated_sqlite(connections: u32) -> (TestDatabase, Db) {
    migrated(TestDatabase::sqlite(), connections).await
}

/// `test_db` migrated, behind a pool of `connections`.
async fn migrated(test_db: TestDatabase, connections: u32) -> (TestDatabase, Db) {
    let db = Db::connect(&test_db.url, connections).unwrap_or_else(|e| panic!("connect: {e}"));
    db.migrate()
        .await
        .unwrap_or_else(|e| panic!("migrate: {e}"));
    (test_db, db)
}

/// Many tasks each read the category count and then insert a row named after it, the
/// read-then-write shape that fails with `SQLITE_BUSY` under a deferred `BEGIN`. All must
/// succeed and every count must be distinct (each saw the previous writers' rows).
async fn concurrent_read_then_write() {
    let (_file, db) = migrated_sqlite(8).await;
    let writers: Vec<_> = (0..24)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                db.write(|conn| {
                    let seen: i64 = categories::table.count().get_result(conn)?;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    diesel::insert_into(categories::table)
                        .values((
                            categories::name.eq(format!("c{seen}")),
                            categories::slug.eq(format!("c{seen}")),
                            categories::created_at.eq(now()),
                        ))
                        .execute(conn)?;
                    Ok::<_, stoa_db::Error>(seen)
                })
                .await
            })
        })
        .collect();
    let mut seen = Vec::new();
    for writer in writers {
        seen.push(
            writer
                .await
                .unwrap_or_else(|e| panic!("join: {e}"))
                .unwrap_or_else(|e| panic!("write: {e}")),
        );
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..24).collect::<Vec<i64>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writers_wait_instead_of_failing() {
    concurrent_read_then_write().await;
}

/// The lock is taken when the transaction begins, not at its first write: while a write
/// transaction that has not written anything yet is open, another connection cannot start
/// one (with no busy timeout it is told at once that the database is locked).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_write_transaction_locks_at_begin() {
    use diesel::connection::SimpleConnection;
    use std::sync::mpsc;

    let (test_db, db) = migrated_sqlite(2).await;
    let (began, wait_began) = mpsc::channel();
    let (release, wait_release) = mpsc::channel::<()>();
    let holder = tokio::spawn({
        let db = db.clone();
        async move {
            db.write(move |_conn| {
                began.send(()).ok();
                wait_release.recv().ok();
                Ok::<_, stoa_db::Error>(())
            })
            .await
        }
    });
    tokio::task::spawn_blocking(move || wait_began.recv())
        .await
        .unwrap_or_else(|e| panic!("join: {e}"))
        .unwrap_or_else(|e| panic!("holder never began: {e}"));

    let mut other = diesel::SqliteConnection::establish(&test_db.url)
        .unwrap_or_else(|e| panic!("second connection: {e}"));
    let second = other.batch_execute("PRAGMA busy_timeout = 0; BEGIN IMMEDIATE;");
    release.send(()).ok();
    holder
        .await
        .unwrap_or_else(|e| panic!("join: {e}"))
        .unwrap_or_else(|e| panic!("holder: {e}"));

    let error = second.expect_err("a second writer must not get the lock while the first holds it");
    assert!(
        error.to_string().contains("locked"),
        "unexpected error: {error}"
    );
}

/// A category row named `name`, for the writers below.
fn insert_category(conn: &mut stoa_db::DbConn, name: &str) -> diesel::QueryResult<usize> {
    diesel::insert_into(categories::table)
        .values((
            categories::name.eq(name),
            categories::slug.eq(name),
            categories::created_at.eq(now()),
        ))
        .execute(conn)
}

/// The category names committed, as a connection of its own sees them, sorted.
fn committed_names(url: &str) -> Vec<String> {
    let mut conn = diesel::SqliteConnection::establish(url)
        .unwrap_or_else(|e| panic!("second connection: {e}"));
    let mut names: Vec<String> = categories::table
        .select(categories::name)
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("read: {e}"));
    names.sort_unstable();
    names
}

/// Writers that run at once share transactions, yet each one's outcome is its own: a writer
/// that fails (or panics, here inside a nested write transaction) leaves nothing behind, the others' rows stay, and every writer that
/// succeeded finds its row committed (seen from another connection) as soon as it returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writers_that_fail_take_only_their_own_work_back() {
    let (test_db, db) = migrated_sqlite(8).await;
    let writers: Vec<_> = (0..30)
        .map(|i| {
            let db = db.clone();
            let url = test_db.url.clone();
            tokio::spawn(async move {
                let name = format!("c{i:02}");
                let written = db
                    .write({
                        let name = name.clone();
                        move |conn| {
                            insert_category(conn, &name)?;
                            std::thread::sleep(std::time::Duration::from_millis(5));
                            match i % 3 {
                                0 => Ok(()),
                                1 => Err(stoa_db::Error::Worker("refused".into())),
                                // A panic inside a nested write transaction.
                                _ => dialect::write_transaction::<(), stoa_db::Error, _>(
                                    conn,
                                    |conn| {
                                        insert_category(conn, &format!("{name}-inner"))?;
                                        panic!("writer {i} fails")
                                    },
                                ),
                            }
                        }
                    })
                    .await;
                let visible = tokio::task::spawn_blocking(move || committed_names(&url))
                    .await
                    .unwrap_or_else(|e| panic!("join: {e}"))
                    .contains(&name);
                (i, written.is_ok(), visible)
            })
        })
        .collect();
    for writer in writers {
        let (i, ok, visible) = writer.await.unwrap_or_else(|e| panic!("join: {e}"));
        assert_eq!(ok, i % 3 == 0, "writer {i}: success");
        if ok {
            assert!(visible, "writer {i} returned before its row was committed");
        }
    }
    let mut expected: Vec<String> = (0..30).step_by(3).map(|i| format!("c{i:02}")).collect();
    assert_eq!(committed_names(&test_db.url), expected);
    // The writer goes on taking writes after all that.
    db.write(|conn| {
        insert_category(conn, "later")?;
        Ok::<_, stoa_db::Error>(())
    })
    .await
    .unwrap_or_else(|e| panic!("a later write: {e}"));
    expected.push("later".into());
    assert_eq!(committed_names(&test_db.url), expected);
}

/// A write transaction inside another is a savepoint: when the inner one fails, the outer one
/// goes on and commits what it did before and after.
async fn nested_write_transaction_fails_alone(test_db: TestDatabase) {
    let (_file, db) = migrated(test_db, 2).await;
    db.write(|conn| {
        insert_category(conn, "before")?;
        let inner = dialect::write_transaction(conn, |conn| {
            insert_category(conn, "inner")?;
            Err::<(), _>(stoa_db::Error::Worker("refused".into()))
        });
        assert!(inner.is_err());
        insert_category(conn, "after")?;
        Ok::<_, stoa_db::Error>(())
    })
    .await
    .unwrap_or_else(|e| panic!("write: {e}"));
    let mut names: Vec<String> = db
        .run(|conn| Ok::<_, stoa_db::Error>(categories::table.select(categories::name).load(conn)?))
        .await
        .unwrap_or_else(|e| panic!("read: {e}"));
    names.sort_unstable();
    assert_eq!(names, ["after", "before"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_nested_write_transaction_fails_alone() {
    nested_write_transaction_fails_alone(TestDatabase::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(stoa_pg_tests),
    ignore = "set STOA_TEST_DATABASE_URL to run on PostgreSQL"
)]
async fn postgres_nested_write_transaction_fails_alone() {
    nested_write_transaction_fails_alone(TestDatabase::postgres()).await;
}

/// On SQLite every write takes its turn on the writer connection: a write outside a write
/// transaction, which would wait in SQLite's busy handler and could time out while others
/// write, is refused at once on the pool's connections, and the same write inside one is
/// committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writes_outside_a_write_transaction_are_refused() {
    let (test_db, db) = migrated_sqlite(2).await;
    let stray = db
        .run(|conn| insert_category(conn, "stray").map_err(stoa_db::Error::from))
        .await;
    let refused = stray.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains("readonly"), "{refused}");
    db.write(|conn| insert_category(conn, "taken").map_err(stoa_db::Error::from))
        .await
        .unwrap_or_else(|e| panic!("write: {e}"));
    assert_eq!(committed_names(&test_db.url), ["taken"]);
}
