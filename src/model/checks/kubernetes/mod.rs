//! What the API server would reject in the Kubernetes types the values
//! embed (probes, resources, env, containers, tolerations, labels, selectors,
//! spread, affinity, security contexts, volumes and their mounts, an HPA's
//! behavior, NetworkPolicy egress rules) and in the names of objects they
//! refer to.
//!
//! These types carry no places of their own: each check gets an [`Anchor`]
//! at the value that holds one, and points at keys below it. One file per
//! subject; the checks the values' keys call are re-exported here, and the
//! small ones several subjects share (ports, quantities, labels, names)
//! live here.

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::diagnostic::Code;
use crate::model::k8s;
use crate::model::report::Reporter;
use crate::values::{Anchor, StringMap};

mod autoscaling;
mod containers;
mod env;
mod network;
mod probes;
mod resources;
mod scheduling;
mod security;

pub(super) use autoscaling::check_hpa_behavior;
pub(super) use containers::{check_containers, check_image_reference, check_mounted_volumes_exist, check_volumes};
pub(super) use env::check_env;
pub(super) use network::check_egress_rules;
pub(super) use probes::{ProbeKind, check_probe};
pub(super) use resources::check_resources;
pub(super) use scheduling::{check_affinity, check_label_selector, check_tolerations, check_topology_spread};
pub(super) use security::{check_pod_security_context, check_security_context};

/// A named port (IsValidPortName).
fn check_port_name(name: &str, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    if !k8s::is_port_name(name) {
        report
            .at(Code::InvalidPort, at, format!("`{name}` is not a valid port name"))
            .with_help("port names are at most 15 lower-case letters, digits and `-`, with at least one letter, e.g. `http` or `metrics`");
    }
}

/// The name an int-or-string `port` gives as text. Digits in quotes are
/// text too, which the API server reads as a name and refuses: the fix is
/// the quotes (or `--set-string`), not the name.
fn check_named_port(name: &str, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        report
            .at(
                Code::InvalidPort,
                at,
                format!("`\"{name}\"` is text, which names a port, and a port name needs a letter"),
            )
            .with_help(format!("write the number {name} without quotes (with `--set`, not `--set-string`)"));
    } else {
        check_port_name(name, at, report);
    }
}

pub(super) fn check_port(port: i32, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    if !(1..=65535).contains(&port) {
        report
            .at(Code::InvalidPort, at, format!("`{port}` is not a port"))
            .with_help("ports are 1 to 65535");
    }
}

/// `at` is built only for a report: quantities are many, and almost all
/// of them valid.
pub(super) fn check_quantity<'a>(quantity: &Quantity, at: impl FnOnce() -> Anchor<'a>, report: &mut Reporter<'_>) {
    if !k8s::is_quantity(&quantity.0) {
        report
            .at(
                Code::InvalidQuantity,
                at(),
                format!("`{}` is not a Kubernetes quantity", quantity.0),
            )
            .with_help("write a number with an optional suffix: `500m` or `2` CPUs, `512Mi` or `1.5Gi` of memory");
    }
}

pub(super) fn check_annotations(annotations: &StringMap, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    for key in annotations.keys() {
        if !k8s::is_qualified_name(key) {
            report
                .at_key(Code::InvalidLabel, at.key(key), format!("`{key}` is not a valid annotation key"))
                .with_help("keys are `[prefix/]name`: a DNS prefix, and a name of letters, digits, `-`, `_` and `.`");
        }
    }
}

pub(super) fn check_labels(labels: &StringMap, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    for (key, value) in labels {
        if !k8s::is_qualified_name(key) {
            report.at_key(Code::InvalidLabel, at.key(key), format!("`{key}` is not a valid label key"));
        } else if !k8s::is_label_value(value) {
            report
                .at(Code::InvalidLabel, at.key(key), format!("`{value}` is not a valid label value"))
                .with_help("label values are at most 63 letters, digits, `-`, `_` and `.`");
        }
    }
}

/// Reports `name` unless an object of `kind` could have it: the objects
/// named here (Secrets, claims, classes, ServiceAccounts, Gateways) all have
/// DNS-1123 subdomains as names, and a reference to a name no object can
/// have never finds one.
pub(super) fn check_object_name(name: &str, kind: &str, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    if k8s::is_dns1123_subdomain(name) {
        return;
    }
    let message = if name.is_empty() {
        format!("the {kind} name is empty")
    } else {
        format!("`{name}` is not a valid {kind} name")
    };
    report.at(Code::InvalidName, at, message).with_help(format!(
        "{kind} names are lower-case letters, digits, `-` and `.`, start and end with a letter or digit, and have at most 253 characters"
    ));
}

/// Reports `key` unless a Secret can hold it (IsConfigMapKey).
pub(super) fn check_secret_key(key: &str, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    if !k8s::is_config_key(key) {
        let message = if key.is_empty() {
            "the Secret key is empty".to_owned()
        } else {
            format!("`{key}` is not a valid Secret key")
        };
        report
            .at(Code::InvalidValue, at, message)
            .with_help("Secret keys are at most 253 letters, digits, `-`, `_` and `.`, and do not start with `..`");
    }
}
