//! Catches tokio runtime stalls as they happen and names the blocking line.
//!
//! ```no_run
//! let mut builder = tokio::runtime::Builder::new_multi_thread();
//! builder.enable_all();
//! asyncwatch_runtime::instrument(&mut builder); // configured from ASYNCWATCH_* variables
//! let runtime = builder.build().unwrap();
//! ```
//!
//! Built with `--cfg tokio_unstable`, every task poll is timed (precise mode); without it the
//! worker threads are timed from unpark to park (worker mode). Either way a poll still
//! running past the threshold has its thread's stack captured while it is blocked, and the
//! report names the innermost frame in the application's own code.

#[cfg(not(unix))]
compile_error!("asyncwatch-runtime supports unix targets only (it captures stacks with signals)");

mod capture;
mod clock;
mod hooks;
mod report;
mod slots;
mod watchdog;

use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::OnceLock;
use std::time::Duration;

#[cfg(feature = "macros")]
pub use asyncwatch_runtime_macros::{main, test};

/// Environment variable: threshold in milliseconds above which a poll is a stall.
pub const ENV_THRESHOLD_MS: &str = "ASYNCWATCH_THRESHOLD_MS";
/// Environment variable: unix socket of the `asyncwatch run` collector.
pub const ENV_SINK: &str = "ASYNCWATCH_SINK";
/// Environment variable: `stderr` or `json:<file>`.
pub const ENV_OUTPUT: &str = "ASYNCWATCH_OUTPUT";
/// Environment variable: `1` turns the watchdog on with default settings, `0` forces it off.
pub const ENV_ENABLE: &str = "ASYNCWATCH";

const DEFAULT_THRESHOLD: Duration = Duration::from_millis(10);

/// Where stall reports go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Human-readable reports on standard error.
    Stderr,
    /// Newline-delimited JSON events to the unix socket of `asyncwatch run`.
    Socket(PathBuf),
    /// Newline-delimited JSON events appended to a file.
    JsonFile(PathBuf),
}

/// An `ASYNCWATCH_*` variable that could not be understood.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid {ENV_THRESHOLD_MS} value `{0}`: expected a positive number of milliseconds")]
    InvalidThreshold(String),
    #[error("invalid {ENV_OUTPUT} value `{0}`: expected `stderr` or `json:<file>`")]
    InvalidOutput(String),
}

/// Explicit configuration of the stall watchdog.
#[derive(Clone, Debug)]
pub struct Watchdog {
    threshold: Duration,
    output: Output,
}

impl Default for Watchdog {
    fn default() -> Self {
        Self::new()
    }
}

impl Watchdog {
    /// A 10 ms threshold, reports on stderr.
    pub fn new() -> Self {
        Self {
            threshold: DEFAULT_THRESHOLD,
            output: Output::Stderr,
        }
    }

    /// Polls running at least this long are stalls.
    pub fn threshold(mut self, threshold: Duration) -> Self {
        self.threshold = threshold.max(Duration::from_micros(100));
        self
    }

    pub fn output(mut self, output: Output) -> Self {
        self.output = output;
        self
    }

    /// The configuration the `ASYNCWATCH_*` variables ask for, or `None` when none is set.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let enable = var(ENV_ENABLE);
        if matches!(enable.as_deref(), Some("0" | "off" | "false")) {
            return Ok(None);
        }
        let threshold = var(ENV_THRESHOLD_MS);
        let sink = var(ENV_SINK);
        let output = var(ENV_OUTPUT);
        if enable.is_none() && threshold.is_none() && sink.is_none() && output.is_none() {
            return Ok(None);
        }
        let mut watchdog = Self::new();
        if let Some(text) = threshold {
            let millis: f64 = text
                .trim()
                .parse()
                .ok()
                .filter(|millis: &f64| millis.is_finite() && *millis > 0.0)
                .ok_or_else(|| ConfigError::InvalidThreshold(text.clone()))?;
            watchdog = watchdog.threshold(Duration::from_secs_f64(millis / 1000.0));
        }
        if let Some(text) = output {
            watchdog = watchdog.output(match text.as_str() {
                "stderr" => Output::Stderr,
                _ => match text.strip_prefix("json:") {
                    Some(path) if !path.is_empty() => Output::JsonFile(PathBuf::from(path)),
                    _ => return Err(ConfigError::InvalidOutput(text)),
                },
            });
        }
        if let Some(path) = sink {
            watchdog = watchdog.output(Output::Socket(PathBuf::from(path)));
        }
        Ok(Some(watchdog))
    }

    /// Installs the hooks on `builder` and starts the process-wide watchdog thread.
    ///
    /// The watchdog is shared by all runtimes of the process; the first installed
    /// configuration wins. This sets the builder's thread park/unpark hooks (worker mode) or
    /// task poll hooks (precise mode), replacing any set before.
    pub fn install(&self, builder: &mut tokio::runtime::Builder) {
        let mode = mode();
        start_once(self, mode);
        install_hooks(builder);
    }
}

fn mode() -> watchdog::Mode {
    if cfg!(tokio_unstable) {
        watchdog::Mode::Precise
    } else {
        watchdog::Mode::Worker
    }
}

/// Instruments `builder` as the `ASYNCWATCH_*` environment asks; with none of them set it
/// installs nothing. Returns whether the watchdog is installed.
pub fn instrument(builder: &mut tokio::runtime::Builder) -> bool {
    match Watchdog::from_env() {
        Ok(Some(watchdog)) => {
            watchdog.install(builder);
            true
        }
        Ok(None) => false,
        Err(error) => {
            eprintln!("asyncwatch: {error}; stall detection is off");
            false
        }
    }
}

/// Whether this build times every task poll (`--cfg tokio_unstable`).
pub fn is_precise() -> bool {
    cfg!(tokio_unstable)
}

/// Writes pending reports now. Reports are also flushed at process exit; call this before
/// leaving by a path that skips exit handlers (`std::process::abort`, `_exit`).
pub fn flush() {
    watchdog::finish(Duration::from_secs(5));
}

fn start_once(watchdog: &Watchdog, mode: watchdog::Mode) {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        clock::init();
        let threshold_ticks = clock::nanos_to_ticks(watchdog.threshold.as_nanos() as u64).max(1);
        hooks::THRESHOLD_TICKS.store(threshold_ticks, Relaxed);
        #[cfg(tokio_unstable)]
        SEQUENCE_STAMPS.store(
            watchdog::sequence_stamps_suffice(watchdog.threshold),
            Relaxed,
        );
        if !capture::install_handler() {
            eprintln!("asyncwatch: cannot install the stack capture signal handler; stalls are reported without stacks");
        }
        watchdog::start(watchdog.threshold, &watchdog.output, mode);
        hooks::ENABLED.store(true, Relaxed);
    });
}

/// Set once by `start_once`: whether task polls are stamped with their number (no clock read)
/// rather than their start time.
#[cfg(tokio_unstable)]
static SEQUENCE_STAMPS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(tokio_unstable)]
fn install_hooks(builder: &mut tokio::runtime::Builder) {
    // The stamp and the clock are fixed by now (`start_once` ran): choosing them here keeps
    // their branch out of every poll.
    if SEQUENCE_STAMPS.load(Relaxed) {
        install_poll_hooks::<clock::Sequence>(builder);
    } else if clock::uses_tsc() {
        install_poll_hooks::<clock::Tsc>(builder);
    } else {
        install_poll_hooks::<clock::Monotonic>(builder);
    }
}

#[cfg(tokio_unstable)]
fn install_poll_hooks<C: clock::Clock + 'static>(builder: &mut tokio::runtime::Builder) {
    builder
        .on_before_task_poll(|meta| {
            hooks::poll_begin::<C>(slots::SlotKind::Worker, || {
                (
                    hooks::task_id_number(meta.id()),
                    hooks::location_address(meta.spawned_at()),
                )
            })
        })
        .on_after_task_poll(|_| hooks::poll_end(slots::SlotKind::Worker));
}

#[cfg(not(tokio_unstable))]
fn install_hooks(builder: &mut tokio::runtime::Builder) {
    builder
        .on_thread_unpark(|| {
            hooks::poll_begin::<clock::Dynamic>(slots::SlotKind::Worker, || (0, 0))
        })
        .on_thread_park(|| hooks::poll_end(slots::SlotKind::Worker));
}

#[doc(hidden)]
pub mod __private {
    pub use crate::hooks::{watch_block_on, WatchBlockOn};
    pub use tokio;

    /// Used by the attribute macros.
    pub fn instrument(builder: &mut tokio::runtime::Builder) -> bool {
        crate::instrument(builder)
    }
}
