//! `pgcrm agent ACTION` (hidden): the PostgreSQL OCF resource agent, `ocf:pgcrm:pgsql`, a
//! drop-in successor of `ocf:heartbeat:pgsql` (see `pgcrm::agent`). Pacemaker runs it
//! through `/usr/lib/ocf/resource.d/pgcrm/pgsql`, a symbolic link to this binary written by
//! `pgcrm agent install`; called under that name, the binary is the agent (see
//! [`from_argv0`]). Exit codes are OCF's (0-9), never Pacemaker's CLI codes.

use pgcrm::agent::{self, Level, Log, OcfRc};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The OCF action: start, stop, monitor, promote, demote, notify, reload, status,
    /// meta-data, validate-all, methods; or `install` to make the agent known to Pacemaker
    pub action: String,
    /// install: the OCF provider directory the agent `pgsql` is written into
    #[arg(
        long,
        value_name = "DIR",
        default_value = "/usr/lib/ocf/resource.d/pgcrm"
    )]
    pub dir: PathBuf,
}

/// Writes agent lines to stderr, which pacemaker-execd copies into the cluster log.
struct StderrLog {
    prefix: String,
    debug: bool,
}

impl Log for StderrLog {
    fn log(&mut self, level: Level, msg: &str) {
        let tag = match level {
            Level::Debug if !self.debug => return,
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARNING",
            Level::Err => "ERROR",
        };
        eprintln!("{}: {tag}: {msg}", self.prefix);
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// Runs one OCF action with this process's environment; returns the OCF exit code.
pub fn run_action(action: &str) -> i32 {
    let env = agent::params::Env::new(std::env::vars());
    let instance = env
        .get("OCF_RESOURCE_INSTANCE")
        .unwrap_or("pgsql")
        .to_string();
    let mut log = StderrLog {
        prefix: format!("pgsql({instance})[{}]", std::process::id()),
        debug: matches!(env.get("HA_debug"), Some("1" | "yes" | "true")),
    };
    let outcome = agent::run(action, &env, &hostname(), &mut log);
    if let Some(text) = &outcome.stdout {
        use std::io::Write;
        let _ = std::io::stdout().write_all(text.as_bytes());
    }
    if let Some(reason) = &outcome.reason {
        // Pacemaker keeps the last line with this prefix as the operation's exit reason
        eprintln!("ocf-exit-reason:{reason}");
    }
    outcome.rc.code()
}

pub fn run(args: &Args) -> i32 {
    if args.action == "install" {
        return install(&args.dir);
    }
    run_action(&args.action)
}

/// `pgcrm agent install`: the link Pacemaker executes as `ocf:pgcrm:pgsql`.
fn install(dir: &Path) -> i32 {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("pgcrm: cannot find this program's path: {e}");
            return OcfRc::ErrGeneric.code();
        }
    };
    let link = dir.join("pgsql");
    let done = std::fs::create_dir_all(dir)
        .and_then(|_| match std::fs::remove_file(&link) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        })
        .and_then(|_| std::os::unix::fs::symlink(&exe, &link));
    match done {
        Ok(()) => {
            println!(
                "{} -> {}: configure the resource as ocf:pgcrm:pgsql",
                link.display(),
                exe.display()
            );
            0
        }
        Err(e) => {
            eprintln!(
                "pgcrm: cannot write {}: {e} (run as root, or choose --dir)",
                link.display()
            );
            OcfRc::ErrPerm.code()
        }
    }
}

/// When the binary is started through an OCF provider directory (`.../resource.d/<provider>/
/// <agent>`, Pacemaker's way of running an agent), it is the agent: the action is the first
/// argument. Returns the exit code then, `None` for a normal `pgcrm` invocation.
pub fn from_argv0() -> Option<i32> {
    use std::os::unix::ffi::OsStrExt;
    let mut args = std::env::args_os();
    let argv0 = PathBuf::from(args.next()?);
    if !crate::allocator::is_ocf_agent_path(argv0.as_os_str().as_bytes()) {
        return None;
    }
    let action = args
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    if action.is_empty() {
        eprintln!("usage: {} ACTION (see meta-data)", argv0.display());
        return Some(OcfRc::ErrArgs.code());
    }
    Some(run_action(&action))
}
