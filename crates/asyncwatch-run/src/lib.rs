//! Supervisor and collector behind `asyncwatch run`: starts a command with the
//! `ASYNCWATCH_*` settings in its environment, gathers the stall events that every
//! instrumented process it starts streams to a unix socket, prints each stall live and builds
//! the final report.

mod collector;
mod file;
mod report;
mod signals;
mod wire;

use std::path::PathBuf;
use std::time::Duration;

pub use collector::run;
pub use report::{
    Dropped, FrameReport, LocationReport, Report, StallReport, Summary, TaskReport,
    MAX_STORED_STALLS,
};
pub use signals::{exit_by_signal, signal_name};

/// Exit code of `asyncwatch run --fail-on-stall` when the command succeeded but stalled.
pub const FAIL_ON_STALL_EXIT_CODE: u8 = 3;
/// Default stall threshold.
pub const DEFAULT_THRESHOLD: Duration = Duration::from_millis(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub command: Vec<String>,
    pub threshold: Duration,
    pub format: Format,
    /// Where the JSON report goes instead of standard output.
    pub report: Option<PathBuf>,
    pub fail_on_stall: bool,
}

#[derive(Debug)]
pub struct RunOutcome {
    /// What `asyncwatch run` should exit with, unless it was interrupted.
    pub exit_code: u8,
    /// The SIGINT or SIGTERM that interrupted the run: `asyncwatch run` then ends by it
    /// ([`exit_by_signal`]) once the report is out.
    pub interrupted_by: Option<i32>,
    pub report: Report,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("no command given: use `asyncwatch run -- CMD [ARGS...]`")]
    EmptyCommand,
    #[error("cannot create the event socket in {path}: {source}")]
    Socket {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot run `{program}`: {}", spawn_failure(source))]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("cannot set up the handling of SIGINT and SIGTERM: {0}")]
    Signals(std::io::Error),
    #[error("cannot write the report to {path}")]
    Report {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Exit code when the command was not found, as a shell's.
pub const NOT_FOUND_EXIT_CODE: u8 = 127;
/// Exit code when the command was found but could not be run, as a shell's.
pub const NOT_EXECUTABLE_EXIT_CODE: u8 = 126;

fn spawn_failure(source: &std::io::Error) -> String {
    match source.kind() {
        std::io::ErrorKind::NotFound => "command not found".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied (not executable?)".to_owned(),
        _ => source.to_string(),
    }
}

impl RunError {
    /// What `asyncwatch run` exits with after this error: a command that cannot be run gets a
    /// shell's 127 (not found) or 126 (found, not runnable), so scripts tell it from
    /// asyncwatch's own errors (2).
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Spawn { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound => NOT_FOUND_EXIT_CODE,
                std::io::ErrorKind::PermissionDenied => NOT_EXECUTABLE_EXIT_CODE,
                _ if source.raw_os_error() == Some(libc::ENOEXEC) => NOT_EXECUTABLE_EXIT_CODE,
                _ => 2,
            },
            _ => 2,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid threshold `{0}`: expected a duration such as 10ms, 250us or 1s")]
pub struct ThresholdError(String);

/// Parses `10ms`, `250us`, `1s`, `1.5s` or a bare number of milliseconds.
pub fn parse_threshold(text: &str) -> Result<Duration, ThresholdError> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| ThresholdError(text.to_owned()))?;
    let seconds = match unit.trim() {
        "" | "ms" => value / 1e3,
        "us" | "µs" => value / 1e6,
        "s" => value,
        _ => return Err(ThresholdError(text.to_owned())),
    };
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 3600.0 {
        return Err(ThresholdError(text.to_owned()));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_with_units() {
        assert_eq!(
            parse_threshold("10ms").ok(),
            Some(Duration::from_millis(10))
        );
        assert_eq!(
            parse_threshold("250us").ok(),
            Some(Duration::from_micros(250))
        );
        assert_eq!(parse_threshold("1s").ok(), Some(Duration::from_secs(1)));
        assert_eq!(parse_threshold("50").ok(), Some(Duration::from_millis(50)));
        assert!(parse_threshold("fast").is_err());
        assert!(parse_threshold("0ms").is_err());
        assert!(parse_threshold("10 parsecs").is_err());
    }
}
