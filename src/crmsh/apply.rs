//! Puts parsed objects into a `<configuration>`: ids (inherited from the objects they replace,
//! else generated as crmsh does), group/clone members moved into their containers, and
//! every reference checked. The input configuration is never modified.

use super::ids;
use super::parse::{Object, OWN_SECTION};
use super::{ErrorKind, Located, ParseError};
use crate::cib::Element;
use std::collections::{HashMap, HashSet};

/// How the text combines with the current configuration, as `crm configure load`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Objects in the text replace those with the same id; properties and defaults are
    /// merged name by name; everything else stays.
    Update,
    /// The configuration becomes exactly the text.
    Replace,
}

const CONTAINERS: &[&str] = &["group", "clone", "master"];

/// Returns the configuration `current` becomes with `objects` loaded into it.
pub fn apply(
    current: &Element,
    objects: &[Object],
    mode: Mode,
    origin: &str,
) -> Result<Element, ParseError> {
    let reference = |o: &Object, l: Located| {
        let _ = o;
        ParseError::from_located(origin, l, ErrorKind::Reference)
    };
    // Existing resources, flattened: a container's member resources become placeholders.
    let mut old_pool: Vec<Element> = Vec::new();
    if let Some(res) = current.child("resources") {
        for r in &res.children {
            flatten(r, &mut old_pool);
        }
    }
    let old_of = |o: &Object| -> Option<Element> {
        let id = o.element.id();
        if o.section == "resources" {
            return old_pool.iter().find(|e| e.id() == id).cloned();
        }
        current
            .child(o.section)?
            .children
            .iter()
            .find(|e| e.id() == id && (o.section != "nodes" || e.name == "node"))
            .cloned()
    };

    // Ids in use: everything that stays, then each new object in turn.
    let replaced: HashSet<(&str, &str)> = objects
        .iter()
        .map(|o| (o.section, o.element.id()))
        .collect();
    let mut used = HashSet::new();
    if mode == Mode::Update {
        for sec in &current.children {
            if sec.name == "resources" {
                continue;
            }
            for e in &sec.children {
                let merged = matches!(
                    sec.name.as_str(),
                    "crm_config" | "rsc_defaults" | "op_defaults"
                );
                if merged || !replaced.contains(&(sec.name.as_str(), e.id())) {
                    collect_ids(e, &mut used);
                }
            }
        }
        for e in &old_pool {
            if !replaced.contains(&("resources", e.id())) {
                collect_ids(e, &mut used);
            }
        }
    }
    let mut new_objects: Vec<Element> = Vec::with_capacity(objects.len());
    for o in objects {
        let mut el = o.element.clone();
        if o.verbatim {
            collect_ids(&el, &mut used);
            new_objects.push(el);
            continue;
        }
        if let Some(old) = old_of(o) {
            ids::inherit(&mut el, &old);
        }
        ids::assign(&mut el, "", &mut used);
        new_objects.push(el);
    }

    let mut config = match mode {
        Mode::Update => current.clone(),
        Mode::Replace => {
            let mut c = Element::new("configuration");
            c.attrs = current.attrs.clone();
            for s in ["crm_config", "nodes", "resources", "constraints"] {
                c.children.push(Element::new(s));
            }
            c
        }
    };
    let mut pool = if mode == Mode::Update {
        old_pool.clone()
    } else {
        Vec::new()
    };
    for (o, el) in objects.iter().zip(new_objects) {
        if o.section == "resources" {
            match pool.iter_mut().find(|e| e.id() == el.id()) {
                Some(slot) => *slot = el,
                None => pool.push(el),
            }
            continue;
        }
        if o.section == OWN_SECTION {
            match config.children.iter_mut().find(|s| s.name == el.name) {
                Some(slot) => *slot = el,
                None => config.children.push(el),
            }
            continue;
        }
        let section = section_mut(&mut config, o.section);
        let merge = matches!(o.section, "crm_config" | "rsc_defaults" | "op_defaults")
            && mode == Mode::Update;
        match section
            .children
            .iter_mut()
            .find(|e| e.id() == el.id() && e.name == el.name)
        {
            Some(slot) if merge => merge_set(slot, el),
            Some(slot) => *slot = el,
            None => section.children.push(el),
        }
    }

    // Members go into their containers; a member must exist and belong to one container.
    let mut owner: HashMap<String, String> = HashMap::new();
    for e in &pool {
        for c in e.children.iter().filter(|c| c.name == "crmsh-ref") {
            let pos = objects
                .iter()
                .filter(|o| o.element.id() == e.id() && o.section == "resources")
                .flat_map(|o| o.refs.iter())
                .find(|r| r.member && r.id == c.id())
                .map(|r| (r.line, r.col))
                .unwrap_or((0, 0));
            let fail = |msg: String| {
                Err(ParseError::from_located(
                    origin,
                    Located::new(pos.0, pos.1, msg),
                    ErrorKind::Reference,
                ))
            };
            if !pool.iter().any(|p| p.id() == c.id()) {
                return fail(format!(
                    "{} '{}' contains '{}', which is not defined: add a primitive {} ...",
                    e.name,
                    e.id(),
                    c.id(),
                    c.id()
                ));
            }
            if c.id() == e.id() {
                return fail(format!("{} '{}' cannot contain itself", e.name, e.id()));
            }
            if let Some(first) = owner.insert(c.id().to_string(), e.id().to_string()) {
                return fail(format!(
                    "'{}' is already in '{first}': a resource belongs to one group or clone",
                    c.id()
                ));
            }
        }
    }
    let by_id: HashMap<&str, &Element> = pool.iter().map(|e| (e.id(), e)).collect();
    let mut resources: Vec<Element> = Vec::new();
    for e in pool.iter().filter(|e| !owner.contains_key(e.id())) {
        resources.push(nest(e, &by_id, 0));
    }
    section_mut(&mut config, "resources").children = resources;

    // Constraint and tag targets must be resources or tags.
    let mut known = HashSet::new();
    if let Some(res) = config.child("resources") {
        collect_resource_ids(res, &mut known);
    }
    if let Some(tags) = config.child("tags") {
        known.extend(tags.children.iter().map(|t| t.id().to_string()));
    }
    for o in objects {
        for r in o.refs.iter().filter(|r| !r.member) {
            if !known.contains(&r.id) {
                let mut names: Vec<&String> = known.iter().collect();
                names.sort();
                let hint = match names.iter().find(|n| n.eq_ignore_ascii_case(&r.id)) {
                    Some(n) => format!(" (did you mean '{n}'?)"),
                    None => String::new(),
                };
                return Err(reference(
                    o,
                    Located::new(
                        r.line,
                        r.col,
                        format!("'{}' is not a defined resource or tag{hint}", r.id),
                    ),
                ));
            }
        }
    }
    Ok(config)
}

fn flatten(e: &Element, pool: &mut Vec<Element>) {
    if CONTAINERS.contains(&e.name.as_str()) {
        let mut shallow = e.clone();
        let mut members = Vec::new();
        for c in &mut shallow.children {
            if is_resource(c) {
                members.push(std::mem::replace(
                    c,
                    Element::new("crmsh-ref").with_attr("id", c.id()),
                ));
            }
        }
        pool.push(shallow);
        for m in &members {
            flatten(m, pool);
        }
    } else {
        pool.push(e.clone());
    }
}

fn is_resource(e: &Element) -> bool {
    matches!(
        e.name.as_str(),
        "primitive" | "group" | "clone" | "master" | "bundle"
    )
}

/// Replaces placeholders by the member resources, recursively (depth-limited: a cycle of
/// containers is impossible once each member has one owner, but stay safe).
fn nest(e: &Element, by_id: &HashMap<&str, &Element>, depth: usize) -> Element {
    let mut out = e.clone();
    if depth > 8 {
        return out;
    }
    for c in &mut out.children {
        if c.name == "crmsh-ref" {
            if let Some(m) = by_id.get(c.id()) {
                *c = nest(m, by_id, depth + 1);
            }
        }
    }
    out
}

fn section_mut<'a>(config: &'a mut Element, name: &str) -> &'a mut Element {
    if config.child(name).is_none() {
        config.children.push(Element::new(name));
    }
    config.child_mut(name).expect("just added")
}

fn merge_set(slot: &mut Element, new: Element) {
    for (k, v) in &new.attrs {
        slot.set_attr(k, v.clone());
    }
    for c in new.children {
        if c.name == "nvpair" {
            if let Some(old) = slot
                .children
                .iter_mut()
                .find(|o| o.name == "nvpair" && o.attr("name") == c.attr("name"))
            {
                *old = c;
                continue;
            }
        }
        slot.children.push(c);
    }
}

fn collect_ids(e: &Element, used: &mut HashSet<String>) {
    if let Some(id) = e.attr("id") {
        used.insert(id.to_string());
    }
    for c in &e.children {
        collect_ids(c, used);
    }
}

fn collect_resource_ids(e: &Element, out: &mut HashSet<String>) {
    for c in &e.children {
        if is_resource(c) || c.name == "template" {
            out.insert(c.id().to_string());
        }
        collect_resource_ids(c, out);
    }
}
