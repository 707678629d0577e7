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
    let comments = line_comment_starts(source);
    let mut out = Vec::new();
    let mut offset = 0;
    for (index, line) in source.split_inclusive('\n').enumerate() {
        let line_start = offset;
        offset += line.len();
        let Some(at) = comments
            .iter()
            .find(|&&start| start >= line_start && start < line_start + line.len())
            .map(|start| start - line_start)
        else {
            continue;
        };
        let comment = &line[at..];
        let (file_level, rest) = match comment.strip_prefix("//!") {
            Some(rest) => (true, rest),
            None => (false, &comment[2..]),
        };
        let Some(rest) = rest.trim_start().strip_prefix(MARKER) else {
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

/// The byte offsets where `//` comments start, found by lexing the whole file so that `//`
/// inside string literals (also raw and byte strings spanning lines), char literals and
/// block comments is not taken for a comment.
fn line_comment_starts(source: &str) -> Vec<usize> {
    let bytes = source.as_bytes();
    let mut starts = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                starts.push(i);
                i = source[i..].find('\n').map_or(bytes.len(), |end| i + end);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                // Block comments nest in Rust.
                let mut depth = 0usize;
                while i < bytes.len() {
                    if bytes[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if bytes[i..].starts_with(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'r' | b'b' if raw_string_hashes(&bytes[i..]).is_some() => {
                let (prefix, hashes) = raw_string_hashes(&bytes[i..]).unwrap_or((0, 0));
                let closing: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                i += prefix;
                i = bytes[i..]
                    .windows(closing.len())
                    .position(|w| w == closing.as_slice())
                    .map_or(bytes.len(), |end| i + end + closing.len());
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'\'' => i += char_literal_length(&source[i..]),
            _ => i += 1,
        }
    }
    starts
}

/// For `r"`, `r#"`, `br##"` ...: the length of the opening and the number of `#`.
fn raw_string_hashes(bytes: &[u8]) -> Option<(usize, usize)> {
    let after_prefix = match bytes {
        [b'r', ..] => 1,
        [b'b', b'r', ..] => 2,
        _ => return None,
    };
    let hashes = bytes[after_prefix..]
        .iter()
        .take_while(|&&b| b == b'#')
        .count();
    (bytes.get(after_prefix + hashes) == Some(&b'"')).then_some((after_prefix + hashes + 1, hashes))
}

/// The length of a char literal at the start of `text` (`'x'`, `'\''`, `'\u{1F600}'`), or 1
/// for the quote of a lifetime or label (`'a`), which is not a literal.
fn char_literal_length(text: &str) -> usize {
    let mut chars = text.char_indices().skip(1);
    match chars.next() {
        Some((_, '\\')) => text[2..].find('\'').map_or(1, |end| end + 3),
        Some((_, c)) => match chars.next() {
            Some((end, '\'')) if c != '\'' => end + 1,
            _ => 1,
        },
        None => 1,
    }
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

/// What every suppression comment spells: a file without it has none.
pub(crate) const MARKER: &str = "asyncwatch:";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_inside_literals_and_block_comments_are_not_comments() {
        let source = r##"fn f<'a>(x: &'a str) { // first
    let raw = r#"
        // asyncwatch: allow(blocking-fs) -- inside a raw string
    "#;
    let quote = '"'; // second
    let bytes = br"// not a comment";
    /* outer /* inner // not a comment */ still comment */ let y = 1; // third
    let s = "a // b \" // c"; // fourth
}
"##;
        let starts = line_comment_starts(source);
        let texts: Vec<&str> = starts
            .iter()
            .map(|&at| source[at..].lines().next().unwrap_or_default())
            .collect();
        assert_eq!(
            texts,
            vec!["// first", "// second", "// third", "// fourth"]
        );
        assert!(
            scan(source).is_empty(),
            "a suppression inside a raw string is text, not a comment"
        );
    }

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
