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

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("nofollow ugc noopener"))
        .rm_tags(["svg", "math", "img"]);
    builder
});

/// The subset comments may use: inline text only (emphasis, code, links, strikethrough).
static INLINE_SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(HashSet::from(["a", "em", "strong", "code", "del", "br"]))
        .add_tag_attributes("a", ["href"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("nofollow ugc noopener"));
    builder
});

/// Renders a comment: the same Markdown, cleaned down to inline markup. Headings, images,
/// lists and blocks lose their markup and keep their text.
pub fn render_inline(source: &str) -> String {
    let options = Options::ENABLE_STRIKETHROUGH;
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(source, options));
    INLINE_SANITIZER
        .clean(&unsafe_html)
        .to_string()
        .trim()
        .to_owned()
}

/// Renders a post's Markdown to sanitized HTML.
pub fn render(source: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    html::push_html(
        &mut unsafe_html,
        images_as_links(Parser::new_ext(source, options)),
    );
    SANITIZER.clean(&unsafe_html).to_string()
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
