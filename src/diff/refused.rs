//! The changes the API server refuses to make to a live object: `kubectl
//! apply` and an Argo CD sync fail on them (`field is immutable`), whatever
//! else they apply, until the object is deleted (or, for a claim, the values
//! are put back).
//!
//! From Kubernetes 1.33's validation of an update:
//! - a Job's `selector`, pod `template`, `completions`, `completionMode`,
//!   `podFailurePolicy`, `successPolicy` and `backoffLimitPerIndex`
//!   (`pkg/apis/batch/validation/validation.go`, `ValidateJobSpecUpdate`;
//!   the template may change only in a suspended Job's scheduling
//!   directives, which no Job here is);
//! - a Deployment's `selector`, the whole of it, for `apps/v1`
//!   (`pkg/registry/apps/deployment/strategy.go`, `ValidateUpdate`);
//! - a claim's spec but for a larger storage request (and
//!   `volumeAttributesClassName`), `pkg/apis/core/validation/validation.go`,
//!   `ValidatePersistentVolumeClaimUpdate`.
//!
//! Everything else the bundle renders (Services as rendered, with no
//! `clusterIP`; CronJobs, PodDisruptionBudgets, HPAs, NetworkPolicies,
//! Ingresses, ConfigMaps and Secrets, which are not `immutable`) takes any
//! change.
//!
//! Only what the render sets counts: a live object (`kubectl get -o yaml`)
//! also holds what the API server and the controllers filled in (a Job's
//! `controller-uid` labels, a container's `terminationMessagePath`), which
//! `kubectl apply` leaves alone. A Deployment's selector, which nothing fills
//! in, counts whole.

use std::cmp::Ordering;

use serde_json::Value;

use super::compare::{equivalent, quantity_order};
use super::object::Key;

/// The Job fields that cannot change once the Job exists.
const JOB_FIXED: &[&str] = &[
    "selector",
    "template",
    "completions",
    "completionMode",
    "podFailurePolicy",
    "successPolicy",
    "backoffLimitPerIndex",
];

/// The fields of `after` (the render) that the API server refuses to change
/// from `before` (the live object, or the render applied last), as paths
/// (`spec.template`).
pub fn fields(key: &Key, before: &Value, after: &Value) -> Vec<String> {
    let (before, after) = (&before["spec"], &after["spec"]);
    let fixed: Vec<&str> = if key.is("batch", "Job") {
        JOB_FIXED
            .iter()
            .copied()
            .filter(|f| sets_otherwise(&before[f], &after[f], f, "spec"))
            .collect()
    } else if key.is("apps", "Deployment") {
        // The API server fills nothing into a selector: a label the render
        // drops from it changes it as much as one it adds.
        ["selector"]
            .into_iter()
            .filter(|f| !equivalent(&before[f], &after[f], f, "spec"))
            .collect()
    } else if key.is("", "PersistentVolumeClaim") {
        claim_fields(before, after)
    } else {
        Vec::new()
    };
    fixed.into_iter().map(|field| format!("spec.{field}")).collect()
}

/// What to do about a refused change of the object `key`, for the reader.
pub fn advice(key: &Key) -> String {
    let namespace = key.namespace.as_deref().map(|ns| format!("-n {ns} ")).unwrap_or_default();
    let delete = format!("kubectl {namespace}delete {}", key.resource());
    if key.is("batch", "Job") {
        format!("delete the Job before applying (`{delete}`; it then runs again)")
    } else if key.is("apps", "Deployment") {
        format!("delete the Deployment before applying (`{delete}`; its pods stop until the new ones are ready)")
    } else {
        "put the values back: a claim's storage can only grow, and data moves to another class only by copying it to a new claim \
         (`persistence.worker.existingClaim`)"
            .to_owned()
    }
}

/// A claim's spec fields that the render sets otherwise than the claim
/// has them; its storage request only when smaller. A field the claim
/// lacks is left to the API server (a claim with no class may get one).
fn claim_fields<'a>(before: &Value, after: &'a Value) -> Vec<&'a str> {
    let mut refused = Vec::new();
    for (field, value) in after.as_object().into_iter().flatten() {
        let Some(current) = before.get(field) else { continue };
        if field == "resources" {
            let (old, new) = (&current["requests"]["storage"], &value["requests"]["storage"]);
            if matches!(quantity_order(new, old), Some(Ordering::Less)) {
                refused.push("resources.requests.storage");
            }
        } else if field != "volumeAttributesClassName" && !equivalent(current, value, field, "spec") {
            refused.push(field.as_str());
        }
    }
    refused
}

/// Whether `after` sets something `before` lacks or holds otherwise: a key
/// of a map, an item of a list (a list of another length differs), a
/// scalar. What only `before` has in a map is no difference, since the API
/// server fills in defaults.
fn sets_otherwise(before: &Value, after: &Value, key: &str, parent: &str) -> bool {
    match (before, after) {
        (_, Value::Null) => false,
        (Value::Object(before), Value::Object(after)) => after
            .iter()
            .any(|(k, value)| sets_otherwise(before.get(k).unwrap_or(&Value::Null), value, k, key)),
        (Value::Array(before), Value::Array(after)) => {
            before.len() != after.len() || before.iter().zip(after).any(|(b, a)| sets_otherwise(b, a, key, parent))
        }
        _ => !equivalent(before, after, key, parent),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn key(group: &str, kind: &str) -> Key {
        Key {
            group: group.to_owned(),
            kind: kind.to_owned(),
            namespace: Some("erp".to_owned()),
            name: "x".to_owned(),
        }
    }

    #[test]
    fn a_jobs_template_is_refused_but_not_what_the_server_added_to_it() {
        let job = key("batch", "Job");
        let rendered = json!({"spec": {"backoffLimit": 0, "template": {"metadata": {"labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "erp:v1"}]}}}});
        let live = json!({"spec": {"backoffLimit": 0, "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u"}},
            "template": {"metadata": {"labels": {"a": "b", "batch.kubernetes.io/job-name": "x"}},
            "spec": {"containers": [{"name": "c", "image": "erp:v1", "terminationMessagePath": "/dev/termination-log"}]}}}});
        assert!(fields(&job, &live, &rendered).is_empty());
        let mut bumped = rendered.clone();
        bumped["spec"]["template"]["spec"]["containers"][0]["image"] = json!("erp:v2");
        assert_eq!(fields(&job, &live, &bumped), ["spec.template"]);
        let mut retried = rendered.clone();
        retried["spec"]["backoffLimit"] = json!(3);
        assert!(fields(&job, &live, &retried).is_empty(), "backoffLimit may change");
    }

    #[test]
    fn a_deployments_selector_is_refused_its_template_is_not() {
        let deployment = key("apps", "Deployment");
        let before = json!({"spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {"spec": {"x": 1}}}});
        let after = json!({"spec": {"selector": {"matchLabels": {"app": "b"}}, "template": {"spec": {"x": 2}}}});
        assert_eq!(fields(&deployment, &before, &after), ["spec.selector"]);
        let image = json!({"spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {"spec": {"x": 2}}}});
        assert!(fields(&deployment, &before, &image).is_empty());
        let wider = json!({"spec": {"selector": {"matchLabels": {"app": "a", "tier": "web"}}}});
        let narrower = json!({"spec": {"selector": {"matchLabels": {"app": "a"}}}});
        assert_eq!(
            fields(&deployment, &wider, &narrower),
            ["spec.selector"],
            "a label dropped from the selector"
        );
    }

    #[test]
    fn a_claims_class_modes_and_a_smaller_request_are_refused_growth_is_not() {
        let claim = key("", "PersistentVolumeClaim");
        let spec = |class: &str, mode: &str, size: &str| json!({"spec": {"storageClassName": class, "accessModes": [mode], "resources": {"requests": {"storage": size}}}});
        let live = spec("efs", "ReadWriteMany", "50Gi");
        assert!(fields(&claim, &live, &spec("efs", "ReadWriteMany", "100Gi")).is_empty());
        assert_eq!(
            fields(&claim, &live, &spec("nfs", "ReadWriteOnce", "20Gi")),
            ["spec.accessModes", "spec.resources.requests.storage", "spec.storageClassName"]
        );
    }

    #[test]
    fn other_kinds_take_any_change() {
        let before = json!({"spec": {"schedule": "0 3 * * *"}});
        let after = json!({"spec": {"schedule": "0 4 * * *"}});
        assert!(fields(&key("batch", "CronJob"), &before, &after).is_empty());
    }
}
