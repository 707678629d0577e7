use crate::catalog::Blocking;
use crate::rule::declare_rule;

declare_rule! {
    /// ## What it does
    /// Finds calls, in async code, to functions the project itself declares blocking in its
    /// configuration (`blocking-functions` in `asyncwatch.toml` or
    /// `[package.metadata.asyncwatch]`), each with the reason and the replacement given there.
    ///
    /// ## Why is this bad?
    /// Every codebase has its own synchronous helpers: a database call wrapped in a
    /// `block_on`, a legacy client, a function that shells out. asyncwatch cannot know them,
    /// but once they are listed they are reported like any catalog entry, with the project's
    /// own advice.
    ///
    /// ## Example
    /// ```toml
    /// [[blocking-functions]]
    /// path = "crate::db::query_sync"
    /// reason = "it runs the query on the calling thread"
    /// replacement = "use `crate::db::query(..).await`"
    /// ```
    /// ```rust,ignore
    /// async fn handler() {
    ///     db::query_sync("select 1");
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// async fn handler() {
    ///     db::query("select 1").await;
    /// }
    /// ```
    pub static CUSTOM_BLOCKING = {
        name: "custom-blocking",
        severity: Warning,
        default: enabled,
        summary: "a function the project's configuration declares blocking, called in async code",
    }
}

/// The entries come from configuration at run time (see `Settings::add_blocking_function`).
pub(crate) const CATALOG: &[&[Blocking]] = &[];
