//! `--wait`: follows the cluster through CIB change notifications until a requested state
//! holds and the cluster has finished acting, reporting each resource action as it completes.
//!
//! Reports through a callback (the library does not print). Ends with `Error::Timeout` (124)
//! when time runs out, `Error::Unsatisfied` (113) when the cluster settled elsewhere.

use super::resource::Expect;
use crate::cib::Cib;
use crate::cluster::Cluster;
use crate::state;
use crate::{Error, Result};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// One completed resource operation, as the cluster recorded it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Action {
    pub operation: String,
    pub interval_ms: u64,
    pub resource: String,
    pub node: String,
    pub rc: i32,
    pub rc_text: &'static str,
    pub ok: bool,
    pub exec_ms: Option<u64>,
}

impl std::fmt::Display for Action {
    /// `demote pgsql on node1 ok 1.8s`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = match (self.operation.as_str(), self.interval_ms) {
            ("monitor", 0) => "probe".to_string(),
            (o, 0) => o.to_string(),
            (o, i) => format!("{o}({}s)", i as f64 / 1000.0),
        };
        write!(
            f,
            "{op} {} on {} {}",
            self.resource,
            self.node,
            if self.ok { "ok" } else { self.rc_text }
        )?;
        if let Some(ms) = self.exec_ms {
            write!(f, " {:.1}s", ms as f64 / 1000.0)?;
        }
        Ok(())
    }
}

/// (node, op id) -> call id, of every recorded operation.
fn recorded(cib: &Cib) -> HashMap<(String, String), i64> {
    let mut out = HashMap::new();
    for ns in &cib.status {
        for lrm in &ns.lrm_resources {
            for op in &lrm.ops {
                if op.op_status != -1 {
                    out.insert((ns.uname.clone(), op.id.clone()), op.call_id);
                }
            }
        }
    }
    out
}

/// Operations recorded in `cib` that are not in `seen` (or have a new call id), skipping the
/// duplicate `_last_failure_` records.
fn new_actions(cib: &Cib, seen: &HashMap<(String, String), i64>) -> Vec<Action> {
    let mut out: Vec<(i64, Action)> = Vec::new();
    for ns in &cib.status {
        for lrm in &ns.lrm_resources {
            for op in &lrm.ops {
                if op.op_status == -1 || op.id.contains("_last_failure_") {
                    continue;
                }
                if seen.get(&(ns.uname.clone(), op.id.clone())) == Some(&op.call_id) {
                    continue;
                }
                let resource = state::parse_op_key(&op.operation_key)
                    .map(|(r, _, _)| r.to_string())
                    .unwrap_or_else(|| lrm.id.clone());
                out.push((
                    op.call_id,
                    Action {
                        operation: op.operation.clone(),
                        interval_ms: op.interval_ms,
                        resource,
                        node: ns.uname.clone(),
                        rc: op.rc_code,
                        rc_text: state::rc_text(op.rc_code),
                        ok: op.op_status == 0 && op.rc_code == op.target_rc,
                        exec_ms: op.exec_time,
                    },
                ));
            }
        }
    }
    out.sort_by_key(|(c, _)| *c);
    out.into_iter().map(|(_, a)| a).collect()
}

/// The operations recorded in `after` that were not in `before`, oldest first.
pub fn completed_between(before: &Cib, after: &Cib) -> Vec<Action> {
    new_actions(after, &recorded(before))
}

/// A one-shot operation (start, stop, promote...) recorded as pending. Recurring monitors
/// are left out: the controller can leave a pending record of one behind after the resource
/// stopped (seen live after a switchover), and the DC's S_IDLE covers them anyway.
pub fn pending(cib: &Cib) -> bool {
    cib.status
        .iter()
        .flat_map(|ns| ns.lrm_resources.iter())
        .flat_map(|l| l.ops.iter())
        .any(|op| op.op_status == -1 && op.interval_ms == 0)
}

/// A cluster that is idle for this long without the expectation holding has settled
/// elsewhere (the DC may report S_IDLE for a moment before it starts the transition).
const SETTLE_GRACE: Duration = Duration::from_secs(3);

/// Waits until `expect` holds and the cluster is idle, calling `on_action` for each
/// operation that completes meanwhile. Returns the last CIB read.
pub fn wait(
    cluster: &dyn Cluster,
    expect: &Expect,
    timeout: Duration,
    on_action: &mut dyn FnMut(&Action),
) -> Result<Cib> {
    let mut watch = cluster.watch()?;
    let start = Instant::now();
    let mut cib = cluster.query_cib()?;
    let mut seen = recorded(&cib);
    // Whether the cluster was seen acting: an expectation that holds from the start (the
    // cluster settled, a node online again) is only met once the DC had a chance to start
    // the transition the change causes, not in the moment before it noticed.
    let mut busy_seen = false;
    loop {
        let holds = expect.holds(&cib);
        let idle = !pending(&cib) && cluster.dc_state()?.is_none_or(|s| s == "S_IDLE");
        busy_seen |= !idle;
        let elapsed = start.elapsed();
        if holds && idle && (busy_seen || elapsed >= SETTLE_GRACE) {
            return Ok(cib);
        }
        if idle && !holds && elapsed >= SETTLE_GRACE {
            return Err(Error::Unsatisfied(format!(
                "the cluster settled, but not as requested: {} does not hold",
                expect.describe()
            )));
        }
        if elapsed >= timeout {
            return Err(Error::Timeout(format!(
                "timed out after {}s waiting for {}{}",
                timeout.as_secs(),
                expect.describe(),
                if holds {
                    " and the cluster to settle"
                } else {
                    ""
                }
            )));
        }
        let step = (timeout - elapsed).min(Duration::from_secs(1));
        watch.changed(step)?;
        cib = cluster.query_cib()?;
        for a in new_actions(&cib, &seen) {
            busy_seen = true;
            on_action(&a);
        }
        seen = recorded(&cib);
    }
}

/// Waits until the DC is idle and no one-shot operation is pending, at most `timeout`; calls
/// `on_busy` once with the DC's state when it has to wait. Returns the CIB read then. A
/// cleanup must not run during a transition: deleting the history of a resource whose start
/// is in flight makes the controller cancel it.
pub fn wait_idle(
    cluster: &dyn Cluster,
    timeout: Duration,
    on_busy: &mut dyn FnMut(&str),
) -> Result<Cib> {
    let start = Instant::now();
    let mut watch: Option<Box<dyn crate::cluster::Watch>> = None;
    let mut told = false;
    loop {
        let cib = cluster.query_cib()?;
        let dc = cluster.dc_state()?;
        let busy = pending(&cib) || dc.as_deref().is_some_and(|s| s != "S_IDLE");
        if !busy {
            return Ok(cib);
        }
        if !told {
            told = true;
            on_busy(dc.as_deref().unwrap_or("unknown"));
        }
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            return Err(Error::Timeout(format!(
                "timed out after {}s waiting for the cluster to be idle (DC: {}); nothing was changed",
                timeout.as_secs(),
                dc.as_deref().unwrap_or("unknown")
            )));
        }
        if watch.is_none() {
            watch = Some(cluster.watch()?);
        }
        // The DC's state changes without a CIB change: poll at least once a second.
        let step = (timeout - elapsed).min(Duration::from_secs(1));
        if let Some(w) = watch.as_mut() {
            w.changed(step)?;
        }
    }
}
