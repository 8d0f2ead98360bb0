//! `pgcrm verify`'s text: findings grouped by severity, worst first, each with its rule id,
//! object, what is wrong and how to fix it; then a one-line summary.

use pgcrm::ops::verify::VerifyReport;
use pgcrm::rules::Severity;

pub fn render(report: &VerifyReport) -> String {
    let mut out = String::new();
    for (severity, title) in [
        (Severity::Error, "Errors"),
        (Severity::Warning, "Warnings"),
        (Severity::Info, "Info"),
    ] {
        let group: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if group.is_empty() {
            continue;
        }
        out.push_str(&format!("{title} ({}):\n", group.len()));
        for f in group {
            let place = match &f.file {
                Some(file) if *file != report.source => format!("{} ({file})", f.object),
                _ => f.object.clone(),
            };
            out.push_str(&format!("  {}  {place}: {}\n", f.rule, f.message));
            out.push_str(&format!("         fix: {}\n", f.fix));
        }
        out.push('\n');
    }
    if let Some(live) = &report.live {
        out.push_str(&live_line(live));
    }
    let c = report.counts;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if c.error + c.warning + c.info == 0 {
        out.push_str(&format!("{}: no problems found\n", report.source));
    } else {
        out.push_str(&format!(
            "{}: {}, {}, {} info\n",
            report.source,
            plural(c.error, "error"),
            plural(c.warning, "warning"),
            c.info
        ));
    }
    out
}

/// What `--live` reached, and which nodes went unchecked (the lock file is only readable on
/// the node pgcrm runs on).
fn live_line(live: &pgcrm::ops::verify::LiveReport) -> String {
    if live.probes != "live" {
        return format!("live: {}\n", live.probes);
    }
    let (servers, locks) = pgcrm::rules::live::unchecked(&live.facts);
    let nodes: Vec<&str> = live.facts.nodes.iter().map(|n| n.node.as_str()).collect();
    let checked: Vec<&str> = nodes
        .iter()
        .copied()
        .filter(|n| !servers.contains(n))
        .collect();
    let mut line = format!("live: PostgreSQL settings checked on {}", list(&checked));
    if !servers.is_empty() {
        line.push_str(&format!(" (not on {}: unreachable)", servers.join(", ")));
    }
    let lock_checked: Vec<&str> = nodes
        .iter()
        .copied()
        .filter(|n| !locks.contains(n))
        .collect();
    line.push_str(&format!("; PGSQL.lock checked on {}", list(&lock_checked)));
    if !locks.is_empty() {
        line.push_str(&format!(" (not on {})", locks.join(", ")));
    }
    line.push('\n');
    line
}

fn list(nodes: &[&str]) -> String {
    if nodes.is_empty() {
        "no node".into()
    } else {
        nodes.join(", ")
    }
}
