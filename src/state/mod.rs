//! What a CIB means: nodes (online, standby, unclean...), every resource instance's role and
//! location, failures and fail counts, derived the way Pacemaker's status unpacking does it.
//!
//! The result is plain data (serialisable as pgcrm's JSON contract); rendering it is the
//! CLI's job. Nothing here reads files, talks to daemons or prints.

pub mod history;
mod resources;
pub use resources::target_role_is;

use crate::cib::{is_true, parse_score, Cib, LrmRscOp, NodeState, NvSets, Resource, Role};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// Pacemaker's INFINITY for scores and fail counts.
pub const INFINITY: i64 = 1_000_000;

/// The derived state of a whole cluster.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterState {
    pub summary: Summary,
    pub nodes: Vec<NodeStatus>,
    pub resources: Vec<ResourceStatus>,
    pub failures: Vec<Failure>,
    pub fail_counts: Vec<FailCount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub stack: Option<String>,
    pub dc: Option<String>,
    pub dc_version: Option<String>,
    pub have_quorum: bool,
    pub last_change: Option<String>,
    pub last_change_user: Option<String>,
    pub last_change_client: Option<String>,
    pub last_change_origin: Option<String>,
    pub nodes_configured: usize,
    pub resource_instances_configured: usize,
    pub resources_disabled: usize,
    pub resources_blocked: usize,
    pub stonith_enabled: bool,
    pub maintenance_mode: bool,
    pub stop_all_resources: bool,
    pub epoch: u64,
    pub num_updates: u64,
    pub admin_epoch: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    Member,
    Remote,
    Guest,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeStatus {
    pub name: String,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: NodeKind,
    pub online: bool,
    pub standby: bool,
    pub standby_onfail: bool,
    pub maintenance: bool,
    pub pending: bool,
    pub unclean: bool,
    pub shutdown: bool,
    pub is_dc: bool,
    pub resources_running: usize,
    /// Node attributes as crm_mon -A shows them: permanent ones from `nodes` and transient
    /// ones from `status`, internal ones (fail counts, `#`-prefixed) left out.
    pub attributes: BTreeMap<String, String>,
    /// For each attribute above, where it lives: "forever" (configuration) or "reboot"
    /// (transient, gone when the node restarts), as `crm_attribute -l` names them.
    pub attribute_lifetimes: BTreeMap<String, &'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    Primitive,
    Group,
    Clone,
    Bundle,
    /// One replica of a bundle: its IP, containerised primitive, container and connection.
    Replica,
}

/// One node of the resource tree: a configured resource, or an instance of a clone.
/// Primitive instances carry the run-time fields (`agent`, `role`, `nodes`...).
#[derive(Debug, Clone, Serialize)]
pub struct ResourceStatus {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: ResourceKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promotable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique: Option<bool>,
    pub managed: bool,
    pub disabled: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<ResourceStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orphaned: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_ignored: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
    /// A bundle's container image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The configured resource this instance belongs to (`pgsql` for `pgsql:1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_id: Option<String>,
}

/// A failed operation, as crm_mon's "Failed Resource Actions" lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub node: String,
    pub resource: String,
    pub operation: String,
    pub interval_ms: u64,
    pub op_key: String,
    pub rc: i32,
    pub rc_text: &'static str,
    pub status: &'static str,
    pub exit_reason: Option<String>,
    /// Seconds since the epoch.
    pub last_rc_change: Option<i64>,
    pub call_id: i64,
    pub exec_time_ms: Option<u64>,
    pub queue_time_ms: Option<u64>,
}

/// Fail count of one resource on one node (summed over operations).
#[derive(Debug, Clone, Serialize)]
pub struct FailCount {
    pub node: String,
    pub resource: String,
    pub count: FailCountValue,
    /// Seconds since the epoch.
    pub last_failure: Option<i64>,
    pub migration_threshold: FailCountValue,
}

/// A number, or Pacemaker's INFINITY (serialised as the string "INFINITY").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailCountValue(pub i64);

impl Serialize for FailCountValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 >= INFINITY {
            s.serialize_str("INFINITY")
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl std::fmt::Display for FailCountValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 >= INFINITY {
            f.write_str("INFINITY")
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl ClusterState {
    pub fn node(&self, name: &str) -> Option<&NodeStatus> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// Every primitive instance in the tree, depth first.
    pub fn primitives(&self) -> Vec<&ResourceStatus> {
        fn walk<'a>(r: &'a ResourceStatus, out: &mut Vec<&'a ResourceStatus>) {
            if r.kind == ResourceKind::Primitive {
                out.push(r);
            }
            for c in &r.children {
                walk(c, out);
            }
        }
        let mut out = Vec::new();
        for r in &self.resources {
            walk(r, &mut out);
        }
        out
    }
}

/// Derives the cluster state from a CIB.
pub fn derive(cib: &Cib) -> ClusterState {
    let stonith_enabled = cib.property("stonith-enabled").is_none_or(is_true);
    let mut nodes = derive_nodes(cib, stonith_enabled);
    // Remote and guest nodes are online while their connection resource (named after the
    // node) runs on a cluster node; resources on them are judged with that known.
    for i in 0..nodes.len() {
        if nodes[i].kind != NodeKind::Member {
            nodes[i].online = connection_active(cib, &nodes, &nodes[i].name);
        }
    }
    let mut b = resources::Builder::new(cib, &nodes, stonith_enabled);
    let mut resources: Vec<ResourceStatus> = cib.resources.iter().map(|r| b.resource(r)).collect();
    resources.extend(b.orphans());
    let failures = derive_failures(cib, &b.unmanaged);
    let (fence_nodes, orphan_count, maintenance_mode) =
        (b.fence_nodes, b.orphan_count, b.maintenance_mode);
    let mut flat = Vec::new();
    for r in &resources {
        collect_primitives(r, &mut flat);
    }
    let fail_counts = derive_fail_counts(cib, &nodes, &flat);
    for n in nodes.iter_mut() {
        if fence_nodes.contains(&n.name) {
            n.unclean = true;
        }
        n.resources_running = flat
            .iter()
            .filter(|p| p.nodes.as_ref().is_some_and(|ns| ns.contains(&n.name)))
            .count();
    }
    let configured = flat.iter().filter(|p| p.orphaned != Some(true));
    let instance_count = configured.clone().count() + orphan_count;
    let disabled = configured.filter(|p| p.disabled).count();
    let blocked = flat.iter().filter(|p| p.blocked == Some(true)).count();
    let dc = cib.dc_uuid.as_ref().and_then(|id| {
        nodes
            .iter()
            .find(|n| &n.id == id && n.kind == NodeKind::Member)
            .map(|n| n.name.clone())
    });
    let summary = Summary {
        stack: cib.property("cluster-infrastructure").map(str::to_string),
        dc_version: dc
            .as_ref()
            .and(cib.property("dc-version").map(str::to_string)),
        dc,
        have_quorum: cib.have_quorum,
        last_change: cib.cib_last_written.clone(),
        last_change_user: cib.tree.attr("update-user").map(str::to_string),
        last_change_client: cib.tree.attr("update-client").map(str::to_string),
        last_change_origin: cib.update_origin.clone(),
        nodes_configured: nodes.len(),
        resource_instances_configured: instance_count,
        resources_disabled: disabled,
        resources_blocked: blocked,
        stonith_enabled,
        maintenance_mode,
        stop_all_resources: cib.property("stop-all-resources").is_some_and(is_true),
        epoch: cib.epoch,
        num_updates: cib.num_updates,
        admin_epoch: cib.admin_epoch,
    };
    ClusterState {
        summary,
        nodes,
        resources,
        failures,
        fail_counts,
    }
}

/// Whether the connection resource of a remote or guest node is active on an online
/// cluster node, from its operation history.
fn connection_active(cib: &Cib, nodes: &[NodeStatus], name: &str) -> bool {
    cib.status.iter().any(|ns| {
        let host_online = nodes
            .iter()
            .any(|n| n.kind == NodeKind::Member && n.name == ns.uname && n.online);
        host_online
            && ns.lrm_resources.iter().any(|lrm| {
                lrm.id == name
                    && history::replay(&lrm.ops, true, |_, _| history::OnFail::Recover).role
                        != Role::Stopped
            })
    })
}

fn collect_primitives<'a>(r: &'a ResourceStatus, out: &mut Vec<&'a ResourceStatus>) {
    if r.kind == ResourceKind::Primitive {
        out.push(r);
    }
    for c in &r.children {
        collect_primitives(c, out);
    }
}

/// Attributes Pacemaker keeps for itself; crm_mon -A does not show them.
fn is_internal_attribute(name: &str) -> bool {
    name.starts_with('#')
        || name.starts_with("fail-count-")
        || name.starts_with("last-failure-")
        || matches!(
            name,
            "probe_complete" | "shutdown" | "terminate" | "standby"
        )
}

fn derive_nodes(cib: &Cib, stonith_enabled: bool) -> Vec<NodeStatus> {
    let state_of = |id: &str, name: &str| -> Option<&NodeState> {
        cib.status
            .iter()
            .find(|s| s.id == id)
            .or_else(|| cib.status.iter().find(|s| s.uname == name))
    };
    let mut out: Vec<NodeStatus> = Vec::new();
    for n in &cib.nodes {
        let kind = match n.node_type.as_str() {
            "remote" => NodeKind::Remote,
            "ping" => continue,
            _ => NodeKind::Member,
        };
        out.push(node_status(
            &n.id,
            &n.uname,
            kind,
            &n.instance_attributes,
            state_of(&n.id, &n.uname),
            cib,
            stonith_enabled,
        ));
    }
    // Remote and guest nodes are also implied by resources.
    for r in &cib.resources {
        for p in r.primitives() {
            let remote = p.class == "ocf"
                && p.provider.as_deref() == Some("pacemaker")
                && p.agent_type == "remote";
            let guest = p.meta.get("remote-node");
            let (name, kind) = match (remote, guest) {
                (true, _) => (p.id.as_str(), NodeKind::Remote),
                (false, Some(g)) => (g, NodeKind::Guest),
                _ => continue,
            };
            if let Some(existing) = out.iter_mut().find(|n| n.name == name) {
                existing.kind = kind;
                continue;
            }
            let empty = NvSets::default();
            out.push(node_status(
                name,
                name,
                kind,
                &empty,
                state_of(name, name),
                cib,
                stonith_enabled,
            ));
        }
        if let Resource::Bundle(b) = r {
            if b.primitive.is_some() {
                for i in 0..b.replicas {
                    let name = format!("{}-{i}", b.id);
                    let empty = NvSets::default();
                    out.push(node_status(
                        &name,
                        &name,
                        NodeKind::Guest,
                        &empty,
                        state_of(&name, &name),
                        cib,
                        stonith_enabled,
                    ));
                }
            }
        }
    }
    out
}

fn node_status(
    id: &str,
    name: &str,
    kind: NodeKind,
    permanent: &NvSets,
    state: Option<&NodeState>,
    cib: &Cib,
    stonith_enabled: bool,
) -> NodeStatus {
    let transient = state.map(|s| &s.transient_attributes);
    let attr = |n: &str| {
        transient
            .and_then(|t| t.get(n))
            .or_else(|| permanent.get(n))
    };
    let mut attributes = BTreeMap::new();
    let mut lifetimes = BTreeMap::new();
    for (k, v) in permanent.effective() {
        if !is_internal_attribute(k) {
            attributes.insert(k.to_string(), v.to_string());
            lifetimes.insert(k.to_string(), "forever");
        }
    }
    if let Some(t) = transient {
        for (k, v) in t.effective() {
            if !is_internal_attribute(k) {
                attributes.insert(k.to_string(), v.to_string());
                lifetimes.insert(k.to_string(), "reboot");
            }
        }
    }
    let (mut online, mut pending, mut unclean) = (false, false, false);
    let startup_fencing = cib.property("startup-fencing").is_none_or(is_true);
    if kind == NodeKind::Remote && state.is_none() {
        // Never seen: with fencing, Pacemaker assumes the worst until it has seen the node.
        unclean = stonith_enabled && startup_fencing;
    }
    if kind == NodeKind::Member {
        match state {
            None => {
                // Never seen: Pacemaker assumes the worst when it could fence such a node.
                unclean = stonith_enabled && startup_fencing;
            }
            Some(s) => {
                let in_cluster = s.in_ccm.as_deref().is_some_and(truthy_or_timestamp);
                let crmd_online = s
                    .crmd
                    .as_deref()
                    .is_some_and(|v| v == "online" || v.parse::<i64>().is_ok_and(|t| t > 0));
                let join = s.join.as_deref().unwrap_or("down");
                let expected = s.expected.as_deref().unwrap_or("down");
                if stonith_enabled {
                    if s.in_ccm.is_none() || join == "nack" {
                        unclean = true;
                    } else if expected == "down" {
                        pending = in_cluster || crmd_online;
                    } else if !in_cluster || !crmd_online {
                        unclean = true;
                    } else if join == "member" {
                        online = true;
                    } else if join == "pending" || join == "down" {
                        pending = true;
                    } else {
                        unclean = true;
                    }
                    // A node still joining is up but may not run resources yet.
                    if pending {
                        online = in_cluster && crmd_online;
                    }
                } else if in_cluster {
                    // Without fencing a node that has not finished joining is just offline.
                    if crmd_online {
                        online = join == "member";
                    } else if expected == "member" {
                        unclean = true;
                    }
                }
            }
        }
    }
    let standby = pending || attr("standby").is_some_and(is_true);
    // Remote and guest nodes that have reported in follow the cluster-wide maintenance mode.
    let maintenance = attr("maintenance").is_some_and(is_true)
        || (kind != NodeKind::Member
            && state.is_some()
            && cib.property("maintenance-mode").is_some_and(is_true));
    let shutdown = transient
        .and_then(|t| t.get("shutdown"))
        .is_some_and(|v| v != "0" && !v.is_empty());
    NodeStatus {
        name: name.to_string(),
        id: id.to_string(),
        kind,
        online,
        standby,
        standby_onfail: false,
        maintenance,
        pending,
        unclean,
        shutdown,
        is_dc: kind == NodeKind::Member && cib.dc_uuid.as_deref() == Some(id),
        resources_running: 0,
        attributes,
        attribute_lifetimes: lifetimes,
    }
}

fn truthy_or_timestamp(v: &str) -> bool {
    is_true(v) || v.parse::<i64>().is_ok_and(|t| t > 0)
}

/// Text of an OCF exit code, as Pacemaker prints it.
pub fn rc_text(rc: i32) -> &'static str {
    match rc {
        0 => "ok",
        1 => "error",
        2 => "invalid parameter",
        3 => "unimplemented feature",
        4 => "insufficient privileges",
        5 => "not installed",
        6 => "not configured",
        7 => "not running",
        8 => "promoted",
        9 => "promoted (failed)",
        190 => "degraded",
        191 => "degraded promoted",
        _ => "unknown",
    }
}

/// Text of an execution status (`op-status`), as Pacemaker prints it.
pub fn exec_status_text(status: i32) -> &'static str {
    match status {
        -1 => "pending",
        0 => "complete",
        1 => "Cancelled",
        2 => "Timed Out",
        3 => "NOT SUPPORTED",
        4 => "Error",
        5 => "Hard error",
        6 => "Fatal error",
        7 => "Not installed",
        8 => "Not connected",
        9 => "Invalid",
        10 => "No fence device",
        11 => "No secrets",
        _ => "Unknown",
    }
}

/// Splits an operation key `rsc_task_interval` into its parts; resource ids may contain `_`.
pub fn parse_op_key(key: &str) -> Option<(&str, &str, u64)> {
    let (rest, interval) = key.rsplit_once('_')?;
    let interval = interval.parse().ok()?;
    for task in [
        "monitor",
        "start",
        "stop",
        "promote",
        "demote",
        "notify",
        "migrate_to",
        "migrate_from",
        "reload-agent",
        "reload",
        "meta-data",
        "validate-all",
        "cancel",
    ] {
        if let Some(rsc) = rest.strip_suffix(task).and_then(|r| r.strip_suffix('_')) {
            return Some((rsc, task, interval));
        }
    }
    let (rsc, task) = rest.rsplit_once('_')?;
    Some((rsc, task, interval))
}

fn derive_failures(cib: &Cib, unmanaged: &HashSet<String>) -> Vec<Failure> {
    let mut out: Vec<Failure> = Vec::new();
    for ns in &cib.status {
        for lrm in &ns.lrm_resources {
            let mut ops: Vec<&LrmRscOp> = lrm.ops.iter().collect();
            ops.sort_by_key(|o| (o.call_id < 0, o.call_id));
            let managed = !unmanaged.contains(resources::base_of(&lrm.id));
            for op in ops {
                if !history::is_failure(op, managed) {
                    continue;
                }
                if out
                    .iter()
                    .any(|f| f.op_key == op.operation_key && f.node == ns.uname)
                {
                    continue;
                }
                let resource = parse_op_key(&op.operation_key)
                    .map(|(r, _, _)| r.to_string())
                    .unwrap_or_else(|| lrm.id.clone());
                out.push(Failure {
                    node: ns.uname.clone(),
                    resource,
                    operation: op.operation.clone(),
                    interval_ms: op.interval_ms,
                    op_key: op.operation_key.clone(),
                    rc: op.rc_code,
                    rc_text: rc_text(op.rc_code),
                    status: exec_status_text(op.op_status),
                    exit_reason: op.exit_reason.clone().filter(|r| !r.is_empty()),
                    last_rc_change: op.last_rc_change,
                    call_id: op.call_id,
                    exec_time_ms: op.exec_time,
                    queue_time_ms: op.queue_time,
                });
            }
        }
    }
    out
}

/// The fail count attributes of one node: `fail-count-<rsc>#<op>_<interval>`, summed per
/// resource (clone instance suffixes folded), listed in configuration order as crm_mon does.
/// The legacy `fail-count-<rsc>` form counts only in CIBs from before feature set 3.0.11,
/// exactly as Pacemaker reads them.
fn derive_fail_counts(
    cib: &Cib,
    nodes: &[NodeStatus],
    primitives: &[&ResourceStatus],
) -> Vec<FailCount> {
    let legacy = cib
        .crm_feature_set
        .as_deref()
        .is_some_and(|v| version_lt(v, "3.0.11"));
    let mut order: Vec<&str> = Vec::new();
    for p in primitives {
        let id = p.base_id.as_deref().unwrap_or(&p.id);
        if !order.contains(&id) {
            order.push(id);
        }
    }
    let mut out = Vec::new();
    for ns in &cib.status {
        let node_name = nodes
            .iter()
            .find(|n| n.id == ns.id)
            .map(|n| n.name.clone())
            .unwrap_or_else(|| ns.uname.clone());
        let mut counts: BTreeMap<String, (i64, Option<i64>)> = BTreeMap::new();
        for (name, value) in ns.transient_attributes.effective() {
            let (is_count, rest) = match (
                name.strip_prefix("fail-count-"),
                name.strip_prefix("last-failure-"),
            ) {
                (Some(rest), _) => (true, rest),
                (_, Some(rest)) => (false, rest),
                _ => continue,
            };
            let rsc = match rest.split_once('#') {
                Some((rsc, _)) => rsc,
                None if legacy => rest,
                None => continue,
            };
            let e = counts
                .entry(resources::base_of(rsc).to_string())
                .or_default();
            if is_count {
                e.0 = (e.0 + parse_score(value)).min(INFINITY);
            } else {
                e.1 = e.1.max(value.parse::<i64>().ok());
            }
        }
        let mut rows: Vec<FailCount> = counts
            .into_iter()
            .filter(|(_, (count, _))| *count > 0)
            .map(|(rsc, (count, last))| FailCount {
                node: node_name.clone(),
                migration_threshold: FailCountValue(migration_threshold(cib, &rsc)),
                resource: rsc,
                count: FailCountValue(count),
                last_failure: last,
            })
            .collect();
        rows.sort_by_key(|f| {
            order
                .iter()
                .position(|id| *id == f.resource)
                .unwrap_or(usize::MAX)
        });
        out.extend(rows);
    }
    out
}

/// Compares dotted version strings numerically ("3.0.9" < "3.0.11").
fn version_lt(a: &str, b: &str) -> bool {
    let parse = |v: &str| {
        v.split('.')
            .map(|p| p.parse::<u64>().unwrap_or(0))
            .collect::<Vec<_>>()
    };
    parse(a) < parse(b)
}

/// migration-threshold: the resource's meta (or an ancestor's), then rsc_defaults, then
/// Pacemaker's default of INFINITY. 0 also means no threshold.
pub fn migration_threshold(cib: &Cib, rsc: &str) -> i64 {
    fn find(r: &Resource, id: &str, chain: &mut Vec<NvSets>) -> bool {
        chain.push(r.meta().clone());
        if r.id() == id {
            return true;
        }
        let found = match r {
            Resource::Group(g) => g.members.iter().any(|m| {
                if m.id == id {
                    chain.push(m.meta.clone());
                    true
                } else {
                    false
                }
            }),
            Resource::Clone(c) => find(&c.child, id, chain),
            Resource::Bundle(b) => b.primitive.as_ref().is_some_and(|p| {
                chain.push(p.meta.clone());
                p.id == id
            }),
            Resource::Primitive(_) => false,
        };
        if !found {
            chain.pop();
        }
        found
    }
    let mut chain = Vec::new();
    for r in &cib.resources {
        if find(r, rsc, &mut chain) {
            break;
        }
    }
    let value = chain
        .iter()
        .rev()
        .find_map(|m| m.get("migration-threshold"))
        .or_else(|| cib.rsc_defaults.get("migration-threshold"));
    match value.map(parse_score) {
        Some(v) if v > 0 => v,
        _ => INFINITY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_keys() {
        assert_eq!(
            parse_op_key("pgsql_monitor_7000"),
            Some(("pgsql", "monitor", 7000))
        );
        assert_eq!(
            parse_op_key("vip_master_start_0"),
            Some(("vip_master", "start", 0))
        );
        assert_eq!(parse_op_key("x_migrate_to_0"), Some(("x", "migrate_to", 0)));
        assert_eq!(parse_op_key("nonsense"), None);
    }

    #[test]
    fn base_ids_and_versions() {
        assert_eq!(resources::base_of("pgsql:1"), "pgsql");
        assert_eq!(resources::base_of("a:b"), "a:b");
        assert!(version_lt("3.0.9", "3.0.11"));
        assert!(!version_lt("3.16.1", "3.0.11"));
    }
}
