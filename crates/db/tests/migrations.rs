//! Both migration folders must describe the same database: same versions, same tables,
//! same columns with the same type class and nullability.

use std::collections::BTreeSet;
use std::path::Path;

use stoa_db::testing::TestDatabase;
use stoa_db::{Db, DbConn, dialect};

fn versions(folder: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(folder);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

#[test]
fn both_folders_hold_the_same_versions() {
    let sqlite = versions("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, versions("postgres"));
}

async fn migrated_schema(db: &TestDatabase) -> Vec<(String, String, String, bool)> {
    let db = Db::connect(&db.url, 2).unwrap_or_else(|e| panic!("connect: {e}"));
    let applied = db
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("migrate: {e}"));
    assert_eq!(
        applied.len(),
        versions("sqlite").len(),
        "every migration applies once"
    );
    let again = db
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("migrate: {e}"));
    assert!(again.is_empty(), "a second run applies nothing");
    db.run(|conn: &mut DbConn| dialect::describe_schema(conn).map_err(stoa_db::Error::from))
        .await
        .unwrap_or_else(|e| panic!("describe: {e}"))
}

#[tokio::test]
#[cfg_attr(
    not(stoa_pg_tests),
    ignore = "set STOA_TEST_DATABASE_URL to compare with PostgreSQL"
)]
async fn sqlite_and_postgres_schemas_match() {
    let sqlite = migrated_schema(&TestDatabase::sqlite()).await;
    let postgres = migrated_schema(&TestDatabase::postgres()).await;
    assert!(
        sqlite
            .iter()
            .any(|(t, c, _, _)| t == "users" && c == "username")
    );
    assert_eq!(sqlite, postgres);
}

/// Several nodes starting at once against one empty database: all come up, and the
/// migrations apply exactly once.
async fn concurrent_migrations(url: &str) {
    const NODES: usize = 6;
    let start = std::sync::Arc::new(std::sync::Barrier::new(NODES));
    let runs: Vec<_> = (0..NODES)
        .map(|_| {
            let db = Db::connect(url, 1).unwrap_or_else(|e| panic!("connect: {e}"));
            let start = start.clone();
            // Each node waits at the barrier on its own connection, so all begin together.
            tokio::spawn(async move {
                db.run(move |conn| {
                    start.wait();
                    stoa_db::migrate(conn)
                })
                .await
            })
        })
        .collect();
    let mut applied = Vec::new();
    for run in runs {
        let versions = run
            .await
            .unwrap_or_else(|e| panic!("join: {e}"))
            .unwrap_or_else(|e| panic!("migrate: {e}"));
        applied.push(versions.len());
    }
    applied.sort_unstable();
    let mut expected = vec![0; NODES - 1];
    expected.push(versions("sqlite").len());
    assert_eq!(applied, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_nodes_migrating_at_once_take_turns() {
    concurrent_migrations(&TestDatabase::sqlite().url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(stoa_pg_tests),
    ignore = "set STOA_TEST_DATABASE_URL to run on PostgreSQL"
)]
async fn postgres_nodes_migrating_at_once_take_turns() {
    concurrent_migrations(&TestDatabase::postgres().url).await;
}

/// Content written under the first release survives every later migration, and the
/// migrations that derive data from it (the first revision of each post) fill it in.
async fn existing_content_survives(url: &str) {
    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;
    use diesel::sql_types::{BigInt, Nullable, Text};

    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Revision {
        #[diesel(sql_type = BigInt)]
        post_id: i64,
        #[diesel(sql_type = Nullable<Text>)]
        title: Option<String>,
        #[diesel(sql_type = Text)]
        body_source: String,
    }

    let db = Db::connect(url, 1).unwrap_or_else(|e| panic!("connect: {e}"));
    let revisions: Vec<Revision> = db
        .run(|conn| {
            // The pool's SQLite connections only read: the old release's content goes in as
            // one write, with the migrations before and after it.
            stoa_db::dialect::write_transaction(conn, |conn| {
                stoa_db::testing::migrate_through(conn, "2026-11-23-000001")?;
                conn.batch_execute(
                    "INSERT INTO users (id, username, display_name, role, created_at)
                         VALUES (1, 'old', 'Old Member', 'member', '2026-01-01 10:00:00');
                     INSERT INTO categories (id, name, slug, created_at) VALUES (1, 'General', 'general', '2026-01-01 10:00:00');
                     INSERT INTO threads (id, category_id, author_id, title, slug, answer_count, created_at, last_activity_at)
                         VALUES (1, 1, 1, 'An old question', 'an-old-question', 1, '2026-01-01 10:00:00', '2026-01-01 11:00:00');
                     INSERT INTO posts (id, thread_id, author_id, is_question, body_source, body_html, created_at, updated_at)
                         VALUES (1, 1, 1, TRUE, 'old question text', '<p>old question text</p>', '2026-01-01 10:00:00', '2026-01-01 10:00:00'),
                                (2, 1, 1, FALSE, 'old answer text', '<p>old answer text</p>', '2026-01-01 11:00:00', '2026-01-01 11:00:00');",
                )?;
                stoa_db::migrate(conn)
            })?;
            Ok::<_, stoa_db::Error>(
                diesel::sql_query("SELECT post_id, title, body_source FROM post_revisions ORDER BY post_id").load(conn)?,
            )
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        revisions,
        [
            Revision {
                post_id: 1,
                title: Some("An old question".into()),
                body_source: "old question text".into()
            },
            Revision {
                post_id: 2,
                title: None,
                body_source: "old answer text".into()
            },
        ]
    );
}

#[tokio::test]
async fn sqlite_content_survives_every_migration() {
    existing_content_survives(&TestDatabase::sqlite().url).await;
}

#[tokio::test]
#[cfg_attr(
    not(stoa_pg_tests),
    ignore = "set STOA_TEST_DATABASE_URL to run on PostgreSQL"
)]
async fn postgres_content_survives_every_migration() {
    existing_content_survives(&TestDatabase::postgres().url).await;
}
