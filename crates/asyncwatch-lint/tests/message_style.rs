//! Message conventions, as clippy checks its own: messages, notes, help lines and summaries
//! start lowercase (or with code) and carry no trailing period.

use std::path::Path;

use asyncwatch_lint::{check_source, rules, Settings};

fn check(text: &str, what: &str, failures: &mut Vec<String>) {
    let first = text.chars().next();
    if first.is_some_and(|c| c.is_uppercase()) {
        failures.push(format!("{what} starts uppercase: {text:?}"));
    }
    if text.ends_with('.') {
        failures.push(format!("{what} ends with a period: {text:?}"));
    }
    if text.trim() != text || text.is_empty() {
        failures.push(format!("{what} is empty or padded: {text:?}"));
    }
}

#[test]
fn rule_summaries_follow_the_message_convention() {
    let mut failures = Vec::new();
    for rule in rules::all() {
        check(
            rule.summary,
            &format!("summary of {}", rule.name),
            &mut failures,
        );
        for section in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
        ] {
            if !rule.docs.contains(section) {
                failures.push(format!("docs of {} lack `{section}`", rule.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn produced_messages_follow_the_message_convention() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/lint");
    let mut settings = Settings::default();
    settings.enable("all").expect("`all` is accepted");
    let mut failures = Vec::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures/lint is readable") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("fixture is readable");
        for diagnostic in check_source("fixture.rs", &source, &settings).expect("fixture parses") {
            seen += 1;
            check(&diagnostic.message, "message", &mut failures);
            for note in &diagnostic.notes {
                check(note, "note", &mut failures);
            }
            if let Some(help) = &diagnostic.help {
                check(help, "help", &mut failures);
            }
            for related in &diagnostic.related {
                check(&related.message, "related message", &mut failures);
            }
        }
    }
    assert!(seen > 0, "the fixtures produced no diagnostics to check");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
