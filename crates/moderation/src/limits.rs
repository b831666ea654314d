//! Rate limits in the database, so every node counts against the same numbers.
//!
//! A fixed window per bucket: the first hit opens a window; hits past `max` within it are
//! refused until it ends. Counting is one atomic `UPDATE … RETURNING`, so concurrent requests
//! never lose a hit.

use diesel::prelude::*;
use stoa_db::schema::rate_limits;
use stoa_db::{DbConn, dialect, time::now};
use time::{Duration, PrimitiveDateTime};

/// At most `max` hits per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: i32,
    pub window: Duration,
}

/// Log-in attempts from one network address: `per_minute` a minute and `per_hour` an hour
/// (the settings; 6 and 30 by default, as Discourse: a person retyping a password never
/// reaches them, a guessing script does at once).
pub fn login_per_address(per_minute: u32, per_hour: u32) -> [Limit; 2] {
    let max = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    [
        Limit {
            max: max(per_minute),
            window: Duration::minutes(1),
        },
        Limit {
            max: max(per_hour),
            window: Duration::hours(1),
        },
    ]
}
/// Failed log-ins for one account, from anywhere: 10 per 15 minutes.
pub const LOGIN_FAILURES_PER_ACCOUNT: Limit = Limit {
    max: 10,
    window: Duration::minutes(15),
};
/// New accounts from one network address: 10 an hour…
pub const REGISTER_PER_ADDRESS: Limit = Limit {
    max: 10,
    window: Duration::hours(1),
};
/// …and 20 a day (an office or a school shares one address; a bot farm does too).
pub const REGISTER_PER_ADDRESS_DAILY: Limit = Limit {
    max: 20,
    window: Duration::days(1),
};
/// Password-reset requests from one network address: 5 an hour.
pub const RESET_PER_ADDRESS: Limit = Limit {
    max: 5,
    window: Duration::hours(1),
};
/// Password-reset mails to one address: 3 an hour (nobody's inbox gets flooded).
pub const RESET_MAILS_PER_EMAIL: Limit = Limit {
    max: 3,
    window: Duration::hours(1),
};

/// Confirmation mails a member asks to be sent again: 3 an hour.
pub const CONFIRMATION_MAILS_PER_ACCOUNT: Limit = Limit {
    max: 3,
    window: Duration::hours(1),
};

/// Whether a hit is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    /// Refused; the window ends after `retry_after`.
    Limited {
        retry_after: Duration,
    },
}

/// Counts one hit on `bucket` and says whether it stays within `limit`. Call inside a write
/// transaction.
pub fn hit(conn: &mut DbConn, bucket: &str, limit: Limit) -> QueryResult<Outcome> {
    let at = now();
    let fresh_after = at - limit.window;
    let (hits, started) = match count_in_window(conn, bucket, fresh_after)? {
        Some(counted) => counted,
        // No row yet: open one. If a concurrent request opened it first, count against
        // theirs; if the row is an ended window, start a new one in it.
        None if dialect::open_rate_window(conn, bucket, at)? => (1, at),
        None => {
            let restarted = diesel::update(
                rate_limits::table
                    .filter(rate_limits::bucket.eq(bucket))
                    .filter(rate_limits::window_start.le(fresh_after)),
            )
            .set((rate_limits::window_start.eq(at), rate_limits::hits.eq(1)))
            .execute(conn)?;
            if restarted == 1 {
                (1, at)
            } else {
                count_in_window(conn, bucket, fresh_after)?.unwrap_or((1, at))
            }
        }
    };
    Ok(if hits > limit.max {
        Outcome::Limited {
            retry_after: started + limit.window - at,
        }
    } else {
        Outcome::Allowed
    })
}

/// Counts one hit in the bucket's open window, if it has one: one atomic update.
fn count_in_window(
    conn: &mut DbConn,
    bucket: &str,
    fresh_after: PrimitiveDateTime,
) -> QueryResult<Option<(i32, PrimitiveDateTime)>> {
    diesel::update(
        rate_limits::table
            .filter(rate_limits::bucket.eq(bucket))
            .filter(rate_limits::window_start.gt(fresh_after)),
    )
    .set(rate_limits::hits.eq(rate_limits::hits + 1))
    .returning((rate_limits::hits, rate_limits::window_start))
    .get_result(conn)
    .optional()
}

/// Says whether `bucket` is already over `limit`, without counting a hit.
pub fn check(conn: &mut DbConn, bucket: &str, limit: Limit) -> QueryResult<Outcome> {
    let at = now();
    let current: Option<(i32, PrimitiveDateTime)> = rate_limits::table
        .filter(rate_limits::bucket.eq(bucket))
        .filter(rate_limits::window_start.gt(at - limit.window))
        .select((rate_limits::hits, rate_limits::window_start))
        .first(conn)
        .optional()?;
    Ok(match current {
        Some((hits, started)) if hits >= limit.max => Outcome::Limited {
            retry_after: started + limit.window - at,
        },
        _ => Outcome::Allowed,
    })
}

/// Deletes the counters of windows that ended before `before` (none is longer than a day).
pub fn purge(conn: &mut DbConn, before: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(rate_limits::table.filter(rate_limits::window_start.lt(before))).execute(conn)
}

/// The bucket name for a network address: an IPv6 address counts by its /64, since one
/// subscriber usually holds a whole /64.
pub fn address_key(address: std::net::IpAddr) -> String {
    match address {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::address_key;

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        let a = address_key(
            "2001:db8:1:2:aaaa::1"
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        let b = address_key(
            "2001:db8:1:2:bbbb::2"
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(a, b);
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(
            address_key("203.0.113.7".parse().unwrap_or_else(|e| panic!("{e}"))),
            "203.0.113.7"
        );
    }
}
