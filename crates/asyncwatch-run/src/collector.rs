//! Runs the command and collects events from every instrumented process it starts.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::report::{live_text, Dropped, Report, StallReport, Summary, MAX_STORED_STALLS};
use crate::signals::{self, signal_name};
use crate::wire::{WireEvent, WireStall};
use crate::{Format, RunError, RunOptions, RunOutcome, FAIL_ON_STALL_EXIT_CODE};

/// After the command exits, processes it left behind get this long to finish reporting.
const DRAIN_GRACE: Duration = Duration::from_secs(5);
const QUIET_AFTER_EXIT: Duration = Duration::from_millis(200);

/// Messages waiting for the main loop. A bounded queue: when the main loop falls behind, the
/// connection threads stop reading, the socket fills, and the processes' reporters count
/// what they cannot queue, instead of the collector's memory growing.
const INBOX: usize = 256;

/// The longest line read as an event. A stall with its 48 frames takes a few tens of KiB; a
/// longer line is counted as malformed and skipped without being held in memory.
const MAX_LINE: usize = 256 * 1024;

const NOT_INSTRUMENTED_HELP: &str = "asyncwatch: no process started by the command loaded asyncwatch-runtime, so nothing was watched
  add it to the program: `asyncwatch_runtime::instrument(&mut builder)` before `builder.build()`,
  or replace `#[tokio::main]` / `#[tokio::test]` with `#[asyncwatch_runtime::main]` / `#[asyncwatch_runtime::test]`
  (see docs/runtime.md)";

enum Message {
    Line(u64, String),
    /// A line that could not be an event: too long, not UTF-8.
    Malformed,
    Closed(u64),
    /// The command has exited; it is not reaped yet (see [`wait_without_reaping`]).
    Exited,
    Signal(signals::Received),
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

fn accept_connections(
    listener: UnixListener,
    messages: SyncSender<Message>,
    stop: Arc<AtomicBool>,
) {
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
            .spawn(move || read_events(id, stream, &messages));
    }
}

/// Reads one process's events, a line each, each line whole: a connection belongs to one
/// process, so lines of different processes never mix.
fn read_events(id: u64, stream: UnixStream, messages: &SyncSender<Message>) {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        match (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
        {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let message = if line.last() == Some(&b'\n') {
            line.pop();
            text_line(id, &line)
        } else if line.len() > MAX_LINE {
            if !skip_line(&mut reader) {
                let _ = messages.send(Message::Malformed);
                break;
            }
            Message::Malformed
        } else {
            // The process ended in the middle of a line: parsed, it counts as malformed.
            text_line(id, &line)
        };
        if messages.send(message).is_err() {
            return;
        }
    }
    let _ = messages.send(Message::Closed(id));
}

fn text_line(id: u64, line: &[u8]) -> Message {
    match std::str::from_utf8(line) {
        Ok(text) => Message::Line(id, text.to_owned()),
        Err(_) => Message::Malformed,
    }
}

/// Reads past the rest of an over-long line in bounded pieces; false at the end of the stream.
fn skip_line(reader: &mut BufReader<UnixStream>) -> bool {
    let mut piece = Vec::new();
    loop {
        piece.clear();
        match reader.take(64 * 1024).read_until(b'\n', &mut piece) {
            Ok(0) | Err(_) => return false,
            Ok(_) if piece.last() == Some(&b'\n') => return true,
            Ok(_) => {}
        }
    }
}

#[derive(Default)]
struct ProcessState {
    mode: Option<String>,
    polls: u64,
    max_poll_ms: f64,
    dropped: u64,
    untracked: u64,
    stalls_emitted: u64,
    /// Its last statistics, written at exit, arrived: nothing it had to report is missing.
    finished: bool,
    /// The highest stall number seen: a stall line with a higher one is a new stall.
    last_seq: u64,
}

struct Collector {
    threshold_ms: f64,
    processes: HashMap<u64, ProcessState>,
    stall_index: HashMap<(u64, String), usize>,
    stalls: Vec<StallReport>,
    malformed: u64,
    /// Stalls received once `stalls` was full.
    not_stored: u64,
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
                stalls,
                last,
            } => {
                let process = self.processes.entry(connection).or_default();
                process.polls = polls;
                process.max_poll_ms = max_poll_ms;
                process.dropped = dropped_events;
                process.untracked = untracked_threads;
                process.stalls_emitted = stalls;
                process.finished |= last;
            }
            WireEvent::Stall(stall) => self.stall(connection, stall),
        }
    }

    fn stall(&mut self, connection: u64, wire: WireStall) {
        let process = self.processes.entry(connection).or_default();
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
        // Not stored: a new stall, or an update of one that was not stored. Numbered stalls
        // tell which; a process that does not number them has each unknown line counted.
        if let Some(seq) = wire.seq {
            if seq <= process.last_seq {
                return;
            }
            process.last_seq = seq;
        }
        if self.stalls.len() >= MAX_STORED_STALLS {
            if self.not_stored == 0 {
                eprintln!(
                    "asyncwatch: {MAX_STORED_STALLS} stalls stored; further stalls are counted, not stored or printed"
                );
            }
            self.not_stored += 1;
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

/// How the command ended, for the line printed after the summary.
fn outcome_text(status: Option<&ExitStatus>) -> String {
    match status {
        Some(status) => match (status.code(), status.signal()) {
            (Some(code), _) => format!("the command exited with code {code}"),
            (None, Some(signal)) => format!(
                "the command was killed by signal {signal} ({}){}",
                signal_name(signal),
                if status.core_dumped() {
                    ", core dumped"
                } else {
                    ""
                }
            ),
            (None, None) => format!("the command ended with status {status}"),
        },
        None => "the command's exit status could not be read".to_owned(),
    }
}

/// Waits until `pid` has exited without reaping it: until it is reaped its pid cannot be
/// given to another process, so a signal forwarded meanwhile cannot reach a stranger.
fn wait_without_reaping(pid: u32) {
    loop {
        // SAFETY: siginfo_t is plain data, valid when zeroed; waitid writes into it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let flags = libc::WEXITED | libc::WNOWAIT;
        // SAFETY: `info` is valid for the call.
        let waited = unsafe { libc::waitid(libc::P_PID, pid, &mut info, flags) };
        if waited == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
        {
            return;
        }
    }
}

/// Runs the command under the collector and returns the report; prints live stalls and the
/// summary on standard error and the JSON report where the options ask.
///
/// Meant for a process's main thread, before it starts other threads: it blocks SIGINT and
/// SIGTERM in the calling thread for good and takes them on a thread of its own (see
/// `signals::receive`); [`RunOutcome::interrupted_by`] then says whether one came.
pub fn run(options: &RunOptions) -> Result<RunOutcome, RunError> {
    let Some((program, arguments)) = options.command.split_first() else {
        return Err(RunError::EmptyCommand);
    };
    let (messages, inbox) = mpsc::sync_channel(INBOX);
    // First, before this function starts any thread (see `signals::receive`).
    let blocked = signals::receive(messages.clone(), Message::Signal).map_err(RunError::Signals)?;
    let dir = socket_dir()?;
    let socket_path = dir.0.join("events.sock");
    let listener = UnixListener::bind(&socket_path).map_err(|source| RunError::Socket {
        path: socket_path.clone(),
        source,
    })?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let messages = messages.clone();
        let stop = Arc::clone(&stop);
        let _ = std::thread::Builder::new()
            .name("asyncwatch-accept".to_owned())
            .spawn(move || accept_connections(listener, messages, stop));
    }
    let threshold_ms = (options.threshold.as_secs_f64() * 1e3 * 1e3).round() / 1e3;
    let mut command = Command::new(program);
    command
        .args(arguments)
        .env("ASYNCWATCH_SINK", &socket_path)
        .env("ASYNCWATCH_THRESHOLD_MS", threshold_ms.to_string())
        .env_remove("ASYNCWATCH_OUTPUT");
    blocked.restore_in(&mut command);
    let mut child = command.spawn().map_err(|source| RunError::Spawn {
        program: program.clone(),
        source,
    })?;
    let child_pid = child.id();
    {
        let exited = messages.clone();
        let waiter = std::thread::Builder::new()
            .name("asyncwatch-wait".to_owned())
            .spawn(move || {
                wait_without_reaping(child_pid);
                let _ = exited.send(Message::Exited);
            });
        if waiter.is_err() {
            // Nothing would tell the loop below that the command ended: wait for it here.
            wait_without_reaping(child_pid);
            let _ = messages.try_send(Message::Exited);
        }
    }
    drop(messages);

    let mut collector = Collector {
        threshold_ms,
        processes: HashMap::new(),
        stall_index: HashMap::new(),
        stalls: Vec::new(),
        malformed: 0,
        not_stored: 0,
        hinted_worker_mode: false,
    };
    let mut open_connections = 0i64;
    let mut exit_status = None;
    let mut exited_at = None;
    let mut interrupted_by = None;
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
            Ok(Message::Malformed) => collector.malformed += 1,
            Ok(Message::Closed(connection)) => {
                if collector.processes.contains_key(&connection) {
                    open_connections -= 1;
                }
            }
            Ok(Message::Exited) => {
                exit_status = Some(child.wait());
                exited_at = Some(Instant::now());
            }
            Ok(Message::Signal(received)) => {
                interrupted_by.get_or_insert(received.signal);
                if exit_status.is_some() {
                    // Only processes the command left behind are still reporting: stop
                    // waiting for them.
                    break;
                }
                pass_on(received, child_pid);
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

    let status = exit_status.and_then(Result::ok);
    let exit_code = status.as_ref().map_or(1, exit_code_of);
    let signal = status.as_ref().and_then(ExitStatus::signal);
    let report = build_report(options, &collector, exit_code, signal, interrupted_by);
    if collector.processes.is_empty() {
        eprintln!("{NOT_INSTRUMENTED_HELP}");
    } else {
        eprint!("{}", report.summary_text());
    }
    let outcome = outcome_text(status.as_ref());
    let stalled = options.fail_on_stall && !report.stalls.is_empty() && exit_code == 0;
    if let Err(error) = write_json(options, &report) {
        // The run itself is over: say how it went before the error ends asyncwatch with 2.
        eprintln!("asyncwatch: {outcome}; its report could not be written");
        return Err(error);
    }
    if exit_code != 0 {
        eprintln!("asyncwatch: {outcome}");
    } else if stalled {
        eprintln!("asyncwatch: {outcome} but stalled: exit code {FAIL_ON_STALL_EXIT_CODE} (--fail-on-stall)");
    }
    if let Some(signal) = interrupted_by {
        eprintln!(
            "asyncwatch: interrupted by {}; exiting the same way",
            signal_name(signal)
        );
    }
    let code = if stalled {
        FAIL_ON_STALL_EXIT_CODE
    } else {
        u8::try_from(exit_code).unwrap_or(1)
    };
    Ok(RunOutcome {
        exit_code: code,
        interrupted_by,
        report,
    })
}

/// Passes a SIGINT or SIGTERM on to the command unless it has it already: the terminal's
/// Ctrl-C reaches the whole foreground process group (the command's too), and a signal from
/// the command itself is not sent back to it. Processes the command started get what the
/// command passes on, as under a shell.
fn pass_on(received: signals::Received, child_pid: u32) {
    let name = signal_name(received.signal);
    match received.sender {
        None => eprintln!("asyncwatch: {name}: waiting for the command to exit"),
        Some(sender) if u32::try_from(sender) == Ok(child_pid) => {}
        Some(_) => match signals::forward(child_pid, received.signal) {
            Ok(()) => eprintln!(
                "asyncwatch: {name} passed on to the command (pid {child_pid}); waiting for it to exit"
            ),
            Err(error) => {
                eprintln!("asyncwatch: cannot pass {name} on to pid {child_pid}: {error}")
            }
        },
    }
}

fn build_report(
    options: &RunOptions,
    collector: &Collector,
    exit_code: i32,
    signal: Option<i32>,
    interrupted_by: Option<i32>,
) -> Report {
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
        stalls_emitted: processes
            .values()
            .map(|process| process.stalls_emitted)
            .sum(),
        max_poll_ms: processes
            .values()
            .map(|process| process.max_poll_ms)
            .chain(collector.stalls.iter().map(|stall| stall.duration_ms))
            .fold(0.0, f64::max),
        untracked_threads: processes.values().map(|process| process.untracked).sum(),
        unfinished_processes: processes
            .values()
            .filter(|process| !process.finished)
            .count() as u64,
    };
    let dropped = Dropped {
        in_processes: processes.values().map(|process| process.dropped).sum(),
        not_stored: collector.not_stored,
        malformed: collector.malformed,
    };
    Report {
        version: 1,
        command: options.command.clone(),
        exit_code,
        signal,
        interrupted_by,
        threshold_ms: collector.threshold_ms,
        stalls: collector.stalls.clone(),
        summary,
        dropped_events: dropped.in_processes + dropped.not_stored + dropped.malformed,
        dropped,
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
    crate::file::write_atomically(path, format!("{json}\n").as_bytes()).map_err(|source| {
        RunError::Report {
            path: path.to_owned(),
            source,
        }
    })
}
