use crate::catalog::Blocking;
use crate::rule::declare_rule;

declare_rule! {
    /// ## What it does
    /// Finds `std::thread::sleep` (and the deprecated `sleep_ms`) in async code.
    ///
    /// ## Why is this bad?
    /// An async runtime runs many tasks on a few worker threads. `std::thread::sleep` parks the
    /// worker thread itself, so every task queued on that worker waits too: timers fire late,
    /// requests time out and, on a current-thread runtime, the whole program stops.
    ///
    /// ## Example
    /// ```rust,ignore
    /// async fn retry() {
    ///     std::thread::sleep(std::time::Duration::from_millis(100));
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// async fn retry() {
    ///     tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    /// }
    /// ```
    pub static BLOCKING_SLEEP = {
        name: "blocking-sleep",
        severity: Warning,
        default: enabled,
        summary: "`std::thread::sleep` in async code parks the worker thread",
    }
}

const WHY: &str = "it parks the worker thread, so every task queued on it waits too";
const INSTEAD: &str = "use `tokio::time::sleep(duration).await`";

pub(crate) const CATALOG: &[&[Blocking]] = &[&[
    Blocking::func("std::thread::sleep", WHY, INSTEAD),
    Blocking::func("std::thread::sleep_ms", WHY, INSTEAD),
    Blocking::func(
        "std::thread::sleep_until",
        WHY,
        "use `tokio::time::sleep_until(deadline).await`",
    ),
]];
