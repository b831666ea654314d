/// What can go wrong with accounts, with no HTTP in it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidUsername(&'static str),
    #[error("{0}")]
    InvalidDisplayName(&'static str),
    #[error("{0}")]
    InvalidBio(String),
    #[error("That does not look like an email address.")]
    InvalidEmail,
    #[error("{0}")]
    WeakPassword(String),
    #[error("That username is taken. Try another one.")]
    UsernameTaken,
    #[error("An account with that email address already exists. Log in, or reset your password.")]
    EmailTaken,
    #[error("Wrong username, email or password.")]
    InvalidCredentials,
    #[error("This link is invalid, expired or already used.")]
    InvalidToken,
    #[error("the mail could not be sent: {0}")]
    Mail(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Db(#[from] stoa_db::Error),
}

impl Error {
    /// The form field an input error belongs to, so the page can show it next to that field.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::InvalidUsername(_) | Error::UsernameTaken => Some("username"),
            Error::InvalidDisplayName(_) => Some("display_name"),
            Error::InvalidBio(_) => Some("bio"),
            Error::InvalidEmail | Error::EmailTaken => Some("email"),
            Error::WeakPassword(_) => Some("password"),
            _ => None,
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        Error::Db(stoa_db::Error::Query(e))
    }
}
