//! Syntax Pacemaker deprecates or no longer honours (PG301-PG305): group `ordered` /
//! `collocated`, the `<master>` element, Master/Slave role names, `master-max`, renamed
//! cluster properties. Reads the raw tree where the typed model already normalised names.

use super::{Finding, Input, Severity};
use crate::cib::{Element, Resource};

/// Old cluster property names and what replaced them.
const RENAMED_PROPERTIES: &[(&str, &str)] = &[
    ("crmd-transition-delay", "transition-delay"),
    ("crmd-integration-timeout", "join-integration-timeout"),
    ("crmd-finalization-timeout", "join-finalization-timeout"),
    (
        "default-resource-stickiness",
        "resource-stickiness in rsc_defaults",
    ),
    ("is-managed-default", "is-managed in rsc_defaults"),
    ("default-action-timeout", "timeout in op_defaults"),
];

/// Old clone meta attribute names and their replacement (Pacemaker 2.0).
const RENAMED_META: &[(&str, &str)] = &[
    ("master-max", "promoted-max"),
    ("master-node-max", "promoted-node-max"),
];

/// Attributes that hold a role.
const ROLE_ATTRS: &[&str] = &["role", "rsc-role", "with-rsc-role"];

pub fn check(input: &Input, out: &mut Vec<Finding>) {
    let cib = input.cib;

    // PG301: group meta attributes.
    for r in &cib.resources {
        let Resource::Group(g) = r else { continue };
        for set in &g.meta.sets {
            for (name, value) in &set.pairs {
                match name.as_str() {
                    "ordered" | "collocated" => out.push(Finding::new(
                        Severity::Warning,
                        "PG301",
                        &g.id,
                        format!(
                            "Group {} sets {name}={value}: deprecated since Pacemaker 2.1.5 and ignored from 3.0{}.",
                            g.id,
                            if crate::cib::is_true(value) { " (true is the default anyway)" } else { ", so its members will again start in order on one node" }
                        ),
                        format!(
                            "`crm_resource --resource {} --meta --delete-parameter {name}`; for unordered or spread members use separate resources with a resource set constraint instead of a group.",
                            g.id
                        ),
                    )),
                    "colocated" | "colocation" => out.push(Finding::new(
                        Severity::Warning,
                        "PG301",
                        &g.id,
                        format!("Group {} sets {name}, which no Pacemaker version reads (the old option was spelled collocated): it has no effect.", g.id),
                        format!("`crm_resource --resource {} --meta --delete-parameter {name}`.", g.id),
                    )),
                    _ => {}
                }
            }
        }
    }

    let Some(config) = cib.tree.child("configuration") else {
        return;
    };

    // PG302: the <master> element.
    if let Some(resources) = config.child("resources") {
        for m in resources.children_named("master") {
            out.push(Finding::new(
                Severity::Warning,
                "PG302",
                m.id(),
                format!("{} uses the <master> element, deprecated since Pacemaker 2.0 and removed in 3.0.", m.id()),
                format!("Rewrite it as <clone id=\"{}\"> with meta promotable=true (crmsh 4.x: `crm configure edit`, or `cibadmin --upgrade` after editing); pcs: `pcs resource promotable`.", m.id()),
            ));
        }
    }

    // PG303 / PG304: role names and meta names anywhere in the configuration.
    walk(config, &mut |e| {
        for (attr, value) in &e.attrs {
            let new = match value.as_str() {
                "Master" => "Promoted",
                "Slave" => "Unpromoted",
                _ => continue,
            };
            if ROLE_ATTRS.contains(&attr.as_str()) {
                out.push(Finding::new(
                    Severity::Warning,
                    "PG303",
                    e.id(),
                    format!("{} <{}> says {attr}=\"{value}\": the Master/Slave role names are deprecated since Pacemaker 2.1 and rejected by 3.0.", e.id(), e.name),
                    format!("`cibadmin --modify --xml-text '<{} id=\"{}\" {attr}=\"{new}\"/>'`.", e.name, e.id()),
                ));
            }
        }
        if e.name == "nvpair" {
            let (name, value) = (e.attr("name").unwrap_or(""), e.attr("value").unwrap_or(""));
            if name == "target-role" && matches!(value, "Master" | "Slave") {
                let new = if value == "Master" {
                    "Promoted"
                } else {
                    "Unpromoted"
                };
                out.push(Finding::new(
                    Severity::Warning,
                    "PG303",
                    e.id(),
                    format!("{} sets target-role={value}: the Master/Slave role names are deprecated since Pacemaker 2.1 and rejected by 3.0.", e.id()),
                    format!("`cibadmin --modify --xml-text '<nvpair id=\"{}\" value=\"{new}\"/>'`.", e.id()),
                ));
            }
            if let Some((_, new)) = RENAMED_META.iter().find(|(old, _)| *old == name) {
                out.push(Finding::new(
                    Severity::Warning,
                    "PG304",
                    e.id(),
                    format!("{} uses the meta attribute {name}, deprecated since Pacemaker 2.0 in favour of {new} and not read by 3.0."  , e.id()),
                    format!("`cibadmin --modify --xml-text '<nvpair id=\"{}\" name=\"{new}\"/>'`.", e.id()),
                ));
            }
        }
    });

    // PG305: renamed cluster properties.
    for set in &cib.crm_config.sets {
        for (name, _) in &set.pairs {
            if let Some((_, new)) = RENAMED_PROPERTIES.iter().find(|(old, _)| old == name) {
                out.push(Finding::new(
                    Severity::Warning,
                    "PG305",
                    name.as_str(),
                    format!("Cluster property {name} is a deprecated name; current Pacemaker reads {new}."),
                    format!("Move the value to {new} and `crm_attribute --type crm_config --name {name} --delete`."),
                ));
            }
        }
    }
}

fn walk<'a>(e: &'a Element, f: &mut dyn FnMut(&'a Element)) {
    f(e);
    for c in &e.children {
        walk(c, f);
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;

    #[test]
    fn pg301_group_ordered() {
        assert!(has("group-ordered-false.xml", "PG301"));
        assert!(!has("clean.xml", "PG301"));
        assert!(!ids(&runbook()).contains(&"PG301"));
    }

    #[test]
    fn pg302_pg303_pg304_legacy_master() {
        let legacy = format!(
            "{}/tests/fixtures/cib/runbook-legacy-master.xml",
            env!("CARGO_MANIFEST_DIR")
        );
        let cib = crate::cib::Cib::parse(&std::fs::read_to_string(legacy).unwrap()).unwrap();
        let ids = ids(&cib);
        for r in ["PG302", "PG303", "PG304"] {
            assert!(ids.contains(&r), "{r}: {ids:?}");
            assert!(!has("clean.xml", r), "{r}");
        }
    }

    #[test]
    fn pg305_renamed_property() {
        assert!(has("switches-left-on.xml", "PG305"));
        assert!(!has("clean.xml", "PG305"));
    }
}
