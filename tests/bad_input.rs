//! Whatever someone committed, the answer is a clear error or a correct
//! bundle: never a panic, a hang or half a bundle. Each case checks the exit
//! code, that the message names the file (and the line and column where there
//! is one), and that stdout is empty.

use std::path::Path;
use std::process::Output;

use crate::common::{MINIMAL, binary, run, run_with_stdin, skip, text};

/// Renders `bytes` written to a file named `name`; returns the output.
fn render_bytes(name: &str, bytes: &[u8]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (run(&["render", "-f", &path.display().to_string()]), dir)
}

/// Asserts a clean refusal: `code`, nothing on stdout, and every `expected`
/// fragment in stderr.
fn refused(output: &Output, code: i32, expected: &[&str]) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(output.stdout.is_empty(), "stdout is not empty");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for fragment in expected {
        assert!(stderr.contains(fragment), "`{fragment}` is missing from:\n{stderr}");
    }
}

#[test]
fn unreadable_inputs_are_io_errors() {
    refused(
        &run(&["render", "-f", "no/such/values.yaml"]),
        2,
        &["cannot read `no/such/values.yaml`: no such file"],
    );
    refused(&run(&["render", "-f", "tests"]), 2, &["`tests` is a directory"]);
    // Readable by name, but reading fails (even for root).
    if Path::new("/proc/self/mem").exists() {
        refused(&run(&["render", "-f", "/proc/self/mem"]), 2, &["cannot read `/proc/self/mem`"]);
    }
}

#[test]
fn empty_and_comment_only_files_lack_the_required_keys() {
    for (name, content) in [("empty.yaml", ""), ("comments.yaml", "# nothing here\n# at all\n")] {
        let (output, _dir) = render_bytes(name, content.as_bytes());
        refused(
            &output,
            1,
            &["error[missing-database]", &format!("{name}:1:1"), "error[missing-redis]"],
        );
    }
}

#[test]
fn binary_and_invalid_utf8_are_not_values_files() {
    let (output, _dir) = render_bytes("photo.yaml", b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00");
    refused(
        &output,
        1,
        &["error[yaml-syntax]", "`", "photo.yaml` is not UTF-8 text", "photo.yaml:1:1"],
    );
    let (output, _dir) = render_bytes("latin1.yaml", b"dbHost: caf\xE9\n");
    refused(&output, 1, &["is not UTF-8 text (invalid byte at offset 11)", "latin1.yaml:1:12"]);
}

#[test]
fn structure_problems_are_located() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "two-documents.yaml",
            "dbHost: a\n---\ndbHost: b\n",
            &[
                "error[yaml-syntax]",
                "two-documents.yaml:2:1",
                "more than one YAML document",
                "separate `-f` files",
            ],
        ),
        (
            "list.yaml",
            "- dbHost: a\n",
            &[
                "a values file is a map of keys at the top level, but this one is a list",
                "list.yaml:1:1",
            ],
        ),
        ("scalar.yaml", "just words\n", &["this one is a scalar", "scalar.yaml:1:1"]),
        (
            "tabs.yaml",
            "worker:\n\tgunicorn:\n\t\treplicaCount: 2\n",
            &["error[yaml-syntax]", "tabs.yaml:2:1"],
        ),
        (
            "duplicate.yaml",
            "dbHost: a\ndbHost: b\n",
            &["error[duplicate-key]", "duplicate.yaml:2:1", "first defined here"],
        ),
        ("unclosed.yaml", "dbHost: [a\n", &["error[yaml-syntax]", "unclosed.yaml:"]),
    ];
    for (name, content, expected) in cases {
        let (output, _dir) = render_bytes(name, content.as_bytes());
        refused(&output, 1, expected);
    }
}

#[test]
fn resource_bombs_are_refused_quickly() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (i, name) in "bcdefghij".chars().enumerate() {
        let previous = (b'a' + i as u8) as char;
        bomb.push_str(&format!("{name}: &{name} [{}]\n", vec![format!("*{previous}"); 10].join(", ")));
    }
    let started = std::time::Instant::now();
    let (output, _dir) = render_bytes("bomb.yaml", bomb.as_bytes());
    refused(&output, 1, &["error[input-limit]", "bomb.yaml:"]);

    let deep_flow = format!("dbHost: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let (output, _dir) = render_bytes("deep-flow.yaml", deep_flow.as_bytes());
    refused(&output, 1, &["deep-flow.yaml:1:"]);
    let deep_block: String = (0..10_000).map(|depth| format!("{}k{depth}:\n", " ".repeat(depth))).collect();
    let (output, _dir) = render_bytes("deep-block.yaml", deep_block.as_bytes());
    refused(&output, 1, &["deep-block.yaml:"]);

    let mut huge = Vec::with_capacity(50 * 1024 * 1024);
    while huge.len() < 50 * 1024 * 1024 {
        huge.extend_from_slice(b"# padding padding padding padding padding padding padding padding\n");
    }
    let (output, _dir) = render_bytes("huge.yaml", &huge);
    refused(&output, 1, &["error[input-limit]", "huge.yaml:1:1", "limited to 16777216 bytes"]);
    // These are benchmarks elsewhere; here the bound only guards against a hang.
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "{:?}", started.elapsed());
}

#[test]
fn wrong_kinds_of_node_are_type_errors() {
    let cases: &[(&str, &[&str])] = &[
        ("worker: 3\n", &["`worker`: expected a map (Workers), found `3`", ":5:9"]),
        ("worker: [1, 2]\n", &["`worker`: expected a map (Workers), found a list"]),
        ("worker: true\n", &["expected a map (Workers)"]),
        ("dbHost: {name: db}\n", &["`dbHost`: expected a string, found a map"]),
        ("dbHost: [db]\n", &["`dbHost`: expected a string, found a list"]),
        (
            "nginx:\n  replicaCount: {}\n",
            &["`nginx.replicaCount`: expected an integer, found a map"],
        ),
        ("nginx:\n  enabled: yes\n", &["expected `true` or `false`", "write `true`"]),
        // `!!str` and the non-specific `!` make a scalar a string.
        ("nginx:\n  replicaCount: !!str 3\n", &["`nginx.replicaCount`: expected an integer"]),
        ("nginx:\n  replicaCount: ! 3\n", &["`nginx.replicaCount`: expected an integer"]),
    ];
    for (extra, expected) in cases {
        let values = format!("{MINIMAL}{extra}").replacen(
            "dbHost: db.internal\n",
            if extra.starts_with("dbHost") { "" } else { "dbHost: db.internal\n" },
            1,
        );
        let output = run_with_stdin(&["render", "-f", "-"], Some(values.as_bytes()));
        refused(&output, 1, expected);
        assert!(
            text(&output.stderr).contains("--> <stdin>:"),
            "no location: {}",
            text(&output.stderr)
        );
    }
}

#[test]
fn numbers_out_of_range_are_refused_with_the_range() {
    let cases: &[(&str, &[&str])] = &[
        (
            "socketio:\n  replicaCount: -1\n",
            &["error[invalid-value]", "`replicaCount` cannot be negative", "<stdin>:6:17"],
        ),
        (
            "socketio:\n  replicaCount: 99999999999999999999\n",
            &["is out of range (-2147483648 to 2147483647)", "<stdin>:6:17"],
        ),
        (
            "socketio:\n  service:\n    port: 70000\n",
            &["error[invalid-port]", "`70000` is not a port", "<stdin>:7:11"],
        ),
        ("nginx:\n  replicaCount: 1e3\n", &["expected an integer, found `1e3`"]),
    ];
    for (extra, expected) in cases {
        refused(
            &run_with_stdin(&["render", "-f", "-"], Some(format!("{MINIMAL}{extra}").as_bytes())),
            1,
            expected,
        );
    }
}

#[test]
fn yaml11_traps_are_read_as_yaml_1_2_with_a_warning() {
    let values = format!(
        "{MINIMAL}image:\n  tag: 16.10\nnginx:\n  environment:\n    upstreamRealIPRecursive: on\n  nodeSelector:\n    spot: no\nsocketio:\n  replicaCount: 010\n"
    );
    let output = run_with_stdin(&["render", "-f", "-"], Some(values.as_bytes()));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("image: frappe/erpnext:16.10"), "the tag keeps its spelling");
    assert!(stdout.contains("value: \"on\"") && stdout.contains("spot: \"no\""));
    let stderr = text(&output.stderr);
    for fragment in [
        "`image.tag` is a string here, but other YAML tools read this unquoted value as a number",
        "read this unquoted value as a boolean in YAML 1.1",
        "`socketio.replicaCount` is 10 here",
    ] {
        assert!(stderr.contains(fragment), "`{fragment}` missing from:\n{stderr}");
    }
    assert_eq!(stderr.matches("warning[yaml11-scalar]").count(), 4, "{stderr}");
}

/// `--set` reads a value as helm's `--set` does: `16.10` and `on` are the
/// strings written there (helm types only booleans, null and integers), so
/// they earn no `yaml11-scalar` warning telling the user to quote them,
/// which in a `--set` would put the quotes into the value. A value helm
/// does type keeps its warning: `true` for a string, `010` for a number.
#[test]
fn set_values_are_typed_as_helm_types_them() {
    let output = run(&[
        "render",
        "-f",
        "examples/minimal.yaml",
        "--set",
        "image.tag=16.10,nginx.environment.upstreamRealIPRecursive=on",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("image: frappe/erpnext:16.10"), "{stdout}");
    assert!(stdout.contains("value: \"on\""), "{stdout}");
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("yaml11-scalar"), "{stderr}");
    let output = run(&[
        "render",
        "-f",
        "examples/minimal.yaml",
        "--set",
        "image.tag=true,socketio.replicaCount=2",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stderr).matches("warning[yaml11-scalar]").count(),
        1,
        "{}",
        text(&output.stderr)
    );
    // helm's `--set` keeps `010` and quotes as text (`kindOf` gives `string`,
    // `"x"` with its quotes): a tag keeps its leading zero, and a count that
    // is text is refused, not read as 10 or 8.
    let output = run(&["render", "-f", "examples/minimal.yaml", "--set", "image.tag=010"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("image: frappe/erpnext:010"),
        "{}",
        text(&output.stdout)
    );
    refused(
        &run(&["render", "-f", "examples/minimal.yaml", "--set", "socketio.replicaCount=010"]),
        1,
        &[
            "expected an integer, found the string \"010\"",
            "help: write `10`, unquoted and without leading zeros",
        ],
    );
    refused(
        &run(&["render", "-f", "examples/minimal.yaml", "--set", "socketio.replicaCount=\"2\""]),
        1,
        &["expected an integer", "help: remove the quotes"],
    );
    // Past an int64, helm's `--set` keeps the digits as text: nothing was
    // quoted, the number is too large.
    refused(
        &run(&[
            "render",
            "-f",
            "examples/minimal.yaml",
            "--set",
            "socketio.replicaCount=99999999999999999999",
        ]),
        1,
        &[
            "expected an integer, found the string \"99999999999999999999\"",
            "help: it is out of range (-2147483648 to 2147483647)",
        ],
    );
    // helm reads `+010` as the int64 10 (`strconv.ParseInt` takes the sign
    // and the zeros after it): a count of 10, not the octal 8 YAML 1.1
    // tools would warn about.
    let output = run(&["render", "-f", "examples/minimal.yaml", "--set", "socketio.replicaCount=+010"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("replicas: 10"), "{}", text(&output.stdout));
    assert!(!text(&output.stderr).contains("yaml11-scalar"), "{}", text(&output.stderr));
}

#[test]
fn bad_set_and_merge_arguments_name_their_source() {
    refused(
        &run(&["render", "-f", "examples/minimal.yaml", "--set", "worker..replicaCount=2"]),
        1,
        &["error[invalid-set]", "--> --set:1:"],
    );
    refused(
        &run(&["render", "-f", "examples/minimal.yaml", "--set", "worker.gunicorn"]),
        1,
        &["has no `=`", "--set:1:1"],
    );
    let dir = tempfile::tempdir().unwrap();
    let second = dir.path().join("second.yaml");
    std::fs::write(&second, "externalRedis:\n  - redis://x:6379\n").unwrap();
    refused(
        &run(&["render", "-f", "examples/minimal.yaml", "-f", &second.display().to_string()]),
        1,
        &[
            "error[merge-conflict]",
            "`externalRedis` is a list here but a map in an earlier values file",
            "second.yaml:2:3",
            "examples/minimal.yaml:7:3",
        ],
    );
}

#[test]
fn a_terminal_on_stdin_gets_usage_instead_of_a_hang() {
    let script = std::process::Command::new("script").arg("--version").output();
    if !script.is_ok_and(|o| o.status.success()) {
        skip("`script` (util-linux) is not installed to provide a terminal");
        return;
    }
    let command = format!("{} render -f -", binary().display());
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let printed = text(&output.stdout);
    assert!(!output.status.success());
    assert!(
        printed.contains("reads the values from standard input, which is a terminal"),
        "{printed}"
    );
}

/// Inputs the fuzzers found, kept as regressions.
#[test]
fn fuzz_findings_stay_fixed() {
    // An alias bomb ending in an invalid alias (`*\x04g`): refused by the
    // alias-replay budget before any expansion, where it once replayed
    // 250,000 nodes (a libFuzzer timeout under ASan).
    refused(
        &run(&["render", "-f", "tests/fixtures/fuzz/alias-bomb-bad-alias.yaml"]),
        1,
        &["error[input-limit]", "replayed through aliases", "alias-bomb-bad-alias.yaml:6:"],
    );
}
