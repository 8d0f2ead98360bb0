//! The `runbook-commands` drill, on the healthy lab (right after `healthy`; the drills after
//! it need the cluster exactly as it was): the runbook commands no other drill runs live,
//! each checked against Pacemaker's own tools, on a scratch `ocf:heartbeat:Dummy` resource
//! (created stopped, then `resource start`) and the standby's node, and tab completion of the
//! live cluster's names.
//!
//! `failcount set`/`delete` (crm_failcount), `resource refresh` (crm_resource --locate),
//! `node maintenance` (crm_mon, cibadmin), `maintenance on|off` (crm_attribute, crm_mon),
//! `resource delete` refused while active then `--force` (cibadmin: the resource and its
//! constraint gone). The configuration section is compared before and after.

use crate::{pgcrm_in, poll, secs, Lab, Res};
use std::time::{Duration, Instant};

const DUMMY: &str = "drill-dummy";
const PRIMITIVE: &str = r#"<primitive id="drill-dummy" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="drill-dummy-meta"><nvpair id="drill-dummy-meta-target-role" name="target-role" value="Stopped"/></meta_attributes><operations><op id="drill-dummy-monitor-10s" name="monitor" interval="10s"/></operations></primitive>"#;
const LOCATION: &str =
    r#"<rsc_location id="drill-dummy-prefers-node1" rsc="drill-dummy" node="node1" score="50"/>"#;

/// Exit code and output of a command in node1, as one string for messages.
fn run(lab: &Lab, cmd: &[&str]) -> Res<(i32, String)> {
    let mut args = vec!["exec", "node1"];
    args.extend_from_slice(cmd);
    let o = lab
        .cmd(&args)
        .output()
        .map_err(|e| format!("cannot run pgcrm-lab: {e}"))?;
    Ok((
        o.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    ))
}

/// pgcrm in node1 must exit 0 and print every `want`; returns its stdout.
fn pgcrm_ok(lab: &Lab, args: &[&str], want: &[&str]) -> Res<String> {
    let (code, out, err) = pgcrm_in(lab, "node1", args)?;
    if code != 0 {
        return Err(format!(
            "pgcrm {} exited {code}:\n{out}{err}",
            args.join(" ")
        ));
    }
    if let Some(w) = want.iter().find(|w| !out.contains(*w)) {
        return Err(format!("pgcrm {} lacks {w:?}:\n{out}{err}", args.join(" ")));
    }
    Ok(out)
}

fn crm_failcount(lab: &Lab) -> Res<String> {
    let (_, out) = run(
        lab,
        &[
            "crm_failcount",
            "-G",
            "-q",
            "-r",
            DUMMY,
            "-N",
            "node2",
            "-n",
            "start",
            "-I",
            "0",
        ],
    )?;
    Ok(out.trim().to_string())
}

fn locate(lab: &Lab) -> Res<String> {
    Ok(run(lab, &["crm_resource", "--locate", "-r", DUMMY])?.1)
}

fn configuration(lab: &Lab) -> Res<String> {
    let (code, out) = run(lab, &["cibadmin", "-Q", "-o", "configuration"])?;
    if code != 0 {
        return Err(format!("cibadmin -Q -o configuration: {code} {out}"));
    }
    Ok(out)
}

pub fn drill_runbook_commands(lab: &Lab) -> Res<String> {
    let config_before = configuration(lab)?;
    let t0 = Instant::now();
    for (section, xml) in [("resources", PRIMITIVE), ("constraints", LOCATION)] {
        let (code, out) = run(lab, &["cibadmin", "-C", "-o", section, "-X", xml])?;
        if code != 0 {
            return Err(format!("cibadmin -C -o {section}: {code} {out}"));
        }
    }
    // created stopped, so that it starts where its constraint says (stickiness is INFINITY)
    pgcrm_ok(lab, &["resource", "start", DUMMY, "--wait=30s"], &[])?;
    let l = locate(lab)?;
    if !l.contains("is running on: node1") {
        return Err(format!("after resource start: {l}"));
    }
    let t_setup = t0.elapsed();

    // Tab completion from the live CIB: what `pgcrm resource move <TAB>` and `--to <TAB>` offer
    let complete = |words: &str| -> Res<(Vec<String>, u64)> {
        let script = format!(
            r#"s=$(date +%s%N); COMPLETE=bash _CLAP_COMPLETE_INDEX=$(( $# - 1 )) {PGCRM} -- "$@"; e=$(date +%s%N); echo; echo "ms=$(( (e - s) / 1000000 ))""#,
            PGCRM = crate::PGCRM
        );
        let mut cmd = vec!["bash", "-c", &script, "bash"];
        cmd.extend(words.split(' '));
        let (_, out) = run(lab, &cmd)?;
        let ms = out
            .lines()
            .find_map(|l| l.strip_prefix("ms="))
            .and_then(|v| v.parse().ok())
            .ok_or(format!("no timing in {out:?}"))?;
        let values = out
            .lines()
            .filter(|l| !l.starts_with('-') && !l.starts_with("ms=") && !l.is_empty())
            .map(String::from)
            .collect();
        Ok((values, ms))
    };
    let (rscs, ms_rsc) = complete("pgcrm resource move ")?;
    if !["msPostgresql", "master-group", "vip-slave", DUMMY]
        .iter()
        .all(|r| rscs.iter().any(|c| c == r))
    {
        return Err(format!("resource move <TAB> offered {rscs:?}"));
    }
    let (nodes, ms_node) = complete("pgcrm resource move msPostgresql --to ")?;
    if nodes != ["node1", "node2"] {
        return Err(format!("--to <TAB> offered {nodes:?}"));
    }

    // failcount set / delete, against crm_failcount
    pgcrm_ok(
        lab,
        &[
            "failcount",
            "set",
            DUMMY,
            "node2",
            "INFINITY",
            "-n",
            "start",
            "-I",
            "0",
        ],
        &["Set fail-count-drill-dummy#start_0 on node2: INFINITY"],
    )?;
    let fc = poll(Duration::from_secs(10), "crm_failcount INFINITY", || {
        crm_failcount(lab).ok().filter(|v| v == "INFINITY")
    })?;
    pgcrm_ok(
        lab,
        &["failcount", "delete", DUMMY, "node2", "--wait=30s"],
        &["Cleaned up"],
    )?;
    let fc_after = crm_failcount(lab)?;
    if fc_after != "0" {
        return Err(format!(
            "after failcount delete, crm_failcount says {fc_after}"
        ));
    }

    // refresh: the history is re-probed and the resource stays where it runs
    pgcrm_ok(
        lab,
        &[
            "resource",
            "refresh",
            DUMMY,
            "--node",
            "node1",
            "--wait=30s",
        ],
        &["Refreshed"],
    )?;
    let l = locate(lab)?;
    if !l.contains("is running on: node1") {
        return Err(format!("after refresh: {l}"));
    }

    // node maintenance on the standby's node, then cluster-wide maintenance
    pgcrm_ok(
        lab,
        &["node", "maintenance", "node2", "on"],
        &["Putting node2 in maintenance"],
    )?;
    let mon = lab.mon("node1")?;
    if !mon.text.contains("Node node2: maintenance") {
        return Err(format!(
            "crm_mon should show node2 in maintenance:\n{}",
            mon.text
        ));
    }
    pgcrm_ok(
        lab,
        &["node", "maintenance", "node2", "off"],
        &["Taking node2 out of maintenance"],
    )?;
    let (code, out) = run(
        lab,
        &["cibadmin", "-Q", "--xpath", "//nvpair[@name='maintenance']"],
    )?;
    if code != 105 {
        return Err(format!("node maintenance attribute left ({code}): {out}"));
    }
    let property = |lab: &Lab| -> Res<String> {
        let (_, out) = run(
            lab,
            &[
                "crm_attribute",
                "-t",
                "crm_config",
                "-n",
                "maintenance-mode",
                "-G",
                "-q",
            ],
        )?;
        Ok(out.trim().to_string())
    };
    pgcrm_ok(
        lab,
        &["maintenance", "on"],
        &["Setting maintenance-mode=true"],
    )?;
    let on = property(lab)?;
    let mon = lab.mon("node1")?;
    if on != "true" || !mon.text.contains("Resource management is DISABLED") {
        return Err(format!(
            "maintenance on: crm_attribute says {on:?}\n{}",
            mon.text
        ));
    }
    pgcrm_ok(
        lab,
        &["maintenance", "off"],
        &["Setting maintenance-mode=false"],
    )?;
    let off = property(lab)?;
    if off != "false" {
        return Err(format!("maintenance off: crm_attribute says {off:?}"));
    }
    // the lab had no maintenance-mode property: leave none
    run(
        lab,
        &[
            "crm_attribute",
            "-t",
            "crm_config",
            "-n",
            "maintenance-mode",
            "-D",
        ],
    )?;

    // delete: refused while active; --force stops it, waits, removes its constraint
    let (code, out, err) = pgcrm_in(lab, "node1", &["resource", "delete", DUMMY])?;
    if code != 107 || !out.is_empty() || !err.contains("is active on node1") {
        return Err(format!(
            "delete of an active resource: expected 107, got {code}: {out}{err}"
        ));
    }
    let t_del = Instant::now();
    pgcrm_ok(
        lab,
        &["resource", "delete", DUMMY, "--force", "--wait=30s"],
        &[
            "Removing rsc_location drill-dummy-prefers-node1 (references drill-dummy)",
            "Deleting primitive drill-dummy",
        ],
    )?;
    let d_del = t_del.elapsed();
    for id in [DUMMY, "drill-dummy-prefers-node1"] {
        let (code, out) = run(
            lab,
            &["cibadmin", "-Q", "--xpath", &format!("//*[@id='{id}']")],
        )?;
        if code != 105 {
            return Err(format!("{id} still in the CIB ({code}): {out}"));
        }
    }
    let l = locate(lab)?;
    if l.contains("is running") {
        return Err(format!("after delete: {l}"));
    }

    // exactly as found: the same configuration and healthy. last-lrm-refresh is the
    // controller's own record of the refresh (crm_resource --refresh moves it too).
    let strip = |c: &str| -> String {
        c.lines()
            .filter(|l| !l.contains("last-lrm-refresh"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let config_after = configuration(lab)?;
    if strip(&config_before) != strip(&config_after) {
        return Err(format!(
            "the configuration changed:\nbefore:\n{config_before}\nafter:\n{config_after}"
        ));
    }
    lab.wait_healthy(60)?;
    let mon = lab.mon("node1")?;
    mon.check_healthy("node1", "node2")?;
    if mon.fails("node1") + mon.fails("node2") != 0 || mon.text.contains(DUMMY) {
        return Err(format!("failures or the dummy left:\n{}", mon.text));
    }
    Ok(format!(
        "dummy up {}; TAB: {} resources {ms_rsc} ms, --to {nodes:?} {ms_node} ms; failcount {fc} -> {fc_after}; refresh, node2/cluster maintenance on+off; delete 107 then --force {}",
        secs(t_setup),
        rscs.len(),
        secs(d_del)
    ))
}
