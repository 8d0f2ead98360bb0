//! `config init`: the runbook's whole cluster configuration (section 4.9's `pgsql.crm`) for
//! given nodes, addresses and paths, in Pacemaker 2.1 syntax with the agents' advised
//! timeouts, and optionally a matching corosync.conf. Pure text generation: nothing here
//! prompts or touches the cluster.

use std::fmt::Write as _;
use std::net::IpAddr;

/// Which resource agent manages PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    /// `ocf:heartbeat:pgsql` from resource-agents, as the runbook uses.
    Heartbeat,
    /// pgcrm's own `ocf:pgcrm:pgsql` (same parameters).
    Pgcrm,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitNode {
    pub name: String,
    /// The corosync ring address (the replication network in the runbook).
    pub addr: IpAddr,
}

/// Everything the runbook's configuration depends on.
#[derive(Debug, Clone)]
pub struct InitSpec {
    pub cluster_name: String,
    pub nodes: Vec<InitNode>,
    /// The writable VIP, on the primary (`vip-master`).
    pub write_vip: IpAddr,
    /// The read-only VIP, on a synchronous standby (`vip-slave`).
    pub read_vip: IpAddr,
    /// The replication VIP standbys connect to (`vip-rep`, the agent's `master_ip`).
    pub rep_vip: IpAddr,
    pub nic: String,
    pub rep_nic: String,
    pub netmask: u8,
    /// The address `ocf:pacemaker:ping` checks (the gateway).
    pub ping: IpAddr,
    pub pgdata: String,
    /// The directory holding pg_ctl and psql.
    pub bindir: String,
    /// `sync` or `async`.
    pub rep_mode: String,
    /// WAL archive directory for restore_command, if any.
    pub archive: Option<String>,
    /// More parameters of the PostgreSQL resource, e.g. `tmpdir` (after the ones above).
    pub params: Vec<(String, String)>,
    pub agent: Agent,
}

impl InitSpec {
    /// Why the answers cannot make a working cluster, as one line naming the fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.nodes.len() < 2 {
            return Err("give at least two nodes (--node NAME=ADDRESS, once per node)".into());
        }
        for (i, n) in self.nodes.iter().enumerate() {
            if n.name.is_empty()
                || !n
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
            {
                return Err(format!(
                    "node name '{}': use letters, digits, '-', '_' or '.'",
                    n.name
                ));
            }
            if self.nodes[..i]
                .iter()
                .any(|m| m.name == n.name || m.addr == n.addr)
            {
                return Err(format!(
                    "node '{}' ({}) is given twice: names and addresses must be unique",
                    n.name, n.addr
                ));
            }
        }
        let vips = [self.write_vip, self.read_vip, self.rep_vip];
        if vips[0] == vips[1] || vips[0] == vips[2] || vips[1] == vips[2] {
            return Err(
                "the write, read and replication VIPs must be three different addresses".into(),
            );
        }
        if let Some(n) = self.nodes.iter().find(|n| vips.contains(&n.addr)) {
            return Err(format!(
                "VIP {} is node {}'s own address: choose a free address",
                n.addr, n.name
            ));
        }
        let max = if self.write_vip.is_ipv4() { 32 } else { 128 };
        if self.netmask == 0 || self.netmask > max {
            return Err(format!(
                "netmask {}: give a prefix length between 1 and {max}",
                self.netmask
            ));
        }
        if !matches!(self.rep_mode.as_str(), "sync" | "async") {
            return Err(format!("rep_mode '{}': use sync or async", self.rep_mode));
        }
        for (what, p) in [("pgdata", &self.pgdata), ("bindir", &self.bindir)] {
            if !p.starts_with('/') {
                return Err(format!("{what} '{p}': give an absolute path"));
            }
        }
        const GIVEN: &[&str] = &[
            "pgctl",
            "psql",
            "pgdata",
            "rep_mode",
            "node_list",
            "master_ip",
            "primary_conninfo_opt",
            "stop_escalate",
            "restore_command",
        ];
        for (name, value) in &self.params {
            if value.contains('"') {
                return Err(format!("--pgsql-param {name}: a value cannot contain '\"'"));
            }
            if GIVEN.contains(&name.as_str()) {
                return Err(format!(
                    "--pgsql-param {name}: set by config init itself (use its own option, or edit the output)"
                ));
            }
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(format!(
                    "--pgsql-param '{name}': a parameter name is letters, digits, '_' or '-'"
                ));
            }
        }
        if self.cluster_name.is_empty() || self.cluster_name.contains(char::is_whitespace) {
            return Err("cluster name: give a name without spaces".into());
        }
        Ok(())
    }

    /// The crm configuration (load it with `pgcrm config load` or `crm configure load update`).
    pub fn crm(&self) -> String {
        // no-quorum-policy=stop, not the runbook's ignore: corosync's two_node (in the
        // generated corosync.conf) already keeps a two-node cluster quorate.
        let n = self.nodes.len();
        let names: Vec<&str> = self.nodes.iter().map(|n| n.name.as_str()).collect();
        let agent = match self.agent {
            Agent::Heartbeat => "ocf:heartbeat:pgsql",
            Agent::Pgcrm => "ocf:pgcrm:pgsql",
        };
        let standby_status = if self.rep_mode == "sync" {
            "HS:sync"
        } else {
            "HS:async"
        };
        let bindir = self.bindir.trim_end_matches('/');
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# pgcrm config init: PostgreSQL streaming replication ({}, {} nodes), the runbook's\n\
             # pgsql.crm in Pacemaker 2.1 syntax. Timeouts are at least the agents' advised ones.\n\
             # No fencing is configured: define a STONITH device and set stonith-enabled=true\n\
             # before production use.",
            self.rep_mode, n
        );
        for (i, node) in self.nodes.iter().enumerate() {
            let _ = writeln!(s, "node {}: {}", i + 1, node.name);
        }
        let vip = |s: &mut String,
                   id: &str,
                   ip: &IpAddr,
                   nic: &str,
                   meta: Option<&str>,
                   start_fail: &str| {
            let _ = write!(
                s,
                "primitive {id} ocf:heartbeat:IPaddr2 \\\n\tparams ip={ip} nic={nic} cidr_netmask={} \\\n",
                self.netmask
            );
            if let Some(m) = meta {
                let _ = writeln!(s, "\tmeta {m} \\");
            }
            let _ = writeln!(
                s,
                "\top start interval=0s timeout=20s on-fail={start_fail} \\\n\
                 \top monitor interval=10s timeout=20s on-fail=restart \\\n\
                 \top stop interval=0s timeout=20s on-fail=block"
            );
        };
        let _ = write!(
            s,
            "primitive pgsql {agent} \\\n\
             \tparams pgctl={bindir}/pg_ctl psql={bindir}/psql pgdata={pgdata} rep_mode={mode} \
             node_list=\"{nodes}\" master_ip={rep} primary_conninfo_opt=\"keepalives_idle=60 keepalives_interval=5 keepalives_count=5\" stop_escalate=0",
            pgdata = self.pgdata,
            mode = self.rep_mode,
            nodes = names.join(" "),
            rep = self.rep_vip,
        );
        if let Some(a) = &self.archive {
            let _ = write!(
                s,
                " restore_command=\"cp {}/%f %p\"",
                a.trim_end_matches('/')
            );
        }
        for (name, value) in &self.params {
            if value.is_empty() || value.contains(char::is_whitespace) {
                let _ = write!(s, " {name}=\"{value}\"");
            } else {
                let _ = write!(s, " {name}={value}");
            }
        }
        let _ = writeln!(
            s,
            " \\\n\
             \top start interval=0s timeout=120s on-fail=restart \\\n\
             \top monitor interval=7s timeout=60s on-fail=restart \\\n\
             \top monitor interval=2s timeout=60s on-fail=restart role=Promoted \\\n\
             \top promote interval=0s timeout=120s on-fail=restart \\\n\
             \top demote interval=0s timeout=120s on-fail=stop \\\n\
             \top stop interval=0s timeout=120s on-fail=block \\\n\
             \top notify interval=0s timeout=90s"
        );
        let _ = writeln!(
            s,
            "primitive pingCheck ocf:pacemaker:ping \\\n\
             \tparams name=default_ping_set host_list={} multiplier=100 \\\n\
             \top start interval=0s timeout=60s on-fail=restart \\\n\
             \top monitor interval=10s timeout=60s on-fail=restart \\\n\
             \top stop interval=0s timeout=20s on-fail=ignore",
            self.ping
        );
        vip(
            &mut s,
            "vip-master",
            &self.write_vip,
            &self.nic,
            None,
            "stop",
        );
        vip(
            &mut s,
            "vip-rep",
            &self.rep_vip,
            &self.rep_nic,
            Some("migration-threshold=0"),
            "restart",
        );
        vip(
            &mut s,
            "vip-slave",
            &self.read_vip,
            &self.nic,
            Some("resource-stickiness=1"),
            "restart",
        );
        let _ = writeln!(
            s,
            "group master-group vip-master vip-rep\n\
             clone clnPingCheck pingCheck\n\
             clone msPostgresql pgsql \\\n\
             \tmeta promotable=true promoted-max=1 promoted-node-max=1 clone-max={n} clone-node-max=1 notify=true\n\
             colocation rsc_colocation-1 inf: msPostgresql clnPingCheck\n\
             colocation rsc_colocation-2 inf: master-group msPostgresql:Promoted\n\
             location rsc_location-1 vip-slave \\\n\
             \trule 200: pgsql-status eq {standby_status} \\\n\
             \trule 100: pgsql-status eq PRI \\\n\
             \trule -inf: not_defined pgsql-status \\\n\
             \trule -inf: pgsql-status ne {standby_status} and pgsql-status ne PRI\n\
             location rsc_location-2 msPostgresql \\\n\
             \trule -inf: not_defined default_ping_set or default_ping_set number:lt 100\n\
             order rsc_order-1 Optional: clnPingCheck msPostgresql\n\
             order rsc_order-2 Optional: msPostgresql:promote master-group:start symmetrical=false\n\
             order rsc_order-3 Optional: msPostgresql:demote master-group:stop symmetrical=false\n\
             property cib-bootstrap-options: \\\n\
             \tcluster-name={} \\\n\
             \tno-quorum-policy=stop \\\n\
             \tstonith-enabled=false\n\
             rsc_defaults rsc-options: \\\n\
             \tresource-stickiness=INFINITY \\\n\
             \tmigration-threshold=1",
            self.cluster_name,
        );
        s
    }

    /// A corosync.conf (corosync 3, knet) for the same nodes.
    pub fn corosync(&self) -> String {
        let mut s = format!(
            "# pgcrm config init: corosync.conf for cluster {name}. Copy to /etc/corosync/ on every node.\n\
             totem {{\n\tversion: 2\n\tcluster_name: {name}\n\ttransport: knet\n\tcrypto_cipher: aes256\n\tcrypto_hash: sha256\n}}\n\n\
             logging {{\n\tfileline: off\n\tto_stderr: no\n\tto_logfile: yes\n\tlogfile: /var/log/corosync/corosync.log\n\tto_syslog: yes\n\ttimestamp: on\n}}\n\n\
             quorum {{\n\tprovider: corosync_votequorum\n",
            name = self.cluster_name
        );
        if self.nodes.len() == 2 {
            s.push_str("\ttwo_node: 1\n");
        }
        s.push_str("}\n\nnodelist {\n");
        for (i, n) in self.nodes.iter().enumerate() {
            let _ = write!(
                s,
                "\tnode {{\n\t\tname: {}\n\t\tnodeid: {}\n\t\tring0_addr: {}\n\t}}\n",
                n.name,
                i + 1,
                n.addr
            );
        }
        s.push_str("}\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cib::Element;
    use crate::crmsh::{apply, parse, Mode};

    pub fn spec() -> InitSpec {
        InitSpec {
            cluster_name: "pgcluster".into(),
            nodes: vec![
                InitNode {
                    name: "node1".into(),
                    addr: "192.168.1.1".parse().unwrap(),
                },
                InitNode {
                    name: "node2".into(),
                    addr: "192.168.1.2".parse().unwrap(),
                },
            ],
            write_vip: "192.168.100.213".parse().unwrap(),
            read_vip: "192.168.100.214".parse().unwrap(),
            rep_vip: "192.168.1.3".parse().unwrap(),
            nic: "eth0".into(),
            rep_nic: "eth2".into(),
            netmask: 24,
            ping: "192.168.100.1".parse().unwrap(),
            pgdata: "/opt/pgsql/data".into(),
            bindir: "/opt/pgsql/bin".into(),
            rep_mode: "sync".into(),
            archive: Some("/opt/archivelog".into()),
            params: vec![("tmpdir".into(), "/var/tmp/pg sql".into())],
            agent: Agent::Heartbeat,
        }
    }

    #[test]
    fn generated_configuration_parses_and_resolves() {
        let s = spec();
        s.validate().unwrap();
        let objs = parse(&s.crm(), "init").unwrap();
        let config = apply(&Element::new("configuration"), &objs, Mode::Replace, "init").unwrap();
        let pgsql = config.find_by_id("pgsql").unwrap();
        assert_eq!(pgsql.attr("type"), Some("pgsql"));
        assert!(config.find_by_id("pgsql-monitor-2s").unwrap().attr("role") == Some("Promoted"));
        assert!(s.corosync().contains("two_node: 1"));
    }

    #[test]
    fn rejects_bad_answers() {
        let mut s = spec();
        s.read_vip = s.write_vip;
        assert!(s.validate().unwrap_err().contains("three different"));
        let mut s = spec();
        s.nodes.truncate(1);
        assert!(s.validate().is_err());
        let mut s = spec();
        s.nodes[1].addr = s.rep_vip;
        assert!(s.validate().is_err());
    }
}
