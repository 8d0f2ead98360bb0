//! `pgcrm rebuild-standby NODE`: the runbook's "rebuild the old primary" in one resumable
//! command. Shows the plan, asks (or takes `--yes`), runs the steps with a progress bar for
//! the copy (plain lines when stderr is not a terminal), and prints the timings.

use super::{print_out, CommandContext, CommandError, CommandResult};
use pgcrm::ops::rebuild::{
    self, LocalLine, Method, Observer, PgAccess, RebuildPlan, Remote, Request, Step,
};
use pgcrm::ops::wait::Action;
use pgcrm::pg::target::{ConfigFile, PgEnv};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MethodArg {
    /// pg_rewind when the data directory allows it (wal_log_hints or data checksums), else
    /// pg_basebackup
    Auto,
    /// pg_rewind from the primary, in place (the old data is not kept)
    Rewind,
    /// pg_basebackup from the replication VIP into a new directory (the old one kept renamed)
    Basebackup,
}

/// Bring a failed old primary (or a broken standby) back as a streaming standby.
///
/// Runs on NODE itself, or from another node of the cluster with --ssh (the steps that touch
/// NODE's files then run there through a remote shell, --rsh). Refuses when NODE runs the
/// primary, when no other node does and when an operator's cli-ban keeps the resource off
/// NODE. Keeps the
/// resource off NODE with a cli-ban (the node's cluster stack keeps running), copies the data
/// from the primary, writes the standby settings the agent expects, removes its PGSQL.lock,
/// resets NODE's <rsc>-data-status and fail counts, lifts the ban and waits until NODE
/// streams (HS:sync or HS:async). Every step checks whether it is done already: after an
/// interruption or a failure, run the same command again to finish.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The node to rebuild (the node pgcrm runs on, or any node with --ssh)
    #[arg(add = super::candidates::nodes())]
    pub node: String,
    /// Run from another node: the data steps run on NODE through the remote shell (--rsh),
    /// as `pgcrm rebuild-standby NODE --local-step` with this binary's path
    #[arg(long)]
    pub ssh: bool,
    /// The remote shell for --ssh, like rsync's -e: called as `COMMAND NODE PGCRM ...`
    #[arg(long, value_name = "COMMAND", default_value = DEFAULT_RSH)]
    pub rsh: String,
    /// Internal: run one data step of a --ssh run here (a JSON job on stdin, JSON lines out)
    #[arg(long, hide = true)]
    pub local_step: bool,
    /// How to copy the data
    #[arg(long, value_enum, default_value_t = MethodArg::Auto)]
    pub method: MethodArg,
    /// Limit pg_basebackup's transfer rate (kB/s, or with k or M: 50M)
    #[arg(long, value_name = "RATE")]
    pub max_rate: Option<String>,
    /// Delete the old data directory at the end instead of keeping it renamed
    #[arg(long)]
    pub discard_old: bool,
    /// Print the plan and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Run without asking (needed when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// How long to wait for NODE to stream at the end (e.g. 90s, 5m)
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub wait: Duration,
    /// Return once NODE is handed back to Pacemaker, without waiting for it to stream
    #[arg(long)]
    pub no_wait: bool,
    /// How long connecting to the primary's PostgreSQL may take for the plan
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub pg_timeout: Duration,
    /// Config file with per-node conninfo (as for pgcrm status)
    #[arg(long, value_name = "PATH", default_value = pgcrm::pg::target::DEFAULT_CONFIG)]
    pub config: PathBuf,
}

const DEFAULT_RSH: &str = "ssh -o BatchMode=yes";

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("'{s}' is not a positive duration (90s, 5m)"))
}

fn mib(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / 1024.0 / 1024.0)
}

fn render_plan(p: &RebuildPlan) -> String {
    let mut t = format!(
        "Rebuild {node} as a standby of {src} ({rsc})\n  source:   {src}, copied through {addr}\n  data:     {pgdata}{size}\n  method:   {method} ({why})\n",
        node = p.node,
        src = p.source_node,
        rsc = p.clone,
        addr = p.source_address,
        pgdata = p.pgdata,
        size = p
            .pgdata_bytes
            .map(|b| format!(" ({} now)", mib(b)))
            .unwrap_or_default(),
        method = p.method.as_str(),
        why = p.method_reason,
    );
    if let Some(e) = p.estimate {
        let data = p
            .source_bytes
            .map(|b| format!("{} of data", mib(b)))
            .unwrap_or_else(|| "data of unknown size".into());
        let wal = p
            .wal_bytes
            .map(|b| format!("{} of WAL", mib(b)))
            .unwrap_or_else(|| "WAL not listed (pg_ls_waldir() needs pg_monitor)".into());
        t.push_str(&format!(
            "  copy:     {data} + {wal} from the primary, about {:.0}s at {}/s\n",
            e.as_secs_f64().ceil(),
            mib(p.assumed_rate)
        ));
    }
    t.push_str("Steps:\n");
    for (i, s) in p.steps.iter().enumerate() {
        t.push_str(&format!(
            "  {:>2}. {:<15} {}{}\n",
            i + 1,
            s.kind.name(),
            s.what,
            if s.done { "  [done]" } else { "" }
        ));
    }
    t
}

/// Step lines on stdout; the copy's progress on stderr (a bar on a terminal, else a line
/// every 10%).
struct Printer {
    bar: Option<indicatif::ProgressBar>,
    tty: bool,
    last_tenth: u64,
    n: usize,
    total: usize,
}

impl Observer for Printer {
    fn step_started(&mut self, step: &Step) {
        self.n += 1;
        let _ = print_out(&format!(
            "[{}/{}] {}: {}\n",
            self.n,
            self.total,
            step.kind.name(),
            step.what
        ));
    }

    fn step_finished(&mut self, _step: &Step, skipped: bool, took: Duration) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let _ = print_out(&if skipped {
            "      already done\n".to_string()
        } else {
            format!("      done in {:.1}s\n", took.as_secs_f64())
        });
    }

    fn copy_progress(&mut self, done: u64, total: Option<u64>) {
        if self.tty {
            let bar = self.bar.get_or_insert_with(|| {
                let b = indicatif::ProgressBar::new(total.unwrap_or(0));
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "      {bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}",
                    )
                    .expect("valid template"),
                );
                b
            });
            if let Some(t) = total {
                bar.set_length(t.max(done));
            }
            bar.set_position(done);
        } else if let Some(t) = total.filter(|t| *t > 0) {
            let tenth = done * 10 / t;
            if tenth > self.last_tenth || done == t && self.last_tenth < 10 {
                self.last_tenth = tenth;
                eprintln!(
                    "      copied {} of {} ({}%)",
                    mib(done),
                    mib(t),
                    done * 100 / t
                );
            }
        }
    }

    fn action(&mut self, a: &Action) {
        let _ = print_out(&format!("      {a}\n"));
    }
}

/// The far side of --ssh: one call on this node, its progress and result as JSON lines.
fn local_step(args: &Args) -> CommandResult {
    use std::io::{Read, Write};
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| pgcrm::Error::Usage(format!("--local-step: cannot read the job: {e}")))?;
    let line = |l: &LocalLine| {
        let text = serde_json::to_string(l).expect("serializable") + "\n";
        let mut out = std::io::stdout().lock();
        if out
            .write_all(text.as_bytes())
            .and_then(|_| out.flush())
            .is_err()
        {
            // the remote shell is gone (the run was interrupted): stop, and with us the
            // copy (its parent-death signal), as a local run does
            std::process::exit(pgcrm::error::exit::ERROR);
        }
    };
    let result = rebuild::local_call(&input, &args.node, &mut |done, total| {
        line(&LocalLine::Progress { done, total })
    })?;
    line(&result);
    Ok(())
}

fn remote(args: &Args) -> Result<Option<Remote>, pgcrm::Error> {
    if !args.ssh {
        return Ok(None);
    }
    let pgcrm = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "pgcrm".into());
    Remote::new(&args.rsh, args.rsh == DEFAULT_RSH, pgcrm, &args.node).map(Some)
}

pub fn run(ctx: &CommandContext, args: &Args) -> CommandResult {
    if args.local_step {
        return local_step(args);
    }
    let explicit_config =
        args.config.as_path() != std::path::Path::new(pgcrm::pg::target::DEFAULT_CONFIG);
    let config = ConfigFile::load(
        Some(&args.config)
            .filter(|_| explicit_config)
            .map(|p| p.as_path()),
    )?;
    let req = Request {
        node: args.node.clone(),
        method: match args.method {
            MethodArg::Auto => Method::Auto,
            MethodArg::Rewind => Method::Rewind,
            MethodArg::Basebackup => Method::Basebackup,
        },
        max_rate: args.max_rate.clone(),
        discard_old: args.discard_old,
        local_node: std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string()),
        remote: remote(args)?,
        pg: PgAccess {
            env: PgEnv::from_lookup(|k| std::env::var(k).ok()),
            config,
            corosync_conf: pgcrm::pg::target::COROSYNC_CONF.into(),
            timeout: args.pg_timeout,
        },
    };
    let cluster = ctx.cluster();
    let plan = rebuild::plan(cluster.as_ref(), &req)?;
    if plan.nothing_to_do {
        return print_out(&format!(
            "{} already streams from {} ({}-status HS:*): nothing to do\n",
            plan.node, plan.source_node, plan.resource
        ));
    }
    print_out(&render_plan(&plan))?;
    if args.dry_run {
        return print_out("Dry run: nothing was changed\n");
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
            return Err(pgcrm::Error::Usage(format!(
                "rebuilding {} replaces its data; pass --yes to confirm (stdin is not a terminal), nothing was changed",
                plan.node
            ))
            .into());
        }
        let ok = dialoguer::Confirm::new()
            .with_prompt(format!("Rebuild {} now?", plan.node))
            .default(false)
            .interact()
            .unwrap_or(false);
        if !ok {
            eprintln!("pgcrm: cancelled, nothing was changed");
            return Err(CommandError::Exit(pgcrm::error::exit::ERROR));
        }
    }
    let mut printer = Printer {
        bar: None,
        tty: std::io::stderr().is_terminal(),
        last_tenth: 0,
        n: 0,
        total: plan.steps.len(),
    };
    let wait = (!args.no_wait).then_some(args.wait);
    let out = rebuild::run(cluster.as_ref(), &plan, wait, &mut printer)?;
    let mut t = String::from("Timings:");
    for s in out.timings.iter().filter(|s| !s.skipped) {
        t.push_str(&format!(" {} {:.1}s,", s.step, s.seconds));
    }
    t.pop();
    t.push('\n');
    t.push_str(&format!(
        "{} is {} after {:.1}s",
        plan.node,
        out.pgsql_status
            .as_deref()
            .unwrap_or("handed back to Pacemaker (not waited for)"),
        out.total_seconds
    ));
    match &out.old_pgdata {
        Some(o) => t.push_str(&format!("; the old data directory is kept in {o}\n")),
        None => t.push('\n'),
    }
    print_out(&t)
}
