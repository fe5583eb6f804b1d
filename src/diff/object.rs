//! Kubernetes objects as plain values, from either side of a comparison.
//!
//! One side is a YAML stream: a previous render, or what `helm get manifest`
//! prints for a live release. It is read as kubectl reads it, YAML 1.1
//! (`on` and `yes` are booleans, `0555` is octal), because the API server
//! receives what kubectl makes of the text. The other side is what a render
//! built, turned into the same values through serde, so both compare alike.
//!
//! Before comparing, each object loses what nobody declares (status,
//! server-set metadata, and kubectl's record of the last apply, which holds
//! a Secret's data in clear) and what the API server reads the same as
//! absent: `null`, an empty list, and an empty map where the field is a map
//! of strings or a struct the server always fills (labels, annotations,
//! `resources`). An empty map elsewhere means something (`emptyDir: {}`
//! selects the volume's type, `podSelector: {}` selects every pod) and is
//! kept. A Secret's `stringData` is folded into `data`, base64-encoded, as
//! the API server does on write.

use std::collections::{HashMap, HashSet};
use std::fmt;

use k8s_openapi::ByteString;
use serde_json::{Map, Value};

/// What identifies an object to the API server: its API group (not the
/// version: `autoscaling/v2` and `autoscaling/v1` serve the same object),
/// kind, namespace and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl Key {
    /// kubectl's name for the object: `deployment.apps/gunicorn`,
    /// `persistentvolumeclaim/sites`.
    pub fn resource(&self) -> String {
        let kind = self.kind.to_ascii_lowercase();
        match self.group.as_str() {
            "" => format!("{kind}/{}", self.name),
            group => format!("{kind}.{group}/{}", self.name),
        }
    }

    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.group == group && self.kind == kind
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        match &self.namespace {
            Some(namespace) => write!(f, " {namespace}/{}", self.name),
            None => write!(f, " {}", self.name),
        }
    }
}

/// One object, normalised (see the module documentation); its namespace is
/// in the key only, so that an object read without one and the same object
/// rendered with one compare equal.
#[derive(Clone, Debug)]
pub struct Object {
    pub key: Key,
    pub api_version: String,
    pub value: Value,
}

/// Why a YAML stream could not be read as objects.
#[derive(Debug)]
pub enum StreamError {
    /// Not YAML, or beyond the parser's budgets (depth, size, aliases).
    Yaml(String),
    /// Document `document` (from 1, empty documents not counted) is not a
    /// Kubernetes object.
    NotAnObject { document: usize, problem: &'static str },
    /// Two documents describe the same object.
    Duplicate(Key),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Yaml(message) => write!(f, "not a YAML stream: {message}"),
            StreamError::NotAnObject { document, problem } => {
                write!(f, "document {document} is not a Kubernetes object: {problem}")
            }
            StreamError::Duplicate(key) => write!(f, "{key} appears twice"),
        }
    }
}

impl std::error::Error for StreamError {}

/// Reads a YAML stream of objects. An object without a namespace is taken
/// to be in `default_namespace`: `helm get manifest` prints none, and helm
/// (like `kubectl apply -n`) puts such objects in the release's namespace,
/// which is the namespace the render names. A `List` (what `kubectl get -o
/// yaml` prints for several objects) stands for its items.
pub fn read_stream(text: &str, default_namespace: Option<&str>) -> Result<Vec<Object>, StreamError> {
    let options = serde_saphyr::options! {
        // kubectl's reader: YAML 1.1 booleans and octal numbers.
        strict_booleans: false,
        legacy_octal_numbers: true,
        // An error never quotes the text: it may be a Secret's.
        with_snippet: false,
    };
    let documents: Vec<Value> = serde_saphyr::from_str_multiple_with_options::<Value, Vec<Value>>(text, options)
        .map_err(|error| StreamError::Yaml(error.to_string()))?;
    let mut objects = Vec::new();
    for (index, document) in documents.into_iter().enumerate() {
        let document_number = index + 1;
        let items = match document {
            Value::Object(mut map) if is_list(&map) => match map.remove("items") {
                Some(Value::Array(items)) => items,
                None | Some(Value::Null) => Vec::new(),
                Some(_) => {
                    return Err(StreamError::NotAnObject {
                        document: document_number,
                        problem: "a List whose `items` is not a list",
                    });
                }
            },
            other => vec![other],
        };
        for item in items {
            let object = Object::new(item, default_namespace).map_err(|problem| StreamError::NotAnObject {
                document: document_number,
                problem,
            })?;
            objects.push(object);
        }
    }
    ensure_unique(&objects)?;
    Ok(objects)
}

fn is_list(map: &Map<String, Value>) -> bool {
    map.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind == "List" || kind.ends_with("List"))
        && map.contains_key("items")
}

fn ensure_unique(objects: &[Object]) -> Result<(), StreamError> {
    let mut seen = HashSet::new();
    for object in objects {
        if !seen.insert(&object.key) {
            return Err(StreamError::Duplicate(object.key.clone()));
        }
    }
    Ok(())
}

impl Object {
    /// An object from its JSON form; `default_namespace` when it names none.
    pub fn new(mut value: Value, default_namespace: Option<&str>) -> Result<Object, &'static str> {
        let Value::Object(map) = &mut value else {
            return Err("it is not a mapping");
        };
        let api_version = match map.get("apiVersion") {
            Some(Value::String(v)) if !v.is_empty() => v.clone(),
            _ => return Err("it has no `apiVersion`"),
        };
        let kind = match map.get("kind") {
            Some(Value::String(k)) if !k.is_empty() => k.clone(),
            _ => return Err("it has no `kind`"),
        };
        let Some(Value::Object(metadata)) = map.get_mut("metadata") else {
            return Err("it has no `metadata`");
        };
        let name = match metadata.get("name") {
            Some(Value::String(n)) if !n.is_empty() => n.clone(),
            _ => return Err("it has no `metadata.name`"),
        };
        let namespace = match metadata.remove("namespace") {
            Some(Value::String(ns)) if !ns.is_empty() => Some(ns),
            _ => default_namespace.map(str::to_owned),
        };
        let group = api_version.rsplit_once('/').map_or("", |(group, _)| group).to_owned();
        let key = Key {
            group,
            kind,
            namespace,
            name,
        };
        normalise(&key, map);
        Ok(Object { key, api_version, value })
    }
}

/// Metadata the API server sets; never part of what is declared.
const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// kubectl's record of the last `kubectl apply`: not part of the object's
/// meaning, and for a Secret it holds the data in clear.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Fields whose empty map the API server does not tell from an absent one:
/// maps of strings, and `resources`, a struct (not a pointer) in Container.
const EMPTY_MAP_IS_ABSENT: &[&str] = &[
    "labels",
    "annotations",
    "nodeSelector",
    "matchLabels",
    "data",
    "binaryData",
    "stringData",
    "resources",
    "limits",
    "requests",
];

fn normalise(key: &Key, object: &mut Map<String, Value>) {
    object.remove("status");
    if let Some(Value::Object(metadata)) = object.get_mut("metadata") {
        for field in SERVER_METADATA {
            metadata.remove(*field);
        }
        if let Some(Value::Object(annotations)) = metadata.get_mut("annotations") {
            annotations.remove(LAST_APPLIED);
        }
    }
    if key.is("", "Secret") {
        fold_string_data(object);
    }
    object.values_mut().for_each(prune);
    object.retain(|field, value| !reads_as_absent(value, field));
}

/// `stringData` is write-only: the API server merges it into `data`,
/// base64-encoded, its keys winning.
fn fold_string_data(secret: &mut Map<String, Value>) {
    let Some(Value::Object(string_data)) = secret.remove("stringData") else {
        return;
    };
    let data = secret.entry("data").or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(data) = data else {
        return;
    };
    for (key, value) in string_data {
        let text = match value {
            Value::String(text) => text,
            other => other.to_string(),
        };
        let encoded = serde_json::to_value(ByteString(text.into_bytes())).expect("a ByteString serializes as a base64 string");
        data.insert(key, encoded);
    }
}

/// Removes, depth first, every entry that reads as absent.
fn prune(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.values_mut().for_each(prune);
            map.retain(|key, child| !reads_as_absent(child, key));
        }
        Value::Array(items) => items.iter_mut().for_each(prune),
        _ => {}
    }
}

fn reads_as_absent(value: &Value, field: &str) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty() && EMPTY_MAP_IS_ABSENT.contains(&field),
        _ => false,
    }
}

/// The key that identifies an item of the list `field`, as the API server's
/// strategic merge patch matches them (`patchMergeKey` in k8s.io/api's
/// types): containers, env and volumes by `name`, volume mounts by
/// `mountPath`, container ports by `containerPort`, Service ports by
/// `port`. `None` for lists replaced whole (args, tolerations, ingress
/// rules), and when an item lacks the key.
pub fn merge_key(field: &str, items: &[&Value]) -> Option<&'static str> {
    let key = match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "secrets"
        | "schedulingGates"
        | "resourceClaims" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        "ports" if items.iter().any(|item| item.get("containerPort").is_some()) => "containerPort",
        "ports" => "port",
        _ => return None,
    };
    items.iter().all(|item| item.get(key).is_some()).then_some(key)
}

/// The items of a list by the value of their merge key, so that finding an
/// item's counterpart in the other list is one look rather than a search:
/// comparing two lists of a hundred thousand items stays linear.
pub struct ItemIndex<'a> {
    items: &'a [Value],
    /// The position of the first item with each value, by the value's JSON text.
    positions: HashMap<String, usize>,
}

impl<'a> ItemIndex<'a> {
    /// The items of `items` by the value of their merge key `key`.
    pub fn new(items: &'a [Value], key: &str) -> ItemIndex<'a> {
        let mut positions = HashMap::with_capacity(items.len());
        for (position, item) in items.iter().enumerate() {
            if let Some(value) = item.get(key) {
                positions.entry(value.to_string()).or_insert(position);
            }
        }
        ItemIndex { items, positions }
    }

    /// The first item whose merge key has `value`, and its position.
    pub fn find(&self, value: &Value) -> Option<(usize, &'a Value)> {
        let position = *self.positions.get(&value.to_string())?;
        Some((position, &self.items[position]))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_object_without_namespace_takes_the_default_and_loses_server_fields() {
        let stream = "---\n# Source: x\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  uid: abc\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{}'\nspec:\n  replicas: 2\n  template: {spec: {containers: [{name: web, args: [], resources: {}}]}}\nstatus: {replicas: 2}\n";
        let objects = read_stream(stream, Some("erp")).unwrap();
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].key.to_string(), "Deployment.apps erp/web");
        assert_eq!(objects[0].key.resource(), "deployment.apps/web");
        assert_eq!(
            objects[0].value,
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                   "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "web"}]}}}})
        );
    }

    #[test]
    fn scalars_are_typed_as_kubectl_types_them() {
        let stream = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: on}\nmode: 0555\n";
        let objects = read_stream(stream, None).unwrap();
        assert_eq!(objects[0].value["data"]["a"], json!(true));
        assert_eq!(objects[0].value["mode"], json!(365));
    }

    #[test]
    fn string_data_is_folded_into_data() {
        let stream = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {password: hunter2}\ndata: {other: b3RoZXI=}\n";
        let objects = read_stream(stream, None).unwrap();
        assert_eq!(objects[0].value["data"], json!({"password": "aHVudGVyMg==", "other": "b3RoZXI="}));
        assert!(objects[0].value.get("stringData").is_none());
    }

    #[test]
    fn an_empty_map_is_kept_where_it_means_something() {
        let stream = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {}}\nspec: {volumes: [{name: tmp, emptyDir: {}}]}\n";
        let objects = read_stream(stream, None).unwrap();
        assert_eq!(objects[0].value["spec"]["volumes"][0]["emptyDir"], json!({}));
        assert!(objects[0].value["metadata"].get("labels").is_none());
    }

    #[test]
    fn bad_streams_are_refused_with_the_reason() {
        assert!(matches!(read_stream("a: [", None), Err(StreamError::Yaml(_))));
        assert!(matches!(
            read_stream("kind: Pod\nmetadata: {name: p}\n", None),
            Err(StreamError::NotAnObject { document: 1, .. })
        ));
        let twice = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n";
        assert!(matches!(read_stream(twice, None), Err(StreamError::Duplicate(_))));
    }

    #[test]
    fn a_list_stands_for_its_items() {
        let stream = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: a}}\n- {apiVersion: v1, kind: Pod, metadata: {name: b}}\n";
        let names: Vec<_> = read_stream(stream, None).unwrap().into_iter().map(|o| o.key.name).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn an_item_index_finds_the_first_item_with_a_value() {
        let items = [
            json!({"name": "a", "n": 1}),
            json!({"name": "b"}),
            json!({"name": "a", "n": 2}),
            json!({"n": 3}),
        ];
        let index = ItemIndex::new(&items, "name");
        assert_eq!(index.find(&json!("a")), Some((0, &items[0])));
        assert_eq!(index.find(&json!("b")), Some((1, &items[1])));
        assert_eq!(index.find(&json!("c")), None);
        assert_eq!(index.find(&json!(3)), None);
    }

    #[test]
    fn merge_keys_follow_the_api_types() {
        let container_port = json!({"containerPort": 80, "name": "http"});
        let service_port = json!({"port": 80, "name": "http"});
        assert_eq!(merge_key("ports", &[&container_port]), Some("containerPort"));
        assert_eq!(merge_key("ports", &[&service_port]), Some("port"));
        assert_eq!(merge_key("containers", &[&json!({"name": "a"})]), Some("name"));
        assert_eq!(merge_key("args", &[&json!("x")]), None);
        assert_eq!(merge_key("env", &[&json!({"value": "x"})]), None);
    }
}
