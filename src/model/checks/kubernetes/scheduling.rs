//! Where pods may run: tolerations, affinity, topology spread, and the
//! label and node selectors they are written with.

use k8s_openapi::api::core::v1::{Affinity, NodeSelectorTerm, PodAffinityTerm, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::diagnostic::Code;
use crate::model::k8s;
use crate::model::report::Reporter;
use crate::values::{Anchor, TopologySpreadValues};

use super::{check_labels, check_object_name};

/// Tolerations as the API server validates them (ValidateTolerations).
pub(crate) fn check_tolerations(tolerations: &[Toleration], at: &Anchor<'_>, report: &mut Reporter<'_>) {
    const EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];
    for (i, toleration) in tolerations.iter().enumerate() {
        let base = at.index(i);
        let key = toleration.key.as_deref().unwrap_or_default();
        let operator = toleration.operator.as_deref().unwrap_or("Equal");
        let value = toleration.value.as_deref().unwrap_or_default();
        let effect = toleration.effect.as_deref().unwrap_or_default();
        if !key.is_empty() && !k8s::is_qualified_name(key) {
            report
                .at(Code::InvalidLabel, base.key("key"), format!("`{key}` is not a valid taint key"))
                .with_help("taint keys are label keys: `[prefix/]name`, a DNS prefix and a name of letters, digits, `-`, `_` and `.`");
        }
        match operator {
            "Equal" | "" if key.is_empty() => {
                report
                    .at_key(
                        Code::InvalidValue,
                        &base,
                        "a toleration without a `key` must use `operator: Exists`",
                    )
                    .with_help("add the taint's `key`, or set `operator: Exists` to tolerate every taint");
            }
            "Equal" | "" if !k8s::is_label_value(value) => {
                report
                    .at(
                        Code::InvalidLabel,
                        base.key("value"),
                        format!("`{value}` is not a valid taint value"),
                    )
                    .with_help("taint values are at most 63 letters, digits, `-`, `_` and `.`");
            }
            "Exists" if !value.is_empty() => {
                report
                    .at(Code::InvalidValue, base.key("value"), "`operator: Exists` takes no `value`")
                    .with_help("remove `value`, or use `operator: Equal`");
            }
            "Equal" | "" | "Exists" => {}
            other => {
                report
                    .at(
                        Code::InvalidValue,
                        base.key("operator"),
                        format!("`{other}` is not a toleration operator"),
                    )
                    .with_help("use `Equal` or `Exists`");
            }
        }
        if !effect.is_empty() && !EFFECTS.contains(&effect) {
            report
                .at(Code::InvalidValue, base.key("effect"), format!("`{effect}` is not a taint effect"))
                .with_help_closest(
                    effect,
                    EFFECTS,
                    "use `NoSchedule`, `PreferNoSchedule` or `NoExecute`, or leave it out to match every effect",
                );
        }
        if toleration.toleration_seconds.is_some() && effect != "NoExecute" {
            report
                .at_key(
                    Code::InvalidValue,
                    base.key("tolerationSeconds"),
                    "`tolerationSeconds` needs `effect: NoExecute`",
                )
                .with_help("set `effect: NoExecute`, or remove `tolerationSeconds`");
        }
    }
}

/// Affinity as validateAffinity checks it (validation.go): node selector
/// terms and their operators, weights of 1 to 100, and pod affinity terms
/// with a topology key, valid namespaces and label selectors.
pub(crate) fn check_affinity(affinity: &Affinity, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    const REQUIRED: &str = "requiredDuringSchedulingIgnoredDuringExecution";
    const PREFERRED: &str = "preferredDuringSchedulingIgnoredDuringExecution";
    if let Some(node) = &affinity.node_affinity {
        let at = at.key("nodeAffinity");
        if let Some(required) = &node.required_during_scheduling_ignored_during_execution {
            if required.node_selector_terms.is_empty() {
                report
                    .at_key(Code::InvalidValue, at.key(REQUIRED), "a required node affinity needs at least one of `nodeSelectorTerms`")
                    .with_help("add a term such as `{matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [amd64]}]}`, or remove the key");
            }
            for (i, term) in required.node_selector_terms.iter().enumerate() {
                check_node_selector_term(term, &at.key(REQUIRED).key("nodeSelectorTerms").index(i), report);
            }
        }
        for (i, term) in node
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .flatten()
            .enumerate()
        {
            check_weight(term.weight, &at.key(PREFERRED).index(i).key("weight"), report);
            check_node_selector_term(&term.preference, &at.key(PREFERRED).index(i).key("preference"), report);
        }
    }
    let pod_affinities = [
        (
            "podAffinity",
            affinity.pod_affinity.as_ref().map(|a| {
                (
                    &a.required_during_scheduling_ignored_during_execution,
                    &a.preferred_during_scheduling_ignored_during_execution,
                )
            }),
        ),
        (
            "podAntiAffinity",
            affinity.pod_anti_affinity.as_ref().map(|a| {
                (
                    &a.required_during_scheduling_ignored_during_execution,
                    &a.preferred_during_scheduling_ignored_during_execution,
                )
            }),
        ),
    ];
    for (key, terms) in pod_affinities {
        let Some((required, preferred)) = terms else { continue };
        let at = at.key(key);
        for (i, term) in required.iter().flatten().enumerate() {
            check_pod_affinity_term(term, &at.key(REQUIRED).index(i), report);
        }
        for (i, term) in preferred.iter().flatten().enumerate() {
            check_weight(term.weight, &at.key(PREFERRED).index(i).key("weight"), report);
            check_pod_affinity_term(&term.pod_affinity_term, &at.key(PREFERRED).index(i).key("podAffinityTerm"), report);
        }
    }
}

fn check_weight(weight: i32, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    if !(1..=100).contains(&weight) {
        report
            .at(Code::InvalidValue, at, format!("`weight` must be 1 to 100, not {weight}"))
            .with_help("the scheduler adds the weights of the terms a node meets: give the most wanted the most");
    }
}

/// A node selector term (ValidateNodeSelectorTerm): its expressions by
/// node label, and its fields, of which only `metadata.name` is one.
fn check_node_selector_term(term: &NodeSelectorTerm, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    for (i, requirement) in term.match_expressions.iter().flatten().enumerate() {
        let values = requirement.values.as_deref().unwrap_or_default();
        check_requirement(
            Selector::Node,
            &requirement.key,
            &requirement.operator,
            values,
            &at.key("matchExpressions").index(i),
            report,
        );
    }
    for (i, requirement) in term.match_fields.iter().flatten().enumerate() {
        let base = at.key("matchFields").index(i);
        if requirement.key != "metadata.name" {
            report
                .at(
                    Code::InvalidValue,
                    base.key("key"),
                    format!("`{}` is not a node field a selector can match", requirement.key),
                )
                .with_help("match `metadata.name`, or select by a node label under `matchExpressions`");
        }
        let values = requirement.values.as_deref().unwrap_or_default();
        if !matches!(requirement.operator.as_str(), "In" | "NotIn") {
            report
                .at(
                    Code::InvalidValue,
                    base.key("operator"),
                    format!("`{}` is not an operator for a node field", requirement.operator),
                )
                .with_help("use `In` or `NotIn`");
        } else if values.len() != 1 {
            report.at_key(
                Code::InvalidValue,
                base.key("values"),
                "a node field selector takes exactly one value",
            );
        }
        for (j, value) in values.iter().enumerate() {
            check_object_name(value, "Node", &base.key("values").index(j), report);
        }
    }
}

/// A pod affinity term (validatePodAffinityTerm): its selectors, the
/// namespaces it names, and a topology key, which it cannot go without.
fn check_pod_affinity_term(term: &PodAffinityTerm, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    if let Some(selector) = &term.label_selector {
        check_label_selector(selector, &at.key("labelSelector"), report);
    }
    if let Some(selector) = &term.namespace_selector {
        check_label_selector(selector, &at.key("namespaceSelector"), report);
    }
    for (i, namespace) in term.namespaces.iter().flatten().enumerate() {
        if !k8s::is_dns1123_label(namespace) {
            report.at(
                Code::InvalidName,
                at.key("namespaces").index(i),
                format!("`{namespace}` is not a valid namespace name"),
            );
        }
    }
    if term.topology_key.is_empty() {
        report
            .at_key(
                Code::InvalidValue,
                at.key("topologyKey"),
                "a pod affinity term needs a `topologyKey`",
            )
            .with_help("name the node label that groups nodes, such as `kubernetes.io/hostname` or `topology.kubernetes.io/zone`");
    } else if !k8s::is_qualified_name(&term.topology_key) {
        report.at(
            Code::InvalidLabel,
            at.key("topologyKey"),
            format!("`{}` is not a node label key", term.topology_key),
        );
    }
}

/// Topology spread constraints as the API server validates them, and a
/// topology key that can name a node label at all.
pub(crate) fn check_topology_spread(spread: TopologySpreadValues<'_>, report: &mut Reporter<'_>) {
    type Constraint<'a> = ((i32, Anchor<'a>), (&'a str, Anchor<'a>), (&'a str, Anchor<'a>));
    let constraints: Vec<Constraint<'_>> = match spread.custom.as_deref() {
        Some(custom) => custom
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let at = spread.custom.anchor().index(i);
                (
                    (c.max_skew, at.key("maxSkew")),
                    (c.topology_key.as_str(), at.key("topologyKey")),
                    (c.when_unsatisfiable.as_str(), at.key("whenUnsatisfiable")),
                )
            })
            .collect(),
        None => {
            let default = spread.default;
            vec![(
                (*default.max_skew, default.max_skew.anchor()),
                (default.topology_key.as_str(), default.topology_key.anchor()),
                (default.when_unsatisfiable.as_str(), default.when_unsatisfiable.anchor()),
            )]
        }
    };
    for ((max_skew, max_skew_at), (topology_key, topology_key_at), (when_unsatisfiable, when_unsatisfiable_at)) in constraints {
        if max_skew < 1 {
            report.at(
                Code::InvalidValue,
                max_skew_at,
                format!("`maxSkew` must be at least 1, not {max_skew}"),
            );
        }
        if !k8s::is_qualified_name(topology_key) {
            report
                .at(
                    Code::InvalidLabel,
                    topology_key_at,
                    format!("`{topology_key}` is not a node label key"),
                )
                .with_help("use a node label such as `kubernetes.io/hostname` or `topology.kubernetes.io/zone`");
        }
        if !matches!(when_unsatisfiable, "DoNotSchedule" | "ScheduleAnyway") {
            report
                .at(
                    Code::InvalidValue,
                    when_unsatisfiable_at,
                    format!("`{when_unsatisfiable}` is not a `whenUnsatisfiable` action"),
                )
                .with_help("use `DoNotSchedule` or `ScheduleAnyway`");
        }
    }
}

/// Which selector a requirement is of: a label selector's
/// (ValidateLabelSelectorRequirement) or a node selector's, which also
/// compares numbers (ValidateNodeSelectorRequirement: `Gt` and `Lt`, with
/// one value).
#[derive(Clone, Copy, PartialEq)]
enum Selector {
    Label,
    Node,
}

/// A requirement's key, operator and the number of its values.
fn check_requirement(selector: Selector, key: &str, operator: &str, values: &[String], at: &Anchor<'_>, report: &mut Reporter<'_>) {
    let node = selector == Selector::Node;
    if !k8s::is_qualified_name(key) {
        let what = if node { "node label key" } else { "label key" };
        report.at(Code::InvalidLabel, at.key("key"), format!("`{key}` is not a valid {what}"));
    }
    let wrong = match operator {
        "In" | "NotIn" if values.is_empty() => format!("`{operator}` needs `values`"),
        "Exists" | "DoesNotExist" if !values.is_empty() => format!("`{operator}` takes no `values`"),
        "Gt" | "Lt" if node && values.len() != 1 => format!("`{operator}` takes exactly one value, a number"),
        "In" | "NotIn" | "Exists" | "DoesNotExist" => return,
        "Gt" | "Lt" if node => return,
        other => {
            let (what, operators) = if node {
                ("a node selector", "`In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt` or `Lt`")
            } else {
                ("a selector", "`In`, `NotIn`, `Exists` or `DoesNotExist`")
            };
            report
                .at(Code::InvalidValue, at.key("operator"), format!("`{other}` is not {what} operator"))
                .with_help(format!("use {operators}"));
            return;
        }
    };
    report.at_key(Code::InvalidValue, at.key("values"), wrong);
}

/// A label selector's labels and expressions.
pub(crate) fn check_label_selector(selector: &LabelSelector, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    if let Some(labels) = &selector.match_labels {
        check_labels(labels, &at.key("matchLabels"), report);
    }
    for (i, requirement) in selector.match_expressions.iter().flatten().enumerate() {
        let base = at.key("matchExpressions").index(i);
        let values = requirement.values.as_deref().unwrap_or_default();
        check_requirement(Selector::Label, &requirement.key, &requirement.operator, values, &base, report);
        for (j, value) in values.iter().enumerate() {
            if !k8s::is_label_value(value) {
                report.at(
                    Code::InvalidLabel,
                    base.key("values").index(j),
                    format!("`{value}` is not a valid label value"),
                );
            }
        }
    }
}
