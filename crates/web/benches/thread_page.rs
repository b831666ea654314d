//! The anonymous thread page with 10 answers: one full request through the real actix app
//! (routing, middleware, session check, database queries on SQLite, template), in process.
//!
//! `cargo bench -p stoa-web --bench thread_page`; figures go in docs/benchmarks.md.
#![expect(
    clippy::expect_used,
    reason = "a benchmark's setup may stop at the first failure"
)]

use actix_web::{App, test, web};
use criterion::{Criterion, criterion_group, criterion_main};
use stoa_accounts::users::{self, NewAccount};
use stoa_accounts::{DisplayName, Email, Role, Username};
use stoa_db::testing::TestDatabase;
use stoa_db::{Db, dialect};
use stoa_threads::posts::NewQuestion;
use stoa_threads::{Body, Title, categories, posts};
use stoa_web::{AppState, Settings};

/// A realistic answer: a few paragraphs, a list and a code block (about 1 KB of Markdown).
const ANSWER: &str = "Open **Settings → Billing** and check the plan's renewal date.\n\n\
If the invoice is missing:\n\n1. Sign out and back in.\n2. Clear the cache.\n3. Open the *Invoices* tab again.\n\n\
```sh\ncurl -H 'Authorization: Bearer …' https://api.example.com/v1/invoices?limit=10\n```\n\n\
The PDF is generated within a minute of payment; if it still does not appear, \
[contact support](https://example.com/support) with the payment id.";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn seed(db: &Db) -> String {
    db.run(|conn| {
        dialect::write_transaction(conn, |conn| {
            let mut authors = Vec::new();
            for name in ["asker", "helper1", "helper2", "helper3"] {
                let account = NewAccount {
                    username: &Username::parse(name)?,
                    display_name: &DisplayName::parse(name)?,
                    email: &Email::parse(&format!("{name}@example.com"))?,
                    password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
                    role: Role::Member,
                };
                authors.push(users::create(conn, &account)?.id);
            }
            let category = categories::create(conn, "Billing", "")?;
            let title = Title::parse("Where do I find the invoice for my last payment?")?;
            let body = Body::parse(ANSWER)?;
            let question = NewQuestion {
                author: authors[0],
                category: category.id,
                title: &title,
                body: &body,
                tags: &[],
                may_create_tags: false,
                key: None,
            };
            let thread = posts::ask(conn, question)?;
            for i in 0..10 {
                let body = Body::parse(ANSWER)?;
                posts::answer(conn, authors[1 + i % 3], thread.thread_id, &body, None)
                    ?;
            }
            Ok::<_, BoxError>(format!("/q/{}/where-do-i-find-the-invoice-for-my-last-payment", thread.thread_id))
        })
    })
    .await
    .expect("seed")
}

fn thread_page(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let database = TestDatabase::sqlite();
    let (app, url) = runtime.block_on(async {
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
        let url = seed(&db).await;
        let mailer =
            stoa_accounts::mail::Mailer::to_files(settings.mail_dir(), &settings.mail_from)
                .expect("mailer");
        let state = web::Data::new(AppState::new(db, settings, mailer));
        let app = test::init_service(App::new().app_data(state).configure(stoa_web::routes)).await;
        (app, url)
    });
    let body = runtime.block_on(async {
        let response =
            test::call_service(&app, test::TestRequest::get().uri(&url).to_request()).await;
        assert!(response.status().is_success(), "{}", response.status());
        test::read_body(response).await
    });
    assert_eq!(
        String::from_utf8_lossy(&body)
            .matches("class=\"post answer\"")
            .count(),
        10
    );

    c.bench_function("anonymous thread page, 10 answers (SQLite)", |b| {
        b.to_async(&runtime).iter(|| async {
            let response =
                test::call_service(&app, test::TestRequest::get().uri(&url).to_request()).await;
            test::read_body(response).await.len()
        })
    });
}

criterion_group!(benches, thread_page);
criterion_main!(benches);
