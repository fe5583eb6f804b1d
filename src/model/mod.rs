//! The validated model: values with every default resolved and every rule
//! checked.
//!
//! [`build`] is the only way to get a [`Bench`], and it returns one only when
//! no rule reported an error, so the object builders downstream never have to
//! wonder whether a port is valid or a probe has one handler. Rules collect
//! all their findings (through [`report::Reporter`]) rather than stopping at
//! the first, and report at the [`Spanned`](crate::values::Spanned) value
//! they check.
//!
//! One file per subject: `names`, `database`, [`redis`], the settings
//! every process reads (`config`), `security` contexts, `volumes`,
//! `routing`, the components ([`component`], with the table of what
//! differs between them in [`component::kind`]) and the [`jobs`]. The rules
//! that shape nothing are in `checks`; Kubernetes' own validation rules in
//! [`k8s`]. Nothing here depends on the objects or templates downstream.

mod checks;
pub mod component;
mod config;
mod database;
pub mod endpoint;
pub mod jobs;
pub mod k8s;
mod names;
pub mod redis;
pub mod report;
mod routing;
mod security;
mod volumes;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EnvVar, LocalObjectReference, PodSecurityContext, SecurityContext};

use crate::diagnostic::Diagnostic;
use crate::node::Node;
use crate::values::{self, HttpRoute, Values};
use component::Component;
use component::resolve::resolve_components;
use config::{backing_services, config_data, connection_env, credentials_checksum, redis_password_env, secret_data};
use database::{resolve_database, resolve_db_type};
use names::resolve_names;
pub use names::{Names, component_name_label, label, part_of_label, selector_labels};
use redis::resolve_redis;
use report::Reporter;
use routing::resolve_ingress;
pub use routing::{Ingress, IngressPath, IngressRule, SocketioEndpoint};
use volumes::volume;
pub use volumes::{ClaimSpec, Volume};

/// What the command line adds to the values.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The release name (`--release`, default `erpnext`).
    pub release: String,
    /// Where the release name comes from, as the user would name it
    /// (`` `--release` ``, `` `ARGOCD_APP_NAME` ``): a name that makes invalid
    /// object names is reported there, not at a line of the values.
    pub release_source: &'static str,
    /// `--namespace`, which wins over `namespace:` in the values.
    pub namespace: Option<String>,
    /// Where `namespace` comes from, as `release_source` says it.
    pub namespace_source: &'static str,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            release: "erpnext".to_owned(),
            release_source: "`--release`",
            namespace: None,
            namespace_source: "`--namespace`",
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
    /// (`config::connection_env`). Literal values, so a new endpoint changes every
    /// pod template and rolls it; a URL with a password the values write
    /// comes whole from the bench's Secret (encoded), an `existingSecret`
    /// password as a `$(VAR)` reference to a Secret-backed variable.
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

    /// `user:group` of the bench's own containers: their security context's,
    /// else the pod's, else the image's frappe user (1000). Without a group,
    /// the user's number, as the chart's `fixVolume` chown takes it.
    pub fn owner(&self) -> String {
        let (container, pod) = (&self.container_security_context, &self.pod_security_context);
        let user = container.run_as_user.or(pod.run_as_user).unwrap_or(1000);
        let group = container.run_as_group.or(pod.run_as_group).unwrap_or(user);
        format!("{user}:{group}")
    }
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
    let names = resolve_names(values, settings, report);
    let db_type = resolve_db_type(values, report);
    let db = resolve_database(values, db_type, report);
    let redis = resolve_redis(values, &names.fullname, report);
    let backing_services = backing_services(db.as_ref(), redis.as_ref());
    let user_container_security_context = security::user_container_security_context(values);
    let components = resolve_components(
        &component::resolve::Context {
            values,
            names: &names,
            redis: redis.as_ref(),
            backing_services_probe: component::probes::backing_services_probe(&backing_services),
            user_container_security_context: &user_container_security_context,
        },
        report,
    );
    // With KEDA, the configure Job checks that no `bench_id` renames the
    // queues away from the list names the triggers watch.
    let keda_bench_id = components.iter().any(|c| c.keda.is_some()).then(component::default_bench_id);
    let ingress = resolve_ingress(values, &names, report);
    routing::check_socketio_sessions(values, &components, report);

    let (db, redis) = (db?, redis?);
    redis::check_flush_spares_the_queue(values, &redis, report);
    let credentials_checksum = credentials_checksum(&redis.inline_secrets);
    let connection_env = connection_env(&db, &redis);
    let https_ingress = ingress.as_ref().filter(|_| routing::sites_named_by_host(values));
    let (jobs, inline_secrets) = jobs::resolve(values, &names.fullname, db_type, keda_bench_id.as_deref(), https_ingress, report);
    Some(Bench {
        image: image(values),
        pull_policy: values.image.pull_policy.as_str(),
        pull_secrets: values.image_pull_secrets.to_vec(),
        create_service_account: values.service_account.create,
        service_account: security::service_account(values, &names),
        pod_security_context: security::pod_security_context(values),
        container_security_context: security::container_security_context(values),
        user_container_security_context,
        components,
        sites: volume(&values.persistence.worker, names.fullname.clone()),
        logs: volume(&values.persistence.logs, names.object("logs")),
        config: config_data(&db, &redis, &backing_services, credentials_checksum.as_deref()),
        secret: secret_data(values, &redis, inline_secrets),
        nginx_config: values.nginx.custom_config().map(str::to_owned).filter(|_| *values.nginx.enabled),
        ingress,
        http_route: values.httproute.enabled.then(|| values.httproute.clone()),
        jobs,
        network_policy: values.network_policy.enabled.then(|| values.network_policy.clone()),
        backing_services,
        redis_password_env: redis_password_env(&redis),
        connection_env,
        credentials_checksum,
        names,
        _built: Built,
    })
}

/// The image every bench container runs: `repository@digest` when a digest
/// pins it, else `repository:tag`.
fn image(values: &Values) -> String {
    match values.image.digest.as_deref().filter(|d| !d.is_empty()) {
        Some(digest) => format!("{}@{digest}", *values.image.repository),
        None => format!("{}:{}", *values.image.repository, *values.image.tag),
    }
}
