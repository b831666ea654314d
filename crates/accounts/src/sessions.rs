//! Server-side sessions. The browser holds a random 256-bit token; the database holds only its
//! SHA-256, so logging out, changing a password or expiry ends a session everywhere at once.

use diesel::prelude::*;
use stoa_db::schema::{sessions, users};
use stoa_db::{DbConn, UserId, dialect, time::now};
use time::{Duration, PrimitiveDateTime};

use crate::users::StoredRole;
use crate::{Error, Role, hash_token, random_token};

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after login, however busy.
    pub absolute: Duration,
}

/// How often a session's last use is written back (reads stay reads most of the time).
const TOUCH_EVERY: Duration = Duration::minutes(5);

/// The secret a browser presents; shown to it once, in the cookie.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(…)")
    }
}

impl SessionToken {
    /// Wraps the token read from a cookie.
    pub fn from_cookie(value: &str) -> Self {
        SessionToken(value.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The person behind a live session.
#[derive(Debug, Clone, Queryable)]
pub struct SignedInUser {
    pub session_id: i64,
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    #[diesel(deserialize_as = String)]
    pub role: StoredRole,
    pub email_verified_at: Option<PrimitiveDateTime>,
    last_seen_at: PrimitiveDateTime,
    silenced_until: Option<PrimitiveDateTime>,
    /// 0 (new) to 3, earned from activity or set by a moderator.
    pub trust_level: i32,
    /// False while a new account waits for a moderator's approval (it reads, not posts).
    pub approved: bool,
    /// What trust levels are earned from, as of this request.
    pub visit_days: i32,
    pub posts_read: i32,
    /// Notifications not yet read: the number on the bell.
    pub unread_notifications: i32,
    expires_at: PrimitiveDateTime,
}

impl SignedInUser {
    pub fn role(&self) -> Role {
        self.role.0
    }

    /// Whether a lookup at `at` would find this session as it is: not ended by time, and not
    /// yet due to have its use noted. Until then a copy kept in memory (while nothing was
    /// written anywhere: logging out, suspending or changing a password all write) is as good
    /// as a lookup.
    pub fn unchanged_at(&self, at: PrimitiveDateTime, policy: SessionPolicy) -> bool {
        self.expires_at > at && self.last_seen_at > at - TOUCH_EVERY.min(policy.idle)
    }

    /// A moderator silenced this member and it has not run out: they read but do not post.
    pub fn is_silenced(&self) -> bool {
        self.silenced_until.is_some_and(|until| until > now())
    }
}

/// Starts a new session for `user` and returns its token. Always a new token: a session id
/// planted before login is never promoted.
pub fn create(
    conn: &mut DbConn,
    user: UserId,
    policy: SessionPolicy,
) -> Result<SessionToken, Error> {
    let token = random_token();
    let at = now();
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(hash_token(&token)),
            sessions::user_id.eq(user),
            sessions::created_at.eq(at),
            sessions::last_seen_at.eq(at),
            sessions::expires_at.eq(at + policy.absolute),
        ))
        .execute(conn)?;
    count_visit(conn, user, at)?;
    Ok(SessionToken(token))
}

/// Counts `user`'s visit on the day of `at` (UTC), once a day: trust levels grow with the
/// number of days a member came back.
fn count_visit(conn: &mut DbConn, user: UserId, at: PrimitiveDateTime) -> Result<(), Error> {
    let day_start = at.replace_time(time::Time::MIDNIGHT);
    diesel::update(
        users::table.find(user).filter(
            users::last_visit_at
                .is_null()
                .or(users::last_visit_at.lt(day_start)),
        ),
    )
    .set((
        users::visit_days.eq(users::visit_days + 1),
        users::last_visit_at.eq(at),
    ))
    .execute(conn)?;
    Ok(())
}

/// The live session for `token`, if any; notes its use at most every few minutes. A
/// suspended member has none: suspending ends their sessions, and this check holds even for
/// a session another node started a moment before.
pub fn lookup(
    conn: &mut DbConn,
    token: &SessionToken,
    policy: SessionPolicy,
) -> Result<Option<SignedInUser>, Error> {
    let at = now();
    let found = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(hash_token(&token.0)))
        .filter(sessions::expires_at.gt(at))
        .filter(sessions::last_seen_at.gt(at - policy.idle))
        .filter(
            users::suspended_until
                .is_null()
                .or(users::suspended_until.le(at)),
        )
        .select((
            sessions::id,
            users::id,
            users::username,
            users::display_name,
            users::role,
            users::email_verified_at,
            sessions::last_seen_at,
            users::silenced_until,
            users::trust_level,
            users::approved,
            users::visit_days,
            users::posts_read,
            users::unread_notifications,
            sessions::expires_at,
        ))
        .first::<SignedInUser>(conn)
        .optional()?;
    if let Some(user) = &found
        && user.last_seen_at < at - TOUCH_EVERY
    {
        // A write inside a read: it takes its turn with the other writers (on SQLite, a
        // statement of its own would wait for the write lock in SQLite's busy handler).
        dialect::write_transaction(conn, |conn| {
            diesel::update(sessions::table.find(user.session_id))
                .set(sessions::last_seen_at.eq(at))
                .execute(conn)?;
            count_visit(conn, user.id, at)
        })?;
    }
    Ok(found)
}

/// Ends the session holding `token` (logout).
pub fn end(conn: &mut DbConn, token: &SessionToken) -> Result<(), Error> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(hash_token(&token.0))))
        .execute(conn)?;
    Ok(())
}

/// Ends every session of `user` (password change or reset, suspension).
pub fn end_all(conn: &mut DbConn, user: UserId) -> Result<(), Error> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user))).execute(conn)?;
    Ok(())
}
