//! Every error a request can end in, mapped to a status code in one place and shown as an
//! HTML page (or, under `/api`, as JSON through [`ApiError`]).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

/// A request that cannot be served as asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("This page does not exist.")]
    NotFound,
    /// A guest tried something that needs an account; `next` is where to return after login.
    #[error("Please log in first.")]
    LoginRequired { next: String },
    #[error("{0}")]
    Forbidden(String),
    #[error(
        "This form has expired or did not come from this site. Go back, reload the page and try again."
    )]
    Csrf,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("That is more than this site accepts in one request.")]
    PayloadTooLarge,
    #[error("Too many attempts. Please wait {} and try again.", wait_text(*.0))]
    TooManyRequests(time::Duration),
    #[error("The service is busy or its database is unreachable. Try again in a moment.")]
    Unavailable,
    #[error("Something went wrong on our side. It has been logged.")]
    Internal(String),
}

impl AppError {
    /// What went wrong, for logs and stored job errors: the cause itself, not the sentence a
    /// visitor is shown.
    pub fn detail(&self) -> String {
        match self {
            AppError::Internal(cause) => cause.clone(),
            other => other.to_string(),
        }
    }

    fn title(&self) -> &'static str {
        match self {
            AppError::NotFound => "Not found",
            AppError::LoginRequired { .. } => "Log in required",
            AppError::Forbidden(_) | AppError::Csrf => "Not allowed",
            AppError::BadRequest(_) => "Bad request",
            AppError::Conflict(_) => "Conflict",
            AppError::PayloadTooLarge => "Too large",
            AppError::TooManyRequests(_) => "Slow down",
            AppError::Unavailable => "Unavailable",
            AppError::Internal(_) => "Server error",
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
    stylesheet: &'static str,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::LoginRequired { .. } => StatusCode::SEE_OTHER,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::LoginRequired { next } = self {
            let location = format!("/login?next={}", crate::urlencode(next));
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .finish();
        }
        if let AppError::Internal(cause) = self {
            tracing::error!(error.cause = %cause, "request failed");
        }
        let status = self.status_code();
        let page = ErrorPage {
            status: status.as_u16(),
            title: self.title(),
            message: self.to_string(),
            stylesheet: crate::assets::stylesheet_url(),
        };
        let body = page.render().unwrap_or_else(|_| self.to_string());
        let mut response = HttpResponse::build(status);
        if let AppError::TooManyRequests(wait) = self {
            let seconds = wait.whole_seconds().max(1).to_string();
            response.insert_header((header::RETRY_AFTER, seconds));
        }
        response.content_type(ContentType::html()).body(body)
    }
}

/// "about 3 minutes", "a few seconds".
fn wait_text(wait: time::Duration) -> String {
    match wait.whole_minutes() {
        0 => "a few seconds".to_owned(),
        1 => "about a minute".to_owned(),
        n => format!("about {n} minutes"),
    }
}

/// An error under `/api`, as `{"error": {"status": 404, "message": "…"}}`.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ApiError(#[from] pub AppError);

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match &self.0 {
            AppError::LoginRequired { .. } => StatusCode::UNAUTHORIZED,
            other => other.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(cause) = &self.0 {
            tracing::error!(error.cause = %cause, "api request failed");
        }
        let status = self.status_code();
        HttpResponse::build(status)
            .json(serde_json::json!({ "error": { "status": status.as_u16(), "message": self.0.to_string() } }))
    }
}

impl From<stoa_db::Error> for AppError {
    fn from(e: stoa_db::Error) -> Self {
        match e {
            stoa_db::Error::Pool(_) => AppError::Unavailable,
            stoa_db::Error::Query(stoa_db::diesel::result::Error::NotFound) => AppError::NotFound,
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<stoa_db::diesel::result::Error> for AppError {
    fn from(e: stoa_db::diesel::result::Error) -> Self {
        stoa_db::Error::from(e).into()
    }
}

impl From<stoa_accounts::Error> for AppError {
    fn from(e: stoa_accounts::Error) -> Self {
        use stoa_accounts::Error as E;
        match e {
            E::Db(db) => db.into(),
            E::InvalidToken => AppError::BadRequest(e.to_string()),
            E::Mail(_) | E::Hash(_) => AppError::Internal(e.to_string()),
            input => AppError::BadRequest(input.to_string()),
        }
    }
}

impl From<stoa_threads::Error> for AppError {
    fn from(e: stoa_threads::Error) -> Self {
        use stoa_threads::Error as E;
        match e {
            E::Db(db) => db.into(),
            E::ThreadNotFound | E::PostNotFound => AppError::NotFound,
            E::OwnVote => AppError::Forbidden(e.to_string()),
            E::EditConflict | E::ThreadClosed => AppError::Conflict(e.to_string()),
            input => AppError::BadRequest(input.to_string()),
        }
    }
}

impl From<stoa_search::Error> for AppError {
    fn from(e: stoa_search::Error) -> Self {
        match e {
            stoa_search::Error::Db(db) => db.into(),
            stoa_search::Error::Engine(why) => {
                tracing::error!(search.error = %why, "the search engine failed");
                AppError::Unavailable
            }
        }
    }
}

impl From<stoa_moderation::Error> for AppError {
    fn from(e: stoa_moderation::Error) -> Self {
        use stoa_moderation::Error as E;
        match e {
            E::Db(db) => db.into(),
            E::Threads(t) => t.into(),
            E::Accounts(a) => a.into(),
            E::UserNotFound => AppError::NotFound,
            E::AlreadyFlagged | E::AlreadyHandled => AppError::Conflict(e.to_string()),
            E::Invalid(why) => AppError::BadRequest(why),
        }
    }
}

impl From<stoa_moderation::policy::Denial> for AppError {
    fn from(d: stoa_moderation::policy::Denial) -> Self {
        match d {
            stoa_moderation::policy::Denial::SignInRequired => {
                AppError::LoginRequired { next: "/".into() }
            }
            stoa_moderation::policy::Denial::Forbidden(why) => AppError::Forbidden(why.into()),
        }
    }
}

impl From<stoa_staff::Error> for AppError {
    fn from(e: stoa_staff::Error) -> Self {
        match e {
            stoa_staff::Error::Invalid(why) => AppError::BadRequest(why),
            stoa_staff::Error::ThreadNotFound => AppError::NotFound,
            stoa_staff::Error::Db(e) => e.into(),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

/// A path that does not parse (`/q/abc`) is a page that does not exist; a query string that
/// does not parse is a bad request. Under `/api` both answer in JSON.
pub fn path_error(
    _err: actix_web::error::PathError,
    req: &actix_web::HttpRequest,
) -> actix_web::Error {
    for_path(req, AppError::NotFound)
}

pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    req: &actix_web::HttpRequest,
) -> actix_web::Error {
    for_path(
        req,
        AppError::BadRequest(format!("The address could not be read: {err}")),
    )
}

/// `error` as JSON under `/api`, as a page elsewhere.
pub fn for_path(req: &actix_web::HttpRequest, error: AppError) -> actix_web::Error {
    if req.path().starts_with("/api/") {
        ApiError(error).into()
    } else {
        error.into()
    }
}

/// Turns actix's own form-parsing failures into our pages (413 for an oversized body).
pub fn form_error(
    err: actix_web::error::UrlencodedError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::UrlencodedError as U;
    match err {
        U::Overflow { .. } | U::UnknownLength => AppError::PayloadTooLarge.into(),
        other => AppError::BadRequest(format!("The form could not be read: {other}")).into(),
    }
}
