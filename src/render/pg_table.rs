//! The PostgreSQL summary table under the crm_mon view: one row per node.

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
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
