//! The ServiceAccount, the Secret, the ConfigMaps and the PersistentVolumeClaims.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{
    ConfigMap, PersistentVolumeClaim, PersistentVolumeClaimSpec, Secret, ServiceAccount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{Manifest, common_labels, meta};
use crate::model::{Bench, ClaimSpec, Volume};

pub fn build(bench: &Bench) -> Vec<Manifest> {
    let names = &bench.names;
    let mut manifests = Vec::new();
    if bench.create_service_account {
        manifests.push(Manifest::ServiceAccount(Box::new(ServiceAccount {
            metadata: meta(names, bench.service_account.clone(), common_labels(names)),
            // Pods do not talk to the API server; see the pods' own setting.
            automount_service_account_token: Some(false),
            ..Default::default()
        })));
    }
    if let Some(data) = &bench.secret {
        manifests.push(Manifest::Secret(Box::new(Secret {
            metadata: meta(names, names.fullname.clone(), common_labels(names)),
            type_: Some("Opaque".to_owned()),
            data: Some(data.iter().map(|(k, v)| (k.clone(), ByteString(v.clone().into_bytes()))).collect()),
            ..Default::default()
        })));
    }
    manifests.push(Manifest::ConfigMap(Box::new(ConfigMap {
        metadata: meta(names, config_map_name(bench), common_labels(names)),
        data: Some(bench.config.clone()),
        ..Default::default()
    })));
    if let Some(config) = &bench.nginx_config {
        manifests.push(Manifest::ConfigMap(Box::new(ConfigMap {
            metadata: meta(names, nginx_config_name(bench), common_labels(names)),
            data: Some(BTreeMap::from([("default.conf".to_owned(), config.clone())])),
            ..Default::default()
        })));
    }
    for volume in [&bench.sites, &bench.logs] {
        if let Volume::Claim {
            claim_name,
            create: Some(spec),
        } = volume
        {
            manifests.push(Manifest::PersistentVolumeClaim(Box::new(claim(bench, claim_name, spec))));
        }
    }
    manifests
}

/// The ConfigMap holding database and Redis settings.
pub fn config_map_name(bench: &Bench) -> String {
    bench.names.object("config")
}

/// The ConfigMap holding a custom nginx configuration.
pub fn nginx_config_name(bench: &Bench) -> String {
    bench.names.object("nginx-config")
}

/// Argo CD's sync options on every claim the bundle makes: never pruned and
/// never deleted with its Application. The sites volume holds every site's
/// files and backups, and a dynamically provisioned volume usually goes with
/// its claim (reclaim policy `Delete`): a claim the bundle stops rendering (a
/// new `release` name, an `existingClaim` set) would otherwise be pruned, and
/// a cascading delete of the Application (by hand, or an ApplicationSet that
/// drops the bench) would take it too. Argo CD's sync-options.md, "No Resource
/// Deletion": "e.g. for Persistent Volume Claims". Inert for kubectl.
const KEEP_ON_PRUNE_AND_DELETE: (&str, &str) = ("argocd.argoproj.io/sync-options", "Prune=false,Delete=false");

fn claim(bench: &Bench, name: &str, spec: &ClaimSpec) -> PersistentVolumeClaim {
    let (key, options) = KEEP_ON_PRUNE_AND_DELETE;
    PersistentVolumeClaim {
        metadata: ObjectMeta {
            annotations: Some(BTreeMap::from([(key.to_owned(), options.to_owned())])),
            ..meta(&bench.names, name, common_labels(&bench.names))
        },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(spec.access_modes.clone()),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([("storage".to_owned(), Quantity(spec.size.clone()))])),
                limits: None,
            }),
            // Left out when not given, so the cluster's default class is used.
            storage_class_name: spec.storage_class.clone(),
            ..Default::default()
        }),
        ..Default::default()
    }
}
