//! Comments under posts, and tags on questions.

use reqwest::StatusCode;
use stoa_accounts::Role;

use crate::common::{Browser, TestApp, between, hidden, location};
use crate::on_both_backends;

on_both_backends!(
    comments_show_under_their_post,
    a_long_or_unsafe_comment_is_refused_or_cleaned,
    a_refused_comment_beyond_the_first_page_keeps_its_text,
    only_the_latest_comments_show_until_expanded,
    new_tags_need_the_configured_role,
    a_tag_page_lists_its_questions,
);

/// The CSRF token and key of the comment form for `post`, from the page "Add a comment"
/// leads to (the thread page holds one form, which its script opens under a post).
async fn comment_form(browser: &Browser, post: &str) -> (String, String) {
    let page = browser
        .get(&format!("/posts/{post}/comments"))
        .await
        .text()
        .await
        .unwrap_or_default();
    let form = page
        .split(&format!("action=\"/posts/{post}/comments\""))
        .nth(1)
        .unwrap_or_default();
    let key = between(form, "name=\"key\" value=\"", "\"")
        .unwrap_or_default()
        .to_owned();
    (hidden(&page, "csrf"), key)
}

async fn comment(browser: &Browser, post: &str, body: &str) -> reqwest::Response {
    let (csrf, key) = comment_form(browser, post).await;
    browser
        .post(
            &format!("/posts/{post}/comments"),
            &[
                ("csrf", csrf.as_str()),
                ("key", key.as_str()),
                ("body", body),
            ],
        )
        .await
}

async fn comments_show_under_their_post(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "Can I pay in another currency?").await;
    let bob = app.signed_in("bob", Role::Member).await;
    let answer = bob.answer(&thread, "Yes, in euros and pounds.").await;
    let carol = app.signed_in("carol", Role::Member).await;

    // A member's thread page links each post to its comment form and holds the one form its
    // script opens under a post, with the member's token.
    let page = carol.get(&thread).await.text().await.unwrap_or_default();
    let answer_part = page
        .split(&format!("id=\"post-{answer}\""))
        .nth(1)
        .unwrap_or_default();
    assert!(
        answer_part.contains(&format!(
            r#"<a class="comment-add" href="/posts/{answer}/comments">Add a comment</a>"#
        )),
        "{answer_part}"
    );
    let template =
        between(&page, "<template id=\"comment-form\">", "</template>").unwrap_or_default();
    assert!(template.contains(r#"name="body""#), "{template}");
    assert!(template.contains(&hidden(&page, "csrf")), "{template}");
    assert_eq!(
        page.matches("<textarea").count(),
        2,
        "the answer form and the comment form"
    );

    let on_answer = comment(&carol, &answer, "Does that include *Swiss francs*?").await;
    assert_eq!(on_answer.status(), StatusCode::SEE_OTHER);
    assert!(location(&on_answer).contains("#comment-"));
    let question = carol.question_post(&thread).await;
    comment(&carol, &question, "Which plan are you on?").await;

    let page = app
        .browser()
        .get(&thread)
        .await
        .text()
        .await
        .unwrap_or_default();
    let answer_part = page
        .split(&format!("id=\"post-{answer}\""))
        .nth(1)
        .unwrap_or_default();
    assert!(
        answer_part.contains("Does that include <em>Swiss francs</em>?"),
        "{answer_part}"
    );
    let question_part = page
        .split(&format!("id=\"post-{question}\""))
        .nth(1)
        .unwrap_or_default()
        .split("id=\"answers\"")
        .next()
        .unwrap_or_default();
    assert!(
        question_part.contains("Which plan are you on?") && !question_part.contains("Swiss francs")
    );
    assert!(
        !page.contains("Add a comment"),
        "guests get no comment form"
    );

    let guest = app
        .browser()
        .post(
            &format!("/posts/{answer}/comments"),
            &[("body", "a guest comment")],
        )
        .await;
    assert_eq!(guest.status(), StatusCode::SEE_OTHER);
    assert!(location(&guest).starts_with("/login"));

    // The same form sent twice adds one comment.
    let (csrf, key) = comment_form(&carol, &answer).await;
    assert!(!key.is_empty(), "the comment page has a form with a key");
    let fields = [
        ("csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("body", "Sent twice by a double click"),
    ];
    let action = format!("/posts/{answer}/comments");
    let (a, b) = tokio::join!(carol.post(&action, &fields), carol.post(&action, &fields));
    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    let page = app
        .browser()
        .get(&thread)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert_eq!(page.matches("Sent twice by a double click").count(), 1);
}

async fn a_long_or_unsafe_comment_is_refused_or_cleaned(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "Is there an API rate limit?").await;
    let dave = app.signed_in("dave", Role::Member).await;
    let question = dave.question_post(&thread).await;
    let long = "word ".repeat(130);
    let refused = comment(&dave, &question, &long).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap_or_default();
    assert!(page.contains("under 600 characters"), "the reason is given");
    assert!(page.contains(long.trim_end()), "the text is kept");

    comment(&dave, &question, "# Heading <script>alert(1)</script> ![x](https://img.example/x.png) [docs](https://example.com/api) [bad](javascript:alert(2))").await;
    let page = app
        .browser()
        .get(&thread)
        .await
        .text()
        .await
        .unwrap_or_default();
    let comments = between(&page, "<ul class=\"comments\">", "</ul>").unwrap_or_default();
    assert!(
        comments
            .contains(r#"<a href="https://example.com/api" rel="nofollow ugc noopener">docs</a>"#),
        "{comments}"
    );
    for banned in ["<h1", "<script", "<img", "javascript:"] {
        assert!(!comments.contains(banned), "{banned} in {comments}");
    }
}

async fn a_refused_comment_beyond_the_first_page_keeps_its_text(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "Which plans include invoices?").await;
    let mut answers = Vec::new();
    for i in 0..51 {
        answers.push(
            owner
                .answer(&thread, &format!("Plan number {i} includes them."))
                .await,
        );
    }
    let first_page = owner.get(&thread).await.text().await.unwrap_or_default();
    let beyond = answers
        .iter()
        .find(|a| !first_page.contains(&format!("id=\"post-{a}\"")))
        .unwrap_or_else(|| panic!("one answer is on the second page"));
    let erin = app.signed_in("erin", Role::Member).await;
    let long = "word ".repeat(130);
    let refused = comment(&erin, beyond, &long).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap_or_default();
    assert!(page.contains("under 600 characters"), "the reason is given");
    assert!(page.contains(long.trim_end()), "the text is kept: {page}");
    assert!(
        page.contains(&format!(r#"action="/posts/{beyond}/comments""#)),
        "in a form that sends it to the same post"
    );
}

async fn only_the_latest_comments_show_until_expanded(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "A question with many comments").await;
    let eve = app.signed_in("eve", Role::Member).await;
    let question = eve.question_post(&thread).await;
    for i in 1..=7 {
        comment(&eve, &question, &format!("Comment number {i}")).await;
    }
    let page = app
        .browser()
        .get(&thread)
        .await
        .text()
        .await
        .unwrap_or_default();
    let shown = |page: &str, i: i32| page.contains(&format!("Comment number {i} <span"));
    assert!(!shown(&page, 1) && !shown(&page, 2));
    assert!(page.contains("Comment number 3") && page.contains("Comment number 7"));
    assert!(
        page.find("Comment number 3") < page.find("Comment number 7"),
        "oldest first"
    );
    let more = between(&page, "<p class=\"comment-more\"><a href=\"", "\"")
        .unwrap_or_default()
        .replace("&amp;", "&");
    assert!(page.contains("Show 2 more comments"));
    let all = app
        .browser()
        .get(&more)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!((1..=7).all(|i| shown(&all, i)), "all seven");
}

async fn new_tags_need_the_configured_role(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let member = app.signed_in("member", Role::Member).await;
    let fields = |tags: &'static str| {
        [
            ("title", "A question about invoices"),
            ("body", "Where are they kept?"),
            ("category", ""),
            ("tags", tags),
        ]
    };
    let mut ask = fields("Billing");
    ask[2].1 = &category;
    let refused = member.submit("/ask", "/ask", &ask).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap_or_default();
    assert!(
        page.contains("There is no tag &#34;billing&#34; yet"),
        "{page}"
    );
    assert!(page.contains("value=\"Billing\""), "the tags are kept");

    let staff = app.signed_in("staffer", Role::Staff).await;
    let mut staff_ask = fields("Billing  Two_Factor");
    staff_ask[2].1 = &category;
    let created = staff.submit("/ask", "/ask", &staff_ask).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER, "staff create tags");
    let thread = app
        .browser()
        .get(&location(&created))
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        thread.contains("href=\"/tags/billing\"") && thread.contains("href=\"/tags/two-factor\""),
        "normalised"
    );

    let accepted = member.submit("/ask", "/ask", &ask).await;
    assert_eq!(
        accepted.status(),
        StatusCode::SEE_OTHER,
        "an existing tag is fine for members"
    );
    let mut six = fields("a b c d e f");
    six[2].1 = &category;
    let too_many = staff.submit("/ask", "/ask", &six).await;
    assert_eq!(too_many.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_many
            .text()
            .await
            .unwrap_or_default()
            .contains("at most 5 tags")
    );

    let open = app.another(|s| s.new_tag_min_role = "member".into()).await;
    let (_o, c) = open.with_category().await;
    let anyone = open.signed_in("anyone", Role::Member).await;
    let mut free = fields("fresh-tag");
    free[2].1 = &c;
    assert_eq!(
        anyone.submit("/ask", "/ask", &free).await.status(),
        StatusCode::SEE_OTHER,
        "configurable"
    );
}

async fn a_tag_page_lists_its_questions(app: TestApp) {
    let (owner, category) = app.with_category().await;
    for (title, tags) in [
        ("How to rotate API keys?", "api security"),
        ("Webhook retries explained", "api"),
        ("Changing my avatar", "profile"),
    ] {
        let r = owner
            .submit(
                "/ask",
                "/ask",
                &[
                    ("title", title),
                    ("body", "Details of the question."),
                    ("category", &category),
                    ("tags", tags),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let page = app
        .browser()
        .get("/tags/api")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(page.contains("Questions tagged api") && page.contains("2 questions"));
    assert!(page.contains("How to rotate API keys?") && page.contains("Webhook retries explained"));
    assert!(!page.contains("Changing my avatar"));
    assert_eq!(
        app.browser().get("/tags/nope").await.status(),
        StatusCode::NOT_FOUND
    );

    let described = owner
        .act(
            "/tags/api",
            "/tags/api",
            &[("description", "The public HTTP API and its keys.")],
        )
        .await;
    assert_eq!(described.status(), StatusCode::SEE_OTHER);
    assert!(
        app.browser()
            .get("/tags/api")
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("The public HTTP API and its keys.")
    );
    let member = app.signed_in("member", Role::Member).await;
    assert_eq!(
        member
            .act("/", "/tags/api", &[("description", "vandalised")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let home = app
        .browser()
        .get("/")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        home.contains("href=\"/tags/security\""),
        "rows show their tags"
    );
}
