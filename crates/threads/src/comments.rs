//! Comments: short remarks under a question or an answer, in a Markdown subset (emphasis,
//! code, links; no images, headings or blocks).

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use stoa_db::schema::{comments, posts};
use stoa_db::{CommentId, DbConn, PostId, ThreadId, UserId, time::now};
use time::PrimitiveDateTime;

use crate::{Error, IdempotencyKey, markdown};

/// Longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 600;
/// Comments shown under a post before "show all".
pub const SHOWN_PER_POST: i64 = 5;

/// A comment's text, parsed at the edge: 2 to 600 characters.
#[derive(Debug, Clone)]
pub struct CommentText(String);

impl CommentText {
    pub fn parse(input: &str) -> Result<Self, Error> {
        let text = input.trim().replace("\r\n", "\n");
        let len = text.chars().count();
        if len < 2 {
            return Err(Error::InvalidComment("Write a comment first.".into()));
        }
        if len > MAX_COMMENT_CHARS {
            return Err(Error::InvalidComment(format!(
                "Keep comments under {MAX_COMMENT_CHARS} characters (this one has {len}); a longer text fits better in an answer."
            )));
        }
        if text.contains('\0') {
            return Err(Error::InvalidComment(
                "The text contains a NUL character.".into(),
            ));
        }
        Ok(CommentText(text))
    }
}

/// A comment, ready to show.
#[derive(Debug, Clone, QueryableByName)]
pub struct CommentView {
    #[diesel(sql_type = BigInt)]
    pub id: CommentId,
    #[diesel(sql_type = BigInt)]
    pub post_id: PostId,
    #[diesel(sql_type = Text)]
    pub body_html: String,
    #[diesel(sql_type = Timestamp)]
    pub created_at: PrimitiveDateTime,
    #[diesel(sql_type = BigInt)]
    pub author_id: UserId,
    #[diesel(sql_type = Text)]
    pub username: String,
    #[diesel(sql_type = Text)]
    pub display_name: String,
}

/// Adds a comment to `post`; a repeated form submission returns the first comment. Call
/// inside a write transaction.
pub fn add(
    conn: &mut DbConn,
    author: UserId,
    post: PostId,
    text: &CommentText,
    key: Option<&IdempotencyKey>,
) -> Result<CommentId, Error> {
    if let Some(earlier) = earlier_comment(conn, author, key)? {
        return Ok(earlier);
    }
    let write = |conn: &mut DbConn| {
        let thread: ThreadId = diesel::update(
            posts::table
                .find(post)
                .filter(posts::deleted_at.is_null())
                .filter(posts::thread_id.eq_any(crate::votes::live_threads())),
        )
        .set(posts::comment_count.eq(posts::comment_count + 1))
        .returning(posts::thread_id)
        .get_result(conn)
        .optional()?
        .ok_or(Error::PostNotFound)?;
        let known = markdown::known_mentions(conn, &text.0)?;
        let id = diesel::insert_into(comments::table)
            .values((
                comments::post_id.eq(post),
                comments::author_id.eq(author),
                comments::body_source.eq(&text.0),
                comments::body_html.eq(markdown::render_inline_mentioning(&text.0, &known)),
                comments::idempotency_key.eq(key.map(IdempotencyKey::as_str)),
                comments::created_at.eq(now()),
            ))
            .returning(comments::id)
            .get_result(conn)?;
        stoa_search::sync::post_changed(conn, thread, post)?;
        Ok(id)
    };
    crate::once_per_key(conn, key.is_some(), write, |conn| {
        earlier_comment(conn, author, key)
    })
}

fn earlier_comment(
    conn: &mut DbConn,
    author: UserId,
    key: Option<&IdempotencyKey>,
) -> Result<Option<CommentId>, Error> {
    let Some(key) = key else { return Ok(None) };
    Ok(comments::table
        .filter(comments::author_id.eq(author))
        .filter(comments::idempotency_key.eq(key.as_str()))
        .select(comments::id)
        .first::<CommentId>(conn)
        .optional()?)
}

/// The latest few comments of each of `posts` (at most [`SHOWN_PER_POST`] each), oldest first,
/// in one query; with `all_of`, every comment of that one post.
pub fn for_posts(
    conn: &mut DbConn,
    posts: &[PostId],
    all_of: Option<PostId>,
) -> Result<HashMap<PostId, Vec<CommentView>>, Error> {
    if posts.is_empty() {
        return Ok(HashMap::new());
    }
    // The ids are integers from our own database, so they are written into the SQL; a window
    // function numbers each post's comments, newest first, and keeps the first few.
    let ids = posts
        .iter()
        .map(|p| p.0.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let expanded = all_of.map_or(-1, |p| p.0);
    let sql = format!(
        "SELECT id, post_id, body_html, created_at, author_id, username, display_name FROM (
             SELECT c.id, c.post_id, c.body_html, c.created_at, c.author_id, u.username, u.display_name,
                    ROW_NUMBER() OVER (PARTITION BY c.post_id ORDER BY c.created_at DESC, c.id DESC) AS n
             FROM comments c JOIN users u ON u.id = c.author_id
             WHERE c.post_id IN ({ids})
         ) numbered
         WHERE n <= {SHOWN_PER_POST} OR post_id = {expanded}
         ORDER BY post_id, created_at, id"
    );
    let rows: Vec<CommentView> = diesel::sql_query(sql).load(conn)?;
    let mut by_post: HashMap<PostId, Vec<CommentView>> = HashMap::new();
    for row in rows {
        by_post.entry(row.post_id).or_default().push(row);
    }
    Ok(by_post)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_length_is_checked() {
        assert!(CommentText::parse(" ").is_err());
        assert!(CommentText::parse(&"x".repeat(600)).is_ok());
        let too_long = CommentText::parse(&"x".repeat(601));
        assert!(too_long.is_err_and(|e| e.to_string().contains("under 600 characters")));
    }
}
