//! `status --check`: the report as one monitoring-plugin line and its exit code, per the
//! Monitoring Plugins development guidelines: `PGCRM STATE - summary | perfdata`, exit 0 OK,
//! 1 WARNING, 2 CRITICAL, 3 UNKNOWN. The state is the worst problem's severity; a cluster
//! that cannot be read at all is UNKNOWN. Nothing here prints.

use super::problems::{human_bytes, Limit, Severity, Thresholds};
use super::status::{PgRole, StatusReport};
use crate::cib::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckState {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

impl CheckState {
    pub fn exit_code(self) -> i32 {
        self as i32
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CheckState::Ok => "OK",
            CheckState::Warning => "WARNING",
            CheckState::Critical => "CRITICAL",
            CheckState::Unknown => "UNKNOWN",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub state: CheckState,
    /// The whole line, without a trailing newline.
    pub line: String,
}

/// UNKNOWN: the cluster could not be read (or the arguments were wrong).
pub fn unknown(why: &str) -> CheckResult {
    CheckResult {
        state: CheckState::Unknown,
        line: format!("PGCRM UNKNOWN - {}", clean(why)),
    }
}

/// The check line for a report.
pub fn check(report: &StatusReport, th: &Thresholds) -> CheckResult {
    let Some(pg) = &report.postgresql else {
        return unknown("no PostgreSQL resource (ocf:heartbeat:pgsql, pgsqlms) in the CIB");
    };
    let state = match report.problems.iter().map(|p| p.severity).max() {
        None => CheckState::Ok,
        Some(Severity::Warning) => CheckState::Warning,
        Some(Severity::Critical) => CheckState::Critical,
    };
    let summary = if report.problems.is_empty() {
        healthy_summary(report)
    } else {
        let n = report.problems.len();
        let msgs: Vec<String> = report
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.rule, p.message))
            .collect();
        format!(
            "{n} problem{}: {}",
            if n == 1 { "" } else { "s" },
            msgs.join("; ")
        )
    };
    let mut perf = Vec::new();
    let limit = |l: Option<Limit>, bytes: bool| match (l, bytes) {
        (Some(Limit::Bytes(b)), true) => b.to_string(),
        (Some(Limit::Seconds(s)), false) => s.to_string(),
        _ => String::new(),
    };
    for n in &pg.nodes {
        if let Some(r) = &n.replication {
            perf.push(format!(
                "lag_bytes_{}={}B;{};{};0",
                n.node,
                r.lag_bytes.unwrap_or(0),
                limit(th.warn_lag, true),
                limit(th.crit_lag, true)
            ));
            perf.push(format!(
                "lag_seconds_{}={}s;{};{};0",
                n.node,
                r.replay_lag_s.unwrap_or(0.0),
                limit(th.warn_lag, false),
                limit(th.crit_lag, false)
            ));
        }
    }
    let sync = if pg.probes == "live" {
        pg.nodes
            .iter()
            .filter(|n| {
                n.replication
                    .as_ref()
                    .is_some_and(|r| r.sync_state.as_deref() == Some("sync"))
            })
            .count()
    } else {
        pg.nodes.iter().filter(|n| n.sync_by_attributes()).count()
    };
    perf.push(format!("sync_standbys={sync};;;0"));
    let fails: i64 = report
        .cluster
        .fail_counts
        .iter()
        .map(|f| f.count.0.max(0))
        .sum();
    perf.push(format!("fail_counts={fails};;;0"));
    let cli = report
        .problems
        .iter()
        .filter(|p| p.rule == "cli-constraint")
        .count();
    perf.push(format!("cli_constraints={cli};;;0"));
    let nodes = &report.cluster.nodes;
    perf.push(format!(
        "nodes_online={};;;0;{}",
        nodes.iter().filter(|n| n.online).count(),
        nodes.len()
    ));
    CheckResult {
        state,
        line: format!(
            "PGCRM {} - {} | {}",
            state.as_str(),
            clean(&summary),
            perf.join(" ")
        ),
    }
}

/// "node1 primary, node2 sync standby (0 B behind)".
fn healthy_summary(report: &StatusReport) -> String {
    let Some(pg) = &report.postgresql else {
        return String::new();
    };
    let mut parts = Vec::new();
    for n in &pg.nodes {
        let live = pg.probes == "live";
        let part = match (n.role, live) {
            (Role::Promoted, true) if n.pg_role == PgRole::Primary => {
                let tl = n
                    .probe
                    .as_ref()
                    .and_then(|p| p.facts.as_ref())
                    .and_then(|f| f.timeline)
                    .map(|t| format!(", timeline {t}"))
                    .unwrap_or_default();
                format!("{} primary{tl}", n.node)
            }
            (Role::Promoted, _) => format!("{} Promoted", n.node),
            (Role::Unpromoted, _) => match &n.replication {
                Some(r) => format!(
                    "{} {} standby ({} behind)",
                    n.node,
                    r.sync_state.as_deref().unwrap_or("?"),
                    human_bytes(r.lag_bytes.unwrap_or(0))
                ),
                None => format!(
                    "{} standby {}",
                    n.node,
                    n.pgsql_data_status.as_deref().unwrap_or("")
                )
                .trim_end()
                .to_string(),
            },
            _ => continue,
        };
        parts.push(part);
    }
    if pg.probes != "live" {
        parts.push(format!("PostgreSQL not probed ({})", pg.probes));
    }
    parts.join(", ")
}

/// One line, and no `|` (it starts the performance data).
fn clean(s: &str) -> String {
    s.replace('|', "/").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    //! For every rule: a state of the cluster (a fixture CIB, plus hand-built probe results
    //! for the rules that need PostgreSQL's facts) and the exit code and text together.
    use super::*;
    use crate::ops::problems::{self, RULES};
    use crate::ops::status::{attach_probes, report_from_cib};
    use crate::pg::{Lsn, NodeProbe, PgFacts, ReplicationRow, Slot};
    use crate::rules::fixtures::top as cib;

    fn primary(reps: Vec<ReplicationRow>) -> PgFacts {
        PgFacts {
            server_version: "15.8".into(),
            in_recovery: false,
            timeline: Some(1),
            system_identifier: Some("7300000000000000001".into()),
            current_lsn: Some(Lsn(0x3000060)),
            synchronous_standby_names: "node2".into(),
            replication: reps,
            ..Default::default()
        }
    }

    fn standby() -> PgFacts {
        PgFacts {
            server_version: "15.8".into(),
            in_recovery: true,
            timeline: Some(1),
            system_identifier: Some("7300000000000000001".into()),
            received_lsn: Some(Lsn(0x3000060)),
            replayed_lsn: Some(Lsn(0x3000060)),
            wal_receiver_status: Some("streaming".into()),
            ..Default::default()
        }
    }

    fn rep(node: &str, sync: &str, lag: u64) -> ReplicationRow {
        ReplicationRow {
            application_name: node.into(),
            state: Some("streaming".into()),
            sync_state: Some(sync.into()),
            lag_bytes: Some(lag),
            replay_lag_s: Some(0.0),
            ..Default::default()
        }
    }

    fn probe(node: &str, facts: Option<PgFacts>) -> NodeProbe {
        NodeProbe {
            node: node.into(),
            target: format!("10.0.0.{}:5432", &node[4..]),
            elapsed_ms: 3,
            error: facts
                .is_none()
                .then(|| "error connecting to server: Connection refused".into()),
            facts,
        }
    }

    fn healthy_probes() -> Vec<NodeProbe> {
        vec![
            probe("node1", Some(primary(vec![rep("node2", "sync", 0)]))),
            probe("node2", Some(standby())),
        ]
    }

    /// The check of `fixture` after `probes` (None: not probed) and an edit of the report.
    fn run(
        fixture: &str,
        probes: Option<Vec<NodeProbe>>,
        th: &Thresholds,
        edit: impl FnOnce(&mut StatusReport),
    ) -> CheckResult {
        let cib = cib(fixture);
        let mut r = report_from_cib(&cib, fixture.into());
        if let (Some(pg), Some(p)) = (r.postgresql.as_mut(), probes) {
            attach_probes(pg, p);
        }
        edit(&mut r);
        r.problems = problems::evaluate(&cib, &r, th);
        check(&r, th)
    }

    #[test]
    fn every_rule_maps_to_its_exit_code_and_text() {
        let th = Thresholds::default();
        let live = |f: fn(&mut Vec<NodeProbe>)| {
            let mut p = healthy_probes();
            f(&mut p);
            Some(p)
        };
        let nothing = |_: &mut StatusReport| {};
        type Case = (&'static str, CheckResult, CheckState, &'static str);
        let cases: Vec<Case> = vec![
            ("ok", run("runbook-healthy", Some(healthy_probes()), &th, nothing), CheckState::Ok,
             "PGCRM OK - node1 primary, timeline 1, node2 sync standby (0 B behind) | lag_bytes_node2=0B;16777216;;0 lag_seconds_node2=0s;;;0 sync_standbys=1;;;0 fail_counts=0;;;0 cli_constraints=0;;;0 nodes_online=2;;;0;2"),
            ("ok", run("runbook-healthy", None, &th, nothing), CheckState::Ok,
             "PGCRM OK - node1 Promoted, node2 standby STREAMING/SYNC, PostgreSQL not probed"),
            ("no-promoted", run("runbook-no-promoted", None, &th, nothing), CheckState::Critical,
             "PGCRM CRITICAL - 2 problems: no-promoted: no Promoted instance of msPostgresql: nothing accepts writes through the cluster; fail-count: pgsql on node1"),
            ("multiple-promoted", run("runbook-healthy", None, &th, |r| {
                r.postgresql.as_mut().unwrap().nodes[1].role = crate::cib::Role::Promoted;
            }), CheckState::Critical, "multiple-promoted: msPostgresql is Promoted on node1 and node2"),
            ("multiple-writable", run("runbook-healthy", live(|p| p[1].facts = Some(primary(vec![]))), &th, nothing),
             CheckState::Critical, "multiple-writable: PostgreSQL accepts writes on node1 and node2 (split brain: stop all but one)"),
            ("role-mismatch", run("runbook-healthy", live(|p| p[1].facts = Some(primary(vec![]))), &th, nothing),
             CheckState::Critical, "role-mismatch: node2: PostgreSQL accepts writes, but Pacemaker runs pgsql Unpromoted there"),
            ("role-mismatch", run("runbook-healthy", live(|p| p[0].facts = Some(standby())), &th, nothing),
             CheckState::Critical, "role-mismatch: node1: Pacemaker runs pgsql Promoted, but PostgreSQL there is in recovery (a standby)"),
            ("write-vip-not-on-primary", run("runbook-healthy", None, &th, |r| {
                for res in r.cluster.resources.iter_mut().flat_map(|g| g.children.iter_mut()) {
                    if res.id == "vip-master" { res.nodes = Some(vec!["node2".into()]); }
                }
            }), CheckState::Critical, "write-vip-not-on-primary: vip-master is on node2, not on the primary node1"),
            ("lag", run("runbook-healthy", live(|p| p[0].facts = Some(primary(vec![rep("node2", "sync", 32 << 20)]))), &th, nothing),
             CheckState::Warning, "PGCRM WARNING - 1 problem: lag: node2: replay lag 32 MB / 0.0 s (over --warn-lag 16 MB) | lag_bytes_node2=33554432B;16777216;;0"),
            ("lag", run("runbook-healthy", live(|p| p[0].facts = Some(primary(vec![rep("node2", "sync", 32 << 20)]))),
                 &Thresholds { crit_lag: Some(Limit::Seconds(0.5)), ..th.clone() }, |r| {
                r.postgresql.as_mut().unwrap().nodes[1].replication.as_mut().unwrap().replay_lag_s = Some(3.0);
            }), CheckState::Critical, "lag: node2: replay lag 32 MB / 3.0 s (over --crit-lag 0.5s) | lag_bytes_node2=33554432B;16777216;;0 lag_seconds_node2=3s;;0.5;0"),
            ("no-sync-standby", run("runbook-healthy", live(|p| p[0].facts = Some(primary(vec![rep("node2", "async", 0)]))), &th, nothing),
             CheckState::Warning, "no-sync-standby: rep_mode=sync but no standby is synchronous: node1 commits without a second copy"),
            ("standby-not-streaming", run("runbook-standby-pg-killed", None, &th, nothing),
             CheckState::Warning, "standby-not-streaming: node2: not streaming (pgsql-status STOP, pgsql-data-status DISCONNECT)"),
            ("standby-not-streaming", run("runbook-healthy", live(|p| {
                p[0].facts = Some(primary(vec![]));
                p[1].facts.as_mut().unwrap().wal_receiver_status = None;
            }), &th, nothing), CheckState::Warning,
             "standby-not-streaming: node2: its attributes say STREAMING/SYNC, but its WAL receiver is absent and node1 has no streaming replication connection from it"),
            ("timeline-fork", run("runbook-healthy", live(|p| {
                p[0].facts = Some(PgFacts { timeline: Some(3), ..primary(vec![]) });
                let s = p[1].facts.as_mut().unwrap();
                s.timeline = Some(2);
                s.wal_receiver_status = Some("waiting".into());
            }), &th, nothing), CheckState::Warning,
             "timeline-fork: node2: on timeline 2 while the primary node1 is on timeline 3 and it does not stream: it needs pg_rewind or a rebuild"),
            ("system-identifier-mismatch", run("runbook-healthy", live(|p| {
                p[1].facts.as_mut().unwrap().system_identifier = Some("7399999999999999999".into());
            }), &th, nothing), CheckState::Warning,
             "system-identifier-mismatch: node2: system identifier 7399999999999999999 differs from the primary node1's 7300000000000000001"),
            ("pg-unreachable", run("runbook-healthy", live(|p| p[1] = probe("node2", None)), &th, nothing),
             CheckState::Warning, "pg-unreachable: node2: Pacemaker runs pgsql Unpromoted there, but PostgreSQL at 10.0.0.2:5432 did not answer: error connecting to server: Connection refused"),
            ("slot-retained-wal", run("runbook-healthy", live(|p| {
                p[0].facts.as_mut().unwrap().slots = vec![Slot { slot_name: "pgsql_node3".into(), slot_type: "physical".into(), active: false, retained_bytes: Some(3 << 30), ..Default::default() }];
            }), &th, nothing), CheckState::Warning,
             "slot-retained-wal: node1: replication slot pgsql_node3 (inactive) retains 3 GB of WAL (over 1 GB)"),
            ("fail-count", run("runbook-standby-pg-killed", None, &th, nothing), CheckState::Warning,
             "fail-count: pgsql on node2: fail-count 1 (migration-threshold 1) (reached: it will not run there until `crm_resource --cleanup -r pgsql -N node2`)"),
            ("cli-constraint", run("runbook-cli-ban", None, &th, nothing), CheckState::Warning,
             "cli-constraint: cli-ban-msPostgresql-on-node2 is left by a move or ban of msPostgresql; remove it with `crm_resource --clear -r msPostgresql` | sync_standbys=0;;;0 fail_counts=0;;;0 cli_constraints=1;;;0"),
            ("node-offline", run("runbook-node2-offline", None, &th, nothing), CheckState::Warning,
             "PGCRM WARNING - 2 problems: no-sync-standby: rep_mode=sync but no standby is synchronous: node1 commits without a second copy; node-offline: node node2 is OFFLINE | sync_standbys=0;;;0 fail_counts=0;;;0 cli_constraints=0;;;0 nodes_online=1;;;0;2"),
            ("node-standby", run("runbook-node2-standby", None, &th, nothing), CheckState::Warning,
             "node-standby: node node2 is in standby: it runs no resources"),
            ("node-maintenance", run("runbook-healthy", None, &th, |r| r.cluster.nodes[1].maintenance = true),
             CheckState::Warning, "node-maintenance: node node2 is in maintenance"),
            ("unknown", run("clone-basic", None, &th, nothing), CheckState::Unknown,
             "PGCRM UNKNOWN - no PostgreSQL resource (ocf:heartbeat:pgsql, pgsqlms) in the CIB"),
            ("unknown", unknown("cannot read the cluster: x | y\nz"), CheckState::Unknown,
             "PGCRM UNKNOWN - cannot read the cluster: x / y z"),
        ];
        let mut covered: Vec<&str> = Vec::new();
        for (rule, got, state, text) in &cases {
            assert_eq!(
                (got.state, got.state.exit_code()),
                (*state, *state as i32),
                "{rule}: {}",
                got.line
            );
            assert!(
                got.line.contains(text),
                "{rule}:\n got: {}\nwant: {text}",
                got.line
            );
            assert!(
                got.line
                    .starts_with(&format!("PGCRM {} - ", state.as_str())),
                "{}",
                got.line
            );
            assert_eq!(
                got.line.matches('|').count(),
                usize::from(*state != CheckState::Unknown),
                "{}",
                got.line
            );
            assert!(!got.line.contains('\n'));
            covered.push(rule);
        }
        for (rule, _) in RULES {
            assert!(
                covered.contains(rule),
                "rule {rule} has no case in this table"
            );
        }
    }

    #[test]
    fn exit_codes_are_the_monitoring_plugin_ones() {
        let codes: Vec<i32> = [
            CheckState::Ok,
            CheckState::Warning,
            CheckState::Critical,
            CheckState::Unknown,
        ]
        .iter()
        .map(|s| s.exit_code())
        .collect();
        assert_eq!(codes, [0, 1, 2, 3]);
    }
}
