//! `lint` of many files: each file's report is written as soon as the files
//! before it are reported, in the order the files were given.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{MINIMAL, binary, project_root};

/// How long a test waits for output it expects.
const PATIENCE: Duration = Duration::from_secs(60);

/// Waits until `seen` holds `wanted`; panics with what it holds after [`PATIENCE`].
fn wait_for(seen: &Mutex<String>, wanted: &str) {
    let start = Instant::now();
    while !seen.lock().unwrap().contains(wanted) {
        assert!(
            start.elapsed() < PATIENCE,
            "no `{wanted}` on stdout after {PATIENCE:?}:\n{}",
            seen.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A child process that a failing test does not leave behind, blocked on its pipe.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn each_file_is_reported_as_soon_as_the_files_before_it_are() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.yaml");
    let last = dir.path().join("last.yaml");
    std::fs::write(&first, format!("{MINIMAL}worker:\n  scheduler:\n    replicaCount: 2\n")).unwrap();
    std::fs::write(&last, format!("{MINIMAL}nginx:\n  enabled: false\n")).unwrap();
    // A named pipe: reading it waits until the test writes the values.
    let pipe = dir.path().join("slow.yaml");
    assert!(Command::new("mkfifo").arg(&pipe).status().unwrap().success());

    let mut child = KillOnDrop(
        Command::new(binary())
            .arg("lint")
            .args([&first, &pipe, &last])
            .current_dir(project_root())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let seen = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.0.stdout.take().unwrap();
    let reader = {
        let seen = Arc::clone(&seen);
        std::thread::spawn(move || {
            let mut chunk = [0; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut chunk) {
                seen.lock().unwrap().push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        })
    };

    // The first file is reported while the second cannot even be read yet.
    wait_for(&seen, "error[scheduler-replicas]");
    let early = seen.lock().unwrap().clone();
    assert!(early.contains("first.yaml"), "{early}");
    assert!(
        !early.contains("unserved-assets") && !early.contains("file(s) checked"),
        "a file was reported before the one given ahead of it:\n{early}"
    );

    std::fs::write(&pipe, format!("{MINIMAL}dbPort: 0\n")).unwrap();
    let status = child.0.wait().unwrap();
    reader.join().unwrap();
    let report = seen.lock().unwrap().clone();
    assert_eq!(status.code(), Some(1), "{report}");
    let position = |text: &str| report.find(text).unwrap_or_else(|| panic!("no `{text}` in\n{report}"));
    assert!(position("scheduler-replicas") < position("invalid-port"), "{report}");
    assert!(position("invalid-port") < position("unserved-assets"), "{report}");
    let summary = report.lines().last().unwrap_or_default();
    assert!(summary.starts_with("3 file(s) checked: 3 error(s), "), "{report}");
}
