//! The text of every input a diagnostic may point into.
//!
//! Values files, stdin and each `--set` argument are all registered here, so a
//! [`Span`] is just an index plus offsets: cheap to copy into every node of the
//! tree, and enough to print `file:line:column` and the offending source line
//! long after parsing is over.
//!
//! Every text printed about an input goes through here too: a source line
//! through [`Sources::shown_line`] and a message through [`Sources::redact`],
//! which mask what [`secrets`] finds secret. The readers of the inputs
//! ([`crate::load`], [`crate::set`]) record each text's secrets as they parse
//! it; a text no reader recorded them for has them found here, from the text,
//! when something is first printed.
//!
//! This is the lowest layer: the bounds of every input and how a YAML input
//! is parsed are here too, for the loader and for finding secrets alike.

pub mod secrets;

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use granit_parser::{Options, Parser, StrInput};
use secrets::{FileSecrets, Secrets};

use crate::unicode::is_bidi_control;

/// The largest input text the tool reads: a values file, stdin, a generator
/// configuration, a KRM ResourceList. Real values files are a few
/// kilobytes; a bench with a thousand sites is well under a megabyte.
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

/// The most input text one run reads, over every values file, standard
/// input, `--set-file` file and generator configuration together: four
/// inputs of the largest size. Without it, a list naming one large file
/// sixty times (`-f`, a kustomize generator's `valuesFiles`, Argo CD's
/// `values-files`) held a gigabyte.
pub const MAX_RUN_INPUT_BYTES: usize = 4 * MAX_INPUT_BYTES;

/// Nesting deeper than this is no values file (nor a `--set` path); it also
/// bounds the recursion of every later stage.
pub const MAX_DEPTH: usize = 128;

/// `path` as the file system would resolve it: absolute, every symbolic
/// link resolved as far as the path exists, and the rest (which cannot hold
/// a link) normalised lexically. Checking where an input lies with this
/// answers the same for a file that exists and one that does not, so that
/// refusing a path outside a boundary never tells whether it exists.
pub fn resolve_path(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::{Component, PathBuf};
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    if let Ok(resolved) = std::fs::canonicalize(&path) {
        return resolved;
    }
    let mut resolved = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                resolved.pop();
            }
            other => {
                resolved.push(other);
                // Resolved so far, so that a `..` after a link leaves
                // the link's target, as the kernel does.
                if let Ok(real) = std::fs::canonicalize(&resolved) {
                    resolved = real;
                }
            }
        }
    }
    resolved
}

/// The parser of every YAML input: granit-parser, which refuses nesting
/// deeper than [`MAX_DEPTH`] itself, before anything recurses into it.
pub fn yaml_parser(text: &str) -> Parser<'_, StrInput<'_>> {
    let mut options = Options::default();
    options.block_nesting_limit = MAX_DEPTH;
    options.flow_nesting_limit = MAX_DEPTH;
    options.emit_comments = false;
    Parser::new_from_str_with_options(text, options)
}

/// Index of a registered source in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(u32);

impl FileId {
    /// The id as a number, to send a [`Span`] through serde's data model
    /// ([`crate::values::Spanned`]).
    pub(crate) fn index(self) -> u32 {
        self.0
    }

    pub(crate) fn from_index(index: u32) -> FileId {
        FileId(index)
    }
}

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
    /// 1-based column of `start`, counted in characters of the text as
    /// written; what is printed is counted with the secrets masked
    /// ([`Sources::shown_columns`]).
    pub column: u32,
}

/// One named input text.
#[derive(Debug)]
pub struct SourceFile {
    /// What a user calls it: a path as given, `<stdin>`, or `--set`; with
    /// any secret in it masked.
    pub name: String,
    pub text: String,
    syntax: SourceSyntax,
    /// The secrets masked in the name as given.
    name_secrets: Vec<String>,
    /// Recorded by the reader that parsed the text, or found from it when
    /// first needed.
    secrets: OnceLock<FileSecrets>,
}

/// How a source is written, which decides where its secrets are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceSyntax {
    Yaml,
    /// A `--set`, `--set-string` or `--set-file` argument:
    /// `path=value[,path=value…]`.
    SetArgument(crate::set::Flag),
    /// A file's content given as one value with `--set-file`; secret as a
    /// whole when the path it is assigned to names a secret.
    FileValue {
        secret: bool,
    },
}

/// Every input text of one run.
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
    /// The secret texts of every source, gathered when the first text is shown.
    secrets: OnceLock<Secrets>,
    /// Texts given on the command line that are secret, whatever reads them.
    hidden: Vec<String>,
}

impl Sources {
    /// Registers a YAML text: a values file, stdin, a generator configuration.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.push(name.into(), text.into(), SourceSyntax::Yaml)
    }

    /// Registers one argument of a `--set` flag.
    pub fn add_set_argument(&mut self, flag: crate::set::Flag, text: impl Into<String>) -> FileId {
        self.push(flag.name().to_owned(), text.into(), SourceSyntax::SetArgument(flag))
    }

    /// Registers the content of a file read by `--set-file` as one value;
    /// `secret` when the path it is assigned to names a secret.
    pub fn add_file_value(&mut self, name: impl Into<String>, text: impl Into<String>, secret: bool) -> FileId {
        self.push(name.into(), text.into(), SourceSyntax::FileValue { secret })
    }

    fn push(&mut self, name: String, text: String, syntax: SourceSyntax) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 4 billion inputs"));
        let (name, name_secrets) = self.masked_name(name);
        self.files.push(SourceFile {
            name,
            text,
            syntax,
            name_secrets,
            secrets: OnceLock::new(),
        });
        self.secrets = OnceLock::new();
        id
    }

    /// Renames the source `id`, once what it is has been read from it (a
    /// generator configuration's `metadata.name`).
    pub fn rename(&mut self, id: FileId, name: impl Into<String>) {
        let (name, name_secrets) = self.masked_name(name.into());
        let file = &mut self.files[id.0 as usize];
        file.name = name;
        file.name_secrets = name_secrets;
        self.secrets = OnceLock::new();
    }

    /// A name is shown in every location; one that holds a secret (a URL
    /// with a password, a mistyped `dbRootPassword=…` argument) is kept
    /// masked, and what it hid is masked wherever else it is printed.
    fn masked_name(&self, name: String) -> (String, Vec<String>) {
        let mut hidden = secrets::in_name(&name);
        if self.hidden.contains(&name) {
            hidden.push(0..name.len());
        }
        let hidden = secrets::merge(hidden);
        let name_secrets: Vec<String> = hidden.iter().map(|range| name[range.clone()].to_owned()).collect();
        let name = if hidden.is_empty() { name } else { secrets::apply(&name, &hidden) };
        (name, name_secrets)
    }

    /// Marks texts of the command line as secret wherever they are printed.
    pub fn hide(&mut self, texts: &[String]) {
        self.hidden.extend(texts.iter().filter(|text| !text.trim().is_empty()).cloned());
        self.secrets = OnceLock::new();
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn name(&self, id: FileId) -> &str {
        &self.get(id).name
    }

    /// The first input registered: a run's first values file.
    pub fn first(&self) -> Option<FileId> {
        (!self.files.is_empty()).then_some(FileId(0))
    }

    /// The bytes of every text registered, to keep a run within
    /// [`MAX_RUN_INPUT_BYTES`].
    pub fn total_bytes(&self) -> usize {
        self.files.iter().map(|file| file.text.len()).sum()
    }

    /// The line that holds `span.start`, as a diagnostic may show it: every
    /// secret masked, tabs as single spaces (so that columns stay put), and
    /// where the span's underline goes in it.
    pub fn shown_line(&self, span: Span) -> ShownLine {
        let masked = self.masked_line(span);
        ShownLine::window(&secrets::apply(masked.line, &masked.ranges), masked.from, masked.to)
    }

    /// The 1-based columns where `span` starts and ends on its first line,
    /// counted on that line as it is shown, every secret masked: what every
    /// format prints, so that no column counts a secret's characters. On a
    /// line without a secret, the start is the reader's column; the end is
    /// past it, even for an empty span.
    pub fn shown_columns(&self, span: Span) -> (u32, u32) {
        let masked = self.masked_line(span);
        let column = u32::try_from(masked.from + 1).unwrap_or(u32::MAX);
        let width = u32::try_from(masked.to - masked.from).unwrap_or(u32::MAX).max(1);
        (column, column.saturating_add(width))
    }

    /// The line that holds `span.start`, the secrets to mask in it, and the
    /// characters of the masked line the span covers (up to the line's end).
    /// The line starts where the source's reader counted `span.column`
    /// from, `span.column - 1` characters before the span: not always after
    /// a `\n`, since YAML ends a line at a lone `\r` too, a `--set` argument
    /// is one line whatever it holds, and a byte order mark is no character
    /// of the first line. It ends at the first line break after the start.
    fn masked_line(&self, span: Span) -> MaskedLine<'_> {
        let text = &self.get(span.file).text;
        let start = (span.start as usize).min(text.len());
        let before = (span.column as usize).saturating_sub(1);
        let line_start = text[..start].char_indices().rev().take(before).last().map_or(start, |(i, _)| i);
        let line_end = text[start..].find(['\n', '\r']).map_or(text.len(), |i| start + i);
        let line = &text[line_start..line_end];
        let mut masked = self.file_secrets(span.file).in_line(line, line_start..line_end);
        masked.extend(self.secrets().in_text(line));
        // A line may hold a URL no value holds: in a comment, or in a file
        // that does not parse.
        masked.extend(secrets::url_credentials(line));
        let ranges = secrets::merge(masked);
        let underline_start = start.min(line_end);
        let underline_end = (span.end as usize).min(line_end).max(underline_start);
        let from = secrets::masked_column(line, &ranges, underline_start - line_start, false);
        let to = secrets::masked_column(line, &ranges, underline_end - line_start, true);
        MaskedLine { line, ranges, from, to }
    }

    /// `text` (a message, a help, a note) with every secret of the sources
    /// masked, the user-info of their URLs included.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        self.redact_about(text, &[])
    }

    /// `text`, a diagnostic's message, help or note about the places
    /// `about`, redacted as [`Sources::redact`] does, and with the secret
    /// flag words written there (`dbRootPassword: on`) masked too: those are
    /// masked only where they are written, and a message may quote them.
    pub fn redact_about<'t>(&self, text: &'t str, about: &[Span]) -> Cow<'t, str> {
        let mut masked = self.secrets().in_text(text);
        for span in about {
            masked.extend(self.file_secrets(span.file).flags_in(text, span.start as usize..span.end as usize));
        }
        let masked = secrets::merge(masked);
        if masked.is_empty() {
            Cow::Borrowed(text)
        } else {
            Cow::Owned(secrets::apply(text, &masked))
        }
    }

    fn secrets(&self) -> &Secrets {
        self.secrets.get_or_init(|| Secrets::find(self))
    }

    /// Records the secrets the reader of source `file` found while it parsed
    /// it. Secrets found already are kept: they are the same.
    pub(crate) fn record_secrets(&self, file: FileId, secrets: FileSecrets) {
        let _ = self.get(file).secrets.set(secrets);
    }

    /// Marks the value written at `span` as secret, which no reader could
    /// tell alone: an env var's `value` whose `name` another assignment or
    /// file gives ([`secrets::secret_env_values`]).
    pub(crate) fn add_secret(&mut self, span: Span, value: &str) {
        self.add_to_secrets(span, |text, range, found| found.add_value(text, range, value));
    }

    /// Marks `part` of `word`, the value written at `span`, as secret, which
    /// no reader could tell alone: a password among a container's `args`
    /// whose `command` another assignment or file gives
    /// ([`secrets::secret_command_line_values`]).
    pub(crate) fn add_secret_part(&mut self, span: Span, word: &str, part: Range<usize>) {
        self.add_to_secrets(span, |text, range, found| found.part_of_word(text, range, word, part));
    }

    /// Adds to the secrets of the source of `span`, with its text and where
    /// in it `span` is.
    fn add_to_secrets(&mut self, span: Span, add: impl FnOnce(&str, Range<usize>, &mut FileSecrets)) {
        let SourceFile { text, syntax, secrets, .. } = &mut self.files[span.file.0 as usize];
        secrets.get_or_init(|| FileSecrets::of_text(text, *syntax));
        let range = (span.start as usize).min(text.len())..(span.end as usize).min(text.len());
        if let Some(found) = secrets.get_mut() {
            add(text, range, found);
        }
        self.secrets = OnceLock::new();
    }

    /// The secrets of source `file`: as its reader recorded them, or found
    /// from its text.
    pub fn file_secrets(&self, file: FileId) -> &FileSecrets {
        let source = self.get(file);
        source.secrets.get_or_init(|| FileSecrets::of_text(&source.text, source.syntax))
    }

    /// The line of a YAML source that holds `span.start`, and the line above
    /// it when there is one; `None` for a `--set` argument or a file's
    /// content given with `--set-file`, which hold no comments.
    pub fn yaml_lines_at(&self, span: Span) -> Option<(Option<&str>, &str)> {
        let source = self.get(span.file);
        if source.syntax != SourceSyntax::Yaml {
            return None;
        }
        let text = &source.text;
        let start = (span.start as usize).min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let above = line_start
            .checked_sub(1)
            .map(|end| &text[text[..end].rfind('\n').map_or(0, |i| i + 1)..end]);
        Some((above, &text[line_start..line_end]))
    }

    /// The source text a span covers.
    pub fn snippet(&self, span: Span) -> &str {
        let text = &self.get(span.file).text;
        let end = (span.end as usize).min(text.len());
        let start = (span.start as usize).min(end);
        text.get(start..end).unwrap_or("")
    }
}

/// A source line and the secrets to mask in it ([`Sources::masked_line`]).
struct MaskedLine<'a> {
    line: &'a str,
    /// Byte ranges of `line`, merged.
    ranges: Vec<Range<usize>>,
    /// Characters of the masked line before the span.
    from: usize,
    /// Characters of the masked line up to the span's end on this line.
    to: usize,
}

/// A source line as a diagnostic shows it; columns count characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownLine {
    pub text: String,
    /// Characters before the underline.
    pub underline_start: usize,
    /// Characters underlined, at least one.
    pub underline_width: usize,
}

/// The most characters of a source line a diagnostic quotes; a longer line
/// is cut around the span, each cut marked with [`CUT`]. Without it, every
/// diagnostic on a one-line file of a megabyte would quote the megabyte.
pub const SHOWN_LINE_CHARS: usize = 120;

/// Characters of the window kept before the span, when the line is cut.
const SHOWN_BEFORE_SPAN: usize = 40;

/// Where a quoted line is cut.
pub const CUT: &str = "…";

impl ShownLine {
    /// The part of `line` (masked already) around the characters
    /// `from..to`, with tabs as single spaces and every other control
    /// character escaped ([`escape_controls`]), the underline moved to match.
    fn window(line: &str, from: usize, to: usize) -> ShownLine {
        let count = line.chars().count();
        let (start, end) = if count <= SHOWN_LINE_CHARS {
            (0, count)
        } else {
            let start = from.saturating_sub(SHOWN_BEFORE_SPAN).min(count - SHOWN_LINE_CHARS);
            (start, start + SHOWN_LINE_CHARS)
        };
        // Room for the whole line and both cuts: escapes aside, the text
        // is then written without growing.
        let mut text = String::with_capacity(line.len() + 2 * CUT.len());
        if start > 0 {
            text.push_str(CUT);
        }
        let (mut underline_start, mut underline_end) = (None, None);
        for (column, c) in line.chars().enumerate().skip(start).take(end - start) {
            if column == from {
                underline_start = Some(text.chars().count());
            }
            if column == to {
                underline_end = Some(text.chars().count());
            }
            match c {
                '\t' => text.push(' '),
                c => push_escaped(&mut text, c),
            }
        }
        let shown_end = text.chars().count();
        if end < count {
            text.push_str(CUT);
        }
        let underline_start = underline_start.unwrap_or(if from < start { 0 } else { shown_end });
        let underline_end = underline_end.unwrap_or(if to < start { 0 } else { shown_end });
        ShownLine {
            text,
            underline_start,
            underline_width: underline_end.saturating_sub(underline_start).max(1),
        }
    }
}

/// `text` with every control character (C0, DEL, C1) and bidirectional
/// control written visibly, as Rust writes them (`\n`, `\r`, `\t`,
/// `\u{1b}`, `\u{202e}`): text from an input that reaches a terminal or a CI
/// log can then neither move the cursor, nor start a new log line, nor send
/// an escape sequence, nor show its characters in another order.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut escaped, c);
    }
    Cow::Owned(escaped)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() || is_bidi_control(c) => {
            use std::fmt::Write as _;
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

impl Span {
    /// A span covering the start of a file: where problems of the file as a
    /// whole point (it cannot be read, a key it does not have). Empty, and
    /// shown without a source line: no line of the file is at fault.
    pub fn file_start(file: FileId) -> Span {
        Span {
            file,
            start: 0,
            end: 0,
            line: 1,
            column: 1,
        }
    }

    /// Whether this is a [`Span::file_start`]: the file as a whole. Readers
    /// that point at a place, even the first character, give it a width.
    pub fn is_file_start(&self) -> bool {
        self.start == 0 && self.end == 0
    }
}

/// `file:line:column`, the form editors and terminals turn into links; the
/// column as [`Sources::shown_columns`] counts it.
pub struct DisplayLocation<'a>(pub &'a Sources, pub Span);

impl fmt::Display for DisplayLocation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (column, _) = self.0.shown_columns(self.1);
        write!(f, "{}:{}:{}", escape_controls(self.0.name(self.1.file)), self.1.line, column)
    }
}
