//! The notifications page (what happened, newest first, and what the member watches), opening
//! one (marks it read and goes to the post), marking all read, and watching or unwatching a
//! thread, a tag or a category.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use stoa_notify::notifications::{self, NotificationView};
use stoa_notify::watching::{self, Target, Watched};

use crate::accounts::safe_next;
use crate::layout::{Layout, human_time, render, see_other};
use crate::session::{Checked, CsrfOnly, SignedIn};
use crate::{AppError, AppState};

/// Notifications a page shows.
const PER_PAGE: i64 = 30;
/// Watched things of each kind listed under them.
const WATCHED_SHOWN: i64 = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/notifications", web::get().to(show))
        .route("/notifications/read", web::post().to(mark_all_read))
        .route("/notifications/{id}", web::get().to(open))
        .route("/watch", web::post().to(watch));
}

/// The watch button of a thread, tag or category page (`templates/watch.html`).
#[derive(Debug, Clone)]
pub struct WatchButton {
    pub target: &'static str,
    pub id: i64,
    /// Whether the viewer watches it now.
    pub on: bool,
    /// What watching it brings, said next to the button.
    pub what: &'static str,
    /// The page to come back to.
    pub back: String,
    /// The viewer's CSRF token.
    pub csrf: String,
}

/// The watch button alone, for pages that show it per viewer around a shared copy.
#[derive(Template)]
#[template(source = "{% include \"watch.html\" %}", ext = "html")]
pub struct WatchButtonHtml<'a> {
    pub w: &'a WatchButton,
}

impl WatchButton {
    pub fn new(target: Target, on: bool, back: String, csrf: String) -> WatchButton {
        WatchButton {
            target: target.kind(),
            id: target.id(),
            on,
            what: match target {
                Target::Thread(_) => "new answers and comments",
                Target::Tag(_) => "new questions with this tag",
                Target::Category(_) => "new questions in this category",
            },
            back,
            csrf,
        }
    }
}

/// One row of the list.
struct Row {
    url: String,
    actor: String,
    sentence: &'static str,
    thread_title: String,
    unread: bool,
    time_shown: String,
    time_iso: String,
}

impl From<NotificationView> for Row {
    fn from(n: NotificationView) -> Row {
        let (time_shown, time_iso) = human_time(n.created_at);
        Row {
            url: format!("/notifications/{}", n.id),
            actor: n.actor.clone().unwrap_or_else(|| "Someone".to_owned()),
            sentence: n.kind.0.sentence(),
            thread_title: n.thread_title,
            unread: !n.read,
            time_shown,
            time_iso,
        }
    }
}

#[derive(Template)]
#[template(path = "notifications/list.html")]
struct NotificationsPage {
    layout: Layout,
    rows: Vec<Row>,
    older: Option<String>,
    watched: Vec<(&'static str, Watched)>,
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    before: Option<i64>,
}

async fn show(
    state: web::Data<AppState>,
    user: SignedIn,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let member = user.user.id;
    let before = query.before;
    let (items, watched) = state
        .db
        .run(move |conn| {
            let items = notifications::recent(conn, member, before, PER_PAGE)?;
            let watched = watching::list(conn, member, WATCHED_SHOWN)?;
            Ok::<_, AppError>((items, watched))
        })
        .await?;
    let older = (items.len() == usize::try_from(PER_PAGE).unwrap_or_default())
        .then(|| {
            items
                .last()
                .map(|n| format!("/notifications?before={}", n.id))
        })
        .flatten();
    let page = NotificationsPage {
        layout: Layout::new(&state, &user.viewer, "Notifications"),
        rows: items.into_iter().map(Row::from).collect(),
        older,
        watched: watched
            .into_iter()
            .map(|w| {
                let kind = match w.target {
                    Target::Thread(_) => "Question",
                    Target::Tag(_) => "Tag",
                    Target::Category(_) => "Category",
                };
                (kind, w)
            })
            .collect(),
    };
    render(&page, StatusCode::OK, &page.layout, None)
}

/// Marks the notification read and goes to what it is about.
async fn open(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let member = user.user.id;
    let id = path.into_inner();
    let found = state
        .db
        .write(move |conn| Ok::<_, AppError>(notifications::open(conn, member, id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    // A GET that wrote (the bell's number): what this node keeps in memory, the member's
    // session among it, is out of date now, not only once the change watch hears of it.
    state.pages.invalidate();
    Ok(see_other(&found.target_url()))
}

async fn mark_all_read(
    state: web::Data<AppState>,
    user: SignedIn,
    _form: Checked<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let member = user.user.id;
    state
        .db
        .write(move |conn| Ok::<_, AppError>(notifications::mark_all_read(conn, member)?))
        .await?;
    Ok(see_other("/notifications"))
}

/// The watch form: what (`target`, `id`), whether (`watch` 1 or 0), and where to go back to.
#[derive(Debug, Deserialize)]
pub struct WatchForm {
    #[serde(default)]
    csrf: String,
    target: String,
    id: i64,
    watch: String,
    #[serde(default)]
    back: String,
}

crate::session::csrf_protected!(WatchForm);

async fn watch(
    state: web::Data<AppState>,
    user: SignedIn,
    form: Checked<WatchForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let target = Target::parse(&form.target, form.id)
        .ok_or_else(|| AppError::BadRequest("Nothing of that kind can be watched.".into()))?;
    let on = match form.watch.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(AppError::BadRequest("Say whether to watch it.".into())),
    };
    let member = user.user.id;
    state
        .db
        .write(move |conn| {
            if !on {
                watching::unwatch(conn, member, target)?;
            } else if watching::exists(conn, target)? {
                watching::watch(conn, member, target)?;
            } else {
                return Err(AppError::NotFound);
            }
            Ok(())
        })
        .await?;
    let back = match (form.back.as_str(), target) {
        ("", Target::Thread(id)) => format!("/q/{id}"),
        ("", _) => "/notifications".to_owned(),
        (back, _) => safe_next(back).to_owned(),
    };
    Ok(see_other(&back))
}
