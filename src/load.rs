//! Reading one values text into a [`Node`] tree.
//!
//! serde-saphyr does the parsing, with its budgets against alias bombs and
//! deep nesting. We deserialize into [`Spanned`] raw nodes so each node keeps
//! its location, then recover from the source text what typing needs: whether
//! a scalar was quoted, and its spelling (`0o17`, `15.10`) before YAML
//! inferred a type for it. Duplicate keys are passed through to us so that all
//! of them are reported, each with the place of the first occurrence.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Budget, DuplicateKeyPolicy, Spanned};

use crate::diagnostic::{Code, Diagnostic};
use crate::node::{Entry, Node, Scalar, Value};
use crate::source::{FileId, Sources, Span};

/// The largest values text we read. Real values files are a few kilobytes; a
/// bench with a thousand sites is well under a megabyte.
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

/// Nesting deeper than this is no values file; it also bounds the recursion of
/// every later stage.
pub const MAX_DEPTH: usize = 128;

/// Nodes in one document: a bench with 1,000 sites has about 20,000.
pub const MAX_NODES: usize = 200_000;

/// Events replayed through aliases. Values files rarely use anchors at all;
/// this bounds what an alias bomb can cost (found by fuzzing: at the parser's
/// default of a million, one 400-byte file took 0.3 s to refuse).
pub const MAX_ALIAS_REPLAY: usize = 50_000;

/// Parses the source `file` into a tree. An empty document (an empty file, or
/// only comments) is an empty map, as in helm.
///
/// `Ok` carries the tree and problems that leave it usable (a duplicate key:
/// the first one is kept), so that typing can go on and report the rest of
/// the file; `Err` means there is no tree to check.
pub fn load(sources: &Sources, file: FileId) -> Result<(Node, Vec<Diagnostic>), Vec<Diagnostic>> {
    let text = &sources.get(file).text;
    if text.len() > MAX_INPUT_BYTES {
        return Err(vec![
            Diagnostic::new(
                Code::InputLimit,
                format!(
                    "the file is {} bytes; values files are limited to {MAX_INPUT_BYTES} bytes",
                    text.len()
                ),
            )
            .at(Span::file_start(file)),
        ]);
    }
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_documents = 1;
    budget.max_nodes = MAX_NODES;
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = MAX_ALIAS_REPLAY;
    let options = serde_saphyr::options! {
        alias_limits: alias_limits,
        strict_booleans: true,
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        budget: Some(budget),
        with_snippet: false,
    };
    let raw: Spanned<Raw> = match serde_saphyr::from_str_with_options(text, options) {
        Ok(raw) => raw,
        Err(error) => return Err(vec![syntax_error(&error, file, text)]),
    };
    let mut diagnostics = Vec::new();
    let root = convert(raw, file, text, &mut diagnostics);
    match root.value {
        Value::Null => Ok((Node::empty_map(Span::file_start(file)), diagnostics)),
        Value::Map(_) => Ok((root, diagnostics)),
        _ => {
            diagnostics.push(
                Diagnostic::new(
                    Code::YamlSyntax,
                    format!("a values file is a map of keys at the top level, but this one is {}", root.kind()),
                )
                .at(root.span),
            );
            Err(diagnostics)
        }
    }
}

fn syntax_error(error: &serde_saphyr::Error, file: FileId, text: &str) -> Diagnostic {
    let message = error.to_string();
    let message = message.lines().next().unwrap_or("invalid YAML").trim().to_owned();
    let lowered = message.to_ascii_lowercase();
    let code = if lowered.contains("budget") || lowered.contains("limit") || lowered.contains("depth") {
        Code::InputLimit
    } else {
        Code::YamlSyntax
    };
    let span = error
        .location()
        .map(|location| location_span(&location, file, text))
        .unwrap_or_else(|| Span::file_start(file));
    let help = if lowered.contains("document") {
        Some(
            "a values file holds one YAML document; remove the `---` separators and merge the documents, or pass them as separate `-f` files",
        )
    } else if lowered.contains("tab") {
        Some("YAML indentation must use spaces, not tabs")
    } else {
        None
    };
    let (code, message, help) = if message.contains("Documents {") {
        (
            Code::YamlSyntax,
            "the file holds more than one YAML document; a values file is one".to_owned(),
            Some("remove the `---` separator and merge the documents, or pass them as separate `-f` files"),
        )
    } else if code == Code::InputLimit {
        let what = message
            .trim_start_matches("budget breached:")
            .split(" at line")
            .next()
            .unwrap_or("")
            .trim()
            .to_owned();
        (
            code,
            format!("the document goes past the parser's limits ({what}); no values file is this large, deep or alias-expanded"),
            Some("is this an alias bomb? Values files rarely need anchors; write the values out, or split the file"),
        )
    } else {
        (code, message, help)
    };
    let diagnostic = Diagnostic::new(code, message).at(span);
    match help {
        Some(help) => diagnostic.help(help),
        None => diagnostic,
    }
}

fn location_span(location: &serde_saphyr::Location, file: FileId, text: &str) -> Span {
    let span = location.span();
    let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX).min(text.len() as u32);
    let start = span.byte_offset().map(clamp).unwrap_or(0);
    let end = span.byte_offset().zip(span.byte_len()).map(|(o, l)| clamp(o + l)).unwrap_or(start);
    Span {
        file,
        start,
        end: end.max(start),
        line: u32::try_from(location.line()).unwrap_or(u32::MAX).max(1),
        column: u32::try_from(location.column()).unwrap_or(u32::MAX).max(1),
    }
}

fn convert(raw: Spanned<Raw>, file: FileId, text: &str, diagnostics: &mut Vec<Diagnostic>) -> Node {
    let span = location_span(&raw.referenced, file, text);
    // For an alias, the spelling is at the anchored definition, not at `*name`.
    let defined = location_span(&raw.defined, file, text);
    let written = text.get(defined.start as usize..defined.end as usize).unwrap_or("");
    let value = match raw.value {
        Raw::Null => Value::Null,
        Raw::Str(s) => {
            let plain = written == s;
            Value::Scalar(Scalar { text: s, plain })
        }
        Raw::Other(fallback) => {
            // A bool or number YAML inferred: keep the spelling, the schema decides.
            let spelled = if written.is_empty() || written.starts_with(['*', '&', '!']) {
                fallback
            } else {
                written.to_owned()
            };
            Value::Scalar(Scalar {
                text: spelled,
                plain: true,
            })
        }
        Raw::Seq(items) => Value::Seq(items.into_iter().map(|item| convert(item, file, text, diagnostics)).collect()),
        Raw::Map(pairs) => {
            let mut entries: Vec<Entry> = Vec::with_capacity(pairs.len());
            for (key, value) in pairs {
                let key_node = convert(key, file, text, diagnostics);
                let key_span = key_node.span;
                let key = match key_node.value {
                    Value::Scalar(s) => s.text,
                    Value::Null => String::new(),
                    _ => {
                        diagnostics.push(Diagnostic::new(Code::YamlSyntax, "a key must be a plain word, not a list or map").at(key_span));
                        continue;
                    }
                };
                let value = convert(value, file, text, diagnostics);
                if let Some(first) = entries.iter().find(|e| e.key == key) {
                    diagnostics.push(
                        Diagnostic::new(Code::DuplicateKey, format!("duplicate key `{key}`"))
                            .at(key_span)
                            .related(first.key_span, "first defined here")
                            .help("YAML keys must be unique within a map; helm keeps the last one silently, so delete the one you do not mean"),
                    );
                    continue;
                }
                entries.push(Entry { key, key_span, value });
            }
            Value::Map(entries)
        }
    };
    Node::new(value, span)
}

/// A YAML node as serde-saphyr hands it to us, before we attach our spans.
enum Raw {
    Null,
    Str(String),
    /// A bool or number; the string is its value printed back, used only when
    /// the source spelling cannot be recovered.
    Other(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Raw, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Raw, D::Error> {
        deserializer.deserialize_any(self)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Other(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Other(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw::Other(v.to_string()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Raw, E> {
        Ok(Raw::Other(v.to_string()))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Raw, E> {
        Ok(Raw::Other(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Other(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Raw, E> {
        String::from_utf8(v.to_vec())
            .map(Raw::Str)
            .map_err(|_| E::custom("binary data is not valid here"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(key) = map.next_key()? {
            let value = map.next_value()?;
            pairs.push((key, value));
        }
        Ok(Raw::Map(pairs))
    }
}
