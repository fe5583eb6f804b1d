//! The upgrade order (issue 18): which phase and wave each object is in, that
//! the phases are the whole bundle, that a sync which changes no image runs
//! nothing, and what the upgrade's scripts do, in order, with the fake bench.

use std::net::TcpListener;

use frappe_manifests::diagnostic::Code;
use frappe_manifests::objects::Manifest;
use frappe_manifests::order::{self, Phase};
use serde_json::Value;

/// The label the Job controller puts on a Job's pods, with the Job's name.
const JOB_NAME: &str = "batch.kubernetes.io/job-name";
/// Our label on the pods of a Job that changes a site, with the Job's name
/// as rendered: what its budget selects.
const JOB_LABEL: &str = "frappe-manifests/job";

use crate::common::{check_text, documents, example, human, run, text};
use crate::fake_bench::{DUMPING, ScratchBench};
use crate::jobs::{config_exports, job, job_name, multisite_values, rendered, scheduled_backup_values, script, set_maintenance_mode};

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
    let hook = |task: &str| {
        let job = manifests.iter().find(|m| m.kind() == "Job" && m.component() == Some(task)).unwrap();
        job.metadata().annotations.as_ref().unwrap().get("argocd.argoproj.io/hook").cloned()
    };
    for task in ["configure", "backup", "migrate", "clear-cache"] {
        assert_eq!(hook(task), None, "{task} is a hook, which Argo CD runs again on every sync");
    }
    for task in ["create-site", "drop-site"] {
        assert_eq!(
            hook(task).as_deref(),
            Some("Sync"),
            "{task} deletes itself after it finished: as a plain resource it would leave the application OutOfSync"
        );
    }
}

/// `kubectl drain` and the node upgrades of GKE, EKS and AKS evict pods
/// through the Eviction API, which reads PodDisruptionBudgets and no
/// annotation: each Job that changes a site has a budget of its own, which
/// the API server holds before the Job's pod runs, for kubectl's phases and
/// Argo CD's waves alike.
#[test]
fn each_job_that_changes_a_site_has_its_own_disruption_budget_before_it() {
    let values = format!(
        "{}  restore:\n    enabled: true\n    siteName: shop.example.com\n    confirm: shop.example.com\n    database: a-database.sql.gz\n",
        multisite_values(3306)
    );
    let outcome = check_text(&values, &[], "erpnext", Some("erp"));
    let mut manifests = outcome.manifests.clone().unwrap_or_else(|| panic!("{}", human(&outcome)));
    frappe_manifests::argocd::annotate(&mut manifests);
    let wave = |m: &Manifest| -> i32 {
        m.metadata().annotations.as_ref().unwrap()["argocd.argoproj.io/sync-wave"]
            .parse()
            .unwrap()
    };
    let json = |m: &Manifest| serde_json::to_value(m).unwrap();
    let mut fenced = Vec::new();
    let mut unfenced = Vec::new();
    for (at, job) in manifests.iter().enumerate().filter(|(_, m)| m.kind() == "Job") {
        let task = job.component().unwrap();
        let own: Vec<(usize, &Manifest)> = manifests
            .iter()
            .enumerate()
            .filter(|(_, m)| m.kind() == "PodDisruptionBudget" && json(m)["spec"]["selector"]["matchLabels"][JOB_LABEL] == job.name())
            .collect();
        if !["create-site", "drop-site", "migrate", "restore"].contains(&task) {
            assert!(own.is_empty(), "{task} leaves no site half changed");
            unfenced.push(task);
            continue;
        }
        let [(budget_at, budget)] = own[..] else {
            panic!("{task}: {} budgets", own.len())
        };
        let spec = &json(budget)["spec"];
        // An integer: `maxUnavailable` or a percentage needs the scale of the
        // pods' controller, and a Job has none.
        assert_eq!(spec["minAvailable"], 1, "{task}");
        assert_eq!(spec.get("maxUnavailable"), None, "{task}");
        // This Job's pods and no other's: a label of the pod template with
        // the Job's name as rendered, which a kustomize rename leaves as it
        // is (not the one Kubernetes puts on them from the Job's name).
        assert_eq!(
            spec["selector"],
            serde_json::json!({"matchLabels": {JOB_LABEL: job.name()}}),
            "{task}"
        );
        assert_eq!(
            json(job)["spec"]["template"]["metadata"]["labels"][JOB_LABEL],
            job.name(),
            "{task}: the pods carry what the budget selects"
        );
        // The scripts read their Job's name from the label Kubernetes puts
        // on the pods: the name the Job has in the cluster.
        let pod_env = json(job)["spec"]["template"]["spec"]["containers"][0]["env"].clone();
        assert!(
            pod_env
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["valueFrom"]["fieldRef"]["fieldPath"] == format!("metadata.labels['{JOB_NAME}']")),
            "{task}: {pod_env}"
        );
        assert_eq!(budget.name(), job.name(), "{task}: one budget per Job, named as it is");
        // Applied before the Job: in its phase or an earlier one and, within
        // a phase, earlier in the stream; in an earlier Argo CD wave.
        assert!(order::place(budget).phase <= order::place(job).phase, "{task}");
        assert!(budget_at < at, "{task}: kubectl applies the budget first");
        assert!(wave(budget) < wave(job), "{task}: wave {} after {}", wave(budget), wave(job));
        // A plain resource, not a hook: it stays while a hook Job is deleted
        // and created again.
        assert_eq!(budget.metadata().annotations.as_ref().unwrap().get("argocd.argoproj.io/hook"), None);
        fenced.push(task);
    }
    fenced.sort();
    assert_eq!(fenced, ["create-site", "drop-site", "migrate", "restore"]);
    for task in ["configure", "backup", "clear-cache"] {
        assert!(unfenced.contains(&task), "no {task} Job: {unfenced:?}");
    }
}

/// A Job that changes a site mostly waits (for the backing services, the
/// one-off backup, a site's creation: up to a day), and changes a site for
/// a part of its run: its pod is Ready only then (a readiness probe on a
/// file of its own /tmp), and its budget lets an eviction take it while it
/// is not (`unhealthyPodEvictionPolicy: AlwaysAllow`), so that a drain waits
/// only while a site is being changed.
#[test]
fn a_jobs_pod_is_ready_only_while_it_changes_a_site_and_its_budget_lets_the_rest_go() {
    let values = format!(
        "{}  restore:\n    enabled: true\n    siteName: shop.example.com\n    confirm: shop.example.com\n    database: a-database.sql.gz\n",
        multisite_values(3306)
    );
    let docs = documents(&crate::common::render_text(&values, &[]));
    let mut probed = Vec::new();
    for job in docs.iter().filter(|d| d["kind"] == "Job") {
        let task = job["metadata"]["labels"]["app.kubernetes.io/component"].as_str().unwrap();
        let pod = &job["spec"]["template"]["spec"];
        let container = &pod["containers"][0];
        let budget = docs
            .iter()
            .find(|d| d["kind"] == "PodDisruptionBudget" && d["metadata"]["name"] == job["metadata"]["name"]);
        let Some(budget) = budget else {
            assert!(container.get("readinessProbe").is_none(), "{task}: no budget, no probe");
            continue;
        };
        assert_eq!(budget["spec"]["unhealthyPodEvictionPolicy"], "AlwaysAllow", "{task}");
        let probe = &container["readinessProbe"];
        assert_eq!(probe["periodSeconds"], 5, "{task}: {probe}");
        let command = probe["exec"]["command"].as_array().unwrap();
        let file = "/tmp/frappe-manifests-changing-a-site";
        assert!(
            command[2].as_str().unwrap().starts_with(&format!("test -e {file} ||")),
            "{task}: {probe}"
        );
        // The script keeps the file the probe looks for, in the pod's own
        // writable /tmp (an emptyDir: the root filesystem is read-only).
        let script = container["args"][0].as_str().unwrap();
        assert!(
            script.contains(&format!("changing_a_site_file=${{CHANGING_A_SITE_FILE:-{file}}}")),
            "{task}"
        );
        assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
        let tmp = container["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["mountPath"] == "/tmp")
            .unwrap();
        let volume = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == tmp["name"])
            .unwrap();
        assert!(volume["emptyDir"].is_object(), "{task}: {volume}");
        probed.push(task);
    }
    probed.sort();
    assert_eq!(probed, ["create-site", "drop-site", "migrate", "restore"]);
}

/// A pod a drain evicts while its Job waits (or that a preemption, a
/// NoExecute taint, a lost node or the kubelet's node-pressure eviction
/// takes: each marks it `DisruptionTarget`) is replaced, not counted against
/// `backoffLimit` (0 by default, so it would fail the Job and stall the
/// upgrade until someone runs the Job again). Every Job of our own scripts,
/// whose pods never restart in place; not the user's custom Job, nor one
/// whose failures should not count.
#[test]
fn a_pod_taken_by_a_disruption_is_replaced_without_counting_as_a_failure() {
    let extra = "  restore:\n    enabled: true\n    siteName: shop.example.com\n    confirm: shop.example.com\n    database: a-database.sql.gz\n  volumePermissions: {enabled: true}\n  clearCache: {enabled: true}\n  custom: {enabled: true, containers: [{name: task, image: 'busybox:1.36'}]}\n";
    let mut docs = documents(&crate::common::render_text(&format!("{}{extra}", multisite_values(3306)), &[]));
    docs.extend(documents(&crate::common::render_text(&scheduled_backup_values(3306), &[])));
    let ignored = serde_json::json!({"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]});
    let mut covered = Vec::new();
    for doc in docs.iter().filter(|d| d["kind"] == "Job" || d["kind"] == "CronJob") {
        let spec = if doc["kind"] == "Job" {
            &doc["spec"]
        } else {
            &doc["spec"]["jobTemplate"]["spec"]
        };
        let task = doc["metadata"]["labels"]["app.kubernetes.io/component"].as_str().unwrap();
        if task == "custom" {
            assert_eq!(spec.get("podFailurePolicy"), None, "the user's own Job");
            covered.push(task.to_owned());
            continue;
        }
        assert_eq!(spec["podFailurePolicy"], ignored, "{task}");
        // A pod failure policy needs pods that never restart in place.
        assert_eq!(spec["template"]["spec"]["restartPolicy"], "Never", "{task}");
        // The script's own failure still counts, as often as the values say.
        assert_eq!(spec["backoffLimit"], 0, "{task}");
        covered.push(format!("{}:{task}", doc["kind"].as_str().unwrap()));
    }
    covered.sort();
    for task in [
        "custom",
        "Job:volume-permissions",
        "Job:configure",
        "Job:create-site",
        "Job:drop-site",
        "Job:migrate",
        "Job:restore",
        "Job:backup",
        "Job:clear-cache",
        "CronJob:backup",
    ] {
        assert!(covered.iter().any(|c| c == task), "{task}: {covered:?}");
    }
}

/// A pod cut off while it changes a site (preempted, its node lost or
/// under pressure) is replaced without counting as a failure; its
/// replacement does not redo the change by itself, again each time a pod is
/// taken: the change under way is recorded on the sites volume under the
/// Job's name and uid, and a pod of the same Job (same uid) that finds it
/// fails at once, naming the site, with nothing changed. The same Job
/// applied again (another uid: someone decided) goes on.
#[test]
fn a_pod_cut_off_while_it_changes_a_site_is_not_redone_by_its_replacement() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    backed_up(&bench, &docs);
    let migrate = |uid: &str| {
        format!(
            "export JOB_NAME=erpnext-migrate-1 JOB_UID={uid} HOSTNAME=pod-{uid}\n{}",
            script(&docs, "migrate")
        )
    };
    let record = bench.root().join("sites/.frappe-manifests/changing/erpnext-migrate-1");
    // A pod that stops part-way leaves the record: here bench migrate fails
    // on hr (a SIGKILL leaves it the same way).
    let output = bench.run(&migrate("uid-1"), Some(("--site hr.example.com migrate", "killed")));
    assert!(!output.status.success());
    assert_eq!(std::fs::read_to_string(&record).unwrap(), "uid-1 pod-uid-1 hr.example.com\n");
    let calls = bench.calls().len();
    let output = bench.run(&migrate("uid-1"), None);
    assert!(!output.status.success(), "the replacement stops");
    let log = text(&output.stderr);
    assert!(
        log.contains("pod pod-uid-1 of this Job stopped part-way while it changed hr.example.com")
            && log.contains("kubectl delete job erpnext-migrate-1"),
        "{log}"
    );
    assert_eq!(bench.calls().len(), calls, "it changes nothing");
    assert_eq!(maintenance(&bench, "hr.example.com"), 1, "hr stays as it was left");
    assert!(!record.exists(), "said once: a retry under backoffLimit goes on");
    // The Job deleted and applied again has another uid, and goes on.
    std::fs::write(&record, "uid-1 pod-uid-1 hr.example.com\n").unwrap();
    let output = bench.run(&migrate("uid-2"), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(maintenance(&bench, "hr.example.com"), 0);
    assert!(!record.exists(), "a change done leaves no record");
}

/// An eviction takes a Job's pod while it is not Ready (its budget lets it),
/// and the kubelet sends SIGTERM to the container's first process: the
/// script, PID 1 of its PID namespace, to which the kernel delivers only a
/// signal it traps. This runs the script of `job` so, and sends the SIGTERM
/// while it waits for the probe (READY_DELAY) before its change; it returns
/// the script's output, `None` where the machine has no user and PID
/// namespaces.
fn evicted_at_its_change(bench: &ScratchBench, docs: &[Value], job: &str) -> Option<std::process::Output> {
    let job_name = format!("erpnext-{job}-1");
    let env = [("JOB_NAME", job_name.as_str()), ("JOB_UID", "uid-1"), ("READY_DELAY", "3")];
    let stopped = bench.terminate_as_pid_one(&script(docs, job), &env, || bench.changing_a_site_file().exists())?;
    let output = stopped.output;
    assert_eq!(output.status.code(), Some(143), "ended by the SIGTERM: {}", text(&output.stderr));
    assert!(!bench.root().join(format!("sites/.frappe-manifests/changing/{job_name}")).exists());
    Some(output)
}

/// A drop-site pod (whose script traps nothing else) evicted in the moment
/// before its change stops there: no record, nothing changed, rather than
/// the change begun and cut off at the end of the grace period.
#[test]
fn a_pod_evicted_before_its_change_begins_stops_there() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    bench.add_site("retired.example.com");
    if evicted_at_its_change(&bench, &docs, "drop-site").is_none() {
        return;
    }
    assert_eq!(bench.calls(), Vec::<String>::new(), "nothing changed");
    assert!(bench.root().join("sites/retired.example.com").is_dir());
}

/// A migrate pod evicted before its change says so, not that its site is
/// missing, and fails the site's stamp, which the pod that replaces it
/// queues again.
#[test]
fn a_migrate_pod_evicted_before_its_change_says_it_was_stopped() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    backed_up(&bench, &docs);
    let Some(output) = evicted_at_its_change(&bench, &docs, "migrate") else {
        return;
    };
    let stderr = text(&output.stderr);
    assert!(stderr.contains("this pod was stopped (SIGTERM"), "{stderr}");
    assert!(!stderr.contains("not there"), "{stderr}");
    // The clear-cache Job stops at the failed stamp: it is not the pod
    // that goes on by itself.
    assert!(
        stderr.contains("clear-cache Job, if it waited for this one already, stopped"),
        "{stderr}"
    );
    assert_eq!(bench.calls(), Vec::<String>::new(), "nothing changed");
    let image = bench_image(&docs);
    let stamp = std::fs::read_to_string(bench.root().join("sites/.frappe-manifests/migrated").join(SITES[0])).unwrap();
    assert_eq!(stamp, format!("failed {image}\n"));
}

/// A migrate that cannot record the start of its change (the record's
/// folder cannot be made) says that nothing began, not that bench migrate
/// failed and left the site in maintenance mode.
#[test]
fn a_migrate_that_cannot_record_its_start_says_nothing_changed() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    backed_up(&bench, &docs);
    std::fs::write(bench.root().join("sites/.frappe-manifests/changing"), "").unwrap();
    let script = format!("export JOB_NAME=erpnext-migrate-1 JOB_UID=uid-1\n{}", script(&docs, "migrate"));
    let output = bench.run(&script, None);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("did not start: its start could not be recorded"), "{stderr}");
    assert!(
        !stderr.contains("migrate failed") && !stderr.contains("maintenance mode (HTTP 503)"),
        "{stderr}"
    );
    assert_eq!(bench.calls(), Vec::<String>::new(), "nothing changed");
}

/// A migrate pod evicted while it waits for its site's lock (another Job
/// holds it, for up to a day) stops at once, with its advice and the site's
/// stamp failed, rather than at the SIGKILL that ends its grace period.
#[test]
fn a_migrate_pod_evicted_while_it_waits_for_the_lock_stops_at_once() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    backed_up(&bench, &docs);
    let locks = bench.root().join("sites/.frappe-manifests/locks");
    std::fs::create_dir_all(&locks).unwrap();
    let mut holder = Command::new("flock")
        .arg("-o")
        .arg(locks.join(SITES[0]))
        .args(["sleep", "20"])
        .spawn()
        .unwrap();
    let mut command = bench.command(&script(&docs, "migrate"), "16");
    command.env("WAIT_TIMEOUT", "3").stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let waiting = Instant::now();
    while !std::fs::read_to_string(bench.argv_log()).is_ok_and(|log| !log.is_empty()) && waiting.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let stopped = Instant::now();
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if stopped.elapsed() > Duration::from_secs(10) {
            child.kill().unwrap();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let elapsed = stopped.elapsed();
    holder.kill().unwrap();
    holder.wait().unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert!(elapsed < Duration::from_secs(5), "stopped after {elapsed:?}: {stderr}");
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("this pod was stopped (SIGTERM"), "{stderr}");
    let stamp = std::fs::read_to_string(bench.root().join("sites/.frappe-manifests/migrated").join(SITES[0])).unwrap();
    assert_eq!(stamp, format!("failed {}\n", bench_image(&docs)));
}

/// A migrate pod stopped (SIGTERM: its Job deleted, the pod preempted)
/// during a bench step ends once the step returned: its advice says it was
/// stopped there, not that the step failed.
#[test]
fn a_migrate_pod_stopped_during_a_step_does_not_say_the_step_failed() {
    use std::os::unix::fs::PermissionsExt;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    backed_up(&bench, &docs);
    // Before the fake bench on PATH: a bench that sends the script the
    // SIGTERM as maintenance mode goes on, and then goes through.
    let scratch = bench.root().parent().unwrap().to_owned();
    let stopper = scratch.join("stopper");
    std::fs::create_dir_all(&stopper).unwrap();
    let stopping_bench = stopper.join("bench");
    std::fs::write(
        &stopping_bench,
        format!(
            "#!/bin/bash\n[[ \"$*\" != *'set-maintenance-mode on'* ]] || kill -TERM $PPID\nexec {} \"$@\"\n",
            scratch.join("bin/bench").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&stopping_bench, std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = format!("export PATH={}:$PATH\n{}", stopper.display(), script(&docs, "migrate"));
    let output = bench.run(&script, None);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    assert!(
        stderr.contains(
            "this pod was stopped (SIGTERM: its Job deleted, or the pod preempted or its node lost) at bench set-maintenance-mode"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("failed (exit status 143)"), "{stderr}");
}

/// Run against the fake bench, migrate is Ready (its probe's file there)
/// from just before maintenance mode goes on to just after it goes off,
/// site after site, having waited for the probe first; not while it waits
/// for the one-off backup.
#[test]
fn migrate_is_ready_from_maintenance_on_to_off_and_not_while_it_waits() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    bench.record_sleeps();
    let output = std::thread::scope(|scope| {
        let migrating = scope.spawn(|| bench.run(&script(&docs, "migrate"), None));
        // The backup ends once migrate has waited for it a while.
        while !bench.readiness().iter().any(|line| line.contains("sleep")) {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        backed_up(&bench, &docs);
        migrating.join().unwrap()
    });
    assert!(output.status.success(), "{}", text(&output.stderr));
    let mut seen = bench.readiness();
    seen.dedup();
    let mut expected = vec!["unready sleep 5".to_owned()];
    for site in SITES {
        expected.push("ready sleep 0".to_owned());
        for step in [
            "set-maintenance-mode on",
            "ready-for-migration",
            "backup --with-files --backup-path",
            "migrate",
            "set-maintenance-mode off",
        ] {
            // A dump into the site's own folder (dump.sh).
            let step = step.replace(
                "--backup-path",
                &format!("--backup-path {}", bench.root().join(DUMPING).join(site).display()),
            );
            expected.push(format!("ready --site {site} {step}"));
        }
    }
    assert_eq!(
        seen, expected,
        "waiting for the backup: unready; each site from maintenance on to off: ready"
    );
    assert!(!bench.changing_a_site_file().exists(), "unready once the last site is done");
}

/// create-site is Ready while `bench new-site` or `install-app` runs,
/// drop-site while `bench drop-site` runs, and restore from maintenance on
/// to off; not while they ask bench for its options or wait.
#[test]
fn site_creation_drop_and_restore_are_ready_only_while_they_change_a_site() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    bench.add_site("hr.example.com");
    bench.add_site("retired.example.com");
    bench.record_sleeps();
    for task in ["create-site", "drop-site"] {
        let output = bench.run(&script(&docs, task), None);
        assert!(output.status.success(), "{task}: {}", text(&output.stderr));
    }
    let created = |site: &str, apps: &str| {
        format!("ready new-site {site} --db-type=mariadb --db-root-username=root --mariadb-user-host-login-scope=% --install-app={apps}")
    };
    assert_eq!(
        bench.readiness(),
        [
            "unready new-site --help".to_owned(),
            "ready sleep 0".to_owned(),
            created("shop.example.com", "erpnext --install-app=payments"),
            "ready sleep 0".to_owned(),
            "ready --site hr.example.com install-app erpnext hrms".to_owned(),
            "ready sleep 0".to_owned(),
            created("crm.example.com", "erpnext --install-app=crm"),
            "ready sleep 0".to_owned(),
            "ready drop-site retired.example.com --db-root-username=root --archived-sites-path=archived_sites".to_owned(),
        ]
    );
    assert!(!bench.changing_a_site_file().exists());

    let (_listener, port, bench, backups) = restore_bench();
    std::fs::write(backups.join("a-database.sql.gz"), "").unwrap();
    let docs = documents(&crate::common::render_text(
        &restore_values(port, "    database: a-database.sql.gz\n"),
        &[],
    ));
    let output = bench.run(&script(&docs, "restore"), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let readiness = bench.readiness();
    assert_eq!(
        readiness.first().map(String::as_str),
        Some("ready --site shop.example.com set-maintenance-mode on")
    );
    assert_eq!(
        readiness.last().map(String::as_str),
        Some("ready --site shop.example.com set-maintenance-mode off")
    );
    assert!(readiness.iter().all(|line| line.starts_with("ready ")), "{readiness:?}");
    assert!(!bench.changing_a_site_file().exists());
}

#[test]
fn a_replica_change_reruns_no_job_and_a_new_image_reruns_the_upgrade() {
    let jobs = |sets: &[&str]| -> Vec<(String, String)> {
        manifests(sets)
            .iter()
            .filter(|m| m.kind() == "Job")
            .map(|m| (m.name().to_owned(), frappe_manifests::emit::to_yaml(m)))
            .collect()
    };
    let (base, scaled) = (jobs(&[]), jobs(&["worker.gunicorn.replicaCount=5"]));
    let names = |jobs: &[(String, String)]| jobs.iter().map(|(name, _)| name.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&scaled),
        names(&base),
        "a sync that changes no image meets the same Jobs, which neither kubectl nor Argo CD runs again"
    );
    assert!(scaled == base, "and each Job is the same, byte for byte");
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

/// The one-off backup Job of the values' image as done, which their migrate
/// Job waits for (its own test runs the backup itself).
/// The bench image, which the upgrade stamps name.
pub(crate) fn bench_image(docs: &[Value]) -> String {
    job(docs, "migrate")["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Runs the Job `waiter`, and a second later the Job `retried` beside it,
/// as Jobs applied together start; both succeed.
fn run_beside(bench: &ScratchBench, waiter: &str, retried: &str, what: &str) {
    std::thread::scope(|scope| {
        let waiting = scope.spawn(|| bench.run(waiter, None));
        std::thread::sleep(std::time::Duration::from_secs(1));
        let output = bench.run(retried, None);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let output = waiting.join().unwrap();
        assert!(output.status.success(), "{what}: {}", text(&output.stderr));
    });
}

fn backed_up(bench: &ScratchBench, docs: &[Value]) {
    let image = bench_image(docs);
    std::fs::create_dir_all(bench.root().join("sites/.frappe-manifests")).unwrap();
    std::fs::write(bench.root().join("sites/.frappe-manifests/backed-up"), format!("done {image}\n")).unwrap();
}

const SITES: [&str; 3] = ["shop.example.com", "hr.example.com", "crm.example.com"];

#[test]
fn an_upgrade_runs_in_order_and_a_second_run_does_nothing() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    backed_up(&bench, &docs);

    let output = bench.run(&script(&docs, "migrate"), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let mut expected = Vec::new();
    for site in SITES {
        expected.push(format!("--site {site} set-maintenance-mode on"));
        expected.push(format!("--site {site} ready-for-migration"));
        expected.push(format!("--site {site} backup --with-files"));
        expected.push(format!("--site {site} migrate"));
        expected.push(format!("--site {site} set-maintenance-mode off"));
    }
    assert_eq!(
        bench.calls(),
        expected,
        "maintenance on, no background job left, backup, migrate, maintenance off, site after site"
    );
    for site in SITES {
        assert_eq!(
            maintenance(&bench, site),
            0,
            "{site} leaves maintenance mode before the rollout: Frappe answers 503 to the new pods' probes in it"
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
    assert_eq!(bench.calls()[expected.len()..], after, "caches cleared, and nothing else");

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
    backed_up(&bench, &bumped);
    let output = bench.run(&script(&bumped, "migrate"), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(bench.calls().len(), calls + expected.len(), "a new image is migrated");
}

/// In maintenance mode the scheduler queues nothing, but the
/// running release's workers go on with the jobs already queued, on the
/// schema migrate changes: migrate waits for them as frappe's own check
/// says (`bench ready-for-migration`), and goes on after JOBS_TIMEOUT.
#[test]
fn migrate_waits_for_the_sites_background_jobs_in_maintenance_mode() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    backed_up(&bench, &docs);
    let output = bench
        .command(&script(&docs, "migrate"), "16")
        .env("WAIT_TIMEOUT", "3")
        .env("PENDING_JOB_CHECKS", "2")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let shop: Vec<String> = bench
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("--site shop.example.com"))
        .collect();
    assert_eq!(
        shop,
        [
            "--site shop.example.com set-maintenance-mode on",
            "--site shop.example.com ready-for-migration",
            "--site shop.example.com ready-for-migration",
            "--site shop.example.com ready-for-migration",
            "--site shop.example.com backup --with-files",
            "--site shop.example.com migrate",
            "--site shop.example.com set-maintenance-mode off",
        ],
        "no backup and no migrate while a job of the site is queued or runs"
    );

    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    backed_up(&bench, &docs);
    let output = bench
        .command(&script(&docs, "migrate"), "16")
        .env("WAIT_TIMEOUT", "3")
        .env("JOBS_TIMEOUT", "0")
        .env("PENDING_JOB_CHECKS", "1000")
        .output();
    let output = output.unwrap();
    assert!(
        text(&output.stderr).contains("shop.example.com still has background jobs queued or running after 0s; migrating anyway"),
        "{}",
        text(&output.stderr)
    );
    assert!(
        bench.calls().contains(&"--site shop.example.com migrate".to_owned()),
        "{:?}",
        bench.calls()
    );
}

/// `bench ready-for-migration` exits 1 for pending jobs and for
/// any error alike (frappe/commands/scheduler.py ready_for_migration: an
/// unreachable Redis raises). Only its NOT READY answer is waited on: an
/// error fails the step at once, with its advice, rather than hold the site
/// in maintenance mode for JOBS_TIMEOUT and then migrate "anyway".
#[test]
fn a_failing_ready_for_migration_fails_the_step_rather_than_wait() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    backed_up(&bench, &docs);
    let output = bench
        .command(&script(&docs, "migrate"), "16")
        .env("WAIT_TIMEOUT", "3")
        .env("JOBS_TIMEOUT", "2")
        .env("FAIL_ON", "--site shop.example.com ready-for-migration")
        .env(
            "FAIL_MESSAGE",
            "redis.exceptions.ConnectionError: Error 111 connecting to redis-queue:6379. Connection refused.",
        )
        .output()
        .unwrap();
    assert!(!output.status.success());
    let log = text(&output.stderr);
    assert!(
        log.contains("stopped before migrate: bench ready-for-migration failed (exit status 1)"),
        "{log}"
    );
    assert!(!log.contains("migrating anyway"), "{log}");
    assert!(text(&output.stdout).contains("Connection refused"), "its error is in the log");
    assert_eq!(
        bench.calls().iter().filter(|c| c.ends_with("ready-for-migration")).count(),
        1,
        "asked once: {:?}",
        bench.calls()
    );
    assert!(
        !bench.calls().iter().any(|c| c.ends_with(" migrate") || c.contains(" backup")),
        "{:?}",
        bench.calls()
    );
}

#[test]
fn a_failed_migrate_stops_in_maintenance_mode_and_says_what_to_do() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    backed_up(&bench, &docs);
    let output = bench.run(&script(&docs, "migrate"), Some(("--site hr.example.com migrate", "patch failed")));
    assert!(
        !output.status.success(),
        "a failed migrate fails the Job, which stops the sync before the rollout"
    );
    assert_eq!(
        bench.calls(),
        [
            "--site shop.example.com set-maintenance-mode on",
            "--site shop.example.com ready-for-migration",
            "--site shop.example.com backup --with-files",
            "--site shop.example.com migrate",
            "--site shop.example.com set-maintenance-mode off",
            "--site hr.example.com set-maintenance-mode on",
            "--site hr.example.com ready-for-migration",
            "--site hr.example.com backup --with-files",
            "--site hr.example.com migrate",
        ],
        "crm is not touched, and hr does not leave maintenance mode"
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
fn a_migrate_job_that_fails_before_migrate_says_so_and_not_to_restore() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let migrate = script(&docs, "migrate");
    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    backed_up(&bench, &docs);
    let output = bench.run(&migrate, Some(("--site shop.example.com backup", "disk full")));
    assert!(!output.status.success());
    let log = text(&output.stderr);
    assert!(log.contains("stopped before migrate: bench backup failed"), "{log}");
    assert!(!log.contains("partly"), "the database was not migrated: {log}");
    assert!(!log.contains(" restore"), "nothing to restore: {log}");
    assert!(
        !bench.calls().iter().any(|c| c.ends_with(" migrate")),
        "no migrate after a failed backup"
    );

    let bench = ScratchBench::configured();
    backed_up(&bench, &docs);
    let output = bench.run(&migrate, None);
    assert!(!output.status.success(), "no site and nothing creating it");
    let log = text(&output.stderr);
    assert!(log.contains("did not start"), "{log}");
    assert!(!log.contains("partly") && !log.contains(" restore"), "{log}");
    assert!(bench.calls().is_empty(), "{:?}", bench.calls());
}

#[test]
fn the_one_off_backup_waits_for_its_sites_and_migrate_waits_for_the_backup() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let (backup, migrate) = (script(&docs, "backup"), script(&docs, "migrate"));

    let bench = ScratchBench::configured();
    let output = bench.run(&backup, None);
    assert!(!output.status.success(), "no site and nothing creating it");
    assert!(
        text(&output.stderr).contains("site shop.example.com does not exist"),
        "{}",
        text(&output.stderr)
    );
    assert!(bench.calls().is_empty(), "no backup of a site that is not there");
    SITES.iter().for_each(|site| bench.add_site(site));
    let output = bench.run(&migrate, None);
    assert!(
        !output.status.success(),
        "a failed backup stops migrate (after WAIT_TIMEOUT, as it failed before)"
    );
    assert!(text(&output.stderr).contains("backup Job"), "{}", text(&output.stderr));
    assert!(bench.calls().is_empty());

    // Both started together: migrate begins once the backup is done.
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    std::thread::scope(|scope| {
        let migrating = scope.spawn(|| bench.run(&migrate, None));
        std::thread::sleep(std::time::Duration::from_secs(2));
        assert!(bench.calls().is_empty(), "migrate waits for the backup: {:?}", bench.calls());
        let output = bench.run(&backup, None);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let output = migrating.join().unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
    });
    let calls = bench.calls();
    let first_migrate_step = calls.iter().position(|c| c.contains("set-maintenance-mode on")).unwrap();
    assert_eq!(
        calls[..first_migrate_step],
        [
            "--site shop.example.com backup --with-files",
            "--site hr.example.com backup --with-files"
        ],
        "the backup ran alone"
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

/// The pod spec of a Job or CronJob.
fn pod_spec<'a>(docs: &'a [Value], task: &str) -> &'a Value {
    let job = job(docs, task);
    let spec = if job["kind"] == "CronJob" {
        &job["spec"]["jobTemplate"]["spec"]
    } else {
        &job["spec"]
    };
    &spec["template"]["spec"]
}

/// The script of a Job's container (or init container) `name`.
pub(crate) fn container_script(docs: &[Value], task: &str, name: &str) -> String {
    let pod = pod_spec(docs, task);
    let containers = pod["initContainers"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(pod["containers"].as_array().unwrap());
    let container = containers
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no container {name} in {task}"));
    container["args"][0].as_str().unwrap().to_owned()
}

/// The literal environment of a Job's container `name`.
fn container_env(docs: &[Value], task: &str, name: &str) -> Vec<(String, String)> {
    let pod = pod_spec(docs, task);
    let containers = pod["initContainers"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(pod["containers"].as_array().unwrap());
    let container = containers.into_iter().find(|c| c["name"] == name).unwrap();
    container["env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| Some((e["name"].as_str()?.to_owned(), e["value"].as_str()?.to_owned())))
        .collect()
}

/// A bench with the site `shop.example.com` and an empty backups folder, and
/// a listener standing in for the database (kept open while the test runs).
fn restore_bench() -> (TcpListener, u16, ScratchBench, std::path::PathBuf) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    let backups = bench.root().join("sites/shop.example.com/private/backups");
    std::fs::create_dir_all(&backups).unwrap();
    (listener, port, bench, backups)
}

fn restore_values(db_port: u16, extra: &str) -> String {
    format!(
        "{}  restore:\n    enabled: true\n    siteName: shop.example.com\n    confirm: shop.example.com\n{extra}",
        multisite_values(db_port)
    )
}

#[test]
fn a_restore_renders_only_when_confirmed() {
    let values = format!(
        "{}  restore: {{enabled: true, siteName: shop.example.com, database: a-database.sql.gz}}\n",
        multisite_values(3306)
    );
    let outcome = check_text(&values, &[], "erpnext", Some("erp"));
    assert!(outcome.manifests.is_none(), "an unconfirmed restore renders nothing");
    assert!(
        outcome.diagnostics.iter().any(|d| d.code.as_str() == "unconfirmed-restore"),
        "{}",
        human(&outcome)
    );
    let wrong = check_text(&values, &["jobs.restore.confirm=hr.example.com"], "erpnext", Some("erp"));
    assert!(wrong.manifests.is_none(), "confirming another site is no confirmation");
    let confirmed = check_text(&values, &["jobs.restore.confirm=shop.example.com"], "erpnext", Some("erp"));
    assert!(confirmed.manifests.is_some(), "{}", human(&confirmed));
}

#[test]
fn a_restore_runs_once_per_request_with_the_password_on_stdin() {
    let (_listener, port, bench, backups) = restore_bench();
    let dump = "20260101_030000-shop_example_com-database.sql.gz";
    let gzip = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("printf 'dump\\n' | gzip > '{}'", backups.join(dump).display()))
        .status()
        .unwrap();
    assert!(gzip.success());
    let render = |sets: &[&str]| {
        documents(&crate::common::render_text(
            &restore_values(port, &format!("    database: {dump}\n")),
            sets,
        ))
    };
    let docs = render(&[]);

    let output = bench.run(&script(&docs, "restore"), None);
    assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
    let calls = bench.calls();
    let restore = calls
        .iter()
        .position(|c| c.starts_with("--site shop.example.com restore"))
        .expect("a restore");
    assert_eq!(
        calls[restore - 2..restore],
        [
            "--site shop.example.com set-maintenance-mode on",
            "--site shop.example.com ready-for-migration"
        ]
    );
    assert_eq!(
        calls[restore + 1],
        "--site shop.example.com migrate",
        "the restored database is migrated with this image"
    );
    assert_eq!(calls.last().unwrap(), "--site shop.example.com set-maintenance-mode off");
    assert!(
        bench.secrets().iter().any(|s| s.starts_with("restore shop.example.com root=")),
        "bench got the root password"
    );
    for call in &calls {
        assert!(
            !call.contains(crate::fake_bench::ROOT_PASSWORD),
            "a password on a command line: {call}"
        );
    }
    assert!(
        !text(&output.stdout).contains(crate::fake_bench::ROOT_PASSWORD),
        "bench's output is redacted"
    );

    let output = bench.run(&script(&docs, "restore"), None);
    assert!(output.status.success());
    assert_eq!(bench.calls().len(), calls.len(), "the same request never runs again");

    let again = render(&["jobs.restore.requestId=again"]);
    assert_ne!(job_name(&again, "restore"), job_name(&docs, "restore"));
    let output = bench.run(&script(&again, "restore"), None);
    assert!(output.status.success());
    assert_eq!(bench.calls().len(), 2 * calls.len(), "a new request id restores once more");
}

/// bench restore drops the site's database and loads the backup into a
/// new one (frappe installer.py `_new_site`, database setup_database), and
/// the workers go on with the site's queued jobs in maintenance mode
/// (`execute_job` does not look at it): the restore waits for them as migrate
/// does, with frappe's own check, and goes on after JOBS_TIMEOUT.
#[test]
fn a_restore_waits_for_the_sites_background_jobs_in_maintenance_mode() {
    let (_listener, port, bench, backups) = restore_bench();
    std::fs::write(backups.join("old-database.sql.gz"), "").unwrap();
    let values = restore_values(port, "    database: old-database.sql.gz\n");
    let restore = script(&documents(&crate::common::render_text(&values, &[])), "restore");
    let output = bench
        .command(&restore, "16")
        .env("WAIT_TIMEOUT", "3")
        .env("DB_ROOT_USER", "root")
        .env("DB_ROOT_PASSWORD", crate::fake_bench::ROOT_PASSWORD)
        .env("PENDING_JOB_CHECKS", "2")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let calls = bench.calls();
    assert_eq!(
        calls[..4],
        [
            "--site shop.example.com set-maintenance-mode on",
            "--site shop.example.com ready-for-migration",
            "--site shop.example.com ready-for-migration",
            "--site shop.example.com ready-for-migration",
        ],
        "no restore while a job of the site is queued or runs: {calls:?}"
    );
    assert!(calls[4].starts_with("--site shop.example.com restore "), "{calls:?}");

    let (_listener, port, bench, backups) = restore_bench();
    std::fs::write(backups.join("old-database.sql.gz"), "").unwrap();
    let restore = script(
        &documents(&crate::common::render_text(
            &restore_values(port, "    database: old-database.sql.gz\n"),
            &[],
        )),
        "restore",
    );
    let output = bench
        .command(&restore, "16")
        .env("WAIT_TIMEOUT", "3")
        .env("DB_ROOT_USER", "root")
        .env("DB_ROOT_PASSWORD", crate::fake_bench::ROOT_PASSWORD)
        .env("JOBS_TIMEOUT", "0")
        .env("PENDING_JOB_CHECKS", "1000")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("shop.example.com still has background jobs queued or running after 0s; restoring anyway"),
        "{}",
        text(&output.stderr)
    );
    assert!(bench.calls().iter().any(|c| c.starts_with("--site shop.example.com restore ")));
}

/// An error of the check (an unreachable Redis) fails the restore before it
/// changes anything, rather than wait or restore under running jobs.
#[test]
fn a_restore_whose_background_job_check_fails_restores_nothing() {
    let (_listener, port, bench, backups) = restore_bench();
    std::fs::write(backups.join("old-database.sql.gz"), "").unwrap();
    let values = restore_values(port, "    database: old-database.sql.gz\n");
    let restore = script(&documents(&crate::common::render_text(&values, &[])), "restore");
    let failed = bench.run(
        &restore,
        Some((
            "--site shop.example.com ready-for-migration",
            "redis.exceptions.ConnectionError: Error 111 connecting to redis-queue:6379. Connection refused.",
        )),
    );
    assert!(!failed.status.success());
    let log = text(&failed.stderr);
    assert!(
        log.contains("bench ready-for-migration failed on shop.example.com (exit status 1"),
        "{log}"
    );
    assert!(log.contains("nothing was restored"), "{log}");
    assert!(log.contains("--site shop.example.com set-maintenance-mode off"), "{log}");
    assert!(!bench.calls().iter().any(|c| c.contains(" restore ")), "{:?}", bench.calls());
    assert_eq!(maintenance(&bench, "shop.example.com"), 1);
    assert!(
        !bench.root().join("sites/.frappe-manifests/restored/shop.example.com").exists(),
        "the request is not recorded: run again, it restores"
    );
    let again = bench.run(&restore, None);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(bench.calls().iter().any(|c| c.contains(" restore ")), "{:?}", bench.calls());
    assert_eq!(maintenance(&bench, "shop.example.com"), 0);
}

/// Runs the script `second` one second after the script `first` started, as
/// Jobs applied together start, with the Jobs' passwords and `env`, checks
/// that both succeed, and returns the second one's standard output.
fn one_after_the_other(bench: &ScratchBench, first: &str, second: &str, env: &[(&str, &str)]) -> String {
    let run = |script: &str| {
        bench
            .command(script, "16")
            .env("WAIT_TIMEOUT", "3")
            .env("DB_ROOT_USER", "root")
            .env("DB_ROOT_PASSWORD", crate::fake_bench::ROOT_PASSWORD)
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    std::thread::scope(|scope| {
        let first_run = scope.spawn(|| run(first));
        std::thread::sleep(std::time::Duration::from_secs(1));
        let second_run = run(second);
        let first_run = first_run.join().unwrap();
        for (output, which) in [(&second_run, "the second"), (&first_run, "the first")] {
            assert!(output.status.success(), "{which}: {}{}", text(&output.stdout), text(&output.stderr));
        }
        text(&second_run.stdout)
    })
}

/// The bench calls on shop.example.com, the restored site, in their order.
fn calls_on_shop(bench: &ScratchBench) -> Vec<String> {
    bench
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("--site shop.example.com"))
        .map(|c| {
            if c.starts_with("--site shop.example.com restore ") {
                "--site shop.example.com restore".to_owned()
            } else {
                c
            }
        })
        .collect()
}

/// Runs the Job `task` of `docs` one second after the restore Job started
/// (a restore that takes 4 s), both to success, and returns the bench calls
/// on shop.example.com, the restored site, in their order.
fn beside_a_restore(bench: &ScratchBench, docs: &[Value], task: &str) -> Vec<String> {
    one_after_the_other(bench, &script(docs, "restore"), &script(docs, task), &[("RESTORE_SECONDS", "4")]);
    calls_on_shop(bench)
}

/// With kubectl, the restore Job and a migrate Job of the same image start
/// together in the pre phase (one applied before and deleted since is applied
/// again): the migrate Job must not switch maintenance mode, back up or
/// migrate a site while bench restore drops and loads its database. It waits
/// for the restore, then finds the site migrated with its image.
#[test]
fn a_migrate_job_started_beside_a_restore_of_its_site_waits_for_it() {
    let (_listener, port, bench, backups) = restore_bench();
    bench.add_site("hr.example.com");
    bench.add_site("crm.example.com");
    std::fs::write(backups.join("old-database.sql.gz"), "").unwrap();
    let docs = documents(&crate::common::render_text(
        &restore_values(port, "    database: old-database.sql.gz\n"),
        &[],
    ));
    backed_up(&bench, &docs);
    let shop = beside_a_restore(&bench, &docs, "migrate");
    assert_eq!(
        shop,
        [
            "--site shop.example.com set-maintenance-mode on",
            "--site shop.example.com ready-for-migration",
            "--site shop.example.com restore",
            "--site shop.example.com migrate",
            "--site shop.example.com clear-cache",
            "--site shop.example.com execute frappe.cache_manager.clear_global_cache",
            "--site shop.example.com set-maintenance-mode off",
        ],
        "the restore alone changes shop.example.com"
    );
    assert_eq!(maintenance(&bench, "shop.example.com"), 0);
    assert!(
        bench.calls().contains(&"--site hr.example.com migrate".to_owned()),
        "the other sites are migrated: {:?}",
        bench.calls()
    );
}

/// The one-off backup of a release and a restore start together (Argo CD
/// wave -1, the kubectl pre phase: going back to the previous image with a
/// restore makes a new one-off backup Job). A dump while bench restore loads
/// the database would miss tables and be kept, and uploaded, as a good
/// backup: the backup waits for the restore, and dumps the restored site.
#[test]
fn a_one_off_backup_started_beside_a_restore_of_its_site_waits_for_it() {
    let (_listener, port, bench, backups) = restore_bench();
    bench.add_site("hr.example.com");
    std::fs::write(backups.join("old-database.sql.gz"), "").unwrap();
    let docs = documents(&crate::common::render_text(
        &restore_values(port, "    database: old-database.sql.gz\n"),
        &[],
    ));
    let shop = beside_a_restore(&bench, &docs, "backup");
    assert_eq!(
        shop,
        [
            "--site shop.example.com set-maintenance-mode on",
            "--site shop.example.com ready-for-migration",
            "--site shop.example.com restore",
            "--site shop.example.com migrate",
            "--site shop.example.com clear-cache",
            "--site shop.example.com execute frappe.cache_manager.clear_global_cache",
            "--site shop.example.com set-maintenance-mode off",
            "--site shop.example.com backup --with-files",
        ],
        "the backup of shop.example.com comes after its restore"
    );
    assert!(
        bench.calls().contains(&"--site hr.example.com backup --with-files".to_owned()),
        "the other site is backed up: {:?}",
        bench.calls()
    );
}

/// A one-off backup of `all` (one `bench --site all backup`) holds every
/// site's lock.
#[test]
fn a_one_off_backup_of_all_sites_waits_for_each_sites_lock() {
    let (_listener, port, bench, _backups) = restore_bench();
    bench.add_site("hr.example.com");
    let values = multisite_values(port).replace(
        "  backupMultipleSites:\n    enabled: true\n    retainDays: 7\n    sites: [{name: shop.example.com}, {name: hr.example.com}]\n",
        "  backup:\n    enabled: true\n    siteName: all\n",
    );
    let docs = documents(&crate::common::render_text(&values, &[]));
    let lock = bench.root().join("sites/.frappe-manifests/locks/hr.example.com");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    let mut holder = std::process::Command::new("flock")
        .arg("--close")
        .arg(&lock)
        .args(["sleep", "20"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let run = || {
        bench
            .command(&script(&docs, "backup"), "16")
            .env("WAIT_TIMEOUT", "3")
            .env("LOCK_TIMEOUT", "1")
            .output()
            .unwrap()
    };
    let output = run();
    assert!(!output.status.success());
    let log = text(&output.stderr);
    assert!(
        log.contains("another Job held sites/.frappe-manifests/locks/hr.example.com for 1s"),
        "{log}"
    );
    assert!(bench.calls().is_empty(), "nothing was backed up: {:?}", bench.calls());
    holder.kill().unwrap();
    holder.wait().unwrap();

    let output = run();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        bench.calls().iter().any(|c| c.starts_with("--site hr.example.com backup")),
        "{:?}",
        bench.calls()
    );
}

/// The dumps of `site` in its backups folder, unzipped.
fn dumps(bench: &ScratchBench, site: &str) -> Vec<String> {
    let backups = bench.root().join("sites").join(site).join("private/backups");
    let mut dumps: Vec<String> = std::fs::read_dir(&backups)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        // What bench wrote: named by its time, `YYYYmmdd_HHMMSS-`.
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("20") && name.ends_with("-database.sql.gz")
        })
        .map(|path| {
            let output = std::process::Command::new("gzip").arg("-dc").arg(&path).output().unwrap();
            text(&output.stdout)
        })
        .collect();
    dumps.sort();
    dumps
}

/// A scheduled backup checks maintenance mode, then dumps: a restore (or
/// migrate) that takes the site between the two (bench backup dumps seconds
/// after it starts) would drop and load the database under the dump. bench
/// keeps a dump that read a half-loaded database as a good one (mariadb-dump
/// ends well), and retention then deletes older, good ones. Each site's dump
/// runs under its lock: the restore waits for it.
#[test]
fn a_scheduled_backup_dumps_each_site_under_its_lock() {
    let (_listener, port, bench, backups) = restore_bench();
    bench.add_site("hr.example.com");
    std::fs::write(backups.join("old-database.sql.gz"), "").unwrap();
    let values = restore_values(port, "    database: old-database.sql.gz\n")
        .replace("    retainDays: 7\n", "    retainDays: 7\n    schedule: \"0 3 * * *\"\n");
    let docs = documents(&crate::common::render_text(&values, &[]));
    assert_eq!(job(&docs, "backup")["kind"], "CronJob");
    one_after_the_other(
        &bench,
        &script(&docs, "backup"),
        &script(&docs, "restore"),
        &[("RESTORE_SECONDS", "4"), ("BACKUP_START_SECONDS", "2"), ("BACKUP_SECONDS", "1")],
    );
    assert_eq!(
        calls_on_shop(&bench),
        [
            "--site shop.example.com backup --with-files",
            "--site shop.example.com set-maintenance-mode on",
            "--site shop.example.com ready-for-migration",
            "--site shop.example.com restore",
            "--site shop.example.com migrate",
            "--site shop.example.com clear-cache",
            "--site shop.example.com execute frappe.cache_manager.clear_global_cache",
            "--site shop.example.com set-maintenance-mode off",
        ],
        "the restore waits for the dump"
    );
    assert_eq!(
        dumps(&bench, "shop.example.com"),
        ["-- fake dump of shop.example.com\n-- dump completed\n"]
    );
}

/// A site whose lock another Job holds is busy, as one in maintenance mode
/// is: the scheduled backup backs up the others first, then waits for it
/// within MAINTENANCE_TIMEOUT, then skips it, keeps its older backups and
/// fails. It never waits a day for the lock.
#[test]
fn a_scheduled_backup_comes_back_to_a_site_another_job_holds() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = documents(&crate::common::render_text(
        &scheduled_backup_values(listener.local_addr().unwrap().port()),
        &[],
    ));
    let backup = script(&docs, "backup");
    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    bench.add_site("hr.example.com");
    let shop_old = crate::jobs::old_backup(&bench, "shop.example.com");
    let lock = bench.root().join("sites/.frappe-manifests/locks/shop.example.com");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    let hold = |seconds: &str| {
        let holder = std::process::Command::new("flock")
            .arg("--close")
            .arg(&lock)
            .args(["sleep", seconds])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        holder
    };

    let mut holder = hold("20");
    let output = bench.run(&format!("export MAINTENANCE_TIMEOUT=2 LOCK_TIMEOUT=86400\n{backup}"), None);
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert!(!output.status.success(), "the CronJob's run fails");
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(
        stdout.contains("another Job is changing shop.example.com (it holds sites/.frappe-manifests/locks/shop.example.com): backing up the other sites first"),
        "{stdout}"
    );
    assert!(
        stderr.contains("error: another Job still held sites/.frappe-manifests/locks/shop.example.com after 2s")
            && stderr.contains("kubectl exec deploy/erpnext-gunicorn -- rm sites/.frappe-manifests/locks/shop.example.com"),
        "what to do: {stderr}"
    );
    assert_eq!(crate::jobs::backups_run(&bench), ["--site hr.example.com backup --with-files"]);
    assert!(shop_old.exists(), "the skipped site keeps its older backups");

    let mut holder = hold("3");
    let output = bench.run(&format!("export MAINTENANCE_TIMEOUT=60\n{backup}"), None);
    holder.wait().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains(
            "another Job is changing shop.example.com (it holds sites/.frappe-manifests/locks/shop.example.com): waiting for it to end"
        ),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(
        crate::jobs::backups_run(&bench)[1..],
        [
            "--site hr.example.com backup --with-files",
            "--site shop.example.com backup --with-files"
        ]
    );
}

/// Values that drop `site` and back up `all`, once or on a schedule.
fn drop_values(db_port: u16, site: &str, schedule: bool) -> String {
    let schedule = if schedule { "    schedule: \"0 3 * * *\"\n" } else { "" };
    format!(
        "{}  backup:
    enabled: true
    siteName: all
{schedule}  dropSite:
    enabled: true
    siteName: {site}
",
        crate::jobs::fake_bench_endpoints(db_port)
    )
}

/// With kubectl, drop-site and a backup of `all` start together in the pre
/// phase. bench drop-site backs the site up, drops its database and moves its
/// folder away: under the backup's dump of the site, or before bench reaches
/// it, that backup fails. drop-site holds the site's lock: the one-off
/// backup waits for it, the scheduled one backs up the others first; both
/// then find the site gone. The lock file stays, free: a site made again
/// under that name takes it.
#[test]
fn a_backup_of_all_sites_started_beside_a_drop_waits_for_it() {
    for schedule in [false, true] {
        let (_listener, port, bench, _backups) = restore_bench();
        bench.add_site("hr.example.com");
        let docs = documents(&crate::common::render_text(&drop_values(port, "hr.example.com", schedule), &[]));
        assert_eq!(job(&docs, "backup")["kind"], if schedule { "CronJob" } else { "Job" });
        let log = one_after_the_other(
            &bench,
            &script(&docs, "drop-site"),
            &script(&docs, "backup"),
            &[("BACKUP_SECONDS", "3")],
        );
        assert!(!bench.site_exists("hr.example.com"));
        assert!(bench.root().join("sites/archived_sites/hr.example.com").is_dir());
        let backups: Vec<String> = bench.calls().into_iter().filter(|c| c.contains(" backup")).collect();
        if schedule {
            assert_eq!(backups, ["--site shop.example.com backup --with-files"], "hr was dropped meanwhile");
            assert!(
                log.contains("another Job is changing hr.example.com (it holds sites/.frappe-manifests/locks/hr.example.com): backing up the other sites first")
                    && log.contains("hr.example.com was dropped meanwhile: nothing to back up"),
                "{log}"
            );
        } else {
            // Site by site, hr.example.com gone once the one-off backup had
            // its lock.
            assert_eq!(backups, ["--site shop.example.com backup --with-files"]);
            assert!(log.contains("hr.example.com was dropped meanwhile: nothing to back up"), "{log}");
        }
        assert_eq!(
            dumps(&bench, "shop.example.com"),
            ["-- fake dump of shop.example.com\n-- dump completed\n"]
        );
        let lock = bench.root().join("sites/.frappe-manifests/locks/hr.example.com");
        let free = std::process::Command::new("flock")
            .args(["-n"])
            .arg(&lock)
            .arg("true")
            .status()
            .unwrap();
        assert!(lock.exists() && free.success(), "the lock file stays, free");
    }
}

/// drop-site started beside a restore of the site (values changed before
/// the restore ended) waits for it, rather than move the folder away under
/// bench restore, and then drops the restored site.
#[test]
fn a_drop_started_beside_a_restore_of_its_site_waits_for_it() {
    let (_listener, port, bench, backups) = restore_bench();
    std::fs::write(backups.join("old-database.sql.gz"), "").unwrap();
    let restoring = documents(&crate::common::render_text(
        &restore_values(port, "    database: old-database.sql.gz\n"),
        &[],
    ));
    let dropping = documents(&crate::common::render_text(&drop_values(port, "shop.example.com", false), &[]));
    one_after_the_other(
        &bench,
        &script(&restoring, "restore"),
        &script(&dropping, "drop-site"),
        &[("RESTORE_SECONDS", "4")],
    );
    let calls = bench.calls();
    let restored = calls.iter().position(|c| c == "--site shop.example.com set-maintenance-mode off");
    let dropped = calls.iter().position(|c| c.starts_with("drop-site shop.example.com "));
    assert!(
        restored.is_some() && dropped > restored,
        "the drop comes after the restore: {calls:?}"
    );
    assert!(
        bench
            .root()
            .join("sites/archived_sites/shop.example.com/restored-database.sql.gz")
            .exists(),
        "the restored site is dropped"
    );
}

/// The site's lock is a flock(2) lock: a Job that holds it and dies, even
/// by SIGKILL, leaves nothing behind; one that holds it longer than
/// LOCK_TIMEOUT stops the other Job before it changed anything, with the way
/// out (a lock kept by a dead node's file system).
#[test]
fn the_site_lock_of_a_killed_job_is_released_and_a_held_one_stops_the_other_job() {
    let (_listener, port, bench, backups) = restore_bench();
    std::fs::write(backups.join("old-database.sql.gz"), "").unwrap();
    let docs = documents(&crate::common::render_text(
        &restore_values(port, "    database: old-database.sql.gz\n"),
        &[],
    ));
    backed_up(&bench, &docs);
    let lock = bench.root().join("sites/.frappe-manifests/locks/shop.example.com");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    let hold = || {
        // --close: only flock holds it, not its command (a container's
        // processes end together, and so does this holder).
        let holder = std::process::Command::new("flock")
            .arg("--close")
            .arg(&lock)
            .args(["sleep", "20"])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        holder
    };
    let run = |task: &str| {
        bench
            .command(&script(&docs, task), "16")
            .env("WAIT_TIMEOUT", "3")
            .env("LOCK_TIMEOUT", "1")
            .env("DB_ROOT_USER", "root")
            .env("DB_ROOT_PASSWORD", crate::fake_bench::ROOT_PASSWORD)
            .output()
            .unwrap()
    };

    let mut holder = hold();
    for task in ["restore", "migrate"] {
        let output = run(task);
        assert!(!output.status.success(), "{task}");
        let log = text(&output.stderr);
        assert!(
            log.contains("another Job held sites/.frappe-manifests/locks/shop.example.com for 1s"),
            "{log}"
        );
        assert!(log.contains("rm sites/.frappe-manifests/locks/shop.example.com"), "{log}");
        assert!(
            task == "restore" || log.contains("did not start: the site's lock was not taken"),
            "{log}"
        );
        assert!(bench.calls().is_empty(), "{task} changed nothing: {:?}", bench.calls());
        assert!(
            !bench.changing_a_site_file().exists(),
            "{task} waited for the lock unready: a drain could take it"
        );
    }
    assert!(
        std::fs::read_to_string(bench.root().join("sites/.frappe-manifests/migrated/shop.example.com"))
            .unwrap()
            .starts_with("failed "),
        "the pods waiting for the migrate stop waiting"
    );
    holder.kill().unwrap();
    holder.wait().unwrap();

    let output = run("restore");
    assert!(output.status.success(), "released by SIGKILL: {}", text(&output.stderr));
    assert!(bench.calls().iter().any(|c| c.starts_with("--site shop.example.com restore ")));
}

/// flock exits 1 only when another holds the lock; any other status is the
/// file system refusing locks (ENOLCK: an NFSv3 mount without rpc.statd),
/// which no wait ends and no deleted lock file cures: the Job says so at once.
#[test]
fn a_sites_volume_without_file_locks_is_named_not_taken_for_a_held_lock() {
    let (_listener, port, bench, backups) = restore_bench();
    std::fs::write(backups.join("old-database.sql.gz"), "").unwrap();
    let docs = documents(&crate::common::render_text(
        &restore_values(port, "    database: old-database.sql.gz\n"),
        &[],
    ));
    backed_up(&bench, &docs);
    // util-linux flock on ENOLCK: warn() and exit(EX_OSERR).
    bench.add_command("flock", "#!/bin/sh\necho \"flock: $2: No locks available\" >&2\nexit 71\n");
    for task in ["restore", "migrate"] {
        let started = std::time::Instant::now();
        let output = bench
            .command(&script(&docs, task), "16")
            .env("WAIT_TIMEOUT", "3")
            .env("LOCK_TIMEOUT", "30")
            .env("DB_ROOT_USER", "root")
            .env("DB_ROOT_PASSWORD", crate::fake_bench::ROOT_PASSWORD)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{task}");
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{task} did not wait");
        let log = text(&output.stderr);
        assert!(
            log.contains("flock could not lock sites/.frappe-manifests/locks/shop.example.com (exit status 71"),
            "{task}: {log}"
        );
        assert!(log.contains("the sites volume file locks"), "{task}: {log}");
        assert!(!log.contains("another Job held"), "{task}: {log}");
        assert!(bench.calls().is_empty(), "{task} changed nothing: {:?}", bench.calls());
    }
}

#[test]
fn a_restore_whose_migrate_failed_is_never_restored_again_and_migrates_when_run_again() {
    let (_listener, port, bench, backups) = restore_bench();
    std::fs::write(backups.join("old-database.sql.gz"), "").unwrap();
    let values = restore_values(port, "    database: old-database.sql.gz\n");
    let restore = script(&documents(&crate::common::render_text(&values, &[])), "restore");

    let failed = bench.run(&restore, Some(("--site shop.example.com migrate", "patch failed")));
    assert!(!failed.status.success());
    assert!(text(&failed.stderr).contains("restored into shop.example.com, but bench migrate failed"));
    assert_eq!(
        maintenance(&bench, "shop.example.com"),
        1,
        "a site that failed to migrate stays in maintenance mode"
    );
    let restores = |bench: &ScratchBench| bench.calls().iter().filter(|c| c.contains(" restore ")).count();
    assert_eq!(restores(&bench), 1);

    let calls = bench.calls().len();
    let again = bench.run(&restore, None);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(restores(&bench), 1, "the old backup never overwrites what was written since");
    assert_eq!(
        bench.calls()[calls..],
        [
            "--site shop.example.com ready-for-migration",
            "--site shop.example.com migrate",
            "--site shop.example.com clear-cache",
            "--site shop.example.com execute frappe.cache_manager.clear_global_cache",
            "--site shop.example.com set-maintenance-mode off",
        ],
        "run again, it waits for the jobs the failed migrate queued, and finishes the restore"
    );
    let calls = bench.calls().len();
    assert!(bench.run(&restore, None).status.success());
    assert_eq!(bench.calls().len(), calls, "then nothing is left to do");
}

#[test]
fn a_restore_of_a_newer_backup_stops_unless_allowed() {
    let (_listener, port, bench, backups) = restore_bench();
    std::fs::write(backups.join("new-database.sql.gz"), "").unwrap();
    let values = restore_values(port, "    database: new-database.sql.gz\n");
    let docs = documents(&crate::common::render_text(&values, &[]));
    let output = bench
        .command(&script(&docs, "restore"), "16")
        .env("WAIT_TIMEOUT", "3")
        .env("DB_ROOT_USER", "root")
        .env("DB_ROOT_PASSWORD", crate::fake_bench::ROOT_PASSWORD)
        .env("FAKE_DOWNGRADE", "1")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("allowDowngrade: true"),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert!(!text(&output.stdout).contains(crate::fake_bench::ROOT_PASSWORD));
    assert!(
        bench.calls().iter().all(|c| !c.contains("migrate")),
        "nothing after a refused restore"
    );

    let docs = documents(&crate::common::render_text(&values, &["jobs.restore.allowDowngrade=true"]));
    let output = bench
        .command(&script(&docs, "restore"), "16")
        .env("WAIT_TIMEOUT", "3")
        .env("DB_ROOT_USER", "root")
        .env("DB_ROOT_PASSWORD", crate::fake_bench::ROOT_PASSWORD)
        .env("FAKE_DOWNGRADE", "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(bench.calls().iter().any(|c| c.contains("restore") && c.ends_with("--force")));
}

/// The S3 access keys the tests' Secret holds; no log may show them.
const S3_KEY_ID: &str = "AKIDTESTUPLOADER1";
const S3_SECRET: &str = "s3cret-access-key-value";

/// A tool of the S3 tests: from `target/s3-venv` (which `.ci/run` fills),
/// else from PATH.
fn s3_tool(name: &str) -> Option<std::path::PathBuf> {
    let venv = crate::common::project_root().join("target/s3-venv/bin").join(name);
    if venv.exists() {
        return Some(venv);
    }
    // `aws --version` and `moto_server --help` exit 0; neither knows the other's flag.
    let probe = if name == "aws" { "--version" } else { "--help" };
    let found = std::process::Command::new(name).arg(probe).output().ok()?;
    found.status.success().then(|| std::path::PathBuf::from(name))
}

/// moto's S3 server on a free port, stopped when dropped.
struct MotoServer {
    child: std::process::Child,
    endpoint: String,
}

impl MotoServer {
    fn start(moto: &std::path::Path) -> MotoServer {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new(moto)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let server = MotoServer {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        server
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `script` as the S3 container `container` of the Job `task` runs
/// it: its environment from the rendered pod (but `HOME` and `TMPDIR`, its
/// scratch volume), the test's keys, and `aws` on the PATH.
fn run_s3_container(
    bench: &ScratchBench,
    docs: &[Value],
    (task, container): (&str, &str),
    script: &str,
    aws_path: &std::path::Path,
) -> std::process::Output {
    let mut command = bench.command(script, "16");
    command.env(
        "PATH",
        format!("{}:{}", aws_path.parent().unwrap().display(), std::env::var("PATH").unwrap()),
    );
    for (name, value) in container_env(docs, task, container) {
        if name != "HOME" && name != "TMPDIR" {
            command.env(name, value);
        }
    }
    command
        .env("AWS_ACCESS_KEY_ID", S3_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", S3_SECRET)
        .output()
        .unwrap()
}

/// `aws` with the test's keys, against moto.
fn aws(aws_path: &std::path::Path, endpoint: &str, args: &[&str]) -> String {
    let output = std::process::Command::new(aws_path)
        .args(["--endpoint-url", endpoint])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", S3_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", S3_SECRET)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .unwrap();
    assert!(output.status.success(), "aws {args:?}: {}", text(&output.stderr));
    text(&output.stdout)
}

#[test]
fn backups_reach_s3_old_copies_are_pruned_and_a_restore_fetches_its_files() {
    let (Some(aws_path), Some(moto)) = (s3_tool("aws"), s3_tool("moto_server")) else {
        crate::common::skip_unless_ci("`aws` and `moto_server` (PyPI awscli, moto[server]) are not installed");
        return;
    };
    let server = MotoServer::start(&moto);
    aws(&aws_path, &server.endpoint, &["s3api", "create-bucket", "--bucket", "erp-backups"]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let s3 = format!(
        "    s3: {{bucket: erp-backups, endpoint: \"{}\", prefix: nightly, existingSecret: s3-keys, retainDays: 7}}\n",
        server.endpoint
    );
    let values = multisite_values(port).replace("    retainDays: 7\n", &format!("    retainDays: 7\n{s3}"));
    assert!(values.contains("erp-backups"));
    let docs = documents(&crate::common::render_text(&values, &[]));

    let bench = ScratchBench::configured();
    for site in ["shop.example.com", "hr.example.com"] {
        bench.add_site(site);
        std::fs::create_dir_all(bench.root().join("sites").join(site).join("public/files")).unwrap();
        std::fs::write(bench.root().join("sites").join(site).join("public/files/logo.txt"), site).unwrap();
    }
    // An old copy in the bucket, and one of a site this backup does not cover.
    let old = bench.root().join("old.sql.gz");
    std::fs::write(&old, "old").unwrap();
    for key in [
        "nightly/shop.example.com/old-database.sql.gz",
        "nightly/other.example.com/old-database.sql.gz",
    ] {
        aws(
            &aws_path,
            &server.endpoint,
            &["s3", "cp", old.to_str().unwrap(), &format!("s3://erp-backups/{key}")],
        );
    }
    std::thread::sleep(std::time::Duration::from_secs(2));

    let list = bench.root().join("upload-list");
    let with_list = |script: String| script.replace("/s3/files", list.to_str().unwrap());
    // The backup first (an init container), then the upload.
    let backup = bench.run(
        &with_list(config_exports(&docs) + &container_script(&docs, "backup", "backup")),
        None,
    );
    assert!(backup.status.success(), "{}", text(&backup.stderr));

    // The upload, as its container runs it; the bucket's copies older than
    // one second (for 7 days) are pruned.
    let upload = with_list(container_script(&docs, "backup", "upload")).replace("retain_seconds=604800", "retain_seconds=1");
    let image = bench_image(&docs);
    let stamp = || std::fs::read_to_string(bench.root().join("sites/.frappe-manifests/backed-up")).unwrap();
    assert_eq!(stamp(), format!("uploading {image}\n"), "no migrate goes ahead before the upload");
    let uploaded = run_s3_container(&bench, &docs, ("backup", "upload"), &upload, &aws_path);
    assert!(uploaded.status.success(), "{}{}", text(&uploaded.stdout), text(&uploaded.stderr));
    assert_eq!(stamp(), format!("done {image}\n"));
    // An upload that fails fails the backup for the migrate waiting on it.
    let failing = upload.replace("bucket='erp-backups'", "bucket='no-such-bucket'");
    assert_ne!(failing, upload);
    let failed = run_s3_container(&bench, &docs, ("backup", "upload"), &failing, &aws_path);
    assert!(!failed.status.success());
    assert_eq!(stamp(), format!("failed {image}\n"));
    std::fs::write(bench.root().join("sites/.frappe-manifests/backed-up"), format!("done {image}\n")).unwrap();

    let keys = aws(
        &aws_path,
        &server.endpoint,
        &[
            "s3api",
            "list-objects-v2",
            "--bucket",
            "erp-backups",
            "--query",
            "Contents[].Key",
            "--output",
            "text",
        ],
    );
    let mut keys: Vec<&str> = keys.split_whitespace().collect();
    keys.sort();
    let local: Vec<String> = std::fs::read_to_string(&list).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(local.len(), 8, "database, config, public and private files of two sites: {local:?}");
    let mut expected: Vec<String> = local
        .iter()
        .map(|path| {
            let site = path.trim_start_matches("sites/").split('/').next().unwrap();
            format!("nightly/{site}/{}", path.rsplit('/').next().unwrap())
        })
        .collect();
    expected.push("nightly/other.example.com/old-database.sql.gz".to_owned());
    expected.sort();
    assert_eq!(
        keys, expected,
        "this backup's files under the prefix; the old copy of a backed-up site is pruned, no other"
    );

    let logs = [
        text(&backup.stdout),
        text(&backup.stderr),
        text(&uploaded.stdout),
        text(&uploaded.stderr),
        bench.bench_log(),
    ]
    .concat();
    for secret in [S3_KEY_ID, S3_SECRET] {
        assert!(!logs.contains(secret), "an S3 key in a log");
        assert!(!upload.contains(secret), "an S3 key in the script");
    }

    // A restore from the bucket, into a bench that lost the files.
    let database = local
        .iter()
        .find(|p| p.starts_with("sites/shop.example.com/") && p.ends_with("-database.sql.gz"))
        .unwrap();
    let files = local
        .iter()
        .find(|p| p.starts_with("sites/shop.example.com/") && p.ends_with("-files.tar") && !p.ends_with("-private-files.tar"))
        .unwrap();
    let name = |path: &str| path.rsplit('/').next().unwrap().to_owned();
    let restore_values = format!(
        "{values}  restore:\n    enabled: true\n    siteName: shop.example.com\n    confirm: shop.example.com\n    fromS3: true\n    database: {}\n    publicFiles: {}\n",
        name(database),
        name(files)
    );
    let docs = documents(&crate::common::render_text(&restore_values, &[]));
    std::fs::remove_dir_all(bench.root().join("sites/shop.example.com/private/backups")).unwrap();
    std::fs::remove_dir_all(bench.root().join("sites/shop.example.com/public/files")).unwrap();
    let download = container_script(&docs, "restore", "download");
    let downloaded = run_s3_container(&bench, &docs, ("restore", "download"), &download, &aws_path);
    assert!(downloaded.status.success(), "{}", text(&downloaded.stderr));
    let restored = bench.run(&script(&docs, "restore"), None);
    assert!(restored.status.success(), "{}{}", text(&restored.stdout), text(&restored.stderr));
    assert!(
        bench
            .calls()
            .iter()
            .any(|c| c.starts_with("--site shop.example.com restore") && c.contains(&name(database))),
        "{:?}",
        bench.calls()
    );
    assert_eq!(
        std::fs::read_to_string(bench.root().join("sites/shop.example.com/public/files/logo.txt")).unwrap(),
        "shop.example.com",
        "the public files came back from the bucket"
    );
    let logs = [
        text(&downloaded.stdout),
        text(&downloaded.stderr),
        text(&restored.stdout),
        text(&restored.stderr),
    ]
    .concat();
    for secret in [S3_KEY_ID, S3_SECRET] {
        assert!(!logs.contains(secret), "an S3 key in a log");
    }
}

/// With S3, the scheduled backup container succeeds with a site skipped
/// (in maintenance mode), so that the upload container copies the others'
/// files; that one fails on the skipped site, and prunes none of its copies.
#[test]
fn a_scheduled_backup_to_s3_uploads_the_others_and_fails_on_a_site_in_maintenance_mode() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let values = scheduled_backup_values(listener.local_addr().unwrap().port()).replace(
        "    retainDays: 7\n",
        "    retainDays: 7\n    s3: {bucket: erp-backups, existingSecret: s3-keys, retainDays: 7}\n",
    );
    let docs = documents(&crate::common::render_text(&values, &[]));
    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    bench.add_site("hr.example.com");
    set_maintenance_mode(&bench, "shop.example.com", "on");
    let stamp = crate::jobs::one_off_backup_stamp(&bench);
    // Scratch files of the pod's /s3 volume.
    let (list, skipped) = (bench.root().join("upload-list"), bench.root().join("skipped-list"));
    let scratch = |script: String| {
        script
            .replace("/s3/files", list.to_str().unwrap())
            .replace("/s3/skipped", skipped.to_str().unwrap())
    };
    let backup = scratch(config_exports(&docs) + &container_script(&docs, "backup", "backup"));
    let output = bench.run(&format!("export MAINTENANCE_TIMEOUT=0\n{backup}"), None);
    assert!(
        output.status.success(),
        "the upload container runs after it: {}",
        text(&output.stderr)
    );
    assert!(text(&output.stderr).contains("shop.example.com is still in maintenance mode"));

    // `aws s3 cp` records its destination; a listing of old copies names
    // one of each site.
    let uploads = bench.root().join("aws.log");
    bench.add_command(
        "aws",
        &format!(
            "#!/bin/bash\nprintf '%s\\n' \"$*\" >>{log}\n[[ $2 != list-objects-v2 ]] || printf 'old-%s\\n' \"${{6%/}}\"\n",
            log = uploads.display()
        ),
    );
    let upload = scratch(container_script(&docs, "backup", "upload"));
    let output = bench.command(&upload, "16").output().unwrap();
    assert!(!output.status.success(), "the CronJob's run fails");
    assert!(
        text(&output.stderr).contains(
            "not backed up (another Job changing it, in maintenance mode, still being created, or its backup failed): shop.example.com"
        ),
        "{}",
        text(&output.stderr)
    );
    let calls = std::fs::read_to_string(&uploads).unwrap();
    assert!(calls.contains("s3://erp-backups/hr.example.com/"), "{calls}");
    assert!(!calls.contains("shop.example.com"), "nothing of the skipped site: {calls}");
    assert_eq!(std::fs::read_to_string(&stamp).unwrap(), "done frappe/erpnext:v16.0.0\n");
    assert!(
        calls.contains("rm --only-show-errors s3://erp-backups/old-hr.example.com"),
        "{calls}"
    );
}

#[test]
fn a_download_from_s3_creates_no_site_folder_that_site_creation_would_take_for_a_site() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let values = multisite_values(listener.local_addr().unwrap().port()).replace(
        "    retainDays: 7\n",
        "    retainDays: 7\n    s3: {bucket: erp-backups, existingSecret: s3-keys}\n",
    );
    let values = format!(
        "{values}  restore: {{enabled: true, siteName: shop.example.com, confirm: shop.example.com, fromS3: true, database: d.sql.gz}}\n"
    );
    let docs = documents(&crate::common::render_text(&values, &[]));
    let bench = ScratchBench::configured();
    // `aws s3 cp SOURCE DESTINATION`: writes the destination.
    bench.add_command("aws", "#!/bin/bash\nfor last; do :; done\nprintf 'dump' >\"$last\"\n");
    let downloaded = bench
        .command(&container_script(&docs, "restore", "download"), "16")
        .output()
        .unwrap();
    assert!(downloaded.status.success(), "{}", text(&downloaded.stderr));
    assert!(
        !bench.root().join("sites/shop.example.com").exists(),
        "a folder sites/shop.example.com tells create-site, started with it, that the site exists"
    );

    // The site created meanwhile, the restore reads the downloaded file and removes it once done.
    bench.add_site("shop.example.com");
    let restored = bench.run(&script(&docs, "restore"), None);
    assert!(restored.status.success(), "{}{}", text(&restored.stdout), text(&restored.stderr));
    assert!(
        bench
            .calls()
            .iter()
            .any(|c| c.starts_with("--site shop.example.com restore /") && c.contains("d.sql.gz")),
        "{:?}",
        bench.calls()
    );
    assert!(!bench.root().join("sites/.frappe-manifests/downloads/shop.example.com").exists());
}

#[test]
fn pods_that_use_the_database_wait_for_migrate_even_when_applied_with_it() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let waits = |deployment: &str| -> Option<String> {
        let doc = docs
            .iter()
            .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == format!("erpnext-{deployment}"))
            .unwrap();
        let init = doc["spec"]["template"]["spec"]["initContainers"].as_array()?;
        Some(
            init.iter().find(|c| c["name"] == "wait-for-migrate")?["args"][0]
                .as_str()?
                .to_owned(),
        )
    };
    for deployment in ["gunicorn", "worker-d", "worker-s", "worker-l", "scheduler"] {
        assert!(waits(deployment).is_some(), "{deployment} starts before migrate");
    }
    assert!(
        waits("nginx").is_none() && waits("socketio").is_none(),
        "neither touches the database"
    );

    let wait = waits("gunicorn").unwrap();
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    let waiting = bench.command(&wait, "16").env("MIGRATE_TIMEOUT", "2").output().unwrap();
    assert!(!waiting.status.success(), "no migrate yet: the pod does not start");
    backed_up(&bench, &docs);
    let migrate = bench.run(&script(&docs, "migrate"), Some(("--site crm.example.com migrate", "patch failed")));
    assert!(!migrate.status.success());
    // Stamped before the pod began to wait: it stands once nothing rewrites
    // it within WAIT_TIMEOUT.
    let failed = bench.command(&wait, "16").env("WAIT_TIMEOUT", "3").output().unwrap();
    assert!(!failed.status.success(), "a failed migrate keeps the new pods from starting");
    assert!(
        text(&failed.stderr).contains("the migrate Job failed on crm.example.com"),
        "{}",
        text(&failed.stderr)
    );
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    backed_up(&bench, &docs);
    assert!(bench.run(&script(&docs, "migrate"), None).status.success());
    let started = bench.command(&wait, "16").env("MIGRATE_TIMEOUT", "2").output().unwrap();
    assert!(started.status.success(), "{}", text(&started.stderr));
}

/// The wait-for-migrate script of the gunicorn Deployment.
pub(crate) fn gunicorn_wait(docs: &[Value]) -> String {
    let gunicorn = docs
        .iter()
        .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "erpnext-gunicorn")
        .unwrap();
    let init = gunicorn["spec"]["template"]["spec"]["initContainers"].as_array().unwrap();
    let wait = init.iter().find(|c| c["name"] == "wait-for-migrate").unwrap();
    wait["args"][0].as_str().unwrap().to_owned()
}

/// The pods of the release that runs while the next is migrated
/// (and after that migrate failed) are replaced as ever when a node is
/// drained or a replica added; the replacement waits for nothing, as they did
/// not. Once the next migrate succeeded they wait again, as
/// before: `kubectl rollout undo`, or the previous image applied again without
/// a restore (whose migrate Job refuses the site), would otherwise start the
/// older code over the newer schema for good. Pods of an older release wait.
#[test]
fn pods_of_the_running_release_start_again_during_and_after_the_next_migrate() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let bumped = |tag: &str| documents(&crate::common::render_text(&multisite_values(port), &[&format!("image.tag={tag}")]));
    let (running, next, later) = (rendered(&listener), bumped("v16.99.0"), bumped("v16.100.0"));
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    let starts = |docs: &[Value]| {
        let output = bench
            .command(&gunicorn_wait(docs), "16")
            .env("MIGRATE_TIMEOUT", "2")
            .env("WAIT_TIMEOUT", "2")
            .output()
            .unwrap();
        output.status.success()
    };
    backed_up(&bench, &running);
    assert!(bench.run(&script(&running, "migrate"), None).status.success());
    assert!(starts(&running));

    backed_up(&bench, &next);
    let failed = bench.run(&script(&next, "migrate"), Some(("--site hr.example.com migrate", "patch failed")));
    assert!(!failed.status.success());
    assert!(
        starts(&running),
        "shop migrated with the next image, hr failed: the running release's pods still start"
    );
    assert!(!starts(&next), "the next release's pods do not");

    assert!(bench.run(&script(&next, "migrate"), None).status.success());
    assert!(starts(&next));
    assert!(
        !starts(&running),
        "every site migrated: a rollout undone to the previous image waits for its migrate"
    );

    backed_up(&bench, &later);
    assert!(bench.run(&script(&later, "migrate"), None).status.success());
    assert!(!starts(&running), "two releases back: the pods wait");
    assert!(starts(&later));
    assert!(!starts(&next), "the later migrate succeeded: the previous release's pods wait too");
}

/// Going back to the previous image is a restore's work. The
/// previous release's migrate Job run again (Argo CD pruned it and syncs it
/// anew; an older revision synced) stops at a site migrated from its image
/// to a newer one, rather than run the older code's migrate over it, and
/// goes on once the site is restored and its stamp gone.
#[test]
fn the_previous_releases_migrate_does_not_run_over_a_site_migrated_past_it() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (previous, next) = (
        rendered(&listener),
        documents(&crate::common::render_text(&multisite_values(port), &["image.tag=v16.99.0"])),
    );
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    for docs in [&previous, &next] {
        backed_up(&bench, docs);
        assert!(bench.run(&script(docs, "migrate"), None).status.success());
    }
    let stamp = |site: &str| std::fs::read_to_string(bench.root().join("sites/.frappe-manifests/migrated").join(site)).unwrap();
    let calls = bench.calls().len();
    backed_up(&bench, &previous);
    let output = bench.run(&script(&previous, "migrate"), None);
    assert!(!output.status.success(), "a downgrade fails the Job");
    let log = text(&output.stderr);
    assert!(
        log.contains(&format!(
            "shop.example.com was migrated from {} to {}",
            bench_image(&previous),
            bench_image(&next)
        )),
        "{log}"
    );
    assert!(
        log.contains("jobs.restore") && log.contains("rm sites/.frappe-manifests/migrated/shop.example.com"),
        "{log}"
    );
    assert_eq!(bench.calls().len(), calls, "nothing ran: {:?}", &bench.calls()[calls..]);
    assert_eq!(
        stamp("shop.example.com"),
        format!("migrated {}\n", bench_image(&next)),
        "the stamp stays"
    );

    // Restored by hand, each site's stamp deleted: migrated with the previous image.
    std::fs::remove_dir_all(bench.root().join("sites/.frappe-manifests/migrated")).unwrap();
    assert!(bench.run(&script(&previous, "migrate"), None).status.success());
    assert_eq!(stamp("crm.example.com"), format!("migrated {}\n", bench_image(&previous)));
}

#[test]
fn the_charts_clear_cache_keys_are_accepted_and_its_rollout_wait_is_named_unneeded() {
    let chart = "jobs:\n  clearCache:\n    enabled: true\n    serviceAccountName: \"\"\n    initContainer:\n      enabled: false\n      \
                 image: alpine/kubectl:1.35.0\n      deployment:\n        name: \"\"\n      timeout: 600s\n    redisFlush:\n      enabled: false\n    \
                 backoffLimit: 0\n    resources: {}\n    nodeSelector: {}\n    tolerations: []\n    affinity: {}\n";
    let values = format!("{}{chart}", crate::common::MINIMAL);
    let outcome = check_text(&values, &[], "erpnext", Some("erp"));
    assert!(outcome.manifests.is_some(), "{}", human(&outcome));
    let unused =
        |outcome: &frappe_manifests::pipeline::Outcome| outcome.diagnostics.iter().filter(|d| d.code.as_str() == "unused-key").count();
    assert_eq!(unused(&outcome), 0, "the chart's defaults: {}", human(&outcome));
    let waiting = check_text(&values, &["jobs.clearCache.initContainer.enabled=true"], "erpnext", Some("erp"));
    assert!(waiting.manifests.is_some());
    assert_eq!(unused(&waiting), 1, "{}", human(&waiting));
}

#[test]
fn migrate_waits_for_a_site_being_created_beyond_the_backing_services_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    backed_up(&bench, &docs);
    let migrate = script(&docs, "migrate");
    let output = bench.run(&migrate, None);
    assert!(!output.status.success(), "no site and nothing creating it");
    assert!(
        text(&output.stderr).contains("site shop.example.com does not exist"),
        "{}",
        text(&output.stderr)
    );

    // A creation under way that takes longer than WAIT_TIMEOUT (3 s here).
    std::fs::create_dir_all(bench.root().join("sites/.frappe-manifests")).unwrap();
    let marker = bench.root().join("sites/.frappe-manifests/shop.example.com.creating");
    std::fs::write(&marker, "").unwrap();
    SITES.iter().for_each(|site| bench.add_site(site));
    let finish = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(5));
        std::fs::remove_file(marker).unwrap();
    });
    let output = bench.run(&migrate, None);
    finish.join().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(bench.calls().contains(&"--site shop.example.com migrate".to_owned()));
}

/// create-site queues every site it will see to when it starts, and a site
/// stays queued until its turn ended: a migrate started beside it waits for a
/// site whose creation has not begun yet, beyond WAIT_TIMEOUT, rather than
/// giving up on it ("nothing is creating it").
#[test]
fn migrate_waits_for_a_site_that_create_site_has_queued() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    backed_up(&bench, &docs);
    std::fs::create_dir_all(bench.root().join("sites/.frappe-manifests")).unwrap();
    let queued: Vec<_> = SITES
        .iter()
        .map(|site| bench.root().join(format!("sites/.frappe-manifests/{site}.queued")))
        .collect();
    queued.iter().for_each(|marker| std::fs::write(marker, "").unwrap());
    let (root, markers) = (bench.root().to_owned(), queued.clone());
    let create = std::thread::spawn(move || {
        // Longer than WAIT_TIMEOUT (3 s here) before the first site appears.
        std::thread::sleep(std::time::Duration::from_secs(5));
        for (site, marker) in SITES.iter().zip(markers) {
            std::fs::create_dir_all(root.join("sites").join(site)).unwrap();
            std::fs::write(root.join("sites").join(site).join("site_config.json"), "{}").unwrap();
            std::fs::remove_file(marker).unwrap();
        }
    });
    let output = bench.run(&script(&docs, "migrate"), None);
    create.join().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        bench.calls().contains(&"--site shop.example.com migrate".to_owned()),
        "{:?}",
        bench.calls()
    );

    // The create-site Job leaves no site queued, whether it succeeds or not.
    for fail_on in [None, Some(("new-site hr.example.com", "database exists"))] {
        let bench = ScratchBench::configured();
        let output = bench.run(&script(&docs, "create-site"), fail_on);
        assert_eq!(output.status.success(), fail_on.is_none(), "{}", text(&output.stderr));
        for site in SITES {
            let marker = bench.root().join(format!("sites/.frappe-manifests/{site}.queued"));
            assert!(!marker.exists(), "{site} stays queued after create-site ({fail_on:?})");
        }
    }
}

/// The failure's advice says: fix the cause, delete the failed Jobs, apply
/// again. The Jobs that wait then find the earlier attempt's `failed` stamp,
/// and wait for the new attempt to rewrite it rather than stop at once; a
/// failure stamped while they wait still stops them at once.
#[test]
fn an_earlier_attempts_failure_does_not_stop_the_jobs_of_the_next() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let image = bench_image(&docs);
    let (backup, migrate, clear_cache) = (script(&docs, "backup"), script(&docs, "migrate"), script(&docs, "clear-cache"));
    let stamps = |bench: &ScratchBench| bench.root().join("sites/.frappe-manifests");

    // The backup failed before; migrate and the new backup start together.
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    std::fs::create_dir_all(stamps(&bench)).unwrap();
    std::fs::write(stamps(&bench).join("backed-up"), format!("failed {image}\n")).unwrap();
    run_beside(&bench, &migrate, &backup, "migrate waited for the new backup");

    // migrate failed on a site before; clear-cache and the new migrate start together.
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    backed_up(&bench, &docs);
    std::fs::create_dir_all(stamps(&bench).join("migrated")).unwrap();
    std::fs::write(stamps(&bench).join("migrated/hr.example.com"), format!("failed {image}\n")).unwrap();
    for site in ["shop.example.com", "crm.example.com"] {
        std::fs::write(stamps(&bench).join("migrated").join(site), format!("migrated {image}\n")).unwrap();
    }
    run_beside(&bench, &clear_cache, &migrate, "clear-cache waited for the new migrate");

    // A failure stamped while clear-cache waits stops it at once, and one
    // that nothing rewrites stops it after WAIT_TIMEOUT (3 s here).
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    std::fs::create_dir_all(stamps(&bench).join("migrated")).unwrap();
    let started = std::time::Instant::now();
    std::thread::scope(|scope| {
        let clearing = scope.spawn(|| bench.run(&clear_cache, None));
        std::thread::sleep(std::time::Duration::from_secs(1));
        std::fs::write(stamps(&bench).join("migrated/shop.example.com"), format!("failed {image}\n")).unwrap();
        let output = clearing.join().unwrap();
        assert!(!output.status.success());
        assert!(
            text(&output.stderr).contains("the migrate Job failed on shop.example.com"),
            "{}",
            text(&output.stderr)
        );
    });
    assert!(started.elapsed() < std::time::Duration::from_secs(3 + 5), "{:?}", started.elapsed());
    let output = bench.run(&clear_cache, None);
    assert!(!output.status.success(), "the earlier failure stands once nothing rewrites it");
    assert!(
        text(&output.stderr).contains("the migrate Job failed on shop.example.com"),
        "{}",
        text(&output.stderr)
    );
}

/// A backup stopped by SIGTERM (a pod
/// deleted or evicted) stamps its failure (tests/sigterm.rs stops it as
/// PID 1, as in its container); a migrate that stops before a site it
/// queued again fails that site again; the hour for site creation restarts
/// with each site create-site finishes.
#[test]
fn stamps_say_failed_whatever_stops_a_job() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let image = bench_image(&docs);
    let stamps = |bench: &ScratchBench| bench.root().join("sites/.frappe-manifests");

    // SIGTERM while the backup waits for its sites.
    let bench = ScratchBench::configured();
    let child = bench.command(&script(&docs, "backup"), "16").spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(
        std::fs::read_to_string(stamps(&bench).join("backed-up")).unwrap(),
        format!("running {image}\n")
    );
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success());
    assert_eq!(
        std::fs::read_to_string(stamps(&bench).join("backed-up")).unwrap(),
        format!("failed {image}\n")
    );

    // migrate queues hr again, then stops at the backup's failure (stamped
    // before it began to wait: it stands after WAIT_TIMEOUT): hr fails again.
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    std::fs::create_dir_all(stamps(&bench).join("migrated")).unwrap();
    std::fs::write(stamps(&bench).join("backed-up"), format!("failed {image}\n")).unwrap();
    std::fs::write(stamps(&bench).join("migrated/hr.example.com"), format!("failed {image}\n")).unwrap();
    let output = bench.run(&script(&docs, "migrate"), None);
    assert!(!output.status.success());
    assert_eq!(
        std::fs::read_to_string(stamps(&bench).join("migrated/hr.example.com")).unwrap(),
        format!("failed {image}\n"),
        "{}",
        text(&output.stderr)
    );

    // Three queued sites, one finished every 2 s, with an hour of 3 s: each
    // finished site restarts it.
    let bench = ScratchBench::configured();
    backed_up(&bench, &docs);
    std::fs::create_dir_all(stamps(&bench)).unwrap();
    let queued: Vec<_> = SITES.iter().map(|site| stamps(&bench).join(format!("{site}.queued"))).collect();
    queued.iter().for_each(|marker| std::fs::write(marker, "").unwrap());
    std::thread::scope(|scope| {
        let migrating = scope.spawn(|| {
            bench
                .command(&script(&docs, "migrate"), "16")
                .env("WAIT_TIMEOUT", "3")
                .env("SITE_CREATION_TIMEOUT", "3")
                .output()
                .unwrap()
        });
        for (site, marker) in SITES.iter().zip(&queued).rev() {
            std::thread::sleep(std::time::Duration::from_secs(2));
            bench.add_site(site);
            std::fs::remove_file(marker).unwrap();
        }
        let output = migrating.join().unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
    });
}

/// A claim of a `WaitForFirstConsumer` storage class is Pending, which
/// Argo CD counts as Progressing, until a pod mounts it: each claim is in the
/// wave of the first object that mounts it, never before.
#[test]
fn argo_cd_puts_each_claim_in_the_wave_of_its_first_consumer() {
    for sets in [&[][..], &["jobs.volumePermissions.enabled=false"][..]] {
        let mut manifests = manifests(sets);
        frappe_manifests::argocd::annotate(&mut manifests);
        let wave = |m: &Manifest| -> i32 {
            m.metadata().annotations.as_ref().unwrap()["argocd.argoproj.io/sync-wave"]
                .parse()
                .unwrap()
        };
        let yaml = frappe_manifests::emit::to_yaml_stream(&manifests);
        let docs = documents(&yaml);
        let claims: Vec<&Manifest> = manifests.iter().filter(|m| m.kind() == "PersistentVolumeClaim").collect();
        assert!(!claims.is_empty());
        for claim in claims {
            let consumers: Vec<i32> = docs
                .iter()
                .filter(|doc| {
                    let pod = match doc["kind"].as_str() {
                        Some("CronJob") => &doc["spec"]["jobTemplate"]["spec"]["template"]["spec"],
                        _ => &doc["spec"]["template"]["spec"],
                    };
                    pod["volumes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|v| v["persistentVolumeClaim"]["claimName"] == claim.name())
                })
                .map(|doc| {
                    let (kind, name) = (doc["kind"].as_str().unwrap(), doc["metadata"]["name"].as_str().unwrap());
                    wave(manifests.iter().find(|m| m.kind() == kind && m.name() == name).unwrap())
                })
                .collect();
            assert_eq!(Some(wave(claim)), consumers.iter().copied().min(), "{} with {sets:?}", claim.name());
        }
    }
}

/// `redisFlush` empties the cache's Redis database: refused when the queue
/// is in the same one, where queued jobs would go with the cache.
#[test]
fn redis_flush_is_refused_when_the_queue_shares_the_cache_database() {
    let values = multisite_values(3306);
    let flush = ["jobs.clearCache.enabled=true", "jobs.clearCache.redisFlush.enabled=true"];
    let outcome = check_text(&values, &flush, "erpnext", Some("erp"));
    assert!(outcome.manifests.is_some(), "{}", human(&outcome));
    let cache = outcome.manifests.as_ref().unwrap().iter().find_map(|m| match m {
        Manifest::ConfigMap(map) => map.data.as_ref()?.get("FRAPPE_REDIS_CACHE").cloned(),
        _ => None,
    });
    let cache = cache.expect("the ConfigMap names the cache");
    let shared = format!("externalRedis.queue={cache}");
    let sets = [flush[0], flush[1], shared.as_str()];
    let outcome = check_text(&values, &sets, "erpnext", Some("erp"));
    assert!(outcome.manifests.is_none());
    assert!(
        outcome
            .diagnostics
            .iter()
            .any(|d| d.code == Code::ConflictingKeys && d.message.contains("redisFlush")),
        "{}",
        human(&outcome)
    );
}

/// The array expansions of a bash script that bash 4.2 rejects under `set -u`
/// when the array is empty: `"${a[@]}"` and `${a[*]}` without a guard
/// (`${a[@]+"${a[@]}"}`, `${a[*]:-}`).
fn unguarded_array_expansions(script: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = script;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        let name_end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let (name, after) = rest.split_at(name_end);
        for all in ["[@]", "[*]"] {
            if let Some(tail) = after.strip_prefix(all) {
                let guarded = tail.starts_with(&format!("+\"${{{name}{all}}}\"}}")) || tail.starts_with(":-}");
                // The inner half of a guard follows `[@]+"`.
                let inner = script[..script.len() - rest.len() - 2].ends_with(&format!("{name}{all}+\""));
                if !guarded && !inner {
                    found.push(format!("${{{name}{all}}}"));
                }
            }
        }
    }
    found
}

#[test]
fn the_s3_scripts_expand_no_empty_array_unguarded() {
    // The AWS CLI image is amazonlinux 2, whose bash 4.2 fails on an empty
    // "${array[@]}" under `set -u` (bash 4.4 and later, as on the machines
    // that run these tests, do not: so this checks the scripts' text).
    assert_eq!(
        unguarded_array_expansions(r#"a=(); f "${a[@]}"; g ${a[*]}; h ${a[@]+"${a[@]}"} "${a[*]:-}""#),
        ["${a[@]}", "${a[*]}"]
    );
    let values = multisite_values(3306).replace(
        "    retainDays: 7\n",
        "    retainDays: 7\n    s3: {bucket: erp-backups, existingSecret: s3-keys, retainDays: 7}\n",
    );
    let restore = format!(
        "{values}  restore: {{enabled: true, siteName: shop.example.com, confirm: shop.example.com, fromS3: true, database: d.sql.gz}}\n"
    );
    let docs = documents(&crate::common::render_text(&restore, &[]));
    for (task, container) in [("backup", "upload"), ("restore", "download")] {
        let script = container_script(&docs, task, container);
        assert!(!script.contains("--endpoint-url"), "no endpoint: AWS's own");
        assert_eq!(unguarded_array_expansions(&script), Vec::<String>::new(), "{task}/{container}");
    }
}

/// The restore Job answers bench's root password prompt: a password with a
/// line break is refused before bench runs, naming the Secret key; a request
/// carried out already asks nothing, and succeeds whatever the Secret holds.
#[test]
fn a_restore_refuses_a_root_password_with_a_line_break_only_when_it_restores() {
    let (_listener, port, bench, backups) = restore_bench();
    let dump = "20260101_030000-shop_example_com-database.sql.gz";
    std::fs::write(backups.join(dump), "").unwrap();
    let docs = documents(&crate::common::render_text(
        &restore_values(port, &format!("    database: {dump}\n")),
        &[],
    ));
    let restore = script(&docs, "restore");
    let with_line_break = |bench: &ScratchBench| {
        let mut command = bench.command(&restore, "16");
        command
            .env("WAIT_TIMEOUT", "3")
            .env("DB_ROOT_USER", "root")
            .env("DB_ROOT_PASSWORD", "from-a-file\n");
        command.output().unwrap()
    };
    let output = with_line_break(&bench);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("DB_ROOT_PASSWORD, from Secret erp-secrets, key password, holds a line break"),
        "{stderr}"
    );
    assert!(bench.calls().is_empty(), "bench ran: {:?}", bench.calls());

    let output = bench.run(&restore, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let calls = bench.calls().len();
    let output = with_line_break(&bench);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(bench.calls().len(), calls, "the request was carried out already");
}

/// The documents of the multisite values with a one-off backup of `sites`
/// (a flow list of `{name: …}`), and the listener that stands for their
/// backing services (keep it while the Jobs run).
fn one_off_backup_of(sites: &str) -> (TcpListener, Vec<Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let values = multisite_values(listener.local_addr().unwrap().port()).replace(
        "    sites: [{name: shop.example.com}, {name: hr.example.com}]\n",
        &format!("    sites: [{sites}]\n"),
    );
    assert!(values.contains(sites), "{values}");
    (listener, documents(&crate::common::render_text(&values, &[])))
}

/// A one-off backup of `all` holds every site's lock to its end; a site
/// named beside `all` (`sites: [all, shop]`) is then its own already. flock
/// locks belong to an open file, so locking the site again from a second
/// open of its file waits on this very Job, for LOCK_TIMEOUT (a day), and
/// the migrate Jobs wait on its stamp meanwhile.
#[test]
fn a_one_off_backup_of_all_and_a_named_site_does_not_wait_on_itself() {
    let (_listener, docs) = one_off_backup_of("{name: all}, {name: shop.example.com}");
    assert_eq!(job(&docs, "backup")["kind"], "Job");
    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    bench.add_site("hr.example.com");
    let output = bench.run(&format!("export LOCK_TIMEOUT=3\n{}", script(&docs, "backup")), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        crate::jobs::backups_run(&bench),
        [
            "--site hr.example.com backup --with-files",
            "--site shop.example.com backup --with-files",
            "--site shop.example.com backup --with-files"
        ]
    );
}

/// As `bench --site all backup`, the one-off backup of `all` goes on past a
/// site whose dump fails (it backs up site by site, each into its own
/// folder), and fails at the end naming it.
#[test]
fn a_one_off_backup_of_all_goes_on_past_a_site_that_fails() {
    let (_listener, docs) = one_off_backup_of("{name: all}");
    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    bench.add_site("hr.example.com");
    let output = bench.run(
        &script(&docs, "backup"),
        Some(("--site hr.example.com backup", "mariadb-dump: Got error")),
    );
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("error: the backup of hr.example.com failed (see above); the other sites were backed up"),
        "{stderr}"
    );
    // hr first, in the order of the names; shop after it all the same.
    assert_eq!(
        crate::jobs::backups_run(&bench),
        [
            "--site hr.example.com backup --with-files",
            "--site shop.example.com backup --with-files"
        ]
    );
    let backups = std::fs::read_dir(bench.root().join("sites/shop.example.com/private/backups"))
        .unwrap()
        .count();
    assert!(backups > 0, "shop was backed up");
}

/// With no site, the one-off backup of `all` fails, as `bench --site all
/// backup` does (no site to take): a migrate waiting for its stamp learns
/// that nothing was backed up.
#[test]
fn a_one_off_backup_of_all_with_no_site_fails() {
    let (_listener, docs) = one_off_backup_of("{name: all}");
    let bench = ScratchBench::configured();
    let output = bench.run(&script(&docs, "backup"), None);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("error: there is no site to back up"),
        "{}",
        text(&output.stderr)
    );
    assert!(crate::jobs::backups_run(&bench).is_empty());
}

/// A scheduled backup of `all` started beside the drop of the bench's only
/// site comes back to it after the drop, and finds it gone: nothing to back
/// up, and nothing for retention to delete (its folder pattern then matches
/// no folder, and `find` on the pattern itself would fail the run).
#[test]
fn a_scheduled_backup_of_all_after_the_last_site_was_dropped_succeeds() {
    let (_listener, port, bench, _backups) = restore_bench();
    let values = drop_values(port, "shop.example.com", true).replace("    siteName: all\n", "    siteName: all\n    retainDays: 7\n");
    assert!(values.contains("retainDays"), "{values}");
    let docs = documents(&crate::common::render_text(&values, &[]));
    let log = one_after_the_other(
        &bench,
        &script(&docs, "drop-site"),
        &script(&docs, "backup"),
        &[("BACKUP_SECONDS", "3")],
    );
    assert!(!bench.site_exists("shop.example.com"));
    assert!(log.contains("shop.example.com was dropped meanwhile: nothing to back up"), "{log}");
}

/// A lock file that cannot be opened (here a folder in its place; a
/// sites volume whose locks folder another user made) stops the Job with
/// the file and what to look at, before it changed anything: the scheduled
/// backup tries the lock under `if`, where `set -e` would let the failed
/// open go on to a flock on no file.
#[test]
fn a_lock_file_that_cannot_be_opened_stops_the_job_saying_so() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    for values in [scheduled_backup_values(port), multisite_values(port)] {
        let docs = documents(&crate::common::render_text(&values, &[]));
        let bench = ScratchBench::configured();
        bench.add_site("shop.example.com");
        bench.add_site("hr.example.com");
        std::fs::create_dir_all(bench.root().join("sites/.frappe-manifests/locks/shop.example.com")).unwrap();
        let output = bench.run(&script(&docs, "backup"), None);
        let stderr = text(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(
            stderr.contains(
                "error: could not open sites/.frappe-manifests/locks/shop.example.com (see above); nothing was changed on shop.example.com."
            ) && !stderr.contains("unbound variable"),
            "{stderr}"
        );
        assert!(crate::jobs::backups_run(&bench).is_empty(), "nothing was backed up");
    }
}

/// A site on the volume that the migrate Job does not list would be served by
/// the new image's code on its old schema: the Job stops before it changes
/// anything, naming it and the fix. The sites that are not left behind by
/// that are let be: one being dropped, one create-site has queued or is
/// making, one migrated with this image already; and what frappe does not
/// take for a site (frappe/utils/__init__.py get_sites): a symlink, a folder
/// without site_config.json.
#[test]
fn migrate_refuses_to_start_while_a_site_it_does_not_list_is_on_the_volume() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let image = bench_image(&docs);
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    backed_up(&bench, &docs);
    let records = bench.root().join("sites/.frappe-manifests");
    for site in [
        "blog.example.com",
        ".hidden.example.com",
        "dropping.example.com",
        "queued.example.com",
        "half.example.com",
        "done.example.com",
    ] {
        bench.add_site(site);
    }
    std::fs::create_dir_all(records.join("dropping")).unwrap();
    std::fs::write(
        records.join("dropping/dropping.example.com"),
        "archived_sites/dropping.example.com\n",
    )
    .unwrap();
    std::fs::write(records.join("queued.example.com.queued"), "").unwrap();
    std::fs::write(records.join("half.example.com.creating"), "").unwrap();
    std::fs::create_dir_all(records.join("migrated")).unwrap();
    std::fs::write(records.join("migrated/done.example.com"), format!("migrated {image}\n")).unwrap();
    std::os::unix::fs::symlink("shop.example.com", bench.root().join("sites/alias.example.com")).unwrap();
    std::fs::create_dir_all(bench.root().join("sites/assets")).unwrap();

    let output = bench.run(&script(&docs, "migrate"), None);
    assert!(!output.status.success(), "{}", text(&output.stdout));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the sites volume holds sites this Job does not migrate: blog.example.com .hidden.example.com."),
        "{stderr}"
    );
    assert!(stderr.contains("Add each such site to jobs.migrateMultipleSites.sites"), "{stderr}");
    assert!(stderr.contains("Nothing was changed on any site"), "{stderr}");
    assert_eq!(bench.calls(), Vec::<String>::new(), "no maintenance mode, backup or migrate");
    for site in SITES {
        assert!(
            !records.join("migrated").join(site).exists(),
            "{site} is not stamped: its new pods wait"
        );
        assert_eq!(maintenance(&bench, site), Value::Null, "{site}");
    }

    // Listed in the values, or dropped, the site no longer stops it.
    std::fs::remove_dir_all(bench.root().join("sites/blog.example.com")).unwrap();
    std::fs::remove_dir_all(bench.root().join("sites/.hidden.example.com")).unwrap();
    let output = bench.run(&script(&docs, "migrate"), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        bench.calls().contains(&"--site shop.example.com migrate".to_owned()),
        "{:?}",
        bench.calls()
    );
}

/// A site the create-site or restore Job makes that the migrate Job does not
/// list is an error at the site, with the fix for the migrate key in use; a
/// site the migrate Job lists, or no migrate Job at all, is none.
#[test]
fn a_site_made_by_a_job_but_not_migrated_is_an_error_at_its_name() {
    let base =
        "dbHost: db.internal\ndbExistingSecret: erp-db\nexternalRedis: {cache: 'redis://cache:6379', queue: 'redis://queue:6379'}\njobs:\n";
    let create = "  createSite: {enabled: true, siteName: blog.example.com, adminExistingSecret: erp-admin}\n";
    let restore = "  restore: {enabled: true, siteName: old.example.com, confirm: old.example.com, database: 20260101_030000-old_example_com-database.sql.gz}\n";
    let found = |jobs: &str| {
        let outcome = check_text(&format!("{base}{jobs}"), &[], "erpnext", None);
        outcome
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::UnmigratedSite)
            .map(|d| (d.span.unwrap().line, d.message.clone(), d.help.clone().unwrap()))
            .collect::<Vec<_>>()
    };

    let single = found(&format!("{create}  migrate: {{enabled: true, siteName: shop.example.com}}\n"));
    assert_eq!(single.len(), 1, "{single:?}");
    assert_eq!(single[0].0, 5, "at the create Job's siteName");
    assert!(
        single[0].1.contains("the create-site Job makes `blog.example.com`"),
        "{}",
        single[0].1
    );
    assert!(
        single[0].2.contains("enable `jobs.migrateMultipleSites` instead"),
        "{}",
        single[0].2
    );

    let multi = found(&format!(
        "{restore}  migrateMultipleSites: {{enabled: true, sites: [{{name: shop.example.com}}]}}\n"
    ));
    assert_eq!(multi.len(), 1, "{multi:?}");
    assert!(multi[0].1.contains("the restore Job makes `old.example.com`"), "{}", multi[0].1);
    assert_eq!(multi[0].2, "add it to `jobs.migrateMultipleSites.sites`");

    let listed = format!(
        "{create}{restore}  migrateMultipleSites: {{enabled: true, sites: [{{name: blog.example.com}}, {{name: old.example.com}}]}}\n"
    );
    assert_eq!(found(&listed), [], "every site made is migrated");
    assert_eq!(
        found(&format!("{create}{restore}")),
        [],
        "no migrate Job: nothing is migrated at all"
    );
}

/// A backup of `all`, one-off or scheduled, backs up the sites frappe's
/// `bench --site all` takes (frappe/utils/__init__.py get_sites): a hidden
/// folder with a site_config.json too, a symlink to a site not again, a
/// folder without one not at all.
#[test]
fn a_backup_of_all_takes_the_sites_frappe_takes() {
    let (listener, one_off) = one_off_backup_of("{name: all}");
    let scheduled_values = scheduled_backup_values(listener.local_addr().unwrap().port()).replace(
        "    sites: [{name: shop.example.com}, {name: hr.example.com}]\n",
        "    sites: [{name: all}]\n",
    );
    assert!(scheduled_values.contains("{name: all}"), "{scheduled_values}");
    let scheduled = documents(&crate::common::render_text(&scheduled_values, &[]));
    assert_eq!(job(&scheduled, "backup")["kind"], "CronJob");
    for docs in [one_off, scheduled] {
        let bench = ScratchBench::configured();
        bench.add_site("shop.example.com");
        bench.add_site(".hidden.example.com");
        std::os::unix::fs::symlink("shop.example.com", bench.root().join("sites/alias.example.com")).unwrap();
        std::fs::create_dir_all(bench.root().join("sites/assets")).unwrap();
        let output = bench.run(&script(&docs, "backup"), None);
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert_eq!(
            crate::jobs::backups_run(&bench),
            [
                "--site shop.example.com backup --with-files",
                "--site .hidden.example.com backup --with-files"
            ]
        );
    }
}

/// With kubectl, the pre phase starts drop-site and migrate together, and
/// migrate's look at the volume comes first thing, before drop-site has
/// begun its drop (no `dropping` record yet): a site the values drop (and,
/// by `dropped-site`, no longer migrate) is on its way out, not left behind,
/// and does not stop the upgrade of the others.
#[test]
fn a_site_the_release_drops_does_not_stop_its_migrate() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let values = format!(
        "{}  migrateMultipleSites:
    enabled: true
    sites: [{{name: shop.example.com}}]
  dropSite:
    enabled: true
    siteName: hr.example.com
",
        crate::jobs::fake_bench_endpoints(port)
    );
    let docs = documents(&crate::common::render_text(&values, &[]));
    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    bench.add_site("hr.example.com");
    let records = bench.root().join("sites/.frappe-manifests/migrated");
    std::fs::create_dir_all(&records).unwrap();
    std::fs::write(records.join("hr.example.com"), "migrated frappe/erpnext:v15.0.0\n").unwrap();

    let output = bench.run(&script(&docs, "migrate"), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        bench.calls().contains(&"--site shop.example.com migrate".to_owned()),
        "{:?}",
        bench.calls()
    );
    assert!(
        !bench.calls().iter().any(|call| call.contains("hr.example.com")),
        "{:?}",
        bench.calls()
    );
}
