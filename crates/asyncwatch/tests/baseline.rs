//! Baselines: `--write-baseline` records today's findings, `--baseline` hides them, code can
//! move without breaking the baseline, and fixed findings drop out when it is rewritten.

mod support;

use support::{json, Project, HANDLER, TOKIO_MANIFEST};

fn count(stdout: &str) -> usize {
    json(stdout)["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .len()
}

#[test]
fn baseline_hides_known_findings_and_survives_moving_code() {
    let project = Project::new(&[("Cargo.toml", TOKIO_MANIFEST), ("src/lib.rs", HANDLER)]);
    let out = project.run(&["lint", "--write-baseline", "asyncwatch-baseline.json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("wrote 3 findings"), "{}", out.stderr);
    let baseline = json(&project.read("asyncwatch-baseline.json"));
    assert_eq!(baseline["version"], 1);
    let entry = &baseline["findings"][0];
    assert_eq!(entry["file"], "src/lib.rs");
    assert_eq!(entry["function"], "handler");
    assert_eq!(entry["count"], 1);

    let out = project.run(&["lint", "--baseline", "asyncwatch-baseline.json"]);
    assert_eq!(out.code, 0, "{}", out.stdout);

    // Code moved down and reindented is still the same finding.
    let moved = format!(
        "// a new header\n\n{}",
        HANDLER.replace("    std::thread", "        std::thread")
    );
    project.write("src/lib.rs", &moved);
    let out = project.run(&[
        "lint",
        "--format",
        "json",
        "--baseline",
        "asyncwatch-baseline.json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);

    // A new finding, even an identical call in the same function, is reported.
    let more = HANDLER.replace(
        "    Ok(data)",
        "    std::thread::sleep(Duration::from_millis(5));\n    Ok(data)",
    );
    project.write("src/lib.rs", &more);
    let out = project.run(&[
        "lint",
        "--format",
        "json",
        "--baseline",
        "asyncwatch-baseline.json",
    ]);
    assert_eq!(out.code, 1);
    assert_eq!(count(&out.stdout), 1);
    assert_eq!(
        json(&out.stdout)["diagnostics"][0]["rule"],
        "blocking-sleep"
    );
}

#[test]
fn fixed_findings_drop_out_when_the_baseline_is_rewritten() {
    let project = Project::new(&[("Cargo.toml", TOKIO_MANIFEST), ("src/lib.rs", HANDLER)]);
    project.run(&["lint", "--write-baseline", "b.json"]);
    project.write(
        "src/lib.rs",
        &HANDLER.replace("    let _ = std::fs::read_dir(\".\");\n", ""),
    );
    let out = project.run(&["lint", "--write-baseline", "b.json"]);
    assert_eq!(out.code, 0);
    let baseline = json(&project.read("b.json"));
    let rules: Vec<&str> = baseline["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["message"].as_str().expect("message"))
        .collect();
    assert_eq!(rules.len(), 2);
    assert!(rules.iter().all(|m| !m.contains("read_dir")));
}

#[test]
fn a_bad_baseline_is_a_clear_error() {
    let project = Project::new(&[("src/lib.rs", HANDLER), ("b.json", "{\"version\": 1}")]);
    let out = project.run(&["lint", "--baseline", "b.json"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("baseline b.json is not valid"),
        "{}",
        out.stderr
    );
    let out = project.run(&["lint", "--baseline", "missing.json"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("missing.json"), "{}", out.stderr);
}
