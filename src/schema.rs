//! The JSON Schema of the values file, and `explain`, which reads it.
//!
//! The schema is generated from the same types that parse the values, so it
//! cannot drift from what the tool accepts. k8s-openapi's schemas leave
//! unknown properties open; a transform closes every object that lists its
//! properties, because the tool rejects unknown keys there too.

use schemars::generate::SchemaSettings;
use schemars::transform::{RecursiveTransform, Transform};
use serde_json::Value as Json;

use crate::error::Error;
use crate::values::Values;

/// The schema as a JSON value.
pub fn generate() -> Json {
    let mut transform = RecursiveTransform(close_objects);
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<Values>();
    transform.transform(&mut schema);
    schema.to_value()
}

/// The schema as committed in `schema/values.schema.json`.
pub fn generate_text() -> String {
    let mut text = serde_json::to_string_pretty(&generate()).expect("a schema serializes");
    text.push('\n');
    text
}

fn close_objects(schema: &mut schemars::Schema) {
    if let Some(object) = schema.as_object_mut()
        && object.contains_key("properties")
        && !object.contains_key("additionalProperties")
    {
        object.insert("additionalProperties".to_owned(), Json::Bool(false));
    }
}

/// `explain worker.gunicorn.autoscaling`: type, default and description of a key.
pub fn explain(key: &str) -> Result<String, Error> {
    let root = generate();
    let mut node = &root;
    let mut default = None;
    let mut walked = Vec::new();
    for segment in key.split('.').filter(|s| !s.is_empty()) {
        let object = resolve(&root, node);
        let properties = object.get("properties").and_then(Json::as_object);
        let Some(child) = properties.and_then(|p| p.get(segment)) else {
            let known: Vec<String> = properties.map(|p| p.keys().cloned().collect()).unwrap_or_default();
            return Err(Error::UnknownKey {
                key: segment.to_owned(),
                parent: (!walked.is_empty()).then(|| walked.join(".")),
                suggestion: crate::suggest::closest(segment, known.iter().map(String::as_str)).map(str::to_owned),
                known,
            });
        };
        default = object
            .get("default")
            .and_then(|d| d.get(segment))
            .cloned()
            .or_else(|| child.get("default").cloned());
        walked.push(segment);
        node = child;
    }
    let resolved = resolve(&root, node);
    let description = node
        .get("description")
        .or_else(|| resolved.get("description"))
        .and_then(Json::as_str)
        .unwrap_or("(no description)");
    let mut out = format!(
        "KEY:     {}\nTYPE:    {}\n",
        if walked.is_empty() {
            "(top level)".to_owned()
        } else {
            walked.join(".")
        },
        type_name(&root, node)
    );
    if let Some(default) = default {
        let shown = serde_json::to_string(&default).unwrap_or_default();
        out.push_str(&format!("DEFAULT: {shown}\n"));
    }
    out.push_str(&format!("\n{description}\n"));
    if let Some(properties) = resolved.get("properties").and_then(Json::as_object) {
        out.push_str("\nKEYS:\n");
        for (name, property) in properties {
            let summary = property
                .get("description")
                .or_else(|| resolve(&root, property).get("description"))
                .and_then(Json::as_str)
                .and_then(|d| d.split(". ").next())
                .unwrap_or("");
            out.push_str(&format!("  {name:<28} {}\n", summary.trim_end_matches('.')));
        }
    }
    Ok(out)
}

/// Follows `$ref` (alone or in a one-element `allOf`/`anyOf` with null).
fn resolve<'a>(root: &'a Json, node: &'a Json) -> &'a Json {
    if let Some(reference) = node.get("$ref").and_then(Json::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        if let Some(target) = root.get("$defs").and_then(|d| d.get(name)) {
            return resolve(root, target);
        }
    }
    for combinator in ["allOf", "anyOf", "oneOf"] {
        if let Some(options) = node.get(combinator).and_then(Json::as_array)
            && let Some(first) = options.iter().find(|o| o.get("type") != Some(&Json::String("null".to_owned())))
        {
            return resolve(root, first);
        }
    }
    node
}

fn type_name(root: &Json, node: &Json) -> String {
    let resolved = resolve(root, node);
    match resolved.get("type") {
        Some(Json::String(t)) => t.clone(),
        Some(Json::Array(types)) => types.iter().filter_map(Json::as_str).collect::<Vec<_>>().join(" | "),
        _ if resolved.get("enum").is_some() => {
            let words: Vec<String> = resolved["enum"].as_array().into_iter().flatten().map(|v| v.to_string()).collect();
            format!("one of {}", words.join(", "))
        }
        _ if resolved.get("oneOf").is_some() => "one of several forms".to_owned(),
        _ => "any".to_owned(),
    }
}
