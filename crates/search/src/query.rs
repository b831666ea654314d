//! What a reader typed, reduced to words that can be handed to any engine safely.
//!
//! Neither engine sees the raw text: FTS5's `MATCH` syntax and PostgreSQL's `to_tsquery` both
//! fail on unbalanced quotes or stray operators, so the text is parsed here into words,
//! quoted phrases and excluded words, and each backend renders that in its own syntax from
//! letters and digits only. Whatever the input, parsing never fails except on length.

use std::collections::HashSet;
use std::sync::LazyLock;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Words beyond this many are ignored (they cost time and rarely change the results).
pub const MAX_WORDS: usize = 12;

/// Why a query cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error(
        "Searches are limited to {MAX_QUERY_CHARS} characters; try the few words that matter most."
    )]
    TooLong,
    #[error("Type a word or two to search for.")]
    NoWords,
}

/// A parsed query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Single words, lowercased, stop words dropped (unless nothing else is left).
    pub words: Vec<String>,
    /// `"quoted phrases"`, each as its words in order.
    pub phrases: Vec<Vec<String>>,
    /// Words written with a leading `-`: results must not contain them.
    pub excluded: Vec<String>,
    /// The last word may be the start of a longer one (someone is still typing).
    pub prefix_last: bool,
}

/// How many of the query's words a result must contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// Every word and phrase (the search page's first try).
    All,
    /// Any of them, best matches first (similar and related questions).
    Any,
    /// Threads holding every word first, then those holding some, best first within each:
    /// the search page when too few threads hold every word.
    EveryWordFirst,
}

static STOP_WORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| stop_words::get("en").iter().copied().collect());

/// Whether `word` (lowercase) is too common to search for.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(word)
}

impl Query {
    /// Parses a search box's text: words, `"phrases"` and `-excluded` words. Operators of
    /// either engine (`*`, `NEAR(`, `OR`, `&`, `:`) are just punctuation here.
    pub fn parse(input: &str) -> Result<Query, QueryError> {
        if input.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong);
        }
        let mut query = Query::default();
        let mut all_words = Vec::new();
        for piece in pieces(input) {
            match piece {
                Piece::Word(w) => all_words.push(w),
                Piece::Excluded(w) => query.excluded.push(w),
                Piece::Phrase(words) if words.len() == 1 => all_words.extend(words),
                Piece::Phrase(words) => query.phrases.push(words),
            }
        }
        query.words = without_stop_words(all_words);
        query.words.truncate(MAX_WORDS);
        query.phrases.truncate(MAX_WORDS);
        query.excluded.truncate(MAX_WORDS);
        if query.words.is_empty() && query.phrases.is_empty() {
            return Err(QueryError::NoWords);
        }
        Ok(query)
    }

    /// The words of a title being typed, for "similar questions": every word counts, the
    /// last may be unfinished, and quotes or dashes mean nothing.
    pub fn from_title(title: &str) -> Result<Query, QueryError> {
        let title: String = title.chars().take(MAX_QUERY_CHARS).collect();
        let mut words = without_stop_words(split_words(&title));
        words.truncate(MAX_WORDS);
        if words.is_empty() {
            return Err(QueryError::NoWords);
        }
        let still_typing = title.chars().last().is_some_and(char::is_alphanumeric);
        Ok(Query {
            words,
            prefix_last: still_typing,
            ..Query::default()
        })
    }

    /// How many words and phrases must match, counted together.
    pub fn len(&self) -> usize {
        self.words.len() + self.phrases.len()
    }

    /// Never true for a parsed query; here for completeness beside [`Query::len`].
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each word and phrase that must (or, matching any, may) occur, in SQLite FTS5 syntax:
    /// quoted, so no word can be read as an operator.
    pub fn fts5_terms(&self) -> Vec<String> {
        self.render_terms(
            |w, prefix| {
                if prefix {
                    format!("\"{w}\"*")
                } else {
                    format!("\"{w}\"")
                }
            },
            |p| format!("\"{}\"", p.join(" ")),
        )
    }

    /// Each word and phrase in PostgreSQL `to_tsquery` syntax. Words hold only letters and
    /// digits, so none can be read as an operator; the english configuration stems them and
    /// drops stop words as it does for documents.
    pub fn tsquery_terms(&self) -> Vec<String> {
        self.render_terms(
            |w, prefix| {
                if prefix {
                    format!("{w}:*")
                } else {
                    w.to_owned()
                }
            },
            |p| format!("({})", p.join(" <-> ")),
        )
    }

    fn render_terms(
        &self,
        word: impl Fn(&str, bool) -> String,
        phrase: impl Fn(&[String]) -> String,
    ) -> Vec<String> {
        let last = self.words.len().saturating_sub(1);
        self.words
            .iter()
            .enumerate()
            .map(|(i, w)| word(w, self.prefix_last && i == last))
            .chain(self.phrases.iter().map(|p| phrase(p)))
            .collect()
    }
}

/// Drops stop words, unless that would leave nothing ("to be or not to be").
fn without_stop_words(words: Vec<String>) -> Vec<String> {
    let kept: Vec<String> = words.iter().filter(|w| !is_stop_word(w)).cloned().collect();
    if kept.is_empty() { words } else { kept }
}

enum Piece {
    Word(String),
    Excluded(String),
    Phrase(Vec<String>),
}

/// Letters and digits in runs, lowercased; everything else separates words.
fn split_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Splits the input at double quotes (an unclosed quote runs to the end), then each unquoted
/// stretch at whitespace; a stretch starting with `-` excludes its first word.
fn pieces(input: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    for (i, stretch) in input.split('"').enumerate() {
        if i % 2 == 1 {
            let words = split_words(stretch);
            if !words.is_empty() {
                out.push(Piece::Phrase(words));
            }
            continue;
        }
        for token in stretch.split_whitespace() {
            let mut words = split_words(token).into_iter();
            let Some(first) = words.next() else { continue };
            if token.starts_with('-') {
                out.push(Piece::Excluded(first));
            } else {
                out.push(Piece::Word(first));
            }
            out.extend(words.map(Piece::Word));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(input: &str) -> Query {
        Query::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"))
    }

    #[test]
    fn words_phrases_and_exclusions() {
        let q = parsed(r#"Dark "imperial stout" -lager Barrel"#);
        assert_eq!(q.words, ["dark", "barrel"]);
        assert_eq!(q.phrases, [vec!["imperial", "stout"]]);
        assert_eq!(q.excluded, ["lager"]);
        assert_eq!(
            q.fts5_terms(),
            [r#""dark""#, r#""barrel""#, r#""imperial stout""#]
        );
        assert_eq!(
            q.tsquery_terms(),
            ["dark", "barrel", "(imperial <-> stout)"]
        );
    }

    #[test]
    fn engine_operators_are_only_punctuation() {
        for input in [
            "\"",
            "*",
            "NEAR(",
            "-",
            "- -",
            "AND",
            "OR NOT",
            "a:* & !b | c",
            "(((",
            "'",
        ] {
            match Query::parse(input) {
                Ok(q) => {
                    for term in q.fts5_terms().iter().chain(&q.tsquery_terms()) {
                        let inner = term.trim_matches(['"', '*']).trim_end_matches(":*");
                        assert!(
                            inner.chars().all(char::is_alphanumeric),
                            "{input:?} gave {term:?}"
                        );
                    }
                    assert!(
                        q.excluded
                            .iter()
                            .flat_map(|w| w.chars())
                            .all(char::is_alphanumeric)
                    );
                }
                Err(e) => assert_eq!(e, QueryError::NoWords, "{input:?}"),
            }
        }
        assert_eq!(parsed("NEAR(hops malt)").words, ["near", "hops", "malt"]);
        assert_eq!(parsed("c++ -").words, ["c"]);
    }

    #[test]
    fn stop_words_are_dropped_unless_nothing_is_left() {
        assert_eq!(parsed("how do I brew the beer").words, ["brew", "beer"]);
        assert_eq!(parsed("to be or not").words, ["to", "be", "or", "not"]);
    }

    #[test]
    fn length_is_capped_and_unicode_is_kept() {
        assert_eq!(Query::parse(&"a".repeat(10_000)), Err(QueryError::TooLong));
        assert_eq!(
            parsed("Bière trappiste 東京").words,
            ["bière", "trappiste", "東京"]
        );
        assert_eq!(parsed(&"word ".repeat(30)).words.len(), MAX_WORDS);
    }

    #[test]
    fn a_title_being_typed_matches_its_last_word_as_a_prefix() {
        let q = Query::from_title("How long to ferm").unwrap_or_default();
        assert_eq!(q.words, ["long", "ferm"]);
        assert!(q.prefix_last);
        assert_eq!(q.fts5_terms(), [r#""long""#, r#""ferm"*"#]);
        assert_eq!(q.tsquery_terms(), ["long", "ferm:*"]);
        let finished = Query::from_title("How long to ferment?").unwrap_or_default();
        assert!(!finished.prefix_last);
    }
}
