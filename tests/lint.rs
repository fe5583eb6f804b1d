//! `lint` of many files: each file's report is written as soon as the files
//! before it are reported, in the order the files were given.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{MINIMAL, binary, project_root};

/// How long a test waits for output it expects.
const PATIENCE: Duration = Duration::from_secs(60);

/// Waits until `seen` holds `wanted`; panics with what it holds after [`PATIENCE`].
fn wait_for(seen: &Mutex<String>, wanted: &str) {
    let start = Instant::now();
    while !seen.lock().unwrap().contains(wanted) {
        assert!(
            start.elapsed() < PATIENCE,
            "no `{wanted}` on stdout after {PATIENCE:?}:\n{}",
            seen.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A child process that a failing test does not leave behind, blocked on its pipe.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn each_file_is_reported_as_soon_as_the_files_before_it_are() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.yaml");
    let last = dir.path().join("last.yaml");
    std::fs::write(&first, format!("{MINIMAL}worker:\n  scheduler:\n    replicaCount: 2\n")).unwrap();
    std::fs::write(&last, format!("{MINIMAL}nginx:\n  enabled: false\n")).unwrap();
    // A named pipe: reading it waits until the test writes the values.
    let pipe = dir.path().join("slow.yaml");
    assert!(Command::new("mkfifo").arg(&pipe).status().unwrap().success());

    let mut child = KillOnDrop(
        Command::new(binary())
            .arg("lint")
            .args([&first, &pipe, &last])
            .current_dir(project_root())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let seen = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.0.stdout.take().unwrap();
    let reader = {
        let seen = Arc::clone(&seen);
        std::thread::spawn(move || {
            let mut chunk = [0; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut chunk) {
                seen.lock().unwrap().push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        })
    };

    // The first file is reported while the second cannot even be read yet.
    wait_for(&seen, "error[scheduler-replicas]");
    let early = seen.lock().unwrap().clone();
    assert!(early.contains("first.yaml"), "{early}");
    assert!(
        !early.contains("unserved-assets") && !early.contains("file(s) checked"),
        "a file was reported before the one given ahead of it:\n{early}"
    );

    std::fs::write(&pipe, format!("{MINIMAL}dbPort: 0\n")).unwrap();
    let status = child.0.wait().unwrap();
    reader.join().unwrap();
    let report = seen.lock().unwrap().clone();
    assert_eq!(status.code(), Some(1), "{report}");
    let position = |text: &str| report.find(text).unwrap_or_else(|| panic!("no `{text}` in\n{report}"));
    assert!(position("scheduler-replicas") < position("invalid-port"), "{report}");
    assert!(position("invalid-port") < position("unserved-assets"), "{report}");
    let summary = report.lines().last().unwrap_or_default();
    assert!(summary.starts_with("3 file(s) checked: 3 error(s), "), "{report}");
}

/// A directory of values files for one test.
fn files(named: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in named {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn lint_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(binary())
        .arg("lint")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// A base without the database, and an overlay that gives it and breaks the
/// scheduler: only together are they one bench.
const BASE: &str = "externalRedis:\n  cache: redis://cache:6379\n  queue: redis://queue:6379\n";
const PROD: &str = "dbHost: db.internal\nworker:\n  scheduler:\n    replicaCount: 2\n";

#[test]
fn layered_files_are_checked_as_one_bench_each_diagnostic_in_its_file() {
    let dir = files(&[("values.yaml", BASE), ("values-prod.yaml", PROD)]);
    let args = ["-f", "values.yaml", "--values", "values-prod.yaml", "--set", "dbPort=0"];
    let output = lint_in(dir.path(), &args);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(!report.contains("missing-database"), "the overlay's `dbHost` counts:\n{report}");
    assert!(report.contains("--> values-prod.yaml:4:19"), "{report}");
    assert!(report.contains("--> --set:1:8"), "{report}");
    assert!(report.contains("2 file(s) checked as 1 bench(es): 2 error(s)"), "{report}");

    // Every format places each diagnostic in its own file.
    for format in ["json", "github", "sarif"] {
        let output = lint_in(dir.path(), &[&args[..], &["--format", format]].concat());
        let report = stdout(&output);
        assert_eq!(output.status.code(), Some(1), "{format}: {report}");
        let places = match format {
            "json" => {
                let records: serde_json::Value = serde_json::from_str(&report).unwrap();
                records
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r["severity"] == "error")
                    .map(|r| (r["code"].as_str().unwrap().to_owned(), r["file"].as_str().unwrap().to_owned()))
                    .collect::<Vec<_>>()
            }
            "sarif" => {
                let log: serde_json::Value = serde_json::from_str(&report).unwrap();
                log["runs"][0]["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r["level"] == "error")
                    .map(|r| {
                        let uri = &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
                        (r["ruleId"].as_str().unwrap().to_owned(), uri.as_str().unwrap().to_owned())
                    })
                    .collect()
            }
            _ => report
                .lines()
                .filter(|l| l.starts_with("::error "))
                .map(|l| {
                    let file = l.split("file=").nth(1).unwrap().split(',').next().unwrap();
                    let code = l.split("title=").nth(1).unwrap().split("::").next().unwrap();
                    (code.to_owned(), file.to_owned())
                })
                .collect(),
        };
        let mut places = places;
        places.sort();
        assert_eq!(
            places,
            [
                ("invalid-port".to_owned(), "--set".to_owned()),
                ("scheduler-replicas".to_owned(), "values-prod.yaml".to_owned())
            ],
            "{format}: {report}"
        );
    }

    // Each file on its own is another check: the base alone has no database.
    let output = lint_in(dir.path(), &["values.yaml", "values-prod.yaml"]);
    assert!(stdout(&output).contains("error[missing-database]"), "{}", stdout(&output));
}

#[test]
fn files_given_both_with_and_without_f_are_refused() {
    let dir = files(&[("values.yaml", BASE), ("values-prod.yaml", PROD)]);
    let output = lint_in(dir.path(), &["values.yaml", "-f", "values-prod.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`-f values-prod.yaml`") && stderr.contains("`values.yaml`"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

/// Values that lint with one warning, `image-tag`, on line 5.
const LATEST: &str = "dbHost: db.internal\nexternalRedis:\n  cache: redis://cache:6379\n  queue: redis://queue:6379\nimage: {repository: frappe/erpnext, tag: latest}\n";

/// Requests for every component, so that `image-tag` is the only warning.
const REQUESTS: &str = "\
nginx: {resources: {requests: {cpu: 100m, memory: 64Mi}}}
socketio: {resources: {requests: {cpu: 100m, memory: 64Mi}}}
worker:
  gunicorn: {resources: {requests: {cpu: 100m, memory: 64Mi}}}
  default: {resources: {requests: {cpu: 100m, memory: 64Mi}}}
  short: {resources: {requests: {cpu: 100m, memory: 64Mi}}}
  long: {resources: {requests: {cpu: 100m, memory: 64Mi}}}
  scheduler: {resources: {requests: {cpu: 100m, memory: 64Mi}}}
";

#[test]
fn allow_and_deny_choose_what_is_reported_and_what_fails() {
    let dir = files(&[("values.yaml", &format!("{LATEST}{REQUESTS}"))]);
    let warned = lint_in(dir.path(), &["values.yaml", "--strict"]);
    assert_eq!(warned.status.code(), Some(1), "{}", stdout(&warned));
    assert!(stdout(&warned).contains("warning[image-tag]"));

    let allowed = lint_in(dir.path(), &["values.yaml", "--strict", "--allow", "image-tag"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", stdout(&allowed));
    assert!(!stdout(&allowed).contains("image-tag"), "{}", stdout(&allowed));

    let denied = lint_in(dir.path(), &["values.yaml", "--deny", "image-tag"]);
    assert_eq!(denied.status.code(), Some(1), "{}", stdout(&denied));
    assert!(stdout(&denied).contains("error[image-tag]"), "{}", stdout(&denied));

    let unknown = lint_in(dir.path(), &["values.yaml", "--allow", "image-tags"]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("image-tag, snippet-annotation"), "names the known codes: {stderr}");

    let fixed = lint_in(dir.path(), &["values.yaml", "--allow", "scheduler-replicas"]);
    assert_eq!(fixed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&fixed.stderr).contains("cannot be allowed"));
}

#[test]
fn an_inline_comment_allows_a_rule_on_its_line_or_the_line_below() {
    let cases = [
        ("tag: latest # frappe-manifests: allow image-tag", true),
        ("# frappe-manifests: allow missing-requests, image-tag\n  tag: latest", true),
        ("tag: latest # frappe-manifests: allow missing-requests", false),
        ("# frappe-manifests: allow image-tag\n\n  tag: latest", false),
        ("pullPolicy: Always # frappe-manifests: allow image-tag\n  tag: latest", false),
    ];
    for (image, silenced) in cases {
        let values = format!("{MINIMAL}{REQUESTS}image:\n  repository: frappe/erpnext\n  {image}\n");
        let dir = files(&[("values.yaml", &values)]);
        let output = lint_in(dir.path(), &["values.yaml", "--strict"]);
        assert_eq!(
            output.status.code(),
            Some(if silenced { 0 } else { 1 }),
            "{values}\n{}",
            stdout(&output)
        );
    }

    // A rule whose finding would break the bundle is not silenced.
    let values = format!("{MINIMAL}worker:\n  scheduler:\n    replicaCount: 2 # frappe-manifests: allow scheduler-replicas\n");
    let dir = files(&[("values.yaml", &values)]);
    let output = lint_in(dir.path(), &["values.yaml"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("`scheduler-replicas` cannot be allowed"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn rules_about_the_whole_file_show_no_line_of_it() {
    let dir = files(&[("nodb.yaml", &format!("# no database\n{BASE}"))]);
    let report = stdout(&lint_in(dir.path(), &["nodb.yaml"]));
    let at = report.find("error[missing-database]").expect(&report);
    let shown = &report[at..report[at..].find("\n\n").map_or(report.len(), |end| at + end)];
    assert!(shown.contains("--> nodb.yaml:1:1"), "{shown}");
    assert!(!shown.contains("externalRedis") && !shown.contains('^'), "{shown}");

    let report = stdout(&lint_in(dir.path(), &["missing.yaml"]));
    assert!(report.contains("error[io]: cannot read `missing.yaml`"), "{report}");
    assert!(
        !report.contains(" | \n") && !report.contains("1 |"),
        "an empty source line:\n{report}"
    );
}

#[test]
fn a_release_name_too_long_is_reported_at_the_flag() {
    let dir = files(&[("values.yaml", MINIMAL)]);
    let release = "a".repeat(60);
    let output = lint_in(dir.path(), &["values.yaml", "--release", &release, "--format", "json"]);
    let records: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let named = records
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "invalid-name")
        .unwrap_or_else(|| panic!("{records:#}"));
    assert!(named["message"].as_str().unwrap().contains("`--release`"), "{named:#}");
    assert_eq!(named["file"], serde_json::Value::Null, "no values line is at fault: {named:#}");
}

#[test]
fn unknown_keys_are_answered_by_meaning_and_from_other_charts() {
    let values = format!("{MINIMAL}dbPassword: secret-one\nauth:\n  rootPassword: secret-two\nimage:\n  pullSecrets: [regcred]\n");
    let dir = files(&[("values.yaml", &values)]);
    let output = lint_in(dir.path(), &["values.yaml", "--format", "json"]);
    let records: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let help = |line: u64| {
        records
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == "unknown-key" && r["line"] == line)
            .and_then(|r| r["help"].as_str())
            .unwrap_or_else(|| panic!("no help on line {line}: {records:#}"))
            .to_owned()
    };
    assert!(help(5).contains("`dbRootPassword`") && !help(5).contains("dbPort"), "{}", help(5));
    assert!(
        help(6).contains("`dbRootPassword`") && help(6).contains("`dbExistingSecret`"),
        "{}",
        help(6)
    );
    assert!(help(9).contains("`imagePullSecrets"), "{}", help(9));
}
