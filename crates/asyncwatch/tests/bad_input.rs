//! `asyncwatch lint` on input that is not what it expects: each case gets a message that
//! names the file and the reason, the documented exit code (docs/cli.md: 1 for files that
//! could not be analyzed, 2 for unusable paths and configuration), no panic and no hang.
//! A missing path and a syntax error are covered in cli.rs; docs/reliability.md lists all.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{json, Output, Project};

const BLOCKING: &str =
    "async fn handler() {\n    std::thread::sleep(std::time::Duration::from_millis(10));\n}\n";

/// Runs asyncwatch in `dir`, failing the test instead of hanging if it takes a minute.
fn run_bounded(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_asyncwatch"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("asyncwatch runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("asyncwatch {args:?} still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("output");
    Output {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// The JSON report's errors as (file, message), and its diagnostics' files.
fn errors_and_findings(out: &Output) -> (Vec<(String, String)>, Vec<String>) {
    let report = json(&out.stdout);
    let errors = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["file"].as_str().expect("file").to_owned(),
                e["message"].as_str().expect("message").to_owned(),
            )
        })
        .collect();
    let findings = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["file"].as_str().expect("file").to_owned())
        .collect();
    (errors, findings)
}

/// Lints `src` of `project` as JSON and checks the one file error and that src/lib.rs's
/// finding is still reported; returns the error message.
fn one_file_error(project: &Project, file: &str) -> String {
    let out = run_bounded(project.dir.path(), &["lint", "--format", "json", "src"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let (errors, findings) = errors_and_findings(&out);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, file);
    assert_eq!(
        findings,
        ["src/lib.rs"],
        "the run goes on past the bad file"
    );
    errors[0].1.clone()
}

#[test]
fn an_unreadable_file_is_a_file_error_and_the_run_goes_on() {
    let project = Project::new(&[("src/lib.rs", BLOCKING), ("src/secret.rs", "fn f() {}\n")]);
    let secret = project.path("src/secret.rs");
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    }
    if std::fs::read(&secret).is_ok() {
        // Running as root, which reads anything: a file whose every read fails instead.
        std::fs::remove_file(&secret).expect("rm");
        std::os::unix::fs::symlink("/proc/self/mem", &secret).expect("symlink");
        let out = run_bounded(
            project.dir.path(),
            &["lint", "--format", "json", "src/lib.rs", "src/secret.rs"],
        );
        assert_eq!(out.code, 1, "{}", out.stderr);
        let (errors, findings) = errors_and_findings(&out);
        assert_eq!(findings, ["src/lib.rs"]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, "src/secret.rs");
        assert!(
            errors[0].1.starts_with("cannot read file: "),
            "{}",
            errors[0].1
        );
        return;
    }
    let message = one_file_error(&project, "src/secret.rs");
    assert!(
        message.starts_with("cannot read file: Permission denied"),
        "{message}"
    );
}

#[test]
fn a_non_utf8_file_is_a_file_error_naming_the_first_bad_byte() {
    let project = Project::new(&[("src/lib.rs", BLOCKING)]);
    std::fs::write(
        project.path("src/latin1.rs"),
        b"fn f() {}\n// caf\xe9 cr\xe8me\n",
    )
    .expect("write");
    let message = one_file_error(&project, "src/latin1.rs");
    assert_eq!(
        message,
        "file is not valid UTF-8: byte 0xe9 at 2:7 (Rust source must be UTF-8)"
    );
}

#[test]
fn a_binary_file_named_rs_is_not_parsed() {
    let project = Project::new(&[("src/lib.rs", BLOCKING)]);
    // The start of an ELF executable, then bytes that are not text.
    let mut binary = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00".to_vec();
    binary.extend((0..4096u32).map(|i| (i * 7919 % 251) as u8));
    std::fs::write(project.path("src/tool.rs"), binary).expect("write");
    let message = one_file_error(&project, "src/tool.rs");
    assert_eq!(
        message,
        "not Rust source: a binary file (NUL byte at offset 7)"
    );

    // The human output says the same, once.
    let out = run_bounded(project.dir.path(), &["lint", "src"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains(
            "error: could not analyze src/tool.rs: not Rust source: a binary file (NUL byte at offset 7)"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn an_empty_file_is_clean() {
    let project = Project::new(&[("src/empty.rs", "")]);
    let out = run_bounded(project.dir.path(), &["lint", "src/empty.rs"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("0 findings in 1 file"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn a_symlink_loop_named_on_the_command_line_exits_2_naming_it() {
    let project = Project::new(&[("src/lib.rs", BLOCKING)]);
    std::os::unix::fs::symlink("loop.rs", project.path("src/loop.rs")).expect("symlink");
    let out = run_bounded(project.dir.path(), &["lint", "src/loop.rs"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr.trim(),
        "error: src/loop.rs: Too many levels of symbolic links (os error 40)"
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn symlink_loops_inside_a_directory_are_not_followed() {
    let project = Project::new(&[("src/lib.rs", BLOCKING)]);
    std::os::unix::fs::symlink("..", project.path("src/up")).expect("symlink");
    std::os::unix::fs::symlink(".", project.path("src/here")).expect("symlink");
    std::os::unix::fs::symlink("self.rs", project.path("src/self.rs")).expect("symlink");
    let out = run_bounded(project.dir.path(), &["lint", "--format", "json", "src"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = json(&out.stdout);
    assert_eq!(report["summary"]["files"], 1, "{report:#}");
    assert_eq!(report["summary"]["diagnostics"], 1, "{report:#}");
    assert_eq!(report["errors"].as_array().map(Vec::len), Some(0));
}

/// About `size` bytes of plain generated Rust: many small sync functions, one async
/// function that blocks at the start.
fn generated_source(size: usize) -> String {
    let mut text = String::with_capacity(size + 1024);
    text.push_str(BLOCKING);
    let mut i = 0;
    while text.len() < size {
        text.push_str(&format!(
            "pub fn generated_{i}(x: u64) -> u64 {{\n    x.wrapping_mul({i}).rotate_left(3) ^ 0x5bd1e995\n}}\n\n"
        ));
        i += 1;
    }
    text
}

#[test]
fn a_50_mb_generated_file_is_reported_as_too_large_without_being_read() {
    let project = Project::new(&[("src/lib.rs", BLOCKING)]);
    std::fs::write(project.path("src/generated.rs"), generated_source(50 << 20)).expect("write");
    let started = Instant::now();
    let message = one_file_error(&project, "src/generated.rs");
    assert!(
        message.starts_with("file is 52.4 MB, larger than the 10.5 MB asyncwatch analyzes: `exclude` it, or raise `max-file-size` (bytes) in asyncwatch.toml"),
        "{message}"
    );
    // Refused from its size, not after parsing it (which takes minutes in a debug build).
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn max_file_size_is_configurable() {
    let source = generated_source(200_000);
    let project = Project::new(&[
        ("asyncwatch.toml", "max-file-size = 100_000\n"),
        ("src/lib.rs", BLOCKING),
        ("src/generated.rs", &source),
    ]);
    let message = one_file_error(&project, "src/generated.rs");
    assert!(
        message.starts_with("file is 0.2 MB, larger than the 0.1 MB"),
        "{message}"
    );

    project.write("asyncwatch.toml", "max-file-size = 1_000_000\n");
    let out = run_bounded(project.dir.path(), &["lint", "--format", "json", "src"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let (errors, mut findings) = errors_and_findings(&out);
    assert!(errors.is_empty(), "{errors:?}");
    findings.sort();
    assert_eq!(findings, ["src/generated.rs", "src/lib.rs"]);
}

#[test]
fn code_nested_too_deep_to_parse_is_a_file_error_not_a_crash() {
    let deep = format!(
        "async fn f() {{\n    let _ = {}1{};\n}}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let project = Project::new(&[("src/lib.rs", BLOCKING), ("src/deep.rs", &deep)]);
    let message = one_file_error(&project, "src/deep.rs");
    assert!(
        message.starts_with("brackets nest more than 256 levels deep at 2:"),
        "{message}"
    );
}

#[test]
fn an_unknown_rule_in_select_suggests_the_closest_and_lists_the_rules() {
    let project = Project::new(&[("src/lib.rs", BLOCKING)]);
    let out = run_bounded(
        project.dir.path(),
        &["lint", "--select", "blocking-slep", "src"],
    );
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let first = out.stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("error: unknown rule `blocking-slep`; did you mean `blocking-sleep`? the rules are `all`, `blocking-sleep`, "),
        "{}",
        out.stderr
    );
    assert!(first.contains("`std-mutex-lock`"), "{first}");

    let out = run_bounded(project.dir.path(), &["lint", "--select", "xyz", "src"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("error: unknown rule `xyz`; the rules are `all`, "),
        "{}",
        out.stderr
    );
}

#[test]
fn a_broken_config_file_exits_2_naming_the_file_and_line() {
    let cases = [
        ("select = [\n", "line 1, column 11 (`select = [`): unclosed array"),
        (
            "# strict\nselect = \"all\"\n",
            "line 2, column 10 (`select = \"all\"`): invalid type: string \"all\", expected a sequence",
        ),
        (
            "ignore = []\nselcet = []\n",
            "line 2, column 1 (`selcet = []`): unknown field `selcet`",
        ),
        (
            "max-file-size = \"big\"\n",
            "line 1, column 17 (`max-file-size = \"big\"`): invalid type",
        ),
    ];
    for (config, expected) in cases {
        let project = Project::new(&[("asyncwatch.toml", config), ("src/lib.rs", BLOCKING)]);
        let out = run_bounded(project.dir.path(), &["lint", "src"]);
        assert_eq!(out.code, 2, "{config}");
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        let file = project.path("asyncwatch.toml");
        let prefix = format!("error: {}: {expected}", file.display());
        assert!(out.stderr.starts_with(&prefix), "{config}:\n{}", out.stderr);

        // The same keys under [package.metadata.asyncwatch], two lines further down.
        let manifest = format!(
            "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n\n[package.metadata.asyncwatch]\n{config}"
        );
        let project = Project::new(&[("Cargo.toml", &manifest), ("src/lib.rs", BLOCKING)]);
        let out = run_bounded(project.dir.path(), &["lint", "src"]);
        assert_eq!(out.code, 2, "{config}");
        let file = project.path("Cargo.toml");
        let stderr = out.stderr;
        assert!(
            stderr.starts_with(&format!("error: {}: ", file.display())),
            "{stderr}"
        );
        let line = expected
            .strip_prefix("line ")
            .and_then(|rest| rest.split(',').next())
            .and_then(|n| n.parse::<usize>().ok())
            .expect("line number");
        assert!(
            stderr.contains(&format!("line {}, column", line + 5)),
            "{config}:\n{stderr}"
        );
    }
}
