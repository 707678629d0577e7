//! `cargo xtask bench lint [--rounds N] [DIR]`: speed and memory of `asyncwatch lint` on a
//! corpus of real crates, against two baselines measured in the same session, interleaved:
//!
//! - read: discover the same files and read every byte (the I/O floor);
//! - parse: read and `syn::parse_file` every file, in parallel on as many threads as the
//!   linter uses (what any syn-based tool must pay).
//!
//! Everything runs as separate release-built processes; wall time is the median over the
//! rounds and peak RSS comes from `wait4`'s rusage of each child. Without DIR the corpus is
//! fetched from crates.io by xtask/fetch-corpus.sh (the async crates most used with tokio).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut rounds = 5usize;
    let mut dir = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--rounds" => {
                rounds = iter
                    .next()
                    .context("--rounds needs a value")?
                    .parse()
                    .context("--rounds takes a number")?;
            }
            other if other.starts_with('-') => {
                bail!("unknown argument `{other}`: expected --rounds N or a directory")
            }
            other => dir = Some(PathBuf::from(other)),
        }
    }
    let dir = match dir {
        Some(dir) => dir,
        None => fetch_corpus()?,
    };
    if !dir.is_dir() {
        bail!("{}: not a directory", dir.display());
    }
    let bin = build()?;
    let asyncwatch = bin.join("asyncwatch");
    let xtask = bin.join("xtask");

    let (files, bytes) = corpus_size(&dir)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // One untimed pass of each so every timed round starts with the page cache warm.
    measure(
        Command::new(&xtask)
            .args(["bench-worker", "read"])
            .arg(&dir),
    )?;
    let lint_output = measure(
        Command::new(&asyncwatch)
            .args(["lint", "--format", "json"])
            .arg(&dir),
    )?;
    let report: serde_json::Value =
        serde_json::from_slice(&lint_output.stdout).context("lint output is not JSON")?;

    let mut read = Vec::new();
    let mut parse = Vec::new();
    let mut lint = Vec::new();
    for _ in 0..rounds {
        read.push(measure(
            Command::new(&xtask)
                .args(["bench-worker", "read"])
                .arg(&dir),
        )?);
        parse.push(measure(
            Command::new(&xtask)
                .args(["bench-worker", "parse"])
                .arg(&dir),
        )?);
        lint.push(measure(
            Command::new(&asyncwatch)
                .args(["lint", "--format", "json"])
                .arg(&dir),
        )?);
    }
    let read = Stats::of(&read);
    let parse = Stats::of(&parse);
    let lint = Stats::of(&lint);

    println!(
        "corpus: {} ({files} .rs files, {:.1} MB); {threads} threads; {rounds} rounds, medians",
        dir.display(),
        bytes as f64 / 1e6
    );
    println!(
        "asyncwatch lint found {} diagnostics and {} unparsable files",
        report["summary"]["diagnostics"], report["summary"]["errors"]
    );
    for (name, stats) in [
        ("read only", &read),
        ("syn parse", &parse),
        ("asyncwatch lint", &lint),
    ] {
        println!(
            "{name:16} {:7.3} s  {:8.0} files/s  {:6.1} MB/s  peak RSS {:6.1} MB",
            stats.wall.as_secs_f64(),
            files as f64 / stats.wall.as_secs_f64(),
            bytes as f64 / 1e6 / stats.wall.as_secs_f64(),
            stats.max_rss_kb as f64 / 1024.0,
        );
    }
    println!(
        "lint / parse-only: {:.2}x wall time; lint / read-only: {:.1}x",
        lint.wall.as_secs_f64() / parse.wall.as_secs_f64(),
        lint.wall.as_secs_f64() / read.wall.as_secs_f64(),
    );
    Ok(())
}

/// The hidden `bench-worker read|parse DIR` subcommand, run from the release build.
pub fn worker(args: &[String]) -> anyhow::Result<()> {
    use rayon::prelude::*;
    let [mode, dir] = args else {
        bail!("usage: xtask bench-worker read|parse DIR");
    };
    let parse = match mode.as_str() {
        "read" => false,
        "parse" => true,
        other => bail!("unknown mode `{other}`"),
    };
    let files = asyncwatch_lint::discover(&[PathBuf::from(dir)])?;
    // Same stack size as the linter's pool: deeply nested code recurses deeply in syn.
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(64 << 20)
        .build()?;
    let parsed: usize = pool.install(|| {
        files
            .par_iter()
            .map(|path| {
                let Ok(source) = std::fs::read_to_string(path) else {
                    return 0;
                };
                if !parse {
                    return usize::from(!source.is_empty());
                }
                let ok = syn::parse_file(&source).is_ok();
                // As the linter does: keeps proc-macro2's span table from growing per file.
                proc_macro2::extra::invalidate_current_thread_spans();
                usize::from(ok)
            })
            .sum()
    });
    println!("{} {parsed}", files.len());
    Ok(())
}

struct Sample {
    wall: Duration,
    max_rss_kb: i64,
    stdout: Vec<u8>,
}

struct Stats {
    wall: Duration,
    max_rss_kb: i64,
}

impl Stats {
    fn of(samples: &[Sample]) -> Stats {
        let mut walls: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
        walls.sort();
        Stats {
            wall: walls[walls.len() / 2],
            max_rss_kb: samples.iter().map(|s| s.max_rss_kb).max().unwrap_or(0),
        }
    }
}

/// Runs the command to completion, timing it and reading its peak RSS from `wait4`.
fn measure(command: &mut Command) -> anyhow::Result<Sample> {
    let start = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {command:?}"))?;
    let mut stdout = Vec::new();
    if let Some(mut pipe) = child.stdout.take() {
        pipe.read_to_end(&mut stdout)?;
    }
    let pid = libc::pid_t::try_from(child.id()).context("pid out of range")?;
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; the child is ours and not yet reaped
    // (std's `Child` is never waited on here).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    if reaped != pid {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    // asyncwatch lint exits 1 when it finds something, which a real corpus does.
    if !matches!(code, Some(0 | 1)) {
        bail!("{command:?} failed with status {status}");
    }
    Ok(Sample {
        wall,
        max_rss_kb: usage.ru_maxrss,
        stdout,
    })
}

fn corpus_size(dir: &Path) -> anyhow::Result<(usize, u64)> {
    let files = asyncwatch_lint::discover(&[dir.to_path_buf()])?;
    let mut bytes = 0;
    for file in &files {
        bytes += std::fs::metadata(file)?.len();
    }
    Ok((files.len(), bytes))
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

/// Builds asyncwatch and this xtask in release; returns the directory holding both.
fn build() -> anyhow::Result<PathBuf> {
    let status = cargo()
        .args(["build", "--release", "-p", "asyncwatch", "-p", "xtask"])
        .current_dir(repo_root())
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("release build failed");
    }
    Ok(std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
        .join("release"))
}

fn fetch_corpus() -> anyhow::Result<PathBuf> {
    let script = repo_root().join("xtask/fetch-corpus.sh");
    eprintln!("fetching the corpus with {}", script.display());
    let output = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run bash")?;
    if !output.status.success() {
        bail!("{} failed", script.display());
    }
    let text = String::from_utf8(output.stdout).context("corpus path is not UTF-8")?;
    let dir = text.lines().last().unwrap_or_default().trim();
    if dir.is_empty() {
        bail!("{} printed no directory", script.display());
    }
    Ok(PathBuf::from(dir))
}
