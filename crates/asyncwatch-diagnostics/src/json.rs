//! The `--format json` document. Its shape is documented in docs/json.md; change both together
//! and bump [`JSON_FORMAT_VERSION`] when a field changes meaning or disappears.

use serde::Serialize;

use crate::{Diagnostic, Fix, Related, Report, Severity};

pub const JSON_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool<'a>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    errors: &'a [crate::FileError],
    summary: Summary,
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'a str,
    severity: Severity,
    message: &'a str,
    label: Option<&'a str>,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    function: Option<&'a str>,
    help: Option<&'a str>,
    notes: &'a [String],
    related: &'a [Related],
    fix: Option<&'a Fix>,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    diagnostics: usize,
    errors: usize,
    by_severity: std::collections::BTreeMap<&'static str, usize>,
    by_rule: std::collections::BTreeMap<&'static str, usize>,
}

impl<'a> From<&'a Diagnostic> for JsonDiagnostic<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        JsonDiagnostic {
            rule: d.rule,
            severity: d.severity,
            message: &d.message,
            label: d.label.as_deref(),
            file: &d.file,
            line: d.span.start.line,
            column: d.span.start.column,
            end_line: d.span.end.line,
            end_column: d.span.end.column,
            function: d.function.as_deref(),
            help: d.help.as_deref(),
            notes: &d.notes,
            related: &d.related,
            fix: d.fix.as_ref(),
        }
    }
}

/// Renders the whole report as one pretty-printed JSON document.
pub fn render_json(report: &Report, tool_version: &str) -> String {
    let by_severity = [Severity::Error, Severity::Warning, Severity::Note]
        .into_iter()
        .map(|s| (s.as_str(), report.count_by_severity(s)))
        .collect();
    let document = Document {
        version: JSON_FORMAT_VERSION,
        tool: Tool {
            name: "asyncwatch",
            version: tool_version,
        },
        diagnostics: report
            .diagnostics
            .iter()
            .map(JsonDiagnostic::from)
            .collect(),
        errors: &report.errors,
        summary: Summary {
            files: report.files,
            diagnostics: report.diagnostics.len(),
            errors: report.errors.len(),
            by_severity,
            by_rule: report.counts_by_rule(),
        },
    };
    // Serializing plain structs of strings and numbers cannot fail.
    let mut out = serde_json::to_string_pretty(&document).unwrap_or_default();
    out.push('\n');
    out
}
