//! `pgcrm attribute get NAME [--node NODE] [--lifetime reboot|forever]`: one attribute's
//! value, like `crm_attribute -G -q`, for scripts that need one value fast.

use super::{print_out, CommandContext, CommandResult, OutputFormat};
use pgcrm::ops::attribute::{self, AttrQuery, Lifetime};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
// arguments are built only for the subcommand given (see `Command` in cli/mod.rs)
#[command(defer = true)]
pub enum Action {
    /// Print one attribute's value (like crm_attribute -G -q); exit 105 when it is not set
    ///
    /// Without --node: a cluster property (crm_config), e.g. stonith-enabled.
    /// With --node: a node attribute; --lifetime reboot reads the transient attributes the
    /// agents set (pgsql-status, pgsql-data-status, master-pgsql), forever (the default, as
    /// for crm_attribute) the permanent ones.
    Get(GetArgs),
}

#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// The attribute's name, e.g. pgsql-status
    pub name: String,
    /// The node whose attribute to read (default: read a cluster property)
    #[arg(short = 'N', long, value_name = "NODE", add = super::candidates::nodes())]
    pub node: Option<String>,
    /// reboot: transient (status section); forever: permanent (nodes section). Needs --node
    #[arg(short = 'l', long, value_enum, requires = "node")]
    pub lifetime: Option<LifetimeArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LifetimeArg {
    /// Until the node leaves the cluster (status section; what attrd_updater sets)
    Reboot,
    /// Permanent (configuration's nodes section)
    Forever,
}

pub fn run(ctx: &CommandContext, args: &Args) -> CommandResult {
    match &args.action {
        Action::Get(get) => run_get(ctx, get),
    }
}

fn run_get(ctx: &CommandContext, args: &GetArgs) -> CommandResult {
    let query = match &args.node {
        None => AttrQuery::Property {
            name: args.name.clone(),
        },
        Some(node) => AttrQuery::Node {
            name: args.name.clone(),
            node: node.clone(),
            lifetime: match args.lifetime {
                Some(LifetimeArg::Reboot) => Lifetime::Reboot,
                Some(LifetimeArg::Forever) | None => Lifetime::Forever,
            },
        },
    };
    let value = attribute::get(ctx.cluster().as_ref(), &query)?;
    match ctx.global.output {
        OutputFormat::Text => print_out(&format!("{}\n", value.value)),
        OutputFormat::Json => {
            let mut text = serde_json::to_string_pretty(&value).expect("value serialises");
            text.push('\n');
            print_out(&text)
        }
    }
}
