//! `config show`, `config check` and `config load --dry-run`: the configuration in crm shell
//! syntax and what loading a crm file would change. Never writes to the cluster (the CIB
//! write path lands with issue 5; `load` only plans until then).

use crate::cib::Element;
use crate::cluster::Cluster;
use crate::crmsh::{self, Mode, ShowOptions};
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
    /// A unified diff of the configuration section (pretty XML), empty when nothing changes.
    pub diff: String,
    /// The configuration after the load.
    #[serde(skip)]
    pub after: Element,
}

impl LoadPlan {
    pub fn changes(&self) -> bool {
        !self.diff.is_empty()
    }
}

pub fn plan_load(cluster: &dyn Cluster, text: &str, origin: &str, mode: Mode) -> Result<LoadPlan> {
    let objects = crmsh::parse(text, origin)?;
    let before = configuration(cluster)?;
    let after = crmsh::apply(&before, &objects, mode, origin)?;
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
        diff,
        after,
    })
}
