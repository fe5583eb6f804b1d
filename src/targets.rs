//! What this build reads and writes: the Kubernetes API of the objects and
//! the Helm chart whose values it takes. `--version` names both, so that a
//! user can tell whether a cluster or a values file is one it was made for.

/// The Kubernetes minor version whose API the objects are built from: the
/// k8s-openapi feature in Cargo.toml (`v1_33`).
pub const KUBERNETES_MINOR: u32 = 33;

/// [`KUBERNETES_MINOR`] as people write it.
pub const KUBERNETES: &str = "1.33";

/// The official chart (github.com/frappe/helm, `erpnext`) whose keys and
/// defaults the values follow.
pub const CHART: &str = "erpnext";
pub const CHART_VERSION: &str = "8.0.75";

/// That chart's appVersion: the ERPNext image tag it deploys by default.
pub const CHART_APP_VERSION: &str = "v16.32.3";

/// `frappe-manifests --version`.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\nobjects: Kubernetes 1.33 API (k8s-openapi feature v1_33)",
    "\nvalues: Helm chart erpnext 8.0.75 (app version v16.32.3)"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_text_names_the_targets() {
        // `concat!` takes literals only, so the text repeats the constants.
        assert!(LONG_VERSION.contains(&format!("Kubernetes {KUBERNETES} API (k8s-openapi feature v1_{KUBERNETES_MINOR})")));
        assert!(LONG_VERSION.contains(&format!("chart {CHART} {CHART_VERSION} (app version {CHART_APP_VERSION})")));
        assert_eq!(KUBERNETES, format!("1.{KUBERNETES_MINOR}"));
    }

    #[test]
    fn the_kubernetes_version_is_the_k8s_openapi_feature() {
        let manifest = include_str!("../Cargo.toml");
        let feature = format!("\"v1_{KUBERNETES_MINOR}\"");
        assert!(
            manifest.lines().any(|l| l.starts_with("k8s-openapi") && l.contains(&feature)),
            "Cargo.toml's k8s-openapi feature is not {feature}"
        );
    }

    #[test]
    fn the_default_image_is_the_charts_app_version() {
        assert_eq!(*crate::values::Values::default().image.tag, CHART_APP_VERSION);
    }
}
