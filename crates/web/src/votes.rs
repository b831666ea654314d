//! Voting on posts and accepting answers. Both are plain forms (they work without JavaScript
//! and come back to the post); `static/stoa.js` sends a vote in the background and updates
//! the score in place, asking for JSON.

use actix_web::http::header::ACCEPT;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use stoa_db::{PostId, ThreadId};
use stoa_moderation::policy::{self, Action};
use stoa_threads::votes::{self, Vote};
use stoa_threads::{posts, views};

use crate::layout::see_other;
use crate::session::{Checked, SignedIn};
use crate::{AppError, AppState};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/votes", web::post().to(vote))
        .route("/q/{id}/accept", web::post().to(accept));
}

/// A thread page's one vote form, sent by one of its buttons (`templates/threads/vote.html`):
/// the button's name is the vote, its value the post.
#[derive(Debug, Deserialize)]
pub struct VoteForm {
    #[serde(default)]
    csrf: String,
    up: Option<String>,
    down: Option<String>,
    /// Takes the vote back.
    none: Option<String>,
}

crate::session::csrf_protected!(VoteForm);

impl VoteForm {
    /// The post voted on and the vote, from the one button pressed.
    fn cast(&self) -> Result<(PostId, Vote), AppError> {
        let pressed = [
            (Vote::Up, &self.up),
            (Vote::Down, &self.down),
            (Vote::None, &self.none),
        ];
        let mut pressed = pressed
            .into_iter()
            .filter_map(|(vote, post)| Some((vote, post.as_deref()?)));
        let unclear = || {
            AppError::BadRequest(
                "Press one vote button: up, down, or again to take it back.".into(),
            )
        };
        match (pressed.next(), pressed.next()) {
            (Some((vote, post)), None) => {
                let post = post.trim().parse().map_err(|_| unclear())?;
                Ok((PostId(post), vote))
            }
            _ => Err(unclear()),
        }
    }
}

/// Where a post lives, to send the browser back to it.
async fn post_url(state: &AppState, post: PostId) -> Result<String, AppError> {
    let (thread, slug) = state
        .db
        .run(move |conn| views::post_location(conn, post).map_err(AppError::from))
        .await?;
    Ok(format!("/q/{thread}/{slug}#post-{post}"))
}

async fn vote(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: SignedIn,
    form: Checked<VoteForm>,
) -> Result<HttpResponse, AppError> {
    let (post, vote) = form.0.cast()?;
    let voter = user.user.id;
    let author = state
        .db
        .run(move |conn| votes::post_author(conn, post).map_err(AppError::from))
        .await?;
    policy::decide(
        user.viewer.actor(),
        Action::Vote {
            own: author == voter,
        },
    )?;
    let score = state
        .db
        .write(move |conn| votes::cast(conn, voter, post, vote))
        .await?;
    let wants_json = req
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        let vote = match vote {
            Vote::Up => "up",
            Vote::Down => "down",
            Vote::None => "none",
        };
        return Ok(HttpResponse::Ok().json(serde_json::json!({ "score": score, "vote": vote })));
    }
    Ok(see_other(&post_url(&state, post).await?))
}

#[derive(Debug, Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    csrf: String,
    /// The answer to accept; empty to undo the accepted one.
    #[serde(default)]
    answer: String,
}

crate::session::csrf_protected!(AcceptForm);

async fn accept(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    form: Checked<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    let thread = ThreadId(path.into_inner());
    let asker = state
        .db
        .run(move |conn| views::asker(conn, thread).map_err(AppError::from))
        .await?;
    policy::decide(
        user.viewer.actor(),
        Action::AcceptAnswer {
            asker: asker == user.user.id,
        },
    )?;
    let answer = match form.0.answer.trim() {
        "" => None,
        id => Some(PostId(id.parse().map_err(|_| {
            AppError::BadRequest("That is not an answer.".into())
        })?)),
    };
    let thresholds = state.settings.trust_thresholds();
    let accepter = user.user.id;
    state
        .db
        .write(move |conn| {
            posts::set_mark(conn, thread, posts::AnswerMark::Accepted, answer)?;
            // An accepted answer counts toward its author's next trust level.
            if let Some(answer) = answer {
                let author = stoa_threads::deletion::facts(conn, answer)?.author;
                stoa_moderation::trust::promote(conn, author, &thresholds)?;
                stoa_notify::notifications::answer_accepted(conn, thread, answer, accepter)?;
            }
            Ok::<_, stoa_moderation::Error>(())
        })
        .await?;
    let slug = state
        .db
        .run(move |conn| views::slug(conn, thread).map_err(AppError::from))
        .await?;
    let anchor = answer.map_or_else(|| "answers".to_owned(), |a| format!("post-{a}"));
    Ok(see_other(&format!("/q/{thread}/{slug}#{anchor}")))
}
