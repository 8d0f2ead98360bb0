//! A CIB change: a typed list of edits (create an element under a parent, delete an element,
//! set or remove attributes), built against a CIB read at a known version, applied once.
//!
//! The same value is applied to a saved file (`apply_to`, on the element tree), shown as a
//! diff (`--dry-run`), and sent to the live CIB manager as one v2 patchset (`to_patchset`), so
//! the three can never disagree. Building a change decides nothing about *what* to change:
//! that is `ops`' business. Nothing here does I/O.

use super::xml::{escape, Element};
use crate::ipc::cib::CibVersion;
use std::fmt::Write as _;

/// One step of an element path: a tag, and the `id` that selects among siblings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub tag: String,
    pub id: Option<String>,
}

/// The path of an element from the root `<cib>`, as Pacemaker's v2 patchsets write it:
/// `/cib/configuration/constraints/rsc_location[@id='cli-prefer-pgsql']`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementPath(pub Vec<Step>);

impl ElementPath {
    /// A path of plain section names below `<cib>`: `section(&["configuration", "nodes"])`.
    pub fn section(names: &[&str]) -> ElementPath {
        let mut steps = vec![Step {
            tag: "cib".into(),
            id: None,
        }];
        steps.extend(names.iter().map(|n| Step {
            tag: n.to_string(),
            id: None,
        }));
        ElementPath(steps)
    }

    /// This path extended by a child `tag` with `id`.
    pub fn child(&self, tag: &str, id: &str) -> ElementPath {
        let mut steps = self.0.clone();
        steps.push(Step {
            tag: tag.to_string(),
            id: Some(id.to_string()),
        });
        ElementPath(steps)
    }

    /// The parent's path (the root's parent is the root).
    pub fn parent(&self) -> ElementPath {
        let mut steps = self.0.clone();
        if steps.len() > 1 {
            steps.pop();
        }
        ElementPath(steps)
    }

    /// The XPath-like text Pacemaker's patchsets use; ids are quoted with `'`.
    pub fn to_xpath(&self) -> String {
        let mut out = String::new();
        for s in &self.0 {
            out.push('/');
            out.push_str(&s.tag);
            if let Some(id) = &s.id {
                let _ = write!(out, "[@id='{id}']");
            }
        }
        out
    }

    /// Resolves the path in `root` (which must be the `<cib>` element).
    pub fn find<'a>(&self, root: &'a Element) -> Option<&'a Element> {
        let (first, rest) = self.0.split_first()?;
        if first.tag != root.name {
            return None;
        }
        rest.iter().try_fold(root, |e, s| {
            e.children
                .iter()
                .find(|c| c.name == s.tag && s.id.as_deref().is_none_or(|id| c.id() == id))
        })
    }

    fn find_mut<'a>(&self, root: &'a mut Element) -> Option<&'a mut Element> {
        let (first, rest) = self.0.split_first()?;
        if first.tag != root.name {
            return None;
        }
        let mut e = root;
        for s in rest {
            e = e
                .children
                .iter_mut()
                .find(|c| c.name == s.tag && s.id.as_deref().is_none_or(|id| c.id() == id))?;
        }
        Some(e)
    }
}

impl std::fmt::Display for ElementPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_xpath())
    }
}

/// One edit of the CIB.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Inserts `element` (with its subtree) as child number `position` (from 0) of the
    /// element at `parent`, or as its last child when `position` is `None`.
    Create {
        parent: ElementPath,
        element: Element,
        position: Option<usize>,
    },
    /// Removes the element at `path` with its subtree.
    Delete { path: ElementPath },
    /// Sets (`Some`) or removes (`None`) attributes of the element at `path`.
    SetAttrs {
        path: ElementPath,
        attrs: Vec<(String, Option<String>)>,
    },
}

/// Why a change could not be applied to a tree: the tree is not the one it was built on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    #[error("{0} is not in the CIB")]
    Missing(String),
    #[error("{0} already exists in the CIB")]
    Exists(String),
}

/// A change of the CIB, built on the version `base` of it.
#[derive(Debug, Clone, PartialEq)]
pub struct CibChange {
    pub base: CibVersion,
    pub edits: Vec<Edit>,
}

impl CibChange {
    pub fn new(base: CibVersion) -> CibChange {
        CibChange {
            base,
            edits: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    pub fn create(&mut self, parent: ElementPath, element: Element) -> &mut Self {
        self.edits.push(Edit::Create {
            parent,
            element,
            position: None,
        });
        self
    }

    /// Inserts `element` as child number `position` of the element at `parent`.
    pub fn insert(&mut self, parent: ElementPath, position: usize, element: Element) -> &mut Self {
        self.edits.push(Edit::Create {
            parent,
            element,
            position: Some(position),
        });
        self
    }

    pub fn delete(&mut self, path: ElementPath) -> &mut Self {
        self.edits.push(Edit::Delete { path });
        self
    }

    pub fn set_attrs(
        &mut self,
        path: ElementPath,
        attrs: Vec<(String, Option<String>)>,
    ) -> &mut Self {
        self.edits.push(Edit::SetAttrs { path, attrs });
        self
    }

    /// Sets `name` = `value` in the `block` (e.g. `meta_attributes`) of the element at
    /// `owner` in `tree` (the CIB the change is built on): the existing nvpair is updated,
    /// else an nvpair is added to the first unconditional block, else a block is created.
    /// Ids follow Pacemaker's tools: `<owner>-<block>` and `<block id>-<name>`.
    pub fn set_nvpair(
        &mut self,
        tree: &Element,
        owner: &ElementPath,
        block: &str,
        block_id: &str,
        name: &str,
        value: &str,
    ) -> Result<&mut Self, ChangeError> {
        let el = owner
            .find(tree)
            .ok_or_else(|| ChangeError::Missing(owner.to_xpath()))?;
        let blocks: Vec<&Element> = el
            .children_named(block)
            .filter(|b| b.child("rule").is_none())
            .collect();
        for b in &blocks {
            if let Some(p) = b
                .children_named("nvpair")
                .find(|p| p.attr("name") == Some(name))
            {
                let path = owner.child(block, b.id()).child("nvpair", p.id());
                if p.attr("value") != Some(value) {
                    self.set_attrs(path, vec![("value".into(), Some(value.into()))]);
                }
                return Ok(self);
            }
        }
        let pair = |set_id: &str| {
            Element::new("nvpair")
                .with_attr("id", nvpair_id(set_id, name))
                .with_attr("name", name)
                .with_attr("value", value)
        };
        match blocks.first() {
            Some(b) => {
                let parent = owner.child(block, b.id());
                self.create(parent, pair(b.id()));
            }
            None => {
                let mut b = Element::new(block).with_attr("id", block_id);
                b.children.push(pair(block_id));
                self.create(owner.clone(), b);
            }
        }
        Ok(self)
    }

    /// Removes every unconditional nvpair `name` in the `block`s of the element at `owner`.
    /// Returns how many were found.
    pub fn delete_nvpair(
        &mut self,
        tree: &Element,
        owner: &ElementPath,
        block: &str,
        name: &str,
    ) -> usize {
        let Some(el) = owner.find(tree) else {
            return 0;
        };
        let mut n = 0;
        for b in el
            .children_named(block)
            .filter(|b| b.child("rule").is_none())
        {
            for p in b
                .children_named("nvpair")
                .filter(|p| p.attr("name") == Some(name))
            {
                self.delete(owner.child(block, b.id()).child("nvpair", p.id()));
                n += 1;
            }
        }
        n
    }

    /// Adds the edits that turn `before`, the element at `path`, into `after` (an element of
    /// the same name): attributes set or removed; children matched by tag and id and changed
    /// in place, so an unchanged object is not touched and a changed one keeps its place;
    /// children only in `before` deleted, only in `after` inserted where `after` has them. A
    /// child that moved (outside the longest common order) or whose text changed is deleted
    /// and inserted again. The result is exactly `after`, order included (resource order
    /// matters to placement).
    pub fn transform(&mut self, path: &ElementPath, before: &Element, after: &Element) {
        // `in_place` only fails on the text of the element itself, which no CIB
        // configuration element has; the sections are always transformed in place.
        if !self.in_place(path, before, after) {
            self.delete(path.clone());
            self.create(path.parent(), after.clone());
        }
    }

    /// The edits that make `before` into `after` without replacing `before` itself, or false
    /// (and nothing added) when that cannot be done: different text, or children that a path
    /// cannot tell apart (same tag, same or no id).
    fn in_place(&mut self, path: &ElementPath, before: &Element, after: &Element) -> bool {
        if before.name != after.name || before.text != after.text {
            return false;
        }
        let key = |e: &Element| (e.name.clone(), e.id().to_string());
        // A path names a child by tag and id, or by tag alone when it has no id: such a
        // child must be the only one of its tag.
        let unique = |list: &[Element]| {
            list.iter()
                .map(key)
                .collect::<std::collections::HashSet<_>>()
                .len()
                == list.len()
                && list.iter().all(|e| {
                    !e.id().is_empty() || list.iter().filter(|o| o.name == e.name).count() == 1
                })
        };
        if !unique(&before.children) || !unique(&after.children) {
            return false;
        }
        let mut edits = CibChange::new(self.base);
        let mut attrs: Vec<(String, Option<String>)> = after
            .attrs
            .iter()
            .filter(|(k, v)| before.attr(k) != Some(v.as_str()))
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect();
        attrs.extend(
            before
                .attrs
                .iter()
                .filter(|(k, _)| after.attr(k).is_none())
                .map(|(k, _)| (k.clone(), None)),
        );
        if !attrs.is_empty() {
            edits.set_attrs(path.clone(), attrs);
        }
        let child_path = |e: &Element| {
            let mut steps = path.0.clone();
            steps.push(Step {
                tag: e.name.clone(),
                id: (!e.id().is_empty()).then(|| e.id().to_string()),
            });
            ElementPath(steps)
        };
        // The children both have, in the longest common order, are changed in place; the
        // others are deleted, and what is missing is inserted at its final position.
        let kept = common_order(&before.children, &after.children, key);
        let mut stays = vec![false; before.children.len()];
        let mut placed = vec![false; after.children.len()];
        let mut sub = CibChange::new(self.base);
        for (b, a) in kept {
            let (old, new) = (&before.children[b], &after.children[a]);
            let mut inner = CibChange::new(self.base);
            if inner.in_place(&child_path(old), old, new) {
                sub.edits.extend(inner.edits);
                stays[b] = true;
                placed[a] = true;
            }
        }
        for (c, _) in before.children.iter().zip(&stays).filter(|(_, s)| !**s) {
            edits.delete(child_path(c));
        }
        edits.edits.extend(sub.edits);
        for (i, c) in after.children.iter().enumerate() {
            if !placed[i] {
                edits.insert(path.clone(), i, c.clone());
            }
        }
        self.edits.extend(edits.edits);
        true
    }

    /// Applies the edits to `root` (a `<cib>` tree), in order. On error `root` may be
    /// partly changed: apply to a copy when that matters.
    pub fn apply_to(&self, root: &mut Element) -> Result<(), ChangeError> {
        for edit in &self.edits {
            match edit {
                Edit::Create {
                    parent,
                    element,
                    position,
                } => {
                    let p = parent
                        .find_mut(root)
                        .ok_or_else(|| ChangeError::Missing(parent.to_xpath()))?;
                    if !element.id().is_empty()
                        && p.children
                            .iter()
                            .any(|c| c.name == element.name && c.id() == element.id())
                    {
                        return Err(ChangeError::Exists(
                            parent.child(&element.name, element.id()).to_xpath(),
                        ));
                    }
                    let at = position.unwrap_or(usize::MAX).min(p.children.len());
                    p.children.insert(at, element.clone());
                }
                Edit::Delete { path } => {
                    let parent = path
                        .parent()
                        .find_mut(root)
                        .ok_or_else(|| ChangeError::Missing(path.to_xpath()))?;
                    let last = path.0.last().expect("paths are never empty");
                    let pos = parent
                        .children
                        .iter()
                        .position(|c| {
                            c.name == last.tag && last.id.as_deref().is_none_or(|id| c.id() == id)
                        })
                        .ok_or_else(|| ChangeError::Missing(path.to_xpath()))?;
                    parent.children.remove(pos);
                }
                Edit::SetAttrs { path, attrs } => {
                    let e = path
                        .find_mut(root)
                        .ok_or_else(|| ChangeError::Missing(path.to_xpath()))?;
                    for (k, v) in attrs {
                        match v {
                            Some(v) => e.set_attr(k, v.clone()),
                            None => {
                                e.remove_attr(k);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether any edit touches `configuration` (which bumps `epoch`; status-only changes
    /// bump `num_updates`), as the CIB manager decides.
    pub fn touches_configuration(&self) -> bool {
        self.touches("configuration")
    }

    /// Whether any edit touches the status section.
    pub fn touches_status(&self) -> bool {
        self.touches("status")
    }

    /// Whether every edit of the status section removes a whole `node_state` (`node delete`):
    /// the one status change a client makes through the CIB manager, not attrd or the
    /// controller.
    pub fn status_edits_remove_nodes_only(&self) -> bool {
        self.edits.iter().all(|e| match e {
            Edit::Delete { path } if path.0.len() == 3 && path.0[1].tag == "status" => {
                path.0[2].tag == "node_state"
            }
            Edit::Create { parent: path, .. }
            | Edit::Delete { path }
            | Edit::SetAttrs { path, .. } => path.0.get(1).is_none_or(|s| s.tag != "status"),
        })
    }

    fn touches(&self, section: &str) -> bool {
        self.edits.iter().any(|e| {
            let path = match e {
                Edit::Create { parent, .. } => parent,
                Edit::Delete { path } | Edit::SetAttrs { path, .. } => path,
            };
            path.0.get(1).is_some_and(|s| s.tag == section)
        })
    }

    /// The change as a Pacemaker v2 patchset (`<diff format="2">`) for `cib_apply_diff`.
    /// `tree` is the CIB the change was built on (for positions and the full attribute list
    /// of modified elements); `live_root` is the live `<cib>` element (attributes only), whose
    /// version is the source. The CIB manager refuses a patch whose result is not newer than
    /// the live CIB (-205) and then bumps `epoch` for a configuration change itself, so the
    /// patch starts, as Pacemaker's own do, with a `modify` of `/cib` that bumps
    /// `num_updates`; the result is `epoch + 1` exactly as after `crm_resource` (seen live).
    pub fn to_patchset(&self, tree: &Element, live_root: &Element) -> Result<String, ChangeError> {
        let mut scratch = tree.clone();
        let num = |name: &str| -> u64 {
            live_root
                .attr(name)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let live = CibVersion {
            admin_epoch: num("admin_epoch"),
            epoch: num("epoch"),
            num_updates: num("num_updates"),
        };
        let (epoch, updates) = (live.epoch, live.num_updates + 1);
        let mut out = format!(
            "<diff format=\"2\"><version><source admin_epoch=\"{a}\" epoch=\"{}\" num_updates=\"{}\"/><target admin_epoch=\"{a}\" epoch=\"{epoch}\" num_updates=\"{updates}\"/></version>",
            live.epoch,
            live.num_updates,
            a = live.admin_epoch,
        );
        let mut root = live_root.clone();
        root.children.clear();
        root.text.clear();
        root.set_attr("epoch", epoch.to_string());
        root.set_attr("num_updates", updates.to_string());
        let _ = write!(
            out,
            "<change operation=\"modify\" path=\"/cib\"><change-list><change-attr name=\"epoch\" operation=\"set\" value=\"{epoch}\"/><change-attr name=\"num_updates\" operation=\"set\" value=\"{updates}\"/></change-list><change-result>{}</change-result></change>",
            root.to_xml()
        );
        for edit in &self.edits {
            match edit {
                Edit::Create {
                    parent,
                    element,
                    position,
                } => {
                    let len = parent
                        .find(&scratch)
                        .ok_or_else(|| ChangeError::Missing(parent.to_xpath()))?
                        .children
                        .len();
                    let position = position.unwrap_or(len).min(len);
                    let _ = write!(
                        out,
                        "<change operation=\"create\" path=\"{}\" position=\"{position}\">{}</change>",
                        escape(&parent.to_xpath()),
                        element.to_xml()
                    );
                }
                Edit::Delete { path } => {
                    let _ = write!(
                        out,
                        "<change operation=\"delete\" path=\"{}\"/>",
                        escape(&path.to_xpath())
                    );
                }
                Edit::SetAttrs { path, attrs } => {
                    let _ = write!(
                        out,
                        "<change operation=\"modify\" path=\"{}\"><change-list>",
                        escape(&path.to_xpath())
                    );
                    for (k, val) in attrs {
                        match val {
                            Some(val) => {
                                let _ = write!(
                                    out,
                                    "<change-attr name=\"{}\" operation=\"set\" value=\"{}\"/>",
                                    escape(k),
                                    escape(val)
                                );
                            }
                            None => {
                                let _ = write!(
                                    out,
                                    "<change-attr name=\"{}\" operation=\"unset\"/>",
                                    escape(k)
                                );
                            }
                        }
                    }
                    out.push_str("</change-list><change-result>");
                    // The CIB manager replaces the element's attributes by those of the
                    // result: it must carry all of them, not only the changed ones.
                    let mut after = path
                        .find(&scratch)
                        .ok_or_else(|| ChangeError::Missing(path.to_xpath()))?
                        .clone();
                    after.children.clear();
                    after.text.clear();
                    for (k, val) in attrs {
                        match val {
                            Some(val) => after.set_attr(k, val.clone()),
                            None => {
                                after.remove_attr(k);
                            }
                        }
                    }
                    out.push_str(&after.to_xml());
                    out.push_str("</change-result></change>");
                }
            }
            CibChange {
                base: self.base,
                edits: vec![edit.clone()],
            }
            .apply_to(&mut scratch)?;
        }
        out.push_str("</diff>");
        Ok(out)
    }

    /// One line per edit, for people: `+ rsc_location cli-prefer-pgsql (constraints)`.
    pub fn summary(&self) -> Vec<String> {
        self.edits
            .iter()
            .map(|e| match e {
                Edit::Create {
                    parent, element, ..
                } => format!(
                    "create {} {} in {}",
                    element.name,
                    element.id(),
                    parent.to_xpath()
                ),
                Edit::Delete { path } => format!("delete {}", path.to_xpath()),
                Edit::SetAttrs { path, attrs } => format!(
                    "set {} on {}",
                    attrs
                        .iter()
                        .map(|(k, v)| match v {
                            Some(v) => format!("{k}={v}"),
                            None => format!("-{k}"),
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                    path.to_xpath()
                ),
            })
            .collect()
    }
}

/// The pairs `(index in before, index in after)` of the longest common subsequence of the
/// two lists by `key` (keys are unique within each list).
fn common_order<K: PartialEq>(
    before: &[Element],
    after: &[Element],
    key: impl Fn(&Element) -> K,
) -> Vec<(usize, usize)> {
    let (b, a): (Vec<K>, Vec<K>) = (
        before.iter().map(&key).collect(),
        after.iter().map(&key).collect(),
    );
    // lcs[i][j]: the length for b[i..] and a[j..].
    let mut lcs = vec![vec![0u32; a.len() + 1]; b.len() + 1];
    for i in (0..b.len()).rev() {
        for j in (0..a.len()).rev() {
            lcs[i][j] = if b[i] == a[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < b.len() && j < a.len() {
        if b[i] == a[j] {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The id Pacemaker's tools give an nvpair: `<set id>-<name>`, with characters that are not
/// valid in an XML id replaced by `.` (as `crm_xml_sanitize_id` does: `#` in fail-count names).
pub fn nvpair_id(set_id: &str, name: &str) -> String {
    sanitize_id(&format!("{set_id}-{name}"))
}

/// Replaces characters not allowed in an XML ID by `.`, as Pacemaker's `crm_xml_sanitize_id`.
pub fn sanitize_id(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '.'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CIB: &str = r#"<cib admin_epoch="0" epoch="5" num_updates="3"><configuration><crm_config/><nodes><node id="1" uname="node1"/></nodes><resources><primitive id="d" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="d-meta_attributes"><nvpair id="d-meta_attributes-target-role" name="target-role" value="Stopped"/></meta_attributes></primitive></resources><constraints><rsc_location id="old" rsc="d" node="node1" score="10"/></constraints></configuration><status/></cib>"#;

    fn v() -> CibVersion {
        CibVersion {
            admin_epoch: 0,
            epoch: 5,
            num_updates: 3,
        }
    }

    #[test]
    fn edits_apply_and_become_a_patchset() {
        let tree = Element::parse(CIB).unwrap();
        let cons = ElementPath::section(&["configuration", "constraints"]);
        let rsc = ElementPath::section(&["configuration", "resources"]).child("primitive", "d");
        let mut c = CibChange::new(v());
        c.create(
            cons.clone(),
            Element::new("rsc_location")
                .with_attr("id", "cli-ban-d-on-node1")
                .with_attr("rsc", "d")
                .with_attr("node", "node1")
                .with_attr("score", "-INFINITY"),
        )
        .delete(cons.child("rsc_location", "old"));
        c.set_nvpair(
            &tree,
            &rsc,
            "meta_attributes",
            "d-meta_attributes",
            "target-role",
            "Started",
        )
        .unwrap();
        c.set_nvpair(
            &tree,
            &rsc,
            "meta_attributes",
            "d-meta_attributes",
            "is-managed",
            "false",
        )
        .unwrap();
        assert!(c.touches_configuration());
        let mut after = tree.clone();
        c.apply_to(&mut after).unwrap();
        let cons_el = cons.find(&after).unwrap();
        assert_eq!(cons_el.children.len(), 1);
        assert_eq!(cons_el.children[0].id(), "cli-ban-d-on-node1");
        let meta = rsc
            .child("meta_attributes", "d-meta_attributes")
            .find(&after)
            .unwrap();
        assert_eq!(meta.children[0].attr("value"), Some("Started"));
        assert_eq!(meta.children[1].id(), "d-meta_attributes-is-managed");

        let mut live = tree.clone();
        live.children.clear();
        let p = c.to_patchset(&tree, &live).unwrap();
        assert!(p.starts_with(r#"<diff format="2"><version><source admin_epoch="0" epoch="5" num_updates="3"/><target admin_epoch="0" epoch="5" num_updates="4"/></version><change operation="modify" path="/cib"><change-list><change-attr name="epoch" operation="set" value="5"/>"#), "{p}");
        assert!(
            p.contains(
                r#"<change-result><cib admin_epoch="0" epoch="5" num_updates="4"/></change-result>"#
            ),
            "{p}"
        );
        assert!(p.contains(r#"<change operation="create" path="/cib/configuration/constraints" position="1"><rsc_location id="cli-ban-d-on-node1""#), "{p}");
        assert!(p.contains(r#"<change operation="delete" path="/cib/configuration/constraints/rsc_location[@id=&apos;old&apos;]"/>"#), "{p}");
        assert!(p.contains(r#"<change-attr name="value" operation="set" value="Started"/></change-list><change-result><nvpair id="d-meta_attributes-target-role" name="target-role" value="Started"/></change-result>"#), "{p}");
        // The patchset is XML.
        Element::parse(&p).unwrap();
    }

    #[test]
    fn a_change_on_another_tree_fails_cleanly() {
        let tree = Element::parse(CIB).unwrap();
        let cons = ElementPath::section(&["configuration", "constraints"]);
        let mut c = CibChange::new(v());
        c.delete(cons.child("rsc_location", "nosuch"));
        assert!(matches!(
            c.apply_to(&mut tree.clone()),
            Err(ChangeError::Missing(_))
        ));
        let mut c = CibChange::new(v());
        c.create(cons, Element::new("rsc_location").with_attr("id", "old"));
        assert!(matches!(
            c.apply_to(&mut tree.clone()),
            Err(ChangeError::Exists(_))
        ));
    }

    /// `a` with its attributes sorted, recursively: attribute order carries no meaning.
    fn canonical(e: &Element) -> Element {
        let mut e = e.clone();
        e.attrs.sort();
        e.children = e.children.iter().map(canonical).collect();
        e
    }

    #[test]
    fn transform_gives_exactly_the_target_with_small_edits() {
        let base = Element::parse(CIB).unwrap();
        let conf = ElementPath::section(&["configuration"]);
        let before = base.child("configuration").unwrap().clone();
        let targets = [
            // a changed nvpair: one SetAttrs, nothing else
            CIB.replace("value=\"Stopped\"", "value=\"Started\""),
            // an attribute removed and one added, a new resource after the old one
            CIB.replace(" score=\"10\"", " score-attribute=\"s\"").replace(
                "</primitive></resources>",
                "</primitive><primitive id=\"e\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/></resources>",
            ),
            // a new resource before the old one: the old one is re-created after it
            CIB.replace(
                "<resources>",
                "<resources><primitive id=\"e\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>",
            ),
            // a section removed, another added, an id-less element
            CIB.replace("<crm_config/>", "<rsc_defaults><meta_attributes id=\"r\"/></rsc_defaults>"),
            // the same
            CIB.to_string(),
        ];
        let mut counts = Vec::new();
        for t in &targets {
            let after = Element::parse(t)
                .unwrap()
                .child("configuration")
                .unwrap()
                .clone();
            let mut c = CibChange::new(v());
            c.transform(&conf, &before, &after);
            let mut tree = base.clone();
            c.apply_to(&mut tree).unwrap();
            assert_eq!(
                canonical(tree.child("configuration").unwrap()),
                canonical(&after),
                "{t}"
            );
            c.to_patchset(&base, &base).unwrap();
            counts.push(c.edits.len());
        }
        assert_eq!(counts, [1, 2, 1, 2, 0], "{counts:?}");
    }

    #[test]
    fn ids_are_sanitised_as_pacemaker_does() {
        assert_eq!(
            nvpair_id("status-1", "fail-count-pgsql#monitor_7000"),
            "status-1-fail-count-pgsql.monitor_7000"
        );
    }
}
