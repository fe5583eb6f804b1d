//! What helm set that the bundle does not, as the record of a last apply.
//!
//! `kubectl apply` removes a field only when its record of the last apply
//! (the `kubectl.kubernetes.io/last-applied-configuration` annotation) has
//! the field and the new file does not: it computes a three-way strategic
//! merge patch, whose deletions are the keys of the record missing from the
//! file, whatever their values (apimachinery's `CreateThreeWayMergePatch`).
//! helm leaves no such record (helm 3 keeps its own, the release's
//! manifest, and patches the same way; helm 4 applies server-side), so a
//! plain `kubectl apply` over a helm release keeps everything only helm set.
//!
//! [`record`] writes the record that makes it remove exactly that: every
//! field of helm's object that the bundle lacks, as `null`, inside only the
//! maps and named list items that lead to it. Items of lists that the API
//! server merges by a key (containers by `name`, volume mounts by
//! `mountPath`, see [`merge_key`]) are matched by it; an item only helm had
//! is written as its key alone, which `kubectl apply` deletes. A list that
//! is replaced whole (args, a probe's command, tolerations) needs nothing:
//! the file's list replaces it. No value of helm's is copied except those
//! keys, so nothing secret (a Secret's data, a Redis URL in a probe) is in
//! the record or in the plan that prints it.

use serde_json::{Map, Value};

use crate::diff::object::{ItemIndex, Key, Object, merge_key};
use crate::model::label;
use crate::node::Path;

/// Metadata helm adds to every object it creates or adopts, outside its
/// manifest (helm's `pkg/action/validate.go`, `setMetadataVisitor`).
const HELM_ANNOTATIONS: &[&str] = &["meta.helm.sh/release-name", "meta.helm.sh/release-namespace"];
const HELM_LABELS: &[&str] = &[label::MANAGED_BY];

/// The record to give `kubectl apply` before it applies `ours` over the
/// live object helm made from `helm`, and the fields it will remove.
///
/// Two removals are never asked for: a Deployment's `replicas`, which the
/// bundle leaves out when an HPA or KEDA scales the Deployment (removing it
/// would reset the Deployment to one replica until the autoscaler acts), and
/// anything in a PersistentVolumeClaim's spec, which the API server does not
/// let change. Nor is a Secret's key: one only helm set may hold the only
/// copy of a password (the chart's database root password, given with
/// `--set` at install and so in no values file).
pub(super) fn record(helm: &Object, ours: &Object) -> (Value, Vec<Path>) {
    let mut removed = Vec::new();
    let mut record = match removals(&helm.value, &ours.value, "", &Path::root(), &mut removed) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    add_helm_metadata(&mut record, &ours.value, &mut removed);
    if ours.key.is("apps", "Deployment") {
        forget(&mut record, &mut removed, &["spec", "replicas"]);
    }
    if ours.key.is("", "PersistentVolumeClaim") {
        forget(&mut record, &mut removed, &["spec"]);
    }
    if ours.key.is("", "Secret") {
        forget(&mut record, &mut removed, &["data"]);
    }
    identify(&mut record, ours);
    (Value::Object(record), removed)
}

/// Fields of `helm` absent from `ours`, as `null`, in the structure that
/// leads to them; `None` when there are none.
fn removals(helm: &Value, ours: &Value, field: &str, path: &Path, removed: &mut Vec<Path>) -> Option<Value> {
    match (helm, ours) {
        (Value::Object(helm), Value::Object(ours)) => {
            let mut record = Map::new();
            for (key, value) in helm {
                let at = path.key(key);
                match ours.get(key) {
                    None => {
                        record.insert(key.clone(), Value::Null);
                        removed.push(at);
                    }
                    Some(theirs) => {
                        if let Some(inner) = removals(value, theirs, key, &at, removed) {
                            record.insert(key.clone(), inner);
                        }
                    }
                }
            }
            (!record.is_empty()).then_some(Value::Object(record))
        }
        (Value::Array(helm), Value::Array(ours)) => {
            let items: Vec<&Value> = helm.iter().chain(ours.iter()).collect();
            let key = merge_key(field, &items)?;
            let ours = ItemIndex::new(ours, key);
            let mut record = Vec::new();
            for (i, item) in helm.iter().enumerate() {
                let id = item.get(key)?;
                let at = path.index(i);
                match ours.find(id) {
                    None => {
                        record.push(Value::Object(Map::from_iter([(key.to_owned(), id.clone())])));
                        removed.push(at);
                    }
                    Some((_, theirs)) => {
                        if let Some(Value::Object(mut inner)) = removals(item, theirs, field, &at, removed) {
                            inner.insert(key.to_owned(), id.clone());
                            record.push(Value::Object(inner));
                        }
                    }
                }
            }
            (!record.is_empty()).then_some(Value::Array(record))
        }
        _ => None,
    }
}

/// Adds helm's own annotations and labels, which its manifest does not
/// show, where the bundle does not set them.
fn add_helm_metadata(record: &mut Map<String, Value>, ours: &Value, removed: &mut Vec<Path>) {
    for (section, keys) in [("annotations", HELM_ANNOTATIONS), ("labels", HELM_LABELS)] {
        for key in keys.iter() {
            if ours["metadata"][section].get(*key).is_some() {
                continue;
            }
            let metadata = record.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
            let entries = metadata
                .as_object_mut()
                .expect("metadata is a map")
                .entry(section)
                .or_insert_with(|| Value::Object(Map::new()));
            // helm's manifest may already name it (a chart's own managed-by label).
            if let Some(entries) = entries.as_object_mut()
                && !entries.contains_key(*key)
            {
                entries.insert((*key).to_owned(), Value::Null);
                removed.push(Path::root().key("metadata").key(section).key(key));
            }
        }
    }
}

/// Drops a removal (and everything under it) from the record.
fn forget(record: &mut Map<String, Value>, removed: &mut Vec<Path>, path: &[&str]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut map = &mut *record;
    for parent in parents {
        match map.get_mut(*parent) {
            Some(Value::Object(inner)) => map = inner,
            _ => return,
        }
    }
    map.remove(*last);
    let prefix = Path(path.iter().map(|p| crate::node::Segment::Key((*p).to_owned())).collect());
    removed.retain(|p| !p.0.starts_with(&prefix.0));
    if parents.len() == 1 && map.is_empty() {
        record.remove(parents[0]);
    }
}

/// What kubectl needs to find the object: the bundle's apiVersion and kind
/// (the version kubectl will apply), name and namespace.
fn identify(record: &mut Map<String, Value>, ours: &Object) {
    let Key { kind, namespace, name, .. } = &ours.key;
    record.insert("apiVersion".to_owned(), Value::String(ours.api_version.clone()));
    record.insert("kind".to_owned(), Value::String(kind.clone()));
    let metadata = record.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    let metadata = metadata.as_object_mut().expect("metadata is a map");
    metadata.insert("name".to_owned(), Value::String(name.clone()));
    if let Some(namespace) = namespace {
        metadata.insert("namespace".to_owned(), Value::String(namespace.clone()));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Object {
        Object::new(value, Some("erp")).unwrap()
    }

    #[test]
    fn the_record_names_what_only_helm_set_and_nothing_else() {
        let helm = object(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"helm.sh/chart": "erpnext-8", "app": "web"}},
            "spec": {"replicas": 2, "template": {"spec": {
                "securityContext": {"supplementalGroups": [1000]},
                "containers": [
                    {"name": "web", "image": "old", "securityContext": {"capabilities": {"add": ["CAP_CHOWN"]}},
                     "livenessProbe": {"tcpSocket": {"port": 8000}, "periodSeconds": 10},
                     "env": [{"name": "KEEP", "value": "1"}, {"name": "GONE", "value": "secret-ish"}]},
                    {"name": "sidecar"}
                ]}}}
        }));
        let ours = object(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "erp", "labels": {"app": "web", "app.kubernetes.io/managed-by": "frappe-manifests"}},
            "spec": {"template": {"spec": {
                "securityContext": {"runAsNonRoot": true},
                "containers": [{"name": "web", "image": "new", "securityContext": {"capabilities": {"drop": ["ALL"]}},
                     "livenessProbe": {"httpGet": {"path": "/", "port": 8000}, "periodSeconds": 10},
                     "env": [{"name": "KEEP", "value": "2"}]}]}}}
        }));
        let (record, removed) = record(&helm, &ours);
        assert_eq!(
            record,
            json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "namespace": "erp", "labels": {"helm.sh/chart": null},
                             "annotations": {"meta.helm.sh/release-name": null, "meta.helm.sh/release-namespace": null}},
                "spec": {"template": {"spec": {
                    "securityContext": {"supplementalGroups": null},
                    "containers": [
                        {"name": "web", "securityContext": {"capabilities": {"add": null}},
                         "livenessProbe": {"tcpSocket": null}, "env": [{"name": "GONE"}]},
                        {"name": "sidecar"}
                    ]}}}
            })
        );
        let removed: Vec<String> = removed.iter().map(ToString::to_string).collect();
        assert!(
            removed.contains(&"spec.template.spec.containers[0].securityContext.capabilities.add".to_owned()),
            "{removed:?}"
        );
        assert!(
            !removed.iter().any(|p| p.contains("replicas")),
            "an autoscaled Deployment keeps its replicas: {removed:?}"
        );
        assert!(!record.to_string().contains("secret-ish"), "no value of helm's is copied");
    }

    #[test]
    fn a_claims_spec_is_never_touched() {
        let helm = object(json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "sites", "labels": {"heritage": "Helm"}},
            "spec": {"storageClassName": "efs", "accessModes": ["ReadWriteMany"]}}));
        let ours = object(json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "sites", "labels": {"app.kubernetes.io/managed-by": "frappe-manifests"}},
            "spec": {"accessModes": ["ReadWriteMany"]}}));
        let (record, _) = record(&helm, &ours);
        assert!(record.get("spec").is_none(), "{record}");
        assert_eq!(record["metadata"]["labels"], json!({"heritage": null}));
    }
}
