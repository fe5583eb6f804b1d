//! Volumes for the sites directory and the logs.

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Spanned;

/// Volumes shared by the bench's pods.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Persistence {
    /// The sites directory, mounted by every pod. Must be ReadWriteMany:
    /// every component mounts it at once, on different nodes.
    #[schemars(extend("allOf" = [{"properties": {"enabled": {"const": true, "description": "Must be true: as an emptyDir, one per pod, the sites directory shares nothing between the bench's pods and Jobs (`unshared-sites`)."}}}]))]
    pub worker: Volume,
    /// The logs directory. Off by default (logs then go to an emptyDir).
    pub logs: Volume,
}

impl Default for Persistence {
    fn default() -> Self {
        Persistence {
            worker: Volume::default(),
            logs: Volume {
                enabled: Spanned::new(false),
                ..Volume::default()
            },
        }
    }
}

/// A PersistentVolumeClaim, or an existing one.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Volume {
    /// Keep the data on a PersistentVolumeClaim (an emptyDir otherwise).
    pub enabled: Spanned<bool>,
    /// Use this existing claim instead of rendering one.
    #[serde(skip_serializing_if = "Spanned::is_none")]
    pub existing_claim: Spanned<Option<String>>,
    /// Requested size, e.g. `8Gi`.
    pub size: Spanned<Quantity>,
    /// Storage class. Default: the cluster's default class. It must offer
    /// ReadWriteMany (EFS, Filestore, Azure Files, NFS, CephFS…).
    #[serde(skip_serializing_if = "Spanned::is_none")]
    pub storage_class: Spanned<Option<String>>,
    /// Access modes of the claim.
    #[schemars(extend("items" = {"enum": super::forms::ACCESS_MODES}))]
    pub access_modes: Spanned<Vec<String>>,
}

impl Default for Volume {
    fn default() -> Self {
        Volume {
            enabled: Spanned::new(true),
            existing_claim: Spanned::default(),
            size: Spanned::new(Quantity("8Gi".to_owned())),
            storage_class: Spanned::default(),
            access_modes: Spanned::new(vec!["ReadWriteMany".to_owned()]),
        }
    }
}
