//! The PostgreSQL summary table under the crm_mon view: one row per node.

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use pgcrm::ops::problems::{human_bytes, Problem};
use pgcrm::ops::status::PgSummary;

pub fn render(pg: &PgSummary) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "Node",
            "PG role",
            &format!("{}-status", pg.resource),
            &format!("{}-data-status", pg.resource),
            "Promotion score",
            "VIPs",
            "Fail count",
        ]);
    for row in &pg.nodes {
        let dash = || "-".to_string();
        table.add_row(vec![
            row.node.clone(),
            row.role.as_str().to_string(),
            row.pgsql_status.clone().unwrap_or_else(dash),
            row.pgsql_data_status.clone().unwrap_or_else(dash),
            row.promotion_score.clone().unwrap_or_else(dash),
            if row.vips.is_empty() {
                dash()
            } else {
                row.vips
                    .iter()
                    .map(|v| format!("{} ({})", v.resource, v.ip))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            row.fail_count
                .map(|c| c.to_string())
                .unwrap_or_else(|| "0".into()),
        ]);
    }
    format!("PostgreSQL ({}, {}):\n{table}\n", pg.resource, pg.agent)
}

/// What each server itself reports: its role, timeline, WAL positions, and as a standby its
/// lag and sync state from the primary's `pg_stat_replication`.
pub fn render_live(pg: &PgSummary) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "Node",
            "PostgreSQL says",
            "Timeline",
            "WAL (current / received / replayed)",
            "Lag",
            "Sync",
            "Probe",
        ]);
    for row in &pg.nodes {
        let dash = || "-".to_string();
        let Some(probe) = &row.probe else {
            table.add_row(vec![row.node.clone(), "not probed".into()]);
            continue;
        };
        let Some(f) = &probe.facts else {
            table.add_row(vec![
                row.node.clone(),
                "unreachable".into(),
                dash(),
                dash(),
                dash(),
                dash(),
                format!("{}: {}", probe.target, probe.error.as_deref().unwrap_or("")),
            ]);
            continue;
        };
        let lsn = |l: Option<pgcrm::pg::Lsn>| l.map(|l| l.to_string()).unwrap_or_else(dash);
        let role = if f.in_recovery {
            match f.wal_receiver_status.as_deref() {
                Some(s) => format!("standby ({s})"),
                None => "standby (no WAL receiver)".into(),
            }
        } else {
            "primary (writable)".into()
        };
        let (lag, sync) = match &row.replication {
            Some(r) => (
                format!(
                    "{} / {:.1} s",
                    human_bytes(r.lag_bytes.unwrap_or(0)),
                    r.replay_lag_s.unwrap_or(0.0)
                ),
                r.sync_state.clone().unwrap_or_else(dash),
            ),
            None => (dash(), dash()),
        };
        table.add_row(vec![
            row.node.clone(),
            role,
            f.timeline.map(|t| t.to_string()).unwrap_or_else(dash),
            format!(
                "{} / {} / {}",
                lsn(f.current_lsn),
                lsn(f.received_lsn),
                lsn(f.replayed_lsn)
            ),
            lag,
            sync,
            format!("{} in {} ms", probe.target, probe.elapsed_ms),
        ]);
    }
    format!("PostgreSQL as the servers report it:\n{table}\n")
}

/// The problems section: one line per problem, most severe first.
pub fn render_problems(problems: &[Problem]) -> String {
    if problems.is_empty() {
        return "Problems: none\n".into();
    }
    let mut out = String::from("Problems:\n");
    for p in problems {
        out.push_str(&format!(
            "  * {} {}: {}\n",
            p.severity.as_str(),
            p.rule,
            p.message
        ));
    }
    out
}
