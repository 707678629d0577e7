//! The `asyncwatch` command line: thin glue over the analyzer and the runtime supervisor.
//!
//! Exit codes: 0 when clean, 1 when there are findings (or files that could not be
//! analyzed), 2 on usage and I/O errors.

// The analyzer allocates and frees millions of small syntax nodes on two threads: mimalloc
// spends a quarter less CPU on that than glibc's allocator (docs/performance.md).
#[global_allocator]
static ALLOCATOR: Mimalloc = Mimalloc;

/// mimalloc, through its plain entry points wherever they give the alignment asked for.
/// The `mimalloc` crate calls `mi_malloc_aligned` for every allocation, which costs about
/// half again as many instructions as `mi_malloc` on the small blocks syn allocates by the
/// million (an identifier cloned at each keyword peek).
struct Mimalloc;

/// What `mi_malloc` aligns every block to (`MI_MAX_ALIGN_SIZE`) when the size is at least
/// that; a smaller block is aligned to its size's power of two, as std's `System` assumes
/// of `malloc`.
const MI_MAX_ALIGN_SIZE: usize = 16;

fn plain(layout: std::alloc::Layout) -> bool {
    layout.align() <= MI_MAX_ALIGN_SIZE && layout.align() <= layout.size()
}

// SAFETY: every block comes from mimalloc and goes back to it (`mi_free` takes blocks of
// every entry point); the plain entry points are used only where their alignment suffices.
unsafe impl std::alloc::GlobalAlloc for Mimalloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if plain(layout) {
            // SAFETY: as `GlobalAlloc::alloc`.
            unsafe { libmimalloc_sys::mi_malloc(layout.size()).cast() }
        } else {
            // SAFETY: as `GlobalAlloc::alloc`.
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        if plain(layout) {
            // SAFETY: as `GlobalAlloc::alloc_zeroed`.
            unsafe { libmimalloc_sys::mi_zalloc(layout.size()).cast() }
        } else {
            // SAFETY: as `GlobalAlloc::alloc_zeroed`.
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from this allocator.
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let new_layout = std::alloc::Layout::from_size_align(new_size, layout.align());
        if new_layout.is_ok_and(plain) {
            // SAFETY: `ptr` came from this allocator; `mi_realloc` keeps the plain alignment.
            unsafe { libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast() }
        } else {
            // SAFETY: as `GlobalAlloc::realloc`.
            unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
        }
    }
}

/// mimalloc v3's `mi_option_purge_delay` (`mi_option_t` in its `mimalloc.h`), which
/// `libmimalloc-sys` does not name.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Returns freed memory to the OS 2 ms after it is freed instead of mimalloc's default of a
/// second: a lint run frees each file's syntax tree as the next is parsed, and a long delay
/// keeps a second's worth of them resident (peak RSS about 40% higher on the bench corpus).
/// `MIMALLOC_PURGE_DELAY` in the environment still wins.
fn tune_allocator() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets a plain integer option; called first thing in `main`, before any
        // other thread exists.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 2) };
    }
}

mod cmd_check;
mod cmd_lint;
mod cmd_run;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use asyncwatch_lint::rules;
use clap::{Parser, Subcommand, ValueEnum};

const EXIT_FINDINGS: u8 = 1;
pub(crate) const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "asyncwatch",
    version,
    about = "Finds code that blocks an async runtime",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Report blocking calls in async code (static analysis; nothing is compiled or run).
    Lint(cmd_lint::LintArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Print a rule's documentation.
    Explain {
        /// The rule's name, e.g. `blocking-sleep`.
        rule: String,
    },
    /// Run a command with the runtime watchdog switched on and report stalls.
    Run(cmd_run::RunArgs),
    /// Run CMD (e.g. `cargo clippy --message-format=json`), then append asyncwatch's findings
    /// as cargo JSON messages: for rust-analyzer's `check.overrideCommand`.
    Check(cmd_check::CheckArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
struct RulesArgs {
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            if is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Lint(args) => lint(args),
        Command::Rules(args) => list_rules(args.format),
        Command::Explain { rule } => explain(&rule),
        Command::Run(args) => cmd_run::execute(args),
        Command::Check(args) => cmd_check::execute(args),
    }
}

fn lint(args: cmd_lint::LintArgs) -> anyhow::Result<ExitCode> {
    Ok(if cmd_lint::execute(args)? {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    })
}

fn list_rules(format: Format) -> anyhow::Result<ExitCode> {
    let output = match format {
        Format::Json => {
            let rules: Vec<_> = rules::all()
                .map(|rule| {
                    serde_json::json!({
                        "name": rule.name,
                        "severity": rule.default_severity.as_str(),
                        "enabled_by_default": rule.enabled_by_default,
                        "summary": rule.summary,
                    })
                })
                .collect();
            format!("{}\n", serde_json::to_string_pretty(&rules)?)
        }
        Format::Human => {
            let width = rules::all().map(|r| r.name.len()).max().unwrap_or(0);
            let mut out = String::new();
            for rule in rules::all() {
                let flag = if rule.enabled_by_default {
                    ""
                } else {
                    " (pedantic, off by default)"
                };
                out.push_str(&format!(
                    "{:width$}  {:7}  {}{flag}\n",
                    rule.name,
                    rule.default_severity.as_str(),
                    rule.summary
                ));
            }
            out
        }
    };
    write_stdout(&output)?;
    Ok(ExitCode::SUCCESS)
}

fn explain(name: &str) -> anyhow::Result<ExitCode> {
    let rule = rules::by_name(name).ok_or_else(|| asyncwatch_lint::UnknownRule(name.to_owned()))?;
    let output = format!("# {}\n\n{}", rule.name, rules_docs_body(rule));
    write_stdout(&output)?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn rules_docs_body(rule: &asyncwatch_lint::Rule) -> String {
    rule.docs
        .lines()
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

pub(crate) fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .context("cannot write to stdout")?;
    stdout.flush().context("cannot write to stdout")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::{GlobalAlloc as _, Layout};

    #[test]
    fn purge_delay_index_is_mimalloc_purge_delay() {
        // Option 15 of mimalloc v3 starts at the purge delay's documented default, 1000 ms;
        // another version's numbering would start elsewhere and `tune_allocator` would set
        // the wrong option.
        let expected = std::env::var("MIMALLOC_PURGE_DELAY")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000);
        // SAFETY: reads a plain integer option.
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, expected);
    }

    #[test]
    fn every_block_has_the_alignment_asked_for() {
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1, 3, 8, 16, 24, 100, 5000, 1 << 20] {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: nonzero sizes; each block is freed with its own layout.
                unsafe {
                    let block = ALLOCATOR.alloc(layout);
                    assert!(!block.is_null());
                    assert_eq!(block as usize % align, 0, "size {size}, align {align}");
                    block.write_bytes(0xa5, size);
                    let grown = ALLOCATOR.realloc(block, layout, size * 3);
                    assert_eq!(grown as usize % align, 0, "grown {size}, align {align}");
                    assert_eq!(*grown, 0xa5);
                    ALLOCATOR.dealloc(grown, Layout::from_size_align(size * 3, align).unwrap());
                    let zeroed = ALLOCATOR.alloc_zeroed(layout);
                    assert_eq!(zeroed as usize % align, 0);
                    assert!(std::slice::from_raw_parts(zeroed, size)
                        .iter()
                        .all(|&b| b == 0));
                    ALLOCATOR.dealloc(zeroed, layout);
                }
            }
        }
    }
}
