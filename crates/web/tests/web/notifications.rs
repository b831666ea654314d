//! Watching and notifications: who hears of answers, comments, accepted answers and staff
//! answers; the bell's number; opening and marking read; watching tags and categories;
//! posts held for approval announce nothing.

use reqwest::StatusCode;
use stoa_accounts::Role;

use crate::common::{Browser, TestApp, between, hidden, location};
use crate::on_both_backends;

on_both_backends!(
    answers_comments_and_accepts_reach_each_watcher_once,
    the_asker_hears_of_a_staff_answer_as_the_teams,
    watching_a_tag_or_category_brings_its_new_questions,
    unwatching_a_thread_stops_its_notifications,
    a_post_held_for_approval_announces_nothing,
    notifications_are_private_and_forms_are_checked,
    mentions_link_members_and_notify_them_once,
    flaggers_hear_of_the_decision,
);

/// The number on `browser`'s bell (0 when none is shown).
async fn bell(browser: &Browser) -> u32 {
    let page = browser.get("/").await.text().await.unwrap_or_default();
    assert!(page.contains("href=\"/notifications\""), "no bell: {page}");
    between(&page, "<span class=\"bell-count\">", "</span>")
        .map_or(0, |n| n.parse().unwrap_or_else(|_| panic!("bell {n:?}")))
}

/// The notifications page's list, one line of text per notification, newest first.
async fn notifications(browser: &Browser) -> Vec<String> {
    let page = browser
        .get("/notifications")
        .await
        .text()
        .await
        .unwrap_or_default();
    let list = between(&page, "<ul class=\"notification-list\">", "</ul>").unwrap_or_default();
    list.split("<li")
        .skip(1)
        .map(|item| {
            let text = item.split_once('>').map_or("", |(_, rest)| rest);
            let mut plain = String::new();
            let mut in_tag = false;
            for c in text.split("<time").next().unwrap_or_default().chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => plain.push(c),
                    _ => {}
                }
            }
            plain.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

/// The address of `browser`'s newest notification (which opens it).
async fn newest(browser: &Browser) -> String {
    let page = browser
        .get("/notifications")
        .await
        .text()
        .await
        .unwrap_or_default();
    let id = between(&page, "<a href=\"/notifications/", "\"").unwrap_or_default();
    format!("/notifications/{id}")
}

async fn answers_comments_and_accepts_reach_each_watcher_once(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let alice = app.signed_in("alice", Role::Member).await;
    let bob = app.signed_in("bob", Role::Member).await;
    let carol = app.signed_in("carol", Role::Member).await;
    let thread = alice.ask(&category, "Where do I find old invoices").await;
    assert_eq!(bell(&alice).await, 0);

    // The same answer form sent twice (a double click) is one answer and one notification.
    let page = bob.get(&thread).await.text().await.unwrap_or_default();
    let id = thread.split('/').nth(2).unwrap_or_default();
    let form = [
        ("csrf", hidden(&page, "csrf")),
        ("key", hidden(&page, "key")),
        ("body", "Under Billing, then History.".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut answers = Vec::new();
    for _ in 0..2 {
        let response = bob.post(&format!("/q/{id}/answer"), &form).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        answers.push(location(&response));
    }
    assert_eq!(answers[0], answers[1], "one answer");
    let answer = answers[0]
        .rsplit("#post-")
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(bell(&alice).await, 1);
    assert_eq!(
        notifications(&alice).await,
        ["Unread: bob answered Where do I find old invoices"]
    );
    assert_eq!(bell(&bob).await, 0, "nobody hears of their own answer");

    // A comment reaches the asker and the answerer (who now watches), not its author.
    let question = alice.question_post(&thread).await;
    carol
        .comment(&thread, &question, "Is that for every plan?")
        .await;
    assert_eq!(bell(&alice).await, 2);
    assert_eq!(bell(&bob).await, 1);
    assert_eq!(bell(&carol).await, 0);
    assert_eq!(
        notifications(&bob).await,
        ["Unread: carol commented on Where do I find old invoices"]
    );

    // Accepted, undone, accepted again: the answerer hears of it once.
    for chosen in [answer.as_str(), "", answer.as_str()] {
        let response = alice
            .act(&thread, &format!("/q/{id}/accept"), &[("answer", chosen)])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(bell(&bob).await, 2);
    assert_eq!(
        notifications(&bob).await[0],
        "Unread: alice accepted your answer to Where do I find old invoices"
    );

    // Opening one marks it read and leads to the post; it is nobody else's to open.
    let first = newest(&bob).await;
    assert_eq!(carol.get(&first).await.status(), StatusCode::NOT_FOUND);
    let opened = bob.get(&first).await;
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&opened), format!("{thread}#post-{answer}"));
    assert_eq!(bell(&bob).await, 1);
    let opened_again = bob.get(&first).await;
    assert_eq!(opened_again.status(), StatusCode::SEE_OTHER);
    assert_eq!(bell(&bob).await, 1, "opening twice counts once");

    let response = alice
        .act("/notifications", "/notifications/read", &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(bell(&alice).await, 0);
    assert!(
        notifications(&alice)
            .await
            .iter()
            .all(|n| !n.starts_with("Unread")),
        "all read"
    );
}

async fn the_asker_hears_of_a_staff_answer_as_the_teams(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let alice = app.signed_in("alice", Role::Member).await;
    let dave = app.signed_in("dave", Role::Member).await;
    let sam = app.signed_in("sam", Role::Staff).await;
    let thread = alice.ask(&category, "Can I pay by bank transfer").await;
    dave.answer(&thread, "I think so, I did it last year.")
        .await;
    sam.answer(&thread, "Yes: choose Invoice at checkout.")
        .await;
    assert_eq!(
        notifications(&alice).await[0],
        "Unread: sam answered your question for the team: Can I pay by bank transfer"
    );
    assert_eq!(
        notifications(&dave).await,
        ["Unread: sam answered Can I pay by bank transfer"],
        "other watchers hear of an ordinary answer"
    );
}

/// The watch form's id on `page_path` (a tag's or a category's list).
async fn watch(browser: &Browser, page_path: &str, on: &str) {
    let page = browser
        .get(page_path)
        .await
        .text()
        .await
        .unwrap_or_default();
    let form = between(&page, "<form class=\"watch-form\"", "</form>")
        .unwrap_or_else(|| panic!("no watch form on {page_path}: {page}"));
    let response = browser
        .post(
            "/watch",
            &[
                ("csrf", &hidden(form, "csrf")),
                ("target", &hidden(form, "target")),
                ("id", &hidden(form, "id")),
                ("back", &hidden(form, "back")),
                ("watch", on),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "watching {page_path}"
    );
    assert_eq!(location(&response), page_path);
}

async fn ask_tagged(browser: &Browser, category: &str, title: &str, tags: &str) -> String {
    let response = browser
        .submit(
            "/ask",
            "/ask",
            &[
                ("title", title),
                ("body", &format!("What I would like to know: {title}.")),
                ("category", category),
                ("tags", tags),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "asking {title:?}");
    location(&response)
}

async fn watching_a_tag_or_category_brings_its_new_questions(app: TestApp) {
    let (owner, category) = app.with_category().await;
    ask_tagged(&owner, &category, "Welcome to billing questions", "billing").await;
    let erin = app.signed_in("erin", Role::Member).await;
    let frank = app.signed_in("frank", Role::Member).await;
    let grace = app.signed_in("grace", Role::Member).await;
    let guest_page = app
        .browser()
        .get("/tags/billing")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        !guest_page.contains("watch-form"),
        "guests have no watch button"
    );

    watch(&erin, "/tags/billing", "1").await;
    watch(&frank, "/?category=billing", "1").await;
    let tag_page = erin
        .get("/tags/billing")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(tag_page.contains("You watch this"), "{tag_page}");

    ask_tagged(&grace, &category, "Is VAT shown on invoices", "billing").await;
    grace.ask(&category, "How do refunds work").await;
    assert_eq!(
        notifications(&erin).await,
        ["Unread: grace asked a question you may know about: Is VAT shown on invoices"]
    );
    assert_eq!(bell(&frank).await, 2, "the category brings both");

    // A tag whose name a path must escape is listed with a working address.
    ask_tagged(&owner, &category, "Calling the API from C#", "c#").await;
    watch(&erin, "/tags/c%23", "1").await;
    let listed = erin
        .get("/notifications")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        listed.contains("Tag: <a href=\"/tags/c%23\">c#</a>"),
        "{listed}"
    );
    watch(&erin, "/tags/c%23", "0").await;

    watch(&erin, "/tags/billing", "0").await;
    ask_tagged(&grace, &category, "Invoices in another currency", "billing").await;
    assert_eq!(bell(&erin).await, 1, "nothing new after unwatching");
    assert_eq!(bell(&grace).await, 0, "the asker hears of nothing she did");
}

async fn unwatching_a_thread_stops_its_notifications(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let alice = app.signed_in("alice", Role::Member).await;
    let bob = app.signed_in("bob", Role::Member).await;
    let thread = alice
        .ask(&category, "Can two people share an account")
        .await;
    let page = alice.get(&thread).await.text().await.unwrap_or_default();
    assert!(page.contains("You watch this"), "the asker watches: {page}");

    let id = thread.split('/').nth(2).unwrap_or_default();
    let response = alice
        .act(
            &thread,
            "/watch",
            &[("target", "thread"), ("id", id), ("watch", "0")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    bob.answer(&thread, "Invite the second person as a team member.")
        .await;
    assert_eq!(bell(&alice).await, 0);

    // Watching it again from the notifications page's list works the same way.
    let response = alice
        .act(
            &thread,
            "/watch",
            &[("target", "thread"), ("id", id), ("watch", "1")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let listed = alice
        .get("/notifications")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        listed.contains("Question: <a href=\"/q/") && listed.contains("Can two people share"),
        "{listed}"
    );
    bob.answer(&thread, "Or share the invoice address only.")
        .await;
    assert_eq!(bell(&alice).await, 1);
}

async fn a_post_held_for_approval_announces_nothing(app: TestApp) {
    let app = app
        .another(|s| {
            s.approval_posts = 2;
        })
        .await;
    let (_owner, category) = app.with_category().await;
    let alice = app.signed_in("alice", Role::Member).await;
    let newcomer = app.signed_in("newcomer", Role::Member).await;
    let thread = alice.ask(&category, "Which browsers are supported").await;
    newcomer
        .answer(&thread, "See https://example.com/browsers for the list.")
        .await;
    assert_eq!(bell(&alice).await, 0, "held for approval: not announced");
}

async fn notifications_are_private_and_forms_are_checked(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let alice = app.signed_in("alice", Role::Member).await;
    let thread = alice.ask(&category, "How do I close my account").await;
    let guest = app.browser();
    let response = guest.get("/notifications").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&response).starts_with("/login"),
        "{}",
        location(&response)
    );
    let id = thread.split('/').nth(2).unwrap_or_default();
    let forged = alice
        .post(
            "/watch",
            &[("target", "thread"), ("id", id), ("watch", "0")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let missing = alice
        .act(
            &thread,
            "/watch",
            &[("target", "thread"), ("id", "999999"), ("watch", "1")],
        )
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let odd = alice
        .act(
            &thread,
            "/watch",
            &[("target", "users"), ("id", id), ("watch", "1")],
        )
        .await;
    assert_eq!(odd.status(), StatusCode::BAD_REQUEST);
}

async fn mentions_link_members_and_notify_them_once(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let alice = app.signed_in("alice", Role::Member).await;
    let bob = app.signed_in("bob", Role::Member).await;
    let carol = app.signed_in("carol", Role::Member).await;
    let response = alice
        .submit(
            "/ask",
            "/ask",
            &[
                ("title", "Who knows the export format"),
                (
                    "body",
                    "Maybe @Bob knows, or @nobody. Not `@carol` in code, nor carol@example.com, nor \\@carol.",
                ),
                ("category", &category),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let thread = location(&response);
    let page = bob.get(&thread).await.text().await.unwrap_or_default();
    let question = between(&page, "<div class=\"prose\">", "</div>").unwrap_or_default();
    assert!(
        question.contains(
            r#"<a class="mention" href="/users/bob" rel="nofollow ugc noopener">@bob</a>"#
        ),
        "{question}"
    );
    assert!(question.contains("@nobody") && !question.contains("/users/nobody"));
    assert!(question.contains("<code>@carol</code>"));

    assert_eq!(
        notifications(&bob).await,
        ["Unread: alice mentioned you in Who knows the export format"]
    );
    assert_eq!(
        bell(&carol).await,
        0,
        "code, addresses and escapes mention nobody"
    );
    assert_eq!(
        bell(&alice).await,
        0,
        "nobody is notified of mentioning themselves"
    );

    // A comment's mention leads to the comment; the asker also hears of the comment itself.
    let post = alice.question_post(&thread).await;
    bob.comment(&thread, &post, "@alice it is CSV, see the docs.")
        .await;
    let got = notifications(&alice).await;
    assert_eq!(
        got,
        [
            "Unread: bob mentioned you in Who knows the export format",
            "Unread: bob commented on Who knows the export format"
        ]
    );
    let opened = alice.get(&newest(&alice).await).await;
    assert!(
        location(&opened).contains("#comment-"),
        "{}",
        location(&opened)
    );

    let profile = app.browser().get("/users/bob").await;
    assert_eq!(profile.status(), StatusCode::SEE_OTHER);
    assert!(location(&profile).ends_with("/bob"));
    assert_eq!(
        app.browser().get("/users/nobody").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn flaggers_hear_of_the_decision(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let alice = app.signed_in("alice", Role::Member).await;
    let spammer = app.signed_in("spammer", Role::Member).await;
    let mona = app.signed_in("mona", Role::Moderator).await;
    let thread = alice.ask(&category, "Which plan has SSO").await;
    let spam = spammer
        .answer(&thread, "Cheap watches, write to me for prices.")
        .await;
    let flagged = alice
        .act(
            &format!("/posts/{spam}/flag"),
            &format!("/posts/{spam}/flag"),
            &[("reason", "spam")],
        )
        .await;
    assert_eq!(flagged.status(), StatusCode::SEE_OTHER);
    let before = bell(&alice).await;
    let queue = mona.get("/review").await.text().await.unwrap_or_default();
    let item = between(&queue, "id=\"item-", "\"")
        .unwrap_or_default()
        .to_owned();
    let decided = mona
        .act(
            "/review",
            &format!("/review/{item}"),
            &[("action", "hide"), ("reason", "Advertising")],
        )
        .await;
    assert_eq!(decided.status(), StatusCode::SEE_OTHER);
    assert_eq!(bell(&alice).await, before + 1);
    assert_eq!(
        notifications(&alice).await[0],
        "Unread: mona decided on your flag in Which plan has SSO"
    );
    let opened = alice.get(&newest(&alice).await).await;
    assert_eq!(location(&opened), "/account/flags");
}
