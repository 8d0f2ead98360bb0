//! `pgcrm completions SHELL`: prints a completion script generated from the clap definitions.

use super::{print_out, Cli, CommandResult};
use clap::{Command, CommandFactory};
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
    let mut cmd = without_hidden(Cli::command());
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "pgcrm", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// clap_complete offers hidden subcommands too (`agent`, `generate-assets`), which users must
/// not be shown. clap cannot remove a subcommand, so a command that has hidden ones is rebuilt
/// from what completion scripts use: name, version, about, arguments and the visible
/// subcommands.
fn without_hidden(cmd: Command) -> Command {
    if !cmd.get_subcommands().any(|s| s.is_hide_set()) {
        return cmd.mut_subcommands(without_hidden);
    }
    let mut out = Command::new(cmd.get_name().to_string())
        .args(cmd.get_arguments().cloned())
        .subcommands(
            cmd.get_subcommands()
                .filter(|s| !s.is_hide_set())
                .cloned()
                .map(without_hidden),
        );
    if let Some(v) = cmd.get_version() {
        out = out.version(v.to_string());
    }
    if let Some(about) = cmd.get_about() {
        out = out.about(about.clone());
    }
    if let Some(about) = cmd.get_long_about() {
        out = out.long_about(about.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_subcommands_are_not_completed() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let s = script(shell);
            assert!(s.contains("status"), "{shell}: visible commands kept");
            assert!(s.contains("completions"), "{shell}");
            for hidden in ["generate-assets", "agent install", "run by Pacemaker"] {
                assert!(!s.contains(hidden), "{shell} completes {hidden}");
            }
        }
    }
}
