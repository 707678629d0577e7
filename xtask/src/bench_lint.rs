//! `cargo xtask bench lint [--rounds N] [--cargo-perf PATH] [--json] [DIR]`: speed and memory
//! of `asyncwatch lint` on a corpus of real crates, against baselines measured in the same
//! session, with the passes interleaved round by round so that a change in machine load hits
//! all of them alike:
//!
//! - read: discover the same files and read every byte (the I/O floor);
//! - parse: read and `syn::parse_file` every file, in parallel on as many threads as the
//!   linter uses (what any syn-based tool must pay);
//! - serial parse: the same on one thread (what a tool that does not parallelize pays);
//! - lint: `asyncwatch lint --format json` with every rule, pedantic ones included, and the
//!   whole-crate analysis (always on) over the corpus;
//! - cargo-perf: the peer tool `cargo-perf check --strict DIR`, when it is installed.
//!
//! Everything runs as separate release-built processes; wall time is the median (and
//! quartiles) over the rounds and peak RSS comes from `wait4`'s rusage of each child. Without
//! DIR the corpus is fetched from crates.io by xtask/fetch-corpus.sh (the async crates most
//! used with tokio).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

use crate::measure::{self, mb, Output, Sample, Stats};

/// The arguments of every measured lint: every rule, and no configuration file found by
/// walking up from the corpus, so that the figures do not depend on where it lies.
pub const LINT_ARGS: [&str; 6] = ["lint", "--format", "json", "--select", "all", "--no-config"];

struct Options {
    rounds: usize,
    cargo_perf: Option<PathBuf>,
    json: bool,
    dir: Option<PathBuf>,
}

fn parse_args(args: &[String]) -> anyhow::Result<Options> {
    let mut options = Options {
        rounds: 5,
        cargo_perf: None,
        json: false,
        dir: None,
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--rounds" => {
                options.rounds = iter
                    .next()
                    .context("--rounds needs a value")?
                    .parse()
                    .context("--rounds takes a number")?;
                if options.rounds == 0 {
                    bail!("--rounds must be at least 1");
                }
            }
            "--cargo-perf" => {
                options.cargo_perf = Some(PathBuf::from(
                    iter.next().context("--cargo-perf needs a path")?,
                ));
            }
            "--json" => options.json = true,
            other if other.starts_with('-') => bail!(
                "unknown argument `{other}`: expected --rounds N, --cargo-perf PATH, --json or a directory"
            ),
            other if options.dir.is_some() => bail!("unexpected second directory `{other}`"),
            other => options.dir = Some(PathBuf::from(other)),
        }
    }
    Ok(options)
}

/// One measured pass: its name, the command that runs it, and its samples.
struct Pass {
    name: String,
    command: Command,
    samples: Vec<Sample>,
}

impl Pass {
    fn new(name: impl Into<String>, command: Command) -> Pass {
        Pass {
            name: name.into(),
            command,
            samples: Vec::new(),
        }
    }
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let context = measure::RunInfo::collect(&["bench", "lint"], args);
    let options = parse_args(args)?;
    let dir = match options.dir {
        Some(dir) => dir,
        None => fetch_corpus()?,
    };
    if !dir.is_dir() {
        bail!("{}: not a directory", dir.display());
    }
    let cargo_perf = find_cargo_perf(options.cargo_perf)?;
    let bin = measure::build_release()?;
    let asyncwatch = bin.join("asyncwatch");
    let xtask = bin.join("xtask");

    let (files, bytes) = corpus_size(std::slice::from_ref(&dir))?;
    // The linter and the parse worker both build a rayon pool with the default size: the
    // RAYON_NUM_THREADS variable if set, else one thread per CPU. So is this one.
    let threads = rayon::current_num_threads();

    let worker = |mode: &str| {
        let mut command = Command::new(&xtask);
        command.args(["bench-worker", mode]).arg(&dir);
        command
    };
    let mut lint = Command::new(&asyncwatch);
    lint.args(LINT_ARGS).arg(&dir);
    let mut passes = vec![
        Pass::new("read only", worker("read")),
        Pass::new(
            format!("syn parse, {threads} thread{}", plural(threads)),
            worker("parse"),
        ),
        Pass::new("syn parse, 1 thread", worker("parse-serial")),
        Pass::new("asyncwatch lint", lint),
    ];
    let (read, parse, serial, lint) = (0, 1, 2, 3);
    let mut cargo_perf_version = None;
    if let Some(path) = &cargo_perf {
        cargo_perf_version = Some(tool_version(path));
        let mut command = Command::new(path);
        command.args(["check", "--strict"]).arg(&dir);
        passes.push(Pass::new("cargo-perf --strict", command));
    }
    let peer = cargo_perf.as_ref().map(|_| 4);

    // One untimed pass of each, so every timed round starts with the page cache warm; the
    // lint's output gives the counts of what it found.
    let mut report = serde_json::Value::Null;
    for (index, pass) in passes.iter_mut().enumerate() {
        if index == lint {
            let sample = measure::run_ok(&mut pass.command, Output::Capture)?;
            report = serde_json::from_slice(&sample.stdout).context("lint output is not JSON")?;
        } else {
            measure::run_ok(&mut pass.command, Output::Discard)?;
        }
    }
    for round in 0..options.rounds {
        if !options.json {
            eprint!("\rround {}/{}", round + 1, options.rounds);
        }
        for pass in &mut passes {
            let sample = measure::run_ok(&mut pass.command, Output::Discard)?;
            pass.samples.push(sample);
        }
    }
    if !options.json {
        eprintln!();
    }
    let stats: Vec<Stats> = passes.iter().map(|p| Stats::of(&p.samples)).collect();
    let ratio = |a: usize, b: usize| stats[a].secs() / stats[b].secs();

    if options.json {
        let pass_json = |(pass, stats): (&Pass, &Stats)| {
            serde_json::json!({
                "name": pass.name,
                "command": measure::display_command(&pass.command),
                "wall_s": pass.samples.iter().map(|s| s.wall.as_secs_f64()).collect::<Vec<_>>(),
                "cpu_s": pass.samples.iter().map(|s| s.cpu.as_secs_f64()).collect::<Vec<_>>(),
                "peak_rss_kb": pass.samples.iter().map(|s| s.max_rss_kb).collect::<Vec<_>>(),
                "median_wall_s": stats.secs(),
                "q1_wall_s": stats.q1.as_secs_f64(),
                "q3_wall_s": stats.q3.as_secs_f64(),
                "mb_per_s": mb(bytes) / stats.secs(),
                "max_peak_rss_mb": stats.rss_mb(),
            })
        };
        let mut document = context.json();
        document["corpus"] = serde_json::json!({
            "dir": dir.display().to_string(),
            "files": files,
            "bytes": bytes,
        });
        document["threads"] = threads.into();
        document["rounds"] = options.rounds.into();
        document["lint_summary"] = report["summary"].clone();
        document["cargo_perf"] = cargo_perf_version.into();
        document["passes"] = passes.iter().zip(&stats).map(pass_json).collect();
        document["ratios"] = serde_json::json!({
            "lint_over_parse": ratio(lint, parse),
            "lint_over_serial_parse": ratio(lint, serial),
            "lint_over_cargo_perf": peer.map(|p| ratio(lint, p)),
            "lint_over_read": ratio(lint, read),
        });
        println!("{}", serde_json::to_string_pretty(&document)?);
        return Ok(());
    }

    context.print();
    println!(
        "corpus:  {} ({files} .rs files, {:.1} MB)",
        dir.display(),
        mb(bytes)
    );
    println!(
        "threads: {threads} for the parallel parse and the lint (rayon's default: RAYON_NUM_THREADS, else one per CPU)"
    );
    println!(
        "rounds:  {} interleaved; wall time is the median [first-third quartile], CPU time (user+sys) the median, peak RSS the largest",
        options.rounds
    );
    println!(
        "lint:    {} diagnostics, {} file errors in {} files",
        report["summary"]["diagnostics"], report["summary"]["errors"], report["summary"]["files"]
    );
    match (&cargo_perf, &cargo_perf_version) {
        (Some(path), Some(version)) => println!("peer:    {version} ({})", path.display()),
        _ => println!(
            "peer:    cargo-perf not found (pass --cargo-perf PATH, set CARGO_PERF or put it on PATH); skipped"
        ),
    }
    println!();
    println!(
        "{:22} {:>24} {:>8} {:>8} {:>9} {:>10}",
        "pass", "wall s [q1-q3]", "cpu s", "MB/s", "files/s", "peak RSS"
    );
    for (pass, stats) in passes.iter().zip(&stats) {
        println!(
            "{:22} {:>24} {:>8.3} {:>8.1} {:>9.0} {:>7.1} MB",
            pass.name,
            format!(
                "{:.3} [{:.3}-{:.3}]",
                stats.secs(),
                stats.q1.as_secs_f64(),
                stats.q3.as_secs_f64()
            ),
            stats.cpu_median.as_secs_f64(),
            mb(bytes) / stats.secs(),
            files as f64 / stats.secs(),
            stats.rss_mb(),
        );
    }
    println!();
    print!(
        "ratios of median wall time: lint / parse {:.2}x; lint / 1-thread parse {:.2}x; ",
        ratio(lint, parse),
        ratio(lint, serial)
    );
    match peer {
        Some(peer) => print!("lint / cargo-perf {:.2}x; ", ratio(lint, peer)),
        None => print!("lint / cargo-perf n/a; "),
    }
    println!("lint / read {:.1}x", ratio(lint, read));
    println!();
    println!("commands (each round runs them in this order):");
    for pass in &passes {
        println!("  {}", measure::display_command(&pass.command));
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `--cargo-perf PATH`, else `$CARGO_PERF`, else `cargo-perf` on PATH; `None` when none is
/// installed. A path given explicitly must exist.
fn find_cargo_perf(explicit: Option<PathBuf>) -> anyhow::Result<Option<PathBuf>> {
    if let Some(path) = explicit {
        if !path.is_file() {
            bail!("--cargo-perf {}: no such file", path.display());
        }
        return Ok(Some(path));
    }
    if let Some(path) = std::env::var_os("CARGO_PERF") {
        let path = PathBuf::from(path);
        if !path.is_file() {
            bail!("CARGO_PERF={}: no such file", path.display());
        }
        return Ok(Some(path));
    }
    Ok(std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("cargo-perf"))
            .find(|candidate| candidate.is_file())
    }))
}

fn tool_version(path: &Path) -> String {
    Command::new(path)
        .arg("--version")
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|version| !version.is_empty())
        .unwrap_or_else(|| "cargo-perf (unknown version)".to_owned())
}

/// The hidden `bench-worker read|parse|parse-serial PATH...` subcommand, run from the release
/// build: reads (and parses) the files the linter would lint under PATH.
pub fn worker(args: &[String]) -> anyhow::Result<()> {
    use rayon::prelude::*;
    let [mode, paths @ ..] = args else {
        bail!("usage: xtask bench-worker read|parse|parse-serial PATH...");
    };
    let (parse, serial) = match mode.as_str() {
        "read" => (false, false),
        "parse" => (true, false),
        "parse-serial" => (true, true),
        other => bail!("unknown mode `{other}`"),
    };
    if paths.is_empty() {
        bail!("bench-worker {mode}: no path given");
    }
    let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let files = asyncwatch_lint::discover(&paths)?;
    let visit = move |path: &PathBuf| {
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
    };
    // Same stack size as the linter's pool: deeply nested code recurses deeply in syn.
    const STACK: usize = 64 << 20;
    let parsed: usize = if serial {
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(STACK)
                .spawn_scoped(scope, || files.iter().map(visit).sum())
                .context("cannot start the parsing thread")?
                .join()
                .map_err(|_| anyhow::anyhow!("the parsing thread panicked"))
        })?
    } else {
        let pool = rayon::ThreadPoolBuilder::new().stack_size(STACK).build()?;
        pool.install(|| files.par_iter().map(visit).sum())
    };
    println!("{} {parsed}", files.len());
    Ok(())
}

/// The number of files the linter would lint under `paths`, and their total size in bytes.
pub fn corpus_size(paths: &[PathBuf]) -> anyhow::Result<(usize, u64)> {
    let files = asyncwatch_lint::discover(paths)?;
    let mut bytes = 0;
    for file in &files {
        bytes += std::fs::metadata(file)
            .with_context(|| format!("cannot stat {}", file.display()))?
            .len();
    }
    Ok((files.len(), bytes))
}

fn fetch_corpus() -> anyhow::Result<PathBuf> {
    let script = measure::repo_root().join("xtask/fetch-corpus.sh");
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
