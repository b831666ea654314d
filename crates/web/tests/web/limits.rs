//! Rate limits on what bots hammer: log-in, sign-up, password-reset mails.

use reqwest::StatusCode;
use stoa_accounts::Role;

use stoa_web::Settings;

use crate::common::{Browser, PASSWORD, TestApp};
use crate::on_both_backends;

on_both_backends!(
    login_attempts_from_one_address_are_limited,
    a_spoofed_forwarded_for_does_not_reset_the_count,
    failed_logins_for_one_account_are_limited_from_any_address,
    reset_mails_to_one_address_are_limited,
    concurrent_hits_on_a_new_bucket_all_count,
    forwarded_for_counts_only_from_a_trusted_proxy,
    thirty_logins_an_hour_from_one_address,
    twenty_sign_ups_a_day_from_one_address,
);

/// Posts the login form with a claimed client address.
async fn log_in_from(
    browser: &Browser,
    address: &str,
    login: &str,
    password: &str,
) -> reqwest::Response {
    let csrf = browser.guest_token().await;
    browser
        .client
        .post(format!("{}/login", browser.base))
        .header("Origin", &browser.base)
        .header("X-Forwarded-For", address)
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", login),
            ("password", password),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The app with the log-in limits of a real installation (tests otherwise lift them).
async fn with_login_limits(app: &TestApp, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    app.another(|s| {
        let defaults = Settings::default();
        s.login_per_minute = defaults.login_per_minute;
        s.login_per_hour = defaults.login_per_hour;
        adjust(s);
    })
    .await
}

async fn login_attempts_from_one_address_are_limited(app: TestApp) {
    let app = with_login_limits(&app, |_| {}).await;
    app.create_user("quinn", Role::Member).await;
    let browser = app.browser();
    for attempt in 1..=6 {
        let response = browser.log_in("quinn", "a wrong password, surely").await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt}"
        );
    }
    let refused = browser.log_in("quinn", PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: i64 = refused
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    assert!(
        (1..=60).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    assert!(
        refused
            .text()
            .await
            .unwrap_or_default()
            .contains("Too many attempts")
    );
}

async fn a_spoofed_forwarded_for_does_not_reset_the_count(app: TestApp) {
    let app = with_login_limits(&app, |_| {}).await;
    // Without a trusted proxy, X-Forwarded-For is whatever the client says: ignored.
    let browser = app.browser();
    for attempt in 0..6 {
        let response = log_in_from(
            &browser,
            &format!("198.51.100.{attempt}"),
            "someone",
            "a wrong password, surely",
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let refused = log_in_from(
        &browser,
        "198.51.100.99",
        "someone",
        "a wrong password, surely",
    )
    .await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn failed_logins_for_one_account_are_limited_from_any_address(app: TestApp) {
    let app = with_login_limits(&app, |s| s.trust_proxy_headers = true).await;
    app.create_user("rosa", Role::Member).await;
    app.create_user("sam", Role::Member).await;
    let browser = app.browser();
    for attempt in 0..10 {
        // By username or by email: the same account. Only the last forwarded address counts.
        let login = if attempt % 2 == 0 {
            "rosa"
        } else {
            "rosa@example.com"
        };
        let address = format!("10.0.0.1, 203.0.113.{attempt}");
        let response = log_in_from(&browser, &address, login, "a wrong password, surely").await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt}"
        );
    }
    let locked = log_in_from(&browser, "203.0.113.200", "ROSA", PASSWORD).await;
    assert_eq!(
        locked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let other = log_in_from(&browser, "10.0.0.1, 203.0.113.201", "sam", PASSWORD).await;
    assert_eq!(
        other.status(),
        StatusCode::SEE_OTHER,
        "other accounts are not affected"
    );
}

async fn reset_mails_to_one_address_are_limited(app: TestApp) {
    app.create_user("tess", Role::Member).await;
    let browser = app.browser();
    for _ in 0..5 {
        let response = browser
            .submit(
                "/reset-password",
                "/reset-password",
                &[("email", "tess@example.com")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response
                .text()
                .await
                .unwrap_or_default()
                .contains("If an account uses that address")
        );
    }
    // The mails go out in the background: wait until three have arrived (or ten seconds),
    // then a little longer, in case a fourth were coming.
    let to_tess = || {
        app.mails()
            .into_iter()
            .filter(|m| m.contains("To: tess@example.com"))
            .count()
    };
    for _ in 0..100 {
        if to_tess() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mails = to_tess();
    assert_eq!(mails, 3, "three reset mails an hour at most");
    let refused = browser
        .submit(
            "/reset-password",
            "/reset-password",
            &[("email", "other@example.com")],
        )
        .await;
    assert_eq!(
        refused.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "five requests an hour per address"
    );
}

async fn concurrent_hits_on_a_new_bucket_all_count(app: TestApp) {
    use stoa_db::diesel::prelude::*;
    use stoa_db::schema::rate_limits;
    use stoa_moderation::limits::{self, Limit};

    let limit = Limit {
        max: 1000,
        window: time::Duration::hours(1),
    };
    let hits = (0..24).map(|_| {
        let db = app.db.clone();
        tokio::spawn(async move {
            db.write(move |conn| {
                limits::hit(conn, "test:bucket", limit).map_err(stoa_db::Error::from)
            })
            .await
        })
    });
    for hit in hits.collect::<Vec<_>>() {
        hit.await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e: stoa_db::Error| panic!("{e}"));
    }
    let counted: i32 = app
        .db
        .run(|conn| {
            rate_limits::table
                .filter(rate_limits::bucket.eq("test:bucket"))
                .select(rate_limits::hits)
                .first(conn)
                .map_err(stoa_db::Error::from)
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        counted, 24,
        "no hit lost when the first ones race to open the window"
    );
}

async fn forwarded_for_counts_only_from_a_trusted_proxy(app: TestApp) {
    // Header trust is on, but the proxy it names is not the peer these requests come from.
    let app = with_login_limits(&app, |s| {
        s.trust_proxy_headers = true;
        s.trusted_proxies = "192.0.2.1".into();
    })
    .await;
    let browser = app.browser();
    for attempt in 0..6 {
        let address = format!("203.0.113.{attempt}");
        let response = log_in_from(&browser, &address, "nobody", "a wrong password, surely").await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let refused = log_in_from(&browser, "203.0.113.99", "nobody", "a wrong password").await;
    assert_eq!(
        refused.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "every attempt counted against the real peer"
    );
}

async fn thirty_logins_an_hour_from_one_address(app: TestApp) {
    // Behind a trusted proxy (the loopback peer), the forwarded address is the client's.
    let app = with_login_limits(&app, |s| s.trust_proxy_headers = true).await;
    app.create_user("uma", Role::Member).await;
    let browser = app.browser();
    let first = log_in_from(&browser, "198.51.100.7", "uma", PASSWORD).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let buckets = app
        .db
        .run(|conn| {
            use stoa_db::diesel::prelude::*;
            use stoa_db::schema::rate_limits;
            rate_limits::table
                .select(rate_limits::bucket)
                .load::<String>(conn)
                .map_err(stoa_db::Error::from)
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !buckets.iter().any(|b| b.contains("198.51.100.7")),
        "no address is stored in clear: {buckets:?}"
    );
    // The same address logged in 29 more times earlier this hour, a few a minute.
    let hourly = buckets
        .into_iter()
        .find(|b| b.starts_with("login-hourly:ip:"))
        .unwrap_or_else(|| panic!("no hourly bucket"));
    app.write(move |conn| {
        use stoa_db::diesel::prelude::*;
        use stoa_db::schema::rate_limits;
        stoa_db::diesel::update(rate_limits::table.find(hourly))
            .set((
                rate_limits::hits.eq(30),
                rate_limits::window_start.eq(stoa_db::time::now() - time::Duration::minutes(50)),
            ))
            .execute(conn)
            .map_err(stoa_db::Error::from)
    })
    .await;
    let refused = log_in_from(&browser, "198.51.100.7", "uma", PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let other = log_in_from(&browser, "198.51.100.8", "uma", PASSWORD).await;
    assert_eq!(
        other.status(),
        StatusCode::SEE_OTHER,
        "other addresses go on"
    );
}

async fn twenty_sign_ups_a_day_from_one_address(app: TestApp) {
    let sign_up = |name: &'static str| {
        let browser = app.browser();
        async move {
            let email = format!("{name}@example.com");
            browser
                .submit(
                    "/register",
                    "/register",
                    &[
                        ("username", name),
                        ("email", &email),
                        ("password", PASSWORD),
                    ],
                )
                .await
                .status()
        }
    };
    assert_eq!(sign_up("first").await, StatusCode::SEE_OTHER);
    // Nineteen more came from this address earlier today.
    app.write(|conn| {
        use stoa_db::diesel::prelude::*;
        use stoa_db::schema::rate_limits;
        stoa_db::diesel::update(
            rate_limits::table.filter(rate_limits::bucket.like("register-daily:ip:%")),
        )
        .set((
            rate_limits::hits.eq(20),
            rate_limits::window_start.eq(stoa_db::time::now() - time::Duration::hours(5)),
        ))
        .execute(conn)
        .map_err(stoa_db::Error::from)
    })
    .await;
    assert_eq!(sign_up("twenty_first").await, StatusCode::TOO_MANY_REQUESTS);
}
