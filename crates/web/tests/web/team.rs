//! The business in the conversation: the team badge, the official answer (who may mark it,
//! one per thread, shown under the question beside an accepted answer, its list), and
//! internal notes that no one outside the team reads on any path.

use reqwest::StatusCode;
use stoa_accounts::Role;

use crate::common::{Browser, TestApp, between};
use crate::on_both_backends;

on_both_backends!(
    the_team_speaks_with_its_badge_and_one_official_answer,
    internal_notes_stay_with_the_team,
);

async fn page(browser: &Browser, path: &str) -> String {
    browser.get(path).await.text().await.unwrap_or_default()
}

/// The `article` of post `id` on `page`.
fn article<'a>(page: &'a str, id: &str) -> &'a str {
    page.split(&format!("id=\"post-{id}\""))
        .nth(1)
        .and_then(|rest| rest.split("</article>").next())
        .unwrap_or_default()
}

async fn mark_official(browser: &Browser, thread: &str, answer: &str) -> StatusCode {
    let id = thread.split('/').nth(2).unwrap_or_default();
    browser
        .act(thread, &format!("/q/{id}/official"), &[("answer", answer)])
        .await
        .status()
}

const LABEL: &str = "Official answer from the Acme Community team";

async fn the_team_speaks_with_its_badge_and_one_official_answer(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let alice = app.signed_in("alice", Role::Member).await;
    let bob = app.signed_in("bob", Role::Member).await;
    let sam = app.signed_in("sam", Role::Staff).await;
    let mona = app.signed_in("mona", Role::Moderator).await;
    let thread = alice.ask(&category, "Does the plan include support").await;
    let id = thread.split('/').nth(2).unwrap_or_default().to_owned();
    let by_bob = bob.answer(&thread, "Yes, by mail, as far as I know.").await;
    let by_sam = sam
        .answer(&thread, "Every plan includes support by mail.")
        .await;
    let by_mona = mona.answer(&thread, "Please keep answers on topic.").await;

    let guest = app.browser();
    let shown = page(&guest, &thread).await;
    assert!(
        article(&shown, &by_sam)
            .contains("<span class=\"role-badge team\">Acme Community team</span>"),
        "staff speak as the team: {}",
        article(&shown, &by_sam)
    );
    assert!(
        article(&shown, &by_mona).contains("<span class=\"role-badge moderator\">Moderator</span>")
    );
    assert!(!article(&shown, &by_bob).contains("role-badge"));
    assert!(!shown.contains(LABEL));
    assert!(
        !shown.contains("Mark as the official answer"),
        "guests have no mark form"
    );

    // Members (even the asker) may not mark; staff may, and the mark shows to everyone.
    assert_eq!(
        mark_official(&alice, &thread, &by_bob).await,
        StatusCode::FORBIDDEN
    );
    assert!(
        !page(&alice, &thread)
            .await
            .contains("Mark as the official answer")
    );
    assert_eq!(
        mark_official(&sam, &thread, &by_sam).await,
        StatusCode::SEE_OTHER
    );
    let shown = page(&guest, &thread).await;
    assert_eq!(shown.matches(LABEL).count(), 1, "{shown}");
    assert!(article(&shown, &by_sam).contains(LABEL));

    // The asker accepts another answer: both show on the first page, accepted then official,
    // before the rest.
    let response = alice
        .act(
            &thread,
            &format!("/q/{id}/accept"),
            &[("answer", by_bob.as_str())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let shown = page(&guest, &thread).await;
    let order: Vec<usize> = [&by_bob, &by_sam, &by_mona]
        .iter()
        .map(|a| {
            shown
                .find(&format!("id=\"post-{a}\""))
                .unwrap_or(usize::MAX)
        })
        .collect();
    assert!(order[0] < order[1] && order[1] < order[2], "{order:?}");
    assert!(article(&shown, &by_bob).contains("Accepted answer"));
    assert!(article(&shown, &by_sam).contains(LABEL));

    // One official answer per thread: a moderator marks another, the first loses it.
    assert_eq!(
        mark_official(&mona, &thread, &by_bob).await,
        StatusCode::SEE_OTHER
    );
    let shown = page(&guest, &thread).await;
    assert_eq!(shown.matches(LABEL).count(), 1);
    assert!(
        article(&shown, &by_bob).contains(LABEL)
            && article(&shown, &by_bob).contains("Accepted answer")
    );

    // "Answered by staff" lists threads with an official answer only.
    let other = alice.ask(&category, "Can I change my plan later").await;
    let listed = page(&guest, "/?tab=staff").await;
    assert!(listed.contains("Does the plan include support"), "{listed}");
    assert!(!listed.contains("Can I change my plan later"));
    assert!(listed.contains("Answered by staff"));

    // An answer of another thread cannot be marked here; unmarking clears it.
    let elsewhere = bob.answer(&other, "Yes, at any time.").await;
    assert_eq!(
        mark_official(&sam, &thread, &elsewhere).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        mark_official(&owner, &thread, "").await,
        StatusCode::SEE_OTHER
    );
    assert!(!page(&guest, &thread).await.contains(LABEL));
    assert!(
        !page(&guest, "/?tab=staff")
            .await
            .contains("Does the plan include support")
    );
}

async fn internal_notes_stay_with_the_team(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let alice = app.signed_in("alice", Role::Member).await;
    let sam = app.signed_in("sam", Role::Staff).await;
    let mona = app.signed_in("mona", Role::Moderator).await;
    let thread = alice
        .ask(&category, "My invoice shows the wrong company")
        .await;
    let id = thread.split('/').nth(2).unwrap_or_default().to_owned();
    let secret = "Customer zebracorn owes two invoices";

    let form = page(&sam, &thread).await;
    let form_on = |action: &str| {
        form.split("action=\"/q/")
            .find(|f| f.starts_with(&format!("{id}/{action}")))
            .unwrap_or_else(|| panic!("staff see the {action} form: {form}"))
    };
    let answer_key = between(form_on("answer"), "name=\"key\" value=\"", "\"").unwrap_or_default();
    let note_key = between(form_on("notes"), "name=\"key\" value=\"", "\"").unwrap_or_default();
    assert!(!note_key.is_empty());
    assert_ne!(note_key, answer_key, "the note has its own idempotency key");
    for _ in 0..2 {
        let response = sam
            .act(
                &thread,
                &format!("/q/{id}/notes"),
                &[("body", secret), ("key", note_key)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "adding a note");
    }
    for (who, browser) in [("staff", &sam), ("moderator", &mona), ("owner", &owner)] {
        let shown = page(browser, &thread).await;
        assert_eq!(shown.matches(secret).count(), 1, "{who} sees the note once");
    }

    // Nobody else reads it: not the asker, not a guest, not search, the API or notifications.
    let guest = app.browser();
    for (who, browser) in [("asker", &alice), ("guest", &guest)] {
        let shown = page(browser, &thread).await;
        assert!(!shown.contains("zebracorn"), "{who} sees no note");
        assert!(
            !shown.contains("Internal notes"),
            "{who} sees no notes section"
        );
    }
    for browser in [&alice, &guest, &sam] {
        let found = page(browser, "/search?q=zebracorn").await;
        assert!(
            !found.contains("My invoice shows the wrong company"),
            "search: {found}"
        );
    }
    let api = page(&guest, &format!("/api/v1/questions/{id}")).await;
    assert!(
        api.contains("My invoice shows the wrong company") && !api.contains("zebracorn"),
        "{api}"
    );
    let notes = page(&alice, "/notifications").await;
    assert!(!notes.contains("zebracorn"));
    stoa_web::mail::deliver_due(&app.state, stoa_db::time::now() + time::Duration::days(2))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        app.mails().iter().all(|m| !m.contains("zebracorn")),
        "no mail carries a note"
    );

    // Members cannot write one; an empty note is refused with the form kept.
    let refused = alice
        .act(
            &thread,
            &format!("/q/{id}/notes"),
            &[("body", "a note"), ("key", "k1")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let empty = sam
        .act(
            &thread,
            &format!("/q/{id}/notes"),
            &[("body", "  "), ("key", "k2")],
        )
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = empty.text().await.unwrap_or_default();
    let section = between(&text, "id=\"notes\"", "</section>").unwrap_or_default();
    assert!(
        section.contains("aria-invalid=\"true\"") && section.contains("class=\"field-error\""),
        "the error shows in the notes form: {section}"
    );
}
