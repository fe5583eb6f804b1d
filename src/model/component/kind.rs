//! The table of components: everything that differs between nginx,
//! gunicorn, socketio, the workers and the scheduler, one entry each.
//!
//! A new Deployment is one entry in `components!` below: its
//! [`ComponentSpec`], plus its section in the values and the accessor that
//! reads it as [`ComponentValues`]. Every place that visits all components
//! loops over [`ComponentKind::ALL`] and reads what it needs from
//! [`ComponentKind::spec`]; what only one role does (nginx's proxy settings,
//! gunicorn's flags, the scheduler's single replica) is decided by its
//! [`Role`].

use super::command::GUNICORN_COMMAND;
use crate::node::Path;
use crate::values::{Anchor, ComponentValues, Values};

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
/// `nginx-entrypoint.sh` writes `frappe.conf` here from its template; with
/// a configuration of the values (`nginx.config`), its ConfigMap is mounted
/// here instead.
pub const NGINX_CONF_DIR: ScratchDir = ScratchDir {
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
/// Where Debian's `nginx.conf` has nginx write its master's pid (in
/// [`NGINX_RUN_DIR`]), which nginx's preStop hook signals.
pub(super) const NGINX_PID_FILE: &str = "/run/nginx.pid";

/// What a component does in the bench, which decides what only it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// nginx: the bench's front door. It serves `/assets` and `/files` and
    /// proxies to gunicorn and socketio, set up through the image's
    /// entrypoint's environment; its Service carries the bare full name.
    Proxy,
    /// gunicorn: Frappe's web application. Flag-style `args` are applied to
    /// the image's command, and its HTTP probes must name a site.
    App,
    /// socketio: realtime updates.
    Realtime,
    /// An RQ worker.
    Worker {
        /// The RQ queues it consumes, in priority order.
        queues: &'static [&'static str],
        /// The longest timeout of those queues: a job may run that long
        /// after the worker is asked to stop. Frappe's `get_queues_timeout()`:
        /// `short` and `default` 300 s, `long` 1500 s.
        queue_timeout_seconds: i64,
    },
    /// The scheduler: exactly one replica, replaced with `Recreate`, and no
    /// disruption budget (it would block node drains).
    Scheduler,
}

/// A probe a component gets when its values give none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultProbe {
    None,
    /// A TCP connection to the component's port.
    Tcp,
    /// Gunicorn's startup probe: time to boot before liveness counts.
    GunicornStartup,
    /// The database and every Redis accept connections.
    BackingServices,
}

/// Everything per kind of component.
#[derive(Debug)]
pub struct ComponentSpec {
    /// The chart's suffix of object names and selector labels.
    pub suffix: &'static str,
    /// The chart's container name.
    pub container_name: &'static str,
    /// Where the component is configured in the values (`worker.gunicorn`):
    /// how messages name it, and where rules point for a key of it that the
    /// file leaves out (keys the file writes carry their own place).
    pub section: &'static [&'static str],
    /// The component's values, as every component's are read.
    pub values: for<'a> fn(&'a Values) -> ComponentValues<'a>,
    pub role: Role,
    /// The port the main container listens on, for those that serve.
    pub port: Option<i32>,
    /// What the main container writes besides the shared volumes.
    pub scratch_dirs: &'static [ScratchDir],
    pub liveness_probe: DefaultProbe,
    pub readiness_probe: DefaultProbe,
    pub startup_probe: DefaultProbe,
}

macro_rules! components {
    ($($(#[$doc:meta])* $kind:ident => $spec:expr,)*) => {
        /// The Deployments of a bench, in the order they are listed.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ComponentKind {
            $($(#[$doc])* $kind,)*
        }

        impl ComponentKind {
            pub const ALL: &'static [ComponentKind] = &[$(ComponentKind::$kind,)*];

            /// Everything about this kind of component.
            pub fn spec(self) -> &'static ComponentSpec {
                match self {
                    $(ComponentKind::$kind => {
                        const SPEC: ComponentSpec = $spec;
                        &SPEC
                    })*
                }
            }
        }
    };
}

components! {
    Nginx => ComponentSpec {
        suffix: "nginx",
        container_name: "nginx",
        section: &["nginx"],
        values: |values| values.nginx.component(),
        role: Role::Proxy,
        port: Some(8080),
        scratch_dirs: &[TMP_DIR, NGINX_CONF_DIR, NGINX_TEMP_DIR, NGINX_RUN_DIR],
        liveness_probe: DefaultProbe::Tcp,
        readiness_probe: DefaultProbe::Tcp,
        startup_probe: DefaultProbe::None,
    },
    Gunicorn => ComponentSpec {
        suffix: "gunicorn",
        container_name: "gunicorn",
        section: &["worker", "gunicorn"],
        values: |values| ComponentValues {
            // The chart spreads gunicorn with `worker`'s keys.
            topology_spread: Some(values.worker.topology_spread()),
            ..values.worker.gunicorn.component()
        },
        role: Role::App,
        port: Some(8000),
        scratch_dirs: &[TMP_DIR],
        liveness_probe: DefaultProbe::Tcp,
        readiness_probe: DefaultProbe::Tcp,
        startup_probe: DefaultProbe::GunicornStartup,
    },
    Socketio => ComponentSpec {
        suffix: "socketio",
        container_name: "socketio",
        section: &["socketio"],
        values: |values| values.socketio.component(),
        role: Role::Realtime,
        port: Some(9000),
        scratch_dirs: &[TMP_DIR],
        liveness_probe: DefaultProbe::Tcp,
        readiness_probe: DefaultProbe::Tcp,
        startup_probe: DefaultProbe::None,
    },
    WorkerDefault => ComponentSpec {
        suffix: "worker-d",
        container_name: "default",
        section: &["worker", "default"],
        values: |values| values.worker.default.component(),
        role: Role::Worker {
            queues: &["default"],
            queue_timeout_seconds: 300,
        },
        port: None,
        scratch_dirs: &[TMP_DIR],
        liveness_probe: DefaultProbe::None,
        readiness_probe: DefaultProbe::BackingServices,
        startup_probe: DefaultProbe::None,
    },
    WorkerShort => ComponentSpec {
        suffix: "worker-s",
        container_name: "short",
        section: &["worker", "short"],
        values: |values| values.worker.short.component(),
        role: Role::Worker {
            queues: &["short", "default"],
            queue_timeout_seconds: 300,
        },
        port: None,
        scratch_dirs: &[TMP_DIR],
        liveness_probe: DefaultProbe::None,
        readiness_probe: DefaultProbe::BackingServices,
        startup_probe: DefaultProbe::None,
    },
    WorkerLong => ComponentSpec {
        suffix: "worker-l",
        container_name: "long",
        section: &["worker", "long"],
        values: |values| values.worker.long.component(),
        role: Role::Worker {
            queues: &["long", "default", "short"],
            queue_timeout_seconds: 1500,
        },
        port: None,
        scratch_dirs: &[TMP_DIR],
        liveness_probe: DefaultProbe::None,
        readiness_probe: DefaultProbe::BackingServices,
        startup_probe: DefaultProbe::None,
    },
    Scheduler => ComponentSpec {
        suffix: "scheduler",
        container_name: "scheduler",
        section: &["worker", "scheduler"],
        values: |values| values.worker.scheduler.component(),
        role: Role::Scheduler,
        port: None,
        scratch_dirs: &[TMP_DIR],
        liveness_probe: DefaultProbe::None,
        readiness_probe: DefaultProbe::BackingServices,
        startup_probe: DefaultProbe::None,
    },
}

impl ComponentKind {
    /// The chart's suffix of object names and selector labels.
    pub fn suffix(self) -> &'static str {
        self.spec().suffix
    }

    /// This component's values.
    pub fn values(self, values: &Values) -> ComponentValues<'_> {
        (self.spec().values)(values)
    }

    /// Where the component is configured, as messages name it.
    pub fn values_path(self) -> Path {
        self.spec().section.iter().fold(Path::root(), |path, key| path.key(key))
    }

    /// Where rules point for a key of the component that the file leaves
    /// out: see [`Spanned::or_in`].
    ///
    /// [`Spanned::or_in`]: crate::values::Spanned::or_in
    pub fn section(self) -> Anchor<'static> {
        self.spec().section.iter().fold(Anchor::root(), |anchor, key| anchor.key(key))
    }

    /// The RQ queues a worker consumes, in priority order; none for the others.
    pub fn queues(self) -> &'static [&'static str] {
        match self.spec().role {
            Role::Worker { queues, .. } => queues,
            _ => &[],
        }
    }

    /// Whether the main container runs Frappe code, and so gets the
    /// database and Redis settings and writes bench logs (nginx only
    /// proxies).
    pub fn runs_frappe(self) -> bool {
        self.spec().role != Role::Proxy
    }

    /// Whether it runs Frappe's Python against the sites' databases, and so
    /// must not start on an image the sites are not migrated to.
    pub fn uses_database(self) -> bool {
        matches!(self.spec().role, Role::App | Role::Worker { .. } | Role::Scheduler)
    }

    /// Whether this is nginx, the bench's front door: see [`Role::Proxy`].
    pub fn is_proxy(self) -> bool {
        self.spec().role == Role::Proxy
    }

    /// Whether it runs alone: see [`Role::Scheduler`].
    pub fn is_singleton(self) -> bool {
        self.spec().role == Role::Scheduler
    }

    /// The chart's arguments of the main container (gunicorn's flags are
    /// applied to them by [`super::command::gunicorn_args`]).
    pub fn default_args(self, custom_nginx_config: bool) -> Vec<String> {
        let words: &[&str] = match self.spec().role {
            Role::Proxy if custom_nginx_config => &["nginx", "-g", "daemon off;"],
            Role::Proxy => &["nginx-entrypoint.sh"],
            Role::App => GUNICORN_COMMAND,
            Role::Realtime => &["node", "/home/frappe/frappe-bench/apps/frappe/socketio.js"],
            Role::Worker { queues, .. } => {
                return ["bench", "worker", "--queue", &queues.join(",")].map(str::to_owned).to_vec();
            }
            Role::Scheduler => &["bench", "schedule"],
        };
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    /// What the main container writes besides the shared volumes; with a
    /// custom nginx configuration, `conf.d` is its read-only ConfigMap.
    pub fn scratch_dirs(self, custom_nginx_config: bool) -> Vec<ScratchDir> {
        let configured = |dir: &&ScratchDir| custom_nginx_config && self.spec().role == Role::Proxy && **dir == NGINX_CONF_DIR;
        self.spec().scratch_dirs.iter().filter(|dir| !configured(dir)).copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;

    /// A component's `section` is where de finds its keys: a key the file
    /// leaves out is reported there.
    #[test]
    fn every_section_is_where_the_component_is_written() {
        use std::collections::BTreeMap;
        #[derive(Default)]
        struct Map(BTreeMap<&'static str, Map>);
        fn flow(map: &Map) -> String {
            match map.0.is_empty() {
                true => "{replicaCount: 1}".to_owned(),
                false => format!(
                    "{{{}}}",
                    map.0
                        .iter()
                        .map(|(k, v)| format!("{k}: {}", flow(v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
        let mut sections = Map::default();
        for kind in ComponentKind::ALL {
            kind.spec()
                .section
                .iter()
                .fold(&mut sections, |map, key| map.0.entry(key).or_default());
        }
        let text = flow(&sections);
        let mut sources = Sources::default();
        let file = sources.add("values.yaml", text.clone());
        let (root, _) = crate::load::load(&sources, file).unwrap();
        let (values, problems) = crate::de::deserialize_all::<Values>(&root);
        assert!(problems.is_empty(), "{text}\n{problems:?}");
        let values = values.unwrap();
        for &kind in ComponentKind::ALL {
            let place = kind.values(&values).pod.replica_count.place().map(|p| p.path());
            assert_eq!(place, Some(kind.values_path().key("replicaCount")), "{kind:?}");
        }
    }

    /// Object names and selector labels are the chart's: they must differ
    /// between kinds, or two Deployments would share a name and a selector.
    #[test]
    fn every_kind_has_its_own_names() {
        let mut suffixes: Vec<_> = ComponentKind::ALL.iter().map(|k| k.suffix()).collect();
        let mut containers: Vec<_> = ComponentKind::ALL.iter().map(|k| k.spec().container_name).collect();
        suffixes.sort_unstable();
        suffixes.dedup();
        containers.sort_unstable();
        containers.dedup();
        assert_eq!(suffixes.len(), ComponentKind::ALL.len());
        assert_eq!(containers.len(), ComponentKind::ALL.len());
    }
}
