//! Links GCC's unwinder statically (`libgcc_eh.a`, what `gcc -static-libgcc` does) instead of
//! `libgcc_s.so.1`, on Linux with glibc. Pacemaker starts `pgcrm agent` for every monitor, and
//! loading libgcc_s runs its constructor `__cpu_indicator_init`: a dozen `cpuid` instructions,
//! each a trap to the hypervisor on a VM (about 10 µs each here), plus one more library to map
//! and relocate: 0.15-0.2 ms of the ~2 ms CPU of a standby's monitor
//! (benches/agent-vs-pgsql.sh). glibc itself stays dynamic, so NSS (getpwnam, getgrouplist)
//! works with every module nsswitch.conf names; a fully static glibc cannot load them safely.
//!
//! How: Rust's standard library asks the linker for `-lgcc_s`; a directory searched first that
//! holds only `libgcc_s.a`, a link to the compiler's `libgcc_eh.a`, makes that request static.
//! When the compiler names no `libgcc_eh.a` (another toolchain), nothing changes.
//! This script only prepares the link; it never fails the build.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    let static_crt = std::env::var("CARGO_CFG_TARGET_FEATURE")
        .unwrap_or_default()
        .split(',')
        .any(|f| f == "crt-static");
    // crt-static builds already link libgcc_eh; other targets do not use libgcc_s
    if !target.ends_with("-linux-gnu") || static_crt {
        return;
    }
    let Some(eh) = libgcc_eh() else { return };
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let dir = out.join("static-libgcc");
    let link = dir.join("libgcc_s.a");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::remove_file(&link);
    if std::os::unix::fs::symlink(&eh, &link).is_ok() {
        println!("cargo:rustc-link-search=native={}", dir.display());
    }
}

/// The compiler's `libgcc_eh.a` (the linker driver Rust uses on Linux is `cc`).
fn libgcc_eh() -> Option<PathBuf> {
    let cc = std::env::var("RUSTC_LINKER")
        .ok()
        .or_else(|| std::env::var("CC").ok())
        .unwrap_or_else(|| "cc".into());
    let out = Command::new(cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    // an unknown file name is echoed back as is: only an absolute, existing path counts
    (path.is_absolute() && Path::new(&path).is_file()).then_some(path)
}
