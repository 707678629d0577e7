//! `asyncwatch check -- CMD...`: runs CMD (typically `cargo clippy --message-format=json`)
//! with its output passed through untouched, then appends asyncwatch's findings for the
//! current directory as cargo `compiler-message` records. Made for
//! `rust-analyzer.check.overrideCommand` (see docs/editors.md).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use asyncwatch_diagnostics::SourceCache;

use crate::cmd_lint::{self, Format, RuleArgs};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or directories to lint after CMD ran.
    #[arg(long = "path", value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// The command to run first, after `--`; its output is passed through untouched.
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

/// Exit code: CMD's own when it failed, otherwise 1 when asyncwatch has findings, else 0.
pub fn execute(args: CheckArgs) -> anyhow::Result<ExitCode> {
    // Configuration errors are reported before CMD runs, so they are not lost in its output.
    let start = args.paths.first().cloned().unwrap_or_else(|| ".".into());
    let settings = cmd_lint::settings(&args.rules, &start)?;
    let (program, rest) = args
        .command
        .split_first()
        .context("no command given after `--`")?;
    let status = std::process::Command::new(program)
        .args(rest)
        .status()
        .with_context(|| format!("cannot run `{program}`"))?;
    let mut sources = SourceCache::new();
    let report = cmd_lint::lint_report(
        &args.paths,
        &settings,
        args.rules.baseline.as_deref(),
        &mut sources,
    )?;
    let output = cmd_lint::render(Format::RustcJson, &report, &mut sources, false)?;
    crate::write_stdout(&output)?;
    let code = match status.code() {
        Some(0) => u8::from(!(report.diagnostics.is_empty() && report.errors.is_empty())),
        Some(code) => u8::try_from(code).unwrap_or(1).max(1),
        // Killed by a signal.
        None => crate::EXIT_ERROR,
    };
    Ok(ExitCode::from(code))
}
