//! Soft delete: who may delete, who still sees, and restore.

use reqwest::StatusCode;
use stoa_accounts::Role;

use crate::common::{Browser, TestApp, location};
use crate::on_both_backends;

on_both_backends!(
    a_deleted_answer_is_hidden_from_others_and_restorable,
    a_deleted_question_takes_its_thread_away,
    an_asker_cannot_delete_a_question_others_answered_well,
    deleted_content_has_no_side_doors,
    a_moderators_deletion_is_undone_only_by_moderators,
    a_double_delete_counts_once,
);

async fn delete(browser: &Browser, page: &str, post: &str) -> reqwest::Response {
    browser
        .act(page, &format!("/posts/{post}/delete"), &[])
        .await
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
    let vote = voter.vote("/", &answer, "up").await;
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
    let post = asker.question_post(&thread).await;
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
    // The short address neither leads there nor gives the title away.
    let short = thread.rsplit_once('/').map_or("", |(short, _)| short);
    assert_eq!(helper.get(short).await.status(), StatusCode::NOT_FOUND);
    let asked = asker.get(short).await;
    assert_eq!(asked.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(location(&asked), thread);
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
    let post = asker.question_post(&thread).await;
    let helper = app.signed_in("helper", Role::Member).await;
    let answer = helper
        .answer(&thread, "A good answer that others need.")
        .await;
    let voter = app.signed_in("voter", Role::Member).await;
    voter.vote(&thread, &answer, "up").await;

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

async fn deleted_content_has_no_side_doors(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "A thread with a deleted answer").await;
    let id = thread.split('/').nth(2).unwrap_or_default().to_owned();
    let author = app.signed_in("author", Role::Member).await;
    let answer = author
        .answer(&thread, "Text that was deleted for a reason.")
        .await;
    delete(&author, &thread, &answer).await;

    // Its history is as hidden as the post.
    assert_eq!(
        app.browser()
            .get(&format!("/posts/{answer}/revisions"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        author
            .get(&format!("/posts/{answer}/revisions"))
            .await
            .status(),
        StatusCode::OK
    );
    // Accepting it would publish it: refused.
    let accept = owner
        .act(
            &thread,
            &format!("/q/{id}/accept"),
            &[("answer", answer.as_str())],
        )
        .await;
    assert_eq!(accept.status(), StatusCode::BAD_REQUEST);
    assert!(
        !app.browser()
            .get(&thread)
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("deleted for a reason")
    );

    // Answers of a deleted question take no votes or comments, and its title does not leak.
    let other = owner
        .ask(&category, "A question that will be deleted")
        .await;
    let other_id = other.split('/').nth(2).unwrap_or_default().to_owned();
    let kept = author
        .answer(&other, "An answer in a thread about to go.")
        .await;
    let duplicate = owner
        .ask(&category, "A duplicate of the deleted question")
        .await;
    owner
        .act(
            &duplicate,
            &format!(
                "/q/{}/close",
                duplicate.split('/').nth(2).unwrap_or_default()
            ),
            &[("original", other_id.as_str())],
        )
        .await;
    let question = owner.question_post(&other).await;
    assert_eq!(
        delete(&owner, &other, &question).await.status(),
        StatusCode::SEE_OTHER
    );
    let voter = app.signed_in("voter", Role::Member).await;
    assert_eq!(
        voter.vote("/", &kept, "up").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        voter
            .act(
                "/",
                &format!("/posts/{kept}/comments"),
                &[("body", "still here?")]
            )
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.browser().get(&format!("/q/{other_id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let banner = app
        .browser()
        .get(&duplicate)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        !banner.contains("A question that will be deleted"),
        "the deleted original's title stays hidden"
    );
}

async fn a_moderators_deletion_is_undone_only_by_moderators(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner
        .ask(&category, "A thread where a moderator steps in")
        .await;
    let spammer = app.signed_in("spammer", Role::Member).await;
    let spam = spammer
        .answer(&thread, "Buy cheap things at a shady place.")
        .await;
    let moderator = app.signed_in("moderator", Role::Moderator).await;
    assert_eq!(
        delete(&moderator, &thread, &spam).await.status(),
        StatusCode::SEE_OTHER
    );
    let undo = spammer
        .act(&thread, &format!("/posts/{spam}/restore"), &[])
        .await;
    assert_eq!(undo.status(), StatusCode::FORBIDDEN);
    assert!(
        undo.text()
            .await
            .unwrap_or_default()
            .contains("only a moderator can restore it")
    );
    assert!(
        !app.browser()
            .get(&thread)
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("shady place")
    );
    assert_eq!(
        moderator
            .act(&thread, &format!("/posts/{spam}/restore"), &[])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

async fn a_double_delete_counts_once(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner
        .ask(&category, "Deleted twice by a double click")
        .await;
    let author = app.signed_in("author", Role::Member).await;
    let first = author.answer(&thread, "The first answer here.").await;
    author.answer(&thread, "The second answer here.").await;
    let page = author.get(&thread).await.text().await.unwrap_or_default();
    let csrf = crate::common::hidden(&page, "csrf");
    let form = [("csrf", csrf.as_str())];
    let action = format!("/posts/{first}/delete");
    let (a, b) = tokio::join!(author.post(&action, &form), author.post(&action, &form));
    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    assert!(
        app.browser()
            .get(&thread)
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("1 answer")
    );
    let restore = format!("/posts/{first}/restore");
    let (a, b) = tokio::join!(author.post(&restore, &form), author.post(&restore, &form));
    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    assert!(
        app.browser()
            .get(&thread)
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("2 answers"),
        "counted once each way"
    );
}
