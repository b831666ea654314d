//! The installation's secret key: made once, at random, and shared by every node through the
//! database. It keys the hashes under which rate limits count network addresses and signs
//! the time a form was shown (so a bot cannot claim it waited).

use base64::Engine;
use diesel::prelude::*;
use hmac::{Hmac, KeyInit, Mac};
use stoa_db::DbConn;
use stoa_db::schema::install_secrets;

const SERVER_KEY: &str = "server_key";

fn stored(conn: &mut DbConn) -> QueryResult<Option<String>> {
    install_secrets::table
        .find(SERVER_KEY)
        .select(install_secrets::value)
        .first::<String>(conn)
        .optional()
}

/// The installation's key, made on first use. Safe when several nodes start at once: the
/// first insert wins and every node reads that one.
pub fn server_key(conn: &mut DbConn) -> QueryResult<Vec<u8>> {
    if let Some(value) = stored(conn)? {
        return Ok(value.into_bytes());
    }
    let bytes: [u8; 32] = rand::random();
    let fresh = base64::engine::general_purpose::STANDARD.encode(bytes);
    // In a savepoint: a concurrent first start may have inserted its own.
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(install_secrets::table)
            .values((
                install_secrets::name.eq(SERVER_KEY),
                install_secrets::value.eq(&fresh),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(fresh.into_bytes()),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(stored(conn)?.unwrap_or(fresh).into_bytes()),
        Err(e) => Err(e),
    }
}

/// HMAC-SHA-256 of `message` under `key`, URL-safe base64.
pub fn sign(key: &[u8], message: &str) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(message.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}
