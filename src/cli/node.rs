//! `pgcrm node list | standby | online | maintenance | delete` (crm node ..., crm_standby,
//! crm_node -R) and the cluster-wide `pgcrm maintenance on|off`.

use super::candidates;
use super::mutate::{self, MutateArgs, WaitArgs};
use super::{print_out, CommandContext, CommandResult, OutputFormat};
use clap::{Subcommand, ValueEnum};
use pgcrm::ops::node::{self, Lifetime};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: NodeCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LifetimeArg {
    /// Until the node restarts (a transient node attribute)
    Reboot,
    /// Until `pgcrm node online` (in the configuration)
    Forever,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Subcommand)]
// arguments are built only for the subcommand given (see `Command` in cli/mod.rs)
#[command(defer = true)]
pub enum NodeCommand {
    /// List the nodes: state, DC, resources running, roles of promotable clones
    List,
    /// Put a node in standby: every resource on it stops or moves away
    ///
    /// When the node runs the primary, says first where it moves (the node with the highest
    /// promotion score) and asks for confirmation (--yes without a terminal). --wait (default
    /// on the live cluster) follows the cluster until nothing runs on the node.
    Standby {
        #[arg(add = candidates::nodes())]
        node: String,
        /// How long: reboot (transient) or forever (default, like crm node standby)
        #[arg(long, value_enum, default_value_t = LifetimeArg::Forever)]
        lifetime: LifetimeArg,
        #[command(flatten)]
        mutate: MutateArgs,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Take a node out of standby (either lifetime)
    Online {
        #[arg(add = candidates::nodes())]
        node: String,
        #[command(flatten)]
        mutate: MutateArgs,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Put a node in maintenance (its resources keep running, unmonitored) or take it out
    Maintenance {
        #[arg(add = candidates::nodes())]
        node: String,
        #[arg(value_enum)]
        state: OnOff,
        #[command(flatten)]
        mutate: MutateArgs,
    },
    /// Remove a node from the configuration and status, like crm node delete
    ///
    /// Refused while the node is online or still runs resources. On the live cluster, once
    /// the CIB change is applied, the controller, attrd and the fencer are asked to forget
    /// the node (their peer caches, as crm_node -R does); if one of them fails, the command
    /// says which did and did not, and exits 1. Remove the node from corosync.conf too, or
    /// it comes back when it rejoins.
    Delete {
        #[arg(add = candidates::nodes())]
        node: String,
        #[command(flatten)]
        mutate: MutateArgs,
    },
}

// `pgcrm maintenance on|off` (a plain comment: clap would take a doc comment as its help).
#[derive(Debug, clap::Args)]
pub struct MaintenanceArgs {
    /// on: the cluster stops monitoring, starting and stopping every resource; off: it
    /// manages them again
    #[arg(value_enum)]
    pub state: OnOff,
    #[command(flatten)]
    pub mutate: MutateArgs,
}

pub fn run_maintenance(ctx: &CommandContext, args: &MaintenanceArgs) -> CommandResult {
    let cluster = ctx.cluster();
    let cib = cluster.query_cib()?;
    let plan = node::plan_cluster_maintenance(&cib, args.state == OnOff::On)?;
    mutate::commit(cluster.as_ref(), &plan, &args.mutate).map(|_| ())
}

pub fn run(ctx: &CommandContext, args: &Args) -> CommandResult {
    let cluster = ctx.cluster();
    let cluster = cluster.as_ref();
    match &args.command {
        NodeCommand::List => {
            let cib = cluster.query_cib()?;
            let rows = node::list(&cib);
            match ctx.global.output {
                OutputFormat::Json => {
                    let mut text = serde_json::to_string_pretty(&serde_json::json!({
                        "schema_version": pgcrm::ops::status::SCHEMA_VERSION,
                        "nodes": rows,
                    }))
                    .expect("serialises");
                    text.push('\n');
                    print_out(&text)
                }
                OutputFormat::Text => {
                    let mut table = comfy_table::Table::new();
                    table.load_preset(comfy_table::presets::NOTHING);
                    table.set_header(["NODE", "ID", "STATE", "DC", "RESOURCES", "ROLES"]);
                    for r in &rows {
                        let state = match r.standby {
                            Some("reboot") => format!("{} (until reboot)", r.state),
                            _ => r.state.clone(),
                        };
                        table.add_row([
                            r.name.clone(),
                            r.id.clone(),
                            state,
                            if r.is_dc { "DC".into() } else { String::new() },
                            r.resources_running.to_string(),
                            r.roles.join(", "),
                        ]);
                    }
                    print_out(&format!("{}\n", table.to_string().trim_end()))
                }
            }
        }
        NodeCommand::Standby {
            node: name,
            lifetime,
            mutate: m,
            wait: w,
        } => {
            let timeout = w.timeout(cluster)?;
            let cib = cluster.query_cib()?;
            let lifetime = match lifetime {
                LifetimeArg::Reboot => Lifetime::Reboot,
                LifetimeArg::Forever => Lifetime::Forever,
            };
            let (plan, expect) = node::plan_standby(&cib, name, lifetime)?;
            if mutate::commit(cluster, &plan, m)? {
                if let Some(t) = timeout {
                    mutate::follow(cluster, &expect, t)?;
                }
            }
            Ok(())
        }
        NodeCommand::Online {
            node: name,
            mutate: m,
            wait: w,
        } => {
            let timeout = w.timeout(cluster)?;
            let cib = cluster.query_cib()?;
            let (plan, expect) = node::plan_online(&cib, name)?;
            if mutate::commit(cluster, &plan, m)? {
                if let Some(t) = timeout {
                    mutate::follow(cluster, &expect, t)?;
                }
            }
            Ok(())
        }
        NodeCommand::Maintenance {
            node: name,
            state,
            mutate: m,
        } => {
            let cib = cluster.query_cib()?;
            let plan = node::plan_node_maintenance(&cib, name, *state == OnOff::On)?;
            mutate::commit(cluster, &plan, m).map(|_| ())
        }
        NodeCommand::Delete {
            node: name,
            mutate: m,
        } => {
            let cib = cluster.query_cib()?;
            let plan = node::plan_delete(&cib, name)?;
            let id = node::peer_id(&cib, name);
            if !mutate::commit(cluster, &plan, m)? {
                if m.dry_run && cluster.is_live() {
                    print_out(&format!("Dry run: {}\n", node::purge_preview(name, id)))?;
                }
                return Ok(());
            }
            if let Some(done) = node::purge_peer_caches(cluster, name, id)? {
                print_out(&format!("{done}\n"))?;
            }
            Ok(())
        }
    }
}
