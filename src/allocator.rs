//! The binary's memory allocator, chosen once per process from how it was started.
//!
//! - glibc's allocator for the OCF agent (started through `.../resource.d/<provider>/<agent>`,
//!   or as `pgcrm agent ...`) and for commands on an ordinary CIB. Such a process lives a few
//!   milliseconds and allocates little, and mimalloc gives every size class its own fresh
//!   pages: 100 page faults of the 280 a standby monitor takes (a tenth of its CPU,
//!   benches/agent-vs-pgsql.sh), 100 of the 300 of a live `pgcrm status`. glibc packs them.
//! - mimalloc when the CIB to read is large ([`LARGE_CIB`] bytes or more, by the size of the
//!   `--cib-file`, of `CIB_file`, or of the node's saved configuration for the live cluster).
//!   Reading it is allocation-bound (an element tree, then the model): mimalloc reads the
//!   2.6 MB CIB of benches/status-vs-crm_mon.sh in 27 ms where glibc takes 45.
//!
//! The choice is made from argv and the environment by a function glibc calls before `main`
//! (its `.init_array` entries receive argc, argv and envp), and only while nothing has been
//! allocated yet: the first allocation settles the choice for good (mimalloc if nothing chose
//! before), so every block is always freed by the allocator that gave it. An allocation made
//! before the choice would only lose the optimisation, never safety.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, Ordering};

const UNDECIDED: u8 = 0;
const MIMALLOC: u8 = 1;
const SYSTEM: u8 = 2;

static CHOICE: AtomicU8 = AtomicU8::new(UNDECIDED);

/// The process's allocator: see the module documentation.
pub struct ProcessAllocator;

impl ProcessAllocator {
    /// The allocator in use, settling on mimalloc when nothing chose yet.
    #[inline]
    fn choice() -> u8 {
        match CHOICE.load(Ordering::Relaxed) {
            UNDECIDED => match CHOICE.compare_exchange(
                UNDECIDED,
                MIMALLOC,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => MIMALLOC,
                Err(settled) => settled,
            },
            settled => settled,
        }
    }
}

// SAFETY: every call is forwarded to one of two correct allocators, always the same one for a
// given block: the choice never changes once anything has been allocated.
unsafe impl GlobalAlloc for ProcessAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if Self::choice() == SYSTEM {
            System.alloc(layout)
        } else {
            mimalloc::MiMalloc.alloc(layout)
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if Self::choice() == SYSTEM {
            System.alloc_zeroed(layout)
        } else {
            mimalloc::MiMalloc.alloc_zeroed(layout)
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if Self::choice() == SYSTEM {
            System.dealloc(ptr, layout)
        } else {
            mimalloc::MiMalloc.dealloc(ptr, layout)
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if Self::choice() == SYSTEM {
            System.realloc(ptr, layout, new_size)
        } else {
            mimalloc::MiMalloc.realloc(ptr, layout, new_size)
        }
    }
}

/// CIBs from this size on are read with mimalloc (a saved configuration this large means a
/// live CIB at least twice as large: the status section is not saved).
const LARGE_CIB: i64 = 128 * 1024;

/// Where Pacemaker saves the configuration (`pgcrm::ipc::saved_cib::SAVED_CIB`).
const SAVED_CIB: &std::ffi::CStr = c"/var/lib/pacemaker/cib/cib.xml";

/// True when the program was started through an OCF provider directory,
/// `.../resource.d/<provider>/<agent>`: Pacemaker running the agent.
pub fn is_ocf_agent_path(argv0: &[u8]) -> bool {
    let mut dirs = argv0.rsplit(|&b| b == b'/');
    let _agent = dirs.next();
    let _provider = dirs.next();
    dirs.next() == Some(b"resource.d".as_slice())
}

/// True when these arguments start the OCF agent (see `cli::agent::from_argv0`).
fn starts_the_agent(argv0: &[u8], argv1: Option<&[u8]>) -> bool {
    is_ocf_agent_path(argv0) || argv1 == Some(b"agent".as_slice())
}

/// The size of a file, or `None` (one `stat`, no allocation).
fn file_size(path: &std::ffi::CStr) -> Option<i64> {
    // SAFETY: stat writes into a zeroed struct we own; path is NUL-terminated.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        (libc::stat(path.as_ptr(), &mut st) == 0).then_some(st.st_size)
    }
}

/// Called by glibc before `main` with the process's arguments and environment; allocates
/// nothing.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" fn choose_from_argv(
    argc: libc::c_int,
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
) {
    use std::ffi::CStr;
    if argc < 1 || argv.is_null() {
        return;
    }
    // SAFETY: glibc passes argc valid NUL-terminated strings, and a NULL-terminated envp;
    // neither is read past its end nor when NULL.
    let args = (0..argc as isize)
        .map(|i| unsafe { *argv.offset(i) })
        .take_while(|p| !p.is_null())
        .map(|p| unsafe { CStr::from_ptr(p) });
    let env = (0..)
        .map_while(|i| (!envp.is_null()).then(|| unsafe { *envp.offset(i) }))
        .take_while(|p| !p.is_null())
        .map(|p| unsafe { CStr::from_ptr(p) });
    let mut args = args.peekable();
    let Some(argv0) = args.next() else { return };
    let argv1 = args.peek().map(|a| a.to_bytes());
    let wanted = if starts_the_agent(argv0.to_bytes(), argv1) {
        SYSTEM
    } else {
        let cib = cib_file_argument(args).or_else(|| cib_file_variable(env));
        match file_size(cib.unwrap_or(SAVED_CIB)) {
            Some(size) if size >= LARGE_CIB => MIMALLOC,
            _ => SYSTEM,
        }
    };
    // fails (keeping mimalloc) when something allocated first
    let _ = CHOICE.compare_exchange(UNDECIDED, wanted, Ordering::Relaxed, Ordering::Relaxed);
}

/// The path given to `--cib-file` (as `--cib-file PATH` or `--cib-file=PATH`).
fn cib_file_argument<'a>(
    mut args: impl Iterator<Item = &'a std::ffi::CStr>,
) -> Option<&'a std::ffi::CStr> {
    while let Some(arg) = args.next() {
        let bytes = arg.to_bytes_with_nul();
        if bytes == b"--cib-file\0" {
            return args.next();
        }
        if let Some(path) = bytes.strip_prefix(b"--cib-file=") {
            return std::ffi::CStr::from_bytes_with_nul(path).ok();
        }
    }
    None
}

/// The value of Pacemaker's `CIB_file` variable.
fn cib_file_variable<'a>(
    mut env: impl Iterator<Item = &'a std::ffi::CStr>,
) -> Option<&'a std::ffi::CStr> {
    env.find_map(|var| {
        let value = var.to_bytes_with_nul().strip_prefix(b"CIB_file=")?;
        std::ffi::CStr::from_bytes_with_nul(value).ok()
    })
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[used]
#[link_section = ".init_array"]
static CHOOSE_FROM_ARGV: extern "C" fn(
    libc::c_int,
    *const *const libc::c_char,
    *const *const libc::c_char,
) = choose_from_argv;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_is_recognised_by_its_ocf_path_or_subcommand() {
        let yes = [
            (
                &b"/usr/lib/ocf/resource.d/pgcrm/pgsql"[..],
                Some(&b"monitor"[..]),
            ),
            (b"resource.d/pgcrm/pgsql", None),
            (b"/usr/bin/pgcrm", Some(b"agent")),
        ];
        for (argv0, argv1) in yes {
            assert!(starts_the_agent(argv0, argv1), "{argv0:?} {argv1:?}");
        }
        let no = [
            (&b"/usr/bin/pgcrm"[..], Some(&b"status"[..])),
            (b"pgcrm", None),
            (b"/usr/lib/ocf/resource.d/pgsql", Some(b"monitor")),
            (b"/x/resource.d.old/pgcrm/pgsql", None),
        ];
        for (argv0, argv1) in no {
            assert!(!starts_the_agent(argv0, argv1), "{argv0:?} {argv1:?}");
        }
    }

    #[test]
    fn the_cib_to_read_is_found_in_arguments_or_environment() {
        let args = [c"status", c"--cib-file", c"/x/cib.xml"];
        assert_eq!(cib_file_argument(args.into_iter()), Some(c"/x/cib.xml"));
        let args = [c"--output", c"json", c"--cib-file=/y.xml", c"status"];
        assert_eq!(cib_file_argument(args.into_iter()), Some(c"/y.xml"));
        assert_eq!(
            cib_file_argument([c"status", c"--cib-file"].into_iter()),
            None
        );
        let env = [c"PATH=/bin", c"CIB_file=/z.xml"];
        assert_eq!(cib_file_variable(env.into_iter()), Some(c"/z.xml"));
        assert_eq!(cib_file_variable([c"CIB_FILE=/no"].into_iter()), None);
        assert_eq!(
            SAVED_CIB.to_str().unwrap(),
            pgcrm::ipc::saved_cib::SAVED_CIB
        );
        assert!(file_size(c"/nonexistent/cib.xml").is_none());
        assert!(file_size(c"/proc/self/exe").is_some_and(|n| n > 0));
    }

    #[test]
    fn the_choice_is_settled_by_the_first_allocation() {
        // this test binary has allocated long before: the choice is made and stays
        let before = CHOICE.load(Ordering::Relaxed);
        assert_ne!(before, UNDECIDED);
        let v = vec![1u8; 10];
        assert_eq!(ProcessAllocator::choice(), before);
        drop(v);
    }
}
