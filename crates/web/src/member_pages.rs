//! Members' thread pages and question lists from a copy that members alike share, filled in
//! per member.
//!
//! A guest's thread page is the same for every guest (`page_cache`). A member's differs from
//! another member's in a few places only: the header (bell and name), the CSRF token of each
//! form, the forms' idempotency keys, their votes, the watch button and, for a new member,
//! the answer form's signed time. So the page is rendered once per *shape*, what a role, trust
//! level and standing may do there, with a mark in each of those places, kept while content is
//! unchanged, and each member's request fills the marks from their own state, kept too. A
//! browser that asks for gzip gets the same page put together from the shared text compressed
//! once ([`Spans`]), with the member's own parts stored between the pieces.
//!
//! A member who wrote in the thread sees edit and delete links on their posts (and their own
//! deleted posts): their page is rendered for them alone.
//!
//! A question list differs between members in fewer places: the header, the forms' token and,
//! on a tag's or category's list, the watch button (`home`).

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt::Write;
use std::ops::Range;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, OnceLock};
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header::{CACHE_CONTROL, CONTENT_ENCODING, ContentType, VARY};
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use stoa_accounts::Role;
use stoa_db::{CategoryId, PostId, TagId, ThreadId, UserId};
use stoa_moderation::policy::Actor;
use stoa_notify::watching::{self, Target};
use stoa_threads::{views, votes};

use crate::layout::form_key;
use crate::memo::Memo;
use crate::notifications::{WatchButton, WatchButtonHtml};
use crate::page_cache::accepts_gzip;
use crate::session::Viewer;
use crate::{AppError, AppState};

/// Shared pages kept at most (each about the size of the page: 20–70 KB).
pub const PAGES_KEPT: usize = 1024;
/// Members' own state per thread kept at most.
pub const STATES_KEPT: usize = 20_000;

/// Ends a mark and the word that starts it.
const MARK: char = '\u{1}';

/// Starts a mark: a control character, a random word made when the process starts, and the
/// character again. Post bodies may hold control characters, and the marks name a member's
/// own parts: a mark a post could write would put each reader's CSRF token (or name) where
/// the post's author chose. No post can know the word.
static MARK_START: LazyLock<String> = LazyLock::new(|| format!("{MARK}{}{MARK}", form_key()));

/// A place on a shared page that each member's request fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The member's CSRF token.
    Csrf,
    /// A fresh idempotency key.
    Key,
    /// The member's part of the header.
    MemberNav,
    /// The member's watch button for a thread, a tag or a category.
    Watch { target: Target },
    /// A new member's signed time for the answer form.
    FirstPostToken,
    /// A post's vote buttons as the member voted.
    Vote { post: PostId, score: i32 },
}

impl Slot {
    /// The mark standing for this slot in the rendered page.
    pub fn mark(self) -> String {
        match self {
            Slot::Csrf => format!("{}c{MARK}", *MARK_START),
            Slot::Key => format!("{}k{MARK}", *MARK_START),
            Slot::MemberNav => format!("{}m{MARK}", *MARK_START),
            Slot::Watch { target } => {
                let kind = match target {
                    Target::Thread(_) => 't',
                    Target::Tag(_) => 'g',
                    Target::Category(_) => 'c',
                };
                format!("{}w{kind}{}{MARK}", *MARK_START, target.id())
            }
            Slot::FirstPostToken => format!("{}f{MARK}", *MARK_START),
            Slot::Vote { post, score } => format!("{}v{}:{score}{MARK}", *MARK_START, post.0),
        }
    }

    fn parse(code: &str) -> Option<Slot> {
        Some(match code {
            "c" => Slot::Csrf,
            "k" => Slot::Key,
            "m" => Slot::MemberNav,
            "f" => Slot::FirstPostToken,
            _ => match code.split_at_checked(1)? {
                ("w", target) => {
                    let (kind, id) = target.split_at_checked(1)?;
                    let id = id.parse().ok()?;
                    Slot::Watch {
                        target: match kind {
                            "t" => Target::Thread(ThreadId(id)),
                            "g" => Target::Tag(TagId(id)),
                            "c" => Target::Category(CategoryId(id)),
                            _ => return None,
                        },
                    }
                }
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

/// A page as members of one shape see it (a thread page, a question list): one text, and the
/// holes each member's request fills in.
#[derive(Debug)]
pub struct SharedPage {
    text: Arc<String>,
    /// The same text as bytes to send spans of (see [`PageBody`]).
    sendable: Bytes,
    /// In page order.
    holes: Vec<Hole>,
    /// The length of the longest text of a member's own put together (see [`PageBody`]): a
    /// string grown in steps is copied at each.
    own_text: AtomicUsize,
    /// Posts shown (for the member's read count).
    pub shown: i64,
    /// The shared text gzip-compressed, made when a member first asks for gzip.
    spans: OnceLock<Option<Spans>>,
}

impl SharedPage {
    /// Splits a page rendered with marks into the shared text and its holes. `back`: where
    /// its watch button's form comes back to (empty: the page it was sent from).
    pub fn parse(html: &str, shown: i64, back: &str) -> Result<SharedPage, AppError> {
        let mut text = String::with_capacity(html.len());
        let mut holes = Vec::new();
        for part in parts_of(html) {
            let at = text.len();
            let what = match part {
                Part::Text(part) => {
                    text.push_str(&part);
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
                    text.push_str(&unvoted);
                    Fill::Vote {
                        post,
                        unvoted: unvoted.len(),
                        voted: Box::new([up?, down?]),
                    }
                }
                Part::Slot(Slot::Watch { target }) => {
                    let button = |on| {
                        let button =
                            WatchButton::new(target, on, back.to_owned(), Slot::Csrf.mark());
                        Ok::<_, AppError>(parts_of(&WatchButtonHtml { w: &button }.render()?))
                    };
                    Fill::Watch(Box::new([button(false)?, button(true)?]))
                }
                Part::Slot(slot) => Fill::Slot(slot),
            };
            holes.push(Hole { at, what });
        }
        let text = Arc::new(text);
        Ok(SharedPage {
            sendable: Bytes::from_owner(KeptText(Arc::clone(&text))),
            text,
            holes,
            // About what a thread page's own runs take (3.5 KB on a 10-answer page): grown
            // to the longest met.
            own_text: AtomicUsize::new(4096),
            shown,
            spans: OnceLock::new(),
        })
    }

    /// The page for one member: each hole filled from `member`.
    fn body(&self, member: &Member<'_>) -> PageBody {
        let longest = self.own_text.load(Ordering::Relaxed);
        let mut pieces = PieceSink::new(&self.sendable, longest);
        self.walk(member, &mut pieces);
        // Written only when it grows: every worker reads it, and a write on each request
        // would take the value from the other cores' caches each time.
        if pieces.own.len() > longest {
            self.own_text.store(pieces.own.len(), Ordering::Relaxed);
        }
        pieces.finish()
    }

    /// Puts the page together for `member` into `sink`: the shared text up to each hole that
    /// has something for this member, then what the hole holds for them.
    fn walk(&self, member: &Member<'_>, sink: &mut impl Sink) {
        // Form keys need only be unique (each is the author's own): one random base per
        // page, numbered per form.
        let mut keys = (form_key(), 0u32);
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
                    sink.shared(&self.text, copied..hole.at);
                    sink.own().push_str(buttons);
                    hole.at + unvoted
                }
                Fill::Slot(slot) => {
                    sink.shared(&self.text, copied..hole.at);
                    member.put(*slot, &mut keys, sink.own());
                    hole.at
                }
                Fill::Watch(buttons) => {
                    sink.shared(&self.text, copied..hole.at);
                    let own = sink.own();
                    for part in &buttons[usize::from(member.state.watching)] {
                        match part {
                            Part::Text(text) => own.push_str(text),
                            Part::Slot(slot) => member.put(*slot, &mut keys, own),
                        }
                    }
                    hole.at
                }
            };
            copied = resume;
        }
        sink.shared(&self.text, copied..self.text.len());
    }

    /// The page for one member gzip-compressed, from the shared text compressed once (see
    /// [`Spans`]) and their own parts stored as they are; `None` when that cannot be done:
    /// the member voted in the thread (the shared buttons are inside the compressed text).
    fn gzip(&self, member: &Member<'_>) -> Option<Vec<u8>> {
        if member.voted_here() {
            return None;
        }
        let spans = self.spans.get_or_init(|| Spans::of(self)).as_ref()?;
        let mut sink = GzipSink::new(spans);
        self.walk(member, &mut sink);
        sink.finish()
    }

    /// The `200` answer for one member (never stored by shared caches): gzip-compressed when
    /// their browser takes it, as every browser does.
    pub fn respond(&self, member: &Member<'_>, req: &HttpRequest) -> HttpResponse {
        let mut response = HttpResponse::Ok();
        response
            .content_type(ContentType::html())
            .insert_header((CACHE_CONTROL, "private, no-store"))
            .insert_header((VARY, "Accept-Encoding"));
        let gzip = accepts_gzip(req);
        if gzip && let Some(gzip) = self.gzip(member) {
            return response
                .insert_header((CONTENT_ENCODING, "gzip"))
                .body(gzip);
        }
        let body = self.body(member);
        if gzip {
            // actix's `Compress` compresses it: in one piece, since it sends each piece of a
            // body to a blocking thread of its own.
            return response.body(body.joined());
        }
        response.body(body)
    }
}

/// Where a member's page goes as [`SharedPage::walk`] puts it together.
trait Sink {
    /// `span` of the shared `text`: from the end of the last hole filled to the next (or to
    /// the end).
    fn shared(&mut self, text: &str, span: Range<usize>);
    /// Where the member's own text goes.
    fn own(&mut self) -> &mut String;
}

/// The shared text of a page, for [`Bytes`] that are spans of it.
struct KeptText(Arc<String>);

impl AsRef<[u8]> for KeptText {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Spans of the shared text at least this long are sent as they are kept, not copied.
const SENT_AS_KEPT: usize = 2048;

/// A member's page as it is sent: pieces, each a long span of the shared text or a run of
/// text put together for the member (their own parts, and the short spans of shared text
/// between them).
///
/// actix copies a body into its write buffer, piece by piece, whatever it is. Put together
/// into one string first, a member's page was copied twice where a guest's is copied once.
/// Long spans are slices of the kept text, copied only by actix; short ones are copied into
/// the member's run, since each slice of the kept text counts a reference that every worker
/// shares. A member's page serves about 3 % faster so (see `docs/benchmarks.md`).
struct PageBody {
    pieces: std::vec::IntoIter<Bytes>,
    size: u64,
}

impl PageBody {
    /// The page in one buffer.
    fn joined(self) -> Bytes {
        let mut joined = BytesMut::with_capacity(usize::try_from(self.size).unwrap_or_default());
        for piece in self.pieces {
            joined.extend_from_slice(&piece);
        }
        joined.freeze()
    }
}

impl MessageBody for PageBody {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.size)
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Infallible>>> {
        Poll::Ready(self.pieces.next().map(Ok))
    }
}

/// What a [`PageBody`] is made of as it is put together.
enum Piece {
    Kept(Range<usize>),
    Own(Range<usize>),
}

/// Puts a [`PageBody`] together.
struct PieceSink<'a> {
    sendable: &'a Bytes,
    own: String,
    /// Where in `own` the run not yet made a piece starts.
    own_from: usize,
    pieces: Vec<Piece>,
}

impl<'a> PieceSink<'a> {
    /// Puts together a page sending spans of `sendable`, room made for `own` bytes of the
    /// member's runs.
    fn new(sendable: &'a Bytes, own: usize) -> PieceSink<'a> {
        PieceSink {
            sendable,
            own: String::with_capacity(own),
            own_from: 0,
            pieces: Vec::with_capacity(16),
        }
    }

    /// Ends the run of own text so far as a piece, if there is one.
    fn end_own_run(&mut self) {
        if self.own.len() > self.own_from {
            self.pieces.push(Piece::Own(self.own_from..self.own.len()));
            self.own_from = self.own.len();
        }
    }

    fn finish(mut self) -> PageBody {
        self.end_own_run();
        let own = Bytes::from(self.own);
        let mut size = 0;
        let pieces: Vec<Bytes> = self
            .pieces
            .into_iter()
            .map(|piece| {
                let bytes = match piece {
                    Piece::Kept(span) => self.sendable.slice(span),
                    Piece::Own(span) => own.slice(span),
                };
                size += bytes.len() as u64;
                bytes
            })
            .collect();
        PageBody {
            pieces: pieces.into_iter(),
            size,
        }
    }
}

impl Sink for PieceSink<'_> {
    fn shared(&mut self, text: &str, span: Range<usize>) {
        if span.len() < SENT_AS_KEPT {
            self.own.push_str(&text[span]);
        } else {
            self.end_own_run();
            self.pieces.push(Piece::Kept(span));
        }
    }

    fn own(&mut self) -> &mut String {
        &mut self.own
    }
}

/// The shared text gzip-compressed in pieces that stand alone, cut where members' pages
/// differ (before each hole but the vote buttons'). Compressing a member's whole page cost
/// 170 µs a request, against 14 µs for the page itself; put together from these pieces, with
/// the member's own parts (a few hundred bytes) stored uncompressed, it costs about what the
/// page does.
///
/// Each piece is raw deflate ending in a full flush, which empties the compressor's window: no
/// piece refers back to bytes before it, so any bytes may stand between two of them. The
/// member's parts go in stored (uncompressed) deflate blocks; a gzip header, a last empty
/// block, and the CRC and length of the whole page make it a gzip stream.
#[derive(Debug)]
struct Spans {
    pieces: Vec<Vec<u8>>,
    /// Their total size.
    size: usize,
}

impl Spans {
    /// The text of `page` compressed in pieces; `None` if the compressor failed.
    fn of(page: &SharedPage) -> Option<Spans> {
        let mut deflate = flate2::Compress::new(flate2::Compression::default(), false);
        let mut pieces = Vec::with_capacity(page.holes.len() + 1);
        let mut from = 0;
        for hole in &page.holes {
            if !matches!(hole.what, Fill::Vote { .. }) {
                pieces.push(deflate_alone(&mut deflate, &page.text[from..hole.at])?);
                from = hole.at;
            }
        }
        pieces.push(deflate_alone(&mut deflate, &page.text[from..])?);
        let size = pieces.iter().map(Vec::len).sum();
        Some(Spans { pieces, size })
    }
}

/// `text` deflated and closed with a full flush (see [`Spans`]).
fn deflate_alone(deflate: &mut flate2::Compress, text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 2 + 64);
    let read_before = deflate.total_in();
    loop {
        let read = usize::try_from(deflate.total_in() - read_before).ok()?;
        let rest = text.as_bytes().get(read..)?;
        deflate
            .compress_vec(rest, &mut out, flate2::FlushCompress::Full)
            .ok()?;
        // The flush is complete once the compressor leaves room in the output.
        if out.len() < out.capacity() {
            return Some(out);
        }
        out.reserve(out.capacity());
    }
}

/// The first bytes of a gzip stream: deflate, no name, no time, unknown system.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
/// A last, empty, stored deflate block.
const LAST_BLOCK: [u8; 5] = [1, 0, 0, 0xff, 0xff];

/// A member's page as gzip, put together from [`Spans`].
struct GzipSink<'a> {
    pieces: std::slice::Iter<'a, Vec<u8>>,
    out: Vec<u8>,
    /// The member's text since the last piece, stored when the next one comes.
    own: String,
    crc: crc32fast::Hasher,
    /// The length of the page so far.
    length: u64,
    /// Pieces asked for that the compressed text did not have (the page was put together
    /// with different cuts): then there is no gzip to give.
    missing: bool,
}

impl<'a> GzipSink<'a> {
    fn new(spans: &'a Spans) -> GzipSink<'a> {
        let mut out = Vec::with_capacity(spans.size + 2048);
        out.extend_from_slice(&GZIP_HEADER);
        GzipSink {
            pieces: spans.pieces.iter(),
            out,
            own: String::with_capacity(1024),
            crc: crc32fast::Hasher::new(),
            length: 0,
            missing: false,
        }
    }

    /// Stores the member's text gathered since the last piece.
    fn store_own(&mut self) {
        self.crc.update(self.own.as_bytes());
        self.length += self.own.len() as u64;
        for block in self.own.as_bytes().chunks(usize::from(u16::MAX)) {
            let length = u16::try_from(block.len()).unwrap_or(u16::MAX);
            self.out.push(0);
            self.out.extend_from_slice(&length.to_le_bytes());
            self.out.extend_from_slice(&(!length).to_le_bytes());
            self.out.extend_from_slice(block);
        }
        self.own.clear();
    }

    /// The gzip stream, if every piece was there and none was left over.
    fn finish(mut self) -> Option<Vec<u8>> {
        self.store_own();
        if self.missing || self.pieces.next().is_some() {
            return None;
        }
        self.out.extend_from_slice(&LAST_BLOCK);
        self.out
            .extend_from_slice(&self.crc.finalize().to_le_bytes());
        // gzip keeps the length modulo 2^32.
        let length = u32::try_from(self.length & u64::from(u32::MAX)).unwrap_or_default();
        self.out.extend_from_slice(&length.to_le_bytes());
        Some(self.out)
    }
}

impl Sink for GzipSink<'_> {
    fn shared(&mut self, text: &str, span: Range<usize>) {
        let span = &text[span];
        self.store_own();
        self.crc.update(span.as_bytes());
        self.length += span.len() as u64;
        match self.pieces.next() {
            Some(piece) => self.out.extend_from_slice(piece),
            None => self.missing = true,
        }
    }

    fn own(&mut self) -> &mut String {
        &mut self.own
    }
}

/// `html`, rendered with marks, as text and slots.
fn parts_of(html: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = html;
    let mut text = String::new();
    let mark_start = MARK_START.as_str();
    while let Some(start) = rest.find(mark_start) {
        let after = &rest[start + mark_start.len()..];
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
                let kept = start + mark_start.len();
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

/// What of a page is a member's own: their votes in the thread, whether they watch it (or the
/// list's tag or category), whether they wrote in the thread.
#[derive(Debug, Clone)]
pub struct MemberState {
    pub votes: Arc<HashMap<PostId, votes::Vote>>,
    pub watching: bool,
    wrote_here: bool,
}

/// A member reading a page (a thread, a list) they share with members of their shape.
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
        let Some((user, standing)) = standing(viewer) else {
            return Ok(None);
        };
        let own = member_state(state, user, thread).await?;
        if own.wrote_here {
            return Ok(None);
        }
        Ok(Some(Member {
            viewer,
            first_post_token: crate::threads::first_post_token(state, viewer).await?,
            state: own,
            standing,
        }))
    }

    /// The member behind `viewer` on a question list, if signed in. A list has no votes and
    /// no answer form; its watch button, if any, is looked up with [`Member::watching`].
    pub fn listing(viewer: &'a Viewer) -> Option<Member<'a>> {
        let (_, standing) = standing(viewer)?;
        Some(Member {
            viewer,
            first_post_token: String::new(),
            state: MemberState {
                votes: Arc::default(),
                watching: false,
                wrote_here: false,
            },
            standing,
        })
    }

    /// The member with whether they watch `target` (what a list's watch button is for), from
    /// memory while content is unchanged.
    pub async fn watching(mut self, state: &AppState, target: Target) -> Result<Self, AppError> {
        if let Some(user) = self.viewer.user() {
            self.state.watching = watches(state, user.id, target).await?;
        }
        Ok(self)
    }

    /// This member's vote on `post`. Most members voted on nothing in a thread: then no
    /// post is looked up.
    fn vote(&self, post: PostId) -> Option<votes::Vote> {
        if self.state.votes.is_empty() {
            return None;
        }
        self.state.votes.get(&post).copied()
    }

    /// Whether the member voted on a post in the thread (then their page differs from the
    /// shared text where the buttons are).
    fn voted_here(&self) -> bool {
        self.state
            .votes
            .values()
            .any(|vote| *vote != votes::Vote::None)
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

/// `page`, parsed from `html` (rendered with marks for members of `shape`, see
/// [`Member::shape`]), as their shared copy: kept for them in `kept` while content is
/// unchanged since `generation`.
pub fn share(
    state: &AppState,
    kept: &Memo<String, Arc<SharedPage>>,
    viewer: &Viewer,
    shape: String,
    generation: u64,
    html: &str,
    page: SharedPage,
) -> Arc<SharedPage> {
    let shared = Arc::new(page);
    // Other members get this copy: it must hold nothing of this member's own. Were a form
    // ever to carry the token outside a slot, the copy is served to them alone.
    if html.contains(viewer.csrf()) {
        tracing::error!("a member's token outside its slots: the page is not shared");
    } else {
        let now = state.pages.generation();
        kept.put(shape, generation, now, Arc::clone(&shared));
    }
    shared
}

/// The signed-in member behind `viewer` and what they may do as far as pages show it: their
/// role, trust level and whether they are silenced.
fn standing(viewer: &Viewer) -> Option<(UserId, (Role, u8, bool))> {
    match (viewer.user(), viewer.actor()) {
        (
            Some(user),
            Actor::Member {
                role,
                silenced,
                trust,
                ..
            },
        ) => Some((user.id, (role, trust, silenced))),
        _ => None,
    }
}

/// Whether `user` watches `target`, from memory while content is unchanged.
async fn watches(state: &AppState, user: UserId, target: Target) -> Result<bool, AppError> {
    let read = state
        .db
        .run(move |conn| watching::is_watching(conn, user, target).map_err(AppError::from));
    let generation = || state.pages.generation();
    state
        .watches
        .get_or_read(&(user, target), generation, read)
        .await
}

/// `user`'s state in `thread`, from memory while content is unchanged.
pub async fn member_state(
    state: &AppState,
    user: UserId,
    thread: ThreadId,
) -> Result<MemberState, AppError> {
    let read = state.db.run(move |conn| {
        Ok::<_, stoa_threads::Error>(MemberState {
            votes: Arc::new(votes::in_thread(conn, user, thread)?),
            watching: watching::is_watching(conn, user, Target::Thread(thread))?,
            wrote_here: views::has_written_in(conn, user, thread)?,
        })
    });
    let generation = || state.pages.generation();
    Ok(state
        .member_states
        .get_or_read(&(user, thread), generation, read)
        .await?)
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

    /// The page as it is.
    impl Sink for String {
        fn shared(&mut self, text: &str, span: Range<usize>) {
            self.push_str(&text[span]);
        }

        fn own(&mut self) -> &mut String {
            self
        }
    }

    fn parsed(html: &str) -> SharedPage {
        SharedPage::parse(html, 1, "").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn slots_are_found_and_foreign_marks_kept_as_text() {
        let vote = Slot::Vote {
            post: PostId(7),
            score: -2,
        };
        // Marks as a post could write them, without the word, stay text.
        let html = format!(
            "<a>{}</a>{}x\u{1}zz\u{1}\u{1}c\u{1}{}end",
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
            outline.ends_with("</button>x\u{1}zz\u{1}\u{1}c\u{1}[key]end"),
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
        let back = "/tags/wine?tab=active";
        for (target, kind) in [
            (Target::Thread(ThreadId(5)), "thread"),
            (Target::Tag(TagId(5)), "tag"),
            (Target::Category(CategoryId(5)), "category"),
        ] {
            let page = SharedPage::parse(&Slot::Watch { target }.mark(), 1, back)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(outline(&page), "[watch]");
            let Some(Hole {
                what: Fill::Watch(states),
                ..
            }) = page.holes.first()
            else {
                panic!("{:?}", page.holes);
            };
            for parts in states.iter() {
                assert_watch_form(parts, kind, back);
            }
        }
    }

    /// A watch button as parsed: the form for `kind` 5 coming back to `back`, the member's
    /// token its one slot.
    fn assert_watch_form(parts: &[Part], kind: &str, back: &str) {
        let text: String = parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(text) => Some(text.as_str()),
                Part::Slot(_) => None,
            })
            .collect();
        for field in [
            format!(r#"name="target" value="{kind}""#),
            r#"name="id" value="5""#.to_owned(),
            format!(r#"name="back" value="{back}""#),
        ] {
            assert!(text.contains(&field), "{field} in {text}");
        }
        let slots: Vec<_> = parts
            .iter()
            .filter_map(|p| match p {
                Part::Slot(slot) => Some(*slot),
                Part::Text(_) => None,
            })
            .collect();
        assert_eq!(slots, [Slot::Csrf]);
    }

    /// What `walk` gives a sink, done by hand: the shared text's spans with the member's own
    /// text between them.
    fn put_together(page: &SharedPage, own: &[&str], sink: &mut impl Sink) {
        let cuts: Vec<usize> = page
            .holes
            .iter()
            .filter(|h| !matches!(h.what, Fill::Vote { .. }))
            .map(|h| h.at)
            .collect();
        assert_eq!(cuts.len(), own.len());
        let mut from = 0;
        for (at, own) in cuts.iter().zip(own) {
            sink.shared(&page.text, from..*at);
            sink.own().push_str(own);
            from = *at;
        }
        sink.shared(&page.text, from..page.text.len());
    }

    #[test]
    fn a_page_sent_in_pieces_is_the_whole_page_and_long_spans_are_not_copied() {
        let long = "<p>An answer long enough to be sent as it is kept.</p>".repeat(60);
        let html = format!(
            "<header>{}</header>{long}<form>{}{}</form>{long}",
            Slot::MemberNav.mark(),
            Slot::Csrf.mark(),
            Slot::Key.mark(),
        );
        let page = parsed(&html);
        let own = ["<a>me</a>", "token", "key-1"];
        let mut plain = String::new();
        put_together(&page, &own, &mut plain);
        let mut sink = PieceSink::new(&page.sendable, 0);
        put_together(&page, &own, &mut sink);
        let body = sink.finish();
        assert_eq!(body.size(), BodySize::Sized(plain.len() as u64));
        let pieces: Vec<Bytes> = body.pieces.clone().collect();
        let sent = actix_web::rt::System::new()
            .block_on(actix_web::body::to_bytes(body))
            .unwrap_or_else(|e| match e {});
        assert_eq!(sent, plain.as_bytes());
        let mut again = PieceSink::new(&page.sendable, 0);
        put_together(&page, &own, &mut again);
        assert_eq!(again.finish().joined(), plain.as_bytes());
        // The two long spans are the kept text itself; the short ones and the member's own
        // parts are one run each.
        let kept = page.sendable.as_ptr_range();
        let uncopied: Vec<&[u8]> = pieces
            .iter()
            .filter(|piece| kept.contains(&piece.as_ptr()))
            .map(|piece| piece.as_ref())
            .collect();
        let long_spans = [format!("</header>{long}<form>"), format!("</form>{long}")];
        assert_eq!(uncopied, long_spans.map(String::into_bytes));
        assert_eq!(pieces.len(), 4, "{pieces:?}");
    }

    #[test]
    fn a_page_put_together_from_compressed_pieces_is_gzip_of_the_whole() {
        use std::io::Read;
        let vote = Slot::Vote {
            post: PostId(7),
            score: 1,
        };
        let html = format!(
            "<header>{}</header><main>{}{}</main><form>{}{}</form>{}",
            Slot::MemberNav.mark(),
            "<p>An answer that repeats itself, repeats itself.</p>".repeat(200),
            vote.mark(),
            Slot::Csrf.mark(),
            Slot::Key.mark(),
            Slot::Csrf.mark(),
        );
        let page = parsed(&html);
        let spans = Spans::of(&page).unwrap_or_else(|| panic!("compressed"));
        // Own parts of every size: none, short, and longer than one stored block holds.
        let long = "x".repeat(70_000);
        let own = ["<a>me</a>", "", "key-1", &long];
        let mut plain = String::new();
        put_together(&page, &own, &mut plain);
        let mut gzip = GzipSink::new(&spans);
        put_together(&page, &own, &mut gzip);
        let gzip = gzip
            .finish()
            .unwrap_or_else(|| panic!("every piece was there"));
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&gzip[..])
            .read_to_string(&mut decoded)
            .unwrap_or_else(|e| panic!("not gzip: {e}"));
        assert_eq!(decoded, plain);
        assert!(gzip.len() < 2 * 1024 + long.len(), "{}", gzip.len());

        // Put together with other cuts than the pieces', there is no gzip to give.
        let mut wrong = GzipSink::new(&spans);
        wrong.shared(&page.text, 0..page.text.len());
        assert!(wrong.finish().is_none());
    }
}
