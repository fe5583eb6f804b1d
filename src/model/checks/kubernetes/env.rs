//! Environment variables: names, and where `valueFrom` reads (Secrets,
//! ConfigMaps, the pod's fields and resources).

use k8s_openapi::api::core::v1::EnvVar;

use crate::diagnostic::Code;
use crate::model::k8s;
use crate::model::report::Reporter;
use crate::source::secrets::{KeyMeaning, key_meaning};
use crate::values::Anchor;

use super::{check_object_name, check_quantity, check_secret_key};

/// Env var names and, for one whose name names a secret (the masker's
/// `key_meaning`: `DB_PASSWORD`, `API_TOKEN`), a literal value: it lands in
/// the pod spec, readable by anyone who may read the Deployment.
pub(crate) fn check_env(env: &[EnvVar], at: &Anchor<'_>, report: &mut Reporter<'_>) {
    for (i, var) in env.iter().enumerate() {
        if key_meaning(&var.name) == KeyMeaning::Secret && var.value.as_deref().is_some_and(|value| !value.is_empty()) {
            report
                .at(
                    Code::PlaintextPassword,
                    at.index(i).key("value"),
                    format!("the env var `{}` names a secret, and its value is written in the values", var.name),
                )
                .with_help("keep it in a Secret and reference it: `valueFrom: {secretKeyRef: {name: …, key: …}}`");
        }
        if !k8s::is_env_var_name(&var.name) {
            report
                .at(
                    Code::InvalidEnvName,
                    at.index(i).key("name"),
                    format!("`{}` is not a valid environment variable name", var.name),
                )
                .with_help("use printable ASCII characters other than `=`: the value goes in `value`");
        }
        check_value_from(var, &at.index(i), report);
    }
}

/// `valueFrom` as validateEnvVarValueFrom checks it (validation.go): one
/// source exactly, no `value` beside it (an empty one is no value), and the
/// Secret or ConfigMap it names.
fn check_value_from(var: &EnvVar, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    let Some(source) = &var.value_from else { return };
    let at = at.key("valueFrom");
    let sources: Vec<&str> = [
        source.field_ref.as_ref().map(|_| "fieldRef"),
        source.resource_field_ref.as_ref().map(|_| "resourceFieldRef"),
        source.config_map_key_ref.as_ref().map(|_| "configMapKeyRef"),
        source.secret_key_ref.as_ref().map(|_| "secretKeyRef"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if sources.is_empty() {
        report
            .at_key(
                Code::InvalidValue,
                &at,
                format!("the env var `{}` has a `valueFrom` with no source", var.name),
            )
            .with_help("give one of `secretKeyRef`, `configMapKeyRef`, `fieldRef` or `resourceFieldRef`");
    } else if var.value.as_deref().is_some_and(|value| !value.is_empty()) {
        report
            .at_key(
                Code::InvalidValue,
                &at,
                format!("the env var `{}` has both `value` and `valueFrom`; Kubernetes takes one", var.name),
            )
            .with_help("remove `value` to read it from the source, or `valueFrom` to use the value written here");
    } else if sources.len() > 1 {
        report
            .at_key(
                Code::InvalidValue,
                &at,
                format!(
                    "the env var `{}` has {} sources ({}); Kubernetes allows exactly one",
                    var.name,
                    sources.len(),
                    sources.join(", ")
                ),
            )
            .with_help("keep one source under `valueFrom`");
    }
    if let Some(secret) = &source.secret_key_ref {
        check_object_name(&secret.name, "Secret", &at.key("secretKeyRef").key("name"), report);
        check_secret_key(&secret.key, &at.key("secretKeyRef").key("key"), report);
    }
    if let Some(config_map) = &source.config_map_key_ref {
        check_object_name(&config_map.name, "ConfigMap", &at.key("configMapKeyRef").key("name"), report);
        if !k8s::is_config_key(&config_map.key) {
            report
                .at(
                    Code::InvalidValue,
                    at.key("configMapKeyRef").key("key"),
                    format!("`{}` is not a valid ConfigMap key", config_map.key),
                )
                .with_help("ConfigMap keys are at most 253 letters, digits, `-`, `_` and `.`, and do not start with `..`");
        }
    }
    // The API server defaults an empty `apiVersion` to `v1` (defaults.go,
    // SetDefaults_ObjectFieldSelector) and converts no other (ConvertDownwardAPIFieldLabel).
    if let Some(version) = source.field_ref.as_ref().map(|f| f.api_version.as_deref().unwrap_or_default())
        && !matches!(version, "v1" | "")
    {
        report
            .at(
                Code::InvalidValue,
                at.key("fieldRef").key("apiVersion"),
                format!("`{version}` is not an API version an env var can read a field of"),
            )
            .with_help("use `apiVersion: v1`, or leave it out");
    } else if let Some(field) = &source.field_ref
        && !is_env_field_path(&field.field_path)
    {
        report
            .at(Code::InvalidValue, at.key("fieldRef").key("fieldPath"), format!("`{}` is not a field an env var can read", field.field_path))
            .with_help("use `metadata.name`, `metadata.namespace`, `metadata.uid`, `metadata.labels['<key>']`, `metadata.annotations['<key>']`, `spec.nodeName`, `spec.serviceAccountName`, `status.hostIP`, `status.hostIPs`, `status.podIP` or `status.podIPs`");
    }
    if let Some(resource) = &source.resource_field_ref {
        const RESOURCES: &[&str] = &[
            "limits.cpu",
            "limits.memory",
            "limits.ephemeral-storage",
            "requests.cpu",
            "requests.memory",
            "requests.ephemeral-storage",
        ];
        let name = resource.resource.as_str();
        if !RESOURCES.contains(&name) && !name.starts_with("limits.hugepages-") && !name.starts_with("requests.hugepages-") {
            report
                .at(
                    Code::InvalidValue,
                    at.key("resourceFieldRef").key("resource"),
                    format!("`{name}` is not a resource an env var can read"),
                )
                .with_help_closest(
                    name,
                    RESOURCES,
                    "use `requests.cpu`, `requests.memory`, `limits.cpu`, `limits.memory` (or `ephemeral-storage`)",
                );
        }
        if let Some(divisor) = &resource.divisor {
            let divisor_at = || at.key("resourceFieldRef").key("divisor");
            check_quantity(divisor, divisor_at, report);
            if k8s::is_quantity(&divisor.0) && !is_divisor_for(name, &divisor.0) {
                let allowed = if name.ends_with(".cpu") {
                    "`1` or `1m`"
                } else {
                    "`1`, or 1 with a suffix, such as `1Mi` or `1M`"
                };
                report
                    .at(
                        Code::InvalidValue,
                        divisor_at(),
                        format!("`{}` is not a divisor for `{name}`", divisor.0),
                    )
                    .with_help(format!("use {allowed}"));
            }
        }
    }
}

/// Whether validateContainerResourceDivisor (validation.go) takes `divisor`
/// for `resource`: for CPU `1m` or `1`, for memory, ephemeral storage and
/// hugepages `1` or 1 of a suffix (`1k`…`1E`, `1Ki`…`1Ei`), compared as
/// `Quantity.String()` writes it back (`1024Ki` is `1Mi`, `1000` is `1k`,
/// `1024` and `1e3` stay as they are). Zero is no divisor; other resources
/// take any.
fn is_divisor_for(resource: &str, divisor: &str) -> bool {
    use k8s::QuantityFormat::{BinarySi, DecimalSi};
    let Some(value) = k8s::quantity_value(divisor) else { return true };
    let amount = |s: &str| k8s::quantity_value(s).expect("a quantity");
    let equals = |s: &str| k8s::compare_quantities(value, amount(s)) == Some(std::cmp::Ordering::Equal);
    // A binary quantity below 1024 is written back as a decimal one.
    let format = match k8s::quantity_format(divisor) {
        BinarySi if !equals("1Ki") && k8s::compare_quantities(value, amount("1Ki")) == Some(std::cmp::Ordering::Less) => DecimalSi,
        format => format,
    };
    let decimal = ["1k", "1M", "1G", "1T", "1P", "1E"];
    let binary = ["1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"];
    let sized = || (format == DecimalSi && decimal.into_iter().any(equals)) || (format == BinarySi && binary.into_iter().any(equals));
    if value.is_zero() || equals("1") {
        return true;
    }
    match resource {
        "limits.cpu" | "requests.cpu" => format == DecimalSi && equals("1m"),
        "limits.memory" | "requests.memory" | "limits.ephemeral-storage" | "requests.ephemeral-storage" => sized(),
        _ if resource.starts_with("limits.hugepages-") || resource.starts_with("requests.hugepages-") => sized(),
        _ => true,
    }
}

/// A `fieldRef.fieldPath` an env var may read (validEnvDownwardAPIFieldPathExpressions,
/// and a label or annotation by key). `spec.host` is the old name of
/// `spec.nodeName`: ConvertDownwardAPIFieldLabel (pkg/apis/core/pods/helpers.go)
/// renames it before validateObjectFieldSelector checks the path.
fn is_env_field_path(path: &str) -> bool {
    const PATHS: &[&str] = &[
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
        "spec.host",
        "spec.nodeName",
        "spec.serviceAccountName",
        "status.hostIP",
        "status.hostIPs",
        "status.podIP",
        "status.podIPs",
    ];
    if PATHS.contains(&path) {
        return true;
    }
    let Some((map, key)) = path.strip_suffix("']").and_then(|p| p.split_once("['")) else {
        return false;
    };
    match map {
        "metadata.labels" => k8s::is_qualified_name(key),
        "metadata.annotations" => k8s::is_qualified_name(&key.to_ascii_lowercase()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_field_paths() {
        for ok in [
            "metadata.name",
            "spec.nodeName",
            "spec.host",
            "status.podIPs",
            "metadata.labels['app.kubernetes.io/name']",
            "metadata.annotations['Example.com/Foo']",
        ] {
            assert!(is_env_field_path(ok), "{ok}");
        }
        for bad in [
            "metadata.labels",
            "spec.restartPolicy",
            "status.phase",
            "metadata.name['x']",
            "spec.hostname",
        ] {
            assert!(!is_env_field_path(bad), "{bad}");
        }
    }
}
