//! `pgcrm failcount show | set | delete`: fail counts per resource, node, operation and
//! interval (crm_failcount -G / -D, crm_attribute -t status -n fail-count-...).

use super::candidates;
use super::mutate::{MutateArgs, WaitArgs};
use super::resource::run_cleanup;
use super::{print_out, CommandContext, CommandResult, OutputFormat};
use clap::Subcommand;
use pgcrm::ops::cleanup::{self, CleanupRequest};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: FailcountCommand,
}

#[derive(Debug, Subcommand)]
// arguments are built only for the subcommand given (see `Command` in cli/mod.rs)
#[command(defer = true)]
pub enum FailcountCommand {
    /// List fail counts, one line per resource, node, operation and interval
    Show {
        /// Only this resource (a clone or group means its primitives)
        #[arg(add = candidates::resources())]
        resource: Option<String>,
        /// Only on this node
        #[arg(long, short = 'N', value_name = "NODE", add = candidates::nodes())]
        node: Option<String>,
    },
    /// Set a fail count (e.g. INFINITY to keep a resource off a node until cleanup)
    ///
    /// Without --operation, the one fail count the resource has on the node is set; when it
    /// has none or several, give --operation and --interval. Lifetime reboot, through attrd on
    /// the live cluster.
    Set {
        #[arg(add = candidates::resources())]
        resource: String,
        #[arg(add = candidates::nodes())]
        node: String,
        /// A non-negative integer or INFINITY
        value: String,
        /// The operation (e.g. monitor, start)
        #[arg(long, short = 'n', value_name = "OP")]
        operation: Option<String>,
        /// Its interval (10s, 10000ms, PT10S; default 0 = one-shot)
        #[arg(long, short = 'I', value_name = "INTERVAL")]
        interval: Option<String>,
        #[command(flatten)]
        mutate: MutateArgs,
    },
    /// Delete a resource's fail counts on a node, with its failed operations, like
    /// crm_failcount -D (= resource cleanup RSC --node NODE)
    Delete {
        #[arg(add = candidates::resources())]
        resource: String,
        #[arg(add = candidates::nodes())]
        node: String,
        /// Only this operation (e.g. monitor)
        #[arg(long, short = 'n', value_name = "OP")]
        operation: Option<String>,
        /// Its interval (10s, 10000ms, PT10S; default 0)
        #[arg(long, short = 'I', value_name = "INTERVAL")]
        interval: Option<String>,
        #[command(flatten)]
        mutate: MutateArgs,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

pub fn run(ctx: &CommandContext, args: &Args) -> CommandResult {
    let cluster = ctx.cluster();
    let cluster = cluster.as_ref();
    match &args.command {
        FailcountCommand::Show { resource, node } => {
            let cib = cluster.query_cib()?;
            let list = cleanup::fail_counts(&cib, resource.as_deref(), node.as_deref())?;
            match ctx.global.output {
                OutputFormat::Json => {
                    let mut text = serde_json::to_string_pretty(&serde_json::json!({
                        "schema_version": pgcrm::ops::status::SCHEMA_VERSION,
                        "fail_counts": list,
                    }))
                    .expect("serialises");
                    text.push('\n');
                    print_out(&text)
                }
                OutputFormat::Text if list.is_empty() => print_out("No fail counts\n"),
                OutputFormat::Text => {
                    let mut table = comfy_table::Table::new();
                    table.load_preset(comfy_table::presets::NOTHING);
                    table.set_header([
                        "NODE",
                        "RESOURCE",
                        "OPERATION",
                        "INTERVAL",
                        "FAIL COUNT",
                        "LAST FAILURE",
                    ]);
                    for e in &list {
                        table.add_row([
                            e.node.clone(),
                            e.resource.clone(),
                            e.operation.clone().unwrap_or_else(|| "(all)".into()),
                            e.interval_ms
                                .map(crate::render::crm_mon::readable_interval)
                                .unwrap_or_default(),
                            e.count.to_string(),
                            e.last_failure
                                .map(crate::render::crm_mon::ctime)
                                .unwrap_or_default(),
                        ]);
                    }
                    print_out(&format!("{}\n", table.to_string().trim_end()))
                }
            }
        }
        FailcountCommand::Set {
            resource,
            node,
            value,
            operation,
            interval,
            mutate: m,
        } => {
            let cib = cluster.query_cib()?;
            let set = cleanup::plan_set(
                &cib,
                resource,
                node,
                value,
                operation.as_deref(),
                interval.as_deref(),
            )?;
            let line = format!(
                "{} on {}: {}{}",
                set.name,
                set.node,
                set.before
                    .as_ref()
                    .map(|b| format!("{b} -> "))
                    .unwrap_or_default(),
                set.value
            );
            if m.dry_run {
                return print_out(&format!("Dry run: would set {line}\n"));
            }
            cluster.set_transient_attribute(&cib, &set.node, &set.name, Some(&set.value))?;
            print_out(&format!("Set {line}\n"))
        }
        FailcountCommand::Delete {
            resource,
            node,
            operation,
            interval,
            mutate: m,
            wait: w,
        } => run_cleanup(
            cluster,
            &CleanupRequest {
                resource: Some(resource.clone()),
                node: Some(node.clone()),
                operation: operation.clone(),
                interval: interval.clone(),
                refresh: false,
            },
            m,
            w,
        ),
    }
}
