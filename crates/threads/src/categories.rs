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

/// A category's name (whitespace folded), description and URL slug, checked.
fn fields(name: &str, description: &str) -> Result<(String, String, String), Error> {
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
    Ok((name, description.to_owned(), slug))
}

/// A taken name or slug is said so, not a server error.
fn taken(e: diesel::result::Error) -> Error {
    let e = stoa_db::Error::from(e);
    if e.is_unique_violation() {
        Error::CategoryExists
    } else {
        e.into()
    }
}

/// Creates a category; its URL slug comes from the name.
pub fn create(conn: &mut DbConn, name: &str, description: &str) -> Result<Category, Error> {
    let (name, description, slug) = fields(name, description)?;
    let position: Option<i32> = categories::table
        .select(diesel::dsl::max(categories::position))
        .first(conn)?;
    let id = diesel::insert_into(categories::table)
        .values((
            categories::name.eq(&name),
            categories::slug.eq(&slug),
            categories::description.eq(&description),
            categories::position.eq(position.map_or(0, |p| p + 1)),
            categories::created_at.eq(now()),
        ))
        .returning(categories::id)
        .get_result::<CategoryId>(conn)
        .map_err(taken)?;
    Ok(Category {
        id,
        name,
        slug,
        description,
    })
}

/// Renames and describes a category; its URL slug follows the new name.
pub fn update(
    conn: &mut DbConn,
    id: CategoryId,
    name: &str,
    description: &str,
) -> Result<Category, Error> {
    let (name, description, slug) = fields(name, description)?;
    let changed = diesel::update(categories::table.find(id))
        .set((
            categories::name.eq(&name),
            categories::slug.eq(&slug),
            categories::description.eq(&description),
        ))
        .execute(conn)
        .map_err(taken)?;
    if changed == 0 {
        return Err(Error::InvalidCategory(
            "That category does not exist.".into(),
        ));
    }
    Ok(Category {
        id,
        name,
        slug,
        description,
    })
}

/// Moves a category one place up (earlier) or down in the owner's order. Returns whether it
/// moved (the first cannot go up, nor the last down).
pub fn move_by_one(conn: &mut DbConn, id: CategoryId, up: bool) -> Result<bool, Error> {
    let mut order: Vec<CategoryId> = list(conn)?.into_iter().map(|c| c.id).collect();
    let Some(at) = order.iter().position(|c| *c == id) else {
        return Err(Error::InvalidCategory(
            "That category does not exist.".into(),
        ));
    };
    let to = if up { at.checked_sub(1) } else { Some(at + 1) };
    let Some(to) = to.filter(|to| *to < order.len()) else {
        return Ok(false);
    };
    order.swap(at, to);
    for (position, category) in order.iter().enumerate() {
        diesel::update(categories::table.find(*category))
            .set(categories::position.eq(i32::try_from(position).unwrap_or(i32::MAX)))
            .execute(conn)?;
    }
    Ok(true)
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
