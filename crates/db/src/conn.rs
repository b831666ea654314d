//! The connection enum. `#[derive(MultiConnection)]` generates a `multi_connection_impl`
//! module beside it, so it lives alone in this module.

use diesel::{PgConnection, SqliteConnection};

/// One database connection, SQLite or PostgreSQL. Every query is written once against it;
/// the few places where the dialects differ live in [`crate::dialect`].
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}
