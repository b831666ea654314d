//! Trust levels, 0 to 3. A new member starts at 0; coming back on more days, reading posts,
//! writing posts that stay and having answers accepted earn the next levels (thresholds in
//! the settings),
//! and flags moderators upheld against them hold promotion back. A moderator can set a level
//! by hand, which then stays until they change it. The policy grants privileges by level.

use diesel::prelude::*;
use stoa_db::schema::{flags, posts, threads, users};
use stoa_db::{DbConn, UserId};

use crate::audit::{self, AuditAction, Entry, Target};
use crate::{Error, Reason};

/// The highest level.
pub const MAX_LEVEL: u8 = 3;

/// What levels 1, 2 and 3 take (index 0 is level 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Days on which the member came back (logged in or used the site signed in).
    pub visit_days: [u32; 3],
    /// Posts read (on thread pages, once a thread a day).
    pub posts_read: [u32; 3],
    /// Posts (questions and answers) that are not deleted.
    pub posts: [u32; 3],
    /// Their answers accepted by askers.
    pub accepted: [u32; 3],
    /// More upheld flags against their posts than this, and they are not promoted.
    pub max_upheld_flags: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            visit_days: [2, 10, 50],
            posts_read: [20, 100, 500],
            posts: [1, 10, 50],
            accepted: [0, 1, 10],
            max_upheld_flags: 2,
        }
    }
}

/// A member's record, as promotion reads it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    pub visit_days: u32,
    pub posts_read: u32,
    pub posts: u32,
    pub accepted: u32,
    pub upheld_flags: u32,
}

impl Thresholds {
    /// The highest level that `visit_days` and `posts_read` allow (levels are climbed in
    /// order, and each needs its days visited and posts read first).
    pub fn reachable(&self, visit_days: u32, posts_read: u32) -> u8 {
        let levels = self
            .visit_days
            .iter()
            .zip(self.posts_read)
            .take_while(|(days, read)| visit_days >= **days && posts_read >= *read)
            .count();
        u8::try_from(levels).unwrap_or(MAX_LEVEL)
    }

    /// The level `activity` earns.
    pub fn level_for(&self, activity: Activity) -> u8 {
        if activity.upheld_flags > self.max_upheld_flags {
            return 0;
        }
        let mut level = 0;
        for i in 0..3 {
            let earned = activity.visit_days >= self.visit_days[i]
                && activity.posts_read >= self.posts_read[i]
                && activity.posts >= self.posts[i]
                && activity.accepted >= self.accepted[i];
            if !earned {
                break;
            }
            level = i + 1;
        }
        u8::try_from(level).unwrap_or(MAX_LEVEL)
    }
}

/// How many of `ids` there are, read no further than `cap` rows: counting a member's posts
/// stops at the threshold, however many they wrote.
fn capped(cap: u32, load: impl FnOnce(i64) -> QueryResult<Vec<i64>>) -> Result<u32, Error> {
    if cap == 0 {
        return Ok(0);
    }
    let rows = load(i64::from(cap))?;
    Ok(u32::try_from(rows.len()).unwrap_or(cap))
}

/// `user`'s activity, each count read up to `caps` (posts, accepted answers, upheld flags).
fn activity(
    conn: &mut DbConn,
    user: UserId,
    (visit_days, posts_read): (u32, u32),
    caps: (u32, u32, u32),
) -> Result<Activity, Error> {
    let posts = capped(caps.0, |cap| {
        posts::table
            .filter(posts::author_id.eq(user))
            .filter(posts::deleted_at.is_null())
            .select(posts::id)
            .limit(cap)
            .load::<stoa_db::PostId>(conn)
            .map(|ids| ids.into_iter().map(|id| id.0).collect())
    })?;
    let accepted = capped(caps.1, |cap| {
        threads::table
            .inner_join(posts::table.on(posts::id.nullable().eq(threads::accepted_answer_id)))
            .filter(posts::author_id.eq(user))
            .filter(threads::deleted_at.is_null())
            .select(threads::id)
            .limit(cap)
            .load::<stoa_db::ThreadId>(conn)
            .map(|ids| ids.into_iter().map(|id| id.0).collect())
    })?;
    let upheld_flags = capped(caps.2, |cap| {
        flags::table
            .inner_join(posts::table)
            .filter(posts::author_id.eq(user))
            .filter(flags::outcome.eq("upheld"))
            .select(flags::id)
            .limit(cap)
            .load::<i64>(conn)
    })?;
    Ok(Activity {
        visit_days,
        posts_read,
        posts,
        accepted,
        upheld_flags,
    })
}

/// Raises `user` to the level their activity earns, unless a moderator set it by hand.
/// Never lowers it. Returns the new level when it rose. Runs after every post, so it stays
/// cheap: one query when the days visited allow no higher level, and otherwise counts that
/// stop at the thresholds. Call inside a write transaction.
pub fn promote(
    conn: &mut DbConn,
    user: UserId,
    thresholds: &Thresholds,
) -> Result<Option<u8>, Error> {
    let (current, locked, visit_days, posts_read): (i32, bool, i32, i32) = users::table
        .find(user)
        .select((
            users::trust_level,
            users::trust_level_locked,
            users::visit_days,
            users::posts_read,
        ))
        .first(conn)
        .optional()?
        .ok_or(Error::UserNotFound)?;
    let visit_days = u32::try_from(visit_days).unwrap_or_default();
    let posts_read = u32::try_from(posts_read).unwrap_or_default();
    let reachable = thresholds.reachable(visit_days, posts_read);
    if locked || i32::from(reachable) <= current {
        return Ok(None);
    }
    let top = usize::from(reachable) - 1;
    let caps = (
        thresholds.posts[top],
        thresholds.accepted[top],
        thresholds.max_upheld_flags + 1,
    );
    let earned = thresholds.level_for(activity(conn, user, (visit_days, posts_read), caps)?);
    if i32::from(earned) <= current {
        return Ok(None);
    }
    diesel::update(
        users::table
            .find(user)
            .filter(users::trust_level_locked.eq(false)),
    )
    .set(users::trust_level.eq(i32::from(earned)))
    .execute(conn)?;
    Ok(Some(earned))
}

/// Sets `user`'s level by hand (a moderator's decision, logged); it stays until changed.
/// Call inside a write transaction.
pub fn set_level(
    conn: &mut DbConn,
    by: UserId,
    user: UserId,
    level: u8,
    reason: &Reason,
) -> Result<(), Error> {
    if level > MAX_LEVEL {
        return Err(Error::Invalid("Trust levels go from 0 to 3.".into()));
    }
    let username: String = users::table
        .find(user)
        .select(users::username)
        .first(conn)
        .optional()?
        .ok_or(Error::UserNotFound)?;
    diesel::update(users::table.find(user))
        .set((
            users::trust_level.eq(i32::from(level)),
            users::trust_level_locked.eq(true),
        ))
        .execute(conn)?;
    let logged = format!("level {level}: {}", reason.as_str());
    audit::record(
        conn,
        Entry {
            actor: by,
            action: AuditAction::SetTrustLevel,
            target: Target::User(user),
            label: &username,
            reason: &logged,
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_need_every_threshold_and_few_upheld_flags() {
        let t = Thresholds::default();
        let a = |visit_days, posts, accepted, upheld_flags| Activity {
            visit_days,
            posts_read: 1000,
            posts,
            accepted,
            upheld_flags,
        };
        assert_eq!(t.level_for(a(0, 0, 0, 0)), 0);
        assert_eq!(t.level_for(a(2, 0, 0, 0)), 0, "a post is needed too");
        assert_eq!(t.level_for(a(2, 1, 0, 0)), 1);
        assert_eq!(
            t.level_for(a(10, 10, 0, 0)),
            1,
            "level 2 takes an accepted answer"
        );
        assert_eq!(t.level_for(a(10, 10, 1, 0)), 2);
        assert_eq!(t.level_for(a(50, 50, 10, 2)), 3);
        assert_eq!(t.level_for(a(50, 50, 10, 3)), 0, "too many upheld flags");
        assert_eq!(
            t.level_for(a(1, 100, 100, 0)),
            0,
            "levels are climbed in order"
        );
    }
}
