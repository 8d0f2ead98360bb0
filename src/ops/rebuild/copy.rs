//! The copy step on NODE: pg_rewind in place, or pg_basebackup into a staging directory next
//! to the data directory, run as the data directory's owner with their `--progress` passed
//! on, and a marker written once the copy is complete. It must leave the old data untouched
//! until the copy is complete (pg_basebackup) and no copy writing behind an interrupted run.

use super::data_steps::{owner, staging, Data, MARKER};
use super::{failed, failed_then, Method, Observer, StepKind};
use crate::agent::pg as agent_pg;
use crate::Result;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A command run as the data directory's owner, killed when pgcrm dies (so an interrupted
/// run leaves no copy still writing behind it).
fn command_as(owner: &agent_pg::Owner, program: &Path, args: &[String]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LANG", "C")
        .env("LC_ALL", "C")
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let (uid, gid, groups) = (owner.uid, owner.gid, owner.groups());
    // SAFETY: only async-signal-safe calls (prctl, setgroups, setgid, setuid) in the child.
    unsafe {
        cmd.pre_exec(move || {
            if libc::geteuid() == 0
                && uid != 0
                && (libc::setgroups(groups.len(), groups.as_ptr()) != 0
                    || libc::setgid(gid) != 0
                    || libc::setuid(uid) != 0)
            {
                return Err(std::io::Error::last_os_error());
            }
            // after setuid: a change of credentials clears the parent-death signal
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    cmd
}

/// Runs `cmd`, feeding pg_basebackup/pg_rewind `--progress` lines (`123/456 kB`) to `obs`.
fn run_with_progress(
    mut cmd: Command,
    total: Option<u64>,
    obs: &mut dyn Observer,
) -> std::result::Result<(), String> {
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let mut err = child.stderr.take().expect("piped");
    let mut buf = [0u8; 4096];
    let mut line = Vec::new();
    let mut text = String::new();
    loop {
        let n = err.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        for &b in &buf[..n] {
            if b == b'\r' || b == b'\n' {
                let l = String::from_utf8_lossy(&line).into_owned();
                if let Some((done, of)) = progress_kb(&l) {
                    obs.copy_progress(done * 1024, Some(of * 1024).or(total));
                } else if !l.trim().is_empty() {
                    text.push_str(l.trim());
                    text.push('\n');
                }
                line.clear();
            } else {
                line.push(b);
            }
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{status}: {}", text.trim()))
    }
}

/// `  12345/67890 kB (18%), 0/1 tablespace` → (12345, 67890).
fn progress_kb(line: &str) -> Option<(u64, u64)> {
    let l = line.trim();
    let (nums, _) = l.split_once(" kB")?;
    let (a, b) = nums.split_once('/')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// A process whose command line names `dir` (a pg_basebackup left over by an interrupted run
/// that outlived pgcrm), if any.
fn writer_of(dir: &Path) -> Option<i32> {
    let needle = dir.display().to_string();
    let me = std::process::id() as i32;
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: i32 = e.file_name().to_str()?.parse().ok()?;
        let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        (pid != me && cmd.contains(&needle) && !cmd.contains("rebuild-standby")).then_some(pid)
    })
}

/// Stops `pid` when it is a pg_basebackup orphaned by an interrupted run: with `-X stream`
/// pg_basebackup forks a WAL streamer that outlives its killed parent and streams on forever
/// into the old copy. True when it is gone.
fn stop_orphan(pid: i32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    let ppid: i32 = field("PPid:").and_then(|v| v.parse().ok()).unwrap_or(0);
    let parent_comm = std::fs::read_to_string(format!("/proc/{ppid}/comm")).unwrap_or_default();
    let orphan = ppid <= 1 || parent_comm.trim() != "pg_basebackup";
    if field("Name:").as_deref() != Some("pg_basebackup") || !orphan {
        return false;
    }
    for (sig, tries) in [(libc::SIGTERM, 50), (libc::SIGKILL, 50)] {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(pid, sig) };
        for _ in 0..tries {
            if !Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/status"))
                    .is_ok_and(|s| s.contains("State:\tZ"))
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    false
}

fn write_marker(dir: &Path, old: &str, owner: &agent_pg::Owner) -> std::io::Result<()> {
    let path = dir.join(MARKER);
    std::fs::write(&path, format!("{old}\n"))?;
    std::os::unix::fs::chown(&path, Some(owner.uid), Some(owner.gid))
}

/// Removes the staging directory `stage` an interrupted pg_basebackup left, after stopping
/// the WAL streamer it orphaned; refuses while another copy still writes into it.
fn remove_incomplete_copy(p: &Data, stage: &Path) -> Result<()> {
    let fail = |e: &dyn std::fmt::Display, state: &str| failed(p, StepKind::Copy, e, state);
    if let Some(pid) = writer_of(stage).filter(|&pid| !stop_orphan(pid)) {
        return Err(fail(
            &format!("a copy into {} still runs (pid {pid})", stage.display()),
            "banned, old data untouched; stop that process or wait for it, then run again",
        ));
    }
    if stage.exists() {
        std::fs::remove_dir_all(stage).map_err(|e| {
            fail(
                &format!("cannot remove the incomplete copy {}: {e}", stage.display()),
                "banned, old data untouched",
            )
        })?;
    }
    Ok(())
}

pub(super) fn step_copy(p: &Data, obs: &mut dyn Observer) -> Result<bool> {
    let pgdata = Path::new(&p.pgdata);
    let stage = staging(&p.pgdata);
    if pgdata.join(MARKER).exists() || stage.join(MARKER).exists() {
        return Ok(true);
    }
    let owner = owner(p)?;
    let fail = |e: &dyn std::fmt::Display, state: &str| failed(p, StepKind::Copy, e, state);
    let bin = |name: &str| Path::new(&p.params.pgctl).with_file_name(name);
    let old = format!(
        "{}.pgcrm-old-{}",
        p.pgdata,
        chrono::Local::now().format("%Y%m%dT%H%M%S")
    );
    if p.method == Method::Rewind {
        // an incomplete pg_basebackup of an earlier run (--method basebackup) is not needed
        if stage.exists() {
            remove_incomplete_copy(p, &stage)?;
        }
        let conninfo = format!(
            "host={} port={} user={} dbname=postgres connect_timeout=10 application_name=pgcrm-rewind",
            p.params.master_ip, p.params.pgport, p.params.pgdba
        );
        let args = vec![
            "-D".to_string(),
            p.pgdata.clone(),
            format!("--source-server={conninfo}"),
            "--progress".into(),
        ];
        // pg_rewind finishes the crash recovery of a killed primary in single-user mode,
        // which refuses to run with a standby.signal (the agents write one before every
        // start); the standby-config step writes it again after the rewind
        for signal in ["standby.signal", "recovery.signal"] {
            match std::fs::remove_file(pgdata.join(signal)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(fail(
                        &format!("cannot remove {}: {e}", pgdata.join(signal).display()),
                        "banned, data untouched",
                    ))
                }
                _ => {}
            }
        }
        // A freshly promoted primary's pg_control still names the old timeline until its
        // first checkpoint (a spread one, minutes later): pg_rewind would read "same
        // timeline", say "no rewind required" and leave a directory that cannot follow the
        // new timeline. pg_rewind's documentation asks for this CHECKPOINT.
        let checkpoint = vec![
            "-X".to_string(),
            "-At".into(),
            "-v".into(),
            "ON_ERROR_STOP=1".into(),
            "-c".into(),
            "CHECKPOINT".into(),
            conninfo.clone(),
        ];
        run_with_progress(
            command_as(&owner, Path::new(&p.params.psql), &checkpoint),
            None,
            obs,
        )
        .map_err(|e| {
            fail(
                &format!("CHECKPOINT on the primary before pg_rewind: {e}"),
                "banned, data untouched",
            )
        })?;
        run_with_progress(
            command_as(&owner, &bin("pg_rewind"), &args),
            p.source_bytes.map(|b| b + p.wal_bytes.unwrap_or(0)),
            obs,
        )
        .map_err(|e| {
            failed_then(
                p,
                StepKind::Copy,
                format!("pg_rewind: {e}"),
                "banned, data directory possibly half rewound (a full copy replaces it)",
                " --method basebackup",
            )
        })?;
        write_marker(pgdata, "", &owner).map_err(|e| fail(&e, "banned, rewound"))?;
        return Ok(false);
    }
    // an interrupted copy: start it again
    remove_incomplete_copy(p, &stage)?;
    std::fs::create_dir(&stage)
        .and_then(|_| std::os::unix::fs::chown(&stage, Some(owner.uid), Some(owner.gid)))
        .and_then(|_| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&stage, std::fs::Permissions::from_mode(0o700))
        })
        .map_err(|e| {
            fail(
                &format!("cannot create {}: {e}", stage.display()),
                "banned, old data untouched",
            )
        })?;
    let mut args = vec![
        "-h".to_string(),
        p.params.master_ip.clone(),
        "-p".into(),
        p.params.pgport.clone(),
        "-U".into(),
        p.params.repuser.clone(),
        "-D".into(),
        stage.display().to_string(),
        "-X".into(),
        "stream".into(),
        "-c".into(),
        "fast".into(),
        "--no-password".into(),
        "--progress".into(),
    ];
    if let Some(r) = &p.max_rate {
        args.push(format!("--max-rate={r}"));
    }
    run_with_progress(
        command_as(&owner, &bin("pg_basebackup"), &args),
        p.source_bytes,
        obs,
    )
    .map_err(|e| {
        fail(
            &format!("pg_basebackup: {e}"),
            "banned, old data untouched, incomplete copy removed on the next run",
        )
    })?;
    write_marker(&stage, &old, &owner).map_err(|e| fail(&e, "banned, old data untouched"))?;
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines() {
        assert_eq!(
            progress_kb("  23110/23110 kB (100%), 1/1 tablespace"),
            Some((23110, 23110))
        );
        assert_eq!(progress_kb("waiting for checkpoint"), None);
    }
}
