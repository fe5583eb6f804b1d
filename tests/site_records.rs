//! The Jobs' per-site records on the sites volume (`sites/.frappe-manifests/`)
//! across a site's life: created, migrated, restored, dropped, made again
//! under the same name; and how site creation, backups and drop-site take
//! turns on a site.

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::common::{documents, render_text, text};
use crate::fake_bench::ScratchBench;
use crate::jobs::{fake_bench_endpoints, script};

const SITE: &str = "shop.example.com";

/// The fake bench's endpoints and these `jobs:`.
fn docs(port: u16, jobs: &str, sets: &[&str]) -> Vec<Value> {
    documents(&render_text(&format!("{}{jobs}", fake_bench_endpoints(port)), sets))
}

fn create_site(port: u16) -> Vec<Value> {
    docs(
        port,
        "  createSite: {enabled: true, siteName: shop.example.com, adminExistingSecret: erp-secrets, installApps: [erpnext]}\n",
        &[],
    )
}

fn migrate(port: u16, tag: &str) -> Vec<Value> {
    docs(
        port,
        "  migrate: {enabled: true, siteName: shop.example.com}\n",
        &[&format!("image.tag={tag}")],
    )
}

fn restore(port: u16, tag: &str) -> Vec<Value> {
    restore_request(port, tag, "r1")
}

fn restore_request(port: u16, tag: &str, request_id: &str) -> Vec<Value> {
    docs(
        port,
        &format!(
            "  restore: {{enabled: true, siteName: shop.example.com, confirm: shop.example.com, database: a-database.sql.gz, requestId: {request_id}}}\n"
        ),
        &[&format!("image.tag={tag}")],
    )
}

fn drop_site(port: u16) -> Vec<Value> {
    docs(port, "  dropSite: {enabled: true, siteName: shop.example.com}\n", &[])
}

fn records(bench: &ScratchBench) -> std::path::PathBuf {
    bench.root().join("sites/.frappe-manifests")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs the Job `task` of `docs` to success, and returns its stdout.
fn succeeds(bench: &ScratchBench, docs: &[Value], task: &str) -> String {
    let output = bench.run(&script(docs, task), None);
    assert!(output.status.success(), "{task}: {}{}", text(&output.stdout), text(&output.stderr));
    text(&output.stdout)
}

/// A backup of the site in its backups folder, for a restore to read.
fn put_backup(bench: &ScratchBench) {
    let backups = bench.root().join("sites").join(SITE).join("private/backups");
    std::fs::create_dir_all(&backups).unwrap();
    let made = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "printf 'dump\\n' | gzip > '{}'",
            backups.join("a-database.sql.gz").display()
        ))
        .status()
        .unwrap();
    assert!(made.success());
}

fn image(docs: &[Value]) -> String {
    crate::jobs::job(docs, "migrate")["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A site dropped by the drop-site Job and made again under its name starts
/// afresh: its records (the upgrade stamps, a restore pending, a creation
/// marker) went with its folder into its archive, so the downgrade guard
/// does not judge the new site by the old one's stamps, and the
/// Deployments' wait-for-migrate waits for the new site's own migrate. The
/// restore requests carried out are copied there and stay: one met again
/// would load an old backup over the new site.
#[test]
fn a_site_dropped_and_made_again_starts_afresh_and_its_records_go_with_its_archive() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let bench = ScratchBench::configured();
    let (older, newer) = (migrate(port, "v16.1.0"), migrate(port, "v16.2.0"));

    // The old site: created, migrated from v16.1.0 to v16.2.0, restored once.
    succeeds(&bench, &create_site(port), "create-site");
    succeeds(&bench, &older, "migrate");
    succeeds(&bench, &newer, "migrate");
    put_backup(&bench);
    let restore_job = restore(port, "v16.2.0");
    succeeds(&bench, &restore_job, "restore");
    let stamp = records(&bench).join("migrated").join(SITE);
    let before = records(&bench).join("migrated-before").join(SITE);
    let restored = records(&bench).join("restored").join(SITE);
    assert_eq!(read(&stamp), format!("migrated {}\n", image(&newer)));
    assert_eq!(read(&before), format!("migrated {}\n", image(&older)));
    let request = read(&restored);
    assert!(!request.trim().is_empty(), "the request is recorded");

    // Dropped: the records go with the folder.
    let log = succeeds(&bench, &drop_site(port), "drop-site");
    let archive = bench.root().join("sites/archived_sites").join(SITE);
    assert!(archive.is_dir(), "{log}");
    for path in [&stamp, &before] {
        assert!(!path.exists(), "{} stays for a site made again: {log}", path.display());
    }
    assert_eq!(read(&restored), request, "the requests carried out stay");
    let archived = archive.join("frappe-manifests");
    assert_eq!(read(&archived.join("migrated")), format!("migrated {}\n", image(&newer)));
    assert_eq!(read(&archived.join("migrated-before")), format!("migrated {}\n", image(&older)));
    assert_eq!(read(&archived.join("restored")), request);
    assert!(
        log.contains(&format!(
            "its Jobs' records of it (upgrade stamps, restore requests) are in sites/archived_sites/{SITE}/frappe-manifests\n"
        )),
        "{log}"
    );

    // Made again: the Deployments' pods of v16.2.0 wait for its migrate.
    succeeds(&bench, &create_site(port), "create-site");
    let wait = crate::common::find(&newer, "Deployment", "erpnext-gunicorn")["spec"]["template"]["spec"]["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "wait-for-migrate")
        .expect("a wait-for-migrate init container")["args"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let waited = bench.run(&format!("export MIGRATE_TIMEOUT=2\n{wait}"), None);
    assert!(
        !waited.status.success(),
        "the new site was migrated by no migrate Job: {}",
        text(&waited.stdout)
    );

    // Migrated with v16.1.0: nothing of the old site's upgrade holds it back.
    let calls = bench.calls().len();
    let log = succeeds(&bench, &older, "migrate");
    assert!(
        bench.calls()[calls..].contains(&format!("--site {SITE} migrate")),
        "{log}{:?}",
        &bench.calls()[calls..]
    );
    assert_eq!(read(&stamp), format!("migrated {}\n", image(&older)));

    // The same restore request met again (a values file reverted, an old
    // copy applied): not carried out over the new site.
    put_backup(&bench);
    let calls = bench.calls().len();
    let log = succeeds(&bench, &restore(port, "v16.1.0"), "restore");
    assert_eq!(bench.calls().len(), calls, "{log}");
    assert!(
        log.contains("carried out already") && log.contains("give jobs.restore a new requestId"),
        "{log}"
    );
    // A new request: carried out, once.
    let calls = bench.calls().len();
    let log = succeeds(&bench, &restore_request(port, "v16.1.0", "r2"), "restore");
    assert!(
        bench.calls()[calls..]
            .iter()
            .any(|c| c.starts_with(&format!("--site {SITE} restore "))),
        "{log}"
    );
    let calls = bench.calls().len();
    succeeds(&bench, &restore_request(port, "v16.1.0", "r2"), "restore");
    assert_eq!(bench.calls().len(), calls);

    // Dropped again: the second archive holds the second site's records.
    succeeds(&bench, &drop_site(port), "drop-site");
    let second = bench.root().join("sites/archived_sites").join(format!("{SITE}1"));
    assert_eq!(
        read(&second.join("frappe-manifests/migrated")),
        format!("migrated {}\n", image(&older))
    );
    assert_eq!(
        read(&archived.join("migrated")),
        format!("migrated {}\n", image(&newer)),
        "the first stays"
    );
}

/// A drop that fails before bench moved the folder leaves the site and its
/// records where they were: nothing is lost, and nothing is half moved.
#[test]
fn a_drop_that_fails_keeps_the_sites_records_in_place() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let bench = ScratchBench::configured();
    succeeds(&bench, &create_site(port), "create-site");
    succeeds(&bench, &migrate(port, "v16.1.0"), "migrate");
    let stamp = records(&bench).join("migrated").join(SITE);
    let failing = format!(
        "export FAIL_BACKUP='[Errno 28] No space left on device'\n{}",
        script(&drop_site(port), "drop-site")
    );
    let output = bench.run(&failing, None);
    assert!(!output.status.success());
    assert!(bench.site_exists(SITE));
    assert!(stamp.exists(), "the stamp stays with the site");
    assert!(!bench.root().join("sites").join(SITE).join("frappe-manifests").exists());
    assert!(!bench.root().join("sites/archived_sites").exists());

    // bench fails after its last step, the move of the folder: the records
    // follow the folder, and the log says where they are.
    bench.add_command("fake-bench", include_str!("fixtures/fake-bench.sh"));
    bench.add_command(
        "bench",
        "#!/usr/bin/env bash\nfake-bench \"$@\"\n[[ $1 != drop-site ]] || { echo 'Traceback: frappe.destroy'; exit 1; }\n",
    );
    let output = bench.run(&script(&drop_site(port), "drop-site"), None);
    assert!(!output.status.success());
    assert!(!bench.site_exists(SITE) && !stamp.exists());
    let archived = bench
        .root()
        .join("sites/archived_sites")
        .join(SITE)
        .join("frappe-manifests/migrated");
    assert!(archived.exists());
    assert!(
        text(&output.stderr).contains(&format!(
            "Its folder was moved to sites/archived_sites/{SITE} all the same, and its Jobs' records of it to sites/archived_sites/{SITE}/frappe-manifests."
        )),
        "{}",
        text(&output.stderr)
    );
}

/// A create-site Job's markers of a site: `.creating` while bench new-site
/// runs (or after it failed), `.queued` while the Job runs.
fn mark(bench: &ScratchBench, site: &str, marker: &str) -> std::path::PathBuf {
    let path = records(bench).join(format!("{site}.{marker}"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "").unwrap();
    path
}

/// drop-site waits while the create-site Job has the site queued (its
/// creation under way, or still to come), then drops what it made; past
/// SITE_CREATION_TIMEOUT it drops nothing and says what to do.
#[test]
fn drop_site_waits_for_the_sites_creation_to_end() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let drop = script(&drop_site(port), "drop-site");
    let bench = ScratchBench::configured();
    // bench new-site wrote the folder and site_config.json first.
    bench.add_site(SITE);
    let creating = mark(&bench, SITE, "creating");
    let queued = mark(&bench, SITE, "queued");
    std::thread::scope(|scope| {
        let dropping = scope.spawn(|| bench.run(&drop, None));
        std::thread::sleep(Duration::from_secs(3));
        assert!(bench.calls().is_empty(), "drop-site waits: {:?}", bench.calls());
        std::fs::remove_file(&creating).unwrap();
        std::fs::remove_file(&queued).unwrap();
        let output = dropping.join().unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert!(
            text(&output.stdout).contains(&format!(
                "the create-site Job has {SITE} queued (sites/.frappe-manifests/{SITE}.queued is there): waiting for it to be done with {SITE} before dropping it"
            )),
            "{}",
            text(&output.stdout)
        );
    });
    assert!(bench.calls()[0].starts_with(&format!("drop-site {SITE} ")), "{:?}", bench.calls());
    assert!(!bench.site_exists(SITE));

    let bench = ScratchBench::configured();
    bench.add_site(SITE);
    mark(&bench, SITE, "queued");
    let output = bench.run(&format!("export SITE_CREATION_TIMEOUT=2\n{drop}"), None);
    assert!(!output.status.success());
    assert!(bench.calls().is_empty(), "{:?}", bench.calls());
    assert!(bench.site_exists(SITE));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "error: the create-site Job still had {SITE} queued after 2s (sites/.frappe-manifests/{SITE}.queued is there); nothing was dropped"
        )) && stderr.contains(&format!("rm sites/.frappe-manifests/{SITE}.queued")),
        "{stderr}"
    );

    // A half-created site that no create-site Job has queued (its new-site
    // failed) is dropped at once, and its marker goes with it.
    let bench = ScratchBench::configured();
    bench.add_site(SITE);
    let creating = mark(&bench, SITE, "creating");
    let output = bench.run(&drop, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(!creating.exists());
    assert!(
        bench
            .root()
            .join("sites/archived_sites")
            .join(SITE)
            .join("frappe-manifests/creating")
            .exists()
    );
}

fn scheduled_backup_of_all(port: u16) -> String {
    script(
        &docs(
            port,
            "  backup: {enabled: true, siteName: all, retainDays: 7, schedule: \"0 3 * * *\"}\n",
            &[],
        ),
        "backup",
    )
}

/// The scheduled backup of `all` checks create-site's markers of each site
/// when it reaches it: a site whose creation began during the run (here a
/// forceCreate starting a half-created site over) is left for later, backed
/// up once created, and does not fail the run.
#[test]
fn a_scheduled_backup_of_all_waits_for_a_creation_that_began_during_the_run() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let backup = scheduled_backup_of_all(port);
    let bench = ScratchBench::configured();
    bench.add_site("crm.example.com");
    bench.add_site("hr.example.com");
    let creating = mark(&bench, "hr.example.com", "creating");
    let hr_backups = |bench: &ScratchBench| {
        bench
            .calls()
            .into_iter()
            .filter(|c| c.starts_with("--site hr.example.com backup"))
            .count()
    };
    std::thread::scope(|scope| {
        let backing_up = scope.spawn(|| {
            bench
                .command(&format!("export BACKUP_SECONDS=3 MAINTENANCE_TIMEOUT=60\n{backup}"), "16")
                .env("WAIT_TIMEOUT", "3")
                .output()
                .unwrap()
        });
        std::thread::sleep(Duration::from_secs(1));
        // The run dumps crm; a create-site Job starts hr over.
        let queued = mark(&bench, "hr.example.com", "queued");
        std::thread::sleep(Duration::from_secs(5));
        assert_eq!(hr_backups(&bench), 0, "no dump of a site being created: {:?}", bench.calls());
        std::fs::remove_file(&creating).unwrap();
        std::fs::remove_file(&queued).unwrap();
        let output = backing_up.join().unwrap();
        assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
        assert!(
            text(&output.stdout).contains("the create-site Job has hr.example.com queued (sites/.frappe-manifests/hr.example.com.queued is there): backing up the other sites first"),
            "{}",
            text(&output.stdout)
        );
    });
    assert_eq!(hr_backups(&bench), 1, "backed up once created: {:?}", bench.calls());
}

/// A site left half-created (its new-site failed; no create-site Job runs)
/// holds nothing a backup should keep: the scheduled backup of `all` leaves
/// it and its older backups alone, says so, and does not fail on it. A
/// creation still under way at MAINTENANCE_TIMEOUT fails the run, naming the
/// marker: it may be a Job gone without removing it, on a site in use.
#[test]
fn a_scheduled_backup_of_all_leaves_a_half_created_site_alone() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let backup = scheduled_backup_of_all(port);
    let bench = ScratchBench::configured();
    bench.add_site("crm.example.com");
    bench.add_site("hr.example.com");
    let old = crate::jobs::old_backup(&bench, "hr.example.com");
    mark(&bench, "hr.example.com", "creating");
    let output = bench.run(&backup, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(crate::jobs::backups_run(&bench), ["--site crm.example.com backup --with-files"]);
    assert!(old.exists(), "its older backups are kept");
    assert!(
        text(&output.stdout).contains(
            "hr.example.com is half-created (sites/.frappe-manifests/hr.example.com.creating is there, and no create-site Job has it queued): not backed up"
        ),
        "{}",
        text(&output.stdout)
    );

    // Queued all along: the others are backed up all the same, without
    // waiting for create-site's whole queue first.
    mark(&bench, "hr.example.com", "queued");
    let output = bench.run(&format!("export MAINTENANCE_TIMEOUT=2 SITE_CREATION_TIMEOUT=2\n{backup}"), None);
    assert!(!output.status.success());
    assert_eq!(
        crate::jobs::backups_run(&bench),
        [
            "--site crm.example.com backup --with-files",
            "--site crm.example.com backup --with-files"
        ]
    );
    assert!(old.exists(), "its older backups are kept");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("error: the create-site Job still had hr.example.com queued after 2s (sites/.frappe-manifests/hr.example.com.queued is there): hr.example.com was not backed up")
            && stderr.contains("rm sites/.frappe-manifests/hr.example.com.queued"),
        "{stderr}"
    );
}

/// The scheduled backup of named sites checks create-site's markers of each
/// site when it reaches it, as that of `all` does, rather than wait for every
/// named site at its start: a half-created site is left alone at once and
/// does not fail the run, a queued one waits until the others are backed
/// up, and a site that does not exist (nothing creating it) fails the run
/// but not the others' backups.
#[test]
fn a_scheduled_backup_of_named_sites_checks_each_sites_markers_when_it_reaches_it() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let docs = documents(&render_text(&crate::jobs::scheduled_backup_values(port), &[]));
    assert_eq!(crate::jobs::job(&docs, "backup")["kind"], "CronJob");
    let backup = format!("export MAINTENANCE_TIMEOUT=2 SITE_CREATION_TIMEOUT=2\n{}", script(&docs, "backup"));

    // hr half-created: shop is backed up, hr and its older backups left alone.
    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    bench.add_site("hr.example.com");
    let old = crate::jobs::old_backup(&bench, "hr.example.com");
    mark(&bench, "hr.example.com", "creating");
    let output = bench.run(&backup, None);
    assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
    assert_eq!(crate::jobs::backups_run(&bench), ["--site shop.example.com backup --with-files"]);
    assert!(old.exists(), "its older backups are kept");
    assert!(
        text(&output.stdout).contains("hr.example.com is half-created (sites/.frappe-manifests/hr.example.com.creating is there, and no create-site Job has it queued): not backed up"),
        "{}",
        text(&output.stdout)
    );

    // shop queued all along: hr is backed up first, and the run fails on
    // shop, naming its marker.
    let bench = ScratchBench::configured();
    bench.add_site("shop.example.com");
    bench.add_site("hr.example.com");
    mark(&bench, "shop.example.com", "queued");
    let output = bench.run(&backup, None);
    assert!(!output.status.success());
    assert_eq!(crate::jobs::backups_run(&bench), ["--site hr.example.com backup --with-files"]);
    assert!(
        text(&output.stderr).contains("error: the create-site Job still had shop.example.com queued after 2s"),
        "{}",
        text(&output.stderr)
    );

    // shop does not exist, and nothing creates it: hr is backed up, and the
    // run fails on shop.
    let bench = ScratchBench::configured();
    bench.add_site("hr.example.com");
    let output = bench.run(&backup, None);
    assert!(!output.status.success());
    assert_eq!(crate::jobs::backups_run(&bench), ["--site hr.example.com backup --with-files"]);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("error: site shop.example.com does not exist: it was not backed up")
            && stderr.contains(
                "not backed up (another Job changing it, in maintenance mode, still being created, or its backup failed): shop.example.com"
            ),
        "{stderr}"
    );
}

/// A site created and migrated, then a drop-site Job whose pod gets SIGTERM
/// while bench drop-site runs (its Job deleted): bench moved the folder, the
/// script stopped before the records followed it. Returns the bench (its
/// `bench` plain again) and the site's migrate stamp, still in place.
fn stopped_drop(port: u16) -> (ScratchBench, std::path::PathBuf) {
    let bench = ScratchBench::configured();
    succeeds(&bench, &create_site(port), "create-site");
    succeeds(&bench, &migrate(port, "v16.1.0"), "migrate");
    let stamp = records(&bench).join("migrated").join(SITE);
    let drop = script(&drop_site(port), "drop-site");
    bench.add_command("fake-bench", include_str!("fixtures/fake-bench.sh"));
    bench.add_command(
        "bench",
        "#!/usr/bin/env bash\nfake-bench \"$@\"\n[[ $1 != drop-site ]] || kill -TERM \"$DROPPING_PID\"\n",
    );
    let output = bench.run(&format!("export DROPPING_PID=$$\n{drop}"), None);
    assert_eq!(output.status.code(), Some(143), "{}", text(&output.stderr));
    assert!(!bench.site_exists(SITE));
    assert!(bench.root().join("sites/archived_sites").join(SITE).is_dir());
    assert!(stamp.exists());
    bench.add_command("bench", "#!/usr/bin/env bash\nexec fake-bench \"$@\"\n");
    (bench, stamp)
}

/// A drop-site Job stopped once bench moved the site's folder, before the
/// site's records followed it (a SIGTERM ends the script as soon as bench
/// returns; SIGKILL or a node lost anywhere): the next drop-site Job finds the
/// site gone, and moves them into the archive then, so that a site made
/// again under the name does not take the old site's stamps.
#[test]
fn a_drop_stopped_after_bench_moved_the_folder_moves_the_records_on_the_next_run() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (bench, stamp) = stopped_drop(port);
    let archive = bench.root().join("sites/archived_sites").join(SITE);

    // The next drop-site Job (the same values applied again).
    let log = succeeds(&bench, &drop_site(port), "drop-site");
    assert!(!stamp.exists(), "the old site's stamp stays for a site made again: {log}");
    assert!(archive.join("frappe-manifests/migrated").exists(), "{log}");
    assert!(
        log.contains(&format!(
            "a drop of {SITE} stopped after bench moved its folder to sites/archived_sites/{SITE}: its Jobs' records of it are now in sites/archived_sites/{SITE}/frappe-manifests"
        )),
        "{log}"
    );
    assert!(!records(&bench).join("dropping").join(SITE).exists());
}

/// A site made again after a drop-site Job stopped once bench moved its
/// folder, before any other drop-site Job ran: the create-site Job moves the
/// old site's records into its archive first, so the new site does not take
/// its stamps.
#[test]
fn a_site_made_again_after_a_stopped_drop_does_not_take_the_old_sites_records() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (bench, stamp) = stopped_drop(port);

    let log = succeeds(&bench, &create_site(port), "create-site");
    assert!(bench.site_exists(SITE), "{log}");
    assert!(!stamp.exists(), "the new site took the old site's stamp: {log}");
    let archive = bench.root().join("sites/archived_sites").join(SITE);
    assert!(archive.join("frappe-manifests/migrated").exists(), "{log}");
    assert!(!records(&bench).join("dropping").join(SITE).exists(), "{log}");
}
