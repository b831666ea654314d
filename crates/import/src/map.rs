//! The import map: which local row each source row became (`import_map`).

use std::collections::HashMap;

use diesel::prelude::*;
use stoa_db::DbConn;
use stoa_db::schema::import_map;

/// Kinds of mapped rows.
pub(crate) const USER: &str = "user";
pub(crate) const POST: &str = "post";
pub(crate) const COMMENT: &str = "comment";
/// The one local account standing for authors whose source account is gone.
pub(crate) const FORMER_MEMBER: &str = "former-member";

/// The local ids of those of `originals` that are mapped already.
pub(crate) fn lookup(
    conn: &mut DbConn,
    site: &str,
    kind: &str,
    originals: &[i64],
) -> QueryResult<HashMap<i64, i64>> {
    if originals.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(import_map::table
        .filter(import_map::site.eq(site))
        .filter(import_map::kind.eq(kind))
        .filter(import_map::original_id.eq_any(originals))
        .select((import_map::original_id, import_map::local_id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}

/// Records that `original` became `local`. Call in the transaction that wrote `local`, so a
/// run stopped at any point leaves no row without its mapping (and none mapped twice).
pub(crate) fn remember(
    conn: &mut DbConn,
    site: &str,
    kind: &str,
    original: i64,
    local: i64,
) -> QueryResult<()> {
    diesel::insert_into(import_map::table)
        .values((
            import_map::site.eq(site),
            import_map::kind.eq(kind),
            import_map::original_id.eq(original),
            import_map::local_id.eq(local),
        ))
        .execute(conn)
        .map(drop)
}
