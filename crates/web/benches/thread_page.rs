//! Pages a reader opens, each as one full request through the real actix app (routing,
//! middleware, session check, database queries on SQLite, template), in process, anonymous:
//! a thread with 10 answers, a thread with 30 answers and 60 comments, the home list, the
//! unsolved list and a tag's list (of 60 questions); and the thread with 10 answers as a
//! signed-in member who did not write in it reads it.
//!
//! `cargo bench -p stoa-web --bench thread_page`; figures go in docs/benchmarks.md.
#![expect(
    clippy::expect_used,
    reason = "a benchmark's setup may stop at the first failure"
)]

use actix_web::{App, test, web};
use criterion::{Criterion, criterion_group, criterion_main};
use stoa_accounts::users::{self, NewAccount};
use stoa_accounts::{DisplayName, Email, Role, SessionPolicy, Username};
use stoa_db::testing::TestDatabase;
use stoa_db::{Db, DbConn, UserId};
use stoa_threads::comments::{self, CommentText};
use stoa_threads::posts::NewQuestion;
use stoa_threads::tags::TagName;
use stoa_threads::{Body, Title, categories, posts};
use stoa_web::{AppState, Settings};

/// What every browser sends in `Accept-Encoding`.
const BROWSERS_ACCEPT: &str = "gzip, deflate, br, zstd";

/// A realistic answer: a few paragraphs, a list and a code block (about 1 KB of Markdown).
const ANSWER: &str = "Open **Settings → Billing** and check the plan's renewal date.\n\n\
If the invoice is missing:\n\n1. Sign out and back in.\n2. Clear the cache.\n3. Open the *Invoices* tab again.\n\n\
```sh\ncurl -H 'Authorization: Bearer …' https://api.example.com/v1/invoices?limit=10\n```\n\n\
The PDF is generated within a minute of payment; if it still does not appear, \
[contact support](https://example.com/support) with the payment id.";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Asks a question with `answers` answers and `comments_each` comments under each answer;
/// returns the thread's path.
fn thread_with(
    conn: &mut DbConn,
    people: &[UserId],
    category: stoa_db::CategoryId,
    title: &str,
    answers: usize,
    comments_each: usize,
) -> Result<String, BoxError> {
    let title = Title::parse(title)?;
    let source = Body::parse(ANSWER)?;
    let body = posts::Rendered::new(conn, &source)?;
    let tags = [TagName::parse("billing")?];
    let question = NewQuestion {
        author: people[0],
        category,
        title: &title,
        body: &body,
        tags: &tags,
        may_create_tags: true,
        key: None,
    };
    let thread = posts::ask(conn, question)?;
    for i in 0..answers {
        let answer = posts::answer(conn, people[1 + i % 3], thread.thread_id, &body, None)?;
        for c in 0..comments_each {
            let text = CommentText::parse(&format!(
                "Thanks, that *worked* for me (comment {c}). See [the docs](https://example.com/docs)."
            ))?;
            comments::add(conn, people[(i + c) % 4], answer.post_id, &text, None)?;
        }
    }
    Ok(format!("/q/{}/{}", thread.thread_id, thread.slug))
}

/// Seeds the community; returns the paths of the small and the big thread, and the session
/// cookie of a member who only reads.
async fn seed(db: &Db, sessions: SessionPolicy) -> (String, String, String) {
    db.write(move |conn| {
        let mut people = Vec::new();
        for name in ["asker", "helper1", "helper2", "helper3", "reader"] {
            let account = NewAccount {
                username: &Username::parse(name)?,
                display_name: &DisplayName::parse(name)?,
                email: &Email::parse(&format!("{name}@example.com"))?,
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
                role: Role::Member,
            };
            people.push(users::create(conn, &account)?.id);
        }
        let category = categories::create(conn, "Billing", "")?.id;
        let small = thread_with(conn, &people, category, "Where do I find the invoice for my last payment?", 10, 0)?;
        let big = thread_with(conn, &people, category, "Why was my card charged twice this month?", 30, 2)?;
        for i in 0..58 {
            thread_with(conn, &people, category, &format!("Another billing question, number {i}"), 1, 0)?;
        }
        let reader = stoa_accounts::sessions::create(conn, people[4], sessions)?;
        let cookie = format!("stoa_session={}", reader.expose());
        Ok::<_, BoxError>((small, big, cookie))
    })
    .await
    .expect("seed")
}

fn pages(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let database = TestDatabase::sqlite();
    let (app, small, big, cookie, pages) = runtime.block_on(async {
        let data = tempfile::tempdir().expect("tempdir");
        let settings = Settings {
            database_url: database.url.clone(),
            data_dir: data.path().to_owned(),
            ..Settings::default()
        }
        .validated()
        .expect("settings");
        let db = Db::connect(&settings.database_url, 4).expect("connect");
        db.migrate().await.expect("migrate");
        let (small, big, cookie) = seed(&db, settings.session_policy()).await;
        let mailer =
            stoa_accounts::mail::Mailer::to_files(settings.mail_dir(), &settings.mail_from)
                .expect("mailer");
        let state = web::Data::new(AppState::new(db, settings, mailer));
        let pages = std::sync::Arc::clone(&state.pages);
        let app = test::init_service(App::new().app_data(state).configure(stoa_web::routes)).await;
        (app, small, big, cookie, pages)
    });
    let get_as = |url: &str, cookie: Option<&str>, gzip: bool| {
        let mut request = test::TestRequest::get()
            .uri(url)
            .peer_addr("127.0.0.1:9".parse().expect("address"));
        if let Some(cookie) = cookie {
            request = request.insert_header(("Cookie", cookie));
        }
        if gzip {
            request = request.insert_header(("Accept-Encoding", BROWSERS_ACCEPT));
        }
        test::call_service(&app, request.to_request())
    };
    let big_page = runtime.block_on(async {
        let response = get_as(&big, None, false).await;
        assert!(response.status().is_success(), "{}", response.status());
        String::from_utf8_lossy(&test::read_body(response).await).into_owned()
    });
    assert_eq!(big_page.matches("class=\"post answer\"").count(), 30);
    assert_eq!(
        big_page.matches("(comment 1)").count(),
        30,
        "two comments under each answer"
    );

    let member_page = runtime.block_on(async {
        let response = get_as(&small, Some(&cookie), false).await;
        String::from_utf8_lossy(&test::read_body(response).await).into_owned()
    });
    assert_eq!(
        member_page.matches(r#"form="votes""#).count(),
        22,
        "the member sees the vote buttons of the question and its 10 answers"
    );

    // `rendered`: the guests' page cache is emptied before each request, so the page is built
    // as after every change (and as for members, less the per-viewer parts). `gzip`: asked
    // for as browsers ask.
    let member = Some(cookie.as_str());
    for (name, url, cookie, rendered, gzip) in [
        (
            "anonymous thread page, 10 answers, rendered",
            small.as_str(),
            None,
            true,
            false,
        ),
        (
            "anonymous thread page, 10 answers, from memory",
            small.as_str(),
            None,
            false,
            false,
        ),
        (
            "signed-in thread page, 10 answers, from memory",
            small.as_str(),
            member,
            false,
            false,
        ),
        (
            "anonymous thread page, 10 answers, from memory, gzip",
            small.as_str(),
            None,
            false,
            true,
        ),
        (
            "signed-in thread page, 10 answers, from memory, gzip",
            small.as_str(),
            member,
            false,
            true,
        ),
        (
            "anonymous thread page, 30 answers and 60 comments, rendered",
            big.as_str(),
            None,
            true,
            false,
        ),
        (
            "home list (newest, 30 rows), rendered",
            "/",
            None,
            true,
            false,
        ),
        (
            "home list (newest, 30 rows), from memory",
            "/",
            None,
            false,
            false,
        ),
        (
            "home list (newest, 30 rows), a member's, from memory",
            "/",
            member,
            false,
            false,
        ),
        (
            "tag list (billing, 30 rows), a member's, from memory, gzip",
            "/tags/billing",
            member,
            false,
            true,
        ),
        (
            "unsolved list, rendered",
            "/?tab=unsolved",
            None,
            true,
            false,
        ),
        (
            "tag list (billing, 30 rows), rendered",
            "/tags/billing",
            None,
            true,
            false,
        ),
    ] {
        c.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                if rendered {
                    pages.invalidate();
                }
                let response = get_as(url, cookie, gzip).await;
                assert!(response.status().is_success());
                test::read_body(response).await.len()
            })
        });
    }
}

criterion_group!(benches, pages);
criterion_main!(benches);
