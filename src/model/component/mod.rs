//! The long-running components, resolved: commands, env, probes, replicas.
//!
//! [`kind`] is the table of what differs between components; `resolve`
//! turns each component's values into a [`Component`], in one loop over it.

pub mod command;
pub mod kind;
pub mod probes;
pub(super) mod resolve;
pub mod shutdown;

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerBehavior;
use k8s_openapi::api::core::v1::{Affinity, Container, EnvVar, Probe, ResourceRequirements, Toleration, TopologySpreadConstraint};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

pub use kind::{ComponentKind, ScratchDir, TMP_DIR};

use crate::values::{PodValues, ServiceType, StringMap};

/// Where bench processes find their sites and logs.
pub const BENCH_DIR: &str = "/home/frappe/frappe-bench";
pub const SITES_DIR: &str = "/home/frappe/frappe-bench/sites";
pub const LOGS_DIR: &str = "/home/frappe/frappe-bench/logs";

/// The bench id Frappe derives when `bench_id` is not configured, which
/// names every RQ queue (`rq:queue:<bench id>:<queue>`): `get_bench_id()`
/// falls back to the bench path with its slashes turned into `-`
/// (`frappe/utils/__init__.py`), and the image's bench is [`BENCH_DIR`].
/// The chart sets no `bench_id`, and neither does the configure Job, so
/// turning KEDA on or off renames no queue.
pub fn default_bench_id() -> String {
    BENCH_DIR.trim_matches('/').replace('/', "-")
}

/// Seconds Kubernetes waits, beyond a worker's longest job timeout, before
/// it kills the worker: RQ's warm shutdown then still has time to record
/// the job's end and deregister the worker; it is the grace period
/// Kubernetes gives by default.
pub const WORKER_GRACE_MARGIN_SECONDS: i64 = 30;

/// A component ready to become a Deployment (and a Service and an HPA).
#[derive(Debug, Clone)]
pub struct Component {
    pub kind: ComponentKind,
    /// `None` while an HPA owns the replica count.
    pub replicas: Option<i32>,
    pub autoscaling: Option<Hpa>,
    pub args: Vec<String>,
    pub env: Vec<EnvVar>,
    pub liveness_probe: Option<Probe>,
    pub readiness_probe: Option<Probe>,
    pub startup_probe: Option<Probe>,
    pub resources: ResourceRequirements,
    pub node_selector: StringMap,
    pub tolerations: Vec<Toleration>,
    pub affinity: Option<Affinity>,
    pub init_containers: Vec<Container>,
    pub sidecars: Vec<Container>,
    pub pod_annotations: StringMap,
    /// `terminationGracePeriodSeconds` of the pods, when not Kubernetes' 30:
    /// the workers' from their queues, the others' from [`shutdown`].
    pub termination_grace_period_seconds: Option<i64>,
    /// The main container's preStop command, for those behind a Service
    /// (see [`shutdown`]).
    pub pre_stop: Option<Vec<String>>,
    pub topology_spread: Vec<TopologySpreadConstraint>,
    pub service: Option<ServiceSpec>,
    /// KEDA scaling on the worker's queue, instead of an HPA.
    pub keda: Option<KedaScaler>,
    /// The PodDisruptionBudget's `(maxUnavailable, minAvailable)`, when one is rendered.
    pub disruption_budget: Option<(Option<IntOrString>, Option<IntOrString>)>,
}

/// The component of `kind` among `components`, when it runs.
pub fn find(components: &[Component], kind: ComponentKind) -> Option<&Component> {
    components.iter().find(|c| c.kind == kind)
}

impl Component {
    /// Starts a component from the keys all components share.
    /// Whether more than one pod may run: two or more replicas, or an HPA.
    pub fn is_replicated(&self) -> bool {
        self.autoscaling.is_some() || self.keda.as_ref().is_some_and(|k| k.max_replicas >= 2) || self.replicas.is_some_and(|r| r >= 2)
    }

    pub fn from_pod(kind: ComponentKind, pod: &PodValues<'_>) -> Component {
        Component {
            kind,
            replicas: Some(**pod.replica_count),
            autoscaling: None,
            args: kind.default_args(false),
            env: pod.env_vars.to_vec(),
            liveness_probe: None,
            readiness_probe: None,
            startup_probe: None,
            resources: (**pod.resources).clone(),
            node_selector: (**pod.node_selector).clone(),
            tolerations: pod.tolerations.to_vec(),
            affinity: pod.affinity.as_ref().cloned(),
            init_containers: pod.init_containers.to_vec(),
            sidecars: pod.sidecars.to_vec(),
            pod_annotations: (**pod.pod_annotations).clone(),
            termination_grace_period_seconds: None,
            pre_stop: None,
            topology_spread: Vec::new(),
            service: None,
            keda: None,
            disruption_budget: None,
        }
    }
}

/// A KEDA ScaledObject scaling a worker on the length of its RQ queue.
#[derive(Debug, Clone)]
pub struct KedaScaler {
    pub min_replicas: i32,
    pub max_replicas: i32,
    pub list_length: i32,
    pub polling_interval: i32,
    pub cooldown_period: i32,
    /// The Redis list RQ keeps the queue in: `rq:queue:<bench id>:<queue>`.
    pub list_name: String,
    /// host:port of the queue Redis.
    pub address: String,
    pub database: u32,
    pub tls: bool,
    /// The queue Redis ACL user, when its URL names one.
    pub username: Option<String>,
    /// The queue Redis password, from a Secret.
    pub password: Option<super::jobs::SecretRef>,
}

/// A HorizontalPodAutoscaler for a component.
#[derive(Debug, Clone)]
pub struct Hpa {
    pub min_replicas: i32,
    pub max_replicas: i32,
    pub target_cpu: Option<i32>,
    pub target_memory: Option<i32>,
    pub behavior: Option<HorizontalPodAutoscalerBehavior>,
}

/// The Service in front of a component.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    pub service_type: ServiceType,
    pub port: i32,
    /// Whether the Service sends each client to the pod it sent it to
    /// before (`sessionAffinity: ClientIP`): socket.io's long-polling
    /// requests must all reach the pod that opened their session.
    pub sticky_sessions: bool,
}
