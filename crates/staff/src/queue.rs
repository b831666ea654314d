//! The staff queue: threads where a customer waits for the team. A customer's question, answer
//! or comment starts the wait (or keeps it, when one was already running); the team's answer or
//! comment ends it. Staff assign a thread to one of them, or set it aside as waiting on the
//! customer or done, until the customer writes again.

use diesel::prelude::*;
use stoa_db::prepared::PreparedSql;
use stoa_db::schema::{categories, thread_tags, threads, users};
use stoa_db::{CategoryId, DbConn, MultiBackend, TagId, ThreadId, UserId};
use time::PrimitiveDateTime;

use crate::Error;
use crate::hours::BusinessHours;

/// Where a waiting thread stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueState {
    /// Waits for the team.
    #[default]
    Open,
    /// The team asked the customer something.
    WaitingOnCustomer,
    /// Nothing more to do.
    Done,
}

impl QueueState {
    pub const ALL: [QueueState; 3] = [
        QueueState::Open,
        QueueState::WaitingOnCustomer,
        QueueState::Done,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QueueState::Open => "open",
            QueueState::WaitingOnCustomer => "waiting_on_customer",
            QueueState::Done => "done",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            QueueState::Open => "Waiting for us",
            QueueState::WaitingOnCustomer => "Waiting on the customer",
            QueueState::Done => "Done",
        }
    }

    pub fn parse(s: &str) -> Option<QueueState> {
        QueueState::ALL.into_iter().find(|q| q.as_str() == s)
    }
}

/// Who wrote on a thread, for the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// Staff or the owner: the team has replied.
    Team,
    /// Anyone else: a customer waits (again).
    Customer,
}

/// Records a new post or comment on `thread` at `at`; `answer` when it is an answer (the first
/// answer and the team's first answer are kept for response times). Call in the transaction
/// that wrote it.
pub fn record(
    conn: &mut DbConn,
    thread: ThreadId,
    writer: Writer,
    answer: bool,
    at: PrimitiveDateTime,
) -> QueryResult<()> {
    let wait = match writer {
        Writer::Team => "waiting_since = NULL",
        Writer::Customer => "waiting_since = COALESCE(waiting_since, $1), queue_state = 'open'",
    };
    let firsts = match (writer, answer) {
        (_, false) => "",
        (Writer::Customer, true) => ", first_answer_at = COALESCE(first_answer_at, $1)",
        (Writer::Team, true) => {
            ", first_answer_at = COALESCE(first_answer_at, $1),
               first_team_answer_at = COALESCE(first_team_answer_at, $1)"
        }
    };
    let statement = format!("UPDATE threads SET {wait}{firsts} WHERE id = $2");
    PreparedSql::new(&statement, &[at.into(), thread.0.into()]).execute(conn)?;
    Ok(())
}

/// Which waiting threads to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueFilter {
    pub state: QueueState,
    pub category: Option<CategoryId>,
    pub tag: Option<TagId>,
    /// Only the threads assigned to this member.
    pub assigned: Option<UserId>,
}

/// A waiting thread, as the queue lists it.
#[derive(Debug, Clone, Queryable)]
pub struct QueueRow {
    pub id: ThreadId,
    pub title: String,
    pub slug: String,
    pub waiting_since: PrimitiveDateTime,
    pub category: String,
    pub asker: String,
    pub assigned_to: Option<UserId>,
}

/// Threads in the queue, the longest waiting first, `limit` at a time after `after`
/// (a `(waiting_since, id)` cursor).
pub fn waiting(
    conn: &mut DbConn,
    filter: QueueFilter,
    after: Option<(PrimitiveDateTime, ThreadId)>,
    limit: i64,
) -> QueryResult<Vec<QueueRow>> {
    let waiting_since = threads::waiting_since.assume_not_null();
    let mut query = threads::table
        .inner_join(categories::table)
        .inner_join(users::table)
        .filter(threads::waiting_since.is_not_null())
        .filter(threads::deleted_at.is_null())
        .filter(threads::queue_state.eq(filter.state.as_str()))
        .select((
            threads::id,
            threads::title,
            threads::slug,
            waiting_since,
            categories::name,
            users::display_name,
            threads::assigned_to,
        ))
        .order((threads::waiting_since.asc(), threads::id.asc()))
        .limit(limit)
        .into_boxed::<MultiBackend>();
    if let Some(category) = filter.category {
        query = query.filter(threads::category_id.eq(category));
    }
    if let Some(tag) = filter.tag {
        query = query.filter(
            threads::id.eq_any(
                thread_tags::table
                    .filter(thread_tags::tag_id.eq(tag))
                    .select(thread_tags::thread_id),
            ),
        );
    }
    if let Some(member) = filter.assigned {
        query = query.filter(threads::assigned_to.eq(member));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            waiting_since
                .gt(at)
                .or(waiting_since.eq(at).and(threads::id.gt(id))),
        );
    }
    query.load(conn)
}

/// The roles of the team, who work the queue and can be given threads.
const TEAM_ROLES: [&str; 3] = ["staff", "moderator", "owner"];

/// The team: who threads can be assigned to, by name.
pub fn team(conn: &mut DbConn) -> QueryResult<Vec<(UserId, String)>> {
    users::table
        .filter(users::role.eq_any(TEAM_ROLES))
        .select((users::id, users::display_name))
        .order(users::display_name.asc())
        .load(conn)
}

/// Gives `thread` to `member` (`None`: to nobody). The member hears of it. Call inside a
/// write transaction.
pub fn assign(
    conn: &mut DbConn,
    thread: ThreadId,
    member: Option<UserId>,
    by: UserId,
) -> Result<(), Error> {
    if let Some(member) = member {
        let on_team: bool = diesel::select(diesel::dsl::exists(
            users::table
                .find(member)
                .filter(users::role.eq_any(TEAM_ROLES)),
        ))
        .get_result(conn)?;
        if !on_team {
            return Err(Error::Invalid(
                "Threads are assigned to staff, moderators or the owner.".into(),
            ));
        }
    }
    let updated = diesel::update(
        threads::table
            .find(thread)
            .filter(threads::deleted_at.is_null()),
    )
    .set(threads::assigned_to.eq(member))
    .execute(conn)?;
    if updated == 0 {
        return Err(Error::ThreadNotFound);
    }
    if member.is_some() {
        stoa_notify::notifications::assigned(conn, thread, by)?;
    }
    Ok(())
}

/// Sets the thread's place in the queue. Call inside a write transaction.
pub fn set_state(conn: &mut DbConn, thread: ThreadId, state: QueueState) -> Result<(), Error> {
    let updated = diesel::update(
        threads::table
            .find(thread)
            .filter(threads::deleted_at.is_null()),
    )
    .set(threads::queue_state.eq(state.as_str()))
    .execute(conn)?;
    if updated == 0 {
        return Err(Error::ThreadNotFound);
    }
    Ok(())
}

/// Announces every thread whose customer has now waited past the reply target (in business
/// hours), once per wait, when the owner wants it. Safe on several nodes: each announcement
/// is claimed by a conditional update. Returns how many threads were announced.
pub fn alert_overdue(
    conn: &mut DbConn,
    hours: &BusinessHours,
    at: PrimitiveDateTime,
) -> Result<usize, Error> {
    if !hours.alert_overdue {
        return Ok(0);
    }
    let target = time::Duration::hours(i64::from(hours.target_hours));
    // Business time never exceeds the time on the clock: only waits this old can be overdue.
    let waiting: Vec<(ThreadId, PrimitiveDateTime)> = threads::table
        .filter(threads::waiting_since.le(at - target))
        .filter(threads::deleted_at.is_null())
        .filter(threads::queue_state.eq(QueueState::Open.as_str()))
        .filter(
            threads::overdue_alerted_for
                .is_null()
                .or(threads::overdue_alerted_for.ne(threads::waiting_since)),
        )
        .select((threads::id, threads::waiting_since.assume_not_null()))
        .order(threads::waiting_since.asc())
        .limit(ALERTS_AT_ONCE)
        .load(conn)?;
    let mut announced = 0;
    for (thread, since) in waiting {
        if hours.between(since, at) <= target {
            continue;
        }
        let claimed = diesel::update(
            threads::table
                .find(thread)
                .filter(threads::waiting_since.eq(since))
                .filter(
                    threads::overdue_alerted_for
                        .is_null()
                        .or(threads::overdue_alerted_for.ne(since)),
                ),
        )
        .set(threads::overdue_alerted_for.eq(since))
        .execute(conn)?;
        if claimed == 1 {
            stoa_notify::notifications::overdue(
                conn,
                thread,
                stoa_db::time::to_unix_micros(since),
            )?;
            announced += 1;
        }
    }
    Ok(announced)
}

/// Overdue threads looked at in one pass.
const ALERTS_AT_ONCE: i64 = 200;
