//! PostgreSQL, as the agent drives it: is the postmaster alive (`postmaster.pid` checked
//! against `/proc`), start and promote with `pg_ctl` run as the data directory's owner, stop
//! and reload with the postmaster's own signals (SIGINT fast, SIGQUIT immediate, SIGHUP
//! reload: exactly what `pg_ctl stop`/`reload` send, without forking it), and SQL over the
//! server's socket with tokio-postgres. Every wait takes a [`Deadline`].
//!
//! Nothing here knows about Pacemaker or node attributes, and nothing prints.

use std::ffi::CString;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The moment an operation must have finished by.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    pub fn after(d: Duration) -> Deadline {
        Deadline(Instant::now() + d)
    }
    pub fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }
    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }
    /// This deadline moved `margin` earlier (never before now), to keep time to report.
    pub fn minus(&self, margin: Duration) -> Deadline {
        let now = Instant::now();
        Deadline(
            self.0
                .checked_sub(margin)
                .filter(|t| *t > now)
                .unwrap_or(now),
        )
    }
    /// The sooner of this deadline and `d` from now.
    pub fn within(&self, d: Duration) -> Duration {
        self.remaining().min(d)
    }
}

/// The operating-system user that owns the data directory.
#[derive(Debug, Clone)]
pub struct Owner {
    pub name: String,
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
    pub home: String,
}

impl Owner {
    /// The user's supplementary groups, for a child run as this user (computed only then:
    /// the group database walks every NSS source, loading libnss modules, a cost a monitor,
    /// which runs no program, must not pay).
    pub fn groups(&self) -> Vec<libc::gid_t> {
        let mut groups = vec![0 as libc::gid_t; 256];
        if let Ok(cname) = CString::new(self.name.as_str()) {
            let mut n = groups.len() as libc::c_int;
            // SAFETY: groups has room for n entries; cname is NUL-terminated.
            let rc = unsafe {
                libc::getgrouplist(cname.as_ptr(), self.gid, groups.as_mut_ptr(), &mut n)
            };
            groups.truncate(if rc < 0 { 0 } else { n as usize });
        } else {
            groups.clear();
        }
        if groups.is_empty() {
            groups.push(self.gid);
        }
        groups
    }
}

/// Looks up `name` in the password database (getpwnam_r, no fork of `id`).
pub fn lookup_user(name: &str) -> Option<Owner> {
    let cname = CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; 16384];
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: all pointers are valid for the call; the strings live in `buf`.
    let rc = unsafe {
        libc::getpwnam_r(
            cname.as_ptr(),
            &mut pw,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() {
        return None;
    }
    // SAFETY: getpwnam_r succeeded, so pw_dir points into buf and is NUL-terminated.
    let home = unsafe { std::ffi::CStr::from_ptr(pw.pw_dir) }
        .to_string_lossy()
        .into_owned();
    Some(Owner {
        name: name.to_string(),
        uid: pw.pw_uid,
        gid: pw.pw_gid,
        home,
    })
}

/// The data directory's `PG_VERSION` as (major, minor): "15" is (15, 0), "9.6" is (9, 6).
pub fn pg_version(pgdata: &str) -> Option<(u32, u32)> {
    let text = std::fs::read_to_string(Path::new(pgdata).join("PG_VERSION")).ok()?;
    let mut it = text.trim().split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

/// The postmaster's PID when `postmaster.pid` names a live postgres process. A PID file left
/// by a killed server, or naming a PID reused by another program, is not a running server.
pub fn postmaster_pid(pgdata: &str) -> Option<i32> {
    let text = std::fs::read_to_string(Path::new(pgdata).join("postmaster.pid")).ok()?;
    let pid: i32 = text.lines().next()?.trim().parse().ok()?;
    if pid <= 0 {
        return None;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/comm")) {
        Ok(comm) => {
            let comm = comm.trim();
            (comm == "postgres" || comm == "postmaster").then_some(pid)
        }
        // no /proc entry: the process is gone
        Err(_) => None,
    }
}

/// The first socket directory of the server running from `pgdata`, from its `postmaster.pid`
/// (fifth line, written once the socket exists): where it really listens, whatever include
/// files or `-c` options set, and cheaper than reading postgresql.conf on every monitor.
pub fn socket_dir_from_pid(pgdata: &str) -> Option<String> {
    let text = std::fs::read_to_string(Path::new(pgdata).join("postmaster.pid")).ok()?;
    let dir = text.lines().nth(4)?.trim();
    dir.starts_with('/').then(|| dir.to_string())
}

pub fn is_running(pgdata: &str) -> bool {
    postmaster_pid(pgdata).is_some()
}

/// Sends `sig` to the postmaster; false when it is not running.
pub fn signal_postmaster(pgdata: &str, sig: libc::c_int) -> bool {
    match postmaster_pid(pgdata) {
        // SAFETY: kill has no memory-safety preconditions.
        Some(pid) => unsafe { libc::kill(pid, sig) == 0 },
        None => false,
    }
}

/// Waits until the postmaster is gone; false when the deadline came first.
pub fn wait_stopped(pgdata: &str, deadline: Deadline) -> bool {
    loop {
        if !is_running(pgdata) {
            return true;
        }
        if deadline.expired() {
            return false;
        }
        std::thread::sleep(deadline.within(Duration::from_millis(100)));
    }
}

/// How a child program ended.
#[derive(Debug)]
pub struct Finished {
    pub success: bool,
    pub stderr: String,
}

/// Runs `program args` as `owner` (when we are root) in `cwd` with exactly `env`, killed at
/// `deadline`. stdout and stderr are read without waiting for grandchildren (pg_ctl leaves
/// a daemon behind, which must not hold this call open).
pub fn run_as(
    owner: &Owner,
    program: &str,
    args: &[String],
    cwd: &str,
    env: &[(String, String)],
    deadline: Deadline,
) -> Result<Finished, String> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 && owner.uid != 0 {
        let (uid, gid, groups) = (owner.uid, owner.gid, owner.groups());
        // SAFETY: only async-signal-safe calls (setgroups, setgid, setuid) run in the child;
        // the group list was computed before the fork.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setgroups(groups.len(), groups.as_ptr()) != 0
                    || libc::setgid(gid) != 0
                    || libc::setuid(uid) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let mut stderr_pipe = child.stderr.take();
    if let Some(p) = &stderr_pipe {
        use std::os::fd::AsRawFd;
        // SAFETY: fcntl on a file descriptor we own.
        unsafe {
            let fd = p.as_raw_fd();
            let fl = libc::fcntl(fd, libc::F_GETFL);
            libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
        }
    }
    let mut stderr = Vec::new();
    let status = loop {
        if let Some(p) = stderr_pipe.as_mut() {
            let mut chunk = [0u8; 4096];
            match p.read(&mut chunk) {
                Ok(0) => stderr_pipe = None,
                Ok(n) => stderr.extend_from_slice(&chunk[..n]),
                Err(_) => {}
            }
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if deadline.expired() => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{program} did not finish before the operation's timeout"
                ));
            }
            Ok(None) => std::thread::sleep(deadline.within(Duration::from_millis(20))),
            Err(e) => return Err(format!("waiting for {program}: {e}")),
        }
    };
    if let Some(p) = stderr_pipe.as_mut() {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = p.read(&mut chunk) {
            if n == 0 {
                break;
            }
            stderr.extend_from_slice(&chunk[..n]);
        }
    }
    Ok(Finished {
        success: status.success(),
        stderr: String::from_utf8_lossy(&stderr).trim().to_string(),
    })
}

/// The first directory of `unix_socket_directories` set in a postgresql.conf, if any.
pub fn socket_dir_from_config(config: &str) -> Option<String> {
    let text = std::fs::read_to_string(config).ok()?;
    let mut found = None;
    for line in text.lines() {
        // the name first: a monitor reads this file (~800 lines, nearly all comments) each time
        let Some(rest) = line.trim_start().strip_prefix("unix_socket_directories") else {
            continue;
        };
        let rest = rest.split('#').next().unwrap_or("");
        let value = rest.trim_start().trim_start_matches('=').trim();
        let value = value.trim_matches('\'');
        if let Some(first) = value.split(',').next().map(str::trim) {
            if !first.is_empty() {
                // the last setting in the file wins, as for PostgreSQL
                found = Some(first.to_string());
            }
        }
    }
    found
}

/// Where and as whom to connect.
#[derive(Debug, Clone)]
pub struct ConnTarget {
    /// A host name or address, or a socket directory (starts with `/`).
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
}

/// A session on the local server.
pub struct Sql {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

/// Sets this thread's effective uid (a raw syscall, so other threads keep theirs).
fn set_thread_euid(uid: libc::uid_t) -> bool {
    // SAFETY: setresuid has no memory-safety preconditions; -1 leaves an id unchanged.
    unsafe { libc::syscall(libc::SYS_setresuid, -1i64, uid as i64, -1i64) == 0 }
}

impl Sql {
    /// Connects before `deadline`. When we are root and the owner is not, the socket is
    /// opened with the owner's effective uid, so `peer` authentication (Debian's default
    /// `local all postgres peer`) sees the same user as the shell agent's `su postgres -c psql`.
    pub fn connect(
        target: &ConnTarget,
        peer_as: Option<&Owner>,
        deadline: Deadline,
    ) -> Result<Sql, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| format!("cannot create the I/O runtime: {e}"))?;
        let mut config = tokio_postgres::Config::new();
        config
            .host(&target.host)
            .port(target.port)
            .user(&target.user)
            .dbname(&target.dbname)
            .application_name("pgcrm-agent")
            .connect_timeout(
                deadline
                    .within(Duration::from_secs(30))
                    .max(Duration::from_millis(1)),
            );
        if let Some(p) = &target.password {
            config.password(p);
        }
        // SAFETY: geteuid has no preconditions.
        let switch = peer_as.filter(|o| o.uid != 0 && unsafe { libc::geteuid() } == 0);
        if let Some(o) = switch {
            if !set_thread_euid(o.uid) {
                return Err(format!("cannot switch to user {} to connect", o.name));
            }
        }
        let res = rt.block_on(async {
            tokio::time::timeout(deadline.remaining(), config.connect(tokio_postgres::NoTls)).await
        });
        if switch.is_some() && !set_thread_euid(0) {
            return Err("cannot switch back to root after connecting".into());
        }
        let (client, connection) = match res {
            Err(_) => {
                return Err(format!(
                    "connecting to {}:{} timed out",
                    target.host, target.port
                ))
            }
            Ok(Err(e)) => {
                return Err(format!(
                    "cannot connect to {}:{}: {}",
                    target.host,
                    target.port,
                    pg_error(&e)
                ))
            }
            Ok(Ok(pair)) => pair,
        };
        rt.spawn(async move {
            let _ = connection.await;
        });
        Ok(Sql { rt, client })
    }

    /// Runs `sql` (one or more statements, simple protocol, as `psql -c`) and returns the
    /// rows of the last result as text.
    pub fn query(
        &mut self,
        sql: &str,
        deadline: Deadline,
    ) -> Result<Vec<Vec<Option<String>>>, String> {
        let client = &self.client;
        let res = self.rt.block_on(async {
            tokio::time::timeout(deadline.remaining(), client.simple_query(sql)).await
        });
        let msgs = match res {
            Err(_) => return Err(format!("query {sql:?} timed out")),
            Ok(Err(e)) => return Err(format!("query {sql:?} failed: {}", pg_error(&e))),
            Ok(Ok(m)) => m,
        };
        let mut rows = Vec::new();
        for m in msgs {
            match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => {
                    rows.push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                }
                tokio_postgres::SimpleQueryMessage::CommandComplete(_) => {}
                _ => {}
            }
        }
        Ok(rows)
    }

    /// The first column of the first row.
    pub fn value(&mut self, sql: &str, deadline: Deadline) -> Result<Option<String>, String> {
        Ok(self
            .query(sql, deadline)?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten()))
    }
}

/// The server's message when there is one (tokio-postgres' Display says only "db error").
fn pg_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(inner) = src {
                s.push_str(&format!(": {inner}"));
                src = inner.source();
            }
            s
        }
    }
}

/// A WAL position (`X/Y`) as a number, so positions compare correctly.
pub fn parse_lsn(s: &str) -> Option<u64> {
    let (hi, lo) = s.trim().split_once('/')?;
    Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
}

/// The shell agent's attribute format for a position: 16 upper-case hex digits.
pub fn format_lsn(lsn: u64) -> String {
    format!("{:08X}{:08X}", lsn >> 32, lsn & 0xffff_ffff)
}

/// Reads a position back from the attribute format (16 hex digits).
pub fn parse_lsn_attr(s: &str) -> Option<u64> {
    let s = s.trim();
    (s.len() == 16).then(|| u64::from_str_radix(s, 16).ok())?
}

/// The timeline a server's data is on (PostgreSQL 10+). A primary: its current WAL file's.
/// A standby: the newer of its last restartpoint's and the one its WAL receiver streams (a
/// standby that followed a promotion is on the new timeline before its next restartpoint).
/// The checkpoint alone is not enough: a server just promoted keeps its old timeline there
/// until its first checkpoint.
pub const TIMELINE_SQL: &str = "select case when pg_is_in_recovery() \
     then greatest((select timeline_id from pg_control_checkpoint()), \
                   (select received_tli from pg_stat_wal_receiver)) \
     else ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int end";

/// Where a node's data ends: its timeline (when known) and WAL position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub tli: Option<u32>,
    pub lsn: u64,
}

/// Orders two nodes' data as PAF does: by timeline first, and by WAL position only on the
/// same timeline. A position on an older timeline may be numerically larger and still be
/// history the newer timeline forked away from (transactions of a failed primary that no
/// standby received): it is older data, never newer. When either side's timeline is
/// unknown (PostgreSQL before 10, a node that published none), positions alone decide, as
/// the shell agent compares them.
pub fn compare(a: Position, b: Position) -> std::cmp::Ordering {
    match (a.tli, b.tli) {
        (Some(ta), Some(tb)) => ta.cmp(&tb).then(a.lsn.cmp(&b.lsn)),
        _ => a.lsn.cmp(&b.lsn),
    }
}

/// Is `mine` the newest of `all` (which includes it)? [`compare`], with one rule for the
/// whole set: timelines count only when every node published one (else a node without a
/// timeline could rank both above and below the same other node).
pub fn is_newest(mine: Position, all: &[Position]) -> bool {
    let with_tli = mine.tli.is_some() && all.iter().all(|p| p.tli.is_some());
    let strip = |p: Position| Position {
        tli: p.tli.filter(|_| with_tli),
        lsn: p.lsn,
    };
    all.iter()
        .all(|p| compare(strip(mine), strip(*p)) != std::cmp::Ordering::Less)
}

/// `path` inside `dir`.
pub fn join(dir: &str, name: &str) -> PathBuf {
    Path::new(dir).join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_position_compares_timelines_first() {
        let p = |tli: Option<u32>, lsn: u64| Position { tli, lsn };
        // the old primary's timeline 1 went further than where timeline 2 forked off
        let forked = p(Some(1), 0x3000_0000);
        let promoted = p(Some(2), 0x2000_0000);
        let all = [forked, promoted];
        assert!(!is_newest(forked, &all));
        assert!(is_newest(promoted, &all));
        // same timeline: the larger position
        let all = [p(Some(2), 10), p(Some(2), 11)];
        assert!(is_newest(all[1], &all) && !is_newest(all[0], &all));
        // equal positions are both newest (the shell agent's rule: ties may promote)
        assert!(is_newest(p(Some(2), 11), &[p(Some(2), 11), p(Some(2), 11)]));
        // a node without a timeline: positions only
        let all = [p(Some(1), 0x3000_0000), p(None, 0x2000_0000)];
        assert!(is_newest(all[0], &all) && !is_newest(all[1], &all));
    }

    #[test]
    fn newest_of_three_nodes() {
        // the 3-node election with no primary (have_master_right): node1 kept writing on
        // timeline 2 after node2 was promoted to timeline 3 (forked away), node3 followed
        // node2 and received a little less than node2
        let p = |tli: Option<u32>, lsn: u64| Position { tli, lsn };
        let forked = p(Some(2), 0x5000_0000);
        let newest = p(Some(3), 0x3000_0000);
        let behind = p(Some(3), 0x2F00_0000);
        let all = [forked, newest, behind];
        assert!(is_newest(newest, &all));
        assert!(!is_newest(forked, &all) && !is_newest(behind, &all));
        // a node behind on timeline, below the fork point: older too
        let all = [p(Some(2), 0x1000_0000), newest, behind];
        assert!(is_newest(newest, &all) && !is_newest(all[0], &all));
        // one node without a timeline: positions alone, for everyone (no mixed rules)
        let all = [p(None, 0x5000_0000), newest, behind];
        assert!(is_newest(all[0], &all) && !is_newest(newest, &all));
    }

    #[test]
    fn lsn_compare_as_numbers() {
        // lexically "9/0" > "10/0"; as numbers it is older
        assert!(parse_lsn("9/0").unwrap() < parse_lsn("10/0").unwrap());
        assert_eq!(
            format_lsn(parse_lsn("0/3000060").unwrap()),
            "0000000003000060"
        );
        assert_eq!(parse_lsn_attr("0000000A00000001"), Some((10 << 32) | 1));
        assert_eq!(parse_lsn_attr("xyz"), None);
        assert_eq!(parse_lsn("nope"), None);
    }

    #[test]
    fn socket_directory_from_the_lock_file() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        assert_eq!(socket_dir_from_pid(d), None);
        let pid = dir.path().join("postmaster.pid");
        // a server still starting has not written the socket line yet
        std::fs::write(&pid, format!("269\n{d}\n1795617022\n5432\n")).unwrap();
        assert_eq!(socket_dir_from_pid(d), None);
        std::fs::write(
            &pid,
            format!("269\n{d}\n1795617022\n5432\n/var/run/postgresql\n*\n  2168\nready   \n"),
        )
        .unwrap();
        assert_eq!(
            socket_dir_from_pid(d).as_deref(),
            Some("/var/run/postgresql")
        );
        // unix_socket_directories = '': TCP only
        std::fs::write(&pid, format!("269\n{d}\n1795617022\n5432\n\n*\n")).unwrap();
        assert_eq!(socket_dir_from_pid(d), None);
    }

    #[test]
    fn socket_directory_from_config() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("postgresql.conf");
        std::fs::write(
            &conf,
            "#unix_socket_directories = '/tmp'\nunix_socket_directories = '/var/run/postgresql, /x' # comment\n",
        )
        .unwrap();
        assert_eq!(
            socket_dir_from_config(conf.to_str().unwrap()).as_deref(),
            Some("/var/run/postgresql")
        );
    }

    #[test]
    fn deadlines() {
        let d = Deadline::after(Duration::from_secs(10));
        assert!(d.minus(Duration::from_secs(20)).expired());
        assert!(d.within(Duration::from_secs(1)) <= Duration::from_secs(1));
        assert!(lookup_user("root").is_some_and(|o| o.uid == 0));
        assert!(lookup_user("no-such-user-pgcrm").is_none());
        assert!(postmaster_pid("/nonexistent").is_none());
    }
}
