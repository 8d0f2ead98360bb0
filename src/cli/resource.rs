//! `pgcrm resource ...`: list, locate and the cli-* constraints; move, ban, clear; start,
//! stop, manage, unmanage (the runbook's `crm_resource -L -W -M -B -U`, `--meta`).

use super::mutate::{self, MutateArgs, WaitArgs};
use super::{print_out, CommandContext, CommandResult, OutputFormat};
use crate::render::crm_mon;
use clap::{Subcommand, ValueEnum};
use pgcrm::cib::Role;
use pgcrm::ops::plan::parse_lifetime;
use pgcrm::ops::resource::{self, Expect, MoveRequest};
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
pub enum ResourceCommand {
    /// List every resource and where it runs, like crm_resource --list
    List,
    /// Show the nodes where a resource is active, like crm_resource --locate
    Locate {
        /// The resource (any, group members and clone children included)
        resource: String,
    },
    /// List the cli-prefer/cli-ban constraints that move and ban commands left, with
    /// lifetime and "expired but present"
    Constraints {
        /// Only this resource's
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
        resource: String,
        /// The node to move to
        #[arg(long, short = 'N', value_name = "NODE")]
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
        resource: String,
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
        resource: String,
        /// Only those naming this node
        #[arg(long, short = 'N', value_name = "NODE")]
        node: Option<String>,
        /// Only those whose lifetime has ended
        #[arg(long)]
        expired: bool,
        #[command(flatten)]
        mutate: MutateArgs,
    },
    /// Let the cluster start a resource (removes target-role=Stopped, like crm_resource -v started)
    Start {
        resource: String,
        #[command(flatten)]
        mutate: MutateArgs,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Stop a resource (meta target-role=Stopped)
    Stop {
        resource: String,
        #[command(flatten)]
        mutate: MutateArgs,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Let the cluster manage a resource again (removes is-managed=false)
    Manage {
        resource: String,
        #[command(flatten)]
        mutate: MutateArgs,
    },
    /// Stop the cluster from acting on a resource (meta is-managed=false)
    Unmanage {
        resource: String,
        #[command(flatten)]
        mutate: MutateArgs,
    },
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
    }
}
