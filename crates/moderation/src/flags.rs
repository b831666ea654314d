//! Flags: members tell moderators that a post is spam, rude, off-topic or needs staff. One
//! flag per member and post. Each flagged post gets one open review item; enough flags hide
//! the post until a moderator decides. A flag's outcome (upheld or dismissed) is set by that
//! decision, and the flagger sees it.

use diesel::prelude::*;
use stoa_accounts::Role;
use stoa_db::schema::{flags, posts, review_items, threads, users};
use stoa_db::{DbConn, PostId, ThreadId, UserId, time::now};
use time::PrimitiveDateTime;

use crate::Error;

/// Why a post is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagReason {
    Spam,
    Rude,
    OffTopic,
    NeedsStaff,
    Other,
}

impl FlagReason {
    pub const ALL: [FlagReason; 5] = [
        FlagReason::Spam,
        FlagReason::Rude,
        FlagReason::OffTopic,
        FlagReason::NeedsStaff,
        FlagReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FlagReason::Spam => "spam",
            FlagReason::Rude => "rude",
            FlagReason::OffTopic => "off_topic",
            FlagReason::NeedsStaff => "needs_staff",
            FlagReason::Other => "other",
        }
    }

    /// How the flag form and the review queue name it.
    pub fn label(self) -> &'static str {
        match self {
            FlagReason::Spam => "Spam: it advertises something",
            FlagReason::Rude => "Rude or abusive",
            FlagReason::OffTopic => "Off-topic for this community",
            FlagReason::NeedsStaff => "Needs the attention of staff",
            FlagReason::Other => "Something else (say what)",
        }
    }

    /// Reads a stored or submitted spelling.
    pub fn parse(s: &str) -> Option<FlagReason> {
        FlagReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The longest note a flag carries.
pub const NOTE_MAX_CHARS: usize = 500;

/// What flagging did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flagged {
    pub thread: ThreadId,
    /// The flags reached the threshold and the post is now hidden.
    pub hidden: bool,
}

/// Records `by`'s flag on `post`. With `hide_at` or more flags from trusted members waiting
/// on it, the post is hidden until a moderator decides. Call inside a write transaction.
pub fn flag(
    conn: &mut DbConn,
    by: UserId,
    post: PostId,
    reason: FlagReason,
    note: &str,
    hide_at: u32,
) -> Result<Flagged, Error> {
    let note = note.trim();
    if reason == FlagReason::Other && note.is_empty() {
        return Err(Error::Invalid(
            "Say in the note what is wrong with the post.".into(),
        ));
    }
    if note.chars().count() > NOTE_MAX_CHARS {
        return Err(Error::Invalid(format!(
            "Keep the note under {NOTE_MAX_CHARS} characters."
        )));
    }
    let thread: ThreadId = posts::table
        .inner_join(threads::table)
        .filter(posts::id.eq(post))
        .filter(posts::deleted_at.is_null())
        .filter(threads::deleted_at.is_null())
        .select(posts::thread_id)
        .first(conn)
        .optional()?
        .ok_or(stoa_threads::Error::PostNotFound)?;
    let already: i64 = flags::table
        .filter(flags::post_id.eq(post))
        .filter(flags::user_id.eq(by))
        .count()
        .get_result(conn)?;
    if already > 0 {
        return Err(Error::AlreadyFlagged);
    }
    let at = now();
    let inserted = diesel::insert_into(flags::table)
        .values((
            flags::post_id.eq(post),
            flags::user_id.eq(by),
            flags::reason.eq(reason.as_str()),
            flags::note.eq(note),
            flags::created_at.eq(at),
        ))
        .execute(conn);
    match inserted {
        // A concurrent double submission committed first (PostgreSQL).
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => return Err(Error::AlreadyFlagged),
        other => other?,
    };
    open_item(conn, post, "flagged", at)?;
    // Only flags from members the community trusts (level 1 and up, or staff) count toward
    // hiding: a fresh account cannot hide others' posts, nor can a handful of them.
    let waiting: i64 =
        flags::table
            .inner_join(users::table.on(users::id.eq(flags::user_id)))
            .filter(flags::post_id.eq(post))
            .filter(flags::outcome.is_null())
            .filter(users::trust_level.ge(1).or(
                users::role.eq_any([Role::Staff, Role::Moderator, Role::Owner].map(Role::as_str)),
            ))
            .count()
            .get_result(conn)?;
    let hidden = waiting >= i64::from(hide_at.max(1))
        && stoa_threads::deletion::hide(
            conn,
            post,
            None,
            "Members flagged it; a moderator will look at it soon.",
        )?;
    Ok(Flagged { thread, hidden })
}

/// Opens a review item of `kind` for `post` unless one is open already.
pub(crate) fn open_item(
    conn: &mut DbConn,
    post: PostId,
    kind: &str,
    at: PrimitiveDateTime,
) -> Result<(), Error> {
    let open: i64 = review_items::table
        .filter(review_items::post_id.eq(post))
        .filter(review_items::resolved_at.is_null())
        .count()
        .get_result(conn)?;
    if open > 0 {
        return Ok(());
    }
    // In a savepoint: if a concurrent flag opened the item first (PostgreSQL), the unique
    // index refuses this one and that item serves both.
    let opened = conn.transaction(|conn| {
        diesel::insert_into(review_items::table)
            .values((
                review_items::post_id.eq(post),
                review_items::kind.eq(kind),
                review_items::created_at.eq(at),
            ))
            .execute(conn)
    });
    match opened {
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(()),
        other => other.map(|_| ()).map_err(Error::from),
    }
}

/// A member's own flag, as their flags page lists it.
#[derive(Debug, Clone, Queryable)]
pub struct OwnFlag {
    pub post_id: PostId,
    pub thread_id: ThreadId,
    pub thread_title: String,
    pub thread_slug: String,
    pub reason: String,
    pub created_at: PrimitiveDateTime,
    /// `upheld`, `dismissed`, or `None` while it waits.
    pub outcome: Option<String>,
}

/// `user`'s latest `limit` flags, newest first.
pub fn of_user(conn: &mut DbConn, user: UserId, limit: i64) -> Result<Vec<OwnFlag>, Error> {
    Ok(flags::table
        .inner_join(posts::table.inner_join(threads::table))
        .filter(flags::user_id.eq(user))
        .order((flags::created_at.desc(), flags::id.desc()))
        .limit(limit)
        .select((
            flags::post_id,
            threads::id,
            threads::title,
            threads::slug,
            flags::reason,
            flags::created_at,
            flags::outcome,
        ))
        .load(conn)?)
}
