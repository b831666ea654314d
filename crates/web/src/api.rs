//! A small read-only JSON API under `/api/v1`; errors come back as JSON too.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use stoa_db::ThreadId;
use stoa_db::page::Cursor;
use stoa_threads::views::{
    self, AnswerCursor, AnswerOrder, Origin, PostView, SeeDeleted, ThreadSummary,
};

use crate::{ApiError, AppError, AppState, home, threads};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/questions", web::get().to(list))
        .route("/questions/{id}", web::get().to(show))
        .route("/similar", web::get().to(crate::search::similar_json));
}

#[derive(Serialize)]
struct QuestionItem {
    id: ThreadId,
    title: String,
    url: String,
    answer_count: i32,
    score: i32,
    solved: bool,
    category: String,
    author: String,
    created_at: String,
}

impl From<ThreadSummary> for QuestionItem {
    fn from(t: ThreadSummary) -> Self {
        QuestionItem {
            url: format!("/q/{}/{}", t.id, t.slug),
            id: t.id,
            title: t.title,
            answer_count: t.answer_count,
            score: t.score,
            solved: t.solved,
            category: t.category_name,
            author: t.author.username,
            created_at: crate::layout::human_time(t.created_at).1,
        }
    }
}

#[derive(Serialize)]
struct QuestionList {
    questions: Vec<QuestionItem>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct ListQuery {
    after: Option<String>,
}

#[derive(Deserialize)]
struct ThreadQuery {
    after: Option<String>,
    sort: Option<String>,
}

async fn list(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let cursor = query.after.as_deref().and_then(Cursor::parse);
    let page = state
        .db
        .run(move |conn| views::latest(conn, cursor, home::PAGE_SIZE).map_err(AppError::from))
        .await?;
    Ok(HttpResponse::Ok().json(QuestionList {
        questions: page.items.into_iter().map(QuestionItem::from).collect(),
        next: page.next.map(|c| c.encode()),
    }))
}

#[derive(Serialize)]
struct PostItem {
    id: i64,
    score: i32,
    author: String,
    body_html: String,
    created_at: String,
    /// An imported post's attribution (its licence requires it wherever it is shown).
    origin: Option<Origin>,
}

impl From<PostView> for PostItem {
    fn from(p: PostView) -> Self {
        PostItem {
            id: p.id.0,
            score: p.score,
            author: p.author.username,
            body_html: p.body_html,
            created_at: crate::layout::human_time(p.created_at).1,
            origin: p.origin,
        }
    }
}

#[derive(Serialize)]
struct ThreadItem {
    id: ThreadId,
    title: String,
    category: String,
    question: PostItem,
    accepted_answer: Option<PostItem>,
    answers: Vec<PostItem>,
    next_answers: Option<String>,
}

async fn show(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<ThreadQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = ThreadId(path.into_inner());
    let cursor = query.after.as_deref().and_then(AnswerCursor::parse);
    let order = AnswerOrder::parse(query.sort.as_deref().unwrap_or_default());
    let thread = state
        .db
        .run(move |conn| {
            views::thread(
                conn,
                id,
                order,
                cursor,
                threads::ANSWERS_PER_PAGE,
                SeeDeleted::None,
            )
            .map_err(AppError::from)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(ThreadItem {
        id: thread.head.id,
        title: thread.head.title,
        category: thread.head.category_name,
        question: thread.question.into(),
        accepted_answer: thread.accepted.map(PostItem::from),
        answers: thread
            .answers
            .items
            .into_iter()
            .map(PostItem::from)
            .collect(),
        next_answers: thread.answers.next.map(|c| c.encode()),
    }))
}
