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
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(binary(), bin.join("frappe-manifests")).unwrap();
    std::os::unix::fs::symlink(project_root().join("tests/fixtures/fake-kubectl.py"), bin.join("kubectl")).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let script = format!("{}\nphased_apply erp -f \"$1\"\n", readme_procedure());
    // A procedure that loops on an answer it does not expect would spin
    // until its own timeouts (hours): the test gives it two minutes.
    let mut command = Command::new("timeout");
    command
        .args(["120", "bash", "-c", &script, "phased_apply"])
        .arg(values)
        .env("PATH", path)
        .env("FAKE_KUBECTL_STATE", dir.path());
    command.envs(fake.iter().copied());
    let output = command.output().unwrap();
    let calls = std::fs::read_to_string(dir.path().join("calls")).unwrap_or_default();
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
    fn applies(&self) -> usize {
        self.calls.iter().filter(|call| call.contains(" apply ")).count()
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
    let applies: Vec<_> = (0..run.calls.len()).filter(|&at| run.calls[at].contains(" apply ")).collect();
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
    assert_eq!(run.count(" -l "), 0, "{:?}", run.calls);
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
