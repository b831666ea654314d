//! Reads that ask PostgreSQL for one plan per statement keep that setting to themselves.

use diesel::prelude::*;
use diesel::sql_types::Text;
use stoa_db::testing::TestDatabase;
use stoa_db::{Db, DbConn, dialect};

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    plan_cache_mode: String,
}

fn plan_cache_mode(conn: &mut DbConn) -> QueryResult<String> {
    diesel::sql_query("SHOW plan_cache_mode")
        .get_result::<Setting>(conn)
        .map(|s| s.plan_cache_mode)
}

/// Inside `planned_once` statements get generic plans; after it, whether the read succeeded
/// or failed, the connection (which goes back to the pool) plans as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(stoa_pg_tests),
    ignore = "set STOA_TEST_DATABASE_URL to run on PostgreSQL"
)]
async fn postgres_generic_plans_end_with_the_read() {
    let test_db = TestDatabase::postgres();
    let db = Db::connect(&test_db.url, 1).unwrap_or_else(|e| panic!("connect: {e}"));
    let modes = db
        .run(|conn| {
            let inside = dialect::planned_once(conn, plan_cache_mode)?;
            let after = plan_cache_mode(conn)?;
            let failed = dialect::planned_once(conn, |conn| {
                plan_cache_mode(conn)?;
                diesel::sql_query("SELECT no_such_column FROM pg_class").execute(conn)
            });
            assert!(failed.is_err(), "the failing read must fail");
            let after_failure = plan_cache_mode(conn)?;
            Ok::<_, stoa_db::Error>((inside, after, after_failure))
        })
        .await
        .unwrap_or_else(|e| panic!("read: {e}"));
    assert_eq!(
        modes,
        (
            "force_generic_plan".to_owned(),
            "auto".to_owned(),
            "auto".to_owned()
        )
    );
}
