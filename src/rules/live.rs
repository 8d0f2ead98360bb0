//! The live rules of `verify --live` (PG701-PG710): what each node's PostgreSQL server runs
//! with, and the agent's lock file on the node pgcrm runs on, compared with what the CIB's
//! PostgreSQL resource needs.
//!
//! Pure functions of the CIB and the typed facts (`LiveFacts`) that `ops::verify` gathered;
//! nothing here connects, reads a file or prints.

use super::{member_nodes, pg_agent, placed, Finding, Input, PgAgent, Placed, Severity};
use crate::cib::Role;
use crate::pg::settings::PgSettings;
use serde::Serialize;
use std::path::Path;

/// The agent's default `tmpdir` (resource-agents' pgsql and pgcrm's agent alike).
pub const DEFAULT_TMPDIR: &str = "/var/lib/pgsql/tmp";

/// What was found on the live nodes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LiveFacts {
    /// The PostgreSQL primitive checked.
    pub resource: String,
    /// The node pgcrm ran on: the only one whose lock file it can read.
    pub local_node: Option<String>,
    /// One entry per node that may run PostgreSQL, in the cluster's order.
    pub nodes: Vec<LiveNode>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveNode {
    pub node: String,
    /// The role Pacemaker gives the PostgreSQL instance on this node.
    pub role: Role,
    /// Where pgcrm connected (no credentials), when it tried.
    pub target: Option<String>,
    /// The server's settings; None when not reached (`error` says why).
    pub settings: Option<PgSettings>,
    pub error: Option<String>,
    /// The agent's `PGSQL.lock` in `tmpdir`.
    pub lock_file: LockFile,
}

/// Whether the agent's lock file exists; only the local node's can be seen.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LockFile {
    Present {
        path: String,
    },
    Absent {
        path: String,
    },
    /// Not this node, not the pgsql agent, or the directory is unreadable: `reason`.
    NotChecked {
        reason: String,
    },
}

/// The PostgreSQL resource the live rules look at: the first one the CIB has.
pub fn pg_resource<'a>(placed: &'a [Placed<'a>]) -> Option<&'a Placed<'a>> {
    placed.iter().find(|p| pg_agent(p.prim).is_some())
}

/// `tmpdir` as the agent resolves it.
pub fn tmpdir(pg: &Placed) -> String {
    pg.prim
        .params
        .get("tmpdir")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(DEFAULT_TMPDIR)
        .to_string()
}

pub fn check(input: &Input, live: &LiveFacts, out: &mut Vec<Finding>) {
    let all = placed(input.cib);
    let Some(pg) = all.iter().find(|p| p.prim.id == live.resource) else {
        return;
    };
    let prim = pg.prim;
    let id = prim.id.as_str();
    let agent = pg_agent(prim).expect("a PostgreSQL primitive");
    let param = |n: &str| prim.params.get(n).map(str::trim).filter(|v| !v.is_empty());
    let rep_mode = param("rep_mode").unwrap_or("none");
    let replication = match agent {
        PgAgent::Pgsql => matches!(rep_mode, "async" | "sync"),
        PgAgent::Pgsqlms => true,
    };
    // the agent's own list of the nodes it replicates between, else the cluster's members
    let node_count = param("node_list")
        .map(|l| l.split_whitespace().count())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| member_nodes(input.cib).len());
    let restore_command = param("restore_command");
    let slot_name = param("replication_slot_name").filter(|_| agent == PgAgent::Pgsql);
    let tmpdir = tmpdir(pg);

    for n in &live.nodes {
        let node = n.node.as_str();
        // PG707: a lock file where PostgreSQL is not the primary.
        if let LockFile::Present { path } = &n.lock_file {
            let writable = n.settings.as_ref().is_some_and(|s| !s.in_recovery);
            if n.role != Role::Promoted && !writable {
                out.push(Finding::new(
                    Severity::Warning,
                    "PG707",
                    node,
                    format!("{path} exists on {node}, where {id} is not the primary ({}): the agent refuses to start PostgreSQL here ('My data may be inconsistent') until it is removed.", n.role.as_str()),
                    format!("Check that {node}'s data has not diverged from the primary (rebuild it with pg_basebackup if it was the old primary), then `rm {path}` on {node} and `crm_resource --cleanup --resource {id} --node {node}`."),
                ));
            }
        }
        let Some(s) = &n.settings else {
            // PG710: nothing could be checked on this node.
            out.push(Finding::new(
                Severity::Info,
                "PG710",
                node,
                format!(
                    "{node}'s PostgreSQL was not checked ({}): {}.",
                    n.target.as_deref().unwrap_or("no target"),
                    n.error.as_deref().unwrap_or("not reached")
                ),
                "Start it, or give pgcrm a way in (a [nodes.NODE] conninfo in /etc/pgcrm/pgcrm.toml, PGUSER/PGPASSWORD or ~/.pgpass), and run `pgcrm verify --live` again.".to_string(),
            ));
            continue;
        };
        let conf = |name: &str| match s.get(name) {
            Some(st) => match (&st.sourcefile, st.sourceline) {
                (Some(f), Some(l)) => format!(" ({f}:{l})"),
                (Some(f), None) => format!(" ({f})"),
                _ => format!(" ({})", st.source),
            },
            None => String::new(),
        };
        if replication {
            // PG701: wal_level must carry what a standby replays.
            if let Some(level) = s.value("wal_level").filter(|l| *l == "minimal") {
                out.push(Finding::new(
                    Severity::Error,
                    "PG701",
                    node,
                    format!("wal_level is {level}{}: a standby cannot replay it, so no standby can stream from this server.", conf("wal_level")),
                    format!("Set `wal_level = replica` (or logical) in postgresql.conf on {node} and restart PostgreSQL there (`crm_resource --restart --resource {id} --node {node}`)."),
                ));
            }
            // PG702: hot_standby off: a standby refuses connections, the agent's monitor fails.
            if s.on("hot_standby") == Some(false) {
                out.push(Finding::new(
                    Severity::Error,
                    "PG702",
                    node,
                    format!("hot_standby is off{}: as a standby the server refuses connections, so the agent's monitor fails and it is never a usable standby.", conf("hot_standby")),
                    format!("Set `hot_standby = on` in postgresql.conf on {node} and restart PostgreSQL there."),
                ));
            }
            // PG703: one WAL sender per standby, plus one for pg_basebackup.
            if let Some(senders) = s.int("max_wal_senders") {
                let nodes = node_count as i64;
                if senders < nodes {
                    let (severity, why) = if senders < nodes - 1 {
                        (Severity::Error, format!("fewer than the {} standbys of a {nodes}-node cluster: one of them cannot stream", nodes - 1))
                    } else {
                        (Severity::Warning, "enough for the standbys but none is left for the pg_basebackup that rebuilds a node".to_string())
                    };
                    out.push(Finding::new(
                        severity,
                        "PG703",
                        node,
                        format!("max_wal_senders is {senders}{}, {why}.", conf("max_wal_senders")),
                        format!("Set `max_wal_senders = {}` or more in postgresql.conf on {node} (every node: a standby needs at least the primary's value) and restart PostgreSQL there.", nodes.max(2) + 1),
                    ));
                }
            }
            // PG708: the agent creates one slot per other node when it promotes.
            if let (Some(slot), Some(max)) = (slot_name, s.int("max_replication_slots")) {
                let need = node_count.saturating_sub(1) as i64;
                if max < need {
                    out.push(Finding::new(
                        Severity::Error,
                        "PG708",
                        node,
                        format!("max_replication_slots is {max}{}, but with replication_slot_name={slot} the agent creates {need} slots when it promotes this node: the promote fails.", conf("max_replication_slots")),
                        format!("Set `max_replication_slots = {}` or more in postgresql.conf on {node} and restart PostgreSQL there.", need + 1),
                    ));
                }
            }
        }
        // PG704: the agent writes synchronous_standby_names in tmpdir/rep_mode.conf; a value
        // from anywhere else overrides it (postgresql.auto.conf is read last, and a line after
        // the agent's include wins).
        if agent == PgAgent::Pgsql && rep_mode == "sync" {
            if let Some(st) = s.get("synchronous_standby_names") {
                let rep_conf = Path::new(&tmpdir).join("rep_mode.conf");
                if let Some(file) = st
                    .sourcefile
                    .as_deref()
                    .filter(|f| Path::new(f) != rep_conf)
                {
                    let line = st.sourceline.map(|l| format!(":{l}")).unwrap_or_default();
                    out.push(Finding::new(
                        Severity::Error,
                        "PG704",
                        node,
                        format!("synchronous_standby_names = '{}' comes from {file}{line}, not from the agent's {}: it overrides the agent, which switches sync and async by rewriting that file (writes hang when the named standby is gone, or no standby is synchronous).", st.value, rep_conf.display()),
                        if file.ends_with("postgresql.auto.conf") {
                            format!("On {node}: `ALTER SYSTEM RESET synchronous_standby_names;` then `SELECT pg_reload_conf();`.")
                        } else {
                            format!("Remove the synchronous_standby_names line from {file} on {node}, then reload PostgreSQL (`SELECT pg_reload_conf();`).")
                        },
                    ));
                }
            }
        }
        // PG705/PG706: archiving that the configuration relies on.
        let archive_mode = s.value("archive_mode").unwrap_or("off");
        let archiving = archive_mode != "off";
        if restore_command.is_some() && !archiving {
            out.push(Finding::new(
                Severity::Warning,
                "PG705",
                node,
                format!("{id} has a restore_command but archive_mode is off{}: when {node} is the primary the archive gets no WAL, so a standby that falls behind finds nothing to restore.", conf("archive_mode")),
                format!("Set `archive_mode = on` and an archive_command that fills the archive restore_command reads, in postgresql.conf on {node}; restart PostgreSQL there."),
            ));
        }
        let command = s.value("archive_command").unwrap_or("");
        let library = s.value("archive_library").unwrap_or("");
        if archiving && command.trim().is_empty() && library.trim().is_empty() {
            out.push(Finding::new(
                Severity::Error,
                "PG706",
                node,
                format!("archive_mode is {archive_mode}{} but archive_command is empty: WAL is kept until archived, so pg_wal grows until the disk is full.", conf("archive_mode")),
                format!("Set archive_command (e.g. `test ! -f /archive/%f && cp %p /archive/%f`) in postgresql.conf on {node} and reload, or set archive_mode = off and restart."),
            ));
        }
        // PG709: no archive, no WAL kept, no slots: a standby that falls behind is lost.
        if replication
            && (restore_command.is_none() || !archiving)
            && slot_name.is_none()
            && s.wal_keep_bytes() == Some(0)
        {
            let keep = if s.get("wal_keep_size").is_some() {
                "wal_keep_size"
            } else {
                "wal_keep_segments"
            };
            out.push(Finding::new(
                Severity::Warning,
                "PG709",
                node,
                format!("no WAL archive, no replication slot and {keep} = 0{}: a standby disconnected for longer than a checkpoint or two must be rebuilt with pg_basebackup.", conf(keep)),
                format!("Set `wal_keep_size = 1GB` (or what covers your longest standby outage) in postgresql.conf on {node} and reload; or set the resource's replication_slot_name, or archive WAL with restore_command."),
            ));
        }
    }
}

/// Nodes whose server or lock file went unchecked, for the report's summary line.
pub fn unchecked(live: &LiveFacts) -> (Vec<&str>, Vec<&str>) {
    let servers = live
        .nodes
        .iter()
        .filter(|n| n.settings.is_none())
        .map(|n| n.node.as_str())
        .collect();
    let locks = live
        .nodes
        .iter()
        .filter(|n| matches!(n.lock_file, LockFile::NotChecked { .. }))
        .map(|n| n.node.as_str())
        .collect();
    (servers, locks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::settings::Setting;
    use crate::rules::fixtures::runbook;

    /// The runbook's primitive: pgsql, rep_mode=sync, two nodes, restore_command set,
    /// tmpdir /var/lib/pgsql/tmp (the default).
    fn settings(pairs: &[(&str, &str)], in_recovery: bool) -> PgSettings {
        let mut s = PgSettings {
            server_version: "15.6".into(),
            in_recovery,
            ..Default::default()
        };
        for (name, value) in [
            ("wal_level", "replica"),
            ("hot_standby", "on"),
            ("max_wal_senders", "10"),
            ("max_replication_slots", "10"),
            ("wal_keep_size", "256"),
            ("archive_mode", "on"),
            ("archive_command", "cp %p /archive/%f"),
        ]
        .into_iter()
        .chain(pairs.iter().copied())
        {
            s.settings.insert(
                name.into(),
                Setting {
                    value: value.into(),
                    unit: (name == "wal_keep_size").then(|| "MB".into()),
                    source: "configuration file".into(),
                    sourcefile: Some("/var/lib/pgsql/data/postgresql.conf".into()),
                    sourceline: Some(7),
                },
            );
        }
        s.settings.insert(
            "synchronous_standby_names".into(),
            Setting {
                value: String::new(),
                source: "configuration file".into(),
                sourcefile: Some("/var/lib/pgsql/tmp/rep_mode.conf".into()),
                sourceline: Some(1),
                ..Default::default()
            },
        );
        s
    }

    fn node(name: &str, role: Role, s: Option<PgSettings>, lock: LockFile) -> LiveNode {
        LiveNode {
            node: name.into(),
            role,
            target: Some(format!("{name}:5432")),
            error: s.is_none().then(|| "Connection refused".into()),
            settings: s,
            lock_file: lock,
        }
    }

    fn healthy() -> LiveFacts {
        LiveFacts {
            resource: "pgsql".into(),
            local_node: Some("node1".into()),
            nodes: vec![
                node(
                    "node1",
                    Role::Promoted,
                    Some(settings(&[], false)),
                    LockFile::Present {
                        path: "/var/lib/pgsql/tmp/PGSQL.lock".into(),
                    },
                ),
                node(
                    "node2",
                    Role::Unpromoted,
                    Some(settings(&[], true)),
                    LockFile::NotChecked {
                        reason: "not this node".into(),
                    },
                ),
            ],
        }
    }

    fn run(live: &LiveFacts) -> Vec<(&'static str, String, Severity)> {
        run_on(&runbook(), live)
    }

    fn run_on(cib: &crate::cib::Cib, live: &LiveFacts) -> Vec<(&'static str, String, Severity)> {
        let agents = crate::rules::agents::Agents::builtin(cib);
        let input = Input {
            cib,
            agents: &agents,
            corosync: &[],
            live: None,
        };
        let mut out = Vec::new();
        check(&input, live, &mut out);
        out.into_iter()
            .map(|f| (f.rule, f.object, f.severity))
            .collect()
    }

    fn with(node: usize, pairs: &[(&str, &str)]) -> LiveFacts {
        let mut live = healthy();
        let n = &mut live.nodes[node];
        let rec = n.settings.as_ref().unwrap().in_recovery;
        n.settings = Some(settings(pairs, rec));
        live
    }

    #[test]
    fn a_healthy_pair_has_no_finding() {
        assert_eq!(run(&healthy()), vec![]);
    }

    #[test]
    fn pg701_wal_level_minimal() {
        assert_eq!(
            run(&with(1, &[("wal_level", "minimal")])),
            vec![("PG701", "node2".into(), Severity::Error)]
        );
        assert_eq!(run(&with(1, &[("wal_level", "logical")])), vec![]);
    }

    #[test]
    fn pg702_hot_standby_off() {
        assert_eq!(
            run(&with(1, &[("hot_standby", "off")])),
            vec![("PG702", "node2".into(), Severity::Error)]
        );
    }

    #[test]
    fn pg703_max_wal_senders_against_node_count() {
        // two nodes: 1 sender serves the standby but leaves none for pg_basebackup
        assert_eq!(
            run(&with(0, &[("max_wal_senders", "1")])),
            vec![("PG703", "node1".into(), Severity::Warning)]
        );
        assert_eq!(
            run(&with(0, &[("max_wal_senders", "0")])),
            vec![("PG703", "node1".into(), Severity::Error)]
        );
        assert_eq!(run(&with(0, &[("max_wal_senders", "2")])), vec![]);
    }

    #[test]
    fn pg704_synchronous_standby_names_set_outside_rep_mode_conf() {
        let mut live = healthy();
        fn names(live: &mut LiveFacts) -> &mut Setting {
            live.nodes[0]
                .settings
                .as_mut()
                .unwrap()
                .settings
                .get_mut("synchronous_standby_names")
                .unwrap()
        }
        let st = names(&mut live);
        st.value = "node2".into();
        st.sourcefile = Some("/var/lib/pgsql/data/postgresql.auto.conf".into());
        let f = run(&live);
        assert_eq!(f, vec![("PG704", "node1".into(), Severity::Error)]);
        // the agent's file, even spelled with a trailing slash in tmpdir, is fine
        names(&mut live).sourcefile = Some("/var/lib/pgsql/tmp//rep_mode.conf".into());
        assert_eq!(run(&live), vec![]);
        // a role that cannot see sourcefile: nothing to say
        names(&mut live).sourcefile = None;
        assert_eq!(run(&live), vec![]);
    }

    #[test]
    fn pg705_pg706_archive_coherence() {
        assert_eq!(
            run(&with(0, &[("archive_mode", "off")])),
            vec![("PG705", "node1".into(), Severity::Warning)]
        );
        assert_eq!(
            run(&with(0, &[("archive_command", "")])),
            vec![("PG706", "node1".into(), Severity::Error)]
        );
        // PostgreSQL 15's archive_library replaces the command
        assert_eq!(
            run(&with(
                0,
                &[
                    ("archive_command", ""),
                    ("archive_library", "basic_archive")
                ]
            )),
            vec![]
        );
    }

    #[test]
    fn pg707_stale_lock_on_a_node_that_is_not_primary() {
        let mut live = healthy();
        live.local_node = Some("node2".into());
        live.nodes[0].lock_file = LockFile::NotChecked {
            reason: "not this node".into(),
        };
        live.nodes[1].lock_file = LockFile::Present {
            path: "/var/lib/pgsql/tmp/PGSQL.lock".into(),
        };
        assert_eq!(
            run(&live),
            vec![("PG707", "node2".into(), Severity::Warning)]
        );
        // stopped after a crash, unreachable: still stale
        live.nodes[1].role = Role::Stopped;
        live.nodes[1].settings = None;
        let rules: Vec<_> = run(&live).into_iter().map(|f| f.0).collect();
        assert_eq!(rules, vec!["PG707", "PG710"]);
        // the primary's own lock is the agent's normal state (healthy(): node1 has one)
    }

    #[test]
    fn pg708_slots_for_replication_slot_name() {
        let xml = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/cib/runbook-healthy.xml"
        ))
        .unwrap()
        .replace(
            "<nvpair id=\"pgsql-instance_attributes-node_list\"",
            "<nvpair id=\"pgsql-slot\" name=\"replication_slot_name\" value=\"slot\"/><nvpair id=\"pgsql-instance_attributes-node_list\"",
        );
        let cib = crate::cib::Cib::parse(&xml).unwrap();
        assert!(
            crate::rules::fixtures::ids(&cib).contains(&"PG415"),
            "the slot parameter is in"
        );
        let mut live = with(0, &[("max_replication_slots", "0")]);
        assert_eq!(
            run_on(&cib, &live),
            vec![("PG708", "node1".into(), Severity::Error)]
        );
        // without the parameter the agent creates no slot
        assert_eq!(run(&live), vec![]);
        live = with(0, &[("max_replication_slots", "1")]);
        assert_eq!(run_on(&cib, &live), vec![]);
    }

    #[test]
    fn pg709_nothing_keeps_wal_for_a_lagging_standby() {
        let live = with(1, &[("archive_mode", "off"), ("wal_keep_size", "0")]);
        let rules: Vec<_> = run(&live).into_iter().map(|f| f.0).collect();
        assert_eq!(rules, vec!["PG705", "PG709"]);
        // WAL kept: no PG709
        let live = with(1, &[("archive_mode", "off")]);
        let rules: Vec<_> = run(&live).into_iter().map(|f| f.0).collect();
        assert_eq!(rules, vec!["PG705"]);
    }

    #[test]
    fn pg710_unreachable_server() {
        let mut live = healthy();
        live.nodes[1].settings = None;
        let f = run(&live);
        assert_eq!(f, vec![("PG710", "node2".into(), Severity::Info)]);
        assert_eq!(unchecked(&live), (vec!["node2"], vec!["node2"]));
    }
}
