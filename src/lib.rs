//! frappe-manifests: a Frappe/ERPNext values file in, a validated Kubernetes
//! manifest bundle out.
//!
//! Data flows one way, one module per stage:
//! text ([`source`]) → [`load`] (granit-parser's events read into a
//! [`node::Node`] tree that keeps every span; the same parse finds the
//! text's secrets) → [`merge`]d with the other files, and [`set`] overrides
//! applied → [`de`] (typed [`values::Values`], each value a rule checks
//! carrying where it was written: [`values::Spanned`]) → [`model`] (defaults
//! resolved, every rule checked) → [`objects`] (k8s-openapi objects, Job
//! scripts from [`templates`]) → [`emit`] (the YAML stream, written by our
//! own writer). [`pipeline`] runs the stages in order; [`diagnostic`] and
//! [`formats`] show what they found, and [`lint`] checks many files at once.
//! [`argocd`], [`kustomize`] and [`output_dir`] adapt the result to the
//! tools that consume it; what stops them is an [`error::Error`]. [`diff`]
//! compares a render with what runs, and [`takeover`] plans the move of a
//! live Helm release to the render.
//!
//! Below the stages, modules depend only downwards: [`unicode`] (which
//! characters are shown escaped) ← [`source`] (texts, spans, secrets) ←
//! [`node`] (the tree and its paths) ← [`diagnostic`] ← the stages that
//! report.

#![forbid(unsafe_code)]

pub mod argocd;
pub mod cli;
pub mod colour;
pub mod de;
pub mod diagnostic;
pub mod diff;
pub mod emit;
pub mod error;
pub mod formats;
pub mod kustomize;
pub mod lint;
pub mod load;
mod merge;
pub mod model;
pub mod node;
pub mod objects;
pub mod order;
pub mod output_dir;
pub mod pipeline;
pub mod rule_control;
pub mod schema;
mod set;
pub mod source;
mod suggest;
pub mod takeover;
pub mod targets;
mod templates;
pub mod unicode;
pub mod values;
