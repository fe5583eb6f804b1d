//! `--set-json` arguments, as helm reads them: `key.path=<JSON>`
//! assignments joined by commas (helm `pkg/strvals/parser.go` `ParseJSON`),
//! or, when the argument starts with `{`, one JSON object merged into the
//! values as a values file is (`pkg/cli/values/options.go` `MergeValues`).
//!
//! Paths are read as `--set` reads them (dots, `[N]`, backslash escapes).
//! After the `=` comes one JSON value, read by `serde_json` as helm's
//! `json.Decoder` reads it (one value, then blanks and a `,`); an empty
//! value is null, and of a key given twice the last counts, as in helm.
//! Every node of a JSON value is placed at the whole value: a typed check
//! underlines it, and a secret anywhere in it masks all of it. Where this
//! differs from helm: a lone surrogate (`"\ud800"`) is refused (Go reads
//! U+FFFD), and text after a value other than `,` is refused (helm reads
//! `a=1 b=2` as two assignments, and `a="x"y` as a key `y` without a value).

use serde_json::Value as Json;

use super::{Assignment, Escapes, Flag, Spans, parse_path};
use crate::diagnostic::{Code, Diagnostic};
use crate::node::{Entry, Node, Scalar, Segment, Value};
use crate::source::secrets::{self, FileSecrets, KeyMeaning};
use crate::source::{FileId, MAX_DEPTH, Sources, Span};

const FLAG: Flag = Flag::SetJson;

/// Parses one `--set-json` argument from a registered source, in time
/// linear in its length; records its secrets. As for `--set`, no message
/// quotes the argument.
pub(super) fn parse(sources: &Sources, file: FileId) -> Result<Vec<Assignment>, Diagnostic> {
    let text = &sources.get(file).text;
    let spans = Spans::new(text, file);
    let assignments = if text.trim_start().starts_with('{') {
        let json = serde_json::from_str(text).map_err(|error| refusal(&spans, text, 0, &error))?;
        vec![Assignment {
            path: Vec::new(),
            value: node(json, spans.at(0, text.len()), MAX_DEPTH)?,
        }]
    } else {
        assignments(text, &spans)?
    };
    sources.record_secrets(file, secrets_of(text, &assignments));
    Ok(assignments)
}

/// `key.path=<JSON>` assignments, joined by `,`; an empty value is null.
fn assignments(text: &str, spans: &Spans<'_>) -> Result<Vec<Assignment>, Diagnostic> {
    let mut assignments = Vec::new();
    let mut at = 0;
    loop {
        let eq = key_end(text, spans, at)?;
        let path = parse_path(text, spans, at, eq, Escapes::Backslash).map_err(|problem| problem.diagnostic(FLAG, spans))?;
        let start = after_blanks(text, eq + 1);
        let value = if text[start..].is_empty() || text[start..].starts_with(',') {
            at = start;
            Node::new(Value::Null, spans.at(eq + 1, start))
        } else {
            // One value, and where it ends, as Go's `json.Decoder` reads it.
            let mut values = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Json>();
            let json = match values.next() {
                Some(Ok(json)) => json,
                Some(Err(error)) => return Err(refusal(spans, text, start, &error)),
                None => unreachable!("the text after `=` has something other than blanks"),
            };
            at = start + values.byte_offset();
            node(json, spans.at(start, at), MAX_DEPTH.saturating_sub(path.len()))?
        };
        assignments.push(Assignment { path, value });
        at = after_blanks(text, at);
        match text[at..].chars().next() {
            None => break,
            Some(',') => {
                at += 1;
                // helm accepts a trailing comma (`a=1,b=2,`).
                if at == text.len() {
                    break;
                }
            }
            Some(_) => {
                return Err(FLAG.invalid(
                    spans.at(at, text.len()),
                    "unexpected text after the JSON value; separate assignments with `,`, and write a string in double quotes",
                ));
            }
        }
    }
    Ok(assignments)
}

/// Past the blanks from `at`, which helm skips around a value (`unicode.IsSpace`).
fn after_blanks(text: &str, at: usize) -> usize {
    text.len() - text[at..].trim_start().len()
}

/// The offset of the `=` that ends the path starting at `at`: the first one
/// not escaped, before any unescaped `,`.
fn key_end(text: &str, spans: &Spans<'_>, at: usize) -> Result<usize, Diagnostic> {
    let mut escaped = false;
    for (i, c) in text[at..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '=' => return Ok(at + i),
            ',' => return Err(FLAG.invalid(spans.at(at, at + i), "this assignment has no `=`")),
            _ => {}
        }
    }
    Err(FLAG.invalid(spans.at(at, text.len()), "this assignment has no `=`"))
}

/// `serde_json`'s refusal of the JSON that starts at `start` of `text`,
/// placed at the character where it stopped. Its messages quote nothing.
fn refusal(spans: &Spans<'_>, text: &str, start: usize, error: &serde_json::Error) -> Diagnostic {
    // `serde_json` counts lines, and bytes in a line up to and including
    // the one it stopped at.
    let json = &text[start..];
    let line_start = match error.line() {
        0 | 1 => 0,
        line => json.match_indices('\n').nth(line - 2).map_or(0, |(i, _)| i + 1),
    };
    let mut end = (start + line_start + error.column()).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let begin = text[..end].char_indices().next_back().map_or(end, |(i, _)| i.max(start));
    let span = spans.at(begin, end);
    let reason = error.to_string();
    let reason = reason
        .strip_suffix(&format!(" at line {} column {}", error.line(), error.column()))
        .unwrap_or(&reason);
    if reason == "recursion limit exceeded" {
        return too_deep(span);
    }
    let refused = FLAG.invalid(span, format!("invalid JSON: {reason}"));
    if reason.contains("hex escape") {
        // Go reads a lone surrogate as U+FFFD; serde_json refuses it.
        return refused.help(
            "a `\\u` escape takes four hex digits, and a surrogate (`\\ud800` to `\\udfff`) only in a pair (`\\ud83d\\ude00`): write the character itself, or the pair",
        );
    }
    refused
}

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InputLimit,
        format!("the JSON value, with its path, is nested more than {MAX_DEPTH} levels deep; no values file is this deep"),
    )
    .at(span)
}

/// The crate's node for a JSON value, each of its nodes at `span`, at most
/// `depth` lists and objects deep.
fn node(json: Json, span: Span, depth: usize) -> Result<Node, Diagnostic> {
    let plain = |text: String| Value::Scalar(Scalar { text, plain: true });
    let value = match json {
        Json::Null => Value::Null,
        Json::Bool(b) => plain(b.to_string()),
        Json::Number(n) => plain(number(&n)),
        Json::String(text) => Value::Scalar(Scalar { text, plain: false }),
        Json::Array(_) | Json::Object(_) if depth == 0 => return Err(too_deep(span)),
        Json::Array(items) => Value::Seq(
            items
                .into_iter()
                .map(|item| node(item, span, depth - 1))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| {
                    Ok(Entry {
                        key,
                        key_span: span,
                        value: node(value, span, depth - 1)?,
                    })
                })
                .collect::<Result<_, Diagnostic>>()?,
        ),
    };
    Ok(Node::new(value, span))
}

/// A number as helm holds it, a 64-bit float: an integral one written as a
/// float (`3.0`, `1e2`) is the integer it holds, exact below 2^53; an
/// integer from 2^53 on is the float it rounds to (`9007199254740993` is
/// 9007199254740992), written in full as helm's `toJson` writes it.
fn number(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(float) if n.is_f64() && float.fract() == 0.0 && float.abs() < 9_007_199_254_740_992.0 => (float as i64).to_string(),
        Some(float) if !n.is_f64() && float.abs() >= 9_007_199_254_740_992.0 => float.to_string(),
        _ => n.to_string(),
    }
}

/// The secrets of parsed `--set-json` assignments: each scalar under a key
/// that names a secret (its path's keys, then the object keys down to it),
/// as `--set` values are, and the items of each list read as a command's
/// words. An env var's `value` after a secret `name` in the same object is
/// secret too (the pipeline finds those across arguments). Its nodes do not
/// say where in the JSON each is written: a value with a secret anywhere in
/// it is masked whole, and the secret's decoded text wherever it appears.
fn secrets_of(text: &str, assignments: &[Assignment]) -> FileSecrets {
    let mut found = FileSecrets::default();
    for assignment in assignments {
        let mut keys: Vec<&str> = assignment
            .path
            .iter()
            .filter_map(|(segment, _)| match segment {
                Segment::Key(key) => Some(key.as_str()),
                Segment::Index(_) => None,
            })
            .collect();
        let mut in_value = FileSecrets::default();
        walk(text, &assignment.value, &mut keys, &mut in_value);
        let span = assignment.value.span;
        found.add_within(in_value, span.start as usize..span.end as usize);
    }
    found
}

fn walk<'a>(text: &str, node: &'a Node, keys: &mut Vec<&'a str>, found: &mut FileSecrets) {
    let range = node.span.start as usize..node.span.end as usize;
    match &node.value {
        Value::Null => {}
        Value::Scalar(scalar) => found.assignment(text, keys.iter().copied(), range, &scalar.text),
        Value::Seq(items) => {
            for item in items {
                walk(text, item, keys, found);
            }
            let words: Vec<_> = items
                .iter()
                .filter_map(|item| match &item.value {
                    Value::Scalar(scalar) => Some((range.clone(), scalar.text.as_str())),
                    _ => None,
                })
                .collect();
            found.list_items(text, &words);
        }
        Value::Map(entries) => {
            let secret_name = entries.iter().find_map(|entry| match &entry.value.value {
                Value::Scalar(name) if entry.key == "name" && secrets::key_meaning(&name.text) == KeyMeaning::Secret => {
                    Some(name.text.as_str())
                }
                _ => None,
            });
            for entry in entries {
                // `{"name": "DB_PASSWORD", "value": …}`: the value is read as
                // under a key `DB_PASSWORD`.
                let key = match secret_name {
                    Some(name) if entry.key == "value" => name,
                    _ => entry.key.as_str(),
                };
                keys.push(key);
                walk(text, &entry.value, keys, found);
                keys.pop();
            }
        }
    }
}
