//! `cargo xtask bench runtime [--rounds N] [--seconds S] [--http-rounds M] [--no-callgrind]`:
//! cost of asyncwatch-runtime's precise mode, printed as instrumented/plain ratios.
//!
//! - yield: 64 tasks yielding on a 2-worker runtime; nanoseconds per task poll, of wall time
//!   and of CPU time summed over the process's threads (the latter is not inflated by waiting
//!   for a core while other work loads the machine).
//! - http: a keep-alive HTTP server (fixtures/apps/bench) loaded from a second process over
//!   127.0.0.1 for S seconds; requests per second.
//! - instructions: when `valgrind` is on PATH, the yield workload under callgrind; instructions
//!   per poll inside tokio's `run_task` (the poll, tokio's hook dispatch and our hooks), which
//!   no machine load can disturb.
//!
//! Timing on a shared machine drifts and has spikes, so each round runs the plain and the
//! instrumented program twice each back to back (ABBA, BAAB on odd rounds) and keeps each
//! side's best run; the statistic is the per-round ratio, reported as median with quartiles
//! and min-max. One unrecorded warm-up pair runs first.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

const THRESHOLD_MS: &str = "10";
const YIELDS: &str = "50000";
/// Small enough for callgrind (~1 s per run), large enough for the per-poll cost to dominate.
const CALLGRIND_YIELDS: &str = "2000";

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut rounds = 15usize;
    let mut http_rounds = 5usize;
    let mut seconds = 2u64;
    let mut callgrind = true;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--no-callgrind" {
            callgrind = false;
            continue;
        }
        let value = iter
            .next()
            .with_context(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--rounds" => rounds = value.parse().context("--rounds takes a number")?,
            "--http-rounds" => {
                http_rounds = value.parse().context("--http-rounds takes a number")?
            }
            "--seconds" => seconds = value.parse().context("--seconds takes a number")?,
            other => bail!(
                "unknown argument `{other}`: expected --rounds N, --http-rounds M, --seconds S or --no-callgrind"
            ),
        }
    }
    let rounds = rounds.max(1);
    let bin = build()?;
    println!("asyncwatch-runtime overhead, precise mode (--cfg tokio_unstable), threshold {THRESHOLD_MS} ms");
    println!("machine: {}", machine());
    println!(
        "method: after one warm-up pair, each round runs plain and instrumented twice each back to back (ABBA, BAAB on odd rounds) and keeps each side's best run; ratio = instrumented/plain per round; median [quartiles] (min-max) over rounds"
    );

    // Per run: wall ns/poll, CPU ns/poll (all threads, watchdog included).
    let mut plain = [Vec::new(), Vec::new()];
    let mut watched = [Vec::new(), Vec::new()];
    yield_nanos_per_poll(&bin, false)?;
    yield_nanos_per_poll(&bin, true)?;
    for round in 0..rounds {
        let (p, w) = pair(round, f64::min, |on| yield_nanos_per_poll(&bin, on))?;
        for metric in 0..2 {
            plain[metric].push(p[metric]);
            watched[metric].push(w[metric]);
        }
    }
    let polls = 64 * (YIELDS.parse::<u64>().unwrap_or(0) + 1);
    println!(
        "yield:  {rounds} rounds x {polls} polls; wall {:.1} ns/poll plain, {:.1} instrumented (medians); ratio per poll {}",
        median(&plain[0]),
        median(&watched[0]),
        spread(&ratios(&watched[0], &plain[0]), "x"),
    );
    if plain[1].iter().all(|cpu| *cpu > 0.0) {
        println!(
            "yield:  CPU time of all threads {:.1} ns/poll plain, {:.1} instrumented (medians); ratio per poll {}",
            median(&plain[1]),
            median(&watched[1]),
            spread(&ratios(&watched[1], &plain[1]), "x"),
        );
    }

    if http_rounds > 0 {
        let mut plain = Vec::new();
        let mut watched = Vec::new();
        for round in 0..http_rounds {
            let (p, w) = pair(round, f64::max, |on| {
                http_requests_per_second(&bin, on, seconds).map(|rate| [rate])
            })?;
            plain.push(p[0]);
            watched.push(w[0]);
        }
        let per_round = ratios(&watched, &plain);
        println!(
            "http:   {http_rounds} rounds x {seconds} s, 16 connections; {:.0} req/s plain, {:.0} req/s instrumented (medians); throughput ratio {}",
            median(&plain),
            median(&watched),
            spread(&per_round, ""),
        );
    }

    if callgrind {
        match callgrind_instructions(&bin) {
            Ok(Some((plain, watched))) => println!(
                "instructions (callgrind, {CALLGRIND_YIELDS} yields x 64 tasks, inclusive in tokio's run_task per poll): {plain:.1} plain, {watched:.1} instrumented: +{:.1} per poll, ratio {:.3}x",
                watched - plain,
                watched / plain
            ),
            Ok(None) => println!("instructions: skipped (valgrind not found)"),
            Err(error) => println!("instructions: callgrind failed: {error:#}"),
        }
    }
    Ok(())
}

/// One round: plain and instrumented twice each in ABBA order (BAAB on odd rounds), so a
/// linear drift of the machine hits both alike; each side keeps its best run, as interference
/// on a shared machine only ever makes a run slower. `better` picks the best of two values.
fn pair<const N: usize>(
    round: usize,
    better: fn(f64, f64) -> f64,
    mut measure: impl FnMut(bool) -> anyhow::Result<[f64; N]>,
) -> anyhow::Result<([f64; N], [f64; N])> {
    let order = if round & 1 == 0 {
        [false, true, true, false]
    } else {
        [true, false, false, true]
    };
    let mut plain: Option<[f64; N]> = None;
    let mut watched: Option<[f64; N]> = None;
    for on in order {
        let value = measure(on)?;
        let side = if on { &mut watched } else { &mut plain };
        *side = Some(match *side {
            Some(best) => std::array::from_fn(|i| better(best[i], value[i])),
            None => value,
        });
    }
    Ok((
        plain.unwrap_or([f64::NAN; N]),
        watched.unwrap_or([f64::NAN; N]),
    ))
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|name| name.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown cpu".to_owned());
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|load| {
            load.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let clock =
        std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .map(|source| source.trim().to_owned())
            .unwrap_or_default();
    format!("{cores} cores, {cpu}, clocksource {clock}, load average {load} at start")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn build() -> anyhow::Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
        .join("fixture-apps/precise");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["build", "--release", "-p", "bench", "--manifest-path"])
        .arg(repo_root().join("fixtures/apps/Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .env("RUSTFLAGS", "--cfg tokio_unstable")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("building fixtures/apps/bench failed");
    }
    Ok(target.join("release"))
}

fn instrumented(command: &mut Command, on: bool) -> &mut Command {
    for name in [
        "ASYNCWATCH",
        "ASYNCWATCH_THRESHOLD_MS",
        "ASYNCWATCH_SINK",
        "ASYNCWATCH_OUTPUT",
    ] {
        command.env_remove(name);
    }
    if on {
        command
            .env("ASYNCWATCH_THRESHOLD_MS", THRESHOLD_MS)
            .env("ASYNCWATCH_OUTPUT", "json:/dev/null");
    }
    command
}

/// `yield_bench` prints `polls nanos cpu_nanos` (`cpu_nanos` 0 when unknown).
fn parse_yield_output(text: &str) -> anyhow::Result<(f64, f64, f64)> {
    let numbers: Vec<f64> = text
        .split_whitespace()
        .filter_map(|word| word.parse().ok())
        .collect();
    match numbers.as_slice() {
        [polls, nanos, cpu] if *polls > 0.0 => Ok((*polls, *nanos, *cpu)),
        _ => bail!("unexpected yield_bench output `{text}`"),
    }
}

/// Wall and CPU nanoseconds per poll.
fn yield_nanos_per_poll(bin: &Path, on: bool) -> anyhow::Result<[f64; 2]> {
    let output = instrumented(Command::new(bin.join("yield_bench")).arg(YIELDS), on)
        .output()
        .context("cannot run yield_bench")?;
    let (polls, nanos, cpu) = parse_yield_output(&String::from_utf8_lossy(&output.stdout))?;
    Ok([nanos / polls, cpu / polls])
}

fn http_requests_per_second(bin: &Path, on: bool, seconds: u64) -> anyhow::Result<f64> {
    let mut server = instrumented(&mut Command::new(bin.join("http_server")), on)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start http_server")?;
    let mut port = String::new();
    if let Some(stdout) = server.stdout.take() {
        BufReader::new(stdout).read_line(&mut port)?;
    }
    let load = Command::new(bin.join("http_load"))
        .args([port.trim(), &seconds.to_string(), "16"])
        .output()
        .context("cannot run http_load")?;
    drop(server.stdin.take());
    let _ = server.wait();
    let requests: f64 = String::from_utf8_lossy(&load.stdout)
        .trim()
        .parse()
        .context("unexpected http_load output")?;
    if requests == 0.0 {
        bail!("the load generator completed no request");
    }
    Ok(requests / seconds as f64)
}

/// Instructions per poll inclusive in tokio's `run_task`, plain and instrumented; `None`
/// without valgrind. Other threads (watchdog, parking) are left out on purpose: their share
/// depends on how long valgrind takes, not on the hooks.
fn callgrind_instructions(bin: &Path) -> anyhow::Result<Option<(f64, f64)>> {
    let found = Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        return Ok(None);
    }
    let dir = std::env::temp_dir().join(format!("asyncwatch-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut per_poll = [0.0; 2];
    for (index, on) in [false, true].into_iter().enumerate() {
        let out = dir.join(format!("callgrind.{index}"));
        let mut command = Command::new("valgrind");
        command
            .arg("--tool=callgrind")
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg(bin.join("yield_bench"))
            .arg(CALLGRIND_YIELDS)
            .stderr(Stdio::null());
        instrumented(&mut command, on);
        if on {
            // Under valgrind the run is ~50x slower, so a 10 ms threshold makes the watchdog
            // signal workers for stack captures, and callgrind 3.19 can crash delivering them.
            // The hot path costs the same instructions for any threshold of 4 ms or more.
            command.env("ASYNCWATCH_THRESHOLD_MS", "1000");
        }
        let output = command.output().context("cannot run valgrind")?;
        let (polls, _, _) = parse_yield_output(&String::from_utf8_lossy(&output.stdout))?;
        let annotated = Command::new("callgrind_annotate")
            .arg("--inclusive=yes")
            .arg("--threshold=100")
            .arg(&out)
            .stderr(Stdio::null())
            .output()
            .context("cannot run callgrind_annotate")?;
        let text = String::from_utf8_lossy(&annotated.stdout);
        let instructions = text
            .lines()
            .filter(|line| {
                line.contains("multi_thread::worker::Context::run_task [") && !line.contains("=>")
            })
            .filter_map(|line| line.split_whitespace().next())
            .filter_map(|count| count.replace(',', "").parse::<f64>().ok())
            .fold(0.0, f64::max);
        if instructions == 0.0 {
            bail!("no run_task cost in the callgrind profile");
        }
        per_poll[index] = instructions / polls;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Some((per_poll[0], per_poll[1])))
}

fn ratios(watched: &[f64], plain: &[f64]) -> Vec<f64> {
    watched.iter().zip(plain).map(|(w, p)| w / p).collect()
}

/// `median [p25-p75] (min-max)`.
fn spread(values: &[f64], unit: &str) -> String {
    format!(
        "{:.3}{unit} [quartiles {:.3}-{:.3}] (min-max {:.3}-{:.3})",
        quantile(values, 0.5),
        quantile(values, 0.25),
        quantile(values, 0.75),
        quantile(values, 0.0),
        quantile(values, 1.0),
    )
}

fn median(values: &[f64]) -> f64 {
    quantile(values, 0.5)
}

/// Linear interpolation between the closest ranks.
fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let position = q * (sorted.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = position.ceil() as usize;
    sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
}
