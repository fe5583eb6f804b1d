//! A probe as the values give it: a Kubernetes probe, or the official
//! chart's `{override, probe}` form.
//!
//! The chart takes a plain Kubernetes probe for nginx, gunicorn and socketio,
//! and `livenessProbe: {override: false, probe: {}}` for the workers and the
//! scheduler (its `deployment-worker-*.yaml` and `deployment-scheduler.yaml`
//! render `probe` under `override: true`, and their `worker.healthProbe`
//! otherwise). Every probe key here takes either form, so a values file
//! written for the chart reads as it is. What each form means is the model's
//! (`model::component::probes::given_probe`).
//!
//! [`crate::de`] picks the form from the keys: a map with `override` or
//! `probe` is the chart's, anything else a Kubernetes probe. Typing it as an
//! untagged enum would buffer the map and lose the locations and the
//! unknown-key checks inside the probe.

use std::fmt;

use k8s_openapi::api::core::v1::Probe;
use schemars::JsonSchema;
use serde::de::{self, EnumAccess, VariantAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::Spanned;

/// The enum name [`crate::de`] recognises, as `Spanned`'s `NAME`.
pub const NAME: &str = "$frappe_manifests::ProbeValue";
/// The keys that make a map the chart's form.
pub const CHART_KEYS: &[&str] = &["override", "probe"];
/// The variants, as [`crate::de`] names them.
pub const KUBERNETES: &str = "kubernetes";
pub const CHART: &str = "chart";

/// A probe: a Kubernetes probe, which replaces the default whole, or the
/// chart's `{override, probe}`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ProbeValue {
    /// A Kubernetes probe. It replaces the default whole.
    Kubernetes(Probe),
    /// The official chart's form.
    Chart(ChartProbe),
}

/// The chart's probe form: `probe` replaces the default under
/// `override: true`; under `override: false` the default applies and
/// `probe` is ignored, as in the chart.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
#[schemars(transform = probe_only_when_overriding)]
pub struct ChartProbe {
    /// Use `probe` instead of the default.
    #[serde(rename = "override")]
    pub override_default: Spanned<bool>,
    /// The probe used when `override` is true; it replaces the default whole.
    #[serde(skip_serializing_if = "Spanned::is_none")]
    pub probe: Spanned<Option<Probe>>,
}

/// In the schema, `probe` is a whole Kubernetes probe (one handler) only
/// under `override: true`; under `override: false` lint ignores it (with an
/// `unused-key` warning), so the schema takes any map there, as the chart's
/// own `probe: {}` is.
fn probe_only_when_overriding(schema: &mut schemars::Schema) {
    let Some(probe) = schema.get_mut("properties").and_then(|p| p.get_mut("probe")) else {
        return;
    };
    let loose = serde_json::json!({
        "type": ["object", "null"],
        "description": probe.get("description").cloned().unwrap_or_default(),
    });
    let whole = std::mem::replace(probe, loose);
    schema.insert(
        "if".to_owned(),
        serde_json::json!({"properties": {"override": {"const": true}}, "required": ["override"]}),
    );
    schema.insert(
        "then".to_owned(),
        serde_json::json!({"properties": {"probe": whole}, "required": ["probe"]}),
    );
}

impl<'de> Deserialize<'de> for ProbeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ProbeValueVisitor;

        impl<'de> Visitor<'de> for ProbeValueVisitor {
            type Value = ProbeValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Kubernetes probe, or the chart's `{override, probe}`")
            }

            fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<ProbeValue, A::Error> {
                let (form, value): (String, _) = data.variant()?;
                match form.as_str() {
                    CHART => value.newtype_variant().map(ProbeValue::Chart),
                    KUBERNETES => value.newtype_variant().map(ProbeValue::Kubernetes),
                    other => Err(de::Error::unknown_variant(other, &[KUBERNETES, CHART])),
                }
            }
        }

        deserializer.deserialize_enum(NAME, &[KUBERNETES, CHART], ProbeValueVisitor)
    }
}
