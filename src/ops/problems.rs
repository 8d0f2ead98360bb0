//! The rules that compare Pacemaker's view with PostgreSQL's and flag what an operator must
//! look at: each a pure function of the CIB, the derived state and the probe facts, so each
//! is unit-tested on fixtures and hand-built facts. Every rule has an id (`RULES`), a
//! severity, and a message naming the node or resource and, where there is one, the fix.
//!
//! Nothing here reads, probes or prints; `ops::status` gathers, `ops::check` maps to exit codes.

use super::status::{PgNodeRow, PgRole, StatusReport};
use crate::cib::{Cib, Constraint, Resource, Role};
use crate::pg::PgFacts;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "WARNING",
            Severity::Critical => "CRITICAL",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// Stable id, one of `RULES`.
    pub rule: &'static str,
    pub severity: Severity,
    /// The node concerned, when there is one.
    pub node: Option<String>,
    pub message: String,
}

/// Every rule: id, what it means. The severity of a rule is fixed except `lag`
/// (warning or critical by threshold).
pub const RULES: &[(&str, &str)] = &[
    (
        "no-promoted",
        "the promotable PostgreSQL clone has no Promoted instance",
    ),
    (
        "multiple-promoted",
        "Pacemaker runs more than one Promoted instance",
    ),
    (
        "multiple-writable",
        "more than one PostgreSQL server accepts writes",
    ),
    (
        "role-mismatch",
        "Pacemaker's role and PostgreSQL's own disagree on a node",
    ),
    (
        "write-vip-not-on-primary",
        "a VIP colocated with the Promoted role runs elsewhere",
    ),
    (
        "lag",
        "a standby's replay lag is over --warn-lag or --crit-lag",
    ),
    (
        "no-sync-standby",
        "rep_mode=sync but no standby is synchronous",
    ),
    (
        "standby-not-streaming",
        "a standby does not stream WAL from the primary",
    ),
    (
        "timeline-fork",
        "a standby's timeline forked from the primary's: it needs pg_rewind or a rebuild",
    ),
    (
        "system-identifier-mismatch",
        "a server's data directory belongs to another cluster",
    ),
    (
        "pg-unreachable",
        "a node where Pacemaker runs PostgreSQL did not answer the probe",
    ),
    (
        "slot-retained-wal",
        "a replication slot retains more WAL than --warn-slot-wal",
    ),
    (
        "fail-count",
        "a resource has failed on a node (fail count above 0)",
    ),
    (
        "cli-constraint",
        "a cli-prefer-/cli-ban- constraint left by a move or ban",
    ),
    ("node-offline", "a cluster node is offline"),
    ("node-standby", "a cluster node is in standby"),
    ("node-maintenance", "a cluster node is in maintenance"),
];

/// A lag limit: WAL bytes or replay seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    Bytes(u64),
    Seconds(f64),
}

impl Limit {
    /// `16MB`, `1GiB`, `1048576` (bytes; k/M/G/T are 1024-based, as PostgreSQL's units) or
    /// `30s`, `500ms`, `2min`, `1h`.
    pub fn parse(s: &str) -> Result<Limit, String> {
        let t = s.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (num, unit) = (&t[..split], t[split..].trim());
        let n: f64 = num
            .parse()
            .ok()
            .filter(|n: &f64| n.is_finite() && *n >= 0.0)
            .ok_or_else(|| format!("'{s}' is not a size (16MB) or a duration (30s)"))?;
        let bytes = |m: f64| Ok(Limit::Bytes((n * m) as u64));
        match unit.to_ascii_lowercase().as_str() {
            "" | "b" => bytes(1.0),
            "k" | "kb" | "kib" => bytes(1024.0),
            "mb" | "mib" => bytes(1024.0 * 1024.0),
            "g" | "gb" | "gib" => bytes(1024.0 * 1024.0 * 1024.0),
            "t" | "tb" | "tib" => bytes(1024.0f64.powi(4)),
            "ms" => Ok(Limit::Seconds(n / 1000.0)),
            "s" => Ok(Limit::Seconds(n)),
            "min" => Ok(Limit::Seconds(n * 60.0)),
            "h" => Ok(Limit::Seconds(n * 3600.0)),
            _ => Err(format!(
                "'{s}': unknown unit '{unit}'; use B, kB, MB, GB, TB or ms, s, min, h"
            )),
        }
    }

    fn exceeded(self, bytes: u64, secs: f64) -> bool {
        match self {
            Limit::Bytes(b) => bytes > b,
            Limit::Seconds(s) => secs > s,
        }
    }
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Limit::Bytes(b) => f.write_str(&human_bytes(*b)),
            Limit::Seconds(s) => write!(f, "{s}s"),
        }
    }
}

/// `16777216` → `16 MiB`.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 || v.fract() == 0.0 {
        format!("{v} {}", UNITS[i])
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub warn_lag: Option<Limit>,
    pub crit_lag: Option<Limit>,
    /// WAL a slot may retain before `slot-retained-wal`.
    pub slot_wal_bytes: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            // one WAL segment: a healthy standby is well under it
            warn_lag: Some(Limit::Bytes(16 << 20)),
            crit_lag: None,
            slot_wal_bytes: 1 << 30,
        }
    }
}

/// Finds every problem; most severe first, then in `RULES` order.
pub fn evaluate(cib: &Cib, report: &StatusReport, th: &Thresholds) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut add = |rule: &'static str, severity, node: Option<&str>, message: String| {
        debug_assert!(RULES.iter().any(|(r, _)| *r == rule), "{rule}");
        out.push(Problem {
            rule,
            severity,
            node: node.map(str::to_string),
            message,
        })
    };
    use Severity::*;
    let cluster = &report.cluster;

    if let Some(pg) = &report.postgresql {
        let promotable = pg.clone.as_deref().is_some_and(|c| {
            cib.resources
                .iter()
                .any(|r| matches!(r, Resource::Clone(cl) if cl.id == c && cl.promotable))
        });
        let set = pg.clone.as_deref().unwrap_or(&pg.resource);
        let promoted: Vec<&PgNodeRow> = pg
            .nodes
            .iter()
            .filter(|n| n.role == Role::Promoted)
            .collect();
        if promotable && promoted.is_empty() {
            add(
                "no-promoted",
                Critical,
                None,
                format!(
                    "no Promoted instance of {set}: nothing accepts writes through the cluster"
                ),
            );
        }
        if promoted.len() > 1 {
            add(
                "multiple-promoted",
                Critical,
                None,
                format!("{set} is Promoted on {}", names(&promoted)),
            );
        }
        let writable: Vec<&PgNodeRow> = pg
            .nodes
            .iter()
            .filter(|n| n.pg_role == PgRole::Primary)
            .collect();
        if writable.len() > 1 {
            add(
                "multiple-writable",
                Critical,
                None,
                format!(
                    "PostgreSQL accepts writes on {} (split brain: stop all but one)",
                    names(&writable)
                ),
            );
        }
        for n in &pg.nodes {
            match (n.role, n.pg_role) {
                (Role::Promoted, PgRole::Standby) => add("role-mismatch", Critical, Some(&n.node), format!(
                    "{}: Pacemaker runs {} Promoted, but PostgreSQL there is in recovery (a standby)", n.node, pg.resource)),
                (r, PgRole::Primary) if r != Role::Promoted => add("role-mismatch", Critical, Some(&n.node), format!(
                    "{}: PostgreSQL accepts writes, but Pacemaker runs {} {} there", n.node, pg.resource, r.as_str())),
                _ => {}
            }
        }
        if let [primary] = promoted[..] {
            for vip in &pg.write_vips {
                let at = cluster
                    .primitives()
                    .into_iter()
                    .find(|r| &r.id == vip)
                    .and_then(|r| r.nodes.clone())
                    .unwrap_or_default();
                if !at.contains(&primary.node) {
                    let where_ = if at.is_empty() {
                        "stopped".to_string()
                    } else {
                        format!("on {}", at.join(", "))
                    };
                    add(
                        "write-vip-not-on-primary",
                        Critical,
                        None,
                        format!("{vip} is {where_}, not on the primary {}", primary.node),
                    );
                }
            }
        }
        // the one writable server whose facts the standbys are compared with
        let pg_primary = match writable[..] {
            [p] => Some(p),
            _ => None,
        };
        for n in &pg.nodes {
            let Some(rep) = &n.replication else { continue };
            let bytes = rep.lag_bytes.unwrap_or(0);
            let secs = rep.replay_lag_s.unwrap_or(0.0);
            let shown = format!(
                "{}: replay lag {} / {:.1} s",
                n.node,
                human_bytes(bytes),
                secs
            );
            if let Some(l) = th.crit_lag.filter(|l| l.exceeded(bytes, secs)) {
                add(
                    "lag",
                    Critical,
                    Some(&n.node),
                    format!("{shown} (over --crit-lag {l})"),
                );
            } else if let Some(l) = th.warn_lag.filter(|l| l.exceeded(bytes, secs)) {
                add(
                    "lag",
                    Warning,
                    Some(&n.node),
                    format!("{shown} (over --warn-lag {l})"),
                );
            }
        }
        if pg.rep_mode.as_deref() == Some("sync") && promoted.len() == 1 {
            let live = pg_primary.and_then(|p| facts(p));
            let has_sync = match live {
                Some(f) => f
                    .replication
                    .iter()
                    .any(|r| r.sync_state.as_deref() == Some("sync")),
                None => pg.nodes.iter().any(PgNodeRow::sync_by_attributes),
            };
            if !has_sync {
                add("no-sync-standby", Warning, None, format!("rep_mode=sync but no standby is synchronous: {} commits without a second copy", promoted[0].node));
            }
        }
        let node_list: Vec<String> = pg_node_list(cib, &pg.resource);
        for n in &pg.nodes {
            let Some(node) = cluster.nodes.iter().find(|c| c.name == n.node) else {
                continue;
            };
            // without a primary there is nothing to stream from: no-promoted says it all
            if promoted.is_empty()
                || !node.online
                || node.standby
                || n.role == Role::Promoted
                || n.pg_role == PgRole::Primary
                || (!node_list.is_empty() && !node_list.contains(&n.node.to_lowercase()))
            {
                continue;
            }
            let data = n.pgsql_data_status.as_deref();
            let attrs_streaming = data.is_some_and(|d| d.starts_with("STREAMING"));
            if data.is_some() && !attrs_streaming {
                add(
                    "standby-not-streaming",
                    Warning,
                    Some(&n.node),
                    format!(
                        "{}: not streaming ({}-status {}, {}-data-status {})",
                        n.node,
                        pg.resource,
                        n.pgsql_status.as_deref().unwrap_or("-"),
                        pg.resource,
                        data.unwrap_or("-")
                    ),
                );
            } else if pg.probes == "live" && (attrs_streaming || n.role == Role::Unpromoted) {
                let receiver = facts(n).map(PgFacts::streaming);
                let sender = n
                    .replication
                    .as_ref()
                    .map(|r| r.state.as_deref() == Some("streaming"));
                if receiver != Some(true) && sender != Some(true) && pg_primary.is_some() {
                    let said = data
                        .map(|d| format!("its attributes say {d}"))
                        .unwrap_or_else(|| "Pacemaker runs it Unpromoted".into());
                    let recv = match facts(n) {
                        Some(f) => format!(
                            "its WAL receiver is {}",
                            f.wal_receiver_status.as_deref().unwrap_or("absent")
                        ),
                        None => "it did not answer".into(),
                    };
                    add("standby-not-streaming", Warning, Some(&n.node), format!(
                        "{}: {said}, but {recv} and {} has no streaming replication connection from it",
                        n.node, pg_primary.map(|p| p.node.as_str()).unwrap_or("the primary")));
                }
            }
        }
        if let Some(p) = pg_primary {
            let pf = facts(p).expect("a primary has facts");
            for n in pg.nodes.iter().filter(|n| n.pg_role == PgRole::Standby) {
                let f = facts(n).expect("a standby has facts");
                if let (Some(a), Some(b)) = (&pf.system_identifier, &f.system_identifier) {
                    if a != b {
                        add("system-identifier-mismatch", Warning, Some(&n.node), format!(
                            "{}: system identifier {b} differs from the primary {}'s {a}: its data directory is another cluster's; rebuild it with pg_basebackup", n.node, p.node));
                        continue;
                    }
                }
                let (Some(pt), Some(st)) = (pf.timeline, f.timeline) else {
                    continue;
                };
                let streams = n
                    .replication
                    .as_ref()
                    .is_some_and(|r| r.state.as_deref() == Some("streaming"))
                    || f.streaming();
                if st > pt || (st < pt && !streams) {
                    add("timeline-fork", Warning, Some(&n.node), format!(
                        "{}: on timeline {st} while the primary {} is on timeline {pt} and it does not stream: it needs pg_rewind or a rebuild", n.node, p.node));
                }
            }
        }
        for n in &pg.nodes {
            if let Some(err) = n
                .probe
                .as_ref()
                .and_then(|p| p.error.as_deref().map(|e| (p, e)))
            {
                if n.role != Role::Stopped {
                    add("pg-unreachable", Warning, Some(&n.node), format!(
                        "{}: Pacemaker runs {} {} there, but PostgreSQL at {} did not answer: {}", n.node, pg.resource, n.role.as_str(), err.0.target, err.1));
                }
            }
            if let Some(f) = facts(n) {
                for s in &f.slots {
                    if let Some(b) = s.retained_bytes.filter(|b| *b > th.slot_wal_bytes) {
                        add("slot-retained-wal", Warning, Some(&n.node), format!(
                            "{}: replication slot {} {}retains {} of WAL (over {}); drop it if its standby is gone",
                            n.node, s.slot_name, if s.active { "" } else { "(inactive) " }, human_bytes(b), human_bytes(th.slot_wal_bytes)));
                    }
                }
            }
        }
    }

    for f in &cluster.fail_counts {
        if f.count.0 <= 0 {
            continue;
        }
        let reached = f.count.0 >= f.migration_threshold.0;
        let tail = if reached {
            format!(
                " (reached: it will not run there until `crm_resource --cleanup -r {} -N {}`)",
                f.resource, f.node
            )
        } else if f.count.0 + 1 >= f.migration_threshold.0 {
            " (one more failure moves it away)".to_string()
        } else {
            String::new()
        };
        add(
            "fail-count",
            Warning,
            Some(&f.node),
            format!(
                "{} on {}: fail-count {} (migration-threshold {}){tail}",
                f.resource, f.node, f.count, f.migration_threshold
            ),
        );
    }
    for c in &cib.constraints {
        if let Constraint::Location(l) = c {
            if l.id.starts_with("cli-prefer-") || l.id.starts_with("cli-ban-") {
                let rsc = l.rsc.as_deref().unwrap_or("?");
                add("cli-constraint", Warning, l.node.as_deref(), format!(
                    "{} is left by a move or ban of {rsc}; remove it with `crm_resource --clear -r {rsc}`", l.id));
            }
        }
    }
    for n in &cluster.nodes {
        if !n.online {
            let how = if n.unclean {
                "OFFLINE (UNCLEAN)"
            } else {
                "OFFLINE"
            };
            add(
                "node-offline",
                Warning,
                Some(&n.name),
                format!("node {} is {how}", n.name),
            );
        } else if n.standby {
            add(
                "node-standby",
                Warning,
                Some(&n.name),
                format!("node {} is in standby: it runs no resources", n.name),
            );
        }
        if n.maintenance {
            add("node-maintenance", Warning, Some(&n.name), format!("node {} is in maintenance: Pacemaker neither starts nor monitors resources there", n.name));
        }
    }
    let order = |r: &str| {
        RULES
            .iter()
            .position(|(id, _)| *id == r)
            .unwrap_or(usize::MAX)
    };
    out.sort_by_key(|p| (std::cmp::Reverse(p.severity), order(p.rule)));
    out
}

fn facts(n: &PgNodeRow) -> Option<&PgFacts> {
    n.probe.as_ref().and_then(|p| p.facts.as_ref())
}

fn names(rows: &[&PgNodeRow]) -> String {
    rows.iter()
        .map(|n| n.node.as_str())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// The agent's `node_list`, lower-cased as the agent compares it; empty when unset.
fn pg_node_list(cib: &Cib, rsc: &str) -> Vec<String> {
    cib.resources
        .iter()
        .flat_map(|r| r.primitives())
        .find(|p| p.id == rsc)
        .and_then(|p| p.params.get("node_list"))
        .map(|l| l.split_whitespace().map(str::to_lowercase).collect())
        .unwrap_or_default()
}
