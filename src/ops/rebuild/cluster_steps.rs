//! The steps that act on the cluster, run where pgcrm runs: ban, wait for the stop, delete
//! the node's data status, clean up its failures, lift rebuild-standby's own ban and wait
//! until the node streams. They change the CIB only through [`Cluster`], each change built
//! on a fresh CIB, and never touch NODE's files (see `data_steps`).

use super::ban::{ban_id, ban_owner, operator_ban_refusal, own_ban_change, Ban};
use super::planning::rows;
use super::{failed, wait, Observer, RebuildPlan, StepKind};
use crate::cib::change::{CibChange, ElementPath};
use crate::cib::{Cib, Role};
use crate::cluster::{CleanupTarget, Cluster};
use crate::ipc::cib::CibVersion;
use crate::ops::resource::{self as rops, Expect};
use crate::{Error, Result};
use std::time::{Duration, Instant};

/// Applies a change built on a fresh CIB; retried once when the CIB moved in between.
fn apply_fresh(
    cluster: &dyn Cluster,
    build: impl Fn(&Cib) -> Result<Option<CibChange>>,
) -> Result<bool> {
    for attempt in 0..3 {
        let cib = cluster.query_cib()?;
        let Some(change) = build(&cib)? else {
            return Ok(false);
        };
        match cluster.apply(&cib, &change) {
            Ok(_) => return Ok(true),
            Err(Error::Stale { .. }) if attempt < 2 => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("the loop returns")
}

pub(super) fn step_ban(cluster: &dyn Cluster, p: &RebuildPlan) -> Result<bool> {
    // the copy step of the plan is done: the data was rebuilt by an earlier run
    if p.copied && ban_owner(&cluster.query_cib()?, &p.clone, &p.node) == Ban::None {
        // the data is rebuilt already and the ban was lifted by an earlier run
        return Ok(true);
    }
    let applied = apply_fresh(cluster, |cib| match ban_owner(cib, &p.clone, &p.node) {
        Ban::Operator => Err(operator_ban_refusal(&p.clone, &p.node)),
        _ => Ok(own_ban_change(cib, &p.clone, &p.node)),
    })
    .map_err(|e| failed(p, StepKind::Ban, e, "unchanged"))?;
    Ok(!applied)
}

pub(super) fn step_stop(
    cluster: &dyn Cluster,
    p: &RebuildPlan,
    obs: &mut dyn Observer,
) -> Result<bool> {
    let expect = Expect::NotOn {
        resource: p.clone.clone(),
        node: p.node.clone(),
        role: Role::Started,
    };
    let cib = cluster.query_cib()?;
    let was_running = !expect.holds(&cib);
    if was_running {
        wait::wait(cluster, &expect, Duration::from_secs(180), &mut |a| {
            obs.action(a)
        })
        .map_err(|e| {
            failed(
                p,
                StepKind::Stop,
                e,
                &format!("{} banned, maybe still running", p.clone),
            )
        })?;
    }
    Ok(!was_running)
}

pub(super) fn step_data_status(cluster: &dyn Cluster, p: &RebuildPlan) -> Result<bool> {
    let name = format!("{}-data-status", p.resource);
    let applied = apply_fresh(cluster, |cib| {
        let Some(n) = cib.nodes.iter().find(|n| n.uname == p.node) else {
            return Ok(None);
        };
        let mut change = CibChange::new(CibVersion::of(cib));
        let owner = ElementPath::section(&["configuration", "nodes"]).child("node", &n.id);
        let found = change.delete_nvpair(&cib.tree, &owner, "instance_attributes", &name);
        Ok((found > 0).then_some(change))
    })
    .map_err(|e| {
        failed(
            p,
            StepKind::DataStatus,
            e,
            "banned, data copied, lock file removed",
        )
    })?;
    Ok(!applied)
}

/// Fail counts or failed operations of `resource` on `node`: what the cleanup step clears.
pub(super) fn has_failures(cib: &Cib, node: &str, resource: &str) -> bool {
    let st = crate::state::derive(cib);
    st.fail_counts
        .iter()
        .any(|f| f.node == node && f.resource == resource)
        || st
            .failures
            .iter()
            .any(|f| f.node == node && f.resource == resource)
}

pub(super) fn step_cleanup(cluster: &dyn Cluster, p: &RebuildPlan) -> Result<bool> {
    let cib = cluster.query_cib()?;
    if !has_failures(&cib, &p.node, &p.resource) {
        return Ok(true);
    }
    let target = CleanupTarget {
        node: p.node.clone(),
        history_id: p.resource.clone(),
        fail_count_name: p.resource.clone(),
        class: p.primitive.class.clone(),
        provider: p.primitive.provider.clone(),
        agent_type: p.primitive.agent_type.clone(),
        operation: None,
        refresh: false,
        // The old primary ran (and failed) here: its history is what is being cleaned.
        delete_history: true,
    };
    cluster.cleanup(&cib, &[target]).map_err(|e| {
        failed(
            p,
            StepKind::Cleanup,
            e,
            "banned, data copied, lock file removed",
        )
    })?;
    Ok(false)
}

/// Lifts rebuild-standby's own ban, never an operator's (one made while the run went on is
/// kept, and the run stops: the node would not start).
pub(super) fn step_unban(cluster: &dyn Cluster, p: &RebuildPlan) -> Result<bool> {
    let id = ban_id(&p.clone, &p.node);
    let applied = apply_fresh(cluster, |cib| match ban_owner(cib, &p.clone, &p.node) {
        Ban::None => Ok(None),
        Ban::Operator => Err(Error::Unsafe(format!(
            "{id} is not rebuild-standby's own ban (someone banned {} from {} meanwhile): kept; lift it to let the node start (pgcrm resource clear {} --node {})",
            p.clone, p.node, p.clone, p.node
        ))),
        Ban::Ours => {
            let plan = rops::plan_remove(cib, std::slice::from_ref(&id), chrono::Utc::now());
            Ok((!plan.change.is_empty()).then_some(plan.change))
        }
    })
    .map_err(|e| failed(p, StepKind::Unban, e, "banned, data copied and ready"))?;
    Ok(!applied)
}

/// Waits until the node streams as it should and the cluster has finished acting (so the
/// read VIP has followed); returns the node's `<rsc>-status`. With `rep_mode=sync` and no
/// other synchronous standby, `HS:async` is only the way to `HS:sync`: wait for `HS:sync`.
pub(super) fn step_wait(
    cluster: &dyn Cluster,
    p: &RebuildPlan,
    timeout: Duration,
    obs: &mut dyn Observer,
) -> Result<String> {
    let mut watch = cluster.watch()?;
    let start = Instant::now();
    let mut cib = cluster.query_cib()?;
    let sync_mode = p.params.rep_mode_text == "sync";
    loop {
        let all = rows(&cib);
        let row = all.iter().find(|r| r.node == p.node);
        let status = row.and_then(|r| r.pgsql_status.clone());
        let other_sync = all
            .iter()
            .any(|r| r.node != p.node && r.pgsql_status.as_deref() == Some("HS:sync"));
        let want_ok = match status.as_deref() {
            Some("HS:sync") => true,
            Some("HS:async") => !sync_mode || other_sync,
            _ => false,
        };
        if row.is_some_and(|r| r.role == Role::Unpromoted)
            && want_ok
            && !wait::pending(&cib)
            && cluster.dc_state()?.is_none_or(|s| s == "S_IDLE")
        {
            return Ok(status.unwrap_or_default());
        }
        if start.elapsed() >= timeout {
            let state = format!(
                "{} {}, {}-status {}",
                p.resource,
                row.map(|r| r.role.as_str()).unwrap_or("Stopped"),
                p.resource,
                status.as_deref().unwrap_or("unset")
            );
            return Err(Error::Timeout(format!(
                "step wait: {} is not streaming after {}s; {} is now: {state}; see pgcrm status, then continue with: pgcrm rebuild-standby {} --yes",
                p.node,
                timeout.as_secs(),
                p.node,
                p.node
            )));
        }
        let before = cib.clone();
        watch.changed((timeout - start.elapsed()).min(Duration::from_secs(1)))?;
        cib = cluster.query_cib()?;
        for a in wait::completed_between(&before, &cib) {
            obs.action(&a);
        }
    }
}
