//! The integration tests, as one test binary.

// The tests run on the binary's allocator, so that every test exercises it.
#[global_allocator]
static ALLOCATOR: frappe_manifests::alloc::SizeClasses = frappe_manifests::alloc::SizeClasses;

mod bad_input;
mod cli;
mod common;
mod diff;
mod hostile;
mod integrations;
mod jobs;
mod masking;
mod render;
mod rules;
mod runtime;
mod schema;
mod security;
mod takeover;
mod yaml_readers;
