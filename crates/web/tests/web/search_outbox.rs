//! The outbox that feeds an external search engine: jobs written with each change, retried
//! after a failure, drained in order, harmless to replay, never sent twice at once; and, when
//! `STOA_TEST_MEILI_URL` names a Meilisearch server, the Meilisearch backend itself.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use stoa_accounts::Role;
use stoa_db::ThreadId;
use stoa_db::diesel::prelude::*;
use stoa_db::schema::search_jobs;
use stoa_search::outbox::{self, DocumentSink, ThreadDocument};
use stoa_search::{BoxFuture, Query, SearchIndex, SearchRequest};

use crate::common::{Browser, TestApp, edit_form, location};

crate::on_both_backends!(
    jobs_are_written_only_while_an_engine_is_fed,
    a_failing_engine_gets_the_jobs_again_later,
    the_latest_version_arrives_and_replay_is_harmless,
    two_workers_never_send_one_thread_at_once,
    meilisearch_serves_searches,
);

/// A stand-in for the external engine: stores what it is sent, can be told to fail or to be
/// slow. (Only the engine is replaced; the database is real.)
#[derive(Default)]
struct Engine {
    documents: Mutex<HashMap<i64, ThreadDocument>>,
    /// Thread ids of each call, in order.
    calls: Mutex<Vec<Vec<i64>>>,
    failures_left: AtomicUsize,
    delay: Option<Duration>,
}

impl DocumentSink for Engine {
    fn apply<'a>(
        &'a self,
        upserts: &'a [ThreadDocument],
        deletes: &'a [ThreadId],
    ) -> BoxFuture<'a, Result<(), stoa_search::Error>> {
        Box::pin(async move {
            if let Some(delay) = self.delay {
                tokio::time::sleep(delay).await;
            }
            let ids = upserts
                .iter()
                .map(|d| d.id)
                .chain(deletes.iter().map(|t| t.0))
                .collect();
            self.calls
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(ids);
            if self
                .failures_left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(stoa_search::Error::Engine("connection refused".into()));
            }
            let mut stored = self.documents.lock().unwrap_or_else(|e| e.into_inner());
            for d in upserts {
                stored.insert(d.id, d.clone());
            }
            for t in deletes {
                stored.remove(&t.0);
            }
            Ok(())
        })
    }
}

impl Engine {
    fn stored(&self) -> HashMap<i64, ThreadDocument> {
        self.documents
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

async fn attach(app: &TestApp) -> usize {
    app.db
        .run(|conn| outbox::attach(conn, "meilisearch").map_err(stoa_db::Error::from))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn pending(app: &TestApp) -> i64 {
    app.db
        .run(|conn| {
            search_jobs::table
                .count()
                .get_result::<i64>(conn)
                .map_err(stoa_db::Error::from)
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn thread_id(url: &str) -> i64 {
    url.split('/')
        .nth(2)
        .and_then(|id| id.parse().ok())
        .unwrap_or_default()
}

async fn retitle(browser: &Browser, thread: &str, title: &str) -> String {
    let post = browser.question_post(thread).await;
    let (csrf, base) = edit_form(browser, &post).await;
    let saved = browser
        .post(
            &format!("/posts/{post}/edit"),
            &[
                ("csrf", csrf.as_str()),
                ("base", base.as_str()),
                ("title", title),
                ("tags", ""),
                ("body", "The details of this question."),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    location(&saved)
        .split('#')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn drain(app: &TestApp, engine: &Engine) -> Result<usize, stoa_search::Error> {
    outbox::drain_once(&app.db, engine).await
}

async fn jobs_are_written_only_while_an_engine_is_fed(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let first = owner.ask(&category, "Before any engine").await;
    assert_eq!(pending(&app).await, 0, "no engine, no jobs");
    assert_eq!(attach(&app).await, 1, "attaching queues every thread");
    assert_eq!(attach(&app).await, 0, "attaching again queues nothing");
    let second = owner.ask(&category, "After the engine came").await;
    assert_eq!(pending(&app).await, 2);
    let engine = Engine::default();
    assert_eq!(drain(&app, &engine).await.ok(), Some(2));
    assert_eq!(pending(&app).await, 0);
    let stored = engine.stored();
    assert_eq!(stored[&thread_id(&first)].title, "Before any engine");
    assert_eq!(stored[&thread_id(&second)].title, "After the engine came");
    app.db
        .run(|conn| outbox::detach(conn).map_err(stoa_db::Error::from))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    owner.ask(&category, "After the engine left").await;
    assert_eq!(pending(&app).await, 0);
}

async fn a_failing_engine_gets_the_jobs_again_later(app: TestApp) {
    let (owner, category) = app.with_category().await;
    attach(&app).await;
    let thread = owner
        .ask(&category, "Posted while the engine is down")
        .await;
    let engine = Engine {
        failures_left: AtomicUsize::new(1),
        ..Engine::default()
    };
    assert!(drain(&app, &engine).await.is_err());
    assert_eq!(pending(&app).await, 1, "the job waits");
    let error: Option<String> = app
        .db
        .run(|conn| {
            search_jobs::table
                .select(search_jobs::last_error)
                .first(conn)
                .map_err(stoa_db::Error::from)
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(error.is_some_and(|e| e.contains("connection refused")));
    assert_eq!(
        drain(&app, &engine).await.ok(),
        Some(0),
        "not retried before its backoff"
    );
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(drain(&app, &engine).await.ok(), Some(1));
    assert_eq!(pending(&app).await, 0);
    assert!(engine.stored().contains_key(&thread_id(&thread)));
}

async fn the_latest_version_arrives_and_replay_is_harmless(app: TestApp) {
    let (owner, category) = app.with_category().await;
    attach(&app).await;
    let thread = owner.ask(&category, "First title").await;
    let thread = retitle(&owner, &thread, "Second title").await;
    let thread = retitle(&owner, &thread, "Third title").await;
    let helper = app.signed_in("helper", Role::Member).await;
    helper
        .answer(&thread, "An answer that mentions the flux capacitor.")
        .await;
    assert!(pending(&app).await >= 4, "one job per change");
    let engine = Engine::default();
    assert_eq!(drain(&app, &engine).await.ok(), Some(1), "sent once");
    let id = thread_id(&thread);
    let sent = engine.stored()[&id].clone();
    assert_eq!(sent.title, "Third title");
    assert!(sent.answers.contains("flux capacitor"));
    assert_eq!(sent.answer_count, 1);
    assert!(!sent.has_staff_answer, "a member answered");
    let staff = app.signed_in("staffer", Role::Staff).await;
    staff
        .answer(&thread, "The team's answer, with details.")
        .await;
    assert_eq!(drain(&app, &engine).await.ok(), Some(1));
    let sent = engine.stored()[&id].clone();
    assert!(sent.has_staff_answer);
    assert_eq!(sent.answer_count, 2);
    // Replaying every job changes nothing.
    app.write(|conn| outbox::queue_everything(conn).map_err(stoa_db::Error::from))
        .await;
    assert_eq!(drain(&app, &engine).await.ok(), Some(1));
    assert_eq!(engine.stored()[&id], sent);
    // A deleted question leaves the engine.
    let question = owner.question_post(&thread).await;
    let deleted = owner
        .act(&thread, &format!("/posts/{question}/delete"), &[])
        .await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert_eq!(drain(&app, &engine).await.ok(), Some(1));
    assert!(!engine.stored().contains_key(&id));
}

async fn two_workers_never_send_one_thread_at_once(app: TestApp) {
    let (owner, category) = app.with_category().await;
    attach(&app).await;
    for n in 0..3 {
        owner
            .ask(&category, &format!("Concurrent question {n}"))
            .await;
    }
    let engine = Engine {
        delay: Some(Duration::from_millis(300)),
        ..Engine::default()
    };
    let (a, b) = tokio::join!(drain(&app, &engine), drain(&app, &engine));
    let sent = a.unwrap_or_else(|e| panic!("{e}")) + b.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sent, 3);
    let mut all: Vec<i64> = engine
        .calls
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .concat();
    all.sort_unstable();
    let before = all.len();
    all.dedup();
    assert_eq!(before, all.len(), "no thread sent by both workers");
    assert_eq!(pending(&app).await, 0);
}

async fn meilisearch_serves_searches(app: TestApp) {
    let Ok(url) = std::env::var("STOA_TEST_MEILI_URL") else {
        println!("skipped: set STOA_TEST_MEILI_URL to test against a real Meilisearch (v1.x)");
        return;
    };
    let key = std::env::var("STOA_TEST_MEILI_KEY").unwrap_or_default();
    let index = format!("stoa_test_{}", rand_suffix());
    let meili = stoa_search::meili::MeiliIndex::new(app.db.clone(), &url, &key, &index)
        .unwrap_or_else(|e| panic!("{e}"));
    meili.configure().await.unwrap_or_else(|e| panic!("{e}"));
    let (owner, category) = app.with_category().await;
    attach(&app).await;
    let widget = owner.ask(&category, "How to install the widget").await;
    let other = owner.ask(&category, "Billing address change").await;
    assert_eq!(drain_all(&app, &meili).await, 2);
    let search = |text: &str| {
        let request = SearchRequest::new(Query::parse(text).unwrap_or_else(|e| panic!("{e}")), 10);
        let meili = &meili;
        async move {
            meili
                .run(&request)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .hits
                .into_iter()
                .map(|h| h.thread_id.0)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search("instal widgt").await, [thread_id(&widget)], "typos");
    assert_eq!(search("billing").await, [thread_id(&other)]);
    // Deleted: gone from results at once, before the engine has heard of it.
    let question = owner.question_post(&widget).await;
    owner
        .act(&widget, &format!("/posts/{question}/delete"), &[])
        .await;
    assert!(search("widget").await.is_empty());
    assert_eq!(drain_all(&app, &meili).await, 1);
    assert_eq!(meili.documents().await.unwrap_or_default(), 1);
}

async fn drain_all(app: &TestApp, sink: &dyn DocumentSink) -> usize {
    let mut sent = 0;
    loop {
        match outbox::drain_once(&app.db, sink).await {
            Ok(0) => return sent,
            Ok(n) => sent += n,
            Err(e) => panic!("{e}"),
        }
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default()
}
