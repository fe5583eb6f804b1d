//! One function per task: which of its Jobs runs, what it does, and the
//! rules on its keys.

use super::credentials::Credentials;
use super::cron::check_cron;
use k8s_openapi::api::core::v1::ResourceRequirements;
use sha2::{Digest, Sha256};

use super::{BenchJob, Ingress, Restore, S3Target, SecretRef, SiteToCreate, Task, bench_job};

use crate::diagnostic::Code;
use crate::model::report::Reporter;
use crate::values::{Anchor, DbType, Jobs, S3Storage, Spanned, Values};

/// Writes the database and Redis settings into the bench.
pub(super) fn configure(
    values: &Values,
    bench_id: Option<&str>,
    keep_backups_for_hours: Option<u64>,
    report: &mut Reporter<'_>,
) -> Option<BenchJob> {
    let configure = &values.jobs.configure;
    if !*configure.enabled {
        return None;
    }
    if *configure.fix_volume {
        root_warning(&configure.fix_volume, report);
    }
    Some(bench_job(
        configure.pod(),
        Task::Configure {
            rds: values.db_rds,
            bench_id: bench_id.map(str::to_owned),
            keep_backups_for_hours,
            fix_volume: *configure.fix_volume,
            env: configure.env_vars.to_vec(),
            command: (!configure.command.is_empty()).then(|| configure.command.clone()),
            args: (!configure.args.is_empty()).then(|| configure.args.clone()),
        },
        None,
    ))
}

/// `chown` of the bench, as root.
pub(super) fn volume_permissions(jobs: &Jobs, report: &mut Reporter<'_>) -> Option<BenchJob> {
    let job = &jobs.volume_permissions;
    if !*job.enabled {
        return None;
    }
    root_warning(&job.enabled, report);
    Some(bench_job(job.pod(), Task::VolumePermissions, None))
}

/// `bench new-site`, with the sites' apps and both passwords.
/// `https_ingress`: the Ingress by whose hosts requests reach their sites,
/// whose TLS hosts give the sites their `host_name`.
pub(super) fn create_sites(
    jobs: &Jobs,
    db_type: DbType,
    https_ingress: Option<&Ingress>,
    credentials: &mut Credentials<'_>,
    report: &mut Reporter<'_>,
) -> Option<BenchJob> {
    let (single, multi) = (&jobs.create_site, &jobs.create_multiple_sites);
    let single_runs = choose(
        &single.enabled,
        &multi.enabled,
        "jobs.createSite",
        "jobs.createMultipleSites",
        report,
    )?;
    let (key, pod, enabled, sites, force, admin) = if single_runs {
        let site = (&single.site_name, &single.install_apps);
        let admin = (
            &single.admin_existing_secret,
            &single.admin_existing_secret_key,
            &single.admin_password,
        );
        (
            "jobs.createSite",
            single.pod(),
            &single.enabled,
            vec![site],
            single.force_create,
            admin,
        )
    } else {
        check_not_empty("jobs.createMultipleSites", &multi.sites, multi, report);
        let sites = multi.sites.iter().map(|s| (&s.name, &s.install_apps)).collect();
        let admin = (
            &multi.admin_existing_secret,
            &multi.admin_existing_secret_key,
            &multi.admin_password,
        );
        (
            "jobs.createMultipleSites",
            multi.pod(),
            &multi.enabled,
            sites,
            multi.force_create,
            admin,
        )
    };
    for (name, apps) in &sites {
        check_site(name, false, report);
        for (j, app) in apps.iter().enumerate() {
            if !is_app_name(app) {
                report
                    .at(Code::InvalidValue, apps.anchor().index(j), format!("`{app}` is not an app name"))
                    .with_help("app names are lower-case letters, digits and `_`, as in `apps/`");
            }
        }
    }
    let (existing_secret, existing_secret_key, password) = admin;
    let admin_password = credentials.admin_password(key, enabled, existing_secret, existing_secret_key, password, report);
    let db_root_password = credentials.db_root_password(key, enabled, report);
    Some(bench_job(
        pod,
        Task::CreateSites {
            sites: sites
                .iter()
                .map(|(name, apps)| SiteToCreate {
                    name: (***name).clone(),
                    apps: apps.to_vec(),
                    host_name: https_ingress.and_then(|ingress| ingress.https_url(name)),
                })
                .collect(),
            force,
            db_type,
            db_root_user: credentials.db_root_user.clone(),
            db_root_password: db_root_password?,
            admin_password: admin_password?,
        },
        None,
    ))
}

/// `bench drop-site`.
pub(super) fn drop_sites(jobs: &Jobs, credentials: &mut Credentials<'_>, report: &mut Reporter<'_>) -> Option<BenchJob> {
    let (single, multi) = (&jobs.drop_site, &jobs.drop_multiple_sites);
    let single_runs = choose(&single.enabled, &multi.enabled, "jobs.dropSite", "jobs.dropMultipleSites", report)?;
    let (key, pod, enabled, sites, force, backup) = if single_runs {
        (
            "jobs.dropSite",
            single.pod(),
            &single.enabled,
            vec![&single.site_name],
            single.forced,
            single.backup,
        )
    } else {
        check_not_empty("jobs.dropMultipleSites", &multi.sites, multi, report);
        let sites = multi.sites.iter().map(|s| &s.name).collect();
        (
            "jobs.dropMultipleSites",
            multi.pod(),
            &multi.enabled,
            sites,
            multi.forced,
            multi.backup,
        )
    };
    sites.iter().for_each(|site| check_site(site, false, report));
    let db_root_password = credentials.db_root_password(key, enabled, report)?;
    Some(bench_job(
        pod,
        Task::DropSites {
            sites: site_names(&sites),
            force,
            backup,
            db_root_user: credentials.db_root_user.clone(),
            db_root_password,
        },
        None,
    ))
}

/// `bench backup`, once or on a schedule.
pub(super) fn backup(jobs: &Jobs, report: &mut Reporter<'_>) -> Option<BenchJob> {
    let (single, multi) = (&jobs.backup, &jobs.backup_multiple_sites);
    let single_runs = choose(&single.enabled, &multi.enabled, "jobs.backup", "jobs.backupMultipleSites", report)?;
    let (pod, sites, with_files, schedule, retain_days, s3) = if single_runs {
        let sites = vec![&single.site_name];
        (
            single.pod(),
            sites,
            single.with_files,
            &single.schedule,
            &single.retain_days,
            &single.s3,
        )
    } else {
        check_not_empty("jobs.backupMultipleSites", &multi.sites, multi, report);
        let sites = multi.sites.iter().map(|s| &s.name).collect();
        (multi.pod(), sites, multi.with_files, &multi.schedule, &multi.retain_days, &multi.s3)
    };
    let s3 = s3_target(s3, report);
    sites.iter().for_each(|site| check_site(site, true, report));
    if let Some(text) = schedule.as_deref()
        && let Err(problem) = check_cron(text)
    {
        report
            .at(
                Code::InvalidSchedule,
                schedule,
                format!("`{text}` is not a cron schedule: {problem}"),
            )
            .with_help("five fields: minute hour day-of-month month day-of-week, e.g. `0 3 * * *` for 03:00 every day");
    }
    check_retain_days(retain_days, report);
    Some(bench_job(
        pod,
        Task::Backup {
            sites: site_names(&sites),
            with_files,
            retain_days: **retain_days,
            s3,
        },
        (**schedule).clone(),
    ))
}

fn check_retain_days(retain_days: &Spanned<Option<u32>>, report: &mut Reporter<'_>) {
    if **retain_days == Some(0) {
        report
            .at(
                Code::InvalidValue,
                retain_days,
                "`retainDays: 0` would delete the backup just taken",
            )
            .with_help("keep at least 1 day");
    }
}

/// The bucket backups are copied to, with its access keys from a Secret.
fn s3_target(s3: &Spanned<Option<S3Storage>>, report: &mut Reporter<'_>) -> Option<S3Target> {
    let storage = s3.as_ref()?;
    if storage.bucket.is_empty() {
        report
            .at_key(Code::InvalidValue, storage.bucket.or_in(s3, "bucket"), "`s3` names no bucket")
            .with_help("set `bucket: <name>`");
    }
    check_retain_days(&storage.retain_days, report);
    check_s3_prefix(&storage.prefix, report);
    let Some(secret) = storage.existing_secret.as_deref().filter(|s| !s.is_empty()) else {
        report
            .at_key(
                Code::MissingSecret,
                storage.existing_secret.or_in(s3, "existingSecret"),
                "`s3` needs the Secret that holds its access keys",
            )
            .with_help("set `existingSecret: <name>` with the keys `access-key-id` and `secret-access-key` (names set by `accessKeyIdKey`, `secretAccessKeyKey`)");
        return None;
    };
    let key = |key: &str| SecretRef {
        name: secret.to_owned(),
        key: key.to_owned(),
    };
    Some(S3Target {
        bucket: (*storage.bucket).clone(),
        endpoint: storage.endpoint.as_deref().filter(|e| !e.is_empty()).map(str::to_owned),
        region: storage.region.clone(),
        prefix: storage.prefix.trim_matches('/').to_owned(),
        access_key_id: key(&storage.access_key_id_key),
        secret_access_key: key(&storage.secret_access_key_key),
        retain_days: *storage.retain_days,
        image: (*storage.image).clone(),
    })
}

/// `bench restore` of one backup into one site, once per request, and only
/// when the values confirm it by naming the site twice.
/// With `fromS3`, the files come from `backup_s3`, the backup Job's bucket.
pub(super) fn restore(
    jobs: &Jobs,
    backup_s3: Option<&S3Target>,
    credentials: &mut Credentials<'_>,
    report: &mut Reporter<'_>,
) -> Option<BenchJob> {
    let job = &jobs.restore;
    if !*job.enabled {
        return None;
    }
    check_site(&job.site_name, false, report);
    if job.confirm.as_deref() != Some(job.site_name.as_str()) {
        report
            .at_key(
                Code::UnconfirmedRestore,
                job.confirm.or_in(job, "confirm"),
                format!(
                    "a restore overwrites the database of `{}`, and `confirm` does not name that site",
                    *job.site_name
                ),
            )
            .with_help(format!("to restore, add `confirm: {}` under `jobs.restore`", *job.site_name));
    }
    let files = [
        (Some(job.database.as_str()), Anchor::from(&job.database)),
        (job.public_files.as_deref(), Anchor::from(&job.public_files)),
        (job.private_files.as_deref(), Anchor::from(&job.private_files)),
    ];
    for (name, at) in files {
        if let Some(name) = name
            && !is_backup_file_name(name)
        {
            report
                .at_key(Code::InvalidValue, at, format!("`{name}` is not the name of a backup file"))
                .with_help("give the file's name as `bench backup` wrote it, e.g. `20260101_030000-erp_example_com-database.sql.gz`, without a directory");
        }
    }
    let from_s3 = match (*job.from_s3, backup_s3) {
        (false, _) => None,
        (true, Some(s3)) => Some(s3.clone()),
        (true, None) => {
            report
                .at(
                    Code::InvalidValue,
                    &job.from_s3,
                    "`fromS3` needs the bucket of the backup Job (`jobs.backup.s3` or `jobs.backupMultipleSites.s3`)",
                )
                .with_help("configure the bucket there, or restore from the site's backups folder");
            None
        }
    };
    let db_root_password = credentials.db_root_password("jobs.restore", &job.enabled, report)?;
    let mut hasher = Sha256::new();
    for part in [
        job.site_name.as_str(),
        job.database.as_str(),
        job.public_files.as_deref().unwrap_or(""),
        job.private_files.as_deref().unwrap_or(""),
        if *job.from_s3 { "s3" } else { "volume" },
        job.request_id.as_str(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let request = hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
    Some(bench_job(
        job.pod(),
        Task::Restore(Box::new(Restore {
            site: (*job.site_name).clone(),
            database: (*job.database).clone(),
            public_files: (*job.public_files).clone(),
            private_files: (*job.private_files).clone(),
            from_s3,
            allow_downgrade: job.allow_downgrade,
            request,
            db_root_user: credentials.db_root_user.clone(),
            db_root_password,
        })),
        None,
    ))
}

/// A file name as `bench backup` writes them: no directory, no leading
/// `-` or `.`, nothing a shell or S3 key would read otherwise.
fn is_backup_file_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with(['-', '.']) && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// `bench migrate`.
/// `after_backup`: a one-off backup Job is rendered, which migrate waits for.
pub(super) fn migrate(jobs: &Jobs, after_backup: bool, report: &mut Reporter<'_>) -> Option<BenchJob> {
    let (single, multi) = (&jobs.migrate, &jobs.migrate_multiple_sites);
    let single_runs = choose(&single.enabled, &multi.enabled, "jobs.migrate", "jobs.migrateMultipleSites", report)?;
    let (pod, sites, skip_failing, backup_first) = if single_runs {
        (single.pod(), vec![&single.site_name], single.skip_failing, &single.backup_first)
    } else {
        check_not_empty("jobs.migrateMultipleSites", &multi.sites, multi, report);
        let sites = multi.sites.iter().map(|s| &s.name).collect();
        (multi.pod(), sites, multi.skip_failing, &multi.backup_first)
    };
    sites.iter().for_each(|site| check_site(site, false, report));
    // The backup Job's own choice of files, when one is configured.
    let backup_with_files = if *jobs.backup.enabled {
        Some(jobs.backup.with_files)
    } else {
        (*jobs.backup_multiple_sites.enabled).then_some(jobs.backup_multiple_sites.with_files)
    };
    let backup_first = match **backup_first {
        Some(false) => None,
        Some(true) => Some(backup_with_files.unwrap_or(true)),
        None => backup_with_files,
    };
    // The single-site Job wins, as in `drop_sites`.
    let dropped = if *jobs.drop_site.enabled {
        vec![(*jobs.drop_site.site_name).clone()]
    } else if *jobs.drop_multiple_sites.enabled {
        jobs.drop_multiple_sites.sites.iter().map(|site| (*site.name).clone()).collect()
    } else {
        Vec::new()
    };
    Some(bench_job(
        pod,
        Task::Migrate {
            sites: site_names(&sites),
            skip_failing,
            backup_first,
            after_backup,
            dropped,
        },
        None,
    ))
}

/// Cache clearing: after every migrate, and on every new image when
/// `jobs.clearCache` is enabled. Its pod keys come from `jobs.clearCache`.
pub(super) fn clear_cache(jobs: &Jobs, migrate: Option<&BenchJob>, report: &mut Reporter<'_>) -> Option<BenchJob> {
    let job = &jobs.clear_cache;
    let waits = job.init_container.as_ref().is_some_and(|wait| wait.enabled);
    let account = job.service_account_name.as_deref().is_some_and(|name| !name.is_empty());
    for (set, key, at) in [
        (waits, "initContainer", Anchor::from(&job.init_container)),
        (account, "serviceAccountName", Anchor::from(&job.service_account_name)),
    ] {
        if set {
            report
                .at_key(
                    Code::UnusedKey,
                    at,
                    format!("`jobs.clearCache.{key}` changes nothing here: the clear-cache Job itself runs after the Deployments rolled, and needs no Kubernetes API access"),
                )
                .with_help("remove it (README, \"Upgrading\")");
        }
    }
    let migrated = match migrate.map(|m| &m.task) {
        Some(Task::Migrate { sites, .. }) => Some(sites.clone()),
        _ => None,
    };
    if migrated.is_none() && !*job.enabled {
        return None;
    }
    Some(bench_job(
        job.pod(),
        Task::ClearCache {
            after_migrate: migrated.is_some(),
            sites: migrated.unwrap_or_else(|| vec!["all".to_owned()]),
            redis_flush: *job.redis_flush.enabled,
        },
        None,
    ))
}

/// The values' own containers.
pub(super) fn custom(jobs: &Jobs, report: &mut Reporter<'_>) -> Option<BenchJob> {
    let custom = &jobs.custom;
    // The Job's containers are all the values' own, each with its own
    // `resources`; the chart has no `jobs.custom.resources` either.
    if *custom.resources != ResourceRequirements::default() {
        report
            .at_key(
                Code::UnusedKey,
                &custom.resources,
                "`jobs.custom.resources` changes nothing: the custom Job's containers are yours, and each takes only its own `resources`",
            )
            .with_help("move it to `resources` of each container under `jobs.custom.containers` (and `initContainers`)");
    }
    if !*custom.enabled {
        return None;
    }
    if custom.containers.is_empty() {
        report
            .at_key(
                Code::InvalidValue,
                custom.containers.or_in(custom, "containers"),
                "the custom Job has no containers",
            )
            .with_help("add at least one container");
    }
    if !matches!(custom.restart_policy.as_str(), "Never" | "OnFailure") {
        report
            .at(
                Code::InvalidValue,
                &custom.restart_policy,
                format!("`{}` is not a Job restart policy", *custom.restart_policy),
            )
            .with_help("use `Never` or `OnFailure`");
    }
    Some(bench_job(
        custom.pod(),
        Task::Custom {
            labels: (*custom.labels).clone(),
            init_containers: custom.init_containers.to_vec(),
            containers: custom.containers.to_vec(),
            restart_policy: (*custom.restart_policy).clone(),
            volumes: custom.volumes.to_vec(),
        },
        None,
    ))
}

/// A key that runs a container as root.
fn root_warning(key: &Spanned<bool>, report: &mut Reporter<'_>) {
    report
        .at(Code::RootContainer, key, "this runs a container as root, which the restricted Pod Security Standard forbids")
        .with_help("the pods' `fsGroup: 1000` gives the frappe user its volumes on most storage; enable this only for storage that ignores fsGroup, in a namespace that allows it");
}

/// Whether the single-site Job of a task runs (`Some(true)`) or the
/// multiple-sites one (`Some(false)`). The single-site Job wins, as in the
/// chart; enabling both earns a `job-conflict` warning.
fn choose(
    single: &Spanned<bool>,
    multiple: &Spanned<bool>,
    single_key: &str,
    multiple_key: &str,
    report: &mut Reporter<'_>,
) -> Option<bool> {
    if **single && **multiple {
        report
            .at(
                Code::JobConflict,
                multiple,
                format!("`{single_key}` and `{multiple_key}` are both enabled; as in the chart, only `{single_key}` runs"),
            )
            .with_help(format!("enable one of them; list every site under `{multiple_key}.sites`"));
    }
    (**single || **multiple).then_some(**single)
}

/// A multiple-sites Job (`job`, at `key`) needs sites.
fn check_not_empty<'a, T>(key: &str, sites: &'a Spanned<Vec<T>>, job: impl Into<Anchor<'a>>, report: &mut Reporter<'_>) {
    if sites.is_empty() {
        report
            .at_key(
                Code::InvalidValue,
                sites.or_in(job, "sites"),
                format!("`{key}` is enabled with no sites"),
            )
            .with_help("list the sites under `sites`, each as `- name: erp.example.com`");
    }
}

/// Site names become directories and shell words: no slashes, spaces or
/// leading dots. `all` means every site, which only backups accept.
fn check_site(site: &Spanned<String>, all_allowed: bool, report: &mut Reporter<'_>) {
    let valid = !site.is_empty() && site.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !valid {
        report
            .at(Code::InvalidValue, site, format!("`{}` is not a site name", **site))
            .with_help("site names are host names: letters, digits, `.`, `-` and `_`");
    } else if site.starts_with(['.', '-']) {
        // bench would read `-x` as an option, not a site; frappe itself
        // checks nothing, and a host name starts with neither.
        report
            .at(
                Code::InvalidValue,
                site,
                format!("`{}` is not a site name: it starts with `{}`", **site, &site[..1]),
            )
            .with_help("a site name starts with a letter or a digit, like the host name it is");
    } else if **site == "all" && !all_allowed {
        report
            .at(Code::InvalidValue, site, "`all` is not a site this Job can act on")
            .with_help("name the sites one by one");
    }
}

/// The upload lists the keys under the prefix and deletes the old ones, key
/// by key as shell words: a space or a wildcard in it would split a key or
/// reach keys outside it.
fn check_s3_prefix(prefix: &Spanned<String>, report: &mut Reporter<'_>) {
    let trimmed = prefix.trim_matches('/');
    let valid = trimmed.is_empty()
        || trimmed.split('/').all(|segment| {
            !matches!(segment, "" | "." | "..") && segment.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        });
    if !valid {
        report
            .at(
                Code::InvalidValue,
                prefix,
                format!("`{}` is not an S3 key prefix the backups can use", **prefix),
            )
            .with_help("segments of letters, digits, `.`, `-` and `_`, separated by `/` (e.g. `erp/nightly`)");
    }
}

fn site_names(sites: &[&Spanned<String>]) -> Vec<String> {
    sites.iter().map(|site| (***site).clone()).collect()
}

/// App names are Python package names, as in `apps/`; a `-` (which would
/// make bench read the name as an option) is never one.
fn is_app_name(app: &str) -> bool {
    !app.is_empty() && app.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
