//! `stoa search …`: rebuild the index, report its state, measure its quality.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use stoa_db::schema::threads;
use stoa_db::{Db, ThreadId};
use stoa_search::eval::{self, Path as SearchPath};
use stoa_search::meili::MeiliIndex;
use stoa_search::outbox::{self, DocumentSink};
use stoa_search::{DatabaseIndex, SearchIndex, database, sync};
use stoa_web::Settings;

/// The name the outbox knows Meilisearch by.
const MEILISEARCH: &str = "meilisearch";
/// How often an idle worker looks for new jobs.
const FEED_IDLE: std::time::Duration = std::time::Duration::from_secs(1);

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

/// The Meilisearch backend when `MEILI_URL` is set.
pub fn meilisearch(db: &Db, settings: &Settings) -> anyhow::Result<Option<MeiliIndex>> {
    if settings.meili_url.is_empty() {
        return Ok(None);
    }
    let index = MeiliIndex::new(
        db.clone(),
        &settings.meili_url,
        &settings.meili_api_key,
        &settings.meili_index,
    )
    .context("MEILI_URL")?;
    Ok(Some(index))
}

/// Marks Meilisearch as fed (the first time, every thread is queued for it) and starts the
/// worker that sends it the outbox's jobs, once it has configured the index (retrying while
/// Meilisearch is unreachable; searches use the database meanwhile).
pub async fn feed_forever(db: Db, meili: MeiliIndex) -> anyhow::Result<()> {
    let queued = db
        .run(|conn| outbox::attach(conn, MEILISEARCH).map_err(stoa_db::Error::from))
        .await?;
    if queued > 0 {
        tracing::info!(
            search.queued = queued,
            "Meilisearch is new here: every thread is queued for it"
        );
    }
    tokio::spawn(async move {
        while let Err(e) = meili.configure().await {
            tracing::warn!(error = %e, "cannot configure the Meilisearch index yet; retrying in 10 s");
            tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        }
        tracing::info!("Meilisearch index ready; sending it the changes");
        outbox::run_forever(db, std::sync::Arc::new(meili), FEED_IDLE).await;
    });
    Ok(())
}

/// Sends every thread's document (or its removal) to Meilisearch, in batches.
async fn reindex_meilisearch(db: &Db, meili: &MeiliIndex) -> anyhow::Result<()> {
    use stoa_db::diesel::prelude::*;
    meili.configure().await?;
    db.run(|conn| outbox::attach(conn, MEILISEARCH).map_err(stoa_db::Error::from))
        .await?;
    let ids: Vec<ThreadId> = db
        .run(|conn| {
            threads::table
                .select(threads::id)
                .order(threads::id)
                .load(conn)
                .map_err(stoa_db::Error::from)
        })
        .await?;
    let bar = progress(ids.len() as u64, "Meilisearch");
    for batch in ids.chunks(outbox::THREADS_PER_ROUND * 5) {
        let batch = batch.to_vec();
        let (upserts, deletes) = db
            .run(move |conn| outbox::documents(conn, &batch).map_err(stoa_db::Error::from))
            .await?;
        meili.apply(&upserts, &deletes).await?;
        bar.inc((upserts.len() + deletes.len()) as u64);
    }
    bar.finish_and_clear();
    println!("Meilisearch: {} documents", meili.documents().await?);
    Ok(())
}

pub async fn reindex(db: &Db, settings: &Settings) -> anyhow::Result<()> {
    let started = Instant::now();
    let before = db
        .run(|conn| sync::status(conn).map_err(stoa_db::Error::from))
        .await?;
    let bar = progress(u64::try_from(before.threads).unwrap_or_default(), "threads");
    let mut after = 0;
    loop {
        let done = db
            .write(move |conn| {
                database::rebuild_batch(conn, after, REINDEX_BATCH).map_err(stoa_db::Error::from)
            })
            .await?;
        let Some(last) = done else { break };
        after = last;
        bar.inc(REINDEX_BATCH.unsigned_abs());
    }
    db.write(|conn| database::rebuild_finish(conn).map_err(stoa_db::Error::from))
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
    match meilisearch(db, settings)? {
        Some(meili) => reindex_meilisearch(db, &meili).await?,
        None if status.external_engine.is_some() => {
            db.run(|conn| outbox::detach(conn).map_err(stoa_db::Error::from))
                .await?;
            println!(
                "MEILI_URL is not set: Meilisearch is no longer fed; searches use the database"
            );
        }
        None => {}
    }
    Ok(())
}

pub async fn status(db: &Db, settings: &Settings) -> anyhow::Result<()> {
    let status = db
        .run(|conn| sync::status(conn).map_err(stoa_db::Error::from))
        .await?;
    let meili = meilisearch(db, settings)?;
    let backend = match &meili {
        Some(meili) => meili.name(),
        None => DatabaseIndex::new(db.clone()).name(),
    };
    println!("backend:        {backend}");
    println!(
        "documents:      {} in the database index (of {} visible threads)",
        status.documents, status.threads
    );
    if let Some(meili) = &meili {
        match meili.documents().await {
            Ok(n) => println!("                {n} in Meilisearch"),
            Err(e) => println!("                Meilisearch unreachable: {e}"),
        }
    }
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

pub async fn eval(
    dir: &Path,
    site: Option<&str>,
    database_url: Option<&str>,
) -> anyhow::Result<()> {
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
    let mut options = stoa_import::stackexchange::Options::new(dir, site)?;
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
