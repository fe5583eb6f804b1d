//! `--set-json` arguments, as helm reads them: `key.path=<JSON>`
//! assignments joined by commas (helm `pkg/strvals/parser.go` `ParseJSON`),
//! or, when the argument starts with `{`, one JSON object merged into the
//! values as a values file is (`pkg/cli/values/options.go` `MergeValues`).
//!
//! Paths are read as `--set` reads them (dots, `[N]`, backslash escapes).
//! After the `=` comes one JSON value, read as Go's `encoding/json` reads it
//! into helm's values: an empty value is null, a lone surrogate in a `\u`
//! escape is U+FFFD, a number must fit a 64-bit float. Each value keeps
//! where it is written, so a typed check reports it at `--set-json:1:COL`.
//! Where helm differs on purpose: a key given twice in one object is a
//! `duplicate-key` error, as in a values file (Go keeps the last silently),
//! and text after a value other than `,` is refused (helm reads `a=1 b=2` as
//! two assignments, and `a="x"y` as a key `y` without a value).

use super::{Assignment, Escapes, Flag, Spans, parse_path};
use crate::diagnostic::{Code, Diagnostic};
use crate::node::{Entry, KeyIndex, Node, Scalar, Segment, Value};
use crate::source::secrets::{self, FileSecrets, KeyMeaning};
use crate::source::{FileId, MAX_DEPTH, Sources};

const FLAG: Flag = Flag::SetJson;

/// Parses one `--set-json` argument from a registered source, in time
/// linear in its length; records its secrets. As for `--set`, no message
/// quotes the argument.
pub(super) fn parse(sources: &Sources, file: FileId) -> Result<Vec<Assignment>, Diagnostic> {
    let text = &sources.get(file).text;
    let spans = Spans::new(text, file);
    let mut reader = Reader {
        text,
        spans: &spans,
        at: 0,
        duplicates: Vec::new(),
    };
    let assignments = if text.trim_start().starts_with('{') {
        reader.skip_blanks();
        let value = reader.value(MAX_DEPTH)?;
        reader.skip_blanks();
        if reader.at < text.len() {
            return Err(reader.invalid(
                reader.at,
                text.len(),
                "unexpected text after the JSON object; give another object or assignment in a `--set-json` of its own",
            ));
        }
        vec![Assignment { path: Vec::new(), value }]
    } else {
        reader.assignments()?
    };
    sources.record_secrets(file, secrets_of(text, &assignments));
    match reader.duplicates.into_iter().next() {
        Some(duplicate) => Err(duplicate),
        None => Ok(assignments),
    }
}

struct Reader<'t, 's> {
    text: &'t str,
    spans: &'s Spans<'t>,
    /// The byte offset read up to.
    at: usize,
    /// A `duplicate-key` error per key given twice in one object.
    duplicates: Vec<Diagnostic>,
}

impl Reader<'_, '_> {
    fn invalid(&self, start: usize, end: usize, message: &str) -> Diagnostic {
        FLAG.invalid(self.spans.at(start, end), message)
    }

    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    /// Blanks around a value, which helm skips (`unicode.IsSpace`).
    fn skip_blanks(&mut self) {
        let rest = &self.text[self.at..];
        self.at += rest.len() - rest.trim_start().len();
    }

    /// JSON's whitespace, inside a value.
    fn skip_whitespace(&mut self) {
        let rest = &self.text[self.at..];
        self.at += rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len();
    }

    /// `key.path=<JSON>` assignments, joined by `,`; an empty value is null.
    fn assignments(&mut self) -> Result<Vec<Assignment>, Diagnostic> {
        let mut assignments = Vec::new();
        loop {
            let start = self.at;
            let eq = self.key_end()?;
            let path =
                parse_path(self.text, self.spans, start, eq, Escapes::Backslash).map_err(|problem| problem.diagnostic(FLAG, self.spans))?;
            self.at = eq + 1;
            self.skip_blanks();
            let value = match self.peek() {
                None | Some(',') => Node::new(Value::Null, self.spans.at(eq + 1, self.at)),
                Some(_) => self.value(MAX_DEPTH.saturating_sub(path.len()))?,
            };
            assignments.push(Assignment { path, value });
            self.skip_blanks();
            match self.peek() {
                None => break,
                Some(',') => {
                    self.at += 1;
                    // helm accepts a trailing comma (`a=1,b=2,`).
                    if self.at == self.text.len() {
                        break;
                    }
                }
                Some(_) => {
                    return Err(self.invalid(
                        self.at,
                        self.text.len(),
                        "unexpected text after the JSON value; separate assignments with `,`, and write a string in double quotes",
                    ));
                }
            }
        }
        Ok(assignments)
    }

    /// The offset of the `=` that ends the path starting here: the first
    /// one not escaped, before any unescaped `,`.
    fn key_end(&self) -> Result<usize, Diagnostic> {
        let mut escaped = false;
        for (i, c) in self.text[self.at..].char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '=' => return Ok(self.at + i),
                ',' => return Err(self.invalid(self.at, self.at + i, "this assignment has no `=`")),
                _ => {}
            }
        }
        Err(self.invalid(self.at, self.text.len(), "this assignment has no `=`"))
    }

    /// One JSON value, at most `depth` lists and objects deep.
    fn value(&mut self, depth: usize) -> Result<Node, Diagnostic> {
        let start = self.at;
        let mut span = self.spans.at(start, start);
        let value = match self.peek() {
            Some('{') => self.object(depth)?,
            Some('[') => self.array(depth)?,
            Some('"') => Value::Scalar(Scalar {
                text: self.string()?,
                plain: false,
            }),
            Some('-' | '0'..='9') => self.number()?,
            _ => self.word()?,
        };
        span.end = self.at as u32;
        Ok(Node::new(value, span))
    }

    /// `true`, `false` or `null`.
    fn word(&mut self) -> Result<Value, Diagnostic> {
        let rest = &self.text[self.at..];
        for (word, value) in [("true", Some(true)), ("false", Some(false)), ("null", None)] {
            if rest.starts_with(word) {
                self.at += word.len();
                return Ok(value.map_or(Value::Null, |_| {
                    Value::Scalar(Scalar {
                        text: word.to_owned(),
                        plain: true,
                    })
                }));
            }
        }
        if rest.is_empty() {
            return Err(self.invalid(self.at, self.at, "a JSON value is missing here"));
        }
        let end = rest
            .find(|c: char| matches!(c, ',' | ']' | '}' | ':') || c.is_whitespace())
            .map_or(self.text.len(), |i| self.at + i.max(rest.chars().next().map_or(1, char::len_utf8)));
        Err(self.invalid(
            self.at,
            end,
            "not a JSON value: write a string in double quotes, and `true`, `false` and `null` in lower case",
        ))
    }

    fn too_deep(&self) -> Diagnostic {
        Diagnostic::new(
            Code::InputLimit,
            format!("the JSON value, with its path, is nested more than {MAX_DEPTH} levels deep; no values file is this deep"),
        )
        .at(self.spans.at(self.at, self.at + 1))
    }

    /// The end of a list or object was wanted at the end of the argument, or
    /// `what` where something else is.
    fn expected(&self, what: &str) -> Diagnostic {
        if self.at == self.text.len() {
            self.invalid(self.at, self.at, &format!("the JSON ends early: {what} is missing"))
        } else {
            let end = self.at + self.peek().map_or(0, char::len_utf8);
            self.invalid(self.at, end, &format!("{what} is expected here"))
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, Diagnostic> {
        if depth == 0 {
            return Err(self.too_deep());
        }
        self.at += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(']') {
            self.at += 1;
            return Ok(Value::Seq(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth - 1)?);
            self.skip_whitespace();
            match self.peek() {
                Some(',') => self.at += 1,
                Some(']') => {
                    self.at += 1;
                    return Ok(Value::Seq(items));
                }
                _ => return Err(self.expected("`,` or the list's closing `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, Diagnostic> {
        if depth == 0 {
            return Err(self.too_deep());
        }
        self.at += 1;
        let mut entries: Vec<Entry> = Vec::new();
        let mut index = KeyIndex::default();
        self.skip_whitespace();
        if self.peek() == Some('}') {
            self.at += 1;
            return Ok(Value::Map(entries));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some('"') {
                return Err(self.expected("a key in double quotes"));
            }
            let mut key_span = self.spans.at(self.at, self.at);
            let key = self.string()?;
            key_span.end = self.at as u32;
            self.skip_whitespace();
            if self.peek() != Some(':') {
                return Err(self.expected("`:` after the key"));
            }
            self.at += 1;
            self.skip_whitespace();
            let value = self.value(depth - 1)?;
            match index.position(&entries, &key) {
                Some(first) => {
                    self.duplicates.push(
                        Diagnostic::new(Code::DuplicateKey, format!("duplicate key `{key}`"))
                            .at(key_span)
                            .related(entries[first].key_span, "first defined here")
                            .help("keys must be unique within a JSON object; helm keeps the last one silently, so delete the one you do not mean"),
                    );
                    // Kept, so that the secrets of both are recorded: the
                    // argument is refused, and its line shown.
                    entries.push(Entry { key, key_span, value });
                }
                None => entries.push(Entry { key, key_span, value }),
            }
            self.skip_whitespace();
            match self.peek() {
                Some(',') => self.at += 1,
                Some('}') => {
                    self.at += 1;
                    return Ok(Value::Map(entries));
                }
                _ => return Err(self.expected("`,` or the object's closing `}`")),
            }
        }
    }

    /// A string from its opening `"`, unescaped as Go's `encoding/json`
    /// unescapes it.
    fn string(&mut self) -> Result<String, Diagnostic> {
        let start = self.at;
        self.at += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.at..];
            let Some(stop) = rest.find(|c: char| c == '"' || c == '\\' || c < ' ') else {
                return Err(self.invalid(start, self.text.len(), "this JSON string has no closing `\"`"));
            };
            out.push_str(&rest[..stop]);
            self.at += stop;
            match self.text.as_bytes()[self.at] {
                b'"' => {
                    self.at += 1;
                    return Ok(out);
                }
                b'\\' => self.escape(&mut out)?,
                _ => {
                    return Err(self.invalid(
                        self.at,
                        self.at + 1,
                        "a control character in a JSON string must be written as an escape (`\\n`, `\\t`, `\\u0000`)",
                    ));
                }
            }
        }
    }

    /// The escape at the backslash here.
    fn escape(&mut self, out: &mut String) -> Result<(), Diagnostic> {
        let start = self.at;
        let Some(c) = self.text[start + 1..].chars().next() else {
            return Err(self.invalid(start, self.text.len(), "this JSON string has no closing `\"`"));
        };
        self.at = start + 1 + c.len_utf8();
        let unescaped = match c {
            '"' | '\\' | '/' => c,
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let unit = self.hex4(start)?;
                if (0xD800..0xDC00).contains(&unit)
                    && self.text[self.at..].starts_with("\\u")
                    && let Some(low) = hex4_at(self.text, self.at + 2).filter(|low| (0xDC00..0xE000).contains(low))
                {
                    self.at += 6;
                    char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)).unwrap_or(char::REPLACEMENT_CHARACTER)
                } else {
                    // A lone surrogate: Go writes U+FFFD for it.
                    char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER)
                }
            }
            _ => {
                return Err(self.invalid(
                    start,
                    self.at,
                    "not a JSON escape: write `\\\"`, `\\\\`, `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t` or `\\u` and four hex digits",
                ));
            }
        };
        out.push(unescaped);
        Ok(())
    }

    /// The four hex digits after the `\u` of the escape at `start`.
    fn hex4(&mut self, start: usize) -> Result<u32, Diagnostic> {
        let unit =
            hex4_at(self.text, self.at).ok_or_else(|| self.invalid(start, self.at, "`\\u` in a JSON string takes four hex digits"))?;
        self.at += 4;
        Ok(unit)
    }

    /// A number as JSON writes it. Helm holds it as a 64-bit float: one
    /// too large for that is refused, as helm refuses it, and an integral
    /// one written as a float (`3.0`, `1e2`) is the integer it holds.
    fn number(&mut self) -> Result<Value, Diagnostic> {
        let start = self.at;
        let bytes = self.text.as_bytes();
        let digits = |mut i: usize| {
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let mut end = start + usize::from(bytes[start] == b'-');
        end = match bytes.get(end) {
            Some(b'0') => end + 1,
            Some(b'1'..=b'9') => digits(end),
            _ => return Err(self.invalid(start, end + 1, "a JSON number needs a digit here")),
        };
        let mut integral = true;
        if bytes.get(end) == Some(&b'.') {
            integral = false;
            let fraction = digits(end + 1);
            if fraction == end + 1 {
                return Err(self.invalid(start, fraction, "a JSON number needs a digit after its `.`"));
            }
            end = fraction;
        }
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            integral = false;
            let sign = end + 1 + usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
            let exponent = digits(sign);
            if exponent == sign {
                return Err(self.invalid(start, exponent, "a JSON number needs a digit in its exponent"));
            }
            end = exponent;
        }
        self.at = end;
        let written = &self.text[start..end];
        let number = written.parse::<f64>().ok().filter(|n| n.is_finite()).ok_or_else(|| {
            self.invalid(
                start,
                end,
                "this number is too large: helm holds a JSON number as a 64-bit float, at most about 1.8e308",
            )
        })?;
        // Integers up to 2^53 are exact in a float.
        let text = if !integral && number.fract() == 0.0 && number.abs() < 9_007_199_254_740_992.0 {
            (number as i64).to_string()
        } else {
            written.to_owned()
        };
        Ok(Value::Scalar(Scalar { text, plain: true }))
    }
}

fn hex4_at(text: &str, at: usize) -> Option<u32> {
    let digits = text.get(at..at + 4)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

/// The secrets of parsed `--set-json` assignments: each scalar under a key
/// that names a secret (its path's keys, then the object keys down to it),
/// as `--set` values are, and the items of each list read as a command's
/// words. An env var's `value` after a secret `name` in the same object is
/// secret too (the pipeline finds those across arguments, but only in
/// what applies; an argument refused for a duplicate key does not).
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
        walk(text, &assignment.value, &mut keys, &mut found);
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
                    Value::Scalar(scalar) => Some((item.span.start as usize..item.span.end as usize, scalar.text.as_str())),
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
