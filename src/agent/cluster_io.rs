//! What the agent needs from Pacemaker, over its IPC and never by forking a tool: which nodes
//! exist and are online and whether a promoted instance exists (one read of the live CIB per
//! action, through `pgcrm::state`, instead of the shell agent's `crm_mon` per monitor), the
//! transient node attributes (`pgsql-status`, `master-pgsql`, `pgsql-xlog-loc`,
//! `pgsql-master-baseline`, pgcrm's `pgsql-timeline`) through pacemaker-attrd, and the permanent `pgsql-data-status`
//! in the CIB's `nodes` section through the CIB manager.
//!
//! Every request is bounded by `crm_attr_timeout` and the operation's deadline; a failure is
//! returned, never retried for a day. This module decides nothing about PostgreSQL.

use super::pg::Deadline;
use crate::cib::xml::{escape, Element};
use crate::cib::Cib;
use crate::ipc::attrd::AttrdClient;
use crate::ipc::cib::{CibChannel, CibClient, QueryOptions, Scope, WriteOptions};
use crate::state::{self, ClusterState};
use std::time::Duration;

pub struct ClusterIo {
    per_request: Duration,
    deadline: Deadline,
    attrd: Option<AttrdClient>,
    cib_rw: Option<CibClient>,
    view: Option<(Cib, ClusterState)>,
}

impl ClusterIo {
    /// `per_request` is `crm_attr_timeout`; nothing waits past `deadline`.
    pub fn new(per_request: Duration, deadline: Deadline) -> ClusterIo {
        ClusterIo {
            per_request,
            deadline,
            attrd: None,
            cib_rw: None,
            view: None,
        }
    }

    fn timeout(&self) -> Duration {
        self.deadline
            .within(self.per_request)
            .max(Duration::from_millis(100))
    }

    /// The CIB as it is now (read once, then kept for the action; [`ClusterIo::refresh`]
    /// forgets it).
    fn view(&mut self) -> Result<&(Cib, ClusterState), String> {
        if self.view.is_none() {
            let mut c = CibClient::connect_reader(self.timeout()).map_err(|e| e.to_string())?;
            let reply = c.query(Scope::Whole).map_err(|e| e.to_string())?;
            let cib = Cib::parse(&reply.xml).map_err(|e| format!("the live CIB: {e}"))?;
            let st = state::derive(&cib);
            self.view = Some((cib, st));
        }
        Ok(self.view.as_ref().expect("just set"))
    }

    pub fn refresh(&mut self) {
        self.view = None;
    }

    /// The node's name as the cluster spells it, matched case-insensitively (node_list and
    /// the local name are lower-cased, as in the shell agent).
    pub fn node_name(&mut self, lower: &str) -> Result<Option<String>, String> {
        let (_, st) = self.view()?;
        Ok(st
            .nodes
            .iter()
            .find(|n| n.name.eq_ignore_ascii_case(lower))
            .map(|n| n.name.clone()))
    }

    pub fn is_online(&mut self, node: &str) -> Result<bool, String> {
        let (_, st) = self.view()?;
        Ok(st
            .nodes
            .iter()
            .any(|n| n.name.eq_ignore_ascii_case(node) && n.online))
    }

    pub fn node_exists(&mut self, node: &str) -> Result<bool, String> {
        Ok(self.node_name(node)?.is_some())
    }

    /// Whether some instance of `resource` runs promoted anywhere.
    pub fn promoted_exists(&mut self, resource: &str) -> Result<bool, String> {
        let (_, st) = self.view()?;
        Ok(st.primitives().iter().any(|r| {
            let base = r.base_id.as_deref().unwrap_or(&r.id);
            let base = base.split(':').next().unwrap_or(base);
            base == resource
                && r.role == Some(crate::cib::Role::Promoted)
                && r.nodes.as_ref().is_some_and(|n| !n.is_empty())
        }))
    }

    fn attrd(&mut self) -> Result<&mut AttrdClient, String> {
        if self.attrd.is_none() {
            self.attrd = Some(AttrdClient::connect(self.timeout()).map_err(|e| e.to_string())?);
        }
        let t = self.timeout();
        let a = self.attrd.as_mut().expect("just set");
        a.set_timeout(t);
        Ok(a)
    }

    /// A transient attribute's value on `node`, as attrd has it (fresher than the CIB).
    pub fn get_transient(&mut self, name: &str, node: &str) -> Result<Option<String>, String> {
        let node = self.node_name(node)?.unwrap_or_else(|| node.to_string());
        let values = self
            .attrd()?
            .query(name, Some(&node))
            .map_err(|e| e.to_string())?;
        Ok(values
            .into_iter()
            .find(|v| v.node.eq_ignore_ascii_case(&node))
            .and_then(|v| v.value))
    }

    /// Every node's value of a transient attribute.
    pub fn get_transient_all(&mut self, name: &str) -> Result<Vec<(String, String)>, String> {
        let values = self.attrd()?.query(name, None).map_err(|e| e.to_string())?;
        Ok(values
            .into_iter()
            .filter_map(|v| Some((v.node.to_lowercase(), v.value?)))
            .collect())
    }

    pub fn set_transient(&mut self, name: &str, value: &str, node: &str) -> Result<(), String> {
        let node = self.node_name(node)?.unwrap_or_else(|| node.to_string());
        self.attrd()?
            .set(name, value, Some(&node))
            .map_err(|e| format!("cannot set {name}={value} on {node}: {e}"))
    }

    pub fn delete_transient(&mut self, name: &str, node: &str) -> Result<(), String> {
        let node = self.node_name(node)?.unwrap_or_else(|| node.to_string());
        self.attrd()?
            .delete(name, Some(&node))
            .map_err(|e| format!("cannot delete {name} on {node}: {e}"))
    }

    /// A permanent attribute of `node` (its `instance_attributes` in the `nodes` section).
    pub fn get_permanent(&mut self, name: &str, node: &str) -> Result<Option<String>, String> {
        let (cib, _) = self.view()?;
        Ok(cib
            .nodes
            .iter()
            .find(|n| n.uname.eq_ignore_ascii_case(node))
            .and_then(|n| n.instance_attributes.get(name))
            .map(str::to_string))
    }

    /// Writes a permanent attribute of `node` as crm_attribute `-l forever` does: into the
    /// existing nvpair (found by XPath) or a new one in the node's first attribute set.
    pub fn set_permanent(&mut self, name: &str, value: &str, node: &str) -> Result<(), String> {
        let (id, uname, set_id) = {
            let (cib, _) = self.view()?;
            let Some(n) = cib
                .nodes
                .iter()
                .find(|n| n.uname.eq_ignore_ascii_case(node))
            else {
                return Err(format!("node {node} is not in the CIB's nodes section"));
            };
            let set_id = n
                .instance_attributes
                .sets
                .iter()
                .find(|s| !s.has_rule)
                .map(|s| s.id.clone())
                .unwrap_or_else(|| format!("nodes-{}", n.id));
            (n.id.clone(), n.uname.clone(), set_id)
        };
        let t = self.timeout();
        if self.cib_rw.is_none() {
            self.cib_rw =
                Some(CibClient::connect(CibChannel::ReadWrite, t).map_err(|e| e.to_string())?);
        }
        let cib = self.cib_rw.as_mut().expect("just set");
        cib.set_timeout(t);
        let xpath = format!(
            "/cib/configuration/nodes/node[@id='{}']/instance_attributes/nvpair[@name='{}']",
            id, name
        );
        let existing = match cib.query_with(Scope::XPath(&xpath), QueryOptions::default()) {
            Ok(r) => Element::parse(&r.xml)
                .ok()
                .and_then(|e| find_nvpair_id(&e, name)),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e.to_string()),
        };
        let fail = |e: crate::ipc::IpcError| format!("cannot set {name}={value} on {uname}: {e}");
        match existing {
            Some(pair_id) => {
                let xml = format!(
                    r#"<nvpair id="{}" name="{}" value="{}"/>"#,
                    escape(&pair_id),
                    escape(name),
                    escape(value)
                );
                cib.modify(Scope::Section("nodes"), &xml, WriteOptions::default())
                    .map_err(fail)?;
            }
            None => {
                let xml = format!(
                    r#"<node id="{id}" uname="{u}"><instance_attributes id="{s}"><nvpair id="{s}-{n}" name="{n}" value="{v}"/></instance_attributes></node>"#,
                    id = escape(&id),
                    u = escape(&uname),
                    s = escape(&set_id),
                    n = escape(name),
                    v = escape(value)
                );
                let opts = WriteOptions {
                    can_create: true,
                    ..WriteOptions::default()
                };
                cib.modify(Scope::Section("nodes"), &xml, opts)
                    .map_err(fail)?;
            }
        }
        // later reads in this action see the new value
        self.view = None;
        Ok(())
    }
}

impl ClusterIo {
    /// Bans `instance`'s clone from `node` as `crm_resource -B` does: a `cli-ban` location
    /// constraint with score -INFINITY.
    pub fn ban(&mut self, instance: &str, node: &str) -> Result<(), String> {
        let base = instance.split(':').next().unwrap_or(instance).to_string();
        let (rsc, uname) = {
            let (cib, _) = self.view()?;
            let rsc = parent_of(&cib.tree, &base).unwrap_or(base.clone());
            let uname = cib
                .nodes
                .iter()
                .find(|n| n.uname.eq_ignore_ascii_case(node))
                .map(|n| n.uname.clone())
                .unwrap_or_else(|| node.to_string());
            (rsc, uname)
        };
        let t = self.timeout();
        if self.cib_rw.is_none() {
            self.cib_rw =
                Some(CibClient::connect(CibChannel::ReadWrite, t).map_err(|e| e.to_string())?);
        }
        let cib = self.cib_rw.as_mut().expect("just set");
        let xml = format!(
            r#"<rsc_location id="cli-ban-{r}-on-{n}" rsc="{r}" role="Started" node="{n}" score="-INFINITY"/>"#,
            r = escape(&rsc),
            n = escape(&uname)
        );
        let opts = WriteOptions {
            can_create: true,
            ..WriteOptions::default()
        };
        cib.modify(Scope::Section("constraints"), &xml, opts)
            .map_err(|e| format!("cannot ban {rsc} from {uname}: {e}"))?;
        self.view = None;
        Ok(())
    }
}

/// The id of the clone (or legacy master) whose primitive is `id`.
fn parent_of(e: &Element, id: &str) -> Option<String> {
    for c in &e.children {
        if matches!(e.name.as_str(), "clone" | "master")
            && c.name == "primitive"
            && c.attr("id") == Some(id)
        {
            return e.attr("id").map(str::to_string);
        }
        if let Some(found) = parent_of(c, id) {
            return Some(found);
        }
    }
    None
}

fn find_nvpair_id(e: &Element, name: &str) -> Option<String> {
    if e.name == "nvpair" && e.attr("name") == Some(name) {
        return e.attr("id").map(str::to_string);
    }
    e.children.iter().find_map(|c| find_nvpair_id(c, name))
}
