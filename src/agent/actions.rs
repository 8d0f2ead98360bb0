//! The OCF actions and the replication state machine of `ocf:heartbeat:pgsql`, re-implemented:
//! the same attribute values at the same moments (anchors D.1.3), the same `PGSQL.lock` and
//! `rep_mode.conf`/`recovery.conf` files in `tmpdir`, so either agent can take over a node the
//! other managed. Where the shell agent waits forever (start, promote, stop, attribute
//! updates), these wait until the operation's deadline and then fail with a reason.
//!
//! `PGSQL.lock`: created by `promote`, it marks "this data directory has been a primary". It is
//! removed only when the primary is demoted while Pacemaker reports no standby running
//! (`notify_slave_uname` empty: a clean shutdown of the whole cluster), because only then is
//! this node certainly the newest. After a failover the old primary keeps the file and its
//! `start` is refused: its data may have diverged from the new primary (transactions that
//! never reached the standby), so it must be rebuilt (pg_basebackup or pg_rewind) and the
//! file removed by the operator (or `pgcrm`'s rebuild), never silently.

use super::cluster_io::ClusterIo;
use super::params::{Env, Params, RepMode};
use super::pg::{self, ConnTarget, Deadline, Owner, Sql};
use super::{AResult, Fail, Level, Log, OcfRc, Outcome};
use std::path::{Path, PathBuf};
use std::time::Duration;

const CAN_NOT_PROMOTE: &str = "-INFINITY";
const CAN_PROMOTE: &str = "100";
const PROMOTE_ME: &str = "1000";
const INCLUDE_SUFFIX: &str = "# added by pgsql RA";

/// Which role a stop ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopKind {
    Plain,
    Standby,
    Primary,
}

pub struct Agent<'a> {
    pub action: String,
    pub p: Params,
    pub owner: Option<Owner>,
    deadline: Deadline,
    log: &'a mut dyn Log,
    cluster: ClusterIo,
    sql: Option<Sql>,
    /// Variables handed to pg_ctl besides PATH/HOME/PGPORT (locale, time zone).
    child_env: Vec<(String, String)>,
    /// Set when a standby was just made synchronous: look at pg_stat_replication again.
    re_control: bool,
}

impl<'a> Agent<'a> {
    pub fn new(
        action: &str,
        p: Params,
        env: &Env,
        deadline: Deadline,
        log: &'a mut dyn Log,
    ) -> Agent<'a> {
        let per_request = Duration::from_secs(p.int("crm_attr_timeout").max(1) as u64);
        let child_env = ["LANG", "LC_ALL", "LC_MESSAGES", "TZ"]
            .iter()
            .filter_map(|k| env.get(k).map(|v| (k.to_string(), v.to_string())))
            .collect();
        Agent {
            action: action.to_string(),
            p,
            owner: None,
            deadline,
            log,
            cluster: ClusterIo::new(per_request, deadline),
            sql: None,
            child_env,
            re_control: false,
        }
    }

    pub fn is_probe(&self) -> bool {
        self.p.is_probe(&self.action)
    }

    fn info(&mut self, msg: &str) {
        self.log.log(Level::Info, msg);
    }
    fn warn(&mut self, msg: &str) {
        self.log.log(Level::Warn, msg);
    }
    fn debug(&mut self, msg: &str) {
        self.log.log(Level::Debug, msg);
    }

    fn me(&self) -> String {
        self.p.ctx.node.clone()
    }

    fn owner(&self) -> AResult<&Owner> {
        self.owner
            .as_ref()
            .ok_or_else(|| Fail::generic(format!("user {} not resolved", self.p.pgdba)))
    }

    // ---------------------------------------------------------------- files and paths

    fn tmp(&self, name: &str) -> PathBuf {
        pg::join(&self.p.tmpdir, name)
    }
    fn lock_file(&self) -> PathBuf {
        self.tmp("PGSQL.lock")
    }
    fn rep_mode_conf(&self) -> PathBuf {
        self.tmp("rep_mode.conf")
    }
    fn use_standby_signal(&self) -> bool {
        pg::pg_version(&self.p.pgdata).is_some_and(|v| v >= (12, 0))
    }
    /// PostgreSQL 12+ refuses a recovery.conf in the data directory: it lives in tmpdir and
    /// is included from postgresql.conf.
    fn recovery_conf(&self) -> PathBuf {
        if self.use_standby_signal() {
            self.tmp("recovery.conf")
        } else {
            pg::join(&self.p.pgdata, "recovery.conf")
        }
    }
    fn xlog_note(&self, n: i64) -> PathBuf {
        self.tmp(&format!("xlog_note.{n}"))
    }
    fn remove_xlog_notes(&self) {
        if let Ok(dir) = std::fs::read_dir(&self.p.tmpdir) {
            for e in dir.flatten() {
                if e.file_name().to_string_lossy().starts_with("xlog_note.") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }

    /// Writes `content` to `path`, owned by pgdba, mode 600.
    fn write_owned(&self, path: &Path, content: &str) -> AResult<()> {
        let owner = self.owner()?;
        let fail =
            |e: std::io::Error| Fail::generic(format!("cannot write {}: {e}", path.display()));
        std::fs::write(path, content).map_err(fail)?;
        std::os::unix::fs::chown(path, Some(owner.uid), Some(owner.gid)).map_err(fail)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(fail)?;
        Ok(())
    }

    // ---------------------------------------------------------------- SQL

    fn conn_target(&self) -> ConnTarget {
        let host = if !self.p.pghost.is_empty() {
            self.p.pghost.clone()
        } else if !self.p.socketdir.is_empty() {
            self.p.socketdir.clone()
        } else {
            pg::socket_dir_from_pid(&self.p.pgdata)
                .or_else(|| pg::socket_dir_from_config(&self.p.config))
                .unwrap_or_else(|| "/var/run/postgresql".to_string())
        };
        let (user, password) = if self.p.monitor_user.is_empty() {
            (self.p.pgdba.clone(), None)
        } else {
            (
                self.p.monitor_user.clone(),
                Some(self.p.monitor_password.clone()),
            )
        };
        ConnTarget {
            host,
            port: self.p.pgport.parse().unwrap_or(5432),
            user,
            password,
            dbname: self.p.pgdb.clone(),
        }
    }

    /// Runs `q` and returns its rows; a failed session is dropped so the next call reconnects.
    fn query(&mut self, q: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        if self.sql.is_none() {
            let target = self.conn_target();
            let peer = if self.p.monitor_user.is_empty() {
                self.owner.as_ref()
            } else {
                None
            };
            self.sql = Some(Sql::connect(&target, peer, self.deadline)?);
        }
        let res = self.sql.as_mut().expect("just set").query(q, self.deadline);
        if res.is_err() {
            self.sql = None;
        }
        res
    }

    fn query_value(&mut self, q: &str) -> Result<Option<String>, String> {
        Ok(self
            .query(q)?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten()))
    }

    // ---------------------------------------------------------------- dispatch

    pub fn dispatch(&mut self) -> AResult<OcfRc> {
        // SAFETY: geteuid has no preconditions.
        let euid = unsafe { libc::geteuid() };
        if euid != 0 && self.owner.as_ref().is_some_and(|o| o.uid != euid) {
            return Err(Fail::generic(format!(
                "the agent must run as root or as {} (pgdba)",
                self.p.pgdba
            )));
        }
        match self.action.as_str() {
            "status" => Ok(if pg::is_running(&self.p.pgdata) {
                OcfRc::Success
            } else {
                OcfRc::NotRunning
            }),
            "monitor" => self.monitor(),
            "start" => self.start(),
            "stop" => self.stop(),
            "promote" => self.promote(),
            "demote" => self.demote(),
            "notify" => self.notify(),
            // every parameter is non-unique: a change needs no restart
            "reload" => Ok(OcfRc::Success),
            other => Err(Fail::new(
                OcfRc::ErrUnimplemented,
                format!("unknown action {other}"),
            )),
        }
    }

    /// `stop` with an invalid configuration: success when no server runs from pgdata
    /// (the shell agent answers success without looking); a running one is stopped first.
    pub fn invalid_stop(&mut self, why: &Fail) -> Outcome {
        self.warn(&format!(
            "stop with an invalid configuration: {}",
            why.reason
        ));
        let rc = if pg::is_running(&self.p.pgdata) {
            match self.real_stop(StopKind::Plain) {
                Ok(()) => OcfRc::Success,
                Err(f) => {
                    return Outcome {
                        rc: f.rc,
                        reason: Some(f.reason),
                        stdout: None,
                    }
                }
            }
        } else {
            OcfRc::Success
        };
        if self.p.is_replication() && !self.p.ctx.resource.is_empty() {
            let me = self.me();
            let _ = self.change_pgsql_status(&me, "UNKNOWN");
        }
        Outcome {
            rc,
            reason: None,
            stdout: None,
        }
    }

    // ---------------------------------------------------------------- monitor

    /// Is the server up and answering, and in which role (shell: pgsql_real_monitor).
    fn real_monitor(&mut self, quiet: bool) -> AResult<OcfRc> {
        if !pg::is_running(&self.p.pgdata) {
            if !quiet {
                self.info("PostgreSQL is down");
            }
            return Ok(OcfRc::NotRunning);
        }
        if self.p.is_replication() {
            let v = self
                .query_value("select pg_is_in_recovery()")
                .map_err(|e| {
                    Fail::generic(format!("cannot get PostgreSQL's recovery status: {e}"))
                })?;
            match v.as_deref() {
                Some("f") => {
                    if self.p.is_default_monitor_sql() {
                        if self.is_probe() {
                            self.set_own_score(PROMOTE_ME)?;
                        }
                        return Ok(OcfRc::RunningPromoted);
                    }
                }
                Some("t") => {
                    if self.is_probe() {
                        self.set_own_score(CAN_NOT_PROMOTE)?;
                    }
                    return Ok(OcfRc::Success);
                }
                other => {
                    return Err(Fail::generic(format!(
                        "select pg_is_in_recovery() returned {other:?}"
                    )))
                }
            }
        }
        let sql = self.p.monitor_sql.clone();
        self.query(&sql).map_err(|e| {
            Fail::generic(format!("PostgreSQL {} isn't answering: {e}", self.p.pgdb))
        })?;
        Ok(if self.p.is_replication() {
            OcfRc::RunningPromoted
        } else {
            OcfRc::Success
        })
    }

    fn monitor(&mut self) -> AResult<OcfRc> {
        let rc = self.real_monitor(true)?;
        if self.p.check_wal_receiver {
            self.wal_receiver_status(rc)?;
        }
        if !self.p.is_replication() {
            return Ok(rc);
        }
        self.replication_monitor(rc)
    }

    fn wal_receiver_status(&mut self, rc: OcfRc) -> AResult<()> {
        let attr = self.p.attr_receiver_status();
        let me = self.me();
        let value = if rc == OcfRc::NotRunning {
            return Ok(());
        } else if self
            .query_value("select count(*) from pg_stat_wal_receiver")
            .ok()
            .flatten()
            .is_some_and(|n| n != "0")
        {
            "normal"
        } else if rc == OcfRc::RunningPromoted {
            "normal (master)"
        } else {
            self.warn("wal receiver process is not running");
            "ERROR"
        };
        self.cluster
            .set_transient(&attr, value, &me)
            .map_err(Fail::generic)
    }

    fn replication_monitor(&mut self, rc: OcfRc) -> AResult<OcfRc> {
        let me = self.me();
        if rc == OcfRc::RunningPromoted {
            self.change_data_status(&me, "LATEST")?;
            self.change_pgsql_status(&me, "PRI")?;
            self.control_slave_status()?;
            if self.re_control {
                self.wait_for_sync_standby();
                self.info("re-controlling standby status");
                self.re_control = false;
                self.control_slave_status()?;
            }
            return Ok(rc);
        }
        if rc != OcfRc::Success {
            return Ok(rc);
        }
        let resource = self.p.ctx.resource.clone();
        if !self
            .cluster
            .promoted_exists(&resource)
            .map_err(Fail::generic)?
        {
            self.debug("no promoted instance exists");
            self.change_pgsql_status(&me, "HS:alone")?;
            if self.have_master_right()? {
                self.remove_xlog_notes();
            }
        } else {
            let data_status = self
                .cluster
                .get_permanent(&self.p.attr_data_status(), &me)
                .map_err(Fail::generic)?;
            if data_status.as_deref() == Some("DISCONNECT") {
                self.change_pgsql_status(&me, "HS:alone")?;
            }
        }
        Ok(rc)
    }

    /// After naming a synchronous standby, waits (up to 2 s, as the shell agent's fixed
    /// sleep) for the primary to report it, so the attributes follow in the same monitor.
    fn wait_for_sync_standby(&mut self) {
        let until = Deadline::after(self.deadline.within(Duration::from_secs(2)));
        while !until.expired() {
            let sync = self
                .query_value("select count(*) from pg_stat_replication where sync_state = 'sync'")
                .ok()
                .flatten();
            if sync.is_some_and(|n| n != "0") {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    // ---------------------------------------------------------------- start

    fn start(&mut self) -> AResult<OcfRc> {
        if !self.p.is_replication() {
            if self.p.rep_mode() == Ok(RepMode::Slave) {
                self.ensure_includes()?;
                let _ = std::fs::remove_file(self.recovery_conf());
                self.make_recovery_conf()?;
            }
            return self.real_start();
        }
        let me = self.me();
        self.change_pgsql_status(&me, "STOP")?;
        self.delete_attr(&self.p.attr_master_baseline(), &me);
        self.set_own_score(CAN_NOT_PROMOTE)?;
        self.remove_xlog_notes();
        let _ = std::fs::remove_file(self.rep_mode_conf());
        let _ = std::fs::remove_file(self.recovery_conf());
        self.ensure_includes()?;
        self.make_recovery_conf()?;
        self.delete_attr(&self.p.attr_xlog_loc(), &me);
        self.delete_attr(&self.p.attr_timeline(), &me);
        self.set_async_mode_all()?;
        if self.lock_file().exists() {
            return Err(Fail::generic(format!(
                "My data may be inconsistent. You have to remove {} file to force start.",
                self.lock_file().display()
            )));
        }
        let rc = self.real_start()?;
        if rc != OcfRc::Success {
            return Err(Fail::generic(format!(
                "PostgreSQL started in an unexpected state (rc {})",
                rc.code()
            )));
        }
        let names = self
            .query_value("show synchronous_standby_names")
            .map_err(Fail::generic)?;
        if names.is_some_and(|n| !n.is_empty()) {
            return Err(Fail::new(
                OcfRc::ErrConfigured,
                "synchronous_standby_names is set in postgresql.conf: remove it, the agent manages it in rep_mode.conf",
            ));
        }
        self.change_pgsql_status(&me, "HS:alone")?;
        Ok(OcfRc::Success)
    }

    fn pg_env(&self) -> AResult<Vec<(String, String)>> {
        let owner = self.owner()?;
        let mut env = vec![
            (
                "PATH".to_string(),
                "/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
            ),
            ("HOME".to_string(), owner.home.clone()),
            ("USER".to_string(), owner.name.clone()),
            ("LOGNAME".to_string(), owner.name.clone()),
            ("PGPORT".to_string(), self.p.pgport.clone()),
        ];
        if !self.p.pglibs.is_empty() {
            env.push(("LD_LIBRARY_PATH".to_string(), self.p.pglibs.clone()));
        }
        env.extend(self.child_env.iter().cloned());
        Ok(env)
    }

    fn pg_ctl(&mut self, args: Vec<String>) -> AResult<()> {
        let env = self.pg_env()?;
        let owner = self.owner()?.clone();
        let out = pg::run_as(
            &owner,
            &self.p.pgctl,
            &args,
            &self.p.pgdata,
            &env,
            self.deadline,
        )
        .map_err(Fail::generic)?;
        if !out.success {
            return Err(Fail::generic(format!(
                "pg_ctl {} failed: {}",
                args.last().map(String::as_str).unwrap_or(""),
                if out.stderr.is_empty() {
                    format!("see {}", self.p.logfile)
                } else {
                    out.stderr
                }
            )));
        }
        Ok(())
    }

    fn real_start(&mut self) -> AResult<OcfRc> {
        if pg::is_running(&self.p.pgdata) {
            if let Ok(rc @ (OcfRc::Success | OcfRc::RunningPromoted)) = self.real_monitor(true) {
                self.info("PostgreSQL is already running");
                return if self.p.is_replication() {
                    Err(Fail::generic("PostgreSQL is already running"))
                } else {
                    Ok(rc)
                };
            }
        } else {
            // a PID file left by a killed server (checked: no live postgres has that PID)
            let _ = std::fs::remove_file(pg::join(&self.p.pgdata, "postmaster.pid"));
        }
        let label = pg::join(&self.p.pgdata, "backup_label");
        if label.exists() && !self.p.is_replication() {
            self.info("removing backup_label: the previous backup might have failed");
            let _ = std::fs::remove_file(label);
        }
        self.check_log_file()?;
        if !self.p.socketdir.is_empty() {
            self.check_socket_dir()?;
        }
        let mut args: Vec<String> = self
            .p
            .ctl_opt
            .split_whitespace()
            .map(String::from)
            .collect();
        let mut server = format!("-c config_file={}", self.p.config);
        if !self.p.pghost.is_empty() {
            server.push_str(&format!(" -h {}", self.p.pghost));
        }
        if !self.p.start_opt.is_empty() {
            server.push(' ');
            server.push_str(&self.p.start_opt);
        }
        args.extend([
            "-D".to_string(),
            self.p.pgdata.clone(),
            "-l".to_string(),
            self.p.logfile.clone(),
            "-o".to_string(),
            server,
            "-W".to_string(),
            "start".to_string(),
        ]);
        self.pg_ctl(args)?;
        self.info("PostgreSQL start command sent");
        let started = std::time::Instant::now();
        let rc = loop {
            match self.real_monitor(true) {
                Ok(rc @ (OcfRc::Success | OcfRc::RunningPromoted)) => break rc,
                Ok(OcfRc::NotRunning) if started.elapsed() > Duration::from_secs(3) => {
                    // the postmaster wrote no PID file or is gone: it will not come up
                    return Err(Fail::generic(format!(
                        "PostgreSQL exited while starting: see {}",
                        self.p.logfile
                    )));
                }
                _ => {}
            }
            if self.deadline.expired() {
                return Err(Fail::generic(
                    "PostgreSQL did not accept connections before the start timeout",
                ));
            }
            std::thread::sleep(self.deadline.within(Duration::from_millis(200)));
        };
        if !self.p.replication_slot_name.is_empty() {
            self.delete_replication_slots()?;
        }
        self.info("PostgreSQL is started");
        Ok(rc)
    }

    fn check_log_file(&mut self) -> AResult<()> {
        let path = Path::new(&self.p.logfile);
        if !path.exists() {
            let owner = self.owner()?.clone();
            let made = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|_| std::os::unix::fs::chown(path, Some(owner.uid), Some(owner.gid)));
            if let Err(e) = made {
                return Err(Fail::new(
                    OcfRc::ErrPerm,
                    format!(
                        "PostgreSQL can't write to the log file {}: {e}",
                        self.p.logfile
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_socket_dir(&mut self) -> AResult<()> {
        let dir = Path::new(&self.p.socketdir);
        if dir.is_dir() {
            return Ok(());
        }
        let owner = self.owner()?.clone();
        let made = std::fs::create_dir(dir)
            .and_then(|_| std::os::unix::fs::chown(dir, Some(owner.uid), Some(owner.gid)))
            .and_then(|_| {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o2775))
            });
        made.map_err(|e| {
            Fail::new(
                OcfRc::ErrPerm,
                format!("cannot create socket directory {}: {e}", self.p.socketdir),
            )
        })
    }

    /// The include lines the shell agent keeps in postgresql.conf (same text, so either agent
    /// recognises them): recovery.conf from tmpdir on PostgreSQL 12+, rep_mode.conf in sync
    /// mode (removed otherwise).
    fn ensure_includes(&mut self) -> AResult<()> {
        let path = self.p.config.clone();
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Ok(());
        };
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let before = lines.clone();
        let has = |lines: &[String], l: &str| lines.iter().any(|x| x.trim_start().starts_with(l));
        if self.use_standby_signal() {
            let l = format!(
                "include '{}' {INCLUDE_SUFFIX}",
                self.recovery_conf().display()
            );
            if !has(&lines, &l) {
                self.info(&format!("adding {l} to {path}"));
                lines.push(l);
            }
        }
        if self.p.is_replication() {
            let l = format!(
                "include '{}' {INCLUDE_SUFFIX}",
                self.rep_mode_conf().display()
            );
            if self.p.rep_mode() == Ok(RepMode::Sync) {
                if !has(&lines, &l) {
                    self.info(&format!("adding {l} to {path}"));
                    lines.push(l);
                }
            } else {
                lines.retain(|x| !x.contains(&l));
            }
        }
        if lines != before {
            let mut out = lines.join("\n");
            out.push('\n');
            std::fs::write(&path, out)
                .map_err(|e| Fail::generic(format!("cannot update {path}: {e}")))?;
        }
        Ok(())
    }

    fn make_recovery_conf(&mut self) -> AResult<()> {
        let signal = self.use_standby_signal();
        let text = recovery_settings(&self.p, &self.me(), signal);
        if signal {
            let signal = pg::join(&self.p.pgdata, "standby.signal");
            self.write_owned(&signal, "")?;
        }
        let path = self.recovery_conf();
        self.write_owned(&path, &text)
    }

    fn slot_name(&self, node: &str) -> String {
        slot_name(&self.p.replication_slot_name, node)
    }

    fn delete_replication_slots(&mut self) -> AResult<()> {
        let prefix = format!("{}_", self.p.replication_slot_name);
        let q = format!(
            "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name like '{}%' and not active",
            prefix.replace('_', "\\_")
        );
        self.query(&q)
            .map(|_| ())
            .map_err(|e| Fail::generic(format!("PostgreSQL can't clean up replication slots: {e}")))
    }

    fn create_replication_slots(&mut self) -> AResult<()> {
        let me = self.me();
        for node in self.p.node_list.clone() {
            if node == me {
                continue;
            }
            let slot = self.slot_name(&node);
            let q = format!(
                "select pg_create_physical_replication_slot('{slot}') where not exists (select 1 from pg_replication_slots where slot_name = '{slot}')"
            );
            self.query(&q).map_err(|e| {
                Fail::generic(format!(
                    "PostgreSQL can't create replication slot {slot}: {e}"
                ))
            })?;
        }
        Ok(())
    }

    // ---------------------------------------------------------------- stop

    fn stop(&mut self) -> AResult<OcfRc> {
        if !self.p.is_replication() {
            self.real_stop(StopKind::Plain)?;
            return Ok(OcfRc::Success);
        }
        let me = self.me();
        if let Err(f) = self.set_own_score(CAN_NOT_PROMOTE) {
            self.warn(&f.reason);
        }
        self.delete_attr(&self.p.attr_xlog_loc(), &me);
        self.delete_attr(&self.p.attr_timeline(), &me);
        if !pg::is_running(&self.p.pgdata) {
            self.info("PostgreSQL is already stopped");
            self.change_pgsql_status(&me, "STOP")?;
            return Ok(OcfRc::Success);
        }
        if let Err(f) = self.real_stop(StopKind::Standby) {
            let _ = self.change_pgsql_status(&me, "UNKNOWN");
            return Err(f);
        }
        self.change_pgsql_status(&me, "STOP")?;
        self.set_async_mode_all()?;
        self.delete_attr(&self.p.attr_master_baseline(), &me);
        Ok(OcfRc::Success)
    }

    /// Fast shutdown (SIGINT) for `stop_escalate` seconds, then immediate (SIGQUIT), all
    /// within the operation's timeout.
    fn real_stop(&mut self, kind: StopKind) -> AResult<()> {
        if self.p.check_wal_receiver {
            let me = self.me();
            self.delete_attr(&self.p.attr_receiver_status(), &me);
        }
        if !pg::is_running(&self.p.pgdata) {
            return Ok(());
        }
        let mut escalate = self.p.int(if kind == StopKind::Standby {
            "stop_escalate_in_slave"
        } else {
            "stop_escalate"
        });
        if let Some(t) = self.p.ctx.timeout {
            let secs = t.as_secs() as i64;
            if escalate >= secs {
                escalate = secs - 10;
                self.info(&format!(
                    "stop_escalate adjusted to {escalate} s to fit the stop timeout"
                ));
            }
        }
        let pgdata = self.p.pgdata.clone();
        if escalate > 0 {
            pg::signal_postmaster(&pgdata, libc::SIGINT);
            let until = Deadline::after(self.deadline.within(Duration::from_secs(escalate as u64)));
            pg::wait_stopped(&pgdata, until);
        }
        if pg::is_running(&pgdata) {
            if escalate > 0 {
                self.info(&format!(
                    "PostgreSQL failed to stop after {escalate}s using fast shutdown: trying immediate"
                ));
            }
            pg::signal_postmaster(&pgdata, libc::SIGQUIT);
            if !pg::wait_stopped(&pgdata, self.deadline) {
                return Err(Fail::generic(
                    "PostgreSQL did not stop (immediate shutdown) before the stop timeout",
                ));
            }
        }
        let _ = std::fs::remove_file(pg::join(&pgdata, "postmaster.pid"));
        if kind == StopKind::Primary
            && self
                .p
                .ctx
                .notify_slave_uname
                .as_deref()
                .is_some_and(|s| s.trim().is_empty())
        {
            self.info("no standby runs: removing PGSQL.lock (clean shutdown of the cluster)");
            let _ = std::fs::remove_file(self.lock_file());
        }
        Ok(())
    }

    // ---------------------------------------------------------------- promote / demote

    fn promote(&mut self) -> AResult<OcfRc> {
        if !self.p.is_replication() {
            // not promotable in this configuration: OCF's "unimplemented" (the shell agent
            // says "not configured", which makes ocf-tester fail a rep_mode=none resource)
            return Err(Fail::new(
                OcfRc::ErrUnimplemented,
                "promote and demote need rep_mode=async or sync",
            ));
        }
        let v = self
            .query_value("select pg_is_in_recovery()")
            .map_err(|e| Fail::generic(format!("cannot get recovery status on promote: {e}")))?;
        let me = self.me();
        if v.as_deref() == Some("f") {
            self.info("PostgreSQL is already primary: nothing to promote");
            return Ok(OcfRc::Success);
        }
        self.check_timeline_before_promote()?;
        self.remove_xlog_notes();
        for target in self.p.node_list.clone() {
            if target == me {
                continue;
            }
            self.change_data_status(&target, "DISCONNECT")?;
            self.change_master_score(&target, CAN_NOT_PROMOTE)?;
        }
        self.info("creating PGSQL.lock");
        self.write_owned(&self.lock_file(), "")?;
        self.show_master_baseline()?;
        if self.p.restart_on_promote {
            self.info("restarting PostgreSQL instead of promote");
            self.real_stop(StopKind::Standby)?;
            if self.use_standby_signal() {
                let _ = std::fs::remove_file(pg::join(&self.p.pgdata, "standby.signal"));
            } else {
                let _ = std::fs::remove_file(self.recovery_conf());
            }
            let rc = self.real_start();
            if !matches!(rc, Ok(OcfRc::RunningPromoted)) {
                if !matches!(rc, Ok(OcfRc::Success)) {
                    let _ = self.change_pgsql_status(&me, "STOP");
                }
                return Err(Fail::generic(
                    "Can't start PostgreSQL as primary on promote.",
                ));
            }
        } else {
            let pgdata = self.p.pgdata.clone();
            self.pg_ctl(vec!["-D".into(), pgdata, "-W".into(), "promote".into()])?;
            self.info("PostgreSQL promote command sent");
            loop {
                match self.real_monitor(true) {
                    Ok(OcfRc::RunningPromoted) => break,
                    Ok(OcfRc::NotRunning) => {
                        return Err(Fail::generic("PostgreSQL stopped while being promoted"))
                    }
                    _ => {}
                }
                if self.deadline.expired() {
                    return Err(Fail::generic(
                        "PostgreSQL did not leave recovery before the promote timeout",
                    ));
                }
                std::thread::sleep(self.deadline.within(Duration::from_millis(100)));
            }
            self.info("PostgreSQL is promoted");
        }
        if !self.p.replication_slot_name.is_empty() {
            self.create_replication_slots()?;
        }
        self.change_data_status(&me, "LATEST")?;
        self.set_own_score(PROMOTE_ME)?;
        self.change_pgsql_status(&me, "PRI")?;
        Ok(OcfRc::Success)
    }

    fn demote(&mut self) -> AResult<OcfRc> {
        if !self.p.is_replication() {
            // not promotable in this configuration: OCF's "unimplemented" (the shell agent
            // says "not configured", which makes ocf-tester fail a rep_mode=none resource)
            return Err(Fail::new(
                OcfRc::ErrUnimplemented,
                "promote and demote need rep_mode=async or sync",
            ));
        }
        let me = self.me();
        self.set_own_score(CAN_NOT_PROMOTE)?;
        self.delete_attr(&self.p.attr_master_baseline(), &me);
        if !pg::is_running(&self.p.pgdata) {
            self.info("PostgreSQL is already stopped on demote");
        } else {
            self.info("stopping PostgreSQL on demote");
            if let Err(f) = self.real_stop(StopKind::Primary) {
                let _ = self.change_pgsql_status(&me, "UNKNOWN");
                return Err(f);
            }
        }
        self.change_pgsql_status(&me, "STOP")?;
        Ok(OcfRc::Success)
    }

    // ---------------------------------------------------------------- notify

    fn notify(&mut self) -> AResult<OcfRc> {
        if !self.p.is_replication() {
            return Ok(OcfRc::Success);
        }
        let me = self.me();
        let ty = self.p.ctx.notify_type.clone();
        let op = self.p.ctx.notify_operation.clone();
        self.debug(&format!("notify: {ty} for {op}"));
        match (ty.as_str(), op.as_str()) {
            ("pre", "promote") => self.pre_promote(),
            ("post", "promote") => {
                self.delete_attr(&self.p.attr_xlog_loc(), &me);
                self.delete_attr(&self.p.attr_timeline(), &me);
                if self.p.ctx.notify_promote_uname != me {
                    self.delete_attr(&self.p.attr_master_baseline(), &me);
                }
                Ok(OcfRc::Success)
            }
            ("post", "demote") => {
                if self.p.ctx.notify_demote_uname != me
                    && !self
                        .p
                        .ctx
                        .notify_master_uname
                        .split_whitespace()
                        .any(|n| n == me)
                {
                    self.show_master_baseline()?;
                    self.change_pgsql_status(&me, "HS:alone")?;
                }
                Ok(OcfRc::Success)
            }
            ("post", "start" | "stop") => {
                let master = self
                    .p
                    .ctx
                    .notify_master_uname
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string();
                if master == me {
                    self.control_slave_status()?;
                }
                Ok(OcfRc::Success)
            }
            _ => Ok(OcfRc::Success),
        }
    }

    /// With three or more nodes in sync mode, a standby whose data is newer than the
    /// promoting node's bans itself (as the shell agent's crm_resource -B) and fails: it
    /// could not follow the new primary. "Newer" compares the `master-baseline` positions
    /// published at the demote, with the timelines published next to them
    /// ([`baseline_position`], [`pg::compare`]): a standby on an older timeline is not newer
    /// however large its position (the shell agent compares the strings and bans it), one
    /// on a newer timeline is newer however small its position.
    fn pre_promote(&mut self) -> AResult<OcfRc> {
        let me = self.me();
        let promote = self.p.ctx.notify_promote_uname.clone();
        if self.p.node_list.len() < 3 || self.p.rep_mode() != Ok(RepMode::Sync) || promote == me {
            return Ok(OcfRc::Success);
        }
        let (loc_attr, tli_attr) = (self.p.attr_master_baseline(), self.p.attr_timeline());
        let mut published = |node: &str| {
            let loc = self.cluster.get_transient(&loc_attr, node).ok().flatten();
            let tli = self.cluster.get_transient(&tli_attr, node).ok().flatten();
            (loc, tli)
        };
        let (their_loc, their_tli) = published(&promote);
        let (my_loc, my_tli) = published(&me);
        let theirs = baseline_position(their_loc.as_deref(), their_tli.as_deref());
        let mine = baseline_position(my_loc.as_deref(), my_tli.as_deref());
        let (Some(t), Some(m)) = (theirs, mine) else {
            return Ok(OcfRc::Success);
        };
        let at = |p: pg::Position| match p.tli {
            Some(tli) => format!("{} on timeline {tli}", pg::format_lsn(p.lsn)),
            None => pg::format_lsn(p.lsn),
        };
        match pg::compare(m, t) {
            std::cmp::Ordering::Greater => {
                let instance = self.p.ctx.instance.clone();
                self.cluster.ban(&instance, &me).map_err(Fail::generic)?;
                Err(Fail::generic(format!(
                    "My data is newer than new master's one. New master's location : {} (mine: {})",
                    at(t),
                    at(m)
                )))
            }
            _ if m.lsn > t.lsn => {
                self.info(&format!(
                    "my position {} is larger than {promote}'s {} but on an older timeline: not newer",
                    at(m),
                    at(t)
                ));
                Ok(OcfRc::Success)
            }
            _ => Ok(OcfRc::Success),
        }
    }

    // ---------------------------------------------------------------- replication control

    /// On the primary: every other node's replication state from pg_stat_replication,
    /// published as its data-status, promotion score and pgsql-status, and the sync/async
    /// switching of synchronous_standby_names.
    fn control_slave_status(&mut self) -> AResult<()> {
        let rows = self
            .query(
                "select application_name, upper(state), upper(sync_state) from pg_stat_replication",
            )
            .map_err(|e| Fail::generic(format!("Can't get PostgreSQL replication status: {e}")))?;
        let me = self.me();
        let nodes = self.p.node_list.clone();
        let many = nodes.len() > 2;
        let sync_mode = self.p.rep_mode() == Ok(RepMode::Sync);
        for target in nodes {
            if target == me {
                continue;
            }
            let status = rows
                .iter()
                .find(|r| {
                    r.first()
                        .and_then(|a| a.as_deref())
                        .is_some_and(|a| a.eq_ignore_ascii_case(&target))
                })
                .map(|r| {
                    format!(
                        "{}|{}",
                        r.get(1).cloned().flatten().unwrap_or_default(),
                        r.get(2).cloned().flatten().unwrap_or_default()
                    )
                })
                .unwrap_or_else(|| "DISCONNECT".to_string());
            self.change_data_status(&target, &status)?;
            match status.as_str() {
                "STREAMING|SYNC" => {
                    self.change_master_score(&target, CAN_PROMOTE)?;
                    self.change_pgsql_status(&target, "HS:sync")?;
                }
                "STREAMING|ASYNC" => {
                    if sync_mode {
                        self.change_master_score(&target, CAN_NOT_PROMOTE)?;
                        self.set_sync_mode(&target)?;
                    } else if many {
                        // with several async standbys nobody knows which is newest
                        self.change_master_score(&target, CAN_NOT_PROMOTE)?;
                    } else {
                        self.change_master_score(&target, CAN_PROMOTE)?;
                    }
                    self.change_pgsql_status(&target, "HS:async")?;
                }
                "STREAMING|POTENTIAL" => {
                    self.change_master_score(&target, CAN_NOT_PROMOTE)?;
                    self.change_pgsql_status(&target, "HS:potential")?;
                }
                "DISCONNECT" => {
                    self.change_master_score(&target, CAN_NOT_PROMOTE)?;
                    if sync_mode {
                        self.set_async_mode(&target)?;
                    }
                }
                _ => {
                    self.change_master_score(&target, CAN_NOT_PROMOTE)?;
                    if sync_mode {
                        self.set_async_mode(&target)?;
                    }
                    self.change_pgsql_status(&target, "HS:connected")?;
                }
            }
        }
        Ok(())
    }

    fn reload(&mut self) -> AResult<()> {
        if pg::signal_postmaster(&self.p.pgdata, libc::SIGHUP) {
            self.info("configuration reloaded");
            Ok(())
        } else {
            Err(Fail::generic(
                "Can't reload configuration file: PostgreSQL is not running",
            ))
        }
    }

    fn set_async_mode_all(&mut self) -> AResult<()> {
        if self.p.rep_mode() != Ok(RepMode::Sync) {
            return Ok(());
        }
        self.info("set all nodes into async mode");
        self.write_owned(&self.rep_mode_conf(), "synchronous_standby_names = ''\n")
    }

    /// The standby named in rep_mode.conf (empty when all are async).
    fn sync_standby_in_conf(&self) -> String {
        let text = std::fs::read_to_string(self.rep_mode_conf()).unwrap_or_default();
        text.split('\'')
            .nth(1)
            .unwrap_or("")
            .trim_matches('"')
            .to_string()
    }

    fn set_async_mode(&mut self, target: &str) -> AResult<()> {
        if self.sync_standby_in_conf().eq_ignore_ascii_case(target) {
            self.info(&format!("setup {target} into async mode"));
            self.write_owned(&self.rep_mode_conf(), "synchronous_standby_names = ''\n")?;
            self.reload()?;
        }
        Ok(())
    }

    fn set_sync_mode(&mut self, target: &str) -> AResult<()> {
        let current = self.sync_standby_in_conf();
        if !current.is_empty() {
            self.debug(&format!("{current} is already in sync mode"));
            return Ok(());
        }
        self.info(&format!("setup {target} into sync mode"));
        self.write_owned(
            &self.rep_mode_conf(),
            &format!("synchronous_standby_names = '\"{target}\"'\n"),
        )?;
        self.re_control = true;
        self.reload()
    }

    /// This standby's newest WAL position (max of received and replayed).
    fn my_location(&mut self) -> AResult<String> {
        let q = if pg::pg_version(&self.p.pgdata).is_some_and(|v| v >= (10, 0)) {
            "select pg_last_wal_replay_lsn(), pg_last_wal_receive_lsn()"
        } else {
            "select pg_last_xlog_replay_location(), pg_last_xlog_receive_location()"
        };
        let rows = self
            .query(q)
            .map_err(|e| Fail::generic(format!("Can't get my xlog location: {e}")))?;
        let row = rows.into_iter().next().unwrap_or_default();
        let lsn = row
            .iter()
            .filter_map(|v| v.as_deref().and_then(pg::parse_lsn))
            .max()
            .unwrap_or(0);
        Ok(pg::format_lsn(lsn))
    }

    /// This server's timeline ([`pg::TIMELINE_SQL`]); `None` before PostgreSQL 10 or when
    /// the query fails (then positions alone are compared, as the shell agent does).
    fn my_timeline(&mut self) -> Option<u32> {
        if pg::pg_version(&self.p.pgdata).is_none_or(|v| v < (10, 0)) {
            return None;
        }
        match self.query_value(pg::TIMELINE_SQL) {
            Ok(v) => v.and_then(|t| t.parse().ok()),
            Err(e) => {
                self.warn(&format!("cannot read my timeline: {e}"));
                None
            }
        }
    }

    /// Before promoting: refuse when another node published a newer timeline than this
    /// one's (PAF's check). This node's data then forked away from the newest history (it
    /// kept a former primary's transactions no standby received, or missed a promotion): a
    /// primary made of it would lose the newer timeline's commits and its standbys could
    /// not follow. The timelines are published while no primary exists (first start, see
    /// `have_master_right`), the one time nodes are compared by their data.
    fn check_timeline_before_promote(&mut self) -> AResult<()> {
        let Some(mine) = self.my_timeline() else {
            return Ok(());
        };
        let me = self.me();
        let attr = self.p.attr_timeline();
        let others = match self.cluster.get_transient_all(&attr) {
            Ok(v) => v,
            Err(e) => {
                self.warn(&format!("cannot read the nodes' timelines: {e}"));
                return Ok(());
            }
        };
        let newer = others
            .iter()
            .filter(|(n, _)| *n != me)
            .filter_map(|(n, v)| v.parse::<u32>().ok().map(|t| (t, n.clone())))
            .filter(|(t, _)| *t > mine)
            .max();
        if let Some((theirs, node)) = newer {
            let _ = self.set_own_score(CAN_NOT_PROMOTE);
            return Err(Fail::generic(format!(
                "refusing to promote: my timeline {mine} forked away from {node}'s newer timeline {theirs}; rebuild this node from the newest one (pg_basebackup or pg_rewind)"
            )));
        }
        Ok(())
    }

    /// Publishes where this node's data ends as `<rsc>-master-baseline` (the shell agent's
    /// value) and its timeline as `<rsc>-timeline` (pgcrm's addition, read by the next
    /// pre-promote and promote; left unset when unknown).
    fn show_master_baseline(&mut self) -> AResult<()> {
        let loc = self.my_location()?;
        let tli = self.my_timeline();
        self.info(&format!(
            "my master baseline: {loc} (timeline {})",
            tli.map_or("unknown".to_string(), |t| t.to_string())
        ));
        let me = self.me();
        let attr = self.p.attr_master_baseline();
        self.cluster
            .set_transient(&attr, &loc, &me)
            .map_err(Fail::generic)?;
        if let Some(t) = tli {
            let attr = self.p.attr_timeline();
            self.cluster
                .set_transient(&attr, &t.to_string(), &me)
                .map_err(Fail::generic)?;
        }
        Ok(())
    }

    /// No primary exists: may this standby claim promotion? Only when its data is not known
    /// to be stale and, over `xlog_check_count` monitors with unchanged positions on every
    /// node, its position is the newest (compared as numbers).
    fn have_master_right(&mut self) -> AResult<bool> {
        let me = self.me();
        let data_status = self
            .cluster
            .get_permanent(&self.p.attr_data_status(), &me)
            .map_err(Fail::generic)?;
        let acceptable: &[&str] = if self.p.rep_mode() == Ok(RepMode::Sync) {
            &["STREAMING|SYNC", "LATEST"]
        } else {
            &["STREAMING|SYNC", "STREAMING|ASYNC", "LATEST"]
        };
        if let Some(ds) = &data_status {
            if !acceptable.contains(&ds.as_str()) {
                self.warn(&format!("My data is out-of-date. status={ds}"));
                return Ok(false);
            }
        }
        let mine = self.my_location()?;
        let attr = self.p.attr_xlog_loc();
        self.cluster
            .set_transient(&attr, &mine, &me)
            .map_err(Fail::generic)?;
        let my_tli = self.my_timeline();
        let tli_attr = self.p.attr_timeline();
        if let Some(t) = my_tli {
            self.cluster
                .set_transient(&tli_attr, &t.to_string(), &me)
                .map_err(Fail::generic)?;
        }
        let count = self.p.int("xlog_check_count").max(1);
        let mut old = 0;
        for n in 1..=count {
            if self.xlog_note(n).exists() {
                old = n;
            } else {
                break;
            }
        }
        let new = old + 1;
        let all = self
            .cluster
            .get_transient_all(&attr)
            .map_err(Fail::generic)?;
        let tlis = self
            .cluster
            .get_transient_all(&tli_attr)
            .map_err(Fail::generic)?;
        // "node position [timeline]" of every node that published one; unchanged over
        // xlog_check_count monitors before anyone may claim promotion
        let mut snapshot = Vec::new();
        let mut positions = Vec::new();
        for node in &self.p.node_list {
            let (loc, tli) = if *node == me {
                (Some(mine.clone()), my_tli)
            } else {
                (
                    all.iter().find(|(n, _)| n == node).map(|(_, v)| v.clone()),
                    tlis.iter()
                        .find(|(n, _)| n == node)
                        .and_then(|(_, v)| v.parse().ok()),
                )
            };
            if let Some(loc) = loc {
                snapshot.push(match tli {
                    Some(t) => format!("{node} {loc} {t}"),
                    None => format!("{node} {loc}"),
                });
                if let Some(lsn) = pg::parse_lsn_attr(&loc) {
                    positions.push(pg::Position { tli, lsn });
                }
            }
        }
        let newfile = snapshot.join("\n");
        let oldfile = std::fs::read_to_string(self.xlog_note(old)).unwrap_or_default();
        let write_note = |a: &Self, n: i64| a.write_owned(&a.xlog_note(n), &newfile);
        if oldfile != newfile {
            self.remove_xlog_notes();
            write_note(self, 0)?;
            return Ok(false);
        }
        write_note(self, new)?;
        if new >= count {
            let me_pos = pg::Position {
                tli: my_tli,
                lsn: pg::parse_lsn_attr(&mine).unwrap_or(0),
            };
            if pg::is_newest(me_pos, &positions) {
                self.info(&format!(
                    "I have a master right (timeline {}, position {mine})",
                    my_tli.map_or("unknown".to_string(), |t| t.to_string())
                ));
                self.set_own_score(PROMOTE_ME)?;
                return Ok(true);
            }
            self.change_data_status(&me, "DISCONNECT")?;
            self.info(&format!(
                "I don't have correct master data: newer data elsewhere ({})",
                snapshot.join(", ")
            ));
            self.remove_xlog_notes();
            write_note(self, 0)?;
        }
        Ok(false)
    }

    // ---------------------------------------------------------------- attributes

    fn delete_attr(&mut self, name: &str, node: &str) {
        if let Err(e) = self.cluster.delete_transient(name, node) {
            self.warn(&e);
        }
    }

    /// This node's promotion score (created if absent, like `crm_attribute -p`; no fork, so
    /// Debian 12's misparse of `-p -v -INFINITY` cannot happen).
    fn set_own_score(&mut self, value: &str) -> AResult<()> {
        let me = self.me();
        let attr = self.p.attr_master_score();
        self.cluster
            .set_transient(&attr, value, &me)
            .map_err(Fail::generic)
    }

    /// Another node's score: only an existing value of an online node is changed.
    fn change_master_score(&mut self, node: &str, value: &str) -> AResult<()> {
        if !self.cluster.is_online(node).map_err(Fail::generic)? {
            return Ok(());
        }
        let attr = self.p.attr_master_score();
        let current = self
            .cluster
            .get_transient(&attr, node)
            .map_err(Fail::generic)?;
        if let Some(cur) = current {
            if cur != value {
                self.info(&format!("changing {attr} on {node}: {cur}->{value}"));
                self.cluster
                    .set_transient(&attr, value, node)
                    .map_err(Fail::generic)?;
            }
        }
        Ok(())
    }

    fn change_pgsql_status(&mut self, node: &str, value: &str) -> AResult<()> {
        if !self.cluster.is_online(node).map_err(Fail::generic)? {
            return Ok(());
        }
        let attr = self.p.attr_status();
        let current = self
            .cluster
            .get_transient(&attr, node)
            .map_err(Fail::generic)?;
        if current.as_deref() == Some(value) {
            return Ok(());
        }
        let me = self.me();
        // a standby whose disk died looks stopped to itself while its replication
        // connection lives on: the primary must not overwrite its STOP/UNKNOWN
        if matches!(current.as_deref(), Some("STOP" | "UNKNOWN")) && node != me {
            self.warn(&format!(
                "changing {attr} on {node}: {}->{value} by {me} is prohibited",
                current.unwrap_or_default()
            ));
            return Ok(());
        }
        self.info(&format!(
            "changing {attr} on {node}: {}->{value}",
            current.unwrap_or_default()
        ));
        self.cluster
            .set_transient(&attr, value, node)
            .map_err(Fail::generic)
    }

    fn change_data_status(&mut self, node: &str, value: &str) -> AResult<()> {
        if !self.cluster.node_exists(node).map_err(Fail::generic)? {
            return Ok(());
        }
        let attr = self.p.attr_data_status();
        let current = self
            .cluster
            .get_permanent(&attr, node)
            .map_err(Fail::generic)?;
        if current.as_deref() != Some(value) {
            self.info(&format!(
                "changing {attr} on {node}: {}->{value}",
                current.unwrap_or_default()
            ));
            self.cluster
                .set_permanent(&attr, value, node)
                .map_err(Fail::generic)?;
        }
        Ok(())
    }
}

/// A node's published position: its `<rsc>-master-baseline` or `<rsc>-xlog-loc` value (16 hex
/// digits) with its `<rsc>-timeline`, if it published one. `None` without a valid position.
fn baseline_position(loc: Option<&str>, tli: Option<&str>) -> Option<pg::Position> {
    Some(pg::Position {
        lsn: pg::parse_lsn_attr(loc?)?,
        tli: tli.and_then(|t| t.trim().parse().ok()),
    })
}

/// The standby settings the agent writes for node `me` (its `recovery.conf`: in `tmpdir` and
/// included from postgresql.conf on PostgreSQL 12+ with a `standby.signal`, in the data
/// directory with `standby_mode` before): shared with `pgcrm rebuild-standby`, which must
/// leave a data directory this agent starts as a standby.
pub fn recovery_settings(p: &Params, me: &str, standby_signal: bool) -> String {
    let q = |s: &str| s.replace('\'', "''");
    let mut conninfo = format!(
        "host={} port={} user={} application_name={}",
        p.master_ip, p.pgport, p.repuser, me
    );
    if !p.primary_conninfo_opt.is_empty() {
        conninfo.push(' ');
        conninfo.push_str(&p.primary_conninfo_opt);
    }
    let mut text = format!(
        "primary_conninfo = '{}'\nrestore_command = '{}'\nrecovery_target_timeline = 'latest'\n",
        q(&conninfo),
        q(&p.restore_command)
    );
    if !standby_signal {
        text.push_str("standby_mode = 'on'\n");
    }
    if !p.archive_cleanup_command.is_empty() {
        text.push_str(&format!(
            "archive_cleanup_command = '{}'\n",
            q(&p.archive_cleanup_command)
        ));
    }
    if !p.recovery_end_command.is_empty() {
        text.push_str(&format!(
            "recovery_end_command = '{}'\n",
            q(&p.recovery_end_command)
        ));
    }
    if !p.replication_slot_name.is_empty() {
        text.push_str(&format!(
            "primary_slot_name = '{}'\n",
            slot_name(&p.replication_slot_name, me)
        ));
    }
    text
}

/// The replication slot of `node`: `<prefix>_<node>`, lower case, `-` and `.` as `_`.
pub fn slot_name(prefix: &str, node: &str) -> String {
    let n: String = node
        .to_lowercase()
        .chars()
        .map(|c| if c == '-' || c == '.' { '_' } else { c })
        .collect();
    format!("{prefix}_{n}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering::{self, *};

    /// pre-promote's question, from the published attribute values: is this standby's data
    /// newer than the promoting node's (then it bans itself)?
    fn verdict(mine: (&str, Option<&str>), promoting: (&str, Option<&str>)) -> Ordering {
        let m = baseline_position(Some(mine.0), mine.1).unwrap();
        let p = baseline_position(Some(promoting.0), promoting.1).unwrap();
        pg::compare(m, p)
    }

    #[test]
    fn pre_promote_decision_table() {
        let (lo, hi) = ("0000000003000060", "0000000003000F00");
        // same timeline: the positions decide
        assert_eq!(verdict((hi, Some("2")), (lo, Some("2"))), Greater);
        assert_eq!(verdict((lo, Some("2")), (hi, Some("2"))), Less);
        assert_eq!(verdict((lo, Some("2")), (lo, Some("2"))), Equal);
        // the promoting node is on a newer timeline with a lower position: this standby's
        // larger position is the tail of the old timeline, not newer data (the shell agent
        // compares the strings and would ban it)
        assert_eq!(verdict((hi, Some("2")), (lo, Some("3"))), Less);
        // this standby is on a newer timeline than the promoting node, which forked away or
        // missed a promotion: newer whatever the positions
        assert_eq!(verdict((lo, Some("3")), (hi, Some("2"))), Greater);
        // either timeline unknown (shell agent's attributes, PostgreSQL < 10): positions only
        assert_eq!(verdict((hi, None), (lo, Some("3"))), Greater);
        assert_eq!(verdict((lo, Some("3")), (hi, None)), Less);
        // positions compare as numbers: 9/0 is older than 10/0
        assert_eq!(
            verdict(
                ("0000000900000000", Some("1")),
                ("0000000A00000000", Some("1"))
            ),
            Less
        );
    }

    #[test]
    fn published_positions() {
        let p = baseline_position(Some("0000000003000060"), Some(" 4 ")).unwrap();
        assert_eq!((p.tli, p.lsn), (Some(4), 0x3000060));
        // a timeline that is not a number counts as unknown, a bad position as none
        assert_eq!(
            baseline_position(Some("0000000003000060"), Some("x")).map(|p| p.tli),
            Some(None)
        );
        assert_eq!(baseline_position(Some("3/60"), Some("4")), None);
        assert_eq!(baseline_position(None, Some("4")), None);
    }
}
