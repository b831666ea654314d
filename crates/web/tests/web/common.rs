//! A real Stoa server per test: the actix app on a free loopback port, over a fresh SQLite file
//! or a fresh PostgreSQL database, with mail written to a temporary folder. Requests go over
//! real HTTP through reqwest.

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::{Client, Response, StatusCode, redirect};
use stoa_accounts::users::{self, NewAccount};
use stoa_accounts::{DisplayName, Email, Password, Role, Username, password};
use stoa_db::Db;
use stoa_db::testing::TestDatabase;
use stoa_web::{AppState, Settings};

/// A password every test account uses; strong enough for the policy.
pub const PASSWORD: &str = "velvet ladder orbit pancake";

/// Runs each listed `async fn(TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        stoa_db::on_both_backends!($crate::common::TestApp::spawn; $($name),*);
    };
}

pub use stoa_db::testing::TestBackend as Backend;

pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub backend: Backend,
    pub db: Db,
    pub mail_dir: PathBuf,
    /// The server's view counter, to flush it when a test wants the counts saved.
    pub views: std::sync::Arc<stoa_web::view_counts::ViewCounter>,
    /// The server's cache of guests' pages.
    pub pages: std::sync::Arc<stoa_web::page_cache::PageCache>,
    /// The server's state, for what a test runs itself (sending due mail).
    pub state: actix_web::web::Data<AppState>,
    server: actix_web::dev::ServerHandle,
    /// Dropped (and with it the database) by the first node only.
    _database: Option<TestDatabase>,
    database_url: String,
    _data_dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting and close the pool's connections before the database is dropped.
        drop(self.server.stop(false));
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Spawns with settings adjusted by `adjust` (base URL and folders are set already).
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let database = TestDatabase::new(backend);
        let url = database.url.clone();
        Self::spawn_on(backend, Some(database), url, adjust).await
    }

    /// A second node on this one's database (as behind a load balancer).
    pub async fn second_node(&self) -> TestApp {
        Self::spawn_on(self.backend, None, self.database_url.clone(), |_| {}).await
    }

    async fn spawn_on(
        backend: Backend,
        database: Option<TestDatabase>,
        database_url: String,
        adjust: impl FnOnce(&mut Settings),
    ) -> TestApp {
        let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("addr: {e}"))
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let mut settings = Settings {
            database_url: database_url.clone(),
            data_dir: data_dir.path().to_owned(),
            bind: format!("127.0.0.1:{port}"),
            base_url: base.clone(),
            community_name: "Acme Community".into(),
            workers: 1,
            db_pool_size: 4,
            // Tests sign up and post at machine speed; the fill-time check and the posting
            // limits of new members have tests of their own.
            min_fill_seconds: 0,
            // Every test browser logs in from 127.0.0.1; the log-in limits have their tests.
            login_per_minute: 1000,
            login_per_hour: 1000,
            post_gap_seconds: [0; 4],
            posts_per_day: [0; 4],
            approval_posts: 0,
            // Pages wait for their related questions however loaded the machine is; the wait
            // running out has its test.
            related_wait_ms: 10_000,
            ..Settings::default()
        };
        adjust(&mut settings);
        let settings = settings.validated().unwrap_or_else(|e| panic!("{e}"));
        let db = Db::connect(&settings.database_url, settings.db_pool_size)
            .unwrap_or_else(|e| panic!("connect: {e}"));
        db.migrate()
            .await
            .unwrap_or_else(|e| panic!("migrate: {e}"));
        let mail_dir = settings.mail_dir();
        let mailer = if settings.smtp_url.is_empty() {
            stoa_accounts::mail::Mailer::to_files(mail_dir.clone(), &settings.mail_from)
        } else {
            stoa_accounts::mail::Mailer::smtp(&settings.smtp_url, &settings.mail_from)
        }
        .unwrap_or_else(|e| panic!("mailer: {e}"));
        let state = AppState::new(db.clone(), settings, mailer);
        let views = std::sync::Arc::clone(&state.views);
        let pages = std::sync::Arc::clone(&state.pages);
        let state = state.shared();
        let server =
            stoa_web::server(state.clone(), listener).unwrap_or_else(|e| panic!("server: {e}"));
        let handle = server.handle();
        tokio::spawn(server);
        TestApp {
            base,
            backend,
            db,
            mail_dir,
            views,
            pages,
            state,
            server: handle,
            _database: database,
            database_url,
            _data_dir: data_dir,
        }
    }

    /// Another app on the same kind of database, with settings adjusted by `adjust`.
    pub async fn another(&self, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        Self::spawn_with(self.backend, adjust).await
    }

    /// Runs `f` as one write transaction, as every write of the server runs (the pool's
    /// SQLite connections only read): for what a test sets up, or moves back in time, itself.
    pub async fn write<T, E, F>(&self, f: F) -> T
    where
        F: FnOnce(&mut stoa_db::DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<stoa_db::diesel::result::Error>
            + From<stoa_db::Error>
            + std::fmt::Display
            + Send
            + 'static,
    {
        self.db.write(f).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// Waits until the server has heard of a change written straight into the database
    /// after its content generation was `before` (its watch polls every
    /// `page_cache::WATCH_EVERY`): until then it may answer from memory, as it would.
    pub async fn heard_of_change_since(&self, before: u64) {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while self.pages.generation() == before {
            assert!(
                std::time::Instant::now() < until,
                "the server never heard of the change"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// A browser: keeps cookies, does not follow redirects (tests look at them).
    pub fn browser(&self) -> Browser {
        let client = Client::builder()
            .cookie_store(true)
            .redirect(redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|e| panic!("client: {e}"));
        Browser {
            client,
            base: self.base.clone(),
        }
    }

    /// Creates an account directly in the database.
    pub async fn create_user(&self, username: &str, role: Role) {
        let username = Username::parse(username).unwrap_or_else(|e| panic!("{e}"));
        let display = DisplayName::parse(username.as_str()).unwrap_or_else(|e| panic!("{e}"));
        let email = Email::parse(&format!("{}@example.com", username.as_str()))
            .unwrap_or_else(|e| panic!("{e}"));
        let pw = Password::parse_new(PASSWORD, &[]).unwrap_or_else(|e| panic!("{e}"));
        let hash = password::hash(&pw).unwrap_or_else(|e| panic!("{e}"));
        self.db
            .write(move |conn| {
                let account = NewAccount {
                    username: &username,
                    display_name: &display,
                    email: &email,
                    password_hash: &hash,
                    role,
                };
                users::create(conn, &account)
            })
            .await
            .unwrap_or_else(|e| panic!("create user: {e}"));
    }

    /// A browser logged in as a new account with `role`.
    pub async fn signed_in(&self, username: &str, role: Role) -> Browser {
        self.create_user(username, role).await;
        let browser = self.browser();
        let response = browser.log_in(username, PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "login of {username} failed"
        );
        browser
    }

    /// An owner with one category, "Billing"; returns the owner's browser and the category id.
    pub async fn with_category(&self) -> (Browser, String) {
        let owner = self.signed_in("owner", Role::Owner).await;
        let page = owner
            .get("/admin/categories")
            .await
            .text()
            .await
            .unwrap_or_default();
        let csrf = hidden(&page, "csrf");
        let response = owner
            .post(
                "/admin/categories",
                &[
                    ("csrf", csrf.as_str()),
                    ("name", "Billing"),
                    ("description", "Invoices and plans"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let page = owner.get("/ask").await.text().await.unwrap_or_default();
        // The first option is the empty "Choose…"; the second is the new category.
        let id = page
            .split("<option value=\"")
            .nth(2)
            .and_then(|s| s.split('"').next())
            .map(str::to_owned);
        (
            owner,
            id.unwrap_or_else(|| panic!("no category on the ask page: {page}")),
        )
    }

    /// The mails written so far, oldest first.
    pub fn mails(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.mail_dir) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, p)| std::fs::read_to_string(p).ok())
            .collect()
    }

    /// Waits (up to 10 s) for a mail to `to` containing a link under `path_prefix`; returns the
    /// link's path.
    pub async fn link_mailed_to(&self, to: &str, path_prefix: &str) -> String {
        let needle = format!("{}{path_prefix}", self.base);
        for _ in 0..100 {
            let found = self
                .mails()
                .into_iter()
                .rev()
                .find(|m| m.contains(&format!("To: {to}")) && m.contains(&needle));
            if let Some(mail) = found {
                let start = mail.find(&needle).unwrap_or_default() + self.base.len();
                let link: String = mail[start..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                return link;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no mail to {to} with a link to {path_prefix}; mails: {:?}",
            self.mails()
        );
    }
}

pub struct Browser {
    pub client: Client,
    pub base: String,
}

impl Browser {
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header("Origin", &self.base)
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// Opens `page_path`, reads its form's CSRF token (and idempotency key and shown time),
    /// adds them to `fields` and posts to `action`.
    pub async fn submit(&self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let page = self.get(page_path).await.text().await.unwrap_or_default();
        let csrf = hidden(&page, "csrf");
        let key = hidden(&page, "key");
        let shown = hidden(&page, "shown");
        let mut form: Vec<(&str, &str)> = vec![
            ("csrf", csrf.as_str()),
            ("key", key.as_str()),
            ("shown", shown.as_str()),
        ];
        form.extend_from_slice(fields);
        self.post(action, &form).await
    }

    /// The CSRF token this browser's guest forms carry (from the login page).
    pub async fn guest_token(&self) -> String {
        hidden(
            &self.get("/login").await.text().await.unwrap_or_default(),
            "csrf",
        )
    }

    pub async fn log_in(&self, login: &str, password: &str) -> Response {
        self.submit(
            "/login",
            "/login",
            &[("login", login), ("password", password), ("next", "/")],
        )
        .await
    }
}

/// The value of the hidden input `name` on a page ("" when absent).
pub fn hidden(page: &str, name: &str) -> String {
    between(page, &format!("name=\"{name}\" value=\""), "\"")
        .unwrap_or_default()
        .to_owned()
}

/// The text between the first `start` and the next `end`.
pub fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(&s[from..from + len])
}

/// The `Location` header of a redirect.
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Every `Set-Cookie` header of a response.
pub fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

impl Browser {
    /// Asks a question in `category`; returns the thread's URL.
    pub async fn ask(&self, category: &str, title: &str) -> String {
        let response = self
            .submit(
                "/ask",
                "/ask",
                &[
                    ("title", title),
                    ("body", &format!("The details of this question: {title}")),
                    ("category", category),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "asking {title:?}");
        location(&response)
    }

    /// Answers the question at `thread_url`; returns the new answer's post id.
    pub async fn answer(&self, thread_url: &str, body: &str) -> String {
        let thread = thread_url.split('/').nth(2).unwrap_or_default();
        let response = self
            .submit(
                thread_url,
                &format!("/q/{thread}/answer"),
                &[("body", body)],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "answering {thread_url}"
        );
        location(&response)
            .rsplit("#post-")
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// Comments `text` on `post` of the thread at `thread_url`.
    pub async fn comment(&self, thread_url: &str, post: &str, text: &str) {
        let response = self
            .act(
                thread_url,
                &format!("/posts/{post}/comments"),
                &[("body", text), ("key", &format!("comment-{text}"))],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "commenting {text:?}"
        );
    }

    /// Comments `text` on the question of the thread at `thread_url`.
    pub async fn comment_on_question(&self, thread_url: &str, text: &str) {
        let post = self.question_post(thread_url).await;
        self.comment(thread_url, &post, text).await;
    }

    /// The id of the question post on a thread page.
    pub async fn question_post(&self, thread_url: &str) -> String {
        let page = self.get(thread_url).await.text().await.unwrap_or_default();
        let article = page
            .split("<article class=\"post question")
            .nth(1)
            .unwrap_or_default();
        between(article, "id=\"post-", "\"")
            .unwrap_or_default()
            .to_owned()
    }

    /// Posts a form found on `page_path` (its CSRF token and shown time) to `action` with
    /// `fields`.
    pub async fn act(&self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let page = self.get(page_path).await.text().await.unwrap_or_default();
        let csrf = hidden(&page, "csrf");
        let shown = hidden(&page, "shown");
        let mut form = vec![("csrf", csrf.as_str()), ("shown", shown.as_str())];
        form.extend_from_slice(fields);
        self.post(action, &form).await
    }

    /// Votes on `post` as a vote button of the page at `page_path` does: `vote` is the
    /// button's name (`up`, `down`, or `none` to take the vote back), the post its value.
    pub async fn vote(&self, page_path: &str, post: &str, vote: &str) -> Response {
        self.act(page_path, "/votes", &[(vote, post)]).await
    }
}

/// The edit form's fields for `post`, as the page fills them.
pub async fn edit_form(browser: &Browser, post: &str) -> (String, String) {
    let page = browser
        .get(&format!("/posts/{post}/edit"))
        .await
        .text()
        .await
        .unwrap_or_default();
    (hidden(&page, "csrf"), hidden(&page, "base"))
}
