//! Editing posts and reading their history. Authors edit their own posts; staff and
//! moderators edit anyone's. Every save is a revision; the history page shows each one's
//! difference from the one before.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use stoa_db::PostId;
use stoa_moderation::policy::{self, Action};
use stoa_threads::deletion;
use stoa_threads::posts::{self, Edit, Editable};
use stoa_threads::revisions::{self, LineChange};
use stoa_threads::tags::TagName;
use stoa_threads::{Body, Title, markdown};

use crate::layout::{Layout, human_time, render, see_other};
use crate::session::{Checked, CsrfOnly, SignedIn, Viewer};
use crate::{AppError, AppState};

/// Revisions per history page.
const REVISIONS_PER_PAGE: usize = 20;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/posts/{id}/edit", web::get().to(edit_form))
        .route("/posts/{id}/edit", web::post().to(save))
        .route("/posts/{id}/revisions", web::get().to(history))
        .route("/posts/{id}/delete", web::post().to(delete))
        .route("/posts/{id}/restore", web::post().to(restore));
}

#[derive(Debug, Default, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    /// The revision the form was opened on.
    #[serde(default)]
    base: i64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    reason: String,
    /// Present when the "Preview" button was pressed.
    preview: Option<String>,
}

crate::session::csrf_protected!(EditForm);

#[derive(Template)]
#[template(path = "edits/edit.html")]
struct EditPage {
    layout: Layout,
    post: PostId,
    is_question: bool,
    form: EditForm,
    preview_html: Option<String>,
    error: Option<String>,
}

async fn load(state: &AppState, viewer: &Viewer, post: PostId) -> Result<Editable, AppError> {
    let editable = state
        .db
        .run(move |conn| posts::editable(conn, post).map_err(AppError::from))
        .await?;
    let own = Some(editable.author) == viewer.user().map(|u| u.id);
    policy::decide(viewer.actor(), Action::EditPost { own })?;
    Ok(editable)
}

fn page(state: &AppState, user: &SignedIn, editable: &Editable, form: EditForm) -> EditPage {
    EditPage {
        layout: Layout::new(
            state,
            &user.viewer,
            if editable.is_question {
                "Edit the question"
            } else {
                "Edit the answer"
            },
        ),
        post: editable.post,
        is_question: editable.is_question,
        form,
        preview_html: None,
        error: None,
    }
}

async fn edit_form(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let editable = load(&state, &user.viewer, PostId(path.into_inner())).await?;
    let form = EditForm {
        base: editable.revision,
        title: editable.title.clone(),
        tags: editable.tags.clone(),
        body: editable.body_source.clone(),
        ..EditForm::default()
    };
    let page = page(&state, &user, &editable, form);
    render(&page, StatusCode::OK, &page.layout, None)
}

async fn save(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    form: Checked<EditForm>,
) -> Result<HttpResponse, AppError> {
    let editable = load(&state, &user.viewer, PostId(path.into_inner())).await?;
    let form = form.0;
    let parsed = Body::parse(&form.body).and_then(|body| {
        let (title, tags) = if editable.is_question {
            (
                Some(Title::parse(&form.title)?),
                Some(TagName::parse_list(&form.tags)?),
            )
        } else {
            (None, None)
        };
        Ok((body, title, tags))
    });
    let (body, title, tags) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            let mut page = page(&state, &user, &editable, form);
            page.error = Some(e.to_string());
            return render(&page, StatusCode::UNPROCESSABLE_ENTITY, &page.layout, None);
        }
    };
    if form.preview.is_some() {
        let mut page = page(&state, &user, &editable, form);
        page.preview_html = Some(markdown::render(body.as_str()));
        return render(&page, StatusCode::OK, &page.layout, None);
    }
    let may_create_tags = policy::decide(
        user.viewer.actor(),
        Action::CreateTag {
            min_role: state.settings.new_tag_min_role(),
        },
    )
    .is_ok();
    let (post, editor, base, reason) =
        (editable.post, user.user.id, form.base, form.reason.clone());
    let saved = state
        .db
        .write(move |conn| {
            posts::edit(
                conn,
                Edit {
                    post,
                    editor,
                    base_revision: base,
                    title: title.as_ref(),
                    tags: tags.as_deref(),
                    may_create_tags,
                    body: &body,
                    reason: &reason,
                },
            )
        })
        .await;
    match saved {
        Ok((thread, slug)) => Ok(see_other(&format!("/q/{thread}/{slug}#post-{post}"))),
        Err(
            e @ (stoa_threads::Error::EditConflict
            | stoa_threads::Error::InvalidTags(_)
            | stoa_threads::Error::InvalidBody(_)),
        ) => {
            let status = if matches!(e, stoa_threads::Error::EditConflict) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let mut page = page(&state, &user, &editable, form);
            page.error = Some(e.to_string());
            // The next save is based on what is there now.
            page.form.base = editable.revision;
            render(&page, status, &page.layout, None)
        }
        Err(e) => Err(e.into()),
    }
}

/// One revision on the history page, with its difference from the one before.
#[derive(Debug)]
pub struct RevisionCard {
    pub number_label: String,
    pub editor: String,
    pub editor_username: String,
    pub time_shown: String,
    pub time_iso: String,
    pub reason: String,
    pub lines: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "edits/history.html")]
struct HistoryPage {
    layout: Layout,
    back: String,
    revisions: Vec<RevisionCard>,
    older: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    before: Option<i64>,
}

async fn history(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, AppError> {
    policy::decide(viewer.actor(), Action::ReadPublic)?;
    let post = PostId(path.into_inner());
    let before = query.before;
    let see = crate::threads::see_deleted(&viewer);
    let ((thread, slug), page) = state
        .db
        .run(move |conn| {
            let facts = deletion::facts(conn, post)?;
            if facts.hidden() && !see.allows(facts.author) {
                return Err(stoa_threads::Error::PostNotFound);
            }
            let location = stoa_threads::views::post_location(conn, post)?;
            Ok::<_, stoa_threads::Error>((
                location,
                revisions::list(conn, post, before, REVISIONS_PER_PAGE)?,
            ))
        })
        .await?;
    let shown = page.items.len().min(REVISIONS_PER_PAGE);
    let revisions = (0..shown)
        .map(|i| {
            let revision = &page.items[i];
            let (time_shown, time_iso) = human_time(revision.created_at);
            let lines = revisions::diff(page.items.get(i + 1), revision)
                .into_iter()
                .map(|(change, text)| {
                    let class = match change {
                        LineChange::Same => "same",
                        LineChange::Added => "added",
                        LineChange::Removed => "removed",
                    };
                    (class, text)
                })
                .collect();
            RevisionCard {
                number_label: if page.items.get(i + 1).is_none() && page.next.is_none() {
                    "Original".into()
                } else {
                    "Edit".into()
                },
                editor: revision.editor_display_name.clone(),
                editor_username: revision.editor_username.clone(),
                time_shown,
                time_iso,
                reason: revision.reason.clone(),
                lines,
            }
        })
        .collect();
    let page = HistoryPage {
        layout: Layout::new(&state, &viewer, "Revisions"),
        back: format!("/q/{thread}/{slug}#post-{post}"),
        revisions,
        older: page
            .next
            .map(|id| format!("/posts/{post}/revisions?before={id}")),
    };
    render(&page, StatusCode::OK, &page.layout, None)
}

/// Deletes a post (a question: its thread). It stays restorable by its author (if they
/// deleted it themselves) and moderators. The facts and the policy are checked inside the
/// write transaction, after the thread is locked.
async fn delete(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    _form: Checked<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let post = PostId(path.into_inner());
    let (actor, by) = (user.viewer.actor(), user.user.id);
    let (thread, is_question) = state
        .db
        .write(move |conn| {
            let facts = deletion::facts(conn, post)?;
            if facts.thread_deleted && !facts.is_question {
                return Err(AppError::NotFound);
            }
            let own = facts.author == by;
            policy::decide(
                actor,
                Action::DeletePost {
                    own,
                    protected: facts.protected,
                },
            )?;
            deletion::delete(conn, post, by)?;
            Ok((facts.thread, facts.is_question))
        })
        .await?;
    tracing::info!(post.id = %post, user.id = %by, "post deleted");
    if is_question {
        return Ok(see_other("/?done=question-deleted"));
    }
    let slug = state
        .db
        .run(move |conn| stoa_threads::views::slug(conn, thread).map_err(AppError::from))
        .await?;
    Ok(see_other(&format!("/q/{thread}/{slug}#answers")))
}

async fn restore(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    _form: Checked<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let post = PostId(path.into_inner());
    let (actor, by) = (user.viewer.actor(), user.user.id);
    let thread = state
        .db
        .write(move |conn| {
            let facts = deletion::facts(conn, post)?;
            if !facts.deleted {
                // Already restored (a double click): nothing to do, nothing revealed.
                return Ok(facts.thread);
            }
            let own = facts.author == by;
            let self_deleted = facts.deleted_by == Some(by);
            policy::decide(actor, Action::RestorePost { own, self_deleted })?;
            deletion::restore(conn, post)?;
            Ok::<_, AppError>(facts.thread)
        })
        .await?;
    let slug = state
        .db
        .run(move |conn| stoa_threads::views::slug(conn, thread).map_err(AppError::from))
        .await?;
    Ok(see_other(&format!("/q/{thread}/{slug}#post-{post}")))
}
