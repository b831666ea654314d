//! Raw SQL that diesel keeps prepared.
//!
//! diesel compiles a `sql_query` again on every run (it cannot know the text is fixed), and
//! SQLite's parser and planner are a large part of a short write: in the posting benchmark a
//! tenth of the server's CPU was statements compiled again, inside the one writer's turn.
//! [`PreparedSql`] tells diesel its text is fixed, so diesel's statement cache keys it by
//! that text and prepares it once per connection.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Text, Timestamp, Untyped};
use diesel::{QueryResult, RunQueryDsl};
use time::PrimitiveDateTime;

/// A value bound to a [`PreparedSql`].
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    BigInt(i64),
    Timestamp(PrimitiveDateTime),
    Text(&'a str),
}

impl From<i64> for Param<'_> {
    fn from(value: i64) -> Self {
        Param::BigInt(value)
    }
}

impl From<PrimitiveDateTime> for Param<'_> {
    fn from(value: PrimitiveDateTime) -> Self {
        Param::Timestamp(value)
    }
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(value: &'a str) -> Self {
        Param::Text(value)
    }
}

/// A statement whose parameters are written `$1`, `$2`, … in its text (one may appear
/// several times). Each is bound where it appears, in the engine's own style. Rows it
/// returns load as `QueryableByName`, as those of `sql_query` do.
#[derive(Debug, Clone, Copy)]
pub struct PreparedSql<'a> {
    sql: &'a str,
    params: &'a [Param<'a>],
}

impl<'a> PreparedSql<'a> {
    pub fn new(sql: &'a str, params: &'a [Param<'a>]) -> Self {
        PreparedSql { sql, params }
    }
}

impl Query for PreparedSql<'_> {
    type SqlType = Untyped;
}

impl QueryId for PreparedSql<'_> {
    type QueryId = ();
    // The text decides the statement: diesel then keys its cache by the text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB> QueryFragment<DB> for PreparedSql<'_>
where
    DB: Backend + HasSqlType<BigInt> + HasSqlType<Timestamp> + HasSqlType<Text>,
    i64: ToSql<BigInt, DB>,
    PrimitiveDateTime: ToSql<Timestamp, DB>,
    str: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let mut rest = self.sql;
        while let Some(at) = rest.find('$') {
            let after = &rest[at + 1..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            let Some(value) = after[..digits]
                .parse::<usize>()
                .ok()
                .and_then(|n| self.params.get(n.checked_sub(1)?))
            else {
                return Err(diesel::result::Error::QueryBuilderError(
                    format!("no parameter for `${}` in: {}", &after[..digits], self.sql).into(),
                ));
            };
            out.push_sql(&rest[..at]);
            match value {
                Param::BigInt(value) => out.push_bind_param::<BigInt, _>(value)?,
                Param::Timestamp(value) => out.push_bind_param::<Timestamp, _>(value)?,
                Param::Text(value) => out.push_bind_param::<Text, _>(*value)?,
            }
            rest = &after[digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for PreparedSql<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::debug_query;
    use diesel::sqlite::Sqlite;

    #[test]
    fn each_parameter_is_bound_where_it_appears() {
        let params = [Param::from(7), Param::from(9)];
        let query = PreparedSql::new("SELECT $1 + $2 WHERE x = $1", &params);
        let shown = debug_query::<Sqlite, _>(&query).to_string();
        assert_eq!(shown, "SELECT ? + ? WHERE x = ? -- binds: [7, 9, 7]");
        let missing = PreparedSql::new("SELECT $3", &params);
        let mut text = String::new();
        let shown = std::fmt::Write::write_fmt(
            &mut text,
            format_args!("{}", debug_query::<Sqlite, _>(&missing)),
        );
        assert!(shown.is_err(), "a parameter without a value is an error");
    }
}
