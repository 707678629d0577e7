//! The token pre-scan blanks function bodies that cannot change a finding. These tests lint
//! real trees with it on and off, every rule enabled, and require identical reports: the
//! rule fixtures, the multi-file fixture crates, the README example and this repository's own
//! crates (mostly sync code, where the most bodies are blanked). The unit tests in
//! `src/prescan.rs` check that bodies are in fact blanked.

use std::path::PathBuf;

use asyncwatch_lint::{lint_paths, Report, Settings};

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn report(path: &str, prescan: bool) -> Report {
    let mut settings = Settings::default();
    for rule in asyncwatch_lint::rules::all() {
        settings.enable(rule.name).expect("registered rule");
    }
    settings.prescan = prescan;
    lint_paths(&[repository().join(path)], &settings).expect("fixture path exists")
}

fn assert_same(path: &str) {
    let with = report(path, true);
    let without = report(path, false);
    let missing: Vec<_> = without
        .diagnostics
        .iter()
        .filter(|d| !with.diagnostics.contains(d))
        .collect();
    let extra: Vec<_> = with
        .diagnostics
        .iter()
        .filter(|d| !without.diagnostics.contains(d))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && with.diagnostics == without.diagnostics,
        "findings differ with the pre-scan on {path}:\nmissing {missing:#?}\nextra {extra:#?}"
    );
    assert_eq!(with.errors, without.errors, "errors differ on {path}");
}

#[test]
fn rule_fixtures_report_the_same_with_and_without_the_prescan() {
    let with = report("fixtures/lint", true);
    assert!(
        with.diagnostics.len() > 50,
        "the fixtures hold many findings, got {}",
        with.diagnostics.len()
    );
    assert_same("fixtures/lint");
}

#[test]
fn fixture_crates_report_the_same_with_and_without_the_prescan() {
    assert_same("fixtures/crates/chains");
    assert_same("fixtures/crates/workspace");
    assert_same("examples/blocking-demo");
}

#[test]
fn this_repository_reports_the_same_with_and_without_the_prescan() {
    assert_same("crates");
}
