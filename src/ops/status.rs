//! `status`: the cluster state plus the PostgreSQL view of it, as one serialisable report.
//! This report *is* the JSON contract of `pgcrm status --output json` (see docs/json.md).

use crate::cib::{Cib, Primitive, Role};
use crate::cluster::Cluster;
use crate::state::{self, ClusterState, FailCountValue, ResourceStatus};
use serde::Serialize;

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
}

/// The PostgreSQL resource and what Pacemaker's node attributes say about it on each node.
#[derive(Debug, Clone, Serialize)]
pub struct PgSummary {
    /// The primitive running PostgreSQL (`pgsql`).
    pub resource: String,
    /// Its promotable clone (`msPostgresql`), if any.
    pub clone: Option<String>,
    pub agent: String,
    pub nodes: Vec<PgNodeRow>,
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
}

#[derive(Debug, Clone, Serialize)]
pub struct Vip {
    pub resource: String,
    pub ip: String,
}

/// Agents that manage PostgreSQL and publish its state as node attributes.
const PG_AGENTS: &[&str] = &["pgsql", "pgsqlms", "pgcrm"];

/// Reads the CIB from `cluster` and builds the report.
pub fn report(cluster: &dyn Cluster) -> crate::Result<StatusReport> {
    let cib = cluster.query_cib()?;
    Ok(report_from_cib(&cib, cluster.origin()))
}

pub fn report_from_cib(cib: &Cib, source: String) -> StatusReport {
    let cluster = state::derive(cib);
    let postgresql = pg_summary(cib, &cluster);
    StatusReport {
        schema_version: SCHEMA_VERSION,
        source,
        cluster,
        postgresql,
    }
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
            }
        })
        .collect();
    Some(PgSummary {
        resource: primitive.id.clone(),
        clone,
        agent: primitive.agent(),
        nodes,
    })
}

/// Primitives with an `ip` parameter: the cluster's virtual IPs.
fn vip_resources(cib: &Cib) -> Vec<(&str, &str)> {
    cib.resources
        .iter()
        .flat_map(|r| r.primitives())
        .filter_map(|p: &Primitive| Some((p.id.as_str(), p.params.get("ip")?)))
        .collect()
}
