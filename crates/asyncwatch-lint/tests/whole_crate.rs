//! Whole-crate analysis on the multi-file fixture crates under `fixtures/crates/`: every
//! `//~ rule` annotation in any file of the crate is a finding, nothing else is, and the
//! rendered chains match the snapshot beside the crate (`<crate>.snap`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use asyncwatch_diagnostics::{render_human, SourceCache};
use asyncwatch_lint::{lint_paths, Settings};

fn crates_dir() -> PathBuf {
    // Relative, so file names in findings and snapshots do not depend on the checkout path.
    PathBuf::from("../../fixtures/crates")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("fixture directory is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn annotations(dir: &Path) -> BTreeSet<(String, usize, String)> {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    let mut out = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("fixture is readable");
        for (index, line) in text.lines().enumerate() {
            if let Some((_, rules)) = line.split_once("//~") {
                for rule in rules.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                    out.insert((file.display().to_string(), index + 1, rule.to_owned()));
                }
            }
        }
    }
    out
}

fn check_crate(name: &str) -> String {
    let dir = crates_dir().join(name);
    let report =
        lint_paths(std::slice::from_ref(&dir), &Settings::default()).expect("fixture exists");
    assert!(report.errors.is_empty(), "{name}: {:?}", report.errors);
    let actual: BTreeSet<(String, usize, String)> = report
        .diagnostics
        .iter()
        .map(|d| (d.file.clone(), d.span.start.line, d.rule.to_owned()))
        .collect();
    let expected = annotations(&dir);
    let unexpected: Vec<_> = actual.difference(&expected).collect();
    let missed: Vec<_> = expected.difference(&actual).collect();
    assert!(
        unexpected.is_empty() && missed.is_empty(),
        "{name}: unexpected (false positives): {unexpected:#?}\nmissed: {missed:#?}"
    );
    render_human(&report, &mut SourceCache::new(), false)
        .replace(&crates_dir().display().to_string(), "fixtures/crates")
}

#[test]
fn chains_across_modules_files_cycles_and_methods() {
    let rendered = check_crate("chains");
    insta::with_settings!({ snapshot_path => "../../../fixtures/crates", prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!("chains", rendered);
    });
}

#[test]
fn chains_across_workspace_members_and_path_dependencies() {
    let rendered = check_crate("workspace");
    insta::with_settings!({ snapshot_path => "../../../fixtures/crates", prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!("workspace", rendered);
    });
}

#[test]
fn a_member_linted_alone_still_sees_its_path_dependencies() {
    let app = crates_dir().join("workspace/app");
    let report = lint_paths(&[app], &Settings::default()).expect("fixture exists");
    let found: BTreeSet<(usize, &str)> = report
        .diagnostics
        .iter()
        .map(|d| (d.span.start.line, d.rule))
        .collect();
    assert_eq!(
        found,
        BTreeSet::from([(5, "blocking-fs"), (8, "blocking-sleep")])
    );
    let chain = report
        .diagnostics
        .iter()
        .find(|d| d.span.start.line == 8)
        .expect("dependency chain");
    assert_eq!(
        chain.message,
        "blocking call to `blockinglib::client::fetch_blocking` in async context"
    );
    assert!(
        chain
            .related
            .last()
            .is_some_and(|r| r.file.ends_with("retry.rs") && r.line == 2),
        "{:?}",
        chain.related
    );
}

#[test]
fn one_file_of_a_crate_is_linted_with_the_rest_of_its_crate_as_context() {
    let file = crates_dir().join("chains/src/handlers/admin.rs");
    let report = lint_paths(&[file], &Settings::default()).expect("fixture exists");
    assert_eq!(report.files, 1);
    let lines: Vec<usize> = report
        .diagnostics
        .iter()
        .map(|d| d.span.start.line)
        .collect();
    assert_eq!(lines, vec![4, 5]);
    assert!(report
        .diagnostics
        .iter()
        .all(|d| d.file.ends_with("admin.rs")));
}
