//! The values document as a tree that remembers where every part came from.
//!
//! Values files are merged (`-f a -f b`, [`crate::merge`]) and patched
//! (`--set`, [`crate::set`]) before they are typed, exactly as helm does.
//! Doing that on serde's typed values would lose the locations, so it happens
//! on this untyped tree, in which each node keeps its [`Span`]. After merging,
//! a key set by the second file still points into the second file, and a
//! value from `--set` points into the `--set` text.
//!
//! This module is only the tree and the paths into it; it reports nothing.
//! The stages that build and change the tree ([`crate::load`],
//! [`crate::merge`], [`crate::set`]) report what they find.

use std::collections::HashMap;
use std::fmt;

use crate::source::Span;

/// A YAML node and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    /// A scalar as written. Its type is decided by what the schema expects,
    /// following the YAML 1.2 core schema for plain scalars: `15.10` stays
    /// `"15.10"` when a string is wanted instead of turning into `15.1`.
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// The scalar's content: the text of a plain scalar, the unescaped string of
    /// a quoted or block one.
    pub text: String,
    /// Written without quotes or block indicators, so its type is implicit.
    pub plain: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

/// Finds keys among a mapping's entries while they are added: by scanning
/// while the mapping is small, as almost all are (a values file's top level
/// has about twenty keys: scanning them costs less than copying each key
/// into a hash), and through a hash of its keys once it is large, so that
/// checking or merging every key of a mapping is linear in its size
/// (scanning 99,000 keys took over two minutes in a debug build).
#[derive(Debug, Default)]
pub struct KeyIndex {
    positions: HashMap<String, usize>,
    /// How many of the entries `positions` has seen.
    seen: usize,
}

impl KeyIndex {
    /// Mappings up to this size are scanned.
    const SCAN_LIMIT: usize = 32;

    /// The position of the entry with `key` in `entries`. Between calls,
    /// `entries` may only grow at the end.
    pub fn position(&mut self, entries: &[Entry], key: &str) -> Option<usize> {
        if entries.len() <= Self::SCAN_LIMIT {
            return entries.iter().position(|e| e.key == key);
        }
        for (i, entry) in entries.iter().enumerate().skip(self.seen) {
            self.positions.entry(entry.key.clone()).or_insert(i);
        }
        self.seen = entries.len();
        self.positions.get(key).copied()
    }
}

/// One step of a path into the document.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A [`Segment`] borrowed from wherever its key is kept, for building paths
/// and places without copying keys on the way.
#[derive(Clone, Copy, Debug)]
pub enum SegmentRef<'a> {
    Key(&'a str),
    Index(usize),
}

impl From<SegmentRef<'_>> for Segment {
    fn from(segment: SegmentRef<'_>) -> Segment {
        match segment {
            SegmentRef::Key(key) => Segment::Key(key.to_owned()),
            SegmentRef::Index(index) => Segment::Index(index),
        }
    }
}

/// Where a key lives in the document: `worker.gunicorn.resources`,
/// `ingress.hosts[0].host`. This is how diagnostics name keys.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Path(pub Vec<Segment>);

impl Path {
    pub fn root() -> Path {
        Path(Vec::new())
    }

    /// Parses the dotted form used in code (`worker.gunicorn.replicaCount`).
    /// Only for paths written in this crate, which never need escaping.
    pub fn parse(dotted: &str) -> Path {
        let mut segments = Vec::new();
        for part in dotted.split('.').filter(|p| !p.is_empty()) {
            let (name, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if !name.is_empty() {
                segments.push(Segment::Key(name.to_owned()));
            }
            while let Some(close) = rest.find(']') {
                if let Ok(i) = rest[1..close].parse() {
                    segments.push(Segment::Index(i));
                }
                rest = &rest[close + 1..];
            }
        }
        Path(segments)
    }

    pub fn key(&self, key: &str) -> Path {
        let mut p = self.clone();
        p.0.push(Segment::Key(key.to_owned()));
        p
    }

    pub fn index(&self, index: usize) -> Path {
        let mut p = self.clone();
        p.0.push(Segment::Index(index));
        p
    }

    pub fn parent(&self) -> Option<Path> {
        let mut p = self.clone();
        p.0.pop().map(|_| p)
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(top level)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if is_plain_key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                Segment::Key(key) => write!(f, "[{key:?}]")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Keys that read unambiguously in dotted form; others (annotation keys such as
/// `cert-manager.io/cluster-issuer`) are shown in brackets.
fn is_plain_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl Node {
    pub fn new(value: Value, span: Span) -> Node {
        Node { value, span }
    }

    pub fn empty_map(span: Span) -> Node {
        Node::new(Value::Map(Vec::new()), span)
    }

    /// The number of nodes in this tree, itself included.
    pub fn count(&self) -> usize {
        1 + match &self.value {
            Value::Null | Value::Scalar(_) => 0,
            Value::Seq(items) => items.iter().map(Node::count).sum(),
            Value::Map(entries) => entries.iter().map(|e| e.value.count()).sum(),
        }
    }

    /// What kind of node this is, in the words of an error message.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Scalar(_) => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().find(|e| e.key == key)
    }

    /// The entry a path ends in (for a key) and the node it names.
    pub fn find(&self, path: &Path) -> Option<Found<'_>> {
        let mut node = self;
        let mut key_span = None;
        for segment in &path.0 {
            match (segment, &node.value) {
                (Segment::Key(key), Value::Map(entries)) => {
                    let entry = entries.iter().find(|e| &e.key == key)?;
                    key_span = Some(entry.key_span);
                    node = &entry.value;
                }
                (Segment::Index(i), Value::Seq(items)) => {
                    node = items.get(*i)?;
                    key_span = None;
                }
                _ => return None,
            }
        }
        Some(Found { key_span, node })
    }

    /// Removes what a path names. Used to go on checking a file after a value
    /// of the wrong type: the bad value is taken out and typing is retried, so
    /// every such error in a file is reported, not only the first.
    pub fn remove(&mut self, path: &Path) -> bool {
        let Some((last, parents)) = path.0.split_last() else {
            return false;
        };
        let mut node = self;
        for segment in parents {
            let next = match (segment, &mut node.value) {
                (Segment::Key(key), Value::Map(entries)) => entries.iter_mut().find(|e| &e.key == key).map(|e| &mut e.value),
                (Segment::Index(i), Value::Seq(items)) => items.get_mut(*i),
                _ => None,
            };
            match next {
                Some(next) => node = next,
                None => return false,
            }
        }
        match (last, &mut node.value) {
            (Segment::Key(key), Value::Map(entries)) => {
                let before = entries.len();
                entries.retain(|e| &e.key != key);
                entries.len() != before
            }
            (Segment::Index(i), Value::Seq(items)) if *i < items.len() => {
                items.remove(*i);
                true
            }
            _ => false,
        }
    }
}

/// A node found by path, with the span of the key that holds it.
pub struct Found<'a> {
    pub key_span: Option<Span>,
    pub node: &'a Node,
}

impl Found<'_> {
    /// The key when there is one (it names the setting), else the value.
    pub fn key_or_value_span(&self) -> Span {
        self.key_span.unwrap_or(self.node.span)
    }
}
