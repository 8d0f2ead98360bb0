//! The runbook drills, run against a real lab (`tests/lab/pgcrm-lab`, see docs/lab.md).
//!
//! One lab per test binary: `up --nodes 2`, then the drills in order (each one starts from the
//! state the previous one left), then `down` (also on failure or panic, through a guard), then a
//! check that the lab left nothing behind. Prints each drill's timings and one closing line
//! `N passed, N failed`. Skips (exit 0) when not root or when `PGCRM_SKIP_LAB=1`.
//!
//! The lab root is `PGCRM_LAB_ROOT` when set, else `/var/tmp/pgcrm-lab-drills-<hash of the checkout path>` (not the
//! default root of an operator's interactive lab).

#[path = "common/crm_mon_compare.rs"]
mod crm_mon_compare;
#[path = "lab_drills/live.rs"]
mod live;
#[path = "lab_drills/node_delete.rs"]
mod node_delete;
#[path = "lab_drills/pg_states.rs"]
mod pg_states;
#[path = "lab_drills/runbook_cmds.rs"]
mod runbook_cmds;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const LAB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/lab/pgcrm-lab");
const WRITE_VIP: &str = "10.200.0.100";
const REP_VIP: &str = "10.200.0.101";

type Res<T> = Result<T, String>;
/// A drill: runs against the lab, returns its timings line.
type Drill = fn(&Lab) -> Res<String>;

#[derive(Clone)]
struct Lab {
    root: String,
    /// The PostgreSQL agent the lab runs: `heartbeat` (ocf:heartbeat:pgsql) or `pgcrm`
    /// (ocf:pgcrm:pgsql, this repository's `pgcrm agent`).
    agent: String,
}

impl Lab {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(LAB);
        c.args(args)
            .env("PGCRM_LAB_ROOT", &self.root)
            // the binary under test: ocf:pgcrm:pgsql, and `up --config pgcrm`'s config load
            .env("PGCRM_BIN", PGCRM)
            .stdin(Stdio::null());
        c
    }

    /// Where the lab's cluster configuration comes from: for the shell agent, the runbook's
    /// own pgsql.crm (tests/lab/runbook-pgsql.crm, adapted to Pacemaker 2.1 and the lab's
    /// addresses) loaded with `pgcrm config load`, so every drill of that agent also checks
    /// that the runbook's file brings a healthy cluster; for pgcrm's own agent,
    /// `pgcrm config init | pgcrm config load`. (The lab's built-in CIB XML, `--config xml`,
    /// stays the lab's default for operators.)
    fn config(&self) -> &'static str {
        if self.agent == "pgcrm" {
            "pgcrm"
        } else {
            "runbook"
        }
    }

    /// Runs a lab command, capturing its output; Err with stderr when it fails.
    fn run(&self, args: &[&str]) -> Res<String> {
        let out: Output = self
            .cmd(args)
            .output()
            .map_err(|e| format!("cannot run {LAB}: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "`pgcrm-lab {}` failed ({}): {}{}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Runs a lab command whose progress log goes straight to our stderr; returns stdout.
    fn run_loud(&self, args: &[&str]) -> Res<String> {
        let out = self
            .cmd(args)
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run {LAB}: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            Ok(stdout)
        } else {
            Err(format!(
                "`pgcrm-lab {}` failed ({}) {}",
                args.join(" "),
                out.status,
                stdout.trim()
            ))
        }
    }

    fn exec(&self, node: &str, cmd: &[&str]) -> Res<String> {
        let mut args = vec!["exec", node];
        args.extend_from_slice(cmd);
        self.run(&args)
    }

    fn sql(&self, target: &str, sql: &str) -> Res<String> {
        self.run(&["sql", target, sql])
            .map(|s| s.trim().to_string())
    }

    fn mon(&self, node: &str) -> Res<Mon> {
        self.exec(node, &["crm_mon", "-Afr", "-1"])
            .map(|t| Mon::parse(&t))
    }

    fn wait_healthy(&self, secs: u32) -> Res<()> {
        self.run(&["wait-healthy", &secs.to_string()]).map(|_| ())
    }
}

/// Brings the lab down when dropped (normal end, early return or panic).
struct Guard(Option<Lab>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(lab) = self.0.take() {
            eprintln!("lab drills: tearing the lab down");
            if let Err(e) = lab.run_loud(&["down"]) {
                eprintln!("lab drills: down failed: {e}");
            }
        }
    }
}

/// What `crm_mon -Afr -1` (Pacemaker 2.1 text output) says.
#[derive(Default, Debug)]
struct Mon {
    text: String,
    /// resource id -> (state, node) e.g. vip-slave -> ("Started", "node2")
    rsc: HashMap<String, (String, String)>,
    promoted: Vec<String>,
    attrs: HashMap<String, HashMap<String, String>>,
    fail_count: HashMap<String, u32>,
}

impl Mon {
    fn parse(text: &str) -> Mon {
        let mut m = Mon {
            text: text.to_string(),
            ..Mon::default()
        };
        let (mut section, mut node) = (String::new(), String::new());
        for raw in text.lines() {
            if !raw.starts_with(' ') && raw.trim_end().ends_with(':') {
                section = raw.trim_end().trim_end_matches(':').to_string();
                continue;
            }
            let line = raw.trim().trim_start_matches("* ");
            if let Some(rest) = line.strip_prefix("Node: ") {
                node = rest.trim_end_matches(':').to_string();
                continue;
            }
            match section.as_str() {
                "Full List of Resources" => {
                    if let Some(list) = line.strip_prefix("Promoted: [") {
                        m.promoted = list
                            .trim_end_matches(']')
                            .split_whitespace()
                            .map(String::from)
                            .collect();
                    } else if line.contains("(ocf:") {
                        let id = line.split_whitespace().next().unwrap_or("").to_string();
                        let mut state = line.rsplit("):").next().unwrap_or("").split_whitespace();
                        let st = state.next().unwrap_or("").to_string();
                        let on = state.next().unwrap_or("").to_string();
                        // crm_mon lists an instance on its own line instead of in
                        // `Promoted: [ … ]` while an action on it is pending, e.g.
                        // `pgsql (ocf:heartbeat:pgsql): Promoted node1 (Monitoring)`
                        if st == "Promoted" && !m.promoted.contains(&on) {
                            m.promoted.push(on.clone());
                        }
                        m.rsc.insert(id, (st, on));
                    }
                }
                "Node Attributes" => {
                    if let Some((k, v)) = line.split_once(':') {
                        m.attrs
                            .entry(node.clone())
                            .or_default()
                            .insert(k.trim().into(), v.trim().into());
                    }
                }
                "Migration Summary" => {
                    if let Some(fc) = line
                        .split_whitespace()
                        .find_map(|w| w.strip_prefix("fail-count="))
                    {
                        m.fail_count
                            .insert(node.clone(), fc.parse().unwrap_or(u32::MAX));
                    }
                }
                _ => {}
            }
        }
        m
    }

    fn attr(&self, node: &str, key: &str) -> &str {
        self.attrs
            .get(node)
            .and_then(|a| a.get(key))
            .map(String::as_str)
            .unwrap_or("-")
    }

    fn started_on(&self, rsc: &str) -> &str {
        match self.rsc.get(rsc) {
            Some((st, on)) if st == "Started" => on,
            _ => "-",
        }
    }

    fn fails(&self, node: &str) -> u32 {
        self.fail_count.get(node).copied().unwrap_or(0)
    }

    /// The runbook's healthy picture with `primary` Promoted and `standby` streaming in sync.
    fn check_healthy(&self, primary: &str, standby: &str) -> Res<()> {
        let want = [
            (self.promoted.join(" "), primary.to_string(), "Promoted"),
            (
                self.attr(primary, "pgsql-status").into(),
                "PRI".into(),
                "primary pgsql-status",
            ),
            (
                self.attr(primary, "pgsql-data-status").into(),
                "LATEST".into(),
                "primary data-status",
            ),
            (
                self.attr(primary, "master-pgsql").into(),
                "1000".into(),
                "primary master-pgsql",
            ),
            (
                self.attr(standby, "pgsql-status").into(),
                "HS:sync".into(),
                "standby pgsql-status",
            ),
            (
                self.attr(standby, "pgsql-data-status").into(),
                "STREAMING|SYNC".into(),
                "standby data-status",
            ),
            (
                self.attr(standby, "master-pgsql").into(),
                "100".into(),
                "standby master-pgsql",
            ),
            (
                self.attr(primary, "default_ping_set").into(),
                "100".into(),
                "primary ping",
            ),
            (
                self.attr(standby, "default_ping_set").into(),
                "100".into(),
                "standby ping",
            ),
            (
                self.started_on("vip-master").into(),
                primary.into(),
                "write VIP (vip-master)",
            ),
            (
                self.started_on("vip-rep").into(),
                primary.into(),
                "replication VIP (vip-rep)",
            ),
            (
                self.started_on("vip-slave").into(),
                standby.into(),
                "read VIP (vip-slave)",
            ),
        ];
        for (got, exp, what) in want {
            if got != exp {
                return Err(format!("{what}: expected {exp}, got {got}\n{}", self.text));
            }
        }
        Ok(())
    }
}

/// Polls `f` every 300 ms until it returns Some or `limit` passes.
fn poll<T>(limit: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> Res<T> {
    let t0 = Instant::now();
    loop {
        if let Some(v) = f() {
            return Ok(v);
        }
        if t0.elapsed() > limit {
            return Err(format!("timeout after {:?} waiting for {what}", limit));
        }
        thread::sleep(Duration::from_millis(300));
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// `pgcrm status --check` inside `node`: its exit code and its one line.
fn pgcrm_check(lab: &Lab, node: &str, extra: &[&str]) -> Res<(i32, String)> {
    let mut args = vec!["exec", node, PGCRM, "status", "--check"];
    args.extend_from_slice(extra);
    let out = lab
        .cmd(&args)
        .output()
        .map_err(|e| format!("cannot run {LAB}: {e}"))?;
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if line.lines().count() != 1 || !line.starts_with("PGCRM ") {
        return Err(format!(
            "pgcrm status --check must print one PGCRM line, got: {line:?} {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok((out.status.code().unwrap_or(-1), line))
}

/// Asserts the check's exit code, its state word and that each `want` appears in the line.
fn expect_check(lab: &Lab, node: &str, code: i32, want: &[&str]) -> Res<String> {
    expect_check_with(lab, node, &[], code, want)
}

/// `expect_check` with more options for `status --check` (thresholds).
fn expect_check_with(
    lab: &Lab,
    node: &str,
    extra: &[&str],
    code: i32,
    want: &[&str],
) -> Res<String> {
    let (rc, line) = pgcrm_check(lab, node, extra)?;
    let state = ["OK", "WARNING", "CRITICAL", "UNKNOWN"][code as usize];
    if rc != code || !line.starts_with(&format!("PGCRM {state} - ")) {
        return Err(format!(
            "pgcrm status --check: expected {state} (exit {code}), got exit {rc}: {line}"
        ));
    }
    if let Some(w) = want.iter().find(|w| !line.contains(*w)) {
        return Err(format!("pgcrm status --check: expected '{w}' in: {line}"));
    }
    Ok(line)
}

// ------------------------------------------------------------------------------------------
// the drills
// ------------------------------------------------------------------------------------------

fn drill_up(lab: &Lab) -> Res<String> {
    let t0 = Instant::now();
    let out = lab.run_loud(&[
        "up",
        "--nodes",
        "2",
        "--agent",
        &lab.agent,
        "--config",
        lab.config(),
    ])?;
    let line = out
        .lines()
        .find(|l| l.contains("healthy in"))
        .unwrap_or("")
        .to_string();
    Ok(format!(
        "`up --nodes 2 --agent {} --config {}`: {} (script: {line})",
        lab.agent,
        lab.config(),
        secs(t0.elapsed())
    ))
}

/// ocf-tester (resource-agents) against `pgcrm agent` managing a standalone PostgreSQL.
fn drill_ocf_tester(lab: &Lab) -> Res<String> {
    let out = lab.run(&["ocf-test", "node1"])?;
    let last = out.lines().last().unwrap_or("").to_string();
    if !last.contains("passed all tests") {
        return Err(format!("ocf-tester: {out}"));
    }
    Ok(last)
}

fn drill_healthy(lab: &Lab) -> Res<String> {
    lab.mon("node1")?.check_healthy("node1", "node2")?;
    lab.sql(
        "write",
        "create table drill(id serial, what text, at timestamptz default now())",
    )?;
    lab.sql("write", "insert into drill(what) values ('healthy')")?;
    let ro = lab.sql("read", "select pg_is_in_recovery()")?;
    if ro != "t" {
        return Err(format!(
            "read VIP should reach the hot standby, pg_is_in_recovery = {ro}"
        ));
    }
    let n = poll(Duration::from_secs(10), "the row on the standby", || {
        lab.sql("read", "select count(*) from drill")
            .ok()
            .filter(|n| n == "1")
    })?;
    // pgcrm joins both truths: PostgreSQL confirms the roles and the sync standby
    let t_check = Instant::now();
    let check = expect_check(
        lab,
        "node1",
        0,
        &[
            "node1 primary, timeline",
            "node2 sync standby",
            "sync_standbys=1;",
        ],
    )?;
    let d_check = t_check.elapsed();
    let json = lab.exec("node1", &[PGCRM, "status", "--output", "json"])?;
    for want in [
        "\"pg_role\": \"primary\"",
        "\"pg_role\": \"standby\"",
        "\"sync_state\": \"sync\"",
        "\"problems\": []",
    ] {
        if !json.contains(want) {
            return Err(format!("pgcrm status --output json lacks {want}:\n{json}"));
        }
    }
    Ok(format!("node1 PRI/LATEST/1000, node2 HS:sync/STREAMING|SYNC/100, read VIP on node2 ({n} row replicated); `{check}` exit 0 in {}", secs(d_check)))
}

/// `pgcrm config show` of the live lab loads back with no change (`config load --dry-run`),
/// and crmsh's `crm configure load update` of the same text (crmsh is the oracle; the nodes
/// share the host's /usr) leaves the configuration and its epoch as they were.
fn drill_config_roundtrip(lab: &Lab) -> Res<String> {
    let file = format!("{}/state/config-show.crm", lab.root);
    let (code, shown, err) = pgcrm_in(lab, "node1", &["config", "show"])?;
    if code != 0 || shown.is_empty() {
        return Err(format!("config show exited {code}: {err}"));
    }
    std::fs::write(&file, &shown).map_err(|e| format!("{file}: {e}"))?;
    let (code, out, err) = pgcrm_in(lab, "node1", &["config", "load", &file, "--dry-run"])?;
    if code != 0 || !out.contains(": no change (") {
        return Err(format!(
            "config load --dry-run of config show's text: exit {code}\n{out}{err}"
        ));
    }
    let done = format!(
        "{} lines shown, `config load --dry-run`: no change",
        shown.lines().count()
    );
    if !Path::new("/usr/sbin/crm").exists() {
        return Ok(format!("{done}; crmsh not installed, its load not checked"));
    }
    let configuration = || {
        let conf = lab.exec("node1", &["cibadmin", "-Q", "--scope", "configuration"])?;
        let root = lab.exec("node1", &["cibadmin", "-Q", "--no-children"])?;
        let epoch = root
            .split(" epoch=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or("?")
            .to_string();
        Ok::<_, String>((conf, epoch))
    };
    let (before, e0) = configuration()?;
    let t0 = Instant::now();
    lab.exec("node1", &["crm", "configure", "load", "update", &file])?;
    let took = t0.elapsed();
    let (after, e1) = configuration()?;
    if before != after || e0 != e1 {
        return Err(format!(
            "crm configure load update of pgcrm's text changed the CIB (epoch {e0} -> {e1}):\n{}",
            after
        ));
    }
    Ok(format!(
        "{done}; `crm configure load update`: no change (epoch {e1}, {})",
        secs(took)
    ))
}

/// `pgcrm verify` on a live node: the CIB over IPC, the node's own agents' meta-data and
/// corosync.conf, and the exit code that matches the findings.
fn drill_verify_live(lab: &Lab) -> Res<String> {
    let bin = env!("CARGO_BIN_EXE_pgcrm");
    let t0 = Instant::now();
    let out = lab
        .cmd(&["exec", "node1", bin, "verify", "--output", "json"])
        .output()
        .map_err(|e| format!("cannot run {LAB}: {e}"))?;
    let elapsed = t0.elapsed();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "pgcrm verify printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    if v["source"] != "live" {
        return Err(format!("source should be live: {}", v["source"]));
    }
    let errors = v["counts"]["error"].as_u64().unwrap_or(0);
    let want = if errors > 0 { 78 } else { 0 };
    if out.status.code() != Some(want) {
        return Err(format!("exit {:?} with {errors} errors", out.status.code()));
    }
    let agents = v["agents"].as_array().cloned().unwrap_or_default();
    if !agents
        .iter()
        .any(|a| a["agent"] == "ocf:heartbeat:pgsql" && a["source"] == "installed")
    {
        return Err(format!(
            "the installed pgsql agent was not asked: {agents:?}"
        ));
    }
    let rules: Vec<String> = v["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|f| f["rule"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    let live = verify_live_postgres(lab, bin)?;
    Ok(format!(
        "{} findings ({} errors, {} warnings: {}) in {}; corosync.conf read: {}; {live}",
        rules.len(),
        errors,
        v["counts"]["warning"],
        rules.join(" "),
        secs(elapsed),
        v["corosync"]
    ))
}

/// `pgcrm verify --live` on the healthy pair: both servers reached, the lab's settings
/// (replica, hot_standby, 10 senders, archiving, wal_keep_size, synchronous_standby_names
/// from the agent's rep_mode.conf) give no live finding, node1's own lock file is seen (it is
/// the primary: not stale) and node2's is said not checked. Then a stale PGSQL.lock planted
/// in the standby's tmpdir is PG707 when verify runs on node2; the file is removed at once
/// (the agent only looks at it when it starts PostgreSQL).
fn verify_live_postgres(lab: &Lab, bin: &str) -> Res<String> {
    let t0 = Instant::now();
    let json = lab.exec("node1", &[bin, "verify", "--live", "--output", "json"])?;
    let d_live = t0.elapsed();
    let v: serde_json::Value = serde_json::from_str(&json)
        .map_err(|e| format!("verify --live printed no JSON ({e}): {json}"))?;
    let live = &v["live"];
    if live["probes"] != "live" || live["local_node"] != "node1" {
        return Err(format!("verify --live did not probe from node1: {live}"));
    }
    let live_rules: Vec<&str> = v["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["rule"].as_str())
        .filter(|r| r.starts_with("PG7"))
        .collect();
    if !live_rules.is_empty() {
        return Err(format!(
            "live findings on the healthy lab: {live_rules:?}\n{json}"
        ));
    }
    let node = |name: &str| {
        live["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|n| n["node"] == name)
            .cloned()
            .unwrap_or_default()
    };
    let (n1, n2) = (node("node1"), node("node2"));
    for (n, recovery) in [(&n1, false), (&n2, true)] {
        let s = &n["settings"];
        if s["in_recovery"] != recovery || s["settings"]["wal_level"]["value"] != "replica" {
            return Err(format!("{} settings not read: {n}", n["node"]));
        }
    }
    let ssn = n1["settings"]["settings"]["synchronous_standby_names"]["sourcefile"]
        .as_str()
        .unwrap_or("");
    if !ssn.ends_with("/pgsql-tmp/rep_mode.conf") {
        return Err(format!(
            "synchronous_standby_names on node1 should come from the agent's rep_mode.conf: {ssn:?}"
        ));
    }
    if n1["lock_file"]["state"] != "present" || n2["lock_file"]["state"] != "not_checked" {
        return Err(format!(
            "lock files: node1 {} (primary: present), node2 {} (not checked from node1)",
            n1["lock_file"], n2["lock_file"]
        ));
    }
    // A stale lock on the standby, seen from node2 itself.
    let lock = format!("{}/nodes/node2/pgsql-tmp/PGSQL.lock", lab.root);
    std::fs::write(&lock, "").map_err(|e| format!("cannot plant {lock}: {e}"))?;
    let t1 = Instant::now();
    let text = lab.exec("node2", &[bin, "verify", "--live"]);
    let d_stale = t1.elapsed();
    let removed = std::fs::remove_file(&lock);
    let text = text?;
    removed.map_err(|e| format!("cannot remove {lock}: {e}"))?;
    if !text.contains("PG707  node2: ") || !text.contains("PGSQL.lock exists on node2") {
        return Err(format!("no PG707 for the planted lock on node2:\n{text}"));
    }
    if !text.contains(
        "live: PostgreSQL settings checked on node1, node2; PGSQL.lock checked on node2 (not on node1)",
    ) {
        return Err(format!("verify --live on node2 did not say what it checked:\n{text}"));
    }
    // synchronous_standby_names hard-set by ALTER SYSTEM (to the value the agent has, so
    // replication does not change), then reset.
    let set = "ALTER SYSTEM SET synchronous_standby_names = '\"node2\"'";
    lab.sql("node1", set)?;
    let text = lab
        .sql("node1", "SELECT pg_reload_conf()")
        .and_then(|_| wait_reloaded(lab))
        .and_then(|_| {
            // an error finding: exit 78, as crm_verify on an invalid configuration
            let out = lab
                .cmd(&["exec", "node1", bin, "verify", "--live"])
                .output()
                .map_err(|e| format!("cannot run {LAB}: {e}"))?;
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            match out.status.code() {
                Some(78) => Ok(text),
                c => Err(format!(
                    "verify --live with PG704 exited {c:?}, not 78:\n{text}"
                )),
            }
        });
    let reset = lab
        .sql("node1", "ALTER SYSTEM RESET synchronous_standby_names")
        .and_then(|_| lab.sql("node1", "SELECT pg_reload_conf()"));
    let text = text?;
    reset?;
    if !text.contains("PG704  node1: synchronous_standby_names = '\"node2\"' comes from ")
        || !text.contains("postgresql.auto.conf:")
    {
        return Err(format!("no PG704 after {set}:\n{text}"));
    }
    Ok(format!(
        "verify --live: no live finding on the healthy pair in {}, planted PGSQL.lock on node2 -> PG707 in {}, ALTER SYSTEM synchronous_standby_names -> PG704",
        secs(d_live),
        secs(d_stale)
    ))
}

/// Waits until node1's server applied its reloaded configuration (pg_reload_conf only
/// signals).
fn wait_reloaded(lab: &Lab) -> Res<()> {
    let sql = "SELECT sourcefile FROM pg_settings WHERE name = 'synchronous_standby_names'";
    for _ in 0..50 {
        if lab.sql("node1", sql)?.ends_with("postgresql.auto.conf") {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(100));
    }
    Err("node1 did not apply ALTER SYSTEM synchronous_standby_names within 5 s".into())
}

fn drill_kill_standby(lab: &Lab) -> Res<String> {
    let t0 = Instant::now();
    lab.run(&["kill-pg", "node2"])?;
    let (mut t_disc, mut t_read) = (None, None);
    let mon = poll(
        Duration::from_secs(120),
        "node2 STOP/DISCONNECT, fail-count 1, read VIP on node1",
        || {
            let m = lab.mon("node1").ok()?;
            if m.attr("node2", "pgsql-data-status") == "DISCONNECT" && t_disc.is_none() {
                t_disc = Some(t0.elapsed());
            }
            if m.started_on("vip-slave") == "node1" && t_read.is_none() {
                t_read = Some(t0.elapsed());
            }
            let done = m.attr("node2", "pgsql-status") == "STOP"
                && m.attr("node2", "pgsql-data-status") == "DISCONNECT"
                && m.fails("node2") == 1
                && m.started_on("vip-slave") == "node1";
            done.then_some(m)
        },
    )?;
    let t_settled = t0.elapsed();
    if mon.attr("node1", "pgsql-status") != "PRI" || mon.started_on("vip-master") != "node1" {
        return Err(format!("node1 should stay the primary\n{}", mon.text));
    }
    let ro = lab.sql("read", "select pg_is_in_recovery()")?;
    if ro != "f" {
        return Err(format!(
            "read VIP should now reach node1 (the primary), pg_is_in_recovery = {ro}"
        ));
    }
    lab.sql("write", "insert into drill(what) values ('standby down')")?;
    let check = expect_check(
        lab,
        "node1",
        1,
        &[
            "standby-not-streaming: node2",
            "no-sync-standby",
            "fail-count: pgsql on node2",
        ],
    )?;
    // pgcrm's fail counts are crm_failcount's, per operation.
    let (code, fc, err) = pgcrm_in(
        lab,
        "node1",
        &["failcount", "show", "msPostgresql", "--output", "json"],
    )?;
    let theirs = lab.exec(
        "node1",
        &["crm_failcount", "-G", "-q", "-r", "pgsql", "-N", "node2"],
    )?;
    let v: serde_json::Value = serde_json::from_str(&fc)
        .map_err(|e| format!("failcount show ({code}): {e}: {fc}{err}"))?;
    let ours: Vec<String> = v["fail_counts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["node"] == "node2")
        .map(|e| format!("{} {}", e["operation"].as_str().unwrap_or("?"), e["count"]))
        .collect();
    if code != 0 || ours.len() != 1 || !ours[0].ends_with(&format!(" {}", theirs.trim())) {
        return Err(format!(
            "failcount show: {ours:?} (exit {code}), crm_failcount says {}",
            theirs.trim()
        ));
    }
    // runbook: restart the cluster stack on node2 (and clean up its failure, with pgcrm);
    // while it is stopped, node2 is an offline node
    let t1 = Instant::now();
    lab.run(&["stop-node", "node2"])?;
    let offline = poll(
        Duration::from_secs(30),
        "node2 offline in the check",
        || {
            expect_check(
                lab,
                "node1",
                1,
                &["node-offline: node node2 is OFFLINE", "nodes_online=1;"],
            )
            .ok()
        },
    )?;
    let (code, out, err) = pgcrm_in(
        lab,
        "node1",
        &["resource", "cleanup", "msPostgresql", "--node", "node2"],
    )?;
    if code != 0 || !out.contains("Cleaned up pgsql on node2") {
        return Err(format!("pgcrm resource cleanup exited {code}:\n{out}{err}"));
    }
    lab.run(&["start-node", "node2"])?;
    lab.wait_healthy(180)?;
    let t_back = t1.elapsed();
    let m = lab.mon("node1")?;
    m.check_healthy("node1", "node2")?;
    if m.fails("node2") != 0 {
        return Err(format!("fail-count of node2 should be cleared\n{}", m.text));
    }
    let opt = |d: Option<Duration>| d.map(secs).unwrap_or_else(|| "-".into());
    expect_check(lab, "node1", 0, &["node2 sync standby"])?;
    Ok(format!(
        "kill -9 → DISCONNECT {}, read VIP on node1 {}, STOP + fail-count 1 {} (pgcrm failcount = crm_failcount: {}); `{}` exit 1; stack stopped: `{}` exit 1; stack restart + pgcrm cleanup → HS:sync in {}, check OK again",
        opt(t_disc),
        opt(t_read),
        secs(t_settled),
        ours[0],
        check.split(" | ").next().unwrap_or(""),
        offline.split(" | ").next().unwrap_or(""),
        secs(t_back)
    ))
}

fn drill_kill_primary(lab: &Lab) -> Res<String> {
    let writer = lab.clone();
    let t0 = Instant::now();
    lab.run(&["kill-pg", "node1"])?;
    // a writer tries an insert through the write VIP until one commits
    let w = thread::spawn(move || -> Res<(Duration, u32)> {
        let mut tries = 0;
        loop {
            tries += 1;
            if writer
                .sql("write", "insert into drill(what) values ('after failover')")
                .is_ok()
            {
                return Ok((t0.elapsed(), tries));
            }
            if t0.elapsed() > Duration::from_secs(120) {
                return Err(format!(
                    "no write through the write VIP succeeded within 120 s ({tries} tries)"
                ));
            }
            thread::sleep(Duration::from_millis(100));
        }
    });
    let (mut t_prom, mut t_vip) = (None, None);
    let polled = poll(
        Duration::from_secs(120),
        "node2 promoted with the write VIP",
        || {
            let m = lab.mon("node2").ok()?;
            if m.promoted == ["node2"] && t_prom.is_none() {
                t_prom = Some(t0.elapsed());
            }
            if m.started_on("vip-master") == "node2" && t_vip.is_none() {
                t_vip = Some(t0.elapsed());
            }
            let done = t_prom.is_some()
                && t_vip.is_some()
                && m.started_on("vip-rep") == "node2"
                && m.attr("node2", "pgsql-status") == "PRI"
                && m.attr("node1", "pgsql-status") == "STOP"
                && m.fails("node1") == 1;
            done.then_some(m)
        },
    );
    let (t_write, tries) = w
        .join()
        .map_err(|_| "writer thread panicked".to_string())??;
    polled?;
    let rw = lab.sql("write", "select pg_is_in_recovery()")?;
    if rw != "f" {
        return Err(format!(
            "write VIP should reach a primary, pg_is_in_recovery = {rw}"
        ));
    }
    // after the failover: node2 is the one writable primary, node1 is down and has failed
    let check = expect_check(
        lab,
        "node2",
        1,
        &["fail-count: pgsql on node1", "no-sync-standby"],
    )?;
    if check.contains("role-mismatch") || check.contains("multiple-writable") {
        return Err(format!(
            "after the failover PostgreSQL and Pacemaker must agree: {check}"
        ));
    }
    let opt = |d: Option<Duration>| d.map(secs).unwrap_or_else(|| "-".into());
    Ok(format!(
        "kill -9 → node2 promoted {}, write VIP on node2 {}, first committed write through {WRITE_VIP} {} ({tries} tries); `{}` exit 1",
        opt(t_prom),
        opt(t_vip),
        secs(t_write),
        check.split(" | ").next().unwrap_or("")
    ))
}

/// The old primary is refused until rebuilt: after the failover, a cleanup lets Pacemaker
/// try node1 again; its start fails at once on PGSQL.lock (fail-count INFINITY, the reason in
/// the cluster log and, usually, in crm_mon's failed actions) and node1 stays stopped: no
/// second primary, no standby made of diverged data.
fn drill_lock_refusal(lab: &Lab) -> Res<String> {
    const REASON: &str = "PGSQL.lock file to force start";
    let refusals = || -> Res<usize> {
        let n = lab.exec(
            "node1",
            &[
                "sh",
                "-c",
                &format!("grep -c '{REASON}' /var/log/pacemaker/pacemaker.log || true"),
            ],
        )?;
        Ok(n.trim().parse().unwrap_or(0))
    };
    let before = refusals()?;
    let t0 = Instant::now();
    lab.exec(
        "node2",
        &[
            "crm_resource",
            "--cleanup",
            "-r",
            "msPostgresql",
            "-N",
            "node1",
        ],
    )?;
    // the cleanup resets node1's fail-count; the refused start sets it to INFINITY
    let m = poll(
        Duration::from_secs(60),
        "a failed start of pgsql on node1 (fail-count INFINITY)",
        || {
            let m = lab.mon("node2").ok()?;
            (m.fails("node1") >= 1_000_000 && refusals().ok()? > before).then_some(m)
        },
    )?;
    let took = t0.elapsed();
    // crm_mon shows the exit reason with the failed start, unless the cleanup's own deletion
    // of node1's history raced with the start's result and removed it (seen once in CI)
    let line = m
        .text
        .lines()
        .find(|l| l.contains("pgsql") && l.contains("start") && l.contains("node1"))
        .map(|l| l.trim().to_string());
    if let Some(l) = &line {
        if !l.contains("PGSQL.lock") {
            return Err(format!(
                "the failed start should name PGSQL.lock: {l}\n{}",
                m.text
            ));
        }
    }
    if m.promoted != ["node2"] || m.attr("node1", "pgsql-status") != "STOP" {
        return Err(format!(
            "node2 must stay the only primary and node1 STOP:\n{}",
            m.text
        ));
    }
    let running = lab
        .exec(
            "node1",
            &[
                "sh",
                "-c",
                // the killed server left its postmaster.pid: is that PID alive?
                "kill -0 \"$(head -n1 \"$PGDATA/postmaster.pid\" 2>/dev/null)\" 2>/dev/null && echo yes || echo no",
            ],
        )?
        .trim()
        .to_string();
    if running != "no" {
        return Err("PostgreSQL runs on node1 despite PGSQL.lock".into());
    }
    Ok(format!(
        "start refused in {}: {}",
        secs(took),
        line.unwrap_or_else(|| format!(
            "\"{REASON}\" in node1's pacemaker.log (crm_mon's entry was cleaned up)"
        ))
    ))
}

/// `env OCF_RESKEY_...=... pgcrm agent ACTION` as Pacemaker would run it for the lab's
/// `pgsql` resource: its instance parameters from the live CIB, then `extra` variables
/// (later ones win).
fn agent_cmd(lab: &Lab, extra: &[&str], action: &str) -> Res<Vec<String>> {
    let xml = lab.exec(
        "node1",
        &[
            "cibadmin",
            "-Q",
            "--xpath",
            "//primitive[@id='pgsql']/instance_attributes",
        ],
    )?;
    let ia = pgcrm::cib::Element::parse(xml.trim()).map_err(|e| format!("{e:?}: {xml}"))?;
    let mut cmd: Vec<String> = vec!["env".into()];
    for nv in ia.children_named("nvpair") {
        let (Some(k), Some(v)) = (nv.attr("name"), nv.attr("value")) else {
            continue;
        };
        cmd.push(format!("OCF_RESKEY_{k}={v}"));
    }
    cmd.extend(
        [
            "OCF_RESOURCE_INSTANCE=pgsql",
            "OCF_RESKEY_CRM_meta_promotable=true",
        ]
        .map(String::from),
    );
    cmd.extend(extra.iter().map(|e| e.to_string()));
    cmd.extend([PGCRM, "agent", action].map(String::from));
    Ok(cmd)
}

/// `promote` refuses a node whose timeline is older than one another node published: node2
/// (the primary) is made to publish timeline 99 as `pgsql-timeline`, then `pgcrm agent promote`
/// runs by hand in node1 (a streaming standby) with the resource's parameters from the CIB.
/// It must fail with the reason and leave node1 a standby; the primary's next monitor gives
/// node1 its promotion score back. (A real fork of timelines is tested on scratch servers
/// in tests/agent.rs; here the refusal path runs against the cluster's attrd.)
fn drill_timeline_refusal(lab: &Lab) -> Res<String> {
    let cmd = agent_cmd(
        lab,
        &[
            "OCF_RESKEY_CRM_meta_on_node=node1",
            "OCF_RESKEY_CRM_meta_timeout=30000",
        ],
        "promote",
    )?;
    let set = ["attrd_updater", "-n", "pgsql-timeline", "-N", "node2"];
    lab.exec("node1", &[&set[..], &["-U", "99"]].concat())?;
    poll(
        Duration::from_secs(10),
        "pgsql-timeline=99 on node2",
        || {
            lab.exec("node1", &[&set[..], &["-Q"]].concat())
                .ok()
                .filter(|o| o.contains("value=\"99\""))
        },
    )?;
    let t0 = Instant::now();
    let mut all = vec!["exec", "node1"];
    all.extend(cmd.iter().map(String::as_str));
    let o = lab
        .cmd(&all)
        .output()
        .map_err(|e| format!("cannot run {LAB}: {e}"))?;
    let took = t0.elapsed();
    let _ = lab.exec("node1", &[&set[..], &["-D"]].concat());
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let reason = err
        .lines()
        .filter_map(|l| l.strip_prefix("ocf-exit-reason:"))
        .next_back()
        .unwrap_or("")
        .to_string();
    if o.status.code() != Some(1) || !reason.contains("forked away from node2's newer timeline 99")
    {
        return Err(format!(
            "promote: expected exit 1 and the reason, got {:?}: {err}",
            o.status.code()
        ));
    }
    let in_recovery = lab.sql("node1", "select pg_is_in_recovery()")?;
    if in_recovery != "t" {
        return Err(format!(
            "node1 left recovery: pg_is_in_recovery = {in_recovery}"
        ));
    }
    // the refusal dropped node1's promotion score; the primary's next monitor restores it
    let t1 = Instant::now();
    let mut last = String::new();
    poll(
        Duration::from_secs(30),
        "node1 back to HS:sync with score 100",
        || {
            let r = lab
                .mon("node2")
                .and_then(|m| m.check_healthy("node2", "node1"));
            r.map_err(|e| last = e).ok()
        },
    )
    .map_err(|e| format!("{e}: {last}"))?;
    Ok(format!(
        "refused in {}: {reason}; node1 still a sync standby, score back in {}",
        secs(took),
        secs(t1.elapsed())
    ))
}

/// The 3-node pre-promote check is timeline-aware: a standby whose `master-baseline` is a
/// larger position on an older timeline than the promoted node's is not newer, so it does
/// not ban itself (the shell agent compares the strings and would). Run by hand in node1
/// (a standby) as Pacemaker's pre-promote notification for node2, with a 3-name node_list
/// (the check is for 3 nodes or more) and crafted `pgsql-master-baseline`/`pgsql-timeline`
/// values in attrd: node2 0000000003000000 on timeline 5, node1 00000000FF000000 on 4. It
/// must succeed, say why, and leave no `cli-ban`; the attributes are restored after. (The
/// ban itself, for a standby on a newer timeline, is in the unit decision table: here it
/// would stop node1's PostgreSQL.)
fn drill_pre_promote_timeline(lab: &Lab) -> Res<String> {
    let cmd = agent_cmd(
        lab,
        &[
            "OCF_RESKEY_node_list=node1 node2 node3",
            "OCF_RESKEY_CRM_meta_on_node=node1",
            "OCF_RESKEY_CRM_meta_timeout=30000",
            "OCF_RESKEY_CRM_meta_notify_type=pre",
            "OCF_RESKEY_CRM_meta_notify_operation=promote",
            "OCF_RESKEY_CRM_meta_notify_promote_uname=node2",
        ],
        "notify",
    )?;
    let attr = |name: &str, node: &str| -> Vec<String> {
        ["attrd_updater", "-n", name, "-N", node]
            .map(String::from)
            .to_vec()
    };
    let query = |name: &str, node: &str| -> Option<String> {
        let mut q = attr(name, node);
        q.push("-Q".into());
        let out = lab
            .exec("node1", &q.iter().map(String::as_str).collect::<Vec<_>>())
            .ok()?;
        out.split("value=\"")
            .nth(1)?
            .split('"')
            .next()
            .map(String::from)
    };
    let update = |name: &str, node: &str, value: Option<&str>| -> Res<()> {
        let mut u = attr(name, node);
        match value {
            Some(v) => u.extend(["-U".to_string(), v.to_string()]),
            None => u.push("-D".into()),
        }
        lab.exec("node1", &u.iter().map(String::as_str).collect::<Vec<_>>())
            .map(|_| ())
    };
    let crafted = [
        ("pgsql-master-baseline", "node2", "0000000003000000"),
        ("pgsql-timeline", "node2", "5"),
        ("pgsql-master-baseline", "node1", "00000000FF000000"),
        ("pgsql-timeline", "node1", "4"),
    ];
    let saved: Vec<Option<String>> = crafted.iter().map(|(n, node, _)| query(n, node)).collect();
    let run = || -> Res<String> {
        for (name, node, value) in crafted {
            update(name, node, Some(value))?;
        }
        poll(
            Duration::from_secs(10),
            "the crafted attributes in attrd",
            || {
                crafted
                    .iter()
                    .all(|(n, node, v)| query(n, node).as_deref() == Some(*v))
                    .then_some(())
            },
        )?;
        let mut all = vec!["exec", "node1"];
        all.extend(cmd.iter().map(String::as_str));
        let t0 = Instant::now();
        let o = lab
            .cmd(&all)
            .output()
            .map_err(|e| format!("cannot run {LAB}: {e}"))?;
        let took = t0.elapsed();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        let why = "00000000FF000000 on timeline 4 is larger than node2's 0000000003000000 on timeline 5 but on an older timeline: not newer";
        if o.status.code() != Some(0) || !err.contains(why) {
            return Err(format!(
                "pre-promote notify: expected exit 0 and \"{why}\", got {:?}: {err}",
                o.status.code()
            ));
        }
        let bans = lab.exec("node1", &["cibadmin", "-Q", "-o", "constraints"])?;
        if bans.contains("cli-ban") {
            return Err(format!("a ban was written: {bans}"));
        }
        Ok(format!("not banned ({}): {why}", secs(took)))
    };
    let result = run();
    for ((name, node, _), old) in crafted.iter().zip(&saved) {
        let _ = update(name, node, old.as_deref());
    }
    result
}

/// Runbook 5.3 with one command: `pgcrm rebuild-standby node1 --yes` inside node1 brings the
/// old primary back as HS:sync with no other command. Refused on the primary (exit 107,
/// nothing changed) and while an operator's cli-ban keeps node1 off (107, the ban kept). The
/// lab keeps `wal_log_hints = on`, so `--method auto` plans pg_rewind: the old primary is
/// rewound in place after the failover. Then node1's PostgreSQL is killed
/// again (a broken standby) and rebuilt with `--method basebackup`: interrupted during the
/// copy (SIGTERM) and run again from node2 with `--ssh` (refused there without it), the
/// lab's exec as the remote shell, it finishes; the old data directory is kept; the timings
/// are printed.
fn drill_rebuild(lab: &Lab) -> Res<String> {
    let (code, out, err) = pgcrm_in(lab, "node2", &["rebuild-standby", "node2", "--yes"])?;
    if code != 107 || !out.is_empty() || !err.contains("runs the primary") {
        return Err(format!(
            "on the primary: expected exit 107 and one line, got {code}: {out}{err}"
        ));
    }
    // an operator's own ban of node1 is never lifted by the command: refused, nothing changed
    let ban = ["crm_resource", "-r", "msPostgresql", "-N", "node1"];
    lab.exec("node2", &[&ban[..], &["--ban"]].concat())?;
    let (code, out, err) = pgcrm_in(lab, "node1", &["rebuild-standby", "node1", "--yes"])?;
    let still = lab.exec("node2", &["cibadmin", "-Q", "-o", "constraints"])?;
    lab.exec("node2", &[&ban[..], &["--clear"]].concat())?;
    if code != 107
        || !out.is_empty()
        || !err.contains("which rebuild-standby did not make")
        || !err.contains("pgcrm resource clear msPostgresql --node node1")
        || !still.contains("cli-ban-msPostgresql-on-node1")
    {
        return Err(format!(
            "an operator's ban: expected exit 107 and the fix, the ban kept; got {code}: {out}{err}"
        ));
    }
    let (code, out, err) = pgcrm_in(lab, "node1", &["rebuild-standby", "node1", "--dry-run"])?;
    if code != 0
        || !out.contains(&format!("source:   node2, copied through {REP_VIP}"))
        || !out.contains("method:   rewind (")
        || !out.contains(" of WAL from the primary, about ")
        || !out.contains("Dry run")
    {
        return Err(format!(
            "--dry-run: --method auto should plan pg_rewind (wal_log_hints = on): exit {code}: {out}{err}"
        ));
    }
    let copy_line = out
        .lines()
        .find(|l| l.trim_start().starts_with("copy:"))
        .unwrap_or("")
        .trim()
        .to_string();
    // the failed old primary, rewound in place
    let t0 = Instant::now();
    let (code, out, err) = pgcrm_in(
        lab,
        "node1",
        &["rebuild-standby", "node1", "--yes", "--method", "rewind"],
    )?;
    let took_rewind = t0.elapsed();
    if code != 0 || !out.contains("node1 is HS:sync after") || !out.contains("copy: pg_rewind") {
        return Err(format!("--method rewind: exit {code}: {out}{err}"));
    }
    lab.mon("node2")?.check_healthy("node2", "node1")?;
    let timings = |out: &str| {
        out.lines()
            .find(|l| l.starts_with("Timings:"))
            .unwrap_or("")
            .to_string()
    };
    let rewind_timings = timings(&out);
    // a broken standby: its PostgreSQL killed, Pacemaker keeps it stopped (fail count)
    lab.run(&["kill-pg", "node1"])?;
    poll(
        Duration::from_secs(60),
        "node1's pgsql STOP with a fail count",
        || {
            let m = lab.mon("node2").ok()?;
            (m.attr("node1", "pgsql-status") == "STOP" && m.fails("node1") >= 1).then_some(())
        },
    )?;
    // interrupted halfway: the copy is slowed down so that SIGTERM lands during it
    let interrupted = format!(
        "{PGCRM} rebuild-standby node1 --yes --method basebackup --max-rate 2M >/dev/null 2>&1 & p=$!; sleep 3; kill -TERM $p; wait $p; \
         test -d \"$PGDATA.pgcrm-new\" && test ! -e \"$PGDATA.pgcrm-new/pgcrm-rebuild.done\""
    );
    lab.exec("node1", &["sh", "-c", &interrupted])
        .map_err(|e| format!("the interrupted run should leave an incomplete copy: {e}"))?;
    // the re-run from node2: refused without --ssh (one line naming node1 and the flag), then
    // with --ssh its data steps run on node1 through the lab's exec as the remote shell
    let (code, out, err) = pgcrm_in(lab, "node2", &["rebuild-standby", "node1", "--yes"])?;
    if code != 64 || !out.is_empty() || err.lines().count() != 1 || !err.contains("--ssh") {
        return Err(format!(
            "on node2 without --ssh: expected exit 64 and one line, got {code}: {out}{err}"
        ));
    }
    let rsh = format!("{LAB} exec");
    let t0 = Instant::now();
    let (code, out, err) = pgcrm_in(
        lab,
        "node2",
        &[
            "rebuild-standby",
            "node1",
            "--yes",
            "--method",
            "basebackup",
            "--ssh",
            "--rsh",
            &rsh,
        ],
    )?;
    let took = t0.elapsed();
    if code != 0 || !out.contains("node1 is HS:sync after") || !out.contains("copy: pg_basebackup")
    {
        return Err(format!("the re-run: exit {code}: {out}{err}"));
    }
    let kept = out
        .split("kept in ")
        .nth(1)
        .map(|s| s.trim().to_string())
        .ok_or_else(|| format!("the old data directory should be kept: {out}"))?;
    lab.exec("node1", &["test", "-f", &format!("{kept}/PG_VERSION")])
        .map_err(|_| format!("{kept} should hold the old data"))?;
    // healthy with no other command
    lab.mon("node2")?.check_healthy("node2", "node1")?;
    let rows = poll(
        Duration::from_secs(10),
        "all rows on the rebuilt standby",
        || {
            lab.sql("read", "select count(*) from drill")
                .ok()
                .filter(|n| n == "3")
        },
    )?;
    Ok(format!(
        "refused on the primary (107) and with an operator's ban (107, kept); auto plans rewind ({copy_line}); pg_rewind after the failover: node1 HS:sync after {} ({rewind_timings}); \
         killed again, pg_basebackup interrupted during the copy, re-run from node2 with --ssh (lab exec as the remote shell): HS:sync after {} ({}); old data kept; {rows} rows via read VIP",
        secs(took_rewind),
        secs(took),
        timings(&out)
    ))
}

// ------------------------------------------------------------------------------------------
// leftovers
// ------------------------------------------------------------------------------------------

/// Network namespace inodes of the lab's PID 1s (to find anything still living in them).
fn lab_netns(root: &str) -> Vec<String> {
    let mut v = Vec::new();
    for name in ["hub", "node1", "node2"] {
        if let Ok(pid) = std::fs::read_to_string(format!("{root}/state/{name}.pid")) {
            if let Ok(ns) = std::fs::read_link(format!("/proc/{}/ns/net", pid.trim())) {
                v.push(ns.to_string_lossy().into_owned());
            }
        }
    }
    v
}

fn host_links() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/sys/class/net")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn check_nothing_left(root: &str, netns: &[String], links_before: &[String]) -> Res<String> {
    let mut problems = Vec::new();
    if Path::new(root).exists() {
        problems.push(format!("{root} still exists"));
    }
    // (pid, cmdline, net namespace) of every live process
    let mut procs = Vec::new();
    for entry in std::fs::read_dir("/proc")
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        if status
            .lines()
            .any(|l| l.starts_with("State:") && l.contains("Z"))
        {
            continue; // a zombie holds nothing; the host's PID 1 reaps it
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let ns = std::fs::read_link(format!("/proc/{pid}/ns/net"))
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        procs.push((pid, cmdline, ns));
    }
    // The kernel reuses namespace ids: a namespace with one of our old ids whose lab init
    // belongs to another checkout (another developer's lab on this machine) is not ours.
    let ours = env!("CARGO_MANIFEST_DIR");
    let foreign = |ns: &str| {
        procs.iter().any(|(_, cmd, n)| {
            n == ns && cmd.contains("tests/lab/pgcrm-lab _init") && !cmd.contains(ours)
        })
    };
    for (pid, cmdline, ns) in &procs {
        if cmdline.contains(root) || (netns.contains(ns) && !foreign(ns)) {
            problems.push(format!("process {pid} left: {cmdline}"));
        }
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    if let Some(m) = mounts.lines().find(|l| l.contains(root)) {
        problems.push(format!("mount left: {m}"));
    }
    let links = host_links();
    if links != links_before {
        problems.push(format!(
            "host interfaces changed: {links_before:?} -> {links:?}"
        ));
    }
    if problems.is_empty() {
        Ok(format!(
            "no process, namespace, mount, interface or file of the lab left ({} netns checked)",
            netns.len()
        ))
    } else {
        Err(problems.join("\n"))
    }
}

const PGCRM: &str = env!("CARGO_BIN_EXE_pgcrm");

/// Runs pgcrm inside a node: (exit code, stdout, stderr).
fn pgcrm_in(lab: &Lab, node: &str, args: &[&str]) -> Res<(i32, String, String)> {
    let mut all = vec!["exec", node, PGCRM];
    all.extend_from_slice(args);
    let o = lab
        .cmd(&all)
        .output()
        .map_err(|e| format!("cannot run {LAB}: {e}"))?;
    Ok((
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    ))
}

/// `pgcrm node standby` / `online` on the standby's node (node1, after the rebuild): the
/// primary's node is refused without --yes (saying where the primary would go); the standby's
/// node empties under --wait, comes back under --wait, and streams in sync again.
fn drill_standby_online(lab: &Lab) -> Res<String> {
    let (code, out, err) = pgcrm_in(lab, "node1", &["node", "standby", "node2"])?;
    if code != 64 || !out.is_empty() || !err.contains("standby moves it to node1") {
        return Err(format!(
            "standby of the primary's node without --yes: expected 64 and where it moves, got {code}: {out}{err}"
        ));
    }
    let t0 = Instant::now();
    let (code, out, err) = pgcrm_in(lab, "node2", &["node", "standby", "node1", "--wait=90s"])?;
    let t_standby = t0.elapsed();
    if code != 0
        || !out.contains("no resource active on node1 (")
        || !out.contains("stop pgsql on node1 ok")
    {
        return Err(format!(
            "node standby node1 --wait exited {code}:\n{out}{err}"
        ));
    }
    let m = lab.mon("node2")?;
    if !m.text.contains("Node node1: standby") || m.promoted != ["node2"] {
        return Err(format!(
            "node1 should be in standby, node2 Promoted\n{}",
            m.text
        ));
    }
    let (_, list, _) = pgcrm_in(lab, "node2", &["node", "list"])?;
    if !list
        .lines()
        .any(|l| l.contains("node1") && l.contains("standby"))
    {
        return Err(format!("node list should say node1 standby:\n{list}"));
    }
    let t1 = Instant::now();
    let (code, out, err) = pgcrm_in(lab, "node2", &["node", "online", "node1", "--wait=90s"])?;
    if code != 0 || !out.contains("Taking node1 out of standby (lifetime forever)") {
        return Err(format!(
            "node online node1 --wait exited {code}:\n{out}{err}"
        ));
    }
    lab.wait_healthy(120)?;
    let t_back = t1.elapsed();
    lab.mon("node2")?.check_healthy("node2", "node1")?;
    Ok(format!(
        "standby node1 --wait {} (primary's node refused without --yes); online --wait + HS:sync {}",
        secs(t_standby),
        secs(t_back)
    ))
}

/// The runbook's planned switchover with `pgcrm resource move --wait`: refused without
/// --yes when stdin is not a terminal; then node1 (the rebuilt standby) becomes Promoted,
/// the VIPs follow, the old primary node2 is left stopped (PGSQL.lock, as the runbook says),
/// and the move's constraints are gone.
fn drill_switchover(lab: &Lab) -> Res<String> {
    let (code, out, err) = pgcrm_in(
        lab,
        "node2",
        &["resource", "move", "msPostgresql", "--to", "node1"],
    )?;
    if code != 64 || !out.is_empty() || !err.contains("--yes") {
        return Err(format!(
            "without --yes: expected exit 64 and one line, got {code}: {out}{err}"
        ));
    }
    let t0 = Instant::now();
    let (code, out, err) = pgcrm_in(
        lab,
        "node2",
        &[
            "resource",
            "move",
            "msPostgresql",
            "--to",
            "node1",
            "--yes",
            "--wait=3m",
        ],
    )?;
    let took = t0.elapsed();
    if code != 0 {
        return Err(format!("move --wait exited {code}:\n{out}{err}"));
    }
    for needle in [
        "Creating cli-prefer-msPostgresql: msPostgresql Promoted on node1",
        "demote pgsql on node2 ok",
        "promote pgsql on node1 ok",
        "msPostgresql Promoted on node1 (",
        "Removing cli-prefer-msPostgresql",
        "Removing cli-ban-msPostgresql-on-node2",
    ] {
        if !out.contains(needle) {
            return Err(format!("move output lacks {needle:?}:\n{out}{err}"));
        }
    }
    let m = lab.mon("node1")?;
    for (what, got, exp) in [
        ("Promoted", m.promoted.join(" "), "node1"),
        (
            "vip-master",
            m.started_on("vip-master").to_string(),
            "node1",
        ),
        ("vip-rep", m.started_on("vip-rep").to_string(), "node1"),
        (
            "node1 pgsql-status",
            m.attr("node1", "pgsql-status").to_string(),
            "PRI",
        ),
        (
            "node2 pgsql-status",
            m.attr("node2", "pgsql-status").to_string(),
            "STOP",
        ),
    ] {
        if got != exp {
            return Err(format!("{what}: expected {exp}, got {got}\n{}", m.text));
        }
    }
    let (code, cons, err) = pgcrm_in(lab, "node1", &["resource", "constraints"])?;
    if code != 0 || cons != "No cli-* constraints\n" {
        return Err(format!("constraints left ({code}): {cons}{err}"));
    }
    lab.sql(
        "write",
        "insert into drill(what) values ('after switchover')",
    )?;
    let actions = out.lines().filter(|l| l.starts_with("  ")).count();
    Ok(format!(
        "node1 Promoted, VIPs on node1, node2 STOP, constraints cleared; {actions} actions in {}",
        secs(took)
    ))
}

fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

fn main() {
    const DRILLS: usize = 30;
    if std::env::var("PGCRM_SKIP_LAB").as_deref() == Ok("1") {
        println!("lab drills skipped: PGCRM_SKIP_LAB=1");
        println!("0 passed, 0 failed, {DRILLS} skipped");
        return;
    }
    if effective_uid() != Some(0) {
        println!("lab drills skipped: the lab needs root (namespaces, veths, mounts); run as root or set PGCRM_SKIP_LAB=1");
        println!("0 passed, 0 failed, {DRILLS} skipped");
        return;
    }
    let root = std::env::var("PGCRM_LAB_ROOT").unwrap_or_else(|_| default_lab_root());
    // Both agents by default: the shell agent with every drill, then pgcrm's agent with
    // ocf-tester, the two kill drills (one failover), the refusal of the old primary and its
    // rebuild and the timeline check of promote, without the status, live-client and
    // switchover drills, to keep CI's lab time modest. PGCRM_LAB_AGENTS=heartbeat or =pgcrm
    // runs one.
    let agents = std::env::var("PGCRM_LAB_AGENTS").unwrap_or_else(|_| "heartbeat,pgcrm".into());
    // PGCRM_DRILLS=name,name runs only those drills against the lab already up at
    // PGCRM_LAB_ROOT and keeps it (for working on a drill); the normal run takes all.
    let only: Option<Vec<String>> = std::env::var("PGCRM_DRILLS")
        .ok()
        .map(|v| v.split(',').map(String::from).collect());
    let links_before = host_links();
    let t_all = Instant::now();
    let (mut passed, mut failed) = (0, 0);
    let mut report = |name: &str, r: Res<String>| match r {
        Ok(msg) => {
            passed += 1;
            println!("drill {name}: ok: {msg}");
        }
        Err(e) => {
            failed += 1;
            println!("drill {name}: FAILED: {e}");
        }
    };
    for agent in agents.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        let lab = Lab {
            root: root.clone(),
            agent: agent.to_string(),
        };
        let drills: &[(&str, Drill)] = if agent == "pgcrm" {
            &[
                ("up", drill_up),
                ("healthy", drill_healthy),
                ("config-roundtrip", drill_config_roundtrip),
                ("ocf-tester", drill_ocf_tester),
                ("kill-standby", drill_kill_standby),
                ("kill-primary", drill_kill_primary),
                ("lock-refusal", drill_lock_refusal),
                ("rebuild-old-primary", drill_rebuild),
                ("timeline-refusal", drill_timeline_refusal),
                ("pre-promote-timeline", drill_pre_promote_timeline),
            ]
        } else {
            &[
                ("up", drill_up),
                ("healthy", drill_healthy),
                ("runbook-commands", runbook_cmds::drill_runbook_commands),
                ("node-delete", node_delete::drill_node_delete),
                ("watch", pg_states::drill_watch),
                ("replay-lag", pg_states::drill_replay_lag),
                ("verify-live", drill_verify_live),
                ("config-roundtrip", drill_config_roundtrip),
                ("live-status", live::drill_live_status),
                ("ipc-client", live::drill_ipc_client),
                ("live-errors", live::drill_live_errors),
                ("daemon-death", live::drill_daemon_death),
                ("kill-standby", drill_kill_standby),
                ("kill-primary", drill_kill_primary),
                ("two-primaries", pg_states::drill_two_primaries),
                ("rebuild-old-primary", drill_rebuild),
                ("standby-online", drill_standby_online),
                ("switchover", drill_switchover),
            ]
        };
        let mut netns = Vec::new();
        {
            let _guard = Guard(only.is_none().then(|| lab.clone()));
            let mut broken = false;
            for &(name, drill) in drills {
                if only.as_ref().is_some_and(|o| !o.iter().any(|n| n == name)) {
                    continue;
                }
                let label = format!("{agent}/{name}");
                if broken {
                    report(&label, Err("not run: an earlier drill failed".into()));
                    continue;
                }
                let t0 = Instant::now();
                let r = std::panic::catch_unwind(|| drill(&lab))
                    .unwrap_or_else(|_| Err("panicked".into()))
                    .map(|msg| format!("{msg} [drill {}]", secs(t0.elapsed())));
                if name == "up" {
                    netns = lab_netns(&root);
                }
                broken = r.is_err();
                report(&label, r);
            }
            if broken {
                let _ = Command::new(LAB)
                    .args(["status"])
                    .env("PGCRM_LAB_ROOT", &root)
                    .stdin(Stdio::null())
                    .status();
            }
        } // the guard brings the lab down here
        if only.is_some() {
            println!("lab drills: {passed} passed, {failed} failed; lab kept at {root}");
            std::process::exit(i32::from(failed > 0));
        }
        report(
            &format!("{agent}/nothing-left-behind"),
            check_nothing_left(&root, &netns, &links_before),
        );
    }
    println!("lab drills: total {}", secs(t_all.elapsed()));
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

/// `/var/tmp/pgcrm-lab-drills-<hash of this checkout's path>`: two checkouts on one machine
/// (CI beside a developer, or several work trees) never share, and so never tear down, a lab.
fn default_lab_root() -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_MANIFEST_DIR").hash(&mut h);
    format!("/var/tmp/pgcrm-lab-drills-{:08x}", h.finish() as u32)
}
