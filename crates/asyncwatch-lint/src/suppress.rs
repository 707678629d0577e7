//! Suppression comments, read from the source text (syn drops comments):
//!
//! - `// asyncwatch: allow(rule-a, rule-b) -- reason` suppresses those rules on its own line
//!   (as a trailing comment) and on the next line (as a comment line above the code);
//! - `//! asyncwatch: allow(rule) -- reason` suppresses the rule in the whole file.
//!
//! A suppression that suppresses nothing, or names no known rule, is reported under
//! `unused-suppression`, so stale ones do not pile up.

use asyncwatch_diagnostics::{Diagnostic, Position, Span};

use crate::rules::unused_suppression::UNUSED_SUPPRESSION;
use crate::Settings;

#[derive(Debug, Clone)]
struct Suppression {
    rule: String,
    /// `None` for a file-level suppression.
    line: Option<usize>,
    /// The comment's place, for reporting it.
    span: Span,
    used: bool,
}

/// Finds the suppression comments of a file.
fn scan(source: &str) -> Vec<Suppression> {
    let mut out = Vec::new();
    let mut offset = 0;
    for (index, line) in source.split_inclusive('\n').enumerate() {
        let line_start = offset;
        offset += line.len();
        let Some(at) = find_comment(line) else {
            continue;
        };
        let comment = &line[at..];
        let (file_level, rest) = match comment.strip_prefix("//!") {
            Some(rest) => (true, rest),
            None => (false, &comment[2..]),
        };
        let Some(rest) = rest.trim_start().strip_prefix("asyncwatch:") else {
            continue;
        };
        let Some(list) = rest
            .trim_start()
            .strip_prefix("allow(")
            .and_then(|r| r.split_once(')'))
            .map(|(list, _)| list)
        else {
            continue;
        };
        let text = comment.trim_end();
        let column = line[..at].chars().count() + 1;
        let span = Span {
            start: Position {
                line: index + 1,
                column,
                offset: line_start + at,
            },
            end: Position {
                line: index + 1,
                column: column + text.chars().count(),
                offset: line_start + at + text.len(),
            },
        };
        // A comment alone on its line covers the next line; a trailing one its own.
        let line_number = if line[..at].trim().is_empty() {
            index + 2
        } else {
            index + 1
        };
        for rule in list.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            out.push(Suppression {
                rule: rule.to_owned(),
                line: (!file_level).then_some(line_number),
                span,
                used: false,
            });
        }
    }
    out
}

/// The byte index of a `//` comment that mentions `asyncwatch:`, skipping `//` inside string
/// literals on the same line.
fn find_comment(line: &str) -> Option<usize> {
    if !line.contains("asyncwatch:") {
        return None;
    }
    let bytes = line.as_bytes();
    let mut in_string = false;
    let mut i = 0;
    while i + 1 < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes[i + 1] == b'/' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Drops the findings of `file` that a suppression covers and adds `unused-suppression`
/// findings for the suppressions that covered nothing. `diagnostics` may hold other files'
/// findings, which are left alone.
pub(crate) fn apply(
    file: &str,
    source: &str,
    diagnostics: &mut Vec<Diagnostic>,
    settings: &Settings,
) {
    let mut suppressions = scan(source);
    if suppressions.is_empty() {
        return;
    }
    diagnostics.retain(|d| {
        if d.file != file || d.rule == UNUSED_SUPPRESSION.name {
            return true;
        }
        let mut suppressed = false;
        for s in &mut suppressions {
            if s.rule == d.rule && s.line.is_none_or(|line| line == d.span.start.line) {
                s.used = true;
                suppressed = true;
            }
        }
        !suppressed
    });
    if !settings.is_enabled(&UNUSED_SUPPRESSION) {
        return;
    }
    let file_allows_unused = suppressions
        .iter()
        .any(|s| s.line.is_none() && s.rule == UNUSED_SUPPRESSION.name);
    if file_allows_unused {
        return;
    }
    for s in suppressions.iter().filter(|s| !s.used) {
        let message = match crate::rules::by_name(&s.rule) {
            None => format!("suppression names an unknown rule `{}`", s.rule),
            Some(rule) if !settings.is_enabled(rule) => continue,
            Some(rule) if rule.name == UNUSED_SUPPRESSION.name => continue,
            Some(_) if s.line.is_none() => {
                format!("unused suppression: no `{}` finding in this file", s.rule)
            }
            Some(_) => format!("unused suppression: no `{}` finding on this line", s.rule),
        };
        diagnostics.push(Diagnostic {
            file: file.to_owned(),
            span: s.span,
            rule: UNUSED_SUPPRESSION.name,
            severity: settings.severity(&UNUSED_SUPPRESSION),
            message,
            label: Some("this comment suppresses nothing".to_owned()),
            help: Some(
                "remove the comment, or fix the rule name (run `asyncwatch rules`)".to_owned(),
            ),
            notes: Vec::new(),
            related: Vec::new(),
            fix: None,
            function: None,
        });
    }
}

/// [`apply`] for every linted file, reading each file's text again (files without an
/// `asyncwatch:` comment cost one read).
pub(crate) fn apply_files(
    files: &[std::path::PathBuf],
    diagnostics: &mut Vec<Diagnostic>,
    settings: &Settings,
) {
    for path in files {
        let Ok(source) = std::fs::read_to_string(path) else {
            continue;
        };
        if source.contains("asyncwatch:") {
            apply(&path.display().to_string(), &source, diagnostics, settings);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_line_and_file_suppressions() {
        let source = "//! asyncwatch: allow(blocking-fs)\nfn f() {\n    // asyncwatch: allow(blocking-sleep, blocking-net) -- why\n    x(); // asyncwatch: allow(blocking-wait)\n    let s = \"// asyncwatch: allow(blocking-sleep)\";\n}\n";
        let found = scan(source);
        let summary: Vec<(String, Option<usize>)> =
            found.iter().map(|s| (s.rule.clone(), s.line)).collect();
        assert_eq!(
            summary,
            vec![
                ("blocking-fs".to_owned(), None),
                ("blocking-sleep".to_owned(), Some(4)),
                ("blocking-net".to_owned(), Some(4)),
                ("blocking-wait".to_owned(), Some(4)),
            ]
        );
        assert_eq!(found[1].span.start.column, 5);
        assert_eq!(found[1].span.start.line, 3);
    }
}
