//! Objects as lines of YAML, each knowing the field it shows, and the
//! unified diff of two such listings.
//!
//! Keys are sorted, lists are written as kubectl writes them (items at
//! their key's indentation), scalars as the bundle writes them (quoted
//! wherever a YAML 1.1 reader would read another type, control characters
//! escaped, so nothing read from a file can drive the terminal). A string of
//! several printable lines is shown as a literal block, so that a changed
//! line of a script is one changed line of the diff. This is for reading,
//! not for `kubectl`: masked secrets make it no valid object anyway.

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use crate::diagnostic::Colour;
use crate::emit;
use crate::node::Path;
use crate::unicode::is_bidi_control;

/// One line of an object's listing, and the field it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub text: String,
    pub path: Path,
}

/// The lines of `value`, a mapping at the top level.
pub fn lines(value: &Value) -> Vec<Line> {
    let mut out = Vec::new();
    write(&mut out, value, 0, &Path::root());
    out
}

fn write(out: &mut Vec<Line>, value: &Value, indent: usize, path: &Path) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for key in keys {
                let at = path.key(key);
                let label = format!("{}{}:", " ".repeat(indent), scalar(&Value::String(key.clone())));
                match &map[key] {
                    Value::Object(child) if !child.is_empty() => {
                        out.push(Line {
                            text: label,
                            path: at.clone(),
                        });
                        write(out, &map[key], indent + 2, &at);
                    }
                    Value::Array(items) if !items.is_empty() => {
                        out.push(Line {
                            text: label,
                            path: at.clone(),
                        });
                        write(out, &map[key], indent, &at);
                    }
                    child => inline(out, label, child, indent + 2, &at),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let at = path.index(i);
                let dash = format!("{}-", " ".repeat(indent));
                match item {
                    Value::Object(map) if !map.is_empty() => {
                        // The item's first line goes on the dash.
                        let first = out.len();
                        write(out, item, indent + 2, &at);
                        out[first].text.replace_range(indent..indent + 1, "-");
                    }
                    Value::Array(inner) if !inner.is_empty() => {
                        out.push(Line {
                            text: dash,
                            path: at.clone(),
                        });
                        write(out, item, indent + 2, &at);
                    }
                    child => inline(out, dash, child, indent + 2, &at),
                }
            }
        }
        scalar_value => out.push(Line {
            text: format!("{}{}", " ".repeat(indent), scalar(scalar_value)),
            path: path.clone(),
        }),
    }
}

/// A value that fits after its label: a scalar, `{}` or `[]`, or a literal
/// block of several lines indented by `indent`.
fn inline(out: &mut Vec<Line>, label: String, value: &Value, indent: usize, path: &Path) {
    if let Value::String(text) = value
        && let Some((indicator, block)) = literal_block(text)
    {
        out.push(Line {
            text: format!("{label} {indicator}"),
            path: path.clone(),
        });
        for line in block {
            let text = if line.is_empty() {
                String::new()
            } else {
                format!("{}{line}", " ".repeat(indent))
            };
            out.push(Line { text, path: path.clone() });
        }
        return;
    }
    out.push(Line {
        text: format!("{label} {}", scalar(value)),
        path: path.clone(),
    });
}

/// A scalar (or an empty collection) as the bundle writes it, on one line.
fn scalar(value: &Value) -> String {
    match value {
        Value::Object(_) => "{}".to_owned(),
        Value::Array(_) => "[]".to_owned(),
        other => emit::to_yaml(other).trim_end_matches('\n').to_owned(),
    }
}

/// A string of several lines as a literal block: its indicator and lines.
/// Only text of printable characters qualifies, and not text that starts
/// with a blank, which a block could not show.
fn literal_block(text: &str) -> Option<(&'static str, Vec<&str>)> {
    let printable = text
        .chars()
        .all(|c| c == '\n' || c == '\t' || !(c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')));
    if !text.contains('\n') || !printable || text.starts_with([' ', '\t', '\n']) {
        return None;
    }
    let body = text.trim_end_matches('\n');
    let trailing = text.len() - body.len();
    let indicator = match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    };
    let mut block: Vec<&str> = body.split('\n').collect();
    if trailing > 1 {
        block.extend(std::iter::repeat_n("", trailing - 1));
    }
    Some((indicator, block))
}

/// Lines of context around each change.
const CONTEXT: usize = 3;

/// The unified diff of two listings: hunks headed `@@ -a,b +c,d @@ field`,
/// naming the field of the hunk's first change.
pub fn unified(before: &[Line], after: &[Line], colour: Colour) -> String {
    let old: Vec<&str> = before.iter().map(|l| l.text.as_str()).collect();
    let new: Vec<&str> = after.iter().map(|l| l.text.as_str()).collect();
    let diff = TextDiff::from_slices(&old, &new);
    let mut out = String::new();
    for group in diff.grouped_ops(CONTEXT) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (old_range, new_range) = (
            first.old_range().start..last.old_range().end,
            first.new_range().start..last.new_range().end,
        );
        let field = group
            .iter()
            .flat_map(|op| diff.iter_changes(op))
            .find_map(|change| match change.tag() {
                ChangeTag::Delete => change.old_index().map(|i| &before[i].path),
                ChangeTag::Insert => change.new_index().map(|i| &after[i].path),
                ChangeTag::Equal => None,
            })
            .map_or_else(String::new, |path| format!(" {path}"));
        let header = format!(
            "@@ -{} +{} @@{field}",
            range(old_range.start, old_range.len()),
            range(new_range.start, new_range.len())
        );
        out.push_str(&colour.paint("36", &header));
        out.push('\n');
        for op in &group {
            for change in diff.iter_changes(op) {
                let line = change.value();
                let (sign, style) = match change.tag() {
                    ChangeTag::Equal => (' ', None),
                    ChangeTag::Delete => ('-', Some("31")),
                    ChangeTag::Insert => ('+', Some("32")),
                };
                let text = format!("{sign}{line}");
                out.push_str(&style.map_or_else(|| text.clone(), |style| colour.paint(style, &text)));
                out.push('\n');
            }
        }
    }
    out
}

/// A hunk's range as `diff -u` writes it: the first line (from 1) and the
/// count, the count left out when it is 1.
fn range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}

/// Every line of a listing, each marked with `sign`.
pub fn whole(lines: &[Line], sign: char, colour: Colour) -> String {
    let style = if sign == '+' { "32" } else { "31" };
    let mut out = String::new();
    for line in lines {
        out.push_str(&colour.paint(style, &format!("{sign}{}", line.text)));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn texts(value: &Value) -> Vec<String> {
        lines(value).into_iter().map(|l| format!("{} <{}>", l.text, l.path)).collect()
    }

    #[test]
    fn listings_read_as_yaml_and_know_their_fields() {
        let value = json!({
            "kind": "Deployment",
            "spec": {"containers": [{"name": "web", "args": ["a", "on"]}], "volumes": [], "empty": {}},
            "data": {"script": "echo a\necho b\n", "cert-manager.io/issuer": "x"}
        });
        assert_eq!(
            texts(&value),
            [
                "data: <data>",
                "  cert-manager.io/issuer: x <data[\"cert-manager.io/issuer\"]>",
                "  script: | <data.script>",
                "    echo a <data.script>",
                "    echo b <data.script>",
                "kind: Deployment <kind>",
                "spec: <spec>",
                "  containers: <spec.containers>",
                "  - args: <spec.containers[0].args>",
                "    - a <spec.containers[0].args[0]>",
                "    - \"on\" <spec.containers[0].args[1]>",
                "    name: web <spec.containers[0].name>",
                "  empty: {} <spec.empty>",
                "  volumes: [] <spec.volumes>",
            ]
        );
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let listing = texts(&json!({"a": "red\u{1b}[31m\nnext"}));
        assert!(listing.iter().all(|l| !l.contains('\u{1b}')), "{listing:?}");
    }

    #[test]
    fn hunks_name_the_field_of_their_first_change() {
        let before = lines(&json!({"metadata": {"labels": {"a": "1", "chart": "x"}, "name": "web"}, "spec": {"replicas": 2}}));
        let after = lines(&json!({"metadata": {"labels": {"a": "1"}, "name": "web"}, "spec": {"replicas": 3}}));
        let diff = unified(&before, &after, Colour::Plain);
        assert_eq!(
            diff,
            "@@ -1,7 +1,6 @@ metadata.labels.chart\n metadata:\n   labels:\n     a: \"1\"\n-    chart: x\n   name: web\n spec:\n-  replicas: 2\n+  replicas: 3\n"
        );
    }
}
