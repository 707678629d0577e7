//! `--format github`: GitHub Actions workflow commands (`::warning file=..::message`), which
//! the runner turns into annotations on the pull request's changed lines.

use crate::{Report, Severity};

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// Escapes a command's message (data).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command per diagnostic (and per file that could not be analyzed).
pub fn render_github(report: &Report) -> String {
    let mut out = String::new();
    for d in &report.diagnostics {
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        out.push_str(&format!(
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            command(d.severity),
            escape_property(&crate::fingerprint::normalize_file(&d.file)),
            d.span.start.line,
            d.span.start.column,
            d.span.end.line,
            d.span.end.column,
            escape_property(&format!("asyncwatch {}", d.rule)),
            escape_data(&message),
        ));
    }
    for e in &report.errors {
        out.push_str(&format!(
            "::error file={},title={}::{}\n",
            escape_property(&crate::fingerprint::normalize_file(&e.file)),
            escape_property("asyncwatch could not analyze a file"),
            escape_data(&e.message),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_escape_separators() {
        assert_eq!(escape_property("a,b:c%\n"), "a%2Cb%3Ac%25%0A");
        assert_eq!(escape_data("a,b:c"), "a,b:c");
    }
}
