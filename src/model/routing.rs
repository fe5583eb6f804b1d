//! How traffic reaches the bench: the Ingress's rules and backends.

use k8s_openapi::api::networking::v1::IngressTLS;

use super::component::ComponentKind;
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
