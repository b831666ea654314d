//! Writing posts: asking a question (a new thread with its first post) and answering one.
//! Markdown is rendered here, once; both the source and the HTML are stored.

use diesel::prelude::*;
use stoa_db::prepared::PreparedSql;
use stoa_db::schema::{posts, threads};
use stoa_db::{CategoryId, DbConn, PostId, ThreadId, UserId, time::now};
use stoa_search::sync as search;

use crate::revisions::{self, NewRevision};
use crate::tags::{self, TagName};
use crate::{Body, Error, IdempotencyKey, Title, categories, markdown};

/// Where a write landed. `created` is false when the same form was submitted before and the
/// earlier post is returned instead of a second copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub thread_id: ThreadId,
    /// The thread's URL slug, for the redirect to it.
    pub slug: String,
    pub post_id: PostId,
    pub created: bool,
}

/// The URL slug for a title (transliterated to ASCII; `question` when nothing is left).
pub fn slug_for(title: &str) -> String {
    let mut slug = slug::slugify(title);
    if slug.len() > 80 {
        let cut = slug[..80].rfind('-').unwrap_or(80);
        slug.truncate(cut);
    }
    if slug.is_empty() {
        "question".to_owned()
    } else {
        slug
    }
}

fn earlier_submission(
    conn: &mut DbConn,
    author: UserId,
    key: Option<&IdempotencyKey>,
) -> Result<Option<Posted>, Error> {
    let Some(key) = key else { return Ok(None) };
    let found = posts::table
        .inner_join(threads::table)
        .filter(posts::author_id.eq(author))
        .filter(posts::idempotency_key.eq(key.as_str()))
        .select((posts::thread_id, threads::slug, posts::id))
        .first::<(ThreadId, String, PostId)>(conn)
        .optional()?;
    Ok(found.map(|(thread_id, slug, post_id)| Posted {
        thread_id,
        slug,
        post_id,
        created: false,
    }))
}

/// A question to ask.
#[derive(Debug, Clone, Copy)]
pub struct NewQuestion<'a> {
    pub author: UserId,
    pub category: CategoryId,
    pub title: &'a Title,
    pub body: &'a Rendered<'a>,
    pub tags: &'a [TagName],
    /// Whether tags that do not exist yet may be created (the policy's answer).
    pub may_create_tags: bool,
    pub key: Option<&'a IdempotencyKey>,
}

/// A post's text and its HTML, rendered before the write transaction: on SQLite every writer
/// waits for the one whose turn it is, and that turn need not be spent on Markdown.
#[derive(Debug)]
pub struct Rendered<'a> {
    pub source: &'a Body,
    html: String,
}

impl<'a> Rendered<'a> {
    /// Renders `body`, linking the members it mentions who exist.
    pub fn new(conn: &mut DbConn, body: &'a Body) -> Result<Rendered<'a>, Error> {
        let known = markdown::known_mentions(conn, body.as_str())?;
        Ok(Rendered {
            source: body,
            html: markdown::render_mentioning(body.as_str(), &known),
        })
    }
}

/// Asks a question: a new thread, its first post, its tags and the post's first revision.
/// Call inside a write transaction.
pub fn ask(conn: &mut DbConn, question: NewQuestion<'_>) -> Result<Posted, Error> {
    let NewQuestion { author, key, .. } = question;
    if let Some(earlier) = earlier_submission(conn, author, key)? {
        return Ok(earlier);
    }
    if categories::find(conn, question.category)?.is_none() {
        return Err(Error::InvalidCategory(
            "Choose one of the listed categories.".into(),
        ));
    }
    let tag_ids = tags::resolve(conn, question.tags, question.may_create_tags)?;
    settle_race(conn, author, key, |conn| {
        let posted = insert_thread(conn, &question)?;
        tags::set_for_thread(conn, posted.thread_id, &tag_ids)?;
        search::thread_changed(conn, posted.thread_id)?;
        revisions::record(
            conn,
            NewRevision {
                post: posted.post_id,
                editor: author,
                title: Some(question.title.as_str()),
                tags: Some(&tag_list(question.tags)),
                body: question.body.source.as_str(),
                reason: "",
            },
        )?;
        Ok(posted)
    })
}

/// Tag names as a revision stores them.
pub fn tag_list(tags: &[TagName]) -> String {
    tags.iter()
        .map(TagName::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `write` as a form submission keyed by `key` (see [`crate::once_per_key`]).
fn settle_race(
    conn: &mut DbConn,
    author: UserId,
    key: Option<&IdempotencyKey>,
    write: impl FnOnce(&mut DbConn) -> Result<Posted, Error>,
) -> Result<Posted, Error> {
    crate::once_per_key(conn, key.is_some(), write, |conn| {
        earlier_submission(conn, author, key)
    })
}

fn insert_thread(conn: &mut DbConn, question: &NewQuestion<'_>) -> Result<Posted, Error> {
    let at = now();
    let slug = slug_for(question.title.as_str());
    let thread_id = diesel::insert_into(threads::table)
        .values((
            threads::category_id.eq(question.category),
            threads::author_id.eq(question.author),
            threads::title.eq(question.title.as_str()),
            threads::slug.eq(&slug),
            threads::created_at.eq(at),
            threads::last_activity_at.eq(at),
        ))
        .returning(threads::id)
        .get_result::<ThreadId>(conn)?;
    let post_id = insert_post(
        conn,
        thread_id,
        question.author,
        true,
        question.body,
        question.key,
    )?;
    Ok(Posted {
        thread_id,
        slug,
        post_id,
        created: true,
    })
}

/// Answers the question of `thread`. Call inside a write transaction.
pub fn answer(
    conn: &mut DbConn,
    author: UserId,
    thread: ThreadId,
    body: &Rendered<'_>,
    key: Option<&IdempotencyKey>,
) -> Result<Posted, Error> {
    if let Some(earlier) = earlier_submission(conn, author, key)? {
        return Ok(earlier);
    }
    let closed: Option<bool> = threads::table
        .find(thread)
        .filter(threads::deleted_at.is_null())
        .select(threads::closed_at.is_not_null())
        .first(conn)
        .optional()?;
    match closed {
        None => return Err(Error::ThreadNotFound),
        Some(true) => return Err(Error::ThreadClosed),
        Some(false) => {}
    }
    settle_race(conn, author, key, |conn| {
        // Kept prepared (diesel compiles each of its own UPDATEs again), as this runs in the
        // one writer's turn for every answer.
        let params = [thread.0.into(), now().into()];
        let slug = PreparedSql::new(
            "UPDATE threads SET answer_count = answer_count + 1, last_activity_at = $2
             WHERE id = $1 AND deleted_at IS NULL RETURNING slug",
            &params,
        )
        .get_result::<ThreadSlug>(conn)
        .optional()?
        .ok_or(Error::ThreadNotFound)?
        .slug;
        let post_id = insert_post(conn, thread, author, false, body, key)?;
        search::answer_added(conn, thread, post_id)?;
        let first = NewRevision {
            post: post_id,
            editor: author,
            title: None,
            tags: None,
            body: body.source.as_str(),
            reason: "",
        };
        revisions::record(conn, first)?;
        Ok(Posted {
            thread_id: thread,
            slug,
            post_id,
            created: true,
        })
    })
}

/// The slug an answer's thread update returns.
#[derive(QueryableByName)]
struct ThreadSlug {
    #[diesel(sql_type = diesel::sql_types::Text)]
    slug: String,
}

fn insert_post(
    conn: &mut DbConn,
    thread: ThreadId,
    author: UserId,
    is_question: bool,
    body: &Rendered<'_>,
    key: Option<&IdempotencyKey>,
) -> Result<PostId, Error> {
    let at = now();
    Ok(diesel::insert_into(posts::table)
        .values((
            posts::thread_id.eq(thread),
            posts::author_id.eq(author),
            posts::is_question.eq(is_question),
            posts::body_source.eq(body.source.as_str()),
            posts::body_html.eq(&body.html),
            posts::idempotency_key.eq(key.map(IdempotencyKey::as_str)),
            posts::created_at.eq(at),
            posts::updated_at.eq(at),
        ))
        .returning(posts::id)
        .get_result::<PostId>(conn)?)
}

/// An edit of a post.
#[derive(Debug, Clone, Copy)]
pub struct Edit<'a> {
    pub post: PostId,
    pub editor: UserId,
    /// The revision the editor started from; a newer one means someone else edited meanwhile.
    pub base_revision: i64,
    /// Questions only: the new title and tags.
    pub title: Option<&'a Title>,
    pub tags: Option<&'a [TagName]>,
    pub may_create_tags: bool,
    pub body: &'a Body,
    pub reason: &'a str,
}

/// What an edit form starts from.
#[derive(Debug, Clone)]
pub struct Editable {
    pub post: PostId,
    pub author: UserId,
    pub is_question: bool,
    pub title: String,
    pub tags: String,
    pub body_source: String,
    pub revision: i64,
}

/// Loads a post for its edit form.
pub fn editable(conn: &mut DbConn, post: PostId) -> Result<Editable, Error> {
    let (author, is_question, body_source, thread, title): (
        UserId,
        bool,
        String,
        ThreadId,
        String,
    ) = posts::table
        .inner_join(threads::table)
        .filter(posts::id.eq(post))
        .filter(posts::deleted_at.is_null())
        .filter(threads::deleted_at.is_null())
        .select((
            posts::author_id,
            posts::is_question,
            posts::body_source,
            threads::id,
            threads::title,
        ))
        .first(conn)
        .optional()?
        .ok_or(Error::PostNotFound)?;
    let tags = tags::for_threads(conn, &[thread])?
        .remove(&thread)
        .unwrap_or_default()
        .join(" ");
    let revision = revisions::latest(conn, post)?;
    Ok(Editable {
        post,
        author,
        is_question,
        title,
        tags,
        body_source,
        revision,
    })
}

/// Saves an edit: the post's text (rendered again), a question's title, slug and tags, and a
/// new revision. Refused when someone else saved a revision after `base_revision`. Call inside
/// a write transaction.
pub fn edit(conn: &mut DbConn, edit: Edit<'_>) -> Result<(ThreadId, String), Error> {
    if edit.reason.chars().count() > 200 || edit.reason.chars().any(char::is_control) {
        return Err(Error::InvalidBody(
            "Keep the reason for the edit to one line of at most 200 characters.".into(),
        ));
    }
    // Lock the post and its thread first: two saves of the same post (or a save and a delete)
    // take turns, and the second sees the first's revision.
    let (thread, is_question): (ThreadId, bool) = diesel::update(
        posts::table
            .find(edit.post)
            .filter(posts::deleted_at.is_null()),
    )
    .set(posts::updated_at.eq(posts::updated_at))
    .returning((posts::thread_id, posts::is_question))
    .get_result(conn)
    .optional()?
    .ok_or(Error::PostNotFound)?;
    let thread_live = diesel::update(
        threads::table
            .find(thread)
            .filter(threads::deleted_at.is_null()),
    )
    .set(threads::id.eq(threads::id))
    .execute(conn)?;
    if thread_live == 0 {
        return Err(Error::PostNotFound);
    }
    if revisions::latest(conn, edit.post)? != edit.base_revision {
        return Err(Error::EditConflict);
    }
    let at = now();
    let known = markdown::known_mentions(conn, edit.body.as_str())?;
    diesel::update(posts::table.find(edit.post))
        .set((
            posts::body_source.eq(edit.body.as_str()),
            posts::body_html.eq(markdown::render_mentioning(edit.body.as_str(), &known)),
            posts::updated_at.eq(at),
        ))
        .execute(conn)?;
    let (title, tag_names) = if is_question {
        (edit.title, edit.tags)
    } else {
        (None, None)
    };
    if let Some(title) = title {
        diesel::update(threads::table.find(thread))
            .set((
                threads::title.eq(title.as_str()),
                threads::slug.eq(slug_for(title.as_str())),
            ))
            .execute(conn)?;
    }
    if let Some(names) = tag_names {
        let ids = tags::resolve(conn, names, edit.may_create_tags)?;
        tags::set_for_thread(conn, thread, &ids)?;
    }
    let slug: String = diesel::update(threads::table.find(thread))
        .set(threads::last_activity_at.eq(at))
        .returning(threads::slug)
        .get_result(conn)?;
    search::post_changed(conn, thread, edit.post)?;
    let tag_text = tag_names.map(tag_list);
    revisions::record(
        conn,
        NewRevision {
            post: edit.post,
            editor: edit.editor,
            title: title.map(Title::as_str),
            tags: tag_text.as_deref(),
            body: edit.body.as_str(),
            reason: edit.reason,
        },
    )?;
    Ok((thread, slug))
}

/// A mark one answer of a thread carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerMark {
    /// The asker's (or staff's) choice: the answer that solved it.
    Accepted,
    /// The business's own answer, shown under the question even when another is accepted.
    Official,
}

/// Gives `answer` the `mark` in `thread`, or clears it (`None`). One column holds each mark,
/// so concurrent marks leave exactly one answer marked: the last one written.
pub fn set_mark(
    conn: &mut DbConn,
    thread: ThreadId,
    mark: AnswerMark,
    answer: Option<PostId>,
) -> Result<(), Error> {
    if let Some(answer) = answer {
        let belongs: i64 = posts::table
            .filter(posts::id.eq(answer))
            .filter(posts::thread_id.eq(thread))
            .filter(posts::is_question.eq(false))
            .filter(posts::deleted_at.is_null())
            .count()
            .get_result(conn)?;
        if belongs == 0 {
            return Err(Error::NotAnAnswerHere);
        }
    }
    let live = threads::table
        .find(thread)
        .filter(threads::deleted_at.is_null());
    let updated = match mark {
        AnswerMark::Accepted => diesel::update(live)
            .set(threads::accepted_answer_id.eq(answer))
            .execute(conn)?,
        AnswerMark::Official => diesel::update(live)
            .set(threads::official_answer_id.eq(answer))
            .execute(conn)?,
    };
    if updated == 0 {
        return Err(Error::ThreadNotFound);
    }
    search::thread_facts_changed(conn, thread)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::slug_for;

    #[test]
    fn slugs_are_ascii_and_bounded() {
        assert_eq!(
            slug_for("How do I reset my router?"),
            "how-do-i-reset-my-router"
        );
        assert_eq!(slug_for("Ünïcödé ça marche"), "unicode-ca-marche");
        assert_eq!(slug_for("???"), "question");
        assert!(slug_for(&"word ".repeat(40)).len() <= 80);
    }
}
