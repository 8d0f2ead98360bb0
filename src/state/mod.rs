//! What a CIB means: nodes (online, standby, unclean...), every resource instance's role and
//! location, failures and fail counts, derived the way Pacemaker's status unpacking does it.
//!
//! The result is plain data (serialisable as pgcrm's JSON contract); rendering it is the
//! CLI's job. Nothing here reads files, talks to daemons or prints.

pub mod history;

use crate::cib::{
    is_true, parse_score, Cib, LrmResource, LrmRscOp, NodeState, NvSets, Primitive, Resource,
    Role,
};
use history::{replay, OnFail, Replay};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

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

/// One primitive's replayed history on one node.
struct Placement<'a> {
    node: &'a str,
    replay: Replay,
}

/// Per-primitive history, keyed by the lrm_resource id with any `:N` suffix kept.
type HistoryIndex<'a> = HashMap<&'a str, Vec<(&'a str, &'a LrmResource)>>;

struct Builder<'a> {
    stonith_enabled: bool,
    maintenance_mode: bool,
    history: HistoryIndex<'a>,
    /// Node names whose node_state says they are online, for clone stopped lists.
    node_names: Vec<String>,
    used_history: std::collections::HashSet<&'a str>,
}

/// Derives the cluster state from a CIB.
pub fn derive(cib: &Cib) -> ClusterState {
    let stonith_enabled = cib.property("stonith-enabled").is_none_or(is_true);
    let maintenance_mode = cib.property("maintenance-mode").is_some_and(is_true);
    let mut history: HistoryIndex = HashMap::new();
    for ns in &cib.status {
        for lrm in &ns.lrm_resources {
            history
                .entry(lrm.id.as_str())
                .or_default()
                .push((ns.uname.as_str(), lrm));
        }
    }
    let mut nodes = derive_nodes(cib, stonith_enabled);
    let mut b = Builder {
        stonith_enabled,
        maintenance_mode,
        history,
        node_names: nodes.iter().map(|n| n.name.clone()).collect(),
        used_history: Default::default(),
    };
    let mut resources: Vec<ResourceStatus> = cib
        .resources
        .iter()
        .map(|r| b.resource(r, &NvSets::default(), false))
        .collect();
    resources.extend(b.orphans());
    let failures = derive_failures(cib);
    let fail_counts = derive_fail_counts(cib, &nodes);

    // Remote nodes are online while their connection resource runs.
    let mut flat = Vec::new();
    for r in &resources {
        collect_primitives(r, &mut flat);
    }
    for n in nodes.iter_mut() {
        if n.kind == NodeKind::Remote {
            n.online = flat.iter().any(|p| p.id == n.name && p.active == Some(true));
        }
        n.resources_running = flat
            .iter()
            .filter(|p| p.nodes.as_ref().is_some_and(|ns| ns.contains(&n.name)))
            .count();
    }
    let instance_count = flat.iter().filter(|p| p.orphaned != Some(true)).count();
    let disabled = flat
        .iter()
        .filter(|p| p.disabled && p.orphaned != Some(true))
        .count();
    let blocked = flat.iter().filter(|p| p.blocked == Some(true)).count();
    let dc = cib.dc_uuid.as_ref().and_then(|id| {
        nodes
            .iter()
            .find(|n| &n.id == id && n.kind == NodeKind::Member)
            .map(|n| n.name.clone())
    });
    let summary = Summary {
        stack: cib.property("cluster-infrastructure").map(str::to_string),
        dc_version: dc.as_ref().and(cib.property("dc-version").map(str::to_string)),
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
        || matches!(name, "probe_complete" | "shutdown" | "terminate")
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
            let remote = p.class == "ocf" && p.provider.as_deref() == Some("pacemaker") && p.agent_type == "remote";
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
            out.push(node_status(name, name, kind, &empty, state_of(name, name), cib, stonith_enabled));
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
    let attr = |n: &str| transient.and_then(|t| t.get(n)).or_else(|| permanent.get(n));
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
    if kind == NodeKind::Member {
        match state {
            None => {
                // Never seen: Pacemaker assumes the worst when it could fence such a node.
                let startup_fencing = cib.property("startup-fencing").is_none_or(is_true);
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
                } else if in_cluster {
                    if crmd_online {
                        if join == "member" {
                            online = true;
                        } else {
                            pending = true;
                        }
                    } else if expected == "member" {
                        unclean = true;
                    }
                } else if crmd_online && expected == "member" {
                    unclean = false;
                }
            }
        }
    }
    let standby = attr("standby").is_some_and(is_true);
    let maintenance = attr("maintenance").is_some_and(is_true);
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

/// Meta attributes inherited from parents: a clone's or group's meta applies to its children
/// unless they set their own.
fn inherited<'a>(own: &'a NvSets, parent: &'a NvSets, name: &str) -> Option<&'a str> {
    own.get(name).or_else(|| parent.get(name))
}

impl<'a> Builder<'a> {
    fn resource(&mut self, r: &'a Resource, parent_meta: &NvSets, promotable: bool) -> ResourceStatus {
        match r {
            Resource::Primitive(p) => {
                let placements = self.placements(p, None, promotable, parent_meta);
                self.primitive_status(p, p.id.clone(), placements, parent_meta, promotable)
            }
            Resource::Group(g) => {
                let meta = merged(&g.meta, parent_meta);
                let children: Vec<ResourceStatus> = g
                    .members
                    .iter()
                    .map(|m| {
                        let placements = self.placements(m, None, promotable, &meta);
                        self.primitive_status(m, m.id.clone(), placements, &meta, promotable)
                    })
                    .collect();
                container_status(&g.id, ResourceKind::Group, &g.meta, parent_meta, children, self.maintenance_mode)
            }
            Resource::Clone(c) => self.clone_status(c, parent_meta),
            Resource::Bundle(b) => {
                let children = b
                    .primitive
                    .iter()
                    .map(|p| {
                        let placements = self.placements(p, None, false, &b.meta);
                        self.primitive_status(p, p.id.clone(), placements, &b.meta, false)
                    })
                    .collect();
                container_status(&b.id, ResourceKind::Bundle, &b.meta, parent_meta, children, self.maintenance_mode)
            }
        }
    }

    fn clone_status(&mut self, c: &'a crate::cib::Clone, parent_meta: &NvSets) -> ResourceStatus {
        let meta = merged(&c.meta, parent_meta);
        let unique = meta.get("globally-unique").is_some_and(is_true);
        let clone_max: usize = meta
            .get("clone-max")
            .and_then(|v| v.parse().ok())
            .unwrap_or(self.node_names.len());
        let members: Vec<&'a Primitive> = match c.child.as_ref() {
            Resource::Primitive(p) => vec![p],
            Resource::Group(g) => g.members.iter().collect(),
            _ => Vec::new(),
        };
        let group = match c.child.as_ref() {
            Resource::Group(g) => Some(g),
            _ => None,
        };
        // For every member, its placements per node (anonymous) or per instance (unique).
        let mut per_member: Vec<Vec<Placement<'a>>> = Vec::new();
        for m in &members {
            let member_meta = match group {
                Some(g) => merged(&g.meta, &meta),
                None => meta.clone(),
            };
            per_member.push(self.placements(m, Some(unique), c.promotable, &member_meta));
        }
        // An instance is a node where any member is active; configured nodes first, in
        // configuration order, then nodes known only from history.
        let mut active_nodes: Vec<&'a str> = Vec::new();
        for pl in per_member.iter().flatten() {
            if pl.replay.role != Role::Stopped && !active_nodes.contains(&pl.node) {
                active_nodes.push(pl.node);
            }
        }
        let order = |n: &str| self.node_names.iter().position(|x| x == n).unwrap_or(usize::MAX);
        active_nodes.sort_by_key(|n| order(n));
        let mut instances = Vec::new();
        let total = clone_max.max(active_nodes.len());
        for i in 0..total {
            let node = active_nodes.get(i).copied();
            let instance_id = |base: &str| format!("{base}:{i}");
            let build_member = |this: &mut Self, idx: usize, m: &'a Primitive, m_meta: &NvSets| {
                let mut placements: Vec<Placement<'a>> = Vec::new();
                if let Some(node) = node {
                    placements.extend(
                        per_member[idx]
                            .iter()
                            .filter(|pl| pl.node == node)
                            .map(|pl| Placement { node: pl.node, replay: pl.replay.clone() }),
                    );
                }
                let mut st = this.primitive_status(m, instance_id(&m.id), placements, m_meta, c.promotable);
                st.base_id = Some(m.id.clone());
                st
            };
            match group {
                None => instances.push(build_member(self, 0, members[0], &meta)),
                Some(g) => {
                    let g_meta = merged(&g.meta, &meta);
                    let children = members
                        .iter()
                        .enumerate()
                        .map(|(idx, m)| build_member(self, idx, m, &g_meta))
                        .collect();
                    let mut st = container_status(&instance_id(&g.id), ResourceKind::Group, &g.meta, &meta, children, self.maintenance_mode);
                    st.base_id = Some(g.id.clone());
                    instances.push(st);
                }
            }
        }
        let mut st = container_status(&c.id, ResourceKind::Clone, &c.meta, parent_meta, instances, self.maintenance_mode);
        st.promotable = Some(c.promotable);
        st.unique = Some(unique);
        st
    }

    /// Replays the history of primitive `p` on every node. `clone_unique` is `Some` for clone
    /// members: anonymous clones record history under the bare id (or `id:N` in old CIBs).
    fn placements(&mut self, p: &'a Primitive, clone_unique: Option<bool>, promotable: bool, meta: &NvSets) -> Vec<Placement<'a>> {
        let mut keys: Vec<&'a str> = Vec::new();
        for key in self.history.keys() {
            let base = key.split_once(':').map_or(*key, |(b, n)| if n.parse::<u32>().is_ok() { b } else { key });
            let matches = if clone_unique.is_some() { base == p.id } else { *key == p.id };
            if matches {
                keys.push(key);
            }
        }
        keys.sort();
        let mut out = Vec::new();
        for key in keys {
            self.used_history.insert(key);
            for &(node, lrm) in &self.history[key] {
                let replayed = self.replay_on(p, lrm, meta);
                let mut replayed = replayed;
                if promotable && replayed.role == Role::Started {
                    replayed.role = Role::Unpromoted;
                }
                if let Some(existing) = out.iter_mut().find(|pl: &&mut Placement| pl.node == node) {
                    // Two instance ids on one node: keep the most active.
                    if replayed.role > existing.replay.role {
                        existing.replay = replayed;
                    }
                } else {
                    out.push(Placement { node, replay: replayed });
                }
            }
        }
        out
    }

    fn replay_on(&self, p: &Primitive, lrm: &LrmResource, meta: &NvSets) -> Replay {
        let stonith = self.stonith_enabled;
        let _ = meta;
        replay(&lrm.ops, |task, interval| {
            let configured = p
                .ops
                .iter()
                .find(|o| o.name == task && o.interval_ms == interval)
                .and_then(|o| o.on_fail.as_deref())
                .and_then(OnFail::parse);
            configured.unwrap_or(match task {
                "stop" if stonith => OnFail::Fence,
                "stop" => OnFail::Block,
                _ => OnFail::Recover,
            })
        })
    }

    fn primitive_status(
        &self,
        p: &Primitive,
        id: String,
        placements: Vec<Placement>,
        parent_meta: &NvSets,
        _promotable: bool,
    ) -> ResourceStatus {
        let target_role = inherited(&p.meta, parent_meta, "target-role").map(str::to_string);
        let managed = inherited(&p.meta, parent_meta, "is-managed").is_none_or(is_true)
            && !inherited(&p.meta, parent_meta, "maintenance").is_some_and(is_true)
            && !self.maintenance_mode;
        let active: Vec<&Placement> = placements.iter().filter(|pl| pl.replay.role != Role::Stopped).collect();
        let role = active.iter().map(|pl| pl.replay.role).max().unwrap_or(Role::Stopped);
        let failed = active.iter().any(|pl| pl.replay.failed);
        let blocked = active.iter().any(|pl| pl.replay.blocked);
        let pending = active.iter().find_map(|pl| pl.replay.pending_task.clone());
        ResourceStatus {
            id,
            kind: ResourceKind::Primitive,
            promotable: None,
            unique: None,
            managed: managed && !blocked,
            disabled: target_role.as_deref().is_some_and(|r| r == "Stopped"),
            children: Vec::new(),
            agent: Some(p.agent()),
            role: Some(role),
            target_role,
            active: Some(!active.is_empty()),
            nodes: Some(active.iter().map(|pl| pl.node.to_string()).collect()),
            failed: Some(failed),
            blocked: Some(blocked),
            orphaned: Some(false),
            failure_ignored: Some(placements.iter().any(|pl| pl.replay.failure_ignored)),
            pending,
            base_id: None,
        }
    }

    /// Resources with history but no configuration, still active somewhere.
    fn orphans(&mut self) -> Vec<ResourceStatus> {
        let mut keys: Vec<&'a str> = self
            .history
            .keys()
            .copied()
            .filter(|k| !self.used_history.contains(k))
            .collect();
        keys.sort();
        let mut out = Vec::new();
        for key in keys {
            let entries = &self.history[key];
            let first = entries[0].1;
            let p = Primitive {
                id: key.to_string(),
                class: first.class.clone(),
                provider: first.provider.clone(),
                agent_type: first.agent_type.clone(),
                template: None,
                params: NvSets::default(),
                meta: NvSets::default(),
                ops: Vec::new(),
            };
            let placements: Vec<Placement> = entries
                .iter()
                .map(|&(node, lrm)| Placement { node, replay: self.replay_on(&p, lrm, &NvSets::default()) })
                .collect();
            if placements.iter().all(|pl| pl.replay.role == Role::Stopped) {
                continue;
            }
            let mut st = self.primitive_status(&p, key.to_string(), placements, &NvSets::default(), false);
            st.orphaned = Some(true);
            // Pacemaker never manages what it no longer knows; it only stops it.
            out.push(st);
        }
        out
    }
}

fn merged(own: &NvSets, parent: &NvSets) -> NvSets {
    let mut sets = own.sets.clone();
    sets.extend(parent.sets.iter().cloned());
    NvSets { sets }
}

fn container_status(
    id: &str,
    kind: ResourceKind,
    own: &NvSets,
    parent: &NvSets,
    children: Vec<ResourceStatus>,
    maintenance_mode: bool,
) -> ResourceStatus {
    let target_role = inherited(own, parent, "target-role").map(str::to_string);
    let managed = inherited(own, parent, "is-managed").is_none_or(is_true)
        && !inherited(own, parent, "maintenance").is_some_and(is_true)
        && !maintenance_mode;
    ResourceStatus {
        id: id.to_string(),
        kind,
        promotable: None,
        unique: None,
        managed,
        disabled: target_role.as_deref() == Some("Stopped"),
        children,
        agent: None,
        role: None,
        target_role,
        active: None,
        nodes: None,
        failed: None,
        blocked: None,
        orphaned: None,
        failure_ignored: None,
        pending: None,
        base_id: None,
    }
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
        "monitor", "start", "stop", "promote", "demote", "notify", "migrate_to", "migrate_from",
        "reload-agent", "reload", "meta-data", "validate-all", "cancel",
    ] {
        if let Some(rsc) = rest.strip_suffix(task).and_then(|r| r.strip_suffix('_')) {
            return Some((rsc, task, interval));
        }
    }
    let (rsc, task) = rest.rsplit_once('_')?;
    Some((rsc, task, interval))
}

fn derive_failures(cib: &Cib) -> Vec<Failure> {
    let mut out: Vec<Failure> = Vec::new();
    for ns in &cib.status {
        for lrm in &ns.lrm_resources {
            let mut ops: Vec<&LrmRscOp> = lrm.ops.iter().collect();
            ops.sort_by_key(|o| (o.call_id < 0, o.call_id));
            for op in ops {
                if !history::is_failure(op) {
                    continue;
                }
                if out.iter().any(|f| f.op_key == op.operation_key && f.node == ns.uname) {
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

/// The fail count attributes of one node: `fail-count-<rsc>#<op>_<interval>` (2.x) and the
/// legacy `fail-count-<rsc>`, summed per resource (clone instance suffixes folded).
fn derive_fail_counts(cib: &Cib, nodes: &[NodeStatus]) -> Vec<FailCount> {
    let mut out = Vec::new();
    for ns in &cib.status {
        let node_name = nodes
            .iter()
            .find(|n| n.id == ns.id)
            .map(|n| n.name.clone())
            .unwrap_or_else(|| ns.uname.clone());
        let mut counts: BTreeMap<String, (i64, Option<i64>)> = BTreeMap::new();
        for (name, value) in ns.transient_attributes.effective() {
            if let Some(rest) = name.strip_prefix("fail-count-") {
                let rsc = base_resource(rest.split('#').next().unwrap_or(rest));
                let v = parse_score(value);
                let e = counts.entry(rsc).or_default();
                e.0 = (e.0 + v).min(INFINITY);
            } else if let Some(rest) = name.strip_prefix("last-failure-") {
                let rsc = base_resource(rest.split('#').next().unwrap_or(rest));
                let t = value.parse::<i64>().ok();
                let e = counts.entry(rsc).or_default();
                e.1 = e.1.max(t);
            }
        }
        for (rsc, (count, last)) in counts {
            if count <= 0 {
                continue;
            }
            out.push(FailCount {
                node: node_name.clone(),
                migration_threshold: FailCountValue(migration_threshold(cib, &rsc)),
                resource: rsc,
                count: FailCountValue(count),
                last_failure: last,
            });
        }
    }
    out
}

/// `pgsql:1` → `pgsql`; other ids unchanged.
fn base_resource(id: &str) -> String {
    match id.rsplit_once(':') {
        Some((base, n)) if n.parse::<u32>().is_ok() => base.to_string(),
        _ => id.to_string(),
    }
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
        assert_eq!(parse_op_key("pgsql_monitor_7000"), Some(("pgsql", "monitor", 7000)));
        assert_eq!(parse_op_key("vip_master_start_0"), Some(("vip_master", "start", 0)));
        assert_eq!(parse_op_key("x_migrate_to_0"), Some(("x", "migrate_to", 0)));
        assert_eq!(parse_op_key("nonsense"), None);
    }

    #[test]
    fn base_ids() {
        assert_eq!(base_resource("pgsql:1"), "pgsql");
        assert_eq!(base_resource("a:b"), "a:b");
    }
}
