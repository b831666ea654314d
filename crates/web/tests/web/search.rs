//! Search: the page, its filters and order, what it never shows, similar and related questions,
//! and the index staying in step with every change.

use reqwest::StatusCode;
use stoa_accounts::Role;

use crate::common::{Browser, TestApp, between, edit_form, hidden, location};

crate::on_both_backends!(
    a_title_match_ranks_above_a_body_match,
    a_rare_word_counts_more_than_a_common_one,
    answers_and_comments_are_searched_too,
    every_word_in_one_post_comes_first,
    filters_and_orders_narrow_the_results,
    deleted_content_never_appears,
    edits_reach_the_index_in_the_same_transaction,
    odd_queries_get_a_friendly_page,
    similar_questions_are_offered_while_asking,
    a_thread_page_lists_related_questions,
    a_thread_page_waits_for_related_questions_no_longer_than_set,
    only_the_search_page_gets_marked_titles_and_snippets,
    a_reindex_rebuilds_what_the_writes_built,
    merging_the_index_changes_no_result,
);

/// Asks a question with its own body and tags; returns its URL.
async fn ask(browser: &Browser, category: &str, title: &str, body: &str, tags: &str) -> String {
    let response = browser
        .submit(
            "/ask",
            "/ask",
            &[
                ("title", title),
                ("body", body),
                ("category", category),
                ("tags", tags),
            ],
        )
        .await;
    if response.status() != StatusCode::SEE_OTHER {
        let status = response.status();
        let page = response.text().await.unwrap_or_default();
        let error = between(&page, "<main", "</main>").unwrap_or(&page);
        panic!("asking {title:?}: {status}: {error}");
    }
    location(&response)
}

/// The search page for `query` (already URL-encoded), as text.
async fn search(browser: &Browser, query: &str) -> String {
    let response = browser.get(&format!("/search?q={query}")).await;
    assert_eq!(response.status(), StatusCode::OK, "searching {query:?}");
    response.text().await.unwrap_or_default()
}

/// A list of one result.
fn only(url: &str) -> Vec<String> {
    vec![url.to_owned()]
}

/// The result links of a search page, in order.
fn result_urls(page: &str) -> Vec<String> {
    let Some(list) = between(page, "<ul class=\"question-list\">", "</ul>") else {
        return Vec::new();
    };
    list.split("<a class=\"title\" href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(str::to_owned))
        .collect()
}

async fn a_title_match_ranks_above_a_body_match(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let in_body = ask(
        &owner,
        &category,
        "Machine makes a strange noise",
        "Since I started descaling it weekly the pump rattles.",
        "",
    )
    .await;
    let in_title = ask(
        &owner,
        &category,
        "How often should I do descaling?",
        "The manual does not say.",
        "",
    )
    .await;
    ask(
        &owner,
        &category,
        "Unrelated billing question",
        "About invoices and plans.",
        "",
    )
    .await;
    let page = search(&app.browser(), "descaling").await;
    assert_eq!(result_urls(&page), [in_title, in_body]);
    assert!(page.contains("2 results"), "{page}");
    assert!(
        page.contains("<mark>descaling</mark>"),
        "matched words are marked: {page}"
    );
}

async fn a_rare_word_counts_more_than_a_common_one(app: TestApp) {
    let (owner, category) = app.with_category().await;
    for n in 0..5 {
        ask(
            &owner,
            &category,
            &format!("Printer number {n} jams"),
            "Paper gets stuck in the tray.",
            "",
        )
        .await;
    }
    let rare = ask(
        &owner,
        &category,
        "Update stuck halfway",
        "The firmware download stops at half.",
        "",
    )
    .await;
    // No post holds both words, so the page reaches on to those holding one: "printer" is in
    // almost every question (and in titles), "firmware" in one body, which comes first.
    let page = search(&app.browser(), "printer+firmware").await;
    let urls = result_urls(&page);
    assert_eq!(urls.len(), 6, "{page}");
    assert_eq!(urls.first(), Some(&rare), "{page}");
}

async fn answers_and_comments_are_searched_too(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = ask(
        &owner,
        &category,
        "Printer offline",
        "It says offline all day.",
        "",
    )
    .await;
    let guest = app.browser();
    assert!(result_urls(&search(&guest, "firmware").await).is_empty());
    let helper = app.signed_in("helper", Role::Member).await;
    let answer = helper
        .answer(&thread, "Update the firmware from the vendor site.")
        .await;
    assert_eq!(
        result_urls(&search(&guest, "firmware").await),
        only(&thread)
    );
    let commented = helper
        .act(
            &thread,
            &format!("/posts/{answer}/comments"),
            &[
                ("body", "Also power-cycle the spooler."),
                ("key", "comment-key-0123456789"),
            ],
        )
        .await;
    assert_eq!(commented.status(), StatusCode::SEE_OTHER);
    let page = search(&guest, "spooler").await;
    assert_eq!(result_urls(&page), [thread]);
    assert!(page.contains("<mark>spooler</mark>"), "{page}");
}

async fn every_word_in_one_post_comes_first(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let split = ask(
        &owner,
        &category,
        "Grinder jams after cleaning",
        "It stops after a few seconds.",
        "",
    )
    .await;
    let helper = app.signed_in("helper", Role::Member).await;
    helper
        .answer(&split, "Look for a bean stuck in the burr.")
        .await;
    let together = ask(
        &owner,
        &category,
        "Cleaning a burr grinder",
        "How often, and with what brush?",
        "",
    )
    .await;
    let partly = ask(&owner, &category, "Grinder is loud", "Since today.", "").await;
    ask(&owner, &category, "Kettle scale", "White flakes.", "").await;

    let guest = app.browser();
    let page = search(&guest, "burr+grinder").await;
    assert_eq!(result_urls(&page).first(), Some(&together), "{page}");
    assert!(
        page.contains("few questions or answers hold every word"),
        "{page}"
    );
    assert!(
        page.contains("How often, and with what brush?"),
        "a result whose title holds the words shows its question's opening: {page}"
    );
    // Newest first within each group: the complete result, then those holding some words,
    // the words split between a question and its answer among them.
    let newest = "burr+grinder&sort=newest";
    assert_eq!(
        result_urls(&search(&guest, newest).await),
        [together.clone(), partly.clone(), split.clone()]
    );

    // Once one post holds every word, that thread is complete too.
    helper
        .answer(&split, "A stiff burr brush keeps the grinder running.")
        .await;
    assert_eq!(
        result_urls(&search(&guest, newest).await),
        [together, split, partly]
    );
}

async fn filters_and_orders_narrow_the_results(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let member = app.signed_in("member", Role::Member).await;
    let older = ask(
        &owner,
        &category,
        "Refund for a plan",
        "I want a refund please.",
        "billing",
    )
    .await;
    let newer = ask(
        &member,
        &category,
        "Refund after upgrade",
        "Can I get a refund now?",
        "",
    )
    .await;
    let answered = member.answer(&older, "Refunds take five days.").await;
    let thread = older.split('/').nth(2).unwrap_or_default();
    let accepted = owner
        .act(
            &older,
            &format!("/q/{thread}/accept"),
            &[("answer", &answered)],
        )
        .await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let guest = app.browser();
    let urls = |filter: &'static str| {
        let guest = &guest;
        async move { result_urls(&search(guest, &format!("refund{filter}")).await) }
    };
    assert_eq!(urls("&sort=newest").await, [newer.clone(), older.clone()]);
    assert_eq!(urls("&solved=1").await, only(&older));
    assert_eq!(urls("&unanswered=1").await, only(&newer));
    assert_eq!(urls("&tag=billing").await, only(&older));
    assert_eq!(urls("&author=member").await, only(&newer));
    assert_eq!(urls("&author=%40member").await, only(&newer));
    assert_eq!(urls("&category=billing").await.len(), 2);
    let nobody = search(&guest, "refund&author=nobody").await;
    assert!(nobody.contains("There is no member"), "{nobody}");
    assert!(result_urls(&nobody).is_empty());
    let no_tag = search(&guest, "refund&tag=nosuchtag").await;
    assert!(no_tag.contains("There is no tag"), "{no_tag}");
    // Votes: the newer question gets an up vote and comes first.
    let newer_post = owner.question_post(&newer).await;
    let voted = owner.vote(&newer, &newer_post, "up").await;
    assert_eq!(voted.status(), StatusCode::SEE_OTHER);
    assert_eq!(urls("&sort=votes").await, [newer, older]);
}

async fn deleted_content_never_appears(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let asker = app.signed_in("asker", Role::Member).await;
    let thread = ask(
        &asker,
        &category,
        "Lost my invoice",
        "Where can I find it?",
        "",
    )
    .await;
    let helper = app.signed_in("helper", Role::Member).await;
    let answer = helper.answer(&thread, "Look under quokka settings.").await;
    let guest = app.browser();
    assert_eq!(result_urls(&search(&guest, "quokka").await), only(&thread));
    let deleted = helper
        .act(&thread, &format!("/posts/{answer}/delete"), &[])
        .await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    for viewer in [&guest, &asker, &owner] {
        assert!(
            result_urls(&search(viewer, "quokka").await).is_empty(),
            "a deleted answer's words find nothing"
        );
    }
    let question = asker.question_post(&thread).await;
    let gone = owner
        .act(&thread, &format!("/posts/{question}/delete"), &[])
        .await;
    assert_eq!(gone.status(), StatusCode::SEE_OTHER);
    for viewer in [&guest, &asker, &owner] {
        assert!(result_urls(&search(viewer, "invoice").await).is_empty());
    }
    let similar = guest
        .get("/api/v1/similar?title=Lost%20invoice")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(!similar.contains("Lost my invoice"), "{similar}");
    let restored = owner
        .act(&thread, &format!("/posts/{question}/restore"), &[])
        .await;
    assert_eq!(restored.status(), StatusCode::SEE_OTHER);
    assert_eq!(result_urls(&search(&guest, "invoice").await), [thread]);
}

async fn edits_reach_the_index_in_the_same_transaction(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = ask(
        &owner,
        &category,
        "Router keeps rebooting",
        "Every hour.",
        "",
    )
    .await;
    let post = owner.question_post(&thread).await;
    let (csrf, base) = edit_form(&owner, &post).await;
    let saved = owner
        .post(
            &format!("/posts/{post}/edit"),
            &[
                ("csrf", csrf.as_str()),
                ("base", base.as_str()),
                ("title", "Modem keeps rebooting"),
                ("tags", "hardware"),
                ("body", "Every hour, since the thunderstorm."),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let thread = location(&saved);
    let thread = thread.split('#').next().unwrap_or_default().to_owned();
    let guest = app.browser();
    assert!(result_urls(&search(&guest, "router").await).is_empty());
    assert_eq!(result_urls(&search(&guest, "modem").await), only(&thread));
    assert_eq!(
        result_urls(&search(&guest, "thunderstorm").await),
        only(&thread)
    );
    assert_eq!(result_urls(&search(&guest, "hardware").await), [thread]);
}

async fn odd_queries_get_a_friendly_page(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let thread = ask(&owner, &category, "Café crème setting", "Which grind?", "").await;
    let guest = app.browser();
    let long = "a".repeat(10_000);
    for query in [
        "%22",
        "*",
        "NEAR(",
        "-",
        "- -",
        "AND",
        "OR%20NOT",
        "%22unclosed%20phrase",
        "a:*%20%26%20!b%20|%20c",
        "%00",
        "'",
        "(((",
        "%E2%80%8B",
        long.as_str(),
    ] {
        let response = guest.get(&format!("/search?q={query}")).await;
        let status = response.status();
        let page = response.text().await.unwrap_or_default();
        assert!(
            status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
            "{query:.20}: {status}"
        );
        assert!(page.contains("<h1>Search</h1>"), "{query:.20}: {page}");
    }
    let too_long = guest.get(&format!("/search?q={long}")).await;
    assert_eq!(too_long.status(), StatusCode::BAD_REQUEST);
    assert!(
        too_long
            .text()
            .await
            .unwrap_or_default()
            .contains("limited to 200 characters")
    );
    // Accents and case fold both ways; a phrase and an exclusion work.
    assert_eq!(result_urls(&search(&guest, "CAFE").await), only(&thread));
    assert_eq!(
        result_urls(&search(&guest, "%22cafe%20creme%22").await),
        only(&thread)
    );
    assert!(result_urls(&search(&guest, "cafe%20-grind").await).is_empty());
    // Stemming: "settings" finds "setting".
    assert_eq!(result_urls(&search(&guest, "settings").await), [thread]);
}

async fn similar_questions_are_offered_while_asking(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let earlier = ask(
        &owner,
        &category,
        "How do I export my invoices?",
        "As PDF files, for my accountant.",
        "",
    )
    .await;
    let member = app.signed_in("member", Role::Member).await;
    // The script's endpoint: matching as the title is typed (the last word may be unfinished).
    let json: serde_json::Value = member
        .get("/api/v1/similar?title=export%20invo")
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(json["questions"][0]["url"], earlier.as_str());
    assert_eq!(
        json["questions"][0]["title"],
        "How do I export my invoices?"
    );
    assert_eq!(json["questions"][0]["solved"], false);
    // Without the script, the first submission shows them and posts nothing.
    let page = member.get("/ask").await.text().await.unwrap_or_default();
    assert_eq!(hidden(&page, "similar"), "0");
    let fields = [
        ("csrf", hidden(&page, "csrf")),
        ("key", hidden(&page, "key")),
        ("similar", "0".to_owned()),
        ("shown", hidden(&page, "shown")),
        ("title", "Exporting invoices to a spreadsheet".to_owned()),
        ("body", "CSV would do fine.".to_owned()),
        ("category", category.clone()),
    ];
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let review = member.post("/ask", &form).await;
    assert_eq!(review.status(), StatusCode::OK, "shown, not posted");
    let review = review.text().await.unwrap_or_default();
    assert!(review.contains("Questions like yours"), "{review}");
    assert!(review.contains(&format!("href=\"{earlier}\"")), "{review}");
    assert!(
        review.contains("CSV would do fine."),
        "what was typed is kept"
    );
    assert_eq!(hidden(&review, "similar"), "1");
    assert_eq!(hidden(&review, "key"), hidden(&page, "key"));
    let mut again = form.clone();
    again[2] = ("similar", "1");
    let posted = member.post("/ask", &again).await;
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    // A title like nothing else posts at once.
    let page = member.get("/ask").await.text().await.unwrap_or_default();
    let fresh = [
        ("csrf", hidden(&page, "csrf")),
        ("key", hidden(&page, "key")),
        ("similar", "0".to_owned()),
        ("shown", hidden(&page, "shown")),
        ("title", "Zebra-striped keyboard layout".to_owned()),
        ("body", "Details of the layout.".to_owned()),
        ("category", category),
    ];
    let fresh: Vec<(&str, &str)> = fresh.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        member.post("/ask", &fresh).await.status(),
        StatusCode::SEE_OTHER
    );
}

/// The "Related questions" section of the thread page at `url`, as `viewer` sees it.
async fn related(viewer: &Browser, url: &str) -> String {
    let page = viewer.get(url).await.text().await.unwrap_or_default();
    between(&page, "<h2>Related questions</h2>", "</section>")
        .unwrap_or_default()
        .to_owned()
}

/// Three questions asked by `owner` in `category`: two about database backups, which are
/// related, and one about the logo, which is not. Their URLs.
async fn backups_and_logo(owner: &Browser, category: &str) -> [String; 3] {
    let first = ask(
        owner,
        category,
        "Backup the database nightly",
        "With a cron job, ideally.",
        "",
    )
    .await;
    let second = ask(
        owner,
        category,
        "Restore a database backup",
        "From last night, ideally.",
        "",
    )
    .await;
    let logo = ask(
        owner,
        category,
        "Change the logo colour",
        "To match our brand.",
        "",
    )
    .await;
    [first, second, logo]
}

async fn a_thread_page_lists_related_questions(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let [first, second, logo] = backups_and_logo(&owner, &category).await;
    let guest = app.browser();
    for viewer in [&guest, &owner] {
        let shown = related(viewer, &second).await;
        assert!(shown.contains(&format!("href=\"{first}\"")), "{shown}");
        assert!(!shown.contains(&second), "not itself");
        assert!(!shown.contains("logo"), "{shown}");
    }
    // A new related question shows at once, to members and guests alike.
    let third = ask(
        &owner,
        &category,
        "Database backup to S3",
        "Offsite, nightly.",
        "",
    )
    .await;
    for viewer in [&guest, &owner] {
        assert!(
            related(viewer, &second)
                .await
                .contains(&format!("href=\"{third}\""))
        );
    }
    // Kept while no question is asked, they show as they are now: retitled, deleted, or
    // found again for the thread's own new title.
    let renamed = retitle(
        &owner,
        &first,
        "Backup the database hourly",
        "With a cron job.",
    )
    .await;
    for viewer in [&guest, &owner] {
        let shown = related(viewer, &second).await;
        assert!(shown.contains(&format!("href=\"{renamed}\"")), "{shown}");
        assert!(shown.contains("Backup the database hourly"), "{shown}");
        assert!(!shown.contains("nightly"), "{shown}");
    }
    let question = owner.question_post(&renamed).await;
    let deleted = owner
        .act(&renamed, &format!("/posts/{question}/delete"), &[])
        .await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    for viewer in [&guest, &owner] {
        let shown = related(viewer, &second).await;
        assert!(
            !shown.contains("hourly"),
            "a deleted question is left out: {shown}"
        );
        assert!(shown.contains(&format!("href=\"{third}\"")), "{shown}");
    }
    let second = retitle(
        &owner,
        &second,
        "Logo colour for print",
        "In CMYK, for flyers.",
    )
    .await;
    for viewer in [&guest, &owner] {
        let shown = related(viewer, &second).await;
        assert!(shown.contains(&format!("href=\"{logo}\"")), "{shown}");
    }
}

/// The related questions `guest` sees on `url` once they hold `wanted`. The page does not
/// wait for them, so they come with a later render: before each new look, `writer` answers
/// `elsewhere`, which has the page made again.
async fn related_in_time(
    guest: &Browser,
    writer: &Browser,
    url: &str,
    elsewhere: &str,
    wanted: &str,
) -> String {
    for _ in 0..50 {
        let shown = related(guest, url).await;
        if shown.contains(wanted) {
            return shown;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        writer.answer(elsewhere, "One more thought on this.").await;
    }
    panic!("{wanted} never came among the related questions of {url}");
}

async fn a_thread_page_waits_for_related_questions_no_longer_than_set(app: TestApp) {
    let app = app.another(|s| s.related_wait_ms = 0).await;
    let (owner, category) = app.with_category().await;
    let [first, second, logo] = backups_and_logo(&owner, &category).await;
    let guest = app.browser();
    assert_eq!(
        related(&guest, &second).await,
        "",
        "the first page is not kept waiting for the search"
    );
    let shown = related_in_time(&guest, &owner, &second, &logo, &format!("href=\"{first}\"")).await;
    assert!(!shown.contains("logo"), "{shown}");
    // After a question is asked, the page shows the list found before, as it is now, while
    // the search runs again (which cannot end before a page that does not wait for it).
    let third = ask(
        &owner,
        &category,
        "Database backup to S3",
        "Offsite, nightly.",
        "",
    )
    .await;
    let shown = related(&guest, &second).await;
    assert!(shown.contains(&format!("href=\"{first}\"")), "{shown}");
    related_in_time(&guest, &owner, &second, &logo, &format!("href=\"{third}\"")).await;
}

/// Retitles the question of `thread` (its body becomes `body`); its new address.
async fn retitle(author: &Browser, thread: &str, title: &str, body: &str) -> String {
    let post = author.question_post(thread).await;
    let (csrf, base) = edit_form(author, &post).await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("base", base.as_str()),
        ("title", title),
        ("tags", ""),
        ("body", body),
        ("reason", ""),
    ];
    let saved = author.post(&format!("/posts/{post}/edit"), &fields).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let url = location(&saved);
    url.split('#').next().unwrap_or_default().to_owned()
}

/// Marked titles and snippets are made for the search page alone: suggestions and related
/// questions show plain titles, and marking them took most of a thread page's rendering.
async fn only_the_search_page_gets_marked_titles_and_snippets(app: TestApp) {
    use stoa_search::{Query, SearchHit, SearchRequest};
    let (owner, category) = app.with_category().await;
    let title = "Backup the database nightly";
    ask(
        &owner,
        &category,
        title,
        "A database backup, with a cron job.",
        "",
    )
    .await;
    let search = &app.state.search;
    let first_hit = |request: SearchRequest| async move {
        let found = search.run(&request).await;
        let hits = found.unwrap_or_else(|e| panic!("{e}")).hits;
        hits.into_iter().next().unwrap_or_else(|| panic!("no hit"))
    };
    let query = |text: &str| Query::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let marked = |hit: &SearchHit| (hit.title.to_html(), hit.snippet.to_html());
    let (title_html, _) =
        marked(&first_hit(SearchRequest::new(query("database backup"), 10)).await);
    assert!(title_html.contains("<mark>"), "{title_html}");
    let (_, snippet_html) = marked(&first_hit(SearchRequest::new(query("cron"), 10)).await);
    assert!(snippet_html.contains("<mark>"), "{snippet_html}");
    let like = Query::from_title("Restore a database backup").unwrap_or_else(|e| panic!("{e}"));
    let hit = first_hit(SearchRequest::similar(like, 10, None)).await;
    assert_eq!(hit.title.0, title, "{hit:?}");
    assert!(hit.snippet.0.is_empty(), "{hit:?}");
}

async fn a_reindex_rebuilds_what_the_writes_built(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let helper = app.signed_in("helper", Role::Member).await;
    for n in 0..5 {
        let thread = ask(
            &owner,
            &category,
            &format!("Question number {n} about ports"),
            "The body of the question.",
            "network",
        )
        .await;
        let answer = helper
            .answer(&thread, &format!("Answer number {n} to it"))
            .await;
        if n == 2 {
            helper
                .act(&thread, &format!("/posts/{answer}/delete"), &[])
                .await;
        }
    }
    let incremental = app
        .db
        .run(|conn| stoa_search::database::dump(conn).map_err(stoa_db::Error::from))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(incremental.len(), 5);
    let rebuilt = app
        .write(|conn| {
            let mut after = 0;
            // Two at a time, to cross batch boundaries.
            while let Some(last) = stoa_search::database::rebuild_batch(conn, after, 2)? {
                after = last;
            }
            stoa_search::database::rebuild_finish(conn)?;
            stoa_search::database::dump(conn).map_err(stoa_db::Error::from)
        })
        .await;
    assert_eq!(rebuilt, incremental);
}

/// The segments of SQLite's full-text index of questions; `None` on PostgreSQL.
async fn segments(app: &TestApp) -> Option<i64> {
    use stoa_db::diesel::{self, RunQueryDsl, sql_types::BigInt};
    app.db
        .run(|conn| match conn {
            stoa_db::DbConn::Sqlite(_) => diesel::select(diesel::dsl::sql::<BigInt>(
                "(SELECT count(DISTINCT segid) FROM fulltext_threads_idx)",
            ))
            .get_result::<i64>(conn)
            .map(Some)
            .map_err(stoa_db::Error::from),
            stoa_db::DbConn::Postgresql(_) => Ok(None),
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn merging_the_index_changes_no_result(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let helper = app.signed_in("helper", Role::Member).await;
    for n in 0..6 {
        let thread = ask(
            &owner,
            &category,
            &format!("Port {n} is closed"),
            "The firewall says so.",
            "network",
        )
        .await;
        helper
            .answer(&thread, &format!("Open port {n} in the router"))
            .await;
    }
    let guest = app.browser();
    let before = search(&guest, "port+router").await;
    assert_eq!(result_urls(&before).len(), 6, "{before}");
    let segments_before = segments(&app).await;
    let mut steps = 0;
    while app
        .write(|conn| stoa_search::database::tidy_step(conn).map_err(stoa_db::Error::from))
        .await
    {
        steps += 1;
        assert!(steps < 100, "merging ends");
    }
    let after = search(&guest, "port+router").await;
    assert_eq!(result_urls(&after), result_urls(&before));
    match (segments_before, segments(&app).await) {
        (Some(before), Some(after)) => {
            // Each question was written in its own transaction: its own segment, until FTS5
            // merges four of them.
            assert!(before >= 2, "{before} segments before");
            assert!(steps >= 1);
            assert_eq!(
                after, 1,
                "one segment per level, and all of them were on one"
            );
        }
        (None, None) => assert_eq!(steps, 0, "PostgreSQL has nothing to merge"),
        other => panic!("{other:?}"),
    }
}
