//! Timestamps are stored as UTC `TIMESTAMP` columns with microsecond precision on both
//! backends (PostgreSQL keeps microseconds; SQLite keeps what it is given).

use time::{OffsetDateTime, PrimitiveDateTime};

/// The current UTC time, truncated to microseconds so a value reads back unchanged.
pub fn now() -> PrimitiveDateTime {
    let now = OffsetDateTime::now_utc();
    let micros = now.microsecond();
    let now = now.replace_microsecond(micros).unwrap_or(now);
    PrimitiveDateTime::new(now.date(), now.time())
}

/// Microseconds since the Unix epoch, for cursors.
pub fn to_unix_micros(t: PrimitiveDateTime) -> i64 {
    let nanos = t.assume_utc().unix_timestamp_nanos() / 1_000;
    i64::try_from(nanos).unwrap_or(i64::MAX)
}

/// The inverse of [`to_unix_micros`]; `None` when out of range.
pub fn from_unix_micros(micros: i64) -> Option<PrimitiveDateTime> {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000).ok()?;
    Some(PrimitiveDateTime::new(t.date(), t.time()))
}
