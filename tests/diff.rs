//! `diff`: a render compared with a YAML stream, against real helm output
//! of the official chart and against the render itself.

use serde_json::Value;

use crate::common::{self, documents, run, run_with_stdin, text};

/// `helm template` of the official chart (8.0.75) on the seed's values, as
/// `../shared/reference/frappe-helm-chart.md` describes.
pub(crate) const CHART_RENDER: &str = "../shared/reference/frappe-helm-erpnext-8.0.75/render-of-scoopjoy-values.yaml";

/// The seed's values, which that render is of.
pub(crate) const SEED_VALUES: &str = "../shared/reference/scoopjoy-values.yaml";

/// The same values given to this tool, with the chart render's release and namespace.
pub(crate) const SEED_RENDER: &[&str] = &["-f", SEED_VALUES, "--release", "frappe-bench", "-n", "erpnext"];

fn diff(extra: &[&str]) -> std::process::Output {
    let mut args = vec!["diff"];
    args.extend_from_slice(SEED_RENDER);
    args.extend_from_slice(extra);
    run(&args)
}

fn rendered_seed() -> String {
    let mut args = vec!["render"];
    args.extend_from_slice(SEED_RENDER);
    let output = run(&args);
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout)
}

#[test]
fn a_render_against_itself_prints_nothing_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("own.yaml");
    std::fs::write(&own, rendered_seed()).unwrap();
    let output = diff(&["--against", own.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "");
}

#[test]
fn order_formatting_and_a_missing_namespace_are_no_changes() {
    // The same objects, last first, written as JSON (every string quoted,
    // flow style), without their namespace (as `helm get manifest` prints
    // them), and a CPU request of 250m written as the number 0.25.
    let mut docs = documents(&rendered_seed());
    docs.reverse();
    let mut changed_quantity = false;
    let stream: String = docs
        .iter_mut()
        .map(|doc| {
            doc["metadata"].as_object_mut().unwrap().remove("namespace");
            if let Some(containers) = doc.pointer_mut("/spec/template/spec/containers") {
                for container in containers.as_array_mut().unwrap() {
                    if container["resources"]["requests"]["cpu"] == "250m" {
                        container["resources"]["requests"]["cpu"] = serde_json::json!(0.25);
                        changed_quantity = true;
                    }
                }
            }
            format!("---\n{doc}\n")
        })
        .collect();
    assert!(changed_quantity, "the seed asks 250m of some container");
    let output = run_with_stdin(
        &[
            "diff",
            SEED_RENDER[0],
            SEED_RENDER[1],
            "--release",
            "frappe-bench",
            "-n",
            "erpnext",
            "--against",
            "-",
        ],
        Some(stream.as_bytes()),
    );
    assert_eq!(output.status.code(), Some(0), "{}{}", text(&output.stdout), text(&output.stderr));
    assert_eq!(text(&output.stdout), "");
}

#[test]
fn against_the_charts_render_every_object_level_change_is_shown_and_exits_1() {
    let output = diff(&["--against", CHART_RENDER, "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).expect("--format json prints JSON");
    assert_eq!(report["changed"], true);
    let objects = report["objects"].as_array().unwrap();
    let with = |change: &str| -> Vec<String> {
        objects
            .iter()
            .filter(|o| o["change"] == change)
            .map(|o| format!("{}/{}", o["kind"].as_str().unwrap(), o["name"].as_str().unwrap()))
            .collect()
    };
    // What only the chart deploys: its in-cluster Valkey (the seed's
    // `redisCacheHost` means nothing to the chart), its timestamped
    // configure Job and its test Pod.
    let mut removed = with("removed");
    removed.sort();
    assert_eq!(
        removed,
        [
            "ConfigMap/frappe-bench-valkey-cache-init-scripts",
            "ConfigMap/frappe-bench-valkey-queue-init-scripts",
            "Deployment/frappe-bench-valkey-cache",
            "Deployment/frappe-bench-valkey-queue",
            "Job/frappe-bench-erpnext-conf-bench-TIMESTAMP",
            "Pod/frappe-bench-erpnext-test-connection",
            "Service/frappe-bench-valkey-cache",
            "Service/frappe-bench-valkey-queue",
            "ServiceAccount/frappe-bench-valkey-cache",
            "ServiceAccount/frappe-bench-valkey-queue",
        ]
    );
    let added = with("added");
    assert!(added.contains(&"ConfigMap/frappe-bench-erpnext-config".to_owned()), "{added:?}");
    assert!(
        added.iter().any(|a| a.starts_with("Job/frappe-bench-erpnext-configure-")),
        "{added:?}"
    );
    assert_eq!(
        added.iter().filter(|a| a.starts_with("PodDisruptionBudget/")).count(),
        6,
        "{added:?}"
    );
    // Every object both have differs (labels at least), and none is matched
    // wrongly: the same names, namespace taken from the render.
    let changed = with("changed");
    assert_eq!(changed.len(), 14, "{changed:?}");
    assert!(objects.iter().all(|o| o["namespace"] == "erpnext"));

    let fields = |name: &str| -> Vec<(String, Value, Value)> {
        objects.iter().find(|o| o["kind"] == "Deployment" && o["name"] == name).unwrap()["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["path"].as_str().unwrap().to_owned(), f["before"].clone(), f["after"].clone()))
            .collect()
    };
    let gunicorn = fields("frappe-bench-erpnext-gunicorn");
    let removed_field = |fields: &[(String, Value, Value)], path: &str| fields.iter().any(|(p, _, after)| p == path && after.is_null());
    for path in [
        "spec.template.spec.containers[0].securityContext.capabilities.add",
        "spec.template.spec.securityContext.supplementalGroups",
        "spec.template.spec.containers[0].livenessProbe.tcpSocket",
        "metadata.labels[\"helm.sh/chart\"]",
    ] {
        assert!(removed_field(&gunicorn, path), "{path} is not shown removed: {gunicorn:?}");
    }
    let worker = fields("frappe-bench-erpnext-worker-d");
    assert!(
        removed_field(&worker, "spec.template.spec.containers[0].livenessProbe"),
        "{worker:?}"
    );
    // Quantities the chart quotes ("50Gi", "1") read the same as ours: only
    // the labels and the claim's Argo CD annotation differ.
    let claim = objects
        .iter()
        .find(|o| o["kind"] == "PersistentVolumeClaim" && o["name"] == "frappe-bench-erpnext")
        .unwrap();
    assert!(
        claim["fields"].as_array().unwrap().iter().all(|f| {
            let path = f["path"].as_str().unwrap();
            path.starts_with("metadata.labels") || path == "metadata.annotations"
        }),
        "{claim}"
    );
}

#[test]
fn the_human_diff_is_unified_and_names_each_field() {
    let output = diff(&["--against", CHART_RENDER]);
    assert_eq!(output.status.code(), Some(1));
    let shown = text(&output.stdout);
    let gunicorn = shown
        .split("\nchanged ")
        .find(|part| part.starts_with("Deployment.apps erpnext/frappe-bench-erpnext-gunicorn\n"))
        .expect("the gunicorn Deployment is shown changed");
    for line in [
        "-            add:",
        "-            - CAP_CHOWN",
        "-        supplementalGroups:",
        "+          readOnlyRootFilesystem: true",
        "-          tcpSocket:",
    ] {
        assert!(gunicorn.lines().any(|l| l == line), "no line {line:?} in:\n{gunicorn}");
    }
    assert!(
        gunicorn
            .lines()
            .any(|l| l.starts_with("@@ -") && l.ends_with(" spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation")),
        "hunks name their first changed field:\n{gunicorn}"
    );
    assert!(
        shown.contains("\nremoved Deployment.apps erpnext/frappe-bench-valkey-queue\n"),
        "{shown}"
    );
    assert!(shown.ends_with("14 changed, 8 added, 10 removed, 0 unchanged\n"), "{shown}");
    assert!(
        !shown.contains('\u{1b}'),
        "NO_COLOR (set by the test harness) keeps the output plain"
    );
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    // The binary's stdout is a pipe here: no colour, even without NO_COLOR.
    let output = std::process::Command::new(crate::common::binary())
        .args([
            "diff",
            "-f",
            SEED_VALUES,
            "--release",
            "frappe-bench",
            "-n",
            "erpnext",
            "--against",
            CHART_RENDER,
        ])
        .current_dir(common::project_root())
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(!text(&output.stdout).contains('\u{1b}'));
}

#[test]
fn secrets_are_never_printed() {
    // The chart puts the database root password into its Secret (as
    // stringData) and the queue Redis URL, password included, into the
    // configure Job's env and every worker's probe command.
    for format in ["human", "json"] {
        let output = run(&[
            "diff",
            "-f",
            "tests/fixtures/helm/live-values.yaml",
            "--release",
            "frappe-bench",
            "-n",
            "erpnext",
            "--against",
            "tests/fixtures/helm/live-manifest.yaml",
            "--format",
            format,
        ]);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
        let shown = text(&output.stdout);
        for secret in ["fixture-root-password", "Zml4dHVyZS1yb290LXBhc3N3b3Jk", "fixture-queue-password"] {
            assert!(!shown.contains(secret), "{format} prints {secret}");
        }
        assert!(shown.contains("***"), "the masked values are shown as ***");
    }
}

#[test]
fn unreadable_input_exits_2_with_a_message_and_nothing_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let not_yaml = dir.path().join("not.yaml");
    std::fs::write(&not_yaml, "a: [\n").unwrap();
    let not_objects = dir.path().join("objects.yaml");
    std::fs::write(&not_objects, "kind: Deployment\nmetadata: {name: x}\n").unwrap();
    let binary = dir.path().join("binary.yaml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
    for (against, message) in [
        ("does-not-exist.yaml", "cannot read `does-not-exist.yaml`"),
        (not_yaml.to_str().unwrap(), "not a YAML stream"),
        (
            not_objects.to_str().unwrap(),
            "document 1 is not a Kubernetes object: it has no `apiVersion`",
        ),
        (binary.to_str().unwrap(), "is not UTF-8 text"),
        (dir.path().to_str().unwrap(), "cannot read"),
    ] {
        let output = diff(&["--against", against]);
        assert_eq!(output.status.code(), Some(2), "{against}");
        assert!(text(&output.stderr).contains(message), "{against}: {}", text(&output.stderr));
        assert_eq!(text(&output.stdout), "", "{against}");
    }
    // A syntax error is located, never quoted: the line may hold a secret.
    let broken = b"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: hunter2-secret\n  bad: [a, b\n";
    let output = run_with_stdin(&["diff", "-f", SEED_VALUES, "--against", "-"], Some(broken));
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("line 6, column 8"), "{}", text(&output.stderr));
    assert!(!text(&output.stderr).contains("hunter2-secret"));
    // Values with errors: no render, so no comparison either.
    let output = run(&["diff", "-f", "tests/fixtures/rules/unknown-key.yaml", "--against", CHART_RENDER]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("error[unknown-key]"));
    assert_eq!(text(&output.stdout), "");
    // Standard input can only be one of the two.
    let output = run_with_stdin(&["diff", "-f", "-", "--against", "-"], Some(b"dbHost: x\n"));
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("both read standard input"));
}

#[test]
fn a_stream_larger_than_values_files_may_be_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.yaml");
    std::fs::write(&big, vec![b'#'; frappe_manifests::source::MAX_INPUT_BYTES + 10]).unwrap();
    let output = run(&["diff", "-f", SEED_VALUES, "--against", big.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("larger than"), "{}", text(&output.stderr));
}

/// The multisite example rendered, then diffed with `sets` on top of it.
fn diff_after(sets: &[&str], format: &str) -> std::process::Output {
    let values = common::example("multisite");
    let values = values.to_str().unwrap();
    let before = run(&["render", "-f", values]);
    assert!(before.status.success(), "{}", text(&before.stderr));
    let dir = tempfile::tempdir().unwrap();
    let applied = dir.path().join("applied.yaml");
    std::fs::write(&applied, &before.stdout).unwrap();
    let mut args = vec!["diff", "-f", values, "--against", applied.to_str().unwrap(), "--format", format];
    args.extend_from_slice(sets);
    run(&args)
}

#[test]
fn a_change_the_api_server_refuses_is_named_with_what_to_do() {
    // The custom Job's name is pinned (`jobName: erp-clear-cache`), so a new
    // image in it changes a live Job's pod template; a claim's class cannot
    // change at all. `kubectl apply` and Argo CD would fail on both.
    let sets = [
        "--set",
        "jobs.custom.containers[0].image=registry.example.com/erp:v16.33.0",
        "--set",
        "persistence.worker.storageClass=nfs-csi",
    ];
    let output = diff_after(&sets, "human");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let shown = text(&output.stdout);
    let job = "changed Job.batch erp/erp-clear-cache\nrefused: the API server does not change `spec.template` of a live Job: \
               delete the Job before applying (`kubectl -n erp delete job.batch/erp-clear-cache`; it then runs again)\n";
    assert!(shown.contains(job), "{shown}");
    let claim = "changed PersistentVolumeClaim erp/erpnext\nrefused: the API server does not change `spec.storageClassName` of a live PersistentVolumeClaim: put the values back";
    assert!(shown.contains(claim), "{shown}");
    assert_eq!(shown.lines().filter(|line| line.starts_with("refused: ")).count(), 2, "{shown}");

    let json: Value = serde_json::from_slice(&diff_after(&sets, "json").stdout).unwrap();
    let refused: Vec<(&str, &Value)> = json["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| Some((o["name"].as_str().unwrap(), o.get("refused")?)))
        .collect();
    assert_eq!(
        refused,
        [
            ("erpnext", &serde_json::json!(["spec.storageClassName"])),
            ("erp-clear-cache", &serde_json::json!(["spec.template"]))
        ]
    );
}

#[test]
fn a_new_image_is_refused_only_where_a_job_keeps_its_name() {
    // The Deployments' templates change, which rolls them, the hashed Jobs
    // get new names, and a larger claim is grown. Site creation and drop
    // keep their names whatever the image: until they delete themselves,
    // 10 minutes after they finished, the new image cannot be applied to them.
    let output = diff_after(&["--set", "image.tag=v16.33.0", "--set", "persistence.worker.size=200Gi"], "human");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let shown = text(&output.stdout);
    assert!(shown.contains("changed Deployment.apps erp/erpnext-gunicorn\n"), "{shown}");
    assert!(shown.contains("changed PersistentVolumeClaim erp/erpnext\n"), "{shown}");
    let refused: Vec<&str> = shown
        .lines()
        .filter_map(|line| line.strip_prefix("refused: the API server does not change `spec.template` of a live Job: "))
        .collect();
    assert_eq!(
        refused,
        [
            "delete the Job before applying (`kubectl -n erp delete job.batch/erpnext-create-site-4a171ba1`; it then runs again)",
            "delete the Job before applying (`kubectl -n erp delete job.batch/erpnext-drop-site-8bbde2f9`; it then runs again)",
        ],
        "{shown}"
    );
    assert_eq!(shown.lines().filter(|line| line.starts_with("refused: ")).count(), 2, "{shown}");
}

#[test]
fn pods_that_would_mount_the_sites_from_another_volume_are_named() {
    // `existingClaim` set: every Deployment's pods would mount another claim,
    // and start without the sites kept on the bench's own.
    let output = diff_after(&["--set", "persistence.worker.existingClaim=erp-sites-copy"], "human");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let shown = text(&output.stdout);
    let moved = "sites: its pods would mount the sites directory from the claim `erp-sites-copy`, not the claim `erpnext`: \
                 they would start without the sites on `erpnext`, which stays as it is; copy them over first, or put the values back";
    let gunicorn = format!("changed Deployment.apps erp/erpnext-gunicorn\n{moved}\n");
    assert!(shown.contains(&gunicorn), "{shown}");
    assert_eq!(shown.lines().filter(|line| *line == moved).count(), 7, "each Deployment: {shown}");
    // The JSON report says it too.
    let json: Value =
        serde_json::from_slice(&diff_after(&["--set", "persistence.worker.existingClaim=erp-sites-copy"], "json").stdout).unwrap();
    let gunicorn = json["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "erpnext-gunicorn")
        .unwrap();
    assert!(
        gunicorn["sitesMoved"]
            .as_str()
            .unwrap()
            .starts_with("its pods would mount the sites directory from the claim `erp-sites-copy`, not the claim `erpnext`"),
        "{gunicorn}"
    );
    // A new image moves nothing.
    let image = diff_after(&["--set", "image.tag=v16.33.0"], "human");
    assert!(!text(&image.stdout).contains("\nsites: "), "{}", text(&image.stdout));
}
