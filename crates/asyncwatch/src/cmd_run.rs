//! `asyncwatch run -- CMD`: glue between the command line and the `asyncwatch-run` crate.
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum RunFormat {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: the command's own; 128+N when it was killed by signal N; 3 with \
--fail-on-stall when it exited 0 but stalled; 127 when it was not found, 126 when it could not be \
executed; 2 on asyncwatch's own errors (including a report that could not be written). On SIGINT \
or SIGTERM asyncwatch passes the signal on to the command, waits for it, writes the report, then \
ends by the same signal (a shell shows 128+N). See docs/reliability.md."
)]
pub struct RunArgs {
    /// Polls running at least this long are stalls (e.g. 10ms, 250us, 1s).
    #[arg(long, default_value = "10ms", value_parser = parse_threshold)]
    pub threshold: Duration,
    /// `json` prints the report as one JSON document on standard output.
    #[arg(long, value_enum, default_value = "human")]
    pub format: RunFormat,
    /// Write the JSON report to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Exit with code 3 when the command succeeded but stalled.
    #[arg(long)]
    pub fail_on_stall: bool,
    /// The command to run, after `--`.
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

fn parse_threshold(text: &str) -> Result<Duration, asyncwatch_run::ThresholdError> {
    asyncwatch_run::parse_threshold(text)
}

pub fn execute(args: RunArgs) -> anyhow::Result<ExitCode> {
    let options = asyncwatch_run::RunOptions {
        command: args.command,
        threshold: args.threshold,
        format: match args.format {
            RunFormat::Human => asyncwatch_run::Format::Human,
            RunFormat::Json => asyncwatch_run::Format::Json,
        },
        report: args.report,
        fail_on_stall: args.fail_on_stall,
    };
    let outcome = match asyncwatch_run::run(&options) {
        Ok(outcome) => outcome,
        // The command never ran: a shell's code (127, 126) tells this from a failed run.
        Err(error @ asyncwatch_run::RunError::Spawn { .. }) => {
            eprintln!("error: {error}");
            return Ok(ExitCode::from(error.exit_code()));
        }
        Err(error) => return Err(error.into()),
    };
    if let Some(signal) = outcome.interrupted_by {
        asyncwatch_run::exit_by_signal(signal);
    }
    Ok(ExitCode::from(outcome.exit_code))
}
