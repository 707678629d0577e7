//! `cargo xtask bench scale [--steps K] [--rounds N] [--json] [DIR]`: how the time and memory
//! of `asyncwatch lint` grow with the size of its input.
//!
//! The crate directories under DIR (default: the registry cache, `$CARGO_HOME/registry/src`,
//! whose `index.*` level is looked through) are sorted by name; step `i` of `K` lints every
//! `2^(K-i)`-th of them (with K = 4: every eighth, every fourth, every other one, all) in one
//! release process. Every step thus samples the same mix of crates (a prefix by name would
//! put all of `windows-sys` and `zerocopy` in the last steps), and each step's crates include
//! the previous step's,
//! the crate directories passed as separate arguments (the linter does not follow symlinked
//! directories below its arguments, so a directory of symlinks would look empty). Linear time
//! shows as a roughly constant s/MB from step to step; memory that does not grow with the run
//! as a roughly constant peak RSS.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::bench_lint::{corpus_size, LINT_ARGS};
use crate::measure::{self, mb, Output, Stats};

/// Above this many bytes of arguments the lint's command line could hit the kernel's limit
/// (ARG_MAX, usually 2 MB including the environment).
const MAX_ARGUMENT_BYTES: usize = 1 << 20;

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let context = measure::RunInfo::collect(&["bench", "scale"], args);
    let mut steps = 4usize;
    let mut rounds = 1usize;
    let mut json = false;
    let mut dir = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut number = |name: &str| -> anyhow::Result<usize> {
            let value: usize = iter
                .next()
                .with_context(|| format!("{name} needs a value"))?
                .parse()
                .with_context(|| format!("{name} takes a number"))?;
            if value == 0 {
                bail!("{name} must be at least 1");
            }
            Ok(value)
        };
        match arg.as_str() {
            "--steps" => steps = number("--steps")?,
            "--rounds" => rounds = number("--rounds")?,
            "--json" => json = true,
            other if other.starts_with('-') => bail!(
                "unknown argument `{other}`: expected --steps K, --rounds N, --json or a directory"
            ),
            other if dir.is_some() => bail!("unexpected second directory `{other}`"),
            other => dir = Some(PathBuf::from(other)),
        }
    }
    if steps > 16 {
        bail!(
            "--steps {steps}: the first step would lint 1/{} of the crates",
            1u64 << (steps - 1)
        );
    }
    let dir = match dir {
        Some(dir) => dir,
        None => registry_src()?,
    };
    let crates = crate_dirs(&dir)?;
    if crates.is_empty() {
        bail!("{}: no crate directories in it", dir.display());
    }
    let bin = measure::build_release()?;

    // Sizes per crate, summed per step below.
    let mut sizes = Vec::with_capacity(crates.len());
    for krate in &crates {
        sizes.push(corpus_size(std::slice::from_ref(krate))?);
    }
    // Each step's crates, as a stride through the sorted list.
    let mut strides: Vec<usize> = (0..steps)
        .map(|i| (1usize << (steps - 1 - i)).min(crates.len()))
        .collect();
    strides.dedup();
    let chosen = |stride: usize| -> Vec<&PathBuf> { crates.iter().step_by(stride).collect() };
    let argument_bytes: usize = crates.iter().map(|c| c.as_os_str().len() + 1).sum();
    if argument_bytes > MAX_ARGUMENT_BYTES {
        bail!(
            "{} crate directories make {argument_bytes} bytes of arguments, too many for one command line",
            crates.len()
        );
    }

    // Warm the page cache with every file once, so the first step is not the only cold one.
    measure::run_ok(
        Command::new(bin.join("xtask"))
            .args(["bench-worker", "read"])
            .args(&crates),
        Output::Discard,
    )?;
    let mut samples: Vec<Vec<measure::Sample>> = strides.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        for (step, &stride) in strides.iter().enumerate() {
            let crates = chosen(stride);
            if !json {
                eprint!(
                    "\rround {}/{rounds}, step {}/{}: {} crates   ",
                    round + 1,
                    step + 1,
                    strides.len(),
                    crates.len()
                );
            }
            let sample = measure::run_ok(
                Command::new(bin.join("asyncwatch"))
                    .args(LINT_ARGS)
                    .args(crates),
                Output::Discard,
            )?;
            samples[step].push(sample);
        }
    }
    if !json {
        eprintln!();
    }

    struct Row {
        crates: usize,
        files: usize,
        bytes: u64,
        stats: Stats,
    }
    let rows: Vec<Row> = strides
        .iter()
        .zip(&samples)
        .map(|(&stride, samples)| Row {
            crates: chosen(stride).len(),
            files: sizes.iter().step_by(stride).map(|(files, _)| files).sum(),
            bytes: sizes.iter().step_by(stride).map(|(_, bytes)| bytes).sum(),
            stats: Stats::of(samples),
        })
        .collect();
    let s_per_mb = |row: &Row| row.stats.secs() / mb(row.bytes).max(1e-9);
    // CPU time per MB: the figure that stays readable when other work shares the machine
    // (wall time then includes waiting for a core).
    let cpu_s_per_mb = |row: &Row| row.stats.cpu_median.as_secs_f64() / mb(row.bytes).max(1e-9);

    if json {
        let mut document = context.json();
        document["dir"] = dir.display().to_string().into();
        document["rounds"] = rounds.into();
        document["lint_args"] = LINT_ARGS.to_vec().into();
        document["threads"] = rayon::current_num_threads().into();
        document["steps"] = rows
            .iter()
            .map(|row| {
                serde_json::json!({
                    "crates": row.crates,
                    "files": row.files,
                    "bytes": row.bytes,
                    "median_wall_s": row.stats.secs(),
                    "median_cpu_s": row.stats.cpu_median.as_secs_f64(),
                    "s_per_mb": s_per_mb(row),
                    "cpu_s_per_mb": cpu_s_per_mb(row),
                    "peak_rss_mb": row.stats.rss_mb(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&document)?);
        return Ok(());
    }

    context.print();
    println!(
        "input:   {} ({} crate directories, sorted by name; step i of K takes every 2^(K-i)-th); {} threads; {rounds} round{} per step (median wall time, largest peak RSS)",
        dir.display(),
        crates.len(),
        rayon::current_num_threads(),
        if rounds == 1 { "" } else { "s" }
    );
    println!(
        "each step: asyncwatch {} <the first N crate directories>",
        LINT_ARGS.join(" ")
    );
    println!();
    println!(
        "{:>7} {:>7} {:>8} {:>9} {:>9} {:>8} {:>10} {:>10}",
        "crates", "files", "MB", "wall s", "cpu s", "s/MB", "cpu s/MB", "peak RSS"
    );
    for row in &rows {
        println!(
            "{:>7} {:>7} {:>8.1} {:>9.2} {:>9.2} {:>8.4} {:>10.4} {:>7.1} MB",
            row.crates,
            row.files,
            mb(row.bytes),
            row.stats.secs(),
            row.stats.cpu_median.as_secs_f64(),
            s_per_mb(row),
            cpu_s_per_mb(row),
            row.stats.rss_mb()
        );
    }
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        if rows.len() > 1 {
            println!();
            println!(
                "first to last step: input {:.1}x, wall time {:.1}x, s/MB {:.2}x, cpu s/MB {:.2}x, peak RSS {:.2}x\n\
                 (s/MB steady = linear time; peak RSS steady = memory flat in the input size)",
                last.bytes as f64 / first.bytes.max(1) as f64,
                last.stats.secs() / first.stats.secs(),
                s_per_mb(last) / s_per_mb(first),
                cpu_s_per_mb(last) / cpu_s_per_mb(first),
                last.stats.rss_mb() / first.stats.rss_mb()
            );
        }
    }
    Ok(())
}

/// `$CARGO_HOME/registry/src` (`~/.cargo/registry/src` by default): every crate cargo has
/// unpacked on this machine.
pub fn registry_src() -> anyhow::Result<PathBuf> {
    let home = match std::env::var_os("CARGO_HOME") {
        Some(home) => PathBuf::from(home),
        None => {
            PathBuf::from(std::env::var_os("HOME").context("neither CARGO_HOME nor HOME is set")?)
                .join(".cargo")
        }
    };
    let dir = home.join("registry").join("src");
    if !dir.is_dir() {
        bail!(
            "{}: no registry cache here; pass a directory",
            dir.display()
        );
    }
    Ok(dir)
}

/// The crate directories under `dir`, sorted by name: its subdirectories, except that one
/// without a Cargo.toml whose own subdirectories have one (a registry index directory such as
/// `index.crates.io-1949cf8c6b5b557f`) is replaced by those.
pub fn crate_dirs(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut crates = Vec::new();
    for child in subdirectories(dir)? {
        if child.join("Cargo.toml").is_file() {
            crates.push(child);
            continue;
        }
        let grandchildren = subdirectories(&child)?;
        if grandchildren.iter().any(|g| g.join("Cargo.toml").is_file()) {
            crates.extend(grandchildren);
        } else {
            crates.push(child);
        }
    }
    crates.sort_by(|a, b| a.file_name().cmp(&b.file_name()).then_with(|| a.cmp(b)));
    Ok(crates)
}

/// The directories directly in `dir` that the linter would walk (not hidden, not `target`).
fn subdirectories(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let name = entry.file_name();
        let skipped = name.to_string_lossy().starts_with('.') || name == "target";
        if !skipped && entry.file_type().is_ok_and(|t| t.is_dir()) {
            dirs.push(entry.path());
        }
    }
    dirs.sort();
    Ok(dirs)
}
