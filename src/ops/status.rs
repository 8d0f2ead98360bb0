//! `status`: the cluster state plus the PostgreSQL view of it, as one serialisable report.
//! This report *is* the JSON contract of `pgcrm status --output json` (see docs/json.md).

use super::problems::{self, Problem, Thresholds};
use crate::cib::{Cib, Constraint, Primitive, Resource, Role};
use crate::cluster::Cluster;
use crate::pg::target::{self, ConfigFile, PgEnv, ResourceParams, TargetInputs};
use crate::pg::{probe, NodeProbe, ReplicationRow};
use crate::state::{self, ClusterState, FailCountValue, ResourceStatus};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// Bumped on any incompatible change of the JSON shape; additions keep the version.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub schema_version: u32,
    /// Where the CIB came from: a file path or "live".
    pub source: String,
    #[serde(flatten)]
    pub cluster: ClusterState,
    /// One row per node for the PostgreSQL resource, when the cluster has one.
    pub postgresql: Option<PgSummary>,
    /// Every disagreement and risk found, most severe first (see `ops::problems`).
    pub problems: Vec<Problem>,
    /// `cli-prefer-*`/`cli-ban-*` constraints left by move and ban commands, as
    /// `pgcrm resource constraints` lists them.
    pub cli_constraints: Vec<crate::ops::resource::CliConstraint>,
}

/// The PostgreSQL resource and what Pacemaker's node attributes say about it on each node.
#[derive(Debug, Clone, Serialize)]
pub struct PgSummary {
    /// The primitive running PostgreSQL (`pgsql`).
    pub resource: String,
    /// Its promotable clone (`msPostgresql`), if any.
    pub clone: Option<String>,
    pub agent: String,
    /// The agent's `rep_mode` parameter (`sync`, `async`...), when set.
    pub rep_mode: Option<String>,
    /// VIPs colocated with the Promoted role: they must run where the primary is.
    pub write_vips: Vec<String>,
    /// Whether PostgreSQL was asked: `live`, or `skipped: <why>`.
    pub probes: String,
    pub nodes: Vec<PgNodeRow>,
}

/// The role PostgreSQL itself reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PgRole {
    /// Accepts writes (`pg_is_in_recovery()` is false).
    Primary,
    /// In recovery: a standby.
    Standby,
    /// Not probed, or the probe failed.
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
pub struct PgNodeRow {
    pub node: String,
    /// The role Pacemaker believes the instance has on this node.
    pub role: Role,
    /// `<rsc>-status`: PRI, HS:sync, HS:async, HS:alone, STOP...
    pub pgsql_status: Option<String>,
    /// `<rsc>-data-status`: LATEST, STREAMING|SYNC, DISCONNECT...
    pub pgsql_data_status: Option<String>,
    /// `master-<rsc>`: the promotion score.
    pub promotion_score: Option<String>,
    /// Resources with an `ip` parameter (IPaddr2 VIPs) active on this node.
    pub vips: Vec<Vip>,
    pub fail_count: Option<FailCountValue>,
    /// The role as PostgreSQL reports it.
    pub pg_role: PgRole,
    /// The live probe of this node's server (facts, or the error), when probes ran.
    pub probe: Option<NodeProbe>,
    /// This node as a standby, as the writable server's `pg_stat_replication` sees it
    /// (lag, sync state), when one was found.
    pub replication: Option<ReplicationRow>,
}

impl PgNodeRow {
    /// A running standby whose agent says it replicates synchronously (`STREAMING|SYNC`):
    /// a stopped instance's attribute is stale.
    pub fn sync_by_attributes(&self) -> bool {
        self.role == Role::Unpromoted && self.pgsql_data_status.as_deref() == Some("STREAMING|SYNC")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Vip {
    pub resource: String,
    pub ip: String,
}

/// Agents that manage PostgreSQL and publish its state as node attributes.
const PG_AGENTS: &[&str] = &["pgsql", "pgsqlms", "pgcrm"];

/// Whether and how `status` asks PostgreSQL.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// `--no-pg`: never probe.
    pub enabled: bool,
    pub timeout: Duration,
    /// The config file, already read (`None`: there is none).
    pub config: Option<ConfigFile>,
    pub env: PgEnv,
    /// corosync.conf, for the nodes' addresses.
    pub corosync_conf: PathBuf,
    /// The node pgcrm runs on, for the Unix socket.
    pub local_node: Option<String>,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            enabled: false,
            timeout: probe::DEFAULT_TIMEOUT,
            config: None,
            env: PgEnv::default(),
            corosync_conf: target::COROSYNC_CONF.into(),
            local_node: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct StatusOptions {
    pub probes: ProbeOptions,
    pub thresholds: Thresholds,
}

/// Reads the CIB from `cluster` and builds the report, without asking PostgreSQL.
pub fn report(cluster: &dyn Cluster) -> crate::Result<StatusReport> {
    report_with(cluster, &StatusOptions::default())
}

/// Reads the CIB, probes the PostgreSQL servers as `opts` says, and finds the problems.
pub fn report_with(cluster: &dyn Cluster, opts: &StatusOptions) -> crate::Result<StatusReport> {
    let cib = cluster.query_cib()?;
    let mut report = build(&cib, cluster.origin());
    if let Some(pg) = report.postgresql.as_mut() {
        match probe_targets(&cib, pg, &opts.probes, cluster.is_live())? {
            Ok(targets) => attach_probes(pg, probe::probe_all(targets, opts.probes.timeout)),
            Err(skipped) => pg.probes = skipped,
        }
    }
    report.problems = problems::evaluate(&cib, &report, &opts.thresholds);
    Ok(report)
}

/// How to reach each node's PostgreSQL server (`pg.nodes`), as `opts` says; `Ok(Err(why))`
/// when probing is off or impossible (`skipped: ...`). Shared by `status` and `verify --live`
/// so both reach the servers the same way.
pub fn probe_targets(
    cib: &Cib,
    pg: &PgSummary,
    p: &ProbeOptions,
    live_cluster: bool,
) -> crate::Result<Result<Vec<target::Target>, String>> {
    let only_configured = !live_cluster;
    let has_conninfo = p
        .config
        .as_ref()
        .is_some_and(|c| c.nodes.values().any(|n| n.conninfo.is_some()));
    if !p.enabled {
        return Ok(Err("skipped: --no-pg".into()));
    }
    if only_configured && !has_conninfo {
        return Ok(Err(
            "skipped: a saved CIB gives no server addresses (add conninfo to the config)".into(),
        ));
    }
    let addresses = std::fs::read_to_string(&p.corosync_conf)
        .map(|t| target::corosync_addresses(&t))
        .unwrap_or_default();
    let params = pg_params(cib, &pg.resource);
    let nodes: Vec<String> = pg.nodes.iter().map(|n| n.node.clone()).collect();
    Ok(Ok(target::targets(&TargetInputs {
        nodes: &nodes,
        params: &params,
        addresses: &addresses,
        config: p.config.as_ref(),
        env: &p.env,
        local_node: p.local_node.as_deref(),
        only_configured,
        timeout: p.timeout,
    })?))
}

/// The report of a CIB alone: Pacemaker's view, no PostgreSQL probe.
pub fn report_from_cib(cib: &Cib, source: String) -> StatusReport {
    let mut report = build(cib, source);
    report.problems = problems::evaluate(cib, &report, &Thresholds::default());
    report
}

fn build(cib: &Cib, source: String) -> StatusReport {
    let cluster = state::derive(cib);
    let postgresql = pg_summary(cib, &cluster);
    StatusReport {
        schema_version: SCHEMA_VERSION,
        source,
        cluster,
        postgresql,
        problems: Vec::new(),
        cli_constraints: crate::ops::resource::cli_constraints(cib, None, chrono::Utc::now()),
    }
}

/// Puts each probe on its node's row, and each standby's `pg_stat_replication` row (from
/// the writable server that streams to it) next to it.
pub fn attach_probes(pg: &mut PgSummary, probes: Vec<NodeProbe>) {
    pg.probes = "live".into();
    let senders: Vec<ReplicationRow> = probes
        .iter()
        .filter_map(|p| p.facts.as_ref())
        .filter(|f| !f.in_recovery)
        .flat_map(|f| f.replication.iter().cloned())
        .collect();
    for row in &mut pg.nodes {
        row.replication = senders
            .iter()
            .find(|r| r.application_name == row.node)
            .cloned();
    }
    for p in probes {
        if let Some(row) = pg.nodes.iter_mut().find(|r| r.node == p.node) {
            row.pg_role = match &p.facts {
                Some(f) if f.in_recovery => PgRole::Standby,
                Some(_) => PgRole::Primary,
                None => PgRole::Unknown,
            };
            row.probe = Some(p);
        }
    }
}

/// The PostgreSQL primitive's parameters that say how to reach its server.
fn pg_params(cib: &Cib, rsc: &str) -> ResourceParams {
    let prim = cib
        .resources
        .iter()
        .flat_map(|r| r.primitives())
        .find(|p| p.id == rsc);
    ResourceParams::from_params(|k| prim?.params.get(k).map(str::to_string))
}

fn pg_summary(cib: &Cib, cluster: &ClusterState) -> Option<PgSummary> {
    let (clone, primitive) = cib.resources.iter().find_map(|r| {
        r.primitives()
            .into_iter()
            .find(|p| PG_AGENTS.contains(&p.agent_type.as_str()))
            .map(|p| {
                (
                    matches!(r, crate::cib::Resource::Clone(_)).then(|| r.id().to_string()),
                    p,
                )
            })
    })?;
    let instances: Vec<&ResourceStatus> = cluster
        .primitives()
        .into_iter()
        .filter(|r| r.id == primitive.id || r.base_id.as_deref() == Some(primitive.id.as_str()))
        .collect();
    let vips = vip_resources(cib);
    let nodes = cluster
        .nodes
        .iter()
        .map(|n| {
            let on_node =
                |r: &ResourceStatus| r.nodes.as_ref().is_some_and(|ns| ns.contains(&n.name));
            let role = instances
                .iter()
                .filter(|r| on_node(r))
                .filter_map(|r| r.role)
                .max()
                .unwrap_or(Role::Stopped);
            let attr = |name: String| n.attributes.get(&name).cloned();
            PgNodeRow {
                node: n.name.clone(),
                role,
                pgsql_status: attr(format!("{}-status", primitive.id)),
                pgsql_data_status: attr(format!("{}-data-status", primitive.id)),
                promotion_score: attr(format!("master-{}", primitive.id)),
                vips: cluster
                    .primitives()
                    .into_iter()
                    .filter(|r| on_node(r))
                    .filter_map(|r| {
                        vips.iter().find(|(id, _)| *id == r.id).map(|(id, ip)| Vip {
                            resource: id.to_string(),
                            ip: ip.to_string(),
                        })
                    })
                    .collect(),
                fail_count: cluster
                    .fail_counts
                    .iter()
                    .find(|f| f.node == n.name && f.resource == primitive.id)
                    .map(|f| f.count),
                pg_role: PgRole::Unknown,
                probe: None,
                replication: None,
            }
        })
        .collect();
    let write_vips = clone
        .as_deref()
        .map(|c| write_vips(cib, c, &vips))
        .unwrap_or_default();
    Some(PgSummary {
        resource: primitive.id.clone(),
        clone,
        agent: primitive.agent(),
        rep_mode: primitive.params.get("rep_mode").map(str::to_string),
        write_vips,
        probes: "skipped: not requested".into(),
        nodes,
    })
}

/// VIPs that follow the Promoted role: colocated (directly or through their group) with the
/// clone's Promoted role.
fn write_vips(cib: &Cib, clone: &str, vips: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    for c in &cib.constraints {
        let Constraint::Colocation(col) = c else {
            continue;
        };
        if col.with_rsc.as_deref() != Some(clone)
            || col.with_rsc_role != Some(Role::Promoted)
            || col
                .score
                .as_deref()
                .map(crate::cib::parse_score)
                .unwrap_or(0)
                <= 0
        {
            continue;
        }
        let Some(rsc) = cib
            .resources
            .iter()
            .find(|r| Some(r.id()) == col.rsc.as_deref())
        else {
            continue;
        };
        if matches!(rsc, Resource::Clone(_)) {
            continue;
        }
        for p in rsc.primitives() {
            if vips.iter().any(|(id, _)| *id == p.id) && !out.contains(&p.id) {
                out.push(p.id.clone());
            }
        }
    }
    out
}

/// Primitives with an `ip` parameter: the cluster's virtual IPs.
fn vip_resources(cib: &Cib) -> Vec<(&str, &str)> {
    cib.resources
        .iter()
        .flat_map(|r| r.primitives())
        .filter_map(|p: &Primitive| Some((p.id.as_str(), p.params.get("ip")?)))
        .collect()
}
