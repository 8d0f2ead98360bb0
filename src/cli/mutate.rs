//! What every command that changes the cluster shares: `--dry-run` (the CIB change as a
//! diff), confirmation of risky changes (a prompt on a terminal, `--yes` otherwise, never a
//! hang), applying the plan once, and `--wait` with one line per action.

use super::{print_out, CommandError, CommandResult};
use pgcrm::cluster::Cluster;
use pgcrm::ops::plan::Plan;
use pgcrm::ops::resource::Expect;
use pgcrm::ops::wait;
use std::io::IsTerminal;
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct MutateArgs {
    /// Print the exact CIB change as a diff and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Confirm a risky change without asking (needed when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct WaitArgs {
    /// Wait until the cluster reaches the requested state (default on the live cluster),
    /// at most DURATION (e.g. 90s, 5m; default 2m); exit 124 on timeout, 113 when the
    /// cluster settled elsewhere
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "2m")]
    pub wait: Option<String>,
    /// Return as soon as the change is applied
    #[arg(long, conflicts_with = "wait")]
    pub no_wait: bool,
}

pub const DEFAULT_WAIT: Duration = Duration::from_secs(120);

impl WaitArgs {
    /// How long to wait, `None` for not at all. Default: on for the live cluster, off for a
    /// file (there is nothing to wait for); an explicit `--wait` on a file is an error.
    pub fn timeout(&self, cluster: &dyn Cluster) -> Result<Option<Duration>, pgcrm::Error> {
        if self.no_wait {
            return Ok(None);
        }
        match &self.wait {
            None if cluster.is_live() => Ok(Some(DEFAULT_WAIT)),
            None => Ok(None),
            Some(_) if !cluster.is_live() => Err(pgcrm::Error::NeedsLive("--wait".into())),
            Some(d) => humantime::parse_duration(d).map(Some).map_err(|_| {
                pgcrm::Error::Usage(format!("--wait '{d}' does not parse (use e.g. 90s, 5m)"))
            }),
        }
    }
}

/// The unified diff between two CIB texts (3 lines of context).
pub fn diff(before: &str, after: &str, label: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{label} (current)"), &format!("{label} (after)"))
        .to_string()
}

/// Shows, confirms and applies a plan. Returns `Ok(false)` when nothing was applied
/// (dry run, or nothing to do), `Ok(true)` when the change is in the CIB.
pub fn commit(cluster: &dyn Cluster, plan: &Plan, args: &MutateArgs) -> Result<bool, CommandError> {
    for note in &plan.notes {
        eprintln!("pgcrm: {note}");
    }
    if plan.is_empty() {
        return Ok(false);
    }
    if args.dry_run {
        let (before, after) = plan.preview()?;
        let mut text = String::new();
        for a in &plan.actions {
            text.push_str(&format!("Dry run: {a}\n"));
        }
        if !plan.change.is_empty() {
            text.push_str(&diff(&before, &after, &cluster.origin()));
        }
        for t in &plan.transient {
            text.push_str(&format!(
                "Dry run: {} transient attribute {}{} of {} (lifetime reboot{})\n",
                if t.value.is_some() { "set" } else { "delete" },
                t.name,
                t.value
                    .as_deref()
                    .map(|v| format!("={v}"))
                    .unwrap_or_default(),
                t.node,
                if cluster.is_live() {
                    ", through attrd"
                } else {
                    ", in the status section"
                }
            ));
        }
        print_out(&text)?;
        return Ok(false);
    }
    if let Some(risk) = &plan.risk {
        if args.yes {
            // Confirmed in advance: still say first what is at stake.
            eprintln!("pgcrm: {risk}");
        } else {
            if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
                return Err(pgcrm::Error::Usage(format!(
                    "{risk}; pass --yes to confirm (stdin is not a terminal), nothing was changed"
                ))
                .into());
            }
            let ok = dialoguer::Confirm::new()
                .with_prompt(format!("{risk}. Continue?"))
                .default(false)
                .interact()
                .unwrap_or(false);
            if !ok {
                eprintln!("pgcrm: cancelled, nothing was changed");
                return Err(CommandError::Exit(pgcrm::error::exit::ERROR));
            }
        }
    }
    plan.apply(cluster)?;
    let mut text = String::new();
    for a in &plan.actions {
        text.push_str(a);
        text.push('\n');
    }
    print_out(&text)?;
    Ok(true)
}

/// Follows the cluster until `expect` holds, printing one line per action.
pub fn follow(cluster: &dyn Cluster, expect: &Expect, timeout: Duration) -> CommandResult {
    let start = std::time::Instant::now();
    let mut on_action = |a: &wait::Action| {
        let _ = print_out(&format!("  {a}\n"));
    };
    wait::wait(cluster, expect, timeout, &mut on_action)?;
    print_out(&format!(
        "{} ({:.1}s)\n",
        expect.describe(),
        start.elapsed().as_secs_f64()
    ))
}
