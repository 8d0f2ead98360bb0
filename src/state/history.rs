//! Replays one resource's operation history on one node (`lrm_rsc_op` entries) into its
//! current role, the way Pacemaker's status unpacking does: operations in call-id order,
//! expected versus actual rc, execution status, probes, and the on-fail policy that decides
//! whether an old failure still counts.

use crate::cib::{LrmRscOp, Role};

/// OCF return codes that change the meaning of a result.
pub mod rc {
    pub const OK: i32 = 0;
    pub const NOT_RUNNING: i32 = 7;
    pub const RUNNING_PROMOTED: i32 = 8;
    pub const FAILED_PROMOTED: i32 = 9;
    pub const DEGRADED: i32 = 190;
    pub const DEGRADED_PROMOTED: i32 = 191;
}

/// Execution statuses (`op-status`) that are not plain completion.
pub mod exec {
    pub const PENDING: i32 = -1;
    pub const DONE: i32 = 0;
    pub const CANCELLED: i32 = 1;
    pub const NOT_SUPPORTED: i32 = 3;
}

/// What happens after a failure, from least to most severe (Pacemaker keeps the most severe
/// policy seen until a later success clears it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OnFail {
    Ignore,
    Demote,
    Recover,
    Migrate,
    Block,
    Stop,
    Standby,
    Fence,
}

impl OnFail {
    pub fn parse(s: &str) -> Option<OnFail> {
        Some(match s {
            "ignore" => OnFail::Ignore,
            "demote" => OnFail::Demote,
            "restart" => OnFail::Recover,
            "block" => OnFail::Block,
            "stop" => OnFail::Stop,
            "standby" => OnFail::Standby,
            "fence" => OnFail::Fence,
            _ => return None,
        })
    }
}

/// The replayed state of a resource on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub role: Role,
    /// The policy of the failures that still count (`Ignore` when there are none).
    pub on_fail: OnFail,
    /// A migrate_to to this node that no stop on the source has closed yet.
    pub migrated_to: Option<String>,
    /// A failure happened but on-fail=ignore pretended it succeeded.
    pub failure_ignored: bool,
    /// The task of an operation still in flight ("start", "promote"...).
    pub pending_task: Option<String>,
    /// The operations that failed, in call-id order (duplicates included).
    pub failed_ops: Vec<usize>,
}

/// Replays `ops` (in any order). `on_fail_for` gives the configured policy for an operation
/// that failed (task, interval in ms). An unmanaged resource found not running is simply
/// stopped, not failed (`managed`).
pub fn replay(
    ops: &[LrmRscOp],
    managed: bool,
    mut on_fail_for: impl FnMut(&str, u64) -> OnFail,
) -> Replay {
    let mut order: Vec<usize> = (0..ops.len()).collect();
    // Pending operations (call-id -1) are the newest; otherwise call-id order.
    order.sort_by_key(|&i| {
        let call = ops[i].call_id;
        (call < 0, call)
    });
    let mut out = Replay {
        role: Role::Unknown,
        on_fail: OnFail::Ignore,
        migrated_to: None,
        failure_ignored: false,
        pending_task: None,
        failed_ops: Vec::new(),
    };
    let mut on_fail = OnFail::Ignore;
    let mut last_failure_key: Option<&str> = None;
    for i in order {
        let op = &ops[i];
        let task = op.operation.as_str();
        if op.op_status == exec::CANCELLED || task == "notify" {
            continue;
        }
        if op.op_status == exec::PENDING {
            out.pending_task = Some(task.to_string());
            match task {
                "start" | "migrate_from" if out.role < Role::Started => out.role = Role::Started,
                "promote" => out.role = Role::Promoted,
                _ => {}
            }
            continue;
        }
        let is_probe = task == "monitor" && op.interval_ms == 0;
        let mut success = op.op_status == exec::DONE && op.rc_code == op.target_rc;
        if op.op_status == exec::DONE && !success {
            // Results that are not failures even though they differ from what was expected.
            match op.rc_code {
                rc::OK if is_probe => success = true,
                rc::NOT_RUNNING if is_probe => success = true,
                rc::RUNNING_PROMOTED if is_probe => success = true,
                rc::NOT_RUNNING if !managed => success = true,
                _ => {}
            }
        }
        if op.op_status == exec::NOT_SUPPORTED && op.interval_ms > 0 {
            continue;
        }
        if success {
            let mut clear = false;
            match task {
                "start" | "migrate_from" => {
                    out.role = Role::Started;
                    clear = true;
                }
                "stop" => {
                    out.role = Role::Stopped;
                    out.migrated_to = None;
                    clear = true;
                }
                "promote" => {
                    out.role = Role::Promoted;
                    clear = true;
                }
                "demote" => {
                    out.role = Role::Unpromoted;
                    clear = on_fail == OnFail::Demote;
                }
                "migrate_to" => {
                    // The resource left for the target; a later stop records it gone.
                    out.migrated_to = op.migrate_target.clone();
                    if out.role < Role::Started {
                        out.role = Role::Started;
                    }
                }
                "monitor" => {
                    match op.rc_code {
                        rc::NOT_RUNNING
                            if is_probe || op.target_rc == rc::NOT_RUNNING || !managed =>
                        {
                            out.role = Role::Stopped;
                            clear = true;
                        }
                        rc::RUNNING_PROMOTED | rc::DEGRADED_PROMOTED => out.role = Role::Promoted,
                        _ if out.role < Role::Started => out.role = Role::Started,
                        _ => {}
                    }
                    if last_failure_key == Some(op.operation_key.as_str()) {
                        clear = true;
                    }
                }
                _ if out.role < Role::Started => out.role = Role::Started,
                _ => {}
            }
            if clear {
                if matches!(
                    on_fail,
                    OnFail::Ignore | OnFail::Demote | OnFail::Recover | OnFail::Block
                ) {
                    on_fail = OnFail::Ignore;
                }
                if out.role == Role::Stopped {
                    on_fail = OnFail::Ignore;
                }
            }
            continue;
        }

        // A failure.
        out.failed_ops.push(i);
        let policy = on_fail_for(task, op.interval_ms);
        if policy == OnFail::Ignore {
            out.failure_ignored = true;
            continue;
        }
        last_failure_key = Some(op.operation_key.as_str());
        if policy > on_fail {
            on_fail = policy;
        }
        match task {
            "promote" => out.role = Role::Promoted,
            "demote" => {
                out.role = if policy == OnFail::Block {
                    Role::Promoted
                } else if op.rc_code == rc::NOT_RUNNING {
                    Role::Stopped
                } else {
                    Role::Unpromoted
                }
            }
            "monitor" => match op.rc_code {
                rc::RUNNING_PROMOTED | rc::FAILED_PROMOTED => out.role = Role::Promoted,
                _ => {}
            },
            _ => {}
        }
        if is_probe && op.rc_code == 5 {
            out.role = Role::Stopped;
        } else if out.role < Role::Started {
            out.role = Role::Started;
        }
    }
    if out.role == Role::Unknown {
        out.role = Role::Stopped;
    }
    out.on_fail = on_fail;
    out
}

impl Replay {
    /// A failure that still needs recovery (what crm_mon prints as FAILED).
    pub fn failed(&self) -> bool {
        self.role != Role::Stopped
            && matches!(
                self.on_fail,
                OnFail::Demote | OnFail::Recover | OnFail::Fence | OnFail::Block
            )
    }

    /// The failure policy left the resource blocked (unmanaged) on this node.
    pub fn blocked(&self) -> bool {
        self.role != Role::Stopped && self.on_fail == OnFail::Block
    }
}

/// Whether a recorded operation is a failure in the sense of crm_mon's "Failed Resource
/// Actions" (used to list failures from `_last_failure_` entries too). Probes that found
/// the agent not installed or not configured are not: Pacemaker masks them.
pub fn is_failure(op: &LrmRscOp, managed: bool) -> bool {
    if op.op_status == exec::PENDING || op.op_status == exec::CANCELLED {
        return false;
    }
    if op.op_status != exec::DONE {
        let masked_probe = op.operation == "monitor" && op.interval_ms == 0 && op.op_status == 7;
        return !(masked_probe || (op.op_status == exec::NOT_SUPPORTED && op.interval_ms > 0));
    }
    if op.rc_code == op.target_rc {
        return false;
    }
    let is_probe = op.operation == "monitor" && op.interval_ms == 0;
    if is_probe
        && matches!(
            op.rc_code,
            rc::OK | rc::NOT_RUNNING | rc::RUNNING_PROMOTED | 5 | 6
        )
    {
        return false;
    }
    op.rc_code != rc::NOT_RUNNING || managed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(task: &str, call: i64, rc: i32, target: i32, interval: u64) -> LrmRscOp {
        LrmRscOp {
            id: format!("r_{task}_{interval}"),
            operation_key: format!("r_{task}_{interval}"),
            operation: task.into(),
            call_id: call,
            rc_code: rc,
            op_status: 0,
            interval_ms: interval,
            target_rc: target,
            last_rc_change: None,
            exec_time: None,
            queue_time: None,
            exit_reason: None,
            on_node: None,
            migrate_source: None,
            migrate_target: None,
        }
    }

    fn restart(_: &str, _: u64) -> OnFail {
        OnFail::Recover
    }

    #[test]
    fn started_then_promoted() {
        let ops = [
            op("promote", 5, 0, 0, 0),
            op("start", 3, 0, 0, 0),
            op("monitor", 6, 8, 8, 2000),
        ];
        let r = replay(&ops, true, restart);
        assert_eq!(r.role, Role::Promoted);
        assert!(!r.failed());
    }

    #[test]
    fn failed_monitor_then_stopped_is_stopped_and_listed() {
        let ops = [
            op("start", 3, 0, 0, 0),
            op("monitor", 4, 7, 0, 7000),
            op("stop", 9, 0, 0, 0),
        ];
        let r = replay(&ops, true, restart);
        assert_eq!(r.role, Role::Stopped);
        assert!(!r.failed());
        assert_eq!(r.failed_ops, vec![1]);
    }

    #[test]
    fn unrecovered_monitor_failure_is_failed() {
        let ops = [op("start", 3, 0, 0, 0), op("monitor", 4, 7, 0, 7000)];
        let r = replay(&ops, true, restart);
        assert_eq!(r.role, Role::Started);
        assert!(r.failed());
    }

    #[test]
    fn probe_not_running_is_not_a_failure() {
        let ops = [op("monitor", 1, 7, 7, 0)];
        let r = replay(&ops, true, restart);
        assert_eq!(r.role, Role::Stopped);
        assert!(r.failed_ops.is_empty());
        assert!(!is_failure(&ops[0], true));
    }

    #[test]
    fn failed_start_is_failed_started() {
        let ops = [op("monitor", 1, 7, 7, 0), op("start", 2, 1, 0, 0)];
        let r = replay(&ops, true, restart);
        assert_eq!(r.role, Role::Started);
        assert!(r.failed());
    }
}
