//! `asyncwatch lint --fix`: applies the machine-applicable edits, leaves the rest, and
//! reports what remains.

mod support;

use support::{json, Project, HANDLER, NO_TOKIO_MANIFEST, TOKIO_MANIFEST};

const MORE: &str = r#"use std::time::Duration;

pub async fn nested(p: &str) -> std::io::Result<()> {
    std::fs::write(p, std::fs::read("in")?)?;
    let later = async {
        std::thread::sleep(Duration::from_millis(1));
    };
    later.await;
    let _ = std::thread::sleep(Duration::from_millis(1));
    let _ = [1].iter().map(|_| std::fs::read("x"));
    Ok(())
}
"#;

#[test]
fn fix_applies_safe_edits_and_reports_what_remains() {
    let project = Project::new(&[
        ("Cargo.toml", TOKIO_MANIFEST),
        ("src/lib.rs", HANDLER),
        ("src/more.rs", MORE),
    ]);
    let out = project.run(&["lint", "--fix", "--format", "json"]);
    assert!(
        out.stderr.contains("fixed 5 findings in 2 files"),
        "{}",
        out.stderr
    );
    assert_eq!(out.code, 1, "read_dir and the unsafe positions remain");
    let remaining: Vec<String> = json(&out.stdout)["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| format!("{}:{}", d["file"].as_str().expect("file"), d["line"]))
        .collect();
    assert_eq!(
        remaining,
        ["./src/lib.rs:6", "./src/more.rs:9", "./src/more.rs:10"]
    );
    insta::assert_snapshot!("fixed_lib", project.read("src/lib.rs"));
    insta::assert_snapshot!("fixed_more", project.read("src/more.rs"));

    // A second run has nothing left to apply.
    let again = project.run(&["lint", "--fix", "--format", "json"]);
    assert!(
        again.stderr.contains("fixed 0 findings"),
        "{}",
        again.stderr
    );
}

#[test]
fn fixes_without_tokio_are_offered_but_not_applied() {
    let project = Project::new(&[("Cargo.toml", NO_TOKIO_MANIFEST), ("src/lib.rs", HANDLER)]);
    let out = project.run(&["lint", "--fix", "--format", "json"]);
    assert!(out.stderr.contains("fixed 0 findings"), "{}", out.stderr);
    assert_eq!(project.read("src/lib.rs"), HANDLER);
    let document = json(&out.stdout);
    let fix = &document["diagnostics"][0]["fix"];
    assert_eq!(fix["applicability"], "maybe-incorrect");
    assert_eq!(fix["edits"][0]["replacement"], "tokio::time::sleep");
    assert_eq!(fix["edits"][1]["replacement"], ".await");
}

#[test]
fn json_carries_the_edits() {
    let project = Project::new(&[("Cargo.toml", TOKIO_MANIFEST), ("src/lib.rs", HANDLER)]);
    let document = json(&project.run(&["lint", "--format", "json"]).stdout);
    let fix = &document["diagnostics"][1]["fix"];
    assert_eq!(fix["applicability"], "machine-applicable");
    assert_eq!(fix["message"], "replace with `tokio::fs::read(..).await`");
    let start = fix["edits"][0]["span"]["start"]["offset"]
        .as_u64()
        .expect("offset") as usize;
    let end = fix["edits"][0]["span"]["end"]["offset"]
        .as_u64()
        .expect("offset") as usize;
    assert_eq!(&HANDLER[start..end], "std::fs::read");
    assert!(
        document["diagnostics"][2]["fix"].is_null(),
        "read_dir has no edit"
    );
}
