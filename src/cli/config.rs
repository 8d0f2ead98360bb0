//! `pgcrm config`: the cluster configuration in crm shell syntax (`crm configure` natively):
//! show it, check a crm file, plan its load, and generate the runbook's configuration.

use super::mutate::{self, MutateArgs};
use super::{print_out, CommandContext, CommandError, CommandResult, OutputFormat};
use pgcrm::crmsh::Mode;
use pgcrm::error::exit;
use pgcrm::ops::config;
use pgcrm::ops::config_init::{Agent, InitNode, InitSpec};
use pgcrm::rules::Severity;
use std::io::IsTerminal;
use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Debug, clap::Subcommand)]
// arguments are built only for the subcommand given (see `Command` in cli/mod.rs)
#[command(defer = true)]
pub enum ConfigCommand {
    /// Print the configuration as `crm configure show` does (roles as Promoted/Unpromoted)
    Show(ShowArgs),
    /// Parse a crm file and translate it to CIB XML on its own; print what it defines
    Check(CheckArgs),
    /// Load a crm file into the configuration, as one CIB change
    ///
    /// Like `crm configure load update FILE` (or `replace` with --replace). Objects with an
    /// id already in the CIB are replaced in place and keep their sub-ids; new objects are
    /// added; properties and defaults are merged name by name. With --replace the
    /// configuration becomes exactly the file. pgcrm verify's rules run on the resulting CIB
    /// first: errors refuse the load (unless --force), warnings are printed. Then the change
    /// is shown as a diff of the configuration XML and confirmed (a prompt on a terminal,
    /// --yes otherwise), and applied at once, only if the CIB did not change meanwhile.
    /// Exit 78 when the result has errors, 64 without --yes and no terminal, 75 when the CIB
    /// changed while the load was prepared; nothing is changed then.
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
    /// The crm file ('-' for standard input; then confirm with --yes)
    pub file: PathBuf,
    /// Make the configuration exactly the file (crm configure load replace)
    #[arg(long)]
    pub replace: bool,
    /// Load even when the resulting configuration has errors (each one is named)
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub mutate: MutateArgs,
    #[command(flatten)]
    pub agents: super::verify::AgentArgs,
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
    /// Another parameter of the PostgreSQL resource, e.g. tmpdir=/var/lib/pgsql/tmp or
    /// start_opt="-p 5433" (repeat for more)
    #[arg(long = "pgsql-param", value_name = "NAME=VALUE")]
    pub pgsql_params: Vec<String>,
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
        ConfigCommand::Load(a) => load(ctx, a),
        ConfigCommand::Init(a) => init(a),
    }
}

fn load(ctx: &CommandContext, a: &LoadArgs) -> CommandResult {
    let (text, origin) = read_input(&a.file)?;
    let cluster = ctx.cluster();
    let mode = if a.replace {
        Mode::Replace
    } else {
        Mode::Update
    };
    let checks = super::verify::options(ctx, &[], &a.agents);
    let mut plan = config::plan_load(cluster.as_ref(), &text, &origin, mode, &checks)?;
    let json = ctx.global.output == OutputFormat::Json;
    // Every error of the result refuses; warnings are printed when the load brings them,
    // and only counted when the configuration has them already.
    let (mut errors, mut old_warnings) = (Vec::new(), 0);
    for f in &plan.verify.findings {
        let line = format!("{} {}: {}", f.rule, f.object, f.message);
        let known = plan
            .known
            .iter()
            .any(|(r, o)| *r == f.rule && *o == f.object);
        match f.severity {
            Severity::Error => errors.push(line),
            Severity::Warning if known => old_warnings += 1,
            Severity::Warning => eprintln!("pgcrm: warning: {line}"),
            Severity::Info => {}
        }
    }
    if old_warnings > 0 && plan.changes() {
        eprintln!(
            "pgcrm: {old_warnings} warning{} of the current configuration remain{} (`pgcrm verify` lists them)",
            if old_warnings == 1 { "" } else { "s" },
            if old_warnings == 1 { "s" } else { "" }
        );
    }
    if !errors.is_empty() {
        if !a.force {
            for e in &errors {
                eprintln!("pgcrm: error: {e}");
            }
            eprintln!(
                "pgcrm: config load: {origin} would leave {} with {} error{} (above; `pgcrm verify` explains the fixes); correct the file, or pass --force to load anyway. Nothing was changed",
                cluster.origin(),
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            return Err(CommandError::Exit(exit::CONFIG));
        }
        plan.plan.notes.push(format!(
            "--force: loading despite {} error{}: {}",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            errors.join("; ")
        ));
    }
    if !plan.changes() {
        if json {
            return print_json(&plan, false);
        }
        return print_out(&format!(
            "{origin}: no change ({} objects already as written)\n",
            plan.objects
        ));
    }
    if a.mutate.dry_run {
        for note in &plan.plan.notes {
            eprintln!("pgcrm: {note}");
        }
        if json {
            return print_json(&plan, false);
        }
        let mut out = String::new();
        for action in &plan.actions {
            out.push_str(&format!("Dry run: {action}\n"));
        }
        out.push_str(&plan.diff);
        out.push_str(&format!(
            "dry run: {} objects from {origin}, nothing changed\n",
            plan.objects
        ));
        return print_out(&out);
    }
    if !json {
        print_out(&plan.diff)?;
    }
    plan.plan.risk = Some(format!(
        "Loading {origin} ({}) changes {} configuration object{} of {}",
        if a.replace { "replace" } else { "update" },
        plan.actions.len(),
        if plan.actions.len() == 1 { "" } else { "s" },
        cluster.origin()
    ));
    // `commit` prints the actions once applied; JSON prints the plan instead.
    let actions = std::mem::take(&mut plan.plan.actions);
    mutate::commit(cluster.as_ref(), &plan.plan, &a.mutate)?;
    let after = cluster.query_cib()?;
    if json {
        return print_json(&plan, true);
    }
    let mut out = String::new();
    for action in &actions {
        out.push_str(&format!("{action}\n"));
    }
    out.push_str(&format!(
        "Loaded {origin}: {} objects, epoch {} -> {}\n",
        plan.objects, plan.plan.base.epoch, after.epoch
    ));
    print_out(&out)
}

fn print_json(plan: &config::LoadPlan, applied: bool) -> CommandResult {
    let mut v = serde_json::to_value(plan).expect("serialises");
    v["applied"] = serde_json::Value::Bool(applied);
    let mut t = serde_json::to_string_pretty(&v).expect("serialises");
    t.push('\n');
    print_out(&t)
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
    let params = a
        .pgsql_params
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .ok_or_else(|| {
                    usage(format!(
                        "--pgsql-param '{p}': write NAME=VALUE, e.g. tmpdir=/var/lib/pgsql/tmp"
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
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
        params,
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
