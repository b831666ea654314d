//! Categories: the owner's top-level sections of the community.

use diesel::prelude::*;
use stoa_db::schema::categories;
use stoa_db::{CategoryId, DbConn, time::now};

use crate::Error;

/// A category as listed.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = categories, check_for_backend(stoa_db::MultiBackend))]
pub struct Category {
    pub id: CategoryId,
    pub name: String,
    pub slug: String,
    pub description: String,
}

/// Creates a category; its URL slug comes from the name.
pub fn create(conn: &mut DbConn, name: &str, description: &str) -> Result<Category, Error> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 50 {
        return Err(Error::InvalidCategory(
            "A category name has 1 to 50 characters.".into(),
        ));
    }
    let description = description.trim();
    if description.chars().count() > 500 {
        return Err(Error::InvalidCategory(
            "Keep the description under 500 characters.".into(),
        ));
    }
    let slug = slug::slugify(&name);
    if slug.is_empty() {
        return Err(Error::InvalidCategory(
            "Use at least one letter or digit in the name.".into(),
        ));
    }
    let position: Option<i32> = categories::table
        .select(diesel::dsl::max(categories::position))
        .first(conn)?;
    let inserted = diesel::insert_into(categories::table)
        .values((
            categories::name.eq(&name),
            categories::slug.eq(&slug),
            categories::description.eq(description),
            categories::position.eq(position.map_or(0, |p| p + 1)),
            categories::created_at.eq(now()),
        ))
        .returning(categories::id)
        .get_result::<CategoryId>(conn)
        .map_err(stoa_db::Error::from);
    match inserted {
        Ok(id) => Ok(Category {
            id,
            name,
            slug,
            description: description.to_owned(),
        }),
        Err(e) if e.is_unique_violation() => Err(Error::CategoryExists),
        Err(e) => Err(e.into()),
    }
}

/// All categories in the owner's order (a handful; not paginated).
pub fn list(conn: &mut DbConn) -> Result<Vec<Category>, Error> {
    Ok(categories::table
        .order((categories::position.asc(), categories::id.asc()))
        .select(Category::as_select())
        .load(conn)?)
}

/// The category with this id.
pub fn find(conn: &mut DbConn, id: CategoryId) -> Result<Option<Category>, Error> {
    Ok(categories::table
        .find(id)
        .select(Category::as_select())
        .first(conn)
        .optional()?)
}
