//! The upgrade order (issue 18): which phase and wave each object is in, that
//! the phases are the whole bundle, that a sync which changes no image runs
//! nothing, and what the upgrade's scripts do, in order, with the fake bench.

use std::net::TcpListener;

use frappe_manifests::objects::Manifest;
use frappe_manifests::order::{self, Phase};
use serde_json::Value;

use crate::common::{check_text, documents, example, human, run, text};
use crate::fake_bench::ScratchBench;
use crate::jobs::{job, job_name, multisite_values, rendered, script};

/// The documents of a YAML stream as written, without their `---`.
fn written_documents(stream: &str) -> Vec<String> {
    let mut documents: Vec<String> = Vec::new();
    for line in stream.lines() {
        if line == "---" {
            documents.push(String::new());
        } else {
            let document = documents.last_mut().expect("the stream starts with ---");
            document.push_str(line);
            document.push('\n');
        }
    }
    documents
}

fn render_phase(phase: Option<&str>) -> String {
    let example = example("multisite");
    let mut args = vec!["render", "-f", example.to_str().unwrap(), "-n", "erp"];
    if let Some(phase) = phase {
        args.extend(["--phase", phase]);
    }
    let output = run(&args);
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout)
}

#[test]
fn the_three_phases_are_the_whole_bundle_each_object_once() {
    let whole = written_documents(&render_phase(None));
    let phases: Vec<Vec<String>> = ["pre", "main", "post"]
        .iter()
        .map(|phase| written_documents(&render_phase(Some(phase))))
        .collect();
    let mut together: Vec<&String> = phases.iter().flatten().collect();
    together.sort();
    let mut expected: Vec<&String> = whole.iter().collect();
    expected.sort();
    assert_eq!(together, expected, "pre + main + post is the bundle, byte for byte, nothing twice");

    let kinds = |documents: &[String]| -> Vec<(String, String)> {
        documents
            .iter()
            .map(|d| documents_of(d))
            .map(|d| {
                let component = d["metadata"]["labels"]["app.kubernetes.io/component"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                (d["kind"].as_str().unwrap().to_owned(), component)
            })
            .collect()
    };
    let (pre, main, post) = (kinds(&phases[0]), kinds(&phases[1]), kinds(&phases[2]));
    for (kind, _) in kinds(&whole) {
        if ["ServiceAccount", "Secret", "ConfigMap", "PersistentVolumeClaim", "NetworkPolicy"].contains(&kind.as_str()) {
            assert!(
                main.iter().chain(&post).all(|(k, _)| *k != kind),
                "every {kind} is in pre: the migrate Job needs it"
            );
        }
    }
    assert!(pre.iter().any(|(kind, _)| kind == "PersistentVolumeClaim"));
    for task in ["configure", "create-site", "migrate"] {
        assert!(
            pre.contains(&("Job".to_owned(), task.to_owned())),
            "pre lacks the {task} Job: {pre:?}"
        );
    }
    assert!(
        pre.iter().all(|(kind, _)| kind != "Deployment"),
        "no pod of the new image starts in pre"
    );
    assert!(main.contains(&("Deployment".to_owned(), "gunicorn".to_owned())));
    assert_eq!(post, [("Job".to_owned(), "clear-cache".to_owned())]);
}

fn documents_of(document: &str) -> Value {
    documents(&format!("---\n{document}")).remove(0)
}

/// The production-like values of tests/jobs.rs, rendered in-process.
fn manifests(sets: &[&str]) -> Vec<Manifest> {
    let values = multisite_values(3306);
    let outcome = check_text(&values, sets, "erpnext", Some("erp"));
    outcome.manifests.clone().unwrap_or_else(|| panic!("{}", human(&outcome)))
}

#[test]
fn argo_cd_waves_follow_the_phases_and_no_job_is_a_hook() {
    let mut manifests = manifests(&[]);
    frappe_manifests::argocd::annotate(&mut manifests);
    let wave = |m: &Manifest| -> i32 {
        m.metadata().annotations.as_ref().unwrap()["argocd.argoproj.io/sync-wave"]
            .parse()
            .unwrap()
    };
    let waves_of = |phase: Phase| -> Vec<i32> { manifests.iter().filter(|m| order::place(m).phase == phase).map(wave).collect() };
    let (pre, main, post) = (waves_of(Phase::Pre), waves_of(Phase::Main), waves_of(Phase::Post));
    assert!(pre.iter().max() < main.iter().min(), "pre {pre:?} before main {main:?}");
    assert!(main.iter().max() < post.iter().min(), "main {main:?} before post {post:?}");
    let job_wave = |task: &str| wave(manifests.iter().find(|m| m.kind() == "Job" && m.component() == Some(task)).unwrap());
    assert!(job_wave("configure") < job_wave("create-site"));
    assert!(
        job_wave("create-site") < job_wave("migrate"),
        "on a first install, the sites exist before migrate"
    );
    for manifest in &manifests {
        let annotations = manifest.metadata().annotations.as_ref().unwrap();
        assert!(
            !annotations.contains_key("argocd.argoproj.io/hook"),
            "{} is a hook, which Argo CD runs again on every sync",
            manifest.name()
        );
    }
}

#[test]
fn a_replica_change_reruns_no_job_and_a_new_image_reruns_the_upgrade() {
    let jobs = |sets: &[&str]| -> Vec<String> {
        manifests(sets)
            .iter()
            .filter(|m| m.kind() == "Job")
            .map(frappe_manifests::emit::to_yaml)
            .collect()
    };
    let base = jobs(&[]);
    assert_eq!(
        jobs(&["worker.gunicorn.replicaCount=5"]),
        base,
        "a sync that changes no image meets the same Jobs, which neither kubectl nor Argo CD runs again"
    );
    let values = multisite_values(3306);
    let docs = |sets: &[&str]| documents(&crate::common::render_text(&values, sets));
    let (before, after) = (docs(&[]), docs(&["image.tag=v16.99.0"]));
    for task in ["migrate", "clear-cache"] {
        assert_ne!(job_name(&before, task), job_name(&after, task), "a new image runs {task}");
    }
    for task in ["create-site", "drop-site"] {
        assert_eq!(job_name(&before, task), job_name(&after, task), "{task} does not run again");
    }
}

/// Each site's `maintenance_mode` in its site_config.json.
fn maintenance(bench: &ScratchBench, site: &str) -> Value {
    let config = std::fs::read_to_string(bench.root().join("sites").join(site).join("site_config.json")).unwrap();
    serde_json::from_str::<Value>(&config).unwrap()["maintenance_mode"].clone()
}

const SITES: [&str; 3] = ["shop.example.com", "hr.example.com", "crm.example.com"];

#[test]
fn an_upgrade_runs_in_order_and_a_second_run_does_nothing() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));

    let output = bench.run(&script(&docs, "migrate"), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let mut expected = Vec::new();
    for site in SITES {
        expected.push(format!("--site {site} set-maintenance-mode on"));
        expected.push(format!("--site {site} backup --with-files"));
        expected.push(format!("--site {site} migrate"));
    }
    assert_eq!(bench.calls(), expected, "maintenance on, backup, migrate, site after site");
    for site in SITES {
        assert_eq!(
            maintenance(&bench, site),
            1,
            "{site} stays in maintenance mode until the rollout is done"
        );
    }

    let output = bench.run(&script(&docs, "clear-cache"), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let mut after = Vec::new();
    for site in SITES {
        after.push(format!("--site {site} clear-cache"));
        after.push(format!("--site {site} clear-website-cache"));
        after.push(format!("--site {site} execute frappe.cache_manager.clear_global_cache"));
    }
    for site in SITES {
        after.push(format!("--site {site} set-maintenance-mode off"));
    }
    assert_eq!(bench.calls()[expected.len()..], after, "caches cleared, then maintenance mode off");
    for site in SITES {
        assert_eq!(maintenance(&bench, site), 0);
    }

    let calls = bench.calls().len();
    let output = bench.run(&script(&docs, "migrate"), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        bench.calls().len(),
        calls,
        "the same image again: no maintenance mode, no backup, no migrate"
    );

    let values = multisite_values(listener.local_addr().unwrap().port());
    let bumped = documents(&crate::common::render_text(&values, &["image.tag=v16.99.0"]));
    let output = bench.run(&script(&bumped, "migrate"), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(bench.calls().len(), calls + expected.len(), "a new image is migrated");
}

#[test]
fn a_failed_migrate_stops_in_maintenance_mode_and_says_what_to_do() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    let output = bench.run(&script(&docs, "migrate"), Some(("--site hr.example.com migrate", "patch failed")));
    assert!(
        !output.status.success(),
        "a failed migrate fails the Job, which stops the sync before the rollout"
    );
    assert_eq!(
        bench.calls(),
        [
            "--site shop.example.com set-maintenance-mode on",
            "--site shop.example.com backup --with-files",
            "--site shop.example.com migrate",
            "--site hr.example.com set-maintenance-mode on",
            "--site hr.example.com backup --with-files",
            "--site hr.example.com migrate",
        ],
        "crm is not touched, and no site leaves maintenance mode"
    );
    assert_eq!(maintenance(&bench, "hr.example.com"), 1);
    let log = text(&output.stderr);
    let backups: Vec<String> = std::fs::read_dir(bench.root().join("sites/hr.example.com/private/backups"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    let database = backups
        .iter()
        .find(|name| name.ends_with("-hr_example_com-database.sql.gz"))
        .expect("a database backup");
    assert!(
        log.contains(&format!("sites/hr.example.com/private/backups/{database}")),
        "the log names the backup taken: {log}"
    );
    assert!(log.contains("kubectl delete job"), "{log}");
    assert!(log.contains("--site hr.example.com set-maintenance-mode off"), "{log}");
    assert!(log.contains("--site hr.example.com restore"), "{log}");

    let calls = bench.calls().len();
    let output = bench.run(&script(&docs, "clear-cache"), None);
    assert!(!output.status.success(), "the clear-cache Job does not end a failed upgrade");
    assert!(text(&output.stderr).contains("the migrate Job failed on hr.example.com"));
    assert!(
        bench.calls()[calls..].iter().all(|call| !call.contains("set-maintenance-mode off")),
        "{:?}",
        bench.calls()
    );
}

#[test]
fn clearing_caches_alone_covers_every_site_and_leaves_maintenance_mode_alone() {
    let values = "dbHost: 127.0.0.1\ndbExistingSecret: s\nexternalRedis: {cache: \"redis://127.0.0.1:6379\", queue: \"redis://127.0.0.1:6379\"}\n\
                  jobs:\n  clearCache: {enabled: true}\n";
    let docs = documents(&crate::common::render_text(values, &[]));
    assert!(
        docs.iter()
            .all(|d| d["metadata"]["labels"]["app.kubernetes.io/component"] != "migrate")
    );
    let clear = job(&docs, "clear-cache")["spec"]["template"]["spec"]["containers"][0]["args"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        clear.contains("bench --site 'all' execute frappe.cache_manager.clear_global_cache"),
        "{clear}"
    );
    assert!(!clear.contains("set-maintenance-mode"), "{clear}");
    assert!(!clear.contains("wait_for_migrate '"), "{clear}");
}
