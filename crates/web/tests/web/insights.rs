//! Insights on a fixture with known answers (counts, medians and 90th percentiles in business
//! hours, shares, top tags, unanswered questions, CSV), and the reply time promised to askers
//! only when enough answers back it.

use reqwest::StatusCode;
use stoa_accounts::Role;
use stoa_db::ThreadId;
use stoa_db::diesel::prelude::*;
use stoa_db::schema::threads;
use stoa_db::time::now;
use time::{Duration, PrimitiveDateTime, Weekday};

use crate::common::{Browser, TestApp};
use crate::on_both_backends;

on_both_backends!(
    insights_report_known_figures,
    askers_are_told_the_usual_reply_time_only_with_enough_answers,
);

/// Business hours around the clock (but the last minute), every day, in UTC: business time is
/// plain time within a day.
async fn around_the_clock(owner: &Browser) {
    let mut fields = vec![
        ("zone", "UTC"),
        ("opens", "00:00"),
        ("closes", "23:59"),
        ("target_hours", "8"),
    ];
    for day in ["1", "2", "3", "4", "5", "6", "7"] {
        fields.push(("day", day));
    }
    let saved = owner
        .act("/admin/business-hours", "/admin/business-hours", &fields)
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
}

/// Sets when `thread` was asked and first answered (by anyone, by the team).
async fn set_times(
    app: &TestApp,
    thread: &str,
    asked: PrimitiveDateTime,
    first: Option<PrimitiveDateTime>,
    team: Option<PrimitiveDateTime>,
) {
    let id = ThreadId(
        thread
            .split('/')
            .nth(2)
            .and_then(|s| s.parse().ok())
            .unwrap_or_default(),
    );
    app.write(move |conn| {
        stoa_db::diesel::update(threads::table.find(id))
            .set((
                threads::created_at.eq(asked),
                threads::first_answer_at.eq(first),
                threads::first_team_answer_at.eq(team),
            ))
            .execute(conn)?;
        stoa_db::diesel::update(stoa_db::schema::thread_tags::table)
            .filter(stoa_db::schema::thread_tags::thread_id.eq(id))
            .set(stoa_db::schema::thread_tags::thread_created_at.eq(asked))
            .execute(conn)
            .map_err(stoa_db::Error::from)
    })
    .await;
}

/// Monday 00:00 UTC of last week.
fn last_monday() -> PrimitiveDateTime {
    let today = now().date();
    let back = i64::from(today.weekday().number_days_from_monday()) + 7;
    PrimitiveDateTime::new(today - Duration::days(back), time::Time::MIDNIGHT)
}

async fn ask_tagged(browser: &Browser, category: &str, title: &str, tags: &str) -> String {
    let response = browser
        .submit(
            "/ask",
            "/ask",
            &[
                ("title", title),
                ("body", &format!("All about this: {title}.")),
                ("category", category),
                ("tags", tags),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    crate::common::location(&response)
}

async fn insights_report_known_figures(app: TestApp) {
    let (owner, category) = app.with_category().await;
    around_the_clock(&owner).await;
    let sam = app.signed_in("sam", Role::Staff).await;
    let alice = app.signed_in("alice", Role::Member).await;
    let one = ask_tagged(&owner, &category, "Refund for an annual plan", "billing").await;
    let two = ask_tagged(
        &owner,
        &category,
        "Invoice address change",
        "billing invoices",
    )
    .await;
    let three = alice.ask(&category, "Keyboard shortcuts list").await;
    let official = sam.answer(&one, "Yes, pro rata.").await;
    sam.answer(&two, "Under Billing.").await;
    let monday = last_monday();
    let tuesday = monday + Duration::days(1) + Duration::hours(10);
    set_times(
        &app,
        &one,
        tuesday,
        Some(tuesday + Duration::hours(1)),
        Some(tuesday + Duration::hours(1)),
    )
    .await;
    set_times(
        &app,
        &two,
        tuesday,
        Some(tuesday + Duration::hours(2)),
        Some(tuesday + Duration::hours(5)),
    )
    .await;
    set_times(&app, &three, tuesday, None, None).await;
    assert_eq!(monday.weekday(), Weekday::Monday);
    let one_id = one.split('/').nth(2).unwrap_or_default();
    let marked = sam
        .act(
            &one,
            &format!("/q/{one_id}/official"),
            &[("answer", &official)],
        )
        .await;
    assert_eq!(marked.status(), StatusCode::SEE_OTHER);

    let csv = sam.get("/insights.csv").await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/csv"))
    );
    let csv = csv.text().await.unwrap_or_default();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 13, "a header and twelve weeks: {csv}");
    assert!(lines[0].starts_with("week_start,asked,answered,solved,answered_by_team"));
    let last_week = format!("{},3,2,0,2,0,1,1.00,2.00,1.00,5.00", monday.date());
    assert_eq!(lines[11], last_week, "{csv}");
    assert!(
        lines[12].ends_with(",0,0,0,0,0,0,,,,"),
        "this week is empty: {}",
        lines[12]
    );

    let page = sam.get("/insights").await.text().await.unwrap_or_default();
    assert!(
        page.contains("<svg role=\"img\""),
        "charts drawn on the page"
    );
    assert!(page.contains("<td>3</td><td>2</td><td>0</td><td>100 %</td><td>0 %</td><td>1</td><td>1.0 h / 2.0 h</td><td>1.0 h / 5.0 h</td>"), "{page}");
    let top = page
        .split("<ol class=\"top-tags\">")
        .nth(1)
        .unwrap_or_default();
    assert!(top.starts_with("<li><a class=\"tag\" href=\"/tags/billing\">billing</a> 2</li><li><a class=\"tag\" href=\"/tags/invoices\">invoices</a> 1</li>"), "{top}");
    let unanswered = page
        .split("Still unanswered after 48 hours")
        .nth(1)
        .unwrap_or_default();
    assert!(unanswered.contains("Keyboard shortcuts list") && !unanswered.contains("Refund"));

    assert_eq!(alice.get("/insights").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        alice.get("/insights.csv").await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn askers_are_told_the_usual_reply_time_only_with_enough_answers(app: TestApp) {
    let (owner, category) = app.with_category().await;
    around_the_clock(&owner).await;
    let alice = app.signed_in("alice", Role::Member).await;
    let ask_page = alice.get("/ask").await.text().await.unwrap_or_default();
    assert!(!ask_page.contains("usually replies"), "no data, no promise");

    let yesterday = now() - Duration::days(1);
    for (i, hours) in [1, 2, 3, 4, 9].into_iter().enumerate() {
        let thread = alice
            .ask(&category, &format!("Question number {i} about exports"))
            .await;
        set_times(
            &app,
            &thread,
            yesterday,
            Some(yesterday + Duration::hours(hours)),
            Some(yesterday + Duration::hours(hours)),
        )
        .await;
    }
    // Each node works the figure out at most every ten minutes: a node that has not yet
    // done so sees the new answers.
    let fresh_node = app.second_node().await;
    let alice = fresh_node.browser();
    alice.log_in("alice", crate::common::PASSWORD).await;
    let ask_page = alice.get("/ask").await.text().await.unwrap_or_default();
    assert!(
        ask_page.contains("The team usually replies within about 3 hours (business hours)."),
        "the median of 1, 2, 3, 4 and 9 hours: {ask_page}"
    );
    let waiting = alice.ask(&category, "Exports are empty since today").await;
    let page = alice.get(&waiting).await.text().await.unwrap_or_default();
    assert!(page.contains("Waiting for the team, which usually replies within about 3 hours"));
    owner.answer(&waiting, "Fixed now, sorry about that.").await;
    let page = alice.get(&waiting).await.text().await.unwrap_or_default();
    assert!(
        !page.contains("Waiting for the team"),
        "answered: no longer waiting"
    );
}
