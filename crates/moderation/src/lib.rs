//! Stoa moderation: the permission policy (the one place that answers "may this person do
//! this?"; every handler asks [`policy::decide`]) and the rate limits bots run into.

pub mod limits;
pub mod policy;
