//! Notifications by mail: the worker that sends what `stoa_notify::email` queued (one mail
//! per notification, or a daily digest), the member's choices page, and unsubscribing from a
//! link in a mail without logging in (RFC 8058 one-click, or a page with a button).

use std::time::Duration as StdDuration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use stoa_db::{UserId, time::now};
use stoa_notify::email::{self, Delivery, MailJob};
use stoa_notify::notifications::{self, Kind, NotificationView};
use subtle::ConstantTimeEq;
use time::PrimitiveDateTime;

use crate::layout::{Layout, render, see_other};
use crate::session::{Checked, SignedIn, Viewer};
use crate::{AppError, AppState};

/// Mails a worker claims at a time.
const BATCH: i64 = 20;
/// Notifications a digest lists at most.
const DIGEST_ITEMS: i64 = 50;
/// How often the worker sends due mail.
const TICK: StdDuration = StdDuration::from_secs(5);
/// How often it looks for overdue questions and due digests.
const PLAN_EVERY: StdDuration = StdDuration::from_secs(60);

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account/email", web::get().to(preferences_page))
        .route("/account/email", web::post().to(save_preferences))
        .route("/unsubscribe/{token}", web::get().to(unsubscribe_page))
        .route("/unsubscribe/{token}", web::post().to(unsubscribe));
}

/// Sends mail forever: every few seconds what is due; every minute it first looks for
/// overdue questions and due digests (a scan of recent notifications, which need not run as
/// often as mail is sent). Runs on every node; claims keep two nodes from sending one mail.
pub async fn deliver_forever(state: web::Data<AppState>) {
    let mut tick = tokio::time::interval(TICK);
    let mut planned: Option<std::time::Instant> = None;
    loop {
        tick.tick().await;
        let plan_now = planned.is_none_or(|at| at.elapsed() >= PLAN_EVERY);
        let result = if plan_now {
            planned = Some(std::time::Instant::now());
            deliver_due(&state, now()).await
        } else {
            send_due(&state, now()).await
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "sending notification mail failed");
        }
    }
}

/// Announces the threads overdue at `at` and queues the digests due then, then sends every
/// mail due; returns how many mails went out.
pub async fn deliver_due(state: &AppState, at: PrimitiveDateTime) -> Result<usize, AppError> {
    state
        .db
        .write(move |conn| {
            let hours = stoa_staff::hours::load(conn)?;
            stoa_staff::queue::alert_overdue(conn, &hours, at)?;
            Ok::<_, AppError>(email::queue_digests(conn, at)?)
        })
        .await?;
    // What was just queued carries the clock's time, which may be past `at`.
    send_due(state, at.max(now())).await
}

/// Sends every mail due at `at`, one batch after another; returns how many went out.
async fn send_due(state: &AppState, at: PrimitiveDateTime) -> Result<usize, AppError> {
    let mut sent = 0;
    loop {
        let jobs = state
            .db
            .write(move |conn| Ok::<_, AppError>(email::claim(conn, at, BATCH)?))
            .await?;
        if jobs.is_empty() {
            return Ok(sent);
        }
        for job in jobs {
            let outcome = send(state, &job).await;
            let id = job.id;
            match outcome {
                Ok(went) => {
                    sent += usize::from(went);
                    state
                        .db
                        .write(move |conn| Ok::<_, AppError>(email::sent(conn, id, now())?))
                        .await?;
                }
                Err(e) => {
                    let error = e.detail();
                    tracing::warn!(mail.job = id, mail.attempts = job.attempts, error = %error, "a notification mail failed; it will be tried again");
                    state
                        .db
                        .write(move |conn| {
                            Ok::<_, AppError>(email::failed(conn, &job, &error, at)?)
                        })
                        .await?;
                }
            }
        }
    }
}

/// What one mail says, before it becomes text and HTML.
#[derive(Template)]
#[template(path = "mail/notification.txt")]
struct MailText<'a> {
    mail: &'a MailBody,
}

#[derive(Template)]
#[template(path = "mail/notification.html")]
struct MailHtml<'a> {
    mail: &'a MailBody,
}

struct MailBody {
    community: String,
    name: String,
    intro: String,
    items: Vec<MailItem>,
    unsubscribe_url: String,
    unsubscribe_what: String,
    preferences_url: String,
}

struct MailItem {
    text: String,
    url: String,
}

impl MailItem {
    fn new(n: &NotificationView, base: &str) -> MailItem {
        MailItem {
            text: format!(
                "{} {} {}",
                n.actor.as_deref().unwrap_or("Someone"),
                n.kind.0.sentence(),
                n.thread_title
            ),
            url: format!("{base}{}", n.target_url()),
        }
    }
}

/// Sends `job`'s mail; `Ok(false)` when there is nothing to send (no confirmed address any
/// more, the notification is gone, everything in the digest was read meanwhile).
async fn send(state: &AppState, job: &MailJob) -> Result<bool, AppError> {
    let user = UserId(job.user_id);
    let (notification, digest_since, until) =
        (job.notification_id, job.digest_since, job.created_at);
    let loaded = state
        .db
        .run(move |conn| {
            let Some(recipient) = email::recipient(conn, user)? else {
                return Ok::<_, AppError>(None);
            };
            let items = match (notification, digest_since) {
                (Some(id), _) => notifications::find(conn, user, id)?.into_iter().collect(),
                (None, Some(since)) => {
                    let digest: Vec<Kind> = email::preferences(conn, user)?
                        .into_iter()
                        .filter(|(_, d)| *d == Delivery::Digest)
                        .map(|(k, _)| k)
                        .collect();
                    notifications::unread_between(conn, user, since, until, DIGEST_ITEMS)?
                        .into_iter()
                        .filter(|n| digest.contains(&n.kind.0))
                        .collect()
                }
                (None, None) => Vec::new(),
            };
            Ok(Some((recipient, items)))
        })
        .await?;
    let Some(((address, name), items)) = loaded else {
        return Ok(false);
    };
    if items.is_empty() {
        return Ok(false);
    }
    let base = state.settings.base_url.trim_end_matches('/').to_owned();
    let community = state.community_name();
    let key = state.server_key().await?;
    let (subject, intro, scope, what) = match (&items[..], job.notification_id) {
        ([one], Some(_)) => (
            format!("[{community}] {}", MailItem::new(one, &base).text),
            String::new(),
            one.kind.0.as_str().to_owned(),
            describe(one.kind.0).to_owned(),
        ),
        _ => (
            format!("[{community}] Your daily digest: {} new", items.len()),
            format!(
                "Here is what happened since your last digest ({} new):",
                items.len()
            ),
            DIGEST_SCOPE.to_owned(),
            "the daily digest".to_owned(),
        ),
    };
    let unsubscribe_url = format!("{base}/unsubscribe/{}", token(key, user, &scope));
    let body = MailBody {
        community,
        name,
        intro,
        items: items.iter().map(|n| MailItem::new(n, &base)).collect(),
        unsubscribe_url: unsubscribe_url.clone(),
        unsubscribe_what: what,
        preferences_url: format!("{base}/account/email"),
    };
    let text = MailText { mail: &body }.render()?;
    let html = MailHtml { mail: &body }.render()?;
    state
        .mailer
        .send_alternative(&address, &subject, text, html, Some(&unsubscribe_url))
        .await?;
    Ok(true)
}

/// What a kind of notification is about, in a sentence's middle.
fn describe(kind: Kind) -> &'static str {
    match kind {
        Kind::Question => "new questions in tags and categories you watch",
        Kind::Answer => "new answers in questions you watch",
        Kind::StaffAnswer => "answers from the team to your questions",
        Kind::Comment => "new comments in questions you watch",
        Kind::Accepted => "your answers being accepted",
        Kind::Assigned => "questions assigned to you",
        Kind::Mention => "mentions of you in questions and answers",
        Kind::CommentMention => "mentions of you in comments",
        Kind::FlagReviewed => "moderators' decisions on your flags",
        Kind::Overdue => "questions waiting past the reply target",
    }
}

/// The unsubscribe scope of a digest: every kind the member gets in digests.
const DIGEST_SCOPE: &str = "digest";

/// The signed, unguessable part of an unsubscribe link: who and what, under the
/// installation's key, so it works without a login and only for its member.
fn token(key: &[u8], user: UserId, scope: &str) -> String {
    let signature = stoa_moderation::secrets::sign(key, &format!("unsubscribe:{user}:{scope}"));
    format!("{user}.{scope}.{signature}")
}

/// The member and scope of a genuine token.
fn verify(key: &[u8], token: &str) -> Option<(UserId, String)> {
    let mut parts = token.splitn(3, '.');
    let user: i64 = parts.next()?.parse().ok()?;
    let scope = parts.next()?;
    let signature = parts.next()?;
    let genuine = self::token(key, UserId(user), scope);
    let expected = genuine.rsplit('.').next()?;
    bool::from(expected.as_bytes().ct_eq(signature.as_bytes()))
        .then(|| (UserId(user), scope.to_owned()))
}

/// The kinds a scope covers for `user`: one kind, or every kind they get in digests.
fn kinds_of(scope: &str, preferences: &[(Kind, Delivery)]) -> Vec<Kind> {
    match Kind::parse(scope) {
        Some(kind) => vec![kind],
        None => preferences
            .iter()
            .filter(|(_, d)| *d == Delivery::Digest)
            .map(|(k, _)| *k)
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "accounts/unsubscribe.html")]
struct UnsubscribePage {
    layout: Layout,
    what: String,
    done: bool,
    token: String,
}

async fn unsubscribe_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let (_, scope) = verify(state.server_key().await?, &token).ok_or(AppError::NotFound)?;
    let page = UnsubscribePage {
        layout: Layout::new(&state, &viewer, "Unsubscribe"),
        what: scope_label(&scope),
        done: false,
        token,
    };
    render(&page, StatusCode::OK, &page.layout, None)
}

fn scope_label(scope: &str) -> String {
    Kind::parse(scope).map_or_else(|| "the daily digest".to_owned(), |k| describe(k).to_owned())
}

/// One click, from the page's button or from the mail program (RFC 8058 posts
/// `List-Unsubscribe=One-Click`): the token is the authority, so neither a login nor a CSRF
/// token is asked for.
async fn unsubscribe(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let (user, scope) = verify(state.server_key().await?, &token).ok_or(AppError::NotFound)?;
    let what = scope_label(&scope);
    state
        .db
        .write(move |conn| {
            let preferences = email::preferences(conn, user)?;
            for kind in kinds_of(&scope, &preferences) {
                email::set_preference(conn, user, kind, Delivery::Never)?;
            }
            Ok::<_, AppError>(())
        })
        .await?;
    let page = UnsubscribePage {
        layout: Layout::new(&state, &viewer, "Unsubscribed"),
        what,
        done: true,
        token,
    };
    render(&page, StatusCode::OK, &page.layout, None)
}

#[derive(Template)]
#[template(path = "accounts/email.html")]
struct PreferencesPage {
    layout: Layout,
    rows: Vec<(Kind, &'static str, Delivery)>,
    confirmed: bool,
    saved: bool,
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

async fn preferences_page(
    state: web::Data<AppState>,
    user: SignedIn,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, AppError> {
    let member = user.user.id;
    let preferences = state
        .db
        .run(move |conn| Ok::<_, AppError>(email::preferences(conn, member)?))
        .await?;
    let page = PreferencesPage {
        layout: Layout::new(&state, &user.viewer, "Email notifications"),
        rows: preferences
            .into_iter()
            .map(|(kind, delivery)| (kind, describe(kind), delivery))
            .collect(),
        confirmed: user.user.email_verified_at.is_some(),
        saved: query.saved.is_some(),
    };
    render(&page, StatusCode::OK, &page.layout, None)
}

/// The choices form: one field per kind, named after it, valued instant, digest or never.
#[derive(Debug, Deserialize)]
pub struct PreferencesForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    choices: std::collections::HashMap<String, String>,
}

crate::session::csrf_protected!(PreferencesForm);

async fn save_preferences(
    state: web::Data<AppState>,
    user: SignedIn,
    form: Checked<PreferencesForm>,
) -> Result<HttpResponse, AppError> {
    let mut chosen = Vec::new();
    for kind in Kind::ALL {
        if let Some(value) = form.0.choices.get(kind.as_str()) {
            let delivery = Delivery::parse(value).ok_or_else(|| {
                AppError::BadRequest("Choose instantly, daily digest or never.".into())
            })?;
            chosen.push((kind, delivery));
        }
    }
    let member = user.user.id;
    state
        .db
        .write(move |conn| {
            for (kind, delivery) in chosen {
                email::set_preference(conn, member, kind, delivery)?;
            }
            Ok::<_, AppError>(())
        })
        .await?;
    Ok(see_other("/account/email?saved=1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_their_member_and_scope() {
        let key = b"a test key of some length";
        let t = token(key, UserId(7), "answer");
        assert_eq!(verify(key, &t), Some((UserId(7), "answer".to_owned())));
        let other_member = t.replacen("7.", "8.", 1);
        assert_eq!(verify(key, &other_member), None);
        let other_scope = t.replacen(".answer.", ".comment.", 1);
        assert_eq!(verify(key, &other_scope), None);
        assert_eq!(verify(b"another key", &t), None);
        assert_eq!(verify(key, "7.answer"), None);
        assert_eq!(verify(key, ""), None);
    }
}
