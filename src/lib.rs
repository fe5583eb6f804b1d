//! frappe-manifests: a Frappe/ERPNext values file in, a validated Kubernetes
//! manifest bundle out.
//!
//! Data flows one way, one module per stage:
//! text → [`load`] (a [`node::Node`] tree with spans) → merged with other
//! files and [`set`] overrides → [`de`] (typed [`values::Values`]) →
//! [`model`] (defaults resolved, every rule checked) → [`objects`]
//! (k8s-openapi objects) → [`emit`] (the YAML stream). [`pipeline`] runs the
//! stages in order; [`diagnostic`] and [`formats`] show what they found.
//! [`diff`] compares a render with what runs, and [`takeover`] plans the move
//! of a live Helm release to the render.
//! [`argocd`], [`kustomize`] and [`output_dir`] adapt the result to the
//! tools that consume it. [`alloc`] is the binary's memory allocator, and
//! [`mem`] its `memcpy`, `memmove` and `memset` when it links musl.

pub mod alloc;
pub mod argocd;
pub mod cli;
pub mod de;
pub mod diagnostic;
pub mod diff;
pub mod emit;
pub mod formats;
pub mod kustomize;
pub mod load;
#[cfg(target_arch = "x86_64")]
pub mod mem;
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
pub mod templates;
pub mod values;
