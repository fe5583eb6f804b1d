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

/// SARIF's `uri` is a URI reference: a file name's `%`, `#`, `?`, spaces and
/// non-ASCII bytes are percent-encoded, and an absolute path is a `file:` URI.
#[test]
fn sarif_locations_are_uri_references() {
    use frappe_manifests::formats::artifact_uri;
    use std::process::Command;
    assert_eq!(artifact_uri("values/prod.yaml"), "values/prod.yaml");
    assert_eq!(artifact_uri("a b%20#1?.yaml"), "a%20b%2520%231%3F.yaml");
    assert_eq!(artifact_uri("<stdin>"), "%3Cstdin%3E");
    assert_eq!(artifact_uri("/srv/ci/é.yaml"), "file:///srv/ci/%C3%A9.yaml");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bench 50%.yaml"), format!("{MINIMAL}imag: {{}}\n")).unwrap();
    let output = Command::new(binary())
        .args(["lint", "--format", "sarif", "bench 50%.yaml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "bench%2050%25.yaml", "{sarif}");
}

/// GitHub's code scanning refuses a whole SARIF upload when one result has
/// no location (github/codeql-action#2459): a problem with no place in the
/// values, an invalid `--release`, is placed at each bench's first file;
/// the JSON still says it has none.
#[test]
fn every_sarif_result_has_a_location() {
    let args = |format| {
        let mut args = vec!["lint", "--format", format, "--release", "Bad_Name"];
        args.extend(["examples/minimal.yaml", "examples/multisite.yaml"]);
        args
    };
    let output = run(&args("sarif"));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let mut placed: Vec<&str> = Vec::new();
    for result in results {
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str();
        let uri = uri.unwrap_or_else(|| panic!("a result with no location: {result}"));
        if result["ruleId"] == "invalid-name" {
            placed.push(uri);
        }
    }
    assert_eq!(placed, ["examples/minimal.yaml", "examples/multisite.yaml"]);
    let output = run(&args("json"));
    let records: Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&Value> = records.as_array().unwrap().iter().filter(|r| r["code"] == "invalid-name").collect();
    assert!(names.len() == 2 && names.iter().all(|r| r["file"].is_null()), "{records}");
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

/// Runs the binary from the project root with `vars` as its only
/// colour-related environment (none of the test runner's).
fn run_in_env(args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(crate::common::binary());
    command.args(args).current_dir(crate::common::project_root());
    for name in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "FORCE_COLOR", "TERM"] {
        command.env_remove(name);
    }
    command.envs(vars.iter().copied()).output().expect("the binary runs")
}

fn rendered(output: &std::process::Output) -> Vec<Value> {
    assert!(output.status.success(), "{}", text(&output.stderr));
    crate::common::documents(&text(&output.stdout))
}

fn gunicorn(docs: &[Value]) -> &Value {
    crate::common::find(docs, "Deployment", "erpnext-gunicorn")
}

#[test]
fn set_takes_helm_lists() {
    let docs = rendered(&run(&[
        "render",
        "examples/minimal.yaml",
        "--set",
        r"worker.gunicorn.args={--workers=4,--threads=2},worker.gunicorn.podAnnotations.a=x\,y",
    ]));
    let args = &gunicorn(&docs)["spec"]["template"]["spec"]["containers"][0]["args"];
    let args: Vec<&str> = args.as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert!(args.contains(&"--workers=4") && args.contains(&"--threads=2"), "{args:?}");
    assert_eq!(gunicorn(&docs)["spec"]["template"]["metadata"]["annotations"]["a"], "x,y");
}

#[test]
fn set_string_keeps_the_text_and_applies_after_set() {
    let annotations = |args: &[&str]| {
        let mut argv = vec!["render", "examples/minimal.yaml"];
        argv.extend(args);
        gunicorn(&rendered(&run(&argv)))["spec"]["template"]["metadata"]["annotations"].clone()
    };
    let given = annotations(&[
        "--set-string",
        r#"worker.gunicorn.podAnnotations.a=null,worker.gunicorn.podAnnotations.b="3""#,
    ]);
    assert_eq!(given["a"], "null", "--set-string keeps `null` as text");
    assert_eq!(given["b"], r#""3""#, "--set-string keeps the quotes");
    let typed = run(&["render", "examples/minimal.yaml", "--set", "worker.gunicorn.podAnnotations.a=null"]);
    assert!(
        text(&typed.stderr).contains("expected a string, found null"),
        "--set reads `null` as null: {}",
        text(&typed.stderr)
    );
    // helm's order: every --set-string after every --set, wherever it is written.
    let order = annotations(&[
        "--set-string",
        "worker.gunicorn.podAnnotations.a=string",
        "--set",
        "worker.gunicorn.podAnnotations.a=set",
    ]);
    assert_eq!(order["a"], "string");
}

#[test]
fn set_file_sets_a_files_content_and_reports_a_missing_file_where_it_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("note.txt");
    std::fs::write(&config, "line one\nline two\n").unwrap();
    let argument = format!("worker.gunicorn.podAnnotations.note={}", config.display());
    let docs = rendered(&run(&[
        "render",
        "examples/minimal.yaml",
        "--set-file",
        &argument,
        "--set-string",
        "worker.gunicorn.podAnnotations.note=overridden",
    ]));
    assert_eq!(
        gunicorn(&docs)["spec"]["template"]["metadata"]["annotations"]["note"],
        "line one\nline two\n",
        "the content as is, and --set-file applies last"
    );

    let missing = run(&["render", "examples/minimal.yaml", "--set-file", "dbRootPassword=no-such-file.txt"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(missing.stdout.is_empty());
    let stderr = text(&missing.stderr);
    // The path under a secret key may be the password itself: masked.
    assert!(stderr.contains("cannot read `***`: no such file"), "{stderr}");
    assert!(stderr.contains("--> --set-file:1:16"), "{stderr}");
    let missing = run(&["render", "examples/minimal.yaml", "--set-file", "nginx.config=no-such-file.txt"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot read `no-such-file.txt`: no such file"));
}

/// A Redis URL kept in a file ends in a line break, which `--set-file`
/// keeps, as helm does: Python's `urlsplit` (under redis-py's `parse_url`)
/// removes tabs and line breaks, so Frappe reads the URL without it, and so
/// do we. The URLs written hold none.
#[test]
fn a_redis_url_from_a_file_reads_without_its_last_line_break() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("queue.url");
    std::fs::write(&url, "redis://queue:6380/1\n").unwrap();
    let argument = format!("externalRedis.queue={}", url.display());
    let output = run(&["render", "examples/minimal.yaml", "--set-file", &argument]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let docs = rendered(&output);
    let config = docs
        .iter()
        .find(|d| d["kind"] == "ConfigMap" && d["data"]["FRAPPE_REDIS_QUEUE"].is_string())
        .unwrap();
    assert_eq!(config["data"]["FRAPPE_REDIS_QUEUE"], "redis://queue:6380/1");

    std::fs::write(&url, "redis://queue:6380/1\u{0}").unwrap();
    let output = run(&["render", "examples/minimal.yaml", "--set-file", &argument]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("error[invalid-redis-url]"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn values_files_come_as_arguments_with_f_or_with_values_and_template_renders() {
    let with_f = run(&["render", "-f", "examples/minimal.yaml"]);
    assert!(with_f.status.success(), "{}", text(&with_f.stderr));
    for argv in [
        &["render", "examples/minimal.yaml"][..],
        &["render", "--values", "examples/minimal.yaml"],
        &["template", "examples/minimal.yaml"],
    ] {
        let output = run(argv);
        assert!(output.status.success(), "{argv:?}: {}", text(&output.stderr));
        assert_eq!(output.stdout, with_f.stdout, "{argv:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let overlay = dir.path().join("overlay.yaml");
    std::fs::write(&overlay, "socketio:\n  replicaCount: 3\n").unwrap();
    let overlay = overlay.display().to_string();
    let merged = rendered(&run(&["render", "examples/minimal.yaml", &overlay]));
    assert_eq!(
        crate::common::find(&merged, "Deployment", "erpnext-socketio")["spec"]["replicas"],
        3,
        "plain arguments merge left to right as -f does"
    );
    let both = run(&["render", "examples/minimal.yaml", "-f", &overlay]);
    assert_eq!(both.status.code(), Some(2), "-f and plain arguments together are ambiguous");
    assert_eq!(run(&["render"]).status.code(), Some(2), "a values file is required");
}

#[test]
fn colour_follows_the_flag_then_no_color_then_the_forcing_variables() {
    // stderr is a pipe here: only forcing colours it.
    let coloured = |args: &[&str], vars: &[(&str, &str)]| {
        let mut argv = vec!["render", "examples/minimal.yaml"];
        argv.extend(args);
        let output = run_in_env(&argv, vars);
        assert!(output.status.success());
        let stderr = text(&output.stderr);
        assert!(stderr.contains("missing-requests"), "{stderr}");
        stderr.contains("\x1b[")
    };
    assert!(!coloured(&[], &[]), "a pipe is not coloured");
    assert!(coloured(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!coloured(&[], &[("CLICOLOR_FORCE", "0")]));
    assert!(coloured(&[], &[("FORCE_COLOR", "1")]));
    assert!(!coloured(&[], &[("NO_COLOR", "1"), ("FORCE_COLOR", "1")]), "NO_COLOR wins");
    assert!(coloured(&["--color", "always"], &[("NO_COLOR", "1")]), "the flag wins");
    assert!(coloured(&["--color=always"], &[]));
    assert!(!coloured(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]), "the flag wins");

    // lint's human format on stdout follows the same decision.
    let lint = |vars: &[(&str, &str)]| text(&run_in_env(&["lint", "examples/minimal.yaml"], vars).stdout).contains("\x1b[");
    assert!(lint(&[("CLICOLOR_FORCE", "1")]));
    assert!(!lint(&[]));
    // clap's own help too.
    let help = |args: &[&str]| text(&run_in_env(args, &[]).stdout).contains("\x1b[");
    assert!(help(&["--color", "always", "--help"]));
    assert!(!help(&["--help"]));
}

#[test]
fn version_names_the_kubernetes_api_and_the_chart() {
    let output = run(&["--version"]);
    assert!(output.status.success());
    let version = text(&output.stdout);
    assert!(
        version.starts_with(&format!("frappe-manifests {}\n", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    assert!(version.contains("Kubernetes 1.33 API"), "{version}");
    assert!(version.contains("erpnext 8.0.75 (app version v16.32.3)"), "{version}");
    // The chart version is the one whose render the project keeps as its reference.
    let render = crate::common::project_root().join("../shared/reference/frappe-helm-erpnext-8.0.75/render-of-scoopjoy-values.yaml");
    match std::fs::read_to_string(&render) {
        Ok(render) => {
            assert!(render.contains("helm.sh/chart: erpnext-8.0.75"));
            assert!(render.contains("app.kubernetes.io/version: \"v16.32.3\""));
        }
        Err(_) => crate::common::skip_unless_ci(&format!("{} is not beside the repository", render.display())),
    }
}

#[test]
fn each_command_s_help_starts_with_its_own_description() {
    use clap::CommandFactory;
    // The descriptions as the variants of `cli::Command` give them, before
    // any subcommand is built: a doc comment on an `Args` struct a command
    // flattens must not replace them when its arguments are built.
    let command = frappe_manifests::cli::Cli::command();
    for sub in command.get_subcommands() {
        let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
        assert!(!about.is_empty(), "`{}` has no description", sub.get_name());
        let help = text(&run(&[sub.get_name(), "--help"]).stdout);
        // Compared word by word: the help wraps long descriptions.
        let words = about.split_whitespace().count();
        assert!(
            help.split_whitespace().take(words).eq(about.split_whitespace()),
            "`{} --help` starts:\n{help}",
            sub.get_name()
        );
    }
}

/// Every long option of `command` and its subcommands, by command name.
fn options_by_command() -> Vec<(String, Vec<String>)> {
    use clap::CommandFactory;
    // A subcommand's arguments are added when it is built (clap's `defer`);
    // `man` leaves out the `help` subcommand, as here.
    let mut command = frappe_manifests::cli::Cli::command().disable_help_subcommand(true);
    command.build();
    let longs = |c: &clap::Command| {
        c.get_arguments()
            .filter_map(|a| a.get_long())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let mut all = vec![("frappe-manifests".to_owned(), longs(&command))];
    all.extend(command.get_subcommands().map(|sub| (sub.get_name().to_owned(), longs(sub))));
    all
}

#[test]
fn completions_complete_commands_in_bash_and_exist_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = run(&["completions", shell]);
        assert!(output.status.success(), "{shell}: {}", text(&output.stderr));
        let script = text(&output.stdout);
        for (command, _) in options_by_command() {
            assert!(script.contains(&command), "{shell} does not complete `{command}`");
        }
        assert!(script.contains("set-file"), "{shell} does not complete `--set-file`");
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));

    let script = run(&["completions", "bash"]).stdout;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("frappe-manifests.bash");
    std::fs::write(&path, script).unwrap();
    // What bash does on `frappe-manifests ren<TAB>`, then `frappe-manifests render --set-<TAB>`:
    // call the function the script registered for the command.
    let complete = |words: &str, current: usize| {
        let program = format!(
            "source {}; function=$(complete -p frappe-manifests | sed -E 's/.* -F ([^ ]+) .*/\\1/'); \
             COMP_WORDS=({words}); COMP_CWORD={current}; \
             \"$function\" frappe-manifests \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            path.display()
        );
        let output = std::process::Command::new("bash")
            .arg("-c")
            .arg(program)
            .output()
            .expect("bash runs");
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout).lines().map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(complete("frappe-manifests ren", 1), ["render"]);
    let options = complete("frappe-manifests render --set-", 2);
    assert!(
        options.contains(&"--set-string".to_owned()) && options.contains(&"--set-file".to_owned()),
        "{options:?}"
    );
}

#[test]
fn the_manual_has_a_page_per_command_with_every_option_and_renders() {
    let temp = tempfile::tempdir().unwrap();
    // The directory is made when missing, as `/usr/local/share/man/man1` may be.
    let dir = temp.path().join("share/man/man1");
    let output = run(&["man", "--dir", &dir.display().to_string()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    for (command, longs) in options_by_command() {
        let name = if command == "frappe-manifests" {
            command.clone()
        } else {
            format!("frappe-manifests-{command}")
        };
        let page = std::fs::read_to_string(dir.join(format!("{name}.1"))).unwrap_or_else(|_| panic!("no page for `{command}`"));
        for long in longs {
            // roff escapes the dashes of options (`\-\-set\-file`).
            assert!(
                page.contains(&format!("\\-\\-{}", long.replace('-', "\\-"))),
                "`{command}`'s page lacks --{long}"
            );
        }
        if command != "frappe-manifests" {
            let main = std::fs::read_to_string(dir.join("frappe-manifests.1")).unwrap();
            assert!(
                main.contains(&format!("{}(1)", name.replace('-', "\\-"))),
                "the main page does not list `{command}`"
            );
        }
    }
    // `man render` prints the same page as the file.
    let printed = run(&["man", "render"]);
    assert!(printed.status.success());
    assert_eq!(
        text(&printed.stdout),
        std::fs::read_to_string(dir.join("frappe-manifests-render.1")).unwrap()
    );
    assert_eq!(run(&["man", "no-such-command"]).status.code(), Some(2));

    // groff formats it without a warning, when installed.
    let groff = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww"])
        .arg(dir.join("frappe-manifests-render.1"))
        .output();
    match groff {
        Ok(output) => {
            assert!(output.status.success());
            assert!(output.stderr.is_empty(), "groff warns: {}", text(&output.stderr));
            let shown = text(&output.stdout);
            assert!(shown.contains("--set-file"), "{shown}");
        }
        Err(_) => crate::common::skip("groff is not installed, so the page's formatting is not checked"),
    }
}

#[test]
fn explain_reaches_into_lists() {
    for key in ["ingress.hosts[].host", "ingress.hosts[0].host", "ingress.hosts.host"] {
        let output = run(&["explain", key]);
        assert!(output.status.success(), "{key}: {}", text(&output.stderr));
        let stdout = text(&output.stdout);
        assert!(
            stdout.starts_with("KEY:     ingress.hosts[].host\nTYPE:    string\n"),
            "{key}: {stdout}"
        );
        assert!(stdout.contains("The host name"), "{stdout}");
    }
    let hosts = text(&run(&["explain", "ingress.hosts"]).stdout);
    assert!(hosts.contains("TYPE:    array of object"), "{hosts}");
    assert!(hosts.contains("\n  paths "), "a list lists its items' keys: {hosts}");
    let typo = run(&["explain", "ingress.hosts[].hots"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        text(&typo.stderr).contains("not a key of `ingress.hosts[]`; did you mean `host`?"),
        "{}",
        text(&typo.stderr)
    );
    assert_eq!(run(&["explain", "ingress.enabled[]"]).status.code(), Some(2), "not a list");
}

#[test]
fn explain_prints_summaries_whole_and_wrapped_under_their_column() {
    let stdout = text(&run(&["explain", "ingress"]).stdout);
    // A summary is the description's first paragraph, not cut at a period.
    assert!(
        stdout.contains("  className                    The IngressClass, e.g. `nginx`.\n"),
        "{stdout}"
    );
    let websocket: Vec<&str> = stdout.lines().skip_while(|l| !l.starts_with("  websocket ")).take(3).collect();
    assert!(websocket.join(" ").contains("`none`: nothing."), "{websocket:?}");
    for line in stdout.lines().filter(|l| !l.starts_with("DEFAULT:")) {
        assert!(line.chars().count() <= 100, "longer than 100 columns: {line}");
    }
    // Continuation lines start under the summary column.
    let continued = websocket[1];
    assert!(
        continued.starts_with(&" ".repeat(31)) && !continued[31..].starts_with(' '),
        "{continued:?}"
    );
    // A key too long for its column gets its summary on the next line, indented.
    let probe = text(&run(&["explain", "worker.gunicorn.livenessProbe"]).stdout);
    let at = probe
        .find("  terminationGracePeriodSeconds\n")
        .expect("the long key on a line of its own");
    assert!(
        probe[at..]
            .lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("{}Optional", " ".repeat(31))),
        "{probe}"
    );
}

/// The README's line that installs the kustomize exec plugin.
fn readme_kustomize_install() -> String {
    let readme = std::fs::read_to_string(crate::common::project_root().join("README.md")).unwrap();
    let at = readme
        .find("plugin_dir=\"${KUSTOMIZE_PLUGIN_HOME:-")
        .expect("the README has the install line");
    let block = &readme[at..];
    block[..block.find("```").unwrap()].to_owned()
}

#[test]
fn the_readmes_kustomize_install_line_works_without_kustomize_plugin_home() {
    let Some(kubectl) = crate::common::kubectl() else { return };
    let bin = tempfile::tempdir().unwrap();
    let binary = std::fs::canonicalize(crate::common::binary()).unwrap();
    std::os::unix::fs::symlink(binary, bin.path().join("frappe-manifests")).unwrap();
    for xdg in [false, true] {
        let home = tempfile::tempdir().unwrap();
        let config = tempfile::tempdir().unwrap();
        let in_env = |program: &std::path::Path| {
            let mut command = std::process::Command::new(program);
            command
                .current_dir(crate::common::project_root())
                .env_clear()
                .env("PATH", format!("{}:/usr/bin:/bin", bin.path().display()))
                .env("HOME", home.path());
            if xdg {
                command.env("XDG_CONFIG_HOME", config.path());
            }
            command
        };
        let install = in_env(std::path::Path::new("bash"))
            .args(["-euo", "pipefail", "-c", &readme_kustomize_install()])
            .output()
            .unwrap();
        assert!(install.status.success(), "{}", text(&install.stderr));
        let output = in_env(&kubectl)
            .args(["kustomize", "--enable-alpha-plugins", "examples/kustomize/overlays/production"])
            .output()
            .unwrap();
        assert!(output.status.success(), "XDG_CONFIG_HOME set: {xdg}: {}", text(&output.stderr));
        let docs = crate::common::documents(&text(&output.stdout));
        assert!(
            docs.iter().any(|d| d["metadata"]["name"] == "erp-erpnext-gunicorn"),
            "the generator ran"
        );
    }
}

#[test]
fn render_help_says_what_output_dir_keeps() {
    let output = run(&["render", "--help"]);
    let help = text(&output.stdout);
    let option = help.split("--output-dir").nth(1).unwrap_or_default();
    let option = option.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(!option.contains("replaced whole"), "{option}");
    assert!(option.contains("left alone"), "{option}");
}
