//! The README's `phased_apply` (Upgrading, "With kubectl"), run as the
//! README prints it, with the binary under test as `frappe-manifests` and
//! `fixtures/fake-kubectl.py` as `kubectl`.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{binary, example, project_root, text};

/// The README's code block that defines `phased_apply`, without its
/// example call.
fn readme_procedure() -> String {
    let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
    let section = &readme[readme.find("### With kubectl").expect("the README's kubectl section")..];
    let block = &section[section.find("```bash\n").unwrap() + "```bash\n".len()..];
    let block = &block[..block.find("```").unwrap()];
    assert!(block.contains("phased_apply() {"), "{block}");
    block
        .lines()
        .filter(|line| !line.starts_with("phased_apply "))
        .collect::<Vec<_>>()
        .join("\n")
}

struct Run {
    output: Output,
    /// Each kubectl call's arguments, one per line.
    calls: Vec<String>,
}

/// `phased_apply erp -f VALUES`, with the fake's settings (`FAKE_KUBECTL_*`).
fn phased_apply(values: &Path, fake: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    phased_apply_in(dir.path(), &["-f", values.to_str().unwrap()], fake)
}

/// `phased_apply erp ARGS...` against the fake cluster kept in `state`, which
/// earlier runs in it applied to; its calls only.
fn phased_apply_in(state: &Path, args: &[&str], fake: &[(&str, &str)]) -> Run {
    let bin = state.join("bin");
    if !bin.exists() {
        std::fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(binary(), bin.join("frappe-manifests")).unwrap();
        std::os::unix::fs::symlink(project_root().join("tests/fixtures/fake-kubectl.py"), bin.join("kubectl")).unwrap();
    }
    let _ = std::fs::remove_file(state.join("calls"));
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let script = format!("{}\nphased_apply erp \"$@\"\n", readme_procedure());
    // A procedure that loops on an answer it does not expect would spin
    // until its own timeouts (hours): the test gives it two minutes.
    let mut command = Command::new("timeout");
    command
        .args(["120", "bash", "-c", &script, "phased_apply"])
        .args(args)
        .env("PATH", path)
        .env("FAKE_KUBECTL_STATE", state);
    command.envs(fake.iter().copied());
    let output = command.output().unwrap();
    let calls = std::fs::read_to_string(state.join("calls")).unwrap_or_default();
    Run {
        output,
        calls: calls.lines().map(str::to_owned).collect(),
    }
}

/// The names `render --phase PHASE` gives objects of `kind`.
fn rendered(values: &Path, phase: &str, kind: &str) -> Vec<String> {
    let output = Command::new(binary())
        .args(["render", "-n", "erp", "--phase", phase, "-f"])
        .arg(values)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stream = text(&output.stdout);
    let mut names = Vec::new();
    for document in stream.split("\n---\n") {
        if document.lines().any(|line| line == format!("kind: {kind}")) {
            let metadata = &document[document.find("\nmetadata:\n").unwrap()..];
            let name = metadata.lines().find_map(|line| line.strip_prefix("  name: ")).unwrap();
            names.push(name.to_owned());
        }
    }
    names
}

impl Run {
    /// The applies that change the cluster (not the dry run that names the bundle's objects).
    fn applies(&self) -> usize {
        self.calls.iter().filter(|call| call.contains(" apply -f ")).count()
    }

    /// What it deleted, as `kind.group/name`.
    fn deleted(&self) -> Vec<&str> {
        let mut deleted: Vec<&str> = self
            .calls
            .iter()
            .filter_map(|call| call.strip_prefix("-n erp delete --ignore-not-found "))
            .collect();
        deleted.sort_unstable();
        deleted
    }

    /// Where the first call holding `needle` is.
    fn first(&self, needle: &str) -> usize {
        self.calls
            .iter()
            .position(|call| call.contains(needle))
            .unwrap_or_else(|| panic!("no call holds {needle}: {:?}", self.calls))
    }

    /// Where the last call holding `needle` is.
    fn last(&self, needle: &str) -> usize {
        self.calls
            .iter()
            .rposition(|call| call.contains(needle))
            .unwrap_or_else(|| panic!("no call holds {needle}: {:?}", self.calls))
    }

    fn count(&self, needle: &str) -> usize {
        self.calls.iter().filter(|call| call.contains(needle)).count()
    }

    fn succeeded(&self) -> bool {
        self.output.status.success()
    }
}

fn wait_for(job: &str) -> String {
    format!("-n erp wait --for=condition=complete --timeout=10s job.batch/{job}")
}

#[test]
fn without_migrate_or_clear_cache_it_waits_for_configure_and_the_rollout_and_ends() {
    // The default: no migrate Job, and nothing in the `post` phase, which
    // `kubectl apply` would refuse; a wait by label for Jobs that do not
    // exist would fail at once, again and again, until its timeout.
    let values = example("minimal");
    assert!(rendered(&values, "post", "Job").is_empty());
    let configure = rendered(&values, "pre", "Job");
    assert_eq!(configure.len(), 1, "{configure:?}");
    let run = phased_apply(&values, &[]);
    assert!(run.succeeded(), "{}\n{:?}", text(&run.output.stderr), run.calls);
    assert_eq!(run.applies(), 2, "{:?}", run.calls);
    let deployments = rendered(&values, "main", "Deployment");
    assert!(!deployments.is_empty());
    for deployment in &deployments {
        let rollout = format!("-n erp rollout status deployment.apps/{deployment} --timeout=30m");
        assert!(run.calls.contains(&rollout), "{:?}", run.calls);
    }
    // Configure completed before the Deployments were applied.
    assert!(run.last(&wait_for(&configure[0])) < run.last(" apply "), "{:?}", run.calls);
}

#[test]
fn every_job_of_a_phase_is_waited_for_by_name_before_the_next_phase() {
    let values = example("multisite");
    let (pre, main, post) = (
        rendered(&values, "pre", "Job"),
        rendered(&values, "main", "Job"),
        rendered(&values, "post", "Job"),
    );
    assert!(pre.iter().any(|name| name.contains("-migrate-")), "{pre:?}");
    assert!(!main.is_empty(), "a custom Job");
    assert!(post.iter().any(|name| name.contains("-clear-cache-")), "{post:?}");
    let run = phased_apply(&values, &[]);
    assert!(run.succeeded(), "{}\n{:?}", text(&run.output.stderr), run.calls);
    assert_eq!(run.applies(), 3, "{:?}", run.calls);
    let applies: Vec<_> = (0..run.calls.len()).filter(|&at| run.calls[at].contains(" apply -f ")).collect();
    for job in &pre {
        assert!(run.first(&wait_for(job)) < applies[1], "{job}: {:?}", run.calls);
    }
    for job in &main {
        assert!(run.last("rollout status") < run.first(&wait_for(job)), "{job}: {:?}", run.calls);
        assert!(run.first(&wait_for(job)) < applies[2], "{job}: {:?}", run.calls);
    }
    for job in &post {
        assert!(applies[2] < run.first(&wait_for(job)), "{job}: {:?}", run.calls);
    }
    assert_eq!(
        run.count(" wait ") - run.count(" wait --for=condition=complete --timeout=10s job.batch/"),
        0,
        "{:?}",
        run.calls
    );
}

#[test]
fn a_job_that_completed_is_not_looked_at_again_while_migrate_runs_on() {
    // Site creation deletes itself 10 minutes after it finished; a migrate
    // that takes longer must not turn its absence into a failure.
    let values = example("multisite");
    let create_site = rendered(&values, "pre", "Job")
        .into_iter()
        .find(|name| name.contains("-create-site-"))
        .unwrap();
    let run = phased_apply(&values, &[("FAKE_KUBECTL_SLOW", "-migrate-=620")]);
    assert!(run.succeeded(), "{}\n{:?}", text(&run.output.stderr), run.calls);
    assert_eq!(run.count(&create_site), 1, "{:?}", run.calls);
    assert!(run.count("-migrate-") >= 62, "{:?}", run.calls);
    assert_eq!(run.applies(), 3, "{:?}", run.calls);
}

#[test]
fn a_failed_migrate_stops_it_before_the_deployments_are_applied() {
    let values = example("multisite");
    let run = phased_apply(&values, &[("FAKE_KUBECTL_FAILING", "-migrate-")]);
    assert_eq!(run.output.status.code(), Some(1), "{:?}", run.calls);
    let stderr = text(&run.output.stderr);
    let migrate = rendered(&values, "pre", "Job")
        .into_iter()
        .find(|name| name.contains("-migrate-"))
        .unwrap();
    assert!(
        stderr.contains(&format!(
            "job.batch/{migrate} failed; its log says what to do: kubectl -n erp logs job.batch/{migrate}"
        )),
        "{stderr}"
    );
    assert_eq!(run.applies(), 1, "{:?}", run.calls);
    assert_eq!(run.count("rollout"), 0, "{:?}", run.calls);
}

#[test]
fn a_rollout_that_does_not_finish_stops_it_before_the_post_phase() {
    let values = example("multisite");
    let run = phased_apply(&values, &[("FAKE_KUBECTL_STUCK", "gunicorn")]);
    assert!(!run.succeeded(), "{:?}", run.calls);
    assert!(
        text(&run.output.stderr).contains("exceeded its progress deadline"),
        "{}",
        text(&run.output.stderr)
    );
    assert_eq!(run.applies(), 2, "{:?}", run.calls);
}

/// A bench with an HPA on gunicorn, KEDA on the default worker,
/// NetworkPolicies and a scheduled backup; `later` turns all four off (the
/// default worker gets an HPA in KEDA's place).
const EARLIER: &str = "dbHost: db
dbExistingSecret: db-root
externalRedis: {cache: redis://cache:6379, queue: redis://queue:6379}
worker:
  gunicorn: {replicaCount: 2, resources: {requests: {cpu: 1, memory: 1Gi}}, autoscaling: {enabled: true, minReplicas: 2}}
  default: {resources: {requests: {cpu: 1, memory: 1Gi}}, autoscaling: {keda: {enabled: true}}}
networkPolicy: {enabled: true}
jobs:
  createSite: {enabled: true, siteName: erp.example.com, adminExistingSecret: admin}
  migrate: {enabled: true, siteName: erp.example.com}
  backup: {enabled: true, siteName: erp.example.com, schedule: '0 3 * * *'}
";

fn later() -> String {
    EARLIER
        .replace(", autoscaling: {enabled: true, minReplicas: 2}}", "}")
        .replace("autoscaling: {keda: {enabled: true}}", "autoscaling: {enabled: true}")
        .replace("networkPolicy: {enabled: true}", "networkPolicy: {enabled: false}")
        .replace(", schedule: '0 3 * * *'", "")
}

#[test]
fn what_an_earlier_render_left_is_deleted_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (earlier, later_values) = (dir.path().join("earlier.yaml"), dir.path().join("later.yaml"));
    std::fs::write(&earlier, EARLIER).unwrap();
    std::fs::write(&later_values, later()).unwrap();
    let state = dir.path().join("cluster");
    std::fs::create_dir(&state).unwrap();
    // Another bench in the same namespace, and this one as it was.
    let other = phased_apply_in(&state, &["-f", earlier.to_str().unwrap(), "--release", "shop"], &[]);
    assert!(other.succeeded(), "{}\n{:?}", text(&other.output.stderr), other.calls);
    let first = phased_apply_in(&state, &["-f", earlier.to_str().unwrap()], &[]);
    assert!(first.succeeded(), "{}\n{:?}", text(&first.output.stderr), first.calls);
    assert_eq!(first.deleted(), Vec::<&str>::new(), "the first apply has nothing to prune");

    let run = phased_apply_in(&state, &["-f", later_values.to_str().unwrap()], &[]);
    assert!(run.succeeded(), "{}\n{:?}", text(&run.output.stderr), run.calls);
    assert_eq!(
        run.deleted(),
        [
            "cronjob.batch/erpnext-backup",
            "horizontalpodautoscaler.autoscaling/erpnext-gunicorn",
            "networkpolicy.networking.k8s.io/erpnext-backends",
            "networkpolicy.networking.k8s.io/erpnext-default",
            "networkpolicy.networking.k8s.io/erpnext-web",
            "scaledobject.keda.sh/erpnext-worker-d",
        ],
        "the earlier release's Jobs and their budgets, the claims, the Secret and the ConfigMap stay, and so does every object of `shop`"
    );
    // The autoscalers go before the Deployments they scaled are applied (KEDA's
    // webhook refuses a ScaledObject beside an HPA), the rest once all is done.
    let applies: Vec<_> = (0..run.calls.len()).filter(|&at| run.calls[at].contains(" apply -f ")).collect();
    assert!(
        run.first(" delete --ignore-not-found horizontalpodautoscaler") < applies[1],
        "{:?}",
        run.calls
    );
    assert!(run.first(" delete --ignore-not-found scaledobject") < applies[1], "{:?}", run.calls);
    assert!(
        applies[2] < run.first(" delete --ignore-not-found networkpolicy"),
        "{:?}",
        run.calls
    );
    assert!(applies[2] < run.first(" delete --ignore-not-found cronjob"), "{:?}", run.calls);

    let again = phased_apply_in(&state, &["-f", later_values.to_str().unwrap()], &[]);
    assert!(again.succeeded(), "{}\n{:?}", text(&again.output.stderr), again.calls);
    assert_eq!(again.deleted(), Vec::<&str>::new());
}

#[test]
fn keda_s_own_hpa_and_the_kinds_a_cluster_does_not_serve_are_left_alone() {
    // KEDA's HPA of a ScaledObject carries the ScaledObject's labels, the
    // bench's; it is KEDA's to delete. A cluster without KEDA or the Gateway
    // API refuses to list their kinds, which is no failure.
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(&values, EARLIER).unwrap();
    let state = dir.path().join("cluster");
    std::fs::create_dir(&state).unwrap();
    for _ in 0..2 {
        let run = phased_apply_in(&state, &["-f", values.to_str().unwrap()], &[]);
        assert!(run.succeeded(), "{}\n{:?}", text(&run.output.stderr), run.calls);
        assert_eq!(run.deleted(), Vec::<&str>::new(), "{:?}", run.calls);
    }
    let minimal = example("minimal");
    let unserved = [("FAKE_KUBECTL_UNSERVED", "keda.sh,gateway.networking.k8s.io")];
    let run = phased_apply_in(&state, &["-f", minimal.to_str().unwrap(), "--release", "plain"], &unserved);
    assert!(run.succeeded(), "{}\n{:?}", text(&run.output.stderr), run.calls);
    assert_eq!(run.count(" get scaledobject.keda.sh "), 1, "{:?}", run.calls);
}

#[test]
fn a_bench_of_the_same_release_with_another_name_override_is_left_alone() {
    // Two benches in one namespace with the default release, told apart by
    // `nameOverride` (their names and selectors differ, their instance label
    // does not): pruning one must not touch the other.
    let dir = tempfile::tempdir().unwrap();
    let (earlier, later_values, shop) = (
        dir.path().join("earlier.yaml"),
        dir.path().join("later.yaml"),
        dir.path().join("shop.yaml"),
    );
    std::fs::write(&earlier, EARLIER).unwrap();
    std::fs::write(&later_values, later()).unwrap();
    std::fs::write(&shop, "nameOverride: shop\n").unwrap();
    let state = dir.path().join("cluster");
    std::fs::create_dir(&state).unwrap();
    let other = phased_apply_in(&state, &["-f", earlier.to_str().unwrap(), "-f", shop.to_str().unwrap()], &[]);
    assert!(other.succeeded(), "{}\n{:?}", text(&other.output.stderr), other.calls);
    let first = phased_apply_in(&state, &["-f", earlier.to_str().unwrap()], &[]);
    assert!(first.succeeded(), "{}\n{:?}", text(&first.output.stderr), first.calls);
    assert_eq!(first.deleted(), Vec::<&str>::new(), "{:?}", first.calls);

    let run = phased_apply_in(&state, &["-f", later_values.to_str().unwrap()], &[]);
    assert!(run.succeeded(), "{}\n{:?}", text(&run.output.stderr), run.calls);
    let deleted = run.deleted();
    assert!(!deleted.is_empty(), "{:?}", run.calls);
    assert!(deleted.iter().all(|name| !name.contains("/erpnext-shop")), "{deleted:?}");
}

#[test]
fn a_kind_it_may_not_list_stops_it_before_anything_is_applied() {
    // Listed only after migrate, a refused list would leave the sites migrated
    // and the old Deployments running until someone grants the right.
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(&values, EARLIER).unwrap();
    let run = phased_apply(&values, &[("FAKE_KUBECTL_FORBIDDEN", "poddisruptionbudget.policy")]);
    assert!(!run.succeeded(), "{:?}", run.calls);
    assert!(text(&run.output.stderr).contains("Forbidden"), "{}", text(&run.output.stderr));
    assert_eq!(run.applies(), 0, "{:?}", run.calls);
}
