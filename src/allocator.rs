//! The binary's memory allocator, chosen once per process from how it was started.
//!
//! - As the OCF agent (started through `.../resource.d/<provider>/<agent>`, or as
//!   `pgcrm agent ...`): glibc's allocator. A monitor lives 2 ms and allocates little, and
//!   mimalloc gives every size class its own fresh pages: 100 page faults of the 280 a standby
//!   monitor takes, a tenth of its CPU (benches/agent-vs-pgsql.sh). glibc packs them together.
//! - Every other command: mimalloc. Reading a large CIB is allocation-bound (an element tree,
//!   then the model), and mimalloc reads the 2.6 MB one of benches/status-vs-crm_mon.sh in
//!   30 ms where glibc takes 47.
//!
//! The choice is made from `argv` by a function glibc calls before `main` (its `.init_array`
//! entries receive argc, argv and envp), and only while nothing has been allocated yet: the
//! first allocation settles the choice for good (mimalloc if nothing chose before), so every
//! block is always freed by the allocator that gave it. Other C libraries, or a future
//! allocation made before the choice, therefore only lose the optimisation, never safety.

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

/// True when these arguments start the OCF agent (see `cli::agent::from_argv0`).
fn starts_the_agent(argv0: &[u8], argv1: Option<&[u8]>) -> bool {
    let mut dirs = argv0.rsplit(|&b| b == b'/');
    let _agent = dirs.next();
    let _provider = dirs.next();
    dirs.next() == Some(b"resource.d".as_slice()) || argv1 == Some(b"agent".as_slice())
}

/// Called by glibc before `main` with the process's arguments (no allocation here).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" fn choose_from_argv(
    argc: libc::c_int,
    argv: *const *const libc::c_char,
    _envp: *const *const libc::c_char,
) {
    if argc < 1 || argv.is_null() {
        return;
    }
    // SAFETY: glibc passes the process's argv: argc valid NUL-terminated strings.
    let arg = |i: isize| unsafe {
        let p = *argv.offset(i);
        (!p.is_null()).then(|| std::ffi::CStr::from_ptr(p).to_bytes())
    };
    let Some(argv0) = arg(0) else { return };
    let argv1 = if argc > 1 { arg(1) } else { None };
    let wanted = if starts_the_agent(argv0, argv1) {
        SYSTEM
    } else {
        MIMALLOC
    };
    // fails (keeping mimalloc) when something allocated first
    let _ = CHOICE.compare_exchange(UNDECIDED, wanted, Ordering::Relaxed, Ordering::Relaxed);
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
    fn the_choice_is_settled_by_the_first_allocation() {
        // this test binary has allocated long before: the choice is made and stays
        let before = CHOICE.load(Ordering::Relaxed);
        assert_ne!(before, UNDECIDED);
        let v = vec![1u8; 10];
        assert_eq!(ProcessAllocator::choice(), before);
        drop(v);
    }
}
