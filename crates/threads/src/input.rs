//! Post inputs, parsed once at the edge.

use crate::Error;

/// A question title: 10 to 150 characters, no control characters.
#[derive(Debug, Clone)]
pub struct Title(String);

impl Title {
    pub fn parse(input: &str) -> Result<Self, Error> {
        let title = input.split_whitespace().collect::<Vec<_>>().join(" ");
        let len = title.chars().count();
        if len < 10 {
            return Err(Error::InvalidTitle(
                "Make the title a little longer (at least 10 characters): say what you need."
                    .into(),
            ));
        }
        if len > 150 {
            return Err(Error::InvalidTitle(format!(
                "Keep the title under 150 characters (it has {len})."
            )));
        }
        if title.chars().any(char::is_control) {
            return Err(Error::InvalidTitle(
                "The title contains control characters.".into(),
            ));
        }
        Ok(Title(title))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A post body in Markdown: 10 to 30,000 characters, no NUL.
#[derive(Debug, Clone)]
pub struct Body(String);

/// Longest body accepted, in characters.
pub const MAX_BODY_CHARS: usize = 30_000;

impl Body {
    pub fn parse(input: &str) -> Result<Self, Error> {
        let body = input.trim_end().replace("\r\n", "\n");
        let len = body.trim().chars().count();
        if len < 10 {
            return Err(Error::InvalidBody(
                "Write a little more (at least 10 characters).".into(),
            ));
        }
        if len > MAX_BODY_CHARS {
            return Err(Error::InvalidBody(format!(
                "Keep it under {MAX_BODY_CHARS} characters (it has {len}); split it or trim logs."
            )));
        }
        if body.contains('\0') {
            return Err(Error::InvalidBody(
                "The text contains a NUL character.".into(),
            ));
        }
        Ok(Body(body))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The random key a form carries so that submitting it twice creates one post.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Accepts 16 to 64 URL-safe characters; anything else is ignored (`None`).
    pub fn parse(input: &str) -> Option<Self> {
        let ok = (16..=64).contains(&input.len())
            && input
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| IdempotencyKey(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
