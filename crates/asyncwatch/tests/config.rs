//! Configuration: `asyncwatch.toml` and `[package|workspace.metadata.asyncwatch]`, found by
//! walking up from the linted path; errors name the file and the key.

mod support;

use support::{json, Project, HANDLER, TOKIO_MANIFEST};

fn rules_of(stdout: &str) -> Vec<(String, String)> {
    json(stdout)["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().expect("rule").to_owned(),
                d["severity"].as_str().expect("severity").to_owned(),
            )
        })
        .collect()
}

const APP: &str = r#"mod db {
    pub fn query_sync(_sql: &str) {}
}

mod util {
    pub fn run_blocking<F: FnOnce()>(f: F) {
        f()
    }
}

pub async fn handler() {
    db::query_sync("select 1");
    util::run_blocking(|| std::thread::sleep(std::time::Duration::from_millis(1)));
    let _ = std::fs::read("x");
}
"#;

const CONFIG: &str = r#"ignore = ["blocking-fs"]
exclude = ["src/generated", "**/skip_*.rs"]
offload-functions = ["crate::util::run_blocking"]

[severity]
custom-blocking = "error"

[[blocking-functions]]
path = "crate::db::query_sync"
reason = "it runs the query on the calling thread"
replacement = "use `crate::db::query(..).await`"
"#;

#[test]
fn asyncwatch_toml_selects_rules_sets_severities_and_adds_functions() {
    let project = Project::new(&[
        ("Cargo.toml", TOKIO_MANIFEST),
        ("asyncwatch.toml", CONFIG),
        ("src/lib.rs", APP),
        ("src/generated/mod.rs", HANDLER),
        ("src/skip_me.rs", HANDLER),
    ]);
    let out = project.run(&["lint", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    // Only the custom function: blocking-fs is ignored, the sleep runs in the configured
    // offload wrapper, and the generated and skipped files are excluded.
    assert_eq!(
        rules_of(&out.stdout),
        [("custom-blocking".to_owned(), "error".to_owned())]
    );
    let document = json(&out.stdout);
    let d = &document["diagnostics"][0];
    assert_eq!(d["notes"][0], "it runs the query on the calling thread");
    assert_eq!(d["help"], "use `crate::db::query(..).await`");
    assert_eq!(document["summary"]["files"], 1);

    // Command-line options go on top of the configuration.
    let out = project.run(&["lint", "--format", "json", "--ignore", "custom-blocking"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    // --no-config ignores it: the custom function is unknown and the closure handed to
    // `run_blocking` counts as async code again.
    let out = project.run(&["lint", "--format", "json", "--no-config", "src/lib.rs"]);
    let rules: Vec<String> = rules_of(&out.stdout).into_iter().map(|(r, _)| r).collect();
    assert_eq!(rules, ["blocking-sleep", "blocking-fs"]);
}

#[test]
fn configuration_is_found_by_walking_up_from_the_linted_path() {
    let project = Project::new(&[
        ("asyncwatch.toml", "ignore = [\"blocking-sleep\"]\n"),
        ("deep/er/src/lib.rs", HANDLER),
    ]);
    let out = project.run(&["lint", "--format", "json", "deep/er/src"]);
    let rules: Vec<String> = rules_of(&out.stdout).into_iter().map(|(r, _)| r).collect();
    assert_eq!(rules, ["blocking-fs", "blocking-fs"]);
}

#[test]
fn cargo_metadata_tables_configure_too() {
    for table in ["package", "workspace"] {
        let manifest = format!(
            "{TOKIO_MANIFEST}{}\n[{table}.metadata.asyncwatch]\nignore = [\"blocking-fs\"]\n",
            if table == "workspace" {
                "\n[workspace]\n"
            } else {
                ""
            }
        );
        let project = Project::new(&[("Cargo.toml", &manifest), ("src/lib.rs", HANDLER)]);
        let out = project.run(&["lint", "--format", "json"]);
        let rules: Vec<String> = rules_of(&out.stdout).into_iter().map(|(r, _)| r).collect();
        assert_eq!(rules, ["blocking-sleep"], "[{table}.metadata.asyncwatch]");
    }
}

#[test]
fn asyncwatch_toml_wins_over_cargo_metadata_in_the_same_directory() {
    let manifest =
        format!("{TOKIO_MANIFEST}\n[package.metadata.asyncwatch]\nignore = [\"blocking-fs\"]\n");
    let project = Project::new(&[
        ("Cargo.toml", &manifest),
        ("asyncwatch.toml", "ignore = [\"blocking-sleep\"]\n"),
        ("src/lib.rs", HANDLER),
    ]);
    let out = project.run(&["lint", "--format", "json"]);
    let rules: Vec<String> = rules_of(&out.stdout).into_iter().map(|(r, _)| r).collect();
    assert_eq!(rules, ["blocking-fs", "blocking-fs"]);
}

#[test]
fn unknown_keys_are_errors_naming_the_key_and_the_file() {
    let project = Project::new(&[
        ("asyncwatch.toml", "ignroe = [\"blocking-fs\"]\n"),
        ("src/lib.rs", HANDLER),
    ]);
    let out = project.run(&["lint"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("asyncwatch.toml"), "{}", out.stderr);
    assert!(out.stderr.contains("ignroe"), "{}", out.stderr);

    let project = Project::new(&[
        (
            "asyncwatch.toml",
            "[[blocking-functions]]\npath = \"crate::f\"\nreason = \"r\"\nreplacement = \"x\"\nwhy = \"?\"\n",
        ),
        ("src/lib.rs", HANDLER),
    ]);
    let out = project.run(&["lint"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("why"), "{}", out.stderr);

    let manifest = format!("{TOKIO_MANIFEST}\n[package.metadata.asyncwatch]\nselcet = []\n");
    let project = Project::new(&[("Cargo.toml", &manifest), ("src/lib.rs", HANDLER)]);
    let out = project.run(&["lint"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("Cargo.toml"), "{}", out.stderr);
    assert!(
        out.stderr.contains("package.metadata.asyncwatch"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("selcet"), "{}", out.stderr);
}

#[test]
fn bad_values_are_errors_naming_the_key_and_the_file() {
    let cases = [
        (
            "ignore = [\"blocking-slep\"]\n",
            "`ignore`: unknown rule `blocking-slep`",
        ),
        ("[severity]\nblocking-fs = \"loud\"\n", "loud"),
        (
            "[severity]\nno-such-rule = \"error\"\n",
            "`severity.no-such-rule`",
        ),
        ("exclude = [\"a[\"]\n", "`exclude[0]`"),
        (
            "offload-functions = [\"not a path\"]\n",
            "`offload-functions[0]`",
        ),
        ("select = \"all\"\n", "select"),
    ];
    for (config, expected) in cases {
        let project = Project::new(&[("asyncwatch.toml", config), ("src/lib.rs", HANDLER)]);
        let out = project.run(&["lint"]);
        assert_eq!(out.code, 2, "{config}");
        assert!(
            out.stderr.contains("asyncwatch.toml") && out.stderr.contains(expected),
            "{config}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
}

#[test]
fn an_explicit_config_file_is_used() {
    let project = Project::new(&[
        ("conf/strict.toml", "select = [\"blocking-fs\"]\n"),
        ("src/lib.rs", HANDLER),
    ]);
    let out = project.run(&["lint", "--format", "json", "--config", "conf/strict.toml"]);
    let rules: Vec<String> = rules_of(&out.stdout).into_iter().map(|(r, _)| r).collect();
    assert_eq!(rules, ["blocking-fs", "blocking-fs"]);
    let out = project.run(&["lint", "--config", "conf/missing.toml"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("conf/missing.toml"), "{}", out.stderr);
}
