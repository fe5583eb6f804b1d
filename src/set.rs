//! `--set key.path=value` overrides, as helm users type them, and their
//! siblings `--set-string`, `--set-file`, `--set-json` and `--set-literal`.
//!
//! Each argument is registered as a source of its own, so a bad value given
//! with `--set` is reported as `--set:1:27` with the argument underlined, just
//! like a bad value in a file. Paths are dotted (`worker.gunicorn.replicaCount`),
//! list items are indexed (`ingress.hosts[0].host`), a backslash escapes the
//! next character (`\.`, `\,`, `\=`, `\{`, `\}`), and several assignments
//! may be joined with commas. A value in braces is a list, as in helm's
//! strvals parser: `key={a,b}` sets `[a, b]`, commas inside the braces
//! separate items, and `{}` is an empty list (helm makes it `[""]`, which is
//! never what is meant). What a value (or each item) becomes depends on the
//! flag, see [`Flag`]. `--set-json` values are JSON ([`json`]), and a
//! `--set-literal` argument is one assignment whose value is all that follows
//! its first `=`, with no escapes in its path either, as in helm.

use std::cell::Cell;

use crate::diagnostic::{Code, Diagnostic};
use crate::node::{Entry, Node, Path, Scalar, Segment, Value};
use crate::source::secrets::{self, FileSecrets};
use crate::source::{FileId, MAX_DEPTH, Sources, Span};

mod json;

/// Assignments in one render, over all `--set` arguments. Each looks its
/// keys up in the maps on its path, so the cost of applying them grows with
/// their number times the size of those maps; no one types this many.
pub(crate) const MAX_ASSIGNMENTS: usize = 1_000;

/// The helm flag an argument came with: what its values become. Helm
/// applies every `--set-json`, then every `--set`, every `--set-string`,
/// every `--set-file` and every `--set-literal`, whatever their order on the
/// command line (helm `pkg/cli/values/options.go` `MergeValues`); so does
/// [`crate::pipeline`], in the order of [`Flag::IN_HELMS_ORDER`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// Typed as helm's `--set` types them: booleans, `null` (which removes)
    /// and integers; anything else (`010`, `16.10`, `"3"` with its quotes)
    /// is the string written.
    Set,
    /// Strings, exactly as written: `null`, `3` and `"3"` (quotes included)
    /// stay text.
    SetString,
    /// Paths of files whose content (as is, final line break included) is
    /// the string value.
    SetFile,
    /// JSON values (`key.path=<JSON>`, an empty value is null), or one JSON
    /// object merged as a values file is.
    SetJson,
    /// One assignment, whose value is the string after the first `=`,
    /// exactly as written; its path has no escapes.
    SetLiteral,
}

impl Flag {
    /// The order in which helm applies the flags' arguments.
    pub const IN_HELMS_ORDER: [Flag; 5] = [Flag::SetJson, Flag::Set, Flag::SetString, Flag::SetFile, Flag::SetLiteral];

    /// The flag as typed, which is also the name of its arguments' sources.
    pub fn name(self) -> &'static str {
        match self {
            Flag::Set => "--set",
            Flag::SetString => "--set-string",
            Flag::SetFile => "--set-file",
            Flag::SetJson => "--set-json",
            Flag::SetLiteral => "--set-literal",
        }
    }

    /// What an argument of the flag looks like, for a help.
    fn example(self) -> &'static str {
        match self {
            Flag::SetJson => {
                r#"write `--set-json key.path=<JSON>`, with `[N]` for list items, e.g. `--set-json 'worker.gunicorn.envVars=[{"name":"TZ","value":"UTC"}]'`, or one JSON object, `--set-json '{"image":{"tag":"v16"}}'`"#
            }
            Flag::SetLiteral => {
                "write `--set-literal key.path=value`, with `[N]` for list items: everything after the first `=` is the value, e.g. `--set-literal 'nginx.config=a,b{c}'`"
            }
            _ => "write `FLAG key.path=value`, with `[N]` for list items, e.g. `FLAG ingress.hosts[0].host=erp.example.com`",
        }
    }

    /// The refusal of an argument of the flag: `message` about `span`.
    fn invalid(self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Code::InvalidSet, message)
            .at(span)
            .help(self.example().replace("FLAG", self.name()))
    }
}

/// One parsed assignment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Assignment {
    /// Empty for a `--set-json` object given whole, merged as a values file.
    pub path: Vec<(Segment, Span)>,
    /// A scalar, null, or a list of scalars (`key={a,b}`); with
    /// `--set-json`, any JSON value.
    pub value: Node,
}

impl Assignment {
    /// The scalar values assigned: the value itself, or each item of a list.
    pub(crate) fn scalars_mut(&mut self) -> Vec<&mut Node> {
        match self.value.value {
            Value::Seq(ref mut items) => items.iter_mut().collect(),
            _ => vec![&mut self.value],
        }
    }

    /// The scalar values assigned, as [`Assignment::scalars_mut`].
    pub(crate) fn scalars(&self) -> Vec<&Node> {
        match &self.value.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![&self.value],
        }
    }
}

/// One `--set` argument for a `key: value` of a map of overrides (Argo CD's
/// `set` parameter, the kustomize generator's `spec.set`). The key is a
/// `--set` path and a value in braces is a list (`{a,b}`), as Argo CD passes
/// a Helm parameter to `helm --set`. Any other value is taken as written,
/// its backslashes, commas and braces escaped. Argo CD escapes only the
/// commas that follow no backslash (argo-cd `util/helm/cmd.go`
/// `cleanSetParameters`), and helm reads every backslash as an escape: `a\,b`
/// and `C:\dir` become `a,b` and `C:dir`, which would mangle a password.
pub(crate) fn map_entry(key: &str, value: &str) -> String {
    if value.starts_with('{') && value.ends_with('}') {
        return format!("{key}={value}");
    }
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | ',' | '{' | '}') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    format!("{key}={escaped}")
}

/// Parses one argument of `flag` (which may hold several comma-separated
/// assignments) from a registered source, in time linear in its length.
///
/// No message quotes the argument: a piece of it may be part of a secret
/// value that an unescaped `,` cut (`dbRootPassword=abc,def`), so the
/// messages say what is wrong and the masked line shows where. For the same
/// reason nothing may follow a secret assignment in one argument: the rest
/// may be the secret's own tail, read as other assignments.
pub(crate) fn parse(sources: &Sources, file: FileId, flag: Flag) -> Result<Vec<Assignment>, Diagnostic> {
    match flag {
        Flag::SetJson => return json::parse(sources, file),
        Flag::SetLiteral => return literal(sources, file),
        Flag::Set | Flag::SetString | Flag::SetFile => {}
    }
    let text = &sources.get(file).text;
    let spans = Spans::new(text, file);
    let invalid = |start: usize, end: usize, message: &str| flag.invalid(spans.at(start, end), message);

    let mut assignments = Vec::new();
    // Where the path of a secret assignment made so far is written. A
    // refusal of what follows points there, at a key the user can read,
    // rather than past the secret's masked `***`.
    let mut secret_path: Option<(usize, usize)> = None;
    // The env vars given a secret name so far (the path to each).
    let mut secret_env_vars: Vec<Vec<Segment>> = Vec::new();
    let parts = split_assignments(text);
    let last = parts.len() - 1;
    for (n, (start, end)) in parts.into_iter().enumerate() {
        let part = &text[start..end];
        // helm accepts a trailing comma (`a=1,b=2,`).
        if part.is_empty() && n == last && n > 0 {
            break;
        }
        if let Some((path_start, path_end)) = secret_path {
            let path = &text[path_start..path_end];
            return Err(Diagnostic::new(
                Code::InvalidSet,
                format!("`{path}` is secret, and more follows it in the same argument"),
            )
            .at(spans.at(path_start, path_end))
            .help(format!(
                "give `{path}` in a `{} {path}=…` of its own, with each `,` of its value escaped as `\\,`: an unescaped `,` starts another assignment",
                flag.name()
            )));
        }
        let Some(eq) = find_unescaped(part, '=') else {
            return Err(invalid(start, end, "this assignment has no `=`"));
        };
        let path = parse_path(text, &spans, start, start + eq, Escapes::Backslash).map_err(|problem| problem.diagnostic(flag, &spans))?;
        let value_start = start + eq + 1;
        let segments: Vec<Segment> = path.iter().map(|(segment, _)| segment.clone()).collect();
        let value = if text[value_start..end].starts_with('{') {
            list(text, &spans, flag, value_start, end).map_err(|(s, e, message)| {
                // A place in a secret list would point into its masked `***`.
                if secrets::path_is_secret(&segments) {
                    invalid(start, start + eq, message)
                } else {
                    invalid(s, e, message)
                }
            })?
        } else {
            Node::new(scalar(flag, &unescape(&text[value_start..end])), spans.at(value_start, end))
        };
        if let ([parent @ .., Segment::Key(key)], Value::Scalar(scalar)) = (&segments[..], &value.value) {
            // An env var `{name: DB_PASSWORD, value: …}` given in one argument.
            if key == "name" && secrets::key_meaning(&scalar.text) == secrets::KeyMeaning::Secret {
                secret_env_vars.push(parent.to_vec());
            }
            if key == "value" && secret_env_vars.iter().any(|env| env[..] == *parent) {
                secret_path = Some((start, start + eq));
            }
        }
        if secrets::path_is_secret(&segments) {
            secret_path = Some((start, start + eq));
        }
        assignments.push(Assignment { path, value });
    }
    sources.record_secrets(file, secrets(text, flag, &assignments));
    Ok(assignments)
}

/// Parses a `--set-literal` argument: one assignment, its path up to the
/// first `=` (helm's `literal_parser.go` reads no escapes in it, so `a\.b`
/// is the keys `a\` and `b`), its value all the rest, as a string.
fn literal(sources: &Sources, file: FileId) -> Result<Vec<Assignment>, Diagnostic> {
    let flag = Flag::SetLiteral;
    let text = &sources.get(file).text;
    let spans = Spans::new(text, file);
    let Some(eq) = text.find('=') else {
        return Err(flag.invalid(spans.at(0, text.len()), "this assignment has no `=`"));
    };
    let path = parse_path(text, &spans, 0, eq, Escapes::None).map_err(|problem| problem.diagnostic(flag, &spans))?;
    let value = Value::Scalar(Scalar {
        text: text[eq + 1..].to_owned(),
        plain: false,
    });
    let assignments = vec![Assignment {
        path,
        value: Node::new(value, spans.at(eq + 1, text.len())),
    }];
    sources.record_secrets(file, secrets(text, flag, &assignments));
    Ok(assignments)
}

/// What one written value (unescaped) becomes under `flag`.
fn scalar(flag: Flag, written: &str) -> Value {
    let string = |text: &str| {
        Value::Scalar(Scalar {
            text: text.to_owned(),
            plain: false,
        })
    };
    if flag != Flag::Set {
        return string(written);
    }
    let plain = |text: &str| {
        Value::Scalar(Scalar {
            text: text.to_owned(),
            plain: true,
        })
    };
    // helm's `--set` types a value only as a boolean, null or a decimal
    // integer, and keeps anything else the string written (`16.10`, `on`,
    // `~`, `1e3`, `010`, and quotes, which it does not strip): helm
    // `pkg/strvals/parser.go` `typedVal`, `strings.EqualFold` for the words.
    match written {
        null if null.eq_ignore_ascii_case("null") => Value::Null,
        // helm sets an empty string for `key=`; an empty plain scalar would be null.
        "" => string(""),
        boolean if boolean.eq_ignore_ascii_case("true") || boolean.eq_ignore_ascii_case("false") => plain(&boolean.to_ascii_lowercase()),
        // Written as helm holds it, an int64: `+5` is 5 and `-010` is -10
        // to helm, where YAML 1.1 tools would read `-010` as octal.
        integer => match helm_integer(integer) {
            Some(n) => plain(&n.to_string()),
            None => string(integer),
        },
    }
}

/// What helm's `--set` reads as an integer: `0`, or text that does not
/// start with `0` and `strconv.ParseInt(text, 10, 64)` accepts (`-5`,
/// `+5`, `-010`, not `010` nor a number past 64 bits), as `i64`'s parser
/// accepts.
fn helm_integer(text: &str) -> Option<i64> {
    match text {
        "0" => Some(0),
        _ if text.starts_with('0') => None,
        _ => text.parse().ok(),
    }
}

/// A `{a,b}` list, from `start` (its `{`) to `end`: the items split at
/// unescaped commas, each a value as [`scalar`] reads it. Errors are a range
/// of `text` and why.
fn list(text: &str, spans: &Spans<'_>, flag: Flag, start: usize, end: usize) -> Result<Node, (usize, usize, &'static str)> {
    let Some(close) = find_unescaped(&text[start..end], '}').map(|i| start + i) else {
        return Err((start, end, "the list has no closing `}`"));
    };
    if close + 1 < end {
        return Err((close + 1, end, "unexpected text after the list; separate assignments with `,`"));
    }
    // Before the items: spans are counted on from the last one asked for.
    let span = spans.at(start, end);
    let inner = start + 1;
    let items = if close == inner {
        Vec::new()
    } else {
        split_unescaped(&text[inner..close], ',')
            .into_iter()
            .map(|(s, e)| Node::new(scalar(flag, &unescape(&text[inner + s..inner + e])), spans.at(inner + s, inner + e)))
            .collect()
    };
    Ok(Node::new(Value::Seq(items), span))
}

/// The secrets of a parsed argument: each assigned value (a list's items
/// too) whose path names a secret, and the user-info of the URLs assigned.
/// The values of `--set-file` are paths: the files' contents are sources of
/// their own, whose secrets the pipeline records as it reads them.
fn secrets(text: &str, flag: Flag, assignments: &[Assignment]) -> FileSecrets {
    let mut secrets = FileSecrets::default();
    if flag == Flag::SetFile {
        return secrets;
    }
    for assignment in assignments {
        for node in assignment.scalars() {
            if let Value::Scalar(scalar) = &node.value {
                let keys = assignment.path.iter().filter_map(|(segment, _)| match segment {
                    Segment::Key(key) => Some(key.as_str()),
                    Segment::Index(_) => None,
                });
                secrets.assignment(text, keys, node.span.start as usize..node.span.end as usize, &scalar.text);
            }
        }
        if let Value::Seq(items) = &assignment.value.value {
            let words: Vec<_> = items
                .iter()
                .filter_map(|node| match &node.value {
                    Value::Scalar(scalar) => Some((node.span.start as usize..node.span.end as usize, scalar.text.as_str())),
                    _ => None,
                })
                .collect();
            secrets.list_items(text, &words);
        }
    }
    secrets
}

/// Spans into a one-line `--set` text. The column of each is counted on from
/// the last one asked for, not from the start of the text, so that a long
/// argument is parsed in linear time (a 40,000-segment path took over a
/// minute in a debug build).
struct Spans<'t> {
    text: &'t str,
    file: FileId,
    /// A byte offset and its column, counted so far.
    counted: Cell<(usize, u32)>,
}

impl<'t> Spans<'t> {
    fn new(text: &'t str, file: FileId) -> Self {
        Spans {
            text,
            file,
            counted: Cell::new((0, 1)),
        }
    }

    fn at(&self, start: usize, end: usize) -> Span {
        let (mut from, mut column) = self.counted.get();
        if start < from {
            (from, column) = (0, 1);
        }
        column += self.text[from..start].chars().count() as u32;
        self.counted.set((start, column));
        Span {
            file: self.file,
            start: start as u32,
            end: end as u32,
            line: 1,
            column,
        }
    }
}

enum PathError {
    /// Not a path: where, and why.
    Invalid(usize, usize, &'static str),
    /// Deeper than any values file: the first step too many.
    TooDeep(Span),
}

impl PathError {
    fn diagnostic(self, flag: Flag, spans: &Spans<'_>) -> Diagnostic {
        match self {
            PathError::Invalid(start, end, message) => flag.invalid(spans.at(start, end), message),
            PathError::TooDeep(span) => Diagnostic::new(
                Code::InputLimit,
                format!("the path has more than {MAX_DEPTH} keys and indexes; no values file is this deep"),
            )
            .at(span),
        }
    }
}

/// Whether a backslash in a path escapes the next character (`--set`,
/// `--set-json`) or is a character of its key (`--set-literal`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Escapes {
    Backslash,
    None,
}

fn parse_path(text: &str, spans: &Spans<'_>, start: usize, end: usize, escapes: Escapes) -> Result<Vec<(Segment, Span)>, PathError> {
    let mut segments = Vec::new();
    if start == end {
        return Err(PathError::Invalid(start, end, "the path before `=` is empty"));
    }
    let parts = match escapes {
        Escapes::Backslash => split_unescaped(&text[start..end], '.'),
        Escapes::None => split_plain(&text[start..end], '.'),
    };
    for (relative_start, relative_end) in parts {
        let (seg_start, seg_end) = (start + relative_start, start + relative_end);
        let segment = &text[seg_start..seg_end];
        let (name, mut rest, mut offset) = match segment.find('[') {
            Some(i) => (&segment[..i], &segment[i..], seg_start + i),
            None => (segment, "", seg_end),
        };
        if name.is_empty() && segments.is_empty() || segment.is_empty() {
            return Err(PathError::Invalid(
                seg_start,
                seg_end.max(seg_start + 1).min(text.len()),
                "empty key in the path",
            ));
        }
        if !name.is_empty() {
            let key = match escapes {
                Escapes::Backslash => unescape(name),
                Escapes::None => name.to_owned(),
            };
            segments.push((Segment::Key(key), spans.at(seg_start, seg_start + name.len())));
        }
        while !rest.is_empty() {
            let close = rest
                .find(']')
                .ok_or(PathError::Invalid(offset, seg_end, "a `[` has no closing `]`"))?;
            let index = rest[1..close]
                .parse::<usize>()
                .map_err(|_| PathError::Invalid(offset, offset + close + 1, "not a list index; use a number such as `[0]`"))?;
            segments.push((Segment::Index(index), spans.at(offset, offset + close + 1)));
            rest = &rest[close + 1..];
            offset += close + 1;
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(PathError::Invalid(offset, seg_end, "unexpected text after a list index"));
            }
        }
        // The tree `--set` builds is as deep as its path; every later stage
        // recurses into it.
        if let Some((_, span)) = segments.get(MAX_DEPTH) {
            return Err(PathError::TooDeep(*span));
        }
    }
    Ok(segments)
}

/// More than [`MAX_ASSIGNMENTS`] assignments, counted up to the argument `file`.
pub(crate) fn too_many(sources: &Sources, file: FileId) -> Diagnostic {
    let text = &sources.get(file).text;
    Diagnostic::new(
        Code::InputLimit,
        format!(
            "more than {MAX_ASSIGNMENTS} assignments of `--set`, `--set-string`, `--set-file`, `--set-json` and `--set-literal`; put this many values in a values file"
        ),
    )
    .at(Span {
        file,
        start: 0,
        end: text.len() as u32,
        line: 1,
        column: 1,
    })
}

/// Applies assignments to the merged tree, creating maps on the way as helm
/// does. A `--set-json` object given whole (no path) is merged as a values
/// file is (helm `MergeValues` calls `loader.MergeMaps` on it).
pub(crate) fn apply(root: &mut Node, assignment: Assignment, flag: Flag, diagnostics: &mut Vec<Diagnostic>) {
    if assignment.path.is_empty() {
        crate::merge::overlay(root, assignment.value, diagnostics);
        return;
    }
    let mut node = root;
    let mut path = Path::root();
    for (segment, segment_span) in assignment.path {
        // A new step starts as null and becomes a map or a list as the next step needs.
        let placeholder = |span| Node::new(Value::Null, span);
        match segment {
            Segment::Key(key) => {
                path = path.key(&key);
                if let Value::Null = node.value {
                    node.value = Value::Map(Vec::new());
                }
                if !matches!(node.value, Value::Map(_)) {
                    diagnostics.push(conflict(flag, &path, node, segment_span, "a map"));
                    return;
                }
                let Value::Map(entries) = &mut node.value else {
                    return;
                };
                let position = match entries.iter().position(|e| e.key == key) {
                    Some(p) => p,
                    None => {
                        entries.push(Entry {
                            key,
                            key_span: segment_span,
                            value: placeholder(segment_span),
                        });
                        entries.len() - 1
                    }
                };
                entries[position].key_span = segment_span;
                node = &mut entries[position].value;
            }
            Segment::Index(index) => {
                path = path.index(index);
                if let Value::Null = node.value {
                    node.value = Value::Seq(Vec::new());
                }
                if !matches!(node.value, Value::Seq(_)) {
                    diagnostics.push(conflict(flag, &path, node, segment_span, "a list"));
                    return;
                }
                let Value::Seq(items) = &mut node.value else {
                    return;
                };
                if index > items.len() {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::InvalidSet,
                            format!("`{path}` is past the end of a list of {} items", items.len()),
                        )
                        .at(segment_span)
                        .help(format!("use an index from 0 to {}", items.len())),
                    );
                    return;
                }
                if index == items.len() {
                    items.push(placeholder(segment_span));
                }
                node = &mut items[index];
            }
        }
    }
    let is_map = |n: &Node| matches!(n.value, Value::Map(_));
    // A map replaces a map whole, as helm's `--set-json key={…}` does.
    if is_map(node) && !matches!(assignment.value.value, Value::Null | Value::Map(_)) {
        let wanted = if matches!(assignment.value.value, Value::Seq(_)) {
            "a list"
        } else {
            "a scalar"
        };
        diagnostics.push(conflict(flag, &path, node, assignment.value.span, wanted));
        return;
    }
    *node = assignment.value;
}

fn conflict(flag: Flag, path: &Path, existing: &Node, span: Span, wanted: &str) -> Diagnostic {
    Diagnostic::new(
        Code::MergeConflict,
        format!(
            "`{}` treats `{path}` as {wanted}, but the values make it {}",
            flag.name(),
            existing.kind()
        ),
    )
    .at(span)
    .related(existing.span, "set here")
}

/// Byte ranges of the assignments of an argument: the parts between
/// unescaped commas, except commas inside a `{…}` list that starts a value
/// (right after the first `=`), which separate the list's items.
fn split_assignments(text: &str) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    let mut seen_eq = false;
    let mut value_starts = false;
    let mut in_list = false;
    for (i, c) in text.char_indices() {
        let at_value_start = std::mem::take(&mut value_starts);
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '=' if !seen_eq => (seen_eq, value_starts) = (true, true),
            '{' if at_value_start => in_list = true,
            '}' if in_list => in_list = false,
            ',' if !in_list => {
                parts.push((start, i));
                start = i + 1;
                seen_eq = false;
            }
            _ => {}
        }
    }
    parts.push((start, text.len()));
    parts
}

/// Byte ranges of the parts of `text` between `separator`s.
fn split_plain(text: &str, separator: char) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, _) in text.match_indices(separator) {
        parts.push((start, i));
        start = i + separator.len_utf8();
    }
    parts.push((start, text.len()));
    parts
}

/// Byte ranges of the parts of `text` between unescaped `separator`s.
fn split_unescaped(text: &str, separator: char) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == separator => {
                parts.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push((start, text.len()));
    parts
}

fn find_unescaped(text: &str, wanted: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == wanted => return Some(i),
            _ => {}
        }
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(argument: &str, flag: Flag) -> Result<Vec<Assignment>, Diagnostic> {
        let mut sources = Sources::default();
        let file = sources.add_set_argument(flag, argument);
        parse(&sources, file, flag)
    }

    fn paths(argument: &str) -> Vec<Vec<Segment>> {
        parsed(argument, Flag::Set)
            .unwrap()
            .into_iter()
            .map(|a| a.path.into_iter().map(|(s, _)| s).collect())
            .collect()
    }

    /// The values assigned, as `(text, plain)` per scalar, `None` for null;
    /// a list's items in brackets.
    fn values(argument: &str, flag: Flag) -> Vec<String> {
        fn shown(node: &Node) -> String {
            match &node.value {
                Value::Null => "null".to_owned(),
                Value::Scalar(s) if s.plain => s.text.clone(),
                Value::Scalar(s) => format!("{:?}", s.text),
                Value::Seq(items) => format!("[{}]", items.iter().map(shown).collect::<Vec<_>>().join(", ")),
                Value::Map(entries) => format!(
                    "{{{}}}",
                    entries
                        .iter()
                        .map(|e| format!("{}: {}", e.key, shown(&e.value)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
        parsed(argument, flag).unwrap().iter().map(|a| shown(&a.value)).collect()
    }

    fn paths_of(argument: &str, flag: Flag) -> Vec<Vec<Segment>> {
        parsed(argument, flag)
            .unwrap()
            .into_iter()
            .map(|a| a.path.into_iter().map(|(s, _)| s).collect())
            .collect()
    }

    /// JSON values as Go's `encoding/json` reads them into helm's values
    /// (`helm template --set-json` printed with `toJson`): an empty value is
    /// null, blanks around a value are skipped, a trailing comma is fine.
    #[test]
    fn set_json_reads_each_json_value() {
        assert_eq!(
            values(
                r#"a=1,b="x,y",c=null,d=,e=[1,"2",true],f={"g":false,"h":{}}, g = [ ] ,"#,
                Flag::SetJson
            ),
            ["1", r#""x,y""#, "null", "null", r#"[1, "2", true]"#, "{g: false, h: {}}", "[]"]
        );
        // Numbers are 64-bit floats to helm: `3.0`, `1e2` and `-0` are the
        // integers they hold; others are the float, written shortest.
        assert_eq!(
            values("a=3.0,b=1e2,c=-0,d=1.50,e=12345678901234567890,f=-2.5E-3,g=1e300", Flag::SetJson),
            ["3", "100", "0", "1.5", "12345678901234567000", "-0.0025", "1e+300"]
        );
        // Escapes and a surrogate pair.
        assert_eq!(
            values(r#"a="\u00e9\n\"\\\/\ud83d\ude00x\u0041""#, Flag::SetJson),
            [format!("{:?}", "é\n\"\\/😀xA")]
        );
        // Of a key given twice, the last counts, as in helm.
        assert_eq!(values(r#"a={"b":1,"b":2}"#, Flag::SetJson), ["{b: 2}"]);
        // Paths as `--set` reads them.
        let key = |k: &str| Segment::Key(k.to_owned());
        assert_eq!(
            paths_of(r#"a\.b[1].c={"d":1},e=2"#, Flag::SetJson),
            [vec![key("a.b"), Segment::Index(1), key("c")], vec![key("e")]]
        );
        // An object given whole has no path.
        let whole = parsed(r#"  {"a":{"b":[1]},"c":null}  "#, Flag::SetJson).unwrap();
        assert!(whole[0].path.is_empty());
        assert_eq!(values(r#"{"a":{"b":[1]},"c":null}"#, Flag::SetJson), ["{a: {b: [1]}, c: null}"]);
    }

    #[test]
    fn set_json_refuses_what_is_no_json() {
        for bad in [
            "a=tru",
            "a=True",
            "a='x'",
            "a=x",
            r#"a="x"y"#,
            "a=1 b=2",
            "a=[1,",
            "a=[1,]",
            r#"a={"x":1,}"#,
            "a={x:1}",
            r#"a="x"#,
            r#"a="\x""#,
            r#"a="\u12""#,
            "a=\"tab\there\"",
            "a=01",
            "a=1.",
            "a=.5",
            "a=1e",
            "a=-",
            "a=1e400",
            "a=}",
            r#"{"a":1} x"#,
            r#"{"a":1},b=2"#,
            r#"{"a":"#,
            "",
            "a",
            "a,b=1",
            "=1",
            // A lone surrogate, which Go reads as U+FFFD.
            r#"a="\ud800x""#,
            r#"a="\udc00""#,
        ] {
            assert!(parsed(bad, Flag::SetJson).is_err(), "{bad}");
        }
    }

    #[test]
    fn set_json_nests_no_deeper_than_a_values_file() {
        let nested = |levels: usize| format!("a={}{}", "[".repeat(levels), "]".repeat(levels));
        assert!(parsed(&nested(MAX_DEPTH - 1), Flag::SetJson).is_ok());
        let too_deep = parsed(&nested(MAX_DEPTH), Flag::SetJson).unwrap_err();
        assert_eq!(too_deep.code, Code::InputLimit);
        // Linear, and no stack overflow, whatever the depth written.
        assert!(parsed(&nested(1_000_000), Flag::SetJson).is_err());
    }

    /// helm's `literal_parser.go`: the path up to the first `=`, read without
    /// escapes, and everything after it the string value.
    #[test]
    fn set_literal_takes_the_value_as_written() {
        assert_eq!(values(r"a=x,y={z}\n=w", Flag::SetLiteral), [r#""x,y={z}\\n=w""#]);
        assert_eq!(values("a=null", Flag::SetLiteral), [r#""null""#]);
        assert_eq!(values("a=", Flag::SetLiteral), [r#""""#]);
        let key = |k: &str| Segment::Key(k.to_owned());
        assert_eq!(
            paths_of(r"a\.b[0].c=1", Flag::SetLiteral),
            [vec![key(r"a\"), key("b"), Segment::Index(0), key("c")]]
        );
        assert_eq!(paths_of("k,j=1", Flag::SetLiteral), [vec![key("k,j")]]);
        for bad in ["a", "=1", "a..b=1", "a[x]=1", "a[0]b=1"] {
            assert!(parsed(bad, Flag::SetLiteral).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_dotted_indexed_escaped_and_joined_assignments() {
        let key = |k: &str| Segment::Key(k.to_owned());
        assert_eq!(
            paths("a.b[0].c=1,d.e=2"),
            vec![vec![key("a"), key("b"), Segment::Index(0), key("c")], vec![key("d"), key("e")]]
        );
        assert_eq!(
            paths(r"ingress.annotations.cert-manager\.io/cluster-issuer=x"),
            vec![vec![key("ingress"), key("annotations"), key("cert-manager.io/cluster-issuer")]]
        );
    }

    #[test]
    fn rejects_malformed_paths_and_lists() {
        for bad in [
            "novalue",
            "a..b=1",
            "a[x]=1",
            "a[0=1",
            "=1",
            "a[0]b=1",
            "a=1,,b=2",
            "a={x,y",
            "a={x}y",
            "a={x},{y}",
        ] {
            assert!(parsed(bad, Flag::Set).is_err(), "{bad}");
        }
    }

    #[test]
    fn braces_make_lists_as_in_helm() {
        assert_eq!(values("a={x,y},b=1", Flag::Set), [r#"["x", "y"]"#, "1"]);
        assert_eq!(values("a={1021,902}", Flag::Set), ["[1021, 902]"]);
        assert_eq!(values("a[0].b={x}", Flag::Set), [r#"["x"]"#]);
        assert_eq!(values("a={}", Flag::Set), ["[]"]);
        assert_eq!(values("a={,}", Flag::Set), [r#"["", ""]"#]);
        // Escapes: a literal comma or brace in an item, braces that are no list.
        assert_eq!(values(r"a={x\,y,z\}}", Flag::Set), [r#"["x,y", "z}"]"#]);
        assert_eq!(values(r"a=\{x\,y\}", Flag::Set), [r#""{x,y}""#]);
        assert_eq!(values("a=x{y},b={z}", Flag::Set), [r#""x{y}""#, r#"["z"]"#]);
        // Items are typed like single values.
        assert_eq!(values(r#"a={null,"3",3}"#, Flag::Set), [r#"[null, "\"3\"", 3]"#]);
        // A trailing comma is accepted, as helm does.
        assert_eq!(values("a=1,b=2,", Flag::Set), ["1", "2"]);
    }

    #[test]
    fn map_entries_keep_lists_and_take_the_rest_as_written() {
        assert_eq!(values(&map_entry("a", "{x,y}"), Flag::Set), [r#"["x", "y"]"#]);
        assert_eq!(values(&map_entry("a", r"x,y\z"), Flag::Set), [r#""x,y\\z""#]);
        assert_eq!(values(&map_entry("a", "{x"), Flag::Set), [r#""{x""#]);
        // Where Argo CD's Helm sources drop the backslashes (README, Argo CD).
        assert_eq!(values(&map_entry("a", r"a\,b"), Flag::Set), [r#""a\\,b""#]);
        assert_eq!(values(&map_entry("a", r"C:\dir"), Flag::Set), [r#""C:\\dir""#]);
    }

    #[test]
    fn set_string_keeps_every_value_as_written() {
        assert_eq!(
            values(r#"a=null,b=3,c="3",d=,e={true,~}"#, Flag::SetString),
            [r#""null""#, r#""3""#, r#""\"3\"""#, r#""""#, r#"["true", "~"]"#]
        );
        assert_eq!(values(r#"a=null,b=3,c="3""#, Flag::Set), ["null", "3", r#""\"3\"""#]);
    }

    /// `--set` types what helm's `--set` types: booleans (any case), null
    /// and integers; `16.10`, `on`, `~`, `1e3`, `010` and quoted text stay
    /// the strings written, as `helm template --set` shows them (`kindOf`
    /// gives `string`, and `"x"` keeps its quotes).
    #[test]
    fn set_types_values_as_helm_does() {
        assert_eq!(
            values("a=TRUE,b=False,c=NULL,d=-5,e=12,f=+5,g=0", Flag::Set),
            ["true", "false", "null", "-5", "12", "5", "0"]
        );
        assert_eq!(
            values("a=16.10,b=on,c=yes,d=~,e=1e3,f=0x1F,g=12:30,h=010,i=00", Flag::Set),
            [
                r#""16.10""#,
                r#""on""#,
                r#""yes""#,
                r#""~""#,
                r#""1e3""#,
                r#""0x1F""#,
                r#""12:30""#,
                r#""010""#,
                r#""00""#
            ]
        );
        // Integers as helm holds them (int64): `helm template --set` prints
        // `+5` as 5, `-010` as -10 and `-0` as 0.
        assert_eq!(
            values("a=+5,b=-010,c=-0,d=+010,e=-9223372036854775808", Flag::Set),
            ["5", "-10", "0", "10", "-9223372036854775808"]
        );
        assert_eq!(
            values(r#"a="x",b='y',c=99999999999999999999"#, Flag::Set),
            [r#""\"x\"""#, r#""'y'""#, r#""99999999999999999999""#]
        );
        assert_eq!(values("a={16.10,on,3}", Flag::Set), [r#"["16.10", "on", 3]"#]);
    }
}
