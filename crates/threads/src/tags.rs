//! Tags on questions: up to five, lower case with hyphens. New tags are created by members the
//! community allows to (the caller decides with the policy and says so with `may_create`).

use std::collections::HashMap;

use diesel::prelude::*;
use stoa_db::schema::{tags, thread_tags, threads};
use stoa_db::{DbConn, TagId, ThreadId, time::now};

use crate::Error;

/// Most tags on one question.
pub const MAX_TAGS: usize = 5;

/// A normalised tag name: 1–35 characters of `a-z`, `0-9`, `+`, `#`, `.` and inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TagName(String);

impl TagName {
    pub fn parse(input: &str) -> Result<Self, Error> {
        let name: String = input
            .trim()
            .to_lowercase()
            .chars()
            .map(|c| {
                if c.is_whitespace() || c == '_' {
                    '-'
                } else {
                    c
                }
            })
            .collect();
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "+#.-".contains(c);
        if name.is_empty() || name.chars().count() > 35 {
            return Err(Error::InvalidTags(format!(
                "A tag has 1 to 35 characters: {input:?} does not fit."
            )));
        }
        let has_word = name.chars().any(|c| c.is_ascii_alphanumeric());
        if !name.chars().all(allowed) || !has_word || name.starts_with('-') || name.ends_with('-') {
            return Err(Error::InvalidTags(format!(
                "Tags use letters a–z, digits, '+', '#', '.' and hyphens between words: {input:?} does not fit."
            )));
        }
        Ok(TagName(name))
    }

    /// Reads a tag field: names separated by spaces or commas, at most five, duplicates dropped.
    pub fn parse_list(input: &str) -> Result<Vec<TagName>, Error> {
        let mut names: Vec<TagName> = Vec::new();
        for word in input
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
        {
            let name = TagName::parse(word)?;
            if !names.contains(&name) {
                names.push(name);
            }
        }
        if names.len() > MAX_TAGS {
            return Err(Error::InvalidTags(format!(
                "Use at most {MAX_TAGS} tags (there are {}).",
                names.len()
            )));
        }
        Ok(names)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tag as shown.
#[derive(Debug, Clone, Queryable)]
pub struct TagView {
    pub id: TagId,
    pub name: String,
    pub description: String,
    pub question_count: i32,
}

const TAG_COLUMNS: (
    tags::id,
    tags::name,
    tags::description,
    tags::question_count,
) = (
    tags::id,
    tags::name,
    tags::description,
    tags::question_count,
);

/// The ids of `names`, creating the missing ones if `may_create`; otherwise a missing tag is
/// an error that names it.
pub fn resolve(
    conn: &mut DbConn,
    names: &[TagName],
    may_create: bool,
) -> Result<Vec<TagId>, Error> {
    let wanted: Vec<&str> = names.iter().map(TagName::as_str).collect();
    let existing: HashMap<String, TagId> = tags::table
        .filter(tags::name.eq_any(&wanted))
        .select((tags::name, tags::id))
        .load(conn)?
        .into_iter()
        .collect();
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let id = match existing.get(name.as_str()) {
            Some(id) => *id,
            None if may_create => create(conn, name)?,
            None => {
                return Err(Error::InvalidTags(format!(
                    "There is no tag \"{}\" yet, and your role cannot create tags. Choose from the suggested ones.",
                    name.as_str()
                )));
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

/// Creates a tag. If someone created the same one a moment ago (on PostgreSQL both can miss
/// it), a savepoint rolls back this insert and theirs is used.
fn create(conn: &mut DbConn, name: &TagName) -> Result<TagId, Error> {
    use diesel::Connection;
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(tags::table)
            .values((tags::name.eq(name.as_str()), tags::created_at.eq(now())))
            .returning(tags::id)
            .get_result::<TagId>(conn)
            .map_err(|e| Error::Db(e.into()))
    });
    match inserted {
        Err(Error::Db(e)) if e.is_unique_violation() => Ok(tags::table
            .filter(tags::name.eq(name.as_str()))
            .select(tags::id)
            .first(conn)?),
        other => other,
    }
}

/// Gives `thread` exactly the tags `ids`, keeping each tag's question count right. Call
/// inside a write transaction.
pub fn set_for_thread(conn: &mut DbConn, thread: ThreadId, ids: &[TagId]) -> Result<(), Error> {
    let current: Vec<TagId> = thread_tags::table
        .filter(thread_tags::thread_id.eq(thread))
        .select(thread_tags::tag_id)
        .load(conn)?;
    let removed: Vec<TagId> = current
        .iter()
        .filter(|t| !ids.contains(t))
        .copied()
        .collect();
    let added: Vec<TagId> = ids
        .iter()
        .filter(|t| !current.contains(t))
        .copied()
        .collect();
    if !removed.is_empty() {
        diesel::delete(
            thread_tags::table
                .filter(thread_tags::thread_id.eq(thread))
                .filter(thread_tags::tag_id.eq_any(&removed)),
        )
        .execute(conn)?;
        diesel::update(tags::table.filter(tags::id.eq_any(&removed)))
            .set(tags::question_count.eq(tags::question_count - 1))
            .execute(conn)?;
    }
    if !added.is_empty() {
        let created_at: time::PrimitiveDateTime = threads::table
            .find(thread)
            .select(threads::created_at)
            .first(conn)?;
        for tag in &added {
            diesel::insert_into(thread_tags::table)
                .values((
                    thread_tags::thread_id.eq(thread),
                    thread_tags::tag_id.eq(tag),
                    thread_tags::thread_created_at.eq(created_at),
                ))
                .execute(conn)?;
        }
    }
    if !added.is_empty() {
        diesel::update(tags::table.filter(tags::id.eq_any(&added)))
            .set(tags::question_count.eq(tags::question_count + 1))
            .execute(conn)?;
    }
    Ok(())
}

/// The tag names of each of `threads`, in one query.
pub fn for_threads(
    conn: &mut DbConn,
    threads: &[ThreadId],
) -> Result<HashMap<ThreadId, Vec<String>>, Error> {
    let rows: Vec<(ThreadId, String)> = thread_tags::table
        .inner_join(tags::table)
        .filter(thread_tags::thread_id.eq_any(threads))
        .order((thread_tags::thread_id, tags::name))
        .select((thread_tags::thread_id, tags::name))
        .load(conn)?;
    let mut by_thread: HashMap<ThreadId, Vec<String>> = HashMap::new();
    for (thread, name) in rows {
        by_thread.entry(thread).or_default().push(name);
    }
    Ok(by_thread)
}

/// The most used tags, for suggestions.
pub fn popular(conn: &mut DbConn, limit: i64) -> Result<Vec<TagView>, Error> {
    Ok(tags::table
        .order((tags::question_count.desc(), tags::name.asc()))
        .limit(limit)
        .select(TAG_COLUMNS)
        .load(conn)?)
}

/// The tag called `name`.
pub fn find(conn: &mut DbConn, name: &str) -> Result<Option<TagView>, Error> {
    Ok(tags::table
        .filter(tags::name.eq(name))
        .select(TAG_COLUMNS)
        .first(conn)
        .optional()?)
}

/// Replaces a tag's description (at most 500 characters).
pub fn describe(conn: &mut DbConn, tag: TagId, description: &str) -> Result<(), Error> {
    let description = description.trim().replace("\r\n", "\n");
    if description.chars().count() > 500 {
        return Err(Error::InvalidTags(
            "Keep the description under 500 characters.".into(),
        ));
    }
    if description.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::InvalidTags(
            "The description cannot contain control characters.".into(),
        ));
    }
    diesel::update(tags::table.find(tag))
        .set(tags::description.eq(description))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_and_validated() {
        assert_eq!(
            TagName::parse(" Two Factor ").map(|t| t.0).ok(),
            Some("two-factor".into())
        );
        assert_eq!(TagName::parse("C#").map(|t| t.0).ok(), Some("c#".into()));
        for bad in [
            "-lead",
            "trail-",
            "emoji😀",
            "<script>",
            ".",
            "..",
            "+#",
            &"x".repeat(36),
        ] {
            assert!(TagName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_list_holds_at_most_five_distinct_tags() {
        let list = TagName::parse_list("billing, Billing invoices  vat").unwrap_or_default();
        assert_eq!(
            list.iter().map(TagName::as_str).collect::<Vec<_>>(),
            ["billing", "invoices", "vat"]
        );
        assert!(TagName::parse_list("a b c d e f").is_err());
        assert!(TagName::parse_list("").is_ok_and(|l| l.is_empty()));
    }
}
