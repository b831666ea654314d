//! The home page: the latest questions, newest first, a page at a time.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use stoa_db::page::Cursor;
use stoa_threads::categories;
use stoa_threads::views::{self, ListKind, ThreadSummary};

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
    pub score: i32,
    pub answer_count: i32,
    pub solved: bool,
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
            score: t.score,
            answer_count: t.answer_count,
            solved: t.solved,
            category: t.category_name,
            author: t.author.display_name,
            author_username: t.author.username,
            time_shown,
            time_iso,
        }
    }
}

/// A link that switches the list (a tab) or its category (a filter).
#[derive(Debug)]
pub struct ListLink {
    pub label: String,
    pub url: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    heading: &'static str,
    tabs: Vec<ListLink>,
    category_filters: Vec<ListLink>,
    questions: Vec<QuestionRow>,
    first_page: Option<String>,
    next_page: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    tab: Option<String>,
    category: Option<String>,
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

/// The URL of a list: `tab` and `category` (a slug), omitting defaults.
fn list_url(tab: ListKind, category: Option<&str>) -> String {
    let mut params = Vec::new();
    if tab != ListKind::default() {
        params.push(format!("tab={}", tab.as_str()));
    }
    if let Some(slug) = category {
        params.push(format!("category={}", crate::urlencode(slug)));
    }
    if params.is_empty() {
        "/".to_owned()
    } else {
        format!("/?{}", params.join("&"))
    }
}

fn tab_label(tab: ListKind) -> &'static str {
    match tab {
        ListKind::Newest => "Newest",
        ListKind::Active => "Active",
        ListKind::Unanswered => "Unanswered",
        ListKind::Unsolved => "Unsolved",
        ListKind::Solved => "Solved",
    }
}

fn heading(tab: ListKind) -> &'static str {
    match tab {
        ListKind::Newest => "Latest questions",
        ListKind::Active => "Recently active",
        ListKind::Unanswered => "Unanswered questions",
        ListKind::Unsolved => "Questions without an accepted answer",
        ListKind::Solved => "Solved questions",
    }
}

async fn home(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let tab = ListKind::parse(query.tab.as_deref().unwrap_or_default());
    let cursor = query.after.as_deref().and_then(Cursor::parse);
    let wanted = query.category.clone();
    let (categories, category, page) = state
        .db
        .run(move |conn| {
            let categories = categories::list(conn)?;
            let category =
                wanted.and_then(|slug| categories.iter().find(|c| c.slug == slug).cloned());
            let page = views::list(
                conn,
                tab,
                category.as_ref().map(|c| c.id),
                cursor,
                PAGE_SIZE,
            )?;
            Ok::<_, stoa_threads::Error>((categories, category, page))
        })
        .await?;
    let category_slug = category.as_ref().map(|c| c.slug.as_str());
    let base = list_url(tab, category_slug);
    let join = if base.contains('?') { '&' } else { '?' };
    let mut category_filters = vec![ListLink {
        label: "All categories".into(),
        url: list_url(tab, None),
        current: category.is_none(),
    }];
    category_filters.extend(categories.iter().map(|c| ListLink {
        label: c.name.clone(),
        url: list_url(tab, Some(&c.slug)),
        current: Some(c.id) == category.as_ref().map(|x| x.id),
    }));
    let page = HomePage {
        layout: Layout::new(&state, &viewer, heading(tab)),
        heading: heading(tab),
        tabs: ListKind::ALL
            .into_iter()
            .map(|k| ListLink {
                label: tab_label(k).to_owned(),
                url: list_url(k, category_slug),
                current: k == tab,
            })
            .collect(),
        category_filters,
        questions: page.items.into_iter().map(QuestionRow::from).collect(),
        first_page: cursor.map(|_| base.clone()),
        next_page: page
            .next
            .map(|c| format!("{base}{join}after={}", c.encode())),
        notice: notice(query.done.as_deref()),
    };
    render(&page, StatusCode::OK, &page.layout, None)
}
