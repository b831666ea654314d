//! Votes, accepted answers, answer order and the question lists.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;
use stoa_accounts::Role;
use stoa_db::diesel::connection::{Connection, InstrumentationEvent};
use stoa_db::{ThreadId, UserId};
use stoa_threads::views::{self, AnswerOrder, SeeDeleted};
use stoa_threads::votes::{self, Vote};

use crate::common::{Browser, TestApp, between, location};
use crate::on_both_backends;

on_both_backends!(
    votes_move_the_score_within_the_rules,
    concurrent_voters_give_an_exact_score,
    the_asker_accepts_changes_and_undoes,
    concurrent_accepts_leave_one_accepted_answer,
    answers_come_in_the_chosen_order,
    each_list_holds_the_right_questions,
    pagination_is_stable_while_questions_arrive,
    a_thread_page_costs_the_same_queries_for_1_or_50_answers,
    each_reader_counts_once_a_day,
);

/// The score shown for a post on its thread page.
async fn shown_score(browser: &Browser, thread_url: &str, post: &str) -> String {
    let page = browser
        .get(thread_url)
        .await
        .text()
        .await
        .unwrap_or_default();
    let article = page
        .split(&format!("id=\"post-{post}\""))
        .nth(1)
        .unwrap_or_default();
    between(article, "<span class=\"score\" title=\"Score\">", "</span>")
        .unwrap_or_default()
        .to_owned()
}

/// The name of `post`'s vote button `which` (`up` or `down`) on `page`: pressed again, a
/// pressed button takes the vote back.
fn vote_button_name(page: &str, post: &str, which: &str) -> String {
    let article = between(page, &format!("id=\"post-{post}\""), "</article>").unwrap_or_default();
    let button = between(article, &format!("class=\"vote {which}"), ">").unwrap_or_default();
    between(button, "name=\"", "\"")
        .unwrap_or_default()
        .to_owned()
}

async fn votes_move_the_score_within_the_rules(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "How do I export my data?").await;
    let bob = app.signed_in("bob", Role::Member).await;
    let answer = bob
        .answer(
            &thread,
            "Use Settings, then Export, then wait for the mail.",
        )
        .await;
    let carol = app.signed_in("carol", Role::Member).await;

    let page = carol.get(&thread).await.text().await.unwrap_or_default();
    assert!(
        page.contains(r#"<form id="votes" method="post" action="/votes" hidden>"#),
        "the page's vote form"
    );
    assert_eq!(vote_button_name(&page, &answer, "up"), "up");
    let up = carol.vote(&thread, &answer, "up").await;
    assert_eq!(up.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&up),
        format!("{thread}#post-{answer}"),
        "back to the post"
    );
    assert_eq!(shown_score(&carol, &thread, &answer).await, "1");
    let page = carol.get(&thread).await.text().await.unwrap_or_default();
    assert!(page.contains("class=\"vote up on\""), "carol sees her vote");
    assert_eq!(
        vote_button_name(&page, &answer, "up"),
        "none",
        "pressed again, it takes the vote back"
    );

    carol.vote(&thread, &answer, "down").await;
    assert_eq!(
        shown_score(&carol, &thread, &answer).await,
        "-1",
        "a changed vote moves by two"
    );
    carol.vote(&thread, &answer, "none").await;
    assert_eq!(
        shown_score(&carol, &thread, &answer).await,
        "0",
        "a retracted vote is gone"
    );

    // With JavaScript the form asks for JSON and the page updates in place.
    let page = carol.get(&thread).await.text().await.unwrap_or_default();
    let csrf = crate::common::hidden(&page, "csrf");
    let json: serde_json::Value = carol
        .client
        .post(format!("{}/votes", app.base))
        .header("Origin", &app.base)
        .header("Accept", "application/json")
        .form(&[("csrf", csrf.as_str()), ("up", answer.as_str())])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(json, serde_json::json!({ "score": 1, "vote": "up" }));

    // A form that names no one vote is refused with its reason, and changes nothing.
    for unclear in [
        vec![("up", answer.as_str()), ("down", answer.as_str())],
        vec![("up", "the first answer")],
        vec![],
    ] {
        let refused = carol.act(&thread, "/votes", &unclear).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{unclear:?}");
        let text = refused.text().await.unwrap_or_default();
        assert!(text.contains("Press one vote button"), "{text}");
    }
    assert_eq!(shown_score(&carol, &thread, &answer).await, "1");

    let own = bob.vote(&thread, &answer, "up").await;
    assert_eq!(own.status(), StatusCode::FORBIDDEN);
    assert!(
        own.text()
            .await
            .unwrap_or_default()
            .contains("your own post")
    );
    assert_eq!(shown_score(&bob, &thread, &answer).await, "1");
    let bob_page = bob.get(&thread).await.text().await.unwrap_or_default();
    let bob_answer = bob_page
        .split(&format!("id=\"post-{answer}\""))
        .nth(1)
        .unwrap_or_default();
    assert!(
        !bob_answer
            .split("</article>")
            .next()
            .unwrap_or_default()
            .contains("class=\"vote "),
        "no buttons on your own post"
    );

    let guest = app
        .browser()
        .post("/votes", &[("up", answer.as_str())])
        .await;
    assert_eq!(guest.status(), StatusCode::SEE_OTHER);
    assert!(location(&guest).starts_with("/login"));
}

async fn concurrent_voters_give_an_exact_score(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner
        .ask(&category, "Which plan fits a team of five?")
        .await;
    let id = ThreadId(
        thread
            .split('/')
            .nth(2)
            .unwrap_or_default()
            .parse()
            .unwrap_or_default(),
    );
    let question = app
        .db
        .run(move |conn| views::thread(conn, id, AnswerOrder::Votes, None, 1, SeeDeleted::None))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|t| t.question.id)
        .unwrap_or_else(|| panic!("no thread"));
    let mut voters = Vec::new();
    for i in 0..20 {
        app.create_user(&format!("voter{i:02}"), Role::Member).await;
        voters.push(UserId(i64::from(i) + 2));
    }
    // One member sends 20 ups at once (a frantic double-click), while 20 members vote: 14 up,
    // 6 down.
    let casts = voters.iter().enumerate().map(|(i, voter)| {
        let db = app.db.clone();
        let (voter, vote) = (*voter, if i < 14 { Vote::Up } else { Vote::Down });
        tokio::spawn(async move {
            db.write(move |c| votes::cast(c, voter, question, vote))
                .await
        })
    });
    let repeats = (0..20).map(|_| {
        let db = app.db.clone();
        let voter = voters[0];
        tokio::spawn(async move {
            db.write(move |c| votes::cast(c, voter, question, Vote::Up))
                .await
        })
    });
    for task in repeats.chain(casts).collect::<Vec<_>>() {
        task.await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(
        shown_score(&app.browser(), &thread, &question.to_string()).await,
        "8",
        "14 - 6, the repeats change nothing"
    );
}

async fn accept(browser: &Browser, thread_url: &str, answer: &str) -> reqwest::Response {
    let thread = thread_url.split('/').nth(2).unwrap_or_default();
    browser
        .act(
            thread_url,
            &format!("/q/{thread}/accept"),
            &[("answer", answer)],
        )
        .await
}

/// The post ids in the order the page shows them (the question first).
async fn shown_order(browser: &Browser, url: &str) -> Vec<String> {
    let page = browser.get(url).await.text().await.unwrap_or_default();
    page.split("<article class=\"post ")
        .skip(1)
        .filter_map(|a| between(a, "id=\"post-", "\"").map(str::to_owned))
        .collect()
}

async fn the_asker_accepts_changes_and_undoes(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let asker = app.signed_in("asker", Role::Member).await;
    let thread = asker.ask(&category, "Why does sync stop at night?").await;
    let helper = app.signed_in("helper", Role::Member).await;
    let first = helper
        .answer(&thread, "The device sleeps; allow background sync.")
        .await;
    let second = helper
        .answer(&thread, "Check the battery saver settings as well.")
        .await;
    let solved_list = || async {
        app.browser()
            .get("/?tab=solved")
            .await
            .text()
            .await
            .unwrap_or_default()
    };
    assert!(!solved_list().await.contains("Why does sync stop at night?"));

    let accepted = accept(&asker, &thread, &second).await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let order = shown_order(&app.browser(), &thread).await;
    assert_eq!(order[1], second, "the accepted answer comes first");
    let page = app
        .browser()
        .get(&thread)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(page.contains("Accepted answer") && page.contains("Solved"));
    assert!(solved_list().await.contains("Why does sync stop at night?"));
    assert!(
        !app.browser()
            .get("/?tab=unsolved")
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("Why does sync stop")
    );

    accept(&asker, &thread, &first).await;
    assert_eq!(
        shown_order(&app.browser(), &thread).await[1],
        first,
        "changed"
    );
    accept(&asker, &thread, "").await;
    assert!(
        !solved_list().await.contains("Why does sync stop at night?"),
        "undone"
    );

    let other = app.signed_in("other", Role::Member).await;
    assert_eq!(
        accept(&other, &thread, &first).await.status(),
        StatusCode::FORBIDDEN
    );
    let staff = app.signed_in("staffer", Role::Staff).await;
    assert_eq!(
        accept(&staff, &thread, &first).await.status(),
        StatusCode::SEE_OTHER,
        "staff may accept"
    );
    let elsewhere = asker.ask(&category, "Another question entirely").await;
    assert_eq!(
        accept(&asker, &elsewhere, &first).await.status(),
        StatusCode::BAD_REQUEST,
        "not an answer of that thread"
    );
}

async fn concurrent_accepts_leave_one_accepted_answer(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let asker = app.signed_in("asker", Role::Member).await;
    let thread = asker.ask(&category, "Two answers accepted at once?").await;
    let helper = app.signed_in("helper", Role::Member).await;
    let a = helper
        .answer(&thread, "The first answer to the question.")
        .await;
    let b = helper
        .answer(&thread, "The second answer to the question.")
        .await;
    let (ra, rb) = tokio::join!(accept(&asker, &thread, &a), accept(&asker, &thread, &b));
    assert_eq!(
        (ra.status(), rb.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    let page = app
        .browser()
        .get(&thread)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert_eq!(
        page.matches("class=\"post answer accepted\"").count(),
        1,
        "{page}"
    );
}

async fn answers_come_in_the_chosen_order(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner
        .ask(&category, "Which backup strategy do you use?")
        .await;
    let helper = app.signed_in("helper", Role::Member).await;
    let old = helper
        .answer(&thread, "Nightly copies to a second disk.")
        .await;
    let middle = helper.answer(&thread, "Offsite copies every week.").await;
    let new = helper
        .answer(&thread, "Snapshots every hour, kept for a day.")
        .await;
    let voter = app.signed_in("voter", Role::Member).await;
    voter.vote(&thread, &middle, "up").await;
    voter.vote(&thread, &old, "down").await;
    let question = shown_order(&app.browser(), &thread).await[0].clone();
    assert_eq!(
        shown_order(&app.browser(), &thread).await,
        [question.clone(), middle.clone(), new.clone(), old.clone()],
        "score, then age"
    );
    assert_eq!(
        shown_order(&app.browser(), &format!("{thread}?sort=newest")).await,
        [question.clone(), new.clone(), middle.clone(), old.clone()]
    );
    assert_eq!(
        shown_order(&app.browser(), &format!("{thread}?sort=oldest")).await,
        [question.clone(), old.clone(), middle.clone(), new.clone()]
    );
    accept(&owner, &thread, &old).await;
    assert_eq!(
        shown_order(&app.browser(), &format!("{thread}?sort=newest")).await,
        [question, old, new, middle],
        "accepted first in any order"
    );
}

/// The titles a list page shows, in order.
async fn titles(url: &str, app: &TestApp) -> Vec<String> {
    let page = app
        .browser()
        .get(url)
        .await
        .text()
        .await
        .unwrap_or_default();
    page.split("<a class=\"title\" href=\"")
        .skip(1)
        .filter_map(|s| between(s, ">", "</a>").map(str::to_owned))
        .collect()
}

async fn each_list_holds_the_right_questions(app: TestApp) {
    let (owner, billing) = app.with_category().await;
    let csrf = crate::common::hidden(
        &owner
            .get("/admin/categories")
            .await
            .text()
            .await
            .unwrap_or_default(),
        "csrf",
    );
    owner
        .post(
            "/admin/categories",
            &[("csrf", csrf.as_str()), ("name", "Setup")],
        )
        .await;
    let setup = {
        let page = owner.get("/ask").await.text().await.unwrap_or_default();
        page.split("<option value=\"")
            .nth(3)
            .and_then(|s| s.split('"').next())
            .unwrap_or_default()
            .to_owned()
    };
    let unanswered = owner.ask(&billing, "Q1 nobody answered this one").await;
    let answered = owner.ask(&setup, "Q2 answered but not solved").await;
    let solved = owner.ask(&billing, "Q3 answered and solved here").await;
    let helper = app.signed_in("helper", Role::Member).await;
    let answer = helper.answer(&solved, "This solves question three.").await;
    accept(&owner, &solved, &answer).await;
    helper
        .answer(&answered, "An answer that does not solve it.")
        .await;
    let _ = unanswered;

    assert_eq!(
        titles("/", &app).await,
        [
            "Q3 answered and solved here",
            "Q2 answered but not solved",
            "Q1 nobody answered this one"
        ]
    );
    assert_eq!(
        titles("/?tab=active", &app).await,
        [
            "Q2 answered but not solved",
            "Q3 answered and solved here",
            "Q1 nobody answered this one"
        ]
    );
    assert_eq!(
        titles("/?tab=unanswered", &app).await,
        ["Q1 nobody answered this one"]
    );
    assert_eq!(
        titles("/?tab=unsolved", &app).await,
        ["Q2 answered but not solved", "Q1 nobody answered this one"]
    );
    assert_eq!(
        titles("/?tab=solved", &app).await,
        ["Q3 answered and solved here"]
    );
    assert_eq!(
        titles("/?category=setup", &app).await,
        ["Q2 answered but not solved"]
    );
    assert_eq!(
        titles("/?tab=unsolved&category=billing", &app).await,
        ["Q1 nobody answered this one"]
    );
    let row = app
        .browser()
        .get("/?tab=solved")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        row.contains("question-row solved") && row.contains(", solved"),
        "the solved mark"
    );
}

async fn pagination_is_stable_while_questions_arrive(app: TestApp) {
    let (owner, category) = app.with_category().await;
    for i in 0..35 {
        owner
            .ask(&category, &format!("Older question number {i:02}"))
            .await;
    }
    let first = app
        .browser()
        .get("/")
        .await
        .text()
        .await
        .unwrap_or_default();
    let next = between(&first, "<a class=\"button\" href=\"", "\" rel=\"next\"")
        .unwrap_or_default()
        .replace("&amp;", "&");
    for i in 0..5 {
        owner
            .ask(&category, &format!("Newer question number {i:02}"))
            .await;
    }
    let second = titles(&next, &app).await;
    let expected: Vec<String> = (0..5)
        .rev()
        .map(|i| format!("Older question number {i:02}"))
        .collect();
    assert_eq!(
        second, expected,
        "the second page continues where the first ended"
    );
}

async fn a_thread_page_costs_the_same_queries_for_1_or_50_answers(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let small = owner.ask(&category, "A thread with one answer").await;
    let big = owner.ask(&category, "A thread with fifty answers").await;
    let helper = app.signed_in("helper", Role::Member).await;
    helper.answer(&small, "The only answer here.").await;
    for i in 0..50 {
        helper
            .answer(&big, &format!("Answer number {i} to the big thread."))
            .await;
    }
    let db = &app.db;
    let count = |url: String| async move {
        let id = ThreadId(
            url.split('/')
                .nth(2)
                .unwrap_or_default()
                .parse()
                .unwrap_or_default(),
        );
        let queries = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&queries);
        db.run(move |conn| {
            conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
                if matches!(event, InstrumentationEvent::StartQuery { .. }) {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            });
            let page = views::thread(conn, id, AnswerOrder::Votes, None, 100, SeeDeleted::None)?
                .unwrap_or_else(|| panic!("no thread"));
            let shown = page.answers.items.len();
            votes::in_thread(conn, UserId(1), id)?;
            conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
            Ok::<_, stoa_threads::Error>(shown)
        })
        .await
        .map(|shown| (shown, queries.load(Ordering::SeqCst)))
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let (one, small_queries) = count(small).await;
    let (fifty, big_queries) = count(big).await;
    assert_eq!((one, fifty), (1, 50));
    assert_eq!(small_queries, big_queries, "no query per answer");
    assert!(small_queries <= 4, "{small_queries} queries");
}

async fn each_reader_counts_once_a_day(app: TestApp) {
    let app = app.another(|s| s.trust_proxy_headers = true).await;
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "How many people read this?").await;
    let read_from = |address: &'static str| {
        let client = app.browser().client;
        let url = format!("{}{thread}", app.base);
        async move {
            client
                .get(url)
                .header("X-Forwarded-For", address)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    for address in [
        "198.51.100.1",
        "198.51.100.1",
        "198.51.100.1",
        "198.51.100.2",
    ] {
        assert_eq!(read_from(address).await.status(), StatusCode::OK);
    }
    app.views
        .flush(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let page = app
        .browser()
        .get(&thread)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        page.contains("viewed 2 times"),
        "two readers, however often they looked"
    );
    assert!(
        app.browser()
            .get("/")
            .await
            .headers()
            .get("set-cookie")
            .is_none(),
        "no cookie involved"
    );
}
