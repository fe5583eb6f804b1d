//! The settings of the image's nginx entrypoint.

use crate::diagnostic::Code;
use crate::model::k8s;
use crate::model::report::Reporter;
use k8s_openapi::api::core::v1::EnvVar;

use crate::values::{EntrypointSetting, Nginx, NginxEnvironment, Spanned};

/// A variable of the nginx entrypoint: its name, what it must be, and what
/// that is in words.
type Setting = (&'static str, fn(&str) -> bool, &'static str);

/// What the nginx entrypoint's setting must be, and what that is in words.
/// The image's template pastes each into its nginx configuration unquoted
/// (frappe_docker's `resources/core/nginx/nginx-template.conf`, through
/// `envsubst` in `nginx-entrypoint.sh`): each must be what its directive
/// takes, and nothing that could end the directive and start another.
fn requirement(setting: EntrypointSetting) -> (fn(&str) -> bool, &'static str) {
    match setting {
        EntrypointSetting::UpstreamRealIpAddress => (
            |v| k8s::is_ip_or_cidr(v) || k8s::is_dns1123_subdomain(&v.to_ascii_lowercase()),
            "the address, CIDR range or host name of the trusted proxies, e.g. `10.0.0.0/8` (`set_real_ip_from`)",
        ),
        EntrypointSetting::UpstreamRealIpRecursive => (|v| matches!(v, "on" | "off"), "`on` or `off` (`real_ip_recursive`)"),
        EntrypointSetting::UpstreamRealIpHeader => (
            |v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')),
            "a header name such as `X-Forwarded-For`, or `proxy_protocol` (`real_ip_header`)",
        ),
        EntrypointSetting::FrappeSiteNameHeader => (
            |v| k8s::is_nginx_variable(v) || k8s::is_dns1123_subdomain(v),
            "an nginx variable such as `$host` or `$http_x_frappe_site_name`, or one site's name",
        ),
        EntrypointSetting::ProxyReadTimeout => (
            k8s::is_nginx_time,
            "an nginx time such as `120`, `120s` or `2m` (`proxy_read_timeout`)",
        ),
        EntrypointSetting::ClientMaxBodySize => (k8s::is_nginx_size, "an nginx size such as `50m` or `1g` (`client_max_body_size`)"),
    }
}

/// The upstreams of gunicorn and socketio (`server ${BACKEND}`), which the
/// render sets from the Services, pasted in the same way.
const UPSTREAMS: [Setting; 2] = [
    ("BACKEND", is_upstream, "`host:port` of gunicorn's Service (`server`)"),
    ("SOCKETIO", is_upstream, "`host:port` of socketio's Service (`server`)"),
];

/// `host:port` (or `[ipv6]:port`) as nginx's `server` takes it.
fn is_upstream(v: &str) -> bool {
    let Some((host, port)) = v.rsplit_once(':') else {
        return false;
    };
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let host_ok = (k8s::is_ip_or_cidr(host) && !host.contains('/')) || k8s::is_dns1123_subdomain(&host.to_ascii_lowercase());
    host_ok && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
}

/// The values' `nginx.environment`, key by key. An empty one gets the
/// entrypoint's default (`[[ -z ... ]]` in `nginx-entrypoint.sh`), as
/// with the chart.
pub(super) fn check_nginx_environment(environment: &NginxEnvironment, report: &mut Reporter<'_>) {
    for setting in EntrypointSetting::ALL {
        let (key, value) = (setting.key(), environment.get(setting));
        let (valid, expected) = requirement(setting);
        if !value.is_empty() && !valid(value) {
            report
                .at(Code::InvalidValue, value, format!("`{}` is not a valid `{key}`", **value))
                .with_help(format!("write {expected}; the value is pasted into the nginx configuration as is"));
        }
    }
}

/// A variable of `nginx.envVars` named as a setting of the entrypoint comes
/// after the entrypoint's own, and is pasted into the configuration in the
/// same way: it is held to the same. Only the last of a name counts: it
/// wins. An empty one gets the entrypoint's default (`[[ -z ... ]]` in
/// `nginx-entrypoint.sh`), which for the upstreams is nginx's own pod.
pub(super) fn check_entrypoint_env_vars(env_vars: &Spanned<Vec<EnvVar>>, report: &mut Reporter<'_>) {
    let settings = EntrypointSetting::ALL.map(|setting| {
        let (valid, expected) = requirement(setting);
        (setting.variable(), valid, expected)
    });
    for (name, valid, expected) in settings.iter().chain(&UPSTREAMS) {
        let Some(i) = env_vars.iter().rposition(|var| var.name == *name) else {
            continue;
        };
        let var = &env_vars[i];
        if var.value_from.is_some() {
            continue;
        }
        let value = var.value.as_deref().unwrap_or_default();
        let upstream = UPSTREAMS.iter().any(|(upstream, ..)| upstream == name);
        let at = || env_vars.anchor().index(i).key("value");
        if value.is_empty() && upstream {
            report
                .at(
                    Code::InvalidValue,
                    at(),
                    format!("an empty `{name}` makes the nginx entrypoint proxy to nginx's own pod (`0.0.0.0`), where nothing else runs"),
                )
                .with_help(format!("write {expected}, or remove the variable: the render sets it"));
        } else if !value.is_empty() && !valid(value) {
            report
                .at(Code::InvalidValue, at(), format!("`{value}` is not a valid `{name}`"))
                .with_help(format!(
                    "write {expected}; the nginx entrypoint pastes it into its configuration as is"
                ));
        }
    }
}

/// The image's nginx takes the client's address from `X-Forwarded-For`
/// only when the connection comes from `upstreamRealIPAddress`, and hands
/// Frappe its peer's address otherwise (frappe_docker's
/// `nginx-template.conf`: `set_real_ip_from`, then `X-Forwarded-For
/// $remote_addr` to gunicorn). Behind an Ingress or a Gateway, the peer is
/// the controller's pod, never 127.0.0.1: Frappe would see one address for
/// every client, and its per-address limits (`rate_limit`, the login
/// attempt tracker) would hit every user at once.
pub(super) fn check_client_address(nginx: &Nginx, report: &mut Reporter<'_>) {
    let trusted = nginx.entrypoint_setting(EntrypointSetting::UpstreamRealIpAddress);
    if trusted.value != Some("127.0.0.1") {
        return;
    }
    let header = nginx
        .entrypoint_setting(EntrypointSetting::UpstreamRealIpHeader)
        .value
        .map_or_else(|| "its header".to_owned(), |header| format!("`{header}`"));
    report
        .at(
            Code::ClientAddress,
            trusted.at,
            format!(
                "nginx takes the client's address from {header} only from 127.0.0.1, but the Ingress or Gateway in front of it connects from its own pods: Frappe would see the controller's address for every client, and its per-address limits (rate limits, failed-login lockouts) would hit every user at once"
            ),
        )
        .with_help(
            "set `nginx.environment.upstreamRealIPAddress` (or the last `UPSTREAM_REAL_IP_ADDRESS` of `nginx.envVars`, which wins over it) to the range the controller's pods connect from (the cluster's pod CIDR, e.g. `10.0.0.0/8`); with `networkPolicy.enabled`, only the controller's namespace reaches nginx",
        );
}
