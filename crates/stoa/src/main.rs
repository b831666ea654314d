//! The `stoa` binary: parses the command line, loads settings and calls into the crates.

use std::io::{BufRead, IsTerminal};
use std::net::TcpListener;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use stoa_accounts::mail::Mailer;
use stoa_accounts::users::{self, NewAccount};
use stoa_accounts::{DisplayName, Email, Password, TokenPurpose, Username, password, tokens};
use stoa_db::{Db, dialect};
use stoa_moderation::limits;
use stoa_web::{AppState, Settings};

mod search_cli;

/// Stoa: a customer-community Q&A forum.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Settings file (optional; environment variables override it).
    #[arg(long, global = true, default_value = "stoa.toml", env = "STOA_CONFIG")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the forum.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Administration tasks.
    Admin {
        #[command(subcommand)]
        task: AdminTask,
    },
    /// Bring a community's content in from elsewhere. Safe to run again: what is there
    /// already is left alone, and an interrupted import is completed.
    Import {
        #[command(subcommand)]
        source: ImportSource,
    },
    /// The search index: rebuild it, see its state, measure its quality.
    Search {
        #[command(subcommand)]
        task: SearchTask,
    },
    /// Add generated threads, recombined from imported content, until the community has
    /// `--posts` more posts (for benchmarks; run after an import).
    BenchData {
        /// How many posts (questions, answers) to add.
        #[arg(long)]
        posts: u64,
        /// The same seed on the same imported content builds the same community.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum ImportSource {
    /// A Stack Exchange data dump folder (Users.xml, Posts.xml, Comments.xml, Tags.xml,
    /// PostLinks.xml, Votes.xml), as extracted from the site's archive.
    Stackexchange {
        dir: PathBuf,
        /// The site's host, for links to the originals (default: the folder's name, as the
        /// archives are named, e.g. beer.stackexchange.com).
        #[arg(long)]
        site: Option<String>,
        /// The site's name, shown in each post's attribution (default: the host).
        #[arg(long)]
        site_name: Option<String>,
        /// The category to import questions into, created if missing (default: the host).
        #[arg(long)]
        category: Option<String>,
        /// Rows written per transaction.
        #[arg(long, default_value_t = 500)]
        batch_size: usize,
    },
}

#[derive(Subcommand)]
enum SearchTask {
    /// Rebuild the search index from the database (searches keep working meanwhile), and
    /// Meilisearch's too when MEILI_URL is set (without it, Meilisearch is no longer fed).
    Reindex,
    /// Show the search backend, how many threads it holds and the jobs waiting for it.
    Status,
    /// Import a Stack Exchange dump into a fresh database and measure, for every question
    /// closed as a duplicate, whether searching its title finds the original (recall@1,
    /// recall@10, MRR), on the search page and in "similar questions".
    Eval {
        dir: PathBuf,
        /// The site's host (default: the folder's name, e.g. beer.stackexchange.com).
        #[arg(long)]
        site: Option<String>,
        /// An empty database to import into (default: a temporary SQLite file).
        #[arg(long)]
        database_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum AdminTask {
    /// Create an owner account. The password is read from a prompt, or from standard input
    /// when it is not a terminal (never from the command line).
    CreateOwner {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(&cli.config)?;
    init_logging(&settings);
    if matches!(cli.command, Command::Serve) {
        with_two_malloc_arenas();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve => serve(settings).await,
            Command::Migrate => migrate(&settings).await.map(|_| ()),
            Command::Admin {
                task: AdminTask::CreateOwner { username, email },
            } => create_owner(&settings, &username, &email).await,
            Command::Import {
                source:
                    ImportSource::Stackexchange {
                        dir,
                        site,
                        site_name,
                        category,
                        batch_size,
                    },
            } => {
                let mut options = stoa_import::stackexchange::Options::new(&dir, site.as_deref())?;
                if let Some(name) = site_name {
                    options.site_name = name;
                }
                if let Some(category) = category {
                    options.category = category;
                }
                options.batch_size = batch_size.max(1);
                options.progress = std::io::stderr().is_terminal();
                import_stackexchange(&settings, options).await
            }
            Command::BenchData { posts, seed } => bench_data(&settings, posts, seed).await,
            Command::Search { task } => match task {
                SearchTask::Reindex => {
                    search_cli::reindex(&migrate(&settings).await?, &settings).await
                }
                SearchTask::Status => {
                    search_cli::status(&migrate(&settings).await?, &settings).await
                }
                SearchTask::Eval {
                    dir,
                    site,
                    database_url,
                } => search_cli::eval(&dir, site.as_deref(), database_url.as_deref()).await,
            },
        }
    })
}

fn init_logging(settings: &Settings) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false);
    if settings.log_format == "json" {
        builder.json().init()
    } else {
        builder.init()
    }
}

pub(crate) async fn migrate(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database_url, settings.db_pool_size)
        .with_context(|| format!("opening the database {}", redacted(&settings.database_url)))?;
    let applied = db.migrate().await?;
    tracing::info!(migrations.applied = applied.len(), db.backend = ?db.backend(), "database is up to date");
    Ok(db)
}

/// A database URL without its password, for logs.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// glibc gives threads that allocate at the same time arenas of their own (up to eight per
/// core), and pages rendered on one thread and freed on another leave memory behind in each:
/// while content changed, the server's peak RSS at 1M posts reached 147 MB. With two arenas
/// it stays a third lower (86 → 55 MB on the dump, under the same load, at the same speed).
/// glibc reads `MALLOC_ARENA_MAX` when a process starts, so `serve` starts itself again with
/// it, unless it is set already (then that value holds).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn with_two_malloc_arenas() {
    use std::os::unix::process::CommandExt;
    const ARENAS: &str = "MALLOC_ARENA_MAX";
    if std::env::var_os(ARENAS).is_some() {
        return;
    }
    let Ok(binary) = std::env::current_exe() else {
        return;
    };
    // `exec` replaces this process (same pid), and returns only if it could not.
    let error = std::process::Command::new(binary)
        .args(std::env::args_os().skip(1))
        .env(ARENAS, "2")
        .exec();
    tracing::warn!(error = %error, "could not start again with {ARENAS}=2; serving without it");
}

/// Other allocators than glibc's keep their own arrangement.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn with_two_malloc_arenas() {}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let db = migrate(&settings).await?;
    let mailer = if settings.smtp_url.is_empty() {
        Mailer::to_files(settings.mail_dir(), &settings.mail_from)?
    } else {
        Mailer::smtp(&settings.smtp_url, &settings.mail_from)?
    };
    announce_owner_setup(&db, &settings).await?;
    tokio::spawn(hourly_upkeep(db.clone()));
    tokio::spawn(search_upkeep(db.clone()));
    let meili = search_cli::meilisearch(&db, &settings)?;
    let listener = TcpListener::bind(&settings.bind)
        .with_context(|| format!("listening on {}", settings.bind))?;
    tracing::info!(http.address = %settings.bind, http.base_url = %settings.base_url, "Stoa is serving");
    let mut state = AppState::new(db.clone(), settings, mailer).with_mail_worker();
    if let Some(meili) = meili {
        search_cli::feed_forever(db, meili.clone()).await?;
        state = state.with_search_index(std::sync::Arc::new(meili));
    }
    stoa_web::server(state.shared(), listener)?.await?;
    Ok(())
}

/// At start and hourly: lets the database refresh its planner statistics, and drops the
/// counters of rate-limit windows that ended long ago (none lasts longer than a day).
async fn hourly_upkeep(db: Db) {
    let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        if let Err(e) = db
            .write(|conn| dialect::optimize(conn).map_err(stoa_db::Error::from))
            .await
        {
            tracing::warn!(error = %e, "refreshing the planner statistics failed");
        }
        let before = stoa_db::time::now() - time::Duration::days(1);
        let purged = db
            .write(move |conn| limits::purge(conn, before).map_err(stoa_db::Error::from))
            .await;
        match purged {
            Ok(rows) => {
                tracing::debug!(rate_limits.purged = rows, "old rate-limit counters purged")
            }
            Err(e) => tracing::warn!(error = %e, "purging rate-limit counters failed"),
        }
    }
}

/// Every minute: merges what the writes of the last minute added to the full-text index, in
/// small steps (each its own short write transaction), so that searches keep reading few
/// segments. A step with nothing to merge costs a read of the index's structure.
async fn search_upkeep(db: Db) {
    /// Steps per minute, at most (a minute of a busy forum's writes needs a few).
    const STEPS: usize = 100;
    let mut every_minute = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        every_minute.tick().await;
        for _ in 0..STEPS {
            let merged = db
                .write(|conn| stoa_search::database::tidy_step(conn).map_err(stoa_db::Error::from))
                .await;
            match merged {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "merging the full-text index failed");
                    break;
                }
            }
        }
    }
}

/// With no owner yet, logs a one-time link that creates one in the browser.
async fn announce_owner_setup(db: &Db, settings: &Settings) -> anyhow::Result<()> {
    let token = db
        .run(|conn| {
            if users::owner_exists(conn)? {
                return Ok(None);
            }
            dialect::write_transaction(conn, |conn| {
                tokens::issue(conn, TokenPurpose::OwnerSetup, None, None)
            })
            .map(Some)
        })
        .await?;
    if let Some(token) = token {
        tracing::warn!(
            "no owner account yet: open {}/setup/{} to create it (the link works once)",
            settings.base_url,
            token.expose()
        );
    }
    Ok(())
}

async fn create_owner(settings: &Settings, username: &str, email: &str) -> anyhow::Result<()> {
    let username = Username::parse(username)?;
    let display_name = DisplayName::parse(username.as_str())?;
    let email = Email::parse(email)?;
    let secret = read_password()?;
    let password = Password::parse_new(&secret, &[username.as_str(), email.as_str()])?;
    let hash = password::hash(&password)?;
    let db = migrate(settings).await?;
    let user = db
        .write(move |conn| {
            let account = NewAccount::owner(&username, &display_name, &email, &hash);
            // The operator typed the address at the shell: no confirmation mail.
            let (user, _unsent_link) = users::register(conn, &account)?;
            users::mark_email_verified(conn, user.id, email.as_str())?;
            Ok::<_, stoa_accounts::Error>(user)
        })
        .await?;
    println!(
        "Owner account @{} created. Log in at {}/login",
        user.username, settings.base_url
    );
    Ok(())
}

async fn import_stackexchange(
    settings: &Settings,
    options: stoa_import::stackexchange::Options,
) -> anyhow::Result<()> {
    let db = migrate(settings).await?;
    let site = options.site.clone();
    let summary = db
        .run(move |conn| stoa_import::stackexchange::import(conn, &options))
        .await
        .with_context(|| format!("importing {site}"))?;
    println!("Imported {site}: {summary}");
    Ok(())
}

async fn bench_data(settings: &Settings, posts: u64, seed: u64) -> anyhow::Result<()> {
    let db = migrate(settings).await?;
    let built = db
        .run(move |conn| stoa_import::bench_data::build(conn, posts, seed))
        .await
        .context("building benchmark data")?;
    println!("{built}");
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat it: ")?;
        if first != second {
            bail!("the two passwords differ");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}
