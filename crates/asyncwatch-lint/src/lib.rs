//! Static analysis that finds blocking calls in async Rust code.
//!
//! ```
//! let settings = asyncwatch_lint::Settings::default();
//! let diagnostics = asyncwatch_lint::check_source(
//!     "example.rs",
//!     "async fn f() { std::thread::sleep(std::time::Duration::from_secs(1)); }",
//!     &settings,
//! )
//! .unwrap();
//! assert_eq!(diagnostics[0].rule, "blocking-sleep");
//! ```
//!
//! The analyzer parses files with syn and never compiles or runs them. See ARCHITECTURE.md
//! for how a finding is made.

mod catalog;
mod checker;
mod discover;
mod macros;
mod resolve;
pub mod rule;
pub mod rules;
mod span;
mod types;

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;

pub use asyncwatch_diagnostics::{Diagnostic, FileError, Report, Severity};
pub use discover::{discover, DiscoverError};
pub use rule::Rule;

/// Which rules run and how loudly they report.
#[derive(Debug, Clone)]
pub struct Settings {
    enabled: HashSet<&'static str>,
    severities: HashMap<&'static str, Severity>,
    /// Extra functions (canonical paths) whose closure arguments run off the async worker,
    /// for projects with their own `spawn_blocking` wrappers.
    pub offload_functions: Vec<String>,
}

/// A rule name that no rule has.
#[derive(Debug, thiserror::Error)]
#[error("unknown rule `{0}` (run `asyncwatch rules` to list them)")]
pub struct UnknownRule(pub String);

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: rules::all()
                .filter(|r| r.enabled_by_default)
                .map(|r| r.name)
                .collect(),
            severities: HashMap::new(),
            offload_functions: Vec::new(),
        }
    }
}

impl Settings {
    /// Runs only the named rules (`all` selects every rule, pedantic ones included).
    pub fn select_only<'a>(
        &mut self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), UnknownRule> {
        let mut enabled = HashSet::new();
        for name in names {
            if name == "all" {
                enabled.extend(rules::all().map(|r| r.name));
            } else {
                enabled.insert(lookup(name)?.name);
            }
        }
        self.enabled = enabled;
        Ok(())
    }

    /// Adds rules to the enabled set (for opting into pedantic rules).
    pub fn enable(&mut self, name: &str) -> Result<(), UnknownRule> {
        if name == "all" {
            self.enabled.extend(rules::all().map(|r| r.name));
            return Ok(());
        }
        self.enabled.insert(lookup(name)?.name);
        Ok(())
    }

    pub fn disable(&mut self, name: &str) -> Result<(), UnknownRule> {
        self.enabled.remove(lookup(name)?.name);
        Ok(())
    }

    pub fn set_severity(&mut self, name: &str, severity: Severity) -> Result<(), UnknownRule> {
        self.severities.insert(lookup(name)?.name, severity);
        Ok(())
    }

    pub fn is_enabled(&self, rule: &Rule) -> bool {
        self.enabled.contains(rule.name)
    }

    pub fn severity(&self, rule: &Rule) -> Severity {
        self.severities
            .get(rule.name)
            .copied()
            .unwrap_or(rule.default_severity)
    }
}

fn lookup(name: &str) -> Result<&'static Rule, UnknownRule> {
    rules::by_name(name).ok_or_else(|| UnknownRule(name.to_owned()))
}

/// Analyzes one file's text. `file` is the name diagnostics carry. A syntax error is returned
/// as a [`FileError`] naming the line and column.
pub fn check_source(
    file: &str,
    source: &str,
    settings: &Settings,
) -> Result<Vec<Diagnostic>, FileError> {
    analyze(file, source, settings).map(|findings| resolve_pending(vec![findings]))
}

fn analyze(
    file: &str,
    source: &str,
    settings: &Settings,
) -> Result<checker::FileFindings, FileError> {
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let syntax = syn::parse_file(source).map_err(|error| {
            let start = error.span().start();
            FileError {
                file: file.to_owned(),
                message: format!(
                    "syntax error at {}:{}: {error}",
                    start.line,
                    start.column + 1
                ),
            }
        })?;
        let mut findings = checker::Checker::new(file, settings).check_file(&syntax);
        // syn drops a byte order mark before parsing, so its offsets start after it.
        if source.starts_with('\u{feff}') {
            let shift = '\u{feff}'.len_utf8();
            for pending in &mut findings.pending {
                pending.diagnostic.span.start.offset += shift;
                pending.diagnostic.span.end.offset += shift;
            }
        }
        Ok(findings)
    }));
    // Spans are resolved into positions above; dropping the thread's source map keeps memory
    // flat across thousands of files.
    proc_macro2::extra::invalidate_current_thread_spans();
    match result {
        Ok(outcome) => outcome,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(FileError {
                file: file.to_owned(),
                message: format!("internal error while analyzing: {what}"),
            })
        }
    }
}

/// Keeps the findings that hold once every file's offload wrappers are known: a finding in
/// a closure handed to a crate-local function is dropped when some file shows that function
/// hands the closure to `spawn_blocking` (or another offload entry point).
fn resolve_pending(findings: Vec<checker::FileFindings>) -> Vec<Diagnostic> {
    let wrappers: HashSet<String> = findings
        .iter()
        .flat_map(|f| f.wrappers.iter().cloned())
        .collect();
    findings
        .into_iter()
        .flat_map(|f| f.pending)
        .filter(|p| {
            p.unless_wrapper
                .as_ref()
                .is_none_or(|name| !wrappers.contains(name))
        })
        .map(|p| p.diagnostic)
        .collect()
}

/// Lints every Rust file under `paths` (files or directories) in parallel.
///
/// A path that does not exist is an error for the whole run; a file that cannot be read or
/// parsed becomes an entry in [`Report::errors`] and the run continues.
pub fn lint_paths(paths: &[PathBuf], settings: &Settings) -> Result<Report, DiscoverError> {
    let files = discover(paths)?;
    Ok(lint_files(&files, settings))
}

/// Lints the given files, which must exist. Offload wrappers found in any of them count for
/// all of them, so give the files of one crate together.
pub fn lint_files(files: &[PathBuf], settings: &Settings) -> Report {
    use rayon::prelude::*;
    let check = |path: &PathBuf| -> Result<checker::FileFindings, FileError> {
        let name = path.display().to_string();
        let source = std::fs::read(path).map_err(|e| FileError {
            file: name.clone(),
            message: format!("cannot read file: {e}"),
        })?;
        let source = String::from_utf8(source).map_err(|_| FileError {
            file: name.clone(),
            message: "file is not valid UTF-8".to_owned(),
        })?;
        analyze(&name, &source, settings)
    };
    // Parsing recurses deeply on deeply nested code; big stacks keep that from overflowing.
    let outcomes: Vec<_> = match rayon::ThreadPoolBuilder::new().stack_size(64 << 20).build() {
        Ok(pool) => pool.install(|| files.par_iter().map(check).collect()),
        Err(_) => files.iter().map(check).collect(),
    };
    let mut report = Report {
        files: files.len(),
        ..Report::default()
    };
    let mut findings = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(file_findings) => findings.push(file_findings),
            Err(error) => report.errors.push(error),
        }
    }
    report.diagnostics = resolve_pending(findings);
    report.sort();
    report
}
