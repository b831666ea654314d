//! What a member watches: threads, tags and categories.

use diesel::prelude::*;
use stoa_db::prepared::PreparedSql;
use stoa_db::schema::{categories, subscriptions, tags, threads};
use stoa_db::time::now;
use stoa_db::{CategoryId, DbConn, TagId, ThreadId, UserId};

/// Something a member can watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// New answers and comments.
    Thread(ThreadId),
    /// New questions with the tag.
    Tag(TagId),
    /// New questions in the category.
    Category(CategoryId),
}

impl Target {
    /// The kind as stored and as forms send it: `thread`, `tag` or `category`.
    pub fn kind(self) -> &'static str {
        match self {
            Target::Thread(_) => "thread",
            Target::Tag(_) => "tag",
            Target::Category(_) => "category",
        }
    }

    /// The id of the thread, tag or category.
    pub fn id(self) -> i64 {
        match self {
            Target::Thread(id) => id.0,
            Target::Tag(id) => id.0,
            Target::Category(id) => id.0,
        }
    }

    /// The target a form names by kind and id; `None` for a kind that cannot be watched.
    pub fn parse(kind: &str, id: i64) -> Option<Target> {
        match kind {
            "thread" => Some(Target::Thread(ThreadId(id))),
            "tag" => Some(Target::Tag(TagId(id))),
            "category" => Some(Target::Category(CategoryId(id))),
            _ => None,
        }
    }
}

/// Starts watching `target`; watching it already changes nothing.
pub fn watch(conn: &mut DbConn, user: UserId, target: Target) -> QueryResult<()> {
    let params = [
        user.0.into(),
        target.kind().into(),
        target.id().into(),
        now().into(),
    ];
    PreparedSql::new(
        "INSERT INTO subscriptions (user_id, target_kind, target_id, created_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        &params,
    )
    .execute(conn)?;
    Ok(())
}

/// Stops watching `target` (nothing happens if it was not watched).
pub fn unwatch(conn: &mut DbConn, user: UserId, target: Target) -> QueryResult<()> {
    diesel::delete(
        subscriptions::table
            .filter(subscriptions::user_id.eq(user))
            .filter(subscriptions::target_kind.eq(target.kind()))
            .filter(subscriptions::target_id.eq(target.id())),
    )
    .execute(conn)?;
    Ok(())
}

/// Whether `target` exists to be watched (a thread not deleted, a tag, a category).
pub fn exists(conn: &mut DbConn, target: Target) -> QueryResult<bool> {
    match target {
        Target::Thread(id) => diesel::select(diesel::dsl::exists(
            threads::table
                .find(id)
                .filter(threads::deleted_at.is_null()),
        ))
        .get_result(conn),
        Target::Tag(id) => {
            diesel::select(diesel::dsl::exists(tags::table.find(id))).get_result(conn)
        }
        Target::Category(id) => {
            diesel::select(diesel::dsl::exists(categories::table.find(id))).get_result(conn)
        }
    }
}

/// Whether `user` watches `target`.
pub fn is_watching(conn: &mut DbConn, user: UserId, target: Target) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        subscriptions::table
            .filter(subscriptions::target_kind.eq(target.kind()))
            .filter(subscriptions::target_id.eq(target.id()))
            .filter(subscriptions::user_id.eq(user)),
    ))
    .get_result(conn)
}

/// One watched thing, named for a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    pub target: Target,
    /// The thread's title, the tag's or the category's name (empty if it is gone).
    pub label: String,
    /// Where it lives.
    pub url: String,
}

/// Everything `user` watches, newest first, at most `limit` of each kind.
pub fn list(conn: &mut DbConn, user: UserId, limit: i64) -> QueryResult<Vec<Watched>> {
    let of_kind = |kind: &'static str| {
        subscriptions::table
            .filter(subscriptions::user_id.eq(user))
            .filter(subscriptions::target_kind.eq(kind))
            .order(subscriptions::id.desc())
            .limit(limit)
    };
    let mut watched = Vec::new();
    let watched_threads: Vec<(ThreadId, String, String)> = of_kind("thread")
        .inner_join(threads::table.on(threads::id.eq(subscriptions::target_id)))
        .filter(threads::deleted_at.is_null())
        .select((threads::id, threads::title, threads::slug))
        .load(conn)?;
    watched.extend(
        watched_threads
            .into_iter()
            .map(|(id, title, slug)| Watched {
                target: Target::Thread(id),
                label: title,
                url: format!("/q/{id}/{slug}"),
            }),
    );
    let watched_tags: Vec<(TagId, String)> = of_kind("tag")
        .inner_join(tags::table.on(tags::id.eq(subscriptions::target_id)))
        .select((tags::id, tags::name))
        .load(conn)?;
    watched.extend(watched_tags.into_iter().map(|(id, name)| Watched {
        target: Target::Tag(id),
        // Tag names may hold `#` and `+` (`c#`, `c++`), which a path must escape.
        url: format!("/tags/{}", name.replace('#', "%23").replace('+', "%2B")),
        label: name,
    }));
    let watched_categories: Vec<(CategoryId, String, String)> = of_kind("category")
        .inner_join(categories::table.on(categories::id.eq(subscriptions::target_id)))
        .select((categories::id, categories::name, categories::slug))
        .load(conn)?;
    watched.extend(
        watched_categories
            .into_iter()
            .map(|(id, name, slug)| Watched {
                target: Target::Category(id),
                label: name,
                url: format!("/?category={slug}"),
            }),
    );
    Ok(watched)
}
