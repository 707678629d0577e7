//! Inputs that crashed or could crash the analyzer (found by `cargo xtask fuzz` or written
//! for the limits it probes), run through the public API on the test's own small stack.

use asyncwatch_lint::{check_source, Settings};

fn all_rules() -> Settings {
    let mut settings = Settings::default();
    settings.select_only(["all"]).expect("`all` selects");
    settings
}

/// `async fn f() { let _ = BODY; }`
fn in_async_fn(body: &str) -> String {
    format!("async fn f() {{\n    let _ = {body};\n}}\n")
}

#[test]
fn ten_thousand_nested_brackets_are_a_file_error_not_a_stack_overflow() {
    for (open, close) in [("(", ")"), ("[", "]"), ("{", "}")] {
        let source = in_async_fn(&format!("{}1{}", open.repeat(10_000), close.repeat(10_000)));
        let error = check_source("deep.rs", &source, &all_rules()).expect_err("too deep");
        assert_eq!(error.file, "deep.rs");
        assert!(
            error
                .message
                .starts_with("brackets nest more than 256 levels deep at 2:"),
            "{}",
            error.message
        );
    }
}

#[test]
fn nesting_just_inside_the_limits_is_analyzed() {
    // 254 brackets inside the fn's braces, a blocking call at the bottom: found, with the
    // right place, on a caller stack far smaller than the parser needs for this.
    let source = in_async_fn(&format!(
        "{}std::thread::sleep(d){}",
        "(".repeat(254),
        ")".repeat(254)
    ));
    let diagnostics = check_source("deep.rs", &source, &Settings::default()).expect("analyzed");
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].rule, "blocking-sleep");
    assert_eq!(diagnostics[0].span.start.line, 2);
    assert_eq!(diagnostics[0].span.start.column, 13 + 254);

    for body in [
        format!("{}1", "|| ".repeat(2000)),
        format!("{}1", "!".repeat(8000)),
        format!("x{}", ".a".repeat(16_000)),
        format!("x{}", "?".repeat(16_000)),
    ] {
        let source = in_async_fn(&body);
        check_source("chain.rs", &source, &all_rules()).expect("analyzed");
    }
}

#[test]
fn chains_past_the_limit_are_a_file_error() {
    for body in [
        format!("{}1", "|| ".repeat(5000)),
        format!("{}1", "!".repeat(100_000)),
        format!("x{}", ".a".repeat(100_000)),
        format!("1{}", " + 1".repeat(100_000)),
    ] {
        let source = in_async_fn(&body);
        let error = check_source("chain.rs", &source, &all_rules()).expect_err("too deep");
        assert!(
            error
                .message
                .starts_with("one expression chains more than 16384 operators at 2:"),
            "{}",
            error.message
        );
    }
}

#[test]
fn brackets_in_literals_and_comments_are_not_nesting() {
    let parens = "(".repeat(10_000);
    let source = format!(
        "// {parens}\n/* {parens} */\nasync fn f() {{\n    let _ = \"{parens}\";\n    let _ = r#\"{parens}\"#;\n    std::thread::sleep(d);\n}}\n"
    );
    let diagnostics = check_source("literal.rs", &source, &Settings::default()).expect("analyzed");
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].span.start.line, 6);
}
