//! `resource cleanup | refresh` and `failcount show | set | delete`: which failures (fail
//! counts, last-failure times, failed operations) of which resources on which nodes, decided
//! from the CIB as read, for the backend to clear (`Cluster::cleanup`).
//!
//! Names, nodes, operations and intervals are checked here, each bad one refused in one line
//! with the closest names. Nothing here clears anything: the backend does (through attrd and
//! the controller live, simulated on a file); nor does it wait for the DC (that is `ops::wait`).

use super::plan::{no_such, node as find_node};
use crate::cib::{parse_duration_ms, Cib, Primitive};
use crate::cluster::CleanupTarget;
use crate::state::{history, FailCountValue, INFINITY};
use crate::{Error, Result};
use serde::Serialize;

/// `rsc:2` → `rsc` (clone instance numbers are not part of the configured name).
fn base_of(id: &str) -> &str {
    match id.rsplit_once(':') {
        Some((base, n)) if n.parse::<u32>().is_ok() => base,
        _ => id,
    }
}

/// Parses an interval as Pacemaker's tools take it: plain seconds (`10`), with a unit (`10s`,
/// `500ms`, `2min`) or ISO 8601 (`PT10S`). Returns milliseconds.
pub fn parse_interval(s: &str) -> Result<u64> {
    parse_duration_ms(s).ok_or_else(|| {
        Error::Usage(format!(
            "interval '{s}' does not parse (use e.g. 10s, 500ms, PT10S or 0 for one-shot operations)"
        ))
    })
}

/// Seconds for people: `7s`, `0s`, `1.5s`.
fn human_interval(ms: u64) -> String {
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{}s", ms as f64 / 1000.0)
    }
}

/// The primitives an operator means by `name`: the primitive itself, or every primitive of a
/// group, clone or bundle. A name only the status section knows (an orphan's history) is
/// accepted too, as crm_resource does.
fn primitives_named(cib: &Cib, name: &str) -> Result<Vec<String>> {
    if let Ok(r) = super::resource::any_resource(cib, name) {
        return Ok(r.primitives().iter().map(|p| p.id.clone()).collect());
    }
    let orphan = cib.status.iter().any(|ns| {
        ns.lrm_resources.iter().any(|l| base_of(&l.id) == name)
            || ns
                .transient_attributes
                .effective()
                .keys()
                .any(|k| failure_attribute(k).is_some_and(|a| base_of(&a.instance) == name))
    });
    if orphan {
        return Ok(vec![name.to_string()]);
    }
    let known = cib.resource_ids();
    Err(no_such("resource", name, known))
}

fn configured<'a>(cib: &'a Cib, id: &str) -> Option<&'a Primitive> {
    cib.resources
        .iter()
        .flat_map(|r| r.primitives())
        .find(|p| p.id == id)
}

/// A fail-count or last-failure node attribute, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FailureAttribute {
    count: bool,
    /// The resource as the attribute names it: `pgsql`, or `rsc:1` for unique clones.
    instance: String,
    /// `(operation, interval ms)`; `None` in the legacy per-resource form.
    operation: Option<(String, u64)>,
}

fn failure_attribute(name: &str) -> Option<FailureAttribute> {
    let (count, rest) = match (
        name.strip_prefix("fail-count-"),
        name.strip_prefix("last-failure-"),
    ) {
        (Some(r), _) => (true, r),
        (_, Some(r)) => (false, r),
        _ => return None,
    };
    let (instance, operation) = match rest.split_once('#') {
        Some((rsc, op)) => {
            let (task, interval) = op.rsplit_once('_')?;
            (rsc, Some((task.to_string(), interval.parse().ok()?)))
        }
        None => (rest, None),
    };
    Some(FailureAttribute {
        count,
        instance: instance.to_string(),
        operation,
    })
}

/// The operations `prim` has: configured ones, the one-shot actions every agent has, and any
/// recorded in its history. `(name, interval ms)`.
fn operations_of(cib: &Cib, prim: &str) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = Vec::new();
    let mut add = |n: &str, i: u64| {
        if !out.iter().any(|(a, b)| a == n && *b == i) {
            out.push((n.to_string(), i));
        }
    };
    if let Some(p) = configured(cib, prim) {
        for op in &p.ops {
            add(&op.name, op.interval_ms);
        }
    }
    for one_shot in ["start", "stop", "monitor", "promote", "demote", "notify"] {
        add(one_shot, 0);
    }
    for ns in &cib.status {
        for l in ns.lrm_resources.iter().filter(|l| base_of(&l.id) == prim) {
            // (A recorded `cancel` is the controller's, not an operation of the agent.)
            for op in l.ops.iter().filter(|op| op.operation != "cancel") {
                add(&op.operation, op.interval_ms);
            }
        }
    }
    out
}

/// Checks `--operation OP --interval I` against the operations of the primitives in scope.
fn check_operation(
    cib: &Cib,
    prims: &[String],
    what: &str,
    operation: &str,
    interval: Option<&str>,
) -> Result<(String, u64)> {
    let interval_ms = match interval {
        Some(i) => parse_interval(i)?,
        None => 0,
    };
    let ops: Vec<(String, u64)> = prims.iter().flat_map(|p| operations_of(cib, p)).collect();
    if ops.iter().any(|(n, i)| n == operation && *i == interval_ms) {
        return Ok((operation.to_string(), interval_ms));
    }
    let list = ops
        .iter()
        .filter(|(_, i)| *i > 0)
        .map(|(n, i)| format!("{n} {}", human_interval(*i)))
        .collect::<Vec<_>>();
    let recurring = if list.is_empty() {
        String::new()
    } else {
        format!(" (recurring operations: {})", list.join(", "))
    };
    if ops.iter().any(|(n, _)| n == operation) {
        return Err(Error::Usage(format!(
            "{what} has no {operation} operation with interval {}{recurring}: give its --interval",
            human_interval(interval_ms)
        )));
    }
    let hint = match no_such("operation", operation, ops.iter().map(|(n, _)| n.as_str())) {
        Error::NoSuch { hint, .. } => hint,
        _ => String::new(),
    };
    Err(Error::Usage(format!(
        "{what} has no operation '{operation}'{hint}{recurring}"
    )))
}

/// What `resource cleanup`/`refresh` and `failcount delete` are asked to clean.
#[derive(Debug, Clone, Default)]
pub struct CleanupRequest {
    pub resource: Option<String>,
    pub node: Option<String>,
    pub operation: Option<String>,
    pub interval: Option<String>,
    /// Forget the whole history (re-probe), not only the failures.
    pub refresh: bool,
}

/// One resource instance on one node, and what of it is cleaned.
#[derive(Debug, Clone, Serialize)]
pub struct CleanupItem {
    pub node: String,
    pub resource: String,
    /// `fail-count-…` attributes and their values.
    pub fail_counts: Vec<(String, String)>,
    /// Failed operations in the history, as crm_mon names them (`7s-interval monitor`).
    pub failed_operations: Vec<String>,
    #[serde(skip)]
    pub target: CleanupTarget,
}

impl std::fmt::Display for CleanupItem {
    /// `pgsql on node2: fail-count-pgsql#monitor_7000=1; failed 7s-interval monitor`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} on {}", self.resource, self.node)?;
        let mut parts = Vec::new();
        if !self.fail_counts.is_empty() {
            parts.push(
                self.fail_counts
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        if !self.failed_operations.is_empty() {
            parts.push(format!("failed {}", self.failed_operations.join(", ")));
        }
        if !parts.is_empty() {
            write!(f, ": {}", parts.join("; "))?;
        }
        Ok(())
    }
}

fn op_text(operation: &str, interval_ms: u64) -> String {
    match (operation, interval_ms) {
        ("monitor", 0) => "probe".into(),
        (o, 0) => o.to_string(),
        (o, i) => format!("{}-interval {o}", human_interval(i)),
    }
}

/// The item of `instance` in `items`, added (from `template`) when missing.
fn entry<'a>(
    items: &'a mut Vec<CleanupItem>,
    template: &CleanupTarget,
    instance: &str,
    (class, provider, kind): (&str, Option<&str>, &str),
) -> &'a mut CleanupItem {
    let at = match items.iter().position(|i| i.resource == instance) {
        Some(at) => at,
        None => {
            items.push(CleanupItem {
                node: template.node.clone(),
                resource: instance.to_string(),
                fail_counts: Vec::new(),
                failed_operations: Vec::new(),
                target: CleanupTarget {
                    history_id: instance.to_string(),
                    fail_count_name: instance.to_string(),
                    class: class.to_string(),
                    provider: provider.map(str::to_string),
                    agent_type: kind.to_string(),
                    ..template.clone()
                },
            });
            items.len() - 1
        }
    };
    &mut items[at]
}

/// Decides what to clean. An empty list means there was nothing to clean (not an error).
pub fn plan(cib: &Cib, req: &CleanupRequest) -> Result<Vec<CleanupItem>> {
    let prims = match &req.resource {
        Some(r) => Some(primitives_named(cib, r)?),
        None => None,
    };
    if let Some(n) = &req.node {
        find_node(cib, n)?;
    }
    let operation = match (&req.operation, &req.interval) {
        (None, Some(_)) => {
            return Err(Error::Usage(
                "--interval needs --operation (e.g. --operation monitor --interval 10s)".into(),
            ))
        }
        (None, None) => None,
        (Some(op), interval) => {
            let scope: Vec<String> = match &prims {
                Some(p) => p.clone(),
                None => cib
                    .resources
                    .iter()
                    .flat_map(|r| r.primitives())
                    .map(|p| p.id.clone())
                    .collect(),
            };
            let what = match &req.resource {
                Some(r) => format!("resource '{r}'"),
                None => "no resource".into(),
            };
            Some(check_operation(
                cib,
                &scope,
                &what,
                op,
                interval.as_deref(),
            )?)
        }
    };
    let in_scope = |base: &str| prims.as_ref().is_none_or(|p| p.iter().any(|x| x == base));
    let op_matches = |task: &str, interval: u64| {
        operation
            .as_ref()
            .is_none_or(|(t, i)| t == task && *i == interval)
    };
    let mut out = Vec::new();
    for ns in &cib.status {
        if req.node.as_deref().is_some_and(|n| n != ns.uname) {
            continue;
        }
        // One item per resource instance, in history order then attribute order.
        let mut items: Vec<CleanupItem> = Vec::new();
        let template = CleanupTarget {
            node: ns.uname.clone(),
            history_id: String::new(),
            fail_count_name: String::new(),
            class: String::new(),
            provider: None,
            agent_type: String::new(),
            operation: operation.clone(),
            refresh: req.refresh,
            delete_history: false,
        };
        for l in &ns.lrm_resources {
            if !in_scope(base_of(&l.id)) {
                continue;
            }
            let failed: Vec<String> = l
                .ops
                .iter()
                .filter(|op| {
                    history::is_failure(op, true) && op_matches(&op.operation, op.interval_ms)
                })
                .map(|op| op_text(&op.operation, op.interval_ms))
                .fold(Vec::new(), |mut v, s| {
                    if !v.contains(&s) {
                        v.push(s);
                    }
                    v
                });
            if failed.is_empty() && !req.refresh {
                continue;
            }
            let it = entry(
                &mut items,
                &template,
                &l.id,
                (&l.class, l.provider.as_deref(), &l.agent_type),
            );
            it.failed_operations = failed;
            it.target.delete_history = true;
        }
        for (name, value) in ns.transient_attributes.effective() {
            let Some(a) = failure_attribute(name) else {
                continue;
            };
            if !a.count || !in_scope(base_of(&a.instance)) {
                continue;
            }
            if let Some((t, i)) = &a.operation {
                if !op_matches(t, *i) {
                    continue;
                }
            } else if operation.is_some() {
                continue;
            }
            let (class, provider, kind) = match configured(cib, base_of(&a.instance)) {
                Some(p) => (p.class.clone(), p.provider.clone(), p.agent_type.clone()),
                None => ("ocf".into(), None, String::new()),
            };
            let it = entry(
                &mut items,
                &template,
                &a.instance,
                (&class, provider.as_deref(), &kind),
            );
            it.fail_counts.push((name.to_string(), value.to_string()));
        }
        out.extend(items);
    }
    Ok(out)
}

/// One fail count: one resource, one node, one operation and interval.
#[derive(Debug, Clone, Serialize)]
pub struct FailCountEntry {
    pub node: String,
    pub resource: String,
    /// `None` for the legacy per-resource form (`fail-count-RSC`).
    pub operation: Option<String>,
    pub interval_ms: Option<u64>,
    pub count: FailCountValue,
    /// Seconds since the epoch.
    pub last_failure: Option<i64>,
    /// The node attribute holding it.
    pub attribute: String,
}

/// `failcount show`: every fail count (of `resource`'s primitives, on `node`), per operation.
pub fn fail_counts(
    cib: &Cib,
    resource: Option<&str>,
    node: Option<&str>,
) -> Result<Vec<FailCountEntry>> {
    let prims = resource.map(|r| primitives_named(cib, r)).transpose()?;
    if let Some(n) = node {
        find_node(cib, n)?;
    }
    let mut out = Vec::new();
    for ns in &cib.status {
        if node.is_some_and(|n| n != ns.uname) {
            continue;
        }
        let attrs = ns.transient_attributes.effective();
        for (name, value) in &attrs {
            let Some(a) = failure_attribute(name) else {
                continue;
            };
            if !a.count
                || prims
                    .as_ref()
                    .is_some_and(|p| !p.iter().any(|x| x == base_of(&a.instance)))
            {
                continue;
            }
            let last = attrs
                .get(format!("last-{}", name.replacen("fail-count-", "failure-", 1)).as_str())
                .and_then(|v| v.parse().ok());
            let count = crate::cib::parse_score(value).clamp(0, INFINITY);
            out.push(FailCountEntry {
                node: ns.uname.clone(),
                resource: a.instance.clone(),
                operation: a.operation.as_ref().map(|(t, _)| t.clone()),
                interval_ms: a.operation.as_ref().map(|(_, i)| *i),
                count: FailCountValue(count),
                last_failure: last,
                attribute: name.to_string(),
            });
        }
    }
    Ok(out)
}

/// Parses a fail count as Pacemaker writes it: a non-negative integer or `INFINITY`.
pub fn parse_fail_count(s: &str) -> Result<String> {
    if s.eq_ignore_ascii_case("INFINITY") || s.eq_ignore_ascii_case("+INFINITY") {
        return Ok("INFINITY".into());
    }
    match s.parse::<u64>() {
        Ok(v) if v >= INFINITY as u64 => Ok("INFINITY".into()),
        Ok(v) => Ok(v.to_string()),
        Err(_) => Err(Error::Usage(format!(
            "fail count '{s}' is not a number (use a non-negative integer or INFINITY)"
        ))),
    }
}

/// What `failcount set` writes: the attribute `name` = `value` on `node` (lifetime reboot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailCountSet {
    pub node: String,
    pub name: String,
    pub value: String,
    /// The value before, when there was one.
    pub before: Option<String>,
}

/// Plans `failcount set RSC NODE VALUE [--operation OP --interval I]`. Without an operation,
/// the one fail count the resource has on the node is meant; with none or several, the
/// operation must be given (the message lists them).
pub fn plan_set(
    cib: &Cib,
    resource: &str,
    node: &str,
    value: &str,
    operation: Option<&str>,
    interval: Option<&str>,
) -> Result<FailCountSet> {
    let prims = primitives_named(cib, resource)?;
    let prim = match prims.as_slice() {
        [one] => one.clone(),
        many => {
            return Err(Error::Usage(format!(
                "resource '{resource}' has {} primitives: give one of {}",
                many.len(),
                many.join(", ")
            )))
        }
    };
    find_node(cib, node)?;
    let value = parse_fail_count(value)?;
    let existing = fail_counts(cib, Some(&prim), Some(node))?;
    let what = format!("resource '{prim}'");
    let (instance, (task, interval_ms)) = match (operation, interval) {
        (None, Some(_)) => {
            return Err(Error::Usage(
                "--interval needs --operation (e.g. --operation monitor --interval 10s)".into(),
            ))
        }
        (Some(op), interval) => {
            let op = check_operation(cib, std::slice::from_ref(&prim), &what, op, interval)?;
            let instance = existing
                .first()
                .map(|e| e.resource.clone())
                .unwrap_or_else(|| prim.clone());
            (instance, op)
        }
        (None, None) => {
            let per_op: Vec<&FailCountEntry> =
                existing.iter().filter(|e| e.operation.is_some()).collect();
            match per_op.as_slice() {
                [one] => (
                    one.resource.clone(),
                    (
                        one.operation.clone().unwrap_or_default(),
                        one.interval_ms.unwrap_or(0),
                    ),
                ),
                [] => {
                    return Err(Error::Usage(format!(
                        "{prim} has no fail count on {node}: give --operation and --interval (e.g. --operation monitor --interval 10s)"
                    )))
                }
                many => {
                    return Err(Error::Usage(format!(
                        "{prim} has {} fail counts on {node} ({}): give --operation and --interval",
                        many.len(),
                        many.iter()
                            .map(|e| op_text(
                                e.operation.as_deref().unwrap_or(""),
                                e.interval_ms.unwrap_or(0)
                            ))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            }
        }
    };
    let name = format!("fail-count-{instance}#{task}_{interval_ms}");
    let before = existing
        .iter()
        .find(|e| e.attribute == name)
        .map(|e| e.count.to_string());
    Ok(FailCountSet {
        node: node.to_string(),
        name,
        value,
        before,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_names() {
        assert_eq!(
            failure_attribute("fail-count-pgsql#monitor_7000"),
            Some(FailureAttribute {
                count: true,
                instance: "pgsql".into(),
                operation: Some(("monitor".into(), 7000))
            })
        );
        let a = failure_attribute("last-failure-rsc:1#migrate_to_0").unwrap();
        assert_eq!(
            (a.count, a.instance.as_str(), a.operation),
            (false, "rsc:1", Some(("migrate_to".into(), 0)))
        );
        assert_eq!(failure_attribute("fail-count-old").unwrap().operation, None);
        assert_eq!(failure_attribute("master-pgsql"), None);
    }

    #[test]
    fn intervals_and_values() {
        assert_eq!(parse_interval("10").unwrap(), 10_000);
        assert_eq!(parse_interval("7s").unwrap(), 7_000);
        assert_eq!(parse_interval("PT1M").unwrap(), 60_000);
        assert!(parse_interval("often").is_err());
        assert_eq!(parse_fail_count("inFINITY").unwrap(), "INFINITY");
        assert_eq!(parse_fail_count("3").unwrap(), "3");
        assert_eq!(parse_fail_count("2000000").unwrap(), "INFINITY");
        assert!(parse_fail_count("-1").is_err());
    }
}
