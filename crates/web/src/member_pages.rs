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
use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::HttpResponse;
use actix_web::http::header::{CACHE_CONTROL, ContentType};
use askama::Template;
use stoa_accounts::Role;
use stoa_db::{PostId, ThreadId, UserId};
use stoa_moderation::policy::Actor;
use stoa_notify::watching::{self, Target};
use stoa_threads::{views, votes};

use crate::layout::form_key;
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
    /// The member's watch button for the thread.
    Watch { thread: ThreadId },
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
            Slot::Watch { thread } => format!("{MARK}w{}{MARK}", thread.0),
            Slot::FirstPostToken => format!("{MARK}f{MARK}"),
            Slot::Vote { post, score } => format!("{MARK}v{}:{score}{MARK}", post.0),
        }
    }

    fn parse(code: &str) -> Option<Slot> {
        Some(match code {
            "c" => Slot::Csrf,
            "k" => Slot::Key,
            "m" => Slot::MemberNav,
            "f" => Slot::FirstPostToken,
            _ => match code.split_at_checked(1)? {
                ("w", thread) => Slot::Watch {
                    thread: ThreadId(thread.parse().ok()?),
                },
                ("v", vote) => {
                    let (post, score) = vote.split_once(':')?;
                    Slot::Vote {
                        post: PostId(post.parse().ok()?),
                        score: score.parse().ok()?,
                    }
                }
                _ => return None,
            },
        })
    }
}

/// A piece of a shared page. The vote buttons and the watch button come in every form a
/// member may see them in, made when the page is, so that a request only picks one.
#[derive(Debug)]
enum Part {
    Text(String),
    Slot(Slot),
    /// A post's vote buttons: not voted, voted up, voted down.
    Vote {
        post: PostId,
        as_voted: Box<[Vec<Part>; 3]>,
    },
    /// The watch button: not watching, watching.
    Watch(Box<[Vec<Part>; 2]>),
}

/// A thread page as members of one shape see it, with its slots.
#[derive(Debug)]
pub struct SharedPage {
    parts: Vec<Part>,
    /// The length of the page last filled in: a member's page is longer than the marked one
    /// (forms stand for their marks), and a string grown in steps is copied at each.
    filled: AtomicUsize,
    /// Posts shown (for the member's read count).
    pub shown: i64,
}

impl SharedPage {
    /// Splits a page rendered with marks into text and slots.
    pub fn parse(html: &str, shown: i64) -> Result<SharedPage, AppError> {
        Ok(SharedPage {
            parts: parts_of(html)?,
            filled: AtomicUsize::new(html.len()),
            shown,
        })
    }

    /// The page for one member: each slot filled from `member`.
    fn fill(&self, member: &Member<'_>) -> String {
        let mut html = String::with_capacity(self.filled.load(Ordering::Relaxed) + 1024);
        // Form keys need only be unique (each is the author's own): one random base per
        // page, numbered per form.
        let mut keys = (form_key(), 0u32);
        fill(&self.parts, member, &mut keys, &mut html);
        self.filled.store(html.len(), Ordering::Relaxed);
        html
    }

    /// The `200` answer for one member (never stored by shared caches).
    pub fn respond(&self, member: &Member<'_>) -> HttpResponse {
        HttpResponse::Ok()
            .content_type(ContentType::html())
            .insert_header((CACHE_CONTROL, "private, no-store"))
            .body(self.fill(member))
    }
}

/// The parts of `html`, rendered with marks: text, slots, and the vote and watch buttons in
/// each of their forms.
fn parts_of(html: &str) -> Result<Vec<Part>, AppError> {
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
                parts.push(variants(slot)?);
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
    Ok(parts)
}

/// The part standing for `slot`: the vote buttons and the watch button (with the CSRF token's
/// mark) in each of their forms; any other slot as it is.
fn variants(slot: Slot) -> Result<Part, AppError> {
    Ok(match slot {
        Slot::Vote { post, score } => {
            let buttons = |up, down| {
                let buttons = VoteButtons {
                    post,
                    score,
                    up,
                    down,
                };
                parts_of(&buttons.render()?)
            };
            Part::Vote {
                post,
                as_voted: Box::new([
                    buttons(false, false)?,
                    buttons(true, false)?,
                    buttons(false, true)?,
                ]),
            }
        }
        Slot::Watch { thread } => {
            let button = |on| {
                let button =
                    WatchButton::new(Target::Thread(thread), on, String::new(), Slot::Csrf.mark());
                parts_of(&WatchButtonHtml { w: &button }.render()?)
            };
            Part::Watch(Box::new([button(false)?, button(true)?]))
        }
        other => Part::Slot(other),
    })
}

/// Appends `parts` filled for `member` to `html`; `keys` is the page's key base and count.
fn fill(parts: &[Part], member: &Member<'_>, keys: &mut (String, u32), html: &mut String) {
    for part in parts {
        match part {
            Part::Text(text) => html.push_str(text),
            Part::Slot(Slot::Csrf) => html.push_str(member.viewer.csrf()),
            Part::Slot(Slot::Key) => {
                keys.1 += 1;
                // Writing to a String cannot fail.
                let _ = write!(html, "{}-{}", keys.0, keys.1);
            }
            Part::Slot(Slot::MemberNav) => html.push_str(member.viewer.member_nav()),
            Part::Slot(Slot::FirstPostToken) => html.push_str(&member.first_post_token),
            // Made into the forms below when the page was parsed.
            Part::Slot(Slot::Vote { .. } | Slot::Watch { .. }) => {}
            Part::Vote { post, as_voted } => {
                let buttons = match member.state.votes.get(post) {
                    Some(votes::Vote::Up) => &as_voted[1],
                    Some(votes::Vote::Down) => &as_voted[2],
                    Some(votes::Vote::None) | None => &as_voted[0],
                };
                fill(buttons, member, keys, html);
            }
            Part::Watch(buttons) => {
                fill(
                    &buttons[usize::from(member.state.watching)],
                    member,
                    keys,
                    html,
                );
            }
        }
    }
}

/// A post's vote buttons (`templates/threads/vote.html`), which belong to the page's one vote
/// form.
#[derive(Template)]
#[template(path = "threads/vote.html")]
pub struct VoteButtons {
    pub post: PostId,
    pub score: i32,
    pub up: bool,
    pub down: bool,
}

/// What of a thread is a member's own: their votes in it, whether they watch it, whether
/// they wrote in it.
#[derive(Debug, Clone)]
pub struct MemberState {
    pub votes: Arc<HashMap<PostId, votes::Vote>>,
    pub watching: bool,
    wrote_here: bool,
}

/// A member reading a thread whose page they share with members of their shape.
pub struct Member<'a> {
    viewer: &'a Viewer,
    state: MemberState,
    first_post_token: String,
    /// What this member may do on the page, as far as it shows (see [`Member::shape`]).
    standing: (Role, u8, bool),
}

impl<'a> Member<'a> {
    /// The member behind `viewer` on thread `thread`, if they share its page: signed in and
    /// never having written in it. Their state comes from memory while content is unchanged.
    pub async fn reading(
        state: &AppState,
        viewer: &'a Viewer,
        thread: ThreadId,
    ) -> Result<Option<Member<'a>>, AppError> {
        let (
            Some(user),
            Actor::Member {
                role,
                silenced,
                trust,
                ..
            },
        ) = (&viewer.user, viewer.actor())
        else {
            return Ok(None);
        };
        let own = member_state(state, user.id, thread).await?;
        if own.wrote_here {
            return Ok(None);
        }
        Ok(Some(Member {
            viewer,
            first_post_token: crate::threads::first_post_token(state, viewer).await?,
            state: own,
            standing: (role, trust, silenced),
        }))
    }

    /// The key of the shared page at `uri` for members who may do what this one may.
    pub fn shape(&self, uri: &str) -> String {
        let (role, trust, silenced) = self.standing;
        let mut shape = String::with_capacity(uri.len() + 16);
        shape.push_str(uri);
        shape.push('\u{0}');
        shape.push_str(role.as_str());
        shape.push(char::from(b'0' + trust.min(9)));
        shape.push(if silenced { 's' } else { '-' });
        shape
    }
}

/// `user`'s state in `thread`, from memory while content is unchanged.
pub async fn member_state(
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

    fn text_of(parts: &[Part]) -> String {
        parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Slot(s) => s.mark(),
                Part::Vote { post, .. } => format!("[vote {}]", post.0),
                Part::Watch(_) => "[watch]".into(),
            })
            .collect()
    }

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
        let page = SharedPage::parse(&html, 1).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            text_of(&page.parts),
            format!(
                "<a>{}</a>[vote 7]x\u{1}zz\u{1}{}end",
                Slot::Csrf.mark(),
                Slot::Key.mark()
            )
        );
    }

    #[test]
    fn the_vote_buttons_come_as_each_vote_leaves_them() {
        let vote = Slot::Vote {
            post: PostId(7),
            score: 3,
        };
        let Ok(Part::Vote { as_voted, .. }) = variants(vote) else {
            panic!("the vote slot makes the vote buttons");
        };
        let [none, up, down] = as_voted.as_ref();
        for (buttons, pressed) in [(none, None), (up, Some("up")), (down, Some("down"))] {
            let text = text_of(buttons);
            assert!(text.contains(r#"<span class="score" title="Score">3</span>"#));
            // The page's one vote form holds the token: the buttons only name it.
            assert_eq!(text.matches(r#"form="votes""#).count(), 2, "{text}");
            assert!(!text.contains(&Slot::Csrf.mark()), "{text}");
            for which in ["up", "down"] {
                let on = pressed == Some(which);
                let class = format!(r#"class="vote {which}{}""#, if on { " on" } else { "" });
                // Pressed again, a pressed button takes the vote back.
                let name = format!(r#"name="{}" value="7""#, if on { "none" } else { which });
                assert!(text.contains(&class) && text.contains(&name), "{text}");
            }
        }
    }
}
