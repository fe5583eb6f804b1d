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

/// What starts each document of the stream.
pub const DOCUMENT_START: &str = "---\n";

pub fn to_yaml_stream(manifests: &[Manifest]) -> String {
    let mut out = String::with_capacity(manifests.len() * 2048);
    for manifest in manifests {
        out.push_str(DOCUMENT_START);
        write(&mut out, manifest);
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
