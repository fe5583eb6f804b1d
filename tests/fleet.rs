//! `examples/fleet/`: one bench per customer, one Argo CD Application per
//! bench from an ApplicationSet. Each bench is rendered the way Argo CD
//! would: the ApplicationSet's git directory generator finds the benches,
//! its template gives each Application, and the plugin's generate command
//! runs with the environment Argo CD's repo-server and CMP server give it.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{binary, documents, project_root, text};

const FLEET: &str = "examples/fleet";

fn yaml_file(path: &Path) -> Value {
    serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The directories the git directory generator finds for `pattern` in the
/// repository at `root`. Only a trailing `*` is supported; anything else
/// fails the test rather than being read wrongly.
fn generator_directories(root: &Path, pattern: &str) -> Vec<String> {
    let parent = pattern.strip_suffix("/*").expect("a `dir/*` pattern");
    assert!(!parent.contains(['*', '?', '[']), "only a trailing `*` is supported: {pattern}");
    let mut found: Vec<String> = std::fs::read_dir(root.join(parent))
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().unwrap().is_dir())
        .map(|entry| format!("{parent}/{}", entry.file_name().to_string_lossy()))
        .collect();
    found.sort();
    found
}

/// The ApplicationSet's template with the directory generator's parameters
/// for `path` (goTemplate: `.path.path`, `.path.basename`).
fn application(template: &Value, path: &str) -> Value {
    let basename = path.rsplit('/').next().unwrap();
    match template {
        Value::String(s) => {
            let filled = s.replace("{{.path.path}}", path).replace("{{.path.basename}}", basename);
            assert!(!filled.contains("{{"), "a template parameter this test does not know: {s}");
            Value::String(filled)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| application(v, path)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), application(v, path))).collect()),
        other => other.clone(),
    }
}

/// A parameter name as Argo CD puts it into an environment variable's name:
/// upper case, anything but letters, digits and `_` as `_`.
fn escaped(name: &str) -> String {
    name.to_uppercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
        .collect()
}

/// The environment Argo CD gives the plugin for `app` (reposerver's
/// `newEnv` and `getPluginParamEnvs`, and the parameters'
/// `ApplicationSourcePluginParameters.Environ`).
fn argocd_environment(app: &Value) -> Vec<(String, String)> {
    let source = &app["spec"]["source"];
    let plugin = &source["plugin"];
    let field = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut env = vec![
        ("ARGOCD_APP_NAME".to_owned(), field(&app["metadata"]["name"])),
        ("ARGOCD_APP_NAMESPACE".to_owned(), field(&app["spec"]["destination"]["namespace"])),
        ("ARGOCD_APP_PROJECT_NAME".to_owned(), field(&app["spec"]["project"])),
        (
            "ARGOCD_APP_REVISION".to_owned(),
            "0123456789abcdef0123456789abcdef01234567".to_owned(),
        ),
        ("ARGOCD_APP_REVISION_SHORT".to_owned(), "0123456".to_owned()),
        ("ARGOCD_APP_SOURCE_REPO_URL".to_owned(), field(&source["repoURL"])),
        ("ARGOCD_APP_SOURCE_PATH".to_owned(), field(&source["path"])),
        ("ARGOCD_APP_SOURCE_TARGET_REVISION".to_owned(), field(&source["targetRevision"])),
        ("KUBE_VERSION".to_owned(), "1.33.2".to_owned()),
        (
            "KUBE_API_VERSIONS".to_owned(),
            "v1,apps/v1,batch/v1,autoscaling/v2,networking.k8s.io/v1,policy/v1".to_owned(),
        ),
    ];
    for entry in plugin["env"].as_array().into_iter().flatten() {
        env.push((format!("ARGOCD_ENV_{}", field(&entry["name"])), field(&entry["value"])));
    }
    let parameters = plugin["parameters"].clone();
    env.push(("ARGOCD_APP_PARAMETERS".to_owned(), parameters.to_string()));
    for parameter in parameters.as_array().into_iter().flatten() {
        let base = format!("PARAM_{}", escaped(&field(&parameter["name"])));
        if let Some(string) = parameter["string"].as_str() {
            env.push((base.clone(), string.to_owned()));
        }
        for (key, value) in parameter["map"].as_object().into_iter().flatten() {
            env.push((format!("{base}_{}", escaped(key)), field(value)));
        }
        for (i, value) in parameter["array"].as_array().into_iter().flatten().enumerate() {
            env.push((format!("{base}_{i}"), field(value)));
        }
    }
    env
}

/// Copies the fleet into `checkout` at the same path, as the repo-server
/// sends the CMP server the repository.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs the plugin's generate command for `app` as the CMP server does:
/// no shell, in the application's directory of the checkout, with only
/// Argo CD's environment.
fn generate(checkout: &Path, app: &Value) -> std::process::Output {
    let plugin = yaml_file(&project_root().join("integrations/argocd/plugin.yaml"));
    let name = format!(
        "{}-{}",
        plugin["metadata"]["name"].as_str().unwrap(),
        plugin["spec"]["version"].as_str().unwrap()
    );
    assert_eq!(
        app["spec"]["source"]["plugin"]["name"],
        name.as_str(),
        "the Application names the shipped plugin"
    );
    let command: Vec<&str> = plugin["spec"]["generate"]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(std::fs::canonicalize(binary()).unwrap(), bin.path().join(command[0])).unwrap();
    let app_dir = checkout.join(app["spec"]["source"]["path"].as_str().unwrap());
    Command::new(bin.path().join(command[0]))
        .args(&command[1..])
        .current_dir(&app_dir)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.path().display()))
        .envs(argocd_environment(app))
        .output()
        .unwrap()
}

#[test]
fn the_applicationset_renders_every_bench_through_the_plugin() {
    let set = yaml_file(&project_root().join(FLEET).join("applicationset.yaml"));
    assert_eq!(set["kind"], "ApplicationSet");
    assert_eq!(set["spec"]["goTemplate"], true);
    let directories = &set["spec"]["generators"][0]["git"]["directories"];
    let pattern = directories[0]["path"].as_str().unwrap();
    let benches = generator_directories(&project_root(), pattern);
    assert!(benches.len() >= 2, "a fleet of one: {benches:?}");

    let checkout = tempfile::tempdir().unwrap();
    copy_tree(&project_root().join(FLEET), &checkout.path().join(FLEET));
    let mut queues = Vec::new();
    for bench in &benches {
        let name = bench.rsplit('/').next().unwrap();
        let app = application(&set["spec"]["template"], bench);
        let output = generate(checkout.path(), &app);
        assert!(output.status.success(), "{bench}: {}", text(&output.stderr));
        assert!(output.stderr.is_empty(), "{bench} warns: {}", text(&output.stderr));
        let docs = documents(&text(&output.stdout));
        assert!(!docs.is_empty());

        let namespace = format!("erp-{name}");
        for doc in &docs {
            assert_eq!(
                doc["metadata"]["namespace"],
                namespace.as_str(),
                "{bench}: the destination namespace"
            );
            let object = doc["metadata"]["name"].as_str().unwrap();
            assert!(
                object.starts_with(&format!("{name}-erpnext")),
                "{bench}: `{object}` is not named after the release"
            );
        }
        // The overlay applied: its host, its site, its Redis database.
        let overlay = yaml_file(&checkout.path().join(bench).join("values.yaml"));
        let ingress = docs.iter().find(|d| d["kind"] == "Ingress").expect("the base enables the Ingress");
        assert_eq!(
            ingress["spec"]["rules"][0]["host"], overlay["ingress"]["hosts"][0]["host"],
            "{bench}"
        );
        assert_eq!(ingress["spec"]["ingressClassName"], "nginx", "{bench}: the base applied");
        let gunicorn = crate::common::find(&docs, "Deployment", &format!("{name}-erpnext-gunicorn"));
        assert_eq!(
            gunicorn["spec"]["replicas"], overlay["worker"]["gunicorn"]["replicaCount"],
            "{bench}"
        );
        let config = docs
            .iter()
            .find(|d| d["kind"] == "ConfigMap" && d["data"]["FRAPPE_REDIS_QUEUE"].is_string())
            .unwrap();
        assert_eq!(config["data"]["FRAPPE_REDIS_QUEUE"], overlay["externalRedis"]["queue"], "{bench}");
        queues.push(config["data"]["FRAPPE_REDIS_QUEUE"].clone());
        // Argo CD orders the objects.
        assert!(
            docs.iter()
                .all(|d| d["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"].is_string())
        );
    }
    queues.dedup();
    assert_eq!(queues.len(), benches.len(), "two benches share a queue database");
}

/// The README's CI command for the fleet, as written there.
fn readme_fleet_check() -> String {
    let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
    let at = readme
        .find("# CI: lint every bench of the fleet")
        .expect("the README has the fleet's CI command");
    let block = &readme[at..];
    block[..block.find("```").unwrap()].to_owned()
}

#[test]
fn the_readmes_fleet_check_lints_every_bench_and_fails_on_a_broken_one() {
    let checkout = tempfile::tempdir().unwrap();
    copy_tree(&project_root().join(FLEET), &checkout.path().join(FLEET));
    // The README calls it by name, as installed.
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(std::fs::canonicalize(binary()).unwrap(), bin.path().join("frappe-manifests")).unwrap();
    let check = |dir: &Path| {
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", &readme_fleet_check()])
            .current_dir(dir)
            .env("PATH", format!("{}:/usr/bin:/bin", bin.path().display()))
            .output()
            .unwrap()
    };
    let output = check(checkout.path());
    assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
    // Each bench is its base and its overlay, checked as one.
    let benches = std::fs::read_dir(checkout.path().join(FLEET).join("benches")).unwrap().count();
    let layered = text(&output.stdout).matches("2 file(s) checked as 1 bench(es): 0 error(s)").count();
    assert_eq!(layered, benches, "{}", text(&output.stdout));

    let overlay = checkout.path().join(FLEET).join("benches/globex/values.yaml");
    let broken = std::fs::read_to_string(&overlay).unwrap() + "  scheduler:\n    replicaCount: 2\n";
    std::fs::write(&overlay, broken).unwrap();
    let output = check(checkout.path());
    assert!(!output.status.success(), "a broken bench passes the check");
    let report = text(&output.stdout);
    let at = report.find("error[scheduler-replicas]").unwrap_or_else(|| panic!("{report}"));
    assert!(
        report[at..].lines().nth(1).unwrap().contains("benches/globex/values.yaml:"),
        "reported in the overlay: {report}"
    );
}
