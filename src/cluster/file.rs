//! The CIB-file backend: reads a saved CIB and writes changes back the way Pacemaker's tools
//! treat `CIB_file` (counters bumped as the CIB manager does), atomically (temporary file in
//! the same directory, fsync, rename), so a reader never sees half a CIB.
//!
//! Actions that need daemons are simulated on the status section and say so (cleanup), or
//! refused (`--wait`). Must not guess: a file that changed since it was read is not written.

use super::{Applied, Cleaned, CleanupTarget, Cluster, Purge, Watch};
use crate::cib::change::{CibChange, ElementPath};
use crate::cib::{Cib, Element};
use crate::ipc::cib::CibVersion;
use crate::state::history;
use crate::{Error, Result};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A CIB saved in a file, read and written the way Pacemaker's tools treat `CIB_file`.
#[derive(Debug, Clone)]
pub struct CibFile {
    path: PathBuf,
}

impl CibFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CibFile { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<String> {
        std::fs::read_to_string(&self.path).map_err(|e| {
            let path = self.path.clone();
            match e.kind() {
                std::io::ErrorKind::NotFound => Error::CibFileMissing { path },
                std::io::ErrorKind::PermissionDenied => Error::CibFilePermission { path },
                _ => Error::CibFileIo { path, source: e },
            }
        })
    }

    /// Writes `text` over the file: a temporary file beside it (same directory, so the
    /// rename is atomic), the original's permissions, fsync, rename, fsync of the directory.
    fn write_atomically(&self, text: &str) -> Result<()> {
        let err = |source: std::io::Error| Error::CibFileWrite {
            path: self.path.clone(),
            source,
        };
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "cib.xml".into());
        let tmp = dir.join(format!(".{name}.pgcrm-{}.tmp", std::process::id()));
        let result = (|| {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            if let Ok(meta) = std::fs::metadata(&self.path) {
                f.set_permissions(meta.permissions())?;
            }
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)?;
            std::fs::File::open(&dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(err)
    }

    /// Applies `change` to the file's current content, which must still be `base`'s version.
    fn commit(&self, base: &Cib, change: &CibChange) -> Result<Applied> {
        let current = self.query_cib()?;
        let (built, now) = (CibVersion::of(base), CibVersion::of(&current));
        if built != now || change.base != built {
            return Err(Error::Stale { built, now });
        }
        let mut tree = current.tree;
        change
            .apply_to(&mut tree)
            .map_err(|e| Error::Usage(format!("{}: {e}", self.origin())))?;
        // Bump the counters as the CIB manager does for a client write: a configuration
        // change bumps epoch and resets num_updates, a status change bumps num_updates.
        let version = if change.touches_configuration() {
            tree.set_attr("cib-last-written", now_ctime());
            tree.set_attr("update-client", "pgcrm");
            CibVersion {
                epoch: now.epoch + 1,
                num_updates: 0,
                ..now
            }
        } else {
            CibVersion {
                num_updates: now.num_updates + 1,
                ..now
            }
        };
        tree.set_attr("epoch", version.epoch.to_string());
        tree.set_attr("num_updates", version.num_updates.to_string());
        // The result must still be a CIB pgcrm (and so Pacemaker) can read: e.g. deleting a
        // resource without its constraints is refused here rather than written.
        Cib::from_tree(tree.clone()).map_err(|e| Error::from(e).in_document(self.origin()))?;
        self.write_atomically(&tree.to_xml_pretty())?;
        Ok(Applied { version })
    }
}

/// The time as `cib-last-written` spells it (ctime(3) without the newline).
fn now_ctime() -> String {
    chrono::Local::now()
        .format("%a %b %e %H:%M:%S %Y")
        .to_string()
}

impl Cluster for CibFile {
    fn origin(&self) -> String {
        self.path.display().to_string()
    }

    fn is_live(&self) -> bool {
        false
    }

    fn query_cib(&self) -> Result<Cib> {
        let text = self.read()?;
        Cib::parse(&text).map_err(|e| e.in_document(self.origin()))
    }

    fn apply(&self, base: &Cib, change: &CibChange) -> Result<Applied> {
        self.commit(base, change)
    }

    fn cleanup(&self, base: &Cib, targets: &[CleanupTarget]) -> Result<Cleaned> {
        let change = simulated_cleanup(base, targets);
        if !change.is_empty() {
            self.commit(base, &change)?;
        }
        Ok(Cleaned { simulated: true })
    }

    fn set_transient_attribute(
        &self,
        base: &Cib,
        node: &str,
        name: &str,
        value: Option<&str>,
    ) -> Result<()> {
        let state = node_state_path(&base.tree, node).ok_or_else(|| {
            Error::Usage(format!(
                "{}: node '{node}' has no status entry (it never joined), so it has no transient attributes",
                self.origin()
            ))
        })?;
        let node_id = state
            .0
            .last()
            .and_then(|s| s.id.clone())
            .unwrap_or_default();
        let mut change = CibChange::new(CibVersion::of(base));
        let transient = state.child("transient_attributes", &node_id);
        let block_id = format!("status-{node_id}");
        match value {
            Some(v) => {
                if transient.find(&base.tree).is_none() {
                    let mut block = Element::new("instance_attributes").with_attr("id", &block_id);
                    block.children.push(
                        Element::new("nvpair")
                            .with_attr("id", crate::cib::change::nvpair_id(&block_id, name))
                            .with_attr("name", name)
                            .with_attr("value", v),
                    );
                    let mut t = Element::new("transient_attributes").with_attr("id", &node_id);
                    t.children.push(block);
                    change.create(state, t);
                } else {
                    change
                        .set_nvpair(
                            &base.tree,
                            &transient,
                            "instance_attributes",
                            &block_id,
                            name,
                            v,
                        )
                        .map_err(|e| Error::Usage(e.to_string()))?;
                }
            }
            None => {
                change.delete_nvpair(&base.tree, &transient, "instance_attributes", name);
            }
        }
        if change.is_empty() {
            return Ok(());
        }
        self.commit(base, &change).map(|_| ())
    }

    fn dc_state(&self) -> Result<Option<String>> {
        Ok(None)
    }

    fn watch(&self) -> Result<Box<dyn Watch>> {
        Err(Error::NeedsLive("--wait".into()))
    }

    fn purge_node(&self, _node: &str, _id: Option<u32>) -> Vec<Purge> {
        Vec::new()
    }
}

/// The path of `node`'s `<node_state>` in the status section.
fn node_state_path(tree: &Element, node: &str) -> Option<ElementPath> {
    let status = tree.child("status")?;
    let ns = status
        .children_named("node_state")
        .find(|n| n.attr("uname") == Some(node))?;
    Some(ElementPath::section(&["status"]).child("node_state", ns.id()))
}

/// Whether a fail-count or last-failure attribute belongs to `rsc` (or one of its clone
/// instances `rsc:N`) and, when given, to this operation and interval.
fn is_failure_attribute(name: &str, rsc: &str, operation: &Option<(String, u64)>) -> bool {
    let Some(rest) = name
        .strip_prefix("fail-count-")
        .or_else(|| name.strip_prefix("last-failure-"))
    else {
        return false;
    };
    let (r, op) = match rest.split_once('#') {
        Some((r, op)) => (r, Some(op)),
        None => (rest, None),
    };
    let same_rsc = r == rsc
        || r.strip_prefix(rsc)
            .and_then(|s| s.strip_prefix(':'))
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
    same_rsc
        && match (operation, op) {
            (None, _) => true,
            (Some((task, interval)), Some(op)) => op == format!("{task}_{interval}"),
            (Some(_), None) => false,
        }
}

/// The status-section edits that make a CIB look as it would after a cleanup (or refresh)
/// and a re-probe that found nothing wrong: fail counts and last-failure times gone, failed
/// operations forgotten. A refresh keeps the rest of the history: deleting it would make
/// every resource look stopped, which no re-probe of a running resource would find.
pub fn simulated_cleanup(base: &Cib, targets: &[CleanupTarget]) -> CibChange {
    let mut change = CibChange::new(CibVersion::of(base));
    let tree = &base.tree;
    for t in targets {
        let Some(state) = node_state_path(tree, &t.node) else {
            continue;
        };
        let Some(state_el) = state.find(tree) else {
            continue;
        };
        // Fail counts and last-failure times.
        for ta in state_el.children_named("transient_attributes") {
            for block in ta.children_named("instance_attributes") {
                for p in block.children_named("nvpair") {
                    if is_failure_attribute(
                        p.attr("name").unwrap_or(""),
                        &t.fail_count_name,
                        &t.operation,
                    ) {
                        change.delete(
                            state
                                .child("transient_attributes", ta.id())
                                .child("instance_attributes", block.id())
                                .child("nvpair", p.id()),
                        );
                    }
                }
            }
        }
        // Operation history.
        let Some(lrm) = state_el.child("lrm") else {
            continue;
        };
        let rscs = state
            .child("lrm", lrm.id())
            .0
            .into_iter()
            .chain([crate::cib::change::Step {
                tag: "lrm_resources".into(),
                id: None,
            }])
            .collect::<Vec<_>>();
        let rscs = ElementPath(rscs);
        let Some(rsc_path) = rscs.find(tree).and_then(|r| {
            r.children_named("lrm_resource")
                .find(|r| r.id() == t.history_id)
                .map(|r| rscs.child("lrm_resource", r.id()))
        }) else {
            continue;
        };
        if !t.delete_history {
            continue;
        }
        let model = base
            .status
            .iter()
            .find(|s| s.uname == t.node)
            .and_then(|s| s.lrm_resources.iter().find(|r| r.id == t.history_id));
        for op in model.iter().flat_map(|m| m.ops.iter()) {
            let matches = t.operation.as_ref().is_none_or(|(task, interval)| {
                op.operation == *task && op.interval_ms == *interval
            });
            let failed = history::is_failure(op, true) || op.id.contains("_last_failure_");
            if matches && failed {
                change.delete(rsc_path.child("lrm_rsc_op", &op.id));
            }
        }
    }
    change
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_attribute_names() {
        let op = Some(("monitor".to_string(), 7000));
        assert!(is_failure_attribute(
            "fail-count-pgsql#monitor_7000",
            "pgsql",
            &None
        ));
        assert!(is_failure_attribute(
            "last-failure-pgsql:1#start_0",
            "pgsql",
            &None
        ));
        assert!(is_failure_attribute(
            "fail-count-pgsql#monitor_7000",
            "pgsql",
            &op
        ));
        assert!(!is_failure_attribute(
            "fail-count-pgsql#start_0",
            "pgsql",
            &op
        ));
        assert!(!is_failure_attribute(
            "fail-count-pgsql2#start_0",
            "pgsql",
            &None
        ));
        assert!(is_failure_attribute("fail-count-pgsql", "pgsql", &None));
        assert!(!is_failure_attribute("master-pgsql", "pgsql", &None));
    }
}
