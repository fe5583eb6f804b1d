//! The upgrade order, for both kinds of users: which phase each object
//! belongs to (`render --phase`, for kubectl) and its sync wave (Argo CD).
//!
//! An upgrade is: maintenance mode on, a backup, `bench migrate` with the new
//! image and maintenance mode off (the migrate Job), then the Deployments
//! roll, then the caches are cleared (the clear-cache Job). The phases cut
//! the bundle there: `pre` is everything the migrate Job needs and the Jobs
//! that must come before it, `main` the rest, `post` the clear-cache Job.
//!
//! Argo CD gets the same order as sync waves of plain resources, Jobs
//! included: it applies a wave only once every resource of the waves before
//! is healthy, a Job being healthy when it completed, and a failed Job fails
//! the sync (gitops-engine `pkg/sync/sync_context.go`, non-hook tasks go
//! `OperationFailed` on `Degraded`). No Job of the upgrade is a hook: hooks
//! run on every sync, and a sync after a replica change must not put sites
//! in maintenance mode ([`crate::argocd::annotate`] says which Jobs are). A Job's name changes with what it does
//! ([`crate::objects::job`]), so a sync that changes nothing about it
//! leaves it alone, as `kubectl apply` does. Nor is anything a PreSync hook:
//! on the first install the Secret, ConfigMap and claim it needs do not exist
//! before the Sync phase.

use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;

use crate::objects::Manifest;

/// A phase of the upgrade order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Phase {
    /// What migrate needs, and the Jobs up to migrate: volume permissions,
    /// configure, site creation and drop, backup, restore, migrate (and the
    /// disruption budgets of those that change a site).
    Pre,
    /// Everything else: the Deployments, Services, autoscalers, routes,
    /// scheduled backups and custom Jobs.
    Main,
    /// Cache clearing, after the rollout.
    Post,
}

/// Where an object goes in the upgrade order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub phase: Phase,
    /// Its Argo CD sync wave.
    pub wave: i8,
}

/// The phase and wave of an object.
pub fn place(manifest: &Manifest) -> Place {
    let (phase, wave) = match manifest {
        // What every Job's pod needs, and the policies that fence it.
        Manifest::NetworkPolicy(_)
        | Manifest::ServiceAccount(_)
        | Manifest::Secret(_)
        | Manifest::ConfigMap(_)
        | Manifest::PersistentVolumeClaim(_) => (Phase::Pre, -5),
        // A Job's disruption budget, in force before the Job's pod runs.
        Manifest::PodDisruptionBudget(budget) if fences_a_job(budget) => (Phase::Pre, -5),
        Manifest::Job(_) => match manifest.component() {
            Some("volume-permissions") => (Phase::Pre, -4),
            Some("configure") => (Phase::Pre, -3),
            Some("create-site" | "drop-site") => (Phase::Pre, -2),
            // A restore before migrate, which then finds the site migrated
            // (the restore migrates what it restored).
            Some("backup" | "restore") => (Phase::Pre, -1),
            Some("migrate") => (Phase::Pre, 0),
            Some("clear-cache") => (Phase::Post, 2),
            _ => (Phase::Main, 1),
        },
        _ => (Phase::Main, 1),
    };
    Place { phase, wave }
}

/// The sync wave of each object of a bundle: its [`place`], but for a
/// PersistentVolumeClaim, which goes in the wave of the first pod that
/// mounts it. A claim of a `WaitForFirstConsumer` storage class stays
/// Pending until a pod uses it, and Argo CD counts a Pending claim as
/// Progressing (argo-cd#12840): in a wave of its own, before its first
/// consumer's, it would hold the sync for ever.
pub fn waves(manifests: &[Manifest]) -> Vec<i8> {
    manifests
        .iter()
        .map(|manifest| match manifest {
            Manifest::PersistentVolumeClaim(claim) => {
                let name = claim.metadata.name.as_deref().unwrap_or_default();
                manifests
                    .iter()
                    .filter(|other| pod_spec(other).is_some_and(|pod| mounts_claim(pod, name)))
                    .map(|other| place(other).wave)
                    .min()
                    .unwrap_or(place(manifest).wave)
            }
            _ => place(manifest).wave,
        })
        .collect()
}

/// Whether the budget is a Job's ([`crate::objects::job`]): it selects the
/// pods of a Job by the Job's name.
fn fences_a_job(budget: &PodDisruptionBudget) -> bool {
    let selector = budget.spec.as_ref().and_then(|spec| spec.selector.as_ref());
    selector
        .and_then(|selector| selector.match_labels.as_ref())
        .is_some_and(|labels| labels.contains_key(crate::objects::job::JOB_LABEL))
}

fn pod_spec(manifest: &Manifest) -> Option<&PodSpec> {
    match manifest {
        Manifest::Deployment(deployment) => deployment.spec.as_ref()?.template.spec.as_ref(),
        Manifest::Job(job) => job.spec.as_ref()?.template.spec.as_ref(),
        Manifest::CronJob(cron_job) => cron_job.spec.as_ref()?.job_template.spec.as_ref()?.template.spec.as_ref(),
        _ => None,
    }
}

fn mounts_claim(pod: &PodSpec, claim: &str) -> bool {
    pod.volumes.iter().flatten().any(|volume| {
        volume
            .persistent_volume_claim
            .as_ref()
            .is_some_and(|source| source.claim_name == claim)
    })
}
