//! The staff queue (`/staff/queue`): threads waiting for the team, the longest waiting first,
//! with their waiting time in business hours; assigning and setting them aside. And the
//! owner's business hours (`/admin/business-hours`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use stoa_db::page::Cursor;
use stoa_db::time::now;
use stoa_db::{CategoryId, ThreadId, UserId};
use stoa_moderation::policy::{self, Action};
use stoa_staff::hours::{self, BusinessHours, HoursInput};
use stoa_staff::queue::{self, QueueFilter, QueueRow, QueueState};
use stoa_threads::categories::{self, Category};
use stoa_threads::tags;

use crate::accounts::safe_next;
use crate::layout::{Layout, render, see_other};
use crate::session::{Checked, SignedIn};
use crate::{AppError, AppState};

/// Threads a queue page lists.
const PER_PAGE: i64 = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff/queue", web::get().to(show))
        .route("/staff/queue/{id}", web::post().to(act))
        .route("/admin/business-hours", web::get().to(hours_page))
        .route("/admin/business-hours", web::post().to(save_hours));
}

/// A waited time in business hours, as people say it.
fn waited_text(waited: time::Duration) -> String {
    let minutes = waited.whole_minutes();
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

struct QueueCard {
    id: ThreadId,
    url: String,
    title: String,
    category: String,
    asker: String,
    waited: String,
    overdue: bool,
    assigned: Option<UserId>,
}

#[derive(Template)]
#[template(path = "staff/queue.html")]
struct QueuePage {
    layout: Layout,
    cards: Vec<QueueCard>,
    state: QueueState,
    states: Vec<(&'static str, String, bool)>,
    categories: Vec<Category>,
    category: Option<CategoryId>,
    tag: String,
    team: Vec<(UserId, String)>,
    hours: BusinessHours,
    here: String,
    next_page: Option<String>,
}

impl QueuePage {
    fn is_category(&self, id: &CategoryId) -> bool {
        self.category == Some(*id)
    }

    fn is_assigned(card: &QueueCard, member: &UserId) -> bool {
        card.assigned == Some(*member)
    }

    fn assignee(&self, id: &Option<UserId>) -> &str {
        id.and_then(|id| self.team.iter().find(|(m, _)| *m == id))
            .map_or("nobody", |(_, name)| name.as_str())
    }
}

#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    state: Option<String>,
    category: Option<i64>,
    tag: Option<String>,
    after: Option<String>,
}

/// The page's address with these filters (and no cursor).
fn queue_url(state: QueueState, category: Option<CategoryId>, tag: &str) -> String {
    let mut params = vec![format!("state={}", state.as_str())];
    if let Some(c) = category {
        params.push(format!("category={c}"));
    }
    if !tag.is_empty() {
        params.push(format!("tag={}", crate::urlencode(tag)));
    }
    format!("/staff/queue?{}", params.join("&"))
}

async fn show(
    state: web::Data<AppState>,
    user: SignedIn,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::StaffQueue)?;
    let queue_state = query
        .state
        .as_deref()
        .and_then(QueueState::parse)
        .unwrap_or_default();
    let category = query.category.map(CategoryId);
    let tag_name = query.tag.clone().unwrap_or_default().trim().to_lowercase();
    let after = query
        .after
        .as_deref()
        .and_then(Cursor::parse)
        .map(|c| (c.at, ThreadId(c.id)));
    let lookup = tag_name.clone();
    let (rows, categories, team, hours) = state
        .db
        .run(move |conn| {
            let tag = if lookup.is_empty() {
                None
            } else {
                // An unknown tag lists nothing rather than everything.
                Some(tags::find(conn, &lookup)?.map_or(stoa_db::TagId(0), |t| t.id))
            };
            let filter = QueueFilter {
                state: queue_state,
                category,
                tag,
                assigned: None,
            };
            let rows = queue::waiting(conn, filter, after, PER_PAGE)?;
            let categories = categories::list(conn)?;
            let team = queue::team(conn)?;
            let hours = hours::load(conn)?;
            Ok::<_, AppError>((rows, categories, team, hours))
        })
        .await?;
    let at = now();
    let here = queue_url(queue_state, category, &tag_name);
    let next_page = (rows.len() == usize::try_from(PER_PAGE).unwrap_or_default())
        .then(|| rows.last())
        .flatten()
        .map(|r: &QueueRow| {
            let cursor = Cursor {
                at: r.waiting_since,
                id: r.id.0,
            };
            format!("{here}&after={}", cursor.encode())
        });
    let target = time::Duration::hours(i64::from(hours.target_hours));
    let cards = rows
        .into_iter()
        .map(|r| {
            let waited = hours.between(r.waiting_since, at);
            QueueCard {
                id: r.id,
                url: format!("/q/{}/{}", r.id, r.slug),
                title: r.title,
                category: r.category,
                asker: r.asker,
                waited: waited_text(waited),
                overdue: queue_state == QueueState::Open && waited > target,
                assigned: r.assigned_to,
            }
        })
        .collect();
    let page = QueuePage {
        layout: Layout::new(&state, &user.viewer, "Staff queue"),
        cards,
        state: queue_state,
        states: QueueState::ALL
            .into_iter()
            .map(|s| {
                (
                    s.label(),
                    queue_url(s, category, &tag_name),
                    s == queue_state,
                )
            })
            .collect(),
        categories,
        category,
        tag: tag_name,
        team,
        hours,
        here,
        next_page,
    };
    render(&page, StatusCode::OK, &page.layout, None)
}

/// An action on one thread of the queue: `assign` (to `member`, empty for nobody) or `state`
/// (`to`); `back` is the queue page to return to.
#[derive(Debug, Deserialize)]
pub struct ActForm {
    #[serde(default)]
    csrf: String,
    action: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    back: String,
}

crate::session::csrf_protected!(ActForm);

/// What a queue form changes.
enum Change {
    Assign(Option<UserId>),
    State(QueueState),
}

async fn act(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    form: Checked<ActForm>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::StaffQueue)?;
    let thread = ThreadId(path.into_inner());
    let form = form.0;
    let by = user.user.id;
    let change = match form.action.as_str() {
        "assign" => match form.member.trim() {
            "" => Change::Assign(None),
            id => Change::Assign(Some(UserId(id.parse().map_err(|_| {
                AppError::BadRequest("Choose someone from the team.".into())
            })?))),
        },
        "state" => Change::State(
            QueueState::parse(&form.to)
                .ok_or_else(|| AppError::BadRequest("Choose where the thread goes.".into()))?,
        ),
        _ => return Err(AppError::BadRequest("Unknown action.".into())),
    };
    state
        .db
        .write(move |conn| {
            match change {
                Change::Assign(member) => queue::assign(conn, thread, member, by),
                Change::State(to) => queue::set_state(conn, thread, to),
            }
            .map_err(AppError::from)
        })
        .await?;
    let back = if form.back.is_empty() {
        "/staff/queue"
    } else {
        safe_next(&form.back)
    };
    Ok(see_other(back))
}

#[derive(Template)]
#[template(path = "admin/business_hours.html")]
struct HoursPage {
    layout: Layout,
    hours: HoursFields,
    error: Option<String>,
    saved: bool,
}

/// What the business hours form shows: the saved hours, or what the owner typed when it
/// was refused (so nothing typed is lost).
struct HoursFields {
    zone: String,
    days: [bool; 7],
    opens: String,
    closes: String,
    target_hours: String,
    alert_overdue: bool,
}

impl HoursFields {
    fn saved(hours: &BusinessHours) -> HoursFields {
        HoursFields {
            zone: hours.zone_name.clone(),
            days: hours.days,
            opens: hours.opens_text(),
            closes: hours.closes_text(),
            target_hours: hours.target_hours.to_string(),
            alert_overdue: hours.alert_overdue,
        }
    }

    fn typed(input: &HoursInput<'_>) -> HoursFields {
        let mut days = [false; 7];
        for &d in input.days {
            if let Some(day) = usize::from(d).checked_sub(1).and_then(|i| days.get_mut(i)) {
                *day = true;
            }
        }
        HoursFields {
            zone: input.zone.to_owned(),
            days,
            opens: input.opens.to_owned(),
            closes: input.closes.to_owned(),
            target_hours: input.target_hours.to_owned(),
            alert_overdue: input.alert_overdue,
        }
    }

    /// `(ISO number, name, chosen)` for each day of the week.
    fn day_names(&self) -> Vec<(u8, &'static str, bool)> {
        (1..=7u8)
            .zip(hours::DAY_NAMES)
            .zip(self.days)
            .map(|((n, name), on)| (n, name, on))
            .collect()
    }
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

async fn hours_page(
    state: web::Data<AppState>,
    user: SignedIn,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::ManageCommunity)?;
    let hours = state
        .db
        .run(|conn| Ok::<_, AppError>(hours::load(conn)?))
        .await?;
    let page = HoursPage {
        layout: Layout::new(&state, &user.viewer, "Business hours"),
        hours: HoursFields::saved(&hours),
        error: None,
        saved: query.saved.is_some(),
    };
    render(&page, StatusCode::OK, &page.layout, None)
}

/// The business hours form. Days come as repeated `day` fields, which a map cannot hold, so
/// the body is read as pairs.
async fn save_hours(
    state: web::Data<AppState>,
    user: SignedIn,
    form: Checked<HoursForm>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::ManageCommunity)?;
    let form = form.0;
    let value = |name: &str| {
        form.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let days: Vec<u8> = form
        .fields
        .iter()
        .filter(|(k, _)| k == "day")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let input = HoursInput {
        zone: value("zone"),
        days: &days,
        opens: value("opens"),
        closes: value("closes"),
        target_hours: value("target_hours"),
        alert_overdue: value("alert_overdue") == "1",
    };
    match BusinessHours::parse(&input) {
        Ok(hours) => {
            state
                .db
                .write(move |conn| Ok::<_, AppError>(hours::save(conn, &hours)?))
                .await?;
            Ok(see_other("/admin/business-hours?saved=1"))
        }
        Err(e) => {
            let page = HoursPage {
                layout: Layout::new(&state, &user.viewer, "Business hours"),
                hours: HoursFields::typed(&input),
                error: Some(e.to_string()),
                saved: false,
            };
            render(&page, StatusCode::UNPROCESSABLE_ENTITY, &page.layout, None)
        }
    }
}

/// Every field of the business hours form, in order.
#[derive(Debug)]
pub struct HoursForm {
    csrf: String,
    fields: Vec<(String, String)>,
}

impl<'de> Deserialize<'de> for HoursForm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let fields = Vec::<(String, String)>::deserialize(d)?;
        let csrf = fields
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        Ok(HoursForm { csrf, fields })
    }
}

crate::session::csrf_protected!(HoursForm);
