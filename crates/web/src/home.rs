//! The home page: the latest questions, newest first, a page at a time.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use stoa_db::ThreadId;
use stoa_db::page::Cursor;
use stoa_moderation::policy::{self, Action};
use stoa_notify::watching::Target;
use stoa_threads::categories;
use stoa_threads::tags::{self, TagView};
use stoa_threads::views::{self, ListFilter, ListKind, ThreadSummary};

use crate::layout::{Layout, human_time, see_other};
use crate::member_pages::{self, Member, SharedPage, Slot};
use crate::session::Viewer;
use crate::session::{Checked, SignedIn};
use crate::{AppError, AppState};

/// Questions per page.
pub const PAGE_SIZE: usize = 30;
/// Pinned questions shown above a category's first page.
const PINNED_SHOWN: i64 = 5;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/tags/{name}", web::get().to(tag_page))
        .route("/tags/{name}", web::post().to(describe_tag));
}

/// A row of a question list, ready to show.
#[derive(Debug)]
pub struct QuestionRow {
    pub url: String,
    pub title: String,
    pub score: i32,
    pub answer_count: i32,
    pub solved: bool,
    pub closed: bool,
    pub category: String,
    pub tags: Vec<String>,
    pub author: String,
    pub author_username: String,
    pub author_url: String,
    pub time_shown: String,
    pub time_iso: String,
    /// In search results: the title with the matched words marked (escaped HTML).
    pub title_html: Option<String>,
    /// In search results: the lines around the matched words (escaped HTML).
    pub snippet_html: Option<String>,
}

impl QuestionRow {
    /// The row of `t`, showing `tags`.
    pub fn new(t: ThreadSummary, tags: Vec<String>) -> Self {
        let (time_shown, time_iso) = human_time(t.created_at);
        QuestionRow {
            url: format!("/q/{}/{}", t.id, t.slug),
            tags,
            title: t.title,
            score: t.score,
            answer_count: t.answer_count,
            solved: t.solved,
            closed: t.closed,
            category: t.category_name,
            author_url: format!("/u/{}/{}", t.author.id, t.author.username),
            author: t.author.display_name,
            author_username: t.author.username,
            time_shown,
            time_iso,
            title_html: None,
            snippet_html: None,
        }
    }
}

/// The rows of `threads`, each with its tags from `tags`.
fn rows(threads: &[ThreadSummary], tags: &HashMap<ThreadId, Vec<String>>) -> Vec<QuestionRow> {
    threads
        .iter()
        .map(|t| QuestionRow::new(t.clone(), tags.get(&t.id).cloned().unwrap_or_default()))
        .collect()
}

/// A link that switches the list (a tab) or its category (a filter).
#[derive(Debug)]
pub struct ListLink {
    pub label: String,
    pub url: String,
    pub current: bool,
}

/// The tag a list is narrowed to, with what staff may do to it.
#[derive(Debug)]
pub struct TagHeader {
    pub name: String,
    pub description: String,
    pub question_count: i32,
    pub can_describe: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct ListPage {
    layout: Layout,
    heading: String,
    tag: Option<TagHeader>,
    tabs: Vec<ListLink>,
    category_filters: Vec<ListLink>,
    questions: Vec<QuestionRow>,
    /// Questions moderators pinned in the category, above its first page.
    pinned: Vec<QuestionRow>,
    first_page: Option<String>,
    next_page: Option<String>,
    notice: Option<&'static str>,
    /// On a tag's or a category's list, a member's watch button (its mark: see
    /// [`ListPage::mark_member_slots`]).
    watch_form: Option<String>,
    /// The list's own address, where the watch button's form comes back to.
    base: String,
}

impl ListPage {
    /// Puts marks where members' lists differ, for a copy members of one shape share (see
    /// `member_pages`): the header, the forms' token, the watch button for `watchable`.
    fn mark_member_slots(&mut self, watchable: Option<Target>) {
        self.layout.csrf = Slot::Csrf.mark();
        self.layout.member_nav = Slot::MemberNav.mark();
        self.watch_form = watchable.map(|target| Slot::Watch { target }.mark());
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    tab: Option<String>,
    category: Option<String>,
    after: Option<String>,
    done: Option<String>,
}

impl ListQuery {
    /// The key of the list at `path` in the guests' page cache and the members' copies: what
    /// the page reads of the query, so that other parameters (or their order, a tab or cursor
    /// it cannot read, a notice it does not know) make no copy of their own.
    fn cache_key(&self, path: &str) -> String {
        let mut key = path.to_owned();
        let tab = self
            .tab
            .as_deref()
            .map(ListKind::parse)
            .filter(|tab| *tab != ListKind::default())
            .map(|tab| tab.as_str().to_owned());
        let after = self
            .after
            .as_deref()
            .and_then(Cursor::parse)
            .map(|c| c.encode());
        let done = self
            .done
            .as_ref()
            .filter(|done| notice(Some(done)).is_some());
        for (name, value) in [
            ("tab", tab.as_ref()),
            ("category", self.category.as_ref()),
            ("after", after.as_ref()),
            ("done", done),
        ] {
            if let Some(value) = value {
                key.push_str(if key.len() == path.len() { "?" } else { "&" });
                key.push_str(name);
                key.push('=');
                key.push_str(&crate::urlencode(value));
            }
        }
        key
    }
}

/// Messages shown after a redirect, chosen by a fixed key (never text from the URL).
fn notice(key: Option<&str>) -> Option<&'static str> {
    match key? {
        "registered" => Some("Welcome! We sent you a link to confirm your email address."),
        "logged-out" => Some("You are logged out."),
        "email-verified" => Some("Thank you: your email address is confirmed."),
        "password-changed" => Some("Your password is changed, and every other session has ended."),
        "owner-created" => {
            Some("Your owner account is ready. Create the first categories in Settings.")
        }
        "tag-described" => Some("The tag's description is saved."),
        "question-deleted" => {
            Some("The question is deleted. You can still open and restore it from its address.")
        }
        _ => None,
    }
}

/// The URL of a list under `path` (`/` or `/tags/{name}`), omitting default parameters.
fn list_url(path: &str, tab: ListKind, category: Option<&str>) -> String {
    let mut params = Vec::new();
    if tab != ListKind::default() {
        params.push(format!("tab={}", tab.as_str()));
    }
    if let Some(slug) = category {
        params.push(format!("category={}", crate::urlencode(slug)));
    }
    if params.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", params.join("&"))
    }
}

fn tab_label(tab: ListKind) -> &'static str {
    match tab {
        ListKind::Newest => "Newest",
        ListKind::Active => "Active",
        ListKind::Unanswered => "Unanswered",
        ListKind::Unsolved => "Unsolved",
        ListKind::Solved => "Solved",
        ListKind::AnsweredByStaff => "Answered by staff",
    }
}

fn heading(tab: ListKind) -> &'static str {
    match tab {
        ListKind::Newest => "Latest questions",
        ListKind::Active => "Recently active",
        ListKind::Unanswered => "Unanswered questions",
        ListKind::Unsolved => "Questions without an accepted answer",
        ListKind::Solved => "Solved questions",
        ListKind::AnsweredByStaff => "Questions with an official answer",
    }
}

async fn home(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    serve_list(&state, &req, &viewer, &query, None).await
}

async fn tag_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    serve_list(&state, &req, &viewer, &query, Some(path.into_inner())).await
}

/// A list page, narrowed to the tag `tag_name` if given. Every guest sees the same list: they
/// get it from memory while content is unchanged, as the most read pages after threads.
/// Members of one shape share a copy too, filled in with their own parts (`member_pages`).
async fn serve_list(
    state: &AppState,
    req: &HttpRequest,
    viewer: &Viewer,
    query: &ListQuery,
    tag_name: Option<String>,
) -> Result<HttpResponse, AppError> {
    let key = query.cache_key(req.path());
    let generation = state.pages.generation();
    let load = || listed(state, &key, query, tag_name);
    let Some(member) = Member::listing(viewer) else {
        return state
            .pages
            .for_guests(key.clone(), req, || async {
                let listed = load().await?;
                Ok(list_page(state, viewer, query, &listed).render()?)
            })
            .await;
    };
    let listed = load().await?;
    let watchable = listed.watchable();
    let member = match watchable {
        Some(target) => member.watching(state, target).await?,
        None => member,
    };
    let shape = member.shape(&key);
    let kept = |state: &AppState| state.member_lists.get(&shape, generation);
    if let Some(shared) = kept(state) {
        return Ok(shared.respond(&member, req));
    }
    // As for thread pages: one member renders the copy, the others of the shape wait for it.
    let _turn = state.pages.turn(&shape).await;
    if let Some(shared) = kept(state) {
        return Ok(shared.respond(&member, req));
    }
    let mut page = list_page(state, viewer, query, &listed);
    page.mark_member_slots(watchable);
    let html = page.render()?;
    let parsed = SharedPage::parse(&html, 0, &page.base)?;
    let shared = member_pages::share(
        state,
        &state.member_lists,
        viewer,
        shape,
        generation,
        &html,
        parsed,
    );
    Ok(shared.respond(&member, req))
}

/// What a list shows that is the same for every reader.
#[derive(Debug)]
pub struct Listed {
    categories: Vec<categories::Category>,
    /// The category the list is narrowed to.
    category: Option<categories::Category>,
    tag: Option<TagView>,
    page: stoa_db::page::Page<ThreadSummary>,
    pinned: Vec<ThreadSummary>,
    /// The tags of the questions on the page and of the pinned ones.
    row_tags: HashMap<ThreadId, Vec<String>>,
}

impl Listed {
    /// What the list's watch button is for: its tag, or else its category.
    fn watchable(&self) -> Option<Target> {
        match (&self.tag, &self.category) {
            (Some(tag), _) => Some(Target::Tag(tag.id)),
            (None, Some(category)) => Some(Target::Category(category.id)),
            (None, None) => None,
        }
    }
}

/// Lists kept for members (guests get the whole page from the page cache).
pub const LISTS_KEPT: usize = 256;

/// The list under `key` (see [`ListQuery::cache_key`]), narrowed to the tag `tag_name` if
/// given: from memory while content is unchanged, so a member's list is only rendered.
async fn listed(
    state: &AppState,
    key: &str,
    query: &ListQuery,
    tag_name: Option<String>,
) -> Result<Arc<Listed>, AppError> {
    let tab = ListKind::parse(query.tab.as_deref().unwrap_or_default());
    let cursor = query.after.as_deref().and_then(Cursor::parse);
    let wanted = query.category.clone();
    let read = state.db.run(move |conn| {
        let tag = match tag_name {
            Some(name) => Some(tags::find(conn, &name)?.ok_or(AppError::NotFound)?),
            None => None,
        };
        let categories = categories::list(conn)?;
        let category = wanted.and_then(|slug| categories.iter().find(|c| c.slug == slug).cloned());
        let filter = ListFilter {
            category: category.as_ref().map(|c| c.id),
            tag: tag.as_ref().map(|t| t.id),
        };
        let page = views::list(conn, tab, filter, cursor, PAGE_SIZE)?;
        let pinned = match (&category, cursor.is_none() && tag.is_none()) {
            (Some(c), true) => views::pinned(conn, c.id, PINNED_SHOWN)?,
            _ => Vec::new(),
        };
        let ids: Vec<ThreadId> = page.items.iter().chain(&pinned).map(|t| t.id).collect();
        let row_tags = tags::for_threads(conn, &ids)?;
        Ok::<_, AppError>(Listed {
            categories,
            category,
            tag,
            page,
            pinned,
            row_tags,
        })
    });
    let read = async { Ok::<_, AppError>(Arc::new(read.await?)) };
    state
        .lists
        .get_or_read(key, || state.pages.generation(), read)
        .await
}

/// A list of questions: one of the tabs, optionally narrowed to a category and a tag, as
/// `viewer` sees it, but for a member's watch button (see [`ListPage::mark_member_slots`]).
fn list_page(state: &AppState, viewer: &Viewer, query: &ListQuery, listed: &Listed) -> ListPage {
    let tab = ListKind::parse(query.tab.as_deref().unwrap_or_default());
    let cursor = query.after.as_deref().and_then(Cursor::parse);
    let (tag, category) = (&listed.tag, &listed.category);
    let categories = &listed.categories;
    let path = tag.as_ref().map_or_else(
        || "/".to_owned(),
        |t| format!("/tags/{}", crate::urlencode(&t.name)),
    );
    let category_slug = category.as_ref().map(|c| c.slug.as_str());
    let base = list_url(&path, tab, category_slug);
    let join = if base.contains('?') { '&' } else { '?' };
    let mut category_filters = vec![ListLink {
        label: "All categories".into(),
        url: list_url(&path, tab, None),
        current: category.is_none(),
    }];
    category_filters.extend(categories.iter().map(|c| ListLink {
        label: c.name.clone(),
        url: list_url(&path, tab, Some(&c.slug)),
        current: Some(c.id) == category.as_ref().map(|x| x.id),
    }));
    let heading = match &tag {
        Some(t) => format!("Questions tagged {}", t.name),
        None => heading(tab).to_owned(),
    };
    ListPage {
        layout: Layout::new(state, viewer, heading.clone()),
        heading,
        tag: tag.as_ref().map(|t| TagHeader {
            can_describe: policy::decide(viewer.actor(), Action::DescribeTag).is_ok(),
            name: t.name.clone(),
            description: t.description.clone(),
            question_count: t.question_count,
        }),
        tabs: ListKind::ALL
            .into_iter()
            .map(|k| ListLink {
                label: tab_label(k).to_owned(),
                url: list_url(&path, k, category_slug),
                current: k == tab,
            })
            .collect(),
        category_filters,
        pinned: rows(&listed.pinned, &listed.row_tags),
        questions: rows(&listed.page.items, &listed.row_tags),
        first_page: cursor.map(|_| base.clone()),
        next_page: listed
            .page
            .next
            .map(|c| format!("{base}{join}after={}", c.encode())),
        notice: notice(query.done.as_deref()),
        watch_form: None,
        base,
    }
}

#[derive(Debug, Deserialize)]
pub struct DescribeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    description: String,
}

crate::session::csrf_protected!(DescribeForm);

async fn describe_tag(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<String>,
    form: Checked<DescribeForm>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::DescribeTag)?;
    let name = path.into_inner();
    let lookup = name.clone();
    let tag = state
        .db
        .run(move |conn| tags::find(conn, &lookup).map_err(AppError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    let description = form.0.description;
    state
        .db
        .write(move |conn| tags::describe(conn, tag.id, &description))
        .await?;
    Ok(see_other(&format!(
        "/tags/{}?done=tag-described",
        crate::urlencode(&name)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(tab: Option<&str>, after: Option<&str>) -> ListQuery {
        ListQuery {
            tab: tab.map(str::to_owned),
            category: None,
            after: after.map(str::to_owned),
            done: None,
        }
    }

    #[test]
    fn a_lists_key_holds_only_what_the_list_reads() {
        // A tab or cursor the list cannot read shows the first page of the newest questions:
        // the same list, the same key.
        assert_eq!(query(Some("nonsense"), Some("1_x")).cache_key("/"), "/");
        assert_eq!(query(Some("newest"), None).cache_key("/"), "/");
        assert_eq!(
            query(Some("active"), Some("1700000000000000_42")).cache_key("/tags/wine"),
            "/tags/wine?tab=active&after=1700000000000000_42"
        );
        // The same position written another way is the same page.
        assert_eq!(
            query(None, Some("01700000000000000_042")).cache_key("/"),
            "/?after=1700000000000000_42"
        );
    }
}
