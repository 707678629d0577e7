use crate::catalog::{Blocking, Target};
use crate::rule::declare_rule;

declare_rule! {
    /// ## What it does
    /// Finds a nested `block_on` in async code: `futures::executor::block_on`,
    /// `tokio::runtime::Runtime::block_on`, `Handle::block_on`, `pollster::block_on`,
    /// `futures_lite::future::block_on`, `async_std::task::block_on`, and any `.block_on(fut)`.
    ///
    /// ## Why is this bad?
    /// `block_on` runs a future to completion by blocking the current thread. Inside a runtime
    /// it either panics (tokio: "Cannot start a runtime from within a runtime") or blocks a
    /// worker until the inner future finishes; if that future needs the blocked worker, the
    /// program deadlocks.
    ///
    /// ## Example
    /// ```rust,ignore
    /// async fn handler() -> u32 {
    ///     futures::executor::block_on(compute())
    /// }
    /// # async fn compute() -> u32 { 1 }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// async fn handler() -> u32 {
    ///     compute().await
    /// }
    /// # async fn compute() -> u32 { 1 }
    /// ```
    pub static NESTED_BLOCK_ON = {
        name: "nested-block-on",
        severity: Error,
        default: enabled,
        summary: "`block_on` inside async code panics or deadlocks the runtime",
    }
}

const WHY: &str = "it blocks the worker until the inner future completes; tokio panics, other executors can deadlock";
const INSTEAD: &str =
    "`.await` the future instead; from sync code called by async code, make the caller async";

pub(crate) const CATALOG: &[&[Blocking]] = &[&[
    Blocking::func("futures::executor::block_on", WHY, INSTEAD),
    Blocking::func("futures::executor::block_on_stream", WHY, INSTEAD),
    Blocking::func("futures_executor::block_on", WHY, INSTEAD),
    Blocking::func("futures_lite::future::block_on", WHY, INSTEAD),
    Blocking::func("pollster::block_on", WHY, INSTEAD),
    Blocking::func("async_std::task::block_on", WHY, INSTEAD),
    Blocking::func("smol::block_on", WHY, INSTEAD),
    Blocking::func("async_io::block_on", WHY, INSTEAD),
    Blocking::func("async_global_executor::block_on", WHY, INSTEAD),
    Blocking::func("tokio::runtime::Runtime::block_on", WHY, INSTEAD),
    Blocking::func("tokio::runtime::Handle::block_on", WHY, INSTEAD),
    Blocking::method("tokio::runtime::Runtime", "block_on", WHY, INSTEAD),
    Blocking::method("tokio::runtime::Handle", "block_on", WHY, INSTEAD),
    Blocking::method("futures::executor::LocalPool", "run_until", WHY, INSTEAD),
    by_name("block_on", 1),
    // pollster's `FutureExt::block_on(self)`: `future.block_on()`.
    by_name("block_on", 0),
    Blocking::func("pollster::FutureExt::block_on", WHY, INSTEAD),
]];

const fn by_name(method: &'static str, args: usize) -> Blocking {
    Blocking {
        target: Target::MethodByName { method, args },
        why: WHY,
        instead: INSTEAD,
    }
}
