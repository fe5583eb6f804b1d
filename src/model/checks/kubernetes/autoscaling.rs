//! An HPA's `behavior` as the API server validates it (autoscaling
//! validation.go: validateBehavior, validateScalingRules,
//! validateScalingPolicy).

use k8s_openapi::api::autoscaling::v2::{HPAScalingRules, HorizontalPodAutoscalerBehavior};

use crate::diagnostic::Code;
use crate::model::report::Reporter;
use crate::values::Anchor;

use super::check_quantity;

/// MaxPeriodSeconds and MaxStabilizationWindowSeconds of validation.go.
const MAX_PERIOD_SECONDS: i32 = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS: i32 = 3600;

pub(crate) fn check_hpa_behavior(behavior: &HorizontalPodAutoscalerBehavior, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    for (key, rules) in [("scaleUp", &behavior.scale_up), ("scaleDown", &behavior.scale_down)] {
        if let Some(rules) = rules {
            check_scaling_rules(rules, &at.key(key), report);
        }
    }
}

fn check_scaling_rules(rules: &HPAScalingRules, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    if let Some(window) = rules.stabilization_window_seconds
        && !(0..=MAX_STABILIZATION_WINDOW_SECONDS).contains(&window)
    {
        report
            .at(
                Code::InvalidValue,
                at.key("stabilizationWindowSeconds"),
                format!("`stabilizationWindowSeconds` must be 0 to {MAX_STABILIZATION_WINDOW_SECONDS}, not {window}"),
            )
            .with_help("the HPA acts on the highest (down) or lowest (up) recommendation of this many past seconds: `300` is the default for scaling down");
    }
    const SELECT: &[&str] = &["Max", "Min", "Disabled"];
    if let Some(select) = rules.select_policy.as_deref()
        && !SELECT.contains(&select)
    {
        report
            .at(
                Code::InvalidValue,
                at.key("selectPolicy"),
                format!("`{select}` is not a `selectPolicy`"),
            )
            .with_help_closest(select, SELECT, "use `Max`, `Min` or `Disabled`");
    }
    if let Some(tolerance) = &rules.tolerance {
        check_quantity(tolerance, || at.key("tolerance"), report);
    }
    // Left out, `policies` gets the default ones; written empty, it stays
    // empty, which the API server refuses.
    let Some(policies) = &rules.policies else { return };
    if policies.is_empty() {
        report
            .at_key(Code::InvalidValue, at.key("policies"), "`policies` needs at least one policy")
            .with_help("add a policy such as `{type: Pods, value: 4, periodSeconds: 60}`, or remove `policies` for the default ones");
    }
    for (i, policy) in policies.iter().enumerate() {
        let at = at.key("policies").index(i);
        const TYPES: &[&str] = &["Pods", "Percent"];
        if !TYPES.contains(&policy.type_.as_str()) {
            report
                .at(
                    Code::InvalidValue,
                    at.key("type"),
                    format!("`{}` is not a scaling policy type", policy.type_),
                )
                .with_help_closest(
                    &policy.type_,
                    TYPES,
                    "use `Pods` (a number of pods) or `Percent` (of the current pods)",
                );
        }
        if policy.value <= 0 {
            report
                .at(
                    Code::InvalidValue,
                    at.key("value"),
                    format!("a scaling policy's `value` must be above 0, not {}", policy.value),
                )
                .with_help("to stop scaling in this direction, set `selectPolicy: Disabled`");
        }
        if !(1..=MAX_PERIOD_SECONDS).contains(&policy.period_seconds) {
            report
                .at(
                    Code::InvalidValue,
                    at.key("periodSeconds"),
                    format!("`periodSeconds` must be 1 to {MAX_PERIOD_SECONDS}, not {}", policy.period_seconds),
                )
                .with_help("the window the policy's change is measured over, e.g. `60`");
        }
    }
}
