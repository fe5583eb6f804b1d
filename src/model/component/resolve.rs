//! Resolving each component's settings from its values: autoscaling, KEDA,
//! grace periods, probes and topology spread.

use super::super::endpoint;
use super::super::jobs;
use super::super::names::{Names, selector_labels};
use super::super::redis::Redis;
use super::super::report::Reporter;
use super::{ComponentKind, Hpa, KedaScaler, WORKER_GRACE_MARGIN_SECONDS, default_bench_id};
use crate::diagnostic::Code;
use crate::node::Path;
use crate::values::{self, Values};

pub(in crate::model) fn autoscaling(kind: ComponentKind, values: &values::Autoscaling, report: &mut Reporter<'_>) -> Option<Hpa> {
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

pub(in crate::model) fn keda(
    kind: ComponentKind,
    values: &values::Autoscaling,
    redis: Option<&Redis>,
    report: &mut Reporter<'_>,
) -> Option<KedaScaler> {
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
    Some(KedaScaler {
        min_replicas: keda.min_replicas,
        max_replicas: keda.max_replicas,
        list_length: keda.list_length,
        polling_interval: keda.polling_interval,
        cooldown_period: keda.cooldown_period,
        list_name: format!("rq:queue:{}:{worker_queue}", default_bench_id()),
        address: queue.endpoint(),
        database: queue.db,
        tls: queue.tls,
        username: queue.user.clone(),
        password,
    })
}

/// A worker's `terminationGracePeriodSeconds`: RQ's warm shutdown lets the
/// running job finish on SIGTERM, which takes up to the queue's timeout.
pub(in crate::model) fn grace_period(kind: ComponentKind, custom: Option<i64>, report: &mut Reporter<'_>) -> i64 {
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
    kind.queue_timeout_seconds().unwrap_or(0) + WORKER_GRACE_MARGIN_SECONDS
}

/// The site an HTTP probe of gunicorn asks for: the explicit key, the site
/// the values create, or the first ingress host.
pub(in crate::model) fn probe_site(values: &Values, report: &mut Reporter<'_>) -> Option<String> {
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
pub(in crate::model) fn name_the_site(
    probe: &mut k8s_openapi::api::core::v1::Probe,
    site: Option<&str>,
    key: &str,
    report: &mut Reporter<'_>,
) {
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
pub(in crate::model) const SITE_HEADER: &str = "X-Frappe-Site-Name";

pub(in crate::model) fn worker_probe(
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

pub(in crate::model) fn topology_spread(
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
