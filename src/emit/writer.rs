//! A serde `Serializer` that writes block-style YAML straight into a string.
//!
//! Kubernetes objects need only a small part of YAML: mappings, sequences,
//! strings, integers and booleans. Writing exactly that, in kubectl's layout
//! (a sequence's `- ` at its key's column, `{}` and `[]` for empty
//! collections, literal blocks for scripts), is several times faster than a
//! general YAML serializer, and the render is mostly output. Which strings
//! need quotes is decided in [`super::scalar`].

use std::fmt::{self, Display};

use serde::ser::{self, Serialize};

use super::scalar::{self, Style, pad};

/// Why an object could not be written: a type Kubernetes objects never hold.
#[derive(Debug)]
pub(super) struct Unsupported(String);

impl Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: Display>(message: T) -> Self {
        Unsupported(message.to_string())
    }
}

/// Where the next value goes, which decides what is written before it.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// A whole document, at column 0.
    Document,
    /// After `key:`, the key at column `indent`.
    MapValue { indent: usize },
    /// After `- `, the dash at column `indent`.
    SeqItem { indent: usize },
}

impl Place {
    /// The column of a nested mapping's keys.
    fn key_column(self) -> usize {
        match self {
            Place::Document => 0,
            Place::MapValue { indent } | Place::SeqItem { indent } => indent + 2,
        }
    }

    /// The column of a nested sequence's dashes: kubectl writes a mapping's
    /// sequence at the key's own column.
    fn dash_column(self) -> usize {
        match self {
            Place::Document => 0,
            Place::MapValue { indent } => indent,
            Place::SeqItem { indent } => indent + 2,
        }
    }

    /// Starts the line of a collection's child number `index`, whose key or
    /// dash is at `column`. The first child of a sequence item shares the
    /// dash's line; the first child of a mapping value starts a new one.
    fn start_child(self, out: &mut String, column: usize, index: usize) {
        match (index, self) {
            (0, Place::SeqItem { .. }) => {}
            (0, Place::MapValue { .. }) => {
                out.push('\n');
                pad(out, column);
            }
            _ => pad(out, column),
        }
    }

    /// Writes an empty collection, `{}` or `[]`, in place of its children.
    fn write_empty(self, out: &mut String, empty: &str) {
        out.push_str(self.scalar_prefix());
        out.push_str(empty);
        out.push('\n');
    }

    /// What separates a scalar from what precedes it.
    fn scalar_prefix(self) -> &'static str {
        match self {
            Place::MapValue { .. } => " ",
            Place::Document | Place::SeqItem { .. } => "",
        }
    }
}

/// Writes one value at one place.
pub(super) struct Writer<'a> {
    out: &'a mut String,
    place: Place,
}

impl<'a> Writer<'a> {
    /// A writer for a whole document.
    pub(super) fn document(out: &'a mut String) -> Self {
        Writer {
            out,
            place: Place::Document,
        }
    }

    fn scalar(self, text: &str) {
        self.out.push_str(self.place.scalar_prefix());
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn string(self, s: &str) {
        match scalar::value_style(s) {
            Style::Plain => self.scalar(s),
            // A literal block at column 0 would end at a line `---` or `...`.
            Style::DoubleQuoted | Style::Literal if matches!(self.place, Place::Document) => {
                scalar::write_double_quoted(self.out, s);
                self.out.push('\n');
            }
            Style::DoubleQuoted => {
                self.out.push_str(self.place.scalar_prefix());
                scalar::write_double_quoted(self.out, s);
                self.out.push('\n');
            }
            Style::Literal => {
                self.out.push_str(self.place.scalar_prefix());
                scalar::write_literal(self.out, s, self.place.key_column());
            }
        }
    }

    fn map(self) -> MapWriter<'a> {
        MapWriter {
            out: self.out,
            place: self.place,
            column: self.place.key_column(),
            entries: 0,
        }
    }

    fn seq(self) -> SeqWriter<'a> {
        SeqWriter {
            out: self.out,
            place: self.place,
            column: self.place.dash_column(),
            items: 0,
        }
    }
}

/// A float as YAML 1.1 and 1.2 readers both read it back: with a `.`, and an
/// exponent with its sign (YAML 1.1 reads `1e20` as a string).
fn float_text(v: f64) -> String {
    if v.is_nan() {
        return ".nan".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    // `{:?}` is the shortest text that reads back as `v`: `0.5`, `100.0`,
    // `1e20`, `1.5e-7`.
    let shortest = format!("{v:?}");
    let (mantissa, exponent) = match shortest.split_once('e') {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (shortest.as_str(), None),
    };
    let mut text = mantissa.to_owned();
    if !text.contains('.') {
        text.push_str(".0");
    }
    if let Some(exponent) = exponent {
        text.push('e');
        if !exponent.starts_with('-') {
            text.push('+');
        }
        text.push_str(exponent);
    }
    text
}

/// Writes the entries of a mapping, one `key: value` per line.
pub(super) struct MapWriter<'a> {
    out: &'a mut String,
    place: Place,
    column: usize,
    entries: usize,
}

impl MapWriter<'_> {
    fn key(&mut self, key: &str) {
        self.start_key();
        match scalar::key_style(key) {
            Style::Plain => self.out.push_str(key),
            _ => scalar::write_double_quoted(self.out, key),
        }
        self.out.push(':');
    }

    /// A struct field's name, which is written plain without the quoting
    /// scan: k8s-openapi's and our field names are camelCase identifiers.
    /// Debug builds, and so every test, check that they are.
    fn field_name(&mut self, name: &'static str) {
        debug_assert_eq!(scalar::key_style(name), Style::Plain, "field `{name}` needs quotes");
        self.start_key();
        self.out.push_str(name);
        self.out.push(':');
    }

    fn start_key(&mut self) {
        self.place.start_child(self.out, self.column, self.entries);
        self.entries += 1;
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        value.serialize(Writer {
            out: self.out,
            place: Place::MapValue { indent: self.column },
        })
    }

    fn finish(self) {
        if self.entries == 0 {
            self.place.write_empty(self.out, "{}");
        }
    }
}

/// Writes the items of a sequence, one `- item` each.
pub(super) struct SeqWriter<'a> {
    out: &'a mut String,
    place: Place,
    column: usize,
    items: usize,
}

impl SeqWriter<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.place.start_child(self.out, self.column, self.items);
        self.items += 1;
        self.out.push_str("- ");
        value.serialize(Writer {
            out: self.out,
            place: Place::SeqItem { indent: self.column },
        })
    }

    fn finish(self) {
        if self.items == 0 {
            self.place.write_empty(self.out, "[]");
        }
    }
}

/// Narrow numbers are written as their wide kind.
macro_rules! widened {
    ($($method:ident: $type:ty => $wide:ident),*) => {$(
        fn $method(self, v: $type) -> Result<(), Unsupported> {
            self.$wide(v.into())
        }
    )*};
}

/// Numbers, booleans and characters as keys are written as their text.
macro_rules! key_as_text {
    ($($method:ident: $type:ty),*) => {$(
        fn $method(self, v: $type) -> Result<(), Unsupported> {
            self.0.key(&v.to_string());
            Ok(())
        }
    )*};
}

/// Writes a mapping key (a string, number or boolean) into its map.
struct KeyWriter<'w, 'a>(&'w mut MapWriter<'a>);

impl ser::Serializer for KeyWriter<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = ser::Impossible<(), Unsupported>;
    type SerializeTuple = ser::Impossible<(), Unsupported>;
    type SerializeTupleStruct = ser::Impossible<(), Unsupported>;
    type SerializeTupleVariant = ser::Impossible<(), Unsupported>;
    type SerializeMap = ser::Impossible<(), Unsupported>;
    type SerializeStruct = ser::Impossible<(), Unsupported>;
    type SerializeStructVariant = ser::Impossible<(), Unsupported>;

    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        self.0.key(v);
        Ok(())
    }
    key_as_text!(
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_char: char
    );
    fn serialize_f32(self, _: f32) -> Result<(), Unsupported> {
        Err(unsupported("a floating-point mapping key"))
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Unsupported> {
        self.0.key(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_f64(self, _: f64) -> Result<(), Unsupported> {
        Err(unsupported("a floating-point mapping key"))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Unsupported> {
        Err(unsupported("a bytes mapping key"))
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        Err(unsupported("a null mapping key"))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        Err(unsupported("a null mapping key"))
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unsupported> {
        Err(unsupported("a null mapping key"))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _: &'static str, _: u32, _: &'static str, _: &T) -> Result<(), Unsupported> {
        Err(unsupported("a composite mapping key"))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
        Err(unsupported("a composite mapping key"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unsupported> {
        Err(unsupported("a composite mapping key"))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Err(unsupported("a composite mapping key"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(unsupported("a composite mapping key"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
        Err(unsupported("a composite mapping key"))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Unsupported> {
        Err(unsupported("a composite mapping key"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(unsupported("a composite mapping key"))
    }
}

fn unsupported(what: &str) -> Unsupported {
    Unsupported(format!("{what} cannot be written as Kubernetes YAML"))
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = SeqWriter<'a>;
    type SerializeTuple = SeqWriter<'a>;
    type SerializeTupleStruct = SeqWriter<'a>;
    type SerializeTupleVariant = ser::Impossible<(), Unsupported>;
    type SerializeMap = MapWriter<'a>;
    type SerializeStruct = MapWriter<'a>;
    type SerializeStructVariant = ser::Impossible<(), Unsupported>;

    fn serialize_bool(self, v: bool) -> Result<(), Unsupported> {
        self.scalar(if v { "true" } else { "false" });
        Ok(())
    }
    widened!(
        serialize_i8: i8 => serialize_i64,
        serialize_i16: i16 => serialize_i64,
        serialize_i32: i32 => serialize_i64,
        serialize_u8: u8 => serialize_u64,
        serialize_u16: u16 => serialize_u64,
        serialize_u32: u32 => serialize_u64,
        serialize_f32: f32 => serialize_f64
    );
    fn serialize_i64(self, v: i64) -> Result<(), Unsupported> {
        self.scalar(itoa::Buffer::new().format(v));
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Unsupported> {
        self.scalar(itoa::Buffer::new().format(v));
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Unsupported> {
        self.scalar(&float_text(v));
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Unsupported> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        self.string(v);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Unsupported> {
        Err(unsupported("raw bytes"))
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        self.scalar("null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        self.scalar("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unsupported> {
        self.scalar("null");
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Unsupported> {
        self.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        let mut map = self.map();
        map.key(variant);
        map.value(value)?;
        map.finish();
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<SeqWriter<'a>, Unsupported> {
        Ok(self.seq())
    }
    fn serialize_tuple(self, _: usize) -> Result<SeqWriter<'a>, Unsupported> {
        Ok(self.seq())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<SeqWriter<'a>, Unsupported> {
        Ok(self.seq())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(unsupported("a tuple variant"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapWriter<'a>, Unsupported> {
        Ok(self.map())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<MapWriter<'a>, Unsupported> {
        Ok(self.map())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(unsupported("a struct variant"))
    }
}

/// Sequences, tuples and tuple structs are all written as YAML sequences.
macro_rules! impl_sequence {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for SeqWriter<'_> {
            type Ok = ();
            type Error = Unsupported;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
                self.item(value)
            }
            fn end(self) -> Result<(), Unsupported> {
                self.finish();
                Ok(())
            }
        }
    )*};
}

impl_sequence!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

impl ser::SerializeMap for MapWriter<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unsupported> {
        key.serialize(KeyWriter(self))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.value(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.finish();
        Ok(())
    }
}

impl ser::SerializeStruct for MapWriter<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Unsupported> {
        self.field_name(key);
        self.value(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.finish();
        Ok(())
    }
}
