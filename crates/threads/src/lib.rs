//! Stoa threads: categories, questions and their answers, and the Markdown renderer that turns
//! a post into safe HTML once, when it is written.
//!
//! Functions take a `&mut DbConn`; a caller that writes wraps them in
//! `stoa_db::dialect::write_transaction`.

pub mod categories;
mod error;
mod input;
pub mod markdown;
pub mod posts;
pub mod views;
pub mod votes;

pub use error::Error;
pub use input::{Body, IdempotencyKey, Title};
