//! Business hours: the days and hours the team works, in the community's time zone. Waiting
//! times count only those hours, so a question asked on Friday evening has not waited all
//! weekend.

use diesel::prelude::*;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use stoa_db::DbConn;
use stoa_db::schema::business_hours;
use time::{Duration, PrimitiveDateTime};

use crate::Error;

/// When the team works, and how soon it means to reply.
#[derive(Debug, Clone)]
pub struct BusinessHours {
    /// An IANA zone name, such as `Europe/Berlin`.
    pub zone_name: String,
    zone: TimeZone,
    /// Working days, Monday first.
    pub days: [bool; 7],
    pub opens: Time,
    pub closes: Time,
    /// A thread waiting longer than this (in business hours) is overdue.
    pub target_hours: i32,
    /// An overdue thread mails the team (its assignee, or everyone when nobody has it).
    pub alert_overdue: bool,
}

/// The form's values, as typed.
#[derive(Debug, Clone, Default)]
pub struct HoursInput<'a> {
    pub zone: &'a str,
    /// ISO weekday numbers, 1 (Monday) to 7.
    pub days: &'a [u8],
    pub opens: &'a str,
    pub closes: &'a str,
    pub target_hours: &'a str,
    pub alert_overdue: bool,
}

/// The days of the week, Monday first (ISO weekday 1 to 7).
pub const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

impl BusinessHours {
    /// Checks what the owner typed; each error says which field and why.
    pub fn parse(input: &HoursInput<'_>) -> Result<BusinessHours, Error> {
        let zone = TimeZone::get(input.zone.trim()).map_err(|_| {
            Error::Invalid(format!(
                "\"{}\" is not a time zone name; use one like Europe/Berlin or America/New_York.",
                input.zone.trim()
            ))
        })?;
        let mut days = [false; 7];
        for &d in input.days {
            let slot = usize::from(d)
                .checked_sub(1)
                .filter(|i| *i < 7)
                .ok_or_else(|| Error::Invalid("Choose days of the week.".into()))?;
            days[slot] = true;
        }
        if !days.contains(&true) {
            return Err(Error::Invalid("Choose at least one working day.".into()));
        }
        let time = |what: &str, value: &str| {
            Time::strptime("%H:%M", value.trim()).map_err(|_| {
                Error::Invalid(format!("The {what} time is written like 09:00 or 17:30."))
            })
        };
        let opens = time("opening", input.opens)?;
        let closes = time("closing", input.closes)?;
        if closes <= opens {
            return Err(Error::Invalid(
                "The day must close after it opens (hours past midnight are not supported).".into(),
            ));
        }
        let target_hours: i32 = input
            .target_hours
            .trim()
            .parse()
            .ok()
            .filter(|h| (1..=200).contains(h))
            .ok_or_else(|| {
                Error::Invalid("The reply target is a number of business hours, 1 to 200.".into())
            })?;
        Ok(BusinessHours {
            zone_name: input.zone.trim().to_owned(),
            zone,
            days,
            opens,
            closes,
            target_hours,
            alert_overdue: input.alert_overdue,
        })
    }

    pub fn opens_text(&self) -> String {
        self.opens.strftime("%H:%M").to_string()
    }

    pub fn closes_text(&self) -> String {
        self.closes.strftime("%H:%M").to_string()
    }

    /// The Monday of the week `t` falls in, in the business time zone.
    pub fn week_of(&self, t: PrimitiveDateTime) -> Option<Date> {
        let date = timestamp(t)?.to_zoned_datetime(self.zone.clone()).date();
        let back = i64::from(date.weekday().to_monday_zero_offset());
        date.checked_sub(jiff::Span::new().days(back)).ok()
    }

    /// The business time between two UTC instants (zero when `to` is not after `from`).
    pub fn between(&self, from: PrimitiveDateTime, to: PrimitiveDateTime) -> Duration {
        if to <= from {
            return Duration::ZERO;
        }
        let (Some(from_ts), Some(to_ts)) = (timestamp(from), timestamp(to)) else {
            return Duration::ZERO;
        };
        let first: Date = from_ts.to_zoned_datetime(self.zone.clone()).date();
        let last: Date = to_ts.to_zoned_datetime(self.zone.clone()).date();
        let mut total = Duration::ZERO;
        let mut day = first;
        // A waiting time beyond a few years is not worth counting day by day.
        for _ in 0..(366 * 3) {
            if day > last {
                break;
            }
            if self.days[weekday_index(day.weekday())] {
                let open = day
                    .to_datetime(self.opens)
                    .to_zoned_datetime(self.zone.clone());
                let close = day
                    .to_datetime(self.closes)
                    .to_zoned_datetime(self.zone.clone());
                if let (Ok(open), Ok(close)) = (open, close) {
                    let start = open.timestamp().max(from_ts);
                    let end = close.timestamp().min(to_ts);
                    if end > start {
                        let seconds = end.as_second() - start.as_second();
                        total += Duration::seconds(seconds);
                    }
                }
            }
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        total
    }
}

impl Default for BusinessHours {
    /// Monday to Friday, 09:00 to 17:00 UTC, replies within 8 business hours.
    fn default() -> Self {
        BusinessHours {
            zone_name: "UTC".to_owned(),
            zone: TimeZone::UTC,
            days: [true, true, true, true, true, false, false],
            opens: Time::constant(9, 0, 0, 0),
            closes: Time::constant(17, 0, 0, 0),
            target_hours: 8,
            alert_overdue: true,
        }
    }
}

fn weekday_index(day: Weekday) -> usize {
    usize::try_from(day.to_monday_zero_offset()).unwrap_or_default()
}

fn timestamp(t: PrimitiveDateTime) -> Option<jiff::Timestamp> {
    let utc = t.assume_utc();
    jiff::Timestamp::new(utc.unix_timestamp(), i32::try_from(utc.nanosecond()).ok()?).ok()
}

/// The stored business hours (the defaults when the stored ones no longer parse).
pub fn load(conn: &mut DbConn) -> Result<BusinessHours, Error> {
    let (zone, days, opens, closes, target, alert_overdue): (
        String,
        String,
        String,
        String,
        i32,
        bool,
    ) = business_hours::table
        .find(1_i64)
        .select((
            business_hours::time_zone,
            business_hours::days,
            business_hours::opens,
            business_hours::closes,
            business_hours::target_hours,
            business_hours::alert_overdue,
        ))
        .first(conn)?;
    let days: Vec<u8> = days
        .split(',')
        .filter_map(|d| d.trim().parse().ok())
        .collect();
    let target = target.to_string();
    Ok(BusinessHours::parse(&HoursInput {
        zone: &zone,
        days: &days,
        opens: &opens,
        closes: &closes,
        target_hours: &target,
        alert_overdue,
    })
    .unwrap_or_default())
}

/// Stores `hours`. Call inside a write transaction.
pub fn save(conn: &mut DbConn, hours: &BusinessHours) -> Result<(), Error> {
    let days: Vec<String> = (1..=7u8)
        .filter(|n| hours.days[usize::from(n - 1)])
        .map(|n| n.to_string())
        .collect();
    diesel::update(business_hours::table.find(1_i64))
        .set((
            business_hours::time_zone.eq(&hours.zone_name),
            business_hours::days.eq(days.join(",")),
            business_hours::opens.eq(hours.opens_text()),
            business_hours::closes.eq(hours.closes_text()),
            business_hours::target_hours.eq(hours.target_hours),
            business_hours::alert_overdue.eq(hours.alert_overdue),
        ))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn berlin() -> BusinessHours {
        BusinessHours::parse(&HoursInput {
            zone: "Europe/Berlin",
            days: &[1, 2, 3, 4, 5],
            opens: "09:00",
            closes: "17:00",
            target_hours: "4",
            alert_overdue: true,
        })
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn only_working_hours_count() {
        let hours = berlin();
        // Monday 2026-11-30, 08:00 UTC = 09:00 in Berlin (CET): two hours later, 2 h.
        assert_eq!(
            hours.between(datetime!(2026-11-30 08:00), datetime!(2026-11-30 10:00)),
            Duration::hours(2)
        );
        // Before opening and after closing count nothing.
        assert_eq!(
            hours.between(datetime!(2026-11-30 05:00), datetime!(2026-11-30 08:00)),
            Duration::ZERO
        );
        assert_eq!(
            hours.between(datetime!(2026-11-30 16:00), datetime!(2026-11-30 22:00)),
            Duration::ZERO
        );
        // Friday 16:00 Berlin (15:00 UTC) to Monday 10:00 Berlin (09:00 UTC): 1 h + 1 h.
        assert_eq!(
            hours.between(datetime!(2026-12-04 15:00), datetime!(2026-12-07 09:00)),
            Duration::hours(2)
        );
        // A whole working week: 5 × 8 h.
        assert_eq!(
            hours.between(datetime!(2026-11-30 00:00), datetime!(2026-12-07 00:00)),
            Duration::hours(40)
        );
        assert_eq!(
            hours.between(datetime!(2026-12-07 00:00), datetime!(2026-11-30 00:00)),
            Duration::ZERO
        );
    }

    #[test]
    fn summer_time_moves_the_hours_in_utc() {
        let hours = berlin();
        // Monday 2026-06-01: Berlin is UTC+2, so 07:00–15:00 UTC.
        assert_eq!(
            hours.between(datetime!(2026-06-01 06:00), datetime!(2026-06-01 08:00)),
            Duration::hours(1)
        );
    }

    #[test]
    fn bad_input_is_named() {
        let bad = |input: HoursInput<'_>| match BusinessHours::parse(&input) {
            Err(Error::Invalid(why)) => why,
            other => panic!("{other:?}"),
        };
        let good = HoursInput {
            zone: "UTC",
            days: &[1],
            opens: "09:00",
            closes: "17:00",
            target_hours: "8",
            alert_overdue: false,
        };
        assert!(
            bad(HoursInput {
                zone: "Mars/Olympus",
                ..good.clone()
            })
            .contains("time zone")
        );
        assert!(
            bad(HoursInput {
                days: &[],
                ..good.clone()
            })
            .contains("working day")
        );
        assert!(
            bad(HoursInput {
                days: &[8],
                ..good.clone()
            })
            .contains("days")
        );
        assert!(
            bad(HoursInput {
                opens: "9am",
                ..good.clone()
            })
            .contains("opening")
        );
        assert!(
            bad(HoursInput {
                closes: "08:00",
                ..good.clone()
            })
            .contains("close after")
        );
        assert!(
            bad(HoursInput {
                target_hours: "0",
                ..good.clone()
            })
            .contains("1 to 200")
        );
        assert!(BusinessHours::parse(&good).is_ok());
    }
}
