//! Guests' pages come from memory while content is unchanged, and never once it changed:
//! on this node at once, from elsewhere (another node, a command) within moments.

use std::time::{Duration, Instant};

use stoa_accounts::Role;
use stoa_db::ThreadId;
use stoa_db::diesel::prelude::*;
use stoa_db::schema::threads;

use crate::common::{Browser, TestApp, between, hidden, location};
use crate::on_both_backends;

async fn text(browser: &Browser, path: &str) -> String {
    browser.get(path).await.text().await.unwrap_or_default()
}

/// Reads `path` as a guest until it contains `needle`, for at most three seconds.
async fn eventually_contains(browser: &Browser, path: &str, needle: &str) -> Duration {
    let started = Instant::now();
    loop {
        if text(browser, path).await.contains(needle) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{path} never showed {needle:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_new_answer_shows_to_guests_at_once(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner
        .ask(&category, "Where is the invoice for March?")
        .await;
    let guest = app.browser();
    let first = text(&guest, &thread).await;
    assert!(first.contains("Where is the invoice for March?"));
    assert_eq!(
        text(&guest, &thread).await,
        first,
        "the same page for every guest"
    );
    owner
        .answer(&thread, "Open Billing, then Invoices, then March.")
        .await;
    assert!(
        text(&guest, &thread)
            .await
            .contains("Open Billing, then Invoices, then March."),
        "the first read after the answer shows it"
    );
}

/// Asks a question tagged `tag` in `category`.
async fn ask_tagged(browser: &Browser, category: &str, title: &str, tag: &str) {
    let body = format!("The details of this question: {title}");
    let response = browser
        .submit(
            "/ask",
            "/ask",
            &[
                ("title", title),
                ("body", &body),
                ("category", category),
                ("tags", tag),
            ],
        )
        .await;
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
}

/// Every guest sees the same question lists: they are kept after the first read, and a new
/// question is on them at the next.
async fn a_new_question_shows_on_guests_lists_at_once(app: TestApp) {
    let (owner, category) = app.with_category().await;
    ask_tagged(&owner, &category, "Can I pay by the year?", "billing").await;
    // The watch hears of the question's own commit within its interval (and empties the
    // cache then): let it, so that what is read next stays kept.
    tokio::time::sleep(stoa_web::page_cache::WATCH_EVERY * 3).await;
    let guest = app.browser();
    for list in ["/", "/tags/billing", "/?tab=unanswered"] {
        let first = text(&guest, list).await;
        assert!(first.contains("Can I pay by the year?"), "{list}");
        assert!(app.pages.get(list).is_some(), "{list} is kept for guests");
        assert_eq!(text(&guest, list).await, first, "{list}");
    }
    ask_tagged(
        &owner,
        &category,
        "Is there a discount for charities?",
        "billing",
    )
    .await;
    for list in ["/", "/tags/billing", "/?tab=unanswered"] {
        let page = text(&guest, list).await;
        assert!(
            page.contains("Is there a discount for charities?")
                && page.contains("Can I pay by the year?"),
            "{list} shows the new question at once"
        );
    }
}

/// A parameter the list does not read (a campaign tag, a notice it does not know) gets the
/// same copy, not one of its own; an unknown tag is not found, and nothing is kept for it.
async fn guests_lists_are_kept_once_whatever_else_the_address_holds(app: TestApp) {
    let (owner, category) = app.with_category().await;
    owner.ask(&category, "Where do I change my address?").await;
    let guest = app.browser();
    let plain = text(&guest, "/").await;
    for address in ["/?utm_source=mail", "/?done=no-such-notice&utm=1"] {
        assert_eq!(text(&guest, address).await, plain, "{address}");
        assert!(app.pages.get(address).is_none(), "{address} has no copy");
    }
    let logged_out = text(&guest, "/?done=logged-out").await;
    assert!(logged_out.contains("You are logged out."));
    assert!(!text(&guest, "/").await.contains("You are logged out."));
    let missing = guest.get("/tags/no-such-tag").await;
    assert_eq!(missing.status(), reqwest::StatusCode::NOT_FOUND);
    assert!(app.pages.get("/tags/no-such-tag").is_none());
}

/// Members get their own list (their name, their watch button), never the guests' copy,
/// and guests never get a member's; a new question is on it at the next read.
async fn members_lists_are_their_own(app: TestApp) {
    let (owner, category) = app.with_category().await;
    ask_tagged(&owner, &category, "How do refunds work?", "billing").await;
    let guest = app.browser();
    let guest_list = text(&guest, "/tags/billing").await;
    let member = app.signed_in("martha", Role::Member).await;
    let member_list = text(&member, "/tags/billing").await;
    assert!(member_list.contains("martha") && member_list.contains("Log out"));
    assert!(member_list.contains("How do refunds work?"));
    assert!(!guest_list.contains("Log out"));
    assert_eq!(text(&guest, "/tags/billing").await, guest_list);
    let (html, _, compressed) = read_asking(&guest, "/tags/billing", BROWSER).await;
    assert!(compressed, "guests' lists come compressed");
    assert_eq!(html, guest_list);
    ask_tagged(&owner, &category, "Can I get a refund in part?", "billing").await;
    for list in ["/", "/tags/billing"] {
        let page = text(&member, list).await;
        assert!(
            page.contains("Can I get a refund in part?") && page.contains("martha"),
            "{list}"
        );
    }
}

/// Members share one copy of a list, yet each sees their own name, token and watch button,
/// and gets it compressed as browsers ask.
async fn members_share_a_list_but_each_see_their_own_parts(app: TestApp) {
    let (owner, category) = app.with_category().await;
    ask_tagged(&owner, &category, "How do refunds work?", "billing").await;
    let nina = app.signed_in("nina", Role::Member).await;
    let omar = app.signed_in("omar", Role::Member).await;
    let list = "/tags/billing";
    let nina_list = text(&nina, list).await;
    let omar_list = text(&omar, list).await;
    assert!(nina_list.contains("(@nina)") && !nina_list.contains("(@omar)"));
    assert!(omar_list.contains("(@omar)") && !omar_list.contains("(@nina)"));
    let nina_token = hidden(&nina_list, "csrf");
    assert_ne!(nina_token, hidden(&omar_list, "csrf"));
    let watch_form = |page: &str| {
        between(page, "<form class=\"watch-form\"", "</form>")
            .unwrap_or_else(|| panic!("no watch form: {page}"))
            .to_owned()
    };
    // Every form on the page carries the member's own token.
    assert_eq!(hidden(&watch_form(&nina_list), "csrf"), nina_token);
    assert_eq!(
        nina_list
            .matches(&format!("value=\"{nina_token}\""))
            .count(),
        nina_list.matches("name=\"csrf\"").count()
    );
    let form = watch_form(&nina_list);
    let watched = nina
        .post(
            "/watch",
            &[
                ("csrf", hidden(&form, "csrf").as_str()),
                ("target", hidden(&form, "target").as_str()),
                ("id", hidden(&form, "id").as_str()),
                ("back", hidden(&form, "back").as_str()),
                ("watch", "1"),
            ],
        )
        .await;
    assert_eq!(watched.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(location(&watched), list, "back to the list");
    let nina_list = text(&nina, list).await;
    let omar_list = text(&omar, list).await;
    assert!(
        watch_form(&nina_list).contains("Stop watching"),
        "{nina_list}"
    );
    assert!(
        !watch_form(&omar_list).contains("Stop watching"),
        "{omar_list}"
    );
    for (member, plain) in [(&nina, &nina_list), (&omar, &omar_list)] {
        let (html, _, compressed) = read_asking(member, list, BROWSER).await;
        assert!(compressed, "members' lists come compressed");
        assert_eq!(&html, plain);
    }
    // The owner's copy has the tag's description form too, with the owner's token.
    let owner_list = text(&owner, list).await;
    let owner_token = hidden(&owner_list, "csrf");
    assert!(owner_list.contains("Edit the description") && !nina_list.contains("Edit the"));
    assert_ne!(owner_token, nina_token);
    assert_eq!(
        owner_list
            .matches(&format!("value=\"{owner_token}\""))
            .count(),
        owner_list.matches("name=\"csrf\"").count()
    );
}

/// Members who never wrote in a thread share one copy of its page, yet each sees their own
/// name and votes, and gets forms that work for them alone, with a fresh key each time.
async fn members_share_a_page_but_each_see_their_own_parts(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "Can I export my data as CSV?").await;
    let question = owner.question_post(&thread).await;
    let nina = app.signed_in("nina", Role::Member).await;
    let omar = app.signed_in("omar", Role::Member).await;
    nina.vote(&thread, &question, "up").await;
    let pressed = r#"class="vote up on""#;
    let nina_page = text(&nina, &thread).await;
    let omar_page = text(&omar, &thread).await;
    assert!(nina_page.contains(pressed) && !omar_page.contains(pressed));
    assert!(nina_page.contains("(@nina)") && !nina_page.contains("(@omar)"));
    assert!(omar_page.contains("(@omar)") && !omar_page.contains("(@nina)"));
    assert_ne!(hidden(&nina_page, "csrf"), hidden(&omar_page, "csrf"));
    let again = text(&omar, &thread).await;
    assert_eq!(hidden(&again, "csrf"), hidden(&omar_page, "csrf"));
    assert_ne!(
        hidden(&again, "key"),
        hidden(&omar_page, "key"),
        "each view of the page has keys of its own"
    );
    // The forms of the shared copy work for the member reading it.
    omar.vote(&thread, &question, "down").await;
    let answer = omar
        .answer(&thread, "Yes: Settings, then Export, then CSV.")
        .await;
    let omar_page = text(&omar, &thread).await;
    assert!(omar_page.contains(r#"class="vote down on""#));
    assert!(
        omar_page.contains(&format!("/posts/{answer}/edit")),
        "a member who wrote in the thread sees their own post's links"
    );
    let nina_page = text(&nina, &thread).await;
    assert!(nina_page.contains(pressed) && !nina_page.contains(r#"class="vote down on""#));
    assert!(!nina_page.contains(&format!("/posts/{answer}/edit")));
}

/// Members who read a thread at once just after it changed wait for one of them to render the
/// copy they share; each still gets their own name, token and votes in it.
async fn members_reading_at_once_after_a_change_each_get_their_own_page(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "Is there a dark mode?").await;
    let question = owner.question_post(&thread).await;
    let mut members = Vec::new();
    for name in ["pia", "quinn", "rosa"] {
        let member = app.signed_in(name, Role::Member).await;
        let token = hidden(&text(&member, &thread).await, "csrf");
        members.push((name, member, token));
    }
    members[0].1.vote(&thread, &question, "up").await;
    owner
        .answer(&thread, "Yes: Settings, then Appearance.")
        .await;
    let mut reads = Vec::new();
    for (name, member, token) in &members {
        for _ in 0..8 {
            let (client, url) = (member.client.clone(), format!("{}{thread}", app.base));
            let (name, token) = (*name, token.clone());
            reads.push(tokio::spawn(async move {
                let page = client.get(url).send().await?.text().await?;
                Ok::<_, reqwest::Error>((name, token, page))
            }));
        }
    }
    for read in reads {
        let (name, token, page) = read
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            page.contains("Settings, then Appearance."),
            "{name}: {page}"
        );
        assert!(
            page.contains(&format!("(@{name})")),
            "{name} sees their name"
        );
        assert_eq!(hidden(&page, "csrf"), token, "{name} gets their own token");
        assert_eq!(
            page.contains(r#"class="vote up on""#),
            name == "pia",
            "{name} sees their own vote"
        );
    }
}

async fn members_never_get_the_guests_copy(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "Can I pay by bank transfer?").await;
    let guest = app.browser();
    let guest_page = text(&guest, &thread).await;
    assert!(!guest_page.contains("Log out"));
    let member = app.signed_in("martha", Role::Member).await;
    let member_page = text(&member, &thread).await;
    assert!(member_page.contains("Log out") && member_page.contains("martha"));
    assert!(!text(&guest, &thread).await.contains("martha"));
}

/// While nothing changes the cache is never emptied, however long guests read (so their
/// pages come from memory; the watch on the database must not cry wolf).
async fn pages_stay_cached_while_nothing_changes(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "Do you ship to Norway?").await;
    // The watch hears of the question's own commit within its interval: let it.
    tokio::time::sleep(stoa_web::page_cache::WATCH_EVERY * 3).await;
    let guest = app.browser();
    let first = text(&guest, &thread).await;
    let generation = app.pages.generation();
    let until = Instant::now() + Duration::from_millis(800);
    while Instant::now() < until {
        assert_eq!(text(&guest, &thread).await, first);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        app.pages.generation(),
        generation,
        "nothing changed, yet the cache was emptied"
    );
}

/// A browser asking for gzip gets the same page compressed (made once, not per request);
/// one that does not gets it as it is.
async fn guests_asking_for_gzip_get_the_page_compressed(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner
        .ask(&category, "Which plan includes phone support?")
        .await;
    let guest = app.browser();
    let plain = text(&guest, &thread).await;
    for _ in 0..2 {
        let (html, bytes, compressed) = read_asking(&guest, &thread, "br;q=1, gzip;q=0.8").await;
        assert!(compressed);
        assert_eq!(html, plain);
        assert!(bytes < plain.len() / 2);
    }
    let (html, _, compressed) = read_asking(&guest, &thread, "gzip;q=0").await;
    assert!(!compressed);
    assert_eq!(html, plain);
}

/// A post cannot place a member's token (or anything of theirs) on the page members share:
/// the marks where their parts go hold a secret no post can know.
async fn a_post_cannot_place_a_members_parts(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner
        .ask(&category, "How do I change my billing email?")
        .await;
    let planted = "Try this: \u{1}c\u{1} and \u{1}m\u{1} and \u{1}k\u{1} here.";
    owner.answer(&thread, planted).await;
    let nina = app.signed_in("nina", Role::Member).await;
    let page = text(&nina, &thread).await;
    let token = hidden(&page, "csrf");
    assert!(!token.is_empty());
    let answer = between(&page, "Try this:", "here.").unwrap_or_else(|| panic!("{page}"));
    assert!(
        !answer.contains(&token) && !answer.contains("(@nina)"),
        "the answer shows a member's own parts: {answer:?}"
    );
}

/// `path` as `browser` reads it sending `Accept-Encoding: accepted`: the page (decoded), how
/// many bytes came, and whether they came gzip-compressed.
async fn read_asking(browser: &Browser, path: &str, accepted: &str) -> (String, usize, bool) {
    use std::io::Read;
    let response = browser
        .client
        .get(format!("{}{path}", browser.base))
        .header("Accept-Encoding", accepted)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let compressed = response
        .headers()
        .get("content-encoding")
        .is_some_and(|v| v == "gzip");
    let bytes = response.bytes().await.unwrap_or_default();
    let mut html = String::new();
    if compressed {
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut html)
            .unwrap_or_else(|e| panic!("not gzip: {e}"));
    } else {
        html = String::from_utf8_lossy(&bytes).into_owned();
    }
    (html, bytes.len(), compressed)
}

/// What browsers send.
const BROWSER: &str = "gzip, deflate, br, zstd";

/// The page with its form keys (fresh on every view) left out.
fn without_keys(html: &str) -> String {
    let key = hidden(html, "key");
    if key.is_empty() {
        return html.to_owned();
    }
    let base = key.rsplit_once('-').map_or(key.as_str(), |(base, _)| base);
    html.replace(base, "KEY")
}

/// Members' browsers ask for gzip too: a member who did not vote in the thread gets their own
/// page (their name, token, watch button) compressed from the copy members share; one who
/// voted gets theirs, with their vote, as well.
async fn members_asking_for_gzip_get_their_own_page_compressed(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "Can I pay by bank transfer?").await;
    owner
        .answer(&thread, "Yes: Billing, then Payment method, then Transfer.")
        .await;
    let question = owner.question_post(&thread).await;
    let nina = app.signed_in("nina", Role::Member).await;
    let omar = app.signed_in("omar", Role::Member).await;
    let plain = text(&nina, &thread).await;
    for _ in 0..2 {
        let (html, bytes, compressed) = read_asking(&nina, &thread, BROWSER).await;
        assert!(compressed, "a member's page comes compressed");
        assert_eq!(without_keys(&html), without_keys(&plain));
        assert!(html.contains("(@nina)") && !html.contains("(@omar)"));
        // Fewer bytes than the page (this one is small, and a member's own parts, about a
        // kilobyte, are stored as they are: a thread of ten answers comes to a third).
        assert!(bytes < plain.len(), "{bytes} bytes for {}", plain.len());
    }
    let (omar_page, _, _) = read_asking(&omar, &thread, BROWSER).await;
    assert!(omar_page.contains("(@omar)") && !omar_page.contains("(@nina)"));
    assert_ne!(hidden(&omar_page, "csrf"), hidden(&plain, "csrf"));

    nina.vote(&thread, &question, "up").await;
    let (voted, _, _) = read_asking(&nina, &thread, BROWSER).await;
    assert!(voted.contains(r#"class="vote up on""#), "her vote shows");
    assert_eq!(
        without_keys(&voted),
        without_keys(&text(&nina, &thread).await)
    );
    let (other, _, compressed) = read_asking(&omar, &thread, BROWSER).await;
    assert!(compressed && !other.contains(r#"class="vote up on""#));
}

/// A change written straight to the database (as another process would) reaches guests.
async fn a_change_from_elsewhere_reaches_guests(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = owner
        .ask(&category, "Is there a discount for schools?")
        .await;
    let guest = app.browser();
    assert!(text(&guest, &thread).await.contains("discount for schools"));
    let id: i64 = thread
        .split('/')
        .nth(2)
        .and_then(|id| id.parse().ok())
        .unwrap_or_default();
    app.write(move |conn| {
        stoa_db::diesel::update(threads::table.find(ThreadId(id)))
            .set(threads::title.eq("Is there a discount for schools and libraries?"))
            .execute(conn)
            .map_err(stoa_db::Error::from)
    })
    .await;
    eventually_contains(&guest, &thread, "discount for schools and libraries").await;
}

/// Two nodes on one database: an answer posted on one reaches the other's guests.
async fn an_answer_on_one_node_reaches_guests_of_another(app: TestApp) {
    let other = app.second_node().await;
    let (owner, category) = app.with_category().await;
    let thread = owner.ask(&category, "How do I export my data?").await;
    let guest_elsewhere = other.browser();
    assert!(
        text(&guest_elsewhere, &thread)
            .await
            .contains("export my data")
    );
    owner
        .answer(&thread, "Settings, then Export, then Download.")
        .await;
    eventually_contains(
        &guest_elsewhere,
        &thread,
        "Settings, then Export, then Download.",
    )
    .await;
}

on_both_backends!(
    members_share_a_page_but_each_see_their_own_parts,
    members_reading_at_once_after_a_change_each_get_their_own_page,
    a_new_answer_shows_to_guests_at_once,
    pages_stay_cached_while_nothing_changes,
    guests_asking_for_gzip_get_the_page_compressed,
    members_asking_for_gzip_get_their_own_page_compressed,
    a_post_cannot_place_a_members_parts,
    members_never_get_the_guests_copy,
    a_change_from_elsewhere_reaches_guests,
    an_answer_on_one_node_reaches_guests_of_another,
    a_new_question_shows_on_guests_lists_at_once,
    guests_lists_are_kept_once_whatever_else_the_address_holds,
    members_lists_are_their_own,
    members_share_a_list_but_each_see_their_own_parts,
);
