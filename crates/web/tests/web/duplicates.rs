//! Closing a question as a duplicate, and reopening it.

use reqwest::StatusCode;
use stoa_accounts::Role;

use crate::common::TestApp;
use crate::on_both_backends;

on_both_backends!(
    a_duplicate_points_to_its_original_and_takes_no_answers,
    only_staff_close_and_bad_targets_are_explained,
    an_answer_to_a_just_closed_question_keeps_its_text,
);

fn id(url: &str) -> &str {
    url.split('/').nth(2).unwrap_or_default()
}

async fn a_duplicate_points_to_its_original_and_takes_no_answers(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let original = owner
        .ask(&category, "How do I change my billing email?")
        .await;
    let asker = app.signed_in("asker", Role::Member).await;
    let duplicate = asker
        .ask(&category, "Where to update the invoice email address")
        .await;
    let staff = app.signed_in("staffer", Role::Staff).await;
    let full_address = format!("{}{original}", app.base);
    let closed = staff
        .act(
            &duplicate,
            &format!("/q/{}/close", id(&duplicate)),
            &[("original", full_address.as_str())],
        )
        .await;
    assert_eq!(closed.status(), StatusCode::SEE_OTHER);
    let log = owner
        .get("/admin/audit")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        log.contains("<td>Closed as a duplicate</td>")
            && log.contains(&format!("duplicate of question {}", id(&original))),
        "logged: {log}"
    );

    let page = app
        .browser()
        .get(&duplicate)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        page.contains("closed as a duplicate of") && page.contains(&format!("href=\"{original}\"")),
        "{page}"
    );
    assert!(page.contains("takes no new answers") && !page.contains("Your answer"));
    let refused = asker
        .act(
            &duplicate,
            &format!("/q/{}/answer", id(&duplicate)),
            &[("body", "An answer that must not land.")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(
        refused
            .text()
            .await
            .unwrap_or_default()
            .contains("This question is closed and takes no new answers.")
    );

    let original_page = app
        .browser()
        .get(&original)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        original_page.contains("Linked questions")
            && original_page.contains("Where to update the invoice email address")
    );
    assert!(
        app.browser()
            .get("/")
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("closed-badge"),
        "lists mark it"
    );

    let reopened = staff
        .act(&duplicate, &format!("/q/{}/reopen", id(&duplicate)), &[])
        .await;
    assert_eq!(reopened.status(), StatusCode::SEE_OTHER);
    let page = app
        .browser()
        .get(&duplicate)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(!page.contains("closed as a duplicate") && page.contains("to answer"));
    assert!(
        !app.browser()
            .get(&original)
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("Linked questions")
    );
}

async fn only_staff_close_and_bad_targets_are_explained(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let first = owner.ask(&category, "The first question here").await;
    let second = owner.ask(&category, "The second question here").await;
    let member = app.signed_in("member", Role::Member).await;
    let refused = member
        .act(
            &second,
            &format!("/q/{}/close", id(&second)),
            &[("original", id(&first))],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    for (target, message) in [
        (id(&second).to_owned(), "cannot be a duplicate of itself"),
        ("99999".to_owned(), "no such question"),
        (
            "not a question".to_owned(),
            "original question&#39;s address",
        ),
    ] {
        let response = owner
            .act(
                &second,
                &format!("/q/{}/close", id(&second)),
                &[("original", target.as_str())],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{target}"
        );
        let page = response.text().await.unwrap_or_default();
        assert!(page.contains(message), "{target}: {page}");
        assert!(
            page.contains(&format!("value=\"{target}\"")),
            "the input is kept"
        );
    }
    let ok = owner
        .act(
            &second,
            &format!("/q/{}/close", id(&second)),
            &[("original", first.as_str())],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let third = owner.ask(&category, "The third question here").await;
    let chained = owner
        .act(
            &third,
            &format!("/q/{}/close", id(&third)),
            &[("original", second.as_str())],
        )
        .await;
    assert_eq!(chained.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        chained
            .text()
            .await
            .unwrap_or_default()
            .contains("point to its original instead")
    );
}

async fn an_answer_to_a_just_closed_question_keeps_its_text(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let original = owner.ask(&category, "The original question here").await;
    let duplicate = owner
        .ask(&category, "A question closed while answered")
        .await;
    let member = app.signed_in("member", Role::Member).await;
    let page = member
        .get(&duplicate)
        .await
        .text()
        .await
        .unwrap_or_default();
    owner
        .act(
            &duplicate,
            &format!("/q/{}/close", id(&duplicate)),
            &[("original", original.as_str())],
        )
        .await;
    let csrf = crate::common::hidden(&page, "csrf");
    let key = crate::common::hidden(&page, "key");
    let late = member
        .post(
            &format!("/q/{}/answer", id(&duplicate)),
            &[
                ("csrf", csrf.as_str()),
                ("key", key.as_str()),
                ("body", "An answer written while it was open."),
            ],
        )
        .await;
    assert_eq!(late.status(), StatusCode::CONFLICT);
    let page = late.text().await.unwrap_or_default();
    assert!(
        page.contains("This question is closed and takes no new answers.")
            && page.contains("An answer written while it was open.")
    );
}
