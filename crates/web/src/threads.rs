//! Asking, answering and reading a thread.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use stoa_db::{CategoryId, CommentId, PostId, ThreadId, UserId, dialect};
use stoa_moderation::Error as ModerationError;
use stoa_moderation::audit::{self, AuditAction};
use stoa_moderation::policy::{self, Action};
use stoa_moderation::posting::{self, Poster};
use stoa_moderation::signup;
use stoa_threads::categories::{self, Category};
use stoa_threads::comments::{self, CommentText, CommentView};
use stoa_threads::duplicates::{self, LinkedThread};
use stoa_threads::notes::{self, NoteView};
use stoa_threads::posts::NewQuestion;
use stoa_threads::tags::{self, TagName};
use stoa_threads::views::{
    self, AnswerCursor, AnswerOrder, Origin, PostView, SeeDeleted, ThreadPage,
};
use stoa_threads::votes::Vote;
use stoa_threads::{Body, IdempotencyKey, Title, markdown, posts};

use stoa_db::time::now;
use stoa_notify::notifications;
use stoa_notify::watching::Target;
use stoa_staff::queue;

use crate::avatar::Avatar;
use crate::layout::{Layout, form_key, human_time, render, see_other};
use crate::member_pages::{self, Member, SharedPage, Slot, VoteButtons};
use crate::notifications::{WatchButton, WatchButtonHtml};
use crate::page_cache::Page;
use crate::search::{self, Suggestion};
use crate::session::{Checked, CsrfOnly, SignedIn, Viewer};
use crate::{AppError, AppState};

/// Answers per thread page.
pub const ANSWERS_PER_PAGE: usize = 50;
/// Linked (duplicate) questions listed on an original's page: the latest ones.
const LINKED_SHOWN: i64 = 20;
/// Internal notes shown on a thread (the newest, oldest first).
const NOTES_SHOWN: i64 = 100;

/// The thread page, the most read of all: registered before every other route (see
/// `crate::routes`).
pub fn page_route(cfg: &mut web::ServiceConfig) {
    cfg.route("/q/{id}/{slug}", web::get().to(show));
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ask", web::get().to(ask_form))
        .route("/ask", web::post().to(ask))
        .route("/q/{id}", web::get().to(show_without_slug))
        .route("/q/{id}/answer", web::post().to(answer))
        .route("/posts/{id}/comments", web::get().to(comment_page))
        .route("/posts/{id}/comments", web::post().to(comment))
        .route("/q/{id}/close", web::post().to(close))
        .route("/q/{id}/reopen", web::post().to(reopen));
}

/// A form field's error, shown next to it.
#[derive(Debug, Default)]
pub struct FieldErrors {
    pub title: Option<String>,
    pub body: Option<String>,
    pub category: Option<String>,
    pub tags: Option<String>,
}

impl FieldErrors {
    fn from_threads(e: stoa_threads::Error) -> Result<FieldErrors, AppError> {
        let message = e.to_string();
        Ok(match e.field() {
            Some("title") => FieldErrors {
                title: Some(message),
                ..FieldErrors::default()
            },
            Some("body") => FieldErrors {
                body: Some(message),
                ..FieldErrors::default()
            },
            Some("category") => FieldErrors {
                category: Some(message),
                ..FieldErrors::default()
            },
            Some("tags") => FieldErrors {
                tags: Some(message),
                ..FieldErrors::default()
            },
            _ => return Err(e.into()),
        })
    }
}

#[derive(Template)]
#[template(path = "threads/ask.html")]
struct AskPage {
    layout: Layout,
    categories: Vec<Category>,
    popular_tags: Vec<String>,
    form: AskForm,
    errors: FieldErrors,
    preview_html: Option<String>,
    /// Questions like the one being asked, shown before it is posted.
    similar: Vec<Suggestion>,
    /// For a new member, the form's signed time (their first post is screened as a sign-up).
    first_post_token: String,
    /// How long the team usually takes to answer ("about 3 hours"), when known.
    typical_reply: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    category: String,
    /// Tag names separated by spaces or commas.
    #[serde(default)]
    tags: String,
    #[serde(default)]
    key: String,
    /// Present when the "Preview" button was pressed.
    preview: Option<String>,
    /// "0" while the asker has not been shown the questions similar to theirs: the page's
    /// script sets it to "1" once it showed them as the title was typed; without the script,
    /// the first submission shows them and posts nothing.
    similar: Option<String>,
    /// The honeypot and the form's shown time (see `first_post_token`).
    #[serde(default)]
    website: String,
    #[serde(default)]
    shown: String,
}

crate::session::csrf_protected!(AskForm);

impl AskForm {
    fn selected(&self, category: &Category) -> bool {
        self.category == category.id.to_string()
    }

    /// The value of the hidden `similar` field: "1" once similar questions were shown.
    fn similar_shown(&self) -> &str {
        if self.similar.as_deref() == Some("1") {
            "1"
        } else {
            "0"
        }
    }
}

async fn ask_form(state: web::Data<AppState>, user: SignedIn) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::AskQuestion)?;
    let form = AskForm {
        key: form_key(),
        ..AskForm::default()
    };
    show_ask(&state, &user, form, FieldErrors::default(), StatusCode::OK).await
}

/// The ask page, holding what was typed in `form` and the `errors` beside its fields.
async fn show_ask(
    state: &AppState,
    user: &SignedIn,
    form: AskForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    show_ask_with(state, user, form, errors, status, Vec::new()).await
}

/// [`show_ask`] with the questions `similar` to the one being asked.
async fn show_ask_with(
    state: &AppState,
    user: &SignedIn,
    form: AskForm,
    errors: FieldErrors,
    status: StatusCode,
    similar: Vec<Suggestion>,
) -> Result<HttpResponse, AppError> {
    // The preview uses the renderer that stores posts, so it shows exactly what will be kept.
    let preview_html = form.preview.is_some().then(|| markdown::render(&form.body));
    let (categories, popular) = state
        .db
        .run(|conn| {
            Ok::<_, stoa_threads::Error>((categories::list(conn)?, tags::popular(conn, 20)?))
        })
        .await?;
    let layout = Layout::new(state, &user.viewer, "Ask a question");
    let popular_tags = popular.into_iter().map(|t| t.name).collect();
    let page = AskPage {
        first_post_token: first_post_token(state, &user.viewer).await?,
        layout,
        categories,
        popular_tags,
        form,
        errors,
        preview_html,
        similar,
        typical_reply: crate::insights::typical_reply(state).await?,
    };
    render(&page, status, &page.layout, None)
}

async fn ask(
    state: web::Data<AppState>,
    user: SignedIn,
    form: Checked<AskForm>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::AskQuestion)?;
    let mut form = form.0;
    if form.preview.is_some() {
        return show_ask(&state, &user, form, FieldErrors::default(), StatusCode::OK).await;
    }
    if form.similar.as_deref() == Some("0") {
        // Without the page's script the asker has not seen the similar questions yet: show
        // them first, with the form as typed; the next submission posts.
        form.similar = Some("1".into());
        let similar = search::similar(&state, &form.title, false, None).await?;
        if !similar.is_empty() {
            let errors = FieldErrors::default();
            return show_ask_with(&state, &user, form, errors, StatusCode::OK, similar).await;
        }
    }
    let parsed = Title::parse(&form.title).and_then(|title| {
        let body = Body::parse(&form.body)?;
        let category = form.category.parse::<i64>().map(CategoryId).map_err(|_| {
            stoa_threads::Error::InvalidCategory("Choose a category for your question.".into())
        })?;
        let tags = TagName::parse_list(&form.tags)?;
        Ok((title, body, category, tags))
    });
    let may_create_tags = policy::decide(
        user.viewer.actor(),
        Action::CreateTag {
            min_role: state.settings.new_tag_min_role(),
        },
    )
    .is_ok();
    let outcome = match parsed {
        Ok((title, body, category, tag_names)) => {
            let key = IdempotencyKey::parse(&form.key);
            let author = user.user.id;
            let context = posting_context(&state, &user, &form.website, &form.shown).await?;
            let by_team = speaks_for_the_team(user.user.role());
            state
                .db
                .run(move |conn| {
                    let rendered = posts::Rendered::new(conn, &body)?;
                    dialect::write_transaction(conn, |conn| {
                        let question = NewQuestion {
                            author,
                            category,
                            title: &title,
                            body: &rendered,
                            tags: &tag_names,
                            may_create_tags,
                            key: key.as_ref(),
                        };
                        let posted = posts::ask(conn, question)?;
                        if settle_new(conn, &context, &posted, &body)? {
                            let written = Written::Question(posted.post_id);
                            announce(
                                conn,
                                written,
                                posted.thread_id,
                                author,
                                by_team,
                                body.as_str(),
                            )?;
                        }
                        Ok(posted)
                    })
                })
                .await
        }
        Err(e) => Err(e.into()),
    };
    match outcome {
        Ok(posted) => Ok(see_other(&format!(
            "/q/{}/{}",
            posted.thread_id, posted.slug
        ))),
        Err(e) => {
            let errors = match e {
                ModerationError::Threads(e) => FieldErrors::from_threads(e)?,
                ModerationError::Invalid(why) => FieldErrors {
                    body: Some(why),
                    ..FieldErrors::default()
                },
                other => return Err(other.into()),
            };
            show_ask(
                &state,
                &user,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// A post as shown on the thread page.
#[derive(Debug)]
pub struct PostCard {
    pub id: PostId,
    pub body_html: String,
    pub score: i32,
    pub author: String,
    pub author_username: String,
    pub author_url: String,
    pub role_badge: Option<&'static str>,
    pub avatar: Avatar,
    pub time_shown: String,
    pub time_iso: String,
    /// The viewer may vote on it (signed in, not its author).
    pub can_vote: bool,
    pub can_edit: bool,
    /// The viewer may try to delete it (the server still refuses a protected question).
    pub can_delete: bool,
    /// Deleted: shown only to its author and moderators, with a way to restore it.
    pub deleted: bool,
    /// Hidden by flags or a moderator while it is reviewed, and why (it is also `deleted`).
    pub hidden_reason: Option<String>,
    /// The viewer may flag it for moderators.
    pub can_flag: bool,
    /// When it was last edited, if ever (shown, machine-readable).
    pub edited: Option<(String, String)>,
    /// The vote buttons, as the viewer voted (empty when they may not vote).
    pub vote_buttons: String,
    /// The latest few comments (or all of them, when expanded), oldest first.
    pub comments: Vec<CommentCard>,
    /// How many more comments there are, and the link that shows them.
    pub more_comments: Option<(usize, String)>,
    /// The comment form's text and error, kept when a comment was refused.
    pub comment_text: String,
    pub comment_error: Option<String>,
    /// The refused comment's key (the form comes back only with an error).
    pub comment_key: String,
    /// Where an imported post was first published, for its attribution.
    pub origin: Option<Origin>,
}

/// The badge beside a name (`templates/role_badge.html`): "team" for those who speak for
/// the business (shown as the community's name and "team"), "moderator" for moderators.
pub(crate) fn role_badge(stored_role: &str) -> Option<&'static str> {
    let role = stoa_accounts::Role::from_stored(stored_role);
    if speaks_for_the_team(role) {
        Some("team")
    } else if role == stoa_accounts::Role::Moderator {
        Some("moderator")
    } else {
        None
    }
}

impl PostCard {
    fn new(p: PostView, viewer: &Viewer, loaded: &mut LoadedThread) -> PostCard {
        let (time_shown, time_iso) = human_time(p.created_at);
        let vote = loaded.votes.get(&p.id).copied().unwrap_or(Vote::None);
        let own = Some(p.author.id) == viewer.user().map(|u| u.id);
        let edited = (p.updated_at > p.created_at).then(|| human_time(p.updated_at));
        let can_vote = policy::decide(viewer.actor(), Action::Vote { own }).is_ok();
        let vote_buttons = if can_vote {
            VoteButtons {
                post: p.id,
                score: p.score,
                up: vote == Vote::Up,
                down: vote == Vote::Down,
            }
            .to_string()
        } else {
            String::new()
        };
        let comments: Vec<CommentCard> = loaded
            .comments
            .remove(&p.id)
            .unwrap_or_default()
            .into_iter()
            .map(CommentCard::from)
            .collect();
        let hidden = usize::try_from(p.comment_count)
            .unwrap_or_default()
            .saturating_sub(comments.len());
        PostCard {
            id: p.id,
            body_html: p.body_html,
            score: p.score,
            role_badge: role_badge(&p.author.role),
            avatar: Avatar::new(p.author.id, &p.author.display_name),
            author_url: format!("/u/{}/{}", p.author.id, p.author.username),
            author: p.author.display_name,
            author_username: p.author.username,
            time_shown,
            time_iso,
            can_vote,
            can_edit: !p.deleted
                && policy::decide(viewer.actor(), Action::EditPost { own }).is_ok(),
            can_delete: !p.deleted
                && policy::decide(
                    viewer.actor(),
                    Action::DeletePost {
                        own,
                        protected: false,
                    },
                )
                .is_ok(),
            deleted: p.deleted,
            can_flag: !p.deleted && policy::decide(viewer.actor(), Action::Flag { own }).is_ok(),
            hidden_reason: p.hidden_reason,
            edited,
            vote_buttons,
            more_comments: (hidden > 0).then(|| {
                (
                    hidden,
                    format!("{}?comments={}#post-{}", loaded.url(), p.id, p.id),
                )
            }),
            comments,
            comment_text: String::new(),
            comment_error: None,
            comment_key: String::new(),
            origin: p.origin,
        }
    }
}

/// A comment as shown under its post.
#[derive(Debug)]
pub struct CommentCard {
    pub id: CommentId,
    pub body_html: String,
    pub author: String,
    pub author_username: String,
    pub author_url: String,
    pub time_shown: String,
    pub time_iso: String,
}

impl From<CommentView> for CommentCard {
    fn from(c: CommentView) -> Self {
        let (time_shown, time_iso) = human_time(c.created_at);
        CommentCard {
            id: c.id,
            body_html: c.body_html,
            author_url: format!("/u/{}/{}", c.author_id, c.username),
            author: c.display_name,
            author_username: c.username,
            time_shown,
            time_iso,
        }
    }
}

/// A tab that reorders the answers.
#[derive(Debug)]
pub struct OrderTab {
    pub label: &'static str,
    pub url: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "threads/show.html")]
struct ThreadView {
    layout: Layout,
    thread_id: ThreadId,
    thread_url: String,
    title: String,
    category: String,
    answer_count: i32,
    solved: bool,
    question: PostCard,
    accepted: Option<PostCard>,
    answers: Vec<PostCard>,
    order_tabs: Vec<OrderTab>,
    next_answers: Option<String>,
    /// The viewer may accept an answer (the asker, staff, moderators).
    can_accept: bool,
    /// The viewer may vote on others' posts: the page has the vote buttons' form.
    can_vote: bool,
    can_comment: bool,
    /// The key of the page's one comment form, which the script copies under a post.
    comment_key: String,
    /// The viewer may answer; when not (locked, closed, silenced), why.
    answer_refusal: Option<&'static str>,
    tags: Vec<String>,
    closed: bool,
    locked: bool,
    pinned: bool,
    /// Why a moderator closed it, when not as a duplicate.
    close_reason: Option<String>,
    /// The viewer may lock, close, pin and move it; the categories it can move to.
    can_moderate: bool,
    categories: Vec<Category>,
    category_id: CategoryId,
    /// A refused moderation form's message.
    moderate_error: Option<String>,
    /// For a new member, the answer form's signed time (see `first_post_token`).
    first_post_token: String,
    view_count: i64,
    /// `(url, title)` of the question this one duplicates.
    original: Option<(String, String)>,
    /// `(url, title)` of the questions closed as duplicates of this one.
    linked: Vec<(String, String)>,
    can_close: bool,
    close_input: String,
    close_error: Option<String>,
    signed_in: bool,
    answer_body: String,
    answer_key: String,
    answer_error: Option<String>,
    answer_preview: Option<String>,
    /// Questions like this one ("Related questions").
    similar: Vec<Suggestion>,
    /// The signed-in viewer's watch button (`None` for guests).
    watch_form: Option<String>,
    /// The answer staff marked as the business's own, when it is not also the accepted one.
    official: Option<PostCard>,
    /// The accepted answer is also the official one.
    accepted_is_official: bool,
    /// The viewer may mark the official answer.
    can_mark_official: bool,
    /// Internal notes, for those who may read them (`None` for everyone else).
    notes: Option<Vec<NoteCard>>,
    note_body: String,
    note_key: String,
    note_error: Option<String>,
    /// While a customer waits for the team: how long it usually takes.
    typical_reply: Option<String>,
}

/// An internal note as the page shows it.
pub struct NoteCard {
    body_html: String,
    author: String,
    time_shown: String,
    time_iso: String,
}

impl From<NoteView> for NoteCard {
    fn from(n: NoteView) -> NoteCard {
        let (time_shown, time_iso) = human_time(n.created_at);
        NoteCard {
            body_html: n.body_html,
            author: n.author,
            time_shown,
            time_iso,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct AnswersQuery {
    after: Option<String>,
    sort: Option<String>,
    /// A post whose comments are all shown.
    comments: Option<i64>,
}

impl ThreadView {
    fn new(state: &AppState, viewer: &Viewer, mut loaded: LoadedThread) -> ThreadView {
        let head = loaded.page.head.clone();
        let thread_url = loaded.url();
        let order = loaded.order;
        let sort_param = if order == AnswerOrder::default() {
            String::new()
        } else {
            format!("sort={}&", order.as_str())
        };
        let asker = Some(head.asker) == viewer.user().map(|u| u.id);
        let question = loaded.page.question.clone();
        let accepted = loaded.page.accepted.take();
        let official = loaded.page.official.take();
        let accepted_is_official =
            head.official_answer_id.is_some() && head.official_answer_id == head.accepted_answer_id;
        let answers = std::mem::take(&mut loaded.page.answers.items);
        let next = loaded.page.answers.next;
        let thread = policy::ThreadState {
            locked: head.locked,
            closed: head.closed,
        };
        // A guest is told what a member would be (closed, locked) rather than to log in.
        let actor = match viewer.actor() {
            policy::Actor::Guest => policy::Actor::Member {
                id: stoa_db::UserId(0),
                role: stoa_accounts::Role::Member,
                silenced: false,
                trust: 0,
            },
            member => member,
        };
        let answer_refusal = match policy::decide(actor, Action::Answer { thread }) {
            Err(policy::Denial::Forbidden(why)) => Some(why),
            Ok(()) | Err(policy::Denial::SignInRequired) => None,
        };
        ThreadView {
            answer_refusal,
            locked: head.locked,
            pinned: head.pinned,
            close_reason: head.close_reason.clone(),
            can_moderate: policy::decide(viewer.actor(), Action::ModerateThread).is_ok(),
            categories: std::mem::take(&mut loaded.categories),
            category_id: head.category_id,
            moderate_error: None,
            first_post_token: String::new(),
            layout: Layout::new(state, viewer, head.title.clone()),
            next_answers: next
                .map(|c| format!("{thread_url}?{sort_param}after={}#answers", c.encode())),
            order_tabs: AnswerOrder::ALL
                .into_iter()
                .map(|o| OrderTab {
                    label: match o {
                        AnswerOrder::Votes => "Votes",
                        AnswerOrder::Newest => "Newest",
                        AnswerOrder::Oldest => "Oldest",
                    },
                    url: if o == AnswerOrder::default() {
                        format!("{thread_url}#answers")
                    } else {
                        format!("{thread_url}?sort={}#answers", o.as_str())
                    },
                    current: o == order,
                })
                .collect(),
            thread_id: head.id,
            title: head.title,
            category: head.category_name,
            tags: std::mem::take(&mut loaded.tags),
            answer_count: head.answer_count,
            solved: head.accepted_answer_id.is_some(),
            question: PostCard::new(question, viewer, &mut loaded),
            accepted: accepted.map(|p| PostCard::new(p, viewer, &mut loaded)),
            official: official.map(|p| PostCard::new(p, viewer, &mut loaded)),
            accepted_is_official,
            can_mark_official: policy::decide(viewer.actor(), Action::MarkOfficial).is_ok(),
            notes: loaded
                .notes
                .take()
                .map(|notes| notes.into_iter().map(NoteCard::from).collect()),
            note_body: String::new(),
            note_key: form_key(),
            note_error: None,
            typical_reply: loaded.typical_reply.take(),
            answers: answers
                .into_iter()
                .map(|p| PostCard::new(p, viewer, &mut loaded))
                .collect(),
            can_accept: policy::decide(viewer.actor(), Action::AcceptAnswer { asker }).is_ok(),
            can_vote: policy::decide(viewer.actor(), Action::Vote { own: false }).is_ok(),
            can_comment: policy::decide(viewer.actor(), Action::Comment { thread }).is_ok(),
            closed: head.closed,
            view_count: head.view_count,
            original: loaded
                .original
                .take()
                .map(|t| (format!("/q/{}/{}", t.id, t.slug), t.title)),
            linked: std::mem::take(&mut loaded.linked)
                .into_iter()
                .map(|t| (format!("/q/{}/{}", t.id, t.slug), t.title))
                .collect(),
            can_close: policy::decide(viewer.actor(), Action::CloseAsDuplicate).is_ok(),
            close_input: String::new(),
            close_error: None,
            signed_in: viewer.user().is_some(),
            thread_url,
            answer_body: String::new(),
            answer_key: form_key(),
            comment_key: form_key(),
            answer_error: None,
            answer_preview: None,
            similar: std::mem::take(&mut loaded.related),
            watch_form: loaded.watching.map(|on| {
                let button = WatchButton::new(
                    Target::Thread(head.id),
                    on,
                    String::new(),
                    viewer.csrf_token(),
                );
                WatchButtonHtml { w: &button }.to_string()
            }),
        }
    }

    /// Puts a mark where each member's own part goes, for a page members share (see
    /// `member_pages`).
    fn mark_member_slots(&mut self) {
        let key = Slot::Key.mark();
        self.layout.csrf = Slot::Csrf.mark();
        self.layout.member_nav = Slot::MemberNav.mark();
        self.answer_key.clone_from(&key);
        self.note_key.clone_from(&key);
        if self.watch_form.is_some() {
            self.watch_form = Some(
                Slot::Watch {
                    target: Target::Thread(self.thread_id),
                }
                .mark(),
            );
        }
        if !self.first_post_token.is_empty() {
            self.first_post_token = Slot::FirstPostToken.mark();
        }
        self.comment_key.clone_from(&key);
        for card in self.cards_mut() {
            if card.can_vote {
                card.vote_buttons = Slot::Vote {
                    post: card.id,
                    score: card.score,
                }
                .mark();
            }
        }
    }

    /// Every post card on the page.
    fn cards_mut(&mut self) -> impl Iterator<Item = &mut PostCard> {
        std::iter::once(&mut self.question)
            .chain(self.accepted.as_mut())
            .chain(self.official.as_mut())
            .chain(self.answers.iter_mut())
    }
}

/// A thread page with what the viewer sees on it: their votes, the tags, the comments.
pub struct LoadedThread {
    page: ThreadPage,
    votes: Arc<HashMap<PostId, Vote>>,
    tags: Vec<String>,
    comments: HashMap<PostId, Vec<CommentView>>,
    /// The question this one duplicates, and the questions closed as duplicates of this one.
    original: Option<LinkedThread>,
    linked: Vec<LinkedThread>,
    order: AnswerOrder,
    related: Vec<Suggestion>,
    /// For moderators, the categories a thread can move to; empty for others.
    categories: Vec<Category>,
    /// Whether the signed-in viewer watches the thread (`None` for guests).
    watching: Option<bool>,
    /// Internal notes, for those who may read them.
    notes: Option<Vec<NoteView>>,
    /// While a customer waits for the team: how long it usually takes.
    typical_reply: Option<String>,
}

impl LoadedThread {
    fn url(&self) -> String {
        format!("/q/{}/{}", self.page.head.id, self.page.head.slug)
    }
}

/// Which deleted posts `viewer` sees: moderators all, members their own, guests none.
pub fn see_deleted(viewer: &Viewer) -> SeeDeleted {
    match viewer.user() {
        Some(_) if policy::decide(viewer.actor(), Action::SeeOthersDeleted).is_ok() => {
            SeeDeleted::All
        }
        Some(user) => SeeDeleted::Own(user.id),
        None => SeeDeleted::None,
    }
}

/// Loads a page of the thread with the viewer's votes, its tags and its comments (all of
/// them for `expanded`), in one trip to the database and a fixed number of queries.
async fn load_thread(
    state: &AppState,
    viewer: &Viewer,
    id: ThreadId,
    order: AnswerOrder,
    cursor: Option<AnswerCursor>,
    expanded: Option<PostId>,
) -> Result<LoadedThread, AppError> {
    // The viewer's votes and watch come with their state in the thread, which their
    // request has usually looked up already (see `member_pages`).
    let (votes, watching) = match viewer.user() {
        Some(user) => {
            let own = member_pages::member_state(state, user.id, id).await?;
            (own.votes, Some(own.watching))
        }
        None => (Arc::default(), None),
    };
    let see = see_deleted(viewer);
    let moderator = policy::decide(viewer.actor(), Action::ModerateThread).is_ok();
    let team = policy::decide(viewer.actor(), Action::StaffNotes).is_ok();
    let related = Arc::clone(&state.related);
    let (page, notes, mut tags, comments, original, linked, categories, related) = state
        .db
        .run(move |conn| {
            let Some(page) = views::thread(conn, id, order, cursor, ANSWERS_PER_PAGE, see)? else {
                return Ok(None);
            };
            let notes = if team {
                Some(notes::for_thread(conn, id, NOTES_SHOWN)?)
            } else {
                None
            };
            let tags = tags::for_threads(conn, &[id])?;
            let comments = comments::for_posts(conn, &page.commented_post_ids(), expanded)?;
            let original = if page.head.closed {
                duplicates::original_of(conn, id)?
            } else {
                None
            };
            let linked = duplicates::linked(conn, id, LINKED_SHOWN)?;
            let categories = if moderator {
                categories::list(conn)?
            } else {
                Vec::new()
            };
            // Last: a thread page never fails for want of its related questions.
            let related = related
                .read(conn, id, &page.head.title)
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "kept related questions unreadable");
                    search::Related::ToFind {
                        newest: 0,
                        kept: Vec::new(),
                    }
                });
            Ok::<_, stoa_threads::Error>(Some((
                page, notes, tags, comments, original, linked, categories, related,
            )))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let tags = tags.remove(&id).unwrap_or_default();
    // Related questions help, but a thread page never fails for want of them.
    let related = search::related(state, id, &page.head.title, related).await;
    let typical_reply = if page.head.waiting {
        crate::insights::typical_reply(state).await?
    } else {
        None
    };
    Ok(LoadedThread {
        typical_reply,
        categories,
        watching,
        notes,
        related,
        page,
        votes,
        tags,
        comments,
        original,
        linked,
        order,
    })
}

/// Shows the thread's first page again for `viewer` after a form on it was refused or
/// previewed: `adjust` puts the form's text, preview or error back in place.
async fn show_again(
    state: &AppState,
    viewer: &Viewer,
    thread: ThreadId,
    expanded: Option<PostId>,
    status: StatusCode,
    adjust: impl FnOnce(&mut ThreadView),
) -> Result<HttpResponse, AppError> {
    let loaded = load_thread(
        state,
        viewer,
        thread,
        AnswerOrder::default(),
        None,
        expanded,
    )
    .await?;
    let mut page = ThreadView::new(state, viewer, loaded);
    page.first_post_token = first_post_token(state, viewer).await?;
    adjust(&mut page);
    render(&page, status, &page.layout, None)
}

/// The thread page again with the internal note's `text` and `error` in its form.
pub async fn show_with_note_error(
    state: &AppState,
    viewer: &Viewer,
    thread: ThreadId,
    error: String,
    text: String,
    key: String,
) -> Result<HttpResponse, AppError> {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    show_again(state, viewer, thread, None, status, |page| {
        page.note_error = Some(error);
        page.note_body = text;
        page.note_key = key;
    })
    .await
}

/// The thread page again with the moderation form open and `error` in it.
pub async fn show_with_moderation_error(
    state: &AppState,
    viewer: &Viewer,
    thread: ThreadId,
    error: String,
) -> Result<HttpResponse, AppError> {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    show_again(state, viewer, thread, None, status, |page| {
        page.moderate_error = Some(error);
    })
    .await
}

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    path: web::Path<(i64, String)>,
    query: web::Query<AnswersQuery>,
) -> Result<HttpResponse, AppError> {
    policy::decide(viewer.actor(), Action::ReadPublic)?;
    let (id, slug) = path.into_inner();
    // Every guest sees the same page: serve it from memory while content is unchanged.
    let guest = viewer.user().is_none();
    let cache_key = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path(), |p| p.as_str())
        .to_owned();
    let stored = |state: &AppState| {
        let page = state.pages.get(&cache_key)?;
        count_view(state, &req, ThreadId(id), None);
        Some(page.respond(&req))
    };
    let mut _turn = None;
    if guest {
        if let Some(response) = stored(&state) {
            return Ok(response);
        }
        // One guest renders the page; the others reading it meanwhile wait for that copy.
        _turn = Some(state.pages.turn(&cache_key).await);
        if let Some(response) = stored(&state) {
            return Ok(response);
        }
    }
    let mut generation = state.pages.generation();
    // A member who never wrote in the thread sees what members like them see, but for their
    // own parts: from memory while content is unchanged.
    let mut member = Member::reading(&state, &viewer, ThreadId(id)).await?;
    let shape = member.as_ref().map(|m| m.shape(&cache_key));
    let shared = |state: &AppState, member: &Option<Member<'_>>, generation| {
        let (member, user, shape) = (member.as_ref()?, viewer.user()?, shape.as_ref()?);
        let shared = state.member_pages.get(shape, generation)?;
        count_view(state, &req, ThreadId(id), Some((user.id, shared.shown)));
        Some(shared.respond(member, &req))
    };
    if let Some(response) = shared(&state, &member, generation) {
        return Ok(response);
    }
    if let Some(shape) = &shape {
        // As for guests: one member renders the shared page, and the others of the same shape
        // reading it meanwhile (after every change to a thread in demand) wait for that copy.
        _turn = Some(state.pages.turn(shape).await);
        // Content may have changed while this member waited. Then the copy to take (or to
        // render) is the one of now, filled with their state of now; looking for the one of
        // before, each waiter would render in turn while changes keep coming.
        let now = state.pages.generation();
        if now != generation {
            generation = now;
            member = Member::reading(&state, &viewer, ThreadId(id)).await?;
        }
        if let Some(response) = shared(&state, &member, generation) {
            return Ok(response);
        }
    }
    let cursor = query.after.as_deref().and_then(AnswerCursor::parse);
    let order = AnswerOrder::parse(query.sort.as_deref().unwrap_or_default());
    let expanded = query.comments.map(PostId);
    let thread = load_thread(&state, &viewer, ThreadId(id), order, cursor, expanded).await?;
    if thread.page.head.slug != slug {
        // Keep the answers page the reader asked for.
        let query = req.query_string();
        let mut location = format!("/q/{id}/{}", thread.page.head.slug);
        if !query.is_empty() {
            location = format!("{location}?{query}");
        }
        return Ok(HttpResponse::MovedPermanently()
            .insert_header(("Location", location))
            .finish());
    }
    let shown = 1 + thread.page.accepted.iter().count() + thread.page.answers.items.len();
    let shown = i64::try_from(shown).unwrap_or_default();
    let member_read = viewer.user().map(|user| (user.id, shown));
    count_view(&state, &req, thread.page.head.id, member_read);
    let mut page = ThreadView::new(&state, &viewer, thread);
    if guest {
        let page = Page::new(Bytes::from(page.render()?));
        let response = page.respond(&req);
        state.pages.put(cache_key, generation, page);
        return Ok(response);
    }
    page.first_post_token = first_post_token(&state, &viewer).await?;
    if let (Some(member), Some(shape)) = (member, shape) {
        page.mark_member_slots();
        let html = page.render()?;
        let parsed = SharedPage::parse(&html, shown, "")?;
        let shared = member_pages::share(
            &state,
            &state.member_pages,
            &viewer,
            shape,
            generation,
            &html,
            parsed,
        );
        return Ok(shared.respond(&member, &req));
    }
    render(&page, StatusCode::OK, &page.layout, None)
}

/// Counts the reader of `thread`, and for a member the posts they read (`member_read`), once
/// per reader and day (see `view_counts`).
fn count_view(
    state: &AppState,
    req: &HttpRequest,
    thread: ThreadId,
    member_read: Option<(UserId, i64)>,
) {
    let reader = crate::limits::client_address(req, state);
    state.views.opened(thread, reader, member_read);
}

/// `/q/{id}` redirects to the thread's full address, for those who may see the thread.
async fn show_without_slug(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    policy::decide(viewer.actor(), Action::ReadPublic)?;
    let id = ThreadId(path.into_inner());
    let see = see_deleted(&viewer);
    let slug = state
        .db
        .run(move |conn| views::visible_slug(conn, id, see))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::MovedPermanently()
        .insert_header(("Location", format!("/q/{id}/{slug}")))
        // A deleted thread's address goes to its asker and moderators only.
        .insert_header((actix_web::http::header::CACHE_CONTROL, "private"))
        .finish())
}

/// A new member: trust level 0 and not staff. Their first post is screened like a sign-up.
fn is_new_member(viewer: &Viewer) -> bool {
    viewer
        .user()
        .is_some_and(|u| u.trust_level == 0 && u.role() < stoa_accounts::Role::Staff)
}

/// A new member gets a signed time on the posting forms (honeypot and fill time, as on
/// sign-up). Empty for everyone else.
pub(crate) async fn first_post_token(
    state: &AppState,
    viewer: &Viewer,
) -> Result<String, AppError> {
    if !is_new_member(viewer) {
        return Ok(String::new());
    }
    Ok(state.shown_token().await?.to_string())
}

/// What the posting rules need for a post `user` writes with a form carrying `honeypot`
/// and `shown`.
async fn posting_context(
    state: &AppState,
    user: &SignedIn,
    honeypot: &str,
    shown: &str,
) -> Result<posting::Context, AppError> {
    let form_check = if is_new_member(&user.viewer) {
        let key = state.server_key().await?;
        let min_fill = time::Duration::seconds(i64::from(state.settings.min_fill_seconds));
        signup::screen_form(key, honeypot, shown, min_fill)
    } else {
        None
    };
    let poster = Poster {
        id: user.user.id,
        trust: u8::try_from(user.user.trust_level.clamp(0, 3)).unwrap_or_default(),
        staff: user.user.role() >= stoa_accounts::Role::Staff,
        visit_days: u32::try_from(user.user.visit_days).unwrap_or_default(),
        posts_read: u32::try_from(user.user.posts_read).unwrap_or_default(),
    };
    Ok(posting::Context {
        poster,
        rules: state.settings.posting_rules(),
        thresholds: state.settings.trust_thresholds(),
        form_check,
    })
}

/// Applies the posting rules to what was just posted, unless it is an earlier submission of
/// the same form (a double click lands on the first post, never on a "repeat").
/// Returns whether the post is new and out now (not a repeated submission, not held for
/// approval): only then is it announced to those who watch.
fn settle_new(
    conn: &mut stoa_db::DbConn,
    context: &posting::Context,
    posted: &posts::Posted,
    body: &Body,
) -> Result<bool, ModerationError> {
    if !posted.created {
        return Ok(false);
    }
    let release = posting::settle(conn, context, posted.post_id, body.as_str())?;
    Ok(release == posting::Release::Now)
}

/// Staff and the owner answer for the business: their answers reach the asker as the team's,
/// and end a customer's wait in the staff queue.
pub(crate) fn speaks_for_the_team(role: stoa_accounts::Role) -> bool {
    matches!(
        role,
        stoa_accounts::Role::Staff | stoa_accounts::Role::Owner
    )
}

/// What was just written and is out: a question or an answer (its post), or a comment (on
/// a post).
enum Written {
    Question(PostId),
    Answer(PostId),
    Comment(PostId, CommentId),
}

/// Tells those concerned of what was just written, in its transaction: the watchers (the
/// author starts watching), the members it mentions, and the staff queue (a customer's post
/// starts a wait, the team's ends it).
fn announce(
    conn: &mut stoa_db::DbConn,
    written: Written,
    thread: ThreadId,
    author: stoa_db::UserId,
    by_team: bool,
    source: &str,
) -> stoa_db::diesel::QueryResult<()> {
    let (post, comment) = match written {
        Written::Question(post) => {
            notifications::question_asked(conn, thread, post, author)?;
            (post, None)
        }
        Written::Answer(post) => {
            notifications::answer_posted(conn, thread, post, author, by_team)?;
            (post, None)
        }
        Written::Comment(post, comment) => {
            notifications::comment_posted(conn, thread, comment, author)?;
            (post, Some(comment))
        }
    };
    let writer = if by_team {
        queue::Writer::Team
    } else {
        queue::Writer::Customer
    };
    let answer = matches!(written, Written::Answer(_));
    queue::record(conn, thread, writer, answer, now())?;
    let named = markdown::mentions(source);
    notifications::mentioned(conn, thread, post, comment, author, &named)?;
    Ok(())
}

/// An answer refused for something the author can fix (or a close that came first): the
/// page comes back with their text.
fn refused_with_text(e: &ModerationError) -> bool {
    match e {
        ModerationError::Invalid(_) => true,
        ModerationError::Threads(e) => {
            e.field() == Some("body") || matches!(e, stoa_threads::Error::ThreadClosed)
        }
        _ => false,
    }
}

/// Whether `thread` is locked or closed, for the policy.
async fn thread_state(state: &AppState, thread: ThreadId) -> Result<policy::ThreadState, AppError> {
    let status = state
        .db
        .run(move |conn| views::status(conn, thread).map_err(AppError::from))
        .await?;
    Ok(policy::ThreadState {
        locked: status.locked,
        closed: status.closed,
    })
}

/// A form with one text: an answer or a comment.
#[derive(Debug, Deserialize)]
pub struct TextForm {
    #[serde(default)]
    csrf: String,
    /// The honeypot and the form's shown time (answers; see `first_post_token`).
    #[serde(default)]
    website: String,
    #[serde(default)]
    shown: String,
    #[serde(default)]
    pub(crate) body: String,
    #[serde(default)]
    pub(crate) key: String,
    /// Present when the "Preview" button was pressed.
    preview: Option<String>,
}

crate::session::csrf_protected!(TextForm);

async fn answer(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    form: Checked<TextForm>,
) -> Result<HttpResponse, AppError> {
    let thread_id = ThreadId(path.into_inner());
    let thread = thread_state(&state, thread_id).await?;
    let form = form.0;
    // Refused (closed or locked since the form was loaded, or the member is silenced): the
    // page comes back with the text, so nothing typed is lost.
    if let Err(policy::Denial::Forbidden(why)) =
        policy::decide(user.viewer.actor(), Action::Answer { thread })
    {
        let status = StatusCode::CONFLICT;
        return show_again(&state, &user.viewer, thread_id, None, status, |page| {
            page.answer_error = Some(why.to_owned());
            page.answer_body = form.body;
            page.answer_key = form.key;
        })
        .await;
    }
    if form.preview.is_some() {
        return show_again(
            &state,
            &user.viewer,
            thread_id,
            None,
            StatusCode::OK,
            |page| {
                page.answer_preview = Some(markdown::render(&form.body));
                page.answer_body = form.body;
                page.answer_key = form.key;
            },
        )
        .await;
    }
    let outcome = match Body::parse(&form.body) {
        Ok(body) => {
            let key = IdempotencyKey::parse(&form.key);
            let author = user.user.id;
            let by_team = speaks_for_the_team(user.user.role());
            let context = posting_context(&state, &user, &form.website, &form.shown).await?;
            state
                .db
                .run(move |conn| {
                    let rendered = posts::Rendered::new(conn, &body)?;
                    dialect::write_transaction(conn, |conn| {
                        let posted =
                            posts::answer(conn, author, thread_id, &rendered, key.as_ref())?;
                        if settle_new(conn, &context, &posted, &body)? {
                            let written = Written::Answer(posted.post_id);
                            announce(conn, written, thread_id, author, by_team, body.as_str())?;
                        }
                        Ok(posted)
                    })
                })
                .await
        }
        Err(e) => Err(e.into()),
    };
    match outcome {
        Ok(posted) => Ok(see_other(&format!(
            "/q/{}/{}#post-{}",
            posted.thread_id, posted.slug, posted.post_id
        ))),
        // A refused answer comes back with its text, including one that arrived just after the
        // question was closed (the page then shows the text, not a form).
        Err(e) if refused_with_text(&e) => {
            let status = match &e {
                ModerationError::Threads(stoa_threads::Error::ThreadClosed) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            show_again(&state, &user.viewer, thread_id, None, status, |page| {
                page.answer_error = Some(e.to_string());
                page.answer_body = form.body;
                page.answer_key = form.key;
            })
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "threads/comment.html")]
struct CommentPage {
    layout: Layout,
    action: String,
    post_url: String,
    title: String,
    key: String,
    text: String,
    error: String,
}

/// What a comment form shows: nothing yet, or a refused comment with the reason.
struct CommentDraft {
    error: String,
    text: String,
    key: String,
    status: StatusCode,
}

/// The form for a comment under a post, on a page of its own: where "Add a comment" leads
/// when the script that opens the form under the post does not run.
async fn comment_page(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    show_comment_page(&state, &user, PostId(path.into_inner()), None).await
}

/// The comment page for `post`, with an empty form or a refused comment's `draft` (whose
/// refusal already said what the policy allows).
async fn show_comment_page(
    state: &AppState,
    user: &SignedIn,
    post: PostId,
    draft: Option<CommentDraft>,
) -> Result<HttpResponse, AppError> {
    let (thread, slug, title) = state
        .db
        .run(move |conn| {
            let (thread, slug) = views::post_location(conn, post)?;
            let title = views::summaries(conn, &[thread])?
                .pop()
                .ok_or(stoa_threads::Error::ThreadNotFound)?
                .title;
            Ok::<_, stoa_threads::Error>((thread, slug, title))
        })
        .await?;
    let draft = match draft {
        Some(draft) => draft,
        None => {
            let status = thread_state(state, thread).await?;
            policy::decide(user.viewer.actor(), Action::Comment { thread: status })?;
            CommentDraft {
                error: String::new(),
                text: String::new(),
                key: form_key(),
                status: StatusCode::OK,
            }
        }
    };
    let page = CommentPage {
        layout: Layout::new(state, &user.viewer, "Add a comment"),
        action: format!("/posts/{post}/comments"),
        post_url: format!("/q/{thread}/{slug}#post-{post}"),
        title,
        key: draft.key,
        text: draft.text,
        error: draft.error,
    };
    render(&page, draft.status, &page.layout, None)
}

/// Adds a comment under a post and returns to it; a refused comment comes back in its form,
/// with the reason.
async fn comment(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    form: Checked<TextForm>,
) -> Result<HttpResponse, AppError> {
    let post = PostId(path.into_inner());
    let form = form.0;
    let (thread, slug) = state
        .db
        .run(move |conn| views::post_location(conn, post).map_err(AppError::from))
        .await?;
    let status = thread_state(&state, thread).await?;
    let allowed = policy::decide(user.viewer.actor(), Action::Comment { thread: status });
    let parsed = match allowed {
        Ok(()) => CommentText::parse(&form.body)
            .map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e.to_string())),
        Err(policy::Denial::Forbidden(why)) => Err((StatusCode::CONFLICT, why.to_owned())),
        Err(denied) => return Err(denied.into()),
    };
    match parsed {
        Ok(text) => {
            let key = IdempotencyKey::parse(&form.key);
            let author = user.user.id;
            let by_team = speaks_for_the_team(user.user.role());
            let source = form.body.clone();
            let id = state
                .db
                .write(move |conn| {
                    let id = comments::add(conn, author, post, &text, key.as_ref())?;
                    let written = Written::Comment(post, id);
                    announce(conn, written, thread, author, by_team, &source)?;
                    Ok::<_, stoa_threads::Error>(id)
                })
                .await?;
            Ok(see_other(&format!(
                "/q/{thread}/{slug}?comments={post}#comment-{id}"
            )))
        }
        Err((status, e)) => {
            let mut under_post = false;
            let again = show_again(&state, &user.viewer, thread, Some(post), status, |page| {
                if let Some(card) = page.cards_mut().find(|c| c.id == post) {
                    card.comment_error = Some(e.clone());
                    card.comment_text.clone_from(&form.body);
                    card.comment_key.clone_from(&form.key);
                    under_post = true;
                }
            })
            .await?;
            if under_post {
                return Ok(again);
            }
            // The post is not on the thread's first page: the comment page keeps the text.
            let draft = CommentDraft {
                error: e,
                text: form.body,
                key: form.key,
                status,
            };
            show_comment_page(&state, &user, post, Some(draft)).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    csrf: String,
    /// The original question: its address, path or number.
    #[serde(default)]
    original: String,
}

crate::session::csrf_protected!(CloseForm);

/// Closes the question as a duplicate of the one the form names.
async fn close(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    form: Checked<CloseForm>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::CloseAsDuplicate)?;
    let thread = ThreadId(path.into_inner());
    let form = form.0;
    let by = user.user.id;
    let closed = match duplicates::parse_reference(&form.original) {
        Some(original) => {
            state
                .db
                .write(move |conn| {
                    duplicates::close(conn, thread, original, by)?;
                    let reason = format!("duplicate of question {original}");
                    audit::record_for_thread(
                        conn,
                        by,
                        AuditAction::CloseAsDuplicate,
                        thread,
                        &reason,
                    )?;
                    Ok(())
                })
                .await
        }
        None => Err(stoa_threads::Error::InvalidDuplicate(
            "Give the original question's address (or its number).".into(),
        )),
    };
    match closed {
        Ok(()) => {
            let slug = state
                .db
                .run(move |conn| views::slug(conn, thread).map_err(AppError::from))
                .await?;
            Ok(see_other(&format!("/q/{thread}/{slug}")))
        }
        Err(e @ stoa_threads::Error::InvalidDuplicate(_)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            show_again(&state, &user.viewer, thread, None, status, |page| {
                page.close_error = Some(e.to_string());
                page.close_input = form.original;
            })
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn reopen(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<i64>,
    _form: Checked<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    policy::decide(user.viewer.actor(), Action::CloseAsDuplicate)?;
    let thread = ThreadId(path.into_inner());
    let by = user.user.id;
    state
        .db
        .write(move |conn| {
            duplicates::reopen(conn, thread)?;
            audit::record_for_thread(conn, by, AuditAction::ReopenThread, thread, "")?;
            Ok::<_, stoa_threads::Error>(())
        })
        .await?;
    let slug = state
        .db
        .run(move |conn| views::slug(conn, thread).map_err(AppError::from))
        .await?;
    Ok(see_other(&format!("/q/{thread}/{slug}")))
}
