//! The PostgreSQL OCF resource agent behind `pgcrm agent`: a drop-in successor of
//! `ocf:heartbeat:pgsql` (same 32 parameters, same node attributes and values, same
//! `PGSQL.lock`, same sync/async switching), installed as `ocf:pgcrm:pgsql`.
//!
//! What it does better, and why:
//! * no program runs in a monitor: node attributes go to pacemaker-attrd and the CIB over
//!   Pacemaker's IPC (`cluster_io`), the cluster view is one CIB read through
//!   `pgcrm::state` (the shell agent forks crm_mon and crm_attribute, ~110 programs a
//!   primary monitor), PostgreSQL is queried over its socket (`pg`);
//! * WAL positions are compared as numbers, not as strings, and timelines first: with no
//!   primary, the node on the newest timeline wins even when an older timeline's position
//!   is larger (a failed primary's unreplicated tail), `promote` refuses a node whose
//!   timeline forked away from a newer one another node published (PAF's check), and the
//!   3-node pre-promote check compares the demote's baselines the same way (the timeline is
//!   the extra attribute `<rsc>-timeline`; the shell agent's attributes keep their values);
//! * every wait is bounded by the operation's timeout (`OCF_RESKEY_CRM_meta_timeout`): a
//!   failing attribute update is reported, not retried for a day; a server that dies while
//!   starting fails the start at once instead of looping until the timeout;
//! * `stop` escalates fast → immediate within its timeout, by signalling the postmaster.
//!
//! The library returns an [`Outcome`] (OCF code, exit reason, stdout text) and logs through
//! the [`Log`] it is given; it never prints, exits or reads the process environment.

mod actions;
pub use actions::recovery_settings;
pub mod cluster_io;
pub mod metadata;
pub mod params;
pub mod pg;
mod validate;

use params::{Env, Params};
use pg::Deadline;
use std::time::Duration;

/// OCF exit codes (OCF 1.1, resource-agent API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcfRc {
    Success = 0,
    ErrGeneric = 1,
    ErrArgs = 2,
    ErrUnimplemented = 3,
    ErrPerm = 4,
    ErrInstalled = 5,
    ErrConfigured = 6,
    NotRunning = 7,
    RunningPromoted = 8,
    FailedPromoted = 9,
}

impl OcfRc {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// Log levels, as `ocf_log` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Err,
}

/// Where the agent's log lines go (the CLI writes them to stderr, which pacemaker-execd logs).
pub trait Log {
    fn log(&mut self, level: Level, msg: &str);
}

/// A log that keeps the lines, for tests.
#[derive(Debug, Default)]
pub struct MemoryLog(pub Vec<(Level, String)>);

impl Log for MemoryLog {
    fn log(&mut self, level: Level, msg: &str) {
        self.0.push((level, msg.to_string()));
    }
}

/// What an action produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub rc: OcfRc,
    /// The `ocf-exit-reason` Pacemaker shows in crm_mon next to a failed action.
    pub reason: Option<String>,
    /// Text for stdout (meta-data, methods).
    pub stdout: Option<String>,
}

impl Outcome {
    fn rc(rc: OcfRc) -> Outcome {
        Outcome {
            rc,
            reason: None,
            stdout: None,
        }
    }
}

/// A failed step: the code to return and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    pub rc: OcfRc,
    pub reason: String,
}

impl Fail {
    pub fn new(rc: OcfRc, reason: impl Into<String>) -> Fail {
        Fail {
            rc,
            reason: reason.into(),
        }
    }
    pub fn generic(reason: impl Into<String>) -> Fail {
        Fail::new(OcfRc::ErrGeneric, reason)
    }
}

pub type AResult<T> = Result<T, Fail>;

/// Default timeouts of the meta-data, used when Pacemaker passes none (a run by hand).
fn default_timeout(action: &str) -> Duration {
    Duration::from_secs(match action {
        "start" | "stop" | "promote" | "demote" => 120,
        "notify" => 90,
        "status" => 60,
        "monitor" => 30,
        _ => 5,
    })
}

/// Runs one OCF action. `hostname` is this host's name (the node name when Pacemaker does
/// not pass `CRM_meta_on_node`).
pub fn run(action: &str, env: &Env, hostname: &str, log: &mut dyn Log) -> Outcome {
    match action {
        "meta-data" => {
            return Outcome {
                stdout: Some(metadata::meta_data(env)),
                ..Outcome::rc(OcfRc::Success)
            }
        }
        "methods" => {
            return Outcome {
                stdout: Some(metadata::methods()),
                ..Outcome::rc(OcfRc::Success)
            }
        }
        "start" | "stop" | "status" | "monitor" | "promote" | "demote" | "notify" | "reload"
        | "validate-all" => {}
        "usage" | "help" => return Outcome::rc(OcfRc::Success),
        _ => {
            return Outcome {
                reason: Some(format!(
                    "unknown action {action:?} (actions: {})",
                    metadata::METHODS.join(", ")
                )),
                ..Outcome::rc(OcfRc::ErrUnimplemented)
            }
        }
    }
    let params = match Params::from_env(env, hostname) {
        Ok(p) => p,
        Err(e) => return invalid(action, Fail::new(OcfRc::ErrConfigured, e.0), None, log),
    };
    let timeout = params
        .ctx
        .timeout
        .unwrap_or_else(|| default_timeout(action));
    // keep a little of the timeout to report before Pacemaker gives up on us
    let margin = (timeout / 10).min(Duration::from_secs(2));
    let deadline = Deadline::after(timeout).minus(margin);
    let mut agent = actions::Agent::new(action, params, env, deadline, log);
    if let Err(fail) = validate::validate(&mut agent) {
        if action == "validate-all" {
            return fail_outcome(fail);
        }
        return invalid(action, fail, Some(&mut agent), &mut NoLog);
    }
    if action == "validate-all" {
        return Outcome::rc(OcfRc::Success);
    }
    match agent.dispatch() {
        Ok(rc) => Outcome::rc(rc),
        Err(fail) => fail_outcome(fail),
    }
}

struct NoLog;
impl Log for NoLog {
    fn log(&mut self, _: Level, _: &str) {}
}

fn fail_outcome(fail: Fail) -> Outcome {
    Outcome {
        reason: Some(fail.reason),
        ..Outcome::rc(fail.rc)
    }
}

/// An invalid configuration, as the shell agent answers it: stop succeeds (nothing of ours
/// can be running from it; with replication `pgsql-status` becomes UNKNOWN), monitor and
/// status say "not running" (a probe on a node without PostgreSQL), the rest fail.
fn invalid(
    action: &str,
    fail: Fail,
    agent: Option<&mut actions::Agent<'_>>,
    log: &mut dyn Log,
) -> Outcome {
    log.log(Level::Err, &fail.reason);
    match action {
        "stop" => {
            if let Some(a) = agent {
                a.invalid_stop(&fail)
            } else {
                Outcome::rc(OcfRc::Success)
            }
        }
        "monitor" | "status" => Outcome {
            reason: Some(fail.reason),
            ..Outcome::rc(OcfRc::NotRunning)
        },
        _ => fail_outcome(fail),
    }
}
