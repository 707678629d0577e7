//! `cargo xtask sweep [--all-errors] [DIR]`: lints every `.rs` file under DIR (default: the
//! registry cache, `$CARGO_HOME/registry/src`, i.e. every crate cargo has unpacked here) with
//! the release binary and every rule, and fails if the linter broke on any of them.
//!
//! It reports the files, bytes, time, findings and the files the linter could not analyze, by
//! kind. Syntax errors are expected (the registry holds parser test suites full of files that
//! are not Rust on purpose), and so are files that are not UTF-8; what fails the sweep is:
//!
//! - an internal error: a panic the linter caught and reported as a file error whose message
//!   starts with "internal error";
//! - a panic printed on stderr that no file error reports (caught and dropped);
//! - the process dying from a signal (stack overflow, abort, OOM kill) or exiting with a code
//!   other than 0 or 1.
//!
//! When the one process over DIR crashes or panics, each crate directory is linted alone to
//! find the crates, and then each file of those crates to find the files.
//!
//! Files the directory walk skips (hidden, under `target/`, or matched by a `.gitignore`) are
//! linted too, named explicitly on the command line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{bail, Context};

use crate::bench_lint::LINT_ARGS;
use crate::bench_scale::{crate_dirs, registry_src};
use crate::measure::{self, mb, Exit, Output};

/// Arguments per process when naming files explicitly, to stay far below ARG_MAX.
const FILES_PER_PROCESS: usize = 2000;

/// One linter process: how it ended and what it reported.
struct Run {
    paths: Vec<PathBuf>,
    wall: Duration,
    cpu: Duration,
    max_rss_kb: i64,
    exit: Exit,
    /// The JSON report, when the process finished and printed one.
    report: Option<serde_json::Value>,
    /// Panic messages on stderr ("thread '...' panicked at ...", and the line after it).
    panics: Vec<String>,
    stderr: String,
}

impl Run {
    /// Crashed, exited with an unexpected code, or printed no report.
    fn failed(&self) -> bool {
        !matches!(self.exit, Exit::Code(0 | 1)) || self.report.is_none()
    }

    /// Panics on stderr that the report does not account for as internal errors.
    fn unreported_panics(&self) -> usize {
        let internal = self.report.as_ref().map_or(0, |report| {
            errors(report)
                .filter(|(_, message)| Kind::of(message) == Kind::Internal)
                .count()
        });
        self.panics.len().saturating_sub(internal)
    }

    fn broken(&self) -> bool {
        self.failed() || self.unreported_panics() > 0
    }
}

fn lint(asyncwatch: &Path, paths: &[PathBuf]) -> anyhow::Result<Run> {
    let mut command = Command::new(asyncwatch);
    command.args(LINT_ARGS).args(paths);
    let sample = measure::run(&mut command, Output::Capture)?;
    let stderr = String::from_utf8_lossy(&sample.stderr).into_owned();
    let lines: Vec<&str> = stderr.lines().collect();
    let panics = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.contains("panicked at"))
        .map(|(i, line)| match lines.get(i + 1) {
            Some(next) => format!("{line} {next}"),
            None => (*line).to_owned(),
        })
        .collect();
    Ok(Run {
        paths: paths.to_vec(),
        wall: sample.wall,
        cpu: sample.cpu,
        max_rss_kb: sample.max_rss_kb,
        exit: sample.exit,
        report: serde_json::from_slice(&sample.stdout).ok(),
        panics,
        stderr,
    })
}

/// Why the linter could not analyze a file, from its error message (docs/json.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Syntax,
    NotUtf8,
    Unreadable,
    /// Binary, over `max-file-size`, or nested deeper than the parser's stack allows.
    Refused,
    Internal,
    Other,
}

impl Kind {
    fn of(message: &str) -> Kind {
        if message.starts_with("internal error") {
            Kind::Internal
        } else if message.starts_with("syntax error") {
            Kind::Syntax
        } else if message.starts_with("file is not valid UTF-8") {
            Kind::NotUtf8
        } else if message.starts_with("cannot read file") {
            Kind::Unreadable
        } else if message.starts_with("not Rust source")
            || message.contains("larger than the")
            || message.starts_with("brackets nest more than")
            || message.starts_with("one expression chains more than")
        {
            Kind::Refused
        } else {
            Kind::Other
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Syntax => "syntax error (expected: parser test suites, templates)",
            Kind::NotUtf8 => "not UTF-8",
            Kind::Unreadable => "unreadable",
            Kind::Refused => "refused (binary, too large or nested too deep)",
            Kind::Internal => "internal error (caught panic)",
            Kind::Other => "other",
        }
    }
}

fn errors(report: &serde_json::Value) -> impl Iterator<Item = (&str, &str)> {
    report["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|error| {
            (
                error["file"].as_str().unwrap_or("?"),
                error["message"].as_str().unwrap_or(""),
            )
        })
}

pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let info = measure::RunInfo::collect(&["sweep"], args);
    let mut all_errors = false;
    let mut dir = None;
    for arg in args {
        match arg.as_str() {
            "--all-errors" => all_errors = true,
            other if other.starts_with('-') => {
                bail!("unknown argument `{other}`: expected --all-errors or a directory")
            }
            other if dir.is_some() => bail!("unexpected second directory `{other}`"),
            other => dir = Some(PathBuf::from(other)),
        }
    }
    let dir = match dir {
        Some(dir) => dir,
        None => registry_src()?,
    };
    if !dir.is_dir() {
        bail!("{}: not a directory", dir.display());
    }
    let asyncwatch = measure::build_release()?.join("asyncwatch");

    let mut every = Vec::new();
    rust_files(&dir, &mut every)?;
    every.sort();
    let walked: BTreeSet<PathBuf> = asyncwatch_lint::discover(std::slice::from_ref(&dir))?
        .into_iter()
        .collect();
    let skipped: Vec<PathBuf> = every
        .iter()
        .filter(|file| !walked.contains(*file))
        .cloned()
        .collect();
    let mut bytes = 0;
    for file in &every {
        bytes += std::fs::symlink_metadata(file)
            .with_context(|| format!("cannot stat {}", file.display()))?
            .len();
    }

    eprintln!(
        "linting {} .rs files ({:.1} MB) under {}",
        every.len(),
        mb(bytes),
        dir.display()
    );
    let mut runs = vec![lint(&asyncwatch, std::slice::from_ref(&dir))?];
    for chunk in skipped.chunks(FILES_PER_PROCESS) {
        runs.push(lint(&asyncwatch, chunk)?);
    }
    // Where a process broke, find the crates, then the files, that break it.
    let mut culprits: Vec<(PathBuf, String)> = Vec::new();
    // When the run over DIR printed no report, the per-crate runs' reports stand in for it
    // (they lint the same files, with less cross-crate context).
    let mut stand_ins = Vec::new();
    if runs[0].broken() {
        eprintln!(
            "the run over {} broke ({}); linting each crate alone to find where",
            dir.display(),
            describe(&runs[0])
        );
        let crates = crate_dirs(&dir)?;
        let mut per_crate = Vec::with_capacity(crates.len());
        for (index, krate) in crates.iter().enumerate() {
            eprint!("\rcrate {}/{}   ", index + 1, crates.len());
            per_crate.push(lint(&asyncwatch, std::slice::from_ref(krate))?);
        }
        eprintln!();
        for crate_run in per_crate.iter().filter(|run| run.broken()) {
            culprits.extend(locate_files(&asyncwatch, crate_run)?);
        }
        if culprits.is_empty() {
            culprits.push((
                dir.clone(),
                format!("{}; no single crate breaks alone", describe(&runs[0])),
            ));
        }
        if runs[0].report.is_none() {
            stand_ins = per_crate;
        }
    }
    for run in &runs[1..] {
        if run.broken() {
            culprits.extend(locate_files(&asyncwatch, run)?);
        }
    }

    // Everything the reports say, summed over the processes.
    let wall: Duration = runs.iter().map(|run| run.wall).sum();
    let cpu: Duration = runs.iter().map(|run| run.cpu).sum();
    let peak_rss_kb = runs.iter().map(|run| run.max_rss_kb).max().unwrap_or(0);
    let mut analyzed = 0;
    let mut findings = 0;
    let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_kind: BTreeMap<Kind, Vec<(String, String)>> = BTreeMap::new();
    let mut seen_errors = BTreeSet::new();
    let reports = runs
        .iter()
        .chain(&stand_ins)
        .filter_map(|run| run.report.as_ref());
    for report in reports {
        analyzed += report["summary"]["files"].as_u64().unwrap_or(0);
        findings += report["summary"]["diagnostics"].as_u64().unwrap_or(0);
        if let Some(rules) = report["summary"]["by_rule"].as_object() {
            for (rule, count) in rules {
                *by_rule.entry(rule.clone()).or_default() += count.as_u64().unwrap_or(0);
            }
        }
        for (file, message) in errors(report) {
            if seen_errors.insert((file.to_owned(), message.to_owned())) {
                by_kind
                    .entry(Kind::of(message))
                    .or_default()
                    .push((file.to_owned(), message.to_owned()));
            }
        }
    }

    info.print();
    println!(
        "swept:   {} ({} .rs files, {:.1} MB; {} of them skipped by the directory walk and named explicitly)",
        dir.display(),
        every.len(),
        mb(bytes),
        skipped.len()
    );
    println!(
        "ran:     asyncwatch {} DIR, {} process{}",
        LINT_ARGS.join(" "),
        runs.len(),
        if runs.len() == 1 { "" } else { "es" }
    );
    if !stand_ins.is_empty() {
        println!(
            "         (the run over DIR printed no report: the counts below come from {} runs, one per crate)",
            stand_ins.len()
        );
    }
    println!(
        "time:    {:.1} s wall, {:.1} s CPU, {:.1} MB/s; peak RSS {:.1} MB",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        mb(bytes) / wall.as_secs_f64(),
        peak_rss_kb as f64 / 1024.0
    );
    println!("files:   {analyzed} analyzed (as the reports count them)");
    println!("findings: {findings}");
    for (rule, count) in &by_rule {
        println!("  {count:>7}  {rule}");
    }
    let error_total: usize = by_kind.values().map(Vec::len).sum();
    println!("file errors: {error_total}");
    for (kind, list) in &by_kind {
        println!("  {:>7}  {}", list.len(), kind.name());
        let shown = if all_errors || *kind == Kind::Internal || *kind == Kind::Other {
            list.len()
        } else {
            3
        };
        for (file, message) in list.iter().take(shown) {
            println!("             {file}: {}", first_line(message));
        }
        if list.len() > shown {
            println!("             ... (--all-errors lists them all)");
        }
    }

    let internal = by_kind.get(&Kind::Internal).map_or(0, Vec::len);
    let mut failures = Vec::new();
    if internal > 0 {
        failures.push(format!("{internal} internal error{}", plural(internal)));
    }
    for run in runs.iter().filter(|run| run.broken()) {
        failures.push(describe(run));
        for panic in &run.panics {
            println!("  stderr: {}", first_line(panic));
        }
        if run.failed() {
            // The end of stderr says why it died (a stack overflow, a panic while panicking).
            let lines: Vec<&str> = run
                .stderr
                .lines()
                .filter(|l| !l.trim().is_empty())
                .collect();
            for line in &lines[lines.len().saturating_sub(10)..] {
                println!("  stderr: {line}");
            }
        }
    }
    if !culprits.is_empty() {
        println!("files that break the linter on their own:");
        for (file, why) in &culprits {
            println!("  {}: {why}", file.display());
        }
    }
    if failures.is_empty() {
        println!("sweep passed: no internal error, no crash");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("sweep FAILED: {}", failures.join("; "));
        Ok(ExitCode::from(1))
    }
}

/// Lints each file of a broken run alone; returns the files that break the linter alone, or
/// the run's paths when none does (the failure needs the files together).
///
/// "Alone" means a copy in an empty temporary directory: linted in place, a file brings the
/// other files of its crate along (the crate model reads them for cross-file analysis), so
/// every file of a crate with one bad file would look bad.
fn locate_files(asyncwatch: &Path, run: &Run) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let files = asyncwatch_lint::discover(&run.paths)?;
    let mut culprits = Vec::new();
    let scratch = tempfile::tempdir().context("cannot create a temporary directory")?;
    let copy = scratch.path().join("alone.rs");
    for file in &files {
        std::fs::copy(file, &copy).with_context(|| format!("cannot copy {}", file.display()))?;
        let alone = lint(asyncwatch, std::slice::from_ref(&copy))?;
        if alone.broken() {
            let why = describe(&alone).replace(&copy.display().to_string(), "a copy of it alone");
            culprits.push((file.clone(), why));
        }
    }
    if culprits.is_empty() {
        for path in &run.paths {
            culprits.push((
                path.clone(),
                format!("{} (no file breaks alone)", describe(run)),
            ));
        }
    }
    Ok(culprits)
}

fn describe(run: &Run) -> String {
    let mut what = Vec::new();
    if !matches!(run.exit, Exit::Code(0 | 1)) {
        what.push(run.exit.to_string());
    } else if run.report.is_none() {
        what.push("printed no JSON report".to_owned());
    }
    let panics = run.unreported_panics();
    if panics > 0 {
        what.push(format!(
            "{panics} panic{} on stderr that no file error reports",
            plural(panics)
        ));
    }
    if what.is_empty() {
        what.push("internal errors".to_owned());
    }
    format!(
        "{} on {}",
        what.join(", "),
        match run.paths.as_slice() {
            [one] => one.display().to_string(),
            many => format!("{} paths", many.len()),
        }
    )
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Every `.rs` file under `dir`, hidden and ignored ones included; symlinks are not followed
/// (nor are they by the linter's walk).
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot stat {}", entry.path().display()))?;
        let path = entry.path();
        if kind.is_dir() {
            rust_files(&path, out)?;
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}
