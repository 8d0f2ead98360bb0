//! The command line: the clap definitions (their doc comments are the help text and the man
//! pages), the shared command context, and the mapping of errors to exit codes.
//! One file per subcommand, each with its `Args` and `run`.

pub mod agent;
pub mod assets;
pub mod attribute;
pub mod candidates;
pub mod completions;
pub mod config;
pub mod failcount;
pub mod mutate;
pub mod node;
pub mod rebuild_standby;
pub mod resource;
pub mod status;
pub mod verify;

use clap::{Parser, Subcommand, ValueEnum};
use pgcrm::cluster::{self, Cluster};
use pgcrm::error::exit;
use std::path::PathBuf;

const EXIT_CODES: &str = "\
Exit codes (Pacemaker's, see crm_error -l -X):
  0    OK
  1    generic error, or a confirmation was declined; a rebuild-standby step failed (run it again)
  3    needs the live cluster (e.g. --wait on a CIB file)
  4    permission denied by the cluster's daemons: run as root or a member of haclient (INSUFFICIENT_PRIV)
  64   usage error (bad option or argument; a risky change without --yes and no terminal)
  65   the CIB file is not XML; a crm file with a syntax error (DATAERR)
  66   the CIB file does not exist (NOINPUT)
  73   cannot write the CIB file (CANTCREAT)
  75   the CIB changed while the change was prepared: nothing changed, run again (TEMPFAIL)
  77   permission denied reading the CIB (NOPERM)
  78   the XML is not a usable CIB: wrong root element, no configuration, a dangling reference (CONFIG);
       a crm file naming a resource that does not exist
  102  not connected to a cluster (DISCONNECT)
  105  no such resource, node or attribute (NOSUCH)
  107  refused by a safety check (deleting an active resource or an online node, rebuild-standby on the
       primary...); --force overrides where offered (UNSAFE)
  108  a cli-* constraint exists already (EXISTS)
  113  --wait: the cluster settled, but not as requested (UNSATISFIED)
  124  timed out: a daemon did not answer within --timeout, or --wait ran out (TIMEOUT)
verify exits 78 when it finds errors, and 1 with --strict when it finds warnings.
status --check uses the monitoring codes 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN instead.";

/// PostgreSQL streaming replication under Pacemaker + Corosync.
///
/// pgcrm reads the cluster the way crm_mon does and adds what PostgreSQL operators need.
/// The CIB comes from --cib-file, else from Pacemaker's CIB_file environment variable, else
/// from the live cluster on this node (natively over Pacemaker's IPC).
#[derive(Debug, Parser)]
#[command(name = "pgcrm", version, after_long_help = EXIT_CODES, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)
    #[arg(long, global = true, value_name = "PATH")]
    pub cib_file: Option<PathBuf>,
    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// How long to wait for the cluster's daemons, in seconds, before giving up with exit 124
    #[arg(long, global = true, value_name = "SECS", default_value_t = cluster::DEFAULT_TIMEOUT.as_secs_f64(), value_parser = parse_timeout)]
    pub timeout: f64,
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 86400.0 => Ok(v),
        _ => Err(format!(
            "'{s}' is not a number of seconds between 0 and 86400"
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// For people: crm_mon's layout plus tables
    Text,
    /// For scripts: a stable, versioned JSON object (see docs/json.md)
    Json,
}

/// Every command starts by parsing its arguments, and building clap's definition of the whole
/// command line took 0.4 ms, a sixth of a live `pgcrm status`: `defer` builds the arguments of
/// the subcommand given only (help, completions and man pages build them all).
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Show the cluster as `crm_mon -1 -Afr` does, plus the PostgreSQL view
    Status(status::Args),
    /// The configuration in crm shell syntax: show, check, load (plan), init
    Config(config::Args),
    /// Review the configuration as an expert would: fencing, timeouts, agents, replication
    Verify(verify::Args),
    /// Resources: list, locate, move, ban, clear, start, stop, manage, unmanage, cleanup,
    /// refresh, delete
    Resource(resource::Args),
    /// Fail counts per resource, node and operation: show, set, delete
    Failcount(failcount::Args),
    /// Nodes: list, standby, online, maintenance, delete
    Node(node::Args),
    /// Cluster-wide maintenance mode on or off (maintenance-mode property)
    Maintenance(node::MaintenanceArgs),
    /// Read one cluster property or node attribute (like crm_attribute -G)
    Attribute(attribute::Args),
    /// Bring a failed old primary (or a broken standby) back as a streaming standby
    RebuildStandby(rebuild_standby::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(completions::Args),
    /// The PostgreSQL OCF resource agent (ocf:pgcrm:pgsql), run by Pacemaker
    #[command(hide = true)]
    Agent(agent::Args),
    /// Regenerate completions/ and man/ from these definitions (for maintainers)
    #[command(hide = true)]
    GenerateAssets(assets::Args),
}

/// What every command gets: the global options and how to reach the cluster.
pub struct CommandContext {
    pub global: GlobalArgs,
    /// The value of Pacemaker's `CIB_file` variable, read once at start-up.
    pub cib_file_env: Option<String>,
}

impl CommandContext {
    pub fn cluster(&self) -> Box<dyn Cluster> {
        cluster::open(
            self.global.cib_file.as_deref(),
            self.cib_file_env.as_deref(),
            std::time::Duration::from_secs_f64(self.global.timeout),
        )
    }
}

/// Why a command failed: a library error, or a failure already reported with its own code.
#[derive(Debug)]
pub enum CommandError {
    Lib(pgcrm::Error),
    /// The command printed what went wrong; exit with this code.
    Exit(i32),
}

impl From<pgcrm::Error> for CommandError {
    fn from(e: pgcrm::Error) -> Self {
        CommandError::Lib(e)
    }
}

pub type CommandResult = Result<(), CommandError>;

pub fn main() -> i32 {
    if let Some(code) = agent::from_argv0() {
        return code;
    }
    // A TAB in the shell: print the candidates and stop (nothing else may reach stdout first)
    clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command)
        .var(completions::VAR)
        .complete();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() && std::env::args().any(|a| a == "--check") => {
            // a monitoring system reads only the line and 0-3: a bad option is UNKNOWN
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("bad arguments");
            println!(
                "{}",
                pgcrm::ops::check::unknown(first.trim_start_matches("error: ")).line
            );
            return pgcrm::ops::check::CheckState::Unknown.exit_code();
        }
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return code;
        }
    };
    let ctx = CommandContext {
        global: cli.global,
        cib_file_env: std::env::var("CIB_file").ok(),
    };
    let result = match cli.command {
        Command::Status(args) => status::run(&ctx, &args),
        Command::Config(args) => config::run(&ctx, &args),
        Command::Verify(args) => verify::run(&ctx, &args),
        Command::Resource(args) => resource::run(&ctx, &args),
        Command::Failcount(args) => failcount::run(&ctx, &args),
        Command::Node(args) => node::run(&ctx, &args),
        Command::Maintenance(args) => node::run_maintenance(&ctx, &args),
        Command::Attribute(args) => attribute::run(&ctx, &args),
        Command::RebuildStandby(args) => rebuild_standby::run(&ctx, &args),
        Command::Completions(args) => completions::run(&args),
        Command::GenerateAssets(args) => assets::run(&args),
        // OCF exit codes (0-9), not Pacemaker's CLI codes
        Command::Agent(args) => return agent::run(&args),
    };
    match result {
        Ok(()) => exit::OK,
        Err(CommandError::Exit(code)) => code,
        Err(CommandError::Lib(e)) => {
            eprintln!("pgcrm: {e}");
            e.exit_code()
        }
    }
}

/// Writes to stdout, treating a closed pipe (`pgcrm status | head`) as success.
pub fn print_out(text: &str) -> CommandResult {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            eprintln!("pgcrm: cannot write output: {e}");
            Err(CommandError::Exit(exit::ERROR))
        }
    }
}
