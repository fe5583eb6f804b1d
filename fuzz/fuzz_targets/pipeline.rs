//! The whole pipeline on arbitrary bytes: load, validate, render, emit.
//!
//! Beyond "no panic": whenever a bundle renders, the stream parses back as
//! YAML, every document has apiVersion, kind and metadata.name, and a second
//! render of the same bytes, by `pipeline::render`, gives the same bytes.
//! Every value of every object reads back as written, and the stream holds
//! no raw NEL, LS or PS, which YAML 1.1 readers take for line breaks.
#![no_main]

use frappe_manifests::diagnostic::{Colour, render_human};
use frappe_manifests::emit;
use frappe_manifests::objects::Manifest;
use frappe_manifests::pipeline::{self, Input, Request};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let request = Request {
        files: vec![Input::Stdin(data.to_vec())],
        ..Default::default()
    };
    let outcome = pipeline::run(&request);
    // Rendering diagnostics must not panic either (spans into odd text).
    let _ = render_human(&outcome.sources, &outcome.diagnostics, Colour::Plain);
    let Some(manifests) = &outcome.manifests else {
        assert!(outcome.diagnostics.iter().any(|d| d.is_error()), "no bundle and no error");
        return;
    };
    let stream = emit::to_yaml_stream(manifests);
    let docs: Vec<Value> = serde_saphyr::from_str_multiple(&stream).expect("the emitted stream parses back");
    assert_eq!(docs.len(), manifests.len());
    assert_no_raw_line_separators(&stream);
    assert_objects_read_back(manifests, &docs);
    for doc in &docs {
        assert!(
            doc["apiVersion"].is_string() && doc["kind"].is_string() && doc["metadata"]["name"].is_string(),
            "{doc}"
        );
    }
    // A second render, through the binary's path that writes each object as
    // it is built: the same bytes, so also deterministic.
    let again = pipeline::render(&request);
    assert_eq!(
        again.manifests.as_deref(),
        Some(stream.as_str()),
        "the streamed render differs from the objects' stream"
    );
});

/// YAML 1.1 readers (PyYAML, go-yaml under kubectl) break lines at NEL, LS
/// and PS; written raw, one would let the text after it become structure.
fn assert_no_raw_line_separators(stream: &str) {
    assert!(
        !stream.contains(['\u{85}', '\u{2028}', '\u{2029}']),
        "a raw line separator is in the stream"
    );
}

/// Each document, parsed back, is its object: every string the same string
/// and every number, boolean and null the same.
fn assert_objects_read_back(manifests: &[Manifest], docs: &[Value]) {
    for (manifest, doc) in manifests.iter().zip(docs) {
        let written = serde_json::to_value(manifest).expect("an object converts to JSON");
        assert_eq!(doc, &written, "an object reads back as another value");
    }
}
