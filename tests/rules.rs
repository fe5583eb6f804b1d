//! One fixture per rule under `tests/fixtures/rules/<code>.yaml`: the rule
//! must fire there, at the place the snapshot shows, with no other error.
//! A second values file `<code>.2.yaml` and `--set` arguments `<code>.set`
//! join the fixture when the rule needs them.

use frappe_manifests::diagnostic::{Code, Colour, Diagnostic, Severity, render_human};
use frappe_manifests::pipeline::{self, Input, Request};

use crate::common::{self, project_root, snapshot_settings};

#[test]
fn every_rule_fires_on_its_fixture() {
    let dir = project_root().join("tests/fixtures/rules");
    for code in Code::ALL.iter().copied().filter(|c| *c != Code::Io) {
        let name = code.as_str();
        let main = dir.join(format!("{name}.yaml"));
        assert!(main.exists(), "rule `{name}` has no fixture at {}", main.display());
        let mut files = vec![Input::Path(main)];
        let second = dir.join(format!("{name}.2.yaml"));
        if second.exists() {
            files.push(Input::Path(second));
        }
        let sets = std::fs::read_to_string(dir.join(format!("{name}.set")))
            .map(|s| s.lines().map(str::to_owned).collect())
            .unwrap_or_default();
        let request = Request {
            files,
            sets,
            ..Default::default()
        };
        let outcome = pipeline::run(&request);
        common::assert_streamed_render_matches(&request, &outcome);

        let fired: Vec<Diagnostic> = outcome.diagnostics.iter().filter(|d| d.code == code).cloned().collect();
        assert!(!fired.is_empty(), "`{name}` did not fire; got {:#?}", outcome.diagnostics);
        assert!(fired.iter().all(|d| d.span.is_some()), "`{name}` has no location");
        let others: Vec<_> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.code != code && d.severity == Severity::Error)
            .collect();
        assert!(others.is_empty(), "the fixture of `{name}` has other errors: {others:#?}");
        assert_eq!(
            outcome.manifests.is_some(),
            code.severity() == Severity::Warning,
            "`{name}`: errors block the render, warnings do not"
        );

        let shown = render_human(&outcome.sources, &fired, Colour::Plain).replace(&project_root().display().to_string(), "<root>");
        snapshot_settings().bind(|| insta::assert_snapshot!(format!("rule-{name}"), shown));
    }
}

#[test]
fn a_file_with_many_mistakes_reports_every_one() {
    let values = "\
dbHost: db
externalRedis:
  cache: redis://cache:6379
  queue: redis://queue:6379
worker:
  gunicorn:
    replicas: 3
    resources:
      requets: {cpu: 1}
  scheduler:
    replicaCount: 3
nginx:
  replicaCount: \"2\"
socketio:
  replicaCount: [1]
";
    let outcome = crate::common::check_text(values, &[], "erpnext", None);
    let errors: Vec<(&str, u32)> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.code.as_str(), d.span.unwrap().line))
        .collect();
    assert_eq!(
        errors,
        [
            ("unknown-key", 7),
            ("unknown-key", 9),
            ("scheduler-replicas", 11),
            ("invalid-type", 13),
            ("invalid-type", 15)
        ],
        "{}",
        crate::common::human(&outcome)
    );
}

/// Every free-text value that the render copies into an object has a rule:
/// a wrong one is reported at its key, with a fix; a right one passes.
#[test]
fn every_free_text_field_that_reaches_an_object_is_checked() {
    let ingress = "ingress: {enabled: true, hosts: [{host: erp.example.com, paths: [{path: /, pathType: Prefix}]}]";
    let route = "httproute: {enabled: true";
    let keda = "worker: {default: {autoscaling: {keda: {enabled: true, passwordSecret: ";
    let cases: &[(String, &str, &str)] = &[
        ("image: {repository: frappe/ERPNext}".into(), "invalid-value", "image.repository"),
        ("image: {tag: 'v16 final'}".into(), "invalid-value", "image.tag"),
        ("image: {tag: ''}".into(), "invalid-value", "image.tag"),
        (
            "imagePullSecrets: [{name: Docker_Hub}]".into(),
            "invalid-name",
            "imagePullSecrets[0].name",
        ),
        ("serviceAccount: {name: erp_runner}".into(), "invalid-name", "serviceAccount.name"),
        (
            "persistence: {worker: {storageClass: EFS}}".into(),
            "invalid-name",
            "persistence.worker.storageClass",
        ),
        (
            "persistence: {worker: {existingClaim: sites/claim}}".into(),
            "invalid-name",
            "persistence.worker.existingClaim",
        ),
        (format!("{ingress}, className: Public}}"), "invalid-name", "ingress.className"),
        (
            format!("{ingress}, tls: [{{secretName: erp.tls., hosts: [erp.example.com]}}]}}"),
            "invalid-name",
            "ingress.tls[0].secretName",
        ),
        (
            "ingress: {enabled: true, hosts: [{host: erp.example.com, paths: [{path: /a//b, pathType: Exact}]}]}".into(),
            "invalid-path",
            "ingress.hosts[0].paths[0].path",
        ),
        ("dbExistingSecret: DB".into(), "invalid-name", "dbExistingSecret"),
        (
            "dbExistingSecret: db\ndbExistingSecretPasswordKey: 'root password'".into(),
            "invalid-value",
            "dbExistingSecretPasswordKey",
        ),
        (
            "jobs: {createSite: {enabled: true, adminExistingSecret: Admin}}".into(),
            "invalid-name",
            "jobs.createSite.adminExistingSecret",
        ),
        (
            "jobs: {createSite: {enabled: true, adminExistingSecret: admin, adminExistingSecretKey: ..}}".into(),
            "invalid-value",
            "jobs.createSite.adminExistingSecretKey",
        ),
        (
            format!("{keda}{{name: Redis, key: password}}}}}}}}}}"),
            "invalid-name",
            "worker.default.autoscaling.keda.passwordSecret.name",
        ),
        (
            format!("{keda}{{name: redis, key: 'a/b'}}}}}}}}}}"),
            "invalid-value",
            "worker.default.autoscaling.keda.passwordSecret.key",
        ),
        (
            "socketio: {sidecars: [{name: proxy, image: 'Envoy:v1'}]}".into(),
            "invalid-value",
            "socketio.sidecars[0].image",
        ),
        (
            "jobs: {custom: {containers: [{name: task}]}}".into(),
            "invalid-value",
            "jobs.custom.containers[0].image",
        ),
        // The kubelet expands `$(VAR)` in a command and env, never in an image.
        (
            "jobs: {backup: {enabled: true, s3: {bucket: erp, existingSecret: s3-keys, image: 'amazon/aws-cli:$(AWS_CLI_TAG)'}}}".into(),
            "invalid-value",
            "jobs.backup.s3.image",
        ),
        (
            "jobs: {backupMultipleSites: {enabled: true, sites: [{name: erp.example.com}], s3: {bucket: erp, existingSecret: s3-keys, image: ''}}}".into(),
            "invalid-value",
            "jobs.backupMultipleSites.s3.image",
        ),
        (
            "nginx: {tolerations: [{key: spot, effect: NoScheduling}]}".into(),
            "invalid-value",
            "nginx.tolerations[0].effect",
        ),
        (
            "jobs: {migrate: {tolerations: [{value: x}]}}".into(),
            "invalid-value",
            "jobs.migrate.tolerations[0]",
        ),
        (
            "worker: {defaultTopologySpread: {topologyKey: 'zone/a/b'}}".into(),
            "invalid-label",
            "worker.defaultTopologySpread.topologyKey",
        ),
        (
            "jobs: {custom: {labels: {Team: -erp}}}".into(),
            "invalid-label",
            "jobs.custom.labels.Team",
        ),
        (
            "networkPolicy: {enabled: true, ingressPodSelector: {matchLabels: {app: 'ingress nginx'}}}".into(),
            "invalid-label",
            "networkPolicy.ingressPodSelector.matchLabels.app",
        ),
        (format!("{route}, name: Route}}"), "invalid-name", "httproute.name"),
        (
            format!("{route}, hostnames: ['ERP.example.com']}}"),
            "invalid-host",
            "httproute.hostnames[0]",
        ),
        (
            format!("{route}, parentRefs: [{{gatewayName: Gateway}}]}}"),
            "invalid-name",
            "httproute.parentRefs[0].gatewayName",
        ),
        (
            format!("{route}, rules: [{{matches: [{{path: api}}]}}]}}"),
            "invalid-path",
            "httproute.rules[0].matches[0].path",
        ),
        (
            "nginx: {environment: {upstreamRealIPAddress: '10.0.0.0/8 10.1.0.0/16'}}".into(),
            "invalid-value",
            "nginx.environment.upstreamRealIPAddress",
        ),
        (
            "nginx: {environment: {upstreamRealIPRecursive: 'yes'}}".into(),
            "invalid-value",
            "nginx.environment.upstreamRealIPRecursive",
        ),
        (
            "nginx: {environment: {upstreamRealIPHeader: 'X-Real-IP; deny all'}}".into(),
            "invalid-value",
            "nginx.environment.upstreamRealIPHeader",
        ),
        (
            "nginx: {environment: {frappeSiteNameHeader: '../../etc'}}".into(),
            "invalid-value",
            "nginx.environment.frappeSiteNameHeader",
        ),
        (
            "nginx: {environment: {proxyReadTimeout: '2 minutes'}}".into(),
            "invalid-value",
            "nginx.environment.proxyReadTimeout",
        ),
        (
            "nginx: {environment: {clientMaxBodySize: 50MB}}".into(),
            "invalid-value",
            "nginx.environment.clientMaxBodySize",
        ),
        // A variable of the same name replaces the setting, and is pasted in the same way.
        (
            "nginx: {envVars: [{name: FLAG, value: x}, {name: CLIENT_MAX_BODY_SIZE, value: '50m; include /etc/passwd'}]}".into(),
            "invalid-value",
            "nginx.envVars[1].value",
        ),
        (
            "nginx: {envVars: [{name: FRAPPE_SITE_NAME_HEADER, value: '$host; return 200 x'}]}".into(),
            "invalid-value",
            "nginx.envVars[0].value",
        ),
        (
            "nginx: {envVars: [{name: BACKEND, value: 'gunicorn:8000 fail_timeout=0; } server { listen 8081'}]}".into(),
            "invalid-value",
            "nginx.envVars[0].value",
        ),
        // Empty, the entrypoint's default upstream is nginx's own pod.
        (
            "nginx: {envVars: [{name: SOCKETIO, value: ''}]}".into(),
            "invalid-value",
            "nginx.envVars[0].value",
        ),
    ];
    for (extra, code, field) in cases {
        let found = diagnostic_at(extra, code, field).unwrap_or_else(|report| panic!("no {code} at `{field}` for\n{extra}\n{report}"));
        assert!(found.span.is_some_and(|s| s.line > 4), "`{field}` is not located: {found:?}");
        assert!(found.help.is_some(), "`{field}` has no fix: {found:?}");
    }

    let valid = "\
image: {repository: registry.example.com:5000/erp/erpnext, tag: v16.32.3}
imagePullSecrets: [{name: docker-hub}]
serviceAccount: {create: false, name: erp-runner}
dbExistingSecret: db-root
dbExistingSecretPasswordKey: root-password
persistence: {worker: {storageClass: efs.sc}, logs: {enabled: true, existingClaim: erp-logs}}
ingress:
  enabled: true
  className: nginx
  hosts: [{host: erp.example.com, paths: [{path: /api/v1, pathType: Prefix}]}]
  tls: [{secretName: erp-tls, hosts: [erp.example.com]}]
httproute:
  enabled: true
  name: erp
  hostnames: ['*.example.com']
  parentRefs: [{gatewayName: public, gatewayNamespace: networking, gatewayKind: Gateway, gatewaySectionName: https}]
  rules: [{matches: [{pathType: PathPrefix, path: /}, {pathType: RegularExpression, path: '^/api/.*'}]}]
jobs:
  createSite: {enabled: true, adminExistingSecret: erp-admin, adminExistingSecretKey: admin.password}
  custom: {enabled: true, labels: {team: erp}, containers: [{name: task, image: 'busybox:1.36'}]}
  migrate: {tolerations: [{operator: Exists}]}
nginx:
  tolerations: [{key: dedicated, operator: Equal, value: erp, effect: NoExecute, tolerationSeconds: 60}]
  environment:
    upstreamRealIPAddress: proxy.internal
    upstreamRealIPRecursive: 'on'
    upstreamRealIPHeader: X-Forwarded-For
    frappeSiteNameHeader: erp.example.com
    proxyReadTimeout: 2m
    clientMaxBodySize: 1g
  envVars:
    - {name: UPSTREAM_REAL_IP_ADDRESS, value: 10.0.0.0/8}
    - {name: FRAPPE_SITE_NAME_HEADER, value: $http_x_frappe_site_name}
    - {name: BACKEND, value: 'erpnext-gunicorn:8000'}
    - {name: SOCKETIO, value: '[fd00::1]:9000'}
    - {name: CLIENT_MAX_BODY_SIZE, valueFrom: {configMapKeyRef: {name: nginx-limits, key: body}}}
    # Empty: the entrypoint's default (`[[ -z ... ]]` in nginx-entrypoint.sh).
    - {name: CLIENT_MAX_BODY_SIZE, value: ''}
    - {name: PROXY_READ_TIMEOUT, value: ''}
    - {name: UPSTREAM_REAL_IP_RECURSIVE, value: ''}
    - {name: UPSTREAM_REAL_IP_HEADER, value: ''}
    - {name: FRAPPE_SITE_NAME_HEADER}
socketio: {sidecars: [{name: proxy, image: 'envoyproxy/envoy:v1.31.0'}]}
worker:
  defaultTopologySpread: {topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}
  default: {autoscaling: {keda: {enabled: true, passwordSecret: {name: redis, key: password}}}}
networkPolicy: {enabled: true, ingressPodSelector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}}
";
    let outcome = crate::common::check_text(&format!("{}{valid}", crate::common::MINIMAL), &[], "erpnext", Some("erp"));
    let errors: Vec<_> = outcome.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{}", crate::common::human(&outcome));
}

/// What validation.go refuses in the Kubernetes types the values embed
/// (env, resources, probes, containers) is refused at lint, at the key; and
/// what it accepts, after its defaults, is not.
#[test]
fn the_api_servers_refusals_in_embedded_types_are_errors_at_the_key() {
    let env = "worker: {gunicorn: {envVars: [";
    let sidecar = "socketio: {sidecars: [{name: proxy, image: 'envoyproxy/envoy:v1.31.0', ";
    let init = "socketio: {initContainers: [{name: wait, image: 'busybox:1.36', ";
    let cases: &[(String, &str, &str)] = &[
        (
            format!("{env}{{name: SITE, value: erp.example.com, valueFrom: {{secretKeyRef: {{name: erp, key: site}}}}}}]}}}}"),
            "invalid-value",
            "worker.gunicorn.envVars[0].valueFrom",
        ),
        (
            format!("{env}{{name: SITE, valueFrom: {{}}}}]}}}}"),
            "invalid-value",
            "worker.gunicorn.envVars[0].valueFrom",
        ),
        (
            format!("{env}{{name: SITE, valueFrom: {{secretKeyRef: {{name: erp, key: site}}, configMapKeyRef: {{name: erp, key: site}}}}}}]}}}}"),
            "invalid-value",
            "worker.gunicorn.envVars[0].valueFrom",
        ),
        (
            format!("{env}{{name: SITE, valueFrom: {{secretKeyRef: {{name: Erp_Secret, key: site}}}}}}]}}}}"),
            "invalid-name",
            "worker.gunicorn.envVars[0].valueFrom.secretKeyRef.name",
        ),
        (
            format!("{env}{{name: SITE, valueFrom: {{secretKeyRef: {{name: erp, key: 'site/name'}}}}}}]}}}}"),
            "invalid-value",
            "worker.gunicorn.envVars[0].valueFrom.secretKeyRef.key",
        ),
        (
            format!("{env}{{name: SITE, valueFrom: {{configMapKeyRef: {{name: erp, key: ''}}}}}}]}}}}"),
            "invalid-value",
            "worker.gunicorn.envVars[0].valueFrom.configMapKeyRef.key",
        ),
        (
            format!("{env}{{name: POD, valueFrom: {{fieldRef: {{fieldPath: metadata.labels.app}}}}}}]}}}}"),
            "invalid-value",
            "worker.gunicorn.envVars[0].valueFrom.fieldRef.fieldPath",
        ),
        (
            format!("{env}{{name: MEM, valueFrom: {{resourceFieldRef: {{resource: limits.memroy}}}}}}]}}}}"),
            "invalid-value",
            "worker.gunicorn.envVars[0].valueFrom.resourceFieldRef.resource",
        ),
        (
            "nginx: {resources: {requests: {memory: 1Gi}, limits: {memory: 512Mi}}}".into(),
            "invalid-value",
            "nginx.resources.requests.memory",
        ),
        (
            "nginx: {resources: {requests: {cpu: 100m, memroy: 1Gi}}}".into(),
            "invalid-value",
            "nginx.resources.requests.memroy",
        ),
        (
            "jobs: {migrate: {resources: {limits: {cpu: '-1'}}}}".into(),
            "invalid-value",
            "jobs.migrate.resources.limits.cpu",
        ),
        (
            "socketio: {livenessProbe: {tcpSocket: {port: 9000}, successThreshold: 2}}".into(),
            "invalid-value",
            "socketio.livenessProbe.successThreshold",
        ),
        (
            "socketio: {readinessProbe: {tcpSocket: {port: 9000}, timeoutSeconds: -1}}".into(),
            "invalid-value",
            "socketio.readinessProbe.timeoutSeconds",
        ),
        (
            "socketio: {readinessProbe: {tcpSocket: {port: 9000}, terminationGracePeriodSeconds: 10}}".into(),
            "invalid-value",
            "socketio.readinessProbe.terminationGracePeriodSeconds",
        ),
        (
            "worker: {gunicorn: {livenessProbe: {override: true, probe: {httpGet: {path: /api/method/ping, port: 8000, scheme: http, httpHeaders: [{name: Host, value: erp.example.com}]}}}}}".into(),
            "invalid-value",
            "worker.gunicorn.livenessProbe.probe.httpGet.scheme",
        ),
        (
            "socketio: {readinessProbe: {tcpSocket: {port: socket_io}}}".into(),
            "invalid-port",
            "socketio.readinessProbe.tcpSocket.port",
        ),
        (
            "socketio: {readinessProbe: {exec: {}}}".into(),
            "invalid-value",
            "socketio.readinessProbe.exec",
        ),
        (
            format!("{sidecar}imagePullPolicy: always}}]}}"),
            "invalid-value",
            "socketio.sidecars[0].imagePullPolicy",
        ),
        (
            format!("{sidecar}ports: [{{name: admin, containerPort: 9901}}, {{name: admin, containerPort: 9902}}]}}]}}"),
            "invalid-port",
            "socketio.sidecars[0].ports[1].name",
        ),
        (
            format!("{sidecar}ports: [{{containerPort: 9901, protocol: tcp}}]}}]}}"),
            "invalid-value",
            "socketio.sidecars[0].ports[0].protocol",
        ),
        (
            format!("{sidecar}restartPolicy: Always}}]}}"),
            "invalid-value",
            "socketio.sidecars[0].restartPolicy",
        ),
        (
            format!("{init}readinessProbe: {{exec: {{command: [true]}}}}}}]}}"),
            "invalid-value",
            "socketio.initContainers[0].readinessProbe",
        ),
        (
            format!("{init}restartPolicy: OnFailure}}]}}"),
            "invalid-value",
            "socketio.initContainers[0].restartPolicy",
        ),
        (
            "jobs: {custom: {enabled: true, initContainers: [{name: wait, image: 'busybox:1.36', lifecycle: {preStop: {exec: {command: [true]}}}}], containers: [{name: task, image: 'busybox:1.36'}]}}".into(),
            "invalid-value",
            "jobs.custom.initContainers[0].lifecycle",
        ),
        (
            "worker: {gunicorn: {resources: {requests: {cpu: 1, nvidia.com/gpu: 1}, limits: {nvidia.com/gpu: 2}}}}".into(),
            "invalid-value",
            "worker.gunicorn.resources.requests[\"nvidia.com/gpu\"]",
        ),
        (
            "worker: {gunicorn: {resources: {requests: {cpu: 1, nvidia.com/gpu: 1}}}}".into(),
            "invalid-value",
            "worker.gunicorn.resources.requests[\"nvidia.com/gpu\"]",
        ),
        (
            "worker: {gunicorn: {resources: {requests: {cpu: 1}, limits: {nvidia.com/gpu: 500m}}}}".into(),
            "invalid-value",
            "worker.gunicorn.resources.limits[\"nvidia.com/gpu\"]",
        ),
        (
            "worker: {gunicorn: {resources: {requests: {cpu: 1}, limits: {Nvidia.com/gpu: 1}}}}".into(),
            "invalid-value",
            "worker.gunicorn.resources.limits[\"Nvidia.com/gpu\"]",
        ),
        (
            "worker: {gunicorn: {resources: {requests: {cpu: 1, hugepages-2Mi: 3Mi}, limits: {hugepages-2Mi: 3Mi}}}}".into(),
            "invalid-value",
            "worker.gunicorn.resources.requests.hugepages-2Mi",
        ),
        (
            "worker: {gunicorn: {resources: {requests: {cpu: 1, hugepages-2Mi: 2Mi}, limits: {hugepages-2Mi: 4Mi}}}}".into(),
            "invalid-value",
            "worker.gunicorn.resources.requests.hugepages-2Mi",
        ),
        (
            format!("{sidecar}resources: {{limits: {{hugepages-1Gi: 1Gi}}}}}}]}}"),
            "invalid-value",
            "socketio.sidecars[0].resources.limits.hugepages-1Gi",
        ),
        (
            format!("{env}{{name: MEM, valueFrom: {{resourceFieldRef: {{resource: limits.memory, divisor: '1024'}}}}}}]}}}}"),
            "invalid-value",
            "worker.gunicorn.envVars[0].valueFrom.resourceFieldRef.divisor",
        ),
        (
            format!("{env}{{name: MEM, valueFrom: {{resourceFieldRef: {{resource: limits.memory, divisor: 1e6}}}}}}]}}}}"),
            "invalid-value",
            "worker.gunicorn.envVars[0].valueFrom.resourceFieldRef.divisor",
        ),
        (
            format!("{env}{{name: CPU, valueFrom: {{resourceFieldRef: {{resource: requests.cpu, divisor: 1Mi}}}}}}]}}}}"),
            "invalid-value",
            "worker.gunicorn.envVars[0].valueFrom.resourceFieldRef.divisor",
        ),
        (
            format!("{env}{{name: POD, valueFrom: {{fieldRef: {{apiVersion: apps/v1, fieldPath: metadata.name}}}}}}]}}}}"),
            "invalid-value",
            "worker.gunicorn.envVars[0].valueFrom.fieldRef.apiVersion",
        ),
        (
            "socketio: {sidecars: [{name: a, image: 'busybox:1.36', ports: [{containerPort: 80, hostPort: 8080}]}, {name: b, image: 'busybox:1.36', ports: [{containerPort: 81, hostPort: 8080, protocol: TCP}]}]}".into(),
            "invalid-port",
            "socketio.sidecars[1].ports[0].hostPort",
        ),
        (
            format!("{init}ports: [{{containerPort: 80, hostPort: 8080}}, {{containerPort: 81, hostPort: 8080}}]}}]}}"),
            "invalid-port",
            "socketio.initContainers[0].ports[1].hostPort",
        ),
        (
            "nginx: {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}}}}".into(),
            "invalid-value",
            "nginx.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution",
        ),
        (
            "nginx: {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: node.example.com/cores, operator: Gt, values: ['4', '8']}]}]}}}}".into(),
            "invalid-value",
            "nginx.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values",
        ),
        (
            "jobs: {migrate: {affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 1, preference: {matchExpressions: [{key: disktype, operator: Equals, values: [ssd]}]}}]}}}}".into(),
            "invalid-value",
            "jobs.migrate.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].operator",
        ),
        (
            "worker: {gunicorn: {affinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 0, podAffinityTerm: {topologyKey: kubernetes.io/hostname}}]}}}}".into(),
            "invalid-value",
            "worker.gunicorn.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
        ),
        (
            "worker: {gunicorn: {affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: '', labelSelector: {matchLabels: {app: erp}}}]}}}}".into(),
            "invalid-value",
            "worker.gunicorn.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
        ),
        (
            "podSecurityContext: {runAsUser: -1}".into(),
            "invalid-value",
            "podSecurityContext.runAsUser",
        ),
        (
            "podSecurityContext: {fsGroupChangePolicy: onRootMismatch}".into(),
            "invalid-value",
            "podSecurityContext.fsGroupChangePolicy",
        ),
        (
            "securityContext: {seccompProfile: {type: Localhost}}".into(),
            "invalid-value",
            "securityContext.seccompProfile",
        ),
        (
            "securityContext: {allowPrivilegeEscalation: false, privileged: true}".into(),
            "invalid-value",
            "securityContext.allowPrivilegeEscalation",
        ),
        (
            format!("{sidecar}securityContext: {{appArmorProfile: {{type: RuntimeDefault, localhostProfile: frappe}}}}}}]}}"),
            "invalid-value",
            "socketio.sidecars[0].securityContext.appArmorProfile.localhostProfile",
        ),
        (
            format!("{sidecar}volumeMounts: [{{name: sites-dir, mountPath: /data}}, {{name: logs, mountPath: /data}}]}}]}}"),
            "invalid-value",
            "socketio.sidecars[0].volumeMounts[1].mountPath",
        ),
        (
            format!("{sidecar}volumeMounts: [{{name: sites-dir, mountPath: /data, subPath: ../etc}}]}}]}}"),
            "invalid-value",
            "socketio.sidecars[0].volumeMounts[0].subPath",
        ),
        (
            format!("{init}securityContext: {{runAsNonRoot: true}}, volumeMounts: [{{name: sites-dir, mountPath: /data, mountPropagation: Bidirectional}}]}}]}}"),
            "invalid-value",
            "socketio.initContainers[0].volumeMounts[0].mountPropagation",
        ),
        (
            format!("{sidecar}volumeMounts: [{{name: scratch, mountPath: /scratch}}]}}]}}"),
            "invalid-value",
            "socketio.sidecars[0].volumeMounts[0].name",
        ),
        // nginx runs no Frappe: its pod has no logs volume.
        (
            "nginx: {initContainers: [{name: wait, image: 'busybox:1.36', volumeMounts: [{name: logs, mountPath: /logs}]}]}".into(),
            "invalid-value",
            "nginx.initContainers[0].volumeMounts[0].name",
        ),
        // Without a securityContext of its own, a container runs under the
        // restricted default, which is not privileged.
        (
            format!("{sidecar}volumeMounts: [{{name: sites-dir, mountPath: /data, mountPropagation: Bidirectional}}]}}]}}"),
            "invalid-value",
            "socketio.sidecars[0].volumeMounts[0].mountPropagation",
        ),
        (
            "jobs: {custom: {enabled: true, containers: [{name: task, image: 'busybox:1.36', volumeMounts: [{name: sites-dir, mountPath: /data, mountPropagation: Bidirectional}]}]}}".into(),
            "invalid-value",
            "jobs.custom.containers[0].volumeMounts[0].mountPropagation",
        ),
        (
            "jobs: {custom: {enabled: true, containers: [{name: task, image: 'busybox:1.36', volumeMounts: [{name: scratch, mountPath: /scratch}]}]}}".into(),
            "invalid-value",
            "jobs.custom.containers[0].volumeMounts[0].name",
        ),
        (
            "jobs: {custom: {enabled: true, containers: [{name: task, image: 'busybox:1.36'}], volumes: [{name: logs, emptyDir: {}}]}}".into(),
            "invalid-name",
            "jobs.custom.volumes[0].name",
        ),
        (
            "jobs: {custom: {enabled: true, containers: [{name: task, image: 'busybox:1.36'}], volumes: [{name: Scratch_1, emptyDir: {}}]}}".into(),
            "invalid-name",
            "jobs.custom.volumes[0].name",
        ),
    ];
    // Every case is tried, and every miss named: each is a rule of its own.
    let mut missed = Vec::new();
    for (extra, code, field) in cases {
        match diagnostic_at(extra, code, field) {
            Ok(found) => {
                assert!(found.is_error(), "{found:?}");
                assert!(found.span.is_some_and(|s| s.line > 4), "`{field}` is not located: {found:?}");
            }
            Err(_) => missed.push(format!("no {code} at `{field}` for {extra}")),
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));

    // Accepted by the API server, some of it only after its defaults.
    let valid = "\
worker:
  gunicorn:
    envVars:
      - {name: EMPTY_VALUE, value: '', valueFrom: {secretKeyRef: {name: erp, key: site}}}
      - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
      - {name: APP, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: \"metadata.labels['app.kubernetes.io/name']\"}}}
      - {name: MEMORY, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
      - {name: PAGES, valueFrom: {resourceFieldRef: {resource: requests.hugepages-2Mi}}}
      - {name: SETTINGS, valueFrom: {configMapKeyRef: {name: erp.settings, key: common_site_config.json}}}
      - {name: MEM_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1024Ki}}}
      - {name: MEM_K, valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: '1000'}}}
      - {name: CPU_M, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: '0.001'}}}
      - {name: CPU, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1000m}}}
      - {name: NO_DIVISOR, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: '0'}}}
      - {name: NODE, valueFrom: {fieldRef: {apiVersion: '', fieldPath: spec.nodeName}}}
      - {name: MEM_E, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1E}}}
      - {name: MEM_EI, valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: 1Ei}}}
    resources:
      requests: {cpu: '1', memory: 1Gi, hugepages-2Mi: 64Mi, nvidia.com/gpu: 1, example.com/dongle: 2000m, example.kubernetes.io/thing: 500m}
      limits: {cpu: 1000m, memory: 1073741824, hugepages-2Mi: 65536Ki, nvidia.com/gpu: 1, example.com/dongle: 2, fpga.example.com/slot: 1}
    readinessProbe:
      override: true
      probe: {httpGet: {path: /api/method/ping, port: 8000, scheme: HTTPS, httpHeaders: [{name: Host, value: erp.example.com}]}, successThreshold: 3}
    startupProbe: {tcpSocket: {port: 8000}, successThreshold: 1, failureThreshold: 30}
    affinity:
      nodeAffinity:
        requiredDuringSchedulingIgnoredDuringExecution:
          nodeSelectorTerms:
            - matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [amd64, arm64]}, {key: node.example.com/cores, operator: Gt, values: ['4']}]
            - matchFields: [{key: metadata.name, operator: NotIn, values: [node-1]}]
        preferredDuringSchedulingIgnoredDuringExecution: [{weight: 100, preference: {matchExpressions: [{key: disktype, operator: Exists}]}}]
      podAntiAffinity:
        requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app.kubernetes.io/component: gunicorn}}, namespaces: [erp]}]
        preferredDuringSchedulingIgnoredDuringExecution: [{weight: 1, podAffinityTerm: {topologyKey: topology.kubernetes.io/zone, namespaceSelector: {}}}]
podSecurityContext: {runAsUser: 1000, runAsGroup: 0, fsGroup: 1000, supplementalGroups: [2147483647], fsGroupChangePolicy: OnRootMismatch, seccompProfile: {type: RuntimeDefault}}
securityContext:
  allowPrivilegeEscalation: false
  capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
  seccompProfile: {type: Localhost, localhostProfile: profiles/frappe.json}
  appArmorProfile: {type: Localhost, localhostProfile: k8s-frappe}
jobs:
  custom:
    enabled: true
    volumes: [{name: scratch, emptyDir: {}}, {name: backup, persistentVolumeClaim: {claimName: erp-backups}}]
    initContainers:
      - {name: fetch, image: 'busybox:1.36', volumeMounts: [{name: scratch, mountPath: /scratch}]}
      - {name: mounter, image: 'busybox:1.36', securityContext: {privileged: true}, volumeMounts: [{name: scratch, mountPath: /mnt, mountPropagation: Bidirectional}]}
    containers: [{name: task, image: 'busybox:1.36', volumeMounts: [{name: sites-dir, mountPath: /sites, readOnly: true}, {name: logs, mountPath: /logs}, {name: backup, mountPath: /backup}, {name: scratch, mountPath: /scratch}]}]
socketio:
  livenessProbe: {tcpSocket: {port: 9000}, successThreshold: 0, periodSeconds: 0, terminationGracePeriodSeconds: 30}
  initContainers:
    - name: proxy
      image: envoyproxy/envoy:v1.31.0
      restartPolicy: Always
      readinessProbe: {tcpSocket: {port: admin}}
      lifecycle: {preStop: {sleep: {seconds: 5}}}
      ports: [{name: admin, containerPort: 9901, hostPort: 9901}, {name: envoy, containerPort: 10000, protocol: UDP}]
    - {name: warm, image: 'busybox:1.36', ports: [{containerPort: 9901, hostPort: 9901}], volumeMounts: [{name: sites-dir, mountPath: /data, subPath: sites/assets, mountPropagation: HostToContainer}, {name: logs, mountPath: /logs, subPathExpr: $(POD_NAME)}]}
  sidecars:
    - {name: exporter, image: 'prom/statsd-exporter:v0.26.0', imagePullPolicy: '', ports: [{containerPort: 9102, protocol: '', hostPort: 9102}, {containerPort: 9125, hostPort: 9102, protocol: UDP}]}
    - {name: exporter-2, image: 'prom/statsd-exporter:v0.26.0', ports: [{containerPort: 9102, hostPort: 9102, hostIP: 10.0.0.1}]}
";
    let outcome = crate::common::check_text(&format!("{}{valid}", crate::common::MINIMAL), &[], "erpnext", Some("erp"));
    let errors: Vec<_> = outcome.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{}", crate::common::human(&outcome));

    // A container without a securityContext runs under `securityContext`, here a privileged one.
    let inherited = "securityContext: {privileged: true}
socketio: {sidecars: [{name: mounter, image: 'busybox:1.36', volumeMounts: [{name: sites-dir, mountPath: /mnt, mountPropagation: Bidirectional}]}]}
";
    let outcome = crate::common::check_text(&format!("{}{inherited}", crate::common::MINIMAL), &[], "erpnext", Some("erp"));
    let errors: Vec<_> = outcome.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{}", crate::common::human(&outcome));

    // What production values carry: Bitnami's anti-affinity presets, GKE and
    // EKS node affinity, OpenShift's restricted-v2 IDs, GPUs in the limits
    // only (a Deployment's template gets no request from its limit, and
    // needs none), hugepages beside a memory request only.
    let production = "\
podSecurityContext: {runAsUser: 1000680000, runAsGroup: 1000680000, fsGroup: 1000680000, supplementalGroups: [1000680000], seLinuxOptions: {level: 's0:c26,c15'}}
securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL], add: [SYS_ADMIN]}, runAsNonRoot: true, runAsUser: 1000680000}
nginx:
  affinity:
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution: [{weight: 1, podAffinityTerm: {labelSelector: {matchLabels: {app.kubernetes.io/component: nginx}}, topologyKey: kubernetes.io/hostname, namespaces: [], matchLabelKeys: [pod-template-hash]}}]
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms: [{matchExpressions: [{key: cloud.google.com/gke-nodepool, operator: In, values: [default-pool]}, {key: cloud.google.com/gke-spot, operator: DoesNotExist}]}, {}]
worker:
  long:
    resources: {requests: {cpu: 2, memory: 8Gi, hugepages-2Mi: 64Mi}, limits: {nvidia.com/gpu: 1, aws.amazon.com/neuron: '1', hugepages-2Mi: 65536Ki}}
    affinity:
      nodeAffinity:
        requiredDuringSchedulingIgnoredDuringExecution:
          nodeSelectorTerms: [{matchExpressions: [{key: eks.amazonaws.com/capacityType, operator: In, values: [ON_DEMAND]}, {key: karpenter.k8s.aws/instance-cpu, operator: Gt, values: ['3']}]}]
";
    let outcome = crate::common::check_text(&format!("{}{production}", crate::common::MINIMAL), &[], "erpnext", Some("erp"));
    let errors: Vec<_> = outcome.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{}", crate::common::human(&outcome));
}

/// The Gateway API takes at most 16 rules in an HTTPRoute; without nginx the
/// route adds one for `/socket.io`, which leaves the values 15.
#[test]
fn an_http_route_with_more_rules_than_the_gateway_api_takes_is_an_error() {
    let route = |nginx: &str, count: usize| {
        let rules: Vec<String> = (0..count).map(|i| format!("{{matches: [{{path: /p{i}}}]}}")).collect();
        format!("{nginx}httproute: {{enabled: true, rules: [{}]}}", rules.join(", "))
    };
    let without_nginx = "nginx: {enabled: false, assetsServedElsewhere: true}\n";
    let diagnostic =
        diagnostic_at(&route(without_nginx, 16), "invalid-value", "httproute.rules[15]").unwrap_or_else(|report| panic!("{report}"));
    assert!(diagnostic.is_error());
    let diagnostic = diagnostic_at(&route("", 17), "invalid-value", "httproute.rules[16]").unwrap_or_else(|report| panic!("{report}"));
    assert!(diagnostic.is_error());
    // 128 matches in all, 64 to a rule: the added one makes 129.
    let matches = |nginx: &str| {
        let rule = format!("{{matches: [{}]}}", vec!["{path: /p}"; 64].join(", "));
        format!("{nginx}httproute: {{enabled: true, rules: [{rule}, {rule}]}}")
    };
    let diagnostic = diagnostic_at(&matches(without_nginx), "invalid-value", "httproute.rules").unwrap_or_else(|report| panic!("{report}"));
    assert!(diagnostic.is_error());
    for values in [route(without_nginx, 15), route("", 16), matches("")] {
        let outcome = crate::common::check_text(&format!("{}{values}\n", crate::common::MINIMAL), &[], "erpnext", Some("erp"));
        assert!(outcome.manifests.is_some(), "{}", crate::common::human(&outcome));
    }
}

/// A PodDisruptionBudget the API server refuses (`ValidatePodDisruptionBudgetSpec`)
/// is an error at its key; one it takes passes.
#[test]
fn a_disruption_budget_the_api_server_refuses_is_an_error_at_its_key() {
    let budget = |bounds: &str| format!("worker: {{gunicorn: {{replicaCount: 3, podDisruptionBudget: {bounds}}}}}");
    let at = |key: &str| format!("worker.gunicorn.podDisruptionBudget.{key}");
    for (bounds, key) in [
        ("{maxUnavailable: 1, minAvailable: 2}", "minAvailable"),
        ("{maxUnavailable: -1}", "maxUnavailable"),
        ("{minAvailable: half}", "minAvailable"),
        ("{maxUnavailable: '1'}", "maxUnavailable"),
        ("{maxUnavailable: '%'}", "maxUnavailable"),
        ("{minAvailable: 150%}", "minAvailable"),
    ] {
        let diagnostic = diagnostic_at(&budget(bounds), "invalid-value", &at(key)).unwrap_or_else(|report| panic!("{bounds}: {report}"));
        assert!(diagnostic.is_error(), "{bounds}");
    }
    for bounds in [
        "{maxUnavailable: 2}",
        "{maxUnavailable: 50%}",
        "{minAvailable: 2}",
        "{minAvailable: 0%}",
    ] {
        let outcome = crate::common::check_text(&format!("{}{}\n", crate::common::MINIMAL, budget(bounds)), &[], "erpnext", None);
        assert!(outcome.manifests.is_some(), "{bounds}: {}", crate::common::human(&outcome));
    }
}

/// `networkPolicy.externalEgress` as ValidateNetworkPolicyPort,
/// ValidateNetworkPolicyPeer and ValidateIPBlock take it: what they refuse is
/// an error at its key, what they take renders.
#[test]
fn egress_rules_the_api_server_refuses_are_errors_at_their_key() {
    let egress = |rules: &str| format!("networkPolicy: {{enabled: true, externalEgress: [{rules}]}}");
    let at = |key: &str| format!("networkPolicy.externalEgress[0].{key}");
    for (rules, code, key) in [
        ("{to: [{ipBlock: {cidr: 203.0.113.0/33}}]}", "invalid-value", "to[0].ipBlock.cidr"),
        ("{to: [{ipBlock: {cidr: 203.0.113.7}}]}", "invalid-value", "to[0].ipBlock.cidr"),
        (
            "{to: [{ipBlock: {cidr: smtp.example.com/32}}]}",
            "invalid-value",
            "to[0].ipBlock.cidr",
        ),
        (
            "{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]}",
            "invalid-value",
            "to[0].ipBlock.except[0]",
        ),
        (
            "{to: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/16]}}]}",
            "invalid-value",
            "to[0].ipBlock.except[0]",
        ),
        (
            "{to: [{ipBlock: {cidr: '::/0', except: [10.0.0.0/8]}}]}",
            "invalid-value",
            "to[0].ipBlock.except[0]",
        ),
        (
            "{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/33]}}]}",
            "invalid-value",
            "to[0].ipBlock.except[0]",
        ),
        (
            "{to: [{ipBlock: {cidr: 10.0.0.0/8}, namespaceSelector: {}}]}",
            "invalid-value",
            "to[0].ipBlock",
        ),
        ("{to: [{}]}", "invalid-value", "to[0]"),
        (
            "{to: [{namespaceSelector: {matchLabels: {team: 'mail relay'}}}]}",
            "invalid-label",
            "to[0].namespaceSelector.matchLabels.team",
        ),
        (
            "{to: [{podSelector: {matchExpressions: [{key: app, operator: in, values: [smtp]}]}}]}",
            "invalid-value",
            "to[0].podSelector.matchExpressions[0].operator",
        ),
        ("{ports: [{port: 587, protocol: tcp}]}", "invalid-value", "ports[0].protocol"),
        ("{ports: [{port: 587, protocol: ICMP}]}", "invalid-value", "ports[0].protocol"),
        ("{ports: [{port: 0}]}", "invalid-port", "ports[0].port"),
        ("{ports: [{port: 70000}]}", "invalid-port", "ports[0].port"),
        ("{ports: [{port: 32000, endPort: 70000}]}", "invalid-port", "ports[0].endPort"),
        ("{ports: [{port: 2000, endPort: 1000}]}", "invalid-value", "ports[0].endPort"),
        ("{ports: [{port: smtp, endPort: 600}]}", "invalid-value", "ports[0].endPort"),
        ("{ports: [{endPort: 600}]}", "invalid-value", "ports[0].endPort"),
        ("{ports: [{port: SMTP}]}", "invalid-port", "ports[0].port"),
        ("{ports: [{port: '587'}]}", "invalid-port", "ports[0].port"),
    ] {
        let diagnostic = diagnostic_at(&egress(rules), code, &at(key)).unwrap_or_else(|report| panic!("{rules}: {report}"));
        assert!(diagnostic.is_error() && diagnostic.help.is_some(), "{rules}");
    }
    // A number in quotes (or from `--set-string`) is a name to the API
    // server: the fix is the quotes.
    let quoted = diagnostic_at(&egress("{ports: [{port: '587'}]}"), "invalid-port", &at("ports[0].port")).unwrap();
    assert!(quoted.help.as_deref().unwrap().contains("without quotes"), "{quoted:?}");
    for rules in [
        "{to: [{ipBlock: {cidr: 203.0.113.0/24}}], ports: [{port: 587, protocol: TCP}, {port: 993}]}",
        "{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 169.254.169.254/32]}}, {ipBlock: {cidr: '2001:db8::/32'}}]}",
        "{to: [{ipBlock: {cidr: '::/0', except: ['fd00::/8', '2001:db8::1/128']}}]}",
        // Kubernetes 1.33 still parses these as Go 1.16 did (ParseCIDRSloppy),
        // and only warns: leading zeros, and an IPv4-mapped `except` inside
        // the IPv4 range it maps into.
        "{to: [{ipBlock: {cidr: 010.0.0.0/8, except: [010.1.0.0/16]}}]}",
        "{to: [{ipBlock: {cidr: 10.0.0.0/8, except: ['::ffff:10.1.0.0/112']}}]}",
        "{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: mail}}, podSelector: {matchLabels: {app: relay}}}]}",
        "{ports: [{port: 30000, endPort: 32767, protocol: UDP}, {port: smtp, protocol: SCTP}]}",
        "{}",
    ] {
        let outcome = crate::common::check_text(&format!("{}{}\n", crate::common::MINIMAL, egress(rules)), &[], "erpnext", None);
        assert!(outcome.manifests.is_some(), "{rules}: {}", crate::common::human(&outcome));
    }
}

/// `<component>.autoscaling.behavior` as validateScalingRules and
/// validateScalingPolicy take it: what they refuse is an error at its key.
#[test]
fn an_hpa_behavior_the_api_server_refuses_is_an_error_at_its_key() {
    let hpa = |behavior: &str| {
        format!(
            "worker: {{gunicorn: {{resources: {{requests: {{cpu: 1, memory: 1Gi}}}}, autoscaling: {{enabled: true, behavior: {behavior}}}}}}}"
        )
    };
    let at = |key: &str| format!("worker.gunicorn.autoscaling.behavior.{key}");
    for (behavior, code, key) in [
        ("{scaleUp: {selectPolicy: max}}", "invalid-value", "scaleUp.selectPolicy"),
        (
            "{scaleDown: {stabilizationWindowSeconds: -1}}",
            "invalid-value",
            "scaleDown.stabilizationWindowSeconds",
        ),
        (
            "{scaleDown: {stabilizationWindowSeconds: 3601}}",
            "invalid-value",
            "scaleDown.stabilizationWindowSeconds",
        ),
        ("{scaleDown: {policies: []}}", "invalid-value", "scaleDown.policies"),
        (
            "{scaleUp: {policies: [{type: pods, value: 4, periodSeconds: 60}]}}",
            "invalid-value",
            "scaleUp.policies[0].type",
        ),
        (
            "{scaleUp: {policies: [{type: Pods, value: 0, periodSeconds: 60}]}}",
            "invalid-value",
            "scaleUp.policies[0].value",
        ),
        (
            "{scaleUp: {policies: [{type: Percent, value: 100, periodSeconds: 0}]}}",
            "invalid-value",
            "scaleUp.policies[0].periodSeconds",
        ),
        (
            "{scaleUp: {policies: [{type: Percent, value: 100, periodSeconds: 1801}]}}",
            "invalid-value",
            "scaleUp.policies[0].periodSeconds",
        ),
        ("{scaleUp: {tolerance: five percent}}", "invalid-quantity", "scaleUp.tolerance"),
    ] {
        let diagnostic = diagnostic_at(&hpa(behavior), code, &at(key)).unwrap_or_else(|report| panic!("{behavior}: {report}"));
        assert!(diagnostic.is_error() && diagnostic.help.is_some(), "{behavior}");
    }
    for behavior in [
        "{scaleDown: {stabilizationWindowSeconds: 0, selectPolicy: Disabled}}",
        "{scaleDown: {stabilizationWindowSeconds: 3600, policies: [{type: Pods, value: 1, periodSeconds: 1800}]}}",
        "{scaleUp: {selectPolicy: Min, policies: [{type: Percent, value: 100, periodSeconds: 1}], tolerance: 50m}}",
        "{}",
    ] {
        let outcome = crate::common::check_text(&format!("{}{}\n", crate::common::MINIMAL, hpa(behavior)), &[], "erpnext", None);
        assert!(outcome.manifests.is_some(), "{behavior}: {}", crate::common::human(&outcome));
    }
}

/// An HTTPRoute with no Gateway or no rules serves nothing, though the
/// Gateway API's CRD takes both: refused at the key, as an Ingress host
/// with no paths is.
#[test]
fn an_http_route_that_serves_nothing_is_refused() {
    for (route, key) in [
        ("httproute: {enabled: true, parentRefs: []}", "httproute.parentRefs"),
        ("httproute: {enabled: true, rules: []}", "httproute.rules"),
        (
            "httproute: {enabled: true, rules: []}\nnginx: {enabled: false, assetsServedElsewhere: true}",
            "httproute.rules",
        ),
    ] {
        let diagnostic = diagnostic_at(route, "invalid-value", key).unwrap_or_else(|report| panic!("{route}: {report}"));
        assert!(diagnostic.is_error() && diagnostic.help.is_some(), "{route}");
    }
    // The chart's defaults, and a rule that matches every path.
    for route in ["httproute: {enabled: true}", "httproute: {enabled: true, rules: [{matches: []}]}"] {
        let outcome = crate::common::check_text(&format!("{}{route}\n", crate::common::MINIMAL), &[], "erpnext", None);
        assert!(outcome.manifests.is_some(), "{route}: {}", crate::common::human(&outcome));
    }
}

/// A budget warns when it allows no eviction at the fewest pods the
/// component runs, percentages rounded up as the disruption controller does.
#[test]
fn a_disruption_budget_that_allows_no_eviction_warns() {
    let warns = |component: &str| {
        let outcome = crate::common::check_text(&format!("{}{component}\n", crate::common::MINIMAL), &[], "erpnext", None);
        assert!(outcome.manifests.is_some(), "{component}: {}", crate::common::human(&outcome));
        outcome.diagnostics.iter().any(|d| d.code.as_str() == "blocked-drain")
    };
    let gunicorn = |pods: &str, bounds: &str| format!("worker: {{gunicorn: {{{pods}, podDisruptionBudget: {bounds}}}}}");
    let hpa = "resources: {requests: {cpu: 1, memory: 1Gi}}, autoscaling: {enabled: true, minReplicas: 2, maxReplicas: 5}";
    for (pods, bounds) in [
        ("replicaCount: 3", "{maxUnavailable: 0}"),
        ("replicaCount: 3", "{maxUnavailable: 0%}"),
        ("replicaCount: 1", "{enabled: true, minAvailable: 1}"),
        ("replicaCount: 2", "{minAvailable: 51%}"),
        (hpa, "{minAvailable: 2}"),
    ] {
        assert!(warns(&gunicorn(pods, bounds)), "{pods} {bounds}");
    }
    for (pods, bounds) in [
        ("replicaCount: 1", "{enabled: true}"),
        // No pods, no drain to hold.
        ("replicaCount: 0", "{enabled: true, minAvailable: 1}"),
        ("replicaCount: 0", "{enabled: true, maxUnavailable: 0}"),
        ("replicaCount: 2", "{minAvailable: 1}"),
        ("replicaCount: 2", "{minAvailable: 50%}"),
        ("replicaCount: 3", "{maxUnavailable: 1%}"),
        (hpa, "{minAvailable: 1}"),
    ] {
        assert!(!warns(&gunicorn(pods, bounds)), "{pods} {bounds}");
    }
    // KEDA's fewest pods, when it runs any, is one.
    assert!(warns(
        "worker: {long: {autoscaling: {keda: {enabled: true, minReplicas: 0}}, podDisruptionBudget: {minAvailable: 1}}}"
    ));
}

/// A container the values add to a component's pod may mount every volume
/// that pod has, and only those: the volumes lint knows are the rendered ones.
#[test]
fn added_containers_may_mount_every_volume_of_their_pod() {
    for sets in [&[][..], &["nginx.config=server"][..]] {
        let docs = crate::common::documents(&crate::common::render_text(crate::common::MINIMAL, sets));
        for (section, deployment) in [
            ("nginx", "nginx"),
            ("socketio", "socketio"),
            ("worker: {gunicorn", "gunicorn"),
            ("worker: {default", "worker-d"),
            ("worker: {short", "worker-s"),
            ("worker: {long", "worker-l"),
            ("worker: {scheduler", "scheduler"),
        ] {
            let pod = &crate::common::find(&docs, "Deployment", &format!("erpnext-{deployment}"))["spec"]["template"]["spec"];
            let mounts: Vec<String> = pod["volumes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| format!("{{name: {0}, mountPath: /mnt/{0}}}", v["name"].as_str().unwrap()))
                .collect();
            let container = format!("{{name: mounter, image: 'busybox:1.36', volumeMounts: [{}]}}", mounts.join(", "));
            let closing = "}".repeat(section.matches('{').count());
            let values = format!(
                "{}{section}: {{sidecars: [{container}], initContainers: [{container}]}}{closing}\n",
                crate::common::MINIMAL
            );
            let outcome = crate::common::check_text(&values, sets, "erpnext", Some("erp"));
            let errors: Vec<_> = outcome.diagnostics.iter().filter(|d| d.is_error()).collect();
            assert!(errors.is_empty(), "{values}{sets:?}\n{}", crate::common::human(&outcome));
        }
    }
}

/// Without `serviceAccount.create`, pods run as the named account, or as
/// the namespace's `default` one, as with the chart: never as an account
/// nothing renders.
#[test]
fn pods_run_as_an_account_that_exists() {
    for (service_account, expected) in [
        ("serviceAccount: {create: false}\n", "default"),
        ("serviceAccount: {create: false, name: ''}\n", "default"),
        ("serviceAccount: {create: false, name: erp-runner}\n", "erp-runner"),
        ("serviceAccount: {create: true, name: ''}\n", "erpnext"),
    ] {
        let stream = crate::common::render_text(&format!("{}{service_account}", crate::common::MINIMAL), &[]);
        let docs = crate::common::documents(&stream);
        let gunicorn = crate::common::find(&docs, "Deployment", "erpnext-gunicorn");
        assert_eq!(
            gunicorn["spec"]["template"]["spec"]["serviceAccountName"], expected,
            "{service_account}"
        );
    }
}

/// A rule points at the value it checks, by its place in the file; for a
/// key the file leaves out, at the closest map the file writes, and the
/// diagnostic's field still names the key.
#[test]
fn diagnostics_point_at_what_they_check() {
    let minimal = crate::common::MINIMAL;
    let cases: &[(String, &str, &str, u32, u32)] = &[
        // KEDA on a component without a queue: at `keda.enabled` (it once
        // fell back to `nginx`, through a path that no file can have).
        (
            format!("{minimal}nginx:\n  autoscaling:\n    keda: {{enabled: true}}\n"),
            "invalid-value",
            "nginx.autoscaling.keda.enabled",
            7,
            21,
        ),
        // `minReplicas` left out: at `autoscaling`.
        (
            format!("{minimal}worker:\n  default:\n    autoscaling: {{enabled: true, maxReplicas: 0}}\n"),
            "hpa-replicas",
            "worker.default.autoscaling.minReplicas",
            7,
            5,
        ),
        // `worker.gunicorn` left out under a written `worker`: at `worker`.
        (
            format!("{minimal}worker:\n  default: {{replicaCount: 2}}\n"),
            "missing-requests",
            "worker.gunicorn.resources",
            5,
            1,
        ),
        // `externalRedis.queue` left out: at `externalRedis`.
        (
            "dbHost: db\nexternalRedis:\n  cache: redis://cache:6379\n".to_owned(),
            "missing-redis",
            "externalRedis.queue",
            2,
            1,
        ),
        // No `dbHost`: the file start.
        (
            "externalRedis: {cache: redis://c:6379, queue: redis://q:6379}\n".to_owned(),
            "missing-database",
            "dbHost",
            1,
            1,
        ),
    ];
    for (values, code, field, line, column) in cases {
        let outcome = crate::common::check_text(values, &[], "erpnext", None);
        let found = outcome
            .diagnostics
            .iter()
            .find(|d| d.code.as_str() == *code && d.field.as_deref() == Some(*field))
            .unwrap_or_else(|| panic!("no {code} at `{field}` for\n{values}\n{}", crate::common::human(&outcome)));
        let span = found.span.expect("located");
        assert_eq!((span.line, span.column), (*line, *column), "{code} for\n{values}");
    }
}

#[test]
fn an_nginx_http_probe_must_name_a_site_only_where_nginx_asks_frappe_for_the_host() {
    let probe_site = |extra: &str, sets: &[&str]| {
        let outcome = crate::common::check_text(&format!("{}{extra}", crate::common::MINIMAL), sets, "erpnext", Some("erp"));
        outcome.diagnostics.iter().filter(|d| d.code == Code::ProbeSite).count()
    };
    let http = |path: &str| format!("nginx:\n  readinessProbe:\n    httpGet: {{path: {path}, port: 8080}}\n");
    // The review's case: `/api/method/ping` through nginx, site `$host`.
    let ping = [
        "nginx.readinessProbe.httpGet.path=/api/method/ping",
        "nginx.readinessProbe.httpGet.port=8080",
    ];
    assert_eq!(probe_site("", &ping), 1);
    for refused in [
        "/",
        "/api/method/ping",
        "/files/x.png",
        "/assets/../api/method/ping",
        "/assets%2F..%2Fapi",
    ] {
        assert_eq!(probe_site(&http(refused), &[]), 1, "{refused}");
    }
    // Served from disk by nginx: no site involved.
    assert_eq!(probe_site(&http("/assets/frappe/dist/css/website.bundle.css"), &[]), 0);
    // nginx names the site from a fixed header, or the probe sends a Host.
    let site_header = format!(
        "{}  environment:\n    frappeSiteNameHeader: erp.example.com\n",
        http("/api/method/ping")
    );
    assert_eq!(probe_site(&site_header, &[]), 0);
    let with_host = "nginx:\n  readinessProbe:\n    httpGet:\n      path: /api/method/ping\n      port: 8080\n      httpHeaders: [{name: host, value: erp.example.com}]\n";
    assert_eq!(probe_site(with_host, &[]), 0);
    // A TCP probe asks nobody for a site.
    assert_eq!(probe_site("nginx:\n  livenessProbe:\n    tcpSocket: {port: 8080}\n", &[]), 0);
}

#[test]
fn socketio_sessions_warn_only_where_a_browser_can_reach_two_pods() {
    let count = |code: Code, extra: &str, sets: &[&str]| {
        let outcome = crate::common::check_text(&format!("{}{extra}", crate::common::MINIMAL), sets, "erpnext", Some("erp"));
        outcome.diagnostics.iter().filter(|d| d.code == code).count()
    };
    let sessions = |extra: &str, sets: &[&str]| count(Code::SocketioSessions, extra, sets);
    let ingress = "ingress:\n  enabled: true\n  hosts: [{host: erp.example.com, paths: [{path: /, pathType: Prefix}]}]\n";
    let affinity = "ingress:\n  enabled: true\n  annotations: {nginx.ingress.kubernetes.io/affinity: cookie}\n  hosts: [{host: erp.example.com, paths: [{path: /, pathType: Prefix}]}]\n";
    let two = ["socketio.replicaCount=2"];
    let both_two = ["socketio.replicaCount=2", "nginx.replicaCount=2"];
    // One socketio pod: nothing to keep.
    assert_eq!(sessions(ingress, &["nginx.replicaCount=3"]), 0);
    // One nginx pod: the Service's ClientIP affinity keeps it on one socketio pod.
    assert_eq!(sessions(ingress, &two), 0);
    // Two nginx pods: the ingress spreads a browser's requests over them...
    assert_eq!(sessions(ingress, &both_two), 1);
    // ...unless it keeps each browser on one (`cookie` is ingress-nginx's only affinity).
    assert_eq!(sessions(affinity, &both_two), 0);
    assert_eq!(sessions(&affinity.replace("cookie", "none"), &both_two), 1);
    // An HTTPRoute brings traffic the Ingress's affinity does not hold.
    assert_eq!(
        sessions(
            affinity,
            &["socketio.replicaCount=2", "nginx.replicaCount=2", "httproute.enabled=true"]
        ),
        1
    );
    // Autoscaling counts as more than one pod, for socketio and for nginx.
    let socketio_hpa = ["socketio.autoscaling.enabled=true", "socketio.autoscaling.maxReplicas=3"];
    assert_eq!(sessions(ingress, &socketio_hpa), 0);
    assert_eq!(
        sessions(ingress, &[&socketio_hpa[..], &["nginx.autoscaling.enabled=true"]].concat()),
        1
    );
    // Without nginx, the Ingress's own `/socket.io` path needs the affinity;
    // the snippet proxies through the Service from the controller's pods.
    let direct = "nginx:\n  enabled: false\n  assetsServedElsewhere: true\n";
    assert_eq!(sessions(&format!("{direct}{ingress}"), &two), 1);
    assert_eq!(sessions(&format!("{direct}{affinity}"), &two), 0);
    assert_eq!(
        sessions(
            &format!("{direct}{affinity}"),
            &["socketio.replicaCount=2", "ingress.websocket=snippet"]
        ),
        1
    );
    // With nginx, the snippet still sends `/socket.io` past it.
    assert_eq!(sessions(affinity, &["socketio.replicaCount=2", "ingress.websocket=snippet"]), 1);

    // The socketio Service, and only it, keeps a client on one pod.
    let docs = crate::common::documents(&crate::common::render_text(crate::common::MINIMAL, &two));
    for service in docs.iter().filter(|d| d["kind"] == "Service") {
        let affinity = service["spec"]["sessionAffinity"].as_str();
        let name = service["metadata"]["name"].as_str().unwrap_or_default();
        assert_eq!(affinity, name.ends_with("-socketio").then_some("ClientIP"), "{name}");
    }
}

#[test]
fn liveness_that_asks_frappe_warns_and_readiness_does_not() {
    let liveness = |extra: &str| {
        let outcome = crate::common::check_text(&format!("{}{extra}", crate::common::MINIMAL), &[], "erpnext", Some("erp"));
        outcome.diagnostics.iter().filter(|d| d.code == Code::HttpLiveness).count()
    };
    let gunicorn =
        |probe: &str, body: &str| format!("worker:\n  gunicorn:\n    probeSiteName: erp.example.com\n    {probe}:\n      {body}\n");
    assert_eq!(
        liveness(&gunicorn("livenessProbe", "httpGet: {path: /api/method/ping, port: 8000}")),
        1
    );
    assert_eq!(
        liveness(&gunicorn("readinessProbe", "httpGet: {path: /api/method/ping, port: 8000}")),
        0
    );
    assert_eq!(liveness(&gunicorn("livenessProbe", "tcpSocket: {port: 8000}")), 0);
    // The chart's form under `override: true` is the probe too.
    assert_eq!(
        liveness(
            "worker:\n  gunicorn:\n    probeSiteName: erp.example.com\n    livenessProbe:\n      override: true\n      probe: {httpGet: {path: /api/method/ping, port: 8000}}\n"
        ),
        1
    );
    // nginx: only a path it hands to Frappe.
    let nginx = |path: &str| {
        format!(
            "nginx:\n  livenessProbe:\n    httpGet: {{path: {path}, port: 8080, httpHeaders: [{{name: Host, value: erp.example.com}}]}}\n"
        )
    };
    assert_eq!(liveness(&nginx("/api/method/ping")), 1);
    assert_eq!(liveness(&nginx("/assets/frappe/dist/css/website.bundle.css")), 0);
    // nginx sends `/socket.io` to socketio, not to Frappe.
    assert_eq!(liveness(&nginx("/socket.io/?EIO=4&transport=polling")), 0);
}

#[test]
fn network_and_address_warnings_follow_what_fronts_nginx() {
    let codes = |extra: &str, sets: &[&str]| {
        let outcome = crate::common::check_text(&format!("{}{extra}", crate::common::MINIMAL), sets, "erpnext", Some("erp"));
        let count = |code| outcome.diagnostics.iter().filter(|d| d.code == code).count();
        (count(Code::UnadmittedGateway), count(Code::ClientAddress))
    };
    let route = [
        "httproute.enabled=true",
        "networkPolicy.enabled=true",
        "nginx.environment.upstreamRealIPAddress=10.0.0.0/8",
    ];
    assert_eq!(codes("", &route), (1, 0));
    // A namespace the values choose is theirs to know.
    let chosen = "networkPolicy:\n  ingressNamespaceSelector: {matchLabels: {kubernetes.io/metadata.name: envoy-gateway-system}}\n";
    assert_eq!(codes(chosen, &route), (0, 0));
    // The Ingress's controller is what the default admits.
    assert_eq!(codes("", &["ingress.enabled=true", "networkPolicy.enabled=true"]), (0, 1));
    // Nothing in front of nginx: its peers are whoever they are.
    assert_eq!(codes("", &[]), (0, 0));
    // The address set through nginx's env, or a configuration of the values' own.
    let env = "nginx:\n  envVars: [{name: UPSTREAM_REAL_IP_ADDRESS, value: 10.0.0.0/8}]\n";
    assert_eq!(codes(env, &["ingress.enabled=true"]), (0, 0));
    // An empty one leaves the entrypoint's 127.0.0.1.
    let empty = "nginx:\n  envVars: [{name: UPSTREAM_REAL_IP_ADDRESS, value: 10.0.0.0/8}, {name: UPSTREAM_REAL_IP_ADDRESS, value: ''}]\n";
    assert_eq!(codes(empty, &["ingress.enabled=true"]), (0, 1));
    let config = "nginx:\n  config: \"server { listen 8080; }\"\n";
    assert_eq!(codes(config, &["ingress.enabled=true"]), (0, 0));
    // Without nginx, gunicorn takes the address from the controller's header itself.
    assert_eq!(
        codes(
            "nginx:\n  enabled: false\n  assetsServedElsewhere: true\n",
            &["ingress.enabled=true"]
        ),
        (0, 0)
    );
}

#[test]
fn nginx_must_wait_as_long_as_gunicorn_lets_a_request_run() {
    let timeouts = |extra: &str| {
        let outcome = crate::common::check_text(&format!("{}{extra}", crate::common::MINIMAL), &[], "erpnext", Some("erp"));
        outcome.diagnostics.iter().filter(|d| d.code == Code::ProxyTimeout).count()
    };
    let with = |gunicorn: &str, nginx: &str| {
        format!("worker:\n  gunicorn:\n    args: {gunicorn}\nnginx:\n  environment:\n    proxyReadTimeout: \"{nginx}\"\n")
    };
    // The chart's defaults agree: 120 and 120.
    assert_eq!(timeouts(""), 0);
    assert_eq!(timeouts(&with("[--timeout=300]", "120")), 1);
    assert_eq!(timeouts(&with("[--timeout=300]", "5m")), 0);
    assert_eq!(timeouts(&with("[-t300]", "4m")), 1);
    // No limit in gunicorn: nginx's is the only one, and it cuts.
    assert_eq!(timeouts(&with("[--timeout=0]", "1h")), 1);
    // gunicorn's own default is 30 seconds, for a whole command line too.
    assert_eq!(timeouts(&with("[gunicorn, frappe.app:application]", "60")), 0);
    // Without nginx, nothing stands between.
    assert_eq!(
        timeouts("worker:\n  gunicorn:\n    args: [--timeout=300]\nnginx:\n  enabled: false\n  assetsServedElsewhere: true\n"),
        0
    );
}

/// Each of the entrypoint's settings is what nginx gets: the last
/// `nginx.envVars` variable of its name, else `nginx.environment`'s key,
/// and for an empty one the entrypoint's default (`[[ -z ... ]]` in
/// frappe_docker's `nginx-entrypoint.sh`), as with the chart. Every rule
/// about a setting reads that.
#[test]
fn nginx_settings_are_read_as_the_entrypoint_reads_them() {
    let check = |extra: &str| crate::common::check_text(&format!("{}{extra}", crate::common::MINIMAL), &[], "erpnext", Some("erp"));
    let errors = |extra: &str| -> Vec<String> {
        let outcome = check(extra);
        outcome
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{} at {}", d.code.as_str(), d.field.as_deref().unwrap_or_default()))
            .collect()
    };
    let count = |extra: &str, code: Code| check(extra).diagnostics.iter().filter(|d| d.code == code).count();

    // Empty: the entrypoint's default, not a value to refuse.
    let empty = "nginx:\n  environment: {upstreamRealIPAddress: '', upstreamRealIPRecursive: '', upstreamRealIPHeader: '', frappeSiteNameHeader: '', proxyReadTimeout: '', clientMaxBodySize: ''}\n";
    assert_eq!(errors(empty), Vec::<String>::new());

    // Only the last variable of a name reaches nginx.
    let backend =
        |first: &str, last: &str| format!("nginx:\n  envVars: [{{name: BACKEND, value: '{first}'}}, {{name: BACKEND, value: '{last}'}}]\n");
    assert_eq!(errors(&backend("", "erpnext-gunicorn:8000")), Vec::<String>::new());
    assert_eq!(errors(&backend("gunicorn 8000", "erpnext-gunicorn:8000")), Vec::<String>::new());
    assert_eq!(
        errors(&backend("erpnext-gunicorn:8000", "")),
        ["invalid-value at nginx.envVars[1].value"]
    );

    // 127.0.0.1, the default of an empty address, behind an Ingress.
    let address = |environment: &str, env_vars: &str| {
        let values = format!(
            "ingress: {{enabled: true, hosts: [{{host: erp.example.com, paths: [{{path: /, pathType: Prefix}}]}}]}}\nnginx:\n  environment: {{upstreamRealIPAddress: '{environment}'}}\n  envVars: [{env_vars}]\n"
        );
        check(&values)
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::ClientAddress)
            .map(|d| d.field.clone().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    assert_eq!(address("", ""), ["nginx.environment.upstreamRealIPAddress"]);
    assert_eq!(
        address("10.0.0.0/8", "{name: UPSTREAM_REAL_IP_ADDRESS, value: ''}"),
        ["nginx.envVars[0].value"]
    );
    assert_eq!(
        address("", "{name: UPSTREAM_REAL_IP_ADDRESS, value: 10.0.0.0/8}"),
        Vec::<String>::new()
    );

    // nginx's read timeout against gunicorn's 300 seconds.
    let timeout = |environment: &str, env_vars: &str| {
        count(
            &format!(
                "worker:\n  gunicorn:\n    args: [--timeout=300]\nnginx:\n  environment: {{proxyReadTimeout: '{environment}'}}\n  envVars: [{env_vars}]\n"
            ),
            Code::ProxyTimeout,
        )
    };
    assert_eq!(timeout("", ""), 1);
    assert_eq!(timeout("5m", "{name: PROXY_READ_TIMEOUT, value: ''}"), 1);
    assert_eq!(timeout("120", "{name: PROXY_READ_TIMEOUT, value: 5m}"), 0);

    // The site header: `$host` by default, for which a probe must name a site.
    let probe = |environment: &str, env_vars: &str| {
        count(
            &format!(
                "nginx:\n  readinessProbe:\n    httpGet: {{path: /api/method/ping, port: 8080}}\n  environment: {{frappeSiteNameHeader: '{environment}'}}\n  envVars: [{env_vars}]\n"
            ),
            Code::ProbeSite,
        )
    };
    assert_eq!(probe("", ""), 1);
    assert_eq!(probe("erp.example.com", "{name: FRAPPE_SITE_NAME_HEADER, value: ''}"), 1);
    assert_eq!(probe("$host", "{name: FRAPPE_SITE_NAME_HEADER, value: erp.example.com}"), 0);
}

/// The diagnostic of `code` at `field` for the minimal values with `extra`
/// added, or the whole human report when there is none.
fn diagnostic_at(extra: &str, code: &str, field: &str) -> Result<Diagnostic, String> {
    let values = format!("{}{extra}\n", crate::common::MINIMAL);
    let outcome = crate::common::check_text(&values, &[], "erpnext", Some("erp"));
    outcome
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == code && d.field.as_deref() == Some(field))
        .cloned()
        .ok_or_else(|| crate::common::human(&outcome))
}
