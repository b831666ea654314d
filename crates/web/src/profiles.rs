//! Member profiles: `/u/{id}/{username}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use stoa_db::UserId;
use stoa_db::page::Cursor;
use stoa_moderation::policy::{self, Action};
use stoa_threads::profiles::{self, Contributions};

use crate::avatar::Avatar;
use crate::layout::{Layout, human_time, render};
use crate::session::Viewer;
use crate::{AppError, AppState};

/// Posts per profile page.
const POSTS_PER_PAGE: usize = 20;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/u/{id}", web::get().to(without_name))
        .route("/u/{id}/{username}", web::get().to(show))
        .route("/users/{username}", web::get().to(by_username));
}

/// A profile by username, where `@mentions` link: on to its address.
async fn by_username(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let username = path.into_inner().to_lowercase();
    let user = state
        .db
        .run(move |conn| {
            stoa_accounts::users::find_by_username(conn, &username).map_err(AppError::from)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", format!("/u/{}/{}", user.id, user.username)))
        .finish())
}

/// A post in a profile's list.
#[derive(Debug)]
pub struct PostRow {
    pub kind: &'static str,
    pub title: String,
    pub url: String,
    pub score: i32,
    pub time_shown: String,
    pub time_iso: String,
}

#[derive(Template)]
#[template(path = "profiles/show.html")]
struct ProfilePage {
    layout: Layout,
    username: String,
    display_name: String,
    bio: String,
    role_badge: Option<&'static str>,
    avatar: Avatar,
    member_since: String,
    counts: Contributions,
    posts: Vec<PostRow>,
    next_page: Option<String>,
    is_self: bool,
    /// For moderators who may act on this account: its moderation page.
    moderate_url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ProfileQuery {
    after: Option<String>,
}

async fn without_name(
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = UserId(path.into_inner());
    let profile = state
        .db
        .run(move |conn| profiles::find(conn, id).map_err(AppError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::MovedPermanently()
        .insert_header(("Location", format!("/u/{id}/{}", profile.username)))
        .finish())
}

async fn show(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(i64, String)>,
    query: web::Query<ProfileQuery>,
) -> Result<HttpResponse, AppError> {
    policy::decide(viewer.actor(), Action::ReadPublic)?;
    let (id, username) = path.into_inner();
    let id = UserId(id);
    let cursor = query.after.as_deref().and_then(Cursor::parse);
    let (profile, counts, page) = state
        .db
        .run(move |conn| {
            let Some(profile) = profiles::find(conn, id)? else {
                return Ok(None);
            };
            let counts = profiles::contributions(conn, id)?;
            let page = profiles::recent_posts(conn, id, cursor, POSTS_PER_PAGE)?;
            Ok::<_, stoa_threads::Error>(Some((profile, counts, page)))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    if profile.username != username {
        return Ok(HttpResponse::MovedPermanently()
            .insert_header(("Location", format!("/u/{id}/{}", profile.username)))
            .finish());
    }
    let url = format!("/u/{id}/{}", profile.username);
    let page = ProfilePage {
        layout: Layout::new(&state, &viewer, profile.display_name.clone()),
        is_self: viewer.user().is_some_and(|u| u.id == id),
        moderate_url: crate::moderation::may_manage(
            &viewer,
            stoa_accounts::Role::from_stored(&profile.role),
        )
        .then(|| format!("/admin/users/{id}")),
        username: profile.username,
        avatar: Avatar::new(id, &profile.display_name),
        display_name: profile.display_name,
        bio: profile.bio,
        role_badge: crate::threads::role_badge(&profile.role),
        member_since: human_time(profile.created_at).0,
        counts,
        posts: page
            .items
            .into_iter()
            .map(|p| {
                let (time_shown, time_iso) = human_time(p.created_at);
                PostRow {
                    kind: if p.is_question { "Q" } else { "A" },
                    url: format!("/q/{}/{}#post-{}", p.thread, p.slug, p.post),
                    title: p.title,
                    score: p.score,
                    time_shown,
                    time_iso,
                }
            })
            .collect(),
        next_page: page.next.map(|c| format!("{url}?after={}", c.encode())),
    };
    render(&page, StatusCode::OK, &page.layout, None)
}
