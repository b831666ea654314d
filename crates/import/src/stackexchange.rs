//! `stoa import stackexchange <DIR>`: a Stack Exchange data dump in.
//!
//! The files are read in dependency order (users, tags, questions, answers, accepted answers,
//! comments, duplicate links, votes), each streamed in batches. A batch is one write
//! transaction that writes its rows and their `import_map` entries together, so a run stopped
//! anywhere leaves a consistent database, and the next run skips what is mapped and goes on.
//! Counters (answers per question, comments per post, questions per tag) move in the same
//! transactions; accepted answers and duplicate links are set, not added, so repeating them
//! changes nothing.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use stoa_accounts::{DisplayName, Role, Username};
use stoa_db::schema::{categories, comments, post_origins, posts, threads, users};
use stoa_db::{CategoryId, DbConn, PostId, ThreadId, UserId, dialect};
use stoa_search::sync as search;
use stoa_threads::revisions::{self, NewRevision};
use stoa_threads::tags::{self, TagName};
use stoa_threads::{categories as category, markdown, posts as thread_posts};
use time::PrimitiveDateTime;

use crate::convert::{self, Body};
use crate::dump::{REQUIRED_FILES, Row, Rows};
use crate::map::{self, COMMENT, FORMER_MEMBER, POST, USER};
use crate::{Error, Summary, Tally};

/// What to import, and into where.
#[derive(Debug, Clone)]
pub struct Options {
    /// The dump folder (Users.xml, Posts.xml, …).
    pub dir: PathBuf,
    /// The source site's host, e.g. `beer.stackexchange.com`: links back to the originals
    /// and the key under which imported rows are remembered.
    pub site: String,
    /// The site's name as attributions show it.
    pub site_name: String,
    /// The category imported questions go into (created if missing).
    pub category: String,
    /// Rows per write transaction.
    pub batch_size: usize,
    /// Draw progress bars on the terminal.
    pub progress: bool,
}

impl Options {
    /// Options for `dir`, whose folder name is the site's host (as the dump archives are
    /// named: `beer.stackexchange.com`); `site` overrides it.
    pub fn new(dir: &Path, site: Option<&str>) -> Result<Options, Error> {
        let site = match site {
            Some(site) => site.trim().to_ascii_lowercase(),
            None => dir
                .canonicalize()
                .unwrap_or_else(|_| dir.to_owned())
                .file_name()
                .map(|n| n.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default(),
        };
        let valid = site.contains('.')
            && site
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !valid {
            return Err(Error::Invalid(format!(
                "cannot tell the site from the folder name {:?}: name it with --site, e.g. --site beer.stackexchange.com",
                site
            )));
        }
        Ok(Options {
            dir: dir.to_owned(),
            site_name: site.clone(),
            category: site.clone(),
            site,
            batch_size: 500,
            progress: false,
        })
    }
}

/// Imports the dump described by `options`. Run it again at any time: what was imported is
/// left as it is, and what is missing (after an interrupted run) is added.
pub fn import(conn: &mut DbConn, options: &Options) -> Result<Summary, Error> {
    let started = Instant::now();
    for file in REQUIRED_FILES {
        if !options.dir.join(file).exists() {
            return Err(Error::MissingFile {
                file,
                dir: options.dir.clone(),
                expected: REQUIRED_FILES.join(", "),
            });
        }
    }
    let bar = if options.progress {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:16} [{bar:40}] {binary_bytes}/{binary_total_bytes} {elapsed}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let category = dialect::write_transaction(conn, |conn| import_category(conn, options))?;
    let mut run = Run {
        options,
        bar: &bar,
        category,
        former_members: HashMap::new(),
        current: Tally::default(),
        summary: Summary::default(),
    };
    run.stage(conn, "Users.xml", "users", parse_user, write_users)?;
    run.stage(conn, "Tags.xml", "tags", parse_tag, write_tags)?;
    run.stage(
        conn,
        "Posts.xml",
        "questions",
        parse_question,
        write_questions,
    )?;
    run.stage(conn, "Posts.xml", "answers", parse_answer, write_answers)?;
    run.stage(
        conn,
        "Posts.xml",
        "accepted answers",
        parse_acceptance,
        write_acceptances,
    )?;
    run.stage(
        conn,
        "Comments.xml",
        "comments",
        parse_comment,
        write_comments,
    )?;
    run.stage(
        conn,
        "PostLinks.xml",
        "duplicate links",
        parse_duplicate,
        write_duplicates,
    )?;
    run.stage(conn, "Votes.xml", "votes", parse_vote, |_, _, _| Ok(()))?;
    crate::tidy_after_load(conn)?;
    bar.finish_and_clear();
    let mut summary = run.summary;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The category for imported questions, found by its slug or created.
fn import_category(conn: &mut DbConn, options: &Options) -> Result<CategoryId, Error> {
    let existing = categories::table
        .filter(categories::slug.eq(slug::slugify(&options.category)))
        .select(categories::id)
        .first::<CategoryId>(conn)
        .optional()?;
    match existing {
        Some(id) => Ok(id),
        None => Ok(category::create(
            conn,
            &options.category,
            &format!("Questions and answers from {}.", options.site_name),
        )?
        .id),
    }
}

/// One import in progress.
struct Run<'a> {
    options: &'a Options,
    bar: &'a ProgressBar,
    category: CategoryId,
    /// The local accounts of authors whose source account was deleted, by the name the dump
    /// gives them, once looked up.
    former_members: HashMap<String, UserId>,
    /// The tally of the stage running now.
    current: Tally,
    summary: Summary,
}

/// Reads a row of a stage's file: `Some` to write it, `None` when the row is not this
/// stage's or is skipped (then the tally says why).
type Parse<T> = fn(&Row, &mut Tally) -> Option<T>;

impl Run<'_> {
    /// Streams `file`, parses each row with `parse`, and hands batches to `write`.
    fn stage<T>(
        &mut self,
        conn: &mut DbConn,
        file: &str,
        kind: &'static str,
        parse: Parse<T>,
        write: impl Fn(&mut Self, &mut DbConn, Vec<T>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.bar.set_message(kind);
        let started = Instant::now();
        let mut rows = Rows::open(&self.options.dir, file, self.bar)?;
        let mut batch = Vec::with_capacity(self.options.batch_size);
        loop {
            let row = rows.next_row()?;
            let done = row.is_none();
            if let Some(row) = row {
                self.summary.rows_read += 1;
                if let Some(item) = parse(&row, &mut self.current) {
                    batch.push(item);
                }
            }
            if batch.len() >= self.options.batch_size || (done && !batch.is_empty()) {
                write(self, conn, std::mem::take(&mut batch))?;
            }
            if done {
                let mut tally = std::mem::take(&mut self.current);
                tally.elapsed = started.elapsed();
                self.summary.kinds.push((kind, tally));
                return Ok(());
            }
        }
    }

    fn tally(&mut self) -> &mut Tally {
        &mut self.current
    }

    fn site(&self) -> &str {
        &self.options.site
    }

    fn url(&self, path: &str, id: i64) -> String {
        format!("https://{}/{path}/{id}", self.options.site)
    }

    /// The local author of a row whose source author is `original` (mapped in the users
    /// stage). When the source account is gone, the dump still names its author (`user150`):
    /// one account per such name (or one "Former member" for rows without a name), made when
    /// first needed, at the time of the row that needs it, so a resumed run makes the same.
    fn author(
        &mut self,
        conn: &mut DbConn,
        users: &HashMap<i64, i64>,
        original: Option<i64>,
        name: Option<&str>,
        at: PrimitiveDateTime,
    ) -> Result<UserId, Error> {
        if let Some(local) = original.and_then(|o| users.get(&o)) {
            return Ok(UserId(*local));
        }
        let name = name.map(str::trim).unwrap_or_default();
        if let Some(id) = self.former_members.get(name) {
            return Ok(*id);
        }
        let key = former_member_key(name);
        let site = self.options.site.clone();
        let id = match map::lookup(conn, &site, FORMER_MEMBER, &[key])?.get(&key) {
            Some(local) => UserId(*local),
            None => {
                let (handle, shown) = if name.is_empty() {
                    ("former-member".to_owned(), "Former member".to_owned())
                } else {
                    let shown = display_name(name, 0);
                    let mut handle = format!("former-{}", slug::slugify(&shown));
                    handle.truncate(30);
                    (handle.trim_end_matches('-').to_owned(), shown)
                };
                let id = insert_user(conn, &handle, &shown, at)?;
                map::remember(conn, &site, FORMER_MEMBER, key, id.0)?;
                id
            }
        };
        self.former_members.insert(name.to_owned(), id);
        Ok(id)
    }
}

/// The import map's key for the author name of a deleted account: a stable hash of the name
/// (SHA-256, 63 bits, never 0), and 0 for rows without a name.
fn former_member_key(name: &str) -> i64 {
    use sha2::{Digest, Sha256};
    if name.is_empty() {
        return 0;
    }
    let digest = Sha256::digest(name.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (i64::from_be_bytes(first) & i64::MAX) | 1
}

/// Writes `batch` in one write transaction. A failed batch rolls back whole, and the cached
/// former-member accounts with it (they may have been created inside).
fn in_transaction<T>(
    run: &mut Run<'_>,
    conn: &mut DbConn,
    batch: T,
    write: impl FnOnce(&mut Run<'_>, &mut DbConn, T) -> Result<(), Error>,
) -> Result<(), Error> {
    let result = dialect::write_transaction(conn, |conn| write(run, conn, batch));
    if result.is_err() {
        run.former_members.clear();
    }
    result
}

// ---- users ---------------------------------------------------------------------------------

struct UserRow {
    id: i64,
    display_name: String,
    created_at: PrimitiveDateTime,
}

fn parse_user(row: &Row, tally: &mut Tally) -> Option<UserRow> {
    let (Some(id), Some(created_at)) = (row.int("Id"), row.time("CreationDate")) else {
        tally.skip("a row without an Id or a CreationDate");
        return None;
    };
    Some(UserRow {
        id,
        display_name: row.get("DisplayName").unwrap_or_default().to_owned(),
        created_at,
    })
}

fn write_users(run: &mut Run<'_>, conn: &mut DbConn, batch: Vec<UserRow>) -> Result<(), Error> {
    let ids: Vec<i64> = batch.iter().map(|u| u.id).collect();
    in_transaction(run, conn, batch, |run, conn, batch| {
        let known = map::lookup(conn, run.site(), USER, &ids)?;
        let fresh: Vec<(UserRow, String, String)> = batch
            .into_iter()
            .filter(|u| {
                let present = known.contains_key(&u.id);
                if present {
                    run.tally().present += 1;
                }
                !present
            })
            .map(|u| {
                let name = display_name(&u.display_name, u.id);
                let handle = handle_for(&name, u.id);
                (u, name, handle)
            })
            .collect();
        // One query for the whole batch's usernames; only a taken one is looked at again.
        let handles: Vec<&str> = fresh.iter().map(|(_, _, h)| h.as_str()).collect();
        let taken: HashSet<String> = users::table
            .filter(users::username.eq_any(&handles))
            .select(users::username)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        for (user, name, handle) in fresh {
            let id = if taken.contains(&handle) {
                insert_user(conn, &handle, &name, user.created_at)?
            } else {
                insert_account(conn, &handle, &name, user.created_at)?
            };
            map::remember(conn, run.site(), USER, user.id, id.0)?;
            run.tally().imported += 1;
        }
        Ok(())
    })
}

/// A display name Stoa accepts, from the source's (cut to 50 characters, control characters
/// dropped; `user<id>` when nothing is left).
fn display_name(source: &str, id: i64) -> String {
    let cleaned: String = source
        .chars()
        .filter(|c| !c.is_control())
        .take(50)
        .collect();
    match DisplayName::parse(&cleaned) {
        Ok(name) => name.as_str().to_owned(),
        Err(_) => format!("user{id}"),
    }
}

/// A username for an imported account: the display name as a slug, then the source id
/// (`-1` becomes `m1`), within the 30 characters a username may have.
fn handle_for(display_name: &str, id: i64) -> String {
    let suffix = if id < 0 {
        format!("m{}", id.unsigned_abs())
    } else {
        id.to_string()
    };
    let mut base = slug::slugify(display_name);
    base.truncate(29usize.saturating_sub(suffix.len()));
    let base = base.trim_end_matches('-');
    if base.is_empty() {
        format!("user-{suffix}")
    } else {
        format!("{base}-{suffix}")
    }
}

/// Creates an account that cannot log in (no email, no password). When `handle` is taken by
/// someone else, a free variant (`handle-2`, `handle-3`, …) is used.
fn insert_user(
    conn: &mut DbConn,
    handle: &str,
    display_name: &str,
    created_at: PrimitiveDateTime,
) -> Result<UserId, Error> {
    let mut candidate = handle.to_owned();
    for n in 2.. {
        let username = Username::parse(&candidate)
            .map_err(|e| Error::Invalid(format!("username {candidate:?}: {e}")))?;
        let taken: i64 = users::table
            .filter(users::username.eq(username.as_str()))
            .count()
            .get_result(conn)?;
        if taken == 0 {
            return insert_account(conn, username.as_str(), display_name, created_at);
        }
        let tail = format!("-{n}");
        let mut base = handle.to_owned();
        base.truncate(30 - tail.len());
        candidate = format!("{}{tail}", base.trim_end_matches('-'));
    }
    unreachable!("the loop returns or fails")
}

/// Inserts an account that cannot log in under `username`, known to be free.
fn insert_account(
    conn: &mut DbConn,
    username: &str,
    display_name: &str,
    created_at: PrimitiveDateTime,
) -> Result<UserId, Error> {
    let username = Username::parse(username)
        .map_err(|e| Error::Invalid(format!("username {username:?}: {e}")))?;
    Ok(diesel::insert_into(users::table)
        .values((
            users::username.eq(username.as_str()),
            users::display_name.eq(display_name),
            users::role.eq(Role::Member.as_str()),
            users::created_at.eq(created_at),
        ))
        .returning(users::id)
        .get_result::<UserId>(conn)?)
}

// ---- tags ----------------------------------------------------------------------------------

fn parse_tag(row: &Row, tally: &mut Tally) -> Option<TagName> {
    match row.get("TagName").map(TagName::parse) {
        Some(Ok(name)) => Some(name),
        Some(Err(_)) => {
            tally.skip("a tag name Stoa cannot use (letters, digits, + # . and hyphens)");
            None
        }
        None => {
            tally.skip("a row without a TagName");
            None
        }
    }
}

fn write_tags(run: &mut Run<'_>, conn: &mut DbConn, batch: Vec<TagName>) -> Result<(), Error> {
    in_transaction(run, conn, batch, |run, conn, batch| {
        let names: Vec<&str> = batch.iter().map(TagName::as_str).collect();
        let existing: i64 = stoa_db::schema::tags::table
            .filter(stoa_db::schema::tags::name.eq_any(&names))
            .count()
            .get_result(conn)?;
        tags::resolve(conn, &batch, true)?;
        let existing = u64::try_from(existing).unwrap_or_default();
        run.tally().present += existing;
        run.tally().imported += batch.len() as u64 - existing;
        Ok(())
    })
}

/// The tags of a question row: `<a><b>` in older dumps, `|a|b|` in newer ones.
fn tag_names(row: &Row) -> Vec<TagName> {
    let mut names: Vec<TagName> = Vec::new();
    for word in row
        .get("Tags")
        .unwrap_or_default()
        .split(['<', '>', '|'])
        .filter(|w| !w.is_empty())
    {
        if let Ok(name) = TagName::parse(word)
            && !names.contains(&name)
            && names.len() < tags::MAX_TAGS
        {
            names.push(name);
        }
    }
    names
}

// ---- questions and answers -----------------------------------------------------------------

/// What questions and answers share.
struct PostRow {
    id: i64,
    owner: Option<i64>,
    /// The author's name as the dump gives it for deleted accounts.
    owner_name: Option<String>,
    body: String,
    score: i32,
    created_at: PrimitiveDateTime,
    updated_at: PrimitiveDateTime,
    license: String,
}

struct QuestionRow {
    post: PostRow,
    title: String,
    tags: Vec<TagName>,
    view_count: i64,
    last_activity_at: PrimitiveDateTime,
    closed_at: Option<PrimitiveDateTime>,
}

struct AnswerRow {
    post: PostRow,
    question: i64,
}

const QUESTION: i64 = 1;
const ANSWER: i64 = 2;

fn parse_post(row: &Row, tally: &mut Tally) -> Option<PostRow> {
    let (Some(id), Some(body), Some(created_at)) =
        (row.int("Id"), row.get("Body"), row.time("CreationDate"))
    else {
        tally.skip("a row without an Id, a Body or a CreationDate");
        return None;
    };
    Some(PostRow {
        id,
        owner: row.int("OwnerUserId"),
        owner_name: row.get("OwnerDisplayName").map(str::to_owned),
        body: body.to_owned(),
        score: row
            .int("Score")
            .and_then(|s| i32::try_from(s).ok())
            .unwrap_or_default(),
        created_at,
        updated_at: row
            .time("LastEditDate")
            .unwrap_or(created_at)
            .max(created_at),
        license: row.get("ContentLicense").unwrap_or("CC BY-SA").to_owned(),
    })
}

fn parse_question(row: &Row, tally: &mut Tally) -> Option<QuestionRow> {
    match row.int("PostTypeId") {
        Some(QUESTION) => {}
        Some(ANSWER) => return None,
        _ => {
            tally.skip("not a question or an answer (tag wikis and site pages)");
            return None;
        }
    }
    let title = row
        .get("Title")
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty());
    let Some(title) = title else {
        tally.skip("a question without a title");
        return None;
    };
    let post = parse_post(row, tally)?;
    Some(QuestionRow {
        title,
        tags: tag_names(row),
        view_count: row.int("ViewCount").unwrap_or_default(),
        last_activity_at: row
            .time("LastActivityDate")
            .unwrap_or(post.created_at)
            .max(post.created_at),
        closed_at: row.time("ClosedDate"),
        post,
    })
}

fn parse_answer(row: &Row, tally: &mut Tally) -> Option<AnswerRow> {
    if row.int("PostTypeId") != Some(ANSWER) {
        return None;
    }
    let Some(question) = row.int("ParentId") else {
        tally.skip("an answer without a ParentId");
        return None;
    };
    Some(AnswerRow {
        post: parse_post(row, tally)?,
        question,
    })
}

/// The posts of a batch not imported yet, with their bodies converted, and the local
/// authors of the batch.
struct Fresh<T> {
    posts: Vec<(T, Body)>,
    /// Posts of the batch imported by an earlier run.
    present: u64,
    authors: HashMap<i64, i64>,
    /// The display names of the batch's mapped authors (local id → name), for attributions.
    names: HashMap<i64, String>,
}

/// Sorts out the fresh posts of `batch` and converts their bodies (in parallel, before the
/// write transaction opens).
fn fresh<T>(
    run: &Run<'_>,
    conn: &mut DbConn,
    batch: Vec<T>,
    post: impl Fn(&T) -> &PostRow,
) -> Result<Fresh<T>, Error> {
    let ids: Vec<i64> = batch.iter().map(|r| post(r).id).collect();
    let known = map::lookup(conn, run.site(), POST, &ids)?;
    let before = batch.len();
    let fresh: Vec<T> = batch
        .into_iter()
        .filter(|r| !known.contains_key(&post(r).id))
        .collect();
    let present = (before - fresh.len()) as u64;
    let owners: Vec<i64> = fresh.iter().filter_map(|r| post(r).owner).collect();
    let authors = map::lookup(conn, run.site(), USER, &owners)?;
    let locals: Vec<i64> = authors.values().copied().collect();
    let names = users::table
        .filter(users::id.eq_any(&locals))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let htmls: Vec<&str> = fresh.iter().map(|r| post(r).body.as_str()).collect();
    let bodies = convert::bodies(&htmls);
    Ok(Fresh {
        posts: fresh.into_iter().zip(bodies).collect(),
        present,
        authors,
        names,
    })
}

/// The author an imported post's attribution names: the mapped account's display name, or
/// the name the dump gives for a deleted account.
fn origin_author<'a>(names: &'a HashMap<i64, String>, author: UserId, row: &'a PostRow) -> &'a str {
    names
        .get(&author.0)
        .map(String::as_str)
        .or(row.owner_name.as_deref())
        .unwrap_or("Former member")
}

/// Where a post goes and what it says.
struct NewPost<'a> {
    row: &'a PostRow,
    body: &'a Body,
    thread: ThreadId,
    is_question: bool,
    author: UserId,
    /// The author as the attribution names them.
    author_name: &'a str,
    /// Questions only: the title and tags of the first revision.
    title: Option<&'a str>,
    tags: Option<&'a str>,
}

/// Writes one imported post: the post, its first revision (at its original time), its
/// origin (for the attribution) and its mapping.
fn insert_post(run: &mut Run<'_>, conn: &mut DbConn, new: NewPost<'_>) -> Result<PostId, Error> {
    let row = new.row;
    let id = diesel::insert_into(posts::table)
        .values((
            posts::thread_id.eq(new.thread),
            posts::author_id.eq(new.author),
            posts::is_question.eq(new.is_question),
            posts::body_source.eq(&new.body.source),
            posts::body_html.eq(&new.body.html),
            posts::created_at.eq(row.created_at),
            posts::updated_at.eq(row.updated_at),
            posts::score.eq(row.score),
        ))
        .returning(posts::id)
        .get_result::<PostId>(conn)?;
    let first = NewRevision {
        post: id,
        editor: new.author,
        title: new.title,
        tags: new.tags,
        body: &new.body.source,
        reason: "",
    };
    revisions::record_at(conn, first, row.created_at)?;
    let path = if new.is_question { "q" } else { "a" };
    diesel::insert_into(post_origins::table)
        .values((
            post_origins::post_id.eq(id),
            post_origins::site_name.eq(&run.options.site_name),
            post_origins::url.eq(run.url(path, row.id)),
            post_origins::author_name.eq(new.author_name),
            post_origins::author_url.eq(row.owner.map(|o| run.url("users", o))),
            post_origins::license.eq(&row.license),
        ))
        .execute(conn)?;
    map::remember(conn, run.site(), POST, row.id, id.0)?;
    Ok(id)
}

fn write_questions(
    run: &mut Run<'_>,
    conn: &mut DbConn,
    batch: Vec<QuestionRow>,
) -> Result<(), Error> {
    let Fresh {
        posts,
        present,
        authors,
        names,
    } = fresh(run, conn, batch, |q| &q.post)?;
    run.tally().present += present;
    in_transaction(run, conn, posts, |run, conn, posts| {
        let mut threads = Vec::with_capacity(posts.len());
        for (question, body) in posts {
            let row = &question.post;
            let author = run.author(
                conn,
                &authors,
                row.owner,
                row.owner_name.as_deref(),
                row.created_at,
            )?;
            let thread = diesel::insert_into(threads::table)
                .values((
                    threads::category_id.eq(run.category),
                    threads::author_id.eq(author),
                    threads::title.eq(&question.title),
                    threads::slug.eq(thread_posts::slug_for(&question.title)),
                    threads::created_at.eq(row.created_at),
                    threads::last_activity_at.eq(question.last_activity_at),
                    threads::closed_at.eq(question.closed_at),
                    threads::view_count.eq(question.view_count),
                ))
                .returning(threads::id)
                .get_result::<ThreadId>(conn)?;
            let tag_ids = tags::resolve(conn, &question.tags, true)?;
            tags::set_for_thread(conn, thread, &tag_ids)?;
            let tag_text = thread_posts::tag_list(&question.tags);
            let new = NewPost {
                row,
                body: &body,
                thread,
                is_question: true,
                author,
                author_name: origin_author(&names, author, row),
                title: Some(&question.title),
                tags: Some(&tag_text),
            };
            insert_post(run, conn, new)?;
            threads.push(thread);
            run.tally().imported += 1;
        }
        search::threads_changed(conn, &threads)?;
        Ok(())
    })
}

/// The threads of the local posts `locals`.
fn threads_of(conn: &mut DbConn, locals: &[i64]) -> Result<HashMap<i64, ThreadId>, Error> {
    Ok(posts::table
        .filter(posts::id.eq_any(locals))
        .select((posts::id, posts::thread_id))
        .load::<(i64, ThreadId)>(conn)?
        .into_iter()
        .collect())
}

/// The threads of the source posts `originals` that were imported as questions or answers.
fn threads_of_originals(
    run: &Run<'_>,
    conn: &mut DbConn,
    originals: &[i64],
) -> Result<HashMap<i64, (PostId, ThreadId)>, Error> {
    let locals = map::lookup(conn, run.site(), POST, originals)?;
    let local_ids: Vec<i64> = locals.values().copied().collect();
    let threads = threads_of(conn, &local_ids)?;
    Ok(locals
        .into_iter()
        .filter_map(|(original, local)| {
            let thread = *threads.get(&local)?;
            Some((original, (PostId(local), thread)))
        })
        .collect())
}

fn write_answers(run: &mut Run<'_>, conn: &mut DbConn, batch: Vec<AnswerRow>) -> Result<(), Error> {
    let Fresh {
        posts,
        present,
        authors,
        names,
    } = fresh(run, conn, batch, |a| &a.post)?;
    run.tally().present += present;
    let parents: Vec<i64> = posts.iter().map(|(a, _)| a.question).collect();
    let questions = threads_of_originals(run, conn, &parents)?;
    in_transaction(run, conn, posts, |run, conn, posts| {
        let mut answers_per_thread: HashMap<ThreadId, i32> = HashMap::new();
        let mut written = Vec::with_capacity(posts.len());
        for (answer, body) in posts {
            let Some((_, thread)) = questions.get(&answer.question).copied() else {
                run.tally()
                    .skip("its question is not in the dump (deleted before the dump was made)");
                continue;
            };
            let post = &answer.post;
            let author = run.author(
                conn,
                &authors,
                post.owner,
                post.owner_name.as_deref(),
                post.created_at,
            )?;
            let new = NewPost {
                row: &answer.post,
                body: &body,
                thread,
                is_question: false,
                author,
                author_name: origin_author(&names, author, &answer.post),
                title: None,
                tags: None,
            };
            written.push(insert_post(run, conn, new)?);
            *answers_per_thread.entry(thread).or_default() += 1;
            run.tally().imported += 1;
        }
        for (&thread, &added) in &answers_per_thread {
            diesel::update(threads::table.find(thread))
                .set(threads::answer_count.eq(threads::answer_count + added))
                .execute(conn)?;
        }
        let threads: Vec<ThreadId> = answers_per_thread.into_keys().collect();
        search::posts_changed(conn, &threads, &written)?;
        Ok(())
    })
}

// ---- accepted answers ----------------------------------------------------------------------

fn parse_acceptance(row: &Row, _tally: &mut Tally) -> Option<(i64, i64)> {
    if row.int("PostTypeId") != Some(QUESTION) {
        return None;
    }
    Some((row.int("Id")?, row.int("AcceptedAnswerId")?))
}

fn write_acceptances(
    run: &mut Run<'_>,
    conn: &mut DbConn,
    batch: Vec<(i64, i64)>,
) -> Result<(), Error> {
    let originals: Vec<i64> = batch.iter().flat_map(|(q, a)| [*q, *a]).collect();
    let found = threads_of_originals(run, conn, &originals)?;
    in_transaction(run, conn, batch, |run, conn, batch| {
        for (question, answer) in batch {
            let (Some((_, thread)), Some((answer_post, answer_thread))) =
                (found.get(&question), found.get(&answer))
            else {
                run.tally()
                    .skip("the question or its accepted answer is not in the dump");
                continue;
            };
            if thread != answer_thread {
                run.tally()
                    .skip("the accepted answer belongs to another question");
                continue;
            }
            let changed = diesel::update(
                threads::table.find(*thread).filter(
                    threads::accepted_answer_id
                        .is_null()
                        .or(threads::accepted_answer_id.ne(*answer_post)),
                ),
            )
            .set(threads::accepted_answer_id.eq(*answer_post))
            .execute(conn)?;
            if changed == 0 {
                run.tally().present += 1;
            } else {
                search::thread_facts_changed(conn, *thread)?;
                run.tally().imported += 1;
            }
        }
        Ok(())
    })
}

// ---- comments ------------------------------------------------------------------------------

struct CommentRow {
    id: i64,
    post: i64,
    author: Option<i64>,
    /// The author's name as the dump gives it for deleted accounts.
    author_name: Option<String>,
    text: String,
    created_at: PrimitiveDateTime,
}

fn parse_comment(row: &Row, tally: &mut Tally) -> Option<CommentRow> {
    let (Some(id), Some(post), Some(text), Some(created_at)) = (
        row.int("Id"),
        row.int("PostId"),
        row.get("Text"),
        row.time("CreationDate"),
    ) else {
        tally.skip("a row without an Id, a PostId, a Text or a CreationDate");
        return None;
    };
    Some(CommentRow {
        id,
        post,
        author: row.int("UserId"),
        author_name: row.get("UserDisplayName").map(str::to_owned),
        text: text.trim().to_owned(),
        created_at,
    })
}

fn write_comments(
    run: &mut Run<'_>,
    conn: &mut DbConn,
    batch: Vec<CommentRow>,
) -> Result<(), Error> {
    let ids: Vec<i64> = batch.iter().map(|c| c.id).collect();
    let post_ids: Vec<i64> = batch.iter().map(|c| c.post).collect();
    let authors: Vec<i64> = batch.iter().filter_map(|c| c.author).collect();
    let known = map::lookup(conn, run.site(), COMMENT, &ids)?;
    let on_posts = map::lookup(conn, run.site(), POST, &post_ids)?;
    let authors = map::lookup(conn, run.site(), USER, &authors)?;
    in_transaction(run, conn, batch, |run, conn, batch| {
        let mut per_post: HashMap<i64, i32> = HashMap::new();
        for comment in batch {
            if known.contains_key(&comment.id) {
                run.tally().present += 1;
                continue;
            }
            let Some(post) = on_posts.get(&comment.post).copied() else {
                run.tally()
                    .skip("its post is not in the dump (deleted before the dump was made)");
                continue;
            };
            let author = run.author(
                conn,
                &authors,
                comment.author,
                comment.author_name.as_deref(),
                comment.created_at,
            )?;
            let id = diesel::insert_into(comments::table)
                .values((
                    comments::post_id.eq(post),
                    comments::author_id.eq(author),
                    comments::body_source.eq(&comment.text),
                    comments::body_html.eq(markdown::render_inline(&comment.text)),
                    comments::created_at.eq(comment.created_at),
                ))
                .returning(comments::id)
                .get_result::<i64>(conn)?;
            map::remember(conn, run.site(), COMMENT, comment.id, id)?;
            *per_post.entry(post).or_default() += 1;
            run.tally().imported += 1;
        }
        for (&post, &added) in &per_post {
            diesel::update(posts::table.find(PostId(post)))
                .set(posts::comment_count.eq(posts::comment_count + added))
                .execute(conn)?;
        }
        let commented: Vec<i64> = per_post.into_keys().collect();
        let mut threads: Vec<ThreadId> = threads_of(conn, &commented)?.into_values().collect();
        threads.sort_unstable();
        threads.dedup();
        let commented: Vec<PostId> = commented.into_iter().map(PostId).collect();
        search::posts_changed(conn, &threads, &commented)?;
        Ok(())
    })
}

// ---- duplicate links -----------------------------------------------------------------------

const DUPLICATE_LINK: i64 = 3;

struct DuplicateRow {
    duplicate: i64,
    original: i64,
    created_at: PrimitiveDateTime,
}

fn parse_duplicate(row: &Row, tally: &mut Tally) -> Option<DuplicateRow> {
    if row.int("LinkTypeId") != Some(DUPLICATE_LINK) {
        tally.skip("a related-questions link (Stoa finds related questions by search)");
        return None;
    }
    let (Some(duplicate), Some(original), Some(created_at)) = (
        row.int("PostId"),
        row.int("RelatedPostId"),
        row.time("CreationDate"),
    ) else {
        tally.skip("a row without a PostId, a RelatedPostId or a CreationDate");
        return None;
    };
    Some(DuplicateRow {
        duplicate,
        original,
        created_at,
    })
}

fn write_duplicates(
    run: &mut Run<'_>,
    conn: &mut DbConn,
    batch: Vec<DuplicateRow>,
) -> Result<(), Error> {
    let originals: Vec<i64> = batch
        .iter()
        .flat_map(|d| [d.duplicate, d.original])
        .collect();
    let found = threads_of_originals(run, conn, &originals)?;
    in_transaction(run, conn, batch, |run, conn, batch| {
        let mut linked: HashSet<ThreadId> = HashSet::new();
        for link in batch {
            let (Some((_, duplicate)), Some((_, original))) =
                (found.get(&link.duplicate), found.get(&link.original))
            else {
                run.tally().skip("one of its questions is not in the dump");
                continue;
            };
            if duplicate == original || !linked.insert(*duplicate) {
                run.tally()
                    .skip("a second or circular duplicate link of one question");
                continue;
            }
            let (current, closed_at): (Option<ThreadId>, Option<PrimitiveDateTime>) =
                threads::table
                    .find(*duplicate)
                    .select((threads::duplicate_of, threads::closed_at))
                    .first(conn)?;
            if current == Some(*original) {
                run.tally().present += 1;
                continue;
            }
            diesel::update(threads::table.find(*duplicate))
                .set((
                    threads::duplicate_of.eq(*original),
                    threads::closed_at.eq(closed_at.unwrap_or(link.created_at)),
                ))
                .execute(conn)?;
            run.tally().imported += 1;
        }
        Ok(())
    })
}

// ---- votes ---------------------------------------------------------------------------------

fn parse_vote(_row: &Row, tally: &mut Tally) -> Option<()> {
    tally.skip("published without voters: each post's score comes from Posts.xml");
    None
}
