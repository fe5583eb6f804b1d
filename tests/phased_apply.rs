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
    let block = &section[section.find("```sh\n").unwrap() + "```sh\n".len()..];
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

fn phased_apply(values: &Path, failing: Option<&str>) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(binary(), bin.join("frappe-manifests")).unwrap();
    std::os::unix::fs::symlink(project_root().join("tests/fixtures/fake-kubectl.py"), bin.join("kubectl")).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let script = format!("{}\nphased_apply erp -f \"$1\"\n", readme_procedure());
    let mut command = Command::new("bash");
    command
        .args(["-c", &script, "phased_apply"])
        .arg(values)
        .env("PATH", path)
        .env("FAKE_KUBECTL_STATE", dir.path());
    if let Some(failing) = failing {
        command.env("FAKE_KUBECTL_FAILING", failing);
    }
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

fn applies(run: &Run) -> usize {
    run.calls.iter().filter(|call| call.contains(" apply ")).count()
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
    let run = phased_apply(&values, None);
    assert!(run.output.status.success(), "{}\n{:?}", text(&run.output.stderr), run.calls);
    assert_eq!(applies(&run), 2, "{:?}", run.calls);
    let wait = format!("-n erp wait --for=condition=complete --timeout=10s job.batch/{}", configure[0]);
    assert!(run.calls.contains(&wait), "{:?}", run.calls);
    let deployments = rendered(&values, "main", "Deployment");
    assert!(!deployments.is_empty());
    for deployment in &deployments {
        let rollout = format!("-n erp rollout status deployment.apps/{deployment} --timeout=30m");
        assert!(run.calls.contains(&rollout), "{:?}", run.calls);
    }
    // Configure is waited for before the Deployments are applied.
    let position = |needle: &str| run.calls.iter().position(|call| call.contains(needle)).unwrap();
    assert!(position(" wait ") < position("rollout"), "{:?}", run.calls);
}

#[test]
fn every_job_of_a_phase_is_waited_for_by_name_before_the_next_phase() {
    let values = example("multisite");
    let pre = rendered(&values, "pre", "Job");
    let post = rendered(&values, "post", "Job");
    assert!(pre.iter().any(|name| name.contains("-migrate-")), "{pre:?}");
    assert!(post.iter().any(|name| name.contains("-clear-cache-")), "{post:?}");
    let run = phased_apply(&values, None);
    assert!(run.output.status.success(), "{}\n{:?}", text(&run.output.stderr), run.calls);
    assert_eq!(applies(&run), 3, "{:?}", run.calls);
    let waits: Vec<_> = run.calls.iter().filter(|call| call.contains(" wait ")).collect();
    assert_eq!(waits.len(), 2, "{:?}", run.calls);
    for (wait, jobs) in waits.iter().zip([&pre, &post]) {
        let named: Vec<_> = wait.split(' ').filter_map(|word| word.strip_prefix("job.batch/")).collect();
        assert_eq!(&named, jobs, "{wait}");
    }
    assert!(run.calls.iter().all(|call| !call.contains(" -l ")), "{:?}", run.calls);
}

#[test]
fn a_failed_migrate_stops_it_before_the_deployments_are_applied() {
    let values = example("multisite");
    let run = phased_apply(&values, Some("-migrate-"));
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
    assert_eq!(applies(&run), 1, "{:?}", run.calls);
    assert!(!run.calls.iter().any(|call| call.contains("rollout")), "{:?}", run.calls);
}
