//! `pgcrm resource ...`: list, locate and the cli-* constraints; move, ban, clear; start,
//! stop, manage, unmanage; cleanup, refresh; delete (the runbook's `crm_resource -L -W -M -B
//! -U -C -R -D`, `--meta`).

use super::candidates;
use super::mutate::{self, MutateArgs, WaitArgs};
use super::{print_out, CommandContext, CommandResult, OutputFormat};
use crate::render::crm_mon;
use clap::{Subcommand, ValueEnum};
use pgcrm::cib::Role;
use pgcrm::cluster::Cluster;
use pgcrm::ops::cleanup::{self, CleanupRequest};
use pgcrm::ops::plan::parse_lifetime;
use pgcrm::ops::resource::{self, Expect, MoveRequest};
use pgcrm::ops::wait;
use pgcrm::state;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ResourceCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Any active role (for a promotable clone: the instance, not the primary)
    Started,
    /// The Promoted role of a promotable clone (the primary)
    Promoted,
}

impl RoleArg {
    fn role(self) -> Role {
        match self {
            RoleArg::Started => Role::Started,
            RoleArg::Promoted => Role::Promoted,
        }
    }
}

#[derive(Debug, Subcommand)]
// arguments are built only for the subcommand given (see `Command` in cli/mod.rs)
#[command(defer = true)]
pub enum ResourceCommand {
    /// List every resource and where it runs, like crm_resource --list
    List,
    /// Show the nodes where a resource is active, like crm_resource --locate
    Locate {
        /// The resource (any, group members and clone children included)
        #[arg(add = candidates::resources())]
        resource: String,
    },
    /// List the cli-prefer/cli-ban constraints that move and ban commands left, with
    /// lifetime and "expired but present"
    Constraints {
        /// Only this resource's
        #[arg(add = candidates::top_level_resources())]
        resource: Option<String>,
    },
    /// Move a resource to a node; a promotable clone moves its Promoted role (a switchover)
    ///
    /// Writes cli-prefer-RSC (with --to) or, without --to, cli-ban-RSC-on-NODE away from the
    /// node the resource (its primary) runs on, as crm_resource --move does. With --to it
    /// also bans the node the resource leaves (as crm_resource --move --force), because with
    /// resource-stickiness=INFINITY a preference alone moves nothing. Refuses when a
    /// cli-prefer constraint exists already, and checks the target first: online, not
    /// standby, promotion score not -INFINITY, a synchronous streaming standby. With --wait
    /// (default on a live cluster) it follows the cluster and then removes its own
    /// constraints, unless --keep-constraint.
    Move {
        #[arg(add = candidates::top_level_resources())]
        resource: String,
        /// The node to move to
        #[arg(long, short = 'N', value_name = "NODE", add = candidates::nodes())]
        to: Option<String>,
        /// How long the constraint lasts: ISO 8601 (PT5M) or 5m, 2h
        #[arg(long, short = 'u', value_name = "DURATION")]
        lifetime: Option<String>,
        /// The role to move (default: promoted for a promotable clone, else started)
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
        /// Move even when the target fails a pre-check (the message says what risk it takes)
        #[arg(long)]
        force: bool,
        /// Keep the cli-prefer constraint after a successful --wait
        #[arg(long)]
        keep_constraint: bool,
        #[command(flatten)]
        mutate: MutateArgs,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Keep a resource off a node (cli-ban-RSC-on-NODE, score -INFINITY)
    Ban {
        #[arg(add = candidates::top_level_resources())]
        resource: String,
        #[arg(add = candidates::nodes())]
        node: String,
        /// How long the ban lasts: ISO 8601 (PT5M) or 5m, 2h
        #[arg(long, short = 'u', value_name = "DURATION")]
        lifetime: Option<String>,
        /// Ban only this role (promoted: the node may still run a standby)
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
        #[command(flatten)]
        mutate: MutateArgs,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Remove the cli-prefer/cli-ban constraints of a resource, listing each
    Clear {
        #[arg(add = candidates::top_level_resources())]
        resource: String,
        /// Only those naming this node
        #[arg(long, short = 'N', value_name = "NODE", add = candidates::nodes())]
        node: Option<String>,
        /// Only those whose lifetime has ended
        #[arg(long)]
        expired: bool,
        #[command(flatten)]
        mutate: MutateArgs,
    },
    /// Let the cluster start a resource (removes target-role=Stopped, like crm_resource -v started)
    Start {
        #[arg(add = candidates::resources())]
        resource: String,
        #[command(flatten)]
        mutate: MutateArgs,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Stop a resource (meta target-role=Stopped)
    Stop {
        #[arg(add = candidates::resources())]
        resource: String,
        #[command(flatten)]
        mutate: MutateArgs,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Let the cluster manage a resource again (removes is-managed=false)
    Manage {
        #[arg(add = candidates::resources())]
        resource: String,
        #[command(flatten)]
        mutate: MutateArgs,
    },
    /// Stop the cluster from acting on a resource (meta is-managed=false)
    Unmanage {
        #[arg(add = candidates::resources())]
        resource: String,
        #[command(flatten)]
        mutate: MutateArgs,
    },
    /// Clear failures: fail counts, last-failure times and failed operations, like
    /// crm_resource --cleanup
    ///
    /// Without RSC, every resource with failures; without --node, on every node. On the live
    /// cluster it first waits until the DC is idle (a cleanup during a recovery cancels the
    /// start in flight), then the cluster re-probes what was cleaned; --wait (default) follows
    /// it until the failures are gone. On a CIB file the cleanup is simulated: the failures are
    /// removed from the status section and nothing is probed (crm_resource crashes there).
    Cleanup(CleanupArgs),
    /// Forget the operation history and re-probe, like crm_resource --refresh (fail counts
    /// are cleared too)
    Refresh {
        /// The resource (default: every resource)
        #[arg(add = candidates::resources())]
        resource: Option<String>,
        /// Only on this node
        #[arg(long, short = 'N', value_name = "NODE", add = candidates::nodes())]
        node: Option<String>,
        #[command(flatten)]
        mutate: MutateArgs,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Delete a resource and the constraints that reference it, listing them
    ///
    /// Refused while the resource is active; --force stops it first (target-role=Stopped)
    /// and waits until it is stopped. The constraints go in the same CIB change as the
    /// resource (a constraint with resource sets only loses the reference).
    Delete {
        #[arg(add = candidates::top_level_resources())]
        resource: String,
        /// Stop the resource first and wait for it (on the live cluster)
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        mutate: MutateArgs,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct CleanupArgs {
    /// The resource (default: every resource with failures); a clone or group means its
    /// primitives
    #[arg(add = candidates::resources())]
    pub resource: Option<String>,
    /// Only on this node
    #[arg(long, short = 'N', value_name = "NODE", add = candidates::nodes())]
    pub node: Option<String>,
    /// Only the failures of this operation (e.g. monitor, start)
    #[arg(long, short = 'n', value_name = "OP")]
    pub operation: Option<String>,
    /// With --operation: its interval (10s, 10000ms, PT10S; default 0 = one-shot)
    #[arg(long, short = 'I', value_name = "INTERVAL")]
    pub interval: Option<String>,
    #[command(flatten)]
    pub mutate: MutateArgs,
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// Cleans up (or refreshes) as asked, saying what was cleaned. Shared with `failcount delete`.
pub fn run_cleanup(
    cluster: &dyn Cluster,
    req: &CleanupRequest,
    m: &MutateArgs,
    w: &WaitArgs,
) -> CommandResult {
    let timeout = w.timeout(cluster)?;
    let cib = if cluster.is_live() {
        let mut on_busy = |dc: &str| {
            eprintln!("pgcrm: the cluster is busy (DC {dc}): waiting for it to be idle before cleaning up");
        };
        wait::wait_idle(
            cluster,
            timeout.unwrap_or(mutate::DEFAULT_WAIT),
            &mut on_busy,
        )?
    } else {
        cluster.query_cib()?
    };
    let items = cleanup::plan(&cib, req)?;
    let verb = if req.refresh { "refresh" } else { "clean up" };
    if items.is_empty() {
        let mut what = req.resource.clone().unwrap_or_else(|| "no resource".into());
        if req.resource.is_some() {
            what = format!("{what} has no");
        } else {
            what.push_str(" has");
        }
        return print_out(&format!(
            "Nothing to {verb}: {what} {}{}{}\n",
            if req.refresh { "history" } else { "failures" },
            req.operation
                .as_ref()
                .map(|o| format!(" of {o}"))
                .unwrap_or_default(),
            req.node
                .as_ref()
                .map(|n| format!(" on {n}"))
                .unwrap_or_default()
        ));
    }
    let targets: Vec<_> = items.iter().map(|i| i.target.clone()).collect();
    let done = if req.refresh {
        "Refreshed"
    } else {
        "Cleaned up"
    };
    if m.dry_run {
        let mut text = String::new();
        for i in &items {
            text.push_str(&format!("Dry run: would {verb} {i}\n"));
        }
        if !cluster.is_live() {
            let change = pgcrm::cluster::simulated_cleanup(&cib, &targets);
            let mut after = cib.tree.clone();
            change
                .apply_to(&mut after)
                .map_err(|e| pgcrm::Error::Usage(e.to_string()))?;
            text.push_str(&mutate::diff(
                &cib.tree.to_xml_pretty(),
                &after.to_xml_pretty(),
                &cluster.origin(),
            ));
        }
        return print_out(&text);
    }
    let cleaned = cluster.cleanup(&cib, &targets)?;
    let mut text = String::new();
    if cleaned.simulated {
        text.push_str(&format!(
            "Simulated on {} (no cluster to re-probe): the failures were removed from the status section\n",
            cluster.origin()
        ));
    }
    for i in &items {
        text.push_str(&format!("{done} {i}\n"));
    }
    print_out(&text)?;
    if let Some(t) = timeout {
        let expect = if req.operation.is_some() {
            Expect::Settled
        } else {
            Expect::NoFailures {
                items: items
                    .iter()
                    .map(|i| (i.node.clone(), i.resource.clone()))
                    .collect(),
            }
        };
        mutate::follow(cluster, &expect, t)?;
    }
    Ok(())
}

fn json<T: serde::Serialize>(value: &T) -> CommandResult {
    let mut text = serde_json::to_string_pretty(value).expect("serialises");
    text.push('\n');
    print_out(&text)
}

fn lifetime(s: &Option<String>) -> Result<Option<std::time::Duration>, pgcrm::Error> {
    s.as_deref().map(parse_lifetime).transpose()
}

pub fn run(ctx: &CommandContext, args: &Args) -> CommandResult {
    let cluster = ctx.cluster();
    let cluster = cluster.as_ref();
    let now = chrono::Utc::now();
    match &args.command {
        ResourceCommand::List => {
            let cib = cluster.query_cib()?;
            let st = state::derive(&cib);
            match ctx.global.output {
                OutputFormat::Json => json(&serde_json::json!({
                    "schema_version": pgcrm::ops::status::SCHEMA_VERSION,
                    "resources": st.resources,
                })),
                OutputFormat::Text => print_out(&crm_mon::resource_list(&st)),
            }
        }
        ResourceCommand::Locate { resource } => {
            let cib = cluster.query_cib()?;
            let loc = resource::locate(&cib, resource)?;
            match ctx.global.output {
                OutputFormat::Json => json(&loc),
                OutputFormat::Text if loc.instances.is_empty() => {
                    print_out(&format!("resource {} is NOT running\n", loc.resource))
                }
                OutputFormat::Text => {
                    let mut text = String::new();
                    for (node, role) in &loc.instances {
                        text.push_str(&format!(
                            "resource {} is running on: {node}{}\n",
                            loc.resource,
                            if *role == Role::Promoted {
                                " Promoted"
                            } else {
                                ""
                            }
                        ));
                    }
                    print_out(&text)
                }
            }
        }
        ResourceCommand::Constraints { resource } => {
            let cib = cluster.query_cib()?;
            if let Some(r) = resource {
                resource::top_level(&cib, r)?;
            }
            let list = resource::cli_constraints(&cib, resource.as_deref(), now);
            match ctx.global.output {
                OutputFormat::Json => json(&serde_json::json!({
                    "schema_version": pgcrm::ops::status::SCHEMA_VERSION,
                    "constraints": list,
                })),
                OutputFormat::Text if list.is_empty() => print_out("No cli-* constraints\n"),
                OutputFormat::Text => {
                    let mut table = comfy_table::Table::new();
                    table.load_preset(comfy_table::presets::NOTHING);
                    table.set_header([
                        "ID",
                        "RESOURCE",
                        "KIND",
                        "ROLE",
                        "NODE",
                        "LIFETIME END",
                        "",
                    ]);
                    for c in &list {
                        table.add_row([
                            c.id.clone(),
                            c.resource.clone(),
                            c.kind.to_string(),
                            c.role.map(|r| r.as_str()).unwrap_or("Started").to_string(),
                            c.node.clone().unwrap_or_default(),
                            c.lifetime_end.clone().unwrap_or_else(|| "never".into()),
                            if c.expired {
                                "expired but present".into()
                            } else {
                                String::new()
                            },
                        ]);
                    }
                    print_out(&format!("{}\n", table.to_string().trim_end()))
                }
            }
        }
        ResourceCommand::Move {
            resource,
            to,
            lifetime: life,
            role,
            force,
            keep_constraint,
            mutate: m,
            wait: w,
        } => {
            let timeout = w.timeout(cluster)?;
            let cib = cluster.query_cib()?;
            let req = MoveRequest {
                resource: resource.clone(),
                to: to.clone(),
                lifetime: lifetime(life)?,
                role: role.map(RoleArg::role),
                force: *force,
            };
            let (plan, expect) = resource::plan_move(&cib, &req, now)?;
            if !mutate::commit(cluster, &plan, m)? {
                return Ok(());
            }
            if let Some(t) = timeout {
                mutate::follow(cluster, &expect, t)?;
                if !keep_constraint {
                    // The move is done: its constraints have served their purpose (stickiness
                    // keeps the resource where it is now).
                    let cib = cluster.query_cib()?;
                    let ids = resource::created_constraints(&plan);
                    let clear = resource::plan_remove(&cib, &ids, now);
                    let quiet = MutateArgs {
                        dry_run: false,
                        yes: true,
                    };
                    mutate::commit(cluster, &clear, &quiet)?;
                }
            }
            Ok(())
        }
        ResourceCommand::Ban {
            resource,
            node,
            lifetime: life,
            role,
            mutate: m,
            wait: w,
        } => {
            let timeout = w.timeout(cluster)?;
            let cib = cluster.query_cib()?;
            let (plan, expect) = resource::plan_ban(
                &cib,
                resource,
                node,
                lifetime(life)?,
                role.map(RoleArg::role),
                now,
            )?;
            if mutate::commit(cluster, &plan, m)? {
                if let Some(t) = timeout {
                    mutate::follow(cluster, &expect, t)?;
                }
            }
            Ok(())
        }
        ResourceCommand::Clear {
            resource,
            node,
            expired,
            mutate: m,
        } => {
            let cib = cluster.query_cib()?;
            let plan = resource::plan_clear(&cib, resource, node.as_deref(), *expired, now)?;
            mutate::commit(cluster, &plan, m).map(|_| ())
        }
        ResourceCommand::Start {
            resource,
            mutate: m,
            wait: w,
        }
        | ResourceCommand::Stop {
            resource,
            mutate: m,
            wait: w,
        } => {
            let start = matches!(args.command, ResourceCommand::Start { .. });
            let timeout = w.timeout(cluster)?;
            let cib = cluster.query_cib()?;
            let value = if start { None } else { Some("Stopped") };
            let plan = resource::plan_meta(&cib, resource, "target-role", value)?;
            let id = resource::any_resource(&cib, resource)?.id().to_string();
            if mutate::commit(cluster, &plan, m)? {
                if let Some(t) = timeout {
                    let expect = if start {
                        Expect::Active { resource: id }
                    } else {
                        Expect::Stopped { resource: id }
                    };
                    mutate::follow(cluster, &expect, t)?;
                }
            }
            Ok(())
        }
        ResourceCommand::Manage {
            resource,
            mutate: m,
        }
        | ResourceCommand::Unmanage {
            resource,
            mutate: m,
        } => {
            let manage = matches!(args.command, ResourceCommand::Manage { .. });
            let cib = cluster.query_cib()?;
            let value = if manage { None } else { Some("false") };
            let plan = resource::plan_meta(&cib, resource, "is-managed", value)?;
            mutate::commit(cluster, &plan, m).map(|_| ())
        }
        ResourceCommand::Cleanup(a) => run_cleanup(
            cluster,
            &CleanupRequest {
                resource: a.resource.clone(),
                node: a.node.clone(),
                operation: a.operation.clone(),
                interval: a.interval.clone(),
                refresh: false,
            },
            &a.mutate,
            &a.wait,
        ),
        ResourceCommand::Refresh {
            resource,
            node,
            mutate: m,
            wait: w,
        } => run_cleanup(
            cluster,
            &CleanupRequest {
                resource: resource.clone(),
                node: node.clone(),
                refresh: true,
                ..CleanupRequest::default()
            },
            m,
            w,
        ),
        ResourceCommand::Delete {
            resource,
            force,
            mutate: m,
            wait: w,
        } => {
            let timeout = w.timeout(cluster)?;
            let mut cib = cluster.query_cib()?;
            let active = !resource::active_instances_of(&cib, resource)?.is_empty();
            if active && *force && !m.dry_run && cluster.is_live() {
                // Names checked before anything changes; then stop it, wait until it is
                // stopped, and delete what is left.
                resource::plan_delete(&cib, resource, true)?;
                let stop = resource::plan_meta(&cib, resource, "target-role", Some("Stopped"))?;
                mutate::commit(cluster, &stop, m)?;
                let id = resource::any_resource(&cib, resource)?.id().to_string();
                mutate::follow(
                    cluster,
                    &Expect::Stopped { resource: id },
                    timeout.unwrap_or(mutate::DEFAULT_WAIT),
                )?;
                cib = cluster.query_cib()?;
            }
            // On a file nothing runs: --force deletes what the status section calls active.
            let allow_active = *force && (!cluster.is_live() || m.dry_run);
            let plan = resource::plan_delete(&cib, resource, allow_active)?;
            mutate::commit(cluster, &plan, m).map(|_| ())
        }
    }
}
