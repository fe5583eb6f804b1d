//! `--set-json` and `--set-literal` merge what helm merges. Each case's
//! `helm` is what helm v4.1.4 merged for it: `helm template x CHART -f
//! base.yaml FLAGS` on a chart whose one template is `{{ toJson .Values }}`
//! (the chart has no values of its own, so this is the merged values). The
//! tool's render of the same flags must equal its render of that JSON given
//! as a values file.

use crate::common::{run, text};

const BASE: &str = "dbHost: db
externalRedis:
  cache: redis://cache:6379
  queue: redis://queue:6379
image:
  repository: frappe/erpnext
  tag: v16.1.0
worker:
  gunicorn:
    replicaCount: 2
    args: [--workers=4, --timeout=120]
    envVars: [{name: TZ, value: UTC}]
";

/// `(flags, what helm merged)`.
const CASES: &[(&[&str], &str)] = &[
    // A JSON list of objects, a comma inside a string.
    (
        &[
            "--set-json",
            r#"worker.gunicorn.envVars=[{"name":"LANG","value":"C.UTF-8"},{"name":"N","value":"1,2"}]"#,
        ],
        r#"{"dbHost":"db","externalRedis":{"cache":"redis://cache:6379","queue":"redis://queue:6379"},"image":{"repository":"frappe/erpnext","tag":"v16.1.0"},"worker":{"gunicorn":{"args":["--workers=4","--timeout=120"],"envVars":[{"name":"LANG","value":"C.UTF-8"},{"name":"N","value":"1,2"}],"replicaCount":2}}}"#,
    ),
    // A whole object merges as a values file: `args`, `envVars` and `image.repository` stay.
    (
        &[
            "--set-json",
            r#"{"worker":{"gunicorn":{"replicaCount":3}},"image":{"tag":"v16.2.0"}}"#,
        ],
        r#"{"dbHost":"db","externalRedis":{"cache":"redis://cache:6379","queue":"redis://queue:6379"},"image":{"repository":"frappe/erpnext","tag":"v16.2.0"},"worker":{"gunicorn":{"args":["--workers=4","--timeout=120"],"envVars":[{"name":"TZ","value":"UTC"}],"replicaCount":3}}}"#,
    ),
    // A list index.
    (
        &["--set-json", r#"worker.gunicorn.args[1]="--timeout=300""#],
        r#"{"dbHost":"db","externalRedis":{"cache":"redis://cache:6379","queue":"redis://queue:6379"},"image":{"repository":"frappe/erpnext","tag":"v16.1.0"},"worker":{"gunicorn":{"args":["--workers=4","--timeout=300"],"envVars":[{"name":"TZ","value":"UTC"}],"replicaCount":2}}}"#,
    ),
    // `3.0` is the float 3 to helm; an object at a path replaces the map whole.
    (
        &[
            "--set-json",
            r#"worker.gunicorn.replicaCount=3.0,image={"repository":"registry.example.com/erp","tag":"v1"}"#,
        ],
        r#"{"dbHost":"db","externalRedis":{"cache":"redis://cache:6379","queue":"redis://queue:6379"},"image":{"repository":"registry.example.com/erp","tag":"v1"},"worker":{"gunicorn":{"args":["--workers=4","--timeout=120"],"envVars":[{"name":"TZ","value":"UTC"}],"replicaCount":3}}}"#,
    ),
    // Helm's order, whatever the command line's: --set-json, --set, --set-string, --set-file, --set-literal.
    (
        &[
            "--set-literal",
            "image.tag=v9",
            "--set",
            "image.tag=v2",
            "--set-json",
            r#"image.tag="v1""#,
            "--set-json",
            "worker.gunicorn.replicaCount=5",
            "--set",
            "worker.gunicorn.replicaCount=4",
        ],
        r#"{"dbHost":"db","externalRedis":{"cache":"redis://cache:6379","queue":"redis://queue:6379"},"image":{"repository":"frappe/erpnext","tag":"v9"},"worker":{"gunicorn":{"args":["--workers=4","--timeout=120"],"envVars":[{"name":"TZ","value":"UTC"}],"replicaCount":4}}}"#,
    ),
    // A literal value: commas, braces and backslashes as written.
    (
        &["--set-literal", r"worker.gunicorn.envVars[0].value=a,b{c}\d"],
        r#"{"dbHost":"db","externalRedis":{"cache":"redis://cache:6379","queue":"redis://queue:6379"},"image":{"repository":"frappe/erpnext","tag":"v16.1.0"},"worker":{"gunicorn":{"args":["--workers=4","--timeout=120"],"envVars":[{"name":"TZ","value":"a,b{c}\\d"}],"replicaCount":2}}}"#,
    ),
    // An integer past 2^53 is the float helm holds (2^53 + 1 rounds to 2^53).
    (
        &["--set-json", "image.tag=9007199254740993"],
        r#"{"dbHost":"db","externalRedis":{"cache":"redis://cache:6379","queue":"redis://queue:6379"},"image":{"repository":"frappe/erpnext","tag":9007199254740992},"worker":{"gunicorn":{"args":["--workers=4","--timeout=120"],"envVars":[{"name":"TZ","value":"UTC"}],"replicaCount":2}}}"#,
    ),
    // An empty value is null; an object at a list index.
    (
        &[
            "--set-json",
            r#"worker.gunicorn.args=,worker.gunicorn.envVars[0]={"name":"TZ","value":"Europe/Paris"}"#,
        ],
        r#"{"dbHost":"db","externalRedis":{"cache":"redis://cache:6379","queue":"redis://queue:6379"},"image":{"repository":"frappe/erpnext","tag":"v16.1.0"},"worker":{"gunicorn":{"args":null,"envVars":[{"name":"TZ","value":"Europe/Paris"}],"replicaCount":2}}}"#,
    ),
];

#[test]
fn set_json_and_set_literal_merge_what_helm_merges() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.yaml");
    std::fs::write(&base, BASE).unwrap();
    let base = base.to_str().unwrap();
    for (n, (flags, helm)) in CASES.iter().enumerate() {
        let merged = dir.path().join(format!("helm-{n}.json"));
        std::fs::write(&merged, helm).unwrap();
        let mut args = vec!["render", "-f", base];
        args.extend_from_slice(flags);
        let with_flags = run(&args);
        assert!(with_flags.status.success(), "{flags:?}: {}", text(&with_flags.stderr));
        let as_helm_merged = run(&["render", "-f", merged.to_str().unwrap()]);
        assert!(as_helm_merged.status.success(), "{}", text(&as_helm_merged.stderr));
        assert_eq!(text(&with_flags.stdout), text(&as_helm_merged.stdout), "{flags:?}");
    }
}

/// Every command that takes `--set` takes the two flags.
#[test]
fn every_command_with_set_takes_set_json_and_set_literal() {
    for command in ["render", "lint", "diff", "takeover"] {
        let help = text(&run(&[command, "--help"]).stdout);
        for flag in ["--set <KEY=VALUE>", "--set-json <KEY=JSON>", "--set-literal <KEY=VALUE>"] {
            assert!(help.contains(flag), "`{command} --help` has no `{flag}`:\n{help}");
        }
    }
}

/// A bad `--set-json` or `--set-literal` argument is reported at its place
/// in the argument, with exit code 1 (2 where the input is over a bound
/// that stops the run), and renders nothing.
#[test]
fn bad_set_json_and_set_literal_arguments_are_reported_where_they_are() {
    let minimal = "examples/minimal.yaml";
    let deep = format!("a={}{}", "[".repeat(200), "]".repeat(200));
    let cases: &[(&str, &str, &str)] = &[
        (
            "--set-json",
            r#"worker.gunicorn.replicaCount="3""#,
            "--set-json:1:30: error[invalid-type]: `worker.gunicorn.replicaCount`: expected an integer, found the string \"3\"",
        ),
        (
            "--set-json",
            r#"{"dbPort":true}"#,
            "--set-json:1:1: error[invalid-type]: `dbPort`: expected an integer, found `true`",
        ),
        (
            "--set-json",
            "image.tag=v16",
            "--set-json:1:11: error[invalid-set]: invalid JSON: expected value",
        ),
        (
            "--set-json",
            r#"a="x"y"#,
            "--set-json:1:6: error[invalid-set]: unexpected text after the JSON value",
        ),
        (
            "--set-json",
            r#"{"a":[1,2}"#,
            "--set-json:1:10: error[invalid-set]: invalid JSON: expected `,` or `]`",
        ),
        (
            "--set-json",
            r#"{"a":1} x"#,
            "--set-json:1:9: error[invalid-set]: invalid JSON: trailing characters",
        ),
        (
            "--set-json",
            "a=1e400",
            "--set-json:1:7: error[invalid-set]: invalid JSON: number out of range",
        ),
        (
            "--set-json",
            r#"a="\x""#,
            "--set-json:1:5: error[invalid-set]: invalid JSON: invalid escape",
        ),
        (
            "--set-json",
            r#"a="\udc00""#,
            "--set-json:1:9: error[invalid-set]: invalid JSON: lone leading surrogate in hex escape",
        ),
        (
            "--set-json",
            &deep,
            "--set-json:1:130: error[input-limit]: the JSON value, with its path, is nested more than 128 levels deep",
        ),
        (
            "--set-json",
            "image",
            "--set-json:1:1: error[invalid-set]: this assignment has no `=`",
        ),
        (
            "--set-json",
            r#"externalRedis="x""#,
            "--set-json:1:15: error[merge-conflict]: `--set-json` treats `externalRedis` as a scalar, but the values make it a map",
        ),
        (
            "--set-literal",
            "image.tag",
            "--set-literal:1:1: error[invalid-set]: this assignment has no `=`",
        ),
        (
            "--set-literal",
            r"image\.tag=v1",
            "--set-literal:1:1: error[unknown-key]: unknown key `image\\`",
        ),
        (
            "--set-literal",
            "worker.gunicorn.replicaCount=3",
            "--set-literal:1:30: error[invalid-type]: `worker.gunicorn.replicaCount`: expected an integer, found the string \"3\"",
        ),
    ];
    for (flag, argument, expected) in cases {
        let output = run(&["render", "-f", minimal, flag, argument, "--color", "never"]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{flag} {argument}: {stderr}");
        assert!(output.stdout.is_empty(), "{flag} {argument} renders");
        let problems = lint_lines(minimal, flag, argument);
        assert!(problems.contains(expected), "{flag} {argument}: no `{expected}` in\n{problems}");
    }
    // A lone surrogate, which helm reads as U+FFFD: the help says what to write.
    let output = run(&["render", "-f", minimal, "--set-json", r#"a="\ud800""#, "--color", "never"]);
    assert!(text(&output.stderr).contains("only in a pair"), "{}", text(&output.stderr));
}

/// What `lint --format json` reports, a line `FILE:LINE:COL: severity[code]: message` each.
fn lint_lines(file: &str, flag: &str, argument: &str) -> String {
    let output = run(&["lint", "--format", "json", file, flag, argument]);
    let problems: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    problems
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}:{}:{}: {}[{}]: {}",
                p["file"].as_str().unwrap_or("-"),
                p["line"],
                p["column"],
                p["severity"].as_str().unwrap(),
                p["code"].as_str().unwrap(),
                p["message"].as_str().unwrap()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
