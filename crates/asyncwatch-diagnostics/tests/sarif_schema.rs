//! The SARIF output validates against the SARIF 2.1.0 JSON schema (vendored in
//! `tests/data/sarif-schema-2.1.0.json`, the OASIS schema as shipped by the serde-sarif crate).

use std::path::Path;

use asyncwatch_diagnostics::{
    render_sarif, Applicability, Diagnostic, Edit, FileError, Fix, Position, Related, Report,
    SarifRule, Severity, SourceCache, Span,
};

const SOURCE: &str = "async fn f() {\n    std::thread::sleep(d);\n}\n";

fn span(line: usize, column: usize, offset: usize, len: usize) -> Span {
    Span {
        start: Position {
            line,
            column,
            offset,
        },
        end: Position {
            line,
            column: column + len,
            offset: offset + len,
        },
    }
}

fn report() -> Report {
    let call = span(2, 5, 19, 21);
    Report {
        diagnostics: vec![
            Diagnostic {
                file: "./src/lib.rs".to_owned(),
                span: call,
                rule: "blocking-sleep",
                severity: Severity::Warning,
                message: "blocking call to `std::thread::sleep` in async context".to_owned(),
                label: Some("blocks the worker thread".to_owned()),
                help: Some("use `tokio::time::sleep(duration).await`".to_owned()),
                notes: vec!["it parks the worker thread".to_owned()],
                related: vec![Related {
                    file: "src/lib.rs".to_owned(),
                    line: 1,
                    column: 1,
                    message: "called from here".to_owned(),
                }],
                fix: Some(Fix {
                    message: "replace with `tokio::time::sleep(..).await`".to_owned(),
                    applicability: Applicability::MachineApplicable,
                    edits: vec![
                        Edit {
                            span: span(2, 5, 19, 18),
                            replacement: "tokio::time::sleep".to_owned(),
                        },
                        Edit {
                            span: span(2, 26, 40, 0),
                            replacement: ".await".to_owned(),
                        },
                    ],
                }),
                function: Some("f".to_owned()),
            },
            Diagnostic {
                file: "/elsewhere/with space.rs".to_owned(),
                span: call,
                rule: "custom-blocking",
                severity: Severity::Note,
                message: "blocking call to `crate::db::query` in async context".to_owned(),
                label: None,
                help: None,
                notes: Vec::new(),
                related: Vec::new(),
                fix: None,
                function: None,
            },
        ],
        errors: vec![FileError {
            file: "src/broken.rs".to_owned(),
            message: "syntax error at 1:1: expected item".to_owned(),
        }],
        files: 3,
    }
}

fn rules() -> Vec<SarifRule> {
    vec![SarifRule {
        id: "blocking-sleep".to_owned(),
        short_description: "`std::thread::sleep` in async code parks the worker thread".to_owned(),
        full_description: "## What it does\nFinds `std::thread::sleep`.\n\n## Use instead\n..."
            .to_owned(),
        default_severity: Severity::Warning,
        help_uri: Some("https://example.invalid/rules/blocking-sleep".to_owned()),
    }]
}

#[test]
fn sarif_output_validates_against_the_2_1_0_schema() {
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("schema")).expect("json");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");

    let mut sources = SourceCache::new();
    sources.insert("./src/lib.rs", SOURCE);
    let text = render_sarif(
        &report(),
        &rules(),
        &mut sources,
        Path::new("/work"),
        "0.1.0",
    );
    let log: serde_json::Value = serde_json::from_str(&text).expect("json");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "schema violations:\n{}",
        errors.join("\n")
    );

    // The schema allows almost anything to be missing; check what code scanning needs.
    let run = &log["runs"][0];
    let result = &run["results"][0];
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "src/lib.rs"
    );
    assert_eq!(result["ruleIndex"], 0);
    assert_eq!(
        result["fixes"][0]["artifactChanges"][0]["replacements"][1]["insertedContent"]["text"],
        ".await"
    );
    assert!(result["partialFingerprints"]["asyncwatchFingerprint/v1"].is_string());
    // Outside the checkout: an absolute, percent-encoded file URI; unknown rule: no index.
    let other = &run["results"][1];
    assert_eq!(
        other["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "file:///elsewhere/with%20space.rs"
    );
    assert!(other.get("ruleIndex").is_none());
    assert_eq!(other["level"], "note");
    assert_eq!(
        run["invocations"][0]["toolExecutionNotifications"][0]["level"],
        "error"
    );
}

#[test]
fn a_schema_violation_would_be_caught() {
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("schema")).expect("json");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let bad =
        serde_json::json!({ "version": "2.1.0", "runs": [{ "results": [{ "level": "loud" }] }] });
    assert!(!validator.is_valid(&bad));
}
