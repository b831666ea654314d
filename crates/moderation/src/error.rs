/// What can go wrong with a moderation action, with no HTTP in it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A form field's value was refused; the text says how to fix it.
    #[error("{0}")]
    Invalid(String),
    #[error("You have already flagged this post; moderators will look at it.")]
    AlreadyFlagged,
    #[error("Another moderator has already handled this item.")]
    AlreadyHandled,
    #[error("That account does not exist.")]
    UserNotFound,
    #[error(transparent)]
    Threads(#[from] stoa_threads::Error),
    #[error(transparent)]
    Accounts(#[from] stoa_accounts::Error),
    #[error(transparent)]
    Db(#[from] stoa_db::Error),
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        Error::Db(stoa_db::Error::Query(e))
    }
}

/// Why a moderator acted: shown to the member concerned and kept in the audit log. Required,
/// one line of at most 500 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(input: &str) -> Result<Reason, Error> {
        let text = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return Err(Error::Invalid(
                "Say why: the member concerned reads it, and so does the audit log.".into(),
            ));
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(Error::Invalid(format!(
                "Keep the reason under {} characters.",
                Self::MAX_CHARS
            )));
        }
        Ok(Reason(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Reason;

    #[test]
    fn a_reason_is_one_trimmed_line_of_bounded_length() {
        assert_eq!(
            Reason::parse("  spam\n links ")
                .map(|r| r.as_str().to_owned())
                .ok(),
            Some("spam links".to_owned())
        );
        assert!(Reason::parse(" \n ").is_err());
        assert!(Reason::parse(&"x".repeat(501)).is_err());
        assert!(Reason::parse(&"é".repeat(500)).is_ok());
    }
}
