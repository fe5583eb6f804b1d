//! NetworkPolicy rules the values give (`networkPolicy.externalEgress`), as
//! the API server validates them (networking validation.go:
//! ValidateNetworkPolicyPort, ValidateNetworkPolicyPeer, ValidateIPBlock).

use k8s_openapi::api::networking::v1::{NetworkPolicyEgressRule, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::diagnostic::Code;
use crate::model::k8s::Cidr;
use crate::model::report::Reporter;
use crate::values::Anchor;

use super::{check_label_selector, check_named_port, check_port};

pub(crate) fn check_egress_rules(rules: &[NetworkPolicyEgressRule], at: &Anchor<'_>, report: &mut Reporter<'_>) {
    for (i, rule) in rules.iter().enumerate() {
        let at = at.index(i);
        for (j, port) in rule.ports.iter().flatten().enumerate() {
            check_policy_port(port, &at.key("ports").index(j), report);
        }
        for (j, peer) in rule.to.iter().flatten().enumerate() {
            check_policy_peer(peer, &at.key("to").index(j), report);
        }
    }
}

fn check_policy_port(port: &NetworkPolicyPort, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    const PROTOCOLS: &[&str] = &["TCP", "UDP", "SCTP"];
    if let Some(protocol) = port.protocol.as_deref()
        && !PROTOCOLS.contains(&protocol)
    {
        let diagnostic = report.at(Code::InvalidValue, at.key("protocol"), format!("`{protocol}` is not a protocol"));
        match PROTOCOLS.iter().find(|p| p.eq_ignore_ascii_case(protocol)) {
            Some(upper) => diagnostic.with_help(format!("protocols are upper case: `{upper}`")),
            None => diagnostic.with_help("use `TCP`, `UDP` or `SCTP`, or leave it out for TCP"),
        };
    }
    match (&port.port, port.end_port) {
        (Some(IntOrString::Int(number)), end) => {
            check_port(*number, &at.key("port"), report);
            if let Some(end) = end {
                check_port(end, &at.key("endPort"), report);
                if end < *number {
                    report
                        .at(
                            Code::InvalidValue,
                            at.key("endPort"),
                            format!("`endPort` {end} is below `port` {number}"),
                        )
                        .with_help("`port` and `endPort` are the first and last port of a range: swap them");
                }
            }
        }
        (Some(IntOrString::String(name)), end) => {
            check_named_port(name, &at.key("port"), report);
            if end.is_some() {
                report
                    .at_key(Code::InvalidValue, at.key("endPort"), "`endPort` needs a numeric `port`")
                    .with_help("a range runs between port numbers: give `port` as a number, or remove `endPort`");
            }
        }
        (None, Some(_)) => {
            report
                .at_key(Code::InvalidValue, at.key("endPort"), "`endPort` needs a `port`")
                .with_help("set `port` to the first port of the range, or remove `endPort` to allow every port");
        }
        (None, None) => {}
    }
}

fn check_policy_peer(peer: &NetworkPolicyPeer, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    if let Some(selector) = &peer.pod_selector {
        check_label_selector(selector, &at.key("podSelector"), report);
    }
    if let Some(selector) = &peer.namespace_selector {
        check_label_selector(selector, &at.key("namespaceSelector"), report);
    }
    let Some(block) = &peer.ip_block else {
        if peer.pod_selector.is_none() && peer.namespace_selector.is_none() {
            report
                .at_key(
                    Code::InvalidValue,
                    at,
                    "a peer needs `ipBlock`, `podSelector` or `namespaceSelector`",
                )
                .with_help("name where the pods may connect, e.g. `{ipBlock: {cidr: 203.0.113.0/24}}`");
        }
        return;
    };
    if peer.pod_selector.is_some() || peer.namespace_selector.is_some() {
        report
            .at_key(
                Code::InvalidValue,
                at.key("ipBlock"),
                "`ipBlock` cannot share a peer with a selector",
            )
            .with_help("give the `ipBlock` and the selector a list item each");
    }
    let Some(cidr) = Cidr::parse(&block.cidr) else {
        report
            .at(
                Code::InvalidValue,
                at.key("ipBlock").key("cidr"),
                format!("`{}` is not a CIDR range", block.cidr),
            )
            .with_help("write an address, `/` and a prefix length, e.g. `203.0.113.0/24` or `2001:db8::/32`");
        return;
    };
    for (i, except) in block.except.iter().flatten().enumerate() {
        let at = at.key("ipBlock").key("except").index(i);
        match Cidr::parse(except) {
            None => {
                report
                    .at(Code::InvalidValue, at, format!("`{except}` is not a CIDR range"))
                    .with_help("write an address, `/` and a prefix length, e.g. `169.254.169.254/32`");
            }
            Some(inner) if !cidr.strictly_contains(&inner) => {
                report
                    .at(
                        Code::InvalidValue,
                        at,
                        format!("`{except}` is not a smaller range inside `{}`", block.cidr),
                    )
                    .with_help("`except` takes ranges out of `cidr`: each must lie inside it and be smaller");
            }
            Some(_) => {}
        }
    }
}
