//! Markdown to safe HTML, run once when a post is written (never per view).
//!
//! pulldown-cmark renders CommonMark (with tables and strikethrough); ammonia then keeps only
//! an allow-list of tags, attributes and URL schemes. SVG and MathML are not in the list
//! (the source of ammonia's mXSS advisories), and every link gets
//! `rel="nofollow ugc noopener"` so posts pass no ranking and cannot reach `window.opener`.
//!
//! Images become links to where they are hosted ("Image: <alt text>"), and raw `<img>` tags
//! are dropped: a page of posts then makes no request to another site, so no image host
//! learns who reads what. The reader follows the link if they want the picture.
//!
//! `@username` mentions of members who exist become links to their profiles (`/users/name`).
//! A mention is found in the source text outside code and links, not inside an email address
//! and not escaped (`\@name`); [`mentions`] and the renderer use the same rule, so what is
//! linked is what notifies.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("nofollow ugc noopener"))
        .add_allowed_classes("a", ["mention"])
        .rm_tags(["svg", "math", "img"]);
    builder
});

/// The subset comments may use: inline text only (emphasis, code, links, strikethrough).
static INLINE_SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(HashSet::from(["a", "em", "strong", "code", "del", "br"]))
        .add_tag_attributes("a", ["href"])
        .add_allowed_classes("a", ["mention"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("nofollow ugc noopener"));
    builder
});

/// Renders a comment: the same Markdown, cleaned down to inline markup. Headings, images,
/// lists and blocks lose their markup and keep their text.
pub fn render_inline(source: &str) -> String {
    render_inline_mentioning(source, &[])
}

/// [`render_inline`], linking the mentions of `known` usernames.
pub fn render_inline_mentioning(source: &str, known: &[String]) -> String {
    let options = Options::ENABLE_STRIKETHROUGH;
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    html::push_html(
        &mut unsafe_html,
        with_mentions(source, options, known).into_iter(),
    );
    INLINE_SANITIZER
        .clean(&unsafe_html)
        .to_string()
        .trim()
        .to_owned()
}

/// Renders a post's Markdown to sanitized HTML.
pub fn render(source: &str) -> String {
    render_mentioning(source, &[])
}

/// [`render`], linking the mentions of `known` usernames.
pub fn render_mentioning(source: &str, known: &[String]) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    html::push_html(
        &mut unsafe_html,
        images_as_links(with_mentions(source, options, known).into_iter()),
    );
    SANITIZER.clean(&unsafe_html).to_string()
}

/// The members among the usernames `source` mentions: the ones its links are made for.
pub fn known_mentions(
    conn: &mut stoa_db::DbConn,
    source: &str,
) -> diesel::QueryResult<Vec<String>> {
    use diesel::prelude::*;
    use stoa_db::schema::users;
    let named = mentions(source);
    if named.is_empty() {
        return Ok(named);
    }
    users::table
        .filter(users::username.eq_any(&named))
        .select(users::username)
        .load(conn)
}

/// The usernames `source` mentions (lower-cased, each once, in order of appearance).
pub fn mentions(source: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (text, range) in plain_text(
        source,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    ) {
        if source.get(range.clone()) != Some(text.as_ref()) {
            continue;
        }
        for (_, name) in mention_spans(source, range) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// The text events of `source` outside code blocks and links, with their source ranges.
fn plain_text(source: &str, options: Options) -> Vec<(CowStr<'_>, Range<usize>)> {
    let mut depth_code = 0;
    let mut depth_link = 0;
    let mut out = Vec::new();
    for (event, range) in Parser::new_ext(source, options).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(_)) => depth_code += 1,
            Event::End(TagEnd::CodeBlock) => depth_code -= 1,
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => depth_link += 1,
            Event::End(TagEnd::Link | TagEnd::Image) => depth_link -= 1,
            Event::Text(text) if depth_code == 0 && depth_link == 0 => out.push((text, range)),
            _ => {}
        }
    }
    out
}

/// The `@name` mentions in `source[range]`: their byte ranges in `source` (with the `@`) and
/// the lower-cased names. A name is 3 to 30 letters, digits, `_` and `-`, starting with a
/// letter or digit; the `@` must not follow a word character or a dot (an email address) or
/// a backslash (an escape).
fn mention_spans(source: &str, range: Range<usize>) -> Vec<(Range<usize>, String)> {
    let bytes = source.as_bytes();
    let name_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let mut found = Vec::new();
    let mut i = range.start;
    while i < range.end {
        // At the start of a text run the character before is markup (`_@em_`) unless it is
        // the backslash of an escape.
        let before_ok = match i.checked_sub(1).map(|b| bytes[b]) {
            None => true,
            Some(b'\\') => false,
            Some(_) if i == range.start => true,
            Some(b) => !(name_char(b) || b == b'.' || b >= 0x80),
        };
        if bytes[i] == b'@' && before_ok && bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric)
        {
            let start = i + 1;
            let mut end = start;
            while end < range.end && name_char(bytes[end]) {
                end += 1;
            }
            if (3..=30).contains(&(end - start)) {
                found.push((i..end, source[start..end].to_ascii_lowercase()));
            }
            i = end;
        } else {
            i += 1;
        }
    }
    found
}

/// The events of `source`, with each mention of a `known` username turned into a link.
fn with_mentions<'a>(source: &'a str, options: Options, known: &[String]) -> Vec<Event<'a>> {
    let mut depth_code = 0;
    let mut depth_link = 0;
    let mut out = Vec::new();
    for (event, range) in Parser::new_ext(source, options).into_offset_iter() {
        match &event {
            Event::Start(Tag::CodeBlock(_)) => depth_code += 1,
            Event::End(TagEnd::CodeBlock) => depth_code -= 1,
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => depth_link += 1,
            Event::End(TagEnd::Link | TagEnd::Image) => depth_link -= 1,
            _ => {}
        }
        let linkable = matches!(&event, Event::Text(text)
            if depth_code == 0 && depth_link == 0 && !known.is_empty()
                && source.get(range.clone()) == Some(text.as_ref()));
        if !linkable {
            out.push(event);
            continue;
        }
        let mut last = range.start;
        for (span, name) in mention_spans(source, range.clone()) {
            if !known.contains(&name) {
                continue;
            }
            if span.start > last {
                out.push(Event::Text(CowStr::Borrowed(&source[last..span.start])));
            }
            out.push(Event::InlineHtml(CowStr::from(format!(
                "<a class=\"mention\" href=\"/users/{name}\">@{name}</a>"
            ))));
            last = span.end;
        }
        if last < range.end {
            out.push(Event::Text(CowStr::Borrowed(&source[last..range.end])));
        }
    }
    out
}

/// Turns each image into a link to it whose text is "Image" and the image's alt text.
fn images_as_links<'a>(events: impl Iterator<Item = Event<'a>>) -> impl Iterator<Item = Event<'a>> {
    let mut after_image_start = false;
    events.flat_map(move |event| {
        let mut out = Vec::with_capacity(2);
        match event {
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                out.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
                out.push(Event::Text(CowStr::Borrowed("Image")));
                after_image_start = true;
            }
            Event::End(TagEnd::Image) => {
                after_image_start = false;
                out.push(Event::End(TagEnd::Link));
            }
            other => {
                if std::mem::take(&mut after_image_start) {
                    out.push(Event::Text(CowStr::Borrowed(": ")));
                }
                out.push(other);
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn renders_markdown() {
        let html =
            render("# Title\n\nSome *emphasis* and `code`.\n\n| a | b |\n|---|---|\n| 1 | 2 |");
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<em>emphasis</em>"));
        assert!(html.contains("<code>code</code>"));
        assert!(html.contains("<table>"));
    }

    #[test]
    fn links_are_marked_and_scripts_are_gone() {
        let html = render("[site](https://example.com) <script>alert(1)</script>");
        assert!(
            html.contains(r#"<a href="https://example.com" rel="nofollow ugc noopener">site</a>"#),
            "{html}"
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("alert(1)"), "{html}");
    }

    #[test]
    fn comments_keep_inline_markup_only() {
        let html = super::render_inline(
            "# Big\n\n**bold** `code` [link](https://example.com) ![img](https://x.example/a.png)",
        );
        assert!(
            html.contains("<strong>bold</strong>") && html.contains("<code>code</code>"),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="https://example.com" rel="nofollow ugc noopener">link</a>"#),
            "{html}"
        );
        assert!(
            !html.contains("<h1") && !html.contains("<img") && !html.contains("<p>"),
            "{html}"
        );
        assert!(html.contains("Big"), "heading text stays: {html}");
        let evil = super::render_inline("[x](javascript:alert(1)) <img src=x onerror=alert(1)>");
        assert!(
            !evil.contains("javascript:") && !evil.contains("onerror"),
            "{evil}"
        );
    }

    #[test]
    fn mentions_outside_code_links_addresses_and_escapes() {
        use super::mentions;
        assert_eq!(
            mentions("thanks @Alice and @bob_2, and @alice again!"),
            ["alice", "bob_2"]
        );
        assert!(mentions("mail me at me@example.com").is_empty());
        assert_eq!(mentions("`@not_this` but @this_one"), ["this_one"]);
        assert_eq!(mentions("```\n@in_code\n```\n@outside"), ["outside"]);
        assert_eq!(mentions("    @indented_code\n\n@after"), ["after"]);
        assert!(mentions("a lone @ sign, @ab is too short, \\@escaped").is_empty());
        assert!(mentions("[@in_link](https://example.com)").is_empty());
        assert_eq!(mentions("**@bold** _@emma_"), ["bold", "emma"]);
    }

    #[test]
    fn known_mentions_become_links_and_others_stay_text() {
        let known = ["alice".to_owned()];
        let html = super::render_mentioning("hi @Alice and @nobody, `@alice`", &known);
        assert!(
            html.contains(
                r#"<a class="mention" href="/users/alice" rel="nofollow ugc noopener">@alice</a>"#
            ),
            "{html}"
        );
        assert!(
            html.contains("@nobody") && !html.contains("/users/nobody"),
            "{html}"
        );
        assert!(html.contains("<code>@alice</code>"), "{html}");
        let inline = super::render_inline_mentioning("ping @alice <b>x</b>", &known);
        assert!(
            inline.contains(r#"href="/users/alice""#) && !inline.contains("<b>"),
            "{inline}"
        );
        // A name is never markup: only [a-z0-9_-] reach the link.
        let odd = super::render_mentioning("@alice\"><script>x</script>", &known);
        assert!(!odd.contains("<script"), "{odd}");
    }

    #[test]
    fn images_become_links_and_fetch_nothing() {
        let html = render(
            "![a pale ale](https://i.example.com/ale.png \"Ale\") and ![](https://i.example.com/x.png)\n\n<img src=\"https://tracker.example/p.gif\">",
        );
        assert!(
            html.contains(r#"<a href="https://i.example.com/ale.png" title="Ale" rel="nofollow ugc noopener">Image: a pale ale</a>"#),
            "{html}"
        );
        assert!(
            html.contains(
                r#"<a href="https://i.example.com/x.png" rel="nofollow ugc noopener">Image</a>"#
            ),
            "{html}"
        );
        assert!(
            !html.contains("<img") && !html.contains("tracker.example"),
            "{html}"
        );
    }

    #[test]
    fn script_vectors_do_not_survive() {
        let payloads = [
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](jav&#x61;script:alert(1))",
            "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
            "<svg><set attributeName=\"href\" to=\"javascript:alert(1)\"/><a><text>x</text></a></svg>",
            "<math><annotation-xml encoding=\"text/html\"><img src=x onerror=alert(1)></annotation-xml></math>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "<form action=\"https://evil.example\"><button>x</button></form>",
        ];
        for payload in payloads {
            let html = render(payload).to_lowercase();
            for needle in [
                "javascript:",
                "onerror",
                "<script",
                "<svg",
                "<math",
                "<iframe",
                "data:text",
                "style=",
                "<form",
            ] {
                assert!(!html.contains(needle), "{payload:?} rendered {html:?}");
            }
        }
    }
}
