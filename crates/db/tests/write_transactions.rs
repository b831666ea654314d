//! Concurrent writers wait for each other instead of failing: on SQLite every write
//! transaction takes the write lock at its start (`BEGIN IMMEDIATE`).

use diesel::prelude::*;
use stoa_db::schema::categories;
use stoa_db::testing::TestDatabase;
use stoa_db::{Db, dialect, time::now};

/// Many tasks each read the category count and then insert a row named after it, the
/// read-then-write shape that fails with `SQLITE_BUSY` under a deferred `BEGIN`. All must
/// succeed and every count must be distinct (each saw the previous writers' rows).
async fn concurrent_read_then_write(url: &str) {
    let db = Db::connect(url, 8).unwrap_or_else(|e| panic!("connect: {e}"));
    db.migrate()
        .await
        .unwrap_or_else(|e| panic!("migrate: {e}"));
    let writers = (0..24).map(|_| {
        let db = db.clone();
        tokio::spawn(async move {
            db.run(|conn| {
                dialect::write_transaction(conn, |conn| {
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
            })
            .await
        })
    });
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
    concurrent_read_then_write(&TestDatabase::sqlite().url).await;
}

/// The lock is taken when the transaction begins, not at its first write: while a write
/// transaction that has not written anything yet is open, another connection cannot start
/// one (with no busy timeout it is told at once that the database is locked).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_write_transaction_locks_at_begin() {
    use diesel::connection::SimpleConnection;
    use std::sync::mpsc;

    let test_db = TestDatabase::sqlite();
    let db = Db::connect(&test_db.url, 2).unwrap_or_else(|e| panic!("connect: {e}"));
    db.migrate()
        .await
        .unwrap_or_else(|e| panic!("migrate: {e}"));
    let (began, wait_began) = mpsc::channel();
    let (release, wait_release) = mpsc::channel::<()>();
    let holder = tokio::spawn({
        let db = db.clone();
        async move {
            db.run(move |conn| {
                dialect::write_transaction(conn, |_conn| {
                    began.send(()).ok();
                    wait_release.recv().ok();
                    Ok::<_, stoa_db::Error>(())
                })
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
