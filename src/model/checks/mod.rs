//! Rules on the values that do not shape the model: what the API server would
//! reject (probes, quantities, ports, names), and an experienced operator's
//! warnings.
//!
//! [`check_values`] visits the values once: each component through the
//! table of components, then the Jobs, the volumes, routing, and the
//! references to other objects. The checks of Kubernetes' own types are in
//! [`kubernetes`]; those of the Ingress and HTTPRoute in [`routing`].

mod kubernetes;
mod nginx;
mod references;
mod routing;

use std::collections::BTreeMap;

use super::component::ComponentKind;
use super::k8s;
use super::report::Reporter;
use super::security::{container_security_context, user_container_security_context};
use crate::diagnostic::Code;
use k8s_openapi::api::core::v1::{Probe, SecurityContext};

use super::component::probes::{GivenProbe, given_probe};
use crate::values::{Anchor, ComponentValues, Jobs, ProbeKey, ProbeValue, Values, Volume};
use kubernetes::{
    ProbeKind, check_affinity, check_annotations, check_containers, check_egress_rules, check_env, check_hpa_behavior,
    check_image_reference, check_label_selector, check_labels, check_mounted_volumes_exist, check_object_name, check_pod_security_context,
    check_port, check_probe, check_quantity, check_resources, check_secret_key, check_security_context, check_tolerations,
    check_topology_spread, check_volumes,
};

pub(super) fn check_values(values: &Values, report: &mut Reporter<'_>) {
    check_in_cluster_services(values, report);
    // What the containers the values add run under when they set no
    // securityContext of their own (objects/workload.rs, objects/job.rs).
    let inherited = user_container_security_context(values);
    for &kind in ComponentKind::ALL {
        let volumes = component_volumes(kind, values);
        check_component(kind, &kind.values(values), &volumes, &inherited, report);
    }
    if let Some(port) = *values.db_port {
        check_port(port, &values.db_port.anchor(), report);
    }
    check_jobs(&values.jobs, &inherited, report);
    if let Some(context) = values.pod_security_context.as_ref() {
        check_pod_security_context(context, &values.pod_security_context.anchor(), report);
    }
    if let Some(context) = values.security_context.as_ref() {
        check_security_context(context, &values.security_context.anchor(), report);
    }
    for volume in [&values.persistence.worker, &values.persistence.logs] {
        check_volume(volume, report);
    }
    check_sites_are_shared(&values.persistence.worker, report);
    if values.ingress.enabled {
        routing::check_ingress(&values.ingress, report);
    }
    let route = &values.httproute;
    check_annotations(&route.annotations, &route.annotations.anchor(), report);
    if route.enabled {
        routing::check_http_route(route, !*values.nginx.enabled, report);
    }
    if *values.nginx.enabled {
        nginx::check_nginx_environment(&values.nginx.environment, report);
    }
    let policy = &values.network_policy;
    if policy.enabled {
        let namespaces = &policy.ingress_namespace_selector;
        check_label_selector(namespaces, &namespaces.anchor(), report);
        if let Some(pods) = policy.ingress_pod_selector.as_ref() {
            check_label_selector(pods, &policy.ingress_pod_selector.anchor(), report);
        }
        if let Some(rules) = &policy.external_egress {
            let at = Anchor::root().key("networkPolicy").key("externalEgress");
            check_egress_rules(rules, &at, report);
        }
        if route.enabled {
            routing::check_gateway_is_admitted(policy, report);
        }
    }
    // A custom `nginx.config` does not read the environment.
    if *values.nginx.enabled && values.nginx.custom_config().is_none() {
        nginx::check_entrypoint_env_vars(&values.nginx.env_vars, report);
    }
    if *values.nginx.enabled && values.nginx.custom_config().is_none() && (values.ingress.enabled || route.enabled) {
        nginx::check_client_address(&values.nginx, report);
    }
    references::check_image(&values.image, report);
    references::check_references(values, report);

    if values.db_root_password.as_deref().is_some_and(|p| !p.is_empty()) {
        report
            .at(
                Code::PlaintextPassword,
                &values.db_root_password,
                "the database root password is written in the values",
            )
            .with_help("create a Secret with the password and set `dbExistingSecret` (and `dbExistingSecretPasswordKey`) instead");
    }
}

/// The chart's in-cluster databases and Redis must stay off: both are
/// external services here.
fn check_in_cluster_services(values: &Values, report: &mut Reporter<'_>) {
    for (key, service) in values.data_services() {
        let Some(enabled) = service.map(|s| &s.enabled).filter(|enabled| ***enabled) else {
            continue;
        };
        let redis = key.contains("redis") || key.contains("valkey") || key.contains("dragonfly");
        let (what, keys) = if redis {
            ("Redis", "`externalRedis.cache` and `externalRedis.queue`")
        } else {
            ("the database", "`dbHost` and `dbPort`")
        };
        report
            .at(
                Code::InClusterService,
                enabled,
                format!("`{key}` would run {what} inside the cluster, which this tool does not render"),
            )
            .with_help(format!(
                "{what} is an external managed service here: set `{key}.enabled: false` and point {keys} at it"
            ));
    }
}

/// The volumes of a component's pod (`deployment` in objects/workload.rs):
/// the sites volume, the logs volume where Frappe runs, nginx's
/// configuration from the values, and the main container's scratch
/// directories when its root filesystem is read-only.
fn component_volumes(kind: ComponentKind, values: &Values) -> Vec<&'static str> {
    let custom_nginx_config = values.nginx.custom_config().is_some();
    let mut volumes = vec!["sites-dir"];
    if kind.runs_frappe() {
        volumes.push("logs");
    }
    if kind.is_proxy() && custom_nginx_config {
        volumes.push("nginx-config");
    }
    if container_security_context(values).read_only_root_filesystem == Some(true) {
        volumes.extend(kind.scratch_dirs(custom_nginx_config).iter().map(|dir| dir.volume));
    }
    volumes
}

/// The keys of one component, whose pod has `volumes`, and whose added
/// containers run under `inherited` unless they say otherwise.
fn check_component(
    kind: ComponentKind,
    component: &ComponentValues<'_>,
    volumes: &[&str],
    inherited: &SecurityContext,
    report: &mut Reporter<'_>,
) {
    // Probes and the Service port as written, even for a disabled nginx.
    let probes = [component.liveness_probe, component.readiness_probe, component.startup_probe];
    for ((kind, _), key) in ProbeKind::ALL.into_iter().zip(probes) {
        check_probe_key(key, kind, report);
    }
    if let Some(service) = component.service {
        check_port(*service.port, &service.port.anchor(), report);
    }
    if !component.enabled {
        return;
    }
    let pod = &component.pod;
    if **pod.replica_count < 0 {
        report.at(
            Code::InvalidValue,
            pod.replica_count,
            format!("`replicaCount` cannot be negative ({})", **pod.replica_count),
        );
    }
    check_resources(pod.resources, &pod.resources.anchor(), report);
    check_env(pod.env_vars, &pod.env_vars.anchor(), report);
    check_containers(pod.init_containers, true, inherited, &pod.init_containers.anchor(), report);
    check_containers(pod.sidecars, false, inherited, &pod.sidecars.anchor(), report);
    check_mounted_volumes_exist(pod.init_containers, volumes, None, &pod.init_containers.anchor(), report);
    check_mounted_volumes_exist(pod.sidecars, volumes, None, &pod.sidecars.anchor(), report);
    check_annotations(pod.pod_annotations, &pod.pod_annotations.anchor(), report);
    check_labels(pod.node_selector, &pod.node_selector.anchor(), report);
    check_tolerations(pod.tolerations, &pod.tolerations.anchor(), report);
    if let Some(affinity) = pod.affinity.as_ref() {
        check_affinity(affinity, &pod.affinity.anchor(), report);
    }
    let requests = pod.resources.requests.as_ref();
    if requests.is_none_or(BTreeMap::is_empty) {
        // The component's path, for the message: built only for one.
        let name = kind.values_path();
        report
            .at_key(Code::MissingRequests, pod.resources.or_in(kind.section(), "resources"), format!("`{name}` has no CPU or memory requests"))
            .with_help(format!("set `{name}.resources.requests.cpu` and `.memory`: without requests Kubernetes places pods blindly and cannot autoscale them"));
    }
    if let Some(autoscaling) = component.autoscaling.filter(|a| a.enabled) {
        if let Some(behavior) = &autoscaling.behavior {
            check_hpa_behavior(behavior, &Anchor::from(autoscaling).key("behavior"), report);
        }
        for (target, key, resource) in [
            (&autoscaling.target_cpu, "targetCPU", "cpu"),
            (&autoscaling.target_memory, "targetMemory", "memory"),
        ] {
            if target.is_some() && requests.is_none_or(|r| !r.contains_key(resource)) {
                let name = kind.values_path();
                report
                    .at(
                        Code::HpaNeedsRequest,
                        target.or_in(autoscaling, key),
                        format!("a {resource} utilization target needs a {resource} request, and `{name}` has none"),
                    )
                    .with_help(format!(
                        "set `{name}.resources.requests.{resource}`, or `{key}: null` to scale on the other metric only"
                    ));
            }
        }
    }
    if let Some(spread) = component.topology_spread {
        check_topology_spread(spread, report);
    }
    // A KEDA section on a component without a queue is an error already.
    if let Some(keda) = component
        .autoscaling
        .map(|a| &a.keda)
        .filter(|k| *k.enabled && !kind.queues().is_empty())
        && let Some(secret) = &keda.password_secret
    {
        check_object_name(&secret.name, "Secret", &secret.name.anchor(), report);
        check_secret_key(&secret.key, &secret.key.anchor(), report);
    }
}

/// A probe key in either form: the probe it gives is checked as the API
/// server would, and the chart's form gets what the chart means by it.
fn check_probe_key(key: Option<&ProbeKey>, kind: ProbeKind, report: &mut Reporter<'_>) {
    let Some(key) = key else { return };
    if let Some(ProbeValue::Chart(chart)) = key.as_ref()
        && !*chart.override_default
        && chart.probe.as_ref().is_some_and(|probe| *probe != Probe::default())
    {
        report
            .at(
                Code::UnusedKey,
                &chart.probe,
                "this probe is not used: under `override: false` the default applies, as in the chart",
            )
            .with_help("set `override: true` to use it, or remove it");
    }
    match given_probe(key) {
        Some(GivenProbe { probe: Some(probe), at }) => check_probe(probe, kind, &at, report),
        Some(GivenProbe { probe: None, at }) => {
            report
                .at_key(Code::ProbeHandlers, at, "`override: true` without a `probe`")
                .with_help("add the probe under `probe:`, or set `override: false` for the default");
        }
        None => {}
    }
}

/// The Kubernetes types in the Jobs' keys; the custom Job's containers run
/// under `inherited` unless they say otherwise.
fn check_jobs(jobs: &Jobs, inherited: &SecurityContext, report: &mut Reporter<'_>) {
    let env = &jobs.configure.env_vars;
    check_env(env, &env.anchor(), report);
    for pod in jobs.all() {
        check_resources(pod.resources, &pod.resources.anchor(), report);
        check_labels(pod.node_selector, &pod.node_selector.anchor(), report);
        check_tolerations(pod.tolerations, &pod.tolerations.anchor(), report);
        if let Some(affinity) = pod.affinity.as_ref() {
            check_affinity(affinity, &pod.affinity.anchor(), report);
        }
    }
    let custom = &jobs.custom;
    check_containers(&custom.init_containers, true, inherited, &custom.init_containers.anchor(), report);
    check_containers(&custom.containers, false, inherited, &custom.containers.anchor(), report);
    // The custom Job's pod has the bench's sites and logs volumes, and its own
    // (job_spec in objects/job.rs).
    const BENCH_VOLUMES: [&str; 2] = ["sites-dir", "logs"];
    check_volumes(&custom.volumes, &BENCH_VOLUMES, &custom.volumes.anchor(), report);
    let volumes: Vec<&str> = BENCH_VOLUMES
        .into_iter()
        .chain(custom.volumes.iter().map(|v| v.name.as_str()))
        .collect();
    let more = Some("jobs.custom.volumes");
    check_mounted_volumes_exist(&custom.init_containers, &volumes, more, &custom.init_containers.anchor(), report);
    check_mounted_volumes_exist(&custom.containers, &volumes, more, &custom.containers.anchor(), report);
    check_labels(&custom.labels, &custom.labels.anchor(), report);
    // Only the backup Job that runs uploads (`backup` before
    // `backupMultipleSites`, as `tasks::backup` chooses): another's `s3`
    // reaches no container.
    let running = [
        (&jobs.backup.enabled, &jobs.backup.s3),
        (&jobs.backup_multiple_sites.enabled, &jobs.backup_multiple_sites.s3),
    ]
    .into_iter()
    .find(|(enabled, _)| ***enabled);
    if let Some(storage) = running.and_then(|(_, s3)| s3.as_ref()) {
        let missing = || "`s3.image` is empty: it names the AWS CLI image that uploads".to_owned();
        check_image_reference(&storage.image, missing, &storage.image.anchor(), report);
    }
}

/// A claim: an existing one's name, or the class, size and access modes of
/// the one rendered.
/// The sites directory is how the bench's pods and Jobs share everything
/// Frappe keeps on disk: `common_site_config.json` (written by the configure
/// Job), each site's folder and `site_config.json` (made by create-site, read
/// by gunicorn, the workers and every later Job), uploaded files and backups.
/// As an emptyDir each pod would start with an empty one of its own: the
/// configure Job's settings and the sites create-site makes (whose databases
/// it does create) go with their Jobs' pods, gunicorn finds no site, and
/// migrate waits for a site that never appears. The chart renders it so all
/// the same.
fn check_sites_are_shared(sites: &Volume, report: &mut Reporter<'_>) {
    if !*sites.enabled {
        report
            .at(
                Code::UnsharedSites,
                &sites.enabled,
                "without a claim, every pod and Job gets an empty sites directory of its own: the sites create-site makes, the configure Job's settings and every uploaded file are lost with the pod that wrote them, and gunicorn serves no site",
            )
            .with_help("keep `persistence.worker.enabled: true`: a ReadWriteMany claim the bundle makes, or your own named by `existingClaim`");
    }
}

fn check_volume(volume: &Volume, report: &mut Reporter<'_>) {
    if !*volume.enabled {
        // As in the chart: an emptyDir, whatever claim is named. The data
        // on that claim would be missing from every pod.
        if volume.existing_claim.as_deref().is_some_and(|c| !c.is_empty()) {
            report
                .at(
                    Code::UnusedKey,
                    &volume.existing_claim,
                    "this claim is not mounted: with `enabled: false` the volume is an emptyDir, empty at each pod's start",
                )
                .with_help("set `enabled: true` to mount the claim, or remove `existingClaim`");
        }
        return;
    }
    if let Some(claim) = volume.existing_claim.as_deref().filter(|c| !c.is_empty()) {
        check_object_name(claim, "PersistentVolumeClaim", &volume.existing_claim.anchor(), report);
        return;
    }
    if let Some(class) = volume.storage_class.as_deref().filter(|c| !c.is_empty()) {
        check_object_name(class, "StorageClass", &volume.storage_class.anchor(), report);
    }
    check_quantity(&volume.size, || volume.size.anchor(), report);
    for (i, mode) in volume.access_modes.iter().enumerate() {
        const MODES: &[&str] = crate::values::forms::ACCESS_MODES;
        if !MODES.contains(&mode.as_str()) {
            report
                .at(
                    Code::InvalidAccessMode,
                    volume.access_modes.anchor().index(i),
                    format!("`{mode}` is not an access mode"),
                )
                .with_help_closest(
                    mode,
                    MODES,
                    "use `ReadWriteMany`, `ReadWriteOnce`, `ReadOnlyMany` or `ReadWriteOncePod`",
                );
        }
    }
    if volume.access_modes.is_empty() {
        report
            .at(
                Code::InvalidAccessMode,
                &volume.access_modes,
                "a claim needs at least one access mode",
            )
            .with_help("use `[ReadWriteMany]`");
    }
    if let Some(class) = volume.storage_class.as_deref()
        && volume.access_modes.iter().any(|m| m == "ReadWriteMany")
        && k8s::BLOCK_ONLY_STORAGE_CLASSES.contains(&class)
    {
        report
            .at(Code::RwxBlockStorage, &volume.storage_class, format!("storage class `{class}` provides ReadWriteOnce block volumes, but every bench pod mounts this volume at once (ReadWriteMany)"))
            .with_help("use a shared-filesystem class (AWS EFS, GCP Filestore, Azure Files, NFS, CephFS); with a block class, every pod after the first stays Pending");
    }
}
