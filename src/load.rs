//! Reading one values text into a [`Node`] tree.
//!
//! We walk granit-parser's events (the YAML parser serde-saphyr is built
//! on) ourselves instead of deserializing through serde: each event carries
//! its location and the scalar's style, which is all a [`Node`] needs, and
//! skipping serde's data model made parsing twice as fast. What serde-saphyr
//! did for us, we do here: budgets against alias bombs and deep nesting, one
//! document only, `<<` merge keys, and duplicate keys, all of which are
//! reported, each with the place of the first occurrence.
//!
//! The same parse finds the text's secrets: every event goes through the
//! walk of [`crate::source::secrets`] too, and what it finds is recorded with
//! the source, so that masking a diagnostic never parses the text again.

use std::borrow::Cow;
use std::collections::HashMap;

use granit_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Tag};

use crate::diagnostic::{Code, Diagnostic};
use crate::node::{Entry, KeyIndex, Node, Scalar, Value};
use crate::source::secrets::{self, YamlWalk};
use crate::source::{FileId, MAX_DEPTH, MAX_INPUT_BYTES, Sources, Span, yaml_parser};

/// Nodes in one document: a bench with 1,000 sites has about 20,000.
pub const MAX_NODES: usize = 200_000;

/// Nodes replayed through aliases. Values files rarely use anchors at all;
/// this bounds what an alias bomb can cost (found by fuzzing: at a million,
/// one 400-byte file took 0.3 s to refuse).
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
        return Err(vec![too_large(file)]);
    }
    let mut loader = Loader {
        file,
        text,
        parser: yaml_parser(text),
        anchors: HashMap::new(),
        open_items: Vec::new(),
        open_entries: Vec::new(),
        nodes: 0,
        replayed: 0,
        diagnostics: Vec::new(),
        secrets: YamlWalk::default(),
        parsed: Parsed::Going,
    };
    let document = loader.document();
    sources.record_secrets(file, loader.secrets());
    let root = match document {
        Ok(root) => root,
        Err(problem) => {
            loader.diagnostics.push(*problem);
            return Err(loader.diagnostics);
        }
    };
    let mut diagnostics = loader.diagnostics;
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

/// The input is larger than [`MAX_INPUT_BYTES`]; readers stop one byte past
/// the limit, so its real size is not known.
pub fn too_large(file: FileId) -> Diagnostic {
    Diagnostic::new(
        Code::InputLimit,
        format!("the input is larger than values files may be: they are limited to {MAX_INPUT_BYTES} bytes"),
    )
    .at(Span::file_start(file))
}

/// A problem that leaves no tree.
type Fatal = Box<Diagnostic>;

struct Loader<'t> {
    file: FileId,
    text: &'t str,
    parser: Parser<'t, granit_parser::StrInput<'t>>,
    /// Anchored nodes by the parser's anchor id, for aliases to copy.
    anchors: HashMap<usize, Node>,
    /// The items of the sequences and the entries of the mappings being
    /// read, innermost last. Each collection is gathered here and moved
    /// into a vector of its exact size when it ends, instead of growing a
    /// vector of its own step by step.
    open_items: Vec<Node>,
    open_entries: Vec<Entry>,
    nodes: usize,
    replayed: usize,
    /// Problems that leave the tree usable.
    diagnostics: Vec<Diagnostic>,
    /// Every event goes through it too.
    secrets: YamlWalk<'t>,
    parsed: Parsed,
}

/// How far the parse has come.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parsed {
    Going,
    Ended,
    Broken,
}

impl<'t> Loader<'t> {
    fn next(&mut self) -> Result<(Event<'t>, Span), Fatal> {
        match self.parser.next_event() {
            Some(Ok((event, span))) => {
                self.secrets.event(&event, secrets::event_range(self.text, &span));
                Ok((event, self.span(&span.start, &span.end)))
            }
            Some(Err(error)) => {
                self.parsed = Parsed::Broken;
                Err(Box::new(syntax_error(&error, self.file, self.text)))
            }
            None => {
                self.parsed = Parsed::Ended;
                Err(Box::new(
                    Diagnostic::new(Code::YamlSyntax, "the YAML ends unexpectedly").at(self.end_span()),
                ))
            }
        }
    }

    /// The text's secrets. A document refused before the parse ended (a
    /// limit, a second document) is walked on to the end first, so that
    /// every secret of the text is known whatever stopped the loader.
    fn secrets(&mut self) -> secrets::FileSecrets {
        while self.parsed == Parsed::Going {
            match self.parser.next_event() {
                Some(Ok((event, span))) => self.secrets.event(&event, secrets::event_range(self.text, &span)),
                Some(Err(_)) => self.parsed = Parsed::Broken,
                None => self.parsed = Parsed::Ended,
            }
        }
        std::mem::take(&mut self.secrets).finish(self.text, self.parsed == Parsed::Broken)
    }

    /// The single document of the stream (`Null` when there is none).
    fn document(&mut self) -> Result<Node, Fatal> {
        let mut root = None;
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentEnd => {}
                Event::StreamEnd => break,
                Event::DocumentStart(..) if root.is_some() => {
                    return Err(Box::new(
                        Diagnostic::new(Code::YamlSyntax, "the file holds more than one YAML document; a values file is one")
                            .at(span)
                            .help("remove the `---` separator and merge the documents, or pass them as separate `-f` files"),
                    ));
                }
                Event::DocumentStart(..) => {
                    let (event, span) = self.next()?;
                    root = Some(self.node(event, span, 0)?);
                }
                _ => {}
            }
        }
        Ok(root.unwrap_or_else(|| Node::new(Value::Null, Span::file_start(self.file))))
    }

    /// The node that `event` starts, with everything inside it.
    fn node(&mut self, event: Event<'t>, span: Span, depth: usize) -> Result<Node, Fatal> {
        self.nodes += 1;
        if self.nodes > MAX_NODES || depth > MAX_DEPTH {
            let what = if depth > MAX_DEPTH {
                format!("nesting deeper than {MAX_DEPTH}")
            } else {
                format!("more than {MAX_NODES} nodes")
            };
            return Err(Box::new(limit_error(&what, span)));
        }
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => (Node::new(scalar(text, style, tag.as_deref()), span), anchor),
            Event::SequenceStart(_, anchor, _) => {
                let first = self.open_items.len();
                loop {
                    let (event, item_span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    let item = self.node(event, item_span, depth + 1)?;
                    self.open_items.push(item);
                }
                let items = self.open_items.drain(first..).collect();
                (Node::new(Value::Seq(items), span), anchor)
            }
            Event::MappingStart(_, anchor, _) => (self.mapping(span, depth)?, anchor),
            Event::Alias(id) => return self.alias(id, span),
            other => {
                return Err(Box::new(
                    Diagnostic::new(Code::YamlSyntax, format!("unexpected YAML event {other:?}")).at(span),
                ));
            }
        };
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }

    /// A mapping's entries, with `<<` merges applied: keys written in the
    /// mapping win over merged ones, and earlier merged mappings over later.
    fn mapping(&mut self, span: Span, depth: usize) -> Result<Node, Fatal> {
        let first = self.open_entries.len();
        let mut index = KeyIndex::default();
        let mut merged: Vec<Entry> = Vec::new();
        let mut merged_index = KeyIndex::default();
        loop {
            let (event, key_span) = self.next()?;
            if matches!(event, Event::MappingEnd) {
                break;
            }
            let is_merge = matches!(&event, Event::Scalar(text, ScalarStyle::Plain, _, None) if text == "<<");
            let key_node = self.node(event, key_span, depth + 1)?;
            let (event, value_span) = self.next()?;
            let value = self.node(event, value_span, depth + 1)?;
            if is_merge {
                self.merge(value, &mut merged, &mut merged_index);
                continue;
            }
            let key = match key_node.value {
                Value::Scalar(s) => s.text,
                Value::Null => String::new(),
                _ => {
                    self.diagnostics
                        .push(Diagnostic::new(Code::YamlSyntax, "a key must be a plain word, not a list or map").at(key_span));
                    continue;
                }
            };
            let entries = &self.open_entries[first..];
            if let Some(found) = index.position(entries, &key) {
                self.diagnostics.push(
                    Diagnostic::new(Code::DuplicateKey, format!("duplicate key `{key}`"))
                        .at(key_span)
                        .related(entries[found].key_span, "first defined here")
                        .help("YAML keys must be unique within a map; helm keeps the last one silently, so delete the one you do not mean"),
                );
                continue;
            }
            self.open_entries.push(Entry { key, key_span, value });
        }
        for entry in merged {
            if index.position(&self.open_entries[first..], &entry.key).is_none() {
                self.open_entries.push(entry);
            }
        }
        let entries = self.open_entries.drain(first..).collect();
        Ok(Node::new(Value::Map(entries), span))
    }

    /// Adds the entries of a `<<` value (a mapping, or a list of them) that
    /// are not merged already.
    fn merge(&mut self, value: Node, merged: &mut Vec<Entry>, index: &mut KeyIndex) {
        let maps = match value.value {
            Value::Map(entries) => vec![entries],
            Value::Seq(items) if items.iter().all(|item| matches!(item.value, Value::Map(_))) => items
                .into_iter()
                .map(|item| match item.value {
                    Value::Map(entries) => entries,
                    _ => unreachable!("checked above"),
                })
                .collect(),
            _ => {
                self.diagnostics
                    .push(Diagnostic::new(Code::YamlSyntax, "a `<<` merge key takes a map or a list of maps").at(value.span));
                return;
            }
        };
        for entry in maps.into_iter().flatten() {
            if index.position(merged, &entry.key).is_none() {
                merged.push(entry);
            }
        }
    }

    /// A copy of the anchored node, located at the alias.
    fn alias(&mut self, id: usize, span: Span) -> Result<Node, Fatal> {
        let Some(anchored) = self.anchors.get(&id) else {
            return Err(Box::new(Diagnostic::new(Code::YamlSyntax, "an alias refers to no anchor").at(span)));
        };
        self.replayed += anchored.count();
        if self.replayed > MAX_ALIAS_REPLAY {
            return Err(Box::new(limit_error(
                &format!("more than {MAX_ALIAS_REPLAY} nodes replayed through aliases"),
                span,
            )));
        }
        let mut node = anchored.clone();
        node.span = span;
        Ok(node)
    }

    fn span(&self, start: &Marker, end: &Marker) -> Span {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).min(self.text.len() as u32);
        let start_byte = clamp(start.byte_offset().unwrap_or(0));
        let end_byte = clamp(end.byte_offset().unwrap_or(0)).max(start_byte);
        Span {
            file: self.file,
            start: start_byte,
            end: end_byte,
            line: u32::try_from(start.line()).unwrap_or(u32::MAX).max(1),
            column: u32::try_from(start.col() + 1).unwrap_or(u32::MAX),
        }
    }

    fn end_span(&self) -> Span {
        let mut span = Span::file_start(self.file);
        span.start = self.text.len() as u32;
        span.end = span.start;
        span
    }
}

/// A scalar's value: null when YAML says so, otherwise its text, marked
/// plain when its type is left to the schema.
fn scalar(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    let plain = style == ScalarStyle::Plain;
    if let Some(tag) = tag {
        if tag.is_yaml_core_schema_tag("null") {
            return Value::Null;
        }
        // `!!str` and the non-specific `!` make the scalar a string; `!!int 5`
        // leaves the type to the schema. Other tags mean nothing to a values
        // file and are ignored.
        let string = tag.is_yaml_core_schema_tag("str") || (tag.handle().is_empty() && tag.suffix() == "!");
        if string || tag.is_yaml_core_schema() {
            return Value::Scalar(Scalar {
                text: text.into_owned(),
                plain: !string,
            });
        }
    }
    if plain && matches!(&*text, "" | "~" | "null" | "Null" | "NULL") {
        return Value::Null;
    }
    Value::Scalar(Scalar {
        text: text.into_owned(),
        plain,
    })
}

fn limit_error(what: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InputLimit,
        format!("the document goes past the parser's limits ({what}); no values file is this large, deep or alias-expanded"),
    )
    .at(span)
    .help("is this an alias bomb? Values files rarely need anchors; write the values out, or split the file")
}

fn syntax_error(error: &ScanError, file: FileId, text: &str) -> Diagnostic {
    let message = error.info();
    let lowered = message.to_ascii_lowercase();
    let mark = error.marker();
    let offset = mark.byte_offset().unwrap_or(0).min(text.len());
    let mut span = Span {
        file,
        start: offset as u32,
        end: offset as u32,
        line: u32::try_from(mark.line()).unwrap_or(u32::MAX).max(1),
        column: u32::try_from(mark.col() + 1).unwrap_or(u32::MAX),
    };
    // The scanner reports a tab after it, or where the token it was reading
    // began, often the line before; the tab is what to fix.
    let marked_line = text.get(..offset).and_then(|before| before.rfind('\n')).map_or(0, |i| i + 1);
    if lowered.contains("tab")
        && let Some(tab) = text[marked_line..].find('\t').map(|i| marked_line + i)
    {
        let line_start = text[..tab].rfind('\n').map_or(0, |i| i + 1);
        span = Span {
            file,
            start: tab as u32,
            end: tab as u32,
            line: span.line + text[marked_line..tab].matches('\n').count() as u32,
            column: text[line_start..tab].chars().count() as u32 + 1,
        };
    }
    // One character wide, so that an error at the very first one is not
    // taken for the file as a whole.
    span.end = text
        .get(span.start as usize..)
        .and_then(|rest| rest.chars().next())
        .map_or(span.start, |c| span.start + c.len_utf8() as u32);
    if lowered.contains("nesting") || lowered.contains("limit") {
        return limit_error(&format!("nesting deeper than {MAX_DEPTH}"), span);
    }
    let diagnostic = Diagnostic::new(Code::YamlSyntax, message).at(span);
    if lowered.contains("tab") {
        diagnostic.help("YAML indentation must use spaces, not tabs")
    } else {
        diagnostic
    }
}
