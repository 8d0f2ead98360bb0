//! Drills that put PostgreSQL in the states `pgcrm status` must name (issue 7): a lagging
//! standby, two writable servers, and `status --watch` following a change. They run in the
//! main drill sequence, on its lab, each leaving the cluster as the next drill expects.

use super::*;

/// `status --watch` with stdout a pipe: a report at start, another one when a node attribute
/// changes halfway (CIB notification), and exit 0 on SIGINT (Ctrl-C).
pub fn drill_watch(lab: &Lab) -> Res<String> {
    let value = format!("seen-{}", std::process::id());
    let child = lab
        .cmd(&[
            "exec",
            "node1",
            "timeout",
            "--preserve-status",
            "-s",
            "INT",
            "6",
            PGCRM,
            "status",
            "--watch",
            "--interval",
            "1",
            "-A",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {LAB}: {e}"))?;
    thread::sleep(Duration::from_millis(2500));
    lab.exec(
        "node1",
        &[
            "crm_attribute",
            "-N",
            "node2",
            "-l",
            "reboot",
            "-n",
            "pgcrm-watch",
            "-v",
            &value,
        ],
    )?;
    let out = child
        .wait_with_output()
        .map_err(|e| format!("pgcrm status --watch: {e}"))?;
    lab.exec(
        "node1",
        &[
            "crm_attribute",
            "-N",
            "node2",
            "-l",
            "reboot",
            "-n",
            "pgcrm-watch",
            "-D",
        ],
    )?;
    let text = String::from_utf8_lossy(&out.stdout);
    let frames: Vec<&str> = text.split("Cluster Summary:").skip(1).collect();
    let code = out.status.code().unwrap_or(-1);
    if code != 0 {
        return Err(format!(
            "pgcrm status --watch should exit 0 on SIGINT, got {code}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let with_value = frames.iter().filter(|f| f.contains(&value)).count();
    if frames.len() < 2 || frames[0].contains(&value) || with_value == 0 {
        return Err(format!(
            "expected a first report without pgcrm-watch={value} and a later one with it; got {} reports:\n{text}",
            frames.len()
        ));
    }
    if text.contains('\x1b') {
        return Err("no terminal escapes when stdout is not a terminal".into());
    }
    Ok(format!(
        "{} reports in 6 s with --interval 1, the attribute in the last {with_value}; SIGINT → exit 0",
        frames.len()
    ))
}

/// The standby's replay paused while the primary writes: the lag grows past --warn-lag
/// (WARNING) and --crit-lag (CRITICAL); once replay resumes, the check is OK again.
pub fn drill_replay_lag(lab: &Lab) -> Res<String> {
    lab.sql("node2", "select pg_wal_replay_pause()")?;
    let t0 = Instant::now();
    // about 5 MB of WAL; a sync commit waits for the standby's flush, not its replay
    lab.sql(
        "write",
        "create table lag_drill as select repeat('x', 1000) as pad from generate_series(1, 4000)",
    )?;
    let warn = poll(Duration::from_secs(20), "lag over --warn-lag 1MB", || {
        expect_check_with(
            lab,
            "node2",
            &["--warn-lag", "1MB"],
            1,
            &["lag: node2: replay lag"],
        )
        .ok()
    });
    let t_warn = t0.elapsed();
    let crit = expect_check_with(
        lab,
        "node2",
        &["--warn-lag", "1MB", "--crit-lag", "2MB"],
        2,
        &["lag: node2", "over --crit-lag"],
    );
    lab.sql("node2", "select pg_wal_replay_resume()")?;
    let (warn, crit) = (warn?, crit?);
    let t1 = Instant::now();
    poll(Duration::from_secs(30), "the check OK after resume", || {
        expect_check(lab, "node1", 0, &["node2 sync standby"]).ok()
    })?;
    let caught_up = t1.elapsed();
    lab.sql("write", "drop table lag_drill")?;
    let lag = warn
        .split("; ")
        .find(|p| p.contains("replay lag"))
        .unwrap_or("")
        .to_string();
    Ok(format!(
        "replay paused + 5 MB written: WARNING ({lag}) after {}, CRITICAL with --crit-lag 2MB: `{}`; resumed → OK after {}",
        secs(t_warn),
        crit.split(" | ").next().unwrap_or(""),
        secs(caught_up)
    ))
}

/// Two writable servers: after the failover the old primary's PostgreSQL (node1, stopped by
/// Pacemaker) is started by hand on its own data (a scratch copy: the rebuild drill that
/// follows wipes it), so both accept writes while Pacemaker says node1 is Stopped. The check
/// is CRITICAL naming both; then the hand-started server is stopped again.
pub fn drill_two_primaries(lab: &Lab) -> Res<String> {
    // no archiving from the stray server into the shared archive; its socket in node1's /tmp
    let start = format!(
        "runuser -u postgres -- {PGBIN}/pg_ctl -D \"$PGDATA\" -w -t 60 -l \"$PGCRM_LAB_ROOT/local/pgsql-tmp/two-primaries.log\" \
         -o '-c archive_mode=off -c unix_socket_directories=/tmp' start"
    );
    lab.exec("node1", &["sh", "-c", &start])?;
    let rw = lab.sql("node1", "select pg_is_in_recovery()");
    let check = expect_check(
        lab,
        "node2",
        2,
        &[
            "multiple-writable",
            "role-mismatch: node1: PostgreSQL accepts writes, but Pacemaker runs",
        ],
    );
    let stop = format!("runuser -u postgres -- {PGBIN}/pg_ctl -D \"$PGDATA\" -w -m fast stop");
    lab.exec("node1", &["sh", "-c", &stop])?;
    if rw?.as_str() != "f" {
        return Err("the hand-started server on node1 should accept writes".into());
    }
    let check = check?;
    Ok(format!(
        "node1's old primary started by hand: `{}` exit 2; stopped again",
        check.split(" | ").next().unwrap_or("")
    ))
}

const PGBIN: &str = "/usr/lib/postgresql/15/bin";
