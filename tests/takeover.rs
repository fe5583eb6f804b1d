//! `takeover`: the plan that moves a live Helm release to the bundle,
//! checked against real helm output of the official chart, and run by the
//! real kubectl against a stand-in API server.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use crate::common::{self, documents, run, text};
use crate::diff::{CHART_RENDER, SEED_RENDER, SEED_VALUES};

const LIVE_VALUES: &str = "tests/fixtures/helm/live-values.yaml";
const LIVE_MANIFEST: &str = "tests/fixtures/helm/live-manifest.yaml";

struct Takeover {
    output: Output,
    plan: String,
    bundle: PathBuf,
    _dir: tempfile::TempDir,
}

/// Runs `takeover -f VALUES --release frappe-bench -n erpnext --from-helm HELM EXTRA…`.
fn takeover(values: &str, helm: &str, extra: &[&str]) -> Takeover {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    let mut args = vec![
        "takeover",
        "-f",
        values,
        "--release",
        "frappe-bench",
        "-n",
        "erpnext",
        "--from-helm",
        helm,
        "--output-dir",
        bundle.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = run(&args);
    Takeover {
        plan: text(&output.stdout),
        output,
        bundle: std::fs::canonicalize(dir.path()).unwrap().join("bundle"),
        _dir: dir,
    }
}

fn succeeded(takeover: &Takeover) {
    assert_eq!(takeover.output.status.code(), Some(0), "{}", text(&takeover.output.stderr));
}

/// The plan's commands in order: comments and here-documents left out,
/// continued lines joined.
fn commands(plan: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut lines = plan.lines();
    let mut pending = String::new();
    while let Some(line) = lines.next() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(continued) = line.strip_suffix('\\') {
            pending.push_str(continued);
            continue;
        }
        pending.push_str(line);
        if let Some((_, delimiter)) = pending.split_once("<<'") {
            let delimiter = delimiter.trim_end_matches('\'').to_owned();
            lines.by_ref().find(|l| *l == delimiter);
        }
        commands.push(std::mem::take(&mut pending));
    }
    commands
}

/// The records of the last apply the plan gives each object helm made:
/// (the object's kind and name, the record).
fn records(plan: &str) -> Vec<(String, Value)> {
    let mut records = Vec::new();
    let mut rest = plan;
    while let Some(start) = rest.find("-f - <<'") {
        let after = &rest[start + 8..];
        let (delimiter, after) = after.split_once("'\n").unwrap();
        let end = after.find(&format!("\n{delimiter}\n")).unwrap();
        let record: Value = serde_saphyr::from_str(&after[..end]).unwrap();
        let name = format!(
            "{}/{}",
            record["kind"].as_str().unwrap(),
            record["metadata"]["name"].as_str().unwrap()
        );
        records.push((name, record));
        rest = &after[end..];
    }
    records
}

fn record<'a>(records: &'a [(String, Value)], name: &str) -> &'a Value {
    &records
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no record for {name}"))
        .1
}

fn position(commands: &[String], pattern: &str) -> usize {
    commands
        .iter()
        .position(|c| c.contains(pattern))
        .unwrap_or_else(|| panic!("no command with {pattern:?} in:\n{}", commands.join("\n")))
}

/// kubectl's name for each object of a stream.
fn resources(stream: &str) -> Vec<String> {
    documents(stream)
        .iter()
        .filter(|d| d.is_object())
        .map(|d| {
            let group = d["apiVersion"].as_str().unwrap().rsplit_once('/').map_or("", |(g, _)| g);
            let kind = d["kind"].as_str().unwrap().to_ascii_lowercase();
            let kind = if group.is_empty() { kind } else { format!("{kind}.{group}") };
            format!("{kind}/{}", d["metadata"]["name"].as_str().unwrap())
        })
        .collect()
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(common::project_root().join(path)).unwrap()
}

#[test]
fn claims_are_protected_first_and_the_release_record_goes_last() {
    let takeover = takeover(SEED_VALUES, CHART_RENDER, &[]);
    succeeded(&takeover);
    let commands = commands(&takeover.plan);
    let first_change = commands
        .iter()
        .position(|c| c.contains("set-last-applied") || c.starts_with("kubectl apply") || c.starts_with("kubectl delete"))
        .unwrap();
    for claim in ["frappe-bench-erpnext", "frappe-bench-erpnext-logs"] {
        let annotated = position(
            &commands,
            &format!("kubectl annotate --overwrite -n 'erpnext' 'persistentvolumeclaim/{claim}' helm.sh/resource-policy=keep"),
        );
        let retained = commands[annotated..]
            .iter()
            .position(|c| c.contains("persistentVolumeReclaimPolicy\":\"Retain"))
            .map(|i| annotated + i)
            .unwrap();
        assert!(
            annotated < first_change && retained < first_change,
            "{claim} is protected before anything changes"
        );
    }
    // The record is saved, then deleted, after everything else.
    let saved = position(&commands, "-l 'owner=helm,name=frappe-bench' -o yaml");
    assert!(
        commands[saved].ends_with("> 'helm-release-frappe-bench-record.yaml')"),
        "{}",
        commands[saved]
    );
    // helm keeps the record in Secrets, or in ConfigMaps (HELM_DRIVER=configmap,
    // helm's pkg/storage/driver/cfgmaps.go): either way it goes.
    assert!(commands[saved].contains("kubectl get secret,configmap "), "{}", commands[saved]);
    let removed = position(
        &commands,
        "kubectl delete secret,configmap -n 'erpnext' -l 'owner=helm,name=frappe-bench'",
    );
    assert!(saved < removed);
    let last_other = commands
        .iter()
        .rposition(|c| (c.starts_with("kubectl delete") || c.starts_with("kubectl apply")) && !c.contains("owner=helm"))
        .unwrap();
    assert!(last_other < saved, "the release record is removed last");
}

#[test]
fn every_object_only_helm_had_is_deleted_and_no_claim() {
    let takeover = takeover(SEED_VALUES, CHART_RENDER, &[]);
    succeeded(&takeover);
    let commands = commands(&takeover.plan);
    let helm: BTreeSet<String> = resources(&read(CHART_RENDER)).into_iter().collect();
    let ours: BTreeSet<String> = std::fs::read_dir(&takeover.bundle)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.ends_with("kustomization.yaml"))
        .flat_map(|p| resources(&std::fs::read_to_string(p).unwrap()))
        .collect();
    let helm_only: Vec<&String> = helm.difference(&ours).collect();
    assert_eq!(helm_only.len(), 10, "{helm_only:?}");
    for resource in &helm_only {
        position(&commands, &format!("kubectl delete -n 'erpnext' '{resource}' --ignore-not-found"));
    }
    let deletions: Vec<&String> = commands.iter().filter(|c| c.starts_with("kubectl delete -n")).collect();
    assert_eq!(
        deletions.len(),
        helm_only.len(),
        "only what helm alone had is deleted: {deletions:?}"
    );
    assert!(
        !commands
            .iter()
            .any(|c| c.starts_with("kubectl delete") && c.contains("persistentvolumeclaim"))
    );
}

#[test]
fn every_rendered_object_is_checked_then_applied_from_the_bundle() {
    let takeover = takeover(SEED_VALUES, CHART_RENDER, &[]);
    succeeded(&takeover);
    let commands = commands(&takeover.plan);
    let dry_run = position(&commands, "kubectl apply --dry-run=server -n 'erpnext'");
    let files: Vec<PathBuf> = std::fs::read_dir(&takeover.bundle)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.ends_with("kustomization.yaml"))
        .collect();
    assert_eq!(files.len(), 22);
    for file in &files {
        let quoted = format!("-f '{}'", file.display());
        assert!(commands[dry_run].contains(&quoted), "{quoted} is not in the dry run");
        let applied = position(&commands, &format!("kubectl apply -n 'erpnext' {quoted}"));
        assert!(dry_run < applied);
    }
    // Every object helm made got its record before the dry run.
    let last_record = commands.iter().rposition(|c| c.contains("set-last-applied")).unwrap();
    assert!(last_record < dry_run);
    assert_eq!(records(&takeover.plan).len(), 14);
}

#[test]
fn every_field_only_helm_set_is_removed() {
    let takeover = takeover(SEED_VALUES, CHART_RENDER, &[]);
    succeeded(&takeover);
    let records = records(&takeover.plan);
    let gunicorn = record(&records, "Deployment/frappe-bench-erpnext-gunicorn");
    let pod = &gunicorn["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"], json!({"supplementalGroups": null}));
    assert_eq!(pod["containers"][0]["name"], "gunicorn");
    assert_eq!(pod["containers"][0]["securityContext"], json!({"capabilities": {"add": null}}));
    // The probe handler the chart added beside ours goes in the same request
    // that sets ours, so the probe never has two.
    assert_eq!(pod["containers"][0]["livenessProbe"], json!({"tcpSocket": null}));
    assert_eq!(gunicorn["metadata"]["labels"], json!({"helm.sh/chart": null}));
    assert_eq!(
        gunicorn["metadata"]["annotations"],
        json!({"meta.helm.sh/release-name": null, "meta.helm.sh/release-namespace": null})
    );
    for worker in ["worker-d", "worker-s", "worker-l", "scheduler"] {
        let record = record(&records, &format!("Deployment/frappe-bench-erpnext-{worker}"));
        let container = &record["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(
            container["livenessProbe"],
            Value::Null,
            "{worker}: the chart's liveness probe (pinging its Valkey) goes"
        );
        assert!(container.as_object().unwrap().contains_key("livenessProbe"), "{worker}: {record}");
        assert_eq!(container["securityContext"], json!({"capabilities": {"add": null}}), "{worker}");
    }
    let claim = record(&records, "PersistentVolumeClaim/frappe-bench-erpnext");
    assert!(claim.get("spec").is_none(), "a claim's spec is never touched: {claim}");
    assert_eq!(
        claim["metadata"]["labels"],
        json!({"app": null, "chart": null, "heritage": null, "release": null})
    );
    // The records name fields; they copy no value of helm's.
    let all: String = records.iter().map(|(_, r)| r.to_string()).collect();
    for value in ["CAP_CHOWN", "valkey", "erpnext-8.0.75", "wait-for-it"] {
        assert!(!all.contains(value), "a record copies {value}");
    }
}

#[test]
fn the_queue_redis_change_is_called_out() {
    let takeover = takeover(SEED_VALUES, CHART_RENDER, &[]);
    succeeded(&takeover);
    assert!(takeover.plan.contains(
        "# The queue Redis changes, from frappe-bench-valkey-queue:6379/0 to scoopjoy-redis-queue.abc123.ng.0001.use1.cache.amazonaws.com:6379/0."
    ));
    let live = takeover_of_live(&[]);
    assert!(
        !live.plan.contains("The queue Redis changes"),
        "the same Redis, with and without a password in its URL"
    );
}

fn takeover_of_live(extra: &[&str]) -> Takeover {
    let takeover = takeover(LIVE_VALUES, LIVE_MANIFEST, extra);
    succeeded(&takeover);
    takeover
}

#[test]
fn nothing_secret_is_printed() {
    let takeover = takeover_of_live(&[]);
    let printed = format!("{}{}", takeover.plan, text(&takeover.output.stderr));
    for secret in ["fixture-root-password", "Zml4dHVyZS1yb290LXBhc3N3b3Jk", "fixture-queue-password"] {
        assert!(!printed.contains(secret), "the plan prints {secret}");
    }
    // The Secret is applied from its file in the bundle.
    assert!(takeover.plan.contains("-secret-frappe-bench-erpnext.yaml'"));
}

#[test]
fn an_autoscaled_deployment_keeps_its_replicas() {
    let takeover = takeover(
        SEED_VALUES,
        CHART_RENDER,
        &[
            "--set",
            "worker.gunicorn.autoscaling.enabled=true,worker.gunicorn.autoscaling.maxReplicas=6",
        ],
    );
    succeeded(&takeover);
    let gunicorn = record(&records(&takeover.plan), "Deployment/frappe-bench-erpnext-gunicorn").clone();
    assert!(gunicorn["spec"].get("replicas").is_none(), "{gunicorn}");
    assert!(takeover.plan.contains("keeps its replica count"));
}

#[test]
fn claims_only_helm_had_are_kept_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let helm = dir.path().join("helm.yaml");
    let extra_claim = "---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: frappe-bench-mariadb-data\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 8Gi}}\n";
    std::fs::write(&helm, format!("{}{extra_claim}", read(CHART_RENDER))).unwrap();
    let helm = helm.to_str().unwrap();

    let kept = takeover(SEED_VALUES, helm, &[]);
    succeeded(&kept);
    let commands_kept = commands(&kept.plan);
    position(
        &commands_kept,
        "'persistentvolumeclaim/frappe-bench-mariadb-data' helm.sh/resource-policy=keep",
    );
    assert!(
        !commands_kept
            .iter()
            .any(|c| c.starts_with("kubectl delete") && c.contains("frappe-bench-mariadb-data"))
    );
    assert!(kept.plan.contains("# Kept: persistentvolumeclaim/frappe-bench-mariadb-data"));

    let deleted = takeover(SEED_VALUES, helm, &["--delete-helm-pvcs"]);
    succeeded(&deleted);
    let commands = commands(&deleted.plan);
    let protected = position(
        &commands,
        "'persistentvolumeclaim/frappe-bench-mariadb-data' helm.sh/resource-policy=keep",
    );
    let gone = position(
        &commands,
        "kubectl delete -n 'erpnext' 'persistentvolumeclaim/frappe-bench-mariadb-data' --ignore-not-found",
    );
    assert!(protected < gone);
    // Only that claim: the claims the bundle has are never deleted.
    assert_eq!(
        commands
            .iter()
            .filter(|c| c.starts_with("kubectl delete") && c.contains("persistentvolumeclaim"))
            .count(),
        1
    );
}

#[test]
fn the_charts_database_root_password_stays_when_the_values_lack_it() {
    // Given at install with `--set dbRootPassword=…`, it is in no values
    // file: the chart's Secret may hold its only copy.
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    let without: String = read(LIVE_VALUES)
        .lines()
        .filter(|l| !l.starts_with("dbRootPassword:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let values_path = values.to_str().unwrap();

    // The bundle has a Secret of that name (for the queue Redis password):
    // the key stays in it.
    std::fs::write(&values, &without).unwrap();
    let updated = takeover(values_path, LIVE_MANIFEST, &[]);
    succeeded(&updated);
    let records = records(&updated.plan);
    let secret = record(&records, "Secret/frappe-bench-erpnext");
    assert!(secret.get("data").is_none(), "{secret}");
    assert!(
        updated.plan.contains("#   keeps `db-root-password`, which only helm set"),
        "{}",
        updated.plan
    );

    // The bundle has no Secret: the chart's is kept.
    std::fs::write(&values, without.replace(":fixture-queue-password@", "")).unwrap();
    let kept = takeover(values_path, LIVE_MANIFEST, &[]);
    succeeded(&kept);
    assert!(!kept.bundle.join("03-secret-frappe-bench-erpnext.yaml").exists());
    assert!(
        !commands(&kept.plan)
            .iter()
            .any(|c| c.starts_with("kubectl delete") && c.contains("'secret/")),
        "{}",
        kept.plan
    );
    assert!(kept.plan.contains("# Kept: secret/frappe-bench-erpnext, which only helm had"));
}

/// Names in the helm manifest and the bundle's directory reach the plan's
/// commands; a bidirectional control in one would show the command in
/// another order than bash runs it. None is in the plan as it is, and every
/// command still names exactly the object and file it acts on: the plan,
/// run by bash with a `kubectl` that records its arguments, calls it with
/// the names as they were.
#[test]
fn names_with_bidirectional_controls_are_escaped_in_the_plan_and_run_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let helm = dir.path().join("helm.yaml");
    let extra = "---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: \"data\\u202Epvc\"\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 8Gi}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"only\\u2066helm\\u2069\"\n";
    std::fs::write(&helm, format!("{}{extra}", read(CHART_RENDER))).unwrap();
    let bundle = dir.path().join("bundle\u{202e}lmay");
    let mut args = vec![
        "takeover",
        "--from-helm",
        helm.to_str().unwrap(),
        "--output-dir",
        bundle.to_str().unwrap(),
    ];
    args.extend_from_slice(SEED_RENDER);
    let output = run(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let plan = text(&output.stdout);
    assert_eq!(common::bidi_controls(&plan), 0, "{plan}");

    // A function, which bash calls before any `kubectl` on the PATH.
    let log = dir.path().join("kubectl.log");
    let recording = "kubectl() { printf '%s\\0' \"$@\" >> \"$KUBECTL_LOG\"; printf '\\n' >> \"$KUBECTL_LOG\"; }\n";
    let ran = Command::new("bash")
        .arg("-c")
        .arg(format!("{recording}{plan}"))
        .current_dir(dir.path())
        .env("KUBECTL_LOG", &log)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    let calls: Vec<Vec<String>> = text(&std::fs::read(&log).unwrap())
        .lines()
        .map(|call| call.trim_end_matches('\0').split('\0').map(str::to_owned).collect())
        .collect();
    let called = |args: &[&str]| calls.iter().any(|call| args.iter().all(|arg| call.iter().any(|a| a == arg)));
    assert!(called(&["annotate", "persistentvolumeclaim/data\u{202e}pvc"]), "{calls:?}");
    assert!(called(&["delete", "configmap/only\u{2066}helm\u{2069}"]), "{calls:?}");
    for file in std::fs::read_dir(std::fs::canonicalize(&bundle).unwrap()).unwrap() {
        let file = file.unwrap().path();
        if file.file_name().unwrap() != "kustomization.yaml" {
            assert!(called(&["apply", file.to_str().unwrap()]), "{file:?} is not applied: {calls:?}");
        }
    }
}

#[test]
fn what_cannot_change_is_recreated() {
    // A Job of the same name: its pod template cannot change.
    let takeover = takeover_of_live(&["--set", "jobs.configure.jobName=frappe-bench-erpnext-conf-bench-20261129211307"]);
    let commands = commands(&takeover.plan);
    let job = "job.batch/frappe-bench-erpnext-conf-bench-20261129211307";
    let deleted = position(&commands, &format!("kubectl delete -n 'erpnext' '{job}' --ignore-not-found --wait"));
    let created = position(&commands, "-job-frappe-bench-erpnext-conf-bench-20261129211307.yaml'");
    assert!(deleted < created && created > position(&commands, "--dry-run=server"));
    assert!(
        !commands[position(&commands, "--dry-run=server")].contains("conf-bench"),
        "a recreated object is not dry-run as an update"
    );

    // A Deployment whose selector differs from the release's.
    let dir = tempfile::tempdir().unwrap();
    let helm = dir.path().join("helm.yaml");
    let chart = read(CHART_RENDER);
    let (head, tail) = chart.split_at(
        chart
            .find("kind: Deployment\nmetadata:\n  name: frappe-bench-erpnext-gunicorn\n")
            .unwrap(),
    );
    let end = tail.find("\n---").unwrap();
    let gunicorn = tail[..end].replace("instance: frappe-bench-gunicorn", "instance: old-gunicorn");
    std::fs::write(&helm, format!("{head}{gunicorn}{}", &tail[end..])).unwrap();
    let takeover = self::takeover(SEED_VALUES, helm.to_str().unwrap(), &[]);
    succeeded(&takeover);
    let commands = self::commands(&takeover.plan);
    position(
        &commands,
        "kubectl delete -n 'erpnext' 'deployment.apps/frappe-bench-erpnext-gunicorn' --ignore-not-found --wait",
    );
    assert!(takeover.plan.contains("a Deployment's selector cannot change"));
    assert!(
        !records(&takeover.plan)
            .iter()
            .any(|(name, _)| name == "Deployment/frappe-bench-erpnext-gunicorn")
    );
}

#[test]
fn a_plan_that_would_lose_data_or_act_blindly_is_refused_and_nothing_is_written() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--set", "persistence.worker.size=10Gi"],
            "`resources.requests.storage: 10Gi`, the release `50Gi`",
        ),
        (
            &["--set", "persistence.worker.storageClass=efs"],
            "`storageClassName: efs`, the release `gp3`",
        ),
        (
            &["--set", "redisQueueHost=redis://frappe-bench-valkey-queue:6379"],
            "the render's queue Redis is the Service `frappe-bench-valkey-queue`",
        ),
        // Another claim for the sites: the bench would start on an empty volume.
        (
            &["--set", "persistence.worker.existingClaim=erp-sites"],
            "the release's pods mount the sites directory from the claim `frappe-bench-erpnext`, the render's would from the claim `erp-sites`",
        ),
        // DNS names are case-insensitive: this one reaches the same Service.
        (
            &["--set", "redisQueueHost=redis://Frappe-Bench-Valkey-Queue.erpnext.svc:6379"],
            "the render's queue Redis is the Service `frappe-bench-valkey-queue`",
        ),
    ];
    for (extra, message) in cases {
        let takeover = takeover(SEED_VALUES, CHART_RENDER, extra);
        assert_eq!(takeover.output.status.code(), Some(1), "{extra:?}");
        assert!(
            text(&takeover.output.stderr).contains(message),
            "{extra:?}: {}",
            text(&takeover.output.stderr)
        );
        assert_eq!(takeover.plan, "");
        assert!(!takeover.bundle.exists(), "{extra:?} wrote the bundle");
    }
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    for (args, message) in [
        (vec!["--release", "frappe-bench"], "names no namespace"),
        (
            vec!["--release", "other", "-n", "erpnext"],
            "no object of the helm manifest is in the render",
        ),
    ] {
        let mut all = vec![
            "takeover",
            "-f",
            SEED_VALUES,
            "--from-helm",
            CHART_RENDER,
            "--output-dir",
            bundle.to_str().unwrap(),
        ];
        all.extend(args);
        let output = run(&all);
        assert_eq!(output.status.code(), Some(1));
        assert!(text(&output.stderr).contains(message), "{}", text(&output.stderr));
        assert!(!bundle.exists());
    }
    let output = run(&[
        "takeover",
        "-f",
        SEED_VALUES,
        "-n",
        "erpnext",
        "--from-helm",
        "missing.yaml",
        "--output-dir",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("cannot read `missing.yaml`"));
    assert!(!bundle.exists());
}

/// Whether `python3` runs; otherwise says that the test is skipped.
fn python() -> bool {
    let found = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let ok = found.is_ok_and(|s| s.success());
    if !ok {
        crate::common::skip_unless_ci("python3 is not installed, so the stand-in API server cannot run");
    }
    ok
}

/// The API path of an object in namespace `erpnext`.
fn api_path(object: &Value) -> String {
    let api_version = object["apiVersion"].as_str().unwrap();
    let prefix = if api_version == "v1" {
        "/api/v1".to_owned()
    } else {
        format!("/apis/{api_version}")
    };
    let kind = object["kind"].as_str().unwrap();
    let plural = match kind {
        "Ingress" => "ingresses".to_owned(),
        "NetworkPolicy" => "networkpolicies".to_owned(),
        _ => format!("{}s", kind.to_ascii_lowercase()),
    };
    format!(
        "{prefix}/namespaces/erpnext/{plural}/{}",
        object["metadata"]["name"].as_str().unwrap()
    )
}

/// A helm object as the API server holds it: in its namespace, with the
/// metadata helm adds, and (for a Deployment) the defaults the server fills.
fn live(mut object: Value) -> Value {
    let metadata = object["metadata"].as_object_mut().unwrap();
    metadata.insert("namespace".to_owned(), json!("erpnext"));
    let annotations = metadata.entry("annotations").or_insert(json!({}));
    annotations["meta.helm.sh/release-name"] = json!("frappe-bench");
    annotations["meta.helm.sh/release-namespace"] = json!("erpnext");
    metadata.entry("labels").or_insert(json!({}))["app.kubernetes.io/managed-by"] = json!("Helm");
    if object["kind"] == "Deployment" {
        let spec = object["spec"].as_object_mut().unwrap();
        spec.entry("replicas").or_insert(json!(4));
        spec.entry("revisionHistoryLimit").or_insert(json!(10));
        spec.entry("strategy")
            .or_insert(json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}));
    }
    object
}

/// Whether every field of `part` is in `whole` with the same value.
fn contains(whole: &Value, part: &Value) -> bool {
    match (whole, part) {
        (Value::Object(whole), Value::Object(part)) => part.iter().all(|(key, value)| whole.get(key).is_some_and(|w| contains(w, value))),
        (Value::Array(whole), Value::Array(part)) => whole.len() == part.len() && whole.iter().zip(part).all(|(w, p)| contains(w, p)),
        _ => whole == part,
    }
}

/// The chart's objects, as helm left them, in a stand-in API server that
/// the real kubectl talks to.
struct StandIn {
    kubectl: PathBuf,
    server: std::process::Child,
    work: tempfile::TempDir,
    state: serde_json::Map<String, Value>,
}

impl StandIn {
    fn start(kubectl: PathBuf, helm: &str) -> StandIn {
        StandIn::forbidding(kubectl, helm, &[])
    }

    /// The same, answering `403 Forbidden` at each API path of `forbidden`,
    /// as for a user without the right to read it.
    fn forbidding(kubectl: PathBuf, helm: &str, forbidden: &[&str]) -> StandIn {
        let work = tempfile::tempdir().unwrap();
        let state: serde_json::Map<String, Value> = documents(helm).into_iter().map(|o| (api_path(&o), live(o))).collect();
        let mut served = state.clone();
        for path in forbidden {
            served.insert(
                (*path).to_owned(),
                json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
                       "message": format!("{path} is forbidden")}),
            );
        }
        let state_file = work.path().join("state.json");
        std::fs::write(&state_file, serde_json::to_string(&served).unwrap()).unwrap();
        let mut server = Command::new("python3")
            .arg(common::project_root().join("tests/fixtures/fake-apiserver.py"))
            .arg(&state_file)
            .arg(work.path().join("patches.jsonl"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut port = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(server.stdout.take().unwrap()), &mut port).unwrap();
        std::fs::write(
            work.path().join("kubeconfig"),
            format!(
                "apiVersion: v1\nkind: Config\nclusters: [{{name: stand-in, cluster: {{server: 'http://127.0.0.1:{}'}}}}]\nusers: [{{name: u, user: {{}}}}]\ncontexts: [{{name: stand-in, context: {{cluster: stand-in, user: u}}}}]\ncurrent-context: stand-in\n",
                port.trim()
            ),
        )
        .unwrap();
        StandIn {
            kubectl,
            server,
            work,
            state,
        }
    }

    /// Runs `script` by bash, with kubectl talking to this server, in its
    /// work directory.
    fn bash(&self, script: &str) -> Output {
        Command::new("bash")
            .arg("-c")
            .arg(script)
            .current_dir(self.work.path())
            .env("KUBECONFIG", self.work.path().join("kubeconfig"))
            .env("KUBECACHEDIR", self.work.path().join("cache"))
            .env("PATH", std::env::var("PATH").unwrap())
            .output()
            .unwrap()
    }

    fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut child = Command::new(&self.kubectl)
            .args(args)
            .env("KUBECONFIG", self.work.path().join("kubeconfig"))
            .env("KUBECACHEDIR", self.work.path().join("cache"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
        }
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "kubectl {args:?}: {}", text(&output.stderr));
        text(&output.stdout)
    }

    /// Runs the plan's records (unless `records` is false) and its applies of
    /// the objects helm made that `wanted` picks; returns each such object of
    /// the bundle and what the API server would hold after kubectl's patch.
    fn run(&self, plan: &str, records: bool, wanted: impl Fn(&Value) -> bool) -> Vec<(Value, Value)> {
        if records {
            let mut rest = plan;
            while let Some(start) = rest.find("-f - <<'") {
                let after = &rest[start + 8..];
                let (delimiter, after) = after.split_once("'\n").unwrap();
                let end = after.find(&format!("\n{delimiter}\n")).unwrap();
                self.kubectl(
                    &["apply", "set-last-applied", "--create-annotation", "-n", "erpnext", "-f", "-"],
                    Some(&after[..=end]),
                );
                rest = &after[end..];
            }
        }
        let mut applied = Vec::new();
        for command in commands(plan).iter().filter(|c| c.starts_with("kubectl apply -n 'erpnext' -f '")) {
            let file = command.trim_start_matches("kubectl apply -n 'erpnext' -f '").trim_end_matches('\'');
            let ours = documents(&std::fs::read_to_string(file).unwrap()).remove(0);
            if self.state.contains_key(&api_path(&ours)) && wanted(&ours) {
                // Validation is the server's; this one publishes no OpenAPI document.
                self.kubectl(&["apply", "--validate=false", "-n", "erpnext", "-f", file], None);
                applied.push(ours);
            }
        }
        let patches: Vec<Value> = std::fs::read_to_string(self.work.path().join("patches.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(patches.len(), applied.len(), "one request per object");
        applied
            .into_iter()
            .map(|ours| {
                let path = api_path(&ours);
                let patch = &patches.iter().find(|p| p["path"] == path.as_str()).unwrap()["patch"];
                let live = self.work.path().join("live.json");
                std::fs::write(&live, self.kubectl(&["get", "--raw", &path], None)).unwrap();
                let after = self.kubectl(
                    &[
                        "patch",
                        "--local",
                        "-f",
                        live.to_str().unwrap(),
                        "--type",
                        "strategic",
                        "-p",
                        &patch.to_string(),
                        "-o",
                        "json",
                    ],
                    None,
                );
                (ours, serde_json::from_str(&after).unwrap())
            })
            .collect()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// The handlers each probe of a pod template has.
fn probe_handlers(object: &Value) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for container in object["spec"]["template"]["spec"]["containers"].as_array().into_iter().flatten() {
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            if let Some(probe_value) = container.get(probe) {
                let handlers = ["exec", "httpGet", "tcpSocket", "grpc"]
                    .iter()
                    .filter(|h| probe_value.get(**h).is_some())
                    .count();
                found.push((format!("{}.{probe}", container["name"].as_str().unwrap()), handlers));
            }
        }
    }
    found
}

#[test]
fn run_by_kubectl_the_plan_leaves_exactly_the_bundle() {
    // No cluster here: a stand-in API server holds the chart's objects as
    // helm left them, kubectl runs the plan's records and applies against it
    // and computes its patches with its own code, and `kubectl patch --local`
    // applies them with apimachinery's.
    let Some(kubectl) = common::kubectl() else { return };
    if !python() {
        return;
    }
    let takeover = takeover(SEED_VALUES, CHART_RENDER, &[]);
    succeeded(&takeover);
    let helm = read(CHART_RENDER);

    let results = StandIn::start(kubectl.clone(), &helm).run(&takeover.plan, true, |_| true);
    assert_eq!(results.len(), 14);
    for (ours, after) in &results {
        let name = &ours["metadata"]["name"];
        assert!(contains(after, ours), "{name} is not the bundle's after the apply:\n{after:#}");
        let shown = after.to_string();
        for left in [
            "CAP_CHOWN",
            "supplementalGroups",
            "helm.sh/chart",
            "meta.helm.sh/release-name",
            "valkey",
            "\"heritage\"",
        ] {
            assert!(!shown.contains(left), "{name} keeps {left}: {after:#}");
        }
        for (probe, handlers) in probe_handlers(after) {
            assert_eq!(handlers, 1, "{name} {probe}: {after:#}");
        }
        if after["spec"]["strategy"]["type"] == "Recreate" {
            assert!(after["spec"]["strategy"].get("rollingUpdate").is_none(), "{name}: {after:#}");
        }
    }

    // The same applies without the records: what the issue saw.
    let plain = StandIn::start(kubectl, &helm).run(&takeover.plan, false, |ours| {
        ours["kind"] == "Deployment"
            && ["frappe-bench-erpnext-gunicorn", "frappe-bench-erpnext-worker-d"].contains(&ours["metadata"]["name"].as_str().unwrap())
    });
    let deployment = |name: &str| {
        &plain
            .iter()
            .find(|(ours, _)| ours["kind"] == "Deployment" && ours["metadata"]["name"] == name)
            .unwrap()
            .1
    };
    let gunicorn = deployment("frappe-bench-erpnext-gunicorn");
    assert!(
        probe_handlers(gunicorn).contains(&("gunicorn.livenessProbe".to_owned(), 2)),
        "{gunicorn:#}"
    );
    assert!(gunicorn.to_string().contains("CAP_CHOWN"));
    let worker = deployment("frappe-bench-erpnext-worker-d");
    assert!(
        worker["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]
            .to_string()
            .contains("valkey")
    );
}

#[test]
fn a_job_of_the_release_that_still_runs_stops_the_plan_before_anything_changes() {
    // The plan deletes the chart's Jobs: a migrate or a site creation cut
    // off part-way leaves its site half migrated or half made. The seed's
    // release has one Job, the chart's configure Job.
    let takeover = takeover(SEED_VALUES, CHART_RENDER, &[]);
    succeeded(&takeover);
    let commands = commands(&takeover.plan);
    let check = position(&commands, "custom-columns=NAME:.metadata.name,ACTIVE:.status.active");
    let first_change = commands
        .iter()
        .position(|c| {
            c.starts_with("kubectl annotate")
                || c.contains("set-last-applied")
                || c.starts_with("kubectl apply")
                || c.starts_with("kubectl delete")
        })
        .unwrap();
    assert!(check < first_change, "{}", commands.join("\n"));
    let helm = read(CHART_RENDER);
    let jobs: Vec<String> = resources(&helm).into_iter().filter(|r| r.starts_with("job.batch/")).collect();
    assert!(!jobs.is_empty());
    for job in &jobs {
        assert!(commands[check].contains(&format!("'{job}'")), "{job}: {}", commands[check]);
    }

    // The check itself, by the real kubectl against the chart's objects.
    let Some(kubectl) = common::kubectl() else { return };
    if !python() {
        return;
    }
    let start = takeover.plan.find("running=$(").unwrap();
    let end = start + takeover.plan[start..].find("\nfi\n").unwrap() + 4;
    let script = format!("set -euo pipefail\n{}echo went on\n", &takeover.plan[start..end]);
    for active in [Some(1), Some(0), None] {
        let objects: Vec<String> = documents(&helm)
            .into_iter()
            .filter(|o| o.is_object())
            .map(|mut o| {
                if let Some(active) = active
                    && o["kind"] == "Job"
                    && o["metadata"]["name"].as_str().unwrap().contains("-conf-bench-")
                {
                    o["status"] = json!({"active": active});
                }
                o.to_string()
            })
            .collect();
        let stand_in = StandIn::start(kubectl.clone(), &objects.join("\n---\n"));
        let output = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .env("KUBECONFIG", stand_in.work.path().join("kubeconfig"))
            .env("KUBECACHEDIR", stand_in.work.path().join("cache"))
            .env("PATH", std::env::var("PATH").unwrap())
            .output()
            .unwrap();
        let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
        if active == Some(1) {
            assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
            assert!(
                stderr.contains("Jobs of the release still run: frappe-bench-erpnext-conf-bench-TIMESTAMP"),
                "{stderr}"
            );
            assert!(!stdout.contains("went on"));
        } else {
            assert!(output.status.success(), "{active:?}: {stdout}{stderr}");
            assert!(stdout.contains("went on"), "{active:?}: {stdout}");
        }
    }

    // A kubectl that fails (no right to read Jobs) stops the script too,
    // rather than read as no Job running.
    let job = documents(&helm).into_iter().find(|o| o["kind"] == "Job").unwrap();
    let output = StandIn::forbidding(kubectl, &helm, &[&api_path(&job)]).bash(&script);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("Forbidden"), "{stderr}");
    assert!(!stdout.contains("went on"));
}

#[test]
fn a_release_record_kubectl_cannot_read_stops_the_plan() {
    // Without the right to list Secrets kubectl finds no record. Read as
    // none, the plan would end as if done, leaving helm the record that a
    // helm uninstall deletes every object of.
    let takeover = takeover(SEED_VALUES, CHART_RENDER, &[]);
    succeeded(&takeover);
    let Some(kubectl) = common::kubectl() else { return };
    if !python() {
        return;
    }
    let start = takeover.plan.find("\n# 4. ").unwrap();
    let script = format!("set -euo pipefail\n{}echo went on\n", &takeover.plan[start..]);
    let stand_in = StandIn::forbidding(
        kubectl,
        &read(CHART_RENDER),
        &["/api/v1/namespaces/erpnext/secrets", "/api/v1/namespaces/erpnext/configmaps"],
    );
    let output = stand_in.bash(&script);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("Forbidden"), "{stderr}");
    assert!(!stderr.contains("warning: no Secret or ConfigMap"), "{stderr}");
    assert!(!stdout.contains("went on"));
}
