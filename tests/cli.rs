//! The `pgcrm` binary as scripts see it: exit codes, one-line errors on stderr, the JSON
//! contract, and generated files (completions, man pages) that must not go stale.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn example() -> PathBuf {
    root().join("examples/cluster.xml")
}

fn pgcrm(args: &[&str]) -> Output {
    pgcrm_env(args, &[])
}

fn pgcrm_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgcrm"));
    cmd.args(args).env_remove("CIB_file").env("TZ", "UTC");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run pgcrm")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts a failure: this exit code, nothing on stdout, exactly one line on stderr that
/// contains `needle`.
fn assert_fails(o: &Output, code: i32, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert!(
        o.stdout.is_empty(),
        "stdout should be empty: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
}

#[test]
fn status_on_the_example_shows_the_runbook_cluster() {
    let o = pgcrm(&["status", "--cib-file", example().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    for expected in [
        "Cluster Summary:",
        "  * Online: [ node1 node2 ]",
        "  * Clone Set: msPostgresql [pgsql] (promotable):",
        "    * Promoted: [ node1 ]",
        "    * Unpromoted: [ node2 ]",
        "PostgreSQL (pgsql, ocf:heartbeat:pgsql):",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let row = |node: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("│ {node} ")))
            .unwrap()
            .to_string()
    };
    assert!(
        row("node1").contains("PRI")
            && row("node1").contains("LATEST")
            && row("node1").contains("1000")
    );
    assert!(row("node2").contains("HS:sync") && row("node2").contains("STREAMING|SYNC"));
    assert!(row("node1").contains("vip-master") && row("node2").contains("vip-slave"));
}

#[test]
fn cib_file_variable_is_honoured_like_pacemaker_tools() {
    let o = pgcrm_env(
        &["status", "--output", "json"],
        &[("CIB_file", example().to_str().unwrap())],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["source"], example().to_str().unwrap());
}

#[test]
fn json_contract() {
    let o = pgcrm(&[
        "status",
        "--output",
        "json",
        "--cib-file",
        example().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    let node1 = &v["nodes"][0];
    assert_eq!(node1["name"], "node1");
    assert_eq!(node1["online"], true);
    assert_eq!(node1["attributes"]["pgsql-status"], "PRI");
    assert_eq!(node1["attribute_lifetimes"]["pgsql-data-status"], "forever");
    assert_eq!(node1["attribute_lifetimes"]["pgsql-status"], "reboot");
    let ms = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "msPostgresql")
        .unwrap();
    assert_eq!(ms["type"], "clone");
    assert_eq!(ms["promotable"], true);
    let inst = &ms["children"][0];
    for key in ["agent", "role", "active", "nodes", "failed", "managed"] {
        assert!(!inst[key].is_null(), "instance lacks {key}: {inst}");
    }
    assert_eq!(inst["agent"], "ocf:heartbeat:pgsql");
    assert!(v["failures"].as_array().unwrap().is_empty());
    assert!(v["fail_counts"].as_array().unwrap().is_empty());
    assert_eq!(v["postgresql"]["nodes"][0]["pgsql_status"], "PRI");
}

#[test]
fn json_failures_and_fail_counts() {
    let f = root().join("tests/fixtures/cib/runbook-standby-pg-killed.xml");
    let o = pgcrm(&[
        "status",
        "--output",
        "json",
        "--cib-file",
        f.to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let failure = &v["failures"][0];
    assert_eq!(failure["node"], "node2");
    assert_eq!(failure["resource"], "pgsql");
    assert_eq!(failure["operation"], "monitor");
    assert_eq!(failure["interval_ms"], 7000);
    assert_eq!(failure["op_key"], "pgsql_monitor_7000");
    assert_eq!(failure["rc"], 7);
    assert_eq!(failure["status"], "complete");
    assert!(failure["last_rc_change"].is_number());
    let fc = &v["fail_counts"][0];
    assert_eq!(
        (
            fc["node"].as_str(),
            fc["resource"].as_str(),
            fc["count"].as_i64()
        ),
        (Some("node2"), Some("pgsql"), Some(1))
    );
    let inf = root().join("tests/fixtures/cib/failed-start-infinity.xml");
    let o = pgcrm(&[
        "status",
        "--output",
        "json",
        "--cib-file",
        inf.to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["fail_counts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["count"] == "INFINITY"));
}

#[test]
fn missing_file() {
    let o = pgcrm(&["status", "--cib-file", "/nonexistent/cib.xml"]);
    assert_fails(&o, 66, "/nonexistent/cib.xml: no such file");
}

#[test]
fn unreadable_file() {
    // A directory cannot be read as a file, even by root (chmod would not stop root).
    let dir = tempfile::tempdir().unwrap();
    let o = pgcrm(&["status", "--cib-file", dir.path().to_str().unwrap()]);
    assert_fails(&o, 1, "cannot read");
}

#[test]
fn bad_documents() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, i32, &str)] = &[
        ("garbage.xml", "this is not xml <<<", 65, "not XML"),
        ("truncated.xml", "<cib><configuration>", 65, "not XML"),
        (
            "other.xml",
            "<html><body/></html>",
            78,
            "root element is <html>, not <cib>",
        ),
        ("noconf.xml", "<cib/>", 78, "no <configuration>"),
        (
            "dangling.xml",
            r#"<cib><configuration><resources/><constraints><rsc_location id="l1" rsc="ghost" node="n1" score="10"/></constraints></configuration></cib>"#,
            78,
            "location 'l1' refers to resource 'ghost', which is not defined",
        ),
    ];
    for (name, text, code, needle) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let o = pgcrm(&["status", "--cib-file", path.to_str().unwrap()]);
        assert_fails(&o, *code, needle);
        assert!(
            stderr(&o).contains(name),
            "the error names the file: {}",
            stderr(&o)
        );
    }
}

#[test]
fn usage_errors_exit_64() {
    let o = pgcrm(&["status", "--no-such-option"]);
    assert_eq!(o.status.code(), Some(64));
    let o = pgcrm(&["status", "--output", "yaml", "--cib-file", "x"]);
    assert_eq!(o.status.code(), Some(64));
    let o = pgcrm(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("105  no such resource, node or attribute"));
}

#[test]
fn closed_stdout_is_not_an_error() {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgcrm"))
        .args([
            "status",
            "--output",
            "json",
            "--cib-file",
            example().to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success() && o.stderr.is_empty(), "{}", stderr(&o));
}

#[test]
fn completions_and_man_pages_are_current() {
    let dir = tempfile::tempdir().unwrap();
    let o = pgcrm(&["generate-assets", dir.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    for sub in ["completions", "man"] {
        let fresh = dir.path().join(sub);
        let mut names: Vec<_> = std::fs::read_dir(&fresh)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        let mut checked_in: Vec<_> = std::fs::read_dir(root().join(sub))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        checked_in.sort();
        assert_eq!(
            names, checked_in,
            "{sub}/ is stale: run `cargo run -- generate-assets .`"
        );
        for name in names {
            let a = std::fs::read(fresh.join(&name)).unwrap();
            let b = std::fs::read(root().join(sub).join(&name)).unwrap();
            assert!(
                a == b,
                "{sub}/{} is stale: run `cargo run -- generate-assets .`",
                name.to_string_lossy()
            );
        }
    }
    let o = pgcrm(&["completions", "bash"]);
    assert_eq!(
        o.stdout,
        std::fs::read(root().join("completions/pgcrm.bash")).unwrap()
    );
}

/// What the shell gets on a TAB: `COMPLETE=bash pgcrm -- WORDS` with the cursor on the
/// last word, one candidate per line. Options (offered too on an empty word) are left out.
fn complete(words: &[&str], env: &[(&str, &str)]) -> (Vec<String>, Output) {
    let index = (words.len() - 1).to_string();
    let mut all = vec![
        ("COMPLETE", "bash"),
        ("_CLAP_COMPLETE_INDEX", index.as_str()),
    ];
    all.extend_from_slice(env);
    let mut args = vec!["--"];
    args.extend_from_slice(words);
    let o = pgcrm_env(&args, &all);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let values = text.lines().filter(|w| !w.starts_with('-'));
    (values.map(str::to_string).collect(), o)
}

#[test]
fn completion_hides_the_hidden_subcommands() {
    let (c, _) = complete(&["pgcrm", ""], &[]);
    assert!(c.contains(&"status".to_string()), "{c:?}");
    for hidden in ["agent", "generate-assets"] {
        assert!(!c.contains(&hidden.to_string()), "{hidden} offered: {c:?}");
    }
}

#[test]
fn completion_offers_the_clusters_resources_and_nodes() {
    let healthy = root().join("tests/fixtures/cib/runbook-healthy.xml");
    let healthy = healthy.to_str().unwrap();
    let env = [("CIB_file", healthy)];

    // move, ban, clear, delete: the top-level resources (what constraints apply to)
    let (c, o) = complete(&["pgcrm", "resource", "move", ""], &env);
    assert!(o.status.success() && o.stderr.is_empty(), "{}", stderr(&o));
    for rsc in ["msPostgresql", "master-group", "vip-slave", "clnPingCheck"] {
        assert!(c.contains(&rsc.to_string()), "{rsc} missing from {c:?}");
    }
    assert!(
        !c.contains(&"vip-master".to_string()),
        "a group member: {c:?}"
    );
    let (c, _) = complete(&["pgcrm", "resource", "move", "ms"], &env);
    assert_eq!(c, ["msPostgresql"]);
    let (c, _) = complete(
        &["pgcrm", "resource", "move", "msPostgresql", "--to", ""],
        &env,
    );
    assert_eq!(c, ["node1", "node2"]);
    let (c, _) = complete(&["pgcrm", "resource", "ban", "msPostgresql", "n"], &env);
    assert_eq!(c, ["node1", "node2"]);

    // locate, stop, cleanup, failcount: any resource, members and clone children included
    let (c, _) = complete(&["pgcrm", "resource", "locate", "vip-"], &env);
    assert_eq!(c, ["vip-slave", "vip-master", "vip-rep"]);
    let (c, _) = complete(&["pgcrm", "failcount", "delete", "p"], &env);
    assert_eq!(c, ["pgsql", "pingCheck"]);
    let (c, _) = complete(&["pgcrm", "node", "standby", ""], &env);
    assert_eq!(c, ["node1", "node2"]);
    let (c, _) = complete(&["pgcrm", "resource", "cleanup", "--node", "node"], &env);
    assert_eq!(c, ["node1", "node2"]);

    // --cib-file on the line being completed wins over CIB_file, as when the command runs
    let other = root().join("tests/fixtures/cib/group-basic.xml");
    let (c, _) = complete(
        &[
            "pgcrm",
            "--cib-file",
            other.to_str().unwrap(),
            "resource",
            "locate",
            "",
        ],
        &env,
    );
    assert!(!c.contains(&"msPostgresql".to_string()), "{c:?}");

    // no cluster (no daemons here, a missing file): no candidates, no noise, exit 0
    for env in [&[][..], &[("CIB_file", "/nonexistent/cib.xml")][..]] {
        let (c, o) = complete(&["pgcrm", "resource", "move", ""], env);
        assert!(o.status.success() && o.stderr.is_empty(), "{}", stderr(&o));
        assert!(c.is_empty(), "{c:?}");
    }
}

/// The checked-in bash script, sourced by a real bash as bash-completion would, asks the
/// pgcrm on PATH and fills COMPREPLY.
#[test]
fn bash_completion_script_completes_resource_names() {
    let bin = Path::new(env!("CARGO_BIN_EXE_pgcrm")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = root().join("completions/pgcrm.bash");
    let healthy = root().join("tests/fixtures/cib/runbook-healthy.xml");
    let o = Command::new("bash")
        .arg("-c")
        .arg(
            r#"source "$1"
COMP_WORDS=(pgcrm resource move msPostgresql --to "")
COMP_CWORD=5
start=$(date +%s%N)
_clap_complete_pgcrm pgcrm "" --to
end=$(date +%s%N)
printf '%s
' "${COMPREPLY[@]}"
echo "ms=$(( (end - start) / 1000000 ))" >&2"#,
        )
        .arg("bash")
        .arg(&script)
        .env("PATH", path)
        .env("CIB_file", healthy)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out, "node1\nnode2\n", "{}", stderr(&o));
    // a TAB must feel instant: well under a second even for a debug build on a busy machine
    let ms: u64 = stderr(&o).trim().trim_start_matches("ms=").parse().unwrap();
    assert!(ms < 1000, "completion took {ms} ms");
}

fn write_tmp(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn config_show_and_its_errors() {
    let ex = example();
    let ex = ex.to_str().unwrap();
    let o = pgcrm(&[
        "config",
        "show",
        "--cib-file",
        ex,
        "rsc_colocation-2",
        "vip-rep",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.starts_with("primitive vip-rep IPaddr2 \\\n\tparams ip=192.168.1.3"),
        "{out}"
    );
    assert!(
        out.ends_with("colocation rsc_colocation-2 inf: master-group msPostgresql:Promoted\n"),
        "{out}"
    );
    let o = pgcrm(&["config", "show", "--xml", "--cib-file", ex, "vip-rep"]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("<primitive id=\"vip-rep\""));
    assert_fails(
        &pgcrm(&["config", "show", "--cib-file", ex, "nosuch"]),
        105,
        "'nosuch' not found",
    );
}

#[test]
fn config_check_reports_mistakes_with_their_position() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "primitive p Dummy\nlocation l p \\\n  rule -inf: a eq \"b\n",
            65,
            ":3:19: unclosed quote",
        ),
        (
            "primitive p Dummy\nprimitiv q Dummy\n",
            65,
            ":2:1: unknown keyword 'primitiv'",
        ),
        (
            "primitive p Dummy\ncolocation c inf: p nosuch\n",
            78,
            ":2:21: 'nosuch' is not a defined resource",
        ),
        (
            "primitive p Dummy op monitor interval=10s\ngroup g p q\n",
            78,
            ":2:11: group 'g' contains 'q'",
        ),
        (
            "primitive p Dummy\nlocation l p rule -inf: a eq 1 and b eq 2 or c eq 3\n",
            65,
            ":2:43: a rule cannot mix 'and' and 'or'",
        ),
        (
            "order o Sometimes: a b\n",
            65,
            ":1:9: 'Sometimes' is not an order kind",
        ),
        // found by the crm_config fuzz target: neither may reach a CIB
        (
            "primitive p Dummy op start interval=0 4.9),x=1\n",
            65,
            ":1:39: '4.9),x' is not an attribute name",
        ),
        (
            "primitive p Dummy\nclone c p op=1\n",
            65,
            ":2:11: expected meta, params or the end of the statement, found 'op=1'",
        ),
        (
            "primitive p Dummy params a=\"\u{17}\"\n",
            65,
            ":1:29: character U+0017 cannot be stored in the CIB",
        ),
    ];
    for (text, code, needle) in cases {
        let f = write_tmp(&dir, "bad.crm", text);
        let o = pgcrm(&["config", "check", &f]);
        assert_fails(&o, code, &format!("{f}{needle}"));
        // load --dry-run refuses the same way and plans nothing
        let ex = example();
        assert_fails(
            &pgcrm(&[
                "config",
                "load",
                "--dry-run",
                "--cib-file",
                ex.to_str().unwrap(),
                &f,
            ]),
            code,
            needle,
        );
    }
    let o = pgcrm(&[
        "config",
        "check",
        root()
            .join("tests/fixtures/crm/runbook-pgsql.crm")
            .to_str()
            .unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("OK, 17 objects"));
    assert_fails(
        &pgcrm(&["config", "check", "/nonexistent.crm"]),
        66,
        "/nonexistent.crm: cannot read",
    );
}

#[test]
fn config_load_dry_run_plans_a_diff_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cib = dir.path().join("cib.xml");
    std::fs::copy(example(), &cib).unwrap();
    let before = std::fs::read(&cib).unwrap();
    let cib = cib.to_str().unwrap();
    let shown = pgcrm(&["config", "show", "--cib-file", cib]);
    let f = write_tmp(&dir, "same.crm", &String::from_utf8(shown.stdout).unwrap());
    let o = pgcrm(&["config", "load", "--dry-run", "--cib-file", cib, &f]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("no change"),
        "{}",
        stderr(&o)
    );
    let f = write_tmp(
        &dir,
        "more.crm",
        "primitive extra Dummy\nlocation l-extra extra 100: node2\n",
    );
    let o = pgcrm(&["config", "load", "--dry-run", "--cib-file", cib, &f]);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains(
            "+    <primitive id=\"extra\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "+    <rsc_location id=\"l-extra\" rsc=\"extra\" score=\"100\" node=\"node2\"/>"
        ),
        "{out}"
    );
    // Without --yes and no terminal: the diff is shown, then refused (tests/config_load.rs
    // covers the load itself).
    let o = pgcrm(&["config", "load", "--cib-file", cib, &f]);
    assert_eq!(o.status.code(), Some(64));
    assert!(
        stderr(&o).contains("pass --yes to confirm (stdin is not a terminal), nothing was changed")
    );
    assert_eq!(
        std::fs::read(cib).unwrap(),
        before,
        "the CIB file must not change"
    );
}

const INIT: &[&str] = &[
    "config",
    "init",
    "--no-input",
    "--node",
    "node1=192.168.1.1",
    "--node",
    "node2=192.168.1.2",
    "--write-vip",
    "192.168.100.213",
    "--read-vip",
    "192.168.100.214",
    "--rep-vip",
    "192.168.1.3",
    "--rep-nic",
    "eth2",
    "--ping",
    "192.168.100.1",
];

#[test]
fn config_init_generates_the_runbook_configuration() {
    let o = pgcrm(INIT);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("primitive pgsql ocf:heartbeat:pgsql \\\n\tparams pgctl=/usr/lib/postgresql/15/bin/pg_ctl"), "{text}");
    assert!(text.contains("\top promote interval=0s timeout=120s on-fail=restart"));
    let dir = tempfile::tempdir().unwrap();
    let f = write_tmp(&dir, "init.crm", &text);
    assert!(pgcrm(&["config", "check", &f]).status.success());
    let mut with_coro = INIT.to_vec();
    with_coro.extend(["--corosync", "--agent", "pgcrm"]);
    let out = String::from_utf8(pgcrm(&with_coro).stdout).unwrap();
    assert!(out.contains("primitive pgsql ocf:pgcrm:pgsql"));
    assert!(out.contains("ring0_addr: 192.168.1.2") && out.contains("two_node: 1"));
    assert_fails(&pgcrm(&INIT[..INIT.len() - 2]), 64, "give --ping");
    let same: Vec<&str> = INIT
        .iter()
        .map(|a| {
            if *a == "192.168.100.214" {
                "192.168.100.213"
            } else {
                a
            }
        })
        .collect();
    assert_fails(&pgcrm(&same), 64, "three different addresses");

    // pgcrm verify finds no error (nor a timeout below the agents' advice) once loaded.
    let objects = pgcrm::crmsh::parse(&text, "init").unwrap();
    let empty = pgcrm::cib::Element::new("configuration");
    let config =
        pgcrm::crmsh::apply(&empty, &objects, pgcrm::crmsh::Mode::Replace, "init").unwrap();
    let cib = write_tmp(
        &dir,
        "init-cib.xml",
        &format!(
            "<cib validate-with=\"pacemaker-3.9\" epoch=\"1\" num_updates=\"0\" admin_epoch=\"0\">{}<status/></cib>",
            config.to_xml()
        ),
    );
    let o = pgcrm(&["verify", "--cib-file", &cib]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(
        out.contains(" 0 errors") && !out.contains("timeout"),
        "{out}"
    );

    // crmsh (the oracle) loads it with no warning: the timeouts are the advised ones.
    if Command::new("crm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let empty = Command::new("cibadmin").arg("--empty").output().unwrap();
        let cib = dir.path().join("cib.xml");
        std::fs::write(&cib, empty.stdout).unwrap();
        let o = Command::new("crm")
            .args(["configure", "load", "update", &f])
            .env("CIB_file", &cib)
            .env("TERM", "dumb")
            .output()
            .unwrap();
        let err = stderr(&o);
        assert!(o.status.success(), "{err}");
        assert!(
            !err.contains("advised"),
            "crmsh warns about timeouts: {err}"
        );
    }
}

fn verify_fixture(name: &str) -> String {
    root()
        .join("tests/fixtures/cib/verify")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn verify_exit_codes_follow_the_worst_finding() {
    let ex = example();
    let ex = ex.to_str().unwrap();
    // The runbook: warnings only (fencing, short timeouts) -> 0, or 1 with --strict.
    let o = pgcrm(&["verify", "--no-agents", "--cib-file", ex]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.starts_with("Warnings (6):\n  PG001  stonith-enabled: "),
        "{text}"
    );
    assert!(
        text.contains(
            "fix: `cibadmin --modify --xml-text '<op id=\"pgsql-start-0s\" timeout=\"120s\"/>'`"
        ),
        "{text}"
    );
    assert!(text.ends_with(": 0 errors, 6 warnings, 1 info\n"), "{text}");
    let o = pgcrm(&["verify", "--no-agents", "--strict", "--cib-file", ex]);
    assert_eq!(o.status.code(), Some(1));
    // An error -> 78, as crm_verify for an invalid configuration.
    let o = pgcrm(&[
        "verify",
        "--no-agents",
        "--cib-file",
        &verify_fixture("clone-no-notify.xml"),
    ]);
    assert_eq!(o.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("Errors (2):\n  PG402  msPostgresql: "));
    // Nothing found -> 0 even with --strict.
    let o = pgcrm(&[
        "verify",
        "--no-agents",
        "--strict",
        "--cib-file",
        &verify_fixture("clean.xml"),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).ends_with(": no problems found\n"));
}

#[test]
fn verify_json_contract() {
    let o = pgcrm(&[
        "verify",
        "--no-agents",
        "--output",
        "json",
        "--cib-file",
        example().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["counts"]["warning"], 6);
    assert_eq!(v["counts"]["info"], 1);
    let f = &v["findings"][0];
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["rule"], "PG001");
    assert_eq!(f["object"], "stonith-enabled");
    assert!(f["file"]
        .as_str()
        .unwrap()
        .ends_with("examples/cluster.xml"));
    assert!(f["message"]
        .as_str()
        .unwrap()
        .starts_with("Fencing is disabled"));
    assert!(f["fix"]
        .as_str()
        .unwrap()
        .contains("crm_attribute --type crm_config --name stonith-enabled --update true"));
    let agents = v["agents"].as_array().unwrap();
    assert!(agents
        .iter()
        .any(|a| a["agent"] == "ocf:heartbeat:pgsql" && a["source"] == "built-in"));
}

#[test]
fn verify_runs_the_installed_agents_meta_data() {
    // A fake OCF root whose pgsql predates replication: the runbook's rep_mode is an error.
    let o = pgcrm_env(
        &[
            "verify",
            "--output",
            "json",
            "--cib-file",
            example().to_str().unwrap(),
        ],
        &[("OCF_ROOT", &verify_fixture("ocf-old"))],
    );
    assert_eq!(o.status.code(), Some(78), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules[0], "PG202", "{rules:?}");
    assert!(
        rules.contains(&"PG204"),
        "IPaddr2 is not in the fake root: {rules:?}"
    );
}

#[test]
fn verify_reads_corosync_conf() {
    let ex = example();
    let o = pgcrm(&[
        "verify",
        "--no-agents",
        "--cib-file",
        ex.to_str().unwrap(),
        "--corosync-conf",
        &verify_fixture("corosync/bad.conf"),
    ]);
    assert_eq!(o.status.code(), Some(78));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("PG601  totem.interface[0] ("), "{text}");
    assert!(text.contains("corosync/bad.conf): "), "{text}");
    // Two clusters sharing one multicast address and port.
    let o = pgcrm(&[
        "verify",
        "--no-agents",
        "--cib-file",
        ex.to_str().unwrap(),
        "--corosync-conf",
        &verify_fixture("corosync/udp-a.conf"),
        "--corosync-conf",
        &verify_fixture("corosync/udp-b.conf"),
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("PG604"));
    // Malformed and missing files: one line naming the file, nothing on stdout.
    let o = pgcrm(&[
        "verify",
        "--cib-file",
        ex.to_str().unwrap(),
        "--corosync-conf",
        &verify_fixture("corosync/malformed.conf"),
    ]);
    assert_fails(
        &o,
        65,
        "malformed.conf:1: not a valid corosync.conf: section 'totem' is never closed",
    );
    let o = pgcrm(&[
        "verify",
        "--cib-file",
        ex.to_str().unwrap(),
        "--corosync-conf",
        "/nonexistent/corosync.conf",
    ]);
    assert_fails(&o, 66, "/nonexistent/corosync.conf: cannot read");
}

/// `verify --live` on a saved CIB: only nodes with a conninfo are asked; an unreachable server
/// is one info finding (PG710) naming where pgcrm tried, never a failure; without any
/// conninfo the live part is skipped in one line. The lock file is never read for a saved CIB.
#[test]
fn verify_live_on_a_saved_cib() {
    let ex = example();
    let ex = ex.to_str().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pgcrm.toml");
    std::fs::write(
        &config,
        format!("[nodes.node1]\nconninfo = \"host=127.0.0.1 port={port} user=postgres password=sekrit\"\n"),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let o = pgcrm_env(
        &[
            "verify",
            "--no-agents",
            "--cib-file",
            ex,
            "--live",
            "--config",
            config,
            "--pg-timeout",
            "1s",
        ],
        &[("PGPASSWORD", "")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(&format!(
            "PG710  node1: node1's PostgreSQL was not checked (127.0.0.1:{port}): "
        )),
        "{text}"
    );
    assert!(text.contains("refused"), "{text}");
    assert!(!text.contains("sekrit"), "{text}");
    assert!(
        text.contains("live: PostgreSQL settings checked on no node (not on node1, node2: unreachable); PGSQL.lock checked on no node (not on node1, node2)"),
        "{text}"
    );
    let o = pgcrm(&[
        "verify",
        "--no-agents",
        "--cib-file",
        ex,
        "--live",
        "--config",
        config,
        "--output",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["live"]["probes"], "live");
    assert_eq!(v["live"]["nodes"][1]["node"], "node2");
    assert_eq!(v["live"]["nodes"][1]["target"], Value::Null);
    assert_eq!(v["live"]["nodes"][0]["lock_file"]["state"], "not_checked");
    // no conninfo at all: skipped, and no PG710 per node
    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let o = pgcrm(&[
        "verify",
        "--no-agents",
        "--cib-file",
        ex,
        "--live",
        "--config",
        empty.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(!text.contains("PG710"), "{text}");
    assert!(
        text.contains("live: skipped: a saved CIB gives no server addresses"),
        "{text}"
    );
    // without --live, no live part in the JSON and --pg-timeout is refused
    let o = pgcrm(&[
        "verify",
        "--no-agents",
        "--cib-file",
        ex,
        "--output",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v.get("live").is_none());
    let o = pgcrm(&["verify", "--cib-file", ex, "--pg-timeout", "1s"]);
    assert_eq!(o.status.code(), Some(64));
}

/// `attribute get` on a saved CIB says what `crm_attribute -G -q` says, with the same exit
/// codes (crm_attribute honours CIB_file too).
#[test]
fn attribute_get_agrees_with_crm_attribute() {
    let cib = example();
    let cib = cib.to_str().unwrap();
    let cases: [&[&str]; 7] = [
        &["-N", "node1", "-l", "reboot", "-n", "pgsql-status"],
        &["-N", "node2", "-l", "reboot", "-n", "pgsql-data-status"],
        &["-N", "node2", "-l", "reboot", "-n", "master-pgsql"],
        &["-N", "node1", "-l", "forever", "-n", "pgsql-status"],
        &["-N", "node9", "-l", "reboot", "-n", "pgsql-status"],
        &["-n", "stonith-enabled"],
        &["-n", "no-such-property"],
    ];
    for case in cases {
        let theirs = Command::new("crm_attribute")
            .args(["-G", "-q"])
            .args(case)
            .env("CIB_file", cib)
            .output()
            .expect("crm_attribute (pacemaker-cli-utils)");
        // the same options, spelled as pgcrm spells them
        let mut args = vec!["attribute", "get", "--cib-file", cib];
        let mut it = case.iter();
        while let Some(opt) = it.next() {
            let v = it.next().unwrap();
            match *opt {
                "-n" => args.push(v),
                o => args.extend([o, v]),
            }
        }
        let ours = pgcrm(&args);
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "{case:?}: {}",
            stderr(&ours)
        );
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&theirs.stdout),
            "{case:?}"
        );
        if !ours.status.success() {
            assert_fails(&ours, 105, "not found");
        }
    }
    let o = pgcrm(&[
        "attribute",
        "get",
        "pgsql-status",
        "-N",
        "node1",
        "-l",
        "reboot",
        "--output",
        "json",
        "--cib-file",
        cib,
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["value"], "PRI");
    assert_eq!(v["scope"], "status");
    assert_eq!(v["lifetime"], "reboot");
    // --lifetime without --node is a usage error, not a guess at the local node
    let o = pgcrm(&["attribute", "get", "x", "-l", "reboot", "--cib-file", cib]);
    assert_eq!(o.status.code(), Some(64));
}

/// With neither --cib-file nor CIB_file pgcrm reads the live cluster; where no Pacemaker runs
/// (as on a build machine) that is one line naming the fix, exit 102 (DISCONNECT).
#[test]
fn no_live_cluster_is_102() {
    if std::fs::read_to_string("/proc/net/unix").is_ok_and(|t| t.contains("@cib_ro")) {
        return; // Pacemaker runs here: nothing to check
    }
    for args in [&["status"][..], &["attribute", "get", "stonith-enabled"]] {
        assert_fails(&pgcrm(args), 102, "is pacemaker running on this node?");
    }
    let o = pgcrm(&["status", "--timeout", "0"]);
    assert_eq!(o.status.code(), Some(64));
}

/// `rebuild-standby` acts on the live cluster and this machine's files: refused on a CIB file
/// (3) and with a bad rate (64), nothing changed.
#[test]
fn rebuild_standby_refusals() {
    let ex = example();
    let ex = ex.to_str().unwrap();
    let o = pgcrm(&["--cib-file", ex, "rebuild-standby", "node1", "--dry-run"]);
    assert_fails(&o, 3, "needs the live cluster");
    let o = pgcrm(&[
        "--cib-file",
        ex,
        "rebuild-standby",
        "node1",
        "--max-rate",
        "fast",
    ]);
    assert_fails(&o, 64, "--max-rate 'fast'");
    // --ssh: a remote shell that is no command; the internal --local-step without a job
    let o = pgcrm(&[
        "--cib-file",
        ex,
        "rebuild-standby",
        "node1",
        "--ssh",
        "--rsh",
        "ssh 'unclosed",
    ]);
    assert_fails(&o, 64, "--rsh 'ssh 'unclosed' is not a command");
    let o = pgcrm(&["rebuild-standby", "node1", "--local-step"]);
    assert_fails(&o, 64, "it is only for rebuild-standby --ssh");
}
