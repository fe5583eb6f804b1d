//! The bench's one-off Jobs.

use k8s_openapi::api::core::v1::{Affinity, EnvVar, ResourceRequirements, Toleration};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::StringMap;

/// One-off Jobs of the bench.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Jobs {
    /// Writes the database and Redis settings into the bench's
    /// `common_site_config.json` on the sites volume.
    pub configure: ConfigureJob,
}

/// The configure Job.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ConfigureJob {
    /// Pin the Job's name. Default: derived from a hash of what the Job runs,
    /// so re-rendering the same values gives the same Job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_name: Option<String>,
    /// Render the Job.
    pub enabled: bool,
    /// Run a root init container that chowns the volumes to the frappe user
    /// (1000). Off by default here (the chart turns it on): the pod's `fsGroup`
    /// already gives the frappe user the volumes on most storage, and a root
    /// container breaks the restricted Pod Security Standard.
    pub fix_volume: bool,
    /// Retries before the Job is marked failed.
    pub backoff_limit: i32,
    /// CPU and memory of the Job's container.
    pub resources: ResourceRequirements,
    /// Node labels the Job's pod must run on.
    pub node_selector: StringMap,
    /// Taints the Job's pod tolerates.
    pub tolerations: Vec<Toleration>,
    /// Affinity of the Job's pod.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// Extra environment variables.
    pub env_vars: Vec<EnvVar>,
    /// Replaces the container's command (default: `bash -c`).
    pub command: Vec<String>,
    /// Replaces the container's arguments (default: the configure script).
    pub args: Vec<String>,
}

impl Default for ConfigureJob {
    fn default() -> Self {
        ConfigureJob {
            job_name: None,
            enabled: true,
            fix_volume: false,
            backoff_limit: 0,
            resources: ResourceRequirements::default(),
            node_selector: StringMap::new(),
            tolerations: Vec::new(),
            affinity: None,
            env_vars: Vec::new(),
            command: Vec::new(),
            args: Vec::new(),
        }
    }
}
