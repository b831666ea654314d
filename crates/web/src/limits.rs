//! Applies the rate limits of `stoa_moderation::limits` to requests.

use std::net::IpAddr;

use actix_web::HttpRequest;
use stoa_db::dialect;
use stoa_moderation::limits::{self, Limit, Outcome};

use crate::{AppError, AppState};

/// The client's network address: the peer, or with `trust_proxy_headers` the address the
/// reverse proxy reports.
pub fn client_address(req: &HttpRequest, state: &AppState) -> Option<IpAddr> {
    if state.settings.trust_proxy_headers {
        let info = req.connection_info();
        let reported = info.realip_remote_addr()?;
        reported.parse().ok().or_else(|| {
            reported
                .parse::<std::net::SocketAddr>()
                .ok()
                .map(|a| a.ip())
        })
    } else {
        req.peer_addr().map(|a| a.ip())
    }
}

/// The bucket `action:ip:<address>` for this request.
pub fn per_address(action: &str, req: &HttpRequest, state: &AppState) -> String {
    let address =
        client_address(req, state).map_or_else(|| "unknown".to_owned(), limits::address_key);
    format!("{action}:ip:{address}")
}

/// Counts a hit on `bucket`; over the limit, the request ends with 429.
pub async fn count(state: &AppState, bucket: String, limit: Limit) -> Result<(), AppError> {
    let outcome = state
        .db
        .run(move |conn| {
            dialect::write_transaction(conn, |conn| limits::hit(conn, &bucket, limit))
                .map_err(db_error)
        })
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
