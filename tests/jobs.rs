//! The bench's Jobs: what they render, and what their scripts do when run.
//!
//! The scripts are executed here with bash, in a scratch bench directory
//! with the fake `bench` on PATH ([`crate::fake_bench`]). The database and
//! Redis are a TCP listener on 127.0.0.1.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{check_text, documents, example, render_text, snapshot_settings, text};
use crate::fake_bench::{ADMIN_PASSWORD, ROOT_PASSWORD, ScratchBench};

/// The database and Redis of the fake bench's server at `db_port`, and the
/// `jobs:` key that the values of the Jobs' tests go on with.
pub(crate) fn fake_bench_endpoints(db_port: u16) -> String {
    format!(
        "dbHost: 127.0.0.1
dbPort: {db_port}
dbExistingSecret: erp-secrets
externalRedis:
  cache: rediss://default:cache-pass@127.0.0.1:{db_port}/0
  queue: rediss://default:queue-pass@127.0.0.1:{db_port}/1
jobs:
"
    )
}

pub(crate) fn multisite_values(db_port: u16) -> String {
    format!(
        "{}  createMultipleSites:
    enabled: true
    adminExistingSecret: erp-secrets
    sites:
      - {{name: shop.example.com, installApps: [erpnext, payments]}}
      - {{name: hr.example.com, installApps: [erpnext, hrms]}}
      - {{name: crm.example.com, installApps: [erpnext, crm]}}
  migrateMultipleSites:
    enabled: true
    sites: [{{name: shop.example.com}}, {{name: hr.example.com}}, {{name: crm.example.com}}]
  backupMultipleSites:
    enabled: true
    retainDays: 7
    sites: [{{name: shop.example.com}}, {{name: hr.example.com}}]
  dropMultipleSites:
    enabled: true
    sites: [{{name: retired.example.com}}, {{name: gone.example.com}}]
",
        fake_bench_endpoints(db_port)
    )
}

/// The Job (or CronJob) whose component label is `task`.
pub(crate) fn job<'a>(docs: &'a [Value], task: &str) -> &'a Value {
    docs.iter()
        .find(|d| (d["kind"] == "Job" || d["kind"] == "CronJob") && d["metadata"]["labels"]["app.kubernetes.io/component"] == task)
        .unwrap_or_else(|| panic!("no {task} Job"))
}

/// The script of the Job (or CronJob) whose component label is `task`.
pub(crate) fn script_text(docs: &[Value], task: &str) -> String {
    let job = job(docs, task);
    let spec = if job["kind"] == "CronJob" {
        &job["spec"]["jobTemplate"]["spec"]
    } else {
        &job["spec"]
    };
    spec["template"]["spec"]["containers"][0]["args"][0].as_str().unwrap().to_owned()
}

/// That script as its container runs it: with the bench ConfigMap's settings
/// in the environment (the container's `envFrom`), here as `export` lines.
pub(crate) fn script(docs: &[Value], task: &str) -> String {
    config_exports(docs) + &script_text(docs, task)
}

/// The bench ConfigMap's settings as `export` lines.
pub(crate) fn config_exports(docs: &[Value]) -> String {
    let config = docs
        .iter()
        .find(|d| d["kind"] == "ConfigMap" && d["data"]["BACKING_SERVICES"].is_string())
        .expect("the bench ConfigMap");
    let mut exports = String::new();
    for (key, value) in config["data"].as_object().unwrap() {
        let value = value.as_str().unwrap().replace('\'', r"'\''");
        exports.push_str(&format!("export {key}='{value}'\n"));
    }
    exports
}

pub(crate) fn rendered(listener: &TcpListener) -> Vec<Value> {
    documents(&render_text(&multisite_values(listener.local_addr().unwrap().port()), &[]))
}

#[test]
fn create_site_creates_what_is_missing_installs_apps_on_what_exists_and_stops_at_a_failure() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let create = script(&rendered(&listener), "create-site");

    let bench = ScratchBench::configured();
    bench.add_site("hr.example.com");
    let output = bench.run(&create, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let calls = bench.calls();
    let new_sites: Vec<&String> = calls
        .iter()
        .filter(|c| c.starts_with("new-site ") && !c.ends_with("--help"))
        .collect();
    assert_eq!(new_sites.len(), 2, "shop and crm are created: {calls:?}");
    assert!(
        new_sites[0].starts_with("new-site shop.example.com --db-type=mariadb --db-root-username=root"),
        "{}",
        new_sites[0]
    );
    assert!(
        new_sites[0].ends_with("--install-app=erpnext --install-app=payments"),
        "{}",
        new_sites[0]
    );
    assert!(
        calls.contains(&"--site hr.example.com install-app erpnext hrms".to_owned()),
        "the existing site gets its apps, and is not created again: {calls:?}"
    );
    assert!(bench.site_exists("crm.example.com"));
    assert!(
        !bench.root().join("sites/.frappe-manifests/shop.example.com.creating").exists(),
        "a site that new-site finished is not marked as being created"
    );

    let bench = ScratchBench::configured();
    let output = bench.run(&create, Some(("new-site hr.example.com", "Access denied for user 'root'")));
    assert!(!output.status.success());
    let created: Vec<String> = bench
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("new-site ") && !c.ends_with("--help"))
        .collect();
    assert_eq!(created.len(), 2, "the Job stops at the first failure: {created:?}");
    assert!(text(&output.stderr).contains("bench new-site hr.example.com failed"));
}

/// An Ingress serving the three sites of [`multisite_values`] over TLS, one
/// by its name and two by a wildcard.
const TLS_INGRESS: &str = "ingress:
  enabled: true
  hosts:
    - {host: shop.example.com, paths: [{path: /, pathType: Prefix}]}
    - {host: hr.example.com, paths: [{path: /, pathType: Prefix}]}
    - {host: crm.example.com, paths: [{path: /, pathType: Prefix}]}
  tls:
    - {secretName: shop-tls, hosts: [shop.example.com]}
    - {secretName: wildcard-tls, hosts: ['*.example.com']}
";

/// Frappe builds links outside a request (the scheduler's and the workers'
/// emails) from a site's `host_name`, else from `http://` and its name: a
/// site the Ingress serves over TLS gets its `https://` URL, once.
#[test]
fn a_site_served_over_tls_gets_its_https_url_as_host_name_and_keeps_its_own() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let tls = TLS_INGRESS;
    let port = listener.local_addr().unwrap().port();
    let values = multisite_values(port) + tls;
    let create = script(&documents(&render_text(&values, &[])), "create-site");
    let bench = ScratchBench::configured();
    bench.add_site("hr.example.com");
    let site_config = |site: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(bench.root().join(format!("sites/{site}/site_config.json"))).unwrap()).unwrap()
    };
    let hr = bench.root().join("sites/hr.example.com/site_config.json");
    std::fs::write(&hr, r#"{"db_name": "_0123456789abcdef", "host_name": "https://erp.example.org"}"#).unwrap();
    let output = bench.run(&create, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(site_config("shop.example.com")["host_name"], "https://shop.example.com");
    assert_eq!(
        site_config("crm.example.com")["host_name"],
        "https://crm.example.com",
        "a wildcard TLS host covers one label"
    );
    assert_eq!(
        site_config("hr.example.com")["host_name"],
        "https://erp.example.org",
        "a host_name set is kept"
    );
    assert!(
        bench
            .calls()
            .contains(&"--site shop.example.com set-config host_name https://shop.example.com".to_owned()),
        "bench writes it, under Frappe's lock: {:?}",
        bench.calls()
    );

    // No TLS for the host, a site header naming one site for every host, or
    // an nginx configuration of the values' own: no URL is known.
    let plain = tls.replace(
        "  tls:\n    - {secretName: shop-tls, hosts: [shop.example.com]}\n    - {secretName: wildcard-tls, hosts: ['*.example.com']}\n",
        "",
    );
    let one_site = format!("{tls}nginx:\n  environment:\n    frappeSiteNameHeader: shop.example.com\n");
    for extra in [plain.as_str(), one_site.as_str()] {
        let values = multisite_values(port) + extra;
        let create = script(&documents(&render_text(&values, &[])), "create-site");
        assert!(!create.contains("set-config"), "{extra}");
        let bench = ScratchBench::configured();
        let output = bench.run(&create, None);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let config: Value =
            serde_json::from_str(&std::fs::read_to_string(bench.root().join("sites/shop.example.com/site_config.json")).unwrap()).unwrap();
        assert!(config.get("host_name").is_none(), "{extra}: {config}");
    }
}

/// Frappe reads a site's config over `common_site_config.json`
/// (`get_site_config`): a `host_name` set for the whole bench is the site's
/// too, and one written into the site's own config would replace it.
#[test]
fn a_host_name_of_the_whole_bench_is_kept() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let values = multisite_values(listener.local_addr().unwrap().port()) + TLS_INGRESS;
    let create = script(&documents(&render_text(&values, &[])), "create-site");
    let bench = ScratchBench::configured();
    let common = bench.root().join("sites/common_site_config.json");
    std::fs::write(
        &common,
        r#"{"db_host": "127.0.0.1", "redis_queue": "rediss://q", "host_name": "https://erp.example.org"}"#,
    )
    .unwrap();
    let output = bench.run(&create, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    for site in ["shop.example.com", "hr.example.com", "crm.example.com"] {
        let config: Value =
            serde_json::from_str(&std::fs::read_to_string(bench.root().join(format!("sites/{site}/site_config.json"))).unwrap()).unwrap();
        assert!(config.get("host_name").is_none(), "{site}: {config}");
    }
}

#[test]
fn a_half_created_site_is_not_taken_for_a_created_one() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let create = script(&rendered(&listener), "create-site");
    let bench = ScratchBench::configured();
    let output = bench.run(&create, Some(("new-site hr.example.com", "pymysql.err.OperationalError")));
    assert!(!output.status.success());
    assert!(
        bench.site_exists("hr.example.com"),
        "the failed new-site left the site's folder, as without a terminal"
    );

    let output = bench.run(&create, None);
    assert!(
        !output.status.success(),
        "a half-created site is not success: {}",
        text(&output.stdout)
    );
    let stderr = text(&output.stderr);
    assert!(stderr.contains("site hr.example.com is half-created"), "{stderr}");
    assert!(stderr.contains("forceCreate"), "the message says what to do: {stderr}");
    let config = std::fs::read_to_string(bench.root().join("sites/hr.example.com/site_config.json")).unwrap();
    let db_name = serde_json::from_str::<Value>(&config).unwrap()["db_name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(stderr.contains(&db_name), "and names the database to be dropped: {stderr}");
    let calls = bench.calls();
    assert_eq!(
        calls.iter().filter(|c| c.starts_with("new-site hr.example.com")).count(),
        1,
        "nothing is run over a half-created site without forceCreate: {calls:?}"
    );
    assert!(bench.site_exists("hr.example.com"), "and it is not removed");

    // With forceCreate, bench new-site --force starts it over.
    let values = multisite_values(listener.local_addr().unwrap().port()).replace(
        "  createMultipleSites:\n    enabled: true\n",
        "  createMultipleSites:\n    enabled: true\n    forceCreate: true\n",
    );
    let forced = script(&documents(&render_text(&values, &[])), "create-site");
    let output = bench.run(&forced, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let again: Vec<String> = bench.calls().into_iter().skip(calls.len()).collect();
    assert!(
        again
            .iter()
            .any(|c| c.starts_with("new-site hr.example.com") && c.ends_with("--force")),
        "{again:?}"
    );
    assert!(!bench.root().join("sites/.frappe-manifests/hr.example.com.creating").exists());
    // The next run finds every site complete.
    let output = bench.run(&forced, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        !bench
            .calls()
            .iter()
            .skip(calls.len() + again.len())
            .any(|c| c.starts_with("new-site"))
    );
}

#[test]
fn no_password_reaches_a_command_line_bench_log_or_the_volumes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    for release in ["15", "16"] {
        let bench = ScratchBench::configured();
        bench.add_site("retired.example.com");
        for task in ["create-site", "drop-site"] {
            let output = bench.run_release(&script(&docs, task), release, None);
            assert!(output.status.success(), "{task}: {}", text(&output.stderr));
            let printed = format!("{}{}", text(&output.stdout), text(&output.stderr));
            assert!(printed.contains("bench called with"), "the fake bench ran");
            assert!(
                !printed.contains(ROOT_PASSWORD) && !printed.contains(ADMIN_PASSWORD),
                "{task} printed a password:\n{printed}"
            );
            assert!(printed.contains("***"), "{task}: the password bench printed was redacted");
        }
        assert_eq!(
            bench.secrets(),
            [
                format!("new-site shop.example.com root={ROOT_PASSWORD} admin={ADMIN_PASSWORD}"),
                format!("new-site hr.example.com root={ROOT_PASSWORD} admin={ADMIN_PASSWORD}"),
                format!("new-site crm.example.com root={ROOT_PASSWORD} admin={ADMIN_PASSWORD}"),
                format!("drop-site retired.example.com root={ROOT_PASSWORD}"),
            ],
            "frappe {release}: bench got every password, from its prompts"
        );
        let calls = bench.calls();
        assert!(calls.len() >= 5, "{calls:?}");
        let log = std::fs::read_to_string(bench.root().join("logs/bench.log")).unwrap();
        assert_eq!(log.lines().count(), calls.len(), "bench logs every command line:\n{log}");
        for line in log.lines() {
            let (stamp, rest) = line.split_at(23);
            assert!(
                stamp.chars().filter(char::is_ascii_digit).count() == 17 && rest.starts_with(" INFO /"),
                "{line}"
            );
        }
        let mut leaks = Vec::new();
        for entry in walk(&bench.root()).into_iter().chain([bench.argv_log()]) {
            let content = String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned();
            if content.contains(ROOT_PASSWORD) || content.contains(ADMIN_PASSWORD) {
                leaks.push(entry);
            }
        }
        assert!(
            leaks.is_empty(),
            "frappe {release}: a password is on a command line or left on the volumes: {leaks:?}"
        );
    }

    let stream = serde_json::to_string(&docs).unwrap();
    assert!(!stream.contains(":cache-pass@"), "a Redis password is outside the Secret");
    for doc in docs.iter().filter(|d| d["kind"] == "Deployment") {
        let probe = serde_json::to_string(&doc["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]).unwrap();
        assert!(!probe.contains("pass"), "a probe carries a Redis password: {probe}");
    }
    for doc in docs.iter().filter(|d| d["kind"] == "Job") {
        for env in doc["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if env["name"].as_str().is_some_and(|n| n.ends_with("PASSWORD")) {
                assert!(env.get("value").is_none(), "a password is set as a literal: {env}");
                // The Redis passwords of the URLs go into the bench's own Secret.
                let secret = if env["name"].as_str().unwrap().starts_with("REDIS_") {
                    "erpnext"
                } else {
                    "erp-secrets"
                };
                assert_eq!(env["valueFrom"]["secretKeyRef"]["name"], secret);
            }
        }
    }
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Every key of `common_site_config.json` that bench takes a password from
/// before it asks for it, for each engine: `root_password` (v15 and v16),
/// v16's `mariadb_root_password` and `postgres_root_password`
/// (frappe/database/{mariadb,postgres}/setup_db.py, get_root_connection), and
/// `admin_password` (frappe/utils/install.py, get_admin_password).
#[test]
fn a_password_in_the_bench_config_stops_site_creation() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mariadb = multisite_values(listener.local_addr().unwrap().port());
    let postgres = mariadb.replace("dbHost:", "dbType: postgres\ndbHost:");
    for (values, key) in [
        (&mariadb, "root_password"),
        (&mariadb, "mariadb_root_password"),
        (&mariadb, "admin_password"),
        (&postgres, "root_password"),
        (&postgres, "postgres_root_password"),
        (&postgres, "admin_password"),
    ] {
        let bench = ScratchBench::configured();
        std::fs::write(
            bench.root().join("sites/common_site_config.json"),
            format!(r#"{{"db_host": "127.0.0.1", "redis_queue": "rediss://q", "{key}": "x"}}"#),
        )
        .unwrap();
        let output = bench.run(&script(&documents(&render_text(values, &[])), "create-site"), None);
        assert!(!output.status.success(), "{key}");
        assert!(
            text(&output.stderr).contains("common_site_config.json holds"),
            "{key}: {}",
            text(&output.stderr)
        );
        assert!(
            bench.calls().is_empty(),
            "{key}: bench would have answered its prompts from that file"
        );
    }
}

#[test]
fn create_site_uses_the_login_scope_option_of_the_release() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let create = script(&rendered(&listener), "create-site");
    let mut asked = Vec::new();
    for (release, option) in [
        ("15.45", "--no-mariadb-socket"),
        ("15", "--mariadb-user-host-login-scope=%"),
        ("16", "--mariadb-user-host-login-scope=%"),
    ] {
        let bench = ScratchBench::configured();
        let output = bench.run_release(&create, release, None);
        assert!(output.status.success(), "frappe {release}: {}", text(&output.stderr));
        assert!(
            !text(&output.stdout).contains("DEPRECATED"),
            "frappe {release}: {}",
            text(&output.stdout)
        );
        let calls = bench.calls();
        let created: Vec<&String> = calls
            .iter()
            .filter(|c| c.starts_with("new-site ") && !c.ends_with("--help"))
            .collect();
        assert_eq!(created.len(), 3, "{calls:?}");
        assert!(created.iter().all(|c| c.contains(option)), "frappe {release}: {created:?}");
        asked.push(calls.iter().filter(|c| c.ends_with("--help")).count());
    }
    assert_eq!(asked, [1, 1, 1], "each run asks bench which options it has, once");

    // v15 refuses a login scope for PostgreSQL.
    let values = multisite_values(listener.local_addr().unwrap().port()).replace("dbHost:", "dbType: postgres\ndbHost:");
    let create = script(&documents(&render_text(&values, &[])), "create-site");
    let bench = ScratchBench::configured();
    let output = bench.run_release(&create, "15", None);
    assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
    assert!(bench.calls().iter().all(|c| !c.contains("socket") && !c.contains("scope")));
}

#[test]
fn drop_site_and_backup_do_their_work() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    bench.add_site("retired.example.com");
    std::fs::create_dir_all(bench.root().join("sites/.frappe-manifests")).unwrap();
    std::fs::write(bench.root().join("sites/.frappe-manifests/retired.example.com.creating"), "").unwrap();
    let earlier = "20260101_000000-retired_example_com-database.sql.gz";
    let site_backups = bench.root().join("sites/retired.example.com/private/backups");
    std::fs::create_dir_all(&site_backups).unwrap();
    std::fs::write(site_backups.join(earlier), "").unwrap();
    // A day later, bench's backup deletes that one first (delete_temp_backups).
    let a_day_later = "export BENCH_CLOCK_AHEAD_HOURS=25\n";
    let output = bench.run(&format!("{a_day_later}{}", script(&docs, "drop-site")), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("site gone.example.com does not exist: nothing to drop"));
    let calls = bench.calls();
    assert_eq!(calls.len(), 1);
    assert!(
        calls[0].starts_with("drop-site retired.example.com --db-root-username=root --archived-sites-path=")
            && !calls[0].contains("--no-backup"),
        "{}",
        calls[0]
    );
    assert!(!bench.site_exists("retired.example.com"));
    assert!(
        !bench.root().join("sites/.frappe-manifests/retired.example.com.creating").exists(),
        "a dropped site is created afresh later"
    );
    // bench backed the site up before dropping its database, and the backup
    // moved with the folder; the script says where.
    let dumps = |bench: &ScratchBench, name: &str| {
        let backups = bench.root().join("sites/archived_sites").join(name).join("private/backups");
        std::fs::read_dir(backups).map_or(0, |entries| {
            entries
                .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with("-database.sql.gz"))
                .count()
        })
    };
    assert_eq!(dumps(&bench, "retired.example.com"), 1);
    assert!(
        bench
            .root()
            .join("sites/archived_sites/retired.example.com/private/backups-before-drop")
            .join(earlier)
            .exists(),
        "the site's earlier backups are kept beside the new one"
    );
    assert!(
        text(&output.stdout).contains(
            "site retired.example.com dropped: its folder and the backup taken first are in sites/archived_sites/retired.example.com\n"
        ),
        "{}",
        text(&output.stdout)
    );
    // A site of the same name, made and dropped again, goes beside the first.
    bench.add_site("retired.example.com");
    let output = bench.run(&script(&docs, "drop-site"), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("are in sites/archived_sites/retired.example.com1\n"));
    assert_eq!(dumps(&bench, "retired.example.com1"), 1);

    // A backup that fails stops the drop, and the earlier backups stay where
    // they were; with `forced`, the drop goes on and the log says there is
    // no backup.
    let bench = ScratchBench::configured();
    bench.add_site("retired.example.com");
    std::fs::create_dir_all(bench.root().join("sites/retired.example.com/private/backups")).unwrap();
    std::fs::write(bench.root().join("sites/retired.example.com/private/backups").join(earlier), "").unwrap();
    let failing = "export FAIL_BACKUP='[Errno 28] No space left on device'\n";
    let output = bench.run(&format!("{failing}{}", script(&docs, "drop-site")), None);
    assert!(!output.status.success());
    assert!(bench.site_exists("retired.example.com"));
    assert!(
        bench
            .root()
            .join("sites/retired.example.com/private/backups")
            .join(earlier)
            .exists()
    );
    assert!(!bench.root().join("sites/retired.example.com/private/backups-before-drop").exists());
    let values = multisite_values(listener.local_addr().unwrap().port());
    let forced = script(
        &documents(&render_text(&values, &["jobs.dropMultipleSites.forced=true"])),
        "drop-site",
    );
    let output = bench.run(&format!("{failing}{forced}"), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(!bench.site_exists("retired.example.com"));
    assert!(
        text(&output.stderr).contains("site retired.example.com was dropped WITHOUT a backup"),
        "{}",
        text(&output.stderr)
    );

    // `backup: false` is the chart's `--no-backup`.
    let no_backup = script(
        &documents(&render_text(&values, &["jobs.dropMultipleSites.backup=false"])),
        "drop-site",
    );
    let bench = ScratchBench::configured();
    bench.add_site("retired.example.com");
    let output = bench.run(&no_backup, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(bench.calls()[0].contains(" --no-backup"), "{:?}", bench.calls());
    assert_eq!(dumps(&bench, "retired.example.com"), 0);
    assert!(!bench.site_exists("retired.example.com"));

    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    bench.add_site("hr.example.com");
    let backups = bench.root().join("sites/shop.example.com/private/backups");
    std::fs::create_dir_all(&backups).unwrap();
    std::fs::write(backups.join("old.sql.gz"), "").unwrap();
    std::fs::write(backups.join("new.sql.gz"), "").unwrap();
    Command::new("touch")
        .args(["-d", "30 days ago"])
        .arg(backups.join("old.sql.gz"))
        .status()
        .unwrap();
    std::fs::create_dir_all(bench.root().join("sites/hr.example.com/private/backups")).unwrap();
    let output = bench.run(&script(&docs, "backup"), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        bench.calls(),
        [
            "--site shop.example.com backup --with-files",
            "--site hr.example.com backup --with-files"
        ]
    );
    assert!(!backups.join("old.sql.gz").exists(), "backups past retainDays are deleted");
    assert!(backups.join("new.sql.gz").exists());
}

/// The multisite values with the backup of shop and hr on a schedule: a CronJob.
pub(crate) fn scheduled_backup_values(db_port: u16) -> String {
    let values = multisite_values(db_port).replace("    retainDays: 7\n", "    retainDays: 7\n    schedule: \"0 3 * * *\"\n");
    assert!(values.contains("schedule:"), "{values}");
    values
}

/// A backup file of `site` that `retainDays: 7` deletes: 30 days old.
pub(crate) fn old_backup(bench: &ScratchBench, site: &str) -> PathBuf {
    let backups = bench.root().join("sites").join(site).join("private/backups");
    std::fs::create_dir_all(&backups).unwrap();
    let old = backups.join("old.sql.gz");
    std::fs::write(&old, "").unwrap();
    assert!(
        Command::new("touch")
            .args(["-d", "30 days ago"])
            .arg(&old)
            .status()
            .unwrap()
            .success()
    );
    old
}

/// `bench --site <site> set-maintenance-mode <state>`, as a migrate or restore
/// Job runs it (the fake writes `maintenance_mode` into the site's config, as
/// frappe's update_site_config does).
pub(crate) fn set_maintenance_mode(bench: &ScratchBench, site: &str, state: &str) {
    let output = bench.run(&format!("bench --site {site} set-maintenance-mode {state}"), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
}

/// The stamp of a one-off backup (`done <image>`) that a
/// migrate Job of that image waits for, which a scheduled backup (of a
/// release before or after, or an unpruned CronJob) must leave alone: its
/// `running`, `failed` or `done` of its own image would stop or hold up
/// that migrate.
pub(crate) fn one_off_backup_stamp(bench: &ScratchBench) -> PathBuf {
    let stamps = bench.root().join("sites/.frappe-manifests");
    std::fs::create_dir_all(&stamps).unwrap();
    let stamp = stamps.join("backed-up");
    std::fs::write(&stamp, "done frappe/erpnext:v16.0.0\n").unwrap();
    stamp
}

/// The `backup` command lines bench ran.
pub(crate) fn backups_run(bench: &ScratchBench) -> Vec<String> {
    bench.calls().into_iter().filter(|c| c.ends_with(" backup --with-files")).collect()
}

/// `bench backup` does not look at maintenance mode, in which a
/// migrate or restore changes the site's database. The scheduled backup
/// waits for it to end, for MAINTENANCE_TIMEOUT seconds, then skips that
/// site, keeps its older backups, backs up the others and fails.
#[test]
fn a_scheduled_backup_skips_a_site_in_maintenance_mode_and_fails() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = documents(&render_text(&scheduled_backup_values(listener.local_addr().unwrap().port()), &[]));
    assert_eq!(job(&docs, "backup")["kind"], "CronJob");
    let backup = script(&docs, "backup");
    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    bench.add_site("hr.example.com");
    let (shop_old, hr_old) = (old_backup(&bench, "shop.example.com"), old_backup(&bench, "hr.example.com"));
    set_maintenance_mode(&bench, "shop.example.com", "on");
    let stamp = one_off_backup_stamp(&bench);

    let output = bench.run(&format!("export MAINTENANCE_TIMEOUT=2\n{backup}"), None);
    assert!(!output.status.success(), "the CronJob's run fails");
    assert_eq!(std::fs::read_to_string(&stamp).unwrap(), "done frappe/erpnext:v16.0.0\n");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("error: shop.example.com is still in maintenance mode after 2s"),
        "{stderr}"
    );
    assert_eq!(
        backups_run(&bench),
        ["--site hr.example.com backup --with-files"],
        "the others are backed up"
    );
    assert!(shop_old.exists(), "the skipped site keeps its older backups");
    assert!(!hr_old.exists(), "the others' past retainDays are deleted");

    // Maintenance mode of the whole bench counts too (frappe reads the
    // site's config over common_site_config.json).
    set_maintenance_mode(&bench, "shop.example.com", "off");
    let bench_wide = bench.run("bench set-config -g maintenance_mode 1", None);
    assert!(bench_wide.status.success(), "{}", text(&bench_wide.stderr));
    let before = backups_run(&bench).len();
    let output = bench.run(&format!("export MAINTENANCE_TIMEOUT=0\n{backup}"), None);
    assert!(!output.status.success());
    assert_eq!(
        backups_run(&bench)[before..],
        ["--site shop.example.com backup --with-files"],
        "shop's own `maintenance_mode: 0` is what frappe reads; hr's is the bench's"
    );
    assert!(text(&output.stderr).contains("hr.example.com is still in maintenance mode"));
}

/// The sites out of maintenance mode are backed up first, then
/// the run waits for the others: a site left in maintenance mode for days (a
/// failed migrate awaiting the operator) does not hold up, every night, the
/// backups of the sites after it (shop is named first; of `all`, hr comes
/// first).
#[test]
fn a_scheduled_backup_backs_up_the_others_then_waits_for_maintenance_mode_to_end() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let named = scheduled_backup_values(listener.local_addr().unwrap().port());
    let all = multisite_values(listener.local_addr().unwrap().port()).replace(
        "  backupMultipleSites:\n    enabled: true\n    retainDays: 7\n    sites: [{name: shop.example.com}, {name: hr.example.com}]\n",
        "  backup:\n    enabled: true\n    siteName: all\n    retainDays: 7\n    schedule: \"0 3 * * *\"\n",
    );
    assert!(all.contains("siteName: all"), "{all}");
    for (values, waiting, other) in [
        (named, "shop.example.com", "hr.example.com"),
        (all, "hr.example.com", "shop.example.com"),
    ] {
        let backup = script(&documents(&render_text(&values, &[])), "backup");
        let bench = ScratchBench::configured();
        bench.add_site("shop.example.com");
        bench.add_site("hr.example.com");
        set_maintenance_mode(&bench, waiting, "on");
        let stamp = one_off_backup_stamp(&bench);
        std::thread::scope(|scope| {
            let backing_up = scope.spawn(|| bench.run(&format!("export MAINTENANCE_TIMEOUT=60\n{backup}"), None));
            std::thread::sleep(std::time::Duration::from_secs(3));
            assert_eq!(
                backups_run(&bench),
                [format!("--site {other} backup --with-files")],
                "the other site is backed up, {waiting} waited for"
            );
            set_maintenance_mode(&bench, waiting, "off");
            let output = backing_up.join().unwrap();
            assert!(output.status.success(), "{}", text(&output.stderr));
        });
        assert_eq!(std::fs::read_to_string(&stamp).unwrap(), "done frappe/erpnext:v16.0.0\n");
        assert_eq!(
            backups_run(&bench),
            [
                format!("--site {other} backup --with-files"),
                format!("--site {waiting} backup --with-files")
            ]
        );
    }
}

/// The one-off backup of an upgrade runs whatever the sites' maintenance
/// mode: a failed migrate leaves its site in it, and the next attempt's
/// backup (and the migrate that waits for it) must not stop there.
#[test]
fn the_one_off_backup_does_not_wait_for_maintenance_mode() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    assert_eq!(job(&docs, "backup")["kind"], "Job");
    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    bench.add_site("hr.example.com");
    set_maintenance_mode(&bench, "shop.example.com", "on");
    let started = std::time::Instant::now();
    let output = bench.run(&format!("export MAINTENANCE_TIMEOUT=30\n{}", script(&docs, "backup")), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(started.elapsed().as_secs() < 10, "no wait");
    assert_eq!(
        backups_run(&bench),
        [
            "--site shop.example.com backup --with-files",
            "--site hr.example.com backup --with-files"
        ]
    );
}

/// A scheduled backup of `all` takes the sites one by one, as `bench --site
/// all` would (folders with a site_config.json), and skips the one in
/// maintenance mode.
#[test]
fn a_scheduled_backup_of_all_sites_skips_the_one_in_maintenance_mode() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let values = multisite_values(listener.local_addr().unwrap().port()).replace(
        "  backupMultipleSites:\n    enabled: true\n    retainDays: 7\n    sites: [{name: shop.example.com}, {name: hr.example.com}]\n",
        "  backup:\n    enabled: true\n    siteName: all\n    retainDays: 7\n    schedule: \"0 3 * * *\"\n",
    );
    assert!(values.contains("siteName: all"), "{values}");
    let backup = script(&documents(&render_text(&values, &[])), "backup");
    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    bench.add_site("hr.example.com");
    std::fs::create_dir_all(bench.root().join("sites/assets")).unwrap();
    let (shop_old, hr_old) = (old_backup(&bench, "shop.example.com"), old_backup(&bench, "hr.example.com"));
    set_maintenance_mode(&bench, "hr.example.com", "on");
    let output = bench.run(&format!("export MAINTENANCE_TIMEOUT=0\n{backup}"), None);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("hr.example.com is still in maintenance mode"));
    assert_eq!(backups_run(&bench), ["--site shop.example.com backup --with-files"]);
    assert!(hr_old.exists() && !shop_old.exists());
}

/// `bench --site all backup` goes on past a site whose backup
/// fails (a broken database or site_config.json) and fails at the end
/// (frappe/commands/site.py backup); the scheduled backup, which takes the
/// sites one by one, does the same, and keeps that site's older backups.
#[test]
fn a_scheduled_backup_goes_on_past_a_site_whose_backup_fails() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let values = multisite_values(listener.local_addr().unwrap().port()).replace(
        "  backupMultipleSites:\n    enabled: true\n    retainDays: 7\n    sites: [{name: shop.example.com}, {name: hr.example.com}]\n",
        "  backup:\n    enabled: true\n    siteName: all\n    retainDays: 7\n    schedule: \"0 3 * * *\"\n",
    );
    let backup = script(&documents(&render_text(&values, &[])), "backup");
    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    bench.add_site("hr.example.com");
    let (shop_old, hr_old) = (old_backup(&bench, "shop.example.com"), old_backup(&bench, "hr.example.com"));
    let output = bench.run(
        &backup,
        Some((
            "--site hr.example.com backup",
            "pymysql.err.OperationalError: (1049, \"Unknown database\")",
        )),
    );
    assert!(!output.status.success(), "the run fails");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("error: the backup of hr.example.com failed"), "{stderr}");
    assert!(
        stderr.contains(
            "not backed up (another Job changing it, in maintenance mode, still being created, or its backup failed): hr.example.com"
        ),
        "{stderr}"
    );
    assert_eq!(
        backups_run(&bench),
        [
            "--site hr.example.com backup --with-files",
            "--site shop.example.com backup --with-files"
        ],
        "shop, after hr, is backed up"
    );
    assert!(hr_old.exists() && !shop_old.exists(), "the failed site's older backups are kept");
}

#[test]
fn jobs_wait_for_the_database_with_a_bounded_timeout() {
    // Port 1, below the range the kernel hands out for port 0: nothing
    // listens there. (A port another test was given and dropped could be
    // handed to the next test's listener, and the wait would pass.)
    let docs = documents(&render_text(&multisite_values(1), &[]));
    let bench = ScratchBench::configured();
    let output = bench.run(&script(&docs, "migrate"), None);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("did not accept connections within 3s"),
        "{}",
        text(&output.stderr)
    );
    assert!(bench.calls().is_empty(), "nothing ran before the database answered");
}

#[test]
fn every_job_script_of_the_multisite_example_is_snapshotted() {
    let values = std::fs::read_to_string(example("multisite")).unwrap();
    let docs = documents(&render_text(&values, &[]));
    for task in ["configure", "create-site", "migrate", "clear-cache", "backup", "drop-site"] {
        let script = script_text(&docs, task);
        snapshot_settings().bind(|| insta::assert_snapshot!(format!("job-script-{task}"), script));
    }
    let kinds: Vec<(&str, &str)> = docs
        .iter()
        .filter(|d| d["kind"] == "Job" || d["kind"] == "CronJob")
        .map(|d| {
            (
                d["kind"].as_str().unwrap(),
                d["metadata"]["labels"]["app.kubernetes.io/component"].as_str().unwrap(),
            )
        })
        .collect();
    for expected in ["configure", "volume-permissions", "create-site", "migrate", "drop-site", "custom"] {
        assert!(kinds.contains(&("Job", expected)), "no {expected} Job: {kinds:?}");
    }
    assert!(kinds.contains(&("CronJob", "backup")));
    let cron = docs.iter().find(|d| d["kind"] == "CronJob").unwrap();
    assert_eq!(cron["metadata"]["name"], "erpnext-backup");
    assert_eq!(cron["spec"]["schedule"], "0 3 * * *");
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
    assert_eq!(cron["spec"]["successfulJobsHistoryLimit"], 3);
}

/// The functions the Jobs share for a site's lock, its background jobs and
/// create-site's markers are each in one template, and each script includes
/// only those it calls: what a script holds is what it runs.
#[test]
fn each_job_script_defines_only_the_shared_functions_it_calls() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let shared = [
        "wait_for_background_jobs",
        "lock_site",
        "try_lock_site",
        "site_lock_file",
        "lock_refused",
        "unlock_site",
        "creating_marker",
        "queued_marker",
    ];
    let restore = "  restore: {enabled: true, siteName: shop.example.com, confirm: shop.example.com, database: a-database.sql.gz}\n";
    let all = "  backup: {enabled: true, siteName: all}\n";
    let scheduled_all = "  backup: {enabled: true, siteName: all, schedule: \"0 3 * * *\"}\n";
    let mut scripts = Vec::new();
    for (values, tasks) in [
        (multisite_values(port), &["create-site", "migrate", "backup", "drop-site"][..]),
        (scheduled_backup_values(port), &["backup"][..]),
        (format!("{}{restore}", fake_bench_endpoints(port)), &["restore"][..]),
        (format!("{}{all}", fake_bench_endpoints(port)), &["backup"][..]),
        (format!("{}{scheduled_all}", fake_bench_endpoints(port)), &["backup"][..]),
    ] {
        let docs = documents(&render_text(&values, &[]));
        for task in tasks {
            scripts.push((
                format!("{task} ({})", job(&docs, task)["kind"].as_str().unwrap()),
                script_text(&docs, task),
            ));
        }
    }
    for (name, script) in &scripts {
        // What runs: the lines but comments.
        let script: String = script
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        for function in shared {
            let defined = script.lines().filter(|l| *l == format!("{function}() {{")).count();
            assert!(defined <= 1, "{name} defines {function} {defined} times");
            let used = script
                .match_indices(function)
                .filter(|(at, _)| {
                    let before = script[..*at].chars().next_back();
                    let after = script[at + function.len()..].chars().next();
                    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                    !word(before) && !word(after) && !script[*at..].starts_with(&format!("{function}() {{"))
                })
                .count();
            assert!(defined == 0 || used > 0, "{name} defines {function} and never calls it");
        }
    }
}

#[test]
fn a_new_image_tag_renames_the_migrate_job_and_changes_nothing_else_in_it() {
    let values = std::fs::read_to_string(example("multisite")).unwrap();
    let before = documents(&render_text(&values, &[]));
    let after = documents(&render_text(&values, &["image.tag=v16.40.0"]));
    assert_eq!(before, documents(&render_text(&values, &[])), "two renders are identical");
    let migrate = |docs: &[Value]| {
        docs.iter()
            .find(|d| d["kind"] == "Job" && d["metadata"]["labels"]["app.kubernetes.io/component"] == "migrate")
            .unwrap()
            .clone()
    };
    let (mut old, mut new) = (migrate(&before), migrate(&after));
    assert_ne!(old["metadata"]["name"], new["metadata"]["name"]);
    for job in [&mut old, &mut new] {
        job["metadata"]["name"] = Value::Null;
        job["metadata"]["labels"]["app.kubernetes.io/version"] = Value::Null;
        // The name again, on the pods, for the Job's disruption budget.
        job["spec"]["template"]["metadata"]["labels"]["frappe-manifests/job"] = Value::Null;
        let container = &mut job["spec"]["template"]["spec"]["containers"][0];
        let image = container["image"].as_str().unwrap().to_owned();
        let script = container["args"][0].as_str().unwrap().replace(&image, "IMAGE");
        container["args"][0] = Value::from(script);
        container["image"] = Value::Null;
    }
    assert_eq!(
        old, new,
        "only the name (and the pods' label that repeats it), the image (which the script stamps) and the version label change"
    );
    let names = |docs: &[Value]| {
        docs.iter()
            .filter(|d| d["kind"] == "Job")
            .map(|d| d["metadata"]["name"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&before).len(), names(&after).len());
}

/// The name of the Job whose component label is `task`.
pub(crate) fn job_name(docs: &[Value], task: &str) -> String {
    job(docs, task)["metadata"]["name"].as_str().unwrap().to_owned()
}

#[test]
fn each_job_is_renamed_exactly_when_what_it_does_changes() {
    let values = "dbHost: db.internal.example.com\ndbExistingSecret: erp-db\n\
                  externalRedis: {cache: \"redis://redis-cache.internal.example.com:6379/0\", queue: \"redis://redis-queue.internal.example.com:6379/1\"}\n\
                  jobs:\n  createSite: {enabled: true, siteName: erp.example.com, adminExistingSecret: erp-admin, installApps: [erpnext]}\n  \
                  dropSite: {enabled: true, siteName: old.example.com}\n  migrate: {enabled: true, siteName: erp.example.com}\n  \
                  backup: {enabled: true, siteName: erp.example.com}\n";
    let render = |sets: &[&str]| documents(&render_text(values, sets));
    let base = render(&[]);
    let tasks = ["configure", "create-site", "drop-site", "migrate", "backup"];
    let renamed = |other: &[Value]| -> Vec<&str> {
        tasks
            .iter()
            .copied()
            .filter(|task| job_name(&base, task) != job_name(other, task))
            .collect()
    };
    assert_eq!(
        renamed(&render(&["image.tag=v16.99.0"])),
        ["configure", "migrate", "backup"],
        "a new image: configure (apps.txt), migrate and the one-off backup run again; site creation and drop do not"
    );
    assert_eq!(
        renamed(&render(&["externalRedis.cache=redis://redis-cache.internal.example.com:6379/3"])),
        ["configure"],
        "new settings for the same hosts: only configure writes them"
    );
    assert_eq!(
        renamed(&render(&["jobs.createSite.installApps[0]=hrms"])),
        ["create-site"],
        "a new app: the site's definition changed"
    );
    assert_eq!(
        renamed(&render(&["dbRootUser=admin"])),
        ["create-site", "drop-site"],
        "the database login of site creation and drop"
    );
    for task in ["create-site", "drop-site"] {
        assert_eq!(
            job(&base, task)["spec"]["ttlSecondsAfterFinished"],
            600,
            "{task} keeps its name across images, so it leaves before a new image could meet its immutable template"
        );
    }
    for task in ["configure", "migrate", "backup"] {
        assert!(job(&base, task)["spec"].get("ttlSecondsAfterFinished").is_none(), "{task}");
    }
    for doc in base.iter().filter(|d| d["kind"] == "Job") {
        assert!(doc["metadata"]["name"].as_str().unwrap().len() <= 63);
    }
}

#[test]
fn a_site_or_app_name_starting_with_a_dash_is_refused() {
    let values = "dbHost: db\ndbExistingSecret: s\nexternalRedis: {cache: \"redis://c:6379\", queue: \"redis://q:6379\"}\n\
                  jobs:\n  createMultipleSites:\n    enabled: true\n    adminExistingSecret: s\n    sites:\n      \
                  - {name: --force, installApps: [erpnext]}\n      - {name: shop.example.com, installApps: [-x]}\n  \
                  migrate: {enabled: true, siteName: -shop.example.com}\n";
    let outcome = check_text(values, &[], "erpnext", None);
    assert!(outcome.manifests.is_none(), "nothing renders");
    let refused: Vec<(String, usize)> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "invalid-value")
        .map(|d| (d.message.clone(), d.span.map_or(0, |s| s.line as usize)))
        .collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert!(refused[0].0.contains("`--force`") && refused[0].1 == 9, "{refused:?}");
    assert!(refused[1].0.contains("`-x`") && refused[1].1 == 10, "{refused:?}");
    assert!(refused[2].0.contains("`-shop.example.com`") && refused[2].1 == 11, "{refused:?}");
}

/// A backup of every site (`all`) waits until create-site has no site queued:
/// `bench --site all backup` fails on a site half made (frappe's backup
/// command exits 1 on it).
#[test]
fn a_backup_of_all_sites_waits_for_the_sites_being_created() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let values = multisite_values(port).replace(
        "  backupMultipleSites:\n    enabled: true\n    retainDays: 7\n    sites: [{name: shop.example.com}, {name: hr.example.com}]\n",
        "  backup:\n    enabled: true\n    siteName: all\n",
    );
    assert!(values.contains("siteName: all"), "{values}");
    let docs = documents(&render_text(&values, &[]));
    let backup = script(&docs, "backup");
    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    let queued = bench.root().join("sites/.frappe-manifests/hr.example.com.queued");
    std::fs::create_dir_all(queued.parent().unwrap()).unwrap();
    std::fs::write(&queued, "").unwrap();
    std::thread::scope(|scope| {
        let backing_up = scope.spawn(|| bench.run(&backup, None));
        std::thread::sleep(std::time::Duration::from_secs(3));
        assert!(bench.calls().is_empty(), "the backup waits: {:?}", bench.calls());
        bench.add_site("hr.example.com");
        std::fs::remove_file(&queued).unwrap();
        let output = backing_up.join().unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
    });
    // Site by site (dump.sh), as `bench --site all` takes them.
    assert_eq!(
        bench.calls(),
        [
            "--site hr.example.com backup --with-files",
            "--site shop.example.com backup --with-files"
        ]
    );
}

/// The upload deletes old keys under the prefix as shell words: a space or a
/// wildcard in the prefix would split a key or reach keys outside it.
#[test]
fn an_s3_prefix_is_segments_of_plain_characters() {
    for (prefix, valid) in [
        ("", true),
        ("/erp/nightly/", true),
        ("erp_2.backups-a", true),
        ("shop backups/*", false),
        ("erp/../other", false),
        ("a//b", false),
        ("$(id)", false),
    ] {
        let values = format!(
            "dbHost: db\ndbExistingSecret: s\nexternalRedis: {{cache: \"redis://c:6379\", queue: \"redis://q:6379\"}}\n\
             jobs:\n  backup:\n    enabled: true\n    siteName: a.example.com\n    s3: {{bucket: b, existingSecret: k, prefix: \"{prefix}\"}}\n"
        );
        let outcome = check_text(&values, &[], "erpnext", None);
        let refused: Vec<_> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.code.as_str() == "invalid-value")
            .map(|d| (d.message.clone(), d.span.map_or(0, |s| s.line)))
            .collect();
        if valid {
            assert!(refused.is_empty() && outcome.manifests.is_some(), "{prefix}: {refused:?}");
        } else {
            assert_eq!(refused.len(), 1, "{prefix}: {refused:?}");
            assert!(
                refused[0].0.contains("is not an S3 key prefix") && refused[0].1 == 8,
                "{prefix}: {refused:?}"
            );
        }
    }
}

#[test]
fn passwords_in_the_values_go_into_one_secret() {
    let values = "dbHost: db\ndbRootPassword: root-pw\nexternalRedis: {cache: \"redis://c:6379\", queue: \"redis://q:6379\"}\njobs:\n  createSite:\n    enabled: true\n    siteName: erp.example.com\n    adminPassword: admin-pw\n";
    let outcome = crate::common::check_text(values, &[], "erpnext", None);
    let docs = documents(&frappe_manifests::emit::to_yaml_stream(outcome.manifests.as_ref().unwrap()));
    let secrets: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "Secret").collect();
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0]["data"]["admin-password"], "YWRtaW4tcHc=");
    assert_eq!(secrets[0]["data"]["db-root-password"], "cm9vdC1wdw==");
    let warned: Vec<&str> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "plaintext-password")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(warned.len(), 2, "{warned:?}");
    let job = docs
        .iter()
        .find(|d| d["kind"] == "Job" && d["metadata"]["labels"]["app.kubernetes.io/component"] == "create-site")
        .unwrap();
    let env = job["spec"]["template"]["spec"]["containers"][0]["env"].as_array().unwrap();
    let admin = env.iter().find(|e| e["name"] == "ADMIN_PASSWORD").unwrap();
    assert_eq!(
        admin["valueFrom"]["secretKeyRef"],
        serde_json::json!({"name": "erpnext", "key": "admin-password"})
    );
    assert!(!serde_json::to_string(job).unwrap().contains("admin-pw"));
}

/// bench reads each password from its prompt a line at a time: a password
/// with a line break (a Secret made from a file that ends in one) would be
/// cut there, and its rest taken as the answer to the next prompt, the
/// Administrator password among them. Each Job that answers prompts refuses
/// it before it runs bench.
#[test]
fn a_password_with_a_line_break_is_refused_before_bench_reads_it() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    for (task, variable) in [
        ("create-site", "DB_ROOT_PASSWORD"),
        ("create-site", "ADMIN_PASSWORD"),
        ("drop-site", "DB_ROOT_PASSWORD"),
    ] {
        let bench = ScratchBench::configured();
        bench.add_site("retired.example.com");
        let mut command = bench.command(&script(&docs, task), "16");
        command
            .env("WAIT_TIMEOUT", "3")
            .env("DB_ROOT_USER", "root")
            .env("DB_ROOT_PASSWORD", ROOT_PASSWORD)
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env(variable, "from-a-file\n");
        let output = command.output().unwrap();
        let stderr = text(&output.stderr);
        assert!(!output.status.success(), "{task} {variable}: {:?}", bench.secrets());
        // It names the Secret key to rewrite, and the Job to run again.
        assert!(
            stderr.contains(&format!("{variable}, from Secret erp-secrets, key password, holds a line break")),
            "{task}: {stderr}"
        );
        assert!(stderr.contains("kubectl delete job "), "{task}: {stderr}");
        assert!(bench.calls().is_empty(), "{task} {variable}: bench ran: {:?}", bench.calls());
    }
}

/// A Job with no prompt to answer does not look at the passwords: one that
/// finds every site created, or every site to drop gone (as each does when
/// it runs again, at an upgrade that renames it, or every sync for
/// drop-site), succeeds whatever the Secret holds.
#[test]
fn a_password_with_a_line_break_stops_no_job_that_asks_bench_nothing() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    for task in ["create-site", "drop-site"] {
        let bench = ScratchBench::configured();
        if task == "create-site" {
            for site in ["shop.example.com", "hr.example.com", "crm.example.com"] {
                bench.add_site(site);
            }
        }
        let mut command = bench.command(&script(&docs, task), "16");
        command
            .env("WAIT_TIMEOUT", "3")
            .env("DB_ROOT_USER", "root")
            .env("DB_ROOT_PASSWORD", "from-a-file\n")
            .env("ADMIN_PASSWORD", "from-a-file\n");
        let output = command.output().unwrap();
        assert!(output.status.success(), "{task}: {}", text(&output.stderr));
        assert!(bench.secrets().is_empty(), "{task}: a prompt was answered");
    }
}
/// Written in the values, such a password is refused at its key, once,
/// when a Job answers a prompt with it.
#[test]
fn a_password_of_the_values_with_a_line_break_is_refused_at_its_key() {
    let drop = "jobs:\n  dropSite: {enabled: true, siteName: old.example.com}\n";
    let both = "jobs:\n  dropSite: {enabled: true, siteName: old.example.com}\n  createSite: {enabled: true, adminPassword: admin-pw}\n";
    for (values, field) in [
        (format!("dbRootPassword: |\n  root-pw\n{drop}"), Some("dbRootPassword")),
        (format!("dbRootPassword: \"root\\npw\"\n{both}"), Some("dbRootPassword")),
        // No Job reads it.
        ("dbRootPassword: |\n  root-pw\n".to_owned(), None),
        (
            "dbRootPassword: root-pw\njobs:\n  createSite:\n    enabled: true\n    adminPassword: \"admin\\npw\"\n".to_owned(),
            Some("jobs.createSite.adminPassword"),
        ),
        (
            "dbRootPassword: root-pw\njobs:\n  createMultipleSites:\n    enabled: true\n    adminPassword: \"admin\\n\"\n".to_owned(),
            Some("jobs.createMultipleSites.adminPassword"),
        ),
    ] {
        let outcome = check_text(&format!("{}{values}", crate::common::MINIMAL), &[], "erpnext", None);
        let refused: Vec<_> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.is_error() && d.message.contains("line break"))
            .collect();
        let fields: Vec<_> = refused.iter().map(|d| d.field.as_deref()).collect();
        assert_eq!(
            fields,
            field.map(Some).into_iter().collect::<Vec<_>>(),
            "{values}: {}",
            crate::common::human(&outcome)
        );
        assert!(refused.iter().all(|d| d.span.is_some_and(|s| s.line > 4)), "{field:?} is located");
    }
}

#[test]
fn the_jobs_that_change_a_site_ask_node_autoscalers_to_keep_their_node() {
    let values = std::fs::read_to_string(example("multisite")).unwrap();
    let docs = documents(&render_text(&values, &[]));
    let mut seen = Vec::new();
    for doc in docs.iter().filter(|d| d["kind"] == "Job" || d["kind"] == "CronJob") {
        let template = if doc["kind"] == "CronJob" {
            &doc["spec"]["jobTemplate"]["spec"]["template"]
        } else {
            &doc["spec"]["template"]
        };
        let task = template["metadata"]["labels"]["app.kubernetes.io/component"].as_str().unwrap();
        let annotations = &template["metadata"]["annotations"];
        // Cut off part-way, these leave a site half migrated, half made or
        // in maintenance mode, and their Jobs do not retry.
        if ["create-site", "drop-site", "migrate", "restore"].contains(&task) {
            assert_eq!(annotations["cluster-autoscaler.kubernetes.io/safe-to-evict"], "false", "{task}");
            assert_eq!(annotations["karpenter.sh/do-not-disrupt"], "true", "{task}");
        } else {
            assert!(annotations.is_null(), "{task}: {annotations}");
        }
        seen.push(task.to_owned());
    }
    for task in ["create-site", "drop-site", "migrate", "configure", "backup"] {
        assert!(seen.iter().any(|t| t == task), "no {task} Job: {seen:?}");
    }
}

/// Each Job's `resources` reach the container the Job is for, as in the
/// chart: the chown of `volumePermissions` and `configure.fixVolume`
/// included. The custom Job's containers are the values' own, so its
/// `resources` go nowhere, and say so.
#[test]
fn job_resources_reach_their_containers_or_are_reported_unused() {
    let resources = "{requests: {cpu: 50m, memory: 64Mi}}";
    let values = format!(
        "{}jobs:
  volumePermissions: {{enabled: true, resources: {resources}}}
  configure: {{fixVolume: true, resources: {resources}}}
",
        crate::common::MINIMAL
    );
    let docs = documents(&render_text(&values, &[]));
    let pod = |task: &str| {
        docs.iter()
            .find(|d| d["kind"] == "Job" && d["metadata"]["labels"]["app.kubernetes.io/component"] == task)
            .unwrap_or_else(|| panic!("no {task} Job"))["spec"]["template"]["spec"]
            .clone()
    };
    let expected = serde_json::json!({"requests": {"cpu": "50m", "memory": "64Mi"}});
    assert_eq!(pod("volume-permissions")["containers"][0]["resources"], expected);
    assert_eq!(pod("configure")["initContainers"][0]["name"], "fix-volume-ownership");
    assert_eq!(pod("configure")["initContainers"][0]["resources"], expected);
    assert_eq!(pod("configure")["containers"][0]["resources"], expected);

    let custom = format!(
        "{}jobs:\n  custom:\n    enabled: true\n    resources: {resources}\n    containers: [{{name: task, image: 'busybox:1.36'}}]\n",
        crate::common::MINIMAL
    );
    let outcome = check_text(&custom, &[], "erpnext", None);
    let unused: Vec<_> = outcome.diagnostics.iter().filter(|d| d.code.as_str() == "unused-key").collect();
    assert_eq!(unused.len(), 1, "{}", crate::common::human(&outcome));
    assert_eq!(unused[0].field.as_deref(), Some("jobs.custom.resources"));
    assert_eq!(unused[0].span.map(|s| s.line), Some(8));
    // The chart's `resources: {}` is no mistake.
    let chart_default = custom.replace(resources, "{}");
    let outcome = check_text(&chart_default, &[], "erpnext", None);
    assert!(
        outcome.diagnostics.iter().all(|d| d.code.as_str() != "unused-key"),
        "{}",
        crate::common::human(&outcome)
    );
}

/// Only the backup Job that runs uploads (`backup` before
/// `backupMultipleSites`, as in the chart): the `s3` of the other reaches no
/// container, and an image there that would not pull fails nothing.
#[test]
fn only_the_running_backups_s3_image_is_held_to_the_image_rule() {
    let s3 = "s3: {bucket: erp, existingSecret: s3-keys, image: 'amazon/aws-cli:$(TAG)'}";
    let errors = |jobs: &str| {
        let outcome = check_text(&format!("{}jobs:\n{jobs}", crate::common::MINIMAL), &[], "erpnext", None);
        outcome
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.field.clone().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let single = "  backup: {enabled: true, siteName: erp.example.com}\n";
    let multi = "  backupMultipleSites: {enabled: true, sites: [{name: erp.example.com}]}\n";
    // Disabled, or set aside for `backup`: nothing reports the image.
    assert_eq!(errors(&format!("  backup: {{enabled: false, {s3}}}\n")), Vec::<String>::new());
    assert_eq!(errors(&format!("{single}  backupMultipleSites: {{{s3}}}\n")), Vec::<String>::new());
    assert_eq!(errors(&format!("  backup: {{{s3}}}\n{multi}")), Vec::<String>::new());
    // The one that runs is held to it.
    assert_eq!(errors(&single.replace('}', &format!(", {s3}}}"))), ["jobs.backup.s3.image"]);
    assert_eq!(
        errors(&multi.replacen("}]}", &format!("}}], {s3}}}"), 1)),
        ["jobs.backupMultipleSites.s3.image"]
    );
}
