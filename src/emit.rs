//! The YAML stream: one document per object, `---` between them.
//!
//! serde-saphyr quotes every string that a YAML 1.1 reader (kubectl, helm)
//! could take for another type (`"on"`, `"0755"`, `"12:30"`), so what we
//! write is read back as written. The stream is built in memory and written
//! in one piece, so nothing half-written ever reaches stdout.

use crate::objects::Manifest;

pub fn to_yaml_stream(manifests: &[Manifest]) -> String {
    let mut out = String::with_capacity(manifests.len() * 2048);
    for manifest in manifests {
        out.push_str("---\n");
        out.push_str(&to_yaml(manifest));
    }
    out
}

pub fn to_yaml(manifest: &Manifest) -> String {
    serde_saphyr::to_string(manifest).expect("Kubernetes objects serialize to YAML")
}
