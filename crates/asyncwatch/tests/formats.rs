//! The editor and CI formats: `--format rustc-json` parsed the way editors parse cargo's
//! output (with the `cargo_metadata` crate), `--format sarif`, `--format github`, and
//! `asyncwatch check -- CMD` with a fake CMD.

mod support;

use cargo_metadata::diagnostic::{Applicability, DiagnosticLevel};
use cargo_metadata::Message;
use support::{json, Project, HANDLER, TOKIO_MANIFEST};

fn demo() -> Project {
    Project::new(&[("Cargo.toml", TOKIO_MANIFEST), ("src/lib.rs", HANDLER)])
}

fn compiler_messages(stdout: &str) -> Vec<cargo_metadata::CompilerMessage> {
    Message::parse_stream(stdout.as_bytes())
        .map(|m| m.expect("cargo_metadata parses every line"))
        .filter_map(|m| match m {
            Message::CompilerMessage(m) => Some(m),
            _ => None,
        })
        .collect()
}

#[test]
fn rustc_json_parses_as_cargo_compiler_messages() {
    let project = demo();
    let out = project.run(&["lint", "--format", "rustc-json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let messages = compiler_messages(&out.stdout);
    assert_eq!(messages.len(), 3, "{}", out.stdout);
    assert_eq!(out.stdout.lines().count(), 3, "one record per line");

    let first = &messages[0];
    assert!(
        first.package_id.repr.ends_with("#demo@0.2.0"),
        "{}",
        first.package_id.repr
    );
    assert_eq!(first.target.name, "demo");
    assert!(first.target.src_path.ends_with("src/lib.rs"));
    let record: serde_json::Value = json(out.stdout.lines().next().expect("a line"));
    assert!(record["manifest_path"]
        .as_str()
        .expect("manifest_path")
        .ends_with("Cargo.toml"));

    let d = &first.message;
    assert_eq!(d.level, DiagnosticLevel::Warning);
    assert_eq!(
        d.code.as_ref().expect("code").code,
        "asyncwatch::blocking-sleep"
    );
    assert_eq!(
        d.message,
        "blocking call to `std::thread::sleep` in async context"
    );
    let span = &d.spans[0];
    assert!(span.is_primary);
    assert_eq!(span.file_name, "src/lib.rs");
    assert_eq!((span.line_start, span.column_start), (4, 5));
    assert_eq!((span.line_end, span.column_end), (4, 49));
    let start = span.byte_start as usize;
    let end = span.byte_end as usize;
    assert_eq!(
        &HANDLER[start..end],
        "std::thread::sleep(Duration::from_millis(5))"
    );
    assert_eq!(
        span.text[0].text,
        "    std::thread::sleep(Duration::from_millis(5));"
    );
    assert_eq!(
        span.label.as_deref(),
        Some("blocks the worker thread that polls this task")
    );
    assert!(d
        .rendered
        .as_deref()
        .expect("rendered")
        .starts_with("warning[blocking-sleep]: blocking call"));

    let levels: Vec<_> = d.children.iter().map(|c| c.level).collect();
    assert_eq!(
        levels,
        [
            DiagnosticLevel::Note,
            DiagnosticLevel::Help,
            DiagnosticLevel::Help
        ]
    );
    // The suggestion: callee replaced, `.await` inserted after the call.
    let suggestion = &d.children[2];
    let replacements: Vec<(&str, Option<&str>)> = suggestion
        .spans
        .iter()
        .map(|s| {
            (
                &HANDLER[s.byte_start as usize..s.byte_end as usize],
                s.suggested_replacement.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        replacements,
        [
            ("std::thread::sleep", Some("tokio::time::sleep")),
            ("", Some(".await"))
        ]
    );
    assert!(suggestion
        .spans
        .iter()
        .all(|s| s.suggestion_applicability == Some(Applicability::MachineApplicable)));

    // read_dir has no drop-in replacement: help only, no edit.
    let read_dir = &messages[2].message;
    assert!(read_dir.message.contains("std::fs::read_dir"));
    assert!(read_dir
        .children
        .iter()
        .all(|c| c.spans.iter().all(|s| s.suggested_replacement.is_none())));
}

#[test]
fn rustc_json_outside_cargo_uses_documented_placeholders() {
    let project = Project::new(&[("loose.rs", HANDLER)]);
    let out = project.run(&["lint", "--format", "rustc-json", "loose.rs"]);
    let messages = compiler_messages(&out.stdout);
    assert_eq!(messages.len(), 3);
    assert!(messages[0].package_id.repr.ends_with("#unknown@0.0.0"));
    assert_eq!(messages[0].target.name, "unknown");
    // Without a tokio dependency the edit is offered but not marked safe.
    let fix = &messages[0].message.children[2];
    assert!(fix.message.contains("needs tokio"), "{}", fix.message);
    assert_eq!(
        fix.spans[0].suggestion_applicability,
        Some(Applicability::MaybeIncorrect)
    );
}

#[test]
fn sarif_has_rules_relative_uris_regions_and_fingerprints() {
    let project = demo();
    let out = project.run(&["lint", "--format", "sarif"]);
    assert_eq!(out.code, 1);
    let log = json(&out.stdout);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let sleep = rules
        .iter()
        .find(|r| r["id"] == "blocking-sleep")
        .expect("blocking-sleep rule");
    assert!(sleep["shortDescription"]["text"]
        .as_str()
        .expect("short")
        .contains("std::thread::sleep"));
    assert!(!sleep["fullDescription"]["text"]
        .as_str()
        .expect("full")
        .is_empty());
    assert!(sleep["help"]["markdown"]
        .as_str()
        .expect("help")
        .contains("## Use instead"));
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    let first = &results[0];
    assert_eq!(first["ruleId"], "blocking-sleep");
    assert_eq!(
        rules[first["ruleIndex"].as_u64().expect("index") as usize]["id"],
        "blocking-sleep"
    );
    let location = &first["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "src/lib.rs");
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(location["region"]["startLine"], 4);
    assert_eq!(location["region"]["startColumn"], 5);
    assert_eq!(location["region"]["endColumn"], 49);
    let print = first["partialFingerprints"]["asyncwatchFingerprint/v1"]
        .as_str()
        .expect("fingerprint")
        .to_owned();

    // Moving the code down keeps the fingerprint.
    project.write("src/lib.rs", &format!("\n\n\n{HANDLER}"));
    let moved = json(&project.run(&["lint", "--format", "sarif"]).stdout);
    let moved_first = &moved["runs"][0]["results"][0];
    assert_eq!(
        moved_first["locations"][0]["physicalLocation"]["region"]["startLine"],
        7
    );
    assert_eq!(
        moved_first["partialFingerprints"]["asyncwatchFingerprint/v1"],
        print.as_str()
    );
}

#[test]
fn github_format_prints_workflow_annotations() {
    let project = demo();
    let out = project.run(&["lint", "--format", "github"]);
    assert_eq!(out.code, 1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[0].starts_with(
            "::warning file=src/lib.rs,line=4,col=5,endLine=4,endColumn=49,title=asyncwatch blocking-sleep::blocking call to `std::thread::sleep` in async context%0Ahelp: "
        ),
        "{}",
        lines[0]
    );
}

const CLIPPY_LINE: &str = r#"{"reason":"build-finished","success":true}"#;

fn fake_cmd(exit: i32) -> Vec<String> {
    vec![
        "sh".to_owned(),
        "-c".to_owned(),
        format!("printf '%s\\n' '{CLIPPY_LINE}'; echo 'from stderr' >&2; exit {exit}"),
    ]
}

fn check(project: &Project, exit: i32) -> support::Output {
    let mut args = vec!["check", "--"];
    let cmd = fake_cmd(exit);
    args.extend(cmd.iter().map(String::as_str));
    project.run(&args)
}

#[test]
fn check_passes_the_command_output_through_and_appends_findings() {
    let project = demo();
    let out = check(&project, 0);
    assert_eq!(out.code, 1, "findings make the exit code 1");
    let first = out.stdout.lines().next().expect("output");
    assert_eq!(
        first, CLIPPY_LINE,
        "the command's output comes first, untouched"
    );
    assert_eq!(out.stderr, "from stderr\n");
    let messages: Vec<Message> = Message::parse_stream(out.stdout.as_bytes())
        .map(|m| m.expect("parses"))
        .collect();
    assert!(matches!(messages[0], Message::BuildFinished(_)));
    assert_eq!(messages.len(), 4);
    assert!(messages[1..]
        .iter()
        .all(|m| matches!(m, Message::CompilerMessage(_))));
}

#[test]
fn check_exit_code_reflects_the_command_and_the_findings() {
    let project = demo();
    assert_eq!(check(&project, 101).code, 101, "the command's failure wins");
    let clean = Project::new(&[
        ("Cargo.toml", TOKIO_MANIFEST),
        ("src/lib.rs", "pub async fn f() {}\n"),
    ]);
    let out = check(&clean, 0);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, format!("{CLIPPY_LINE}\n"));
    assert_eq!(check(&clean, 3).code, 3);
}

#[test]
fn check_reports_a_command_that_cannot_start() {
    let project = demo();
    let out = project.run(&["check", "--", "no-such-command-asyncwatch"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("cannot run `no-such-command-asyncwatch`"),
        "{}",
        out.stderr
    );
}
