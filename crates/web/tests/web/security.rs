//! CSRF, origin checks, headers, XSS, permissions, size limits, error pages.

use reqwest::StatusCode;
use stoa_accounts::Role;

use crate::common::{TestApp, hidden, location};
use crate::on_both_backends;

on_both_backends!(
    a_missing_or_wrong_csrf_token_is_refused,
    a_cross_origin_post_is_refused,
    xss_in_title_and_body_renders_inert,
    only_the_owner_manages_categories,
    a_two_megabyte_body_is_refused,
    every_response_carries_security_headers,
    pages_with_a_form_token_are_never_cached,
    errors_are_pages_and_api_errors_are_json,
    login_never_redirects_off_site,
);

async fn a_missing_or_wrong_csrf_token_is_refused(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let fields = [
        ("title", "A question without a token"),
        ("body", "This must not be posted."),
        ("category", category.as_str()),
    ];
    let missing = owner.post("/ask", &fields).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert!(
        missing
            .text()
            .await
            .unwrap_or_default()
            .contains("This form has expired")
    );
    let mut wrong = fields.to_vec();
    wrong.push(("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert_eq!(
        owner.post("/ask", &wrong).await.status(),
        StatusCode::FORBIDDEN
    );
    // A token from another browser's session is no good either.
    let other = app.signed_in("mallory", Role::Member).await;
    let their_token = hidden(
        &other.get("/ask").await.text().await.unwrap_or_default(),
        "csrf",
    );
    let mut stolen = fields.to_vec();
    stolen.push(("csrf", their_token.as_str()));
    assert_eq!(
        owner.post("/ask", &stolen).await.status(),
        StatusCode::FORBIDDEN
    );
    // A guest login form needs its token too.
    let login = app
        .browser()
        .post(
            "/login",
            &[("login", "owner"), ("password", crate::common::PASSWORD)],
        )
        .await;
    assert_eq!(login.status(), StatusCode::FORBIDDEN);
    let home = app
        .browser()
        .get("/")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(!home.contains("A question without a token"));
}

async fn a_cross_origin_post_is_refused(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let page = owner.get("/ask").await.text().await.unwrap_or_default();
    let csrf = hidden(&page, "csrf");
    let response = owner
        .client
        .post(format!("{}/ask", app.base))
        .header("Origin", "https://evil.example")
        .form(&[
            ("csrf", csrf.as_str()),
            ("title", "Posted from another site"),
            ("body", "This must not be posted."),
            ("category", category.as_str()),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn xss_in_title_and_body_renders_inert(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let title = "<script>alert('t')</script> \"><img src=x onerror=alert(1)>";
    let body = "<script>alert('b')</script>\n\n<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3))\n\n<svg><set attributeName=\"href\" to=\"javascript:alert(4)\"/></svg>\n\n<a href=\"JaVaScRiPt:alert(5)\">x</a>";
    let asked = owner
        .submit(
            "/ask",
            "/ask",
            &[("title", title), ("body", body), ("category", &category)],
        )
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let url = location(&asked);
    for path in [url.as_str(), "/"] {
        let html = app
            .browser()
            .get(path)
            .await
            .text()
            .await
            .unwrap_or_default();
        assert!(
            html.contains("&#60;script&#62;alert(") || html.contains("&lt;script&gt;alert("),
            "the title is shown as text on {path}"
        );
        // Every real tag on the page (escaped text has no literal `<`) must be harmless.
        for tag in html
            .split('<')
            .skip(1)
            .map(|t| t.split('>').next().unwrap_or_default().to_lowercase())
        {
            let name = tag.split_whitespace().next().unwrap_or_default();
            if tag.starts_with("script src=\"/static/stoa.js?") {
                continue; // Stoa's own script, from this origin.
            }
            assert!(
                !["script", "svg", "set", "iframe"].contains(&name),
                "<{tag}> survived on {path}"
            );
            for needle in [" onerror", " onload", "javascript:"] {
                assert!(!tag.contains(needle), "<{tag}> survived on {path}");
            }
        }
    }
}

async fn only_the_owner_manages_categories(app: TestApp) {
    let member = app.signed_in("nina", Role::Member).await;
    let moderator = app.signed_in("omar", Role::Moderator).await;
    for browser in [&member, &moderator] {
        assert_eq!(
            browser.get("/admin/categories").await.status(),
            StatusCode::FORBIDDEN
        );
        let csrf = hidden(
            &browser.get("/ask").await.text().await.unwrap_or_default(),
            "csrf",
        );
        let response = browser
            .post(
                "/admin/categories",
                &[("csrf", csrf.as_str()), ("name", "Sneaky")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    let guest = app.browser().get("/admin/categories").await;
    assert_eq!(guest.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&guest), "/login?next=/admin/categories");
    let (owner, _) = app.with_category().await;
    let page = owner
        .get("/admin/categories")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(page.contains("Billing") && !page.contains("Sneaky"));
}

async fn a_two_megabyte_body_is_refused(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let page = owner.get("/ask").await.text().await.unwrap_or_default();
    let csrf = hidden(&page, "csrf");
    let huge = "x".repeat(2 * 1024 * 1024);
    let response = owner
        .post(
            "/ask",
            &[
                ("csrf", csrf.as_str()),
                ("title", "A very large question"),
                ("body", huge.as_str()),
                ("category", category.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("more than this site accepts")
    );
    // Just over the post length limit: a clear message, not a 413.
    let long = "y".repeat(30_001);
    let response = owner
        .post(
            "/ask",
            &[
                ("csrf", csrf.as_str()),
                ("title", "A rather long question"),
                ("body", long.as_str()),
                ("category", category.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("under 30000 characters")
    );
}

async fn every_response_carries_security_headers(app: TestApp) {
    let browser = app.browser();
    for path in [
        "/",
        "/login",
        "/no-such-page",
        "/api/v1/questions",
        "/static/style.css",
    ] {
        let response = browser.get(path).await;
        let headers = response.headers();
        let csp = headers
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(
            headers.get("x-content-type-options").map(|v| v.as_bytes()),
            Some(&b"nosniff"[..]),
            "{path}"
        );
        assert!(headers.get("referrer-policy").is_some(), "{path}");
    }
}

async fn errors_are_pages_and_api_errors_are_json(app: TestApp) {
    let browser = app.browser();
    let page = browser.get("/no-such-page").await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(
        page.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .starts_with("text/html")
    );
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("This page does not exist.")
    );
    let api = browser.get("/api/v1/questions/424242").await;
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    let json: serde_json::Value = api.json().await.unwrap_or_default();
    assert_eq!(json["error"]["status"], 404);
    let unknown = browser.get("/api/v1/nothing-here").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(unknown.json::<serde_json::Value>().await.is_ok());
    assert_eq!(browser.get("/readyz").await.status(), StatusCode::OK);

    // Addresses that do not parse get the same pages, never a bare text error or a 500.
    let page = browser.get("/q/abc").await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("This page does not exist.")
    );
    let api = browser.get("/api/v1/questions/abc").await;
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert!(api.json::<serde_json::Value>().await.is_ok());
    let doubled = browser.get("/?after=1_1&after=2_2").await;
    assert_eq!(doubled.status(), StatusCode::BAD_REQUEST);
    assert!(
        doubled
            .text()
            .await
            .unwrap_or_default()
            .contains("could not be read")
    );
    // A cursor far outside any real date (PostgreSQL cannot compare with it) is ignored.
    assert_eq!(
        browser.get("/?after=-300000000000000000_1").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        browser
            .get("/api/v1/questions?after=-300000000000000000_1")
            .await
            .status(),
        StatusCode::OK
    );
}

async fn login_never_redirects_off_site(app: TestApp) {
    app.create_user("pete", Role::Member).await;
    for next in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let browser = app.browser();
        let response = browser
            .submit(
                "/login",
                "/login",
                &[
                    ("login", "pete"),
                    ("password", crate::common::PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/", "next={next}");
    }
}

async fn pages_with_a_form_token_are_never_cached(app: TestApp) {
    let browser = app.browser();
    for path in ["/login", "/login", "/register", "/reset-password"] {
        // The second visit to /login already has the form cookie: no Set-Cookie this time.
        let response = browser.get(path).await;
        let cache = response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert_eq!(cache, "private, no-store", "{path}");
    }
    let public = app.browser().get("/").await;
    assert!(
        public.headers().get("cache-control").is_none(),
        "a public page may be cached"
    );
}
