//! Suppression comments through the CLI: every format sees the same filtered findings, and
//! stale suppressions are reported.

mod support;

use support::{json, Project, TOKIO_MANIFEST};

const SOURCE: &str = r#"//! asyncwatch: allow(blocking-net) -- no network here any more
use std::time::Duration;

pub async fn a() {
    std::thread::sleep(Duration::from_millis(1)); // asyncwatch: allow(blocking-sleep) -- warm-up only
}

pub async fn b() {
    // asyncwatch: allow(blocking-fs) -- tiny file read once at startup
    let _ = std::fs::read("config.toml");
}

pub async fn c() {
    let _ = std::fs::read("config.toml");
}
"#;

#[test]
fn suppressed_findings_disappear_from_every_format_and_unused_ones_are_reported() {
    let project = Project::new(&[("Cargo.toml", TOKIO_MANIFEST), ("src/lib.rs", SOURCE)]);
    let out = project.run(&["lint", "--format", "json"]);
    assert_eq!(out.code, 1);
    let document = json(&out.stdout);
    let found: Vec<(String, u64)> = document["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().expect("rule").to_owned(),
                d["line"].as_u64().expect("line"),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("unused-suppression".to_owned(), 1),
            ("blocking-fs".to_owned(), 14)
        ]
    );
    for format in ["rustc-json", "github"] {
        let out = project.run(&["lint", "--format", format]);
        assert_eq!(out.stdout.lines().count(), 2, "{format}: {}", out.stdout);
    }
    let sarif = json(&project.run(&["lint", "--format", "sarif"]).stdout);
    assert_eq!(
        sarif["runs"][0]["results"]
            .as_array()
            .expect("results")
            .len(),
        2
    );

    // The stale suppression can be silenced like any rule.
    let out = project.run(&["lint", "--format", "json", "--ignore", "unused-suppression"]);
    assert_eq!(
        json(&out.stdout)["diagnostics"]
            .as_array()
            .expect("d")
            .len(),
        1
    );
}

#[test]
fn a_file_level_suppression_covers_the_whole_file() {
    let source = format!(
        "//! asyncwatch: allow(blocking-fs) -- legacy module\n{}",
        &SOURCE[SOURCE.find('\n').expect("line") + 1..]
    );
    let project = Project::new(&[("src/lib.rs", &source)]);
    let out = project.run(&["lint", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
}
