//! Who is asking ([`Viewer`], [`SignedIn`]) and whether a form really came from us
//! ([`Checked`]).
//!
//! A guest who only reads gets no cookie at all. Two cookies exist:
//! - `stoa_session`: the session token, after login (HttpOnly, SameSite=Lax).
//! - `stoa_form`: a random secret set by the pages whose forms a guest submits (log in,
//!   register, reset password, verify, set up), SameSite=Strict.
//!
//! A form's CSRF token is derived from whichever of those the browser holds, so it can only be
//! produced by a page we served to that browser. On POST the token is checked, and so is the
//! `Origin` (or `Referer`) when the browser sends one.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::sync::Arc;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use base64::Engine;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use stoa_accounts::{Role, SessionToken, SignedInUser, sessions};
use stoa_moderation::policy::Actor;
use subtle::ConstantTimeEq;

use crate::layout::MemberNav;
use crate::{AppError, AppState};

/// Cookie holding the session token.
pub const SESSION_COOKIE: &str = "stoa_session";
/// Cookie holding a guest's form secret.
pub const FORM_COOKIE: &str = "stoa_form";

/// The person making the request: a guest, or a signed-in member.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// The member's session as this node keeps it (none for a guest). One shared value, so
    /// that handing the viewer on costs one reference count, not one per field.
    session: Option<Arc<LiveSession>>,
}

impl Viewer {
    /// The signed-in member, if any.
    pub fn user(&self) -> Option<&Arc<SignedInUser>> {
        self.session.as_ref().map(|session| &session.user)
    }

    /// The policy's view of this person.
    pub fn actor(&self) -> Actor {
        match self.user() {
            Some(u) => Actor::Member {
                id: u.id,
                role: u.role(),
                silenced: u.is_silenced() || !u.approved,
                trust: u8::try_from(u.trust_level.clamp(0, 3)).unwrap_or_default(),
            },
            None => Actor::Guest,
        }
    }

    /// The CSRF token for forms on a page shown to a signed-in member; empty for guests
    /// (guest forms use [`GuestForm`]).
    pub fn csrf_token(&self) -> String {
        self.csrf().to_owned()
    }

    /// The CSRF token, borrowed.
    pub fn csrf(&self) -> &str {
        self.session.as_ref().map_or("", |session| &session.csrf)
    }

    /// The member's part of the header: the bell, their name, logging out.
    pub fn member_nav(&self) -> &str {
        self.session.as_ref().map_or("", |session| &session.nav)
    }

    pub fn is_owner(&self) -> bool {
        self.user().is_some_and(|u| u.role() == Role::Owner)
    }
}

impl FromRequest for Viewer {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Viewer, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(viewer) = req.extensions().get::<Viewer>() {
                return Ok(viewer.clone());
            }
            let token = session_token(&req);
            // A cookie whose session has ended counts for nothing.
            let session = match token {
                None => None,
                Some(token) => signed_in_user(state(&req)?, token).await?,
            };
            let viewer = Viewer { session };
            req.extensions_mut().insert(viewer.clone());
            Ok(viewer)
        })
    }
}

/// The session cookie's value. Read from the `Cookie` header directly, not through the
/// request's parsed cookies: every page a member opens asks, and parsing (and percent-decoding)
/// every cookie the browser sends costs more than the rest of the lookup.
pub(crate) fn session_token(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|header| header.to_str().ok())
        .flat_map(|header| header.split(';'))
        .find_map(|pair| match pair.trim().split_once('=') {
            Some((SESSION_COOKIE, value)) => Some(value.trim_matches('"')),
            _ => None,
        })
}

/// A live session as this node keeps it: the member, and what each of their pages shows
/// that is worked out from the session alone.
#[derive(Debug)]
pub struct LiveSession {
    user: Arc<SignedInUser>,
    csrf: String,
    nav: String,
}

/// Sessions looked up, kept while nothing is written (see [`SignedInUser::unchanged_at`]).
pub const SESSIONS_KEPT: usize = 10_000;

/// The member whose session cookie holds `token`, if the session is live: from memory when
/// this node looked it up since the last change, otherwise from the database.
async fn signed_in_user(
    state: &AppState,
    token: &str,
) -> Result<Option<Arc<LiveSession>>, AppError> {
    let policy = state.settings.session_policy();
    let generation = state.pages.generation();
    if let Some(live) = state.sessions.get(token, generation)
        && live.user.unchanged_at(stoa_db::time::now(), policy)
    {
        return Ok(Some(live));
    }
    let secret = SessionToken::from_cookie(token);
    let Some(user) = state
        .db
        .run(move |conn| sessions::lookup(conn, &secret, policy).map_err(AppError::from))
        .await?
    else {
        return Ok(None);
    };
    let csrf = csrf_token_for(token);
    let nav = MemberNav::of(&user, &csrf);
    let found = Arc::new(LiveSession {
        user: Arc::new(user),
        csrf,
        nav,
    });
    let now = state.pages.generation();
    state
        .sessions
        .put(token.to_owned(), generation, now, Arc::clone(&found));
    Ok(Some(found))
}

/// A signed-in member; a guest is sent to the login page and comes back afterwards.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: Arc<SignedInUser>,
    pub viewer: Viewer,
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<SignedIn, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let viewer = Viewer::from_request(req, payload);
        let next = return_path(req);
        Box::pin(async move {
            let viewer = viewer.await?;
            match viewer.user().cloned() {
                Some(user) => Ok(SignedIn { user, viewer }),
                None => Err(AppError::LoginRequired { next }),
            }
        })
    }
}

/// Where to come back to after logging in: the page itself for a GET, the page the form was
/// on for a POST (when it was on this site).
fn return_path(req: &HttpRequest) -> String {
    if req.method() == actix_web::http::Method::GET {
        return req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
    }
    req.headers()
        .get(actix_web::http::header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
        .and_then(|rest| {
            rest.split_once('/')
                .map(|(host, path)| (host, format!("/{path}")))
        })
        .filter(|(host, _)| Some(*host) == req.headers().get("host").and_then(|h| h.to_str().ok()))
        .map(|(_, path)| path)
        .unwrap_or_else(|| "/".to_owned())
}

fn state(req: &HttpRequest) -> Result<&web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal("application state missing".into()))
}

fn csrf_token_for(secret: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"stoa-csrf:")
        .chain_update(secret.as_bytes())
        .finalize();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// A form that carries a CSRF token.
pub trait CsrfProtected {
    fn csrf(&self) -> &str;
}

/// Implements [`CsrfProtected`] for form structs whose token is their `csrf` field.
macro_rules! csrf_protected {
    ($($form:ty),* $(,)?) => {$(
        impl $crate::session::CsrfProtected for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        }
    )*};
}
pub(crate) use csrf_protected;

/// A form that is only a button: nothing but its token.
#[derive(Debug, serde::Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

csrf_protected!(CsrfOnly);

/// A urlencoded form whose CSRF token and origin have been checked.
#[derive(Debug)]
pub struct Checked<T>(pub T);

impl<T: DeserializeOwned + CsrfProtected + 'static> FromRequest for Checked<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Checked<T>, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = web::Form::<T>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            if !origin_is_ours(&req) {
                tracing::warn!(http.origin = ?req.headers().get("origin"), "cross-origin form post refused");
                return Err(AppError::Csrf.into());
            }
            let form = form.await?.into_inner();
            let secrets = [SESSION_COOKIE, FORM_COOKIE]
                .map(|name| req.cookie(name).map(|c| c.value().to_owned()));
            let matches = secrets.iter().flatten().any(|secret| {
                bool::from(
                    csrf_token_for(secret)
                        .as_bytes()
                        .ct_eq(form.csrf().as_bytes()),
                )
            });
            if matches {
                Ok(Checked(form))
            } else {
                Err(AppError::Csrf.into())
            }
        })
    }
}

/// True unless the browser says the request comes from another site: the `Origin` header (or
/// failing that, `Referer`) must name the host the request was sent to.
fn origin_is_ours(req: &HttpRequest) -> bool {
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let claimed = req
        .headers()
        .get("origin")
        .or_else(|| req.headers().get("referer"))
        .and_then(|v| v.to_str().ok());
    match claimed {
        None => true,
        Some("null") => false,
        Some(url) => {
            let authority = url.find("://").map(|i| &url[i + 3..]).unwrap_or_default();
            authority.split('/').next() == Some(host)
        }
    }
}

/// The CSRF token for a page with forms a guest submits, and the cookie to set when the
/// browser does not hold a form secret yet.
#[derive(Debug)]
pub struct GuestForm {
    pub csrf: String,
    pub cookie: Option<Cookie<'static>>,
}

impl FromRequest for GuestForm {
    type Error = AppError;
    type Future = Ready<Result<GuestForm, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(state(req).map(|state| {
            if let Some(existing) = req.cookie(FORM_COOKIE) {
                return GuestForm {
                    csrf: csrf_token_for(existing.value()),
                    cookie: None,
                };
            }
            let secret = {
                let bytes: [u8; 32] = rand::random();
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
            };
            let cookie = Cookie::build(FORM_COOKIE, secret.clone())
                .path("/")
                .http_only(true)
                .secure(state.settings.is_https())
                .same_site(SameSite::Strict)
                .finish();
            GuestForm {
                csrf: csrf_token_for(&secret),
                cookie: Some(cookie),
            }
        }))
    }
}

/// The session cookie for a new login.
pub fn session_cookie(token: &SessionToken, state: &AppState) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.expose().to_owned())
        .path("/")
        .http_only(true)
        .secure(state.settings.is_https())
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::days(state.settings.session_max_days))
        .finish()
}

/// A cookie that tells the browser to forget the session.
pub fn expired_session_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .finish();
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let token = |cookies: &[&str]| {
            let mut req = TestRequest::default();
            for cookie in cookies {
                req = req.append_header((actix_web::http::header::COOKIE, *cookie));
            }
            session_token(&req.to_http_request()).map(str::to_owned)
        };
        assert_eq!(token(&[]), None);
        assert_eq!(token(&["theme=dark; xstoa_session=no"]), None);
        assert_eq!(
            token(&["theme=dark; stoa_session=abc-_123; lang=en"]),
            Some("abc-_123".to_owned())
        );
        assert_eq!(
            token(&["theme=dark", "stoa_session=second"]),
            Some("second".to_owned()),
            "a second Cookie header (HTTP/2 sends one per cookie)"
        );
    }
}
