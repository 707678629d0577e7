//! What the benchmarking tasks share: running a child process while timing it and reading
//! its rusage from `wait4`, summary statistics over rounds, the release build, and the facts
//! about the machine and the checkout that belong next to any number we record.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    /// Killed by this signal (a crash: SIGSEGV, SIGABRT from a double panic or a stack
    /// overflow, SIGKILL from the OOM killer, ...).
    Signal(i32),
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exit code {code}"),
            Exit::Signal(signal) => {
                write!(f, "killed by signal {signal} ({})", signal_name(*signal))
            }
        }
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        _ => "other",
    }
}

/// One run of a child process.
pub struct Sample {
    pub wall: Duration,
    /// User plus system CPU time: less disturbed than wall time when the machine is busy.
    pub cpu: Duration,
    pub max_rss_kb: i64,
    pub exit: Exit,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Where a child's output goes.
#[derive(Clone, Copy)]
pub enum Output {
    /// Discarded: timed rounds should not pay for a reader in this process.
    Discard,
    /// Read into [`Sample::stdout`] and [`Sample::stderr`].
    Capture,
}

/// Runs the command to completion, timing it and reading its peak RSS and CPU time from
/// `wait4`. Fails only if the child cannot be started or reaped; how it ended is in the
/// sample.
pub fn run(command: &mut Command, output: Output) -> anyhow::Result<Sample> {
    let (out, err) = match output {
        Output::Discard => (Stdio::null(), Stdio::null()),
        Output::Capture => (Stdio::piped(), Stdio::piped()),
    };
    let start = Instant::now();
    let mut child = command
        .stdout(out)
        .stderr(err)
        .spawn()
        .with_context(|| format!("cannot start {}", display_command(command)))?;
    // Stderr is drained on a thread so that neither pipe can fill up and stall the child.
    let stderr_reader = child.stderr.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let mut buffer = Vec::new();
            let _ = pipe.read_to_end(&mut buffer);
            buffer
        })
    });
    let mut stdout = Vec::new();
    if let Some(mut pipe) = child.stdout.take() {
        pipe.read_to_end(&mut stdout)
            .context("cannot read the child's output")?;
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
    let stderr = stderr_reader
        .map(|reader| reader.join().unwrap_or_default())
        .unwrap_or_default();
    let exit = if libc::WIFSIGNALED(status) {
        Exit::Signal(libc::WTERMSIG(status))
    } else {
        Exit::Code(libc::WEXITSTATUS(status))
    };
    let timeval = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Ok(Sample {
        wall,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        max_rss_kb: usage.ru_maxrss,
        exit,
        stdout,
        stderr,
    })
}

/// [`run`] for a tool that exits 0 (clean) or 1 (found something): anything else is an error.
pub fn run_ok(command: &mut Command, output: Output) -> anyhow::Result<Sample> {
    let sample = run(command, output)?;
    if !matches!(sample.exit, Exit::Code(0 | 1)) {
        let stderr = String::from_utf8_lossy(&sample.stderr);
        bail!(
            "{} failed: {}{}{}",
            display_command(command),
            sample.exit,
            if stderr.trim().is_empty() { "" } else { "\n" },
            stderr.trim_end()
        );
    }
    Ok(sample)
}

/// The command line as one could paste it into a shell (arguments with spaces quoted).
pub fn display_command(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|arg| shell_word(&arg.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Wall time quartiles over the rounds of one pass, and the largest peak RSS seen.
#[derive(Clone, Copy)]
pub struct Stats {
    pub q1: Duration,
    pub median: Duration,
    pub q3: Duration,
    pub cpu_median: Duration,
    pub max_rss_kb: i64,
}

impl Stats {
    pub fn of(samples: &[Sample]) -> Stats {
        let walls: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
        let cpus: Vec<Duration> = samples.iter().map(|s| s.cpu).collect();
        Stats {
            q1: quantile(&walls, 0.25),
            median: quantile(&walls, 0.5),
            q3: quantile(&walls, 0.75),
            cpu_median: quantile(&cpus, 0.5),
            max_rss_kb: samples.iter().map(|s| s.max_rss_kb).max().unwrap_or(0),
        }
    }

    pub fn secs(&self) -> f64 {
        self.median.as_secs_f64()
    }

    pub fn rss_mb(&self) -> f64 {
        self.max_rss_kb as f64 / 1024.0
    }
}

/// The `q` quantile with linear interpolation between the closest ranks (R's type 7, numpy's
/// default): for 5 rounds the quartiles are the 2nd and 4th of the sorted times.
pub fn quantile(values: &[Duration], q: f64) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    match sorted.len() {
        0 => Duration::ZERO,
        1 => sorted[0],
        n => {
            let rank = q * (n - 1) as f64;
            let low = rank.floor() as usize;
            let high = rank.ceil() as usize;
            let fraction = rank - low as f64;
            sorted[low] + (sorted[high] - sorted[low]).mul_f64(fraction)
        }
    }
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds asyncwatch and this xtask in release; returns the directory holding both.
pub fn build_release() -> anyhow::Result<PathBuf> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
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

/// What to record next to a measurement: where it ran, on what, and on which code.
pub struct RunInfo {
    pub date: String,
    pub commit: String,
    pub cpus: usize,
    pub cpu_model: String,
    pub memory: String,
    /// The 1, 5 and 15 minute load averages when the run started: a load near or above the
    /// number of CPUs means other work shared the machine and times are inflated.
    pub load: String,
    /// The xtask command line, as typed.
    pub command: String,
}

impl RunInfo {
    pub fn collect(task_args: &[&str], args: &[String]) -> RunInfo {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|line| line.starts_with("model name"))
            .and_then(|line| line.split_once(':'))
            .map_or_else(
                || "unknown".to_owned(),
                |(_, model)| model.trim().to_owned(),
            );
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| {
                let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
                let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
                Some(format!("{:.1} GB", kb / 1024.0 / 1024.0))
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let load = std::fs::read_to_string("/proc/loadavg")
            .map(|text| {
                text.split_whitespace()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_else(|_| "unknown".to_owned());
        let command = ["cargo", "xtask"]
            .into_iter()
            .chain(task_args.iter().copied())
            .map(str::to_owned)
            .chain(args.iter().map(|a| shell_word(a)))
            .collect::<Vec<_>>()
            .join(" ");
        RunInfo {
            date: command_output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
                .unwrap_or_else(|| "unknown".to_owned()),
            commit: git_commit(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            memory,
            load,
            command,
        }
    }

    pub fn print(&self) {
        println!("command: {}", self.command);
        println!("commit:  {}; {}", self.commit, self.date);
        println!(
            "machine: {} CPUs ({}), {} RAM; load average at start {}",
            self.cpus, self.cpu_model, self.memory, self.load
        );
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "command": self.command,
            "commit": self.commit,
            "date": self.date,
            "machine": {
                "cpus": self.cpus,
                "cpu_model": self.cpu_model,
                "memory": self.memory,
                "load_average_at_start": self.load,
            },
        })
    }
}

/// The checked-out commit, marked `-dirty` when tracked files have uncommitted changes (the
/// numbers then belong to no commit).
fn git_commit() -> String {
    let root = repo_root();
    let Some(hash) = command_output(
        Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .current_dir(&root),
    ) else {
        return "unknown (not a git checkout?)".to_owned();
    };
    let dirty = command_output(
        Command::new("git")
            .args(["status", "--porcelain", "--untracked-files=no"])
            .current_dir(&root),
    )
    .is_some_and(|status| !status.is_empty());
    if dirty {
        format!("{hash}-dirty")
    } else {
        hash
    }
}

fn command_output(command: &mut Command) -> Option<String> {
    let output = command.stderr(Stdio::null()).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Bytes as megabytes (10^6), as the throughput figures use.
pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}
