//! Runs every fixture under `fixtures/lint/` and checks it two ways:
//!
//! 1. The lines annotated `//~ rule-name` (clippy's UI-test convention) are exactly the lines
//!    and rules reported: an unannotated finding is a false positive, an annotation without a
//!    finding is a miss.
//! 2. The full rendered output matches the snapshot beside the fixture (`name.snap`), so
//!    message, span, note and help changes are reviewed.
//!
//! A fixture may start with `// asyncwatch-test: enable=rule-a,rule-b` lines to opt into rules
//! that are off by default, and `// asyncwatch-test: blocking=crate::path` lines to declare
//! project blocking functions as configuration does.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use asyncwatch_diagnostics::{render_human, Report, SourceCache};
use asyncwatch_lint::{check_source, Settings};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/lint")
}

fn fixture_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![fixtures_dir()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixtures/lint is readable") {
            let path = entry.expect("fixture entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// `(line, rule)` pairs from `//~ rule-a, rule-b` annotations.
fn expected(source: &str) -> BTreeSet<(usize, String)> {
    let mut out = BTreeSet::new();
    for (index, line) in source.lines().enumerate() {
        if let Some((_, annotation)) = line.split_once("//~") {
            for rule in annotation.split(',') {
                let rule = rule.trim();
                if !rule.is_empty() {
                    out.insert((index + 1, rule.to_owned()));
                }
            }
        }
    }
    out
}

fn settings_for(source: &str) -> Settings {
    let mut settings = Settings::default();
    let headers = source
        .lines()
        .map_while(|line| line.strip_prefix("// asyncwatch-test: "));
    for header in headers {
        if let Some(list) = header.strip_prefix("enable=") {
            for rule in list.split(',') {
                settings
                    .enable(rule.trim())
                    .expect("fixture enables a known rule");
            }
        } else if let Some(path) = header.strip_prefix("blocking=") {
            settings.add_blocking_function(
                path.trim(),
                "the project's configuration declares it blocking",
                "use the async variant",
            );
        }
    }
    settings
}

fn relative_name(path: &Path) -> String {
    path.strip_prefix(fixtures_dir())
        .expect("fixture under fixtures/lint")
        .display()
        .to_string()
}

#[test]
fn fixtures_report_exactly_the_annotated_lines() {
    let mut failures = Vec::new();
    for path in fixture_files() {
        let source = std::fs::read_to_string(&path).expect("fixture is readable");
        let name = relative_name(&path);
        let diagnostics = check_source(&name, &source, &settings_for(&source))
            .unwrap_or_else(|e| panic!("{name} does not parse: {}", e.message));
        let actual: BTreeSet<(usize, String)> = diagnostics
            .iter()
            .map(|d| (d.span.start.line, d.rule.to_owned()))
            .collect();
        let expected = expected(&source);
        for (line, rule) in actual.difference(&expected) {
            failures.push(format!("{name}:{line}: unexpected {rule} (false positive)"));
        }
        for (line, rule) in expected.difference(&actual) {
            failures.push(format!("{name}:{line}: expected {rule} (missed)"));
        }
    }
    assert!(
        failures.is_empty(),
        "fixture mismatches:\n{}",
        failures.join("\n")
    );
}

#[test]
fn fixtures_match_their_snapshots() {
    for path in fixture_files() {
        let source = std::fs::read_to_string(&path).expect("fixture is readable");
        let name = relative_name(&path);
        let diagnostics =
            check_source(&name, &source, &settings_for(&source)).expect("fixture parses");
        let mut report = Report {
            diagnostics,
            errors: Vec::new(),
            files: 1,
        };
        report.sort();
        let mut sources = SourceCache::new();
        sources.insert(name.clone(), source);
        let rendered = render_human(&report, &mut sources, false);
        let snapshot_dir = path
            .parent()
            .expect("fixture has a directory")
            .to_path_buf();
        let snapshot_name = path
            .file_stem()
            .expect("fixture has a name")
            .to_string_lossy()
            .into_owned();
        insta::with_settings!({
            snapshot_path => snapshot_dir,
            prepend_module_to_snapshot => false,
            input_file => &path,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(snapshot_name, rendered);
        });
    }
}

#[test]
fn every_rule_has_a_fixture_with_positives_and_negatives() {
    let mut missing = Vec::new();
    for rule in asyncwatch_lint::rules::all() {
        let path = fixtures_dir().join(format!("{}.rs", rule.name.replace('-', "_")));
        let Ok(source) = std::fs::read_to_string(&path) else {
            missing.push(format!("{}: no fixture at {}", rule.name, path.display()));
            continue;
        };
        if !expected(&source).iter().any(|(_, r)| r == rule.name) {
            missing.push(format!(
                "{}: fixture has no `//~ {}` positive",
                rule.name, rule.name
            ));
        }
        if !source.contains("// OK") {
            missing.push(format!(
                "{}: fixture has no `// OK` negative section",
                rule.name
            ));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
