use crate::catalog::Blocking;
use crate::rule::declare_rule;

declare_rule! {
    /// ## What it does
    /// Finds a `std::sync` or `parking_lot` lock guard (`MutexGuard`, `RwLockReadGuard`,
    /// `RwLockWriteGuard`) that is still alive at an `.await`: bound with `let` and neither
    /// dropped nor scoped before the `.await`, or a temporary in the scrutinee of a `match`,
    /// `if let` or `while let` whose body awaits.
    ///
    /// ## Why is this bad?
    /// The task keeps the lock while it is suspended. Any other task that calls `lock()` on a
    /// worker thread then blocks that thread until the first task is polled again, which may
    /// need the very thread that is blocked: the runtime deadlocks. A guard dropped before the
    /// `.await`, scoped in a block or used as a statement temporary is fine and not reported.
    ///
    /// ## Example
    /// ```rust,ignore
    /// async fn bump(counter: &std::sync::Mutex<u64>) {
    ///     let mut guard = counter.lock().unwrap();
    ///     *guard += 1;
    ///     flush().await;
    /// }
    /// # async fn flush() {}
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// async fn bump(counter: &std::sync::Mutex<u64>) {
    ///     {
    ///         let mut guard = counter.lock().unwrap();
    ///         *guard += 1;
    ///     }
    ///     flush().await;
    /// }
    /// # async fn flush() {}
    /// ```
    /// If the lock must be held across the `.await`, use `tokio::sync::Mutex`.
    pub static GUARD_ACROSS_AWAIT = {
        name: "guard-across-await",
        severity: Warning,
        default: enabled,
        summary: "a std or parking_lot lock guard held across an `.await`",
    }
}

pub(crate) const HELP: &str = "drop the guard before the `.await` (end its block or call `drop(guard)`); if the lock must be held across it, use `tokio::sync::Mutex`";
pub(crate) const WHY: &str = "while the task is suspended, every other task that locks it blocks its worker thread, which can deadlock the runtime";

/// Guards are found structurally, not by a call catalog.
pub(crate) const CATALOG: &[&[Blocking]] = &[];
