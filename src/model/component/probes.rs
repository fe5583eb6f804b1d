//! The probes components get when their values give none, and the site an
//! HTTP probe of gunicorn asks for.

use k8s_openapi::api::core::v1::{ExecAction, HTTPHeader, Probe, TCPSocketAction};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::super::endpoint;
use super::super::report::Reporter;
use super::ComponentKind;
use super::kind::Role;
use crate::diagnostic::Code;
use crate::values::{Anchor, ProbeKey, ProbeValue, Values};

/// A probe the values give in place of the component's default, and where.
pub(in crate::model) struct GivenProbe<'a> {
    /// `None` for the chart's `override: true` without a `probe`.
    pub probe: Option<&'a Probe>,
    /// Where the probe is written (or would be).
    pub at: Anchor<'a>,
}

/// The probe a probe key gives in place of the default, if any. A Kubernetes
/// probe always does. The chart's form does under `override: true`, and
/// under `override: false` the default applies whatever `probe` holds: the
/// chart's `deployment-worker-*.yaml` and `deployment-scheduler.yaml` render
/// `probe` only under `override`, and their `worker.healthProbe` otherwise.
pub(in crate::model) fn given_probe(key: &ProbeKey) -> Option<GivenProbe<'_>> {
    match key.as_ref()? {
        ProbeValue::Kubernetes(probe) => Some(GivenProbe {
            probe: Some(probe),
            at: key.anchor(),
        }),
        ProbeValue::Chart(chart) if *chart.override_default => Some(GivenProbe {
            probe: chart.probe.as_ref(),
            at: chart.probe.or_in(key, "probe"),
        }),
        ProbeValue::Chart(_) => None,
    }
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

/// The site an HTTP probe of gunicorn asks for: the explicit key, the site
/// the values create, or the first ingress host.
pub(in crate::model) fn probe_site(values: &Values, report: &mut Reporter<'_>) -> Option<String> {
    let explicit = &values.worker.gunicorn.probe_site_name;
    if let Some(site) = explicit.as_deref().filter(|s| !s.is_empty()) {
        if !endpoint::is_host(site) {
            report
                .at(Code::InvalidValue, explicit, format!("`{site}` is not a site name"))
                .with_help("a site is named after its host name: letters, digits, `-` and `.`");
            return None;
        }
        return Some(site.to_owned());
    }
    let jobs = &values.jobs;
    let created = if *jobs.create_site.enabled {
        Some((*jobs.create_site.site_name).clone())
    } else if *jobs.create_multiple_sites.enabled {
        jobs.create_multiple_sites.sites.first().map(|s| (*s.name).clone())
    } else {
        None
    };
    let ingress_host = || {
        values
            .ingress
            .enabled
            .then(|| values.ingress.hosts.iter().map(|h| (*h.host).clone()).find(|h| !h.starts_with('*')))
            .flatten()
    };
    created.or_else(ingress_host).filter(|site| endpoint::is_host(site))
}

/// Adds `X-Frappe-Site-Name` to an HTTP probe of gunicorn that names no
/// site. The kubelet sends `Host: <pod IP>`, and Frappe picks the site from
/// that header or the Host (`frappe/app.py`, `init_request`), so without it
/// every probe gets a 404. `written` is the probe in the values, where a
/// probe that names no site is reported.
pub(in crate::model) fn name_the_site(probe: &mut Probe, site: Option<&str>, written: Anchor<'_>, report: &mut Reporter<'_>) {
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
                    written.key("httpGet"),
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

/// Refuses an HTTP probe of nginx that asks Frappe for no site. The image's
/// nginx configuration (frappe_docker's `resources/nginx-template.conf`)
/// serves only `location /assets` from disk; every other path goes through
/// `try_files /$site/public/$uri @webserver` to gunicorn with
/// `X-Frappe-Site-Name` set to `FRAPPE_SITE_NAME_HEADER`, by default `$host`.
/// The kubelet's Host is the pod's IP, so unless the probe sends a `Host`
/// naming a site, Frappe answers 404. (nginx sets `X-Frappe-Site-Name`
/// itself, so a probe's own does not get through.) `written` is the probe
/// in the values.
pub(in crate::model) fn check_proxy_probe(probe: &Probe, written: Anchor<'_>, report: &mut Reporter<'_>) {
    let Some(http) = &probe.http_get else { return };
    let path = http.path.as_deref().unwrap_or("/");
    let names_a_site = http.http_headers.iter().flatten().any(|h| h.name.eq_ignore_ascii_case("host"));
    if !nginx_hands_to_frappe(path) || names_a_site {
        return;
    }
    report
        .at_key(
            Code::ProbeSite,
            written.key("httpGet"),
            format!(
                "this HTTP probe asks nginx for `{path}`, which nginx hands to Frappe for the site named like the request's Host; the kubelet's Host is the pod's IP, and Frappe answers 404 for a site it does not have"
            ),
        )
        .with_help(
            "add `httpHeaders: [{name: Host, value: <site>}]` naming one of the bench's sites, probe a file under `/assets`, or use a `tcpSocket` probe",
        );
}

/// Whether the image's nginx hands `path` to Frappe rather than serving it
/// from disk (`/assets`) or proxying it to socketio (`/socket.io`). nginx
/// matches locations after decoding `%XX` and resolving `..`, so a path with
/// either counts as Frappe's.
fn nginx_hands_to_frappe(path: &str) -> bool {
    let plain = !path.contains("..") && !path.contains('%');
    !(plain && (path.starts_with("/assets") || path.starts_with("/socket.io")))
}

/// Warns of an HTTP liveness probe that Frappe answers: of gunicorn, or of
/// nginx on a path it hands to Frappe. Frappe answers every request 503
/// while the site is in maintenance mode (`frappe/app.py` `init_request`
/// raises `SessionStopped`), which each migrate turns on for as long as it
/// runs, and fails while the database is unreachable (`frappe.connect`).
/// Restarting the pods mends neither; the kubelet would restart them all,
/// then hold them in CrashLoopBackOff for minutes after Frappe is back.
/// Readiness is the probe that should follow Frappe.
pub(in crate::model) fn check_http_liveness(probe: &Probe, kind: ComponentKind, written: Anchor<'_>, report: &mut Reporter<'_>) {
    let Some(http) = &probe.http_get else { return };
    let path = http.path.as_deref().unwrap_or("/");
    if kind.spec().role == Role::Proxy && !nginx_hands_to_frappe(path) {
        return;
    }
    let port = kind.spec().port.unwrap_or(8000);
    report
        .at_key(
            Code::HttpLiveness,
            written.key("httpGet"),
            format!(
                "this liveness probe asks Frappe for `{path}`: Frappe answers 503 while a migrate holds the site in maintenance mode and fails while the database is unreachable, and Kubernetes would restart every {} pod, which mends neither",
                kind.spec().container_name
            ),
        )
        .with_help(format!(
            "probe liveness with `tcpSocket: {{port: {port}}}` (the default) and keep this HTTP probe as the readiness probe"
        ));
}
