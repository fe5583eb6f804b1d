//! The bench's Jobs, resolved: which run, what each does, and where its
//! secrets come from.
//!
//! A Job is described by its [`Task`] (typed: sites, apps, flags) rather than
//! by a script; the script is rendered from `templates/` when the object is
//! built. Secrets are only ever referenced ([`SecretRef`]): the scripts read
//! them from the environment, and the pod spec holds a `secretKeyRef`.

use k8s_openapi::api::core::v1::{Affinity, Container, EnvVar, ResourceRequirements, Toleration, Volume};

mod credentials;
pub mod cron;
mod tasks;

use super::k8s;
use super::report::Reporter;
use super::routing::Ingress;
use crate::diagnostic::Code;
use crate::values::{DbType, JobPod, Jobs, Spanned, StringMap, Values};
use credentials::Credentials;

/// A Job (or, with a schedule, a CronJob) to render.
#[derive(Debug, Clone)]
pub struct BenchJob {
    pub task: Task,
    /// `jobName`, when the user pinned one.
    pub pinned_name: Option<String>,
    pub backoff_limit: i32,
    pub resources: ResourceRequirements,
    pub node_selector: StringMap,
    pub tolerations: Vec<Toleration>,
    pub affinity: Option<Affinity>,
    /// A cron schedule: render a CronJob instead of a Job.
    pub schedule: Option<String>,
}

/// What a Job does.
#[derive(Debug, Clone)]
pub enum Task {
    /// Write database and Redis settings into `common_site_config.json`.
    Configure {
        rds: bool,
        /// With KEDA: the bench id its triggers expect, which configure checks no
        /// `bench_id` in `common_site_config.json` overrides.
        bench_id: Option<String>,
        /// `keep_backups_for_hours` for `common_site_config.json`: the local
        /// backups' `retainDays` in hours. Every `bench backup` deletes the
        /// site's backups older than that, 24 hours when it is not set
        /// (frappe/utils/backups.py `new_backup` → `delete_temp_backups`).
        keep_backups_for_hours: Option<u64>,
        fix_volume: bool,
        env: Vec<EnvVar>,
        command: Option<Vec<String>>,
        args: Option<Vec<String>>,
    },
    /// `chown -R` over the bench to the user the bench runs as, as root.
    VolumePermissions,
    /// `bench new-site` for each site.
    CreateSites {
        sites: Vec<SiteToCreate>,
        force: bool,
        db_type: DbType,
        db_root_user: String,
        db_root_password: SecretRef,
        admin_password: SecretRef,
    },
    /// `bench drop-site` for each site.
    DropSites {
        sites: Vec<String>,
        force: bool,
        /// Without it, `--no-backup`.
        backup: bool,
        db_root_user: String,
        db_root_password: SecretRef,
    },
    /// `bench backup` for each site (`all` for every site), and the upload
    /// of the files it wrote.
    Backup {
        sites: Vec<String>,
        with_files: bool,
        retain_days: Option<u32>,
        s3: Option<S3Target>,
    },
    /// `bench --site … restore` of one backup, once per request.
    Restore(Box<Restore>),
    /// The first step of an upgrade, for each site: maintenance mode on, a
    /// backup when `backup_first`, `bench migrate`, and the stamp that says
    /// which image the site was migrated with, then maintenance mode off
    /// (Frappe answers 503 in maintenance mode, probes too: the new pods
    /// could not become Ready). A failed migrate leaves it on. First of all
    /// it refuses to start while a site it does not list is on the sites
    /// volume: no upgrade would migrate that one.
    Migrate {
        sites: Vec<String>,
        skip_failing: bool,
        /// `bench backup` before migrate: `Some(with_files)`.
        backup_first: Option<bool>,
        /// Waits for the one-off backup Job of its image, which runs at the
        /// same time when a phase is applied at once.
        after_backup: bool,
        /// The sites the drop-site Job drops, which runs at the same time
        /// when a phase is applied at once: not left behind, on their way
        /// out.
        dropped: Vec<String>,
    },
    /// The last step of an upgrade, after the Deployments rolled: each
    /// site's caches cleared, the shared `assets_json` key included.
    ClearCache {
        /// The migrated sites, or `all`.
        sites: Vec<String>,
        /// Waits for each site's migrate stamp (fails on a failed one).
        after_migrate: bool,
        /// `FLUSHDB` on the cache Redis.
        redis_flush: bool,
    },
    /// The user's own containers.
    Custom {
        labels: StringMap,
        init_containers: Vec<Container>,
        containers: Vec<Container>,
        restart_policy: String,
        volumes: Vec<Volume>,
    },
}

/// When a Job runs again: its name ends in a hash of what this covers, and a
/// new name is a new Job, which Kubernetes runs. [`Task::reruns_on`] says it
/// for every task, in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rerun {
    /// Its pod (image included) and the bench's configuration data: the
    /// configure Job writes those settings, and `apps.txt` from the image.
    PodAndSettings,
    /// Its pod, image included: what it does depends on the release it runs.
    Pod,
    /// Its pod without the image: what it does depends on the sites'
    /// definition (names, apps, database), never on the release. Kubernetes
    /// does not let a Job's pod template change, so such a Job deletes itself
    /// a while after it finished, before a new image could meet it.
    PodWithoutImage,
}

impl Task {
    /// What makes this task's Job run again.
    pub fn reruns_on(&self) -> Rerun {
        match self {
            // New settings, or a new image with other apps in `apps/`.
            Task::Configure { .. } => Rerun::PodAndSettings,
            // A new release brings patches to run, and assets and pages
            // that the caches must not mix with the old ones.
            Task::Migrate { .. } | Task::ClearCache { .. } => Rerun::Pod,
            // A one-off backup is taken once per release (and when what it
            // backs up changes): a backup from before each upgrade is what a
            // failed migrate needs. Scheduled backups are CronJobs, not named
            // by hash.
            Task::Backup { .. } => Rerun::Pod,
            // Sites and their apps, the database they go to, and `--force`;
            // the restore request (which its stamp keeps from running twice).
            Task::CreateSites { .. } | Task::DropSites { .. } | Task::Restore(_) => Rerun::PodWithoutImage,
            // Ownership does not change with a release, but repeating the
            // chown does no harm, and a name with the image lets the Job's
            // template change without waiting for it to leave.
            Task::VolumePermissions => Rerun::Pod,
            // The user's containers name their own images.
            Task::Custom { .. } => Rerun::Pod,
        }
    }

    /// Whether stopping the Job part-way leaves a site half changed: a
    /// migrate, restore, creation or drop cut off leaves the site in
    /// maintenance mode, half migrated or half made, and its Job does not
    /// retry. Its pod asks node autoscalers not to take its node away
    /// meanwhile ([`crate::objects::job`]).
    pub fn changes_a_site(&self) -> bool {
        matches!(
            self,
            Task::Migrate { .. } | Task::Restore(_) | Task::CreateSites { .. } | Task::DropSites { .. }
        )
    }

    /// The part of the Job's name that says what it does.
    pub fn name(&self) -> &'static str {
        match self {
            Task::Configure { .. } => "configure",
            Task::VolumePermissions => "volume-permissions",
            Task::CreateSites { .. } => "create-site",
            Task::DropSites { .. } => "drop-site",
            Task::Backup { .. } => "backup",
            Task::Migrate { .. } => "migrate",
            Task::ClearCache { .. } => "clear-cache",
            Task::Restore(_) => "restore",
            Task::Custom { .. } => "custom",
        }
    }
}

/// The longest task name, for name-length checks.
pub const LONGEST_TASK_NAME: &str = "volume-permissions";

/// How many hex digits of its hash a Job's name `<fullname>-<task>-<hash>`
/// carries ([`crate::objects::job`] names Jobs).
pub const NAME_HASH_DIGITS: usize = 8;

/// The longest suffix a Job name adds to the full name, for name-length checks.
pub const NAME_SUFFIX_LEN: usize = 1 + LONGEST_TASK_NAME.len() + 1 + NAME_HASH_DIGITS;

/// Where backups are copied beyond the sites volume: S3-compatible
/// storage, reached with the AWS CLI image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Target {
    pub bucket: String,
    pub endpoint: Option<String>,
    pub region: String,
    /// `<prefix>/` before `<site>/<file>`; empty for none.
    pub prefix: String,
    pub access_key_id: SecretRef,
    pub secret_access_key: SecretRef,
    pub retain_days: Option<u32>,
    pub image: String,
}

/// A confirmed restore.
#[derive(Debug, Clone)]
pub struct Restore {
    pub site: String,
    /// File names in the site's `private/backups` (or objects in the bucket).
    pub database: String,
    pub public_files: Option<String>,
    pub private_files: Option<String>,
    /// Download the files from there first.
    pub from_s3: Option<S3Target>,
    pub allow_downgrade: bool,
    /// What identifies the request: a hash of everything above and the
    /// values' `requestId`. The Job records it on the sites volume, and
    /// never runs a request it recorded.
    pub request: String,
    pub db_root_user: String,
    pub db_root_password: SecretRef,
}

/// A key of a Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub name: String,
    pub key: String,
}

/// What the Jobs add to the bench's own Secret: the Administrator password
/// when the values write it. (The database root password the values write
/// goes into the Secret whether or not a Job uses it.)
#[derive(Debug, Default)]
pub struct InlineSecrets {
    pub admin_password: Option<String>,
}

/// A site of the create-site Job.
#[derive(Debug, Clone)]
pub struct SiteToCreate {
    pub name: String,
    /// The apps to install on it, new or not.
    pub apps: Vec<String>,
    /// The `host_name` its config gets when it has none: Frappe builds the
    /// links of whatever runs outside a request (the scheduler's and the
    /// workers' emails) from it, and without it from `http://` and the
    /// site's name (`get_url`, frappe/utils/data.py). Set when the Ingress
    /// serves the site over TLS.
    pub host_name: Option<String>,
}

pub const DB_ROOT_PASSWORD_KEY: &str = "db-root-password";
pub const ADMIN_PASSWORD_KEY: &str = "admin-password";

/// The Jobs the values enable, in the chart's order, and what they add to
/// the bench's Secret.
pub fn resolve(
    values: &Values,
    fullname: &str,
    db_type: DbType,
    bench_id: Option<&str>,
    https_ingress: Option<&Ingress>,
    report: &mut Reporter<'_>,
) -> (Vec<BenchJob>, InlineSecrets) {
    let jobs = &values.jobs;
    let mut credentials = Credentials::new(values, fullname, db_type);
    let backup = tasks::backup(jobs, report);
    let backup_s3 = match backup.as_ref().map(|b| &b.task) {
        Some(Task::Backup { s3, .. }) => s3.as_ref(),
        _ => None,
    };
    let restore = tasks::restore(jobs, backup_s3, &mut credentials, report);
    let one_off_backup = backup.as_ref().is_some_and(|b| b.schedule.is_none());
    let migrate = tasks::migrate(jobs, one_off_backup, report);
    let clear_cache = tasks::clear_cache(jobs, migrate.as_ref(), report);
    let keep_backups_for_hours = match backup.as_ref().map(|b| &b.task) {
        Some(Task::Backup { retain_days, .. }) => retain_days.map(|days| u64::from(days) * 24),
        _ => None,
    };
    let resolved: Vec<BenchJob> = [
        tasks::configure(values, bench_id, keep_backups_for_hours, report),
        tasks::volume_permissions(jobs, report),
        tasks::create_sites(jobs, db_type, https_ingress, &mut credentials, report),
        tasks::drop_sites(jobs, &mut credentials, report),
        backup,
        restore,
        tasks::custom(jobs, report),
        migrate,
        clear_cache,
    ]
    .into_iter()
    .flatten()
    .collect();
    check_job_pods(jobs, report);
    check_dropped_sites(jobs, &resolved, report);
    check_unmigrated_sites(jobs, &resolved, report);
    (resolved, credentials.into_inline())
}

/// A Job of `task`, with the pod keys its values give.
fn bench_job(pod: JobPod<'_>, task: Task, schedule: Option<String>) -> BenchJob {
    BenchJob {
        task,
        pinned_name: pod.job_name.as_deref().filter(|n| !n.is_empty()).map(str::to_owned),
        backoff_limit: **pod.backoff_limit,
        resources: (**pod.resources).clone(),
        node_selector: (**pod.node_selector).clone(),
        tolerations: pod.tolerations.to_vec(),
        affinity: pod.affinity.as_ref().cloned(),
        schedule,
    }
}

/// A site the drop-site Job drops must not be one another Job acts on. The
/// drop-site Job runs again at every apply once it deleted itself
/// ([`crate::objects::job::FINISHED_JOB_TTL`]) and at every Argo CD sync (a
/// Sync hook), in the wave of site creation, and drops the site whenever it
/// exists; migrate, backup and restore wait for a site that is gone.
fn check_dropped_sites(jobs: &Jobs, resolved: &[BenchJob], report: &mut Reporter<'_>) {
    if !resolved.iter().any(|job| matches!(job.task, Task::DropSites { .. })) {
        return;
    }
    // The single-site Job wins, as in `tasks::drop_sites`.
    let dropped: Vec<&Spanned<String>> = if *jobs.drop_site.enabled {
        vec![&jobs.drop_site.site_name]
    } else {
        jobs.drop_multiple_sites.sites.iter().map(|site| &site.name).collect()
    };
    for site in dropped {
        let users: Vec<&str> = resolved
            .iter()
            .filter(|job| acts_on(&job.task, site))
            .map(|job| job.task.name())
            .collect();
        if let Some(first) = users.first() {
            report
                .at(
                    Code::DroppedSite,
                    site,
                    format!("the drop-site Job drops `{}`, which the {first} Job acts on", **site),
                )
                .with_help("drop-site runs again at every Argo CD sync, and at every apply once it deleted itself (10 minutes after it finished), and drops the site whenever it exists: take the site out of the drop list once it is dropped, or out of the other Jobs");
        }
    }
}

/// A site the create-site or restore Job makes must be one the migrate Job
/// migrates, when there is one: it migrates only the sites it lists (the
/// pods wait for each one's stamp), and the next image's gunicorn, workers
/// and scheduler would run on an unlisted site's old schema. The migrate Job
/// refuses to start while such a site is on the volume (`migrate.sh`).
fn check_unmigrated_sites(jobs: &Jobs, resolved: &[BenchJob], report: &mut Reporter<'_>) {
    let Some(migrated) = resolved.iter().find_map(|job| match &job.task {
        Task::Migrate { sites, .. } => Some(sites),
        _ => None,
    }) else {
        return;
    };
    let runs = |name: &str| resolved.iter().any(|job| job.task.name() == name);
    // The single-site Jobs win, as in `tasks`.
    let mut made: Vec<(&Spanned<String>, &str)> = Vec::new();
    if runs("create-site") {
        if *jobs.create_site.enabled {
            made.push((&jobs.create_site.site_name, "create-site"));
        } else {
            made.extend(jobs.create_multiple_sites.sites.iter().map(|site| (&site.name, "create-site")));
        }
    }
    if runs("restore") {
        made.push((&jobs.restore.site_name, "restore"));
    }
    let help = if *jobs.migrate.enabled {
        "`jobs.migrate` migrates one site: enable `jobs.migrateMultipleSites` instead (and turn `jobs.migrate` off), with every site under its `sites`"
            .to_owned()
    } else {
        "add it to `jobs.migrateMultipleSites.sites`".to_owned()
    };
    for (site, job) in made {
        if !migrated.iter().any(|name| name == &**site) {
            report
                .at(
                    Code::UnmigratedSite,
                    site,
                    format!(
                        "the {job} Job makes `{}`, which the migrate Job does not migrate: after an upgrade the new image would run on its old schema",
                        **site
                    ),
                )
                .with_help(help.clone());
        }
    }
}

/// Whether a task creates, migrates, backs up or restores the site by name.
fn acts_on(task: &Task, site: &str) -> bool {
    match task {
        Task::CreateSites { sites, .. } => sites.iter().any(|s| s.name == site),
        Task::Migrate { sites, .. } | Task::Backup { sites, .. } => sites.iter().any(|s| s == site),
        Task::Restore(restore) => restore.site == site,
        _ => false,
    }
}

/// The keys every enabled Job has: retries and a pinned name.
fn check_job_pods(jobs: &Jobs, report: &mut Reporter<'_>) {
    for pod in jobs.all() {
        if !**pod.enabled {
            continue;
        }
        if **pod.backoff_limit < 0 {
            report.at(Code::InvalidValue, pod.backoff_limit, "`backoffLimit` cannot be negative");
        }
        if let Some(name) = pod.job_name.as_deref().filter(|n| !n.is_empty())
            && !k8s::is_dns1123_label(name)
        {
            report.at(
                Code::InvalidName,
                pod.job_name,
                format!("`{name}` is not a valid Job name (a DNS-1123 label of at most 63 characters)"),
            );
        }
    }
}
