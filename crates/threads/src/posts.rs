//! Writing posts: asking a question (a new thread with its first post) and answering one.
//! Markdown is rendered here, once; both the source and the HTML are stored.

use diesel::prelude::*;
use stoa_db::schema::{posts, threads};
use stoa_db::{CategoryId, DbConn, PostId, ThreadId, UserId, time::now};

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

/// Asks a question in `category`. Call inside a write transaction.
pub fn ask(
    conn: &mut DbConn,
    author: UserId,
    category: CategoryId,
    title: &Title,
    body: &Body,
    key: Option<&IdempotencyKey>,
) -> Result<Posted, Error> {
    if let Some(earlier) = earlier_submission(conn, author, key)? {
        return Ok(earlier);
    }
    if categories::find(conn, category)?.is_none() {
        return Err(Error::InvalidCategory(
            "Choose one of the listed categories.".into(),
        ));
    }
    settle_race(conn, author, key, |conn| {
        insert_thread(conn, author, category, title, body, key)
    })
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

fn insert_thread(
    conn: &mut DbConn,
    author: UserId,
    category: CategoryId,
    title: &Title,
    body: &Body,
    key: Option<&IdempotencyKey>,
) -> Result<Posted, Error> {
    let at = now();
    let slug = slug_for(title.as_str());
    let thread_id = diesel::insert_into(threads::table)
        .values((
            threads::category_id.eq(category),
            threads::author_id.eq(author),
            threads::title.eq(title.as_str()),
            threads::slug.eq(&slug),
            threads::created_at.eq(at),
            threads::last_activity_at.eq(at),
        ))
        .returning(threads::id)
        .get_result::<ThreadId>(conn)?;
    let post_id = insert_post(conn, thread_id, author, true, body, key)?;
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
    body: &Body,
    key: Option<&IdempotencyKey>,
) -> Result<Posted, Error> {
    if let Some(earlier) = earlier_submission(conn, author, key)? {
        return Ok(earlier);
    }
    settle_race(conn, author, key, |conn| {
        let slug = diesel::update(threads::table.find(thread))
            .set((
                threads::answer_count.eq(threads::answer_count + 1),
                threads::last_activity_at.eq(now()),
            ))
            .returning(threads::slug)
            .get_result::<String>(conn)
            .optional()?
            .ok_or(Error::ThreadNotFound)?;
        let post_id = insert_post(conn, thread, author, false, body, key)?;
        Ok(Posted {
            thread_id: thread,
            slug,
            post_id,
            created: true,
        })
    })
}

fn insert_post(
    conn: &mut DbConn,
    thread: ThreadId,
    author: UserId,
    is_question: bool,
    body: &Body,
    key: Option<&IdempotencyKey>,
) -> Result<PostId, Error> {
    let at = now();
    Ok(diesel::insert_into(posts::table)
        .values((
            posts::thread_id.eq(thread),
            posts::author_id.eq(author),
            posts::is_question.eq(is_question),
            posts::body_source.eq(body.as_str()),
            posts::body_html.eq(markdown::render(body.as_str())),
            posts::idempotency_key.eq(key.map(IdempotencyKey::as_str)),
            posts::created_at.eq(at),
            posts::updated_at.eq(at),
        ))
        .returning(posts::id)
        .get_result::<PostId>(conn)?)
}

/// Marks `answer` as the accepted answer of `thread`, or clears it (`None`). One column holds
/// it, so concurrent accepts leave exactly one accepted answer: the last one written.
pub fn set_accepted(
    conn: &mut DbConn,
    thread: ThreadId,
    answer: Option<PostId>,
) -> Result<(), Error> {
    if let Some(answer) = answer {
        let belongs: i64 = posts::table
            .filter(posts::id.eq(answer))
            .filter(posts::thread_id.eq(thread))
            .filter(posts::is_question.eq(false))
            .count()
            .get_result(conn)?;
        if belongs == 0 {
            return Err(Error::NotAnAnswerHere);
        }
    }
    let updated = diesel::update(threads::table.find(thread))
        .set(threads::accepted_answer_id.eq(answer))
        .execute(conn)?;
    if updated == 0 {
        Err(Error::ThreadNotFound)
    } else {
        Ok(())
    }
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
