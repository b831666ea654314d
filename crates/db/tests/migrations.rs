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
