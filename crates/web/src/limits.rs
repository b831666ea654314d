//! Applies the rate limits of `stoa_moderation::limits` to requests.

use std::net::IpAddr;

use actix_web::HttpRequest;
use stoa_moderation::limits::{self, Limit, Outcome};

use crate::{AppError, AppState};

/// The client's network address: the TCP peer, or, when the peer is a trusted proxy, the
/// last address in `X-Forwarded-For`, the one that proxy saw. Earlier entries (and the
/// `Forwarded` header, which proxies pass through) are whatever the client sent.
pub fn client_address(req: &HttpRequest, state: &AppState) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip());
    if !peer.is_some_and(|p| state.settings.trusts_proxy(p)) {
        return peer;
    }
    req.headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').map(str::trim).find(|s| !s.is_empty()))
        .and_then(|s| s.parse().ok())
        .or(peer)
}

/// The bucket `action:ip:<keyed hash of the address>` for this request: the address itself
/// is never stored, and its hash only until the limit's window ends.
pub async fn per_address(
    action: &str,
    req: &HttpRequest,
    state: &AppState,
) -> Result<String, AppError> {
    let address =
        client_address(req, state).map_or_else(|| "unknown".to_owned(), limits::address_key);
    let key = state.server_key().await?;
    let hashed = stoa_moderation::secrets::sign(key, &format!("address:{address}"));
    Ok(format!("{action}:ip:{hashed}"))
}

/// Counts a hit on `bucket`; over the limit, the request ends with 429.
pub async fn count(state: &AppState, bucket: String, limit: Limit) -> Result<(), AppError> {
    let outcome = state
        .db
        .write(move |conn| limits::hit(conn, &bucket, limit).map_err(db_error))
        .await?;
    refuse_if_limited(outcome)
}

/// Ends the request with 429 if `bucket` is already over its limit (counts nothing).
pub async fn check(state: &AppState, bucket: String, limit: Limit) -> Result<(), AppError> {
    let outcome = state
        .db
        .run(move |conn| limits::check(conn, &bucket, limit).map_err(db_error))
        .await?;
    refuse_if_limited(outcome)
}

fn refuse_if_limited(outcome: Outcome) -> Result<(), AppError> {
    match outcome {
        Outcome::Allowed => Ok(()),
        Outcome::Limited { retry_after } => {
            tracing::warn!(
                limit.retry_after_s = retry_after.whole_seconds(),
                "rate limit reached"
            );
            Err(AppError::TooManyRequests(retry_after))
        }
    }
}

fn db_error(e: stoa_db::diesel::result::Error) -> AppError {
    AppError::from(stoa_db::Error::from(e))
}
