//! The staff queue: which threads wait for the team (a customer wrote last), oldest first, with
//! waiting time in business hours; assignment, waiting on the customer, done; who may see it;
//! the owner's business hours.

use reqwest::StatusCode;
use stoa_accounts::Role;
use stoa_db::diesel::prelude::*;
use stoa_db::schema::threads;
use stoa_db::time::now;

use crate::common::{Browser, TestApp, between, location};
use crate::on_both_backends;

on_both_backends!(
    the_queue_holds_what_waits_for_the_team,
    waiting_counts_business_hours_and_marks_overdue,
    staff_assign_and_set_threads_aside,
    business_hours_are_the_owners_to_set,
);

/// The titles listed in the queue at `path`, in order.
async fn listed(browser: &Browser, path: &str) -> Vec<String> {
    let page = browser.get(path).await.text().await.unwrap_or_default();
    let Some(list) = between(&page, "<ul class=\"queue\">", "</ul>\n") else {
        return Vec::new();
    };
    list.split("<div class=\"queue-main\">")
        .skip(1)
        .filter_map(|item| between(item, "\">", "</a>").map(str::to_owned))
        .collect()
}

async fn the_queue_holds_what_waits_for_the_team(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let alice = app.signed_in("alice", Role::Member).await;
    let bob = app.signed_in("bob", Role::Member).await;
    let sam = app.signed_in("sam", Role::Staff).await;
    let first = alice.ask(&category, "Export to CSV fails").await;
    let second = bob.ask(&category, "Dark mode for the app").await;
    sam.ask(&category, "Release notes for December").await;
    assert_eq!(
        listed(&sam, "/staff/queue").await,
        ["Export to CSV fails", "Dark mode for the app"],
        "customers' questions, oldest first; the team's own is not waiting"
    );

    // Another customer's answer keeps it waiting; the team's comment ends the wait.
    bob.answer(&first, "Same here since Tuesday.").await;
    assert_eq!(listed(&sam, "/staff/queue").await.len(), 2);
    sam.comment_on_question(&first, "We are looking at it.")
        .await;
    assert_eq!(
        listed(&sam, "/staff/queue").await,
        ["Dark mode for the app"]
    );
    // The customer writes again: it waits again, since then (so after the other one).
    alice.comment_on_question(&first, "Any news?").await;
    assert_eq!(
        listed(&sam, "/staff/queue").await,
        ["Dark mode for the app", "Export to CSV fails"]
    );
    // The owner's answer is the team's too.
    owner.answer(&second, "It is on the roadmap.").await;
    assert_eq!(listed(&sam, "/staff/queue").await, ["Export to CSV fails"]);

    // Only the team sees the queue.
    assert_eq!(
        alice.get("/staff/queue").await.status(),
        StatusCode::FORBIDDEN
    );
    let guest = app.browser().get("/staff/queue").await;
    assert_eq!(guest.status(), StatusCode::SEE_OTHER);
    assert!(location(&guest).starts_with("/login"));
    let header = sam.get("/").await.text().await.unwrap_or_default();
    assert!(header.contains("href=\"/staff/queue\""));
    let header = alice.get("/").await.text().await.unwrap_or_default();
    assert!(!header.contains("href=\"/staff/queue\""));

    // Filters: another category lists nothing; an unknown tag lists nothing.
    assert_eq!(
        listed(&sam, &format!("/staff/queue?category={category}")).await,
        ["Export to CSV fails"]
    );
    assert!(listed(&sam, "/staff/queue?category=999").await.is_empty());
    assert!(listed(&sam, "/staff/queue?tag=nosuchtag").await.is_empty());
}

async fn waiting_counts_business_hours_and_marks_overdue(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let alice = app.signed_in("alice", Role::Member).await;
    let sam = app.signed_in("sam", Role::Staff).await;
    let old = alice
        .ask(&category, "Password reset mail never arrives")
        .await;
    alice.ask(&category, "How do I change my avatar").await;
    // A week ago to the minute: whatever today is, that is one whole working week, 5 × 8 h
    // (Monday to Friday, 09:00–17:00 UTC, the default).
    let id: i64 = old
        .split('/')
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    let week_ago = now() - time::Duration::days(7);
    app.write(move |conn| {
        stoa_db::diesel::update(threads::table.find(stoa_db::ThreadId(id)))
            .set(threads::waiting_since.eq(Some(week_ago)))
            .execute(conn)
            .map_err(stoa_db::Error::from)
    })
    .await;
    let page = sam
        .get("/staff/queue")
        .await
        .text()
        .await
        .unwrap_or_default();
    let overdue = between(&page, "<li class=\"queue-item overdue\"", "</li>").unwrap_or_default();
    assert!(
        overdue.contains("Password reset mail never arrives"),
        "{page}"
    );
    assert!(
        overdue.contains("<strong>Overdue:</strong> waiting 40 h<"),
        "{overdue}"
    );
    let fresh = page
        .split("<li class=\"queue-item\"")
        .nth(1)
        .unwrap_or_default();
    assert!(fresh.contains("How do I change my avatar") && !fresh.contains("Overdue"));
}

async fn staff_assign_and_set_threads_aside(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let alice = app.signed_in("alice", Role::Member).await;
    let sam = app.signed_in("sam", Role::Staff).await;
    app.signed_in("tina", Role::Staff).await;
    let thread = alice.ask(&category, "Invoice total is wrong").await;
    let id = thread.split('/').nth(2).unwrap_or_default().to_owned();
    let page = sam
        .get("/staff/queue")
        .await
        .text()
        .await
        .unwrap_or_default();
    let tina = between(&page, "<option value=\"", "\">tina<")
        .and_then(|s| s.rsplit('"').next())
        .unwrap_or_default()
        .to_owned();
    assert!(!tina.is_empty(), "tina is on the team list: {page}");

    let act = |fields: Vec<(&'static str, String)>| {
        let sam = &sam;
        let id = id.clone();
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            sam.act("/staff/queue", &format!("/staff/queue/{id}"), &fields)
                .await
        }
    };
    let assigned = act(vec![("action", "assign".into()), ("member", tina.clone())]).await;
    assert_eq!(assigned.status(), StatusCode::SEE_OTHER);
    let page = sam
        .get("/staff/queue")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(page.contains("assigned to tina"), "{page}");
    let tina_browser = app.browser();
    tina_browser.log_in("tina", crate::common::PASSWORD).await;
    let notes = tina_browser
        .get("/notifications")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(notes.contains("sam assigned you to"), "{notes}");

    // Only the team can be assigned.
    let alice_id = app
        .db
        .run(|conn| {
            stoa_db::schema::users::table
                .filter(stoa_db::schema::users::username.eq("alice"))
                .select(stoa_db::schema::users::id)
                .first::<i64>(conn)
                .map_err(stoa_db::Error::from)
        })
        .await
        .unwrap_or_default();
    let refused = act(vec![
        ("action", "assign".into()),
        ("member", alice_id.to_string()),
    ])
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    // Waiting on the customer: out of the queue until the customer writes again.
    let aside = act(vec![
        ("action", "state".into()),
        ("to", "waiting_on_customer".into()),
    ])
    .await;
    assert_eq!(aside.status(), StatusCode::SEE_OTHER);
    assert!(listed(&sam, "/staff/queue").await.is_empty());
    assert_eq!(
        listed(&sam, "/staff/queue?state=waiting_on_customer").await,
        ["Invoice total is wrong"]
    );
    alice
        .comment_on_question(&thread, "Here is the invoice number: 1042.")
        .await;
    assert_eq!(
        listed(&sam, "/staff/queue").await,
        ["Invoice total is wrong"]
    );

    let done = act(vec![("action", "state".into()), ("to", "done".into())]).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert!(listed(&sam, "/staff/queue").await.is_empty());
    assert_eq!(
        listed(&sam, "/staff/queue?state=done").await,
        ["Invoice total is wrong"]
    );
    let member = alice
        .act(
            &thread,
            &format!("/staff/queue/{id}"),
            &[("action", "state"), ("to", "done")],
        )
        .await;
    assert_eq!(member.status(), StatusCode::FORBIDDEN);
}

async fn business_hours_are_the_owners_to_set(app: TestApp) {
    let (owner, _category) = app.with_category().await;
    let sam = app.signed_in("sam", Role::Staff).await;
    assert_eq!(
        sam.get("/admin/business-hours").await.status(),
        StatusCode::FORBIDDEN
    );
    let saved = owner
        .act(
            "/admin/business-hours",
            "/admin/business-hours",
            &[
                ("zone", "Europe/Berlin"),
                ("day", "1"),
                ("day", "3"),
                ("opens", "08:30"),
                ("closes", "16:00"),
                ("target_hours", "4"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let page = owner
        .get("/admin/business-hours?saved=1")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(page.contains("value=\"Europe/Berlin\""));
    assert!(
        page.contains("name=\"day\" value=\"1\" checked")
            && page.contains("name=\"day\" value=\"3\" checked")
    );
    assert!(!page.contains("name=\"day\" value=\"2\" checked"));
    assert!(page.contains("value=\"08:30\"") && page.contains("value=\"16:00\""));
    let queue = sam
        .get("/staff/queue")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(queue.contains("08:30–16:00, Europe/Berlin") && queue.contains("more than 4 h"));

    let bad = owner
        .act(
            "/admin/business-hours",
            "/admin/business-hours",
            &[
                ("zone", "Mars/Olympus"),
                ("day", "1"),
                ("opens", "09:00"),
                ("closes", "17:00"),
                ("target_hours", "8"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = bad.text().await.unwrap_or_default();
    assert!(text.contains("is not a time zone name"), "{text}");
    assert!(
        text.contains("value=\"Mars/Olympus\""),
        "what was typed is kept"
    );
    let saved = owner
        .get("/admin/business-hours")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        saved.contains("value=\"Europe/Berlin\""),
        "the saved hours stay"
    );
}
