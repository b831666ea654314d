//! Notifications: written when something happens, read on the notifications page, counted on
//! the bell (`users.unread_notifications`, moved in the same transaction as the rows).

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use stoa_db::prepared::PreparedSql;
use stoa_db::schema::{notifications, threads, users};
use stoa_db::time::now;
use stoa_db::{CommentId, DbConn, PostId, ThreadId, UserId};
use time::PrimitiveDateTime;

use crate::watching::{self, Target};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A new question with a watched tag or in a watched category.
    Question,
    /// A new answer in a watched thread.
    Answer,
    /// A staff member answered the member's own question.
    StaffAnswer,
    /// A new comment in a watched thread.
    Comment,
    /// The member's answer was accepted.
    Accepted,
    /// A thread in the staff queue was assigned to the member.
    Assigned,
    /// The member was `@mentioned` in a question or an answer.
    Mention,
    /// The member was `@mentioned` in a comment.
    CommentMention,
    /// A moderator decided on the member's flag.
    FlagReviewed,
    /// A customer has waited for the team past the reply target (for the team).
    Overdue,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Question => "question",
            Kind::Answer => "answer",
            Kind::StaffAnswer => "staff_answer",
            Kind::Comment => "comment",
            Kind::Accepted => "accepted",
            Kind::Assigned => "assigned",
            Kind::Mention => "mention",
            Kind::CommentMention => "comment_mention",
            Kind::FlagReviewed => "flag_reviewed",
            Kind::Overdue => "overdue",
        }
    }

    pub const ALL: [Kind; 10] = [
        Kind::Question,
        Kind::Answer,
        Kind::StaffAnswer,
        Kind::Comment,
        Kind::Accepted,
        Kind::Assigned,
        Kind::Mention,
        Kind::CommentMention,
        Kind::FlagReviewed,
        Kind::Overdue,
    ];

    pub fn parse(stored: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == stored)
    }

    /// What the member reads, after the actor's name.
    pub fn sentence(self) -> &'static str {
        match self {
            Kind::Question => "asked a question you may know about:",
            Kind::Answer => "answered",
            Kind::StaffAnswer => "answered your question for the team:",
            Kind::Comment => "commented on",
            Kind::Accepted => "accepted your answer to",
            Kind::Assigned => "assigned you to",
            Kind::Mention | Kind::CommentMention => "mentioned you in",
            Kind::FlagReviewed => "decided on your flag in",
            Kind::Overdue => "has waited past the reply target in",
        }
    }
}

#[derive(QueryableByName)]
struct Written {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
}

/// Inserts the rows chosen by `recipients_sql` (a `SELECT` of `user_id, kind` that may use
/// `$1` subject, `$2` thread, `$3` actor), moves the bell of each member who got one and
/// queues the mails of those who want them at once.
fn notify(
    conn: &mut DbConn,
    recipients_sql: &str,
    subject: i64,
    thread: ThreadId,
    actor: UserId,
) -> QueryResult<usize> {
    // The `WHERE` clause inside the SELECT is what lets SQLite read ON CONFLICT as the
    // insert's, not as part of a join; every recipient query has one.
    let at = now();
    let statement = format!(
        "INSERT INTO notifications (user_id, kind, subject_id, thread_id, actor_id, created_at)
         SELECT r.user_id, r.kind, $1, $2, $3, $4 FROM ({recipients_sql}) r WHERE r.user_id <> $3
         ON CONFLICT DO NOTHING RETURNING id, user_id"
    );
    let params = [subject.into(), thread.0.into(), actor.0.into(), at.into()];
    let written: Vec<Written> = PreparedSql::new(&statement, &params).load(conn)?;
    if written.is_empty() {
        return Ok(0);
    }
    let members: Vec<i64> = written.iter().map(|w| w.user_id).collect();
    diesel::update(users::table.filter(users::id.eq_any(&members)))
        .set(users::unread_notifications.eq(users::unread_notifications + 1))
        .execute(conn)?;
    let ids: Vec<i64> = written.iter().map(|w| w.id).collect();
    crate::email::queue_instant(conn, &ids, at)?;
    Ok(written.len())
}

/// A new question: its author watches it; those who watch its category or one of its tags
/// hear of it. Call after its tags are stored, in the same transaction.
pub fn question_asked(
    conn: &mut DbConn,
    thread: ThreadId,
    question: PostId,
    author: UserId,
) -> QueryResult<usize> {
    watching::watch(conn, author, Target::Thread(thread))?;
    notify(
        conn,
        "SELECT DISTINCT s.user_id, 'question' AS kind FROM subscriptions s
         WHERE (s.target_kind = 'category'
                AND s.target_id = (SELECT category_id FROM threads WHERE id = $2))
            OR (s.target_kind = 'tag'
                AND s.target_id IN (SELECT tag_id FROM thread_tags WHERE thread_id = $2))",
        question.0,
        thread,
        author,
    )
}

/// A new answer: its author watches the thread; the thread's watchers hear of it, the asker
/// as a staff answer when `by_staff`.
pub fn answer_posted(
    conn: &mut DbConn,
    thread: ThreadId,
    answer: PostId,
    author: UserId,
    by_staff: bool,
) -> QueryResult<usize> {
    watching::watch(conn, author, Target::Thread(thread))?;
    let kind = if by_staff {
        "CASE WHEN s.user_id = (SELECT author_id FROM threads WHERE id = $2)
              THEN 'staff_answer' ELSE 'answer' END"
    } else {
        "'answer'"
    };
    notify(
        conn,
        &format!(
            "SELECT s.user_id, {kind} AS kind FROM subscriptions s
             WHERE s.target_kind = 'thread' AND s.target_id = $2"
        ),
        answer.0,
        thread,
        author,
    )
}

/// A new comment: its author watches the thread; the thread's watchers hear of it.
pub fn comment_posted(
    conn: &mut DbConn,
    thread: ThreadId,
    comment: CommentId,
    author: UserId,
) -> QueryResult<usize> {
    watching::watch(conn, author, Target::Thread(thread))?;
    notify(
        conn,
        "SELECT s.user_id, 'comment' AS kind FROM subscriptions s
         WHERE s.target_kind = 'thread' AND s.target_id = $2",
        comment.0,
        thread,
        author,
    )
}

/// An accepted answer: its author hears of it (once, however often it is accepted again).
pub fn answer_accepted(
    conn: &mut DbConn,
    thread: ThreadId,
    answer: PostId,
    by: UserId,
) -> QueryResult<usize> {
    notify(
        conn,
        "SELECT p.author_id AS user_id, 'accepted' AS kind FROM posts p WHERE p.id = $1",
        answer.0,
        thread,
        by,
    )
}

/// The members named in `names` (usernames from `markdown::mentions`) were mentioned in
/// `post` (a question or an answer) or, with `comment`, in that comment: each hears of it
/// once. Unknown names notify nobody.
pub fn mentioned(
    conn: &mut DbConn,
    thread: ThreadId,
    post: PostId,
    comment: Option<CommentId>,
    author: UserId,
    names: &[String],
) -> QueryResult<usize> {
    // Names are 3 to 30 of [a-z0-9_-] (the mention rule), so they are quoted as they are;
    // anything else is dropped rather than trusted.
    let quoted: Vec<String> = names
        .iter()
        .filter(|n| {
            n.len() <= 30
                && n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        })
        .map(|n| format!("'{n}'"))
        .collect();
    if quoted.is_empty() {
        return Ok(0);
    }
    let (kind, subject) = match comment {
        Some(c) => (Kind::CommentMention, c.0),
        None => (Kind::Mention, post.0),
    };
    notify(
        conn,
        &format!(
            "SELECT u.id AS user_id, '{}' AS kind FROM users u WHERE u.username IN ({})",
            kind.as_str(),
            quoted.join(",")
        ),
        subject,
        thread,
        author,
    )
}

/// A moderator decided on `flag` (in `thread`): whoever raised it hears of it.
pub fn flag_reviewed(
    conn: &mut DbConn,
    thread: ThreadId,
    flag: i64,
    moderator: UserId,
) -> QueryResult<usize> {
    notify(
        conn,
        "SELECT f.user_id, 'flag_reviewed' AS kind FROM flags f WHERE f.id = $1",
        flag,
        thread,
        moderator,
    )
}

/// A customer has waited past the reply target on `thread` since `wait` (a number that
/// names that wait, so each wait is announced once): its assignee hears of it, or the whole
/// team when nobody has it. The asker is named as the one waiting.
pub fn overdue(conn: &mut DbConn, thread: ThreadId, wait: i64) -> QueryResult<usize> {
    let asker: UserId = threads::table
        .find(thread)
        .select(threads::author_id)
        .first(conn)?;
    notify(
        conn,
        "SELECT u.id AS user_id, 'overdue' AS kind FROM users u JOIN threads t ON t.id = $2
         WHERE (t.assigned_to IS NOT NULL AND u.id = t.assigned_to)
            OR (t.assigned_to IS NULL AND u.role IN ('staff', 'moderator', 'owner'))",
        wait,
        thread,
        asker,
    )
}

/// A thread of the staff queue was assigned: the member it now belongs to hears of it (once
/// per thread). Call after the assignment is stored, in its transaction.
pub fn assigned(conn: &mut DbConn, thread: ThreadId, by: UserId) -> QueryResult<usize> {
    notify(
        conn,
        "SELECT t.assigned_to AS user_id, 'assigned' AS kind FROM threads t
         WHERE t.id = $2 AND t.assigned_to IS NOT NULL",
        thread.0,
        thread,
        by,
    )
}

/// One notification as the notifications page shows it.
#[derive(Debug, Clone, Queryable)]
pub struct NotificationView {
    pub id: i64,
    #[diesel(deserialize_as = String)]
    pub kind: StoredKind,
    pub subject_id: i64,
    pub thread_id: ThreadId,
    pub thread_title: String,
    pub thread_slug: String,
    pub actor: Option<String>,
    pub created_at: PrimitiveDateTime,
    pub read: bool,
}

/// A kind as stored; a kind this version does not know reads as an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredKind(pub Kind);

impl From<String> for StoredKind {
    fn from(stored: String) -> Self {
        StoredKind(Kind::parse(&stored).unwrap_or(Kind::Answer))
    }
}

impl NotificationView {
    /// Where the notification leads: the thread, at the post or comment it is about (or, for
    /// a flag, the member's flags page, which says the outcome).
    pub fn target_url(&self) -> String {
        let anchor = match self.kind.0 {
            Kind::FlagReviewed => return "/account/flags".to_owned(),
            Kind::Question | Kind::Assigned | Kind::Overdue => String::new(),
            Kind::Comment | Kind::CommentMention => format!("#comment-{}", self.subject_id),
            Kind::Answer | Kind::StaffAnswer | Kind::Accepted | Kind::Mention => {
                format!("#post-{}", self.subject_id)
            }
        };
        format!("/q/{}/{}{anchor}", self.thread_id, self.thread_slug)
    }
}

/// `user`'s notifications, newest first, `limit` at a time, older than `before` (an id).
pub fn recent(
    conn: &mut DbConn,
    user: UserId,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<NotificationView>> {
    load(
        conn,
        user,
        before.map_or(Which::Newest, Which::Before),
        limit,
    )
}

/// One of `user`'s notifications (`None` if it is not theirs).
pub fn find(conn: &mut DbConn, user: UserId, id: i64) -> QueryResult<Option<NotificationView>> {
    Ok(load(conn, user, Which::Only(id), 1)?.pop())
}

/// `user`'s unread notifications written after `since` and up to `until`, newest first.
pub fn unread_between(
    conn: &mut DbConn,
    user: UserId,
    since: PrimitiveDateTime,
    until: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<NotificationView>> {
    load(conn, user, Which::UnreadBetween(since, until), limit)
}

/// Which of a member's notifications to load.
enum Which {
    Newest,
    Before(i64),
    Only(i64),
    UnreadBetween(PrimitiveDateTime, PrimitiveDateTime),
}

fn load(
    conn: &mut DbConn,
    user: UserId,
    which: Which,
    limit: i64,
) -> QueryResult<Vec<NotificationView>> {
    let mut query = notifications::table
        .inner_join(threads::table)
        .left_join(users::table.on(users::id.nullable().eq(notifications::actor_id)))
        .filter(notifications::user_id.eq(user))
        .select((
            notifications::id,
            notifications::kind,
            notifications::subject_id,
            threads::id,
            threads::title,
            threads::slug,
            users::display_name.nullable(),
            notifications::created_at,
            notifications::read_at.is_not_null(),
        ))
        .order(notifications::id.desc())
        .limit(limit)
        .into_boxed();
    query = match which {
        Which::Newest => query,
        Which::Before(id) => query.filter(notifications::id.lt(id)),
        Which::Only(id) => query.filter(notifications::id.eq(id)),
        Which::UnreadBetween(since, until) => query
            .filter(notifications::read_at.is_null())
            .filter(notifications::created_at.gt(since))
            .filter(notifications::created_at.le(until)),
    };
    query.load(conn)
}

/// Marks one of `user`'s notifications read and returns it (`None` if it is not theirs).
pub fn open(conn: &mut DbConn, user: UserId, id: i64) -> QueryResult<Option<NotificationView>> {
    let marked = diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::user_id.eq(user))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(now()))
    .execute(conn)?;
    if marked > 0 {
        diesel::update(users::table.find(user))
            .set(users::unread_notifications.eq(users::unread_notifications - 1))
            .filter(users::unread_notifications.gt(0))
            .execute(conn)?;
    }
    find(conn, user, id)
}

/// Marks all of `user`'s notifications read.
pub fn mark_all_read(conn: &mut DbConn, user: UserId) -> QueryResult<()> {
    diesel::update(
        notifications::table
            .filter(notifications::user_id.eq(user))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(now()))
    .execute(conn)?;
    diesel::update(users::table.find(user))
        .set(users::unread_notifications.eq(0))
        .execute(conn)?;
    Ok(())
}
