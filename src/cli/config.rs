//! `pgcrm config`: the cluster configuration in crm shell syntax (`crm configure` natively):
//! show it, check a crm file, plan its load, and generate the runbook's configuration.

use super::{print_out, CommandContext, CommandError, CommandResult, OutputFormat};
use pgcrm::crmsh::Mode;
use pgcrm::error::exit;
use pgcrm::ops::config;
use pgcrm::ops::config_init::{Agent, InitNode, InitSpec};
use std::io::IsTerminal;
use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Print the configuration as `crm configure show` does (roles as Promoted/Unpromoted)
    Show(ShowArgs),
    /// Parse a crm file and translate it to CIB XML on its own; print what it defines
    Check(CheckArgs),
    /// Show what loading a crm file would change in the CIB, as a diff of the XML
    ///
    /// Like `crm configure load update FILE` (or `replace` with --replace). Objects with an
    /// id already in the CIB are replaced and keep their sub-ids; properties and defaults
    /// are merged name by name. Applying the change needs the CIB write path (issue 5):
    /// until then only --dry-run is accepted and nothing is ever changed.
    Load(LoadArgs),
    /// Generate the runbook's whole configuration (pgsql.crm) for your nodes and addresses
    ///
    /// On a terminal, asks for what the flags do not give; in scripts give every flag.
    Init(Box<InitArgs>),
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Only these objects (resource, constraint, node, property-set ids)
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Print the CIB XML instead of crm syntax
    #[arg(long)]
    pub xml: bool,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The crm file ('-' for standard input)
    pub file: PathBuf,
    /// Also print the XML it translates to
    #[arg(long)]
    pub xml: bool,
}

#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// The crm file ('-' for standard input)
    pub file: PathBuf,
    /// Make the configuration exactly the file (crm configure load replace)
    #[arg(long)]
    pub replace: bool,
    /// Only show the change; required until the CIB write path exists
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// A node and its corosync ring address, e.g. node1=192.168.1.1 (repeat per node)
    #[arg(long = "node", value_name = "NAME=ADDRESS")]
    pub nodes: Vec<String>,
    /// The writable VIP on the primary (vip-master)
    #[arg(long, value_name = "IP")]
    pub write_vip: Option<IpAddr>,
    /// The read-only VIP on the synchronous standby (vip-slave)
    #[arg(long, value_name = "IP")]
    pub read_vip: Option<IpAddr>,
    /// The replication VIP standbys connect to (vip-rep, the agent's master_ip)
    #[arg(long, value_name = "IP")]
    pub rep_vip: Option<IpAddr>,
    /// Interface of the write and read VIPs
    #[arg(long, default_value = "eth0")]
    pub nic: String,
    /// Interface of the replication VIP (default: --nic)
    #[arg(long)]
    pub rep_nic: Option<String>,
    /// Prefix length of the VIPs
    #[arg(long, default_value_t = 24)]
    pub netmask: u8,
    /// Address the ping resource checks (usually the gateway)
    #[arg(long, value_name = "IP")]
    pub ping: Option<IpAddr>,
    /// PostgreSQL data directory
    #[arg(long, default_value = "/var/lib/postgresql/15/main")]
    pub pgdata: String,
    /// Directory holding pg_ctl and psql
    #[arg(long, default_value = "/usr/lib/postgresql/15/bin")]
    pub bindir: String,
    /// Replication mode
    #[arg(long, default_value = "sync", value_parser = ["sync", "async"])]
    pub rep_mode: String,
    /// WAL archive directory for restore_command (none by default)
    #[arg(long, value_name = "DIR")]
    pub archive: Option<String>,
    /// Resource agent for PostgreSQL: the runbook's ocf:heartbeat:pgsql, or pgcrm's ocf:pgcrm:pgsql
    #[arg(long, default_value = "heartbeat", value_parser = ["heartbeat", "pgcrm"])]
    pub agent: String,
    /// Cluster name
    #[arg(long, default_value = "pgcluster")]
    pub cluster_name: String,
    /// Also print a matching corosync.conf (after the crm text, separated by a comment line)
    #[arg(long)]
    pub corosync: bool,
    /// Never ask, even on a terminal
    #[arg(long)]
    pub no_input: bool,
}

pub fn run(ctx: &CommandContext, args: &Args) -> CommandResult {
    match &args.command {
        ConfigCommand::Show(a) => {
            let cluster = ctx.cluster();
            print_out(&config::show(cluster.as_ref(), &a.ids, a.xml)?)
        }
        ConfigCommand::Check(a) => {
            let (text, origin) = read_input(&a.file)?;
            let report = config::check(&text, &origin)?;
            if ctx.global.output == OutputFormat::Json {
                let mut t = serde_json::to_string_pretty(&report).expect("serialises");
                t.push('\n');
                return print_out(&t);
            }
            let mut out = format!("{origin}: OK, {} objects:", report.objects.len());
            for (kind, id) in &report.objects {
                out.push_str(&format!(" {kind}:{id}"));
            }
            out.push('\n');
            if a.xml {
                out.push_str(&report.xml);
            }
            print_out(&out)
        }
        ConfigCommand::Load(a) => {
            if !a.dry_run {
                eprintln!("pgcrm: config load can only plan the change for now (the CIB write path is not there yet): add --dry-run, and apply with crm configure load {} {}", if a.replace { "replace" } else { "update" }, a.file.display());
                return Err(CommandError::Exit(exit::USAGE));
            }
            let (text, origin) = read_input(&a.file)?;
            let cluster = ctx.cluster();
            let mode = if a.replace {
                Mode::Replace
            } else {
                Mode::Update
            };
            let plan = config::plan_load(cluster.as_ref(), &text, &origin, mode)?;
            if ctx.global.output == OutputFormat::Json {
                let mut t = serde_json::to_string_pretty(&plan).expect("serialises");
                t.push('\n');
                return print_out(&t);
            }
            if plan.changes() {
                print_out(&format!(
                    "{}dry run: {} objects from {origin}, nothing changed\n",
                    plan.diff, plan.objects
                ))
            } else {
                print_out(&format!(
                    "{origin}: no change ({} objects already as written)\n",
                    plan.objects
                ))
            }
        }
        ConfigCommand::Init(a) => init(a),
    }
}

fn read_input(path: &std::path::Path) -> Result<(String, String), CommandError> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map_err(|e| {
            eprintln!("pgcrm: cannot read standard input: {e}");
            CommandError::Exit(exit::IOERR)
        })?;
        return Ok((s, "<stdin>".into()));
    }
    match std::fs::read_to_string(path) {
        Ok(s) => Ok((s, path.display().to_string())),
        Err(e) => {
            let code = match e.kind() {
                std::io::ErrorKind::NotFound => exit::NOINPUT,
                std::io::ErrorKind::PermissionDenied => exit::NOPERM,
                _ => exit::IOERR,
            };
            eprintln!(
                "pgcrm: {}: cannot read: {e} (check the path)",
                path.display()
            );
            Err(CommandError::Exit(code))
        }
    }
}

fn usage(msg: String) -> CommandError {
    eprintln!("pgcrm: config init: {msg}");
    CommandError::Exit(exit::USAGE)
}

fn init(a: &InitArgs) -> CommandResult {
    let interactive =
        !a.no_input && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let mut nodes = Vec::new();
    for n in &a.nodes {
        let (name, addr) = n.split_once('=').ok_or_else(|| {
            usage(format!(
                "--node '{n}': write NAME=ADDRESS, e.g. node1=192.168.1.1"
            ))
        })?;
        let addr = addr
            .parse()
            .map_err(|_| usage(format!("--node '{n}': '{addr}' is not an IP address")))?;
        nodes.push(InitNode {
            name: name.into(),
            addr,
        });
    }
    if nodes.is_empty() && interactive {
        loop {
            let prompt = format!("Node {} name (empty when done)", nodes.len() + 1);
            let name: String = ask_text(&prompt, nodes.len() >= 2)?;
            if name.is_empty() {
                break;
            }
            let addr: IpAddr = ask(&format!("{name}'s corosync/replication address"))?;
            nodes.push(InitNode { name, addr });
        }
    }
    let get = |v: Option<IpAddr>, flag: &str, prompt: &str| -> Result<IpAddr, CommandError> {
        match v {
            Some(v) => Ok(v),
            None if interactive => ask(prompt),
            None => Err(usage(format!(
                "give {flag} (or run on a terminal to be asked)"
            ))),
        }
    };
    let write_vip = get(a.write_vip, "--write-vip", "Write VIP (on the primary)")?;
    let read_vip = get(a.read_vip, "--read-vip", "Read VIP (on the sync standby)")?;
    let rep_vip = get(
        a.rep_vip,
        "--rep-vip",
        "Replication VIP (standbys connect to it)",
    )?;
    let ping = get(a.ping, "--ping", "Address to ping (the gateway)")?;
    let spec = InitSpec {
        cluster_name: a.cluster_name.clone(),
        nodes,
        write_vip,
        read_vip,
        rep_vip,
        nic: a.nic.clone(),
        rep_nic: a.rep_nic.clone().unwrap_or_else(|| a.nic.clone()),
        netmask: a.netmask,
        ping,
        pgdata: a.pgdata.clone(),
        bindir: a.bindir.clone(),
        rep_mode: a.rep_mode.clone(),
        archive: a.archive.clone(),
        agent: if a.agent == "pgcrm" {
            Agent::Pgcrm
        } else {
            Agent::Heartbeat
        },
    };
    spec.validate().map_err(usage)?;
    let mut out = spec.crm();
    if a.corosync {
        out.push_str("\n# ---- corosync.conf ----\n");
        out.push_str(&spec.corosync());
    }
    print_out(&out)
}

fn ask<T>(prompt: &str) -> Result<T, CommandError>
where
    T: Clone + std::str::FromStr + std::fmt::Display,
    T::Err: std::fmt::Display,
{
    dialoguer::Input::<T>::new()
        .with_prompt(prompt)
        .interact_text()
        .map_err(|e| usage(format!("cannot ask: {e}")))
}

fn ask_text(prompt: &str, allow_empty: bool) -> Result<String, CommandError> {
    dialoguer::Input::<String>::new()
        .with_prompt(prompt)
        .allow_empty(allow_empty)
        .interact_text()
        .map_err(|e| usage(format!("cannot ask: {e}")))
}
