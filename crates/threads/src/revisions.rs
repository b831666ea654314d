//! Post history: every version of every post, who made it, when and why, and the difference
//! between two versions.

use diesel::prelude::*;
use similar::{ChangeTag, TextDiff};
use stoa_db::page::Page;
use stoa_db::schema::{post_revisions, users};
use stoa_db::{DbConn, MultiBackend, PostId, UserId, time::now};
use time::PrimitiveDateTime;

use crate::Error;

/// One version of a post.
#[derive(Debug, Clone, Queryable)]
pub struct RevisionView {
    pub id: i64,
    pub title: Option<String>,
    pub tags: Option<String>,
    pub body_source: String,
    pub reason: String,
    pub created_at: PrimitiveDateTime,
    pub editor_username: String,
    pub editor_display_name: String,
}

impl RevisionView {
    /// The version as one text (title and tags first, for questions), for diffs.
    fn as_text(&self) -> String {
        let mut text = String::new();
        if let Some(title) = &self.title {
            text.push_str(&format!("Title: {title}\n"));
        }
        if let Some(tags) = &self.tags {
            text.push_str(&format!("Tags: {tags}\n"));
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&self.body_source);
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text
    }
}

/// What a new version says.
#[derive(Debug, Clone, Copy)]
pub struct NewRevision<'a> {
    pub post: PostId,
    pub editor: UserId,
    pub title: Option<&'a str>,
    pub tags: Option<&'a str>,
    pub body: &'a str,
    pub reason: &'a str,
}

/// Stores a version; returns its id. Call inside the write transaction that changes the post.
pub fn record(conn: &mut DbConn, revision: NewRevision<'_>) -> Result<i64, Error> {
    record_at(conn, revision, now())
}

/// Stores a version made at `at` (an imported post's first version keeps its original time).
pub fn record_at(
    conn: &mut DbConn,
    revision: NewRevision<'_>,
    at: PrimitiveDateTime,
) -> Result<i64, Error> {
    Ok(diesel::insert_into(post_revisions::table)
        .values((
            post_revisions::post_id.eq(revision.post),
            post_revisions::editor_id.eq(revision.editor),
            post_revisions::title.eq(revision.title),
            post_revisions::tags.eq(revision.tags),
            post_revisions::body_source.eq(revision.body),
            post_revisions::reason.eq(revision.reason.trim()),
            post_revisions::created_at.eq(at),
        ))
        .returning(post_revisions::id)
        .get_result(conn)?)
}

/// The id of the post's latest version (what an edit form was based on).
pub fn latest(conn: &mut DbConn, post: PostId) -> Result<i64, Error> {
    post_revisions::table
        .filter(post_revisions::post_id.eq(post))
        .select(diesel::dsl::max(post_revisions::id))
        .first::<Option<i64>>(conn)?
        .ok_or(Error::PostNotFound)
}

/// A page of the post's versions, newest first, `limit` per page, older than `before`. Each
/// page holds one extra, older version when there is one, so every shown version can be
/// compared with the one before it.
pub fn list(
    conn: &mut DbConn,
    post: PostId,
    before: Option<i64>,
    limit: usize,
) -> Result<Page<RevisionView, i64>, Error> {
    let mut query = post_revisions::table
        .inner_join(users::table)
        .filter(post_revisions::post_id.eq(post))
        .select((
            post_revisions::id,
            post_revisions::title,
            post_revisions::tags,
            post_revisions::body_source,
            post_revisions::reason,
            post_revisions::created_at,
            users::username,
            users::display_name,
        ))
        .order(post_revisions::id.desc())
        .limit(i64::try_from(limit).unwrap_or(20) + 1)
        .into_boxed::<MultiBackend>();
    if let Some(before) = before {
        query = query.filter(post_revisions::id.lt(before));
    }
    let rows = query.load::<RevisionView>(conn)?;
    let mut page = Page::from_rows(rows.clone(), limit, |r| r.id);
    // Keep the version just past the page, to diff the page's last one against.
    if let Some(older) = rows.get(limit) {
        page.items.push(older.clone());
    }
    Ok(page)
}

/// How a line changed between two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineChange {
    Same,
    Added,
    Removed,
}

/// The line-by-line difference from `old` to `new` (with `None`, the whole of `new` is added).
pub fn diff(old: Option<&RevisionView>, new: &RevisionView) -> Vec<(LineChange, String)> {
    let old_text = old.map(RevisionView::as_text).unwrap_or_default();
    let new_text = new.as_text();
    TextDiff::from_lines(&old_text, &new_text)
        .iter_all_changes()
        .map(|change| {
            let kind = match change.tag() {
                ChangeTag::Equal => LineChange::Same,
                ChangeTag::Insert => LineChange::Added,
                ChangeTag::Delete => LineChange::Removed,
            };
            (kind, change.value().trim_end_matches('\n').to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(title: &str, body: &str) -> RevisionView {
        RevisionView {
            id: 1,
            title: Some(title.into()),
            tags: Some("billing".into()),
            body_source: body.into(),
            reason: String::new(),
            created_at: now(),
            editor_username: "a".into(),
            editor_display_name: "A".into(),
        }
    }

    #[test]
    fn the_diff_shows_changed_lines() {
        let old = version("Old title", "line one\nline two\n");
        let new = version("New title", "line one\nline 2\n");
        let changes = diff(Some(&old), &new);
        assert!(changes.contains(&(LineChange::Removed, "Title: Old title".into())));
        assert!(changes.contains(&(LineChange::Added, "Title: New title".into())));
        assert!(changes.contains(&(LineChange::Same, "line one".into())));
        assert!(changes.contains(&(LineChange::Removed, "line two".into())));
        assert!(changes.contains(&(LineChange::Added, "line 2".into())));
    }
}
