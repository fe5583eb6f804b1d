//! Nothing secret is printed: every output that quotes the values (lint in
//! each format, render's and the kustomize generator's stderr, the KRM
//! function's results) masks passwords, tokens and URL user-info, wherever
//! and however they are written, and still says where each problem is.

use frappe_manifests::diagnostic::{Code, Colour, render_human};
use frappe_manifests::pipeline::{self, Input, Request};
use serde_json::Value;

use crate::common::{project_root, run, run_with_stdin, snapshot_settings, text};

const VALUES: &str = "tests/fixtures/masking/values.yaml";
const REDIS_URL: &str = "tests/fixtures/masking/redis-url.yaml";
const BROKEN: &str = "tests/fixtures/masking/broken.yaml";
const MINIMAL_FILE: &str = "examples/minimal.yaml";
const SET_PASSWORD: &str = "dbRootPassword=Set-Secret-77";
const SET_URL: &str = "externalRedis.cache=redis://:Set-Secret-88@cache-set:0";

/// Every secret the fixtures and `--set` arguments hold, in each form it is
/// written or meant (the quoted one as written, with its escapes, and as read).
const SECRETS: &[&str] = &[
    r#"Quoted \"Qx\" Secret-11"#,
    r#"Quoted "Qx" Secret-11"#,
    "Secret-11",
    "Qx",
    "Cache-Secret-22",
    "queue-user",
    "Queue-Secret-33",
    "Block-Secret-44",
    "Block-Secret-45",
    "Flow-Secret-55",
    "Smtp-Secret-66",
    "Broken-Secret-12",
    "Set-Secret-77",
    "Set-Secret-88",
];

fn assert_no_secret(what: &str, output: &str) {
    for secret in SECRETS {
        assert!(!output.contains(secret), "{what} prints `{secret}`:\n{output}");
    }
}

/// `lint` of every fixture, once without and once with the `--set` arguments.
fn lint(format: &str) -> Vec<String> {
    let plain = run(&["lint", "--format", format, VALUES, REDIS_URL, BROKEN]);
    let set = run(&["lint", "--format", format, "--set", SET_PASSWORD, "--set", SET_URL, VALUES]);
    [plain, set]
        .iter()
        .map(|output| {
            assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
            assert_no_secret(&format!("lint --format {format} (stderr)"), &text(&output.stderr));
            text(&output.stdout)
        })
        .collect()
}

#[test]
fn lint_in_human_form_masks_every_secret_and_keeps_each_location() {
    let [plain, set] = <[String; 2]>::try_from(lint("human")).unwrap();
    for output in [&plain, &set] {
        assert_no_secret("lint --format human", output);
    }
    for located in [
        "values.yaml:3:17\n  |\n3 | dbRootPassword: ***\n  |                 ^^^",
        "values.yaml:11:7\n   |\n11 |       ***\n   |       ^^^",
        "13 |   createMultipleSites: {enabled: false, adminPassword: ***, bogusKey: 1}\n   |                                                             ^^^^^^^^",
        "17 |       - {name: SMTP_PASSWORD, value: ***, bogus: 1}",
        "19 |     replicaCount: -1 # the SMTP password was *** before, and cache ***",
        "`rediss://***@queue:99999/0` is not a Redis URL",
        "broken.yaml:4:1\n  |\n4 | ***",
    ] {
        assert!(plain.contains(located), "lint does not show\n{located}\nin\n{plain}");
    }
    for located in [
        "--set:1:16\n  |\n1 | dbRootPassword=***\n  |                ^^^",
        "`redis://***@cache-set:0`",
    ] {
        assert!(set.contains(located), "lint does not show\n{located}\nin\n{set}");
    }
}

#[test]
fn lint_as_json_masks_every_secret_and_keeps_each_location() {
    let outputs = lint("json");
    let items: Vec<Vec<Value>> = outputs
        .iter()
        .map(|output| {
            assert_no_secret("lint --format json", output);
            serde_json::from_str(output).unwrap()
        })
        .collect();
    let find = |run: usize, code: &str, file_end: &str| {
        items[run]
            .iter()
            .find(|i| i["code"] == code && i["file"].as_str().unwrap().ends_with(file_end))
            .unwrap_or_else(|| panic!("no {code} in {file_end}: {:#?}", items[run]))
    };
    let url = find(0, "invalid-redis-url", "redis-url.yaml");
    assert_eq!((&url["line"], &url["column"]), (&Value::from(5), &Value::from(10)));
    assert!(
        url["message"]
            .as_str()
            .unwrap()
            .starts_with("`rediss://***@queue:99999/0` is not a Redis URL")
    );
    let password = find(0, "plaintext-password", "values.yaml");
    assert_eq!((&password["line"], &password["column"]), (&Value::from(3), &Value::from(17)));
    let url = find(1, "invalid-redis-url", "--set");
    assert!(url["message"].as_str().unwrap().starts_with("`redis://***@cache-set:0`"));
    let password = find(1, "plaintext-password", "--set");
    assert_eq!(password["column"], 16);
}

#[test]
fn lint_for_github_masks_every_secret_and_keeps_each_location() {
    let outputs = lint("github");
    for output in &outputs {
        assert_no_secret("lint --format github", output);
    }
    assert!(
        outputs[0].lines().any(
            |l| l.starts_with("::error file=tests/fixtures/masking/redis-url.yaml,line=5,col=10")
                && l.contains("title=invalid-redis-url::`rediss://***@queue:99999/0`")
        ),
        "{}",
        outputs[0]
    );
    assert!(
        outputs[1]
            .lines()
            .any(|l| l.starts_with("::warning file=--set,line=1,col=16") && l.contains("plaintext-password"))
    );
}

#[test]
fn lint_as_sarif_masks_every_secret_and_keeps_each_location() {
    for output in lint("sarif") {
        assert_no_secret("lint --format sarif", &output);
        let log: Value = serde_json::from_str(&output).unwrap();
        let results = log["runs"][0]["results"].as_array().unwrap();
        let url = results
            .iter()
            .find(|r| r["ruleId"] == "invalid-redis-url")
            .expect("the Redis URL is reported");
        assert!(url["message"]["text"].as_str().unwrap().contains("://***@"));
        assert!(url["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().is_some());
    }
}

#[test]
fn render_prints_no_secret_on_stderr() {
    for args in [
        vec!["render", "-f", VALUES],
        vec!["render", "-f", REDIS_URL],
        vec!["render", "-f", BROKEN],
        vec!["render", "-f", VALUES, "--set", SET_PASSWORD, "--set", SET_URL],
    ] {
        let output = run(&args);
        assert_eq!(output.status.code(), Some(1));
        assert!(output.stdout.is_empty());
        let stderr = text(&output.stderr);
        assert_no_secret(&args.join(" "), &stderr);
        assert!(stderr.contains("***"), "{stderr}");
    }
}

/// A misspelt or run-together password key is the one a diagnostic quotes
/// ("unknown key; did you mean `dbRootPassword`?"): its value is masked
/// like the correctly spelt key's.
#[test]
fn misspelt_and_run_together_password_keys_are_masked() {
    let values = "dbRootPasword: Typo-Secret-1\ndbrootpassword: Joined-Secret-2\nadminPassowrd: Swapped-Secret-3\n\
                  worker:\n  gunicorn:\n    envVars:\n      - {name: PGPASSWORD, value: Env-Secret-4, valueFrm: x}\n";
    for format in ["human", "json", "github", "sarif"] {
        let output = run_with_stdin(&["lint", "--format", format, MINIMAL_FILE, "-"], Some(values.as_bytes()));
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
        let shown = format!("{}{}", text(&output.stdout), text(&output.stderr));
        for secret in ["Typo-Secret-1", "Joined-Secret-2", "Swapped-Secret-3", "Env-Secret-4"] {
            assert!(!shown.contains(secret), "lint --format {format} prints `{secret}`:\n{shown}");
        }
        assert!(shown.contains("dbRootPasword"), "{shown}");
    }
    let output = run(&["render", "-f", MINIMAL_FILE, "--set-string", "dbrootpassword=Set-Joined-5"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        !stderr.contains("Set-Joined-5") && stderr.contains("dbrootpassword=***"),
        "{stderr}"
    );
}

/// A text that does not parse still prints no secret: not in the lines an
/// unclosed bracket or quote swallowed, nor after the error, where the
/// parse never went (an env var's `value` too); nor in a URL that a byte
/// that is not UTF-8 cuts before its `@`; nor in an argument written without
/// its `=` or its `--set`, which clap may take for a file or an unexpected
/// argument. Nor a password that YAML reads as a tag.
#[test]
fn inputs_that_do_not_parse_print_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let unclosed = write(
        "unclosed.yaml",
        b"dbHost: db\nimage: {repository: x\ndbRootPassword: Swallowed-Secret-1\n",
    );
    let after = write(
        "after.yaml",
        b"dbHost: db\nimage: [\n  - {tag: x, adminPassword: Flow-After-2}\njobs:\n  backup:\n    s3:\n      secretAccessKey: After-Secret-3\n",
    );
    let cut = write(
        "cut.yaml",
        b"dbHost: db\nexternalRedis:\n  cache: redis://user:Cut-Sec\xffret-4@cache:6379\n",
    );
    let env = write(
        "env.yaml",
        b"worker:\n  gunicorn:\n    envVars:\n      - name: DB_PASSWORD\n\tvalue: Env-After-8\n",
    );
    let tagged = write("tagged.yaml", b"dbHost: db\ndbRootPassword: !Tag-Secret-9 x\n");
    let cases: [Vec<&str>; 10] = [
        vec!["lint", &unclosed],
        vec!["lint", &after],
        vec!["lint", &cut],
        vec!["lint", &env],
        vec!["lint", &tagged],
        vec!["lint", MINIMAL_FILE, "--set", "dbRootPassword No-Equals-5"],
        vec![
            "lint",
            MINIMAL_FILE,
            "--set",
            "dbRootPassword",
            "No-Equals-10",
            "--set",
            "adminPassword No-Equals-11:x",
        ],
        vec!["render", "--set", "dbRootPassword", "No-Equals-10"],
        vec![
            "lint",
            MINIMAL_FILE,
            "dbRootPassword=No-Set-6",
            "https://user:Url-Name-7@example.com/values.yaml",
        ],
        vec!["lint", "PGPASSWORD=No-Set-6", "user:Url-Name-7@host:values.yaml"],
    ];
    let secrets = [
        "Swallowed-Secret-1",
        "Flow-After-2",
        "After-Secret-3",
        "Cut-Sec",
        "No-Equals-5",
        "No-Set-6",
        "Url-Name-7",
        "Env-After-8",
        "Tag-Secret-9",
        "No-Equals-10",
        "No-Equals-11",
    ];
    for args in &cases {
        for format in ["human", "json", "github", "sarif"] {
            let mut args = args.clone();
            if args[0] == "lint" {
                args.extend(["--format", format]);
            }
            let output = run(&args);
            assert_ne!(output.status.code(), Some(0), "{args:?}");
            let shown = format!("{}{}", text(&output.stdout), text(&output.stderr));
            for secret in secrets {
                assert!(!shown.contains(secret), "{args:?} prints `{secret}`:\n{shown}");
            }
            if format == "human" {
                assert!(shown.contains("***"), "{args:?}:\n{shown}");
            }
        }
    }
}

/// A secret where no secret key says so: a Redis URL or host written
/// without its scheme, a shortened or misspelt password key (quoted by
/// "did you mean `dbRootPassword`?"), an assignment written as a value,
/// the password given to `--set-file` in place of its path.
#[test]
fn secrets_written_the_wrong_way_print_no_secret() {
    let values = "dbHost: \"root:Wrong-Way-1@db\"\nexternalRedis:\n  cache: \"default:Wrong-Way-2@cache:6379\"\n  queue: redis://q:6379\n\
                  dbRootPw: Wrong-Way-3\nadminPsswd: Wrong-Way-4\njobs:\n  createSite: \"adminPassword=Wrong-Way-5\"\n";
    for format in ["human", "json", "github", "sarif"] {
        let output = run_with_stdin(
            &["lint", "--format", format, "-", "--set-file", "dbRootPassword=Wrong-Way-6"],
            Some(values.as_bytes()),
        );
        assert_ne!(output.status.code(), Some(0));
        let shown = format!("{}{}", text(&output.stdout), text(&output.stderr));
        for n in 1..=6 {
            assert!(
                !shown.contains(&format!("Wrong-Way-{n}")),
                "lint --format {format} prints Wrong-Way-{n}:\n{shown}"
            );
        }
        assert!(shown.contains("dbRootPw"), "{shown}");
    }
}

/// A password given with `--set-file` (a password file, line break and
/// all) or `--set-string`, in a list or alone, is masked wherever a
/// diagnostic quotes it, in every format; and it still reaches the Secret.
#[test]
fn set_file_and_set_string_print_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let password_file = dir.path().join("db-root-password");
    std::fs::write(&password_file, "File-Secret-99\n").unwrap();
    let from_file = format!("dbRootPassword={}", password_file.display());
    // A message quotes the value: the password where a number is wanted.
    let quoted = format!("dbPort={}", password_file.display());
    for args in [
        vec!["render", "-f", VALUES, "--set-file", &from_file],
        vec!["lint", "--format", "json", VALUES, "--set-file", &from_file],
        vec!["lint", "--format", "sarif", VALUES, "--set-file", &from_file],
        vec!["render", "-f", VALUES, "--set-file", &from_file, "--set-file", &quoted],
        vec!["render", "-f", VALUES, "--set-string", "dbRootPassword=String-Secret-98"],
        vec![
            "render",
            "-f",
            VALUES,
            "--set-string",
            "jobs.createSite.adminPassword={List-Secret-97}",
        ],
    ] {
        let output = run(&args);
        let printed = text(&output.stderr) + &text(&output.stdout);
        for secret in ["File-Secret-99", "String-Secret-98", "List-Secret-97"] {
            assert!(!printed.contains(secret), "{} prints `{secret}`:\n{printed}", args.join(" "));
        }
        if args[0] == "render" {
            assert!(printed.contains("***"), "{}: {printed}", args.join(" "));
        }
    }

    let values = format!("{}dbRootPassword: placeholder\n", crate::common::MINIMAL);
    let file = format!("dbRootPassword={}", password_file.display());
    let output = run_with_stdin(&["render", "-f", "-", "--set-file", &file], Some(values.as_bytes()));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let docs = crate::common::documents(&text(&output.stdout));
    let secret = docs.iter().find(|d| d["kind"] == "Secret").expect("a Secret");
    // "File-Secret-99\n", base64: the file's content exactly, as helm sets it.
    assert_eq!(secret["data"]["db-root-password"], "RmlsZS1TZWNyZXQtOTkK");
}

/// A password in the generator's inline values and its `set` map, seen by
/// the kustomize exec plugin (stderr) and the KRM function (results).
/// `--set-json` and `--set-literal` values are masked as `--set` ones are:
/// under a secret key (at any depth of a JSON object, or as an env var's
/// `value`), in a URL's user-info, and in an argument that does not parse,
/// whatever the error (an unclosed string or object, a value that is no
/// JSON, a bad value next to the secret); and with a key given twice.
#[test]
fn set_json_and_set_literal_print_no_secret() {
    let cases: &[(&str, &str)] = &[
        (
            "--set-json",
            r#"externalRedis={"cache":"redis://:Json-Secret-1@h:6379","queue":"redis://q:6379"}"#,
        ),
        ("--set-json", r#"{"dbRootPassword":"Json-Secret-2"}"#),
        (
            "--set-json",
            r#"{"jobs":{"createSite":{"adminPassword":"Json-Secret-3"}},"dbPort":"x"}"#,
        ),
        (
            "--set-json",
            r#"worker.gunicorn.envVars=[{"name":"DB_PASSWORD","value":"Json-Secret-4"}]"#,
        ),
        ("--set-json", r#"dbRootPassword="Json-Secret-5"#),
        ("--set-json", r#"{"dbRootPassword":"Json-Secret-6""#),
        ("--set-json", r#"externalRedis.cache="redis://:Json-Secret-7@h:6379"#),
        ("--set-json", "dbRootPassword=Json-Secret-8"),
        (
            "--set-json",
            r#"{"dbRootPassword":"Json-Secret-9","dbRootPassword":"Json-Secret-10"}"#,
        ),
        ("--set-json", r#"dbRootPassword="Json-Secret-11",dbPort=tru"#),
        ("--set-json", r#"dbRootPassword="Json\u002dSecret-12""#),
        // Secrets written with escapes where no key names them: a command's
        // password, a URL's. The whole JSON value is masked.
        (
            "--set-json",
            r#"{"worker":{"gunicorn":{"args":["mysql","-pJson\u002dSecret-17"]}},"dbPort":"x"}"#,
        ),
        ("--set-json", r#"externalRedis.cache="redis://:Json\u002dSecret-18@h:6379""#),
        // Of a key given twice the last counts, as in helm; the first is
        // masked with the whole value.
        (
            "--set-json",
            r#"worker.gunicorn.envVars=[{"name":"DB_PASSWORD","value":"Json-Secret-15","value":"x"}]"#,
        ),
        ("--set-literal", r"dbRootPassword=Literal,Secret{13}\x"),
        // Written as `--set key value`, its `=` forgotten: the word is taken for a values file.
        ("--set-literal", "dbRootPassword Literal-Secret-16"),
        ("--set-literal", "externalRedis.cache=redis://:Literal-Secret-14@h:6379,x"),
    ];
    let secrets = [
        "Json-Secret",
        "Secret-1",
        "Secret-2",
        "Secret-3",
        "Secret-4",
        "Secret-5",
        "Secret-6",
        "Secret-7",
        "Secret-8",
        "Secret-9",
        "Secret-10",
        "Secret-11",
        "Secret-12",
        "Secret{13}",
        "Literal-Secret",
        "Secret-15",
        "Secret-17",
        "Secret-18",
    ];
    for (flag, argument) in cases {
        let words: Vec<&str> = match argument.split_once(' ') {
            Some((key, word)) => vec![flag, key, word],
            None => vec![flag, argument],
        };
        let mut runs = vec![[&["render", "-f", MINIMAL_FILE][..], &words].concat()];
        for format in FORMATS {
            runs.push([&["lint", "--format", format, MINIMAL_FILE][..], &words].concat());
        }
        for args in runs {
            let output = run(&args);
            // What render prints on stdout is the bundle, whose env vars hold their values.
            let report = if args[0] == "lint" { text(&output.stdout) } else { String::new() };
            let printed = text(&output.stderr) + &report;
            for secret in secrets {
                assert!(!printed.contains(secret), "{} prints `{secret}`:\n{printed}", args.join(" "));
            }
            assert!(!printed.contains("unexpected argument"), "{}: {printed}", args.join(" "));
            // Each case has a diagnostic that shows the argument, masked
            // (clap's usage error about a stray word shows neither).
            if args[0] == "render" && words.len() == 2 {
                assert!(text(&output.stderr).contains("***"), "{}: {printed}", args.join(" "));
            }
        }
    }
}

#[test]
fn kustomize_prints_no_secret() {
    let values = std::fs::read_to_string(project_root().join(VALUES)).unwrap();
    let inline: String = values.lines().map(|l| format!("    {l}\n")).collect();
    let config = format!(
        "apiVersion: frappe-manifests/v1alpha1\nkind: FrappeBench\nmetadata: {{name: erp}}\nspec:\n  set: {{dbRootPassword: Set-Secret-77}}\n  values:\n{inline}"
    );
    let dir = std::env::temp_dir().join(format!("frappe-manifests-masking-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("generator.yaml");
    std::fs::write(&path, &config).unwrap();
    let plugin = run(&["kustomize-plugin", path.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(plugin.status.code(), Some(1));
    let stderr = text(&plugin.stderr);
    assert_no_secret("the kustomize plugin", &stderr);
    assert!(stderr.contains("dbRootPassword=***"), "{stderr}");

    let function_config: String = config.lines().map(|l| format!("  {l}\n")).collect();
    let list = format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n{function_config}");
    let krm = run_with_stdin(&["krm"], Some(list.as_bytes()));
    assert_eq!(krm.status.code(), Some(1));
    let results = text(&krm.stdout);
    assert_no_secret("the KRM function", &results);
    assert!(results.contains("[unknown-key]") && results.contains("field:"), "{results}");

    // A ResourceList that does not parse: the parser's message quotes it.
    let broken = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n  spec:\n    values:\n      dbRootPassword: Smtp-Secret-66 : x\n";
    let krm = run_with_stdin(&["krm"], Some(broken.as_bytes()));
    assert_eq!(krm.status.code(), Some(1));
    assert_no_secret("the KRM function on a broken list", &text(&krm.stdout));
}

/// The masked human rendering of the diagnostics that quote a secret.
#[test]
fn masked_rendering() {
    let mut shown = String::new();
    for (files, sets) in [
        (vec![VALUES, REDIS_URL, BROKEN], vec![]),
        (vec![VALUES], vec![SET_PASSWORD, SET_URL]),
    ] {
        for file in &files {
            let outcome = pipeline::run(&Request {
                files: vec![Input::Path(project_root().join(file))],
                sets: sets.iter().map(|s| (*s).to_owned()).collect(),
                ..Default::default()
            });
            // With `--set`, only what the arguments' lines show is new.
            let quoting: Vec<_> = outcome
                .diagnostics
                .iter()
                .filter(|d| d.code != Code::MissingRequests)
                .filter(|d| sets.is_empty() || d.span.is_some_and(|s| outcome.sources.name(s.file) == "--set"))
                .cloned()
                .collect();
            shown.push_str(&render_human(&outcome.sources, &quoting, Colour::Plain));
        }
    }
    let shown = shown.replace(&project_root().display().to_string(), "<root>");
    assert_no_secret("render_human", &shown);
    snapshot_settings().bind(|| insta::assert_snapshot!("masked-secrets", shown));
}

/// The loader finds a text's secrets during its own parse, so that masking
/// never parses it again; what it records is what the text holds, whatever
/// stopped the loader: the same as found from the text alone.
#[test]
fn the_loader_records_every_secret_of_the_text_it_reads() {
    let mut texts: Vec<(String, String)> = Vec::new();
    for dir in ["tests/fixtures/rules", "tests/fixtures/masking", "examples"] {
        for entry in std::fs::read_dir(project_root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                texts.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let secret_later = "dbRootPassword: Late-Secret-99\n";
    let deep: String = (0..130).map(|level| format!("{}k:\n", "  ".repeat(level))).collect();
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n";
    // Texts the loader stops reading before their end.
    let stopped = [
        ("a second document", format!("dbHost: db\n---\n{secret_later}")),
        ("too deep", format!("{deep}{secret_later}")),
        ("an alias bomb", format!("{bomb}{secret_later}")),
        ("broken in a secret", "a: 1\ndbRootPassword: \"hunter2\nb: 2\n".to_owned()),
    ];
    for (name, text) in &stopped {
        let mut sources = frappe_manifests::source::Sources::default();
        let file = sources.add(*name, text.clone());
        assert!(frappe_manifests::load::load(&sources, file).is_err(), "{name} loads");
        texts.push(((*name).to_owned(), text.clone()));
    }
    for (name, text) in texts {
        let mut loaded = frappe_manifests::source::Sources::default();
        let file = loaded.add(name.clone(), text.clone());
        let _ = frappe_manifests::load::load(&loaded, file);
        let mut unread = frappe_manifests::source::Sources::default();
        let same = unread.add(name.clone(), text);
        assert_eq!(loaded.file_secrets(file), unread.file_secrets(same), "{name}");
    }
}

/// Whatever a Redis URL's password holds (`/ ? # @ ,`, percent-escapes, a
/// `?password=`, a name alone before the `@`), no output quotes a piece of
/// it: the URL parser and the masker agree on where the user-info ends.
/// Every secret piece below holds `Leak`.
#[test]
fn redis_urls_print_no_credential_whatever_it_holds() {
    let refused = [
        "redis://u:Leak1/Leak1b@q.example.com:6379",
        "redis://u:Leak2?Leak2b@q.example.com:6379",
        "redis://u:Leak3#Leak3b@q.example.com:6379",
        "redis://u:Leak4,Leak4b@q.example.com:abc",
        "redis://u:Leak5@Leak5b@q.example.com:0",
        "redis://u:Leak%2F6%40@q.example.com:99999",
        "redis://u:x@q.example.com:6379/0?password=Leak7",
        "redis://q.example.com:6379/0?password=Leak8/Leak8b&ssl_cert_reqs=none",
        "redis://q.example.com:6379/x?password=Leak9",
        "redis://Leak10@q.example.com",
    ];
    let dir = tempfile::tempdir().unwrap();
    for (n, url) in refused.iter().enumerate() {
        let file = dir.path().join(format!("url-{n}.yaml"));
        std::fs::write(
            &file,
            format!("dbHost: db\nexternalRedis:\n  cache: redis://cache:6379\n  queue: '{url}'\n"),
        )
        .unwrap();
        let file = file.to_str().unwrap();
        for args in [
            vec!["lint", "--format", "human", file],
            vec!["lint", "--format", "json", file],
            vec!["lint", "--format", "github", file],
            vec!["lint", "--format", "sarif", file],
            vec!["render", "-f", file],
            vec![
                "render",
                "-f",
                file,
                "--set-string",
                &format!("externalRedis.cache={}", url.replace(',', "\\,")),
            ],
        ] {
            let output = run(&args);
            let printed = text(&output.stdout) + &text(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{url}: {printed}");
            assert!(printed.contains("invalid-redis-url"), "{url}: {printed}");
            assert!(
                !printed.contains("Leak"),
                "{url}: {} prints a credential:\n{printed}",
                args[..3].join(" ")
            );
        }
    }

    // A query password is a password: in the Secret, nowhere else, and
    // masked wherever a diagnostic quotes the URL.
    let values = "dbHost: db\nexternalRedis:\n  cache: redis://cache:6379\n  queue: redis://q:6379/0?password=Leak%2Fquery\n";
    let output = run_with_stdin(&["render", "-f", "-"], Some(values.as_bytes()));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("plaintext-password") && !stderr.contains("Leak"), "{stderr}");
    let docs = crate::common::documents(&text(&output.stdout));
    for doc in docs.iter().filter(|d| d["kind"] != "Secret") {
        assert!(!doc.to_string().contains("Leak"), "{doc}");
    }
    let secret = docs.iter().find(|d| d["kind"] == "Secret").unwrap();
    // "Leak/query", base64: decoded, as Redis receives it.
    assert_eq!(secret["data"]["redis-queue-password"], "TGVhay9xdWVyeQ==");
}

/// A URL's user-info without `:` is a user name to redis-py: the ACL user
/// (`rediss://default@host`) whose password `existingSecret` gives. It is
/// masked where an `@` follows it (it may be a password lacking its `:`,
/// `Leak10` above), never where the same word is a key.
#[test]
fn an_acl_user_name_is_masked_only_before_its_at() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("acl.yaml");
    std::fs::write(
        &file,
        "dbHost: db\nexternalRedis:\n  cache: rediss://default@cache:6380/0\n  queue: rediss://default@queue:6380/1\n  existingSecret: redis\n# default@queue was the old one\n",
    )
    .unwrap();
    let output = run(&["lint", "--format", "json", file.to_str().unwrap()]);
    let printed = text(&output.stdout) + &text(&output.stderr);
    assert!(printed.contains("`worker.default` has no CPU or memory requests"), "{printed}");
    assert!(!printed.contains("worker.***"), "{printed}");
}

/// A user name alone is masked where it is written even when its `@` is
/// not on the line shown (a folded or escaped URL), and in a message after
/// `://`; a flag under a secret-sounding key hides no other `false`; a key
/// that names a secret by its last word does so when a broken `--set`
/// carries it.
#[test]
fn user_names_flags_and_last_words_are_masked_where_they_are_written() {
    let base = "dbHost: db.internal\nexternalRedis:\n  cache: redis://cache:6379\n";
    let dir = tempfile::tempdir().unwrap();
    for (n, queue) in [
        "  queue: redis://Leak-User-1\n    @queue:6379\n",
        "  queue: \"redis://Leak-User-2\\x40queue:6379\"\n",
        "  queue: \"redis://Leak-User-3\\\n    @queue:6379\"\n",
    ]
    .iter()
    .enumerate()
    {
        let file = dir.path().join(format!("user-{n}.yaml"));
        std::fs::write(&file, format!("{base}{queue}")).unwrap();
        let file = file.to_str().unwrap();
        for format in ["human", "json", "github", "sarif"] {
            let output = run(&["lint", "--format", format, file]);
            let printed = text(&output.stdout) + &text(&output.stderr);
            assert!(!printed.contains("Leak"), "{queue} ({format}):\n{printed}");
        }
    }

    let flags = dir.path().join("flags.yaml");
    std::fs::write(
        &flags,
        format!("{base}  queue: redis://queue:6379\ningress:\n  annotations:\n    nginx.ingress.kubernetes.io/enable-global-auth: \"false\"\npersistence:\n  worker:\n    enabled: maybe\n"),
    )
    .unwrap();
    let output = run(&["lint", flags.to_str().unwrap()]);
    let printed = text(&output.stdout) + &text(&output.stderr);
    assert!(printed.contains("expected `true` or `false`, found `maybe`"), "{printed}");

    let broken = dir.path().join("base.yaml");
    std::fs::write(&broken, format!("{base}  queue: redis://queue:6379\n")).unwrap();
    for set in ["redisAuth[=Leak-Auth-1", "externalRedis.auth[0=Leak-Auth-2"] {
        let output = run(&["lint", broken.to_str().unwrap(), "--set", set]);
        let printed = text(&output.stdout) + &text(&output.stderr);
        assert!(printed.contains("invalid-set") && !printed.contains("Leak"), "{set}:\n{printed}");
    }
}

/// An env var `{name: DB_PASSWORD, value: …}` is masked however `--set`
/// and the files give its two halves: in one argument, in two, or one half
/// in a file.
#[test]
fn secret_env_vars_given_with_set_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    let name_file = dir.path().join("name.yaml");
    std::fs::write(&name_file, "worker:\n  gunicorn:\n    envVars: [{name: DB_PASSWORD}]\n").unwrap();
    let value_file = dir.path().join("value.yaml");
    std::fs::write(
        &value_file,
        "worker:\n  gunicorn:\n    envVars: [{name: LOG_LEVEL, value: Leak-File-1}]\n",
    )
    .unwrap();
    let (name_file, value_file) = (name_file.to_str().unwrap(), value_file.to_str().unwrap());
    let name = "worker.gunicorn.envVars[0].name=DB_PASSWORD";
    let value = "worker.gunicorn.envVars[0].value=Leak-Set-2";
    let joined = format!("{name},{value}");
    for extra in [
        vec!["--set", &joined],
        vec!["--set", name, "--set", value],
        vec!["--set", value, "--set-string", name],
        vec!["-f", name_file, "--set", value],
        vec!["-f", value_file, "--set", name],
    ] {
        let mut render = vec!["render", "-f", MINIMAL_FILE];
        render.extend(&extra);
        let mut runs = vec![render];
        if extra[0] != "-f" {
            for format in ["json", "sarif"] {
                let mut lint = vec!["lint", "--format", format, MINIMAL_FILE];
                lint.extend(&extra);
                runs.push(lint);
            }
        }
        for args in runs {
            let output = run(&args);
            let printed = text(&output.stderr) + if args[0] == "lint" { text(&output.stdout) } else { String::new() }.as_str();
            assert!(printed.contains("plaintext-password"), "{}: {printed}", args.join(" "));
            assert!(!printed.contains("Leak"), "{} prints the value:\n{printed}", args.join(" "));
        }
    }
}

/// A `,` in a `--set` password cuts it into what reads as more assignments;
/// no message quotes those pieces, and the argument is refused.
#[test]
fn set_items_after_a_secret_are_never_quoted() {
    for argument in [
        "dbRootPassword=abc,Leak1",
        "dbRootPassword=ab,Leak2=ef",
        "dbRootPassword=ab,Leak3..x=1",
        "dbRootPassword=ab,Leak4[x]=1",
        "dbRootPassword={ab,Leak5",
        "jobs.createSite.adminPassword=ab,Leak6={x",
        "worker.gunicorn.envVars[0].name=DB_PASSWORD,worker.gunicorn.envVars[0].value=ab,Leak7",
    ] {
        for format in ["human", "json", "github", "sarif"] {
            let output = run(&["lint", "--format", format, MINIMAL_FILE, "--set", argument]);
            let printed = text(&output.stdout) + &text(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{argument}: {printed}");
            assert!(printed.contains("invalid-set"), "{argument}: {printed}");
            assert!(
                !printed.contains("Leak"),
                "{argument} ({format}) prints a piece of the password:\n{printed}"
            );
        }
    }
}

/// Nor does the message tell a cut password's length: it points at where
/// the secret starts, not at what follows it (a column past the password
/// would count its characters).
#[test]
fn set_refusals_after_a_secret_do_not_tell_its_length() {
    let printed = |argument: &str, format: &str| {
        let output = run(&["lint", "--format", format, MINIMAL_FILE, "--set", argument]);
        assert_eq!(output.status.code(), Some(1), "{argument}");
        text(&output.stdout) + &text(&output.stderr)
    };
    for format in ["human", "json", "github", "sarif"] {
        for (short, long) in [
            ("dbRootPassword=ab,image.tag=v1", "dbRootPassword=abcdefghijklmnop,image.tag=v1"),
            (
                "worker.gunicorn.envVars[0].name=DB_PASSWORD,worker.gunicorn.envVars[0].value=ab,x=1",
                "worker.gunicorn.envVars[0].name=DB_PASSWORD,worker.gunicorn.envVars[0].value=abcdefghijklmnop,x=1",
            ),
            // A secret list with text after it, or left open.
            ("dbRootPassword={ab}x", "dbRootPassword={abcdefghijklmnop}x"),
            ("dbRootPassword={ab,cd", "dbRootPassword={abcdefghijklmnop,cd"),
        ] {
            assert_eq!(printed(short, format), printed(long, format), "{format}");
        }
    }
}

/// Two secrets written in the same places: an output that differs between
/// them tells a secret's length.
const SHORT_AND_LONG: [&str; 2] = ["pw1", "pw1-and-twenty-seven-characters-more"];

const FORMATS: [&str; 4] = ["human", "json", "github", "sarif"];

/// What `lint --format FORMAT -f - ARGS` prints on both streams, of
/// `values` on stdin, with `SECRET` in the values and the arguments written
/// as `secret`, and `SECRET_FILE` in the arguments a file holding `secret`.
fn lint_with_secret(format: &str, values: &str, args: &[&str], secret: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret.txt");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    let args: Vec<String> = args
        .iter()
        .map(|arg| arg.replace("SECRET_FILE", secret_file.to_str().unwrap()).replace("SECRET", secret))
        .collect();
    let mut command = vec!["lint", "--format", format, "-f", "-"];
    command.extend(args.iter().map(String::as_str));
    let output = run_with_stdin(&command, Some(values.replace("SECRET", secret).as_bytes()));
    let printed = text(&output.stdout) + &text(&output.stderr);
    // The file's name is printed, and is another for each secret.
    printed.replace(secret_file.to_str().unwrap(), "<secret file>")
}

/// The formats in which what lint prints of `values` and `args` (see
/// [`lint_with_secret`]) differs for a short and a long secret, each with
/// the lines that differ. Every format must report each of `codes` and
/// print neither secret.
fn formats_telling_the_length(values: &str, args: &[&str], codes: &[&str]) -> Vec<String> {
    let mut told = Vec::new();
    for format in FORMATS {
        let [short, long] = SHORT_AND_LONG.map(|secret| lint_with_secret(format, values, args, secret));
        for code in codes {
            assert!(short.contains(code), "no {code} ({format}) in\n{short}");
        }
        assert!(!long.contains(SHORT_AND_LONG[0]), "{format} prints the secret:\n{long}");
        let differing: Vec<String> = short
            .lines()
            .zip(long.lines())
            .filter(|(short, long)| short != long)
            .map(|(short, long)| format!("{short}\n  vs {long}"))
            .collect();
        if short != long {
            told.push(format!("{format}, of {values:?} {args:?}:\n{}", differing.join("\n")));
        }
    }
    told
}

/// The column and end column of a diagnostic whose span covers a secret
/// cover its mask, whatever its length: a value under a secret key, the
/// credentials of a database or Redis URL, a `--set` or `--set-file`
/// secret, a merge conflict at one.
#[test]
fn no_column_tells_the_length_of_a_secret_the_span_covers() {
    let redis = "externalRedis:\n  cache: redis://cache:6379\n  queue: redis://queue:6379\n";
    let told = [
        (
            format!("dbHost: db\n{redis}dbRootPassword: SECRET\n"),
            vec![],
            vec!["plaintext-password"],
        ),
        (
            format!("dbHost: \"mysql://root:SECRET@db:3306\"\n{redis}"),
            vec![],
            vec!["invalid-host"],
        ),
        (
            "dbHost: db\nexternalRedis:\n  cache: redis://user:SECRET@cache:6379\n  queue: redis://queue:6379\n".to_owned(),
            vec![],
            vec!["plaintext-password"],
        ),
        (
            format!("dbHost: db\n{redis}"),
            vec!["--set", "dbRootPassword=SECRET"],
            vec!["plaintext-password"],
        ),
        (
            format!("dbHost: db\n{redis}"),
            vec!["--set-file", "dbRootPassword=SECRET_FILE"],
            vec!["plaintext-password"],
        ),
        (
            format!("dbHost: db\n{redis}dbRootPassword: {{a: 1}}\n"),
            vec!["--set", "dbRootPassword=SECRET"],
            vec!["merge-conflict"],
        ),
    ]
    .iter()
    .flat_map(|(values, args, codes)| formats_telling_the_length(values, args, codes))
    .collect::<Vec<_>>();
    assert!(told.is_empty(), "{}", told.join("\n\n"));
}

/// Nor does the column of a diagnostic after a secret on the same line: in
/// a flow mapping, after a URL's credentials, after a secret's text
/// elsewhere, in a `--set` argument (one line, whatever line break it
/// holds); nor after a secret on the line before, where a lone CR ends it,
/// as YAML reads it.
#[test]
fn no_column_tells_the_length_of_a_secret_before_it_on_the_line() {
    let redis = "externalRedis:\n  cache: redis://cache:6379\n  queue: redis://queue:6379\n";
    let told = [
        (
            format!(
                "dbHost: db\n{redis}dbRootPassword: x\njobs: {{createSite: {{enabled: true, siteName: a.b, adminPassword: SECRET, bogusKey: 1}}}}\n"
            ),
            vec![],
            "unknown-key",
        ),
        (
            format!(
                "dbHost: db\n{redis}worker: {{gunicorn: {{envVars: [{{name: DB_PASSWORD, value: SECRET}}, {{name: X, bogus: 1}}]}}}}\n"
            ),
            vec![],
            "unknown-key",
        ),
        (
            "dbHost: db\nexternalRedis: {cache: \"redis://user:SECRET@cache:6379\", queue: redis://queue:6379, bogusKey: 1}\n".to_owned(),
            vec![],
            "unknown-key",
        ),
        (
            format!("dbHost: db\n{redis}dbRootPassword: SECRET\nworker: {{gunicorn: {{nodeSelector: {{SECRET: []}}}}}}\n"),
            vec![],
            "invalid-type",
        ),
        (
            format!("dbHost: db\n{redis}"),
            vec![
                "--set",
                "externalRedis.cache=redis://user:SECRET@cache:6379,worker.gunicorn.replicaCount=x",
            ],
            "invalid-type",
        ),
        (
            format!("dbHost: db\n{redis}"),
            vec!["--set", "externalRedis.cache=redis://user:SECRET@cache:6379\n,worker.gunicorn.bogus=1"],
            "unknown-key",
        ),
        (
            format!("dbHost: db\n{redis}dbRootPassword: SECRET\nimage: {{tag: v1, bogus: 1}}\n").replace('\n', "\r"),
            vec![],
            "unknown-key",
        ),
    ]
    .iter()
    .flat_map(|(values, args, code)| formats_telling_the_length(values, args, &[code]))
    .collect::<Vec<_>>();
    assert!(told.is_empty(), "{}", told.join("\n\n"));
}

/// Nor on the lines of a secret written over several: a block scalar, and
/// a quoted scalar in a flow mapping with a key after it on its last line.
#[test]
fn no_column_tells_the_length_of_a_secret_over_several_lines() {
    let start = "dbHost: db\nexternalRedis:\n  cache: redis://cache:6379\n  queue: redis://queue:6379\ndbRootPassword: x\n";
    let told = [
        (
            format!(
                "{start}jobs:\n  createSite:\n    enabled: true\n    siteName: a.b\n    adminPassword: |\n      SECRET\n      SECRET\n"
            ),
            vec!["plaintext-password"],
        ),
        (
            format!("{start}jobs: {{createSite: {{enabled: true, siteName: a.b, adminPassword: \"SECRET\n    SECRET\", bogusKey: 1}}}}\n"),
            vec!["plaintext-password", "unknown-key"],
        ),
    ]
    .iter()
    .flat_map(|(values, codes)| formats_telling_the_length(values, &[], codes))
    .collect::<Vec<_>>();
    assert!(told.is_empty(), "{}", told.join("\n\n"));
}

/// A byte order mark is no character of the line to the YAML reader, nor
/// to editors: a column after a secret on the first line leaves it out too,
/// as every column of a line without a secret does.
#[test]
fn a_column_after_a_secret_leaves_out_a_byte_order_mark() {
    let values = "\u{feff}{dbRootPassword: SECRET, dbHost: bad_host, externalRedis: {cache: \"redis://cache:6379\", queue: \"redis://queue:6379\"}}\n";
    // `{dbRootPassword: ***, dbHost: ` before it.
    let column = 31;
    for secret in SHORT_AND_LONG {
        let records: Vec<Value> = serde_json::from_str(&lint_with_secret("json", values, &[], secret)).unwrap();
        let record = records
            .iter()
            .find(|r| r["code"] == "invalid-host")
            .expect("an invalid-host record");
        assert_eq!(
            (&record["line"], &record["column"]),
            (&Value::from(1), &Value::from(column)),
            "{record}"
        );
    }
}

/// The human header's `file:line:column`, its caret and the JSON record
/// agree on a diagnostic after a secret on the same line: all count the
/// characters of the masked line that each of them shows, the line as the
/// YAML reader counts it (a lone CR ends it; a byte order mark is none of
/// its characters).
#[test]
fn the_human_location_its_caret_and_json_agree_after_a_secret() {
    let redis = "externalRedis: {cache: \"redis://user:SECRET@cache:6379\", queue: redis://queue:6379";
    for values in [
        format!("dbHost: db\n{redis}, bogusKey: 1}}\n"),
        format!("dbHost: db\rdbRootPassword: SECRET\r{redis}, bogusKey: 1}}\r"),
        format!("\u{feff}{{dbHost: db, dbRootPassword: SECRET, bogusKey: 1, {redis}}}}}\n"),
    ] {
        let secret = SHORT_AND_LONG[1];
        let records: Vec<Value> = serde_json::from_str(&lint_with_secret("json", &values, &[], secret)).unwrap();
        let record = records.iter().find(|r| r["code"] == "unknown-key").expect("an unknown-key record");
        let (line, column) = (record["line"].as_u64().unwrap(), record["column"].as_u64().unwrap() as usize);
        assert_eq!(record["endColumn"].as_u64().unwrap() as usize, column + "bogusKey".len());

        let human = lint_with_secret("human", &values, &[], secret);
        let block = human
            .split("\n\n")
            .find(|block| block.starts_with("error[unknown-key]"))
            .expect("an unknown-key error");
        assert!(block.contains(&format!("--> <stdin>:{line}:{column}\n")), "{block}");
        let lines: Vec<&str> = block.lines().collect();
        let shown = lines
            .iter()
            .position(|l| l.starts_with(&format!("{line} | ")))
            .expect("the source line");
        // The gutter: the line's number, or as many spaces, and ` | `.
        let gutter = format!("{line} | ").len();
        let (source, caret) = (&lines[shown][gutter..], &lines[shown + 1][gutter..]);
        assert!(source.contains("redis://***@cache"), "{source}");
        assert_eq!(caret.find('^'), Some(column - 1), "{block}");
        assert!(
            source.chars().skip(column - 1).collect::<String>().starts_with("bogusKey"),
            "{block}"
        );
    }
}

/// The KRM function's results name the place of each diagnostic as the
/// other formats do: its column is counted with the secrets masked too. (A
/// secret's text used as a key, after which the function's YAML has a
/// diagnostic on the same line, is the only case.)
#[test]
fn krm_results_tell_no_secret_length_through_a_column() {
    let results = SHORT_AND_LONG.map(|secret| {
        let list = format!(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  apiVersion: frappe-manifests/v1alpha1\n  kind: FrappeBench\n  metadata: {{name: erp}}\n  spec:\n    values:\n      dbHost: db\n      externalRedis: {{cache: redis://cache:6379, queue: redis://queue:6379}}\n      dbRootPassword: {secret}\n      worker: {{gunicorn: {{nodeSelector: {{{secret}: {{}}}}}}}}\n"
        );
        let krm = run_with_stdin(&["krm"], Some(list.as_bytes()));
        assert_eq!(krm.status.code(), Some(1));
        let messages: Vec<String> = text(&krm.stdout).lines().filter(|l| l.contains("message:")).map(str::to_owned).collect();
        messages.join("\n")
    });
    assert!(results[0].contains("[invalid-type]"), "{}", results[0]);
    assert!(!results[1].contains(SHORT_AND_LONG[0]), "{}", results[1]);
    assert_eq!(results[0], results[1]);
}

/// Nor through the key path of each result (`field.path`), which names a
/// key that may be a secret's text, as the message does.
#[test]
fn krm_field_paths_print_no_secret() {
    let results = SHORT_AND_LONG.map(|secret| {
        let list = format!(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  apiVersion: frappe-manifests/v1alpha1\n  kind: FrappeBench\n  metadata: {{name: erp}}\n  spec:\n    values:\n      dbHost: db\n      externalRedis: {{cache: redis://cache:6379, queue: redis://queue:6379}}\n      dbRootPassword: {secret}\n      worker: {{gunicorn: {{resources: {{{secret}: 1}}, nodeSelector: {{\"a b {secret}\": x}}}}}}\n"
        );
        let krm = run_with_stdin(&["krm"], Some(list.as_bytes()));
        assert_eq!(krm.status.code(), Some(1));
        let answer = text(&krm.stdout);
        assert!(!answer.contains(SHORT_AND_LONG[0]), "{answer}");
        answer
    });
    let paths: Vec<&str> = results[0].lines().filter(|l| l.contains("path: worker.gunicorn.")).collect();
    assert_eq!(
        paths,
        [
            "    path: worker.gunicorn.resources",
            "    path: worker.gunicorn.resources.***",
            "    path: worker.gunicorn.nodeSelector[\"a b ***\"]"
        ],
        "{}",
        results[0]
    );
    assert_eq!(results[0], results[1]);
}

/// Nor through the column of the parser's message about a ResourceList
/// that does not parse, after a secret on the line: a value under a secret
/// key, from which a line that does not parse is masked, so that the column
/// points at its `***` as lint's does; a URL's credentials, with lines
/// ending in LF and in CR (where the parser writes its location otherwise).
#[test]
fn a_krm_parse_error_tells_no_secret_length_through_its_column() {
    for (values, column) in [
        ("{dbRootPassword: SECRET, x: [}", "column 30"),
        ("{externalRedis: {cache: \"redis://u:SECRET@c:6379\"}, x: [}", "column 63"),
    ] {
        for line_break in ["\n", "\r"] {
            let messages = SHORT_AND_LONG.map(|secret| {
                let list = format!(
                    "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n  spec:\n    values: {}\n",
                    values.replace("SECRET", secret)
                )
                .replace('\n', line_break);
                let krm = run_with_stdin(&["krm"], Some(list.as_bytes()));
                assert_eq!(krm.status.code(), Some(1));
                text(&krm.stdout)
            });
            assert!(messages[0].contains("line 5") && messages[0].contains(column), "{}", messages[0]);
            assert!(!messages[1].contains(SHORT_AND_LONG[0]), "{}", messages[1]);
            assert_eq!(messages[0], messages[1]);
        }
    }
}

/// `diff` masks a value under a key that names a secret, in a ConfigMap's
/// data, an annotation or an env var, in every format, as it masks a
/// Secret's data.
#[test]
fn diff_masks_values_under_secret_keys() {
    let mut live = minimal_render();
    for doc in &mut live {
        doc["metadata"]["annotations"]["x-password"] = "Leak-Annotation-1".into();
        if doc["kind"] == "ConfigMap" {
            doc["data"]["SOME_TOKEN"] = "Leak-Token-2".into();
            doc["data"]["api_key"] = "k3".into();
        }
    }
    let removed = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old"},
        "data": {"SMTP_PASSWORD": "Leak-Removed-4", "tokens": "k5"}});
    live.push(removed);
    for (format, shown) in diff_of_minimal_against(&live) {
        for secret in ["Leak", "k3", "k5"] {
            assert!(!shown.contains(secret), "diff --format {format} prints {secret}:\n{shown}");
        }
        assert!(shown.contains("SOME_TOKEN") && shown.contains("***"), "{shown}");
    }
}

/// The objects the minimal values render, to change into a live release.
fn minimal_render() -> Vec<Value> {
    let rendered = run(&["render", "-f", MINIMAL_FILE]);
    assert!(rendered.status.success());
    crate::common::documents(&text(&rendered.stdout))
}

/// The minimal render with a gunicorn Deployment whose init containers run
/// `commands`, and a ConfigMap that holds `files` too.
fn live_with(commands: &[Value], files: &[(&str, &str)]) -> Vec<Value> {
    let mut live = minimal_render();
    for doc in &mut live {
        if doc["kind"] == "Deployment" && doc["metadata"]["name"].as_str().unwrap().ends_with("gunicorn") {
            let containers: Vec<Value> = commands
                .iter()
                .enumerate()
                .map(|(n, command)| serde_json::json!({"name": format!("c{n}"), "image": "busybox", "command": command}))
                .collect();
            doc["spec"]["template"]["spec"]["initContainers"] = containers.into();
        }
        if doc["kind"] == "ConfigMap" {
            for (name, content) in files {
                doc["data"][*name] = (*content).into();
            }
        }
    }
    live
}

/// What `diff` of the minimal values against the `live` objects (a stream
/// that differs from them) prints, in each format.
fn diff_of_minimal_against(live: &[serde_json::Value]) -> Vec<(&'static str, String)> {
    let stream: String = live.iter().map(|d| format!("---\n{d}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let against = dir.path().join("live.yaml");
    std::fs::write(&against, stream).unwrap();
    ["human", "json"]
        .into_iter()
        .map(|format| {
            let output = run(&[
                "diff",
                "-f",
                MINIMAL_FILE,
                "--against",
                against.to_str().unwrap(),
                "--format",
                format,
            ]);
            assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
            (format, text(&output.stdout))
        })
        .collect()
}

/// `explain`'s KEY is typed where a `--set` path is, and may carry the
/// assignment meant for one: its value is masked in what explain prints.
#[test]
fn explain_prints_no_secret_an_argument_assigns() {
    for key in [
        "dbRootPassword=Leak-Explain-1",
        "dbRootPassword:Leak-Explain-2",
        "dbRootPassword Leak-Explain-3",
        "jobs.createSite.adminPassword.x=Leak.Explain-4",
        "image.tag=1 adminPassword=Leak-Explain-5",
        "externalRedis.cache=redis://u:Leak-Explain-6@cache",
    ] {
        let output = run(&["explain", key]);
        let printed = text(&output.stdout) + &text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{key}: {printed}");
        assert!(!printed.contains("Leak"), "explain `{key}` prints the secret:\n{printed}");
        assert!(printed.contains("***"), "{key}: {printed}");
    }
}

/// `auth` ending a name is Redis's word for its password: an env var
/// `REDIS_AUTH` or `AUTH` with a literal value is masked and warned about
/// as `SMTP_PASSWORD` is, and so is a Redis URL's `?auth=` (which the URL
/// parser refuses, quoting the URL).
#[test]
fn auth_names_a_secret() {
    let values = "dbHost: db\nexternalRedis:\n  cache: redis://cache:6379\n  queue: redis://q:6379/0?auth=Leak-Auth-1\n\
                  worker:\n  gunicorn:\n    envVars:\n      - {name: REDIS_AUTH, value: Leak-Auth-2}\n      - {name: AUTH, value: Leak-Auth-3}\n";
    for format in ["human", "json", "github", "sarif"] {
        let output = run_with_stdin(&["lint", "--format", format, "-"], Some(values.as_bytes()));
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
        let shown = format!("{}{}", text(&output.stdout), text(&output.stderr));
        assert!(!shown.contains("Leak"), "lint --format {format} prints a secret:\n{shown}");
        assert!(shown.contains("invalid-redis-url"), "{shown}");
    }
    let output = run_with_stdin(&["lint", "--format", "json", "-"], Some(values.as_bytes()));
    let items: Vec<Value> = serde_json::from_str(&text(&output.stdout)).unwrap();
    let warned: Vec<&Value> = items
        .iter()
        .filter(|i| i["code"] == "plaintext-password")
        .map(|i| &i["line"])
        .collect();
    assert_eq!(warned, [8, 9], "{items:#?}");
}

/// An env var whose name names a secret holds a secret whatever its value
/// is written as: a list or a mapping, which a typing error quotes, in
/// `envVars`, the configure Job's env, init containers and sidecars, in a
/// file or given with `--set`.
#[test]
fn secret_env_values_written_as_lists_or_maps_are_masked() {
    let values = "dbHost: db\nexternalRedis: {cache: redis://cache:6379, queue: redis://q:6379}\n\
                  jobs:\n  configure:\n    envVars:\n      - name: DB_PASSWORD\n        value:\n          - Leak-List-1\n\
                  worker:\n  gunicorn:\n    envVars:\n      - {name: DB_PASSWORD, value: [Leak-List-2]}\n      - {value: {a: Leak-Map-3}, name: API_TOKEN}\n\
                  \x20   initContainers:\n      - name: init\n        image: busybox\n        env: [{name: SMTP_PASSWORD, value: {a: Leak-Map-4, b: [Leak-5]}}]\n\
                  socketio:\n  sidecars:\n    - name: side\n      image: busybox\n      env:\n        - name: REDIS_AUTH\n          value: {a: Leak-Map-6}\n";
    let name = "worker.long.envVars[0].name=DB_PASSWORD";
    let value = "worker.long.envVars[0].value={Leak-Set-7,Leak-Set-8}";
    for format in ["human", "json", "github", "sarif"] {
        for extra in [vec![], vec!["--set", name, "--set", value]] {
            let mut args = vec!["lint", "--format", format, "-"];
            args.extend(&extra);
            let output = run_with_stdin(&args, Some(values.as_bytes()));
            assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
            let shown = format!("{}{}", text(&output.stdout), text(&output.stderr));
            assert!(shown.contains("invalid-type"), "{shown}");
            assert!(!shown.contains("Leak"), "{} prints a secret:\n{shown}", args.join(" "));
        }
    }
}

/// The stream `diff --against` and `takeover --from-helm` read is named
/// as a values file is: credentials in its path are masked.
#[test]
fn compared_streams_named_with_credentials_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    let output_dir = dir.path().join("out");
    for path in [
        "https://u:Leak-Path-1@example.com/live.yaml",
        "user:Leak-Path-2@host:live.yaml",
        "dbRootPassword=Leak-Path-3",
    ] {
        for args in [
            vec!["diff", "-f", MINIMAL_FILE, "--against", path],
            vec![
                "takeover",
                "-f",
                MINIMAL_FILE,
                "--from-helm",
                path,
                "--output-dir",
                output_dir.to_str().unwrap(),
            ],
        ] {
            let output = run(&args);
            let printed = text(&output.stdout) + &text(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{}: {printed}", args.join(" "));
            assert!(!printed.contains("Leak"), "{} prints the credential:\n{printed}", args.join(" "));
            assert!(printed.contains("***"), "{printed}");
        }
    }
}

/// `diff` against a live release masks a password given to a command (in
/// `args` or `command`, as a word of its own, after `=`, or in a shell
/// line) and one in JSON a ConfigMap holds as text, and still shows what
/// else differs there.
#[test]
fn diff_masks_passwords_in_commands_and_in_json_text() {
    let mut live = minimal_render();
    for doc in &mut live {
        if doc["kind"] == "Deployment" {
            let container = &mut doc["spec"]["template"]["spec"]["containers"][0];
            container["args"] = serde_json::json!(["--db-root-password", "Leak-Arg-1", "--admin-password=Qz1", "--verbose"]);
            container["command"] = serde_json::json!([
                "sh",
                "-c",
                "bench new-site --admin-password Leak-Arg-2 --mariadb-root-password=Qz2 site1"
            ]);
        }
        if doc["kind"] == "ConfigMap" {
            doc["data"]["site_config.json"] =
                r#"{"db_name": "site1db", "db_password": "Leak-Json-3", "encryption_key": "Qz3", "redis_cache": "redis://:Leak-Json-4@cache:6379"}"#.into();
        }
    }
    for (format, shown) in diff_of_minimal_against(&live) {
        for secret in ["Leak", "Qz"] {
            assert!(!shown.contains(secret), "diff --format {format} prints {secret}:\n{shown}");
        }
        for kept in ["--verbose", "site1db", "--admin-password=***", "new-site"] {
            assert!(shown.contains(kept), "diff --format {format} hides {kept}:\n{shown}");
        }
    }
}

/// `diff` against a live release masks the password a client takes in a
/// flag of its own (`mysql -ppw`, `redis-cli -a pw`, `curl -u user:pw`),
/// as a word of a list or of a shell line, and leaves the same flags of
/// other programs, a prompt's `-p` and a curl user name readable.
#[test]
fn diff_masks_passwords_given_to_client_flags() {
    let commands = [
        serde_json::json!(["sh", "-c", "mysql -uroot -pLeak-Mysql-1 -h db; nc -p2222 db 3306"]),
        serde_json::json!(["/usr/bin/mariadb-dump", "-pLeak-Dump-2", "site1db"]),
        serde_json::json!(["sh", "-c", "mysqladmin ping -p'Leak Admin 3' && mysql -p prompted"]),
        serde_json::json!(["redis-cli", "-h", "queue", "-a", "Leak-Redis-4", "ping"]),
        serde_json::json!([
            "sh",
            "-c",
            "curl -fsS -u backup:Leak-Curl-5 https://files; curl --user ops:Leak-Curl-6 -U proxy:Leak-Curl-7 x"
        ]),
        serde_json::json!(["curl", "-ubackup:Leak-Curl-8", "https://files"]),
    ];
    for (format, shown) in diff_of_minimal_against(&live_with(&commands, &[])) {
        assert!(!shown.contains("Leak"), "diff --format {format} prints a password:\n{shown}");
        for kept in [
            "-uroot",
            "nc -p2222 db 3306",
            "site1db",
            "mysql -p prompted",
            "backup:***",
            "ops:***",
            "proxy:***",
            "ping",
        ] {
            assert!(shown.contains(kept), "diff --format {format} hides {kept}:\n{shown}");
        }
    }
}

/// `diff` masks an assignment to a secret key nested in another's value,
/// as helm's `--set=adminPassword=pw` and `--set a=1,adminPassword=pw`
/// write it, and keeps the assignments before it.
#[test]
fn diff_masks_secret_assignments_nested_in_arguments() {
    let commands = [
        serde_json::json!(["helm", "upgrade", "erp", "--set=jobs.createSite.adminPassword=Leak-Set-1"]),
        serde_json::json!(["sh", "-c", "helm upgrade erp --set-string=image.tag=v16,dbRootPassword=Leak-Set-2"]),
        serde_json::json!(["helm", "upgrade", "erp", "--set", "image.tag=v16,adminPassword=Leak-Set-3"]),
    ];
    for (format, shown) in diff_of_minimal_against(&live_with(&commands, &[])) {
        assert!(!shown.contains("Leak"), "diff --format {format} prints a password:\n{shown}");
        for kept in [
            "--set=jobs.createSite.adminPassword=***",
            "image.tag=v16,dbRootPassword=***",
            "image.tag=v16,adminPassword=***",
        ] {
            assert!(shown.contains(kept), "diff --format {format} hides {kept}:\n{shown}");
        }
    }
}

/// `diff` masks the secrets of configuration files a ConfigMap holds: JSON
/// whose key or value is written with `\u` escapes, or whose password is a
/// number, and INI or env-style lines (`password = pw`, `password: pw`);
/// the other values of those files stay readable.
#[test]
fn diff_masks_escaped_numeric_and_line_assigned_secrets_in_config_text() {
    let files = [
        ("escaped-key.json", r#"{"db_name": "site1db", "db_p\u0061ssword": "Leak-Json-1"}"#),
        ("escaped-value.json", r#"{"db_password": "Leak-Json-\u0032", "db_port": 3306}"#),
        ("numeric.json", r#"{"db_password": 31415926535, "db_type": "mariadb"}"#),
        ("my.cnf", "[client]\nuser = root\npassword = Leak-Ini-4\nport = 3306\n"),
        ("app.yaml", "host: db\npassword: Leak-Line-5\nssl: false\n"),
        ("app.env", "DB_PASSWORD=Leak-Env-6\nREDIS_AUTH=${REDIS_AUTH}\nWORKERS=default\n"),
    ];
    for (format, shown) in diff_of_minimal_against(&live_with(&[], &files)) {
        for secret in ["Leak", "31415926535"] {
            assert!(!shown.contains(secret), "diff --format {format} prints {secret}:\n{shown}");
        }
        for kept in [
            "site1db",
            "3306",
            "mariadb",
            "user = root",
            "ssl: false",
            "${REDIS_AUTH}",
            "WORKERS=default",
        ] {
            assert!(shown.contains(kept), "diff --format {format} hides {kept}:\n{shown}");
        }
    }
}

/// A Redis URL given with `--set-file` whose user name and `@` are on
/// different lines: read without its line breaks (as Python reads it), or
/// refused, quoting it; no output shows its user name or password.
#[test]
fn a_redis_url_broken_over_lines_prints_no_user_name() {
    let dir = tempfile::tempdir().unwrap();
    for (n, (url, refused)) in [
        ("redis://Leak-User-1\n@queue:6379\n", true),
        ("rediss://Leak-User-2\n  @queue:6380/0", true),
        ("redis://u:Leak-Pass-3\n@queue:6379\n", false),
        ("redis://Leak-User-4\n@queue:99999\n", true),
    ]
    .iter()
    .enumerate()
    {
        let file = dir.path().join(format!("url-{n}.txt"));
        std::fs::write(&file, url).unwrap();
        let assignment = format!("externalRedis.queue={}", file.display());
        for format in ["human", "json", "github", "sarif"] {
            let output = run(&["lint", "--format", format, MINIMAL_FILE, "--set-file", &assignment]);
            let printed = text(&output.stdout) + &text(&output.stderr);
            assert_eq!(output.status.code(), Some(if *refused { 1 } else { 0 }), "{url:?}: {printed}");
            assert!(!printed.contains("Leak"), "{url:?} ({format}) prints a credential:\n{printed}");
        }
    }
}

/// `diff` reads a shell line as `sh` does before it looks for a client's
/// password flag: a client after an operator glued to it (`cd /x&&mysql`,
/// `$(mysql …)`, a pipe), a flag in quotes (`"-ppw"`), a command quoted
/// inside another (`su -c 'mysql -ppw'`), curl's clustered flags
/// (`-fsSu user:pw`), the other MySQL clients, sshpass, `bench
/// set-admin-password` and an `Authorization` header; the quotes and the
/// rest of each line stay readable.
#[test]
fn diff_masks_client_passwords_however_the_shell_line_writes_them() {
    let commands = [
        serde_json::json!(["sh", "-c", "cd /srv&&mysql -pLeak-Glued-1 site1db; echo x|mariadb -pLeak-Pipe-2"]),
        serde_json::json!([
            "sh",
            "-c",
            "v=$(mysqladmin -pLeak-Subst-3 ping) && (mysqldump -pLeak-Sub-4 site1db)"
        ]),
        serde_json::json!(["sh", "-c", "mysql \"-pLeak-Quoted-5\" -e 'select 1'"]),
        serde_json::json!(["sh", "-c", "su frappe -c 'redis-cli -a Leak-Nested-6 ping'"]),
        serde_json::json!(["sh", "-c", "curl -fsSu backup:Leak-Cluster-7 https://files"]),
        serde_json::json!([
            "sh",
            "-c",
            "mysqlcheck -pLeak-Check-8 --all-databases; sshpass -p Leak-Ssh-9 scp a b"
        ]),
        serde_json::json!(["bench", "--site", "site1", "set-admin-password", "Leak-Admin-10"]),
        serde_json::json!(["sh", "-c", "curl -H 'Authorization: Basic Leak-Header-11' https://files"]),
    ];
    for (format, shown) in diff_of_minimal_against(&live_with(&commands, &[])) {
        assert!(!shown.contains("Leak"), "diff --format {format} prints a password:\n{shown}");
        // JSON escapes the quotes that YAML leaves as they are.
        let shown = shown.replace(r#"\""#, r#"""#);
        for kept in [
            "cd /srv&&mysql -p*** site1db",
            "(mysqldump -p*** site1db)",
            r#"mysql "-p***" -e 'select 1'"#,
            "'redis-cli -a *** ping'",
            "backup:***",
            "set-admin-password",
            "Authorization: ***'",
        ] {
            assert!(shown.contains(kept), "diff --format {format} hides {kept}:\n{shown}");
        }
    }
}

/// Settings about a secret that are no secret (`password_reset_limit`,
/// `PASSWORD_MIN_LENGTH`, a token's TTL) and a log format's `%(p)s` field
/// stay readable in `diff`, and so does every other value equal to them.
#[test]
fn diff_shows_measures_of_secrets_and_log_format_fields() {
    let files = [
        ("site_config.json", r#"{"password_reset_limit": 3, "minimum_password_score": 2}"#),
        ("app.env", "PASSWORD_MIN_LENGTH=12\nTOKEN_TTL=3600\n"),
        ("logging.conf", "format = %(asctime)s password=%(message)s\n"),
    ];
    for (format, shown) in diff_of_minimal_against(&live_with(&[], &files)) {
        for kept in [
            r#"\"password_reset_limit\": 3"#,
            r#"\"minimum_password_score\": 2"#,
            "PASSWORD_MIN_LENGTH=12",
            "TOKEN_TTL=3600",
            "password=%(message)s",
        ] {
            assert!(shown.contains(kept), "diff --format {format} hides {kept}:\n{shown}");
        }
    }
}

/// What `diff` masks in a command, diagnostics mask in the values too: a
/// client's password flag in a shell line that a message quotes whole
/// (`command` given as a string), the word after a secret flag in a list,
/// and a short password glued to its flag; in a file or a `--set`
/// argument, in every format of `lint`, on `render`'s stderr, and in a key
/// `explain` is given.
#[test]
fn diagnostics_mask_passwords_given_to_commands_in_the_values() {
    let values = "dbHost: db\nexternalRedis: {cache: 'redis://cache:6379', queue: 'redis://q:6379'}\n\
                  worker:\n  gunicorn:\n    initContainers:\n\
                  \x20     - name: wait\n        image: busybox\n        command: \"cd /srv&&mysqladmin ping -pLeak-Ping-1\"\n\
                  \x20     - name: args\n        image: busybox\n        args: [--db-root-password, Leak-Arg-2, {x: 1}]\n\
                  \x20     - name: short\n        image: busybox\n        command: [mysql, -pLk3, {x: 1}]\n\
                  \x20     - name: nested\n        image: busybox\n        command: \"su -c 'redis-cli -a Leak-Nested-4 ping'\"\n";
    let set = "worker.gunicorn.initContainers[0].args=cd /srv&&mysql -pLeak-Set-5";
    for format in ["human", "json", "github", "sarif"] {
        let output = run_with_stdin(&["lint", "--format", format, "-", "--set", set], Some(values.as_bytes()));
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
        let shown = text(&output.stdout) + &text(&output.stderr);
        assert!(shown.contains("invalid-type") && shown.contains("--set"), "{shown}");
        for secret in ["Leak", "Lk3"] {
            assert!(!shown.contains(secret), "lint --format {format} prints {secret}:\n{shown}");
        }
    }
    let output = run_with_stdin(&["render", "-f", "-"], Some(values.as_bytes()));
    let shown = text(&output.stderr);
    assert!(shown.contains("invalid-type"), "{shown}");
    for secret in ["Leak", "Lk3"] {
        assert!(!shown.contains(secret), "render prints {secret}:\n{shown}");
    }
    let output = run(&["explain", "worker.gunicorn.args=mysql -pLeak-Explain-6"]);
    let shown = text(&output.stdout) + &text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(!shown.contains("Leak"), "explain prints the password:\n{shown}");
}

/// `diff` reads a ConfigMap's YAML text as a values file is read: a secret
/// in a block scalar, a folded one, a list or behind an alias is masked; an
/// empty password and the other keys stay readable.
#[test]
fn diff_masks_secrets_of_yaml_text() {
    let files = [
        ("block.yaml", "db:\n  password: |\n    Leak-Block-1\n  host: site1db\n"),
        ("folded.yaml", "password: >-\n  Leak-Folded-2\nempty_password: \"\"\n"),
        ("list.yaml", "tokens:\n  - Leak-Item-3\nworkers: 4\n"),
        ("alias.yaml", "base: &b Leak-Alias-4\nredis:\n  password: *b\n"),
    ];
    for (format, shown) in diff_of_minimal_against(&live_with(&[], &files)) {
        assert!(!shown.contains("Leak"), "diff --format {format} prints a secret:\n{shown}");
        let shown = shown.replace(r#"\""#, r#"""#);
        for kept in ["host: site1db", r#"empty_password: """#, "workers: 4"] {
            assert!(shown.contains(kept), "diff --format {format} hides {kept}:\n{shown}");
        }
    }
}

/// `diff` masks a password a client takes as an argument of its own
/// command (Redis's `AUTH [username] password`, Frappe's `bench
/// set-password USER PASSWORD` and `set-admin-password`, options anywhere
/// among them), in a MySQL client's group of short flags (`-vppw`), MySQL
/// Shell's `-ppw` and URIs, `bench worker -p`, and a password written
/// around a reference (`-p"$X"pw`); a reference alone, a command
/// substitution, other tools' `-p` and the MySQL flags that take a value
/// stay readable. A container's `args` are read after its `command`.
#[test]
fn diff_masks_passwords_given_to_client_commands_and_grouped_flags() {
    let commands = [
        serde_json::json!(["redis-cli", "-h", "queue", "AUTH", "Leak-Auth-1"]),
        serde_json::json!([
            "sh",
            "-c",
            "redis-cli auth default Leak-Auth-2; redis-cli HELLO 3 AUTH default Leak-Auth-3"
        ]),
        serde_json::json!(["bench", "--site", "site1", "set-password", "Administrator", "Leak-Bench-4"]),
        serde_json::json!([
            "bench",
            "--site",
            "site1",
            "set-admin-password",
            "--logout-all-sessions",
            "Leak-Bench-5"
        ]),
        serde_json::json!(["sh", "-c", "bench worker -p Leak-Bench-6 --queue short; bench start -p Procfile"]),
        serde_json::json!([
            "sh",
            "-c",
            "mysql -vpLeak-Group-7 site1db; mariadb-dump -cepLeak-Group-8 site1db; mysql -Dproduction -hpostgres"
        ]),
        serde_json::json!([
            "sh",
            "-c",
            "mysqlsh -pLeak-Shell-9 root@db; mysqlsh root:Leak-Shell-10@db:3306; mysqlsh --uri=mysql://r:Leak-Shell-11@db"
        ]),
        serde_json::json!([
            "sh",
            "-c",
            "mysql -p\"$ROOT\"Leak12 site1db; mysql -p'Leak-13'\"$ROOT\"; mysql -p\"$ROOT\" kept1; mysql -p$(cat /run/pw) kept2"
        ]),
        serde_json::json!([
            "sh",
            "-c",
            "sshpass -p Leak-Ssh-14 ssh -p 2222 host; sshpass -vpLeak-Ssh-15 scp a b"
        ]),
    ];
    let mut live = live_with(&commands, &[]);
    // A container runs its `command` and `args` as one command line.
    for doc in &mut live {
        if let Some(containers) = doc["spec"]["template"]["spec"]["initContainers"].as_array_mut() {
            containers.push(
                serde_json::json!({"name": "split", "image": "busybox", "args": ["-pLeak-Split-16", "site1db"], "command": ["mysql"]}),
            );
        }
    }
    for (format, shown) in diff_of_minimal_against(&live) {
        assert!(!shown.contains("Leak"), "diff --format {format} prints a password:\n{shown}");
        let shown = shown.replace(r#"\""#, r#"""#);
        for kept in [
            "AUTH default ***",
            "set-password",
            "Administrator",
            "--logout-all-sessions",
            "bench start -p Procfile",
            "mysql -vp*** site1db",
            "mysql -Dproduction -hpostgres",
            "root:***@db:3306",
            r#"mysql -p"$ROOT" kept1"#,
            "mysql -p$(cat /run/pw) kept2",
            "ssh -p 2222 host",
        ] {
            assert!(shown.contains(kept), "diff --format {format} hides {kept}:\n{shown}");
        }
    }
}

/// `diff` masks a secret field wherever a line of a ConfigMap's text
/// writes it: in a one-line flow mapping (a flow sequence as its value
/// too), in JSON lines, in JSON after a prefix, in XML, in PHP's and
/// Python's dicts; the other fields, an empty password, a measure and a
/// reference stay readable.
#[test]
fn diff_masks_secret_fields_anywhere_in_a_line_of_config_text() {
    let files = [
        ("flow.yaml", "creds: {password: Leak-Flow-1, host: site1db}"),
        ("flow-list.yaml", "db: {tokens: [Leak-Flow-2, Leak-Flow-3], workers: 4}"),
        (
            "log.jsonl",
            "{\"level\": \"info\", \"password\": \"Leak-Json-4\"}\n{\"level\": \"warn\", \"api_key\": \"Leak-Json-5\"}",
        ),
        ("prefixed.env", "LOG_CONFIG={\"password\":\"Leak-Json-6\",\"level\":\"debug\"}"),
        (
            "app.xml",
            "<config>\n  <password>Leak-Xml-7</password>\n  <user>frappe</user>\n</config>",
        ),
        (
            "config.php",
            "$db = array(\n  'password' => 'Leak-Php-8',\n  'host' => 'mariadb',\n);",
        ),
        (
            "settings.py",
            "DATABASES = {\"default\": {\"PASSWORD\": \"Leak-Py-9\", \"HOST\": \"mariadb\"}}",
        ),
        ("kept.json", "{\"password\": \"\", \"password_reset_limit\": 3}"),
        ("kept.xml", "<password>${DB_PASSWORD}</password>"),
    ];
    for (format, shown) in diff_of_minimal_against(&live_with(&[], &files)) {
        assert!(!shown.contains("Leak"), "diff --format {format} prints a secret:\n{shown}");
        let shown = shown.replace(r#"\""#, r#"""#);
        for kept in [
            "host: site1db",
            "workers: 4",
            r#""level": "info""#,
            r#""level":"debug""#,
            "<user>frappe</user>",
            "'password' => '***'",
            "'host' => 'mariadb'",
            r#""HOST": "mariadb""#,
            r#"{"password": "", "password_reset_limit": 3}"#,
            "<password>${DB_PASSWORD}</password>",
        ] {
            assert!(shown.contains(kept), "diff --format {format} hides {kept}:\n{shown}");
        }
    }
}

/// Diagnostics read a container's `command` and `args` lists as one
/// command line, whichever comes first, and a `--set` list as the words of
/// a command: their passwords are masked in every format of `lint`; a
/// field of JSON text in a value is masked too.
#[test]
fn diagnostics_mask_passwords_of_command_and_args_lists_and_set_lists() {
    let values = "dbHost: db\nexternalRedis: {cache: 'redis://cache:6379', queue: 'redis://q:6379'}\n\
                  worker:\n  gunicorn:\n    initContainers:\n\
                  \x20     - name: command-first\n        image: busybox\n        command: [mysql]\n        args: [-pLeak-Args-1, {x: 1}]\n\
                  \x20     - name: args-first\n        image: busybox\n        args: [AUTH, Leak-Args-2, {x: 1}]\n        command: [redis-cli]\n\
                  \x20     - name: json\n        image: busybox\n        command: [{x: 1}, 'LOG={\"password\":\"Leak-Json-3\"}']\n";
    let set = "worker.gunicorn.initContainers[1].args={mysql,-vpLeak-Set-4}";
    for format in ["human", "json", "github", "sarif"] {
        let output = run_with_stdin(&["lint", "--format", format, "-", "--set", set], Some(values.as_bytes()));
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
        let shown = text(&output.stdout) + &text(&output.stderr);
        assert!(shown.contains("invalid-type") && shown.contains("--set"), "{shown}");
        assert!(!shown.contains("Leak"), "lint --format {format} prints a password:\n{shown}");
    }
}

/// A container's `command` and `args` given by different values files, or
/// by a file and `--set`, are still one command line: the password its
/// `args` give is masked in the diagnostics of `render` and `lint -f`.
#[test]
fn diagnostics_mask_passwords_of_command_and_args_given_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (command, args) = (dir.path().join("command.yaml"), dir.path().join("args.yaml"));
    std::fs::write(
        &command,
        "dbHost: db\nexternalRedis: {cache: 'redis://cache:6379', queue: 'redis://q:6379'}\njobs:\n  configure:\n    command: [mysql]\n",
    )
    .unwrap();
    std::fs::write(&args, "jobs:\n  configure:\n    args: [-pLeak-Apart-1, {x: 1}]\n").unwrap();
    let (command, args) = (command.to_str().unwrap(), args.to_str().unwrap());
    let set = "jobs.configure.args={-vpLeak-Apart-2,site1db},jobs.configure.fixVolume=maybe";
    for arguments in [
        vec!["render", "-f", command, "-f", args],
        vec!["lint", "--format", "json", "-f", command, "-f", args],
        vec!["render", "-f", command, "--set", set],
    ] {
        let output = run(&arguments);
        assert_ne!(output.status.code(), Some(0), "{arguments:?}");
        let shown = text(&output.stdout) + &text(&output.stderr);
        assert!(shown.contains("invalid-type"), "{arguments:?}: {shown}");
        assert!(!shown.contains("Leak"), "{arguments:?} prints a password:\n{shown}");
    }
}

/// `diff` masks what the last attack found printed: escaped JSON in a
/// double-quoted env line, an XML element's text on the lines after its
/// start tag and secret attributes, and the passwords of Redis's
/// `MIGRATE … AUTH`/`AUTH2`, `CONFIG SET requirepass`/`masterauth` and
/// `ACL SETUSER`'s rules; single-quoted JSON stays masked, and measures and
/// forms of secrets (`secret_rotation_days`, `<token-lifetime>`,
/// `bearerFormat`) and `MIGRATE`'s `KEYS` stay readable.
#[test]
fn diff_masks_escaped_json_xml_across_lines_and_redis_admin_commands() {
    let files = [
        (
            "log.env",
            "LOG_CONFIG=\"{\\\"password\\\":\\\"Leak-Esc-1\\\"}\"\nLOG_SQ='{\"password\":\"Leak-Sq-2\"}'\n",
        ),
        (
            "app.xml",
            "<config>\n  <password>\n    Leak-Xml-3\n  </password>\n  <user name=\"frappe\" password = \"Leak-Xml-4\"/>\n  <c password='Leak Xml 5'>\n</config>\n",
        ),
        (
            "api.yaml",
            "bearerFormat: JWT\nsecret_rotation_days: 30\nsession: <token-lifetime>3600</token-lifetime>\n",
        ),
    ];
    let commands = [
        serde_json::json!([
            "redis-cli",
            "MIGRATE",
            "h",
            "6379",
            "",
            "0",
            "5000",
            "AUTH",
            "Leak-Mig-6",
            "KEYS",
            "kept-key"
        ]),
        serde_json::json!([
            "redis-cli",
            "MIGRATE",
            "h",
            "6379",
            "k",
            "0",
            "5000",
            "AUTH2",
            "default",
            "Leak-Mig-7"
        ]),
        serde_json::json!(["sh", "-c", "redis-cli CONFIG SET requirepass Leak-Cfg-8 masterauth Leak-Cfg-9"]),
        serde_json::json!(["redis-cli", "ACL", "SETUSER", "bob", "on", ">Leak-Acl-10", "<Leak-Acl-11", "~*"]),
    ];
    for (format, shown) in diff_of_minimal_against(&live_with(&commands, &files)) {
        assert!(!shown.contains("Leak"), "diff --format {format} prints a secret:\n{shown}");
        let shown = shown.replace(r#"\""#, r#"""#);
        for kept in [
            "bearerFormat: JWT",
            "secret_rotation_days: 30",
            "<token-lifetime>3600</token-lifetime>",
            "kept-key",
            "user name=",
        ] {
            assert!(shown.contains(kept), "diff --format {format} hides {kept}:\n{shown}");
        }
    }
}

/// `diff` masks what the review of the last attack found printed:
/// redis.conf's `requirepass pw`, `masterauth pw` and `user … >pw`, redis-server's
/// `--requirepass` and `--masterauth` flags and keys run together into
/// `pass` (`DBPASS`), nginx's headers and parameters and `.netrc`'s
/// `password` token, an XML element's text after its start tag with its
/// end tag on a later line, and the value of .NET's `<add key=… value=…/>`
/// and Java's `<entry key=…>` whose key names a secret. Prose and the
/// other pairs stay readable.
#[test]
fn diff_masks_redis_directives_run_together_keys_and_keyed_xml_values() {
    let files = [
        (
            "redis.conf",
            "bind 0.0.0.0\nrequirepass Leak-Conf-1\nmasterauth \"Leak Conf 2\"\n# requirepass foobared\n\
             user default on >Leak-Acl-11 ~cache:* +@all\n",
        ),
        (
            "app.config",
            "<appSettings>\n  <add key=\"DbPassword\" value=\"Leak-Add-3\"/>\n  <add key=\"Host\" value=\"db-host\"/>\n</appSettings>\n\
             <entry key=\"db.password\">Leak-Entry-4</entry>\n<password>Leak-Xml-5\n  Leak-Xml-6</password>\n",
        ),
        ("DBPASS", "Leak-Key-7"),
        (
            "nginx.conf",
            "location / {\n  proxy_set_header X-Api-Key Leak-Header-12;\n  proxy_set_header Host $host;\n}\n",
        ),
        (".netrc", "machine api.example.com login bob password Leak-Netrc-13\n"),
        (
            "env.list",
            "ENV=[{\"name\":\"DB_PASSWORD\",\"value\":\"Leak-Env-10\"},{\"name\":\"HOST\",\"value\":\"db-host-2\"}]\n",
        ),
    ];
    let commands = [serde_json::json!([
        "redis-server",
        "--requirepass",
        "Leak-Flag-8",
        "--masterauth",
        "Leak-Flag-9",
        "--port",
        "6380"
    ])];
    for (format, shown) in diff_of_minimal_against(&live_with(&commands, &files)) {
        assert!(!shown.contains("Leak"), "diff --format {format} prints a secret:\n{shown}");
        let shown = shown.replace(r#"\""#, r#"""#);
        for kept in [
            "# requirepass foobared",
            "value=\"db-host\"",
            "db-host-2",
            "6380",
            "~cache:* +@all",
            "proxy_set_header Host $host;",
            "login bob",
        ] {
            assert!(shown.contains(kept), "diff --format {format} hides {kept}:\n{shown}");
        }
    }
}

/// Keys run together into `pass` or `auth` (Redis's `requirepass` and
/// `masterauth`, `DBPASS`) are masked in the lines a diagnostic quotes.
#[test]
fn diagnostics_mask_run_together_pass_and_auth_keys() {
    let values = "dbHost: db\nexternalRedis: {cache: 'redis://cache:6379', queue: 'redis://q:6379'}\n\
                  worker:\n  gunicorn:\n    requirepass: Leak-Key-1\n    masterauth: Leak-Key-2\n    DBPASS: Leak-Key-3\n";
    for format in ["human", "json", "github", "sarif"] {
        let output = run_with_stdin(&["lint", "--format", format, "-"], Some(values.as_bytes()));
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
        let shown = text(&output.stdout) + &text(&output.stderr);
        assert!(shown.contains("unknown-key"), "{shown}");
        assert!(!shown.contains("Leak"), "lint --format {format} prints a secret:\n{shown}");
    }
}

/// A secret that YAML 1.1 tools read as a boolean earns its `yaml11-scalar`
/// warning, which reads whole and shows the value nowhere but masked in the
/// snippet: `on` is too short to mask in free text.
#[test]
fn a_yaml11_warning_on_a_secret_reads_whole_with_the_value_masked() {
    let values = "dbRootPassword: on\n";
    let output = run_with_stdin(&["render", "-f", MINIMAL_FILE, "-f", "-"], Some(values.as_bytes()));
    let stderr = text(&output.stderr);
    let warning = stderr
        .lines()
        .find(|line| line.starts_with("warning[yaml11-scalar]"))
        .unwrap_or_else(|| panic!("no yaml11-scalar warning:\n{stderr}"));
    assert_eq!(
        warning,
        "warning[yaml11-scalar]: `dbRootPassword` is a string here, but other YAML tools read this unquoted value as a boolean in YAML 1.1 (helm, kubectl)"
    );
    assert!(stderr.contains("dbRootPassword: ***"), "{stderr}");
    assert!(
        !stderr.contains(": on") && !stderr.contains("\"on\"") && !stderr.contains("`on`"),
        "{stderr}"
    );
}

/// A secret that is a flag word (`~`, `on`) is masked only where it is
/// written, not searched for everywhere (it would hide every `on`); a
/// diagnostic about that place that quotes the value masks it too.
#[test]
fn a_diagnostic_quoting_a_secret_flag_word_masks_it() {
    for value in ["\"~\"", "\"on \""] {
        let values = format!("nginx:\n  nodeSelector:\n    token: {value}\n");
        for format in ["human", "json", "github", "sarif"] {
            let output = run_with_stdin(&["lint", "--format", format, MINIMAL_FILE, "-"], Some(values.as_bytes()));
            assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
            let shown = text(&output.stdout) + &text(&output.stderr);
            assert!(shown.contains("is not a valid label value"), "{shown}");
            assert!(
                !shown.contains("`~`") && !shown.contains("`on `"),
                "lint --format {format} prints {value}:\n{shown}"
            );
        }
    }
    let output = run(&["render", "-f", MINIMAL_FILE, "--set-string", "nginx.nodeSelector.token=~"]);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("`***` is not a valid label value"), "{stderr}");
}

/// An env var's `value` is secret when its `name` is, and the name may come
/// from another argument or a values file. An argument that gives such a
/// value but does not parse (an unquoted `--set-json` string, an unclosed
/// `--set` list) is masked after its `=`, as one naming a secret is: what
/// it assigns is unknown.
#[test]
fn an_unparsed_env_var_value_is_masked_whatever_names_it() {
    let name_file = "worker:\n  gunicorn:\n    envVars: [{name: DB_PASSWORD}]\n";
    let cases: &[&[&str]] = &[
        &[
            "--set-json",
            r#"worker.gunicorn.envVars[0].name="DB_PASSWORD""#,
            "--set-json",
            "worker.gunicorn.envVars[0].value=Hunter-Zq-1",
        ],
        &[
            "--set",
            "worker.gunicorn.envVars[0].name=DB_PASSWORD",
            "--set",
            "worker.gunicorn.envVars[0].value={Hunter-Zq-2",
        ],
        &["--set-json", r#"worker.gunicorn.envVars[0].value="Hunter-Zq-3"#],
        &["--set-json", r#"{"worker":{"gunicorn":{"envVars":[{"value":"Hunter-Zq-4"}]}}"#],
    ];
    for flags in cases {
        let mut runs = vec![[&["render", "-f", MINIMAL_FILE, "-f", "-"][..], flags].concat()];
        for format in FORMATS {
            runs.push([&["lint", "--format", format, "-f", MINIMAL_FILE, "-f", "-"][..], flags].concat());
        }
        for args in runs {
            let output = run_with_stdin(&args, Some(name_file.as_bytes()));
            let printed = text(&output.stderr) + &text(&output.stdout);
            assert_ne!(output.status.code(), Some(0), "{}: {printed}", args.join(" "));
            assert!(!printed.contains("Hunter-Zq"), "{} prints the value:\n{printed}", args.join(" "));
        }
    }
    // Its `=` forgotten, the value is taken for a values file to lint.
    for flag in ["--set", "--set-json"] {
        for format in FORMATS {
            let args = [
                "lint",
                "--format",
                format,
                MINIMAL_FILE,
                "-",
                flag,
                "worker.gunicorn.envVars[0].value",
                "Hunter-Zq-5",
            ];
            let output = run_with_stdin(&args, Some(name_file.as_bytes()));
            let printed = text(&output.stderr) + &text(&output.stdout);
            assert!(!printed.contains("Hunter-Zq"), "{} prints the value:\n{printed}", args.join(" "));
        }
    }
}
