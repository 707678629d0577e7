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
    pub stalls: u64,
    pub max_poll_ms: f64,
    pub untracked_threads: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub version: u32,
    pub command: Vec<String>,
    pub exit_code: i32,
    pub threshold_ms: f64,
    pub stalls: Vec<StallReport>,
    pub summary: Summary,
    pub dropped_events: u64,
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
            for stall in &self.stalls {
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
        }
        if summary.worker_mode_processes > 0 {
            let _ = writeln!(
                out,
                "asyncwatch: {} process(es) ran in worker mode; build with `--cfg tokio_unstable` for per-task precision",
                summary.worker_mode_processes
            );
        }
        if self.dropped_events > 0 {
            let _ = writeln!(
                out,
                "asyncwatch: {} event(s) were dropped; the report is incomplete",
                self.dropped_events
            );
        }
        out
    }
}
