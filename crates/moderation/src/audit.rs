//! The audit log: every moderation action and every change of a role or a setting, with who
//! did it, to what, why and when. Rows are only ever added; the database itself refuses to
//! change or delete one (triggers in the `moderation` migration).

use diesel::prelude::*;
use stoa_db::page::{Cursor, Page};
use stoa_db::schema::{audit_log, users};
use stoa_db::{DbConn, MultiBackend, UserId, time::now};
use time::PrimitiveDateTime;

/// What was done. Stored by [`AuditAction::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    LockThread,
    UnlockThread,
    CloseThread,
    CloseAsDuplicate,
    ReopenThread,
    PinThread,
    UnpinThread,
    MoveThread,
    HidePost,
    ApprovePost,
    DeletePost,
    SuspendUser,
    LiftSuspension,
    SilenceUser,
    LiftSilence,
    DeleteSpammer,
    SetTrustLevel,
    ChangeRole,
    ChangeSetting,
    ApproveAccount,
    CreateCategory,
    ChangeCategory,
}

impl AuditAction {
    /// Every action, in the order the log's filter offers them.
    pub const ALL: [AuditAction; 22] = [
        AuditAction::LockThread,
        AuditAction::UnlockThread,
        AuditAction::CloseThread,
        AuditAction::CloseAsDuplicate,
        AuditAction::ReopenThread,
        AuditAction::PinThread,
        AuditAction::UnpinThread,
        AuditAction::MoveThread,
        AuditAction::HidePost,
        AuditAction::ApprovePost,
        AuditAction::DeletePost,
        AuditAction::SuspendUser,
        AuditAction::LiftSuspension,
        AuditAction::SilenceUser,
        AuditAction::LiftSilence,
        AuditAction::DeleteSpammer,
        AuditAction::SetTrustLevel,
        AuditAction::ChangeRole,
        AuditAction::ChangeSetting,
        AuditAction::ApproveAccount,
        AuditAction::CreateCategory,
        AuditAction::ChangeCategory,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::LockThread => "lock_thread",
            AuditAction::UnlockThread => "unlock_thread",
            AuditAction::CloseThread => "close_thread",
            AuditAction::CloseAsDuplicate => "close_as_duplicate",
            AuditAction::ReopenThread => "reopen_thread",
            AuditAction::PinThread => "pin_thread",
            AuditAction::UnpinThread => "unpin_thread",
            AuditAction::MoveThread => "move_thread",
            AuditAction::HidePost => "hide_post",
            AuditAction::ApprovePost => "approve_post",
            AuditAction::DeletePost => "delete_post",
            AuditAction::SuspendUser => "suspend_user",
            AuditAction::LiftSuspension => "lift_suspension",
            AuditAction::SilenceUser => "silence_user",
            AuditAction::LiftSilence => "lift_silence",
            AuditAction::DeleteSpammer => "delete_spammer",
            AuditAction::SetTrustLevel => "set_trust_level",
            AuditAction::ChangeRole => "change_role",
            AuditAction::ChangeSetting => "change_setting",
            AuditAction::ApproveAccount => "approve_account",
            AuditAction::CreateCategory => "create_category",
            AuditAction::ChangeCategory => "change_category",
        }
    }

    /// How the log page names it.
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::LockThread => "Locked a thread",
            AuditAction::UnlockThread => "Unlocked a thread",
            AuditAction::CloseThread => "Closed a thread",
            AuditAction::CloseAsDuplicate => "Closed as a duplicate",
            AuditAction::ReopenThread => "Reopened a thread",
            AuditAction::PinThread => "Pinned a thread",
            AuditAction::UnpinThread => "Unpinned a thread",
            AuditAction::MoveThread => "Moved a thread",
            AuditAction::HidePost => "Hid a post",
            AuditAction::ApprovePost => "Approved a post",
            AuditAction::DeletePost => "Deleted a post",
            AuditAction::SuspendUser => "Suspended an account",
            AuditAction::LiftSuspension => "Lifted a suspension",
            AuditAction::SilenceUser => "Silenced an account",
            AuditAction::LiftSilence => "Lifted a silence",
            AuditAction::DeleteSpammer => "Deleted a spammer",
            AuditAction::SetTrustLevel => "Set a trust level",
            AuditAction::ChangeRole => "Changed a role",
            AuditAction::ChangeSetting => "Changed a setting",
            AuditAction::ApproveAccount => "Approved an account",
            AuditAction::CreateCategory => "Created a category",
            AuditAction::ChangeCategory => "Changed a category",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// What an action was done to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Thread(stoa_db::ThreadId),
    Post(stoa_db::PostId),
    User(UserId),
    Category(stoa_db::CategoryId),
    /// A community setting (the label names it).
    Setting,
}

impl Target {
    fn kind_and_id(self) -> (&'static str, Option<i64>) {
        match self {
            Target::Thread(id) => ("thread", Some(id.0)),
            Target::Post(id) => ("post", Some(id.0)),
            Target::User(id) => ("user", Some(id.0)),
            Target::Category(id) => ("category", Some(id.0)),
            Target::Setting => ("setting", None),
        }
    }
}

/// One line to add to the log.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub actor: UserId,
    pub action: AuditAction,
    pub target: Target,
    /// The target's title or name at the time (it may change or go later).
    pub label: &'a str,
    pub reason: &'a str,
}

/// Adds `entry` to the log. Call in the transaction of the action itself, so the log holds
/// exactly the actions that happened.
pub fn record(conn: &mut DbConn, entry: Entry<'_>) -> QueryResult<()> {
    let (kind, id) = entry.target.kind_and_id();
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_id.eq(entry.actor),
            audit_log::action.eq(entry.action.as_str()),
            audit_log::target_kind.eq(kind),
            audit_log::target_id.eq(id),
            audit_log::target_label.eq(entry.label),
            audit_log::reason.eq(entry.reason),
            audit_log::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Adds an action on `thread` to the log, labelled with the thread's title.
pub fn record_for_thread(
    conn: &mut DbConn,
    actor: UserId,
    action: AuditAction,
    thread: stoa_db::ThreadId,
    reason: &str,
) -> QueryResult<()> {
    let title: String = stoa_db::schema::threads::table
        .find(thread)
        .select(stoa_db::schema::threads::title)
        .first(conn)?;
    record(
        conn,
        Entry {
            actor,
            action,
            target: Target::Thread(thread),
            label: &title,
            reason,
        },
    )
}

/// A line of the log as the log page shows it.
#[derive(Debug, Clone, Queryable)]
pub struct AuditRow {
    pub id: i64,
    pub actor_id: UserId,
    pub actor_username: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: Option<i64>,
    pub target_label: String,
    pub reason: String,
    pub created_at: PrimitiveDateTime,
}

/// Narrows the log to one action and/or one moderator.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditFilter {
    pub action: Option<AuditAction>,
    pub actor: Option<UserId>,
}

/// A page of the log, newest first, `limit` per page, after `cursor`.
pub fn list(
    conn: &mut DbConn,
    filter: AuditFilter,
    cursor: Option<Cursor>,
    limit: usize,
) -> QueryResult<Page<AuditRow>> {
    let mut query = audit_log::table
        .inner_join(users::table.on(users::id.eq(audit_log::actor_id)))
        .select((
            audit_log::id,
            audit_log::actor_id,
            users::username,
            audit_log::action,
            audit_log::target_kind,
            audit_log::target_id,
            audit_log::target_label,
            audit_log::reason,
            audit_log::created_at,
        ))
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .limit(i64::try_from(limit).unwrap_or(50) + 1)
        .into_boxed::<MultiBackend>();
    if let Some(action) = filter.action {
        query = query.filter(audit_log::action.eq(action.as_str()));
    }
    if let Some(actor) = filter.actor {
        query = query.filter(audit_log::actor_id.eq(actor));
    }
    if let Some(c) = cursor {
        query = query.filter(
            audit_log::created_at
                .lt(c.at)
                .or(audit_log::created_at.eq(c.at).and(audit_log::id.lt(c.id))),
        );
    }
    let rows = query.load(conn)?;
    Ok(Page::from_rows(rows, limit, |r: &AuditRow| Cursor {
        at: r.created_at,
        id: r.id,
    }))
}
