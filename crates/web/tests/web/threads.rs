//! Asking, answering and reading.

use reqwest::StatusCode;
use stoa_accounts::Role;

use crate::common::{TestApp, location};
use crate::on_both_backends;

on_both_backends!(
    register_ask_answer_and_read,
    a_wrong_slug_redirects_to_the_right_one,
    a_double_submit_posts_once,
    bad_input_keeps_what_was_typed,
    the_home_page_is_paginated,
    a_guest_reads_everything_without_a_cookie,
    a_head_request_gets_the_head_of_the_page,
);

async fn register_ask_answer_and_read(app: TestApp) {
    let (_owner, category) = app.with_category().await;

    let alice = app.browser();
    let registered = alice
        .submit(
            "/register",
            "/register",
            &[
                ("username", "Alice"),
                ("email", "alice@example.com"),
                ("password", "velvet ladder orbit pancake"),
            ],
        )
        .await;
    assert_eq!(registered.status(), StatusCode::SEE_OTHER);
    let home = alice
        .get(&location(&registered))
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(home.contains("We sent you a link"), "{home}");

    let asked = alice
        .submit(
            "/ask",
            "/ask",
            &[
                ("title", "How do I download my invoice?"),
                (
                    "body",
                    "I paid yesterday but see **no invoice** in my account.",
                ),
                ("category", &category),
            ],
        )
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let thread_url = location(&asked);
    assert!(
        thread_url.ends_with("/how-do-i-download-my-invoice"),
        "{thread_url}"
    );

    let bob = app.signed_in("bob", Role::Member).await;
    let answered = bob
        .submit(
            &thread_url,
            &format!("{}/answer", thread_url.rsplit_once('/').map_or("", |p| p.0)),
            &[(
                "body",
                "Open *Billing → Invoices*; each invoice has a PDF link.",
            )],
        )
        .await;
    assert_eq!(answered.status(), StatusCode::SEE_OTHER);
    assert!(location(&answered).starts_with(&format!("{thread_url}#post-")));

    let guest = app.browser();
    let page = guest.get(&thread_url).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap_or_default();
    let question = html
        .find("<strong>no invoice</strong>")
        .unwrap_or_else(|| panic!("question body missing: {html}"));
    let answer = html
        .find("<em>Billing → Invoices</em>")
        .unwrap_or_else(|| panic!("answer missing: {html}"));
    assert!(question < answer, "the question comes before its answers");
    assert!(html.contains("1 answer"));
    assert!(
        html.contains(">Alice<"),
        "the asker is named as they typed it"
    );
    assert!(html.contains("Log in</a> or <a href=\"/register\">sign up</a> to answer"));

    let home = guest.get("/").await.text().await.unwrap_or_default();
    assert!(home.contains("How do I download my invoice?"));
    assert!(home.contains(&format!("href=\"{thread_url}\"")));
}

async fn a_wrong_slug_redirects_to_the_right_one(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let asked = owner
        .submit(
            "/ask",
            "/ask",
            &[
                ("title", "Can I pay by bank transfer?"),
                ("body", "Our accounts team prefers transfers."),
                ("category", &category),
            ],
        )
        .await;
    let url = location(&asked);
    let id = url.split('/').nth(2).unwrap_or_default();
    for wrong in [format!("/q/{id}/old-title"), format!("/q/{id}")] {
        let response = app.browser().get(&wrong).await;
        assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY, "{wrong}");
        assert_eq!(location(&response), url);
    }
    assert_eq!(
        app.browser().get("/q/999999/anything").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn a_head_request_gets_the_head_of_the_page(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let url = owner.ask(&category, "Is there a status page?").await;
    let guest = app.browser();
    let length = async |path: &str| {
        let page = guest.get(path).await;
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        page.text().await.unwrap_or_default().len().to_string()
    };
    let head = async |path: &str| {
        guest
            .client
            .head(format!("{}{path}", guest.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("HEAD {path}: {e}"))
    };
    for path in ["/", url.as_str()] {
        // The page may be made anew in between (saving view counts), with another count.
        let before = length(path).await;
        let answer = head(path).await;
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
        let said = answer
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(answer.text().await.unwrap_or_default(), "", "no body");
        let after = length(path).await;
        assert!(
            said == before || said == after,
            "the length of {path}: {said}, not {before} or {after}"
        );
    }
    let short = url.rsplit_once('/').map_or("", |(short, _)| short);
    assert_eq!(head(short).await.status(), StatusCode::MOVED_PERMANENTLY);
}

async fn a_double_submit_posts_once(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let page = owner.get("/ask").await.text().await.unwrap_or_default();
    let csrf = crate::common::hidden(&page, "csrf");
    let key = crate::common::hidden(&page, "key");
    let form = [
        ("csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("title", "Why was I charged twice?"),
        ("body", "Two charges on the same day."),
        ("category", category.as_str()),
    ];
    let (first, second) = tokio::join!(owner.post("/ask", &form), owner.post("/ask", &form));
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&first),
        location(&second),
        "both submits land on the same question"
    );
    let home = app
        .browser()
        .get("/")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert_eq!(
        home.matches("Why was I charged twice?").count(),
        1,
        "{home}"
    );
}

async fn bad_input_keeps_what_was_typed(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let response = owner
        .submit(
            "/ask",
            "/ask",
            &[
                ("title", "Short"),
                ("body", "A body that is long enough to keep."),
                ("category", &category),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("at least 10 characters"), "{html}");
    assert!(
        html.contains("A body that is long enough to keep."),
        "the body is kept"
    );
    assert!(html.contains("value=\"Short\""), "the title is kept");

    let asked = owner
        .submit(
            "/ask",
            "/ask",
            &[
                ("title", "A valid question title"),
                ("body", "With a valid body too."),
                ("category", &category),
            ],
        )
        .await;
    let url = location(&asked);
    let id = url.split('/').nth(2).unwrap_or_default().to_owned();
    let response = owner
        .submit(&url, &format!("/q/{id}/answer"), &[("body", "too short")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(
        html.contains("at least 10 characters") && html.contains(">too short</textarea>"),
        "{html}"
    );
}

async fn the_home_page_is_paginated(app: TestApp) {
    let (owner, category) = app.with_category().await;
    for i in 0..32 {
        let title = format!("Question number {i:02} about billing");
        let response = owner
            .submit(
                "/ask",
                "/ask",
                &[
                    ("title", &title),
                    ("body", "Details of the question."),
                    ("category", &category),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let guest = app.browser();
    let first = guest.get("/").await.text().await.unwrap_or_default();
    assert!(first.contains("Question number 31") && first.contains("Question number 02"));
    assert!(
        !first.contains("Question number 01"),
        "30 per page, newest first"
    );
    let next = crate::common::between(&first, "<a class=\"button\" href=\"", "\" rel=\"next\"")
        .unwrap_or_else(|| panic!("no next link"))
        .replace("&#x2f;", "/");
    let second = guest.get(&next).await.text().await.unwrap_or_default();
    assert!(second.contains("Question number 01") && second.contains("Question number 00"));
    assert!(!second.contains("Question number 02"), "no overlap");
    assert!(
        !second.contains("rel=\"next\""),
        "the last page has no next link"
    );
}

async fn a_guest_reads_everything_without_a_cookie(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let asked = owner
        .submit(
            "/ask",
            "/ask",
            &[
                ("title", "Is there a student discount?"),
                ("body", "Asking for my university."),
                ("category", &category),
            ],
        )
        .await;
    let url = location(&asked);
    let guest = app.browser();
    for path in [
        "/",
        url.as_str(),
        "/api/v1/questions",
        "/static/style.css",
        "/healthz",
    ] {
        let response = guest.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            crate::common::set_cookies(response.headers()).is_empty(),
            "{path} set a cookie"
        );
    }
    let ask = guest.get("/ask").await;
    assert_eq!(ask.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&ask), "/login?next=/ask");
    let post = guest
        .post(
            "/ask",
            &[
                ("title", "Guests cannot post this"),
                ("body", "Nope nope nope"),
                ("category", &category),
            ],
        )
        .await;
    assert_eq!(post.status(), StatusCode::SEE_OTHER);
    assert!(location(&post).starts_with("/login?next="));
    let home = guest.get("/").await.text().await.unwrap_or_default();
    assert!(!home.contains("Guests cannot post this"));
}
