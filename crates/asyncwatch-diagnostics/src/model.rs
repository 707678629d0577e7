use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How loudly a finding is reported. Every rule has a default; configuration may change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A place in a source file. `line` and `column` are 1-based (columns count characters, as
/// editors do); `offset` is the 0-based byte offset, which rustc-shaped outputs need.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

/// A half-open source range: `end` is the position just past the last character.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Span {
    pub start: Position,
    pub end: Position,
}

/// Another place that explains a diagnostic, such as the next link of a call chain.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Related {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Whether a fix may be applied without a human reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// The edit keeps the program's meaning apart from the blocking (`--fix` applies it).
    MachineApplicable,
    /// The edit is a good start but needs a look (a signature or an import may change).
    MaybeIncorrect,
}

/// One replacement of a source range.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

/// A suggested change that removes the blocking call.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Fix {
    pub message: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

/// One finding at one place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    /// The path as walked from the argument the user gave.
    pub file: String,
    pub span: Span,
    /// The rule's kebab-case name, e.g. `blocking-sleep`.
    pub rule: &'static str,
    pub severity: Severity,
    /// What is wrong, lowercase and without a trailing period.
    pub message: String,
    /// A short label under the underlined span, as rustc prints one.
    pub label: Option<String>,
    /// What to do instead, naming the async alternative.
    pub help: Option<String>,
    pub notes: Vec<String>,
    pub related: Vec<Related>,
    pub fix: Option<Fix>,
    /// The function that contains the finding (`Type::method` or `function`), which keys
    /// baselines and helps a reader find their way.
    pub function: Option<String>,
}

/// A file that could not be analyzed. The run goes on without it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FileError {
    pub file: String,
    pub message: String,
}

/// Everything one run found, in a stable order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    pub errors: Vec<FileError>,
    /// How many files were analyzed, including those that failed.
    pub files: usize,
}

impl Report {
    /// Orders diagnostics by file and position so outputs do not depend on thread timing.
    pub fn sort(&mut self) {
        self.diagnostics
            .sort_by(|a, b| (&a.file, a.span.start, a.rule).cmp(&(&b.file, b.span.start, b.rule)));
        self.diagnostics.dedup();
        self.errors.sort();
    }

    /// Diagnostic counts per rule, for summaries.
    pub fn counts_by_rule(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for diagnostic in &self.diagnostics {
            *counts.entry(diagnostic.rule).or_insert(0) += 1;
        }
        counts
    }

    pub fn count_by_severity(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}
