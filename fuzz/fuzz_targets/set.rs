//! `--set` parsing and application on a valid bench: any argument gives a
//! clear error or a bundle, never a panic.
#![no_main]

use frappe_manifests::pipeline::{self, Input, Request};
use libfuzzer_sys::fuzz_target;

const VALUES: &str = "dbHost: db\nexternalRedis:\n  cache: redis://c:6379\n  queue: redis://q:6379\ningress:\n  enabled: true\n  hosts:\n    - host: erp.example.com\n      paths: [{path: /, pathType: Prefix}]\n";

fuzz_target!(|data: &[u8]| {
    let Ok(argument) = std::str::from_utf8(data) else { return };
    // As `--set`, `--set-string`, `--set-json` and `--set-literal`
    // (`--set-file` would read files).
    for request in [
        Request {
            files: vec![Input::Stdin(VALUES.as_bytes().to_vec())],
            sets: vec![argument.to_owned()],
            ..Default::default()
        },
        Request {
            files: vec![Input::Stdin(VALUES.as_bytes().to_vec())],
            set_strings: vec![argument.to_owned()],
            ..Default::default()
        },
        Request {
            files: vec![Input::Stdin(VALUES.as_bytes().to_vec())],
            set_jsons: vec![argument.to_owned()],
            ..Default::default()
        },
        Request {
            files: vec![Input::Stdin(VALUES.as_bytes().to_vec())],
            set_literals: vec![argument.to_owned()],
            ..Default::default()
        },
    ] {
        let outcome = pipeline::run(&request);
        assert!(outcome.manifests.is_some() || outcome.diagnostics.iter().any(|d| d.is_error()));
    }
});
