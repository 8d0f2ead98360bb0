//! `verify`'s rule set: what an expert checks in a PostgreSQL HA cluster's configuration.
//!
//! Every rule is a pure function of the typed CIB (`Cib`), what is known of the resource
//! agents (`agents::Agents`) and any corosync.conf read (`crate::corosync`); it returns
//! findings. Nothing here reads files, runs programs or prints: `ops::verify` gathers the
//! inputs, `cli::verify` renders. Every rule id is listed in `CATALOGUE` and in docs/verify.md.

pub mod agents;
pub mod cluster;
pub mod corosync;
pub mod deprecated;
pub mod live;
pub mod operations;
pub mod postgres;

use crate::cib::{Cib, Clone, Colocation, Constraint, Group, Order, Primitive, Resource, Role};
use serde::Serialize;

/// How bad a finding is. Ordered: `Error` is the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One thing wrong (or worth knowing) about the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable rule id, e.g. `PG101` (docs/verify.md).
    pub rule: &'static str,
    /// The id of the object concerned: a resource, op, constraint, node, property or a
    /// corosync.conf section.
    pub object: String,
    /// The file the object lives in (the CIB file, "live", or a corosync.conf path).
    pub file: Option<String>,
    /// One sentence: what is wrong.
    pub message: String,
    /// One sentence: how to fix it, with a command where there is one.
    pub fix: String,
}

impl Finding {
    pub fn new(
        severity: Severity,
        rule: &'static str,
        object: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            severity,
            rule,
            object: object.into(),
            file: None,
            message: message.into(),
            fix: fix.into(),
        }
    }
}

/// Everything the rules look at.
pub struct Input<'a> {
    pub cib: &'a Cib,
    pub agents: &'a agents::Agents,
    /// The cluster's own corosync.conf first, then those of other clusters on the same
    /// network (compared for shared multicast addresses).
    pub corosync: &'a [crate::corosync::CorosyncConf],
    /// What the live nodes said (`verify --live`); None runs the configuration rules only.
    pub live: Option<&'a live::LiveFacts>,
}

/// Runs every rule; findings sorted worst first, then by rule id and object.
pub fn check(input: &Input) -> Vec<Finding> {
    let mut out = Vec::new();
    cluster::check(input, &mut out);
    operations::check(input, &mut out);
    agents::check(input, &mut out);
    deprecated::check(input, &mut out);
    postgres::check(input, &mut out);
    corosync::check(input, &mut out);
    if let Some(facts) = input.live {
        live::check(input, facts, &mut out);
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.rule.cmp(b.rule))
            .then(a.object.cmp(&b.object))
    });
    out.dedup();
    out
}

/// A rule's catalogue entry: its id, default severity and why it exists.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RuleInfo {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
}

use Severity::{Error as E, Info as I, Warning as W};

/// Every rule id, in order. docs/verify.md explains each (a test checks both agree).
pub const CATALOGUE: &[RuleInfo] = &[
    r("PG001", W, "fencing disabled"),
    r("PG002", E, "fencing enabled but no fencing device"),
    r(
        "PG003",
        E,
        "no-quorum-policy=ignore with more than two nodes",
    ),
    r("PG004", I, "no-quorum-policy=ignore on two nodes"),
    r("PG005", W, "maintenance-mode left on"),
    r("PG006", W, "stop-all-resources left on"),
    r("PG007", W, "opt-in cluster and a resource allowed nowhere"),
    r("PG008", W, "node left in maintenance"),
    r("PG009", I, "node in permanent standby"),
    r("PG010", W, "resource left unmanaged"),
    r("PG011", W, "stale cli-ban/cli-prefer constraint"),
    r(
        "PG101",
        W,
        "operation timeout shorter than the agent advises",
    ),
    r("PG102", E, "two operations with the same name and interval"),
    r(
        "PG103",
        W,
        "no role=Promoted monitor on a promotable PostgreSQL resource",
    ),
    r(
        "PG104",
        W,
        "no monitor for the standbys of a promotable PostgreSQL resource",
    ),
    r("PG105", W, "no recurring monitor"),
    r("PG106", E, "on-fail=fence while fencing is disabled"),
    r("PG107", W, "on-fail=block on an operation other than stop"),
    r("PG108", W, "on-fail=block on stop while fencing is enabled"),
    r("PG109", E, "on-fail=ignore on a PostgreSQL resource"),
    r("PG110", W, "on-fail=ignore on stop"),
    r("PG201", W, "parameter the agent does not declare"),
    r(
        "PG202",
        E,
        "replication parameters on a pgsql agent that predates them",
    ),
    r("PG203", E, "required parameter missing"),
    r("PG204", W, "agent not installed on this node"),
    r("PG205", W, "deprecated agent or parameter"),
    r("PG206", I, "agent meta-data unavailable"),
    r("PG301", W, "group ordered/collocated meta attributes"),
    r("PG302", W, "legacy <master> element"),
    r("PG303", W, "legacy Master/Slave role names"),
    r("PG304", W, "deprecated meta attribute name"),
    r("PG305", W, "deprecated or renamed cluster property"),
    r("PG401", E, "replication mode outside a promotable clone"),
    r(
        "PG402",
        E,
        "promotable PostgreSQL clone without notify=true",
    ),
    r(
        "PG403",
        E,
        "more than one Promoted PostgreSQL instance allowed",
    ),
    r("PG404", E, "rep_mode value the agent rejects here"),
    r("PG405", E, "node_list empty in replication mode"),
    r(
        "PG406",
        E,
        "node_list names a node the cluster does not have",
    ),
    r("PG407", W, "cluster node missing from node_list"),
    r("PG408", E, "master_ip empty in replication mode"),
    r("PG409", E, "master_ip matches no VIP resource"),
    r("PG410", E, "VIP not colocated with the Promoted instance"),
    r("PG411", W, "VIP not ordered after promote"),
    r("PG412", W, "VIP not tied to PostgreSQL's role"),
    r("PG413", W, "location rule on an attribute nothing sets"),
    r("PG414", W, "restore_command empty in replication mode"),
    r("PG415", W, "replication slots without cleanup"),
    r("PG416", W, "monitor_password stored in the CIB"),
    r(
        "PG417",
        W,
        "no resource-stickiness on the PostgreSQL resource",
    ),
    r(
        "PG418",
        I,
        "migration-threshold unset on the PostgreSQL resource",
    ),
    r("PG419", W, "node name with upper-case letters"),
    r("PG501", E, "two VIPs with the same address"),
    r("PG502", E, "VIP address or netmask not valid"),
    r("PG503", I, "VIP outside every corosync network"),
    r("PG601", E, "duplicate ring/link number"),
    r("PG602", E, "duplicate node in the corosync nodelist"),
    r("PG603", W, "two-node cluster without two_node"),
    r(
        "PG604",
        W,
        "multicast address shared or left at a well-known default",
    ),
    r("PG605", W, "cluster traffic not authenticated"),
    r("PG606", E, "authkey missing"),
    r("PG607", W, "token timeout too short"),
    r("PG608", E, "consensus timeout not above 1.2 x token"),
    r(
        "PG609",
        W,
        "cluster name differs between corosync and the CIB",
    ),
    r("PG610", W, "nodes differ between corosync and the CIB"),
    r("PG701", E, "wal_level too low for streaming replication"),
    r("PG702", E, "hot_standby off"),
    r("PG703", E, "max_wal_senders below the number of nodes"),
    r(
        "PG704",
        E,
        "synchronous_standby_names set outside the agent's rep_mode.conf",
    ),
    r("PG705", W, "restore_command set but archive_mode off"),
    r("PG706", E, "archive_mode on but no archive_command"),
    r("PG707", W, "stale PGSQL.lock on a node that is not primary"),
    r(
        "PG708",
        E,
        "max_replication_slots below what replication_slot_name needs",
    ),
    r("PG709", W, "no archive, no slots and no wal_keep_size"),
    r("PG710", I, "PostgreSQL not reachable: node not checked"),
];

const fn r(id: &'static str, severity: Severity, title: &'static str) -> RuleInfo {
    RuleInfo {
        id,
        severity,
        title,
    }
}

pub fn rule_info(id: &str) -> Option<&'static RuleInfo> {
    CATALOGUE.iter().find(|r| r.id == id)
}

// ---------------------------------------------------------------------------------------
// Shared views of the CIB the rules need.

/// A primitive with the group and clone it sits in.
#[derive(Debug, Clone, Copy)]
pub struct Placed<'a> {
    pub prim: &'a Primitive,
    pub group: Option<&'a Group>,
    pub clone: Option<&'a Clone>,
}

impl<'a> Placed<'a> {
    /// The ids a constraint may use to mean this primitive: itself, its group, its clone.
    pub fn names(&self) -> Vec<&'a str> {
        let mut v = vec![self.prim.id.as_str()];
        v.extend(self.group.map(|g| g.id.as_str()));
        v.extend(self.clone.map(|c| c.id.as_str()));
        v
    }

    /// The effective meta attribute: primitive, then group, then clone, then rsc_defaults.
    pub fn meta(&self, cib: &'a Cib, name: &str) -> Option<&'a str> {
        self.prim
            .meta
            .get(name)
            .or_else(|| self.group.and_then(|g| g.meta.get(name)))
            .or_else(|| self.clone.and_then(|c| c.meta.get(name)))
            .or_else(|| cib.rsc_defaults.get(name))
    }

    /// The outermost resource: what status and constraints usually name.
    pub fn top_id(&self) -> &'a str {
        self.clone
            .map(|c| c.id.as_str())
            .or(self.group.map(|g| g.id.as_str()))
            .unwrap_or(&self.prim.id)
    }

    pub fn promotable(&self) -> bool {
        self.clone.is_some_and(|c| c.promotable)
    }
}

/// Every primitive of the configuration with its containers, in document order.
pub fn placed(cib: &Cib) -> Vec<Placed<'_>> {
    fn walk<'a>(
        r: &'a Resource,
        group: Option<&'a Group>,
        clone: Option<&'a Clone>,
        out: &mut Vec<Placed<'a>>,
    ) {
        match r {
            Resource::Primitive(p) => out.push(Placed {
                prim: p,
                group,
                clone,
            }),
            Resource::Group(g) => {
                for m in &g.members {
                    out.push(Placed {
                        prim: m,
                        group: Some(g),
                        clone,
                    })
                }
            }
            Resource::Clone(c) => walk(&c.child, group, Some(c), out),
            Resource::Bundle(b) => out.extend(b.primitive.iter().map(|p| Placed {
                prim: p,
                group: None,
                clone: None,
            })),
        }
    }
    let mut out = Vec::new();
    for r in &cib.resources {
        walk(r, None, None, &mut out);
    }
    out
}

/// Cluster member nodes (not remote or ping nodes), by name.
pub fn member_nodes(cib: &Cib) -> Vec<&str> {
    cib.nodes
        .iter()
        .filter(|n| n.node_type == "member")
        .map(|n| n.uname.as_str())
        .collect()
}

/// Whether fencing is on: `stonith-enabled` defaults to true.
pub fn fencing_enabled(cib: &Cib) -> bool {
    cib.property("stonith-enabled")
        .map(crate::cib::is_true)
        .unwrap_or(true)
}

/// Agents that manage PostgreSQL: the shell `ocf:heartbeat:pgsql`, pgcrm's drop-in
/// `ocf:pgcrm:pgsql`, and PAF's `ocf:heartbeat:pgsqlms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgAgent {
    /// `ocf:heartbeat:pgsql` or its successor `ocf:pgcrm:pgsql` (same parameters).
    Pgsql,
    /// PAF.
    Pgsqlms,
}

pub fn pg_agent(p: &Primitive) -> Option<PgAgent> {
    if p.class != "ocf" {
        return None;
    }
    match (p.provider.as_deref(), p.agent_type.as_str()) {
        (Some("heartbeat") | Some("pgcrm"), "pgsql") => Some(PgAgent::Pgsql),
        (_, "pgsqlms") => Some(PgAgent::Pgsqlms),
        _ => None,
    }
}

/// Resources that hold a floating IP: IPaddr2 and friends, recognised by an `ip` parameter.
pub fn is_vip(p: &Primitive) -> bool {
    p.class == "ocf" && matches!(p.agent_type.as_str(), "IPaddr2" | "IPaddr" | "IPv6addr")
}

/// Whether a positive colocation puts one of `dependent` with one of `main` in `role`
/// (any role when `role` is None); resource sets count when a set in `role` holds `main`.
pub fn colocated(cib: &Cib, dependent: &[&str], main: &[&str], role: Option<Role>) -> bool {
    cib.constraints.iter().any(|c| match c {
        Constraint::Colocation(c) => colocation_matches(c, dependent, main, role),
        _ => false,
    })
}

fn colocation_matches(
    c: &Colocation,
    dependent: &[&str],
    main: &[&str],
    role: Option<Role>,
) -> bool {
    let positive = c
        .score
        .as_deref()
        .map(|s| crate::cib::parse_score(s) > 0)
        .unwrap_or(true);
    if !positive {
        return false;
    }
    let role_ok = |r: Option<Role>| role.is_none() || r == role;
    if let (Some(rsc), Some(with)) = (&c.rsc, &c.with_rsc) {
        return dependent.contains(&rsc.as_str())
            && main.contains(&with.as_str())
            && role_ok(c.with_rsc_role);
    }
    let has_main = c
        .sets
        .iter()
        .any(|s| role_ok(s.role) && s.resources.iter().any(|r| main.contains(&r.as_str())));
    let has_dep = c
        .sets
        .iter()
        .any(|s| s.resources.iter().any(|r| dependent.contains(&r.as_str())));
    has_main && has_dep
}

/// Whether an order constraint runs `then_action` of one of `then` after `first_action` of
/// one of `first` (actions default to `start`, as Pacemaker's do).
pub fn ordered(
    cib: &Cib,
    first: &[&str],
    first_action: &str,
    then: &[&str],
    then_action: &str,
) -> bool {
    cib.constraints.iter().any(|c| match c {
        Constraint::Order(o) => order_matches(o, first, first_action, then, then_action),
        _ => false,
    })
}

fn order_matches(o: &Order, first: &[&str], fa: &str, then: &[&str], ta: &str) -> bool {
    if let (Some(f), Some(t)) = (&o.first, &o.then) {
        let f_act = o.first_action.as_deref().unwrap_or("start");
        let t_act = o.then_action.as_deref().unwrap_or(f_act);
        return first.contains(&f.as_str())
            && then.contains(&t.as_str())
            && f_act == fa
            && t_act == ta;
    }
    // Sets: a set holding `first` with action `fa` before a later set holding `then`.
    let pos = |names: &[&str], act: &str| {
        o.sets.iter().position(|s| {
            s.action.as_deref().unwrap_or("start") == act
                && s.resources.iter().any(|r| names.contains(&r.as_str()))
        })
    };
    matches!((pos(first, fa), pos(then, ta)), (Some(a), Some(b)) if a < b)
}

/// Renders milliseconds the way an operator writes them: "60s", "1500ms".
pub fn fmt_ms(ms: u64) -> String {
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! The fixture CIBs of tests/fixtures/cib/verify/, parsed.
    use crate::cib::Cib;

    pub fn read(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/cib/verify/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    pub fn cib(name: &str) -> Cib {
        Cib::parse(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    pub fn runbook() -> Cib {
        top("runbook-healthy")
    }

    /// A fixture CIB of tests/fixtures/cib/ (`runbook-healthy`, `runbook-cli-ban`...).
    pub fn top(name: &str) -> Cib {
        let path = format!(
            "{}/tests/fixtures/cib/{name}.xml",
            env!("CARGO_MANIFEST_DIR")
        );
        Cib::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// Runs every rule with built-in agent knowledge only and no corosync.conf.
    pub fn findings(cib: &Cib) -> Vec<super::Finding> {
        let agents = super::agents::Agents::builtin(cib);
        super::check(&super::Input {
            cib,
            agents: &agents,
            corosync: &[],
            live: None,
        })
    }

    /// The rule ids found, sorted, each once.
    pub fn ids(cib: &Cib) -> Vec<&'static str> {
        let mut v: Vec<_> = findings(cib).into_iter().map(|f| f.rule).collect();
        v.sort();
        v.dedup();
        v
    }

    pub fn has(name: &str, rule: &str) -> bool {
        ids(&cib(name)).contains(&rule)
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn catalogue_ids_are_unique_and_sorted() {
        let ids: Vec<_> = CATALOGUE.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn docs_list_every_rule() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/verify.md"))
            .unwrap();
        for r in CATALOGUE {
            assert!(
                doc.contains(&format!("### {} ", r.id)),
                "docs/verify.md has no section for {}",
                r.id
            );
        }
    }

    #[test]
    fn the_clean_fixture_has_no_error_or_warning() {
        let found = findings(&cib("clean.xml"));
        let bad: Vec<_> = found
            .iter()
            .filter(|f| f.severity > Severity::Info)
            .collect();
        assert!(bad.is_empty(), "{bad:#?}");
        for f in &found {
            assert!(rule_info(f.rule).is_some(), "{} not in CATALOGUE", f.rule);
        }
    }

    /// The runbook's exact configuration: what an expert says about it.
    #[test]
    fn the_runbook_configuration() {
        let found = findings(&runbook());
        let summary: Vec<(&str, &str)> =
            found.iter().map(|f| (f.rule, f.object.as_str())).collect();
        assert_eq!(
            summary,
            vec![
                ("PG001", "stonith-enabled"),
                ("PG101", "pgsql-demote-0s"),
                ("PG101", "pgsql-notify-0s"),
                ("PG101", "pgsql-promote-0s"),
                ("PG101", "pgsql-start-0s"),
                ("PG101", "pgsql-stop-0s"),
                ("PG004", "no-quorum-policy"),
            ],
            "{found:#?}"
        );
    }
}
