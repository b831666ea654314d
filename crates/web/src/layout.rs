//! What every page shares (the header's community name and who is signed in) and how a page
//! becomes a response.

use actix_web::HttpResponse;
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, ContentType};
use askama::Template;
use time::PrimitiveDateTime;
use time::macros::format_description;

use crate::session::Viewer;
use crate::{AppError, AppState, assets};

/// The base layout's data.
#[derive(Debug)]
pub struct Layout {
    pub community: String,
    /// `(username, display name)` of the signed-in member.
    pub signed_in: Option<(String, String)>,
    pub is_owner: bool,
    /// Staff, moderators and the owner: the header links the staff queue.
    pub is_team: bool,
    /// Moderators and the owner: the header links the review queue and the audit log.
    pub is_moderator: bool,
    /// Unread notifications of the signed-in member (the bell's number).
    pub unread: i32,
    /// CSRF token for the page's forms.
    pub csrf: String,
    /// The signed-in member's part of the header (`templates/member_nav.html`); empty for
    /// guests.
    pub member_nav: String,
    pub stylesheet: &'static str,
    pub script: &'static str,
    pub title: String,
    /// The page carries a guest's form token: never stored by shared caches.
    pub private: bool,
}

/// The signed-in member's part of the header: the bell with their unread notifications,
/// their name, the log-out form.
#[derive(Template)]
#[template(path = "member_nav.html")]
pub struct MemberNav<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub unread: i32,
    pub csrf: &'a str,
}

impl MemberNav<'_> {
    /// The header part for `user`, whose forms carry `csrf`.
    pub fn of(user: &stoa_accounts::SignedInUser, csrf: &str) -> String {
        MemberNav {
            username: &user.username,
            display_name: &user.display_name,
            unread: user.unread_notifications,
            csrf,
        }
        .to_string()
    }
}

impl Layout {
    pub fn new(state: &AppState, viewer: &Viewer, title: impl Into<String>) -> Layout {
        let csrf = viewer.csrf_token();
        Layout {
            member_nav: viewer.member_nav().to_owned(),
            community: state.community_name(),
            signed_in: viewer
                .user()
                .map(|u| (u.username.clone(), u.display_name.clone())),
            unread: viewer.user().map_or(0, |u| u.unread_notifications),
            is_owner: viewer.is_owner(),
            is_team: stoa_moderation::policy::decide(
                viewer.actor(),
                stoa_moderation::policy::Action::StaffQueue,
            )
            .is_ok(),
            is_moderator: stoa_moderation::policy::decide(
                viewer.actor(),
                stoa_moderation::policy::Action::Review,
            )
            .is_ok(),
            csrf,
            stylesheet: assets::stylesheet_url(),
            script: assets::script_url(),
            title: title.into(),
            private: false,
        }
    }
}

/// Renders `page` with `status`. A page shown to a signed-in member, or one that sets a
/// cookie, is never stored by shared caches.
pub fn render(
    page: &impl Template,
    status: StatusCode,
    layout: &Layout,
    cookie: Option<Cookie<'static>>,
) -> Result<HttpResponse, AppError> {
    let body = page.render()?;
    let mut response = HttpResponse::build(status);
    response.content_type(ContentType::html());
    if layout.signed_in.is_some() || layout.private || cookie.is_some() {
        response.insert_header((CACHE_CONTROL, "private, no-store"));
    }
    if let Some(cookie) = cookie {
        response.cookie(cookie);
    }
    Ok(response.body(body))
}

/// A `303 See Other` to `location`, the answer to a successful form post.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}

/// A timestamp as shown on pages, and its machine-readable form for `<time datetime>`.
pub fn human_time(t: PrimitiveDateTime) -> (String, String) {
    let shown = t
        .format(format_description!(
            "[month repr:short] [day padding:none], [year] at [hour]:[minute] UTC"
        ))
        .unwrap_or_default();
    let iso = t
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap_or_default();
    (shown, iso)
}

/// A fresh idempotency key for a posting form.
pub fn form_key() -> String {
    use base64::Engine;
    // Filled at once (`random` draws a word per byte) and encoded into a string of its size
    // (`encode` zeroes a buffer first): a member's every page makes one.
    let mut bytes = [0u8; 18];
    rand::fill(&mut bytes[..]);
    let mut key = String::with_capacity(24);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(bytes, &mut key);
    key
}
