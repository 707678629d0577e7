//! Runs the command and collects events from every instrumented process it starts.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::report::{live_text, Report, StallReport, Summary};
use crate::wire::{WireEvent, WireStall};
use crate::{Format, RunError, RunOptions, RunOutcome, FAIL_ON_STALL_EXIT_CODE};

/// After the command exits, processes it left behind get this long to finish reporting.
const DRAIN_GRACE: Duration = Duration::from_secs(5);
const QUIET_AFTER_EXIT: Duration = Duration::from_millis(200);

const NOT_INSTRUMENTED_HELP: &str = "asyncwatch: no process started by the command loaded asyncwatch-runtime, so nothing was watched
  add it to the program: `asyncwatch_runtime::instrument(&mut builder)` before `builder.build()`,
  or replace `#[tokio::main]` / `#[tokio::test]` with `#[asyncwatch_runtime::main]` / `#[asyncwatch_runtime::test]`
  (see docs/runtime.md)";

enum Message {
    Line(u64, String),
    Closed(u64),
    Exited(std::io::Result<ExitStatus>),
}

struct SocketDir(PathBuf);

impl Drop for SocketDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn socket_dir() -> Result<SocketDir, RunError> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let path = std::env::temp_dir().join(format!("asyncwatch-{}-{nanos}", std::process::id()));
    let mut builder = std::fs::DirBuilder::new();
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&path).map_err(|source| RunError::Socket {
        path: path.clone(),
        source,
    })?;
    Ok(SocketDir(path))
}

fn accept_connections(listener: UnixListener, messages: Sender<Message>, stop: Arc<AtomicBool>) {
    let mut next_id = 0u64;
    for stream in listener.incoming() {
        if stop.load(Ordering::Acquire) {
            return;
        }
        let Ok(stream) = stream else {
            continue;
        };
        let id = next_id;
        next_id += 1;
        let messages = messages.clone();
        let _ = std::thread::Builder::new()
            .name(format!("asyncwatch-conn-{id}"))
            .spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else {
                        break;
                    };
                    if messages.send(Message::Line(id, line)).is_err() {
                        return;
                    }
                }
                let _ = messages.send(Message::Closed(id));
            });
    }
}

#[derive(Default)]
struct ProcessState {
    mode: Option<String>,
    polls: u64,
    max_poll_ms: f64,
    dropped: u64,
    untracked: u64,
}

struct Collector {
    threshold_ms: f64,
    processes: HashMap<u64, ProcessState>,
    stall_index: HashMap<(u64, String), usize>,
    stalls: Vec<StallReport>,
    malformed: u64,
    hinted_worker_mode: bool,
}

impl Collector {
    fn line(&mut self, connection: u64, line: &str) {
        let event: WireEvent = match serde_json::from_str(line) {
            Ok(event) => event,
            Err(_) => {
                self.malformed += 1;
                return;
            }
        };
        match event {
            WireEvent::Hello { mode, program, pid } => {
                if mode == "worker" && !self.hinted_worker_mode {
                    self.hinted_worker_mode = true;
                    eprintln!(
                        "asyncwatch: {program} (pid {pid}) runs in worker mode: stalls are timed per worker thread; build with `--cfg tokio_unstable` for precise per-task timing (see docs/runtime.md)"
                    );
                }
                self.processes.entry(connection).or_default().mode = Some(mode);
            }
            WireEvent::Stats {
                polls,
                max_poll_ms,
                dropped_events,
                untracked_threads,
                ..
            } => {
                let process = self.processes.entry(connection).or_default();
                process.polls = polls;
                process.max_poll_ms = max_poll_ms;
                process.dropped = dropped_events;
                process.untracked = untracked_threads;
            }
            WireEvent::Stall(stall) => self.stall(connection, stall),
        }
    }

    fn stall(&mut self, connection: u64, wire: WireStall) {
        self.processes.entry(connection).or_default();
        let key = (connection, wire.key.clone());
        if let Some(&index) = self.stall_index.get(&key) {
            let known = &mut self.stalls[index];
            known.duration_ms = wire.duration_ms;
            known.in_progress = wire.in_progress;
            if known.blocking_site.is_none() && wire.blocking_site.is_some() {
                known.blocking_site = wire.blocking_site;
                known.frames = wire.frames;
            }
            return;
        }
        let stall = StallReport {
            duration_ms: wire.duration_ms,
            in_progress: wire.in_progress,
            kind: wire.kind,
            pid: wire.pid,
            task: wire.task,
            thread: wire.thread,
            blocking_site: wire.blocking_site,
            frames: wire.frames,
        };
        eprint!("{}", live_text(&stall, self.threshold_ms));
        self.stall_index.insert(key, self.stalls.len());
        self.stalls.push(stall);
    }
}

fn exit_code_of(status: &ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(1)
}

/// Runs the command under the collector and returns the report; prints live stalls and the
/// summary on standard error and the JSON report where the options ask.
pub fn run(options: &RunOptions) -> Result<RunOutcome, RunError> {
    let Some((program, arguments)) = options.command.split_first() else {
        return Err(RunError::EmptyCommand);
    };
    let dir = socket_dir()?;
    let socket_path = dir.0.join("events.sock");
    let listener = UnixListener::bind(&socket_path).map_err(|source| RunError::Socket {
        path: socket_path.clone(),
        source,
    })?;
    let (messages, inbox) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    {
        let messages = messages.clone();
        let stop = Arc::clone(&stop);
        let _ = std::thread::Builder::new()
            .name("asyncwatch-accept".to_owned())
            .spawn(move || accept_connections(listener, messages, stop));
    }
    let threshold_ms = (options.threshold.as_secs_f64() * 1e3 * 1e3).round() / 1e3;
    let mut child = Command::new(program)
        .args(arguments)
        .env("ASYNCWATCH_SINK", &socket_path)
        .env("ASYNCWATCH_THRESHOLD_MS", threshold_ms.to_string())
        .env_remove("ASYNCWATCH_OUTPUT")
        .spawn()
        .map_err(|source| RunError::Spawn {
            program: program.clone(),
            source,
        })?;
    {
        let messages = messages.clone();
        let _ = std::thread::Builder::new()
            .name("asyncwatch-wait".to_owned())
            .spawn(move || {
                let _ = messages.send(Message::Exited(child.wait()));
            });
    }
    drop(messages);

    let mut collector = Collector {
        threshold_ms,
        processes: HashMap::new(),
        stall_index: HashMap::new(),
        stalls: Vec::new(),
        malformed: 0,
        hinted_worker_mode: false,
    };
    let mut open_connections = 0i64;
    let mut exit_status = None;
    let mut exited_at = None;
    loop {
        let timeout = if exited_at.is_some() {
            QUIET_AFTER_EXIT
        } else {
            Duration::from_secs(3600)
        };
        match inbox.recv_timeout(timeout) {
            Ok(Message::Line(connection, line)) => {
                if !collector.processes.contains_key(&connection) {
                    open_connections += 1;
                }
                collector.line(connection, &line);
            }
            Ok(Message::Closed(connection)) => {
                if collector.processes.contains_key(&connection) {
                    open_connections -= 1;
                }
            }
            Ok(Message::Exited(status)) => {
                exit_status = Some(status);
                exited_at = Some(Instant::now());
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if let Some(exited_at) = exited_at {
            let quiet = open_connections <= 0;
            if (quiet && exited_at.elapsed() >= QUIET_AFTER_EXIT)
                || exited_at.elapsed() >= DRAIN_GRACE
            {
                break;
            }
        }
    }
    stop.store(true, Ordering::Release);
    // Wakes the accept loop so that it sees `stop`.
    let _ = UnixStream::connect(&socket_path);

    let exit_code = match exit_status {
        Some(Ok(status)) => exit_code_of(&status),
        _ => 1,
    };
    let report = build_report(options, &collector, exit_code);
    if collector.processes.is_empty() {
        eprintln!("{NOT_INSTRUMENTED_HELP}");
    } else {
        eprint!("{}", report.summary_text());
    }
    write_json(options, &report)?;
    let code = if options.fail_on_stall && !report.stalls.is_empty() && exit_code == 0 {
        FAIL_ON_STALL_EXIT_CODE
    } else {
        u8::try_from(exit_code).unwrap_or(1)
    };
    Ok(RunOutcome {
        exit_code: code,
        report,
    })
}

fn build_report(options: &RunOptions, collector: &Collector, exit_code: i32) -> Report {
    let processes = &collector.processes;
    let summary = Summary {
        processes: processes.len() as u64,
        precise_processes: processes
            .values()
            .filter(|process| process.mode.as_deref() == Some("precise"))
            .count() as u64,
        worker_mode_processes: processes
            .values()
            .filter(|process| process.mode.as_deref() == Some("worker"))
            .count() as u64,
        polls: processes.values().map(|process| process.polls).sum(),
        stalls: collector.stalls.len() as u64,
        max_poll_ms: processes
            .values()
            .map(|process| process.max_poll_ms)
            .chain(collector.stalls.iter().map(|stall| stall.duration_ms))
            .fold(0.0, f64::max),
        untracked_threads: processes.values().map(|process| process.untracked).sum(),
    };
    Report {
        version: 1,
        command: options.command.clone(),
        exit_code,
        threshold_ms: collector.threshold_ms,
        stalls: collector.stalls.clone(),
        summary,
        dropped_events: processes
            .values()
            .map(|process| process.dropped)
            .sum::<u64>()
            + collector.malformed,
    }
}

fn write_json(options: &RunOptions, report: &Report) -> Result<(), RunError> {
    let json = serde_json::to_string_pretty(report).unwrap_or_default();
    match (&options.report, options.format) {
        (Some(path), _) => write_file(path, &json),
        (None, Format::Json) => {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{json}");
            Ok(())
        }
        (None, Format::Human) => Ok(()),
    }
}

fn write_file(path: &Path, json: &str) -> Result<(), RunError> {
    std::fs::write(path, format!("{json}\n")).map_err(|source| RunError::Report {
        path: path.to_owned(),
        source,
    })
}
