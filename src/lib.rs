//! frappe-manifests: a Frappe/ERPNext values file in, a validated Kubernetes
//! manifest bundle out.
//!
//! Data flows one way, one module per stage:
//! text → [`load`] (granit-parser's events read into a [`node::Node`] tree
//! that keeps every span) → [`merge`]d with the other files, and [`set`]
//! overrides applied →
//! [`de`] (typed [`values::Values`]) → [`model`] (defaults resolved, every
//! rule checked) → [`objects`] (k8s-openapi objects) → [`emit`] (the YAML
//! stream, written by our own writer). [`pipeline`] runs the stages in order;
//! [`diagnostic`] and [`formats`] show what they found. [`argocd`],
//! [`kustomize`] and [`output_dir`] adapt the result to the tools that
//! consume it.

#![forbid(unsafe_code)]

pub mod argocd;
pub mod cli;
pub mod de;
pub mod diagnostic;
pub mod emit;
pub mod error;
pub mod formats;
pub mod kustomize;
pub mod lint;
pub mod load;
pub mod merge;
pub mod model;
pub mod node;
pub mod objects;
pub mod output_dir;
pub mod pipeline;
pub mod schema;
pub mod set;
pub mod source;
pub mod suggest;
pub mod templates;
pub mod values;
