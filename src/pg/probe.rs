//! Live probes: one connection per node, all in parallel, each bounded by one deadline that
//! covers connecting and querying, so a dead or partitioned node costs at most the timeout.
//!
//! One round trip of three read-only statements (simple query protocol, text results) per
//! server. It must not change anything on the server, and it never reports a credential.

use super::target::{redact, Target};
use super::{Lsn, NodeProbe, PgFacts, ReplicationRow, Slot};
use std::time::{Duration, Instant};
use tokio_postgres::{NoTls, SimpleQueryMessage, SimpleQueryRow};

/// The default for `--pg-timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Facts about the server itself. CASE keeps the primary-only functions away from a standby
/// (they raise an error during recovery) and the standby-only views away from a primary.
const SQL_SELF: &str = "SELECT current_setting('server_version'), pg_is_in_recovery(), \
 (SELECT system_identifier FROM pg_control_system()), \
 CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn() END, \
 pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn(), \
 CASE WHEN pg_is_in_recovery() THEN NULL \
  ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END, \
 (SELECT received_tli FROM pg_stat_wal_receiver), \
 (SELECT timeline_id FROM pg_control_checkpoint()), \
 (SELECT status FROM pg_stat_wal_receiver), \
 current_setting('synchronous_standby_names')";

const SQL_REPLICATION: &str = "SELECT application_name, client_addr, state, sync_state, \
 sent_lsn, write_lsn, flush_lsn, replay_lsn, \
 CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint END, \
 extract(epoch FROM write_lag), extract(epoch FROM flush_lag), extract(epoch FROM replay_lag) \
 FROM pg_stat_replication ORDER BY application_name, pid";

const SQL_SLOTS: &str = "SELECT slot_name, slot_type, active, restart_lsn, \
 CASE WHEN restart_lsn IS NULL THEN NULL \
  WHEN pg_is_in_recovery() THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), restart_lsn)::bigint \
  ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint END, wal_status \
 FROM pg_replication_slots ORDER BY slot_name";

/// Probes every target at once; returns one result per target, in the targets' order.
pub fn probe_all(targets: Vec<Target>, timeout: Duration) -> Vec<NodeProbe> {
    let sql = format!("{SQL_SELF}; {SQL_REPLICATION}; {SQL_SLOTS}");
    run_all(targets, timeout, &sql, facts_from)
        .into_iter()
        .map(|(t, elapsed, r)| match r {
            Ok(facts) => NodeProbe {
                node: t.node.clone(),
                target: t.description.clone(),
                elapsed_ms: elapsed.as_millis() as u64,
                facts: Some(facts),
                error: None,
            },
            Err(e) => failed(&t, elapsed, e),
        })
        .collect()
}

/// Runs one read-only `sql` text (simple query protocol) on every target at once, each
/// connection and query bounded by `timeout`, and types its messages with `parse`. The one
/// connection code of pgcrm: `status`' probes and `verify --live` both go through it.
/// Errors are redacted of the target's secrets.
pub fn run_all<T: Send + 'static>(
    targets: Vec<Target>,
    timeout: Duration,
    sql: &str,
    parse: fn(&[SimpleQueryMessage]) -> Result<T, String>,
) -> Vec<(Target, Duration, Result<T, String>)> {
    if targets.is_empty() {
        return Vec::new();
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return targets
                .into_iter()
                .map(|t| {
                    (
                        t,
                        Duration::ZERO,
                        Err(format!("cannot start the probe runtime: {e}")),
                    )
                })
                .collect()
        }
    };
    rt.block_on(async move {
        let handles: Vec<_> = targets
            .into_iter()
            .map(|t| {
                let sql = sql.to_string();
                tokio::spawn(async move {
                    let t0 = Instant::now();
                    let r = query_one(&t, timeout, &sql)
                        .await
                        .and_then(|msgs| parse(&msgs))
                        .map_err(|e| redact(&e, &t.secrets));
                    (t, t0.elapsed(), r)
                })
            })
            .collect();
        let mut out = Vec::with_capacity(handles.len());
        for h in handles {
            // a probe task cannot panic short of a bug; keep the others' results if it does
            if let Ok(p) = h.await {
                out.push(p);
            }
        }
        out
    })
}

fn failed(t: &Target, elapsed: Duration, error: String) -> NodeProbe {
    NodeProbe {
        node: t.node.clone(),
        target: t.description.clone(),
        elapsed_ms: elapsed.as_millis() as u64,
        facts: None,
        error: Some(redact(&error, &t.secrets)),
    }
}

async fn query_one(
    t: &Target,
    timeout: Duration,
    sql: &str,
) -> Result<Vec<SimpleQueryMessage>, String> {
    tokio::time::timeout(timeout, async {
        let (client, conn) = t.config.connect(NoTls).await.map_err(describe)?;
        let conn = tokio::spawn(conn);
        let msgs = client.simple_query(sql).await.map_err(describe);
        drop(client);
        conn.abort();
        msgs
    })
    .await
    .unwrap_or_else(|_| {
        Err(format!(
            "no answer within {} ms (--pg-timeout)",
            timeout.as_millis()
        ))
    })
}

/// The error and its causes on one line ("error connecting to server: Connection refused").
fn describe(e: tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{}: {}", db.severity(), db.message());
    }
    let mut text = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        src = s.source();
    }
    text
}

/// Splits the three statements' rows and types them.
fn facts_from(msgs: &[SimpleQueryMessage]) -> Result<PgFacts, String> {
    let mut sets: Vec<Vec<&SimpleQueryRow>> = vec![Vec::new()];
    for m in msgs {
        match m {
            SimpleQueryMessage::Row(r) => sets.last_mut().expect("non-empty").push(r),
            SimpleQueryMessage::CommandComplete(_) => sets.push(Vec::new()),
            _ => {}
        }
    }
    let [me, reps, slots] = [0, 1, 2].map(|i| sets.get(i).cloned().unwrap_or_default());
    let row = me
        .first()
        .ok_or("the server returned no row for its own facts")?;
    let s = |i: usize| row.get(i).map(str::to_string);
    let lsn = |i: usize| row.get(i).and_then(Lsn::parse);
    let in_recovery = row.get(1) == Some("t");
    let timeline = if in_recovery {
        row.get(7).or(row.get(8)).and_then(|v| v.parse().ok())
    } else {
        row.get(6).and_then(|v| v.parse().ok())
    };
    Ok(PgFacts {
        server_version: s(0).unwrap_or_default(),
        in_recovery,
        timeline,
        system_identifier: s(2),
        current_lsn: lsn(3),
        // a promoted server still reports where its recovery ended: not a standby's position
        received_lsn: lsn(4).filter(|_| in_recovery),
        replayed_lsn: lsn(5).filter(|_| in_recovery),
        wal_receiver_status: s(9),
        synchronous_standby_names: s(10).unwrap_or_default(),
        replication: reps.iter().map(|r| replication_row(r)).collect(),
        slots: slots.iter().map(|r| slot_row(r)).collect(),
    })
}

fn replication_row(r: &SimpleQueryRow) -> ReplicationRow {
    let s = |i: usize| r.get(i).map(str::to_string);
    let lsn = |i: usize| r.get(i).and_then(Lsn::parse);
    let f = |i: usize| r.get(i).and_then(|v| v.parse::<f64>().ok());
    ReplicationRow {
        application_name: s(0).unwrap_or_default(),
        client_addr: s(1),
        state: s(2),
        sync_state: s(3),
        sent_lsn: lsn(4),
        write_lsn: lsn(5),
        flush_lsn: lsn(6),
        replay_lsn: lsn(7),
        lag_bytes: r.get(8).and_then(|v| v.parse().ok()),
        write_lag_s: f(9),
        flush_lag_s: f(10),
        replay_lag_s: f(11),
    }
}

fn slot_row(r: &SimpleQueryRow) -> Slot {
    Slot {
        slot_name: r.get(0).unwrap_or_default().to_string(),
        slot_type: r.get(1).unwrap_or_default().to_string(),
        active: r.get(2) == Some("t"),
        restart_lsn: r.get(3).and_then(Lsn::parse),
        retained_bytes: r.get(4).and_then(|v| v.parse().ok()),
        wal_status: r.get(5).map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A closed port on loopback: the probe reports the refusal at once, as an error of that
    /// node only.
    #[test]
    fn unreachable_server_is_an_error_not_a_stall() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let mut cfg = tokio_postgres::Config::new();
        cfg.host("127.0.0.1")
            .port(port)
            .user("postgres")
            .password("sekrit");
        let t = Target {
            node: "node9".into(),
            config: cfg,
            description: format!("127.0.0.1:{port}"),
            secrets: vec!["sekrit".into()],
        };
        let t0 = Instant::now();
        let r = probe_all(vec![t], Duration::from_secs(2));
        assert!(t0.elapsed() < Duration::from_secs(2));
        assert_eq!(r.len(), 1);
        assert!(r[0].facts.is_none());
        let e = r[0].error.as_deref().unwrap();
        assert!(e.contains("refused"), "{e}");
        assert!(!e.contains("sekrit"));
    }

    /// A listener that accepts and never answers: the deadline ends the probe.
    #[test]
    fn silent_server_times_out() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut cfg = tokio_postgres::Config::new();
        cfg.host("127.0.0.1").port(port).user("postgres");
        let t = Target {
            node: "node9".into(),
            config: cfg,
            description: format!("127.0.0.1:{port}"),
            secrets: vec![],
        };
        let t0 = Instant::now();
        let r = probe_all(vec![t], Duration::from_millis(300));
        let took = t0.elapsed();
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(2),
            "{took:?}"
        );
        assert!(r[0].error.as_deref().unwrap().contains("within 300 ms"));
        drop(listener);
    }
}
