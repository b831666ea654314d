//! Read models for pages: question lists and a thread with its posts. Each is a fixed number
//! of queries, whatever the number of rows.

use diesel::prelude::*;
use stoa_db::dialect;
use stoa_db::page::{Cursor, Page};
use stoa_db::schema::{categories, post_origins, posts, thread_tags, threads, users};
use stoa_db::time::to_unix_micros;
use stoa_db::{CategoryId, DbConn, MultiBackend, PostId, TagId, ThreadId, UserId};
use time::PrimitiveDateTime;

use crate::Error;

/// Who wrote something, as shown next to it.
#[derive(Debug, Clone, Queryable)]
pub struct Author {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: String,
}

/// A row of a question list.
#[derive(Debug, Clone, Queryable)]
pub struct ThreadSummary {
    pub id: ThreadId,
    pub title: String,
    pub slug: String,
    pub answer_count: i32,
    pub created_at: PrimitiveDateTime,
    pub last_activity_at: PrimitiveDateTime,
    pub solved: bool,
    /// Closed (as a duplicate, or imported closed): it takes no new answers.
    pub closed: bool,
    /// The question's score.
    pub score: i32,
    pub category_name: String,
    pub category_slug: String,
    pub author: Author,
}

/// Which questions a list shows, and in which order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListKind {
    /// Newest first.
    #[default]
    Newest,
    /// Most recent activity (a new answer) first.
    Active,
    /// No answer yet, newest first.
    Unanswered,
    /// No accepted answer, newest first.
    Unsolved,
    /// With an accepted answer, newest first.
    Solved,
    /// With an official answer from staff, newest first.
    AnsweredByStaff,
}

impl ListKind {
    /// Every list, in tab order.
    pub const ALL: [ListKind; 6] = [
        ListKind::Newest,
        ListKind::Active,
        ListKind::Unanswered,
        ListKind::Unsolved,
        ListKind::Solved,
        ListKind::AnsweredByStaff,
    ];

    /// The URL spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Newest => "newest",
            ListKind::Active => "active",
            ListKind::Unanswered => "unanswered",
            ListKind::Unsolved => "unsolved",
            ListKind::Solved => "solved",
            ListKind::AnsweredByStaff => "staff",
        }
    }

    /// Reads the URL spelling; anything else is the default list.
    pub fn parse(s: &str) -> ListKind {
        ListKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or_default()
    }
}

/// Narrows a list to one category and/or one tag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub category: Option<CategoryId>,
    pub tag: Option<TagId>,
}

/// Which deleted posts a reader sees: none (guests, most members), their own (authors), or
/// all (moderators).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeeDeleted {
    None,
    Own(UserId),
    All,
}

impl SeeDeleted {
    /// Whether a deleted post by `author` is visible.
    pub fn allows(self, author: UserId) -> bool {
        match self {
            SeeDeleted::None => false,
            SeeDeleted::Own(viewer) => viewer == author,
            SeeDeleted::All => true,
        }
    }

    /// Whether a thread (`deleted` or not, asked by `asker`) is visible.
    pub fn shows_thread(self, deleted: bool, asker: UserId) -> bool {
        !deleted || self.allows(asker)
    }
}

/// A thread's heading.
#[derive(Debug, Clone, Queryable)]
pub struct ThreadHead {
    pub id: ThreadId,
    pub title: String,
    pub slug: String,
    pub answer_count: i32,
    pub created_at: PrimitiveDateTime,
    pub asker: UserId,
    pub accepted_answer_id: Option<PostId>,
    /// The answer staff marked as the business's own.
    pub official_answer_id: Option<PostId>,
    pub deleted: bool,
    pub closed: bool,
    pub view_count: i64,
    /// Locked by a moderator: no new answers or comments.
    pub locked: bool,
    pub pinned: bool,
    /// Why a moderator closed it, when not as a duplicate.
    pub close_reason: Option<String>,
    /// A customer waits for the team's reply.
    pub waiting: bool,
    pub category_id: CategoryId,
    pub category_name: String,
    pub category_slug: String,
}

/// A question body or an answer, ready to show.
#[derive(Debug, Clone, Queryable)]
pub struct PostView {
    pub id: PostId,
    pub is_question: bool,
    pub body_html: String,
    pub score: i32,
    pub comment_count: i32,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    pub deleted: bool,
    /// Why it is hidden while moderators decide (a hidden post is also `deleted`).
    pub hidden_reason: Option<String>,
    pub author: Author,
    /// Where an imported post was first published, and by whom.
    pub origin: Option<Origin>,
}

/// The attribution of an imported post: the source site, the original, its author and its
/// licence.
#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct Origin {
    pub site_name: String,
    pub url: String,
    pub author_name: String,
    pub author_url: Option<String>,
    pub license: String,
}

impl Origin {
    /// The licence's deed, for the licences Stack Exchange content carries.
    pub fn license_url(&self) -> Option<&'static str> {
        match self.license.as_str() {
            "CC BY-SA 2.5" => Some("https://creativecommons.org/licenses/by-sa/2.5/"),
            "CC BY-SA 3.0" => Some("https://creativecommons.org/licenses/by-sa/3.0/"),
            "CC BY-SA 4.0" => Some("https://creativecommons.org/licenses/by-sa/4.0/"),
            _ => None,
        }
    }
}

/// How a thread's answers are ordered (after the accepted one, which always comes first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AnswerOrder {
    /// Highest score first, then oldest.
    #[default]
    Votes,
    Newest,
    Oldest,
}

impl AnswerOrder {
    pub const ALL: [AnswerOrder; 3] =
        [AnswerOrder::Votes, AnswerOrder::Newest, AnswerOrder::Oldest];

    pub fn as_str(self) -> &'static str {
        match self {
            AnswerOrder::Votes => "votes",
            AnswerOrder::Newest => "newest",
            AnswerOrder::Oldest => "oldest",
        }
    }

    pub fn parse(s: &str) -> AnswerOrder {
        AnswerOrder::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .unwrap_or_default()
    }
}

/// A position in a thread's answers: `(score, time, id)`, written `score_micros_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerCursor {
    pub score: i32,
    pub at: PrimitiveDateTime,
    pub id: PostId,
}

impl AnswerCursor {
    pub fn encode(&self) -> String {
        format!("{}_{}_{}", self.score, to_unix_micros(self.at), self.id)
    }

    pub fn parse(s: &str) -> Option<AnswerCursor> {
        let (score, rest) = s.split_once('_')?;
        let position = Cursor::parse(rest)?;
        Some(AnswerCursor {
            score: score.parse().ok()?,
            at: position.at,
            id: PostId(position.id),
        })
    }

    fn of(post: &PostView) -> AnswerCursor {
        AnswerCursor {
            score: post.score,
            at: post.created_at,
            id: post.id,
        }
    }
}

/// A thread page: the question, the accepted answer and the official answer (on the first
/// page; one post when they are the same answer), then a page of the other answers in the
/// chosen order.
#[derive(Debug, Clone)]
pub struct ThreadPage {
    pub head: ThreadHead,
    pub question: PostView,
    pub accepted: Option<PostView>,
    /// The official answer when it is not also the accepted one.
    pub official: Option<PostView>,
    pub answers: Page<PostView, AnswerCursor>,
}

impl ThreadPage {
    /// The posts on the page that have comments (the comment query needs only these).
    pub fn commented_post_ids(&self) -> Vec<PostId> {
        self.posts()
            .filter(|p| p.comment_count > 0)
            .map(|p| p.id)
            .collect()
    }

    fn posts(&self) -> impl Iterator<Item = &PostView> {
        std::iter::once(&self.question)
            .chain(self.accepted.iter())
            .chain(self.official.iter())
            .chain(&self.answers.items)
    }
}

/// The columns of an [`Origin`] (left-joined: `ORIGIN.nullable()`).
pub const ORIGIN: (
    post_origins::site_name,
    post_origins::url,
    post_origins::author_name,
    post_origins::author_url,
    post_origins::license,
) = (
    post_origins::site_name,
    post_origins::url,
    post_origins::author_name,
    post_origins::author_url,
    post_origins::license,
);

const AUTHOR: (users::id, users::username, users::display_name, users::role) =
    (users::id, users::username, users::display_name, users::role);

fn limit_plus_one(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(50) + 1
}

/// The rows of a question list from `$from` (threads, or one tag's rows joined with their
/// threads), boxed, at most `$limit`.
macro_rules! summaries {
    ($from:expr, $limit:expr) => {{
        // The question's score as a subquery rather than a join with posts: with the join,
        // SQLite without planner statistics scans every post and sorts them; this way the list
        // walks an index in order and stops at the page's end, whatever the statistics.
        let question_score = posts::table
            .filter(posts::thread_id.eq(threads::id))
            .filter(posts::is_question)
            .select(posts::score)
            .single_value()
            .assume_not_null();
        $from
            .filter(threads::deleted_at.is_null())
            .select((
                threads::id,
                threads::title,
                threads::slug,
                threads::answer_count,
                threads::created_at,
                threads::last_activity_at,
                threads::accepted_answer_id.is_not_null(),
                threads::closed_at.is_not_null(),
                question_score,
                categories::name,
                categories::slug,
                AUTHOR,
            ))
            .limit($limit)
            .into_boxed::<MultiBackend>()
    }};
}

/// Narrows a list query to `kind` and the category, positions it after `cursor`, orders it
/// and loads it. `$at` and `$id` are the newest-first order: the thread's creation time and
/// id, or the same values as a tag's rows carry them.
macro_rules! load_list {
    ($query:expr, $conn:expr, $kind:expr, $filter:expr, $cursor:expr, $at:expr, $id:expr) => {{
        let mut query = $query;
        if let Some(category) = $filter.category {
            query = query.filter(threads::category_id.eq(category));
        }
        query = match $kind {
            // Written as the partial index `threads_unanswered` states it (a bound 0 could not
            // use the index: see .cargo/config.toml).
            ListKind::Unanswered => query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                "threads.answer_count = 0",
            )),
            ListKind::Unsolved => query.filter(threads::accepted_answer_id.is_null()),
            ListKind::Solved => query.filter(threads::accepted_answer_id.is_not_null()),
            ListKind::AnsweredByStaff => query.filter(threads::official_answer_id.is_not_null()),
            ListKind::Newest | ListKind::Active => query,
        };
        if $kind == ListKind::Active {
            if let Some(c) = $cursor {
                let before = threads::last_activity_at
                    .lt(c.at)
                    .or(threads::last_activity_at
                        .eq(c.at)
                        .and(threads::id.lt(ThreadId(c.id))));
                query = query.filter(before);
            }
            query
                .order((threads::last_activity_at.desc(), threads::id.desc()))
                .load::<ThreadSummary>($conn)?
        } else {
            if let Some(c) = $cursor {
                let before = $at.lt(c.at).or($at.eq(c.at).and($id.lt(ThreadId(c.id))));
                query = query.filter(before);
            }
            query
                .order(($at.desc(), $id.desc()))
                .load::<ThreadSummary>($conn)?
        }
    }};
}

/// A page of the `kind` list (optionally one category's or one tag's), `limit` per page,
/// after `cursor`. Newest-first lists page by `(created_at, id)`, the active list by
/// `(last_activity_at, id)`.
pub fn list(
    conn: &mut DbConn,
    kind: ListKind,
    filter: ListFilter,
    cursor: Option<Cursor>,
    limit: usize,
) -> Result<Page<ThreadSummary>, Error> {
    let rows = match filter.tag {
        // A tag's list walks that tag's rows in creation order (index thread_tags_tag_newest),
        // whichever the tag: one plan serves them all.
        Some(tag) => dialect::planned_once(conn, |conn| {
            let tagged = thread_tags::table
                .inner_join(
                    threads::table
                        .inner_join(categories::table)
                        .inner_join(users::table),
                )
                .filter(thread_tags::tag_id.eq(tag));
            let query = summaries!(tagged, limit_plus_one(limit));
            Ok::<_, Error>(load_list!(
                query,
                conn,
                kind,
                filter,
                cursor,
                thread_tags::thread_created_at,
                thread_tags::thread_id
            ))
        })?,
        None => {
            let all = threads::table
                .inner_join(categories::table)
                .inner_join(users::table);
            let query = summaries!(all, limit_plus_one(limit));
            load_list!(
                query,
                conn,
                kind,
                filter,
                cursor,
                threads::created_at,
                threads::id
            )
        }
    };
    Ok(Page::from_rows(rows, limit, |t| {
        let at = if kind == ListKind::Active {
            t.last_activity_at
        } else {
            t.created_at
        };
        Cursor { at, id: t.id.0 }
    }))
}

/// The rows of the questions `ids` that are not deleted, in the order of `ids` (for search
/// results, which come ranked). One query.
pub fn summaries(conn: &mut DbConn, ids: &[ThreadId]) -> Result<Vec<ThreadSummary>, Error> {
    let all = threads::table
        .inner_join(categories::table)
        .inner_join(users::table);
    let limit = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    let mut rows: Vec<ThreadSummary> = summaries!(all, limit)
        .filter(threads::id.eq_any(ids))
        .load(conn)?;
    let position: std::collections::HashMap<ThreadId, usize> =
        ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    rows.sort_by_key(|t| position.get(&t.id).copied().unwrap_or(usize::MAX));
    Ok(rows)
}

/// The questions pinned in `category`, the latest pinned first, at most `limit`.
pub fn pinned(
    conn: &mut DbConn,
    category: CategoryId,
    limit: i64,
) -> Result<Vec<ThreadSummary>, Error> {
    let all = threads::table
        .inner_join(categories::table)
        .inner_join(users::table);
    Ok(summaries!(all, limit)
        .filter(threads::category_id.eq(category))
        .filter(threads::pinned_at.is_not_null())
        .order((threads::pinned_at.desc(), threads::id.desc()))
        .load(conn)?)
}

/// The latest questions, newest first.
pub fn latest(
    conn: &mut DbConn,
    cursor: Option<Cursor>,
    limit: usize,
) -> Result<Page<ThreadSummary>, Error> {
    list(conn, ListKind::Newest, ListFilter::default(), cursor, limit)
}

/// The thread `id` with its question, its accepted answer and a page of its other answers;
/// `None` if absent. Four queries at most, whatever the number of answers.
pub fn thread(
    conn: &mut DbConn,
    id: ThreadId,
    order: AnswerOrder,
    cursor: Option<AnswerCursor>,
    limit: usize,
    see: SeeDeleted,
) -> Result<Option<ThreadPage>, Error> {
    let head = threads::table
        .find(id)
        .inner_join(categories::table)
        .select((
            threads::id,
            threads::title,
            threads::slug,
            threads::answer_count,
            threads::created_at,
            threads::author_id,
            threads::accepted_answer_id,
            threads::official_answer_id,
            threads::deleted_at.is_not_null(),
            threads::closed_at.is_not_null(),
            threads::view_count,
            threads::locked_at.is_not_null(),
            threads::pinned_at.is_not_null(),
            threads::close_reason,
            threads::waiting_since.is_not_null(),
            categories::id,
            categories::name,
            categories::slug,
        ))
        .first::<ThreadHead>(conn)
        .optional()?;
    let Some(head) = head.filter(|h| see.shows_thread(h.deleted, h.asker)) else {
        return Ok(None);
    };
    let post_columns = (
        posts::id,
        posts::is_question,
        posts::body_html,
        posts::score,
        posts::comment_count,
        posts::created_at,
        posts::updated_at,
        posts::deleted_at.is_not_null(),
        posts::hidden_reason,
        AUTHOR,
        ORIGIN.nullable(),
    );
    // The question and (on the first page) the accepted and official answers, in one query.
    let marked: Vec<PostId> = [head.accepted_answer_id, head.official_answer_id]
        .into_iter()
        .flatten()
        .collect();
    let pinned_ids: Vec<PostId> = match cursor {
        None => marked.clone(),
        Some(_) => Vec::new(),
    };
    let pinned = posts::table
        .inner_join(users::table)
        .left_join(post_origins::table)
        .filter(posts::thread_id.eq(id))
        .filter(
            posts::is_question.or(posts::id
                .eq_any(&pinned_ids)
                .and(posts::deleted_at.is_null())),
        )
        .select(post_columns)
        .load::<PostView>(conn)?;
    let (questions, mut marked_posts): (Vec<PostView>, Vec<PostView>) =
        pinned.into_iter().partition(|p| p.is_question);
    let question = questions.into_iter().next().ok_or(Error::ThreadNotFound)?;
    let mut take = |id: Option<PostId>| {
        let at = marked_posts.iter().position(|p| Some(p.id) == id)?;
        Some(marked_posts.swap_remove(at))
    };
    let accepted = take(head.accepted_answer_id);
    let official = take(head.official_answer_id);

    let mut answers = posts::table
        .inner_join(users::table)
        .left_join(post_origins::table)
        .filter(posts::thread_id.eq(id))
        .filter(posts::is_question.eq(false))
        .select(post_columns)
        .limit(limit_plus_one(limit))
        .into_boxed::<MultiBackend>();
    if !marked.is_empty() {
        answers = answers.filter(posts::id.ne_all(marked));
    }
    answers = match see {
        SeeDeleted::None => answers.filter(posts::deleted_at.is_null()),
        SeeDeleted::Own(viewer) => {
            answers.filter(posts::deleted_at.is_null().or(posts::author_id.eq(viewer)))
        }
        SeeDeleted::All => answers,
    };
    answers = match (order, cursor) {
        (AnswerOrder::Votes, Some(c)) => answers.filter(
            posts::score.lt(c.score).or(posts::score.eq(c.score).and(
                posts::created_at
                    .gt(c.at)
                    .or(posts::created_at.eq(c.at).and(posts::id.gt(c.id))),
            )),
        ),
        (AnswerOrder::Oldest, Some(c)) => answers.filter(
            posts::created_at
                .gt(c.at)
                .or(posts::created_at.eq(c.at).and(posts::id.gt(c.id))),
        ),
        (AnswerOrder::Newest, Some(c)) => answers.filter(
            posts::created_at
                .lt(c.at)
                .or(posts::created_at.eq(c.at).and(posts::id.lt(c.id))),
        ),
        (_, None) => answers,
    };
    answers = match order {
        AnswerOrder::Votes => answers.order((
            posts::score.desc(),
            posts::created_at.asc(),
            posts::id.asc(),
        )),
        AnswerOrder::Oldest => answers.order((posts::created_at.asc(), posts::id.asc())),
        AnswerOrder::Newest => answers.order((posts::created_at.desc(), posts::id.desc())),
    };
    let answers = Page::from_rows(answers.load::<PostView>(conn)?, limit, AnswerCursor::of);
    Ok(Some(ThreadPage {
        head,
        question,
        accepted,
        official,
        answers,
    }))
}

/// The thread's asker, for the policy ("the asker may accept an answer").
pub fn asker(conn: &mut DbConn, id: ThreadId) -> Result<UserId, Error> {
    threads::table
        .find(id)
        .filter(threads::deleted_at.is_null())
        .select(threads::author_id)
        .first(conn)
        .optional()?
        .ok_or(Error::ThreadNotFound)
}

/// The id of the newest thread ever asked (deleted or not; 0 when there is none): it moves
/// when, and only when, a question is asked. One index lookup.
pub fn newest_id(conn: &mut DbConn) -> Result<i64, Error> {
    let newest: Option<i64> = threads::table
        .select(diesel::dsl::max(threads::id))
        .first(conn)?;
    Ok(newest.unwrap_or_default())
}

/// The thread's current URL slug, whether or not it is deleted.
pub fn slug(conn: &mut DbConn, id: ThreadId) -> Result<String, Error> {
    visible_slug(conn, id, SeeDeleted::All)?.ok_or(Error::ThreadNotFound)
}

/// The URL slug of a thread the reader may see (`None`: none, or hidden from them).
pub fn visible_slug(
    conn: &mut DbConn,
    id: ThreadId,
    see: SeeDeleted,
) -> Result<Option<String>, Error> {
    let thread = threads::table
        .find(id)
        .select((
            threads::slug,
            threads::deleted_at.is_not_null(),
            threads::author_id,
        ))
        .first::<(String, bool, UserId)>(conn)
        .optional()?;
    Ok(thread
        .filter(|&(_, deleted, asker)| see.shows_thread(deleted, asker))
        .map(|(slug, ..)| slug))
}

/// The thread and URL slug a post belongs to.
pub fn post_location(conn: &mut DbConn, post: PostId) -> Result<(ThreadId, String), Error> {
    posts::table
        .inner_join(threads::table)
        .filter(posts::id.eq(post))
        .select((threads::id, threads::slug))
        .first(conn)
        .optional()?
        .ok_or(Error::PostNotFound)
}

/// Whether a thread takes new answers and comments, for the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable)]
pub struct ThreadStatus {
    pub locked: bool,
    pub closed: bool,
}

/// Whether `user` wrote a post in `thread`, deleted ones included (their page then differs
/// from other members': edit and delete links, their deleted posts).
pub fn has_written_in(conn: &mut DbConn, user: UserId, thread: ThreadId) -> Result<bool, Error> {
    Ok(diesel::select(diesel::dsl::exists(
        posts::table
            .filter(posts::author_id.eq(user))
            .filter(posts::thread_id.eq(thread)),
    ))
    .get_result(conn)?)
}

/// Whether `thread` is locked or closed; a deleted thread is not found.
pub fn status(conn: &mut DbConn, thread: ThreadId) -> Result<ThreadStatus, Error> {
    threads::table
        .find(thread)
        .filter(threads::deleted_at.is_null())
        .select((
            threads::locked_at.is_not_null(),
            threads::closed_at.is_not_null(),
        ))
        .first(conn)
        .optional()?
        .ok_or(Error::ThreadNotFound)
}

/// Adds counted views to threads, all in one transaction: `(thread, views)` pairs.
pub fn add_views(conn: &mut DbConn, counted: &[(ThreadId, i64)]) -> Result<(), Error> {
    for (thread, views) in counted {
        diesel::update(threads::table.find(*thread))
            .set(threads::view_count.eq(threads::view_count + views))
            .execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_cursors_round_trip() {
        let c = AnswerCursor {
            score: -3,
            at: stoa_db::time::now(),
            id: PostId(9),
        };
        assert_eq!(AnswerCursor::parse(&c.encode()), Some(c));
        assert_eq!(AnswerCursor::parse("x_1_2"), None);
    }
}
