//! A fast reader for the plain block YAML that values files are written in.
//!
//! Why a second reader: granit-parser reads all of YAML 1.2 at about 50 ns
//! per byte, and reading a values file was a quarter of a render's
//! instructions. Values files use a small part of YAML: block mappings and
//! sequences, one-line plain and quoted scalars, one-line flow collections
//! (`[a, b]`, `{cpu: 1}`), and comments. This reader handles exactly that
//! part, and loading takes a quarter of the time it takes with granit-parser
//! (`cargo bench -- parse`). It gives up on anything else (block scalars,
//! multi-line flow collections and scalars, anchors, tags,
//! document markers, tabs, non-ASCII text outside comments), leaving the whole
//! text to granit-parser.
//!
//! It produces granit-parser's own events with the spans granit-parser gives
//! them, so [`super::Loader`] builds the tree, applies the limits and reports
//! duplicate keys the same way whichever reader ran. Until the whole text is
//! read it keeps them as [`Recorded`] events, a third of the size: most of an
//! `Event` is room for an anchor and a tag, which never occur here. A test
//! compares the two readers on every example and fixture, and the fuzz target
//! `pipeline` does so on every input it generates.

use std::borrow::Cow;
use std::cell::Cell;

use granit_parser::{Event, ScalarStyle, StructureStyle};

use crate::source::{FileId, Span};

/// One of granit-parser's events, without anchor and tag: 32 bytes where an
/// `Event` is 112.
pub(super) enum Recorded<'t> {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    MappingStart(StructureStyle),
    MappingEnd,
    SequenceStart(StructureStyle),
    SequenceEnd,
    Scalar(Cow<'t, str>, ScalarStyle),
}

impl<'t> Recorded<'t> {
    /// The event granit-parser gives for the same text.
    pub(super) fn into_event(self) -> Event<'t> {
        match self {
            Recorded::StreamStart => Event::StreamStart,
            Recorded::StreamEnd => Event::StreamEnd,
            Recorded::DocumentStart => Event::DocumentStart(false, None),
            Recorded::DocumentEnd => Event::DocumentEnd,
            Recorded::MappingStart(style) => Event::MappingStart(style, 0, None),
            Recorded::MappingEnd => Event::MappingEnd,
            Recorded::SequenceStart(style) => Event::SequenceStart(style, 0, None),
            Recorded::SequenceEnd => Event::SequenceEnd,
            Recorded::Scalar(text, style) => Event::Scalar(text, style, 0, None),
        }
    }
}

/// A text this reader leaves to granit-parser.
struct Unsupported;

type Read<T = ()> = Result<T, Unsupported>;

/// Nesting deeper than this is left to granit-parser, which reports it.
const MAX_DEPTH: usize = 64;

/// Longer keys are left to granit-parser: YAML limits implicit keys to 1,024
/// characters.
const MAX_KEY: usize = 1000;

/// The events of `text` with their spans, or `None` when the text uses
/// anything beyond plain block YAML, or is not a mapping at the top level.
pub(super) fn events(text: &str, file: FileId) -> Option<Vec<(Recorded<'_>, Span)>> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        file,
        pos: 0,
        line: 1,
        line_start: 0,
        depth: 0,
        known_key: Cell::new(None),
        // About one event per eight bytes of a values file.
        events: Vec::with_capacity(text.len() / 8 + 8),
    };
    reader.stream().ok()?;
    Some(reader.events)
}

struct Reader<'t> {
    text: &'t str,
    bytes: &'t [u8],
    file: FileId,
    /// The next byte to read.
    pos: usize,
    /// The line of `pos`, from 1, and where that line starts.
    line: u32,
    line_start: usize,
    depth: usize,
    /// The last key end looked for: where, and what was found.
    known_key: Cell<Option<(usize, Option<usize>)>>,
    events: Vec<(Recorded<'t>, Span)>,
}

impl<'t> Reader<'t> {
    fn stream(&mut self) -> Read {
        let start = self.span_at(0);
        self.events.push((Recorded::StreamStart, start));
        self.events.push((Recorded::DocumentStart, start));
        // An empty document or a top-level list or scalar: granit-parser
        // handles those, and the loader says what is wrong with them.
        if self.next_content()? != Some(0) || !self.at_key()? {
            return Err(Unsupported);
        }
        self.mapping(0)?;
        if self.next_content()?.is_some() {
            return Err(Unsupported);
        }
        let end = self.span_at(self.pos);
        self.events.push((Recorded::DocumentEnd, end));
        self.events.push((Recorded::StreamEnd, end));
        Ok(())
    }

    /// A block mapping whose keys are at column `indent`; `pos` is at its
    /// first key.
    fn mapping(&mut self, indent: usize) -> Read {
        self.enter()?;
        let start = self.span_at(self.pos);
        self.events.push((Recorded::MappingStart(StructureStyle::Block), start));
        loop {
            let colon = self.key()?;
            self.value(indent, colon)?;
            match self.next_content()? {
                Some(column) if column == indent => {
                    if !self.at_key()? {
                        return Err(Unsupported);
                    }
                }
                Some(column) if column > indent => return Err(Unsupported),
                _ => break,
            }
        }
        let end = self.span_at(self.pos);
        self.events.push((Recorded::MappingEnd, end));
        self.depth -= 1;
        Ok(())
    }

    /// The value after a key's `:` at `colon`, in a mapping at `indent`.
    fn value(&mut self, indent: usize, colon: usize) -> Read {
        self.skip_spaces();
        match self.peek() {
            None | Some(b'\n' | b'#') => self.block_value(indent, colon, true),
            Some(_) => self.scalar_or_flow(),
        }
    }

    /// A value that ends on its own line: a quoted or plain scalar, or a flow
    /// collection.
    fn scalar_or_flow(&mut self) -> Read {
        match self.peek() {
            Some(b'"' | b'\'') => self.quoted()?,
            Some(b'[' | b'{') => self.flow()?,
            _ => self.plain_value()?,
        }
        self.end_of_line()
    }

    /// What follows a `key:` or `-` with nothing after it on its line: a
    /// mapping or sequence on the lines below, or null (located at `null`).
    /// A mapping's value may be a sequence at the mapping's own indentation.
    fn block_value(&mut self, indent: usize, null: usize, indentless: bool) -> Read {
        let null = self.span_at(null);
        self.end_of_line()?;
        match self.next_content()? {
            Some(column) if column > indent || (indentless && column == indent && self.at_dash()) => {
                if self.at_dash() {
                    self.sequence(column, column == indent)
                } else if self.at_key()? {
                    self.mapping(column)
                } else {
                    // A scalar on the next line.
                    Err(Unsupported)
                }
            }
            _ => {
                self.events.push((empty_scalar(), null));
                Ok(())
            }
        }
    }

    /// A block sequence whose `-` are at column `indent`; `pos` is at the
    /// first `-`. An indentless sequence (at its parent key's column) ends
    /// at the next line of that column that is no entry.
    fn sequence(&mut self, indent: usize, indentless: bool) -> Read {
        self.enter()?;
        let start_index = self.events.len();
        self.events
            .push((Recorded::SequenceStart(StructureStyle::Block), self.span_at(self.pos)));
        loop {
            self.pos += 1;
            self.skip_spaces();
            // granit-parser places an indentless sequence where its first
            // entry's content starts.
            if indentless && self.events.len() == start_index + 1 {
                if matches!(self.peek(), None | Some(b'\n' | b'#')) {
                    return Err(Unsupported);
                }
                self.events[start_index].1 = self.span_at(self.pos);
            }
            self.entry(indent)?;
            match self.next_content()? {
                Some(column) if column == indent && self.at_dash() => {}
                Some(column) if column == indent && indentless => break,
                Some(column) if column >= indent => return Err(Unsupported),
                _ => break,
            }
        }
        let end = self.span_at(self.pos);
        self.events.push((Recorded::SequenceEnd, end));
        self.depth -= 1;
        Ok(())
    }

    /// One sequence entry, `pos` after its `-` and the spaces.
    fn entry(&mut self, indent: usize) -> Read {
        let column = self.column();
        match self.peek() {
            // granit-parser places an empty entry at the end of its line.
            None | Some(b'\n' | b'#') => self.block_value(indent, self.line_end(), false),
            Some(b'-') if self.at_dash() => self.sequence(column, false),
            _ if self.at_key()? => self.mapping(column),
            Some(_) => self.scalar_or_flow(),
        }
    }

    /// A flow sequence or mapping on one line (`[a, b]`, `{cpu: 1, memory:
    /// 1Gi}`), whose entries are scalars or flow collections again. Empty
    /// entries, keys without values and trailing commas are left to
    /// granit-parser.
    fn flow(&mut self) -> Read {
        self.enter()?;
        let (open, close) = (self.bytes[self.pos], if self.bytes[self.pos] == b'[' { b']' } else { b'}' });
        // granit-parser's span of a flow collection covers its bracket.
        let start = self.span_on_line(self.pos, self.pos + 1);
        self.events.push((
            if open == b'[' {
                Recorded::SequenceStart(StructureStyle::Flow)
            } else {
                Recorded::MappingStart(StructureStyle::Flow)
            },
            start,
        ));
        self.pos += 1;
        self.skip_spaces();
        if self.peek() != Some(close) {
            loop {
                if open == b'{' {
                    self.flow_scalar()?;
                    self.skip_spaces();
                    if self.peek() != Some(b':') || self.bytes.get(self.pos + 1) != Some(&b' ') {
                        return Err(Unsupported);
                    }
                    self.pos += 2;
                    self.skip_spaces();
                }
                match self.peek() {
                    Some(b'[' | b'{') => self.flow()?,
                    _ => self.flow_scalar()?,
                }
                self.skip_spaces();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.skip_spaces();
                    }
                    Some(byte) if byte == close => break,
                    _ => return Err(Unsupported),
                }
            }
        }
        let end = self.span_at(self.pos);
        self.pos += 1;
        self.events.push((
            if open == b'[' {
                Recorded::SequenceEnd
            } else {
                Recorded::MappingEnd
            },
            end,
        ));
        self.depth -= 1;
        Ok(())
    }

    /// A scalar inside a flow collection: quoted, or plain up to the next
    /// `,`, bracket or brace.
    fn flow_scalar(&mut self) -> Read {
        if matches!(self.peek(), Some(b'"' | b'\'')) {
            return self.quoted();
        }
        if !starts_plain(&self.bytes[self.pos..]) {
            return Err(Unsupported);
        }
        let start = self.pos;
        let line_end = self.line_end();
        let mut end = start;
        while end < line_end {
            match self.bytes[end] {
                b',' | b'[' | b']' | b'{' | b'}' => break,
                // A `key: value` pair inside a sequence, or a comment: not ours.
                b':' if matches!(self.bytes.get(end + 1), Some(b' ' | b',' | b'[' | b']' | b'{' | b'}')) => break,
                b'#' if self.bytes[end - 1] == b' ' => return Err(Unsupported),
                byte if !is_printable(byte) => return Err(Unsupported),
                _ => end += 1,
            }
        }
        let value = self.text[start..end].trim_end_matches(' ');
        if value.is_empty() {
            return Err(Unsupported);
        }
        let span = self.span_on_line(start, start + value.len());
        self.events.push((plain_scalar(value), span));
        self.pos = start + value.len();
        Ok(())
    }

    /// A mapping key and its `:`; returns where the `:` is.
    fn key(&mut self) -> Read<usize> {
        let start = self.pos;
        if matches!(self.peek(), Some(b'"' | b'\'')) {
            self.quoted()?;
            self.skip_spaces();
        } else {
            let end = self.plain_key_end().ok_or(Unsupported)?;
            let key = &self.text[start..end];
            let span = self.span_on_line(start, end);
            self.events.push((plain_scalar(key), span));
            self.pos = end;
            self.skip_spaces();
        }
        if self.peek() != Some(b':') {
            return Err(Unsupported);
        }
        let colon = self.pos;
        self.pos += 1;
        Ok(colon)
    }

    /// Whether the content at `pos` is a mapping key followed by `:`.
    fn at_key(&self) -> Read<bool> {
        match self.peek() {
            Some(quote @ (b'"' | b'\'')) => {
                // The closing quote, then spaces and `:`.
                let line_end = self.line_end();
                let mut i = self.pos + 1;
                while i < line_end {
                    if self.bytes[i] == quote {
                        if quote == b'\'' && self.bytes.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        let rest = self.text[i + 1..line_end].trim_start_matches(' ');
                        return Ok(rest.starts_with(':') && ends_token(rest.as_bytes().get(1)));
                    }
                    i += if quote == b'"' && self.bytes[i] == b'\\' { 2 } else { 1 };
                }
                Err(Unsupported)
            }
            _ => Ok(self.plain_key_end().is_some()),
        }
    }

    /// Where a plain key that starts at `pos` ends (before its trailing
    /// spaces), if the line is `key: …`.
    fn plain_key_end(&self) -> Option<usize> {
        // `at_key` looks before `key` reads: the second call is free.
        if let Some((_, end)) = self.known_key.get().filter(|&(at, _)| at == self.pos) {
            return end;
        }
        let end = self.find_plain_key_end();
        self.known_key.set(Some((self.pos, end)));
        end
    }

    fn find_plain_key_end(&self) -> Option<usize> {
        if !starts_plain(&self.bytes[self.pos..]) {
            return None;
        }
        let mut i = self.pos;
        while let Some(&byte) = self.bytes.get(i) {
            match byte {
                b':' if ends_token(self.bytes.get(i + 1)) => {
                    let key = self.text[self.pos..i].trim_end_matches(' ');
                    return (key.len() <= MAX_KEY).then_some(self.pos + key.len());
                }
                b'#' if self.bytes[i - 1] == b' ' => return None,
                // The end of the line (`\n`), a tab or a control.
                byte if !is_printable(byte) => return None,
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// A one-line plain scalar that is a value: up to the end of the line or
    /// a comment.
    fn plain_value(&mut self) -> Read {
        if !starts_plain(&self.bytes[self.pos..]) {
            return Err(Unsupported);
        }
        let start = self.pos;
        let line_end = self.line_end();
        let mut end = line_end;
        for i in start..line_end {
            match self.bytes[i] {
                b'#' if self.bytes[i - 1] == b' ' => {
                    end = i;
                    break;
                }
                // `a: b: c` is an error, and `a: b:` one too.
                b':' if ends_token(self.bytes.get(i + 1)) => return Err(Unsupported),
                byte if !is_printable(byte) => return Err(Unsupported),
                _ => {}
            }
        }
        let value = self.text[start..end].trim_end_matches(' ');
        let span = self.span_on_line(start, start + value.len());
        self.events.push((plain_scalar(value), span));
        self.pos = start + value.len();
        Ok(())
    }

    /// A one-line single- or double-quoted scalar at `pos`. Double quotes
    /// take the escapes `\\`, `\"`, `\n`, `\t` and `\/`; others are left to
    /// granit-parser.
    fn quoted(&mut self) -> Read {
        let start = self.pos;
        let quote = self.bytes[start];
        let line_end = self.line_end();
        let mut owned: Option<String> = None;
        let mut run = start + 1;
        let mut i = start + 1;
        let end = loop {
            if i >= line_end {
                return Err(Unsupported);
            }
            let byte = self.bytes[i];
            let escaped = match (quote, byte) {
                (b'\'', b'\'') if self.bytes.get(i + 1) == Some(&b'\'') => '\'',
                (b'"', b'\\') => match self.bytes.get(i + 1) {
                    Some(b'\\') => '\\',
                    Some(b'"') => '"',
                    Some(b'n') => '\n',
                    Some(b't') => '\t',
                    Some(b'/') => '/',
                    _ => return Err(Unsupported),
                },
                _ if byte == quote => break i,
                _ if !is_printable(byte) => return Err(Unsupported),
                _ => {
                    i += 1;
                    continue;
                }
            };
            let text = owned.get_or_insert_with(String::new);
            text.push_str(&self.text[run..i]);
            text.push(escaped);
            i += 2;
            run = i;
        };
        let content = match owned {
            Some(mut text) => {
                text.push_str(&self.text[run..end]);
                Cow::Owned(text)
            }
            None => Cow::Borrowed(&self.text[start + 1..end]),
        };
        let style = if quote == b'"' {
            ScalarStyle::DoubleQuoted
        } else {
            ScalarStyle::SingleQuoted
        };
        let span = self.span_on_line(start, end + 1);
        self.events.push((Recorded::Scalar(content, style), span));
        self.pos = end + 1;
        Ok(())
    }

    /// Moves to the next line, past spaces and a comment; anything else left
    /// on the line is not ours to read.
    fn end_of_line(&mut self) -> Read {
        self.skip_spaces();
        match self.peek() {
            None => Ok(()),
            Some(b'\n') => {
                self.newline();
                Ok(())
            }
            // A comment needs a space before it.
            Some(b'#') if self.pos == self.line_start || self.bytes[self.pos - 1] == b' ' => {
                self.skip_comment()?;
                Ok(())
            }
            Some(_) => Err(Unsupported),
        }
    }

    /// Moves `pos` to the next content, past blank and comment lines, and
    /// returns its column (`None` at the end of the text). Content at column
    /// 0 that YAML reads as a directive or document marker is not ours.
    fn next_content(&mut self) -> Read<Option<usize>> {
        loop {
            self.skip_spaces();
            match self.peek() {
                None => return Ok(None),
                Some(b'\n') => self.newline(),
                Some(b'#') => self.skip_comment()?,
                Some(_) => {
                    let column = self.column();
                    let rest = &self.bytes[self.pos..];
                    let marker = rest.starts_with(b"---") || rest.starts_with(b"...");
                    if column == 0 && (rest[0] == b'%' || marker && ends_token(rest.get(3))) {
                        return Err(Unsupported);
                    }
                    return Ok(Some(column));
                }
            }
        }
    }

    /// Past a comment to the end of its line. A comment's column does not
    /// matter, so it may hold any printable text, non-ASCII too.
    fn skip_comment(&mut self) -> Read {
        // One pass for the usual ASCII comment; the first other byte sends
        // the rest of the line through the character check.
        let start = self.pos;
        let mut end = start;
        while let Some(&byte) = self.bytes.get(end) {
            match byte {
                b'\n' => break,
                b'\t' | b' '..=b'~' => end += 1,
                _ => {
                    end = self.line_end_from(end);
                    if !self.text[start..end].chars().all(is_printable_in_comment) {
                        return Err(Unsupported);
                    }
                    break;
                }
            }
        }
        self.pos = end;
        if self.peek() == Some(b'\n') {
            self.newline();
        }
        Ok(())
    }

    fn enter(&mut self) -> Read {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Unsupported);
        }
        Ok(())
    }

    /// Whether `pos` is at a sequence entry's `-`.
    fn at_dash(&self) -> bool {
        self.peek() == Some(b'-') && ends_token(self.bytes.get(self.pos + 1))
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn newline(&mut self) {
        self.pos += 1;
        self.line += 1;
        self.line_start = self.pos;
    }

    fn column(&self) -> usize {
        self.pos - self.line_start
    }

    /// The end of the current line (its `\n`, or the end of the text).
    fn line_end(&self) -> usize {
        self.line_end_from(self.pos)
    }

    fn line_end_from(&self, from: usize) -> usize {
        self.bytes[from..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.bytes.len(), |i| from + i)
    }

    /// A span from `start` to `end` on the current line.
    fn span_on_line(&self, start: usize, end: usize) -> Span {
        Span {
            file: self.file,
            start: start as u32,
            end: end as u32,
            line: self.line,
            column: (start - self.line_start + 1) as u32,
        }
    }

    fn span_at(&self, at: usize) -> Span {
        self.span_on_line(at, at)
    }
}

/// Printable ASCII: what keys and values may hold here. Tabs, other
/// controls and non-ASCII text (whose columns count characters, not bytes)
/// are left to granit-parser.
fn is_printable(byte: u8) -> bool {
    (b' '..=b'~').contains(&byte)
}

/// YAML's printable characters, less those some reader takes for a line
/// break (NEL, LS, PS), the byte order mark, and a carriage return.
fn is_printable_in_comment(c: char) -> bool {
    matches!(c, '\t' | ' '..='~' | '\u{a0}'..='\u{2027}' | '\u{202a}'..='\u{d7ff}' | '\u{e000}'..='\u{fefe}' | '\u{ff00}'..='\u{fffd}' | '\u{10000}'..)
}

/// Whether the byte after a `:` or `-` ends it as an indicator.
fn ends_token(next: Option<&u8>) -> bool {
    matches!(next, None | Some(b' ' | b'\n'))
}

/// Whether a plain scalar may start at `rest`: not with an indicator, except
/// `-`, `?` and `:` before a character that is not a space.
fn starts_plain(rest: &[u8]) -> bool {
    match rest.first() {
        Some(b'-' | b'?' | b':') => !ends_token(rest.get(1)),
        Some(b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`') => false,
        Some(_) => true,
        None => false,
    }
}

fn plain_scalar(text: &str) -> Recorded<'_> {
    Recorded::Scalar(Cow::Borrowed(text), ScalarStyle::Plain)
}

/// What granit-parser gives for a value that is not written.
fn empty_scalar<'t>() -> Recorded<'t> {
    Recorded::Scalar(Cow::Borrowed("~"), ScalarStyle::Plain)
}
