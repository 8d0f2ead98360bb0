//! [`plan`]: what a rebuild of NODE would do, from the CIB, NODE's data directory (through
//! [`Host`]) and the primary's PostgreSQL. Refuses what must not be done (NODE runs the
//! primary, no other node does, an operator's ban, a server outside the cluster's control)
//! and chooses the method. It changes nothing: every write is a step of [`run`](super::run).

use super::ban::{ban_id, ban_owner, operator_ban_refusal, Ban};
use super::cluster_steps::has_failures;
use super::data_steps::{lock_file, staging, Data, DataJob};
use super::estimate::{estimate, parse_rate, wal_to_copy, SourceWal, ASSUMED_RATE};
use super::remote::Host;
use super::{Method, RebuildPlan, Request, Step, StepKind};
use crate::cib::{Cib, Resource, Role};
use crate::cluster::Cluster;
use crate::ops::plan as cib_plan;
use crate::ops::status::{self, PgNodeRow};
use crate::pg::target::{self, ResourceParams, TargetInputs};
use crate::{Error, Result};
use std::time::Duration;

/// The PostgreSQL primitive (an agent that publishes `<rsc>-status`) and its promotable clone.
fn find_pg(cib: &Cib) -> Result<(crate::cib::Primitive, String)> {
    for r in &cib.resources {
        if let Resource::Clone(_) = r {
            if let Some(p) = r
                .primitives()
                .into_iter()
                .find(|p| p.agent_type == "pgsql" || p.agent_type == "pgcrm")
            {
                return Ok((p.clone(), r.id().to_string()));
            }
        }
    }
    Err(Error::NoSuch {
        kind: "resource",
        name: "pgsql (a promotable clone of ocf:heartbeat:pgsql or ocf:pgcrm:pgsql)".into(),
        hint: String::new(),
    })
}

/// The agent's instance attributes set on the resource.
fn resource_params(prim: &crate::cib::Primitive) -> Vec<(String, String)> {
    crate::agent::params::PARAMS
        .iter()
        .filter_map(|s| {
            prim.params
                .get(s.name)
                .map(|v| (s.name.to_string(), v.to_string()))
        })
        .collect()
}

pub(super) fn rows(cib: &Cib) -> Vec<PgNodeRow> {
    status::report_from_cib(cib, String::new())
        .postgresql
        .map(|p| p.nodes)
        .unwrap_or_default()
}

fn streaming_status(s: Option<&str>) -> bool {
    matches!(s, Some("HS:sync" | "HS:async"))
}

/// The primary's facts needed by the plan: (in recovery, bytes of data, its WAL when
/// `pg_ls_waldir()` may be read).
type SourceFacts = (bool, u64, Option<SourceWal>);

fn source_facts(t: &target::Target, timeout: Duration) -> std::result::Result<SourceFacts, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let cfg = t.config.clone();
    let res = rt.block_on(async move {
        tokio::time::timeout(timeout, async move {
            let (client, conn) = cfg
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            let rows = client
                .simple_query(
                    "SELECT pg_is_in_recovery(), (SELECT sum(pg_database_size(oid))::bigint FROM pg_database)",
                )
                .await
                .map_err(|e| e.to_string())?;
            let Some((rec, size)) = rows.iter().find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => Some((
                    r.get(0) == Some("t"),
                    r.get(1).and_then(|s| s.parse().ok()).unwrap_or(0),
                )),
                _ => None,
            }) else {
                return Err("no row".to_string());
            };
            // a role without pg_monitor may not list pg_wal: the estimate goes without
            let wal = client
                .simple_query(
                    "SELECT name, size, (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') FROM pg_ls_waldir()",
                )
                .await
                .ok()
                .map(|rows| {
                    let mut wal = SourceWal::default();
                    for m in rows {
                        if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
                            let (Some(name), Some(size)) =
                                (r.get(0), r.get(1).and_then(|s| s.parse().ok()))
                            else {
                                continue;
                            };
                            wal.files.push((name.to_string(), size));
                            wal.segment_size = r.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
                        }
                    }
                    wal
                });
            Ok((rec, size, wal))
        })
        .await
        .map_err(|_| format!("no answer within {}s", timeout.as_secs_f64()))?
    });
    res.map_err(|e| target::redact(&e, &t.secrets))
}

/// Makes the plan: refuses what must not be done, finds the source, sizes the copy, and
/// lists the steps with what is already done.
pub fn plan(cluster: &dyn Cluster, req: &Request) -> Result<RebuildPlan> {
    if let Some(r) = &req.max_rate {
        if parse_rate(r).is_none() {
            return Err(Error::Usage(format!(
                "--max-rate '{r}' is not a rate (kB/s as a number, or 500k, 50M)"
            )));
        }
    }
    if !cluster.is_live() {
        return Err(Error::NeedsLive("rebuild-standby".into()));
    }
    let cib = cluster.query_cib()?;
    cib_plan::node(&cib, &req.node)?;
    let node = req.node.as_str();
    let host = Host::of(req);
    if req.local_node.as_deref() != Some(node) && req.remote.is_none() {
        return Err(Error::Usage(format!(
            "rebuild-standby changes {node}'s data directory: run it on {node} (this is {}), or from here with --ssh",
            req.local_node.as_deref().unwrap_or("an unknown host")
        )));
    }
    let (prim, clone) = find_pg(&cib)?;
    let data = Data::new(DataJob {
        node: node.to_string(),
        resource: prim.id.clone(),
        resource_params: resource_params(&prim),
        method: req.method,
        max_rate: req.max_rate.clone(),
        discard_old: req.discard_old,
        source_bytes: None,
        wal_bytes: None,
        resume: match host {
            Host::Here => String::new(),
            Host::Remote(r) => r.resume.clone(),
        },
    })?;
    let params = data.params.clone();
    let rows = rows(&cib);
    let me = rows.iter().find(|r| r.node == node);
    if me.is_some_and(|r| r.role == Role::Promoted) {
        return Err(Error::Unsafe(format!(
            "{node} runs the primary ({clone} Promoted): rebuilding it would destroy the writable copy; switch over first (pgcrm resource move {clone} --to OTHER)"
        )));
    }
    let facts = host.facts(&data)?;
    if let Some(pid) = facts.postmaster_pid {
        if me.is_none_or(|r| r.role == Role::Stopped) {
            return Err(Error::Unsafe(format!(
                "a PostgreSQL server (pid {pid}) runs in {} on {node} although Pacemaker has {} stopped there: stop it by hand first, it may be a primary outside the cluster's control",
                params.pgdata, prim.id
            )));
        }
    }
    let Some(source) = rows
        .iter()
        .find(|r| r.node != node && r.role == Role::Promoted)
    else {
        return Err(Error::Unsafe(format!(
            "no other node runs the primary ({clone} is not Promoted anywhere else): {node} may hold the only copy of the newest data; promote a node first, then rebuild"
        )));
    };
    let source_node = source.node.clone();
    // the primary as PostgreSQL itself sees it
    let addresses = std::fs::read_to_string(&req.pg.corosync_conf)
        .map(|t| target::corosync_addresses(&t))
        .unwrap_or_default();
    let rparams = ResourceParams::from_params(|k| prim.params.get(k).map(str::to_string));
    let nodes = vec![source_node.clone()];
    let targets = target::targets(&TargetInputs {
        nodes: &nodes,
        params: &rparams,
        addresses: &addresses,
        config: req.pg.config.as_ref(),
        env: &req.pg.env,
        local_node: Some(node),
        only_configured: false,
        timeout: req.pg.timeout,
    })?;
    let (source_bytes, source_wal) = match targets.first().map(|t| (t, source_facts(t, req.pg.timeout))) {
        Some((_, Ok((false, size, wal)))) => (Some(size), wal),
        Some((t, Ok((true, _, _)))) => {
            return Err(Error::Unsafe(format!(
                "{source_node} is Promoted for Pacemaker but its PostgreSQL ({}) is in recovery: wait until the promotion completes",
                t.description
            )))
        }
        Some((t, Err(e))) => {
            return Err(Error::Unsafe(format!(
                "cannot reach the primary's PostgreSQL on {source_node} ({}): {e}; nothing was changed",
                t.description
            )))
        }
        None => (None, None),
    };
    let pgdata = params.pgdata.trim_end_matches('/').to_string();
    let marker_in_pgdata = facts.marker_in_pgdata;
    let marker_in_staging = facts.marker_in_staging;
    let rewind = facts.no_rewind.clone().map_or(Ok(()), Err);
    let (method, method_reason) = if marker_in_pgdata || marker_in_staging {
        (
            Method::Basebackup,
            "a copy from an earlier run is complete".to_string(),
        )
    } else if req.method == Method::Auto && facts.staging_exists {
        // an interrupted pg_basebackup: the re-run finishes what the first run chose (a
        // rewind would leave the half copy behind, and --method rewind removes it)
        (
            Method::Basebackup,
            "an earlier run's pg_basebackup was interrupted: copying again".to_string(),
        )
    } else {
        match (req.method, rewind) {
            (Method::Basebackup, _) => (Method::Basebackup, "--method basebackup".into()),
            (Method::Rewind, Ok(())) | (Method::Auto, Ok(())) => (
                Method::Rewind,
                "the data directory keeps wal_log_hints or checksums: pg_rewind copies only what changed"
                    .into(),
            ),
            (Method::Rewind, Err(why)) => {
                return Err(Error::Usage(format!(
                    "--method rewind is not possible on {node}: {why}; use --method basebackup (or auto)"
                )))
            }
            (Method::Auto, Err(why)) => (Method::Basebackup, format!("pg_rewind is not possible: {why}")),
        }
    };
    let ban = ban_id(&clone, node);
    // An operator's ban says the node must stay off: refused rather than lifted at the end
    // (or kept, leaving a rebuilt node that never starts and a run that cannot end).
    let banned = match ban_owner(&cib, &clone, node) {
        Ban::None => false,
        Ban::Ours => true,
        Ban::Operator => return Err(operator_ban_refusal(&clone, node)),
    };
    let stopped = me.is_none_or(|r| r.role == Role::Stopped);
    let failed = has_failures(&cib, node, &prim.id);
    let data_status = me.and_then(|r| r.pgsql_data_status.clone());
    let lock = lock_file(&params);
    let copied = marker_in_pgdata;
    let source_address = format!("{}:{}", params.master_ip, params.pgport);
    let nothing_to_do = !banned
        && !copied
        && !marker_in_staging
        && me.is_some_and(|r| {
            r.role == Role::Unpromoted && streaming_status(r.pgsql_status.as_deref())
        });
    let rate = req
        .max_rate
        .as_deref()
        .and_then(parse_rate)
        .unwrap_or(ASSUMED_RATE);
    let wal_bytes = source_wal.as_ref().map(|w| wal_to_copy(method, w));
    let estimate = estimate(source_bytes, wal_bytes, rate);
    let s = |kind, what: String, done| Step { kind, what, done };
    let mut steps = vec![
        s(
            StepKind::Ban,
            format!("keep {clone} off {node} ({ban}, rebuild-standby's own: lifted at the end); the node's cluster stack keeps running"),
            banned || copied,
        ),
        s(
            StepKind::Stop,
            format!("wait until {} is stopped on {node}", prim.id),
            stopped,
        ),
    ];
    match method {
        Method::Rewind => steps.push(s(
            StepKind::Copy,
            format!("pg_rewind {pgdata} from {source_node}'s server (in place)"),
            copied,
        )),
        _ => {
            steps.push(s(
                StepKind::Copy,
                format!(
                    "pg_basebackup from {source_address} (-X stream -c fast{}) into {}",
                    req.max_rate
                        .as_deref()
                        .map(|r| format!(" --max-rate {r}"))
                        .unwrap_or_default(),
                    staging(&pgdata).display()
                ),
                copied || marker_in_staging,
            ));
            steps.push(s(
                StepKind::Swap,
                format!(
                    "rename {pgdata} to {pgdata}.pgcrm-old-<time>{}, the new copy to {pgdata}",
                    if req.discard_old {
                        " (deleted at the end: --discard-old)"
                    } else {
                        " (kept)"
                    }
                ),
                copied,
            ));
        }
    }
    steps.extend([
        s(
            StepKind::StandbyConfig,
            format!(
                "write standby.signal and {}/recovery.conf (primary_conninfo host={} application_name={node})",
                params.tmpdir, params.master_ip
            ),
            false,
        ),
        s(
            StepKind::LockFile,
            format!("remove {}", lock.display()),
            !facts.lock_exists,
        ),
        s(
            StepKind::DataStatus,
            format!(
                "delete {}-data-status of {node}{}",
                prim.id,
                data_status
                    .as_deref()
                    .map(|d| format!(" (now {d})"))
                    .unwrap_or_default()
            ),
            data_status.is_none(),
        ),
        s(
            StepKind::Cleanup,
            format!("clear {}'s fail counts and failed operations on {node}", prim.id),
            !failed,
        ),
        s(
            StepKind::Unban,
            format!("remove {ban}: Pacemaker starts {} on {node} as a standby", prim.id),
            false,
        ),
        s(
            StepKind::Wait,
            format!("wait until {node} is HS:sync or HS:async (streaming)"),
            false,
        ),
        s(StepKind::Finish, "report the timings".to_string(), false),
    ]);
    Ok(RebuildPlan {
        node: node.to_string(),
        resource: prim.id.clone(),
        clone,
        source_node,
        source_address,
        pgdata_bytes: facts.pgdata_bytes,
        pgdata,
        source_bytes,
        wal_bytes,
        method,
        method_reason,
        estimate,
        assumed_rate: rate,
        steps,
        nothing_to_do,
        params,
        copied,
        data: Data {
            job: DataJob {
                method,
                source_bytes,
                wal_bytes,
                ..data.job
            },
            ..data
        },
        request: req.clone(),
        primitive: prim,
    })
}
