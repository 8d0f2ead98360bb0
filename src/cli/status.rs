//! `pgcrm status`: the cluster as `crm_mon -1 -Afr` shows it, plus the PostgreSQL table;
//! or the same report as JSON.

use super::{print_out, CommandContext, CommandResult, OutputFormat};
use crate::render::crm_mon::{self, Sections};
use pgcrm::ops::status;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show node attributes (pgsql-status, master-pgsql...), like crm_mon -A
    #[arg(short = 'A', long)]
    pub show_node_attributes: bool,
    /// Show the migration summary with fail counts, like crm_mon -f
    #[arg(short = 'f', long)]
    pub failcounts: bool,
    /// Show inactive resources too, like crm_mon -r
    #[arg(short = 'r', long)]
    pub inactive: bool,
    /// Accepted for crm_mon muscle memory; pgcrm status always prints once
    #[arg(short = '1', long = "one-shot", hide = true)]
    pub one_shot: bool,
}

pub fn run(ctx: &CommandContext, args: &Args) -> CommandResult {
    let cluster = ctx.cluster();
    let report = status::report(cluster.as_ref())?;
    match ctx.global.output {
        OutputFormat::Json => {
            let mut text = serde_json::to_string_pretty(&report).expect("report serialises");
            text.push('\n');
            print_out(&text)
        }
        OutputFormat::Text => {
            let sections = Sections {
                node_attributes: args.show_node_attributes,
                fail_counts: args.failcounts,
                inactive: args.inactive,
            };
            let mut text = cli_constraints_banner(ctx).unwrap_or_default();
            text.push_str(&crm_mon::render(
                &report.cluster,
                sections,
                chrono::Local::now(),
            ));
            if let Some(pg) = &report.postgresql {
                text.push('\n');
                text.push_str(&crate::render::pg_table::render(pg));
            }
            print_out(&text)
        }
    }
}

/// The one-line banner about cli-* constraints left by move/ban, when there are any. (Reads
/// the CIB on its own so the report, and its JSON, stay as they are.)
fn cli_constraints_banner(ctx: &CommandContext) -> Option<String> {
    let cib = ctx.cluster().query_cib().ok()?;
    let list = pgcrm::ops::resource::cli_constraints(&cib, None, chrono::Utc::now());
    crate::render::banner::cli_constraints(&list)
}
