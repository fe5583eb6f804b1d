//! What the API server would reject in the Kubernetes types the values
//! embed (probes, resources, env, containers, tolerations, labels, selectors,
//! spread, affinity, security contexts, volumes and their mounts) and in the
//! names of objects they refer to.
//!
//! These types carry no places of their own: each check gets an [`Anchor`]
//! at the value that holds one, and points at keys below it.

use k8s_openapi::api::core::v1::{
    Affinity, AppArmorProfile, Container, ContainerPort, EnvVar, NodeSelectorTerm, PodAffinityTerm, PodSecurityContext, Probe,
    ResourceRequirements, SeccompProfile, SecurityContext, Toleration, Volume,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::diagnostic::Code;
use crate::model::k8s;
use crate::model::report::Reporter;
use crate::source::secrets::{KeyMeaning, key_meaning};
use crate::values::{Anchor, StringMap, TopologySpreadValues};

/// Which probe a probe is: the API server holds each to its own rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

impl ProbeKind {
    pub(super) const ALL: [(ProbeKind, &'static str); 3] = [
        (ProbeKind::Liveness, "livenessProbe"),
        (ProbeKind::Readiness, "readinessProbe"),
        (ProbeKind::Startup, "startupProbe"),
    ];
}

/// A probe as validateProbe and validateLivenessProbe,
/// validateReadinessProbe and validateStartupProbe check it
/// (pkg/apis/core/validation/validation.go), after the defaults the API
/// server gives first (a `0` threshold or period becomes its default).
pub(super) fn check_probe(probe: &Probe, kind: ProbeKind, at: &Anchor<'_>, report: &mut Reporter<'_>) {
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
            check_port_name(name, &at.key(handler).key("port"), report);
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

/// A named port (IsValidPortName).
fn check_port_name(name: &str, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    if !k8s::is_port_name(name) {
        report
            .at(Code::InvalidPort, at, format!("`{name}` is not a valid port name"))
            .with_help("port names are at most 15 lower-case letters, digits and `-`, with at least one letter, e.g. `http` or `metrics`");
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

/// A container's resources as ValidateResourceRequirements checks them
/// (validation.go): quantities, resource names, no negative amount, no
/// request above its limit, and for what cannot be overcommitted (extended
/// resources such as `nvidia.com/gpu`, and hugepages) a limit equal to the
/// request. Extended resources come in whole units, hugepages in whole
/// pages, and hugepages only beside a CPU or memory amount.
pub(super) fn check_resources(resources: &ResourceRequirements, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    const STANDARD: &[&str] = &["cpu", "memory", "ephemeral-storage"];
    for (key, map) in [("limits", &resources.limits), ("requests", &resources.requests)] {
        for (resource, quantity) in map.iter().flatten() {
            check_quantity(quantity, || at.key(key).key(resource), report);
            if !resource.contains('/') && !STANDARD.contains(&resource.as_str()) && !resource.starts_with("hugepages-") {
                let diagnostic = report.at_key(
                    Code::InvalidValue,
                    at.key(key).key(resource),
                    format!("`{resource}` is not a container resource"),
                );
                match crate::suggest::closest(resource, STANDARD.iter().copied()) {
                    Some(best) => diagnostic.with_help(format!("did you mean `{best}`?")),
                    None => diagnostic.with_help(
                        "use `cpu`, `memory`, `ephemeral-storage`, `hugepages-<size>`, or a prefixed name such as `nvidia.com/gpu`",
                    ),
                };
            } else if resource.contains('/')
                && !(k8s::is_qualified_name(resource) && (is_native_resource(resource) || is_extended_resource(resource)))
            {
                report
                    .at_key(
                        Code::InvalidValue,
                        at.key(key).key(resource),
                        format!("`{resource}` is not a valid extended resource name"),
                    )
                    .with_help("extended resources are `<domain>/<name>`, e.g. `nvidia.com/gpu`, as the device plugin advertises them");
            }
            // Only a quantity written with a minus may be negative (`-0` is not).
            if quantity.0.starts_with('-') && k8s::quantity_value(&quantity.0).is_some_and(|v| v.negative) {
                report.at(
                    Code::InvalidValue,
                    at.key(key).key(resource),
                    format!("`{resource}` cannot be negative ({})", quantity.0),
                );
            }
            let value = k8s::quantity_value(&quantity.0);
            // ValidateResourceQuantityValue: `MilliValue() % 1000`.
            if is_extended_resource(resource) && value.and_then(|v| v.ceil_scaled(3)).is_some_and(|milli| milli % 1000 != 0) {
                report
                    .at(
                        Code::InvalidValue,
                        at.key(key).key(resource),
                        format!("`{resource}` comes in whole units, not {}", quantity.0),
                    )
                    .with_help("write a whole number, such as `1`");
            }
            // validateResourceQuantityHugePageValue: whole pages of the size the name gives.
            if let Some(size) = resource.strip_prefix("hugepages-")
                && let Some(value) = value.and_then(|v| v.ceil_scaled(0))
            {
                let page = k8s::quantity_value(size)
                    .filter(|page| page.ceil_scaled(3).is_some_and(|milli| milli > 0 && milli % 1000 == 0))
                    .and_then(|page| page.ceil_scaled(0));
                if page.is_none_or(|page| value % page != 0) {
                    report
                        .at(
                            Code::InvalidValue,
                            at.key(key).key(resource),
                            format!("{} is not a whole number of `{size}` pages", quantity.0),
                        )
                        .with_help(format!("give a multiple of the page size, e.g. `{size}` times the pages needed"));
                }
            }
        }
    }
    for (resource, request) in resources.requests.iter().flatten() {
        // IsOvercommitAllowed: only native resources other than hugepages.
        let exact = !is_native_resource(resource) || resource.starts_with("hugepages-");
        let limit = resources.limits.as_ref().and_then(|limits| limits.get(resource));
        let Some(limit) = limit else {
            if exact {
                report
                    .at(
                        Code::InvalidValue,
                        at.key("requests").key(resource),
                        format!("a {resource} request needs a limit, equal to it"),
                    )
                    .with_help(format!("set `limits.{resource}: {}` (it cannot be overcommitted)", request.0));
            }
            continue;
        };
        let (Some(request_value), Some(limit_value)) = (k8s::quantity_value(&request.0), k8s::quantity_value(&limit.0)) else {
            continue;
        };
        match k8s::compare_quantities(request_value, limit_value) {
            Some(std::cmp::Ordering::Less) if exact => {
                report
                    .at(
                        Code::InvalidValue,
                        at.key("requests").key(resource),
                        format!("the {resource} request ({}) must equal its limit ({})", request.0, limit.0),
                    )
                    .with_help(format!(
                        "{resource} cannot be overcommitted: give the request and the limit the same amount"
                    ));
            }
            Some(std::cmp::Ordering::Greater) => {
                report
                    .at(
                        Code::InvalidValue,
                        at.key("requests").key(resource),
                        format!("the {resource} request ({}) is above its limit ({})", request.0, limit.0),
                    )
                    .with_help(format!("raise `limits.{resource}` to at least the request, or lower the request"));
            }
            _ => {}
        }
    }
    // "HugePages require cpu or memory", in the requests or the limits.
    let amounts = [("limits", &resources.limits), ("requests", &resources.requests)];
    if !amounts
        .iter()
        .flat_map(|(_, map)| map.iter().flatten())
        .any(|(name, _)| name == "cpu" || name == "memory")
    {
        let hugepages = amounts.iter().find_map(|(key, map)| {
            Some((
                key,
                map.iter().flatten().map(|(name, _)| name).find(|n| n.starts_with("hugepages-"))?,
            ))
        });
        if let Some((key, name)) = hugepages {
            report
                .at_key(
                    Code::InvalidValue,
                    at.key(key).key(name),
                    "hugepages need a `cpu` or `memory` amount beside them",
                )
                .with_help("add `requests.memory` (or `cpu`) for the container");
        }
    }
}

/// IsNativeResource (pkg/apis/core/helper/helpers.go): no prefix, or a
/// `kubernetes.io/` one.
fn is_native_resource(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

/// IsExtendedResourceName: a prefixed name outside `kubernetes.io/`, not
/// starting `requests.`, that stays a qualified name with one in front.
fn is_extended_resource(name: &str) -> bool {
    !is_native_resource(name) && !name.starts_with("requests.") && k8s::is_qualified_name(&format!("requests.{name}"))
}

/// Env var names and, for one whose name names a secret (the masker's
/// `key_meaning`: `DB_PASSWORD`, `API_TOKEN`), a literal value: it lands in
/// the pod spec, readable by anyone who may read the Deployment.
pub(super) fn check_env(env: &[EnvVar], at: &Anchor<'_>, report: &mut Reporter<'_>) {
    for (i, var) in env.iter().enumerate() {
        if key_meaning(&var.name) == KeyMeaning::Secret && var.value.as_deref().is_some_and(|value| !value.is_empty()) {
            report
                .at(
                    Code::PlaintextPassword,
                    at.index(i).key("value"),
                    format!(
                        "the env var `{}` names a secret, and its value is written in the values file",
                        var.name
                    ),
                )
                .with_help("keep it in a Secret and reference it: `valueFrom: {secretKeyRef: {name: …, key: …}}`");
        }
        if !k8s::is_env_var_name(&var.name) {
            report
                .at(
                    Code::InvalidEnvName,
                    at.index(i).key("name"),
                    format!("`{}` is not a valid environment variable name", var.name),
                )
                .with_help("use printable ASCII characters other than `=`: the value goes in `value`");
        }
        check_value_from(var, &at.index(i), report);
    }
}

/// `valueFrom` as validateEnvVarValueFrom checks it (validation.go): one
/// source exactly, no `value` beside it (an empty one is no value), and the
/// Secret or ConfigMap it names.
fn check_value_from(var: &EnvVar, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    let Some(source) = &var.value_from else { return };
    let at = at.key("valueFrom");
    let sources: Vec<&str> = [
        source.field_ref.as_ref().map(|_| "fieldRef"),
        source.resource_field_ref.as_ref().map(|_| "resourceFieldRef"),
        source.config_map_key_ref.as_ref().map(|_| "configMapKeyRef"),
        source.secret_key_ref.as_ref().map(|_| "secretKeyRef"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if sources.is_empty() {
        report
            .at_key(
                Code::InvalidValue,
                &at,
                format!("the env var `{}` has a `valueFrom` with no source", var.name),
            )
            .with_help("give one of `secretKeyRef`, `configMapKeyRef`, `fieldRef` or `resourceFieldRef`");
    } else if var.value.as_deref().is_some_and(|value| !value.is_empty()) {
        report
            .at_key(
                Code::InvalidValue,
                &at,
                format!("the env var `{}` has both `value` and `valueFrom`; Kubernetes takes one", var.name),
            )
            .with_help("remove `value` to read it from the source, or `valueFrom` to use the value written here");
    } else if sources.len() > 1 {
        report
            .at_key(
                Code::InvalidValue,
                &at,
                format!(
                    "the env var `{}` has {} sources ({}); Kubernetes allows exactly one",
                    var.name,
                    sources.len(),
                    sources.join(", ")
                ),
            )
            .with_help("keep one source under `valueFrom`");
    }
    if let Some(secret) = &source.secret_key_ref {
        check_object_name(&secret.name, "Secret", &at.key("secretKeyRef").key("name"), report);
        check_secret_key(&secret.key, &at.key("secretKeyRef").key("key"), report);
    }
    if let Some(config_map) = &source.config_map_key_ref {
        check_object_name(&config_map.name, "ConfigMap", &at.key("configMapKeyRef").key("name"), report);
        if !k8s::is_config_key(&config_map.key) {
            report
                .at(
                    Code::InvalidValue,
                    at.key("configMapKeyRef").key("key"),
                    format!("`{}` is not a valid ConfigMap key", config_map.key),
                )
                .with_help("ConfigMap keys are at most 253 letters, digits, `-`, `_` and `.`, and do not start with `..`");
        }
    }
    // The API server defaults an empty `apiVersion` to `v1` (defaults.go,
    // SetDefaults_ObjectFieldSelector) and converts no other (ConvertDownwardAPIFieldLabel).
    if let Some(version) = source.field_ref.as_ref().map(|f| f.api_version.as_deref().unwrap_or_default())
        && !matches!(version, "v1" | "")
    {
        report
            .at(
                Code::InvalidValue,
                at.key("fieldRef").key("apiVersion"),
                format!("`{version}` is not an API version an env var can read a field of"),
            )
            .with_help("use `apiVersion: v1`, or leave it out");
    } else if let Some(field) = &source.field_ref
        && !is_env_field_path(&field.field_path)
    {
        report
            .at(Code::InvalidValue, at.key("fieldRef").key("fieldPath"), format!("`{}` is not a field an env var can read", field.field_path))
            .with_help("use `metadata.name`, `metadata.namespace`, `metadata.uid`, `metadata.labels['<key>']`, `metadata.annotations['<key>']`, `spec.nodeName`, `spec.serviceAccountName`, `status.hostIP`, `status.hostIPs`, `status.podIP` or `status.podIPs`");
    }
    if let Some(resource) = &source.resource_field_ref {
        const RESOURCES: &[&str] = &[
            "limits.cpu",
            "limits.memory",
            "limits.ephemeral-storage",
            "requests.cpu",
            "requests.memory",
            "requests.ephemeral-storage",
        ];
        let name = resource.resource.as_str();
        if !RESOURCES.contains(&name) && !name.starts_with("limits.hugepages-") && !name.starts_with("requests.hugepages-") {
            let diagnostic = report.at(
                Code::InvalidValue,
                at.key("resourceFieldRef").key("resource"),
                format!("`{name}` is not a resource an env var can read"),
            );
            match crate::suggest::closest(name, RESOURCES.iter().copied()) {
                Some(best) => diagnostic.with_help(format!("did you mean `{best}`?")),
                None => {
                    diagnostic.with_help("use `requests.cpu`, `requests.memory`, `limits.cpu`, `limits.memory` (or `ephemeral-storage`)")
                }
            };
        }
        if let Some(divisor) = &resource.divisor {
            let divisor_at = || at.key("resourceFieldRef").key("divisor");
            check_quantity(divisor, divisor_at, report);
            if k8s::is_quantity(&divisor.0) && !is_divisor_for(name, &divisor.0) {
                let allowed = if name.ends_with(".cpu") {
                    "`1` or `1m`"
                } else {
                    "`1`, or 1 with a suffix, such as `1Mi` or `1M`"
                };
                report
                    .at(
                        Code::InvalidValue,
                        divisor_at(),
                        format!("`{}` is not a divisor for `{name}`", divisor.0),
                    )
                    .with_help(format!("use {allowed}"));
            }
        }
    }
}

/// Whether validateContainerResourceDivisor (validation.go) takes `divisor`
/// for `resource`: for CPU `1m` or `1`, for memory, ephemeral storage and
/// hugepages `1` or 1 of a suffix (`1k`…`1E`, `1Ki`…`1Ei`), compared as
/// `Quantity.String()` writes it back (`1024Ki` is `1Mi`, `1000` is `1k`,
/// `1024` and `1e3` stay as they are). Zero is no divisor; other resources
/// take any.
fn is_divisor_for(resource: &str, divisor: &str) -> bool {
    use k8s::QuantityFormat::{BinarySi, DecimalSi};
    let Some(value) = k8s::quantity_value(divisor) else { return true };
    let amount = |s: &str| k8s::quantity_value(s).expect("a quantity");
    let equals = |s: &str| k8s::compare_quantities(value, amount(s)) == Some(std::cmp::Ordering::Equal);
    // A binary quantity below 1024 is written back as a decimal one.
    let format = match k8s::quantity_format(divisor) {
        BinarySi if !equals("1Ki") && k8s::compare_quantities(value, amount("1Ki")) == Some(std::cmp::Ordering::Less) => DecimalSi,
        format => format,
    };
    let decimal = ["1k", "1M", "1G", "1T", "1P", "1E"];
    let binary = ["1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"];
    let sized = || (format == DecimalSi && decimal.into_iter().any(equals)) || (format == BinarySi && binary.into_iter().any(equals));
    if value.is_zero() || equals("1") {
        return true;
    }
    match resource {
        "limits.cpu" | "requests.cpu" => format == DecimalSi && equals("1m"),
        "limits.memory" | "requests.memory" | "limits.ephemeral-storage" | "requests.ephemeral-storage" => sized(),
        _ if resource.starts_with("limits.hugepages-") || resource.starts_with("requests.hugepages-") => sized(),
        _ => true,
    }
}

/// A `fieldRef.fieldPath` an env var may read (validEnvDownwardAPIFieldPathExpressions,
/// and a label or annotation by key). `spec.host` is the old name of
/// `spec.nodeName`: ConvertDownwardAPIFieldLabel (pkg/apis/core/pods/helpers.go)
/// renames it before validateObjectFieldSelector checks the path.
fn is_env_field_path(path: &str) -> bool {
    const PATHS: &[&str] = &[
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
        "spec.host",
        "spec.nodeName",
        "spec.serviceAccountName",
        "status.hostIP",
        "status.hostIPs",
        "status.podIP",
        "status.podIPs",
    ];
    if PATHS.contains(&path) {
        return true;
    }
    let Some((map, key)) = path.strip_suffix("']").and_then(|p| p.split_once("['")) else {
        return false;
    };
    match map {
        "metadata.labels" => k8s::is_qualified_name(key),
        "metadata.annotations" => k8s::is_qualified_name(&key.to_ascii_lowercase()),
        _ => false,
    }
}

/// Containers the values add; `init` for init containers, which may have
/// probes and lifecycle hooks only as sidecars (`restartPolicy: Always`,
/// validateInitContainers), where other containers may have no
/// `restartPolicy` at all (validateContainers).
pub(super) fn check_containers(containers: &[Container], init: bool, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    // The host ports taken: across a pod's containers, which run together,
    // but within each init container alone (checkHostPortConflicts).
    let mut host_ports = Vec::new();
    for (i, container) in containers.iter().enumerate() {
        let base = at.index(i);
        if !k8s::is_dns1123_label(&container.name) {
            report.at(
                Code::InvalidName,
                base.key("name"),
                format!("`{}` is not a valid container name", container.name),
            );
        }
        let image = container.image.as_deref().unwrap_or_default();
        if !k8s::is_image_reference(image) {
            let message = if image.is_empty() {
                format!("the container `{}` has no image", container.name)
            } else {
                format!("`{image}` is not an image reference")
            };
            report.at(Code::InvalidValue, base.key("image"), message).with_help(
                "write `[registry/]repository[:tag][@sha256:digest]`, e.g. `busybox:1.36` or `registry.example.com/tools/backup:v2`",
            );
        }
        if let Some(resources) = &container.resources {
            check_resources(resources, &base.key("resources"), report);
        }
        if let Some(context) = &container.security_context {
            check_security_context(context, &base.key("securityContext"), report);
        }
        check_env(container.env.as_deref().unwrap_or_default(), &base.key("env"), report);
        check_volume_mounts(container, &base.key("volumeMounts"), report);
        let sidecar = container.restart_policy.as_deref() == Some("Always");
        match container.restart_policy.as_deref() {
            Some(policy) if !init => {
                report
                    .at_key(
                        Code::InvalidValue,
                        base.key("restartPolicy"),
                        format!("`restartPolicy: {policy}` is for init containers only"),
                    )
                    .with_help("remove it: a pod's containers restart as the pod's `restartPolicy` says");
            }
            Some(policy) if policy != "Always" => {
                report
                    .at(
                        Code::InvalidValue,
                        base.key("restartPolicy"),
                        format!("an init container's `restartPolicy` can only be `Always`, not `{policy}`"),
                    )
                    .with_help("set `Always` to make it a sidecar, or remove it");
            }
            _ => {}
        }
        let probes = [&container.liveness_probe, &container.readiness_probe, &container.startup_probe];
        for ((kind, key), probe) in ProbeKind::ALL.into_iter().zip(probes) {
            let Some(probe) = probe else { continue };
            if init && !sidecar {
                report
                    .at_key(
                        Code::InvalidValue,
                        base.key(key),
                        format!("an init container cannot have a `{key}`"),
                    )
                    .with_help("remove it, or set `restartPolicy: Always` to run the container as a sidecar, which may have probes");
            } else {
                check_probe(probe, kind, &base.key(key), report);
            }
        }
        if init && !sidecar && container.lifecycle.is_some() {
            report
                .at_key(
                    Code::InvalidValue,
                    base.key("lifecycle"),
                    "an init container cannot have a `lifecycle`",
                )
                .with_help("remove it, or set `restartPolicy: Always` to run the container as a sidecar");
        }
        if let Some(policy) = container.image_pull_policy.as_deref()
            && !policy.is_empty()
        {
            const POLICIES: &[&str] = &["Always", "IfNotPresent", "Never"];
            if !POLICIES.contains(&policy) {
                let diagnostic = report.at(
                    Code::InvalidValue,
                    base.key("imagePullPolicy"),
                    format!("`{policy}` is not an image pull policy"),
                );
                match crate::suggest::closest(policy, POLICIES.iter().copied()) {
                    Some(best) => diagnostic.with_help(format!("did you mean `{best}`?")),
                    None => diagnostic.with_help("use `IfNotPresent`, `Always` or `Never`"),
                };
            }
        }
        if init {
            host_ports.clear();
        }
        check_container_ports(
            container.ports.as_deref().unwrap_or_default(),
            &mut host_ports,
            &base.key("ports"),
            report,
        );
    }
}

/// A container's volume mounts as ValidateVolumeMounts checks them, but for
/// the volume each names, which the pod's other keys decide: a name and a
/// mount path, each path once, `subPath` and `subPathExpr` relative and
/// without `..` (validateLocalDescendingPath), not both, and a known
/// `mountPropagation` (`Bidirectional` only for a privileged container).
fn check_volume_mounts(container: &Container, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    let mut paths: Vec<&str> = Vec::new();
    for (i, mount) in container.volume_mounts.iter().flatten().enumerate() {
        let base = at.index(i);
        if mount.name.is_empty() {
            report
                .at_key(Code::InvalidValue, base.key("name"), "a volume mount needs the `name` of a volume")
                .with_help("name one of the pod's volumes");
        }
        if mount.mount_path.is_empty() {
            report
                .at_key(Code::InvalidValue, base.key("mountPath"), "a volume mount needs a `mountPath`")
                .with_help("give the absolute path the volume appears at in the container");
        } else if paths.contains(&mount.mount_path.as_str()) {
            report
                .at(
                    Code::InvalidValue,
                    base.key("mountPath"),
                    format!("`{}` is mounted twice in this container", mount.mount_path),
                )
                .with_help("mount each volume at its own path");
        }
        paths.push(&mount.mount_path);
        for (key, path) in [("subPath", &mount.sub_path), ("subPathExpr", &mount.sub_path_expr)] {
            let Some(path) = path.as_deref().filter(|p| !p.is_empty()) else {
                continue;
            };
            if path.starts_with('/') || path.split('/').any(|part| part == "..") {
                report
                    .at(
                        Code::InvalidValue,
                        base.key(key),
                        format!("`{path}` must be a path inside the volume: relative, without `..`"),
                    )
                    .with_help(format!(
                        "write `{key}` relative to the volume's root, e.g. `sites/common_site_config.json`"
                    ));
            }
        }
        if mount.sub_path.as_deref().is_some_and(|p| !p.is_empty()) && mount.sub_path_expr.as_deref().is_some_and(|p| !p.is_empty()) {
            report
                .at_key(
                    Code::InvalidValue,
                    base.key("subPathExpr"),
                    "a volume mount takes `subPath` or `subPathExpr`, not both",
                )
                .with_help("keep one of them");
        }
        match mount.mount_propagation.as_deref() {
            None | Some("None" | "HostToContainer") => {}
            // A container without a securityContext gets the values' own
            // (`securityContext`), which may make it privileged.
            Some("Bidirectional") => {
                if container.security_context.as_ref().is_some_and(|c| c.privileged != Some(true)) {
                    report
                        .at_key(
                            Code::InvalidValue,
                            base.key("mountPropagation"),
                            "`Bidirectional` mount propagation is for privileged containers only",
                        )
                        .with_help("use `HostToContainer`, or leave it out");
                }
            }
            Some(other) => {
                report
                    .at(
                        Code::InvalidValue,
                        base.key("mountPropagation"),
                        format!("`{other}` is not a mount propagation"),
                    )
                    .with_help("use `None`, `HostToContainer` or `Bidirectional`");
            }
        }
    }
}

/// The volumes the values add to a pod beside `taken`, the pod's own, as
/// ValidateVolumes checks their names: DNS-1123 labels, each once.
pub(super) fn check_volumes(volumes: &[Volume], taken: &[&str], at: &Anchor<'_>, report: &mut Reporter<'_>) {
    let mut names = taken.to_vec();
    for (i, volume) in volumes.iter().enumerate() {
        let name = volume.name.as_str();
        if !k8s::is_dns1123_label(name) {
            let message = if name.is_empty() {
                "the volume has no `name`".to_owned()
            } else {
                format!("`{name}` is not a valid volume name")
            };
            report
                .at(Code::InvalidName, at.index(i).key("name"), message)
                .with_help("volume names are at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit");
        } else if names.contains(&name) {
            report
                .at(
                    Code::InvalidName,
                    at.index(i).key("name"),
                    format!("the pod already has a volume named `{name}`"),
                )
                .with_help("give the volume another name; the bench's `sites-dir` and `logs` are always there");
        } else {
            names.push(name);
        }
    }
}

/// The mounts of `containers` that name no volume in `volumes`, the pod's.
pub(super) fn check_mounted_volumes_exist(containers: &[Container], volumes: &[&str], at: &Anchor<'_>, report: &mut Reporter<'_>) {
    for (i, container) in containers.iter().enumerate() {
        for (j, mount) in container.volume_mounts.iter().flatten().enumerate() {
            if !mount.name.is_empty() && !volumes.contains(&mount.name.as_str()) {
                report
                    .at(
                        Code::InvalidValue,
                        at.index(i).key("volumeMounts").index(j).key("name"),
                        format!("the pod has no volume named `{}`", mount.name),
                    )
                    .with_help(format!(
                        "mount one of {}, or add the volume under `volumes`",
                        volumes.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
                    ));
            }
        }
    }
}

/// A container's ports as validateContainerPorts checks them: valid and
/// unique names, port numbers, and a protocol (TCP when left out); and a
/// host port that `host_ports` (protocol, host IP, port) does not hold yet
/// (AccumulateUniqueHostPorts).
fn check_container_ports<'a>(
    ports: &'a [ContainerPort],
    host_ports: &mut Vec<(&'a str, &'a str, i32)>,
    at: &Anchor<'_>,
    report: &mut Reporter<'_>,
) {
    let mut names: Vec<&str> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let base = at.index(i);
        if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty()) {
            if !k8s::is_port_name(name) {
                check_port_name(name, &base.key("name"), report);
            } else if names.contains(&name) {
                report
                    .at(
                        Code::InvalidPort,
                        base.key("name"),
                        format!("the port name `{name}` is used twice in this container"),
                    )
                    .with_help("give each port its own name");
            } else {
                names.push(name);
            }
        }
        check_port(port.container_port, &base.key("containerPort"), report);
        if let Some(host_port) = port.host_port.filter(|p| *p != 0) {
            check_port(host_port, &base.key("hostPort"), report);
            let protocol = port.protocol.as_deref().filter(|p| !p.is_empty()).unwrap_or("TCP");
            let taken = (protocol, port.host_ip.as_deref().unwrap_or_default(), host_port);
            if host_ports.contains(&taken) {
                report
                    .at(
                        Code::InvalidPort,
                        base.key("hostPort"),
                        format!("the host port {host_port}/{protocol} is taken twice in this pod"),
                    )
                    .with_help("give each container port its own `hostPort`, or a different `hostIP`");
            } else {
                host_ports.push(taken);
            }
        }
        if let Some(protocol) = port.protocol.as_deref()
            && !matches!(protocol, "TCP" | "UDP" | "SCTP" | "")
        {
            report
                .at(
                    Code::InvalidValue,
                    base.key("protocol"),
                    format!("`{protocol}` is not a port protocol"),
                )
                .with_help("use `TCP`, `UDP` or `SCTP`, in capitals");
        }
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

/// Tolerations as the API server validates them (ValidateTolerations).
pub(super) fn check_tolerations(tolerations: &[Toleration], at: &Anchor<'_>, report: &mut Reporter<'_>) {
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
            let diagnostic = report.at(Code::InvalidValue, base.key("effect"), format!("`{effect}` is not a taint effect"));
            match crate::suggest::closest(effect, EFFECTS.iter().copied()) {
                Some(best) => diagnostic.with_help(format!("did you mean `{best}`?")),
                None => diagnostic.with_help("use `NoSchedule`, `PreferNoSchedule` or `NoExecute`, or leave it out to match every effect"),
            };
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
pub(super) fn check_affinity(affinity: &Affinity, at: &Anchor<'_>, report: &mut Reporter<'_>) {
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

/// The pod-level security context (validatePodSpecSecurityContext): user
/// and group IDs, and what the container-level one shares with it.
pub(super) fn check_pod_security_context(context: &PodSecurityContext, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    for (key, id) in [
        ("runAsUser", context.run_as_user),
        ("runAsGroup", context.run_as_group),
        ("fsGroup", context.fs_group),
    ] {
        if let Some(id) = id {
            check_id(id, &at.key(key), report);
        }
    }
    for (i, id) in context.supplemental_groups.iter().flatten().enumerate() {
        check_id(*id, &at.key("supplementalGroups").index(i), report);
    }
    if let Some(policy) = context.fs_group_change_policy.as_deref()
        && !matches!(policy, "OnRootMismatch" | "Always")
    {
        report
            .at(
                Code::InvalidValue,
                at.key("fsGroupChangePolicy"),
                format!("`{policy}` is not an `fsGroupChangePolicy`"),
            )
            .with_help("use `OnRootMismatch` or `Always`");
    }
    check_profiles(context.seccomp_profile.as_ref(), context.app_armor_profile.as_ref(), at, report);
}

/// A container's security context (ValidateSecurityContext).
pub(super) fn check_security_context(context: &SecurityContext, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    for (key, id) in [("runAsUser", context.run_as_user), ("runAsGroup", context.run_as_group)] {
        if let Some(id) = id {
            check_id(id, &at.key(key), report);
        }
    }
    check_profiles(context.seccomp_profile.as_ref(), context.app_armor_profile.as_ref(), at, report);
    if context.allow_privilege_escalation == Some(false) {
        if context.privileged == Some(true) {
            report
                .at(
                    Code::InvalidValue,
                    at.key("allowPrivilegeEscalation"),
                    "a privileged container cannot have `allowPrivilegeEscalation: false`",
                )
                .with_help("remove `privileged: true`, or `allowPrivilegeEscalation: false`");
        }
        // Only this spelling: validation.go compares the string as written.
        let added = context.capabilities.as_ref().and_then(|c| c.add.as_deref()).unwrap_or_default();
        if let Some(i) = added.iter().position(|capability| capability == "CAP_SYS_ADMIN") {
            report
                .at(
                    Code::InvalidValue,
                    at.key("capabilities").key("add").index(i),
                    "`CAP_SYS_ADMIN` cannot be added with `allowPrivilegeEscalation: false`",
                )
                .with_help("remove `CAP_SYS_ADMIN`, or `allowPrivilegeEscalation: false`");
        }
    }
}

/// A user or group ID (IsValidUserID, IsValidGroupID): 0 to 2147483647.
fn check_id(id: i64, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    if !(0..=i64::from(i32::MAX)).contains(&id) {
        report
            .at(Code::InvalidValue, at, format!("`{id}` is not a user or group ID"))
            .with_help("IDs are 0 to 2147483647");
    }
}

/// `seccompProfile` and `appArmorProfile` (validateSeccompProfileField,
/// ValidateAppArmorProfileField): a known type, and a `localhostProfile`
/// with `Localhost` only, where it is needed.
fn check_profiles(seccomp: Option<&SeccompProfile>, app_armor: Option<&AppArmorProfile>, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    let profiles = [
        (
            "seccompProfile",
            seccomp.map(|p| (p.type_.as_str(), p.localhost_profile.as_deref())),
        ),
        (
            "appArmorProfile",
            app_armor.map(|p| (p.type_.as_str(), p.localhost_profile.as_deref())),
        ),
    ];
    for (key, profile) in profiles {
        let Some((kind, localhost)) = profile else { continue };
        let at = at.key(key);
        match (kind, localhost) {
            ("Localhost", None) => {
                report
                    .at_key(Code::InvalidValue, &at, format!("a `Localhost` {key} needs a `localhostProfile`"))
                    .with_help("name the profile the node has, e.g. `localhostProfile: profiles/frappe.json`");
            }
            ("Localhost", Some(path)) => {
                let bad = if key == "seccompProfile" {
                    (path.starts_with('/') || path.split('/').any(|part| part == ".."))
                        .then_some("must be a path relative to the kubelet's seccomp directory, without `..`")
                } else {
                    (path.trim() != path || path.is_empty()).then_some("must name a profile, without blanks around it")
                };
                if let Some(reason) = bad {
                    report.at(
                        Code::InvalidValue,
                        at.key("localhostProfile"),
                        format!("`localhostProfile` {reason}"),
                    );
                }
            }
            ("RuntimeDefault" | "Unconfined", Some(_)) => {
                report
                    .at_key(
                        Code::InvalidValue,
                        at.key("localhostProfile"),
                        format!("`localhostProfile` is for `type: Localhost` only, not `{kind}`"),
                    )
                    .with_help("remove `localhostProfile`, or set `type: Localhost`");
            }
            ("RuntimeDefault" | "Unconfined", None) => {}
            (other, _) => {
                let message = if other.is_empty() {
                    format!("the {key} has no `type`")
                } else {
                    format!("`{other}` is not a profile type")
                };
                report
                    .at(Code::InvalidValue, at.key("type"), message)
                    .with_help("use `RuntimeDefault`, `Localhost` or `Unconfined`");
            }
        }
    }
}

/// Topology spread constraints as the API server validates them, and a
/// topology key that can name a node label at all.
pub(super) fn check_topology_spread(spread: TopologySpreadValues<'_>, report: &mut Reporter<'_>) {
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
pub(super) fn check_label_selector(selector: &LabelSelector, at: &Anchor<'_>, report: &mut Reporter<'_>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_field_paths() {
        for ok in [
            "metadata.name",
            "spec.nodeName",
            "spec.host",
            "status.podIPs",
            "metadata.labels['app.kubernetes.io/name']",
            "metadata.annotations['Example.com/Foo']",
        ] {
            assert!(is_env_field_path(ok), "{ok}");
        }
        for bad in [
            "metadata.labels",
            "spec.restartPolicy",
            "status.phase",
            "metadata.name['x']",
            "spec.hostname",
        ] {
            assert!(!is_env_field_path(bad), "{bad}");
        }
    }
}
