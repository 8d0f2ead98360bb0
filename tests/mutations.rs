//! The commands that change the cluster, offline on copies of the fixture CIBs, checked with
//! Pacemaker's own tools as oracles (`crm_resource --constraints`, `crm_simulate`,
//! `crm_verify`, `cibadmin -Q`): what pgcrm writes is what they read, and the traps of
//! crm_resource (silent no-op moves, silently replaced constraints) are refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cib.xml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cib")
            .join(name),
        &path,
    )
    .unwrap();
    (dir, path)
}

fn pgcrm(file: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pgcrm"))
        .args(args)
        .arg("--cib-file")
        .arg(file)
        .env_remove("CIB_file")
        .env("TZ", "UTC")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run pgcrm")
}

/// A Pacemaker tool on the file (CIB_file), its stdout + stderr.
fn oracle(file: &Path, tool: &str, args: &[&str]) -> (i32, String) {
    let o = Command::new(tool)
        .args(args)
        .env("CIB_file", file)
        .output()
        .unwrap_or_else(|e| panic!("{tool} is needed by this test: {e}"));
    let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&o.stderr));
    (o.status.code().unwrap_or(-1), text)
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn epoch(file: &Path) -> u64 {
    let text = std::fs::read_to_string(file).unwrap();
    let root = text.split('>').next().unwrap().to_string();
    let at = root.find(" epoch=\"").unwrap() + 8;
    root[at..].split('"').next().unwrap().parse().unwrap()
}

/// Exit code, one line on stderr containing `needle`, file unchanged.
fn assert_refused(o: &Output, code: i32, needle: &str, file: &Path, before: &str) {
    assert_eq!(o.status.code(), Some(code), "stderr: {}", err(o));
    assert_eq!(err(o).lines().count(), 1, "one line: {:?}", err(o));
    assert!(
        err(o).contains(needle),
        "{:?} should say {needle:?}",
        err(o)
    );
    assert_eq!(
        std::fs::read_to_string(file).unwrap(),
        before,
        "nothing changed"
    );
}

#[test]
fn move_of_a_promotable_clone_moves_the_primary() {
    let (_d, f) = fixture("runbook-healthy.xml");
    let e0 = epoch(&f);
    let o = pgcrm(
        &f,
        &["resource", "move", "msPostgresql", "--to", "node2", "--yes"],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("Creating cli-prefer-msPostgresql: msPostgresql Promoted on node2"));
    assert_eq!(
        epoch(&f),
        e0 + 1,
        "one configuration change bumps epoch once"
    );
    // What Pacemaker reads: the Promoted preference, and the scheduler promotes node2.
    let (_, cons) = oracle(&f, "crm_resource", &["--constraints", "-r", "msPostgresql"]);
    assert!(
        cons.contains("Node node2 (score=INFINITY, id=cli-prefer-msPostgresql"),
        "{cons}"
    );
    let (rc, sim) = oracle(&f, "crm_simulate", &["-x", f.to_str().unwrap(), "-S"]);
    assert_eq!(rc, 0, "{sim}");
    // (The runbook's resource-stickiness=INFINITY: without the ban of node1's Promoted role
    // that pgcrm adds, the preference alone is a tie and nothing moves.)
    assert!(
        out(&o).contains("Creating cli-ban-msPostgresql-on-node1"),
        "{}",
        out(&o)
    );
    for (verb, node) in [("Promote", "node2"), ("Demote", "node1")] {
        assert!(
            sim.lines().any(|l| l.contains(verb) && l.contains(node)),
            "crm_simulate should {verb} on {node}:\n{sim}"
        );
    }
    let (rc, v) = oracle(&f, "crm_verify", &["-x", f.to_str().unwrap()]);
    assert_eq!(rc, 0, "{v}");
    // Pacemaker's --clear understands the constraint pgcrm wrote.
    let (rc, _) = oracle(&f, "crm_resource", &["--clear", "-r", "msPostgresql"]);
    assert_eq!(rc, 0);
    let o = pgcrm(&f, &["resource", "constraints"]);
    assert_eq!(out(&o), "No cli-* constraints\n");
}

#[test]
fn an_existing_cli_constraint_is_never_replaced() {
    let (_d, f) = fixture("runbook-healthy.xml");
    let o = pgcrm(
        &f,
        &[
            "resource",
            "move",
            "msPostgresql",
            "--to",
            "node2",
            "-u",
            "PT5M",
            "--yes",
        ],
    );
    assert!(o.status.success(), "{}", err(&o));
    let before = std::fs::read_to_string(&f).unwrap();
    // Lifetimes are date_expression rules, with crm_resource's ids.
    for needle in [
        r#"<rule id="cli-prefer-rule-msPostgresql" score="INFINITY" boolean-op="and">"#,
        r##"<expression id="cli-prefer-expr-msPostgresql" attribute="#uname" operation="eq" value="node2" type="string"/>"##,
        r#"<date_expression id="cli-prefer-lifetime-end-msPostgresql" operation="lt" end=""#,
    ] {
        assert!(before.contains(needle), "missing {needle}");
    }
    // The trap: crm_resource silently makes the second move permanent.
    let o = pgcrm(
        &f,
        &["resource", "move", "msPostgresql", "--to", "node2", "--yes"],
    );
    assert_refused(&o, 108, "not replaced silently", &f, &before);
    let o = pgcrm(&f, &["resource", "constraints", "--output", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["constraints"][0]["id"], "cli-prefer-msPostgresql");
    assert_eq!(v["constraints"][0]["role"], "Promoted");
    assert_eq!(v["constraints"][0]["expired"], false);
}

#[test]
fn expired_constraints_are_listed_and_cleared_alone() {
    let (_d, f) = fixture("runbook-healthy.xml");
    pgcrm(
        &f,
        &[
            "resource",
            "ban",
            "vip-slave",
            "node1",
            "-u",
            "PT5M",
            "--yes",
        ],
    );
    pgcrm(&f, &["resource", "ban", "vip-slave", "node2", "--yes"]);
    // Age the first one.
    let text = std::fs::read_to_string(&f).unwrap();
    let at = text.find("operation=\"lt\" end=\"").unwrap() + 20;
    let end = &text[at..at + 20];
    std::fs::write(&f, text.replace(end, "2000-01-01 00:00:00Z")).unwrap();
    let o = pgcrm(&f, &["resource", "constraints"]);
    let listing = out(&o);
    assert!(
        listing.contains("cli-ban-vip-slave-on-node1") && listing.contains("expired but present"),
        "{listing}"
    );
    let o = pgcrm(&f, &["resource", "clear", "vip-slave", "--expired"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o).lines().count(), 1, "{}", out(&o));
    assert!(out(&o).contains("Removing cli-ban-vip-slave-on-node1"));
    let (_, cons) = oracle(&f, "crm_resource", &["--constraints", "-r", "vip-slave"]);
    assert!(
        cons.contains("cli-ban-vip-slave-on-node2") && !cons.contains("on-node1"),
        "{cons}"
    );
}

#[test]
fn dry_run_prints_the_diff_and_changes_nothing() {
    let (_d, f) = fixture("runbook-healthy.xml");
    let before = std::fs::read_to_string(&f).unwrap();
    let o = pgcrm(&f, &["resource", "stop", "vip-slave", "--dry-run"]);
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    assert!(
        text.contains("Dry run: Setting target-role=Stopped on vip-slave"),
        "{text}"
    );
    assert!(text.contains("+++ "), "{text}");
    assert!(text.contains(r#"+          <nvpair id="vip-slave-meta_attributes-target-role" name="target-role" value="Stopped"/>"#)
        || text.contains(r#"name="target-role" value="Stopped""#), "{text}");
    assert_eq!(std::fs::read_to_string(&f).unwrap(), before);
}

#[test]
fn risky_changes_need_yes_without_a_terminal() {
    let (_d, f) = fixture("runbook-healthy.xml");
    let before = std::fs::read_to_string(&f).unwrap();
    let o = pgcrm(&f, &["resource", "move", "msPostgresql", "--to", "node2"]);
    assert_refused(&o, 64, "pass --yes", &f, &before);
    let o = pgcrm(
        &f,
        &[
            "resource",
            "ban",
            "msPostgresql",
            "node1",
            "--role",
            "promoted",
        ],
    );
    assert_refused(&o, 64, "runs the primary", &f, &before);
}

#[test]
fn bad_names_and_values_are_refused_with_suggestions() {
    let (_d, f) = fixture("runbook-healthy.xml");
    let before = std::fs::read_to_string(&f).unwrap();
    let o = pgcrm(
        &f,
        &["resource", "move", "msPostgresq", "--to", "node2", "--yes"],
    );
    assert_refused(&o, 105, "did you mean 'msPostgresql'", &f, &before);
    let o = pgcrm(
        &f,
        &["resource", "move", "msPostgresql", "--to", "node9", "--yes"],
    );
    assert_refused(&o, 105, "node 'node9' not found", &f, &before);
    let o = pgcrm(
        &f,
        &["resource", "move", "vip-master", "--to", "node2", "--yes"],
    );
    assert_refused(&o, 64, "inside group 'master-group'", &f, &before);
    let o = pgcrm(&f, &["resource", "move", "pgsql", "--to", "node2", "--yes"]);
    assert_refused(&o, 64, "use 'msPostgresql'", &f, &before);
    let o = pgcrm(
        &f,
        &[
            "resource",
            "ban",
            "vip-slave",
            "node1",
            "-u",
            "soon",
            "--yes",
        ],
    );
    assert_refused(&o, 64, "lifetime 'soon' does not parse", &f, &before);
    let o = pgcrm(&f, &["resource", "ban", "vip-slave", "node1", "--wait"]);
    assert_refused(&o, 3, "--wait needs the live cluster", &f, &before);
}

#[test]
fn the_target_is_checked_before_a_switchover() {
    let (_d, f) = fixture("runbook-node2-standby.xml");
    let before = std::fs::read_to_string(&f).unwrap();
    let o = pgcrm(
        &f,
        &["resource", "move", "msPostgresql", "--to", "node2", "--yes"],
    );
    assert_refused(&o, 107, "node2 is in standby", &f, &before);
    let o = pgcrm(
        &f,
        &[
            "resource",
            "move",
            "msPostgresql",
            "--to",
            "node2",
            "--yes",
            "--force",
        ],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(err(&o).contains("--force: moving despite: node2 is in standby"));
}

#[test]
fn stop_start_unmanage_manage_write_the_meta_attributes() {
    let (_d, f) = fixture("runbook-healthy.xml");
    for (cmd, xpath_value) in [
        ("stop", Some("Stopped")),
        ("start", None),
        ("unmanage", Some("false")),
        ("manage", None),
    ] {
        let o = pgcrm(&f, &["resource", cmd, "vip-master"]);
        assert!(o.status.success(), "{cmd}: {}", err(&o));
        let name = if cmd.contains("manage") {
            "is-managed"
        } else {
            "target-role"
        };
        let (rc, v) = oracle(
            &f,
            "crm_resource",
            &["-r", "vip-master", "--meta", "-g", name, "--quiet"],
        );
        match xpath_value {
            Some(val) => assert_eq!(v.trim(), val, "{cmd}: rc {rc}"),
            None => assert!(
                v.contains("not found"),
                "{cmd}: {name} should be gone: rc {rc} {v}"
            ),
        }
    }
    let (rc, v) = oracle(&f, "crm_verify", &["-x", f.to_str().unwrap()]);
    assert_eq!(rc, 0, "{v}");
}

#[test]
fn list_and_locate_match_crm_resource() {
    let (_d, f) = fixture("runbook-healthy.xml");
    let o = pgcrm(&f, &["resource", "locate", "msPostgresql"]);
    assert_eq!(
        out(&o),
        "resource msPostgresql is running on: node1 Promoted\nresource msPostgresql is running on: node2\n"
    );
    let (_, w) = oracle(&f, "crm_resource", &["--locate", "-r", "msPostgresql"]);
    assert!(w.contains("node1 Promoted") && w.contains("node2"), "{w}");
    // The list is crm_mon's (crm_resource --list leaves the node out on a file).
    let o = pgcrm(&f, &["resource", "list"]);
    let (_, l) = oracle(&f, "crm_mon", &["-1", "-r"]);
    for line in out(&o).lines() {
        assert!(l.contains(line), "crm_mon -1 -r lacks {line:?}:\n{l}");
    }
}

fn num_updates(file: &Path) -> u64 {
    let text = std::fs::read_to_string(file).unwrap();
    let root = text.split('>').next().unwrap().to_string();
    let at = root.find(" num_updates=\"").unwrap() + 14;
    root[at..].split('"').next().unwrap().parse().unwrap()
}

/// `crm_failcount -G -q` (the sum, or one operation's).
fn crm_failcount(file: &Path, rsc: &str, node: &str, op: Option<(&str, &str)>) -> String {
    let mut args = vec!["-G", "-q", "-r", rsc, "-N", node];
    if let Some((o, i)) = op {
        args.extend(["-n", o, "-I", i]);
    }
    oracle(file, "crm_failcount", &args).1.trim().to_string()
}

#[test]
fn cleanup_on_a_file_is_simulated_and_pacemaker_sees_no_failure() {
    let (_d, f) = fixture("runbook-standby-pg-killed.xml");
    assert_eq!(crm_failcount(&f, "pgsql", "node2", None), "1");
    let (e0, n0) = (epoch(&f), num_updates(&f));
    // The clone's name means its primitive (crm_failcount -r msPostgresql would say 0).
    let o = pgcrm(&f, &["resource", "cleanup", "msPostgresql"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        out(&o),
        format!(
            "Simulated on {} (no cluster to re-probe): the failures were removed from the status section\n\
             Cleaned up pgsql on node2: fail-count-pgsql#monitor_7000=1; failed 7s-interval monitor\n",
            f.display()
        )
    );
    assert_eq!(crm_failcount(&f, "pgsql", "node2", None), "0");
    let (_, mon) = oracle(&f, "crm_mon", &["-1", "-f"]);
    assert!(
        !mon.contains("Failed Resource Actions") && !mon.contains("fail-count="),
        "{mon}"
    );
    // A status change: num_updates moves, epoch does not (as the CIB manager counts).
    assert_eq!((epoch(&f), num_updates(&f)), (e0, n0 + 1));
    let (rc, v) = oracle(&f, "crm_verify", &["-x", f.to_str().unwrap()]);
    assert_eq!(rc, 0, "{v}");
    // Nothing left: said, exit 0, file untouched.
    let before = std::fs::read_to_string(&f).unwrap();
    let o = pgcrm(&f, &["resource", "cleanup", "pgsql", "--node", "node2"]);
    assert!(o.status.success());
    assert_eq!(
        out(&o),
        "Nothing to clean up: pgsql has no failures on node2\n"
    );
    assert_eq!(std::fs::read_to_string(&f).unwrap(), before);
}

#[test]
fn cleanup_checks_names_operations_and_intervals() {
    let (_d, f) = fixture("runbook-standby-pg-killed.xml");
    let before = std::fs::read_to_string(&f).unwrap();
    for (args, code, needle) in [
        (
            vec!["resource", "cleanup", "pgsq"],
            105,
            "resource 'pgsq' not found, did you mean 'pgsql'?",
        ),
        (
            vec!["resource", "cleanup", "pgsql", "--node", "node3"],
            105,
            "node 'node3' not found",
        ),
        (
            vec!["resource", "cleanup", "pgsql", "--operation", "monitr"],
            64,
            "has no operation 'monitr', did you mean 'monitor'? (recurring operations: monitor 7s",
        ),
        (
            vec![
                "resource",
                "cleanup",
                "pgsql",
                "--operation",
                "monitor",
                "--interval",
                "8s",
            ],
            64,
            "has no monitor operation with interval 8s",
        ),
        (
            vec!["resource", "cleanup", "pgsql", "--interval", "7s"],
            64,
            "--interval needs --operation",
        ),
        (
            vec![
                "resource", "cleanup", "pgsql", "-n", "monitor", "-I", "often",
            ],
            64,
            "interval 'often' does not parse",
        ),
        (
            vec!["resource", "cleanup", "pgsql", "--wait"],
            3,
            "--wait needs the live cluster",
        ),
        (
            vec!["resource", "refresh", "nosuch"],
            105,
            "resource 'nosuch' not found",
        ),
    ] {
        let o = pgcrm(&f, &args);
        assert_refused(&o, code, needle, &f, &before);
    }
    // --dry-run: what would be cleaned, and the diff.
    let o = pgcrm(&f, &["resource", "cleanup", "--dry-run"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).starts_with("Dry run: would clean up pgsql on node2: fail-count-pgsql#monitor_7000=1; failed 7s-interval monitor\n--- "), "{}", out(&o));
    assert!(out(&o).contains(r#"-          <nvpair id="status-2-fail-count-pgsql.monitor_7000""#));
    assert_eq!(std::fs::read_to_string(&f).unwrap(), before);
}

#[test]
fn failcounts_per_operation_match_crm_failcount() {
    let (_d, f) = fixture("failcount-multi-op.xml");
    let o = pgcrm(&f, &["failcount", "show", "app", "--output", "json"]);
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let list = v["fail_counts"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{v}");
    let mut total = 0;
    for e in list {
        let (node, op, ms) = (
            e["node"].as_str().unwrap(),
            e["operation"].as_str().unwrap(),
            e["interval_ms"].as_u64().unwrap(),
        );
        let theirs = crm_failcount(&f, "app", node, Some((op, &format!("{ms}ms"))));
        assert_eq!(e["count"].to_string(), theirs, "{e}");
        total += e["count"].as_i64().unwrap();
    }
    assert_eq!(crm_failcount(&f, "app", "node1", None), total.to_string());
    // set: with two fail counts the operation is needed; then INFINITY, understood by both.
    let before = std::fs::read_to_string(&f).unwrap();
    let o = pgcrm(&f, &["failcount", "set", "app", "node1", "INFINITY"]);
    assert_refused(&o, 64, "app has 2 fail counts on node1 (10s-interval monitor, start): give --operation and --interval", &f, &before);
    let o = pgcrm(
        &f,
        &["failcount", "set", "app", "node1", "lots", "-n", "start"],
    );
    assert_refused(&o, 64, "fail count 'lots' is not a number", &f, &before);
    let o = pgcrm(
        &f,
        &[
            "failcount",
            "set",
            "app",
            "node1",
            "INFINITY",
            "-n",
            "monitor",
            "-I",
            "10s",
        ],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        out(&o),
        "Set fail-count-app#monitor_10000 on node1: 2 -> INFINITY\n"
    );
    assert_eq!(
        crm_failcount(&f, "app", "node1", Some(("monitor", "10s"))),
        "INFINITY"
    );
    assert_eq!(crm_failcount(&f, "app", "node1", None), "INFINITY");
    let o = pgcrm(&f, &["failcount", "show", "--node", "node1"]);
    assert!(out(&o).contains("INFINITY"), "{}", out(&o));
    // delete of one operation leaves the other (crm_failcount -D -n start -I 0).
    let o = pgcrm(
        &f,
        &[
            "failcount",
            "delete",
            "app",
            "node1",
            "--operation",
            "start",
        ],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        out(&o).contains("Cleaned up app on node1: fail-count-app#start_0=2; failed start"),
        "{}",
        out(&o)
    );
    assert_eq!(crm_failcount(&f, "app", "node1", Some(("start", "0"))), "0");
    assert_eq!(
        crm_failcount(&f, "app", "node1", Some(("monitor", "10s"))),
        "INFINITY"
    );
    let o = pgcrm(&f, &["failcount", "delete", "app", "node1"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(crm_failcount(&f, "app", "node1", None), "0");
    let o = pgcrm(&f, &["failcount", "show"]);
    assert_eq!(out(&o), "No fail counts\n");
}

#[test]
fn standby_of_the_primary_says_where_it_goes_and_needs_yes() {
    let (_d, f) = fixture("runbook-healthy.xml");
    let before = std::fs::read_to_string(&f).unwrap();
    let o = pgcrm(&f, &["node", "standby", "node1"]);
    assert_refused(
        &o,
        64,
        "node1 runs the primary (msPostgresql Promoted): standby moves it to node2 (master-pgsql 100, STREAMING|SYNC)",
        &f,
        &before,
    );
    let o = pgcrm(&f, &["node", "standby", "node1", "--yes"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(err(&o).contains("standby moves it to node2"), "{}", err(&o));
    let (_, v) = oracle(&f, "crm_standby", &["-N", "node1", "-G", "-q"]);
    assert_eq!(v.trim(), "on");
    let (_, sim) = oracle(&f, "crm_simulate", &["-x", f.to_str().unwrap(), "-S"]);
    assert!(
        sim.lines()
            .any(|l| l.contains("Promote") && l.contains("node2")),
        "{sim}"
    );
    let o = pgcrm(&f, &["node", "list", "--output", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["nodes"][0]["state"], "standby");
    assert_eq!(v["nodes"][0]["standby"], "forever");
    let o = pgcrm(&f, &["node", "online", "node1"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), "Taking node1 out of standby (lifetime forever)\n");
    let (_, mon) = oracle(&f, "crm_mon", &["-1"]);
    assert!(mon.contains("Online: [ node1 node2 ]"), "{mon}");
    // The standby's node: no confirmation; lifetime reboot is a transient attribute.
    let o = pgcrm(&f, &["node", "standby", "node2", "--lifetime", "reboot"]);
    assert!(o.status.success(), "{}", err(&o));
    let (_, v) = oracle(
        &f,
        "crm_standby",
        &["-N", "node2", "-G", "-q", "-l", "reboot"],
    );
    assert_eq!(v.trim(), "on");
    let o = pgcrm(&f, &["node", "list"]);
    assert!(out(&o).contains("standby (until reboot)"), "{}", out(&o));
    let o = pgcrm(&f, &["node", "online", "node2"]);
    assert!(o.status.success(), "{}", err(&o));
    let (_, mon) = oracle(&f, "crm_mon", &["-1"]);
    assert!(mon.contains("Online: [ node1 node2 ]"), "{mon}");
    let o = pgcrm(&f, &["node", "online", "node2"]);
    assert!(err(&o).contains("node2 is not in standby: nothing to do"));
    let before = std::fs::read_to_string(&f).unwrap();
    let o = pgcrm(&f, &["node", "standby", "node9"]);
    assert_refused(&o, 105, "node 'node9' not found", &f, &before);
}

#[test]
fn maintenance_of_a_node_and_of_the_cluster() {
    let (_d, f) = fixture("runbook-healthy.xml");
    let o = pgcrm(&f, &["node", "maintenance", "node2", "on"]);
    assert!(o.status.success(), "{}", err(&o));
    let (_, mon) = oracle(&f, "crm_mon", &["-1"]);
    assert!(mon.contains("Node node2: maintenance"), "{mon}");
    let o = pgcrm(&f, &["node", "maintenance", "node2", "off"]);
    assert!(o.status.success(), "{}", err(&o));
    let (_, mon) = oracle(&f, "crm_mon", &["-1"]);
    assert!(mon.contains("Online: [ node1 node2 ]"), "{mon}");
    for (state, value) in [("on", "true"), ("off", "false")] {
        let o = pgcrm(&f, &["maintenance", state]);
        assert!(o.status.success(), "{}", err(&o));
        let (_, v) = oracle(
            &f,
            "crm_attribute",
            &["-t", "crm_config", "-n", "maintenance-mode", "-G", "-q"],
        );
        assert_eq!(v.trim(), value);
    }
    let o = pgcrm(&f, &["maintenance", "off"]);
    assert!(err(&o).contains("maintenance-mode is off already"));
    let (rc, v) = oracle(&f, "crm_verify", &["-x", f.to_str().unwrap()]);
    assert_eq!(rc, 0, "{v}");
}

#[test]
fn node_delete_refuses_online_nodes_and_removes_config_and_status() {
    let (_d, f) = fixture("runbook-healthy.xml");
    let before = std::fs::read_to_string(&f).unwrap();
    let o = pgcrm(&f, &["node", "delete", "node2"]);
    assert_refused(&o, 107, "node2 is online", &f, &before);
    let (_d, f) = fixture("node-unclean.xml");
    let o = pgcrm(&f, &["node", "delete", "node3"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        out(&o),
        "Deleting node node3 (id 3) from the nodes and status sections\n"
    );
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(
        !text.contains(r#"uname="node3""#),
        "node and node_state gone"
    );
    let (_, mon) = oracle(&f, "crm_mon", &["-1"]);
    assert!(!mon.contains("node3"), "{mon}");
    let (rc, v) = oracle(&f, "cibadmin", &["-Q", "--xpath", "//node[@uname='node3']"]);
    assert_eq!(rc, 105, "{v}");
}

#[test]
fn resource_delete_removes_its_constraints_in_the_same_change() {
    let (_d, f) = fixture("disabled.xml");
    let e0 = epoch(&f);
    let o = pgcrm(&f, &["resource", "delete", "app3"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        out(&o),
        "Removing rsc_location loc-app3-node3 (references app3)\nDeleting primitive app3\n"
    );
    assert_eq!(epoch(&f), e0 + 1, "one change");
    let (rc, v) = oracle(&f, "crm_verify", &["-x", f.to_str().unwrap()]);
    assert_eq!(rc, 0, "{v}");
    let (rc, _) = oracle(
        &f,
        "cibadmin",
        &["-Q", "--xpath", "//resources//*[@id='app3']"],
    );
    assert_eq!(rc, 105);
    // Active: refused with the way out.
    let before = std::fs::read_to_string(&f).unwrap();
    let o = pgcrm(&f, &["resource", "delete", "app1"]);
    assert_refused(
        &o,
        107,
        "resource 'app1' is active on node1: stop it first (pgcrm resource stop app1), or --force",
        &f,
        &before,
    );
    // A set keeps its other members; a set of only the resource goes.
    let (_d, f) = fixture("ticket-and-sets.xml");
    let o = pgcrm(&f, &["resource", "delete", "web1", "--force"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        out(&o),
        "Removing web1 from resource set col-webs-set of rsc_colocation col-webs\n\
         Removing web1 from resource set ord-db-webs-1 of rsc_order ord-db-webs\n\
         Deleting primitive web1\n"
    );
    let (_, cons) = oracle(&f, "cibadmin", &["-Q", "-o", "constraints"]);
    assert!(
        cons.contains(r#"<resource_ref id="web2"/>"#) && !cons.contains("web1"),
        "{cons}"
    );
    let o = pgcrm(&f, &["resource", "delete", "batch", "--force"]);
    assert!(out(&o).contains("Removing rsc_ticket batch-needs-ticketB (references batch)"));
    let o = pgcrm(&f, &["resource", "delete", "vip", "--force"]);
    assert_eq!(o.status.code(), Some(105), "{}", err(&o));
}

#[test]
fn status_shows_a_banner_while_cli_constraints_exist() {
    let (_d, f) = fixture("runbook-healthy.xml");
    let o = pgcrm(&f, &["status"]);
    assert!(out(&o).starts_with("Cluster Summary:"), "{}", out(&o));
    pgcrm(&f, &["resource", "ban", "vip-slave", "node1"]);
    let o = pgcrm(&f, &["status"]);
    let first = out(&o).lines().next().unwrap().to_string();
    assert_eq!(
        first,
        "Constraints left by move/ban: cli-ban-vip-slave-on-node1; see pgcrm resource constraints, remove with pgcrm resource clear RSC"
    );
    pgcrm(&f, &["resource", "clear", "vip-slave"]);
    let o = pgcrm(&f, &["status"]);
    assert!(out(&o).starts_with("Cluster Summary:"), "{}", out(&o));
}

/// rebuild-standby's own ban (a rule whose id marks it as the command's, so that the end of
/// the run never lifts an operator's ban of the same id) is still a plain cli-ban for the
/// cluster's tools: crm_verify accepts it, crm_simulate keeps the resource off the node,
/// `pgcrm resource constraints` lists it, and `crm_resource --clear` lifts it.
#[test]
fn rebuild_standby_ban_is_a_cli_ban_for_pacemaker() {
    use pgcrm::ops::rebuild::{ban_owner, own_ban_change, Ban};
    let (_d, f) = fixture("runbook-healthy.xml");
    let cib = pgcrm::cib::Cib::parse(&std::fs::read_to_string(&f).unwrap()).unwrap();
    let change = own_ban_change(&cib, "msPostgresql", "node2").unwrap();
    let mut tree = cib.tree.clone();
    change.apply_to(&mut tree).unwrap();
    std::fs::write(&f, tree.to_xml()).unwrap();
    let (rc, v) = oracle(&f, "crm_verify", &["-x", f.to_str().unwrap()]);
    assert_eq!(rc, 0, "{v}");
    let (_, sim) = oracle(&f, "crm_simulate", &["-S", "-x", f.to_str().unwrap()]);
    assert!(
        sim.lines()
            .any(|l| l.contains("Stop") && l.contains("pgsql:") && l.contains("node2")),
        "crm_simulate should stop pgsql on node2:\n{sim}"
    );
    let o = pgcrm(&f, &["resource", "constraints"]);
    assert!(
        out(&o).contains("cli-ban-msPostgresql-on-node2"),
        "{}",
        out(&o)
    );
    let now = pgcrm::cib::Cib::parse(&std::fs::read_to_string(&f).unwrap()).unwrap();
    assert_eq!(ban_owner(&now, "msPostgresql", "node2"), Ban::Ours);
    let (rc, text) = oracle(
        &f,
        "crm_resource",
        &["--clear", "-r", "msPostgresql", "-N", "node2"],
    );
    assert_eq!(rc, 0, "{text}");
    let o = pgcrm(&f, &["resource", "constraints"]);
    assert_eq!(out(&o), "No cli-* constraints\n");
}
