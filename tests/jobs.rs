//! The bench's Jobs: what they render, and what their scripts do when run.
//!
//! The scripts are executed here with bash, in a scratch bench directory,
//! with a fake `bench` on PATH that records its arguments, fails on demand,
//! and (to prove the redaction) echoes the passwords it was given. The
//! database and Redis are a TCP listener on 127.0.0.1.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::{documents, example, render_text, snapshot_settings, text};

const ROOT_PASSWORD: &str = "s3cret-root-pw";
const ADMIN_PASSWORD: &str = "s3cret-admin-pw";

fn multisite_values(db_port: u16) -> String {
    format!(
        "dbHost: 127.0.0.1
dbPort: {db_port}
dbExistingSecret: erp-secrets
externalRedis:
  cache: rediss://default:cache-pass@127.0.0.1:{db_port}/0
  queue: rediss://default:queue-pass@127.0.0.1:{db_port}/1
jobs:
  createMultipleSites:
    enabled: true
    adminExistingSecret: erp-secrets
    sites:
      - {{name: shop.example.com, installApps: [erpnext, payments]}}
      - {{name: hr.example.com, installApps: [erpnext, hrms]}}
      - {{name: crm.example.com, installApps: [erpnext, crm]}}
  migrateMultipleSites:
    enabled: true
    sites: [{{name: shop.example.com}}, {{name: hr.example.com}}, {{name: crm.example.com}}]
  backupMultipleSites:
    enabled: true
    retainDays: 7
    sites: [{{name: shop.example.com}}, {{name: hr.example.com}}]
  dropMultipleSites:
    enabled: true
    sites: [{{name: retired.example.com}}, {{name: gone.example.com}}]
"
    )
}

/// The script of the Job (or CronJob) whose component label is `task`.
fn script(docs: &[Value], task: &str) -> String {
    let job = docs
        .iter()
        .find(|d| (d["kind"] == "Job" || d["kind"] == "CronJob") && d["metadata"]["labels"]["app.kubernetes.io/component"] == task)
        .unwrap_or_else(|| panic!("no {task} Job"));
    let spec = if job["kind"] == "CronJob" {
        &job["spec"]["jobTemplate"]["spec"]
    } else {
        &job["spec"]
    };
    spec["template"]["spec"]["containers"][0]["args"][0].as_str().unwrap().to_owned()
}

struct Bench {
    dir: tempfile::TempDir,
}

impl Bench {
    /// A bench directory whose configure Job has run, with a fake `bench`.
    fn new() -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("sites")).unwrap();
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::write(
            root.join("sites/common_site_config.json"),
            r#"{"db_host": "127.0.0.1", "redis_queue": "rediss://q"}"#,
        )
        .unwrap();
        let fake = root.join("bin/bench");
        std::fs::write(
            &fake,
            r#"#!/usr/bin/env bash
# A stand-in for bench: records its arguments, leaks what it is given to
# stdout (a real bench might), and fails when its arguments match FAIL_ON.
printf '%s\n' "$*" >> "$BENCH_LOG"
echo "bench called with: $*"
if [[ -n ${FAIL_ON:-} && "$*" == *"$FAIL_ON"* ]]; then
  echo "${FAIL_MESSAGE:-something went wrong}"
  exit 1
fi
"#,
        )
        .unwrap();
        Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
        Bench { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, script: &str, fail_on: Option<(&str, &str)>) -> Output {
        let path = format!(
            "{}:{}",
            self.root().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(script)
            .env("PATH", path)
            .env("BENCH_DIR", self.root())
            .env("BENCH_LOG", self.log_path())
            .env("WAIT_TIMEOUT", "3")
            .env("DB_HOST", "127.0.0.1")
            .env("DB_PORT", "3306")
            .env("DB_ROOT_USER", "root")
            .env("DB_ROOT_PASSWORD", ROOT_PASSWORD)
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD);
        if let Some((pattern, message)) = fail_on {
            command.env("FAIL_ON", pattern).env("FAIL_MESSAGE", message);
        }
        command.output().unwrap()
    }

    fn log_path(&self) -> PathBuf {
        self.root().join("bench.log")
    }

    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.log_path())
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

fn rendered(listener: &TcpListener) -> Vec<Value> {
    documents(&render_text(&multisite_values(listener.local_addr().unwrap().port()), &[]))
}

#[test]
fn a_failing_migrate_fails_the_job_and_leaves_maintenance_mode() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let migrate = script(&rendered(&listener), "migrate");
    let bench = Bench::new();
    let output = bench.run(&migrate, Some(("--site hr.example.com migrate", "patch failed")));
    assert!(!output.status.success(), "a failed migrate must fail the Job");
    let calls = bench.calls();
    assert_eq!(
        calls,
        [
            "--site shop.example.com set-maintenance-mode on",
            "--site shop.example.com migrate",
            "--site shop.example.com set-maintenance-mode off",
            "--site hr.example.com set-maintenance-mode on",
            "--site hr.example.com migrate",
            "--site hr.example.com set-maintenance-mode off",
        ],
        "maintenance mode is switched off on the way out, and crm is not touched"
    );

    let bench = Bench::new();
    let output = bench.run(&migrate, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(bench.calls().len(), 9);
}

#[test]
fn create_site_tolerates_an_existing_site_and_fails_on_anything_else() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let create = script(&rendered(&listener), "create-site");

    let bench = Bench::new();
    let output = bench.run(&create, Some(("new-site hr.example.com", "Site hr.example.com already exists")));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("site hr.example.com already exists: nothing to do"));
    let calls = bench.calls();
    assert_eq!(calls.len(), 3, "every site was attempted: {calls:?}");
    assert!(calls[0].starts_with("new-site shop.example.com --no-mariadb-socket --db-type=mariadb"));
    assert!(calls[0].ends_with("--install-app=erpnext --install-app=payments"), "{}", calls[0]);

    let bench = Bench::new();
    let output = bench.run(&create, Some(("new-site hr.example.com", "Access denied for user 'root'")));
    assert!(!output.status.success());
    assert_eq!(bench.calls().len(), 2, "the Job stops at the first real failure");
    assert!(text(&output.stderr).contains("bench new-site hr.example.com failed"));

    let bench = Bench::new();
    let output = bench.run(&create, Some(("new-site hr.example.com", "Site shop.example.com already exists")));
    assert!(!output.status.success(), "another site's message is not this site's success");
}

#[test]
fn no_password_appears_in_what_the_scripts_print_or_in_the_pod_specs() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    for task in ["create-site", "drop-site"] {
        let bench = Bench::new();
        std::fs::create_dir_all(bench.root().join("sites/retired.example.com")).unwrap();
        let output = bench.run(&script(&docs, task), None);
        assert!(output.status.success(), "{task}: {}", text(&output.stderr));
        let printed = format!("{}{}", text(&output.stdout), text(&output.stderr));
        assert!(printed.contains("bench called with"), "the fake bench ran");
        assert!(
            !printed.contains(ROOT_PASSWORD) && !printed.contains(ADMIN_PASSWORD),
            "{task} printed a password:\n{printed}"
        );
        assert!(printed.contains("***"), "{task}: the password was redacted, not absent");
        assert!(
            bench.calls().iter().any(|c| c.contains(ROOT_PASSWORD)),
            "the password still reached bench"
        );
    }
    let stream = serde_json::to_string(&docs).unwrap();
    assert!(!stream.contains(":cache-pass@"), "a Redis password is outside the Secret");
    for doc in docs.iter().filter(|d| d["kind"] == "Deployment") {
        let probe = serde_json::to_string(&doc["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]).unwrap();
        assert!(!probe.contains("pass"), "a probe carries a Redis password: {probe}");
    }
    for doc in docs.iter().filter(|d| d["kind"] == "Job") {
        for env in doc["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if env["name"].as_str().is_some_and(|n| n.ends_with("PASSWORD")) {
                assert!(env.get("value").is_none(), "a password is set as a literal: {env}");
                // The Redis passwords of the URLs go into the bench's own Secret.
                let secret = if env["name"].as_str().unwrap().starts_with("REDIS_") {
                    "erpnext"
                } else {
                    "erp-secrets"
                };
                assert_eq!(env["valueFrom"]["secretKeyRef"]["name"], secret);
            }
        }
    }
}

#[test]
fn drop_site_and_backup_do_their_work() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = Bench::new();
    std::fs::create_dir_all(bench.root().join("sites/retired.example.com")).unwrap();
    let output = bench.run(&script(&docs, "drop-site"), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("site gone.example.com does not exist: nothing to drop"));
    let calls = bench.calls();
    assert_eq!(calls.len(), 1);
    assert!(
        calls[0].starts_with("drop-site retired.example.com --root-login=root --root-password="),
        "{}",
        calls[0]
    );

    let bench = Bench::new();
    let backups = bench.root().join("sites/shop.example.com/private/backups");
    std::fs::create_dir_all(&backups).unwrap();
    std::fs::write(backups.join("old.sql.gz"), "").unwrap();
    std::fs::write(backups.join("new.sql.gz"), "").unwrap();
    Command::new("touch")
        .args(["-d", "30 days ago"])
        .arg(backups.join("old.sql.gz"))
        .status()
        .unwrap();
    std::fs::create_dir_all(bench.root().join("sites/hr.example.com/private/backups")).unwrap();
    let output = bench.run(&script(&docs, "backup"), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        bench.calls(),
        [
            "--site shop.example.com backup --with-files",
            "--site hr.example.com backup --with-files"
        ]
    );
    assert!(!backups.join("old.sql.gz").exists(), "backups past retainDays are deleted");
    assert!(backups.join("new.sql.gz").exists());
}

#[test]
fn jobs_wait_for_the_database_with_a_bounded_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    drop(listener); // nothing listens there any more
    let bench = Bench::new();
    let output = bench.run(&script(&docs, "migrate"), None);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("did not accept connections within 3s"),
        "{}",
        text(&output.stderr)
    );
    assert!(bench.calls().is_empty(), "nothing ran before the database answered");
}

#[test]
fn every_job_script_of_the_multisite_example_is_snapshotted() {
    let values = std::fs::read_to_string(example("multisite")).unwrap();
    let docs = documents(&render_text(&values, &[]));
    for task in ["configure", "create-site", "migrate", "backup", "drop-site"] {
        let script = script(&docs, task);
        snapshot_settings().bind(|| insta::assert_snapshot!(format!("job-script-{task}"), script));
    }
    let kinds: Vec<(&str, &str)> = docs
        .iter()
        .filter(|d| d["kind"] == "Job" || d["kind"] == "CronJob")
        .map(|d| {
            (
                d["kind"].as_str().unwrap(),
                d["metadata"]["labels"]["app.kubernetes.io/component"].as_str().unwrap(),
            )
        })
        .collect();
    for expected in ["configure", "volume-permissions", "create-site", "migrate", "drop-site", "custom"] {
        assert!(kinds.contains(&("Job", expected)), "no {expected} Job: {kinds:?}");
    }
    assert!(kinds.contains(&("CronJob", "backup")));
    let cron = docs.iter().find(|d| d["kind"] == "CronJob").unwrap();
    assert_eq!(cron["metadata"]["name"], "erpnext-backup");
    assert_eq!(cron["spec"]["schedule"], "0 3 * * *");
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
    assert_eq!(cron["spec"]["successfulJobsHistoryLimit"], 3);
}

#[test]
fn a_new_image_tag_renames_the_migrate_job_and_changes_nothing_else_in_it() {
    let values = std::fs::read_to_string(example("multisite")).unwrap();
    let before = documents(&render_text(&values, &[]));
    let after = documents(&render_text(&values, &["image.tag=v16.40.0"]));
    assert_eq!(before, documents(&render_text(&values, &[])), "two renders are identical");
    let migrate = |docs: &[Value]| {
        docs.iter()
            .find(|d| d["kind"] == "Job" && d["metadata"]["labels"]["app.kubernetes.io/component"] == "migrate")
            .unwrap()
            .clone()
    };
    let (mut old, mut new) = (migrate(&before), migrate(&after));
    assert_ne!(old["metadata"]["name"], new["metadata"]["name"]);
    for job in [&mut old, &mut new] {
        job["metadata"]["name"] = Value::Null;
        job["metadata"]["labels"]["app.kubernetes.io/version"] = Value::Null;
        job["spec"]["template"]["spec"]["containers"][0]["image"] = Value::Null;
    }
    assert_eq!(old, new, "only the name, the image and the version label change");
    let names = |docs: &[Value]| {
        docs.iter()
            .filter(|d| d["kind"] == "Job")
            .map(|d| d["metadata"]["name"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&before).len(), names(&after).len());
}

#[test]
fn passwords_in_the_values_go_into_one_secret() {
    let values = "dbHost: db\ndbRootPassword: root-pw\nexternalRedis: {cache: \"redis://c:6379\", queue: \"redis://q:6379\"}\njobs:\n  createSite:\n    enabled: true\n    siteName: erp.example.com\n    adminPassword: admin-pw\n";
    let outcome = crate::common::check_text(values, &[], "erpnext", None);
    let docs = documents(&frappe_manifests::emit::to_yaml_stream(outcome.manifests.as_ref().unwrap()));
    let secrets: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "Secret").collect();
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0]["data"]["admin-password"], "YWRtaW4tcHc=");
    assert_eq!(secrets[0]["data"]["db-root-password"], "cm9vdC1wdw==");
    let warned: Vec<&str> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "plaintext-password")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(warned.len(), 2, "{warned:?}");
    let job = docs
        .iter()
        .find(|d| d["kind"] == "Job" && d["metadata"]["labels"]["app.kubernetes.io/component"] == "create-site")
        .unwrap();
    let env = job["spec"]["template"]["spec"]["containers"][0]["env"].as_array().unwrap();
    let admin = env.iter().find(|e| e["name"] == "ADMIN_PASSWORD").unwrap();
    assert_eq!(
        admin["valueFrom"]["secretKeyRef"],
        serde_json::json!({"name": "erpnext", "key": "admin-password"})
    );
    assert!(!serde_json::to_string(job).unwrap().contains("admin-pw"));
}
