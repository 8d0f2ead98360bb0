//! `pgcrm verify`: review the cluster configuration the way an expert would (the rules are
//! in `pgcrm::rules`, listed in docs/verify.md), print the findings, and exit with a code
//! that tells errors, warnings and a clean configuration apart.

use super::{print_out, CommandContext, CommandError, CommandResult, OutputFormat};
use pgcrm::error::exit;
use pgcrm::ops::status::ProbeOptions;
use pgcrm::ops::verify::{self, VerifyOptions};
use pgcrm::pg::target::{ConfigFile, PgEnv};
use pgcrm::rules::Severity;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where corosync keeps its configuration on every distribution Pacemaker supports.
const DEFAULT_COROSYNC_CONF: &str = "/etc/corosync/corosync.conf";

pub const AFTER_HELP: &str = "\
Each finding has a severity (error, warning, info), a stable rule id (PG001...; every rule is
explained in docs/verify.md), the object it concerns, what is wrong and how to fix it.

Exit codes:
  0    no error (warnings are printed but do not fail, unless --strict)
  1    --strict and at least one warning, no error
  78   at least one error (CRM_EX_CONFIG, as crm_verify for an invalid configuration)
  65   a corosync.conf is malformed, or the CIB is not XML
  64, 66, 77, 102, 124 as for every pgcrm command (usage, no such file, permission,
       not connected, timed out)";

#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP, after_long_help = AFTER_HELP)]
pub struct Args {
    /// Exit 1 when warnings are found (errors always exit 78)
    #[arg(long)]
    pub strict: bool,
    /// This cluster's corosync.conf; repeat to add other clusters' files, which are compared
    /// for a shared multicast address. Default: /etc/corosync/corosync.conf when it is
    /// readable and the CIB is the live cluster's (a saved CIB may come from elsewhere)
    #[arg(long = "corosync-conf", alias = "corosync", value_name = "FILE")]
    pub corosync_conf: Vec<PathBuf>,
    #[command(flatten)]
    pub agents: AgentArgs,
    /// Also check each node's PostgreSQL (PG701-PG710): wal_level, hot_standby,
    /// max_wal_senders, where synchronous_standby_names comes from, archiving, slots, and the
    /// agent's PGSQL.lock on this node. Servers are reached as `pgcrm status` reaches them
    #[arg(long)]
    pub live: bool,
    /// With --live: how long each node's PostgreSQL (connect and query) may take
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = super::status::parse_duration, requires = "live")]
    pub pg_timeout: Duration,
    /// With --live: config file with per-node conninfo ([nodes.NODE] conninfo = "...");
    /// read when it exists
    #[arg(long, value_name = "PATH", default_value = pgcrm::pg::target::DEFAULT_CONFIG)]
    pub config: PathBuf,
}

// Where the rules learn what the resource agents accept (`verify`, `config load`). A plain
// comment: clap would take a doc comment as the help of every command that flattens this.
#[derive(Debug, clap::Args)]
pub struct AgentArgs {
    /// Do not run the installed agents' meta-data; use pgcrm's built-in knowledge of
    /// ocf:heartbeat:pgsql, ocf:pgcrm:pgsql, pgsqlms, IPaddr2 and ping only
    #[arg(long)]
    pub no_agents: bool,
    /// Where the OCF agents are installed
    #[arg(
        long,
        env = "OCF_ROOT",
        value_name = "DIR",
        default_value = "/usr/lib/ocf"
    )]
    pub ocf_root: PathBuf,
}

/// The inputs of the rules besides the CIB: the agents under `ocf_root` (unless
/// `no_agents`), and the corosync.conf files given, else this node's when the CIB is live.
pub fn options(
    ctx: &CommandContext,
    corosync_conf: &[PathBuf],
    agents: &AgentArgs,
) -> VerifyOptions {
    let live =
        ctx.global.cib_file.is_none() && ctx.cib_file_env.as_deref().is_none_or(str::is_empty);
    let mut corosync = corosync_conf.to_vec();
    if corosync.is_empty() && live && readable(Path::new(DEFAULT_COROSYNC_CONF)) {
        corosync.push(DEFAULT_COROSYNC_CONF.into());
    }
    VerifyOptions {
        ocf_root: (!agents.no_agents).then(|| agents.ocf_root.clone()),
        corosync,
        live: None,
    }
}

pub fn run(ctx: &CommandContext, args: &Args) -> CommandResult {
    let cluster = ctx.cluster();
    let live_opts = if args.live {
        let explicit = args.config.as_path() != Path::new(pgcrm::pg::target::DEFAULT_CONFIG);
        Some(ProbeOptions {
            enabled: true,
            timeout: args.pg_timeout,
            config: ConfigFile::load(Some(args.config.as_path()).filter(|_| explicit))?,
            env: PgEnv::from_lookup(|k| std::env::var(k).ok()),
            local_node: super::status::local_node(),
            ..ProbeOptions::default()
        })
    } else {
        None
    };
    let opts = VerifyOptions {
        live: live_opts,
        ..options(ctx, &args.corosync_conf, &args.agents)
    };
    let report = verify::verify(cluster.as_ref(), &opts)?;
    match ctx.global.output {
        OutputFormat::Json => {
            let mut text = serde_json::to_string_pretty(&report).expect("report serialises");
            text.push('\n');
            print_out(&text)?;
        }
        OutputFormat::Text => print_out(&crate::render::verify::render(&report))?,
    }
    match report.worst() {
        Some(Severity::Error) => Err(CommandError::Exit(exit::CONFIG)),
        Some(Severity::Warning) if args.strict => Err(CommandError::Exit(exit::ERROR)),
        _ => Ok(()),
    }
}

fn readable(path: &Path) -> bool {
    std::fs::File::open(path).is_ok()
}
