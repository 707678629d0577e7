use crate::catalog::Blocking;
use crate::rule::declare_rule;

declare_rule! {
    /// ## What it does
    /// Finds `std::process` calls that wait for a child process in async code:
    /// `Command::output`, `Command::status`, `Child::wait` and `Child::wait_with_output`.
    ///
    /// ## Why is this bad?
    /// These calls return only when the child exits, which may take seconds or never happen.
    /// Until then the worker thread runs no other task. `Command::spawn` alone does not wait
    /// and is not reported.
    ///
    /// ## Example
    /// ```rust,ignore
    /// async fn git_head() -> std::io::Result<std::process::Output> {
    ///     std::process::Command::new("git").args(["rev-parse", "HEAD"]).output()
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// async fn git_head() -> std::io::Result<std::process::Output> {
    ///     tokio::process::Command::new("git").args(["rev-parse", "HEAD"]).output().await
    /// }
    /// ```
    pub static BLOCKING_PROCESS = {
        name: "blocking-process",
        severity: Warning,
        default: enabled,
        summary: "waiting for a child process with `std::process` in async code",
    }
}

const WHY: &str = "it waits on the worker thread until the child process exits";
const INSTEAD: &str =
    "use `tokio::process::Command` and `.await` its `output()`/`status()`/`wait()`";

pub(crate) const CATALOG: &[&[Blocking]] = &[&[
    Blocking::method("std::process::Command", "output", WHY, INSTEAD),
    Blocking::method("std::process::Command", "status", WHY, INSTEAD),
    Blocking::method("std::process::Child", "wait", WHY, INSTEAD),
    Blocking::method("std::process::Child", "wait_with_output", WHY, INSTEAD),
    Blocking::method("std::process::ChildStdout", "read", WHY, INSTEAD),
    Blocking::method("std::process::ChildStdout", "read_to_end", WHY, INSTEAD),
    Blocking::method("std::process::ChildStdout", "read_to_string", WHY, INSTEAD),
    Blocking::method("std::process::ChildStderr", "read_to_end", WHY, INSTEAD),
    Blocking::method("std::process::ChildStderr", "read_to_string", WHY, INSTEAD),
]];
