//! Input written by someone who wants the tool to leak, inject or lose
//! something: strings that try to become YAML structure, paths that try to
//! leave the repository, an `--output-dir` full of someone's work, and
//! inputs built to exhaust time, memory or the stack. Each case checks the
//! exit code, that stdout is empty on failure, the message, and what is on
//! disk before and after.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use frappe_manifests::emit;

use crate::common::{MINIMAL, documents, kubectl, project_root, text};

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_frappe-manifests"))
}

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
        println!(
            "skipped: no Python with PyYAML (`.ci/run` installs one into target/pyyaml-venv), so the YAML 1.1 reader is not checked here"
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
    use std::io::Write;
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
    let values = format!(
        "{MINIMAL}nginx:\n  config: {}\nsocketio:\n  envVars:\n  - name: X\n    value: {}\n",
        serde_json::to_string(config).unwrap(),
        serde_json::to_string(env).unwrap()
    );
    let output = render_values(&values);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stream = text(&output.stdout);
    let ours = sorted_by_name(documents(&stream));
    let socketio = |docs: &[Value]| {
        docs.iter()
            .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "erpnext-socketio")
            .unwrap()["spec"]["template"]["spec"]
            .clone()
    };
    assert_eq!(socketio(&ours)["containers"][0]["env"][0]["value"], env);
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
    let (output, failed) = frappe_manifests::kustomize::krm_function(&emit::to_yaml(&list));
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
