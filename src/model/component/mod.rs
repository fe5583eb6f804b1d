//! The long-running components, resolved: commands, env, probes, replicas.

pub(super) mod resolve;

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerBehavior;
use k8s_openapi::api::core::v1::{
    Affinity, Container, EnvVar, ExecAction, Probe, ResourceRequirements, TCPSocketAction, Toleration, TopologySpreadConstraint,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

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

/// The gunicorn command line of the frappe/erpnext image (its `CMD`), which
/// flag-style `worker.gunicorn.args` are applied to.
pub const GUNICORN_COMMAND: &[&str] = &[
    "/home/frappe/frappe-bench/env/bin/gunicorn",
    "--chdir=/home/frappe/frappe-bench/sites",
    "--bind=0.0.0.0:8000",
    "--threads=4",
    "--workers=2",
    "--worker-class=gthread",
    "--worker-tmp-dir=/dev/shm",
    "--timeout=120",
    "--preload",
    "frappe.app:application",
];

/// A directory a bench process writes outside the shared volumes. Under a
/// read-only root filesystem each one gets its own emptyDir.
///
/// The lists below come from reading how the frappe/erpnext image is built
/// (frappe_docker's `images/production/Containerfile`, `nginx-entrypoint.sh`,
/// `main-entrypoint.sh`, `start.sh`), not from running it: sites and logs are
/// volumes already, gunicorn's heartbeat files go to `/dev/shm` (a tmpfs the
/// runtime provides), nginx logs to symlinks to stdout/stderr, and Python
/// skips bytecode caches it cannot write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScratchDir {
    pub volume: &'static str,
    pub path: &'static str,
}

/// Temporary files of every bench process: uploads, PDF and export rendering,
/// gunicorn's worker files when `--worker-tmp-dir` is not given.
pub const TMP_DIR: ScratchDir = ScratchDir {
    volume: "tmp",
    path: "/tmp",
};
/// `nginx-entrypoint.sh` writes `frappe.conf` here from its template.
const NGINX_CONF_DIR: ScratchDir = ScratchDir {
    volume: "nginx-conf",
    path: "/etc/nginx/conf.d",
};
/// nginx's request-body and proxy buffers (Debian's compiled-in temp paths).
const NGINX_TEMP_DIR: ScratchDir = ScratchDir {
    volume: "nginx-temp",
    path: "/var/lib/nginx",
};
/// nginx's pid file, `/run/nginx.pid` in Debian's `nginx.conf`.
const NGINX_RUN_DIR: ScratchDir = ScratchDir {
    volume: "nginx-run",
    path: "/run",
};

/// The seven Deployments of a bench, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ComponentKind {
    Nginx,
    Gunicorn,
    Socketio,
    WorkerDefault,
    WorkerShort,
    WorkerLong,
    Scheduler,
}

impl ComponentKind {
    pub const ALL: [ComponentKind; 7] = [
        ComponentKind::Nginx,
        ComponentKind::Gunicorn,
        ComponentKind::Socketio,
        ComponentKind::WorkerDefault,
        ComponentKind::WorkerShort,
        ComponentKind::WorkerLong,
        ComponentKind::Scheduler,
    ];

    /// The chart's suffix of object names and selector labels.
    pub fn suffix(self) -> &'static str {
        match self {
            ComponentKind::Nginx => "nginx",
            ComponentKind::Gunicorn => "gunicorn",
            ComponentKind::Socketio => "socketio",
            ComponentKind::WorkerDefault => "worker-d",
            ComponentKind::WorkerShort => "worker-s",
            ComponentKind::WorkerLong => "worker-l",
            ComponentKind::Scheduler => "scheduler",
        }
    }

    /// The chart's container name.
    pub fn container_name(self) -> &'static str {
        match self {
            ComponentKind::Nginx => "nginx",
            ComponentKind::Gunicorn => "gunicorn",
            ComponentKind::Socketio => "socketio",
            ComponentKind::WorkerDefault => "default",
            ComponentKind::WorkerShort => "short",
            ComponentKind::WorkerLong => "long",
            ComponentKind::Scheduler => "scheduler",
        }
    }

    /// Where the component is configured in the values.
    pub fn values_path(self) -> &'static str {
        match self {
            ComponentKind::Nginx => "nginx",
            ComponentKind::Gunicorn => "worker.gunicorn",
            ComponentKind::Socketio => "socketio",
            ComponentKind::WorkerDefault => "worker.default",
            ComponentKind::WorkerShort => "worker.short",
            ComponentKind::WorkerLong => "worker.long",
            ComponentKind::Scheduler => "worker.scheduler",
        }
    }

    /// The RQ queues a worker consumes, in priority order.
    pub fn queues(self) -> Option<&'static str> {
        match self {
            ComponentKind::WorkerDefault => Some("default"),
            ComponentKind::WorkerShort => Some("short,default"),
            ComponentKind::WorkerLong => Some("long,default,short"),
            _ => None,
        }
    }

    /// The longest timeout of the queues a worker consumes: a job may run
    /// that long after the worker is asked to stop. Frappe's
    /// `get_queues_timeout()`: `short` and `default` 300 s, `long` 1500 s.
    pub fn queue_timeout_seconds(self) -> Option<i64> {
        match self {
            ComponentKind::WorkerDefault | ComponentKind::WorkerShort => Some(300),
            ComponentKind::WorkerLong => Some(1500),
            _ => None,
        }
    }

    /// Whether the main container runs Frappe code and so needs the
    /// database and Redis settings (nginx only proxies).
    pub fn runs_frappe(self) -> bool {
        self != ComponentKind::Nginx
    }

    /// The port the main container listens on, for those that serve.
    pub fn container_port(self) -> Option<i32> {
        match self {
            ComponentKind::Nginx => Some(8080),
            ComponentKind::Gunicorn => Some(8000),
            ComponentKind::Socketio => Some(9000),
            _ => None,
        }
    }

    /// The chart's arguments of the main container (gunicorn's come from
    /// [`gunicorn_args`]).
    pub fn default_args(self, custom_nginx_config: bool) -> Vec<String> {
        let words: &[&str] = match self {
            ComponentKind::Nginx if custom_nginx_config => &["nginx", "-g", "daemon off;"],
            ComponentKind::Nginx => &["nginx-entrypoint.sh"],
            ComponentKind::Gunicorn => GUNICORN_COMMAND,
            ComponentKind::Socketio => &["node", "/home/frappe/frappe-bench/apps/frappe/socketio.js"],
            ComponentKind::WorkerDefault | ComponentKind::WorkerShort | ComponentKind::WorkerLong => {
                let queues = self.queues().expect("workers have queues");
                return ["bench", "worker", "--queue", queues].map(str::to_owned).to_vec();
            }
            ComponentKind::Scheduler => &["bench", "schedule"],
        };
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    /// What the main container writes besides the shared volumes; with a
    /// custom nginx configuration, `conf.d` is its read-only ConfigMap.
    pub fn scratch_dirs(self, custom_nginx_config: bool) -> &'static [ScratchDir] {
        match self {
            ComponentKind::Nginx if custom_nginx_config => &[TMP_DIR, NGINX_TEMP_DIR, NGINX_RUN_DIR],
            ComponentKind::Nginx => &[TMP_DIR, NGINX_CONF_DIR, NGINX_TEMP_DIR, NGINX_RUN_DIR],
            _ => &[TMP_DIR],
        }
    }

    /// Whether the pod mounts the logs volume (nginx writes no bench logs).
    pub fn mounts_logs(self) -> bool {
        self != ComponentKind::Nginx
    }
}

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
    /// `terminationGracePeriodSeconds` of the pods, when not Kubernetes' 30.
    pub termination_grace_period_seconds: Option<i64>,
    pub topology_spread: Vec<TopologySpreadConstraint>,
    pub service: Option<ServiceSpec>,
    /// KEDA scaling on the worker's queue, instead of an HPA.
    pub keda: Option<KedaScaler>,
    /// The PodDisruptionBudget's `(maxUnavailable, minAvailable)`, when one is rendered.
    pub disruption_budget: Option<(Option<IntOrString>, Option<IntOrString>)>,
    /// Runs alone: one replica, replaced with `Recreate` (the scheduler).
    pub singleton: bool,
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
            replicas: Some(pod.replica_count),
            autoscaling: None,
            args: kind.default_args(false),
            env: pod.env_vars.to_vec(),
            liveness_probe: None,
            readiness_probe: None,
            startup_probe: None,
            resources: pod.resources.clone(),
            node_selector: pod.node_selector.clone(),
            tolerations: pod.tolerations.to_vec(),
            affinity: pod.affinity.cloned(),
            init_containers: pod.init_containers.to_vec(),
            sidecars: pod.sidecars.to_vec(),
            pod_annotations: pod.pod_annotations.clone(),
            termination_grace_period_seconds: None,
            topology_spread: Vec::new(),
            service: None,
            keda: None,
            disruption_budget: None,
            singleton: false,
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
}

/// A `worker.gunicorn.args` list that starts with flags and then has a word
/// that is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAFlag {
    /// Its position in the list.
    pub index: usize,
    pub word: String,
}

/// Applies flag-style gunicorn arguments to the image's command line: a flag
/// already there (`--workers=2`) is replaced in place, a new one is added
/// before the application. Fails on the first word that is not a flag when
/// the list mixes flags and other words.
pub fn gunicorn_args(user: &[String]) -> Result<Vec<String>, NotAFlag> {
    if user.is_empty() {
        return Ok(GUNICORN_COMMAND.iter().map(|w| (*w).to_owned()).collect());
    }
    if !user[0].starts_with('-') {
        // A whole command line, as the chart takes it.
        return Ok(user.to_vec());
    }
    if let Some(index) = user.iter().position(|w| !w.starts_with('-')) {
        return Err(NotAFlag {
            index,
            word: user[index].clone(),
        });
    }
    let flag_name = |w: &str| w.split('=').next().unwrap_or(w).to_owned();
    let (application, flags) = GUNICORN_COMMAND[1..].split_last().expect("gunicorn command has an application");
    let mut args: Vec<String> = flags.iter().map(|w| (*w).to_owned()).collect();
    for flag in user {
        match args.iter_mut().find(|existing| flag_name(existing) == flag_name(flag)) {
            Some(existing) => existing.clone_from(flag),
            None => args.push(flag.clone()),
        }
    }
    let mut command = vec![GUNICORN_COMMAND[0].to_owned()];
    command.extend(args);
    command.push((*application).to_owned());
    Ok(command)
}

/// A TCP probe on a port, the chart's default for serving components.
pub fn tcp_probe(port: i32) -> Probe {
    Probe {
        tcp_socket: Some(TCPSocketAction {
            port: IntOrString::Int(port),
            host: None,
        }),
        initial_delay_seconds: Some(5),
        period_seconds: Some(10),
        ..Default::default()
    }
}

/// Gunicorn's startup probe: up to 5 minutes to boot (migrations of a large
/// app's imports can take that) before liveness starts counting.
pub fn gunicorn_startup_probe() -> Probe {
    Probe {
        tcp_socket: Some(TCPSocketAction {
            port: IntOrString::Int(8000),
            host: None,
        }),
        period_seconds: Some(10),
        failure_threshold: Some(30),
        ..Default::default()
    }
}

/// The readiness probe of workers and the scheduler: the database and every
/// Redis accept TCP connections, all of them. A worker serves no traffic, so
/// readiness only gates rollouts and disruption budgets: a new worker that
/// cannot reach a service it was given holds the rollout, and the old ones
/// keep working. The image's `wait-for-it` checks one host each and runs what
/// follows `--` only on success (`--strict`), so one exec chains them all
/// without a shell: the hosts are argv, never parsed as code. (A `tcpSocket`
/// probe can name a remote `host`, but a container has one readiness probe,
/// so it could check only one service.)
pub fn backing_services_probe(services: &[(String, i32)]) -> Probe {
    let mut command = Vec::new();
    for (i, (host, port)) in services.iter().enumerate() {
        if i > 0 {
            command.push("--".to_owned());
        }
        command.extend([
            "wait-for-it".to_owned(),
            format!("--host={host}"),
            format!("--port={port}"),
            "--timeout=1".to_owned(),
            "--strict".to_owned(),
            "--quiet".to_owned(),
        ]);
    }
    Probe {
        exec: Some(ExecAction { command: Some(command) }),
        initial_delay_seconds: Some(15),
        period_seconds: Some(10),
        timeout_seconds: Some(5),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn gunicorn_flags_are_applied_to_the_command_line() {
        let args = gunicorn_args(&words(&["--workers=4", "--timeout=120", "--preload", "--max-requests=1000"])).unwrap();
        assert_eq!(args.first().map(String::as_str), Some(GUNICORN_COMMAND[0]));
        assert_eq!(args.last().map(String::as_str), Some("frappe.app:application"));
        assert!(args.contains(&"--workers=4".to_owned()));
        assert!(!args.contains(&"--workers=2".to_owned()));
        assert_eq!(args.iter().filter(|a| *a == "--preload").count(), 1);
        assert!(args.contains(&"--max-requests=1000".to_owned()));
    }

    #[test]
    fn a_full_command_is_kept_and_mixed_args_are_refused() {
        let full = words(&["gunicorn", "app:x"]);
        assert_eq!(gunicorn_args(&full).unwrap(), full);
        assert_eq!(
            gunicorn_args(&words(&["--workers", "4"])),
            Err(NotAFlag {
                index: 1,
                word: "4".to_owned()
            })
        );
    }
}
