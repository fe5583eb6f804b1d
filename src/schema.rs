//! The JSON Schema of the values file, and `explain`, which reads it.
//!
//! The schema is generated from the same types that parse the values, so it
//! cannot drift from what the tool accepts, and rejects what lint rejects
//! wherever JSON Schema can say it: the values' own forms come from
//! attributes on their types ([`crate::values::forms`]); transforms here
//! say what holds of every schema of a kind:
//!
//! - k8s-openapi's objects leave unknown properties open; every object that
//!   lists its properties is closed, because the tool rejects unknown keys
//!   there too.
//! - A plain `120` or `true` where a string is wanted is that string to the
//!   tool (with a `yaml11-scalar` warning), so a free string accepts numbers
//!   and booleans too; a string with a pattern or a list of words does not.
//! - A 32-bit integer is bounded, as the tool bounds it.
//! - A resource quantity is a number or a string of the quantity's form; a
//!   probe has exactly one handler; an environment variable's name has its
//!   form (k8s-openapi's schemas leave all three open).
//!
//! What JSON Schema cannot say (a rule that compares two values, or depends
//! on defaults, other files or the command line) the README lists.

use schemars::generate::SchemaSettings;
use schemars::transform::{RecursiveTransform, Transform};
use serde_json::{Value as Json, json};

use crate::error::Error;
use crate::values::{CHART_ONLY_KEYS, Values, forms};

/// The schema as a JSON value.
pub fn generate() -> Json {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<Values>();
    RecursiveTransform(|schema: &mut schemars::Schema| {
        close_objects(schema);
        accept_plain_scalars(schema);
        bound_int32(schema);
    })
    .transform(&mut schema);
    if let Some(defs) = schema.get_mut("$defs").and_then(Json::as_object_mut) {
        tighten_kubernetes_types(defs);
    }
    let mut schema = schema.to_value();
    add_chart_only_keys(&mut schema);
    schema
}

/// The chart's keys that lint accepts with a warning, so that an editor
/// does not mark a values file written for the chart as wrong.
fn add_chart_only_keys(root: &mut Json) {
    for key in CHART_ONLY_KEYS {
        let (parents, name) = key.path.rsplit_once('.').unwrap_or(("", key.path));
        let mut pointer = String::new();
        for segment in parents.split('.').filter(|s| !s.is_empty()) {
            pointer = format!("{pointer}/properties/{segment}");
            while let Some(target) = root.pointer(&pointer).and_then(|s| s.get("$ref")).and_then(Json::as_str) {
                pointer = target.trim_start_matches('#').to_owned();
            }
        }
        let properties = root
            .pointer_mut(&format!("{pointer}/properties"))
            .and_then(Json::as_object_mut)
            .unwrap_or_else(|| panic!("the chart-only key `{}` is below a key the schema has", key.path));
        properties.insert(
            name.to_owned(),
            serde_json::json!({
                "description": format!("A key of the official chart, ignored here: {}.", key.reason),
                "deprecated": true,
            }),
        );
    }
}

/// The schema as committed in `schema/values.schema.json`.
pub fn generate_text() -> String {
    let mut text = serde_json::to_string_pretty(&generate()).expect("a schema serializes");
    text.push('\n');
    text
}

/// Closes every object type, not the `if`/`then` conditions that only name
/// some of an object's keys (they have no `type`).
fn close_objects(schema: &mut schemars::Schema) {
    if let Some(object) = schema.as_object_mut()
        && object.contains_key("properties")
        && object.contains_key("type")
        && !object.contains_key("additionalProperties")
    {
        object.insert("additionalProperties".to_owned(), Json::Bool(false));
    }
}

/// A string the tool reads from any plain scalar also takes what YAML
/// tools read as a number or a boolean.
fn accept_plain_scalars(schema: &mut schemars::Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if ["pattern", "enum", "const", "format"].iter().any(|k| object.contains_key(*k)) {
        return;
    }
    let widened = match object.get("type") {
        Some(Json::String(t)) if t == "string" => json!(["string", "number", "boolean"]),
        Some(Json::Array(types)) if types.iter().any(|t| t == "string") => {
            let mut types = types.clone();
            types.extend([json!("number"), json!("boolean")]);
            Json::Array(types)
        }
        _ => return,
    };
    object.insert("type".to_owned(), widened);
}

/// An `int32` is bounded, as the tool refuses what does not fit.
fn bound_int32(schema: &mut schemars::Schema) {
    if let Some(object) = schema.as_object_mut()
        && object.get("format").and_then(Json::as_str) == Some("int32")
    {
        object.entry("minimum").or_insert(json!(i32::MIN));
        object.entry("maximum").or_insert(json!(i32::MAX));
    }
}

/// What the tool checks of Kubernetes types whose schemas k8s-openapi
/// leaves open.
fn tighten_kubernetes_types(defs: &mut serde_json::Map<String, Json>) {
    if let Some(quantity) = defs.get_mut("io.k8s.apimachinery.pkg.api.resource.Quantity") {
        quantity["anyOf"] = json!([{"type": "number"}, {"type": "string", "pattern": forms::QUANTITY}]);
    }
    if let Some(probe) = defs.get_mut("io.k8s.api.core.v1.Probe") {
        let handlers = ["exec", "httpGet", "tcpSocket", "grpc"];
        probe["oneOf"] = handlers.iter().map(|h| json!({"required": [h]})).collect();
    }
    if let Some(name) = defs
        .get_mut("io.k8s.api.core.v1.EnvVar")
        .and_then(|env| env.pointer_mut("/properties/name"))
    {
        name["pattern"] = json!(forms::ENV_VAR_NAME);
        name["type"] = json!("string");
    }
}

/// How wide `explain` wraps its text.
const WIDTH: usize = 100;

/// Where the summaries of the KEYS list start.
const SUMMARY_COLUMN: usize = 31;

/// `explain worker.gunicorn.autoscaling`: type, default and description of a
/// key. A list's items are reached with `[]` (`ingress.hosts[].host`), an
/// index (`ingress.hosts[0].host`), or, as `kubectl explain` does, by naming
/// the item's key after the list's (`ingress.hosts.host`).
pub fn explain(key: &str) -> Result<String, Error> {
    let root = generate();
    let mut node = &root;
    let mut default = None;
    let mut walked = String::new();
    for segment in key.split('.').filter(|s| !s.is_empty()) {
        let (name, indexes) = match segment.find('[') {
            Some(i) => (&segment[..i], &segment[i..]),
            None => (segment, ""),
        };
        if !name.is_empty() {
            // `ingress.hosts.host`: a key of the list's items.
            if resolve(&root, node).get("properties").is_none()
                && let Some(items) = items(&root, node)
            {
                node = items;
                default = None;
                walked.push_str("[]");
            }
            (node, default) = step_into_key(&root, node, default, name, &walked)?;
            if !walked.is_empty() {
                walked.push('.');
            }
            walked.push_str(name);
        }
        let mut rest = indexes;
        while !rest.is_empty() {
            let index = rest
                .strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .filter(|(inside, _)| inside.is_empty() || inside.parse::<usize>().is_ok());
            let Some((_, after)) = index else {
                return Err(Error::ListItemSyntax {
                    segment: segment.to_owned(),
                });
            };
            let Some(items) = items(&root, node) else {
                return Err(Error::NotAList { key: walked });
            };
            node = items;
            default = None;
            walked.push_str("[]");
            rest = after;
        }
    }
    let resolved = resolve(&root, node);
    let description = node
        .get("description")
        .or_else(|| resolved.get("description"))
        .and_then(Json::as_str)
        .unwrap_or("(no description)");
    let mut out = format!(
        "KEY:     {}\nTYPE:    {}\n",
        if walked.is_empty() { "(top level)" } else { &walked },
        type_name(&root, node)
    );
    if let Some(default) = default {
        let shown = serde_json::to_string(&default).unwrap_or_default();
        out.push_str(&format!("DEFAULT: {shown}\n"));
    }
    out.push('\n');
    out.push_str(&wrap(description, "", ""));
    // A list's keys are its items'; a key with several forms (a probe: a
    // Kubernetes probe or the chart's `{override, probe}`) shows each.
    let listed = items(&root, node).unwrap_or(node);
    let forms = object_forms(&root, listed);
    for (i, form) in forms.iter().enumerate() {
        if forms.len() > 1 {
            let summary = form.get("description").and_then(Json::as_str).unwrap_or("");
            let summary = summary.split("\n\n").next().unwrap_or("");
            out.push_str(&format!("\nFORM {}:", i + 1));
            out.push_str(&wrap(summary, " ", "        "));
        }
        push_keys(&mut out, &root, form);
    }
    Ok(out)
}

/// The object schemas `node` can be: itself, or each form of a combinator
/// that has keys.
fn object_forms<'a>(root: &'a Json, node: &'a Json) -> Vec<&'a Json> {
    let resolved = resolve(root, node);
    if resolved.get("properties").is_some() {
        return vec![resolved];
    }
    ["anyOf", "oneOf"]
        .iter()
        .filter_map(|combinator| resolved.get(*combinator).and_then(Json::as_array))
        .flatten()
        .map(|form| resolve(root, form))
        .filter(|form| form.get("properties").is_some())
        .collect()
}

/// The KEYS section: each key of `object` with the first paragraph of its
/// description, wrapped under the summary column.
fn push_keys(out: &mut String, root: &Json, object: &Json) {
    let Some(properties) = object.get("properties").and_then(Json::as_object) else {
        return;
    };
    out.push_str("\nKEYS:\n");
    for (name, property) in properties {
        let description = property
            .get("description")
            .or_else(|| resolve(root, property).get("description"))
            .and_then(Json::as_str)
            .unwrap_or("");
        // The first paragraph, whole: the rest is one `explain` away.
        let summary = description.split("\n\n").next().unwrap_or("");
        let name = format!("  {name}");
        let indent = " ".repeat(SUMMARY_COLUMN);
        if name.len() < SUMMARY_COLUMN - 1 {
            let first = format!("{name:<width$}", width = SUMMARY_COLUMN);
            out.push_str(&wrap(summary, &first, &indent));
        } else {
            out.push_str(&format!("{name}\n"));
            out.push_str(&wrap(summary, &indent, &indent));
        }
    }
}

/// The property `name` of `node`, with its default (from `default`, the
/// default of `node` as its parent gives it, or the schemas').
fn step_into_key<'a>(
    root: &'a Json,
    node: &'a Json,
    default: Option<Json>,
    name: &str,
    walked: &str,
) -> Result<(&'a Json, Option<Json>), Error> {
    let forms = object_forms(root, node);
    let found = forms.iter().find_map(|form| Some((*form, form.get("properties")?.get(name)?)));
    let Some((object, child)) = found else {
        let known: Vec<String> = forms
            .iter()
            .filter_map(|form| form.get("properties").and_then(Json::as_object))
            .flat_map(|p| p.keys().cloned())
            .collect();
        return Err(Error::UnknownKey {
            key: name.to_owned(),
            parent: (!walked.is_empty()).then(|| walked.to_owned()),
            suggestion: crate::suggest::closest(name, known.iter().map(String::as_str)).map(str::to_owned),
            known,
        });
    };
    let default = default
        .as_ref()
        .and_then(|d| d.get(name))
        .or_else(|| object.get("default").and_then(|d| d.get(name)))
        .or_else(|| child.get("default"))
        .cloned();
    Ok((child, default))
}

/// The schema of a list's items, when `node` is a list.
fn items<'a>(root: &'a Json, node: &'a Json) -> Option<&'a Json> {
    resolve(root, node).get("items").filter(|items| items.is_object())
}

/// `text` reflowed to [`WIDTH`] columns: the first line starts with `first`,
/// the others with `indent`. Paragraphs, list items (`- `, `* `, `1. `) and
/// indented lines keep their own lines; other line breaks of the doc
/// comments the text comes from are only wrapping.
fn wrap(text: &str, first: &str, indent: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_end();
        let starts_own_line = trimmed.is_empty()
            || line.starts_with(' ')
            || ["- ", "* "].iter().any(|m| trimmed.starts_with(m))
            || trimmed
                .split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        match lines.last_mut() {
            Some(last) if !starts_own_line && !last.is_empty() => {
                last.push(' ');
                last.push_str(trimmed.trim_start());
            }
            _ => lines.push(trimmed.to_owned()),
        }
    }
    let mut out = String::new();
    let mut prefix = first;
    for line in lines {
        let mut current = prefix.to_owned();
        let mut empty = true;
        for word in line.split(' ') {
            let fits = current.chars().count() + 1 + word.chars().count() <= WIDTH;
            if !empty && !fits {
                out.push_str(current.trim_end());
                out.push('\n');
                current = indent.to_owned();
                empty = true;
            }
            if !empty {
                current.push(' ');
            }
            current.push_str(word);
            empty = false;
        }
        out.push_str(current.trim_end());
        out.push('\n');
        prefix = indent;
    }
    if out.is_empty() {
        out.push_str(first.trim_end());
        out.push('\n');
    }
    out
}

/// Follows `$ref` (alone or in a one-element `allOf`/`anyOf` with null).
fn resolve<'a>(root: &'a Json, node: &'a Json) -> &'a Json {
    if let Some(reference) = node.get("$ref").and_then(Json::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        if let Some(target) = root.get("$defs").and_then(|d| d.get(name)) {
            return resolve(root, target);
        }
    }
    // Only a single schema behind a combinator is the node's: a probe's
    // `oneOf` of handlers, or a quantity's `anyOf` of forms, constrain it.
    for combinator in ["allOf", "anyOf", "oneOf"] {
        if let Some(options) = node.get(combinator).and_then(Json::as_array) {
            let mut forms = options.iter().filter(|o| o.get("type") != Some(&Json::String("null".to_owned())));
            if let (Some(only), None) = (forms.next(), forms.next()) {
                return resolve(root, only);
            }
        }
    }
    node
}

fn type_name(root: &Json, node: &Json) -> String {
    let resolved = resolve(root, node);
    if let Some(items) = items(root, node) {
        return format!("array of {}", type_name(root, items));
    }
    match resolved.get("type") {
        Some(Json::String(t)) => t.clone(),
        Some(Json::Array(types)) => {
            let types: Vec<&str> = types.iter().filter_map(Json::as_str).collect();
            // A string that also takes plain numbers and booleans (see
            // `accept_plain_scalars`) is a string to the reader.
            let widened = types.contains(&"string");
            let shown: Vec<&str> = types
                .into_iter()
                .filter(|t| !widened || !matches!(*t, "number" | "boolean"))
                .collect();
            shown.join(" | ")
        }
        _ if resolved.get("enum").is_some() => {
            let words: Vec<String> = resolved["enum"].as_array().into_iter().flatten().map(|v| v.to_string()).collect();
            format!("one of {}", words.join(", "))
        }
        _ if resolved.get("oneOf").or_else(|| resolved.get("anyOf")).is_some() => {
            let forms = resolved.get("oneOf").or_else(|| resolved.get("anyOf")).and_then(Json::as_array);
            let types: Option<Vec<&str>> = forms.into_iter().flatten().map(|f| f.get("type").and_then(Json::as_str)).collect();
            match types {
                Some(types) if !types.is_empty() => types.join(" | "),
                _ => "one of several forms".to_owned(),
            }
        }
        _ => "any".to_owned(),
    }
}
