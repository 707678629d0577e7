//! `asyncwatch lint`: configuration, baselines, fixes and the output formats, as glue over
//! `asyncwatch-lint` and the printers of `asyncwatch-diagnostics`. `asyncwatch check` reuses
//! the configuration and rule options.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use asyncwatch_diagnostics::{
    render_github, render_human, render_json, render_rustc_json, render_sarif, Report, SarifRule,
    SourceCache,
};
use asyncwatch_lint::baseline::Baseline;
use asyncwatch_lint::{config, rules, Settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-like text
    Human,
    /// one JSON document (docs/json.md)
    Json,
    /// cargo `compiler-message` records, one per line, as editors read them
    RustcJson,
    /// SARIF 2.1.0 for GitHub code scanning
    Sarif,
    /// GitHub Actions workflow annotations
    Github,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Which rules run and where the configuration comes from; shared by `lint` and `check`.
#[derive(Debug, clap::Args)]
pub struct RuleArgs {
    /// Run only these rules (comma-separated; `all` includes pedantic rules).
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Also run these rules, e.g. the pedantic `std-mutex-lock`.
    #[arg(long, value_delimiter = ',')]
    pub enable: Vec<String>,
    /// Do not run these rules.
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Read configuration from this file (`asyncwatch.toml` format, or a `Cargo.toml` with
    /// `[package.metadata.asyncwatch]`) instead of searching upwards from the first path.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore configuration files.
    #[arg(long)]
    pub no_config: bool,
    /// Hide the findings recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Parse every function body, even those the token pre-scan shows cannot change a
    /// finding. Slower; the findings are the same (for checking exactly that).
    #[arg(long, hide = true)]
    pub no_prescan: bool,
    /// Also read the dependencies' sources (located by `cargo metadata`, nothing is
    /// compiled) and report async calls into dependency functions that block. Their
    /// summaries are cached per crate version.
    #[arg(long)]
    pub deps: bool,
}

#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Files or directories to lint (directories are walked respecting .gitignore).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Color the human output: auto, always or never.
    #[arg(long, default_value = "auto")]
    pub color: ColorChoice,
    /// Record every current finding in this baseline file and exit 0.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,
    /// Apply the fixes marked machine-applicable, then report what remains.
    #[arg(long)]
    pub fix: bool,
}

/// Settings from configuration (found from `start`) with the command-line options on top.
pub fn settings(args: &RuleArgs, start: &Path) -> anyhow::Result<Settings> {
    let mut settings = Settings::default();
    let loaded = match &args.config {
        Some(file) if file.file_name().is_some_and(|n| n == "Cargo.toml") => {
            Some(config::load_cargo_metadata(file)?.with_context(|| {
                format!(
                    "{} has no [package.metadata.asyncwatch] or [workspace.metadata.asyncwatch]",
                    file.display()
                )
            })?)
        }
        Some(file) => Some(config::load_file(file)?),
        None if args.no_config => None,
        None => config::discover(start)?,
    };
    if let Some(loaded) = &loaded {
        loaded.apply(&mut settings)?;
    }
    if !args.select.is_empty() {
        settings.select_only(args.select.iter().map(String::as_str))?;
    }
    for name in &args.enable {
        settings.enable(name)?;
    }
    for name in &args.ignore {
        settings.disable(name)?;
    }
    settings.dependencies = args.deps;
    settings.prescan = !args.no_prescan;
    Ok(settings)
}

/// Lints `paths`, then hides baselined findings.
pub fn lint_report(
    paths: &[PathBuf],
    settings: &Settings,
    baseline: Option<&Path>,
    sources: &mut SourceCache,
) -> anyhow::Result<Report> {
    let mut report = asyncwatch_lint::lint_paths(paths, settings)?;
    if let Some(file) = baseline {
        Baseline::load(file)?.filter(&mut report, sources);
    }
    Ok(report)
}

pub fn execute(args: LintArgs) -> anyhow::Result<bool> {
    let start = args.paths.first().cloned().unwrap_or_else(|| ".".into());
    let settings = settings(&args.rules, &start)?;
    if args.fix {
        fix(&args.paths, &settings)?;
    }
    let mut sources = SourceCache::new();
    if let Some(file) = &args.write_baseline {
        let report = asyncwatch_lint::lint_paths(&args.paths, &settings)?;
        let baseline = Baseline::from_report(&report, &mut sources);
        baseline.save(file)?;
        eprintln!(
            "wrote {} finding{} to baseline {}",
            report.diagnostics.len(),
            if report.diagnostics.len() == 1 {
                ""
            } else {
                "s"
            },
            file.display()
        );
        return Ok(true);
    }
    let report = lint_report(
        &args.paths,
        &settings,
        args.rules.baseline.as_deref(),
        &mut sources,
    )?;
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let output = render(args.format, &report, &mut sources, color)?;
    crate::write_stdout(&output)?;
    Ok(report.diagnostics.is_empty() && report.errors.is_empty())
}

/// Applies machine-applicable fixes file by file until none is left (a few rounds at most:
/// overlapping fixes are taken one per round).
fn fix(paths: &[PathBuf], settings: &Settings) -> anyhow::Result<()> {
    let mut fixed = 0;
    let mut files = BTreeSet::new();
    for _ in 0..4 {
        let report = asyncwatch_lint::lint_paths(paths, settings)?;
        let targets: BTreeSet<&str> = report
            .diagnostics
            .iter()
            .filter(|d| {
                d.fix.as_ref().is_some_and(|f| {
                    f.applicability == asyncwatch_diagnostics::Applicability::MachineApplicable
                })
            })
            .map(|d| d.file.as_str())
            .collect();
        let mut round = 0;
        for file in targets {
            let source =
                std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?;
            let (text, applied) = asyncwatch_lint::apply_fixes(file, &source, &report.diagnostics);
            if applied > 0 && text != source {
                std::fs::write(file, text).with_context(|| format!("cannot write {file}"))?;
                round += applied;
                files.insert(file.to_owned());
            }
        }
        if round == 0 {
            break;
        }
        fixed += round;
    }
    eprintln!(
        "fixed {fixed} finding{} in {} file{}",
        if fixed == 1 { "" } else { "s" },
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    );
    Ok(())
}

/// SARIF's rule table, from the registry.
fn sarif_rules() -> Vec<SarifRule> {
    rules::all()
        .map(|rule| SarifRule {
            id: rule.name.to_owned(),
            short_description: rule.summary.to_owned(),
            full_description: crate::rules_docs_body(rule),
            default_severity: rule.default_severity,
            help_uri: None,
        })
        .collect()
}

pub fn render(
    format: Format,
    report: &Report,
    sources: &mut SourceCache,
    color: bool,
) -> anyhow::Result<String> {
    Ok(match format {
        Format::Human => render_human(report, sources, color),
        Format::Json => render_json(report, env!("CARGO_PKG_VERSION")),
        Format::RustcJson => render_rustc_json(
            report,
            sources,
            &mut asyncwatch_lint::manifest::cargo_context,
        ),
        Format::Sarif => {
            let base = std::env::current_dir().context("cannot read the current directory")?;
            render_sarif(
                report,
                &sarif_rules(),
                sources,
                &base,
                env!("CARGO_PKG_VERSION"),
            )
        }
        Format::Github => render_github(report),
    })
}
