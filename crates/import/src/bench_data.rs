//! `stoa bench-data --posts N`: a larger community for benchmarks, recombined from the
//! imported content (an imported dump; never from generated content): real titles, bodies,
//! tags, comments and authors, drawn at random and put together into new threads. The same
//! seed on the same imported content builds the same community.
//!
//! Each generated post keeps the attribution of the post its body was taken from, so the
//! pages it appears on still name the author and licence.

use std::fmt;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use stoa_db::schema::{
    comments, import_map, post_origins, post_revisions, posts, tags, thread_tags, threads, users,
};
use stoa_db::{CategoryId, DbConn, PostId, TagId, ThreadId, UserId, dialect};
use stoa_threads::views::Origin;
use time::PrimitiveDateTime;

use crate::Error;

/// Threads written per transaction.
const BATCH_THREADS: usize = 500;

/// What was built.
#[derive(Debug, Clone)]
pub struct Built {
    pub posts: u64,
    pub threads: u64,
    pub comments: u64,
    pub elapsed: Duration,
    /// A thread with exactly 30 answers and one with 10, as `/q/{id}/{slug}`.
    pub thread_with_30: String,
    pub thread_with_10: String,
    /// The tag on the most questions.
    pub popular_tag: String,
}

impl fmt::Display for Built {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        writeln!(
            f,
            "Added {} posts in {} threads and {} comments in {:.1} s ({:.0} posts/s)",
            self.posts,
            self.threads,
            self.comments,
            secs,
            self.posts as f64 / secs
        )?;
        writeln!(f, "thread with 30 answers: {}", self.thread_with_30)?;
        writeln!(f, "thread with 10 answers: {}", self.thread_with_10)?;
        write!(f, "popular tag: {}", self.popular_tag)
    }
}

/// A post of the source content.
#[derive(Debug, Clone, Queryable)]
struct SourcePost {
    id: PostId,
    is_question: bool,
    body_source: String,
    body_html: String,
    score: i32,
    comment_count: i32,
    /// The body's attribution, which travels with it.
    origin: Option<Origin>,
}

/// A thread of the source content.
#[derive(Debug, Clone, Queryable)]
struct SourceThread {
    id: ThreadId,
    category: CategoryId,
    title: String,
    slug: String,
    answer_count: i32,
    view_count: i64,
    solved: bool,
}

/// Everything drawn from.
struct Material {
    threads: Vec<SourceThread>,
    questions: Vec<SourcePost>,
    answers: Vec<SourcePost>,
    comments: Vec<(String, String)>,
    /// Tags per source thread, in the order of `threads`.
    tags: Vec<Vec<TagId>>,
    authors: Vec<UserId>,
    /// Generated content starts after the newest source content.
    start: PrimitiveDateTime,
}

/// The local ids of the imported rows of `kind` (generated content is never drawn from, so
/// growing a community again draws from the same material).
fn imported(
    kind: &'static str,
) -> diesel::dsl::Select<
    diesel::dsl::Filter<import_map::table, diesel::dsl::Eq<import_map::kind, &'static str>>,
    import_map::local_id,
> {
    import_map::table
        .filter(import_map::kind.eq(kind))
        .select(import_map::local_id)
}

fn load(conn: &mut DbConn) -> Result<Material, Error> {
    let all: Vec<SourcePost> = posts::table
        .left_join(post_origins::table)
        .filter(posts::deleted_at.is_null())
        .filter(posts::id.eq_any(imported(crate::map::POST)))
        .order(posts::id)
        .select((
            posts::id,
            posts::is_question,
            posts::body_source,
            posts::body_html,
            posts::score,
            posts::comment_count,
            stoa_threads::views::ORIGIN.nullable(),
        ))
        .load(conn)?;
    let question_posts: Vec<PostId> = all.iter().filter(|p| p.is_question).map(|p| p.id).collect();
    let threads: Vec<SourceThread> = threads::table
        .inner_join(posts::table)
        .filter(threads::deleted_at.is_null())
        .filter(posts::id.eq_any(&question_posts))
        .order(threads::id)
        .select((
            threads::id,
            threads::category_id,
            threads::title,
            threads::slug,
            threads::answer_count,
            threads::view_count,
            threads::accepted_answer_id.is_not_null(),
        ))
        .load(conn)?;
    let (questions, answers): (Vec<SourcePost>, Vec<SourcePost>) =
        all.into_iter().partition(|p| p.is_question);
    if questions.is_empty() || answers.is_empty() {
        return Err(Error::Invalid(
            "there is no content to recombine: import a dump first (stoa import stackexchange DIR)"
                .into(),
        ));
    }
    let comments = comments::table
        .filter(comments::id.eq_any(imported(crate::map::COMMENT)))
        .order(comments::id)
        .select((comments::body_source, comments::body_html))
        .load(conn)?;
    let tagged: Vec<(ThreadId, TagId)> = thread_tags::table
        .order((thread_tags::thread_id, thread_tags::tag_id))
        .select((thread_tags::thread_id, thread_tags::tag_id))
        .load(conn)?;
    let tags = threads
        .iter()
        .map(|t| {
            let from = tagged.partition_point(|(thread, _)| *thread < t.id);
            tagged[from..]
                .iter()
                .take_while(|(thread, _)| *thread == t.id)
                .map(|(_, tag)| *tag)
                .collect()
        })
        .collect();
    let authors: Vec<UserId> = users::table
        .filter(users::id.eq_any(imported(crate::map::USER)))
        .order(users::id)
        .select(users::id)
        .load(conn)?;
    let newest: Option<PrimitiveDateTime> = posts::table
        .select(diesel::dsl::max(posts::created_at))
        .first(conn)?;
    Ok(Material {
        threads,
        questions,
        answers,
        comments,
        tags,
        authors,
        start: newest.unwrap_or_else(stoa_db::time::now) + time::Duration::minutes(1),
    })
}

/// Adds at least `posts` posts in generated threads. The first two threads have 30 and 10
/// answers (for the benchmarks' thread pages); the others take their number of answers,
/// comments, scores and views from a random source thread.
pub fn build(conn: &mut DbConn, posts: u64, seed: u64) -> Result<Built, Error> {
    let started = Instant::now();
    let material = load(conn)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut built = Built {
        posts: 0,
        threads: 0,
        comments: 0,
        elapsed: Duration::ZERO,
        thread_with_30: String::new(),
        thread_with_10: String::new(),
        popular_tag: String::new(),
    };
    let mut at = material.start;
    while built.posts < posts {
        dialect::write_transaction(conn, |conn| {
            for _ in 0..BATCH_THREADS {
                if built.posts >= posts {
                    break;
                }
                let answers = match built.threads {
                    0 => Some(30),
                    1 => Some(10),
                    _ => None,
                };
                let (url, written, comments) =
                    generate_thread(conn, &material, &mut rng, at, answers)?;
                match built.threads {
                    0 => built.thread_with_30 = url,
                    1 => built.thread_with_10 = url,
                    _ => {}
                }
                built.threads += 1;
                built.posts += written;
                built.comments += comments;
                at += time::Duration::seconds(rng.random_range(30..600));
            }
            Ok::<_, Error>(())
        })?;
    }
    dialect::write_transaction(conn, recount_tags)?;
    crate::tidy_after_load(conn)?;
    built.popular_tag = tags::table
        .order((tags::question_count.desc(), tags::name))
        .select(tags::name)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_default();
    built.elapsed = started.elapsed();
    Ok(built)
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Writes one thread; returns its URL, the posts written and the comments written.
fn generate_thread(
    conn: &mut DbConn,
    material: &Material,
    rng: &mut StdRng,
    at: PrimitiveDateTime,
    answers: Option<usize>,
) -> Result<(String, u64, u64), Error> {
    let shape_index = rng.random_range(0..material.threads.len());
    let shape = &material.threads[shape_index];
    let title = pick(rng, &material.threads);
    let tags = &material.tags[rng.random_range(0..material.tags.len())];
    let answer_count =
        answers.unwrap_or_else(|| usize::try_from(shape.answer_count).unwrap_or_default());
    let author = *pick(rng, &material.authors);
    let thread = diesel::insert_into(threads::table)
        .values((
            threads::category_id.eq(shape.category),
            threads::author_id.eq(author),
            threads::title.eq(&title.title),
            threads::slug.eq(&title.slug),
            threads::answer_count.eq(i32::try_from(answer_count).unwrap_or(i32::MAX)),
            threads::created_at.eq(at),
            threads::last_activity_at.eq(at + time::Duration::minutes(answer_count as i64)),
            threads::view_count.eq(shape.view_count),
        ))
        .returning(threads::id)
        .get_result::<ThreadId>(conn)?;
    for tag in tags {
        diesel::insert_into(thread_tags::table)
            .values((
                thread_tags::thread_id.eq(thread),
                thread_tags::tag_id.eq(tag),
                thread_tags::thread_created_at.eq(at),
            ))
            .execute(conn)?;
    }
    let question = pick(rng, &material.questions);
    let (_, mut comments) = copy_post(conn, material, rng, question, thread, author, at, true)?;
    let mut answer_ids = Vec::with_capacity(answer_count);
    for n in 0..answer_count {
        let source = pick(rng, &material.answers);
        let author = *pick(rng, &material.authors);
        let when = at + time::Duration::minutes(n as i64 + 1);
        let (id, written) = copy_post(conn, material, rng, source, thread, author, when, false)?;
        answer_ids.push(id);
        comments += written;
    }
    if shape.solved && !answer_ids.is_empty() {
        let accepted = *pick(rng, &answer_ids);
        diesel::update(threads::table.find(thread))
            .set(threads::accepted_answer_id.eq(accepted))
            .execute(conn)?;
    }
    stoa_search::sync::thread_changed(conn, thread)?;
    Ok((
        format!("/q/{thread}/{}", title.slug),
        answer_count as u64 + 1,
        comments,
    ))
}

/// Writes a copy of `source` into `thread` with its revision, its attribution and as many
/// comments as it had (drawn from all comments); returns the new post and the comments
/// written.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site each, all values differ"
)]
fn copy_post(
    conn: &mut DbConn,
    material: &Material,
    rng: &mut StdRng,
    source: &SourcePost,
    thread: ThreadId,
    author: UserId,
    at: PrimitiveDateTime,
    is_question: bool,
) -> Result<(PostId, u64), Error> {
    let comment_count = if material.comments.is_empty() {
        0
    } else {
        source.comment_count
    };
    let id = diesel::insert_into(posts::table)
        .values((
            posts::thread_id.eq(thread),
            posts::author_id.eq(author),
            posts::is_question.eq(is_question),
            posts::body_source.eq(&source.body_source),
            posts::body_html.eq(&source.body_html),
            posts::created_at.eq(at),
            posts::updated_at.eq(at),
            posts::score.eq(source.score),
            posts::comment_count.eq(comment_count),
        ))
        .returning(posts::id)
        .get_result::<PostId>(conn)?;
    diesel::insert_into(post_revisions::table)
        .values((
            post_revisions::post_id.eq(id),
            post_revisions::editor_id.eq(author),
            post_revisions::body_source.eq(&source.body_source),
            post_revisions::created_at.eq(at),
        ))
        .execute(conn)?;
    if let Some(origin) = &source.origin {
        diesel::insert_into(post_origins::table)
            .values((
                post_origins::post_id.eq(id),
                post_origins::site_name.eq(&origin.site_name),
                post_origins::url.eq(&origin.url),
                post_origins::author_name.eq(&origin.author_name),
                post_origins::author_url.eq(&origin.author_url),
                post_origins::license.eq(&origin.license),
            ))
            .execute(conn)?;
    }
    for n in 0..comment_count {
        let (body_source, body_html) = pick(rng, &material.comments);
        diesel::insert_into(comments::table)
            .values((
                comments::post_id.eq(id),
                comments::author_id.eq(*pick(rng, &material.authors)),
                comments::body_source.eq(body_source),
                comments::body_html.eq(body_html),
                comments::created_at.eq(at + time::Duration::seconds(i64::from(n) + 1)),
            ))
            .execute(conn)?;
    }
    Ok((id, u64::try_from(comment_count).unwrap_or_default()))
}

/// Sets every tag's question count from the tagged, undeleted threads (once, after all the
/// threads are written, rather than once per thread).
fn recount_tags(conn: &mut DbConn) -> Result<(), Error> {
    diesel::sql_query(
        "UPDATE tags SET question_count = (
             SELECT COUNT(*) FROM thread_tags tt JOIN threads t ON t.id = tt.thread_id
             WHERE tt.tag_id = tags.id AND t.deleted_at IS NULL)",
    )
    .execute(conn)?;
    Ok(())
}
