//! Asking, answering and reading a thread.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use stoa_db::{CategoryId, PostId, ThreadId, dialect};
use stoa_moderation::policy::{self, Action};
use stoa_threads::categories::{self, Category};
use stoa_threads::views::{self, AnswerCursor, AnswerOrder, Author, PostView, ThreadPage};
use stoa_threads::votes::{self, Vote};
use stoa_threads::{Body, IdempotencyKey, Title, posts};

use crate::layout::{Layout, form_key, human_time, render, see_other};
use crate::session::{Checked, CsrfProtected, SignedIn, Viewer};
use crate::{AppError, AppState};

/// Answers per thread page.
pub const ANSWERS_PER_PAGE: usize = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ask", web::get().to(ask_form))
        .route("/ask", web::post().to(ask))
        .route("/q/{id}", web::get().to(show_without_slug))
        .route("/q/{id}/answer", web::post().to(answer))
        .route("/q/{id}/{slug}", web::get().to(show));
}

/// A form field's error, shown next to it.
#[derive(Debug, Default)]
pub struct FieldErrors {
    pub title: Option<String>,
    pub body: Option<String>,
    pub category: Option<String>,
}

impl FieldErrors {
    fn from_threads(e: stoa_threads::Error) -> Result<FieldErrors, AppError> {
        let message = e.to_string();
        Ok(match e.field() {
            Some("title") => FieldErrors {
                title: Some(message),
                ..FieldErrors::default()
            },
            Some("body") => FieldErrors {
                body: Some(message),
                ..FieldErrors::default()
            },
            Some("category") => FieldErrors {
                category: Some(message),
                ..FieldErrors::default()
            },
            _ => return Err(e.into()),
        })
    }
}

#[derive(Template)]
#[template(path = "threads/ask.html")]
struct AskPage {
    layout: Layout,
    categories: Vec<Category>,
    form: AskForm,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
pub struct AskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    key: String,
}

impl CsrfProtected for AskForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl AskForm {
    fn selected(&self, category: &Category) -> bool {
        self.category == category.id.to_string()
    }
}

async fn ask_form(state: web::Data<AppState>, user: SignedIn) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::AskQuestion)?;
    let form = AskForm {
        key: form_key(),
        ..AskForm::default()
    };
    show_ask(&state, &user, form, FieldErrors::default(), StatusCode::OK).await
}

/// The ask page, holding what was typed in `form` and the `errors` beside its fields.
async fn show_ask(
    state: &AppState,
    user: &SignedIn,
    form: AskForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let categories = state
        .db
        .run(|conn| categories::list(conn).map_err(AppError::from))
        .await?;
    let layout = Layout::new(state, &user.viewer, "Ask a question");
    let page = AskPage {
        layout,
        categories,
        form,
        errors,
    };
    render(&page, status, &page.layout, None)
}

async fn ask(
    state: web::Data<AppState>,
    user: SignedIn,
    form: Checked<AskForm>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::AskQuestion)?;
    let form = form.0;
    let parsed = Title::parse(&form.title).and_then(|title| {
        let body = Body::parse(&form.body)?;
        let category = form.category.parse::<i64>().map(CategoryId).map_err(|_| {
            stoa_threads::Error::InvalidCategory("Choose a category for your question.".into())
        })?;
        Ok((title, body, category))
    });
    let outcome = match parsed {
        Ok((title, body, category)) => {
            let key = IdempotencyKey::parse(&form.key);
            let author = user.user.id;
            state
                .db
                .run(move |conn| {
                    dialect::write_transaction(conn, |conn| {
                        posts::ask(conn, author, category, &title, &body, key.as_ref())
                    })
                })
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(posted) => Ok(see_other(&format!(
            "/q/{}/{}",
            posted.thread_id, posted.slug
        ))),
        Err(e) => {
            let errors = FieldErrors::from_threads(e)?;
            show_ask(
                &state,
                &user,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// A post as shown on the thread page.
#[derive(Debug)]
pub struct PostCard {
    pub id: PostId,
    pub body_html: String,
    pub score: i32,
    pub author: String,
    pub author_username: String,
    pub role_badge: Option<&'static str>,
    pub time_shown: String,
    pub time_iso: String,
    /// The viewer may vote on it (signed in, not its author).
    pub can_vote: bool,
    pub voted_up: bool,
    pub voted_down: bool,
}

fn role_badge(author: &Author) -> Option<&'static str> {
    match author.role.as_str() {
        "owner" => Some("owner"),
        "moderator" => Some("moderator"),
        "staff" => Some("staff"),
        _ => None,
    }
}

impl PostCard {
    fn new(p: PostView, viewer: &Viewer, votes: &HashMap<PostId, Vote>) -> PostCard {
        let (time_shown, time_iso) = human_time(p.created_at);
        let vote = votes.get(&p.id).copied().unwrap_or(Vote::None);
        let own = Some(p.author.id) == viewer.user.as_ref().map(|u| u.id);
        PostCard {
            id: p.id,
            body_html: p.body_html,
            score: p.score,
            role_badge: role_badge(&p.author),
            author: p.author.display_name,
            author_username: p.author.username,
            time_shown,
            time_iso,
            can_vote: policy::decide(viewer.actor(), Action::Vote { own }).is_ok(),
            voted_up: vote == Vote::Up,
            voted_down: vote == Vote::Down,
        }
    }
}

/// A tab that reorders the answers.
#[derive(Debug)]
pub struct OrderTab {
    pub label: &'static str,
    pub url: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "threads/show.html")]
struct ThreadView {
    layout: Layout,
    thread_id: ThreadId,
    thread_url: String,
    title: String,
    category: String,
    answer_count: i32,
    solved: bool,
    question: PostCard,
    accepted: Option<PostCard>,
    answers: Vec<PostCard>,
    order_tabs: Vec<OrderTab>,
    next_answers: Option<String>,
    /// The viewer may accept an answer (the asker, staff, moderators).
    can_accept: bool,
    signed_in: bool,
    answer_body: String,
    answer_key: String,
    answer_error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct AnswersQuery {
    after: Option<String>,
    sort: Option<String>,
}

impl ThreadView {
    fn new(state: &AppState, viewer: &Viewer, loaded: LoadedThread) -> ThreadView {
        let LoadedThread {
            page: thread,
            votes,
            order,
        } = loaded;
        let thread_url = format!("/q/{}/{}", thread.head.id, thread.head.slug);
        let sort_param = if order == AnswerOrder::default() {
            String::new()
        } else {
            format!("sort={}&", order.as_str())
        };
        let asker = Some(thread.head.asker) == viewer.user.as_ref().map(|u| u.id);
        let card = |p: PostView| PostCard::new(p, viewer, &votes);
        ThreadView {
            layout: Layout::new(state, viewer, thread.head.title.clone()),
            next_answers: thread
                .answers
                .next
                .map(|c| format!("{thread_url}?{sort_param}after={}#answers", c.encode())),
            order_tabs: AnswerOrder::ALL
                .into_iter()
                .map(|o| OrderTab {
                    label: match o {
                        AnswerOrder::Votes => "Votes",
                        AnswerOrder::Newest => "Newest",
                        AnswerOrder::Oldest => "Oldest",
                    },
                    url: if o == AnswerOrder::default() {
                        format!("{thread_url}#answers")
                    } else {
                        format!("{thread_url}?sort={}#answers", o.as_str())
                    },
                    current: o == order,
                })
                .collect(),
            thread_url,
            thread_id: thread.head.id,
            title: thread.head.title,
            category: thread.head.category_name,
            answer_count: thread.head.answer_count,
            solved: thread.head.accepted_answer_id.is_some(),
            question: card(thread.question),
            accepted: thread.accepted.map(card),
            answers: thread.answers.items.into_iter().map(card).collect(),
            can_accept: policy::decide(viewer.actor(), Action::AcceptAnswer { asker }).is_ok(),
            signed_in: viewer.user.is_some(),
            answer_body: String::new(),
            answer_key: form_key(),
            answer_error: None,
        }
    }
}

/// A thread page with the viewer's votes on its posts.
pub struct LoadedThread {
    page: ThreadPage,
    votes: HashMap<PostId, Vote>,
    order: AnswerOrder,
}

/// Loads a page of the thread and the viewer's votes on it, in one trip to the database.
async fn load_thread(
    state: &AppState,
    viewer: &Viewer,
    id: ThreadId,
    order: AnswerOrder,
    cursor: Option<AnswerCursor>,
) -> Result<LoadedThread, AppError> {
    let voter = viewer.user.as_ref().map(|u| u.id);
    let (page, votes) = state
        .db
        .run(move |conn| {
            let Some(page) = views::thread(conn, id, order, cursor, ANSWERS_PER_PAGE)? else {
                return Ok(None);
            };
            let votes = match voter {
                Some(voter) => votes::of_viewer(conn, voter, &page.post_ids())?,
                None => HashMap::new(),
            };
            Ok::<_, stoa_threads::Error>(Some((page, votes)))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(LoadedThread { page, votes, order })
}

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    path: web::Path<(i64, String)>,
    query: web::Query<AnswersQuery>,
) -> Result<HttpResponse, AppError> {
    policy::decide(viewer.actor(), Action::ReadPublic)?;
    let (id, slug) = path.into_inner();
    let cursor = query.after.as_deref().and_then(AnswerCursor::parse);
    let order = AnswerOrder::parse(query.sort.as_deref().unwrap_or_default());
    let thread = load_thread(&state, &viewer, ThreadId(id), order, cursor).await?;
    if thread.page.head.slug != slug {
        // Keep the answers page the reader asked for.
        let query = req.query_string();
        let mut location = format!("/q/{id}/{}", thread.page.head.slug);
        if !query.is_empty() {
            location = format!("{location}?{query}");
        }
        return Ok(HttpResponse::MovedPermanently()
            .insert_header(("Location", location))
            .finish());
    }
    let page = ThreadView::new(&state, &viewer, thread);
    render(&page, StatusCode::OK, &page.layout, None)
}

async fn show_without_slug(
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = ThreadId(path.into_inner());
    let slug = state
        .db
        .run(move |conn| views::slug(conn, id).map_err(AppError::from))
        .await?;
    Ok(HttpResponse::MovedPermanently()
        .insert_header(("Location", format!("/q/{id}/{slug}")))
        .finish())
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    key: String,
}

impl CsrfProtected for AnswerForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn answer(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    form: Checked<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::Answer)?;
    let thread_id = ThreadId(path.into_inner());
    let form = form.0;
    let outcome = match Body::parse(&form.body) {
        Ok(body) => {
            let key = IdempotencyKey::parse(&form.key);
            let author = user.user.id;
            state
                .db
                .run(move |conn| {
                    dialect::write_transaction(conn, |conn| {
                        posts::answer(conn, author, thread_id, &body, key.as_ref())
                    })
                })
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(posted) => Ok(see_other(&format!(
            "/q/{}/{}#post-{}",
            posted.thread_id, posted.slug, posted.post_id
        ))),
        Err(e) if e.field() == Some("body") => {
            let thread = load_thread(
                &state,
                &user.viewer,
                thread_id,
                AnswerOrder::default(),
                None,
            )
            .await?;
            let mut page = ThreadView::new(&state, &user.viewer, thread);
            page.answer_error = Some(e.to_string());
            page.answer_body = form.body;
            page.answer_key = form.key;
            render(&page, StatusCode::UNPROCESSABLE_ENTITY, &page.layout, None)
        }
        Err(e) => Err(e.into()),
    }
}
