//! The bench's Jobs, resolved: which run, what each does, and where its
//! secrets come from.
//!
//! A Job is described by its [`Task`] (typed: sites, apps, flags) rather than
//! by a script; the script is rendered from `templates/` when the object is
//! built. Secrets are only ever referenced ([`SecretRef`]): the scripts read
//! them from the environment, and the pod spec holds a `secretKeyRef`.

use std::fmt;

use k8s_openapi::api::core::v1::{Affinity, Container, EnvVar, ResourceRequirements, Toleration, Volume};

use super::k8s;
use super::report::Reporter;
use crate::diagnostic::Code;
use crate::node::Path;
use crate::values::{DbType, JobPod, StringMap, Values};

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
        fix_volume: bool,
        env: Vec<EnvVar>,
        command: Option<Vec<String>>,
        args: Option<Vec<String>>,
    },
    /// `chown -R 1000:1000` over the bench, as root.
    VolumePermissions,
    /// `bench new-site` for each site.
    CreateSites {
        sites: Vec<(String, Vec<String>)>,
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
        db_root_user: String,
        db_root_password: SecretRef,
    },
    /// `bench backup` for each site (`all` for every site).
    Backup {
        sites: Vec<String>,
        with_files: bool,
        retain_days: Option<u32>,
    },
    /// `bench migrate` for each site, in maintenance mode.
    Migrate { sites: Vec<String>, skip_failing: bool },
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
            // A new release brings patches to run.
            Task::Migrate { .. } => Rerun::Pod,
            // A one-off backup is taken once per release (and when what it
            // backs up changes): a backup from before each upgrade is what a
            // failed migrate needs. Scheduled backups are CronJobs, not named
            // by hash.
            Task::Backup { .. } => Rerun::Pod,
            // Sites and their apps, the database they go to, and `--force`.
            Task::CreateSites { .. } | Task::DropSites { .. } => Rerun::PodWithoutImage,
            // Ownership does not change with a release, but repeating the
            // chown does no harm, and a name with the image lets the Job's
            // template change without waiting for it to leave.
            Task::VolumePermissions => Rerun::Pod,
            // The user's containers name their own images.
            Task::Custom { .. } => Rerun::Pod,
        }
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

/// A key of a Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub name: String,
    pub key: String,
}

/// Passwords written in the values, which go into the bench's own Secret.
#[derive(Debug, Default)]
pub struct InlineSecrets {
    pub db_root_password: Option<String>,
    pub admin_password: Option<String>,
}

pub const DB_ROOT_PASSWORD_KEY: &str = "db-root-password";
pub const ADMIN_PASSWORD_KEY: &str = "admin-password";

pub fn resolve(
    values: &Values,
    fullname: &str,
    db_type: DbType,
    bench_id: Option<&str>,
    report: &mut Reporter<'_>,
) -> (Vec<BenchJob>, InlineSecrets) {
    let jobs = &values.jobs;
    let mut inline = InlineSecrets::default();
    let mut resolved = Vec::new();
    let mut push = |pod: JobPod<'_>, task: Task, schedule: Option<String>| {
        resolved.push(BenchJob {
            task,
            pinned_name: pod.job_name.filter(|n| !n.is_empty()).map(str::to_owned),
            backoff_limit: pod.backoff_limit,
            resources: pod.resources.clone(),
            node_selector: pod.node_selector.clone(),
            tolerations: pod.tolerations.to_vec(),
            affinity: pod.affinity.cloned(),
            schedule,
        });
    };

    let configure = &jobs.configure;
    if configure.enabled {
        push(
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
        );
        if configure.fix_volume {
            root_warning(report, "jobs.configure.fixVolume");
        }
    }
    if jobs.volume_permissions.enabled {
        push(jobs.volume_permissions.pod(), Task::VolumePermissions, None);
        root_warning(report, "jobs.volumePermissions.enabled");
    }

    let db_root_user = values
        .db_root_user
        .clone()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| match db_type {
            DbType::Mariadb => "root".to_owned(),
            DbType::Postgres => "postgres".to_owned(),
        });
    let mut db_root_password = |report: &mut Reporter<'_>, needed_by: &str| -> Option<SecretRef> {
        if let Some(secret) = values.db_existing_secret.as_ref().filter(|s| !s.is_empty()) {
            let key = values
                .db_existing_secret_password_key
                .clone()
                .filter(|k| !k.is_empty())
                .unwrap_or_else(|| "password".to_owned());
            return Some(SecretRef { name: secret.clone(), key });
        }
        match values.db_root_password.as_ref().filter(|p| !p.is_empty()) {
            Some(password) => {
                inline.db_root_password = Some(password.clone());
                Some(SecretRef {
                    name: fullname.to_owned(),
                    key: DB_ROOT_PASSWORD_KEY.to_owned(),
                })
            }
            None => {
                report
                    .at_key(
                        Code::MissingSecret,
                        &Path::parse(needed_by).key("enabled"),
                        format!("`{needed_by}` needs the database root password, and none is given"),
                    )
                    .with_help("set `dbExistingSecret` (and `dbExistingSecretPasswordKey`) to a Secret holding it");
                None
            }
        }
    };

    let (create_single, create_multi) = (&jobs.create_site, &jobs.create_multiple_sites);
    let create = choose(
        report,
        create_single.enabled,
        create_multi.enabled,
        "jobs.createSite",
        "jobs.createMultipleSites",
    );
    if let Some(Choice { single, key, sites_path }) = create {
        let (pod, sites, force, admin_password, admin_secret, admin_key) = if single {
            (
                create_single.pod(),
                vec![(create_single.site_name.clone(), create_single.install_apps.clone())],
                create_single.force_create,
                create_single.admin_password.clone(),
                create_single.admin_existing_secret.clone(),
                create_single.admin_existing_secret_key.clone(),
            )
        } else {
            (
                create_multi.pod(),
                create_multi
                    .sites
                    .iter()
                    .map(|s| (s.name.clone(), s.install_apps.clone()))
                    .collect(),
                create_multi.force_create,
                create_multi.admin_password.clone(),
                create_multi.admin_existing_secret.clone(),
                create_multi.admin_existing_secret_key.clone(),
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
        let admin = match (admin_secret.filter(|s| !s.is_empty()), admin_password.filter(|p| !p.is_empty())) {
            (Some(secret), _) => Some(SecretRef {
                name: secret,
                key: admin_key,
            }),
            (None, Some(password)) => {
                report
                    .at(
                        Code::PlaintextPassword,
                        &Path::parse(key).key("adminPassword"),
                        "the Administrator password is written in the values file",
                    )
                    .with_help(format!(
                        "create a Secret with the password and set `{key}.adminExistingSecret` instead"
                    ));
                inline.admin_password = Some(password);
                Some(SecretRef {
                    name: fullname.to_owned(),
                    key: ADMIN_PASSWORD_KEY.to_owned(),
                })
            }
            (None, None) => {
                report
                    .at_key(
                        Code::MissingSecret,
                        &Path::parse(key).key("enabled"),
                        format!("`{key}` needs the Administrator password of the new sites, and none is given"),
                    )
                    .with_help(format!(
                        "set `{key}.adminExistingSecret` to a Secret holding it (the chart's default `changeit` is not used)"
                    ));
                None
            }
        };
        let root = db_root_password(report, key);
        if let (Some(admin_password), Some(db_root_password)) = (admin, root) {
            push(
                pod,
                Task::CreateSites {
                    sites,
                    force,
                    db_type,
                    db_root_user: db_root_user.clone(),
                    db_root_password,
                    admin_password,
                },
                None,
            );
        }
    }

    let (drop_single, drop_multi) = (&jobs.drop_site, &jobs.drop_multiple_sites);
    let drop = choose(
        report,
        drop_single.enabled,
        drop_multi.enabled,
        "jobs.dropSite",
        "jobs.dropMultipleSites",
    );
    if let Some(Choice { single, key, sites_path }) = drop {
        let (pod, sites, force) = if single {
            (drop_single.pod(), vec![drop_single.site_name.clone()], drop_single.forced)
        } else {
            (
                drop_multi.pod(),
                drop_multi.sites.iter().map(|s| s.name.clone()).collect(),
                drop_multi.forced,
            )
        };
        check_sites(report, key, sites_path.as_ref(), sites.iter().map(String::as_str), false);
        if let Some(db_root_password) = db_root_password(report, key) {
            push(
                pod,
                Task::DropSites {
                    sites,
                    force,
                    db_root_user: db_root_user.clone(),
                    db_root_password,
                },
                None,
            );
        }
    }

    let (backup_single, backup_multi) = (&jobs.backup, &jobs.backup_multiple_sites);
    let backup = choose(
        report,
        backup_single.enabled,
        backup_multi.enabled,
        "jobs.backup",
        "jobs.backupMultipleSites",
    );
    if let Some(Choice { single, key, sites_path }) = backup {
        let (pod, sites, with_files, schedule, retain_days) = if single {
            (
                backup_single.pod(),
                vec![backup_single.site_name.clone()],
                backup_single.with_files,
                backup_single.schedule.clone(),
                backup_single.retain_days,
            )
        } else {
            (
                backup_multi.pod(),
                backup_multi.sites.iter().map(|s| s.name.clone()).collect(),
                backup_multi.with_files,
                backup_multi.schedule.clone(),
                backup_multi.retain_days,
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
        push(
            pod,
            Task::Backup {
                sites,
                with_files,
                retain_days,
            },
            schedule,
        );
    }

    let (migrate_single, migrate_multi) = (&jobs.migrate, &jobs.migrate_multiple_sites);
    let migrate = choose(
        report,
        migrate_single.enabled,
        migrate_multi.enabled,
        "jobs.migrate",
        "jobs.migrateMultipleSites",
    );
    if let Some(Choice { single, key, sites_path }) = migrate {
        let (pod, sites, skip_failing) = if single {
            (
                migrate_single.pod(),
                vec![migrate_single.site_name.clone()],
                migrate_single.skip_failing,
            )
        } else {
            (
                migrate_multi.pod(),
                migrate_multi.sites.iter().map(|s| s.name.clone()).collect(),
                migrate_multi.skip_failing,
            )
        };
        check_sites(report, key, sites_path.as_ref(), sites.iter().map(String::as_str), false);
        push(pod, Task::Migrate { sites, skip_failing }, None);
    }

    let custom = &jobs.custom;
    if custom.enabled {
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
        push(
            custom.pod(),
            Task::Custom {
                labels: custom.labels.clone(),
                init_containers: custom.init_containers.clone(),
                containers: custom.containers.clone(),
                restart_policy: custom.restart_policy.clone(),
                volumes: custom.volumes.clone(),
            },
            None,
        );
    }

    for (key, pod) in jobs.all() {
        if !pod.enabled {
            continue;
        }
        if pod.backoff_limit < 0 {
            report.at(
                Code::InvalidValue,
                &Path::parse(key).key("backoffLimit"),
                "`backoffLimit` cannot be negative",
            );
        }
        if let Some(name) = pod.job_name.filter(|n| !n.is_empty())
            && !k8s::is_dns1123_label(name)
        {
            report.at(
                Code::InvalidName,
                &Path::parse(key).key("jobName"),
                format!("`{name}` is not a valid Job name (a DNS-1123 label of at most 63 characters)"),
            );
        }
    }
    (resolved, inline)
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

/// The `@` shorthands the CronJob controller accepts.
const CRON_SHORTHANDS: &[&str] = &["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/// Why a text is not a cron schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CronError {
    UnknownShorthand(String),
    FieldCount(usize),
    /// A step (`*/0`, `*/x`) of a field, named as the error says it.
    InvalidStep {
        step: String,
        field: &'static str,
    },
    /// A value outside a field's range, or no value at all.
    InvalidValue {
        text: String,
        field: &'static str,
        min: u32,
        max: u32,
    },
    Backwards(String),
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CronError::UnknownShorthand(schedule) => write!(f, "`{schedule}` is not one of {}", CRON_SHORTHANDS.join(", ")),
            CronError::FieldCount(count) => write!(f, "it has {count} fields, not 5"),
            CronError::InvalidStep { step, field } => write!(f, "`{step}` is not a step for the {field}"),
            CronError::InvalidValue { text, field, min, max } => write!(f, "`{text}` is not a {field} ({min}-{max})"),
            CronError::Backwards(range) => write!(f, "`{range}` runs backwards"),
        }
    }
}

impl std::error::Error for CronError {}

/// Checks a cron schedule as the CronJob controller reads it: five fields,
/// or one of the `@` shorthands.
pub fn check_cron(schedule: &str) -> Result<(), CronError> {
    let schedule = schedule.trim();
    if schedule.starts_with('@') {
        return if CRON_SHORTHANDS.contains(&schedule) {
            Ok(())
        } else {
            Err(CronError::UnknownShorthand(schedule.to_owned()))
        };
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(CronError::FieldCount(fields.len()));
    }
    const MONTHS: &[&str] = &["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    let specs: [(&str, u32, u32, &[&str]); 5] = [
        ("minute", 0, 59, &[]),
        ("hour", 0, 23, &[]),
        ("day of month", 1, 31, &[]),
        ("month", 1, 12, MONTHS),
        ("day of week", 0, 7, DAYS),
    ];
    for (field, (what, min, max, names)) in fields.iter().zip(specs) {
        for part in field.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((range, step)) => (range, Some(step)),
                None => (part, None),
            };
            if let Some(step) = step
                && step.parse::<u32>().map_or(true, |s| s == 0)
            {
                return Err(CronError::InvalidStep {
                    step: step.to_owned(),
                    field: what,
                });
            }
            if range == "*" || (range == "?" && matches!(what, "day of month" | "day of week")) {
                continue;
            }
            let value = |text: &str| -> Result<u32, CronError> {
                let number = text.parse::<u32>().ok().or_else(|| {
                    names
                        .iter()
                        .position(|n| n.eq_ignore_ascii_case(text))
                        .map(|i| i as u32 + if names.len() == 12 { 1 } else { 0 })
                });
                match number {
                    Some(n) if (min..=max).contains(&n) => Ok(n),
                    _ => Err(CronError::InvalidValue {
                        text: text.to_owned(),
                        field: what,
                        min,
                        max,
                    }),
                }
            };
            match range.split_once('-') {
                Some((low, high)) if value(low)? > value(high)? => return Err(CronError::Backwards(range.to_owned())),
                Some(_) => {}
                None => {
                    value(range)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_cron;

    #[test]
    fn cron_schedules() {
        for ok in [
            "0 3 * * *",
            "*/15 * * * *",
            "0 0 1 1 *",
            "30 2 * * MON-FRI",
            "0 0 * JAN,JUL SUN",
            "@daily",
            "0 22 * * 1-5",
            "5 4 * * 7",
        ] {
            assert_eq!(check_cron(ok), Ok(()), "{ok}");
        }
        for bad in [
            "0 3 * *",
            "60 * * * *",
            "* 24 * * *",
            "0 0 0 * *",
            "*/0 * * * *",
            "@sometimes",
            "0 5-2 * * *",
            "x * * * *",
        ] {
            assert!(check_cron(bad).is_err(), "{bad}");
        }
    }
}
