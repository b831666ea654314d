//! Reading a Stack Exchange data dump: one XML file per table, one `<row …/>` per record.
//! Rows are streamed (quick-xml over a buffered file), so memory stays flat whatever the
//! size of the file.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use time::PrimitiveDateTime;

use crate::Error;

/// The dump's files that an import reads, in the order it reads them.
pub const REQUIRED_FILES: [&str; 6] = [
    "Users.xml",
    "Tags.xml",
    "Posts.xml",
    "Comments.xml",
    "PostLinks.xml",
    "Votes.xml",
];

/// One `<row …/>`: its attributes, unescaped, and the line it starts on.
#[derive(Debug, Default)]
pub struct Row {
    attributes: Vec<(String, String)>,
}

impl Row {
    /// The attribute's value, if the row has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// An integer attribute (`None` when absent or not a number).
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|v| v.parse().ok())
    }

    /// A timestamp attribute, written `2014-01-21T20:26:05.043` (UTC).
    pub fn time(&self, name: &str) -> Option<PrimitiveDateTime> {
        self.get(name).and_then(parse_time)
    }
}

fn parse_time(value: &str) -> Option<PrimitiveDateTime> {
    let format = time::macros::format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    PrimitiveDateTime::parse(value, &format).ok()
}

/// The rows of one dump file, read as they are needed.
pub struct Rows {
    reader: Reader<BufReader<indicatif::ProgressBarIter<File>>>,
    buf: Vec<u8>,
    path: PathBuf,
    /// Elements open around the current position (the root element, while reading rows).
    depth: usize,
    started: bool,
}

impl Rows {
    /// Opens `file` in `dir`; reading advances `progress` by the bytes read.
    pub fn open(dir: &Path, file: &str, progress: &ProgressBar) -> Result<Rows, Error> {
        let path = dir.join(file);
        let handle = File::open(&path).map_err(|source| Error::Read {
            file: path.clone(),
            source,
        })?;
        let len = handle.metadata().map(|m| m.len()).unwrap_or_default();
        progress.set_length(len);
        progress.set_position(0);
        let mut reader = Reader::from_reader(BufReader::with_capacity(
            1 << 16,
            progress.wrap_read(handle),
        ));
        reader.config_mut().trim_text(true);
        Ok(Rows {
            reader,
            buf: Vec::with_capacity(1 << 14),
            path,
            depth: 0,
            started: false,
        })
    }

    /// The next row, `None` at the end of the file.
    pub fn next_row(&mut self) -> Result<Option<Row>, Error> {
        loop {
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(event) => event,
                Err(e) => {
                    let at = self.reader.error_position();
                    return Err(malformed(&self.path, at, e.to_string()));
                }
            };
            match event {
                Event::Start(_) => {
                    self.depth += 1;
                    self.started = true;
                }
                Event::End(_) => self.depth = self.depth.saturating_sub(1),
                Event::Empty(element) if element.name().as_ref() == "row" => {
                    let at = self.reader.buffer_position();
                    let mut row = Row::default();
                    for attribute in element.attributes() {
                        let attribute =
                            attribute.map_err(|e| malformed(&self.path, at, e.to_string()))?;
                        let key = attribute.key.as_ref().to_owned();
                        let value = attribute
                            .normalized_value(XmlVersion::Implicit1_0)
                            .map_err(|e| malformed(&self.path, at, e.to_string()))?
                            .into_owned();
                        row.attributes.push((key, value));
                    }
                    return Ok(Some(row));
                }
                Event::Eof if self.depth > 0 || !self.started => {
                    let at = self.reader.buffer_position();
                    return Err(malformed(
                        &self.path,
                        at,
                        "the file ends before its closing tag (is it cut short?)".into(),
                    ));
                }
                Event::Eof => return Ok(None),
                // The declaration, comments, whitespace, and any other element: not rows.
                _ => {}
            }
        }
    }
}

/// A malformed-file error naming the file and the line of byte offset `at`.
fn malformed(path: &Path, at: u64, message: String) -> Error {
    Error::Malformed {
        file: path.to_owned(),
        line: line_of(path, at),
        message,
    }
}

/// The 1-based line of byte offset `at` in the file, or of the first thing after it when it
/// points at whitespace (the parser reports the end of the previous element). Counted only
/// when reporting an error, so reading stays a single pass.
fn line_of(path: &Path, at: u64) -> u64 {
    use std::io::Read;
    let Ok(file) = File::open(path) else { return 0 };
    let mut line = 1;
    for (offset, byte) in BufReader::new(file).bytes().enumerate() {
        let Ok(byte) = byte else { break };
        if offset as u64 >= at && !byte.is_ascii_whitespace() {
            break;
        }
        if byte == b'\n' {
            line += 1;
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dump_timestamps() {
        let t = parse_time("2014-01-21T20:26:05.043");
        assert_eq!(
            t.map(|t| (t.hour(), t.minute(), t.second(), t.millisecond())),
            Some((20, 26, 5, 43))
        );
        assert!(parse_time("2014-01-21T20:26:05").is_some());
        assert!(parse_time("yesterday").is_none());
    }
}
