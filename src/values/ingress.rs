//! How traffic reaches the bench: an Ingress, or a Gateway API HTTPRoute.

use k8s_openapi::api::networking::v1::IngressTLS;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Spanned, StringMap, forms};

/// An Ingress (networking.k8s.io/v1).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Ingress {
    /// Render the Ingress.
    pub enabled: bool,
    /// Name of the Ingress. Default: the full name.
    #[serde(skip_serializing_if = "Spanned::is_none")]
    pub ingress_name: Spanned<Option<String>>,
    /// The IngressClass, e.g. `nginx`.
    #[serde(skip_serializing_if = "Spanned::is_none")]
    pub class_name: Spanned<Option<String>>,
    /// Annotations of the Ingress (cert-manager, ingress-nginx settings…).
    pub annotations: Spanned<StringMap>,
    /// Host names and their paths. Each Frappe site is served on its own host.
    pub hosts: Vec<Spanned<IngressHost>>,
    /// TLS certificates by host.
    pub tls: Spanned<Vec<IngressTLS>>,
    /// How websockets reach socketio (extension). `auto`: through nginx, or
    /// with a `/socket.io` path per host when nginx is disabled; `snippet`: an
    /// ingress-nginx configuration-snippet annotation; `none`: nothing.
    pub websocket: Spanned<WebsocketMode>,
}

impl Default for Ingress {
    fn default() -> Self {
        Ingress {
            enabled: false,
            ingress_name: Spanned::default(),
            class_name: Spanned::default(),
            annotations: Spanned::default(),
            hosts: vec![Spanned::new(IngressHost {
                host: Spanned::new("erp.cluster.local".to_owned()),
                paths: Spanned::new(vec![IngressPath::default()]),
            })],
            tls: Spanned::default(),
            websocket: Spanned::default(),
        }
    }
}

/// One host of the Ingress.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct IngressHost {
    /// The host name, e.g. `erp.example.com` or `*.example.com`.
    #[schemars(regex(pattern = forms::HOST), length(max = 253), extend("not" = {"pattern": forms::NUMERIC_HOST}))]
    pub host: Spanned<String>,
    /// The paths served on this host.
    pub paths: Spanned<Vec<IngressPath>>,
}

/// One path of an Ingress host.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct IngressPath {
    /// An absolute path, e.g. `/`.
    #[schemars(regex(pattern = r"^/"))]
    pub path: Spanned<String>,
    /// `Prefix`, `Exact` or `ImplementationSpecific`.
    #[schemars(extend("enum" = forms::INGRESS_PATH_TYPES))]
    pub path_type: Spanned<String>,
}

impl Default for IngressPath {
    fn default() -> Self {
        IngressPath {
            path: Spanned::new("/".to_owned()),
            path_type: Spanned::new("ImplementationSpecific".to_owned()),
        }
    }
}

/// How websocket traffic for `/socket.io` reaches socketio.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebsocketMode {
    #[default]
    Auto,
    Snippet,
    None,
}

/// A Gateway API HTTPRoute (gateway.networking.k8s.io/v1).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct HttpRoute {
    /// Render the HTTPRoute.
    pub enabled: bool,
    /// Name of the route. Default: `<fullname>-httproute`, as in the chart.
    pub name: Spanned<String>,
    /// Annotations of the route.
    pub annotations: Spanned<StringMap>,
    /// The Gateways the route attaches to.
    pub parent_refs: Vec<HttpRouteParentRef>,
    /// Host names the route serves.
    #[schemars(extend("items" = {"type": "string", "pattern": forms::HOST, "maxLength": 253, "not": {"pattern": forms::NUMERIC_HOST}}))]
    pub hostnames: Spanned<Vec<String>>,
    /// Path matches sent to the bench.
    pub rules: Vec<HttpRouteRule>,
}

impl Default for HttpRoute {
    fn default() -> Self {
        HttpRoute {
            enabled: false,
            name: Spanned::default(),
            annotations: Spanned::default(),
            parent_refs: vec![HttpRouteParentRef {
                gateway_name: Spanned::new("public-gateway".to_owned()),
                gateway_namespace: Spanned::new(Some("networking".to_owned())),
                gateway_kind: Spanned::default(),
                gateway_section_name: Spanned::new(Some("http".to_owned())),
            }],
            hostnames: Spanned::new(vec!["erp.example.com".to_owned()]),
            rules: vec![HttpRouteRule {
                matches: vec![HttpRouteMatch::default()],
            }],
        }
    }
}

/// A Gateway the route attaches to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct HttpRouteParentRef {
    /// Name of the Gateway.
    pub gateway_name: Spanned<String>,
    /// Namespace of the Gateway.
    #[serde(skip_serializing_if = "Spanned::is_none")]
    pub gateway_namespace: Spanned<Option<String>>,
    /// Kind of the parent. Default: `Gateway`.
    #[serde(skip_serializing_if = "Spanned::is_none")]
    pub gateway_kind: Spanned<Option<String>>,
    /// The listener of the Gateway.
    #[serde(skip_serializing_if = "Spanned::is_none")]
    pub gateway_section_name: Spanned<Option<String>>,
}

/// One rule of the route.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct HttpRouteRule {
    /// Path matches of the rule.
    pub matches: Vec<HttpRouteMatch>,
}

/// A path match.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct HttpRouteMatch {
    /// `PathPrefix`, `Exact` or `RegularExpression`.
    #[schemars(extend("enum" = forms::HTTP_ROUTE_PATH_TYPES))]
    pub path_type: Spanned<String>,
    /// The path.
    pub path: Spanned<String>,
}

impl Default for HttpRouteMatch {
    fn default() -> Self {
        HttpRouteMatch {
            path_type: Spanned::new("PathPrefix".to_owned()),
            path: Spanned::new("/".to_owned()),
        }
    }
}
