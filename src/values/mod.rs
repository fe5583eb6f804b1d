//! The values file, typed: the keys of the official erpnext chart that we
//! render, with the chart's defaults, plus a few documented extensions.
//!
//! These types are the schema. Their doc comments become the descriptions of
//! `frappe-manifests schema` and `explain`; `deny_unknown_fields` becomes
//! `additionalProperties: false`. Nothing here decides anything: defaults that
//! depend on other keys, and every rule, live in [`crate::model`].
//!
//! The keys rules check are [`Spanned`]: they carry where the file wrote
//! them, so a rule reports at the value itself. Serde and the schema see
//! the plain value.

pub mod chart_only;
mod component;
mod data_service;
pub mod forms;
mod ingress;
mod jobs;
mod persistence;
pub mod probe;
pub mod spanned;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{LocalObjectReference, PodSecurityContext, SecurityContext};
use k8s_openapi::api::networking::v1::NetworkPolicyEgressRule;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use chart_only::{CHART_ONLY_KEYS, ChartOnlyKey};
pub use component::{
    Autoscaling, ComponentValues, DefaultTopologySpread, DisruptionBudget, EntrypointSetting, Gunicorn, Keda, Nginx, NginxEnvironment,
    NginxSetting, PodValues, ProbeKey, Scheduler, SecretKey, ServiceType, ServiceValues, Socketio, TopologySpreadValues, Worker, Workers,
};
pub use data_service::DataService;
pub use ingress::{HttpRoute, HttpRouteMatch, HttpRouteParentRef, HttpRouteRule, Ingress, IngressHost, IngressPath, WebsocketMode};
pub use jobs::{
    BackupJob, BackupMultipleSitesJob, ConfigureJob, CreateMultipleSitesJob, CreateSiteJob, CustomJob, DropMultipleSitesJob, DropSiteJob,
    JobPod, Jobs, MigrateJob, MigrateMultipleSitesJob, RestoreJob, S3Storage, Site, SiteWithApps, VolumePermissionsJob,
};
pub use persistence::{Persistence, Volume};
pub use probe::{ChartProbe, ProbeValue};
pub use spanned::{Anchor, Place, Spanned};

/// A Frappe/ERPNext bench: the official chart's `custom-values.yaml`.
// Each key takes its default on its own, not the struct as a whole: serde
// builds a struct-wide default whole before reading the file, and this one
// holds every component's defaults, most of which a file replaces.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Values {
    /// Namespace of every namespaced object (extension). `--namespace` wins
    /// over it; without either, objects carry no namespace.
    #[serde(default, skip_serializing_if = "Spanned::is_none")]
    #[schemars(regex(pattern = forms::DNS_LABEL_OR_EMPTY), length(max = 63))]
    pub namespace: Spanned<Option<String>>,
    /// Replaces the chart name `erpnext` in object names and selector labels.
    #[serde(default, skip_serializing_if = "Spanned::is_none")]
    #[schemars(regex(pattern = forms::DNS_LABEL_OR_EMPTY), length(max = 63))]
    pub name_override: Spanned<Option<String>>,
    /// Replaces the full name `<release>-erpnext` that prefixes every object.
    #[serde(default, skip_serializing_if = "Spanned::is_none")]
    #[schemars(regex(pattern = forms::DNS_LABEL_OR_EMPTY), length(max = 63))]
    pub fullname_override: Spanned<Option<String>>,
    /// The Frappe image every component runs: nginx, gunicorn, socketio,
    /// workers, scheduler and the jobs.
    #[serde(default)]
    pub image: Image,
    /// Secrets for pulling the image from a private registry.
    #[serde(default)]
    pub image_pull_secrets: Spanned<Vec<LocalObjectReference>>,
    /// The ServiceAccount the pods run as.
    #[serde(default)]
    pub service_account: ServiceAccount,
    /// Pod-level security context of every pod. Replaces the default whole.
    #[serde(default, skip_serializing_if = "Spanned::is_none")]
    pub pod_security_context: Spanned<Option<PodSecurityContext>>,
    /// Container-level security context of every container. Replaces the
    /// default whole. The default adds `readOnlyRootFilesystem: true` to
    /// the bench's own containers, with emptyDirs where they write (`/tmp`;
    /// for nginx also `/etc/nginx/conf.d`, `/var/lib/nginx` and `/run`); a
    /// context given here without it leaves the root writable and mounts
    /// none of them.
    #[serde(default, skip_serializing_if = "Spanned::is_none")]
    pub security_context: Spanned<Option<SecurityContext>>,
    /// The nginx front: serves assets and proxies to gunicorn and socketio.
    #[serde(default)]
    pub nginx: Box<Nginx>,
    /// Gunicorn, the background workers and the scheduler.
    #[serde(default)]
    pub worker: Box<Workers>,
    /// The Node.js socket.io server for realtime updates.
    #[serde(default)]
    pub socketio: Box<Socketio>,
    /// Volumes for the sites directory and the logs.
    #[serde(default)]
    pub persistence: Persistence,
    /// An Ingress (networking.k8s.io/v1) in front of the bench.
    #[serde(default)]
    pub ingress: Ingress,
    /// A Gateway API HTTPRoute in front of the bench.
    #[serde(default)]
    pub httproute: HttpRoute,
    /// One-off Jobs of the bench.
    #[serde(default)]
    pub jobs: Box<Jobs>,
    /// NetworkPolicies that fence the bench in (extension).
    #[serde(default)]
    pub network_policy: NetworkPolicy,

    /// Host name of the external database (MariaDB or PostgreSQL). Required.
    #[serde(default, skip_serializing_if = "Spanned::is_none")]
    pub db_host: Spanned<Option<String>>,
    /// Port of the external database. Default: 3306 for MariaDB, 5432 for
    /// PostgreSQL.
    #[serde(default, skip_serializing_if = "Spanned::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub db_port: Spanned<Option<i32>>,
    /// The database engine (extension): `mariadb` (default) or `postgres`.
    /// The chart sets it per site-creation Job; those must agree with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_type: Option<DbType>,
    /// Database user with the right to create site databases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_root_user: Option<String>,
    /// Password of `dbRootUser`. Prefer `dbExistingSecret`: a password here
    /// ends up in a Secret rendered from this file.
    #[serde(default, skip_serializing_if = "Spanned::is_none")]
    pub db_root_password: Spanned<Option<String>>,
    /// The database is Amazon RDS (sets `rds_db` in the bench configuration).
    #[serde(default)]
    pub db_rds: bool,
    /// Name of an existing Secret holding the database root password.
    #[serde(default, skip_serializing_if = "Spanned::is_none")]
    pub db_existing_secret: Spanned<Option<String>>,
    /// Key of the password in `dbExistingSecret`. Default: `password`.
    #[serde(default, skip_serializing_if = "Spanned::is_none")]
    pub db_existing_secret_password_key: Spanned<Option<String>>,
    /// The external Redis (or Valkey) services.
    #[serde(default)]
    pub external_redis: Spanned<ExternalRedis>,

    /// Deprecated: older charts' name for `externalRedis.cache`.
    #[serde(default, skip_serializing_if = "Spanned::is_none")]
    pub redis_cache_host: Spanned<Option<String>>,
    /// Deprecated: older charts' name for `externalRedis.queue`.
    #[serde(default, skip_serializing_if = "Spanned::is_none")]
    pub redis_queue_host: Spanned<Option<String>>,
    /// Deprecated: older charts' name for `externalRedis.socketio`.
    #[serde(default, rename = "redisSocketIOHost", skip_serializing_if = "Spanned::is_none")]
    pub redis_socketio_host: Spanned<Option<String>>,

    /// The chart's in-cluster MariaDB StatefulSet. Only `enabled: false` is
    /// accepted: the database is an external service here.
    #[serde(default, rename = "mariadb-sts", skip_serializing_if = "Option::is_none")]
    pub mariadb_sts: Option<DataService>,
    /// The chart's Bitnami MariaDB subchart. Only `enabled: false` is accepted.
    #[serde(default, rename = "mariadb-subchart", skip_serializing_if = "Option::is_none")]
    pub mariadb_subchart: Option<DataService>,
    /// Alias of `mariadb-subchart`. Only `enabled: false` is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mariadb: Option<DataService>,
    /// Alias of `postgresql-subchart`. Only `enabled: false` is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgresql: Option<DataService>,
    /// The chart's Bitnami PostgreSQL subchart. Only `enabled: false` is accepted.
    #[serde(default, rename = "postgresql-subchart", skip_serializing_if = "Option::is_none")]
    pub postgresql_subchart: Option<DataService>,
    /// The chart's in-cluster PostgreSQL StatefulSet. Only `enabled: false` is accepted.
    #[serde(default, rename = "postgresql-sts", skip_serializing_if = "Option::is_none")]
    pub postgresql_sts: Option<DataService>,
    /// The chart's Bitnami Redis for the cache. Only `enabled: false` is accepted.
    #[serde(default, rename = "redis-cache", skip_serializing_if = "Option::is_none")]
    pub redis_cache: Option<DataService>,
    /// The chart's Bitnami Redis for the queue. Only `enabled: false` is accepted.
    #[serde(default, rename = "redis-queue", skip_serializing_if = "Option::is_none")]
    pub redis_queue: Option<DataService>,
    /// The chart's Valkey for the cache. Only `enabled: false` is accepted.
    #[serde(default, rename = "valkey-cache", skip_serializing_if = "Option::is_none")]
    pub valkey_cache: Option<DataService>,
    /// The chart's Valkey for the queue. Only `enabled: false` is accepted.
    #[serde(default, rename = "valkey-queue", skip_serializing_if = "Option::is_none")]
    pub valkey_queue: Option<DataService>,
    /// The chart's DragonflyDB for the cache. Only `enabled: false` is accepted.
    #[serde(default, rename = "dragonfly-cache", skip_serializing_if = "Option::is_none")]
    pub dragonfly_cache: Option<DataService>,
    /// The chart's DragonflyDB for the queue. Only `enabled: false` is accepted.
    #[serde(default, rename = "dragonfly-queue", skip_serializing_if = "Option::is_none")]
    pub dragonfly_queue: Option<DataService>,
}

impl Values {
    /// The chart's in-cluster data services, by their values key (which the
    /// messages about them name).
    pub fn data_services(&self) -> [(&'static str, Option<&DataService>); 12] {
        [
            ("mariadb-sts", self.mariadb_sts.as_ref()),
            ("mariadb-subchart", self.mariadb_subchart.as_ref()),
            ("mariadb", self.mariadb.as_ref()),
            ("postgresql", self.postgresql.as_ref()),
            ("postgresql-subchart", self.postgresql_subchart.as_ref()),
            ("postgresql-sts", self.postgresql_sts.as_ref()),
            ("redis-cache", self.redis_cache.as_ref()),
            ("redis-queue", self.redis_queue.as_ref()),
            ("valkey-cache", self.valkey_cache.as_ref()),
            ("valkey-queue", self.valkey_queue.as_ref()),
            ("dragonfly-cache", self.dragonfly_cache.as_ref()),
            ("dragonfly-queue", self.dragonfly_queue.as_ref()),
        ]
    }
}

/// NetworkPolicies for the bench (extension): bench pods accept traffic
/// only from the ingress controller (at the entry point) and from each other,
/// and reach out to DNS, the database, Redis, the ingress controller (socket.io
/// checks each browser's session through the site's public URL) and, unless
/// `externalEgress` says otherwise, anywhere outside the cluster.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct NetworkPolicy {
    /// Render the NetworkPolicies. Off by default: they need a CNI that
    /// enforces them, and the controller's namespace below must be right.
    pub enabled: bool,
    /// The namespaces the ingress controller runs in.
    pub ingress_namespace_selector: Spanned<LabelSelector>,
    /// The ingress controller's pods within those namespaces (all when unset).
    #[serde(skip_serializing_if = "Spanned::is_none")]
    pub ingress_pod_selector: Spanned<Option<LabelSelector>>,
    /// Where bench pods may connect beyond DNS, the database, Redis, each
    /// other and the ingress controller. Default (unset): anywhere outside
    /// the cluster, on any port, because Frappe connects where its users
    /// configure it to (SMTP and IMAP servers, webhooks, payment gateways).
    /// A list of NetworkPolicy egress rules replaces that; `[]` allows none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_egress: Option<Vec<NetworkPolicyEgressRule>>,
}

impl Default for NetworkPolicy {
    fn default() -> Self {
        NetworkPolicy {
            enabled: false,
            ingress_namespace_selector: Spanned::new(LabelSelector {
                match_labels: Some(StringMap::from([(
                    "kubernetes.io/metadata.name".to_owned(),
                    "ingress-nginx".to_owned(),
                )])),
                match_expressions: None,
            }),
            ingress_pod_selector: Spanned::default(),
            external_egress: None,
        }
    }
}

/// The container image of the bench.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Image {
    /// Image repository, e.g. `frappe/erpnext` or `registry.example.com/my-erp`.
    pub repository: Spanned<String>,
    /// Image tag. Pin a version: a moving tag such as `latest` deploys
    /// whatever was pushed last, on every pod restart.
    pub tag: Spanned<String>,
    /// When the kubelet pulls the image: `Always`, `IfNotPresent` or `Never`.
    pub pull_policy: PullPolicy,
    /// Pin the image by digest (extension), e.g. `sha256:4a1c…`: pods then
    /// run `repository@digest`, whatever the tag now points at.
    #[serde(skip_serializing_if = "Spanned::is_none")]
    pub digest: Spanned<Option<String>>,
}

impl Default for Image {
    fn default() -> Self {
        Image {
            repository: Spanned::new("frappe/erpnext".to_owned()),
            tag: Spanned::new("v16.32.3".to_owned()),
            pull_policy: PullPolicy::IfNotPresent,
            digest: Spanned::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

impl PullPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            PullPolicy::Always => "Always",
            PullPolicy::IfNotPresent => "IfNotPresent",
            PullPolicy::Never => "Never",
        }
    }
}

/// The ServiceAccount of the bench's pods.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ServiceAccount {
    /// Render a ServiceAccount named after the release.
    pub create: bool,
    /// Use this ServiceAccount name instead (it must exist when `create` is false).
    #[serde(skip_serializing_if = "Spanned::is_none")]
    pub name: Spanned<Option<String>>,
}

impl Default for ServiceAccount {
    fn default() -> Self {
        ServiceAccount {
            create: true,
            name: Spanned::default(),
        }
    }
}

/// The database engine of the bench.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DbType {
    #[default]
    Mariadb,
    Postgres,
}

impl DbType {
    pub fn default_port(self) -> i32 {
        match self {
            DbType::Mariadb => 3306,
            DbType::Postgres => 5432,
        }
    }
}

/// URLs of the external Redis (or Valkey) services, e.g.
/// `redis://cache.example.internal:6379` or `rediss://user:pass@host:6380/0`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ExternalRedis {
    /// The cache Redis. Required.
    #[serde(skip_serializing_if = "Spanned::is_none")]
    #[schemars(regex(pattern = forms::REDIS_URL))]
    pub cache: Spanned<Option<String>>,
    /// The queue Redis (RQ jobs). Required.
    #[serde(skip_serializing_if = "Spanned::is_none")]
    #[schemars(regex(pattern = forms::REDIS_URL))]
    pub queue: Spanned<Option<String>>,
    /// Accepted for the chart's sake and ignored: Frappe v15 and v16 read no
    /// `redis_socketio`; socket.io and realtime events use the queue Redis.
    #[serde(skip_serializing_if = "Spanned::is_none")]
    pub socketio: Spanned<Option<String>>,
    /// An existing Secret holding the Redis passwords (extension), as
    /// `dbExistingSecret` holds the database's. The URLs then carry no
    /// password (a user name is fine: `rediss://default@host:6380`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_secret: Option<String>,
    /// Key of the cache Redis password in `existingSecret`. Default: `cache-password`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_secret_cache_key: Option<String>,
    /// Key of the queue Redis password in `existingSecret`. Default: `queue-password`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_secret_queue_key: Option<String>,
}

/// String-keyed string map: labels, annotations, node selectors.
pub type StringMap = BTreeMap<String, String>;
