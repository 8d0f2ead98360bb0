//! `attribute get`: one attribute's value, read the way `crm_attribute -G` reads it: a cluster
//! property (`crm_config`), a permanent node attribute (`nodes`, lifetime `forever`) or a
//! transient one (`status`, lifetime `reboot`, what attrd writes, e.g. `pgsql-status`).
//!
//! Reads only; setting and deleting attributes belong to the node commands.

use crate::cib::Cib;
use crate::cluster::Cluster;
use crate::{Error, Result};
use serde::Serialize;

/// Where a node attribute lives, in `crm_attribute --lifetime` terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lifetime {
    /// `status/node_state/transient_attributes`: gone when the node leaves the cluster.
    Reboot,
    /// `configuration/nodes/node/instance_attributes`.
    Forever,
}

/// Which attribute to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrQuery {
    /// A cluster property (`crm_config`), e.g. `stonith-enabled`.
    Property { name: String },
    /// A node attribute.
    Node {
        name: String,
        node: String,
        lifetime: Lifetime,
    },
}

/// The value found, with where it was found (the JSON of `attribute get`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttrValue {
    pub name: String,
    /// `crm_config`, `nodes` or `status`, as crm_attribute's `scope=`.
    pub scope: &'static str,
    pub node: Option<String>,
    pub lifetime: Option<Lifetime>,
    pub value: String,
}

/// Reads the attribute from `cluster`; [`Error::NoSuch`] (exit 105) when the node or the
/// attribute does not exist.
pub fn get(cluster: &dyn Cluster, query: &AttrQuery) -> Result<AttrValue> {
    let cib = cluster.query_cib()?;
    get_from_cib(&cib, query)
}

pub fn get_from_cib(cib: &Cib, query: &AttrQuery) -> Result<AttrValue> {
    match query {
        AttrQuery::Property { name } => {
            let value = cib.property(name).ok_or_else(|| Error::NoSuch {
                kind: "cluster property",
                name: name.clone(),
                hint: " (for a node attribute, give --node NODE)".into(),
            })?;
            Ok(AttrValue {
                name: name.clone(),
                scope: "crm_config",
                node: None,
                lifetime: None,
                value: value.to_string(),
            })
        }
        AttrQuery::Node {
            name,
            node,
            lifetime,
        } => {
            let known = cib.nodes.iter().any(|n| &n.uname == node)
                || cib.status.iter().any(|s| &s.uname == node);
            if !known {
                let mut names: Vec<&str> = cib.nodes.iter().map(|n| n.uname.as_str()).collect();
                names.sort_unstable();
                return Err(Error::NoSuch {
                    kind: "node",
                    name: node.clone(),
                    hint: format!(" (nodes: {})", names.join(", ")),
                });
            }
            let (scope, value) = match lifetime {
                Lifetime::Reboot => (
                    "status",
                    cib.status
                        .iter()
                        .find(|s| &s.uname == node)
                        .and_then(|s| s.transient_attributes.get(name)),
                ),
                Lifetime::Forever => (
                    "nodes",
                    cib.nodes
                        .iter()
                        .find(|n| &n.uname == node)
                        .and_then(|n| n.instance_attributes.get(name)),
                ),
            };
            let other = match lifetime {
                Lifetime::Reboot => "forever",
                Lifetime::Forever => "reboot",
            };
            let value = value.ok_or_else(|| Error::NoSuch {
                kind: "node attribute",
                name: name.clone(),
                hint: format!(" on {node} (lifetime {}; try --lifetime {other})", {
                    match lifetime {
                        Lifetime::Reboot => "reboot",
                        Lifetime::Forever => "forever",
                    }
                }),
            })?;
            Ok(AttrValue {
                name: name.clone(),
                scope,
                node: Some(node.clone()),
                lifetime: Some(*lifetime),
                value: value.to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Cib {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/cluster.xml"))
                .unwrap();
        Cib::parse(&text).unwrap()
    }

    fn node(name: &str, node: &str, lifetime: Lifetime) -> AttrQuery {
        AttrQuery::Node {
            name: name.into(),
            node: node.into(),
            lifetime,
        }
    }

    #[test]
    fn transient_permanent_and_property() {
        let cib = example();
        let v = get_from_cib(&cib, &node("pgsql-status", "node1", Lifetime::Reboot)).unwrap();
        assert_eq!((v.scope, v.value.as_str()), ("status", "PRI"));
        let p = get_from_cib(
            &cib,
            &AttrQuery::Property {
                name: "stonith-enabled".into(),
            },
        )
        .unwrap();
        assert_eq!((p.scope, p.value.as_str()), ("crm_config", "false"));
    }

    #[test]
    fn missing_things_are_105_with_a_hint() {
        let cib = example();
        let e = get_from_cib(&cib, &node("pgsql-status", "node1", Lifetime::Forever)).unwrap_err();
        assert_eq!(e.exit_code(), 105);
        assert!(e.to_string().contains("--lifetime reboot"), "{e}");
        let e = get_from_cib(&cib, &node("pgsql-status", "node9", Lifetime::Reboot)).unwrap_err();
        assert_eq!(e.exit_code(), 105);
        assert!(e.to_string().contains("node1"), "{e}");
        let e = get_from_cib(
            &cib,
            &AttrQuery::Property {
                name: "pgsql-status".into(),
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("--node"), "{e}");
    }
}
