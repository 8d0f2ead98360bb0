//! `pgcrm generate-assets DIR` (hidden): writes completions/ and man/ under DIR from the clap
//! definitions. Run `cargo run -- generate-assets .` after changing any command; a test fails
//! when the checked-in files are stale.

use super::{completions, Cli, CommandError, CommandResult};
use clap::CommandFactory;
use clap_complete::Shell;
use pgcrm::error::exit;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The repository root to write completions/ and man/ into
    pub dir: PathBuf,
}

/// The shells whose scripts are checked in, and their file names.
pub const SHELLS: &[(Shell, &str)] = &[
    (Shell::Bash, "pgcrm.bash"),
    (Shell::Zsh, "_pgcrm"),
    (Shell::Fish, "pgcrm.fish"),
];

pub fn run(args: &Args) -> CommandResult {
    write_assets(&args.dir).map_err(|e| {
        eprintln!(
            "pgcrm: cannot write assets under {}: {e}",
            args.dir.display()
        );
        CommandError::Exit(exit::ERROR)
    })
}

fn write_assets(dir: &Path) -> std::io::Result<()> {
    let comp = dir.join("completions");
    std::fs::create_dir_all(&comp)?;
    for (shell, name) in SHELLS {
        std::fs::write(comp.join(name), completions::script(*shell))?;
    }
    let man = dir.join("man");
    std::fs::create_dir_all(&man)?;
    let mut cmd = Cli::command();
    // Subcommands' arguments are deferred until built (`defer` in cli/mod.rs); building also
    // gives each page the global options, and adds clap's `help` subcommands (no page).
    cmd.build();
    write_man(&cmd, "pgcrm", "pgcrm", &man)?;
    Ok(())
}

/// One page per command and subcommand: pgcrm.1, pgcrm-status.1...
fn write_man(cmd: &clap::Command, name: &str, bin_name: &str, dir: &Path) -> std::io::Result<()> {
    let cmd = cmd
        .clone()
        .name(name.to_string())
        .bin_name(bin_name.to_string());
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
    std::fs::write(dir.join(format!("{name}.1")), buf)?;
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let sub_name = sub.get_name();
        write_man(
            sub,
            &format!("{name}-{sub_name}"),
            &format!("{bin_name} {sub_name}"),
            dir,
        )?;
    }
    Ok(())
}
