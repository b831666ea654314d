//! Black-box tests of the whole web application over real HTTP, each on SQLite and on
//! PostgreSQL.

mod comments_tags;
mod common;
mod deletion;
mod duplicates;
mod edits;

mod accounts;
mod insights;
mod limits;
mod mail;
mod moderation;
mod notifications;
mod page_cache;
mod profiles;
mod qa;
mod search;
mod search_outbox;
mod security;
mod staff_queue;
mod team;
mod threads;
