//! The command line contract: exit codes, streams and formats.

use serde_json::Value;

use crate::common::{MINIMAL, binary, run, run_with_stdin, text};

#[test]
fn render_prints_the_bundle_on_stdout_and_warnings_on_stderr() {
    let output = run(crate::common::RENDER_PRODUCTION);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"));
    assert!(text(&output.stderr).contains("warning[rwx-block-storage]"));
}

#[test]
fn bad_values_exit_1_with_located_messages_and_nothing_on_stdout() {
    let output = run_with_stdin(
        &["render", "-f", "-"],
        Some(format!("{MINIMAL}worker:\n  scheduler:\n    replicaCount: 2\n").as_bytes()),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("error[scheduler-replicas]"), "{stderr}");
    assert!(stderr.contains("--> <stdin>:7:19"), "{stderr}");
}

#[test]
fn a_missing_file_is_an_io_error_with_exit_2() {
    let output = run(&["render", "-f", "does-not-exist.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(text(&output.stderr).contains("cannot read `does-not-exist.yaml`: no such file"));
    let output = run(&["render", "-f", "examples"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("`examples` is a directory"));
}

#[test]
fn stdin_is_read_with_dash() {
    let output = run_with_stdin(&["render", "-f", "-", "--set", "socketio.replicaCount=2"], Some(MINIMAL.as_bytes()));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("name: erpnext-socketio"));
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(binary())
        .args(["render", "-f", "examples/minimal.yaml"])
        .current_dir(crate::common::project_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader is gone before anything is written
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert!(!text(&output.stderr).contains("error"), "{}", text(&output.stderr));
}

#[test]
fn lint_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yaml");
    let warned = dir.path().join("warned.yaml");
    let bad = dir.path().join("bad.yaml");
    let requests = "  resources:\n    requests: {cpu: 100m, memory: 128Mi}\n";
    let all_requests = ["nginx", "socketio"]
        .iter()
        .map(|c| format!("{c}:\n{requests}"))
        .collect::<String>()
        + "worker:\n"
        + &["gunicorn", "default", "short", "long", "scheduler"]
            .iter()
            .map(|c| format!("  {c}:\n  {}", requests.replace("\n  ", "\n    ")))
            .collect::<String>();
    std::fs::write(&good, format!("{MINIMAL}{all_requests}")).unwrap();
    std::fs::write(&warned, MINIMAL).unwrap();
    std::fs::write(&bad, format!("{MINIMAL}dbPortt: 1\n")).unwrap();
    let code = |args: &[&std::path::Path], strict: bool| {
        let mut argv: Vec<String> = vec!["lint".to_owned()];
        if strict {
            argv.push("--strict".to_owned());
        }
        argv.extend(args.iter().map(|p| p.display().to_string()));
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        run(&argv).status.code()
    };
    assert_eq!(code(&[&good], false), Some(0));
    assert_eq!(code(&[&good], true), Some(0));
    assert_eq!(code(&[&warned], false), Some(0));
    assert_eq!(code(&[&warned], true), Some(1));
    assert_eq!(code(&[&good, &bad], false), Some(1));
    assert_eq!(code(&[&good, &dir.path().join("missing.yaml")], false), Some(2));
}

#[test]
fn lint_json_github_and_sarif_parse_back() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        format!("{MINIMAL}worker:\n  gunicorn:\n    resources:\n      requets: {{cpu: 1}}\n"),
    )
    .unwrap();
    let path = bad.display().to_string();

    let json: Value = serde_json::from_slice(&run(&["lint", "--format", "json", &path]).stdout).unwrap();
    let unknown = json
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "unknown-key")
        .expect("the typo is reported");
    assert_eq!(
        (unknown["line"].as_u64(), unknown["column"].as_u64(), unknown["endColumn"].as_u64()),
        (Some(8), Some(7), Some(14))
    );
    assert_eq!(unknown["severity"], "error");
    assert_eq!(unknown["file"], path.as_str());
    assert_eq!(unknown["help"], "did you mean `requests`?");

    let github = text(&run(&["lint", "--format", "github", &path]).stdout);
    let line = github.lines().find(|l| l.contains("title=unknown-key")).expect("an annotation");
    assert!(line.starts_with("::error file="), "{line}");
    assert!(line.contains(",line=8,col=7,endLine=8,endColumn=14,title=unknown-key::"), "{line}");
    assert!(line.contains("%0Ahelp: did you mean `requests`?"), "newlines are escaped: {line}");

    let sarif: Value = serde_json::from_slice(&run(&["lint", "--format", "sarif", &path]).stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let result = run0["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "unknown-key")
        .unwrap();
    assert_eq!(rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"], "unknown-key");
    assert_eq!(result["locations"][0]["physicalLocation"]["region"]["startLine"], 8);
}

#[test]
fn github_escaping_follows_the_actions_toolkit() {
    use frappe_manifests::formats::{escape_data, escape_property};
    assert_eq!(escape_data("50%\r\nnext"), "50%25%0D%0Anext");
    assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
}

#[test]
fn explain_prints_type_default_and_description() {
    let output = run(&["explain", "worker.gunicorn.autoscaling"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("TYPE:    object"), "{stdout}");
    assert!(stdout.contains("\"maxReplicas\":3"), "{stdout}");
    assert!(stdout.contains("targetCPU"), "{stdout}");
    let output = run(&["explain", "worker.gunicorn.replicas"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("did you mean `replicaCount`?"));
}
