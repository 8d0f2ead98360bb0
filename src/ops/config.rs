//! `config show`, `config check` and `config load`: the configuration in crm shell syntax,
//! and the plan of loading a crm file: one CIB change (built on the CIB as read, so the
//! write path refuses it if the CIB moved), its diff, and `verify`'s findings on the CIB it
//! would produce. Deciding whether to apply (errors, --force, confirmation) is the caller's.

use crate::cib::change::ElementPath;
use crate::cib::{Cib, Element};
use crate::cluster::Cluster;
use crate::crmsh::{self, Mode, ShowOptions};
use crate::ops::plan::Plan;
use crate::ops::verify::{self, VerifyOptions, VerifyReport};
use crate::{Error, Result};

/// The configuration section of the cluster's CIB.
fn configuration(cluster: &dyn Cluster) -> Result<Element> {
    let cib = cluster.query_cib()?;
    Ok(cib
        .tree
        .child("configuration")
        .cloned()
        .unwrap_or_else(|| Element::new("configuration")))
}

fn no_such(missing: Vec<String>) -> Error {
    Error::NoSuch {
        kind: "configuration object",
        name: missing.join(", "),
        hint: " (give a resource, constraint, node or property-set id as `config show` lists them)"
            .into(),
    }
}

/// The configuration (or the objects `only` names) in crm syntax, or as XML.
pub fn show(cluster: &dyn Cluster, only: &[String], xml: bool) -> Result<String> {
    let config = configuration(cluster)?;
    if xml {
        return crmsh::show_xml(&config, only).map_err(no_such);
    }
    crmsh::show(
        &config,
        &ShowOptions {
            only: only.to_vec(),
        },
    )
    .map_err(no_such)
}

/// What a crm file holds once translated, checked on its own (every reference defined in it).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckReport {
    pub origin: String,
    /// `(keyword, id)` of each object, in file order.
    pub objects: Vec<(String, String)>,
    /// The configuration section the file translates to.
    pub xml: String,
}

pub fn check(text: &str, origin: &str) -> Result<CheckReport> {
    let objects = crmsh::parse(text, origin)?;
    let config = crmsh::apply(
        &Element::new("configuration"),
        &objects,
        Mode::Replace,
        origin,
    )?;
    Ok(CheckReport {
        origin: origin.to_string(),
        objects: objects
            .iter()
            .map(|o| (o.element.name.clone(), o.element.id().to_string()))
            .collect(),
        xml: config.to_xml_pretty(),
    })
}

/// What loading a crm file into the cluster would do.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoadPlan {
    pub origin: String,
    pub replace: bool,
    pub objects: usize,
    /// One line per configuration object created, changed or deleted (`create primitive
    /// extra`), in section order.
    pub actions: Vec<String>,
    /// A unified diff of the configuration section (pretty XML), empty when nothing changes.
    pub diff: String,
    /// `verify`'s rules on the CIB as it would be after the load.
    pub verify: VerifyReport,
    /// The `(rule, object)` of the findings the current CIB has already: what the load
    /// neither causes nor fixes.
    #[serde(skip)]
    pub known: Vec<(&'static str, String)>,
    /// The change, built on the CIB as read.
    #[serde(skip)]
    pub plan: Plan,
}

impl LoadPlan {
    pub fn changes(&self) -> bool {
        !self.plan.change.is_empty()
    }
}

pub fn plan_load(
    cluster: &dyn Cluster,
    text: &str,
    origin: &str,
    mode: Mode,
    checks: &VerifyOptions,
) -> Result<LoadPlan> {
    let objects = crmsh::parse(text, origin)?;
    let base = cluster.query_cib()?;
    let before = base
        .tree
        .child("configuration")
        .cloned()
        .unwrap_or_else(|| Element::new("configuration"));
    let after = crmsh::apply(&before, &objects, mode, origin)?;
    let mut plan = Plan::new(base);
    plan.change
        .transform(&ElementPath::section(&["configuration"]), &before, &after);
    let mut tree = plan.base.tree.clone();
    plan.change
        .apply_to(&mut tree)
        .map_err(|e| Error::Usage(format!("{}: {e}", cluster.origin())))?;
    let result = Cib::from_tree(tree)
        .map_err(|e| Error::from(e).in_document(format!("the CIB after loading {origin}")))?;
    let verify = verify::verify_cib(
        &result,
        format!("{} after loading {origin}", cluster.origin()),
        checks,
        None,
    )?;
    let known = verify::verify_cib(&plan.base, cluster.origin(), checks, None)?
        .findings
        .into_iter()
        .map(|f| (f.rule, f.object))
        .collect();
    let actions = object_changes(&before, &after);
    plan.actions = actions.clone();
    let (a, b) = (before.to_xml_pretty(), after.to_xml_pretty());
    let diff = if a == b {
        String::new()
    } else {
        similar::TextDiff::from_lines(&a, &b)
            .unified_diff()
            .context_radius(3)
            .header(
                &format!("{} (now)", cluster.origin()),
                &format!("after loading {origin}"),
            )
            .to_string()
    };
    Ok(LoadPlan {
        origin: origin.to_string(),
        replace: mode == Mode::Replace,
        objects: objects.len(),
        actions,
        diff,
        verify,
        known,
        plan,
    })
}

/// The configuration objects (children of the sections) created, changed or deleted, for
/// people: `create primitive extra`, `change clone msPostgresql`, `delete rsc_location l1`.
fn object_changes(before: &Element, after: &Element) -> Vec<String> {
    let empty = Element::default();
    let mut names: Vec<&str> = after.children.iter().map(|s| s.name.as_str()).collect();
    for s in &before.children {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    let mut out = Vec::new();
    for name in names {
        let b = before.child(name).unwrap_or(&empty);
        let a = after.child(name).unwrap_or(&empty);
        let label = |e: &Element| {
            if e.id().is_empty() {
                e.name.clone()
            } else {
                format!("{} {}", e.name, e.id())
            }
        };
        let same = |x: &Element, y: &Element| x.name == y.name && x.id() == y.id();
        for e in &a.children {
            match b.children.iter().find(|o| same(o, e)) {
                None => out.push(format!("create {}", label(e))),
                Some(o) if o != e => out.push(format!("change {}", label(e))),
                Some(_) => {}
            }
        }
        for o in &b.children {
            if !a.children.iter().any(|e| same(o, e)) {
                out.push(format!("delete {}", label(o)));
            }
        }
    }
    out
}
