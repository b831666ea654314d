//! What an import did, kind by kind: rows written, rows found from an earlier run, rows
//! skipped and why.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// The outcome for one kind of row (users, questions, …).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Written by this run.
    pub imported: u64,
    /// Already there from an earlier run: left unchanged.
    pub present: u64,
    /// Not imported, counted by reason.
    pub skipped: BTreeMap<&'static str, u64>,
    /// The time its stage took (reading, converting and writing).
    pub elapsed: Duration,
}

impl Tally {
    pub(crate) fn skip(&mut self, reason: &'static str) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    /// Rows skipped for any reason.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// The whole import: a tally per kind, in the order they were read, and the time it took.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub kinds: Vec<(&'static str, Tally)>,
    /// Rows read from every file.
    pub rows_read: u64,
    pub elapsed: Duration,
}

impl Summary {
    /// Rows read per second of the whole run.
    pub fn rows_per_second(&self) -> f64 {
        self.rows_read as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} rows read in {:.2} s ({:.0} rows/s)",
            self.rows_read,
            self.elapsed.as_secs_f64(),
            self.rows_per_second()
        )?;
        for (kind, tally) in &self.kinds {
            let secs = tally.elapsed.as_secs_f64();
            writeln!(
                f,
                "  {kind:<16} {:>8} imported {:>8} already there {:>8} skipped {secs:>7.2} s {:>8.0}/s",
                tally.imported,
                tally.present,
                tally.skipped_total(),
                tally.imported as f64 / secs.max(1e-9)
            )?;
            for (reason, count) in &tally.skipped {
                writeln!(f, "  {:<16} {count:>8} skipped: {reason}", "")?;
            }
        }
        Ok(())
    }
}
