//! The bench's one-off Jobs: the chart's `jobs` keys, same meaning.
//!
//! Every Job shares its pod keys (name pin, retries, resources, placement);
//! the [`job!`] macro writes them once, as `component!` does for Deployments.

use k8s_openapi::api::core::v1::{Affinity, Container, EnvVar, ResourceRequirements, Toleration, Volume};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{DbType, Spanned, StringMap};

/// The keys every Job shares, borrowed from any Job.
pub struct JobPod<'a> {
    pub job_name: &'a Spanned<Option<String>>,
    pub enabled: &'a Spanned<bool>,
    pub backoff_limit: &'a Spanned<i32>,
    pub resources: &'a Spanned<ResourceRequirements>,
    pub node_selector: &'a Spanned<StringMap>,
    pub tolerations: &'a Spanned<Vec<Toleration>>,
    pub affinity: &'a Spanned<Option<Affinity>>,
}

macro_rules! job {
    (
        $(#[$meta:meta])*
        $name:ident (enabled: $enabled:literal) { $( $(#[$field_meta:meta])* $field:ident : $ty:ty = $default:expr, )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields, default)]
        pub struct $name {
            /// Pin the Job's name. Default: the full name, the Job's kind and a
            /// hash of what it does, so re-rendering the same values gives the
            /// same Job, and a change to what it does a new one (a new image
            /// reruns migrate, never site creation).
            #[serde(skip_serializing_if = "Spanned::is_none")]
            pub job_name: Spanned<Option<String>>,
            /// Render the Job.
            pub enabled: Spanned<bool>,
            /// Retries before the Job is marked failed.
            pub backoff_limit: Spanned<i32>,
            /// CPU and memory of the Job's container.
            pub resources: Spanned<ResourceRequirements>,
            /// Node labels the Job's pod must run on.
            pub node_selector: Spanned<StringMap>,
            /// Taints the Job's pod tolerates.
            pub tolerations: Spanned<Vec<Toleration>>,
            /// Affinity of the Job's pod.
            #[serde(skip_serializing_if = "Spanned::is_none")]
            pub affinity: Spanned<Option<Affinity>>,
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    job_name: Spanned::default(),
                    enabled: Spanned::new($enabled),
                    backoff_limit: Spanned::new(0),
                    resources: Spanned::default(),
                    node_selector: Spanned::default(),
                    tolerations: Spanned::default(),
                    affinity: Spanned::default(),
                    $( $field: $default, )*
                }
            }
        }

        impl $name {
            pub fn pod(&self) -> JobPod<'_> {
                JobPod {
                    job_name: &self.job_name,
                    enabled: &self.enabled,
                    backoff_limit: &self.backoff_limit,
                    resources: &self.resources,
                    node_selector: &self.node_selector,
                    tolerations: &self.tolerations,
                    affinity: &self.affinity,
                }
            }
        }
    };
}

/// One-off Jobs of the bench.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Jobs {
    /// Writes the database and Redis settings into the bench's
    /// `common_site_config.json` on the sites volume. On by default.
    pub configure: Spanned<ConfigureJob>,
    /// Runs `chown -R` over the bench directory as root, to the user the
    /// bench runs as (as `configure.fixVolume`). Breaks the restricted Pod
    /// Security Standard; only for volumes that ignore `fsGroup`.
    pub volume_permissions: Spanned<VolumePermissionsJob>,
    /// Creates one site (`bench new-site`). Takes precedence over `createMultipleSites`.
    pub create_site: Spanned<CreateSiteJob>,
    /// Creates several sites, each with its apps.
    pub create_multiple_sites: Spanned<CreateMultipleSitesJob>,
    /// Drops one site. Takes precedence over `dropMultipleSites`.
    pub drop_site: Spanned<DropSiteJob>,
    /// Drops several sites.
    pub drop_multiple_sites: Spanned<DropMultipleSitesJob>,
    /// Backs up one site (`bench backup`), once or on a schedule. Takes
    /// precedence over `backupMultipleSites`.
    pub backup: Spanned<BackupJob>,
    /// Backs up several sites.
    pub backup_multiple_sites: Spanned<BackupMultipleSitesJob>,
    /// Migrates one site after an upgrade (`bench migrate`), in maintenance
    /// mode. Takes precedence over `migrateMultipleSites`.
    pub migrate: Spanned<MigrateJob>,
    /// Migrates several sites, one after the other.
    pub migrate_multiple_sites: Spanned<MigrateMultipleSitesJob>,
    /// Clears the caches after the Deployments rolled (`bench clear-cache`,
    /// `clear-website-cache`, and the shared `assets_json` key that
    /// `clear-cache` leaves). Runs after every migrate whether enabled or
    /// not; enable it to clear the caches of every site on each new image
    /// without migrating.
    pub clear_cache: Spanned<ClearCacheJob>,
    /// Restores a backup into a site (`bench --site … restore`), which
    /// overwrites its database: runs once per confirmed request (extension).
    pub restore: Spanned<RestoreJob>,
    /// A Job of your own containers.
    pub custom: Spanned<CustomJob>,
}

impl Jobs {
    /// Every Job's pod keys, for rules that apply to all.
    pub fn all(&self) -> [JobPod<'_>; 13] {
        [
            self.configure.pod(),
            self.volume_permissions.pod(),
            self.create_site.pod(),
            self.create_multiple_sites.pod(),
            self.drop_site.pod(),
            self.drop_multiple_sites.pod(),
            self.backup.pod(),
            self.backup_multiple_sites.pod(),
            self.migrate.pod(),
            self.migrate_multiple_sites.pod(),
            self.clear_cache.pod(),
            self.restore.pod(),
            self.custom.pod(),
        ]
    }
}

job! {
    /// The configure Job.
    ConfigureJob (enabled: true) {
        /// Run a root init container that chowns the volumes to the user the
        /// bench runs as (1000 unless `securityContext` or `podSecurityContext`
        /// set `runAsUser`). Off by default here (the chart turns it on): the
        /// pod's `fsGroup` already gives the frappe user the volumes on most
        /// storage, and a root container breaks the restricted Pod Security
        /// Standard.
        fix_volume: Spanned<bool> = Spanned::new(false),
        /// Extra environment variables.
        env_vars: Spanned<Vec<EnvVar>> = Spanned::default(),
        /// Replaces the container's command (default: `bash -c`).
        command: Vec<String> = Vec::new(),
        /// Replaces the container's arguments (default: the configure script).
        args: Vec<String> = Vec::new(),
    }
}

job! {
    /// The volume-permissions Job (root).
    VolumePermissionsJob (enabled: false) {}
}

job! {
    /// Creates one site.
    CreateSiteJob (enabled: false) {
        /// Start the site over (`bench new-site --force`, which drops its
        /// database) when an earlier attempt left it half-created, or a
        /// database of its name is in the way. A finished site is never
        /// created again: drop it first.
        force_create: bool = false,
        /// The site's name, usually its host name.
        site_name: Spanned<String> = Spanned::new("erp.cluster.local".to_owned()),
        /// Administrator password in plain text. Prefer `adminExistingSecret`.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        admin_password: Spanned<Option<String>> = Spanned::default(),
        /// Name of an existing Secret holding the Administrator password.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        admin_existing_secret: Spanned<Option<String>> = Spanned::default(),
        /// Key of the password in `adminExistingSecret`.
        admin_existing_secret_key: Spanned<String> = Spanned::new("password".to_owned()),
        /// Apps to install, in order.
        install_apps: Spanned<Vec<String>> = Spanned::new(vec!["erpnext".to_owned()]),
        /// The database engine; must agree with the top-level `dbType`.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        db_type: Spanned<Option<DbType>> = Spanned::default(),
    }
}

job! {
    /// Creates several sites.
    CreateMultipleSitesJob (enabled: false) {
        /// Start a site over (`bench new-site --force`, which drops its
        /// database) when an earlier attempt left it half-created, or a
        /// database of its name is in the way. A finished site is never
        /// created again: drop it first.
        force_create: bool = false,
        /// The sites and the apps each gets.
        sites: Spanned<Vec<SiteWithApps>> = Spanned::new(vec![SiteWithApps {
            name: Spanned::new("erp.cluster.local".to_owned()),
            install_apps: Spanned::new(vec!["erpnext".to_owned()]),
        }]),
        /// Administrator password in plain text. Prefer `adminExistingSecret`.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        admin_password: Spanned<Option<String>> = Spanned::default(),
        /// Name of an existing Secret holding the Administrator password.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        admin_existing_secret: Spanned<Option<String>> = Spanned::default(),
        /// Key of the password in `adminExistingSecret`.
        admin_existing_secret_key: Spanned<String> = Spanned::new("password".to_owned()),
        /// The database engine; must agree with the top-level `dbType`.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        db_type: Spanned<Option<DbType>> = Spanned::default(),
    }
}

job! {
    /// Drops one site.
    DropSiteJob (enabled: false) {
        /// Pass `--force` to `bench drop-site`: drop the site even when an
        /// error comes first, its backup failing included.
        forced: bool = false,
        /// Back each site up (database, files, site config) before its
        /// database is dropped, as `bench drop-site` does unless told not to:
        /// the backup, and the site's earlier ones, move with its folder to
        /// `sites/archived_sites/`. `false` passes `--no-backup`, as the
        /// official chart always does, and the database is gone for good.
        backup: bool = true,
        /// The site to drop.
        site_name: Spanned<String> = Spanned::new("erp.cluster.local".to_owned()),
    }
}

job! {
    /// Drops several sites.
    DropMultipleSitesJob (enabled: false) {
        /// Pass `--force` to `bench drop-site`: drop the site even when an
        /// error comes first, its backup failing included.
        forced: bool = false,
        /// Back each site up (database, files, site config) before its
        /// database is dropped, as `bench drop-site` does unless told not to:
        /// the backup, and the site's earlier ones, move with its folder to
        /// `sites/archived_sites/`. `false` passes `--no-backup`, as the
        /// official chart always does, and the database is gone for good.
        backup: bool = true,
        /// The sites to drop.
        sites: Spanned<Vec<Site>> = Spanned::default(),
    }
}

job! {
    /// Backs up one site (`all`: every site of the bench).
    BackupJob (enabled: false) {
        /// The site to back up, or `all`.
        site_name: Spanned<String> = Spanned::new("erp.cluster.local".to_owned()),
        /// Include public and private files.
        with_files: bool = true,
        /// Run on this cron schedule as a CronJob instead of once (extension),
        /// e.g. `0 3 * * *`.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        schedule: Spanned<Option<String>> = Spanned::default(),
        /// Keep local backup files this many days (extension): older ones are deleted after each
        /// backup, and Frappe's `keep_backups_for_hours` is set to match (every `bench backup`
        /// deletes the site's backups older than that, 24 hours when it is not set).
        #[serde(skip_serializing_if = "Spanned::is_none")]
        retain_days: Spanned<Option<u32>> = Spanned::default(),
        /// Upload each backup's files to S3-compatible storage (extension).
        #[serde(skip_serializing_if = "Spanned::is_none")]
        s3: Spanned<Option<S3Storage>> = Spanned::default(),
    }
}

job! {
    /// Backs up several sites.
    BackupMultipleSitesJob (enabled: false) {
        /// Include public and private files.
        with_files: bool = true,
        /// The sites to back up.
        sites: Spanned<Vec<Site>> = Spanned::default(),
        /// Run on this cron schedule as a CronJob instead of once (extension).
        #[serde(skip_serializing_if = "Spanned::is_none")]
        schedule: Spanned<Option<String>> = Spanned::default(),
        /// Keep local backup files this many days (extension): older ones are deleted after each
        /// backup, and Frappe's `keep_backups_for_hours` is set to match (every `bench backup`
        /// deletes the site's backups older than that, 24 hours when it is not set).
        #[serde(skip_serializing_if = "Spanned::is_none")]
        retain_days: Spanned<Option<u32>> = Spanned::default(),
        /// Upload each backup's files to S3-compatible storage (extension).
        #[serde(skip_serializing_if = "Spanned::is_none")]
        s3: Spanned<Option<S3Storage>> = Spanned::default(),
    }
}

job! {
    /// Migrates one site.
    MigrateJob (enabled: false) {
        /// The site to migrate.
        site_name: Spanned<String> = Spanned::new("erp.cluster.local".to_owned()),
        /// Pass `--skip-failing` to `bench migrate`.
        skip_failing: bool = false,
        /// Take a backup of the site (`bench backup`, with files when the
        /// backup Job takes them) in maintenance mode, right before `bench
        /// migrate`. Default: on when `jobs.backup` or
        /// `jobs.backupMultipleSites` is enabled (extension).
        #[serde(skip_serializing_if = "Spanned::is_none")]
        backup_first: Spanned<Option<bool>> = Spanned::default(),
    }
}

job! {
    /// Migrates several sites, one after the other.
    MigrateMultipleSitesJob (enabled: false) {
        /// Pass `--skip-failing` to `bench migrate`.
        skip_failing: bool = false,
        /// Take a backup of each site (`bench backup`, with files when the
        /// backup Job takes them) in maintenance mode, right before its
        /// `bench migrate`. Default: on when `jobs.backup` or
        /// `jobs.backupMultipleSites` is enabled (extension).
        #[serde(skip_serializing_if = "Spanned::is_none")]
        backup_first: Spanned<Option<bool>> = Spanned::default(),
        /// The sites to migrate.
        sites: Spanned<Vec<Site>> = Spanned::default(),
    }
}

job! {
    /// Clears the caches of every site on a new image.
    ClearCacheJob (enabled: false) {
        /// Also empty the whole cache Redis database (`FLUSHDB` on
        /// `externalRedis.cache`), as the chart's Job does: every cached
        /// value of every site, sessions' cached copies included (they are
        /// read again from the database).
        redis_flush: Spanned<RedisFlush> = Spanned::default(),
        /// The chart's ServiceAccount for its init container's `kubectl`;
        /// the clear-cache Job here needs no Kubernetes API access.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        service_account_name: Spanned<Option<String>> = Spanned::default(),
        /// The chart's init container that waits for the gunicorn rollout; here
        /// the Job itself comes after the rollout (Argo CD wave, `render --phase post`).
        #[serde(skip_serializing_if = "Spanned::is_none")]
        init_container: Spanned<Option<RolloutWait>> = Spanned::default(),
    }
}

/// `jobs.clearCache.initContainer`, the chart's wait for a rollout.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RolloutWait {
    /// Run the init container.
    pub enabled: bool,
    /// Its `kubectl` image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The Deployment whose rollout it waits for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<RolloutDeployment>,
    /// How long it waits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
}

/// `jobs.clearCache.initContainer.deployment`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RolloutDeployment {
    /// Its name; empty for gunicorn's.
    pub name: String,
}

/// `jobs.clearCache.redisFlush`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RedisFlush {
    /// Empty the cache Redis database after clearing the sites' caches.
    pub enabled: Spanned<bool>,
}

job! {
    /// Restores a backup into a site.
    RestoreJob (enabled: false) {
        /// The site to restore into; it must exist.
        site_name: Spanned<String> = Spanned::default(),
        /// The site's name again: a restore overwrites the site's database,
        /// and renders only when this names the site.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        confirm: Spanned<Option<String>> = Spanned::default(),
        /// The database backup (`…-database.sql.gz`): a file name in the
        /// site's `private/backups`, or with `fromS3` an object name under
        /// `<prefix>/<site>/` in the bucket of `jobs.backup.s3`.
        database: Spanned<String> = Spanned::default(),
        /// The public files backup (`…-files.tar`), found as `database` is.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        public_files: Spanned<Option<String>> = Spanned::default(),
        /// The private files backup (`…-private-files.tar`), found as `database` is.
        #[serde(skip_serializing_if = "Spanned::is_none")]
        private_files: Spanned<Option<String>> = Spanned::default(),
        /// Download the files from the bucket of `jobs.backup.s3` (or
        /// `jobs.backupMultipleSites.s3`) first.
        from_s3: Spanned<bool> = Spanned::new(false),
        /// Restore a backup taken by a newer Frappe than the image's
        /// (`bench restore --force`, which also skips the check of the SQL file).
        allow_downgrade: bool = false,
        /// Each restore runs once: the same request never runs again, on any
        /// re-sync or re-apply. Change this (any text) to restore the same
        /// files once more.
        request_id: String = String::new(),
    }
}

/// S3-compatible storage for backups. The access keys come only from a
/// Secret, as environment variables of the uploading container.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct S3Storage {
    /// The bucket.
    pub bucket: Spanned<String>,
    /// The endpoint URL, for storage other than AWS (MinIO, Ceph, R2...).
    #[serde(skip_serializing_if = "Spanned::is_none")]
    pub endpoint: Spanned<Option<String>>,
    /// The region.
    pub region: String,
    /// Objects go under `<prefix>/<site>/`; empty: `<site>/`. Segments of letters, digits, `.`,
    /// `-` and `_`, separated by `/`.
    pub prefix: Spanned<String>,
    /// The Secret holding the access key pair.
    #[serde(skip_serializing_if = "Spanned::is_none")]
    pub existing_secret: Spanned<Option<String>>,
    /// Key of the access key id in `existingSecret`.
    pub access_key_id_key: String,
    /// Key of the secret access key in `existingSecret`.
    pub secret_access_key_key: String,
    /// Delete the bucket's copies older than this many days after each upload.
    #[serde(skip_serializing_if = "Spanned::is_none")]
    pub retain_days: Spanned<Option<u32>>,
    /// The AWS CLI image that uploads (Frappe v16 has no S3 client; v15's
    /// boto3 is no CLI). Pinned: AWS CLI 2.23 and later send checksums many
    /// S3-compatible stores reject.
    pub image: Spanned<String>,
}

impl Default for S3Storage {
    fn default() -> Self {
        S3Storage {
            bucket: Spanned::default(),
            endpoint: Spanned::default(),
            region: "us-east-1".to_owned(),
            prefix: Spanned::default(),
            existing_secret: Spanned::default(),
            access_key_id_key: "access-key-id".to_owned(),
            secret_access_key_key: "secret-access-key".to_owned(),
            retain_days: Spanned::default(),
            image: Spanned::new(AWS_CLI_IMAGE.to_owned()),
        }
    }
}

/// The default image of [`S3Storage::image`].
pub(super) const AWS_CLI_IMAGE: &str = "docker.io/amazon/aws-cli:2.17.64";

job! {
    /// A Job of your own containers, with the bench's volumes available.
    CustomJob (enabled: false) {
        /// Labels of the Job.
        labels: Spanned<StringMap> = Spanned::default(),
        /// Init containers of the Job's pod.
        init_containers: Spanned<Vec<Container>> = Spanned::default(),
        /// Containers of the Job's pod.
        containers: Spanned<Vec<Container>> = Spanned::default(),
        /// `Never` or `OnFailure`.
        restart_policy: Spanned<String> = Spanned::new("Never".to_owned()),
        /// Extra volumes of the Job's pod (the bench's `sites-dir` and `logs` are always there).
        volumes: Spanned<Vec<Volume>> = Spanned::default(),
    }
}

/// A site, by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Site {
    /// The site's name, usually its host name.
    pub name: Spanned<String>,
}

/// A site and the apps to install on it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SiteWithApps {
    /// The site's name, usually its host name.
    pub name: Spanned<String>,
    /// Apps to install, in order.
    pub install_apps: Spanned<Vec<String>>,
}
