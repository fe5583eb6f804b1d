//! The committed JSON Schema stays in step with the types.

use frappe_manifests::schema;
use serde_json::Value;

use crate::common::{project_root, run, text};

/// Fails with a diff hint when `schema/values.schema.json` is stale;
/// `UPDATE_SCHEMA=1 cargo test` rewrites it.
#[test]
fn the_committed_schema_is_current() {
    let path = project_root().join("schema/values.schema.json");
    let generated = schema::generate_text();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first = committed.lines().zip(generated.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "schema/values.schema.json is stale (first difference at line {}: committed `{}`, generated `{}`); run `UPDATE_SCHEMA=1 cargo test` and commit it",
            first + 1,
            committed.lines().nth(first).unwrap_or(""),
            generated.lines().nth(first).unwrap_or("")
        );
    }
    assert_eq!(text(&run(&["schema"]).stdout), generated);
}

#[test]
fn every_key_is_described_and_closed() {
    let schema = schema::generate();
    fn walk(node: &Value, path: &str, problems: &mut Vec<String>) {
        if let Some(properties) = node.get("properties").and_then(Value::as_object) {
            if node.get("additionalProperties") != Some(&Value::Bool(false)) {
                problems.push(format!("{path} is open to unknown keys"));
            }
            for (name, property) in properties {
                let described =
                    property.get("description").is_some() || property.get("$ref").is_some() && property.get("description").is_some();
                if !described && !path.starts_with("$defs/io.k8s") {
                    problems.push(format!("{path}.{name} has no description"));
                }
                walk(property, &format!("{path}.{name}"), problems);
            }
        }
        if let Some(defs) = node.get("$defs").and_then(Value::as_object) {
            for (name, def) in defs {
                walk(def, &format!("$defs/{name}"), problems);
            }
        }
    }
    let mut problems = Vec::new();
    walk(&schema, "", &mut problems);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_example_points_editors_at_the_schema() {
    for entry in std::fs::read_dir(project_root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let first = std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned();
            assert_eq!(
                first,
                "# yaml-language-server: $schema=../schema/values.schema.json",
                "{}",
                path.display()
            );
        }
    }
}

/// The README's rule table is the `Code` table: every rule, its severity,
/// whether it can be allowed, and its summary, in order.
#[test]
fn the_readmes_rule_table_is_the_code_table() {
    use frappe_manifests::diagnostic::Code;
    let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
    const HEADER: &str = "| code | severity | can be allowed | what it checks |\n|---|---|---|---|\n";
    let mut expected = HEADER.to_owned();
    for code in Code::ALL {
        let allowable = if code.allowable() { "yes" } else { "no" };
        expected.push_str(&format!(
            "| `{}` | {} | {allowable} | {} |\n",
            code.as_str(),
            code.severity().as_str(),
            code.summary()
        ));
    }
    let table = readme.find(HEADER).map(|at| {
        let rest = &readme[at..];
        &rest[..rest.find("\n\n").map_or(rest.len(), |end| end + 1)]
    });
    assert_eq!(table, Some(expected.as_str()), "README.md's rule table should be:\n{expected}");
}

/// The committed schema accepts every example (as editors will check them).
#[test]
fn the_committed_schema_validates_every_example() {
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(project_root().join("schema/values.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema");
    for name in ["production", "minimal", "direct-ingress", "multisite"] {
        let text = std::fs::read_to_string(crate::common::example(name)).unwrap();
        let values: Value = serde_saphyr::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&values)
            .map(|e| format!("{}: {e}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
    let typo: Value = serde_json::json!({"worker": {"gunicorn": {"resources": {"requets": {"cpu": "1"}}}}});
    assert!(
        !validator.is_valid(&typo),
        "the schema rejects unknown keys inside Kubernetes types"
    );
}
