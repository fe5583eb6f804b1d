//! Helpers shared by the integration tests.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use frappe_manifests::diagnostic::{Colour, render_human};
use frappe_manifests::emit;
use frappe_manifests::model::Settings;
use frappe_manifests::pipeline::{self, Input, Outcome, Request};
use serde_json::Value;

pub(crate) fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary under test: cargo's build of it, or the one `FRAPPE_MANIFESTS_BIN`
/// names, so that CI runs these tests once more against the binary it ships
/// (`.ci/run`).
pub(crate) fn binary() -> PathBuf {
    match std::env::var_os("FRAPPE_MANIFESTS_BIN") {
        Some(path) => project_root().join(path),
        None => PathBuf::from(env!("CARGO_BIN_EXE_frappe-manifests")),
    }
}

pub(crate) fn example(name: &str) -> PathBuf {
    project_root().join("examples").join(format!("{name}.yaml"))
}

/// `render` of the production example as the README's figures use it.
pub(crate) const RENDER_PRODUCTION: &[&str] = &[
    "render",
    "-f",
    "examples/production.yaml",
    "--release",
    "frappe-bench",
    "-n",
    "erpnext",
];

/// Runs the built binary from the project root.
pub(crate) fn run(args: &[&str]) -> Output {
    run_with_stdin(args, None)
}

pub(crate) fn run_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut child = Command::new(binary())
        .args(args)
        .current_dir(project_root())
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(bytes) = stdin {
        child.stdin.take().expect("piped").write_all(bytes).expect("stdin takes the input");
    }
    child.wait_with_output().expect("the binary finishes")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

/// How many bidirectional controls `text` holds as they are, unescaped.
pub(crate) fn bidi_controls(text: &str) -> usize {
    text.chars().filter(|c| frappe_manifests::unicode::is_bidi_control(*c)).count()
}

/// Runs the pipeline in-process on values text.
pub(crate) fn check_text(values: &str, sets: &[&str], release: &str, namespace: Option<&str>) -> Outcome {
    pipeline::run(&Request {
        files: vec![Input::Stdin(values.as_bytes().to_vec())],
        sets: sets.iter().map(|s| (*s).to_owned()).collect(),
        settings: Settings {
            release: release.to_owned(),
            namespace: namespace.map(str::to_owned),
            ..Default::default()
        },
        ..Default::default()
    })
}

/// Renders values text, panicking with the diagnostics when it fails.
pub(crate) fn render_text(values: &str, sets: &[&str]) -> String {
    let outcome = check_text(values, sets, "erpnext", Some("erp"));
    let manifests = outcome
        .manifests
        .as_ref()
        .unwrap_or_else(|| panic!("render failed:\n{}", human(&outcome)));
    emit::to_yaml_stream(manifests)
}

/// `pipeline::render`, which writes each object as it is built, reports what
/// `pipeline::run` reports and writes the bytes `emit` writes for its objects.
pub(crate) fn assert_streamed_render_matches(request: &Request, outcome: &Outcome) {
    let streamed = pipeline::render(request);
    assert_eq!(human(&streamed), human(outcome), "the streamed render reports differently");
    assert_eq!(
        streamed.manifests,
        outcome.manifests.as_deref().map(emit::to_yaml_stream),
        "the streamed render writes other bytes"
    );
}

pub(crate) fn human<T>(outcome: &Outcome<T>) -> String {
    render_human(&outcome.sources, &outcome.diagnostics, Colour::Plain)
}

/// Parses a YAML stream back into JSON values, one per document.
pub(crate) fn documents(stream: &str) -> Vec<Value> {
    serde_saphyr::from_str_multiple::<Value, Vec<Value>>(stream).expect("the stream parses back as YAML")
}

pub(crate) fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} named {name}"))
}

pub(crate) fn names_of(docs: &[Value], kind: &str) -> Vec<String> {
    docs.iter()
        .filter(|d| d["kind"] == kind)
        .map(|d| d["metadata"]["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Minimal valid values, to which tests add what they exercise.
pub(crate) const MINIMAL: &str = "dbHost: db.internal\nexternalRedis:\n  cache: redis://cache:6379\n  queue: redis://queue:6379\n";

/// Where [`skip`] lists the tests it skipped, one line each, for `.ci/run`
/// to print after `cargo test`.
pub(crate) fn skipped_tests_file() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("skipped-tests.txt")
}

/// Skips the rest of the calling test for `reason` (what is missing), where
/// everyone sees it. `println!` would not do: libtest shows nothing a passing
/// test printed. So the line goes to the process's own stderr, which libtest
/// does not capture, and into [`skipped_tests_file`].
pub(crate) fn skip(reason: &str) {
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let line = format!("skipped {test}: {reason}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    let listed = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(skipped_tests_file())
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(error) = listed {
        panic!("cannot list the skipped test in {}: {error}", skipped_tests_file().display());
    }
}

/// [`skip`], for what `.ci/run` installs: under CI (the `CI` environment
/// variable set) it is missing only because the install failed, so the test
/// fails instead.
pub(crate) fn skip_unless_ci(reason: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{reason}, and under CI (`CI` is set) `.ci/run` installs it: this test may not be skipped"
    );
    skip(reason);
}

/// `kubectl`, when it is installed; otherwise skips the test.
pub(crate) fn kubectl() -> Option<PathBuf> {
    let found = Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match found {
        Ok(status) if status.success() => Some(PathBuf::from("kubectl")),
        _ => {
            skip("kubectl is not installed, so the real kustomize contract cannot be checked here");
            None
        }
    }
}

/// Snapshot settings: snapshots live in the project's `snapshots/` directory.
pub(crate) fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(project_root().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}
