//! The review queue: flagged posts (and, as those rules arrive, first posts and posts held by
//! spam rules) waiting for a moderator. Opening the queue claims its first items for a few
//! minutes, so two moderators working at once see different items; the first decision on an
//! item resolves it, and a second one is refused.

use std::collections::HashMap;

use diesel::prelude::*;
use stoa_db::schema::{flags, posts, review_items, threads, users};
use stoa_db::{DbConn, PostId, ThreadId, UserId, time::now};
use time::{Duration, PrimitiveDateTime};

use crate::audit::{self, AuditAction, Entry, Target};
use crate::{Error, Reason};

/// How long an opened item stays out of the other moderators' queue.
pub const CLAIM_FOR: Duration = Duration::minutes(10);

/// What a moderator decides about an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing wrong: the post stays (or comes back, if flags hid it); the flags are dismissed.
    Approve,
    /// The post stays hidden from readers, its author sees why; the flags are upheld.
    Hide(Reason),
    /// The post is deleted; the flags are upheld.
    Delete(Reason),
}

impl Decision {
    /// Reads the form: `decision` with a `reason` (required to hide or delete).
    pub fn parse(decision: &str, reason: &str) -> Result<Decision, Error> {
        match decision {
            "approve" => Ok(Decision::Approve),
            "hide" => Ok(Decision::Hide(Reason::parse(reason)?)),
            "delete" => Ok(Decision::Delete(Reason::parse(reason)?)),
            _ => Err(Error::Invalid("Choose approve, hide or delete.".into())),
        }
    }
}

/// Who wrote the post under review, and how their posts have fared.
#[derive(Debug, Clone)]
pub struct AuthorHistory {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub joined: PrimitiveDateTime,
    pub posts: i64,
    pub deleted_posts: i64,
    /// Flags on their posts that moderators upheld.
    pub flags_upheld: i64,
}

/// One flag on the post, as the queue shows it.
#[derive(Debug, Clone, Queryable)]
pub struct FlagLine {
    pub post_id: PostId,
    pub reason: String,
    pub note: String,
    pub flagger: String,
}

/// Why an item looks like spam, each reason with its weight, and their sum: the review
/// queue shows them so the moderator sees what the rules saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signals {
    pub score: u32,
    pub reasons: Vec<(u32, String)>,
}

/// What the signals are computed from.
#[derive(Debug, Clone, Copy)]
pub struct Evidence {
    pub account_age: Duration,
    pub trust_level: i32,
    pub links: usize,
    pub flags: usize,
    pub flags_upheld_before: i64,
    pub deleted_posts: i64,
    pub held_first_post: bool,
}

impl Signals {
    /// Weighs `evidence`: a day-old account 2, trust level 0 1, each link 1 (up to 3), each
    /// flag 1 (up to 3), each earlier upheld flag 2 (up to 3 of them), deleted posts 1, a
    /// first post held by the rules 1.
    pub fn weigh(evidence: Evidence) -> Signals {
        let mut reasons = Vec::new();
        let capped = |n: usize, cap: u32| u32::try_from(n).unwrap_or(cap).min(cap);
        if evidence.account_age < Duration::days(1) {
            let hours = evidence.account_age.whole_hours();
            let age = if hours == 0 {
                format!("{} minutes", evidence.account_age.whole_minutes())
            } else {
                format!("{hours} hours")
            };
            reasons.push((2, format!("account made {age} ago")));
        }
        if evidence.trust_level == 0 {
            reasons.push((1, "trust level 0".to_owned()));
        }
        if evidence.links > 0 {
            let n = evidence.links;
            reasons.push((
                capped(n, 3),
                format!("{n} link{}", if n == 1 { "" } else { "s" }),
            ));
        }
        if evidence.flags > 0 {
            let n = evidence.flags;
            reasons.push((
                capped(n, 3),
                format!("{n} flag{} waiting", if n == 1 { "" } else { "s" }),
            ));
        }
        if evidence.flags_upheld_before > 0 {
            let n = usize::try_from(evidence.flags_upheld_before).unwrap_or(usize::MAX);
            reasons.push((
                2 * capped(n, 3),
                format!("{n} earlier flags upheld against them"),
            ));
        }
        if evidence.deleted_posts > 0 {
            reasons.push((1, format!("{} deleted posts", evidence.deleted_posts)));
        }
        if evidence.held_first_post {
            reasons.push((1, "a first post with links".to_owned()));
        }
        Signals {
            score: reasons.iter().map(|(weight, _)| weight).sum(),
            reasons,
        }
    }
}

/// An item of the queue with all a moderator needs to decide.
#[derive(Debug, Clone)]
pub struct ReviewItem {
    pub id: i64,
    pub kind: String,
    pub created_at: PrimitiveDateTime,
    pub post: PostId,
    pub thread: ThreadId,
    pub thread_title: String,
    pub thread_slug: String,
    pub is_question: bool,
    pub body_html: String,
    /// Hidden from readers (by flags or a moderator) while it waits.
    pub hidden: bool,
    pub author: AuthorHistory,
    pub flags: Vec<FlagLine>,
    pub signals: Signals,
}

/// An item nobody else holds: unclaimed, its claim run out, or claimed by `moderator`.
macro_rules! available_to {
    ($moderator:expr, $at:expr) => {
        review_items::resolved_at.is_null().and(
            review_items::claimed_until
                .is_null()
                .or(review_items::claimed_until.le($at))
                .or(review_items::claimed_by.eq($moderator)),
        )
    };
}

/// How many items wait for `moderator` (not held by another).
pub fn waiting(conn: &mut DbConn, moderator: UserId) -> Result<i64, Error> {
    Ok(review_items::table
        .filter(available_to!(moderator, now()))
        .count()
        .get_result(conn)?)
}

/// Claims up to `limit` items for `moderator`, oldest first, and loads them. An item another
/// moderator claimed a moment before is skipped, not shown twice: the claim is one update
/// that re-checks availability row by row. A fixed number of queries.
pub fn claim(conn: &mut DbConn, moderator: UserId, limit: i64) -> Result<Vec<ReviewItem>, Error> {
    let at = now();
    let candidates: Vec<i64> = review_items::table
        .filter(available_to!(moderator, at))
        .order((review_items::created_at.asc(), review_items::id.asc()))
        .limit(limit)
        .select(review_items::id)
        .load(conn)?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let claimed: Vec<i64> = diesel::update(
        review_items::table
            .filter(review_items::id.eq_any(&candidates))
            .filter(available_to!(moderator, at)),
    )
    .set((
        review_items::claimed_by.eq(moderator),
        review_items::claimed_until.eq(at + CLAIM_FOR),
    ))
    .returning(review_items::id)
    .get_results(conn)?;
    load(conn, &claimed)
}

type ItemRow = (
    (i64, String, PrimitiveDateTime, PostId),
    (ThreadId, String, String),
    (bool, String, String, bool, bool),
    (UserId, String, String, PrimitiveDateTime, i32),
);

fn load(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<ReviewItem>, Error> {
    let rows: Vec<ItemRow> = review_items::table
        .inner_join(
            posts::table
                .inner_join(threads::table)
                .inner_join(users::table.on(users::id.eq(posts::author_id))),
        )
        .filter(review_items::id.eq_any(ids))
        .order((review_items::created_at.asc(), review_items::id.asc()))
        .select((
            (
                review_items::id,
                review_items::kind,
                review_items::created_at,
                posts::id,
            ),
            (threads::id, threads::title, threads::slug),
            (
                posts::is_question,
                posts::body_html,
                posts::body_source,
                posts::deleted_at.is_not_null(),
                posts::hidden_reason.is_not_null(),
            ),
            (
                users::id,
                users::username,
                users::display_name,
                users::created_at,
                users::trust_level,
            ),
        ))
        .load(conn)?;
    let post_ids: Vec<PostId> = rows.iter().map(|r| r.0.3).collect();
    let author_ids: Vec<UserId> = rows.iter().map(|r| r.3.0).collect();
    let mut flags_by_post: HashMap<PostId, Vec<FlagLine>> = HashMap::new();
    let lines: Vec<FlagLine> = flags::table
        .inner_join(users::table.on(users::id.eq(flags::user_id)))
        .filter(flags::post_id.eq_any(&post_ids))
        .filter(flags::outcome.is_null())
        .order(flags::id.asc())
        .select((flags::post_id, flags::reason, flags::note, users::username))
        .load(conn)?;
    for line in lines {
        flags_by_post.entry(line.post_id).or_default().push(line);
    }
    let history = histories(conn, &author_ids)?;
    Ok(rows
        .into_iter()
        .map(
            |(
                (id, kind, created_at, post),
                (thread, thread_title, thread_slug),
                (is_question, body_html, body_source, deleted, hidden),
                (author, username, display_name, joined, trust_level),
            )| {
                let (posts, deleted_posts, flags_upheld) =
                    history.get(&author).copied().unwrap_or_default();
                let flags = flags_by_post.remove(&post).unwrap_or_default();
                let signals = Signals::weigh(Evidence {
                    account_age: now() - joined,
                    trust_level,
                    links: crate::posting::links_in(&body_source),
                    flags: flags.len(),
                    flags_upheld_before: flags_upheld,
                    deleted_posts: deleted_posts - i64::from(deleted && hidden),
                    held_first_post: kind == "first_post",
                });
                ReviewItem {
                    id,
                    kind,
                    created_at,
                    post,
                    thread,
                    thread_title,
                    thread_slug,
                    is_question,
                    body_html,
                    hidden: deleted && hidden,
                    author: AuthorHistory {
                        id: author,
                        username,
                        display_name,
                        joined,
                        posts,
                        deleted_posts,
                        flags_upheld,
                    },
                    flags,
                    signals,
                }
            },
        )
        .collect())
}

/// Per author: posts written, posts deleted, flags upheld against them. Two grouped queries.
fn histories(
    conn: &mut DbConn,
    authors: &[UserId],
) -> Result<HashMap<UserId, (i64, i64, i64)>, Error> {
    use diesel::dsl::count_star;
    let written: Vec<(UserId, i64)> = posts::table
        .filter(posts::author_id.eq_any(authors))
        .group_by(posts::author_id)
        .select((posts::author_id, count_star()))
        .load(conn)?;
    let deleted: Vec<(UserId, i64)> = posts::table
        .filter(posts::author_id.eq_any(authors))
        .filter(posts::deleted_at.is_not_null())
        .group_by(posts::author_id)
        .select((posts::author_id, count_star()))
        .load(conn)?;
    let upheld: Vec<(UserId, i64)> = flags::table
        .inner_join(posts::table)
        .filter(posts::author_id.eq_any(authors))
        .filter(flags::outcome.eq("upheld"))
        .group_by(posts::author_id)
        .select((posts::author_id, count_star()))
        .load(conn)?;
    let mut out: HashMap<UserId, (i64, i64, i64)> = HashMap::new();
    for (author, n) in written {
        out.entry(author).or_default().0 = n;
    }
    for (author, n) in deleted {
        out.entry(author).or_default().1 = n;
    }
    for (author, n) in upheld {
        out.entry(author).or_default().2 = n;
    }
    Ok(out)
}

/// Applies `decision` to item `item` as `moderator`: resolves the item, sets its flags'
/// outcome, shows, hides or deletes the post, and logs it. An item another moderator holds
/// or already resolved is refused with [`Error::AlreadyHandled`]. Returns the post's thread.
/// Call inside a write transaction.
pub fn decide(
    conn: &mut DbConn,
    moderator: UserId,
    item: i64,
    decision: &Decision,
) -> Result<ThreadId, Error> {
    let at = now();
    let (outcome, reason) = match decision {
        Decision::Approve => ("approved", ""),
        Decision::Hide(r) => ("hidden", r.as_str()),
        Decision::Delete(r) => ("deleted", r.as_str()),
    };
    let post: PostId = diesel::update(
        review_items::table
            .find(item)
            .filter(available_to!(moderator, at)),
    )
    .set((
        review_items::resolved_at.eq(at),
        review_items::resolved_by.eq(moderator),
        review_items::outcome.eq(outcome),
        review_items::outcome_reason.eq(reason),
    ))
    .returning(review_items::post_id)
    .get_result(conn)
    .optional()?
    .ok_or(Error::AlreadyHandled)?;
    let (thread, title, hidden): (ThreadId, String, bool) = posts::table
        .inner_join(threads::table)
        .filter(posts::id.eq(post))
        .select((
            threads::id,
            threads::title,
            posts::deleted_at
                .is_not_null()
                .and(posts::hidden_reason.is_not_null()),
        ))
        .first(conn)?;
    let (flag_outcome, logged) = match decision {
        Decision::Approve => {
            if hidden {
                stoa_threads::deletion::restore(conn, post)?;
            }
            ("dismissed", AuditAction::ApprovePost)
        }
        Decision::Hide(reason) => {
            if hidden {
                diesel::update(posts::table.find(post))
                    .set(posts::hidden_reason.eq(reason.as_str()))
                    .execute(conn)?;
            } else {
                stoa_threads::deletion::hide(conn, post, Some(moderator), reason.as_str())?;
            }
            ("upheld", AuditAction::HidePost)
        }
        Decision::Delete(_) => {
            stoa_threads::deletion::delete_as_moderator(conn, post, moderator)?;
            ("upheld", AuditAction::DeletePost)
        }
    };
    let settled: Vec<i64> = diesel::update(
        flags::table
            .filter(flags::post_id.eq(post))
            .filter(flags::outcome.is_null()),
    )
    .set((flags::outcome.eq(flag_outcome), flags::resolved_at.eq(at)))
    .returning(flags::id)
    .get_results(conn)?;
    // Those who flagged hear that a moderator decided (their flags page says how).
    for flag in settled {
        stoa_notify::notifications::flag_reviewed(conn, thread, flag, moderator)?;
    }
    audit::record(
        conn,
        Entry {
            actor: moderator,
            action: logged,
            target: Target::Post(post),
            label: &title,
            reason,
        },
    )?;
    Ok(thread)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_add_up_with_their_reasons() {
        let fresh = Signals::weigh(Evidence {
            account_age: Duration::minutes(20),
            trust_level: 0,
            links: 5,
            flags: 1,
            flags_upheld_before: 0,
            deleted_posts: 0,
            held_first_post: true,
        });
        assert_eq!(fresh.score, 2 + 1 + 3 + 1 + 1);
        let reasons: Vec<&str> = fresh.reasons.iter().map(|(_, r)| r.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "account made 20 minutes ago",
                "trust level 0",
                "5 links",
                "1 flag waiting",
                "a first post with links"
            ]
        );
        let regular = Signals::weigh(Evidence {
            account_age: Duration::days(400),
            trust_level: 2,
            links: 0,
            flags: 1,
            flags_upheld_before: 0,
            deleted_posts: 0,
            held_first_post: false,
        });
        assert_eq!(regular.score, 1);
    }
}
