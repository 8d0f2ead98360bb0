//! PostgreSQL replication topology rules (PG401-PG419) for `ocf:heartbeat:pgsql`, pgcrm's
//! `ocf:pgcrm:pgsql` and PAF's `pgsqlms`, and the VIP address rules (PG501-PG503).
//! Pure functions of the CIB; what the agents validate is in anchors.md section D.

use super::{
    colocated, is_vip, member_nodes, ordered, pg_agent, placed, Finding, Input, PgAgent, Placed,
    Severity,
};
use crate::cib::{is_true, parse_score, Cib, Constraint, Role, Rule, RuleTerm};
use std::collections::BTreeSet;
use std::net::IpAddr;

pub fn check(input: &Input, out: &mut Vec<Finding>) {
    let cib = input.cib;
    let all = placed(cib);
    let vips: Vec<&Placed> = all.iter().filter(|p| is_vip(p.prim)).collect();
    let nodes = member_nodes(cib);
    for pg in all.iter().filter(|p| pg_agent(p.prim).is_some()) {
        topology(cib, pg, &vips, &nodes, out);
    }
    if all.iter().any(|p| pg_agent(p.prim).is_some()) {
        vip_roles(cib, &all, &vips, out);
    }
    attributes(cib, &all, out);
    addresses(input, &vips, out);
}

fn topology(cib: &Cib, pg: &Placed, vips: &[&Placed], nodes: &[&str], out: &mut Vec<Finding>) {
    let prim = pg.prim;
    let id = prim.id.as_str();
    let agent = pg_agent(prim).expect("a PostgreSQL primitive");
    let param = |n: &str| prim.params.get(n).map(str::trim).filter(|v| !v.is_empty());
    let rep_mode = param("rep_mode").unwrap_or("none");
    let replication = match agent {
        PgAgent::Pgsql => matches!(rep_mode, "async" | "sync"),
        PgAgent::Pgsqlms => true,
    };
    let clone_id = pg.clone.map(|c| c.id.as_str()).unwrap_or(id);
    let set_meta = |name: &str, value: &str| {
        format!("crm_resource --resource {clone_id} --meta --set-parameter {name} --parameter-value {value}")
    };

    // PG401-PG404: the clone the agent needs.
    if replication && !pg.promotable() {
        out.push(Finding::new(
            Severity::Error,
            "PG401",
            id,
            match agent {
                PgAgent::Pgsql => format!("{id} has rep_mode={rep_mode} but is not in a promotable clone: the agent refuses to start (validate-all)."),
                PgAgent::Pgsqlms => format!("{id} (PAF) is not in a promotable clone: the agent refuses to start."),
            },
            format!("Make it promotable: `pcs resource promotable {id} notify=true promoted-max=1 promoted-node-max=1`."),
        ));
    }
    if pg.promotable() {
        let clone = pg.clone.expect("promotable means cloned");
        if !clone.meta.get("notify").is_some_and(is_true) {
            out.push(Finding::new(
                Severity::Error,
                "PG402",
                &clone.id,
                format!("Promotable clone {} has no notify=true: the agent never learns of promotions and demotions (pgsql cannot switch sync/async or clear its lock; PAF refuses to start).", clone.id),
                format!("`{}`.", set_meta("notify", "true")),
            ));
        }
        let max = clone
            .meta
            .get("promoted-max")
            .or(clone.meta.get("master-max"))
            .and_then(|v| v.trim().parse::<i64>().ok())
            .unwrap_or(1);
        if max > 1 {
            out.push(Finding::new(
                Severity::Error,
                "PG403",
                &clone.id,
                format!("Clone {} allows {max} Promoted instances: PostgreSQL streaming replication has exactly one primary.", clone.id),
                format!("`{}`.", set_meta("promoted-max", "1")),
            ));
        }
    }
    if agent == PgAgent::Pgsql {
        if !matches!(rep_mode, "none" | "async" | "sync" | "slave") {
            out.push(Finding::new(
                Severity::Error,
                "PG404",
                id,
                format!("{id} has rep_mode={rep_mode}; the agent knows only none, async, sync and slave."),
                format!("`crm_resource --resource {id} --set-parameter rep_mode --parameter-value sync` (or async)."),
            ));
        } else if rep_mode == "slave" && pg.promotable() {
            out.push(Finding::new(
                Severity::Error,
                "PG404",
                id,
                format!("{id} has rep_mode=slave inside a promotable clone: the agent rejects that combination."),
                "Use rep_mode=sync or async for a promotable clone; rep_mode=slave is for a plain primitive following master_ip.".to_string(),
            ));
        }
    }
    if agent != PgAgent::Pgsql || !replication {
        if agent == PgAgent::Pgsql {
            secrets(prim, out);
        }
        return;
    }

    // PG405-PG407: node_list must name exactly the cluster's nodes (lower-cased by the agent).
    match param("node_list") {
        None => out.push(Finding::new(
            Severity::Error,
            "PG405",
            id,
            format!("{id} has rep_mode={rep_mode} but no node_list: the agent fails validation ('node_list can't be empty') and never starts."),
            format!("`crm_resource --resource {id} --set-parameter node_list --parameter-value \"{}\"`.", nodes.join(" ")),
        )),
        Some(list) => {
            let listed: BTreeSet<String> = list.split_whitespace().map(str::to_lowercase).collect();
            let cluster: BTreeSet<String> = nodes.iter().map(|n| n.to_lowercase()).collect();
            let fix = format!("`crm_resource --resource {id} --set-parameter node_list --parameter-value \"{}\"`.", nodes.join(" "));
            for n in listed.difference(&cluster) {
                out.push(Finding::new(
                    Severity::Error,
                    "PG406",
                    id,
                    format!("{id}'s node_list names {n}, which is not a node of this cluster: the agent waits for it and sets attributes for a node that does not exist."),
                    fix.clone(),
                ));
            }
            for n in cluster.difference(&listed) {
                out.push(Finding::new(
                    Severity::Warning,
                    "PG407",
                    id,
                    format!("Node {n} is not in {id}'s node_list: the primary never tracks its replication state, so it can never become a synchronous standby or be promoted safely."),
                    fix.clone(),
                ));
            }
        }
    }
    for n in nodes
        .iter()
        .filter(|n| n.chars().any(|c| c.is_ascii_uppercase()))
    {
        out.push(Finding::new(
            Severity::Warning,
            "PG419",
            *n,
            format!("Node name {n} has upper-case letters: the pgsql agent lower-cases node names, so the attributes it writes for this node and the standby's application_name do not match it."),
            "Rename the node in lower case (corosync.conf nodelist name and the CIB) before using the pgsql agent.".to_string(),
        ));
    }

    // PG408-PG410: master_ip and the replication VIP.
    match param("master_ip") {
        None => out.push(Finding::new(
            Severity::Error,
            "PG408",
            id,
            format!("{id} has rep_mode={rep_mode} but no master_ip: the agent fails validation; standbys need that address to reach the primary."),
            format!("`crm_resource --resource {id} --set-parameter master_ip --parameter-value ADDRESS` (the ip of the replication VIP)."),
        )),
        Some(ip) => match vips.iter().find(|v| v.prim.params.get("ip") == Some(ip)) {
            None => out.push(Finding::new(
                Severity::Error,
                "PG409",
                id,
                format!("{id}'s master_ip {ip} is not the ip of any VIP resource: standbys connect to an address no primary holds and never stream."),
                format!("Create the replication VIP: `pcs resource create vip-rep ocf:heartbeat:IPaddr2 ip={ip} cidr_netmask=24` and colocate it with the Promoted role, or correct master_ip."),
            )),
            Some(vip) => {
                if !colocated(cib, &vip.names(), &pg.names(), Some(Role::Promoted)) {
                    out.push(Finding::new(
                        Severity::Error,
                        "PG410",
                        &vip.prim.id,
                        format!("{} carries master_ip {ip} but is not colocated with the Promoted instance of {clone_id}: standbys may replicate from a node without the primary.", vip.prim.id),
                        format!("`pcs constraint colocation add {} with Promoted {clone_id} INFINITY`.", vip.top_id()),
                    ));
                }
            }
        },
    }

    // PG414-PG416: recovery settings and secrets.
    if param("restore_command").is_none() {
        out.push(Finding::new(
            Severity::Warning,
            "PG414",
            id,
            format!("{id} replicates without restore_command: a standby that falls behind further than the primary keeps WAL cannot catch up from the archive and must be rebuilt."),
            format!("`crm_resource --resource {id} --set-parameter restore_command --parameter-value \"cp /path/to/archive/%f %p\"` with archiving enabled on the primary."),
        ));
    }
    if let Some(slot) = param("replication_slot_name") {
        out.push(Finding::new(
            Severity::Warning,
            "PG415",
            id,
            format!("{id} uses replication slots ({slot}_<node>), which the agent never drops: while a standby is down its slot retains WAL until the primary's disk fills."),
            "Set max_slot_wal_keep_size (PostgreSQL 13+) and alert on pg_replication_slots; drop a dead node's slot with pg_drop_replication_slot().".to_string(),
        ));
    }
    secrets(prim, out);

    // PG417 / PG418: stickiness and migration-threshold.
    if let Some(s) = pg.meta(cib, "resource-stickiness") {
        if parse_score(s) <= 0 {
            out.push(Finding::new(
                Severity::Warning,
                "PG417",
                clone_id,
                format!("{clone_id} has resource-stickiness={s}: its instances and the VIPs that follow them move whenever scores change, each move an outage for a database."),
                format!("`{}` (or set it in rsc_defaults).", set_meta("resource-stickiness", "100")),
            ));
        }
    }
    let threshold = pg.meta(cib, "migration-threshold");
    if threshold.is_none_or(|t| t.trim() == "0" || parse_score(t) >= 1_000_000) {
        out.push(Finding::new(
            Severity::Info,
            "PG418",
            clone_id,
            format!("{clone_id} has no finite migration-threshold: a primary that keeps failing is restarted on the same node forever instead of failing over."),
            format!("`{}` (the runbook uses 1), with failure-timeout if failures should expire.", set_meta("migration-threshold", "1")),
        ));
    }
    let _ = vips;
}

/// PG416: a password in the CIB is readable by every member of haclient.
fn secrets(prim: &crate::cib::Primitive, out: &mut Vec<Finding>) {
    if prim
        .params
        .get("monitor_password")
        .is_some_and(|v| !v.is_empty())
    {
        out.push(Finding::new(
            Severity::Warning,
            "PG416",
            &prim.id,
            format!("{} stores monitor_password in the CIB, readable by every member of the haclient group and copied into every CIB backup and crm_report.", prim.id),
            format!("Put the password in ~postgres/.pgpass and `crm_resource --resource {} --delete-parameter monitor_password`.", prim.id),
        ));
    }
}

/// PG410 (role-less colocation), PG411, PG412: every VIP must follow a PostgreSQL role.
fn vip_roles(cib: &Cib, all: &[Placed], vips: &[&Placed], out: &mut Vec<Finding>) {
    let pgs: Vec<&Placed> = all.iter().filter(|p| pg_agent(p.prim).is_some()).collect();
    let pg_attrs: Vec<String> = pgs.iter().flat_map(|p| pg_attributes(&p.prim.id)).collect();
    let clone_hint = pgs
        .iter()
        .find(|p| p.promotable())
        .map(|p| p.top_id())
        .unwrap_or("CLONE");
    for vip in vips {
        let names = vip.names();
        let mut tied = false;
        for pg in pgs.iter().filter(|p| p.promotable()) {
            let clone = pg.top_id();
            let pg_names = pg.names();
            if colocated(cib, &names, &pg_names, Some(Role::Promoted)) {
                tied = true;
                if !ordered(cib, &pg_names, "promote", &names, "start") {
                    out.push(Finding::new(
                        Severity::Warning,
                        "PG411",
                        &vip.prim.id,
                        format!("{} follows the Promoted instance of {clone} but is not ordered after promote: it may come up before PostgreSQL accepts writes.", vip.prim.id),
                        format!("`pcs constraint order promote {clone} then start {} symmetrical=false kind=Optional` (and demote then stop likewise).", vip.top_id()),
                    ));
                }
            } else if colocated(cib, &names, &pg_names, Some(Role::Unpromoted)) {
                tied = true;
            } else if colocated(cib, &names, &pg_names, None) {
                tied = true;
                out.push(Finding::new(
                    Severity::Error,
                    "PG410",
                    &vip.prim.id,
                    format!("{} is colocated with {clone} without a role: it may run next to a standby, so writes reach a read-only server.", vip.prim.id),
                    format!("Colocate it with the role it serves: `pcs constraint colocation add {} with Promoted {clone} INFINITY`.", vip.top_id()),
                ));
            }
        }
        if !tied && location_rules_on(cib, &names, &pg_attrs) {
            tied = true;
        }
        if !tied {
            out.push(Finding::new(
                Severity::Warning,
                "PG412",
                &vip.prim.id,
                format!("{} is tied to no PostgreSQL role (no colocation with the Promoted or Unpromoted instances, no location rule on the agent's attributes): clients may reach a node without the primary.", vip.prim.id),
                format!("For the write VIP: `pcs constraint colocation add {} with Promoted {clone_hint} INFINITY`; for a read VIP, a location rule on the agent's <rsc>-status attribute.", vip.top_id()),
            ));
        }
    }
}

/// The node attributes the PostgreSQL agents write for resource `id`.
fn pg_attributes(id: &str) -> Vec<String> {
    vec![
        format!("{id}-status"),
        format!("{id}-data-status"),
        format!("master-{id}"),
        format!("{id}-xlog-loc"),
        format!("{id}-master-baseline"),
        format!("{id}-receiver-status"),
    ]
}

fn location_rules_on(cib: &Cib, names: &[&str], attrs: &[String]) -> bool {
    cib.constraints.iter().any(|c| match c {
        Constraint::Location(l) => {
            l.rsc.as_deref().is_some_and(|r| names.contains(&r))
                && l.rules
                    .iter()
                    .flat_map(rule_attributes)
                    .any(|a| attrs.contains(&a))
        }
        _ => false,
    })
}

fn rule_attributes(r: &Rule) -> Vec<String> {
    let mut out: Vec<String> = r.score_attribute.iter().cloned().collect();
    for t in &r.terms {
        match t {
            RuleTerm::Expression { attribute, .. } => out.push(attribute.clone()),
            RuleTerm::Rule(inner) => out.extend(rule_attributes(inner)),
            _ => {}
        }
    }
    out
}

/// PG413: location rules must use attributes something sets.
fn attributes(cib: &Cib, all: &[Placed], out: &mut Vec<Finding>) {
    let mut known: BTreeSet<String> = BTreeSet::new();
    for p in all {
        if pg_agent(p.prim).is_some() {
            known.extend(pg_attributes(&p.prim.id));
        }
        let t = p.prim.agent_type.as_str();
        if matches!(t, "ping" | "pingd") {
            known.insert(p.prim.params.get("name").unwrap_or("pingd").to_string());
        }
        if t == "attribute" || t == "ifspeed" {
            known.extend(p.prim.params.get("name").map(str::to_string));
        }
    }
    for n in &cib.nodes {
        known.extend(
            n.instance_attributes
                .effective()
                .keys()
                .map(|k| k.to_string()),
        );
    }
    for s in &cib.status {
        known.extend(
            s.transient_attributes
                .effective()
                .keys()
                .map(|k| k.to_string()),
        );
    }
    for c in &cib.constraints {
        let Constraint::Location(l) = c else { continue };
        let mut reported = BTreeSet::new();
        for a in l.rules.iter().flat_map(rule_attributes) {
            if a.starts_with('#') || known.contains(&a) || !reported.insert(a.clone()) {
                continue;
            }
            let hint = known
                .iter()
                .filter(|k| !k.starts_with('#'))
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            out.push(Finding::new(
                Severity::Warning,
                "PG413",
                &l.id,
                format!("{}'s rule uses node attribute {a}, which no resource agent of this cluster writes and no node has: the rule never matches as intended.", l.id),
                if hint.is_empty() {
                    "Use the attribute the agent really writes (ping: its name parameter; pgsql: <resource id>-status).".to_string()
                } else {
                    format!("Use one of the attributes the cluster sets ({hint}), or set the agent's name parameter to {a}.")
                },
            ));
        }
    }
}

/// PG501-PG503: VIP addresses.
fn addresses(input: &Input, vips: &[&Placed], out: &mut Vec<Finding>) {
    let mut seen: Vec<(IpAddr, &str)> = Vec::new();
    let ring_addrs: Vec<IpAddr> = input
        .corosync
        .first()
        .map(|c| c.node_addresses())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| a.parse().ok())
        .collect();
    for vip in vips {
        let id = vip.prim.id.as_str();
        let Some(raw) = vip.prim.params.get("ip") else {
            continue;
        };
        let Ok(ip) = raw.trim().parse::<IpAddr>() else {
            out.push(Finding::new(
                Severity::Error,
                "PG502",
                id,
                format!("{id} has ip={raw}, which is not an IP address: the agent fails to start."),
                format!(
                    "`crm_resource --resource {id} --set-parameter ip --parameter-value ADDRESS`."
                ),
            ));
            continue;
        };
        let max_prefix = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match vip.prim.params.get("cidr_netmask") {
            None => None,
            Some(m) => match m.trim().parse::<u8>() {
                Ok(p) if p <= max_prefix => Some(p),
                _ => {
                    out.push(Finding::new(
                        Severity::Error,
                        "PG502",
                        id,
                        format!("{id} has cidr_netmask={m}, not a prefix length between 0 and {max_prefix}."),
                        format!("`crm_resource --resource {id} --set-parameter cidr_netmask --parameter-value 24` (the length of the network's prefix)."),
                    ));
                    None
                }
            },
        };
        if let Some((_, other)) = seen.iter().find(|(a, _)| *a == ip) {
            out.push(Finding::new(
                Severity::Error,
                "PG501",
                id,
                format!("{id} and {other} both hold {ip}: whichever starts second takes the address away from the first."),
                format!("Give {id} its own address, or delete the duplicate: `pcs resource delete {id}`."),
            ));
        } else {
            seen.push((ip, id));
        }
        if let (Some(p), false) = (prefix, ring_addrs.is_empty()) {
            if !ring_addrs.iter().any(|a| same_network(*a, ip, p)) {
                out.push(Finding::new(
                    Severity::Info,
                    "PG503",
                    id,
                    format!("{id}'s network {ip}/{p} contains none of the cluster's corosync addresses: check that {} is on that network on every node.", vip.prim.params.get("nic").unwrap_or("its nic")),
                    "Set nic explicitly to the interface on that network, or correct ip/cidr_netmask.".to_string(),
                ));
            }
        }
    }
}

fn same_network(a: IpAddr, b: IpAddr, prefix: u8) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix as u32)
            };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix as u32)
            };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;

    #[test]
    fn pg401_to_pg404_clone_shape() {
        assert!(has("replication-not-promotable.xml", "PG401"));
        assert!(has("clone-no-notify.xml", "PG402"));
        assert!(has("clone-no-notify.xml", "PG403"));
        assert!(has("bad-rep-mode.xml", "PG404"));
        for r in ["PG401", "PG402", "PG403", "PG404"] {
            assert!(!has("clean.xml", r), "{r}");
            assert!(!ids(&runbook()).contains(&r), "{r}");
        }
    }

    #[test]
    fn pg405_to_pg407_node_list() {
        assert!(has("no-node-list-no-master-ip.xml", "PG405"));
        assert!(has("node-list-wrong.xml", "PG406"));
        assert!(has("node-list-wrong.xml", "PG407"));
        assert!(has("node-list-wrong.xml", "PG419"));
        for r in ["PG405", "PG406", "PG407", "PG419"] {
            assert!(!has("clean.xml", r), "{r}");
            assert!(!ids(&runbook()).contains(&r), "{r}");
        }
    }

    #[test]
    fn pg408_to_pg412_vips() {
        assert!(has("no-node-list-no-master-ip.xml", "PG408"));
        assert!(has("master-ip-no-vip.xml", "PG409"));
        assert!(has("vip-not-colocated.xml", "PG410"));
        assert!(has("vip-not-colocated.xml", "PG412"));
        assert!(has("vip-not-ordered.xml", "PG411"));
        for r in ["PG408", "PG409", "PG410", "PG411", "PG412"] {
            assert!(!has("clean.xml", r), "{r}");
            assert!(!ids(&runbook()).contains(&r), "{r}");
        }
    }

    #[test]
    fn pg413_rule_attributes() {
        assert!(has("wrong-attribute-names.xml", "PG413"));
        assert!(!has("clean.xml", "PG413"));
        assert!(!ids(&runbook()).contains(&"PG413"));
    }

    #[test]
    fn pg414_to_pg418_settings() {
        for r in ["PG414", "PG415", "PG416", "PG417", "PG418"] {
            assert!(has("risky-settings.xml", r), "{r}");
            assert!(!has("clean.xml", r), "{r}");
            assert!(!ids(&runbook()).contains(&r), "{r}");
        }
    }

    #[test]
    fn pg501_pg502_addresses() {
        assert!(has("vip-addresses.xml", "PG501"));
        assert!(has("vip-addresses.xml", "PG502"));
        assert!(!has("clean.xml", "PG501"));
        assert!(!has("clean.xml", "PG502"));
    }
}
