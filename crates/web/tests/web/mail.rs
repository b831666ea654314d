//! Notifications by mail: sent by the worker (here run by the test at the time it chooses),
//! once, only to confirmed addresses, as each member chose (instantly, daily digest, never),
//! with a one-click unsubscribe bound to its member; a failing SMTP server is tried again.

use reqwest::StatusCode;
use stoa_accounts::Role;
use stoa_db::diesel::prelude::*;
use stoa_db::schema::{mail_jobs, users};
use stoa_db::time::now;
use time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::common::{TestApp, location};
use crate::on_both_backends;

on_both_backends!(
    an_answer_mails_the_asker_once_with_a_one_click_unsubscribe,
    unconfirmed_addresses_get_no_mail,
    the_digest_holds_what_came_since_the_last_one,
    members_choose_how_each_kind_reaches_them,
    a_failing_smtp_server_is_tried_again,
    an_overdue_question_mails_the_team_once,
);

/// Confirms `username`'s address, as the link in the sign-up mail would.
async fn confirm(app: &TestApp, username: &'static str) {
    let before = app.pages.generation();
    app.write(move |conn| {
        stoa_db::diesel::update(users::table.filter(users::username.eq(username)))
            .set(users::email_verified_at.eq(Some(now())))
            .execute(conn)
            .map_err(stoa_db::Error::from)
    })
    .await;
    app.heard_of_change_since(before).await;
}

/// Runs the mail worker once as of `at`; returns how many mails went out.
async fn deliver(app: &TestApp, at: time::PrimitiveDateTime) -> usize {
    stoa_web::mail::deliver_due(&app.state, at)
        .await
        .unwrap_or_else(|e| panic!("delivering: {e}"))
}

fn mails_to<'a>(mails: &'a [String], to: &str) -> Vec<&'a String> {
    mails
        .iter()
        .filter(|m| m.contains(&format!("To: {to}")))
        .collect()
}

/// A header's value in a raw mail, unfolded.
fn header(mail: &str, name: &str) -> String {
    let Some(start) = mail.find(&format!("\r\n{name}: ")) else {
        return String::new();
    };
    let rest = &mail[start + name.len() + 4..];
    let mut value = String::new();
    for (i, line) in rest.split("\r\n").enumerate() {
        match line.strip_prefix([' ', '\t']) {
            Some(folded) if i > 0 => {
                value.push(' ');
                value.push_str(folded);
            }
            _ if i > 0 => break,
            _ => value.push_str(line),
        }
    }
    value
}

async fn an_answer_mails_the_asker_once_with_a_one_click_unsubscribe(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let alice = app.signed_in("alice", Role::Member).await;
    confirm(&app, "alice").await;
    let bob = app.signed_in("bob", Role::Member).await;
    let sam = app.signed_in("sam", Role::Staff).await;
    let thread = alice.ask(&category, "How do I add a second user").await;
    let answer = bob.answer(&thread, "Under Team, choose Invite.").await;
    assert!(
        mails_to(&app.mails(), "alice@example.com").is_empty(),
        "the request itself sends nothing"
    );

    assert_eq!(deliver(&app, now()).await, 1);
    assert_eq!(deliver(&app, now()).await, 0, "sent once");
    let mails = app.mails();
    let to_alice = mails_to(&mails, "alice@example.com");
    assert_eq!(to_alice.len(), 1);
    let mail = to_alice[0];
    assert_eq!(
        header(mail, "Subject"),
        "[Acme Community] bob answered How do I add a second user"
    );
    assert!(
        mail.contains("Content-Type: multipart/alternative"),
        "{mail}"
    );
    assert!(mail.contains("Content-Type: text/plain") && mail.contains("Content-Type: text/html"));
    assert!(
        mail.contains(&format!("{}{thread}#post-{answer}", app.base)),
        "links to the answer: {mail}"
    );
    assert_eq!(
        header(mail, "List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    let unsubscribe = header(mail, "List-Unsubscribe")
        .trim_matches(['<', '>'])
        .strip_prefix(&app.base)
        .unwrap_or_else(|| panic!("an unsubscribe link: {mail}"))
        .to_owned();

    // Someone else's account in the link: refused. The page asks before it acts.
    let forged = unsubscribe.replacen("/unsubscribe/", "/unsubscribe/9", 1);
    let stranger = app.browser();
    assert_eq!(
        stranger
            .post(&forged, &[("List-Unsubscribe", "One-Click")])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let page = stranger
        .get(&unsubscribe)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(page.contains("Stop these mails"), "{page}");

    // The mail program's one click: no login, no cookie, no CSRF token.
    let clicked = stranger
        .post(&unsubscribe, &[("List-Unsubscribe", "One-Click")])
        .await;
    assert_eq!(clicked.status(), StatusCode::OK);
    assert!(
        clicked
            .text()
            .await
            .unwrap_or_default()
            .contains("no more mail about new answers in questions you watch")
    );
    app.signed_in("carol", Role::Member)
        .await
        .answer(&thread, "Or ask the owner to invite them.")
        .await;
    assert_eq!(deliver(&app, now()).await, 0, "answers no longer mailed");

    // Only that kind stopped: the team's answer still comes at once.
    sam.answer(&thread, "Team here: Settings, then Team, then Invite.")
        .await;
    assert_eq!(deliver(&app, now()).await, 1);
    let mails = app.mails();
    let last = mails_to(&mails, "alice@example.com");
    assert_eq!(
        header(last[last.len() - 1], "Subject"),
        "[Acme Community] sam answered your question for the team: How do I add a second user"
    );
}

async fn unconfirmed_addresses_get_no_mail(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let dave = app.signed_in("dave", Role::Member).await;
    let bob = app.signed_in("bob", Role::Member).await;
    let thread = dave.ask(&category, "Is there a mobile app").await;
    bob.answer(&thread, "Not yet, the site works on phones.")
        .await;
    assert_eq!(deliver(&app, now()).await, 0);
    assert_eq!(deliver(&app, now() + Duration::days(2)).await, 0);
    assert!(mails_to(&app.mails(), "dave@example.com").is_empty());
    // The notification itself is there.
    let page = dave
        .get("/notifications")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(page.contains("bob answered"));
}

async fn the_digest_holds_what_came_since_the_last_one(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let alice = app.signed_in("alice", Role::Member).await;
    confirm(&app, "alice").await;
    let bob = app.signed_in("bob", Role::Member).await;
    let carol = app.signed_in("carol", Role::Member).await;
    let thread = alice.ask(&category, "Can invoices show a PO number").await;
    bob.comment_on_question(&thread, "Which plan are you on?")
        .await;
    carol
        .comment_on_question(&thread, "I would like that too.")
        .await;

    // Comments come in the digest by default: one mail with both.
    let start = now();
    assert_eq!(deliver(&app, start).await, 1);
    let mails = app.mails();
    let digest = mails_to(&mails, "alice@example.com")[0].clone();
    assert_eq!(
        header(&digest, "Subject"),
        "[Acme Community] Your daily digest: 2 new"
    );
    assert!(
        digest.contains("bob commented on Can invoices show a PO number"),
        "{digest}"
    );
    assert!(digest.contains("carol commented on Can invoices show a PO number"));

    // Within the day, no second digest; the next one holds only what came after.
    bob.comment_on_question(&thread, "Team plans have it, I think.")
        .await;
    let later = now();
    assert_eq!(deliver(&app, later + Duration::hours(3)).await, 0);
    assert_eq!(deliver(&app, later + Duration::hours(25)).await, 1);
    let mails = app.mails();
    let to_alice = mails_to(&mails, "alice@example.com");
    assert_eq!(to_alice.len(), 2);
    let second = to_alice[1];
    assert_eq!(
        header(second, "Subject"),
        "[Acme Community] Your daily digest: 1 new"
    );
    assert!(second.contains("bob commented on") && !second.contains("carol commented on"));

    // What was read in the site meanwhile is not mailed again.
    carol
        .comment_on_question(&thread, "Any news on this?")
        .await;
    let response = alice
        .act("/notifications", "/notifications/read", &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(deliver(&app, later + Duration::hours(50)).await, 0);
}

async fn members_choose_how_each_kind_reaches_them(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let alice = app.signed_in("alice", Role::Member).await;
    confirm(&app, "alice").await;
    let page = alice
        .get("/account/email")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        page.contains("name=\"answer\" value=\"instant\" checked"),
        "answers come at once by default: {page}"
    );
    assert!(page.contains("name=\"comment\" value=\"digest\" checked"));
    let response = alice
        .act(
            "/account/email",
            "/account/email",
            &[("answer", "never"), ("comment", "instant")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/account/email?saved=1");
    let page = alice
        .get("/account/email?saved=1")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(page.contains("name=\"answer\" value=\"never\" checked"));
    assert!(page.contains("name=\"comment\" value=\"instant\" checked"));
    assert!(
        page.contains("name=\"accepted\" value=\"instant\" checked"),
        "others unchanged"
    );

    let bob = app.signed_in("bob", Role::Member).await;
    let thread = alice.ask(&category, "Where is the API key").await;
    bob.answer(&thread, "In Settings, under API.").await;
    bob.comment_on_question(&thread, "Also in the docs.").await;
    assert_eq!(deliver(&app, now()).await, 1, "the comment, not the answer");
    let mails = app.mails();
    assert_eq!(
        header(mails_to(&mails, "alice@example.com")[0], "Subject"),
        "[Acme Community] bob commented on Where is the API key"
    );

    let odd = alice
        .act("/account/email", "/account/email", &[("answer", "hourly")])
        .await;
    assert_eq!(odd.status(), StatusCode::BAD_REQUEST);
    let guest = app.browser().get("/account/email").await;
    assert_eq!(guest.status(), StatusCode::SEE_OTHER);
}

/// A loopback SMTP server that refuses its first `refuse_first` sessions (421), then accepts
/// every mail and keeps its data, just enough SMTP for lettre; returns where the mails go.
async fn smtp_server(
    listener: tokio::net::TcpListener,
    refuse_first: usize,
) -> tokio::sync::mpsc::Receiver<String> {
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        let mut sessions = 0;
        while let Ok((stream, _)) = listener.accept().await {
            sessions += 1;
            let tx = tx.clone();
            let refuse = sessions <= refuse_first;
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                if refuse {
                    // A server that cannot take mail now, as SMTP says it.
                    let _ = write.write_all(b"421 4.3.2 try again later\r\n").await;
                    return;
                }
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 test ESMTP\r\n").await;
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            let _ = tx.send(std::mem::take(body)).await;
                            data = None;
                            let _ = write.write_all(b"250 queued\r\n").await;
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let reply: &[u8] = match line.get(..4).map(str::to_ascii_uppercase).as_deref() {
                        Some("DATA") => {
                            data = Some(String::new());
                            b"354 go on\r\n"
                        }
                        Some("QUIT") => b"221 bye\r\n",
                        _ => b"250 ok\r\n",
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    rx
}

async fn a_failing_smtp_server_is_tried_again(app: TestApp) {
    // The server refuses the first session: the first try fails.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("addr: {e}"))
        .port();
    let mut received = smtp_server(listener, 1).await;
    let app = app
        .another(|s| s.smtp_url = format!("smtp://127.0.0.1:{port}"))
        .await;
    let (_owner, category) = app.with_category().await;
    let alice = app.signed_in("alice", Role::Member).await;
    confirm(&app, "alice").await;
    let thread = alice.ask(&category, "Do you offer refunds").await;
    app.signed_in("bob", Role::Member)
        .await
        .answer(&thread, "Within 30 days, yes.")
        .await;

    let first = now();
    assert_eq!(deliver(&app, first).await, 0);
    let jobs = || async {
        app.db
            .run(|conn| {
                mail_jobs::table
                    .select((
                        mail_jobs::attempts,
                        mail_jobs::last_error,
                        mail_jobs::sent_at.is_not_null(),
                    ))
                    .load::<(i32, Option<String>, bool)>(conn)
                    .map_err(stoa_db::Error::from)
            })
            .await
            .unwrap_or_else(|e| panic!("jobs: {e}"))
    };
    let after_failure = jobs().await;
    assert_eq!(after_failure.len(), 1);
    assert_eq!(after_failure[0].0, 1);
    assert!(after_failure[0].1.is_some(), "the error is kept");
    assert!(!after_failure[0].2);
    assert_eq!(
        deliver(&app, first + Duration::seconds(30)).await,
        0,
        "waits before retrying"
    );
    assert_eq!(jobs().await[0].0, 1);

    let sent = deliver(&app, first + Duration::minutes(2)).await;
    assert_eq!(sent, 1, "{:?}", jobs().await);
    let mail = received.recv().await.unwrap_or_default();
    assert!(
        mail.contains("Subject: [Acme Community] bob answered Do you offer refunds"),
        "{mail}"
    );
    let done = jobs().await;
    assert_eq!((done[0].0, done[0].2), (2, true), "sent on the second try");
    assert_eq!(deliver(&app, first + Duration::hours(1)).await, 0);
}

/// Makes `thread`'s customer wait since a week ago (past any reply target in business hours).
async fn waiting_a_week(app: &TestApp, thread: &str) {
    let id = stoa_db::ThreadId(
        thread
            .split('/')
            .nth(2)
            .and_then(|s| s.parse().ok())
            .unwrap_or_default(),
    );
    let week_ago = now() - Duration::days(7);
    app.write(move |conn| {
        stoa_db::diesel::update(stoa_db::schema::threads::table.find(id))
            .set(stoa_db::schema::threads::waiting_since.eq(Some(week_ago)))
            .execute(conn)
            .map_err(stoa_db::Error::from)
    })
    .await;
}

async fn an_overdue_question_mails_the_team_once(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let sam = app.signed_in("sam", Role::Staff).await;
    app.signed_in("tina", Role::Staff).await;
    confirm(&app, "sam").await;
    confirm(&app, "tina").await;
    let alice = app.signed_in("alice", Role::Member).await;
    let first = alice.ask(&category, "Sync stopped working").await;
    alice.ask(&category, "Brand new question").await;
    waiting_a_week(&app, &first).await;

    assert_eq!(
        deliver(&app, now()).await,
        2,
        "sam and tina, nobody has it yet"
    );
    let mails = app.mails();
    for to in ["sam@example.com", "tina@example.com"] {
        let got = mails_to(&mails, to);
        assert_eq!(got.len(), 1, "{to}");
        assert_eq!(
            header(got[0], "Subject"),
            "[Acme Community] alice has waited past the reply target in Sync stopped working"
        );
    }
    assert_eq!(deliver(&app, now()).await, 0, "each wait is announced once");

    // Assigned: only the assignee hears of it.
    let second = alice.ask(&category, "Sync is slow on phones").await;
    let id = second.split('/').nth(2).unwrap_or_default();
    let page = sam
        .get("/staff/queue")
        .await
        .text()
        .await
        .unwrap_or_default();
    let tina = crate::common::between(&page, "<option value=\"", "\">tina<")
        .and_then(|s| s.rsplit('"').next())
        .unwrap_or_default()
        .to_owned();
    let assigned = sam
        .act(
            "/staff/queue",
            &format!("/staff/queue/{id}"),
            &[("action", "assign"), ("member", &tina)],
        )
        .await;
    assert_eq!(assigned.status(), StatusCode::SEE_OTHER);
    waiting_a_week(&app, &second).await;
    let before = app.mails().len();
    // The assignment mail and the overdue mail, both to tina.
    assert_eq!(deliver(&app, now()).await, 2);
    let mails = app.mails();
    let new: Vec<&String> = mails[before..].iter().collect();
    assert!(
        new.iter().all(|m| m.contains("To: tina@example.com")),
        "only tina"
    );

    // The owner turns the mails off: a third overdue question mails nobody.
    let mut fields = vec![
        ("zone", "UTC"),
        ("opens", "09:00"),
        ("closes", "17:00"),
        ("target_hours", "8"),
    ];
    for day in ["1", "2", "3", "4", "5"] {
        fields.push(("day", day));
    }
    let saved = owner
        .act("/admin/business-hours", "/admin/business-hours", &fields)
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let third = alice.ask(&category, "Sync conflicts").await;
    waiting_a_week(&app, &third).await;
    assert_eq!(deliver(&app, now()).await, 0);
    let queue = sam
        .get("/staff/queue")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        queue.contains("Sync conflicts"),
        "still overdue in the queue"
    );
}
