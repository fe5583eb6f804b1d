//! Probes as the API server takes them: one handler, thresholds, ports and
//! the rules of each kind of probe.

use k8s_openapi::api::core::v1::Probe;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::diagnostic::Code;
use crate::model::report::Reporter;
use crate::values::Anchor;

use super::{check_named_port, check_port};

/// Which probe a probe is: the API server holds each to its own rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

impl ProbeKind {
    pub(crate) const ALL: [(ProbeKind, &'static str); 3] = [
        (ProbeKind::Liveness, "livenessProbe"),
        (ProbeKind::Readiness, "readinessProbe"),
        (ProbeKind::Startup, "startupProbe"),
    ];
}

/// A probe as validateProbe and validateLivenessProbe,
/// validateReadinessProbe and validateStartupProbe check it
/// (pkg/apis/core/validation/validation.go), after the defaults the API
/// server gives first (a `0` threshold or period becomes its default).
pub(crate) fn check_probe(probe: &Probe, kind: ProbeKind, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    let handlers: Vec<&str> = [
        probe.exec.as_ref().map(|_| "exec"),
        probe.http_get.as_ref().map(|_| "httpGet"),
        probe.tcp_socket.as_ref().map(|_| "tcpSocket"),
        probe.grpc.as_ref().map(|_| "grpc"),
    ]
    .into_iter()
    .flatten()
    .collect();
    match handlers.len() {
        1 => {}
        0 => {
            report
                .at_key(Code::ProbeHandlers, at, "the probe has no handler")
                .with_help("add one of `exec`, `httpGet`, `tcpSocket` or `grpc`");
        }
        _ => {
            report
                .at_key(
                    Code::ProbeHandlers,
                    at,
                    format!(
                        "the probe has {} handlers ({}); Kubernetes allows exactly one",
                        handlers.len(),
                        handlers.join(", ")
                    ),
                )
                .with_help("keep one handler; a probe given here replaces the default whole, so there is no need to unset the default");
        }
    }
    let port_of = |port: &IntOrString| match port {
        IntOrString::Int(p) => Some(*p),
        IntOrString::String(_) => None,
    };
    if let Some(port) = probe.http_get.as_ref().and_then(|h| port_of(&h.port)) {
        check_port(port, &at.key("httpGet").key("port"), report);
    }
    if let Some(port) = probe.tcp_socket.as_ref().and_then(|t| port_of(&t.port)) {
        check_port(port, &at.key("tcpSocket").key("port"), report);
    }
    for (handler, port) in [
        ("httpGet", probe.http_get.as_ref().map(|h| &h.port)),
        ("tcpSocket", probe.tcp_socket.as_ref().map(|t| &t.port)),
    ] {
        if let Some(IntOrString::String(name)) = port {
            check_named_port(name, &at.key(handler).key("port"), report);
        }
    }
    if let Some(scheme) = probe.http_get.as_ref().and_then(|h| h.scheme.as_deref())
        && !matches!(scheme, "HTTP" | "HTTPS" | "")
    {
        report
            .at(
                Code::InvalidValue,
                at.key("httpGet").key("scheme"),
                format!("`{scheme}` is not a probe scheme"),
            )
            .with_help("use `HTTP` or `HTTPS`, in capitals");
    }
    if probe
        .exec
        .as_ref()
        .is_some_and(|e| e.command.as_deref().unwrap_or_default().is_empty())
    {
        report
            .at_key(Code::InvalidValue, at.key("exec"), "the `exec` handler has no `command`")
            .with_help("give the command to run as a list: `command: [cat, /tmp/healthy]`");
    }
    for (key, number) in [
        ("initialDelaySeconds", probe.initial_delay_seconds),
        ("timeoutSeconds", probe.timeout_seconds),
        ("periodSeconds", probe.period_seconds),
        ("successThreshold", probe.success_threshold),
        ("failureThreshold", probe.failure_threshold),
    ] {
        if let Some(number) = number.filter(|n| *n < 0) {
            report.at(Code::InvalidValue, at.key(key), format!("`{key}` cannot be negative ({number})"));
        }
    }
    // 0 is defaulted to 1 before validation.
    if let Some(threshold) = probe.success_threshold.filter(|n| *n > 1)
        && kind != ProbeKind::Readiness
    {
        let name = if kind == ProbeKind::Liveness { "liveness" } else { "startup" };
        report
            .at(
                Code::InvalidValue,
                at.key("successThreshold"),
                format!("a {name} probe's `successThreshold` must be 1, not {threshold}"),
            )
            .with_help("remove `successThreshold`: one success is all a liveness or startup probe can count");
    }
    if let Some(seconds) = probe.termination_grace_period_seconds {
        if kind == ProbeKind::Readiness {
            report
                .at_key(
                    Code::InvalidValue,
                    at.key("terminationGracePeriodSeconds"),
                    "a readiness probe takes no `terminationGracePeriodSeconds`",
                )
                .with_help("remove it: a failing readiness probe takes the pod out of the Service and restarts nothing");
        } else if seconds <= 0 {
            report.at(
                Code::InvalidValue,
                at.key("terminationGracePeriodSeconds"),
                format!("`terminationGracePeriodSeconds` must be at least 1, not {seconds}"),
            );
        }
    }
}
