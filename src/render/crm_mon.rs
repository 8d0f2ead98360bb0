//! crm_mon's text layout (Pacemaker 2.1.5, `crm_mon -1 [-A] [-f] [-r]`), line for line, so an
//! operator's eye needs no retraining: Cluster Summary, Node List, resources with groups and
//! clone sets collapsed, Node Attributes, Migration Summary, Failed Resource Actions.

use chrono::{DateTime, Local, TimeZone};
use pgcrm::cib::Role;
use pgcrm::state::{
    target_role_is, ClusterState, Failure, NodeKind, NodeStatus, ResourceKind, ResourceStatus,
};
use std::fmt::Write as _;

/// Which optional sections to print (crm_mon's -A, -f and -r).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sections {
    pub node_attributes: bool,
    pub fail_counts: bool,
    pub inactive: bool,
}

pub fn render(state: &ClusterState, sections: Sections, now: DateTime<Local>) -> String {
    // Sections are separated by one blank line; an empty optional section is left out.
    let mut blocks = vec![String::new(), String::new(), String::new()];
    summary(&mut blocks[0], state, now);
    node_list(&mut blocks[1], state);
    resources(&mut blocks[2], state, sections.inactive);
    if sections.node_attributes {
        blocks.push(node_attributes(state));
    }
    if sections.fail_counts {
        blocks.push(migration_summary(state));
    }
    blocks.push(failed_actions(&state.failures));
    blocks.retain(|b| !b.is_empty());
    blocks.join("\n")
}

/// Formats seconds since the epoch as ctime(3) does, in local time.
pub fn ctime(epoch: i64) -> String {
    match Local.timestamp_opt(epoch, 0).single() {
        Some(t) => t.format("%a %b %e %H:%M:%S %Y").to_string(),
        None => epoch.to_string(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn summary(out: &mut String, state: &ClusterState, now: DateTime<Local>) {
    let s = &state.summary;
    out.push_str("Cluster Summary:\n");
    let _ = writeln!(
        out,
        "  * Stack: {}",
        s.stack.as_deref().unwrap_or("unknown")
    );
    match &s.dc {
        Some(dc) => {
            let _ = writeln!(
                out,
                "  * Current DC: {} (version {}) - partition {} quorum",
                dc,
                s.dc_version.as_deref().unwrap_or("unknown"),
                if s.have_quorum { "with" } else { "WITHOUT" }
            );
        }
        None => out.push_str("  * Current DC: NONE\n"),
    }
    let _ = writeln!(
        out,
        "  * Last updated: {}",
        now.format("%a %b %e %H:%M:%S %Y")
    );
    {
        let mut line = format!(
            "  * Last change:  {}",
            s.last_change.as_deref().unwrap_or("")
        );
        if let Some(user) = s.last_change_user.as_deref().filter(|u| !u.is_empty()) {
            let _ = write!(line, " by {user}");
        }
        if let Some(client) = s.last_change_client.as_deref().filter(|c| !c.is_empty()) {
            let _ = write!(line, " via {client}");
        }
        if let Some(origin) = s.last_change_origin.as_deref().filter(|o| !o.is_empty()) {
            let _ = write!(line, " on {origin}");
        }
        out.push_str(&line);
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "  * {} node{} configured",
        s.nodes_configured,
        plural(s.nodes_configured)
    );
    let n = s.resource_instances_configured;
    let _ = write!(out, "  * {} resource instance{} configured", n, plural(n));
    match (s.resources_disabled, s.resources_blocked) {
        (0, 0) => {}
        (d, 0) => {
            let _ = write!(out, " ({d} DISABLED)");
        }
        (0, b) => {
            let _ = write!(out, " ({b} BLOCKED from further action due to failure)");
        }
        (d, b) => {
            let _ = write!(
                out,
                " ({d} DISABLED, {b} BLOCKED from further action due to failure)"
            );
        }
    }
    out.push('\n');
    if s.maintenance_mode {
        out.push_str("\n              *** Resource management is DISABLED ***\n");
        out.push_str("  The cluster will not attempt to start, stop or recover services\n");
    } else if s.stop_all_resources {
        out.push_str("\n    *** Resource management is DISABLED ***\n");
        out.push_str("  The cluster will keep all resources stopped\n");
    }
}

/// crm_mon's word for a node's state.
fn node_mode(n: &NodeStatus) -> &'static str {
    if n.unclean {
        if n.online {
            "UNCLEAN (online)"
        } else if n.pending {
            "UNCLEAN (pending)"
        } else {
            "UNCLEAN (offline)"
        }
    } else if n.pending {
        "pending"
    } else if n.standby_onfail && n.online {
        "standby (on-fail)"
    } else if n.standby {
        if n.online {
            if n.resources_running > 0 {
                "standby (with active resources)"
            } else {
                "standby"
            }
        } else {
            "OFFLINE (standby)"
        }
    } else if n.maintenance {
        if n.online {
            "maintenance"
        } else {
            "OFFLINE (maintenance)"
        }
    } else if n.online {
        "online"
    } else {
        "OFFLINE"
    }
}

fn sorted_nodes(state: &ClusterState) -> Vec<&NodeStatus> {
    let mut nodes: Vec<&NodeStatus> = state.nodes.iter().collect();
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    nodes
}

fn node_list(out: &mut String, state: &ClusterState) {
    out.push_str("Node List:\n");
    let mut lists: [(&str, Vec<&str>); 5] = [
        ("Online", vec![]),
        ("OFFLINE", vec![]),
        ("RemoteOnline", vec![]),
        ("RemoteOFFLINE", vec![]),
        ("GuestOnline", vec![]),
    ];
    for n in sorted_nodes(state) {
        let mode = node_mode(n);
        let base = match n.kind {
            NodeKind::Member => 0,
            NodeKind::Remote => 2,
            NodeKind::Guest => 4,
        };
        // Guests come and go with their containers; crm_mon does not list them offline.
        if n.kind == NodeKind::Guest && !n.online {
            continue;
        }
        match mode {
            "online" => lists[base].1.push(&n.name),
            "OFFLINE" => lists[base + 1].1.push(&n.name),
            _ => {
                let word = match n.kind {
                    NodeKind::Member => "Node",
                    NodeKind::Remote => "RemoteNode",
                    NodeKind::Guest => "GuestNode",
                };
                let _ = writeln!(out, "  * {word} {}: {mode}", n.name);
            }
        }
    }
    for (label, names) in lists {
        if !names.is_empty() {
            let _ = writeln!(out, "  * {label}: [ {} ]", names.join(" "));
        }
    }
}

/// The resource list alone, inactive resources included, as `crm_resource --list` prints it.
pub fn resource_list(state: &ClusterState) -> String {
    let mut body = String::new();
    for r in &state.resources {
        resource(&mut body, state, r, 1, true);
    }
    if body.is_empty() {
        body.push_str("NO resources configured\n");
    }
    body
}

fn resources(out: &mut String, state: &ClusterState, inactive: bool) {
    out.push_str(if inactive {
        "Full List of Resources:\n"
    } else {
        "Active Resources:\n"
    });
    let mut body = String::new();
    for r in &state.resources {
        resource(&mut body, state, r, 1, inactive);
    }
    if body.is_empty() {
        out.push_str(if inactive {
            "  * No resources\n"
        } else {
            "  * No active resources\n"
        });
    } else {
        out.push_str(&body);
    }
}

fn indent(depth: usize) -> String {
    "  ".repeat(depth)
}

fn is_active(r: &ResourceStatus) -> bool {
    match r.kind {
        ResourceKind::Primitive => r.active == Some(true),
        _ => r.children.iter().any(is_active),
    }
}

fn resource(
    out: &mut String,
    state: &ClusterState,
    r: &ResourceStatus,
    depth: usize,
    inactive: bool,
) {
    resource_in(out, state, r, depth, inactive, false)
}

fn resource_in(
    out: &mut String,
    state: &ClusterState,
    r: &ResourceStatus,
    depth: usize,
    inactive: bool,
    unique: bool,
) {
    if !inactive && !is_active(r) {
        return;
    }
    match r.kind {
        ResourceKind::Primitive => {
            let _ = writeln!(
                out,
                "{}* {}",
                indent(depth),
                primitive_line(r, &display_id(r, unique), true)
            );
        }
        ResourceKind::Group => {
            let _ = writeln!(
                out,
                "{}* Resource Group: {}{}:",
                indent(depth),
                display_id(r, unique),
                flags(container_flags(r, false))
            );
            for c in &r.children {
                resource_in(out, state, c, depth + 1, inactive, unique);
            }
        }
        ResourceKind::Clone => clone(out, state, r, depth, inactive),
        ResourceKind::Bundle => {
            let set = if r.children.len() > 1 { " set" } else { "" };
            let image = r
                .image
                .as_deref()
                .map(|i| format!(" [{i}]"))
                .unwrap_or_default();
            let mut words = Vec::new();
            if r.unique == Some(true) {
                words.push("unique".to_string());
            }
            if !r.managed {
                words.push("unmanaged".to_string());
            }
            let _ = writeln!(
                out,
                "{}* Container bundle{set}: {}{image}{}:",
                indent(depth),
                r.id,
                flags(words)
            );
            for c in &r.children {
                resource(out, state, c, depth + 1, inactive);
            }
        }
        ResourceKind::Replica => {
            let _ = writeln!(out, "{}* {}", indent(depth), replica_line(r));
        }
    }
}

/// A bundle replica on one line: `name (ip)\t(agent):\t state host`, where the state is the
/// containerised resource's and the host is where the container runs.
fn replica_line(r: &ResourceStatus) -> String {
    let is_container = |c: &&ResourceStatus| {
        c.agent.as_deref().is_some_and(|a| {
            matches!(
                a,
                "ocf:heartbeat:docker" | "ocf:heartbeat:podman" | "ocf:heartbeat:rkt"
            )
        })
    };
    let ip_prefix = format!(
        "{}-ip-",
        r.id.rsplit_once('-').map_or(r.id.as_str(), |(b, _)| b)
    );
    let ip = r
        .children
        .iter()
        .find_map(|c| c.id.strip_prefix(ip_prefix.as_str()));
    let container = r.children.iter().find(is_container);
    let inner = r.children.iter().find(|c| {
        !is_container(c)
            && !c.id.starts_with(ip_prefix.as_str())
            && c.agent.as_deref() != Some("ocf:pacemaker:remote")
    });
    let name = match ip {
        Some(ip) => format!("{} ({ip})", r.id),
        None => r.id.clone(),
    };
    let Some(shown) = inner.or(container) else {
        return name;
    };
    let mut shown = shown.clone();
    if let Some(c) = container {
        shown.nodes = c.nodes.clone();
    }
    primitive_line(&shown, &name, true)
}

/// Anonymous clone instances are printed under their configured id, as crm_mon does;
/// instances of unique clones keep their number.
fn display_id(r: &ResourceStatus, unique: bool) -> String {
    match &r.base_id {
        Some(base) if !unique => base.clone(),
        _ => r.id.clone(),
    }
}

fn flags(words: Vec<String>) -> String {
    if words.is_empty() {
        String::new()
    } else {
        format!(" ({})", words.join(", "))
    }
}

fn container_flags(r: &ResourceStatus, with_kind: bool) -> Vec<String> {
    let mut words = Vec::new();
    if with_kind {
        if r.promotable == Some(true) {
            words.push("promotable".to_string());
        }
        if r.unique == Some(true) {
            words.push("unique".to_string());
        }
    }
    // Pacemaker 2.1.5's order: unmanaged before disabled.
    if !r.managed {
        words.push("unmanaged".to_string());
    }
    if r.disabled {
        words.push("disabled".to_string());
    }
    words
}

/// A clone's target-role as crm_mon reads it: the clone's own, else its first instance's.
fn configured_role(r: &ResourceStatus) -> Option<&str> {
    r.target_role
        .as_deref()
        .or_else(|| r.children.first().and_then(|c| c.target_role.as_deref()))
}

/// The role crm_mon prints: promotable clone instances that are merely started are Unpromoted.
fn shown_role(r: &ResourceStatus) -> Role {
    r.role.unwrap_or(Role::Stopped)
}

fn pending_word(task: &str) -> Option<&'static str> {
    Some(match task {
        "start" => "Starting",
        "stop" => "Stopping",
        "migrate_to" | "migrate_from" => "Migrating",
        "promote" => "Promoting",
        "demote" => "Demoting",
        _ => return None,
    })
}

/// `id\t(agent):\t Started node1 (flags)`, as crm_mon prints one primitive.
fn primitive_line(r: &ResourceStatus, id: &str, with_nodes: bool) -> String {
    let mut line = format!("{id}\t({}):\t", r.agent.as_deref().unwrap_or(""));
    let role = shown_role(r);
    if r.orphaned == Some(true) {
        line.push_str(" ORPHANED");
    }
    if r.failed == Some(true) {
        line.push_str(" FAILED");
        if role > Role::Unpromoted {
            let _ = write!(line, " {}", role.as_str());
        }
    } else {
        let word = r
            .pending
            .as_deref()
            .and_then(pending_word)
            .unwrap_or(role.as_str());
        let _ = write!(line, " {word}");
    }
    let nodes = r.nodes.as_deref().unwrap_or(&[]);
    if with_nodes && nodes.len() == 1 {
        let _ = write!(line, " {}", nodes[0]);
    }
    let mut words = Vec::new();
    if r.pending.as_deref() == Some("monitor") {
        words.push("Monitoring".to_string());
    }
    // crm_mon words a disabled instance by its target-role: Stopped is "disabled", Unpromoted
    // in a promotable clone names the role.
    if target_role_is(r.target_role.as_deref(), Role::Stopped) {
        words.push("disabled".to_string());
    } else if r.disabled {
        words.push(format!(
            "target-role:{}",
            r.target_role.as_deref().unwrap_or("")
        ));
    }
    if r.blocked == Some(true) {
        words.push("blocked".to_string());
    } else if !r.managed {
        words.push("unmanaged".to_string());
    }
    if r.failure_ignored == Some(true) {
        words.push("failure ignored".to_string());
    }
    line.push_str(&flags(words));
    if with_nodes && nodes.len() > 1 {
        let _ = write!(line, " [ {} ]", nodes.join(" "));
    }
    line
}

fn clone(out: &mut String, state: &ClusterState, r: &ResourceStatus, depth: usize, inactive: bool) {
    let child_id = r
        .children
        .first()
        .map(|c| display_id(c, false))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{}* Clone Set: {} [{}]{}:",
        indent(depth),
        r.id,
        child_id,
        flags(container_flags(r, true))
    );
    let promotable = r.promotable == Some(true);
    let mut promoted = Vec::new();
    let mut unpromoted = Vec::new();
    let mut started = Vec::new();
    let mut running_on: Vec<&str> = Vec::new();
    for inst in &r.children {
        let prims: Vec<&ResourceStatus> = match inst.kind {
            ResourceKind::Primitive => vec![inst],
            _ => inst.children.iter().collect(),
        };
        let active: Vec<&&ResourceStatus> =
            prims.iter().filter(|p| p.active == Some(true)).collect();
        if active.is_empty() {
            continue;
        }
        let nodes: Vec<&str> = active
            .iter()
            .flat_map(|p| p.nodes.as_deref().unwrap_or(&[]))
            .map(String::as_str)
            .collect();
        running_on.extend(nodes.iter().copied());
        let troubled = prims.iter().any(|p| {
            p.failed == Some(true) || p.orphaned == Some(true) || !p.managed || p.pending.is_some()
        });
        let whole = active.len() == prims.len();
        let single_node = nodes.iter().all(|n| *n == nodes[0]);
        let node_unclean = state.node(nodes[0]).is_some_and(|n| n.unclean && !n.online);
        if troubled || !whole || !single_node || node_unclean || r.unique == Some(true) {
            resource_in(
                out,
                state,
                inst,
                depth + 1,
                inactive,
                r.unique == Some(true),
            );
            continue;
        }
        let role = prims
            .iter()
            .map(|p| shown_role(p))
            .max()
            .unwrap_or(Role::Stopped);
        match role {
            Role::Promoted => promoted.push(nodes[0]),
            Role::Unpromoted if promotable => unpromoted.push(nodes[0]),
            _ => started.push(nodes[0]),
        }
    }
    let unpromoted_label = if target_role_is(configured_role(r), Role::Unpromoted) {
        "Unpromoted (target-role)"
    } else {
        "Unpromoted"
    };
    for (label, mut list) in [
        ("Promoted", promoted),
        (unpromoted_label, unpromoted),
        ("Started", started),
    ] {
        if !list.is_empty() {
            list.sort();
            let _ = writeln!(
                out,
                "{}* {label}: [ {} ]",
                indent(depth + 1),
                list.join(" ")
            );
        }
    }
    if inactive {
        let active_count = r.children.iter().filter(|c| is_active(c)).count();
        let clone_max = r.children.len();
        if r.unique == Some(true) {
            for inst in r.children.iter().filter(|c| !is_active(c)) {
                resource_in(out, state, inst, depth + 1, inactive, true);
            }
        } else if active_count < clone_max {
            let mut stopped: Vec<&str> = state
                .nodes
                .iter()
                .filter(|n| n.kind == NodeKind::Member && !running_on.contains(&n.name.as_str()))
                .map(|n| n.name.as_str())
                .collect();
            stopped.sort();
            if !stopped.is_empty() {
                let label = if target_role_is(configured_role(r), Role::Stopped) {
                    "Stopped (disabled)"
                } else {
                    "Stopped"
                };
                let _ = writeln!(
                    out,
                    "{}* {label}: [ {} ]",
                    indent(depth + 1),
                    stopped.join(" ")
                );
            }
        }
    }
}

fn node_attributes(state: &ClusterState) -> String {
    let mut out = String::new();
    for n in sorted_nodes(state) {
        if !n.online || n.attributes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  * Node: {}:", n.name);
        for (name, value) in &n.attributes {
            let _ = writeln!(out, "    * {name:<32}\t: {value:<10}");
        }
    }
    with_header("Node Attributes:\n", out)
}

/// A section's header and body, or nothing when the body is empty.
fn with_header(header: &str, body: String) -> String {
    if body.is_empty() {
        body
    } else {
        format!("{header}{body}")
    }
}

fn migration_summary(state: &ClusterState) -> String {
    let mut out = String::new();
    let mut nodes: Vec<&str> = state.fail_counts.iter().map(|f| f.node.as_str()).collect();
    nodes.sort();
    nodes.dedup();
    for node in nodes {
        let _ = writeln!(out, "  * Node: {node}:");
        for f in state.fail_counts.iter().filter(|f| f.node == node) {
            let mut line = format!(
                "    * {}: migration-threshold={} fail-count={}",
                f.resource, f.migration_threshold.0, f.count.0
            );
            if let Some(t) = f.last_failure {
                let _ = write!(line, " last-failure='{}'", ctime(t));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    // crm_mon prints this header even when no resource has failed.
    format!("Migration Summary:\n{out}")
}

/// Pacemaker's readable interval: 10000 → "10s", 90000 → "1m30s", 500 → "500ms".
pub fn readable_interval(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let (days, rest) = (ms / 86_400_000, ms % 86_400_000);
    let (hours, rest) = (rest / 3_600_000, rest % 3_600_000);
    let (mins, rest) = (rest / 60_000, rest % 60_000);
    let (secs, millis) = (rest / 1000, rest % 1000);
    for (v, unit) in [(days, "d"), (hours, "h"), (mins, "m")] {
        if v > 0 {
            let _ = write!(out, "{v}{unit}");
        }
    }
    if secs > 0 || (millis > 0 && ms >= 1000) {
        if millis > 0 {
            let frac = format!("{millis:03}");
            let _ = write!(out, "{secs}.{}s", frac.trim_end_matches('0'));
        } else {
            let _ = write!(out, "{secs}s");
        }
    } else if millis > 0 {
        let _ = write!(out, "{millis}ms");
    }
    out
}

fn failure_line(f: &Failure) -> String {
    let mut line = format!("{} ", f.resource);
    if f.interval_ms != 0 {
        let _ = write!(line, "{}-interval ", readable_interval(f.interval_ms));
    }
    let task = if f.operation == "monitor" && f.interval_ms == 0 {
        "probe"
    } else {
        f.operation.as_str()
    };
    let _ = write!(line, "{task} on {}", f.node);
    if f.status == "complete" {
        let _ = write!(line, " returned '{}'", f.rc_text);
        if let Some(reason) = &f.exit_reason {
            let _ = write!(line, " ({reason})");
        }
    } else {
        let _ = write!(line, " could not be executed ({}", f.status);
        if let Some(reason) = &f.exit_reason {
            let _ = write!(line, ": {reason}");
        }
        line.push(')');
    }
    if let Some(t) = f.last_rc_change {
        let _ = write!(line, " at {}", ctime(t));
    }
    if let Some(ms) = f.exec_time_ms.filter(|ms| *ms > 0) {
        let _ = write!(line, " after {}", readable_interval(ms));
    }
    line
}

fn failed_actions(failures: &[Failure]) -> String {
    let mut out = String::new();
    for f in failures {
        let _ = writeln!(out, "  * {}", failure_line(f));
    }
    with_header("Failed Resource Actions:\n", out)
}

#[cfg(test)]
mod tests {
    use super::readable_interval;

    #[test]
    fn intervals() {
        assert_eq!(readable_interval(10_000), "10s");
        assert_eq!(readable_interval(90_000), "1m30s");
        assert_eq!(readable_interval(500), "500ms");
        assert_eq!(readable_interval(1500), "1.5s");
        assert_eq!(readable_interval(3_600_000), "1h");
    }
}
