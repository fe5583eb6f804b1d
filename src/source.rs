//! The text of every input a diagnostic may point into.
//!
//! Values files, stdin and each `--set` argument are all registered here, so a
//! [`Span`] is just an index plus offsets: cheap to copy into every node of the
//! tree, and enough to print `file:line:column` and the offending source line
//! long after parsing is over.

use std::fmt;

/// Index of a registered source in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(u32);

/// A region of one source: where a node, key or value was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte (`start == end` for an empty span).
    pub end: u32,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column of `start`, counted in characters.
    pub column: u32,
}

/// One named input text.
#[derive(Debug)]
pub struct SourceFile {
    /// What a user calls it: a path as given, `<stdin>`, or `--set`.
    pub name: String,
    pub text: String,
}

/// Every input text of one run.
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 4 billion inputs"));
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
        });
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn name(&self, id: FileId) -> &str {
        &self.get(id).name
    }

    /// The whole line that holds `span.start`, without its line break.
    pub fn line_text(&self, span: Span) -> &str {
        let text = &self.get(span.file).text;
        let start = (span.start as usize).min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        text[line_start..line_end].trim_end_matches('\r')
    }

    /// The source text a span covers.
    pub fn snippet(&self, span: Span) -> &str {
        let text = &self.get(span.file).text;
        let end = (span.end as usize).min(text.len());
        let start = (span.start as usize).min(end);
        text.get(start..end).unwrap_or("")
    }
}

impl Span {
    /// A span covering the start of a file: where problems of the file as a whole point.
    pub fn file_start(file: FileId) -> Span {
        Span {
            file,
            start: 0,
            end: 0,
            line: 1,
            column: 1,
        }
    }

    /// Line and column of the end of the span, for formats that want a range.
    /// Spans never cross lines in practice except block scalars; those report
    /// their first line only.
    pub fn end_column(&self, sources: &Sources) -> u32 {
        let snippet = sources.snippet(*self);
        let first_line = snippet.split('\n').next().unwrap_or("");
        self.column + first_line.chars().count() as u32
    }
}

/// `file:line:column`, the form editors and terminals turn into links.
pub struct DisplayLocation<'a>(pub &'a Sources, pub Span);

impl fmt::Display for DisplayLocation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.0.name(self.1.file), self.1.line, self.1.column)
    }
}
