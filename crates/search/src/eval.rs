//! Measuring search quality on a community with known answers: for every question closed as
//! a duplicate, does searching its title find the original?

use diesel::prelude::*;
use stoa_db::schema::threads;
use stoa_db::{DbConn, ThreadId};

use crate::{Query, SearchIndex, SearchRequest};

/// How many results count as "found".
pub const DEPTH: u32 = 10;

/// A question closed as a duplicate, and its original.
#[derive(Debug, Clone)]
pub struct DuplicatePair {
    pub duplicate: ThreadId,
    pub title: String,
    pub original: ThreadId,
}

/// Every duplicate whose original is in the community (and neither is deleted).
pub fn duplicate_pairs(conn: &mut DbConn) -> QueryResult<Vec<DuplicatePair>> {
    let originals = diesel::alias!(threads as originals);
    let rows: Vec<(ThreadId, String, ThreadId)> = threads::table
        .inner_join(
            originals.on(threads::duplicate_of
                .eq(originals.field(threads::id).nullable())
                .and(originals.field(threads::deleted_at).is_null())),
        )
        .filter(threads::deleted_at.is_null())
        .select((threads::id, threads::title, originals.field(threads::id)))
        .order(threads::id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(duplicate, title, original)| DuplicatePair {
            duplicate,
            title,
            original,
        })
        .collect())
}

/// Recall at 1 and at [`DEPTH`], and mean reciprocal rank (0 when not in the first
/// [`DEPTH`]), over `pairs` questions.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Quality {
    pub pairs: usize,
    pub recall_at_1: f64,
    pub recall_at_10: f64,
    pub mrr: f64,
}

impl Quality {
    /// From the 1-based rank of the original for each pair (`None`: not found).
    pub fn from_ranks(ranks: &[Option<usize>]) -> Quality {
        let n = ranks.len().max(1) as f64;
        let within = |k: usize| ranks.iter().filter(|r| r.is_some_and(|r| r <= k)).count() as f64;
        Quality {
            pairs: ranks.len(),
            recall_at_1: within(1) / n,
            recall_at_10: within(DEPTH as usize) / n,
            mrr: ranks.iter().flatten().map(|&r| 1.0 / r as f64).sum::<f64>() / n,
        }
    }
}

/// The two ways a reader meets existing questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// The search page: the title typed into the search box.
    SearchPage,
    /// "Similar questions" on the ask form, from the title.
    Similar,
}

/// Searches each duplicate's title (leaving the duplicate itself out) along `path` and
/// measures where its original ranks.
pub async fn measure(
    index: &dyn SearchIndex,
    pairs: &[DuplicatePair],
    path: Path,
) -> Result<Quality, crate::Error> {
    let mut ranks = Vec::with_capacity(pairs.len());
    for pair in pairs {
        let request = match path {
            Path::SearchPage => Query::parse(&pair.title).ok().map(|q| SearchRequest {
                exclude: Some(pair.duplicate),
                ..SearchRequest::new(q, DEPTH)
            }),
            Path::Similar => Query::from_title(&pair.title).ok().map(|mut q| {
                q.prefix_last = false;
                SearchRequest::similar(q, DEPTH, Some(pair.duplicate))
            }),
        };
        let rank = match request {
            Some(request) => index
                .search(&request)
                .await?
                .hits
                .iter()
                .position(|h| h.thread_id == pair.original)
                .map(|i| i + 1),
            None => None,
        };
        ranks.push(rank);
    }
    Ok(Quality::from_ranks(&ranks))
}

#[cfg(test)]
mod tests {
    use super::Quality;

    #[test]
    fn quality_from_ranks() {
        let q = Quality::from_ranks(&[Some(1), Some(2), None, Some(10)]);
        assert_eq!(q.pairs, 4);
        assert!((q.recall_at_1 - 0.25).abs() < 1e-9);
        assert!((q.recall_at_10 - 0.75).abs() < 1e-9);
        assert!((q.mrr - (1.0 + 0.5 + 0.1) / 4.0).abs() < 1e-9);
    }
}
