//! Kubernetes objects, built from the validated [`Bench`].
//!
//! Each object is a k8s-openapi struct literal in one obvious place:
//! [`workload`] (Deployments, Services, HPAs, PodDisruptionBudgets),
//! [`keda`] (ScaledObjects), [`storage`] (ServiceAccount, Secret,
//! ConfigMaps, PVCs), [`job`] (the Jobs and the backup CronJob, with their
//! scripts from [`crate::templates`], and the PodDisruptionBudgets of the
//! Jobs that change a site), [`routing`] (Ingress, HTTPRoute) and
//! [`network`] (NetworkPolicies). Small helpers ([`meta`], [`common_labels`]) keep the
//! literals short. Objects come out in helm's install order, so `kubectl
//! apply` creates what pods need before the pods.

pub mod job;
pub mod keda;
pub mod network;
pub mod routing;
pub mod storage;
pub mod workload;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Bench, Names, k8s, label};

/// One object of the bundle. Every variant is boxed: k8s-openapi structs
/// are kilobytes each (a `Volume` alone is 3 KiB), and a list of unboxed
/// objects, grown and then sorted, was a third of a render's heap.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Manifest {
    NetworkPolicy(Box<NetworkPolicy>),
    PodDisruptionBudget(Box<PodDisruptionBudget>),
    ServiceAccount(Box<ServiceAccount>),
    Secret(Box<Secret>),
    ConfigMap(Box<ConfigMap>),
    PersistentVolumeClaim(Box<PersistentVolumeClaim>),
    Service(Box<Service>),
    Deployment(Box<Deployment>),
    HorizontalPodAutoscaler(Box<HorizontalPodAutoscaler>),
    TriggerAuthentication(Box<keda::TriggerAuthentication>),
    ScaledObject(Box<keda::ScaledObject>),
    Job(Box<Job>),
    CronJob(Box<CronJob>),
    Ingress(Box<Ingress>),
    HttpRoute(Box<routing::HttpRoute>),
}

impl Manifest {
    pub fn kind(&self) -> &'static str {
        match self {
            Manifest::NetworkPolicy(_) => "NetworkPolicy",
            Manifest::PodDisruptionBudget(_) => "PodDisruptionBudget",
            Manifest::ServiceAccount(_) => "ServiceAccount",
            Manifest::Secret(_) => "Secret",
            Manifest::ConfigMap(_) => "ConfigMap",
            Manifest::PersistentVolumeClaim(_) => "PersistentVolumeClaim",
            Manifest::Service(_) => "Service",
            Manifest::Deployment(_) => "Deployment",
            Manifest::HorizontalPodAutoscaler(_) => "HorizontalPodAutoscaler",
            Manifest::TriggerAuthentication(_) => "TriggerAuthentication",
            Manifest::ScaledObject(_) => "ScaledObject",
            Manifest::Job(_) => "Job",
            Manifest::CronJob(_) => "CronJob",
            Manifest::Ingress(_) => "Ingress",
            Manifest::HttpRoute(_) => "HTTPRoute",
        }
    }

    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Manifest::NetworkPolicy(o) => &o.metadata,
            Manifest::PodDisruptionBudget(o) => &o.metadata,
            Manifest::ServiceAccount(o) => &o.metadata,
            Manifest::Secret(o) => &o.metadata,
            Manifest::ConfigMap(o) => &o.metadata,
            Manifest::PersistentVolumeClaim(o) => &o.metadata,
            Manifest::Service(o) => &o.metadata,
            Manifest::Deployment(o) => &o.metadata,
            Manifest::HorizontalPodAutoscaler(o) => &o.metadata,
            Manifest::TriggerAuthentication(o) => &o.metadata,
            Manifest::ScaledObject(o) => &o.metadata,
            Manifest::Job(o) => &o.metadata,
            Manifest::CronJob(o) => &o.metadata,
            Manifest::Ingress(o) => &o.metadata,
            Manifest::HttpRoute(o) => &o.metadata,
        }
    }

    pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
        match self {
            Manifest::NetworkPolicy(o) => &mut o.metadata,
            Manifest::PodDisruptionBudget(o) => &mut o.metadata,
            Manifest::ServiceAccount(o) => &mut o.metadata,
            Manifest::Secret(o) => &mut o.metadata,
            Manifest::ConfigMap(o) => &mut o.metadata,
            Manifest::PersistentVolumeClaim(o) => &mut o.metadata,
            Manifest::Service(o) => &mut o.metadata,
            Manifest::Deployment(o) => &mut o.metadata,
            Manifest::HorizontalPodAutoscaler(o) => &mut o.metadata,
            Manifest::TriggerAuthentication(o) => &mut o.metadata,
            Manifest::ScaledObject(o) => &mut o.metadata,
            Manifest::Job(o) => &mut o.metadata,
            Manifest::CronJob(o) => &mut o.metadata,
            Manifest::Ingress(o) => &mut o.metadata,
            Manifest::HttpRoute(o) => &mut o.metadata,
        }
    }

    /// The `app.kubernetes.io/component` label: a Deployment's component or a Job's task.
    pub fn component(&self) -> Option<&str> {
        self.metadata().labels.as_ref()?.get(label::COMPONENT).map(String::as_str)
    }

    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }

    /// Where the object goes in the stream: helm's install order, then by name.
    pub fn stream_order(&self) -> (u8, &str) {
        (self.install_rank(), self.name())
    }

    /// Helm's install order: what others depend on first.
    fn install_rank(&self) -> u8 {
        // Helm's install order: policies first, so that no pod runs unfenced,
        // then what pods need, then the pods, then what points at them.
        match self {
            Manifest::NetworkPolicy(_) => 0,
            Manifest::PodDisruptionBudget(_) => 1,
            Manifest::ServiceAccount(_) => 2,
            Manifest::Secret(_) => 3,
            Manifest::ConfigMap(_) => 4,
            Manifest::PersistentVolumeClaim(_) => 5,
            Manifest::Service(_) => 6,
            Manifest::Deployment(_) => 7,
            Manifest::HorizontalPodAutoscaler(_) => 8,
            Manifest::TriggerAuthentication(_) => 9,
            Manifest::ScaledObject(_) => 10,
            Manifest::Job(_) => 11,
            Manifest::CronJob(_) => 12,
            Manifest::Ingress(_) => 13,
            Manifest::HttpRoute(_) => 14,
        }
    }
}

/// Every object of the bench, in install order (then by name, as helm sorts).
pub fn build(bench: Bench) -> Vec<Manifest> {
    let mut manifests = Vec::new();
    build_each(bench, |manifest| manifests.push(manifest));
    manifests.sort_by(|a, b| a.stream_order().cmp(&b.stream_order()));
    manifests
}

/// Builds every object and hands each to `each` as soon as it is built, in
/// no particular order: a caller that writes each one out and drops it never
/// holds more than a component's objects at once.
///
/// The bench is used up: what only a component's own objects hold (its
/// containers, env, probes, resources, scheduling) moves into them instead
/// of being copied, most of a Deployment. So the components are taken out
/// last, after everything that reads them all (routes, policies).
pub fn build_each(mut bench: Bench, mut each: impl FnMut(Manifest)) {
    storage::build(&bench).into_iter().for_each(&mut each);
    bench.jobs.iter().flat_map(|j| job::build(&bench, j)).for_each(&mut each);
    routing::build(&bench).into_iter().for_each(&mut each);
    network::build(&bench).into_iter().for_each(&mut each);
    let wait_for_migrate = workload::wait_for_migrate(&bench);
    for component in std::mem::take(&mut bench.components) {
        workload::build(&bench, component, wait_for_migrate.as_ref())
            .into_iter()
            .for_each(&mut each);
    }
}

/// Labels every object carries: a copy of those the model built once.
pub fn common_labels(names: &Names) -> BTreeMap<String, String> {
    names.labels.clone()
}

/// Object metadata: name, namespace when one is set, and labels.
pub fn meta(names: &Names, name: impl Into<String>, labels: BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: names.namespace.clone(),
        labels: Some(labels),
        ..Default::default()
    }
}

/// Checks a generated object for what the API server would reject and the
/// values-level rules cannot see: names, and Deployments whose selector does
/// not select their own pods.
pub fn verify(manifest: &Manifest, problems: &mut Vec<Diagnostic>) {
    let name = manifest.name();
    let valid = match manifest {
        Manifest::Service(_) => k8s::is_dns1035_label(name),
        Manifest::Deployment(_) | Manifest::Job(_) | Manifest::CronJob(_) => k8s::is_dns1123_label(name),
        _ => k8s::is_dns1123_subdomain(name),
    };
    if !valid {
        problems.push(Diagnostic::new(
            Code::InvalidName,
            format!("the generated {} name `{name}` is not valid in Kubernetes", manifest.kind()),
        ));
    }
    for (key, value) in manifest.metadata().labels.iter().flatten() {
        let valid_key = label::ALL.contains(&key.as_str()) || k8s::is_qualified_name(key);
        if !valid_key || !k8s::is_label_value(value) {
            problems.push(Diagnostic::new(
                Code::InvalidLabel,
                format!("the label `{key}: {value}` of {} `{name}` is not valid", manifest.kind()),
            ));
        }
    }
    if let Manifest::Deployment(deployment) = manifest {
        let spec = deployment.spec.as_ref();
        let selector = spec.and_then(|s| s.selector.match_labels.as_ref());
        let pod_labels = spec.and_then(|s| s.template.metadata.as_ref()).and_then(|m| m.labels.as_ref());
        let selects_own_pods = selector.is_some_and(|selector| selector.iter().all(|(k, v)| pod_labels.and_then(|l| l.get(k)) == Some(v)));
        if !selects_own_pods {
            problems.push(Diagnostic::new(
                Code::InvalidLabel,
                format!("the selector of Deployment `{name}` does not match its pod template's labels"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_rejects_a_label_key_it_was_not_built_with() {
        let labels = BTreeMap::from([
            (label::NAME.to_owned(), "erpnext".to_owned()),
            ("bad key".to_owned(), "x".to_owned()),
        ]);
        let config_map = Manifest::ConfigMap(Box::new(ConfigMap {
            metadata: ObjectMeta {
                name: Some("erpnext-config".to_owned()),
                labels: Some(labels),
                ..Default::default()
            },
            ..Default::default()
        }));
        let mut problems = Vec::new();
        verify(&config_map, &mut problems);
        let codes: Vec<Code> = problems.iter().map(|p| p.code).collect();
        assert_eq!(codes, [Code::InvalidLabel]);
    }

    #[test]
    fn own_label_keys_are_qualified_names() {
        for key in label::ALL {
            assert!(k8s::is_qualified_name(key), "{key}");
        }
    }
}
