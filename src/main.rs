//! The `pgcrm` binary: parses the command line, runs the command, maps errors to exit codes.

mod cli;
mod render;

fn main() {
    std::process::exit(cli::main());
}
