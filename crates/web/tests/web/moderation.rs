//! Moderation over real HTTP: flags and auto-hide, the review queue and its claims, thread
//! actions, suspensions and silences, the audit log, and who may reach each of them.

use reqwest::StatusCode;
use stoa_accounts::Role;

use crate::common::{Browser, TestApp, between, location};
use crate::on_both_backends;

on_both_backends!(
    enough_flags_hide_a_post_until_a_moderator_approves_it,
    a_moderator_hides_or_deletes_and_flaggers_see_it_upheld,
    the_review_queue_gives_each_item_to_one_moderator,
    locked_and_closed_threads_refuse_answers_but_keep_the_text,
    pinning_and_moving_show_on_the_thread,
    a_suspension_ends_sessions_at_once_and_refuses_login,
    a_silenced_member_reads_but_cannot_post,
    moderation_routes_refuse_everyone_else,
    the_audit_log_filters_and_refuses_changes,
    sign_up_refuses_bots_and_disposable_addresses,
    deleting_a_spammer_takes_their_posts_and_their_address,
    new_members_posts_are_limited_and_first_links_wait_for_approval,
    trust_levels_grow_with_activity_and_grant_privileges,
    the_owner_appoints_staff_and_moderators,
    forms_cannot_assign_what_they_do_not_offer,
    the_owner_decides_who_signs_up_and_who_reads,
    a_new_members_first_post_is_screened_like_a_sign_up,
    the_owner_renames_describes_and_reorders_categories,
    hidden_and_held_posts_stay_out_of_search,
);

fn id(url: &str) -> &str {
    url.split('/').nth(2).unwrap_or_default()
}

/// How many lines of an audit log page record `action` (the filter's options name every
/// action too, so a bare `contains` would always match).
fn logged(log: &str, action: &str) -> usize {
    log.matches(&format!("<td>{action}</td>")).count()
}

async fn text(browser: &Browser, path: &str) -> String {
    browser.get(path).await.text().await.unwrap_or_default()
}

async fn flag(browser: &Browser, post: &str, reason: &str, note: &str) -> reqwest::Response {
    let form = format!("/posts/{post}/flag");
    browser
        .act(&form, &form, &[("reason", reason), ("note", note)])
        .await
}

/// The ids of the review items on the moderator's queue page, in order.
async fn queued_items(moderator: &Browser) -> Vec<String> {
    text(moderator, "/review")
        .await
        .split("action=\"/review/")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(str::to_owned))
        .collect()
}

async fn decide(moderator: &Browser, item: &str, action: &str, reason: &str) -> reqwest::Response {
    moderator
        .act(
            "/review",
            &format!("/review/{item}"),
            &[("action", action), ("reason", reason)],
        )
        .await
}

/// A thread by the owner with one answer by `author`; returns (owner, thread URL, answer id).
async fn answered_thread(app: &TestApp, author: &Browser) -> (Browser, String, String) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "How do I export my invoices?").await;
    let answer = author
        .answer(&thread, "Buy cheap watches at spam.example today")
        .await;
    (owner, thread, answer)
}

async fn enough_flags_hide_a_post_until_a_moderator_approves_it(app: TestApp) {
    let app = app.another(|s| s.flags_to_hide = 2).await;
    let author = app.signed_in("author", Role::Member).await;
    let (owner, thread, answer) = answered_thread(&app, &author).await;
    let first = app.signed_in("first", Role::Member).await;
    let second = app.signed_in("second", Role::Member).await;
    // Flags count toward hiding from trust level 1 up; these two earned it.
    for name in ["first", "second"] {
        let id = user_id(&app, name).await;
        let set = act_on(
            &owner,
            &id,
            &[
                ("action", "set_trust"),
                ("level", "1"),
                ("reason", "Known customer"),
            ],
        )
        .await;
        assert_eq!(set.status(), StatusCode::SEE_OTHER);
    }
    let newcomers = [
        app.signed_in("newcomer1", Role::Member).await,
        app.signed_in("newcomer2", Role::Member).await,
    ];
    for newcomer in &newcomers {
        flag(newcomer, &answer, "spam", "").await;
    }
    assert!(
        text(&app.browser(), &thread).await.contains("spam.example"),
        "brand-new accounts cannot hide a post, however many"
    );

    assert_eq!(
        flag(&author, &answer, "spam", "").await.status(),
        StatusCode::FORBIDDEN,
        "nobody flags their own post"
    );
    let refused = flag(&first, &answer, "other", "").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .unwrap_or_default()
            .contains("Say in the note what is wrong")
    );
    let flagged = flag(&first, &answer, "spam", "").await;
    assert_eq!(location(&flagged), "/account/flags?done=flagged");
    // A second flag by the same member (a double click) counts once.
    flag(&first, &answer, "spam", "").await;
    let guest = app.browser();
    assert!(
        text(&guest, &thread).await.contains("spam.example"),
        "one trusted member's flag does not hide a post"
    );
    flag(&second, &answer, "rude", "Insults the asker").await;
    let page = text(&guest, &thread).await;
    assert!(
        !page.contains("spam.example") && page.contains("0 answers"),
        "two trusted members' flags hide it: {page}"
    );
    let own_view = text(&author, &thread).await;
    assert!(
        own_view.contains("spam.example") && own_view.contains("hidden from readers"),
        "its author sees it and why"
    );
    assert!(
        text(&first, "/account/flags")
            .await
            .contains("Waiting for a moderator")
    );

    let moderator = app.signed_in("moderator", Role::Moderator).await;
    let queue = text(&moderator, "/review").await;
    assert!(
        queue.contains("spam.example")
            && queue.contains("hidden from readers")
            && queue.contains("Insults the asker")
            && queue.contains("@first")
            && queue.contains("@second")
            && queue.contains("@author"),
        "the item shows the post, its flags and its author: {queue}"
    );
    let items = queued_items(&moderator).await;
    assert_eq!(items.len(), 1, "one item per post, however many flags");
    let approved = decide(&moderator, &items[0], "approve", "").await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    let page = text(&guest, &thread).await;
    assert!(
        page.contains("spam.example") && page.contains("1 answer"),
        "approved: shown again"
    );
    assert!(
        text(&first, "/account/flags")
            .await
            .contains("Dismissed: a moderator found nothing to act on")
    );
    assert!(text(&moderator, "/review").await.contains("Nothing waits"));
}

async fn a_moderator_hides_or_deletes_and_flaggers_see_it_upheld(app: TestApp) {
    let author = app.signed_in("author", Role::Member).await;
    let (owner, thread, answer) = answered_thread(&app, &author).await;
    let second = author
        .answer(&thread, "Another advert for spam.example")
        .await;
    let member = app.signed_in("member", Role::Member).await;
    flag(&member, &answer, "spam", "").await;
    flag(&member, &second, "spam", "").await;
    assert!(
        text(&app.browser(), &thread).await.contains("spam.example"),
        "one flag (of three needed by default) hides nothing"
    );

    let items = queued_items(&owner).await;
    assert_eq!(items.len(), 2);
    let refused = decide(&owner, &items[0], "hide", " ").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap_or_default().contains("Say why"));
    assert_eq!(
        decide(&owner, &items[0], "hide", "Advertising")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        decide(&owner, &items[1], "delete", "Advertising again")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let page = text(&app.browser(), &thread).await;
    assert!(!page.contains("spam.example") && page.contains("0 answers"));
    let own_view = text(&author, &thread).await;
    assert!(
        own_view.contains("hidden from readers while moderators review it: Advertising"),
        "the author reads the moderator's reason: {own_view}"
    );
    let flags = text(&member, "/account/flags").await;
    assert_eq!(flags.matches("Upheld: a moderator agreed").count(), 2);
    let log = text(&owner, "/admin/audit").await;
    assert!(logged(&log, "Hid a post") > 0 && log.contains("Advertising"));
    assert!(logged(&log, "Deleted a post") > 0 && log.contains("Advertising again"));
}

async fn the_review_queue_gives_each_item_to_one_moderator(app: TestApp) {
    let author = app.signed_in("author", Role::Member).await;
    let (_owner, _thread, answer) = answered_thread(&app, &author).await;
    let member = app.signed_in("member", Role::Member).await;
    flag(&member, &answer, "spam", "").await;

    let first = app.signed_in("first_mod", Role::Moderator).await;
    let second = app.signed_in("second_mod", Role::Moderator).await;
    let items = queued_items(&first).await;
    assert_eq!(items.len(), 1);
    assert!(
        queued_items(&second).await.is_empty(),
        "an item another moderator opened is not shown"
    );
    // Reopening one's own queue keeps the item.
    assert_eq!(queued_items(&first).await, items);
    let late = decide(&second, &items[0], "delete", "Spam").await;
    assert_eq!(late.status(), StatusCode::CONFLICT);
    assert!(
        late.text()
            .await
            .unwrap_or_default()
            .contains("Another moderator has already handled this item.")
    );
    assert_eq!(
        decide(&first, &items[0], "approve", "").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        decide(&first, &items[0], "delete", "Spam").await.status(),
        StatusCode::CONFLICT,
        "a decided item takes no second decision"
    );
    let log = text(&first, "/admin/audit?action=approve_post").await;
    assert_eq!(logged(&log, "Approved a post"), 1);
}

async fn moderate(browser: &Browser, thread: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    browser
        .act(thread, &format!("/q/{}/moderate", id(thread)), fields)
        .await
}

async fn locked_and_closed_threads_refuse_answers_but_keep_the_text(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "Is the API rate limited?").await;
    let member = app.signed_in("member", Role::Member).await;
    let question = member.question_post(&thread).await;

    let refused = moderate(&owner, &thread, &[("action", "lock"), ("reason", "")]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap_or_default().contains("Say why"));
    let locked = moderate(
        &owner,
        &thread,
        &[("action", "lock"), ("reason", "Heated thread")],
    )
    .await;
    assert_eq!(locked.status(), StatusCode::SEE_OTHER);
    let page = text(&member, &thread).await;
    assert!(page.contains("This thread is locked") && !page.contains("Post your answer"));

    let answer = member
        .act(
            &thread,
            &format!("/q/{}/answer", id(&thread)),
            &[("body", "My answer, typed before the lock.")],
        )
        .await;
    assert_eq!(answer.status(), StatusCode::CONFLICT);
    let page = answer.text().await.unwrap_or_default();
    assert!(
        page.contains("A moderator locked this thread")
            && page.contains("My answer, typed before the lock."),
        "refused with the reason, the text kept"
    );
    let comment = member
        .act(
            &thread,
            &format!("/posts/{question}/comments"),
            &[("body", "A comment typed before the lock.")],
        )
        .await;
    assert_eq!(comment.status(), StatusCode::CONFLICT);
    assert!(
        comment
            .text()
            .await
            .unwrap_or_default()
            .contains("A comment typed before the lock.")
    );
    let form = member.get(&format!("/posts/{question}/comments")).await;
    assert_eq!(
        form.status(),
        StatusCode::FORBIDDEN,
        "no comment form in a locked thread"
    );
    assert!(
        form.text()
            .await
            .unwrap_or_default()
            .contains("A moderator locked this thread")
    );
    owner
        .answer(&thread, "Moderators still answer a locked thread.")
        .await;

    moderate(&owner, &thread, &[("action", "unlock")]).await;
    member
        .answer(&thread, "Yes: 100 requests a minute per key.")
        .await;

    let closed = moderate(
        &owner,
        &thread,
        &[("action", "close"), ("reason", "Answered in the docs")],
    )
    .await;
    assert_eq!(closed.status(), StatusCode::SEE_OTHER);
    let page = text(&app.browser(), &thread).await;
    assert!(
        page.contains("This question is closed") && page.contains("Answered in the docs"),
        "{page}"
    );
    let answer = member
        .act(
            &thread,
            &format!("/q/{}/answer", id(&thread)),
            &[("body", "One more answer.")],
        )
        .await;
    assert_eq!(answer.status(), StatusCode::CONFLICT);
    moderate(&owner, &thread, &[("action", "reopen")]).await;
    member.answer(&thread, "One more answer.").await;

    let log = text(&owner, "/admin/audit").await;
    for action in [
        "Locked a thread",
        "Unlocked a thread",
        "Closed a thread",
        "Reopened a thread",
    ] {
        assert_eq!(logged(&log, action), 1, "{action} logged once");
    }
    assert!(log.contains("Heated thread") && log.contains("Is the API rate limited?"));
}

async fn pinning_and_moving_show_on_the_thread(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let created = owner
        .act(
            "/admin/categories",
            "/admin/categories",
            &[("name", "Shipping"), ("description", "Parcels")],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let thread = owner.ask(&category, "Where is my parcel?").await;
    let moderator = app.signed_in("moderator", Role::Moderator).await;
    moderate(&moderator, &thread, &[("action", "pin")]).await;
    // A double click pins once.
    moderate(&moderator, &thread, &[("action", "pin")]).await;
    assert!(
        text(&app.browser(), &thread)
            .await
            .contains("Pinned in Billing")
    );
    let pinned_on = |page: &str| {
        between(page, "id=\"pinned-heading\"", "</section>")
            .is_some_and(|block| block.contains("Where is my parcel?"))
    };
    assert!(pinned_on(&text(&app.browser(), "/?category=billing").await));
    assert!(
        !pinned_on(&text(&app.browser(), "/").await),
        "pinned in its category, not on the home page"
    );

    let page = text(&moderator, &thread).await;
    let shipping = between(&page, "<option value=\"", "\">Shipping")
        .map(|s| s.rsplit('"').next().unwrap_or(s).to_owned())
        .unwrap_or_default();
    let moved = moderate(
        &moderator,
        &thread,
        &[("action", "move"), ("category", shipping.as_str())],
    )
    .await;
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    assert!(
        text(&app.browser(), &thread)
            .await
            .contains("Pinned in Shipping")
    );
    assert!(pinned_on(
        &text(&app.browser(), "/?category=shipping").await
    ));
    assert!(!pinned_on(
        &text(&app.browser(), "/?category=billing").await
    ));
    let bad = moderate(
        &moderator,
        &thread,
        &[("action", "move"), ("category", "99999")],
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text()
            .await
            .unwrap_or_default()
            .contains("That category does not exist.")
    );
    let log = text(&owner, "/admin/audit").await;
    assert_eq!(logged(&log, "Pinned a thread"), 1);
    assert!(logged(&log, "Moved a thread") > 0 && log.contains("to Shipping"));
    assert!(logged(&log, "Created a category") > 0);
}

/// The id of `username`'s account, from their profile link on a thread page.
async fn user_id(app: &TestApp, username: &str) -> String {
    let username = username.to_owned();
    app.db
        .run(move |conn| {
            stoa_accounts::users::find_by_username(conn, &username)
                .map(|u| u.map(|u| u.id.to_string()).unwrap_or_default())
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn act_on(moderator: &Browser, user: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = format!("/admin/users/{user}");
    moderator.act(&page, &page, fields).await
}

async fn a_suspension_ends_sessions_at_once_and_refuses_login(app: TestApp) {
    let member = app.signed_in("member", Role::Member).await;
    let second_device = app.browser();
    second_device
        .log_in("member", crate::common::PASSWORD)
        .await;
    assert_eq!(member.get("/account").await.status(), StatusCode::OK);
    let moderator = app.signed_in("moderator", Role::Moderator).await;
    let member_id = user_id(&app, "member").await;

    let refused = act_on(
        &moderator,
        &member_id,
        &[("action", "suspend"), ("term", "7")],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let suspended = act_on(
        &moderator,
        &member_id,
        &[
            ("action", "suspend"),
            ("term", "7"),
            ("reason", "Repeated spam"),
        ],
    )
    .await;
    assert_eq!(suspended.status(), StatusCode::SEE_OTHER);
    for browser in [&member, &second_device] {
        let account = browser.get("/account").await;
        assert_eq!(
            account.status(),
            StatusCode::SEE_OTHER,
            "every session ends at once"
        );
        assert!(location(&account).starts_with("/login"));
    }
    let login = member.log_in("member", crate::common::PASSWORD).await;
    assert_eq!(login.status(), StatusCode::FORBIDDEN);
    let page = login.text().await.unwrap_or_default();
    assert!(
        page.contains("Your account is suspended until") && page.contains("Repeated spam"),
        "{page}"
    );
    let wrong = app.browser().log_in("member", "not the password").await;
    assert!(
        !wrong.text().await.unwrap_or_default().contains("suspended"),
        "the suspension is told only to someone who knows the password"
    );
    let standing = text(&moderator, &format!("/admin/users/{member_id}")).await;
    assert!(standing.contains("Suspended until") && standing.contains("Repeated spam"));

    act_on(&moderator, &member_id, &[("action", "lift_suspension")]).await;
    let login = member.log_in("member", crate::common::PASSWORD).await;
    assert_eq!(
        login.status(),
        StatusCode::SEE_OTHER,
        "lifted: logs in again"
    );
    let log = text(&moderator, "/admin/audit").await;
    assert!(logged(&log, "Suspended an account") > 0 && logged(&log, "Lifted a suspension") > 0);
}

async fn a_silenced_member_reads_but_cannot_post(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "Can I pay yearly?").await;
    let member = app.signed_in("member", Role::Member).await;
    let member_id = user_id(&app, "member").await;
    let silenced = act_on(
        &owner,
        &member_id,
        &[
            ("action", "silence"),
            ("term", "indefinite"),
            ("reason", "Cooling off"),
        ],
    )
    .await;
    assert_eq!(silenced.status(), StatusCode::SEE_OTHER);

    assert_eq!(member.get(&thread).await.status(), StatusCode::OK);
    let answer = member
        .act(
            &thread,
            &format!("/q/{}/answer", id(&thread)),
            &[("body", "Yes, from the billing page.")],
        )
        .await;
    assert_eq!(answer.status(), StatusCode::CONFLICT);
    let page = answer.text().await.unwrap_or_default();
    assert!(
        page.contains("a moderator silenced it") && page.contains("Yes, from the billing page.")
    );
    let ask = member.get("/ask").await;
    assert_eq!(ask.status(), StatusCode::FORBIDDEN);
    let standing = text(&owner, &format!("/admin/users/{member_id}")).await;
    assert!(standing.contains("Silenced until lifted") && standing.contains("Cooling off"));

    act_on(&owner, &member_id, &[("action", "lift_silence")]).await;
    member.answer(&thread, "Yes, from the billing page.").await;
    let log = text(&owner, "/admin/audit").await;
    assert_eq!(logged(&log, "Silenced an account"), 1);
    assert_eq!(logged(&log, "Lifted a silence"), 1);
    assert!(log.contains("Cooling off"));
}

async fn moderation_routes_refuse_everyone_else(app: TestApp) {
    let author = app.signed_in("author", Role::Member).await;
    let (owner, thread, answer) = answered_thread(&app, &author).await;
    let member = app.signed_in("member", Role::Member).await;
    flag(&member, &answer, "spam", "").await;
    let staff = app.signed_in("staffer", Role::Staff).await;
    let silenced = app.signed_in("quiet", Role::Member).await;
    let quiet_id = user_id(&app, "quiet").await;
    act_on(
        &owner,
        &quiet_id,
        &[("action", "silence"), ("term", "1"), ("reason", "Test")],
    )
    .await;
    let author_id = user_id(&app, "author").await;
    let owner_id = user_id(&app, "owner").await;
    let user_page = format!("/admin/users/{author_id}");
    let thread_moderation = format!("/q/{}/moderate", id(&thread));

    let guest = app.browser();
    for path in [
        "/review",
        "/admin/audit",
        user_page.as_str(),
        "/account/flags",
    ] {
        let response = guest.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "guest {path}");
        assert!(location(&response).starts_with("/login"));
    }
    for (who, browser) in [
        ("member", &member),
        ("staff", &staff),
        ("silenced", &silenced),
    ] {
        for path in [
            "/review",
            "/admin/audit",
            user_page.as_str(),
            "/admin/team",
            "/admin/community",
        ] {
            assert_eq!(
                browser.get(path).await.status(),
                StatusCode::FORBIDDEN,
                "{who} GET {path}"
            );
        }
        let posts: [(&str, Vec<(&str, &str)>); 5] = [
            (
                "/admin/team",
                vec![("username", "member"), ("role", "moderator")],
            ),
            (
                "/admin/community",
                vec![
                    ("registration", "closed"),
                    ("description", "x"),
                    ("rules", "x"),
                ],
            ),
            ("/review/1", vec![("action", "delete"), ("reason", "x")]),
            (
                thread_moderation.as_str(),
                vec![("action", "lock"), ("reason", "x")],
            ),
            (
                user_page.as_str(),
                vec![("action", "suspend"), ("term", "7"), ("reason", "x")],
            ),
        ];
        for (path, fields) in posts {
            assert_eq!(
                browser.act(&thread, path, &fields).await.status(),
                StatusCode::FORBIDDEN,
                "{who} POST {path}"
            );
        }
    }
    assert_eq!(
        silenced
            .get(&format!("/posts/{answer}/flag"))
            .await
            .status(),
        StatusCode::FORBIDDEN,
        "a silenced member cannot flag"
    );

    let moderator = app.signed_in("moderator", Role::Moderator).await;
    assert_eq!(
        moderator
            .get(&format!("/admin/users/{owner_id}"))
            .await
            .status(),
        StatusCode::FORBIDDEN,
        "a moderator cannot act on the owner"
    );
    // Without the form's CSRF token nothing happens.
    let forged = moderator
        .post(
            &thread_moderation,
            &[("action", "lock"), ("reason", "forged")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let forged = moderator
        .post(
            &user_page,
            &[("action", "suspend"), ("term", "7"), ("reason", "forged")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let items = queued_items(&moderator).await;
    let forged = moderator
        .post(
            &format!("/review/{}", items[0]),
            &[("action", "delete"), ("reason", "forged")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let forged = member
        .post(&format!("/posts/{answer}/flag"), &[("reason", "spam")])
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    for (path, fields) in [
        (
            "/admin/team",
            vec![("username", "member"), ("role", "moderator")],
        ),
        ("/admin/community", vec![("registration", "closed")]),
        ("/admin/invites", vec![]),
        (
            "/admin/categories",
            vec![("name", "Forged"), ("description", "")],
        ),
        ("/admin/categories/1", vec![("action", "down")]),
    ] {
        assert_eq!(
            owner.post(path, &fields).await.status(),
            StatusCode::FORBIDDEN,
            "{path} without its CSRF token"
        );
    }
    assert_eq!(
        app.browser().get("/register").await.status(),
        StatusCode::OK,
        "registration stayed open"
    );
    assert_eq!(member.get("/review").await.status(), StatusCode::FORBIDDEN);
    assert!(text(&app.browser(), &thread).await.contains("spam.example"));
    assert!(!text(&owner, "/admin/audit").await.contains("forged"));
}

async fn the_audit_log_filters_and_refuses_changes(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "Do you ship abroad?").await;
    let moderator = app.signed_in("moderator", Role::Moderator).await;
    moderate(&moderator, &thread, &[("action", "pin")]).await;
    moderate(&owner, &thread, &[("action", "lock"), ("reason", "Done")]).await;

    let by_moderator = text(&owner, "/admin/audit?actor=moderator").await;
    assert_eq!(logged(&by_moderator, "Pinned a thread"), 1);
    assert_eq!(logged(&by_moderator, "Locked a thread"), 0);
    let locks = text(&owner, "/admin/audit?action=lock_thread").await;
    assert_eq!(logged(&locks, "Locked a thread"), 1);
    assert_eq!(logged(&locks, "Pinned a thread"), 0);
    assert!(
        text(&owner, "/admin/audit?actor=nobody")
            .await
            .contains("Nobody is called @nobody.")
    );

    let tampered = app
        .db
        .run(|conn| {
            use stoa_db::diesel::RunQueryDsl;
            let update =
                stoa_db::diesel::sql_query("UPDATE audit_log SET reason = 'nothing'").execute(conn);
            let delete = stoa_db::diesel::sql_query("DELETE FROM audit_log").execute(conn);
            Ok::<_, stoa_db::Error>((update.is_err(), delete.is_err()))
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        tampered,
        (true, true),
        "the database refuses to change the log"
    );
    assert!(text(&owner, "/admin/audit").await.contains("Done"));
}

async fn sign_up(browser: &Browser, username: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let email = format!("{username}@example.com");
    let mut fields = vec![
        ("username", username),
        ("email", email.as_str()),
        ("password", crate::common::PASSWORD),
    ];
    fields.extend_from_slice(extra);
    browser.submit("/register", "/register", &fields).await
}

async fn sign_up_refuses_bots_and_disposable_addresses(app: TestApp) {
    let page = text(&app.browser(), "/register").await;
    assert!(
        page.contains("name=\"website\"") && page.contains("aria-hidden=\"true\""),
        "the honeypot is on the form, hidden from people and screen readers"
    );
    let bot = sign_up(
        &app.browser(),
        "robot",
        &[("website", "http://spam.example")],
    )
    .await;
    assert_eq!(bot.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bot.text()
            .await
            .unwrap_or_default()
            .contains("Your sign-up could not be accepted.")
    );
    let throwaway = app.browser();
    let email = "someone@mailinator.com";
    let response = throwaway
        .submit(
            "/register",
            "/register",
            &[
                ("username", "someone"),
                ("email", email),
                ("password", crate::common::PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap_or_default();
    assert!(page.contains("disposable mail services") && page.contains(email));
    assert_eq!(
        sign_up(&app.browser(), "person", &[]).await.status(),
        StatusCode::SEE_OTHER,
        "a person's sign-up goes through"
    );

    let patient = app.another(|s| s.min_fill_seconds = 2).await;
    // A time token not signed by this installation.
    let forged = patient.browser();
    let csrf = forged.guest_token().await;
    let response = forged
        .post(
            "/register",
            &[
                ("csrf", csrf.as_str()),
                ("shown", "1000000000.forged"),
                ("username", "forger"),
                ("email", "forger@example.com"),
                ("password", crate::common::PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let hasty = sign_up(&patient.browser(), "hasty", &[]).await;
    assert_eq!(hasty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        hasty
            .text()
            .await
            .unwrap_or_default()
            .contains("faster than a person")
    );
    let browser = patient.browser();
    let page = text(&browser, "/register").await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let response = browser
        .post(
            "/register",
            &[
                ("csrf", crate::common::hidden(&page, "csrf").as_str()),
                ("shown", crate::common::hidden(&page, "shown").as_str()),
                ("username", "patient"),
                ("email", "patient@example.com"),
                ("password", crate::common::PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "waited long enough"
    );
}

async fn deleting_a_spammer_takes_their_posts_and_their_address(app: TestApp) {
    let spammer = app.browser();
    assert_eq!(
        sign_up(&spammer, "spammer", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let (owner, thread, answer) = answered_thread(&app, &spammer).await;
    let own_thread = {
        let page = text(&owner, "/ask").await;
        let id = page
            .split("<option value=\"")
            .nth(2)
            .and_then(|s| s.split('"').next())
            .unwrap_or_default()
            .to_owned();
        spammer.ask(&id, "Cheap watches for everyone").await
    };
    let member = app.signed_in("member", Role::Member).await;
    flag(&member, &answer, "spam", "").await;
    let spammer_id = user_id(&app, "spammer").await;
    let moderator = app.signed_in("moderator", Role::Moderator).await;

    let first_step = act_on(
        &moderator,
        &spammer_id,
        &[("action", "delete_spammer"), ("reason", "Watch adverts")],
    )
    .await;
    assert_eq!(first_step.status(), StatusCode::OK);
    let page = first_step.text().await.unwrap_or_default();
    assert!(
        page.contains("Are you sure?") && page.contains("all 2 visible posts"),
        "{page}"
    );
    assert!(
        text(&app.browser(), &thread).await.contains("spam.example"),
        "nothing happens before the confirmation"
    );
    let confirmed = act_on(
        &moderator,
        &spammer_id,
        &[
            ("action", "delete_spammer"),
            ("reason", "Watch adverts"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);

    let guest = app.browser();
    let page = text(&guest, &thread).await;
    assert!(!page.contains("spam.example") && page.contains("0 answers"));
    assert_eq!(guest.get(&own_thread).await.status(), StatusCode::NOT_FOUND);
    assert!(text(&moderator, "/review").await.contains("Nothing waits"));
    assert!(
        text(&member, "/account/flags")
            .await
            .contains("Upheld: a moderator agreed")
    );
    assert_eq!(
        spammer.get("/account").await.status(),
        StatusCode::SEE_OTHER,
        "their session ended"
    );
    assert_eq!(
        spammer
            .log_in("spammer", crate::common::PASSWORD)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let again = app
        .browser()
        .submit(
            "/register",
            "/register",
            &[
                ("username", "spammer2"),
                ("email", "spammer@example.com"),
                ("password", crate::common::PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again
            .text()
            .await
            .unwrap_or_default()
            .contains("This address cannot be used to sign up here.")
    );
    let log = text(&owner, "/admin/audit").await;
    assert_eq!(logged(&log, "Deleted a spammer"), 1);
}

async fn new_members_posts_are_limited_and_first_links_wait_for_approval(app: TestApp) {
    let app = app
        .another(|s| {
            s.post_gap_seconds = [30, 0, 0, 0];
            s.max_links = [2, 0, 0, 0];
            s.approval_posts = 1;
        })
        .await;
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "Which plan includes SSO?").await;
    let newcomer = app.signed_in("newcomer", Role::Member).await;
    let answer_path = format!("/q/{}/answer", id(&thread));
    let post = |body: &'static str| {
        let newcomer = &newcomer;
        let (thread, answer_path) = (thread.clone(), answer_path.clone());
        async move { newcomer.act(&thread, &answer_path, &[("body", body)]).await }
    };

    let too_many = post("See https://a.example, https://b.example and www.c.example").await;
    assert_eq!(too_many.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = too_many.text().await.unwrap_or_default();
    assert!(
        page.contains("at most 2 links (this one has 3)") && page.contains("www.c.example"),
        "refused with the reason, the text kept"
    );

    let held = post("The Business plan has it: https://a.example/pricing").await;
    assert_eq!(held.status(), StatusCode::SEE_OTHER);
    let guest_page = text(&app.browser(), &thread).await;
    assert!(
        !guest_page.contains("a.example/pricing"),
        "held from readers"
    );
    let own_view = text(&newcomer, &thread).await;
    assert!(own_view.contains("checked by a moderator before others see them"));

    let again = post("And the Enterprise plan has it too, of course.").await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again
            .text()
            .await
            .unwrap_or_default()
            .contains("at least 30 seconds apart")
    );

    let queue = text(&owner, "/review").await;
    assert!(
        queue.contains("first post, held until approved") && queue.contains("a.example/pricing")
    );
    let items = queued_items(&owner).await;
    assert_eq!(
        decide(&owner, &items[0], "approve", "").await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(
        text(&app.browser(), &thread)
            .await
            .contains("a.example/pricing"),
        "approved: out for everyone"
    );

    // Staff are not limited, and the same text twice is refused for members.
    let staff = app.signed_in("staffer", Role::Staff).await;
    staff
        .answer(&thread, "Both plans: https://a.example/sso")
        .await;
    staff
        .answer(&thread, "Also the Team plan: https://a.example/team")
        .await;
    let regular = app.another(|s| s.post_gap_seconds = [0; 4]).await;
    let (owner2, category2) = regular.with_category().await;
    let thread2 = owner2.ask(&category2, "Is there an API?").await;
    let member = regular.signed_in("member", Role::Member).await;
    member
        .answer(&thread2, "Yes, a REST API for everything.")
        .await;
    let repeat = member
        .act(
            &thread2,
            &format!("/q/{}/answer", id(&thread2)),
            &[("body", "Yes, a REST API for everything.")],
        )
        .await;
    assert_eq!(repeat.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        repeat
            .text()
            .await
            .unwrap_or_default()
            .contains("You posted this same text a few minutes ago")
    );
}

async fn trust_levels_grow_with_activity_and_grant_privileges(app: TestApp) {
    let app = app
        .another(|s| {
            s.trust_visit_days = [1, 1, 1];
            s.trust_posts_read = [1, 1, 1];
            s.trust_posts = [1, 2, 3];
            s.trust_accepted = [0, 1, 1];
        })
        .await;
    let (owner, category) = app.with_category().await;
    let member = app.signed_in("member", Role::Member).await;
    let member_id = user_id(&app, "member").await;
    let level = |page: String| {
        between(&page, "<p>Level ", ",")
            .unwrap_or_default()
            .to_owned()
    };
    let account = format!("/admin/users/{member_id}");
    assert_eq!(level(text(&owner, &account).await), "0");

    let first = owner.ask(&category, "How do refunds work?").await;
    let answer = member
        .answer(&first, "Within 30 days, from the billing page.")
        .await;
    assert_eq!(
        level(text(&owner, &account).await),
        "0",
        "a day visited and a post, but no posts read yet"
    );
    // Reading counts once the node writes its counts (every 30 seconds; here at once).
    app.views
        .flush(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let second = owner.ask(&category, "Can I change my username?").await;
    member.answer(&second, "Yes, on your account page.").await;
    assert_eq!(
        level(text(&owner, &account).await),
        "1",
        "read, visited, posted; level 2 needs an accepted answer"
    );
    owner
        .act(
            &first,
            &format!("/q/{}/accept", id(&first)),
            &[("answer", answer.as_str())],
        )
        .await;
    assert_eq!(level(text(&owner, &account).await), "2");

    // Level 3 may edit others' posts: before it, refused.
    let owners_question = member.question_post(&second).await;
    assert_eq!(
        member
            .get(&format!("/posts/{owners_question}/edit"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let third = owner.ask(&category, "Where are invoices?").await;
    member.answer(&third, "Under billing, then history.").await;
    assert_eq!(level(text(&owner, &account).await), "3");
    assert_eq!(
        member
            .get(&format!("/posts/{owners_question}/edit"))
            .await
            .status(),
        StatusCode::OK,
        "trust level 3 edits others' posts"
    );

    // A level set by hand stays: activity no longer moves it.
    act_on(
        &owner,
        &member_id,
        &[
            ("action", "set_trust"),
            ("level", "0"),
            ("reason", "Reset after complaints"),
        ],
    )
    .await;
    let fourth = owner.ask(&category, "Is there a mobile app?").await;
    member.answer(&fourth, "Yes, for iOS and Android.").await;
    let page = text(&owner, &account).await;
    assert_eq!(level(page.clone()), "0");
    assert!(page.contains("set by a moderator"));
    let log = text(&owner, "/admin/audit").await;
    assert!(
        logged(&log, "Set a trust level") > 0 && log.contains("level 0: Reset after complaints")
    );
}

async fn the_owner_appoints_staff_and_moderators(app: TestApp) {
    let (owner, _category) = app.with_category().await;
    let helper = app.signed_in("helper", Role::Member).await;
    assert_eq!(helper.get("/review").await.status(), StatusCode::FORBIDDEN);
    let appointed = owner
        .act(
            "/admin/team",
            "/admin/team",
            &[("username", "@helper"), ("role", "moderator")],
        )
        .await;
    assert_eq!(appointed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        helper.get("/review").await.status(),
        StatusCode::OK,
        "a moderator at once, on the next request"
    );
    let team = text(&owner, "/admin/team").await;
    assert!(team.contains("@helper") && team.contains("moderator"));
    let unknown = owner
        .act(
            "/admin/team",
            "/admin/team",
            &[("username", "nobody"), ("role", "staff")],
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown
            .text()
            .await
            .unwrap_or_default()
            .contains("Nobody is called @nobody.")
    );
    let owner_id = user_id(&app, "owner").await;
    let demote_owner = owner
        .act(
            "/admin/team",
            "/admin/team",
            &[("username", "owner"), ("role", "member")],
        )
        .await;
    assert_eq!(demote_owner.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        owner
            .get(&format!("/admin/users/{owner_id}"))
            .await
            .status(),
        StatusCode::FORBIDDEN,
        "nobody moderates the owner's account"
    );

    // A moderator does not appoint.
    let member = app.signed_in("member", Role::Member).await;
    let member_id = user_id(&app, "member").await;
    assert_eq!(
        helper.get("/admin/team").await.status(),
        StatusCode::FORBIDDEN
    );
    let refused = act_on(
        &helper,
        &member_id,
        &[("action", "set_role"), ("role", "moderator")],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(member.get("/review").await.status(), StatusCode::FORBIDDEN);

    let log = text(&owner, "/admin/audit?action=change_role").await;
    assert_eq!(logged(&log, "Changed a role"), 1);
    assert!(log.contains("member to moderator"));
}

async fn forms_cannot_assign_what_they_do_not_offer(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let browser = app.browser();
    let signed_up = browser
        .submit(
            "/register",
            "/register",
            &[
                ("username", "mallory"),
                ("email", "mallory@example.com"),
                ("password", crate::common::PASSWORD),
                ("role", "owner"),
                ("trust_level", "3"),
                ("email_verified_at", "2026-01-01T00:00:00"),
            ],
        )
        .await;
    assert_eq!(signed_up.status(), StatusCode::SEE_OTHER);
    assert_eq!(browser.get("/review").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        browser.get("/admin/categories").await.status(),
        StatusCode::FORBIDDEN
    );
    let mallory = user_id(&app, "mallory").await;
    let account = text(&owner, &format!("/admin/users/{mallory}")).await;
    assert!(account.contains("<p>Level 0,") && account.contains("(now member)"));

    let owner_id = user_id(&app, "owner").await;
    let thread = owner.ask(&category, "Do you offer discounts?").await;
    let answered = browser
        .submit(
            &thread,
            &format!("/q/{}/answer", id(&thread)),
            &[
                ("body", "Yes, for non-profits."),
                ("author_id", owner_id.as_str()),
                ("score", "100"),
            ],
        )
        .await;
    assert_eq!(answered.status(), StatusCode::SEE_OTHER);
    let page = text(&app.browser(), &thread).await;
    let answer = page
        .split("<article class=\"post answer")
        .nth(1)
        .unwrap_or_default();
    assert!(
        answer.contains("@mallory") && !answer.contains("@owner"),
        "the author is who posted"
    );
    assert!(
        between(answer, "<span class=\"score\" title=\"Score\">", "<")
            .is_some_and(|score| score == "0")
    );
    let asked = browser
        .submit(
            "/ask",
            "/ask",
            &[
                ("title", "Is my question pinned?"),
                ("body", "Asked with extra fields in the form."),
                ("category", category.as_str()),
                ("pinned", "1"),
                ("locked", "1"),
                ("accepted_answer_id", "1"),
            ],
        )
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let page = text(&app.browser(), &location(&asked)).await;
    assert!(!page.contains("Pinned in") && !page.contains("This thread is locked"));
    assert!(!page.contains("Solved"));
}

async fn set_community(owner: &Browser, registration: &str, login_required: bool) {
    let mut fields = vec![
        ("registration", registration),
        ("name", "Acme Help Centre"),
        ("description", "Help for Acme customers"),
        ("rules", "1. Be kind.\n2. **No adverts.**"),
    ];
    if login_required {
        fields.push(("login_required", "on"));
    }
    let saved = owner
        .act("/admin/community", "/admin/community", &fields)
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER, "{registration}");
}

async fn the_owner_decides_who_signs_up_and_who_reads(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "What are your opening hours?").await;
    let member = app.signed_in("member", Role::Member).await;
    assert_eq!(
        member.get("/admin/community").await.status(),
        StatusCode::FORBIDDEN,
        "only the owner changes the settings"
    );

    set_community(&owner, "closed", false).await;
    let closed = app.browser().get("/register").await;
    assert_eq!(closed.status(), StatusCode::FORBIDDEN);
    assert!(
        closed
            .text()
            .await
            .unwrap_or_default()
            .contains("not taking new sign-ups")
    );

    set_community(&owner, "invite", false).await;
    assert_eq!(
        app.browser().get("/register").await.status(),
        StatusCode::FORBIDDEN
    );
    let staff = app.signed_in("staffer", Role::Staff).await;
    assert_eq!(
        member.get("/admin/invites").await.status(),
        StatusCode::FORBIDDEN,
        "members do not invite"
    );
    let made = staff.act("/admin/invites", "/admin/invites", &[]).await;
    assert_eq!(made.status(), StatusCode::OK);
    let page = made.text().await.unwrap_or_default();
    let link = between(&page, "<code class=\"invite-link\">", "</code>")
        .unwrap_or_default()
        .replace("&#x3D;", "=")
        .replace("&amp;", "&");
    let path = link.trim_start_matches(&app.base).to_owned();
    assert!(path.starts_with("/register?invite="), "{link}");
    let invited = app.browser();
    assert_eq!(
        sign_up(&invited, "invited", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    let invite = path.trim_start_matches("/register?invite=").to_owned();
    let signed_up = invited
        .submit(
            &path,
            "/register",
            &[
                ("invite", invite.as_str()),
                ("username", "invited"),
                ("email", "invited@example.com"),
                ("password", crate::common::PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        signed_up.status(),
        StatusCode::SEE_OTHER,
        "the invitation works"
    );
    assert_eq!(
        app.browser().get(&path).await.status(),
        StatusCode::FORBIDDEN,
        "once"
    );

    set_community(&owner, "approval", false).await;
    let newbie = app.browser();
    assert_eq!(
        sign_up(&newbie, "newbie", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let answer = newbie
        .act(
            &thread,
            &format!("/q/{}/answer", id(&thread)),
            &[("body", "Nine to five, Monday to Friday.")],
        )
        .await;
    assert_eq!(answer.status(), StatusCode::CONFLICT);
    assert!(
        answer
            .text()
            .await
            .unwrap_or_default()
            .contains("has not approved it yet")
    );
    let queue = text(&owner, "/review").await;
    assert!(queue.contains("New accounts waiting for approval") && queue.contains("@newbie"));
    let newbie_id = user_id(&app, "newbie").await;
    assert_eq!(
        act_on(&owner, &newbie_id, &[("action", "approve")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    newbie
        .answer(&thread, "Nine to five, Monday to Friday.")
        .await;

    // Reading needs an account: guests reach only the log-in page and the rules, even for a
    // page cached while it was public.
    let guest = app.browser();
    assert_eq!(guest.get(&thread).await.status(), StatusCode::OK);
    set_community(&owner, "open", true).await;
    for path in [thread.as_str(), "/", "/search?q=hours", "/tags/billing"] {
        let response = guest.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&response).starts_with("/login?next="), "{path}");
    }
    let api = guest.get("/api/v1/similar?title=opening+hours").await;
    assert_ne!(api.status(), StatusCode::OK, "nor the API");
    assert_eq!(guest.get("/login").await.status(), StatusCode::OK);
    let rules = text(&guest, "/rules").await;
    assert!(rules.contains("<strong>No adverts.</strong>"), "{rules}");
    assert!(
        rules.contains("<a class=\"brand\" href=\"/\">Acme Help Centre</a>"),
        "the owner's name for the community is in the header"
    );
    assert_eq!(
        member.get(&thread).await.status(),
        StatusCode::OK,
        "members read on"
    );

    let log = text(&owner, "/admin/audit?action=change_setting").await;
    assert!(logged(&log, "Changed a setting") >= 5);
    assert!(log.contains("login required to read") && log.contains("approval"));
    assert!(
        logged(
            &text(&owner, "/admin/audit?action=approve_account").await,
            "Approved an account"
        ) == 1
    );
}

async fn a_new_members_first_post_is_screened_like_a_sign_up(app: TestApp) {
    let app = app.another(|s| s.min_fill_seconds = 2).await;
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "Can I export to CSV?").await;
    let answer_path = format!("/q/{}/answer", id(&thread));
    let newcomer = app.signed_in("newcomer", Role::Member).await;
    let page = text(&newcomer, &thread).await;
    assert!(
        page.contains("name=\"website\""),
        "the honeypot is on a new member's form"
    );
    assert!(
        !text(&owner, &thread).await.contains("name=\"website\""),
        "and not on the owner's"
    );
    let hasty = newcomer
        .act(
            &thread,
            &answer_path,
            &[("body", "Yes, from the reports page.")],
        )
        .await;
    assert_eq!(hasty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = hasty.text().await.unwrap_or_default();
    assert!(
        refused.contains("faster than a person") && refused.contains("Yes, from the reports page."),
        "refused, the text kept"
    );
    let bot = newcomer
        .act(
            &thread,
            &answer_path,
            &[("body", "Cheap watches here."), ("website", "spam.example")],
        )
        .await;
    assert_eq!(bot.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let form = text(&newcomer, &thread).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let posted = newcomer
        .post(
            &answer_path,
            &[
                ("csrf", crate::common::hidden(&form, "csrf").as_str()),
                ("shown", crate::common::hidden(&form, "shown").as_str()),
                ("key", crate::common::hidden(&form, "key").as_str()),
                ("body", "Yes, from the reports page."),
            ],
        )
        .await;
    assert_eq!(posted.status(), StatusCode::SEE_OTHER, "a person's pace");
    let second = newcomer
        .act(
            &thread,
            &answer_path,
            &[("body", "Also as Excel, since last month.")],
        )
        .await;
    assert_eq!(
        second.status(),
        StatusCode::SEE_OTHER,
        "only the first post is screened"
    );
}

async fn the_owner_renames_describes_and_reorders_categories(app: TestApp) {
    let (owner, billing) = app.with_category().await;
    owner
        .act(
            "/admin/categories",
            "/admin/categories",
            &[("name", "Shipping"), ("description", "Parcels")],
        )
        .await;
    let options = |page: String| -> Vec<String> {
        page.split("<option value=\"")
            .skip(2)
            .filter_map(|o| between(o, ">", "<").map(str::to_owned))
            .collect()
    };
    assert_eq!(options(text(&owner, "/ask").await), ["Billing", "Shipping"]);

    let path = format!("/admin/categories/{billing}");
    let renamed = owner
        .act(
            "/admin/categories",
            &path,
            &[
                ("action", "save"),
                ("name", "Invoices"),
                ("description", "Invoices, receipts and refunds"),
            ],
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::SEE_OTHER);
    let taken = owner
        .act(
            "/admin/categories",
            &path,
            &[
                ("action", "save"),
                ("name", "Shipping"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        taken
            .text()
            .await
            .unwrap_or_default()
            .contains("already exists")
    );
    owner
        .act("/admin/categories", &path, &[("action", "down")])
        .await;
    assert_eq!(
        options(text(&owner, "/ask").await),
        ["Shipping", "Invoices"]
    );
    let settings = text(&owner, "/admin/categories").await;
    assert!(
        settings.contains("Invoices, receipts and refunds")
            && settings.contains("<code>invoices</code>")
    );

    let member = app.signed_in("member", Role::Member).await;
    let refused = member.act("/ask", &path, &[("action", "up")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let log = text(&owner, "/admin/audit?action=change_category").await;
    assert_eq!(logged(&log, "Changed a category"), 2);
    assert!(log.contains("was Billing; now Invoices") && log.contains("moved down"));
}

/// Whether a guest's search for `word` lists `thread`.
async fn found(app: &TestApp, word: &str, thread: &str) -> bool {
    let page = text(&app.browser(), &format!("/search?q={word}")).await;
    page.contains(&format!("href=\"{thread}\""))
}

async fn hidden_and_held_posts_stay_out_of_search(app: TestApp) {
    let app = app.another(|s| s.approval_posts = 1).await;
    let author = app.signed_in("author", Role::Member).await;
    let (owner, thread, answer) = answered_thread(&app, &author).await;
    assert!(
        found(&app, "watches", &thread).await,
        "the answer's words find the thread"
    );
    let member = app.signed_in("member", Role::Member).await;
    flag(&member, &answer, "spam", "").await;
    let items = queued_items(&owner).await;
    decide(&owner, &items[0], "hide", "Advertising").await;
    assert!(
        !found(&app, "watches", &thread).await,
        "a hidden answer is out of the index"
    );

    // A new member's first post with a link waits, and is not searchable meanwhile.
    let newcomer = app.signed_in("newcomer", Role::Member).await;
    let held = newcomer
        .ask(
            &id_of_category(&owner).await,
            "Marmalade subscription via https://shop.example",
        )
        .await;
    assert!(!found(&app, "marmalade", &held).await, "held for approval");
    let items = queued_items(&owner).await;
    decide(&owner, &items[0], "approve", "").await;
    assert!(
        found(&app, "marmalade", &held).await,
        "approved: searchable"
    );
}

/// The first category's id, from the ask page.
async fn id_of_category(browser: &Browser) -> String {
    text(browser, "/ask")
        .await
        .split("<option value=\"")
        .nth(2)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_owned()
}
