//! The community's own pages: the owner's settings (registration, reading, description,
//! rules), the public rules page, invitation links, and the gate that keeps guests out when
//! reading needs an account.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use stoa_accounts::{TokenPurpose, tokens};
use stoa_moderation::community::{self, Registration};
use stoa_moderation::policy::{self, Action};

use crate::layout::{Layout, render, see_other};
use crate::session::{Checked, SignedIn, Viewer};
use crate::{AppError, AppState};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/community", web::get().to(settings_page))
        .route("/admin/community", web::post().to(save))
        .route("/admin/invites", web::get().to(invites_page))
        .route("/admin/invites", web::post().to(invite))
        .route("/rules", web::get().to(rules));
}

#[derive(Template)]
#[template(path = "admin/community.html")]
struct SettingsPage {
    layout: Layout,
    registrations: Vec<(&'static str, &'static str)>,
    registration: &'static str,
    login_required: bool,
    name: String,
    description: String,
    rules_source: String,
    error: Option<String>,
    saved: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    registration: String,
    /// Present (`on`) when the box is ticked.
    login_required: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    rules: String,
}

crate::session::csrf_protected!(SettingsForm);

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    done: Option<String>,
}

async fn settings_page(
    state: web::Data<AppState>,
    user: SignedIn,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::ManageCommunity)?;
    let current = state.community().await?;
    let page = SettingsPage {
        layout: Layout::new(&state, &user.viewer, "Community settings"),
        registrations: Registration::ALL
            .into_iter()
            .map(|r| (r.as_str(), r.label()))
            .collect(),
        registration: current.registration.as_str(),
        login_required: current.login_required,
        name: current.name.clone(),
        description: current.description.clone(),
        rules_source: current.rules_source.clone(),
        error: None,
        saved: query.done.as_deref() == Some("saved"),
    };
    render(&page, StatusCode::OK, &page.layout, None)
}

async fn save(
    state: web::Data<AppState>,
    user: SignedIn,
    form: Checked<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::ManageCommunity)?;
    let form = form.0;
    let by = user.user.id;
    let saved = match Registration::parse(&form.registration) {
        None => Err(stoa_moderation::Error::Invalid(
            "Choose who may sign up.".into(),
        )),
        Some(registration) => {
            let login_required = form.login_required.is_some();
            let (name, description, rules) = (
                form.name.clone(),
                form.description.clone(),
                form.rules.clone(),
            );
            state
                .db
                .write(move |conn| {
                    let changes = community::Changes {
                        registration,
                        login_required,
                        name: &name,
                        description: &description,
                        rules_source: &rules,
                    };
                    community::save(conn, by, changes)
                })
                .await
        }
    };
    match saved {
        Ok(()) => {
            state.forget_community();
            Ok(see_other("/admin/community?done=saved"))
        }
        Err(stoa_moderation::Error::Invalid(why)) => {
            let page = SettingsPage {
                layout: Layout::new(&state, &user.viewer, "Community settings"),
                registrations: Registration::ALL
                    .into_iter()
                    .map(|r| (r.as_str(), r.label()))
                    .collect(),
                registration: Registration::parse(&form.registration)
                    .unwrap_or_default()
                    .as_str(),
                login_required: form.login_required.is_some(),
                name: form.name,
                description: form.description,
                rules_source: form.rules,
                error: Some(why),
                saved: false,
            };
            render(&page, StatusCode::UNPROCESSABLE_ENTITY, &page.layout, None)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage {
    layout: Layout,
    rules_html: String,
}

async fn rules(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, AppError> {
    let current = state.community().await?;
    let page = RulesPage {
        layout: Layout::new(&state, &viewer, "Community rules"),
        rules_html: current.rules_html.clone(),
    };
    render(&page, StatusCode::OK, &page.layout, None)
}

#[derive(Template)]
#[template(path = "admin/invites.html")]
struct InvitesPage {
    layout: Layout,
    /// The link just made, shown once.
    link: Option<String>,
    registration: &'static str,
}

async fn invites_page(
    state: web::Data<AppState>,
    user: SignedIn,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::Invite)?;
    show_invites(&state, &user, None).await
}

async fn show_invites(
    state: &AppState,
    user: &SignedIn,
    link: Option<String>,
) -> Result<HttpResponse, AppError> {
    let page = InvitesPage {
        layout: Layout::new(state, &user.viewer, "Invitations"),
        link,
        registration: state.community().await?.registration.as_str(),
    };
    render(&page, StatusCode::OK, &page.layout, None)
}

/// Makes a one-time sign-up link, valid for 14 days, and shows it.
async fn invite(
    state: web::Data<AppState>,
    user: SignedIn,
    _form: Checked<crate::session::CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::Invite)?;
    let by = user.user.id;
    let secret = state
        .db
        .write(move |conn| tokens::issue(conn, TokenPurpose::Invite, Some(by), None))
        .await?;
    let link = format!(
        "{}/register?invite={}",
        state.settings.base_url,
        secret.expose()
    );
    show_invites(&state, &user, Some(link)).await
}

/// The paths a guest reaches when reading needs an account: logging in, signing up, the
/// links mails carry, the rules, static files and health checks.
fn open_to_guests(path: &str) -> bool {
    const OPEN: [&str; 9] = [
        "/login",
        "/register",
        "/reset-password",
        "/verify-email",
        "/setup",
        "/rules",
        "/static",
        "/healthz",
        "/readyz",
    ];
    OPEN.iter().any(|open| {
        path.strip_prefix(open)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// When the owner requires an account to read, sends guests to the login page (and refuses
/// the API), before any handler or cached page answers.
pub async fn login_gate<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: actix_web::middleware::Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    if open_to_guests(req.path()) || !state.community().await?.login_required {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let (http, mut payload) = req.into_parts();
    let viewer = Viewer::from_request(&http, &mut payload).await?;
    let req = ServiceRequest::from_parts(http, payload);
    if viewer.user().is_some() {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let refusal = crate::error::for_path(
        req.request(),
        AppError::LoginRequired {
            next: req
                .uri()
                .path_and_query()
                .map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned()),
        },
    );
    Ok(req.error_response(refusal).map_into_right_body())
}
