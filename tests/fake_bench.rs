//! A scratch bench directory in which tests run the rendered Job scripts with
//! bash, and the one fake `bench` they meet there (`fixtures/fake-bench.sh`).
//!
//! The fake behaves as frappe-bench and frappe do wherever a script depends
//! on them: it writes its command line to `logs/bench.log` in frappe-bench's
//! format, asks for the passwords it is not given, refuses options its
//! release does not have, and leaves a half-created site when `new-site`
//! fails. What it records about itself (each command line as `ps` shows it,
//! the passwords it read) goes outside the bench, so that a test can look for
//! leaks on the volumes. Python stands in for the bench's `env/bin/python`.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The database root password the Jobs' Secret gives in [`ScratchBench::run`].
pub(crate) const ROOT_PASSWORD: &str = "s3cret-root-pw";
/// The Administrator password the Jobs' Secret gives in [`ScratchBench::run`].
pub(crate) const ADMIN_PASSWORD: &str = "s3cret-admin-pw";

pub(crate) struct ScratchBench {
    /// `bench/` (the bench directory), `bin/` (the fake on PATH) and the
    /// fake's own records.
    dir: tempfile::TempDir,
}

impl ScratchBench {
    /// A bench as the image and fresh volumes hold it: `apps/frappe`,
    /// `env/bin/python`, and empty `sites` and `logs`.
    pub(crate) fn new() -> ScratchBench {
        let dir = tempfile::tempdir().unwrap();
        let bench = ScratchBench { dir };
        for sub in ["bench/apps/frappe", "bench/sites", "bench/logs", "bench/env/bin", "bin"] {
            std::fs::create_dir_all(bench.dir.path().join(sub)).unwrap();
        }
        bench.executable("bin/bench", include_str!("fixtures/fake-bench.sh"));
        bench.executable("bench/env/bin/python", "#!/bin/sh\nexec python3 \"$@\"\n");
        bench
    }

    /// A bench whose configure Job has run.
    pub(crate) fn configured() -> ScratchBench {
        let bench = ScratchBench::new();
        std::fs::write(
            bench.root().join("sites/common_site_config.json"),
            r#"{"db_host": "127.0.0.1", "redis_queue": "rediss://q"}"#,
        )
        .unwrap();
        bench
    }

    fn executable(&self, path: &str, text: &str) {
        let path = self.dir.path().join(path);
        std::fs::write(&path, text).unwrap();
        assert!(Command::new("chmod").arg("+x").arg(&path).status().unwrap().success());
    }

    /// Another command on the scripts' PATH, next to the fake bench.
    pub(crate) fn add_command(&self, name: &str, script: &str) {
        self.executable(&format!("bin/{name}"), script);
    }

    /// The bench directory, as the Jobs see it (the sites and logs volumes).
    pub(crate) fn root(&self) -> PathBuf {
        self.dir.path().join("bench")
    }

    /// Where the fake records each command line it was run with.
    pub(crate) fn argv_log(&self) -> PathBuf {
        self.dir.path().join("argv.log")
    }

    /// `bash -c script` in this bench against frappe `release` (`15.45`,
    /// `15` or `16`), with the fake `bench` first on PATH.
    pub(crate) fn command(&self, script: &str, release: &str) -> Command {
        let path = format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(script)
            .env("PATH", path)
            .env("BENCH_DIR", self.root())
            .env("ARGV_LOG", self.argv_log())
            .env("SECRETS_LOG", self.dir.path().join("secrets.log"))
            .env("FAKE_FRAPPE", release)
            // The file of the Job's readiness probe, here rather than in the
            // machine's /tmp, and no wait for a probe that never runs.
            .env("CHANGING_A_SITE_FILE", self.changing_a_site_file())
            .env("READY_DELAY", "0")
            .env("READINESS_LOG", self.dir.path().join("readiness.log"));
        command
    }

    /// Runs a script against frappe 16, with the passwords of the Jobs'
    /// Secret in its environment; `fail_on` makes bench fail when its
    /// arguments hold the pattern, printing the message.
    pub(crate) fn run(&self, script: &str, fail_on: Option<(&str, &str)>) -> Output {
        self.run_release(script, "16", fail_on)
    }

    pub(crate) fn run_release(&self, script: &str, release: &str, fail_on: Option<(&str, &str)>) -> Output {
        let mut command = self.command(script, release);
        command
            .env("WAIT_TIMEOUT", "3")
            .env("DB_ROOT_USER", "root")
            .env("DB_ROOT_PASSWORD", ROOT_PASSWORD)
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD);
        if let Some((pattern, message)) = fail_on {
            command.env("FAIL_ON", pattern).env("FAIL_MESSAGE", message);
        }
        command.output().unwrap()
    }

    /// Runs the script of the Job whose component label is `task` with its
    /// container's environment as the kubelet gives it: the ConfigMap's data
    /// (`envFrom`), then its `env`, `$(VAR)` expanded and each
    /// `secretKeyRef` read from the rendered Secret.
    pub(crate) fn run_job(&self, docs: &[Value], task: &str) -> Output {
        let job = docs
            .iter()
            .find(|d| d["kind"] == "Job" && d["metadata"]["labels"]["app.kubernetes.io/component"] == task)
            .unwrap_or_else(|| panic!("no {task} Job"));
        let container = &job["spec"]["template"]["spec"]["containers"][0];
        let mut command = self.command(container["args"][0].as_str().unwrap(), "16");
        for from in container["envFrom"].as_array().into_iter().flatten() {
            let name = &from["configMapRef"]["name"];
            let config = docs
                .iter()
                .find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == *name)
                .unwrap_or_else(|| panic!("no ConfigMap {name}"));
            for (key, value) in config["data"].as_object().unwrap() {
                command.env(key, value.as_str().unwrap());
            }
        }
        let secret = docs.iter().find(|d| d["kind"] == "Secret");
        let mut resolved: Vec<(String, String)> = Vec::new();
        for env in container["env"].as_array().into_iter().flatten() {
            let name = env["name"].as_str().unwrap().to_owned();
            let value = match env["value"].as_str() {
                Some(value) => resolved.iter().fold(value.to_owned(), |v, (n, x)| v.replace(&format!("$({n})"), x)),
                None => {
                    let key = env["valueFrom"]["secretKeyRef"]["key"].as_str().unwrap();
                    let encoded = secret.expect("a Secret")["data"][key].as_str().unwrap();
                    decode_base64(encoded)
                }
            };
            command.env(&name, &value);
            resolved.push((name, value));
        }
        command.output().unwrap()
    }

    /// Runs `script` as a Job's container runs it: `bash -c`, the first
    /// process (PID 1) of the container's PID namespace (here the one
    /// `unshare -rpf` makes), to which the kernel delivers only the signals
    /// it traps. Its environment is [`Self::run`]'s, then `env`. Once
    /// `ready()` holds, it sends the script the SIGTERM the kubelet sends to
    /// a pod deleted or evicted, and a SIGKILL [`GRACE_PERIOD`] later if the
    /// script still runs, as the kubelet does. `None` (the test skipped)
    /// where the machine has no user and PID namespaces.
    pub(crate) fn terminate_as_pid_one(&self, script: &str, env: &[(&str, &str)], ready: impl Fn() -> bool) -> Option<Terminated> {
        if !Command::new("unshare").args(["-rpf", "true"]).status().is_ok_and(|s| s.success()) {
            crate::common::skip("this machine has no user and PID namespaces (unshare -rpf) for a PID 1");
            return None;
        }
        let mut command = self.command(r#"exec unshare -rpf bash -c "$JOB_SCRIPT""#, "16");
        command
            .env("JOB_SCRIPT", script)
            .env("WAIT_TIMEOUT", "3")
            .env("DB_ROOT_USER", "root")
            .env("DB_ROOT_PASSWORD", ROOT_PASSWORD)
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let started = Instant::now();
        while !ready() {
            if child.try_wait().unwrap().is_some() {
                let output = child.wait_with_output().unwrap();
                panic!(
                    "the script ended before the moment of the SIGTERM: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            assert!(started.elapsed() < Duration::from_secs(30), "the moment of the SIGTERM never came");
            std::thread::sleep(Duration::from_millis(20));
        }
        // The script: unshare's child, PID 1 in the namespace unshare made.
        let pgrep = Command::new("pgrep").arg("-P").arg(child.id().to_string()).output().unwrap();
        let script_pid = String::from_utf8(pgrep.stdout).unwrap().trim().to_owned();
        let signal = |name: &str| Command::new("kill").arg(name).arg(&script_pid).status().unwrap().success();
        assert!(signal("-TERM"), "{script_pid:?}");
        let signalled = Instant::now();
        let mut killed = false;
        while child.try_wait().unwrap().is_none() {
            if !killed && signalled.elapsed() >= GRACE_PERIOD {
                killed = signal("-KILL");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let after = signalled.elapsed();
        Some(Terminated {
            output: child.wait_with_output().unwrap(),
            after,
        })
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(file)).unwrap_or_default()
    }

    /// The file whose presence makes a Job's pod Ready (its readiness probe).
    pub(crate) fn changing_a_site_file(&self) -> PathBuf {
        self.dir.path().join("changing-a-site")
    }

    /// Each bench command line (and each `sleep` of a script, with
    /// [`Self::record_sleeps`]) after `ready` or `unready`: whether the Job's
    /// readiness probe would have found [`Self::changing_a_site_file`].
    pub(crate) fn readiness(&self) -> Vec<String> {
        self.read("readiness.log").lines().map(str::to_owned).collect()
    }

    /// Puts a `sleep` on the scripts' PATH that records itself in
    /// [`Self::readiness`] before it sleeps: the scripts' waits sleep
    /// between their checks.
    pub(crate) fn record_sleeps(&self) {
        self.add_command(
            "sleep",
            r#"#!/usr/bin/env bash
printf '%s sleep %s\n' "$([[ -e $CHANGING_A_SITE_FILE ]] && echo ready || echo unready)" "$*" >>"$READINESS_LOG"
PATH=${PATH#*:} exec sleep "$@"
"#,
        );
    }

    /// Each command line bench was run with, as `ps` shows it; but for the
    /// `--backup-path` of a Job's dump into the site's own folder (dump.sh),
    /// which every backup gives: the calls read as the backups asked for.
    /// Any other `--backup-path` stays.
    pub(crate) fn calls(&self) -> Vec<String> {
        self.read("argv.log")
            .lines()
            .map(|call| self.without_dumping_folder(call))
            .collect()
    }

    fn without_dumping_folder(&self, call: &str) -> String {
        let Some(site) = call.strip_prefix("--site ").and_then(|rest| rest.split(' ').next()) else {
            return call.to_owned();
        };
        let option = format!(" --backup-path {}", self.root().join(DUMPING).join(site).display());
        call.replacen(&option, "", 1)
    }

    /// What bench read from its prompts.
    pub(crate) fn secrets(&self) -> Vec<String> {
        self.read("secrets.log").lines().map(str::to_owned).collect()
    }

    /// `logs/bench.log`, where frappe-bench writes every command line.
    pub(crate) fn bench_log(&self) -> String {
        std::fs::read_to_string(self.root().join("logs/bench.log")).unwrap_or_default()
    }

    /// `sites/common_site_config.json`.
    pub(crate) fn config(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.root().join("sites/common_site_config.json")).unwrap()).unwrap()
    }

    pub(crate) fn site_exists(&self, site: &str) -> bool {
        self.root().join("sites").join(site).is_dir()
    }

    /// A site as a finished `bench new-site` leaves it.
    pub(crate) fn add_site(&self, site: &str) {
        let dir = self.root().join("sites").join(site);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("site_config.json"), r#"{"db_name": "_0123456789abcdef"}"#).unwrap();
    }
}

/// Where a Job has bench write a site's dump (dump.sh), under the bench.
pub(crate) const DUMPING: &str = "sites/.frappe-manifests/dumping";

/// How long [`ScratchBench::terminate_as_pid_one`] lets a script go on after
/// the SIGTERM before it kills it: the kubelet's grace period, 30 s by
/// default, shorter here.
pub(crate) const GRACE_PERIOD: Duration = Duration::from_secs(15);

/// How a script ended after [`ScratchBench::terminate_as_pid_one`]'s SIGTERM.
pub(crate) struct Terminated {
    pub(crate) output: Output,
    /// From the SIGTERM to the script's end.
    pub(crate) after: Duration,
}

impl Terminated {
    /// The script ended by itself (not killed at the end of the grace
    /// period), with the status `exit 143` gives, within `limit` of the SIGTERM.
    pub(crate) fn assert_ended_within(&self, limit: Duration) {
        let stderr = String::from_utf8_lossy(&self.output.stderr);
        assert!(
            self.after < limit,
            "still running {:?} after the SIGTERM (the limit: {limit:?}; {GRACE_PERIOD:?} is the grace period's SIGKILL): {stderr}",
            self.after
        );
        assert_eq!(self.output.status.code(), Some(143), "ended by the SIGTERM's trap: {stderr}");
    }
}

fn decode_base64(encoded: &str) -> String {
    let output = Command::new("base64")
        .arg("-d")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(encoded.as_bytes())?;
            child.wait_with_output()
        });
    String::from_utf8(output.unwrap().stdout).unwrap()
}
