//! `--format rustc-json`: one cargo `compiler-message` record per line, shaped like the
//! output of `cargo check --message-format=json`, so editors (rust-analyzer) and tools that
//! read cargo's JSON show asyncwatch findings like compiler warnings.

use serde::Serialize;

use crate::human::{render_one_plain, SourceCache};
use crate::{Applicability, Diagnostic, Report, Severity, Span};

/// The cargo target a file belongs to, as cargo prints it in `compiler-message` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CargoTarget {
    pub kind: Vec<String>,
    pub crate_types: Vec<String>,
    pub name: String,
    pub src_path: String,
    pub edition: String,
    pub doc: bool,
    pub doctest: bool,
    pub test: bool,
}

/// The package fields of a `compiler-message` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CargoContext {
    pub package_id: String,
    pub manifest_path: String,
    pub target: CargoTarget,
}

#[derive(Serialize)]
struct Record<'a> {
    reason: &'static str,
    package_id: &'a str,
    manifest_path: &'a str,
    target: &'a CargoTarget,
    message: Message,
}

#[derive(Serialize)]
struct Message {
    #[serde(rename = "$message_type")]
    message_type: &'static str,
    message: String,
    code: Option<Code>,
    level: &'static str,
    spans: Vec<JsonSpan>,
    children: Vec<Message>,
    rendered: Option<String>,
}

#[derive(Serialize)]
struct Code {
    code: String,
    explanation: Option<String>,
}

#[derive(Serialize)]
struct JsonSpan {
    file_name: String,
    byte_start: usize,
    byte_end: usize,
    line_start: usize,
    line_end: usize,
    column_start: usize,
    column_end: usize,
    is_primary: bool,
    text: Vec<SpanLine>,
    label: Option<String>,
    suggested_replacement: Option<String>,
    suggestion_applicability: Option<&'static str>,
    expansion: Option<()>,
}

#[derive(Serialize)]
struct SpanLine {
    text: String,
    highlight_start: usize,
    highlight_end: usize,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn applicability(a: Applicability) -> &'static str {
    match a {
        Applicability::MachineApplicable => "MachineApplicable",
        Applicability::MaybeIncorrect => "MaybeIncorrect",
    }
}

/// The source lines a span covers, with the highlighted columns of each, as rustc gives them.
fn span_lines(span: &Span, source: Option<&str>) -> Vec<SpanLine> {
    let Some(source) = source else {
        return Vec::new();
    };
    let lines: Vec<&str> = source.lines().collect();
    let mut out = Vec::new();
    for line in span.start.line..=span.end.line {
        let Some(text) = line.checked_sub(1).and_then(|i| lines.get(i)) else {
            break;
        };
        let width = text.chars().count() + 1;
        let start = if line == span.start.line {
            span.start.column
        } else {
            1
        };
        let end = if line == span.end.line {
            span.end.column
        } else {
            width
        };
        out.push(SpanLine {
            text: (*text).to_owned(),
            highlight_start: start,
            highlight_end: end,
        });
    }
    out
}

fn json_span(
    file: &str,
    span: &Span,
    source: Option<&str>,
    is_primary: bool,
    label: Option<String>,
) -> JsonSpan {
    JsonSpan {
        file_name: crate::fingerprint::normalize_file(file),
        byte_start: span.start.offset,
        byte_end: span.end.offset,
        line_start: span.start.line,
        line_end: span.end.line,
        column_start: span.start.column,
        column_end: span.end.column,
        is_primary,
        text: span_lines(span, source),
        label,
        suggested_replacement: None,
        suggestion_applicability: None,
        expansion: None,
    }
}

fn child(level: &'static str, message: String, spans: Vec<JsonSpan>) -> Message {
    Message {
        message_type: "diagnostic",
        message,
        code: None,
        level,
        spans,
        children: Vec::new(),
        rendered: None,
    }
}

fn message(d: &Diagnostic, sources: &mut SourceCache) -> Message {
    let source = sources.get(&d.file).map(str::to_owned);
    let source = source.as_deref();
    let mut children = Vec::new();
    for note in &d.notes {
        children.push(child("note", note.clone(), Vec::new()));
    }
    for related in &d.related {
        children.push(child(
            "note",
            format!(
                "{} ({}:{}:{})",
                related.message, related.file, related.line, related.column
            ),
            Vec::new(),
        ));
    }
    if let Some(help) = &d.help {
        children.push(child("help", help.clone(), Vec::new()));
    }
    if let Some(fix) = d.fix.as_ref().filter(|f| !f.edits.is_empty()) {
        let spans = fix
            .edits
            .iter()
            .map(|edit| {
                let mut span = json_span(&d.file, &edit.span, source, true, None);
                span.suggested_replacement = Some(edit.replacement.clone());
                span.suggestion_applicability = Some(applicability(fix.applicability));
                span
            })
            .collect();
        children.push(child("help", fix.message.clone(), spans));
    }
    Message {
        message_type: "diagnostic",
        message: d.message.clone(),
        code: Some(Code {
            code: format!("asyncwatch::{}", d.rule),
            explanation: None,
        }),
        level: level(d.severity),
        spans: vec![json_span(&d.file, &d.span, source, true, d.label.clone())],
        children,
        rendered: Some(render_one_plain(d, sources) + "\n\n"),
    }
}

/// Renders every diagnostic as one `compiler-message` line. `context` gives the package and
/// target of a file (see `asyncwatch_lint::manifest`). Files that could not be analyzed are
/// reported as errors without a span.
pub fn render_rustc_json(
    report: &Report,
    sources: &mut SourceCache,
    context: &mut dyn FnMut(&str) -> CargoContext,
) -> String {
    let mut out = String::new();
    for d in &report.diagnostics {
        let cargo = context(&d.file);
        push_record(&mut out, &cargo, message(d, sources));
    }
    for error in &report.errors {
        let cargo = context(&error.file);
        let text = format!("could not analyze {}: {}", error.file, error.message);
        let mut m = child("error", text.clone(), Vec::new());
        m.code = Some(Code {
            code: "asyncwatch::file-error".to_owned(),
            explanation: None,
        });
        m.rendered = Some(format!("error: {text}\n\n"));
        push_record(&mut out, &cargo, m);
    }
    out
}

fn push_record(out: &mut String, cargo: &CargoContext, message: Message) {
    let record = Record {
        reason: "compiler-message",
        package_id: &cargo.package_id,
        manifest_path: &cargo.manifest_path,
        target: &cargo.target,
        message,
    };
    // Plain structs of strings and numbers always serialize.
    out.push_str(&serde_json::to_string(&record).unwrap_or_default());
    out.push('\n');
}
