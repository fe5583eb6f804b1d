//! Typing the merged tree: a serde [`Deserializer`] over [`Node`].
//!
//! Going through our own deserializer rather than straight from YAML text is
//! what lets every problem carry a location and lets one run report them all:
//!
//! * `deserialize_struct` receives the field list of the target type, for our
//!   own structs and for k8s-openapi's alike. Keys outside it are collected as
//!   `unknown-key` diagnostics with the closest valid key, then skipped, so a
//!   typo inside `resources` is caught even though k8s-openapi itself ignores
//!   unknown fields.
//! * Scalars are typed on demand, by the YAML 1.2 core schema: a plain `8080`
//!   is a number where a port is wanted and the string `"8080"` where an env
//!   value is, and `yes` is never a boolean. A plain scalar that YAML 1.1 tools
//!   would read differently gets a `yaml11-scalar` warning.
//! * A [`Spanned`](crate::values::Spanned) value gets the place it was
//!   written: its span, its key's span and its path, which the model's
//!   rules report at.
//! * Every error records the node it happened at. [`deserialize_all`] then
//!   removes that node and types the tree again, so each wrong value in a file
//!   is reported, not only the first.

use std::cell::RefCell;
use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, VariantAccess, Visitor,
};

use crate::diagnostic::{Code, Diagnostic};
use crate::node::{Entry, Node, Path, Scalar, Segment, SegmentRef, Value};
use crate::source::Span;
use crate::suggest::closest;
use crate::values::chart_only::chart_only_key;
use crate::values::probe;
use crate::values::spanned::{self, EncodedPath};

/// Types `root`, reporting every unknown key and every wrong value.
///
/// Returns the typed value when it could be built (possibly with warnings and
/// with the wrong parts left at their defaults), and all diagnostics. The tree
/// is copied only when a wrong value has to be pruned from it; a clean file is
/// typed straight from `root`.
pub fn deserialize_all<T: DeserializeOwned>(root: &Node) -> (Option<T>, Vec<Diagnostic>) {
    // Every wrong value removes one node, so this ends; the bound only guards
    // against a pathological file producing thousands of separate errors.
    const MAX_ATTEMPTS: usize = 200;
    let mut fatal = Vec::new();
    let mut pruned: Option<Node> = None;
    for _ in 0..MAX_ATTEMPTS {
        let tree = pruned.as_ref().unwrap_or(root);
        let collected = Collected::default();
        let result = T::deserialize(NodeDeserializer {
            node: tree,
            key_span: None,
            crumb: &Crumb::Root,
            collected: &collected,
        });
        let mut diagnostics = collected.into_inner();
        match result {
            Ok(value) => {
                diagnostics.extend(fatal);
                return (Some(value), diagnostics);
            }
            Err(error) => {
                let path = error.path.clone().filter(|p| !p.is_root());
                fatal.push(error.into_diagnostic(tree));
                let tree = pruned.get_or_insert_with(|| root.clone());
                if !path.is_some_and(|path| tree.remove(&path)) {
                    diagnostics.extend(fatal);
                    return (None, diagnostics);
                }
            }
        }
    }
    (None, fatal)
}

type Collected = RefCell<Vec<Diagnostic>>;

/// The way from the root to the node being typed, kept as a chain of borrowed
/// steps so that a path is only built when an error or a spanned value needs
/// one.
enum Crumb<'a> {
    Root,
    Key(&'a Crumb<'a>, &'a str),
    Index(&'a Crumb<'a>, usize),
}

impl<'a> Crumb<'a> {
    /// The path's segments, borrowed, from here up to the root: the last one
    /// first.
    fn steps(&'a self) -> impl Iterator<Item = SegmentRef<'a>> {
        std::iter::successors(Some(self), |crumb| match crumb {
            Crumb::Root => None,
            Crumb::Key(parent, _) | Crumb::Index(parent, _) => Some(*parent),
        })
        .filter_map(|crumb| match crumb {
            Crumb::Root => None,
            Crumb::Key(_, key) => Some(SegmentRef::Key(key)),
            Crumb::Index(_, index) => Some(SegmentRef::Index(*index)),
        })
    }

    /// The path, built in one walk up the chain: building each level's from
    /// its parent's copied every key once per level below it.
    fn path(&'a self) -> Path {
        let mut segments: Vec<Segment> = self.steps().map(Segment::from).collect();
        segments.reverse();
        Path(segments)
    }
}

/// A typing error, located at the node where it happened.
#[derive(Debug)]
pub struct Error {
    code: Code,
    message: String,
    help: Option<String>,
    span: Option<Span>,
    path: Option<Path>,
}

impl Error {
    fn new(code: Code, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            help: None,
            span: None,
            path: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> Error {
        self.help = Some(help.into());
        self
    }

    /// Records where the error happened, unless a deeper node already did.
    fn located(mut self, span: Span, crumb: &Crumb<'_>) -> Error {
        if self.span.is_none() {
            self.span = Some(span);
            self.path = Some(crumb.path());
        }
        self
    }

    fn into_diagnostic(self, root: &Node) -> Diagnostic {
        let key = self.path.as_ref().filter(|p| !p.is_root());
        let message = match key {
            Some(path) => format!("`{path}`: {}", self.message),
            None => self.message,
        };
        // Point at the value, or at the key when the value is absent (null).
        let span = self.path.as_ref().and_then(|p| root.find(p)).map(|found| match found.node.value {
            Value::Null => found.key_or_value_span(),
            _ => found.node.span,
        });
        let mut diagnostic = Diagnostic::new(self.code, message).at_opt(span.or(self.span));
        if let Some(path) = &self.path {
            diagnostic = diagnostic.field(path);
        }
        match self.help {
            Some(help) => diagnostic.help(help),
            None => diagnostic,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Error {
        Error::new(Code::InvalidValue, message.to_string())
    }

    fn invalid_type(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Error {
        Error::new(Code::InvalidType, format!("expected {expected}, found {unexpected}"))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Error {
        let error = Error::new(Code::InvalidValue, format!("`{variant}` is not one of {}", one_of(expected)));
        match closest(variant, expected.iter().copied()) {
            Some(best) => error.help(format!("did you mean `{best}`?")),
            None => error,
        }
    }

    fn missing_field(field: &'static str) -> Error {
        Error::new(Code::InvalidValue, format!("the required key `{field}` is missing"))
    }

    fn duplicate_field(field: &'static str) -> Error {
        Error::new(Code::DuplicateKey, format!("`{field}` is given twice"))
    }
}

fn one_of(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.len() {
        0 => "nothing".to_owned(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

/// The YAML 1.2 core-schema reading of a plain scalar.
enum Resolved {
    Bool(bool),
    Int(i128),
    Float(f64),
    Str,
}

fn resolve_plain(text: &str) -> Resolved {
    match text {
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    if let Some(int) = parse_int(text) {
        return Resolved::Int(int);
    }
    let bytes = text.as_bytes();
    let numeric = !text.is_empty()
        && bytes.iter().any(u8::is_ascii_digit)
        && bytes
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && !text.contains("..");
    // Parsed only when it looks like a number: most scalars are words.
    match numeric.then(|| text.parse::<f64>()) {
        Some(Ok(float)) => Resolved::Float(float),
        _ => Resolved::Str,
    }
}

/// Core-schema integers: decimal, `0o` octal and `0x` hex. Out-of-range
/// decimals still count as integers so that the error can say so.
fn parse_int(text: &str) -> Option<i128> {
    if let Some(octal) = text.strip_prefix("0o") {
        return i128::from_str_radix(octal, 8).ok();
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return i128::from_str_radix(hex, 16).ok();
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        text.parse::<i128>()
            .unwrap_or(if text.starts_with('-') { i128::MIN } else { i128::MAX }),
    )
}

/// The first DEL or C1 control character of `text`, which kustomize
/// mangles or refuses.
fn c1_control(text: &str) -> Option<char> {
    text.chars().find(|c| matches!(c, '\u{7f}'..='\u{9f}'))
}

/// Plain scalars that YAML 1.1 (helm, kubectl, most Go tools) reads as a
/// boolean although YAML 1.2 reads them as strings.
fn is_yaml11_bool(text: &str) -> bool {
    matches!(
        text,
        "y" | "Y" | "yes" | "Yes" | "YES" | "n" | "N" | "no" | "No" | "NO" | "on" | "On" | "ON" | "off" | "Off" | "OFF"
    )
}

fn describe(node: &Node) -> String {
    match &node.value {
        Value::Null => "null".to_owned(),
        Value::Scalar(Scalar { text, plain: true }) => format!("`{text}`"),
        Value::Scalar(Scalar { text, plain: false }) => format!("the string {text:?}"),
        Value::Seq(_) => "a list".to_owned(),
        Value::Map(_) => "a map".to_owned(),
    }
}

struct NodeDeserializer<'a> {
    node: &'a Node,
    /// The key that holds the node, unless it is the root or a list item.
    key_span: Option<Span>,
    crumb: &'a Crumb<'a>,
    collected: &'a Collected,
}

impl<'a> NodeDeserializer<'a> {
    fn fail(&self, error: Error) -> Error {
        error.located(self.node.span, self.crumb)
    }

    fn wrong_type(&self, expected: &str) -> Error {
        self.fail(Error::new(
            Code::InvalidType,
            format!("expected {expected}, found {}", describe(self.node)),
        ))
    }

    fn plain_text(&self) -> Option<&'a str> {
        match &self.node.value {
            Value::Scalar(Scalar { text, plain: true }) => Some(text),
            _ => None,
        }
    }

    fn integer<T: TryFrom<i128>>(&self, min: i128, max: i128) -> Result<T, Error> {
        let Some(text) = self.plain_text() else {
            let error = self.wrong_type("an integer");
            return Err(match &self.node.value {
                // helm's `--set` keeps `010` text, and a number too large
                // for an int64: such a value has no quotes to remove.
                Value::Scalar(Scalar { text, .. }) => match text.parse::<i128>() {
                    Ok(n) if !(min..=max).contains(&n) => error.help(format!("it is out of range ({min} to {max})")),
                    Ok(n) if n.to_string() != text.trim_start_matches('+') => {
                        error.help(format!("write `{n}`, unquoted and without leading zeros"))
                    }
                    _ => error.help("remove the quotes: a quoted number is a string"),
                },
                _ => error,
            });
        };
        match resolve_plain(text) {
            Resolved::Int(n) if (min..=max).contains(&n) => {
                let digits = text.trim_start_matches(['-', '+']);
                if digits.starts_with("0o") || (digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())) {
                    self.warn(
                        Code::Yaml11Scalar,
                        format!(
                            "`{}` is {n} here, but YAML 1.1 tools (helm, kubectl) read `{text}` differently",
                            self.crumb.path()
                        ),
                        format!("write `{n}`"),
                    );
                }
                T::try_from(n).map_err(|_| self.wrong_type("an integer"))
            }
            Resolved::Int(_) => Err(self.fail(Error::new(Code::InvalidValue, format!("`{text}` is out of range ({min} to {max})")))),
            Resolved::Float(_) => Err(self.wrong_type("an integer").help("write a whole number such as `3`")),
            _ => Err(self.wrong_type("an integer")),
        }
    }

    fn float(&self) -> Result<f64, Error> {
        match self.plain_text().map(resolve_plain) {
            Some(Resolved::Int(n)) => Ok(n as f64),
            Some(Resolved::Float(f)) => Ok(f),
            _ => Err(self.wrong_type("a number")),
        }
    }

    /// A scalar's text wherever a string is wanted; any plain scalar is fine
    /// (an env value `100` is the string "100"), but one that YAML reads as a
    /// number or a boolean earns a warning: helm would turn `16.10` into
    /// `16.1` and `on` into `true`.
    fn string(&self) -> Result<&'a str, Error> {
        match &self.node.value {
            Value::Scalar(Scalar { text, plain }) => {
                // A quoted string (every key among them) is what it says.
                let other_type = match plain.then(|| resolve_plain(text)) {
                    None => None,
                    _ if is_yaml11_bool(text) => Some("a boolean in YAML 1.1 (helm, kubectl)"),
                    Some(Resolved::Bool(_)) => Some("a boolean"),
                    Some(Resolved::Int(_) | Resolved::Float(_)) => Some("a number"),
                    Some(Resolved::Str) => None,
                };
                if let Some(other_type) = other_type {
                    self.warn(
                        Code::Yaml11Scalar,
                        // Neither quotes the value: a secret's would be masked
                        // to `***`, or shown where it is too short to mask in
                        // free text (`on`); the snippet shows it, masked.
                        format!(
                            "`{}` is a string here, but other YAML tools read this unquoted value as {other_type}",
                            self.crumb.path()
                        ),
                        "quote the value: every YAML tool reads a quoted value as a string".to_owned(),
                    );
                }
                if let Some(c) = c1_control(text) {
                    self.warn(
                        Code::ControlCharacter,
                        format!(
                            "`{}` holds the control character U+{:04X}: kustomize turns NEL (U+0085) into a space and refuses DEL and the other C1 controls",
                            self.crumb.path(),
                            u32::from(c)
                        ),
                        "remove it; if the text came from another encoding (Windows-1252, Latin-1), convert it to UTF-8 first".to_owned(),
                    );
                }
                Ok(text)
            }
            _ => Err(self.wrong_type("a string")),
        }
    }

    /// Reports the keys of a struct's map that are not among its `fields`:
    /// a key of the chart this tool ignores, or an unknown key with the
    /// nearest valid one. Apart from the generic `deserialize_struct`, so
    /// that every struct shares one copy of this code.
    fn report_unknown_keys(&self, entries: &[Entry], fields: &'static [&'static str]) {
        let path = || self.crumb.path();
        for entry in entries.iter().filter(|e| !fields.contains(&e.key.as_str())) {
            let key_path = path().key(&entry.key);
            if let Some(chart_only) = chart_only_key(&key_path.to_string()) {
                self.collected.borrow_mut().push(
                    Diagnostic::new(Code::ChartOnlyKey, format!("`{key_path}` is ignored: {}", chart_only.reason))
                        .at(entry.key_span)
                        .field(&key_path)
                        .help("it changes nothing here; remove it once the values no longer serve the chart"),
                );
                continue;
            }
            let mut diagnostic = Diagnostic::new(Code::UnknownKey, format!("unknown key `{}` in `{}`", entry.key, path()))
                .at(entry.key_span)
                .field(&path().key(&entry.key));
            let parent = Some(path()).filter(|p| !p.is_root()).map(|p| p.to_string()).unwrap_or_default();
            diagnostic = match crate::suggest::unknown_key(&parent, &entry.key, fields) {
                Some(help) => diagnostic.help(help),
                None if fields.is_empty() => diagnostic.help("this map takes no keys"),
                None => diagnostic.help(format!("valid keys here: {}", one_of(fields))),
            };
            self.collected.borrow_mut().push(diagnostic);
        }
    }

    fn warn(&self, code: Code, message: String, help: String) {
        self.collected.borrow_mut().push(
            Diagnostic::new(code, message)
                .at(self.node.span)
                .field(&self.crumb.path())
                .help(help),
        );
    }
}

macro_rules! integer_methods {
    ($($method:ident => $visit:ident, $ty:ty;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let value: $ty = self.integer(<$ty>::MIN as i128, <$ty>::MAX as i128)?;
            visitor.$visit(value).map_err(|e| self.fail(e))
        }
    )*};
}

impl<'de, 'a> Deserializer<'de> for NodeDeserializer<'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Scalar(Scalar { text, plain: false }) => visitor.visit_str(text),
            Value::Scalar(Scalar { text, plain: true }) => match resolve_plain(text) {
                Resolved::Bool(b) => visitor.visit_bool(b),
                Resolved::Int(n) => match i64::try_from(n) {
                    Ok(n) => visitor.visit_i64(n),
                    Err(_) => visitor.visit_str(text),
                },
                Resolved::Float(f) => visitor.visit_f64(f),
                Resolved::Str => visitor.visit_str(text),
            },
            Value::Seq(items) => visitor.visit_seq(Items {
                items,
                index: 0,
                crumb: self.crumb,
                collected: self.collected,
            }),
            Value::Map(entries) => visitor.visit_map(Entries::all(entries, self.crumb, self.collected)),
        };
        result.map_err(|e| self.fail(e))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.plain_text() {
            Some(text) => match resolve_plain(text) {
                Resolved::Bool(b) => visitor.visit_bool(b).map_err(|e| self.fail(e)),
                _ if is_yaml11_bool(text) => Err(self.wrong_type("`true` or `false`").help(format!(
                    "`{text}` is a boolean only in YAML 1.1; write `{}`",
                    matches!(text.to_ascii_lowercase().as_str(), "y" | "yes" | "on")
                ))),
                _ => Err(self.wrong_type("`true` or `false`")),
            },
            None => Err(self.wrong_type("`true` or `false`")),
        }
    }

    integer_methods! {
        deserialize_i8 => visit_i8, i8;
        deserialize_i16 => visit_i16, i16;
        deserialize_i32 => visit_i32, i32;
        deserialize_i64 => visit_i64, i64;
        deserialize_u8 => visit_u8, u8;
        deserialize_u16 => visit_u16, u16;
        deserialize_u32 => visit_u32, u32;
        deserialize_u64 => visit_u64, u64;
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = self.float()?;
        visitor.visit_f64(value).map_err(|e| self.fail(e))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let text = self.string()?;
        visitor.visit_str(text).map_err(|e| self.fail(e))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let text = self.string()?;
        visitor.visit_bytes(text.as_bytes()).map_err(|e| self.fail(e))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.value {
            Value::Null => visitor.visit_none().map_err(|e| self.fail(e)),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.value {
            Value::Null => visitor.visit_unit().map_err(|e| self.fail(e)),
            _ => Err(self.wrong_type("null")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Error> {
        // A spanned value gets its place, then its value (`values::spanned`).
        if name == spanned::NAME {
            return visitor.visit_map(SpannedEntries {
                spans: Some(spanned::encode_spans(self.node.span, self.key_span)),
                path: Some(EncodedPath::new(self.crumb.steps())),
                value: Some(self),
            });
        }
        // A quantity keeps its spelling: `cpu: 0.50` stays "0.50", not 0.5.
        if name == "Quantity" {
            return match &self.node.value {
                Value::Scalar(Scalar { text, .. }) => visitor.visit_string(text.clone()).map_err(|e| self.fail(e)),
                _ => Err(self.wrong_type("a quantity such as `500m` or `1Gi`")),
            };
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        const NO_ITEMS: &[Node] = &[];
        let items = match &self.node.value {
            Value::Seq(items) => items.as_slice(),
            // An empty `tolerations:` is null in YAML; helm treats it as empty.
            Value::Null => NO_ITEMS,
            _ => return Err(self.wrong_type("a list")),
        };
        visitor
            .visit_seq(Items {
                items,
                index: 0,
                crumb: self.crumb,
                collected: self.collected,
            })
            .map_err(|e| self.fail(e))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _name: &'static str, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let entries: &[Entry] = match &self.node.value {
            Value::Map(entries) => entries,
            Value::Null => &[],
            _ => return Err(self.wrong_type("a map")),
        };
        visitor
            .visit_map(Entries::all(entries, self.crumb, self.collected))
            .map_err(|e| self.fail(e))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let entries: &[Entry] = match &self.node.value {
            Value::Map(entries) => entries,
            Value::Null => &[],
            _ => return Err(self.wrong_type(&format!("a map ({})", struct_name(name)))),
        };
        self.report_unknown_keys(entries, fields);
        let known = Entries {
            entries,
            index: 0,
            fields: Some(fields),
            crumb: self.crumb,
            collected: self.collected,
        };
        visitor.visit_map(known).map_err(|e| self.fail(e))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // A probe's form is picked by its keys (`values::probe`).
        if name == probe::NAME {
            let chart =
                matches!(&self.node.value, Value::Map(entries) if entries.iter().any(|e| probe::CHART_KEYS.contains(&e.key.as_str())));
            let form = if chart { probe::CHART } else { probe::KUBERNETES };
            let (node, crumb) = (self.node, self.crumb);
            return visitor
                .visit_enum(Picked { form, value: self })
                .map_err(|e| e.located(node.span, crumb));
        }
        match &self.node.value {
            Value::Scalar(Scalar { text, .. }) => visitor
                .visit_enum(text.as_str().into_deserializer())
                .map_err(|e: Error| self.fail(e)),
            Value::Map(entries) if entries.len() == 1 => {
                let entry = &entries[0];
                visitor
                    .visit_enum(Variant {
                        entry,
                        crumb: self.crumb,
                        collected: self.collected,
                    })
                    .map_err(|e| self.fail(e))
            }
            _ => Err(self.wrong_type(&format!("one of {}", one_of(variants)))),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

/// `io.k8s.api.core.v1.Probe` reads better as `Probe`.
fn struct_name(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

struct Items<'a> {
    items: &'a [Node],
    index: usize,
    crumb: &'a Crumb<'a>,
    collected: &'a Collected,
}

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        let Some(node) = self.items.get(self.index) else {
            return Ok(None);
        };
        let crumb = Crumb::Index(self.crumb, self.index);
        self.index += 1;
        seed.deserialize(NodeDeserializer {
            node,
            key_span: None,
            crumb: &crumb,
            collected: self.collected,
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.index)
    }
}

struct Entries<'a> {
    entries: &'a [Entry],
    index: usize,
    /// For structs: only these keys reach the visitor (the others were reported).
    fields: Option<&'static [&'static str]>,
    crumb: &'a Crumb<'a>,
    collected: &'a Collected,
}

impl<'a> Entries<'a> {
    fn all(entries: &'a [Entry], crumb: &'a Crumb<'a>, collected: &'a Collected) -> Self {
        Entries {
            entries,
            index: 0,
            fields: None,
            crumb,
            collected,
        }
    }
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        while let Some(entry) = self.entries.get(self.index) {
            if self.fields.is_none_or(|fields| fields.contains(&entry.key.as_str())) {
                return seed
                    .deserialize(KeyDeserializer {
                        entry,
                        crumb: self.crumb,
                        collected: self.collected,
                    })
                    .map(Some);
            }
            self.index += 1;
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let entry = &self.entries[self.index];
        self.index += 1;
        let crumb = Crumb::Key(self.crumb, &entry.key);
        seed.deserialize(NodeDeserializer {
            node: &entry.value,
            key_span: Some(entry.key_span),
            crumb: &crumb,
            collected: self.collected,
        })
    }
}

/// A mapping's key, typed as a quoted scalar written at the key. Keys are
/// nearly always read as strings (field names, map keys), which is done from
/// the entry itself; anything else types a node made of the key, so that
/// every key is not copied into a node only to be read as a string.
struct KeyDeserializer<'a> {
    entry: &'a Entry,
    /// The crumb of the mapping that holds the entry.
    crumb: &'a Crumb<'a>,
    collected: &'a Collected,
}

impl KeyDeserializer<'_> {
    fn through_node<R>(self, deserialize: impl FnOnce(NodeDeserializer<'_>) -> R) -> R {
        let node = Node::new(
            Value::Scalar(Scalar {
                text: self.entry.key.clone(),
                plain: false,
            }),
            self.entry.key_span,
        );
        deserialize(NodeDeserializer {
            node: &node,
            key_span: None,
            crumb: &Crumb::Key(self.crumb, &self.entry.key),
            collected: self.collected,
        })
    }
}

macro_rules! through_node {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Error> {
            self.through_node(|node| node.$method($($arg,)* visitor))
        }
    )*};
}

impl<'de> Deserializer<'de> for KeyDeserializer<'_> {
    type Error = Error;

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // A key with a control character gets the warning any string gets.
        if c1_control(&self.entry.key).is_some() {
            return self.through_node(|node| node.deserialize_str(visitor));
        }
        visitor
            .visit_str(&self.entry.key)
            .map_err(|e: Error| e.located(self.entry.key_span, &Crumb::Key(self.crumb, &self.entry.key)))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    through_node! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_ignored_any();
    }
}

/// The map a [`Spanned`](crate::values::Spanned) is typed from: its spans,
/// its path, then its value.
struct SpannedEntries<'a> {
    spans: Option<[u8; spanned::SPANS_LEN]>,
    path: Option<EncodedPath>,
    value: Option<NodeDeserializer<'a>>,
}

impl<'de> MapAccess<'de> for SpannedEntries<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let key = match (&self.spans, &self.path, &self.value) {
            (Some(_), _, _) => spanned::SPANS_KEY,
            (None, Some(_), _) => spanned::PATH_KEY,
            (None, None, Some(_)) => spanned::VALUE_KEY,
            (None, None, None) => return Ok(None),
        };
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        if let Some(spans) = self.spans.take() {
            return seed.deserialize(de::value::BytesDeserializer::new(&spans));
        }
        if let Some(path) = self.path.take() {
            return seed.deserialize(OwnedBytes(path.into_bytes()));
        }
        match self.value.take() {
            Some(value) => seed.deserialize(value),
            None => Err(Error::new(Code::InvalidValue, "a spanned value has three entries")),
        }
    }
}

/// Bytes handed over to the visitor (serde's `BytesDeserializer` only lends
/// them, and the visitor would copy them).
struct OwnedBytes(Vec<u8>);

impl<'de> Deserializer<'de> for OwnedBytes {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_byte_buf(self.0)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// An enum whose variant the deserializer picked from the node, typed from
/// the node itself.
struct Picked<'a> {
    form: &'static str,
    value: NodeDeserializer<'a>,
}

impl<'de, 'a> EnumAccess<'de> for Picked<'a> {
    type Error = Error;
    type Variant = NodeDeserializer<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self::Variant), Error> {
        let form = seed.deserialize(de::value::BorrowedStrDeserializer::new(self.form))?;
        Ok((form, self.value))
    }
}

struct Variant<'a> {
    entry: &'a Entry,
    crumb: &'a Crumb<'a>,
    collected: &'a Collected,
}

impl<'de, 'a> EnumAccess<'de> for Variant<'a> {
    type Error = Error;
    type Variant = NodeDeserializer<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self::Variant), Error> {
        let key: de::value::StrDeserializer<'_, Error> = self.entry.key.as_str().into_deserializer();
        let value = seed.deserialize(key)?;
        // The variant's content is typed under the variant's own crumb; a
        // short-lived crumb cannot outlive this call, so the parent's is used.
        Ok((
            value,
            NodeDeserializer {
                node: &self.entry.value,
                key_span: Some(self.entry.key_span),
                crumb: self.crumb,
                collected: self.collected,
            },
        ))
    }
}

impl<'de> VariantAccess<'de> for NodeDeserializer<'_> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        self.deserialize_struct("", fields, visitor)
    }
}
