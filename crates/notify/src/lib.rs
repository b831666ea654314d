//! Who hears of what. Members watch threads (automatically the ones they ask, answer or
//! comment on), tags and categories; each event becomes a notification for the members it
//! concerns, written in the transaction of the change itself, so nothing is announced that
//! did not happen and nothing that happened goes unannounced.
//!
//! Functions take a connection and leave transactions to the caller, like the other domain
//! crates. Every insert relies on the database's uniqueness (`ON CONFLICT DO NOTHING`), so an
//! event reported twice notifies once.

pub mod email;
pub mod notifications;
pub mod watching;
