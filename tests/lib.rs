//! The integration tests, as one test binary.

mod bad_input;
mod cli;
mod common;
mod integrations;
mod jobs;
mod render;
mod rules;
mod schema;
mod security;
