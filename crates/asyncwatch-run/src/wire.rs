//! The newline-delimited JSON events written by asyncwatch-runtime's reporter thread.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum WireEvent {
    Hello {
        pid: u32,
        mode: String,
        #[serde(default)]
        program: String,
    },
    Stall(WireStall),
    Stats {
        polls: u64,
        max_poll_ms: f64,
        dropped_events: u64,
        #[serde(default)]
        untracked_threads: u64,
        /// Distinct stalls sent so far (absent from older runtimes).
        #[serde(default)]
        stalls: u64,
        /// The process's last event, written at exit (absent from older runtimes).
        #[serde(default, rename = "final")]
        last: bool,
    },
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct WireStall {
    pub pid: u32,
    pub key: String,
    /// The stall's number in its process, repeated by its updates (absent from older
    /// runtimes).
    #[serde(default)]
    pub seq: Option<u64>,
    pub in_progress: bool,
    pub duration_ms: f64,
    pub kind: String,
    pub task: Option<crate::TaskReport>,
    pub thread: String,
    pub blocking_site: Option<crate::FrameReport>,
    #[serde(default)]
    pub frames: Vec<crate::FrameReport>,
}
