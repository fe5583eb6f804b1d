//! Every component resolved from its values, in one loop over the table of
//! components: command and env, probes, Service, scaling, disruption budget
//! and spread. What only one role does has a function named for it.

use k8s_openapi::api::core::v1::{Probe, SecurityContext, TopologySpreadConstraint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::super::config::env_var;
use super::super::jobs;
use super::super::names::{Names, selector_labels};
use super::super::redis::Redis;
use super::super::report::Reporter;
use super::command::{NotAFlag, NotANumber, SetBy, UnknownTimeout, gunicorn_args, request_timeout, sets_graceful_timeout};
use super::kind::{DefaultProbe, Role};
use super::probes::{check_http_liveness, check_proxy_probe, given_probe, gunicorn_startup_probe, name_the_site, probe_site, tcp_probe};
use super::{Component, ComponentKind, Hpa, KedaScaler, ServiceSpec, WORKER_GRACE_MARGIN_SECONDS, default_bench_id};
use crate::diagnostic::Code;
use crate::values::{self, Autoscaling, ComponentValues, DefaultTopologySpread, EntrypointSetting, ProbeKey, Spanned, Values};

/// What resolving a component needs besides its own values.
pub(in crate::model) struct Context<'a> {
    pub values: &'a Values,
    pub names: &'a Names,
    /// The Redis services, when they could be resolved (KEDA watches the queue).
    pub redis: Option<&'a Redis>,
    /// The readiness probe of workers and the scheduler.
    pub backing_services_probe: Probe,
    /// The security context of containers the values bring.
    pub user_container_security_context: &'a SecurityContext,
}

/// The components the bench runs, in the table's order.
pub(in crate::model) fn resolve_components(context: &Context<'_>, report: &mut Reporter<'_>) -> Vec<Component> {
    check_assets_are_served(context.values, report);
    let mut components = Vec::with_capacity(ComponentKind::ALL.len());
    for &kind in ComponentKind::ALL {
        let values = kind.values(context.values);
        // As written, even for a disabled nginx.
        if let Some(autoscaling) = values.autoscaling {
            check_keda_has_a_queue(kind, autoscaling, report);
        }
        if values.enabled {
            components.push(resolve_component(kind, &values, context, report));
        }
    }
    check_proxy_waits_for_gunicorn(&components, context.values, report);
    components
}

/// nginx gives up on gunicorn after `proxyReadTimeout` and answers 504,
/// but gunicorn goes on with the request until its own `--timeout`: a
/// report or an import that takes longer than nginx waits still runs, and
/// a user who tries again runs it twice.
fn check_proxy_waits_for_gunicorn(components: &[Component], values: &Values, report: &mut Reporter<'_>) {
    let (Some(_), Some(gunicorn)) = (
        super::find(components, ComponentKind::Nginx),
        super::find(components, ComponentKind::Gunicorn),
    ) else {
        return;
    };
    let read_timeout = values.nginx.entrypoint_setting(EntrypointSetting::ProxyReadTimeout);
    let request_timeout = request_timeout(&gunicorn.args);
    // An invalid time is an error of its own (`checks::nginx`); one from
    // `valueFrom` is the cluster's to know.
    let Some(waits) = read_timeout.value.and_then(crate::model::k8s::nginx_time_seconds) else {
        return;
    };
    let never = request_timeout == 0;
    if !never && waits >= request_timeout {
        return;
    }
    let limit = if never {
        "no time limit (`--timeout=0`)".to_owned()
    } else {
        format!("up to {request_timeout}s (`--timeout`)")
    };
    report
        .at(
            Code::ProxyTimeout,
            read_timeout.at,
            format!(
                "nginx waits {waits}s for gunicorn, which gives a request {limit}: a request that runs longer than nginx waits gets 504 while gunicorn goes on with it, and a user who tries again runs it twice"
            ),
        )
        .with_help(if never {
            "give gunicorn a `--timeout` in `worker.gunicorn.args` and nginx a `proxyReadTimeout` at least as long".to_owned()
        } else {
            format!(
                "set `nginx.environment.proxyReadTimeout` to at least `{request_timeout}` (and the ingress's read timeout, e.g. ingress-nginx's `nginx.ingress.kubernetes.io/proxy-read-timeout`), or lower gunicorn's `--timeout`"
            )
        });
}

fn resolve_component(kind: ComponentKind, values: &ComponentValues<'_>, context: &Context<'_>, report: &mut Reporter<'_>) -> Component {
    let spec = kind.spec();
    let mut component = Component::from_pod(kind, &values.pod);
    component.liveness_probe = probe(kind, values.liveness_probe, spec.liveness_probe, context);
    component.readiness_probe = probe(kind, values.readiness_probe, spec.readiness_probe, context);
    component.startup_probe = probe(kind, values.startup_probe, spec.startup_probe, context);
    component.service = values.service.map(|service| ServiceSpec {
        service_type: service.service_type,
        port: *service.port,
        sticky_sessions: spec.role == Role::Realtime,
    });
    component.autoscaling = values.autoscaling.and_then(|autoscaling| hpa(autoscaling, report));
    if let Some(spread) = values.topology_spread {
        component.topology_spread = topology_spread(spread.custom.as_deref(), spread.default, context.names, kind);
    }
    match spec.role {
        Role::Proxy => {
            proxy(&mut component, context);
            check_proxy_probes(&component, values, context.values, report);
        }
        Role::App => app(&mut component, context.values, report),
        Role::Realtime => {}
        Role::Worker { queue_timeout_seconds, .. } => {
            let autoscaling = values.autoscaling.expect("workers have autoscaling keys");
            component.keda = keda(kind, autoscaling, context.redis, report);
            let custom = values.termination_grace_period_seconds.expect("workers have a grace period key");
            component.termination_grace_period_seconds = Some(grace_period(custom, queue_timeout_seconds, report));
        }
        Role::Scheduler => scheduler(&mut component, values.pod.replica_count, report),
    }
    if let Some(stop) = super::shutdown::serving_stop(&component, context.values) {
        component.pre_stop = Some(stop.pre_stop);
        component.termination_grace_period_seconds = Some(stop.grace_period_seconds);
    }
    if component.autoscaling.is_some() || component.keda.is_some() {
        component.replicas = None;
    }
    if let Some(budget) = values.disruption_budget {
        check_disruption_budget(kind, budget, report);
    }
    component.disruption_budget = values.disruption_budget.and_then(|budget| disruption_budget(budget, &component));
    check_budget_allows_an_eviction(&component, report);
    // The chart spreads nginx and gunicorn; every replicated component
    // should survive losing a node.
    if component.topology_spread.is_empty() && component.is_replicated() && !kind.is_singleton() {
        let default = &context.values.worker.default_topology_spread;
        component.topology_spread = topology_spread(None, default, context.names, kind);
    }
    for container in component.init_containers.iter_mut().chain(component.sidecars.iter_mut()) {
        container
            .security_context
            .get_or_insert_with(|| context.user_container_security_context.clone());
    }
    component
}

/// nginx: the entrypoint's settings (where gunicorn and socketio are, and
/// the values' `environment`) before the values' env, and the command that
/// a configuration of the values needs.
fn proxy(component: &mut Component, context: &Context<'_>) {
    let (values, names) = (context.values, context.names);
    let nginx = &values.nginx;
    component.args = component.kind.default_args(nginx.custom_config().is_some());
    let backend = |kind: ComponentKind, port: &Spanned<i32>| format!("{}:{}", names.service(kind), **port);
    let mut env = vec![
        env_var("BACKEND", backend(ComponentKind::Gunicorn, &values.worker.gunicorn.service.port)),
        env_var("SOCKETIO", backend(ComponentKind::Socketio, &values.socketio.service.port)),
    ];
    // As written, an empty one too, which the entrypoint defaults as with the chart.
    for setting in EntrypointSetting::ALL {
        env.push(env_var(setting.variable(), (**nginx.environment.get(setting)).clone()));
    }
    // After them, so that the values' own win ([`values::Nginx::entrypoint_setting`]).
    env.append(&mut component.env);
    component.env = env;
}

/// nginx's HTTP probes on paths it hands to Frappe, with the image's
/// configuration (no `nginx.config`): a liveness probe must not follow
/// Frappe, and each must name a site when nginx names it after the Host
/// (the site header `$host`).
fn check_proxy_probes(component: &Component, written: &ComponentValues<'_>, values: &Values, report: &mut Reporter<'_>) {
    if values.nginx.custom_config().is_some() {
        return;
    }
    if let (Some(probe), Some(given)) = (&component.liveness_probe, written.liveness_probe.and_then(given_probe)) {
        check_http_liveness(probe, component.kind, given.at, report);
    }
    if values.nginx.entrypoint_setting(EntrypointSetting::FrappeSiteNameHeader).value != Some("$host") {
        return;
    }
    for (key, probe) in [
        (written.liveness_probe, &component.liveness_probe),
        (written.readiness_probe, &component.readiness_probe),
        (written.startup_probe, &component.startup_probe),
    ] {
        if let (Some(key), Some(probe)) = (key, probe) {
            let at = given_probe(key).map_or_else(|| key.anchor(), |given| given.at);
            check_proxy_probe(probe, at, report);
        }
    }
}

/// Without nginx, something else must serve `/assets` and `/files`.
fn check_assets_are_served(values: &Values, report: &mut Reporter<'_>) {
    let nginx = &values.nginx;
    if !*nginx.enabled && !nginx.assets_served_elsewhere {
        report
            .at(
                Code::UnservedAssets,
                &nginx.enabled,
                "without nginx, nothing serves `/assets` and `/files`: gunicorn serves neither outside Frappe's development server",
            )
            .with_help(
                "keep `nginx.enabled: true`, or set `nginx.assetsServedElsewhere: true` if another server in front of gunicorn serves them from the sites volume",
            );
    }
}

/// Warns that what follows gunicorn's timeout at render time (the
/// `--graceful-timeout`, the grace period, the `proxy-timeout` check) cannot
/// follow one that the container's start settles.
fn warn_of_unknown_timeout(unknown: UnknownTimeout, args: &[String], gunicorn: &values::Gunicorn, report: &mut Reporter<'_>) {
    let env_vars = gunicorn.env_vars.anchor();
    let (at, source, help) = match unknown {
        UnknownTimeout::ValueFrom(index) => (
            env_vars.index(index).key("valueFrom"),
            "gunicorn takes `GUNICORN_TIMEOUT` from `valueFrom` when it starts",
            "write the timeout as the var's `value`, or set `--timeout=<seconds>` in `worker.gunicorn.args`, so that they follow it",
        ),
        UnknownTimeout::EnvReference(index) => (
            env_vars.index(index).key("value"),
            "`GUNICORN_TIMEOUT` names a var (`$(…)`) that the kubelet expands in gunicorn's `--timeout` when the pod starts",
            "write the timeout in seconds as the var's `value`, or set `--timeout=<seconds>` in `worker.gunicorn.args`, so that they follow it",
        ),
        UnknownTimeout::ArgReference(index) => (
            gunicorn.args.anchor().index(index),
            "gunicorn's `--timeout` names a var (`$(…)`) that the kubelet expands when the pod starts",
            "write the timeout in seconds, `--timeout=<seconds>`, so that they follow it",
        ),
    };
    let known = request_timeout(args);
    // A `--graceful-timeout` of the values' own sets the grace period too.
    let cannot_follow = if sets_graceful_timeout(&gunicorn.args) {
        format!(
            "the `proxy-timeout` check can only follow the {known}s known when rendering: with a longer timeout, nginx may give up on requests gunicorn still runs"
        )
    } else {
        format!(
            "its `--graceful-timeout`, the pods' grace period and the `proxy-timeout` check can only follow the {known}s known when rendering: with a longer timeout, a rollout cuts requests the timeout allows"
        )
    };
    report
        .at(Code::UnknownTimeout, at, format!("{source}, but {cannot_follow}"))
        .with_help(help);
}

/// A flag gunicorn reads as a number, set to what is none: gunicorn would
/// refuse its command line, and the pod never start.
fn refuse_not_a_number(not_a_number: &NotANumber, gunicorn: &values::Gunicorn, report: &mut Reporter<'_>) {
    let NotANumber { flag, value, set_by } = not_a_number;
    let at = match *set_by {
        SetBy::Arg(index) => gunicorn.args.anchor().index(index),
        SetBy::Env(index) => gunicorn.env_vars.anchor().index(index).key("value"),
    };
    let given = match value {
        Some(value) => format!(
            "`{flag}` is set to `{value}`, which is not a whole number: gunicorn reads it with Python's `int`, refuses the command line (`invalid int value`)"
        ),
        None => format!("`{flag}` is given without its number: gunicorn refuses the command line"),
    };
    report
        .at(Code::InvalidValue, at, format!("{given} and the pod never starts"))
        .with_help(format!("write it in digits, e.g. `{flag}=4`"));
}

/// gunicorn: its `GUNICORN_*` env and the values' flags on the image's
/// command line, and the site its HTTP probes ask for.
fn app(component: &mut Component, values: &Values, report: &mut Reporter<'_>) {
    let gunicorn = &values.worker.gunicorn;
    match gunicorn_args(&gunicorn.args, &component.env) {
        Ok(line) => {
            if let Some(unknown) = line.unknown_timeout {
                warn_of_unknown_timeout(unknown, &line.args, gunicorn, report);
            }
            for not_a_number in &line.not_numbers {
                refuse_not_a_number(not_a_number, gunicorn, report);
            }
            component.args = line.args;
        }
        Err(NotAFlag { index, word }) => {
            report
                .at(Code::GunicornArgs, gunicorn.args.anchor().index(index), format!("`{word}` is not a gunicorn flag, but the list starts with flags"))
                .with_help("write each flag with its value as one item, e.g. `--workers=4`; or give the whole command line, starting with the gunicorn executable");
        }
    }
    let site = probe_site(values, report);
    if let (Some(probe), Some(given)) = (&component.liveness_probe, given_probe(&gunicorn.liveness_probe)) {
        check_http_liveness(probe, component.kind, given.at, report);
    }
    for (written, probe) in [
        (&gunicorn.liveness_probe, &mut component.liveness_probe),
        (&gunicorn.readiness_probe, &mut component.readiness_probe),
        (&gunicorn.startup_probe, &mut component.startup_probe),
    ] {
        if let Some(probe) = probe {
            let at = given_probe(written).map_or_else(|| written.anchor(), |given| given.at);
            name_the_site(probe, site.as_deref(), at, report);
        }
    }
}

/// The scheduler runs exactly one replica: every replica would enqueue
/// every periodic job.
fn scheduler(component: &mut Component, replica_count: &Spanned<i32>, report: &mut Reporter<'_>) {
    if **replica_count != 1 {
        report
            .at(
                Code::SchedulerReplicas,
                replica_count,
                format!("the scheduler must run exactly 1 replica, not {}", **replica_count),
            )
            .with_help(
                "every scheduler replica enqueues every periodic job; set `worker.scheduler.replicaCount: 1` and scale the workers instead",
            );
    }
    component.replicas = Some(1);
}

/// A probe: the values', else the component's default. A chart-form
/// `override: true` without a `probe` gives none, and is an error
/// (`checks`).
fn probe(kind: ComponentKind, key: Option<&ProbeKey>, default: DefaultProbe, context: &Context<'_>) -> Option<Probe> {
    if let Some(given) = key.and_then(given_probe) {
        return given.probe.cloned();
    }
    match default {
        DefaultProbe::None => None,
        DefaultProbe::Tcp => kind.spec().port.map(tcp_probe),
        DefaultProbe::GunicornStartup => Some(gunicorn_startup_probe()),
        DefaultProbe::BackingServices => Some(context.backing_services_probe.clone()),
    }
}

fn hpa(autoscaling: &Spanned<Autoscaling>, report: &mut Reporter<'_>) -> Option<Hpa> {
    if !autoscaling.enabled {
        return None;
    }
    let (min_replicas, max_replicas) = (*autoscaling.min_replicas, autoscaling.max_replicas);
    if min_replicas < 1 || min_replicas > max_replicas {
        report
            .at(
                Code::HpaReplicas,
                autoscaling.min_replicas.or_in(autoscaling, "minReplicas"),
                format!(
                    "autoscaling needs 1 <= minReplicas <= maxReplicas, but minReplicas is {min_replicas} and maxReplicas {max_replicas}"
                ),
            )
            .with_help("raise `maxReplicas` or lower `minReplicas`");
    }
    for target in [&autoscaling.target_cpu, &autoscaling.target_memory] {
        if target.is_some_and(|t| t < 1) {
            report
                .at(Code::InvalidValue, target, "a utilization target must be a positive percentage")
                .with_help("use e.g. `75`, or `null` to turn this metric off");
        }
    }
    if autoscaling.target_cpu.is_none() && autoscaling.target_memory.is_none() && autoscaling.behavior.is_none() {
        report
            .at_key(Code::InvalidValue, autoscaling, "autoscaling is enabled without any target")
            .with_help("set `targetCPU` or `targetMemory`");
    }
    Some(Hpa {
        min_replicas,
        max_replicas,
        target_cpu: *autoscaling.target_cpu,
        target_memory: *autoscaling.target_memory,
        behavior: autoscaling.behavior.clone(),
    })
}

/// KEDA scales a worker on the length of its queue; other components have none.
fn check_keda_has_a_queue(kind: ComponentKind, autoscaling: &Autoscaling, report: &mut Reporter<'_>) {
    if *autoscaling.keda.enabled && kind.queues().is_empty() {
        report
            .at(
                Code::InvalidValue,
                &autoscaling.keda.enabled,
                "KEDA scales workers on their queue; this component has no queue",
            )
            .with_help("use the HPA (`autoscaling.enabled`) here");
    }
}

fn keda(kind: ComponentKind, autoscaling: &Autoscaling, redis: Option<&Redis>, report: &mut Reporter<'_>) -> Option<KedaScaler> {
    let keda = &autoscaling.keda;
    if !*keda.enabled {
        return None;
    }
    if autoscaling.enabled {
        report
            .at(
                Code::InvalidValue,
                &keda.enabled,
                "a worker scales either with its HPA or with KEDA, not both",
            )
            .with_help("set `autoscaling.enabled: false` to let KEDA scale this worker");
    }
    let (min_replicas, max_replicas) = (*keda.min_replicas, keda.max_replicas);
    if min_replicas < 0 || max_replicas < 1 || min_replicas > max_replicas {
        report
            .at(
                Code::HpaReplicas,
                keda.min_replicas.or_in(keda, "minReplicas"),
                format!("KEDA needs 0 <= minReplicas <= maxReplicas and maxReplicas >= 1, not {min_replicas} and {max_replicas}"),
            )
            .with_help("raise `maxReplicas` or lower `minReplicas`");
    }
    for (value, key) in [
        (&keda.list_length, "listLength"),
        (&keda.polling_interval, "pollingInterval"),
        (&keda.cooldown_period, "cooldownPeriod"),
    ] {
        if **value < 1 {
            report.at(Code::InvalidValue, value, format!("`{key}` must be at least 1"));
        }
    }
    let redis = redis?;
    let queue = &redis.queue;
    // KEDA reads the password where the workers do, unless told otherwise.
    let password = match &keda.password_secret {
        Some(secret) => Some(jobs::SecretRef {
            name: (*secret.name).clone(),
            key: (*secret.key).clone(),
        }),
        None => redis.queue_password.clone(),
    };
    let worker_queue = kind.queues().first()?;
    Some(KedaScaler {
        min_replicas,
        max_replicas,
        list_length: *keda.list_length,
        polling_interval: *keda.polling_interval,
        cooldown_period: *keda.cooldown_period,
        list_name: format!("rq:queue:{}:{worker_queue}", default_bench_id()),
        address: queue.endpoint(),
        database: queue.db,
        tls: queue.tls,
        username: queue.user.clone(),
        password,
    })
}

/// A worker's `terminationGracePeriodSeconds`: RQ's warm shutdown lets the
/// running job finish on SIGTERM, which takes up to the queue's timeout.
fn grace_period(custom: &Spanned<Option<i64>>, queue_timeout_seconds: i64, report: &mut Reporter<'_>) -> i64 {
    if let Some(seconds) = **custom {
        if seconds >= 0 {
            return seconds;
        }
        report
            .at(Code::InvalidValue, custom, "a grace period cannot be negative")
            .with_help("give the seconds a stopping worker may take to finish its job, or remove the key for the queue's timeout");
    }
    queue_timeout_seconds + WORKER_GRACE_MARGIN_SECONDS
}

/// What the API server refuses in a PodDisruptionBudget
/// (`ValidatePodDisruptionBudgetSpec`, pkg/apis/policy/validation): both
/// bounds at once, a negative number, or a string that is not a percentage
/// (digits and `%`) of at most 100%.
fn check_disruption_budget(kind: ComponentKind, budget: &values::DisruptionBudget, report: &mut Reporter<'_>) {
    let at = kind.section().key("podDisruptionBudget");
    if budget.max_unavailable.is_some() && budget.min_available.is_some() {
        report
            .at_key(
                Code::InvalidValue,
                at.key("minAvailable"),
                "a PodDisruptionBudget takes `maxUnavailable` or `minAvailable`, not both: Kubernetes refuses it",
            )
            .with_help("remove one of them");
    }
    for (key, bound) in [("maxUnavailable", &budget.max_unavailable), ("minAvailable", &budget.min_available)] {
        let problem = match bound {
            None => continue,
            Some(IntOrString::Int(pods)) if *pods < 0 => format!("`{key}` cannot be negative"),
            Some(IntOrString::Int(_)) => continue,
            Some(IntOrString::String(text)) => match percentage(text) {
                None => format!("`{key}: {text:?}` is neither a number of pods nor a percentage such as `50%`"),
                Some(share) if share > 100 => format!("`{key}: {text}` is more than 100%"),
                Some(_) => continue,
            },
        };
        report
            .at(Code::InvalidValue, at.key(key), problem)
            .with_help("give a number of pods, unquoted (`1`), or a percentage of them (`50%`)");
    }
}

/// A budget that allows no eviction while the component runs its fewest
/// pods holds every node drain that meets one of them for ever: `kubectl
/// drain`, node-pool upgrades and the cluster autoscaler retry the Eviction
/// API, which answers 429 as long as the budget allows no disruption. The
/// disruption controller rounds both percentages up
/// (`GetScaledValueFromIntOrPercent(..., true)`).
fn check_budget_allows_an_eviction(component: &Component, report: &mut Reporter<'_>) {
    let Some((max_unavailable, min_available)) = &component.disruption_budget else {
        return;
    };
    let fewest = match (&component.autoscaling, &component.keda) {
        (Some(hpa), _) => hpa.min_replicas,
        // KEDA's pods, when there are any.
        (None, Some(keda)) => keda.min_replicas.max(1),
        (None, None) => component.replicas.unwrap_or(1),
    };
    // Without pods (`replicaCount: 0`) there is nothing for a drain to wait on.
    let Ok(fewest @ 1..) = u64::try_from(fewest) else {
        return;
    };
    let (key, blocks) = match (max_unavailable, min_available) {
        (Some(IntOrString::Int(pods)), _) => ("maxUnavailable", *pods == 0),
        (Some(IntOrString::String(text)), _) => ("maxUnavailable", percentage(text) == Some(0)),
        (_, Some(IntOrString::Int(pods))) => ("minAvailable", u64::try_from(*pods).is_ok_and(|pods| pods >= fewest)),
        (_, Some(IntOrString::String(text))) => (
            "minAvailable",
            percentage(text).is_some_and(|share| fewest.saturating_mul(share).div_ceil(100) >= fewest),
        ),
        (None, None) => return,
    };
    if !blocks {
        return;
    }
    let kind = component.kind;
    let pods = if fewest == 1 {
        "1 pod".to_owned()
    } else {
        format!("{fewest} pods")
    };
    report
        .at(
            Code::BlockedDrain,
            kind.section().key("podDisruptionBudget").key(key),
            format!(
                "this PodDisruptionBudget allows no eviction while `{}` runs {pods}: every `kubectl drain`, node-pool upgrade and cluster-autoscaler scale-down that meets one of its pods waits for ever",
                kind.values_path()
            ),
        )
        .with_help(format!(
            "use `maxUnavailable: 1` (the default), which lets one pod go at a time; a `minAvailable` must stay below the fewest pods the component runs ({fewest})"
        ));
}

/// `50%` as 50: digits and `%`, as Kubernetes' `IsValidPercent` takes it.
fn percentage(text: &str) -> Option<u64> {
    let digits = text.strip_suffix('%')?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().unwrap_or(u64::MAX))
}

/// The PodDisruptionBudget's `(maxUnavailable, minAvailable)`: by default
/// `maxUnavailable: 1` for a component that runs more than one pod.
fn disruption_budget(budget: &values::DisruptionBudget, component: &Component) -> Option<(Option<IntOrString>, Option<IntOrString>)> {
    if !budget.enabled.unwrap_or_else(|| component.is_replicated()) {
        return None;
    }
    let max_unavailable = match (&budget.max_unavailable, &budget.min_available) {
        (None, None) => Some(IntOrString::Int(1)),
        (max, _) => max.clone(),
    };
    Some((max_unavailable, budget.min_available.clone()))
}

/// The spread of a component's pods: the values' constraints (selecting
/// the component's pods unless they say otherwise), else one constraint
/// from `defaultTopologySpread`.
fn topology_spread(
    custom: Option<&[TopologySpreadConstraint]>,
    default: &DefaultTopologySpread,
    names: &Names,
    kind: ComponentKind,
) -> Vec<TopologySpreadConstraint> {
    let selector = LabelSelector {
        match_labels: Some(selector_labels(names, kind)),
        match_expressions: None,
    };
    match custom {
        Some(constraints) => constraints
            .iter()
            .map(|c| TopologySpreadConstraint {
                label_selector: c.label_selector.clone().or_else(|| Some(selector.clone())),
                ..c.clone()
            })
            .collect(),
        None => vec![TopologySpreadConstraint {
            max_skew: *default.max_skew,
            topology_key: (*default.topology_key).clone(),
            when_unsatisfiable: (*default.when_unsatisfiable).clone(),
            label_selector: Some(selector),
            // Nodes whose taints the pods do not tolerate (control plane,
            // dedicated pools) hold none of them; counted as domains, they
            // make `DoNotSchedule` leave pods Pending (the API's default is
            // `Ignore`).
            node_taints_policy: Some("Honor".to_owned()),
            ..Default::default()
        }],
    }
}
