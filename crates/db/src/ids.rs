//! Typed ids: a `UserId` cannot be passed where a `ThreadId` is expected.

use diesel_derive_newtype::DieselNewType;
use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, DieselNewType, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// A row of `users`.
    UserId,
    /// A row of `categories`.
    CategoryId,
    /// A row of `threads`: a question and its answers.
    ThreadId,
    /// A row of `posts`: a question body or an answer.
    PostId,
    /// A row of `comments`.
    CommentId,
    /// A row of `tags`.
    TagId,
);
