//! Stoa moderation. For now: the permission policy, the one place that answers "may this
//! person do this?". Every handler asks [`policy::decide`]; nothing decides elsewhere.

pub mod policy;
