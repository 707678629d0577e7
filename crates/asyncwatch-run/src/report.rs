//! The `asyncwatch run` report: JSON document and human text.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LocationReport {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaskReport {
    pub id: u64,
    pub spawned_at: Option<LocationReport>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameReport {
    pub function: String,
    pub file: Option<String>,
    pub line: Option<u32>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StallReport {
    pub duration_ms: f64,
    /// The poll had not ended when its process exited (or the report was cut).
    pub in_progress: bool,
    /// `task` (precise mode), `worker` (worker mode) or `block_on` (the future of an
    /// `#[asyncwatch_runtime::main]`/`test` function).
    pub kind: String,
    pub pid: u32,
    pub task: Option<TaskReport>,
    pub thread: String,
    /// Innermost frame in the application's code; `null` when the watchdog did not sample
    /// the poll while it was blocked.
    pub blocking_site: Option<FrameReport>,
    pub frames: Vec<FrameReport>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub processes: u64,
    pub precise_processes: u64,
    pub worker_mode_processes: u64,
    pub polls: u64,
    /// Stalls in the report.
    pub stalls: u64,
    /// Distinct stalls the processes say they sent, as of each one's last statistics: with
    /// every process ended normally, `stalls + dropped.not_stored`.
    pub stalls_emitted: u64,
    pub max_poll_ms: f64,
    pub untracked_threads: u64,
    /// Processes whose events stopped before their last statistics, written at exit: killed,
    /// crashed, or still symbolizing when their exit flush timed out. Stalls they had not
    /// sent yet are missing, and uncounted.
    pub unfinished_processes: u64,
}

/// Where events were lost; `dropped_events` is their sum.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Dropped {
    /// Lost inside the instrumented processes (a full ring or job queue, a broken socket).
    pub in_processes: u64,
    /// Stalls received after the report already held [`MAX_STORED_STALLS`].
    pub not_stored: u64,
    /// Lines that were not events: cut short, too long or not JSON.
    pub malformed: u64,
}

/// Stalls kept in one report: a flood of stalls beyond this is counted, not stored, so the
/// collector's memory stays bounded however long the command runs.
pub const MAX_STORED_STALLS: usize = 1000;

/// Stalls listed one per line in the closing summary; the JSON report has them all.
const SUMMARY_LINES: usize = 50;

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub version: u32,
    pub command: Vec<String>,
    /// The command's exit code; 128+N when it was killed by signal N.
    pub exit_code: i32,
    /// The signal that killed the command, if one did.
    pub signal: Option<i32>,
    /// The first SIGINT or SIGTERM that asyncwatch received while the command ran, if any.
    pub interrupted_by: Option<i32>,
    pub threshold_ms: f64,
    pub stalls: Vec<StallReport>,
    pub summary: Summary,
    pub dropped_events: u64,
    pub dropped: Dropped,
}

fn site_text(frame: &FrameReport) -> String {
    format!(
        "{} at {}:{}",
        frame.function,
        frame.file.as_deref().unwrap_or("?"),
        frame
            .line
            .map_or_else(|| "?".to_owned(), |line| line.to_string())
    )
}

fn subject(stall: &StallReport) -> String {
    match (&stall.task, stall.kind.as_str()) {
        (_, "worker") => "a worker".to_owned(),
        (_, "block_on") => "the block_on future".to_owned(),
        (Some(task), _) => format!("task {}", task.id),
        (None, _) => "a task".to_owned(),
    }
}

/// The live line(s) printed when a stall is first seen.
pub(crate) fn live_text(stall: &StallReport, threshold_ms: f64) -> String {
    let mut out = String::new();
    let how_long = if stall.in_progress {
        format!("is blocked for {} ms so far", stall.duration_ms)
    } else {
        format!("was blocked for {} ms", stall.duration_ms)
    };
    let _ = writeln!(
        out,
        "asyncwatch: stall (> {threshold_ms} ms) in pid {}: {} {how_long} on thread {}",
        stall.pid,
        subject(stall),
        stall.thread
    );
    match &stall.blocking_site {
        Some(frame) => {
            let _ = writeln!(out, "  blocking site: {}", site_text(frame));
        }
        None => out.push_str("  blocking site: not sampled while blocked\n"),
    }
    if let Some(spawned_at) = stall
        .task
        .as_ref()
        .and_then(|task| task.spawned_at.as_ref())
    {
        let _ = writeln!(
            out,
            "  spawned at: {}:{}:{}",
            spawned_at.file, spawned_at.line, spawned_at.column
        );
    }
    out
}

impl Report {
    /// The closing summary, printed on standard error.
    pub fn summary_text(&self) -> String {
        let mut out = String::new();
        let summary = &self.summary;
        let processes = match summary.processes {
            1 => "1 process".to_owned(),
            n => format!("{n} processes"),
        };
        if summary.stalls == 0 {
            let _ = writeln!(
                out,
                "asyncwatch: no stall over {} ms in {processes} ({} polls, longest {} ms)",
                self.threshold_ms, summary.polls, summary.max_poll_ms
            );
        } else {
            let _ = writeln!(
                out,
                "asyncwatch: {} stall{} over {} ms in {processes} ({} polls, longest {} ms):",
                summary.stalls,
                if summary.stalls == 1 { "" } else { "s" },
                self.threshold_ms,
                summary.polls,
                summary.max_poll_ms
            );
            for stall in self.stalls.iter().take(SUMMARY_LINES) {
                let site = stall
                    .blocking_site
                    .as_ref()
                    .map_or_else(|| "site not sampled".to_owned(), site_text);
                let _ = writeln!(
                    out,
                    "  {:>9} ms{}  {site}  ({}, pid {})",
                    stall.duration_ms,
                    if stall.in_progress { "+" } else { " " },
                    subject(stall),
                    stall.pid
                );
            }
            if self.stalls.len() > SUMMARY_LINES {
                let _ = writeln!(
                    out,
                    "  … and {} more in the JSON report",
                    self.stalls.len() - SUMMARY_LINES
                );
            }
        }
        if summary.worker_mode_processes > 0 {
            let _ = writeln!(
                out,
                "asyncwatch: {} process(es) ran in worker mode; build with `--cfg tokio_unstable` for per-task precision",
                summary.worker_mode_processes
            );
        }
        if summary.unfinished_processes > 0 {
            let _ = writeln!(
                out,
                "asyncwatch: {} process(es) ended before reporting everything (killed, crashed, or still busy at exit); stalls they had not sent are missing",
                summary.unfinished_processes
            );
        }
        if self.dropped_events > 0 {
            let dropped = &self.dropped;
            let _ = writeln!(
                out,
                "asyncwatch: {} event(s) were dropped ({} in the processes, {} stalls beyond the {MAX_STORED_STALLS} stored, {} malformed); the report is incomplete",
                self.dropped_events, dropped.in_processes, dropped.not_stored, dropped.malformed
            );
        }
        out
    }
}
