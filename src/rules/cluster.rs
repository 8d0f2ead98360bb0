//! Cluster-wide rules (PG001-PG011): fencing, quorum, switches left on, unmanaged resources,
//! left-over move/ban constraints. Pure functions of the CIB.

use super::{fencing_enabled, member_nodes, pg_agent, placed, Finding, Input, Severity};
use crate::cib::{is_true, parse_score, Constraint, Resource, RuleTerm};

pub fn check(input: &Input, out: &mut Vec<Finding>) {
    let cib = input.cib;
    let nodes = member_nodes(cib);
    let has_pg = placed(cib).iter().any(|p| pg_agent(p.prim).is_some());
    let fencing_devices = placed(cib)
        .iter()
        .filter(|p| p.prim.class == "stonith")
        .count();
    let prop_fix = |name: &str, value: &str| {
        format!("crm_attribute --type crm_config --name {name} --update {value}")
    };

    // PG001 / PG002: fencing.
    if !fencing_enabled(cib) {
        let why = if has_pg {
            "without fencing, a node that stops responding may still run its PostgreSQL primary while the other node promotes: two primaries, diverged data"
        } else {
            "without fencing, the cluster cannot recover safely from a node that stops responding"
        };
        out.push(Finding::new(
            Severity::Warning,
            "PG001",
            "stonith-enabled",
            format!("Fencing is disabled (stonith-enabled=false): {why}."),
            format!(
                "Define a fencing device for every node (e.g. `pcs stonith create fence-node1 fence_ipmilan ...`), then `{}`.",
                prop_fix("stonith-enabled", "true")
            ),
        ));
    } else if fencing_devices == 0 {
        out.push(Finding::new(
            Severity::Error,
            "PG002",
            "stonith-enabled",
            "Fencing is enabled but no fencing device is defined: Pacemaker starts no resource at all.",
            "Define a fencing device for every node, e.g. `pcs stonith create fence-node1 fence_ipmilan ip=... pcmk_host_list=node1`.",
        ));
    }

    // PG003 / PG004: quorum.
    if cib.property("no-quorum-policy") == Some("ignore") {
        if nodes.len() > 2 {
            out.push(Finding::new(
                Severity::Error,
                "PG003",
                "no-quorum-policy",
                format!("no-quorum-policy=ignore on a {}-node cluster: a partition without quorum keeps running and promotes its own primary.", nodes.len()),
                format!("`{}` (the default), so only the quorate partition runs resources.", prop_fix("no-quorum-policy", "stop")),
            ));
        } else {
            out.push(Finding::new(
                Severity::Info,
                "PG004",
                "no-quorum-policy",
                "no-quorum-policy=ignore on a two-node cluster: corosync's two_node option keeps quorum when one node is lost, and only fencing makes either setting safe.",
                format!("Set `two_node: 1` in corosync.conf's quorum section and `{}`.", prop_fix("no-quorum-policy", "stop")),
            ));
        }
    }

    // PG005 / PG006: switches left on.
    if cib.property("maintenance-mode").is_some_and(is_true) {
        out.push(Finding::new(
            Severity::Warning,
            "PG005",
            "maintenance-mode",
            "maintenance-mode is on: Pacemaker neither monitors nor recovers any resource, so a failed primary is not failed over.",
            format!("When maintenance is over: `{}`.", prop_fix("maintenance-mode", "false")),
        ));
    }
    if cib.property("stop-all-resources").is_some_and(is_true) {
        out.push(Finding::new(
            Severity::Warning,
            "PG006",
            "stop-all-resources",
            "stop-all-resources is on: every resource is stopped.",
            format!("`{}`.", prop_fix("stop-all-resources", "false")),
        ));
    }

    // PG007: an opt-in cluster runs a resource only where a location constraint allows it.
    if cib
        .property("symmetric-cluster")
        .is_some_and(|v| !is_true(v))
    {
        for r in &cib.resources {
            if matches!(r, Resource::Primitive(p) if p.class == "stonith") {
                continue;
            }
            let mut names = vec![r.id()];
            if let Resource::Clone(c) = r {
                names.push(c.child.id());
            }
            if !allowed_somewhere(cib, &names) {
                out.push(Finding::new(
                    Severity::Warning,
                    "PG007",
                    r.id(),
                    format!("symmetric-cluster=false and no location constraint gives {} a positive score: it is allowed on no node and never starts.", r.id()),
                    format!("Allow it where it may run: `crm_resource --resource {} --move --node NODE` is temporary; add `pcs constraint location {} prefers NODE` for each node (or set symmetric-cluster=true).", r.id(), r.id()),
                ));
            }
        }
    }

    // PG008 / PG009: node switches.
    for n in &cib.nodes {
        if n.instance_attributes
            .get("maintenance")
            .is_some_and(is_true)
        {
            out.push(Finding::new(
                Severity::Warning,
                "PG008",
                &n.uname,
                format!("Node {} is in maintenance: its resources are neither monitored nor recovered.", n.uname),
                format!("`crm_attribute --node {} --name maintenance --delete` when maintenance is over.", n.uname),
            ));
        }
        if n.instance_attributes.get("standby").is_some_and(is_true) {
            out.push(Finding::new(
                Severity::Info,
                "PG009",
                &n.uname,
                format!("Node {} is in permanent standby: it runs no resource, so the cluster has one standby fewer.", n.uname),
                format!("`crm_standby --node {} --delete` (or `pgcrm node online {}`) when it may run resources again.", n.uname, n.uname),
            ));
        }
    }

    // PG010: resources left unmanaged, reported once on the object carrying the attribute.
    let mut seen = std::collections::BTreeSet::new();
    for p in placed(cib) {
        let mut holders = vec![(p.prim.id.as_str(), &p.prim.meta)];
        holders.extend(p.group.map(|g| (g.id.as_str(), &g.meta)));
        holders.extend(p.clone.map(|c| (c.id.as_str(), &c.meta)));
        holders.push(("rsc_defaults", &cib.rsc_defaults));
        for (holder, meta) in holders {
            for name in ["is-managed", "maintenance"] {
                let Some(value) = meta.get(name) else {
                    continue;
                };
                let unmanaged = if name == "is-managed" {
                    !is_true(value)
                } else {
                    is_true(value)
                };
                if !unmanaged || !seen.insert((holder, name)) {
                    continue;
                }
                out.push(Finding::new(
                    Severity::Warning,
                    "PG010",
                    holder,
                    format!("{holder} has {name}={value}: Pacemaker neither starts, stops nor recovers it."),
                    if holder == "rsc_defaults" {
                        format!("Remove it from rsc_defaults when done: `crm_attribute --type rsc_defaults --name {name} --delete`.")
                    } else {
                        format!("When done: `crm_resource --resource {holder} --meta --delete-parameter {name}`.")
                    },
                ));
            }
        }
    }

    // PG011: constraints left by `crm_resource --move/--ban` (pcs and crmsh write the same ids).
    for c in &cib.constraints {
        let Constraint::Location(l) = c else { continue };
        if !(l.id.starts_with("cli-ban-") || l.id.starts_with("cli-prefer-")) {
            continue;
        }
        let rsc = l.rsc.as_deref().unwrap_or("?");
        let expires = l.rules.iter().flat_map(|r| &r.terms).find_map(|t| match t {
            RuleTerm::Date { end, .. } => end.clone(),
            _ => None,
        });
        let what = if l.id.starts_with("cli-ban-") {
            format!("bans {rsc} from {}", l.node.as_deref().unwrap_or("a node"))
        } else {
            format!("pins {rsc} to {}", l.node.as_deref().unwrap_or("a node"))
        };
        out.push(Finding::new(
            Severity::Warning,
            "PG011",
            &l.id,
            match expires {
                Some(end) => format!("{} {what} until {end}, left over from a move or ban.", l.id),
                None => format!("{} {what} permanently, left over from a move or ban: failover cannot use that node as intended.", l.id),
            },
            format!("`crm_resource --clear --resource {rsc}` (or `crm_resource --clear --expired` for expired ones)."),
        ));
    }
}

/// Whether some location constraint gives one of `names` a positive score on some node.
fn allowed_somewhere(cib: &crate::cib::Cib, names: &[&str]) -> bool {
    cib.constraints.iter().any(|c| match c {
        Constraint::Location(l) => {
            let targets = l.rsc.iter().any(|r| names.contains(&r.as_str()))
                || l.sets
                    .iter()
                    .any(|s| s.resources.iter().any(|r| names.contains(&r.as_str())))
                || l.rsc_pattern.is_some();
            let positive = l.score.as_deref().map(parse_score).is_some_and(|s| s > 0)
                || l.rules.iter().any(|r| {
                    r.score.as_deref().map(parse_score).is_some_and(|s| s > 0)
                        || r.score_attribute.is_some()
                });
            targets && positive
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;

    #[test]
    fn pg001_fencing_disabled() {
        assert!(ids(&runbook()).contains(&"PG001"));
        assert!(!has("clean.xml", "PG001"));
    }

    #[test]
    fn pg002_no_fencing_device() {
        assert!(has("no-fencing-device.xml", "PG002"));
        assert!(!has("clean.xml", "PG002"));
        assert!(!ids(&runbook()).contains(&"PG002"));
    }

    #[test]
    fn pg003_pg004_quorum_ignored() {
        assert!(has("three-nodes-ignore-quorum.xml", "PG003"));
        assert!(ids(&runbook()).contains(&"PG004"));
        assert!(!has("clean.xml", "PG003"));
        assert!(!has("clean.xml", "PG004"));
    }

    #[test]
    fn pg005_to_pg010_switches_left_on() {
        for rule in ["PG005", "PG006", "PG007", "PG008", "PG009", "PG010"] {
            assert!(has("switches-left-on.xml", rule), "{rule}");
            assert!(!has("clean.xml", rule), "{rule}");
        }
    }

    #[test]
    fn pg011_stale_cli_constraints() {
        assert!(has("stale-cli-constraints.xml", "PG011"));
        assert!(!has("clean.xml", "PG011"));
    }
}
