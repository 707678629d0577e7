//! `cargo xtask bench runtime [--rounds N] [--seconds S]`: cost of asyncwatch-runtime's
//! precise mode, each workload run without and with instrumentation in the same session
//! (interleaved, medians), printed as ratios.
//!
//! - yield: 64 tasks yielding on a 2-worker runtime; nanoseconds per task poll.
//! - http: a keep-alive HTTP server (fixtures/apps/bench) loaded from a second process over
//!   127.0.0.1 for S seconds; requests per second.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

const THRESHOLD_MS: &str = "10";

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut rounds = 5usize;
    let mut seconds = 3u64;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let value = iter
            .next()
            .with_context(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--rounds" => rounds = value.parse().context("--rounds takes a number")?,
            "--seconds" => seconds = value.parse().context("--seconds takes a number")?,
            other => bail!("unknown argument `{other}`: expected --rounds N or --seconds S"),
        }
    }
    let bin = build()?;
    println!("asyncwatch-runtime overhead, precise mode (--cfg tokio_unstable), threshold {THRESHOLD_MS} ms, {rounds} rounds, medians");

    let mut plain = Vec::new();
    let mut watched = Vec::new();
    for _ in 0..rounds {
        plain.push(yield_nanos_per_poll(&bin, false)?);
        watched.push(yield_nanos_per_poll(&bin, true)?);
    }
    let (plain, watched) = (median(plain), median(watched));
    println!(
        "yield:  {plain:.1} ns/poll plain, {watched:.1} ns/poll instrumented: ratio {:.3}x per poll",
        watched / plain
    );

    let mut plain = Vec::new();
    let mut watched = Vec::new();
    for _ in 0..rounds.min(3) {
        plain.push(http_requests_per_second(&bin, false, seconds)?);
        watched.push(http_requests_per_second(&bin, true, seconds)?);
    }
    let (plain, watched) = (median(plain), median(watched));
    println!(
        "http:   {plain:.0} req/s plain, {watched:.0} req/s instrumented: throughput ratio {:.3} ({:+.1}%)",
        watched / plain,
        (watched / plain - 1.0) * 100.0
    );
    Ok(())
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

fn yield_nanos_per_poll(bin: &Path, on: bool) -> anyhow::Result<f64> {
    let output = instrumented(Command::new(bin.join("yield_bench")).arg("50000"), on)
        .output()
        .context("cannot run yield_bench")?;
    let text = String::from_utf8_lossy(&output.stdout);
    let numbers: Vec<f64> = text
        .split_whitespace()
        .filter_map(|word| word.parse().ok())
        .collect();
    match numbers.as_slice() {
        [polls, nanos] if *polls > 0.0 => Ok(nanos / polls),
        _ => bail!("unexpected yield_bench output `{text}`"),
    }
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

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}
