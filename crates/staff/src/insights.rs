//! Insights for the owner and staff: per week, how many questions came, how many were
//! answered and solved, how fast the first answer and the team's first answer came (in
//! business hours), how many the team answered; the top tags; what is still unanswered.
//! Reporting reads: the owner's page, never a reader's.

use diesel::prelude::*;
use jiff::civil::Date;
use stoa_db::schema::{tags, thread_tags, threads};
use stoa_db::{DbConn, ThreadId};
use time::{Duration, PrimitiveDateTime};

use crate::hours::BusinessHours;

/// The times of one question that the figures come from.
#[derive(Debug, Clone, Queryable)]
pub struct ThreadTimes {
    pub created_at: PrimitiveDateTime,
    pub first_answer_at: Option<PrimitiveDateTime>,
    pub first_team_answer_at: Option<PrimitiveDateTime>,
    pub solved: bool,
    /// Staff marked one of its answers as the official one.
    pub official: bool,
}

/// The questions asked since `since` (deleted ones left out).
pub fn threads_since(conn: &mut DbConn, since: PrimitiveDateTime) -> QueryResult<Vec<ThreadTimes>> {
    threads::table
        .filter(threads::created_at.ge(since))
        .filter(threads::deleted_at.is_null())
        .select((
            threads::created_at,
            threads::first_answer_at,
            threads::first_team_answer_at,
            threads::accepted_answer_id.is_not_null(),
            threads::official_answer_id.is_not_null(),
        ))
        .load(conn)
}

/// A median and a 90th percentile (nearest rank), when there is anything to rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spread {
    pub median: Option<Duration>,
    pub p90: Option<Duration>,
    /// How many values they come from.
    pub count: usize,
}

impl Spread {
    pub fn of(mut values: Vec<Duration>) -> Spread {
        values.sort();
        let rank = |p: usize| -> Option<Duration> {
            let n = values.len();
            if n == 0 {
                return None;
            }
            // Nearest rank: the smallest value with at least p % of the values at or below it.
            let index = (p * n).div_ceil(100).max(1) - 1;
            values.get(index).copied()
        };
        Spread {
            median: rank(50),
            p90: rank(90),
            count: values.len(),
        }
    }
}

/// One week's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    /// Its Monday, in the business time zone.
    pub starts: Date,
    pub asked: usize,
    pub answered: usize,
    pub solved: usize,
    /// Questions the team answered (whoever answered first).
    pub answered_by_team: usize,
    /// Answered, but only by the community.
    pub answered_by_community: usize,
    /// With an official answer marked by staff.
    pub with_official_answer: usize,
    /// Time to the first answer, in business hours.
    pub first_answer: Spread,
    /// Time to the team's first answer, in business hours.
    pub first_team_answer: Spread,
}

/// The last `weeks` weeks up to `now` (oldest first), from `rows`.
pub fn weekly(
    rows: &[ThreadTimes],
    hours: &BusinessHours,
    now: PrimitiveDateTime,
    weeks: usize,
) -> Vec<Week> {
    let Some(this_week) = hours.week_of(now) else {
        return Vec::new();
    };
    let starts: Vec<Date> = (0..weeks)
        .rev()
        .filter_map(|back| {
            this_week
                .checked_sub(jiff::Span::new().weeks(i64::try_from(back).ok()?))
                .ok()
        })
        .collect();
    starts
        .into_iter()
        .map(|starts| {
            let of_week: Vec<&ThreadTimes> = rows
                .iter()
                .filter(|r| hours.week_of(r.created_at) == Some(starts))
                .collect();
            let waited = |answer: fn(&ThreadTimes) -> Option<PrimitiveDateTime>| {
                Spread::of(
                    of_week
                        .iter()
                        .filter_map(|r| answer(r).map(|at| hours.between(r.created_at, at)))
                        .collect(),
                )
            };
            Week {
                starts,
                asked: of_week.len(),
                answered: of_week
                    .iter()
                    .filter(|r| r.first_answer_at.is_some())
                    .count(),
                solved: of_week.iter().filter(|r| r.solved).count(),
                answered_by_team: of_week
                    .iter()
                    .filter(|r| r.first_team_answer_at.is_some())
                    .count(),
                answered_by_community: of_week
                    .iter()
                    .filter(|r| r.first_answer_at.is_some() && r.first_team_answer_at.is_none())
                    .count(),
                with_official_answer: of_week.iter().filter(|r| r.official).count(),
                first_answer: waited(|r| r.first_answer_at),
                first_team_answer: waited(|r| r.first_team_answer_at),
            }
        })
        .collect()
}

/// How long the team typically takes to answer: the median of the team's first answers to
/// `rows` in business hours; `None` with fewer than `at_least` of them (too little to say).
pub fn typical_team_answer(
    rows: &[ThreadTimes],
    hours: &BusinessHours,
    at_least: usize,
) -> Option<Duration> {
    let spread = Spread::of(
        rows.iter()
            .filter_map(|r| {
                r.first_team_answer_at
                    .map(|at| hours.between(r.created_at, at))
            })
            .collect(),
    );
    spread.median.filter(|_| spread.count >= at_least)
}

/// The tags of the most questions asked since `since`, with their counts.
pub fn top_tags(
    conn: &mut DbConn,
    since: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(String, i64)>> {
    let count = diesel::dsl::count(thread_tags::thread_id);
    thread_tags::table
        .inner_join(tags::table)
        .filter(thread_tags::thread_created_at.ge(since))
        .group_by(tags::name)
        .select((tags::name, count))
        .order((count.desc(), tags::name.asc()))
        .limit(limit)
        .load(conn)
}

/// Questions asked before `before` that nobody has answered yet, the oldest first.
pub fn unanswered_before(
    conn: &mut DbConn,
    before: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(ThreadId, String, String, PrimitiveDateTime)>> {
    threads::table
        .filter(threads::created_at.lt(before))
        .filter(threads::answer_count.eq(0))
        .filter(threads::deleted_at.is_null())
        .filter(threads::closed_at.is_null())
        .select((
            threads::id,
            threads::title,
            threads::slug,
            threads::created_at,
        ))
        .order((threads::created_at.desc(), threads::id.desc()))
        .limit(limit)
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hours::HoursInput;
    use time::macros::datetime;

    fn every_hour_utc() -> BusinessHours {
        BusinessHours::parse(&HoursInput {
            zone: "UTC",
            days: &[1, 2, 3, 4, 5, 6, 7],
            opens: "00:00",
            closes: "23:59",
            target_hours: "8",
            alert_overdue: false,
        })
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn asked(
        at: PrimitiveDateTime,
        first: Option<i64>,
        team: Option<i64>,
        solved: bool,
    ) -> ThreadTimes {
        ThreadTimes {
            created_at: at,
            first_answer_at: first.map(|h| at + Duration::hours(h)),
            first_team_answer_at: team.map(|h| at + Duration::hours(h)),
            solved,
            // The team's quickest answers are the ones it marks official here.
            official: team == Some(1),
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let spread = Spread::of((1..=10).map(Duration::hours).collect());
        assert_eq!(spread.median, Some(Duration::hours(5)));
        assert_eq!(spread.p90, Some(Duration::hours(9)));
        assert_eq!(
            Spread::of(vec![Duration::hours(3)]).p90,
            Some(Duration::hours(3))
        );
        assert_eq!(Spread::of(Vec::new()), Spread::default());
    }

    #[test]
    fn weeks_count_what_their_questions_met() {
        let hours = every_hour_utc();
        // Monday 2026-11-23 and Monday 2026-11-30; "now" is Thursday 2026-12-03.
        let rows = [
            asked(datetime!(2026-11-24 10:00), Some(1), Some(1), true),
            asked(datetime!(2026-11-25 10:00), Some(2), Some(5), false),
            asked(datetime!(2026-11-26 10:00), Some(3), None, true),
            asked(datetime!(2026-11-27 10:00), None, None, false),
            asked(datetime!(2026-12-01 10:00), Some(4), Some(4), false),
        ];
        let weeks = weekly(&rows, &hours, datetime!(2026-12-03 12:00), 3);
        assert_eq!(weeks.len(), 3);
        assert_eq!(weeks[0].asked, 0, "the week of 2026-11-16");
        let last_week = &weeks[1];
        assert_eq!(last_week.starts.to_string(), "2026-11-23");
        assert_eq!(
            (last_week.asked, last_week.answered, last_week.solved),
            (4, 3, 2)
        );
        assert_eq!(
            (last_week.answered_by_team, last_week.answered_by_community),
            (2, 1)
        );
        assert_eq!(last_week.with_official_answer, 1);
        assert_eq!(last_week.first_answer.median, Some(Duration::hours(2)));
        assert_eq!(last_week.first_answer.p90, Some(Duration::hours(3)));
        assert_eq!(last_week.first_team_answer.median, Some(Duration::hours(1)));
        assert_eq!(last_week.first_team_answer.count, 2);
        assert_eq!(weeks[2].asked, 1);
        assert_eq!(weeks[2].first_team_answer.median, Some(Duration::hours(4)));
    }

    #[test]
    fn the_typical_reply_needs_enough_answers() {
        let hours = every_hour_utc();
        let rows: Vec<ThreadTimes> = (0..4)
            .map(|i| asked(datetime!(2026-11-24 10:00), Some(i), Some(i + 1), false))
            .collect();
        assert_eq!(typical_team_answer(&rows, &hours, 5), None);
        assert_eq!(
            typical_team_answer(&rows, &hours, 4),
            Some(Duration::hours(2))
        );
    }
}
