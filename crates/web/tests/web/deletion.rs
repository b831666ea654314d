//! Soft delete: who may delete, who still sees, and restore.

use reqwest::StatusCode;
use stoa_accounts::Role;

use crate::common::{Browser, TestApp, between, location};
use crate::on_both_backends;

on_both_backends!(
    a_deleted_answer_is_hidden_from_others_and_restorable,
    a_deleted_question_takes_its_thread_away,
    an_asker_cannot_delete_a_question_others_answered_well,
);

async fn delete(browser: &Browser, page: &str, post: &str) -> reqwest::Response {
    browser
        .act(page, &format!("/posts/{post}/delete"), &[])
        .await
}

async fn question_post(browser: &Browser, thread_url: &str) -> String {
    let page = browser
        .get(thread_url)
        .await
        .text()
        .await
        .unwrap_or_default();
    between(&page, "id=\"post-", "\"")
        .unwrap_or_default()
        .to_owned()
}

async fn a_deleted_answer_is_hidden_from_others_and_restorable(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "Where is the export button?").await;
    let author = app.signed_in("author", Role::Member).await;
    let answer = author
        .answer(&thread, "Top right, under the gear icon.")
        .await;
    let owner_csrf_page = thread.clone();
    let accepted = owner
        .act(
            &owner_csrf_page,
            &format!("/q/{}/accept", thread.split('/').nth(2).unwrap_or_default()),
            &[("answer", answer.as_str())],
        )
        .await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);

    let other = app.signed_in("other", Role::Member).await;
    assert_eq!(
        delete(&other, &thread, &answer).await.status(),
        StatusCode::FORBIDDEN,
        "not theirs"
    );
    let deleted = delete(&author, &thread, &answer).await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);

    let guest_view = app
        .browser()
        .get(&thread)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        !guest_view.contains("Top right, under the gear icon."),
        "hidden from others"
    );
    assert!(
        guest_view.contains("0 answers") && !guest_view.contains("Solved"),
        "no longer counted nor accepted"
    );
    let author_view = author.get(&thread).await.text().await.unwrap_or_default();
    assert!(
        author_view.contains("Top right, under the gear icon.")
            && author_view.contains("This answer is deleted")
    );
    let moderator = app.signed_in("moderator", Role::Moderator).await;
    assert!(
        moderator
            .get(&thread)
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("Top right, under the gear icon.")
    );

    let voter = app.signed_in("voter", Role::Member).await;
    let vote = voter
        .act("/", &format!("/posts/{answer}/vote"), &[("value", "up")])
        .await;
    assert_eq!(
        vote.status(),
        StatusCode::NOT_FOUND,
        "no votes on a deleted post"
    );

    let restored = author
        .act(&thread, &format!("/posts/{answer}/restore"), &[])
        .await;
    assert_eq!(restored.status(), StatusCode::SEE_OTHER);
    let guest_view = app
        .browser()
        .get(&thread)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        guest_view.contains("Top right, under the gear icon.") && guest_view.contains("1 answer")
    );
}

async fn a_deleted_question_takes_its_thread_away(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let asker = app.signed_in("asker", Role::Member).await;
    let r = asker
        .submit(
            "/ask",
            "/ask",
            &[
                ("title", "A question I regret asking"),
                ("body", "Never mind, found it."),
                ("category", &category),
            ],
        )
        .await;
    let thread = location(&r);
    let post = question_post(&asker, &thread).await;
    let deleted = delete(&asker, &thread, &post).await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&deleted), "/?done=question-deleted");
    assert_eq!(
        app.browser().get(&thread).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(
        !app.browser()
            .get("/")
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("A question I regret asking")
    );
    assert_eq!(
        app.browser()
            .get(&format!(
                "/api/v1/questions/{}",
                thread.split('/').nth(2).unwrap_or_default()
            ))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let helper = app.signed_in("helper", Role::Member).await;
    assert_eq!(helper.get(&thread).await.status(), StatusCode::NOT_FOUND);
    assert!(
        asker
            .get(&thread)
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("This question is deleted")
    );

    let restored = asker
        .act(&thread, &format!("/posts/{post}/restore"), &[])
        .await;
    assert_eq!(restored.status(), StatusCode::SEE_OTHER);
    assert!(
        app.browser()
            .get("/")
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("A question I regret asking")
    );
}

async fn an_asker_cannot_delete_a_question_others_answered_well(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let asker = app.signed_in("asker", Role::Member).await;
    let thread = asker.ask(&category, "A question with a good answer").await;
    let post = question_post(&asker, &thread).await;
    let helper = app.signed_in("helper", Role::Member).await;
    let answer = helper
        .answer(&thread, "A good answer that others need.")
        .await;
    let voter = app.signed_in("voter", Role::Member).await;
    voter
        .act(
            &thread,
            &format!("/posts/{answer}/vote"),
            &[("value", "up")],
        )
        .await;

    let refused = delete(&asker, &thread, &post).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused
            .text()
            .await
            .unwrap_or_default()
            .contains("stays for the next reader")
    );
    let moderator = app.signed_in("moderator", Role::Moderator).await;
    assert_eq!(
        delete(&moderator, &thread, &post).await.status(),
        StatusCode::SEE_OTHER,
        "moderators may"
    );
}
