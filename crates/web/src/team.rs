//! What the business's people do on a thread: mark one answer as the official answer, and
//! leave internal notes for each other. Both are the policy's to allow (`MarkOfficial`,
//! `StaffNotes`: staff, moderators, the owner).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use stoa_db::{PostId, ThreadId};
use stoa_moderation::policy::{self, Action};
use stoa_threads::posts::{self, AnswerMark};
use stoa_threads::{Body, IdempotencyKey, notes, views};

use crate::layout::see_other;
use crate::session::{Checked, SignedIn};
use crate::threads::{TextForm, show_with_note_error};
use crate::{AppError, AppState};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/q/{id}/official", web::post().to(mark_official))
        .route("/q/{id}/notes", web::post().to(add_note));
}

/// The official-answer form: the answer to mark, or empty to unmark.
#[derive(Debug, Deserialize)]
pub struct OfficialForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    answer: String,
}

crate::session::csrf_protected!(OfficialForm);

async fn mark_official(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    form: Checked<OfficialForm>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::MarkOfficial)?;
    let thread = ThreadId(path.into_inner());
    let answer = match form.0.answer.trim() {
        "" => None,
        id => Some(PostId(id.parse().map_err(|_| {
            AppError::BadRequest("That is not an answer.".into())
        })?)),
    };
    let slug = state
        .db
        .write(move |conn| {
            posts::set_mark(conn, thread, AnswerMark::Official, answer)?;
            views::slug(conn, thread)
        })
        .await?;
    let anchor = answer.map_or_else(|| "answers".to_owned(), |a| format!("post-{a}"));
    Ok(see_other(&format!("/q/{thread}/{slug}#{anchor}")))
}

async fn add_note(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    form: Checked<TextForm>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::StaffNotes)?;
    let thread = ThreadId(path.into_inner());
    let form = form.0;
    let body = match Body::parse(&form.body) {
        Ok(body) => body,
        Err(e) => {
            return show_with_note_error(
                &state,
                &user.viewer,
                thread,
                e.to_string(),
                form.body,
                form.key,
            )
            .await;
        }
    };
    let key = IdempotencyKey::parse(&form.key);
    let author = user.user.id;
    let slug = state
        .db
        .write(move |conn| {
            notes::add(conn, thread, author, &body, key.as_ref())?;
            views::slug(conn, thread)
        })
        .await?;
    Ok(see_other(&format!("/q/{thread}/{slug}#notes")))
}
