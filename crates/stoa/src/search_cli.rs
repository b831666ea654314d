//! `stoa search …`: rebuild the index, report its state, measure its quality.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use stoa_db::{Db, dialect};
use stoa_search::eval::{self, Path as SearchPath};
use stoa_search::{DatabaseIndex, SearchIndex, database, sync};

/// Threads rewritten per transaction during a reindex.
const REINDEX_BATCH: i64 = 500;

/// A progress bar on a terminal, nothing elsewhere.
fn progress(len: u64, message: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg:12} [{bar:40}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(message);
    bar
}

pub async fn reindex(db: &Db) -> anyhow::Result<()> {
    let started = Instant::now();
    let before = db
        .run(|conn| sync::status(conn).map_err(stoa_db::Error::from))
        .await?;
    let bar = progress(u64::try_from(before.threads).unwrap_or_default(), "threads");
    let mut after = 0;
    loop {
        let done = db
            .run(move |conn| {
                dialect::write_transaction(conn, |conn| {
                    database::rebuild_batch(conn, after, REINDEX_BATCH)
                })
                .map_err(stoa_db::Error::from)
            })
            .await?;
        let Some(last) = done else { break };
        after = last;
        bar.inc(REINDEX_BATCH.unsigned_abs());
    }
    db.run(|conn| {
        dialect::write_transaction(conn, database::rebuild_finish).map_err(stoa_db::Error::from)
    })
    .await?;
    bar.finish_and_clear();
    let status = db
        .run(|conn| sync::status(conn).map_err(stoa_db::Error::from))
        .await?;
    println!(
        "Search index rebuilt: {} threads in {:.1} s",
        status.documents,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub async fn status(db: &Db) -> anyhow::Result<()> {
    let index = DatabaseIndex::new(db.clone());
    let status = db
        .run(|conn| sync::status(conn).map_err(stoa_db::Error::from))
        .await?;
    println!("backend:        {}", index.name());
    println!(
        "documents:      {} (of {} visible threads)",
        status.documents, status.threads
    );
    println!(
        "external:       {}",
        status.external_engine.as_deref().unwrap_or("none")
    );
    let oldest = status.oldest_pending.map_or_else(
        || "-".to_owned(),
        |at| {
            let age = stoa_db::time::now() - at;
            format!("{} s", age.whole_seconds())
        },
    );
    println!("pending jobs:   {}", status.pending_jobs);
    println!("oldest pending: {oldest}");
    Ok(())
}

pub async fn eval(dir: &Path, database_url: Option<&str>) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir()?;
    let url = database_url.map_or_else(
        || {
            scratch
                .path()
                .join("eval.db")
                .to_string_lossy()
                .into_owned()
        },
        str::to_owned,
    );
    let db = Db::connect(&url, 4).context("opening the evaluation database")?;
    db.migrate().await?;
    let mut options = stoa_import::stackexchange::Options::new(dir, None)?;
    options.progress = std::io::stderr().is_terminal();
    let site = options.site.clone();
    let summary = db
        .run(move |conn| stoa_import::stackexchange::import(conn, &options))
        .await
        .with_context(|| format!("importing {site}"))?;
    eprintln!("Imported {site}: {summary}");
    let pairs = db
        .run(|conn| eval::duplicate_pairs(conn).map_err(stoa_db::Error::from))
        .await?;
    let index = DatabaseIndex::new(db.clone());
    println!("site:    {site}");
    println!("backend: {}", index.name());
    println!("pairs:   {} duplicates with their original", pairs.len());
    for (name, path) in [
        ("search page", SearchPath::SearchPage),
        ("similar questions", SearchPath::Similar),
    ] {
        let started = Instant::now();
        let q = eval::measure(&index, &pairs, path).await?;
        let per_query = started.elapsed().as_secs_f64() * 1000.0 / pairs.len().max(1) as f64;
        println!(
            "{name:18} recall@1 {:.3}  recall@10 {:.3}  MRR {:.3}  ({per_query:.2} ms per search)",
            q.recall_at_1, q.recall_at_10, q.mrr
        );
    }
    Ok(())
}
