//! Operation rules (PG101-PG110): timeouts against the agent's advice, duplicate intervals,
//! missing monitors, and `on-fail` values that stop recovery. Pure functions of the CIB and
//! the agents' meta-data.

use super::{agents::advised, fencing_enabled, fmt_ms, pg_agent, placed, Finding, Input, Severity};
use crate::cib::{is_true, parse_duration_ms, Role};

/// Pacemaker's timeout for an operation that sets none and has no op_defaults.
const PACEMAKER_DEFAULT_TIMEOUT_MS: u64 = 20_000;

pub fn check(input: &Input, out: &mut Vec<Finding>) {
    let cib = input.cib;
    let default_timeout = cib
        .op_defaults
        .get("timeout")
        .and_then(parse_duration_ms)
        .unwrap_or(PACEMAKER_DEFAULT_TIMEOUT_MS);
    let fencing = fencing_enabled(cib);
    for p in placed(cib) {
        let prim = p.prim;
        let spec = prim.agent();
        let is_pg = pg_agent(prim).is_some();
        let ops: Vec<_> = prim
            .ops
            .iter()
            .filter(|o| !o.attrs.iter().any(|(k, v)| k == "enabled" && !is_true(v)))
            .collect();

        // PG101: timeouts shorter than advised, including the operations not configured at
        // all, which run with the default timeout.
        for op in &ops {
            let Some((want, _builtin)) = advised(input.agents, &spec, &op.name, op.role) else {
                continue;
            };
            let (have, source) = match op.timeout_ms {
                Some(t) => (t, ""),
                None => (default_timeout, " (the default)"),
            };
            if have < want {
                out.push(Finding::new(
                    Severity::Warning,
                    "PG101",
                    &op.id,
                    format!(
                        "{} {} timeout is {}{source}, shorter than the {} {spec} advises: a slow {} is killed and counted as a failure.",
                        prim.id, op.name, fmt_ms(have), fmt_ms(want), op.name
                    ),
                    format!("`cibadmin --modify --xml-text '<op id=\"{}\" timeout=\"{}\"/>'`.", op.id, fmt_ms(want)),
                ));
            }
        }
        let notify = p
            .clone
            .and_then(|c| c.meta.get("notify"))
            .is_some_and(is_true);
        let mut implicit = vec!["start", "stop"];
        if p.promotable() {
            implicit.extend(["promote", "demote"]);
        }
        if notify {
            implicit.push("notify");
        }
        for name in implicit {
            if ops.iter().any(|o| o.name == name) || prim.class == "stonith" {
                continue;
            }
            let Some((want, _)) = advised(input.agents, &spec, name, None) else {
                continue;
            };
            if default_timeout < want {
                out.push(Finding::new(
                    Severity::Warning,
                    "PG101",
                    &prim.id,
                    format!(
                        "{} has no {name} operation, so {name} runs with the default timeout {}, shorter than the {} {spec} advises.",
                        prim.id, fmt_ms(default_timeout), fmt_ms(want)
                    ),
                    format!("`pcs resource op add {} {name} interval=0s timeout={}`.", prim.id, fmt_ms(want)),
                ));
            }
        }

        // PG102: Pacemaker refuses two operations with the same name and interval, even for
        // different roles. The model merges such duplicates, so read the raw XML.
        if let Some(el) = cib
            .tree
            .find_by_id(&prim.id)
            .and_then(|e| e.child("operations"))
        {
            let raw: Vec<_> = el.children_named("op").collect();
            for (i, a) in raw.iter().enumerate() {
                for b in &raw[..i] {
                    let interval = |e: &crate::cib::Element| {
                        e.attr("interval").and_then(parse_duration_ms).unwrap_or(0)
                    };
                    if a.attr("name") == b.attr("name") && interval(a) == interval(b) {
                        out.push(Finding::new(
                            Severity::Error,
                            "PG102",
                            a.id(),
                            format!(
                                "{} and {} are both {} operations with interval {}: Pacemaker rejects the second (crm_verify: 'is duplicate of'); monitors for different roles need different intervals.",
                                b.id(), a.id(), a.attr("name").unwrap_or("?"), fmt_ms(interval(a))
                            ),
                            format!("Give one a different interval, e.g. `cibadmin --modify --xml-text '<op id=\"{}\" interval=\"{}\"/>'`.", a.id(), fmt_ms(interval(a) + 1000)),
                        ));
                    }
                }
            }
        }

        // PG103 / PG104 / PG105: monitors.
        let monitors: Vec<_> = ops
            .iter()
            .filter(|o| o.name == "monitor" && o.interval_ms > 0)
            .collect();
        if is_pg && p.promotable() {
            if !monitors.iter().any(|o| o.role == Some(Role::Promoted)) {
                out.push(Finding::new(
                    Severity::Warning,
                    "PG103",
                    &prim.id,
                    format!("{} is promotable but has no role=Promoted monitor: a failure of the primary is detected late or not at all.", prim.id),
                    format!("`pcs resource op add {} monitor interval=9s timeout=60s role=Promoted` (an interval different from the standby monitor's).", prim.id),
                ));
            }
            if !monitors
                .iter()
                .any(|o| matches!(o.role, None | Some(Role::Unpromoted) | Some(Role::Started)))
            {
                out.push(Finding::new(
                    Severity::Warning,
                    "PG104",
                    &prim.id,
                    format!("{} has no monitor for its Unpromoted instances: a failed standby is never noticed and the read VIP keeps pointing at it.", prim.id),
                    format!("`pcs resource op add {} monitor interval=10s timeout=60s role=Unpromoted`.", prim.id),
                ));
            }
        } else if monitors.is_empty() {
            out.push(Finding::new(
                Severity::Warning,
                "PG105",
                &prim.id,
                format!(
                    "{} has no recurring monitor: Pacemaker never notices when it fails.",
                    prim.id
                ),
                format!(
                    "`pcs resource op add {} monitor interval=10s timeout=60s`.",
                    prim.id
                ),
            ));
        }

        // PG106-PG110: on-fail.
        for op in &ops {
            let Some(on_fail) = op.on_fail.as_deref() else {
                continue;
            };
            let label = format!("{} {}", prim.id, op.name);
            let fix_default = format!("Remove on-fail from {} so Pacemaker's default applies: `cibadmin --modify --xml-text '<op id=\"{}\" on-fail=\"restart\"/>'` (or fence for stop).", op.id, op.id);
            match on_fail {
                "fence" if !fencing => out.push(Finding::new(
                    Severity::Error,
                    "PG106",
                    &op.id,
                    format!("{label} has on-fail=fence but fencing is disabled: Pacemaker resets it to stop (crm_verify: 'fence is not valid when fencing is disabled')."),
                    "Enable fencing (see PG001), or use on-fail=restart / stop.".to_string(),
                )),
                "block" if op.name != "stop" => out.push(Finding::new(
                    Severity::Warning,
                    "PG107",
                    &op.id,
                    format!("{label} has on-fail=block: after one failure the resource stays blocked, with no recovery and no failover, until someone runs a cleanup."),
                    fix_default.clone(),
                )),
                "block" if fencing => out.push(Finding::new(
                    Severity::Warning,
                    "PG108",
                    &op.id,
                    format!("{label} has on-fail=block although fencing is enabled: a failed stop leaves the resource blocked where fencing would have recovered it."),
                    format!("`cibadmin --modify --xml-text '<op id=\"{}\" on-fail=\"fence\"/>'`.", op.id),
                )),
                "ignore" if is_pg => out.push(Finding::new(
                    Severity::Error,
                    "PG109",
                    &op.id,
                    format!("{label} has on-fail=ignore: Pacemaker treats a failed PostgreSQL {} as a success, so a dead or still-running instance goes unnoticed.", op.name),
                    fix_default.clone(),
                )),
                "ignore" if op.name == "stop" && p.clone.is_none() => out.push(Finding::new(
                    Severity::Warning,
                    "PG110",
                    &op.id,
                    format!("{label} has on-fail=ignore: after a failed stop Pacemaker may start {} on another node while it still runs here.", prim.id),
                    format!("`cibadmin --modify --xml-text '<op id=\"{}\" on-fail=\"{}\"/>'`.", op.id, if fencing { "fence" } else { "block" }),
                )),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;

    #[test]
    fn pg101_short_timeouts() {
        assert!(ids(&runbook()).contains(&"PG101"));
        assert!(has("missing-ops.xml", "PG101"));
        assert!(!has("clean.xml", "PG101"));
    }

    #[test]
    fn pg102_same_interval() {
        assert!(has("same-monitor-interval.xml", "PG102"));
        assert!(!has("clean.xml", "PG102"));
    }

    #[test]
    fn pg103_pg104_pg105_monitors() {
        assert!(has("missing-ops.xml", "PG103"));
        assert!(has("missing-ops.xml", "PG104"));
        assert!(has("missing-ops.xml", "PG105"));
        for r in ["PG103", "PG104", "PG105"] {
            assert!(!has("clean.xml", r), "{r}");
        }
    }

    #[test]
    fn pg106_to_pg110_on_fail() {
        assert!(has("on-fail-fence-no-fencing.xml", "PG106"));
        for r in ["PG107", "PG108", "PG109", "PG110"] {
            assert!(has("on-fail-blocking.xml", r), "{r}");
        }
        for r in ["PG106", "PG107", "PG108", "PG109", "PG110"] {
            assert!(!has("clean.xml", r), "{r}");
            // The runbook's stop on-fail=block is what Pacemaker does anyway without fencing.
            assert!(!ids(&runbook()).contains(&r), "{r}");
        }
    }
}
