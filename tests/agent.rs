//! `pgcrm agent` without a cluster: the meta-data against the shell agent's (same 32
//! parameters, same types and defaults), OCF exit codes, and validate-all's answer to bad
//! configurations (a clear reason, the right code, at once). The actions against real
//! PostgreSQL and Pacemaker are in tests/lab_drills.rs (ocf-tester and the failover drills).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const SHELL_AGENT: &str = "/usr/lib/ocf/resource.d/heartbeat/pgsql";
const PG_CTL: &str = "/usr/lib/postgresql/15/bin/pg_ctl";

fn agent(action: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgcrm"));
    cmd.args(["agent", action])
        .env_clear()
        .env("PATH", "/usr/bin:/bin");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run pgcrm agent")
}

/// name -> (type, default) of every parameter in a meta-data document.
fn params(xml: &str) -> Vec<(String, String, String)> {
    let doc = pgcrm::cib::Element::parse(xml).expect("meta-data is XML");
    doc.child("parameters")
        .expect("<parameters>")
        .children_named("parameter")
        .map(|p| {
            let c = p.child("content").expect("<content>");
            (
                p.attr("name").unwrap().to_string(),
                c.attr("type").unwrap().to_string(),
                c.attr("default").unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn meta_data_matches_the_shell_agent() {
    let ours = agent("meta-data", &[]);
    assert_eq!(ours.status.code(), Some(0));
    let ours = params(&String::from_utf8_lossy(&ours.stdout));
    assert_eq!(ours.len(), 32);
    if !Path::new(SHELL_AGENT).exists() {
        eprintln!("skipped the comparison: {SHELL_AGENT} is not installed (apt-get install resource-agents)");
        return;
    }
    let theirs = Command::new(SHELL_AGENT)
        .arg("meta-data")
        .env_clear()
        .env("OCF_ROOT", "/usr/lib/ocf")
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .expect("run the shell agent");
    let theirs = params(&String::from_utf8_lossy(&theirs.stdout));
    assert_eq!(ours, theirs, "parameters, types and defaults, in order");
}

#[test]
fn methods_and_unknown_actions() {
    let o = agent("methods", &[]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    for m in [
        "start",
        "stop",
        "monitor",
        "promote",
        "demote",
        "notify",
        "reload",
        "validate-all",
    ] {
        assert!(text.lines().any(|l| l == m), "{m} missing from {text}");
    }
    let o = agent("frobnicate", &[]);
    assert_eq!(o.status.code(), Some(3), "OCF_ERR_UNIMPLEMENTED");
    assert!(String::from_utf8_lossy(&o.stderr).contains("ocf-exit-reason:unknown action"));
}

/// A data directory owned by postgres with PG_VERSION and postgresql.conf (not a server).
fn fake_pgdata(dir: &Path) -> Option<String> {
    let owner = pgcrm::agent::pg::lookup_user("postgres")?;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let d = dir.join("pgdata");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("PG_VERSION"), "15\n").unwrap();
    std::fs::write(d.join("postgresql.conf"), "port = 5432\n").unwrap();
    for p in [d.clone(), d.join("PG_VERSION"), d.join("postgresql.conf")] {
        std::os::unix::fs::chown(&p, Some(owner.uid), Some(owner.gid)).unwrap();
    }
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
    Some(d.to_str().unwrap().to_string())
}

fn expect(o: &Output, code: i32, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    let reason = err
        .lines()
        .filter_map(|l| l.strip_prefix("ocf-exit-reason:"))
        .next_back()
        .unwrap_or_else(|| panic!("no ocf-exit-reason in {err}"));
    assert!(
        reason.contains(needle),
        "reason {reason:?} lacks {needle:?}"
    );
}

#[test]
fn validate_all_names_the_problem_with_the_right_code() {
    if !Path::new(PG_CTL).exists() || !Path::new("/usr/bin/psql").exists() {
        eprintln!("skipped: PostgreSQL 15 is not installed");
        return;
    }
    let t0 = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    let missing = missing.to_str().unwrap();

    let o = agent(
        "validate-all",
        &[("OCF_RESKEY_pgctl", PG_CTL), ("OCF_RESKEY_pgdata", missing)],
    );
    expect(&o, 5, "data directory");
    let o = agent(
        "validate-all",
        &[
            ("OCF_RESKEY_pgctl", "/no/pg_ctl"),
            ("OCF_RESKEY_pgdata", missing),
        ],
    );
    expect(&o, 5, "pgctl=/no/pg_ctl");
    let o = agent(
        "validate-all",
        &[("OCF_RESKEY_pgctl", PG_CTL), ("OCF_RESKEY_pgport", "five")],
    );
    expect(&o, 6, "pgport");
    // a probe on a node without the data directory: "not running", not an error
    let o = agent(
        "monitor",
        &[
            ("OCF_RESKEY_pgctl", PG_CTL),
            ("OCF_RESKEY_pgdata", missing),
            ("OCF_RESKEY_CRM_meta_interval", "0"),
        ],
    );
    assert_eq!(o.status.code(), Some(7));
    // stop with a broken configuration and nothing running: success
    let o = agent(
        "stop",
        &[
            ("OCF_RESKEY_pgctl", "/no/pg_ctl"),
            ("OCF_RESKEY_pgdata", missing),
        ],
    );
    assert_eq!(o.status.code(), Some(0));

    if let Some(pgdata) = fake_pgdata(tmp.path()) {
        let base = [
            ("OCF_RESKEY_pgctl", PG_CTL),
            ("OCF_RESKEY_pgdata", pgdata.as_str()),
        ];
        let o = agent("validate-all", &base);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let tmpdir = tmp.path().join("pgsql-tmp");
        let mut env = base.to_vec();
        env.extend([
            ("OCF_RESKEY_rep_mode", "sync"),
            ("OCF_RESKEY_node_list", "node1 node2"),
            ("OCF_RESKEY_tmpdir", tmpdir.to_str().unwrap()),
            ("OCF_RESOURCE_INSTANCE", "pgsql"),
            ("OCF_RESKEY_CRM_meta_promotable", "true"),
        ]);
        expect(&agent("validate-all", &env), 6, "master_ip");
        env.push(("OCF_RESKEY_master_ip", "10.200.0.101"));
        let o = agent("validate-all", &env);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        env.retain(|(k, _)| *k != "OCF_RESKEY_CRM_meta_promotable");
        expect(&agent("validate-all", &env), 6, "promotable clone");
        env.push(("OCF_RESKEY_rep_mode", "semi"));
        expect(&agent("validate-all", &env), 6, "rep_mode");
        expect(
            &agent(
                "validate-all",
                &[base[0], base[1], ("OCF_RESKEY_monitor_user", "mon")],
            ),
            6,
            "monitor_password",
        );
    }
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "validation must never hang"
    );
}
