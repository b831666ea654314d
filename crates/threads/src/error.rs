/// What can go wrong with threads, with no HTTP in it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidTitle(String),
    #[error("{0}")]
    InvalidBody(String),
    #[error("{0}")]
    InvalidCategory(String),
    #[error("{0}")]
    InvalidComment(String),
    #[error("{0}")]
    InvalidTags(String),
    #[error("A category with that name already exists.")]
    CategoryExists,
    #[error("That question does not exist.")]
    ThreadNotFound,
    #[error("That post does not exist.")]
    PostNotFound,
    #[error("This question is closed and takes no new answers.")]
    ThreadClosed,
    #[error("{0}")]
    InvalidDuplicate(String),
    #[error("You cannot vote on your own post.")]
    OwnVote,
    #[error("That answer does not belong to this question.")]
    NotAnAnswerHere,
    #[error(
        "Someone else edited this post while you were editing it. Your text is below: compare it with the current version and save again."
    )]
    EditConflict,
    #[error(transparent)]
    Db(#[from] stoa_db::Error),
}

impl Error {
    /// The form field an input error belongs to.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::InvalidTitle(_) => Some("title"),
            Error::InvalidBody(_) => Some("body"),
            Error::InvalidCategory(_) | Error::CategoryExists => Some("category"),
            Error::InvalidComment(_) => Some("comment"),
            Error::InvalidTags(_) => Some("tags"),
            Error::InvalidDuplicate(_) => Some("original"),
            _ => None,
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        Error::Db(stoa_db::Error::Query(e))
    }
}
