//! `pgcrm status`: the cluster as `crm_mon -1 -Afr` shows it, plus the PostgreSQL table, what
//! each server itself reports, and the problems found; or the same report as JSON; or, with
//! `--check`, one monitoring-plugin line and exit code 0-3; or, with `--watch`, the report
//! kept up to date until Ctrl-C.

use super::{print_out, CommandContext, CommandError, CommandResult, OutputFormat};
use crate::render::crm_mon::{self, Sections};
use pgcrm::cluster::{Cluster, Watch};
use pgcrm::ops::check::{self, CheckResult};
use pgcrm::ops::problems::{Limit, Thresholds};
use pgcrm::ops::status::{self, ProbeOptions, StatusOptions, StatusReport};
use pgcrm::pg::target::{ConfigFile, PgEnv};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    /// Keep running: redraw when the CIB changes (Pacemaker's change notifications) and every
    /// --interval (PostgreSQL's facts); Ctrl-C quits with exit 0. On a terminal the report is
    /// redrawn in place; otherwise it is printed again, after a blank line, only when it
    /// changed (for a log). Needs the live cluster; text output only
    #[arg(long, conflicts_with = "check")]
    pub watch: bool,
    /// With --watch: how often PostgreSQL is probed again when the CIB does not change
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub interval: Duration,
    /// WAL a replication slot may retain before it is a WARNING
    #[arg(long, value_name = "SIZE", default_value = "1GB", value_parser = parse_size)]
    pub warn_slot_wal: u64,
}

pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
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
    if args.watch {
        return watch(ctx, args, &thresholds);
    }
    let report = gather(ctx.cluster().as_ref(), args, &thresholds)?;
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
    cluster: &dyn Cluster,
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
            local_node: local_node(),
            ..ProbeOptions::default()
        },
        thresholds: thresholds.clone(),
    };
    status::report_with(cluster, &opts)
}

/// The node pgcrm runs on: Pacemaker names nodes by their uname.
pub(crate) fn local_node() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
}

fn check_result(ctx: &CommandContext, args: &Args, thresholds: &Thresholds) -> CheckResult {
    match gather(ctx.cluster().as_ref(), args, thresholds) {
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
    // The banner about constraints left by move/ban comes first: crm_mon does not say it.
    let mut text =
        crate::render::banner::cli_constraints(&report.cli_constraints).unwrap_or_default();
    text.push_str(&crm_mon::render(
        &report.cluster,
        sections,
        chrono::Local::now(),
    ));
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

/// `--watch`: one report per CIB change or interval, until SIGINT / SIGTERM (exit 0).
fn watch(ctx: &CommandContext, args: &Args, thresholds: &Thresholds) -> CommandResult {
    if ctx.global.output != OutputFormat::Text {
        return Err(pgcrm::Error::Usage(
            "--watch draws text; for JSON, run `pgcrm status --output json` at each interval"
                .into(),
        )
        .into());
    }
    let cluster = ctx.cluster();
    if !cluster.is_live() {
        return Err(pgcrm::Error::NeedsLive("--watch".into()).into());
    }
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second Ctrl-C while a round is stuck (a daemon slow to answer) quits at once.
        let registered = signal_hook::flag::register_conditional_shutdown(sig, 1, stop.clone())
            .and_then(|_| signal_hook::flag::register(sig, stop.clone()));
        if let Err(e) = registered {
            eprintln!("pgcrm: cannot handle signal {sig}: {e}");
            return Err(CommandError::Exit(pgcrm::error::exit::ERROR));
        }
    }
    let mut out = Output::new(std::io::stdout().is_terminal(), args.interval);
    // Subscribed before each read, so that a change made while reading is not missed; after
    // an error (pacemaker restarted on this node) it subscribes again on the next round.
    let mut changes: Option<Box<dyn Watch>> = None;
    while !stop.load(Ordering::Relaxed) {
        if changes.is_none() {
            changes = cluster.watch().ok();
        }
        let frame = match gather(cluster.as_ref(), args, thresholds) {
            Ok(report) => render_text(&report, args),
            Err(e) => format!("pgcrm: cannot read the cluster: {e}\n"),
        };
        if !out.show(&frame) {
            break; // stdout closed (a pager or `head` quit): nothing more to show
        }
        let deadline = Instant::now() + args.interval;
        // Short slices so that Ctrl-C is seen promptly.
        while !stop.load(Ordering::Relaxed) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let slice = left.min(Duration::from_millis(200));
            match changes.as_mut().map(|w| w.changed(slice)) {
                Some(Ok(true)) => break,
                Some(Ok(false)) => {}
                Some(Err(_)) => {
                    changes = None;
                    std::thread::sleep(slice);
                }
                None => std::thread::sleep(slice),
            }
        }
    }
    drop(out); // leaves the alternate screen
    Ok(())
}

/// Where `--watch` draws: a terminal's alternate screen, redrawn in place, or a plain stream
/// that gets the report again only when it changed.
struct Output {
    tty: bool,
    header: String,
    /// The last report written to a plain stream, without its clock line.
    last: Option<String>,
}

impl Output {
    fn new(tty: bool, interval: Duration) -> Output {
        if tty {
            // alternate screen, cursor hidden: the operator's scrollback is left as it was
            let _ = std::io::stdout().write_all(b"\x1b[?1049h\x1b[?25l");
        }
        Output {
            tty,
            header: format!(
                "pgcrm status --watch: on every CIB change and every {}; Ctrl-C quits\n\n",
                humantime::format_duration(interval)
            ),
            last: None,
        }
    }

    /// Writes one report; false when stdout is gone.
    fn show(&mut self, frame: &str) -> bool {
        let text = if self.tty {
            // home, each line cleared to its end, then the rest of the screen: no flicker
            let mut t = String::from("\x1b[H");
            for line in self.header.lines().chain(frame.lines()) {
                t.push_str(line);
                t.push_str("\x1b[K\n");
            }
            t.push_str("\x1b[J");
            t
        } else {
            let key = without_clock(frame);
            if self.last.as_deref() == Some(key.as_str()) {
                return true;
            }
            let sep = if self.last.is_some() { "\n" } else { "" };
            self.last = Some(key);
            format!("{sep}{frame}")
        };
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .and_then(|_| stdout.flush())
            .is_ok()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if self.tty {
            let _ = std::io::stdout().write_all(b"\x1b[?25h\x1b[?1049l");
            let _ = std::io::stdout().flush();
        }
    }
}

/// The report without what changes every round: crm_mon's "Last updated" line and how long
/// each probe took ("10.200.0.11:5432 in 31 ms").
fn without_clock(frame: &str) -> String {
    frame
        .lines()
        .filter(|l| !l.trim_start().starts_with("* Last updated:"))
        .map(without_probe_time)
        .collect::<Vec<_>>()
        .join("\n")
}

fn without_probe_time(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find(" in ") {
        let after = &rest[at + 4..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(&rest[..at]);
        if digits > 0 && after[digits..].starts_with(" ms") {
            rest = &after[digits + 3..];
        } else {
            out.push_str(" in ");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_stream_gets_a_report_only_when_it_changed() {
        let mut out = Output::new(false, Duration::from_secs(2));
        let a1 = "Cluster Summary:\n  * Last updated: Mon 10:00:00\nA\n";
        let a2 = "Cluster Summary:\n  * Last updated: Mon 10:00:02\nA\n";
        let b = "Cluster Summary:\n  * Last updated: Mon 10:00:04\nB\n";
        assert!(out.show(a1));
        let first = out.last.clone();
        assert!(out.show(a2));
        assert_eq!(out.last, first, "only the clock moved: nothing printed");
        assert!(out.show(b));
        assert_eq!(out.last.as_deref(), Some("Cluster Summary:\nB"));
    }

    #[test]
    fn probe_times_do_not_count_as_a_change() {
        assert_eq!(
            without_probe_time("│ node1 ┆ 10.200.0.11:5432 in 31 ms │ in 2 s in x"),
            "│ node1 ┆ 10.200.0.11:5432 │ in 2 s in x"
        );
    }
}
