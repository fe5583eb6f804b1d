//! The committed JSON Schema stays in step with the types.

use frappe_manifests::diagnostic::{Code, Severity};
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

/// The rules whose fixture the schema rejects: what lint rejects there,
/// JSON Schema says (a pattern, a list of words, a range, a constant, one of
/// the probe's handlers).
const SCHEMA_REJECTS: &[Code] = &[
    Code::UnknownKey,
    Code::InvalidType,
    Code::InvalidValue,
    Code::SchedulerReplicas,
    Code::InClusterService,
    Code::UnsharedSites,
    Code::ProbeHandlers,
    Code::InvalidQuantity,
    Code::InvalidName,
    Code::InvalidHost,
    Code::InvalidPath,
    Code::InvalidPort,
    Code::InvalidEnvName,
    Code::InvalidAccessMode,
    Code::InvalidRedisUrl,
];

/// The error rules the schema does not check, each for a reason the README
/// gives in "Editor support".
const BEYOND_SCHEMA: &[Code] = &[
    // Not about the parsed values: the text, its size, several files, the command line.
    Code::Io,
    Code::YamlSyntax,
    Code::InputLimit,
    Code::DuplicateKey,
    Code::MergeConflict,
    Code::InvalidSet,
    Code::MissingNamespace,
    // A layered file may leave them to another file.
    Code::MissingDatabase,
    Code::MissingRedis,
    // Compare two values, or a value with a default.
    Code::ConflictingKeys,
    Code::HpaReplicas,
    Code::HpaNeedsRequest,
    Code::MissingSecret,
    Code::ProbeSite,
    Code::UnservedAssets,
    Code::UnconfirmedRestore,
    Code::DroppedSite,
    Code::UnmigratedSite,
    // A grammar beyond what a pattern should hold.
    Code::GunicornArgs,
    Code::InvalidSchedule,
    Code::InvalidLabel,
];

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(project_root().join("schema/values.schema.json")).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

fn yaml_file(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_error_rule_is_checked_by_the_schema_or_listed_as_beyond_it() {
    for code in Code::ALL.iter().filter(|c| c.severity() == Severity::Error) {
        let listed = SCHEMA_REJECTS.contains(code) as u8 + BEYOND_SCHEMA.contains(code) as u8;
        assert_eq!(
            listed,
            1,
            "`{}` must be in exactly one of SCHEMA_REJECTS and BEYOND_SCHEMA",
            code.as_str()
        );
    }
    let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
    let at = readme.find("### Editor support").expect("README has an editor section");
    let section = &readme[at..at + readme[at..].find("\n## ").unwrap()];
    for code in BEYOND_SCHEMA {
        assert!(
            section.contains(&format!("`{}`", code.as_str())),
            "README's editor section does not say the schema leaves `{}` to lint",
            code.as_str()
        );
    }
}

/// The schema rejects each fixture of a rule it checks, as lint does.
#[test]
fn the_schema_rejects_what_lint_rejects() {
    let validator = validator();
    for code in SCHEMA_REJECTS {
        let values = yaml_file(&project_root().join(format!("tests/fixtures/rules/{}.yaml", code.as_str())));
        assert!(
            !validator.is_valid(&values),
            "the schema accepts the fixture of `{}`",
            code.as_str()
        );
    }
    let refused = [
        (
            "YAML 1.1's `on` is no boolean to lint",
            serde_json::json!({"nginx": {"enabled": "on"}}),
        ),
        (
            "a second scheduler",
            serde_json::json!({"worker": {"scheduler": {"replicaCount": 2}}}),
        ),
        (
            "no probe handler",
            serde_json::json!({"worker": {"gunicorn": {"livenessProbe": {"periodSeconds": 5}}}}),
        ),
        ("an IP as a host", serde_json::json!({"ingress": {"hosts": [{"host": "10.0.0.1"}]}})),
    ];
    for (what, values) in refused {
        assert!(!validator.is_valid(&values), "the schema accepts {what}");
    }
}

/// The schema accepts every file lint accepts: the examples, the fleet, the
/// chart user's file the project started from, and every fixture of a
/// warning.
#[test]
fn the_schema_accepts_what_lint_accepts() {
    let validator = validator();
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for dir in ["examples", "examples/fleet"] {
        for entry in std::fs::read_dir(project_root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") && !path.ends_with("applicationset.yaml") {
                files.push(path);
            }
        }
    }
    for entry in std::fs::read_dir(project_root().join("examples/fleet/benches")).unwrap() {
        files.push(entry.unwrap().path().join("values.yaml"));
    }
    for code in Code::ALL.iter().filter(|c| c.severity() == Severity::Warning) {
        files.push(project_root().join(format!("tests/fixtures/rules/{}.yaml", code.as_str())));
    }
    let scoopjoy = project_root().join("../shared/reference/scoopjoy-values.yaml");
    if scoopjoy.exists() {
        files.push(scoopjoy);
    } else {
        crate::common::skip_unless_ci("../shared/reference/scoopjoy-values.yaml is not beside the checkout");
    }
    for path in &files {
        let values = yaml_file(path);
        let errors: Vec<String> = validator
            .iter_errors(&values)
            .map(|e| format!("{}: {e}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
    // What YAML tools read as a number or a boolean is the string written.
    let plain = serde_json::json!({"image": {"tag": 15}, "worker": {"gunicorn": {"resources": {"requests": {"cpu": 1}}}}});
    assert!(
        validator.is_valid(&plain),
        "{:?}",
        validator.iter_errors(&plain).map(|e| e.to_string()).collect::<Vec<_>>()
    );
}
