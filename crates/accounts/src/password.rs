//! argon2id at the OWASP baseline (m = 19 MiB, t = 2, p = 1: the crate's defaults), PHC strings.
//! These functions are slow on purpose and synchronous: call them off the async workers.

use std::sync::Mutex;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::{Error, Password};

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// argon2's 19 MiB of working memory, kept for the next hash. Allocated per hash, glibc kept
/// the freed blocks in per-thread arenas: a burst of log-ins left the server at 0.4 to 1.9 GB
/// of memory (bench/run.sh). Callers run at most a few hashes at once, so a few are kept.
static WORKING_MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Most working memories kept (two hashes per core run at once on a 2 to 4 core machine).
const KEPT_MEMORIES: usize = 8;

/// Runs `argon` with a kept working memory of the right size (or a new one).
fn compute(
    argon: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let blocks = params.block_count();
    let kept = WORKING_MEMORY.lock().ok().and_then(|mut kept| {
        let at = kept.iter().position(|m| m.len() == blocks)?;
        Some(kept.swap_remove(at))
    });
    let mut memory = kept.unwrap_or_else(|| vec![Block::default(); blocks]);
    let result = argon.hash_password_into_with_memory(password, salt, out, &mut memory);
    if let Ok(mut kept) = WORKING_MEMORY.lock()
        && kept.len() < KEPT_MEMORIES
    {
        kept.push(memory);
    }
    result
}

/// Hashes a new password into a PHC string with a fresh random salt.
pub fn hash(password: &Password) -> Result<String, Error> {
    let failed = |e: &dyn std::fmt::Display| Error::Hash(e.to_string());
    let params = Params::default();
    let salt: [u8; 16] = rand::random();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    compute(
        &argon2(),
        &params,
        password.expose().as_bytes(),
        &salt,
        &mut out,
    )
    .map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| failed(&e))?),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

/// A hash of a random password, verified against when the account does not exist so that
/// an unknown username costs the same time as a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c3RvYWR1bW15c2FsdA$9WU2QxcKdBCR1Xf9v5u4X6Y3NH8bVgqfQ0ZQmQUOlzw";

/// True when `attempt` matches `stored`. `None` (unknown user, or an account that cannot log
/// in) still spends one verification and returns false.
pub fn verify(attempt: &str, stored: Option<&str>) -> bool {
    let hash = stored.unwrap_or(DUMMY_HASH);
    matches_phc(attempt, hash) && stored.is_some()
}

/// Hashes `attempt` with the algorithm, parameters and salt of the PHC string `stored` and
/// compares the outputs in constant time. A malformed string matches nothing.
fn matches_phc(attempt: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(params), Ok(algorithm)) = (
        Params::try_from(&parsed),
        Algorithm::try_from(parsed.algorithm.as_str()),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params.clone());
    compute(&argon, &params, attempt.as_bytes(), salt.as_ref(), &mut out).is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == *expected)
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
    fn hashes_agree_with_the_argon2_crates_own() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let pw = Password::parse_new("velvet ladder orbit pancake", &[])
            .unwrap_or_else(|e| panic!("{e}"));
        // A hash stored by an earlier release (made by the crate) still verifies here…
        let by_crate = argon2()
            .hash_password(pw.expose().as_bytes())
            .unwrap_or_else(|e| panic!("{e}"))
            .to_string();
        assert!(verify("velvet ladder orbit pancake", Some(&by_crate)));
        assert!(!verify("velvet ladder orbit pancakes", Some(&by_crate)));
        // …and one made here verifies with the crate.
        let ours = hash(&pw).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            argon2()
                .verify_password(b"velvet ladder orbit pancake", ours.as_str())
                .is_ok()
        );
        assert!(!verify(
            "velvet ladder orbit pancake",
            Some("$argon2id$v=19$m=19456")
        ));
    }

    #[test]
    fn the_dummy_hash_is_a_real_argon2id_hash() {
        // If the constant were malformed, verification would fail fast and leak timing.
        let parsed = argon2::password_hash::phc::PasswordHash::new(DUMMY_HASH);
        assert!(parsed.is_ok(), "{parsed:?}");
    }
}
