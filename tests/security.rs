//! Every pod of every example meets the `restricted` Pod Security Standard,
//! and the availability defaults (PodDisruptionBudgets, spread, startup probe)
//! are there.

use serde_json::Value;

use crate::common::{MINIMAL, check_text, documents, example, render_text};

/// The pod specs of a stream, with where they come from.
fn pods(docs: &[Value]) -> Vec<(String, &Value)> {
    docs.iter()
        .filter_map(|d| {
            let spec = match d["kind"].as_str()? {
                "Deployment" | "Job" => &d["spec"]["template"]["spec"],
                "CronJob" => &d["spec"]["jobTemplate"]["spec"]["template"]["spec"],
                _ => return None,
            };
            Some((format!("{} {}", d["kind"].as_str()?, d["metadata"]["name"].as_str()?), spec))
        })
        .collect()
}

/// What the restricted profile of Kubernetes 1.33 requires of a pod, as
/// violations (empty when it passes).
fn restricted_violations(pod: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let pod_context = &pod["securityContext"];
    for host in ["hostNetwork", "hostPID", "hostIPC"] {
        if pod[host] == true {
            problems.push(format!("{host} is set"));
        }
    }
    const ALLOWED_VOLUMES: &[&str] = &[
        "configMap",
        "emptyDir",
        "persistentVolumeClaim",
        "secret",
        "projected",
        "downwardAPI",
        "csi",
        "ephemeral",
    ];
    for volume in pod["volumes"].as_array().into_iter().flatten() {
        let kinds: Vec<&String> = volume.as_object().unwrap().keys().filter(|k| *k != "name").collect();
        if !kinds.iter().all(|k| ALLOWED_VOLUMES.contains(&k.as_str())) {
            problems.push(format!("volume {} has type {kinds:?}", volume["name"]));
        }
    }
    let containers = pod["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(pod["initContainers"].as_array().into_iter().flatten());
    for container in containers {
        let name = container["name"].as_str().unwrap_or("?");
        let context = &container["securityContext"];
        let setting = |key: &str| if context[key].is_null() { &pod_context[key] } else { &context[key] };
        if setting("runAsNonRoot") != &Value::Bool(true) {
            problems.push(format!("{name}: runAsNonRoot is not true"));
        }
        if setting("runAsUser") == &Value::from(0) {
            problems.push(format!("{name}: runs as UID 0"));
        }
        let seccomp = setting("seccompProfile")["type"].as_str().unwrap_or("");
        if !matches!(seccomp, "RuntimeDefault" | "Localhost") {
            problems.push(format!("{name}: seccompProfile is `{seccomp}`"));
        }
        if context["allowPrivilegeEscalation"] != false {
            problems.push(format!("{name}: allowPrivilegeEscalation is not false"));
        }
        if context["privileged"] == true {
            problems.push(format!("{name}: privileged"));
        }
        let drops: Vec<&str> = context["capabilities"]["drop"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !drops.contains(&"ALL") {
            problems.push(format!("{name}: capabilities are not all dropped"));
        }
        for added in context["capabilities"]["add"].as_array().into_iter().flatten() {
            if added != "NET_BIND_SERVICE" {
                problems.push(format!("{name}: adds capability {added}"));
            }
        }
        for port in container["ports"].as_array().into_iter().flatten() {
            if !port["hostPort"].is_null() {
                problems.push(format!("{name}: uses a hostPort"));
            }
        }
    }
    if pod["automountServiceAccountToken"] != false {
        problems.push("the service-account token is mounted".to_owned());
    }
    problems
}

#[test]
fn every_pod_of_every_example_meets_the_restricted_standard() {
    for name in ["production", "minimal", "direct-ingress", "multisite"] {
        let values = std::fs::read_to_string(example(name)).unwrap();
        let outcome = check_text(&values, &[], "erpnext", None);
        let docs = documents(&frappe_manifests::emit::to_yaml_stream(outcome.manifests.as_ref().unwrap()));
        for (pod_name, pod) in pods(&docs) {
            let violations = restricted_violations(pod);
            if pod_name.contains("volume-permissions") {
                // A root helper the example asks for on purpose: it must break
                // the standard, and lint must say so.
                assert!(!violations.is_empty());
                assert!(
                    outcome.diagnostics.iter().any(|d| d.code.as_str() == "root-container"),
                    "{name}: no root-container warning"
                );
                continue;
            }
            assert!(violations.is_empty(), "{name}: {pod_name}: {violations:#?}");
        }
    }
}

/// The emptyDir-backed mount paths of a container outside the bench
/// directory (where logs are an emptyDir when not persisted).
fn scratch_mounts(pod: &Value, container: &Value) -> Vec<String> {
    let empty_dirs: Vec<&Value> = pod["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v.get("emptyDir").is_some())
        .map(|v| &v["name"])
        .collect();
    container["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| empty_dirs.contains(&&m["name"]))
        .map(|m| m["mountPath"].as_str().unwrap().to_owned())
        .filter(|path| !path.starts_with("/home/frappe/frappe-bench/"))
        .collect()
}

#[test]
fn bench_containers_have_a_read_only_root_and_emptydirs_where_they_write() {
    for name in ["production", "minimal", "direct-ingress", "multisite"] {
        let values = std::fs::read_to_string(example(name)).unwrap();
        let docs = documents(&render_text(&values, &[]));
        let mut seen = 0;
        for (pod_name, pod) in pods(&docs) {
            for container in pod["containers"].as_array().unwrap() {
                let image = container["image"].as_str().unwrap();
                // Root helpers and the custom Job (multisite's `erp-clear-cache`)
                // run what the values say, with the values' own mounts.
                if !image.contains("erp") || pod_name.contains("volume-permissions") || pod_name.contains("clear-cache") {
                    continue;
                }
                seen += 1;
                let context = &container["securityContext"];
                assert_eq!(context["readOnlyRootFilesystem"], true, "{name}: {pod_name}");
                let mut expected = vec!["/tmp"];
                if container["name"] == "nginx" {
                    expected.extend(["/etc/nginx/conf.d", "/var/lib/nginx", "/run"]);
                }
                assert_eq!(scratch_mounts(pod, container), expected, "{name}: {pod_name}");
            }
        }
        assert!(seen >= 7, "{name}: only {seen} bench containers");
    }

    // Turning it off through the chart's key removes the emptyDirs too.
    let writable = documents(&render_text(
        &format!("{MINIMAL}securityContext:\n  runAsNonRoot: true\n  allowPrivilegeEscalation: false\n"),
        &[],
    ));
    for (pod_name, pod) in pods(&writable) {
        for container in pod["containers"].as_array().unwrap() {
            assert_eq!(container["securityContext"].get("readOnlyRootFilesystem"), None, "{pod_name}");
            assert!(scratch_mounts(pod, container).is_empty(), "{pod_name}");
        }
    }

    // A custom nginx configuration is mounted read-only over conf.d instead
    // of an emptyDir; sidecars the values bring keep a writable root.
    let custom = documents(&render_text(
        &format!(
            "{MINIMAL}nginx:\n  config: |\n    server {{ listen 8080; }}\n  sidecars:\n    - name: exporter\n      image: nginx/nginx-prometheus-exporter:1.4\n"
        ),
        &[],
    ));
    let (_, pod) = pods(&custom).into_iter().find(|(n, _)| n.ends_with("-nginx")).unwrap();
    let nginx = &pod["containers"][0];
    assert_eq!(scratch_mounts(pod, nginx), ["/tmp", "/var/lib/nginx", "/run"]);
    assert!(
        nginx["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["mountPath"] == "/etc/nginx/conf.d" && m["name"] == "nginx-config")
    );
    let sidecar = &pod["containers"][1];
    assert_eq!(sidecar["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(sidecar["securityContext"].get("readOnlyRootFilesystem"), None);
}

#[test]
fn replicated_components_get_disruption_budgets_and_spread() {
    let values = std::fs::read_to_string(example("production")).unwrap();
    let docs = documents(&render_text(&values, &[]));
    let budgets: Vec<&str> = docs
        .iter()
        .filter(|d| d["kind"] == "PodDisruptionBudget")
        .map(|d| d["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        budgets,
        [
            "erpnext-gunicorn",
            "erpnext-nginx",
            "erpnext-socketio",
            "erpnext-worker-d",
            "erpnext-worker-l",
            "erpnext-worker-s"
        ],
        "every replicated component, never the scheduler"
    );
    let budget = docs
        .iter()
        .find(|d| d["kind"] == "PodDisruptionBudget" && d["metadata"]["name"] == "erpnext-worker-d")
        .unwrap();
    assert_eq!(budget["spec"]["maxUnavailable"], 1);
    assert_eq!(
        budget["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"],
        "erpnext-worker-d"
    );
    for deployment in docs
        .iter()
        .filter(|d| d["kind"] == "Deployment" && d["spec"]["replicas"].as_i64().unwrap_or(2) >= 2)
    {
        let spread = &deployment["spec"]["template"]["spec"]["topologySpreadConstraints"][0];
        assert_eq!(
            spread["topologyKey"], "kubernetes.io/hostname",
            "{}",
            deployment["metadata"]["name"]
        );
    }
    let gunicorn = docs
        .iter()
        .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "erpnext-gunicorn")
        .unwrap();
    let startup = &gunicorn["spec"]["template"]["spec"]["containers"][0]["startupProbe"];
    assert_eq!(startup["tcpSocket"]["port"], 8000);
    assert_eq!(startup["failureThreshold"], 30);

    let single = documents(&render_text(MINIMAL, &[]));
    assert!(
        single.iter().all(|d| d["kind"] != "PodDisruptionBudget"),
        "one replica needs no budget"
    );
    let forced = documents(&render_text(
        &format!(
            "{MINIMAL}worker:\n  scheduler:\n    replicaCount: 1\n  default:\n    podDisruptionBudget: {{enabled: true, minAvailable: 1}}\n"
        ),
        &[],
    ));
    let budget = forced.iter().find(|d| d["kind"] == "PodDisruptionBudget").unwrap();
    assert_eq!(
        (budget["spec"]["minAvailable"].as_i64(), budget["spec"].get("maxUnavailable")),
        (Some(1), None)
    );
}

#[test]
fn an_image_digest_pins_the_image() {
    let digest = "sha256:4a1c9d2f0b3e5a6c7d8e9f00112233445566778899aabbccddeeff0011223344";
    let docs = documents(&render_text(
        &format!("{MINIMAL}image:\n  repository: registry.example.com/erp\n  tag: latest\n  digest: {digest}\n"),
        &[],
    ));
    let gunicorn = docs
        .iter()
        .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "erpnext-gunicorn")
        .unwrap();
    assert_eq!(
        gunicorn["spec"]["template"]["spec"]["containers"][0]["image"],
        format!("registry.example.com/erp@{digest}")
    );
    let outcome = check_text(&format!("{MINIMAL}image:\n  digest: sha256:abc\n"), &[], "erpnext", None);
    let problem = outcome
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "invalid-value")
        .expect("a bad digest is refused");
    assert!(problem.message.contains("is not an image digest"));
}

#[test]
fn network_policies_fence_the_bench_when_enabled() {
    assert!(
        documents(&render_text(MINIMAL, &[])).iter().all(|d| d["kind"] != "NetworkPolicy"),
        "off by default"
    );
    let values = "dbHost: db.internal\nexternalRedis: {cache: \"redis://cache:6379\", queue: \"rediss://queue:6380\"}\nnetworkPolicy:\n  enabled: true\n";
    let docs = documents(&render_text(values, &[]));
    let policy = |name: &str| {
        docs.iter()
            .find(|d| d["kind"] == "NetworkPolicy" && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let default = &policy("erpnext-default")["spec"];
    assert_eq!(default["podSelector"]["matchLabels"]["app.kubernetes.io/part-of"], "erpnext");
    assert_eq!(default["policyTypes"], serde_json::json!(["Ingress", "Egress"]));
    assert!(
        default.get("ingress").is_none(),
        "nothing may reach a bench pod but what the other policies allow"
    );
    let egress_ports: Vec<i64> = default["egress"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["ports"].as_array().into_iter().flatten())
        .map(|p| p["port"].as_i64().unwrap())
        .collect();
    assert_eq!(egress_ports, [53, 53, 3306, 6379, 6380], "DNS, the database and both Redis ports");
    let web = &policy("erpnext-web")["spec"];
    assert_eq!(
        web["podSelector"]["matchExpressions"][0]["values"],
        serde_json::json!(["erpnext-nginx"])
    );
    assert_eq!(
        web["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        "ingress-nginx"
    );
    assert_eq!(web["ingress"][0]["ports"][0]["port"], 8080);
    assert_eq!(
        policy("erpnext-backends")["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
        "erpnext-nginx"
    );
    // Every pod the policies fence carries the label they select on.
    for doc in docs.iter().filter(|d| d["kind"] == "Deployment" || d["kind"] == "Job") {
        assert_eq!(
            doc["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/part-of"], "erpnext",
            "{}",
            doc["metadata"]["name"]
        );
    }

    let direct = documents(&render_text(
        &format!("{values}nginx:\n  enabled: false\n  assetsServedElsewhere: true\n"),
        &[],
    ));
    let web = direct
        .iter()
        .find(|d| d["kind"] == "NetworkPolicy" && d["metadata"]["name"] == "erpnext-web")
        .unwrap();
    assert_eq!(
        web["spec"]["podSelector"]["matchExpressions"][0]["values"],
        serde_json::json!(["erpnext-gunicorn", "erpnext-socketio"])
    );
    assert!(
        direct.iter().all(|d| d["metadata"]["name"] != "erpnext-backends"),
        "without nginx, the controller talks to the backends itself"
    );
}

#[test]
fn keda_scales_a_worker_on_its_rq_queue() {
    let values = "dbHost: db\nexternalRedis:\n  cache: redis://cache:6379\n  queue: rediss://default:pw@queue.internal:6380/1\nworker:\n  long:\n    autoscaling:\n      keda:\n        enabled: true\n        maxReplicas: 6\n        passwordSecret: {name: redis, key: password}\n";
    let docs = documents(&render_text(values, &[]));
    let scaled = docs.iter().find(|d| d["kind"] == "ScaledObject").expect("a ScaledObject");
    assert_eq!(scaled["apiVersion"], "keda.sh/v1alpha1");
    assert_eq!(scaled["spec"]["scaleTargetRef"]["name"], "erpnext-worker-l");
    assert_eq!(
        (
            scaled["spec"]["minReplicaCount"].as_i64(),
            scaled["spec"]["maxReplicaCount"].as_i64()
        ),
        (Some(0), Some(6))
    );
    let trigger = &scaled["spec"]["triggers"][0];
    assert_eq!(trigger["type"], "redis");
    assert_eq!(
        trigger["metadata"]["listName"], "rq:queue:home-frappe-frappe-bench:long",
        "the worker's own queue under Frappe's default bench id"
    );
    assert_eq!(trigger["metadata"]["address"], "queue.internal:6380");
    assert_eq!(trigger["metadata"]["databaseIndex"], "1");
    assert_eq!(trigger["metadata"]["enableTLS"], "true");
    assert!(
        !serde_json::to_string(scaled).unwrap().contains("pw@"),
        "the password is not in the ScaledObject"
    );
    let auth = docs.iter().find(|d| d["kind"] == "TriggerAuthentication").unwrap();
    assert_eq!(trigger["authenticationRef"]["name"], auth["metadata"]["name"]);
    assert_eq!(
        auth["spec"]["secretTargetRef"][0],
        serde_json::json!({"parameter": "password", "name": "redis", "key": "password"})
    );
    let long = docs
        .iter()
        .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "erpnext-worker-l")
        .unwrap();
    assert!(long["spec"].get("replicas").is_none(), "KEDA owns the replica count");
    assert_eq!(
        scaled["spec"]["advanced"],
        serde_json::json!({"restoreToOriginalReplicaCount": true}),
        "deleted (KEDA turned off, or an HPA in its place), it gives the worker back its replicas: left at 0, \
         an HPA would never scale it (the HPA controller's ScalingDisabled), nor would the apply (no `replicas`)"
    );
    assert!(docs.iter().all(|d| d["kind"] != "HorizontalPodAutoscaler"));
    let configure = docs
        .iter()
        .find(|d| d["kind"] == "Job" && d["metadata"]["labels"]["app.kubernetes.io/component"] == "configure")
        .unwrap();
    assert!(
        configure["spec"]["template"]["spec"]["containers"][0]["args"][0]
            .as_str()
            .unwrap()
            .contains("KEDA_BENCH_ID='home-frappe-frappe-bench'")
    );
    assert!(
        documents(&render_text(MINIMAL, &[])).iter().all(|d| d["kind"] != "ScaledObject"),
        "only when asked for"
    );
}

#[test]
fn keda_is_refused_where_it_cannot_work() {
    let errors = |extra: &str| -> Vec<String> {
        let outcome = check_text(&format!("{MINIMAL}{extra}"), &[], "erpnext", None);
        outcome
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{}: {}", d.code.as_str(), d.message))
            .collect()
    };
    let both = errors(
        "worker:\n  default:\n    resources: {requests: {cpu: 1, memory: 1Gi}}\n    autoscaling:\n      enabled: true\n      keda: {enabled: true}\n",
    );
    assert!(both.iter().any(|e| e.contains("either with its HPA or with KEDA")), "{both:?}");
    let web = errors("socketio:\n  autoscaling:\n    keda: {enabled: true}\n");
    assert!(web.iter().any(|e| e.contains("this component has no queue")), "{web:?}");
}

#[test]
fn a_changed_nginx_configuration_rolls_the_nginx_pods() {
    let checksum = |config: &str| {
        let docs = documents(&render_text(&format!("{MINIMAL}nginx:\n  config: |\n    {config}\n"), &[]));
        let nginx = docs
            .iter()
            .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "erpnext-nginx")
            .unwrap()
            .clone();
        nginx["spec"]["template"]["metadata"]["annotations"]["checksum/nginx-config"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(checksum("server { listen 8080; }").len(), 64);
    assert_ne!(checksum("server { listen 8080; }"), checksum("server { listen 8081; }"));
    assert_eq!(checksum("server { listen 8080; }"), checksum("server { listen 8080; }"));
}
