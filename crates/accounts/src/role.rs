/// What a member may do beyond reading and posting. Stored as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// A customer of the business.
    Member,
    /// The business's people: they answer as the company.
    Staff,
    /// Keeps the community clean.
    Moderator,
    /// Configures the community and appoints staff and moderators.
    Owner,
}

impl Role {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Staff => "staff",
            Role::Moderator => "moderator",
            Role::Owner => "owner",
        }
    }

    /// Reads the stored spelling; an unknown value is treated as the least privileged role.
    pub fn from_stored(s: &str) -> Role {
        match s {
            "owner" => Role::Owner,
            "moderator" => Role::Moderator,
            "staff" => Role::Staff,
            _ => Role::Member,
        }
    }
}
