//! Suspending and silencing accounts. A suspended member cannot log in and every session of
//! theirs ends at once; a silenced one reads but cannot post. Both end at a time the
//! moderator chose, or earlier when lifted, and the member is told why.

use diesel::prelude::*;
use stoa_accounts::{Role, sessions, users::StoredRole};
use stoa_db::schema::{blocked_emails, flags, posts, review_items, users};
use stoa_db::{DbConn, UserId, time::now};
use time::{Duration, PrimitiveDateTime};

use crate::audit::{self, AuditAction, Entry, Target};
use crate::{Error, Reason};

/// How long a suspension or silence lasts, as the form offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    Days(u16),
    /// Until a moderator lifts it.
    Indefinite,
}

impl Term {
    /// The choices of the form: `(value, label)`.
    pub const CHOICES: [(&'static str, &'static str); 6] = [
        ("1", "1 day"),
        ("3", "3 days"),
        ("7", "a week"),
        ("30", "30 days"),
        ("365", "a year"),
        ("indefinite", "until lifted"),
    ];

    pub fn parse(s: &str) -> Result<Term, Error> {
        match s {
            "indefinite" => Ok(Term::Indefinite),
            days => days
                .parse::<u16>()
                .ok()
                .filter(|d| (1..=3650).contains(d))
                .map(Term::Days)
                .ok_or_else(|| Error::Invalid("Choose how long it lasts.".into())),
        }
    }

    /// When a term starting at `from` ends. "Until lifted" is the year 9999, which both
    /// databases store and compare.
    fn ends(self, from: PrimitiveDateTime) -> PrimitiveDateTime {
        match self {
            Term::Days(d) => from + Duration::days(i64::from(d)),
            Term::Indefinite => time::macros::datetime!(9999-12-31 0:00),
        }
    }
}

/// A member's standing: what is in force now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    /// Until when, and why.
    pub suspended: Option<(PrimitiveDateTime, String)>,
    pub silenced: Option<(PrimitiveDateTime, String)>,
}

impl Standing {
    /// Whether an end time is the "until lifted" one.
    pub fn is_indefinite(until: PrimitiveDateTime) -> bool {
        until.year() == 9999
    }
}

/// The account a moderator acts on.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub standing: Standing,
    pub trust_level: i32,
    /// A moderator set the level by hand: activity no longer raises it.
    pub trust_locked: bool,
    /// False while the account waits for a moderator's approval.
    pub approved: bool,
}

/// The account `user` with its standing.
pub fn account(conn: &mut DbConn, user: UserId) -> Result<Account, Error> {
    type Row = (
        UserId,
        String,
        String,
        String,
        Option<PrimitiveDateTime>,
        String,
        Option<PrimitiveDateTime>,
        String,
        (i32, bool, bool),
    );
    let row: Option<Row> = users::table
        .find(user)
        .select((
            users::id,
            users::username,
            users::display_name,
            users::role,
            users::suspended_until,
            users::suspension_reason,
            users::silenced_until,
            users::silence_reason,
            (
                users::trust_level,
                users::trust_level_locked,
                users::approved,
            ),
        ))
        .first(conn)
        .optional()?;
    let (id, username, display_name, role, suspended, suspension, silenced, silence, trust) =
        row.ok_or(Error::UserNotFound)?;
    let at = now();
    Ok(Account {
        id,
        username,
        display_name,
        role: StoredRole::from(role).0,
        standing: Standing {
            suspended: suspended.filter(|u| *u > at).map(|u| (u, suspension)),
            silenced: silenced.filter(|u| *u > at).map(|u| (u, silence)),
        },
        trust_level: trust.0,
        trust_locked: trust.1,
        approved: trust.2,
    })
}

/// The suspension in force on `user`, if any: until when, and why (the login page says so).
pub fn suspension(
    conn: &mut DbConn,
    user: UserId,
) -> Result<Option<(PrimitiveDateTime, String)>, Error> {
    Ok(account(conn, user)?.standing.suspended)
}

/// What a moderator restricts: logging in (a suspension) or posting (a silence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restriction {
    /// Cannot log in; every session ends at once.
    Suspension,
    /// Reads but cannot post.
    Silence,
}

impl Restriction {
    /// Sets (or with `None`, clears) the restriction's end and reason on `user`.
    fn store(
        self,
        conn: &mut DbConn,
        user: UserId,
        until: Option<PrimitiveDateTime>,
        reason: &str,
    ) -> Result<(), Error> {
        let row = users::table.find(user);
        match self {
            Restriction::Suspension => diesel::update(row)
                .set((
                    users::suspended_until.eq(until),
                    users::suspension_reason.eq(reason),
                ))
                .execute(conn)?,
            Restriction::Silence => diesel::update(row)
                .set((
                    users::silenced_until.eq(until),
                    users::silence_reason.eq(reason),
                ))
                .execute(conn)?,
        };
        Ok(())
    }

    fn in_force(self, standing: &Standing) -> bool {
        match self {
            Restriction::Suspension => standing.suspended.is_some(),
            Restriction::Silence => standing.silenced.is_some(),
        }
    }
}

/// Restricts `user` for `term`, with the reason they are shown; a suspension ends every
/// session of theirs now. Call inside a write transaction.
pub fn restrict(
    conn: &mut DbConn,
    by: UserId,
    user: UserId,
    restriction: Restriction,
    term: Term,
    reason: &Reason,
) -> Result<(), Error> {
    let target = account(conn, user)?;
    restriction.store(conn, user, Some(term.ends(now())), reason.as_str())?;
    let logged = match restriction {
        Restriction::Suspension => {
            sessions::end_all(conn, user)?;
            AuditAction::SuspendUser
        }
        Restriction::Silence => AuditAction::SilenceUser,
    };
    log(conn, by, logged, &target, reason.as_str())
}

/// Ends `user`'s suspension or silence now. Returns whether there was one.
pub fn lift(
    conn: &mut DbConn,
    by: UserId,
    user: UserId,
    restriction: Restriction,
) -> Result<bool, Error> {
    let target = account(conn, user)?;
    if !restriction.in_force(&target.standing) {
        return Ok(false);
    }
    restriction.store(conn, user, None, "")?;
    let logged = match restriction {
        Restriction::Suspension => AuditAction::LiftSuspension,
        Restriction::Silence => AuditAction::LiftSilence,
    };
    log(conn, by, logged, &target, "")?;
    Ok(true)
}

/// Approves a new account that waits for it (registration by approval): it may post from
/// now on. Returns whether it was waiting.
pub fn approve_account(conn: &mut DbConn, by: UserId, user: UserId) -> Result<bool, Error> {
    let target = account(conn, user)?;
    let approved = diesel::update(users::table.find(user).filter(users::approved.eq(false)))
        .set(users::approved.eq(true))
        .execute(conn)?
        == 1;
    if approved {
        log(conn, by, AuditAction::ApproveAccount, &target, "")?;
    }
    Ok(approved)
}

/// Accounts waiting for approval, oldest first, at most `limit`: `(id, username, joined)`.
pub fn awaiting_approval(
    conn: &mut DbConn,
    limit: i64,
) -> Result<Vec<(UserId, String, PrimitiveDateTime)>, Error> {
    Ok(users::table
        .filter(diesel::dsl::not(users::approved))
        .order((users::created_at.asc(), users::id.asc()))
        .limit(limit)
        .select((users::id, users::username, users::created_at))
        .load(conn)?)
}

/// Makes `user` a member, staff or moderator (the owner's decision, logged). Returns whether
/// the role changed. Call inside a write transaction.
pub fn set_role(conn: &mut DbConn, by: UserId, user: UserId, role: Role) -> Result<bool, Error> {
    if role == Role::Owner {
        return Err(Error::Invalid(
            "A community has one owner; appoint staff or moderators.".into(),
        ));
    }
    let target = account(conn, user)?;
    if target.role == Role::Owner {
        return Err(Error::Invalid("The owner's role does not change.".into()));
    }
    if target.role == role {
        return Ok(false);
    }
    diesel::update(users::table.find(user))
        .set(users::role.eq(role.as_str()))
        .execute(conn)?;
    let change = format!("{} to {}", target.role.as_str(), role.as_str());
    log(conn, by, AuditAction::ChangeRole, &target, &change)?;
    Ok(true)
}

/// The community's team: every account above member, owner first, then by username.
pub fn team(conn: &mut DbConn) -> Result<Vec<(UserId, String, String, Role)>, Error> {
    let rows: Vec<(UserId, String, String, String)> = users::table
        .filter(users::role.ne(Role::Member.as_str()))
        .order(users::username.asc())
        .select((users::id, users::username, users::display_name, users::role))
        .load(conn)?;
    let mut team: Vec<_> = rows
        .into_iter()
        .map(|(id, username, name, role)| (id, username, name, Role::from_stored(&role)))
        .collect();
    team.sort_by_key(|member| std::cmp::Reverse(member.3));
    Ok(team)
}

/// How many posts of `user` readers still see (the spammer confirmation step says it).
pub fn live_posts(conn: &mut DbConn, user: UserId) -> Result<i64, Error> {
    Ok(posts::table
        .filter(posts::author_id.eq(user))
        .filter(posts::deleted_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Deletes `user` as a spammer: every post of theirs is deleted (their questions with their
/// threads), the open review items and flags on them are settled, their address may not
/// register again, and they are suspended until lifted, which ends their sessions. Returns
/// how many posts were deleted. Call inside a write transaction.
pub fn delete_as_spammer(
    conn: &mut DbConn,
    by: UserId,
    user: UserId,
    reason: &Reason,
) -> Result<usize, Error> {
    let at = now();
    // Questions first: deleting one takes its thread (and the answers in it) from readers.
    let live: Vec<stoa_db::PostId> = posts::table
        .filter(posts::author_id.eq(user))
        .filter(
            posts::deleted_at
                .is_null()
                .or(posts::hidden_reason.is_not_null()),
        )
        .order((posts::is_question.desc(), posts::id.asc()))
        .select(posts::id)
        .load(conn)?;
    for &post in &live {
        stoa_threads::deletion::delete_as_moderator(conn, post, by)?;
    }
    diesel::update(
        review_items::table
            .filter(review_items::post_id.eq_any(&live))
            .filter(review_items::resolved_at.is_null()),
    )
    .set((
        review_items::resolved_at.eq(at),
        review_items::resolved_by.eq(by),
        review_items::outcome.eq("deleted"),
        review_items::outcome_reason.eq(reason.as_str()),
    ))
    .execute(conn)?;
    diesel::update(
        flags::table
            .filter(flags::post_id.eq_any(&live))
            .filter(flags::outcome.is_null()),
    )
    .set((flags::outcome.eq("upheld"), flags::resolved_at.eq(at)))
    .execute(conn)?;
    let email: Option<String> = users::table.find(user).select(users::email).first(conn)?;
    if let Some(email) = email
        && !email_blocked(conn, &email)?
    {
        diesel::insert_into(blocked_emails::table)
            .values((
                blocked_emails::email.eq(&email),
                blocked_emails::blocked_at.eq(at),
                blocked_emails::blocked_by.eq(by),
            ))
            .execute(conn)?;
    }
    restrict(
        conn,
        by,
        user,
        Restriction::Suspension,
        Term::Indefinite,
        reason,
    )?;
    let target = account(conn, user)?;
    log(
        conn,
        by,
        AuditAction::DeleteSpammer,
        &target,
        reason.as_str(),
    )?;
    Ok(live.len())
}

/// Whether `email` (lower case) belongs to an account deleted as a spammer.
pub fn email_blocked(conn: &mut DbConn, email: &str) -> Result<bool, Error> {
    let found: i64 = blocked_emails::table
        .filter(blocked_emails::email.eq(email))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

fn log(
    conn: &mut DbConn,
    by: UserId,
    action: AuditAction,
    target: &Account,
    reason: &str,
) -> Result<(), Error> {
    audit::record(
        conn,
        Entry {
            actor: by,
            action,
            target: Target::User(target.id),
            label: &target.username,
            reason,
        },
    )?;
    Ok(())
}
