//! The `asyncwatch` binary as a user runs it: exit codes, output formats, directory walking,
//! the bundled examples, and docs/json.md against real `--format json` output.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BLOCKING: &str =
    "async fn handler() {\n    std::thread::sleep(std::time::Duration::from_millis(10));\n}\n";
const CLEAN: &str = "async fn handler() {\n    tokio::time::sleep(std::time::Duration::from_millis(10)).await;\n}\n\nfn sync_code() {\n    std::thread::sleep(std::time::Duration::from_millis(10));\n}\n";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn asyncwatch_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asyncwatch"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("asyncwatch runs")
}

fn asyncwatch(args: &[&str]) -> Output {
    asyncwatch_in(&repo_root(), args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A temporary directory holding `files` (relative path, contents).
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, contents) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, contents).expect("write");
    }
    dir
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not one JSON document ({error}):\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

/// The files named by the report's diagnostics and errors.
fn reported_files(report: &Value) -> BTreeSet<String> {
    ["diagnostics", "errors"]
        .iter()
        .flat_map(|list| report[list].as_array().cloned().unwrap_or_default())
        .map(|item| item["file"].as_str().expect("file is a string").to_owned())
        .collect()
}

#[test]
fn a_clean_file_exits_0_and_says_so() {
    let dir = tree(&[("src/lib.rs", CLEAN)]);
    let output = asyncwatch_in(dir.path(), &["lint", "src"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stdout(&output).contains("warning["), "{}", stdout(&output));
}

#[test]
fn findings_exit_1() {
    let dir = tree(&[("src/lib.rs", BLOCKING)]);
    let output = asyncwatch_in(dir.path(), &["lint", "src"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn the_default_path_is_the_current_directory() {
    let dir = tree(&[("src/lib.rs", BLOCKING)]);
    let output = asyncwatch_in(dir.path(), &["lint", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(json(&output)["summary"]["diagnostics"], 1);
}

#[test]
fn a_missing_path_exits_2_naming_it() {
    let dir = tree(&[("src/lib.rs", CLEAN)]);
    let output = asyncwatch_in(dir.path(), &["lint", "src", "no/such/dir"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no/such/dir"),
        "{}",
        stderr(&output)
    );
    assert!(output.stdout.is_empty(), "{}", stdout(&output));
}

#[test]
fn an_unknown_rule_exits_2_naming_it() {
    let dir = tree(&[("src/lib.rs", BLOCKING)]);
    for flag in ["--select", "--enable", "--ignore"] {
        let output = asyncwatch_in(dir.path(), &["lint", flag, "blocking-sleep,no-such-rule"]);
        assert_eq!(output.status.code(), Some(2), "{flag}");
        assert!(
            stderr(&output).contains("no-such-rule"),
            "{flag}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn select_runs_only_the_named_rules() {
    let dir = tree(&[(
        "src/lib.rs",
        "async fn f() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n    let _ = std::fs::read(\"x\");\n}\n",
    )]);
    let all = json(&asyncwatch_in(
        dir.path(),
        &["lint", "--format", "json", "src"],
    ));
    assert_eq!(all["summary"]["diagnostics"], 2);
    let output = asyncwatch_in(
        dir.path(),
        &["lint", "--format", "json", "--select", "blocking-fs", "src"],
    );
    let report = json(&output);
    assert_eq!(report["summary"]["diagnostics"], 1);
    assert_eq!(report["diagnostics"][0]["rule"], "blocking-fs");
    let output = asyncwatch_in(
        dir.path(),
        &["lint", "--ignore", "blocking-fs,blocking-sleep", "src"],
    );
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn a_file_that_does_not_parse_is_an_error_entry_and_the_run_goes_on() {
    let dir = tree(&[
        ("src/broken.rs", "fn broken( {\n"),
        ("src/lib.rs", BLOCKING),
        ("src/zz_clean.rs", CLEAN),
    ]);
    let output = asyncwatch_in(dir.path(), &["lint", "--format", "json", "src"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&output);
    let errors = report["errors"].as_array().expect("errors array");
    assert_eq!(errors.len(), 1, "{report:#}");
    assert_eq!(errors[0]["file"], "src/broken.rs");
    assert!(
        errors[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("syntax error at 1:")),
        "{report:#}"
    );
    assert_eq!(report["summary"]["files"], 3);
    assert_eq!(report["summary"]["diagnostics"], 1);
    assert_eq!(report["diagnostics"][0]["file"], "src/lib.rs");

    // Only the unparsable file: still reported, still exit 1.
    let output = asyncwatch_in(dir.path(), &["lint", "src/broken.rs"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("src/broken.rs") || stderr(&output).contains("src/broken.rs"),
        "stdout:\n{}\nstderr:\n{}",
        stdout(&output),
        stderr(&output)
    );
}

#[test]
fn the_walk_respects_gitignore_outside_a_repository_and_skips_target() {
    let dir = tree(&[
        (".gitignore", "generated/\n*.gen.rs\n"),
        ("src/lib.rs", BLOCKING),
        ("src/api.gen.rs", BLOCKING),
        ("generated/out.rs", BLOCKING),
        ("target/debug/build/out.rs", BLOCKING),
        ("crates/inner/target/x.rs", BLOCKING),
        ("crates/inner/src/lib.rs", BLOCKING),
        ("notes.txt", "std::thread::sleep"),
    ]);
    assert!(!dir.path().join(".git").exists());
    let output = asyncwatch_in(dir.path(), &["lint", "--format", "json", "."]);
    let report = json(&output);
    let files = reported_files(&report);
    let expected: BTreeSet<String> = ["./crates/inner/src/lib.rs", "./src/lib.rs"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(files, expected, "{report:#}");
    assert_eq!(report["summary"]["files"], 2);
}

#[test]
fn a_file_named_explicitly_is_linted_even_if_ignored() {
    let dir = tree(&[(".gitignore", "*.gen.rs\n"), ("api.gen.rs", BLOCKING)]);
    let output = asyncwatch_in(dir.path(), &["lint", "--format", "json", "api.gen.rs"]);
    assert_eq!(json(&output)["summary"]["diagnostics"], 1);
}

#[test]
fn json_output_is_one_document_with_the_documented_fields() {
    let dir = tree(&[
        ("src/lib.rs", BLOCKING),
        ("src/broken.rs", "fn broken( {\n"),
    ]);
    let output = asyncwatch_in(dir.path(), &["lint", "--format", "json", "src"]);
    let text = stdout(&output);
    // One document: parsing it consumes all of stdout.
    let report = json(&output);
    assert!(text.ends_with("}\n"));
    assert_eq!(report["version"], 1);
    assert_eq!(report["tool"]["name"], "asyncwatch");
    assert_eq!(report["tool"]["version"], env!("CARGO_PKG_VERSION"));
    let diagnostic = &report["diagnostics"][0];
    assert_eq!(diagnostic["rule"], "blocking-sleep");
    assert_eq!(diagnostic["severity"], "warning");
    assert_eq!(diagnostic["file"], "src/lib.rs");
    // 1-based: the call starts in column 5 of line 2 of BLOCKING; the end is exclusive.
    assert_eq!(diagnostic["line"], 2);
    assert_eq!(diagnostic["column"], 5);
    assert_eq!(diagnostic["end_line"], 2);
    let call = "std::thread::sleep(std::time::Duration::from_millis(10))";
    assert_eq!(diagnostic["end_column"], 5 + call.len());
    assert_eq!(diagnostic["function"], "handler");
    assert_eq!(report["summary"]["by_rule"]["blocking-sleep"], 1);
    assert_eq!(report["summary"]["by_severity"]["warning"], 1);
    assert_eq!(report["summary"]["errors"], 1);
}

/// The first ```json block of docs/json.md.
fn documented_example() -> Value {
    let doc = std::fs::read_to_string(repo_root().join("docs/json.md")).expect("docs/json.md");
    let start = doc.find("```json\n").expect("a ```json block") + "```json\n".len();
    let end = start + doc[start..].find("\n```").expect("the block ends");
    serde_json::from_str(&doc[start..end]).expect("the documented example is valid JSON")
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

/// Every object path in `documented` has the same keys in `actual` (where `actual` has a
/// value there: an empty list or a null `fix` has nothing to compare).
fn assert_same_shape(path: &str, documented: &Value, actual: &Value) {
    match (documented, actual) {
        (Value::Object(doc), Value::Object(real)) => {
            // `by_rule` is keyed by rule names, not fields.
            if path.ends_with("by_rule") {
                return;
            }
            assert_eq!(
                keys(documented),
                keys(actual),
                "docs/json.md and real output disagree on the keys of {path}"
            );
            for (key, value) in doc {
                assert_same_shape(&format!("{path}.{key}"), value, &real[key]);
            }
        }
        (Value::Array(doc), Value::Array(real)) => {
            if let (Some(doc), Some(real)) = (doc.first(), real.first()) {
                assert_same_shape(&format!("{path}[0]"), doc, real);
            }
        }
        (_, Value::Null) => {}
        (doc, real) => assert_eq!(
            std::mem::discriminant(doc),
            std::mem::discriminant(real),
            "docs/json.md and real output disagree on the type of {path}: {doc} vs {real}"
        ),
    }
}

#[test]
fn docs_json_md_matches_real_output() {
    let documented = documented_example();
    let dir = tree(&[
        ("src/lib.rs", BLOCKING),
        ("src/broken.rs", "fn broken( {\n"),
    ]);
    let real = json(&asyncwatch_in(
        dir.path(),
        &["lint", "--format", "json", "src"],
    ));
    assert_same_shape("document", &documented, &real);

    // `related` and `fix` are empty for this input; render a report that has both.
    use asyncwatch_diagnostics::{
        render_json, Applicability, Diagnostic, Edit, Fix, Position, Related, Report, Severity,
        Span,
    };
    let position = |line, column, offset| Position {
        line,
        column,
        offset,
    };
    let span = Span {
        start: position(2, 5, 26),
        end: position(2, 61, 82),
    };
    let report = Report {
        diagnostics: vec![Diagnostic {
            file: "src/lib.rs".to_owned(),
            span,
            rule: "blocking-sleep",
            severity: Severity::Warning,
            message: "m".to_owned(),
            label: Some("l".to_owned()),
            help: Some("h".to_owned()),
            notes: vec!["n".to_owned()],
            related: vec![Related {
                file: "src/lib.rs".to_owned(),
                line: 7,
                column: 5,
                message: "r".to_owned(),
            }],
            fix: Some(Fix {
                message: "f".to_owned(),
                applicability: Applicability::MaybeIncorrect,
                edits: vec![Edit {
                    span,
                    replacement: "x".to_owned(),
                }],
            }),
            function: Some("handler".to_owned()),
        }],
        errors: Vec::new(),
        files: 1,
    };
    let full: Value =
        serde_json::from_str(&render_json(&report, "0.1.0")).expect("render_json is JSON");
    assert_same_shape(
        "document.diagnostics[0]",
        &documented["diagnostics"][0],
        &full["diagnostics"][0],
    );
    assert_eq!(
        full["diagnostics"][0]["fix"]["applicability"],
        documented["diagnostics"][0]["fix"]["applicability"]
    );
}

#[test]
fn human_output_looks_like_rustc() {
    let dir = tree(&[("src/lib.rs", BLOCKING)]);
    let output = asyncwatch_in(dir.path(), &["lint", "src"]);
    let text = stdout(&output);
    assert!(
        text.starts_with(
            "warning[blocking-sleep]: blocking call to `std::thread::sleep` in async context\n"
        ),
        "{text}"
    );
    assert!(text.contains(" --> src/lib.rs:2:5\n"), "{text}");
    assert!(
        text.contains("2 |     std::thread::sleep(std::time::Duration::from_millis(10));"),
        "{text}"
    );
    assert!(text.contains("^^^^"), "{text}");
    assert!(
        text.contains("= help: use `tokio::time::sleep(duration).await`"),
        "{text}"
    );
    // Not a terminal and NO_COLOR: no escape codes.
    assert!(!text.contains('\u{1b}'), "{text:?}");
}

#[test]
fn rules_lists_every_rule() {
    let output = asyncwatch(&["rules"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    for rule in asyncwatch_lint::rules::all() {
        let line = text
            .lines()
            .find(|line| line.split_whitespace().next() == Some(rule.name))
            .unwrap_or_else(|| panic!("{} is not listed:\n{text}", rule.name));
        assert!(line.contains(rule.summary), "{line}");
        assert!(line.contains(rule.default_severity.as_str()), "{line}");
    }
    let listed = json(&asyncwatch(&["rules", "--format", "json"]));
    let names: Vec<&str> = listed
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|rule| rule["name"].as_str())
        .collect();
    let expected: Vec<&str> = asyncwatch_lint::rules::all().map(|r| r.name).collect();
    assert_eq!(names, expected);
}

#[test]
fn explain_prints_a_rules_docs_and_rejects_unknown_rules() {
    let output = asyncwatch(&["explain", "blocking-sleep"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.starts_with("# blocking-sleep\n"), "{text}");
    for heading in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
    ] {
        assert!(text.contains(heading), "{heading} missing:\n{text}");
    }
    assert!(text.contains("tokio::time::sleep"), "{text}");

    let output = asyncwatch(&["explain", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("nope"), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    // Enough findings to overflow a pipe buffer, so the writer is still writing when the
    // reader goes away (as with `asyncwatch lint dir | head -1`).
    let files: Vec<(String, &str)> = (0..300)
        .map(|i| (format!("src/m{i:03}.rs"), BLOCKING))
        .collect();
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), *c)).collect();
    let dir = tree(&borrowed);
    let mut child = Command::new(env!("CARGO_BIN_EXE_asyncwatch"))
        .args(["lint", "src"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("asyncwatch starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("one line");
    // The reader is dropped here: the pipe is closed.
    assert!(first.starts_with("warning[blocking-sleep]"), "{first}");
    let output = child.wait_with_output().expect("asyncwatch exits");
    let stderr = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "a closed pipe ends the run quietly; stderr:\n{stderr}"
    );
    assert!(!stderr.contains("error"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_bundled_lint_fixtures_exercise_every_default_rule() {
    let output = asyncwatch(&["lint", "--format", "json", "fixtures/lint"]);
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    assert_eq!(report["errors"], Value::Array(Vec::new()), "{report:#}");
    // A fixture that needs test-only settings (`// asyncwatch-test: ...`, e.g. the functions
    // a custom rule reports) cannot fire through the plain CLI.
    let needs_settings = |name: &str| {
        let fixture = repo_root().join(format!("fixtures/lint/{}.rs", name.replace('-', "_")));
        let source = std::fs::read_to_string(fixture).unwrap_or_default();
        source
            .lines()
            .filter_map(|line| line.strip_prefix("// asyncwatch-test: "))
            .any(|setting| !setting.starts_with("enable="))
    };
    let plain: Vec<_> = asyncwatch_lint::rules::all()
        .filter(|r| !needs_settings(r.name))
        .collect();
    for rule in plain.iter().filter(|r| r.enabled_by_default) {
        assert!(
            report["summary"]["by_rule"][rule.name].as_u64() > Some(0),
            "{} never fires on fixtures/lint",
            rule.name
        );
    }
    // Pedantic rules only with --select all.
    let pedantic: Vec<_> = plain.iter().filter(|r| !r.enabled_by_default).collect();
    for rule in &pedantic {
        assert!(report["summary"]["by_rule"][rule.name].is_null());
    }
    let all = json(&asyncwatch(&[
        "lint",
        "--format",
        "json",
        "--select",
        "all",
        "fixtures/lint",
    ]));
    for rule in &pedantic {
        assert!(
            all["summary"]["by_rule"][rule.name].as_u64() > Some(0),
            "{} never fires on fixtures/lint with --select all",
            rule.name
        );
    }
}

/// The README's first command: each `// MISTAKE` comment in examples/blocking-demo is
/// reported on the next line, and nothing else is.
#[test]
fn the_readme_example_reports_exactly_the_marked_mistakes() {
    let source_path = repo_root().join("examples/blocking-demo/src/main.rs");
    let source = std::fs::read_to_string(&source_path).expect("example source");
    let expected: BTreeSet<u64> = source
        .lines()
        .enumerate()
        .filter(|(_, line)| line.trim_start().starts_with("// MISTAKE"))
        .map(|(index, _)| index as u64 + 2)
        .collect();
    assert_eq!(expected.len(), 5);
    let output = asyncwatch(&["lint", "--format", "json", "examples/blocking-demo"]);
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    let lines: BTreeSet<u64> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            assert_eq!(d["file"], "examples/blocking-demo/src/main.rs", "{d:#}");
            d["line"].as_u64().expect("line")
        })
        .collect();
    assert_eq!(lines, expected, "{report:#}");
    let rules: BTreeSet<&str> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["rule"].as_str())
        .collect();
    let want: BTreeSet<&str> = [
        "blocking-sleep",
        "blocking-fs",
        "guard-across-await",
        "blocking-http-client",
        "blocking-wait",
    ]
    .into_iter()
    .collect();
    assert_eq!(rules, want);
}
