//! Member profiles and their settings.

use reqwest::StatusCode;
use stoa_accounts::Role;

use crate::common::{TestApp, between, location};
use crate::on_both_backends;

on_both_backends!(
    a_profile_counts_what_a_member_contributed,
    members_edit_their_name_and_bio
);

async fn a_profile_counts_what_a_member_contributed(app: TestApp) {
    let (owner, category) = app.with_category().await;
    let helper = app.signed_in("helper", Role::Member).await;
    let first = owner.ask(&category, "First question for the helper").await;
    let second = owner.ask(&category, "Second question for the helper").await;
    let accepted = helper.answer(&first, "An answer that gets accepted.").await;
    let upvoted = helper
        .answer(&second, "An answer that gets two votes.")
        .await;
    let deleted = helper
        .answer(&second, "An answer the helper deletes.")
        .await;
    owner
        .act(
            &first,
            &format!("/q/{}/accept", first.split('/').nth(2).unwrap_or_default()),
            &[("answer", accepted.as_str())],
        )
        .await;
    owner.vote(&second, &upvoted, "up").await;
    let voter = app.signed_in("voter", Role::Member).await;
    voter.vote(&second, &upvoted, "up").await;
    helper
        .act(&second, &format!("/posts/{deleted}/delete"), &[])
        .await;
    helper.ask(&category, "The helper asks something too").await;

    let home = app
        .browser()
        .get("/")
        .await
        .text()
        .await
        .unwrap_or_default();
    let profile_url = between(&home, "asked by <a href=\"", "\"")
        .unwrap_or_default()
        .to_owned();
    assert!(
        profile_url.ends_with("/helper"),
        "names link to profiles: {profile_url}"
    );
    let page = app
        .browser()
        .get(&profile_url)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        page.contains(r#"aria-hidden="true">H</span> helper</h1>"#)
            && page.contains("member since"),
        "the name under its initials avatar: {page}"
    );
    for count in [
        "<strong>1</strong> question",
        "<strong>2</strong> answers",
        "<strong>1</strong> accepted",
        "<strong>2</strong> score",
    ] {
        assert!(page.contains(count), "{count} in {page}");
    }
    assert!(
        page.contains("The helper asks something too")
            && page.contains("Second question for the helper")
    );
    assert!(
        !page.contains(&format!("#post-{deleted}")),
        "deleted posts are not listed"
    );

    let id = profile_url.split('/').nth(2).unwrap_or_default();
    let short = app.browser().get(&format!("/u/{id}")).await;
    assert_eq!(
        (short.status(), location(&short)),
        (StatusCode::MOVED_PERMANENTLY, profile_url.clone())
    );
    let wrong = app.browser().get(&format!("/u/{id}/someone-else")).await;
    assert_eq!(location(&wrong), profile_url);
    assert_eq!(
        app.browser().get("/u/424242/nobody").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn members_edit_their_name_and_bio(app: TestApp) {
    let (_owner, category) = app.with_category().await;
    let member = app.signed_in("wanda", Role::Member).await;
    let thread = member.ask(&category, "A question by Wanda herself").await;
    let saved = member
        .act(
            "/account",
            "/account/profile",
            &[
                ("display_name", "Wanda M."),
                ("bio", "Runs a bakery.\nLikes sourdough."),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let post = app
        .browser()
        .get(&thread)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        post.contains(">Wanda M.</a>"),
        "the new name shows on posts"
    );
    let account = member
        .get("/account")
        .await
        .text()
        .await
        .unwrap_or_default();
    let profile_url = between(&account, "on <a href=\"", "\"")
        .unwrap_or_default()
        .to_owned();
    let profile = app
        .browser()
        .get(&profile_url)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(profile.contains("Wanda M.") && profile.contains("Runs a bakery.\nLikes sourdough."));

    let long = "x".repeat(501);
    let refused = member
        .act(
            "/account",
            "/account/profile",
            &[("display_name", "Wanda"), ("bio", long.as_str())],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap_or_default();
    assert!(
        page.contains("under 500 characters") && page.contains(&long),
        "the reason, and the text kept"
    );
    let empty_name = member
        .act(
            "/account",
            "/account/profile",
            &[("display_name", "  "), ("bio", "")],
        )
        .await;
    assert_eq!(empty_name.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
