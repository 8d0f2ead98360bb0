//! The `node-delete` drill, on the healthy lab: `pgcrm node delete` of a phantom node3 (known
//! to the CIB, with a `node_state`, and to attrd through a value set for it; it never joins,
//! so nothing else changes) against `crm_node -R node3 --force` on the same setup.
//!
//! pgcrm must leave what crm_node leaves (crm_mon's node list, no node3 anywhere in
//! `cibadmin -Q`, `attrd_updater -Q -A` without node3's value and with node1's), and the
//! daemons' logs on both nodes must show each purge arrive: the controllers and fencers
//! looked node3 up in their peer caches, attrd dropped node3's values.

use crate::{pgcrm_in, poll, secs, Lab, Res, PGCRM};
use std::time::{Duration, Instant};

const ATTR: &str = "pgcrm-drill-peer";

/// node3 in the CIB (nodes and status, as a node that left) and in attrd; node1 has a value
/// of the same attribute, which must survive the purge.
fn phantom(lab: &Lab) -> Res<()> {
    lab.exec(
        "node1",
        &[
            "cibadmin",
            "-C",
            "-o",
            "nodes",
            "-X",
            r#"<node id="3" uname="node3"/>"#,
        ],
    )?;
    lab.exec(
        "node1",
        &[
            "cibadmin",
            "-C",
            "-o",
            "status",
            "-X",
            r#"<node_state id="3" uname="node3" in_ccm="false" crmd="offline" join="down" expected="down"/>"#,
        ],
    )?;
    for node in ["node3", "node1"] {
        lab.exec(
            "node1",
            &["attrd_updater", "-N", node, "-n", ATTR, "-U", "1"],
        )?;
    }
    poll(
        Duration::from_secs(10),
        "node3 known to attrd and crm_mon",
        || {
            let attrd = attrd_values(lab);
            let mon = lab.exec("node1", &["crm_mon", "-1"]).unwrap_or_default();
            (attrd.contains(r#"host="node3""#)
                && attrd.contains(r#"host="node1""#)
                && mon.contains("OFFLINE: [ node3 ]"))
            .then_some(())
        },
    )
}

fn attrd_values(lab: &Lab) -> String {
    lab.exec("node1", &["attrd_updater", "-Q", "-A", "-n", ATTR])
        .unwrap_or_else(|e| e)
}

/// What a node delete leaves, as the stock tools show it: crm_mon's node count and node
/// list, whether `cibadmin -Q` still names node3, and attrd's values of the attribute.
fn observe(lab: &Lab) -> Res<String> {
    let mon = lab.exec("node1", &["crm_mon", "-1"])?;
    let mut nodes: Vec<&str> = mon
        .lines()
        .filter(|l| l.contains("nodes configured"))
        .collect();
    nodes.extend(
        mon.lines()
            .skip_while(|l| !l.starts_with("Node List:"))
            .take_while(|l| {
                !l.trim().is_empty() && !l.starts_with("Active") && !l.starts_with("Full")
            }),
    );
    let cib = lab.exec("node1", &["cibadmin", "-Q"])?;
    Ok(format!(
        "{}\ncibadmin -Q still has the phantom: {}\n{}",
        nodes.join("\n"),
        cib.contains("\"node3\""),
        attrd_values(lab).trim()
    ))
}

fn log_len(lab: &Lab, node: &str) -> usize {
    std::fs::read(log_path(lab, node))
        .map(|b| b.len())
        .unwrap_or(0)
}

fn log_path(lab: &Lab, node: &str) -> String {
    format!("{}/nodes/{node}/log-pacemaker/pacemaker.log", lab.root)
}

/// The pacemaker.log lines of `node` written after byte `from`.
fn log_since(lab: &Lab, node: &str, from: usize) -> String {
    let b = std::fs::read(log_path(lab, node)).unwrap_or_default();
    String::from_utf8_lossy(b.get(from..).unwrap_or_default()).into_owned()
}

pub fn drill_node_delete(lab: &Lab) -> Res<String> {
    phantom(lab)?;
    let (code, out, err) = pgcrm_in(lab, "node1", &["node", "delete", "node3", "--dry-run"])?;
    if code != 0
        || !out.contains("-      <node id=\"3\" uname=\"node3\"/>")
        || !out.contains("Dry run: then purge node3 (id 3) from the peer caches of pacemaker-controld, pacemaker-attrd, pacemaker-fenced")
    {
        return Err(format!("node delete --dry-run: exit {code}\n{out}{err}"));
    }
    if !lab
        .exec("node1", &["cibadmin", "-Q", "-o", "nodes"])?
        .contains("node3")
    {
        return Err("node delete --dry-run changed the CIB".into());
    }
    let marks: Vec<usize> = ["node1", "node2"].iter().map(|n| log_len(lab, n)).collect();
    let t0 = Instant::now();
    let (code, out, err) = pgcrm_in(lab, "node1", &["node", "delete", "node3"])?;
    let took = t0.elapsed();
    if code != 0
        || !out.contains("Deleting node node3 (id 3) from the nodes and status sections")
        || !out.contains("Purged node3 (id 3) from the peer caches of pacemaker-controld, pacemaker-attrd, pacemaker-fenced")
    {
        return Err(format!("node delete: exit {code}\n{out}{err}"));
    }
    // Each daemon on each node logs the purge it received (the local ones from pgcrm, the
    // other node's through the cluster).
    for (node, from) in ["node1", "node2"].iter().zip(&marks) {
        poll(
            Duration::from_secs(5),
            &format!("{node}'s daemons logging the purge"),
            || {
                let log = log_since(lab, node, *from);
                let seen = |daemon: &str, what: &str| {
                    log.lines().any(|l| l.contains(daemon) && l.contains(what))
                };
                (seen("pacemaker-controld", "uname=node3 ")
                    && seen("pacemaker-fenced", "uname=node3 ")
                    && seen("pacemaker-attrd", "Removing all node3 attributes"))
                .then_some(())
            },
        )
        .map_err(|e| format!("{e}:\n{}", log_since(lab, node, *from)))?;
    }
    let ours = poll(Duration::from_secs(5), "node3 gone from attrd", || {
        observe(lab).ok().filter(|o| !o.contains("node3"))
    })?;
    if !ours.contains("host=\"node1\"") {
        return Err(format!("after pgcrm node delete:\n{ours}"));
    }
    // A daemon that does not answer: the fencer stopped for the length of one call. The CIB
    // change and the other purges are done, and the command says so and how to finish.
    phantom(lab)?;
    let stopped = format!(
        "pid=$(pidof pacemaker-fenced) && kill -STOP $pid && trap 'kill -CONT $pid' EXIT && \
         {PGCRM} --timeout 1 node delete node3"
    );
    let o = lab
        .cmd(&["exec", "node1", "sh", "-c", &stopped])
        .output()
        .map_err(|e| format!("cannot run pgcrm-lab: {e}"))?;
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    let reported = err.lines().any(|l| {
        l.contains("node3 was deleted from the CIB, but not purged from every daemon's peer cache: pacemaker-fenced: stonith-ng ")
            && l.contains("; purged from pacemaker-controld, pacemaker-attrd. ")
            && l.contains("run `crm_node -R node3 --force`")
    });
    if o.status.code() != Some(1) || !reported || !out.contains("Deleting node node3") {
        return Err(format!(
            "node delete with the fencer stopped: {}\n{out}{err}",
            o.status
        ));
    }
    let partial = poll(Duration::from_secs(5), "node3 gone from attrd", || {
        observe(lab).ok().filter(|o| !o.contains("node3"))
    })?;
    if partial != ours {
        return Err(format!(
            "with the fencer stopped, pgcrm left\n{partial}\ninstead of\n{ours}"
        ));
    }
    // what the message says to do next (the fencer answers again)
    lab.exec("node1", &["crm_node", "-R", "node3", "--force"])?;
    let first_line = err
        .lines()
        .find(|l| l.contains("was deleted"))
        .unwrap_or("");
    // The same phantom, removed by Pacemaker's own tool.
    phantom(lab)?;
    let t0 = Instant::now();
    lab.exec("node1", &["crm_node", "-R", "node3", "--force"])?;
    let took_crm_node = t0.elapsed();
    let theirs = poll(Duration::from_secs(5), "crm_node's result", || {
        observe(lab).ok().filter(|o| !o.contains("node3"))
    })?;
    if ours != theirs {
        return Err(format!(
            "pgcrm node delete left\n{ours}\ncrm_node -R --force left\n{theirs}"
        ));
    }
    lab.exec("node1", &["attrd_updater", "-D", "-n", ATTR, "-N", "node1"])?;
    lab.mon("node1")?.check_healthy("node1", "node2")?;
    Ok(format!(
        "phantom node3 (CIB + attrd): pgcrm node delete {} (CIB change + controller, attrd, fencer purges, each seen in both nodes' logs), crm_node -R --force {}: same crm_mon node list, CIB and attrd values; fencer stopped: exit 1, `{}`",
        secs(took),
        secs(took_crm_node),
        first_line.trim()
    ))
}
