use crate::catalog::Blocking;
use crate::rule::declare_rule;

declare_rule! {
    /// ## What it does
    /// Pedantic, off unless selected: finds every `lock()`, `read()` and `write()` on a
    /// `std::sync` or `parking_lot` `Mutex`/`RwLock` in async code.
    ///
    /// ## Why is this bad?
    /// Usually it is not: tokio's own guidance is that a std mutex held briefly and never
    /// across an `.await` is the right choice. But a contended lock blocks the worker until the
    /// holder releases it, so teams that keep long critical sections may want every lock in
    /// async code reviewed. Guards held across an `.await` are reported by
    /// `guard-across-await` whether or not this rule is on.
    ///
    /// ## Example
    /// ```rust,ignore
    /// async fn record(log: &std::sync::Mutex<Vec<String>>, line: String) {
    ///     log.lock().unwrap().push(line);
    /// }
    /// ```
    ///
    /// ## Use instead
    /// Keep the critical section short, or use `tokio::sync::Mutex` when it is long:
    /// ```rust,ignore
    /// async fn record(log: &tokio::sync::Mutex<Vec<String>>, line: String) {
    ///     log.lock().await.push(line);
    /// }
    /// ```
    pub static STD_MUTEX_LOCK = {
        name: "std-mutex-lock",
        severity: Note,
        default: pedantic,
        summary: "a std or parking_lot lock taken in async code (pedantic)",
    }
}

const WHY: &str = "a contended lock blocks the worker thread until the holder releases it";
const INSTEAD: &str =
    "keep the critical section short, or use `tokio::sync::Mutex`/`RwLock` when it is long";

const fn on(ty: &'static str, method: &'static str) -> Blocking {
    Blocking::method(ty, method, WHY, INSTEAD)
}

pub(crate) const CATALOG: &[&[Blocking]] = &[&[
    on("std::sync::Mutex", "lock"),
    on("std::sync::RwLock", "read"),
    on("std::sync::RwLock", "write"),
    on("parking_lot::Mutex", "lock"),
    on("parking_lot::RwLock", "read"),
    on("parking_lot::RwLock", "write"),
    on("parking_lot::FairMutex", "lock"),
]];
