//! frappe-manifests: a Frappe/ERPNext values file in, a validated Kubernetes
//! manifest bundle out.
//!
//! Data flows one way, one module per stage:
//! text → [`load`] (granit-parser's events read into a [`node::Node`] tree
//! that keeps every span) → merged with other files and [`set`] overrides →
//! [`de`] (typed [`values::Values`], each value a rule checks carrying where
//! it was written: [`values::Spanned`]) → [`model`] (defaults resolved,
//! every rule checked) → [`objects`] (k8s-openapi objects, Job scripts from
//! [`templates`]) → [`emit`] (the YAML stream, written by our own writer). [`pipeline`] runs the stages in order;
//! [`diagnostic`] and [`formats`] show what they found. [`argocd`],
//! [`kustomize`] and [`output_dir`] adapt the result to the tools that
//! consume it. [`diff`] compares a render with what runs, and [`takeover`]
//! plans the move of a live Helm release to the render.

#![forbid(unsafe_code)]

pub mod argocd;
pub mod cli;
pub mod colour;
pub mod de;
pub mod diagnostic;
pub mod diff;
pub mod emit;
pub mod formats;
pub mod kustomize;
pub mod load;
pub mod model;
pub mod node;
pub mod objects;
pub mod output_dir;
pub mod pipeline;
pub mod schema;
pub mod set;
pub mod source;
pub mod suggest;
pub mod takeover;
pub mod targets;
pub mod templates;
pub mod values;
