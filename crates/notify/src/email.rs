//! Notifications by email. Each member chooses, for each kind of notification, to get it
//! instantly, in a daily digest or never; nobody gets mail at an address they have not
//! confirmed. Mails are rows in `mail_jobs`, written in the transaction of what caused them
//! (instant) or by the digest scheduler, and sent by a background worker (`claim`, then
//! `sent` or `failed`), never by the request.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Timestamp};
use stoa_db::schema::{email_preferences, mail_jobs, users};
use stoa_db::{DbConn, MultiBackend, UserId};
use time::{Duration, PrimitiveDateTime};

use crate::notifications::Kind;

/// How a member gets one kind of notification by mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Instant,
    Digest,
    Never,
}

impl Delivery {
    pub const ALL: [Delivery; 3] = [Delivery::Instant, Delivery::Digest, Delivery::Never];

    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Instant => "instant",
            Delivery::Digest => "digest",
            Delivery::Never => "never",
        }
    }

    pub fn parse(s: &str) -> Option<Delivery> {
        Delivery::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// What a member has before choosing: at once for what answers or calls them, a digest
    /// for the rest (comments, new questions in watched tags and categories, flag decisions).
    pub fn default_for(kind: Kind) -> Delivery {
        match kind {
            Kind::Comment | Kind::Question | Kind::FlagReviewed => Delivery::Digest,
            Kind::Answer
            | Kind::StaffAnswer
            | Kind::Accepted
            | Kind::Assigned
            | Kind::Mention
            | Kind::CommentMention
            | Kind::Overdue => Delivery::Instant,
        }
    }
}

/// How long a digest waits after the previous one.
pub const DIGEST_EVERY: Duration = Duration::days(1);
/// How far back a digest looks at most (a member away for weeks gets the last week).
const DIGEST_LOOKS_BACK: Duration = Duration::days(7);
/// How long a worker holds the mails it claimed before another may try them.
const CLAIM: Duration = Duration::minutes(5);

/// SQL for the delivery notification `n` has for its member: their choice or the default.
fn delivery_of_n() -> String {
    let defaults: String = Kind::ALL
        .into_iter()
        .map(|k| {
            format!(
                " WHEN '{}' THEN '{}'",
                k.as_str(),
                Delivery::default_for(k).as_str()
            )
        })
        .collect();
    format!(
        "COALESCE((SELECT p.delivery FROM email_preferences p
                   WHERE p.user_id = n.user_id AND p.kind = n.kind),
                  CASE n.kind{defaults} ELSE 'never' END)"
    )
}

/// `user`'s choice for every kind (the default where they chose nothing).
pub fn preferences(conn: &mut DbConn, user: UserId) -> QueryResult<Vec<(Kind, Delivery)>> {
    let chosen: Vec<(String, String)> = email_preferences::table
        .filter(email_preferences::user_id.eq(user))
        .select((email_preferences::kind, email_preferences::delivery))
        .load(conn)?;
    Ok(Kind::ALL
        .into_iter()
        .map(|kind| {
            let delivery = chosen
                .iter()
                .find(|(k, _)| k == kind.as_str())
                .and_then(|(_, d)| Delivery::parse(d))
                .unwrap_or(Delivery::default_for(kind));
            (kind, delivery)
        })
        .collect())
}

/// Sets `user`'s choice for `kind`. Call inside a write transaction.
pub fn set_preference(
    conn: &mut DbConn,
    user: UserId,
    kind: Kind,
    delivery: Delivery,
) -> QueryResult<()> {
    diesel::delete(
        email_preferences::table
            .filter(email_preferences::user_id.eq(user))
            .filter(email_preferences::kind.eq(kind.as_str())),
    )
    .execute(conn)?;
    diesel::insert_into(email_preferences::table)
        .values((
            email_preferences::user_id.eq(user),
            email_preferences::kind.eq(kind.as_str()),
            email_preferences::delivery.eq(delivery.as_str()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Queues a mail for each of the notifications `ids` whose member wants it at once and has a
/// confirmed address. Called by the code that writes them, in its transaction.
pub(crate) fn queue_instant(
    conn: &mut DbConn,
    ids: &[i64],
    at: PrimitiveDateTime,
) -> QueryResult<usize> {
    // The ids come from the database as integers, never from input.
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    diesel::sql_query(format!(
        "INSERT INTO mail_jobs (user_id, notification_id, created_at, run_after)
         SELECT n.user_id, n.id, $1, $1 FROM notifications n JOIN users u ON u.id = n.user_id
         WHERE n.id IN ({list}) AND u.email IS NOT NULL AND u.email_verified_at IS NOT NULL
           AND {} = 'instant'",
        delivery_of_n()
    ))
    .into_boxed::<MultiBackend>()
    .bind::<Timestamp, _>(at)
    .execute(conn)
}

#[derive(QueryableByName)]
struct DigestDue {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    digest_queued_at: Option<PrimitiveDateTime>,
}

/// Queues a digest for every member who has unread digest notifications newer than their
/// last digest, if that was a day or more before `at` (or never). Safe on several nodes at
/// once: each member's digest is claimed by one conditional update. Returns how many.
pub fn queue_digests(conn: &mut DbConn, at: PrimitiveDateTime) -> QueryResult<usize> {
    let day_ago = at - DIGEST_EVERY;
    let due: Vec<DigestDue> = diesel::sql_query(format!(
        "SELECT DISTINCT n.user_id, u.digest_queued_at FROM notifications n
         JOIN users u ON u.id = n.user_id
         WHERE n.created_at > $1 AND n.read_at IS NULL
           AND (u.digest_queued_at IS NULL OR u.digest_queued_at <= $2)
           AND n.created_at <= $3
           AND (u.digest_queued_at IS NULL OR n.created_at > u.digest_queued_at)
           AND u.email IS NOT NULL AND u.email_verified_at IS NOT NULL
           AND {} = 'digest'",
        delivery_of_n()
    ))
    .into_boxed::<MultiBackend>()
    .bind::<Timestamp, _>(at - DIGEST_LOOKS_BACK)
    .bind::<Timestamp, _>(day_ago)
    .bind::<Timestamp, _>(at)
    .load(conn)?;
    let mut queued = 0;
    for member in due {
        let claimed = diesel::update(
            users::table.find(UserId(member.user_id)).filter(
                users::digest_queued_at
                    .is_null()
                    .or(users::digest_queued_at.le(day_ago)),
            ),
        )
        .set(users::digest_queued_at.eq(at))
        .execute(conn)?;
        if claimed == 0 {
            continue;
        }
        let since = member
            .digest_queued_at
            .unwrap_or(at - DIGEST_LOOKS_BACK)
            .max(at - DIGEST_LOOKS_BACK);
        diesel::insert_into(mail_jobs::table)
            .values((
                mail_jobs::user_id.eq(UserId(member.user_id)),
                mail_jobs::digest_since.eq(Some(since)),
                mail_jobs::created_at.eq(at),
                mail_jobs::run_after.eq(at),
            ))
            .execute(conn)?;
        queued += 1;
    }
    Ok(queued)
}

/// A mail to send.
#[derive(Debug, Clone, QueryableByName)]
pub struct MailJob {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    /// An instant mail's notification.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub notification_id: Option<i64>,
    /// A digest's start: it holds what came after, up to `created_at`.
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub digest_since: Option<PrimitiveDateTime>,
    #[diesel(sql_type = Timestamp)]
    pub created_at: PrimitiveDateTime,
    /// Tries so far, this one included.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub attempts: i32,
}

/// Claims up to `limit` mails due at `at` for this worker, oldest first, counting the try.
///
/// Fork: on PostgreSQL, workers on several nodes claim at once; `FOR UPDATE SKIP LOCKED`
/// gives each its own rows, and the outer condition is checked again on rows another claim
/// changed meanwhile. SQLite runs one write transaction at a time.
pub fn claim(conn: &mut DbConn, at: PrimitiveDateTime, limit: i64) -> QueryResult<Vec<MailJob>> {
    let skip_locked = match conn {
        DbConn::Sqlite(_) => "",
        DbConn::Postgresql(_) => "FOR UPDATE SKIP LOCKED",
    };
    diesel::sql_query(format!(
        "UPDATE mail_jobs SET claimed_until = $1, attempts = attempts + 1
         WHERE sent_at IS NULL AND (claimed_until IS NULL OR claimed_until <= $2)
           AND id IN (SELECT id FROM mail_jobs
                      WHERE sent_at IS NULL AND run_after <= $2
                        AND (claimed_until IS NULL OR claimed_until <= $2)
                      ORDER BY id LIMIT $3 {skip_locked})
         RETURNING id, user_id, notification_id, digest_since, created_at, attempts"
    ))
    .into_boxed::<MultiBackend>()
    .bind::<Timestamp, _>(at + CLAIM)
    .bind::<Timestamp, _>(at)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// The mail went out (or there was nothing left to say).
pub fn sent(conn: &mut DbConn, job: i64, at: PrimitiveDateTime) -> QueryResult<()> {
    diesel::update(mail_jobs::table.find(job))
        .set((
            mail_jobs::sent_at.eq(Some(at)),
            mail_jobs::claimed_until.eq(None::<PrimitiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sending failed: try again later (1 minute, doubling up to 6 hours), keeping the error.
pub fn failed(
    conn: &mut DbConn,
    job: &MailJob,
    error: &str,
    at: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::update(mail_jobs::table.find(job.id))
        .set((
            mail_jobs::run_after.eq(at + retry_after(job.attempts)),
            mail_jobs::claimed_until.eq(None::<PrimitiveDateTime>),
            mail_jobs::last_error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The wait before try `attempts + 1`.
pub fn retry_after(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or_default()
        .min(9);
    (Duration::minutes(1) * 2_i32.pow(doublings)).min(Duration::hours(6))
}

#[derive(Queryable)]
struct Recipient {
    email: Option<String>,
    display_name: String,
}

/// The confirmed address of `user` and their name (`None` without a confirmed address: no
/// mail is sent then).
pub fn recipient(conn: &mut DbConn, user: UserId) -> QueryResult<Option<(String, String)>> {
    let found: Option<Recipient> = users::table
        .find(user)
        .filter(users::email_verified_at.is_not_null())
        .select((users::email, users::display_name))
        .first(conn)
        .optional()?;
    Ok(found.and_then(|r| r.email.map(|email| (email, r.display_name))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_six_hours() {
        assert_eq!(retry_after(1), Duration::minutes(1));
        assert_eq!(retry_after(2), Duration::minutes(2));
        assert_eq!(retry_after(4), Duration::minutes(8));
        assert_eq!(retry_after(50), Duration::hours(6));
    }

    #[test]
    fn every_kind_has_a_default_and_deliveries_round_trip() {
        for kind in Kind::ALL {
            assert!(delivery_of_n().contains(&format!("WHEN '{}'", kind.as_str())));
        }
        for d in Delivery::ALL {
            assert_eq!(Delivery::parse(d.as_str()), Some(d));
        }
        assert_eq!(Delivery::parse("weekly"), None);
    }
}
