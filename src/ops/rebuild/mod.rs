//! `rebuild-standby NODE`: bring a failed old primary (or any broken standby) back as a
//! streaming standby of the current primary, in one resumable run: keep the resource off the
//! node (a `cli-ban`, not a restart of the node's cluster stack), copy the data (pg_rewind
//! when the data directory allows it, else pg_basebackup from the replication VIP into a new
//! directory, the old one kept renamed), write the standby settings the agent expects, remove
//! its lock file, reset the node's data status and fail counts, let the node back in, and
//! wait until it streams.
//!
//! Every step first checks whether it is done already, so a run cut short (Ctrl-C, a lost
//! session) is finished by running the command again. A failure names the step, the state the
//! node is left in and the command to continue. The data steps act on NODE's files: they run
//! here when pgcrm runs on NODE, else (`--ssh`) through a remote shell as a hidden
//! `pgcrm rebuild-standby NODE --local-step` on NODE ([`Remote`], [`local_call`]): a
//! `DataJob` in on stdin, JSON lines out. Reports through [`Observer`]; nothing here prints
//! or prompts.
//!
//! This file holds the public API (the request, the plan, [`plan`] and [`run`]) and the
//! failure message every step shares; the rest is split along the seams of the work:
//! `planning` (refusals, the source, the method, the step list), `ban` (which `cli-ban` is
//! rebuild-standby's own), `remote` (where the data steps run, and the `--local-step`
//! protocol), `data_steps` and `copy` (the steps on NODE's files), `cluster_steps` (the
//! steps on the CIB) and `estimate` (the copy's size and time). The steps on NODE's files
//! run only through `remote::Host` (here, or through the remote shell), never straight
//! from [`run`].

mod ban;
mod cluster_steps;
mod copy;
mod data_steps;
mod estimate;
mod planning;
mod remote;

pub use ban::{ban_owner, own_ban_change, Ban};
pub use data_steps::{NodeFacts, StepOut};
pub use planning::plan;
pub use remote::{local_call, LocalLine, Remote};

use super::wait;
use crate::agent::params::Params;
use crate::cluster::Cluster;
use crate::pg::target::{ConfigFile, PgEnv};
use crate::{Error, Result};
use cluster_steps::{step_ban, step_cleanup, step_data_status, step_stop, step_unban, step_wait};
use data_steps::Data;
use remote::Host;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How the data is copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// pg_rewind when the node's data directory allows it, else pg_basebackup.
    Auto,
    /// pg_rewind from the primary: only the blocks that changed since the fork.
    Rewind,
    /// pg_basebackup from the replication VIP: a full copy into a new directory.
    Basebackup,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Rewind => "rewind",
            Method::Basebackup => "basebackup",
        }
    }
}

/// How pgcrm reaches the PostgreSQL servers (as `status` does).
#[derive(Debug, Clone)]
pub struct PgAccess {
    pub env: PgEnv,
    pub config: Option<ConfigFile>,
    pub corosync_conf: PathBuf,
    pub timeout: Duration,
}

/// What the operator asked for.
#[derive(Debug, Clone)]
pub struct Request {
    pub node: String,
    pub method: Method,
    /// pg_basebackup's `--max-rate` (e.g. `50M`), passed through.
    pub max_rate: Option<String>,
    /// Delete the old data directory at the end instead of keeping it renamed.
    pub discard_old: bool,
    /// The cluster node pgcrm runs on (its host name).
    pub local_node: Option<String>,
    /// `--ssh`: run the data steps on NODE through this remote shell when pgcrm runs
    /// elsewhere.
    pub remote: Option<Remote>,
    pub pg: PgAccess,
}

/// Where a failure message gets the node and the options of the command to continue.
trait Resume {
    fn node(&self) -> &str;
    fn resume(&self) -> &str;
}

impl Resume for Data {
    fn node(&self) -> &str {
        &self.job.node
    }
    fn resume(&self) -> &str {
        &self.job.resume
    }
}

impl Resume for RebuildPlan {
    fn node(&self) -> &str {
        &self.node
    }
    fn resume(&self) -> &str {
        &self.data.job.resume
    }
}

/// One step of the rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    Ban,
    Stop,
    Copy,
    Swap,
    StandbyConfig,
    LockFile,
    DataStatus,
    Cleanup,
    Unban,
    Wait,
    Finish,
}

impl StepKind {
    pub fn name(self) -> &'static str {
        match self {
            StepKind::Ban => "ban",
            StepKind::Stop => "stop",
            StepKind::Copy => "copy",
            StepKind::Swap => "swap",
            StepKind::StandbyConfig => "standby-config",
            StepKind::LockFile => "lock-file",
            StepKind::DataStatus => "data-status",
            StepKind::Cleanup => "cleanup",
            StepKind::Unban => "unban",
            StepKind::Wait => "wait",
            StepKind::Finish => "finish",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Step {
    pub kind: StepKind,
    /// What the step does, for people.
    pub what: String,
    /// Already done (seen when the plan was made; checked again when the step runs).
    pub done: bool,
}

/// The plan shown before anything changes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RebuildPlan {
    pub node: String,
    /// The PostgreSQL primitive (`pgsql`) and its promotable clone (`msPostgresql`).
    pub resource: String,
    pub clone: String,
    /// The node running the primary, and the address the copy comes from.
    pub source_node: String,
    pub source_address: String,
    pub pgdata: String,
    /// Bytes in the node's data directory now (what is kept or discarded).
    pub pgdata_bytes: Option<u64>,
    /// Bytes of data on the primary (`pg_database_size` of every database).
    pub source_bytes: Option<u64>,
    /// Bytes of WAL the copy brings along (`estimate::wal_to_copy`); None when the primary's
    /// `pg_ls_waldir()` could not be read (it needs pg_monitor or a superuser).
    pub wal_bytes: Option<u64>,
    /// The method chosen (`rewind` or `basebackup`) and why.
    pub method: Method,
    pub method_reason: String,
    pub estimate: Option<Duration>,
    /// The assumed copy rate behind the estimate, bytes per second.
    pub assumed_rate: u64,
    pub steps: Vec<Step>,
    /// The node already streams and nothing is left over from a run: nothing to do.
    pub nothing_to_do: bool,
    #[serde(skip)]
    params: Params,
    /// A copy made by an earlier run is in place in the data directory.
    #[serde(skip)]
    copied: bool,
    /// What the data steps need (sent to NODE with --ssh).
    #[serde(skip)]
    data: Data,
    #[serde(skip)]
    request: Request,
    #[serde(skip)]
    primitive: crate::cib::Primitive,
}

/// What the run reports as it goes.
pub trait Observer {
    fn step_started(&mut self, step: &Step);
    fn step_finished(&mut self, step: &Step, skipped: bool, took: Duration);
    /// Copy progress: bytes done of (estimated) total.
    fn copy_progress(&mut self, done: u64, total: Option<u64>);
    /// A resource operation the cluster completed while waiting.
    fn action(&mut self, action: &wait::Action);
}

/// How long each step took.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Timing {
    pub step: &'static str,
    pub skipped: bool,
    pub seconds: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub timings: Vec<Timing>,
    pub total_seconds: f64,
    /// `<rsc>-status` at the end (`HS:sync`).
    pub pgsql_status: Option<String>,
    /// The old data directory, kept (None when discarded or when pg_rewind worked in place).
    pub old_pgdata: Option<String>,
}

/// A step failed: which one, what state the node is in, how to continue.
fn failed(p: &impl Resume, step: StepKind, why: impl std::fmt::Display, state: &str) -> Error {
    failed_then(p, step, why, state, "")
}

/// [`failed`], when continuing needs other options (`extra`, e.g. ` --method basebackup`).
fn failed_then(
    p: &impl Resume,
    step: StepKind,
    why: impl std::fmt::Display,
    state: &str,
    extra: &str,
) -> Error {
    Error::StepFailed(format!(
        "step {} failed: {why}; {} is now: {state}; fix the cause, then continue with: pgcrm rebuild-standby {} --yes{}{extra}",
        step.name(),
        p.node(),
        p.node(),
        p.resume()
    ))
}

/// Runs the plan's steps in order, each one checking first whether it is done.
pub fn run(
    cluster: &dyn Cluster,
    p: &RebuildPlan,
    wait_for: Option<Duration>,
    obs: &mut dyn Observer,
) -> Result<Outcome> {
    let t0 = Instant::now();
    let mut timings = Vec::new();
    let mut old_pgdata: Option<String> = None;
    let mut status = None;
    let host = Host::of(&p.request);
    for step in &p.steps {
        obs.step_started(step);
        let ts = Instant::now();
        let skipped = match step.kind {
            StepKind::Ban => step_ban(cluster, p)?,
            StepKind::Stop => {
                let skipped = step_stop(cluster, p, obs)?;
                host.step(&p.data, StepKind::Stop, None, obs)?;
                skipped
            }
            kind @ (StepKind::Copy | StepKind::StandbyConfig | StepKind::LockFile) => {
                host.step(&p.data, kind, None, obs)?.skipped
            }
            StepKind::Swap => {
                let o = host.step(&p.data, StepKind::Swap, None, obs)?;
                old_pgdata = o.old_pgdata;
                o.skipped
            }
            StepKind::DataStatus => step_data_status(cluster, p)?,
            StepKind::Cleanup => step_cleanup(cluster, p)?,
            StepKind::Unban => step_unban(cluster, p)?,
            StepKind::Wait => match wait_for {
                None => true,
                Some(t) => {
                    status = Some(step_wait(cluster, p, t, obs)?);
                    false
                }
            },
            StepKind::Finish => {
                old_pgdata = host
                    .step(&p.data, StepKind::Finish, old_pgdata.take(), obs)?
                    .old_pgdata;
                false
            }
        };
        let took = ts.elapsed();
        obs.step_finished(step, skipped, took);
        timings.push(Timing {
            step: step.kind.name(),
            skipped,
            seconds: took.as_secs_f64(),
        });
    }
    Ok(Outcome {
        timings,
        total_seconds: t0.elapsed().as_secs_f64(),
        pgsql_status: status,
        old_pgdata,
    })
}
