//! Builds the resource tree with every instance's role and location: primitives, groups,
//! anonymous and unique clones, bundles and orphans, from the replayed operation history.

use super::history::{replay, OnFail, Replay};
use super::{NodeKind, NodeStatus, ResourceKind, ResourceStatus};
use crate::cib::{is_true, Bundle, Clone, LrmResource, NvSets, Primitive, Resource, Role};
use std::collections::{HashMap, HashSet};

/// One primitive's replayed history on one node.
#[derive(Clone)]
struct Placement<'a> {
    node: &'a str,
    replay: Replay,
    /// The node is in maintenance: Pacemaker leaves what runs there alone.
    node_maintenance: bool,
}

/// Meta attributes in effect for a resource: its own, then its parents' (nearest first).
#[derive(Clone, Default)]
struct Meta<'m>(Vec<&'m NvSets>);

impl<'m> Meta<'m> {
    fn with(&self, own: &'m NvSets) -> Meta<'m> {
        let mut chain = Vec::with_capacity(self.0.len() + 1);
        chain.push(own);
        chain.extend(self.0.iter().copied());
        Meta(chain)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find_map(|m| m.get(name))
    }

    fn managed(&self, maintenance_mode: bool) -> bool {
        self.get("is-managed").is_none_or(is_true)
            && !self.get("maintenance").is_some_and(is_true)
            && !maintenance_mode
    }
}

/// Which `lrm_resource` ids hold a primitive's history.
#[derive(Clone, Copy)]
enum HistoryKey<'k> {
    /// A primitive outside any clone: exactly its id.
    Exact(&'k str),
    /// An anonymous clone member: its id, or `id:N` in CIBs written by old versions.
    Anonymous(&'k str),
}

pub(super) struct Builder<'a> {
    pub stonith_enabled: bool,
    pub maintenance_mode: bool,
    history: HashMap<&'a str, Vec<(&'a str, &'a LrmResource)>>,
    /// History keys by resource id with any `:N` instance suffix removed.
    keys_by_base: HashMap<&'a str, Vec<&'a str>>,
    nodes: &'a [NodeStatus],
    used_history: HashSet<&'a str>,
    /// Nodes that a resource's state makes unclean (a failed stop with on-fail=fence, a
    /// resource active on a lost node).
    pub fence_nodes: Vec<String>,
    /// Primitives configured unmanaged: their "not running" results are not failures.
    pub unmanaged: HashSet<String>,
    /// Active orphans (history without configuration), which Pacemaker counts as instances.
    pub orphan_count: usize,
}

impl<'a> Builder<'a> {
    pub fn new(cib: &'a crate::cib::Cib, nodes: &'a [NodeStatus], stonith_enabled: bool) -> Self {
        let mut history: HashMap<&'a str, Vec<(&'a str, &'a LrmResource)>> = HashMap::new();
        for ns in &cib.status {
            for lrm in &ns.lrm_resources {
                history
                    .entry(lrm.id.as_str())
                    .or_default()
                    .push((ns.uname.as_str(), lrm));
            }
        }
        let mut keys_by_base: HashMap<&'a str, Vec<&'a str>> = HashMap::new();
        for key in history.keys() {
            keys_by_base.entry(base_of(key)).or_default().push(key);
        }
        for keys in keys_by_base.values_mut() {
            keys.sort_unstable();
        }
        Builder {
            keys_by_base,
            stonith_enabled,
            maintenance_mode: cib.property("maintenance-mode").is_some_and(is_true),
            history,
            nodes,
            used_history: HashSet::new(),
            fence_nodes: Vec::new(),
            unmanaged: HashSet::new(),
            orphan_count: 0,
        }
    }

    fn node(&self, name: &str) -> Option<&NodeStatus> {
        self.nodes.iter().find(|n| n.name == name)
    }

    pub fn resource(&mut self, r: &'a Resource) -> ResourceStatus {
        self.resource_in(r, &Meta::default())
    }

    fn resource_in(&mut self, r: &'a Resource, parent: &Meta) -> ResourceStatus {
        match r {
            Resource::Primitive(p) => {
                let meta = parent.with(&p.meta);
                let placements = self.placements(p, HistoryKey::Exact(&p.id), &meta, false);
                self.primitive_status(p, p.id.clone(), placements, &meta, false)
            }
            Resource::Group(g) => {
                let meta = parent.with(&g.meta);
                let children = g
                    .members
                    .iter()
                    .map(|m| {
                        let m_meta = meta.with(&m.meta);
                        let placements =
                            self.placements(m, HistoryKey::Exact(&m.id), &m_meta, false);
                        self.primitive_status(m, m.id.clone(), placements, &m_meta, false)
                    })
                    .collect();
                self.container(&g.id, ResourceKind::Group, &meta, children)
            }
            Resource::Clone(c) => self.clone_status(c, parent),
            Resource::Bundle(b) => self.bundle_status(b, parent),
        }
    }

    fn container(
        &self,
        id: &str,
        kind: ResourceKind,
        meta: &Meta,
        children: Vec<ResourceStatus>,
    ) -> ResourceStatus {
        let target_role = meta.get("target-role").map(str::to_string);
        ResourceStatus {
            id: id.to_string(),
            kind,
            promotable: None,
            unique: None,
            managed: meta.managed(self.maintenance_mode),
            disabled: target_role_is(target_role.as_deref(), Role::Stopped),
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
            image: None,
            base_id: None,
        }
    }

    fn clone_status(&mut self, c: &'a Clone, parent: &Meta) -> ResourceStatus {
        let meta = parent.with(&c.meta);
        let unique = meta.get("globally-unique").is_some_and(is_true);
        let member_count = self
            .nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Member)
            .count();
        let clone_max: usize = meta
            .get("clone-max")
            .and_then(|v| v.parse().ok())
            .unwrap_or(member_count);
        let (group, members): (Option<&'a crate::cib::Group>, Vec<&'a Primitive>) =
            match c.child.as_ref() {
                Resource::Primitive(p) => (None, vec![p]),
                Resource::Group(g) => (Some(g), g.members.iter().collect()),
                _ => (None, Vec::new()),
            };
        let group_meta = group.map_or_else(|| meta.clone(), |g| meta.with(&g.meta));
        let member_meta: Vec<Meta> = members.iter().map(|m| group_meta.with(&m.meta)).collect();

        // Each instance is a list of (member index, placements).
        let mut instances: Vec<Vec<Vec<Placement<'a>>>> = Vec::new();
        if unique {
            for i in 0..clone_max {
                let inst = members
                    .iter()
                    .zip(&member_meta)
                    .map(|(m, mm)| {
                        let key = format!("{}:{i}", m.id);
                        self.placements_for_key(m, &key, mm, c.promotable)
                    })
                    .collect();
                instances.push(inst);
            }
        } else {
            let per_member: Vec<Vec<Placement<'a>>> = members
                .iter()
                .zip(&member_meta)
                .map(|(m, mm)| self.placements(m, HistoryKey::Anonymous(&m.id), mm, c.promotable))
                .collect();
            // An instance is a node where any member is active, in node order.
            let mut active_nodes: Vec<&'a str> = Vec::new();
            for pl in per_member.iter().flatten() {
                if pl.replay.role != Role::Stopped && !active_nodes.contains(&pl.node) {
                    active_nodes.push(pl.node);
                }
            }
            let order = |n: &str| {
                self.nodes
                    .iter()
                    .position(|x| x.name == n)
                    .unwrap_or(usize::MAX)
            };
            active_nodes.sort_by_key(|n| order(n));
            for i in 0..clone_max.max(active_nodes.len()) {
                let node = active_nodes.get(i).copied();
                instances.push(
                    per_member
                        .iter()
                        .map(|pls| {
                            pls.iter()
                                .filter(|pl| Some(pl.node) == node)
                                .cloned()
                                .collect()
                        })
                        .collect(),
                );
            }
        }
        let mut children = Vec::new();
        for (i, inst) in instances.into_iter().enumerate() {
            let mut prims: Vec<ResourceStatus> = members
                .iter()
                .zip(&member_meta)
                .zip(inst)
                .map(|((m, mm), placements)| {
                    let mut st = self.primitive_status(
                        m,
                        format!("{}:{i}", m.id),
                        placements,
                        mm,
                        c.promotable,
                    );
                    st.base_id = Some(m.id.clone());
                    st
                })
                .collect();
            match group {
                None => children.extend(prims.pop()),
                Some(g) => {
                    let mut st = self.container(
                        &format!("{}:{i}", g.id),
                        ResourceKind::Group,
                        &group_meta,
                        prims,
                    );
                    st.base_id = Some(g.id.clone());
                    children.push(st);
                }
            }
        }
        let mut st = self.container(&c.id, ResourceKind::Clone, &meta, children);
        if c.promotable {
            disable_unpromoted(&mut st);
        }
        st.promotable = Some(c.promotable);
        st.unique = Some(unique);
        st
    }

    /// A bundle's replicas: for each, the IP, the containerised primitive (its history is on
    /// the guest node `<bundle>-<i>`), the container and the remote connection, in crm_mon's
    /// order.
    fn bundle_status(&mut self, b: &'a Bundle, parent: &Meta) -> ResourceStatus {
        let meta = parent.with(&b.meta);
        let mut replicas = Vec::new();
        for i in 0..b.replicas as usize {
            let mut parts = Vec::new();
            let synthetic = |id: String, agent_type: &str, provider: &str| Primitive {
                id,
                class: "ocf".into(),
                provider: Some(provider.into()),
                agent_type: agent_type.into(),
                template: None,
                params: NvSets::default(),
                meta: NvSets::default(),
                ops: Vec::new(),
            };
            let mut members: Vec<(Primitive, String)> = Vec::new();
            if let Some(ip) = b.ip_range_start.as_deref().and_then(|s| nth_ipv4(s, i)) {
                members.push((
                    synthetic(format!("{}-ip-{ip}", b.id), "IPaddr2", "heartbeat"),
                    String::new(),
                ));
            }
            if let Some(p) = &b.primitive {
                members.push((p.clone(), format!("{}-{i}", b.id)));
            }
            members.push((
                synthetic(
                    format!("{}-{}-{i}", b.id, b.container_kind),
                    &b.container_kind,
                    "heartbeat",
                ),
                String::new(),
            ));
            if b.primitive.is_some() {
                members.push((
                    synthetic(format!("{}-{i}", b.id), "remote", "pacemaker"),
                    String::new(),
                ));
            }
            for (p, guest) in &members {
                let pm = meta.with(&p.meta);
                let mut placements = self.placements(p, HistoryKey::Exact(&p.id), &pm, false);
                if !guest.is_empty() {
                    placements.retain(|pl| pl.node == guest.as_str());
                }
                parts.push(self.primitive_status(p, p.id.clone(), placements, &pm, false));
            }
            let mut replica = self.container(
                &format!("{}-{i}", b.id),
                ResourceKind::Replica,
                &meta,
                parts,
            );
            replica.base_id = Some(i.to_string());
            replicas.push(replica);
        }
        let mut st = self.container(&b.id, ResourceKind::Bundle, &meta, replicas);
        st.unique = Some(false);
        st.image = b.image.clone();
        st
    }

    /// Replays the history of `p` on every node.
    fn placements(
        &mut self,
        p: &Primitive,
        key: HistoryKey,
        meta: &Meta,
        promotable: bool,
    ) -> Vec<Placement<'a>> {
        let keys: Vec<&'a str> = match key {
            HistoryKey::Exact(id) => self
                .history
                .get_key_value(id)
                .map(|(k, _)| *k)
                .into_iter()
                .collect(),
            HistoryKey::Anonymous(id) => self.keys_by_base.get(id).cloned().unwrap_or_default(),
        };
        let mut out: Vec<Placement<'a>> = Vec::new();
        for k in keys {
            for pl in self.placements_for_key(p, k, meta, promotable) {
                match out.iter_mut().find(|x| x.node == pl.node) {
                    // Two instance ids on one node: keep the most active.
                    Some(existing) if pl.replay.role > existing.replay.role => *existing = pl,
                    Some(_) => {}
                    None => out.push(pl),
                }
            }
        }
        out
    }

    fn placements_for_key(
        &mut self,
        p: &Primitive,
        key: &str,
        meta: &Meta,
        promotable: bool,
    ) -> Vec<Placement<'a>> {
        let Some((stored_key, entries)) = self.history.get_key_value(key) else {
            return Vec::new();
        };
        let stored_key: &'a str = stored_key;
        let entries = entries.clone();
        self.used_history.insert(stored_key);
        let managed = meta.managed(self.maintenance_mode);
        if !managed {
            self.unmanaged.insert(p.id.clone());
        }
        entries
            .into_iter()
            .map(|(node, lrm)| {
                let mut r = self.replay_on(p, lrm, managed);
                if promotable && r.role == Role::Started {
                    r.role = Role::Unpromoted;
                }
                Placement {
                    node,
                    node_maintenance: self.node(node).is_some_and(|n| n.maintenance),
                    replay: r,
                }
            })
            .collect()
    }

    fn replay_on(&self, p: &Primitive, lrm: &LrmResource, managed: bool) -> Replay {
        let stonith = self.stonith_enabled;
        replay(&lrm.ops, managed, |task, interval| {
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

    /// A migrate_to that nothing closed (no stop on the source since) leaves the resource
    /// active on the target as well, listed first, as Pacemaker does for a partial or failed
    /// migration.
    fn resolve_migration(&self, placements: &mut Vec<Placement<'a>>, promotable: bool) {
        for i in 0..placements.len() {
            let Some(target) = placements[i].replay.migrated_to.clone() else {
                continue;
            };
            if placements[i].replay.role == Role::Stopped {
                continue;
            }
            match placements.iter().position(|pl| pl.node == target) {
                Some(t) if placements[t].replay.role != Role::Stopped => {
                    let moved = placements.remove(t);
                    placements.insert(0, moved);
                }
                _ => {
                    if let Some(node) = self.nodes.iter().find(|n| n.name == target && n.online) {
                        let mut replay = placements[i].replay.clone();
                        replay.migrated_to = None;
                        replay.role = if promotable {
                            Role::Unpromoted
                        } else {
                            Role::Started
                        };
                        placements.retain(|pl| pl.node != target);
                        placements.insert(
                            0,
                            Placement {
                                node: node.name.as_str(),
                                replay,
                                node_maintenance: node.maintenance,
                            },
                        );
                    }
                }
            }
            break;
        }
    }

    fn primitive_status(
        &mut self,
        p: &Primitive,
        id: String,
        mut placements: Vec<Placement<'a>>,
        meta: &Meta,
        promotable: bool,
    ) -> ResourceStatus {
        let target_role = meta.get("target-role").map(str::to_string);
        let managed = meta.managed(self.maintenance_mode);
        self.resolve_migration(&mut placements, promotable);
        let mut failed = false;
        let mut blocked = false;
        for pl in placements
            .iter()
            .filter(|pl| pl.replay.role != Role::Stopped)
        {
            let node = self.node(pl.node);
            let node_unclean = node.is_some_and(|n| n.unclean);
            let node_online = node.is_none_or(|n| n.online);
            if !node_online
                && !node_unclean
                && managed
                && !pl.node_maintenance
                && self.stonith_enabled
            {
                // Thought active on a node that is gone: the node must be fenced.
                self.fence_nodes.push(pl.node.to_string());
                continue;
            }
            if node_unclean {
                continue;
            }
            if pl.replay.failed() {
                failed = true;
            }
            if pl.replay.blocked() {
                blocked = true;
            }
            if pl.replay.on_fail == OnFail::Fence && pl.replay.role != Role::Stopped {
                self.fence_nodes.push(pl.node.to_string());
            }
        }
        let active: Vec<&Placement> = placements
            .iter()
            .filter(|pl| pl.replay.role != Role::Stopped)
            .collect();
        let role = active
            .iter()
            .map(|pl| pl.replay.role)
            .max()
            .unwrap_or(Role::Stopped);
        let on_maintenance_node = active.iter().any(|pl| pl.node_maintenance);
        ResourceStatus {
            id,
            kind: ResourceKind::Primitive,
            promotable: None,
            unique: None,
            managed: managed && !blocked && !on_maintenance_node,
            disabled: target_role_is(target_role.as_deref(), Role::Stopped),
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
            pending: active.iter().find_map(|pl| pl.replay.pending_task.clone()),
            image: None,
            base_id: None,
        }
    }

    /// Resources with history but no configuration. Only active ones are listed, as crm_mon
    /// does; all are counted.
    pub fn orphans(&mut self) -> Vec<ResourceStatus> {
        let mut keys: Vec<&'a str> = self
            .history
            .keys()
            .copied()
            .filter(|k| !self.used_history.contains(k))
            .collect();
        keys.sort();
        let mut out = Vec::new();
        for key in keys {
            let first = self.history[key][0].1;
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
            let entries = self.history[key].clone();
            // Nothing manages an orphan in maintenance mode either.
            let managed = !self.maintenance_mode;
            if !managed {
                self.unmanaged.insert(key.to_string());
            }
            let placements: Vec<Placement<'a>> = entries
                .iter()
                .map(|&(node, lrm)| Placement {
                    node,
                    replay: self.replay_on(&p, lrm, managed),
                    node_maintenance: false,
                })
                .collect();
            if placements.iter().all(|pl| pl.replay.role == Role::Stopped) {
                continue;
            }
            self.orphan_count += 1;
            let mut st =
                self.primitive_status(&p, key.to_string(), placements, &Meta::default(), false);
            st.orphaned = Some(true);
            out.push(st);
        }
        out
    }
}

/// `pgsql:1` → `pgsql`; other ids unchanged.
pub fn base_of(id: &str) -> &str {
    match id.rsplit_once(':') {
        Some((base, n)) if n.parse::<u32>().is_ok() => base,
        _ => id,
    }
}

/// The IPv4 address `n` after `start` (bundle replicas take consecutive addresses).
fn nth_ipv4(start: &str, n: usize) -> Option<String> {
    let ip: std::net::Ipv4Addr = start.parse().ok()?;
    let value = u32::from(ip).checked_add(u32::try_from(n).ok()?)?;
    Some(std::net::Ipv4Addr::from(value).to_string())
}

/// Whether a `target-role` value names `role` (legacy Master / Slave included).
pub fn target_role_is(target_role: Option<&str>, role: Role) -> bool {
    target_role.and_then(Role::parse) == Some(role)
}

/// In a promotable clone, `target-role=Unpromoted` disables the clone and everything in it,
/// as Pacemaker's pe__resource_is_disabled says (crm_mon prints "(promotable, disabled)" and
/// counts the instances as DISABLED): the role the clone exists for is switched off.
fn disable_unpromoted(r: &mut ResourceStatus) {
    if target_role_is(r.target_role.as_deref(), Role::Unpromoted) {
        r.disabled = true;
    }
    for c in &mut r.children {
        disable_unpromoted(c);
    }
}
