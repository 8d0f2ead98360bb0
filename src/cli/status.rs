//! `pgcrm status`: the cluster as `crm_mon -1 -Afr` shows it, plus the PostgreSQL table, what
//! each server itself reports, and the problems found; or the same report as JSON; or, with
//! `--check`, one monitoring-plugin line and exit code 0-3.

use super::{print_out, CommandContext, CommandError, CommandResult, OutputFormat};
use crate::render::crm_mon::{self, Sections};
use pgcrm::ops::check::{self, CheckResult};
use pgcrm::ops::problems::{Limit, Thresholds};
use pgcrm::ops::status::{self, ProbeOptions, StatusOptions, StatusReport};
use pgcrm::pg::target::{ConfigFile, PgEnv};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show node attributes (pgsql-status, master-pgsql...), like crm_mon -A
    #[arg(short = 'A', long)]
    pub show_node_attributes: bool,
    /// Show the migration summary with fail counts, like crm_mon -f
    #[arg(short = 'f', long)]
    pub failcounts: bool,
    /// Show inactive resources too, like crm_mon -r
    #[arg(short = 'r', long)]
    pub inactive: bool,
    /// Accepted for crm_mon muscle memory; pgcrm status always prints once
    #[arg(short = '1', long = "one-shot", hide = true)]
    pub one_shot: bool,
    /// Monitoring-plugin mode: print one line `PGCRM OK|WARNING|CRITICAL|UNKNOWN - summary |
    /// perfdata` and exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for any error, such as
    /// an unreadable cluster or a bad option)
    #[arg(long)]
    pub check: bool,
    /// Do not connect to PostgreSQL: Pacemaker's view only
    #[arg(long)]
    pub no_pg: bool,
    /// How long each node's PostgreSQL probe (connect and queries) may take: 2s, 500ms
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub pg_timeout: Duration,
    /// Config file with per-node conninfo ([nodes.NODE] conninfo = "host=... user=...");
    /// read when it exists. Passwords: PGPASSWORD, ~/.pgpass (PGPASSFILE), or the conninfo
    #[arg(long, value_name = "PATH", default_value = pgcrm::pg::target::DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// Standby replay lag that is a WARNING: WAL bytes (16MB, 1GB) or time (30s, 2min)
    #[arg(long, value_name = "SIZE|DURATION", default_value = "16MB", value_parser = Limit::parse)]
    pub warn_lag: Limit,
    /// Standby replay lag that is CRITICAL: WAL bytes (1GB) or time (5min); none by default
    #[arg(long, value_name = "SIZE|DURATION", value_parser = Limit::parse)]
    pub crit_lag: Option<Limit>,
    /// WAL a replication slot may retain before it is a WARNING
    #[arg(long, value_name = "SIZE", default_value = "1GB", value_parser = parse_size)]
    pub warn_slot_wal: u64,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    match Limit::parse(s)? {
        Limit::Seconds(secs) if secs > 0.0 => Ok(Duration::from_secs_f64(secs)),
        Limit::Bytes(n) if n > 0 && s.trim().bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Duration::from_secs(n)) // a bare number is seconds
        }
        _ => Err(format!(
            "'{s}' is not a positive duration (2s, 500ms, 1min)"
        )),
    }
}

fn parse_size(s: &str) -> Result<u64, String> {
    match Limit::parse(s)? {
        Limit::Bytes(b) => Ok(b),
        Limit::Seconds(_) => Err(format!("'{s}' is a duration; give a size (1GB, 512MB)")),
    }
}

pub fn run(ctx: &CommandContext, args: &Args) -> CommandResult {
    let thresholds = Thresholds {
        warn_lag: Some(args.warn_lag),
        crit_lag: args.crit_lag,
        slot_wal_bytes: args.warn_slot_wal,
    };
    if args.check {
        let result = check_result(ctx, args, &thresholds);
        print_out(&format!("{}\n", result.line))?;
        return Err(CommandError::Exit(result.state.exit_code()));
    }
    let report = gather(ctx, args, &thresholds)?;
    match ctx.global.output {
        OutputFormat::Json => {
            let mut text = serde_json::to_string_pretty(&report).expect("report serialises");
            text.push('\n');
            print_out(&text)
        }
        OutputFormat::Text => print_out(&render_text(&report, args)),
    }
}

/// Reads the cluster, probes PostgreSQL, finds the problems.
fn gather(
    ctx: &CommandContext,
    args: &Args,
    thresholds: &Thresholds,
) -> Result<StatusReport, pgcrm::Error> {
    let explicit_config =
        args.config.as_path() != std::path::Path::new(pgcrm::pg::target::DEFAULT_CONFIG);
    let config = if args.no_pg {
        None
    } else {
        ConfigFile::load(
            Some(&args.config)
                .filter(|_| explicit_config)
                .map(|p| p.as_path()),
        )?
    };
    let opts = StatusOptions {
        probes: ProbeOptions {
            enabled: !args.no_pg,
            timeout: args.pg_timeout,
            config,
            env: PgEnv::from_lookup(|k| std::env::var(k).ok()),
            local_node: std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_string()),
            ..ProbeOptions::default()
        },
        thresholds: thresholds.clone(),
    };
    let cluster = ctx.cluster();
    status::report_with(cluster.as_ref(), &opts)
}

fn check_result(ctx: &CommandContext, args: &Args, thresholds: &Thresholds) -> CheckResult {
    match gather(ctx, args, thresholds) {
        Ok(report) => check::check(&report, thresholds),
        Err(e) => check::unknown(&format!("cannot read the cluster: {e}")),
    }
}

fn render_text(report: &StatusReport, args: &Args) -> String {
    let sections = Sections {
        node_attributes: args.show_node_attributes,
        fail_counts: args.failcounts,
        inactive: args.inactive,
    };
    let mut text = crm_mon::render(&report.cluster, sections, chrono::Local::now());
    if let Some(pg) = &report.postgresql {
        text.push('\n');
        text.push_str(&crate::render::pg_table::render(pg));
        if pg.probes == "live" {
            text.push('\n');
            text.push_str(&crate::render::pg_table::render_live(pg));
        }
    }
    text.push('\n');
    text.push_str(&crate::render::pg_table::render_problems(&report.problems));
    text
}
