//! The words and forms values take, shared by the model's rules and the
//! JSON Schema: a rule checks them in code (`crate::model::k8s`,
//! `crate::model::checks`), the schema gives them to editors as `enum` and
//! `pattern`, so that what lint rejects is flagged before commit.
//! `tests/schema.rs` holds the two together over the rule fixtures.

/// An Ingress path's `pathType`.
pub const INGRESS_PATH_TYPES: &[&str] = &["Prefix", "Exact", "ImplementationSpecific"];

/// An HTTPRoute match's `pathType`.
pub const HTTP_ROUTE_PATH_TYPES: &[&str] = &["PathPrefix", "Exact", "RegularExpression"];

/// A PersistentVolumeClaim access mode.
pub const ACCESS_MODES: &[&str] = &["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"];

/// A host an Ingress or HTTPRoute serves: a DNS-1123 subdomain, or `*.`
/// and one ([`crate::model::k8s::is_ingress_host`]).
pub const HOST: &str = r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/// What [`HOST`] matches and a host may not be: an IP address (only digits and dots).
pub const NUMERIC_HOST: &str = r"^(\*\.)?[0-9.]*$";

/// An object name that is a DNS-1123 label ([`crate::model::k8s::is_dns1123_label`]),
/// or empty for a key whose empty value means "not set" (`fullnameOverride: ""`).
pub const DNS_LABEL_OR_EMPTY: &str = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$";

/// A Kubernetes resource quantity written as a string ([`crate::model::k8s::is_quantity`]).
pub const QUANTITY: &str = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$";

/// An environment variable name ([`crate::model::k8s::is_env_var_name`]).
pub const ENV_VAR_NAME: &str = r"^[ -<>-~]+$";

/// The start of a Redis URL (`crate::model::redis` checks the rest), or an
/// empty string, which means unset (the chart's values.yaml has `cache: ""`).
pub const REDIS_URL: &str = r"^(rediss?://|$)";
