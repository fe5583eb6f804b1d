//! Rules on the values that do not shape the model: what the API server would
//! reject (probes, quantities, ports, names), and an experienced operator's
//! warnings.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, EnvVar, Probe, ResourceRequirements, Toleration, TopologySpreadConstraint};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::component::ComponentKind;
use super::k8s;
use super::report::Reporter;
use crate::diagnostic::Code;
use crate::node::Path;
use crate::values::{ComponentValues, DefaultTopologySpread, HttpRoute, ProbeValues, StringMap, Values, WebsocketMode, WorkerProbe};

pub fn check_values(values: &Values, report: &mut Reporter<'_>) {
    check_in_cluster_services(values, report);
    for &kind in ComponentKind::ALL {
        check_component(kind, &kind.values(values), report);
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
        check_tolerations(pod.tolerations, &Path::parse(key).key("tolerations"), report);
    }
    check_containers(&jobs.custom.init_containers, &Path::parse("jobs.custom.initContainers"), report);
    check_containers(&jobs.custom.containers, &Path::parse("jobs.custom.containers"), report);
    check_labels(&jobs.custom.labels, &Path::parse("jobs.custom.labels"), report);

    if values.nginx.enabled {
        check_topology_spread(
            values.nginx.topology_spread_constraints.as_deref(),
            &values.nginx.default_topology_spread,
            &Path::parse("nginx"),
            report,
        );
    }
    check_topology_spread(
        values.worker.topology_spread_constraints.as_deref(),
        &values.worker.default_topology_spread,
        &Path::parse("worker"),
        report,
    );

    for (key, volume) in [("worker", &values.persistence.worker), ("logs", &values.persistence.logs)] {
        let base = Path::parse("persistence").key(key);
        if !volume.enabled {
            continue;
        }
        if let Some(claim) = volume.existing_claim.as_deref().filter(|c| !c.is_empty()) {
            check_object_name(claim, "PersistentVolumeClaim", &base.key("existingClaim"), report);
            continue;
        }
        if let Some(class) = volume.storage_class.as_deref().filter(|c| !c.is_empty()) {
            check_object_name(class, "StorageClass", &base.key("storageClass"), report);
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
    if values.httproute.enabled {
        check_http_route(&values.httproute, report);
    }
    if values.nginx.enabled {
        check_nginx_environment(values, report);
    }
    if values.network_policy.enabled {
        let base = Path::parse("networkPolicy");
        check_label_selector(
            &values.network_policy.ingress_namespace_selector,
            &base.key("ingressNamespaceSelector"),
            report,
        );
        if let Some(selector) = &values.network_policy.ingress_pod_selector {
            check_label_selector(selector, &base.key("ingressPodSelector"), report);
        }
    }
    check_image(values, report);
    check_references(values, report);

    if values.db_root_password.as_deref().is_some_and(|p| !p.is_empty()) {
        report
            .at(
                Code::PlaintextPassword,
                &Path::parse("dbRootPassword"),
                "the database root password is written in the values file",
            )
            .with_help("create a Secret with the password and set `dbExistingSecret` (and `dbExistingSecretPasswordKey`) instead");
    }
}

/// The chart's in-cluster databases and Redis must stay off: both are
/// external services here.
fn check_in_cluster_services(values: &Values, report: &mut Reporter<'_>) {
    for (key, service) in values.data_services() {
        if service.is_some_and(|s| s.enabled) {
            let redis = key.contains("redis") || key.contains("valkey") || key.contains("dragonfly");
            let (what, keys) = if redis {
                ("Redis", "`externalRedis.cache` and `externalRedis.queue`")
            } else {
                ("the database", "`dbHost` and `dbPort`")
            };
            report
                .at(
                    Code::InClusterService,
                    &Path::parse(key).key("enabled"),
                    format!("`{key}` would run {what} inside the cluster, which this tool does not render"),
                )
                .with_help(format!(
                    "{what} is an external managed service here: set `{key}.enabled: false` and point {keys} at it"
                ));
        }
    }
}

/// The keys of one component.
fn check_component(kind: ComponentKind, component: &ComponentValues<'_>, report: &mut Reporter<'_>) {
    let base = Path::parse(kind.spec().values_path);
    // Probes and the Service port as written, even for a disabled nginx.
    for (key, probe) in [
        ("livenessProbe", component.liveness_probe),
        ("readinessProbe", component.readiness_probe),
    ] {
        match probe {
            ProbeValues::Replace(Some(probe)) => check_probe(probe, &base.key(key), report),
            ProbeValues::Override(WorkerProbe { probe: Some(probe), .. }) => check_probe(probe, &base.key(key).key("probe"), report),
            _ => {}
        }
    }
    if let Some(service) = component.service {
        check_port(service.port, &base.key("service").key("port"), report);
    }
    if !component.enabled {
        return;
    }
    let pod = &component.pod;
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
    check_tolerations(pod.tolerations, &base.key("tolerations"), report);
    let requests = pod.resources.requests.as_ref();
    if requests.is_none_or(BTreeMap::is_empty) {
        report
            .at_key(Code::MissingRequests, &base.key("resources"), format!("`{base}` has no CPU or memory requests"))
            .with_help(format!("set `{base}.resources.requests.cpu` and `.memory`: without requests Kubernetes places pods blindly and cannot autoscale them"));
    }
    if let Some(autoscaling) = component.autoscaling.filter(|a| a.enabled) {
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
    // A KEDA section on a component without a queue is an error already.
    if let Some(keda) = component
        .autoscaling
        .map(|a| &a.keda)
        .filter(|k| k.enabled && !kind.queues().is_empty())
        && let Some(secret) = &keda.password_secret
    {
        let base = base.key("autoscaling").key("keda").key("passwordSecret");
        check_object_name(&secret.name, "Secret", &base.key("name"), report);
        check_secret_key(&secret.key, &base.key("key"), report);
    }
}

fn check_ingress(values: &Values, report: &mut Reporter<'_>) {
    let ingress = &values.ingress;
    let base = Path::parse("ingress");
    if let Some(name) = ingress.ingress_name.as_deref().filter(|n| !n.is_empty()) {
        check_object_name(name, "Ingress", &base.key("ingressName"), report);
    }
    if let Some(class) = ingress.class_name.as_deref().filter(|c| !c.is_empty()) {
        check_object_name(class, "IngressClass", &base.key("className"), report);
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
            } else if matches!(path.path_type.as_str(), "Prefix" | "Exact") {
                check_path_traversal(&path.path, INGRESS_INVALID_PATH_SEQUENCES, &path_path.key("path"), report);
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
        if let Some(secret) = tls.secret_name.as_deref().filter(|s| !s.is_empty()) {
            check_object_name(secret, "Secret", &base.key("tls").index(i).key("secretName"), report);
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
        let image = container.image.as_deref().unwrap_or_default();
        if !k8s::is_image_reference(image) {
            let message = if image.is_empty() {
                format!("the container `{}` has no image", container.name)
            } else {
                format!("`{image}` is not an image reference")
            };
            report.at(Code::InvalidValue, &base.key("image"), message).with_help(
                "write `[registry/]repository[:tag][@sha256:digest]`, e.g. `busybox:1.36` or `registry.example.com/tools/backup:v2`",
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

/// The image every bench container runs: `repository:tag`, or
/// `repository@digest` when a digest pins it. Both parts must be what the
/// container runtime parses (distribution/reference's grammar); a moving tag
/// is only a warning.
fn check_image(values: &Values, report: &mut Reporter<'_>) {
    let image = &values.image;
    let repository = image.repository.as_str();
    if !k8s::is_image_repository(repository) {
        report
            .at(Code::InvalidValue, &Path::parse("image.repository"), format!("`{repository}` is not an image repository"))
            .with_help("write `[registry[:port]/]path`, the path in lower case, e.g. `frappe/erpnext` or `registry.example.com/erp`; the tag goes in `image.tag`");
    }
    if let Some(digest) = image.digest.as_deref().filter(|d| !d.is_empty()) {
        if !k8s::is_image_digest(digest) {
            report
                .at(
                    Code::InvalidValue,
                    &Path::parse("image.digest"),
                    format!("`{digest}` is not an image digest"),
                )
                .with_help("a digest is `sha256:` followed by 64 lower-case hex digits (or `sha512:` and 128), as `docker buildx imagetools inspect` prints it");
        }
        return;
    }
    let tag = image.tag.as_str();
    if !k8s::is_image_tag(tag) {
        let message = if tag.is_empty() {
            format!("the image has no tag: pods would run `{repository}:`, which no runtime can pull")
        } else {
            format!("`{tag}` is not an image tag")
        };
        report.at(Code::InvalidValue, &Path::parse("image.tag"), message).with_help(
            "a tag is at most 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`, e.g. `v16.32.3`; or pin `image.digest`",
        );
    } else if tag == "latest" || tag.ends_with("-latest") || tag.starts_with("latest-") {
        report
            .at(
                Code::ImageTag,
                &Path::parse("image.tag"),
                format!("the image has the moving tag `{tag}`: each pod restart may run a different build"),
            )
            .with_help("pin a version tag such as `v16.32.3`, and change it to upgrade");
    }
}

/// Reports `name` unless an object of `kind` could have it: the objects
/// named here (Secrets, claims, classes, ServiceAccounts, Gateways) all have
/// DNS-1123 subdomains as names, and a reference to a name no object can
/// have never finds one.
fn check_object_name(name: &str, kind: &str, path: &Path, report: &mut Reporter<'_>) {
    if k8s::is_dns1123_subdomain(name) {
        return;
    }
    let message = if name.is_empty() {
        format!("the {kind} name is empty")
    } else {
        format!("`{name}` is not a valid {kind} name")
    };
    report.at(Code::InvalidName, path, message).with_help(format!(
        "{kind} names are lower-case letters, digits, `-` and `.`, start and end with a letter or digit, and have at most 253 characters"
    ));
}

/// Reports `key` unless a Secret can hold it (IsConfigMapKey).
fn check_secret_key(key: &str, path: &Path, report: &mut Reporter<'_>) {
    if !k8s::is_config_key(key) {
        let message = if key.is_empty() {
            "the Secret key is empty".to_owned()
        } else {
            format!("`{key}` is not a valid Secret key")
        };
        report
            .at(Code::InvalidValue, path, message)
            .with_help("Secret keys are at most 253 letters, digits, `-`, `_` and `.`, and do not start with `..`");
    }
}

/// The objects the pods refer to by name: the pull secrets, the
/// ServiceAccount, and the Secrets (and keys in them) that hold passwords.
fn check_references(values: &Values, report: &mut Reporter<'_>) {
    for (i, secret) in values.image_pull_secrets.iter().enumerate() {
        check_object_name(
            &secret.name,
            "Secret",
            &Path::parse("imagePullSecrets").index(i).key("name"),
            report,
        );
    }
    if let Some(account) = values.service_account.name.as_deref().filter(|n| !n.is_empty()) {
        check_object_name(account, "ServiceAccount", &Path::parse("serviceAccount.name"), report);
    }
    if let Some(secret) = values.db_existing_secret.as_deref().filter(|s| !s.is_empty()) {
        check_object_name(secret, "Secret", &Path::parse("dbExistingSecret"), report);
        if let Some(key) = values.db_existing_secret_password_key.as_deref().filter(|k| !k.is_empty()) {
            check_secret_key(key, &Path::parse("dbExistingSecretPasswordKey"), report);
        }
    }
    let jobs = &values.jobs;
    for (key, enabled, secret, secret_key) in [
        (
            "jobs.createSite",
            jobs.create_site.enabled,
            &jobs.create_site.admin_existing_secret,
            &jobs.create_site.admin_existing_secret_key,
        ),
        (
            "jobs.createMultipleSites",
            jobs.create_multiple_sites.enabled,
            &jobs.create_multiple_sites.admin_existing_secret,
            &jobs.create_multiple_sites.admin_existing_secret_key,
        ),
    ] {
        if let Some(secret) = secret.as_deref().filter(|s| enabled && !s.is_empty()) {
            let base = Path::parse(key);
            check_object_name(secret, "Secret", &base.key("adminExistingSecret"), report);
            check_secret_key(secret_key, &base.key("adminExistingSecretKey"), report);
        }
    }
}

/// Tolerations as the API server validates them (ValidateTolerations).
fn check_tolerations(tolerations: &[Toleration], path: &Path, report: &mut Reporter<'_>) {
    const EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];
    for (i, toleration) in tolerations.iter().enumerate() {
        let base = path.index(i);
        let key = toleration.key.as_deref().unwrap_or_default();
        let operator = toleration.operator.as_deref().unwrap_or("Equal");
        let value = toleration.value.as_deref().unwrap_or_default();
        let effect = toleration.effect.as_deref().unwrap_or_default();
        if !key.is_empty() && !k8s::is_qualified_name(key) {
            report
                .at(Code::InvalidLabel, &base.key("key"), format!("`{key}` is not a valid taint key"))
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
                        &base.key("value"),
                        format!("`{value}` is not a valid taint value"),
                    )
                    .with_help("taint values are at most 63 letters, digits, `-`, `_` and `.`");
            }
            "Exists" if !value.is_empty() => {
                report
                    .at(Code::InvalidValue, &base.key("value"), "`operator: Exists` takes no `value`")
                    .with_help("remove `value`, or use `operator: Equal`");
            }
            "Equal" | "" | "Exists" => {}
            other => {
                report
                    .at(
                        Code::InvalidValue,
                        &base.key("operator"),
                        format!("`{other}` is not a toleration operator"),
                    )
                    .with_help("use `Equal` or `Exists`");
            }
        }
        if !effect.is_empty() && !EFFECTS.contains(&effect) {
            let diagnostic = report.at(Code::InvalidValue, &base.key("effect"), format!("`{effect}` is not a taint effect"));
            match crate::suggest::closest(effect, EFFECTS.iter().copied()) {
                Some(best) => diagnostic.with_help(format!("did you mean `{best}`?")),
                None => diagnostic.with_help("use `NoSchedule`, `PreferNoSchedule` or `NoExecute`, or leave it out to match every effect"),
            };
        }
        if toleration.toleration_seconds.is_some() && effect != "NoExecute" {
            report
                .at_key(
                    Code::InvalidValue,
                    &base.key("tolerationSeconds"),
                    "`tolerationSeconds` needs `effect: NoExecute`",
                )
                .with_help("set `effect: NoExecute`, or remove `tolerationSeconds`");
        }
    }
}

/// Topology spread constraints as the API server validates them, and a
/// topology key that can name a node label at all.
fn check_topology_spread(
    custom: Option<&[TopologySpreadConstraint]>,
    default: &DefaultTopologySpread,
    base: &Path,
    report: &mut Reporter<'_>,
) {
    let constraints: Vec<(Path, i32, &str, &str)> = match custom {
        Some(custom) => custom
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    base.key("topologySpreadConstraints").index(i),
                    c.max_skew,
                    c.topology_key.as_str(),
                    c.when_unsatisfiable.as_str(),
                )
            })
            .collect(),
        None => vec![(
            base.key("defaultTopologySpread"),
            default.max_skew,
            default.topology_key.as_str(),
            default.when_unsatisfiable.as_str(),
        )],
    };
    for (path, max_skew, topology_key, when_unsatisfiable) in constraints {
        if max_skew < 1 {
            report.at(
                Code::InvalidValue,
                &path.key("maxSkew"),
                format!("`maxSkew` must be at least 1, not {max_skew}"),
            );
        }
        if !k8s::is_qualified_name(topology_key) {
            report
                .at(
                    Code::InvalidLabel,
                    &path.key("topologyKey"),
                    format!("`{topology_key}` is not a node label key"),
                )
                .with_help("use a node label such as `kubernetes.io/hostname` or `topology.kubernetes.io/zone`");
        }
        if !matches!(when_unsatisfiable, "DoNotSchedule" | "ScheduleAnyway") {
            report
                .at(
                    Code::InvalidValue,
                    &path.key("whenUnsatisfiable"),
                    format!("`{when_unsatisfiable}` is not a `whenUnsatisfiable` action"),
                )
                .with_help("use `DoNotSchedule` or `ScheduleAnyway`");
        }
    }
}

/// A label selector's labels and expressions.
fn check_label_selector(selector: &LabelSelector, path: &Path, report: &mut Reporter<'_>) {
    if let Some(labels) = &selector.match_labels {
        check_labels(labels, &path.key("matchLabels"), report);
    }
    for (i, requirement) in selector.match_expressions.iter().flatten().enumerate() {
        let base = path.key("matchExpressions").index(i);
        if !k8s::is_qualified_name(&requirement.key) {
            report.at(
                Code::InvalidLabel,
                &base.key("key"),
                format!("`{}` is not a valid label key", requirement.key),
            );
        }
        let values = requirement.values.as_deref().unwrap_or_default();
        match requirement.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => {
                report.at_key(
                    Code::InvalidValue,
                    &base.key("values"),
                    format!("`{}` needs `values`", requirement.operator),
                );
            }
            "Exists" | "DoesNotExist" if !values.is_empty() => {
                report.at(
                    Code::InvalidValue,
                    &base.key("values"),
                    format!("`{}` takes no `values`", requirement.operator),
                );
            }
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => {
                report
                    .at(
                        Code::InvalidValue,
                        &base.key("operator"),
                        format!("`{other}` is not a selector operator"),
                    )
                    .with_help("use `In`, `NotIn`, `Exists` or `DoesNotExist`");
            }
        }
        for (j, value) in values.iter().enumerate() {
            if !k8s::is_label_value(value) {
                report.at(
                    Code::InvalidLabel,
                    &base.key("values").index(j),
                    format!("`{value}` is not a valid label value"),
                );
            }
        }
    }
}

/// Sequences Kubernetes refuses in an Ingress path of type Prefix or Exact
/// (networking validation's invalidPathSequences and invalidPathSuffixes).
const INGRESS_INVALID_PATH_SEQUENCES: &[&str] = &["//", "/./", "/../", "%2f", "%2F"];

/// What an HTTPRoute path match refuses besides: `#` (the Gateway API's list).
const ROUTE_INVALID_PATH_SEQUENCES: &[&str] = &["//", "/./", "/../", "%2f", "%2F", "#"];

/// Reports the first of `sequences` in `path`, or a `/.` or `/..` ending.
fn check_path_traversal(path: &str, sequences: &[&str], at: &Path, report: &mut Reporter<'_>) {
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

/// The HTTPRoute's names and matches, as the Gateway API's CRD validates them.
fn check_http_route(route: &HttpRoute, report: &mut Reporter<'_>) {
    let base = Path::parse("httproute");
    if !route.name.is_empty() {
        check_object_name(&route.name, "HTTPRoute", &base.key("name"), report);
    }
    for (i, hostname) in route.hostnames.iter().enumerate() {
        if !k8s::is_ingress_host(hostname) {
            report
                .at(Code::InvalidHost, &base.key("hostnames").index(i), format!("`{hostname}` is not a valid host name"))
                .with_help("host names are lower-case DNS names (letters, digits, `-` and `.`), optionally starting with `*.`, and not IP addresses");
        }
    }
    for (i, parent) in route.parent_refs.iter().enumerate() {
        let parent_path = base.key("parentRefs").index(i);
        check_object_name(&parent.gateway_name, "Gateway", &parent_path.key("gatewayName"), report);
        if let Some(namespace) = parent.gateway_namespace.as_deref()
            && !k8s::is_dns1123_label(namespace)
        {
            report
                .at(
                    Code::InvalidName,
                    &parent_path.key("gatewayNamespace"),
                    format!("`{namespace}` is not a valid namespace name"),
                )
                .with_help("namespace names are at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit");
        }
        if let Some(kind) = parent.gateway_kind.as_deref()
            && !k8s::is_api_kind(kind)
        {
            report
                .at(
                    Code::InvalidValue,
                    &parent_path.key("gatewayKind"),
                    format!("`{kind}` is not a kind"),
                )
                .with_help("a kind is a word such as `Gateway`: letters, digits and `-`, starting with a letter");
        }
        if let Some(section) = parent.gateway_section_name.as_deref()
            && !k8s::is_dns1123_subdomain(section)
        {
            report
                .at(
                    Code::InvalidName,
                    &parent_path.key("gatewaySectionName"),
                    format!("`{section}` is not a valid listener name"),
                )
                .with_help("listener names are lower-case letters, digits, `-` and `.`, starting and ending with a letter or digit");
        }
    }
    for (i, rule) in route.rules.iter().enumerate() {
        for (j, matched) in rule.matches.iter().enumerate() {
            let match_path = base.key("rules").index(i).key("matches").index(j);
            const TYPES: &[&str] = &["PathPrefix", "Exact", "RegularExpression"];
            if !TYPES.contains(&matched.path_type.as_str()) {
                let diagnostic = report.at(
                    Code::InvalidPath,
                    &match_path.key("pathType"),
                    format!("`{}` is not an HTTPRoute path type", matched.path_type),
                );
                match crate::suggest::closest(&matched.path_type, TYPES.iter().copied()) {
                    Some(best) => diagnostic.with_help(format!("did you mean `{best}`?")),
                    None => diagnostic.with_help("use `PathPrefix`, `Exact` or `RegularExpression`"),
                };
            } else if matched.path_type != "RegularExpression" {
                if !matched.path.starts_with('/') {
                    report
                        .at(
                            Code::InvalidPath,
                            &match_path.key("path"),
                            format!("`{}` is not an absolute path", matched.path),
                        )
                        .with_help("paths start with `/`");
                } else {
                    check_path_traversal(&matched.path, ROUTE_INVALID_PATH_SEQUENCES, &match_path.key("path"), report);
                }
            }
        }
    }
}

/// The nginx entrypoint's settings, which the image's template pastes into
/// its nginx configuration unquoted (frappe_docker's
/// `resources/nginx-template.conf`): each must be what its directive takes,
/// and nothing that could end the directive and start another.
fn check_nginx_environment(values: &Values, report: &mut Reporter<'_>) {
    let environment = &values.nginx.environment;
    let base = Path::parse("nginx.environment");
    let settings = [
        (
            "upstreamRealIPAddress",
            &environment.upstream_real_ip_address,
            (|v| k8s::is_ip_or_cidr(v) || k8s::is_dns1123_subdomain(&v.to_ascii_lowercase())) as fn(&str) -> bool,
            "the address, CIDR range or host name of the trusted proxies, e.g. `10.0.0.0/8` (`set_real_ip_from`)",
        ),
        (
            "upstreamRealIPRecursive",
            &environment.upstream_real_ip_recursive,
            |v| matches!(v, "on" | "off"),
            "`on` or `off` (`real_ip_recursive`)",
        ),
        (
            "upstreamRealIPHeader",
            &environment.upstream_real_ip_header,
            |v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')),
            "a header name such as `X-Forwarded-For`, or `proxy_protocol` (`real_ip_header`)",
        ),
        (
            "frappeSiteNameHeader",
            &environment.frappe_site_name_header,
            |v| k8s::is_nginx_variable(v) || k8s::is_dns1123_subdomain(v),
            "an nginx variable such as `$host` or `$http_x_frappe_site_name`, or one site's name",
        ),
        (
            "proxyReadTimeout",
            &environment.proxy_read_timeout,
            k8s::is_nginx_time,
            "an nginx time such as `120`, `120s` or `2m` (`proxy_read_timeout`)",
        ),
        (
            "clientMaxBodySize",
            &environment.client_max_body_size,
            k8s::is_nginx_size,
            "an nginx size such as `50m` or `1g` (`client_max_body_size`)",
        ),
    ];
    for (key, value, valid, expected) in settings {
        if !valid(value) {
            report
                .at(Code::InvalidValue, &base.key(key), format!("`{value}` is not a valid `{key}`"))
                .with_help(format!("write {expected}; the value is pasted into the nginx configuration as is"));
        }
    }
}
