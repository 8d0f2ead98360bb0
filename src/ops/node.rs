//! `node list | standby | online | maintenance | delete` and cluster-wide `maintenance`:
//! node states as crm_mon derives them, and the plans that change them, written as Pacemaker's
//! tools write them (`crm_attribute -N NODE -n standby`: `nodes-<id>-standby` in the `nodes`
//! section for lifetime forever, a transient attribute for reboot; `crm node delete` removes
//! the node from `nodes` and `status`, then, live, `crm_node -R`'s purge of the daemons' peer
//! caches).
//!
//! PostgreSQL-aware: standby of the primary's node says where the primary goes, and is a risky
//! change. Decides only; applying and waiting is the CLI's (through `Plan`).

use super::plan::{node as find_node, Plan, TransientEdit};
use super::resource::Expect;
use crate::cib::change::ElementPath;
use crate::cib::{is_true, parse_score, Cib, Resource, Role};
use crate::cluster::{Cluster, PeerCache, Purge};
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

/// The id the daemons know `node` by: its CIB node id when that is a corosync node id (a
/// positive number), else `None` (the daemons then go by the name alone).
pub fn peer_id(cib: &Cib, node: &str) -> Option<u32> {
    cib.nodes
        .iter()
        .find(|n| n.uname == node)
        .and_then(|n| n.id.parse::<u32>().ok())
        .filter(|id| *id > 0)
}

fn node_and_id(node: &str, id: Option<u32>) -> String {
    match id {
        Some(id) => format!("{node} (id {id})"),
        None => node.to_string(),
    }
}

fn daemons(caches: &[PeerCache]) -> String {
    caches
        .iter()
        .map(|c| c.daemon())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What `node delete` does on the live cluster after the CIB change, for `--dry-run`.
pub fn purge_preview(node: &str, id: Option<u32>) -> String {
    format!(
        "then purge {} from the peer caches of {} (as crm_node -R does)",
        node_and_id(node, id),
        daemons(&PeerCache::ALL)
    )
}

/// The second half of `node delete` on the live cluster, once the node is gone from the CIB:
/// every daemon's peer cache is purged (`Cluster::purge_node`). Returns the line to report;
/// when a daemon failed, `Error::StepFailed` says which ones did and did not forget the node,
/// why, and how to finish (nothing is left half-done silently). Nothing to do on a file.
pub fn purge_peer_caches(
    cluster: &dyn Cluster,
    node: &str,
    id: Option<u32>,
) -> Result<Option<String>> {
    purge_report(node, id, &cluster.purge_node(node, id))
}

/// The report of [`purge_peer_caches`] from the daemons' outcomes (pure).
fn purge_report(node: &str, id: Option<u32>, purges: &[Purge]) -> Result<Option<String>> {
    if purges.is_empty() {
        return Ok(None);
    }
    let done: Vec<PeerCache> = purges
        .iter()
        .filter(|p| p.result.is_ok())
        .map(|p| p.cache)
        .collect();
    let failed: Vec<String> = purges
        .iter()
        .filter_map(|p| {
            p.result
                .as_ref()
                .err()
                .map(|e| format!("{}: {e}", p.cache.daemon()))
        })
        .collect();
    let who = node_and_id(node, id);
    if failed.is_empty() {
        return Ok(Some(format!(
            "Purged {who} from the peer caches of {}",
            daemons(&done)
        )));
    }
    Err(Error::StepFailed(format!(
        "{node} was deleted from the CIB, but not purged from every daemon's peer cache: {}; {}. When the daemons answer again, run `crm_node -R {node} --force` to purge them (the CIB part is done)",
        failed.join("; "),
        if done.is_empty() {
            "purged from none".to_string()
        } else {
            format!("purged from {}", daemons(&done))
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cib(nodes: &str) -> Cib {
        Cib::parse(&format!(
            r#"<cib><configuration><crm_config/><nodes>{nodes}</nodes><resources/><constraints/></configuration><status/></cib>"#
        ))
        .unwrap()
    }

    #[test]
    fn peer_ids_are_corosync_ids_only() {
        let c = cib(
            r#"<node id="3" uname="node3"/><node id="0" uname="zero"/><node id="8f1c-uuid" uname="old"/>"#,
        );
        assert_eq!(peer_id(&c, "node3"), Some(3));
        assert_eq!(peer_id(&c, "zero"), None);
        assert_eq!(peer_id(&c, "old"), None);
        assert_eq!(peer_id(&c, "missing"), None);
        assert_eq!(
            purge_preview("node3", Some(3)),
            "then purge node3 (id 3) from the peer caches of pacemaker-controld, pacemaker-attrd, pacemaker-fenced (as crm_node -R does)"
        );
    }

    #[test]
    fn purge_reports_say_what_was_and_was_not_done() {
        assert!(
            purge_report("node3", None, &[]).unwrap().is_none(),
            "a file"
        );
        let ok = |cache| Purge {
            cache,
            result: Ok(()),
        };
        let all: Vec<Purge> = PeerCache::ALL.into_iter().map(ok).collect();
        assert_eq!(
            purge_report("node3", Some(3), &all).unwrap().unwrap(),
            "Purged node3 (id 3) from the peer caches of pacemaker-controld, pacemaker-attrd, pacemaker-fenced"
        );
        let partial = [
            ok(PeerCache::Controller),
            ok(PeerCache::Attrd),
            Purge {
                cache: PeerCache::Fencer,
                result: Err(Error::Ipc(crate::ipc::IpcError::NotRunning {
                    service: "stonith-ng".into(),
                })),
            },
        ];
        let e = purge_report("node3", Some(3), &partial).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::ERROR);
        let text = e.to_string();
        assert!(
            text.starts_with("node3 was deleted from the CIB, but not purged from every daemon's peer cache: pacemaker-fenced: cannot connect to stonith-ng: connection refused"),
            "{text}"
        );
        assert!(
            text.contains("; purged from pacemaker-controld, pacemaker-attrd. When the daemons answer again, run `crm_node -R node3 --force`"),
            "{text}"
        );
        assert!(!text.contains('\n'));
    }
}
