//! The rustc-like `--format human` output, rendered with annotate-snippets.

use std::collections::HashMap;
use std::fmt::Write as _;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::{Diagnostic, Report, Severity};

/// Source texts by file name, read on first use, so the printer shows the lines a diagnostic
/// points at without the analyzer keeping every file in memory.
#[derive(Default)]
pub struct SourceCache {
    sources: HashMap<String, Option<String>>,
}

impl SourceCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Supplies a text directly (tests, stdin, or a file the analyzer already holds).
    pub fn insert(&mut self, file: impl Into<String>, text: impl Into<String>) {
        self.sources.insert(file.into(), Some(text.into()));
    }

    /// The text of `file`, read on first use; `None` when it cannot be read.
    pub fn get(&mut self, file: &str) -> Option<&str> {
        self.sources
            .entry(file.to_owned())
            .or_insert_with(|| std::fs::read_to_string(file).ok())
            .as_deref()
    }
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    }
}

/// Renders every diagnostic like rustc does, then the files that failed and a summary line.
pub fn render_human(report: &Report, sources: &mut SourceCache, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for diagnostic in &report.diagnostics {
        out.push_str(&render_one(&renderer, diagnostic, sources));
        out.push_str("\n\n");
    }
    for error in &report.errors {
        let group = Group::with_title(Level::ERROR.primary_title(format!(
            "could not analyze {}: {}",
            error.file, error.message
        )));
        out.push_str(&renderer.render(&[group]));
        out.push_str("\n\n");
    }
    let _ = write!(
        out,
        "{} in {} file{}",
        plural(report.diagnostics.len(), "finding"),
        report.files,
        if report.files == 1 { "" } else { "s" }
    );
    if !report.errors.is_empty() {
        let _ = write!(
            out,
            ", {} not analyzed",
            plural(report.errors.len(), "file")
        );
    }
    out.push('\n');
    out
}

fn plural(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// One diagnostic rendered without color, for the `rendered` field of rustc-shaped output.
pub(crate) fn render_one_plain(d: &Diagnostic, sources: &mut SourceCache) -> String {
    render_one(&Renderer::plain(), d, sources)
}

fn render_one(renderer: &Renderer, d: &Diagnostic, sources: &mut SourceCache) -> String {
    let title = level(d.severity)
        .primary_title(d.message.as_str())
        .id(d.rule);
    let mut group = Group::with_title(title);
    let source = sources.get(&d.file).map(str::to_owned);
    match source {
        Some(text)
            if d.span.end.offset <= text.len() && d.span.start.offset <= d.span.end.offset =>
        {
            let label = d.label.as_deref();
            let mut annotation =
                AnnotationKind::Primary.span(d.span.start.offset..d.span.end.offset);
            if let Some(label) = label {
                annotation = annotation.label(label);
            }
            group = group.element(
                Snippet::source(text)
                    .path(d.file.clone())
                    .fold(true)
                    .annotation(annotation),
            );
        }
        _ => {
            // Without the text we still name the place, as rustc does for a missing file.
            group = group.element(Level::NOTE.message(format!(
                "at {}:{}:{}",
                d.file, d.span.start.line, d.span.start.column
            )));
        }
    }
    for related in &d.related {
        group = group.element(Level::NOTE.message(format!(
            "{} ({}:{}:{})",
            related.message, related.file, related.line, related.column
        )));
    }
    for note in &d.notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    if let Some(help) = &d.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    renderer.render(&[group])
}
