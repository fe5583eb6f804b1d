//! Values that remember where they were written.
//!
//! A rule that finds a value wrong points at it. [`Spanned`] carries the
//! value's [`Place`] (its span, its key's span, its path in the values), so a
//! rule reports at the value it checks, `&values.worker.scheduler.replica_count`,
//! and the compiler checks the way there; a path spelt out as text would move
//! the report to the parent key on a typo.
//!
//! [`crate::de`] types a `Spanned<T>` as it types `T`, and hands it the place
//! through serde's data model: `Spanned`'s `Deserialize` asks for a newtype
//! struct named `NAME`, which `de` answers with a map of three entries, the
//! spans ([`encode_spans`]), the path ([`EncodedPath`]) and the value. Any
//! other deserializer sees a plain newtype and gives `T` without a place;
//! the JSON Schema and the serialized form are `T`'s.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::{Serialize, Serializer};

use crate::node::{Path, Segment, SegmentRef};
use crate::source::{FileId, Span};

/// A value of the values file, and where it was written: `None` for a
/// default, which the file does not write.
pub struct Spanned<T> {
    value: T,
    place: Option<Box<Place>>,
}

/// Where a value was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The value.
    pub span: Span,
    /// Its key, unless it is a list item.
    pub key_span: Option<Span>,
    /// Its path in the values, as `de` sent it: see [`Place::path`].
    path: EncodedPath,
}

impl Place {
    /// The value's path in the values, which diagnostics name it by. It is
    /// built when a diagnostic asks for it: most values never get one, and
    /// building each value's path as it was typed cost a few allocations a
    /// value.
    pub fn path(&self) -> Path {
        self.path.decode()
    }
}

impl<T> Spanned<T> {
    /// A value the file does not write.
    pub fn new(value: T) -> Spanned<T> {
        Spanned { value, place: None }
    }

    /// Where the file writes the value; `None` for a default.
    pub fn place(&self) -> Option<&Place> {
        self.place.as_deref()
    }

    /// What a rule about this value points at.
    pub fn anchor(&self) -> Anchor<'_> {
        self.into()
    }

    /// This value where the file writes it, else `key` of `map`, the map it
    /// belongs in: for rules about a value the file may leave out.
    pub fn or_in<'a>(&'a self, map: impl Into<Anchor<'a>>, key: &str) -> Anchor<'a> {
        match self.place() {
            Some(_) => self.into(),
            None => map.into().key(key),
        }
    }
}

impl<T> Spanned<Option<T>> {
    /// Whether the value is `None` (for `skip_serializing_if`).
    pub fn is_none(&self) -> bool {
        self.value.is_none()
    }
}

impl<T> Deref for Spanned<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Default> Default for Spanned<T> {
    fn default() -> Self {
        Spanned::new(T::default())
    }
}

impl<T: Clone> Clone for Spanned<T> {
    fn clone(&self) -> Self {
        Spanned {
            value: self.value.clone(),
            place: self.place.clone(),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

/// Two values are equal when they are, wherever they were written.
impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Serialize> Serialize for Spanned<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }

    fn _schemars_private_non_optional_json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::_schemars_private_non_optional_json_schema(generator)
    }

    fn _schemars_private_is_option() -> bool {
        T::_schemars_private_is_option()
    }
}

/// What a diagnostic points at: a value the file writes, or the root of the
/// values (the file start), and keys below it that have no place of their
/// own, inside a Kubernetes type or left out of the file.
///
/// Keys below a base are found in the node tree; a key the file leaves out
/// points at the closest map it does write ([`crate::model::report`]).
#[derive(Debug, Clone)]
pub struct Anchor<'a> {
    base: Base<'a>,
    below: Path,
}

#[derive(Debug, Clone, Copy)]
enum Base<'a> {
    Root,
    Place(&'a Place),
    /// A default that no parent was given for: the file start, no field.
    Unwritten,
}

impl<'a> Anchor<'a> {
    /// The values as a whole: the file start.
    pub fn root() -> Anchor<'a> {
        Anchor {
            base: Base::Root,
            below: Path::root(),
        }
    }

    /// `key` below this.
    pub fn key(&self, key: &str) -> Anchor<'a> {
        Anchor {
            base: self.base,
            below: self.below.key(key),
        }
    }

    /// Item `index` of the list this is.
    pub fn index(&self, index: usize) -> Anchor<'a> {
        Anchor {
            base: self.base,
            below: self.below.index(index),
        }
    }

    /// The written value this points at, when it points at one.
    pub fn place(&self) -> Option<&'a Place> {
        match self.base {
            Base::Place(place) if self.below.is_root() => Some(place),
            _ => None,
        }
    }

    /// The path of what this points at, for the diagnostic's field; `None`
    /// for the file start.
    pub fn path(&self) -> Option<Path> {
        let base = match self.base {
            Base::Root => Path::root(),
            Base::Place(place) => place.path(),
            Base::Unwritten => return None,
        };
        let mut path = base;
        path.0.extend(self.below.0.iter().cloned());
        Some(path).filter(|p| !p.is_root())
    }
}

impl<'a, T> From<&'a Spanned<T>> for Anchor<'a> {
    fn from(spanned: &'a Spanned<T>) -> Anchor<'a> {
        Anchor {
            base: spanned.place().map_or(Base::Unwritten, Base::Place),
            below: Path::root(),
        }
    }
}

impl<'a> From<&Anchor<'a>> for Anchor<'a> {
    fn from(anchor: &Anchor<'a>) -> Anchor<'a> {
        anchor.clone()
    }
}

/// The newtype name `de` recognizes.
pub(crate) const NAME: &str = "$frappe_manifests::Spanned";
/// The keys of the map `de` answers with, in this order.
pub(crate) const SPANS_KEY: &str = "spans";
pub(crate) const PATH_KEY: &str = "path";
pub(crate) const VALUE_KEY: &str = "value";

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(NAME, SpannedVisitor(PhantomData))
    }
}

struct SpannedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for SpannedVisitor<T> {
    type Value = Spanned<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }

    /// Any deserializer but ours: the value alone.
    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Spanned<T>, D::Error> {
        T::deserialize(deserializer).map(Spanned::new)
    }

    /// Ours: the spans, the path, then the value.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Spanned<T>, A::Error> {
        fn entry<'de, A: MapAccess<'de>>(map: &mut A, key: &str) -> Result<(), A::Error> {
            match map.next_key::<&str>()? {
                Some(found) if found == key => Ok(()),
                _ => Err(de::Error::custom(format!("a spanned value's next entry is its {key}"))),
            }
        }
        entry(&mut map, SPANS_KEY)?;
        let Spans(span, key_span) = map.next_value()?;
        entry(&mut map, PATH_KEY)?;
        let path = map.next_value()?;
        entry(&mut map, VALUE_KEY)?;
        let value = map.next_value()?;
        Ok(Spanned {
            value,
            place: Some(Box::new(Place { span, key_span, path })),
        })
    }
}

/// The length of a place's spans as `de` sends them ([`encode_spans`]).
pub(crate) const SPANS_LEN: usize = 41;

/// The form `de` sends a value's spans in: the value's span, then a 1 and
/// the key's span, or a 0 and zeros when the value has no key; a span as
/// little-endian `u32`s (file, start, end, line, column). Fixed in size, so
/// that sending them needs no allocation.
pub(crate) fn encode_spans(span: Span, key_span: Option<Span>) -> [u8; SPANS_LEN] {
    fn put(out: &mut [u8], span: Span) {
        let numbers = [span.file.index(), span.start, span.end, span.line, span.column];
        for (bytes, n) in out.chunks_exact_mut(4).zip(numbers) {
            bytes.copy_from_slice(&n.to_le_bytes());
        }
    }
    let mut out = [0; SPANS_LEN];
    put(&mut out[..20], span);
    if let Some(key) = key_span {
        out[20] = 1;
        put(&mut out[21..], key);
    }
    out
}

/// A value's spans as `de` sends them.
struct Spans(Span, Option<Span>);

impl<'de> Deserialize<'de> for Spans {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpansVisitor;

        impl Visitor<'_> for SpansVisitor {
            type Value = Spans;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value's spans")
            }

            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Spans, E> {
                let bytes: &[u8; SPANS_LEN] = bytes.try_into().map_err(|_| E::custom("malformed spans"))?;
                let number = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
                let span = |at: usize| Span {
                    file: FileId::from_index(number(at)),
                    start: number(at + 4),
                    end: number(at + 8),
                    line: number(at + 12),
                    column: number(at + 16),
                };
                Ok(Spans(span(0), (bytes[20] == 1).then(|| span(21))))
            }
        }

        deserializer.deserialize_bytes(SpansVisitor)
    }
}

/// A value's path as `de` sends it and [`Place`] keeps it, until a
/// diagnostic asks for it: each segment, the last one first (as `de` finds
/// them, walking up from the value), a key as 0, its length and its UTF-8,
/// an index as 1; lengths and indices as little-endian `u64`s.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct EncodedPath(Vec<u8>);

impl EncodedPath {
    pub(crate) fn new<'a>(last_first: impl Iterator<Item = SegmentRef<'a>>) -> EncodedPath {
        // Room for a path a few keys deep, so that it seldom grows.
        let mut out = Vec::with_capacity(64);
        for segment in last_first {
            match segment {
                SegmentRef::Key(key) => {
                    out.push(0);
                    out.extend((key.len() as u64).to_le_bytes());
                    out.extend(key.as_bytes());
                }
                SegmentRef::Index(index) => {
                    out.push(1);
                    out.extend((index as u64).to_le_bytes());
                }
            }
        }
        EncodedPath(out)
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// The bytes `de` sent, when they are a path.
    fn from_bytes(bytes: Vec<u8>) -> Option<EncodedPath> {
        let mut rest = bytes.as_slice();
        while !rest.is_empty() {
            next_segment(&mut rest)?;
        }
        Some(EncodedPath(bytes))
    }

    fn decode(&self) -> Path {
        let mut rest = self.0.as_slice();
        let mut segments: Vec<Segment> = std::iter::from_fn(|| next_segment(&mut rest)).map(Segment::from).collect();
        segments.reverse();
        Path(segments)
    }
}

/// The segment `bytes` start with, which it moves past.
fn next_segment<'a>(bytes: &mut &'a [u8]) -> Option<SegmentRef<'a>> {
    fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (head, tail) = bytes.split_at_checked(n)?;
        *bytes = tail;
        Some(head)
    }
    let long = |bytes: &mut &[u8]| {
        let n = u64::from_le_bytes(take(bytes, 8)?.try_into().expect("8 bytes"));
        usize::try_from(n).ok()
    };
    match take(bytes, 1)? {
        [0] => {
            let len = long(bytes)?;
            std::str::from_utf8(take(bytes, len)?).ok().map(SegmentRef::Key)
        }
        _ => long(bytes).map(SegmentRef::Index),
    }
}

impl fmt::Debug for EncodedPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.decode())
    }
}

impl<'de> Deserialize<'de> for EncodedPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PathVisitor;

        impl Visitor<'_> for PathVisitor {
            type Value = EncodedPath;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value's path")
            }

            /// `de` hands the path over, so that it is not copied.
            fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<EncodedPath, E> {
                EncodedPath::from_bytes(bytes).ok_or_else(|| E::custom("a malformed path"))
            }

            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<EncodedPath, E> {
                self.visit_byte_buf(bytes.to_vec())
            }
        }

        deserializer.deserialize_byte_buf(PathVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;

    #[test]
    fn a_place_survives_its_trip_through_serde() {
        let mut sources = Sources::default();
        sources.add("a", "");
        let file = sources.add("b", "");
        let span = |start| Span {
            file,
            start,
            end: start + 3,
            line: 2,
            column: 7,
        };
        for key_span in [Some(span(4)), None] {
            let bytes = encode_spans(span(10), key_span);
            let spans = Spans::deserialize(de::value::BytesDeserializer::<de::value::Error>::new(&bytes)).unwrap();
            assert_eq!((spans.0, spans.1), (span(10), key_span));
        }
        let path = Path::root().key("ingress").key("annotations").key("cert-manager.io/x").index(3);
        let last_first = path.0.iter().rev().map(|segment| match segment {
            Segment::Key(key) => SegmentRef::Key(key),
            Segment::Index(index) => SegmentRef::Index(*index),
        });
        let bytes = EncodedPath::new(last_first).into_bytes();
        assert_eq!(EncodedPath::from_bytes(bytes.clone()).map(|p| p.decode()), Some(path));
        assert_eq!(EncodedPath::from_bytes(bytes[..bytes.len() - 1].to_vec()), None);
    }

    #[derive(serde::Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct Sample {
        replica_count: Spanned<i32>,
        site_name: Spanned<Option<String>>,
        hosts: Vec<Spanned<String>>,
        absent: Spanned<bool>,
    }

    /// `de` gives each spanned value its span, its key's span and its path.
    #[test]
    fn de_places_every_written_value() {
        let mut sources = Sources::default();
        let file = sources.add("values.yaml", "replicaCount: 3\nsiteName:\nhosts:\n- a.example.com\n");
        let (root, _) = crate::load::load(&sources, file).unwrap();
        let (sample, problems) = crate::de::deserialize_all::<Sample>(&root);
        let sample = sample.unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        let at = |place: Option<&Place>| {
            let place = place.expect("written values have a place");
            let key = place.key_span.map(|k| (k.line, k.column));
            (place.path().to_string(), (place.span.line, place.span.column), key)
        };
        assert_eq!(*sample.replica_count, 3);
        assert_eq!(at(sample.replica_count.place()), ("replicaCount".to_owned(), (1, 15), Some((1, 1))));
        assert_eq!(*sample.site_name, None);
        assert_eq!(at(sample.site_name.place()).2, Some((2, 1)));
        assert_eq!(at(sample.hosts[0].place()), ("hosts[0]".to_owned(), (4, 3), None));
        assert!(sample.absent.place().is_none());
    }

    /// Other deserializers give the value alone.
    #[test]
    fn other_deserializers_see_the_value() {
        let spanned: Spanned<Option<u16>> = serde_json::from_str("8080").unwrap();
        assert_eq!(*spanned, Some(8080));
        assert!(spanned.place().is_none());
        assert_eq!(serde_json::to_string(&spanned).unwrap(), "8080");
    }
}
