//! A `<configuration>` printed as `crm configure show` prints it (crmsh 4.4's cliformat.py
//! and cibconfig.py): same order, same line breaks, same quoting.
//!
//! Two deliberate differences: roles use the Pacemaker 2.x names (Promoted/Unpromoted), and
//! an object the crm syntax cannot express faithfully (checked by parsing the text back)
//! is printed as an `xml` statement, as crmsh does for what it does not understand.

use super::{modern_role, parse};
use crate::cib::Element;

#[derive(Debug, Clone, Default)]
pub struct ShowOptions {
    /// Only these objects (resource, constraint, node, property-set ids); all when empty.
    pub only: Vec<String>,
}

struct Shown {
    rank: u32,
    id: String,
    text: String,
}

/// The configuration in crm syntax. Fails with the ids in `only` that name no object.
pub fn show(config: &Element, opts: &ShowOptions) -> Result<String, Vec<String>> {
    let objects = objects(config);
    let missing: Vec<String> = opts
        .only
        .iter()
        .filter(|id| !objects.iter().any(|(_, _, e)| obj_id(e) == id.as_str()))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let mut shown: Vec<Shown> = objects
        .iter()
        .filter(|(_, _, e)| opts.only.is_empty() || opts.only.iter().any(|id| id == obj_id(e)))
        .map(|(section, kind, e)| Shown {
            rank: rank(kind),
            id: obj_id(e).to_string(),
            text: object_text(section, kind, e),
        })
        .collect();
    shown.sort_by(|a, b| (a.rank, &a.id).cmp(&(b.rank, &b.id)));
    let mut out = String::new();
    for s in shown {
        out.push_str(&s.text);
        out.push('\n');
    }
    Ok(out)
}

/// The XML of the configuration, or of the named objects, as `cibadmin -Q` indents it.
pub fn show_xml(config: &Element, only: &[String]) -> Result<String, Vec<String>> {
    if only.is_empty() {
        return Ok(config.to_xml_pretty());
    }
    let objects = objects(config);
    let mut out = String::new();
    let mut missing = Vec::new();
    for id in only {
        match objects.iter().find(|(_, _, e)| obj_id(e) == id.as_str()) {
            Some((_, _, e)) => out.push_str(&e.to_xml_pretty()),
            None => missing.push(id.clone()),
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

fn obj_id(e: &Element) -> &str {
    e.attr("id").or_else(|| e.attr("uname")).unwrap_or(&e.name)
}

/// Every object crmsh lists: nodes, each resource (members of groups and clones too),
/// constraints, property and defaults sets, tags, and anything else as xml.
fn objects(config: &Element) -> Vec<(&str, &'static str, &Element)> {
    const KNOWN: &[&str] = &[
        "crm_config",
        "nodes",
        "resources",
        "constraints",
        "rsc_defaults",
        "op_defaults",
        "tags",
        "fencing-topology",
        "acls",
        "alerts",
    ];
    let mut out = Vec::new();
    for sec in &config.children {
        if !KNOWN.contains(&sec.name.as_str()) {
            out.push((super::parse::OWN_SECTION, "section", sec));
            continue;
        }
        for e in &sec.children {
            match (sec.name.as_str(), e.name.as_str()) {
                ("nodes", "node") => out.push(("nodes", "node", e)),
                ("resources", _) => resources(e, &mut out),
                ("constraints", "rsc_location") => out.push(("constraints", "location", e)),
                ("constraints", "rsc_colocation") => out.push(("constraints", "colocation", e)),
                ("constraints", "rsc_order") => out.push(("constraints", "order", e)),
                ("constraints", "rsc_ticket") => out.push(("constraints", "rsc_ticket", e)),
                ("crm_config", "cluster_property_set") => out.push(("crm_config", "property", e)),
                ("rsc_defaults", "meta_attributes") => {
                    out.push(("rsc_defaults", "rsc_defaults", e))
                }
                ("op_defaults", "meta_attributes") => out.push(("op_defaults", "op_defaults", e)),
                ("tags", "tag") => out.push(("tags", "tag", e)),
                _ => out.push((sec.name.as_str(), "other", e)),
            }
        }
    }
    out
}

fn resources<'a>(e: &'a Element, out: &mut Vec<(&'a str, &'static str, &'a Element)>) {
    let kind = match e.name.as_str() {
        "primitive" => "primitive",
        "group" => "group",
        "clone" => "clone",
        "master" => "ms",
        "template" => "rsc_template",
        "bundle" => "bundle",
        _ => "other",
    };
    out.push(("resources", kind, e));
    if matches!(kind, "group" | "clone" | "ms") {
        for c in &e.children {
            if is_child_rsc(c) {
                resources(c, out);
            }
        }
    }
}

fn is_child_rsc(e: &Element) -> bool {
    matches!(e.name.as_str(), "primitive" | "group" | "clone" | "master")
}

fn rank(kind: &str) -> u32 {
    match kind {
        "node" => 0,
        "rsc_template" => 1,
        "primitive" => 2,
        "bundle" => 3,
        "group" => 4,
        "ms" => 5,
        "clone" => 6,
        "tag" => 8,
        "location" | "colocation" | "order" => 9,
        "rsc_ticket" => 10,
        "property" => 11,
        "rsc_defaults" => 12,
        "op_defaults" => 13,
        _ => 1000,
    }
}

/// The object in crm syntax if that reads back to the same element, else as xml.
fn object_text(section: &str, kind: &str, e: &Element) -> String {
    if let Some(text) = cli(kind, e) {
        if let Ok(objs) = parse(&text, "") {
            if objs.len() == 1 && objs[0].section == section && same(&objs[0].element, e, true) {
                return text;
            }
        }
    }
    xml_statement(e)
}

fn xml_statement(e: &Element) -> String {
    let pretty = e.to_xml_pretty();
    let lines: Vec<&str> = pretty.lines().filter(|l| !l.is_empty()).collect();
    format!("xml {}", lines.join(" \\\n"))
}

/// Equivalent elements, ignoring generated ids below the top, role spellings, the default
/// `boolean-op`, and with group/clone members compared by id.
fn same(parsed: &Element, orig: &Element, top: bool) -> bool {
    if parsed.name == "crmsh-ref" {
        return is_child_rsc(orig) && parsed.id() == orig.id();
    }
    if parsed.name != orig.name {
        return false;
    }
    let norm = |e: &Element| {
        let mut a: Vec<(String, String)> = e
            .attrs
            .iter()
            .filter(|(k, v)| {
                (top || k != "id")
                    && !(k == "boolean-op" && v == "and")
                    && !(e.name == "expression" && k == "type" && v == "string")
            })
            .map(|(k, v)| {
                let v = if matches!(k.as_str(), "role" | "rsc-role" | "with-rsc-role") {
                    modern_role(v).to_string()
                } else {
                    v.clone()
                };
                (k.clone(), v)
            })
            .collect();
        a.sort();
        a
    };
    if norm(parsed) != norm(orig) {
        return false;
    }
    if !parsed.text.trim().is_empty() || !orig.text.trim().is_empty() {
        return false;
    }
    parsed.children.len() == orig.children.len()
        && parsed
            .children
            .iter()
            .zip(&orig.children)
            .all(|(p, o)| same(p, o, false))
}

// ---- crmsh's cliformat.py -------------------------------------------------------------

fn noquotes(v: &str) -> bool {
    !v.is_empty()
        && v.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn quote_wrap(v: &str) -> String {
    if noquotes(v) {
        v.to_string()
    } else {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn nvpair_format(n: &str, v: Option<&str>) -> String {
    match v {
        None => n.to_string(),
        Some(v) => format!("{n}={}", quote_wrap(v)),
    }
}

fn cli_nvpair(nvp: &Element) -> String {
    if let Some(r) = nvp.attr("id-ref") {
        return match nvp.attr("name") {
            Some(n) => format!("@{r}:{n}"),
            None => format!("@{r}"),
        };
    }
    let name = nvp.attr("name").unwrap_or("");
    let value = nvp.attr("value").map(|v| {
        if name == "target-role" {
            modern_role(v)
        } else {
            v
        }
    });
    nvpair_format(name, value)
}

fn attr_set_str(keyword: &str, set: &Element) -> String {
    let mut ret = format!("{keyword} ");
    if let Some(r) = set.attr("id-ref") {
        ret.push_str(&format!("{} ", nvpair_format("$id-ref", Some(r))));
    }
    if let Some(s) = set.attr("score") {
        ret.push_str(&format!("{s}: "));
    }
    for c in set.children_named("rule") {
        ret.push_str(&format!("rule {} ", cli_rule(c)));
    }
    for c in set.children_named("nvpair") {
        ret.push_str(&format!("{} ", cli_nvpair(c)));
    }
    ret.truncate(ret.trim_end_matches(' ').len());
    ret
}

fn get_score(e: &Element) -> String {
    match e.attr("score") {
        Some(s) if !s.is_empty() => s.replace("INFINITY", "inf"),
        _ => e.attr("score-attribute").unwrap_or("").to_string(),
    }
}

fn cli_rule(r: &Element) -> String {
    if let Some(idref) = r.attr("id-ref") {
        return nvpair_format("$id-ref", Some(idref));
    }
    let mut s = Vec::new();
    if let Some(role) = r.attr("role") {
        s.push(nvpair_format("$role", Some(modern_role(role))));
    }
    if r.attr("score") != Some("INFINITY") {
        let score = get_score(r);
        if !score.is_empty() {
            s.push(format!("{score}:"));
        }
    }
    let op = format!(" {} ", r.attr("boolean-op").unwrap_or("and"));
    let exps: Vec<String> = r
        .children
        .iter()
        .filter_map(|c| match c.name.as_str() {
            "expression" => Some(exp2cli(c)),
            "date_expression" => Some(date_exp2cli(c)),
            _ => None,
        })
        .collect();
    s.push(exps.join(&op));
    s.join(" ")
}

fn exp2cli(e: &Element) -> String {
    let mut op = e.attr("operation").unwrap_or("").to_string();
    if let Some(t) = e.attr("type").filter(|t| *t != "string") {
        op = format!("{t}:{op}");
    }
    let attr = e.attr("attribute").unwrap_or("");
    match e.attr("value").filter(|v| !v.is_empty()) {
        None => format!("{op} {attr}"),
        Some(v) => match e.attr("value-source").filter(|s| *s != "literal") {
            None => format!("{attr} {op} {v}"),
            Some(src) => format!("{attr} {op} {src}{{{v}}}"),
        },
    }
}

fn date_exp2cli(e: &Element) -> String {
    let op = e.attr("operation").unwrap_or("");
    let kw = match op {
        "in_range" => "in",
        "date_spec" => "spec",
        o => o,
    };
    let mut l = vec!["date".to_string(), kw.to_string()];
    if matches!(op, "lt" | "gt") {
        let v = e
            .attr(if op == "lt" { "end" } else { "start" })
            .unwrap_or("");
        l.push(quote_wrap(v));
    } else {
        if op == "in_range" {
            for n in ["start", "end"] {
                if let Some(v) = e.attr(n) {
                    l.push(nvpair_format(n, Some(v)));
                }
            }
        }
        for c in &e.children {
            if matches!(c.name.as_str(), "duration" | "date_spec") {
                l.extend(
                    c.attrs
                        .iter()
                        .filter(|(k, _)| k != "id")
                        .map(|(k, v)| nvpair_format(k, Some(v))),
                );
            }
        }
    }
    l.join(" ")
}

fn head_id_format(id: &str) -> String {
    if noquotes(id) {
        format!("{id}:")
    } else {
        format!("$id=\"{id}\"")
    }
}

fn rsc_type(e: &Element) -> String {
    let typ = e.attr("type").unwrap_or("");
    let class = e.attr("class");
    let provider = e.attr("provider");
    let unique = (class.is_none() && provider.is_none())
        || (class == Some("ocf") && provider.is_none())
        || provider == Some("heartbeat");
    if unique {
        return typ.to_string();
    }
    let mut s = String::new();
    for part in [class, provider].into_iter().flatten() {
        s.push_str(part);
        s.push(':');
    }
    s + typ
}

fn rsc_set_constraint(e: &Element, kind: &str) -> Vec<String> {
    let mut col = Vec::new();
    let mut cnt = 0;
    let (mut sequential, mut require_all) = (None, None);
    let boolean = |v: Option<&str>| {
        v.map(|v| {
            matches!(
                v.to_ascii_lowercase().as_str(),
                "true" | "yes" | "on" | "1" | "y"
            )
        })
    };
    for s in e.children_named("resource_set") {
        sequential = boolean(s.attr("sequential"));
        require_all = boolean(s.attr("require-all"));
        if require_all == Some(false) {
            col.push("[".to_string());
        } else if sequential == Some(false) {
            col.push("(".to_string());
        }
        let q = if kind == "order" {
            s.attr("action")
        } else {
            s.attr("role").map(modern_role)
        };
        for r in s.children_named("resource_ref") {
            col.push(match q {
                Some(q) => format!("{}:{q}", r.id()),
                None => r.id().to_string(),
            });
            cnt += 1;
        }
        if require_all == Some(false) {
            if sequential != Some(false) {
                col.push("sequential=true".into());
            }
            col.push("]".into());
        } else if sequential == Some(false) {
            col.push(")".into());
        }
    }
    let ticket = kind == "rsc_ticket";
    let seq_all = sequential != Some(false) && require_all != Some(false);
    if kind != "location" && ((seq_all && !ticket && cnt <= 2) || (ticket && cnt <= 1)) {
        col.insert(0, "_rsc_set_".into());
    }
    col
}

fn rsc_role(e: &Element, n: &str, suffix: &str) -> String {
    let rsc = e.attr(n).unwrap_or("");
    match e
        .attr(&format!("{n}-{suffix}"))
        .or_else(|| e.attr(&format!("{n}-instance")))
    {
        Some(q) if suffix == "role" => format!("{rsc}:{}", modern_role(q)),
        Some(q) => format!("{rsc}:{q}"),
        None => rsc.to_string(),
    }
}

fn cli_format(l: &[String]) -> String {
    l.join(" \\\n\t")
}

/// The crm text of one object, or None when crm syntax has no form for it.
fn cli(kind: &str, e: &Element) -> Option<String> {
    let id = e.id();
    let head = match kind {
        "node" => {
            let uname = e.attr("uname")?;
            let mut s = "node".to_string();
            if id != uname {
                if noquotes(id) {
                    s = format!("{s} {id}:");
                } else {
                    s = format!("{s} $id=\"{id}\"");
                }
            }
            s = format!("{s} {uname}");
            match e.attr("type") {
                Some(t) if t != "member" => format!("{s}:{t}"),
                _ => s,
            }
        }
        "primitive" => match e.attr("template") {
            Some(t) => format!("primitive {id} @{t}"),
            None => format!("primitive {id} {}", rsc_type(e)),
        },
        "group" | "clone" | "ms" => {
            let children: Vec<&str> = e
                .children
                .iter()
                .filter(|c| is_child_rsc(c))
                .map(|c| c.id())
                .collect();
            format!("{kind} {id} {}", children.join(" "))
        }
        "location" => {
            let rsc = if let Some(r) = e.attr("rsc") {
                r.to_string()
            } else if let Some(p) = e.attr("rsc-pattern") {
                format!("/{p}/")
            } else if e.child("resource_set").is_some() {
                format!("{{ {} }}", rsc_set_constraint(e, "location").join(" "))
            } else {
                return None;
            };
            let mut s = format!("location {id} {rsc}");
            if let Some(r) = e.attr("role") {
                s.push_str(&format!(" role={}", modern_role(r)));
            }
            if let Some(r) = e.attr("resource-discovery") {
                s.push_str(&format!(" resource-discovery={r}"));
            }
            if let Some(n) = e.attr("node") {
                s = format!("{s} {}: {n}", get_score(e));
            }
            s
        }
        "colocation" | "order" => {
            let score = match get_score(e) {
                s if s.is_empty() => e.attr("kind").unwrap_or("").to_string(),
                s => s,
            };
            let mut col = if e.child("resource_set").is_some() {
                rsc_set_constraint(e, kind)
            } else if kind == "colocation" {
                vec![rsc_role(e, "rsc", "role"), rsc_role(e, "with-rsc", "role")]
            } else {
                vec![
                    rsc_role(e, "first", "action"),
                    rsc_role(e, "then", "action"),
                ]
            };
            if kind == "order" {
                if let Some(s) = e.attr("symmetrical") {
                    col.push(format!("symmetrical={s}"));
                }
            } else if let Some(a) = e.attr("node-attribute") {
                col.push(format!("node-attribute={a}"));
            }
            let mut s = format!("{kind} {id} ");
            if !score.is_empty() {
                s.push_str(&format!("{score}: "));
            }
            s + &col.join(" ")
        }
        "rsc_ticket" => {
            let mut col = if e.child("resource_set").is_some() {
                rsc_set_constraint(e, kind)
            } else {
                vec![rsc_role(e, "rsc", "role")]
            };
            if let Some(lp) = e.attr("loss-policy") {
                col.push(format!("loss-policy={lp}"));
            }
            format!("rsc_ticket {id} {}: {}", e.attr("ticket")?, col.join(" "))
        }
        "property" | "rsc_defaults" | "op_defaults" => format!("{kind} {}", head_id_format(id)),
        "tag" => {
            let mut l = vec!["tag".to_string(), id.to_string()];
            l.extend(e.children.iter().map(|c| c.id().to_string()));
            l.join(" ")
        }
        _ => return None,
    };
    let mut l = vec![head];
    if let Some(d) = e.attr("description") {
        l.push(nvpair_format("description", Some(d)));
    }
    for c in &e.children {
        let item = match (kind, c.name.as_str()) {
            ("node", "instance_attributes") => attr_set_str("attributes", c),
            ("node", "utilization") | ("primitive", "utilization") => {
                attr_set_str("utilization", c)
            }
            ("primitive" | "group" | "clone" | "ms", "instance_attributes") => {
                attr_set_str("params", c)
            }
            ("primitive" | "group" | "clone" | "ms", "meta_attributes") => attr_set_str("meta", c),
            ("primitive", "operations") => {
                let mut ops = Vec::new();
                if let Some(oid) = c.attr("id") {
                    ops.push(format!("operations {}", nvpair_format("$id", Some(oid))));
                }
                for op in &c.children {
                    ops.push(op_cli(op)?);
                }
                cli_format(&ops)
            }
            ("location", "rule") => format!("rule {}", cli_rule(c)),
            ("property" | "rsc_defaults" | "op_defaults", "rule") => {
                format!("rule {}", cli_rule(c))
            }
            ("property" | "rsc_defaults" | "op_defaults", "nvpair") => cli_nvpair(c),
            (_, "resource_set" | "obj_ref") => continue,
            (_, n) if is_child_rsc(c) && matches!(kind, "group" | "clone" | "ms") => {
                let _ = n;
                continue;
            }
            _ => continue,
        };
        l.push(item);
    }
    Some(cli_format(&l))
}

fn op_cli(op: &Element) -> Option<String> {
    let name = op.attr("name")?;
    let mut head = vec![format!("op {name}")];
    for (k, v) in &op.attrs {
        if k == "name" || k == "id" {
            continue;
        }
        let v = if k == "role" { modern_role(v) } else { v };
        head.push(nvpair_format(k, Some(v)));
    }
    let mut l = vec![head.join(" ")];
    for c in &op.children {
        match c.name.as_str() {
            "instance_attributes" => l.push(attr_set_str("op_params", c)),
            "meta_attributes" => l.push(attr_set_str("op_meta", c)),
            _ => {}
        }
    }
    Some(cli_format(&l))
}
