//! Keys of the official chart (erpnext 8.0.75) that this tool reads and
//! ignores on purpose, each with the reason its warning gives.
//!
//! A values file written for the chart carries them; they are neither typos
//! (`unknown-key`) nor settings this tool applies. Found by walking the
//! chart's `values.yaml` and every `.Values` reference of its templates; the
//! keys of the in-cluster data services are ignored by
//! [`DataService`](super::DataService) instead, and `jobs.clearCache` is not
//! here because it is a Job of its own. Adding a key is one entry: typing
//! ([`crate::de`]) warns about it instead of rejecting it, and the JSON Schema
//! ([`crate::schema`]) and the README list it.

/// A chart key that is ignored, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartOnlyKey {
    /// Its path in the values, as diagnostics name it.
    pub path: &'static str,
    /// What the chart does with it, and what this tool does instead.
    pub reason: &'static str,
}

/// Every chart-only key.
pub const CHART_ONLY_KEYS: &[ChartOnlyKey] = &[
    ChartOnlyKey {
        path: "worker.healthProbe",
        reason: "the chart's probe for workers and the scheduler, a `wait-for-it` bash script used wherever `override` is false. Here they have a readiness probe that checks the database and every Redis with `wait-for-it --strict` and no shell, and no liveness probe, so a Redis outage restarts no worker",
    },
    ChartOnlyKey {
        path: "jobs.createSite.annotations",
        reason: "the chart puts these on the site-creation Job object (not its pod). Here a Job's annotations are this tool's own: the Argo CD hook and sync wave that order it",
    },
    ChartOnlyKey {
        path: "jobs.createMultipleSites.annotations",
        reason: "the chart puts these on the site-creation Job object (not its pod). Here a Job's annotations are this tool's own: the Argo CD hook and sync wave that order it",
    },
    ChartOnlyKey {
        path: "jobs.createMultipleSites.siteName",
        reason: "the chart only copies it into the Job's `SITE_NAME` variable, which its script never reads; the sites created are those of `sites`",
    },
    ChartOnlyKey {
        path: "mariadbHost",
        reason: "older charts' database host; chart 8.0.75 reads it only in a helper that no template uses. Set `dbHost`",
    },
];

/// The chart-only key at `path`, if it is one.
pub fn chart_only_key(path: &str) -> Option<&'static ChartOnlyKey> {
    CHART_ONLY_KEYS.iter().find(|key| key.path == path)
}
