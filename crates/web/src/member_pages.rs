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

/// A piece of a form that comes in several versions (the watch button): text, or a slot.
#[derive(Debug)]
enum Part {
    Text(String),
    Slot(Slot),
}

/// A place where one member's page differs from the shared text.
#[derive(Debug)]
struct Hole {
    /// Where it is in the shared text.
    at: usize,
    what: Fill,
}

/// What goes in a hole.
#[derive(Debug)]
enum Fill {
    /// The slot's value, inserted.
    Slot(Slot),
    /// A post's vote buttons. The shared text holds them as a member who did not vote sees
    /// them (`unvoted` bytes long), so that most requests copy past them; these are the
    /// buttons voted up and voted down.
    Vote {
        post: PostId,
        unvoted: usize,
        voted: Box<[String; 2]>,
    },
    /// The watch button, inserted: not watching, watching (each with the CSRF token's slot).
    Watch(Box<[Vec<Part>; 2]>),
}

/// A thread page as members of one shape see it: one text, and the holes each member's
/// request fills in.
#[derive(Debug)]
pub struct SharedPage {
    text: String,
    /// In page order.
    holes: Vec<Hole>,
    /// The length of the longest page filled in: a member's page is longer than the shared
    /// text (forms stand in the holes), and a string grown in steps is copied at each.
    filled: AtomicUsize,
    /// Posts shown (for the member's read count).
    pub shown: i64,
}

impl SharedPage {
    /// Splits a page rendered with marks into the shared text and its holes.
    pub fn parse(html: &str, shown: i64) -> Result<SharedPage, AppError> {
        let mut page = SharedPage {
            text: String::with_capacity(html.len()),
            holes: Vec::new(),
            filled: AtomicUsize::new(html.len()),
            shown,
        };
        for part in parts_of(html) {
            let at = page.text.len();
            let what = match part {
                Part::Text(text) => {
                    page.text.push_str(&text);
                    continue;
                }
                Part::Slot(Slot::Vote { post, score }) => {
                    let [unvoted, up, down] =
                        [(false, false), (true, false), (false, true)].map(|(up, down)| {
                            VoteButtons {
                                post,
                                score,
                                up,
                                down,
                            }
                            .render()
                        });
                    let unvoted = unvoted?;
                    page.text.push_str(&unvoted);
                    Fill::Vote {
                        post,
                        unvoted: unvoted.len(),
                        voted: Box::new([up?, down?]),
                    }
                }
                Part::Slot(Slot::Watch { thread }) => {
                    let button = |on| {
                        let button = WatchButton::new(
                            Target::Thread(thread),
                            on,
                            String::new(),
                            Slot::Csrf.mark(),
                        );
                        Ok::<_, AppError>(parts_of(&WatchButtonHtml { w: &button }.render()?))
                    };
                    Fill::Watch(Box::new([button(false)?, button(true)?]))
                }
                Part::Slot(slot) => Fill::Slot(slot),
            };
            page.holes.push(Hole { at, what });
        }
        Ok(page)
    }

    /// The page for one member: each hole filled from `member`.
    fn fill(&self, member: &Member<'_>) -> String {
        let longest = self.filled.load(Ordering::Relaxed);
        let mut html = String::with_capacity(longest + 1024);
        // Form keys need only be unique (each is the author's own): one random base per
        // page, numbered per form.
        let mut keys = (form_key(), 0u32);
        // The shared text is copied up to each hole that has something for this member.
        let mut copied = 0;
        for hole in &self.holes {
            let resume = match &hole.what {
                Fill::Vote {
                    post,
                    unvoted,
                    voted,
                } => {
                    let buttons = match member.vote(*post) {
                        Some(votes::Vote::Up) => &voted[0],
                        Some(votes::Vote::Down) => &voted[1],
                        // As shared: nothing to do here.
                        Some(votes::Vote::None) | None => continue,
                    };
                    html.push_str(&self.text[copied..hole.at]);
                    html.push_str(buttons);
                    hole.at + unvoted
                }
                Fill::Slot(slot) => {
                    html.push_str(&self.text[copied..hole.at]);
                    member.put(*slot, &mut keys, &mut html);
                    hole.at
                }
                Fill::Watch(buttons) => {
                    html.push_str(&self.text[copied..hole.at]);
                    for part in &buttons[usize::from(member.state.watching)] {
                        match part {
                            Part::Text(text) => html.push_str(text),
                            Part::Slot(slot) => member.put(*slot, &mut keys, &mut html),
                        }
                    }
                    hole.at
                }
            };
            copied = resume;
        }
        html.push_str(&self.text[copied..]);
        // Written only when it grows: every worker reads it, and a write on each request
        // would take the value from the other cores' caches each time.
        if html.len() > longest {
            self.filled.store(html.len(), Ordering::Relaxed);
        }
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

/// `html`, rendered with marks, as text and slots.
fn parts_of(html: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = html;
    let mut text = String::new();
    while let Some(start) = rest.find(MARK) {
        let after = &rest[start + MARK.len_utf8()..];
        let Some((code, tail)) = after.split_once(MARK) else {
            break;
        };
        match Slot::parse(code) {
            Some(slot) => {
                text.push_str(&rest[..start]);
                parts.push(Part::Text(std::mem::take(&mut text)));
                parts.push(Part::Slot(slot));
                rest = tail;
            }
            // Not one of ours: keep it as text and look further.
            None => {
                let kept = start + MARK.len_utf8();
                text.push_str(&rest[..kept]);
                rest = &rest[kept..];
            }
        }
    }
    text.push_str(rest);
    parts.push(Part::Text(text));
    parts
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
        ) = (viewer.user(), viewer.actor())
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

    /// This member's vote on `post`. Most members voted on nothing in a thread: then no
    /// post is looked up.
    fn vote(&self, post: PostId) -> Option<votes::Vote> {
        if self.state.votes.is_empty() {
            return None;
        }
        self.state.votes.get(&post).copied()
    }

    /// Appends this member's value for `slot`; `keys` is the page's key base and count.
    fn put(&self, slot: Slot, keys: &mut (String, u32), html: &mut String) {
        match slot {
            Slot::Csrf => html.push_str(self.viewer.csrf()),
            Slot::Key => {
                keys.1 += 1;
                // Writing to a String cannot fail.
                let _ = write!(html, "{}-{}", keys.0, keys.1);
            }
            Slot::MemberNav => html.push_str(self.viewer.member_nav()),
            Slot::FirstPostToken => html.push_str(&self.first_post_token),
            // Made into holes of their own when the page was parsed.
            Slot::Vote { .. } | Slot::Watch { .. } => {}
        }
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

    /// The shared text with each hole shown where it is: `[csrf]`, `[key]`, `[vote 7]`
    /// (before the buttons as shared), `[watch]`.
    fn outline(page: &SharedPage) -> String {
        let mut out = String::new();
        let mut copied = 0;
        for hole in &page.holes {
            out.push_str(&page.text[copied..hole.at]);
            copied = hole.at;
            out.push_str(&match &hole.what {
                Fill::Slot(Slot::Csrf) => "[csrf]".to_owned(),
                Fill::Slot(Slot::Key) => "[key]".to_owned(),
                Fill::Slot(other) => format!("[{other:?}]"),
                Fill::Vote { post, .. } => format!("[vote {}]", post.0),
                Fill::Watch(_) => "[watch]".to_owned(),
            });
        }
        out.push_str(&page.text[copied..]);
        out
    }

    fn parsed(html: &str) -> SharedPage {
        SharedPage::parse(html, 1).unwrap_or_else(|e| panic!("{e}"))
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
        let page = parsed(&html);
        let outline = outline(&page);
        assert!(
            outline.starts_with("<a>[csrf]</a>[vote 7]<button"),
            "{outline}"
        );
        assert!(
            outline.ends_with("</button>x\u{1}zz\u{1}[key]end"),
            "{outline}"
        );
    }

    #[test]
    fn the_vote_buttons_come_as_each_vote_leaves_them() {
        let vote = Slot::Vote {
            post: PostId(7),
            score: 3,
        };
        let page = parsed(&format!("<p>{}</p>", vote.mark()));
        let [
            Hole {
                at,
                what: Fill::Vote { unvoted, voted, .. },
            },
        ] = page.holes.as_slice()
        else {
            panic!("the vote slot makes one hole: {:?}", page.holes);
        };
        let shared = &page.text[*at..at + unvoted];
        assert_eq!(&page.text[at + unvoted..], "</p>");
        let [up, down] = voted.as_ref();
        for (buttons, pressed) in [(shared, None), (up, Some("up")), (down, Some("down"))] {
            assert!(buttons.contains(r#"<span class="score" title="Score">3</span>"#));
            // The page's one vote form holds the token: the buttons only name it.
            assert_eq!(buttons.matches(r#"form="votes""#).count(), 2, "{buttons}");
            assert!(!buttons.contains(MARK), "{buttons}");
            for which in ["up", "down"] {
                let on = pressed == Some(which);
                let class = format!(r#"class="vote {which}{}""#, if on { " on" } else { "" });
                // Pressed again, a pressed button takes the vote back.
                let name = format!(r#"name="{}" value="7""#, if on { "none" } else { which });
                assert!(
                    buttons.contains(&class) && buttons.contains(&name),
                    "{buttons}"
                );
            }
        }
    }

    #[test]
    fn the_watch_button_comes_in_both_states_with_the_token_to_fill() {
        let page = parsed(
            &Slot::Watch {
                thread: ThreadId(5),
            }
            .mark(),
        );
        assert_eq!(outline(&page), "[watch]");
        let Some(Hole {
            what: Fill::Watch(states),
            ..
        }) = page.holes.first()
        else {
            panic!("{:?}", page.holes);
        };
        for parts in states.iter() {
            let slots: Vec<_> = parts
                .iter()
                .filter_map(|p| match p {
                    Part::Slot(slot) => Some(*slot),
                    Part::Text(_) => None,
                })
                .collect();
            assert_eq!(slots, [Slot::Csrf]);
        }
    }
}
