//! The long-running components: nginx, gunicorn, socketio, the three
//! worker queues and the scheduler.
//!
//! They share most of their keys (replicas, resources, placement, extra env
//! and containers). The [`component!`] macro writes those shared fields once,
//! with their documentation, into each component's struct, because serde's
//! `flatten` would hide the field list that unknown-key detection relies on.

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerBehavior;
use k8s_openapi::api::core::v1::{Affinity, Container, EnvVar, ResourceRequirements, Toleration, TopologySpreadConstraint};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Anchor, ProbeValue, Spanned, StringMap};

/// The keys every component's pods share, borrowed from any component.
pub struct PodValues<'a> {
    pub replica_count: &'a Spanned<i32>,
    pub resources: &'a Spanned<ResourceRequirements>,
    pub node_selector: &'a Spanned<StringMap>,
    pub tolerations: &'a Spanned<Vec<Toleration>>,
    pub affinity: &'a Spanned<Option<Affinity>>,
    pub env_vars: &'a Spanned<Vec<EnvVar>>,
    pub init_containers: &'a Spanned<Vec<Container>>,
    pub sidecars: &'a Spanned<Vec<Container>>,
    pub pod_annotations: &'a Spanned<StringMap>,
}

/// What the values say about one component, whatever its section's type:
/// what the model resolves every component from. Each section gives it
/// with `component()`; what a section lacks is `None`.
pub struct ComponentValues<'a> {
    /// False only for a disabled nginx (`nginx.enabled`).
    pub enabled: bool,
    pub pod: PodValues<'a>,
    /// The scheduler has none: it never scales.
    pub autoscaling: Option<&'a Spanned<Autoscaling>>,
    /// The scheduler has none: see `Role::Scheduler` in the model.
    pub disruption_budget: Option<&'a DisruptionBudget>,
    pub service: Option<&'a ServiceValues>,
    /// The component's probe keys; `None` where it has no such key.
    pub liveness_probe: Option<&'a ProbeKey>,
    pub readiness_probe: Option<&'a ProbeKey>,
    pub startup_probe: Option<&'a ProbeKey>,
    pub termination_grace_period_seconds: Option<&'a Spanned<Option<i64>>>,
    /// The spread of the component's pods, for those that have keys for it.
    pub topology_spread: Option<TopologySpreadValues<'a>>,
}

/// A probe key: a Kubernetes probe or the chart's `{override, probe}`.
pub type ProbeKey = Spanned<Option<ProbeValue>>;

/// `topologySpreadConstraints` and `defaultTopologySpread`.
#[derive(Clone, Copy)]
pub struct TopologySpreadValues<'a> {
    pub custom: &'a Spanned<Option<Vec<TopologySpreadConstraint>>>,
    pub default: &'a DefaultTopologySpread,
}

macro_rules! component {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$field_meta:meta])* $field:ident : $ty:ty = $default:expr, )* }
    ) => {
        #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields, default)]
        $(#[$meta])*
        pub struct $name {
            /// Number of pods (ignored while `autoscaling.enabled`).
            pub replica_count: Spanned<i32>,
            /// CPU and memory requests and limits of the main container.
            pub resources: Spanned<ResourceRequirements>,
            /// Node labels the pods must run on.
            pub node_selector: Spanned<StringMap>,
            /// Taints the pods tolerate.
            pub tolerations: Spanned<Vec<Toleration>>,
            /// Node and pod affinity of the pods.
            #[serde(skip_serializing_if = "Spanned::is_none")]
            pub affinity: Spanned<Option<Affinity>>,
            /// Extra environment variables of the main container.
            pub env_vars: Spanned<Vec<EnvVar>>,
            /// Extra init containers of the pods.
            pub init_containers: Spanned<Vec<Container>>,
            /// Extra containers running beside the main one.
            pub sidecars: Spanned<Vec<Container>>,
            /// Annotations of the pods.
            pub pod_annotations: Spanned<StringMap>,
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    replica_count: Spanned::new(1),
                    resources: Spanned::default(),
                    node_selector: Spanned::default(),
                    tolerations: Spanned::default(),
                    affinity: Spanned::default(),
                    env_vars: Spanned::default(),
                    init_containers: Spanned::default(),
                    sidecars: Spanned::default(),
                    pod_annotations: Spanned::default(),
                    $( $field: $default, )*
                }
            }
        }

        impl $name {
            pub fn pod(&self) -> PodValues<'_> {
                PodValues {
                    replica_count: &self.replica_count,
                    resources: &self.resources,
                    node_selector: &self.node_selector,
                    tolerations: &self.tolerations,
                    affinity: &self.affinity,
                    env_vars: &self.env_vars,
                    init_containers: &self.init_containers,
                    sidecars: &self.sidecars,
                    pod_annotations: &self.pod_annotations,
                }
            }
        }
    };
}

component! {
    /// The nginx front: serves `/assets`, proxies `/socket.io` to socketio and
    /// everything else to gunicorn.
    Nginx {
        /// Render nginx (extension). When false, there is no nginx Deployment
        /// or Service and the ingress sends `/` straight to gunicorn, which
        /// serves no `/assets` or `/files`: that is an error unless
        /// `assetsServedElsewhere` says something else serves them.
        enabled: Spanned<bool> = Spanned::new(true),
        /// With `enabled: false` (extension): you run something else that
        /// serves `/assets` and `/files` from the sites volume, in front of
        /// gunicorn. Frappe serves them only from its development server.
        assets_served_elsewhere: bool = false,
        /// Autoscaling of nginx.
        autoscaling: Spanned<Autoscaling> = Spanned::default(),
        /// A PodDisruptionBudget (extension). Default: `maxUnavailable: 1`
        /// when the component runs two or more replicas or autoscales.
        pod_disruption_budget: DisruptionBudget = DisruptionBudget::default(),
        /// Settings passed to the image's nginx entrypoint.
        environment: NginxEnvironment = NginxEnvironment::default(),
        /// A complete nginx server configuration replacing the image's
        /// (mounted at `/etc/nginx/conf.d/default.conf`). Empty: none, as in
        /// the chart.
        #[serde(skip_serializing_if = "Option::is_none")]
        config: Option<String> = None,
        /// Liveness probe. Replaces the default (TCP on 8080) whole.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        liveness_probe: ProbeKey = Spanned::default(),
        /// Readiness probe. Replaces the default (TCP on 8080) whole.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        readiness_probe: ProbeKey = Spanned::default(),
        /// The Service in front of nginx.
        service: ServiceValues = ServiceValues::port(8080),
        /// Topology spread constraints of the nginx pods. Default: `defaultTopologySpread`.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        topology_spread_constraints: Spanned<Option<Vec<TopologySpreadConstraint>>> = Spanned::default(),
        /// The spread used when `topologySpreadConstraints` is not set.
        default_topology_spread: DefaultTopologySpread = DefaultTopologySpread::default(),
    }
}

component! {
    /// Gunicorn, the Python web server.
    Gunicorn {
        /// Autoscaling of gunicorn.
        autoscaling: Spanned<Autoscaling> = Spanned::default(),
        /// A PodDisruptionBudget (extension). Default: `maxUnavailable: 1`
        /// when the component runs two or more replicas or autoscales.
        pod_disruption_budget: DisruptionBudget = DisruptionBudget::default(),
        /// Gunicorn flags such as `--workers=4`, applied to the image's gunicorn
        /// command line (same flag replaced, others added), over what
        /// `GUNICORN_WORKERS`, `GUNICORN_THREADS` and `GUNICORN_TIMEOUT` in
        /// `envVars` set there. A list that does not start with a flag replaces
        /// the whole command instead.
        args: Spanned<Vec<String>> = Spanned::default(),
        /// Liveness probe. Replaces the default (TCP on 8000) whole.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        liveness_probe: ProbeKey = Spanned::default(),
        /// Readiness probe. Replaces the default (TCP on 8000) whole.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        readiness_probe: ProbeKey = Spanned::default(),
        /// Startup probe, which holds liveness off while gunicorn boots. Replaces
        /// the default (TCP on 8000 every 10 s, for up to 5 minutes) whole.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        startup_probe: ProbeKey = Spanned::default(),
        /// The site an `httpGet` probe of gunicorn asks for (extension), sent as
        /// the `X-Frappe-Site-Name` header: Frappe answers 404 to a request
        /// for the pod's IP. Default: `jobs.createSite.siteName` (or the first
        /// site of `jobs.createMultipleSites`), else the first ingress host.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        probe_site_name: Spanned<Option<String>> = Spanned::default(),
        /// The Service in front of gunicorn.
        service: ServiceValues = ServiceValues::port(8000),
    }
}

component! {
    /// The socket.io server for realtime updates.
    Socketio {
        /// Autoscaling of socketio.
        autoscaling: Spanned<Autoscaling> = Spanned::default(),
        /// A PodDisruptionBudget (extension). Default: `maxUnavailable: 1`
        /// when the component runs two or more replicas or autoscales.
        pod_disruption_budget: DisruptionBudget = DisruptionBudget::default(),
        /// Liveness probe. Replaces the default (TCP on 9000) whole.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        liveness_probe: ProbeKey = Spanned::default(),
        /// Readiness probe. Replaces the default (TCP on 9000) whole.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        readiness_probe: ProbeKey = Spanned::default(),
        /// The Service in front of socketio.
        service: ServiceValues = ServiceValues::port(9000),
    }
}

component! {
    /// A background worker consuming RQ queues.
    Worker {
        /// Autoscaling of this worker.
        autoscaling: Spanned<Autoscaling> = Spanned::default(),
        /// A PodDisruptionBudget (extension). Default: `maxUnavailable: 1`
        /// when the component runs two or more replicas or autoscales.
        pod_disruption_budget: DisruptionBudget = DisruptionBudget::default(),
        /// Liveness probe, replacing the default whole. Default: none, so that a
        /// Redis blip does not restart every worker; a worker that dies exits and
        /// is restarted anyway. The chart's `{override, probe}` form is accepted.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        liveness_probe: ProbeKey = Spanned::default(),
        /// Readiness probe, replacing the default whole. Default: the database and
        /// every Redis accept connections. The chart's `{override, probe}` form is accepted.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        readiness_probe: ProbeKey = Spanned::default(),
        /// Seconds a stopping worker gets to finish its current job (extension).
        /// Default: the timeout of the longest queue it consumes (Frappe's
        /// `short` and `default` 300 s, `long` 1500 s) plus 30 s.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        termination_grace_period_seconds: Spanned<Option<i64>> = Spanned::default(),
    }
}

component! {
    /// The scheduler, which enqueues periodic jobs. It always runs exactly one
    /// replica with the Recreate strategy, so no job is ever enqueued twice.
    #[schemars(transform = one_replica)]
    Scheduler {
        /// Liveness probe, replacing the default whole. Default: none. The
        /// chart's `{override, probe}` form is accepted.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        liveness_probe: ProbeKey = Spanned::default(),
        /// Readiness probe, replacing the default whole. Default: the database and
        /// every Redis accept connections. The chart's `{override, probe}` form is accepted.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        readiness_probe: ProbeKey = Spanned::default(),
    }
}

/// The scheduler's `replicaCount` can only be 1 (`scheduler-replicas`).
fn one_replica(schema: &mut schemars::Schema) {
    if let Some(replicas) = schema.get_mut("properties").and_then(|p| p.get_mut("replicaCount")) {
        replicas["const"] = 1.into();
    }
}

impl Nginx {
    /// The custom nginx configuration, when there is one. The chart tests
    /// `if .Values.nginx.config`, for which an empty string is false: the
    /// image's entrypoint then writes its own configuration, as here. An
    /// empty `config: ""` must not become an empty `default.conf` in which
    /// nginx serves nothing.
    pub fn custom_config(&self) -> Option<&str> {
        self.config.as_deref().filter(|config| !config.is_empty())
    }

    /// The value nginx uses for one of the entrypoint's settings, which every
    /// rule about it reads. The render passes `environment`'s first and
    /// `envVars` after them, and the last variable of a name wins; an empty
    /// one gets the entrypoint's default. `value` is `None` for a
    /// `valueFrom`, known only in the cluster.
    pub fn entrypoint_setting(&self, setting: EntrypointSetting) -> NginxSetting<'_> {
        let env_vars = &self.env_vars;
        let (written, at) = match env_vars.iter().rposition(|var| var.name == setting.variable()) {
            Some(i) if env_vars[i].value_from.is_some() => {
                return NginxSetting {
                    value: None,
                    at: env_vars.anchor().index(i).key("valueFrom"),
                };
            }
            Some(i) => (
                env_vars[i].value.as_deref().unwrap_or_default(),
                env_vars.anchor().index(i).key("value"),
            ),
            None => {
                let typed = self.environment.get(setting);
                (
                    typed.as_str(),
                    typed.or_in(Anchor::root().key("nginx").key("environment"), setting.key()),
                )
            }
        };
        let value = if written.is_empty() {
            setting.entrypoint_default()
        } else {
            written
        };
        NginxSetting { value: Some(value), at }
    }

    pub fn component(&self) -> ComponentValues<'_> {
        ComponentValues {
            enabled: *self.enabled,
            pod: self.pod(),
            autoscaling: Some(&self.autoscaling),
            disruption_budget: Some(&self.pod_disruption_budget),
            service: Some(&self.service),
            liveness_probe: Some(&self.liveness_probe),
            readiness_probe: Some(&self.readiness_probe),
            startup_probe: None,
            termination_grace_period_seconds: None,
            topology_spread: Some(TopologySpreadValues {
                custom: &self.topology_spread_constraints,
                default: &self.default_topology_spread,
            }),
        }
    }
}

impl Gunicorn {
    pub fn component(&self) -> ComponentValues<'_> {
        ComponentValues {
            enabled: true,
            pod: self.pod(),
            autoscaling: Some(&self.autoscaling),
            disruption_budget: Some(&self.pod_disruption_budget),
            service: Some(&self.service),
            liveness_probe: Some(&self.liveness_probe),
            readiness_probe: Some(&self.readiness_probe),
            startup_probe: Some(&self.startup_probe),
            termination_grace_period_seconds: None,
            topology_spread: None,
        }
    }
}

impl Socketio {
    pub fn component(&self) -> ComponentValues<'_> {
        ComponentValues {
            enabled: true,
            pod: self.pod(),
            autoscaling: Some(&self.autoscaling),
            disruption_budget: Some(&self.pod_disruption_budget),
            service: Some(&self.service),
            liveness_probe: Some(&self.liveness_probe),
            readiness_probe: Some(&self.readiness_probe),
            startup_probe: None,
            termination_grace_period_seconds: None,
            topology_spread: None,
        }
    }
}

impl Worker {
    pub fn component(&self) -> ComponentValues<'_> {
        ComponentValues {
            enabled: true,
            pod: self.pod(),
            autoscaling: Some(&self.autoscaling),
            disruption_budget: Some(&self.pod_disruption_budget),
            service: None,
            liveness_probe: Some(&self.liveness_probe),
            readiness_probe: Some(&self.readiness_probe),
            startup_probe: None,
            termination_grace_period_seconds: Some(&self.termination_grace_period_seconds),
            topology_spread: None,
        }
    }
}

impl Scheduler {
    pub fn component(&self) -> ComponentValues<'_> {
        ComponentValues {
            enabled: true,
            pod: self.pod(),
            autoscaling: None,
            disruption_budget: None,
            service: None,
            liveness_probe: Some(&self.liveness_probe),
            readiness_probe: Some(&self.readiness_probe),
            startup_probe: None,
            termination_grace_period_seconds: None,
            topology_spread: None,
        }
    }
}

impl Workers {
    /// `topologySpreadConstraints` and `defaultTopologySpread` of `worker`,
    /// which spread gunicorn.
    pub fn topology_spread(&self) -> TopologySpreadValues<'_> {
        TopologySpreadValues {
            custom: &self.topology_spread_constraints,
            default: &self.default_topology_spread,
        }
    }
}

// The components here and the large sections of `Values` are boxed: serde's
// derived `visit_map` keeps every field on the stack, and with k8s-openapi
// types inline these frames were 16 and 32 KiB, each page a fault in a render.
/// Gunicorn, the workers and the scheduler.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Workers {
    /// Gunicorn, the web server.
    pub gunicorn: Box<Gunicorn>,
    /// The worker for the `default` queue (Deployment `worker-d`).
    pub default: Box<Worker>,
    /// The worker for the `short` and `default` queues (Deployment `worker-s`).
    pub short: Box<Worker>,
    /// The worker for the `long`, `default` and `short` queues (Deployment `worker-l`).
    pub long: Box<Worker>,
    /// The scheduler.
    pub scheduler: Box<Scheduler>,
    /// Topology spread constraints of the gunicorn pods. Default: `defaultTopologySpread`.
    #[serde(skip_serializing_if = "Spanned::is_none")]
    pub topology_spread_constraints: Spanned<Option<Vec<TopologySpreadConstraint>>>,
    /// The spread used when `topologySpreadConstraints` is not set.
    pub default_topology_spread: DefaultTopologySpread,
}

/// A HorizontalPodAutoscaler (autoscaling/v2) for the component.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Autoscaling {
    /// Render an HPA; the Deployment then leaves `replicas` to it.
    pub enabled: bool,
    /// Fewest pods.
    pub min_replicas: Spanned<i32>,
    /// Most pods.
    pub max_replicas: i32,
    /// Target average CPU utilization, in percent of the CPU request. `null` turns it off.
    #[serde(rename = "targetCPU", default = "seventy_five")]
    pub target_cpu: Spanned<Option<i32>>,
    /// Target average memory utilization, in percent of the memory request. `null` turns it off.
    #[serde(rename = "targetMemory", default = "seventy_five")]
    pub target_memory: Spanned<Option<i32>>,
    /// How fast to scale up and down (extension), passed to the HPA once it
    /// passes the API server's checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub behavior: Option<HorizontalPodAutoscalerBehavior>,
    /// Scale a worker on the length of its RQ queue with KEDA instead of an
    /// HPA (extension; workers only). Renders a `keda.sh/v1alpha1` ScaledObject.
    pub keda: Spanned<Keda>,
}

/// KEDA scaling of a worker on its queue's length.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Keda {
    /// Render a ScaledObject (KEDA must be installed in the cluster).
    pub enabled: Spanned<bool>,
    /// Fewest pods; 0 lets an idle queue scale the worker away.
    pub min_replicas: Spanned<i32>,
    /// Most pods.
    pub max_replicas: i32,
    /// Target number of queued jobs per pod.
    pub list_length: Spanned<i32>,
    /// Seconds between queue checks.
    pub polling_interval: Spanned<i32>,
    /// Seconds to wait after the last busy check before scaling to `minReplicas`.
    pub cooldown_period: Spanned<i32>,
    /// A Secret key with the queue Redis password for KEDA. Default: where
    /// the workers get it (the bench's Secret, or `externalRedis.existingSecret`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_secret: Option<SecretKey>,
}

impl Default for Keda {
    fn default() -> Self {
        Keda {
            enabled: Spanned::new(false),
            min_replicas: Spanned::new(0),
            max_replicas: 3,
            list_length: Spanned::new(10),
            polling_interval: Spanned::new(30),
            cooldown_period: Spanned::new(300),
            password_secret: None,
        }
    }
}

/// A key of a Secret.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SecretKey {
    /// The Secret's name.
    pub name: Spanned<String>,
    /// The key within it.
    pub key: Spanned<String>,
}

fn seventy_five() -> Spanned<Option<i32>> {
    Spanned::new(Some(75))
}

impl Default for Autoscaling {
    fn default() -> Self {
        Autoscaling {
            enabled: false,
            min_replicas: Spanned::new(1),
            max_replicas: 3,
            target_cpu: seventy_five(),
            target_memory: seventy_five(),
            behavior: None,
            keda: Spanned::default(),
        }
    }
}

/// The Service of a component.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ServiceValues {
    /// The Service type.
    #[serde(rename = "type")]
    pub service_type: ServiceType,
    /// The Service port.
    #[schemars(range(min = 1, max = 65535))]
    pub port: Spanned<i32>,
}

impl ServiceValues {
    fn port(port: i32) -> ServiceValues {
        ServiceValues {
            service_type: ServiceType::ClusterIP,
            port: Spanned::new(port),
        }
    }
}

impl Default for ServiceValues {
    fn default() -> Self {
        ServiceValues::port(80)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
}

impl ServiceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::ClusterIP => "ClusterIP",
            ServiceType::NodePort => "NodePort",
            ServiceType::LoadBalancer => "LoadBalancer",
        }
    }
}

/// A topology spread constraint without its label selector, which is the
/// component's own.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct DefaultTopologySpread {
    /// How uneven the spread may be.
    pub max_skew: Spanned<i32>,
    /// The node label that defines a domain (a node, a zone).
    pub topology_key: Spanned<String>,
    /// `DoNotSchedule` or `ScheduleAnyway`.
    pub when_unsatisfiable: Spanned<String>,
}

impl Default for DefaultTopologySpread {
    fn default() -> Self {
        DefaultTopologySpread {
            max_skew: Spanned::new(1),
            topology_key: Spanned::new("kubernetes.io/hostname".to_owned()),
            when_unsatisfiable: Spanned::new("DoNotSchedule".to_owned()),
        }
    }
}

/// Settings of the image's nginx entrypoint (each becomes an env variable).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NginxEnvironment {
    /// Trusted proxy addresses for the real client IP (`UPSTREAM_REAL_IP_ADDRESS`).
    #[serde(rename = "upstreamRealIPAddress")]
    pub upstream_real_ip_address: Spanned<String>,
    /// `on` to search the header recursively (`UPSTREAM_REAL_IP_RECURSIVE`).
    #[serde(rename = "upstreamRealIPRecursive")]
    pub upstream_real_ip_recursive: Spanned<String>,
    /// Header carrying the client IP (`UPSTREAM_REAL_IP_HEADER`).
    #[serde(rename = "upstreamRealIPHeader")]
    pub upstream_real_ip_header: Spanned<String>,
    /// How nginx picks the site (`FRAPPE_SITE_NAME_HEADER`); `$host` serves the
    /// site named like the requested host.
    #[serde(rename = "frappeSiteNameHeader")]
    pub frappe_site_name_header: Spanned<String>,
    /// Seconds nginx waits for gunicorn (`PROXY_READ_TIMEOUT`).
    #[serde(rename = "proxyReadTimeout")]
    pub proxy_read_timeout: Spanned<String>,
    /// Largest request body, e.g. `50m` (`CLIENT_MAX_BODY_SIZE`).
    #[serde(rename = "clientMaxBodySize")]
    pub client_max_body_size: Spanned<String>,
}

/// The chart's defaults are the entrypoint's.
impl Default for NginxEnvironment {
    fn default() -> Self {
        let default = |setting: EntrypointSetting| Spanned::new(setting.entrypoint_default().to_owned());
        NginxEnvironment {
            upstream_real_ip_address: default(EntrypointSetting::UpstreamRealIpAddress),
            upstream_real_ip_recursive: default(EntrypointSetting::UpstreamRealIpRecursive),
            upstream_real_ip_header: default(EntrypointSetting::UpstreamRealIpHeader),
            frappe_site_name_header: default(EntrypointSetting::FrappeSiteNameHeader),
            proxy_read_timeout: default(EntrypointSetting::ProxyReadTimeout),
            client_max_body_size: default(EntrypointSetting::ClientMaxBodySize),
        }
    }
}

impl NginxEnvironment {
    /// The key of `setting`, as written.
    pub fn get(&self, setting: EntrypointSetting) -> &Spanned<String> {
        match setting {
            EntrypointSetting::UpstreamRealIpAddress => &self.upstream_real_ip_address,
            EntrypointSetting::UpstreamRealIpRecursive => &self.upstream_real_ip_recursive,
            EntrypointSetting::UpstreamRealIpHeader => &self.upstream_real_ip_header,
            EntrypointSetting::FrappeSiteNameHeader => &self.frappe_site_name_header,
            EntrypointSetting::ProxyReadTimeout => &self.proxy_read_timeout,
            EntrypointSetting::ClientMaxBodySize => &self.client_max_body_size,
        }
    }
}

/// A setting of the image's nginx entrypoint that `nginx.environment` sets
/// (frappe_docker's `resources/core/nginx/nginx-entrypoint.sh`; the render
/// sets the other two, `BACKEND` and `SOCKETIO`, from the Services).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntrypointSetting {
    UpstreamRealIpAddress,
    UpstreamRealIpRecursive,
    UpstreamRealIpHeader,
    FrappeSiteNameHeader,
    ProxyReadTimeout,
    ClientMaxBodySize,
}

impl EntrypointSetting {
    /// In the order the render passes them.
    pub const ALL: [EntrypointSetting; 6] = [
        EntrypointSetting::UpstreamRealIpAddress,
        EntrypointSetting::UpstreamRealIpRecursive,
        EntrypointSetting::UpstreamRealIpHeader,
        EntrypointSetting::FrappeSiteNameHeader,
        EntrypointSetting::ProxyReadTimeout,
        EntrypointSetting::ClientMaxBodySize,
    ];

    /// The entrypoint's variable.
    pub fn variable(self) -> &'static str {
        match self {
            EntrypointSetting::UpstreamRealIpAddress => "UPSTREAM_REAL_IP_ADDRESS",
            EntrypointSetting::UpstreamRealIpRecursive => "UPSTREAM_REAL_IP_RECURSIVE",
            EntrypointSetting::UpstreamRealIpHeader => "UPSTREAM_REAL_IP_HEADER",
            EntrypointSetting::FrappeSiteNameHeader => "FRAPPE_SITE_NAME_HEADER",
            EntrypointSetting::ProxyReadTimeout => "PROXY_READ_TIMEOUT",
            EntrypointSetting::ClientMaxBodySize => "CLIENT_MAX_BODY_SIZE",
        }
    }

    /// Its key in `nginx.environment`.
    pub fn key(self) -> &'static str {
        match self {
            EntrypointSetting::UpstreamRealIpAddress => "upstreamRealIPAddress",
            EntrypointSetting::UpstreamRealIpRecursive => "upstreamRealIPRecursive",
            EntrypointSetting::UpstreamRealIpHeader => "upstreamRealIPHeader",
            EntrypointSetting::FrappeSiteNameHeader => "frappeSiteNameHeader",
            EntrypointSetting::ProxyReadTimeout => "proxyReadTimeout",
            EntrypointSetting::ClientMaxBodySize => "clientMaxBodySize",
        }
    }

    /// What the entrypoint sets the variable to when it is empty
    /// (`[[ -z ... ]]`).
    pub fn entrypoint_default(self) -> &'static str {
        match self {
            EntrypointSetting::UpstreamRealIpAddress => "127.0.0.1",
            EntrypointSetting::UpstreamRealIpRecursive => "off",
            EntrypointSetting::UpstreamRealIpHeader => "X-Forwarded-For",
            EntrypointSetting::FrappeSiteNameHeader => "$host",
            EntrypointSetting::ProxyReadTimeout => "120",
            EntrypointSetting::ClientMaxBodySize => "50m",
        }
    }
}

/// The value nginx uses for an entrypoint setting ([`Nginx::entrypoint_setting`]).
#[derive(Debug, Clone)]
pub struct NginxSetting<'a> {
    /// `None` for a `valueFrom`, known only in the cluster.
    pub value: Option<&'a str>,
    /// Where the values set it: the last `nginx.envVars` variable of its
    /// name, else its key in `nginx.environment`.
    pub at: Anchor<'a>,
}

/// A PodDisruptionBudget for a component (extension).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct DisruptionBudget {
    /// `true` always renders one, `false` never; unset renders one for two or
    /// more replicas or an HPA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Pods that may be down at once during voluntary disruptions (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
    /// Pods that must stay up; instead of `maxUnavailable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_available: Option<IntOrString>,
}
