//! A component's Deployment, its Service and its HorizontalPodAutoscaler,
//! and the volumes every bench pod shares.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget, ResourceMetricSource,
};
use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, ExecAction, Lifecycle, LifecycleHandler,
    PersistentVolumeClaimVolumeSource, PodSpec, PodTemplateSpec, Service, ServicePort, ServiceSpec, Volume as PodVolume, VolumeMount,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Manifest, common_labels, meta, storage};
use crate::model::component::kind::NGINX_CONF_DIR;
use crate::model::component::{Component, ComponentKind, Hpa, LOGS_DIR, SITES_DIR, ScratchDir};
use crate::model::jobs::Task;
use crate::model::{Bench, Volume, label, selector_labels};
use crate::templates;

/// The Deployment of a component, and its Service and HPA when it has them.
/// The Deployment is built last, as it takes the component's parts.
/// `wait_for_migrate` is the bench's [`wait_for_migrate`] container, built
/// once for all Deployments.
pub fn build(bench: &Bench, component: Component, wait_for_migrate: Option<&Container>) -> Vec<Manifest> {
    let mut manifests = Vec::new();
    if let Some(service) = service(bench, &component) {
        manifests.push(Manifest::Service(Box::new(service)));
    }
    if let Some(hpa) = &component.autoscaling {
        manifests.push(Manifest::HorizontalPodAutoscaler(Box::new(autoscaler(bench, component.kind, hpa))));
    }
    if let Some(scaler) = &component.keda {
        manifests.extend(super::keda::build(bench, &component, scaler));
    }
    if let Some((max_unavailable, min_available)) = &component.disruption_budget {
        manifests.push(Manifest::PodDisruptionBudget(Box::new(PodDisruptionBudget {
            metadata: meta(
                &bench.names,
                bench.names.deployment(component.kind),
                component_labels(bench, component.kind),
            ),
            spec: Some(PodDisruptionBudgetSpec {
                max_unavailable: max_unavailable.clone(),
                min_available: min_available.clone(),
                selector: Some(LabelSelector {
                    match_labels: Some(selector_labels(&bench.names, component.kind)),
                    match_expressions: None,
                }),
                ..Default::default()
            }),
            ..Default::default()
        })));
    }
    manifests.push(Manifest::Deployment(Box::new(deployment(bench, component, wait_for_migrate))));
    manifests
}

fn component_labels(bench: &Bench, kind: ComponentKind) -> BTreeMap<String, String> {
    let mut labels = common_labels(&bench.names);
    labels.insert(label::COMPONENT.to_owned(), kind.suffix().to_owned());
    labels
}

fn deployment(bench: &Bench, mut component: Component, wait_for_migrate: Option<&Container>) -> Deployment {
    let kind = component.kind;
    let names = &bench.names;
    let selector = selector_labels(names, kind);
    let mut pod_labels = selector.clone();
    // The chart's extra pod label, kept so existing selectors in NetworkPolicies still match.
    pod_labels.insert(label::APP.to_owned(), "frappe".to_owned());
    pod_labels.insert(label::COMPONENT.to_owned(), kind.suffix().to_owned());
    pod_labels.extend([crate::model::part_of_label(names)]);

    let mut containers = vec![main_container(bench, &mut component)];
    containers.extend(component.sidecars);
    Deployment {
        metadata: meta(names, names.deployment(kind), component_labels(bench, kind)),
        spec: Some(DeploymentSpec {
            replicas: component.replicas,
            selector: LabelSelector {
                match_labels: Some(selector),
                match_expressions: None,
            },
            // The scheduler must never run twice, not even during a rollout.
            strategy: kind.is_singleton().then(|| DeploymentStrategy {
                type_: Some("Recreate".to_owned()),
                rolling_update: None,
            }),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(pod_labels),
                    annotations: pod_annotations(bench, kind, component.pod_annotations),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    containers,
                    init_containers: init_containers(kind, wait_for_migrate, component.init_containers),
                    volumes: Some(bench_volumes(
                        bench,
                        kind.runs_frappe(),
                        kind.is_proxy(),
                        &scratch_dirs(bench, kind),
                    )),
                    topology_spread_constraints: (!component.topology_spread.is_empty()).then_some(component.topology_spread),
                    node_selector: (!component.node_selector.is_empty()).then_some(component.node_selector),
                    tolerations: (!component.tolerations.is_empty()).then_some(component.tolerations),
                    affinity: component.affinity,
                    termination_grace_period_seconds: component.termination_grace_period_seconds,
                    ..pod_defaults(bench)
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The user's pod annotations, plus checksums of what the pod reads but its
/// template does not show, so that changing it rolls the pods: a mounted
/// nginx configuration, and the Redis passwords written in the values
/// (which reach the pods from the Secret).
fn pod_annotations(bench: &Bench, kind: ComponentKind, mut annotations: BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
    if kind.runs_frappe()
        && let Some(checksum) = &bench.credentials_checksum
    {
        annotations.insert("checksum/redis-credentials".to_owned(), checksum.clone());
    }
    if kind.is_proxy()
        && let Some(config) = &bench.nginx_config
    {
        use sha2::{Digest, Sha256};
        let hex = format!("{:x}", Sha256::digest(config.as_bytes()));
        annotations.insert("checksum/nginx-config".to_owned(), hex);
    }
    (!annotations.is_empty()).then_some(annotations)
}

/// What every bench pod has: the ServiceAccount (without a token), pull
/// secrets and the pod security context.
pub fn pod_defaults(bench: &Bench) -> PodSpec {
    PodSpec {
        service_account_name: Some(bench.service_account.clone()),
        automount_service_account_token: Some(false),
        image_pull_secrets: (!bench.pull_secrets.is_empty()).then(|| bench.pull_secrets.clone()),
        security_context: Some(bench.pod_security_context.clone()),
        ..Default::default()
    }
}

/// When a migrate Job runs, the init container that waits until every site
/// was migrated with this image: a Deployment applied together with the
/// migrate Job (`kubectl apply` of the whole bundle) starts no pod of the
/// new release before migrate finished, and none at all after it failed, so
/// the previous release's pods keep running. The same for every Deployment,
/// so it is built (its script rendered) once per bench.
pub fn wait_for_migrate(bench: &Bench) -> Option<Container> {
    let sites = bench.jobs.iter().find_map(|job| match &job.task {
        Task::Migrate { sites, .. } => Some(sites),
        _ => None,
    })?;
    Some(Container {
        name: "wait-for-migrate".to_owned(),
        image: Some(bench.image.clone()),
        image_pull_policy: Some(bench.pull_policy.to_owned()),
        command: Some(vec!["bash".to_owned(), "-c".to_owned()]),
        args: Some(vec![templates::wait_for_migrate_script(sites, &bench.image)]),
        security_context: Some(bench.container_security_context.clone()),
        volume_mounts: Some(bench_mounts(false, &[])),
        ..Default::default()
    })
}

/// The component's own init containers, after the [`wait_for_migrate`]
/// container for what uses the database.
fn init_containers(kind: ComponentKind, wait_for_migrate: Option<&Container>, own: Vec<Container>) -> Option<Vec<Container>> {
    let mut init = Vec::new();
    if kind.uses_database() {
        init.extend(wait_for_migrate.cloned());
    }
    init.extend(own);
    (!init.is_empty()).then_some(init)
}

/// The component's main container, which takes the component's args, env,
/// probes and resources.
fn main_container(bench: &Bench, component: &mut Component) -> Container {
    let kind = component.kind;
    let mut mounts = bench_mounts(kind.runs_frappe(), &scratch_dirs(bench, kind));
    if kind.is_proxy() && bench.nginx_config.is_some() {
        mounts.push(VolumeMount {
            name: "nginx-config".to_owned(),
            mount_path: NGINX_CONF_DIR.path.to_owned(),
            ..Default::default()
        });
    }
    // The endpoints first, so that the user's env can name them in `$(VAR)`.
    let mut env = if kind.runs_frappe() {
        bench.connection_env.clone()
    } else {
        Vec::new()
    };
    env.append(&mut component.env);
    Container {
        name: kind.spec().container_name.to_owned(),
        image: Some(bench.image.clone()),
        image_pull_policy: Some(bench.pull_policy.to_owned()),
        args: Some(std::mem::take(&mut component.args)),
        env: (!env.is_empty()).then_some(env),
        ports: kind.spec().port.map(|port| {
            vec![ContainerPort {
                name: Some("http".to_owned()),
                container_port: port,
                protocol: Some("TCP".to_owned()),
                ..Default::default()
            }]
        }),
        lifecycle: component.pre_stop.take().map(|command| Lifecycle {
            pre_stop: Some(LifecycleHandler {
                exec: Some(ExecAction { command: Some(command) }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        liveness_probe: component.liveness_probe.take(),
        readiness_probe: component.readiness_probe.take(),
        startup_probe: component.startup_probe.take(),
        resources: Some(std::mem::take(&mut component.resources)),
        security_context: Some(bench.container_security_context.clone()),
        volume_mounts: Some(mounts),
        ..Default::default()
    }
}

/// The emptyDirs a component's main container writes to.
fn scratch_dirs(bench: &Bench, kind: ComponentKind) -> Vec<ScratchDir> {
    bench.scratch_dirs(&kind.scratch_dirs(bench.nginx_config.is_some())).to_vec()
}

/// The sites volume, the logs volume when wanted, nginx's configuration, and
/// an emptyDir for each scratch directory.
pub fn bench_volumes(bench: &Bench, with_logs: bool, with_nginx_config: bool, scratch: &[ScratchDir]) -> Vec<PodVolume> {
    let volume = |name: &str, source: &Volume| match source {
        Volume::Claim { claim_name, .. } => PodVolume {
            name: name.to_owned(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim_name.clone(),
                read_only: None,
            }),
            ..Default::default()
        },
        Volume::EmptyDir => PodVolume {
            name: name.to_owned(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        },
    };
    // Sized up front: a `Volume` is 3 KiB, and growing the list copies it.
    let mut volumes = Vec::with_capacity(3 + scratch.len());
    volumes.push(volume("sites-dir", &bench.sites));
    if with_logs {
        volumes.push(volume("logs", &bench.logs));
    }
    if with_nginx_config && bench.nginx_config.is_some() {
        volumes.push(PodVolume {
            name: "nginx-config".to_owned(),
            config_map: Some(ConfigMapVolumeSource {
                name: storage::nginx_config_name(bench),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    volumes.extend(scratch.iter().map(|dir| PodVolume {
        name: dir.volume.to_owned(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Default::default()
    }));
    volumes
}

/// Where bench containers mount the shared volumes and their scratch
/// directories.
pub fn bench_mounts(with_logs: bool, scratch: &[ScratchDir]) -> Vec<VolumeMount> {
    let mut mounts = vec![VolumeMount {
        name: "sites-dir".to_owned(),
        mount_path: SITES_DIR.to_owned(),
        ..Default::default()
    }];
    if with_logs {
        mounts.push(VolumeMount {
            name: "logs".to_owned(),
            mount_path: LOGS_DIR.to_owned(),
            ..Default::default()
        });
    }
    mounts.extend(scratch.iter().map(|dir| VolumeMount {
        name: dir.volume.to_owned(),
        mount_path: dir.path.to_owned(),
        ..Default::default()
    }));
    mounts
}

fn service(bench: &Bench, component: &Component) -> Option<Service> {
    let spec = component.service.as_ref()?;
    let kind = component.kind;
    Some(Service {
        metadata: meta(&bench.names, bench.names.service(kind), component_labels(bench, kind)),
        spec: Some(ServiceSpec {
            type_: Some(spec.service_type.as_str().to_owned()),
            ports: Some(vec![ServicePort {
                name: Some("http".to_owned()),
                port: spec.port,
                target_port: Some(IntOrString::String("http".to_owned())),
                protocol: Some("TCP".to_owned()),
                ..Default::default()
            }]),
            selector: Some(selector_labels(&bench.names, kind)),
            session_affinity: spec.sticky_sessions.then(|| "ClientIP".to_owned()),
            ..Default::default()
        }),
        ..Default::default()
    })
}

fn autoscaler(bench: &Bench, kind: ComponentKind, hpa: &Hpa) -> HorizontalPodAutoscaler {
    let utilization = |resource: &str, target: i32| MetricSpec {
        type_: "Resource".to_owned(),
        resource: Some(ResourceMetricSource {
            name: resource.to_owned(),
            target: MetricTarget {
                type_: "Utilization".to_owned(),
                average_utilization: Some(target),
                ..Default::default()
            },
        }),
        ..Default::default()
    };
    let metrics: Vec<MetricSpec> = [("cpu", hpa.target_cpu), ("memory", hpa.target_memory)]
        .into_iter()
        .filter_map(|(resource, target)| target.map(|t| utilization(resource, t)))
        .collect();
    HorizontalPodAutoscaler {
        metadata: meta(&bench.names, bench.names.deployment(kind), component_labels(bench, kind)),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".to_owned()),
                kind: "Deployment".to_owned(),
                name: bench.names.deployment(kind),
            },
            min_replicas: Some(hpa.min_replicas),
            max_replicas: hpa.max_replicas,
            metrics: (!metrics.is_empty()).then_some(metrics),
            behavior: hpa.behavior.clone(),
        }),
        ..Default::default()
    }
}
