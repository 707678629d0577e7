//! `asyncwatch run` against the planted-stall fixture (fixtures/apps/stalls): every planted
//! stall must be reported once at its marked line, nothing else may be reported.
//!
//! The fixture workspace is built once per configuration per test run (precise or worker
//! mode, debug or release) into `<target>/fixture-apps/`, outside the main build.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock};

use serde_json::Value;

const PLANTED: &[&str] = &["sleep", "cpu", "mutex", "channel", "nested", "block_on"];

#[derive(Clone, Copy, Debug)]
enum Mode {
    Precise,
    Worker,
}

#[derive(Clone, Copy, Debug)]
enum Profile {
    Debug,
    Release,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture_source() -> PathBuf {
    repo_root().join("fixtures/apps/stalls/src/main.rs")
}

fn target_root() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
        .join("fixture-apps")
}

fn build_fixture(mode: Mode, profile: Profile) -> PathBuf {
    let target_dir = target_root().join(match mode {
        Mode::Precise => "precise",
        Mode::Worker => "worker",
    });
    let mut command = Command::new(env!("CARGO"));
    command
        .arg("build")
        .arg("--manifest-path")
        .arg(repo_root().join("fixtures/apps/Cargo.toml"))
        .args(["-p", "stalls"])
        .env("CARGO_TARGET_DIR", &target_dir)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env(
            "RUSTFLAGS",
            match mode {
                Mode::Precise => "--cfg tokio_unstable",
                Mode::Worker => "",
            },
        );
    if let Profile::Release = profile {
        command.arg("--release");
    }
    let status = command.status().expect("cargo runs");
    assert!(status.success(), "building the fixture apps failed");
    target_dir
        .join(match profile {
            Profile::Debug => "debug",
            Profile::Release => "release",
        })
        .join("stalls")
}

/// Taken by every test that builds or runs a fixture program. The planted stalls are about
/// wall time: run side by side on a small machine, one fixture's busy threads preempt
/// another's workers and watchdog, which adds stalls nobody planted. One at a time, each
/// program has the machine to itself (as far as this test binary is concerned).
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    // A failed test poisons the lock; the next test still gets a fresh program to run.
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn fixture(mode: Mode, profile: Profile) -> &'static Path {
    static PRECISE_DEBUG: OnceLock<PathBuf> = OnceLock::new();
    static PRECISE_RELEASE: OnceLock<PathBuf> = OnceLock::new();
    static WORKER_DEBUG: OnceLock<PathBuf> = OnceLock::new();
    static WORKER_RELEASE: OnceLock<PathBuf> = OnceLock::new();
    let cell = match (mode, profile) {
        (Mode::Precise, Profile::Debug) => &PRECISE_DEBUG,
        (Mode::Precise, Profile::Release) => &PRECISE_RELEASE,
        (Mode::Worker, Profile::Debug) => &WORKER_DEBUG,
        (Mode::Worker, Profile::Release) => &WORKER_RELEASE,
    };
    cell.get_or_init(|| build_fixture(mode, profile))
}

/// Line of each `// planted: NAME` marker in the fixture source.
fn planted_lines() -> HashMap<String, u64> {
    let source = std::fs::read_to_string(fixture_source()).expect("fixture source is readable");
    source
        .lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let name = line.split("// planted: ").nth(1)?;
            Some((name.trim().to_owned(), index as u64 + 1))
        })
        .collect()
}

fn asyncwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asyncwatch"))
        .args(args)
        .output()
        .expect("asyncwatch runs")
}

fn run_json(args: &[&str]) -> (Output, Value) {
    let output = asyncwatch(args);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not a JSON report ({error}); stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output, report)
}

/// Reported blocking lines in the fixture source, in report order.
fn reported_fixture_lines(report: &Value) -> Vec<u64> {
    report["stalls"]
        .as_array()
        .expect("stalls is an array")
        .iter()
        .map(|stall| {
            let site = &stall["blocking_site"];
            let file = site["file"].as_str().unwrap_or_default();
            assert!(
                file.ends_with("stalls/src/main.rs"),
                "blocking site outside the fixture: {stall:#}"
            );
            site["line"].as_u64().expect("blocking site has a line")
        })
        .collect()
}

fn assert_reports_each_planted_stall_once(mode: Mode, profile: Profile) {
    let _serial = serial();
    let binary = fixture(mode, profile);
    let planted = planted_lines();
    let mut args = vec!["run", "--threshold", "50ms", "--format", "json", "--"];
    let binary_text = binary.to_str().expect("utf-8 path");
    args.push(binary_text);
    // `block_on` first: in worker mode a worker is only watched once it has parked.
    args.extend(["block_on", "sleep", "cpu", "mutex", "channel", "nested"]);
    if let Mode::Precise = mode {
        args.push("quiet");
    }
    let (output, report) = run_json(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr:\n{stderr}");
    let mut reported = reported_fixture_lines(&report);
    reported.sort_unstable();
    let mut expected: Vec<u64> = PLANTED.iter().map(|name| planted[*name]).collect();
    expected.sort_unstable();
    assert_eq!(reported, expected, "report:\n{report:#}\nstderr:\n{stderr}");
    for stall in report["stalls"].as_array().into_iter().flatten() {
        let duration = stall["duration_ms"].as_f64().unwrap_or_default();
        assert!(
            duration >= 50.0,
            "a stall shorter than the threshold: {stall:#}"
        );
        assert_eq!(stall["in_progress"], Value::Bool(false), "{stall:#}");
    }
    assert_eq!(report["summary"]["processes"], 1);
    assert_eq!(report["dropped_events"], 0);
    // Live reports name the site while the poll is still blocked.
    assert!(stderr.contains("so far"), "stderr:\n{stderr}");
}

#[test]
fn precise_debug_reports_each_planted_stall_once_at_its_line() {
    assert_reports_each_planted_stall_once(Mode::Precise, Profile::Debug);
}

#[test]
fn precise_release_reports_each_planted_stall_once_at_its_line() {
    assert_reports_each_planted_stall_once(Mode::Precise, Profile::Release);
}

#[test]
fn worker_mode_reports_each_planted_stall_once_at_its_line() {
    assert_reports_each_planted_stall_once(Mode::Worker, Profile::Debug);
}

#[test]
fn quiet_work_is_never_reported() {
    let _serial = serial();
    let binary = fixture(Mode::Precise, Profile::Debug);
    let binary = binary.to_str().expect("utf-8 path");
    let (output, report) = run_json(&[
        "run",
        "--threshold",
        "50ms",
        "--format",
        "json",
        "--fail-on-stall",
        "--",
        binary,
        "quiet",
    ]);
    assert_eq!(report["stalls"], Value::Array(Vec::new()), "{report:#}");
    assert!(report["summary"]["polls"].as_u64().unwrap_or_default() > 10_000);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn events_from_every_process_are_collected() {
    let _serial = serial();
    let binary = fixture(Mode::Precise, Profile::Debug);
    let script = format!("'{0}' sleep && '{0}' nested", binary.display());
    let report_file = tempfile::NamedTempFile::new().expect("temp file");
    let report_path = report_file.path().to_str().expect("utf-8 path");
    let output = asyncwatch(&[
        "run",
        "--threshold",
        "50ms",
        "--report",
        report_path,
        "--fail-on-stall",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    assert_eq!(
        output.status.code(),
        Some(3),
        "--fail-on-stall exits with 3 when the command succeeded but stalled"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(report_file.path()).expect("report"))
            .expect("report is JSON");
    assert_eq!(report["summary"]["processes"], 2);
    let planted = planted_lines();
    let mut reported = reported_fixture_lines(&report);
    reported.sort_unstable();
    let mut expected = vec![planted["sleep"], planted["nested"]];
    expected.sort_unstable();
    assert_eq!(reported, expected);
    let pids: std::collections::HashSet<_> = report["stalls"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|stall| stall["pid"].clone())
        .collect();
    assert_eq!(pids.len(), 2);
}

#[test]
fn a_command_without_the_runtime_gets_told_how_to_add_it() {
    let output = asyncwatch(&["run", "--", "sh", "-c", "exit 7"]);
    assert_eq!(
        output.status.code(),
        Some(7),
        "the command's exit code is kept"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no process started by the command loaded asyncwatch-runtime"),
        "{stderr}"
    );
    assert!(
        stderr.contains("asyncwatch_runtime::instrument"),
        "{stderr}"
    );
}

#[test]
fn an_invalid_threshold_is_a_usage_error() {
    let output = asyncwatch(&["run", "--threshold", "soon", "--", "true"]);
    assert_eq!(output.status.code(), Some(2));
}
