//! `pgcrm completions SHELL`: prints the shell's completion script. The script asks pgcrm
//! itself for candidates on every TAB (`COMPLETE=SHELL pgcrm -- WORDS`, clap_complete's
//! `CompleteEnv`, see `main`), so it completes the cluster's resource and node names
//! (`candidates.rs`), not only the commands and options.

use super::{print_out, CommandResult};
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
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

/// The variable that turns a pgcrm run into a completion request.
pub const VAR: &str = "COMPLETE";

/// The completion script for one shell, as checked in under completions/. It calls `pgcrm`
/// from PATH (not the path of the binary that wrote it) so the checked-in files do not depend
/// on where they were generated.
pub fn script(shell: Shell) -> String {
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Elvish => &Elvish,
        Shell::Fish => &Fish,
        Shell::PowerShell => &Powershell,
        Shell::Zsh => &Zsh,
        _ => &Bash,
    };
    let mut buf = Vec::new();
    completer
        .write_registration(VAR, "pgcrm", "pgcrm", "pgcrm", &mut buf)
        .expect("writing to a Vec cannot fail");
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    if shell == Shell::Zsh {
        // Installed as _pgcrm in $fpath, zsh autoloads this file as the body of _pgcrm on the
        // first TAB: the registration alone would only take effect from the second one.
        text.push_str(
            "if [[ \"${funcstack[1]}\" == \"_pgcrm\" ]]; then\n    _clap_dynamic_completer_pgcrm \"$@\"\nfi\n",
        );
    }
    text
}
