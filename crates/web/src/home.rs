//! The home page: the latest questions, newest first, a page at a time.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use stoa_db::page::Cursor;
use stoa_threads::views::{self, ThreadSummary};

use crate::layout::{Layout, human_time, render};
use crate::session::Viewer;
use crate::{AppError, AppState};

/// Questions per page.
pub const PAGE_SIZE: usize = 30;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home));
}

/// A row of a question list, ready to show.
#[derive(Debug)]
pub struct QuestionRow {
    pub url: String,
    pub title: String,
    pub answer_count: i32,
    pub category: String,
    pub author: String,
    pub author_username: String,
    pub time_shown: String,
    pub time_iso: String,
}

impl From<ThreadSummary> for QuestionRow {
    fn from(t: ThreadSummary) -> Self {
        let (time_shown, time_iso) = human_time(t.created_at);
        QuestionRow {
            url: format!("/q/{}/{}", t.id, t.slug),
            title: t.title,
            answer_count: t.answer_count,
            category: t.category_name,
            author: t.author.display_name,
            author_username: t.author.username,
            time_shown,
            time_iso,
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    questions: Vec<QuestionRow>,
    next_page: Option<String>,
    is_first_page: bool,
    notice: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    after: Option<String>,
    done: Option<String>,
}

/// Messages shown after a redirect, chosen by a fixed key (never text from the URL).
fn notice(key: Option<&str>) -> Option<&'static str> {
    match key? {
        "registered" => Some("Welcome! We sent you a link to confirm your email address."),
        "logged-out" => Some("You are logged out."),
        "email-verified" => Some("Thank you: your email address is confirmed."),
        "password-changed" => Some("Your password is changed, and every other session has ended."),
        "owner-created" => {
            Some("Your owner account is ready. Create the first categories in Settings.")
        }
        _ => None,
    }
}

async fn home(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let cursor = query.after.as_deref().and_then(Cursor::parse);
    let page = state
        .db
        .run(move |conn| views::latest(conn, cursor, PAGE_SIZE).map_err(AppError::from))
        .await?;
    let page = HomePage {
        layout: Layout::new(&state, &viewer, "Latest questions"),
        questions: page.items.into_iter().map(QuestionRow::from).collect(),
        next_page: page.next.map(|c| format!("/?after={}", c.encode())),
        is_first_page: cursor.is_none(),
        notice: notice(query.done.as_deref()),
    };
    render(&page, StatusCode::OK, &page.layout, None)
}
