//! `pgcrm completions SHELL`: prints a completion script generated from the clap definitions.

use super::{print_out, Cli, CommandResult};
use clap::CommandFactory;
use clap_complete::Shell;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to generate for
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: &Args) -> CommandResult {
    print_out(&script(args.shell))
}

/// The completion script for one shell, as checked in under completions/.
pub fn script(shell: Shell) -> String {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "pgcrm", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}
