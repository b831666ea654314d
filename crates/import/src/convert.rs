//! Dump bodies are HTML. Each is turned into Markdown (htmd), so an imported post can be
//! edited like any other, and then rendered by the forum's own renderer and sanitizer.

use std::cell::RefCell;

use stoa_threads::markdown;

/// A post body as Stoa stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Body {
    pub source: String,
    pub html: String,
}

thread_local! {
    static CONVERTER: RefCell<htmd::HtmlToMarkdown> = RefCell::new(
        htmd::HtmlToMarkdown::builder()
            .skip_tags(vec!["script", "style", "iframe", "object", "embed", "form"])
            .build(),
    );
}

/// Converts one HTML body. HTML that htmd cannot read is kept as it is: CommonMark passes
/// it through, and the sanitizer still decides what survives.
pub(crate) fn body(html: &str) -> Body {
    let source = CONVERTER
        .with(|c| c.borrow().convert(html))
        .unwrap_or_else(|_| html.to_owned());
    let source = source.trim().to_owned();
    let html = markdown::render(&source);
    Body { source, html }
}

/// Converts many bodies on every core, keeping their order (conversion is the costly part
/// of an import; the database writes are done by one thread).
pub(crate) fn bodies(htmls: &[&str]) -> Vec<Body> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || htmls.len() < 16 {
        return htmls.iter().map(|h| body(h)).collect();
    }
    let chunk = htmls.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = htmls
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|h| body(h)).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::body;

    #[test]
    fn html_becomes_markdown_and_safe_html() {
        let converted = body(
            "<p>Use <strong>cold</strong> water, see <a href=\"https://example.com/x\">this</a>.</p>\n\n<pre><code>boil 60 min\nhop at 15\n</code></pre>\n<ul><li>one</li><li>two</li></ul>",
        );
        assert!(
            converted.source.contains("**cold**"),
            "{}",
            converted.source
        );
        assert!(
            converted.source.contains("[this](https://example.com/x)"),
            "{}",
            converted.source
        );
        assert!(
            converted
                .source
                .contains("```\nboil 60 min\nhop at 15\n```"),
            "{}",
            converted.source
        );
        assert!(converted.html.contains("<strong>cold</strong>"));
        assert!(converted.html.contains("rel=\"nofollow ugc noopener\""));
        assert!(
            converted.html.contains("<li>two</li>"),
            "{}",
            converted.html
        );
    }

    #[test]
    fn scripts_in_a_dump_do_not_survive() {
        let converted = body(
            "<p>hi</p><script>alert(1)</script><img src=x onerror=alert(2)><a href=\"javascript:alert(3)\">x</a>",
        );
        let html = converted.html.to_lowercase();
        for needle in ["<script", "alert(1)", "onerror", "javascript:"] {
            assert!(!html.contains(needle), "{needle} in {html}");
        }
    }
}
