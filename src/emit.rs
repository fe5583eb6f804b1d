//! The YAML stream: one document per object, `---` between them.
//!
//! Objects are written by our own block-style writer ([`writer`]) rather
//! than a general YAML serializer: the render is mostly output, and
//! Kubernetes objects need only mappings, sequences and scalars. Every
//! string that a YAML 1.1 reader (kubectl, helm) could take for another type
//! (`"on"`, `"0755"`, `"12:30"`) is quoted ([`scalar`]), so what we write is
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
    stream(&manifests.iter().map(to_yaml).collect::<Vec<_>>())
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

pub fn to_yaml(manifest: &Manifest) -> String {
    let mut out = String::with_capacity(2048);
    write(&mut out, manifest);
    out
}

/// Appends one document (without its `---`).
pub fn write<T: Serialize + ?Sized>(out: &mut String, value: &T) {
    value
        .serialize(writer::Writer::document(out))
        .expect("Kubernetes objects hold only mappings, sequences and scalars");
}
