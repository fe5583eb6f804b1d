//! How traffic reaches the bench: the Ingress and the Gateway API HTTPRoute.

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressServiceBackend, IngressSpec, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::{Manifest, common_labels, meta};
use crate::model::component::{self, ComponentKind};
use crate::model::{self, Bench};
use crate::{templates, values};

pub fn build(bench: &Bench) -> Vec<Manifest> {
    let ingress = bench.ingress.as_ref().map(|ingress| self::ingress(bench, ingress));
    let route = bench.http_route.as_ref().map(|route| http_route(bench, route));
    ingress.into_iter().chain(route).collect()
}

fn ingress(bench: &Bench, ingress: &model::Ingress) -> Manifest {
    let mut metadata = meta(&bench.names, ingress.name.clone(), common_labels(&bench.names));
    let mut annotations = ingress.annotations.clone();
    if let Some(socketio) = &ingress.websocket_snippet {
        let snippet = templates::websocket_snippet(&socketio.service, &socketio.namespace, socketio.port);
        annotations.insert("nginx.ingress.kubernetes.io/configuration-snippet".to_owned(), snippet);
    }
    metadata.annotations = (!annotations.is_empty()).then_some(annotations);
    let rules = ingress
        .rules
        .iter()
        .map(|rule| IngressRule {
            host: Some(rule.host.clone()),
            http: Some(HTTPIngressRuleValue {
                paths: rule
                    .paths
                    .iter()
                    .map(|path| HTTPIngressPath {
                        path: Some(path.path.clone()),
                        path_type: path.path_type.clone(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: path.service.clone(),
                                port: Some(ServiceBackendPort {
                                    number: Some(path.port),
                                    name: None,
                                }),
                            }),
                            resource: None,
                        },
                    })
                    .collect(),
            }),
        })
        .collect();
    Manifest::Ingress(Box::new(Ingress {
        metadata,
        spec: Some(IngressSpec {
            ingress_class_name: ingress.class_name.clone(),
            rules: Some(rules),
            tls: (!ingress.tls.is_empty()).then(|| ingress.tls.clone()),
            default_backend: None,
        }),
        ..Default::default()
    }))
}

fn http_route(bench: &Bench, route: &values::HttpRoute) -> Manifest {
    let names = &bench.names;
    let (service, port) = component::find(&bench.components, ComponentKind::Nginx)
        .or_else(|| component::find(&bench.components, ComponentKind::Gunicorn))
        .and_then(|c| c.service.as_ref().map(|s| (names.service(c.kind), s.port)))
        .expect("gunicorn always has a Service");
    // The chart's name, so that a takeover keeps the chart's route.
    let name = if route.name.is_empty() {
        format!("{}-httproute", names.fullname)
    } else {
        (*route.name).clone()
    };
    let mut metadata = meta(names, name, common_labels(names));
    metadata.annotations = (!route.annotations.is_empty()).then(|| (*route.annotations).clone());
    let mut rules: Vec<HttpRouteRule> = route
        .rules
        .iter()
        .map(|rule| HttpRouteRule {
            matches: rule
                .matches
                .iter()
                .map(|m| HttpRouteMatch {
                    path: HttpPathMatch {
                        type_: (*m.path_type).clone(),
                        value: (*m.path).clone(),
                    },
                })
                .collect(),
            backend_refs: vec![BackendRef {
                name: service.clone(),
                port,
            }],
        })
        .collect();
    // Without nginx, which proxies `/socket.io` itself, the route sends it
    // to socketio, as the Ingress's own `/socket.io` path does: Frappe's
    // gunicorn serves no socket.io. The longest prefix wins across rules;
    // between equal matches the first rule does (the Gateway API's
    // HTTPRouteRule.matches), so this one comes first, ahead of a rule of
    // the values that also matches `/socket.io`.
    if component::find(&bench.components, ComponentKind::Nginx).is_none()
        && let Some(socketio) = component::find(&bench.components, ComponentKind::Socketio)
        && let Some(socketio_service) = &socketio.service
    {
        rules.insert(
            0,
            HttpRouteRule {
                matches: vec![HttpRouteMatch {
                    path: HttpPathMatch {
                        type_: "PathPrefix".to_owned(),
                        value: "/socket.io".to_owned(),
                    },
                }],
                backend_refs: vec![BackendRef {
                    name: names.service(ComponentKind::Socketio),
                    port: socketio_service.port,
                }],
            },
        );
    }
    Manifest::HttpRoute(Box::new(HttpRoute {
        api_version: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata,
        spec: HttpRouteSpec {
            parent_refs: route
                .parent_refs
                .iter()
                .map(|p| ParentReference {
                    kind: (*p.gateway_kind).clone(),
                    name: (*p.gateway_name).clone(),
                    namespace: (*p.gateway_namespace).clone(),
                    section_name: (*p.gateway_section_name).clone(),
                })
                .collect(),
            hostnames: route.hostnames.to_vec(),
            rules,
        },
    }))
}

/// A Gateway API HTTPRoute. k8s-openapi covers only built-in kinds, so the
/// few fields we emit are typed here.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRoute {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: HttpRouteSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteSpec {
    pub parent_refs: Vec<ParentReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hostnames: Vec<String>,
    pub rules: Vec<HttpRouteRule>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentReference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteRule {
    pub matches: Vec<HttpRouteMatch>,
    pub backend_refs: Vec<BackendRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpRouteMatch {
    pub path: HttpPathMatch,
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpPathMatch {
    #[serde(rename = "type")]
    pub type_: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BackendRef {
    pub name: String,
    pub port: i32,
}
