//! `resource list | locate | constraints | move | ban | clear | start | stop | manage |
//! unmanage`: where resources run, the `cli-*` constraints, and the plans that change them.
//!
//! Plans write what Pacemaker's own tools write (`cli-prefer-RSC`, `cli-ban-RSC-on-NODE`,
//! lifetimes as `date_expression` rules, `target-role`/`is-managed` meta), so `crm_resource
//! --clear` and pcs understand them. The traps of those tools are refused here instead: a
//! promotable clone moves its Promoted role, an existing cli constraint is never replaced.

use super::plan::{lifetime_end, no_such, node as find_node, parse_date, Plan};
use crate::cib::change::ElementPath;
use crate::cib::{Cib, Constraint, Element, Resource, Role, RuleTerm};
use crate::state::{self, ClusterState, NodeStatus, ResourceStatus};
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::Duration;

/// A configured resource, addressed by the id an operator types.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub resource: &'a Resource,
    pub promotable: bool,
}

/// Finds a top-level resource (primitive, group, clone, bundle). A group member or the
/// primitive inside a clone is refused with the name to use instead.
pub fn top_level<'a>(cib: &'a Cib, name: &str) -> Result<Target<'a>> {
    for r in &cib.resources {
        if r.id() == name {
            let promotable = matches!(r, Resource::Clone(c) if c.promotable);
            return Ok(Target {
                resource: r,
                promotable,
            });
        }
        let inner = match r {
            Resource::Group(g) if g.members.iter().any(|m| m.id == name) => Some("group"),
            Resource::Clone(c)
                if c.child.id() == name || c.child.primitives().iter().any(|p| p.id == name) =>
            {
                Some(if c.promotable {
                    "promotable clone"
                } else {
                    "clone"
                })
            }
            Resource::Bundle(b) if b.primitive.as_ref().is_some_and(|p| p.id == name) => {
                Some("bundle")
            }
            _ => None,
        };
        if let Some(kind) = inner {
            return Err(Error::Usage(format!(
                "resource '{name}' is inside {kind} '{}': use '{}' (constraints apply to the whole {kind})",
                r.id(),
                r.id()
            )));
        }
    }
    Err(no_such("resource", name, cib.resource_ids()))
}

/// Any configured resource at any depth (for meta attributes and locate): group members,
/// clone children and bundle primitives included.
pub fn any_resource(cib: &Cib, name: &str) -> Result<Resource> {
    fn walk(r: &Resource, id: &str) -> Option<Resource> {
        if r.id() == id {
            return Some(r.clone());
        }
        match r {
            Resource::Group(g) => g
                .members
                .iter()
                .find(|m| m.id == id)
                .map(|m| Resource::Primitive(m.clone())),
            Resource::Clone(c) => walk(&c.child, id),
            Resource::Bundle(b) => b
                .primitive
                .as_ref()
                .filter(|p| p.id == id)
                .map(|p| Resource::Primitive(p.clone())),
            Resource::Primitive(_) => None,
        }
    }
    cib.resources
        .iter()
        .find_map(|r| walk(r, name))
        .ok_or_else(|| no_such("resource", name, cib.resource_ids()))
}

/// Where a resource's instances are active.
#[derive(Debug, Clone, Serialize)]
pub struct Location {
    pub resource: String,
    /// (node, role) of every active instance, in the order crm_mon lists them.
    pub instances: Vec<(String, Role)>,
}

fn find_status<'a>(rs: &'a [ResourceStatus], id: &str) -> Option<&'a ResourceStatus> {
    rs.iter().find_map(|r| {
        if r.id == id {
            Some(r)
        } else {
            find_status(&r.children, id)
        }
    })
}

fn active_instances(r: &ResourceStatus, out: &mut Vec<(String, Role)>) {
    if r.kind == state::ResourceKind::Primitive {
        let role = r.role.unwrap_or(Role::Unknown);
        if role != Role::Stopped {
            for n in r.nodes.iter().flatten() {
                out.push((n.clone(), role));
            }
        }
    }
    for c in &r.children {
        active_instances(c, out);
    }
}

/// `crm_resource --locate`: the nodes where `name` (any resource, at any depth) is active.
pub fn locate(cib: &Cib, name: &str) -> Result<Location> {
    let id = any_resource(cib, name)?.id().to_string();
    let st = state::derive(cib);
    let mut instances = Vec::new();
    if let Some(r) = find_status(&st.resources, &id) {
        active_instances(r, &mut instances);
    }
    // A group is where its members are; list each node once, with the group's role.
    if matches!(cib.find_resource(&id), Some(Resource::Group(_))) {
        instances.dedup_by(|a, b| a.0 == b.0);
    }
    Ok(Location {
        resource: id,
        instances,
    })
}

/// A `cli-prefer-*` or `cli-ban-*` constraint, as `resource constraints` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CliConstraint {
    pub id: String,
    pub resource: String,
    /// "prefer" (move) or "ban".
    pub kind: &'static str,
    pub role: Option<Role>,
    pub node: Option<String>,
    pub score: Option<String>,
    /// The lifetime's end as written, when the constraint has one.
    pub lifetime_end: Option<String>,
    /// The lifetime ended: the constraint no longer applies but is still present.
    pub expired: bool,
}

/// Every `cli-*` location constraint of the CIB (of `resource` only, when given).
pub fn cli_constraints(
    cib: &Cib,
    resource: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<CliConstraint> {
    let mut out = Vec::new();
    for c in &cib.constraints {
        let Constraint::Location(l) = c else { continue };
        let kind = if l.id.starts_with("cli-prefer-") {
            "prefer"
        } else if l.id.starts_with("cli-ban-") {
            "ban"
        } else {
            continue;
        };
        let Some(rsc) = l.rsc.clone() else { continue };
        if resource.is_some_and(|r| r != rsc) {
            continue;
        }
        let (mut node, mut score, mut end) = (l.node.clone(), l.score.clone(), None);
        for rule in &l.rules {
            score = score.or(rule.score.clone());
            for t in &rule.terms {
                match t {
                    RuleTerm::Expression {
                        attribute,
                        operation,
                        value,
                        ..
                    } if attribute == "#uname" && operation == "eq" => node = value.clone(),
                    RuleTerm::Date {
                        operation, end: e, ..
                    } if operation == "lt" => end = e.clone(),
                    _ => {}
                }
            }
        }
        let expired = end
            .as_deref()
            .and_then(parse_date)
            .is_some_and(|e| e <= now);
        out.push(CliConstraint {
            id: l.id.clone(),
            resource: rsc,
            kind,
            role: l.role,
            node,
            score,
            lifetime_end: end,
            expired,
        });
    }
    out
}

/// The role names this CIB's schema accepts: `Promoted` from pacemaker-3.7 on, else `Master`.
fn role_name(cib: &Cib, role: Role) -> &'static str {
    let modern = cib
        .validate_with
        .as_deref()
        .and_then(|v| v.strip_prefix("pacemaker-"))
        .and_then(|v| {
            let (a, b) = v.split_once('.')?;
            Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?))
        })
        .is_none_or(|v| v >= (3, 7));
    match (role, modern) {
        (Role::Promoted, false) => "Master",
        (Role::Unpromoted, false) => "Slave",
        (r, _) => r.as_str(),
    }
}

fn constraints_path() -> ElementPath {
    ElementPath::section(&["configuration", "constraints"])
}

/// A `cli-*` location constraint as crm_resource writes it: a plain node/score, or with a
/// lifetime a rule on `#uname` and a `date_expression`. `ids` = (constraint, rule, expr, date).
fn cli_location(
    cib: &Cib,
    ids: [String; 4],
    rsc: &str,
    role: Role,
    node: &str,
    score: &str,
    end: Option<String>,
) -> Element {
    let [id, rule_id, expr_id, date_id] = ids;
    let mut loc = Element::new("rsc_location")
        .with_attr("id", id)
        .with_attr("rsc", rsc)
        .with_attr("role", role_name(cib, role));
    match end {
        None => {
            loc.set_attr("node", node);
            loc.set_attr("score", score);
        }
        Some(end) => {
            let mut rule = Element::new("rule")
                .with_attr("id", rule_id)
                .with_attr("score", score)
                .with_attr("boolean-op", "and");
            rule.children.push(
                Element::new("expression")
                    .with_attr("id", expr_id)
                    .with_attr("attribute", "#uname")
                    .with_attr("operation", "eq")
                    .with_attr("value", node)
                    .with_attr("type", "string"),
            );
            rule.children.push(
                Element::new("date_expression")
                    .with_attr("id", date_id)
                    .with_attr("operation", "lt")
                    .with_attr("end", end),
            );
            loc.children.push(rule);
        }
    }
    loc
}

fn describe(c: &CliConstraint) -> String {
    let mut s = format!(
        "{} {} {}{}",
        c.id,
        if c.kind == "ban" { "bans" } else { "prefers" },
        c.node.as_deref().unwrap_or("?"),
        c.role
            .filter(|r| *r != Role::Started)
            .map(|r| format!(" for role {}", r.as_str()))
            .unwrap_or_default()
    );
    match (&c.lifetime_end, c.expired) {
        (Some(e), true) => s.push_str(&format!(", expired {e}")),
        (Some(e), false) => s.push_str(&format!(" until {e}")),
        (None, _) => s.push_str(", no lifetime"),
    }
    s
}

/// What `--wait` waits for after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// An instance of `resource` active on `node` in `role` (Started = any active role).
    On {
        resource: String,
        node: String,
        role: Role,
    },
    /// No instance of `resource` in `role` (Started = any) on `node`.
    NotOn {
        resource: String,
        node: String,
        role: Role,
    },
    /// Every instance of `resource` stopped.
    Stopped { resource: String },
    /// `resource` active somewhere.
    Active { resource: String },
    /// No resource active on `node` (after standby).
    NodeEmpty { node: String },
    /// No failed operation and no fail count left of these (node, resource instance) pairs
    /// (after a cleanup: a failure that comes back means the cause is still there).
    NoFailures { items: Vec<(String, String)> },
    /// Nothing in particular: the cluster has finished acting.
    Settled,
}

impl Expect {
    /// Whether the state satisfies the expectation.
    pub fn holds(&self, cib: &Cib) -> bool {
        let st = state::derive(cib);
        let inst = |r: &str| {
            let mut v = Vec::new();
            if let Some(s) = find_status(&st.resources, r) {
                active_instances(s, &mut v);
            }
            v
        };
        let role_ok = |want: Role, got: Role| want == Role::Started || want == got;
        match self {
            Expect::On {
                resource,
                node,
                role,
            } => inst(resource)
                .iter()
                .any(|(n, r)| n == node && role_ok(*role, *r)),
            Expect::NotOn {
                resource,
                node,
                role,
            } => !inst(resource)
                .iter()
                .any(|(n, r)| n == node && role_ok(*role, *r)),
            Expect::Stopped { resource } => inst(resource).is_empty(),
            Expect::Active { resource } => !inst(resource).is_empty(),
            Expect::NodeEmpty { node } => st.node(node).is_none_or(|n| n.resources_running == 0),
            Expect::NoFailures { items } => {
                let base = |id: &str| id.split(':').next().unwrap_or(id).to_string();
                let failed = |node: &str, rsc: &str| {
                    st.failures
                        .iter()
                        .any(|f| f.node == node && base(&f.resource) == base(rsc))
                        || st
                            .fail_counts
                            .iter()
                            .any(|f| f.node == node && base(&f.resource) == base(rsc))
                };
                !items.iter().any(|(n, r)| failed(n, r))
            }
            Expect::Settled => true,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Expect::On {
                resource,
                node,
                role,
            } => format!("{resource} {} on {node}", role.as_str()),
            Expect::NotOn {
                resource,
                node,
                role,
            } if *role == Role::Started => format!("{resource} not active on {node}"),
            Expect::NotOn {
                resource,
                node,
                role,
            } => format!("{resource} not {} on {node}", role.as_str()),
            Expect::Stopped { resource } => format!("{resource} stopped"),
            Expect::Active { resource } => format!("{resource} active"),
            Expect::NodeEmpty { node } => format!("no resource active on {node}"),
            Expect::NoFailures { items } => {
                let mut names: Vec<String> =
                    items.iter().map(|(n, r)| format!("{r} on {n}")).collect();
                names.dedup();
                format!("no failure of {}", names.join(", "))
            }
            Expect::Settled => "the cluster settled".into(),
        }
    }
}

/// `resource move`.
#[derive(Debug, Clone)]
pub struct MoveRequest {
    pub resource: String,
    pub to: Option<String>,
    pub lifetime: Option<Duration>,
    /// `None`: Promoted for a promotable clone, Started otherwise.
    pub role: Option<Role>,
    pub force: bool,
}

/// The node attributes the PostgreSQL agents publish for the primitive `prim`.
fn pg_attr(n: &NodeStatus, name: String) -> Option<&str> {
    n.attributes.get(&name).map(String::as_str)
}

fn check_target(st: &ClusterState, node: &str, problems: &mut Vec<String>) {
    match st.node(node) {
        Some(n) if !n.online => problems.push(format!("{node} is offline")),
        Some(n) if n.standby => problems.push(format!("{node} is in standby")),
        Some(n) if n.maintenance => problems.push(format!("{node} is in maintenance")),
        _ => {}
    }
}

/// Plans `resource move`: a `cli-prefer` constraint to `to`, or without `to` a `cli-ban` from
/// the node the resource (its Promoted role) is on now.
pub fn plan_move(cib: &Cib, req: &MoveRequest, now: DateTime<Utc>) -> Result<(Plan, Expect)> {
    let target = top_level(cib, &req.resource)?;
    let rsc = target.resource.id().to_string();
    let role = req.role.unwrap_or(if target.promotable {
        Role::Promoted
    } else {
        Role::Started
    });
    if role == Role::Promoted && !target.promotable {
        return Err(Error::Usage(format!(
            "resource '{rsc}' is not promotable: it has no Promoted role to move (use --role started)"
        )));
    }
    let st = state::derive(cib);
    let mut instances = Vec::new();
    if let Some(s) = find_status(&st.resources, &rsc) {
        active_instances(s, &mut instances);
    }
    let current: Vec<&str> = instances
        .iter()
        .filter(|(_, r)| role == Role::Started || *r == role)
        .map(|(n, _)| n.as_str())
        .collect();
    let existing = cli_constraints(cib, Some(&rsc), now);
    let end = req.lifetime.map(|l| lifetime_end(now, l));
    let mut plan = Plan::new(cib.clone());
    let Some(to) = &req.to else {
        // Move away from the current node: a ban, as crm_resource --move without --node.
        let from = match current.as_slice() {
            [one] => one.to_string(),
            [] => {
                return Err(Error::Usage(format!(
                    "resource '{rsc}' is not active{}: give --to NODE",
                    if role == Role::Promoted {
                        " as Promoted"
                    } else {
                        ""
                    }
                )))
            }
            many => {
                return Err(Error::Usage(format!(
                    "resource '{rsc}' is active on {}: give --to NODE",
                    many.join(", ")
                )))
            }
        };
        let (ban, expect) = plan_ban_inner(cib, &rsc, &from, role, end, &existing, &mut plan)?;
        plan.change.create(constraints_path(), ban);
        if role == Role::Promoted {
            plan.risk = Some(format!(
                "this moves the primary ({rsc} Promoted) away from {from}: clients are disconnected during the switchover"
            ));
        }
        return Ok((plan, expect));
    };
    find_node(cib, to)?;
    if let Some(c) = existing.iter().find(|c| c.kind == "prefer") {
        return Err(Error::Exists(format!(
            "{}; it is not replaced silently: clear it first (pgcrm resource clear {rsc})",
            describe(c)
        )));
    }
    if let Some(c) = existing
        .iter()
        .find(|c| c.kind == "ban" && c.node.as_deref() == Some(to) && !c.expired)
    {
        return Err(Error::Exists(format!(
            "{}, the target: clear it first (pgcrm resource clear {rsc} --node {to})",
            describe(c)
        )));
    }
    let expect = Expect::On {
        resource: rsc.clone(),
        node: to.clone(),
        role,
    };
    if current.contains(&to.as_str()) {
        plan.notes.push(format!(
            "{rsc} is already {} on {to}: nothing to do",
            if role == Role::Promoted {
                "Promoted"
            } else {
                "active"
            }
        ));
        return Ok((plan, expect));
    }
    let mut problems = Vec::new();
    check_target(&st, to, &mut problems);
    if role == Role::Promoted {
        // PostgreSQL-aware checks on the node to promote.
        let prim = target
            .resource
            .primitives()
            .first()
            .map(|p| p.id.clone())
            .unwrap_or_default();
        if let Some(n) = st.node(to) {
            if let Some(score) = pg_attr(n, format!("master-{prim}")) {
                if score == "-INFINITY" || score.starts_with('-') {
                    problems.push(format!(
                        "{to}'s promotion score master-{prim} is {score}: Pacemaker would not promote it"
                    ));
                }
            }
            if let Some(ds) = pg_attr(n, format!("{prim}-data-status")) {
                if ds != "STREAMING|SYNC" {
                    problems.push(format!(
                        "{to} is not a synchronous streaming standby ({prim}-data-status is {ds}): promoting it may lose transactions"
                    ));
                }
            }
        }
    }
    if !problems.is_empty() {
        if !req.force {
            return Err(Error::Unsafe(format!(
                "not moving {rsc} to {to}: {} (--force moves it anyway)",
                problems.join("; ")
            )));
        }
        plan.notes
            .push(format!("--force: moving despite: {}", problems.join("; ")));
    }
    let ids = [
        format!("cli-prefer-{rsc}"),
        format!("cli-prefer-rule-{rsc}"),
        format!("cli-prefer-expr-{rsc}"),
        format!("cli-prefer-lifetime-end-{rsc}"),
    ];
    plan.change.create(
        constraints_path(),
        cli_location(cib, ids, &rsc, role, to, "INFINITY", end.clone()),
    );
    plan.actions.push(format!(
        "Creating cli-prefer-{rsc}: {rsc} {} on {to}{}",
        role.as_str(),
        end.as_ref()
            .map(|e| format!(" until {e}"))
            .unwrap_or_default()
    ));
    // A preference alone does not move a resource whose stickiness is as high (the
    // runbook's resource-stickiness=INFINITY makes it a tie, and the resource stays, as after
    // crm_resource --move without --force): ban the node it leaves too, for the same role and
    // lifetime. `clear` (and a successful --wait) removes both.
    if let [from] = current.as_slice() {
        if !existing
            .iter()
            .any(|c| c.id == format!("cli-ban-{rsc}-on-{from}"))
        {
            let (ban, _) =
                plan_ban_inner(cib, &rsc, from, role, end.clone(), &existing, &mut plan)?;
            plan.change.create(constraints_path(), ban);
        }
    }
    if role == Role::Promoted {
        plan.risk = Some(format!(
            "this moves the primary ({rsc} Promoted) from {} to {to}: clients are disconnected during the switchover",
            current.first().copied().unwrap_or("nowhere")
        ));
    }
    Ok((plan, expect))
}

fn plan_ban_inner(
    cib: &Cib,
    rsc: &str,
    node: &str,
    role: Role,
    end: Option<String>,
    existing: &[CliConstraint],
    plan: &mut Plan,
) -> Result<(Element, Expect)> {
    let id = format!("cli-ban-{rsc}-on-{node}");
    if let Some(c) = existing.iter().find(|c| c.id == id) {
        return Err(Error::Exists(format!(
            "{}; it is not replaced silently: clear it first (pgcrm resource clear {rsc} --node {node})",
            describe(c)
        )));
    }
    let ids = [
        id.clone(),
        format!("{id}-rule"),
        format!("{id}-expr"),
        format!("{id}-lifetime"),
    ];
    plan.actions.push(format!(
        "Creating {id}: {rsc}{} may not run on {node}{}",
        if role == Role::Started {
            String::new()
        } else {
            format!(" ({})", role.as_str())
        },
        end.as_ref()
            .map(|e| format!(" until {e}"))
            .unwrap_or_else(|| " until the constraint is removed".into())
    ));
    Ok((
        cli_location(cib, ids, rsc, role, node, "-INFINITY", end),
        Expect::NotOn {
            resource: rsc.to_string(),
            node: node.to_string(),
            role,
        },
    ))
}

/// Plans `resource ban RSC NODE`.
pub fn plan_ban(
    cib: &Cib,
    resource: &str,
    node: &str,
    lifetime: Option<Duration>,
    role: Option<Role>,
    now: DateTime<Utc>,
) -> Result<(Plan, Expect)> {
    let target = top_level(cib, resource)?;
    let rsc = target.resource.id().to_string();
    find_node(cib, node)?;
    let role = role.unwrap_or(Role::Started);
    let existing = cli_constraints(cib, Some(&rsc), now);
    let mut plan = Plan::new(cib.clone());
    let (ban, expect) = plan_ban_inner(
        cib,
        &rsc,
        node,
        role,
        lifetime.map(|l| lifetime_end(now, l)),
        &existing,
        &mut plan,
    )?;
    plan.change.create(constraints_path(), ban);
    // Banning from the last node it may run on stops it: confirm.
    let st = state::derive(cib);
    let banned: Vec<&str> = existing
        .iter()
        .filter(|c| c.kind == "ban" && !c.expired)
        .filter_map(|c| c.node.as_deref())
        .collect();
    let eligible: Vec<&str> = st
        .nodes
        .iter()
        .filter(|n| n.online && !n.standby && n.name != node && !banned.contains(&n.name.as_str()))
        .map(|n| n.name.as_str())
        .collect();
    if eligible.is_empty() {
        plan.risk = Some(format!(
            "{node} is the last node {rsc} may run on: the ban stops it"
        ));
    } else {
        let mut inst = Vec::new();
        if let Some(s) = find_status(&st.resources, &rsc) {
            active_instances(s, &mut inst);
        }
        if target.promotable && inst.iter().any(|(n, r)| n == node && *r == Role::Promoted) {
            plan.risk = Some(format!(
                "{node} runs the primary ({rsc} Promoted): the ban moves it"
            ));
        }
    }
    Ok((plan, expect))
}

/// Plans `resource clear RSC [--node N] [--expired]`: removes its `cli-*` constraints.
pub fn plan_clear(
    cib: &Cib,
    resource: &str,
    node: Option<&str>,
    expired_only: bool,
    now: DateTime<Utc>,
) -> Result<Plan> {
    let target = top_level(cib, resource)?;
    let rsc = target.resource.id().to_string();
    if let Some(n) = node {
        find_node(cib, n)?;
    }
    let mut plan = Plan::new(cib.clone());
    for c in cli_constraints(cib, Some(&rsc), now) {
        if node.is_some() && c.node.as_deref() != node {
            continue;
        }
        if expired_only && !c.expired {
            continue;
        }
        plan.change
            .delete(constraints_path().child("rsc_location", &c.id));
        plan.actions.push(format!("Removing {}", describe(&c)));
    }
    if plan.change.is_empty() {
        plan.notes.push(format!(
            "{rsc} has no {}cli-* constraint{}: nothing to do",
            if expired_only { "expired " } else { "" },
            node.map(|n| format!(" on {n}")).unwrap_or_default()
        ));
    }
    Ok(plan)
}

/// Plans removing the `cli-*` constraints with these ids that are still present (what a
/// move created, once its `--wait` saw it done).
pub fn plan_remove(cib: &Cib, ids: &[String], now: DateTime<Utc>) -> Plan {
    let mut plan = Plan::new(cib.clone());
    for c in cli_constraints(cib, None, now) {
        if ids.contains(&c.id) {
            plan.change
                .delete(constraints_path().child("rsc_location", &c.id));
            plan.actions.push(format!("Removing {}", describe(&c)));
        }
    }
    plan
}

/// The ids of the constraints a plan creates.
pub fn created_constraints(plan: &Plan) -> Vec<String> {
    plan.change
        .edits
        .iter()
        .filter_map(|e| match e {
            crate::cib::change::Edit::Create { element, .. } if element.name == "rsc_location" => {
                Some(element.id().to_string())
            }
            _ => None,
        })
        .collect()
}

/// The path of a resource element at any depth (primitive in a group or clone...).
pub fn resource_path(cib: &Cib, id: &str) -> Option<ElementPath> {
    fn walk(e: &Element, path: &ElementPath, id: &str) -> Option<ElementPath> {
        for c in &e.children {
            if matches!(
                c.name.as_str(),
                "primitive" | "group" | "clone" | "master" | "bundle"
            ) {
                let p = path.child(&c.name, c.id());
                if c.id() == id {
                    return Some(p);
                }
                if let Some(found) = walk(c, &p, id) {
                    return Some(found);
                }
            }
        }
        None
    }
    let base = ElementPath::section(&["configuration", "resources"]);
    walk(base.find(&cib.tree)?, &base, id)
}

/// Plans setting (`Some`) or removing (`None`) a meta attribute of a resource
/// (`start`/`stop` = target-role, `manage`/`unmanage` = is-managed), as `crm_resource --meta`.
pub fn plan_meta(cib: &Cib, resource: &str, name: &str, value: Option<&str>) -> Result<Plan> {
    let r = any_resource(cib, resource)?;
    let id = r.id().to_string();
    let path = resource_path(cib, &id).ok_or_else(|| no_such("resource", resource, []))?;
    let mut plan = Plan::new(cib.clone());
    match value {
        Some(v) => {
            let before = plan.change.edits.len();
            plan.change
                .set_nvpair(
                    &cib.tree,
                    &path,
                    "meta_attributes",
                    &format!("{id}-meta_attributes"),
                    name,
                    v,
                )
                .map_err(|e| Error::Usage(e.to_string()))?;
            if plan.change.edits.len() > before {
                plan.actions.push(format!("Setting {name}={v} on {id}"));
            }
        }
        None => {
            if plan
                .change
                .delete_nvpair(&cib.tree, &path, "meta_attributes", name)
                > 0
            {
                plan.actions.push(format!("Removing {name} from {id}"));
            }
        }
    }
    if plan.change.is_empty() {
        plan.notes.push(format!(
            "{id} already has {name}={}: nothing to do",
            value.unwrap_or("(unset)")
        ));
    }
    Ok(plan)
}

/// Where `resource` (any depth) is active now: (node, role) per instance.
pub fn active_instances_of(cib: &Cib, resource: &str) -> Result<Vec<(String, Role)>> {
    Ok(locate(cib, resource)?.instances)
}

/// Plans `resource delete RSC`: the resource (top level) and, in the same change, every
/// constraint that references it or anything inside it (a constraint with resource sets loses
/// only the references, or the set when nothing else is in it). Refused while the resource is
/// active unless `allow_active` (the caller stopped it first, or it is a file: nothing runs).
pub fn plan_delete(cib: &Cib, resource: &str, allow_active: bool) -> Result<Plan> {
    let target = top_level(cib, resource)?;
    let rsc = target.resource.id().to_string();
    let active = active_instances_of(cib, &rsc)?;
    if !active.is_empty() && !allow_active {
        let on: Vec<String> = active
            .iter()
            .map(|(n, r)| {
                if *r == Role::Started {
                    n.clone()
                } else {
                    format!("{n} ({})", r.as_str())
                }
            })
            .collect();
        return Err(Error::Unsafe(format!(
            "resource '{rsc}' is active on {}: stop it first (pgcrm resource stop {rsc}), or --force stops it and waits",
            on.join(", ")
        )));
    }
    // The resource and everything inside it.
    let mut ids: Vec<String> = vec![rsc.clone()];
    match target.resource {
        Resource::Group(g) => ids.extend(g.members.iter().map(|m| m.id.clone())),
        Resource::Clone(c) => {
            ids.push(c.child.id().to_string());
            ids.extend(c.child.primitives().iter().map(|p| p.id.clone()));
        }
        Resource::Bundle(b) => ids.extend(b.primitive.iter().map(|p| p.id.clone())),
        Resource::Primitive(_) => {}
    }
    let refers = |v: Option<&str>| v.is_some_and(|v| ids.iter().any(|i| i == v));
    let mut plan = Plan::new(cib.clone());
    let cons = constraints_path();
    if let Some(section) = cons.find(&cib.tree) {
        for c in &section.children {
            let path = cons.child(&c.name, c.id());
            let direct = ["rsc", "with-rsc", "first", "then"]
                .iter()
                .any(|a| refers(c.attr(a)));
            let sets: Vec<&Element> = c.children_named("resource_set").collect();
            let in_sets = |s: &Element| {
                s.children_named("resource_ref")
                    .filter(|r| refers(Some(r.id())))
                    .count()
            };
            if direct
                || (!sets.is_empty()
                    && sets
                        .iter()
                        .all(|s| in_sets(s) == s.children_named("resource_ref").count()))
            {
                plan.change.delete(path);
                plan.actions
                    .push(format!("Removing {} {} (references {rsc})", c.name, c.id()));
                continue;
            }
            for s in &sets {
                let n = in_sets(s);
                if n == 0 {
                    continue;
                }
                let set_path = path.child("resource_set", s.id());
                if n == s.children_named("resource_ref").count() {
                    plan.change.delete(set_path);
                    plan.actions.push(format!(
                        "Removing resource set {} from {} {}",
                        s.id(),
                        c.name,
                        c.id()
                    ));
                } else {
                    for r in s.children_named("resource_ref") {
                        if refers(Some(r.id())) {
                            plan.change.delete(set_path.child("resource_ref", r.id()));
                        }
                    }
                    plan.actions.push(format!(
                        "Removing {rsc} from resource set {} of {} {}",
                        s.id(),
                        c.name,
                        c.id()
                    ));
                }
            }
        }
    }
    let path = resource_path(cib, &rsc).ok_or_else(|| no_such("resource", &rsc, []))?;
    let kind = path.0.last().map(|s| s.tag.clone()).unwrap_or_default();
    plan.change.delete(path);
    plan.actions.push(format!("Deleting {kind} {rsc}"));
    if !active.is_empty() {
        plan.notes.push(format!(
            "{rsc} is still recorded as active in the status section; the cluster treats it as an orphan and stops it"
        ));
    }
    Ok(plan)
}
