//! The contracts of the tools that run frappe-manifests: Argo CD's CMP
//! sidecar, kustomize (legacy exec plugin and KRM function), and teams that
//! commit `--output-dir` bundles.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::{MINIMAL, binary, documents, example, kubectl, project_root, render_text, text};

/// A directory holding the binary under `name`, as installers lay it out.
fn install_as(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(binary(), &path).unwrap();
    path
}

/// Runs the shipped plugin's generate command as Argo CD's cmp-server does:
/// no shell, in the application directory, with only Argo CD's variables.
fn argocd_generate(app_dir: &Path, parameters: &str) -> std::process::Output {
    argocd_generate_with(app_dir, parameters, &[])
}

/// [`argocd_generate`], with `env` added to (or replacing) Argo CD's variables.
fn argocd_generate_with(app_dir: &Path, parameters: &str, env: &[(&str, &str)]) -> std::process::Output {
    let plugin: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(project_root().join("integrations/argocd/plugin.yaml")).unwrap()).unwrap();
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    let command: Vec<String> = plugin["spec"]["generate"]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let args: Vec<String> = plugin["spec"]["generate"]["args"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    let bin = tempfile::tempdir().unwrap();
    install_as(bin.path(), &command[0]);
    Command::new(bin.path().join(&command[0]))
        .args(&command[1..])
        .args(args)
        .current_dir(app_dir)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.path().display()))
        .env("ARGOCD_APP_NAME", "shop")
        .env("ARGOCD_APP_NAMESPACE", "erp-shop")
        .env("ARGOCD_APP_REVISION", "0123456789abcdef")
        .env("ARGOCD_APP_SOURCE_PATH", "apps/shop")
        .env("KUBE_VERSION", "1.33.2")
        .env("KUBE_API_VERSIONS", "v1,apps/v1,batch/v1,autoscaling/v2,networking.k8s.io/v1")
        .env("ARGOCD_ENV_TEAM", "erp")
        .env("ARGOCD_APP_PARAMETERS", parameters)
        .env("PARAM_RELEASE", "erp")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn argocd_generate_renders_with_waves_and_no_hooks() {
    let app = tempfile::tempdir().unwrap();
    std::fs::write(
        app.path().join("values.yaml"),
        format!("{MINIMAL}jobs:\n  migrate:\n    enabled: true\n    siteName: shop.example.com\n"),
    )
    .unwrap();
    std::fs::write(app.path().join("prod.yaml"), "socketio:\n  replicaCount: 2\n").unwrap();
    let parameters = r#"[{"name":"values-files","array":["values.yaml","prod.yaml"]},{"name":"release","string":"erp"},{"name":"set","map":{"worker.long.replicaCount":"3"}}]"#;
    let output = argocd_generate(app.path(), parameters);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let docs = documents(&text(&output.stdout));
    assert!(
        docs.iter().all(|d| d["metadata"]["namespace"] == "erp-shop"),
        "the destination namespace applies"
    );
    let deployment = |name: &str| {
        docs.iter()
            .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(
        deployment("erp-erpnext-socketio")["spec"]["replicas"],
        2,
        "values files merge in order"
    );
    assert_eq!(deployment("erp-erpnext-worker-l")["spec"]["replicas"], 3, "the set map applies");
    for doc in &docs {
        let annotations = &doc["metadata"]["annotations"];
        assert!(
            annotations["argocd.argoproj.io/sync-wave"].is_string(),
            "{} has no sync wave",
            doc["metadata"]["name"]
        );
    }
    let job = |task: &str| {
        docs.iter()
            .find(|d| d["kind"] == "Job" && d["metadata"]["labels"]["app.kubernetes.io/component"] == task)
            .unwrap()
    };
    let wave = |doc: &Value| {
        doc["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
            .as_str()
            .unwrap()
            .parse::<i32>()
            .unwrap()
    };
    for task in ["configure", "migrate", "clear-cache"] {
        assert!(
            job(task)["metadata"]["annotations"].get("argocd.argoproj.io/hook").is_none(),
            "{task}: hooks run on every sync"
        );
    }
    assert!(wave(job("configure")) < wave(job("migrate")));
    assert!(wave(job("migrate")) < wave(deployment("erp-erpnext-gunicorn")));
    assert!(wave(deployment("erp-erpnext-gunicorn")) < wave(job("clear-cache")));
    let config = docs.iter().find(|d| d["kind"] == "ConfigMap").unwrap();
    assert_eq!(
        config["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"], "-5",
        "the ConfigMap exists before configure runs"
    );
}

/// The sites claim holds every site's files and backups: neither a prune (a
/// claim no longer rendered) nor a cascading delete of the Application may
/// take it, whichever way the bundle reaches Argo CD.
#[test]
fn argo_cd_never_prunes_or_deletes_a_claim() {
    let values = format!("{MINIMAL}persistence:\n  logs:\n    enabled: true\n");
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join("values.yaml"), &values).unwrap();
    let output = argocd_generate(app.path(), "[]");
    assert!(output.status.success(), "{}", text(&output.stderr));
    for (route, stream) in [("argocd", text(&output.stdout)), ("render", render_text(&values, &[]))] {
        let docs = documents(&stream);
        let claims: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "PersistentVolumeClaim").collect();
        assert_eq!(claims.len(), 2, "{route}: the sites and logs claims");
        for claim in claims {
            assert_eq!(
                claim["metadata"]["annotations"]["argocd.argoproj.io/sync-options"], "Prune=false,Delete=false",
                "{route}: {}",
                claim["metadata"]["name"]
            );
        }
    }
}

#[test]
fn argocd_generate_fails_loudly_on_broken_values() {
    let app = tempfile::tempdir().unwrap();
    std::fs::write(
        app.path().join("values.yaml"),
        format!("{MINIMAL}worker:\n  scheduler:\n    replicaCount: 2\n"),
    )
    .unwrap();
    let output = argocd_generate(app.path(), "[]");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stdout.is_empty(),
        "empty output with exit 0 would let auto-prune delete the application"
    );
    assert!(
        text(&output.stderr).contains("error[scheduler-replicas]"),
        "{}",
        text(&output.stderr)
    );
    assert!(text(&output.stderr).contains("values.yaml:7:19"));
}

/// Argo CD offers each Application that names no source type (no `helm`,
/// `kustomize`, `directory` or `plugin`) to every plugin with a `discover`
/// rule before it looks for `Chart.yaml` (argo-cd
/// `util/app/discovery/discovery.go`, `Discover`). A rule that matches
/// `values.yaml` would claim every Helm chart's directory in the cluster, and
/// one that does not match refuses the plugin even to an Application that
/// names it (`cmpSupports`). So the plugin has none: Applications name it.
#[test]
fn the_argocd_plugin_claims_no_application_that_does_not_name_it() {
    let plugin: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(project_root().join("integrations/argocd/plugin.yaml")).unwrap()).unwrap();
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    assert!(
        plugin["spec"].get("discover").is_none(),
        "a discover rule: {}",
        plugin["spec"]["discover"]
    );
}

/// An Application that names the plugin and gives it no parameters (only
/// `env`, or nothing at all) gets `ARGOCD_APP_PARAMETERS=null`: Argo CD
/// JSON-encodes its nil list of parameters (argo-cd
/// `pkg/apis/application/v1alpha1/types.go`, `ApplicationSourcePluginParameters.Environ`).
#[test]
fn argocd_generate_takes_null_parameters_as_none() {
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join("values.yaml"), MINIMAL).unwrap();
    std::fs::write(app.path().join("prod.yaml"), "socketio:\n  replicaCount: 2\n").unwrap();
    let output = argocd_generate_with(app.path(), "null", &[("ARGOCD_ENV_VALUES_FILES", "values.yaml,prod.yaml")]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let docs = documents(&text(&output.stdout));
    let socketio = crate::common::find(&docs, "Deployment", "shop-erpnext-socketio");
    assert_eq!(socketio["spec"]["replicas"], 2, "ARGOCD_ENV_VALUES_FILES applies");
}

/// `ARGOCD_ENV_VALUES_FILES` that names no file (`,`) is as if unset, as an
/// empty `values-files` is: `values.yaml`. It was a list of no files, which
/// exited 1 without a word.
#[test]
fn argocd_generate_reads_values_yaml_when_the_list_names_no_file() {
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join("values.yaml"), MINIMAL).unwrap();
    for listed in [",", " , ", ""] {
        let output = argocd_generate_with(app.path(), "[]", &[("ARGOCD_ENV_VALUES_FILES", listed)]);
        assert!(output.status.success(), "`{listed}`: {}", text(&output.stderr));
        assert!(!documents(&text(&output.stdout)).is_empty());
    }
}

/// Argo CD names an Application outside its own namespace
/// `<namespace>_<name>` in `ARGOCD_APP_NAME`; its Helm sources take the
/// name alone as the release (argo-cd `reposerver/repository/repository.go`
/// `helmTemplate`), and so does the plugin.
#[test]
fn argocd_generate_takes_the_release_from_the_name_of_an_application_in_any_namespace() {
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join("values.yaml"), MINIMAL).unwrap();
    let output = argocd_generate_with(app.path(), "[]", &[("ARGOCD_APP_NAME", "team-a_shop")]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let docs = documents(&text(&output.stdout));
    assert!(
        docs.iter()
            .all(|d| d["metadata"]["name"].as_str().unwrap().starts_with("shop-erpnext")),
        "the release is the Application's name"
    );
}

/// An invalid namespace is reported where it came from: under Argo CD the
/// Application's destination (`ARGOCD_APP_NAMESPACE`), under kustomize the
/// generator's configuration. Neither has a `--namespace`.
#[test]
fn an_invalid_namespace_names_where_it_came_from() {
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join("values.yaml"), MINIMAL).unwrap();
    let output = argocd_generate_with(app.path(), "[]", &[("ARGOCD_APP_NAMESPACE", "Erp")]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("`Erp` is not a valid namespace name (from `ARGOCD_APP_NAMESPACE`"),
        "{stderr}"
    );

    let input = format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  apiVersion: frappe-manifests/v1alpha1\n  kind: FrappeBench\n  metadata: {{name: erp, namespace: Erp}}\n  spec:\n    values:\n{}",
        MINIMAL.lines().map(|l| format!("      {l}\n")).collect::<String>()
    );
    let (output, failed) = frappe_manifests::kustomize::krm_function(&input, &frappe_manifests::kustomize::LoadRestrictor::None);
    assert!(failed);
    assert!(
        output.contains("`Erp` is not a valid namespace name (from the generator's `metadata.namespace`)"),
        "{output}"
    );
}

/// A parameter the plugin would not read (a name it does not take, a value
/// of another kind than its own, the same name twice) is refused by name:
/// ignored, it would render another bench than the one asked for, and exit 0.
#[test]
fn argocd_generate_refuses_parameters_it_would_ignore() {
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join("values.yaml"), MINIMAL).unwrap();
    for (parameters, named) in [
        (r#"[{"name":"value-files","array":["prod.yaml"]}]"#, "`value-files`"),
        (r#"[{"name":"set","string":"dbRootPassword=Leak-Param"}]"#, "`set`"),
        (r#"[{"name":"release","array":["erp"]}]"#, "`release`"),
        (r#"[{"name":"values-files","map":{"a":"prod.yaml"}}]"#, "`values-files`"),
        (r#"[{"name":"set","map":{"a":"1"}},{"name":"set","map":{"b":"2"}}]"#, "`set`"),
        // A name that carries what was meant for `set`, or a URL's password.
        (r#"[{"name":"dbRootPassword=Leak-Name","string":"x"}]"#, "`dbRootPassword="),
        (
            r#"[{"name":"https://u:Leak-Url@host/x.yaml","string":"x"}]"#,
            "`https://***@host/x.yaml`",
        ),
        (r#"[{"name":"a\n\u001b[2J\u202e","string":"x"}]"#, r"`a\n\u{1b}[2J\u{202e}`"),
    ] {
        let output = argocd_generate(app.path(), parameters);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{parameters}: {stderr}");
        assert!(output.stdout.is_empty(), "{parameters}");
        assert!(stderr.contains(named) && !stderr.contains("Leak"), "{parameters}: {stderr}");
    }
    // What holds nothing is nothing, of whatever kind.
    let output = argocd_generate(
        app.path(),
        r#"[{"name":"set","map":{},"string":""},{"name":"release","string":"","array":[]},{"name":"values-files","string":""}]"#,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[test]
fn kubectl_kustomize_runs_the_generator_and_the_overlay() {
    let Some(kubectl) = kubectl() else { return };
    let plugins = tempfile::tempdir().unwrap();
    install_as(plugins.path(), "frappe-manifests/v1alpha1/frappebench/FrappeBench");
    let output = Command::new(kubectl)
        .args(["kustomize", "--enable-alpha-plugins"])
        .arg(project_root().join("examples/kustomize/overlays/production"))
        .env("KUSTOMIZE_PLUGIN_HOME", plugins.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let docs = documents(&text(&output.stdout));
    let gunicorn = docs
        .iter()
        .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "erp-erpnext-gunicorn")
        .unwrap();
    assert_eq!(
        gunicorn["spec"]["replicas"], 4,
        "the overlay's patch applies to the generated Deployment"
    );
    assert_eq!(gunicorn["metadata"]["namespace"], "erp");
    assert!(docs.iter().all(|d| d["metadata"]["labels"]["team"] == "erp-platform"));
    let socketio = docs
        .iter()
        .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "erp-erpnext-socketio")
        .unwrap();
    assert_eq!(socketio["spec"]["replicas"], 2, "inline spec.values apply after the values files");
}

#[test]
fn kubectl_kustomize_shows_generator_errors() {
    let Some(kubectl) = kubectl() else { return };
    let plugins = tempfile::tempdir().unwrap();
    install_as(plugins.path(), "frappe-manifests/v1alpha1/frappebench/FrappeBench");
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join("kustomization.yaml"), "generators: [bench.yaml]\n").unwrap();
    std::fs::write(
        app.path().join("bench.yaml"),
        "apiVersion: frappe-manifests/v1alpha1\nkind: FrappeBench\nmetadata: {name: erp}\nspec:\n  values:\n    dbHost: db\n",
    )
    .unwrap();
    let output = Command::new(kubectl)
        .args(["kustomize", "--enable-alpha-plugins"])
        .arg(app.path())
        .env("KUSTOMIZE_PLUGIN_HOME", plugins.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    assert!(text(&output.stderr).contains("error[missing-redis]"), "{}", text(&output.stderr));
}

#[test]
fn the_krm_function_turns_a_resource_list_into_objects_and_results() {
    let input = format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {{name: erp}}\nfunctionConfig:\n  apiVersion: frappe-manifests/v1alpha1\n  kind: FrappeBench\n  metadata: {{name: erp, namespace: erp}}\n  spec:\n    values:\n{}",
        MINIMAL.lines().map(|l| format!("      {l}\n")).collect::<String>()
    );
    let mut child = Command::new(binary())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let list: Value = serde_saphyr::from_str(&text(&output.stdout)).unwrap();
    assert_eq!(list["kind"], "ResourceList");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items[0]["kind"], "Namespace", "input items pass through first");
    assert!(
        items
            .iter()
            .any(|i| i["kind"] == "Deployment" && i["metadata"]["name"] == "erp-erpnext-gunicorn")
    );

    let broken = input.replace("dbHost: db.internal", "dbHost: db.internal\n      replicas: 3");
    let (output, failed) = frappe_manifests::kustomize::krm_function(&broken, &frappe_manifests::kustomize::LoadRestrictor::None);
    assert!(failed);
    let list: Value = serde_saphyr::from_str(&output).unwrap();
    let result = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["severity"] == "error")
        .expect("an error result");
    assert_eq!(result["field"]["path"], "replicas");
    assert!(
        result["message"].as_str().unwrap().contains("[unknown-key] unknown key `replicas`"),
        "{result}"
    );
}

/// kustomize hands the function its items as kyaml (go-yaml v3) wrote
/// them, and reads what comes back the same way: a plain `on`, `yes` or `y`
/// is text there, and `010` the integer 8. An item passes through as that.
#[test]
fn the_krm_function_passes_input_items_through_as_kustomize_reads_them() {
    let input = format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: flags}}\n  data: {{a: on, b: yes, c: y, d: off, e: n, f: True}}\n  spec: {{mode: 010}}\nfunctionConfig:\n  apiVersion: frappe-manifests/v1alpha1\n  kind: FrappeBench\n  metadata: {{name: erp, namespace: erp}}\n  spec:\n    values:\n{}",
        MINIMAL.lines().map(|l| format!("      {l}\n")).collect::<String>()
    );
    let (output, failed) = frappe_manifests::kustomize::krm_function(&input, &frappe_manifests::kustomize::LoadRestrictor::None);
    assert!(!failed, "{output}");
    let list: Value = serde_saphyr::from_str(&output).unwrap();
    let item = &list["items"][0];
    assert_eq!(
        item["data"],
        serde_json::json!({"a": "on", "b": "yes", "c": "y", "d": "off", "e": "n", "f": true}),
        "{output}"
    );
    assert_eq!(item["spec"]["mode"], 8, "{output}");
}

/// The FrappeBench's inline values are read from the text kustomize passes
/// as a values file is read, not as kyaml reads the items: a plain `16.10`
/// where a string is wanted stays `16.10`, with the warning a values file
/// gets. kustomize's copy of the configuration is named for what it is (its
/// lines are not the user's), and is no file of a result.
#[test]
fn the_krm_function_reads_inline_values_as_a_values_file_is_read() {
    let input = format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  apiVersion: frappe-manifests/v1alpha1\n  kind: FrappeBench\n  metadata: {{name: erp, namespace: erp}}\n  spec:\n    values:\n      image: {{tag: 16.10}}\n{}",
        MINIMAL.lines().map(|l| format!("      {l}\n")).collect::<String>()
    );
    let (output, failed) = frappe_manifests::kustomize::krm_function(&input, &frappe_manifests::kustomize::LoadRestrictor::None);
    assert!(!failed, "{output}");
    let list: Value = serde_saphyr::from_str(&output).unwrap();
    let gunicorn = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "Deployment" && i["metadata"]["name"] == "erp-erpnext-gunicorn")
        .unwrap();
    let image = gunicorn["spec"]["template"]["spec"]["containers"][0]["image"].as_str().unwrap();
    assert!(image.ends_with(":16.10"), "{image}");
    let warning = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["message"].as_str().unwrap().starts_with("[yaml11-scalar]"))
        .expect("a yaml11-scalar warning");
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .contains("(FrappeBench/erp as kustomize passes it:10:20)"),
        "{warning}"
    );
    assert!(warning.get("file").is_none(), "{warning}");
    assert_eq!(warning["field"]["path"], "image.tag");
}

/// The exec plugin's configuration is kustomize's copy too, and is named so.
#[test]
fn the_exec_plugin_names_the_configuration_kustomize_passes() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "apiVersion: frappe-manifests/v1alpha1\nkind: FrappeBench\nmetadata:\n  name: erp\nspec:\n  values:\n    replicas: 3\n{}",
            MINIMAL.lines().map(|l| format!("    {l}\n")).collect::<String>()
        ),
    )
    .unwrap();
    let output = Command::new(binary()).arg("kustomize-plugin").arg(&config).output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--> FrappeBench/erp as kustomize passes it:7:5"), "{stderr}");
}

/// The Secret's file holds the passwords the values wrote: only its owner may
/// read it, whatever the umask; the other files follow the umask.
#[test]
fn output_dir_writes_the_secret_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let work = tempfile::tempdir().unwrap();
    let (values, dir) = (work.path().join("values.yaml"), work.path().join("rendered"));
    std::fs::write(&values, format!("{MINIMAL}dbRootPassword: Root-Secret-9\n")).unwrap();
    let output = Command::new("sh")
        .args(["-c", "umask 022 && exec \"$0\" render -f \"$1\" --output-dir \"$2\""])
        .arg(binary())
        .arg(&values)
        .arg(&dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let modes: Vec<(String, u32)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().permissions().mode() & 0o777,
            )
        })
        .collect();
    let secrets: Vec<_> = modes.iter().filter(|(name, _)| name.contains("-secret-")).collect();
    assert_eq!(secrets.len(), 1, "{modes:?}");
    assert_eq!(secrets[0].1, 0o600, "{modes:?}");
    assert!(
        std::fs::read_to_string(dir.join(&secrets[0].0))
            .unwrap()
            .contains("db-root-password")
    );
    assert!(
        modes
            .iter()
            .filter(|(name, _)| !name.contains("-secret-"))
            .all(|(_, mode)| *mode == 0o644),
        "{modes:?}"
    );
}

#[test]
fn output_dir_writes_one_file_per_object_and_round_trips_through_kustomize() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("rendered");
    let render_to_dir = |values: &Path| {
        Command::new(binary())
            .args(["render", "-f"])
            .arg(values)
            .args(["--release", "frappe-bench", "-n", "erpnext", "--output-dir"])
            .arg(&dir)
            .output()
            .unwrap()
    };
    let output = render_to_dir(&example("production"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty());
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files[0], "00-networkpolicy-frappe-bench-erpnext-backends.yaml");
    assert!(files.contains(&"kustomization.yaml".to_owned()));
    assert!(files.iter().any(|f| f.ends_with("-deployment-frappe-bench-erpnext-scheduler.yaml")));

    let stream = text(&crate::common::run(crate::common::RENDER_PRODUCTION).stdout);
    if let Some(kubectl) = kubectl() {
        let built = Command::new(kubectl).arg("kustomize").arg(&dir).output().unwrap();
        assert!(built.status.success(), "{}", text(&built.stderr));
        let key = |d: &Value| {
            (
                d["kind"].as_str().unwrap().to_owned(),
                d["metadata"]["name"].as_str().unwrap().to_owned(),
            )
        };
        let mut from_dir = documents(&text(&built.stdout));
        let mut from_render = documents(&stream);
        from_dir.sort_by_key(key);
        from_render.sort_by_key(key);
        assert_eq!(from_dir, from_render, "kubectl kustomize DIR gives the objects render prints");
    }

    // A failed render leaves the directory as it was.
    let before = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
    let broken = work.path().join("broken.yaml");
    std::fs::write(&broken, "dbHost: [").unwrap();
    assert_eq!(render_to_dir(&broken).status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap(), before);

    // A second render replaces the bundle whole.
    let minimal = work.path().join("minimal.yaml");
    std::fs::write(&minimal, MINIMAL).unwrap();
    assert!(render_to_dir(&minimal).status.success());
    assert!(!dir.join(&files[1]).exists() || std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap() != before);
    let leftovers: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no staging directories are left: {leftovers:?}");
}

/// kustomize's `namePrefix` and `nameSuffix` rename a Job and its
/// PodDisruptionBudget, but no label value. Kubernetes labels the Job's pods
/// with its name as it is in the cluster (`batch.kubernetes.io/job-name`),
/// so a budget must select something a rename leaves alone: after the
/// overlay, each budget of a Job that changes a site still selects that
/// Job's pods and no other's, and the overlay's selector labels go to both
/// sides.
#[test]
fn a_kustomize_rename_keeps_each_jobs_disruption_budget_on_its_pods() {
    let Some(kubectl) = kubectl() else { return };
    let values = format!(
        "{}  restore:\n    enabled: true\n    siteName: shop.example.com\n    confirm: shop.example.com\n    database: a-database.sql.gz\n",
        crate::jobs::multisite_values(3306)
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bundle.yaml"), render_text(&values, &[])).unwrap();
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        "resources: [bundle.yaml]\nnamePrefix: blue-\nnameSuffix: -eu\nlabels:\n  - pairs: {team: erp}\n    includeSelectors: true\n",
    )
    .unwrap();
    let output = Command::new(kubectl).arg("kustomize").arg(dir.path()).output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let docs = documents(&text(&output.stdout));
    // Each Job's pod as the Job controller labels it: the template's labels,
    // and the Job's name (as renamed) under batch.kubernetes.io/job-name.
    let pods: Vec<(String, serde_json::Map<String, Value>)> = docs
        .iter()
        .filter(|d| d["kind"] == "Job")
        .map(|job| {
            let name = job["metadata"]["name"].as_str().unwrap().to_owned();
            let mut labels = job["spec"]["template"]["metadata"]["labels"].as_object().unwrap().clone();
            labels.insert("batch.kubernetes.io/job-name".to_owned(), Value::from(name.clone()));
            (name, labels)
        })
        .collect();
    let mut fenced = Vec::new();
    for budget in docs.iter().filter(|d| d["kind"] == "PodDisruptionBudget") {
        let name = budget["metadata"]["name"].as_str().unwrap();
        let Some((job, _)) = pods.iter().find(|(job, _)| job == name) else {
            continue; // a component's budget
        };
        assert!(name.starts_with("blue-") && name.ends_with("-eu"), "{name}");
        let selector = budget["spec"]["selector"]["matchLabels"].as_object().unwrap();
        assert_eq!(selector["team"], "erp", "{name}: the overlay's selector label");
        let selected: Vec<&String> = pods
            .iter()
            .filter(|(_, labels)| selector.iter().all(|(key, value)| labels.get(key) == Some(value)))
            .map(|(job, _)| job)
            .collect();
        assert_eq!(selected, [job], "{name} selects {selected:?}");
        fenced.push(name.to_owned());
    }
    assert_eq!(fenced.len(), 4, "create-site, drop-site, migrate and restore: {fenced:?}");
    // The scripts still learn their Job's name, as renamed, from the label
    // Kubernetes puts on the pods.
    for job in docs
        .iter()
        .filter(|d| d["kind"] == "Job" && fenced.contains(&d["metadata"]["name"].as_str().unwrap().to_owned()))
    {
        let env = job["spec"]["template"]["spec"]["containers"][0]["env"].as_array().unwrap();
        assert!(
            env.iter()
                .any(|e| e["name"] == "JOB_NAME"
                    && e["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['batch.kubernetes.io/job-name']"),
            "{}",
            job["metadata"]["name"]
        );
    }
}
