//! The `pgcrm` binary: parses the command line, runs the command, maps errors to exit codes.

mod cli;
mod render;

// Reading a large CIB is allocation-bound (an element tree, then the model); mimalloc halves
// that cost compared with glibc's allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cli::main());
}
