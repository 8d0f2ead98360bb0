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
