//! The validated model: values with every default resolved and every rule
//! checked.
//!
//! [`build`] is the only way to get a [`Bench`], and it returns one only when
//! no rule reported an error, so the object builders downstream never have to
//! wonder whether a port is valid or a probe has one handler. Rules collect
//! all their findings (through [`report::Reporter`]) rather than stopping at
//! the first.

mod checks;
pub mod component;
pub mod endpoint;
pub mod jobs;
pub mod k8s;
pub mod redis;
pub mod report;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Capabilities, EnvVar, LocalObjectReference, PodSecurityContext, SeccompProfile, SecurityContext};
use k8s_openapi::api::networking::v1::IngressTLS;

use crate::diagnostic::{Code, Diagnostic};
use crate::node::{Node, Path};
use crate::values::{self, DbType, HttpRoute, StringMap, Values, WebsocketMode};
use component::{Component, ComponentKind, Hpa, ServiceSpec};
use redis::RedisUrl;
use report::Reporter;

/// What the command line adds to the values.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The release name (`--release`, default `erpnext`).
    pub release: String,
    /// `--namespace`, which wins over `namespace:` in the values.
    pub namespace: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            release: "erpnext".to_owned(),
            namespace: None,
        }
    }
}

/// A bench, ready to be turned into Kubernetes objects.
#[derive(Debug, Clone)]
pub struct Bench {
    pub names: Names,
    pub image: String,
    pub pull_policy: &'static str,
    pub pull_secrets: Vec<LocalObjectReference>,
    /// The ServiceAccount the pods use, and whether we render it.
    pub service_account: String,
    pub create_service_account: bool,
    pub pod_security_context: PodSecurityContext,
    /// The security context of our own containers. By default their root
    /// filesystem is read-only, because what they write is known
    /// ([`component::ScratchDir`]).
    pub container_security_context: SecurityContext,
    /// The default for containers the values bring (sidecars, init
    /// containers, custom Job containers): restricted too, but with a
    /// writable root filesystem, since what they write is not known.
    pub user_container_security_context: SecurityContext,
    pub components: Vec<Component>,
    pub sites: Volume,
    pub logs: Volume,
    /// Data of the ConfigMap `<fullname>-config`.
    pub config: BTreeMap<String, String>,
    /// Data of the Secret `<fullname>`, when the values hold a password.
    pub secret: Option<BTreeMap<String, String>>,
    /// A custom nginx configuration (ConfigMap `<fullname>-nginx-config`).
    pub nginx_config: Option<String>,
    pub ingress: Option<Ingress>,
    pub http_route: Option<HttpRoute>,
    pub jobs: Vec<jobs::BenchJob>,
    /// NetworkPolicies, when enabled.
    pub network_policy: Option<values::NetworkPolicy>,
    /// host and port of the database and every Redis, each once: what
    /// readiness probes and Jobs wait for.
    pub backing_services: Vec<(String, i32)>,
    /// Where the Deployments' bench processes get the database and Redis
    /// endpoints: Frappe's own `FRAPPE_*` variables, which its config loader
    /// and socket.io's `node_utils.js` read before `common_site_config.json`
    /// ([`connection_env`]). Literal values, so a new endpoint changes every
    /// pod template and rolls it; passwords as `$(VAR)` references to
    /// Secret-backed variables.
    pub connection_env: Vec<EnvVar>,
    /// The Secret-backed Redis password variables alone, for the Jobs: they
    /// read the same `FRAPPE_*` settings from the ConfigMap (`envFrom`), so a
    /// Job's pod template, and with it its name, stays the same when only an
    /// endpoint changes; their scripts put the password into the URL.
    pub redis_password_env: Vec<EnvVar>,
    /// SHA-256 of the Redis passwords written in the values, when there are
    /// any: a pod annotation, so that a new password rolls the pods too.
    pub credentials_checksum: Option<String>,
    /// Nothing outside this module can make a [`Built`], so nothing else
    /// makes a bench.
    _built: Built,
}

/// The mark of a bench made by [`build`], which makes one only when every
/// rule passed.
#[derive(Debug, Clone)]
struct Built;

impl Bench {
    /// The directories a container needs as emptyDirs: its scratch
    /// directories when our containers' root filesystem is read-only, none
    /// otherwise.
    pub fn scratch_dirs<'a>(&self, dirs: &'a [component::ScratchDir]) -> &'a [component::ScratchDir] {
        if self.container_security_context.read_only_root_filesystem == Some(true) {
            dirs
        } else {
            &[]
        }
    }
}

/// Names of the release and everything derived from it.
#[derive(Debug, Clone)]
pub struct Names {
    pub release: String,
    /// The chart name, `erpnext` unless `nameOverride`.
    pub chart: String,
    /// The prefix of every object name.
    pub fullname: String,
    pub namespace: Option<String>,
    /// The image tag, carried as `app.kubernetes.io/version`.
    pub version: String,
}

impl Names {
    /// `<fullname>-<suffix>`.
    pub fn object(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.fullname)
    }

    /// A component's Deployment name.
    pub fn deployment(&self, kind: ComponentKind) -> String {
        self.object(kind.suffix())
    }

    /// A component's Service name; nginx's Service carries the bare full name,
    /// as the chart's does, so that existing Ingresses keep pointing at it.
    pub fn service(&self, kind: ComponentKind) -> String {
        match kind {
            ComponentKind::Nginx => self.fullname.clone(),
            other => self.object(other.suffix()),
        }
    }
}

/// A volume of the bench: a claim (rendered or existing) or an emptyDir.
#[derive(Debug, Clone)]
pub enum Volume {
    Claim { claim_name: String, create: Option<ClaimSpec> },
    EmptyDir,
}

/// A PersistentVolumeClaim to render.
#[derive(Debug, Clone)]
pub struct ClaimSpec {
    pub size: String,
    pub storage_class: Option<String>,
    pub access_modes: Vec<String>,
}

/// The Ingress to render.
#[derive(Debug, Clone)]
pub struct Ingress {
    pub name: String,
    pub class_name: Option<String>,
    /// The annotations of the values.
    pub annotations: StringMap,
    pub rules: Vec<IngressRule>,
    pub tls: Vec<IngressTLS>,
    /// With `websocket: snippet`: where the configuration-snippet annotation
    /// sends `/socket.io` (the objects render the snippet).
    pub websocket_snippet: Option<SocketioEndpoint>,
}

/// socket.io's Service, by its cluster DNS name's parts.
#[derive(Debug, Clone)]
pub struct SocketioEndpoint {
    pub service: String,
    pub namespace: String,
    pub port: i32,
}

#[derive(Debug, Clone)]
pub struct IngressRule {
    pub host: String,
    pub paths: Vec<IngressPath>,
}

#[derive(Debug, Clone)]
pub struct IngressPath {
    pub path: String,
    pub path_type: String,
    pub service: String,
    pub port: i32,
}

/// Resolves and checks `values`. Returns the bench when no rule found an
/// error, and every diagnostic (warnings too) either way.
pub fn build(values: &Values, settings: &Settings, root: &Node) -> (Option<Bench>, Vec<Diagnostic>) {
    let mut report = Reporter::new(root);
    let bench = resolve(values, settings, &mut report);
    checks::check_values(values, &mut report);
    let bench = if report.has_errors() { None } else { bench };
    (bench, report.into_diagnostics())
}

fn resolve(values: &Values, settings: &Settings, report: &mut Reporter<'_>) -> Option<Bench> {
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

    let names = resolve_names(values, settings, report);
    let db_type = resolve_db_type(values, report);
    let db = resolve_database(values, db_type, report);
    let redis = resolve_redis(values, &names.fullname, report);

    let pull_secrets = values.image_pull_secrets.clone();
    // As the chart: the named account, else the one rendered, else the namespace's `default`.
    let service_account = match values.service_account.name.clone().filter(|n| !n.is_empty()) {
        Some(name) => name,
        None if values.service_account.create => names.fullname.clone(),
        None => "default".to_owned(),
    };

    // nginx, gunicorn, socketio, the scheduler and three queues
    let mut components = Vec::with_capacity(7);
    let nginx_values = &values.nginx;
    if !nginx_values.enabled && !nginx_values.assets_served_elsewhere {
        report
            .at(
                Code::UnservedAssets,
                &Path::parse("nginx.enabled"),
                "without nginx, nothing serves `/assets` and `/files`: gunicorn serves neither outside Frappe's development server",
            )
            .with_help(
                "keep `nginx.enabled: true`, or set `nginx.assetsServedElsewhere: true` if another server in front of gunicorn serves them from the sites volume",
            );
    }
    if nginx_values.enabled {
        let mut nginx = Component::from_pod(ComponentKind::Nginx, &nginx_values.pod());
        nginx.args = ComponentKind::Nginx.default_args(nginx_values.config.is_some());
        let environment = &nginx_values.environment;
        let mut env = vec![
            env_var(
                "BACKEND",
                format!("{}:{}", names.service(ComponentKind::Gunicorn), values.worker.gunicorn.service.port),
            ),
            env_var(
                "SOCKETIO",
                format!("{}:{}", names.service(ComponentKind::Socketio), values.socketio.service.port),
            ),
            env_var("UPSTREAM_REAL_IP_ADDRESS", environment.upstream_real_ip_address.clone()),
            env_var("UPSTREAM_REAL_IP_RECURSIVE", environment.upstream_real_ip_recursive.clone()),
            env_var("UPSTREAM_REAL_IP_HEADER", environment.upstream_real_ip_header.clone()),
            env_var("FRAPPE_SITE_NAME_HEADER", environment.frappe_site_name_header.clone()),
            env_var("PROXY_READ_TIMEOUT", environment.proxy_read_timeout.clone()),
            env_var("CLIENT_MAX_BODY_SIZE", environment.client_max_body_size.clone()),
        ];
        env.append(&mut nginx.env);
        nginx.env = env;
        nginx.liveness_probe = Some(nginx_values.liveness_probe.clone().unwrap_or_else(|| component::tcp_probe(8080)));
        nginx.readiness_probe = Some(nginx_values.readiness_probe.clone().unwrap_or_else(|| component::tcp_probe(8080)));
        nginx.service = Some(ServiceSpec {
            service_type: nginx_values.service.service_type,
            port: nginx_values.service.port,
        });
        nginx.autoscaling = autoscaling(ComponentKind::Nginx, &nginx_values.autoscaling, report);
        nginx.topology_spread = topology_spread(
            &nginx_values.topology_spread_constraints,
            &nginx_values.default_topology_spread,
            &names,
            ComponentKind::Nginx,
        );
        components.push(nginx);
    }

    let gunicorn_values = &values.worker.gunicorn;
    let mut gunicorn = Component::from_pod(ComponentKind::Gunicorn, &gunicorn_values.pod());
    match component::gunicorn_args(&gunicorn_values.args) {
        Ok(args) => gunicorn.args = args,
        Err(component::NotAFlag { index, word }) => {
            report
                .at(Code::GunicornArgs, &Path::parse("worker.gunicorn.args").index(index), format!("`{word}` is not a gunicorn flag, but the list starts with flags"))
                .with_help("write each flag with its value as one item, e.g. `--workers=4`; or give the whole command line, starting with the gunicorn executable");
        }
    }
    gunicorn.liveness_probe = Some(gunicorn_values.liveness_probe.clone().unwrap_or_else(|| component::tcp_probe(8000)));
    gunicorn.readiness_probe = Some(
        gunicorn_values
            .readiness_probe
            .clone()
            .unwrap_or_else(|| component::tcp_probe(8000)),
    );
    gunicorn.startup_probe = Some(
        gunicorn_values
            .startup_probe
            .clone()
            .unwrap_or_else(component::gunicorn_startup_probe),
    );
    let site = probe_site(values, report);
    for (key, probe) in [
        ("livenessProbe", &mut gunicorn.liveness_probe),
        ("readinessProbe", &mut gunicorn.readiness_probe),
        ("startupProbe", &mut gunicorn.startup_probe),
    ] {
        if let Some(probe) = probe {
            name_the_site(probe, site.as_deref(), key, report);
        }
    }
    gunicorn.service = Some(ServiceSpec {
        service_type: gunicorn_values.service.service_type,
        port: gunicorn_values.service.port,
    });
    gunicorn.autoscaling = autoscaling(ComponentKind::Gunicorn, &gunicorn_values.autoscaling, report);
    gunicorn.topology_spread = topology_spread(
        &values.worker.topology_spread_constraints,
        &values.worker.default_topology_spread,
        &names,
        ComponentKind::Gunicorn,
    );
    components.push(gunicorn);

    let socketio_values = &values.socketio;
    let mut socketio = Component::from_pod(ComponentKind::Socketio, &socketio_values.pod());
    socketio.liveness_probe = Some(socketio_values.liveness_probe.clone().unwrap_or_else(|| component::tcp_probe(9000)));
    socketio.readiness_probe = Some(
        socketio_values
            .readiness_probe
            .clone()
            .unwrap_or_else(|| component::tcp_probe(9000)),
    );
    socketio.service = Some(ServiceSpec {
        service_type: socketio_values.service.service_type,
        port: socketio_values.service.port,
    });
    socketio.autoscaling = autoscaling(ComponentKind::Socketio, &socketio_values.autoscaling, report);
    components.push(socketio);

    let backing_services = backing_services(db.as_ref(), redis.as_ref());
    let default_readiness = component::backing_services_probe(&backing_services);
    for (kind, worker) in [
        (ComponentKind::WorkerDefault, &values.worker.default),
        (ComponentKind::WorkerShort, &values.worker.short),
        (ComponentKind::WorkerLong, &values.worker.long),
    ] {
        let mut component = Component::from_pod(kind, &worker.pod());
        component.autoscaling = autoscaling(kind, &worker.autoscaling, report);
        component.keda = keda(kind, &worker.autoscaling, redis.as_ref(), report);
        component.termination_grace_period_seconds = Some(grace_period(kind, worker.termination_grace_period_seconds, report));
        component.liveness_probe = worker_probe(kind, "livenessProbe", &worker.liveness_probe, None, report);
        component.readiness_probe = worker_probe(kind, "readinessProbe", &worker.readiness_probe, Some(&default_readiness), report);
        components.push(component);
    }

    let scheduler_values = &values.worker.scheduler;
    let mut scheduler = Component::from_pod(ComponentKind::Scheduler, &scheduler_values.pod());
    scheduler.singleton = true;
    if scheduler_values.replica_count != 1 {
        report
            .at(
                Code::SchedulerReplicas,
                &Path::parse("worker.scheduler.replicaCount"),
                format!("the scheduler must run exactly 1 replica, not {}", scheduler_values.replica_count),
            )
            .with_help(
                "every scheduler replica enqueues every periodic job; set `worker.scheduler.replicaCount: 1` and scale the workers instead",
            );
    }
    scheduler.replicas = Some(1);
    scheduler.liveness_probe = worker_probe(
        ComponentKind::Scheduler,
        "livenessProbe",
        &scheduler_values.liveness_probe,
        None,
        report,
    );
    scheduler.readiness_probe = worker_probe(
        ComponentKind::Scheduler,
        "readinessProbe",
        &scheduler_values.readiness_probe,
        Some(&default_readiness),
        report,
    );
    components.push(scheduler);

    for (kind, autoscaling) in [
        (ComponentKind::Nginx, &values.nginx.autoscaling),
        (ComponentKind::Gunicorn, &values.worker.gunicorn.autoscaling),
        (ComponentKind::Socketio, &values.socketio.autoscaling),
    ] {
        if autoscaling.keda.enabled {
            report
                .at(
                    Code::InvalidValue,
                    &Path::parse(kind.values_path()).key("autoscaling.keda.enabled"),
                    "KEDA scales workers on their queue; this component has no queue",
                )
                .with_help("use the HPA (`autoscaling.enabled`) here");
        }
    }
    // With KEDA, the configure Job checks that no `bench_id` renames the
    // queues away from the list names the triggers watch.
    let keda_bench_id = components.iter().any(|c| c.keda.is_some()).then(component::default_bench_id);
    for component in &mut components {
        if component.autoscaling.is_some() || component.keda.is_some() {
            component.replicas = None;
        }
        let budget = match component.kind {
            ComponentKind::Nginx => Some(&values.nginx.pod_disruption_budget),
            ComponentKind::Gunicorn => Some(&values.worker.gunicorn.pod_disruption_budget),
            ComponentKind::Socketio => Some(&values.socketio.pod_disruption_budget),
            ComponentKind::WorkerDefault => Some(&values.worker.default.pod_disruption_budget),
            ComponentKind::WorkerShort => Some(&values.worker.short.pod_disruption_budget),
            ComponentKind::WorkerLong => Some(&values.worker.long.pod_disruption_budget),
            // A budget on the singleton scheduler would block node drains.
            ComponentKind::Scheduler => None,
        };
        if let Some(budget) = budget
            && budget.enabled.unwrap_or_else(|| component.is_replicated())
        {
            let max_unavailable = match (&budget.max_unavailable, &budget.min_available) {
                (None, None) => Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(1)),
                (max, _) => max.clone(),
            };
            component.disruption_budget = Some((max_unavailable, budget.min_available.clone()));
        }
        // The chart spreads nginx and gunicorn; every replicated component
        // should survive losing a node.
        if component.topology_spread.is_empty() && component.is_replicated() && !component.singleton {
            component.topology_spread = topology_spread(&None, &values.worker.default_topology_spread, &names, component.kind);
        }
    }
    let user_container_security_context = values
        .security_context
        .clone()
        .unwrap_or_else(restricted_container_security_context);
    for component in &mut components {
        for container in component.init_containers.iter_mut().chain(component.sidecars.iter_mut()) {
            container
                .security_context
                .get_or_insert_with(|| user_container_security_context.clone());
        }
    }

    let sites = volume(&values.persistence.worker, names.fullname.clone());
    let logs = volume(&values.persistence.logs, names.object("logs"));
    let ingress = resolve_ingress(values, &names, report);
    let http_route = values.httproute.enabled.then(|| values.httproute.clone());

    let (db, redis) = (db?, redis?);
    let credentials_checksum = credentials_checksum(&redis.inline_passwords);
    // Settings without secrets: what the Jobs read (the same `FRAPPE_*`
    // variables the Deployments get, and the services to wait for), and what
    // the configure Job's name hashes.
    let mut config = BTreeMap::new();
    config.insert("FRAPPE_DB_HOST".to_owned(), db.host.clone());
    config.insert("FRAPPE_DB_PORT".to_owned(), db.port.to_string());
    config.insert("FRAPPE_REDIS_CACHE".to_owned(), redis.cache.with_password(None));
    config.insert("FRAPPE_REDIS_QUEUE".to_owned(), redis.queue.with_password(None));
    config.insert("SOCKETIO_PORT".to_owned(), "9000".to_owned());
    config.insert(
        "BACKING_SERVICES".to_owned(),
        backing_services
            .iter()
            .map(|(host, port)| endpoint::host_port(host, u16::try_from(*port).unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(" "),
    );
    if let Some(checksum) = &credentials_checksum {
        config.insert("REDIS_CREDENTIALS_SHA256".to_owned(), checksum.clone());
    }
    let connection_env = connection_env(&db, &redis);
    let redis_password_env = connection_env.iter().filter(|env| env.value_from.is_some()).cloned().collect();

    let (jobs, inline_secrets) = jobs::resolve(values, &names.fullname, db_type, keda_bench_id.as_deref(), report);
    let mut secret = redis.inline_passwords.clone();
    // The chart renders the root password it is given even when no Job uses it.
    if values.db_existing_secret.as_deref().is_none_or(str::is_empty)
        && let Some(password) = values.db_root_password.as_ref().filter(|p| !p.is_empty())
    {
        secret.insert(jobs::DB_ROOT_PASSWORD_KEY.to_owned(), password.clone());
    }
    if let Some(password) = inline_secrets.admin_password {
        secret.insert(jobs::ADMIN_PASSWORD_KEY.to_owned(), password);
    }

    Some(Bench {
        image: match values.image.digest.as_deref().filter(|d| !d.is_empty()) {
            Some(digest) => format!("{}@{digest}", values.image.repository),
            None => format!("{}:{}", values.image.repository, values.image.tag),
        },
        pull_policy: values.image.pull_policy.as_str(),
        pull_secrets,
        create_service_account: values.service_account.create,
        service_account,
        pod_security_context: values.pod_security_context.clone().unwrap_or_else(restricted_pod_security_context),
        container_security_context: values.security_context.clone().unwrap_or_else(|| SecurityContext {
            read_only_root_filesystem: Some(true),
            ..restricted_container_security_context()
        }),
        user_container_security_context,
        components,
        sites,
        logs,
        config,
        secret: (!secret.is_empty()).then_some(secret),
        nginx_config: values.nginx.config.clone().filter(|_| values.nginx.enabled),
        ingress,
        http_route,
        jobs,
        network_policy: values.network_policy.enabled.then(|| values.network_policy.clone()),
        backing_services,
        connection_env,
        redis_password_env,
        credentials_checksum,
        names,
        _built: Built,
    })
}

fn env_var(name: &str, value: String) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: Some(value),
        value_from: None,
    }
}

/// The `restricted` Pod Security Standard at pod level, as the frappe user.
fn restricted_pod_security_context() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(1000),
        run_as_group: Some(1000),
        fs_group: Some(1000),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".to_owned(),
            localhost_profile: None,
        }),
        ..Default::default()
    }
}

/// The `restricted` Pod Security Standard at container level.
fn restricted_container_security_context() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".to_owned()]),
            add: None,
        }),
        ..Default::default()
    }
}

fn resolve_names(values: &Values, settings: &Settings, report: &mut Reporter<'_>) -> Names {
    let chart = values
        .name_override
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "erpnext".to_owned());
    let fullname = match values.fullname_override.as_deref().filter(|n| !n.is_empty()) {
        Some(fullname) => fullname.to_owned(),
        None if settings.release.contains(&chart) => settings.release.clone(),
        None => format!("{}-{chart}", settings.release),
    };
    let namespace = settings
        .namespace
        .clone()
        .or_else(|| values.namespace.clone())
        .filter(|n| !n.is_empty());
    // The longest names derived from the full name must still be valid.
    let origin = if values.fullname_override.as_deref().is_some_and(|n| !n.is_empty()) {
        Some("fullnameOverride")
    } else if values.name_override.as_deref().is_some_and(|n| !n.is_empty()) {
        Some("nameOverride")
    } else {
        None
    };
    // A Job's name (`<fullname>-<task>-<hash>`) is the longest derived name.
    let longest = fullname.len() + jobs::NAME_SUFFIX_LEN;
    let instance_label = format!("{}-scheduler", settings.release);
    let problem = if !k8s::is_dns1123_label(&fullname) {
        Some(format!(
            "`{fullname}` is not a valid object name: lower-case letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters"
        ))
    } else if longest > 63 {
        Some(format!(
            "object names derived from `{fullname}` are too long: the longest Job name would have {longest} characters, Kubernetes allows 63"
        ))
    } else if !k8s::is_label_value(&instance_label) {
        Some(format!(
            "the selector label `{instance_label}` derived from the release name is not a valid label value (at most 63 characters)"
        ))
    } else {
        None
    };
    if let Some(problem) = problem {
        let help = match origin {
            Some(key) => format!("make `{key}` shorter, with lower-case letters, digits and `-` only"),
            None => "choose a shorter lower-case release name, or set `fullnameOverride`".to_owned(),
        };
        match origin {
            Some(key) => {
                report.at(Code::InvalidName, &Path::parse(key), problem).with_help(help);
            }
            None => {
                report
                    .at_key(
                        Code::InvalidName,
                        &Path::root(),
                        format!("{problem} (from the release name `{}`)", settings.release),
                    )
                    .with_help(help);
            }
        }
    }
    if let Some(namespace) = &namespace
        && !k8s::is_dns1123_label(namespace)
    {
        let message = format!("`{namespace}` is not a valid namespace name");
        if settings.namespace.is_some() {
            report.push(Diagnostic::new(Code::InvalidName, format!("{message} (from `--namespace`)")));
        } else {
            report.at(Code::InvalidName, &Path::parse("namespace"), message);
        }
    }
    Names {
        release: settings.release.clone(),
        chart,
        fullname,
        namespace,
        version: values.image.tag.clone(),
    }
}

struct Database {
    host: String,
    port: i32,
}

/// The database engine: the top-level `dbType`, or the one the site-creation
/// Job gives (where the chart keeps it), which must then agree.
fn resolve_db_type(values: &Values, report: &mut Reporter<'_>) -> DbType {
    let jobs = &values.jobs;
    let from_jobs = [
        ("jobs.createSite.dbType", jobs.create_site.enabled, jobs.create_site.db_type),
        (
            "jobs.createMultipleSites.dbType",
            jobs.create_multiple_sites.enabled,
            jobs.create_multiple_sites.db_type,
        ),
    ];
    let mut chosen = values.db_type.map(|t| ("dbType", t));
    for (key, enabled, db_type) in from_jobs {
        let Some(db_type) = db_type.filter(|_| enabled) else { continue };
        match chosen {
            None => chosen = Some((key, db_type)),
            Some((other, chosen_type)) if chosen_type != db_type => {
                report
                    .at(
                        Code::ConflictingKeys,
                        &Path::parse(key),
                        format!("`{key}` and `{other}` name different database engines"),
                    )
                    .with_help("a bench has one database engine; set `dbType` once");
            }
            Some(_) => {}
        }
    }
    chosen.map_or(DbType::Mariadb, |(_, t)| t)
}

fn resolve_database(values: &Values, db_type: DbType, report: &mut Reporter<'_>) -> Option<Database> {
    let Some(host) = values.db_host.as_deref().filter(|h| !h.trim().is_empty()) else {
        report
            .at_key(
                Code::MissingDatabase,
                &Path::parse("dbHost"),
                "no database host: `dbHost` is required",
            )
            .with_help("the database is an external service; set `dbHost` (and `dbPort` if it is not the engine's default port)");
        return None;
    };
    if !endpoint::is_host(host) {
        report
            .at(
                Code::InvalidHost,
                &Path::parse("dbHost"),
                format!("`{host}` is not a host name or an IP address"),
            )
            .with_help("write the database's DNS name (letters, digits, `-` and `.`) or its IP address, without a port or a scheme");
        return None;
    }
    let port = values.db_port.unwrap_or_else(|| db_type.default_port());
    Some(Database {
        host: host.to_owned(),
        port,
    })
}

struct Redis {
    cache: RedisUrl,
    queue: RedisUrl,
    /// Where each password comes from, when the Redis has one.
    cache_password: Option<jobs::SecretRef>,
    queue_password: Option<jobs::SecretRef>,
    /// Passwords written in the URLs, for the bench's own Secret.
    inline_passwords: BTreeMap<String, String>,
}

/// Keys of the Redis passwords in the bench's own Secret.
pub const REDIS_CACHE_PASSWORD_KEY: &str = "redis-cache-password";
pub const REDIS_QUEUE_PASSWORD_KEY: &str = "redis-queue-password";

fn resolve_redis(values: &Values, fullname: &str, report: &mut Reporter<'_>) -> Option<Redis> {
    let external = &values.external_redis;
    let pick = |report: &mut Reporter<'_>,
                current: &Option<String>,
                current_key: &str,
                legacy: &Option<String>,
                legacy_key: &str|
     -> Option<(String, Path)> {
        let current = current.as_ref().filter(|s| !s.is_empty());
        let legacy = legacy.as_ref().filter(|s| !s.is_empty());
        if let Some(old) = legacy {
            report
                .at_key(
                    Code::LegacyKey,
                    &Path::parse(legacy_key),
                    format!("`{legacy_key}` is the name older charts gave `{current_key}`"),
                )
                .with_help(format!(
                    "rename it to `{current_key}`; newer charts ignore `{legacy_key}` and deploy an in-cluster Redis instead"
                ));
            if let Some(new) = current
                && new != old
            {
                report
                    .at(
                        Code::ConflictingKeys,
                        &Path::parse(legacy_key),
                        format!("`{legacy_key}` and `{current_key}` are both set, to different URLs"),
                    )
                    .with_help(format!("keep only `{current_key}`"));
            }
        }
        match (current, legacy) {
            (Some(url), _) => Some((url.clone(), Path::parse(current_key))),
            (None, Some(url)) => Some((url.clone(), Path::parse(legacy_key))),
            (None, None) => None,
        }
    };
    let cache = pick(
        report,
        &external.cache,
        "externalRedis.cache",
        &values.redis_cache_host,
        "redisCacheHost",
    );
    let queue = pick(
        report,
        &external.queue,
        "externalRedis.queue",
        &values.redis_queue_host,
        "redisQueueHost",
    );
    // Frappe v15 and v16 read no `redis_socketio`: realtime events go through
    // the queue Redis (`node_utils.js`, `frappe/realtime.py`).
    for (value, key) in [
        (&external.socketio, "externalRedis.socketio"),
        (&values.redis_socketio_host, "redisSocketIOHost"),
    ] {
        if value.as_deref().is_some_and(|v| !v.is_empty()) {
            report
                .at_key(
                    Code::UnusedKey,
                    &Path::parse(key),
                    format!("`{key}` changes nothing: Frappe v15 and v16 publish realtime events through the queue Redis"),
                )
                .with_help("remove it; socket.io uses `externalRedis.queue`");
        }
    }
    let existing_secret = external.existing_secret.as_deref().filter(|s| !s.is_empty());
    let mut inline_passwords = BTreeMap::new();
    let mut parse = |report: &mut Reporter<'_>,
                     found: Option<(String, Path)>,
                     role: &str,
                     key: &str,
                     secret_key: &str,
                     existing_key: (&Option<String>, &str)|
     -> Option<(RedisUrl, Option<jobs::SecretRef>)> {
        let Some((url, path)) = found else {
            report
                .at_key(
                    Code::MissingRedis,
                    &Path::parse(key),
                    format!("no Redis URL for the {role}: `{key}` is required"),
                )
                .with_help(format!("Redis is an external service here; set `{key}: redis://<host>:6379`"));
            return None;
        };
        let parsed = match RedisUrl::parse(&url) {
            Ok(parsed) => parsed,
            Err(problem) => {
                report
                    .at(Code::InvalidRedisUrl, &path, format!("`{url}` is not a Redis URL: {problem}"))
                    .with_help("write `redis://host:6379` or `rediss://user:password@host:6380/0`");
                return None;
            }
        };
        let password = match (&parsed.password, existing_secret) {
            (Some(_), Some(_)) => {
                report
                    .at(
                        Code::ConflictingKeys,
                        &path,
                        format!("the {role} Redis URL has a password, and `externalRedis.existingSecret` gives one too"),
                    )
                    .with_help("remove the password from the URL (keep the user name) and keep it in the Secret");
                None
            }
            (Some(password), None) => {
                report
                    .at(
                        Code::PlaintextPassword,
                        &path,
                        format!("the {role} Redis password is written in the values file"),
                    )
                    .with_help("keep it in a Secret: set `externalRedis.existingSecret` and write the URL without the password");
                inline_passwords.insert(secret_key.to_owned(), password.clone());
                Some(jobs::SecretRef {
                    name: fullname.to_owned(),
                    key: secret_key.to_owned(),
                })
            }
            (None, Some(secret)) => {
                let (custom, default_key) = existing_key;
                Some(jobs::SecretRef {
                    name: secret.to_owned(),
                    key: custom.clone().filter(|k| !k.is_empty()).unwrap_or_else(|| default_key.to_owned()),
                })
            }
            (None, None) => None,
        };
        Some((parsed, password))
    };
    let cache = parse(
        report,
        cache,
        "cache",
        "externalRedis.cache",
        REDIS_CACHE_PASSWORD_KEY,
        (&external.existing_secret_cache_key, "cache-password"),
    );
    let queue = parse(
        report,
        queue,
        "queue",
        "externalRedis.queue",
        REDIS_QUEUE_PASSWORD_KEY,
        (&external.existing_secret_queue_key, "queue-password"),
    );
    let ((cache, cache_password), (queue, queue_password)) = (cache?, queue?);
    Some(Redis {
        cache,
        queue,
        cache_password,
        queue_password,
        inline_passwords,
    })
}

/// The `FRAPPE_*` variables every bench process reads its endpoints from.
/// Frappe's config loader prefers them to `common_site_config.json`
/// (`get_site_config`: `FRAPPE_DB_HOST`, `FRAPPE_DB_PORT`,
/// `FRAPPE_REDIS_CACHE`, `FRAPPE_REDIS_QUEUE`), and so does socket.io's
/// `node_utils.js` for the two Redis URLs, in v15 and v16 alike. A Redis
/// password is a Secret-backed variable that the URL names as `$(VAR)`,
/// which the kubelet expands: the pod spec holds no password.
fn connection_env(db: &Database, redis: &Redis) -> Vec<EnvVar> {
    let mut env = vec![
        env_var("FRAPPE_DB_HOST", db.host.clone()),
        env_var("FRAPPE_DB_PORT", db.port.to_string()),
    ];
    for (name, url, password) in [
        ("FRAPPE_REDIS_CACHE", &redis.cache, &redis.cache_password),
        ("FRAPPE_REDIS_QUEUE", &redis.queue, &redis.queue_password),
    ] {
        match password {
            Some(secret) => {
                let variable = format!("{}_PASSWORD", name.trim_start_matches("FRAPPE_"));
                env.push(EnvVar {
                    name: variable.clone(),
                    value: None,
                    value_from: Some(k8s_openapi::api::core::v1::EnvVarSource {
                        secret_key_ref: Some(k8s_openapi::api::core::v1::SecretKeySelector {
                            name: secret.name.clone(),
                            key: secret.key.clone(),
                            optional: None,
                        }),
                        ..Default::default()
                    }),
                });
                env.push(env_var(name, url.with_password(Some(&format!("$({variable})")))));
            }
            None => env.push(env_var(name, url.with_password(None))),
        }
    }
    env
}

/// SHA-256 over the Redis passwords written in the values, so that a new
/// password changes the pod templates (and the configure Job) and reaches
/// every process. Only for passwords the values file already holds in
/// clear; with `existingSecret` there is none, and rotating that Secret
/// needs a `kubectl rollout restart`.
fn credentials_checksum(passwords: &BTreeMap<String, String>) -> Option<String> {
    use sha2::{Digest, Sha256};
    if passwords.is_empty() {
        return None;
    }
    let mut hasher = Sha256::new();
    for (key, password) in passwords {
        hasher.update(key.as_bytes());
        hasher.update([0]);
        hasher.update(password.as_bytes());
        hasher.update([0]);
    }
    Some(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// host and port of every backing service, each once.
fn backing_services(db: Option<&Database>, redis: Option<&Redis>) -> Vec<(String, i32)> {
    let mut services = Vec::new();
    if let Some(db) = db {
        services.push((db.host.clone(), db.port));
    }
    if let Some(redis) = redis {
        for url in [&redis.cache, &redis.queue] {
            services.push((url.host.clone(), i32::from(url.port)));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    services.retain(|s| seen.insert(s.clone()));
    services
}

fn autoscaling(kind: ComponentKind, values: &values::Autoscaling, report: &mut Reporter<'_>) -> Option<Hpa> {
    if !values.enabled {
        return None;
    }
    let path = Path::parse(kind.values_path()).key("autoscaling");
    if values.min_replicas < 1 || values.min_replicas > values.max_replicas {
        report
            .at(
                Code::HpaReplicas,
                &path.key("minReplicas"),
                format!(
                    "autoscaling needs 1 <= minReplicas <= maxReplicas, but minReplicas is {} and maxReplicas {}",
                    values.min_replicas, values.max_replicas
                ),
            )
            .with_help("raise `maxReplicas` or lower `minReplicas`");
    }
    for (target, key) in [(values.target_cpu, "targetCPU"), (values.target_memory, "targetMemory")] {
        if target.is_some_and(|t| t < 1) {
            report
                .at(
                    Code::InvalidValue,
                    &path.key(key),
                    "a utilization target must be a positive percentage",
                )
                .with_help("use e.g. `75`, or `null` to turn this metric off");
        }
    }
    if values.target_cpu.is_none() && values.target_memory.is_none() && values.behavior.is_none() {
        report
            .at_key(Code::InvalidValue, &path, "autoscaling is enabled without any target")
            .with_help("set `targetCPU` or `targetMemory`");
    }
    Some(Hpa {
        min_replicas: values.min_replicas,
        max_replicas: values.max_replicas,
        target_cpu: values.target_cpu,
        target_memory: values.target_memory,
        behavior: values.behavior.clone(),
    })
}

fn keda(
    kind: ComponentKind,
    values: &values::Autoscaling,
    redis: Option<&Redis>,
    report: &mut Reporter<'_>,
) -> Option<component::KedaScaler> {
    let keda = &values.keda;
    if !keda.enabled {
        return None;
    }
    let path = Path::parse(kind.values_path()).key("autoscaling").key("keda");
    if values.enabled {
        report
            .at(
                Code::InvalidValue,
                &path.key("enabled"),
                "a worker scales either with its HPA or with KEDA, not both",
            )
            .with_help("set `autoscaling.enabled: false` to let KEDA scale this worker");
    }
    if keda.min_replicas < 0 || keda.max_replicas < 1 || keda.min_replicas > keda.max_replicas {
        report
            .at(
                Code::HpaReplicas,
                &path.key("minReplicas"),
                format!(
                    "KEDA needs 0 <= minReplicas <= maxReplicas and maxReplicas >= 1, not {} and {}",
                    keda.min_replicas, keda.max_replicas
                ),
            )
            .with_help("raise `maxReplicas` or lower `minReplicas`");
    }
    for (value, key) in [
        (keda.list_length, "listLength"),
        (keda.polling_interval, "pollingInterval"),
        (keda.cooldown_period, "cooldownPeriod"),
    ] {
        if value < 1 {
            report.at(Code::InvalidValue, &path.key(key), format!("`{key}` must be at least 1"));
        }
    }
    let redis = redis?;
    let queue = &redis.queue;
    // KEDA reads the password where the workers do, unless told otherwise.
    let password = match &keda.password_secret {
        Some(secret) => Some(jobs::SecretRef {
            name: secret.name.clone(),
            key: secret.key.clone(),
        }),
        None => redis.queue_password.clone(),
    };
    let worker_queue = kind.queues()?.split(',').next()?;
    Some(component::KedaScaler {
        min_replicas: keda.min_replicas,
        max_replicas: keda.max_replicas,
        list_length: keda.list_length,
        polling_interval: keda.polling_interval,
        cooldown_period: keda.cooldown_period,
        list_name: format!("rq:queue:{}:{worker_queue}", component::default_bench_id()),
        address: queue.endpoint(),
        database: queue.db,
        tls: queue.tls,
        username: queue.user.clone(),
        password,
    })
}

/// A worker's `terminationGracePeriodSeconds`: RQ's warm shutdown lets the
/// running job finish on SIGTERM, which takes up to the queue's timeout.
fn grace_period(kind: ComponentKind, custom: Option<i64>, report: &mut Reporter<'_>) -> i64 {
    if let Some(seconds) = custom {
        if seconds >= 0 {
            return seconds;
        }
        report
            .at(
                Code::InvalidValue,
                &Path::parse(kind.values_path()).key("terminationGracePeriodSeconds"),
                "a grace period cannot be negative",
            )
            .with_help("give the seconds a stopping worker may take to finish its job, or remove the key for the queue's timeout");
    }
    kind.queue_timeout_seconds().unwrap_or(0) + component::WORKER_GRACE_MARGIN_SECONDS
}

/// The site an HTTP probe of gunicorn asks for: the explicit key, the site
/// the values create, or the first ingress host.
fn probe_site(values: &Values, report: &mut Reporter<'_>) -> Option<String> {
    let explicit = values.worker.gunicorn.probe_site_name.as_deref().filter(|s| !s.is_empty());
    if let Some(site) = explicit {
        if !endpoint::is_host(site) {
            report
                .at(
                    Code::InvalidValue,
                    &Path::parse("worker.gunicorn.probeSiteName"),
                    format!("`{site}` is not a site name"),
                )
                .with_help("a site is named after its host name: letters, digits, `-` and `.`");
            return None;
        }
        return Some(site.to_owned());
    }
    let jobs = &values.jobs;
    let created = if jobs.create_site.enabled {
        Some(jobs.create_site.site_name.clone())
    } else if jobs.create_multiple_sites.enabled {
        jobs.create_multiple_sites.sites.first().map(|s| s.name.clone())
    } else {
        None
    };
    let ingress_host = || {
        values
            .ingress
            .enabled
            .then(|| values.ingress.hosts.iter().map(|h| h.host.clone()).find(|h| !h.starts_with('*')))
            .flatten()
    };
    created.or_else(ingress_host).filter(|site| endpoint::is_host(site))
}

/// Adds `X-Frappe-Site-Name` to an HTTP probe of gunicorn that names no
/// site. The kubelet sends `Host: <pod IP>`, and Frappe picks the site from
/// that header or the Host (`frappe/app.py`, `init_request`), so without it
/// every probe gets a 404.
fn name_the_site(probe: &mut k8s_openapi::api::core::v1::Probe, site: Option<&str>, key: &str, report: &mut Reporter<'_>) {
    use k8s_openapi::api::core::v1::HTTPHeader;
    let Some(http) = probe.http_get.as_mut() else { return };
    let names_a_site = |h: &HTTPHeader| h.name.eq_ignore_ascii_case(SITE_HEADER) || h.name.eq_ignore_ascii_case("host");
    if http.http_headers.iter().flatten().any(names_a_site) {
        return;
    }
    match site {
        Some(site) => http.http_headers.get_or_insert_with(Vec::new).push(HTTPHeader {
            name: SITE_HEADER.to_owned(),
            value: site.to_owned(),
        }),
        None => {
            report
                .at_key(
                    Code::ProbeSite,
                    &Path::parse("worker.gunicorn").key(key).key("httpGet"),
                    "this HTTP probe names no site: the kubelet asks for the pod's IP, and Frappe answers 404 for a site it does not have",
                )
                .with_help(
                    "set `worker.gunicorn.probeSiteName` to one of the bench's sites, add `httpHeaders: [{name: X-Frappe-Site-Name, value: <site>}]`, or use a `tcpSocket` probe",
                );
        }
    }
}

/// The header Frappe reads the site from before the Host.
const SITE_HEADER: &str = "X-Frappe-Site-Name";

fn worker_probe(
    kind: ComponentKind,
    key: &str,
    values: &values::WorkerProbe,
    default: Option<&k8s_openapi::api::core::v1::Probe>,
    report: &mut Reporter<'_>,
) -> Option<k8s_openapi::api::core::v1::Probe> {
    if !values.override_default {
        return default.cloned();
    }
    match &values.probe {
        Some(probe) => Some(probe.clone()),
        None => {
            report
                .at(
                    Code::ProbeHandlers,
                    &Path::parse(kind.values_path()).key(key).key("override"),
                    "`override: true` without a `probe`",
                )
                .with_help("add the probe under `probe:`, or set `override: false` for the default");
            None
        }
    }
}

fn topology_spread(
    custom: &Option<Vec<k8s_openapi::api::core::v1::TopologySpreadConstraint>>,
    default: &values::DefaultTopologySpread,
    names: &Names,
    kind: ComponentKind,
) -> Vec<k8s_openapi::api::core::v1::TopologySpreadConstraint> {
    use k8s_openapi::api::core::v1::TopologySpreadConstraint;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
    let selector = LabelSelector {
        match_labels: Some(selector_labels(names, kind)),
        match_expressions: None,
    };
    match custom {
        Some(constraints) => constraints
            .iter()
            .map(|c| TopologySpreadConstraint {
                label_selector: c.label_selector.clone().or_else(|| Some(selector.clone())),
                ..c.clone()
            })
            .collect(),
        None => vec![TopologySpreadConstraint {
            max_skew: default.max_skew,
            topology_key: default.topology_key.clone(),
            when_unsatisfiable: default.when_unsatisfiable.clone(),
            label_selector: Some(selector),
            ..Default::default()
        }],
    }
}

/// The label every pod of the bench carries, Deployments' and Jobs' alike,
/// so that NetworkPolicies can select the whole bench.
pub fn part_of_label(names: &Names) -> (String, String) {
    ("app.kubernetes.io/part-of".to_owned(), names.fullname.clone())
}

/// The chart's selector labels of a component. They are immutable on a live
/// Deployment, so they must match the chart's exactly for an existing helm
/// release to be updated in place.
pub fn selector_labels(names: &Names, kind: ComponentKind) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_owned(), format!("{}-{}", names.chart, kind.suffix())),
        (
            "app.kubernetes.io/instance".to_owned(),
            format!("{}-{}", names.release, kind.suffix()),
        ),
    ])
}

fn volume(values: &values::Volume, default_claim: String) -> Volume {
    if !values.enabled {
        return Volume::EmptyDir;
    }
    match values.existing_claim.as_ref().filter(|c| !c.is_empty()) {
        Some(existing) => Volume::Claim {
            claim_name: existing.clone(),
            create: None,
        },
        None => Volume::Claim {
            claim_name: default_claim,
            create: Some(ClaimSpec {
                size: values.size.0.clone(),
                storage_class: values.storage_class.clone().filter(|c| !c.is_empty()),
                access_modes: values.access_modes.clone(),
            }),
        },
    }
}

fn resolve_ingress(values: &Values, names: &Names, report: &mut Reporter<'_>) -> Option<Ingress> {
    let ingress = &values.ingress;
    if !ingress.enabled {
        return None;
    }
    let nginx = values.nginx.enabled;
    let (service, port) = if nginx {
        (names.service(ComponentKind::Nginx), values.nginx.service.port)
    } else {
        (names.service(ComponentKind::Gunicorn), values.worker.gunicorn.service.port)
    };
    let socketio = (names.service(ComponentKind::Socketio), values.socketio.service.port);
    let mut websocket_snippet = None;
    if ingress.websocket == WebsocketMode::Snippet {
        match &names.namespace {
            Some(namespace) => {
                websocket_snippet = Some(SocketioEndpoint {
                    service: socketio.0.clone(),
                    namespace: namespace.clone(),
                    port: socketio.1,
                });
            }
            None => {
                report
                    .at(
                        Code::MissingNamespace,
                        &Path::parse("ingress.websocket"),
                        "the websocket snippet proxies to `<service>.<namespace>.svc.cluster.local`, but no namespace is set",
                    )
                    .with_help("pass `--namespace`, or set `namespace:` in the values");
            }
        }
    }
    let rules = ingress
        .hosts
        .iter()
        .map(|host| {
            let mut paths: Vec<IngressPath> = host
                .paths
                .iter()
                .map(|p| IngressPath {
                    path: p.path.clone(),
                    path_type: p.path_type.clone(),
                    service: service.clone(),
                    port,
                })
                .collect();
            if !nginx && ingress.websocket == WebsocketMode::Auto {
                paths.push(IngressPath {
                    path: "/socket.io".to_owned(),
                    path_type: "Prefix".to_owned(),
                    service: socketio.0.clone(),
                    port: socketio.1,
                });
            }
            IngressRule {
                host: host.host.clone(),
                paths,
            }
        })
        .collect();
    Some(Ingress {
        name: ingress
            .ingress_name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| names.fullname.clone()),
        class_name: ingress.class_name.clone().filter(|c| !c.is_empty()),
        annotations: ingress.annotations.clone(),
        rules,
        tls: ingress.tls.clone(),
        websocket_snippet,
    })
}

/// The shared pod keys of every rendered component, for rules that apply
/// to all of them alike.
pub(crate) fn component_values(values: &Values) -> Vec<(ComponentKind, crate::values::PodValues<'_>)> {
    let mut all = Vec::new();
    if values.nginx.enabled {
        all.push((ComponentKind::Nginx, values.nginx.pod()));
    }
    all.push((ComponentKind::Gunicorn, values.worker.gunicorn.pod()));
    all.push((ComponentKind::Socketio, values.socketio.pod()));
    all.push((ComponentKind::WorkerDefault, values.worker.default.pod()));
    all.push((ComponentKind::WorkerShort, values.worker.short.pod()));
    all.push((ComponentKind::WorkerLong, values.worker.long.pod()));
    all.push((ComponentKind::Scheduler, values.worker.scheduler.pod()));
    all
}
