//! The `pgcrm` binary: parses the command line, runs the command, maps errors to exit codes.

mod allocator;
mod cli;
mod render;

#[global_allocator]
static ALLOCATOR: allocator::ProcessAllocator = allocator::ProcessAllocator;

fn main() {
    let code = cli::main();
    // Everything is written and every destructor has run by now. `_exit` skips only the C
    // library's exit handlers: the allocator handing its pages back one range at a time and
    // the shared libraries' finalisers, work the kernel does at once when the process ends
    // (a twentieth of a live `pgcrm status`'s CPU).
    use std::io::Write;
    let _ = std::io::stdout().flush();
    // SAFETY: _exit has no preconditions; nothing after this point is needed.
    unsafe { libc::_exit(code) }
}
