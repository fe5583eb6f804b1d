//! Rules on the values that do not shape the model: what the API server would
//! reject (probes, quantities, ports, names), and an experienced operator's
//! warnings.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, EnvVar, Probe, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::component::ComponentKind;
use super::k8s;
use super::report::Reporter;
use crate::diagnostic::Code;
use crate::node::Path;
use crate::values::{StringMap, Values, WebsocketMode};

pub fn check_values(values: &Values, report: &mut Reporter<'_>) {
    for (kind, pod) in super::component_values(values) {
        let base = Path::parse(kind.values_path());
        if pod.replica_count < 0 {
            report.at(
                Code::InvalidValue,
                &base.key("replicaCount"),
                format!("`replicaCount` cannot be negative ({})", pod.replica_count),
            );
        }
        check_resources(pod.resources, &base.key("resources"), report);
        check_env(pod.env_vars, &base.key("envVars"), report);
        check_containers(pod.init_containers, &base.key("initContainers"), report);
        check_containers(pod.sidecars, &base.key("sidecars"), report);
        check_annotations(pod.pod_annotations, &base.key("podAnnotations"), report);
        check_labels(pod.node_selector, &base.key("nodeSelector"), report);
        if pod.resources.requests.as_ref().is_none_or(BTreeMap::is_empty) {
            report
                .at_key(Code::MissingRequests, &base.key("resources"), format!("`{base}` has no CPU or memory requests"))
                .with_help(format!("set `{base}.resources.requests.cpu` and `.memory`: without requests Kubernetes places pods blindly and cannot autoscale them"));
        }
    }
    for (kind, autoscaling) in [
        (ComponentKind::Nginx, &values.nginx.autoscaling),
        (ComponentKind::Gunicorn, &values.worker.gunicorn.autoscaling),
        (ComponentKind::Socketio, &values.socketio.autoscaling),
        (ComponentKind::WorkerDefault, &values.worker.default.autoscaling),
        (ComponentKind::WorkerShort, &values.worker.short.autoscaling),
        (ComponentKind::WorkerLong, &values.worker.long.autoscaling),
    ] {
        if !autoscaling.enabled || (kind == ComponentKind::Nginx && !values.nginx.enabled) {
            continue;
        }
        let base = Path::parse(kind.values_path());
        let requests = component_resources(values, kind).requests.as_ref();
        for (target, key, resource) in [
            (autoscaling.target_cpu, "targetCPU", "cpu"),
            (autoscaling.target_memory, "targetMemory", "memory"),
        ] {
            if target.is_some() && requests.is_none_or(|r| !r.contains_key(resource)) {
                report
                    .at(
                        Code::HpaNeedsRequest,
                        &base.key("autoscaling").key(key),
                        format!("a {resource} utilization target needs a {resource} request, and `{base}` has none"),
                    )
                    .with_help(format!(
                        "set `{base}.resources.requests.{resource}`, or `{key}: null` to scale on the other metric only"
                    ));
            }
        }
    }

    for (path, probe) in [
        ("nginx.livenessProbe", values.nginx.liveness_probe.as_ref()),
        ("nginx.readinessProbe", values.nginx.readiness_probe.as_ref()),
        ("worker.gunicorn.livenessProbe", values.worker.gunicorn.liveness_probe.as_ref()),
        ("worker.gunicorn.readinessProbe", values.worker.gunicorn.readiness_probe.as_ref()),
        ("socketio.livenessProbe", values.socketio.liveness_probe.as_ref()),
        ("socketio.readinessProbe", values.socketio.readiness_probe.as_ref()),
        (
            "worker.default.livenessProbe.probe",
            values.worker.default.liveness_probe.probe.as_ref(),
        ),
        (
            "worker.default.readinessProbe.probe",
            values.worker.default.readiness_probe.probe.as_ref(),
        ),
        (
            "worker.short.livenessProbe.probe",
            values.worker.short.liveness_probe.probe.as_ref(),
        ),
        (
            "worker.short.readinessProbe.probe",
            values.worker.short.readiness_probe.probe.as_ref(),
        ),
        ("worker.long.livenessProbe.probe", values.worker.long.liveness_probe.probe.as_ref()),
        (
            "worker.long.readinessProbe.probe",
            values.worker.long.readiness_probe.probe.as_ref(),
        ),
        (
            "worker.scheduler.livenessProbe.probe",
            values.worker.scheduler.liveness_probe.probe.as_ref(),
        ),
        (
            "worker.scheduler.readinessProbe.probe",
            values.worker.scheduler.readiness_probe.probe.as_ref(),
        ),
    ] {
        if let Some(probe) = probe {
            check_probe(probe, &Path::parse(path), report);
        }
    }

    for (path, port) in [
        ("nginx.service.port", values.nginx.service.port),
        ("worker.gunicorn.service.port", values.worker.gunicorn.service.port),
        ("socketio.service.port", values.socketio.service.port),
    ] {
        check_port(port, &Path::parse(path), report);
    }
    if let Some(port) = values.db_port {
        check_port(port, &Path::parse("dbPort"), report);
    }

    let job = &values.jobs.configure;
    check_env(&job.env_vars, &Path::parse("jobs.configure.envVars"), report);
    let jobs = &values.jobs;
    for (key, pod) in jobs.all() {
        check_resources(pod.resources, &Path::parse(key).key("resources"), report);
        check_labels(pod.node_selector, &Path::parse(key).key("nodeSelector"), report);
    }
    check_containers(&jobs.custom.init_containers, &Path::parse("jobs.custom.initContainers"), report);
    check_containers(&jobs.custom.containers, &Path::parse("jobs.custom.containers"), report);

    for (key, volume) in [("worker", &values.persistence.worker), ("logs", &values.persistence.logs)] {
        let base = Path::parse("persistence").key(key);
        if !volume.enabled || volume.existing_claim.as_deref().is_some_and(|c| !c.is_empty()) {
            continue;
        }
        check_quantity(&volume.size, || base.key("size"), report);
        for (i, mode) in volume.access_modes.iter().enumerate() {
            const MODES: &[&str] = &["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"];
            if !MODES.contains(&mode.as_str()) {
                let diagnostic = report.at(
                    Code::InvalidAccessMode,
                    &base.key("accessModes").index(i),
                    format!("`{mode}` is not an access mode"),
                );
                match crate::suggest::closest(mode, MODES.iter().copied()) {
                    Some(best) => diagnostic.with_help(format!("did you mean `{best}`?")),
                    None => diagnostic.with_help("use `ReadWriteMany`, `ReadWriteOnce`, `ReadOnlyMany` or `ReadWriteOncePod`"),
                };
            }
        }
        if volume.access_modes.is_empty() {
            report
                .at(
                    Code::InvalidAccessMode,
                    &base.key("accessModes"),
                    "a claim needs at least one access mode",
                )
                .with_help("use `[ReadWriteMany]`");
        }
        if let Some(class) = volume.storage_class.as_deref()
            && volume.access_modes.iter().any(|m| m == "ReadWriteMany")
            && k8s::BLOCK_ONLY_STORAGE_CLASSES.contains(&class)
        {
            report
                .at(Code::RwxBlockStorage, &base.key("storageClass"), format!("storage class `{class}` provides ReadWriteOnce block volumes, but every bench pod mounts this volume at once (ReadWriteMany)"))
                .with_help("use a shared-filesystem class (AWS EFS, GCP Filestore, Azure Files, NFS, CephFS); with a block class, every pod after the first stays Pending");
        }
    }

    if values.ingress.enabled {
        check_ingress(values, report);
    }
    check_annotations(&values.httproute.annotations, &Path::parse("httproute.annotations"), report);

    if values.db_root_password.as_deref().is_some_and(|p| !p.is_empty()) {
        report
            .at(
                Code::PlaintextPassword,
                &Path::parse("dbRootPassword"),
                "the database root password is written in the values file",
            )
            .with_help("create a Secret with the password and set `dbExistingSecret` (and `dbExistingSecretPasswordKey`) instead");
    }
    if let Some(digest) = values.image.digest.as_deref() {
        let hex = digest.strip_prefix("sha256:").unwrap_or("");
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()) {
            report
                .at(
                    Code::InvalidValue,
                    &Path::parse("image.digest"),
                    format!("`{digest}` is not an image digest"),
                )
                .with_help("a digest is `sha256:` followed by 64 lower-case hex digits, as `docker buildx imagetools inspect` prints it");
        }
    }
    let tag = values.image.tag.as_str();
    if values.image.digest.is_none() && (tag.is_empty() || tag == "latest" || tag.ends_with("-latest") || tag.starts_with("latest-")) {
        let moving = if tag.is_empty() {
            "no tag".to_owned()
        } else {
            format!("the moving tag `{tag}`")
        };
        report
            .at(
                Code::ImageTag,
                &Path::parse("image.tag"),
                format!("the image has {moving}: each pod restart may run a different build"),
            )
            .with_help("pin a version tag such as `v16.32.3`, and change it to upgrade");
    }
}

fn component_resources(values: &Values, kind: ComponentKind) -> &ResourceRequirements {
    match kind {
        ComponentKind::Nginx => &values.nginx.resources,
        ComponentKind::Gunicorn => &values.worker.gunicorn.resources,
        ComponentKind::Socketio => &values.socketio.resources,
        ComponentKind::WorkerDefault => &values.worker.default.resources,
        ComponentKind::WorkerShort => &values.worker.short.resources,
        ComponentKind::WorkerLong => &values.worker.long.resources,
        ComponentKind::Scheduler => &values.worker.scheduler.resources,
    }
}

fn check_ingress(values: &Values, report: &mut Reporter<'_>) {
    let ingress = &values.ingress;
    let base = Path::parse("ingress");
    if let Some(name) = ingress.ingress_name.as_deref().filter(|n| !n.is_empty())
        && !k8s::is_dns1123_subdomain(name)
    {
        report.at(
            Code::InvalidName,
            &base.key("ingressName"),
            format!("`{name}` is not a valid Ingress name"),
        );
    }
    check_annotations(&ingress.annotations, &base.key("annotations"), report);
    for (i, host) in ingress.hosts.iter().enumerate() {
        let host_path = base.key("hosts").index(i);
        if !k8s::is_ingress_host(&host.host) {
            report
                .at(
                    Code::InvalidHost,
                    &host_path.key("host"),
                    format!("`{}` is not a valid host name", host.host),
                )
                .with_help("host names are lower-case DNS names (letters, digits, `-` and `.`), optionally starting with `*.`");
        }
        if host.paths.is_empty() {
            report
                .at_key(
                    Code::InvalidPath,
                    &host_path.key("paths"),
                    format!("host `{}` has no paths", host.host),
                )
                .with_help("add `paths: [{path: /, pathType: Prefix}]`");
        }
        for (j, path) in host.paths.iter().enumerate() {
            let path_path = host_path.key("paths").index(j);
            if !path.path.starts_with('/') {
                report
                    .at(
                        Code::InvalidPath,
                        &path_path.key("path"),
                        format!("`{}` is not an absolute path", path.path),
                    )
                    .with_help("paths start with `/`");
            }
            const TYPES: &[&str] = &["Prefix", "Exact", "ImplementationSpecific"];
            if !TYPES.contains(&path.path_type.as_str()) {
                let diagnostic = report.at(
                    Code::InvalidPath,
                    &path_path.key("pathType"),
                    format!("`{}` is not a pathType", path.path_type),
                );
                match crate::suggest::closest(&path.path_type, TYPES.iter().copied()) {
                    Some(best) => diagnostic.with_help(format!("did you mean `{best}`?")),
                    None => diagnostic.with_help("use `Prefix`, `Exact` or `ImplementationSpecific`"),
                };
            }
        }
    }
    for (i, tls) in ingress.tls.iter().enumerate() {
        for (j, host) in tls.hosts.iter().flatten().enumerate() {
            if !k8s::is_ingress_host(host) {
                report.at(
                    Code::InvalidHost,
                    &base.key("tls").index(i).key("hosts").index(j),
                    format!("`{host}` is not a valid host name"),
                );
            }
        }
    }
    if ingress.websocket == WebsocketMode::Snippet {
        report
            .at(Code::SnippetAnnotation, &base.key("websocket"), "`websocket: snippet` adds a configuration-snippet annotation, which ingress-nginx rejects unless `allow-snippet-annotations` is enabled")
            .with_help("enable `allow-snippet-annotations` in the ingress-nginx controller, or keep nginx enabled with `websocket: auto`");
    }
}

fn check_probe(probe: &Probe, path: &Path, report: &mut Reporter<'_>) {
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
                .at_key(Code::ProbeHandlers, path, "the probe has no handler")
                .with_help("add one of `exec`, `httpGet`, `tcpSocket` or `grpc`");
        }
        _ => {
            report
                .at_key(
                    Code::ProbeHandlers,
                    path,
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
        check_port(port, &path.key("httpGet").key("port"), report);
    }
    if let Some(port) = probe.tcp_socket.as_ref().and_then(|t| port_of(&t.port)) {
        check_port(port, &path.key("tcpSocket").key("port"), report);
    }
}

fn check_port(port: i32, path: &Path, report: &mut Reporter<'_>) {
    if !(1..=65535).contains(&port) {
        report
            .at(Code::InvalidPort, path, format!("`{port}` is not a port"))
            .with_help("ports are 1 to 65535");
    }
}

/// `path` is built only for a report: quantities are many, and almost all
/// of them valid.
fn check_quantity(quantity: &Quantity, path: impl FnOnce() -> Path, report: &mut Reporter<'_>) {
    if !k8s::is_quantity(&quantity.0) {
        report
            .at(
                Code::InvalidQuantity,
                &path(),
                format!("`{}` is not a Kubernetes quantity", quantity.0),
            )
            .with_help("write a number with an optional suffix: `500m` or `2` CPUs, `512Mi` or `1.5Gi` of memory");
    }
}

fn check_resources(resources: &ResourceRequirements, path: &Path, report: &mut Reporter<'_>) {
    for (key, map) in [("limits", &resources.limits), ("requests", &resources.requests)] {
        for (resource, quantity) in map.iter().flatten() {
            check_quantity(quantity, || path.key(key).key(resource), report);
        }
    }
}

fn check_env(env: &[EnvVar], path: &Path, report: &mut Reporter<'_>) {
    for (i, var) in env.iter().enumerate() {
        if !k8s::is_env_var_name(&var.name) {
            report
                .at(
                    Code::InvalidEnvName,
                    &path.index(i).key("name"),
                    format!("`{}` is not a valid environment variable name", var.name),
                )
                .with_help("use letters, digits, `_`, `-` and `.`, not starting with a digit");
        }
    }
}

fn check_containers(containers: &[Container], path: &Path, report: &mut Reporter<'_>) {
    for (i, container) in containers.iter().enumerate() {
        let base = path.index(i);
        if !k8s::is_dns1123_label(&container.name) {
            report.at(
                Code::InvalidName,
                &base.key("name"),
                format!("`{}` is not a valid container name", container.name),
            );
        }
        if let Some(resources) = &container.resources {
            check_resources(resources, &base.key("resources"), report);
        }
        check_env(container.env.as_deref().unwrap_or_default(), &base.key("env"), report);
        for (key, probe) in [
            ("livenessProbe", &container.liveness_probe),
            ("readinessProbe", &container.readiness_probe),
            ("startupProbe", &container.startup_probe),
        ] {
            if let Some(probe) = probe {
                check_probe(probe, &base.key(key), report);
            }
        }
    }
}

fn check_annotations(annotations: &StringMap, path: &Path, report: &mut Reporter<'_>) {
    for key in annotations.keys() {
        if !k8s::is_qualified_name(key) {
            report
                .at_key(Code::InvalidLabel, &path.key(key), format!("`{key}` is not a valid annotation key"))
                .with_help("keys are `[prefix/]name`: a DNS prefix, and a name of letters, digits, `-`, `_` and `.`");
        }
    }
}

fn check_labels(labels: &StringMap, path: &Path, report: &mut Reporter<'_>) {
    for (key, value) in labels {
        if !k8s::is_qualified_name(key) {
            report.at_key(Code::InvalidLabel, &path.key(key), format!("`{key}` is not a valid label key"));
        } else if !k8s::is_label_value(value) {
            report
                .at(Code::InvalidLabel, &path.key(key), format!("`{value}` is not a valid label value"))
                .with_help("label values are at most 63 letters, digits, `-`, `_` and `.`");
        }
    }
}
