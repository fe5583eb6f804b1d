//! The official chart's own `values.yaml` (erpnext 8.0.75, what `helm show
//! values` prints) reads here as the chart means it: its probe form, the keys
//! only the chart uses, and a render that Kubernetes' schemas accept.

use std::path::PathBuf;
use std::process::Command;

use frappe_manifests::diagnostic::{Code, Colour, Severity, render_human};
use frappe_manifests::emit;
use frappe_manifests::pipeline::{self, Input, Outcome, Request};
use frappe_manifests::values::CHART_ONLY_KEYS;
use serde_json::Value;

use crate::common::{self, MINIMAL, check_text, documents, find, project_root, skip_unless_ci, snapshot_settings, text};

fn chart_values_path() -> PathBuf {
    project_root().join("../shared/reference/frappe-helm-erpnext-8.0.75/values.yaml")
}

/// The chart's values.yaml, whole (`jobs.clearCache` included).
fn chart_values() -> String {
    std::fs::read_to_string(chart_values_path()).unwrap()
}

/// The endpoints a user adds in a second `-f` file.
const ENDPOINTS: &str = "\
dbHost: db.internal
externalRedis:
  cache: redis://cache:6379
  queue: redis://queue:6379
valkey-cache: {enabled: false}
valkey-queue: {enabled: false}
";

fn codes(outcome: &Outcome, severity: Severity) -> Vec<&'static str> {
    let mut codes: Vec<&str> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .map(|d| d.code.as_str())
        .collect();
    codes.sort_unstable();
    codes
}

#[test]
fn the_charts_values_have_no_errors_but_the_data_services() {
    let request = Request {
        files: vec![Input::Path(chart_values_path())],
        ..Default::default()
    };
    let outcome = pipeline::run(&request);
    assert_eq!(
        codes(&outcome, Severity::Error),
        [
            "in-cluster-service",
            "in-cluster-service",
            "missing-database",
            "missing-redis",
            "missing-redis",
        ],
        "{}",
        common::human(&outcome)
    );
    let shown =
        render_human(&outcome.sources, &outcome.diagnostics, Colour::Plain).replace(&project_root().display().to_string(), "<root>");
    snapshot_settings().bind(|| insta::assert_snapshot!("chart-values-lint", shown));
}

/// `render -f values.yaml -f endpoints.yaml`, as a Kubernetes 1.33 client
/// would validate it.
#[test]
fn the_charts_values_render_with_endpoints_and_validate() {
    let dir = tempfile::tempdir().unwrap();
    let (chart, endpoints) = (dir.path().join("values.yaml"), dir.path().join("endpoints.yaml"));
    std::fs::write(&chart, chart_values()).unwrap();
    std::fs::write(&endpoints, ENDPOINTS).unwrap();
    let request = Request {
        files: vec![Input::Path(chart), Input::Path(endpoints)],
        ..Default::default()
    };
    let outcome = pipeline::run(&request);
    let stream = emit::to_yaml_stream(outcome.manifests.as_ref().unwrap_or_else(|| panic!("{}", common::human(&outcome))));
    let docs = documents(&stream);
    // `{override: false, probe: {}}` is the defaults: readiness on the
    // backing services, no liveness probe.
    for worker in ["erpnext-worker-d", "erpnext-worker-s", "erpnext-worker-l", "erpnext-scheduler"] {
        let container = &find(&docs, "Deployment", worker)["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["readinessProbe"]["exec"]["command"][0], "wait-for-it", "{worker}");
        assert!(container.get("livenessProbe").is_none(), "{worker}");
    }
    validate_against_kubernetes_schemas(&stream);
}

/// Validates a stream against the Kubernetes 1.33 OpenAPI schemas, unknown
/// fields rejected, as `kubectl apply --validate=strict` would client-side:
/// with `kubernetes-validate` (PyPI), which ships those schemas, so it needs
/// no cluster and no network.
fn validate_against_kubernetes_schemas(stream: &str) {
    let candidates = [
        project_root().join("target/pyyaml-venv/bin/kubernetes-validate"),
        PathBuf::from("kubernetes-validate"),
    ];
    let Some(validator) = candidates
        .into_iter()
        .find(|program| Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success()))
    else {
        skip_unless_ci(
            "kubernetes-validate is not installed (`.ci/run` installs it into target/pyyaml-venv), so the render is not validated against Kubernetes' schemas here",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bundle.yaml");
    std::fs::write(&file, stream).unwrap();
    let output = Command::new(validator)
        .args(["--kubernetes-version", "1.33.0", "--strict", "--quiet"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
}

/// The Deployment `name` renders from `values`, or the render's errors.
fn container(values: &str, name: &str) -> Result<Value, Vec<&'static str>> {
    let outcome = check_text(values, &[], "erpnext", None);
    match &outcome.manifests {
        Some(manifests) => {
            Ok(find(&documents(&emit::to_yaml_stream(manifests)), "Deployment", name)["spec"]["template"]["spec"]["containers"][0].clone())
        }
        None => Err(codes(&outcome, Severity::Error)),
    }
}

#[test]
fn the_charts_probe_form_means_what_the_chart_means() {
    let exec = "{exec: {command: [pgrep, -f, rq]}, periodSeconds: 30}";
    for (section, deployment) in [
        ("worker: {default:", "erpnext-worker-d"),
        ("worker: {scheduler:", "erpnext-scheduler"),
        ("worker: {gunicorn:", "erpnext-gunicorn"),
    ] {
        let with = |probe: &str| format!("{MINIMAL}{section} {{livenessProbe: {probe}}}}}\n");
        let plain = container(&with(exec), deployment).unwrap();
        // `override: true`: `probe` replaces the default, as a plain probe does.
        let overridden = container(&with(&format!("{{override: true, probe: {exec}}}")), deployment).unwrap();
        assert_eq!(overridden["livenessProbe"], plain["livenessProbe"], "{deployment}");
        assert_eq!(plain["livenessProbe"]["exec"]["command"][0], "pgrep");
        // `override: false`: the default, whatever `probe` holds.
        let default = container(MINIMAL, deployment).unwrap();
        for probe in [
            "{override: false, probe: {}}".to_owned(),
            format!("{{override: false, probe: {exec}}}"),
            format!("{{probe: {exec}}}"),
        ] {
            assert_eq!(
                container(&with(&probe), deployment).unwrap()["livenessProbe"],
                default["livenessProbe"],
                "{deployment}: {probe}"
            );
        }
    }
}

#[test]
fn both_probe_forms_are_checked_alike() {
    let two_handlers = "{tcpSocket: {port: 8000}, exec: {command: [true]}}";
    let http = "{httpGet: {path: /api/method/ping, port: 8000}}";
    for (probe, code) in [
        (two_handlers.to_owned(), "probe-handlers"),
        ("{}".to_owned(), "probe-handlers"),
        ("{tcpSocket: {port: 70000}}".to_owned(), "invalid-port"),
        (http.to_owned(), "probe-site"),
    ] {
        let plain = format!("{MINIMAL}worker: {{gunicorn: {{readinessProbe: {probe}}}}}\n");
        let chart = format!("{MINIMAL}worker: {{gunicorn: {{readinessProbe: {{override: true, probe: {probe}}}}}}}\n");
        assert_eq!(container(&plain, "erpnext-gunicorn").unwrap_err(), [code], "{plain}");
        assert_eq!(container(&chart, "erpnext-gunicorn").unwrap_err(), [code], "{chart}");
    }
    // `override: true` without a probe would render none.
    let bare = format!("{MINIMAL}worker: {{long: {{readinessProbe: {{override: true}}}}}}\n");
    assert_eq!(container(&bare, "erpnext-worker-l").unwrap_err(), ["probe-handlers"]);
    // A probe the chart ignores is said to be ignored; an empty one is the chart's default.
    let ignored = format!("{MINIMAL}worker: {{long: {{readinessProbe: {{override: false, probe: {http}}}}}}}\n");
    let outcome = check_text(&ignored, &[], "erpnext", None);
    let unused = outcome.diagnostics.iter().filter(|d| d.code == Code::UnusedKey).count();
    assert_eq!(unused, 1, "{}", common::human(&outcome));
    assert!(
        outcome.manifests.is_some(),
        "an ignored probe is not checked: {}",
        common::human(&outcome)
    );
    // The chart's form takes no probe fields beside it.
    let mixed = format!("{MINIMAL}worker: {{long: {{readinessProbe: {{override: true, probe: {http}, periodSeconds: 5}}}}}}\n");
    assert_eq!(container(&mixed, "erpnext-worker-l").unwrap_err(), ["unknown-key"]);
}

#[test]
fn each_chart_only_key_gets_one_warning_saying_why() {
    for key in CHART_ONLY_KEYS {
        let mut yaml = String::new();
        for (depth, segment) in key.path.split('.').enumerate() {
            yaml.push_str(&format!("{}{segment}:\n", "  ".repeat(depth)));
        }
        let values = format!("{MINIMAL}{}", yaml.trim_end_matches(":\n").to_owned() + ": anything\n");
        let outcome = check_text(&values, &[], "erpnext", None);
        let fired: Vec<_> = outcome.diagnostics.iter().filter(|d| d.code == Code::ChartOnlyKey).collect();
        assert_eq!(fired.len(), 1, "{}: {}", key.path, common::human(&outcome));
        assert_eq!(fired[0].field.as_deref(), Some(key.path));
        assert!(fired[0].message.contains(key.reason), "{}", fired[0].message);
        assert!(outcome.manifests.is_some(), "{}: {}", key.path, common::human(&outcome));
    }
    // Anywhere else the same name is a typo.
    let misplaced = format!("{MINIMAL}worker: {{default: {{healthProbe: x}}}}\n");
    let outcome = check_text(&misplaced, &[], "erpnext", None);
    assert_eq!(codes(&outcome, Severity::Error), ["unknown-key"]);
}

#[test]
fn the_readme_lists_the_chart_only_keys() {
    let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
    let rows: Vec<String> = readme
        .lines()
        .map(str::trim)
        .skip_while(|line| *line != "| key | why it is ignored |")
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(str::to_owned)
        .collect();
    let expected: Vec<String> = CHART_ONLY_KEYS
        .iter()
        .map(|key| format!("| `{}` | {} |", key.path, key.reason))
        .collect();
    assert_eq!(rows, expected);
}

#[test]
fn the_committed_schema_accepts_the_charts_values() {
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(project_root().join("schema/values.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut values: Value = serde_saphyr::from_str(&chart_values()).unwrap();
    // The endpoints file's change; with `enabled: true` the schema rejects them, as lint does.
    for service in ["valkey-cache", "valkey-queue"] {
        values[service]["enabled"] = Value::Bool(false);
    }
    // The data services' other keys, which lint ignores, the schema still
    // closes (`every_key_is_described_and_closed`); not this test's subject.
    for (_, section) in values.as_object_mut().unwrap().iter_mut().filter(|(key, _)| {
        frappe_manifests::values::Values::default()
            .data_services()
            .iter()
            .any(|(name, _)| name == key)
    }) {
        section.as_object_mut().unwrap().retain(|key, _| key == "enabled");
    }
    let errors: Vec<String> = validator
        .iter_errors(&values)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mixed = serde_json::json!({"worker": {"default": {"livenessProbe": {"override": true, "probe": {}, "periodSeconds": 5}}}});
    assert!(!validator.is_valid(&mixed), "the chart's form takes no probe fields beside it");
}

/// The names of the objects of `kind` that `values` renders for the release
/// `frappe-bench` (fullname `frappe-bench-erpnext`, as helm names it).
fn names_of(values: &str, kind: &str) -> Vec<String> {
    let outcome = check_text(values, &[], "frappe-bench", None);
    let manifests = outcome.manifests.as_ref().unwrap_or_else(|| panic!("{}", common::human(&outcome)));
    documents(&emit::to_yaml_stream(manifests))
        .iter()
        .filter(|d| d["kind"] == kind)
        .map(|d| d["metadata"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_httproute_has_the_charts_name() {
    // The chart names it `<fullname>-httproute` unless `httproute.name`
    // says otherwise: under another name, a takeover would delete the
    // chart's route and create a second one.
    let route = format!("{MINIMAL}httproute: {{enabled: true}}\n");
    assert_eq!(names_of(&route, "HTTPRoute"), ["frappe-bench-erpnext-httproute"]);
    let named = format!("{MINIMAL}httproute: {{enabled: true, name: erp-route}}\n");
    assert_eq!(names_of(&named, "HTTPRoute"), ["erp-route"]);
}

/// The command of the configure Job's `fixVolume` init container.
/// The command of the first container of `containers` (`initContainers` or
/// `containers`) in the Job whose name starts with `erpnext-<job>-`.
fn job_command(values: &str, job: &str, containers: &str) -> Value {
    let outcome = check_text(values, &[], "erpnext", None);
    let manifests = outcome.manifests.as_ref().unwrap_or_else(|| panic!("{}", common::human(&outcome)));
    let docs = documents(&emit::to_yaml_stream(manifests));
    let prefix = format!("erpnext-{job}-");
    let job = docs
        .iter()
        .find(|d| d["kind"] == "Job" && d["metadata"]["name"].as_str().unwrap().starts_with(&prefix))
        .unwrap_or_else(|| panic!("a {prefix} Job"));
    job["spec"]["template"]["spec"][containers][0]["command"].clone()
}

fn fix_volume_command(values: &str) -> Value {
    job_command(values, "configure", "initContainers")
}

/// `jobs.volumePermissions` gives the bench to the same user as `fixVolume`,
/// as the chart's Job chowns to `securityContext.runAsUser`
/// (`job-fix-volume-permission.yaml`); 1000:1000 whatever the user would
/// leave a bench that runs as another unable to write its sites.
#[test]
fn volume_permissions_gives_the_bench_to_the_user_it_runs_as() {
    let job = format!("{MINIMAL}jobs: {{volumePermissions: {{enabled: true}}}}\n");
    let chown = |owner: &str| serde_json::json!(["chown", "-R", owner, "/home/frappe/frappe-bench"]);
    assert_eq!(job_command(&job, "volume-permissions", "containers"), chown("1000:1000"));
    let pod = "podSecurityContext: {runAsUser: 1002, runAsGroup: 1003, fsGroup: 1003}\n";
    assert_eq!(
        job_command(&format!("{job}{pod}"), "volume-permissions", "containers"),
        chown("1002:1003")
    );
}

#[test]
fn fix_volume_gives_the_volumes_to_the_user_the_bench_runs_as() {
    // The chart chowns to `securityContext.runAsUser` (default 1000): the
    // volumes must belong to the user the bench's processes run as, or
    // they cannot write their sites.
    let fix = format!("{MINIMAL}jobs: {{configure: {{fixVolume: true}}}}\n");
    let dirs = ["/home/frappe/frappe-bench/sites", "/home/frappe/frappe-bench/logs"];
    let chown = |owner: &str| serde_json::json!(["chown", "-R", owner, dirs[0], dirs[1]]);
    assert_eq!(fix_volume_command(&fix), chown("1000:1000"));
    // The containers' own user, with the pod's group (the restricted default's).
    assert_eq!(
        fix_volume_command(&format!("{fix}securityContext: {{runAsUser: 1001}}\n")),
        chown("1001:1000")
    );
    // The pod's, when the containers set none.
    let pod = "podSecurityContext: {runAsUser: 1002, runAsGroup: 1003, fsGroup: 1003}\n";
    assert_eq!(fix_volume_command(&format!("{fix}{pod}")), chown("1002:1003"));
    // A user without a group anywhere: the user's number, as the chart does.
    let pod = "podSecurityContext: {runAsUser: 1004}\n";
    assert_eq!(fix_volume_command(&format!("{fix}{pod}")), chown("1004:1004"));
}

#[test]
fn a_claim_that_is_not_mounted_is_an_unused_key() {
    // As in the chart, `enabled: false` gives an emptyDir whatever
    // `existingClaim` names: the sites on that claim would not be there.
    for volume in ["worker", "logs"] {
        let values = format!("{MINIMAL}persistence: {{{volume}: {{enabled: false, existingClaim: erp-{volume}}}}}\n");
        let outcome = check_text(&values, &[], "erpnext", None);
        let field = format!("persistence.{volume}.existingClaim");
        let warning = outcome
            .diagnostics
            .iter()
            .find(|d| d.code == Code::UnusedKey && d.field.as_deref() == Some(field.as_str()))
            .unwrap_or_else(|| panic!("no unused-key at {field}: {}", common::human(&outcome)));
        assert_eq!(warning.severity, Severity::Warning);
        assert!(warning.help.as_deref().unwrap_or_default().contains("enabled: true"), "{warning:?}");
        // Mounted, the claim is used.
        let mounted = format!("{MINIMAL}persistence: {{{volume}: {{enabled: true, existingClaim: erp-{volume}}}}}\n");
        let warnings = codes(&check_text(&mounted, &[], "erpnext", None), Severity::Warning);
        assert!(!warnings.contains(&"unused-key"), "{warnings:?}");
    }
}
