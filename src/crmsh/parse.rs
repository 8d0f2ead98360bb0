//! crm text -> CIB elements (without generated ids; `ids` adds them when the objects are
//! applied, since crmsh's ids depend on the ids already in use).

use super::lex::{self, Statement, Token};
use super::{modern_role, ErrorKind, Located, ParseError};
use crate::cib::Element;

/// One top-level object of the configuration, as written in the text.
#[derive(Debug, Clone)]
pub struct Object {
    /// The CIB element (`primitive`, `rsc_location`, `cluster_property_set`; the
    /// `meta_attributes` block for `rsc_defaults`/`op_defaults`). Children of groups and
    /// clones are `<crmsh-ref id=.../>` placeholders until `apply` puts the resources in.
    pub element: Element,
    /// The `<configuration>` child it belongs to: `nodes`, `resources`, `constraints`...
    pub section: &'static str,
    pub line: u32,
    pub col: u32,
    /// Resource (or tag) ids this object refers to, with their positions.
    pub refs: Vec<Reference>,
    /// Written as an `xml` statement: taken as is, no ids generated.
    pub verbatim: bool,
}

/// The `section` of an `xml` statement holding a whole configuration section pgcrm does
/// not know (e.g. a vendor extension): it replaces the section of the same name.
pub const OWN_SECTION: &str = "*";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub id: String,
    pub line: u32,
    pub col: u32,
    /// A group/clone member (must be a resource defined once) rather than a constraint target
    /// (a resource or a tag).
    pub member: bool,
}

const KEYWORDS: &str = "node, primitive, group, clone, ms, location, colocation, order, \
rsc_ticket, property, rsc_defaults, op_defaults, tag or xml";

/// Parses a whole crm configuration text. `origin` names it in errors (a file path).
pub fn parse(text: &str, origin: &str) -> Result<Vec<Object>, ParseError> {
    let syntax = |l| ParseError::from_located(origin, l, ErrorKind::Syntax);
    let mut objects = Vec::new();
    for st in lex::statements(text).map_err(syntax)? {
        objects.push(statement(&st).map_err(syntax)?);
    }
    let mut seen = std::collections::HashMap::new();
    for o in &objects {
        let id = match o.section {
            OWN_SECTION => o.element.name.clone(),
            _ => o.element.id().to_string(),
        };
        if let Some(line) = seen.insert((o.section, id.clone()), o.line) {
            return Err(ParseError::from_located(
                origin,
                Located::new(
                    o.line,
                    o.col,
                    format!("'{id}' is already defined on line {line}: use one definition"),
                ),
                ErrorKind::Reference,
            ));
        }
    }
    Ok(objects)
}

type R<T> = Result<T, Located>;

struct P<'a> {
    toks: &'a [Token],
    i: usize,
    end: (u32, u32),
    refs: Vec<Reference>,
}

impl<'a> P<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.toks.get(self.i).map(|t| t.text.as_str())
    }
    fn peek_tok(&self) -> Option<&'a Token> {
        self.toks.get(self.i)
    }
    fn next(&mut self) -> Option<&'a Token> {
        let t = self.toks.get(self.i)?;
        self.i += 1;
        Some(t)
    }
    fn at_end(&self) -> bool {
        self.i >= self.toks.len()
    }
    /// An error at the current token (or at the end of the statement).
    fn err(&self, message: impl Into<String>) -> Located {
        match self.peek_tok() {
            Some(t) => Located::new(t.line, t.col, message),
            None => Located::new(self.end.0, self.end.1, message),
        }
    }
    fn expected(&self, what: &str) -> Located {
        match self.peek() {
            Some(t) => self.err(format!("expected {what}, found '{t}'")),
            None => self.err(format!("expected {what}, found the end of the statement")),
        }
    }
    fn expect(&mut self, what: &str) -> R<&'a Token> {
        if self.at_end() {
            return Err(self.expected(what));
        }
        Ok(self.next().expect("checked"))
    }
    fn ident(&mut self, what: &str) -> R<String> {
        let t = self.peek().filter(|t| is_ident(t)).ok_or_else(|| {
            self.expected(&format!("{what} (letters, digits, '_', '.', '-', ':')"))
        })?;
        self.i += 1;
        Ok(t.to_string())
    }
    fn reference(&mut self, id: &str, tok: &Token, member: bool) {
        self.refs.push(Reference {
            id: id.to_string(),
            line: tok.line,
            col: tok.col,
            member,
        });
    }
    fn done(&self, what: &str) -> R<()> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | ':' | '#'))
        && !s.starts_with(['-', '.'])
}

fn statement(st: &Statement) -> R<Object> {
    let head = &st.tokens[0];
    let mut p = P {
        toks: &st.tokens,
        i: 1,
        end: st.end,
        refs: Vec::new(),
    };
    let kw = head.text.to_ascii_lowercase();
    let (element, section) = match kw.as_str() {
        "node" => (node(&mut p)?, "nodes"),
        "primitive" => (primitive(&mut p)?, "resources"),
        "group" => (container(&mut p, "group")?, "resources"),
        "clone" => (container(&mut p, "clone")?, "resources"),
        "ms" | "master" => (container(&mut p, "master")?, "resources"),
        "location" => (location(&mut p)?, "constraints"),
        "colocation" | "collocation" => (colocation(&mut p)?, "constraints"),
        "order" => (order(&mut p)?, "constraints"),
        "rsc_ticket" => (ticket(&mut p)?, "constraints"),
        "property" => (
            properties(&mut p, "cluster_property_set", "cib-bootstrap-options")?,
            "crm_config",
        ),
        "rsc_defaults" => (
            properties(&mut p, "meta_attributes", "rsc-options")?,
            "rsc_defaults",
        ),
        "op_defaults" => (
            properties(&mut p, "meta_attributes", "op-options")?,
            "op_defaults",
        ),
        "tag" => (tag(&mut p)?, "tags"),
        "xml" => return xml(st),
        "rsc_template" | "bundle" | "fencing_topology" | "alert" | "role" | "acl_target"
        | "user" | "group_acl" => {
            return Err(Located::new(
                head.line,
                head.col,
                format!(
                "'{}' is not supported by pgcrm yet: write it as an xml statement (xml <{}.../>)",
                head.text, head.text
            ),
            ))
        }
        _ => {
            return Err(Located::new(
                head.line,
                head.col,
                format!("unknown keyword '{}': expected {KEYWORDS}", head.text),
            ))
        }
    };
    Ok(Object {
        element,
        section,
        line: head.line,
        col: head.col,
        refs: p.refs,
        verbatim: false,
    })
}

fn xml(st: &Statement) -> R<Object> {
    let head = &st.tokens[0];
    let raw = st.raw.as_deref().unwrap_or("");
    let element = Element::parse(raw).map_err(|e| {
        Located::new(
            head.line,
            head.col,
            format!("the xml statement is not one XML element: {e}"),
        )
    })?;
    let section = match element.name.as_str() {
        "node" => "nodes",
        "primitive" | "group" | "clone" | "master" | "bundle" | "template" => "resources",
        "rsc_location" | "rsc_colocation" | "rsc_order" | "rsc_ticket" => "constraints",
        "cluster_property_set" => "crm_config",
        "tag" => "tags",
        "fencing-topology" => "fencing-topology",
        "alert" => "alerts",
        "acl_role" | "acl_target" | "acl_group" => "acls",
        _ => OWN_SECTION,
    };
    if element.attr("id").is_none() && !matches!(section, "fencing-topology" | OWN_SECTION) {
        return Err(Located::new(
            head.line,
            head.col,
            format!("xml statement: <{}> needs an id attribute", element.name),
        ));
    }
    Ok(Object {
        element,
        section,
        line: head.line,
        col: head.col,
        refs: Vec::new(),
        verbatim: true,
    })
}

/// `name=value` split at the first `=`.
fn split_nv(s: &str) -> Option<(&str, &str)> {
    let (n, v) = s.split_once('=')?;
    (!n.is_empty()).then_some((n, v))
}

/// Whether `n` can be an XML attribute name (op and date fields become attributes, so a name
/// like `4.9), x` must be refused here, not written into a CIB Pacemaker cannot read).
fn xml_name(n: &str) -> bool {
    let mut chars = n.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn not_a_name(p: &P, n: &str) -> Located {
    p.err(format!(
        "'{n}' is not an attribute name (a letter or '_', then letters, digits, '-', '_', '.')"
    ))
}

fn nvpair(name: &str, value: &str) -> Element {
    Element::new("nvpair")
        .with_attr("name", name)
        .with_attr("value", value)
}

/// A score token (`100:`, `-inf:`, `Mandatory:`) without its colon, in CIB spelling.
fn score_token(t: &str) -> Option<String> {
    let s = t.strip_suffix(':')?;
    if s.is_empty() || s.contains(':') {
        return None;
    }
    Some(cib_score(s))
}

fn cib_score(s: &str) -> String {
    match s.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => "INFINITY".into(),
        "-inf" | "-infinity" => "-INFINITY".into(),
        _ => s.to_string(),
    }
}

fn is_number_score(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    s == "INFINITY" || (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
}

/// Keywords that end an attribute list.
const LIST_END: &[&str] = &[
    "params",
    "meta",
    "utilization",
    "attributes",
    "op",
    "op_params",
    "op_meta",
    "operations",
    "rule",
];

/// `[$id=X] [score:] [rule ...] name=value...` after `params`, `meta`...
fn attr_list(p: &mut P, tag: &str) -> R<Element> {
    let mut set = Element::new(tag);
    while let Some(t) = p.peek() {
        if let Some(id) = t.strip_prefix("$id=") {
            set.set_attr("id", id);
        } else if let Some(r) = t.strip_prefix("$id-ref=") {
            set.set_attr("id-ref", r);
        } else if t == "rule" {
            p.i += 1;
            let r = rule(p)?;
            set.children.push(r);
            continue;
        } else if let Some(score) =
            score_token(t).filter(|_| !t.contains('=') && set.children.is_empty())
        {
            set.set_attr("score", score);
        } else if let Some((n, v)) = split_nv(t) {
            if LIST_END.contains(&n) {
                break;
            }
            let v = if n == "target-role" {
                modern_role(v)
            } else {
                v
            };
            set.children.push(nvpair(n, v));
        } else {
            break;
        }
        p.i += 1;
    }
    Ok(set)
}

fn node(p: &mut P) -> R<Element> {
    let mut el = Element::new("node");
    let mut id = None;
    if let Some(t) = p.peek() {
        if let Some(v) = t.strip_prefix("$id=") {
            id = Some(v.to_string());
            p.i += 1;
        } else if let Some(v) = t.strip_suffix(':').filter(|v| !v.is_empty()) {
            id = Some(v.to_string());
            p.i += 1;
        }
    }
    let uname_tok = p.expect("a node name")?;
    let (uname, typ) = match uname_tok.text.split_once(':') {
        Some((u, t)) => (u.to_string(), Some(t.to_string())),
        None => (uname_tok.text.clone(), None),
    };
    if !is_ident(&uname) {
        return Err(Located::new(
            uname_tok.line,
            uname_tok.col,
            format!("'{uname}' is not a valid node name"),
        ));
    }
    el.set_attr("id", id.unwrap_or_else(|| uname.clone()));
    el.set_attr("uname", uname);
    if let Some(t) = typ {
        el.set_attr("type", t);
    }
    if let Some(d) = p.peek().and_then(|t| t.strip_prefix("description=")) {
        el.set_attr("description", d);
        p.i += 1;
    }
    while let Some(t) = p.peek() {
        let tag = match t {
            "attributes" => "instance_attributes",
            "utilization" => "utilization",
            _ if split_nv(t).is_some() && el.children.is_empty() => {
                let set = attr_list(p, "instance_attributes")?;
                el.children.push(set);
                continue;
            }
            _ => return Err(p.expected("attributes, utilization or the end of the node")),
        };
        p.i += 1;
        let set = attr_list(p, tag)?;
        el.children.push(set);
    }
    Ok(el)
}

fn primitive(p: &mut P) -> R<Element> {
    let id = p.ident("a resource id")?;
    let mut el = Element::new("primitive").with_attr("id", &id);
    let spec = p.expect("an agent such as ocf:heartbeat:IPaddr2, IPaddr2 or systemd:name")?;
    if let Some(t) = spec.text.strip_prefix('@') {
        el.set_attr("template", t);
    } else {
        let parts: Vec<&str> = spec.text.split(':').collect();
        let (class, provider, typ) = match parts.as_slice() {
            [t] => ("ocf", Some("heartbeat"), *t),
            ["ocf", t] => ("ocf", Some("heartbeat"), *t),
            [c, t] => (*c, None, *t),
            [c, pr, t] => (*c, Some(*pr), *t),
            _ => ("", None, ""),
        };
        if typ.is_empty() || class.is_empty() || provider == Some("") {
            return Err(Located::new(
                spec.line,
                spec.col,
                format!("'{}' is not an agent: write class:provider:type (ocf:heartbeat:pgsql), class:type (systemd:foo) or type", spec.text),
            ));
        }
        el.set_attr("class", class);
        if let Some(pr) = provider {
            el.set_attr("provider", pr);
        }
        el.set_attr("type", typ);
    }
    if let Some(d) = p.peek().and_then(|t| t.strip_prefix("description=")) {
        el.set_attr("description", d);
        p.i += 1;
    }
    let mut ops: Option<usize> = None;
    while let Some(t) = p.peek() {
        let tag = match t {
            "params" => "instance_attributes",
            "meta" => "meta_attributes",
            "utilization" => "utilization",
            "operations" => {
                p.i += 1;
                let mut o = Element::new("operations");
                while let Some(v) = p.peek().and_then(|t| t.strip_prefix("$id=")) {
                    o.set_attr("id", v);
                    p.i += 1;
                }
                ops_index(&mut el, &mut ops);
                el.children[ops.expect("set")].attrs = o.attrs;
                continue;
            }
            "op" => {
                p.i += 1;
                let op = op(p)?;
                let i = ops_index(&mut el, &mut ops);
                el.children[i].children.push(op);
                continue;
            }
            _ if split_nv(t).is_some() && el.children.is_empty() => "instance_attributes",
            _ => {
                return Err(p.expected("params, meta, utilization, op or the end of the primitive"))
            }
        };
        if LIST_END.contains(&t) {
            p.i += 1;
        }
        let set = attr_list(p, tag)?;
        el.children.push(set);
    }
    Ok(el)
}

fn ops_index(el: &mut Element, ops: &mut Option<usize>) -> usize {
    *ops.get_or_insert_with(|| {
        el.children.push(Element::new("operations"));
        el.children.len() - 1
    })
}

fn op(p: &mut P) -> R<Element> {
    let name = p.ident("an operation name (monitor, start, stop, promote...)")?;
    let mut op = Element::new("op").with_attr("name", &name);
    while let Some(t) = p.peek() {
        let Some((n, v)) = split_nv(t).filter(|(n, _)| !LIST_END.contains(n)) else {
            break;
        };
        if !xml_name(n) {
            return Err(not_a_name(p, n));
        }
        let v = if n == "role" { modern_role(v) } else { v };
        op.set_attr(n, v);
        p.i += 1;
    }
    while let Some(t) = p.peek() {
        let tag = match t {
            "op_params" => "instance_attributes",
            "op_meta" => "meta_attributes",
            _ => break,
        };
        p.i += 1;
        let set = attr_list(p, tag)?;
        op.children.push(set);
    }
    Ok(op)
}

fn container(p: &mut P, tag: &str) -> R<Element> {
    let id = p.ident("a resource id")?;
    let mut el = Element::new(tag).with_attr("id", &id);
    let mut members = Vec::new();
    while let Some(t) = p.peek_tok() {
        if split_nv(&t.text).is_some() || LIST_END.contains(&t.text.as_str()) {
            break;
        }
        if !is_ident(&t.text) {
            return Err(p.expected("a resource id"));
        }
        members.push(Element::new("crmsh-ref").with_attr("id", &t.text));
        p.reference(&t.text, t, true);
        p.i += 1;
    }
    let what = if tag == "group" {
        "at least one resource for the group"
    } else {
        "the resource to clone"
    };
    if members.is_empty() {
        return Err(p.expected(what));
    }
    if tag != "group" && members.len() > 1 {
        let t = &p.toks[p.i - 1];
        return Err(Located::new(
            t.line,
            t.col,
            format!(
                "a {} holds one resource: put several in a group first",
                if tag == "master" { "ms" } else { tag }
            ),
        ));
    }
    if let Some(d) = p.peek().and_then(|t| t.strip_prefix("description=")) {
        el.set_attr("description", d);
        p.i += 1;
    }
    while let Some(t) = p.peek() {
        let tag = match t {
            "params" => "instance_attributes",
            "meta" => "meta_attributes",
            _ if split_nv(t).is_some() => "meta_attributes",
            _ => return Err(p.expected("meta, params or the end of the statement")),
        };
        let start = p.i;
        if LIST_END.contains(&t) {
            p.i += 1;
        }
        let set = attr_list(p, tag)?;
        if p.i == start {
            // `op=1` after a clone: a name=value that no list takes (found by fuzzing: this
            // loop pushed empty lists until memory ran out).
            return Err(p.expected("meta, params or the end of the statement"));
        }
        el.children.push(set);
    }
    el.children.extend(members);
    Ok(el)
}

fn location(p: &mut P) -> R<Element> {
    let id = p.ident("a constraint id")?;
    let mut el = Element::new("rsc_location").with_attr("id", &id);
    let t = p.expect("a resource, /pattern/ or { resource set }")?;
    if t.text == "{" {
        let mut toks = Vec::new();
        loop {
            let t = p.expect("'}' closing the resource set")?;
            if t.text == "}" {
                break;
            }
            toks.push(t);
        }
        let sets = resource_sets(p, &toks, "role")?;
        el.children.extend(sets);
    } else if let Some(pat) = t.text.strip_prefix('/').and_then(|s| s.strip_suffix('/')) {
        el.set_attr("rsc-pattern", pat);
    } else if is_ident(&t.text) {
        el.set_attr("rsc", &t.text);
        p.reference(&t.text, t, false);
    } else {
        p.i -= 1;
        return Err(p.expected("a resource, /pattern/ or { resource set }"));
    }
    while let Some((n, v)) = p.peek().and_then(split_nv) {
        match n {
            "role" => el.set_attr("role", modern_role(v)),
            "resource-discovery" => el.set_attr("resource-discovery", v),
            _ => {
                return Err(p.err(format!(
                    "unknown location attribute '{n}': expected role= or resource-discovery="
                )))
            }
        }
        p.i += 1;
    }
    match p.peek() {
        Some("rule") => {
            while p.peek() == Some("rule") {
                p.i += 1;
                let r = rule(p)?;
                el.children.push(r);
            }
        }
        Some(t) if score_token(t).is_some() => {
            let score = score_token(t).expect("checked");
            p.i += 1;
            let node = p.ident("a node name")?;
            set_score(&mut el, &score);
            el.set_attr("node", node);
        }
        _ => return Err(p.expected("a score and a node (100: node1) or a rule")),
    }
    p.done("another rule or the end of the location")?;
    Ok(el)
}

fn set_score(el: &mut Element, score: &str) {
    if is_number_score(score) {
        el.set_attr("score", score);
    } else {
        el.set_attr("score-attribute", score);
    }
}

const BINARY_OPS: &[&str] = &["lt", "gt", "lte", "gte", "eq", "ne"];
const DATE_IN: &[&str] = &["start", "end"];

fn rule(p: &mut P) -> R<Element> {
    let mut r = Element::new("rule");
    loop {
        match p.peek() {
            Some(t) if t.starts_with("$id=") => r.set_attr("id", &t[4..]),
            Some(t) if t.starts_with("$id-ref=") => {
                r.set_attr("id-ref", &t[8..]);
                p.i += 1;
                return Ok(r);
            }
            Some(t) if t.starts_with("$role=") => r.set_attr("role", modern_role(&t[6..])),
            _ => break,
        }
        p.i += 1;
    }
    let mut score = "INFINITY".to_string();
    if let Some(s) = p.peek().and_then(score_token) {
        score = s;
        p.i += 1;
    }
    set_score(&mut r, &score);
    let mut bool_op: Option<&str> = None;
    loop {
        let e = expression(p)?;
        r.children.push(e);
        match p.peek() {
            Some(op @ ("and" | "or")) => {
                if bool_op.is_some_and(|b| b != op) {
                    return Err(
                        p.err("a rule cannot mix 'and' and 'or': split it into several rules")
                    );
                }
                bool_op = Some(op);
                p.i += 1;
            }
            _ => break,
        }
    }
    if r.children.len() > 1 {
        r.set_attr("boolean-op", bool_op.unwrap_or("and"));
    }
    Ok(r)
}

fn expression(p: &mut P) -> R<Element> {
    let first = p.expect("an expression (attr eq value, defined attr, date ...)")?;
    match first.text.as_str() {
        "defined" | "not_defined" => {
            let attr = p.expect("an attribute name")?;
            Ok(Element::new("expression")
                .with_attr("attribute", &attr.text)
                .with_attr("operation", &first.text))
        }
        "date" => date_expression(p),
        _ => {
            let opt = p.expect(
                "an operator: eq, ne, lt, gt, lte, gte (optionally number:, string: or version:)",
            )?;
            let (typ, op) = match opt.text.split_once(':') {
                Some((t, o)) => (Some(t), o),
                None => (None, opt.text.as_str()),
            };
            if !BINARY_OPS.contains(&op)
                || typ.is_some_and(|t| !matches!(t, "string" | "number" | "integer" | "version"))
            {
                return Err(Located::new(
                    opt.line,
                    opt.col,
                    format!("'{}' is not an operator: expected eq, ne, lt, gt, lte or gte (optionally number:, integer:, string: or version:)", opt.text),
                ));
            }
            let value = p.expect("a value to compare with")?;
            let mut e = Element::new("expression")
                .with_attr("attribute", &first.text)
                .with_attr("operation", op);
            if let Some(t) = typ {
                e.set_attr("type", t);
            }
            match value
                .text
                .split_once('{')
                .filter(|(s, v)| matches!(*s, "param" | "meta") && v.ends_with('}'))
            {
                Some((src, v)) => {
                    e.set_attr("value", &v[..v.len() - 1]);
                    e.set_attr("value-source", src);
                }
                None => e.set_attr("value", &value.text),
            }
            Ok(e)
        }
    }
}

fn date_expression(p: &mut P) -> R<Element> {
    let op = p.expect("lt, gt, in or spec after date")?;
    let mut e = Element::new("date_expression");
    match op.text.as_str() {
        "lt" | "gt" => {
            let v = p.expect("a date")?;
            e.set_attr("operation", &op.text);
            e.set_attr(if op.text == "lt" { "end" } else { "start" }, &v.text);
        }
        "in" | "in_range" | "spec" | "date_spec" => {
            let spec = op.text.starts_with("spec") || op.text == "date_spec";
            e.set_attr("operation", if spec { "date_spec" } else { "in_range" });
            let mut child = Element::new(if spec { "date_spec" } else { "duration" });
            while let Some((n, v)) = p.peek().and_then(split_nv) {
                if !xml_name(n) {
                    return Err(not_a_name(p, n));
                }
                if !spec && DATE_IN.contains(&n) {
                    e.set_attr(n, v);
                } else {
                    child.set_attr(n, v);
                }
                p.i += 1;
            }
            if !child.attrs.is_empty() {
                e.children.push(child);
            } else if spec || e.attrs.len() == 1 {
                return Err(p.expected("name=value fields of the date"));
            }
        }
        _ => {
            return Err(Located::new(
                op.line,
                op.col,
                format!("'{}' after date: expected lt, gt, in or spec", op.text),
            ))
        }
    }
    Ok(e)
}

/// Splits the rest of a colocation/order/ticket into resource tokens and trailing
/// constraint attributes (`symmetrical=`, `node-attribute=`, `loss-policy=`).
fn constraint_tail<'a>(p: &mut P<'a>, attrs: &[&str], el: &mut Element) -> R<Vec<&'a Token>> {
    let mut toks = Vec::new();
    while let Some(t) = p.next() {
        match split_nv(&t.text) {
            Some((n, v)) if attrs.contains(&n) => el.set_attr(n, v),
            Some(("sequential" | "require-all", _)) => toks.push(t),
            Some((n, _)) => {
                p.i -= 1;
                return Err(p.err(format!(
                    "unknown attribute '{n}': expected {}",
                    attrs.join("= or ") + "="
                )));
            }
            None => toks.push(t),
        }
    }
    Ok(toks)
}

/// Resources with an optional `:role` / `:action` qualifier.
fn rsc_qualifier<'a>(p: &mut P, t: &'a Token, q: &str) -> R<(&'a str, Option<String>)> {
    let (rsc, qual) = match t.text.split_once(':') {
        Some((r, x)) => (r, Some(x)),
        None => (t.text.as_str(), None),
    };
    if !is_ident(rsc) || rsc.contains('#') {
        return Err(Located::new(
            t.line,
            t.col,
            format!("'{}' is not a resource id", t.text),
        ));
    }
    let qual = match qual {
        None => None,
        Some(x) if q == "role" => {
            let r = modern_role(x);
            if !matches!(r, "Started" | "Stopped" | "Promoted" | "Unpromoted") {
                return Err(Located::new(
                    t.line,
                    t.col,
                    format!(
                        "'{x}' is not a role: expected Started, Stopped, Promoted or Unpromoted"
                    ),
                ));
            }
            Some(r.to_string())
        }
        Some(x) => {
            if !matches!(x, "start" | "stop" | "promote" | "demote") {
                return Err(Located::new(
                    t.line,
                    t.col,
                    format!("'{x}' is not an action: expected start, stop, promote or demote"),
                ));
            }
            Some(x.to_string())
        }
    };
    p.reference(rsc, t, false);
    Ok((rsc, qual))
}

fn uses_sets(toks: &[&Token], simple_len: usize) -> bool {
    toks.len() != simple_len
        || toks.iter().any(|t| {
            matches!(t.text.as_str(), "(" | ")" | "[" | "]" | "_rsc_set_") || t.text.contains('=')
        })
}

/// crmsh's ResourceSet parser: brackets make non-sequential sets, `[ ]` require-all=false,
/// a change of role/action starts a new set.
fn resource_sets(p: &mut P, toks: &[&Token], q_attr: &str) -> R<Vec<Element>> {
    let mut sets = Vec::new();
    let mut cur = Element::new("resource_set");
    let mut prev_q: Option<String> = None;
    let mut opened: Option<(&str, &Token)> = None;
    let (mut sequential, mut require_all) = (true, true);
    let save =
        |cur: &mut Element, sets: &mut Vec<Element>, seq: bool, all: bool, q: &Option<String>| {
            if cur.children.is_empty() {
                return;
            }
            let mut set = std::mem::replace(cur, Element::new("resource_set"));
            if !all {
                set.set_attr("require-all", "false");
            }
            if !seq {
                set.set_attr("sequential", "false");
            }
            if let Some(q) = q {
                set.set_attr(q_attr, q);
            }
            sets.push(set);
        };
    for t in toks.iter().copied() {
        let text = t.text.as_str();
        match text {
            "_rsc_set_" => {}
            "(" | "[" => {
                if opened.is_some() {
                    return Err(Located::new(
                        t.line,
                        t.col,
                        "resource sets cannot be nested",
                    ));
                }
                save(&mut cur, &mut sets, sequential, require_all, &prev_q);
                sequential = false;
                require_all = text != "[";
                opened = Some((text, t));
            }
            ")" | "]" => {
                let Some((open, _)) = opened else {
                    return Err(Located::new(
                        t.line,
                        t.col,
                        format!("'{text}' closes no resource set"),
                    ));
                };
                if (open == "(") != (text == ")") {
                    return Err(Located::new(
                        t.line,
                        t.col,
                        format!("'{text}' does not match '{open}'"),
                    ));
                }
                if cur.children.is_empty() {
                    return Err(Located::new(t.line, t.col, "empty resource set"));
                }
                save(&mut cur, &mut sets, sequential, require_all, &prev_q);
                sequential = true;
                require_all = true;
                opened = None;
            }
            _ if text.contains('=') => {
                let (n, v) = split_nv(text).unwrap_or(("", ""));
                let b = match v.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "on" | "1" => true,
                    "false" | "no" | "off" | "0" => false,
                    _ => {
                        return Err(Located::new(
                            t.line,
                            t.col,
                            format!("'{v}' is not a boolean"),
                        ))
                    }
                };
                match n {
                    "sequential" => sequential = b,
                    "require-all" => require_all = b,
                    _ => {
                        return Err(Located::new(
                            t.line,
                            t.col,
                            format!("unknown set attribute '{n}'"),
                        ))
                    }
                }
            }
            _ => {
                let (rsc, q) = rsc_qualifier(p, t, q_attr)?;
                if q != prev_q {
                    save(&mut cur, &mut sets, sequential, require_all, &prev_q);
                    prev_q = q;
                }
                cur.children
                    .push(Element::new("resource_ref").with_attr("id", rsc));
            }
        }
    }
    if let Some((open, t)) = opened {
        return Err(Located::new(
            t.line,
            t.col,
            format!("'{open}' is never closed"),
        ));
    }
    save(&mut cur, &mut sets, sequential, require_all, &prev_q);
    Ok(sets)
}

fn colocation(p: &mut P) -> R<Element> {
    let id = p.ident("a constraint id")?;
    let mut el = Element::new("rsc_colocation").with_attr("id", &id);
    let score = p
        .peek()
        .and_then(score_token)
        .ok_or_else(|| p.expected("a score such as inf: or -100:"))?;
    p.i += 1;
    set_score(&mut el, &score);
    let toks = constraint_tail(p, &["node-attribute"], &mut el)?;
    colocation_or_order(p, el, &toks, "rsc", "with-rsc", "role")
}

fn colocation_or_order(
    p: &mut P,
    mut el: Element,
    toks: &[&Token],
    a: &str,
    b: &str,
    q: &str,
) -> R<Element> {
    let resources = toks
        .iter()
        .filter(|t| {
            !matches!(t.text.as_str(), "(" | ")" | "[" | "]" | "_rsc_set_") && !t.text.contains('=')
        })
        .count();
    if resources < 2 {
        return Err(p.expected("two resources (or resource sets)"));
    }
    if uses_sets(toks, 2) {
        let sets = resource_sets(p, toks, q)?;
        el.children.extend(sets);
    } else {
        let (r1, q1) = rsc_qualifier(p, toks[0], q)?;
        let (r2, q2) = rsc_qualifier(p, toks[1], q)?;
        let suffix = if q == "role" { "role" } else { "action" };
        let mut attrs = vec![(a.to_string(), r1.to_string())];
        if let Some(x) = q1 {
            attrs.push((format!("{a}-{suffix}"), x));
        }
        attrs.push((b.to_string(), r2.to_string()));
        if let Some(x) = q2 {
            attrs.push((format!("{b}-{suffix}"), x));
        }
        for (k, v) in attrs {
            el.set_attr(&k, v);
        }
    }
    // constraint attributes (symmetrical=...) read before the resources go last, as crmsh prints them
    let tail: Vec<(String, String)> = ["symmetrical", "node-attribute", "loss-policy"]
        .iter()
        .filter_map(|k| el.remove_attr(k).map(|v| (k.to_string(), v)))
        .collect();
    el.attrs.extend(tail);
    Ok(el)
}

fn order(p: &mut P) -> R<Element> {
    let id = p.ident("a constraint id")?;
    let mut el = Element::new("rsc_order").with_attr("id", &id);
    if let Some(s) = p
        .peek()
        .and_then(|t| t.strip_suffix(':'))
        .filter(|s| !s.is_empty() && !s.contains(':'))
    {
        let kind = match s.to_ascii_lowercase().as_str() {
            "mandatory" => "Mandatory".to_string(),
            "optional" => "Optional".to_string(),
            "serialize" => "Serialize".to_string(),
            _ if is_number_score(&cib_score(s)) => if cib_score(s) == "0" {
                "Optional"
            } else {
                "Mandatory"
            }
            .to_string(),
            _ => {
                return Err(p.err(format!(
                "'{s}' is not an order kind: expected Mandatory, Optional, Serialize or a score"
            )))
            }
        };
        el.set_attr("kind", kind);
        p.i += 1;
    }
    let toks = constraint_tail(p, &["symmetrical"], &mut el)?;
    colocation_or_order(p, el, &toks, "first", "then", "action")
}

fn ticket(p: &mut P) -> R<Element> {
    let id = p.ident("a constraint id")?;
    let mut el = Element::new("rsc_ticket").with_attr("id", &id);
    let t = p
        .peek()
        .and_then(|t| t.strip_suffix(':'))
        .filter(|t| is_ident(t))
        .ok_or_else(|| p.expected("a ticket name followed by ':'"))?;
    el.set_attr("ticket", t);
    p.i += 1;
    let toks = constraint_tail(p, &["loss-policy"], &mut el)?;
    if toks.is_empty() {
        return Err(p.expected("a resource"));
    }
    if uses_sets(&toks, 1) {
        let sets = resource_sets(p, &toks, "role")?;
        el.children.extend(sets);
    } else {
        let (r, q) = rsc_qualifier(p, toks[0], "role")?;
        el.set_attr("rsc", r);
        if let Some(q) = q {
            el.set_attr("rsc-role", q);
        }
    }
    if let Some(lp) = el.remove_attr("loss-policy") {
        el.set_attr("loss-policy", lp);
    }
    Ok(el)
}

fn properties(p: &mut P, tag: &str, default_id: &str) -> R<Element> {
    let mut id = default_id.to_string();
    if let Some(t) = p.peek() {
        if let Some(v) = t.strip_prefix("$id=") {
            id = v.to_string();
            p.i += 1;
        } else if let Some(v) = t
            .strip_suffix(':')
            .filter(|v| is_ident(v) && split_nv(t).is_none())
        {
            id = v.to_string();
            p.i += 1;
        }
    }
    let mut set = attr_list(p, tag)?;
    if set.attr("id").is_none() {
        set.attrs.insert(0, ("id".into(), id));
    }
    p.done("name=value")?;
    Ok(set)
}

fn tag(p: &mut P) -> R<Element> {
    let t = p.expect("a tag id")?;
    let id = t.text.strip_suffix(':').unwrap_or(&t.text).to_string();
    if !is_ident(&id) {
        p.i -= 1;
        return Err(p.expected("a tag id"));
    }
    let mut el = Element::new("tag").with_attr("id", &id);
    while let Some(t) = p.next() {
        if !is_ident(&t.text) {
            p.i -= 1;
            return Err(p.expected("a resource id"));
        }
        el.children
            .push(Element::new("obj_ref").with_attr("id", &t.text));
        p.reference(&t.text, t, false);
    }
    if el.children.is_empty() {
        return Err(p.expected("at least one resource to tag"));
    }
    Ok(el)
}
