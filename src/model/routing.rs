//! How traffic reaches the bench: the Ingress's rules and backends.

use k8s_openapi::api::networking::v1::IngressTLS;

use super::component::{self, Component, ComponentKind};
use super::names::Names;
use super::report::Reporter;
use crate::diagnostic::Code;
use crate::values::{StringMap, Values, WebsocketMode};

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

pub(super) fn resolve_ingress(values: &Values, names: &Names, report: &mut Reporter<'_>) -> Option<Ingress> {
    let ingress = &values.ingress;
    if !ingress.enabled {
        return None;
    }
    let nginx = *values.nginx.enabled;
    let (service, port) = if nginx {
        (names.service(ComponentKind::Nginx), *values.nginx.service.port)
    } else {
        (names.service(ComponentKind::Gunicorn), *values.worker.gunicorn.service.port)
    };
    let socketio = (names.service(ComponentKind::Socketio), *values.socketio.service.port);
    let mut websocket_snippet = None;
    if *ingress.websocket == WebsocketMode::Snippet {
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
                        &ingress.websocket,
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
                    path: (*p.path).clone(),
                    path_type: (*p.path_type).clone(),
                    service: service.clone(),
                    port,
                })
                .collect();
            if !nginx && *ingress.websocket == WebsocketMode::Auto {
                paths.push(IngressPath {
                    path: "/socket.io".to_owned(),
                    path_type: "Prefix".to_owned(),
                    service: socketio.0.clone(),
                    port: socketio.1,
                });
            }
            IngressRule {
                host: (*host.host).clone(),
                paths,
            }
        })
        .collect();
    Some(Ingress {
        name: ingress
            .ingress_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(&names.fullname)
            .to_owned(),
        class_name: ingress.class_name.as_deref().filter(|c| !c.is_empty()).map(str::to_owned),
        annotations: (*ingress.annotations).clone(),
        rules,
        tls: ingress.tls.to_vec(),
        websocket_snippet,
    })
}

impl Ingress {
    /// The public URL of the site named `site` when this Ingress serves it
    /// over TLS: a rule routes that name as a host, and a TLS entry lists it
    /// (or a wildcard over it). A TLS entry without hosts says nothing.
    pub(crate) fn https_url(&self, site: &str) -> Option<String> {
        let routed = self.rules.iter().any(|rule| rule.host.is_empty() || host_matches(&rule.host, site));
        let encrypted = self
            .tls
            .iter()
            .flat_map(|tls| tls.hosts.iter().flatten())
            .any(|host| host_matches(host, site));
        (routed && encrypted).then(|| format!("https://{site}"))
    }
}

/// Whether an Ingress host (`erp.example.com`, or `*.example.com`, whose
/// `*` stands for exactly one DNS label) names `site`.
fn host_matches(host: &str, site: &str) -> bool {
    match host.strip_prefix("*.") {
        Some(domain) => site
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest.eq_ignore_ascii_case(domain)),
        None => host.eq_ignore_ascii_case(site),
    }
}

/// Whether a request reaches the site its host names: Frappe picks the site
/// by `X-Frappe-Site-Name`, else by the host (`init_request` in
/// frappe/app.py), and nginx sets that header to `$host` unless the values
/// name one site for every host (`frappeSiteNameHeader`) or replace its
/// configuration (`nginx.config`), which may do anything.
pub(super) fn sites_named_by_host(values: &Values) -> bool {
    let nginx = &values.nginx;
    !*nginx.enabled
        || (nginx.custom_config().is_none()
            && nginx
                .entrypoint_setting(crate::values::EntrypointSetting::FrappeSiteNameHeader)
                .value
                == Some("$host"))
}

/// The annotation with which ingress-nginx keeps a browser on one backend
/// pod (`cookie`), for every path of the Ingress.
const INGRESS_NGINX_AFFINITY: &str = "nginx.ingress.kubernetes.io/affinity";

/// socket.io with more than one pod needs every request of a session to
/// reach the pod that opened it. Frappe's client (`socketio_client.js`)
/// sets no `transports`, so each connection starts with HTTP long-polling,
/// several requests long, before it upgrades; a request that reaches
/// another pod is refused (`Session ID unknown`), and after three failed
/// attempts the client stops trying. The socketio Service keeps each nginx
/// pod on one socketio pod (`sessionAffinity: ClientIP`); what is left is
/// the hop before it.
pub(super) fn check_socketio_sessions(values: &Values, components: &[Component], report: &mut Reporter<'_>) {
    let find = |kind| component::find(components, kind);
    let Some(socketio) = find(ComponentKind::Socketio).filter(|c| c.is_replicated()) else {
        return;
    };
    let ingress = &values.ingress;
    // Only an Ingress carries the affinity: it would not hold for traffic
    // that an HTTPRoute brings too.
    let ingress_affinity = ingress.enabled
        && !values.httproute.enabled
        && ingress
            .annotations
            .get(INGRESS_NGINX_AFFINITY)
            .is_some_and(|affinity| affinity == "cookie");
    let websocket = *ingress.websocket;
    let sticky = match find(ComponentKind::Nginx) {
        // Browser → nginx pod → socketio Service: one nginx pod, or an
        // ingress that keeps each browser on one.
        Some(nginx) if websocket != WebsocketMode::Snippet || !ingress.enabled => !nginx.is_replicated() || ingress_affinity,
        // The ingress controller's own pods proxy to the Service.
        Some(_) => false,
        // The Ingress's `/socket.io` path reaches the socketio pods itself.
        None => websocket == WebsocketMode::Auto && ingress_affinity,
    };
    if sticky {
        return;
    }
    let socketio_values = &values.socketio;
    let pods = match (&socketio.autoscaling, socketio.replicas) {
        (Some(hpa), _) => format!("up to {} pods (`socketio.autoscaling`)", hpa.max_replicas),
        (None, Some(replicas)) => format!("{replicas} pods"),
        (None, None) => "more than one pod".to_owned(),
    };
    let at = if socketio_values.autoscaling.enabled {
        socketio_values.autoscaling.anchor().key("enabled")
    } else {
        socketio_values.replica_count.anchor()
    };
    let one_pod = if socketio_values.autoscaling.enabled {
        "run one pod (`socketio.autoscaling.enabled: false`, `socketio.replicaCount: 1`: one process holds thousands of connections)"
    } else {
        "run one pod (`socketio.replicaCount: 1`: one process holds thousands of connections)"
    };
    let sticky = if ingress.enabled && websocket == WebsocketMode::Snippet {
        // The snippet's proxy_pass goes around ingress-nginx's affinity.
        "or let nginx proxy `/socket.io` (`ingress.websocket: auto`) and keep each browser on one nginx pod".to_owned()
    } else {
        format!("or keep each browser on one nginx pod: with ingress-nginx, `{INGRESS_NGINX_AFFINITY}: cookie` in `ingress.annotations`")
    };
    report
        .at(
            Code::SocketioSessions,
            at,
            format!("socketio runs {pods}, and nothing keeps a browser on one of them: socket.io's long-polling requests that reach another pod fail (`Session ID unknown`), and Frappe's client gives up after three attempts"),
        )
        .with_help(format!(
            "{one_pod}, {sticky} (the socketio Service keeps each nginx pod on one socketio pod)"
        ));
}

#[cfg(test)]
mod tests {
    use super::host_matches;

    #[test]
    fn a_wildcard_host_stands_for_one_label() {
        assert!(host_matches("erp.example.com", "erp.example.com"));
        assert!(host_matches("ERP.example.com", "erp.example.com"));
        assert!(host_matches("*.example.com", "erp.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("*.example.com", "a.erp.example.com"));
        assert!(!host_matches("*.example.com", ".example.com"));
        assert!(!host_matches("erp.example.com", "erp.example.org"));
    }
}
