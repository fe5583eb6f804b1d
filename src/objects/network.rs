//! NetworkPolicies (extension `networkPolicy.enabled`).
//!
//! Three policies fence the bench in:
//! * `<fullname>-default`: every bench pod accepts nothing, and sends to DNS,
//!   the database and Redis ports, other bench pods, the ingress controller,
//!   and (unless `externalEgress` narrows it) anywhere outside the cluster;
//! * `<fullname>-web`: the entry point (nginx, or gunicorn and socketio when
//!   nginx is off) accepts the ingress controller;
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
use crate::model::component::ComponentKind;
use crate::model::{Bench, part_of_label, selector_labels};

pub fn build(bench: &Bench) -> Vec<Manifest> {
    let Some(settings) = &bench.network_policy else {
        return Vec::new();
    };
    let names = &bench.names;
    let bench_pods = LabelSelector {
        match_labels: Some(BTreeMap::from([part_of_label(names)])),
        match_expressions: None,
    };
    let port = |number: i32, protocol: &str| NetworkPolicyPort {
        port: Some(IntOrString::Int(number)),
        protocol: Some(protocol.to_owned()),
        end_port: None,
    };
    let policy = |suffix: &str, spec: NetworkPolicySpec| {
        Manifest::NetworkPolicy(Box::new(NetworkPolicy {
            metadata: meta(names, names.object(suffix), common_labels(names)),
            spec: Some(spec),
        }))
    };

    let mut egress = vec![NetworkPolicyEgressRule {
        ports: Some(vec![port(53, "UDP"), port(53, "TCP")]),
        to: None,
    }];
    let mut backing_ports: Vec<i32> = bench.backing_services.iter().map(|(_, port)| *port).collect();
    backing_ports.sort_unstable();
    backing_ports.dedup();
    egress.push(NetworkPolicyEgressRule {
        ports: Some(backing_ports.into_iter().map(|p| port(p, "TCP")).collect()),
        to: None,
    });
    egress.push(NetworkPolicyEgressRule {
        ports: None,
        to: Some(vec![NetworkPolicyPeer {
            pod_selector: Some(bench_pods.clone()),
            ..Default::default()
        }]),
    });
    let controller = NetworkPolicyPeer {
        namespace_selector: Some((*settings.ingress_namespace_selector).clone()),
        pod_selector: (*settings.ingress_pod_selector).clone(),
        ip_block: None,
    };
    egress.push(NetworkPolicyEgressRule {
        ports: None,
        to: Some(vec![controller.clone()]),
    });
    match &settings.external_egress {
        Some(rules) => egress.extend(rules.iter().cloned()),
        None => egress.push(NetworkPolicyEgressRule {
            ports: None,
            to: Some(
                ["0.0.0.0/0", "::/0"]
                    .into_iter()
                    .map(|cidr| NetworkPolicyPeer {
                        ip_block: Some(IPBlock {
                            cidr: cidr.to_owned(),
                            except: None,
                        }),
                        ..Default::default()
                    })
                    .collect(),
            ),
        }),
    }
    let mut policies = vec![policy(
        "default",
        NetworkPolicySpec {
            pod_selector: Some(bench_pods),
            policy_types: Some(vec!["Ingress".to_owned(), "Egress".to_owned()]),
            ingress: None,
            egress: Some(egress),
        },
    )];

    let served = |kinds: &[ComponentKind]| -> (LabelSelector, Vec<NetworkPolicyPort>) {
        let selector = LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "app.kubernetes.io/name".to_owned(),
                operator: "In".to_owned(),
                values: Some(
                    kinds
                        .iter()
                        .map(|k| selector_labels(names, *k)["app.kubernetes.io/name"].clone())
                        .collect(),
                ),
            }]),
        };
        let ports = kinds.iter().filter_map(|k| k.spec().port).map(|p| port(p, "TCP")).collect();
        (selector, ports)
    };
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
    let (entry_pods, entry_ports) = served(entry);
    policies.push(policy(
        "web",
        NetworkPolicySpec {
            pod_selector: Some(entry_pods),
            policy_types: Some(vec!["Ingress".to_owned()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(vec![controller]),
                ports: Some(entry_ports),
            }]),
            egress: None,
        },
    ));
    if let Some(&proxy) = proxies.first() {
        let (backends, ports) = served(&backends);
        let nginx = LabelSelector {
            match_labels: Some(selector_labels(names, proxy)),
            match_expressions: None,
        };
        policies.push(policy(
            "backends",
            NetworkPolicySpec {
                pod_selector: Some(backends),
                policy_types: Some(vec!["Ingress".to_owned()]),
                ingress: Some(vec![NetworkPolicyIngressRule {
                    from: Some(vec![NetworkPolicyPeer {
                        pod_selector: Some(nginx),
                        ..Default::default()
                    }]),
                    ports: Some(ports),
                }]),
                egress: None,
            },
        ));
    }
    policies
}
