//! Limits on new members' posts, by trust level: how many links a post may carry, how soon
//! after the last post the next may come and how many a day, the same text twice within
//! minutes, and which first posts wait for a moderator's approval. Every refusal says what
//! to do; a held post is kept, hidden, and shown once approved.

use diesel::prelude::*;
use stoa_db::schema::posts;
use stoa_db::{DbConn, PostId, UserId, time::now};
use time::Duration;

use crate::limits::{self, Limit, Outcome};
use crate::{Error, flags};

/// The same text by the same member within this long is refused as a repeat…
pub const REPEAT_WINDOW: Duration = Duration::minutes(10);
/// …when it repeats one of their latest this-many posts.
const REPEATS_COMPARED: i64 = 3;

/// The rules, from the settings. Arrays are indexed by trust level (0–3); 0 means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostingRules {
    /// Links (and images, and bare addresses) a post may carry at each level.
    pub max_links: [u32; 4],
    /// `@username` mentions a post may carry at each level.
    pub max_mentions: [u32; 4],
    /// Seconds between two posts of one member at each level.
    pub gap_seconds: [u32; 4],
    /// Posts a day at each level.
    pub per_day: [u32; 4],
    /// A level-0 member's first this-many posts wait for approval when they carry a link…
    pub approval_posts: u32,
    /// …or whatever they carry, when this is on.
    pub approve_all_first_posts: bool,
}

impl Default for PostingRules {
    fn default() -> Self {
        PostingRules {
            max_links: [2, 10, 0, 0],
            max_mentions: [2, 10, 0, 0],
            gap_seconds: [30, 10, 0, 0],
            per_day: [20, 100, 0, 0],
            approval_posts: 2,
            approve_all_first_posts: false,
        }
    }
}

/// Whether a post goes out at once or waits for a moderator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    Now,
    AfterApproval,
}

/// How many links `source` carries: every `http://`, `https://` and `www.` address, whether
/// written as a Markdown link, an image, an autolink or bare text.
pub fn links_in(source: &str) -> usize {
    let lower = source.to_lowercase();
    let schemes = lower.matches("http://").count() + lower.matches("https://").count();
    let bare_www = lower
        .split(|c: char| c.is_whitespace() || "()[]<>\"'".contains(c))
        .filter(|word| word.starts_with("www."))
        .count();
    schemes + bare_www
}

/// How many members' names `source` mentions (`@username`, outside code, not inside an
/// email address; each name once): the same rule that links and notifies them.
pub fn mentions_in(source: &str) -> usize {
    stoa_threads::markdown::mentions(source).len()
}

fn level_index(trust: u8) -> usize {
    usize::from(trust.min(3))
}

/// Who wrote a post, as the rules see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Poster {
    pub id: UserId,
    /// Trust level, 0–3.
    pub trust: u8,
    /// Staff, moderators and the owner are not limited.
    pub staff: bool,
    /// Days visited and posts read, as their session read them: a post by someone whose
    /// visits and reading allow no higher level costs no promotion query.
    pub visit_days: u32,
    pub posts_read: u32,
}

/// Everything the rules need to know about a post being written, gathered before its
/// transaction: who writes it, the rules and trust thresholds in force, and what the form's
/// honeypot and fill time said (`None`: nothing wrong, or not a new member).
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub poster: Poster,
    pub rules: PostingRules,
    pub thresholds: crate::trust::Thresholds,
    pub form_check: Option<crate::signup::Refusal>,
}

/// Applies the rules to `post`, just written with `body`, in the transaction that wrote it:
/// an error refuses it (the transaction then rolls the post back, and the rate limits count
/// nothing); a form that looked automated refuses a member's first post; a first post with
/// links is held for approval; the author's trust level is raised if their activity now
/// earns it. Returns whether the post is out.
pub fn settle(
    conn: &mut DbConn,
    context: &Context,
    post: PostId,
    body: &str,
) -> Result<Release, Error> {
    let Context {
        poster,
        rules,
        thresholds,
        form_check,
    } = context;
    // A member's very first post carries the sign-up form's honeypot and fill time too.
    if let Some(refusal) = form_check
        && !poster.staff
        && !has_other_posts(conn, poster.id, post, 1)?
    {
        return Err(Error::Invalid(refusal.message().to_owned()));
    }
    let release = admit(conn, *poster, post, body, rules)?;
    if release == Release::AfterApproval {
        hold(conn, post)?;
    }
    if thresholds.reachable(poster.visit_days, poster.posts_read) > poster.trust {
        crate::trust::promote(conn, poster.id, thresholds)?;
    }
    Ok(release)
}

/// Checks `post` (new, by `poster`) against the rules and counts it toward the rate limits.
fn admit(
    conn: &mut DbConn,
    poster: Poster,
    post: PostId,
    body: &str,
    rules: &PostingRules,
) -> Result<Release, Error> {
    if poster.staff {
        return Ok(Release::Now);
    }
    let (author, trust) = (poster.id, poster.trust);
    let level = level_index(trust);
    let links = links_in(body);
    let max_links = rules.max_links[level];
    if max_links > 0 && links > usize::try_from(max_links).unwrap_or(usize::MAX) {
        return Err(Error::Invalid(format!(
            "At your trust level a post can carry at most {max_links} links (this one has {links}). Remove some; members earn more as they take part."
        )));
    }
    let mentions = mentions_in(body);
    let max_mentions = rules.max_mentions[level];
    if max_mentions > 0 && mentions > usize::try_from(max_mentions).unwrap_or(usize::MAX) {
        return Err(Error::Invalid(format!(
            "At your trust level a post can mention at most {max_mentions} people (this one mentions {mentions}). Mention fewer; members earn more as they take part."
        )));
    }
    // The member's latest few posts, newest first along their index: however fast they
    // post, this reads a handful of rows.
    let latest: Vec<String> = posts::table
        .filter(posts::author_id.eq(author))
        .filter(posts::id.ne(post))
        .filter(posts::created_at.gt(now() - REPEAT_WINDOW))
        .order((posts::created_at.desc(), posts::id.desc()))
        .limit(REPEATS_COMPARED)
        .select(posts::body_source)
        .load(conn)?;
    if latest.iter().any(|earlier| earlier == body) {
        return Err(Error::Invalid(
            "You posted this same text a few minutes ago. Say something new, or edit the earlier post."
                .into(),
        ));
    }
    let gap = rules.gap_seconds[level];
    if gap > 0 {
        let limit = Limit {
            max: 1,
            window: Duration::seconds(i64::from(gap)),
        };
        if let Outcome::Limited { retry_after } =
            limits::hit(conn, &format!("post-gap:user:{author}"), limit)?
        {
            return Err(Error::Invalid(format!(
                "At your trust level posts come at least {gap} seconds apart. Try again in {} seconds; your text is kept.",
                retry_after.whole_seconds().max(1)
            )));
        }
    }
    let per_day = rules.per_day[level];
    if per_day > 0 {
        let limit = Limit {
            max: i32::try_from(per_day).unwrap_or(i32::MAX),
            window: Duration::days(1),
        };
        if let Outcome::Limited { retry_after } =
            limits::hit(conn, &format!("posts-day:user:{author}"), limit)?
        {
            return Err(Error::Invalid(format!(
                "You have written {per_day} posts today, the most at your trust level. Come back in {} hours.",
                (retry_after.whole_minutes() + 59) / 60
            )));
        }
    }
    if trust > 0 || rules.approval_posts == 0 {
        return Ok(Release::Now);
    }
    let among_first = !has_other_posts(conn, author, post, rules.approval_posts)?;
    Ok(
        if among_first && (rules.approve_all_first_posts || links > 0) {
            Release::AfterApproval
        } else {
            Release::Now
        },
    )
}

/// Whether `author` has at least `n` posts up besides `post` (reads at most `n` rows).
fn has_other_posts(conn: &mut DbConn, author: UserId, post: PostId, n: u32) -> Result<bool, Error> {
    let found: Vec<PostId> = posts::table
        .filter(posts::author_id.eq(author))
        .filter(posts::id.ne(post))
        .filter(posts::deleted_at.is_null())
        .select(posts::id)
        .limit(i64::from(n))
        .load(conn)?;
    Ok(found.len() >= usize::try_from(n).unwrap_or(usize::MAX))
}

/// What a post waiting for approval tells its author.
pub const HELD_REASON: &str =
    "New members' first posts with links are checked by a moderator before others see them.";

/// Holds the just-created `post` for approval: hidden from readers, in the review queue as a
/// first post. Call in the transaction that created it.
fn hold(conn: &mut DbConn, post: PostId) -> Result<(), Error> {
    stoa_threads::deletion::hide(conn, post, None, HELD_REASON)?;
    flags::open_item(conn, post, "first_post", now())
}

#[cfg(test)]
mod tests {
    use super::links_in;

    #[test]
    fn mentions_outside_code_and_addresses_count() {
        use super::mentions_in;
        assert_eq!(mentions_in("thanks @alice and @bob_2!"), 2);
        assert_eq!(mentions_in("mail me at me@example.com"), 0);
        assert_eq!(mentions_in("`@not_this` but @this"), 1);
        assert_eq!(mentions_in("```\n@in_code\n```\n@outside"), 1);
        assert_eq!(mentions_in("a lone @ sign"), 0);
    }

    #[test]
    fn links_are_counted_however_they_are_written() {
        assert_eq!(links_in("no links here"), 0);
        assert_eq!(
            links_in("[site](https://a.example) and ![img](http://b.example/x.png)"),
            2
        );
        assert_eq!(
            links_in("bare https://a.example and www.b.example, <https://c.example>"),
            3
        );
        assert_eq!(links_in("HTTPS://SHOUT.EXAMPLE"), 1);
    }
}
