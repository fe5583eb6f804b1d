//! Text artifacts rendered from `templates/`: job scripts, the ingress
//! websocket snippet, and the `takeover` plan.
//!
//! The templates are compiled into the binary (no files to ship beside it)
//! and rendered with strict undefined behaviour, so a misspelt variable is an
//! error in the tests rather than an empty string in a cluster. Every value
//! that comes from an input goes through the `shell` filter, which
//! single-quotes it ([`shell_quote`]).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::OnceLock;

use minijinja::{Environment, UndefinedBehavior, context};
use serde::Serialize;

use crate::model::jobs::{Restore, S3Target, SecretRef, Task};
use crate::unicode::is_bidi_control;

const TEMPLATES: &[(&str, &str)] = &[
    ("prelude.sh", include_str!("../templates/prelude.sh.j2")),
    ("lib.sh", include_str!("../templates/lib.sh.j2")),
    ("prompts.sh", include_str!("../templates/prompts.sh.j2")),
    ("configure.sh", include_str!("../templates/configure.sh.j2")),
    ("create-site.sh", include_str!("../templates/create-site.sh.j2")),
    ("drop-site.sh", include_str!("../templates/drop-site.sh.j2")),
    ("backup.sh", include_str!("../templates/backup.sh.j2")),
    ("upgrade.sh", include_str!("../templates/upgrade.sh.j2")),
    ("site-lock.sh", include_str!("../templates/site-lock.sh.j2")),
    ("site-lock-wait.sh", include_str!("../templates/site-lock-wait.sh.j2")),
    ("background-jobs.sh", include_str!("../templates/background-jobs.sh.j2")),
    ("creation-markers.sh", include_str!("../templates/creation-markers.sh.j2")),
    ("site-records.sh", include_str!("../templates/site-records.sh.j2")),
    ("sites-on-volume.sh", include_str!("../templates/sites-on-volume.sh.j2")),
    ("disruption.sh", include_str!("../templates/disruption.sh.j2")),
    ("sigterm.sh", include_str!("../templates/sigterm.sh.j2")),
    ("dump.sh", include_str!("../templates/dump.sh.j2")),
    ("migrate.sh", include_str!("../templates/migrate.sh.j2")),
    ("wait-for-migrate.sh", include_str!("../templates/wait-for-migrate.sh.j2")),
    ("restore.sh", include_str!("../templates/restore.sh.j2")),
    ("s3.sh", include_str!("../templates/s3.sh.j2")),
    ("s3-upload.sh", include_str!("../templates/s3-upload.sh.j2")),
    ("s3-download.sh", include_str!("../templates/s3-download.sh.j2")),
    ("clear-cache.sh", include_str!("../templates/clear-cache.sh.j2")),
    ("websocket-snippet.conf", include_str!("../templates/websocket-snippet.conf.j2")),
    ("takeover.sh", include_str!("../templates/takeover.sh.j2")),
];

/// The template environment, built on first use. Each template is parsed
/// the first time it is rendered or included: runs that render no script
/// (lint) parse none, a render with only the configure Job parses three,
/// and runs that render many parse each once.
fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(build_environment)
}

fn build_environment() -> Environment<'static> {
    // Only our own `shell` filter is used: the built-in filters, tests and
    // globals of `Environment::new` would be registered on every render.
    let mut env = Environment::empty();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    // The word is borrowed from the template's value when that is a string
    // (a `String` argument would copy it); anything else is formatted as
    // `String` formats it.
    env.add_filter("shell", |word: Cow<'_, str>| shell_quote(&word));
    // What `disruption.sh` shares with the Jobs' readiness probe.
    env.add_global("changing_a_site_file", CHANGING_A_SITE_FILE);
    env.add_global("probe_period", CHANGING_A_SITE_PROBE_PERIOD);
    env.add_global("ready_delay", 2 * CHANGING_A_SITE_PROBE_PERIOD);
    env.set_loader(|name| {
        Ok(TEMPLATES
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, source)| (*source).to_owned()))
    });
    env
}

/// The file that is there while a Job's script changes a site
/// (`disruption.sh`): its container's readinessProbe tests for it. In
/// the pod's own `/tmp` (an emptyDir under a read-only root filesystem),
/// never on the sites volume, which every pod shares.
pub(crate) const CHANGING_A_SITE_FILE: &str = "/tmp/frappe-manifests-changing-a-site";
/// Seconds between two runs of that probe; a script waits twice this after
/// it created the file, before it changes anything.
pub(crate) const CHANGING_A_SITE_PROBE_PERIOD: i32 = 5;

fn render(name: &str, ctx: minijinja::Value) -> String {
    environment()
        .get_template(name)
        .and_then(|template| template.render(ctx))
        .unwrap_or_else(|error| panic!("template {name} failed to render: {error:#}"))
}

/// Quotes a word for bash: `it's` becomes `'it'\''s'`.
///
/// Single quotes hold any character as it is, which is right for bash but
/// not for whoever reads the script first: a bidirectional control would
/// show the line in another order ([`crate::unicode`]), and a control
/// character could move the cursor or end the line. Each of these is
/// written in ANSI-C quotes instead, as the bytes of its UTF-8 encoding
/// (`'data'$'\xe2\x80\xae''pvc'`), which bash reads back the same in every
/// locale (`$'\u202e'` would depend on it). NUL is left as it is: no bash
/// word can hold it, and bash refuses to run a script that has one, where
/// `$'\x00'` would cut the word short.
///
/// A `$` is written outside the quotes, as `\$`: the scripts are a
/// container's `args`, which the kubelet reads before bash does, turning
/// `$$` into `$` and `$(NAME)` into the value of the container's variable
/// `NAME` (a Secret's, as `$(AWS_SECRET_ACCESS_KEY)`), quoted or not. It
/// does neither to `\$'(`.
pub(crate) fn shell_quote(word: &str) -> String {
    let mut quoted = String::with_capacity(word.len() + 2);
    quoted.push('\'');
    for c in word.chars() {
        match c {
            '\'' => quoted.push_str(r"'\''"),
            '$' => quoted.push_str(r"'\$'"),
            c if c != '\0' && (c.is_control() || is_bidi_control(c)) => {
                quoted.push_str("'$'");
                for byte in c.encode_utf8(&mut [0; 4]).bytes() {
                    let _ = write!(quoted, "\\x{byte:02x}");
                }
                quoted.push_str("''");
            }
            c => quoted.push(c),
        }
    }
    quoted.push('\'');
    quoted
}

/// A site of create-site.sh.
#[derive(Serialize)]
struct SiteToCreate<'a> {
    name: &'a str,
    apps: &'a [String],
    host_name: Option<&'a str>,
}

/// What the upgrade scripts say about the bench they run in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Upgrade<'a> {
    /// The image the Job runs: the one its sites are migrated with.
    pub image: &'a str,
    /// A Deployment whose pods run bench commands, for advice in logs.
    pub exec_deployment: &'a str,
}

/// Where a password comes from, for a message that asks to rewrite it:
/// `Secret erp-secrets, key db-root-password`.
fn secret_source(secret: &SecretRef) -> String {
    format!("Secret {}, key {}", secret.name, secret.key)
}

/// The script of a Job's task, `scheduled` for a CronJob's. `None` for
/// tasks without a script.
pub(crate) fn job_script(task: &Task, scheduled: bool, upgrade: Upgrade<'_>) -> Option<String> {
    let Upgrade { image, exec_deployment } = upgrade;
    let script = match task {
        Task::Configure {
            rds,
            bench_id,
            keep_backups_for_hours,
            ..
        } => render("configure.sh", context! { rds, bench_id, keep_backups_for_hours }),
        Task::CreateSites {
            sites,
            force,
            db_type,
            db_root_password,
            admin_password,
            ..
        } => {
            let sites: Vec<SiteToCreate<'_>> = sites
                .iter()
                .map(|site| SiteToCreate {
                    name: &site.name,
                    apps: &site.apps,
                    host_name: site.host_name.as_deref(),
                })
                .collect();
            let db_type = match db_type {
                crate::values::DbType::Mariadb => "mariadb",
                crate::values::DbType::Postgres => "postgres",
            };
            let any_host_name = sites.iter().any(|site| site.host_name.is_some());
            let (root_secret, admin_secret) = (secret_source(db_root_password), secret_source(admin_password));
            render(
                "create-site.sh",
                context! { sites, any_host_name, force, db_type, root_secret, admin_secret },
            )
        }
        Task::DropSites {
            sites,
            force,
            backup,
            db_root_password,
            ..
        } => {
            let root_secret = secret_source(db_root_password);
            render("drop-site.sh", context! { sites, force, backup, root_secret, exec_deployment })
        }
        Task::Backup {
            sites,
            with_files,
            retain_days,
            s3,
        } => {
            let upload_list = s3.as_ref().map(|_| UPLOAD_LIST);
            render(
                "backup.sh",
                context! { sites, with_files, retain_days, upload_list, skipped_list => SKIPPED_LIST, scheduled, image, exec_deployment },
            )
        }
        Task::Restore(restore) => {
            let Restore {
                site,
                database,
                public_files,
                private_files,
                allow_downgrade,
                request,
                db_root_password,
                ..
            } = &**restore;
            let root_secret = secret_source(db_root_password);
            let files = restore_files(restore);
            let from_s3 = restore.from_s3.is_some();
            render(
                "restore.sh",
                context! { site, database, public_files, private_files, allow_downgrade, request, files, from_s3, image, exec_deployment, root_secret },
            )
        }
        Task::Migrate {
            sites,
            skip_failing,
            backup_first,
            after_backup,
            dropped,
        } => {
            let (backup, backup_with_files) = (backup_first.is_some(), backup_first.unwrap_or(false));
            render(
                "migrate.sh",
                context! { sites, skip_failing, backup, backup_with_files, after_backup, dropped, image, exec_deployment },
            )
        }
        Task::ClearCache {
            sites,
            after_migrate,
            redis_flush,
        } => render("clear-cache.sh", context! { sites, after_migrate, redis_flush, image }),
        Task::VolumePermissions | Task::Custom { .. } => return None,
    };
    Some(script)
}

/// Where the backup container lists the files it wrote, for the upload
/// container of the same pod (an `emptyDir` both mount at [`S3_DIR`]).
pub(crate) const S3_DIR: &str = "/s3";
const UPLOAD_LIST: &str = "/s3/files";
/// Where a scheduled backup container lists the sites it skipped, in
/// maintenance mode, for the upload container to fail on.
const SKIPPED_LIST: &str = "/s3/skipped";

/// The files a restore reads: the database, and the files archives it names.
fn restore_files(restore: &Restore) -> Vec<&str> {
    [
        Some(&restore.database),
        restore.public_files.as_ref(),
        restore.private_files.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(String::as_str)
    .collect()
}

/// What the S3 scripts know of the bucket.
fn s3_context(s3: &S3Target) -> minijinja::Value {
    let key_prefix = if s3.prefix.is_empty() {
        String::new()
    } else {
        format!("{}/", s3.prefix)
    };
    context! {
        s3 => context! { bucket => &s3.bucket, endpoint => &s3.endpoint, retain_days => s3.retain_days },
        key_prefix,
    }
}

/// The script of the container that copies a backup's files to S3.
/// `scheduled` for a CronJob's, which leaves the one-off backup's stamp alone.
pub(crate) fn s3_upload_script(s3: &S3Target, image: &str, scheduled: bool) -> String {
    render(
        "s3-upload.sh",
        context! { upload_list => UPLOAD_LIST, skipped_list => SKIPPED_LIST, image, scheduled, ..s3_context(s3) },
    )
}

/// The script of the container that fetches a restore's files from S3.
pub(crate) fn s3_download_script(restore: &Restore, s3: &S3Target) -> String {
    let files = restore_files(restore);
    render(
        "s3-download.sh",
        context! { site => &restore.site, request => &restore.request, files, ..s3_context(s3) },
    )
}

/// The script of the init container that holds a Deployment's pods until
/// each site was migrated with their image.
pub(crate) fn wait_for_migrate_script(sites: &[String], image: &str) -> String {
    render("wait-for-migrate.sh", context! { sites, image })
}

/// ingress-nginx `configuration-snippet` sending `/socket.io` to socketio
/// with the websocket upgrade headers.
pub(crate) fn websocket_snippet(service: &str, namespace: &str, port: i32) -> String {
    render("websocket-snippet.conf", context! { service, namespace, port })
}

/// The `takeover` plan, from the context [`crate::takeover`] builds.
pub(crate) fn takeover_plan(context: &impl Serialize) -> String {
    render("takeover.sh", minijinja::Value::from_serialize(context))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_with_every_variable_defined() {
        let upgrade = Upgrade {
            image: "frappe/erpnext:v16.9.0",
            exec_deployment: "erpnext-gunicorn",
        };
        let configure = job_script(
            &Task::Configure {
                rds: true,
                bench_id: Some("shop's bench".to_owned()),
                keep_backups_for_hours: Some(168),
                fix_volume: false,
                env: vec![],
                command: None,
                args: None,
            },
            false,
            upgrade,
        )
        .unwrap();
        assert!(
            configure.contains("\ntrap 'exit 143' TERM\n\nset -euo pipefail\n"),
            "the SIGTERM trap first (sigterm.sh), then strict mode"
        );
        assert!(configure.contains("RDS_DB=1 "));
        assert!(configure.contains(r"KEDA_BENCH_ID='shop'\''s bench' "), "values are shell-quoted");
        assert!(configure.contains("KEEP_BACKUPS_FOR_HOURS=168 "));
        let snippet = websocket_snippet("b-erpnext-socketio", "erp", 9000);
        assert!(snippet.contains("proxy_pass http://b-erpnext-socketio.erp.svc.cluster.local:9000;"));
        assert!(snippet.contains("proxy_set_header Upgrade $http_upgrade;"));
    }

    #[test]
    fn shell_quoting_survives_quotes() {
        assert_eq!(shell_quote("erp.example.com"), "'erp.example.com'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("'"), r"''\'''");
        assert_eq!(shell_quote(""), "''");
    }

    /// What bash makes of `quoted`, alone and in a command substitution
    /// inside double quotes, as the takeover plan uses it, in `locale`.
    fn read_by_bash(quoted: &str, locale: &str) -> [Vec<u8>; 2] {
        [format!("printf %s {quoted}"), format!("printf %s \"$(printf %s {quoted})\"")].map(|script| {
            let output = std::process::Command::new("bash")
                .args(["-c", &script])
                .env("LC_ALL", locale)
                .output()
                .expect("bash runs");
            assert!(output.status.success(), "{script}: {}", String::from_utf8_lossy(&output.stderr));
            output.stdout
        })
    }

    #[test]
    fn words_with_characters_a_reader_does_not_see_are_quoted_as_bytes_bash_reads_back() {
        for word in [
            "persistentvolumeclaim/data\u{202e}pvc",
            "\u{2066}'x'\u{2069}",
            "\u{61c}\u{200e}\u{200f}\u{202a}\u{202b}\u{202c}\u{202d}\u{2067}\u{2068}",
            "a\rb\nc\u{1b}]0;title\u{7}d\u{85}e\u{7f}",
        ] {
            let quoted = shell_quote(word);
            assert!(!quoted.contains(|c: char| c.is_control() || is_bidi_control(c)), "{quoted:?}");
            for locale in ["C", "C.UTF-8"] {
                for read in read_by_bash(&quoted, locale) {
                    assert_eq!(read, word.as_bytes(), "{quoted} in {locale}");
                }
            }
        }
    }

    #[test]
    fn the_kubelet_reads_no_variable_and_no_escape_in_a_quoted_word() {
        for word in ["$(AWS_SECRET_ACCESS_KEY)", "a$$b", "$$(X)", "$", "x$", "$\u{1b}$", "'$('"] {
            let quoted = shell_quote(word);
            // The kubelet changes a container's `args` only at `$$` and `$(`
            // (Kubernetes' `third_party/forked/golang/expansion`; tests/hostile.rs
            // runs every container of a render through a copy of it).
            assert!(!quoted.contains("$$") && !quoted.contains("$("), "{word}: {quoted}");
            for read in read_by_bash(&quoted, "C.UTF-8") {
                assert_eq!(read, word.as_bytes(), "{quoted}");
            }
        }
    }

    #[test]
    fn every_template_parses() {
        for (name, _) in TEMPLATES {
            if let Err(error) = environment().get_template(name) {
                panic!("templates/{name}.j2 is invalid: {error:#}");
            }
        }
    }
}
