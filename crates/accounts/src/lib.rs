//! Stoa accounts: who people are and how they prove it.
//!
//! Inputs are parsed once at the edge into [`Username`], [`Email`] and [`Password`]; the
//! functions here take a `&mut DbConn` and leave transactions to the caller. Password hashing
//! is CPU-heavy and synchronous: callers run it off the async workers.

mod error;
mod input;
pub mod mail;
pub mod password;
mod role;
pub mod sessions;
pub mod tokens;
pub mod users;

pub use error::Error;
pub use input::{Bio, DisplayName, Email, Password, Username};
pub use role::Role;
pub use sessions::{SessionPolicy, SessionToken, SignedInUser};
pub use tokens::{TokenPurpose, TokenSecret};
pub use users::User;

/// Random bytes from the operating system's CSPRNG (via the thread RNG, reseeded from it),
/// encoded for URLs and cookies.
pub(crate) fn random_token() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Only a hash of a bearer token is stored, so a leaked database holds no usable session.
pub(crate) fn hash_token(token: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
