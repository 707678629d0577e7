//! `asyncwatch run -- CMD`: owned by the runtime work (issue 3); this placeholder keeps the
//! binary building until it lands.
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The command to run, after `--`.
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

pub fn execute(_args: RunArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`asyncwatch run` is not built yet")
}
