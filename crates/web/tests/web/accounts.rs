//! Registration, login, logout, verification, password reset and owner setup.

use reqwest::StatusCode;
use stoa_accounts::{Role, TokenPurpose, tokens};
use stoa_db::diesel::{self, prelude::*};
use stoa_db::schema::{email_tokens, users};

use crate::common::{PASSWORD, TestApp, location, set_cookies};
use crate::on_both_backends;

on_both_backends!(
    a_wrong_password_and_an_unknown_user_get_the_same_answer,
    usernames_and_emails_are_unique_in_any_case,
    a_weak_password_is_refused_with_advice,
    logout_ends_the_session_on_the_server,
    the_session_cookie_is_locked_down,
    a_new_login_gets_a_new_session,
    idle_and_expired_sessions_end,
    changing_the_password_needs_the_current_one_and_ends_other_sessions,
    the_confirmation_mail_can_be_sent_again,
    a_double_submitted_sign_up_signs_in_once,
    email_verification_link_works_once,
    password_reset_link_works_once_and_ends_other_sessions,
    an_expired_link_is_refused,
    the_setup_link_creates_the_owner_once,
);

async fn a_wrong_password_and_an_unknown_user_get_the_same_answer(app: TestApp) {
    app.create_user("carol", Role::Member).await;
    let wrong = app
        .browser()
        .log_in("carol", "not her password at all")
        .await;
    let unknown = app
        .browser()
        .log_in("nobody", "not her password at all")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let wrong = wrong.text().await.unwrap_or_default();
    let unknown = unknown.text().await.unwrap_or_default();
    assert!(wrong.contains("Wrong username, email or password."));
    let strip = |page: &str| {
        page.replace(&crate::common::hidden(page, "csrf"), "")
            .replace("carol", "")
            .replace("nobody", "")
    };
    assert_eq!(
        strip(&wrong),
        strip(&unknown),
        "the pages differ only in what was typed"
    );
    let ok = app.browser().log_in("CAROL@example.com", PASSWORD).await;
    assert_eq!(
        ok.status(),
        StatusCode::SEE_OTHER,
        "login by email, any case"
    );
}

async fn usernames_and_emails_are_unique_in_any_case(app: TestApp) {
    app.create_user("dave", Role::Member).await;
    let browser = app.browser();
    let taken_name = browser
        .submit(
            "/register",
            "/register",
            &[
                ("username", "DAVE"),
                ("email", "other@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(taken_name.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = taken_name.text().await.unwrap_or_default();
    assert!(html.contains("That username is taken"), "{html}");
    assert!(
        html.contains("value=\"other@example.com\""),
        "the email is kept"
    );
    let taken_email = browser
        .submit(
            "/register",
            "/register",
            &[
                ("username", "david"),
                ("email", "Dave@Example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(taken_email.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        taken_email
            .text()
            .await
            .unwrap_or_default()
            .contains("already exists")
    );
}

async fn a_weak_password_is_refused_with_advice(app: TestApp) {
    let browser = app.browser();
    for (password, advice) in [
        ("short", "at least 10 characters"),
        ("password123", "too common"),
        ("erinerinerin", "too common"),
    ] {
        let response = browser
            .submit(
                "/register",
                "/register",
                &[
                    ("username", "erin"),
                    ("email", "erin@example.com"),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{password}"
        );
        let html = response.text().await.unwrap_or_default();
        assert!(html.contains(advice), "{password}: {html}");
        assert!(
            !html.contains(password) || password == "short",
            "the password is not echoed back"
        );
    }
    let home = browser.get("/").await;
    assert!(
        !home.text().await.unwrap_or_default().contains("Log out"),
        "no account was created"
    );
}

fn session_cookie(cookies: &[String]) -> String {
    cookies
        .iter()
        .find(|c| c.starts_with("stoa_session="))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no session cookie in {cookies:?}"))
        .to_owned()
}

async fn logout_ends_the_session_on_the_server(app: TestApp) {
    app.create_user("frank", Role::Member).await;
    let browser = app.browser();
    let login = browser.log_in("frank", PASSWORD).await;
    let cookie = session_cookie(&set_cookies(login.headers()));
    let with_old_cookie = || async {
        reqwest::Client::new()
            .get(format!("{}/", app.base))
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .text()
            .await
            .unwrap_or_default()
    };
    assert!(
        with_old_cookie().await.contains("Log out"),
        "the cookie works while logged in"
    );
    let home = browser.get("/").await.text().await.unwrap_or_default();
    let csrf = crate::common::hidden(&home, "csrf");
    let logout = browser.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    assert!(
        set_cookies(logout.headers())
            .iter()
            .any(|c| c.starts_with("stoa_session=;") || c.starts_with("stoa_session=\"\""))
    );
    let page = with_old_cookie().await;
    assert!(
        !page.contains("Log out") && page.contains("Log in"),
        "the old cookie no longer works"
    );
}

async fn the_session_cookie_is_locked_down(app: TestApp) {
    app.create_user("gina", Role::Member).await;
    let login = app.browser().log_in("gina", PASSWORD).await;
    let cookie = set_cookies(login.headers())
        .into_iter()
        .find(|c| c.starts_with("stoa_session="))
        .unwrap_or_default();
    let value = cookie
        .split(';')
        .next()
        .unwrap_or_default()
        .trim_start_matches("stoa_session=");
    assert!(value.len() >= 43, "at least 256 bits of token: {value}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing in {cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "no Secure flag over plain http (it would be dropped)"
    );
    let stored: Vec<String> = app
        .db
        .run(|conn| {
            stoa_db::schema::sessions::table
                .select(stoa_db::schema::sessions::token_hash)
                .load(conn)
                .map_err(stoa_db::Error::from)
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !stored.iter().any(|h| h == value),
        "only a hash of the token is stored"
    );

    let https = app
        .another(|s| s.base_url = "https://forum.example.com".into())
        .await;
    https.create_user("gina", Role::Member).await;
    let login = https.browser().log_in("gina", PASSWORD).await;
    let cookie = set_cookies(login.headers())
        .into_iter()
        .find(|c| c.starts_with("stoa_session="))
        .unwrap_or_default();
    assert!(cookie.contains("Secure"), "Secure behind https: {cookie}");
}

async fn a_new_login_gets_a_new_session(app: TestApp) {
    app.create_user("hank", Role::Member).await;
    let browser = app.browser();
    let first = session_cookie(&set_cookies(
        browser.log_in("hank", PASSWORD).await.headers(),
    ));
    let second = session_cookie(&set_cookies(
        browser.log_in("hank", PASSWORD).await.headers(),
    ));
    assert_ne!(first, second);
}

async fn email_verification_link_works_once(app: TestApp) {
    let browser = app.browser();
    browser
        .submit(
            "/register",
            "/register",
            &[
                ("username", "ivy"),
                ("email", "ivy@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let link = app
        .link_mailed_to("ivy@example.com", "/verify-email/")
        .await;
    let verified_at = || async {
        app.db
            .run(|conn| {
                users::table
                    .filter(users::username.eq("ivy"))
                    .select(users::email_verified_at)
                    .first::<Option<time::PrimitiveDateTime>>(conn)
                    .map_err(stoa_db::Error::from)
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // Opening the link (as a mail scanner would) changes nothing.
    let scanner = app.browser();
    let page = scanner.get(&link).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("Confirm my address")
    );
    assert!(verified_at().await.is_none());

    let confirmed = scanner.submit(&link, &link, &[]).await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let home = scanner
        .get(&location(&confirmed))
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(home.contains("your email address is confirmed"), "{home}");
    assert!(verified_at().await.is_some());

    // Pressing the button again (from a tab still open) finds the link used.
    let again = scanner
        .post(&link, &[("csrf", &scanner.guest_token().await)])
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "single use");
    assert!(
        again
            .text()
            .await
            .unwrap_or_default()
            .contains("invalid, expired or already used")
    );
}

async fn password_reset_link_works_once_and_ends_other_sessions(app: TestApp) {
    app.create_user("jack", Role::Member).await;
    let other_device = app.browser();
    other_device.log_in("jack", PASSWORD).await;

    let browser = app.browser();
    let asked = browser
        .submit(
            "/reset-password",
            "/reset-password",
            &[("email", "JACK@example.com")],
        )
        .await;
    let answer = asked.text().await.unwrap_or_default();
    assert!(answer.contains("If an account uses that address"));
    let unknown = app
        .browser()
        .submit(
            "/reset-password",
            "/reset-password",
            &[("email", "nobody@example.com")],
        )
        .await;
    assert!(
        unknown
            .text()
            .await
            .unwrap_or_default()
            .contains("If an account uses that address"),
        "same answer for unknown addresses"
    );

    let link = app
        .link_mailed_to("jack@example.com", "/reset-password/")
        .await;
    let changed = browser
        .submit(
            &link,
            &link,
            &[("password", "copper whistle meadow lantern")],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&changed), "/?done=password-changed");

    assert!(
        !other_device
            .get("/")
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("Log out"),
        "other sessions ended"
    );
    assert_eq!(
        app.browser().log_in("jack", PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "old password refused"
    );
    assert_eq!(
        app.browser()
            .log_in("jack", "copper whistle meadow lantern")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    let late = app.browser();
    let again = late
        .post(
            &link,
            &[
                ("csrf", &late.guest_token().await),
                ("password", "another fresh passphrase here"),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "single use");
}

async fn an_expired_link_is_refused(app: TestApp) {
    app.create_user("kate", Role::Member).await;
    app.browser()
        .submit(
            "/reset-password",
            "/reset-password",
            &[("email", "kate@example.com")],
        )
        .await;
    let link = app
        .link_mailed_to("kate@example.com", "/reset-password/")
        .await;
    let past = stoa_db::time::now() - time::Duration::minutes(1);
    app.write(move |conn| {
        diesel::update(email_tokens::table)
            .set(email_tokens::expires_at.eq(Some(past)))
            .execute(conn)
            .map_err(stoa_db::Error::from)
    })
    .await;
    let page = app.browser().get(&link).await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    let browser = app.browser();
    let response = browser
        .post(
            &link,
            &[
                ("csrf", &browser.guest_token().await),
                ("password", "copper whistle meadow lantern"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("invalid, expired or already used")
    );
}

async fn the_setup_link_creates_the_owner_once(app: TestApp) {
    // Every start without an owner logs a new link; here two starts' worth.
    let issue = || async {
        app.write(|conn| tokens::issue(conn, TokenPurpose::OwnerSetup, None, None))
            .await
    };
    let link = format!("/setup/{}", issue().await.expose());
    let older_link = format!("/setup/{}", issue().await.expose());
    let browser = app.browser();
    let created = browser
        .submit(
            &link,
            &link,
            &[
                ("username", "founder"),
                ("email", "founder@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let settings = browser.get("/admin/categories").await;
    assert_eq!(
        settings.status(),
        StatusCode::OK,
        "the new owner may change settings"
    );

    for used in [&link, &older_link] {
        let intruder = app.browser();
        assert_eq!(
            intruder.get(used).await.status(),
            StatusCode::BAD_REQUEST,
            "{used} is dead"
        );
        let token = intruder.guest_token().await;
        let form = [
            ("csrf", token.as_str()),
            ("username", "intruder"),
            ("email", "x@example.com"),
            ("password", PASSWORD),
        ];
        assert_eq!(
            intruder.post(used, &form).await.status(),
            StatusCode::BAD_REQUEST
        );
        let login = intruder.log_in("intruder", PASSWORD).await;
        assert_eq!(
            login.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no second owner"
        );
    }
}

async fn idle_and_expired_sessions_end(app: TestApp) {
    use stoa_db::schema::sessions;
    app.create_user("lena", Role::Member).await;
    let browser = app.browser();
    browser.log_in("lena", PASSWORD).await;
    let signed_in = || async {
        browser
            .get("/")
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("Log out")
    };
    assert!(signed_in().await);

    // Unused for longer than the idle limit (14 days by default). Using a session is not
    // announced to the nodes (it happens all the time): a node reads the session again when
    // content changes or its copy is due to be noted as used; the test skips that wait.
    let long_ago = stoa_db::time::now() - time::Duration::days(15);
    app.write(move |conn| {
        diesel::update(sessions::table)
            .set(sessions::last_seen_at.eq(long_ago))
            .execute(conn)
            .map_err(stoa_db::Error::from)
    })
    .await;
    app.pages.invalidate();
    assert!(!signed_in().await, "an idle session ends");

    // Busy, but past its absolute lifetime: cutting a session short is announced to every
    // node (on PostgreSQL, by a trigger on `sessions`).
    browser.log_in("lena", PASSWORD).await;
    assert!(signed_in().await);
    let past = stoa_db::time::now() - time::Duration::seconds(1);
    let before = app.pages.generation();
    app.write(move |conn| {
        diesel::update(sessions::table)
            .set(sessions::expires_at.eq(past))
            .execute(conn)
            .map_err(stoa_db::Error::from)
    })
    .await;
    app.heard_of_change_since(before).await;
    assert!(!signed_in().await, "an expired session ends");
}

async fn changing_the_password_needs_the_current_one_and_ends_other_sessions(app: TestApp) {
    app.create_user("uma", Role::Member).await;
    let laptop = app.browser();
    laptop.log_in("uma", PASSWORD).await;
    let phone = app.browser();
    phone.log_in("uma", PASSWORD).await;

    let wrong = laptop
        .submit(
            "/account",
            "/account/password",
            &[
                ("current", "not my password at all"),
                ("new", "copper whistle meadow lantern"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text()
            .await
            .unwrap_or_default()
            .contains("not your current password")
    );
    let weak = laptop
        .submit(
            "/account",
            "/account/password",
            &[("current", PASSWORD), ("new", "password123")],
        )
        .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.text().await.unwrap_or_default().contains("too common"));

    let changed = laptop
        .submit(
            "/account",
            "/account/password",
            &[
                ("current", PASSWORD),
                ("new", "copper whistle meadow lantern"),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    let page = laptop
        .get(&location(&changed))
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        page.contains("Your password is changed"),
        "this browser stays signed in: {page}"
    );
    assert!(
        !phone
            .get("/")
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("Log out"),
        "the other session ended"
    );
    assert_eq!(
        app.browser().log_in("uma", PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.browser()
            .log_in("uma", "copper whistle meadow lantern")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

async fn the_confirmation_mail_can_be_sent_again(app: TestApp) {
    let browser = app.browser();
    browser
        .submit(
            "/register",
            "/register",
            &[
                ("username", "vera"),
                ("email", "vera@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let first = app
        .link_mailed_to("vera@example.com", "/verify-email/")
        .await;
    let account = browser
        .get("/account")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(account.contains("not confirmed yet"));
    let resent = browser
        .submit("/account", "/account/confirmation", &[])
        .await;
    assert_eq!(resent.status(), StatusCode::SEE_OTHER);
    let mut second = first.clone();
    for _ in 0..50 {
        second = app
            .link_mailed_to("vera@example.com", "/verify-email/")
            .await;
        if second != first {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_ne!(first, second, "a new link was mailed");
    assert_eq!(
        app.browser().get(&first).await.status(),
        StatusCode::BAD_REQUEST,
        "the old link stopped working"
    );
    let confirmed = browser.submit(&second, &second, &[]).await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert!(
        browser
            .get("/account")
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("(confirmed)")
    );
}

async fn a_double_submitted_sign_up_signs_in_once(app: TestApp) {
    let browser = app.browser();
    let page = browser
        .get("/register")
        .await
        .text()
        .await
        .unwrap_or_default();
    let csrf = crate::common::hidden(&page, "csrf");
    let shown = crate::common::hidden(&page, "shown");
    let form = [
        ("csrf", csrf.as_str()),
        ("shown", shown.as_str()),
        ("username", "xena"),
        ("email", "xena@example.com"),
        ("password", PASSWORD),
    ];
    let first = browser.post("/register", &form).await;
    let second = browser.post("/register", &form).await;
    assert_eq!(
        (first.status(), second.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER),
        "both land signed in"
    );
    assert!(
        browser
            .get("/")
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("Log out")
    );
    // Someone else trying the same username is still refused.
    let other = app.browser();
    let taken = other
        .submit(
            "/register",
            "/register",
            &[
                ("username", "xena"),
                ("email", "xena@example.com"),
                ("password", "a different passphrase here"),
            ],
        )
        .await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
