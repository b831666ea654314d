//! Members' thread pages from a copy that members alike share, filled in per member.
//!
//! A guest's thread page is the same for every guest (`page_cache`). A member's differs from
//! another member's in a few places only: the header (bell and name), the CSRF token of each
//! form, the forms' idempotency keys, their votes, the watch button and, for a new member,
//! the answer form's signed time. So the page is rendered once per *shape*, what a role, trust
//! level and standing may do there, with a mark in each of those places, kept while content is
//! unchanged, and each member's request fills the marks from their own state, kept too.
//!
//! A member who wrote in the thread sees edit and delete links on their posts (and their own
//! deleted posts): their page is rendered for them alone, as before.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::http::header::{CACHE_CONTROL, ContentType};
use askama::Template;
use stoa_db::{PostId, ThreadId, UserId};
use stoa_notify::watching::{self, Target};
use stoa_threads::{views, votes};

use crate::layout::{MemberNav, form_key};
use crate::notifications::{WatchButton, WatchButtonHtml};
use crate::session::Viewer;
use crate::{AppError, AppState};

/// Shared pages kept at most (each about the size of the page: 20–70 KB).
pub const PAGES_KEPT: usize = 1024;
/// Members' own state per thread kept at most.
pub const STATES_KEPT: usize = 20_000;

/// Starts and ends a mark; control characters cannot be typed into a post or a name.
const MARK: char = '\u{1}';

/// A place on a shared page that each member's request fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The member's CSRF token.
    Csrf,
    /// A fresh idempotency key.
    Key,
    /// The member's part of the header.
    MemberNav,
    /// The member's watch button.
    Watch,
    /// A new member's signed time for the answer form.
    FirstPostToken,
    /// A post's vote buttons as the member voted.
    Vote { post: PostId, score: i32 },
}

impl Slot {
    /// The mark standing for this slot in the rendered page.
    pub fn mark(self) -> String {
        match self {
            Slot::Csrf => format!("{MARK}c{MARK}"),
            Slot::Key => format!("{MARK}k{MARK}"),
            Slot::MemberNav => format!("{MARK}m{MARK}"),
            Slot::Watch => format!("{MARK}w{MARK}"),
            Slot::FirstPostToken => format!("{MARK}f{MARK}"),
            Slot::Vote { post, score } => format!("{MARK}v{}:{score}{MARK}", post.0),
        }
    }

    fn parse(code: &str) -> Option<Slot> {
        Some(match code {
            "c" => Slot::Csrf,
            "k" => Slot::Key,
            "m" => Slot::MemberNav,
            "w" => Slot::Watch,
            "f" => Slot::FirstPostToken,
            _ => {
                let (post, score) = code.strip_prefix('v')?.split_once(':')?;
                Slot::Vote {
                    post: PostId(post.parse().ok()?),
                    score: score.parse().ok()?,
                }
            }
        })
    }
}

#[derive(Debug)]
enum Part {
    Text(String),
    Slot(Slot),
}

/// A thread page as members of one shape see it, with its slots.
#[derive(Debug)]
pub struct SharedPage {
    parts: Vec<Part>,
    size: usize,
    /// Posts shown (for the member's read count).
    pub shown: i64,
}

impl SharedPage {
    /// Splits a page rendered with marks into text and slots.
    pub fn parse(html: &str, shown: i64) -> SharedPage {
        let mut parts = Vec::new();
        let mut rest = html;
        while let Some(start) = rest.find(MARK) {
            let after = &rest[start + MARK.len_utf8()..];
            let Some((code, tail)) = after.split_once(MARK) else {
                break;
            };
            match Slot::parse(code) {
                Some(slot) => {
                    parts.push(Part::Text(rest[..start].to_owned()));
                    parts.push(Part::Slot(slot));
                    rest = tail;
                }
                // Not one of ours: keep it as text and look further.
                None => {
                    let kept = start + MARK.len_utf8();
                    parts.push(Part::Text(rest[..kept].to_owned()));
                    rest = &rest[kept..];
                }
            }
        }
        parts.push(Part::Text(rest.to_owned()));
        SharedPage {
            parts,
            size: html.len(),
            shown,
        }
    }

    /// The page for one member: each slot filled from `member`.
    pub fn fill(&self, member: &Member<'_>) -> Result<String, AppError> {
        let mut html = String::with_capacity(self.size + 4096);
        for part in &self.parts {
            match part {
                Part::Text(text) => html.push_str(text),
                Part::Slot(Slot::Csrf) => html.push_str(&member.csrf),
                Part::Slot(Slot::Key) => html.push_str(&form_key()),
                Part::Slot(Slot::MemberNav) => html.push_str(&member.nav),
                Part::Slot(Slot::Watch) => html.push_str(&member.watch),
                Part::Slot(Slot::FirstPostToken) => html.push_str(&member.first_post_token),
                Part::Slot(Slot::Vote { post, score }) => {
                    let vote = member.state.votes.get(post).copied();
                    VoteForm {
                        post: *post,
                        score: *score,
                        up: vote == Some(votes::Vote::Up),
                        down: vote == Some(votes::Vote::Down),
                        csrf: &member.csrf,
                    }
                    .render_into(&mut html)?;
                }
            }
        }
        Ok(html)
    }

    /// The `200` answer for one member (never stored by shared caches).
    pub fn respond(&self, member: &Member<'_>) -> Result<HttpResponse, AppError> {
        Ok(HttpResponse::Ok()
            .content_type(ContentType::html())
            .insert_header((CACHE_CONTROL, "private, no-store"))
            .body(self.fill(member)?))
    }
}

/// A post's vote buttons (`templates/threads/vote.html`).
#[derive(Template)]
#[template(path = "threads/vote.html")]
pub struct VoteForm<'a> {
    pub post: PostId,
    pub score: i32,
    pub up: bool,
    pub down: bool,
    pub csrf: &'a str,
}

/// What of a thread is a member's own: their votes in it, whether they watch it, whether
/// they wrote in it.
#[derive(Debug, Clone)]
pub struct MemberState {
    votes: Arc<HashMap<PostId, votes::Vote>>,
    watching: bool,
    wrote_here: bool,
}

/// A member reading a thread whose page they share with members of their shape.
pub struct Member<'a> {
    viewer: &'a Viewer,
    state: MemberState,
    csrf: String,
    nav: String,
    watch: String,
    first_post_token: String,
}

impl<'a> Member<'a> {
    /// The member behind `viewer` on thread `thread`, if they share its page: signed in and
    /// never having written in it. Their state comes from memory while content is unchanged.
    pub async fn reading(
        state: &AppState,
        viewer: &'a Viewer,
        thread: ThreadId,
    ) -> Result<Option<Member<'a>>, AppError> {
        let Some(user) = &viewer.user else {
            return Ok(None);
        };
        let own = member_state(state, user.id, thread).await?;
        if own.wrote_here {
            return Ok(None);
        }
        let csrf = viewer.csrf_token();
        let button = WatchButton::new(Target::Thread(thread), own.watching, String::new(), csrf.clone());
        Ok(Some(Member {
            viewer,
            nav: MemberNav::of(viewer, &csrf),
            watch: WatchButtonHtml { w: &button }.render()?,
            first_post_token: crate::threads::first_post_token(state, viewer).await?,
            csrf,
            state: own,
        }))
    }

    /// The key of the shared page at `uri` for members who may do what this one may.
    pub fn shape(&self, uri: &str) -> String {
        match self.viewer.actor() {
            stoa_moderation::policy::Actor::Member {
                role,
                silenced,
                trust,
                ..
            } => format!("{uri}\u{0}{role:?}/{trust}/{silenced}"),
            stoa_moderation::policy::Actor::Guest => uri.to_owned(),
        }
    }
}

/// `user`'s state in `thread`, from memory while content is unchanged.
async fn member_state(
    state: &AppState,
    user: UserId,
    thread: ThreadId,
) -> Result<MemberState, AppError> {
    let generation = state.pages.generation();
    if let Some(own) = state.member_states.get(&(user, thread), generation) {
        return Ok(own);
    }
    let own = state
        .db
        .run(move |conn| {
            Ok::<_, stoa_threads::Error>(MemberState {
                votes: Arc::new(votes::in_thread(conn, user, thread)?),
                watching: watching::is_watching(conn, user, Target::Thread(thread))?,
                wrote_here: views::has_written_in(conn, user, thread)?,
            })
        })
        .await?;
    let now = state.pages.generation();
    state
        .member_states
        .put((user, thread), generation, now, own.clone());
    Ok(own)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_found_and_foreign_marks_kept_as_text() {
        let vote = Slot::Vote {
            post: PostId(7),
            score: -2,
        };
        let html = format!(
            "<a>{}</a>{}x\u{1}zz\u{1}{}end",
            Slot::Csrf.mark(),
            vote.mark(),
            Slot::Key.mark()
        );
        let page = SharedPage::parse(&html, 1);
        let slots: Vec<Slot> = page
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Slot(s) => Some(*s),
                Part::Text(_) => None,
            })
            .collect();
        assert_eq!(slots, vec![Slot::Csrf, vote, Slot::Key]);
        let text: String = page
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(t) => Some(t.as_str()),
                Part::Slot(_) => None,
            })
            .collect();
        assert_eq!(text, "<a></a>x\u{1}zz\u{1}end");
    }
}
