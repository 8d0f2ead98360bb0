//! corosync.conf rules (PG601-PG610): rings, nodes, two_node, multicast addresses shared
//! between clusters, authentication, totem timeouts, and agreement with the CIB.
//! The first corosync.conf of the input is this cluster's; the others only serve PG604.

use super::{member_nodes, Finding, Input, Severity};
use crate::corosync::{CorosyncConf, Section};
use std::collections::BTreeMap;

/// Multicast addresses from corosync's example files: clusters installed from them collide.
const EXAMPLE_MCAST: &[&str] = &["226.94.1.1", "239.255.1.1", "239.255.2.1"];

pub fn check(input: &Input, out: &mut Vec<Finding>) {
    let Some(conf) = input.corosync.first() else {
        return;
    };
    let mut push = |f: Finding| {
        out.push(Finding {
            file: Some(conf.path.clone()),
            ..f
        })
    };
    let empty = Section::default();
    let totem = conf.totem().unwrap_or(&empty);
    let interfaces: Vec<&Section> = totem.sections_named("interface").collect();

    // PG601: ring/link numbers.
    let mut numbers: BTreeMap<String, usize> = BTreeMap::new();
    for i in &interfaces {
        let n = i
            .get("ringnumber")
            .or(i.get("linknumber"))
            .unwrap_or("0")
            .to_string();
        *numbers.entry(n).or_default() += 1;
    }
    for (n, count) in numbers.iter().filter(|(_, c)| **c > 1) {
        push(Finding::new(
            Severity::Error,
            "PG601",
            format!("totem.interface[{n}]"),
            format!("{count} totem interface sections use ring/link number {n}: corosync refuses duplicate numbers."),
            "Number the interfaces 0, 1, ... (ringnumber for corosync 2, linknumber for corosync 3).",
        ));
    }

    // PG602: duplicate nodes.
    let nodes = conf.nodes();
    for key in ["nodeid", "name", "ring0_addr"] {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for n in &nodes {
            if let Some(v) = n.get(key) {
                *seen.entry(v).or_default() += 1;
            }
        }
        for (v, _) in seen.iter().filter(|(_, c)| **c > 1) {
            push(Finding::new(
                Severity::Error,
                "PG602",
                format!("nodelist.node[{key}={v}]"),
                format!("Two nodelist entries have {key} {v}: corosync cannot tell the nodes apart."),
                format!("Give every node its own {key} in the nodelist and copy corosync.conf to all nodes."),
            ));
        }
    }

    // PG603: two nodes need two_node under votequorum.
    let quorum = conf.root.section("quorum");
    let node_count = if nodes.is_empty() {
        member_nodes(input.cib).len()
    } else {
        nodes.len()
    };
    if let Some(q) = quorum {
        if q.get("provider") == Some("corosync_votequorum")
            && node_count == 2
            && q.get("two_node") != Some("1")
        {
            push(Finding::new(
                Severity::Warning,
                "PG603",
                "quorum",
                "A two-node cluster under votequorum without two_node: 1 loses quorum with either node, and then stops every resource (or, with no-quorum-policy=ignore, runs without any protection).",
                "Add `two_node: 1` to the quorum section (it implies wait_for_all) on both nodes and reload: `corosync-cfgtool -R`.",
            ));
        }
    }

    // PG604: multicast addresses.
    let transport = totem.get("transport").unwrap_or("udp");
    for i in &interfaces {
        let Some(addr) = i.get("mcastaddr") else {
            continue;
        };
        if transport != "udp" {
            continue;
        }
        let port = i.get("mcastport").unwrap_or("5405");
        let object = format!(
            "totem.interface[{}]",
            i.get("ringnumber").or(i.get("linknumber")).unwrap_or("0")
        );
        let shared: Vec<&str> = input.corosync[1..]
            .iter()
            .filter(|other| mcast_pairs(other).contains(&(addr.to_string(), port.to_string())))
            .map(|o| o.path.as_str())
            .collect();
        let message = if !shared.is_empty() {
            format!("Multicast address {addr} port {port} is also used by {}: the clusters receive each other's traffic ('Received message has invalid digest') and may merge.", shared.join(", "))
        } else if EXAMPLE_MCAST.contains(&addr) {
            format!("Multicast address {addr} is the one from corosync's example file: any other cluster installed from it on this network shares it ('Received message has invalid digest').")
        } else {
            continue;
        };
        push(Finding::new(
            Severity::Warning,
            "PG604",
            object,
            message,
            "Pick a multicast address unique to this cluster (e.g. 239.255.x.y with x.y from the cluster's id) and a distinct mcastport, or use transport udpu/knet.",
        ));
    }

    // PG605 / PG606: authentication.
    let crypto_keys = ["crypto_cipher", "crypto_hash"];
    let crypto = if crypto_keys.iter().any(|k| totem.get(k).is_some()) {
        Some(
            crypto_keys
                .iter()
                .all(|k| totem.get(k).is_some_and(|v| v != "none")),
        )
    } else if let Some(s) = totem.get("secauth") {
        Some(s == "on")
    } else if conf.root.get("compatibility") == Some("whitetank") {
        // corosync 1.x defaults secauth to on.
        Some(true)
    } else {
        Some(false)
    };
    match crypto {
        Some(false) => push(Finding::new(
            Severity::Warning,
            "PG605",
            "totem",
            "Cluster traffic is neither encrypted nor authenticated: any host on the network can inject messages or join the membership.",
            "Generate a key with `corosync-keygen`, copy /etc/corosync/authkey to every node, and set crypto_cipher: aes256 and crypto_hash: sha256 in totem.",
        )),
        Some(true) if conf.authkey_present == Some(false) => push(Finding::new(
            Severity::Error,
            "PG606",
            "totem",
            format!("Authentication is on but the key file {} does not exist: corosync does not start.", conf.keyfile().display()),
            "Run `corosync-keygen` on one node and copy /etc/corosync/authkey (mode 0400, owner root) to every node.",
        )),
        _ => {}
    }

    // PG607 / PG608: timeouts.
    let ms = |k: &str| totem.get(k).and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(token) = ms("token") {
        if token < 1000 {
            push(Finding::new(
                Severity::Warning,
                "PG607",
                "totem.token",
                format!("token is {token} ms: a short scheduling or network hiccup drops a node from the membership and triggers fencing or failover."),
                "Use at least corosync's default (token: 3000 in corosync 3, 1000 in corosync 2); raise it on virtual machines.",
            ));
        }
    }
    if let Some(consensus) = ms("consensus") {
        let token = ms("token").unwrap_or(1000);
        if consensus * 10 < token * 12 {
            push(Finding::new(
                Severity::Error,
                "PG608",
                "totem.consensus",
                format!("consensus is {consensus} ms but must be at least 1.2 x token ({} ms): corosync refuses the configuration.", token * 12 / 10),
                "Remove consensus (corosync derives it from token) or set it to at least 1.2 x token.",
            ));
        }
    }

    // PG609 / PG610: agreement with the CIB.
    if let (Some(a), Some(b)) = (
        totem.get("cluster_name"),
        input.cib.property("cluster-name"),
    ) {
        if a != b {
            push(Finding::new(
                Severity::Warning,
                "PG609",
                "totem.cluster_name",
                format!("corosync.conf names the cluster {a} but the CIB says {b}: this corosync.conf may belong to another cluster."),
                format!("Check the file; the CIB's name follows corosync's at the next start (`crm_attribute --type crm_config --name cluster-name --update {a}`)."),
            ));
        }
    }
    if !nodes.is_empty() {
        let coro: Vec<&str> = nodes
            .iter()
            .filter_map(|n| CorosyncConf::node_name(n))
            .collect();
        let cib_nodes = member_nodes(input.cib);
        for n in cib_nodes.iter().filter(|n| !coro.contains(n)) {
            push(Finding::new(
                Severity::Warning,
                "PG610",
                *n,
                format!("Node {n} is in the CIB but not in corosync's nodelist: it can never join, or the CIB keeps a node that was removed."),
                format!("Add it to the nodelist on every node, or remove it: `crm_node --force --remove {n}`."),
            ));
        }
        for n in coro.iter().filter(|n| !cib_nodes.contains(n)) {
            push(Finding::new(
                Severity::Warning,
                "PG610",
                *n,
                format!("Node {n} is in corosync's nodelist but not in the CIB: it has never joined (or joined under another name)."),
                format!("Start the cluster on {n} (`pcs cluster start {n}`), or remove it from the nodelist."),
            ));
        }
    }
}

fn mcast_pairs(c: &CorosyncConf) -> Vec<(String, String)> {
    c.totem()
        .map(|t| {
            t.sections_named("interface")
                .filter_map(|i| {
                    Some((
                        i.get("mcastaddr")?.to_string(),
                        i.get("mcastport").unwrap_or("5405").to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::{agents::Agents, check as check_all, Input};
    use crate::corosync::CorosyncConf;

    fn conf(name: &str) -> CorosyncConf {
        let mut c = CorosyncConf::parse(name, &read(&format!("corosync/{name}"))).unwrap();
        c.authkey_present = Some(!name.contains("nokey"));
        c
    }

    fn ids_with(cib_name: &str, confs: &[CorosyncConf]) -> Vec<&'static str> {
        let cib = cib(cib_name);
        let agents = Agents::builtin(&cib);
        let mut v: Vec<_> = check_all(&Input {
            cib: &cib,
            agents: &agents,
            corosync: confs,
            live: None,
        })
        .into_iter()
        .map(|f| f.rule)
        .collect();
        v.sort();
        v.dedup();
        v
    }

    const ALL: &[&str] = &[
        "PG503", "PG601", "PG602", "PG603", "PG604", "PG605", "PG606", "PG607", "PG608", "PG609",
        "PG610",
    ];

    #[test]
    fn the_clean_corosync_conf_passes() {
        let ids = ids_with("clean.xml", &[conf("clean.conf")]);
        for r in ALL {
            assert!(!ids.contains(r), "{r}: {ids:?}");
        }
    }

    #[test]
    fn a_bad_corosync_conf_triggers_every_rule() {
        let ids = ids_with("clean.xml", &[conf("bad.conf")]);
        for r in [
            "PG503", "PG601", "PG602", "PG603", "PG604", "PG605", "PG607", "PG608", "PG609",
            "PG610",
        ] {
            assert!(ids.contains(&r), "{r}: {ids:?}");
        }
        let ids = ids_with("clean.xml", &[conf("nokey.conf")]);
        assert!(ids.contains(&"PG606"), "{ids:?}");
    }

    /// The runbook's own failure: two clusters on one multicast address.
    #[test]
    fn pg604_two_clusters_share_a_multicast_address() {
        let ids = ids_with("clean.xml", &[conf("udp-a.conf"), conf("udp-b.conf")]);
        assert!(ids.contains(&"PG604"), "{ids:?}");
        let ids = ids_with("clean.xml", &[conf("udp-a.conf")]);
        assert!(!ids.contains(&"PG604"), "{ids:?}");
    }
}
