//! `--set key.path=value` overrides, as helm users type them.
//!
//! Each argument is registered as a source of its own, so a bad value given
//! with `--set` is reported as `--set:1:27` with the argument underlined, just
//! like a bad value in a file. Paths are dotted (`worker.gunicorn.replicaCount`),
//! list items are indexed (`ingress.hosts[0].host`), `\.` and `\,` escape a
//! literal dot or comma, and several assignments may be joined with commas.
//! Values are YAML scalars: `3` is a number, `"3"` a string, `null` removes.

use std::cell::Cell;

use crate::diagnostic::{Code, Diagnostic};
use crate::node::{Entry, Node, Path, Scalar, Segment, Value};
use crate::source::secrets::FileSecrets;
use crate::source::{FileId, MAX_DEPTH, Sources, Span};

/// Assignments in one render, over all `--set` arguments. Each looks its
/// keys up in the maps on its path, so the cost of applying them grows with
/// their number times the size of those maps; no one types this many.
pub const MAX_ASSIGNMENTS: usize = 1_000;

/// One parsed assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub path: Vec<(Segment, Span)>,
    pub value: Node,
}

/// Parses one `--set` argument (which may hold several comma-separated
/// assignments) from a registered source, in time linear in its length.
pub fn parse(sources: &Sources, file: FileId) -> Result<Vec<Assignment>, Diagnostic> {
    let text = &sources.get(file).text;
    let spans = Spans::new(text, file);
    let invalid = |start: usize, end: usize, message: String| {
        Diagnostic::new(Code::InvalidSet, message)
            .at(spans.at(start, end))
            .help("write `--set key.path=value`, with `[N]` for list items, e.g. `--set ingress.hosts[0].host=erp.example.com`")
    };

    let mut assignments = Vec::new();
    for (start, end) in split_unescaped(text, ',') {
        let part = &text[start..end];
        let Some(eq) = find_unescaped(part, '=') else {
            return Err(invalid(start, end, format!("`{part}` has no `=`")));
        };
        let path = parse_path(text, &spans, start, start + eq).map_err(|problem| match problem {
            PathError::Invalid(s, e, message) => invalid(s, e, message),
            PathError::TooDeep(span) => Diagnostic::new(
                Code::InputLimit,
                format!("the path has more than {MAX_DEPTH} keys and indexes; no values file is this deep"),
            )
            .at(span),
        })?;
        let raw_value = unescape(&part[eq + 1..]);
        let value_span = spans.at(start + eq + 1, end);
        let value = match raw_value.as_str() {
            "null" | "~" => Value::Null,
            // helm sets an empty string for `key=`; an empty plain scalar would be null.
            "" => Value::Scalar(Scalar {
                text: String::new(),
                plain: false,
            }),
            quoted
                if quoted.len() >= 2
                    && (quoted.starts_with('"') && quoted.ends_with('"') || quoted.starts_with('\'') && quoted.ends_with('\'')) =>
            {
                Value::Scalar(Scalar {
                    text: quoted[1..quoted.len() - 1].to_owned(),
                    plain: false,
                })
            }
            plain => Value::Scalar(Scalar {
                text: plain.to_owned(),
                plain: true,
            }),
        };
        assignments.push(Assignment {
            path,
            value: Node::new(value, value_span),
        });
    }
    sources.record_secrets(file, secrets(text, &assignments));
    Ok(assignments)
}

/// The secrets of a parsed argument: each assigned value whose path names a
/// secret, and the user-info of the URLs assigned.
fn secrets(text: &str, assignments: &[Assignment]) -> FileSecrets {
    let mut secrets = FileSecrets::default();
    for assignment in assignments {
        if let Value::Scalar(scalar) = &assignment.value.value {
            let keys = assignment.path.iter().filter_map(|(segment, _)| match segment {
                Segment::Key(key) => Some(key.as_str()),
                Segment::Index(_) => None,
            });
            let span = assignment.value.span;
            secrets.assignment(text, keys, span.start as usize..span.end as usize, &scalar.text);
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
    Invalid(usize, usize, String),
    /// Deeper than any values file: the first step too many.
    TooDeep(Span),
}

fn parse_path(text: &str, spans: &Spans<'_>, start: usize, end: usize) -> Result<Vec<(Segment, Span)>, PathError> {
    let mut segments = Vec::new();
    if start == end {
        return Err(PathError::Invalid(start, end, "the path before `=` is empty".to_owned()));
    }
    for (relative_start, relative_end) in split_unescaped(&text[start..end], '.') {
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
                format!("empty key in path `{}`", &text[start..end]),
            ));
        }
        if !name.is_empty() {
            segments.push((Segment::Key(unescape(name)), spans.at(seg_start, seg_start + name.len())));
        }
        while !rest.is_empty() {
            let close = rest
                .find(']')
                .ok_or_else(|| PathError::Invalid(offset, seg_end, format!("`{rest}` has no closing `]`")))?;
            let index = rest[1..close].parse::<usize>().map_err(|_| {
                PathError::Invalid(
                    offset,
                    offset + close + 1,
                    format!("`{}` is not a list index; use a number such as `[0]`", &rest[..=close]),
                )
            })?;
            segments.push((Segment::Index(index), spans.at(offset, offset + close + 1)));
            rest = &rest[close + 1..];
            offset += close + 1;
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(PathError::Invalid(
                    offset,
                    seg_end,
                    format!("unexpected `{rest}` after a list index"),
                ));
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
pub fn too_many(sources: &Sources, file: FileId) -> Diagnostic {
    let text = &sources.get(file).text;
    Diagnostic::new(
        Code::InputLimit,
        format!("more than {MAX_ASSIGNMENTS} `--set` assignments; put this many values in a values file"),
    )
    .at(Span {
        file,
        start: 0,
        end: text.len() as u32,
        line: 1,
        column: 1,
    })
}

/// Applies assignments to the merged tree, creating maps on the way as helm does.
pub fn apply(root: &mut Node, assignment: Assignment, diagnostics: &mut Vec<Diagnostic>) {
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
                    diagnostics.push(conflict(&path, node, segment_span, "a map"));
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
                    diagnostics.push(conflict(&path, node, segment_span, "a list"));
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
    if is_map(node) && !matches!(assignment.value.value, Value::Null) {
        diagnostics.push(conflict(&path, node, assignment.value.span, "a scalar"));
        return;
    }
    *node = assignment.value;
}

fn conflict(path: &Path, existing: &Node, span: Span, wanted: &str) -> Diagnostic {
    Diagnostic::new(
        Code::MergeConflict,
        format!("`--set` treats `{path}` as {wanted}, but the values make it {}", existing.kind()),
    )
    .at(span)
    .related(existing.span, "set here")
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

    fn paths(argument: &str) -> Vec<Vec<Segment>> {
        let mut sources = Sources::default();
        let file = sources.add("--set", argument);
        parse(&sources, file)
            .unwrap()
            .into_iter()
            .map(|a| a.path.into_iter().map(|(s, _)| s).collect())
            .collect()
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
    fn rejects_malformed_paths() {
        for bad in ["novalue", "a..b=1", "a[x]=1", "a[0=1", "=1", "a[0]b=1"] {
            let mut sources = Sources::default();
            let file = sources.add("--set", bad);
            assert!(parse(&sources, file).is_err(), "{bad}");
        }
    }
}
