//! Project chores, run as `cargo xtask <task>` (the alias is in .cargo/config.toml):
//!
//! - `docs [--check]`: regenerate docs/rules/*.md and docs/cli.md (`--check`: fail if stale)
//! - `bench lint [--rounds N] [--cargo-perf PATH] [--json] [DIR]`: speed and memory of
//!   `asyncwatch lint` on a corpus, against read, syn parse and cargo-perf baselines
//! - `bench runtime [--rounds N] [--seconds S]`: overhead of the runtime watchdog
//! - `bench scale [--steps K] [DIR]`: how lint time and memory grow with the input
//! - `sweep [DIR]`: lint every .rs file under DIR, fail on internal errors and crashes
//! - `fuzz [--seconds N] [--target T]`: run the cargo-fuzz targets in fuzz/ (docs/reliability.md)

mod bench_lint;
mod bench_runtime;
mod bench_scale;
mod docs_gen;
mod fuzz;
mod measure;
mod sweep;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context};

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  docs [--check]                          regenerate docs/rules/ and docs/cli.md; --check fails if stale
  bench lint [--rounds N] [--cargo-perf PATH] [--json] [DIR]
                                          time asyncwatch lint on DIR (default: fetch the crates.io corpus)
                                          against read, syn parse and cargo-perf baselines
  bench runtime [--rounds N] [--seconds S]  overhead of the runtime watchdog
  bench scale [--steps K] [--rounds N] [--json] [DIR]
                                          lint time and peak RSS on growing shares of the crates under DIR
                                          (default: the registry cache, $CARGO_HOME/registry/src)
  sweep [--all-errors] [DIR]              lint every .rs file under DIR (default: the registry cache);
                                          fails on internal errors and crashes
  fuzz [--seconds N] [--target T] [--sanitizer S]
                                          run each fuzz target (lint_source, lint_generated, config) for N s";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let (task, rest) = args.split_first().map_or(("", &[][..]), |(t, r)| (t, r));
    match (task, rest) {
        ("docs", []) => docs(false),
        ("docs", [flag]) if flag == "--check" => docs(true),
        ("bench", [kind, rest @ ..]) if kind == "lint" => {
            bench_lint::run(rest).map(|()| ExitCode::SUCCESS)
        }
        ("bench", [kind, rest @ ..]) if kind == "runtime" => {
            bench_runtime::run(rest).map(|()| ExitCode::SUCCESS)
        }
        ("bench", [kind, rest @ ..]) if kind == "scale" => {
            bench_scale::run(rest).map(|()| ExitCode::SUCCESS)
        }
        ("sweep", rest) => sweep::run(rest),
        ("fuzz", rest) => fuzz::run(rest).map(|()| ExitCode::SUCCESS),
        ("bench-worker", rest) => bench_lint::worker(rest).map(|()| ExitCode::SUCCESS),
        ("help" | "--help" | "-h", _) => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            eprintln!("{USAGE}");
            Ok(ExitCode::from(2))
        }
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds the CLI (debug, like the tests) so its help can be rendered into docs/cli.md.
fn build_asyncwatch() -> anyhow::Result<PathBuf> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["build", "--quiet", "-p", "asyncwatch"])
        .current_dir(repo_root())
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("building asyncwatch failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    Ok(target.join("debug").join("asyncwatch"))
}

fn docs(check: bool) -> anyhow::Result<ExitCode> {
    let root = repo_root();
    let files = docs_gen::generate(&build_asyncwatch()?).map_err(anyhow::Error::msg)?;
    let mut stale = Vec::new();
    for (path, contents) in &files {
        let full = root.join(path);
        if std::fs::read_to_string(&full).ok().as_deref() == Some(contents.as_str()) {
            continue;
        }
        if check {
            stale.push(format!("{path} is out of date"));
        } else {
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&full, contents).with_context(|| format!("cannot write {path}"))?;
            println!("wrote {path}");
        }
    }
    // A page whose rule is gone (renamed or removed) must go too.
    let pages = std::fs::read_dir(root.join(docs_gen::RULES_DIR))
        .into_iter()
        .flatten();
    for entry in pages {
        let path = entry?.path();
        let relative = format!(
            "{}/{}",
            docs_gen::RULES_DIR,
            path.file_name().unwrap_or_default().to_string_lossy()
        );
        if files.iter().any(|(generated, _)| *generated == relative) {
            continue;
        }
        if check {
            stale.push(format!("{relative} documents no rule"));
        } else {
            std::fs::remove_file(&path).with_context(|| format!("cannot remove {relative}"))?;
            println!("removed {relative}");
        }
    }
    if !check {
        println!("docs written");
        return Ok(ExitCode::SUCCESS);
    }
    if stale.is_empty() {
        println!("docs are up to date");
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &stale {
        eprintln!("{problem}");
    }
    eprintln!("run `cargo xtask docs` and commit the result");
    Ok(ExitCode::from(1))
}
