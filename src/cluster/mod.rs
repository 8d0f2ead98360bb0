//! Where the CIB comes from and where changes go: the one `Cluster` interface every command
//! uses, and its two backends, a saved CIB file (`--cib-file`, or Pacemaker's own `CIB_file`
//! variable; `file.rs`) and the live daemons on this node over their own IPC (`live.rs`).
//!
//! Backends carry out what `ops` decided (a `CibChange`, a list of cleanup targets); they
//! never decide what to change, and nothing here prints or prompts.

mod file;
mod live;

pub use file::{simulated_cleanup, CibFile};
pub use live::LiveCluster;

use crate::cib::change::CibChange;
use crate::cib::Cib;
use crate::ipc::cib::CibVersion;
use crate::Result;
use std::path::Path;
use std::time::Duration;

/// A source of cluster state and the target of cluster changes.
pub trait Cluster {
    /// A name for messages: the file path, or "live".
    fn origin(&self) -> String;
    /// True for the live cluster (daemons that act on changes), false for a file.
    fn is_live(&self) -> bool;
    /// Reads the whole CIB.
    fn query_cib(&self) -> Result<Cib>;
    /// Applies `change`, built on `base` (the CIB as read), as one transaction. Refused with
    /// `Error::Stale` when the configuration moved past `base` in between (no lost updates);
    /// nothing is changed then.
    fn apply(&self, base: &Cib, change: &CibChange) -> Result<Applied>;
    /// Clears the failures of resources on nodes: fail counts and last-failure times, and the
    /// operation history (live: attrd `clear-failure` then controller `lrm_delete`, after which
    /// the cluster re-probes; file: simulated on the status section, see `Cleaned::simulated`).
    fn cleanup(&self, base: &Cib, targets: &[CleanupTarget]) -> Result<Cleaned>;
    /// Sets (`Some`) or deletes (`None`) a transient node attribute (lifetime `reboot`):
    /// through attrd on the live cluster, in the node's `transient_attributes` on a file.
    fn set_transient_attribute(
        &self,
        base: &Cib,
        node: &str,
        name: &str,
        value: Option<&str>,
    ) -> Result<()>;
    /// The DC's controller state (`S_IDLE` when the cluster has nothing to do), or `None` on
    /// a file.
    fn dc_state(&self) -> Result<Option<String>>;
    /// Follows changes of the CIB (for `--wait`); live only.
    fn watch(&self) -> Result<Box<dyn Watch>>;
    /// Makes the daemons forget a node removed from the CIB (`id`: its corosync node id, when
    /// known), as `crm_node -R` does after the CIB: each of [`PeerCache::ALL`] in turn, every
    /// one tried even when an earlier one failed, each with its own outcome. Empty on a file
    /// (a CIB file has no daemons).
    fn purge_node(&self, node: &str, id: Option<u32>) -> Vec<Purge>;
}

/// A daemon's cache of cluster peers, from which `node delete` removes the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerCache {
    /// pacemaker-controld (`rm_node_cache`, passed on to every node's controller).
    Controller,
    /// pacemaker-attrd (`peer-remove`: the node's attribute values, then the peer).
    Attrd,
    /// pacemaker-fenced (`rm_node_cache`, passed on to every node's fencer).
    Fencer,
}

impl PeerCache {
    /// In the order Pacemaker 3.0's `crm_node -R` purges them (2.1.5's also asks pacemakerd,
    /// which ignores the request: it keeps no peer cache).
    pub const ALL: [PeerCache; 3] = [PeerCache::Controller, PeerCache::Attrd, PeerCache::Fencer];

    /// The daemon's name, as `ps` and the logs show it.
    pub fn daemon(self) -> &'static str {
        match self {
            PeerCache::Controller => "pacemaker-controld",
            PeerCache::Attrd => "pacemaker-attrd",
            PeerCache::Fencer => "pacemaker-fenced",
        }
    }
}

/// One daemon's outcome of [`Cluster::purge_node`].
#[derive(Debug)]
pub struct Purge {
    pub cache: PeerCache,
    pub result: Result<()>,
}

/// A stream of "the CIB changed" events.
pub trait Watch {
    /// Waits up to `timeout` for the next change; `false` when none came.
    fn changed(&mut self, timeout: Duration) -> Result<bool>;
}

/// What an applied change produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// The CIB's version after the change.
    pub version: CibVersion,
}

/// One resource's failures on one node, to clear (decided by `ops::cleanup`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupTarget {
    pub node: String,
    /// The id of the history entry (`lrm_resource@id`): without `:N` for anonymous clones.
    pub history_id: String,
    /// The resource name in fail-count attributes (`fail-count-<name>#op_interval`).
    pub fail_count_name: String,
    pub class: String,
    pub provider: Option<String>,
    pub agent_type: String,
    /// Only this operation and interval (ms), as `crm_resource -n OP -I INTERVAL`.
    pub operation: Option<(String, u64)>,
    /// `refresh`: forget the whole history, not only the failures.
    pub refresh: bool,
    /// The node has a history of this resource to delete (else only fail counts are cleared).
    pub delete_history: bool,
}

/// What a cleanup did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cleaned {
    /// True on a CIB file: the failures were removed from the status section as the cluster
    /// would after a successful re-probe, but nothing was probed.
    pub simulated: bool,
}

impl CibVersion {
    /// The version of a parsed CIB.
    pub fn of(cib: &Cib) -> CibVersion {
        CibVersion {
            admin_epoch: cib.admin_epoch,
            epoch: cib.epoch,
            num_updates: cib.num_updates,
        }
    }
}

/// How long a live request may take before pgcrm gives up (and exits 124), unless the
/// caller says otherwise (`pgcrm --timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Chooses the backend as Pacemaker's tools do: an explicit file first, then `CIB_file`,
/// then the live cluster. `cib_file_env` is the value of `CIB_file`, passed in so the
/// library never reads the process environment behind the caller's back. `timeout` bounds
/// every wait on a live daemon.
pub fn open(
    cib_file: Option<&Path>,
    cib_file_env: Option<&str>,
    timeout: Duration,
) -> Box<dyn Cluster> {
    match (cib_file, cib_file_env.filter(|v| !v.is_empty())) {
        (Some(path), _) => Box::new(CibFile::new(path)),
        (None, Some(path)) => Box::new(CibFile::new(path)),
        (None, None) => Box::new(LiveCluster::new(timeout)),
    }
}
