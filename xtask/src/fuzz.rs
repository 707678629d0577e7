//! `cargo xtask fuzz [--seconds N] [--target T] [--sanitizer S]`: runs the cargo-fuzz
//! targets in fuzz/ (libFuzzer) one after the other, each for N seconds on one core, with
//! seeds from the lint fixtures and examples, and prints how many inputs each ran.
//!
//! Works on the stable toolchain: cargo-fuzz passes `-Z` flags, which `RUSTC_BOOTSTRAP=1`
//! lets stable accept. `--no-cfg-fuzzing` keeps proc-macro2's span locations, which it turns
//! off under `cfg(fuzzing)`: without them every diagnostic would sit at line 0 and the fixes
//! and suppressions, which work on offsets, would go untested.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

pub const TARGETS: &[&str] = &["lint_source", "lint_generated", "config"];

struct Options {
    seconds: u64,
    targets: Vec<String>,
    sanitizer: String,
}

fn parse(args: &[String]) -> anyhow::Result<Options> {
    let mut options = Options {
        seconds: 60,
        targets: Vec::new(),
        sanitizer: "address".to_owned(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .with_context(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--seconds" => {
                let text = value("--seconds")?;
                options.seconds = text
                    .parse()
                    .ok()
                    .filter(|&s| s > 0)
                    .with_context(|| format!("--seconds: `{text}` is not a positive number"))?;
            }
            "--target" => {
                let target = value("--target")?;
                if !TARGETS.contains(&target.as_str()) {
                    bail!(
                        "unknown fuzz target `{target}`; the targets are {}",
                        TARGETS.join(", ")
                    );
                }
                options.targets.push(target);
            }
            "--sanitizer" => options.sanitizer = value("--sanitizer")?,
            other => bail!(
                "unknown option `{other}`\nusage: cargo xtask fuzz [--seconds N] [--target T]... [--sanitizer address|none]"
            ),
        }
    }
    if options.targets.is_empty() {
        options.targets = TARGETS.iter().map(|t| (*t).to_owned()).collect();
    }
    Ok(options)
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let options = parse(args)?;
    let root = crate::repo_root()
        .canonicalize()
        .context("cannot find the repository root")?;
    let fuzz_dir = root.join("fuzz");
    ensure_cargo_fuzz()?;
    let mut totals = Vec::new();
    for target in &options.targets {
        let corpus = fuzz_dir.join("corpus").join(target);
        std::fs::create_dir_all(&corpus)
            .with_context(|| format!("cannot create {}", corpus.display()))?;
        let seeded = seed(&root, target, &corpus)?;
        eprintln!(
            "==> fuzzing {target} for {} s ({seeded} seed files copied into {})",
            options.seconds,
            corpus.display()
        );
        let stats = fuzz(&root, target, &options)?;
        totals.push((target.clone(), stats));
    }
    println!(
        "\nfuzz summary (one core, sanitizer: {}):",
        options.sanitizer
    );
    for (target, stats) in &totals {
        println!(
            "  {target}: {} executions in {} s, {}",
            stats.executions,
            stats.seconds,
            stats.outcome.as_deref().unwrap_or("no crash")
        );
    }
    if let Some((target, stats)) = totals.iter().find(|(_, s)| s.outcome.is_some()) {
        bail!(
            "{target} found a problem: {}\nreproduce with `RUSTC_BOOTSTRAP=1 cargo fuzz run --no-cfg-fuzzing {target} ARTIFACT` in fuzz/, fix it, and add the input to crates/asyncwatch-lint/tests/fuzz_regressions.rs",
            stats.outcome.as_deref().unwrap_or_default()
        );
    }
    Ok(())
}

/// Finds cargo-fuzz, installing it from crates.io if it is missing.
fn ensure_cargo_fuzz() -> anyhow::Result<()> {
    let found = Command::new(cargo())
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Ok(());
    }
    eprintln!(
        "cargo-fuzz is not installed: installing it with `cargo install cargo-fuzz --locked`"
    );
    let status = Command::new(cargo())
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
        .context("cannot run cargo install")?;
    if !status.success() {
        bail!(
            "cargo-fuzz is missing and `cargo install cargo-fuzz --locked` failed; install it by hand (it needs crates.io) and run `cargo xtask fuzz` again"
        );
    }
    Ok(())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Copies the seed inputs of `target` into its corpus; returns how many.
fn seed(root: &Path, target: &str, corpus: &Path) -> anyhow::Result<usize> {
    let mut seeds = Vec::new();
    match target {
        "lint_source" => {
            collect(&root.join("fixtures/lint"), "rs", &mut seeds);
            collect(&root.join("examples"), "rs", &mut seeds);
        }
        "config" => {
            collect(&root.join("fixtures"), "toml", &mut seeds);
            collect(&root.join("examples"), "toml", &mut seeds);
        }
        // Its inputs are choices in a grammar, not text: libFuzzer starts from nothing.
        _ => {}
    }
    for seed in &seeds {
        let relative = seed.strip_prefix(root).unwrap_or(seed);
        let name = format!("seed-{}", relative.display()).replace(['/', '\\'], "_");
        std::fs::copy(seed, corpus.join(name))
            .with_context(|| format!("cannot copy seed {}", seed.display()))?;
    }
    Ok(seeds.len())
}

fn collect(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == "target") {
            continue;
        }
        if path.is_dir() {
            collect(&path, extension, out);
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
}

#[derive(Default)]
struct Stats {
    executions: u64,
    seconds: u64,
    /// What libFuzzer reported instead of finishing (a crash, a timeout, out of memory).
    outcome: Option<String>,
}

fn fuzz(root: &Path, target: &str, options: &Options) -> anyhow::Result<Stats> {
    let fuzz_dir = root.join("fuzz");
    let mut command = Command::new(cargo());
    command
        .current_dir(root)
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", "run", "--no-cfg-fuzzing", "--sanitizer"])
        .arg(&options.sanitizer)
        .arg(target)
        .arg("--")
        .arg(format!("-max_total_time={}", options.seconds))
        .arg("-print_final_stats=1")
        .arg(format!(
            "-dict={}",
            fuzz_dir.join("dict/rust.dict").display()
        ))
        // A single input that takes 20 s is a hang worth reporting.
        .arg("-timeout=20")
        .arg("-rss_limit_mb=4096")
        .stderr(Stdio::piped());
    if target == "config" {
        // Settings leak the few strings of configured blocking functions on purpose
        // (`Settings::add_blocking_function`): not a leak to report.
        command.arg("-detect_leaks=0");
    }
    let mut child = command
        .spawn()
        .context("cannot run `cargo fuzz run` (is cargo-fuzz installed?)")?;
    let mut stats = Stats::default();
    let stderr = child.stderr.take().context("no stderr")?;
    for line in BufReader::new(stderr).lines() {
        let line = line.context("cannot read cargo fuzz's output")?;
        eprintln!("{line}");
        if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
            stats.executions = n.trim().parse().unwrap_or(0);
        } else if let Some(rest) = line.strip_prefix("Done ") {
            // "Done 12345 runs in 60 second(s)"
            let words: Vec<&str> = rest.split_whitespace().collect();
            if let [runs, "runs", "in", seconds, ..] = words.as_slice() {
                stats.executions = runs.parse().unwrap_or(stats.executions);
                stats.seconds = seconds.parse().unwrap_or(0);
            }
        } else if line.starts_with("SUMMARY: ") || line.contains("ERROR: libFuzzer:") {
            stats.outcome.get_or_insert(line.clone());
        } else if let Some(at) = line.find("Test unit written to ") {
            let artifact = &line[at + "Test unit written to ".len()..];
            stats.outcome = Some(format!(
                "{}; input saved as {artifact}",
                stats.outcome.as_deref().unwrap_or("crash")
            ));
        }
    }
    let status = child.wait().context("cargo fuzz did not finish")?;
    if !status.success() && stats.outcome.is_none() {
        stats.outcome = Some(format!("cargo fuzz run exited with {status}"));
    }
    Ok(stats)
}
