//! `/insights` for the team: the last twelve weeks of questions, answers and response times
//! (business hours), drawn as SVG here (no chart service, no script), with the figures in a
//! table and as CSV (`/insights.csv`).

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_DISPOSITION;
use actix_web::{HttpResponse, web};
use askama::Template;
use stoa_db::time::now;
use stoa_moderation::policy::{self, Action};
use stoa_staff::hours::{self, BusinessHours};
use stoa_staff::insights::{self, Spread, Week};
use time::Duration;

use crate::layout::{Layout, human_time, render};
use crate::session::SignedIn;
use crate::{AppError, AppState};

/// The days the typical reply time is worked out from.
const TYPICAL_OVER: Duration = Duration::days(30);
/// Fewer team answers than this in those days say too little to promise anything.
const TYPICAL_NEEDS: usize = 5;
/// How long a node keeps the typical reply time before working it out again.
const TYPICAL_KEPT: std::time::Duration = std::time::Duration::from_secs(600);

/// "about N hours": how long the team usually takes to answer a question (the median of its
/// first answers over the last 30 days, in business hours, rounded up), or `None` when there
/// are too few answers to say. Kept for ten minutes per node.
pub async fn typical_reply(state: &AppState) -> Result<Option<String>, AppError> {
    if let Ok(kept) = state.typical_reply.read()
        && let Some((at, text)) = kept.as_ref()
        && at.elapsed() < TYPICAL_KEPT
    {
        return Ok(text.clone());
    }
    let since = now() - TYPICAL_OVER;
    let (rows, hours) = state
        .db
        .run(move |conn| {
            Ok::<_, AppError>((insights::threads_since(conn, since)?, hours::load(conn)?))
        })
        .await?;
    let text = insights::typical_team_answer(&rows, &hours, TYPICAL_NEEDS).map(|d| {
        let hours = (d.whole_minutes() + 59) / 60;
        match hours.max(1) {
            1 => "about an hour".to_owned(),
            n => format!("about {n} hours"),
        }
    });
    if let Ok(mut kept) = state.typical_reply.write() {
        *kept = Some((std::time::Instant::now(), text.clone()));
    }
    Ok(text)
}

/// Weeks shown.
const WEEKS: usize = 12;
/// A question unanswered this long is listed.
const UNANSWERED_AFTER: Duration = Duration::hours(48);

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/insights", web::get().to(show))
        .route("/insights.csv", web::get().to(csv));
}

/// Hours with one decimal, or a dash when there is nothing to measure.
fn hours_text(d: Option<Duration>) -> String {
    d.map_or_else(
        || "–".to_owned(),
        |d| format!("{:.1} h", d.as_seconds_f64() / 3600.0),
    )
}

fn hours_number(d: Option<Duration>) -> String {
    d.map_or_else(String::new, |d| {
        format!("{:.2}", d.as_seconds_f64() / 3600.0)
    })
}

fn share(part: usize, whole: usize) -> String {
    (part * 100)
        .checked_div(whole)
        .map_or_else(|| "–".to_owned(), |percent| format!("{percent} %"))
}

struct WeekRow {
    label: String,
    asked: usize,
    answered: usize,
    solved: usize,
    by_team: String,
    by_community: String,
    official: usize,
    first_answer: (String, String),
    first_team_answer: (String, String),
}

impl From<&Week> for WeekRow {
    fn from(w: &Week) -> WeekRow {
        let spread = |s: &Spread| (hours_text(s.median), hours_text(s.p90));
        WeekRow {
            label: w.starts.strftime("%b %-d").to_string(),
            asked: w.asked,
            answered: w.answered,
            solved: w.solved,
            by_team: share(w.answered_by_team, w.answered),
            by_community: share(w.answered_by_community, w.answered),
            official: w.with_official_answer,
            first_answer: spread(&w.first_answer),
            first_team_answer: spread(&w.first_team_answer),
        }
    }
}

/// A bar of a chart, placed in the chart's coordinates.
struct Bar {
    x: usize,
    y: usize,
    width: usize,
    height: usize,
    class: &'static str,
    title: String,
}

/// A bar chart with a label under each group of bars.
struct Chart {
    title: &'static str,
    /// Says in words what the chart shows, for screen readers.
    summary: String,
    bars: Vec<Bar>,
    labels: Vec<(usize, String)>,
    /// The largest value, written at the top of the axis.
    top: String,
}

const CHART_WIDTH: usize = 720;
const PLOT_HEIGHT: usize = 160;
const PLOT_TOP: usize = 20;

impl Chart {
    /// Bars for each week: one per series, `(class, value)`, scaled to the largest value.
    fn bars(
        title: &'static str,
        summary: String,
        weeks: &[WeekRow],
        series: &[Vec<(&'static str, f64, String)>],
        unit: &str,
    ) -> Chart {
        let max = series
            .iter()
            .flatten()
            .map(|(_, v, _)| *v)
            .fold(0.0_f64, f64::max)
            .max(1.0);
        let group = CHART_WIDTH / weeks.len().max(1);
        let per_bar = (group * 3 / 4) / series.first().map_or(1, Vec::len).max(1);
        let mut bars = Vec::new();
        for (week, values) in series.iter().enumerate() {
            for (i, (class, value, text)) in values.iter().enumerate() {
                // Values are counts or hours: small, non-negative, rounded to whole pixels.
                let height = ((value / max) * PLOT_HEIGHT as f64).round() as usize;
                bars.push(Bar {
                    x: week * group + group / 8 + i * per_bar,
                    y: PLOT_TOP + PLOT_HEIGHT - height,
                    width: per_bar.saturating_sub(2).max(1),
                    height,
                    class,
                    title: format!("{}: {text}", weeks[week].label),
                });
            }
        }
        Chart {
            title,
            summary,
            bars,
            labels: weeks
                .iter()
                .enumerate()
                .map(|(i, w)| (i * group + group / 2, w.label.clone()))
                .collect(),
            top: format!("{max:.0}{unit}"),
        }
    }
}

#[derive(Template)]
#[template(path = "insights.html")]
struct InsightsPage {
    layout: Layout,
    weeks: Vec<WeekRow>,
    charts: Vec<Chart>,
    top_tags: Vec<(String, i64)>,
    unanswered: Vec<(String, String, String)>,
    hours: BusinessHours,
    chart_width: usize,
    chart_height: usize,
}

/// Everything the page and the CSV come from.
async fn figures(
    state: &AppState,
) -> Result<
    (
        Vec<Week>,
        Vec<(String, i64)>,
        Vec<(String, String, String)>,
        BusinessHours,
    ),
    AppError,
> {
    let at = now();
    let since = at - Duration::weeks(i64::try_from(WEEKS).unwrap_or(12) + 1);
    let (rows, top_tags, unanswered, hours) = state
        .db
        .run(move |conn| {
            let rows = insights::threads_since(conn, since)?;
            let top_tags = insights::top_tags(conn, since, 10)?;
            let unanswered = insights::unanswered_before(conn, at - UNANSWERED_AFTER, 20)?;
            let hours = hours::load(conn)?;
            Ok::<_, AppError>((rows, top_tags, unanswered, hours))
        })
        .await?;
    let weeks = insights::weekly(&rows, &hours, at, WEEKS);
    let unanswered = unanswered
        .into_iter()
        .map(|(id, title, slug, asked)| (format!("/q/{id}/{slug}"), title, human_time(asked).0))
        .collect();
    Ok((weeks, top_tags, unanswered, hours))
}

async fn show(state: web::Data<AppState>, user: SignedIn) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::StaffQueue)?;
    let (weeks, top_tags, unanswered, hours) = figures(&state).await?;
    let rows: Vec<WeekRow> = weeks.iter().map(WeekRow::from).collect();
    let as_hours = |d: Option<Duration>| d.map_or(0.0, |d| d.as_seconds_f64() / 3600.0);
    let asked_total: usize = weeks.iter().map(|w| w.asked).sum();
    let answered_total: usize = weeks.iter().map(|w| w.answered).sum();
    let questions = Chart::bars(
        "Questions asked and answered per week",
        format!(
            "{asked_total} questions asked in {WEEKS} weeks, {answered_total} of them answered."
        ),
        &rows,
        &weeks
            .iter()
            .map(|w| {
                vec![
                    ("bar-asked", w.asked as f64, format!("{} asked", w.asked)),
                    (
                        "bar-answered",
                        w.answered as f64,
                        format!("{} answered", w.answered),
                    ),
                ]
            })
            .collect::<Vec<_>>(),
        "",
    );
    let replies = Chart::bars(
        "Median time to the team's first answer per week (business hours)",
        match weeks.last() {
            Some(w) => format!(
                "This week the team's first answer came after {} in the median.",
                hours_text(w.first_team_answer.median)
            ),
            None => String::new(),
        },
        &rows,
        &weeks
            .iter()
            .map(|w| {
                vec![(
                    "bar-team",
                    as_hours(w.first_team_answer.median),
                    hours_text(w.first_team_answer.median),
                )]
            })
            .collect::<Vec<_>>(),
        " h",
    );
    let page = InsightsPage {
        layout: Layout::new(&state, &user.viewer, "Insights"),
        weeks: rows,
        charts: vec![questions, replies],
        top_tags,
        unanswered,
        hours,
        chart_width: CHART_WIDTH,
        chart_height: PLOT_TOP + PLOT_HEIGHT + 24,
    };
    render(&page, StatusCode::OK, &page.layout, None)
}

async fn csv(state: web::Data<AppState>, user: SignedIn) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::StaffQueue)?;
    let (weeks, ..) = figures(&state).await?;
    let mut out = String::from(
        "week_start,asked,answered,solved,answered_by_team,answered_by_community_only,\
         with_official_answer,first_answer_median_hours,first_answer_p90_hours,\
         first_team_answer_median_hours,first_team_answer_p90_hours\n",
    );
    for w in &weeks {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            w.starts,
            w.asked,
            w.answered,
            w.solved,
            w.answered_by_team,
            w.answered_by_community,
            w.with_official_answer,
            hours_number(w.first_answer.median),
            hours_number(w.first_answer.p90),
            hours_number(w.first_team_answer.median),
            hours_number(w.first_team_answer.p90),
        ));
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Content-Type", "text/csv; charset=utf-8"))
        .insert_header((CONTENT_DISPOSITION, "attachment; filename=\"insights.csv\""))
        .insert_header(("Cache-Control", "private, no-store"))
        .body(out))
}
