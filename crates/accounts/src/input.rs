//! Account inputs, parsed once at the edge and trusted afterwards.

use crate::Error;

/// A handle: 3–30 characters of ASCII letters, digits, `_` and `-`, stored in lower case so
/// that `Alice` and `alice` are the same account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Self, Error> {
        let name = input.trim().to_ascii_lowercase();
        if name.len() < 3 || name.len() > 30 {
            return Err(Error::InvalidUsername("A username has 3 to 30 characters."));
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(Error::InvalidUsername(
                "A username may contain only letters a–z, digits, '_' and '-'.",
            ));
        }
        if !name.as_bytes()[0].is_ascii_alphanumeric() {
            return Err(Error::InvalidUsername(
                "A username starts with a letter or a digit.",
            ));
        }
        Ok(Username(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name shown on posts: 1–50 printable characters, no control or bidi-override characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, Error> {
        let name = input.trim();
        let len = name.chars().count();
        if len == 0 || len > 50 {
            return Err(Error::InvalidDisplayName(
                "A display name has 1 to 50 characters.",
            ));
        }
        if name.chars().any(|c| {
            c.is_control()
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        }) {
            return Err(Error::InvalidDisplayName(
                "A display name cannot contain control characters.",
            ));
        }
        Ok(DisplayName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short, plain-text bio for the profile page: at most 500 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bio(String);

impl Bio {
    pub fn parse(input: &str) -> Result<Self, Error> {
        let bio = input.trim().replace("\r\n", "\n");
        let len = bio.chars().count();
        if len > 500 {
            return Err(Error::InvalidBio(format!(
                "Keep the bio under 500 characters (it has {len})."
            )));
        }
        if bio.chars().any(|c| c.is_control() && c != '\n') {
            return Err(Error::InvalidBio(
                "The bio cannot contain control characters.".into(),
            ));
        }
        Ok(Bio(bio))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address in lower case. The check is deliberately plain (one `@`, a dotted domain,
/// no spaces); the verification mail is the real test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, Error> {
        let email = input.trim().to_lowercase();
        let (local, domain) = email.split_once('@').ok_or(Error::InvalidEmail)?;
        let well_formed = !local.is_empty()
            && email.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !email
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
        if well_formed {
            Ok(Email(email))
        } else {
            Err(Error::InvalidEmail)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that meets the policy: 10 to 1,024 characters, no composition rules, and
/// not common or easily guessed (zxcvbn's ranked lists of common passwords, names and words,
/// with the person's own username and email counted as guessable).
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted; far above any passphrase, far below a hashing DoS.
pub const MAX_PASSWORD_CHARS: usize = 1024;

impl Password {
    /// Checks a new password; `personal` holds words the account owner would be guessed by.
    pub fn parse_new(input: &str, personal: &[&str]) -> Result<Self, Error> {
        let len = input.chars().count();
        if len < MIN_PASSWORD_CHARS {
            return Err(Error::WeakPassword(format!(
                "Use at least {MIN_PASSWORD_CHARS} characters. A few unrelated words make a good password."
            )));
        }
        if len > MAX_PASSWORD_CHARS {
            return Err(Error::WeakPassword(format!(
                "Use at most {MAX_PASSWORD_CHARS} characters."
            )));
        }
        // zxcvbn's cost grows with length; its verdict on the first 100 characters is enough.
        let head: String = input.chars().take(100).collect();
        let estimate = zxcvbn::zxcvbn(&head, personal);
        if estimate.score() < zxcvbn::Score::Two {
            let why = estimate
                .feedback()
                .and_then(|f| f.warning())
                .map(|w| format!(" ({w})"))
                .unwrap_or_default();
            return Err(Error::WeakPassword(format!(
                "This password is too common or too easy to guess{why}. Try a few unrelated words."
            )));
        }
        Ok(Password(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_case_insensitive_and_restricted() {
        assert_eq!(
            Username::parse(" Alice ").map(|u| u.0).ok(),
            Some("alice".to_owned())
        );
        assert!(Username::parse("al").is_err());
        assert!(Username::parse("al ice").is_err());
        assert!(Username::parse("_alice").is_err());
        assert!(
            Username::parse("аdmin").is_err(),
            "Cyrillic look-alikes are refused"
        );
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            Email::parse("Bob@Example.COM").map(|e| e.0).ok(),
            Some("bob@example.com".to_owned())
        );
        for bad in [
            "bob",
            "bob@",
            "@example.com",
            "bob@example",
            "bob @example.com",
            "a@b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn passwords_follow_the_policy() {
        assert!(Password::parse_new("short", &[]).is_err());
        for common in ["password123", "qwertyuiop", "1234567890", "iloveyou123"] {
            assert!(
                Password::parse_new(common, &[]).is_err(),
                "{common} accepted"
            );
        }
        assert!(Password::parse_new("margaretsmith", &["margaretsmith"]).is_err());
        assert!(Password::parse_new("velvet ladder orbit pancake", &[]).is_ok());
        let long: String = (0..128u32)
            .filter_map(|i| char::from_u32((i * 37 + 11) % 94 + 33))
            .collect();
        assert!(
            Password::parse_new(&long, &[]).is_ok(),
            "128 characters are fine"
        );
        assert!(
            Password::parse_new(&"ab".repeat(600), &[]).is_err(),
            "over 1,024 refused"
        );
    }

    #[test]
    fn display_names_refuse_bidi_overrides() {
        assert!(DisplayName::parse("Alice \u{202e}evil").is_err());
        assert!(DisplayName::parse("Zoë Müller").is_ok());
    }
}
