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
        (
            Action::ManageCategories,
            Actor::Member {
                role: Role::Owner, ..
            },
        ) => Ok(()),
        (Action::ManageCategories, Actor::Member { .. }) => Err(Denial::Forbidden(
            "Only the community owner can change its categories.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTIONS: [Action; 4] = [
        Action::ReadPublic,
        Action::AskQuestion,
        Action::Answer,
        Action::ManageCategories,
    ];

    fn member(role: Role) -> Actor {
        Actor::Member {
            id: UserId(7),
            role,
        }
    }

    /// Every action for every kind of actor, spelled out: a new action or role must be added
    /// here, which makes its permissions a deliberate choice.
    #[test]
    fn the_whole_table() {
        use Denial::*;
        let forbidden = Forbidden("Only the community owner can change its categories.");
        let table: [(Actor, [Result<(), Denial>; 4]); 5] = [
            (
                Actor::Guest,
                [
                    Ok(()),
                    Err(SignInRequired),
                    Err(SignInRequired),
                    Err(SignInRequired),
                ],
            ),
            (
                member(Role::Member),
                [Ok(()), Ok(()), Ok(()), Err(forbidden)],
            ),
            (
                member(Role::Staff),
                [Ok(()), Ok(()), Ok(()), Err(forbidden)],
            ),
            (
                member(Role::Moderator),
                [Ok(()), Ok(()), Ok(()), Err(forbidden)],
            ),
            (member(Role::Owner), [Ok(()), Ok(()), Ok(()), Ok(())]),
        ];
        for (actor, expected) in table {
            for (action, want) in ACTIONS.into_iter().zip(expected) {
                assert_eq!(decide(actor, action), want, "{actor:?} {action:?}");
            }
        }
    }
}
