//! What `render` produces: the examples' snapshots, and the facts an operator
//! relies on, checked on the parsed output.

use frappe_manifests::emit;
use frappe_manifests::model::Settings;
use frappe_manifests::pipeline::{self, Input, Request};
use serde_json::{Value, json};

use crate::common::{self, MINIMAL, check_text, documents, example, find, names_of, render_text, snapshot_settings};

fn render_example(name: &str, release: &str, namespace: Option<&str>) -> String {
    let request = Request {
        files: vec![Input::Path(example(name))],
        settings: Settings {
            release: release.to_owned(),
            namespace: namespace.map(str::to_owned),
            ..Default::default()
        },
        ..Default::default()
    };
    let outcome = pipeline::run(&request);
    common::assert_streamed_render_matches(&request, &outcome);
    emit::to_yaml_stream(
        outcome
            .manifests
            .as_ref()
            .unwrap_or_else(|| panic!("{name} failed: {:?}", outcome.diagnostics)),
    )
}

#[test]
fn every_example_renders_to_its_committed_snapshot() {
    for (name, release, namespace) in [
        ("production", "frappe-bench", Some("erpnext")),
        ("minimal", "erpnext", None),
        ("direct-ingress", "erpnext", None),
        ("multisite", "erpnext", None),
    ] {
        let stream = render_example(name, release, namespace);
        snapshot_settings().bind(|| insta::assert_snapshot!(format!("render-{name}"), stream));
    }
}

/// Whether every key of `part` is in `whole` with the same value (lists
/// compared whole).
fn contains(whole: &Value, part: &Value) -> bool {
    match (whole, part) {
        (Value::Object(whole), Value::Object(part)) => part.iter().all(|(key, value)| whole.get(key).is_some_and(|w| contains(w, value))),
        _ => whole == part,
    }
}

#[test]
fn the_production_example_is_the_seeds_values_plus_hardening() {
    // The seed's file, as the project received it (CI checks it out beside
    // the repository), must render as is...
    let reference = common::project_root().join("../shared/reference/scoopjoy-values.yaml");
    let seed = std::fs::read_to_string(&reference).unwrap_or_else(|e| panic!("{}: {e}", reference.display()));
    let outcome = check_text(&seed, &[], "frappe-bench", Some("erpnext"));
    assert!(outcome.manifests.is_some(), "{}", common::human(&outcome));
    // ...and examples/production.yaml keeps every key and value of it,
    // adding only what the security scan asks of production.
    let production = std::fs::read_to_string(example("production")).unwrap();
    let parse = |text: &str| serde_saphyr::from_str::<Value>(text).unwrap();
    assert!(contains(&parse(&production), &parse(&seed)));
}

#[test]
fn the_yaml_stream_reads_back_as_the_objects() {
    let tricky = [
        "",
        "~",
        "null",
        "on",
        "No",
        "y",
        "0755",
        "1e3",
        "12:30",
        "2024-01-01",
        ".5",
        "-.inf",
        "0x1F",
        "1_000",
        "3306",
        "<<",
        "=",
        "-",
        "- x",
        "a: b",
        "a #b",
        "#x",
        "&a",
        "*a",
        "!t",
        "|x",
        ">x",
        "'x",
        "\"x",
        "%x",
        "@x",
        "`x",
        "[x",
        "{x",
        ",x",
        "---",
        "...",
        " x",
        "x ",
        "tab\tx",
        "é ü",
        "bell\u{7}",
        "bom\u{feff}",
        "nel\u{85}",
        "a\nb",
        "a\nb\n",
        "a\n\n",
        "\n  indented",
        "x\r\ny",
        "spaces\n  \nline",
        "500m",
        "--workers=4",
        "redis://cache:6379",
    ];
    let data: std::collections::BTreeMap<String, String> = tricky.iter().map(|s| ((*s).to_owned(), (*s).to_owned())).collect();
    let config_map = frappe_manifests::objects::Manifest::ConfigMap(Box::new(k8s_openapi::api::core::v1::ConfigMap {
        data: Some(data),
        ..Default::default()
    }));
    let mut manifests = vec![config_map];
    for name in ["production", "minimal", "direct-ingress", "multisite"] {
        let values = std::fs::read_to_string(example(name)).unwrap();
        manifests.extend(check_text(&values, &[], "erpnext", None).manifests.unwrap());
    }
    let stream = emit::to_yaml_stream(&manifests);
    let read_back = documents(&stream);
    assert_eq!(read_back.len(), manifests.len());
    for (manifest, document) in manifests.iter().zip(&read_back) {
        assert_eq!(&serde_json::to_value(manifest).unwrap(), document, "{}", manifest.name());
    }
}

#[test]
fn production_renders_the_whole_bench_with_the_charts_names() {
    let docs = documents(&render_example("production", "frappe-bench", Some("erpnext")));
    let fnm = "frappe-bench-erpnext";
    let mut deployments = names_of(&docs, "Deployment");
    deployments.sort();
    let expected: Vec<String> = ["gunicorn", "nginx", "scheduler", "socketio", "worker-d", "worker-l", "worker-s"]
        .iter()
        .map(|s| format!("{fnm}-{s}"))
        .collect();
    assert_eq!(deployments, expected);
    assert_eq!(
        names_of(&docs, "Service"),
        [fnm.to_owned(), format!("{fnm}-gunicorn"), format!("{fnm}-socketio")]
    );
    assert_eq!(names_of(&docs, "PersistentVolumeClaim"), [fnm.to_owned(), format!("{fnm}-logs")]);
    assert_eq!(names_of(&docs, "ServiceAccount"), [fnm]);
    assert_eq!(names_of(&docs, "ConfigMap"), [format!("{fnm}-config")]);
    assert!(names_of(&docs, "Secret").is_empty(), "no password in the values, so no Secret");
    for doc in &docs {
        assert_eq!(doc["metadata"]["namespace"], "erpnext", "{}", doc["metadata"]["name"]);
    }

    // Helm's install order.
    let order = [
        "NetworkPolicy",
        "PodDisruptionBudget",
        "ServiceAccount",
        "Secret",
        "ConfigMap",
        "PersistentVolumeClaim",
        "Service",
        "Deployment",
        "HorizontalPodAutoscaler",
        "Job",
        "Ingress",
    ];
    let ranks: Vec<usize> = docs
        .iter()
        .map(|d| order.iter().position(|k| d["kind"] == *k).expect("known kind"))
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");

    for (name, replicas) in [
        ("nginx", 2),
        ("gunicorn", 3),
        ("socketio", 2),
        ("worker-d", 3),
        ("worker-s", 2),
        ("worker-l", 2),
        ("scheduler", 1),
    ] {
        let deployment = find(&docs, "Deployment", &format!("{fnm}-{name}"));
        assert_eq!(deployment["spec"]["replicas"], replicas, "{name}");
        // Selectors are the chart's, and select the Deployment's own pods.
        let selector = deployment["spec"]["selector"]["matchLabels"].as_object().unwrap();
        assert_eq!(selector["app.kubernetes.io/name"], format!("erpnext-{name}"));
        assert_eq!(selector["app.kubernetes.io/instance"], format!("frappe-bench-{name}"));
        let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
        for (key, value) in selector {
            assert_eq!(&pod_labels[key], value);
        }
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        // The example pins `v16-latest` by digest.
        let image = container["image"].as_str().unwrap();
        assert!(image.starts_with("registry.example.com/scoopjoy-erp@sha256:"), "{image}");
        assert_eq!(
            deployment["spec"]["template"]["spec"]["imagePullSecrets"],
            json!([{"name": "registry-secret"}])
        );
        assert_eq!(container["volumeMounts"][0]["mountPath"], "/home/frappe/frappe-bench/sites");
    }

    let scheduler = find(&docs, "Deployment", &format!("{fnm}-scheduler"));
    assert_eq!(scheduler["spec"]["strategy"]["type"], "Recreate");
    assert_eq!(
        scheduler["spec"]["template"]["spec"]["containers"][0]["args"],
        json!(["bench", "schedule"])
    );
    let long = find(&docs, "Deployment", &format!("{fnm}-worker-l"));
    assert_eq!(
        long["spec"]["template"]["spec"]["containers"][0]["args"],
        json!(["bench", "worker", "--queue", "long,default,short"])
    );

    // The user's probe replaced the default whole: one handler, not two.
    let gunicorn = &find(&docs, "Deployment", &format!("{fnm}-gunicorn"))["spec"]["template"]["spec"]["containers"][0];
    for probe in ["livenessProbe", "readinessProbe"] {
        assert_eq!(gunicorn[probe]["httpGet"]["path"], "/api/method/ping");
        assert!(gunicorn[probe].get("tcpSocket").is_none(), "{probe} kept the default handler");
    }
    // --workers=4 is a flag of the full gunicorn command, not the program.
    let args: Vec<&str> = gunicorn["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(args[0], "/home/frappe/frappe-bench/env/bin/gunicorn");
    assert!(args.contains(&"--workers=4") && !args.contains(&"--workers=2"));
    assert_eq!(args.last(), Some(&"frappe.app:application"));

    // Worker readiness checks every backing service, without a password.
    let worker = &find(&docs, "Deployment", &format!("{fnm}-worker-d"))["spec"]["template"]["spec"]["containers"][0];
    let check: Vec<&str> = worker["readinessProbe"]["exec"]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(check.iter().filter(|a| **a == "wait-for-it").count(), 3, "{check:?}");
    assert_eq!(
        check.iter().filter(|a| **a == "--strict").count(),
        3,
        "each runs the next only on success"
    );
    assert!(worker.get("livenessProbe").is_none(), "a Redis blip must not restart workers");

    let nginx = &find(&docs, "Deployment", &format!("{fnm}-nginx"))["spec"]["template"]["spec"]["containers"][0];
    let env: Vec<(&str, &Value)> = nginx["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), &e["value"]))
        .collect();
    assert!(env.iter().all(|(_, v)| v.is_string()), "env values are strings: {env:?}");
    assert!(env.contains(&("UPSTREAM_REAL_IP_ADDRESS", &json!("10.0.0.0/8"))));
    assert!(env.contains(&("BACKEND", &json!(format!("{fnm}-gunicorn:8000")))));

    let sites = find(&docs, "PersistentVolumeClaim", fnm);
    assert_eq!(sites["spec"]["accessModes"], json!(["ReadWriteMany"]));
    assert_eq!(sites["spec"]["resources"]["requests"]["storage"], "50Gi");

    let config = &find(&docs, "ConfigMap", &format!("{fnm}-config"))["data"];
    assert_eq!(config["FRAPPE_DB_PORT"], "3306");
    assert_eq!(
        config["FRAPPE_REDIS_CACHE"],
        "redis://scoopjoy-redis-cache.abc123.ng.0001.use1.cache.amazonaws.com:6379/0"
    );
    assert_eq!(config["SOCKETIO_PORT"], "9000");

    let ingress = find(&docs, "Ingress", fnm);
    for rule in ingress["spec"]["rules"].as_array().unwrap() {
        let backend = &rule["http"]["paths"][0]["backend"]["service"];
        assert_eq!(
            (backend["name"].as_str(), backend["port"]["number"].as_i64()),
            (Some(fnm), Some(8080))
        );
    }
    assert_eq!(ingress["spec"]["tls"][0]["secretName"], "scoopjoy-tls");

    let jobs = names_of(&docs, "Job");
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].starts_with(&format!("{fnm}-configure-")), "{jobs:?}");
}

#[test]
fn direct_ingress_sends_traffic_to_gunicorn_and_websockets_to_socketio() {
    let docs = documents(&render_example("direct-ingress", "erpnext", None));
    assert!(!names_of(&docs, "Deployment").contains(&"erpnext-nginx".to_owned()));
    assert!(!names_of(&docs, "Service").contains(&"erpnext".to_owned()));
    let ingress = find(&docs, "Ingress", "erpnext");
    let snippet = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/configuration-snippet"]
        .as_str()
        .unwrap();
    assert!(snippet.contains("proxy_set_header Upgrade $http_upgrade;"));
    assert!(snippet.contains("proxy_set_header Connection \"upgrade\";"));
    assert!(snippet.contains("proxy_pass http://erpnext-socketio.erpnext.svc.cluster.local:9000;"));
    for rule in ingress["spec"]["rules"].as_array().unwrap() {
        let paths = rule["http"]["paths"].as_array().unwrap();
        assert_eq!(paths.len(), 1, "the snippet carries websockets, no extra path");
        assert_eq!(paths[0]["backend"]["service"]["name"], "erpnext-gunicorn");
        assert_eq!(paths[0]["backend"]["service"]["port"]["number"], 8000);
    }

    let web = find(&docs, "HorizontalPodAutoscaler", "erpnext-gunicorn");
    assert_eq!(
        web["spec"]["scaleTargetRef"],
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "erpnext-gunicorn"})
    );
    assert_eq!(
        (web["spec"]["minReplicas"].as_i64(), web["spec"]["maxReplicas"].as_i64()),
        (Some(2), Some(10))
    );
    let targets: Vec<(String, i64)> = web["spec"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["resource"]["name"].as_str().unwrap().to_owned(),
                m["resource"]["target"]["averageUtilization"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(targets, [("cpu".to_owned(), 70), ("memory".to_owned(), 80)]);
    assert_eq!(web["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"], 300);
    assert_eq!(
        web["spec"]["behavior"]["scaleUp"]["policies"][0],
        json!({"type": "Pods", "value": 2, "periodSeconds": 60})
    );
    let worker = find(&docs, "HorizontalPodAutoscaler", "erpnext-worker-d");
    assert_eq!(
        worker["spec"]["metrics"].as_array().unwrap().len(),
        1,
        "targetMemory: null turns memory off"
    );

    // An autoscaled Deployment leaves replicas to its HPA.
    assert!(find(&docs, "Deployment", "erpnext-gunicorn")["spec"].get("replicas").is_none());
    assert!(find(&docs, "Deployment", "erpnext-worker-d")["spec"].get("replicas").is_none());
    assert_eq!(find(&docs, "Deployment", "erpnext-worker-s")["spec"]["replicas"], 2);
    for doc in &docs {
        assert_eq!(doc["metadata"]["namespace"], "erpnext", "`namespace:` in the values applies");
    }
}

#[test]
fn without_nginx_auto_websocket_adds_a_socketio_path_per_host() {
    let values = format!(
        "{MINIMAL}nginx:\n  enabled: false\n  assetsServedElsewhere: true\ningress:\n  enabled: true\n  hosts:\n    - host: a.example.com\n      paths: [{{path: /, pathType: Prefix}}]\n    - host: b.example.com\n      paths: [{{path: /, pathType: Prefix}}]\n"
    );
    let docs = documents(&render_text(&values, &[]));
    for rule in find(&docs, "Ingress", "erpnext")["spec"]["rules"].as_array().unwrap() {
        let paths = rule["http"]["paths"].as_array().unwrap();
        assert_eq!(paths[1]["path"], "/socket.io");
        assert_eq!(paths[1]["pathType"], "Prefix");
        assert_eq!(
            paths[1]["backend"]["service"],
            json!({"name": "erpnext-socketio", "port": {"number": 9000}})
        );
    }
}

#[test]
fn without_nginx_the_http_route_sends_socket_io_to_socketio() {
    let values = format!("{MINIMAL}nginx:\n  enabled: false\n  assetsServedElsewhere: true\nhttproute:\n  enabled: true\n");
    let docs = documents(&render_text(&values, &[]));
    let rules = find(&docs, "HTTPRoute", "erpnext-httproute")["spec"]["rules"].clone();
    assert_eq!(
        rules,
        json!([
            {"matches": [{"path": {"type": "PathPrefix", "value": "/socket.io"}}], "backendRefs": [{"name": "erpnext-socketio", "port": 9000}]},
            {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": [{"name": "erpnext-gunicorn", "port": 8000}]},
        ])
    );
    // A rule of the values with the same match ties with it, and the
    // Gateway API gives a tie to the first rule: socketio's comes first.
    let values = format!(
        "{MINIMAL}nginx:\n  enabled: false\n  assetsServedElsewhere: true\nhttproute:\n  enabled: true\n  rules:\n  - matches: [{{pathType: PathPrefix, path: /socket.io}}, {{pathType: PathPrefix, path: /}}]\n"
    );
    let docs = documents(&render_text(&values, &[]));
    let rules = find(&docs, "HTTPRoute", "erpnext-httproute")["spec"]["rules"].clone();
    let first_for_socket_io = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|rule| {
            rule["matches"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["path"]["value"] == "/socket.io")
        })
        .unwrap();
    assert_eq!(
        first_for_socket_io["backendRefs"],
        json!([{"name": "erpnext-socketio", "port": 9000}])
    );
    // With nginx, nginx proxies `/socket.io` itself.
    let docs = documents(&render_text(&format!("{MINIMAL}httproute:\n  enabled: true\n"), &[]));
    assert_eq!(
        find(&docs, "HTTPRoute", "erpnext-httproute")["spec"]["rules"],
        json!([{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": [{"name": "erpnext", "port": 8080}]}])
    );
}

#[test]
fn without_a_namespace_objects_carry_none_and_the_flag_wins_over_the_values() {
    let docs = documents(&render_example("minimal", "erpnext", None));
    assert!(docs.iter().all(|d| d["metadata"].get("namespace").is_none()));
    let outcome = check_text(&format!("namespace: from-values\n{MINIMAL}"), &[], "erpnext", Some("from-flag"));
    let docs = documents(&emit::to_yaml_stream(outcome.manifests.as_ref().unwrap()));
    assert!(docs.iter().all(|d| d["metadata"]["namespace"] == "from-flag"));
}

#[test]
fn rendering_twice_gives_the_same_bytes() {
    let first = render_example("production", "frappe-bench", Some("erpnext"));
    assert_eq!(first, render_example("production", "frappe-bench", Some("erpnext")));
}

#[test]
fn the_configure_job_name_follows_what_it_runs_and_nothing_else() {
    let job_name = |values: &str| names_of(&documents(&render_text(values, &[])), "Job").remove(0);
    let base = job_name(MINIMAL);
    assert_eq!(base, job_name(MINIMAL), "same values, same Job");
    assert_ne!(
        base,
        job_name(&MINIMAL.replace("db.internal", "db2.internal")),
        "a new database host reruns configure"
    );
    assert_ne!(
        base,
        job_name(&format!("{MINIMAL}image:\n  tag: v16.40.0\n")),
        "a new image reruns configure"
    );
    assert_eq!(
        base,
        job_name(&format!("{MINIMAL}socketio:\n  replicaCount: 4\n")),
        "unrelated changes keep the Job"
    );
    assert_eq!(job_name(&format!("{MINIMAL}jobs:\n  configure:\n    jobName: pinned\n")), "pinned");
}

#[test]
fn create_and_drop_site_jobs_are_renamed_by_their_pod_but_the_image_as_the_readme_says() {
    let sites = format!(
        "{MINIMAL}dbRootPassword: root\njobs:\n  createSite: {{enabled: true, siteName: erp.example.com, adminPassword: admin}}\n  dropSite: {{enabled: true, siteName: old.example.com}}\n"
    );
    let create_site = |set: &str| {
        let names = names_of(&documents(&render_text(&sites, &[set])), "Job");
        names.into_iter().find(|n| n.contains("-create-site-")).unwrap()
    };
    let base = create_site("socketio.replicaCount=4");
    for kept in ["image.tag=v16.40.0", "dbHost=db2.internal", "dbPort=3307"] {
        assert_eq!(create_site(kept), base, "{kept} renames create-site");
    }
    for renamed in [
        "image.pullPolicy=Always",
        "dbRootUser=admin",
        "jobs.createSite.resources.requests.cpu=1",
        "jobs.createSite.nodeSelector.pool=jobs",
    ] {
        assert_ne!(create_site(renamed), base, "{renamed} keeps create-site");
    }
}

#[test]
fn names_follow_the_chart() {
    let deployment_names = |values: &str, release: &str| {
        let outcome = check_text(values, &[], release, None);
        names_of(&documents(&emit::to_yaml_stream(outcome.manifests.as_ref().unwrap())), "Deployment")
    };
    assert!(deployment_names(MINIMAL, "prod").contains(&"prod-erpnext-gunicorn".to_owned()));
    assert!(deployment_names(MINIMAL, "erpnext-prod").contains(&"erpnext-prod-gunicorn".to_owned()));
    assert!(deployment_names(&format!("{MINIMAL}fullnameOverride: shop\n"), "prod").contains(&"shop-gunicorn".to_owned()));
    assert!(deployment_names(&format!("{MINIMAL}nameOverride: frappe\n"), "prod").contains(&"prod-frappe-gunicorn".to_owned()));
}

#[test]
fn env_values_and_yaml11_lookalikes_come_out_as_strings() {
    let values = format!(
        "{MINIMAL}nginx:\n  environment:\n    clientMaxBodySize: 100\n    upstreamRealIPRecursive: \"on\"\n  envVars:\n    - name: FLAG\n      value: \"no\"\n"
    );
    let stream = render_text(&values, &[]);
    assert!(stream.contains("value: \"100\""), "an integer env value is written as a string");
    assert!(stream.contains("value: \"on\""), "`on` is quoted so kubectl reads a string");
    assert!(stream.contains("value: \"no\""));
}

#[test]
fn db_port_defaults_to_the_engines_port() {
    let port = |values: &str| {
        documents(&render_text(values, &[]))
            .iter()
            .find(|d| d["kind"] == "ConfigMap")
            .unwrap()["data"]["FRAPPE_DB_PORT"]
            .clone()
    };
    assert_eq!(port(MINIMAL), "3306");
    assert_eq!(port(&format!("{MINIMAL}dbType: postgres\n")), "5432");
    assert_eq!(port(&format!("{MINIMAL}dbPort: 6033\n")), "6033");
}

#[test]
fn a_password_in_the_values_becomes_a_secret() {
    let docs = documents(&render_text(&format!("{MINIMAL}dbRootPassword: hunter2\n"), &[]));
    let secret = find(&docs, "Secret", "erpnext");
    assert_eq!(secret["data"]["db-root-password"], "aHVudGVyMg==");
    let docs = documents(&render_text(
        &format!("{MINIMAL}dbRootPassword: hunter2\ndbExistingSecret: mine\n"),
        &[],
    ));
    assert!(
        names_of(&docs, "Secret").is_empty(),
        "an existing Secret is referenced, not rendered"
    );
}

#[test]
fn legacy_redis_keys_are_aliases() {
    let values = "dbHost: db\nredisCacheHost: redis://c:6379\nredisQueueHost: redis://q:6379\nredisSocketIOHost: redis://s:6379\n";
    let outcome = check_text(values, &[], "erpnext", None);
    let docs = documents(&emit::to_yaml_stream(outcome.manifests.as_ref().unwrap()));
    let config = &docs.iter().find(|d| d["kind"] == "ConfigMap").unwrap()["data"];
    assert_eq!(
        (config["FRAPPE_REDIS_CACHE"].as_str(), config["FRAPPE_REDIS_QUEUE"].as_str()),
        (Some("redis://c:6379/0"), Some("redis://q:6379/0"))
    );
    let warnings: Vec<_> = outcome.diagnostics.iter().filter(|d| d.code.as_str() == "legacy-key").collect();
    assert_eq!(warnings.len(), 2);
    // Frappe v15 and v16 read no `redis_socketio`: the key is reported, not used.
    assert!(outcome.diagnostics.iter().any(|d| d.code.as_str() == "unused-key"));
    assert!(!serde_json::to_string(&docs).unwrap().contains("redis://s:6379"));
}

#[test]
fn storage_class_is_left_to_the_cluster_unless_given_and_existing_claims_are_used() {
    let docs = documents(&render_text(MINIMAL, &[]));
    assert!(
        find(&docs, "PersistentVolumeClaim", "erpnext")["spec"]
            .get("storageClassName")
            .is_none()
    );
    let docs = documents(&render_text(
        &format!("{MINIMAL}persistence:\n  worker:\n    existingClaim: shared-sites\n"),
        &[],
    ));
    assert!(names_of(&docs, "PersistentVolumeClaim").is_empty());
    let gunicorn = find(&docs, "Deployment", "erpnext-gunicorn");
    assert_eq!(
        gunicorn["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "shared-sites"
    );
    assert_eq!(
        gunicorn["spec"]["template"]["spec"]["volumes"][1]["emptyDir"],
        json!({}),
        "logs are off by default"
    );
}

#[test]
fn several_files_merge_and_set_applies_last() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.yaml");
    let overlay = dir.path().join("prod.yaml");
    std::fs::write(
        &base,
        format!("{MINIMAL}socketio:\n  replicaCount: 2\n  resources:\n    requests: {{cpu: 100m}}\n"),
    )
    .unwrap();
    std::fs::write(&overlay, "socketio:\n  replicaCount: 3\n").unwrap();
    let outcome = frappe_manifests::pipeline::run(&frappe_manifests::pipeline::Request {
        files: vec![
            frappe_manifests::pipeline::Input::Path(base),
            frappe_manifests::pipeline::Input::Path(overlay),
        ],
        sets: vec![
            "worker.long.replicaCount=4,ingress.enabled=true".to_owned(),
            "ingress.hosts[0].host=erp.example.com,ingress.hosts[0].paths[0].path=/,ingress.hosts[0].paths[0].pathType=Prefix".to_owned(),
        ],
        ..Default::default()
    });
    let docs = documents(&emit::to_yaml_stream(outcome.manifests.as_ref().expect("renders")));
    let socketio = find(&docs, "Deployment", "erpnext-socketio");
    assert_eq!(socketio["spec"]["replicas"], 3, "the later file wins");
    assert_eq!(
        socketio["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"], "100m",
        "maps merge"
    );
    assert_eq!(find(&docs, "Deployment", "erpnext-worker-l")["spec"]["replicas"], 4);
    assert_eq!(find(&docs, "Ingress", "erpnext")["spec"]["rules"][0]["host"], "erp.example.com");
}

#[test]
fn anchors_aliases_and_merge_keys_work_as_in_helm() {
    let values = format!(
        "{MINIMAL}worker:
  default:
    resources: &small
      requests: {{cpu: 100m, memory: 256Mi}}
  short:
    resources: *small
  long:
    resources:
      <<: *small
      limits: {{memory: 1Gi}}
  scheduler:
    resources:
      requests: {{cpu: 50m}}
      <<: [{{requests: {{cpu: 1}}, limits: {{cpu: 2}}}}, {{limits: {{cpu: 3, memory: 1Gi}}}}]
"
    );
    let docs = documents(&render_text(&values, &[]));
    let resources = |name: &str| find(&docs, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]["resources"].clone();
    let small = json!({"requests": {"cpu": "100m", "memory": "256Mi"}});
    assert_eq!(resources("erpnext-worker-d"), small);
    assert_eq!(resources("erpnext-worker-s"), small);
    assert_eq!(
        resources("erpnext-worker-l"),
        json!({"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}})
    );
    // Keys written in the map win over merged ones; earlier merges over later.
    assert_eq!(
        resources("erpnext-scheduler"),
        json!({"requests": {"cpu": "50m"}, "limits": {"cpu": "2"}})
    );
}

#[test]
fn core_tags_type_scalars_and_other_tags_are_ignored() {
    let docs = documents(&render_text(
        &format!("{MINIMAL}nginx:\n  replicaCount: !!int \"3\"\nsocketio:\n  replicaCount: !custom 4\n"),
        &[],
    ));
    assert_eq!(find(&docs, "Deployment", "erpnext-nginx")["spec"]["replicas"], 3);
    assert_eq!(find(&docs, "Deployment", "erpnext-socketio")["spec"]["replicas"], 4);
}

/// A key is typed as any quoted string is: a control character in an
/// annotation's name earns the warning a value would, at the key.
#[test]
fn a_control_character_in_a_key_is_reported_at_the_key() {
    let values = format!("{MINIMAL}ingress:\n  annotations:\n    \"nel\\u0085\": x\n");
    let outcome = check_text(&values, &[], "erpnext", None);
    let at_key: Vec<_> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.code == frappe_manifests::diagnostic::Code::ControlCharacter)
        .map(|d| outcome.sources.snippet(d.span.expect("located")))
        .collect();
    assert_eq!(at_key, ["\"nel\\u0085\""], "{}", common::human(&outcome));
}

/// A rollout, a scale-in or a drain cuts no request the timeouts allow:
/// gunicorn's workers get its request timeout to finish (`--graceful-timeout`),
/// nginx its proxy read timeout, each after a preStop wait for the
/// endpoints, and the pod's grace period covers both.
#[test]
fn stopping_web_pods_finish_the_requests_their_timeouts_allow() {
    let values =
        format!("{MINIMAL}worker:\n  gunicorn:\n    args: [\"--timeout=300\"]\nnginx:\n  environment:\n    proxyReadTimeout: 4m\n");
    let docs = documents(&render_text(&values, &[]));
    let pod = |name: &str| find(&docs, "Deployment", name)["spec"]["template"]["spec"].clone();
    let pre_stop_seconds = |pod: &Value| {
        let command = pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"]
            .as_array()
            .unwrap()
            .clone();
        let words: Vec<&str> = command.iter().flat_map(|w| w.as_str().unwrap().split([' ', ';'])).collect();
        let at = words.iter().position(|w| *w == "sleep").expect("the hook waits for the endpoints");
        words[at + 1].parse::<i64>().unwrap()
    };

    let gunicorn = pod("erpnext-gunicorn");
    let args: Vec<&str> = gunicorn["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        args.contains(&"--timeout=300") && args.contains(&"--graceful-timeout=300"),
        "{args:?}"
    );
    let grace = gunicorn["terminationGracePeriodSeconds"].as_i64().unwrap();
    assert!(grace > pre_stop_seconds(&gunicorn) + 300, "gunicorn's grace {grace}");

    // nginx: SIGQUIT to the master named by its pid file (no `nginx -s`,
    // which parses the configuration and resolves the upstreams again), a
    // wait as long as a proxied request may take, then SIGTERM for the
    // websockets that never end by themselves.
    let nginx = pod("erpnext-nginx");
    let hook = nginx["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][2]
        .as_str()
        .unwrap();
    assert!(!hook.contains("nginx -s"), "{hook}");
    let quit = hook.find("kill -QUIT \"$pid\"").expect(hook);
    assert!(hook[..quit].contains("pid=\"$(cat /run/nginx.pid)\""), "{hook}");
    let waits: i64 = hook
        .split("SECONDS >= ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect(hook)
        .parse()
        .unwrap();
    assert_eq!(waits, 240, "{hook}");
    let term = hook.find("kill -TERM \"$pid\"").expect(hook);
    assert!(
        quit < hook.find("SECONDS >= ").unwrap() && hook.find("SECONDS >= ").unwrap() < term,
        "{hook}"
    );
    let grace = nginx["terminationGracePeriodSeconds"].as_i64().unwrap();
    assert!(grace > pre_stop_seconds(&nginx) + waits, "nginx's grace {grace}");

    let socketio = pod("erpnext-socketio");
    assert!(pre_stop_seconds(&socketio) > 0);
    assert!(socketio["terminationGracePeriodSeconds"].as_i64().unwrap() > pre_stop_seconds(&socketio));
}

/// nginx's hook waits as long as the read timeout nginx gets: the last
/// `PROXY_READ_TIMEOUT` of `nginx.envVars` over `proxyReadTimeout`, the
/// entrypoint's 120 for an empty one.
#[test]
fn nginx_stops_after_the_read_timeout_it_gets() {
    let waits = |nginx: &str| {
        let docs = documents(&render_text(&format!("{MINIMAL}nginx:\n{nginx}"), &[]));
        let pod = find(&docs, "Deployment", "erpnext-nginx")["spec"]["template"]["spec"].clone();
        let hook = pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][2]
            .as_str()
            .unwrap()
            .to_owned();
        let waits: i64 = hook
            .split("SECONDS >= ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .expect(&hook)
            .parse()
            .unwrap();
        assert!(pod["terminationGracePeriodSeconds"].as_i64().unwrap() > waits);
        waits
    };
    assert_eq!(waits("  environment: {proxyReadTimeout: ''}\n"), 120);
    assert_eq!(
        waits("  environment: {proxyReadTimeout: 4m}\n  envVars: [{name: PROXY_READ_TIMEOUT, value: 10m}]\n"),
        600
    );
    assert_eq!(
        waits("  environment: {proxyReadTimeout: 4m}\n  envVars: [{name: PROXY_READ_TIMEOUT, value: ''}]\n"),
        120
    );
}

/// The image's `start.sh` takes gunicorn's workers, threads and timeout from
/// `GUNICORN_WORKERS`, `GUNICORN_THREADS` and `GUNICORN_TIMEOUT` (frappe_docker's
/// compose.yaml sets them): the rendered command line, which replaces
/// `start.sh`, takes them too, an empty one keeping the image's value, and
/// flags in `worker.gunicorn.args` still win. The timeout reaches
/// `--graceful-timeout` and the grace period as a flag's does.
#[test]
fn gunicorn_takes_the_images_gunicorn_env_and_args_win() {
    let env = "    envVars:\n    - {name: GUNICORN_WORKERS, value: \"8\"}\n    - {name: GUNICORN_TIMEOUT, value: \"300\"}\n    - {name: GUNICORN_THREADS, value: \"\"}\n";
    let gunicorn = |extra: &str| {
        let values = format!("{MINIMAL}worker:\n  gunicorn:\n{env}{extra}");
        let docs = documents(&render_text(&values, &[]));
        find(&docs, "Deployment", "erpnext-gunicorn")["spec"]["template"]["spec"].clone()
    };
    let args = |pod: &Value| -> Vec<String> {
        pod["containers"][0]["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect()
    };

    let pod = gunicorn("");
    let line = args(&pod);
    for flag in ["--workers=8", "--timeout=300", "--graceful-timeout=300", "--threads=4"] {
        assert_eq!(line.iter().filter(|a| *a == flag).count(), 1, "{flag} in {line:?}");
    }
    assert!(!line.iter().any(|a| a == "--workers=2" || a == "--timeout=120"), "{line:?}");
    assert!(pod["terminationGracePeriodSeconds"].as_i64().unwrap() > 300);

    let line = args(&gunicorn("    args: [--workers=3]\n"));
    assert!(
        line.contains(&"--workers=3".to_owned()) && !line.contains(&"--workers=8".to_owned()),
        "{line:?}"
    );
    assert!(line.contains(&"--timeout=300".to_owned()), "{line:?}");
}

/// A `GUNICORN_*` var from a ConfigMap or Secret (`valueFrom`) reaches
/// gunicorn as the image's `start.sh` gives it: read when the container
/// starts, the image's value when it is empty or missing (an `optional`
/// key). The rendered args are run by bash as the kubelet would, with
/// `printf` for gunicorn, in each of those cases. A flag in
/// `worker.gunicorn.args` still wins, and a literal value keeps the plain
/// command line.
#[test]
fn gunicorn_takes_its_env_from_value_from_when_it_starts() {
    let from = "      valueFrom: {configMapKeyRef: {name: gunicorn-tuning, key: workers, optional: true}}\n";
    let values = |extra: &str| format!("{MINIMAL}worker:\n  gunicorn:\n    envVars:\n    - name: GUNICORN_WORKERS\n{from}{extra}");
    let args = |values: &str| -> Vec<String> {
        let docs = documents(&render_text(values, &[]));
        let container = &find(&docs, "Deployment", "erpnext-gunicorn")["spec"]["template"]["spec"]["containers"][0];
        container["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect()
    };
    // What gunicorn gets for `flag`: the last word that sets it.
    let started = |args: &[String], env: &[(&str, &str)], flag: &str| -> String {
        let words: Vec<&str> = args
            .iter()
            .flat_map(|a| match a.as_str() {
                "/home/frappe/frappe-bench/env/bin/gunicorn" => vec!["printf", "%s\n"],
                word => vec![word],
            })
            .collect();
        let mut command = std::process::Command::new(words[0]);
        command.args(&words[1..]);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().copied());
        let output = command.output().unwrap();
        assert!(output.status.success(), "{args:?}: {output:?}");
        let line = String::from_utf8(output.stdout).unwrap();
        let prefix = format!("{flag}=");
        line.lines()
            .rev()
            .find_map(|w| w.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {flag} in {line}"))
            .to_owned()
    };

    let line = args(&values(
        "    - {name: GUNICORN_THREADS, valueFrom: {secretKeyRef: {name: gunicorn-tuning, key: threads}}}\n",
    ));
    assert_eq!(
        started(&line, &[("GUNICORN_WORKERS", "6"), ("GUNICORN_THREADS", "8")], "--workers"),
        "6"
    );
    assert_eq!(
        started(&line, &[("GUNICORN_WORKERS", "6"), ("GUNICORN_THREADS", "8")], "--threads"),
        "8"
    );
    assert_eq!(
        started(&line, &[("GUNICORN_WORKERS", ""), ("GUNICORN_THREADS", "8")], "--workers"),
        "2",
        "empty: the image's"
    );
    assert_eq!(
        started(&line, &[("GUNICORN_THREADS", "8")], "--workers"),
        "2",
        "missing: the image's"
    );
    assert_eq!(started(&line, &[("GUNICORN_WORKERS", "6")], "--timeout"), "120");

    let line = args(&values("    args: [--workers=3]\n"));
    assert_eq!(
        started(&line, &[("GUNICORN_WORKERS", "6")], "--workers"),
        "3",
        "the values' flag wins: {line:?}"
    );

    let line = args(&format!(
        "{MINIMAL}worker:\n  gunicorn:\n    envVars:\n    - {{name: GUNICORN_WORKERS, value: \"6\"}}\n"
    ));
    assert_eq!(
        line[0], "/home/frappe/frappe-bench/env/bin/gunicorn",
        "a written value needs no shell: {line:?}"
    );
    assert!(line.contains(&"--workers=6".to_owned()), "{line:?}");
}

/// gunicorn reads `--workers`, `--threads` and the timeouts with Python's
/// `int` and refuses its command line when one is no number: the render
/// fails, pointing at where the values set it.
#[test]
fn a_gunicorn_number_that_is_no_number_is_an_error_where_it_is_written() {
    let refused_at = |gunicorn: &str| -> Vec<Option<String>> {
        let outcome = check_text(&format!("{MINIMAL}worker:\n  gunicorn:\n{gunicorn}"), &[], "erpnext", None);
        let errors: Vec<Option<String>> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.code == frappe_manifests::diagnostic::Code::InvalidValue)
            .map(|d| d.field.clone())
            .collect();
        assert_eq!(outcome.manifests.is_none(), !errors.is_empty(), "{errors:?}");
        errors
    };
    assert_eq!(
        refused_at("    envVars:\n    - {name: GUNICORN_WORKERS, value: four}\n"),
        [Some("worker.gunicorn.envVars[0].value".to_owned())]
    );
    assert_eq!(
        refused_at("    args: [--preload, --threads=8x, --graceful-timeout]\n"),
        [
            Some("worker.gunicorn.args[1]".to_owned()),
            Some("worker.gunicorn.args[2]".to_owned())
        ]
    );
    // The values' flag wins over the env; a var the kubelet expands, and
    // what Python's `int` reads, are numbers enough.
    assert_eq!(
        refused_at(
            "    envVars:\n    - {name: GUNICORN_WORKERS, value: four}\n    - {name: T, value: \"60\"}\n    args: [--workers=3, \"--timeout=$(T)\", \"--threads= 1_0 \"]\n"
        ),
        []
    );
}

/// The `unknown-timeout` warnings of the minimal values with
/// `worker.gunicorn` given `gunicorn` (its keys, the first unindented),
/// which do not block the render.
fn unknown_timeout_warnings(gunicorn: &str) -> Vec<frappe_manifests::diagnostic::Diagnostic> {
    let outcome = check_text(&format!("{MINIMAL}worker:\n  gunicorn:\n    {gunicorn}"), &[], "erpnext", None);
    assert!(outcome.manifests.is_some(), "a warning does not block the render");
    outcome
        .diagnostics
        .into_iter()
        .filter(|d| d.code == frappe_manifests::diagnostic::Code::UnknownTimeout)
        .collect()
}

/// A `GUNICORN_TIMEOUT` from `valueFrom` is taken when gunicorn starts, but
/// what follows the timeout at render time cannot follow it: a warning says
/// so, and no warning comes where the values' flag sets the timeout.
#[test]
fn a_timeout_from_value_from_warns_that_the_grace_period_cannot_follow_it() {
    let warned = |extra: &str| {
        unknown_timeout_warnings(&format!(
            "envVars:\n    - {{name: GUNICORN_TIMEOUT, valueFrom: {{secretKeyRef: {{name: tuning, key: timeout}}}}}}\n{extra}"
        ))
        .len()
    };
    assert_eq!(warned(""), 1);
    assert_eq!(warned("    args: [--timeout=300]\n"), 0);
    // With a `--graceful-timeout` of the values' own, the grace period
    // follows it: only the `proxy-timeout` check cannot follow the timeout.
    let said = |extra: &str| {
        unknown_timeout_warnings(&format!(
            "envVars:\n    - {{name: GUNICORN_TIMEOUT, valueFrom: {{secretKeyRef: {{name: tuning, key: timeout}}}}}}\n{extra}"
        ))[0]
            .message
            .clone()
    };
    assert!(said("").contains("grace period"));
    let given = said("    args: [--graceful-timeout=600]\n");
    assert!(
        !given.contains("grace period") && given.contains("`proxy-timeout` check"),
        "{given}"
    );
}

/// A timeout that names a var (`$(T)`), which the kubelet expands when the
/// pod starts, is no number when rendering either: the grace period cannot
/// follow it, and a warning says so where it is written, in `args` or in
/// `GUNICORN_TIMEOUT`'s value. One written in seconds earns none.
#[test]
fn a_timeout_that_names_a_var_warns_where_it_is_written() {
    let warned_at = |gunicorn: &str| -> Vec<Option<String>> {
        unknown_timeout_warnings(gunicorn.trim_start())
            .into_iter()
            .map(|d| d.field)
            .collect()
    };
    let from_config_map = "    - {name: T, valueFrom: {configMapKeyRef: {name: tuning, key: timeout}}}\n";
    assert_eq!(
        warned_at(&format!("    envVars:\n{from_config_map}    args: [--max-requests=500, -t$(T)]\n")),
        [Some("worker.gunicorn.args[1]".to_owned())]
    );
    assert_eq!(
        warned_at(&format!(
            "    envVars:\n{from_config_map}    - {{name: GUNICORN_TIMEOUT, value: \"$(T)\"}}\n"
        )),
        [Some("worker.gunicorn.envVars[1].value".to_owned())]
    );
    assert_eq!(
        warned_at(&format!(
            "    envVars:\n{from_config_map}    - {{name: GUNICORN_TIMEOUT, value: \"$(T)\"}}\n    args: [--timeout=300]\n"
        )),
        [],
        "the values' flag in seconds wins"
    );
}

/// Components take no `envFrom`, which would hide the vars from the
/// rendered command line: the key is refused, and its help says how a var
/// from a ConfigMap or Secret is given.
#[test]
fn env_from_is_refused_with_the_way_to_give_a_var_from_a_config_map() {
    let outcome = check_text(
        &format!("{MINIMAL}worker:\n  gunicorn:\n    envFrom:\n    - configMapRef: {{name: gunicorn-tuning}}\n"),
        &[],
        "erpnext",
        None,
    );
    assert!(outcome.manifests.is_none());
    let refused = outcome
        .diagnostics
        .iter()
        .find(|d| d.code == frappe_manifests::diagnostic::Code::UnknownKey)
        .expect("envFrom is an unknown key");
    let help = refused.help.as_deref().unwrap_or_default();
    assert!(help.contains("`envVars`") && help.contains("`valueFrom`"), "{help}");
}

/// The README's "A values file and what it produces": the values file (the
/// table's left cell) and the abridged render (its right cell).
fn readme_values_and_render() -> (String, String) {
    let readme = std::fs::read_to_string(common::project_root().join("README.md")).unwrap();
    let section = &readme[readme.find("### A values file and what it produces").expect("the README's example")..];
    let mut blocks = section
        .split("```yaml\n")
        .skip(1)
        .map(|block| block[..block.find("```").unwrap()].to_owned());
    (blocks.next().unwrap(), blocks.next().unwrap())
}

/// Whether `whole` shows everything `part` shows: maps key by key, lists as
/// an ordered selection of their items, where `...` stands for items left out.
fn abridges(whole: &Value, part: &Value) -> bool {
    match (whole, part) {
        (Value::Object(whole), Value::Object(part)) => part.iter().all(|(key, value)| whole.get(key).is_some_and(|w| abridges(w, value))),
        (Value::Array(whole), Value::Array(part)) => {
            let mut items = whole.iter();
            part.iter()
                .filter(|item| *item != "...")
                .all(|item| items.any(|w| abridges(w, item)))
        }
        _ => whole == part,
    }
}

#[test]
fn the_readmes_example_values_render_as_the_readme_shows() {
    let (values, shown) = readme_values_and_render();
    let outcome = check_text(&values, &[], "erpnext", None);
    let manifests = outcome
        .manifests
        .as_ref()
        .unwrap_or_else(|| panic!("the README's values do not render:\n{}", common::human(&outcome)));
    let docs = documents(&emit::to_yaml_stream(manifests));
    for part in documents(&shown) {
        let whole = find(&docs, part["kind"].as_str().unwrap(), part["metadata"]["name"].as_str().unwrap());
        assert!(
            abridges(whole, &part),
            "the README shows\n{part:#}\nwhere the render has\n{whole:#}"
        );
    }
}

/// The chart reads `nginx.config` with `if`, for which an empty string is
/// false: the image's entrypoint writes the configuration. An empty
/// `default.conf` of our own would leave nginx serving nothing.
#[test]
fn an_empty_nginx_config_leaves_the_entrypoints_configuration() {
    let docs = documents(&render_text(&format!("{MINIMAL}nginx:\n  config: \"\"\n"), &[]));
    assert!(
        !docs
            .iter()
            .any(|doc| doc["kind"] == "ConfigMap" && doc["metadata"]["name"] == "erpnext-nginx-config"),
        "no ConfigMap for an empty configuration"
    );
    let nginx = &find(&docs, "Deployment", "erpnext-nginx")["spec"]["template"]["spec"];
    let container = &nginx["containers"][0];
    assert_ne!(
        container["args"][0], "nginx",
        "the entrypoint runs, not nginx with a configuration of the values"
    );
    assert!(
        !nginx["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|volume| volume["name"] == "nginx-config"),
        "no configuration volume"
    );
}
