//! Fails when the generated docs (docs/rules/*.md, docs/cli.md) no longer match the rules'
//! doc comments or the CLI's help: renders them with the generator `cargo xtask docs` uses
//! and compares with the committed files.

use std::path::{Path, PathBuf};

#[path = "../../../xtask/src/docs_gen.rs"]
mod docs_gen;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn generated_docs_are_fresh() {
    let files =
        docs_gen::generate(Path::new(env!("CARGO_BIN_EXE_asyncwatch"))).expect("docs render");
    let mut stale = Vec::new();
    for (path, expected) in &files {
        let actual = std::fs::read_to_string(repo_root().join(path)).unwrap_or_default();
        if actual != *expected {
            stale.push(path.clone());
        }
    }
    for entry in std::fs::read_dir(repo_root().join(docs_gen::RULES_DIR)).expect("docs/rules") {
        let name = entry.expect("docs/rules entry").file_name();
        let path = format!("{}/{}", docs_gen::RULES_DIR, name.to_string_lossy());
        if !files.iter().any(|(generated, _)| *generated == path) {
            stale.push(path);
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated docs: {stale:?}; run `cargo xtask docs` and commit the result"
    );
}

#[test]
fn rule_docs_render_as_rustdoc_shows_them() {
    let docs = " ## Example\n ```rust,ignore\n let x = 1;\n # fn hidden() {}\n ```\n # Not hidden outside code\n";
    assert_eq!(
        docs_gen::rule_markdown(docs),
        "## Example\n```rust\nlet x = 1;\n```\n# Not hidden outside code\n"
    );
}

#[test]
fn every_rule_has_a_page_and_an_index_row() {
    let index = std::fs::read_to_string(repo_root().join("docs/rules/README.md")).expect("index");
    for rule in asyncwatch_lint::rules::all() {
        assert!(
            repo_root()
                .join(format!("docs/rules/{}.md", rule.name))
                .is_file(),
            "no page for {}",
            rule.name
        );
        assert!(
            index.contains(&format!("[{0}]({0}.md)", rule.name)),
            "no index row for {}",
            rule.name
        );
    }
}
