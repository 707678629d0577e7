use crate::catalog::Blocking;
use crate::rule::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports `// asyncwatch: allow(rule) -- reason` comments that suppress nothing: the line
    /// they cover (their own or the next) has no finding of that rule any more, or the rule
    /// name is unknown. File-level `//! asyncwatch: allow(rule)` comments are reported when
    /// the file has no finding of the rule at all.
    ///
    /// ## Why is this bad?
    /// A stale suppression hides the next real finding on that line, and a misspelled rule
    /// name suppresses nothing while looking as if it did.
    ///
    /// ## Example
    /// ```rust,ignore
    /// async fn load() {
    ///     // asyncwatch: allow(blocking-fs) -- small file read at startup
    ///     let config = tokio::fs::read("app.toml").await;
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// async fn load() {
    ///     let config = tokio::fs::read("app.toml").await;
    /// }
    /// ```
    pub static UNUSED_SUPPRESSION = {
        name: "unused-suppression",
        severity: Warning,
        default: enabled,
        summary: "an `asyncwatch: allow(..)` comment that suppresses nothing",
    }
}

pub(crate) const CATALOG: &[&[Blocking]] = &[];
