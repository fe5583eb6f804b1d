//! How the bundle runs Frappe: where each process gets its settings, what a
//! change rolls, and the defaults that keep a real bench working (probes that
//! name a site, queue names KEDA can watch, grace periods, egress). Each test
//! asserts what the objects (or the configure script, run with bash) do.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::common::{MINIMAL, check_text, documents, find, project_root, render_text, skip_unless_ci};
use crate::fake_bench::ScratchBench;

fn container<'a>(docs: &'a [Value], deployment: &str) -> &'a Value {
    &find(docs, "Deployment", deployment)["spec"]["template"]["spec"]["containers"][0]
}

fn env_value<'a>(container: &'a Value, name: &str) -> Option<&'a Value> {
    container["env"].as_array()?.iter().find(|e| e["name"] == name)
}

fn job<'a>(docs: &'a [Value], task: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == "Job" && d["metadata"]["labels"]["app.kubernetes.io/component"] == task)
        .unwrap_or_else(|| panic!("no {task} Job"))
}

fn errors(values: &str) -> Vec<String> {
    check_text(values, &[], "erpnext", None)
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code.as_str().to_owned())
        .collect()
}

#[test]
fn an_http_probe_of_gunicorn_names_the_site() {
    let probe = "worker:\n  gunicorn:\n    readinessProbe:\n      httpGet: {path: /api/method/ping, port: 8000}\n";
    let header = |values: &str| {
        let docs = documents(&render_text(values, &[]));
        container(&docs, "erpnext-gunicorn")["readinessProbe"]["httpGet"]["httpHeaders"].clone()
    };
    let site = |name: &str| json!([{"name": "X-Frappe-Site-Name", "value": name}]);
    let ingress = "ingress:\n  enabled: true\n  hosts:\n    - {host: shop.example.com, paths: [{path: /, pathType: Prefix}]}\n";
    assert_eq!(header(&format!("{MINIMAL}{probe}{ingress}")), site("shop.example.com"));
    let created = "jobs:\n  createSite:\n    enabled: true\n    siteName: erp.example.com\n    adminPassword: x\ndbRootPassword: y\n";
    assert_eq!(
        header(&format!("{MINIMAL}{probe}{ingress}{created}")),
        site("erp.example.com"),
        "the created site wins over the ingress host"
    );
    let explicit = format!("{MINIMAL}{}    probeSiteName: a.example.com\n{ingress}", probe);
    assert_eq!(header(&explicit), site("a.example.com"));
    // A probe that names its site itself is left alone.
    let own = "worker:\n  gunicorn:\n    readinessProbe:\n      httpGet:\n        path: /api/method/ping\n        port: 8000\n        httpHeaders: [{name: Host, value: b.example.com}]\n";
    assert_eq!(
        header(&format!("{MINIMAL}{own}{ingress}")),
        json!([{"name": "Host", "value": "b.example.com"}])
    );
    // No site anywhere: refused, not rendered into a probe that gets 404s.
    assert_eq!(errors(&format!("{MINIMAL}{probe}")), ["probe-site"]);
    // The default probes stay TCP.
    let docs = documents(&render_text(MINIMAL, &[]));
    assert!(container(&docs, "erpnext-gunicorn")["readinessProbe"]["tcpSocket"].is_object());
}

#[test]
fn a_new_endpoint_changes_every_process_and_every_job() {
    let before = documents(&render_text(MINIMAL, &[]));
    let moved = MINIMAL
        .replace("db.internal", "db2.internal")
        .replace("redis://queue:6379", "redis://queue2:6380");
    let after = documents(&render_text(&moved, &[]));
    for deployment in ["gunicorn", "socketio", "worker-d", "worker-s", "worker-l", "scheduler"] {
        let name = format!("erpnext-{deployment}");
        assert_ne!(
            find(&before, "Deployment", &name)["spec"]["template"],
            find(&after, "Deployment", &name)["spec"]["template"],
            "{name} keeps its pods"
        );
        let main = container(&after, &name);
        assert_eq!(env_value(main, "FRAPPE_DB_HOST").unwrap()["value"], "db2.internal", "{name}");
        assert_eq!(
            env_value(main, "FRAPPE_REDIS_QUEUE").unwrap()["value"],
            "redis://queue2:6380/0",
            "{name}"
        );
    }
    // Jobs read the same `FRAPPE_*` settings from the ConfigMap when they
    // start (so a Job cannot see a stale common_site_config.json either),
    // and the configure Job that writes them runs again; nginx needs none.
    let config = &find(&after, "ConfigMap", "erpnext-config")["data"];
    assert_eq!(config["FRAPPE_DB_HOST"], "db2.internal");
    assert_eq!(config["FRAPPE_REDIS_QUEUE"], "redis://queue2:6380/0");
    let configure = &job(&after, "configure")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(configure["envFrom"][0]["configMapRef"]["name"], "erpnext-config");
    assert_ne!(
        job(&before, "configure")["metadata"]["name"],
        job(&after, "configure")["metadata"]["name"]
    );
    assert!(env_value(container(&after, "erpnext-nginx"), "FRAPPE_DB_HOST").is_none());
}

#[test]
fn redis_credentials_live_in_a_secret_and_nowhere_else() {
    let values =
        "dbHost: db\nexternalRedis:\n  cache: rediss://default:c4che-pw@cache:6380/0\n  queue: rediss://default:qu3ue-pw@queue:6380/1\n";
    let outcome = check_text(values, &[], "erpnext", None);
    let warned = outcome
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "plaintext-password")
        .count();
    assert_eq!(warned, 2, "each password in the values is reported");
    let docs = documents(&render_text(values, &[]));
    let secret = find(&docs, "Secret", "erpnext");
    assert_eq!(secret["data"]["redis-queue-password"], "cXUzdWUtcHc=");
    for doc in docs.iter().filter(|d| d["kind"] != "Secret") {
        let text = serde_json::to_string(doc).unwrap();
        assert!(
            !text.contains("c4che-pw") && !text.contains("qu3ue-pw"),
            "a password in {} {}",
            doc["kind"],
            doc["metadata"]["name"]
        );
    }
    // The Deployments read the whole URL from the Secret (the kubelet's
    // `$(VAR)` cannot percent-encode); the Jobs the password, to encode it.
    assert_eq!(
        secret["data"]["redis-queue-url"],
        "cmVkaXNzOi8vZGVmYXVsdDpxdTN1ZS1wd0BxdWV1ZTo2MzgwLzE="
    );
    let worker = container(&docs, "erpnext-worker-d");
    assert_eq!(
        env_value(worker, "FRAPPE_REDIS_QUEUE").unwrap()["valueFrom"]["secretKeyRef"],
        json!({"name": "erpnext", "key": "redis-queue-url"})
    );
    assert!(env_value(worker, "REDIS_QUEUE_PASSWORD").is_none());
    let configure = &job(&docs, "configure")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        env_value(configure, "REDIS_QUEUE_PASSWORD").unwrap()["valueFrom"]["secretKeyRef"],
        json!({"name": "erpnext", "key": "redis-queue-password"})
    );
    // A new password rolls the pods, through a checksum of the Secret's data.
    let rotated = documents(&render_text(&values.replace("qu3ue-pw", "n3w-pw"), &[]));
    let annotation = |docs: &[Value]| {
        find(docs, "Deployment", "erpnext-gunicorn")["spec"]["template"]["metadata"]["annotations"]["checksum/redis-credentials"].clone()
    };
    assert_ne!(annotation(&docs), annotation(&rotated));
    assert_ne!(
        job(&docs, "configure")["metadata"]["name"],
        job(&rotated, "configure")["metadata"]["name"]
    );

    // From an existing Secret: no Secret rendered, no warning.
    let existing = "dbHost: db\nexternalRedis:\n  cache: rediss://default@cache:6380\n  queue: rediss://default@queue:6380\n  existingSecret: redis-auth\n  existingSecretQueueKey: token\n";
    let outcome = check_text(existing, &[], "erpnext", None);
    assert!(outcome.diagnostics.iter().all(|d| d.code.as_str() != "plaintext-password"));
    let docs = documents(&render_text(existing, &[]));
    assert!(docs.iter().all(|d| d["kind"] != "Secret"));
    let worker = container(&docs, "erpnext-worker-d");
    assert_eq!(
        env_value(worker, "FRAPPE_REDIS_QUEUE").unwrap()["value"],
        "rediss://default:$(REDIS_QUEUE_PASSWORD)@queue:6380/0"
    );
    assert_eq!(
        env_value(worker, "REDIS_QUEUE_PASSWORD").unwrap()["valueFrom"]["secretKeyRef"],
        json!({"name": "redis-auth", "key": "token"})
    );
    assert_eq!(
        env_value(worker, "REDIS_CACHE_PASSWORD").unwrap()["valueFrom"]["secretKeyRef"],
        json!({"name": "redis-auth", "key": "cache-password"})
    );
    assert_eq!(
        errors("dbHost: db\nexternalRedis:\n  cache: redis://c:6379\n  queue: redis://u:pw@q:6379\n  existingSecret: s\n"),
        ["conflicting-keys"]
    );
}

/// A Python with redis-py, Frappe's Redis client: `.ci/run` installs one
/// into `target/pyyaml-venv`; any `python3` that has it will do.
fn redis_py() -> Option<PathBuf> {
    let candidates = [project_root().join("target/pyyaml-venv/bin/python3"), PathBuf::from("python3")];
    let found = candidates.into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import redis"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    });
    if found.is_none() {
        skip_unless_ci(
            "no Python with redis-py (`.ci/run` installs one into target/pyyaml-venv), so the Redis URLs are not read back here",
        );
    }
    found
}

/// `[username, password]` of each URL as redis-py's `parse_url` reads it.
fn parsed_by_redis_py(python: &PathBuf, urls: &[&str]) -> Vec<Value> {
    let output = Command::new(python)
        .args([
            "-c",
            "import json, sys; from redis.connection import parse_url; \
             print(json.dumps([[parse_url(u).get('username'), parse_url(u).get('password')] for u in sys.argv[1:]]))",
        ])
        .args(urls)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn secret_text(secret: &Value, key: &str) -> String {
    let encoded: k8s_openapi::ByteString = serde_json::from_value(secret["data"][key].clone()).unwrap();
    String::from_utf8(encoded.0).unwrap()
}

/// The password Redis receives is the one the values mean, everywhere: the
/// Secret and KEDA get it decoded, and every URL written for Frappe (the
/// Secret's for the Deployments, the Jobs' from `with_redis_password`, for
/// an `existingSecret` password too) reads back to it in redis-py.
#[test]
fn redis_passwords_reach_redis_py_as_the_values_mean_them() {
    let Some(python) = redis_py() else { return };
    let meant = "P@ss/w?o#rd%41[x] $(X):é";
    let values = "dbHost: db\nexternalRedis:\n  cache: redis://cache:6379/0?password=a+b%26c\n  \
                  queue: redis://us%65r:P%40ss%2Fw%3Fo%23rd%2541%5Bx%5D%20%24(X):%C3%A9@queue:6379/1\n";
    let docs = documents(&render_text(values, &[]));
    let secret = find(&docs, "Secret", "erpnext");
    assert_eq!(secret_text(secret, "redis-queue-password"), meant);
    assert_eq!(secret_text(secret, "redis-cache-password"), "a b&c");
    let urls = [secret_text(secret, "redis-queue-url"), secret_text(secret, "redis-cache-url")];
    assert_eq!(
        parsed_by_redis_py(&python, &[&urls[0], &urls[1]]),
        [json!(["user", meant]), json!([null, "a b&c"])]
    );

    // The Jobs splice a Secret's password into the ConfigMap's URL; an
    // `existingSecret` may hold any password.
    let script = job(&docs, "configure")["spec"]["template"]["spec"]["containers"][0]["args"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let function = &script[script.find("with_redis_password() {").unwrap()..];
    let function = &function[..function.find("\n}\n").unwrap() + 3];
    let config_url = find(&docs, "ConfigMap", "erpnext-config")["data"]["FRAPPE_REDIS_QUEUE"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(config_url, "redis://user@queue:6379/1");
    for password in [meant, "plain", "tab\there\nand a line"] {
        let output = Command::new("bash")
            .args([
                "-c",
                &format!("{function}with_redis_password \"$1\" \"$2\""),
                "bash",
                &config_url,
                password,
            ])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let spliced = String::from_utf8(output.stdout).unwrap();
        assert_eq!(parsed_by_redis_py(&python, &[&spliced]), [json!(["user", password])], "{spliced}");
    }
}

#[test]
fn hosts_are_validated_and_no_probe_needs_a_shell() {
    assert_eq!(errors(&MINIMAL.replace("db.internal", "'db$(touch /tmp/x)'")), ["invalid-host"]);
    assert_eq!(
        errors(&MINIMAL.replace("redis://queue:6379", "\"redis://q;id:6379\"")),
        ["invalid-redis-url"]
    );
    let docs = documents(&render_text(MINIMAL, &[]));
    for deployment in ["worker-d", "worker-s", "worker-l", "scheduler"] {
        let command: Vec<&str> = container(&docs, &format!("erpnext-{deployment}"))["readinessProbe"]["exec"]["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(command[0], "wait-for-it", "{deployment}: no shell parses the probe");
        assert!(command.iter().all(|a| !a.contains(' ')), "{deployment}: every host is one argument");
        for endpoint in [("db.internal", "3306"), ("cache", "6379"), ("queue", "6379")] {
            assert!(
                command.contains(&format!("--host={}", endpoint.0).as_str()),
                "{deployment}: {command:?}"
            );
            assert!(
                command.contains(&format!("--port={}", endpoint.1).as_str()),
                "{deployment}: {command:?}"
            );
        }
        assert_eq!(command.iter().filter(|a| **a == "--strict").count(), 3);
    }
}

#[test]
fn keda_watches_the_queue_names_the_workers_use_and_renames_none() {
    let keda = "worker:\n  short:\n    autoscaling:\n      keda: {enabled: true}\n";
    let values = format!("dbHost: db\nexternalRedis:\n  cache: redis://cache:6379\n  queue: rediss://frappe:pw@queue:6380/2\n{keda}");
    let docs = documents(&render_text(&values, &[]));
    let trigger = &docs.iter().find(|d| d["kind"] == "ScaledObject").unwrap()["spec"]["triggers"][0];
    // RQ's list for `short` under Frappe's default bench id, which nothing sets.
    assert_eq!(trigger["metadata"]["listName"], "rq:queue:home-frappe-frappe-bench:short");
    assert_eq!(trigger["metadata"]["username"], "frappe", "the ACL user of the URL");
    let auth = docs.iter().find(|d| d["kind"] == "TriggerAuthentication").unwrap();
    assert_eq!(
        auth["spec"]["secretTargetRef"][0],
        json!({"parameter": "password", "name": "erpnext", "key": "redis-queue-password"})
    );
    // Turning KEDA on changes no other worker and no queue name: the
    // workers' commands stay, and configure writes no bench_id.
    let without = documents(&render_text(&values.replace(keda, ""), &[]));
    for deployment in ["erpnext-worker-d", "erpnext-worker-l"] {
        assert_eq!(
            find(&docs, "Deployment", deployment)["spec"],
            find(&without, "Deployment", deployment)["spec"]
        );
    }
    let bench = ScratchBench::new();
    let output = bench.run_job(&docs, "configure");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let config = bench.config();
    assert!(config.get("bench_id").is_none(), "{config}");
    assert_eq!(config["redis_queue"], "rediss://frappe:pw@queue:6380/2");
    // A bench_id that renames the queues away from the triggers fails loudly.
    std::fs::write(bench.root().join("sites/common_site_config.json"), r#"{"bench_id": "shop"}"#).unwrap();
    let output = bench.run_job(&docs, "configure");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("bench_id"));
}

#[test]
fn configure_writes_the_settings_without_putting_them_on_a_command_line() {
    let values = "dbHost: db\ndbRds: true\nexternalRedis:\n  cache: redis://cache:6379\n  queue: redis://default:s3cret@queue:6379\n";
    let docs = documents(&render_text(values, &[]));
    let bench = ScratchBench::new();
    std::fs::write(
        bench.root().join("sites/common_site_config.json"),
        r#"{"redis_socketio": "kept", "db_port": 1}"#,
    )
    .unwrap();
    let output = bench.run_job(&docs, "configure");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let config = bench.config();
    assert_eq!(
        (&config["db_host"], &config["db_port"], &config["rds_db"], &config["socketio_port"]),
        (&json!("db"), &json!(3306), &json!(1), &json!(9000))
    );
    assert_eq!(config["redis_queue"], "redis://default:s3cret@queue:6379/0");
    assert_eq!(config["redis_socketio"], "kept", "other settings are kept");
    assert!(!bench.bench_log().contains("s3cret"), "no password reached bench's argv");
    // Configure writes the settings itself: it runs no bench command at all.
    assert_eq!(bench.calls(), Vec::<String>::new(), "configure ran bench");
    assert_eq!(bench.bench_log(), "", "configure ran bench");
}

/// Frappe runs Chromium for "chrome" PDFs from `chromium_path` only, and
/// otherwise downloads one into the read-only bench directory: configure
/// points it at the image's chromium-headless-shell, as frappe_docker's
/// compose.yaml does, and keeps a path the user set.
#[test]
fn configure_points_frappe_at_the_images_chromium_and_keeps_a_path_set() {
    let docs = documents(&render_text(MINIMAL, &[]));
    for (before, expected) in [
        ("{}", "/usr/bin/chromium-headless-shell"),
        (r#"{"chromium_path": "/opt/chrome/chrome"}"#, "/opt/chrome/chrome"),
    ] {
        let bench = ScratchBench::new();
        std::fs::write(bench.root().join("sites/common_site_config.json"), before).unwrap();
        let output = bench.run_job(&docs, "configure");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(bench.config()["chromium_path"], expected, "{before}");
    }
}

/// Every `bench backup` deletes the site's local backups older than
/// `keep_backups_for_hours`, 24 hours when unset (frappe/utils/backups.py:
/// `new_backup` calls `delete_temp_backups`): `retainDays: 14` kept one day
/// until configure wrote it.
#[test]
fn configure_keeps_local_backups_for_the_backup_jobs_retain_days() {
    let base = "dbHost: db\nexternalRedis:\n  cache: redis://cache:6379\n  queue: redis://queue:6379\n";
    for (backup, hours) in [
        (
            "jobs:\n  backup: {enabled: true, siteName: erp.example.com, retainDays: 14}\n",
            Some(336),
        ),
        (
            "jobs:\n  backupMultipleSites: {enabled: true, retainDays: 3, schedule: \"0 3 * * *\", sites: [{name: a.example.com}]}\n",
            Some(72),
        ),
        ("jobs:\n  backup: {enabled: true, siteName: erp.example.com}\n", None),
        ("", None),
    ] {
        let docs = documents(&render_text(&format!("{base}{backup}"), &[]));
        let bench = ScratchBench::new();
        std::fs::write(bench.root().join("sites/common_site_config.json"), "{}").unwrap();
        let output = bench.run_job(&docs, "configure");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let config = bench.config();
        assert_eq!(
            config.get("keep_backups_for_hours").and_then(Value::as_u64),
            hours,
            "{backup}: {config}"
        );
    }
}

#[test]
fn configure_fails_with_the_remedies_when_a_volume_is_not_writable() {
    let docs = documents(&render_text(MINIMAL, &[]));
    let bench = ScratchBench::new();
    // Nobody, root included, can create a file under /proc.
    std::fs::remove_dir(bench.root().join("logs")).unwrap();
    std::os::unix::fs::symlink("/proc", bench.root().join("logs")).unwrap();
    let output = bench.run_job(&docs, "configure");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("jobs.configure.fixVolume") && stderr.contains("anonuid"),
        "{stderr}"
    );
    // The owner it names is the user this Job runs as, as fixVolume chowns.
    let id = |flag: &str| {
        String::from_utf8(Command::new("id").arg(flag).output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_owned()
    };
    let owner = format!("{}:{}", id("-u"), id("-g"));
    assert!(stderr.contains(&format!("chowns both volumes to {owner}")), "{stderr}");
    assert!(stderr.contains(&format!("anonuid={},anongid={}", id("-u"), id("-g"))), "{stderr}");
    assert!(!bench.root().join("sites/apps.txt").exists(), "it stopped before writing anything");
}

#[test]
fn workers_get_their_queues_timeout_to_finish_a_job() {
    let grace =
        |docs: &[Value], name: &str| find(docs, "Deployment", name)["spec"]["template"]["spec"]["terminationGracePeriodSeconds"].clone();
    let docs = documents(&render_text(MINIMAL, &[]));
    assert_eq!(grace(&docs, "erpnext-worker-d"), 330);
    assert_eq!(grace(&docs, "erpnext-worker-s"), 330);
    assert_eq!(grace(&docs, "erpnext-worker-l"), 1530, "long jobs may run 1500 s");
    assert!(grace(&docs, "erpnext-scheduler").is_null());
    let custom = documents(&render_text(
        &format!("{MINIMAL}worker:\n  long:\n    terminationGracePeriodSeconds: 3600\n"),
        &[],
    ));
    assert_eq!(grace(&custom, "erpnext-worker-l"), 3600);
    assert_eq!(
        errors(&format!("{MINIMAL}worker:\n  short:\n    terminationGracePeriodSeconds: -1\n")),
        ["invalid-value"]
    );
}

#[test]
fn the_network_policy_lets_frappe_reach_what_it_calls() {
    let egress = |extra: &str| {
        let docs = documents(&render_text(&format!("{MINIMAL}networkPolicy:\n  enabled: true\n{extra}"), &[]));
        find(&docs, "NetworkPolicy", "erpnext-default")["spec"]["egress"]
            .as_array()
            .unwrap()
            .clone()
    };
    let open = egress("");
    let peers: Vec<&Value> = open.iter().flat_map(|r| r["to"].as_array().into_iter().flatten()).collect();
    // socket.io's session check goes to the site's public URL.
    assert!(
        peers
            .iter()
            .any(|p| p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] == "ingress-nginx"),
        "{open:?}"
    );
    // Mail, webhooks and payment gateways: anywhere outside, any port.
    let outside = open
        .iter()
        .find(|r| r["to"][0]["ipBlock"]["cidr"] == "0.0.0.0/0")
        .expect("egress outside the cluster");
    assert!(outside.get("ports").is_none());
    let narrowed = egress("  externalEgress:\n    - to: [{ipBlock: {cidr: 203.0.113.0/24}}]\n      ports: [{port: 587, protocol: TCP}]\n");
    assert!(narrowed.iter().all(|r| r["to"][0]["ipBlock"]["cidr"] != "0.0.0.0/0"));
    assert!(narrowed.iter().any(|r| r["to"][0]["ipBlock"]["cidr"] == "203.0.113.0/24"));
}

/// A NodePort or LoadBalancer Service in front of the entry point brings
/// clients straight to its pods, from addresses no namespace selector
/// matches: the web policy admits any address there, on that port only.
#[test]
fn the_network_policy_admits_clients_of_an_exposed_entry_service() {
    let web = |extra: &str, sets: &[&str]| {
        let mut sets = sets.to_vec();
        sets.push("networkPolicy.enabled=true");
        let docs = documents(&render_text(&format!("{MINIMAL}{extra}"), &sets));
        find(&docs, "NetworkPolicy", "erpnext-web")["spec"]["ingress"]
            .as_array()
            .unwrap()
            .clone()
    };
    let from_anywhere = |rules: &[Value]| -> Vec<i64> {
        rules
            .iter()
            .filter(|r| r["from"][0]["ipBlock"]["cidr"] == "0.0.0.0/0" && r["from"][1]["ipBlock"]["cidr"] == "::/0")
            .flat_map(|r| r["ports"].as_array().unwrap().iter().map(|p| p["port"].as_i64().unwrap()))
            .collect()
    };
    assert!(from_anywhere(&web("", &[])).is_empty());
    for kind in ["NodePort", "LoadBalancer"] {
        let rules = web("", &[&format!("nginx.service.type={kind}")]);
        assert_eq!(from_anywhere(&rules), [8080], "{kind}: {rules:?}");
        // The ingress controller still comes in as before.
        assert_eq!(
            rules[0]["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            "ingress-nginx"
        );
    }
    // Without nginx, the entry points are gunicorn and socketio: only the exposed one opens.
    let no_nginx = "nginx:\n  enabled: false\n  assetsServedElsewhere: true\n";
    assert_eq!(from_anywhere(&web(no_nginx, &["worker.gunicorn.service.type=NodePort"])), [8000]);
    assert!(from_anywhere(&web(no_nginx, &[])).is_empty());
}

#[test]
fn without_nginx_the_static_files_must_be_served_elsewhere() {
    let off = format!("{MINIMAL}nginx:\n  enabled: false\n");
    assert_eq!(errors(&off), ["unserved-assets"]);
    assert!(errors(&format!("{off}  assetsServedElsewhere: true\n")).is_empty());
}

/// Frappe prefers FRAPPE_DB_HOST and FRAPPE_DB_PORT to a site's own
/// `db_host` and `db_port` (get_site_config), so a site whose config names
/// another server would silently be served from dbHost: configure stops,
/// naming it, before it writes anything. A site naming dbHost (as the chart's
/// create-site writes it, or in other letter case), one naming nothing and
/// one whose setting Frappe reads as unset (0 or false: `or`) are fine.
#[test]
fn configure_stops_at_a_site_whose_own_config_names_another_database_server() {
    let docs = documents(&render_text(MINIMAL, &[]));
    let db_host = find(&docs, "ConfigMap", "erpnext-config")["data"]["FRAPPE_DB_HOST"]
        .as_str()
        .unwrap()
        .to_owned();
    let site = |bench: &ScratchBench, name: &str, config: &str| {
        std::fs::create_dir_all(bench.root().join("sites").join(name)).unwrap();
        std::fs::write(bench.root().join("sites").join(name).join("site_config.json"), config).unwrap();
    };
    let same = format!(r#"{{"db_name": "_a", "db_host": "{db_host}", "db_port": 3306}}"#);
    let bench = ScratchBench::new();
    site(&bench, "chart.example.com", &same);
    site(&bench, "new.example.com", r#"{"db_name": "_b"}"#);
    site(
        &bench,
        "upper.example.com",
        &format!(r#"{{"db_name": "_f", "db_host": "{}"}}"#, db_host.to_uppercase()),
    );
    site(&bench, "unset.example.com", r#"{"db_name": "_d", "db_host": "", "db_port": 0}"#);
    site(
        &bench,
        "false.example.com",
        r#"{"db_name": "_e", "db_host": null, "db_port": false}"#,
    );
    let output = bench.run_job(&docs, "configure");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    for (other, key) in [
        (r#"{"db_name": "_c", "db_host": "old-db.internal"}"#, "db_host"),
        (r#"{"db_name": "_c", "db_port": "3307"}"#, "db_port"),
    ] {
        let bench = ScratchBench::new();
        site(&bench, "chart.example.com", &same);
        site(&bench, "moved.example.com", other);
        let output = bench.run_job(&docs, "configure");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{key}: {stderr}");
        assert!(
            stderr.contains(&format!("sites/moved.example.com/site_config.json sets {key}")),
            "{key}: {stderr}"
        );
        assert!(!stderr.contains("chart.example.com"), "{key}: {stderr}");
        assert!(
            !bench.root().join("sites/common_site_config.json").exists()
                || !bench.config().as_object().unwrap().contains_key("redis_queue"),
            "{key}: configure wrote the settings before it stopped"
        );
    }
}
