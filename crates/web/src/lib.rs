//! Stoa's web front: actix-web routes, extractors, askama pages, static files and security
//! headers. Handlers are thin: extract, ask the policy, run the domain call, render.

mod account;
mod accounts;
mod admin;
mod api;
mod assets;
mod avatar;
mod community;
mod edits;
mod error;
mod health;
mod home;
pub mod insights;
mod layout;
mod limits;
mod logging;
pub mod mail;
mod member_pages;
mod memo;
mod moderation;
mod notifications;
pub mod page_cache;
mod profiles;
pub mod search;
mod session;
pub mod settings;
mod staff;
mod team;
mod threads;
pub mod view_counts;
mod votes;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, Service};
use actix_web::http::Method;
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{App, HttpRequest, HttpServer, web};
use stoa_accounts::mail::Mailer;
use stoa_db::Db;
use tokio::sync::Semaphore;

pub use error::{ApiError, AppError};
pub use settings::Settings;

/// What every handler can reach.
#[derive(Debug)]
pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub mailer: Mailer,
    /// argon2 takes 19 MiB and tens of milliseconds per hash: at most this many at once.
    hash_permits: Arc<Semaphore>,
    /// Readers per thread, counted in memory and saved in batches.
    pub views: Arc<view_counts::ViewCounter>,
    /// Guests' pages, kept until content changes.
    pub pages: Arc<page_cache::PageCache>,
    /// Where searches go: the database, or Meilisearch.
    pub search: Arc<dyn stoa_search::SearchIndex>,
    pub search_limits: search::SearchLimits,
    /// Live sessions by cookie, until anything is written (see `session`).
    sessions: memo::Memo<String, Arc<session::LiveSession>>,
    /// Members' thread pages by shape, and members' own state per thread, until content
    /// changes (see `member_pages`).
    member_pages: memo::Memo<String, Arc<member_pages::SharedPage>>,
    member_states: memo::Memo<(stoa_db::UserId, stoa_db::ThreadId), member_pages::MemberState>,
    /// Whether members watch the tags and categories whose lists they read, until content
    /// changes.
    watches: memo::Memo<(stoa_db::UserId, stoa_notify::watching::Target), bool>,
    /// Related questions per thread, until a question is asked (see `search`).
    related: Arc<search::RelatedQuestions>,
    /// Question lists as members see them but for their own parts, until content changes
    /// (see `home`).
    lists: memo::Memo<String, Arc<home::Listed>>,
    /// Members' lists by shape, rendered and filled in per member, until content changes
    /// (apart from `member_pages`: any cursor makes a list, and lists must not push thread
    /// pages out).
    member_lists: memo::Memo<String, Arc<member_pages::SharedPage>>,
    /// The installation's secret key, read from the database on first use.
    server_key: tokio::sync::OnceCell<Vec<u8>>,
    /// The signed "form shown at" token of the current second, which every form shown in
    /// that second carries (see [`AppState::shown_token`]).
    shown_token: std::sync::RwLock<(i64, Arc<str>)>,
    /// The server sends notification mail in the background (see `mail::deliver_forever`).
    mail_worker: bool,
    /// How long the team usually takes to answer, and when it was worked out (see
    /// `insights::typical_reply`).
    typical_reply: std::sync::RwLock<Option<(std::time::Instant, Option<String>)>>,
    /// The community's settings and when they were read.
    community: std::sync::RwLock<
        Option<(
            std::time::Instant,
            Arc<stoa_moderation::community::Community>,
        )>,
    >,
}

impl AppState {
    pub fn new(db: Db, settings: Settings, mailer: Mailer) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let pages = Arc::new(page_cache::PageCache::default());
        let search = Arc::new(stoa_search::DatabaseIndex::new(db.clone()));
        AppState {
            search,
            search_limits: search::SearchLimits::default(),
            related: Arc::new(search::RelatedQuestions::new(search::RELATED_KEPT)),
            lists: memo::Memo::new(home::LISTS_KEPT),
            member_lists: memo::Memo::new(home::LISTS_KEPT),
            sessions: memo::Memo::new(session::SESSIONS_KEPT),
            member_pages: memo::Memo::new(member_pages::PAGES_KEPT),
            member_states: memo::Memo::new(member_pages::STATES_KEPT),
            watches: memo::Memo::new(member_pages::STATES_KEPT),
            server_key: tokio::sync::OnceCell::new(),
            shown_token: std::sync::RwLock::new((i64::MIN, Arc::from(""))),
            mail_worker: false,
            typical_reply: std::sync::RwLock::new(None),
            community: std::sync::RwLock::new(None),
            db,
            settings,
            mailer,
            hash_permits: Arc::new(Semaphore::new(cores * 2)),
            views: Arc::new(view_counts::ViewCounter::new(Arc::clone(&pages))),
            pages,
        }
    }

    /// Searches go to `index` (Meilisearch) instead of the database.
    pub fn with_search_index(mut self, index: Arc<dyn stoa_search::SearchIndex>) -> Self {
        self.search = index;
        self
    }

    /// The state as the server shares it between its workers (and a test with the server).
    pub fn shared(self) -> web::Data<AppState> {
        web::Data::new(self)
    }

    /// The server will send notification mail in the background, as `stoa serve` does (tests
    /// send it themselves with `mail::deliver_due`, at the time they choose).
    pub fn with_mail_worker(mut self) -> Self {
        self.mail_worker = true;
        self
    }

    /// The installation's secret key (see `stoa_moderation::secrets`).
    pub async fn server_key(&self) -> Result<&[u8], AppError> {
        let key = self
            .server_key
            .get_or_try_init(|| {
                self.db.write(|conn| {
                    stoa_moderation::secrets::server_key(conn).map_err(AppError::from)
                })
            })
            .await?;
        Ok(key)
    }

    /// The token a form shown now carries to say when it was shown
    /// (`stoa_moderation::signup::shown_token`). It names the second only, so it is signed
    /// once a second, not once per page.
    pub async fn shown_token(&self) -> Result<Arc<str>, AppError> {
        let now = time::OffsetDateTime::now_utc();
        let second = now.unix_timestamp();
        if let Ok(kept) = self.shown_token.read()
            && kept.0 == second
        {
            return Ok(Arc::clone(&kept.1));
        }
        let key = self.server_key().await?;
        let token: Arc<str> = stoa_moderation::signup::shown_token(key, now).into();
        if let Ok(mut kept) = self.shown_token.write() {
            *kept = (second, Arc::clone(&token));
        }
        Ok(token)
    }

    /// The community's settings, read from the database at most every
    /// [`COMMUNITY_SETTINGS_TTL`] (every request asks, through the login gate); this node
    /// reads them again at once after the owner saves, other nodes within that time.
    pub async fn community(&self) -> Result<Arc<stoa_moderation::community::Community>, AppError> {
        if let Ok(cached) = self.community.read()
            && let Some((read_at, community)) = cached.as_ref()
            && read_at.elapsed() < COMMUNITY_SETTINGS_TTL
        {
            return Ok(Arc::clone(community));
        }
        let community = Arc::new(
            self.db
                .run(|conn| stoa_moderation::community::load(conn).map_err(AppError::from))
                .await?,
        );
        if let Ok(mut cached) = self.community.write() {
            *cached = Some((std::time::Instant::now(), Arc::clone(&community)));
        }
        Ok(community)
    }

    /// Forgets the cached community settings (the owner just changed them).
    pub fn forget_community(&self) {
        if let Ok(mut cached) = self.community.write() {
            *cached = None;
        }
    }

    /// The community's name: the owner's, or the configured one. Read from the settings
    /// last loaded (the login gate loads them before every request).
    pub fn community_name(&self) -> String {
        self.community
            .read()
            .ok()
            .and_then(|cached| cached.as_ref().map(|(_, c)| c.name.clone()))
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| self.settings.community_name.clone())
    }

    /// Runs CPU-heavy work (password hashing) on the blocking pool, a bounded number at once.
    pub async fn cpu<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self
            .hash_permits
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        web::block(f)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))
    }
}

/// How long a node keeps the community settings before reading them again.
const COMMUNITY_SETTINGS_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// How often counted views are written to the database.
const VIEW_FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Largest form accepted (a 30,000-character post, URL-encoded, fits with room to spare).
const FORM_LIMIT: usize = 512 * 1024;

/// Security headers on every response. The Content-Security-Policy allows no inline script
/// and no framing; nothing loads from another site (posts show images as links, see
/// `stoa_threads::markdown`), so a reader's browser talks to this server only.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
}

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::FormConfig::default()
            .limit(FORM_LIMIT)
            .error_handler(error::form_error),
    )
    .app_data(web::PayloadConfig::default().limit(FORM_LIMIT))
    .app_data(web::PathConfig::default().error_handler(error::path_error))
    .app_data(web::QueryConfig::default().error_handler(error::query_error))
    // Routes are tried in order, and each pattern with a `{parameter}` is a regular
    // expression run on the path: the thread page came after twenty of them, a fifth of
    // the CPU of serving it from memory. It comes first; the POST routes under `/q/{id}/`
    // are still reached, as this one only answers GET.
    .configure(threads::page_route)
    .configure(health::routes)
    .configure(assets::routes)
    .configure(home::routes)
    .configure(accounts::routes)
    .configure(account::routes)
    .configure(notifications::routes)
    .configure(team::routes)
    .configure(mail::routes)
    .configure(staff::routes)
    .configure(insights::routes)
    .configure(threads::routes)
    .configure(votes::routes)
    .configure(edits::routes)
    .configure(profiles::routes)
    .configure(admin::routes)
    .configure(moderation::routes)
    .configure(community::routes)
    .configure(search::routes)
    .service(web::scope("/api/v1").configure(api::routes))
    .default_service(web::to(not_found));
}

/// 404 for any unknown path: a JSON body under `/api`, a page elsewhere.
async fn not_found(req: HttpRequest) -> Result<&'static str, actix_web::Error> {
    Err(error::for_path(&req, AppError::NotFound))
}

/// Builds the HTTP server on an already bound listener (tests bind port 0).
pub fn server(state: web::Data<AppState>, listener: TcpListener) -> std::io::Result<Server> {
    let workers = state.settings.workers;
    let https = state.settings.is_https();
    let views = Arc::clone(&state.views);
    let db = state.db.clone();
    let public = assets::PublicFiles::load(&state.settings.data_dir.join("public"))?;
    if !public.is_empty() {
        tracing::info!(
            public.files = public.len(),
            "serving the files in the public folder"
        );
    }
    page_cache::PageCache::watch(&state.pages, &db);
    tokio::spawn(async move { views.flush_forever(db, VIEW_FLUSH_EVERY).await });
    let pages = Arc::clone(&state.pages);
    if state.mail_worker {
        tokio::spawn(mail::deliver_forever(state.clone()));
    }
    let mut server = HttpServer::new(move || {
        let headers = if https {
            security_headers().add(("Strict-Transport-Security", "max-age=31536000"))
        } else {
            security_headers()
        };
        let pages = Arc::clone(&pages);
        App::new()
            .app_data(state.clone())
            .wrap(actix_web::middleware::from_fn(community::login_gate))
            // A request that may have written: this node's cached pages are out of date
            // once it is answered (other nodes hear of it from the database).
            .wrap_fn(move |req, srv| {
                let writes = !matches!(*req.method(), Method::GET | Method::HEAD);
                let pages = Arc::clone(&pages);
                let response = srv.call(req);
                async move {
                    let response = response.await;
                    if writes {
                        pages.invalidate();
                    }
                    response
                }
            })
            .wrap(Compress::default())
            .wrap(headers)
            // `HEAD` is answered as `GET` (actix sends the answer's head without its body):
            // uptime monitors and link checkers ask so, and the routes name `GET` only.
            .wrap_fn(|mut req, srv| {
                if req.method() == Method::HEAD {
                    req.head_mut().method = Method::GET;
                }
                srv.call(req)
            })
            .wrap(tracing_actix_web::TracingLogger::<logging::RequestSpan>::new())
            .configure(routes)
            .configure(|cfg| public.routes(cfg))
    })
    // A response compressed as it is sent ends with a small write of its own; with Nagle's
    // algorithm that write waited for the client's delayed acknowledgement, 40 ms a page on
    // a connection kept alive (as browsers and proxies keep them).
    .on_connect(|connection, _| {
        if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>()
            && let Err(error) = stream.set_nodelay(true)
        {
            tracing::warn!(%error, "could not turn off Nagle's algorithm on a connection");
        }
    })
    .listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.run())
}

/// Percent-encodes a query-string value.
pub(crate) fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
