//! Moderation pages: flagging a post, the review queue, thread actions, suspending and
//! silencing accounts, and the audit log. Every handler asks the policy first; every action
//! is logged by the domain call, in its own transaction.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use stoa_accounts::Role;
use stoa_db::page::Cursor;
use stoa_db::{PostId, ThreadId, UserId};
use stoa_moderation::audit::{self, AuditAction, AuditFilter, AuditRow};
use stoa_moderation::flags::{self, FlagReason, OwnFlag};
use stoa_moderation::policy::{self, Action};
use stoa_moderation::review::{self, Decision, ReviewItem};
use stoa_moderation::standing::{self, Account, Restriction, Standing, Term};
use stoa_moderation::thread_actions::{self, ThreadAction};
use stoa_moderation::trust;
use stoa_moderation::{Error as ModerationError, Reason};
use stoa_threads::{deletion, views};

use crate::layout::{Layout, human_time, render, see_other};
use crate::session::{Checked, SignedIn};
use crate::{AppError, AppState};

/// Review items a moderator claims per visit to the queue.
const REVIEW_BATCH: i64 = 10;
/// Audit log lines per page.
const AUDIT_PAGE: usize = 50;
/// A member's flags listed on their flags page.
const OWN_FLAGS_SHOWN: i64 = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/posts/{id}/flag", web::get().to(flag_form))
        .route("/posts/{id}/flag", web::post().to(flag))
        .route("/account/flags", web::get().to(own_flags))
        .route("/q/{id}/moderate", web::post().to(moderate_thread))
        .route("/review", web::get().to(queue))
        .route("/review/{item}", web::post().to(decide))
        .route("/admin/users/{id}", web::get().to(account_page))
        .route("/admin/users/{id}", web::post().to(act_on_account))
        .route("/admin/audit", web::get().to(audit_log))
        .route("/admin/team", web::get().to(team_page))
        .route("/admin/team", web::post().to(appoint));
}

/// A moderation form: its CSRF token and whichever of the other fields it has.
#[derive(Debug, Default, Deserialize)]
pub struct ModerationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    term: String,
    /// An account's username (appointing) and the role or trust level it gets.
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    level: String,
    /// `yes` once the spammer deletion is confirmed.
    #[serde(default)]
    confirm: String,
}

crate::session::csrf_protected!(ModerationForm);

// ----- flags -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "moderation/flag.html")]
struct FlagPage {
    layout: Layout,
    post: PostId,
    thread_url: String,
    reasons: Vec<(&'static str, &'static str)>,
    chosen: String,
    note: String,
    error: Option<String>,
}

/// Whether `user` may flag `post`, and where the post's thread is.
async fn may_flag(state: &AppState, user: &SignedIn, post: PostId) -> Result<String, AppError> {
    let (facts, (thread, slug)) = state
        .db
        .run(move |conn| {
            let facts = deletion::facts(conn, post)?;
            Ok::<_, stoa_threads::Error>((facts, views::post_location(conn, post)?))
        })
        .await?;
    if facts.hidden() {
        return Err(AppError::NotFound);
    }
    let own = facts.author == user.user.id;
    policy::decide(user.viewer.actor(), Action::Flag { own })?;
    Ok(format!("/q/{thread}/{slug}#post-{post}"))
}

async fn show_flag_form(
    state: &AppState,
    user: &SignedIn,
    post: PostId,
    thread_url: String,
    form: ModerationForm,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = FlagPage {
        layout: Layout::new(state, &user.viewer, "Flag a post"),
        post,
        thread_url,
        reasons: FlagReason::ALL
            .into_iter()
            .map(|r| (r.as_str(), r.label()))
            .collect(),
        chosen: form.reason,
        note: form.note,
        error,
    };
    render(&page, status, &page.layout, None)
}

async fn flag_form(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let post = PostId(path.into_inner());
    let thread_url = may_flag(&state, &user, post).await?;
    show_flag_form(
        &state,
        &user,
        post,
        thread_url,
        ModerationForm::default(),
        None,
    )
    .await
}

async fn flag(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    form: Checked<ModerationForm>,
) -> Result<HttpResponse, AppError> {
    let post = PostId(path.into_inner());
    let thread_url = may_flag(&state, &user, post).await?;
    let form = form.0;
    let Some(reason) = FlagReason::parse(&form.reason) else {
        let error = Some("Choose what is wrong with the post.".to_owned());
        return show_flag_form(&state, &user, post, thread_url, form, error).await;
    };
    let (by, note, hide_at) = (
        user.user.id,
        form.note.clone(),
        state.settings.flags_to_hide,
    );
    let flagged = state
        .db
        .write(move |conn| flags::flag(conn, by, post, reason, &note, hide_at))
        .await;
    match flagged {
        Ok(_) | Err(ModerationError::AlreadyFlagged) => {
            Ok(see_other("/account/flags?done=flagged"))
        }
        Err(ModerationError::Invalid(why)) => {
            show_flag_form(&state, &user, post, thread_url, form, Some(why)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A member's flag as their flags page lists it.
struct OwnFlagLine {
    thread_url: String,
    thread_title: String,
    reason: &'static str,
    time_shown: String,
    outcome: &'static str,
}

impl From<OwnFlag> for OwnFlagLine {
    fn from(f: OwnFlag) -> Self {
        OwnFlagLine {
            thread_url: format!("/q/{}/{}#post-{}", f.thread_id, f.thread_slug, f.post_id),
            thread_title: f.thread_title,
            reason: FlagReason::parse(&f.reason).map_or("Other", FlagReason::label),
            time_shown: human_time(f.created_at).0,
            outcome: match f.outcome.as_deref() {
                Some("upheld") => "Upheld: a moderator agreed and acted on it",
                Some("dismissed") => "Dismissed: a moderator found nothing to act on",
                _ => "Waiting for a moderator",
            },
        }
    }
}

#[derive(Template)]
#[template(path = "moderation/own_flags.html")]
struct OwnFlagsPage {
    layout: Layout,
    flags: Vec<OwnFlagLine>,
    just_flagged: bool,
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn own_flags(
    state: web::Data<AppState>,
    user: SignedIn,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let me = user.user.id;
    let flags = state
        .db
        .run(move |conn| flags::of_user(conn, me, OWN_FLAGS_SHOWN).map_err(AppError::from))
        .await?;
    let page = OwnFlagsPage {
        layout: Layout::new(&state, &user.viewer, "Your flags"),
        flags: flags.into_iter().map(OwnFlagLine::from).collect(),
        just_flagged: query.done.as_deref() == Some("flagged"),
    };
    render(&page, StatusCode::OK, &page.layout, None)
}

// ----- thread actions ----------------------------------------------------------------------

async fn moderate_thread(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    form: Checked<ModerationForm>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::ModerateThread)?;
    let thread = ThreadId(path.into_inner());
    let form = form.0;
    let by = user.user.id;
    let applied = match ThreadAction::parse(&form.action, &form.reason, &form.category) {
        Ok(action) => {
            state
                .db
                .write(move |conn| thread_actions::apply(conn, by, thread, &action))
                .await
        }
        Err(e) => Err(e),
    };
    match applied {
        Ok(_) => {
            let slug = state
                .db
                .run(move |conn| views::slug(conn, thread).map_err(AppError::from))
                .await?;
            Ok(see_other(&format!("/q/{thread}/{slug}")))
        }
        Err(ModerationError::Invalid(why)) => {
            crate::threads::show_with_moderation_error(&state, &user.viewer, thread, why).await
        }
        Err(e) => Err(e.into()),
    }
}

// ----- the review queue --------------------------------------------------------------------

/// An item as the queue shows it.
struct QueueItem {
    item: ReviewItem,
    /// Why it is in the queue.
    kind_label: &'static str,
    post_url: String,
    time_shown: String,
    joined: String,
    author_url: String,
    moderate_url: String,
    flags: Vec<(&'static str, String, String)>,
}

impl From<ReviewItem> for QueueItem {
    fn from(item: ReviewItem) -> Self {
        QueueItem {
            kind_label: match item.kind.as_str() {
                "first_post" => "A new member's first post, held until approved",
                _ => "Flagged",
            },
            post_url: format!("/q/{}/{}#post-{}", item.thread, item.thread_slug, item.post),
            time_shown: human_time(item.created_at).0,
            joined: human_time(item.author.joined).0,
            author_url: format!("/u/{}/{}", item.author.id, item.author.username),
            moderate_url: format!("/admin/users/{}", item.author.id),
            flags: item
                .flags
                .iter()
                .map(|f| {
                    let reason = FlagReason::parse(&f.reason).map_or("Other", FlagReason::label);
                    (reason, f.note.clone(), f.flagger.clone())
                })
                .collect(),
            item,
        }
    }
}

#[derive(Template)]
#[template(path = "moderation/review.html")]
struct QueuePage {
    layout: Layout,
    items: Vec<QueueItem>,
    /// New accounts waiting for approval: `(account page, username, joined)`.
    accounts: Vec<(String, String, String)>,
    /// Items waiting beyond those shown (not held by another moderator).
    more: i64,
    error: Option<String>,
}

async fn show_queue(
    state: &AppState,
    user: &SignedIn,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let me = user.user.id;
    let (items, waiting, accounts) = state
        .db
        .write(move |conn| {
            let items = review::claim(conn, me, REVIEW_BATCH)?;
            let waiting = review::waiting(conn, me)?;
            let accounts = standing::awaiting_approval(conn, REVIEW_BATCH)?;
            Ok::<_, ModerationError>((items, waiting, accounts))
        })
        .await?;
    let shown = i64::try_from(items.len()).unwrap_or_default();
    let page = QueuePage {
        layout: Layout::new(state, &user.viewer, "Review queue"),
        more: (waiting - shown).max(0),
        items: items.into_iter().map(QueueItem::from).collect(),
        accounts: accounts
            .into_iter()
            .map(|(id, username, joined)| {
                (format!("/admin/users/{id}"), username, human_time(joined).0)
            })
            .collect(),
        error,
    };
    render(&page, status, &page.layout, None)
}

async fn queue(state: web::Data<AppState>, user: SignedIn) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::Review)?;
    show_queue(&state, &user, StatusCode::OK, None).await
}

async fn decide(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    form: Checked<ModerationForm>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::Review)?;
    let item = path.into_inner();
    let form = form.0;
    let me = user.user.id;
    let decided = match Decision::parse(&form.action, &form.reason) {
        Ok(decision) => {
            state
                .db
                .write(move |conn| review::decide(conn, me, item, &decision))
                .await
        }
        Err(e) => Err(e),
    };
    match decided {
        Ok(_) => Ok(see_other("/review")),
        Err(e @ (ModerationError::Invalid(_) | ModerationError::AlreadyHandled)) => {
            let status = if matches!(e, ModerationError::AlreadyHandled) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            show_queue(&state, &user, status, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

// ----- accounts ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "moderation/account.html")]
struct AccountPage {
    layout: Layout,
    account: Account,
    profile_url: String,
    suspended: Option<(String, String)>,
    silenced: Option<(String, String)>,
    terms: [(&'static str, &'static str); 6],
    error: Option<String>,
    /// The spammer deletion's confirmation step: the posts it will delete, the reason given.
    confirm_spammer: Option<(i64, String)>,
    /// The owner sees the role form.
    can_change_role: bool,
    roles: [(&'static str, &'static str); 3],
}

/// The roles the owner appoints: `(stored value, label)`.
const APPOINTABLE: [(&str, &str); 3] = [
    ("member", "Member"),
    ("staff", "Staff (answers as the company)"),
    ("moderator", "Moderator"),
];

/// When a suspension or silence ends, as the page says it, and why it was given.
fn term_shown(standing: Option<&(time::PrimitiveDateTime, String)>) -> Option<(String, String)> {
    standing.map(|(until, why)| {
        let shown = if Standing::is_indefinite(*until) {
            "until lifted".to_owned()
        } else {
            format!("until {}", human_time(*until).0)
        };
        (shown, why.clone())
    })
}

/// The account `id`, if `user` may act on it.
async fn manageable(state: &AppState, user: &SignedIn, id: UserId) -> Result<Account, AppError> {
    let account = state
        .db
        .run(move |conn| standing::account(conn, id).map_err(AppError::from))
        .await?;
    policy::decide(
        user.viewer.actor(),
        Action::ManageUser {
            target: account.role,
        },
    )?;
    Ok(account)
}

async fn show_account(
    state: &AppState,
    user: &SignedIn,
    account: Account,
    error: Option<String>,
    confirm_spammer: Option<String>,
) -> Result<HttpResponse, AppError> {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let confirm_spammer = match confirm_spammer {
        Some(reason) => {
            let id = account.id;
            let live = state
                .db
                .run(move |conn| standing::live_posts(conn, id).map_err(AppError::from))
                .await?;
            Some((live, reason))
        }
        None => None,
    };
    let can_change_role = may_appoint(user, account.role);
    let page = AccountPage {
        layout: Layout::new(
            state,
            &user.viewer,
            format!("Moderate @{}", account.username),
        ),
        profile_url: format!("/u/{}/{}", account.id, account.username),
        suspended: term_shown(account.standing.suspended.as_ref()),
        silenced: term_shown(account.standing.silenced.as_ref()),
        terms: Term::CHOICES,
        account,
        error,
        confirm_spammer,
        can_change_role,
        roles: APPOINTABLE,
    };
    render(&page, status, &page.layout, None)
}

async fn account_page(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let account = manageable(&state, &user, UserId(path.into_inner())).await?;
    show_account(&state, &user, account, None, None).await
}

/// What the account form asks for.
enum AccountAction {
    Restrict(Restriction, Term, Reason),
    Lift(Restriction),
    /// Confirmed on the second step only.
    DeleteSpammer(Reason),
    SetTrust(u8, Reason),
    SetRole(Role),
    Approve,
}

impl AccountAction {
    fn parse(form: &ModerationForm) -> Result<AccountAction, ModerationError> {
        Ok(match form.action.as_str() {
            "suspend" => AccountAction::Restrict(
                Restriction::Suspension,
                Term::parse(&form.term)?,
                Reason::parse(&form.reason)?,
            ),
            "silence" => AccountAction::Restrict(
                Restriction::Silence,
                Term::parse(&form.term)?,
                Reason::parse(&form.reason)?,
            ),
            "lift_suspension" => AccountAction::Lift(Restriction::Suspension),
            "lift_silence" => AccountAction::Lift(Restriction::Silence),
            "delete_spammer" => AccountAction::DeleteSpammer(Reason::parse(&form.reason)?),
            "set_role" => AccountAction::SetRole(appointable(&form.role)?),
            "approve" => AccountAction::Approve,
            "set_trust" => AccountAction::SetTrust(
                form.level
                    .parse()
                    .ok()
                    .filter(|l| *l <= trust::MAX_LEVEL)
                    .ok_or_else(|| {
                        ModerationError::Invalid("Choose a level from 0 to 3.".into())
                    })?,
                Reason::parse(&form.reason)?,
            ),
            _ => return Err(ModerationError::Invalid("Choose what to do.".into())),
        })
    }
}

async fn act_on_account(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    form: Checked<ModerationForm>,
) -> Result<HttpResponse, AppError> {
    let id = UserId(path.into_inner());
    let account = manageable(&state, &user, id).await?;
    let by = user.user.id;
    let form = form.0;
    let done = match AccountAction::parse(&form) {
        Ok(AccountAction::SetRole(_))
            if let Err(denied) = policy::decide(
                user.viewer.actor(),
                Action::ChangeRole {
                    target: account.role,
                },
            ) =>
        {
            return Err(denied.into());
        }
        Ok(AccountAction::DeleteSpammer(reason)) if form.confirm != "yes" => {
            let reason = reason.as_str().to_owned();
            return show_account(&state, &user, account, None, Some(reason)).await;
        }
        Ok(action) => {
            state
                .db
                .write(move |conn| match &action {
                    AccountAction::Restrict(restriction, term, reason) => {
                        standing::restrict(conn, by, id, *restriction, *term, reason)
                    }
                    AccountAction::Lift(restriction) => {
                        standing::lift(conn, by, id, *restriction).map(drop)
                    }
                    AccountAction::DeleteSpammer(reason) => {
                        standing::delete_as_spammer(conn, by, id, reason).map(drop)
                    }
                    AccountAction::SetTrust(level, reason) => {
                        trust::set_level(conn, by, id, *level, reason)
                    }
                    AccountAction::SetRole(role) => {
                        standing::set_role(conn, by, id, *role).map(drop)
                    }
                    AccountAction::Approve => standing::approve_account(conn, by, id).map(drop),
                })
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => Ok(see_other(&format!("/admin/users/{id}"))),
        Err(ModerationError::Invalid(why)) => {
            show_account(&state, &user, account, Some(why), None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Reads an appointable role from a form.
fn appointable(value: &str) -> Result<Role, ModerationError> {
    APPOINTABLE
        .iter()
        .find(|(stored, _)| *stored == value)
        .map(|(stored, _)| Role::from_stored(stored))
        .ok_or_else(|| ModerationError::Invalid("Choose member, staff or moderator.".into()))
}

fn may_appoint(user: &SignedIn, target: Role) -> bool {
    policy::decide(user.viewer.actor(), Action::ChangeRole { target }).is_ok()
}

// ----- the team ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "moderation/team.html")]
struct TeamPage {
    layout: Layout,
    /// `(account page, username, display name, role)`.
    team: Vec<(String, String, String, &'static str)>,
    roles: [(&'static str, &'static str); 3],
    username: String,
    error: Option<String>,
}

async fn show_team(
    state: &AppState,
    user: &SignedIn,
    username: String,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let team = state
        .db
        .run(|conn| standing::team(conn).map_err(AppError::from))
        .await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = TeamPage {
        layout: Layout::new(state, &user.viewer, "Team"),
        team: team
            .into_iter()
            .map(|(id, username, name, role)| {
                (format!("/admin/users/{id}"), username, name, role.as_str())
            })
            .collect(),
        roles: APPOINTABLE,
        username,
        error,
    };
    render(&page, status, &page.layout, None)
}

async fn team_page(state: web::Data<AppState>, user: SignedIn) -> Result<HttpResponse, AppError> {
    policy::decide(
        user.viewer.actor(),
        Action::ChangeRole {
            target: Role::Member,
        },
    )?;
    show_team(&state, &user, String::new(), None).await
}

/// Appoints the account the form names to the role it chooses.
async fn appoint(
    state: web::Data<AppState>,
    user: SignedIn,
    form: Checked<ModerationForm>,
) -> Result<HttpResponse, AppError> {
    policy::decide(
        user.viewer.actor(),
        Action::ChangeRole {
            target: Role::Member,
        },
    )?;
    let form = form.0;
    let username = form.username.trim().trim_start_matches('@').to_owned();
    let role = match appointable(&form.role) {
        Ok(role) => role,
        Err(e) => return show_team(&state, &user, username, Some(e.to_string())).await,
    };
    let lookup = username.clone();
    let found = state
        .db
        .run(move |conn| {
            stoa_accounts::users::find_by_username(conn, &lookup).map_err(AppError::from)
        })
        .await?;
    let Some(account) = found else {
        let error = Some(format!("Nobody is called @{username}."));
        return show_team(&state, &user, username, error).await;
    };
    if !may_appoint(&user, account.role.0) {
        let error = Some("The owner's role does not change.".to_owned());
        return show_team(&state, &user, username, error).await;
    }
    let by = user.user.id;
    state
        .db
        .write(move |conn| standing::set_role(conn, by, account.id, role))
        .await?;
    Ok(see_other("/admin/team"))
}

// ----- the audit log -----------------------------------------------------------------------

/// A line of the log as the page shows it.
struct AuditLine {
    time_shown: String,
    time_iso: String,
    actor: String,
    actor_url: String,
    action: &'static str,
    target: String,
    target_url: Option<String>,
    reason: String,
}

impl From<AuditRow> for AuditLine {
    fn from(r: AuditRow) -> Self {
        let (time_shown, time_iso) = human_time(r.created_at);
        let target_url = match (r.target_kind.as_str(), r.target_id) {
            ("thread", Some(id)) => Some(format!("/q/{id}")),
            ("user", Some(id)) => Some(format!("/u/{id}")),
            _ => None,
        };
        AuditLine {
            time_shown,
            time_iso,
            actor_url: format!("/u/{}/{}", r.actor_id, r.actor_username),
            actor: r.actor_username,
            action: AuditAction::parse(&r.action).map_or("Unknown action", AuditAction::label),
            target: if r.target_label.is_empty() {
                format!("{} {}", r.target_kind, r.target_id.unwrap_or_default())
            } else {
                r.target_label
            },
            target_url,
            reason: r.reason,
        }
    }
}

#[derive(Template)]
#[template(path = "moderation/audit.html")]
struct AuditPage {
    layout: Layout,
    lines: Vec<AuditLine>,
    actions: Vec<(&'static str, &'static str)>,
    action: String,
    actor: String,
    next: Option<String>,
    notice: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    /// A moderator's username.
    #[serde(default)]
    actor: String,
    after: Option<String>,
}

async fn audit_log(
    state: web::Data<AppState>,
    user: SignedIn,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::ReadAuditLog)?;
    let query = query.into_inner();
    let action = AuditAction::parse(&query.action);
    let cursor = query.after.as_deref().and_then(Cursor::parse);
    let actor_name = query.actor.trim().trim_start_matches('@').to_owned();
    let lookup = actor_name.clone();
    let (page, unknown_actor) = state
        .db
        .run(move |conn| {
            let actor = if lookup.is_empty() {
                None
            } else {
                match stoa_accounts::users::find_by_username(conn, &lookup)? {
                    Some(u) => Some(u.id),
                    None => return Ok((None, true)),
                }
            };
            let filter = AuditFilter { action, actor };
            Ok::<_, AppError>((Some(audit::list(conn, filter, cursor, AUDIT_PAGE)?), false))
        })
        .await?;
    let next = page.as_ref().and_then(|p| p.next).map(|c| {
        format!(
            "/admin/audit?action={}&actor={}&after={}",
            crate::urlencode(&query.action),
            crate::urlencode(&actor_name),
            c.encode()
        )
    });
    let page = AuditPage {
        layout: Layout::new(&state, &user.viewer, "Audit log"),
        lines: page
            .map(|p| p.items.into_iter().map(AuditLine::from).collect())
            .unwrap_or_default(),
        actions: AuditAction::ALL
            .into_iter()
            .map(|a| (a.as_str(), a.label()))
            .collect(),
        action: action
            .map(AuditAction::as_str)
            .unwrap_or_default()
            .to_owned(),
        actor: actor_name.clone(),
        next,
        notice: unknown_actor.then(|| format!("Nobody is called @{actor_name}.")),
    };
    render(&page, StatusCode::OK, &page.layout, None)
}

/// Whether `viewer` may suspend or silence an account with `role` (the profile page links
/// its moderation page then).
pub fn may_manage(viewer: &crate::session::Viewer, role: Role) -> bool {
    policy::decide(viewer.actor(), Action::ManageUser { target: role }).is_ok()
}
