//! Stoa importers: a Stack Exchange data dump in ([`stackexchange`]), and larger benchmark
//! communities recombined from imported content ([`bench_data`]).
//!
//! Both write through the same tables as the forum itself, and imported bodies go through the
//! same Markdown renderer and sanitizer as any post.

pub mod bench_data;
mod convert;
mod dump;
mod map;
pub mod stackexchange;
mod tally;

use std::path::PathBuf;

pub use tally::{Summary, Tally};

/// Why an import stopped. Everything committed before it stays consistent, and running the
/// import again continues where it stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file} is missing from {}: a Stack Exchange dump folder has {expected}", dir.display())]
    MissingFile {
        file: &'static str,
        dir: PathBuf,
        expected: String,
    },
    #[error("{}, line {line}: malformed XML: {message}", file.display())]
    Malformed {
        file: PathBuf,
        line: u64,
        message: String,
    },
    #[error("cannot read {}: {source}", file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] stoa_db::Error),
    #[error(transparent)]
    Threads(#[from] stoa_threads::Error),
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        Error::Db(e.into())
    }
}

/// After a bulk load: merges the search index's segments and refreshes the planner's
/// statistics, as one write like any other.
fn tidy_after_load(conn: &mut stoa_db::DbConn) -> Result<(), Error> {
    stoa_db::dialect::write_transaction(conn, |conn| {
        stoa_search::database::compact(conn)?;
        stoa_db::dialect::refresh_statistics(conn)?;
        Ok(())
    })
}
