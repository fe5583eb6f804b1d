//! The integration tests, as one test binary.

#![forbid(unsafe_code)]

mod bad_input;
mod chart_values;
mod cli;
mod common;
mod diff;
mod fake_bench;
mod fleet;
mod hostile;
mod integrations;
mod jobs;
mod lint;
mod load;
mod masking;
mod phased_apply;
mod render;
mod rules;
mod runtime;
mod schema;
mod security;
mod set_json;
mod sigterm;
mod site_records;
mod takeover;
mod upgrades;
