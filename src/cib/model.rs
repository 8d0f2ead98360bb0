//! The typed CIB model: what the configuration and status sections say, spelled as Pacemaker
//! spells it (`node_state`, `lrm_rsc_op`, `rsc_defaults`...).
//!
//! Parsing never fails on elements or attributes it does not know: they stay in the source
//! tree (`Cib::tree`). It only fails when the document is not a CIB at all. What the model
//! *means* (roles, online nodes, failures) is `state`'s business, not this module's.

use super::xml::Element;
use std::collections::BTreeMap;

/// A parsed CIB document.
#[derive(Debug, Clone)]
pub struct Cib {
    /// The whole document as read; the source of truth for writes.
    pub tree: Element,
    pub epoch: u64,
    pub admin_epoch: u64,
    pub num_updates: u64,
    pub validate_with: Option<String>,
    pub have_quorum: bool,
    pub dc_uuid: Option<String>,
    pub cib_last_written: Option<String>,
    pub update_origin: Option<String>,
    pub crm_feature_set: Option<String>,
    pub crm_config: NvSets,
    pub rsc_defaults: NvSets,
    pub op_defaults: NvSets,
    pub nodes: Vec<NodeConfig>,
    pub resources: Vec<Resource>,
    pub constraints: Vec<Constraint>,
    pub status: Vec<NodeState>,
}

/// A document that is XML but not a usable CIB.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CibError {
    #[error("the root element is <{0}>, not <cib>")]
    NotACib(String),
    #[error("<cib> has no <configuration> section")]
    NoConfiguration,
    #[error("{kind} '{id}' refers to resource '{target}', which is not defined")]
    DanglingReference {
        kind: &'static str,
        id: String,
        target: String,
    },
}

/// Name/value pairs from one or more `*_attributes` blocks (`instance_attributes`,
/// `meta_attributes`, `cluster_property_set`...), in Pacemaker's precedence order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NvSets {
    pub sets: Vec<NvSet>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NvSet {
    pub id: String,
    pub score: i64,
    /// Sets guarded by a rule apply only when it holds; pgcrm treats them as not applying
    /// unless the rule is evaluated by the caller (`state` evaluates none of them yet).
    pub has_rule: bool,
    pub pairs: Vec<(String, String)>,
}

impl NvSets {
    /// Reads every child of `parent` named `block` (e.g. `meta_attributes`).
    fn from_children(parent: &Element, block: &str) -> NvSets {
        let mut sets: Vec<NvSet> = parent
            .children_named(block)
            .map(|set| NvSet {
                id: set.id().to_string(),
                score: set.attr("score").map(parse_score).unwrap_or(0),
                has_rule: set.child("rule").is_some(),
                pairs: set
                    .children_named("nvpair")
                    .filter_map(|p| {
                        Some((p.attr("name")?.to_string(), p.attr("value")?.to_string()))
                    })
                    .collect(),
            })
            .collect();
        // Higher-scored sets win; equal scores keep document order (a stable sort).
        sets.sort_by_key(|s| std::cmp::Reverse(s.score));
        NvSets { sets }
    }

    /// The effective value of `name`: the first unconditional set that defines it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.sets.iter().filter(|s| !s.has_rule).find_map(|s| {
            s.pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        })
    }

    /// Every effective pair, each name once, sorted by name.
    pub fn effective(&self) -> BTreeMap<&str, &str> {
        let mut out = BTreeMap::new();
        for set in self.sets.iter().filter(|s| !s.has_rule) {
            for (k, v) in &set.pairs {
                out.entry(k.as_str()).or_insert(v.as_str());
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.sets.iter().all(|s| s.pairs.is_empty())
    }
}

/// A `<node>` from `configuration/nodes`.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeConfig {
    pub id: String,
    pub uname: String,
    /// `member` (the default), `remote` or `ping`.
    pub node_type: String,
    pub instance_attributes: NvSets,
    pub utilization: NvSets,
}

/// A resource definition from `configuration/resources`.
#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    Primitive(Primitive),
    Group(Group),
    Clone(Clone),
    Bundle(Bundle),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Primitive {
    pub id: String,
    pub class: String,
    pub provider: Option<String>,
    pub agent_type: String,
    /// The `template` this primitive takes its agent and attributes from, if any.
    pub template: Option<String>,
    pub params: NvSets,
    pub meta: NvSets,
    pub ops: Vec<OpDef>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: String,
    pub meta: NvSets,
    pub members: Vec<Primitive>,
}

/// A `<clone>` (promotable when `promotable=true` meta is set) or the legacy `<master>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Clone {
    pub id: String,
    pub meta: NvSets,
    pub promotable: bool,
    /// Written as the deprecated `<master>` element.
    pub legacy_master: bool,
    pub child: Box<Resource>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    pub id: String,
    pub meta: NvSets,
    /// `docker`, `podman` or `rkt`.
    pub container_kind: String,
    pub image: Option<String>,
    pub replicas: u32,
    /// `network ip-range-start`: replica N gets this address plus N.
    pub ip_range_start: Option<String>,
    pub primitive: Option<Primitive>,
}

/// An `<op>` definition of a primitive.
#[derive(Debug, Clone, PartialEq)]
pub struct OpDef {
    pub id: String,
    pub name: String,
    pub interval_ms: u64,
    pub timeout_ms: Option<u64>,
    pub role: Option<Role>,
    pub on_fail: Option<String>,
    pub attrs: Vec<(String, String)>,
}

/// A resource role as Pacemaker 2.1 names it; legacy Master/Slave are accepted on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Role {
    Unknown,
    Stopped,
    Started,
    Unpromoted,
    Promoted,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "Stopped" => Some(Role::Stopped),
            "Started" => Some(Role::Started),
            "Unpromoted" | "Slave" => Some(Role::Unpromoted),
            "Promoted" | "Master" => Some(Role::Promoted),
            "Unknown" => Some(Role::Unknown),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Unknown => "Unknown",
            Role::Stopped => "Stopped",
            Role::Started => "Started",
            Role::Unpromoted => "Unpromoted",
            Role::Promoted => "Promoted",
        }
    }
}

impl Resource {
    pub fn id(&self) -> &str {
        match self {
            Resource::Primitive(p) => &p.id,
            Resource::Group(g) => &g.id,
            Resource::Clone(c) => &c.id,
            Resource::Bundle(b) => &b.id,
        }
    }

    pub fn meta(&self) -> &NvSets {
        match self {
            Resource::Primitive(p) => &p.meta,
            Resource::Group(g) => &g.meta,
            Resource::Clone(c) => &c.meta,
            Resource::Bundle(b) => &b.meta,
        }
    }

    /// Every primitive at or below this resource, in document order.
    pub fn primitives(&self) -> Vec<&Primitive> {
        match self {
            Resource::Primitive(p) => vec![p],
            Resource::Group(g) => g.members.iter().collect(),
            Resource::Clone(c) => c.child.primitives(),
            Resource::Bundle(b) => b.primitive.iter().collect(),
        }
    }
}

impl Primitive {
    /// `class:provider:type`, as crm_mon's XML prints it.
    pub fn agent(&self) -> String {
        match &self.provider {
            Some(p) => format!("{}:{}:{}", self.class, p, self.agent_type),
            None => format!("{}:{}", self.class, self.agent_type),
        }
    }
}

/// A constraint from `configuration/constraints`.
#[derive(Debug, Clone, PartialEq)]
pub enum Constraint {
    Location(Location),
    Colocation(Colocation),
    Order(Order),
    Ticket(Ticket),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub id: String,
    pub rsc: Option<String>,
    pub rsc_pattern: Option<String>,
    pub node: Option<String>,
    pub score: Option<String>,
    pub role: Option<Role>,
    pub rules: Vec<Rule>,
    pub sets: Vec<ResourceSet>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Colocation {
    pub id: String,
    pub rsc: Option<String>,
    pub with_rsc: Option<String>,
    pub rsc_role: Option<Role>,
    pub with_rsc_role: Option<Role>,
    pub score: Option<String>,
    pub sets: Vec<ResourceSet>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: String,
    pub first: Option<String>,
    pub then: Option<String>,
    pub first_action: Option<String>,
    pub then_action: Option<String>,
    pub kind: Option<String>,
    pub score: Option<String>,
    pub symmetrical: Option<bool>,
    pub sets: Vec<ResourceSet>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub id: String,
    pub rsc: Option<String>,
    pub rsc_role: Option<Role>,
    pub ticket: String,
    pub loss_policy: Option<String>,
    pub sets: Vec<ResourceSet>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSet {
    pub id: String,
    pub sequential: Option<bool>,
    pub require_all: Option<bool>,
    pub role: Option<Role>,
    pub action: Option<String>,
    pub resources: Vec<String>,
}

/// A `<rule>`: a score and a boolean combination of expressions and nested rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub score: Option<String>,
    pub score_attribute: Option<String>,
    pub role: Option<Role>,
    /// `and` (the default) or `or`.
    pub boolean_op: String,
    pub terms: Vec<RuleTerm>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RuleTerm {
    Expression {
        id: String,
        attribute: String,
        operation: String,
        value: Option<String>,
        value_type: Option<String>,
    },
    Date {
        id: String,
        operation: String,
        start: Option<String>,
        end: Option<String>,
    },
    Rule(Rule),
    /// Any other term (`rsc_expression`, `op_expression`...), kept by name.
    Other(String),
}

/// A `<node_state>` from the status section.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeState {
    pub id: String,
    pub uname: String,
    /// `in_ccm`: "true"/"false" in 2.1, a timestamp in later versions.
    pub in_ccm: Option<String>,
    /// `crmd`: "online"/"offline" in 2.1, a timestamp in later versions.
    pub crmd: Option<String>,
    pub join: Option<String>,
    pub expected: Option<String>,
    pub remote_node: bool,
    pub transient_attributes: NvSets,
    pub lrm_resources: Vec<LrmResource>,
}

/// An `<lrm_resource>`: the operation history of one resource on one node.
#[derive(Debug, Clone, PartialEq)]
pub struct LrmResource {
    pub id: String,
    pub class: String,
    pub provider: Option<String>,
    pub agent_type: String,
    pub container: Option<String>,
    pub ops: Vec<LrmRscOp>,
}

/// An `<lrm_rsc_op>`: one recorded operation result.
#[derive(Debug, Clone, PartialEq)]
pub struct LrmRscOp {
    pub id: String,
    pub operation_key: String,
    pub operation: String,
    pub call_id: i64,
    pub rc_code: i32,
    /// Execution status: -1 pending, 0 done, 1 cancelled, 2 timed out, 3 not supported,
    /// 4 error, 5 hard error, 6 fatal error, 7 not installed, 8 not connected, 9 invalid.
    pub op_status: i32,
    pub interval_ms: u64,
    /// The rc the controller expected, from the transition key.
    pub target_rc: i32,
    pub last_rc_change: Option<i64>,
    pub exec_time: Option<u64>,
    pub queue_time: Option<u64>,
    pub exit_reason: Option<String>,
    pub on_node: Option<String>,
    pub migrate_source: Option<String>,
    pub migrate_target: Option<String>,
}

impl Cib {
    /// Parses a CIB document. Fails only when the text is not XML or the XML is not a CIB.
    pub fn parse(text: &str) -> Result<Cib, crate::Error> {
        let tree = Element::parse(text).map_err(crate::Error::Xml)?;
        Ok(Cib::from_tree(tree)?)
    }

    pub fn from_tree(tree: Element) -> Result<Cib, CibError> {
        if tree.name != "cib" {
            return Err(CibError::NotACib(tree.name.clone()));
        }
        let config = tree
            .child("configuration")
            .ok_or(CibError::NoConfiguration)?;
        let section = |name: &str| config.child(name);
        let crm_config = section("crm_config")
            .map(|c| NvSets::from_children(c, "cluster_property_set"))
            .unwrap_or_default();
        let rsc_defaults = section("rsc_defaults")
            .map(|c| NvSets::from_children(c, "meta_attributes"))
            .unwrap_or_default();
        let op_defaults = section("op_defaults")
            .map(|c| NvSets::from_children(c, "meta_attributes"))
            .unwrap_or_default();
        let nodes = section("nodes")
            .map(|n| n.children_named("node").map(parse_node).collect())
            .unwrap_or_default();
        let templates: Vec<&Element> = section("resources")
            .map(|r| r.children_named("template").collect())
            .unwrap_or_default();
        let resources = section("resources")
            .map(|r| {
                r.children
                    .iter()
                    .filter_map(|e| parse_resource(e, &templates))
                    .collect()
            })
            .unwrap_or_default();
        let constraints = section("constraints")
            .map(|c| c.children.iter().filter_map(parse_constraint).collect())
            .unwrap_or_default();
        let status = tree
            .child("status")
            .map(|s| {
                s.children_named("node_state")
                    .map(parse_node_state)
                    .collect()
            })
            .unwrap_or_default();
        let num = |name: &str| tree.attr(name).and_then(|v| v.parse().ok()).unwrap_or(0);
        let owned = |name: &str| tree.attr(name).map(str::to_string);
        let cib = Cib {
            epoch: num("epoch"),
            admin_epoch: num("admin_epoch"),
            num_updates: num("num_updates"),
            validate_with: owned("validate-with"),
            have_quorum: tree.attr("have-quorum").map(is_true).unwrap_or(false),
            dc_uuid: owned("dc-uuid"),
            cib_last_written: owned("cib-last-written"),
            update_origin: owned("update-origin"),
            crm_feature_set: owned("crm_feature_set"),
            crm_config,
            rsc_defaults,
            op_defaults,
            nodes,
            resources,
            constraints,
            status,
            tree,
        };
        cib.check_references()?;
        Ok(cib)
    }

    /// Every configured resource id at any depth (clones, groups, members, bundles).
    pub fn resource_ids(&self) -> Vec<&str> {
        fn walk<'a>(r: &'a Resource, out: &mut Vec<&'a str>) {
            out.push(r.id());
            match r {
                Resource::Group(g) => out.extend(g.members.iter().map(|m| m.id.as_str())),
                Resource::Clone(c) => walk(&c.child, out),
                Resource::Bundle(b) => out.extend(b.primitive.iter().map(|p| p.id.as_str())),
                Resource::Primitive(_) => {}
            }
        }
        let mut out = Vec::new();
        for r in &self.resources {
            walk(r, &mut out);
        }
        out
    }

    /// Finds a configured resource at any depth by id.
    pub fn find_resource(&self, id: &str) -> Option<&Resource> {
        fn walk<'a>(r: &'a Resource, id: &str) -> Option<&'a Resource> {
            if r.id() == id {
                return Some(r);
            }
            match r {
                Resource::Clone(c) => walk(&c.child, id),
                _ => None,
            }
        }
        self.resources.iter().find_map(|r| walk(r, id))
    }

    /// A cluster property from `crm_config`.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.crm_config.get(name)
    }

    /// A constraint naming a resource that does not exist makes the whole configuration
    /// suspect (Pacemaker drops such constraints with an error in its logs); report the first.
    fn check_references(&self) -> Result<(), CibError> {
        let ids: std::collections::HashSet<&str> = self
            .resource_ids()
            .into_iter()
            .chain(
                self.tree
                    .path(&["configuration", "resources"])
                    .into_iter()
                    .flat_map(|r| r.children_named("template").map(|t| t.id())),
            )
            .chain(
                self.tree
                    .path(&["configuration", "tags"])
                    .into_iter()
                    .flat_map(|t| t.children_named("tag").map(|t| t.id())),
            )
            .collect();
        let dangling = |kind: &'static str, id: &str, target: &Option<String>| match target {
            Some(t) if !ids.contains(t.as_str()) => Some(CibError::DanglingReference {
                kind,
                id: id.to_string(),
                target: t.clone(),
            }),
            _ => None,
        };
        for c in &self.constraints {
            let (kind, id, refs, sets): (_, _, Vec<&Option<String>>, _) = match c {
                Constraint::Location(l) => ("location", &l.id, vec![&l.rsc], &l.sets),
                Constraint::Colocation(c) => {
                    ("colocation", &c.id, vec![&c.rsc, &c.with_rsc], &c.sets)
                }
                Constraint::Order(o) => ("order", &o.id, vec![&o.first, &o.then], &o.sets),
                Constraint::Ticket(t) => ("rsc_ticket", &t.id, vec![&t.rsc], &t.sets),
            };
            for r in refs {
                if let Some(e) = dangling(kind, id, r) {
                    return Err(e);
                }
            }
            for set in sets {
                for r in &set.resources {
                    if let Some(e) = dangling(kind, id, &Some(r.clone())) {
                        return Err(e);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Pacemaker's notion of a true value.
pub fn is_true(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "true" | "on" | "yes" | "y" | "1"
    )
}

/// Pacemaker's score syntax: integers, `INFINITY`, `+INFINITY`, `-INFINITY`, clamped to
/// ±1,000,000.
pub fn parse_score(s: &str) -> i64 {
    const INF: i64 = 1_000_000;
    match s.trim() {
        "INFINITY" | "+INFINITY" | "inf" | "+inf" => INF,
        "-INFINITY" | "-inf" => -INF,
        other => other
            .parse::<i64>()
            .map(|v| v.clamp(-INF, INF))
            .unwrap_or(0),
    }
}

/// Parses `interval`/`timeout` values: plain milliseconds-free seconds ("10"), units
/// ("10s", "2min", "500ms"), or ISO 8601 durations ("PT10S").
pub fn parse_duration_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Some(iso) = s.strip_prefix("PT").or_else(|| s.strip_prefix("pt")) {
        let mut total = 0u64;
        let mut num = String::new();
        for ch in iso.chars() {
            if ch.is_ascii_digit() || ch == '.' {
                num.push(ch);
                continue;
            }
            let value: f64 = num.parse().ok()?;
            num.clear();
            let unit = match ch.to_ascii_uppercase() {
                'H' => 3_600_000.0,
                'M' => 60_000.0,
                'S' => 1000.0,
                _ => return None,
            };
            total += (value * unit) as u64;
        }
        return num.is_empty().then_some(total);
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let value: u64 = digits.parse().ok()?;
    let factor = match unit.trim() {
        "" | "s" | "sec" => 1000,
        "ms" | "msec" => 1,
        "us" | "usec" => return Some(value / 1000),
        "m" | "min" => 60_000,
        "h" | "hr" => 3_600_000,
        _ => return None,
    };
    Some(value * factor)
}

fn opt(e: &Element, name: &str) -> Option<String> {
    e.attr(name).map(str::to_string)
}

fn parse_node(e: &Element) -> NodeConfig {
    NodeConfig {
        id: e.id().to_string(),
        uname: e.attr("uname").unwrap_or(e.id()).to_string(),
        node_type: e.attr("type").unwrap_or("member").to_string(),
        instance_attributes: NvSets::from_children(e, "instance_attributes"),
        utilization: NvSets::from_children(e, "utilization"),
    }
}

fn parse_resource(e: &Element, templates: &[&Element]) -> Option<Resource> {
    Some(match e.name.as_str() {
        "primitive" => Resource::Primitive(parse_primitive(e, templates)),
        "group" => Resource::Group(Group {
            id: e.id().to_string(),
            meta: NvSets::from_children(e, "meta_attributes"),
            members: e
                .children_named("primitive")
                .map(|p| parse_primitive(p, templates))
                .collect(),
        }),
        "clone" | "master" => {
            let child = e
                .children
                .iter()
                .find(|c| matches!(c.name.as_str(), "primitive" | "group"))
                .and_then(|c| parse_resource(c, templates))?;
            let meta = NvSets::from_children(e, "meta_attributes");
            let legacy_master = e.name == "master";
            Resource::Clone(Clone {
                id: e.id().to_string(),
                promotable: legacy_master || meta.get("promotable").is_some_and(is_true),
                legacy_master,
                meta,
                child: Box::new(child),
            })
        }
        "bundle" => {
            let runtime = e
                .children
                .iter()
                .find(|c| matches!(c.name.as_str(), "docker" | "podman" | "rkt"));
            Resource::Bundle(Bundle {
                id: e.id().to_string(),
                meta: NvSets::from_children(e, "meta_attributes"),
                container_kind: runtime.map(|r| r.name.clone()).unwrap_or_default(),
                image: runtime.and_then(|r| opt(r, "image")),
                replicas: runtime
                    .and_then(|r| r.attr("replicas").or(r.attr("masters")))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1),
                ip_range_start: e.child("network").and_then(|n| opt(n, "ip-range-start")),
                primitive: e.child("primitive").map(|p| parse_primitive(p, templates)),
            })
        }
        _ => return None,
    })
}

fn parse_primitive(e: &Element, templates: &[&Element]) -> Primitive {
    let template = opt(e, "template");
    let base = template
        .as_deref()
        .and_then(|t| templates.iter().find(|x| x.id() == t).copied());
    let from = |name: &str| e.attr(name).or_else(|| base.and_then(|b| b.attr(name)));
    let mut ops: Vec<OpDef> = base
        .and_then(|b| b.child("operations"))
        .into_iter()
        .chain(e.child("operations"))
        .flat_map(|ops| ops.children_named("op"))
        .map(parse_op_def)
        .collect();
    ops.dedup_by(|a, b| a.name == b.name && a.interval_ms == b.interval_ms);
    let mut params = NvSets::from_children(e, "instance_attributes");
    let mut meta = NvSets::from_children(e, "meta_attributes");
    if let Some(b) = base {
        params
            .sets
            .extend(NvSets::from_children(b, "instance_attributes").sets);
        meta.sets
            .extend(NvSets::from_children(b, "meta_attributes").sets);
    }
    Primitive {
        id: e.id().to_string(),
        class: from("class").unwrap_or("").to_string(),
        provider: from("provider").map(str::to_string),
        agent_type: from("type").unwrap_or("").to_string(),
        template,
        params,
        meta,
        ops,
    }
}

fn parse_op_def(e: &Element) -> OpDef {
    OpDef {
        id: e.id().to_string(),
        name: e.attr("name").unwrap_or("").to_string(),
        interval_ms: e.attr("interval").and_then(parse_duration_ms).unwrap_or(0),
        timeout_ms: e.attr("timeout").and_then(parse_duration_ms),
        role: e.attr("role").and_then(Role::parse),
        on_fail: opt(e, "on-fail"),
        attrs: e.attrs.clone(),
    }
}

fn parse_sets(e: &Element) -> Vec<ResourceSet> {
    e.children_named("resource_set")
        .map(|s| ResourceSet {
            id: s.id().to_string(),
            sequential: s.attr("sequential").map(is_true),
            require_all: s.attr("require-all").map(is_true),
            role: s.attr("role").and_then(Role::parse),
            action: opt(s, "action"),
            resources: s
                .children_named("resource_ref")
                .map(|r| r.id().to_string())
                .collect(),
        })
        .collect()
}

fn parse_rule(e: &Element) -> Rule {
    Rule {
        id: e.id().to_string(),
        score: opt(e, "score"),
        score_attribute: opt(e, "score-attribute"),
        role: e.attr("role").and_then(Role::parse),
        boolean_op: e.attr("boolean-op").unwrap_or("and").to_string(),
        terms: e
            .children
            .iter()
            .map(|t| match t.name.as_str() {
                "expression" => RuleTerm::Expression {
                    id: t.id().to_string(),
                    attribute: t.attr("attribute").unwrap_or("").to_string(),
                    operation: t.attr("operation").unwrap_or("").to_string(),
                    value: opt(t, "value"),
                    value_type: opt(t, "type"),
                },
                "date_expression" => RuleTerm::Date {
                    id: t.id().to_string(),
                    operation: t.attr("operation").unwrap_or("in_range").to_string(),
                    start: opt(t, "start"),
                    end: opt(t, "end"),
                },
                "rule" => RuleTerm::Rule(parse_rule(t)),
                other => RuleTerm::Other(other.to_string()),
            })
            .collect(),
    }
}

fn parse_constraint(e: &Element) -> Option<Constraint> {
    let id = e.id().to_string();
    Some(match e.name.as_str() {
        "rsc_location" => Constraint::Location(Location {
            id,
            rsc: opt(e, "rsc"),
            rsc_pattern: opt(e, "rsc-pattern"),
            node: opt(e, "node"),
            score: opt(e, "score"),
            role: e.attr("role").and_then(Role::parse),
            rules: e.children_named("rule").map(parse_rule).collect(),
            sets: parse_sets(e),
        }),
        "rsc_colocation" => Constraint::Colocation(Colocation {
            id,
            rsc: opt(e, "rsc"),
            with_rsc: opt(e, "with-rsc"),
            rsc_role: e.attr("rsc-role").and_then(Role::parse),
            with_rsc_role: e.attr("with-rsc-role").and_then(Role::parse),
            score: opt(e, "score"),
            sets: parse_sets(e),
        }),
        "rsc_order" => Constraint::Order(Order {
            id,
            first: opt(e, "first"),
            then: opt(e, "then"),
            first_action: opt(e, "first-action"),
            then_action: opt(e, "then-action"),
            kind: opt(e, "kind"),
            score: opt(e, "score"),
            symmetrical: e.attr("symmetrical").map(is_true),
            sets: parse_sets(e),
        }),
        "rsc_ticket" => Constraint::Ticket(Ticket {
            id,
            rsc: opt(e, "rsc"),
            rsc_role: e.attr("rsc-role").and_then(Role::parse),
            ticket: e.attr("ticket").unwrap_or("").to_string(),
            loss_policy: opt(e, "loss-policy"),
            sets: parse_sets(e),
        }),
        _ => return None,
    })
}

fn parse_node_state(e: &Element) -> NodeState {
    let lrm_resources = e
        .path(&["lrm", "lrm_resources"])
        .map(|l| {
            l.children_named("lrm_resource")
                .map(parse_lrm_resource)
                .collect()
        })
        .unwrap_or_default();
    NodeState {
        id: e.id().to_string(),
        uname: e.attr("uname").unwrap_or(e.id()).to_string(),
        in_ccm: opt(e, "in_ccm"),
        crmd: opt(e, "crmd"),
        join: opt(e, "join"),
        expected: opt(e, "expected"),
        remote_node: e.attr("remote_node").is_some_and(is_true),
        transient_attributes: e
            .child("transient_attributes")
            .map(|t| NvSets::from_children(t, "instance_attributes"))
            .unwrap_or_default(),
        lrm_resources,
    }
}

fn parse_lrm_resource(e: &Element) -> LrmResource {
    LrmResource {
        id: e.id().to_string(),
        class: e.attr("class").unwrap_or("").to_string(),
        provider: opt(e, "provider"),
        agent_type: e.attr("type").unwrap_or("").to_string(),
        container: opt(e, "container"),
        ops: e
            .children_named("lrm_rsc_op")
            .map(parse_lrm_rsc_op)
            .collect(),
    }
}

fn parse_lrm_rsc_op(e: &Element) -> LrmRscOp {
    let int = |name: &str| e.attr(name).and_then(|v| v.trim().parse::<i64>().ok());
    // transition-key is "action:transition:target_rc:uuid".
    let target_rc = e
        .attr("transition-key")
        .and_then(|k| k.split(':').nth(2))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    LrmRscOp {
        id: e.id().to_string(),
        operation_key: e.attr("operation_key").unwrap_or(e.id()).to_string(),
        operation: e.attr("operation").unwrap_or("").to_string(),
        call_id: int("call-id").unwrap_or(-1),
        rc_code: int("rc-code").unwrap_or(0) as i32,
        op_status: int("op-status").unwrap_or(0) as i32,
        interval_ms: int("interval").unwrap_or(0).max(0) as u64,
        target_rc,
        last_rc_change: int("last-rc-change").or_else(|| int("last-run")),
        exec_time: int("exec-time").map(|v| v.max(0) as u64),
        queue_time: int("queue-time").map(|v| v.max(0) as u64),
        exit_reason: opt(e, "exit-reason"),
        on_node: opt(e, "on_node"),
        migrate_source: opt(e, "migrate_source"),
        migrate_target: opt(e, "migrate_target"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_durations() {
        assert_eq!(parse_score("INFINITY"), 1_000_000);
        assert_eq!(parse_score("-INFINITY"), -1_000_000);
        assert_eq!(parse_score("200"), 200);
        assert_eq!(parse_score("5000000"), 1_000_000);
        assert_eq!(parse_duration_ms("7s"), Some(7000));
        assert_eq!(parse_duration_ms("0s"), Some(0));
        assert_eq!(parse_duration_ms("10"), Some(10_000));
        assert_eq!(parse_duration_ms("2min"), Some(120_000));
        assert_eq!(parse_duration_ms("PT1M30S"), Some(90_000));
        assert_eq!(parse_duration_ms("bogus"), None);
    }

    #[test]
    fn legacy_role_names() {
        assert_eq!(Role::parse("Master"), Some(Role::Promoted));
        assert_eq!(Role::parse("Slave"), Some(Role::Unpromoted));
    }

    #[test]
    fn not_a_cib() {
        let tree = Element::parse("<foo/>").unwrap();
        assert_eq!(
            Cib::from_tree(tree).unwrap_err(),
            CibError::NotACib("foo".into())
        );
    }
}
