//! NetworkPolicies (extension `networkPolicy.enabled`).
//!
//! Three policies fence the bench in:
//! * `<fullname>-default`: every bench pod accepts nothing, and sends to DNS,
//!   the database and Redis ports, other bench pods, the ingress controller,
//!   and (unless `externalEgress` narrows it) anywhere outside the cluster;
//! * `<fullname>-web`: the entry point (nginx, or gunicorn and socketio when
//!   nginx is off) accepts the ingress controller, and any address when its
//!   Service is a NodePort or LoadBalancer: clients then reach it directly
//!   (through a node, or the load balancer), from addresses no selector
//!   matches;
//! * `<fullname>-backends`: with nginx, gunicorn and socketio accept nginx.
//!
//! The database and Redis are external and named by host, so their egress
//! rules allow the port to any address: a NetworkPolicy cannot name a host.
//!
//! Frappe also connects out on its own: socket.io checks every browser's
//! session by calling the site back at the request's `Origin` (its public
//! URL, `realtime/middlewares/authenticate.js`), which some CNIs see as
//! traffic to the ingress controller's pods and others as traffic to the
//! load balancer's address; workers send mail (SMTP 25/465/587), fetch it
//! (IMAP/POP 993/995/143/110), and call webhooks, payment gateways and
//! storage services on whatever host and port their users configure. So the
//! default allows the ingress controller and everything outside the
//! cluster on any port; `externalEgress` replaces the second part.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Manifest, common_labels, meta};
use crate::model::component::{self, ComponentKind};
use crate::model::{Bench, component_name_label, label, part_of_label, selector_labels};
use crate::values::NetworkPolicy as NetworkPolicySettings;
use crate::values::ServiceType;

pub fn build(bench: &Bench) -> Vec<Manifest> {
    let Some(settings) = &bench.network_policy else {
        return Vec::new();
    };
    let names = &bench.names;
    let bench_pods = LabelSelector {
        match_labels: Some(BTreeMap::from([part_of_label(names)])),
        match_expressions: None,
    };
    let controller = NetworkPolicyPeer {
        namespace_selector: Some((*settings.ingress_namespace_selector).clone()),
        pod_selector: (*settings.ingress_pod_selector).clone(),
        ip_block: None,
    };
    let mut policies = vec![policy(
        bench,
        "default",
        NetworkPolicySpec {
            pod_selector: Some(bench_pods.clone()),
            policy_types: Some(vec!["Ingress".to_owned(), "Egress".to_owned()]),
            ingress: None,
            egress: Some(egress(bench, settings, bench_pods, controller.clone())),
        },
    )];

    // Those that serve: nginx, which proxies to the others, or without it
    // gunicorn and socketio.
    let serving: Vec<ComponentKind> = bench
        .components
        .iter()
        .map(|c| c.kind)
        .filter(|k| k.spec().port.is_some())
        .collect();
    let (proxies, backends): (Vec<ComponentKind>, Vec<ComponentKind>) = serving.iter().partition(|k| k.is_proxy());
    let entry = if proxies.is_empty() { &backends } else { &proxies };
    let mut web = accepting(bench, entry, controller);
    let exposed: Vec<ComponentKind> = entry
        .iter()
        .copied()
        .filter(|&kind| {
            component::find(&bench.components, kind)
                .and_then(|c| c.service.as_ref())
                .is_some_and(|s| s.service_type != ServiceType::ClusterIP)
        })
        .collect();
    if !exposed.is_empty() {
        web.ingress.get_or_insert_default().push(NetworkPolicyIngressRule {
            from: Some(anywhere()),
            ports: Some(ports(&exposed)),
        });
    }
    policies.push(policy(bench, "web", web));
    if let Some(&proxy) = proxies.first() {
        let nginx = NetworkPolicyPeer {
            pod_selector: Some(LabelSelector {
                match_labels: Some(selector_labels(names, proxy)),
                match_expressions: None,
            }),
            ..Default::default()
        };
        policies.push(policy(bench, "backends", accepting(bench, &backends, nginx)));
    }
    policies
}

fn policy(bench: &Bench, suffix: &str, spec: NetworkPolicySpec) -> Manifest {
    let names = &bench.names;
    Manifest::NetworkPolicy(Box::new(NetworkPolicy {
        metadata: meta(names, names.object(suffix), common_labels(names)),
        spec: Some(spec),
    }))
}

fn port(number: i32, protocol: &str) -> NetworkPolicyPort {
    NetworkPolicyPort {
        port: Some(IntOrString::Int(number)),
        protocol: Some(protocol.to_owned()),
        end_port: None,
    }
}

/// Where every bench pod may connect: DNS, the database and Redis ports,
/// the other bench pods, the ingress controller, and outside the cluster
/// (or what `externalEgress` says instead).
fn egress(
    bench: &Bench,
    settings: &NetworkPolicySettings,
    bench_pods: LabelSelector,
    controller: NetworkPolicyPeer,
) -> Vec<NetworkPolicyEgressRule> {
    let mut backing_ports: Vec<i32> = bench.backing_services.iter().map(|(_, port)| *port).collect();
    backing_ports.sort_unstable();
    backing_ports.dedup();
    let mut egress = vec![
        NetworkPolicyEgressRule {
            ports: Some(vec![port(53, "UDP"), port(53, "TCP")]),
            to: None,
        },
        NetworkPolicyEgressRule {
            ports: Some(backing_ports.into_iter().map(|p| port(p, "TCP")).collect()),
            to: None,
        },
        NetworkPolicyEgressRule {
            ports: None,
            to: Some(vec![NetworkPolicyPeer {
                pod_selector: Some(bench_pods),
                ..Default::default()
            }]),
        },
        NetworkPolicyEgressRule {
            ports: None,
            to: Some(vec![controller]),
        },
    ];
    match &settings.external_egress {
        Some(rules) => egress.extend(rules.iter().cloned()),
        None => egress.push(NetworkPolicyEgressRule {
            ports: None,
            to: Some(anywhere()),
        }),
    }
    egress
}

/// Every IPv4 and IPv6 address.
fn anywhere() -> Vec<NetworkPolicyPeer> {
    ["0.0.0.0/0", "::/0"]
        .into_iter()
        .map(|cidr| NetworkPolicyPeer {
            ip_block: Some(IPBlock {
                cidr: cidr.to_owned(),
                except: None,
            }),
            ..Default::default()
        })
        .collect()
}

/// The ports the pods of `kinds` serve on.
fn ports(kinds: &[ComponentKind]) -> Vec<NetworkPolicyPort> {
    kinds.iter().filter_map(|k| k.spec().port).map(|p| port(p, "TCP")).collect()
}

/// The pods of `kinds` accept `from` on their ports.
fn accepting(bench: &Bench, kinds: &[ComponentKind], from: NetworkPolicyPeer) -> NetworkPolicySpec {
    let pods = LabelSelector {
        match_labels: None,
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: label::NAME.to_owned(),
            operator: "In".to_owned(),
            values: Some(kinds.iter().map(|k| component_name_label(&bench.names, *k)).collect()),
        }]),
    };
    NetworkPolicySpec {
        pod_selector: Some(pods),
        policy_types: Some(vec!["Ingress".to_owned()]),
        ingress: Some(vec![NetworkPolicyIngressRule {
            from: Some(vec![from]),
            ports: Some(ports(kinds)),
        }]),
        egress: None,
    }
}
