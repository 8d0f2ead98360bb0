//! `node list | standby | online | maintenance | delete` and cluster-wide `maintenance`:
//! node states as crm_mon derives them, and the plans that change them, written as Pacemaker's
//! tools write them (`crm_attribute -N NODE -n standby`: `nodes-<id>-standby` in the `nodes`
//! section for lifetime forever, a transient attribute for reboot; `crm node delete` removes
//! the node from `nodes` and `status`).
//!
//! PostgreSQL-aware: standby of the primary's node says where the primary goes, and is a risky
//! change. Decides only; applying and waiting is the CLI's (through `Plan`).

use super::plan::{node as find_node, Plan, TransientEdit};
use super::resource::Expect;
use crate::cib::change::ElementPath;
use crate::cib::{is_true, parse_score, Cib, Resource, Role};
use crate::state::{self, ClusterState};
use crate::{Error, Result};
use serde::Serialize;

/// One row of `node list`.
#[derive(Debug, Clone, Serialize)]
pub struct NodeRow {
    pub name: String,
    pub id: String,
    /// online, offline, standby, maintenance, pending, UNCLEAN (crm_mon's words).
    pub state: String,
    pub online: bool,
    /// `forever` (nodes section) or `reboot` (transient), when in standby.
    pub standby: Option<&'static str>,
    pub maintenance: bool,
    pub is_dc: bool,
    pub resources_running: usize,
    /// The roles of the promotable clones' instances on this node (`msPostgresql Promoted`).
    pub roles: Vec<String>,
}

/// Where a node attribute is set: `forever` (configuration) or `reboot` (transient).
fn attr_lifetime(cib: &Cib, node: &str, name: &str) -> Option<&'static str> {
    let cfg = cib
        .nodes
        .iter()
        .find(|n| n.uname == node)
        .and_then(|n| n.instance_attributes.get(name));
    let transient = cib
        .status
        .iter()
        .find(|s| s.uname == node)
        .and_then(|s| s.transient_attributes.get(name));
    // The transient value wins, as Pacemaker reads it.
    match (transient, cfg) {
        (Some(v), _) if is_true(v) => Some("reboot"),
        (Some(_), _) => None,
        (None, Some(v)) if is_true(v) => Some("forever"),
        _ => None,
    }
}

/// Every promotable clone's role per node: (clone, node, role).
fn promotable_roles(cib: &Cib) -> Vec<(String, String, Role)> {
    let mut out = Vec::new();
    for r in &cib.resources {
        let Resource::Clone(c) = r else { continue };
        if !c.promotable {
            continue;
        }
        if let Ok(loc) = super::resource::locate(cib, &c.id) {
            for (n, role) in loc.instances {
                out.push((c.id.clone(), n, role));
            }
        }
    }
    out
}

/// `node list`.
pub fn list(cib: &Cib) -> Vec<NodeRow> {
    let st = state::derive(cib);
    let roles = promotable_roles(cib);
    st.nodes
        .iter()
        .map(|n| {
            let state = if n.unclean {
                "UNCLEAN"
            } else if n.pending {
                "pending"
            } else if !n.online {
                "offline"
            } else if n.standby {
                "standby"
            } else if n.maintenance {
                "maintenance"
            } else {
                "online"
            };
            NodeRow {
                name: n.name.clone(),
                id: n.id.clone(),
                state: state.to_string(),
                online: n.online,
                standby: if n.standby {
                    attr_lifetime(cib, &n.name, "standby").or(Some("forever"))
                } else {
                    None
                },
                maintenance: n.maintenance,
                is_dc: n.is_dc,
                resources_running: n.resources_running,
                roles: roles
                    .iter()
                    .filter(|(_, node, _)| *node == n.name)
                    .map(|(c, _, r)| format!("{c} {}", r.as_str()))
                    .collect(),
            }
        })
        .collect()
}

/// How long a standby lasts, as `crm_attribute --lifetime` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// Until the node restarts (a transient attribute).
    Reboot,
    /// Until `node online` (the `nodes` section).
    Forever,
}

fn node_path(id: &str) -> ElementPath {
    ElementPath::section(&["configuration", "nodes"]).child("node", id)
}

/// Sets or removes a permanent node attribute (`nodes-<id>-<name>`), plus removes a transient
/// one of the same name when `value` is `None`.
fn node_attribute(
    plan: &mut Plan,
    cib: &Cib,
    node: &str,
    name: &str,
    value: Option<&str>,
) -> Result<()> {
    let id = find_node(cib, node)?.id.clone();
    let path = node_path(&id);
    match value {
        Some(v) => {
            plan.change
                .set_nvpair(
                    &cib.tree,
                    &path,
                    "instance_attributes",
                    &format!("nodes-{id}"),
                    name,
                    v,
                )
                .map_err(|e| Error::Usage(e.to_string()))?;
        }
        None => {
            plan.change
                .delete_nvpair(&cib.tree, &path, "instance_attributes", name);
            let transient = cib
                .status
                .iter()
                .find(|s| s.uname == node)
                .is_some_and(|s| s.transient_attributes.get(name).is_some());
            if transient {
                plan.transient.push(TransientEdit {
                    node: node.to_string(),
                    name: name.to_string(),
                    value: None,
                });
            }
        }
    }
    Ok(())
}

/// Where the Promoted role of `clone` would go when `from` leaves: the online, active node
/// with the highest promotion score, and what its PostgreSQL attributes say.
fn promotion_candidate(cib: &Cib, st: &ClusterState, clone: &str, from: &str) -> Option<String> {
    let prim = cib
        .find_resource(clone)?
        .primitives()
        .first()
        .map(|p| p.id.clone())?;
    st.nodes
        .iter()
        .filter(|n| n.name != from && n.online && !n.standby && !n.maintenance)
        .filter_map(|n| {
            let score = n.attributes.get(&format!("master-{prim}"))?;
            let s = parse_score(score);
            (s >= 0).then(|| {
                let data = n
                    .attributes
                    .get(&format!("{prim}-data-status"))
                    .map(|d| format!(", {d}"))
                    .unwrap_or_default();
                (s, format!("{} (master-{prim} {score}{data})", n.name))
            })
        })
        .max_by_key(|(s, _)| *s)
        .map(|(_, text)| text)
}

/// Plans `node standby NODE [--lifetime reboot|forever]`.
pub fn plan_standby(cib: &Cib, node: &str, lifetime: Lifetime) -> Result<(Plan, Expect)> {
    find_node(cib, node)?;
    let st = state::derive(cib);
    let mut plan = Plan::new(cib.clone());
    let expect = Expect::NodeEmpty {
        node: node.to_string(),
    };
    if attr_lifetime(cib, node, "standby").is_some() {
        plan.notes
            .push(format!("{node} is in standby already: nothing to do"));
        return Ok((plan, expect));
    }
    match lifetime {
        Lifetime::Forever => node_attribute(&mut plan, cib, node, "standby", Some("on"))?,
        Lifetime::Reboot => plan.transient.push(TransientEdit {
            node: node.to_string(),
            name: "standby".into(),
            value: Some("on".into()),
        }),
    }
    let running = st.node(node).map(|n| n.resources_running).unwrap_or(0);
    plan.actions.push(format!(
        "Putting {node} in standby ({}): {running} resource instance{} stop{} there",
        match lifetime {
            Lifetime::Forever => "until pgcrm node online",
            Lifetime::Reboot => "until it restarts",
        },
        if running == 1 { "" } else { "s" },
        if running == 1 { "s" } else { "" },
    ));
    for (clone, n, role) in promotable_roles(cib) {
        if n != node || role != Role::Promoted {
            continue;
        }
        let risk = match promotion_candidate(cib, &st, &clone, node) {
            Some(to) => format!(
                "{node} runs the primary ({clone} Promoted): standby moves it to {to}; clients are disconnected meanwhile"
            ),
            None => format!(
                "{node} runs the primary ({clone} Promoted) and no other node can be promoted: the database stops accepting writes"
            ),
        };
        plan.risk = Some(risk);
    }
    Ok((plan, expect))
}

/// Plans `node online NODE`: removes standby (both lifetimes).
pub fn plan_online(cib: &Cib, node: &str) -> Result<(Plan, Expect)> {
    let mut plan = Plan::new(cib.clone());
    let was = attr_lifetime(cib, node, "standby");
    node_attribute(&mut plan, cib, node, "standby", None)?;
    match was {
        Some(l) => plan
            .actions
            .push(format!("Taking {node} out of standby (lifetime {l})")),
        None if plan.is_empty() => plan
            .notes
            .push(format!("{node} is not in standby: nothing to do")),
        None => plan
            .actions
            .push(format!("Removing standby=off from {node}")),
    }
    Ok((plan, Expect::Settled))
}

/// Plans `node maintenance NODE on|off`.
pub fn plan_node_maintenance(cib: &Cib, node: &str, on: bool) -> Result<Plan> {
    let mut plan = Plan::new(cib.clone());
    let was = attr_lifetime(cib, node, "maintenance").is_some();
    node_attribute(
        &mut plan,
        cib,
        node,
        "maintenance",
        if on { Some("true") } else { None },
    )?;
    if plan.is_empty() || (on && was) {
        plan.notes.push(format!(
            "{node} is {}in maintenance already: nothing to do",
            if on { "" } else { "not " }
        ));
        plan.change.edits.clear();
        plan.transient.clear();
    } else if on {
        plan.actions.push(format!(
            "Putting {node} in maintenance: the cluster stops monitoring and managing its resources (they keep running)"
        ));
    } else {
        plan.actions.push(format!(
            "Taking {node} out of maintenance: the cluster re-probes and manages its resources again"
        ));
    }
    Ok(plan)
}

/// Plans cluster-wide `maintenance on|off` (`maintenance-mode` in `cib-bootstrap-options`).
pub fn plan_cluster_maintenance(cib: &Cib, on: bool) -> Result<Plan> {
    let mut plan = Plan::new(cib.clone());
    let now = cib.property("maintenance-mode").is_some_and(is_true);
    if now == on {
        plan.notes.push(format!(
            "maintenance-mode is {} already: nothing to do",
            if on { "on" } else { "off" }
        ));
        return Ok(plan);
    }
    let crm_config = ElementPath::section(&["configuration", "crm_config"]);
    // The property where crm_attribute puts it: an existing maintenance-mode nvpair, else
    // cib-bootstrap-options (created when missing).
    plan.change
        .set_nvpair(
            &cib.tree,
            &crm_config,
            "cluster_property_set",
            "cib-bootstrap-options",
            "maintenance-mode",
            if on { "true" } else { "false" },
        )
        .map_err(|e| Error::Usage(e.to_string()))?;
    plan.actions.push(if on {
        "Setting maintenance-mode=true: the cluster stops monitoring, starting and stopping every resource (they keep running)".to_string()
    } else {
        "Setting maintenance-mode=false: the cluster re-probes and manages every resource again"
            .to_string()
    });
    Ok(plan)
}

/// Plans `node delete NODE`: refused while the node is online or runs resources (107);
/// removes it from `nodes` and `status`, as `crm node delete` does.
pub fn plan_delete(cib: &Cib, node: &str) -> Result<Plan> {
    let cfg = find_node(cib, node)?;
    let st = state::derive(cib);
    if let Some(n) = st.node(node) {
        if n.online {
            return Err(Error::Unsafe(format!(
                "{node} is online: stop the cluster stack on it first (and remove it from corosync.conf), then delete it"
            )));
        }
        if n.resources_running > 0 {
            return Err(Error::Unsafe(format!(
                "{node} still runs {} resource instance{} as far as the cluster knows: clean them up or fence the node first",
                n.resources_running,
                if n.resources_running == 1 { "" } else { "s" }
            )));
        }
    }
    let mut plan = Plan::new(cib.clone());
    plan.change.delete(node_path(&cfg.id));
    if let Some(ns) = cib.status.iter().find(|s| s.uname == node) {
        plan.change
            .delete(ElementPath::section(&["status"]).child("node_state", &ns.id));
    }
    plan.actions.push(format!(
        "Deleting node {node} (id {}) from the nodes and status sections",
        cfg.id
    ));
    let naming: Vec<&str> = cib
        .constraints
        .iter()
        .filter_map(|c| match c {
            crate::cib::Constraint::Location(l) if l.node.as_deref() == Some(node) => {
                Some(l.id.as_str())
            }
            _ => None,
        })
        .collect();
    if !naming.is_empty() {
        plan.notes.push(format!(
            "location constraints still name {node}: {} (they no longer apply)",
            naming.join(", ")
        ));
    }
    Ok(plan)
}
