//! What every lint target does with a source text: lint it through the public API with the
//! default rules and with every rule, check the diagnostics' spans against the text, apply
//! the fixes and render every output format, as `asyncwatch lint` would.

use asyncwatch_diagnostics::{
    fingerprint, render_github, render_human, render_json, render_rustc_json, render_sarif,
    CargoContext, CargoTarget, Report, SourceCache,
};
use asyncwatch_lint::{apply_fixes, check_source, Settings};

const FILE: &str = "src/fuzzed.rs";

pub fn lint(source: &str) {
    let mut all = Settings::default();
    all.select_only(["all"]).expect("`all` is a selection");
    for settings in [Settings::default(), all] {
        let diagnostics = match check_source(FILE, source, &settings) {
            Ok(diagnostics) => diagnostics,
            Err(error) => {
                assert_eq!(error.file, FILE);
                assert!(!error.message.is_empty());
                continue;
            }
        };
        for d in &diagnostics {
            assert_eq!(d.file, FILE);
            let (start, end) = (d.span.start.offset, d.span.end.offset);
            assert!(start <= end && end <= source.len(), "{d:?}");
            assert!(
                source.is_char_boundary(start) && source.is_char_boundary(end),
                "{d:?}"
            );
            assert!(d.span.start.line >= 1 && d.span.start.column >= 1, "{d:?}");
            if let Some(fix) = &d.fix {
                for edit in &fix.edits {
                    let (s, e) = (edit.span.start.offset, edit.span.end.offset);
                    assert!(s <= e && e <= source.len(), "{d:?}");
                    assert!(
                        source.is_char_boundary(s) && source.is_char_boundary(e),
                        "{d:?}"
                    );
                }
            }
        }
        for d in &diagnostics {
            fingerprint::fingerprint(d, Some(source));
        }
        let (fixed, _applied) = apply_fixes(FILE, source, &diagnostics);
        // A fixed text is still linted without a panic (it need not parse).
        let _ = check_source(FILE, &fixed, &settings);
        let report = Report {
            files: 1,
            diagnostics,
            ..Report::default()
        };
        let mut sources = SourceCache::new();
        sources.insert(FILE, source);
        render_human(&report, &mut sources, false);
        render_human(&report, &mut sources, true);
        render_json(&report, "0.0.0");
        render_github(&report);
        render_rustc_json(&report, &mut sources, &mut |_| cargo_context());
        render_sarif(
            &report,
            &[],
            &mut sources,
            std::path::Path::new("/"),
            "0.0.0",
        );
    }
}

fn cargo_context() -> CargoContext {
    CargoContext {
        package_id: "fuzz 0.0.0".to_owned(),
        manifest_path: "Cargo.toml".to_owned(),
        target: CargoTarget {
            kind: vec!["lib".to_owned()],
            crate_types: vec!["lib".to_owned()],
            name: "fuzz".to_owned(),
            src_path: FILE.to_owned(),
            edition: "2021".to_owned(),
            doc: true,
            doctest: true,
            test: true,
        },
    }
}
