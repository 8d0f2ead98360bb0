//! The live backend: the daemons on this node, over their own IPC (`crate::ipc`). Reads on the
//! CIB manager's read-only channel (as crm_mon); a change is one `cib_apply_diff`, guarded by
//! the version it was built on; cleanups go to attrd and the controller as crm_resource's do.
//!
//! Must not write anything the caller did not build, and must not retry a change once the
//! configuration moved (that would be a lost update).

use super::{Applied, Cleaned, CleanupTarget, Cluster, PeerCache, Purge, Watch};
use crate::cib::change::CibChange;
use crate::cib::{Cib, Element};
use crate::ipc::attrd::AttrdClient;
use crate::ipc::cib::{CibChannel, CibClient, CibVersion, NotifyKind, QueryOptions, Scope};
use crate::ipc::controller::{ControllerClient, LrmResource};
use crate::ipc::fencer::FencerClient;
use crate::ipc::IpcError;
use crate::{Error, Result};
use std::time::Duration;

/// How often a change is re-sent when only the status section moved under it (each status
/// update bumps `num_updates`, which `cib_apply_diff` checks too).
const APPLY_ATTEMPTS: usize = 20;

/// The cluster this node belongs to.
#[derive(Debug, Clone)]
pub struct LiveCluster {
    timeout: Duration,
}

impl LiveCluster {
    pub fn new(timeout: Duration) -> Self {
        LiveCluster { timeout }
    }
}

impl Cluster for LiveCluster {
    fn origin(&self) -> String {
        "live".to_string()
    }

    fn is_live(&self) -> bool {
        true
    }

    fn query_cib(&self) -> Result<Cib> {
        let mut client = CibClient::connect_reader(self.timeout)?;
        let reply = client.query(Scope::Whole)?;
        Cib::parse(&reply.xml).map_err(|e| e.in_document("the live CIB"))
    }

    fn apply(&self, base: &Cib, change: &CibChange) -> Result<Applied> {
        if change.touches_status() && !change.status_edits_remove_nodes_only() {
            // Status belongs to the controller and attrd on a live cluster.
            return Err(Error::Usage(
                "a change of the live status section must go through attrd or the controller"
                    .into(),
            ));
        }
        let built = CibVersion::of(base);
        let mut client = CibClient::connect(CibChannel::ReadWrite, self.timeout)?;
        for attempt in 0..APPLY_ATTEMPTS {
            // The live <cib> element alone: its version, and the attributes the patch must
            // keep when it bumps the epoch.
            let root = client.query_with(Scope::Whole, QueryOptions { no_children: true })?;
            let now = root.version;
            if (now.admin_epoch, now.epoch) != (built.admin_epoch, built.epoch) {
                return Err(Error::Stale { built, now });
            }
            let live_root =
                Element::parse(&root.xml).map_err(|e| Error::Xml(e).in_document("the live CIB"))?;
            let patch = change
                .to_patchset(&base.tree, &live_root)
                .map_err(|e| Error::Usage(format!("the live CIB: {e}")))?;
            match client.apply_diff(&patch) {
                Ok(version) => return Ok(Applied { version }),
                // -205 / -207: num_updates moved between our version query and the patch
                // (a status update); the configuration is re-checked on the next round.
                Err(IpcError::Rejected {
                    rc: -205 | -207, ..
                }) if attempt + 1 < APPLY_ATTEMPTS => {
                    std::thread::sleep(Duration::from_millis(50 * (attempt as u64 + 1)));
                }
                Err(e) => return Err(e.into()),
            }
        }
        unreachable!("the last attempt returns")
    }

    fn cleanup(&self, base: &Cib, targets: &[CleanupTarget]) -> Result<Cleaned> {
        let _ = base;
        let mut attrd = AttrdClient::connect(self.timeout)?;
        let mut controller = ControllerClient::connect(self.timeout)?;
        for t in targets {
            let interval = t.operation.as_ref().map(|(_, ms)| format!("{ms}ms"));
            attrd.clear_failure(
                Some(&t.node),
                Some(&t.fail_count_name),
                t.operation.as_ref().map(|(task, _)| task.as_str()),
                interval.as_deref(),
            )?;
            if !t.delete_history {
                continue;
            }
            let online = base
                .status
                .iter()
                .find(|s| s.uname == t.node)
                .is_some_and(|s| s.crmd.as_deref() == Some("online"));
            controller.lrm_delete(
                &LrmResource {
                    id: &t.history_id,
                    long_id: None,
                    class: &t.class,
                    provider: t.provider.as_deref(),
                    kind: &t.agent_type,
                },
                &t.node,
                None,
                !online,
            )?;
        }
        Ok(Cleaned { simulated: false })
    }

    fn set_transient_attribute(
        &self,
        _base: &Cib,
        node: &str,
        name: &str,
        value: Option<&str>,
    ) -> Result<()> {
        let mut attrd = AttrdClient::connect(self.timeout)?;
        attrd.update(name, value, Some(node), false)?;
        Ok(())
    }

    fn dc_state(&self) -> Result<Option<String>> {
        let mut controller = ControllerClient::connect(self.timeout)?;
        Ok(Some(controller.ping_dc()?))
    }

    fn watch(&self) -> Result<Box<dyn Watch>> {
        let mut client = CibClient::connect(CibChannel::ReadOnly, self.timeout)?;
        client.subscribe(NotifyKind::Diff, true)?;
        Ok(Box::new(LiveWatch { client }))
    }

    fn purge_node(&self, node: &str, id: Option<u32>) -> Vec<Purge> {
        let t = self.timeout;
        let purge = |cache: PeerCache| -> std::result::Result<(), IpcError> {
            match cache {
                PeerCache::Controller => ControllerClient::connect(t)?.purge_node(node, id),
                PeerCache::Attrd => AttrdClient::connect(t)?.peer_remove(node, id),
                PeerCache::Fencer => FencerClient::connect(t)?.purge_node(node, id),
            }
        };
        PeerCache::ALL
            .into_iter()
            .map(|cache| Purge {
                cache,
                result: purge(cache).map_err(Error::from),
            })
            .collect()
    }
}

struct LiveWatch {
    client: CibClient,
}

impl Watch for LiveWatch {
    fn changed(&mut self, timeout: Duration) -> Result<bool> {
        let first = self.client.next_notification(timeout)?.is_some();
        // Drain what queued up: one re-read covers them all.
        while first && self.client.next_notification(Duration::ZERO)?.is_some() {}
        Ok(first)
    }
}
