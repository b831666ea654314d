//! Community settings for the owner: categories.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use stoa_db::CategoryId;
use stoa_moderation::audit;
use stoa_moderation::policy::{self, Action};
use stoa_threads::categories::{self, Category};

use crate::layout::{Layout, render, see_other};
use crate::session::{Checked, SignedIn};
use crate::{AppError, AppState};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/categories", web::get().to(list))
        .route("/admin/categories", web::post().to(create))
        .route("/admin/categories/{id}", web::post().to(change));
}

#[derive(Template)]
#[template(path = "admin/categories.html")]
struct CategoriesPage {
    layout: Layout,
    categories: Vec<Category>,
    name: String,
    description: String,
    error: Option<String>,
}

async fn list(state: web::Data<AppState>, user: SignedIn) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::ManageCommunity)?;
    show(&state, &user, CategoryForm::default(), None).await
}

/// The categories page, with the new-category form holding `form` and `error` beside it.
async fn show(
    state: &AppState,
    user: &SignedIn,
    form: CategoryForm,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let categories = state
        .db
        .run(|conn| categories::list(conn).map_err(AppError::from))
        .await?;
    let page = CategoriesPage {
        layout: Layout::new(state, &user.viewer, "Categories"),
        categories,
        name: form.name,
        description: form.description,
        error: error.clone(),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(&page, status, &page.layout, None)
}

#[derive(Debug, Default, Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

crate::session::csrf_protected!(CategoryForm);

/// A change to one category: `action` is `save` (with a new name and description), `up` or
/// `down`.
#[derive(Debug, Default, Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

crate::session::csrf_protected!(ChangeForm);

async fn change(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    form: Checked<ChangeForm>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::ManageCommunity)?;
    let id = CategoryId(path.into_inner());
    let form = form.0;
    let by = user.user.id;
    let (action, name, description) = (
        form.action.clone(),
        form.name.clone(),
        form.description.clone(),
    );
    let changed = state
        .db
        .write(move |conn| {
            let (label, what) = match action.as_str() {
                "save" => {
                    let before = categories::find(conn, id)?
                        .map(|c| c.name)
                        .unwrap_or_default();
                    let after = categories::update(conn, id, &name, &description)?;
                    (
                        after.name.clone(),
                        format!("was {before}; now {}", after.name),
                    )
                }
                "up" | "down" => {
                    if !categories::move_by_one(conn, id, action == "up")? {
                        return Ok(());
                    }
                    let name = categories::find(conn, id)?
                        .map(|c| c.name)
                        .unwrap_or_default();
                    (name, format!("moved {action}"))
                }
                _ => {
                    return Err(stoa_threads::Error::InvalidCategory(
                        "Choose what to change.".into(),
                    ));
                }
            };
            audit::record(
                conn,
                audit::Entry {
                    actor: by,
                    action: audit::AuditAction::ChangeCategory,
                    target: audit::Target::Category(id),
                    label: &label,
                    reason: &what,
                },
            )?;
            Ok(())
        })
        .await;
    match changed {
        Ok(()) => Ok(see_other("/admin/categories")),
        Err(e) if e.field().is_some() => {
            show(&state, &user, CategoryForm::default(), Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn create(
    state: web::Data<AppState>,
    user: SignedIn,
    form: Checked<CategoryForm>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::ManageCommunity)?;
    let form = form.0;
    let (name, description) = (form.name.clone(), form.description.clone());
    let by = user.user.id;
    let created = state
        .db
        .write(move |conn| {
            let category = categories::create(conn, &name, &description)?;
            audit::record(
                conn,
                audit::Entry {
                    actor: by,
                    action: audit::AuditAction::CreateCategory,
                    target: audit::Target::Category(category.id),
                    label: &category.name,
                    reason: "",
                },
            )?;
            Ok::<_, stoa_threads::Error>(category)
        })
        .await;
    match created {
        Ok(_) => Ok(see_other("/admin/categories")),
        Err(e) if e.field().is_some() => show(&state, &user, form, Some(e.to_string())).await,
        Err(e) => Err(e.into()),
    }
}
