//! The ids crmsh gives to what a crm text leaves without one.
//!
//! crmsh (idmgmt.py) derives each id from the nearest ancestor's id: `<rsc>-instance_attributes`,
//! `<set>-<name>` for nvpairs, `<rsc>-<op>-<interval>` for ops, `<constraint>-rule`,
//! `<rule>-expression`, and appends `-0`, `-1`... when the id is taken. An object that
//! replaces an existing one first takes the ids of the matching old elements (crmsh's
//! `lookup_node`), so `show` then `load` of an unchanged object changes no id.

use crate::cib::Element;
use std::collections::HashSet;

/// Elements that never get an id.
fn needs_id(e: &Element) -> bool {
    !matches!(
        e.name.as_str(),
        "resource_ref" | "obj_ref" | "crmsh-ref" | "operations"
    ) && e.attr("id-ref").is_none()
}

fn subprefix(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "instance_attributes" => "instance_attributes",
        "meta_attributes" => "meta_attributes",
        "utilization" => "utilization",
        "rule" => "rule",
        "expression" | "date_expression" => "expression",
        "duration" => "duration",
        "date_spec" => "date_spec",
        _ => return None,
    })
}

/// Gives ids to `el` and its descendants as crmsh would, recording every id in `used`.
pub fn assign(el: &mut Element, prefix: &str, used: &mut HashSet<String>) {
    if needs_id(el) {
        match el.attr("id").map(str::to_string) {
            Some(id) => {
                used.insert(id);
            }
            None => {
                let id = new_id(el, prefix, used);
                el.attrs.insert(0, ("id".into(), id));
            }
        }
    }
    let next = match (el.name.as_str(), el.attr("uname")) {
        ("node", Some(u)) => u.to_string(),
        _ => el.attr("id").unwrap_or(prefix).to_string(),
    };
    for c in &mut el.children {
        assign(c, &next, used);
    }
}

fn new_id(el: &Element, prefix: &str, used: &mut HashSet<String>) -> String {
    let prefix =
        if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) && el.name != "node" {
            format!("num-{prefix}")
        } else {
            prefix.to_string()
        };
    let name = el.attr("name").unwrap_or("");
    let mut id = match el.name.as_str() {
        "nvpair" => format!("{prefix}-{name}"),
        "op" => match el.attr("interval") {
            Some(i) => format!("{prefix}-{name}-{i}"),
            None => format!("{prefix}-{name}"),
        },
        tag => match subprefix(tag) {
            Some(s) => format!("{prefix}-{s}"),
            None => prefix,
        },
    };
    if used.contains(&id) {
        if let Some(free) = (0..99)
            .map(|n| format!("{id}-{n}"))
            .find(|c| !used.contains(c))
        {
            id = free;
        }
    }
    used.insert(id.clone());
    id
}

/// Copies ids from `old` into the elements of `new` that have none, matching children by
/// tag and key: nvpairs by name, ops by name, interval and role, other elements by their
/// rank among siblings of the same tag.
pub fn inherit(new: &mut Element, old: &Element) {
    if new.attr("id").is_none() && needs_id(new) {
        if let Some(id) = old.attr("id") {
            new.attrs.insert(0, ("id".into(), id.to_string()));
        }
    }
    // Same attribute order as before, so an unchanged object shows no change at all.
    new.attrs.sort_by_key(|(k, _)| {
        old.attrs
            .iter()
            .position(|(o, _)| o == k)
            .unwrap_or(usize::MAX)
    });
    // crmsh drops these defaults when it reads the CIB; keep them where they were.
    for (tag, attr, default) in [
        ("rule", "boolean-op", "and"),
        ("expression", "type", "string"),
    ] {
        if new.name == tag && new.attr(attr).is_none() && old.attr(attr) == Some(default) {
            new.set_attr(attr, default);
        }
    }
    let mut rank: std::collections::HashMap<String, usize> = Default::default();
    for c in &mut new.children {
        let n = rank.entry(c.name.clone()).or_default();
        let matched = match c.name.as_str() {
            "nvpair" => old
                .children
                .iter()
                .find(|o| o.name == "nvpair" && o.attr("name") == c.attr("name")),
            "op" => old.children.iter().find(|o| {
                o.name == "op"
                    && ["name", "interval", "role"]
                        .iter()
                        .all(|k| o.attr(k).map(super::modern_role) == c.attr(k))
            }),
            tag => old.children.iter().filter(|o| o.name == tag).nth(*n),
        };
        *n += 1;
        if let Some(o) = matched {
            inherit(c, o);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crmsh_style_ids() {
        let mut used = HashSet::new();
        let mut loc = Element::new("rsc_location").with_attr("id", "l");
        for _ in 0..2 {
            let mut r = Element::new("rule");
            r.children.push(Element::new("expression"));
            r.children.push(Element::new("date_expression"));
            loc.children.push(r);
        }
        assign(&mut loc, "", &mut used);
        let ids: Vec<&str> = loc
            .children
            .iter()
            .flat_map(|r| std::iter::once(r.id()).chain(r.children.iter().map(|e| e.id())))
            .collect();
        assert_eq!(
            ids,
            [
                "l-rule",
                "l-rule-expression",
                "l-rule-expression-0",
                "l-rule-0",
                "l-rule-0-expression",
                "l-rule-0-expression-0"
            ]
        );
        let mut set = Element::new("instance_attributes");
        set.children
            .push(Element::new("nvpair").with_attr("name", "ip"));
        let mut node = Element::new("node")
            .with_attr("id", "1")
            .with_attr("uname", "n1");
        node.children.push(set);
        assign(&mut node, "", &mut used);
        assert_eq!(node.children[0].id(), "n1-instance_attributes");
        assert_eq!(
            node.children[0].children[0].id(),
            "n1-instance_attributes-ip"
        );
    }
}
