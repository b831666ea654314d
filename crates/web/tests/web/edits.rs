//! Editing posts, the history of revisions and the preview.

use reqwest::StatusCode;
use stoa_accounts::Role;

use crate::common::{TestApp, between, edit_form, hidden, location};
use crate::on_both_backends;

on_both_backends!(
    the_author_edits_a_question_and_the_history_shows_it,
    only_authors_and_staff_edit,
    a_stale_edit_is_refused_and_keeps_the_text,
    the_preview_renders_without_saving,
    ask_and_answer_forms_preview_without_posting,
    a_bad_reason_is_refused_and_long_histories_page,
);

async fn the_author_edits_a_question_and_the_history_shows_it(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner
        .submit(
            "/ask",
            "/ask",
            &[
                ("title", "How to reset the router"),
                ("body", "Line one.\n\nLine two."),
                ("category", &category),
                ("tags", "router"),
            ],
        )
        .await;
    let thread = location(&thread);
    let post = owner.question_post(&thread).await;
    let (csrf, base) = edit_form(&owner, &post).await;
    let saved = owner
        .post(
            &format!("/posts/{post}/edit"),
            &[
                ("csrf", csrf.as_str()),
                ("base", base.as_str()),
                ("title", "How to reset the router to factory settings"),
                ("tags", "router setup"),
                ("body", "Line one.\n\nLine 2, clearer."),
                ("reason", "clarified the steps"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let new_url = location(&saved);
    assert!(
        new_url.contains("/how-to-reset-the-router-to-factory-settings#post-"),
        "{new_url}"
    );
    let page = app
        .browser()
        .get(&new_url)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(page.contains("Line 2, clearer.") && page.contains("href=\"/tags/setup\""));
    assert!(
        page.contains(&format!("href=\"/posts/{post}/revisions\">edited")),
        "an edited post says so"
    );
    let old = app.browser().get(&thread).await;
    assert_eq!(
        old.status(),
        StatusCode::MOVED_PERMANENTLY,
        "the old slug redirects"
    );

    let history = app
        .browser()
        .get(&format!("/posts/{post}/revisions"))
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(history.contains("clarified the steps"));
    assert!(
        history.contains("<span class=\"removed\">- Line two.</span>"),
        "{history}"
    );
    assert!(history.contains("<span class=\"added\">+ Line 2, clearer.</span>"));
    assert!(history.contains(
        "<span class=\"added\">+ Title: How to reset the router to factory settings</span>"
    ));
    assert!(history.contains("<span class=\"added\">+ Tags: router setup</span>"));
    assert!(
        history.contains("Original by"),
        "the first version is listed"
    );
}

async fn only_authors_and_staff_edit(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let author = app.signed_in("author", Role::Member).await;
    let thread = author.ask(&category, "A question someone may edit").await;
    let answer = author.answer(&thread, "An answer by the author.").await;
    let other = app.signed_in("other", Role::Member).await;
    assert_eq!(
        other.get(&format!("/posts/{answer}/edit")).await.status(),
        StatusCode::FORBIDDEN
    );
    let csrf = hidden(
        &other.get("/").await.text().await.unwrap_or_default(),
        "csrf",
    );
    let refused = other
        .post(
            &format!("/posts/{answer}/edit"),
            &[
                ("csrf", csrf.as_str()),
                ("base", "1"),
                ("body", "Vandalised text here"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let page = other.get(&thread).await.text().await.unwrap_or_default();
    assert!(
        !page.contains(&format!("/posts/{answer}/edit")),
        "no edit link for others"
    );

    let moderator = app.signed_in("moderator", Role::Moderator).await;
    let (csrf, base) = edit_form(&moderator, &answer).await;
    let saved = moderator
        .post(
            &format!("/posts/{answer}/edit"),
            &[
                ("csrf", csrf.as_str()),
                ("base", base.as_str()),
                ("body", "An answer, tidied by a moderator."),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let history = app
        .browser()
        .get(&format!("/posts/{answer}/revisions"))
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        history.contains("Edit by <span title=\"@moderator\">"),
        "the editor is named"
    );
}

async fn a_stale_edit_is_refused_and_keeps_the_text(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "Edited in two tabs at once").await;
    let post = owner.question_post(&thread).await;
    let (csrf, base) = edit_form(&owner, &post).await;
    let fields = |body: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("base", base.clone()),
            ("title", "Edited in two tabs at once".to_owned()),
            ("body", body.to_owned()),
        ]
    };
    let to_form =
        |f: &[(&'static str, String)]| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let first = owner
        .client
        .post(format!("{}/posts/{post}/edit", app.base))
        .header("Origin", &app.base)
        .form(&to_form(&fields("The first tab's text.")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let second = owner
        .client
        .post(format!("{}/posts/{post}/edit", app.base))
        .header("Origin", &app.base)
        .form(&to_form(&fields("The second tab's text.")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(second.status(), StatusCode::CONFLICT);
    let page = second.text().await.unwrap_or_default();
    assert!(
        page.contains("Someone else edited this post")
            && page.contains("The second tab&#39;s text."),
        "{page}"
    );
    let shown = app
        .browser()
        .get(&thread)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        shown.contains("The first tab") && !shown.contains("The second tab"),
        "nothing lost, nothing overwritten"
    );
}

async fn the_preview_renders_without_saving(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "A question to preview an edit").await;
    let post = owner.question_post(&thread).await;
    let (csrf, base) = edit_form(&owner, &post).await;
    let preview = owner
        .post(
            &format!("/posts/{post}/edit"),
            &[
                ("csrf", csrf.as_str()),
                ("base", base.as_str()),
                ("title", "A question to preview an edit"),
                ("body", "Some **bold** text <script>x</script>"),
                ("preview", "1"),
            ],
        )
        .await;
    assert_eq!(preview.status(), StatusCode::OK);
    let page = preview.text().await.unwrap_or_default();
    assert!(
        page.contains("<strong>bold</strong>") && !page.contains("<script>x"),
        "rendered by the same sanitizing renderer"
    );
    assert!(
        page.contains("Some **bold** text"),
        "the text stays in the form"
    );
    let thread_page = app
        .browser()
        .get(&thread)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        !thread_page.contains("<strong>bold</strong>"),
        "nothing saved"
    );
}

async fn ask_and_answer_forms_preview_without_posting(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let preview = owner
        .submit(
            "/ask",
            "/ask",
            &[
                ("title", "A previewed question"),
                ("body", "A _previewed_ body"),
                ("category", &category),
                ("preview", "1"),
            ],
        )
        .await;
    assert_eq!(preview.status(), StatusCode::OK);
    let page = preview.text().await.unwrap_or_default();
    assert!(page.contains("<em>previewed</em>") && page.contains("value=\"A previewed question\""));
    assert!(
        !app.browser()
            .get("/")
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("A previewed question"),
        "not posted"
    );

    let thread = owner
        .ask(&category, "A question to answer with a preview")
        .await;
    let id = thread.split('/').nth(2).unwrap_or_default();
    let preview = owner
        .submit(
            &thread,
            &format!("/q/{id}/answer"),
            &[("body", "An answer with `code`"), ("preview", "1")],
        )
        .await;
    assert_eq!(preview.status(), StatusCode::OK);
    let page = preview.text().await.unwrap_or_default();
    assert!(
        page.contains("<code>code</code>") && page.contains(">An answer with `code`</textarea>")
    );
    assert!(page.contains("0 answers"), "not posted");
}

async fn a_bad_reason_is_refused_and_long_histories_page(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "A question edited many times").await;
    let post = owner.question_post(&thread).await;
    let (csrf, base) = edit_form(&owner, &post).await;
    let refused = owner
        .post(
            &format!("/posts/{post}/edit"),
            &[
                ("csrf", csrf.as_str()),
                ("base", base.as_str()),
                ("title", "A question edited many times"),
                ("body", "Text kept after a refusal."),
                ("reason", "bad\0reason"),
            ],
        )
        .await;
    assert_eq!(
        refused.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a NUL is refused on both engines, never a 500"
    );
    assert!(
        refused
            .text()
            .await
            .unwrap_or_default()
            .contains("Text kept after a refusal.")
    );
    for version in 2..=22 {
        let (csrf, base) = edit_form(&owner, &post).await;
        let body = format!("Body version {version}");
        let saved = owner
            .post(
                &format!("/posts/{post}/edit"),
                &[
                    ("csrf", csrf.as_str()),
                    ("base", base.as_str()),
                    ("title", "A question edited many times"),
                    ("body", body.as_str()),
                ],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    }
    let first = app
        .browser()
        .get(&format!("/posts/{post}/revisions"))
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(first.contains("+ Body version 22") && first.contains("+ Body version 3"));
    let older = between(&first, "<a class=\"button\" href=\"", "\" rel=\"next\"")
        .unwrap_or_default()
        .to_owned();
    let second = app
        .browser()
        .get(&older)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        second.contains("+ Body version 2") && second.contains("Original by"),
        "{second}"
    );
    assert!(
        !second.contains("+ Body version 3"),
        "no revision shown twice"
    );
}
