//! A Job's pod deleted or evicted (a sync that replaces the Job, `kubectl
//! delete job`, a drain, a CronJob's run stopped): the kubelet sends SIGTERM
//! to the container's first process, the script, and SIGKILL at the end of
//! the grace period. Every Job's script, and the Deployments' wait for
//! migrate, ends on the SIGTERM once the command under way returns, with
//! status 143, its EXIT trap run; within seconds when it waits. Each runs here as PID 1 of its own PID namespace
//! ([`ScratchBench::terminate_as_pid_one`]), where the kernel delivers no
//! signal the script does not trap.

use std::net::TcpListener;
use std::time::Duration;

use crate::common::{documents, render_text, text};
use crate::fake_bench::{DUMPING, GRACE_PERIOD, ScratchBench, Terminated};
use crate::jobs::{one_off_backup_stamp, rendered, scheduled_backup_values, script};
use crate::upgrades::{bench_image, container_script, gunicorn_wait};

/// The two sites the backups of [`rendered`] and [`scheduled_backup_values`]
/// name, in their order.
const SITES: [&str; 2] = ["shop.example.com", "hr.example.com"];

/// What a wait may take after the SIGTERM: its sleep between two checks (5 s
/// at most), the check, and a margin for a busy machine; far less than the
/// waits' timeouts (an hour, two, a day) or the grace period.
const WAIT_ENDS_WITHIN: Duration = Duration::from_secs(9);

/// The seconds each `bench backup` dumps a database here (the fake's
/// BACKUP_SECONDS): longer than the harness's grace period, so that a script
/// that waited for the dump would end at its SIGKILL, not with `exit 143`.
const DUMP_SECONDS: u64 = GRACE_PERIOD.as_secs() + 5;

/// Whether bench was run with a command line that begins with `prefix`.
fn ran(bench: &ScratchBench, prefix: &str) -> bool {
    bench.calls().iter().any(|call| call.starts_with(prefix))
}

/// The dumps of `site` bench finished.
fn dumps(bench: &ScratchBench, site: &str) -> usize {
    std::fs::read_dir(bench.root().join("sites").join(site).join("private/backups"))
        .map(|files| {
            files
                .filter(|file| file.as_ref().unwrap().file_name().to_string_lossy().ends_with("-database.sql.gz"))
                .count()
        })
        .unwrap_or(0)
}

/// That the dump of `site` was cut off, not waited for: its file, in its own
/// folder (dump.sh), holds the header alone.
fn assert_cut_off(bench: &ScratchBench, site: &str) {
    let folder = bench.root().join(DUMPING).join(site);
    let files: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|file| file.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let dump = std::process::Command::new("gzip").arg("-dc").arg(&files[0]).output().unwrap();
    assert_eq!(text(&dump.stdout), format!("-- fake dump of {site}\n"));
}

/// The one-off backup's stamp, which the migrate Job of its image waits for.
fn backup_stamp(bench: &ScratchBench) -> String {
    std::fs::read_to_string(bench.root().join("sites/.frappe-manifests/backed-up")).unwrap_or_default()
}

/// A bench with both sites.
fn bench_with_sites() -> ScratchBench {
    let bench = ScratchBench::configured();
    SITES.iter().for_each(|site| bench.add_site(site));
    bench
}

/// Runs `script` as PID 1, each dump taking [`DUMP_SECONDS`], and stops it
/// while bench dumps the first site (its file begun).
fn stopped_during_the_first_dump(bench: &ScratchBench, script: &str) -> Option<Terminated> {
    let dump = DUMP_SECONDS.to_string();
    bench.terminate_as_pid_one(script, &[("BACKUP_SECONDS", &dump)], || dump_begun(bench, SITES[0]))
}

/// Whether bench began the dump of `site`: its file is in the site's folder
/// for dumps (dump.sh), or among its backups.
fn dump_begun(bench: &ScratchBench, site: &str) -> bool {
    let folders = [
        bench.root().join(DUMPING).join(site),
        bench.root().join("sites").join(site).join("private/backups"),
    ];
    folders.iter().any(|folder| {
        std::fs::read_dir(folder).is_ok_and(|files| {
            files
                .map(|file| file.unwrap().file_name())
                .any(|name| name.to_string_lossy().ends_with("-database.sql.gz"))
        })
    })
}

/// The one-off backup stopped while `bench backup` dumps the first of its
/// two sites ends at once (dump.sh: a dump may outlast the grace period, and
/// its SIGKILL runs no trap), the dump cut off: nothing of it among the
/// site's backups, the second site not backed up, and the stamp says the
/// backup failed, so that the migrate Job waiting for it stops, as on any
/// failed backup, rather than wait for it up to BACKUP_TIMEOUT (a day).
#[test]
fn the_one_off_backup_stopped_during_a_dump_ends_at_once_keeps_none_of_it_and_stamps_its_failure() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = bench_with_sites();
    bench.add_site("crm.example.com");
    // The migrate Job's wait for the backup is bounded, should the backup
    // not run here (no PID namespaces).
    let mut migrate = bench.command(&script(&docs, "migrate"), "16");
    migrate.env("WAIT_TIMEOUT", "3").env("BACKUP_TIMEOUT", "30");
    let (stopped, migrate) = std::thread::scope(|scope| {
        let migrating = scope.spawn(|| migrate.output().unwrap());
        let stopped = stopped_during_the_first_dump(&bench, &script(&docs, "backup"));
        let stopped_at = std::time::Instant::now();
        let migrate = migrating.join().unwrap();
        (stopped, (migrate, stopped_at.elapsed()))
    });
    let Some(stopped) = stopped else {
        return;
    };
    let stderr = text(&stopped.output.stderr);
    stopped.assert_ended_within(GRACE_PERIOD);
    assert_eq!(
        dumps(&bench, SITES[0]),
        0,
        "nothing of the dump cut off among the backups: {stderr}"
    );
    assert_cut_off(&bench, SITES[0]);
    assert!(!ran(&bench, &format!("--site {} backup", SITES[1])), "{:?}", bench.calls());
    let image = bench_image(&docs);
    assert_eq!(backup_stamp(&bench), format!("failed {image}\n"));
    let (migrate, after) = migrate;
    assert_eq!(migrate.status.code(), Some(1));
    assert!(
        text(&migrate.stderr).contains(&format!("error: the backup Job of {image} failed")) && after < WAIT_ENDS_WITHIN,
        "{after:?}: {}",
        text(&migrate.stderr)
    );
}

/// A backup whose pod is killed (SIGKILL: the end of a grace period, its node
/// lost; no trap runs) during a dump leaves none of it among the site's
/// backups, where a restore of the latest backup would take it; the next
/// backup of the site clears what it left, and keeps its own dump whole.
#[test]
fn a_dump_killed_part_way_is_never_among_the_backups() {
    use std::os::unix::process::CommandExt;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = bench_with_sites();
    let backup = script(&docs, "backup");
    let mut command = bench.command(&backup, "16");
    command.env("BACKUP_SECONDS", "30").process_group(0);
    let mut killed = command.spawn().unwrap();
    let started = std::time::Instant::now();
    while !dump_begun(&bench, SITES[0]) {
        assert!(started.elapsed() < Duration::from_secs(30), "no dump began: {:?}", bench.calls());
        std::thread::sleep(Duration::from_millis(20));
    }
    let group = format!("-{}", killed.id());
    assert!(
        std::process::Command::new("kill")
            .args(["-KILL", "--", &group])
            .status()
            .unwrap()
            .success()
    );
    killed.wait().unwrap();
    assert_eq!(dumps(&bench, SITES[0]), 0, "nothing of the dump cut off among the backups");
    let left = bench.root().join(DUMPING).join(SITES[0]);
    assert_eq!(
        std::fs::read_dir(&left).unwrap().count(),
        1,
        "the dump cut off is in its own folder"
    );
    let output = bench.run(&backup, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let backups = bench.root().join("sites").join(SITES[0]).join("private/backups");
    let database = std::fs::read_dir(&backups)
        .unwrap()
        .map(|file| file.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with("-database.sql.gz"))
        .collect::<Vec<_>>();
    assert_eq!(database.len(), 1, "{database:?}");
    let dump = std::process::Command::new("gzip").arg("-dc").arg(&database[0]).output().unwrap();
    assert!(text(&dump.stdout).ends_with("-- dump completed\n"), "{}", text(&dump.stdout));
    assert!(!left.exists(), "the next backup cleared what the dump cut off left");
}

/// The one-off backup stopped while it waits for a site the create-site Job
/// has queued (for up to an hour) ends within seconds, its failure stamped.
#[test]
fn the_one_off_backup_stopped_while_it_waits_for_a_site_ends_within_seconds() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = bench_with_sites();
    let markers = bench.root().join("sites/.frappe-manifests");
    std::fs::create_dir_all(&markers).unwrap();
    std::fs::write(markers.join(format!("{}.queued", SITES[0])), "").unwrap();
    bench.record_sleeps();
    let waiting = || bench.readiness().iter().any(|line| line.contains(" sleep "));
    let Some(stopped) = bench.terminate_as_pid_one(&script(&docs, "backup"), &[], waiting) else {
        return;
    };
    stopped.assert_ended_within(WAIT_ENDS_WITHIN);
    assert_eq!(bench.calls(), Vec::<String>::new(), "nothing backed up");
    assert_eq!(backup_stamp(&bench), format!("failed {}\n", bench_image(&docs)));
}

/// A scheduled backup stopped while `bench backup` dumps the first of its
/// two sites ends at once, keeps nothing of the dump cut off, and backs up
/// nothing more; it leaves the one-off backup's stamp alone.
#[test]
fn a_scheduled_backup_stopped_during_a_dump_ends_at_once_and_keeps_none_of_it() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = documents(&render_text(&scheduled_backup_values(listener.local_addr().unwrap().port()), &[]));
    let bench = bench_with_sites();
    let stamp = one_off_backup_stamp(&bench);
    let Some(stopped) = stopped_during_the_first_dump(&bench, &script(&docs, "backup")) else {
        return;
    };
    assert!(
        !ran(&bench, &format!("--site {} backup", SITES[1])),
        "the run went on: {:?}",
        bench.calls()
    );
    stopped.assert_ended_within(GRACE_PERIOD);
    assert_eq!(dumps(&bench, SITES[0]), 0, "nothing of the dump cut off among the backups");
    assert_cut_off(&bench, SITES[0]);
    assert_eq!(std::fs::read_to_string(&stamp).unwrap(), "done frappe/erpnext:v16.0.0\n");
}

/// A scheduled backup stopped while it waits for a site whose lock another
/// Job holds (up to MAINTENANCE_TIMEOUT, two hours) ends within seconds.
#[test]
fn a_scheduled_backup_stopped_while_it_waits_for_a_site_ends_within_seconds() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = documents(&render_text(&scheduled_backup_values(listener.local_addr().unwrap().port()), &[]));
    let bench = bench_with_sites();
    let locks = bench.root().join("sites/.frappe-manifests/locks");
    std::fs::create_dir_all(&locks).unwrap();
    let mut holder = std::process::Command::new("flock")
        .arg("-o")
        .arg(locks.join(SITES[0]))
        .args(["sleep", "60"])
        .spawn()
        .unwrap();
    bench.record_sleeps();
    let waiting = || bench.readiness().iter().any(|line| line.contains(" sleep "));
    let stopped = bench.terminate_as_pid_one(&script(&docs, "backup"), &[], waiting);
    holder.kill().unwrap();
    holder.wait().unwrap();
    let Some(stopped) = stopped else {
        return;
    };
    stopped.assert_ended_within(WAIT_ENDS_WITHIN);
    assert_eq!(
        bench.calls(),
        [format!("--site {} backup --with-files", SITES[1])],
        "the free site was backed up first"
    );
}

/// The clear-cache Job stopped while it waits for the migrate Job (up to
/// MIGRATE_TIMEOUT, a day) ends within seconds.
#[test]
fn clear_cache_stopped_while_it_waits_for_migrate_ends_within_seconds() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = bench_with_sites();
    bench.record_sleeps();
    let waiting = || bench.readiness().iter().any(|line| line.contains(" sleep "));
    let Some(stopped) = bench.terminate_as_pid_one(&script(&docs, "clear-cache"), &[], waiting) else {
        return;
    };
    stopped.assert_ended_within(WAIT_ENDS_WITHIN);
    assert_eq!(bench.calls(), Vec::<String>::new());
}

/// A pod of a Deployment deleted while its wait-for-migrate init container
/// waits for the migrate Job (up to MIGRATE_TIMEOUT, a day: a rollout
/// replaced by the next one, the one undone, a scale-down, a drain) ends
/// within seconds, not at the SIGKILL at the end of its grace period.
#[test]
fn a_pod_stopped_while_it_waits_for_migrate_ends_within_seconds() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = bench_with_sites();
    bench.record_sleeps();
    let waiting = || bench.readiness().iter().any(|line| line.contains(" sleep "));
    let Some(stopped) = bench.terminate_as_pid_one(&gunicorn_wait(&docs), &[], waiting) else {
        return;
    };
    stopped.assert_ended_within(WAIT_ENDS_WITHIN);
}

/// The clear-cache Job stopped during a site's `bench clear-cache` ends once
/// it returned: no other command runs.
#[test]
fn clear_cache_stopped_during_a_command_ends_after_it() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let docs = rendered(&listener);
    let bench = ScratchBench::configured();
    let image = bench_image(&docs);
    let stamps = bench.root().join("sites/.frappe-manifests/migrated");
    std::fs::create_dir_all(&stamps).unwrap();
    for site in ["shop.example.com", "hr.example.com", "crm.example.com"] {
        bench.add_site(site);
        std::fs::write(stamps.join(site), format!("migrated {image}\n")).unwrap();
    }
    let first = "--site shop.example.com clear-cache";
    let env = [("SLOW_ON", first), ("SLOW_SECONDS", "2")];
    let Some(stopped) = bench.terminate_as_pid_one(&script(&docs, "clear-cache"), &env, || ran(&bench, first)) else {
        return;
    };
    stopped.assert_ended_within(Duration::from_secs(2 + 3));
    assert_eq!(bench.calls(), [first], "nothing after the command under way");
}

/// The one-off backup's upload container, stopped while it copies the first
/// of the backup's files to S3, ends once that copy ended, copies no more,
/// and stamps the backup failed.
#[test]
fn the_one_off_upload_stopped_during_a_copy_ends_after_it_and_stamps_its_failure() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let values = crate::jobs::multisite_values(listener.local_addr().unwrap().port()).replace(
        "    retainDays: 7\n",
        "    retainDays: 7\n    s3: {bucket: erp-backups, existingSecret: s3-keys}\n",
    );
    let docs = documents(&render_text(&values, &[]));
    let bench = bench_with_sites();
    // The backup container's list of the files it wrote, and its stamp.
    let list = bench.root().join("upload-list");
    let files: Vec<String> = SITES
        .iter()
        .map(|site| format!("sites/{site}/private/backups/20260301_030000-database.sql.gz"))
        .collect();
    std::fs::write(&list, files.join("\n") + "\n").unwrap();
    std::fs::create_dir_all(bench.root().join("sites/.frappe-manifests")).unwrap();
    std::fs::write(
        bench.root().join("sites/.frappe-manifests/backed-up"),
        format!("uploading {}\n", bench_image(&docs)),
    )
    .unwrap();
    // `aws s3 cp --only-show-errors SOURCE DESTINATION` takes two seconds,
    // and records the copy once done.
    let (started, copied) = (bench.root().join("aws-started.log"), bench.root().join("aws-copied.log"));
    bench.add_command(
        "aws",
        &format!(
            "#!/bin/bash\nprintf '%s\\n' \"$4\" >>{started}\nsleep 2\nprintf '%s\\n' \"$4\" >>{copied}\n",
            started = started.display(),
            copied = copied.display()
        ),
    );
    let upload = container_script(&docs, "backup", "upload").replace("/s3/files", list.to_str().unwrap());
    let Some(stopped) = bench.terminate_as_pid_one(&upload, &[], || started.exists()) else {
        return;
    };
    assert_eq!(
        std::fs::read_to_string(&copied).unwrap_or_default(),
        format!("{}\n", files[0]),
        "the copy under way ended, and no other began: {}",
        text(&stopped.output.stderr)
    );
    stopped.assert_ended_within(Duration::from_secs(2 + 3));
    assert_eq!(backup_stamp(&bench), format!("failed {}\n", bench_image(&docs)));
}

/// Every script a Job or CronJob of the bench runs, in every container of
/// its pod (the S3 ones too), traps SIGTERM before its first command, so
/// that a pod deleted or evicted while it runs stops there rather than at
/// the grace period's SIGKILL.
#[test]
fn every_bash_script_traps_sigterm_first() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let s3 = "    s3: {bucket: erp-backups, existingSecret: s3-keys}\n";
    let restore = "  restore: {enabled: true, siteName: shop.example.com, confirm: shop.example.com, fromS3: true, database: d.sql.gz}\n";
    let one_off = format!(
        "{}{restore}",
        crate::jobs::multisite_values(port).replace("    retainDays: 7\n", &format!("    retainDays: 7\n{s3}"))
    );
    let scheduled = scheduled_backup_values(port).replace("    retainDays: 7\n", &format!("    retainDays: 7\n{s3}"));
    let multisite = std::fs::read_to_string(crate::common::example("multisite")).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for values in [one_off, scheduled, multisite] {
        for doc in documents(&render_text(&values, &[])) {
            let spec = match doc["kind"].as_str() {
                Some("Job" | "Deployment") => &doc["spec"],
                Some("CronJob") => &doc["spec"]["jobTemplate"]["spec"],
                _ => continue,
            };
            let pod = &spec["template"]["spec"];
            let containers = pod["initContainers"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(pod["containers"].as_array().unwrap());
            for container in containers {
                if container["command"] != serde_json::json!(["bash", "-c"]) {
                    continue;
                }
                let name = format!("{} {}", doc["kind"].as_str().unwrap(), container["name"].as_str().unwrap());
                let script = container["args"][0].as_str().unwrap();
                assert!(first_command_traps_sigterm(script), "{name} does not trap SIGTERM first:\n{script}");
                seen.insert(name);
            }
        }
    }
    let expected = [
        "CronJob backup",
        "CronJob upload",
        "Deployment wait-for-migrate",
        "Job backup",
        "Job clear-cache",
        "Job configure",
        "Job create-site",
        "Job download",
        "Job drop-site",
        "Job migrate",
        "Job restore",
        "Job upload",
    ];
    assert_eq!(seen.iter().map(String::as_str).collect::<Vec<_>>(), expected);
}

/// Whether the first line of `script` but comments is the SIGTERM trap.
fn first_command_traps_sigterm(script: &str) -> bool {
    script
        .lines()
        .find(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .is_some_and(|line| line == "trap 'exit 143' TERM")
}
