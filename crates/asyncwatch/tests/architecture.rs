//! The crate boundaries ARCHITECTURE.md promises, checked against the real dependency graph:
//! the runtime never pulls in the analyzer (nor parses source itself), the analyzer never
//! links a runtime (it reads code, never runs it), and the report model depends on neither.

use std::collections::{BTreeMap, BTreeSet};

fn direct_dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
            "--manifest-path",
        ])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("metadata is json");
    let mut graph = BTreeMap::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().expect("name").to_owned();
        let deps = package["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .filter(|d| d["kind"].is_null())
            .map(|d| d["name"].as_str().expect("dependency name").to_owned())
            .collect();
        graph.insert(name, deps);
    }
    graph
}

fn assert_free_of(graph: &BTreeMap<String, BTreeSet<String>>, krate: &str, forbidden: &[&str]) {
    let deps = graph
        .get(krate)
        .unwrap_or_else(|| panic!("{krate} is a workspace member"));
    let found: Vec<&&str> = forbidden.iter().filter(|f| deps.contains(**f)).collect();
    assert!(found.is_empty(), "{krate} must not depend on {found:?}");
}

#[test]
fn crate_boundaries_hold() {
    let graph = direct_dependencies();
    assert_free_of(
        &graph,
        "asyncwatch-runtime",
        &[
            "syn",
            "asyncwatch-lint",
            "asyncwatch-diagnostics",
            "asyncwatch-run",
        ],
    );
    assert_free_of(&graph, "asyncwatch-run", &["syn", "asyncwatch-lint"]);
    assert_free_of(
        &graph,
        "asyncwatch-lint",
        &["tokio", "asyncwatch-runtime", "asyncwatch-run"],
    );
    assert_free_of(
        &graph,
        "asyncwatch-diagnostics",
        &["asyncwatch-lint", "asyncwatch-runtime", "syn", "tokio"],
    );
}
