//! How pgcrm's output is compared with crm_mon's, shared by the oracle tests (saved CIBs) and
//! the lab drills (the live cluster): the text line for line but for the clock line, and the
//! JSON against crm_mon's XML on node flags, resource instances, node attributes, failures and
//! fail counts.

#![allow(dead_code)] // each test binary uses a part

use pgcrm::cib::Element;
use serde_json::Value;
use std::collections::BTreeMap;

/// The crm_mon part of pgcrm's text (pgcrm's own sections follow a blank line), without the
/// wall-clock line, and without trailing blank lines.
pub fn comparable(text: &str, ours: bool) -> String {
    // pgcrm's own sections (the PostgreSQL tables, the problems) follow the crm_mon part.
    let end = ["\nPostgreSQL (", "\nProblems:"]
        .iter()
        .filter_map(|m| text.find(m))
        .min();
    let text = match (ours, end) {
        (true, Some(i)) => &text[..i],
        _ => text,
    };
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("  * Last updated:"))
        // pgcrm's one-line banner above the crm_mon part (cli-* constraints left behind).
        .filter(|l| !(ours && l.starts_with("Constraints left by move/ban:")))
        .collect();
    lines.join("\n").trim_end().to_string()
}

/// A resource instance as both tools describe it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Instance {
    id: String,
    role: String,
    active: bool,
    failed: bool,
    managed: bool,
    blocked: bool,
    orphaned: bool,
    nodes: Vec<String>,
}

fn xml_instances(e: &Element, out: &mut Vec<Instance>) {
    if e.name == "resource" {
        let b = |n: &str| e.attr(n) == Some("true");
        let mut nodes: Vec<String> = e
            .children_named("node")
            .map(|n| n.attr("name").unwrap_or("").to_string())
            .collect();
        nodes.sort();
        out.push(Instance {
            id: e.attr("id").unwrap_or("").to_string(),
            role: e.attr("role").unwrap_or("").to_string(),
            active: b("active"),
            failed: b("failed"),
            managed: b("managed"),
            blocked: b("blocked"),
            orphaned: b("orphaned"),
            nodes,
        });
    }
    for c in &e.children {
        xml_instances(c, out);
    }
}

fn json_instances(v: &Value, anonymous_clone: bool, out: &mut Vec<Instance>) {
    let kind = v["type"].as_str().unwrap_or("");
    if kind == "primitive" {
        let id = match v["base_id"].as_str() {
            Some(base) if anonymous_clone => base.to_string(),
            _ => v["id"].as_str().unwrap_or("").to_string(),
        };
        let mut nodes: Vec<String> = v["nodes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|n| n.as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default();
        nodes.sort();
        // crm_mon's XML shows an operation in flight in place of the role ("Starting").
        let role = match v["pending"].as_str() {
            Some("start") => "Starting",
            Some("stop") => "Stopping",
            Some("promote") => "Promoting",
            Some("demote") => "Demoting",
            Some("migrate_to" | "migrate_from") => "Migrating",
            _ => v["role"].as_str().unwrap_or(""),
        };
        out.push(Instance {
            id,
            role: role.to_string(),
            active: v["active"] == Value::Bool(true),
            failed: v["failed"] == Value::Bool(true),
            managed: v["managed"] == Value::Bool(true),
            blocked: v["blocked"] == Value::Bool(true),
            orphaned: v["orphaned"] == Value::Bool(true),
            nodes,
        });
    }
    let anonymous = anonymous_clone || (kind == "clone" && v["unique"] == Value::Bool(false));
    if let Some(children) = v["children"].as_array() {
        for c in children {
            json_instances(c, anonymous, out);
        }
    }
}

fn xml_failures(root: &Element) -> Vec<BTreeMap<&'static str, String>> {
    root.child("failures")
        .map(|f| {
            f.children_named("failure")
                .map(|e| {
                    let a = |n: &str| e.attr(n).unwrap_or("").to_string();
                    BTreeMap::from([
                        ("op_key", a("op_key")),
                        ("node", a("node")),
                        ("rc", a("exitcode")),
                        ("status", a("status")),
                        ("exit_reason", a("exitreason")),
                        ("interval_ms", a("interval")),
                        ("operation", a("task")),
                        ("call", a("call")),
                    ])
                })
                .collect()
        })
        .unwrap_or_default()
}

fn json_failures(v: &Value) -> Vec<BTreeMap<&'static str, String>> {
    v["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |n: &str| match &f[n] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            BTreeMap::from([
                ("op_key", s("op_key")),
                ("node", s("node")),
                ("rc", s("rc")),
                ("status", s("status")),
                ("exit_reason", s("exit_reason")),
                ("interval_ms", s("interval_ms")),
                ("operation", s("operation")),
                ("call", s("call_id")),
            ])
        })
        .collect()
}

/// Where pgcrm's JSON (`status --output json`) and crm_mon's XML (`--output-as=xml`)
/// disagree, one line per disagreement; empty when they agree.
pub fn json_disagreements(xml: &Element, json: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut report = |what: &str, theirs: String, ours: String| {
        if theirs != ours {
            problems.push(format!("{what}\n  crm_mon: {theirs}\n  pgcrm:   {ours}"));
        }
    };
    assert_eq!(json["schema_version"], 1);

    // Nodes and their flags.
    let flags = [
        "online",
        "standby",
        "maintenance",
        "pending",
        "unclean",
        "shutdown",
        "is_dc",
    ];
    for n in xml.child("nodes").unwrap().children_named("node") {
        let name = n.attr("name").unwrap();
        let ours = json["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["name"] == name);
        let Some(ours) = ours else {
            report("node missing", name.into(), "-".into());
            continue;
        };
        let theirs: Vec<String> = flags
            .iter()
            .map(|k| format!("{k}={}", n.attr(k).unwrap_or("?")))
            .collect();
        let mine: Vec<String> = flags.iter().map(|k| format!("{k}={}", ours[k])).collect();
        report(
            &format!("node {name} flags"),
            theirs.join(" "),
            mine.join(" "),
        );
        report(
            &format!("node {name} resources_running"),
            n.attr("resources_running").unwrap_or("").to_string(),
            ours["resources_running"].to_string(),
        );
    }
    let xml_node_count = xml.child("nodes").unwrap().children_named("node").count();
    report(
        "node count",
        xml_node_count.to_string(),
        json["nodes"].as_array().unwrap().len().to_string(),
    );

    // Resource instances (active ones: crm_mon's XML lists inactive clone instances
    // only partly).
    let mut theirs = Vec::new();
    xml_instances(xml.child("resources").unwrap(), &mut theirs);
    let mut ours = Vec::new();
    for r in json["resources"].as_array().unwrap() {
        json_instances(r, false, &mut ours);
    }
    let active = |v: Vec<Instance>| {
        let mut v: Vec<Instance> = v.into_iter().filter(|i| i.active).collect();
        v.sort();
        v
    };
    report(
        "active instances",
        format!("{:#?}", active(theirs)),
        format!("{:#?}", active(ours)),
    );

    // Node attributes of online nodes.
    let mut theirs = BTreeMap::new();
    if let Some(attrs) = xml.child("node_attributes") {
        for n in attrs.children_named("node") {
            let map: BTreeMap<String, String> = n
                .children_named("attribute")
                .map(|a| {
                    (
                        a.attr("name").unwrap().to_string(),
                        a.attr("value").unwrap().to_string(),
                    )
                })
                .collect();
            theirs.insert(n.attr("name").unwrap().to_string(), map);
        }
    }
    let mut ours = BTreeMap::new();
    for n in json["nodes"].as_array().unwrap() {
        let map: BTreeMap<String, String> = n["attributes"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        if n["online"] == Value::Bool(true) && !map.is_empty() {
            ours.insert(n["name"].as_str().unwrap().to_string(), map);
        }
    }
    report(
        "node attributes",
        format!("{theirs:?}"),
        format!("{ours:?}"),
    );

    // Failures.
    report(
        "failures",
        format!("{:?}", xml_failures(xml)),
        format!("{:?}", json_failures(json)),
    );

    // Fail counts, from crm_mon's node history.
    let mut theirs = Vec::new();
    if let Some(h) = xml.child("node_history") {
        for n in h.children_named("node") {
            for r in n.children_named("resource_history") {
                if let Some(fc) = r.attr("fail-count") {
                    let fc = if fc == "1000000" {
                        "INFINITY".to_string()
                    } else {
                        fc.to_string()
                    };
                    theirs.push(format!(
                        "{} {} {} threshold={}",
                        n.attr("name").unwrap(),
                        r.attr("id").unwrap(),
                        fc,
                        r.attr("migration-threshold").unwrap_or("")
                    ));
                }
            }
        }
    }
    let ours: Vec<String> = json["fail_counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let num = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
            let threshold = match num(&f["migration_threshold"]).as_str() {
                "INFINITY" => "1000000".to_string(),
                other => other.to_string(),
            };
            format!(
                "{} {} {} threshold={threshold}",
                f["node"].as_str().unwrap(),
                f["resource"].as_str().unwrap(),
                num(&f["count"])
            )
        })
        .collect();
    report("fail counts", format!("{theirs:?}"), format!("{ours:?}"));
    problems
}
