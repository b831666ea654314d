//! Accounts: create, find, change password, verify email.

use diesel::prelude::*;
use stoa_db::schema::users;
use stoa_db::{DbConn, UserId, time::now};
use time::PrimitiveDateTime;

use crate::{Bio, DisplayName, Email, Error, Role, TokenPurpose, TokenSecret, Username, tokens};

/// An account as the rest of Stoa sees it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(stoa_db::MultiBackend))]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub email_verified_at: Option<PrimitiveDateTime>,
    #[diesel(deserialize_as = String)]
    pub role: StoredRole,
    pub created_at: PrimitiveDateTime,
    pub bio: String,
}

/// [`Role`] as read from its text column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredRole(pub Role);

impl From<String> for StoredRole {
    fn from(s: String) -> Self {
        StoredRole(Role::from_stored(&s))
    }
}

/// What a new account is made of.
#[derive(Debug)]
pub struct NewAccount<'a> {
    pub username: &'a Username,
    pub display_name: &'a DisplayName,
    pub email: &'a Email,
    /// An argon2id PHC string from [`crate::password::hash`].
    pub password_hash: &'a str,
    pub role: Role,
}

impl<'a> NewAccount<'a> {
    /// The community's owner: from the set-up link, or `stoa admin create-owner`.
    pub fn owner(
        username: &'a Username,
        display_name: &'a DisplayName,
        email: &'a Email,
        password_hash: &'a str,
    ) -> NewAccount<'a> {
        NewAccount {
            username,
            display_name,
            email,
            password_hash,
            role: Role::Owner,
        }
    }
}

/// Creates an account. A taken username or email (in any letter case: both are stored in
/// lower case under a unique index) is reported as such, never as a server error.
pub fn create(conn: &mut DbConn, account: &NewAccount<'_>) -> Result<User, Error> {
    let at = now();
    let inserted = diesel::insert_into(users::table)
        .values((
            users::username.eq(account.username.as_str()),
            users::display_name.eq(account.display_name.as_str()),
            users::email.eq(account.email.as_str()),
            users::password_hash.eq(account.password_hash),
            users::role.eq(account.role.as_str()),
            users::created_at.eq(at),
        ))
        .returning(users::id)
        .get_result::<UserId>(conn);
    match inserted {
        Ok(id) => find(conn, id)?.ok_or(Error::InvalidCredentials),
        // The unique index names the column on both engines ("users.username" on SQLite,
        // "users_username_key" on PostgreSQL). No second query: on PostgreSQL the failed
        // insert has aborted the transaction.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            info,
        )) => {
            let constraint = format!(
                "{} {}",
                info.message(),
                info.constraint_name().unwrap_or_default()
            );
            Err(if constraint.contains("username") {
                Error::UsernameTaken
            } else {
                Error::EmailTaken
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Registers a new account and issues the link that confirms its address (sent by the
/// caller once the transaction commits). A new owner also ends every unused owner-setup link.
/// Call inside a write transaction.
pub fn register(conn: &mut DbConn, account: &NewAccount<'_>) -> Result<(User, TokenSecret), Error> {
    let user = create(conn, account)?;
    let address = account.email.as_str();
    let token = tokens::issue(
        conn,
        TokenPurpose::VerifyEmail,
        Some(user.id),
        Some(address),
    )?;
    if account.role == Role::Owner {
        tokens::revoke_purpose(conn, TokenPurpose::OwnerSetup)?;
    }
    Ok((user, token))
}

/// Adds posts read to members' counts: `(member, posts)` pairs.
pub fn add_posts_read(conn: &mut DbConn, reads: &[(UserId, i64)]) -> Result<(), Error> {
    for (member, posts) in reads {
        let posts = i32::try_from(*posts).unwrap_or(i32::MAX);
        diesel::update(users::table.find(*member))
            .set(users::posts_read.eq(users::posts_read + posts))
            .execute(conn)?;
    }
    Ok(())
}

/// Marks a new account as waiting for a moderator's approval (registration by approval):
/// it reads, and posts once approved.
pub fn await_approval(conn: &mut DbConn, id: UserId) -> Result<(), Error> {
    diesel::update(users::table.find(id))
        .set(users::approved.eq(false))
        .execute(conn)?;
    Ok(())
}

/// The account with this id.
pub fn find(conn: &mut DbConn, id: UserId) -> Result<Option<User>, Error> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// The account with this username (any letter case).
pub fn find_by_username(conn: &mut DbConn, username: &str) -> Result<Option<User>, Error> {
    Ok(users::table
        .filter(users::username.eq(username.trim().to_lowercase()))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// The account a login form names, by username or email, with its password hash (`None`
/// for accounts that cannot log in).
pub fn find_for_login(
    conn: &mut DbConn,
    login: &str,
) -> Result<Option<(User, Option<String>)>, Error> {
    let login = login.trim().to_lowercase();
    let column_matches = users::username.eq(&login).or(users::email.eq(&login));
    Ok(users::table
        .filter(column_matches)
        .select((User::as_select(), users::password_hash))
        .first(conn)
        .optional()?)
}

/// The stored password hash of an account (`None`: it cannot log in).
pub fn password_hash(conn: &mut DbConn, id: UserId) -> Result<Option<String>, Error> {
    Ok(users::table
        .find(id)
        .select(users::password_hash)
        .first(conn)
        .optional()?
        .flatten())
}

/// The account with this email address, if any.
pub fn find_by_email(conn: &mut DbConn, email: &Email) -> Result<Option<User>, Error> {
    Ok(users::table
        .filter(users::email.eq(email.as_str()))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// Replaces the password hash.
pub fn set_password_hash(conn: &mut DbConn, id: UserId, password_hash: &str) -> Result<(), Error> {
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(password_hash))
        .execute(conn)?;
    Ok(())
}

/// Marks the address verified, if it is still the account's address.
pub fn mark_email_verified(conn: &mut DbConn, id: UserId, email: &str) -> Result<bool, Error> {
    let updated = diesel::update(users::table.find(id).filter(users::email.eq(email)))
        .set(users::email_verified_at.eq(now()))
        .execute(conn)?;
    Ok(updated == 1)
}

/// True once an owner account exists.
pub fn owner_exists(conn: &mut DbConn) -> Result<bool, Error> {
    let owners: i64 = users::table
        .filter(users::role.eq(Role::Owner.as_str()))
        .count()
        .get_result(conn)?;
    Ok(owners > 0)
}

/// Replaces the name shown on posts and the profile's bio.
pub fn update_profile(
    conn: &mut DbConn,
    id: UserId,
    display_name: &DisplayName,
    bio: &Bio,
) -> Result<(), Error> {
    diesel::update(users::table.find(id))
        .set((
            users::display_name.eq(display_name.as_str()),
            users::bio.eq(bio.as_str()),
        ))
        .execute(conn)?;
    Ok(())
}
