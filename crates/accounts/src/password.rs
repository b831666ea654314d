//! argon2id at the OWASP baseline (m = 19 MiB, t = 2, p = 1: the crate's defaults), PHC strings.
//! These functions are slow on purpose and synchronous: call them off the async workers.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::{Error, Password};

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashes a new password into a PHC string with a fresh random salt.
pub fn hash(password: &Password) -> Result<String, Error> {
    argon2()
        .hash_password(password.expose().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::Hash(e.to_string()))
}

/// A hash of a random password, verified against when the account does not exist so that
/// an unknown username costs the same time as a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c3RvYWR1bW15c2FsdA$9WU2QxcKdBCR1Xf9v5u4X6Y3NH8bVgqfQ0ZQmQUOlzw";

/// True when `attempt` matches `stored`. `None` (unknown user, or an account that cannot log
/// in) still spends one verification and returns false.
pub fn verify(attempt: &str, stored: Option<&str>) -> bool {
    let hash = stored.unwrap_or(DUMMY_HASH);
    let ok = argon2().verify_password(attempt.as_bytes(), hash).is_ok();
    ok && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let pw = Password::parse_new("velvet ladder orbit pancake", &[])
            .unwrap_or_else(|e| panic!("{e}"));
        let stored = hash(&pw).unwrap_or_else(|e| panic!("{e}"));
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("velvet ladder orbit pancake", Some(&stored)));
        assert!(!verify("velvet ladder orbit pancakes", Some(&stored)));
        assert!(!verify("velvet ladder orbit pancake", None));
    }

    #[test]
    fn the_dummy_hash_is_a_real_argon2id_hash() {
        // If the constant were malformed, verification would fail fast and leak timing.
        let parsed = argon2::password_hash::phc::PasswordHash::new(DUMMY_HASH);
        assert!(parsed.is_ok(), "{parsed:?}");
    }
}
