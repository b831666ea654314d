//! A member's own account: the address and whether it is confirmed (with a way to get the
//! confirmation mail again), and changing the password.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use stoa_accounts::{Bio, DisplayName, Password, TokenPurpose, password, sessions, tokens, users};
use stoa_moderation::limits as rate;

use crate::accounts::{mail_verification, sign_in};
use crate::layout::{Layout, render, see_other};
use crate::session::{Checked, CsrfOnly, SignedIn};
use crate::{AppError, AppState, limits};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account", web::get().to(show))
        .route("/account/password", web::post().to(change_password))
        .route("/account/profile", web::post().to(update_profile))
        .route("/account/confirmation", web::post().to(resend_confirmation));
}

#[derive(Template)]
#[template(path = "accounts/account.html")]
struct AccountPage {
    layout: Layout,
    profile_url: String,
    display_name: String,
    bio: String,
    profile_error: Option<String>,
    username: String,
    email: String,
    confirmed: bool,
    notice: Option<&'static str>,
    current_error: Option<String>,
    new_error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn show(
    state: web::Data<AppState>,
    user: SignedIn,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = match query.done.as_deref() {
        Some("password-changed") => {
            Some("Your password is changed. Every other session has ended.")
        }
        Some("confirmation-sent") => {
            Some("We sent the confirmation mail again. The link works for 48 hours.")
        }
        Some("profile-saved") => Some("Your profile is saved."),
        _ => None,
    };
    page(&state, &user, |page| page.notice = notice).await
}

/// The account page with the member's current details; `adjust` adds a notice, or puts a
/// refused form's values and error back. A page with an error answers 422.
async fn page(
    state: &AppState,
    user: &SignedIn,
    adjust: impl FnOnce(&mut AccountPage),
) -> Result<HttpResponse, AppError> {
    let id = user.user.id;
    let account = state
        .db
        .run(move |conn| users::find(conn, id).map_err(AppError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    let mut page = AccountPage {
        layout: Layout::new(state, &user.viewer, "Your account"),
        profile_url: format!("/u/{}/{}", account.id, account.username),
        display_name: account.display_name,
        bio: account.bio,
        profile_error: None,
        username: account.username,
        email: account.email.unwrap_or_default(),
        confirmed: account.email_verified_at.is_some(),
        notice: None,
        current_error: None,
        new_error: None,
    };
    adjust(&mut page);
    let failed =
        page.profile_error.is_some() || page.current_error.is_some() || page.new_error.is_some();
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(&page, status, &page.layout, None)
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
}

crate::session::csrf_protected!(PasswordForm);

/// Needs the current password; ends every session and starts a new one for this browser.
async fn change_password(
    state: web::Data<AppState>,
    user: SignedIn,
    form: Checked<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let id = user.user.id;
    // Guesses at the current password count as failed log-ins for the account.
    let bucket = format!("login:user:{id}");
    limits::check(&state, bucket.clone(), rate::LOGIN_FAILURES_PER_ACCOUNT).await?;
    let stored = state
        .db
        .run(move |conn| users::password_hash(conn, id).map_err(AppError::from))
        .await?;
    let attempt = form.current.clone();
    if !state
        .cpu(move || password::verify(&attempt, stored.as_deref()))
        .await?
    {
        limits::count(&state, bucket, rate::LOGIN_FAILURES_PER_ACCOUNT).await?;
        return page(&state, &user, |page| {
            page.current_error = Some("That is not your current password.".into());
        })
        .await;
    }
    let new_password = match Password::parse_new(&form.new, &[user.user.username.as_str()]) {
        Ok(p) => p,
        Err(e) => return page(&state, &user, |page| page.new_error = Some(e.to_string())).await,
    };
    let hash = state.cpu(move || password::hash(&new_password)).await??;
    state
        .db
        .write(move |conn| {
            users::set_password_hash(conn, id, &hash)?;
            sessions::end_all(conn, id)?;
            tokens::revoke_all(conn, TokenPurpose::ResetPassword, id)
        })
        .await?;
    tracing::info!(user.id = %id, "password changed");
    sign_in(&state, id, "/account?done=password-changed").await
}

/// Sends a fresh confirmation link (the older ones stop working).
async fn resend_confirmation(
    state: web::Data<AppState>,
    user: SignedIn,
    _form: Checked<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let id = user.user.id;
    limits::count(
        &state,
        format!("confirm:user:{id}"),
        rate::CONFIRMATION_MAILS_PER_ACCOUNT,
    )
    .await?;
    let issued = state
        .db
        .write(move |conn| {
            let Some(account) = users::find(conn, id)? else {
                return Ok(None);
            };
            let Some(email) = account
                .email
                .filter(|_| account.email_verified_at.is_none())
            else {
                return Ok(None);
            };
            tokens::revoke_all(conn, TokenPurpose::VerifyEmail, id)?;
            let token = tokens::issue(conn, TokenPurpose::VerifyEmail, Some(id), Some(&email))?;
            Ok::<_, stoa_accounts::Error>(Some((email, token)))
        })
        .await?;
    if let Some((email, token)) = issued {
        mail_verification(&state, &email, &token).await;
    }
    Ok(see_other("/account?done=confirmation-sent"))
}

#[derive(Debug, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    bio: String,
}

crate::session::csrf_protected!(ProfileForm);

/// Saves the display name and bio; a refused value comes back in the form with the reason.
async fn update_profile(
    state: web::Data<AppState>,
    user: SignedIn,
    form: Checked<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let id = user.user.id;
    let parsed =
        DisplayName::parse(&form.display_name).and_then(|name| Ok((name, Bio::parse(&form.bio)?)));
    match parsed {
        Ok((name, bio)) => {
            state
                .db
                .write(move |conn| users::update_profile(conn, id, &name, &bio))
                .await?;
            Ok(see_other("/account?done=profile-saved"))
        }
        Err(e) => {
            page(&state, &user, |page| {
                page.display_name = form.display_name;
                page.bio = form.bio;
                page.profile_error = Some(e.to_string());
            })
            .await
        }
    }
}
