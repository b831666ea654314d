//! Single-use, expiring links sent by mail (verify an address, reset a password) and the
//! one-time owner setup link. Only the token's hash is stored; using it marks it used.

use diesel::prelude::*;
use stoa_db::schema::email_tokens;
use stoa_db::{DbConn, UserId, time::now};
use time::Duration;

use crate::{Error, hash_token, random_token};

/// What a link is for; a token for one purpose never works for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
    OwnerSetup,
    /// An invitation to sign up where registration is by invitation only.
    Invite,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
            TokenPurpose::OwnerSetup => "owner_setup",
            TokenPurpose::Invite => "invite",
        }
    }

    /// How long a link stays valid; `None`: until used.
    pub fn lifetime(self) -> Option<Duration> {
        match self {
            TokenPurpose::VerifyEmail => Some(Duration::hours(48)),
            TokenPurpose::ResetPassword => Some(Duration::hours(1)),
            TokenPurpose::OwnerSetup => None,
            TokenPurpose::Invite => Some(Duration::days(14)),
        }
    }
}

/// The secret part of a link, shown once.
#[derive(Clone)]
pub struct TokenSecret(String);

impl std::fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSecret(…)")
    }
}

impl TokenSecret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What a valid token was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub user_id: Option<UserId>,
    pub email: Option<String>,
}

/// Issues a token for `purpose`, bound to a user and the address it was sent to.
pub fn issue(
    conn: &mut DbConn,
    purpose: TokenPurpose,
    user_id: Option<UserId>,
    email: Option<&str>,
) -> Result<TokenSecret, Error> {
    let secret = random_token();
    let at = now();
    diesel::insert_into(email_tokens::table)
        .values((
            email_tokens::token_hash.eq(hash_token(&secret)),
            email_tokens::purpose.eq(purpose.as_str()),
            email_tokens::user_id.eq(user_id),
            email_tokens::email.eq(email),
            email_tokens::created_at.eq(at),
            email_tokens::expires_at.eq(purpose.lifetime().map(|d| at + d)),
        ))
        .execute(conn)?;
    Ok(TokenSecret(secret))
}

/// The grant behind a link that is still usable, without using it (to show its page).
pub fn peek(conn: &mut DbConn, purpose: TokenPurpose, secret: &str) -> Result<TokenGrant, Error> {
    find_usable(conn, purpose, secret).map(|(_, grant)| grant)
}

/// Uses a link: valid once. Two concurrent uses of the same link cannot both succeed, since
/// the update only matches while `used_at` is still empty.
pub fn consume(
    conn: &mut DbConn,
    purpose: TokenPurpose,
    secret: &str,
) -> Result<TokenGrant, Error> {
    let (id, grant) = find_usable(conn, purpose, secret)?;
    let used = diesel::update(
        email_tokens::table
            .find(id)
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(now()))
    .execute(conn)?;
    if used == 1 {
        Ok(grant)
    } else {
        Err(Error::InvalidToken)
    }
}

fn find_usable(
    conn: &mut DbConn,
    purpose: TokenPurpose,
    secret: &str,
) -> Result<(i64, TokenGrant), Error> {
    let at = now();
    let row: Option<(i64, Option<UserId>, Option<String>)> = email_tokens::table
        .filter(email_tokens::token_hash.eq(hash_token(secret)))
        .filter(email_tokens::purpose.eq(purpose.as_str()))
        .filter(email_tokens::used_at.is_null())
        .filter(
            email_tokens::expires_at
                .is_null()
                .or(email_tokens::expires_at.gt(at)),
        )
        .select((email_tokens::id, email_tokens::user_id, email_tokens::email))
        .first(conn)
        .optional()?;
    let (id, user_id, email) = row.ok_or(Error::InvalidToken)?;
    Ok((id, TokenGrant { user_id, email }))
}

/// Makes every unused token of `purpose` for `user` unusable (a newer one was issued, or the
/// password was just reset).
pub fn revoke_all(conn: &mut DbConn, purpose: TokenPurpose, user: UserId) -> Result<(), Error> {
    diesel::update(
        email_tokens::table
            .filter(email_tokens::user_id.eq(user))
            .filter(email_tokens::purpose.eq(purpose.as_str()))
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(now()))
    .execute(conn)?;
    Ok(())
}

/// Makes every unused token of `purpose` unusable, whoever it was for (the owner exists, so
/// no setup link may create another).
pub fn revoke_purpose(conn: &mut DbConn, purpose: TokenPurpose) -> Result<(), Error> {
    diesel::update(
        email_tokens::table
            .filter(email_tokens::purpose.eq(purpose.as_str()))
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(now()))
    .execute(conn)?;
    Ok(())
}
