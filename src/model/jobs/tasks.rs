//! One function per task: which of its Jobs runs, what it does, and the
//! rules on its keys.

use super::credentials::Credentials;
use super::cron::check_cron;
use super::{BenchJob, Task, bench_job};
use crate::diagnostic::Code;
use crate::model::report::Reporter;
use crate::node::Path;
use crate::values::{DbType, Jobs, Values};

/// Writes the database and Redis settings into the bench.
pub(super) fn configure(values: &Values, bench_id: Option<&str>, report: &mut Reporter<'_>) -> Option<BenchJob> {
    let configure = &values.jobs.configure;
    if !configure.enabled {
        return None;
    }
    if configure.fix_volume {
        root_warning(report, "jobs.configure.fixVolume");
    }
    Some(bench_job(
        configure.pod(),
        Task::Configure {
            rds: values.db_rds,
            bench_id: bench_id.map(str::to_owned),
            fix_volume: configure.fix_volume,
            env: configure.env_vars.clone(),
            command: (!configure.command.is_empty()).then(|| configure.command.clone()),
            args: (!configure.args.is_empty()).then(|| configure.args.clone()),
        },
        None,
    ))
}

/// `chown` of the bench, as root.
pub(super) fn volume_permissions(jobs: &Jobs, report: &mut Reporter<'_>) -> Option<BenchJob> {
    if !jobs.volume_permissions.enabled {
        return None;
    }
    root_warning(report, "jobs.volumePermissions.enabled");
    Some(bench_job(jobs.volume_permissions.pod(), Task::VolumePermissions, None))
}

/// `bench new-site`, with the sites' apps and both passwords.
pub(super) fn create_sites(jobs: &Jobs, db_type: DbType, credentials: &mut Credentials<'_>, report: &mut Reporter<'_>) -> Option<BenchJob> {
    let (single, multi) = (&jobs.create_site, &jobs.create_multiple_sites);
    let Choice {
        single: is_single,
        key,
        sites_path,
    } = choose(report, single.enabled, multi.enabled, "jobs.createSite", "jobs.createMultipleSites")?;
    let (pod, sites, force, admin_password, admin_secret, admin_key) = if is_single {
        (
            single.pod(),
            vec![(single.site_name.clone(), single.install_apps.clone())],
            single.force_create,
            single.admin_password.as_ref(),
            single.admin_existing_secret.as_ref(),
            single.admin_existing_secret_key.as_str(),
        )
    } else {
        (
            multi.pod(),
            multi.sites.iter().map(|s| (s.name.clone(), s.install_apps.clone())).collect(),
            multi.force_create,
            multi.admin_password.as_ref(),
            multi.admin_existing_secret.as_ref(),
            multi.admin_existing_secret_key.as_str(),
        )
    };
    check_sites(report, key, sites_path.as_ref(), sites.iter().map(|(name, _)| name.as_str()), false);
    for (i, (_, apps)) in sites.iter().enumerate() {
        for (j, app) in apps.iter().enumerate() {
            if !is_app_name(app) {
                let path = match &sites_path {
                    Some(p) => p.index(i).key("installApps").index(j),
                    None => Path::parse(key).key("installApps").index(j),
                };
                report
                    .at(Code::InvalidValue, &path, format!("`{app}` is not an app name"))
                    .with_help("app names are lower-case letters, digits and `_`, as in `apps/`");
            }
        }
    }
    let admin_password = credentials.admin_password(key, admin_secret, admin_key, admin_password, report);
    let db_root_password = credentials.db_root_password(key, report);
    Some(bench_job(
        pod,
        Task::CreateSites {
            sites,
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
    let Choice {
        single: is_single,
        key,
        sites_path,
    } = choose(report, single.enabled, multi.enabled, "jobs.dropSite", "jobs.dropMultipleSites")?;
    let (pod, sites, force) = if is_single {
        (single.pod(), vec![single.site_name.clone()], single.forced)
    } else {
        (multi.pod(), multi.sites.iter().map(|s| s.name.clone()).collect(), multi.forced)
    };
    check_sites(report, key, sites_path.as_ref(), sites.iter().map(String::as_str), false);
    let db_root_password = credentials.db_root_password(key, report)?;
    Some(bench_job(
        pod,
        Task::DropSites {
            sites,
            force,
            db_root_user: credentials.db_root_user.clone(),
            db_root_password,
        },
        None,
    ))
}

/// `bench backup`, once or on a schedule.
pub(super) fn backup(jobs: &Jobs, report: &mut Reporter<'_>) -> Option<BenchJob> {
    let (single, multi) = (&jobs.backup, &jobs.backup_multiple_sites);
    let Choice {
        single: is_single,
        key,
        sites_path,
    } = choose(report, single.enabled, multi.enabled, "jobs.backup", "jobs.backupMultipleSites")?;
    let (pod, sites, with_files, schedule, retain_days) = if is_single {
        (
            single.pod(),
            vec![single.site_name.clone()],
            single.with_files,
            single.schedule.clone(),
            single.retain_days,
        )
    } else {
        (
            multi.pod(),
            multi.sites.iter().map(|s| s.name.clone()).collect(),
            multi.with_files,
            multi.schedule.clone(),
            multi.retain_days,
        )
    };
    check_sites(report, key, sites_path.as_ref(), sites.iter().map(String::as_str), true);
    if let Some(schedule) = &schedule
        && let Err(problem) = check_cron(schedule)
    {
        report
            .at(
                Code::InvalidSchedule,
                &Path::parse(key).key("schedule"),
                format!("`{schedule}` is not a cron schedule: {problem}"),
            )
            .with_help("five fields: minute hour day-of-month month day-of-week, e.g. `0 3 * * *` for 03:00 every day");
    }
    if retain_days == Some(0) {
        report
            .at(
                Code::InvalidValue,
                &Path::parse(key).key("retainDays"),
                "`retainDays: 0` would delete the backup just taken",
            )
            .with_help("keep at least 1 day");
    }
    Some(bench_job(
        pod,
        Task::Backup {
            sites,
            with_files,
            retain_days,
        },
        schedule,
    ))
}

/// `bench migrate`.
pub(super) fn migrate(jobs: &Jobs, report: &mut Reporter<'_>) -> Option<BenchJob> {
    let (single, multi) = (&jobs.migrate, &jobs.migrate_multiple_sites);
    let Choice {
        single: is_single,
        key,
        sites_path,
    } = choose(report, single.enabled, multi.enabled, "jobs.migrate", "jobs.migrateMultipleSites")?;
    let (pod, sites, skip_failing) = if is_single {
        (single.pod(), vec![single.site_name.clone()], single.skip_failing)
    } else {
        (
            multi.pod(),
            multi.sites.iter().map(|s| s.name.clone()).collect(),
            multi.skip_failing,
        )
    };
    check_sites(report, key, sites_path.as_ref(), sites.iter().map(String::as_str), false);
    Some(bench_job(pod, Task::Migrate { sites, skip_failing }, None))
}

/// The values' own containers.
pub(super) fn custom(jobs: &Jobs, report: &mut Reporter<'_>) -> Option<BenchJob> {
    let custom = &jobs.custom;
    if !custom.enabled {
        return None;
    }
    if custom.containers.is_empty() {
        report
            .at_key(
                Code::InvalidValue,
                &Path::parse("jobs.custom.containers"),
                "the custom Job has no containers",
            )
            .with_help("add at least one container");
    }
    if !matches!(custom.restart_policy.as_str(), "Never" | "OnFailure") {
        report
            .at(
                Code::InvalidValue,
                &Path::parse("jobs.custom.restartPolicy"),
                format!("`{}` is not a Job restart policy", custom.restart_policy),
            )
            .with_help("use `Never` or `OnFailure`");
    }
    Some(bench_job(
        custom.pod(),
        Task::Custom {
            labels: custom.labels.clone(),
            init_containers: custom.init_containers.clone(),
            containers: custom.containers.clone(),
            restart_policy: custom.restart_policy.clone(),
            volumes: custom.volumes.clone(),
        },
        None,
    ))
}

fn root_warning(report: &mut Reporter<'_>, key: &str) {
    report
        .at(Code::RootContainer, &Path::parse(key), "this runs a container as root, which the restricted Pod Security Standard forbids")
        .with_help("the pods' `fsGroup: 1000` gives the frappe user its volumes on most storage; enable this only for storage that ignores fsGroup, in a namespace that allows it");
}

/// Which of a task's two Jobs runs.
struct Choice {
    /// The single-site Job (its one site is `siteName`).
    single: bool,
    /// Its values key, e.g. `jobs.migrateMultipleSites`.
    key: &'static str,
    /// Where its list of sites is; `None` for the single-site Job.
    sites_path: Option<Path>,
}

/// The single-site Job wins over the multiple-sites one, as in the chart;
/// enabling both earns a `job-conflict` warning.
fn choose(report: &mut Reporter<'_>, single: bool, multiple: bool, single_key: &'static str, multiple_key: &'static str) -> Option<Choice> {
    if single && multiple {
        report
            .at(
                Code::JobConflict,
                &Path::parse(multiple_key).key("enabled"),
                format!("`{single_key}` and `{multiple_key}` are both enabled; as in the chart, only `{single_key}` runs"),
            )
            .with_help(format!("enable one of them; list every site under `{multiple_key}.sites`"));
    }
    if single {
        Some(Choice {
            single: true,
            key: single_key,
            sites_path: None,
        })
    } else if multiple {
        Some(Choice {
            single: false,
            key: multiple_key,
            sites_path: Some(Path::parse(multiple_key).key("sites")),
        })
    } else {
        None
    }
}

/// Site names become directories and shell words: no slashes, spaces or
/// leading dots. `all` means every site, which only backups accept.
fn check_sites<'a>(
    report: &mut Reporter<'_>,
    key: &str,
    sites_path: Option<&Path>,
    sites: impl Iterator<Item = &'a str>,
    all_allowed: bool,
) {
    let mut count = 0;
    for (i, site) in sites.enumerate() {
        count += 1;
        let path = match sites_path {
            Some(p) => p.index(i).key("name"),
            None => Path::parse(key).key("siteName"),
        };
        let valid = !site.is_empty() && site.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !valid {
            report
                .at(Code::InvalidValue, &path, format!("`{site}` is not a site name"))
                .with_help("site names are host names: letters, digits, `.`, `-` and `_`");
        } else if site.starts_with(['.', '-']) {
            // bench would read `-x` as an option, not a site; frappe itself
            // checks nothing, and a host name starts with neither.
            report
                .at(
                    Code::InvalidValue,
                    &path,
                    format!("`{site}` is not a site name: it starts with `{}`", &site[..1]),
                )
                .with_help("a site name starts with a letter or a digit, like the host name it is");
        } else if site == "all" && !all_allowed {
            report
                .at(Code::InvalidValue, &path, "`all` is not a site this Job can act on")
                .with_help("name the sites one by one");
        }
    }
    if count == 0 {
        report
            .at_key(
                Code::InvalidValue,
                &Path::parse(key).key("sites"),
                format!("`{key}` is enabled with no sites"),
            )
            .with_help("list the sites under `sites`, each as `- name: erp.example.com`");
    }
}

/// App names are Python package names, as in `apps/`; a `-` (which would
/// make bench read the name as an option) is never one.
fn is_app_name(app: &str) -> bool {
    !app.is_empty() && app.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
