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
//! node is left in and the command to continue. The data steps act on this machine's files:
//! the plan refuses unless pgcrm runs on NODE itself. Reports through [`Observer`]; nothing
//! here prints or prompts.

use super::plan;
use super::resource::{self as rops, Expect};
use super::status::{self, PgNodeRow};
use super::wait;
use crate::agent::params::{Env, Params};
use crate::agent::pg as agent_pg;
use crate::cib::change::{CibChange, ElementPath};
use crate::cib::{Cib, Resource, Role};
use crate::cluster::{CleanupTarget, Cluster};
use crate::ipc::cib::CibVersion;
use crate::pg::target::{self, ConfigFile, PgEnv, ResourceParams, TargetInputs};
use crate::{Error, Result};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How the data is copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
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
    pub pg: PgAccess,
}

/// One step of the rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
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
    pub params: Params,
    #[serde(skip)]
    pub request: Request,
    #[serde(skip)]
    pub primitive: crate::cib::Primitive,
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

/// Marker written into the new data directory once the copy is complete; holds the path the
/// old directory was (or will be) renamed to. Removed by the last step.
const MARKER: &str = "pgcrm-rebuild.done";
/// What the estimate assumes without `--max-rate`: a local network and disks.
const ASSUMED_RATE: u64 = 100 * 1024 * 1024;

fn staging(pgdata: &str) -> PathBuf {
    PathBuf::from(format!("{}.pgcrm-new", pgdata.trim_end_matches('/')))
}

fn ban_id(clone: &str, node: &str) -> String {
    format!("cli-ban-{clone}-on-{node}")
}

fn has_constraint(cib: &Cib, id: &str) -> bool {
    cib.constraints
        .iter()
        .any(|c| matches!(c, crate::cib::Constraint::Location(l) if l.id == id))
}

/// The PostgreSQL primitive (an agent that publishes `<rsc>-status`) and its promotable clone.
fn find_pg(cib: &Cib) -> Result<(crate::cib::Primitive, String)> {
    for r in &cib.resources {
        if let Resource::Clone(_) = r {
            if let Some(p) = r
                .primitives()
                .into_iter()
                .find(|p| p.agent_type == "pgsql" || p.agent_type == "pgcrm")
            {
                return Ok((p.clone(), r.id().to_string()));
            }
        }
    }
    Err(Error::NoSuch {
        kind: "resource",
        name: "pgsql (a promotable clone of ocf:heartbeat:pgsql or ocf:pgcrm:pgsql)".into(),
        hint: String::new(),
    })
}

/// The agent's parameters with its defaults, as the agent would read them on `node`.
fn agent_params(prim: &crate::cib::Primitive, node: &str) -> Result<Params> {
    let vars = crate::agent::params::PARAMS.iter().filter_map(|s| {
        prim.params
            .get(s.name)
            .map(|v| (format!("OCF_RESKEY_{}", s.name), v.to_string()))
    });
    let mut env: Vec<(String, String)> = vars.collect();
    env.push(("OCF_RESOURCE_INSTANCE".into(), prim.id.clone()));
    Params::from_env(&Env::new(env), node).map_err(|e| {
        Error::Usage(format!(
            "the {} resource's parameters are not valid: {}; fix the resource first",
            prim.id, e.0
        ))
    })
}

fn rows(cib: &Cib) -> Vec<PgNodeRow> {
    status::report_from_cib(cib, String::new())
        .postgresql
        .map(|p| p.nodes)
        .unwrap_or_default()
}

fn streaming_status(s: Option<&str>) -> bool {
    matches!(s, Some("HS:sync" | "HS:async"))
}

/// Bytes in a directory tree (files only; symlinks not followed).
pub fn dir_size(path: &Path) -> Option<u64> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_dir() {
        return Some(meta.len());
    }
    let mut total = 0;
    for e in std::fs::read_dir(path).ok()?.flatten() {
        total += dir_size(&e.path()).unwrap_or(0);
    }
    Some(total)
}

/// What `pg_controldata` says about a data directory: (wal_log_hints on or checksums on).
fn rewind_possible(pgctl: &str, pgdata: &str) -> std::result::Result<(), String> {
    let bin = Path::new(pgctl).with_file_name("pg_controldata");
    let out = Command::new(&bin)
        .arg(pgdata)
        .env("LANG", "C")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "pg_controldata {pgdata} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim_start_matches(':').trim().to_string())
    };
    let hints = field("wal_log_hints setting").as_deref() == Some("on");
    let checksums = field("Data page checksum version").is_some_and(|v| v != "0");
    if hints || checksums {
        Ok(())
    } else {
        Err("the data directory has neither wal_log_hints nor data checksums".into())
    }
}

/// The primary's facts needed by the plan: (in recovery, bytes of data).
fn source_facts(t: &target::Target, timeout: Duration) -> std::result::Result<(bool, u64), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let cfg = t.config.clone();
    let res = rt.block_on(async move {
        tokio::time::timeout(timeout, async move {
            let (client, conn) = cfg
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            let rows = client
                .simple_query(
                    "SELECT pg_is_in_recovery(), (SELECT sum(pg_database_size(oid))::bigint FROM pg_database)",
                )
                .await
                .map_err(|e| e.to_string())?;
            for m in rows {
                if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
                    let rec = r.get(0) == Some("t");
                    let size = r.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
                    return Ok((rec, size));
                }
            }
            Err("no row".to_string())
        })
        .await
        .map_err(|_| format!("no answer within {}s", timeout.as_secs_f64()))?
    });
    res.map_err(|e| target::redact(&e, &t.secrets))
}

/// Makes the plan: refuses what must not be done, finds the source, sizes the copy, and
/// lists the steps with what is already done.
pub fn plan(cluster: &dyn Cluster, req: &Request) -> Result<RebuildPlan> {
    if !cluster.is_live() {
        return Err(Error::NeedsLive("rebuild-standby".into()));
    }
    let cib = cluster.query_cib()?;
    plan::node(&cib, &req.node)?;
    let node = req.node.as_str();
    if req.local_node.as_deref() != Some(node) {
        return Err(Error::Usage(format!(
            "rebuild-standby changes {node}'s data directory and runs there: run it on {node} (this is {}); --ssh is not implemented yet",
            req.local_node.as_deref().unwrap_or("an unknown host")
        )));
    }
    let (prim, clone) = find_pg(&cib)?;
    let params = agent_params(&prim, node)?;
    let rows = rows(&cib);
    let me = rows.iter().find(|r| r.node == node);
    if me.is_some_and(|r| r.role == Role::Promoted) {
        return Err(Error::Unsafe(format!(
            "{node} runs the primary ({clone} Promoted): rebuilding it would destroy the writable copy; switch over first (pgcrm resource move {clone} --to OTHER)"
        )));
    }
    if let Some(pid) = agent_pg::postmaster_pid(&params.pgdata) {
        if me.is_none_or(|r| r.role == Role::Stopped) {
            return Err(Error::Unsafe(format!(
                "a PostgreSQL server (pid {pid}) runs in {} on {node} although Pacemaker has {} stopped there: stop it by hand first, it may be a primary outside the cluster's control",
                params.pgdata, prim.id
            )));
        }
    }
    let Some(source) = rows
        .iter()
        .find(|r| r.node != node && r.role == Role::Promoted)
    else {
        return Err(Error::Unsafe(format!(
            "no other node runs the primary ({clone} is not Promoted anywhere else): {node} may hold the only copy of the newest data; promote a node first, then rebuild"
        )));
    };
    let source_node = source.node.clone();
    // the primary as PostgreSQL itself sees it
    let addresses = std::fs::read_to_string(&req.pg.corosync_conf)
        .map(|t| target::corosync_addresses(&t))
        .unwrap_or_default();
    let rparams = ResourceParams::from_params(|k| prim.params.get(k).map(str::to_string));
    let nodes = vec![source_node.clone()];
    let targets = target::targets(&TargetInputs {
        nodes: &nodes,
        params: &rparams,
        addresses: &addresses,
        config: req.pg.config.as_ref(),
        env: &req.pg.env,
        local_node: Some(node),
        only_configured: false,
        timeout: req.pg.timeout,
    })?;
    let source_bytes = match targets.first().map(|t| (t, source_facts(t, req.pg.timeout))) {
        Some((_, Ok((false, size)))) => Some(size),
        Some((t, Ok((true, _)))) => {
            return Err(Error::Unsafe(format!(
                "{source_node} is Promoted for Pacemaker but its PostgreSQL ({}) is in recovery: wait until the promotion completes",
                t.description
            )))
        }
        Some((t, Err(e))) => {
            return Err(Error::Unsafe(format!(
                "cannot reach the primary's PostgreSQL on {source_node} ({}): {e}; nothing was changed",
                t.description
            )))
        }
        None => None,
    };
    let pgdata = params.pgdata.trim_end_matches('/').to_string();
    let marker_in_pgdata = Path::new(&pgdata).join(MARKER).exists();
    let marker_in_staging = staging(&pgdata).join(MARKER).exists();
    let (method, method_reason) = if marker_in_pgdata || marker_in_staging {
        (
            Method::Basebackup,
            "a copy from an earlier run is complete".to_string(),
        )
    } else {
        match (req.method, rewind_possible(&params.pgctl, &pgdata)) {
            (Method::Basebackup, _) => (Method::Basebackup, "--method basebackup".into()),
            (Method::Rewind, Ok(())) | (Method::Auto, Ok(())) => (
                Method::Rewind,
                "the data directory keeps wal_log_hints or checksums: pg_rewind copies only what changed"
                    .into(),
            ),
            (Method::Rewind, Err(why)) => {
                return Err(Error::Usage(format!(
                    "--method rewind is not possible on {node}: {why}; use --method basebackup (or auto)"
                )))
            }
            (Method::Auto, Err(why)) => (Method::Basebackup, format!("pg_rewind is not possible: {why}")),
        }
    };
    let ban = ban_id(&clone, node);
    let banned = has_constraint(&cib, &ban);
    let stopped = me.is_none_or(|r| r.role == Role::Stopped);
    let st = crate::state::derive(&cib);
    let failed = st
        .fail_counts
        .iter()
        .any(|f| f.node == node && f.resource == prim.id)
        || st
            .failures
            .iter()
            .any(|f| f.node == node && f.resource == prim.id);
    let data_status = me.and_then(|r| r.pgsql_data_status.clone());
    let lock = Path::new(&params.tmpdir).join("PGSQL.lock");
    let copied = marker_in_pgdata;
    let source_address = format!("{}:{}", params.master_ip, params.pgport);
    let nothing_to_do = !banned
        && !copied
        && !marker_in_staging
        && me.is_some_and(|r| {
            r.role == Role::Unpromoted && streaming_status(r.pgsql_status.as_deref())
        });
    let rate = req
        .max_rate
        .as_deref()
        .and_then(parse_rate)
        .unwrap_or(ASSUMED_RATE);
    let estimate = source_bytes.map(|b| Duration::from_secs_f64(b as f64 / rate as f64));
    let s = |kind, what: String, done| Step { kind, what, done };
    let mut steps = vec![
        s(
            StepKind::Ban,
            format!("keep {clone} off {node} ({ban}); the node's cluster stack keeps running"),
            banned || copied,
        ),
        s(
            StepKind::Stop,
            format!("wait until {} is stopped on {node}", prim.id),
            stopped,
        ),
    ];
    match method {
        Method::Rewind => steps.push(s(
            StepKind::Copy,
            format!("pg_rewind {pgdata} from {source_node}'s server (in place)"),
            copied,
        )),
        _ => {
            steps.push(s(
                StepKind::Copy,
                format!(
                    "pg_basebackup from {source_address} (-X stream -c fast{}) into {}",
                    req.max_rate
                        .as_deref()
                        .map(|r| format!(" --max-rate {r}"))
                        .unwrap_or_default(),
                    staging(&pgdata).display()
                ),
                copied || marker_in_staging,
            ));
            steps.push(s(
                StepKind::Swap,
                format!(
                    "rename {pgdata} to {pgdata}.pgcrm-old-<time>{}, the new copy to {pgdata}",
                    if req.discard_old {
                        " (deleted at the end: --discard-old)"
                    } else {
                        " (kept)"
                    }
                ),
                copied,
            ));
        }
    }
    steps.extend([
        s(
            StepKind::StandbyConfig,
            format!(
                "write standby.signal and {}/recovery.conf (primary_conninfo host={} application_name={node})",
                params.tmpdir, params.master_ip
            ),
            false,
        ),
        s(
            StepKind::LockFile,
            format!("remove {}", lock.display()),
            !lock.exists(),
        ),
        s(
            StepKind::DataStatus,
            format!(
                "delete {}-data-status of {node}{}",
                prim.id,
                data_status
                    .as_deref()
                    .map(|d| format!(" (now {d})"))
                    .unwrap_or_default()
            ),
            data_status.is_none(),
        ),
        s(
            StepKind::Cleanup,
            format!("clear {}'s fail counts and failed operations on {node}", prim.id),
            !failed,
        ),
        s(
            StepKind::Unban,
            format!("remove {ban}: Pacemaker starts {} on {node} as a standby", prim.id),
            false,
        ),
        s(
            StepKind::Wait,
            format!("wait until {node} is HS:sync or HS:async (streaming)"),
            false,
        ),
        s(StepKind::Finish, "report the timings".to_string(), false),
    ]);
    Ok(RebuildPlan {
        node: node.to_string(),
        resource: prim.id.clone(),
        clone,
        source_node,
        source_address,
        pgdata_bytes: dir_size(Path::new(&pgdata)),
        pgdata,
        source_bytes,
        method,
        method_reason,
        estimate,
        assumed_rate: rate,
        steps,
        nothing_to_do,
        params,
        request: req.clone(),
        primitive: prim,
    })
}

/// pg_basebackup's rate syntax: kB/s, or with `k`/`M` suffix.
pub fn parse_rate(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1024),
        'M' | 'm' => (&s[..s.len() - 1], 1024 * 1024),
        _ => (s, 1024),
    };
    let n: u64 = num.trim().parse().ok()?;
    (n > 0).then_some(n * mult)
}

/// A step failed: which one, what state the node is in, how to continue.
fn failed(p: &RebuildPlan, step: StepKind, why: impl std::fmt::Display, state: &str) -> Error {
    Error::StepFailed(format!(
        "step {} failed: {why}; {} is now: {state}; fix the cause, then continue with: pgcrm rebuild-standby {} --yes",
        step.name(),
        p.node,
        p.node
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
    for step in &p.steps {
        obs.step_started(step);
        let ts = Instant::now();
        let skipped = match step.kind {
            StepKind::Ban => step_ban(cluster, p)?,
            StepKind::Stop => step_stop(cluster, p, obs)?,
            StepKind::Copy => step_copy(p, obs)?,
            StepKind::Swap => {
                let (skipped, old) = step_swap(p)?;
                old_pgdata = old;
                skipped
            }
            StepKind::StandbyConfig => step_standby_config(p)?,
            StepKind::LockFile => step_lock(p)?,
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
                old_pgdata = step_finish(p, old_pgdata)?;
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

/// Applies a change built on a fresh CIB; retried once when the CIB moved in between.
fn apply_fresh(
    cluster: &dyn Cluster,
    build: impl Fn(&Cib) -> Result<Option<CibChange>>,
) -> Result<bool> {
    for attempt in 0..3 {
        let cib = cluster.query_cib()?;
        let Some(change) = build(&cib)? else {
            return Ok(false);
        };
        match cluster.apply(&cib, &change) {
            Ok(_) => return Ok(true),
            Err(Error::Stale { .. }) if attempt < 2 => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("the loop returns")
}

fn step_ban(cluster: &dyn Cluster, p: &RebuildPlan) -> Result<bool> {
    if Path::new(&p.pgdata).join(MARKER).exists()
        && !has_constraint(&cluster.query_cib()?, &ban_id(&p.clone, &p.node))
    {
        // the data is rebuilt already and the ban was lifted by an earlier run
        return Ok(true);
    }
    let applied = apply_fresh(cluster, |cib| {
        if has_constraint(cib, &ban_id(&p.clone, &p.node)) {
            return Ok(None);
        }
        let (plan, _) = rops::plan_ban(cib, &p.clone, &p.node, None, None, chrono::Utc::now())?;
        Ok(Some(plan.change))
    })
    .map_err(|e| failed(p, StepKind::Ban, e, "unchanged"))?;
    Ok(!applied)
}

fn step_stop(cluster: &dyn Cluster, p: &RebuildPlan, obs: &mut dyn Observer) -> Result<bool> {
    let expect = Expect::NotOn {
        resource: p.clone.clone(),
        node: p.node.clone(),
        role: Role::Started,
    };
    let cib = cluster.query_cib()?;
    let was_running = !expect.holds(&cib);
    if was_running {
        wait::wait(cluster, &expect, Duration::from_secs(180), &mut |a| {
            obs.action(a)
        })
        .map_err(|e| {
            failed(
                p,
                StepKind::Stop,
                e,
                &format!("{} banned, maybe still running", p.clone),
            )
        })?;
    }
    if let Some(pid) = agent_pg::postmaster_pid(&p.pgdata) {
        return Err(failed(
            p,
            StepKind::Stop,
            format!(
                "a PostgreSQL server (pid {pid}) still runs in {} although Pacemaker stopped {}",
                p.pgdata, p.resource
            ),
            &format!("{} banned, data untouched", p.clone),
        ));
    }
    Ok(!was_running)
}

fn owner(p: &RebuildPlan) -> Result<agent_pg::Owner> {
    agent_pg::lookup_user(&p.params.pgdba).ok_or_else(|| {
        Error::Usage(format!(
            "the pgdba user '{}' does not exist on {}",
            p.params.pgdba, p.node
        ))
    })
}

/// A command run as the data directory's owner, killed when pgcrm dies (so an interrupted
/// run leaves no copy still writing behind it).
fn command_as(owner: &agent_pg::Owner, program: &Path, args: &[String]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LANG", "C")
        .env("LC_ALL", "C")
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let (uid, gid, groups) = (owner.uid, owner.gid, owner.groups());
    // SAFETY: only async-signal-safe calls (prctl, setgroups, setgid, setuid) in the child.
    unsafe {
        cmd.pre_exec(move || {
            if libc::geteuid() == 0
                && uid != 0
                && (libc::setgroups(groups.len(), groups.as_ptr()) != 0
                    || libc::setgid(gid) != 0
                    || libc::setuid(uid) != 0)
            {
                return Err(std::io::Error::last_os_error());
            }
            // after setuid: a change of credentials clears the parent-death signal
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    cmd
}

/// Runs `cmd`, feeding pg_basebackup/pg_rewind `--progress` lines (`123/456 kB`) to `obs`.
fn run_with_progress(
    mut cmd: Command,
    total: Option<u64>,
    obs: &mut dyn Observer,
) -> std::result::Result<(), String> {
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let mut err = child.stderr.take().expect("piped");
    let mut buf = [0u8; 4096];
    let mut line = Vec::new();
    let mut text = String::new();
    loop {
        let n = err.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        for &b in &buf[..n] {
            if b == b'\r' || b == b'\n' {
                let l = String::from_utf8_lossy(&line).into_owned();
                if let Some((done, of)) = progress_kb(&l) {
                    obs.copy_progress(done * 1024, Some(of * 1024).or(total));
                } else if !l.trim().is_empty() {
                    text.push_str(l.trim());
                    text.push('\n');
                }
                line.clear();
            } else {
                line.push(b);
            }
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{status}: {}", text.trim()))
    }
}

/// `  12345/67890 kB (18%), 0/1 tablespace` → (12345, 67890).
fn progress_kb(line: &str) -> Option<(u64, u64)> {
    let l = line.trim();
    let (nums, _) = l.split_once(" kB")?;
    let (a, b) = nums.split_once('/')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// A process whose command line names `dir` (a pg_basebackup left over by an interrupted run
/// that outlived pgcrm), if any.
fn writer_of(dir: &Path) -> Option<i32> {
    let needle = dir.display().to_string();
    let me = std::process::id() as i32;
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: i32 = e.file_name().to_str()?.parse().ok()?;
        let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        (pid != me && cmd.contains(&needle) && !cmd.contains("rebuild-standby")).then_some(pid)
    })
}

/// Stops `pid` when it is a pg_basebackup orphaned by an interrupted run: with `-X stream`
/// pg_basebackup forks a WAL streamer that outlives its killed parent and streams on forever
/// into the old copy. True when it is gone.
fn stop_orphan(pid: i32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    let ppid: i32 = field("PPid:").and_then(|v| v.parse().ok()).unwrap_or(0);
    let parent_comm = std::fs::read_to_string(format!("/proc/{ppid}/comm")).unwrap_or_default();
    let orphan = ppid <= 1 || parent_comm.trim() != "pg_basebackup";
    if field("Name:").as_deref() != Some("pg_basebackup") || !orphan {
        return false;
    }
    for (sig, tries) in [(libc::SIGTERM, 50), (libc::SIGKILL, 50)] {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(pid, sig) };
        for _ in 0..tries {
            if !Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/status"))
                    .is_ok_and(|s| s.contains("State:\tZ"))
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    false
}

fn write_marker(dir: &Path, old: &str, owner: &agent_pg::Owner) -> std::io::Result<()> {
    let path = dir.join(MARKER);
    std::fs::write(&path, format!("{old}\n"))?;
    std::os::unix::fs::chown(&path, Some(owner.uid), Some(owner.gid))
}

fn step_copy(p: &RebuildPlan, obs: &mut dyn Observer) -> Result<bool> {
    let pgdata = Path::new(&p.pgdata);
    let stage = staging(&p.pgdata);
    if pgdata.join(MARKER).exists() || stage.join(MARKER).exists() {
        return Ok(true);
    }
    let owner = owner(p)?;
    let fail = |e: &dyn std::fmt::Display, state: &str| failed(p, StepKind::Copy, e, state);
    let bin = |name: &str| Path::new(&p.params.pgctl).with_file_name(name);
    let old = format!(
        "{}.pgcrm-old-{}",
        p.pgdata,
        chrono::Local::now().format("%Y%m%dT%H%M%S")
    );
    if p.method == Method::Rewind {
        let conninfo = format!(
            "host={} port={} user={} dbname=postgres application_name=pgcrm-rewind",
            p.params.master_ip, p.params.pgport, p.params.pgdba
        );
        let args = vec![
            "-D".to_string(),
            p.pgdata.clone(),
            format!("--source-server={conninfo}"),
            "--progress".into(),
        ];
        run_with_progress(
            command_as(&owner, &bin("pg_rewind"), &args),
            p.source_bytes,
            obs,
        )
        .map_err(|e| {
            fail(
                &format!("pg_rewind: {e} (try --method basebackup)"),
                "banned, data directory possibly half rewound: rebuild with --method basebackup",
            )
        })?;
        write_marker(pgdata, "", &owner).map_err(|e| fail(&e, "banned, rewound"))?;
        return Ok(false);
    }
    if let Some(pid) = writer_of(&stage).filter(|&pid| !stop_orphan(pid)) {
        return Err(fail(
            &format!("a copy into {} still runs (pid {pid})", stage.display()),
            "banned, old data untouched; stop that process or wait for it, then run again",
        ));
    }
    if stage.exists() {
        // an interrupted copy: start it again
        std::fs::remove_dir_all(&stage).map_err(|e| {
            fail(
                &format!("cannot remove the incomplete copy {}: {e}", stage.display()),
                "banned, old data untouched",
            )
        })?;
    }
    std::fs::create_dir(&stage)
        .and_then(|_| std::os::unix::fs::chown(&stage, Some(owner.uid), Some(owner.gid)))
        .and_then(|_| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&stage, std::fs::Permissions::from_mode(0o700))
        })
        .map_err(|e| {
            fail(
                &format!("cannot create {}: {e}", stage.display()),
                "banned, old data untouched",
            )
        })?;
    let mut args = vec![
        "-h".to_string(),
        p.params.master_ip.clone(),
        "-p".into(),
        p.params.pgport.clone(),
        "-U".into(),
        p.params.repuser.clone(),
        "-D".into(),
        stage.display().to_string(),
        "-X".into(),
        "stream".into(),
        "-c".into(),
        "fast".into(),
        "--no-password".into(),
        "--progress".into(),
    ];
    if let Some(r) = &p.request.max_rate {
        args.push(format!("--max-rate={r}"));
    }
    run_with_progress(
        command_as(&owner, &bin("pg_basebackup"), &args),
        p.source_bytes,
        obs,
    )
    .map_err(|e| {
        fail(
            &format!("pg_basebackup: {e}"),
            "banned, old data untouched, incomplete copy removed on the next run",
        )
    })?;
    write_marker(&stage, &old, &owner).map_err(|e| fail(&e, "banned, old data untouched"))?;
    Ok(false)
}

/// Renames the old data directory away and the new copy into place; returns the old name.
fn step_swap(p: &RebuildPlan) -> Result<(bool, Option<String>)> {
    let pgdata = Path::new(&p.pgdata);
    if let Ok(old) = std::fs::read_to_string(pgdata.join(MARKER)) {
        let old = old.trim().to_string();
        return Ok((true, Some(old).filter(|o| !o.is_empty())));
    }
    let stage = staging(&p.pgdata);
    let old = std::fs::read_to_string(stage.join(MARKER))
        .map_err(|e| {
            failed(
                p,
                StepKind::Swap,
                format!("the new copy {} is not complete: {e}", stage.display()),
                "banned, old data untouched",
            )
        })?
        .trim()
        .to_string();
    if pgdata.exists() {
        std::fs::rename(pgdata, &old).map_err(|e| {
            failed(
                p,
                StepKind::Swap,
                format!("cannot rename {} to {old}: {e}", p.pgdata),
                "banned, old data untouched, new copy complete",
            )
        })?;
    }
    std::fs::rename(&stage, pgdata).map_err(|e| {
        failed(
            p,
            StepKind::Swap,
            format!("cannot rename {} to {}: {e}", stage.display(), p.pgdata),
            &format!("banned, old data in {old}, new copy complete"),
        )
    })?;
    Ok((false, Some(old)))
}

fn write_owned(path: &Path, text: &str, owner: &agent_pg::Owner) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text)?;
    std::os::unix::fs::chown(path, Some(owner.uid), Some(owner.gid))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

/// The settings the agent writes when it starts a standby (so a start by hand can never make
/// a second primary out of the copy either).
fn step_standby_config(p: &RebuildPlan) -> Result<bool> {
    let owner = owner(p)?;
    let fail = |e: std::io::Error, what: &Path| {
        failed(
            p,
            StepKind::StandbyConfig,
            format!("cannot write {}: {e}", what.display()),
            "banned, data copied",
        )
    };
    let signal = agent_pg::pg_version(&p.pgdata).is_some_and(|v| v >= (12, 0));
    let text = crate::agent::recovery_settings(&p.params, &p.node.to_lowercase(), signal);
    let conf = if signal {
        let s = Path::new(&p.pgdata).join("standby.signal");
        write_owned(&s, "", &owner).map_err(|e| fail(e, &s))?;
        let _ = std::fs::remove_file(Path::new(&p.pgdata).join("recovery.signal"));
        Path::new(&p.params.tmpdir).join("recovery.conf")
    } else {
        Path::new(&p.pgdata).join("recovery.conf")
    };
    write_owned(&conf, &text, &owner).map_err(|e| fail(e, &conf))?;
    Ok(false)
}

fn step_lock(p: &RebuildPlan) -> Result<bool> {
    let lock = Path::new(&p.params.tmpdir).join("PGSQL.lock");
    match std::fs::remove_file(&lock) {
        Ok(()) => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(failed(
            p,
            StepKind::LockFile,
            format!("cannot remove {}: {e}", lock.display()),
            "banned, data copied",
        )),
    }
}

fn step_data_status(cluster: &dyn Cluster, p: &RebuildPlan) -> Result<bool> {
    let name = format!("{}-data-status", p.resource);
    let applied = apply_fresh(cluster, |cib| {
        let Some(n) = cib.nodes.iter().find(|n| n.uname == p.node) else {
            return Ok(None);
        };
        let mut change = CibChange::new(CibVersion::of(cib));
        let owner = ElementPath::section(&["configuration", "nodes"]).child("node", &n.id);
        let found = change.delete_nvpair(&cib.tree, &owner, "instance_attributes", &name);
        Ok((found > 0).then_some(change))
    })
    .map_err(|e| {
        failed(
            p,
            StepKind::DataStatus,
            e,
            "banned, data copied, lock file removed",
        )
    })?;
    Ok(!applied)
}

fn step_cleanup(cluster: &dyn Cluster, p: &RebuildPlan) -> Result<bool> {
    let cib = cluster.query_cib()?;
    let st = crate::state::derive(&cib);
    let failed_here = st
        .fail_counts
        .iter()
        .any(|f| f.node == p.node && f.resource == p.resource)
        || st
            .failures
            .iter()
            .any(|f| f.node == p.node && f.resource == p.resource);
    if !failed_here {
        return Ok(true);
    }
    let target = CleanupTarget {
        node: p.node.clone(),
        history_id: p.resource.clone(),
        fail_count_name: p.resource.clone(),
        class: p.primitive.class.clone(),
        provider: p.primitive.provider.clone(),
        agent_type: p.primitive.agent_type.clone(),
        operation: None,
        refresh: false,
        // The old primary ran (and failed) here: its history is what is being cleaned.
        delete_history: true,
    };
    cluster.cleanup(&cib, &[target]).map_err(|e| {
        failed(
            p,
            StepKind::Cleanup,
            e,
            "banned, data copied, lock file removed",
        )
    })?;
    Ok(false)
}

fn step_unban(cluster: &dyn Cluster, p: &RebuildPlan) -> Result<bool> {
    let id = ban_id(&p.clone, &p.node);
    let applied = apply_fresh(cluster, |cib| {
        let plan = rops::plan_remove(cib, std::slice::from_ref(&id), chrono::Utc::now());
        Ok((!plan.change.is_empty()).then_some(plan.change))
    })
    .map_err(|e| failed(p, StepKind::Unban, e, "banned, data copied and ready"))?;
    Ok(!applied)
}

/// Waits until the node streams as it should and the cluster has finished acting (so the
/// read VIP has followed); returns the node's `<rsc>-status`. With `rep_mode=sync` and no
/// other synchronous standby, `HS:async` is only the way to `HS:sync`: wait for `HS:sync`.
fn step_wait(
    cluster: &dyn Cluster,
    p: &RebuildPlan,
    timeout: Duration,
    obs: &mut dyn Observer,
) -> Result<String> {
    let mut watch = cluster.watch()?;
    let start = Instant::now();
    let mut cib = cluster.query_cib()?;
    let sync_mode = p.params.rep_mode_text == "sync";
    loop {
        let all = rows(&cib);
        let row = all.iter().find(|r| r.node == p.node);
        let status = row.and_then(|r| r.pgsql_status.clone());
        let other_sync = all
            .iter()
            .any(|r| r.node != p.node && r.pgsql_status.as_deref() == Some("HS:sync"));
        let want_ok = match status.as_deref() {
            Some("HS:sync") => true,
            Some("HS:async") => !sync_mode || other_sync,
            _ => false,
        };
        if row.is_some_and(|r| r.role == Role::Unpromoted)
            && want_ok
            && !wait::pending(&cib)
            && cluster.dc_state()?.is_none_or(|s| s == "S_IDLE")
        {
            return Ok(status.unwrap_or_default());
        }
        if start.elapsed() >= timeout {
            let state = format!(
                "{} {}, {}-status {}",
                p.resource,
                row.map(|r| r.role.as_str()).unwrap_or("Stopped"),
                p.resource,
                status.as_deref().unwrap_or("unset")
            );
            return Err(Error::Timeout(format!(
                "step wait: {} is not streaming after {}s; {} is now: {state}; see pgcrm status, then continue with: pgcrm rebuild-standby {} --yes",
                p.node,
                timeout.as_secs(),
                p.node,
                p.node
            )));
        }
        let before = cib.clone();
        watch.changed((timeout - start.elapsed()).min(Duration::from_secs(1)))?;
        cib = cluster.query_cib()?;
        for a in wait::completed_between(&before, &cib) {
            obs.action(&a);
        }
    }
}

fn step_finish(p: &RebuildPlan, old: Option<String>) -> Result<Option<String>> {
    let marker = Path::new(&p.pgdata).join(MARKER);
    let old = old.or_else(|| {
        std::fs::read_to_string(&marker)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    });
    let _ = std::fs::remove_file(&marker);
    if p.request.discard_old {
        if let Some(o) = &old {
            if Path::new(o).exists() {
                std::fs::remove_dir_all(o).map_err(|e| {
                    failed(
                        p,
                        StepKind::Finish,
                        format!("cannot delete the old data directory {o}: {e}"),
                        "a streaming standby",
                    )
                })?;
            }
            return Ok(None);
        }
    }
    Ok(old.filter(|o| Path::new(o).exists()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines() {
        assert_eq!(
            progress_kb("  23110/23110 kB (100%), 1/1 tablespace"),
            Some((23110, 23110))
        );
        assert_eq!(progress_kb("waiting for checkpoint"), None);
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("32"), Some(32 * 1024));
        assert_eq!(parse_rate("50M"), Some(50 * 1024 * 1024));
        assert_eq!(parse_rate("100k"), Some(100 * 1024));
        assert_eq!(parse_rate("x"), None);
    }

    #[test]
    fn staging_is_a_sibling() {
        assert_eq!(
            staging("/var/lib/pgsql/data/"),
            PathBuf::from("/var/lib/pgsql/data.pgcrm-new")
        );
    }
}
