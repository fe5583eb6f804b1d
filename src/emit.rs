//! The YAML stream: one document per object, `---` between them.
//!
//! Objects, and every other YAML the tool prints (the KRM function's
//! ResourceList, `--output-dir`'s kustomization), are written by our own
//! block-style writer (`writer`) rather than a general YAML serializer:
//! the render is mostly output, and Kubernetes objects need only mappings,
//! sequences and scalars. Every
//! string that a YAML 1.1 reader (kubectl, helm) could take for another type
//! (`"on"`, `"0755"`, `"12:30"`) is quoted (`scalar`), so what we write is
//! read back as written. The stream is built in memory and written in one
//! piece, so nothing half-written ever reaches stdout.

mod scalar;
mod writer;

use serde::Serialize;

use crate::objects::Manifest;

/// What a render's documents are first written into: the production example's
/// bundle is about 33 KiB, and memory reserved but not written costs nothing.
pub const STREAM_CAPACITY: usize = 64 * 1024;

pub fn to_yaml_stream(manifests: &[Manifest]) -> String {
    stream(&manifests.iter().map(to_yaml::<Manifest>).collect::<Vec<_>>())
}

/// Joins documents, each written by [`to_yaml`], into one stream, `---`
/// before each; sized up front, as the stream is most of a render's output.
pub fn stream(documents: &[impl AsRef<str>]) -> String {
    const START: &str = "---\n";
    let mut out = String::with_capacity(documents.iter().map(|d| START.len() + d.as_ref().len()).sum());
    for document in documents {
        out.push_str(START);
        out.push_str(document.as_ref());
    }
    out
}

/// One document (without its `---`): an object, or anything else the tool
/// writes as YAML (a KRM ResourceList, a kustomization).
pub fn to_yaml<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = String::with_capacity(2048);
    write(&mut out, value);
    out
}

/// Appends one document (without its `---`).
pub fn write<T: Serialize + ?Sized>(out: &mut String, value: &T) {
    value
        .serialize(writer::Writer::document(out))
        .expect("what the tool writes holds only mappings, sequences and scalars");
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};

    use super::write;

    /// The strings the writer is tested with, here and through real YAML 1.1
    /// readers in `tests/hostile.rs`: words every reader types differently,
    /// indicators, multi-line text, every Unicode line break, controls.
    fn tricky_strings() -> Vec<String> {
        serde_json::from_str(include_str!("../tests/fixtures/yaml-strings.json")).expect("a JSON array of strings")
    }

    #[test]
    fn every_string_reads_back_as_written_wherever_it_stands() {
        for s in tricky_strings() {
            let keyed: BTreeMap<&str, &str> = [(s.as_str(), "value"), ("other", s.as_str())].into();
            let document = json!({
                "value": s,
                "list": [s, {"nested": {"deeper": [s]}}],
                "keyed": keyed,
            });
            let mut out = String::new();
            write(&mut out, &document);
            assert!(
                !out.contains(['\u{85}', '\u{2028}', '\u{2029}']),
                "{s:?} left a line break YAML 1.1 readers see:\n{out}"
            );
            assert!(
                !out.contains(crate::unicode::is_bidi_control),
                "{s:?} left a bidirectional control a reviewer does not see:\n{out}"
            );
            let read: Value = serde_saphyr::from_str(&out).unwrap_or_else(|e| panic!("{s:?} does not read back: {e}\n{out}"));
            assert_eq!(read, document, "{s:?} reads back as another value:\n{out}");
        }
    }

    #[test]
    fn a_string_document_is_never_a_literal_block() {
        let mut out = String::new();
        write(&mut out, "a\n---\nkind: ConfigMap\n");
        assert_eq!(out, "\"a\\n---\\nkind: ConfigMap\\n\"\n");
    }

    #[test]
    fn floats_read_back_as_floats_in_yaml_1_1() {
        for (value, text) in [
            (0.5, "0.5"),
            (100.0, "100.0"),
            (1e20, "1.0e+20"),
            (1.5e-7, "1.5e-7"),
            (-2.5e300, "-2.5e+300"),
        ] {
            let mut out = String::new();
            write(&mut out, &value);
            assert_eq!(out, format!("{text}\n"));
        }
    }
}
