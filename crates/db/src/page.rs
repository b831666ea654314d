//! Keyset pagination: a page ends at a `(time, id)` position and the next starts after it,
//! so page 500 costs the same as page 1 (no `OFFSET`).

use time::PrimitiveDateTime;

use crate::time::{from_unix_micros, to_unix_micros};

/// A position in a list ordered by `(time, id)`. Written in URLs as `micros_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: PrimitiveDateTime,
    pub id: i64,
}

impl Cursor {
    /// The URL form.
    pub fn encode(&self) -> String {
        format!("{}_{}", to_unix_micros(self.at), self.id)
    }

    /// Reads the URL form; anything malformed is `None` (the list then starts at the top).
    /// Times outside 1970–9999 are refused too: PostgreSQL cannot compare with dates before
    /// 4713 BC, and no post is dated outside that range.
    pub fn parse(s: &str) -> Option<Cursor> {
        let (micros, id) = s.split_once('_')?;
        let at = from_unix_micros(micros.parse().ok()?)?;
        if !(1970..=9999).contains(&at.year()) {
            return None;
        }
        Some(Cursor {
            at,
            id: id.parse().ok()?,
        })
    }
}

/// One page of a list, and where the next one starts.
#[derive(Debug, Clone)]
pub struct Page<T, C = Cursor> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

impl<T, C> Page<T, C> {
    /// Builds a page from up to `limit + 1` rows: the extra row only says another page exists.
    pub fn from_rows(mut rows: Vec<T>, limit: usize, position: impl Fn(&T) -> C) -> Page<T, C> {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more {
            rows.last().map(&position)
        } else {
            None
        };
        Page { items: rows, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor {
            at: crate::time::now(),
            id: 42,
        };
        assert_eq!(Cursor::parse(&c.encode()), Some(c));
        for bad in [
            "",
            "x_1",
            "1_x",
            "12",
            "99999999999999999999_1",
            "-300000000000000000_1",
        ] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_page_knows_whether_more_follow() {
        let at = crate::time::now();
        let page = Page::from_rows(vec![1, 2, 3], 2, |i| Cursor { at, id: *i });
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next.map(|c| c.id), Some(2));
        assert!(
            Page::from_rows(vec![1, 2], 2, |i| Cursor { at, id: *i })
                .next
                .is_none()
        );
    }
}
