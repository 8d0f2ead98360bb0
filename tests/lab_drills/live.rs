//! Drills of pgcrm's live backend, run inside node1 of the healthy lab (before the kill
//! drills, which they must leave a healthy cluster for):
//!
//! * `live-status`: `pgcrm status` read over the native IPC equals `crm_mon -1 -Afr` (text,
//!   but for the clock line) and agrees with `crm_mon --output-as=xml` (JSON), read at the
//!   same moment; and equals `pgcrm status --cib-file` on a `cibadmin -Q` dump.
//! * `ipc-client`: tests/ipc_live.rs (every request type of the IPC client, compared with
//!   cibadmin, attrd_updater, crm_attribute, crm_failcount, crm_mon) run inside node1 against
//!   a throwaway `dummy1` resource, which is removed again.
//! * `live-errors`: what an operator meets: no cluster (the hub) → 102, a user outside
//!   haclient → 4 as for crm_mon, a haclient member reads via cib_ro, a stopped CIB manager
//!   → 124; each one line on stderr.

use crate::crm_mon_compare;
use crate::{poll, secs, Lab, Res};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PGCRM: &str = env!("CARGO_BIN_EXE_pgcrm");

/// Exit code, stdout and stderr of a command run in a lab namespace (never an Err for a
/// non-zero exit: the drills check the codes).
fn exec_rc(lab: &Lab, node: &str, cmd: &[&str]) -> Res<(i32, String, String)> {
    let mut args = vec!["exec", node];
    args.extend_from_slice(cmd);
    let out = lab
        .cmd(&args)
        .output()
        .map_err(|e| format!("cannot run pgcrm-lab: {e}"))?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// The nodes share the host's /work and /var/tmp but not /tmp: the binaries must be visible.
fn check_visible(path: &str) -> Res<()> {
    if path.starts_with("/tmp/") {
        return Err(format!(
            "{path} is under /tmp, which the lab nodes do not share; set CARGO_TARGET_DIR elsewhere"
        ));
    }
    Ok(())
}

/// Retries a comparison: the CIB may change between two reads (a monitor result, an
/// attribute update), so a difference counts only when it persists.
fn agree(what: &str, tries: u32, mut f: impl FnMut() -> Res<Option<String>>) -> Res<u32> {
    let mut last = String::new();
    for attempt in 1..=tries {
        match f()? {
            None => return Ok(attempt),
            Some(diff) => last = diff,
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    Err(format!("{what}: differs in {tries} tries; last:\n{last}"))
}

pub fn drill_live_status(lab: &Lab) -> Res<String> {
    check_visible(PGCRM)?;
    // text: crm_mon and pgcrm one right after the other, in one shell inside node1
    let both = format!("{PGCRM} status -Afr && echo @@@@ && crm_mon -1 -Afr");
    let t_tries = agree("pgcrm status -Afr vs crm_mon -1 -Afr", 5, || {
        let out = lab.exec("node1", &["sh", "-c", &both])?;
        let (ours, theirs) = out.split_once("@@@@\n").ok_or("no separator")?;
        // live crm_mon starts with pacemakerd's state ("Status of pacemakerd: 'Pacemaker is
        // running' (last updated ...)"), which is not in the CIB; pgcrm does not print it
        let theirs = theirs
            .strip_prefix("Status of pacemakerd: 'Pacemaker is running'")
            .and_then(|t| t.split_once('\n'))
            .map_or(theirs, |(_, rest)| rest);
        let (ours, theirs) = (
            crm_mon_compare::comparable(ours, true),
            crm_mon_compare::comparable(theirs, false),
        );
        Ok((ours != theirs).then(|| format!("--- crm_mon\n{theirs}\n--- pgcrm\n{ours}")))
    })?;
    // JSON against crm_mon's XML
    let both =
        format!("{PGCRM} status --output json && echo @@@@ && crm_mon -1 -Afr --output-as=xml");
    let j_tries = agree("pgcrm JSON vs crm_mon XML", 5, || {
        let out = lab.exec("node1", &["sh", "-c", &both])?;
        let (json, xml) = out.split_once("@@@@\n").ok_or("no separator")?;
        let json: serde_json::Value =
            serde_json::from_str(json).map_err(|e| format!("pgcrm JSON: {e}"))?;
        if json["source"] != "live" {
            return Err(format!("source should be \"live\": {}", json["source"]));
        }
        let xml = pgcrm::cib::Element::parse(xml).map_err(|e| format!("crm_mon XML: {e}"))?;
        let problems = crm_mon_compare::json_disagreements(&xml, &json);
        Ok((!problems.is_empty()).then(|| problems.join("\n")))
    })?;
    // the same cluster from a file dump and live (Pacemaker's view only: live status would
    // also probe PostgreSQL, which a file backend has no address for)
    let both = format!(
        "cibadmin -Q > /tmp/pgcrm-live.xml && {PGCRM} status -Afr --no-pg --cib-file /tmp/pgcrm-live.xml \
         && echo @@@@ && {PGCRM} status -Afr --no-pg && echo @@@@ && \
         {PGCRM} status --no-pg --output json --cib-file /tmp/pgcrm-live.xml && echo @@@@ && \
         {PGCRM} status --no-pg --output json; rc=$?; rm -f /tmp/pgcrm-live.xml; exit $rc"
    );
    let f_tries = agree("pgcrm status --cib-file (cibadmin -Q) vs live", 5, || {
        let out = lab.exec("node1", &["sh", "-c", &both])?;
        let parts: Vec<&str> = out.split("@@@@\n").collect();
        let [file_text, live_text, file_json, live_json] = parts[..] else {
            return Err(format!("expected 4 outputs, got {}", parts.len()));
        };
        let (a, b) = (
            crm_mon_compare::comparable(file_text, false),
            crm_mon_compare::comparable(live_text, false),
        );
        if a != b {
            return Ok(Some(format!("--- file\n{a}\n--- live\n{b}")));
        }
        let strip = |s: &str| -> Res<serde_json::Value> {
            let mut v: serde_json::Value = serde_json::from_str(s).map_err(|e| e.to_string())?;
            v["source"] = serde_json::Value::Null;
            Ok(v)
        };
        let (a, b) = (strip(file_json)?, strip(live_json)?);
        Ok((a != b).then(|| format!("JSON differs:\n--- file\n{a}\n--- live\n{b}")))
    })?;
    Ok(format!(
        "live text = crm_mon -1 -Afr (try {t_tries}), live JSON agrees with crm_mon XML (try {j_tries}), \
         --cib-file on cibadmin -Q = live (try {f_tries})"
    ))
}

/// The ipc_live test binary, as cargo builds it (building it if needed).
fn ipc_live_binary() -> Res<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "test",
            "--test",
            "ipc_live",
            "--no-run",
            "--message-format=json",
        ])
        .arg("--manifest-path")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "building tests/ipc_live.rs failed ({})",
            out.status
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["reason"] == "compiler-artifact" && v["target"]["name"] == "ipc_live")
        .find_map(|v| v["executable"].as_str().map(String::from))
        .ok_or_else(|| "cargo reported no ipc_live executable".into())
}

// Created stopped, started once its location constraint exists: placed first, it could land
// on node2 and stay there (resource-stickiness=INFINITY).
const DUMMY: &str = r#"<primitive id="dummy1" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="dummy1-meta"><nvpair id="dummy1-meta-mt" name="migration-threshold" value="1000000"/><nvpair id="dummy1-meta-target-role" name="target-role" value="Stopped"/></meta_attributes><operations><op id="dummy1-monitor-10s" name="monitor" interval="10s"/></operations></primitive>"#;
const DUMMY_LOC: &str =
    r#"<rsc_location id="pgcrm-ipc-dummy1-on-node1" rsc="dummy1" node="node1" score="INFINITY"/>"#;

fn dummy_role(role: &str) -> String {
    format!(r#"<nvpair id="dummy1-meta-target-role" name="target-role" value="{role}"/>"#)
}

pub fn drill_ipc_client(lab: &Lab) -> Res<String> {
    let t0 = Instant::now();
    let bin = ipc_live_binary()?;
    check_visible(&bin)?;
    let t_build = t0.elapsed();
    // the throwaway resource the IPC tests write to, fail and clean up
    lab.exec("node1", &["cibadmin", "-C", "-o", "resources", "-X", DUMMY])?;
    lab.exec(
        "node1",
        &["cibadmin", "-C", "-o", "constraints", "-X", DUMMY_LOC],
    )?;
    lab.exec("node1", &["cibadmin", "-M", "-X", &dummy_role("Started")])?;
    poll(Duration::from_secs(30), "dummy1 started on node1", || {
        lab.mon("node1")
            .ok()
            .filter(|m| m.started_on("dummy1") == "node1")
    })?;
    let t1 = Instant::now();
    let run = exec_rc(
        lab,
        "node1",
        &[
            "env",
            "PGCRM_IPC_TARGET=lab",
            &bin,
            "--test-threads=1",
            "--nocapture",
        ],
    );
    let t_tests = t1.elapsed();
    // remove dummy1 whatever happened, and let the cluster settle
    let removed = remove_dummy(lab);
    let (rc, stdout, stderr) = run?;
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("test result:"))
        .unwrap_or("no test result line")
        .to_string();
    if rc != 0 {
        return Err(format!(
            "ipc_live failed in node1 (rc {rc}): {summary}\n{stdout}\n{stderr}"
        ));
    }
    removed?;
    let figures: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("connect+query+close") || l.contains("on one connection"))
        .collect();
    Ok(format!(
        "tests/ipc_live.rs inside node1: {summary} in {} (build {}); {}",
        secs(t_tests),
        secs(t_build),
        figures.join("; ")
    ))
}

/// A daemon that stops answering, then dies in the middle of a request: the IPC client must
/// say so at once (102), not wait out its timeout. The daemon is the scheduler of the node
/// that is not the DC: idle there, respawned by pacemakerd, and no resource depends on it
/// (attrd or the CIB manager would fail the monitors of that node meanwhile).
pub fn drill_daemon_death(lab: &Lab) -> Res<String> {
    let bin = ipc_live_binary()?;
    check_visible(&bin)?;
    let (_, dc, _) = exec_rc(lab, "node1", &["crmadmin", "-D", "-q"])?;
    let node = if dc.trim() == "node1" {
        "node2"
    } else {
        "node1"
    };
    let t0 = Instant::now();
    let (rc, stdout, stderr) = exec_rc(
        lab,
        node,
        &[
            "env",
            "PGCRM_IPC_TARGET=lab",
            "PGCRM_IPC_DISRUPT=1",
            &bin,
            "timeout_and_daemon_death",
            "--exact",
            "--nocapture",
        ],
    )?;
    let took = t0.elapsed();
    if rc != 0 || !stdout.contains("1 passed") {
        return Err(format!(
            "timeout_and_daemon_death in {node} (rc {rc}):\n{stdout}\n{stderr}"
        ));
    }
    let said: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("pengine "))
        .collect();
    lab.mon("node1")?.check_healthy("node1", "node2")?;
    Ok(format!(
        "pacemaker-schedulerd in {node} (DC {}) stopped then killed mid-request: {} ({}); \
         respawned, cluster healthy",
        dc.trim(),
        said.join(" / "),
        secs(took)
    ))
}

fn remove_dummy(lab: &Lab) -> Res<()> {
    lab.exec("node1", &["cibadmin", "-M", "-X", &dummy_role("Stopped")])?;
    poll(Duration::from_secs(30), "dummy1 stopped", || {
        lab.mon("node1")
            .ok()
            .filter(|m| m.started_on("dummy1") == "-")
    })?;
    lab.exec(
        "node1",
        &["cibadmin", "-D", "-o", "constraints", "-X", DUMMY_LOC],
    )?;
    lab.exec(
        "node1",
        &[
            "cibadmin",
            "-D",
            "-o",
            "resources",
            "-X",
            r#"<primitive id="dummy1"/>"#,
        ],
    )?;
    // forget its history, so that the later drills see the runbook's cluster only
    lab.exec("node1", &["crm_resource", "--cleanup", "-r", "dummy1"])
        .ok();
    lab.wait_healthy(60)?;
    lab.mon("node1")?.check_healthy("node1", "node2")
}

/// Checks one error: the exit code, one line on stderr, and the words that say the fix.
fn one_line_error(what: &str, got: (i32, String, String), rc: i32, words: &str) -> Res<String> {
    let (code, _, stderr) = got;
    let line = stderr.trim_end();
    if code != rc || line.lines().count() != 1 || !line.contains(words) {
        return Err(format!(
            "{what}: expected exit {rc} and one line with '{words}', got exit {code}: {stderr}"
        ));
    }
    Ok(format!("{what} → {code}"))
}

/// [`one_line_error`] for a shell script run in node1, with how long it took.
fn timed_one_line_error(
    lab: &Lab,
    what: &str,
    script: &str,
    rc: i32,
    words: &str,
) -> Res<(String, Duration)> {
    let t0 = Instant::now();
    let got = exec_rc(lab, "node1", &["sh", "-c", script])?;
    let took = t0.elapsed();
    let line = one_line_error(what, got, rc, words)?;
    Ok((format!("{line} in {}", secs(took)), took))
}

pub fn drill_live_errors(lab: &Lab) -> Res<String> {
    let mut seen = Vec::new();
    // no cluster: the hub has no Pacemaker (abstract sockets are per network namespace)
    seen.push(one_line_error(
        "no pacemaker (hub)",
        exec_rc(lab, "hub", &[PGCRM, "status"])?,
        102,
        "is pacemaker running on this node?",
    )?);
    // a user outside haclient: refused like crm_mon (4; cibadmin -Q says 102, "not connected")
    let nobody = [
        "setpriv",
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
    ];
    let mut cmd = nobody.to_vec();
    cmd.extend([PGCRM, "status"]);
    let got = exec_rc(lab, "node1", &cmd)?;
    let mut theirs = nobody.to_vec();
    theirs.extend(["crm_mon", "-1"]);
    let (cib_rc, _, _) = exec_rc(lab, "node1", &theirs)?;
    let rc = got.0;
    seen.push(one_line_error(
        "user nobody",
        got,
        4,
        "run as root or as a member of the haclient group",
    )?);
    if cib_rc != rc {
        return Err(format!(
            "user nobody: crm_mon -1 exits {cib_rc}, pgcrm {rc}"
        ));
    }
    // a haclient member reads over cib_ro, as crm_mon does
    let member = [
        "setpriv",
        "--reuid=nobody",
        "--regid=haclient",
        "--clear-groups",
    ];
    let mut cmd = member.to_vec();
    cmd.extend([
        PGCRM,
        "attribute",
        "get",
        "pgsql-status",
        "-N",
        "node1",
        "-l",
        "reboot",
    ]);
    let (rc, out, err) = exec_rc(lab, "node1", &cmd)?;
    if rc != 0 || out.trim() != "PRI" {
        return Err(format!(
            "haclient member: expected PRI, got exit {rc}: {out}{err}"
        ));
    }
    seen.push("haclient member reads pgsql-status=PRI".into());
    // a CIB manager that does not answer: SIGSTOP it for the length of one pgcrm call
    let stopped = format!(
        "pid=$(pidof pacemaker-based) && kill -STOP $pid && trap 'kill -CONT $pid' EXIT && \
         {PGCRM} --timeout 1 status"
    );
    let (line, took) = timed_one_line_error(
        lab,
        "stopped pacemaker-based, --timeout 1",
        &stopped,
        124,
        "retry",
    )?;
    seen.push(line);
    if took > Duration::from_secs(5) {
        return Err(format!("--timeout 1 took {}", secs(took)));
    }
    // daemons of Pacemaker 3.0.1+ (another message header, same version byte): refused
    // before any request, from the dc-version of the saved CIB; faked in a private mount
    // namespace so that Pacemaker itself never sees the file
    let newer = format!(
        "d=$(mktemp -d /var/tmp/pgcrm-newer.XXXXXX) && \
         printf '%s' '{NEWER_SAVED_CIB}' > \"$d/cib.xml\" && \
         unshare -m sh -c \"mount --bind $d /var/lib/pacemaker/cib && exec {PGCRM} status\"; \
         rc=$?; rm -rf \"$d\"; exit $rc"
    );
    let (line, _) = timed_one_line_error(lab, "saved CIB says 3.0.2", &newer, 76, "--cib-file")?;
    seen.push(line);
    lab.mon("node1")?.check_healthy("node1", "node2")?;
    Ok(seen.join(", "))
}

/// A saved CIB as a Pacemaker 3.0.2 DC would leave it (only what the version check reads).
const NEWER_SAVED_CIB: &str = r#"<cib><configuration><crm_config><cluster_property_set id="o"><nvpair id="o-dc" name="dc-version" value="3.0.2-6b0e5a4"/></cluster_property_set></crm_config></configuration></cib>"#;
