//! Input written by someone who wants the tool to leak, inject or lose
//! something: strings that try to become YAML structure, paths that try to
//! leave the repository, an `--output-dir` full of someone's work, and
//! inputs built to exhaust time, memory or the stack. Each case checks the
//! exit code, that stdout is empty on failure, the message, and what is on
//! disk before and after.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use frappe_manifests::diagnostic::Code;
use frappe_manifests::diagnostic::SHOWN_PER_CODE;
use frappe_manifests::emit;
use frappe_manifests::kustomize::LoadRestrictor;
use frappe_manifests::model::Settings;
use frappe_manifests::pipeline::{self, Input, Request};
use frappe_manifests::source::{MAX_INPUT_BYTES, MAX_RUN_INPUT_BYTES, SHOWN_LINE_CHARS};

use crate::common::{MINIMAL, bidi_controls, binary, documents, kubectl, project_root, skip, skip_unless_ci, text};

/// The strings the writer's unit tests use (`src/emit.rs`).
fn tricky_strings() -> Vec<String> {
    serde_json::from_str(&std::fs::read_to_string(project_root().join("tests/fixtures/yaml-strings.json")).unwrap()).unwrap()
}

/// A Python with PyYAML, the YAML 1.1 reader of Python tools: `.ci/run`
/// installs one into `target/pyyaml-venv`; any `python3` that has it will do.
fn pyyaml() -> Option<PathBuf> {
    let candidates = [project_root().join("target/pyyaml-venv/bin/python3"), PathBuf::from("python3")];
    let found = candidates.into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import yaml"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    });
    if found.is_none() {
        skip_unless_ci(
            "no Python with PyYAML (`.ci/run` installs one into target/pyyaml-venv), so the YAML 1.1 reader is not checked here",
        );
    }
    found
}

/// How PyYAML types what it reads.
#[derive(Clone, Copy)]
enum Typing {
    /// YAML 1.1's types, as tools read manifests.
    Yaml11,
    /// Every scalar a string, and no merge keys.
    Strings,
}

/// The documents of `stream` as PyYAML reads them.
fn read_with_pyyaml(python: &Path, stream: &str, typing: Typing) -> Vec<Value> {
    let loader = match typing {
        Typing::Yaml11 => "SafeLoader",
        Typing::Strings => "BaseLoader",
    };
    let mut child = Command::new(python)
        .args([
            "-c",
            &format!("import json, sys, yaml; json.dump(list(yaml.load_all(sys.stdin.buffer, yaml.{loader})), sys.stdout)"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stream.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "PyYAML cannot read the stream: {}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The documents of `stream` as `kubectl kustomize` (go-yaml) reads them,
/// ordered by name, with [`masking_line_separators`] applied. kustomize's
/// output is read with PyYAML: go-yaml writes NEL, LS and PS as the line
/// breaks YAML 1.1 takes them for, which a YAML 1.2 reader reads otherwise.
/// (It also writes a key `"<<"` plain, which only [`Typing::Strings`] reads
/// as the key it is.)
fn read_with_kustomize(kubectl: &Path, python: &Path, stream: &str, typing: Typing) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stream.yaml"), stream).unwrap();
    std::fs::write(dir.path().join("kustomization.yaml"), "resources: [stream.yaml]\n").unwrap();
    let output = Command::new(kubectl).arg("kustomize").arg(dir.path()).output().unwrap();
    assert!(
        output.status.success(),
        "kustomize cannot read the stream: {}",
        text(&output.stderr)
    );
    sorted_by_name(
        read_with_pyyaml(python, &text(&output.stdout), typing)
            .iter()
            .map(masking_line_separators)
            .collect(),
    )
}

/// `value` with every string (or key) that holds NEL, LS or PS replaced by a
/// marker. kustomize rewrites these characters itself, however they reach
/// it: `"\u0085"` in a hand-written file comes out of `kubectl kustomize` as
/// a space, and LS comes out followed by indentation. What can be checked
/// through kustomize is that such a string stays one string, where it was.
fn masking_line_separators(value: &Value) -> Value {
    let mask = |s: &str| {
        if s.contains(['\u{85}', '\u{2028}', '\u{2029}']) {
            "<a string with a line separator>".to_owned()
        } else {
            s.to_owned()
        }
    };
    match value {
        Value::String(s) => Value::String(mask(s)),
        Value::Array(items) => Value::Array(items.iter().map(masking_line_separators).collect()),
        Value::Object(entries) => Value::Object(entries.iter().map(|(k, v)| (mask(k), masking_line_separators(v))).collect()),
        other => other.clone(),
    }
}

fn sorted_by_name(mut docs: Vec<Value>) -> Vec<Value> {
    docs.sort_by_key(|d| (d["kind"].to_string(), d["metadata"]["name"].to_string()));
    docs
}

fn render_values(values: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("values.yaml"), values).unwrap();
    Command::new(binary())
        .args(["render", "-f", "values.yaml", "-n", "erp"])
        .current_dir(dir.path())
        .output()
        .unwrap()
}

/// Renders the minimal values with `config` as nginx's configuration and
/// `env` as the value of socket.io's environment variable `X`: two strings
/// of the input that reach the bundle whole, one of them multi-line.
fn render_nginx_config_and_env(config: &str, env: &str) -> Output {
    render_values(&format!(
        "{MINIMAL}nginx:\n  config: {}\nsocketio:\n  envVars:\n  - name: X\n    value: {}\n",
        serde_json::to_string(config).unwrap(),
        serde_json::to_string(env).unwrap()
    ))
}

// ---------------------------------------------------------------------------
// Every string reads back identically.

/// One object holding `s` as a value, a list item, a nested value and, with
/// `as_key`, a mapping key.
fn probe(i: usize, s: &str, as_key: bool) -> Value {
    let mut spec = json!({"value": s, "list": [s, {"nested": {"deeper": [s]}}]});
    if as_key {
        spec["keyed"] = json!({s: "value"});
    }
    json!({"apiVersion": "example.com/v1", "kind": "Probe", "metadata": {"name": format!("s{i:03}")}, "spec": spec})
}

fn stream_of(objects: &[Value]) -> String {
    let documents: Vec<String> = objects
        .iter()
        .map(|object| {
            let mut out = String::new();
            emit::write(&mut out, object);
            out
        })
        .collect();
    emit::stream(&documents)
}

#[test]
fn every_string_reads_back_the_same_through_yaml_1_1_readers() {
    let strings = tricky_strings();
    let objects: Vec<Value> = strings.iter().enumerate().map(|(i, s)| probe(i, s, true)).collect();
    let stream = stream_of(&objects);
    assert!(
        !stream.contains(['\u{85}', '\u{2028}', '\u{2029}']),
        "a raw line separator is in the stream"
    );
    assert!(
        !stream.contains(frappe_manifests::unicode::is_bidi_control),
        "a raw bidirectional control is in the stream"
    );
    let Some(python) = pyyaml() else { return };
    let read = read_with_pyyaml(&python, &stream, Typing::Yaml11);
    for (read, written) in read.iter().zip(&objects) {
        assert_eq!(read, written, "PyYAML reads another value");
    }
    assert_eq!(read.len(), objects.len());

    let Some(kubectl) = kubectl() else { return };
    // kustomize reads NEL, DEL, the C1 controls and U+FFFE/U+FFFF (its
    // error message quotes the value it read), but its own re-encoding then
    // fails on them ("control characters are not allowed"), however the
    // input writes them: a hand-written `"\u0085"` fails the same way.
    // And it drops a key `<<` however it is written (`"<<"`, `!!str "<<"`),
    // taking it for a merge key.
    let kustomize_writes_back = |s: &str| !s.contains(|c| matches!(c, '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}'));
    let objects: Vec<Value> = strings
        .iter()
        .enumerate()
        .filter(|(_, s)| kustomize_writes_back(s))
        .map(|(i, s)| probe(i, s, s != "<<"))
        .collect();
    let read = read_with_kustomize(&kubectl, &python, &stream_of(&objects), Typing::Strings);
    for (read, written) in read.iter().zip(&objects) {
        assert_eq!(read, &masking_line_separators(written), "kustomize reads another value");
    }
    assert_eq!(read.len(), objects.len());
}

/// The attack that found this: text after a line separator in a literal
/// block is read by YAML 1.1 readers as new lines of YAML, which can add a
/// ConfigMap in kube-system (PyYAML) or host namespaces to a pod (go-yaml,
/// under kustomize, which splits documents itself).
#[test]
fn a_line_separator_in_a_value_adds_no_object_and_no_key() {
    let config = "server {}\n\u{2028}---\u{2028}apiVersion: v1\u{2028}kind: ConfigMap\u{2028}metadata: {name: evil, namespace: kube-system}\u{2028}data: {x: y}\u{2028}---\u{2028}apiVersion: v1\u{2028}data: {default.conf: x}\u{2028}";
    let env = "x\n\u{2029}      hostPID: true\u{2029}      hostNetwork: true\u{0085}      x-swallowed:";
    let output = render_nginx_config_and_env(config, env);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stream = text(&output.stdout);
    let ours = sorted_by_name(documents(&stream));
    let socketio = |docs: &[Value]| {
        docs.iter()
            .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "erpnext-socketio")
            .unwrap()["spec"]["template"]["spec"]
            .clone()
    };
    let user_env = |spec: &Value| {
        spec["containers"][0]["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "X")
            .unwrap()["value"]
            .clone()
    };
    assert_eq!(user_env(&socketio(&ours)), env);
    let Some(python) = pyyaml() else { return };
    let read = sorted_by_name(read_with_pyyaml(&python, &stream, Typing::Yaml11));
    assert!(
        !read.iter().any(|d| d["metadata"]["namespace"] == "kube-system"),
        "PyYAML sees an injected object"
    );
    assert!(socketio(&read)["hostPID"].is_null(), "PyYAML sees hostPID");
    assert_eq!(read, ours, "PyYAML reads other objects than were written");
    let Some(kubectl) = kubectl() else { return };
    let read = read_with_kustomize(&kubectl, &python, &stream, Typing::Yaml11);
    assert!(
        !read.iter().any(|d| d["metadata"]["namespace"] == "kube-system"),
        "kustomize sees an injected object"
    );
    assert!(socketio(&read)["hostPID"].is_null(), "kustomize sees hostPID");
    let ours: Vec<Value> = ours.iter().map(masking_line_separators).collect();
    assert_eq!(read, ours, "kustomize reads other objects than were written");
}

/// The KRM function writes its ResourceList with the same writer as the
/// bundle: items passed through, and generated ones, read back as written.
#[test]
fn the_krm_function_writes_every_string_as_the_bundle_does() {
    let strings = tricky_strings();
    let mut items: Vec<Value> = strings.iter().enumerate().map(|(i, s)| probe(i, s, true)).collect();
    items.push(
        json!({"apiVersion": "example.com/v1", "kind": "Probe", "metadata": {"name": "numbers"},
        "spec": {"numbers": [0.5, 1e20, -2.5e-300, 12, -7, true, null]}}),
    );
    let list = json!({
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": items,
        "functionConfig": {
            "apiVersion": "frappe-manifests/v1alpha1",
            "kind": "FrappeBench",
            "metadata": {"name": "erp"},
            "spec": {"values": {
                "dbHost": "db", "externalRedis": {"cache": "redis://c:6379", "queue": "redis://q:6379"},
                "nginx": {"config": "server {}\n\u{2028}---\u{2028}kind: ConfigMap\u{2028}"},
            }},
        },
    });
    let (output, failed) = frappe_manifests::kustomize::krm_function(&emit::to_yaml(&list), &LoadRestrictor::None);
    assert!(!failed, "{output}");
    assert!(
        !output.contains(['\u{85}', '\u{2028}', '\u{2029}']),
        "a raw line separator is in the output"
    );
    let read: Value = serde_saphyr::from_str(&output).unwrap();
    assert_eq!(read["items"].as_array().unwrap()[..items.len()], items[..]);
    let Some(python) = pyyaml() else { return };
    let read = read_with_pyyaml(&python, &output, Typing::Yaml11);
    assert_eq!(
        read[0]["items"].as_array().unwrap()[..items.len()],
        items[..],
        "PyYAML reads other items"
    );
    let generated = &read[0]["items"].as_array().unwrap()[items.len()..];
    let nginx = generated
        .iter()
        .find(|item| item["kind"] == "ConfigMap" && item["metadata"]["name"] == "erp-erpnext-nginx-config");
    assert_eq!(
        nginx.unwrap()["data"]["default.conf"],
        "server {}\n\u{2028}---\u{2028}kind: ConfigMap\u{2028}"
    );
}

// ---------------------------------------------------------------------------
// Bounded, never a crash.

/// Generous bounds for a busy CI machine: each case below took minutes, or
/// never ended, before it was bounded; each now takes about a second.
const PATIENCE: Duration = Duration::from_secs(60);

/// Waits for `child` at most [`PATIENCE`], reading what it prints
/// meanwhile; kills it and fails when it runs on.
fn finish_within_patience(mut child: Child, what: &str) -> Output {
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                pipe.read_to_end(&mut bytes).unwrap();
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > PATIENCE {
            child.kill().unwrap();
            panic!("{what} still runs after {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// Writes 64 MiB of `a: b` lines into `stdin` and then holds it open: a
/// reader that does not stop at the limit waits for an end that never comes.
fn endless_input(mut stdin: ChildStdin) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let block = "a: b\n".repeat(64 * 1024 / 5);
        for _ in 0..1024 {
            if stdin.write_all(block.as_bytes()).is_err() {
                return; // the reader stopped, as it should
            }
        }
        std::thread::sleep(PATIENCE * 2);
    })
}

fn spawn_with_piped_stdin(args: &[&str]) -> Child {
    Command::new(binary())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn standard_input_is_read_no_further_than_a_values_file_may_be() {
    for (args, code, message) in [
        (&["render", "-f", "-"][..], 1, "error[input-limit]"),
        (&["krm"][..], 2, "larger than the 16777216 bytes"),
    ] {
        let mut child = spawn_with_piped_stdin(args);
        let writer = endless_input(child.stdin.take().unwrap());
        let output = finish_within_patience(child, &args.join(" "));
        assert_eq!(output.status.code(), Some(code), "{}", text(&output.stderr));
        assert!(output.stdout.is_empty());
        assert!(text(&output.stderr).contains(message), "{}", text(&output.stderr));
        drop(writer);
    }
}

#[test]
fn one_run_reads_no_more_than_its_input_budget_across_every_input() {
    // Each input under the limit of one, the run over the limit of all:
    // the file that crosses it is named, and nothing is rendered.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.yaml");
    let size = MAX_INPUT_BYTES - 1024;
    std::fs::write(&big, format!("# {}\n{MINIMAL}", "x".repeat(size - MINIMAL.len() - 3))).unwrap();
    let small = dir.path().join("small.yaml");
    std::fs::write(&small, MINIMAL).unwrap();
    let paths = |n| vec![Input::Path(big.clone()); n];
    let fits = MAX_RUN_INPUT_BYTES / size;
    fn over<T>(outcome: &pipeline::Outcome<T>) -> Vec<(String, String)> {
        outcome
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::InputLimit)
            .map(|d| (outcome.sources.name(d.span.unwrap().file).to_owned(), d.message.clone()))
            .collect()
    }

    let mut files = paths(fits);
    files.push(Input::Path(small.clone()));
    let outcome = pipeline::check(&Request {
        files,
        ..Default::default()
    });
    assert!(over(&outcome).is_empty(), "{:?}", over(&outcome));

    for files in [
        paths(fits + 1),
        [paths(fits), vec![Input::Stdin(std::fs::read(&big).unwrap())]].concat(),
    ] {
        let outcome = pipeline::run(&Request {
            files,
            ..Default::default()
        });
        let problems = over(&outcome);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].1.contains("takes the input of this run past"), "{problems:?}");
        assert!(outcome.manifests.is_none());
    }

    // A file given with `--set-file` counts too.
    let outcome = pipeline::run(&Request {
        files: paths(fits),
        set_files: vec![format!("nginx.config={}", big.display())],
        ..Default::default()
    });
    let problems = over(&outcome);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "--set-file", "{problems:?}");
    assert!(problems[0].1.contains(&format!("`{}`", big.display())), "{problems:?}");
    assert!(outcome.manifests.is_none());
}

/// A values file of `lines`, run through `lint` in the project directory.
fn lint_text(name: &str, values: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, values).unwrap();
    let child = Command::new(binary())
        .arg("lint")
        .arg(&path)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish_within_patience(child, &format!("lint {name}"))
}

#[test]
fn a_map_of_99000_keys_is_checked_in_linear_time() {
    // An ignored section is still read, and its duplicates still reported.
    let mut values = format!("{MINIMAL}mariadb-sts:\n  enabled: false\n");
    for i in 0..99_000 {
        values.push_str(&format!("  k{}: v\n", i % 98_000));
    }
    let output = lint_text("wide.yaml", &values, &[]);
    let report = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{report}");
    // The first of them, and the count of the rest.
    assert_eq!(report.matches("error[duplicate-key]").count(), SHOWN_PER_CODE);
    assert!(
        report.contains(&format!("and {} more `duplicate-key` error(s)", 1_000 - SHOWN_PER_CODE)),
        "{report}"
    );
    assert!(report.contains("1 file(s) checked: 1000 error(s)"), "{report}");
    // The first duplicate points back at the first definition.
    assert!(report.contains("duplicate key `k0`"), "{report}");
    assert!(report.contains("wide.yaml:98008:3"), "{report}");
}

#[test]
fn secrets_of_long_lines_and_long_command_lines_are_found_in_linear_time() {
    // Each `"` of `\"\"\"…` looked for its closing quote to the end of the
    // line (or, in a quoted text, for the quote that closes it), and each
    // word after `sshpass` read the client's words before it again, in a
    // list or a shell line: minutes each.
    let quotes = format!("{MINIMAL}note: '{}'\n", r#"\""#.repeat(300_000));
    let quoted = format!("{MINIMAL}note: '\"{}\"'\n", r#"\""#.repeat(300_000));
    let words = vec!["-x"; 60_000].join(", ");
    let commands = format!("{MINIMAL}jobs:\n  configure:\n    command: [sshpass]\n    args: [{words}]\n");
    let shell = format!(
        "{MINIMAL}jobs:\n  configure:\n    command: [sh, -c, 'sshpass {}']\n",
        "-x ".repeat(60_000)
    );
    // Words whose text holds quotes are read again; an XML start tag's
    // attributes, and the lines after a secret element's start tag, each
    // once.
    let escaped = format!("{MINIMAL}note: '{}'\n", r#"L="{\"password\":\"p\"}" "#.repeat(50_000));
    let attributes = format!("{MINIMAL}note: '{}'\n", r#"<a b = "x" password="#.repeat(100_000));
    let elements = format!("{MINIMAL}note: |\n{}", "  <password> <a b=\"x\"\n".repeat(100_000));
    let redis = format!(
        "{MINIMAL}jobs:\n  configure:\n    command: [sh, -c, 'redis-cli config {}']\n",
        "set ".repeat(60_000)
    );
    // A `name` field's value is read for the `value` after it, a
    // blank-separated directive's line and the text after a start tag once.
    let names = format!("{MINIMAL}note: '{}'\n", r#"{"name":"password","name":x"#.repeat(50_000));
    let keyed = format!("{MINIMAL}note: '{}'\n", r#"<add key="password" value="x" "#.repeat(50_000));
    let directives = format!(
        "{MINIMAL}note: |\n{}",
        "  requirepass x\n  <password>x <a b=\"x\"\n  user u >x\n  machine h h h\n".repeat(100_000)
    );
    for (name, values) in [
        ("names.yaml", names),
        ("keyed.yaml", keyed),
        ("directives.yaml", directives),
        ("quotes.yaml", quotes),
        ("quoted.yaml", quoted),
        ("commands.yaml", commands),
        ("shell.yaml", shell),
        ("escaped.yaml", escaped),
        ("attributes.yaml", attributes),
        ("elements.yaml", elements),
        ("redis.yaml", redis),
    ] {
        let output = lint_text(name, &values, &[]);
        assert!(matches!(output.status.code(), Some(0 | 1)), "{name}: {}", text(&output.stderr));
    }
}

#[test]
fn diagnostics_of_a_wide_one_line_file_print_a_small_multiple_of_it_in_every_format() {
    // 20,000 unknown keys on one line of 209 kB: each diagnostic quoted the
    // whole line, and every one was printed (6.2 GB).
    let keys: Vec<String> = (0..20_000).map(|i| format!("k{i}: 1")).collect();
    let values = format!("{{{}}}\n", keys.join(", "));
    for format in ["human", "github", "json", "sarif"] {
        let output = lint_text("wide.yaml", &values, &["--format", format]);
        assert_eq!(output.status.code(), Some(1), "{format}");
        // The SARIF log's rule table alone is 13 kB; each shown diagnostic
        // is under 1 kB.
        assert!(
            output.stdout.len() < 64 * 1024,
            "{format}: {} bytes for a {} byte file",
            output.stdout.len(),
            values.len()
        );
        let report = text(&output.stdout);
        assert!(report.contains("and 19980 more `unknown-key` error(s)"), "{format}: {report}");
        if format == "human" {
            let quoted = report.lines().filter(|l| l.starts_with("1 | "));
            assert!(quoted.clone().count() > 0, "{report}");
            for line in quoted {
                assert!(line.chars().count() <= SHOWN_LINE_CHARS + 6, "{line}");
            }
        }
    }
}

/// A bidirectional control shows the text around it in another order than
/// it holds ("Trojan Source"): none reaches a reviewer raw, neither in the
/// bundle, where a script in a literal block would read one way and run
/// another, nor in what lint prints in any format.
#[test]
fn no_bidirectional_control_of_a_value_reaches_a_reader_raw() {
    let env = "admin\u{202e}nimda";
    let config = "server {\n  # allow \u{2066}all\u{2069}\n  deny all;\n}\n";
    let output = render_nginx_config_and_env(config, env);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(bidi_controls(&text(&output.stdout)), 0, "{}", text(&output.stdout));
    assert!(text(&output.stdout).contains(r"admin\u202Enimda"), "{}", text(&output.stdout));
    let docs = documents(&text(&output.stdout));
    let nginx_config = docs
        .iter()
        .find(|d| d["kind"] == "ConfigMap" && d["data"].as_object().is_some_and(|data| data.values().any(|v| v == config)));
    assert!(nginx_config.is_some(), "the nginx configuration reads back as written");

    let values = "image:\n  tag: \"v1\\u202Epwned\"\n";
    for format in ["human", "github", "json", "sarif"] {
        let output = lint_text("bidi.yaml", values, &["--format", format]);
        assert_eq!(output.status.code(), Some(1), "{format}");
        assert_eq!(bidi_controls(&text(&output.stdout)), 0, "{format}: {}", text(&output.stdout));
        assert!(text(&output.stdout).contains("pwned"), "{format}");
    }
}

/// The JSON reports (`lint --format json|sarif`, `diff --format json`) hold
/// text from their inputs exactly, a file name or a value of the objects
/// compared with: a bidirectional control in it is written as a JSON escape,
/// which a reader of the report sees and a JSON reader reads back as the
/// character.
#[test]
fn json_reports_write_bidirectional_controls_as_escapes() {
    let name = "values\u{202e}lmay.yaml";
    for format in ["json", "sarif"] {
        let output = lint_text(name, &format!("{MINIMAL}imag: {{}}\n"), &["--format", format]);
        assert_eq!(output.status.code(), Some(1), "{format}: {}", text(&output.stderr));
        assert_eq!(bidi_controls(&text(&output.stdout)), 0, "{format}: {}", text(&output.stdout));
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        // SARIF's URI has the name's every non-ASCII byte percent-encoded.
        let (file, name) = match format {
            "json" => (&report[0]["file"], name.to_owned()),
            _ => (
                &report["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                frappe_manifests::formats::artifact_uri(name),
            ),
        };
        assert!(file.as_str().is_some_and(|file| file.ends_with(&name)), "{format}: {file}");
    }

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("values.yaml"), MINIMAL).unwrap();
    let against = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: erpnext-config\ndata:\n  FRAPPE_DB_HOST: \"db\\u202Einternal\"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"only\\u2066helm\\u2069\"\n";
    std::fs::write(dir.path().join("against.yaml"), against).unwrap();
    let output = Command::new(binary())
        .args(["diff", "-f", "values.yaml", "--against", "against.yaml", "--format", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_eq!(bidi_controls(&text(&output.stdout)), 0, "{}", text(&output.stdout));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let objects = report["objects"].as_array().unwrap();
    assert!(
        objects
            .iter()
            .any(|o| o["change"] == "removed" && o["name"] == "only\u{2066}helm\u{2069}"),
        "{report}"
    );
    let config = objects.iter().find(|o| o["name"] == "erpnext-config").unwrap();
    assert!(
        config["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["before"] == "db\u{202e}internal"),
        "{report}"
    );
}

#[test]
fn no_control_character_of_a_value_reaches_the_terminal_raw() {
    // A carriage return and line feed that would start a forged GitHub
    // annotation, then a terminal title escape and a bell.
    let values = "image:\n  tag: \"v1\\r\\n::error file=x::pwned\\e]0;PWN\\a\"\n";
    let raw_controls = |output: &[u8]| text(output).chars().filter(|c| c.is_control() && *c != '\n').count();
    for format in ["human", "github", "json", "sarif"] {
        let output = lint_text("ctl2.yaml", values, &["--format", format]);
        assert_eq!(output.status.code(), Some(1), "{format}");
        assert_eq!(raw_controls(&output.stdout), 0, "{format}: {}", text(&output.stdout));
        assert!(text(&output.stdout).contains("pwned"), "{format}");
    }
    let github = text(&lint_text("ctl2.yaml", values, &["--format", "github"]).stdout);
    assert!(!github.contains("%0A::error") && !github.contains("%0D%0A::"), "{github}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ctl2.yaml");
    std::fs::write(&file, values).unwrap();
    let render = Command::new(binary()).arg("render").arg(&file).output().unwrap();
    assert_eq!(render.status.code(), Some(1));
    assert_eq!(raw_controls(&render.stderr), 0, "{}", text(&render.stderr));

    // A key, a file name and an object name from the input, echoed back.
    let explain = Command::new(binary())
        .args(["explain", "image.t\u{1b}]0;PWN\u{7}"])
        .output()
        .unwrap();
    assert_eq!(explain.status.code(), Some(2));
    assert!(text(&explain.stderr).contains("\\u{1b}]0;PWN"), "{}", text(&explain.stderr));
    assert_eq!(raw_controls(&explain.stderr), 0, "{}", text(&explain.stderr));
    let named = dir.path().join("x\u{1b}[31m.yaml");
    std::fs::write(&named, values).unwrap();
    let output = Command::new(binary()).arg("render").arg(&named).output().unwrap();
    assert_eq!(raw_controls(&output.stderr), 0, "{}", text(&output.stderr));
    let minimal = dir.path().join("minimal.yaml");
    std::fs::write(&minimal, MINIMAL).unwrap();
    let against = dir.path().join("live.yaml");
    std::fs::write(
        &against,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"live\\e]0;PWN\\a\"\ndata:\n  k: \"v\\r\\e[2J\"\n",
    )
    .unwrap();
    let diff = Command::new(binary())
        .args(["diff", "-f"])
        .arg(&minimal)
        .arg("--against")
        .arg(&against)
        .output()
        .unwrap();
    assert_eq!(diff.status.code(), Some(1), "{}", text(&diff.stderr));
    assert!(text(&diff.stdout).contains("removed ConfigMap"), "{}", text(&diff.stdout));
    assert_eq!(raw_controls(&diff.stdout), 0, "{}", text(&diff.stdout));
}

#[test]
fn no_control_character_of_an_argument_reaches_the_terminal_raw_in_a_usage_error() {
    use std::os::unix::process::CommandExt as _;
    let raw = |text: &str| text.chars().filter(|&c| c.is_control() && c != '\n').count() + bidi_controls(text);
    // An unknown option, alone and as `--name=value` (clap's tip quotes only
    // its name), a bad value, an unknown subcommand, and the program's own
    // name: clap quotes each.
    let cases: [(&str, &[&str], &str); 5] = [
        (
            "frappe-manifests",
            &["render", "--bo\u{1b}]0;PWN\u{7}gus\r"],
            "--bo\\u{1b}]0;PWN\\u{7}gus\\r",
        ),
        (
            "frappe-manifests",
            &["render", "--x\u{1b}[2J\n::error::pwned=1"],
            "--x\\u{1b}[2J\\n::error::pwned",
        ),
        ("frappe-manifests", &["render", "--color", "al\u{202e}ways"], "al\\u{202e}ways"),
        ("frappe-manifests", &["rend\u{202e}er\n::error::x"], "rend\\u{202e}er\\n::error::x"),
        ("/bin/fm\u{1b}]0;PWN\u{7}", &["render", "--bogus"], "fm\\u{1b}]0;PWN\\u{7} render"),
    ];
    for (program, args, shown) in cases {
        for colour in ["never", "always"] {
            let output = Command::new(binary())
                .arg0(program)
                .args(args)
                .args(["--color", colour])
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(2), "{args:?}");
            let stderr = text(&output.stderr);
            assert!(stderr.contains(shown), "{args:?} {colour}: {stderr}");
            // With colour, clap's own SGR sequences are the only escape
            // characters left.
            let sgr = if colour == "never" { 0 } else { stderr.matches("\u{1b}[").count() };
            assert!(colour == "never" || sgr > 0, "{stderr}");
            assert_eq!(raw(&stderr), sgr, "{program:?} {args:?} {colour}: {stderr}");
            assert!(!stderr.lines().any(|line| line.starts_with("::error")), "{stderr}");
        }
    }
}

#[test]
fn diff_of_lists_of_30000_items_shows_only_their_changes_in_linear_time() {
    // gunicorn's flags were applied, and env items matched by name, with a
    // search per item: 30,000 of each took minutes.
    let list = |changed: bool| {
        let mut values = format!("{MINIMAL}worker:\n  gunicorn:\n    args:\n");
        for i in 0..30_000 {
            let value = if changed && i == 15_000 { 2 } else { 1 };
            values.push_str(&format!("      - --a{i}={value}\n"));
        }
        values.push_str("    envVars:\n");
        for i in (0..30_000).filter(|i| !changed || *i != 25_000) {
            values.push_str(&format!("      - {{name: E{i}, value: v}}\n"));
        }
        values
    };
    let dir = tempfile::tempdir().unwrap();
    let (before, after, live) = (
        dir.path().join("before.yaml"),
        dir.path().join("after.yaml"),
        dir.path().join("live.yaml"),
    );
    std::fs::write(&before, list(false)).unwrap();
    std::fs::write(&after, list(true)).unwrap();
    let rendered = Command::new(binary())
        .arg("render")
        .arg(&before)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rendered = finish_within_patience(rendered, "render of 30,000 flags and env vars");
    assert!(rendered.status.success());
    std::fs::write(&live, &rendered.stdout).unwrap();
    for format in ["json", "human"] {
        let diff = Command::new(binary())
            .args(["diff", "--format", format, "-f"])
            .arg(&after)
            .arg("--against")
            .arg(&live)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let output = finish_within_patience(diff, &format!("diff --format {format} of 30,000 flags and env vars"));
        assert_eq!(output.status.code(), Some(1), "{format}");
        let shown = text(&output.stdout);
        assert!(shown.contains("--a15000=2") && shown.contains("E25000"), "{format}: {shown}");
        assert!(output.stdout.len() < 4096, "{format}: {shown}");
    }
}

#[test]
fn set_paths_are_parsed_in_linear_time_and_no_deeper_than_a_values_file() {
    let deep = format!("{}=1", vec!["a"; 40_000].join("."));
    let output = lint_text("values.yaml", MINIMAL, &["--set", &deep]);
    let report = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        report.contains("error[input-limit]") && report.contains("more than 128 keys"),
        "{report}"
    );
    // The step past the limit is the one pointed at.
    assert!(report.contains("--set:1:257"), "{report}");

    let many: Vec<String> = (0..1_001).map(|i| format!("ingress.annotations.k{i}=v")).collect();
    let output = lint_text("values.yaml", MINIMAL, &["--set", &many.join(",")]);
    assert!(
        text(&output.stdout).contains("more than 1000 assignments of `--set`"),
        "{}",
        text(&output.stdout)
    );
}

/// Lint types each file on a thread of its own, with the 2 MiB stack Rust
/// gives spawned threads: the deepest trees every stage accepts must fit.
#[test]
fn the_deepest_accepted_trees_fit_a_lint_threads_stack() {
    let nested = |depth: usize| -> String {
        (0..depth)
            .map(|level| format!("{}k{level}:\n", "  ".repeat(level)))
            .collect::<String>()
            + &"  ".repeat(depth)
            + "leaf: x\n"
    };
    let deepest_set = format!("x.{}=1", vec!["a"; 127].join("."));
    let cases: Vec<(String, Vec<String>)> = vec![
        // Under an ignored section, an unknown key, and an anchor replayed.
        (
            format!("{MINIMAL}mariadb-sts:\n  enabled: false\n{}", indent(&nested(124), 2)),
            vec![],
        ),
        (format!("{MINIMAL}{}", nested(126)), vec![]),
        (format!("{MINIMAL}x: &deep\n{}y: *deep\n", indent(&nested(124), 2)), vec![]),
        (MINIMAL.to_owned(), vec![deepest_set]),
        (MINIMAL.to_owned(), vec![format!("{}=1", vec!["a"; 15_000].join("."))]),
    ];
    for (values, sets) in cases {
        let outcome = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let request = Request {
                    files: vec![Input::Stdin(values.clone().into_bytes()), Input::Stdin(values.into_bytes())],
                    sets,
                    settings: Settings::default(),
                    ..Default::default()
                };
                let outcome = pipeline::run(&request);
                outcome.diagnostics.iter().map(|d| d.code.as_str()).collect::<Vec<_>>()
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(!outcome.is_empty(), "each case is refused or warned about");
    }
}

fn indent(text: &str, spaces: usize) -> String {
    text.lines().map(|line| format!("{}{line}\n", " ".repeat(spaces))).collect()
}

#[test]
fn warnings_that_cannot_be_printed_do_not_cost_the_render() {
    let dev_full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(dev_full) = dev_full else {
        skip("no /dev/full to make stderr fail");
        return;
    };
    let output = Command::new(binary())
        .args(["render", "-f", "examples/minimal.yaml"])
        .current_dir(project_root())
        .stderr(dev_full)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "the render failed because its warnings could not be printed"
    );
    assert!(text(&output.stdout).contains("kind: Deployment"));

    // A closed stderr, as `2>&-` leaves it.
    let output = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" render -f examples/minimal.yaml 2>&-")
        .arg(binary())
        .current_dir(project_root())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("kind: Deployment"));
}

#[test]
fn a_bare_invocation_answers_a_resource_list_and_shows_usage_otherwise() {
    let bare = |stdin: Stdio| {
        Command::new(binary())
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Nothing on standard input.
    let output = finish_within_patience(bare(Stdio::null()), "frappe-manifests </dev/null");
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(
        text(&output.stderr).contains("Usage: frappe-manifests [OPTIONS] <COMMAND>"),
        "{}",
        text(&output.stderr)
    );

    // A pipe left open with nothing coming: usage after a few seconds.
    let mut child = bare(Stdio::piped());
    let stdin = child.stdin.take();
    let output = finish_within_patience(child, "frappe-manifests with an idle pipe");
    drop(stdin);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(text(&output.stderr).contains("Usage: frappe-manifests [OPTIONS] <COMMAND>"));

    // Values piped in by mistake.
    let mut child = bare(Stdio::piped());
    child.stdin.take().unwrap().write_all(MINIMAL.as_bytes()).unwrap();
    let output = finish_within_patience(child, "frappe-manifests < values.yaml");
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(
        text(&output.stderr).contains("frappe-manifests render -f -"),
        "{}",
        text(&output.stderr)
    );

    // What kustomize sends: the whole ResourceList, then the end of input.
    let mut child = bare(Stdio::piped());
    let list = format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  apiVersion: frappe-manifests/v1alpha1\n  kind: FrappeBench\n  metadata: {{name: erp}}\n  spec:\n    values:\n{}",
        indent(MINIMAL, 6)
    );
    child.stdin.take().unwrap().write_all(list.as_bytes()).unwrap();
    let output = finish_within_patience(child, "frappe-manifests as a KRM function");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let answer: Value = serde_saphyr::from_str(&text(&output.stdout)).unwrap();
    assert_eq!(answer["kind"], "ResourceList");
    assert!(answer["items"].as_array().unwrap().iter().any(|item| item["kind"] == "Deployment"));
}

// ---------------------------------------------------------------------------
// Paths stay where they belong.

const SECRET: &str = "SECRET-TOKEN-4f2a";

/// A checkout as Argo CD's CMP server unpacks it, with the application in
/// `apps/shop`, and a directory outside it holding a secret.
struct Checkout {
    _dir: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
}

impl Checkout {
    fn new() -> Checkout {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("checkout");
        let outside = dir.path().join("outside");
        for (path, text) in [
            ("checkout/apps/shop/values.yaml", MINIMAL.to_owned()),
            ("checkout/apps/other/values.yaml", "socketio:\n  replicaCount: 3\n".to_owned()),
            ("checkout/shared/base.yaml", "worker:\n  long:\n    replicaCount: 2\n".to_owned()),
            ("outside/secret.yaml", format!("token: {SECRET}\n")),
        ] {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Checkout { _dir: dir, root, outside }
    }

    fn app(&self) -> PathBuf {
        self.root.join("apps/shop")
    }

    fn link(&self, name: &str, target: &Path) {
        std::os::unix::fs::symlink(target, self.app().join(name)).unwrap();
    }

    fn generate(&self, files: &[&str]) -> Output {
        Command::new(binary())
            .arg("argocd")
            .current_dir(self.app())
            .env_clear()
            .env("ARGOCD_APP_NAME", "shop")
            .env("ARGOCD_APP_SOURCE_PATH", "apps/shop")
            .env(
                "ARGOCD_APP_PARAMETERS",
                json!([{"name": "values-files", "array": files}]).to_string(),
            )
            .output()
            .unwrap()
    }
}

#[test]
fn argo_cd_values_files_come_from_the_repository_and_nowhere_else() {
    let checkout = Checkout::new();
    checkout.link("other.yaml", Path::new("../other/values.yaml"));
    checkout.link("passwd.yaml", Path::new("/etc/passwd"));
    checkout.link("secret.yaml", &checkout.outside.join("secret.yaml"));
    checkout.link("conf", &checkout.outside);

    let output = checkout.generate(&["values.yaml", "../../shared/base.yaml", "/shared/base.yaml", "other.yaml"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let docs = documents(&text(&output.stdout));
    let replicas = |name: &str| {
        let deployment = docs.iter().find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == name);
        deployment.unwrap()["spec"]["replicas"].clone()
    };
    assert_eq!(replicas("shop-erpnext-worker-l"), 2, "a shared file elsewhere in the repository");
    assert_eq!(
        replicas("shop-erpnext-socketio"),
        3,
        "a link to another application's file in the same repository"
    );

    for refused in [
        "passwd.yaml",
        "secret.yaml",
        "conf/secret.yaml",
        "../../../outside/secret.yaml",
        "/../outside/secret.yaml",
        // Whether a file outside exists is never told.
        "../../../outside/none.yaml",
        "/../outside/none.yaml",
        "/../../../../../../../../etc/shadow",
        "/../../../../../../../../etc/nonexistent",
        "conf/none.yaml",
    ] {
        let output = checkout.generate(&["values.yaml", refused]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{refused}: {stderr}");
        assert!(output.stdout.is_empty(), "{refused}");
        assert!(
            stderr.contains(&format!("values file `{refused}` is outside the repository")),
            "{stderr}"
        );
        assert!(
            !stderr.contains(SECRET) && !stderr.contains("root:"),
            "{refused}: the content is echoed: {stderr}"
        );
    }
}

/// `kubectl kustomize` on a kustomization whose FrappeBench reads `files`,
/// with the binary installed as the legacy exec plugin.
fn kustomize_with_values_files(kubectl: &Path, checkout: &Checkout, files: &[&str], unrestricted: bool) -> Output {
    let plugins = tempfile::tempdir().unwrap();
    let plugin = plugins.path().join("frappe-manifests/v1alpha1/frappebench/FrappeBench");
    std::fs::create_dir_all(plugin.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(binary(), &plugin).unwrap();
    let app = checkout.app();
    std::fs::write(app.join("kustomization.yaml"), "generators: [bench.yaml]\n").unwrap();
    std::fs::write(
        app.join("bench.yaml"),
        format!(
            "apiVersion: frappe-manifests/v1alpha1\nkind: FrappeBench\nmetadata: {{name: erp}}\nspec:\n  valuesFiles: {}\n",
            json!(files)
        ),
    )
    .unwrap();
    let mut command = Command::new(kubectl);
    command
        .args(["kustomize", "--enable-alpha-plugins"])
        .arg(&app)
        .env("KUSTOMIZE_PLUGIN_HOME", plugins.path());
    if unrestricted {
        command
            .args(["--load-restrictor", "LoadRestrictionsNone"])
            .env(frappe_manifests::kustomize::LOAD_RESTRICTOR_VARIABLE, "LoadRestrictionsNone");
    }
    command.output().unwrap()
}

#[test]
fn kustomize_values_files_stay_under_the_kustomization_unless_the_restrictor_is_lifted() {
    let Some(kubectl) = kubectl() else { return };
    let checkout = Checkout::new();
    checkout.link("secret.yaml", &checkout.outside.join("secret.yaml"));
    checkout.link("conf", &checkout.outside);
    let inside = checkout.app().join("values.yaml").display().to_string();

    let output = kustomize_with_values_files(&kubectl, &checkout, &["values.yaml", &inside], false);
    assert!(output.status.success(), "{}", text(&output.stderr));

    let absolute = checkout.outside.join("secret.yaml").display().to_string();
    let absent = checkout.outside.join("none.yaml").display().to_string();
    for refused in [
        "../../shared/base.yaml",
        absolute.as_str(),
        "secret.yaml",
        "conf/secret.yaml",
        // Whether a file outside exists is never told.
        absent.as_str(),
        "../../shared/none.yaml",
        "conf/none.yaml",
        "/etc/nonexistent",
    ] {
        let output = kustomize_with_values_files(&kubectl, &checkout, &["values.yaml", refused], false);
        let stderr = text(&output.stderr);
        assert!(!output.status.success(), "{refused}");
        assert!(output.stdout.is_empty(), "{refused}");
        assert!(stderr.contains(&format!("values file `{refused}` is not in or below")), "{stderr}");
        assert!(!stderr.contains(SECRET), "{refused}: the content is echoed: {stderr}");
    }

    // Lifted where kustomize's own restrictor is lifted.
    let output = kustomize_with_values_files(&kubectl, &checkout, &["values.yaml", "../../shared/base.yaml"], true);
    assert!(output.status.success(), "{}", text(&output.stderr));
}

// ---------------------------------------------------------------------------
// `--output-dir` never loses anything.

fn render_to(dir: &Path, values: &str) -> Output {
    Command::new(binary())
        .args(["render", "-f", values, "-n", "erp", "--output-dir"])
        .arg(dir)
        .current_dir(project_root())
        .output()
        .unwrap()
}

/// Every file under `dir` (not following links) with its content, links as
/// `-> target`.
fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let name = path.strip_prefix(dir).unwrap().display().to_string();
            let kind = entry.file_type().unwrap();
            if kind.is_symlink() {
                files.insert(name, format!("-> {}", std::fs::read_link(&path).unwrap().display()));
            } else if kind.is_dir() {
                files.insert(format!("{name}/"), String::new());
                pending.push(path);
            } else {
                files.insert(name, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    files
}

/// The user's own things, which no render may touch.
fn add_user_files(dir: &Path) -> std::collections::BTreeMap<String, String> {
    std::fs::create_dir_all(dir.join(".git/refs")).unwrap();
    std::fs::write(dir.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(dir.join("README.md"), "rendered by CI; do not edit\n").unwrap();
    std::fs::write(dir.join("99-configmap-mine.yaml"), "kind: ConfigMap\n").unwrap();
    snapshot(dir)
}

/// What `dir`'s kustomization lists, and that each of those files exists.
fn listed(dir: &Path) -> Vec<String> {
    let kustomization: Value = serde_saphyr::from_str(&std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap()).unwrap();
    let files: Vec<String> = kustomization["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect();
    for file in &files {
        assert!(dir.join(file).is_file(), "{file} is listed but missing");
    }
    files
}

/// The files that look like ours, listed or not.
fn object_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml") && name != "kustomization.yaml" && name != "99-configmap-mine.yaml")
        .collect();
    names.sort();
    names
}

fn assert_user_files_kept(dir: &Path, user: &std::collections::BTreeMap<String, String>) {
    let now = snapshot(dir);
    for (name, content) in user {
        assert_eq!(now.get(name), Some(content), "{name} was changed or removed");
    }
}

#[test]
fn output_dir_writes_and_removes_only_its_own_files() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("rendered");
    std::fs::create_dir(&dir).unwrap();
    let user = add_user_files(&dir);

    let output = render_to(&dir, "examples/production.yaml");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_user_files_kept(&dir, &user);
    let production = listed(&dir);
    assert_eq!(object_files(&dir), production);

    // A smaller bundle: the files it no longer writes go, the user's stay.
    let output = render_to(&dir, "examples/minimal.yaml");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_user_files_kept(&dir, &user);
    let minimal = listed(&dir);
    assert!(minimal.len() < production.len());
    assert_eq!(object_files(&dir), minimal, "files of the previous bundle are left behind");
    assert_eq!(
        std::fs::read_dir(work.path()).unwrap().count(),
        1,
        "something was left beside the directory"
    );

    // A failed render changes nothing.
    let before = snapshot(&dir);
    let broken = work.path().join("broken.yaml");
    std::fs::write(&broken, "dbHost: [").unwrap();
    let output = render_to(&dir, broken.to_str().unwrap());
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(snapshot(&dir), before);

    // So does one that cannot write a file (a full disk; here a file size
    // limit of a few KiB, which the configure Job's file is over), even
    // after writing smaller ones: none of the previous bundle's files is
    // replaced by the new bundle's.
    let output = Command::new("sh")
        .args(["-c", "trap '' XFSZ; ulimit -f 8 && exec \"$0\" \"$@\""])
        .arg(binary())
        .args([
            "render",
            "-f",
            "examples/minimal.yaml",
            "-n",
            "erp",
            "--set",
            "image.tag=v16.33.0",
            "--output-dir",
        ])
        .arg(&dir)
        .current_dir(project_root())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("File too large"), "{}", text(&output.stderr));
    let after = snapshot(&dir);
    let changed: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|name| before.get(*name) != after.get(*name))
        .collect();
    assert!(changed.is_empty(), "a failed render changed {changed:?}");
}

#[test]
fn output_dir_refuses_to_overwrite_what_it_did_not_write() {
    let work = tempfile::tempdir().unwrap();
    // A kustomization of the user's own.
    let dir = work.path().join("theirs");
    std::fs::create_dir(&dir).unwrap();
    add_user_files(&dir);
    std::fs::write(dir.join("kustomization.yaml"), "resources: [99-configmap-mine.yaml]\n").unwrap();
    let before = snapshot(&dir);
    let output = render_to(&dir, "examples/minimal.yaml");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("its kustomization.yaml was not written by"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(snapshot(&dir), before);

    // A file of the user's under a name the bundle would write.
    let dir = work.path().join("clash");
    let output = render_to(&dir, "examples/minimal.yaml");
    assert!(output.status.success());
    let first = listed(&dir).remove(0);
    std::fs::remove_file(dir.join("kustomization.yaml")).unwrap();
    std::fs::write(dir.join(&first), "mine\n").unwrap();
    let before = snapshot(&dir);
    let output = render_to(&dir, "examples/minimal.yaml");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains(&format!("refusing to overwrite `{}`", dir.join(&first).display())),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(snapshot(&dir), before);
}

/// What lies under a name like a temporary file's and was not made by a
/// render (a file of the user's, a link) is never removed: a render that
/// cannot write its temporary file fails and changes nothing.
#[test]
fn output_dir_leaves_alone_what_looks_like_its_temporary_files() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("rendered");
    let output = render_to(&dir, "examples/minimal.yaml");
    assert!(output.status.success(), "{}", text(&output.stderr));
    std::fs::write(dir.join(".frappe-manifests.notes.tmp"), "mine\n").unwrap();
    let first = listed(&dir).remove(0);
    let link = dir.join(format!(".frappe-manifests.{first}.tmp"));
    std::os::unix::fs::symlink(work.path().join("elsewhere"), &link).unwrap();
    let before = snapshot(&dir);
    let output = render_to(&dir, "examples/minimal.yaml");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains(&link.display().to_string()),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(snapshot(&dir), before);
    assert!(!work.path().join("elsewhere").exists(), "written through the link");

    std::fs::remove_file(&link).unwrap();
    let output = render_to(&dir, "examples/minimal.yaml");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(std::fs::read_to_string(dir.join(".frappe-manifests.notes.tmp")).unwrap(), "mine\n");
}

#[test]
fn output_dir_follows_a_link_and_cleans_up_after_a_killed_render() {
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("target");
    std::fs::create_dir(&target).unwrap();
    let user = add_user_files(&target);
    let link = work.path().join("rendered");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let output = render_to(&link, "examples/production.yaml");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(),
        "the link was replaced"
    );
    assert!(!listed(&target).is_empty());

    // Kill renders at every moment: the directory always holds a complete
    // set, and the next render leaves nothing of the killed ones behind.
    for (round, delay) in (0..12).map(|i| (i, Duration::from_millis(i * 7))).collect::<Vec<_>>() {
        let values = if round % 2 == 0 {
            "examples/minimal.yaml"
        } else {
            "examples/production.yaml"
        };
        let mut child = Command::new(binary())
            .args(["render", "-f", values, "-n", "erp", "--output-dir"])
            .arg(&link)
            .current_dir(project_root())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        child.wait().unwrap();
        listed(&target);
        assert_user_files_kept(&target, &user);
    }
    let output = render_to(&link, "examples/minimal.yaml");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(object_files(&target), listed(&target), "files of killed renders are left behind");
    let hidden: Vec<String> = snapshot(&target)
        .into_keys()
        .filter(|name| name.starts_with('.') && !name.starts_with(".git"))
        .collect();
    assert!(hidden.is_empty(), "temporary files are left behind: {hidden:?}");
    assert_user_files_kept(&target, &user);
}

#[test]
fn concurrent_renders_into_one_directory_take_turns() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("rendered");
    std::fs::create_dir(&dir).unwrap();
    let user = add_user_files(&dir);
    let children: Vec<Child> = (0..6)
        .map(|i| {
            let values = if i % 2 == 0 {
                "examples/minimal.yaml"
            } else {
                "examples/production.yaml"
            };
            Command::new(binary())
                .args(["render", "-f", values, "-n", "erp", "--output-dir"])
                .arg(&dir)
                .current_dir(project_root())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = finish_within_patience(child, "a concurrent render");
        assert!(output.status.success(), "{}", text(&output.stderr));
    }
    assert_eq!(object_files(&dir), listed(&dir), "concurrent renders left a mixed directory");
    assert_user_files_kept(&dir, &user);
    assert_eq!(
        std::fs::read_dir(work.path()).unwrap().count(),
        1,
        "something was left beside the directory"
    );
}

/// What the kubelet makes of a container's `command`, `args` and env
/// `value`s before the process sees them (Kubernetes'
/// `third_party/forked/golang/expansion`): `$$` is `$`, and `$(NAME)` is the
/// value of the container's variable `NAME` when it has one (here, every
/// name in `names` is one) and stays as written otherwise. Every name of
/// capitals, digits and `_` counts as one too: the kubelet also gives the
/// container a variable for each Service of the namespace
/// (`<SERVICE>_SERVICE_HOST`, `<SERVICE>_PORT`, ...; `enableServiceLinks`)
/// and for the `kubernetes` Service, which no render can list.
fn expanded_by_the_kubelet(text: &str, names: &[String]) -> String {
    let is_service_variable_name = |name: &str| {
        name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
            && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    };
    let mut expanded = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        expanded.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            expanded.push('$');
            rest = tail;
        } else if let Some(end) = after.strip_prefix('(').and_then(|r| r.find(')')) {
            let name = &after[1..=end];
            if names.iter().any(|n| n == name) || is_service_variable_name(name) {
                expanded.push_str("<the value of ");
                expanded.push_str(name);
                expanded.push('>');
            } else {
                expanded.push('$');
                expanded.push_str(&after[..end + 2]);
            }
            rest = &after[end + 2..];
        } else {
            expanded.push('$');
            rest = after;
        }
    }
    expanded + rest
}

#[test]
fn the_kubelet_expands_nothing_in_what_the_bench_containers_run() {
    assert_eq!(
        expanded_by_the_kubelet("a$$b $(X) $(begin_waiting) $ $(", &["X".to_owned()]),
        "a$b <the value of X> $(begin_waiting) $ $("
    );
    assert_eq!(
        expanded_by_the_kubelet("$(KUBERNETES_SERVICE_HOST)", &[]),
        "<the value of KUBERNETES_SERVICE_HOST>"
    );
    // Each text of the values that reaches a script or a variable of a Job
    // names a Secret-backed variable of its container, or escapes a `$`.
    let values = format!(
        "{MINIMAL}dbRootUser: 'ro$$ot$(DB_ROOT_PASSWORD)$(FRAPPE_DB_HOST)'
dbExistingSecret: db-root
jobs:
  createSite: {{enabled: true, siteName: erp.example.com, adminExistingSecret: admin}}
  dropSite: {{enabled: true, siteName: old.example.com}}
  migrate: {{enabled: true, siteName: erp.example.com}}
  backup:
    enabled: true
    siteName: erp.example.com
    s3:
      bucket: 'backups$(AWS_SECRET_ACCESS_KEY)$$'
      endpoint: 'https://s3.example.com/$(AWS_SECRET_ACCESS_KEY)'
      region: '$(AWS_SECRET_ACCESS_KEY)'
      existingSecret: s3-keys
  restore:
    enabled: true
    siteName: erp.example.com
    confirm: erp.example.com
    database: 20260101_030000-erp_example_com-database.sql.gz
    fromS3: true
"
    );
    let docs = documents(&crate::common::render_text(&values, &[]));
    let config_keys: Vec<String> = docs
        .iter()
        .filter(|d| d["kind"] == "ConfigMap")
        .flat_map(|d| d["data"].as_object().into_iter().flat_map(|data| data.keys().cloned()))
        .collect();
    let mut seen = 0;
    for doc in &docs {
        let spec = match doc["kind"].as_str() {
            Some("Deployment" | "Job") => &doc["spec"]["template"]["spec"],
            Some("CronJob") => &doc["spec"]["jobTemplate"]["spec"]["template"]["spec"],
            _ => continue,
        };
        let containers = ["initContainers", "containers"]
            .iter()
            .flat_map(|list| spec[list].as_array().into_iter().flatten());
        for container in containers {
            let env = container["env"].as_array().map(Vec::as_slice).unwrap_or_default();
            let mut names = config_keys.clone();
            names.extend(env.iter().filter_map(|var| var["name"].as_str().map(str::to_owned)));
            let what = format!("{} {} container {}", doc["kind"], doc["metadata"]["name"], container["name"]);
            // The scripts reach bash as they are written.
            let words = ["command", "args"]
                .iter()
                .flat_map(|list| container[list].as_array().into_iter().flatten())
                .filter_map(Value::as_str);
            for word in words {
                let expanded = expanded_by_the_kubelet(word, &names);
                if let Some(at) = word.bytes().zip(expanded.bytes()).position(|(a, b)| a != b) {
                    let line = word[..at].lines().count();
                    panic!(
                        "the kubelet changes line {line} of {what}: {:?}",
                        word.lines().nth(line.saturating_sub(1))
                    );
                }
                assert_eq!(expanded.len(), word.len(), "the kubelet changes the end of {what}");
                seen += 1;
            }
            for var in env {
                let (Some(name), Some(value)) = (var["name"].as_str(), var["value"].as_str()) else {
                    continue;
                };
                let expanded = expanded_by_the_kubelet(value, &names);
                assert!(!expanded.contains("<the value of"), "{name} of {what} is {expanded}");
                if let Some(written) = [
                    ("DB_ROOT_USER", "ro$$ot$(DB_ROOT_PASSWORD)$(FRAPPE_DB_HOST)"),
                    ("AWS_DEFAULT_REGION", "$(AWS_SECRET_ACCESS_KEY)"),
                ]
                .iter()
                .find_map(|(var, written)| (*var == name).then_some(written))
                {
                    assert_eq!(expanded, *written, "{name} of {what}");
                    seen += 1;
                }
            }
        }
    }
    assert!(seen > 20, "{seen} texts");
    for secret in ["AWS_SECRET_ACCESS_KEY", "DB_ROOT_PASSWORD"] {
        assert!(
            docs.iter().any(|d| d.to_string().contains(&format!("$({secret})"))),
            "{secret} is in the test"
        );
    }
}
