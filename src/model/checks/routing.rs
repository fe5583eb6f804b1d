//! The Ingress's and the HTTPRoute's hosts, paths and names, as the API
//! server (and the Gateway API's CRD) validate them.

use super::kubernetes::{check_annotations, check_object_name};
use crate::diagnostic::Code;
use crate::model::k8s;
use crate::model::report::Reporter;
use crate::values::{Anchor, HttpRoute, Ingress, NetworkPolicy, WebsocketMode};

pub(super) fn check_ingress(ingress: &Ingress, report: &mut Reporter<'_>) {
    if let Some(name) = ingress.ingress_name.as_deref().filter(|n| !n.is_empty()) {
        check_object_name(name, "Ingress", &ingress.ingress_name.anchor(), report);
    }
    if let Some(class) = ingress.class_name.as_deref().filter(|c| !c.is_empty()) {
        check_object_name(class, "IngressClass", &ingress.class_name.anchor(), report);
    }
    check_annotations(&ingress.annotations, &ingress.annotations.anchor(), report);
    for host in &ingress.hosts {
        if !k8s::is_ingress_host(&host.host) {
            report
                .at(Code::InvalidHost, &host.host, format!("`{}` is not a valid host name", *host.host))
                .with_help("host names are lower-case DNS names (letters, digits, `-` and `.`), optionally starting with `*.`");
        }
        if host.paths.is_empty() {
            report
                .at_key(
                    Code::InvalidPath,
                    host.paths.or_in(host, "paths"),
                    format!("host `{}` has no paths", *host.host),
                )
                .with_help("add `paths: [{path: /, pathType: Prefix}]`");
        }
        for path in host.paths.iter() {
            if !path.path.starts_with('/') {
                report
                    .at(Code::InvalidPath, &path.path, format!("`{}` is not an absolute path", *path.path))
                    .with_help("paths start with `/`");
            } else if matches!(path.path_type.as_str(), "Prefix" | "Exact") {
                check_path_traversal(&path.path, INGRESS_INVALID_PATH_SEQUENCES, path.path.anchor(), report);
            }
            const TYPES: &[&str] = crate::values::forms::INGRESS_PATH_TYPES;
            if !TYPES.contains(&path.path_type.as_str()) {
                report
                    .at(
                        Code::InvalidPath,
                        &path.path_type,
                        format!("`{}` is not a pathType", *path.path_type),
                    )
                    .with_help_closest(&path.path_type, TYPES, "use `Prefix`, `Exact` or `ImplementationSpecific`");
            }
        }
    }
    for (i, tls) in ingress.tls.iter().enumerate() {
        let at = ingress.tls.anchor().index(i);
        for (j, host) in tls.hosts.iter().flatten().enumerate() {
            if !k8s::is_ingress_host(host) {
                report.at(
                    Code::InvalidHost,
                    at.key("hosts").index(j),
                    format!("`{host}` is not a valid host name"),
                );
            }
        }
        if let Some(secret) = tls.secret_name.as_deref().filter(|s| !s.is_empty()) {
            check_object_name(secret, "Secret", &at.key("secretName"), report);
        }
    }
    if *ingress.websocket == WebsocketMode::Snippet {
        report
            .at(Code::SnippetAnnotation, &ingress.websocket, "`websocket: snippet` adds a configuration-snippet annotation, which ingress-nginx rejects unless `allow-snippet-annotations` is enabled")
            .with_help("enable `allow-snippet-annotations` in the ingress-nginx controller, or keep nginx enabled with `websocket: auto`");
    }
}

/// Sequences Kubernetes refuses in an Ingress path of type Prefix or Exact
/// (networking validation's invalidPathSequences and invalidPathSuffixes).
const INGRESS_INVALID_PATH_SEQUENCES: &[&str] = &["//", "/./", "/../", "%2f", "%2F"];

/// What an HTTPRoute path match refuses besides: `#` (the Gateway API's list).
const ROUTE_INVALID_PATH_SEQUENCES: &[&str] = &["//", "/./", "/../", "%2f", "%2F", "#"];

/// Reports the first of `sequences` in `path`, or a `/.` or `/..` ending.
fn check_path_traversal(path: &str, sequences: &[&str], at: Anchor<'_>, report: &mut Reporter<'_>) {
    let problem = sequences
        .iter()
        .find(|sequence| path.contains(*sequence))
        .map(|sequence| format!("contains `{sequence}`"))
        .or_else(|| {
            ["/..", "/."]
                .iter()
                .find(|suffix| path.ends_with(*suffix))
                .map(|suffix| format!("ends with `{suffix}`"))
        });
    if let Some(problem) = problem {
        report
            .at(Code::InvalidPath, at, format!("the path `{path}` {problem}"))
            .with_help("Kubernetes refuses paths that could step out of a directory or hide one: write the plain path, e.g. `/` or `/api`");
    }
}

/// The most rules an HTTPRoute takes, and the most matches over all of them
/// (the Gateway API's CRD: `HTTPRouteSpec.rules` MaxItems and its CEL rule).
const ROUTE_MAX_RULES: usize = 16;
const ROUTE_MAX_MATCHES: usize = 128;

/// The HTTPRoute's names and matches, as the Gateway API's CRD validates them.
/// Without nginx (`socketio_rule`), the route gets one rule more, for
/// `/socket.io`, which counts against the CRD's limits.
pub(super) fn check_http_route(route: &HttpRoute, socketio_rule: bool, report: &mut Reporter<'_>) {
    if !route.name.is_empty() {
        check_object_name(&route.name, "HTTPRoute", &route.name.anchor(), report);
    }
    let added = usize::from(socketio_rule);
    let rules = Anchor::root().key("httproute").key("rules");
    let with_socketio = if socketio_rule {
        " (without nginx the route adds one for `/socket.io`)"
    } else {
        ""
    };
    let max_rules = ROUTE_MAX_RULES - added;
    if route.rules.len() > max_rules {
        report
            .at(
                Code::InvalidValue,
                rules.index(max_rules),
                format!(
                    "`httproute.rules` has {} rules, more than the {max_rules} the Gateway API takes here{with_socketio}: the API server refuses the HTTPRoute",
                    route.rules.len()
                ),
            )
            .with_help("put several paths in one rule's `matches`: every rule sends to the same Service");
    }
    let matches: usize = route.rules.iter().map(|rule| rule.matches.len()).sum();
    let max_matches = ROUTE_MAX_MATCHES - added;
    if matches > max_matches {
        report
            .at_key(
                Code::InvalidValue,
                rules,
                format!(
                    "`httproute.rules` has {matches} matches in all, more than the {max_matches} the Gateway API takes here{with_socketio}: the API server refuses the HTTPRoute"
                ),
            )
            .with_help("match fewer, shorter prefixes: `PathPrefix` takes every path below its own");
    }
    for (i, hostname) in route.hostnames.iter().enumerate() {
        if !k8s::is_ingress_host(hostname) {
            report
                .at(Code::InvalidHost, route.hostnames.anchor().index(i), format!("`{hostname}` is not a valid host name"))
                .with_help("host names are lower-case DNS names (letters, digits, `-` and `.`), optionally starting with `*.`, and not IP addresses");
        }
    }
    // The CRD takes both empty (each is optional), but a route with no
    // Gateway is attached to nothing, and one with no rules sends nothing
    // to the bench: `enabled: true` asked for a route that serves, as an
    // Ingress host with no paths (which the API server refuses) would not.
    if route.parent_refs.is_empty() {
        report
            .at_key(
                Code::InvalidValue,
                Anchor::root().key("httproute").key("parentRefs"),
                "the HTTPRoute has no `parentRefs`: it attaches to no Gateway, and no request reaches the bench",
            )
            .with_help("name the Gateway, e.g. `parentRefs: [{gatewayName: public-gateway, gatewayNamespace: networking}]`, or set `httproute.enabled: false`");
    }
    if route.rules.is_empty() {
        report
            .at_key(
                Code::InvalidValue,
                Anchor::root().key("httproute").key("rules"),
                "the HTTPRoute has no `rules`: it sends no request to the bench",
            )
            .with_help("add `rules: [{matches: [{pathType: PathPrefix, path: /}]}]`, or leave `rules` out for that default");
    }
    for parent in &route.parent_refs {
        check_object_name(&parent.gateway_name, "Gateway", &parent.gateway_name.anchor(), report);
        if let Some(namespace) = parent.gateway_namespace.as_deref()
            && !k8s::is_dns1123_label(namespace)
        {
            report
                .at(
                    Code::InvalidName,
                    &parent.gateway_namespace,
                    format!("`{namespace}` is not a valid namespace name"),
                )
                .with_help("namespace names are at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit");
        }
        if let Some(kind) = parent.gateway_kind.as_deref()
            && !k8s::is_api_kind(kind)
        {
            report
                .at(Code::InvalidValue, &parent.gateway_kind, format!("`{kind}` is not a kind"))
                .with_help("a kind is a word such as `Gateway`: letters, digits and `-`, starting with a letter");
        }
        if let Some(section) = parent.gateway_section_name.as_deref()
            && !k8s::is_dns1123_subdomain(section)
        {
            report
                .at(
                    Code::InvalidName,
                    &parent.gateway_section_name,
                    format!("`{section}` is not a valid listener name"),
                )
                .with_help("listener names are lower-case letters, digits, `-` and `.`, starting and ending with a letter or digit");
        }
    }
    for matched in route.rules.iter().flat_map(|rule| &rule.matches) {
        const TYPES: &[&str] = crate::values::forms::HTTP_ROUTE_PATH_TYPES;
        if !TYPES.contains(&matched.path_type.as_str()) {
            report
                .at(
                    Code::InvalidPath,
                    &matched.path_type,
                    format!("`{}` is not an HTTPRoute path type", *matched.path_type),
                )
                .with_help_closest(&matched.path_type, TYPES, "use `PathPrefix`, `Exact` or `RegularExpression`");
        } else if *matched.path_type != "RegularExpression" {
            if !matched.path.starts_with('/') {
                report
                    .at(
                        Code::InvalidPath,
                        &matched.path,
                        format!("`{}` is not an absolute path", *matched.path),
                    )
                    .with_help("paths start with `/`");
            } else {
                check_path_traversal(&matched.path, ROUTE_INVALID_PATH_SEQUENCES, matched.path.anchor(), report);
            }
        }
    }
}

/// With an HTTPRoute, the Gateway's proxies bring the traffic, and they
/// run in the Gateway implementation's namespace. The NetworkPolicy's
/// default source is ingress-nginx's namespace, where no Gateway proxy runs
/// (ingress-nginx implements no Gateway API): left so, it drops every
/// request.
pub(super) fn check_gateway_is_admitted(policy: &NetworkPolicy, report: &mut Reporter<'_>) {
    let namespaces = &policy.ingress_namespace_selector;
    if namespaces.place().is_some() {
        return;
    }
    report
        .at(
            Code::UnadmittedGateway,
            namespaces.or_in(Anchor::root().key("networkPolicy"), "ingressNamespaceSelector"),
            "the NetworkPolicy admits traffic to the bench only from the namespace `ingress-nginx`, but the HTTPRoute's traffic comes from the Gateway's proxies, which run in their own namespace: every request would be dropped",
        )
        .with_help(
            "set `networkPolicy.ingressNamespaceSelector` to the namespace of the Gateway's data plane, e.g. `{matchLabels: {kubernetes.io/metadata.name: envoy-gateway-system}}`",
        );
}
