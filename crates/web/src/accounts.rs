//! Registering, logging in and out, confirming an address, resetting a password, and creating
//! the first owner from the one-time setup link.
//!
//! Links sent by mail open a page whose button POSTs: mail scanners that follow links do not
//! use them up.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use stoa_accounts::users::{self, NewAccount};
use stoa_accounts::{
    DisplayName, Email, Password, Role, SessionToken, TokenPurpose, TokenSecret, Username,
    password, sessions, tokens,
};
use stoa_db::{UserId, dialect};

use crate::layout::{Layout, human_time, render, see_other};
use crate::session::{Checked, GuestForm, Viewer, expired_session_cookie, session_cookie};
use crate::{AppError, AppState, limits};
use stoa_moderation::community::Registration;
use stoa_moderation::limits as rate;
use stoa_moderation::signup;
use stoa_moderation::standing::{self, Standing};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/register", web::get().to(register_form))
        .route("/register", web::post().to(register))
        .route("/verify-email/{token}", web::get().to(verify_form))
        .route("/verify-email/{token}", web::post().to(verify))
        .route("/reset-password", web::get().to(reset_request_form))
        .route("/reset-password", web::post().to(reset_request))
        .route("/reset-password/{token}", web::get().to(reset_form))
        .route("/reset-password/{token}", web::post().to(reset))
        .route("/setup/{token}", web::get().to(setup_form))
        .route("/setup/{token}", web::post().to(setup));
}

/// Every account form: the fields are optional so a missing one is an error message on the
/// page, not a bare 400.
#[derive(Debug, Default, Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    /// The honeypot: hidden from people, filled by bots.
    #[serde(default)]
    website: String,
    /// When the registration form was shown (`stoa_moderation::signup::shown_token`).
    #[serde(default)]
    shown: String,
    /// The invitation the sign-up came with, where registration is by invitation.
    #[serde(default)]
    invite: String,
}

crate::session::csrf_protected!(AccountForm);

/// Errors shown next to the account form's fields.
#[derive(Debug, Default)]
pub struct AccountErrors {
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub form: Option<String>,
}

impl AccountErrors {
    fn from_accounts(e: stoa_accounts::Error) -> Result<AccountErrors, AppError> {
        let message = Some(e.to_string());
        Ok(match e.field() {
            Some("username" | "display_name") => AccountErrors {
                username: message,
                ..Default::default()
            },
            Some("email") => AccountErrors {
                email: message,
                ..Default::default()
            },
            Some("password") => AccountErrors {
                password: message,
                ..Default::default()
            },
            _ if matches!(
                e,
                stoa_accounts::Error::InvalidCredentials | stoa_accounts::Error::InvalidToken
            ) =>
            {
                AccountErrors {
                    form: message,
                    ..Default::default()
                }
            }
            _ => return Err(e.into()),
        })
    }
}

/// Which account page to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    Login,
    Register,
    ResetRequest,
    Reset,
    Setup,
}

#[derive(Template)]
#[template(path = "accounts/form.html")]
struct AccountPage {
    layout: Layout,
    kind: FormKind,
    action: String,
    csrf: String,
    form: AccountForm,
    errors: AccountErrors,
    notice: Option<String>,
}

fn page(
    state: &AppState,
    viewer: &Viewer,
    guest: &GuestForm,
    kind: FormKind,
    action: String,
    form: AccountForm,
    errors: AccountErrors,
) -> AccountPage {
    let title = match kind {
        FormKind::Login => "Log in",
        FormKind::Register => "Sign up",
        FormKind::ResetRequest | FormKind::Reset => "Reset your password",
        FormKind::Setup => "Create the owner account",
    };
    let mut layout = Layout::new(state, viewer, title);
    layout.private = true;
    AccountPage {
        layout,
        kind,
        action,
        csrf: guest.csrf.clone(),
        form,
        errors,
        notice: None,
    }
}

fn show(
    page: &AccountPage,
    status: StatusCode,
    guest: GuestForm,
) -> Result<HttpResponse, AppError> {
    render(page, status, &page.layout, guest.cookie)
}

/// Only a path on this site is a safe place to return to (no `//host`, no `/\host`).
pub(crate) fn safe_next(next: &str) -> &str {
    // Browsers drop tabs and newlines inside URLs and read `\` as `/`, so `/\t/evil` would
    // become `//evil`: refuse any of them anywhere, not just at the start.
    let safe = next.starts_with('/')
        && !next.starts_with("//")
        && !next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    if safe { next } else { "/" }
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

async fn login_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    guest: GuestForm,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let form = AccountForm {
        next: safe_next(query.next.as_deref().unwrap_or("/")).to_owned(),
        ..Default::default()
    };
    let page = page(
        &state,
        &viewer,
        &guest,
        FormKind::Login,
        "/login".into(),
        form,
        AccountErrors::default(),
    );
    show(&page, StatusCode::OK, guest)
}

/// Starts a session for `user` and sends the browser to `next` with the new cookie.
pub(crate) async fn sign_in(
    state: &AppState,
    user: UserId,
    next: &str,
) -> Result<HttpResponse, AppError> {
    let policy = state.settings.session_policy();
    let token = state
        .db
        .write(move |conn| sessions::create(conn, user, policy))
        .await?;
    let mut response = see_other(safe_next(next));
    response
        .add_cookie(&session_cookie(&token, state))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(response)
}

async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    guest: GuestForm,
    form: Checked<AccountForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let [per_minute, per_hour] = rate::login_per_address(
        state.settings.login_per_minute,
        state.settings.login_per_hour,
    );
    limits::count(
        &state,
        limits::per_address("login", &req, &state).await?,
        per_minute,
    )
    .await?;
    limits::count(
        &state,
        limits::per_address("login-hourly", &req, &state).await?,
        per_hour,
    )
    .await?;
    let login = form.login.clone();
    let found = state
        .db
        .run(move |conn| users::find_for_login(conn, &login).map_err(AppError::from))
        .await?;
    // Failures count per account, whether it was named by username or by email.
    let account_bucket = match &found {
        Some((user, _)) => format!("login:user:{}", user.id),
        None => format!("login:name:{}", form.login.trim().to_lowercase()),
    };
    let failures = rate::LOGIN_FAILURES_PER_ACCOUNT;
    limits::check(&state, account_bucket.clone(), failures).await?;
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    let attempt = form.password.clone();
    // Unknown accounts are verified against a dummy hash: same work, same answer.
    let verified = state
        .cpu(move || password::verify(&attempt, hash.as_deref()))
        .await?;
    let refused = match user.filter(|_| verified) {
        Some(user) => {
            let id = user.id;
            let suspended = state
                .db
                .run(move |conn| standing::suspension(conn, id).map_err(AppError::from))
                .await?;
            let Some((until, why)) = suspended else {
                tracing::info!(user.id = %user.id, "login");
                return sign_in(&state, user.id, &form.next).await;
            };
            // Told only to someone who knows the password.
            tracing::info!(user.id = %user.id, "login of a suspended account refused");
            let until = if Standing::is_indefinite(until) {
                "until a moderator lifts it".to_owned()
            } else {
                format!("until {}", human_time(until).0)
            };
            let errors = AccountErrors {
                form: Some(format!(
                    "Your account is suspended {until}. The reason given: {why}"
                )),
                ..AccountErrors::default()
            };
            (StatusCode::FORBIDDEN, errors)
        }
        None => {
            tracing::info!("failed login");
            limits::count(&state, account_bucket, rate::LOGIN_FAILURES_PER_ACCOUNT).await?;
            let errors = AccountErrors::from_accounts(stoa_accounts::Error::InvalidCredentials)?;
            (StatusCode::UNPROCESSABLE_ENTITY, errors)
        }
    };
    let (status, errors) = refused;
    let form = AccountForm {
        password: String::new(),
        ..form
    };
    let page = page(
        &state,
        &viewer,
        &guest,
        FormKind::Login,
        "/login".into(),
        form,
        errors,
    );
    show(&page, status, guest)
}

async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    _form: Checked<AccountForm>,
) -> Result<HttpResponse, AppError> {
    if let Some(cookie) = crate::session::session_token(&req) {
        let token = SessionToken::from_cookie(cookie);
        state
            .db
            .write(move |conn| sessions::end(conn, &token))
            .await?;
    }
    let mut response = see_other("/?done=logged-out");
    response
        .add_cookie(&expired_session_cookie())
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(response)
}

/// The registration page, its form stamped with the time it is shown.
async fn register_page(
    state: &AppState,
    viewer: &Viewer,
    guest: &GuestForm,
    form: AccountForm,
    errors: AccountErrors,
) -> Result<AccountPage, AppError> {
    let form = AccountForm {
        shown: state.shown_token().await?.to_string(),
        website: String::new(),
        password: String::new(),
        ..form
    };
    Ok(page(
        state,
        viewer,
        guest,
        FormKind::Register,
        "/register".into(),
        form,
        errors,
    ))
}

#[derive(Debug, Deserialize)]
pub struct InviteQuery {
    invite: Option<String>,
}

/// Whether the community takes this sign-up: refused when registration is closed, or by
/// invitation and `invite` is not a usable invitation. Returns the registration mode.
async fn may_register(state: &AppState, invite: &str) -> Result<Registration, AppError> {
    let registration = state.community().await?.registration;
    match registration {
        Registration::Closed => Err(AppError::Forbidden(
            "This community is not taking new sign-ups.".into(),
        )),
        Registration::Invite => {
            let secret = invite.to_owned();
            let usable = state
                .db
                .run(move |conn| {
                    Ok::<_, AppError>(tokens::peek(conn, TokenPurpose::Invite, &secret).is_ok())
                })
                .await?;
            if usable {
                Ok(registration)
            } else {
                Err(AppError::Forbidden(
                    "Sign-up here is by invitation: ask the community's staff for a link. A link works once, for 14 days.".into(),
                ))
            }
        }
        Registration::Open | Registration::Approval => Ok(registration),
    }
}

async fn register_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    guest: GuestForm,
    query: web::Query<InviteQuery>,
) -> Result<HttpResponse, AppError> {
    let invite = query.into_inner().invite.unwrap_or_default();
    may_register(&state, &invite).await?;
    let form = AccountForm {
        invite,
        ..AccountForm::default()
    };
    let page = register_page(&state, &viewer, &guest, form, AccountErrors::default()).await?;
    show(&page, StatusCode::OK, guest)
}

/// Screens a sign-up with the local anti-spam rules; `Some` when it is refused. An address
/// that does not parse is not screened: it is refused with its own message afterwards.
async fn screen_sign_up(
    state: &AppState,
    form: &AccountForm,
) -> Result<Option<signup::Refusal>, AppError> {
    let key = state.server_key().await?.to_vec();
    let email = Email::parse(&form.email)
        .ok()
        .map(|e| e.as_str().to_owned());
    let (honeypot, shown) = (form.website.clone(), form.shown.clone());
    let min_fill = time::Duration::seconds(i64::from(state.settings.min_fill_seconds));
    let screened = state
        .db
        .run(move |conn| {
            let submission = signup::Submission {
                email: email.as_deref(),
                honeypot: &honeypot,
                shown: &shown,
            };
            signup::screen(conn, &key, submission, min_fill).map_err(AppError::from)
        })
        .await?;
    Ok(screened.err())
}

/// Parses the fields a new account needs and hashes its password (off the async workers).
async fn new_account_input(
    state: &AppState,
    form: &AccountForm,
) -> Result<(Username, DisplayName, Email, String), stoa_accounts::Error> {
    let username = Username::parse(&form.username)?;
    let display_name = DisplayName::parse(&form.username)?;
    let email = Email::parse(&form.email)?;
    let password = Password::parse_new(&form.password, &[username.as_str(), email.as_str()])?;
    let hash = state
        .cpu(move || password::hash(&password))
        .await
        .map_err(|e| stoa_accounts::Error::Hash(e.to_string()))??;
    Ok((username, display_name, email, hash))
}

/// Mails the link that confirms a new address; a mail failure is logged, not fatal (the
/// account works, and the address can be confirmed later).
pub(crate) async fn mail_verification(state: &AppState, email: &str, token: &TokenSecret) {
    let link = format!(
        "{}/verify-email/{}",
        state.settings.base_url,
        token.expose()
    );
    let body = format!(
        "Welcome to {community}!\n\nConfirm your email address by opening this link and pressing the button:\n\n{link}\n\nThe link works once and for 48 hours. If you did not sign up, ignore this mail.\n",
        community = state.community_name()
    );
    let subject = format!("Confirm your address for {}", state.community_name());
    if let Err(e) = state.mailer.send(email, &subject, body).await {
        tracing::error!(error = %e, "verification mail failed");
    }
}

async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    guest: GuestForm,
    form: Checked<AccountForm>,
) -> Result<HttpResponse, AppError> {
    limits::count(
        &state,
        limits::per_address("register", &req, &state).await?,
        rate::REGISTER_PER_ADDRESS,
    )
    .await?;
    limits::count(
        &state,
        limits::per_address("register-daily", &req, &state).await?,
        rate::REGISTER_PER_ADDRESS_DAILY,
    )
    .await?;
    let form = form.0;
    let registration = may_register(&state, &form.invite).await?;
    if let Some(refusal) = screen_sign_up(&state, &form).await? {
        tracing::info!(refusal = ?refusal, "sign-up refused");
        let message = Some(refusal.message().to_owned());
        let errors = if refusal.is_about_email() {
            AccountErrors {
                email: message,
                ..AccountErrors::default()
            }
        } else {
            AccountErrors {
                form: message,
                ..AccountErrors::default()
            }
        };
        let page = register_page(&state, &viewer, &guest, form, errors).await?;
        return show(&page, StatusCode::UNPROCESSABLE_ENTITY, guest);
    }
    let created = match new_account_input(&state, &form).await {
        Ok((username, display_name, email, hash)) => {
            let invite = form.invite.clone();
            state
                .db
                .write(move |conn| {
                    let account = NewAccount {
                        username: &username,
                        display_name: &display_name,
                        email: &email,
                        password_hash: &hash,
                        role: Role::Member,
                    };
                    // An invitation works once: used in the transaction that creates the
                    // account, so two sign-ups with one link cannot both succeed.
                    if registration == Registration::Invite {
                        tokens::consume(conn, TokenPurpose::Invite, &invite)?;
                    }
                    let (user, token) = users::register(conn, &account)?;
                    if registration == Registration::Approval {
                        users::await_approval(conn, user.id)?;
                    }
                    Ok((user, token))
                })
                .await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok((user, token)) => {
            tracing::info!(user.id = %user.id, "registered");
            mail_verification(&state, user.email.as_deref().unwrap_or_default(), &token).await;
            sign_in(&state, user.id, "/?done=registered").await
        }
        Err(stoa_accounts::Error::UsernameTaken | stoa_accounts::Error::EmailTaken)
            if let Some(user) = same_sign_up(&state, &form).await? =>
        {
            // The same form sent twice (a double click): the first created the account.
            sign_in(&state, user, "/?done=registered").await
        }
        Err(e) => {
            let errors = AccountErrors::from_accounts(e)?;
            let page = register_page(&state, &viewer, &guest, form, errors).await?;
            show(&page, StatusCode::UNPROCESSABLE_ENTITY, guest)
        }
    }
}

/// The account a sign-up form just created, if this is the same form sent again: same
/// username and email, the same password, created in the last ten minutes.
async fn same_sign_up(state: &AppState, form: &AccountForm) -> Result<Option<UserId>, AppError> {
    let login = form.username.clone();
    let Some((user, hash)) = state
        .db
        .run(move |conn| users::find_for_login(conn, &login).map_err(AppError::from))
        .await?
    else {
        return Ok(None);
    };
    let recent = user.created_at > stoa_db::time::now() - time::Duration::minutes(10);
    let same_email =
        Email::parse(&form.email).is_ok_and(|e| Some(e.as_str()) == user.email.as_deref());
    if !recent || !same_email {
        return Ok(None);
    }
    let attempt = form.password.clone();
    let same_password = state
        .cpu(move || password::verify(&attempt, hash.as_deref()))
        .await?;
    Ok(same_password.then_some(user.id))
}

#[derive(Template)]
#[template(path = "accounts/confirm.html")]
struct ConfirmPage {
    layout: Layout,
    heading: &'static str,
    text: String,
    action: Option<String>,
    button: &'static str,
    csrf: String,
}

async fn verify_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    guest: GuestForm,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let secret = token.clone();
    let grant = state
        .db
        .run(move |conn| {
            tokens::peek(conn, TokenPurpose::VerifyEmail, &secret).map_err(AppError::from)
        })
        .await;
    let page = match grant {
        Ok(grant) => ConfirmPage {
            layout: Layout {
                private: true,
                ..Layout::new(&state, &viewer, "Confirm your address")
            },
            heading: "Confirm your address",
            text: format!(
                "Press the button to confirm {}.",
                grant.email.unwrap_or_default()
            ),
            action: Some(format!("/verify-email/{token}")),
            button: "Confirm my address",
            csrf: guest.csrf.clone(),
        },
        Err(AppError::BadRequest(message)) => invalid_link(&state, &viewer, message),
        Err(e) => return Err(e),
    };
    let status = if page.action.is_some() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    render(&page, status, &page.layout, guest.cookie)
}

fn invalid_link(state: &AppState, viewer: &Viewer, message: String) -> ConfirmPage {
    ConfirmPage {
        layout: Layout::new(state, viewer, "Link not valid"),
        heading: "This link cannot be used",
        text: message,
        action: None,
        button: "",
        csrf: String::new(),
    }
}

async fn verify(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    _form: Checked<AccountForm>,
) -> Result<HttpResponse, AppError> {
    let secret = path.into_inner();
    let verified = state
        .db
        .write(move |conn| {
            let grant = tokens::consume(conn, TokenPurpose::VerifyEmail, &secret)?;
            match (grant.user_id, grant.email) {
                (Some(user), Some(email)) => users::mark_email_verified(conn, user, &email),
                _ => Err(stoa_accounts::Error::InvalidToken),
            }
        })
        .await;
    // Success redirects, so reloading the page does not re-submit a used link.
    match verified {
        Ok(true) => Ok(see_other("/?done=email-verified")),
        Ok(false) => link_unusable(
            &state,
            &viewer,
            "This address is no longer the one on the account.".into(),
        ),
        Err(stoa_accounts::Error::InvalidToken) => link_unusable(
            &state,
            &viewer,
            stoa_accounts::Error::InvalidToken.to_string(),
        ),
        Err(e) => Err(e.into()),
    }
}

async fn reset_request_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    guest: GuestForm,
) -> Result<HttpResponse, AppError> {
    let page = page(
        &state,
        &viewer,
        &guest,
        FormKind::ResetRequest,
        "/reset-password".into(),
        AccountForm::default(),
        AccountErrors::default(),
    );
    show(&page, StatusCode::OK, guest)
}

/// Always the same answer, whether or not an account uses the address; the mail is sent in
/// the background so the response time does not tell either.
async fn reset_request(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    guest: GuestForm,
    form: Checked<AccountForm>,
) -> Result<HttpResponse, AppError> {
    limits::count(
        &state,
        limits::per_address("reset", &req, &state).await?,
        rate::RESET_PER_ADDRESS,
    )
    .await?;
    let form = form.0;
    if let Ok(email) = Email::parse(&form.email) {
        let state = state.clone();
        actix_web::rt::spawn(async move {
            if let Err(e) = send_reset(&state, email).await {
                tracing::error!(error = %e, "password reset mail failed");
            }
        });
    }
    let mut page = page(
        &state,
        &viewer,
        &guest,
        FormKind::ResetRequest,
        "/reset-password".into(),
        AccountForm::default(),
        AccountErrors::default(),
    );
    page.notice = Some("If an account uses that address, we have sent it a link to choose a new password. The link works for one hour.".into());
    show(&page, StatusCode::OK, guest)
}

async fn send_reset(state: &AppState, email: Email) -> Result<(), AppError> {
    // The person asking sees the same answer either way; past the limit, the mail is not sent.
    let bucket = format!("reset:email:{}", email.as_str());
    limits::count(state, bucket, rate::RESET_MAILS_PER_EMAIL).await?;
    let address = email.clone();
    let issued = state
        .db
        .run(move |conn| {
            let Some(user) = users::find_by_email(conn, &address)? else {
                return Ok(None);
            };
            dialect::write_transaction(conn, |conn| {
                tokens::issue(
                    conn,
                    TokenPurpose::ResetPassword,
                    Some(user.id),
                    Some(address.as_str()),
                )
            })
            .map(Some)
        })
        .await
        .map_err(AppError::from)?;
    let Some(token) = issued else { return Ok(()) };
    let link = format!(
        "{}/reset-password/{}",
        state.settings.base_url,
        token.expose()
    );
    let body = format!(
        "Someone asked to reset the password of your {community} account.\n\nChoose a new password here:\n\n{link}\n\nThe link works once and for one hour. If it was not you, ignore this mail: your password stays as it is.\n",
        community = state.community_name()
    );
    let subject = format!("Reset your {} password", state.community_name());
    state
        .mailer
        .send(email.as_str(), &subject, body)
        .await
        .map_err(AppError::from)
}

/// The page behind a link: its form while the link is usable, otherwise a page saying it
/// cannot be used.
async fn link_form(
    state: &AppState,
    viewer: &Viewer,
    guest: GuestForm,
    purpose: TokenPurpose,
    kind: FormKind,
    action: String,
    secret: String,
) -> Result<HttpResponse, AppError> {
    if let Some(refusal) = unusable_link(state, viewer, purpose, &secret).await? {
        return Ok(refusal);
    }
    let form = AccountForm::default();
    let page = page(
        state,
        viewer,
        &guest,
        kind,
        action,
        form,
        AccountErrors::default(),
    );
    show(&page, StatusCode::OK, guest)
}

/// `Some(page saying so)` when the link cannot be used. Checked first, so a made-up link
/// never costs a password hash.
async fn unusable_link(
    state: &AppState,
    viewer: &Viewer,
    purpose: TokenPurpose,
    secret: &str,
) -> Result<Option<HttpResponse>, AppError> {
    let secret = secret.to_owned();
    let peeked = state
        .db
        .run(move |conn| tokens::peek(conn, purpose, &secret).map_err(AppError::from))
        .await;
    match peeked {
        Ok(_) => Ok(None),
        Err(AppError::BadRequest(message)) => link_unusable(state, viewer, message).map(Some),
        Err(e) => Err(e),
    }
}

/// 400 with a page saying the link is invalid, expired or used.
fn link_unusable(
    state: &AppState,
    viewer: &Viewer,
    message: String,
) -> Result<HttpResponse, AppError> {
    let page = invalid_link(state, viewer, message);
    render(&page, StatusCode::BAD_REQUEST, &page.layout, None)
}

async fn reset_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    guest: GuestForm,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let secret = path.into_inner();
    let action = format!("/reset-password/{secret}");
    link_form(
        &state,
        &viewer,
        guest,
        TokenPurpose::ResetPassword,
        FormKind::Reset,
        action,
        secret,
    )
    .await
}

async fn reset(
    state: web::Data<AppState>,
    viewer: Viewer,
    guest: GuestForm,
    path: web::Path<String>,
    form: Checked<AccountForm>,
) -> Result<HttpResponse, AppError> {
    let secret = path.into_inner();
    if let Some(refusal) =
        unusable_link(&state, &viewer, TokenPurpose::ResetPassword, &secret).await?
    {
        return Ok(refusal);
    }
    let form = form.0;
    let new_password = match Password::parse_new(&form.password, &[]) {
        Ok(p) => p,
        Err(e) => {
            let page = page(
                &state,
                &viewer,
                &guest,
                FormKind::Reset,
                format!("/reset-password/{secret}"),
                AccountForm::default(),
                AccountErrors::from_accounts(e)?,
            );
            return show(&page, StatusCode::UNPROCESSABLE_ENTITY, guest);
        }
    };
    let hash = state.cpu(move || password::hash(&new_password)).await??;
    let changed = state
        .db
        .write(move |conn| {
            let grant = tokens::consume(conn, TokenPurpose::ResetPassword, &secret)?;
            let user = grant.user_id.ok_or(stoa_accounts::Error::InvalidToken)?;
            users::set_password_hash(conn, user, &hash)?;
            sessions::end_all(conn, user)?;
            tokens::revoke_all(conn, TokenPurpose::ResetPassword, user)?;
            Ok::<_, stoa_accounts::Error>(user)
        })
        .await;
    match changed {
        Ok(user) => sign_in(&state, user, "/?done=password-changed").await,
        Err(stoa_accounts::Error::InvalidToken) => link_unusable(
            &state,
            &viewer,
            stoa_accounts::Error::InvalidToken.to_string(),
        ),
        Err(e) => Err(e.into()),
    }
}

async fn setup_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    guest: GuestForm,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let secret = path.into_inner();
    let action = format!("/setup/{secret}");
    link_form(
        &state,
        &viewer,
        guest,
        TokenPurpose::OwnerSetup,
        FormKind::Setup,
        action,
        secret,
    )
    .await
}

async fn setup(
    state: web::Data<AppState>,
    viewer: Viewer,
    guest: GuestForm,
    path: web::Path<String>,
    form: Checked<AccountForm>,
) -> Result<HttpResponse, AppError> {
    let secret = path.into_inner();
    if let Some(refusal) = unusable_link(&state, &viewer, TokenPurpose::OwnerSetup, &secret).await?
    {
        return Ok(refusal);
    }
    let form = form.0;
    let created = match new_account_input(&state, &form).await {
        Ok((username, display_name, email, hash)) => {
            let secret = secret.clone();
            state
                .db
                .write(move |conn| {
                    tokens::consume(conn, TokenPurpose::OwnerSetup, &secret)?;
                    if users::owner_exists(conn)? {
                        return Err(stoa_accounts::Error::InvalidToken);
                    }
                    let account = NewAccount::owner(&username, &display_name, &email, &hash);
                    users::register(conn, &account)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok((user, token)) => {
            tracing::info!(user.id = %user.id, "owner account created from the setup link");
            mail_verification(&state, user.email.as_deref().unwrap_or_default(), &token).await;
            sign_in(&state, user.id, "/?done=owner-created").await
        }
        Err(stoa_accounts::Error::InvalidToken) => link_unusable(
            &state,
            &viewer,
            stoa_accounts::Error::InvalidToken.to_string(),
        ),
        Err(e) => {
            let errors = AccountErrors::from_accounts(e)?;
            let form = AccountForm {
                password: String::new(),
                ..form
            };
            let page = page(
                &state,
                &viewer,
                &guest,
                FormKind::Setup,
                format!("/setup/{secret}"),
                form,
                errors,
            );
            show(&page, StatusCode::UNPROCESSABLE_ENTITY, guest)
        }
    }
}
