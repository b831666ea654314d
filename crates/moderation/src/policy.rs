//! The permission policy: one function from (actor, action) to a decision with a reason.

use stoa_accounts::Role;
use stoa_db::UserId;

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// Not signed in.
    Guest,
    /// Signed in.
    Member { id: UserId, role: Role },
}

/// What they want to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read public questions, answers, categories, profiles.
    ReadPublic,
    /// Start a new thread.
    AskQuestion,
    /// Answer an existing question.
    Answer,
    /// Create and arrange categories (community settings).
    ManageCategories,
    /// Vote on a post; `own` when the actor wrote it.
    Vote { own: bool },
    /// Accept (or un-accept) an answer; `asker` when the actor asked the question.
    AcceptAnswer { asker: bool },
    /// Comment on a question or an answer.
    Comment,
    /// Create a tag that does not exist yet; the community sets the least role that may.
    CreateTag { min_role: Role },
    /// Write a tag's description.
    DescribeTag,
    /// Edit a post; `own` when the actor wrote it.
    EditPost { own: bool },
    /// Delete a post; `own` when the actor wrote it, `protected` when it is a question with an
    /// accepted or upvoted answer by someone else (its asker may not delete it then).
    DeletePost { own: bool, protected: bool },
    /// Restore a deleted post; `own` when the actor wrote it, `self_deleted` when they were
    /// also the one who deleted it (a moderator's deletion is for moderators to undo).
    RestorePost { own: bool, self_deleted: bool },
    /// See deleted posts that are not one's own.
    SeeOthersDeleted,
    /// Close a question as a duplicate of another, or reopen it.
    CloseAsDuplicate,
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// Signing in might allow it: guests are sent to the login page.
    SignInRequired,
    /// Signing in will not help; the text says why.
    Forbidden(&'static str),
}

/// May `actor` do `action`?
pub fn decide(actor: Actor, action: Action) -> Result<(), Denial> {
    match (action, actor) {
        (Action::ReadPublic, _) => Ok(()),
        (_, Actor::Guest) => Err(Denial::SignInRequired),
        (Action::AskQuestion | Action::Answer, Actor::Member { .. }) => Ok(()),
        (Action::Vote { own: true }, Actor::Member { .. }) => {
            Err(Denial::Forbidden("You cannot vote on your own post."))
        }
        (Action::Vote { own: false }, Actor::Member { .. }) => Ok(()),
        (Action::AcceptAnswer { asker: true }, Actor::Member { .. }) => Ok(()),
        (Action::AcceptAnswer { asker: false }, Actor::Member { role, .. })
            if role >= Role::Staff =>
        {
            Ok(())
        }
        (Action::AcceptAnswer { asker: false }, Actor::Member { .. }) => Err(Denial::Forbidden(
            "Only the asker, staff and moderators can accept an answer.",
        )),
        (
            Action::ManageCategories,
            Actor::Member {
                role: Role::Owner, ..
            },
        ) => Ok(()),
        (Action::ManageCategories, Actor::Member { .. }) => Err(Denial::Forbidden(
            "Only the community owner can change its categories.",
        )),
        (Action::Comment, Actor::Member { .. }) => Ok(()),
        (Action::CreateTag { min_role }, Actor::Member { role, .. }) if role >= min_role => Ok(()),
        (Action::CreateTag { .. }, Actor::Member { .. }) => Err(Denial::Forbidden(
            "Your role cannot create new tags yet; choose existing ones.",
        )),
        (Action::DescribeTag, Actor::Member { role, .. }) if role >= Role::Staff => Ok(()),
        (Action::DescribeTag, Actor::Member { .. }) => Err(Denial::Forbidden(
            "Only staff and moderators can describe tags.",
        )),
        (Action::EditPost { own: true }, Actor::Member { .. }) => Ok(()),
        (Action::EditPost { own: false }, Actor::Member { role, .. }) if role >= Role::Staff => {
            Ok(())
        }
        (Action::EditPost { own: false }, Actor::Member { .. }) => Err(Denial::Forbidden(
            "You can edit your own posts; staff and moderators edit others'.",
        )),
        (
            Action::DeletePost { .. } | Action::RestorePost { .. } | Action::SeeOthersDeleted,
            Actor::Member { role, .. },
        ) if role >= Role::Moderator => Ok(()),
        (
            Action::DeletePost {
                own: true,
                protected: false,
            },
            Actor::Member { .. },
        ) => Ok(()),
        (
            Action::DeletePost {
                own: true,
                protected: true,
            },
            Actor::Member { .. },
        ) => Err(Denial::Forbidden(
            "This question has an accepted or upvoted answer by someone else, so it stays for the next reader.",
        )),
        (
            Action::RestorePost {
                own: true,
                self_deleted: true,
            },
            Actor::Member { .. },
        ) => Ok(()),
        (
            Action::RestorePost {
                own: true,
                self_deleted: false,
            },
            Actor::Member { .. },
        ) => Err(Denial::Forbidden(
            "A moderator deleted this post; only a moderator can restore it.",
        )),
        (Action::SeeOthersDeleted, Actor::Member { .. }) => Err(Denial::Forbidden(
            "Only moderators see others' deleted posts.",
        )),
        (
            Action::DeletePost { own: false, .. } | Action::RestorePost { own: false, .. },
            Actor::Member { .. },
        ) => Err(Denial::Forbidden(
            "Only the author and moderators can delete or restore a post.",
        )),
        (Action::CloseAsDuplicate, Actor::Member { role, .. }) if role >= Role::Staff => Ok(()),
        (Action::CloseAsDuplicate, Actor::Member { .. }) => Err(Denial::Forbidden(
            "Staff and moderators close questions as duplicates; you can say so in a comment.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTIONS: [Action; 22] = [
        Action::ReadPublic,
        Action::AskQuestion,
        Action::Answer,
        Action::ManageCategories,
        Action::Vote { own: true },
        Action::Vote { own: false },
        Action::AcceptAnswer { asker: true },
        Action::AcceptAnswer { asker: false },
        Action::Comment,
        Action::CreateTag {
            min_role: Role::Member,
        },
        Action::CreateTag {
            min_role: Role::Staff,
        },
        Action::DescribeTag,
        Action::EditPost { own: true },
        Action::EditPost { own: false },
        Action::DeletePost {
            own: true,
            protected: false,
        },
        Action::DeletePost {
            own: true,
            protected: true,
        },
        Action::DeletePost {
            own: false,
            protected: false,
        },
        Action::RestorePost {
            own: true,
            self_deleted: true,
        },
        Action::RestorePost {
            own: true,
            self_deleted: false,
        },
        Action::RestorePost {
            own: false,
            self_deleted: false,
        },
        Action::CloseAsDuplicate,
        Action::SeeOthersDeleted,
    ];

    fn member(role: Role) -> Actor {
        Actor::Member {
            id: UserId(7),
            role,
        }
    }

    /// Every action for every kind of actor, spelled out: a new action or role must be added
    /// here, which makes its permissions a deliberate choice. `A` allowed, `S` sign in first,
    /// `F` forbidden; columns in the order of `ACTIONS`.
    #[test]
    fn the_whole_table() {
        let table = [
            (Actor::Guest, "ASSSSSSSSSSSSSSSSSSSSS"),
            (member(Role::Member), "AAAFFAAFAAFFAFAFFAFFFF"),
            (member(Role::Staff), "AAAFFAAAAAAAAAAFFAFFAF"),
            (member(Role::Moderator), "AAAFFAAAAAAAAAAAAAAAAA"),
            (member(Role::Owner), "AAAAFAAAAAAAAAAAAAAAAA"),
        ];
        for (actor, expected) in table {
            for (action, want) in ACTIONS.into_iter().zip(expected.chars()) {
                let got = match decide(actor, action) {
                    Ok(()) => 'A',
                    Err(Denial::SignInRequired) => 'S',
                    Err(Denial::Forbidden(why)) => {
                        assert!(why.ends_with('.'), "a reason is a sentence: {why}");
                        'F'
                    }
                };
                assert_eq!(got, want, "{actor:?} {action:?}");
            }
        }
    }
}
