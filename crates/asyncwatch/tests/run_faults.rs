//! `asyncwatch run` when things go wrong: the command crashes or is killed, asyncwatch is
//! interrupted, stalls flood in, many processes report at once, the report cannot be written,
//! the command never loads the runtime or does not exist. The programs that misbehave are in
//! fixtures/apps/faults (built once per test run, see `support::precise_release_fixture_app`).
//! docs/reliability.md describes the behaviour these tests hold.

mod support;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use serde_json::Value;

/// A guard against a hung test, never a measure of speed: every wait below ends on an event
/// long before this.
const HUNG: Duration = Duration::from_secs(120);

fn faults() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| support::precise_release_fixture_app("faults"))
}

/// Taken by the tests that run fixture programs, as in run_fixtures.rs: a flood of stalls or
/// a dozen processes would otherwise preempt another test's program into stalls nobody
/// planted. Tests that only run `sh` do not take it.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn asyncwatch() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_asyncwatch"));
    command.env("NO_COLOR", "1");
    command
}

fn read_report(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("no report at {}: {error}", path.display()));
    support::json(&text)
}

fn stalls(report: &Value) -> &Vec<Value> {
    report["stalls"].as_array().expect("stalls is an array")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

enum Stream {
    Stdout,
    Stderr,
}

/// asyncwatch running with its output piped: lines arrive as they are written, so a test can
/// act when asyncwatch (or the command) has said something, rather than after a delay.
struct Running {
    child: Child,
    lines: Receiver<(Stream, String)>,
    stdout: String,
    stderr: String,
}

impl Running {
    fn start(command: &mut Command) -> Running {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("asyncwatch starts");
        let (sender, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let out = sender.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = out.send((Stream::Stdout, line));
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = sender.send((Stream::Stderr, line));
            }
        });
        Running {
            child,
            lines,
            stdout: String::new(),
            stderr: String::new(),
        }
    }

    fn pid(&self) -> libc::pid_t {
        libc::pid_t::try_from(self.child.id()).expect("pid")
    }

    /// Waits for the first line containing `needle` and returns it.
    fn wait_for(&mut self, needle: &str) -> String {
        loop {
            let (stream, line) = self.lines.recv_timeout(HUNG).unwrap_or_else(|_| {
                panic!(
                    "no line with `{needle}`; stdout:\n{}\nstderr:\n{}",
                    self.stdout, self.stderr
                )
            });
            let found = line.contains(needle);
            match stream {
                Stream::Stdout => self.stdout.push_str(&line),
                Stream::Stderr => self.stderr.push_str(&line),
            }
            match stream {
                Stream::Stdout => self.stdout.push('\n'),
                Stream::Stderr => self.stderr.push('\n'),
            }
            if found {
                return line;
            }
        }
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill has no memory preconditions.
        assert_eq!(unsafe { libc::kill(self.pid(), signal) }, 0, "kill");
    }

    /// Waits for asyncwatch to end and returns how, with everything it printed.
    fn finish(mut self) -> (ExitStatus, String, String) {
        let status = self.child.wait().expect("asyncwatch ends");
        while let Ok((stream, line)) = self.lines.recv_timeout(HUNG) {
            let text = match stream {
                Stream::Stdout => &mut self.stdout,
                Stream::Stderr => &mut self.stderr,
            };
            text.push_str(&line);
            text.push('\n');
        }
        (status, self.stdout, self.stderr)
    }
}

/// The pid in a live stall line: `asyncwatch: stall (> 50 ms) in pid 123: ...`.
fn stalled_pid(line: &str) -> libc::pid_t {
    line.split("in pid ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no pid in `{line}`"))
}

// 1. The command crashes or is killed by a signal.

#[test]
fn a_command_killed_by_a_signal_exits_128_plus_n_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let output = asyncwatch()
        .args(["run", "--report"])
        .arg(&report)
        .args(["--", "sh", "-c", "kill -KILL $$"])
        .output()
        .expect("asyncwatch runs");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(128 + 9), "{stderr}");
    assert!(
        stderr.contains("asyncwatch: the command was killed by signal 9 (SIGKILL)"),
        "{stderr}"
    );
    let report = read_report(&report);
    assert_eq!(report["exit_code"], 137);
    assert_eq!(report["signal"], 9);
    assert_eq!(report["interrupted_by"], Value::Null);
}

#[test]
fn a_panic_that_aborts_is_reported_as_sigabrt() {
    let _serial = serial();
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let output = asyncwatch()
        .args(["run", "--fail-on-stall", "--report"])
        .arg(&report)
        .arg("--")
        .arg(faults())
        .arg("abort")
        .output()
        .expect("asyncwatch runs");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(128 + 6), "{stderr}");
    assert!(stderr.contains("planted panic"), "{stderr}");
    assert!(
        stderr.contains("asyncwatch: the command was killed by signal 6 (SIGABRT)"),
        "{stderr}"
    );
    let report = read_report(&report);
    assert_eq!(report["exit_code"], 134);
    assert_eq!(report["signal"], 6);
    // The runtime announced itself before the crash: the process is known, not "never loaded".
    assert_eq!(report["summary"]["processes"], 1, "{report:#}");
    assert!(!stderr.contains("no process started by the command loaded"));
    // It died before its exit flush: whatever it had not sent yet is missing, and said to be.
    assert_eq!(report["summary"]["unfinished_processes"], 1, "{report:#}");
    assert!(
        stderr.contains("1 process(es) ended before reporting everything"),
        "{stderr}"
    );
}

#[test]
fn a_segfault_is_reported_as_sigsegv() {
    let _serial = serial();
    let output = asyncwatch()
        .args(["run", "--format", "json", "--"])
        .arg(faults())
        .arg("segv")
        .output()
        .expect("asyncwatch runs");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(128 + 11), "{stderr}");
    assert!(
        stderr.contains("asyncwatch: the command was killed by signal 11 (SIGSEGV)"),
        "{stderr}"
    );
    let report = support::json(&text(&output.stdout));
    assert_eq!(report["exit_code"], 139);
    assert_eq!(report["signal"], 11);
}

#[test]
fn a_command_killed_while_stalled_keeps_its_stall_and_code_despite_fail_on_stall() {
    let _serial = serial();
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let mut running = Running::start(
        asyncwatch()
            .args(["run", "--threshold", "50ms", "--fail-on-stall", "--report"])
            .arg(&report)
            .arg("--")
            .arg(faults())
            .arg("hang"),
    );
    let stalled = stalled_pid(&running.wait_for("asyncwatch: stall"));
    // SAFETY: kill has no memory preconditions.
    assert_eq!(unsafe { libc::kill(stalled, libc::SIGKILL) }, 0);
    let (status, _, stderr) = running.finish();
    assert_eq!(
        status.code(),
        Some(137),
        "a killed command keeps its 128+N, not --fail-on-stall's 3; stderr:\n{stderr}"
    );
    assert!(stderr.contains("killed by signal 9 (SIGKILL)"), "{stderr}");
    let report = read_report(&report);
    let stalls = stalls(&report);
    assert_eq!(stalls.len(), 1, "{report:#}");
    assert_eq!(stalls[0]["pid"], stalled);
    assert_eq!(
        stalls[0]["in_progress"], true,
        "killed while blocked: {report:#}"
    );
    assert!(stalls[0]["blocking_site"]["file"]
        .as_str()
        .is_some_and(|file| file.ends_with("faults/src/main.rs")));
}

// 2. SIGINT and SIGTERM sent to asyncwatch.

#[test]
fn sigterm_to_asyncwatch_stops_the_command_and_the_report_is_still_written() {
    let _serial = serial();
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let mut running = Running::start(
        asyncwatch()
            .args(["run", "--threshold", "50ms", "--report"])
            .arg(&report)
            .arg("--")
            .arg(faults())
            .arg("hang"),
    );
    let stalled = stalled_pid(&running.wait_for("asyncwatch: stall"));
    running.signal(libc::SIGTERM);
    let (status, _, stderr) = running.finish();
    assert_eq!(
        status.signal(),
        Some(libc::SIGTERM),
        "asyncwatch ends by the signal it got (a shell shows 143); stderr:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "asyncwatch: SIGTERM passed on to the command (pid {stalled})"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("the command was killed by signal 15 (SIGTERM)"),
        "{stderr}"
    );
    let report = read_report(&report);
    assert_eq!(report["interrupted_by"], 15);
    assert_eq!(report["exit_code"], 143);
    assert_eq!(report["signal"], 15);
    let stalls = stalls(&report);
    assert_eq!(stalls.len(), 1, "{report:#}");
    assert_eq!(stalls[0]["pid"], stalled);
    assert_eq!(stalls[0]["in_progress"], true);
    // The command was reaped: its pid names no process any more.
    // SAFETY: kill with signal 0 only checks that the process exists.
    assert_eq!(unsafe { libc::kill(stalled, 0) }, -1);
}

/// Runs `faults signals` under asyncwatch, with `setup` for the asyncwatch command, and
/// `send` once the command handles its signals; returns asyncwatch's status, the
/// command's count of signals, asyncwatch's stderr and the report.
fn count_signals(
    setup: impl FnOnce(&mut Command),
    send: impl FnOnce(&Running),
) -> (ExitStatus, String, String, Value) {
    let _serial = serial();
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let mut command = asyncwatch();
    command
        .args(["run", "--report"])
        .arg(&report)
        .arg("--")
        .arg(faults())
        .arg("signals");
    // A test harness started in the background may ignore SIGINT, and asyncwatch keeps an
    // ignored signal ignored: start it as from an interactive shell.
    // SAFETY: signal is async-signal-safe; nothing is allocated.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            Ok(())
        });
    }
    setup(&mut command);
    let mut running = Running::start(&mut command);
    running.wait_for("ready");
    send(&running);
    let (status, stdout, stderr) = running.finish();
    let counts = stdout
        .lines()
        .find(|line| line.starts_with("SIGINT="))
        .unwrap_or_else(|| panic!("no counts; stdout:\n{stdout}\nstderr:\n{stderr}"))
        .to_owned();
    (status, counts, stderr, read_report(&report))
}

#[test]
fn sigterm_sent_to_asyncwatch_reaches_the_command_once() {
    let (status, counts, stderr, report) =
        count_signals(|_| {}, |running| running.signal(libc::SIGTERM));
    assert_eq!(counts, "SIGINT=0 SIGTERM=1", "{stderr}");
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{stderr}");
    assert!(
        stderr.contains("SIGTERM passed on to the command"),
        "{stderr}"
    );
    // The command handled it and exited 0; the run was still interrupted.
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["interrupted_by"], 15);
}

/// Ctrl-C in a terminal: the terminal sends SIGINT to the whole foreground process group,
/// the command included, so asyncwatch must not send it a second one.
#[test]
fn ctrl_c_in_a_terminal_reaches_the_command_once() {
    let terminal = Pty::open();
    let slave = terminal.slave.try_clone().expect("dup");
    let (status, counts, stderr, report) = count_signals(
        |command| {
            command.stdin(Stdio::from(slave));
            // SAFETY: setsid and ioctl are async-signal-safe; nothing is allocated.
            unsafe {
                command.pre_exec(|| {
                    // A new session whose controlling terminal is the pty (stdin): asyncwatch's
                    // process group, which the command joins, is its foreground group.
                    if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        },
        |_| terminal.type_ctrl_c(),
    );
    assert_eq!(counts, "SIGINT=1 SIGTERM=0", "{stderr}");
    assert_eq!(status.signal(), Some(libc::SIGINT), "{stderr}");
    assert!(
        stderr.contains("asyncwatch: SIGINT: waiting for the command to exit"),
        "{stderr}"
    );
    assert!(!stderr.contains("passed on"), "{stderr}");
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["interrupted_by"], 2);
}

/// A pseudo-terminal whose line discipline turns a typed Ctrl-C into SIGINT.
struct Pty {
    master: std::fs::File,
    slave: std::fs::File,
}

impl Pty {
    fn open() -> Pty {
        use std::os::fd::FromRawFd;
        // SAFETY: plain libc calls; every returned descriptor is checked and owned once.
        unsafe {
            let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
            assert!(master >= 0, "posix_openpt");
            let master = std::fs::File::from_raw_fd(master);
            let fd = std::os::fd::AsRawFd::as_raw_fd(&master);
            assert_eq!(libc::grantpt(fd), 0, "grantpt");
            assert_eq!(libc::unlockpt(fd), 0, "unlockpt");
            let mut name = [0 as libc::c_char; 128];
            assert_eq!(libc::ptsname_r(fd, name.as_mut_ptr(), name.len()), 0);
            let path = std::ffi::CStr::from_ptr(name.as_ptr());
            let slave = libc::open(path.as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
            assert!(slave >= 0, "open the pty's slave");
            Pty {
                master,
                slave: std::fs::File::from_raw_fd(slave),
            }
        }
    }

    fn type_ctrl_c(&self) {
        use std::io::Write;
        (&self.master).write_all(b"\x03").expect("type ^C");
    }
}

// 3. A flood of stalls.

/// Peak resident set size of a running process in KiB, 0 once it has gone.
fn peak_rss_kb(pid: libc::pid_t) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn a_flood_of_stalls_is_stored_up_to_the_cap_and_every_stall_is_accounted_for() {
    let _serial = serial();
    let dir = tempfile::tempdir().expect("tempdir");
    let report_path = dir.path().join("report.json");
    let mut child = asyncwatch()
        .args(["run", "--threshold", "1ms", "--report"])
        .arg(&report_path)
        .arg("--")
        .arg(faults())
        .args(["flood", "3000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("asyncwatch starts");
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    // VmHWM only grows: the last value read before asyncwatch exits is its peak, give or take
    // the growth after that last read (sampling can only miss memory, never invent it).
    let mut collector_peak_kb = 0;
    while child.try_wait().expect("try_wait").is_none() {
        collector_peak_kb = collector_peak_kb.max(peak_rss_kb(pid));
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = child.wait().expect("asyncwatch ends");
    let stdout = out.join().expect("stdout");
    let stderr = err.join().expect("stderr");
    assert_eq!(status.code(), Some(0), "{stderr}");

    let report = read_report(&report_path);
    let summary = &report["summary"];
    let dropped = &report["dropped"];
    let number = |value: &Value| value.as_u64().expect("a count");
    let stored = stalls(&report).len() as u64;
    let measured = format!(
        "stored {stored}, emitted {}, dropped {dropped}, collector peak {collector_peak_kb} KiB; fixture: {stdout}",
        summary["stalls_emitted"]
    );
    // Bounded: the report keeps at most MAX_STORED_STALLS, and the flood went past it.
    assert_eq!(stored, 1000, "{measured}");
    assert_eq!(number(&summary["stalls"]), stored);
    assert!(number(&dropped["not_stored"]) > 0, "{measured}");
    // Consistent: every stall a process sent is stored or counted as not stored, and
    // dropped_events is the sum of its parts.
    assert_eq!(
        stored + number(&dropped["not_stored"]),
        number(&summary["stalls_emitted"]),
        "{measured}"
    );
    assert_eq!(number(&dropped["malformed"]), 0, "{measured}");
    assert_eq!(number(&summary["unfinished_processes"]), 0, "{measured}");
    assert_eq!(
        number(&report["dropped_events"]),
        number(&dropped["in_processes"])
            + number(&dropped["not_stored"])
            + number(&dropped["malformed"])
    );
    assert!(
        stderr.contains("asyncwatch: 1000 stalls stored; further stalls are counted"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "asyncwatch: {} event(s) were dropped ({} in the processes, {} stalls beyond the 1000 stored, 0 malformed)",
            report["dropped_events"], dropped["in_processes"], dropped["not_stored"]
        )),
        "{stderr}"
    );
    // Memory: coarse ceilings, several times what was measured (docs/reliability.md), that
    // only a leak proportional to the flood would break.
    assert!(collector_peak_kb < 64 * 1024, "{measured}");
    let fixture_peak_kb: u64 = stdout
        .split("vm_hwm_kb=")
        .nth(1)
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS from the fixture: {stdout}"));
    assert!(fixture_peak_kb < 256 * 1024, "{measured}");
}

// 4. Many instrumented processes at once.

#[test]
fn a_dozen_processes_stalling_at_once_keep_every_event_whole_and_attributed() {
    const PROCESSES: usize = 12;
    let _serial = serial();
    let dir = tempfile::tempdir().expect("tempdir");
    let report_path = dir.path().join("report.json");
    let script = (0..PROCESSES)
        .map(|index| format!("\"$0\" plant {index} &"))
        .collect::<Vec<_>>()
        .join(" ")
        + " wait";
    let output = asyncwatch()
        .args(["run", "--threshold", "50ms", "--report"])
        .arg(&report_path)
        .args(["--", "sh", "-c", &script])
        .arg(faults())
        .output()
        .expect("asyncwatch runs");
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    // Each process's planted function, pid and blocked thread, as it printed them.
    let planted: Vec<(String, u64, String)> = stdout
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("planted index=")?;
            let (index, rest) = rest.split_once(" pid=")?;
            let (pid, tid) = rest.split_once(" tid=")?;
            Some((
                format!("faults::planted_{index}"),
                pid.parse().ok()?,
                format!("(tid {tid})"),
            ))
        })
        .collect();
    assert_eq!(planted.len(), PROCESSES, "{stdout}");
    let pids: HashSet<u64> = planted.iter().map(|(_, pid, _)| *pid).collect();
    assert_eq!(pids.len(), PROCESSES, "{stdout}");

    let report = read_report(&report_path);
    assert_eq!(report["summary"]["processes"], PROCESSES, "{report:#}");
    // Every line was a whole event: none was malformed, none lost, and every process's
    // stream ran to its last statistics.
    assert_eq!(report["dropped_events"], 0, "{report:#}");
    assert_eq!(report["summary"]["unfinished_processes"], 0, "{report:#}");
    for stall in stalls(&report) {
        let pid = stall["pid"].as_u64().expect("pid");
        assert!(
            pids.contains(&pid),
            "a stall from no known process: {stall:#}"
        );
        // A sampled stack names the planted function: it must be the one this pid planted.
        let function = stall["blocking_site"]["function"].as_str();
        if let Some((_, owner, _)) = planted
            .iter()
            .find(|(name, ..)| Some(name.as_str()) == function)
        {
            assert_eq!(
                pid, *owner,
                "{function:?} is planted in pid {owner}: {stall:#}"
            );
        }
    }
    // Each process's planted stall is reported with its pid and the thread that blocked,
    // whether or not the watchdog got to sample its stack on a busy machine.
    for (function, pid, thread) in &planted {
        assert!(
            stalls(&report).iter().any(|stall| stall["pid"] == *pid
                && stall["thread"]
                    .as_str()
                    .is_some_and(|name| name.ends_with(thread.as_str()))),
            "no stall of pid {pid} on thread {thread} ({function}): {report:#}"
        );
    }
}

// 5. Writing the report.

#[test]
fn a_report_replaces_the_previous_one_whole_through_a_rename() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    std::fs::write(&report, "an older report, not JSON").expect("write");
    let before = std::fs::metadata(&report).expect("metadata").ino();
    let output = asyncwatch()
        .args(["run", "--report"])
        .arg(&report)
        .args(["--", "sh", "-c", "exit 0"])
        .output()
        .expect("asyncwatch runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let written = read_report(&report);
    assert_eq!(written["exit_code"], 0);
    // A new file took the old one's name: written elsewhere and renamed, never rewritten in
    // place, so no reader could have seen it half written.
    assert_ne!(std::fs::metadata(&report).expect("metadata").ino(), before);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("report.json")]);
}

#[test]
fn a_report_that_cannot_be_written_is_exit_2_after_the_outcome_is_printed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("missing/report.json");
    let output = asyncwatch()
        .args(["run", "--report"])
        .arg(&report)
        .args(["--", "sh", "-c", "exit 4"])
        .output()
        .expect("asyncwatch runs");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let outcome = stderr
        .find("asyncwatch: the command exited with code 4; its report could not be written")
        .unwrap_or_else(|| panic!("{stderr}"));
    let error = stderr
        .find(&format!(
            "error: cannot write the report to {}",
            report.display()
        ))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(outcome < error, "{stderr}");
    assert!(stderr.contains("No such file or directory"), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}

#[test]
fn a_report_directory_removed_during_the_run_is_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).expect("mkdir");
    let output = asyncwatch()
        .args(["run", "--report"])
        .arg(reports.join("report.json"))
        .args(["--", "sh", "-c", "rmdir \"$0\""])
        .arg(&reports)
        .output()
        .expect("asyncwatch runs");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the command exited with code 0; its report could not be written"),
        "{stderr}"
    );
}

// 6. Commands that never load the runtime, or never start.

#[test]
fn a_command_without_the_runtime_succeeds_and_is_explained() {
    let output = asyncwatch()
        .args(["run", "--fail-on-stall", "--", "true"])
        .output()
        .expect("asyncwatch runs");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("no process started by the command loaded asyncwatch-runtime"),
        "{stderr}"
    );
}

#[test]
fn a_command_that_does_not_exist_is_127_like_in_a_shell() {
    let output = asyncwatch()
        .args(["run", "--", "asyncwatch-no-such-command"])
        .output()
        .expect("asyncwatch runs");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(127), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "error: cannot run `asyncwatch-no-such-command`: command not found"
    );
}

#[test]
fn a_command_that_is_not_executable_is_126_like_in_a_shell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("script.sh");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").expect("write");
    let output = asyncwatch()
        .args(["run", "--"])
        .arg(&script)
        .output()
        .expect("asyncwatch runs");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(126), "{stderr}");
    assert!(stderr.contains("permission denied"), "{stderr}");
}
