//! `--deps` end to end: `cargo metadata` locates a real registry dependency (tempfile, which
//! this workspace depends on too), its sources are read without compiling anything, a call
//! into it that blocks is reported with the chain into the dependency, and its summary is
//! cached per crate version and read back on the next run.

use std::path::PathBuf;

use asyncwatch_lint::{lint_paths, Settings};

fn fixture() -> PathBuf {
    PathBuf::from("../../fixtures/crates/registry_dep")
}

#[test]
fn reports_calls_into_dependencies_that_block_and_caches_their_summaries() {
    let cache = tempfile::tempdir().expect("temporary directory");
    // This test binary is its own process and no other test in it reads the variable.
    std::env::set_var("ASYNCWATCH_CACHE_DIR", cache.path());

    let without = lint_paths(&[fixture()], &Settings::default()).expect("fixture exists");
    assert!(
        without.diagnostics.is_empty(),
        "without --deps the call is opaque: {:?}",
        without.diagnostics
    );

    let mut settings = Settings::default();
    settings.dependencies = true;
    let first = lint_paths(&[fixture()], &settings).expect("fixture exists");
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(first.diagnostics.len(), 1, "{:?}", first.diagnostics);
    let finding = &first.diagnostics[0];
    assert_eq!((finding.rule, finding.span.start.line), ("blocking-fs", 5));
    assert_eq!(
        finding.message,
        "blocking call to `tempfile::TempDir::close` in async context"
    );
    let root = finding
        .related
        .last()
        .expect("the chain ends inside the dependency");
    assert!(
        root.file.contains("tempfile-3.27.0") && root.message.contains("std::fs::remove_dir_all"),
        "{root:?}"
    );

    let cached = cache.path().join("deps/tempfile-3.27.0.json");
    let text = std::fs::read_to_string(&cached).expect("the dependency's summary is cached");
    // Mark the cached entry so the next run proves it read the cache instead of the sources.
    std::fs::write(
        &cached,
        text.replace("std::fs::remove_dir_all", "cached::remove_dir_all"),
    )
    .expect("cache is writable");

    let second = lint_paths(&[fixture()], &settings).expect("fixture exists");
    assert_eq!(second.diagnostics.len(), 1);
    assert!(
        second.diagnostics[0]
            .label
            .as_deref()
            .is_some_and(|l| l.contains("cached::remove_dir_all")),
        "second run did not use the cache: {:?}",
        second.diagnostics[0].label
    );
}
