//! KEDA objects for workers that scale on their queue's length
//! (`worker.<queue>.autoscaling.keda`). KEDA's kinds are CRDs that k8s-openapi
//! does not cover, so the few fields we emit are typed here; they are
//! rendered only when asked for, so a cluster without KEDA never sees them.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::{Manifest, common_labels, meta};
use crate::model::Bench;
use crate::model::component::{Component, KedaScaler};
use crate::model::label;

/// The ScaledObject of a worker, and the TriggerAuthentication holding its
/// Redis password when it needs one.
pub fn build(bench: &Bench, component: &Component, scaler: &KedaScaler) -> Vec<Manifest> {
    let names = &bench.names;
    let name = names.deployment(component.kind);
    let mut labels = common_labels(names);
    labels.insert(label::COMPONENT.to_owned(), component.kind.suffix().to_owned());
    let mut trigger_metadata = BTreeMap::from([
        ("address".to_owned(), scaler.address.clone()),
        ("listName".to_owned(), scaler.list_name.clone()),
        ("listLength".to_owned(), scaler.list_length.to_string()),
        ("databaseIndex".to_owned(), scaler.database.to_string()),
    ]);
    if scaler.tls {
        trigger_metadata.insert("enableTLS".to_owned(), "true".to_owned());
    }
    // An ACL user is no secret; KEDA's redis scaler reads `username` from
    // the trigger's metadata (and the password from the TriggerAuthentication).
    if let Some(user) = &scaler.username {
        trigger_metadata.insert("username".to_owned(), user.clone());
    }
    let authentication = scaler.password.as_ref().map(|secret| TriggerAuthentication {
        api_version: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: meta(names, format!("{name}-redis"), labels.clone()),
        spec: TriggerAuthenticationSpec {
            secret_target_ref: vec![SecretTargetRef {
                parameter: "password",
                name: secret.name.clone(),
                key: secret.key.clone(),
            }],
        },
    });
    let scaled = ScaledObject {
        api_version: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: meta(names, name.clone(), labels),
        spec: ScaledObjectSpec {
            scale_target_ref: ScaleTargetRef { name },
            min_replica_count: scaler.min_replicas,
            max_replica_count: scaler.max_replicas,
            polling_interval: scaler.polling_interval,
            cooldown_period: scaler.cooldown_period,
            advanced: Advanced {
                restore_to_original_replica_count: true,
            },
            triggers: vec![Trigger {
                type_: "redis",
                metadata: trigger_metadata,
                authentication_ref: authentication.as_ref().map(|a| AuthenticationRef {
                    name: a.metadata.name.clone().unwrap_or_default(),
                }),
            }],
        },
    };
    let mut manifests = vec![Manifest::ScaledObject(Box::new(scaled))];
    manifests.extend(authentication.map(|a| Manifest::TriggerAuthentication(Box::new(a))));
    manifests
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaledObject {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: ScaledObjectSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaledObjectSpec {
    pub scale_target_ref: ScaleTargetRef,
    pub min_replica_count: i32,
    pub max_replica_count: i32,
    pub polling_interval: i32,
    pub cooldown_period: i32,
    pub advanced: Advanced,
    pub triggers: Vec<Trigger>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Advanced {
    /// When the ScaledObject is deleted (KEDA turned off in the values and
    /// pruned, or deleted by hand), KEDA scales the worker back to the
    /// replicas it had before KEDA scaled it (`status.originalReplicaCount`),
    /// rather than leave it where KEDA left it: with `minReplicas: 0`, at
    /// none, where an HPA that replaces KEDA never scales it (the HPA
    /// controller disables itself on a target at zero replicas,
    /// `ScalingDisabled`), and the queue's jobs would run nowhere.
    pub restore_to_original_replica_count: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScaleTargetRef {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trigger {
    #[serde(rename = "type")]
    pub type_: &'static str,
    pub metadata: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_ref: Option<AuthenticationRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthenticationRef {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerAuthentication {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: TriggerAuthenticationSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerAuthenticationSpec {
    pub secret_target_ref: Vec<SecretTargetRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretTargetRef {
    pub parameter: &'static str,
    pub name: String,
    pub key: String,
}
