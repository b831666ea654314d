//! Screening a registration (and a new member's first post) without any outside service: a
//! honeypot field people never see,
//! a minimum time between showing the form and sending it (signed, so a bot cannot claim it
//! waited), disposable mail services (the `mailchecker` list) and the addresses of accounts
//! deleted as spammers. Each refusal says what a person should do.

use stoa_db::DbConn;
use time::{Duration, OffsetDateTime};

use crate::{Error, secrets, standing};

/// Why a registration is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The hidden field was filled, or the form's time token is missing or forged.
    Automated,
    /// Sent faster than a person fills the form.
    TooFast,
    Disposable,
    Blocked,
}

impl Refusal {
    /// What the form says.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Automated => {
                "Your sign-up could not be accepted. Reload the page and fill in the form again."
            }
            Refusal::TooFast => {
                "That was faster than a person fills this form. Check the fields and send it again."
            }
            Refusal::Disposable => {
                "Use an address you keep: addresses from disposable mail services are not accepted."
            }
            Refusal::Blocked => "This address cannot be used to sign up here.",
        }
    }

    /// The email field's refusals are shown next to it; the others above the form.
    pub fn is_about_email(self) -> bool {
        matches!(self, Refusal::Disposable | Refusal::Blocked)
    }
}

/// The token a form carries to say when it was shown: the Unix time and its signature.
pub fn shown_token(key: &[u8], at: OffsetDateTime) -> String {
    let seconds = at.unix_timestamp().to_string();
    let signature = secrets::sign(key, &format!("form-shown:{seconds}"));
    format!("{seconds}.{signature}")
}

/// How long ago the form carrying `token` was shown; `None` when the token is not one of
/// ours.
pub fn shown_ago(key: &[u8], token: &str, now: OffsetDateTime) -> Option<Duration> {
    let (seconds, signature) = token.split_once('.')?;
    let expected = secrets::sign(key, &format!("form-shown:{seconds}"));
    let genuine: bool =
        subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), signature.as_bytes()).into();
    if !genuine {
        return None;
    }
    let shown = OffsetDateTime::from_unix_timestamp(seconds.parse().ok()?).ok()?;
    Some(now - shown)
}

/// Checks a form's honeypot and the time it took to fill in (a sign-up, or a new member's
/// first post): `Some` when it looks automated.
pub fn screen_form(key: &[u8], honeypot: &str, shown: &str, min_fill: Duration) -> Option<Refusal> {
    if !honeypot.trim().is_empty() {
        return Some(Refusal::Automated);
    }
    if min_fill.is_zero() {
        // The time check is off: the token is not needed either.
        return None;
    }
    match shown_ago(key, shown, OffsetDateTime::now_utc()) {
        None => Some(Refusal::Automated),
        Some(ago) if ago < min_fill => Some(Refusal::TooFast),
        Some(_) => None,
    }
}

/// What a registration form sent, besides the account itself.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    /// Lower case, already checked to be an address; `None` when it is not one (the form
    /// says so itself).
    pub email: Option<&'a str>,
    /// The hidden field: people leave it empty.
    pub honeypot: &'a str,
    /// The form's [`shown_token`].
    pub shown: &'a str,
}

/// Screens a registration: `Ok(Err(refusal))` when it is refused.
pub fn screen(
    conn: &mut DbConn,
    key: &[u8],
    submission: Submission<'_>,
    min_fill: Duration,
) -> Result<Result<(), Refusal>, Error> {
    if let Some(refusal) = screen_form(key, submission.honeypot, submission.shown, min_fill) {
        return Ok(Err(refusal));
    }
    let Some(email) = submission.email else {
        return Ok(Ok(()));
    };
    if !mailchecker::is_valid(email) {
        return Ok(Err(Refusal::Disposable));
    }
    if standing::email_blocked(conn, email)? {
        return Ok(Err(Refusal::Blocked));
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_time_is_genuine_only_with_its_signature() {
        let key = b"a key for tests";
        let shown = OffsetDateTime::now_utc() - Duration::seconds(10);
        let token = shown_token(key, shown);
        let ago = shown_ago(key, &token, OffsetDateTime::now_utc());
        assert!(ago.is_some_and(|a| a >= Duration::seconds(10) && a < Duration::seconds(12)));
        let (_, signature) = token.split_once('.').unwrap_or_default();
        let earlier = format!("{}.{signature}", shown.unix_timestamp() - 3600);
        assert_eq!(shown_ago(key, &earlier, OffsetDateTime::now_utc()), None);
        assert_eq!(
            shown_ago(b"another key", &token, OffsetDateTime::now_utc()),
            None
        );
        assert_eq!(shown_ago(key, "", OffsetDateTime::now_utc()), None);
    }

    #[test]
    fn disposable_services_are_known() {
        assert!(!mailchecker::is_valid("someone@mailinator.com"));
        assert!(mailchecker::is_valid("someone@example.com"));
    }
}
