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
//! [`DataJob`] in on stdin, JSON lines out. Reports through [`Observer`]; nothing here prints
//! or prompts.

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

/// How the data steps reach NODE from another node: like rsync's `-e`, a remote shell
/// program (`ssh -o BatchMode=yes` by default; the lab's `pgcrm-lab exec` in the drills)
/// called as `SHELL... NODE PGCRM rebuild-standby NODE --local-step`. Every word after the
/// shell is a plain word (checked), so that a shell on the far side splits them back the
/// same way.
#[derive(Debug, Clone)]
pub struct Remote {
    pub shell: Vec<String>,
    /// The pgcrm binary on NODE (this binary's own path: installed alike on every node).
    pub pgcrm: String,
    /// The options that asked for this (` --ssh`, with `--rsh` when not the default), for
    /// the command to continue after a failure.
    pub resume: String,
}

/// A word that passes through a remote shell unchanged.
pub fn plain_word(w: &str) -> bool {
    !w.is_empty()
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@".contains(&b))
}

/// What a data step needs, sent to NODE as JSON when it runs there through a remote shell.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DataJob {
    pub node: String,
    /// The PostgreSQL primitive and its instance attributes (NODE derives the agent's
    /// parameters from them as the agent does).
    pub resource: String,
    pub resource_params: Vec<(String, String)>,
    pub method: Method,
    pub max_rate: Option<String>,
    pub discard_old: bool,
    pub source_bytes: Option<u64>,
    pub wal_bytes: Option<u64>,
    /// What a re-run needs besides `NODE --yes` (` --ssh`), for the failure messages.
    pub resume: String,
}

/// A [`DataJob`] with the agent's parameters it implies.
#[derive(Debug, Clone)]
pub struct Data {
    pub job: DataJob,
    pub params: Params,
    pub pgdata: String,
}

impl std::ops::Deref for Data {
    type Target = DataJob;
    fn deref(&self) -> &DataJob {
        &self.job
    }
}

impl Data {
    pub fn new(job: DataJob) -> Result<Data> {
        let params = params_from(&job.resource, &job.resource_params, &job.node)?;
        let pgdata = params.pgdata.trim_end_matches('/').to_string();
        Ok(Data {
            job,
            params,
            pgdata,
        })
    }
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

/// NODE's side of the plan: what its data directory holds now.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct NodeFacts {
    /// A live postmaster in the data directory.
    pub postmaster_pid: Option<i32>,
    /// Why pg_rewind cannot work on the data directory (None: it can).
    pub no_rewind: Option<String>,
    pub marker_in_pgdata: bool,
    pub marker_in_staging: bool,
    pub staging_exists: bool,
    pub pgdata_bytes: Option<u64>,
    pub lock_exists: bool,
}

fn node_facts(d: &Data) -> NodeFacts {
    let pgdata = &d.pgdata;
    let rewind = controldata(&d.params.pgctl, pgdata);
    NodeFacts {
        postmaster_pid: agent_pg::postmaster_pid(pgdata),
        no_rewind: rewind.err(),
        marker_in_pgdata: Path::new(pgdata).join(MARKER).exists(),
        marker_in_staging: staging(pgdata).join(MARKER).exists(),
        staging_exists: staging(pgdata).exists(),
        pgdata_bytes: dir_size(Path::new(pgdata)),
        lock_exists: Path::new(&d.params.tmpdir).join("PGSQL.lock").exists(),
    }
}

/// A call of the hidden `--local-step`: the plan's facts, or one data step.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LocalCall {
    pub job: DataJob,
    /// None: [`NodeFacts`].
    pub step: Option<StepKind>,
    /// The old data directory, for the finish step.
    pub old_pgdata: Option<String>,
}

/// What a data step reports.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct StepOut {
    pub skipped: bool,
    pub old_pgdata: Option<String>,
}

/// A line `--local-step` prints on stdout.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LocalLine {
    Progress { done: u64, total: Option<u64> },
    Facts(NodeFacts),
    Step(StepOut),
}

/// Runs a [`LocalCall`] on this node (the `--local-step` side); progress goes to `progress`.
pub fn local_call(
    call: LocalCall,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<LocalLine> {
    let d = Data::new(call.job)?;
    match call.step {
        None => Ok(LocalLine::Facts(node_facts(&d))),
        Some(kind) => {
            let mut obs = ProgressOnly(progress);
            data_step(&d, kind, call.old_pgdata, &mut obs).map(LocalLine::Step)
        }
    }
}

/// An [`Observer`] that only passes the copy's progress on.
struct ProgressOnly<'a>(&'a mut dyn FnMut(u64, Option<u64>));

impl Observer for ProgressOnly<'_> {
    fn step_started(&mut self, _: &Step) {}
    fn step_finished(&mut self, _: &Step, _: bool, _: Duration) {}
    fn copy_progress(&mut self, done: u64, total: Option<u64>) {
        (self.0)(done, total)
    }
    fn action(&mut self, _: &wait::Action) {}
}

/// One data step, here.
fn data_step(
    d: &Data,
    kind: StepKind,
    old: Option<String>,
    obs: &mut dyn Observer,
) -> Result<StepOut> {
    let out = |skipped| StepOut {
        skipped,
        old_pgdata: None,
    };
    match kind {
        StepKind::Stop => step_stopped_here(d).map(|_| out(true)),
        StepKind::Copy => step_copy(d, obs).map(out),
        StepKind::Swap => step_swap(d).map(|(skipped, old_pgdata)| StepOut {
            skipped,
            old_pgdata,
        }),
        StepKind::StandbyConfig => step_standby_config(d).map(out),
        StepKind::LockFile => step_lock(d).map(out),
        StepKind::Finish => step_finish(d, old).map(|old_pgdata| StepOut {
            skipped: false,
            old_pgdata,
        }),
        other => Err(Error::Usage(format!(
            "{} is not a step that runs on the node's files",
            other.name()
        ))),
    }
}

/// Where the data steps run.
enum Host<'a> {
    Here,
    Remote(&'a Remote),
}

impl Host<'_> {
    fn of(req: &Request) -> Host<'_> {
        match &req.remote {
            Some(r) if req.local_node.as_deref() != Some(req.node.as_str()) => Host::Remote(r),
            _ => Host::Here,
        }
    }

    fn facts(&self, d: &Data) -> Result<NodeFacts> {
        match self {
            Host::Here => Ok(node_facts(d)),
            Host::Remote(r) => {
                let call = LocalCall {
                    job: d.job.clone(),
                    step: None,
                    old_pgdata: None,
                };
                let answer = remote_call(r, &call, &mut |_, _| {}).map_err(|e| match e {
                    Error::Unsafe(m) => Error::StepFailed(format!(
                        "cannot look at {}'s data directory: {m}; nothing was changed",
                        d.node
                    )),
                    e => e,
                })?;
                match answer {
                    LocalLine::Facts(f) => Ok(f),
                    other => Err(Error::Usage(format!(
                        "{}'s pgcrm answered {other:?} instead of its facts",
                        d.node
                    ))),
                }
            }
        }
    }

    fn step(
        &self,
        d: &Data,
        kind: StepKind,
        old: Option<String>,
        obs: &mut dyn Observer,
    ) -> Result<StepOut> {
        match self {
            Host::Here => data_step(d, kind, old, obs),
            Host::Remote(r) => {
                let call = LocalCall {
                    job: d.job.clone(),
                    step: Some(kind),
                    old_pgdata: old,
                };
                match remote_call(r, &call, &mut |done, total| obs.copy_progress(done, total))
                    .map_err(|e| match e {
                        Error::StepFailed(m) => Error::StepFailed(m),
                        e => failed(
                            d,
                            kind,
                            e,
                            "unknown (the step may have run): see pgcrm status",
                        ),
                    })? {
                    LocalLine::Step(o) => Ok(o),
                    other => Err(Error::Usage(format!(
                        "{}'s pgcrm answered {other:?} instead of a step's result",
                        d.node
                    ))),
                }
            }
        }
    }
}

/// Runs `call` on NODE through the remote shell; NODE's failure (one line, `pgcrm: ...`) is
/// passed on as it is, a failure of the shell itself names the shell.
fn remote_call(
    r: &Remote,
    call: &LocalCall,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<LocalLine> {
    use std::io::{BufRead, Write};
    let node = &call.job.node;
    let mut words = r.shell.clone();
    words.extend(
        [node, &r.pgcrm, "rebuild-standby", node, "--local-step"]
            .iter()
            .map(|w| w.to_string()),
    );
    let how = words.join(" ");
    let mut child = Command::new(&words[0])
        .args(&words[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Error::Usage(format!(
                "cannot run the remote shell `{how}`: {e} (see --rsh)"
            ))
        })?;
    let json = serde_json::to_string(call).map_err(|e| Error::Usage(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        // a shell that failed at once closed its stdin: its exit tells why
        let _ = stdin.write_all(json.as_bytes());
    }
    let stderr = child.stderr.take().expect("piped");
    let errs = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::BufReader::new(stderr).read_to_string(&mut text);
        text
    });
    let mut last = None;
    for line in std::io::BufReader::new(child.stdout.take().expect("piped")).lines() {
        let Ok(line) = line else { break };
        match serde_json::from_str::<LocalLine>(&line) {
            Ok(LocalLine::Progress { done, total }) => progress(done, total),
            Ok(l) => last = Some(l),
            Err(_) => {}
        }
    }
    let status = child.wait().map_err(|e| Error::Usage(e.to_string()))?;
    let err_text = errs.join().unwrap_or_default();
    match (status.success(), last) {
        (true, Some(l)) => Ok(l),
        _ => {
            let msg = err_text
                .lines()
                .rev()
                .find_map(|l| l.strip_prefix("pgcrm: "))
                .map(str::to_string);
            Err(match msg {
                // pgcrm ran on NODE and said why
                Some(m) => Error::StepFailed(m),
                None => Error::Unsafe(format!(
                    "`{how}` failed ({status}): {}",
                    err_text.trim().lines().last().unwrap_or("no message")
                )),
            })
        }
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
    /// Bytes of WAL the copy brings along ([`wal_to_copy`]); None when the primary's
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
    pub params: Params,
    /// A copy made by an earlier run is in place in the data directory.
    #[serde(skip)]
    pub copied: bool,
    /// What the data steps need (sent to NODE with --ssh).
    #[serde(skip)]
    pub data: Data,
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

/// The id of the ban that keeps the resource off NODE during the rebuild: the one
/// `crm_resource --ban` (and `pgcrm resource ban`) would give it, so that it shows in
/// `pgcrm status`'s cli-* banner and `crm_resource --clear` / `pgcrm resource clear` lift it
/// if a run is abandoned. What tells it apart from an operator's ban of the same id is its
/// rule (see [`REBUILD_RULE`]): those tools write either `node`/`score` attributes or a
/// rule named `<id>-rule`.
pub fn ban_id(clone: &str, node: &str) -> String {
    format!("cli-ban-{clone}-on-{node}")
}

/// Suffix of the rule id inside rebuild-standby's own ban: `<ban id>-pgcrm-rebuild-standby`.
/// A location constraint carries no description in Pacemaker's schema; the rule id is the
/// one place of its own that every tool keeps as written.
pub const REBUILD_RULE: &str = "pgcrm-rebuild-standby";

/// Who made the `cli-ban` of the resource on NODE, if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ban {
    None,
    /// rebuild-standby's own (an earlier run's leftover when seen in the plan).
    Ours,
    /// Anyone else's: an operator's `crm_resource --ban`, `pgcrm resource ban`...
    Operator,
}

/// Classifies the `cli-ban-<clone>-on-<node>` constraint of `cib`.
pub fn ban_owner(cib: &Cib, clone: &str, node: &str) -> Ban {
    let id = ban_id(clone, node);
    let rule = format!("{id}-{REBUILD_RULE}");
    match cib.constraints.iter().find_map(|c| match c {
        crate::cib::Constraint::Location(l) if l.id == id => Some(l),
        _ => None,
    }) {
        None => Ban::None,
        Some(l) if l.node.is_none() && l.rules.len() == 1 && l.rules[0].id == rule => Ban::Ours,
        Some(_) => Ban::Operator,
    }
}

/// rebuild-standby's own ban of `clone` on `node`: `-INFINITY` for `#uname eq node`, in a
/// rule whose id marks it as ours (no lifetime: a run cut short must not let the node back
/// in with half a copy).
pub fn own_ban(clone: &str, node: &str) -> crate::cib::Element {
    use crate::cib::Element;
    let id = ban_id(clone, node);
    let rule = format!("{id}-{REBUILD_RULE}");
    let mut r = Element::new("rule")
        .with_attr("id", &rule)
        .with_attr("score", "-INFINITY")
        .with_attr("boolean-op", "and");
    r.children.push(
        Element::new("expression")
            .with_attr("id", format!("{rule}-expr"))
            .with_attr("attribute", "#uname")
            .with_attr("operation", "eq")
            .with_attr("value", node)
            .with_attr("type", "string"),
    );
    let mut loc = Element::new("rsc_location")
        .with_attr("id", &id)
        .with_attr("rsc", clone)
        .with_attr("role", "Started");
    loc.children.push(r);
    loc
}

/// The change that adds [`own_ban`] to `cib` (None when a `cli-ban` of that id exists).
pub fn own_ban_change(cib: &Cib, clone: &str, node: &str) -> Option<CibChange> {
    if ban_owner(cib, clone, node) != Ban::None {
        return None;
    }
    let mut change = CibChange::new(CibVersion::of(cib));
    change.create(
        ElementPath::section(&["configuration", "constraints"]),
        own_ban(clone, node),
    );
    Some(change)
}

/// The refusal of a node an operator banned: rebuilding it could not end with it streaming.
fn operator_ban_refusal(clone: &str, node: &str) -> Error {
    Error::Unsafe(format!(
        "{clone} is banned from {node} by {}, which rebuild-standby did not make: {node} could not come back as a standby; if that ban is no longer wanted, lift it (pgcrm resource clear {clone} --node {node}), then run again",
        ban_id(clone, node)
    ))
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

/// The agent's instance attributes set on the resource.
fn resource_params(prim: &crate::cib::Primitive) -> Vec<(String, String)> {
    crate::agent::params::PARAMS
        .iter()
        .filter_map(|s| {
            prim.params
                .get(s.name)
                .map(|v| (s.name.to_string(), v.to_string()))
        })
        .collect()
}

/// The agent's parameters with its defaults, as the agent would read them on `node`.
fn params_from(resource: &str, set: &[(String, String)], node: &str) -> Result<Params> {
    let mut env: Vec<(String, String)> = set
        .iter()
        .map(|(k, v)| (format!("OCF_RESKEY_{k}"), v.clone()))
        .collect();
    env.push(("OCF_RESOURCE_INSTANCE".into(), resource.to_string()));
    Params::from_env(&Env::new(env), node).map_err(|e| {
        Error::Usage(format!(
            "the {resource} resource's parameters are not valid: {}; fix the resource first",
            e.0
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

/// What `pg_controldata` says about a data directory: whether pg_rewind can work on it
/// (wal_log_hints on or checksums on).
fn controldata(pgctl: &str, pgdata: &str) -> std::result::Result<(), String> {
    match pg_controldata(pgctl, pgdata) {
        Ok(text) => {
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
        Err(e) => Err(e),
    }
}

fn pg_controldata(pgctl: &str, pgdata: &str) -> std::result::Result<String, String> {
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
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The WAL on the primary, as `pg_ls_waldir()` lists it: segment file names and sizes, and
/// the segment size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceWal {
    pub files: Vec<(String, u64)>,
    pub segment_size: u64,
}

/// Bytes of WAL the copy brings along. pg_basebackup `-X stream` streams the WAL from the
/// checkpoint it starts with (`-c fast`): at least one whole segment, plus what the primary
/// writes meanwhile (unknown, not counted). pg_rewind copies every file but relation data
/// whole, so the primary's whole pg_wal, older segments and all (as of PostgreSQL 18; a
/// patch to skip the segments before the fork was still under review in 2025): measured in
/// the lab, 84 MiB copied for 22 MiB of data and four segments.
pub fn wal_to_copy(method: Method, wal: &SourceWal) -> u64 {
    match method {
        Method::Rewind => wal.files.iter().map(|(_, size)| size).sum(),
        _ => wal.segment_size,
    }
}

/// The copy time at `rate` bytes per second for data plus WAL (None when neither is known).
pub fn estimate(data: Option<u64>, wal: Option<u64>, rate: u64) -> Option<Duration> {
    if data.is_none() && wal.is_none() {
        return None;
    }
    let bytes = data.unwrap_or(0) + wal.unwrap_or(0);
    Some(Duration::from_secs_f64(bytes as f64 / rate.max(1) as f64))
}

/// The primary's facts needed by the plan: (in recovery, bytes of data, its WAL when
/// `pg_ls_waldir()` may be read).
type SourceFacts = (bool, u64, Option<SourceWal>);

fn source_facts(t: &target::Target, timeout: Duration) -> std::result::Result<SourceFacts, String> {
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
            let Some((rec, size)) = rows.iter().find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => Some((
                    r.get(0) == Some("t"),
                    r.get(1).and_then(|s| s.parse().ok()).unwrap_or(0),
                )),
                _ => None,
            }) else {
                return Err("no row".to_string());
            };
            // a role without pg_monitor may not list pg_wal: the estimate goes without
            let wal = client
                .simple_query(
                    "SELECT name, size, (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') FROM pg_ls_waldir()",
                )
                .await
                .ok()
                .map(|rows| {
                    let mut wal = SourceWal::default();
                    for m in rows {
                        if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
                            let (Some(name), Some(size)) =
                                (r.get(0), r.get(1).and_then(|s| s.parse().ok()))
                            else {
                                continue;
                            };
                            wal.files.push((name.to_string(), size));
                            wal.segment_size = r.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
                        }
                    }
                    wal
                });
            Ok((rec, size, wal))
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
    let host = Host::of(req);
    if req.local_node.as_deref() != Some(node) && req.remote.is_none() {
        return Err(Error::Usage(format!(
            "rebuild-standby changes {node}'s data directory: run it on {node} (this is {}), or from here with --ssh",
            req.local_node.as_deref().unwrap_or("an unknown host")
        )));
    }
    let (prim, clone) = find_pg(&cib)?;
    let data = Data::new(DataJob {
        node: node.to_string(),
        resource: prim.id.clone(),
        resource_params: resource_params(&prim),
        method: req.method,
        max_rate: req.max_rate.clone(),
        discard_old: req.discard_old,
        source_bytes: None,
        wal_bytes: None,
        resume: match host {
            Host::Here => String::new(),
            Host::Remote(r) => r.resume.clone(),
        },
    })?;
    let params = data.params.clone();
    let rows = rows(&cib);
    let me = rows.iter().find(|r| r.node == node);
    if me.is_some_and(|r| r.role == Role::Promoted) {
        return Err(Error::Unsafe(format!(
            "{node} runs the primary ({clone} Promoted): rebuilding it would destroy the writable copy; switch over first (pgcrm resource move {clone} --to OTHER)"
        )));
    }
    let facts = host.facts(&data)?;
    if let Some(pid) = facts.postmaster_pid {
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
    let (source_bytes, source_wal) = match targets.first().map(|t| (t, source_facts(t, req.pg.timeout))) {
        Some((_, Ok((false, size, wal)))) => (Some(size), wal),
        Some((t, Ok((true, _, _)))) => {
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
        None => (None, None),
    };
    let pgdata = params.pgdata.trim_end_matches('/').to_string();
    let marker_in_pgdata = facts.marker_in_pgdata;
    let marker_in_staging = facts.marker_in_staging;
    let rewind = facts.no_rewind.clone().map_or(Ok(()), Err);
    let (method, method_reason) = if marker_in_pgdata || marker_in_staging {
        (
            Method::Basebackup,
            "a copy from an earlier run is complete".to_string(),
        )
    } else if req.method == Method::Auto && facts.staging_exists {
        // an interrupted pg_basebackup: the re-run finishes what the first run chose (a
        // rewind would leave the half copy behind, and --method rewind removes it)
        (
            Method::Basebackup,
            "an earlier run's pg_basebackup was interrupted: copying again".to_string(),
        )
    } else {
        match (req.method, rewind) {
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
    // An operator's ban says the node must stay off: refused rather than lifted at the end
    // (or kept, leaving a rebuilt node that never starts and a run that cannot end).
    let banned = match ban_owner(&cib, &clone, node) {
        Ban::None => false,
        Ban::Ours => true,
        Ban::Operator => return Err(operator_ban_refusal(&clone, node)),
    };
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
    let wal_bytes = source_wal.as_ref().map(|w| wal_to_copy(method, w));
    let estimate = estimate(source_bytes, wal_bytes, rate);
    let s = |kind, what: String, done| Step { kind, what, done };
    let mut steps = vec![
        s(
            StepKind::Ban,
            format!("keep {clone} off {node} ({ban}, rebuild-standby's own: lifted at the end); the node's cluster stack keeps running"),
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
            !facts.lock_exists,
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
        pgdata_bytes: facts.pgdata_bytes,
        pgdata,
        source_bytes,
        wal_bytes,
        method,
        method_reason,
        estimate,
        assumed_rate: rate,
        steps,
        nothing_to_do,
        params,
        copied,
        data: Data {
            job: DataJob {
                method,
                source_bytes,
                wal_bytes,
                ..data.job
            },
            ..data
        },
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
    // the copy step of the plan is done: the data was rebuilt by an earlier run
    if p.copied && ban_owner(&cluster.query_cib()?, &p.clone, &p.node) == Ban::None {
        // the data is rebuilt already and the ban was lifted by an earlier run
        return Ok(true);
    }
    let applied = apply_fresh(cluster, |cib| match ban_owner(cib, &p.clone, &p.node) {
        Ban::Operator => Err(operator_ban_refusal(&p.clone, &p.node)),
        _ => Ok(own_ban_change(cib, &p.clone, &p.node)),
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
    Ok(!was_running)
}

/// On NODE, after Pacemaker stopped the resource: no server may still run in the directory.
fn step_stopped_here(d: &Data) -> Result<()> {
    match agent_pg::postmaster_pid(&d.pgdata) {
        None => Ok(()),
        Some(pid) => Err(failed(
            d,
            StepKind::Stop,
            format!(
                "a PostgreSQL server (pid {pid}) still runs in {} although Pacemaker stopped {}",
                d.pgdata, d.resource
            ),
            "banned, data untouched",
        )),
    }
}

fn owner(p: &Data) -> Result<agent_pg::Owner> {
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

fn step_copy(p: &Data, obs: &mut dyn Observer) -> Result<bool> {
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
        // an incomplete pg_basebackup of an earlier run (--method basebackup) is not needed
        if stage.exists() {
            if let Some(pid) = writer_of(&stage).filter(|&pid| !stop_orphan(pid)) {
                return Err(fail(
                    &format!("a copy into {} still runs (pid {pid})", stage.display()),
                    "banned, old data untouched; stop that process or wait for it, then run again",
                ));
            }
            std::fs::remove_dir_all(&stage).map_err(|e| {
                fail(
                    &format!("cannot remove the incomplete copy {}: {e}", stage.display()),
                    "banned, old data untouched",
                )
            })?;
        }
        let conninfo = format!(
            "host={} port={} user={} dbname=postgres connect_timeout=10 application_name=pgcrm-rewind",
            p.params.master_ip, p.params.pgport, p.params.pgdba
        );
        let args = vec![
            "-D".to_string(),
            p.pgdata.clone(),
            format!("--source-server={conninfo}"),
            "--progress".into(),
        ];
        // pg_rewind finishes the crash recovery of a killed primary in single-user mode,
        // which refuses to run with a standby.signal (the agents write one before every
        // start); the standby-config step writes it again after the rewind
        for signal in ["standby.signal", "recovery.signal"] {
            match std::fs::remove_file(pgdata.join(signal)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(fail(
                        &format!("cannot remove {}: {e}", pgdata.join(signal).display()),
                        "banned, data untouched",
                    ))
                }
                _ => {}
            }
        }
        // A freshly promoted primary's pg_control still names the old timeline until its
        // first checkpoint (a spread one, minutes later): pg_rewind would read "same
        // timeline", say "no rewind required" and leave a directory that cannot follow the
        // new timeline. pg_rewind's documentation asks for this CHECKPOINT.
        let checkpoint = vec![
            "-X".to_string(),
            "-At".into(),
            "-v".into(),
            "ON_ERROR_STOP=1".into(),
            "-c".into(),
            "CHECKPOINT".into(),
            conninfo.clone(),
        ];
        run_with_progress(
            command_as(&owner, Path::new(&p.params.psql), &checkpoint),
            None,
            obs,
        )
        .map_err(|e| {
            fail(
                &format!("CHECKPOINT on the primary before pg_rewind: {e}"),
                "banned, data untouched",
            )
        })?;
        run_with_progress(
            command_as(&owner, &bin("pg_rewind"), &args),
            p.source_bytes.map(|b| b + p.wal_bytes.unwrap_or(0)),
            obs,
        )
        .map_err(|e| {
            failed_then(
                p,
                StepKind::Copy,
                format!("pg_rewind: {e}"),
                "banned, data directory possibly half rewound (a full copy replaces it)",
                " --method basebackup",
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
    if let Some(r) = &p.max_rate {
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
fn step_swap(p: &Data) -> Result<(bool, Option<String>)> {
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
fn step_standby_config(p: &Data) -> Result<bool> {
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

fn step_lock(p: &Data) -> Result<bool> {
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

/// Lifts rebuild-standby's own ban, never an operator's (one made while the run went on is
/// kept, and the run stops: the node would not start).
fn step_unban(cluster: &dyn Cluster, p: &RebuildPlan) -> Result<bool> {
    let id = ban_id(&p.clone, &p.node);
    let applied = apply_fresh(cluster, |cib| match ban_owner(cib, &p.clone, &p.node) {
        Ban::None => Ok(None),
        Ban::Operator => Err(Error::Unsafe(format!(
            "{id} is not rebuild-standby's own ban (someone banned {} from {} meanwhile): kept; lift it to let the node start (pgcrm resource clear {} --node {})",
            p.clone, p.node, p.clone, p.node
        ))),
        Ban::Ours => {
            let plan = rops::plan_remove(cib, std::slice::from_ref(&id), chrono::Utc::now());
            Ok((!plan.change.is_empty()).then_some(plan.change))
        }
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

fn step_finish(p: &Data, old: Option<String>) -> Result<Option<String>> {
    let marker = Path::new(&p.pgdata).join(MARKER);
    let old = old.or_else(|| {
        std::fs::read_to_string(&marker)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    });
    let _ = std::fs::remove_file(&marker);
    if p.discard_old {
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

    fn cib(name: &str) -> Cib {
        let path = format!(
            "{}/tests/fixtures/cib/{name}.xml",
            env!("CARGO_MANIFEST_DIR")
        );
        Cib::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn applied(cib: &Cib, change: &CibChange) -> Cib {
        let mut tree = cib.tree.clone();
        change.apply_to(&mut tree).unwrap();
        Cib::parse(&tree.to_xml()).unwrap()
    }

    /// rebuild-standby's own ban is told apart from an operator's of the same id, and a
    /// re-run recognises it (no second ban, no refusal).
    #[test]
    fn own_ban_and_operator_ban() {
        let healthy = cib("runbook-healthy");
        assert_eq!(ban_owner(&healthy, "msPostgresql", "node1"), Ban::None);
        let change = own_ban_change(&healthy, "msPostgresql", "node1").unwrap();
        let banned = applied(&healthy, &change);
        assert_eq!(ban_owner(&banned, "msPostgresql", "node1"), Ban::Ours);
        assert!(own_ban_change(&banned, "msPostgresql", "node1").is_none());
        assert_eq!(ban_owner(&banned, "msPostgresql", "node2"), Ban::None);
        // what pgcrm status and resource clear see: a cli-ban of msPostgresql on node1
        let cli = rops::cli_constraints(&banned, None, chrono::Utc::now());
        assert_eq!(cli.len(), 1);
        assert_eq!(cli[0].id, "cli-ban-msPostgresql-on-node1");
        assert_eq!(cli[0].node.as_deref(), Some("node1"));
        assert_eq!(cli[0].score.as_deref(), Some("-INFINITY"));
        // crm_resource --ban's plain form (a fixture) and pgcrm resource ban, with and
        // without a lifetime (a rule named <id>-rule): an operator's
        let fixture = cib("runbook-cli-ban");
        assert_eq!(ban_owner(&fixture, "msPostgresql", "node2"), Ban::Operator);
        assert!(own_ban_change(&fixture, "msPostgresql", "node2").is_none());
        for lifetime in [None, Some(std::time::Duration::from_secs(3600))] {
            let (plan, _) = rops::plan_ban(
                &healthy,
                "msPostgresql",
                "node1",
                lifetime,
                None,
                chrono::Utc::now(),
            )
            .unwrap();
            let theirs = applied(&healthy, &plan.change);
            assert_eq!(
                ban_owner(&theirs, "msPostgresql", "node1"),
                Ban::Operator,
                "{lifetime:?}"
            );
        }
        let refusal = operator_ban_refusal("msPostgresql", "node1").to_string();
        assert!(refusal.contains("pgcrm resource clear msPostgresql --node node1"));
    }

    #[test]
    fn copy_estimate_counts_the_wal() {
        const MIB: u64 = 1024 * 1024;
        let seg = 16 * MIB;
        let wal = SourceWal {
            files: vec![
                ("000000020000000000000003".into(), seg),
                ("00000003.history".into(), 42),
                ("000000030000000000000003".into(), seg),
                ("000000030000000000000004".into(), seg),
                ("000000030000000000000002.partial".into(), seg),
                ("000000040000000000000005".into(), seg),
            ],
            segment_size: seg,
        };
        // pg_rewind: the whole pg_wal, history files and .partial segments included
        assert_eq!(wal_to_copy(Method::Rewind, &wal), 5 * seg + 42);
        // pg_basebackup -X stream: the segment it starts in
        assert_eq!(wal_to_copy(Method::Basebackup, &wal), seg);
        assert_eq!(wal_to_copy(Method::Auto, &SourceWal::default()), 0);
        // 100 MiB of data + 28 MiB of WAL at 64 MiB/s: 2 s
        assert_eq!(
            estimate(Some(100 * MIB), Some(28 * MIB), 64 * MIB),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            estimate(Some(64 * MIB), None, 64 * MIB),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            estimate(None, Some(32 * MIB), 64 * MIB),
            Some(Duration::from_millis(500))
        );
        assert_eq!(estimate(None, None, 64 * MIB), None);
    }

    /// What --ssh sends to NODE and reads back survives JSON, and only plain words go
    /// through a remote shell.
    #[test]
    fn remote_protocol() {
        let call = LocalCall {
            job: DataJob {
                node: "node1".into(),
                resource: "pgsql".into(),
                resource_params: vec![("pgdata".into(), "/var/lib/pgsql/data".into())],
                method: Method::Basebackup,
                max_rate: Some("50M".into()),
                discard_old: false,
                source_bytes: Some(1),
                wal_bytes: None,
                resume: " --ssh".into(),
            },
            step: Some(StepKind::StandbyConfig),
            old_pgdata: None,
        };
        let back: LocalCall = serde_json::from_str(&serde_json::to_string(&call).unwrap()).unwrap();
        assert_eq!(back.step, Some(StepKind::StandbyConfig));
        assert_eq!(back.job.method, Method::Basebackup);
        let d = Data::new(back.job).unwrap();
        assert_eq!(d.pgdata, "/var/lib/pgsql/data");
        let e = failed(&d, StepKind::Copy, "x", "banned").to_string();
        assert!(
            e.ends_with("continue with: pgcrm rebuild-standby node1 --yes --ssh"),
            "{e}"
        );
        let line = serde_json::to_string(&LocalLine::Progress {
            done: 5,
            total: Some(9),
        })
        .unwrap();
        assert!(matches!(
            serde_json::from_str(&line).unwrap(),
            LocalLine::Progress {
                done: 5,
                total: Some(9)
            }
        ));
        assert!(plain_word("/usr/bin/pgcrm"));
        assert!(plain_word("node-1.example"));
        for w in ["", "a b", "$(x)", "a;b", "'q'"] {
            assert!(!plain_word(w), "{w:?}");
        }
    }

    #[test]
    fn staging_is_a_sibling() {
        assert_eq!(
            staging("/var/lib/pgsql/data/"),
            PathBuf::from("/var/lib/pgsql/data.pgcrm-new")
        );
    }
}
