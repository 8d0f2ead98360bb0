//! `pgcrm agent` without a cluster: the meta-data against the shell agent's (same 32
//! parameters, same types and defaults), OCF exit codes, and validate-all's answer to bad
//! configurations (a clear reason, the right code, at once); and the actions without
//! Pacemaker (rep_mode=none and rep_mode=slave) against PostgreSQL 15 servers this test
//! creates: a primary on 127.0.0.1 and a streaming standby on a Unix socket only, in a
//! scratch directory, on a free private port. The replication state machine, which needs
//! Pacemaker's daemons, is tested in tests/lab_drills.rs (ocf-tester and the failover drills).

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

// ------------------------------------------------------------------------------------------
// the actions against real servers
// ------------------------------------------------------------------------------------------

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// Runs a PostgreSQL program as postgres; panics with its output when it fails.
fn as_postgres(program: &str, args: &[&str]) -> String {
    let o = Command::new("/usr/sbin/runuser")
        .args(["-u", "postgres", "--", &format!("{PG_BIN}/{program}")])
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LC_ALL", "C")
        .current_dir("/")
        .output()
        .expect("run runuser");
    assert!(
        o.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Stops, by the PID in their postmaster.pid, the servers a test started, even when it fails.
struct Servers(Vec<String>);

impl Drop for Servers {
    fn drop(&mut self) {
        for pgdata in &self.0 {
            if let Some(pid) = pgcrm::agent::pg::postmaster_pid(pgdata) {
                // SAFETY: kill has no memory preconditions; the PID is our postmaster's.
                unsafe { libc::kill(pid, libc::SIGQUIT) };
            }
        }
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    l.local_addr().unwrap().port()
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < Duration::from_secs(30), "timed out: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn rc(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn assert_rc(o: &Output, code: i32, what: &str) {
    assert_eq!(
        rc(o),
        code,
        "{what}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// start, monitor, status, stop and validate-all of a standalone server (rep_mode=none) and
/// of a streaming standby (rep_mode=slave: standby.signal and the recovery settings in
/// tmpdir), with the exit codes Pacemaker expects and the servers' real state checked.
#[test]
fn actions_against_real_servers() {
    let root = unsafe { libc::geteuid() } == 0;
    let Some(owner) = pgcrm::agent::pg::lookup_user("postgres") else {
        eprintln!("skipped: no postgres user (install PostgreSQL 15)");
        return;
    };
    if !root || !Path::new(PG_BIN).join("initdb").exists() {
        eprintln!("skipped: needs root and PostgreSQL 15 ({PG_BIN})");
        return;
    }
    let t0 = Instant::now();
    let tmp = tempfile::Builder::new()
        .prefix("pgcrm-agent-test-")
        .tempdir_in("/var/tmp")
        .unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    let (pri, std_) = (path("primary"), path("standby"));
    let mut servers = Servers(vec![pri.clone(), std_.clone()]);
    for d in ["sock1", "sock2", "primary", "standby"] {
        std::fs::create_dir(path(d)).unwrap();
        std::os::unix::fs::chown(path(d), Some(owner.uid), Some(owner.gid)).unwrap();
        std::fs::set_permissions(path(d), std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let port = free_port().to_string();

    as_postgres(
        "initdb",
        &[
            "-D",
            &pri,
            "--no-sync",
            "-U",
            "postgres",
            "--auth-local=peer",
            "--auth-host=trust",
        ],
    );
    // loopback only, a private socket directory; fsync off: a scratch server
    std::fs::write(
        format!("{pri}/postgresql.auto.conf"),
        format!(
            "listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{}'\nfsync = off\nshared_buffers = 16MB\n",
            path("sock1")
        ),
    )
    .unwrap();
    let env_for = |pgdata: &str, sock: &str, name: &str| -> Vec<(String, String)> {
        [
            ("OCF_RESKEY_pgctl", format!("{PG_BIN}/pg_ctl")),
            ("OCF_RESKEY_psql", format!("{PG_BIN}/psql")),
            ("OCF_RESKEY_pgdata", pgdata.to_string()),
            ("OCF_RESKEY_config", format!("{pgdata}/postgresql.conf")),
            ("OCF_RESKEY_pgport", port.clone()),
            ("OCF_RESKEY_socketdir", sock.to_string()),
            ("OCF_RESKEY_logfile", format!("{}.log", path(name))),
            ("OCF_RESKEY_tmpdir", format!("{}-tmp", path(name))),
            ("OCF_RESKEY_stop_escalate", "5".to_string()),
            ("OCF_RESOURCE_INSTANCE", "pgsql".to_string()),
            ("OCF_RESKEY_CRM_meta_on_node", name.to_string()),
            ("OCF_RESKEY_CRM_meta_timeout", "30000".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    };
    let run = |action: &str, env: &[(String, String)], extra: &[(&str, &str)]| {
        let mut all: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        all.extend_from_slice(extra);
        agent(action, &all)
    };
    let probe = [("OCF_RESKEY_CRM_meta_interval", "0")];
    let recurring = [("OCF_RESKEY_CRM_meta_interval", "10000")];
    let sql = |sock: &str, q: &str| {
        as_postgres(
            "psql",
            &["-h", sock, "-p", &port, "-X", "-A", "-t", "-c", q],
        )
    };

    // --- a standalone server, rep_mode=none
    let p = env_for(&pri, &path("sock1"), "primary");
    assert_rc(&run("validate-all", &p, &[]), 0, "validate-all");
    assert_rc(&run("monitor", &p, &probe), 7, "probe of a stopped server");
    assert_rc(&run("status", &p, &[]), 7, "status of a stopped server");
    let t = Instant::now();
    assert_rc(&run("start", &p, &[]), 0, "start");
    let t_start = t.elapsed();
    assert!(pgcrm::agent::pg::is_running(&pri));
    assert_eq!(sql(&path("sock1"), "select pg_is_in_recovery()"), "f");
    let t = Instant::now();
    assert_rc(&run("monitor", &p, &recurring), 0, "monitor");
    let t_monitor = t.elapsed();
    assert_rc(&run("monitor", &p, &probe), 0, "probe of a running server");
    assert_rc(&run("status", &p, &[]), 0, "status");
    assert_rc(&run("start", &p, &[]), 0, "start of a running server");
    // promote/demote: not promotable without replication
    assert_rc(&run("promote", &p, &[]), 3, "promote with rep_mode=none");
    sql(
        &path("sock1"),
        "create table t(id int); insert into t values (1)",
    );

    // --- a streaming standby (rep_mode=slave), copied with pg_basebackup over loopback;
    // same port number, no TCP listener, its own socket directory
    as_postgres(
        "pg_basebackup",
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "postgres",
            "-D",
            &std_,
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        ],
    );
    std::fs::write(
        format!("{std_}/postgresql.auto.conf"),
        format!(
            "listen_addresses = ''\nport = {port}\nunix_socket_directories = '{}'\nfsync = off\nshared_buffers = 16MB\n",
            path("sock2")
        ),
    )
    .unwrap();
    let mut s = env_for(&std_, &path("sock2"), "standby");
    s.push(("OCF_RESKEY_rep_mode".into(), "slave".into()));
    s.push(("OCF_RESKEY_master_ip".into(), "127.0.0.1".into()));
    assert_rc(
        &run("validate-all", &s, &[]),
        0,
        "validate-all of the standby",
    );
    assert_rc(
        &run("monitor", &s, &probe),
        7,
        "probe of the stopped standby",
    );
    assert_rc(&run("start", &s, &[]), 0, "start of the standby");
    assert!(Path::new(&std_).join("standby.signal").exists());
    let rec = std::fs::read_to_string(format!("{}-tmp/recovery.conf", path("standby"))).unwrap();
    assert!(
        rec.contains(&format!(
            "host=127.0.0.1 port={port} user=postgres application_name=standby"
        )),
        "{rec}"
    );
    let conf = std::fs::read_to_string(format!("{std_}/postgresql.conf")).unwrap();
    assert!(
        conf.contains("recovery.conf' # added by pgsql RA"),
        "include line"
    );
    assert_eq!(sql(&path("sock2"), "select pg_is_in_recovery()"), "t");
    assert_rc(&run("monitor", &s, &recurring), 0, "monitor of the standby");
    wait_for("the standby streams from the primary", || {
        sql(
            &path("sock1"),
            "select state from pg_stat_replication where application_name = 'standby'",
        ) == "streaming"
    });
    sql(&path("sock1"), "insert into t values (2)");
    wait_for("the row replicated", || {
        sql(&path("sock2"), "select count(*) from t") == "2"
    });
    // the timeline query the agent compares nodes with: both on 1; after a promotion the
    // standby's data is on 2, where the old primary's timeline 1 can never follow
    use pgcrm::agent::pg::{is_newest, parse_lsn, Position, TIMELINE_SQL};
    assert_eq!(sql(&path("sock1"), TIMELINE_SQL), "1");
    assert_eq!(sql(&path("sock2"), TIMELINE_SQL), "1");
    as_postgres("pg_ctl", &["-D", &std_, "-W", "promote"]);
    wait_for("the standby promoted", || {
        sql(&path("sock2"), "select pg_is_in_recovery()") == "f"
    });
    sql(&path("sock1"), "insert into t values (3)");
    let pos = |sock: &str| {
        let tli = sql(sock, TIMELINE_SQL).parse().ok();
        assert!(tli.is_some());
        let lsn = parse_lsn(&sql(sock, "select pg_current_wal_lsn()")).unwrap();
        Position { tli, lsn }
    };
    let (old, new) = (pos(&path("sock1")), pos(&path("sock2")));
    assert_eq!((old.tli, new.tli), (Some(1), Some(2)));
    assert!(is_newest(new, &[old, new]) && !is_newest(old, &[old, new]));
    let t = Instant::now();
    assert_rc(&run("stop", &s, &[]), 0, "stop of the standby");
    let t_stop = t.elapsed();
    assert!(!pgcrm::agent::pg::is_running(&std_));
    assert!(!Path::new(&std_).join("postmaster.pid").exists());
    assert_rc(
        &run("monitor", &s, &recurring),
        7,
        "monitor of the stopped standby",
    );
    assert_rc(&run("stop", &s, &[]), 0, "stop of a stopped standby");

    // --- a server killed with -9: monitor says "not running", start recovers it
    let pid = pgcrm::agent::pg::postmaster_pid(&pri).expect("postmaster.pid");
    // SAFETY: kill has no memory preconditions; the PID is our postmaster's.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    wait_for("the postmaster gone", || {
        !Path::new(&format!("/proc/{pid}")).exists()
    });
    assert_rc(&run("monitor", &p, &recurring), 7, "monitor after kill -9");
    // its backends notice the dead postmaster and leave; then the server can start again
    wait_for("the killed server restarted", || {
        rc(&run("start", &p, &[])) == 0
    });
    assert_eq!(sql(&path("sock1"), "select count(*) from t"), "3");
    assert_rc(&run("stop", &p, &[]), 0, "stop");
    assert!(!pgcrm::agent::pg::is_running(&pri));
    assert_rc(&run("monitor", &p, &probe), 7, "probe after stop");
    servers.0.clear();
    eprintln!(
        "start {:?}, monitor {:?}, standby stop {:?}, all {:?}",
        t_start,
        t_monitor,
        t_stop,
        t0.elapsed()
    );
}
