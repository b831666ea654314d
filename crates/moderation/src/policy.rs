//! The permission policy: one function from (actor, action) to a decision with a reason.

use stoa_accounts::Role;
use stoa_db::UserId;

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// Not signed in.
    Guest,
    /// Signed in; `silenced` members (silenced by a moderator, or new accounts not approved
    /// yet) read but do not post; `trust` is their level, 0–3.
    Member {
        id: UserId,
        role: Role,
        silenced: bool,
        trust: u8,
    },
}

/// What the policy needs to know about the thread an answer or comment goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ThreadState {
    /// Locked by a moderator: no new answers or comments but theirs.
    pub locked: bool,
    /// Closed (as a duplicate or for a reason): no new answers from anyone.
    pub closed: bool,
}

/// What they want to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read public questions, answers, categories, profiles.
    ReadPublic,
    /// Start a new thread.
    AskQuestion,
    /// Answer an existing question.
    Answer { thread: ThreadState },
    /// Change the community's settings: categories, registration, reading, rules.
    ManageCommunity,
    /// Vote on a post; `own` when the actor wrote it.
    Vote { own: bool },
    /// Accept (or un-accept) an answer; `asker` when the actor asked the question.
    AcceptAnswer { asker: bool },
    /// Comment on a question or an answer.
    Comment { thread: ThreadState },
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
    /// Flag a post for moderators; `own` when the actor wrote it.
    Flag { own: bool },
    /// Lock, close for a reason, pin or move a thread.
    ModerateThread,
    /// Work the review queue: approve, hide, delete and restore flagged posts.
    Review,
    /// Suspend or silence an account (or lift it); `target` is that account's role.
    ManageUser { target: Role },
    /// Read the audit log.
    ReadAuditLog,
    /// Appoint an account as member, staff or moderator; `target` is its role now.
    ChangeRole { target: Role },
    /// Make an invitation link (for invitation-only registration).
    Invite,
    /// Mark (or unmark) one answer of a thread as the official answer, for the business.
    MarkOfficial,
    /// Read and write a thread's internal notes, which only the business's people see.
    StaffNotes,
    /// Work the staff queue: see what waits for the team, assign, set aside.
    StaffQueue,
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
        (
            Action::AskQuestion
            | Action::Answer { .. }
            | Action::Comment { .. }
            | Action::EditPost { .. }
            | Action::CreateTag { .. }
            | Action::Flag { .. }
            | Action::CloseAsDuplicate,
            Actor::Member { silenced: true, .. },
        ) => Err(Denial::Forbidden(
            "Your account cannot post for now: a moderator silenced it, or has not approved it yet. You can still read.",
        )),
        (
            Action::Answer {
                thread: ThreadState { closed: true, .. },
            },
            Actor::Member { .. },
        ) => Err(Denial::Forbidden(
            "This question is closed and takes no new answers.",
        )),
        (
            Action::Answer {
                thread: ThreadState { locked: true, .. },
            }
            | Action::Comment {
                thread: ThreadState { locked: true, .. },
            },
            Actor::Member { role, .. },
        ) if role < Role::Moderator => Err(Denial::Forbidden(
            "A moderator locked this thread: it takes no new answers or comments.",
        )),
        (Action::AskQuestion | Action::Answer { .. }, Actor::Member { .. }) => Ok(()),
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
            Action::ManageCommunity,
            Actor::Member {
                role: Role::Owner, ..
            },
        ) => Ok(()),
        (Action::ManageCommunity, Actor::Member { .. }) => Err(Denial::Forbidden(
            "Only the community owner can change its settings and categories.",
        )),
        (Action::Comment { .. }, Actor::Member { .. }) => Ok(()),
        (Action::CreateTag { min_role }, Actor::Member { role, trust, .. })
            if role >= min_role || trust >= 2 =>
        {
            Ok(())
        }
        (Action::CreateTag { .. }, Actor::Member { .. }) => Err(Denial::Forbidden(
            "You cannot create new tags yet (members earn it at trust level 2); choose existing ones.",
        )),
        (Action::DescribeTag, Actor::Member { role, .. }) if role >= Role::Staff => Ok(()),
        (Action::DescribeTag, Actor::Member { .. }) => Err(Denial::Forbidden(
            "Only staff and moderators can describe tags.",
        )),
        (Action::EditPost { own: true }, Actor::Member { .. }) => Ok(()),
        (Action::EditPost { own: false }, Actor::Member { role, trust, .. })
            if role >= Role::Staff || trust >= 3 =>
        {
            Ok(())
        }
        (Action::EditPost { own: false }, Actor::Member { .. }) => Err(Denial::Forbidden(
            "You can edit your own posts; staff, moderators and trust level 3 edit others'.",
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
        (Action::CloseAsDuplicate, Actor::Member { role, trust, .. })
            if role >= Role::Staff || trust >= 3 =>
        {
            Ok(())
        }
        (Action::CloseAsDuplicate, Actor::Member { .. }) => Err(Denial::Forbidden(
            "Staff, moderators and trust level 3 close questions as duplicates; you can say so in a comment.",
        )),
        (Action::Flag { own: true }, Actor::Member { .. }) => Err(Denial::Forbidden(
            "You cannot flag your own post; edit or delete it instead.",
        )),
        (Action::Flag { own: false }, Actor::Member { .. }) => Ok(()),
        (
            Action::ModerateThread | Action::Review | Action::ReadAuditLog,
            Actor::Member { role, .. },
        ) if role >= Role::Moderator => Ok(()),
        (Action::ModerateThread | Action::Review | Action::ReadAuditLog, Actor::Member { .. }) => {
            Err(Denial::Forbidden(
                "Only moderators and the owner can do this.",
            ))
        }
        (Action::ManageUser { target }, Actor::Member { role, .. })
            if role >= Role::Moderator && target < role =>
        {
            Ok(())
        }
        (Action::ManageUser { .. }, Actor::Member { role, .. }) if role >= Role::Moderator => Err(
            Denial::Forbidden("Moderators act on accounts below their own role; ask the owner."),
        ),
        (Action::ManageUser { .. }, Actor::Member { .. }) => Err(Denial::Forbidden(
            "Only moderators and the owner can suspend or silence accounts.",
        )),
        (
            Action::ChangeRole { target },
            Actor::Member {
                role: Role::Owner, ..
            },
        ) if target < Role::Owner => Ok(()),
        (Action::ChangeRole { .. }, Actor::Member { .. }) => Err(Denial::Forbidden(
            "Only the owner appoints staff and moderators, and the owner's own role stays.",
        )),
        (Action::Invite, Actor::Member { role, .. }) if role >= Role::Staff => Ok(()),
        (Action::Invite, Actor::Member { .. }) => Err(Denial::Forbidden(
            "Staff and moderators send the invitations.",
        )),
        (
            Action::MarkOfficial | Action::StaffNotes | Action::StaffQueue,
            Actor::Member { role, .. },
        ) if role >= Role::Staff => Ok(()),
        (Action::MarkOfficial, Actor::Member { .. }) => Err(Denial::Forbidden(
            "Only staff and moderators mark the official answer.",
        )),
        (Action::StaffNotes, Actor::Member { .. }) => Err(Denial::Forbidden(
            "Internal notes are for staff and moderators only.",
        )),
        (Action::StaffQueue, Actor::Member { .. }) => Err(Denial::Forbidden(
            "The staff queue is for staff and moderators only.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: ThreadState = ThreadState {
        locked: false,
        closed: false,
    };
    const LOCKED: ThreadState = ThreadState {
        locked: true,
        closed: false,
    };
    const CLOSED: ThreadState = ThreadState {
        locked: false,
        closed: true,
    };

    const ACTIONS: [Action; 40] = [
        Action::ReadPublic,
        Action::AskQuestion,
        Action::Answer { thread: OPEN },
        Action::Answer { thread: LOCKED },
        Action::Answer { thread: CLOSED },
        Action::ManageCommunity,
        Action::Vote { own: true },
        Action::Vote { own: false },
        Action::AcceptAnswer { asker: true },
        Action::AcceptAnswer { asker: false },
        Action::Comment { thread: OPEN },
        Action::Comment { thread: LOCKED },
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
        Action::Flag { own: true },
        Action::Flag { own: false },
        Action::ModerateThread,
        Action::Review,
        Action::ManageUser {
            target: Role::Member,
        },
        Action::ManageUser {
            target: Role::Staff,
        },
        Action::ManageUser {
            target: Role::Moderator,
        },
        Action::ManageUser {
            target: Role::Owner,
        },
        Action::ReadAuditLog,
        Action::ChangeRole {
            target: Role::Moderator,
        },
        Action::ChangeRole {
            target: Role::Owner,
        },
        Action::Invite,
        Action::MarkOfficial,
        Action::StaffNotes,
        Action::StaffQueue,
    ];

    fn member(role: Role) -> Actor {
        trusted(role, 0)
    }

    fn trusted(role: Role, trust: u8) -> Actor {
        Actor::Member {
            id: UserId(7),
            role,
            silenced: false,
            trust,
        }
    }

    /// Every action for every kind of actor, spelled out: a new action or role must be added
    /// here, which makes its permissions a deliberate choice. `A` allowed, `S` sign in first,
    /// `F` forbidden; columns in the order of `ACTIONS`, in groups: read, ask, answer
    /// (open, locked, closed), categories, vote (own, other), accept (asker, not), comment
    /// (open, locked), create tag (member, staff minimum), describe tag, edit (own, other),
    /// delete (own, own protected, other), restore (self-deleted, by a moderator, other's),
    /// close as duplicate, see deleted, flag (own, other), moderate thread, review, manage
    /// user (member, staff, moderator, owner), audit log, change role (of a moderator, of the
    /// owner), invite, official answer, internal notes and the staff queue.
    #[test]
    fn the_whole_table() {
        let silenced = Actor::Member {
            id: UserId(7),
            role: Role::Member,
            silenced: true,
            trust: 3,
        };
        let table = [
            (
                Actor::Guest,
                "A S SSS S SS SS SS SS S SS SSS SSS S S SS S S SSSS S SS S SSS",
            ),
            (
                member(Role::Member),
                "A A AFF F FA AF AF AF F AF AFF AFF F F FA F F FFFF F FF F FFF",
            ),
            (
                trusted(Role::Member, 1),
                "A A AFF F FA AF AF AF F AF AFF AFF F F FA F F FFFF F FF F FFF",
            ),
            (
                trusted(Role::Member, 2),
                "A A AFF F FA AF AF AA F AF AFF AFF F F FA F F FFFF F FF F FFF",
            ),
            (
                trusted(Role::Member, 3),
                "A A AFF F FA AF AF AA F AA AFF AFF A F FA F F FFFF F FF F FFF",
            ),
            (
                silenced,
                "A F FFF F FA AF FF FF F FF AFF AFF F F FF F F FFFF F FF F FFF",
            ),
            (
                member(Role::Staff),
                "A A AFF F FA AA AF AA A AA AFF AFF A F FA F F FFFF F FF A AAA",
            ),
            (
                member(Role::Moderator),
                "A A AAF F FA AA AA AA A AA AAA AAA A A FA A A AAFF A FF A AAA",
            ),
            (
                member(Role::Owner),
                "A A AAF A FA AA AA AA A AA AAA AAA A A FA A A AAAF A AF A AAA",
            ),
        ];
        for (actor, expected) in table {
            let expected: String = expected.split_whitespace().collect();
            assert_eq!(expected.len(), ACTIONS.len(), "{actor:?}");
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
