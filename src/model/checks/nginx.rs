//! The settings of the image's nginx entrypoint.

use crate::diagnostic::Code;
use crate::model::k8s;
use crate::model::report::Reporter;
use crate::values::NginxEnvironment;

/// The nginx entrypoint's settings, which the image's template pastes into
/// its nginx configuration unquoted (frappe_docker's
/// `resources/nginx-template.conf`): each must be what its directive takes,
/// and nothing that could end the directive and start another.
pub(super) fn check_nginx_environment(environment: &NginxEnvironment, report: &mut Reporter<'_>) {
    let settings = [
        (
            "upstreamRealIPAddress",
            &environment.upstream_real_ip_address,
            (|v| k8s::is_ip_or_cidr(v) || k8s::is_dns1123_subdomain(&v.to_ascii_lowercase())) as fn(&str) -> bool,
            "the address, CIDR range or host name of the trusted proxies, e.g. `10.0.0.0/8` (`set_real_ip_from`)",
        ),
        (
            "upstreamRealIPRecursive",
            &environment.upstream_real_ip_recursive,
            |v| matches!(v, "on" | "off"),
            "`on` or `off` (`real_ip_recursive`)",
        ),
        (
            "upstreamRealIPHeader",
            &environment.upstream_real_ip_header,
            |v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')),
            "a header name such as `X-Forwarded-For`, or `proxy_protocol` (`real_ip_header`)",
        ),
        (
            "frappeSiteNameHeader",
            &environment.frappe_site_name_header,
            |v| k8s::is_nginx_variable(v) || k8s::is_dns1123_subdomain(v),
            "an nginx variable such as `$host` or `$http_x_frappe_site_name`, or one site's name",
        ),
        (
            "proxyReadTimeout",
            &environment.proxy_read_timeout,
            k8s::is_nginx_time,
            "an nginx time such as `120`, `120s` or `2m` (`proxy_read_timeout`)",
        ),
        (
            "clientMaxBodySize",
            &environment.client_max_body_size,
            k8s::is_nginx_size,
            "an nginx size such as `50m` or `1g` (`client_max_body_size`)",
        ),
    ];
    for (key, value, valid, expected) in settings {
        if !valid(value) {
            report
                .at(Code::InvalidValue, value, format!("`{}` is not a valid `{key}`", **value))
                .with_help(format!("write {expected}; the value is pasted into the nginx configuration as is"));
        }
    }
}
