//! The agent's input: the 32 parameters of `ocf:heartbeat:pgsql` (same names, types, defaults
//! and meaning, so a configuration switches agent by changing only `provider`), and what
//! Pacemaker passes besides (`OCF_RESOURCE_INSTANCE`, `OCF_RESKEY_CRM_meta_*`).
//!
//! The environment is handed in as a map ([`Env`]): this module must not read the process
//! environment, so tests build any input they want.

use std::collections::HashMap;
use std::time::Duration;

/// What one parameter is, for the meta-data and the defaults.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    /// `string`, `integer` or `boolean`, as the meta-data's `<content type>`.
    pub kind: &'static str,
    /// The default; `config` is special: `<pgdata>/postgresql.conf`.
    pub default: &'static str,
    pub shortdesc: &'static str,
    pub longdesc: &'static str,
}

const fn p(
    name: &'static str,
    kind: &'static str,
    default: &'static str,
    shortdesc: &'static str,
    longdesc: &'static str,
) -> ParamSpec {
    ParamSpec {
        name,
        kind,
        default,
        shortdesc,
        longdesc,
    }
}

/// The parameters in the shell agent's meta-data order. A test compares names, types and
/// defaults with `ocf:heartbeat:pgsql meta-data`.
pub const PARAMS: &[ParamSpec] = &[
    p("pgctl", "string", "/usr/bin/pg_ctl", "pg_ctl path", "Path to pg_ctl, used to start the server and to promote it."),
    p("start_opt", "string", "", "server start options", "Options given to the postgres server at start (pg_ctl -o), e.g. \"-p 5432\"."),
    p("ctl_opt", "string", "", "extra pg_ctl options", "Additional options for pg_ctl start (e.g. -w, -W)."),
    p("psql", "string", "/usr/bin/psql", "psql path", "Path to psql. Checked for compatibility with ocf:heartbeat:pgsql; pgcrm queries the server over its socket and never runs psql."),
    p("pgdata", "string", "/var/lib/pgsql/data", "data directory", "Path to the PostgreSQL data directory."),
    p("pgdba", "string", "postgres", "database owner", "Operating-system user that owns the data directory and runs the server."),
    p("pghost", "string", "", "listen address", "Host name or address the server listens on (passed to the server with -h and used by the monitor); empty means the Unix socket."),
    p("pgport", "integer", "5432", "port", "Port of the server."),
    p("pglibs", "string", "/usr/lib", "library path", "Added to LD_LIBRARY_PATH for pg_ctl."),
    p("monitor_user", "string", "", "monitor user", "Role the monitor connects as (default: pgdba). Needs monitor_password."),
    p("monitor_password", "string", "", "monitor password", "Password of monitor_user. It is stored in the CIB in clear text."),
    p("monitor_sql", "string", "select now();", "monitor query", "Query the monitor runs. With replication, a non-default value is also run on the primary."),
    p("config", "string", "/var/lib/pgsql/data/postgresql.conf", "configuration file", "Path to postgresql.conf (default: <pgdata>/postgresql.conf); passed as -c config_file."),
    p("pgdb", "string", "template1", "monitor database", "Database the monitor connects to."),
    p("logfile", "string", "/dev/null", "server log", "File pg_ctl writes the server's output to."),
    p("socketdir", "string", "", "socket directory", "Directory of the server's Unix socket. Empty: the first entry of unix_socket_directories in the configuration file, else /var/run/postgresql."),
    p("stop_escalate", "integer", "90", "fast-stop seconds", "Seconds to wait for a fast shutdown before an immediate one (at most the stop timeout minus 10 s)."),
    p("rep_mode", "string", "none", "replication mode", "none, async or sync (a promotable clone with streaming replication), or slave (a plain resource that follows master_ip)."),
    p("node_list", "string", "", "replication nodes", "Space-separated names of every node that may run the clone. Required with rep_mode async or sync."),
    p("restore_command", "string", "", "restore_command", "restore_command written into the standby's recovery settings."),
    p("archive_cleanup_command", "string", "", "archive_cleanup_command", "archive_cleanup_command written into the standby's recovery settings."),
    p("recovery_end_command", "string", "", "recovery_end_command", "recovery_end_command written into the standby's recovery settings."),
    p("master_ip", "string", "", "primary address", "Address standbys connect to (the replication VIP). Required with replication."),
    p("repuser", "string", "postgres", "replication user", "User in the standbys' primary_conninfo."),
    p("primary_conninfo_opt", "string", "", "extra primary_conninfo", "Extra primary_conninfo keywords (not host, port, user or application_name)."),
    p("restart_on_promote", "boolean", "false", "restart on promote", "Promote by restarting the server out of recovery instead of pg_ctl promote (keeps the timeline; slower)."),
    p("replication_slot_name", "string", "", "replication slot prefix", "When set, a slot <name>_<node> is used for each standby ([a-z0-9_] only)."),
    p("tmpdir", "string", "/var/lib/pgsql/tmp", "agent state directory", "Holds PGSQL.lock, rep_mode.conf, recovery.conf (PostgreSQL 12+) and xlog_note files."),
    p("xlog_check_count", "integer", "3", "WAL position checks", "Monitors with unchanged WAL positions on every node before the newest standby claims promotion when no primary exists."),
    p("crm_attr_timeout", "integer", "5", "attribute timeout", "Seconds one node-attribute update may take."),
    p("stop_escalate_in_slave", "integer", "90", "fast-stop seconds (standby)", "As stop_escalate, when stopping a standby."),
    p("check_wal_receiver", "boolean", "false", "check the WAL receiver", "Monitor checks the WAL receiver and publishes <resource>-receiver-status (normal, normal (master), ERROR)."),
];

/// The agent's environment: `OCF_*` and `OCF_RESKEY_*` variables by name.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    pub fn new(vars: impl IntoIterator<Item = (String, String)>) -> Env {
        Env {
            vars: vars.into_iter().collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// `OCF_RESKEY_<name>` as the shell's `${VAR=default}` reads it: set (even empty) wins.
    pub fn reskey(&self, name: &str) -> Option<&str> {
        self.get(&format!("OCF_RESKEY_{name}"))
    }

    /// `OCF_RESKEY_CRM_meta_<name>`.
    pub fn meta(&self, name: &str) -> Option<&str> {
        self.get(&format!("OCF_RESKEY_CRM_meta_{name}"))
    }
}

/// The replication mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepMode {
    None,
    Async,
    Sync,
    /// A plain (non-promotable) standby following `master_ip`.
    Slave,
}

/// Every parameter, with defaults applied, plus the Pacemaker context.
#[derive(Debug, Clone)]
pub struct Params {
    pub raw: HashMap<&'static str, String>,
    pub pgctl: String,
    pub start_opt: String,
    pub ctl_opt: String,
    pub psql: String,
    pub pgdata: String,
    pub pgdba: String,
    pub pghost: String,
    pub pgport: String,
    pub pglibs: String,
    pub monitor_user: String,
    pub monitor_password: String,
    pub monitor_sql: String,
    pub config: String,
    pub pgdb: String,
    pub logfile: String,
    pub socketdir: String,
    pub rep_mode_text: String,
    pub node_list: Vec<String>,
    pub restore_command: String,
    pub archive_cleanup_command: String,
    pub recovery_end_command: String,
    pub master_ip: String,
    pub repuser: String,
    pub primary_conninfo_opt: String,
    pub replication_slot_name: String,
    pub tmpdir: String,
    pub restart_on_promote: bool,
    pub check_wal_receiver: bool,
    /// Pacemaker context.
    pub ctx: Context,
}

/// What Pacemaker says about this call.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// `OCF_RESOURCE_INSTANCE`, e.g. `pgsql:0` or `pgsql`.
    pub instance: String,
    /// The instance without its clone number: the attribute prefix (`pgsql-status`).
    pub resource: String,
    /// This node's name, lower-cased as the shell agent does (`CRM_meta_on_node`, else the
    /// host name).
    pub node: String,
    /// The operation's timeout (`CRM_meta_timeout`), when given.
    pub timeout: Option<Duration>,
    /// `CRM_meta_interval` in milliseconds (0 for a probe).
    pub interval_ms: u64,
    /// A promotable clone (`CRM_meta_promotable=true` or `master_max` > 0).
    pub promotable: bool,
    pub notify_type: String,
    pub notify_operation: String,
    pub notify_promote_uname: String,
    pub notify_demote_uname: String,
    pub notify_master_uname: String,
    /// `None` when Pacemaker did not pass it (no notifications configured).
    pub notify_slave_uname: Option<String>,
}

/// A parameter with a bad value (an integer that is not one, an unknown rep_mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadParam(pub String);

impl Params {
    /// Reads every parameter from `env`, defaults applied. Integers are checked here, so a
    /// bad value is a configuration error before anything runs.
    pub fn from_env(env: &Env, hostname: &str) -> Result<Params, BadParam> {
        let mut raw = HashMap::new();
        for spec in PARAMS {
            let value = match env.reskey(spec.name) {
                Some(v) => v.to_string(),
                None if spec.name == "config" => {
                    let pgdata = env.reskey("pgdata").unwrap_or("/var/lib/pgsql/data");
                    format!("{pgdata}/postgresql.conf")
                }
                None => spec.default.to_string(),
            };
            raw.insert(spec.name, value);
        }
        let g = |n: &str| raw[n].clone();
        for spec in PARAMS.iter().filter(|s| s.kind == "integer") {
            let v = &raw[spec.name];
            if v.trim().parse::<i64>().is_err() {
                return Err(BadParam(format!(
                    "{}={v:?} is not an integer (default {})",
                    spec.name, spec.default
                )));
            }
        }
        for spec in PARAMS.iter().filter(|s| s.kind == "boolean") {
            if parse_bool(&raw[spec.name]).is_none() {
                return Err(BadParam(format!(
                    "{}={:?} is not a boolean (true or false)",
                    spec.name, raw[spec.name]
                )));
            }
        }
        let instance = env.get("OCF_RESOURCE_INSTANCE").unwrap_or("").to_string();
        let resource = instance.split(':').next().unwrap_or("").to_string();
        let node = env
            .meta("on_node")
            .filter(|n| !n.is_empty())
            .unwrap_or(hostname)
            .to_lowercase();
        let timeout = env
            .meta("timeout")
            .and_then(|t| t.trim().parse::<u64>().ok())
            .filter(|t| *t > 0)
            .map(Duration::from_millis);
        let interval_ms = env
            .meta("interval")
            .and_then(|t| t.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let promotable = env.meta("promotable") == Some("true")
            || env
                .meta("master_max")
                .and_then(|m| m.trim().parse::<i64>().ok())
                .is_some_and(|m| m > 0);
        let first = |name: &str| {
            env.meta(name)
                .unwrap_or("")
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_lowercase()
        };
        let ctx = Context {
            instance,
            resource,
            node,
            timeout,
            interval_ms,
            promotable,
            notify_type: env.meta("notify_type").unwrap_or("").to_string(),
            notify_operation: env.meta("notify_operation").unwrap_or("").to_string(),
            notify_promote_uname: first("notify_promote_uname"),
            notify_demote_uname: first("notify_demote_uname"),
            notify_master_uname: env.meta("notify_master_uname").unwrap_or("").to_lowercase(),
            notify_slave_uname: env.meta("notify_slave_uname").map(str::to_lowercase),
        };
        Ok(Params {
            pgctl: g("pgctl"),
            start_opt: g("start_opt"),
            ctl_opt: g("ctl_opt"),
            psql: g("psql"),
            pgdata: g("pgdata"),
            pgdba: g("pgdba"),
            pghost: g("pghost"),
            pgport: g("pgport").trim().to_string(),
            pglibs: g("pglibs"),
            monitor_user: g("monitor_user"),
            monitor_password: g("monitor_password"),
            monitor_sql: g("monitor_sql"),
            config: g("config"),
            pgdb: g("pgdb"),
            logfile: g("logfile"),
            socketdir: g("socketdir"),
            rep_mode_text: g("rep_mode"),
            node_list: g("node_list")
                .split_whitespace()
                .map(str::to_lowercase)
                .collect(),
            restore_command: g("restore_command"),
            archive_cleanup_command: g("archive_cleanup_command"),
            recovery_end_command: g("recovery_end_command"),
            master_ip: g("master_ip"),
            repuser: g("repuser"),
            primary_conninfo_opt: g("primary_conninfo_opt"),
            replication_slot_name: g("replication_slot_name"),
            tmpdir: g("tmpdir"),
            restart_on_promote: parse_bool(&g("restart_on_promote")).unwrap_or(false),
            check_wal_receiver: parse_bool(&g("check_wal_receiver")).unwrap_or(false),
            raw,
            ctx,
        })
    }

    /// An integer parameter (checked by [`Params::from_env`]).
    pub fn int(&self, name: &str) -> i64 {
        self.raw
            .get(name)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }

    pub fn rep_mode(&self) -> Result<RepMode, BadParam> {
        match self.rep_mode_text.as_str() {
            "none" => Ok(RepMode::None),
            "async" => Ok(RepMode::Async),
            "sync" => Ok(RepMode::Sync),
            "slave" => Ok(RepMode::Slave),
            other => Err(BadParam(format!(
                "rep_mode={other:?} is not one of none, async, sync, slave"
            ))),
        }
    }

    /// Streaming replication managed by this agent (a promotable clone).
    pub fn is_replication(&self) -> bool {
        matches!(self.rep_mode(), Ok(RepMode::Async | RepMode::Sync))
    }

    pub fn is_default_monitor_sql(&self) -> bool {
        self.monitor_sql == "select now();"
    }

    /// A probe: a monitor with interval 0.
    pub fn is_probe(&self, action: &str) -> bool {
        action == "monitor" && self.ctx.interval_ms == 0
    }

    pub fn attr_status(&self) -> String {
        format!("{}-status", self.ctx.resource)
    }
    pub fn attr_data_status(&self) -> String {
        format!("{}-data-status", self.ctx.resource)
    }
    pub fn attr_xlog_loc(&self) -> String {
        format!("{}-xlog-loc", self.ctx.resource)
    }
    /// pgcrm's addition: the timeline of the position this node last published as
    /// `<rsc>-xlog-loc` or `<rsc>-master-baseline` (the shell agent has none; those two keep
    /// its values, so their readers are unaffected).
    pub fn attr_timeline(&self) -> String {
        format!("{}-timeline", self.ctx.resource)
    }
    pub fn attr_master_baseline(&self) -> String {
        format!("{}-master-baseline", self.ctx.resource)
    }
    pub fn attr_receiver_status(&self) -> String {
        format!("{}-receiver-status", self.ctx.resource)
    }
    /// The promotion score attribute Pacemaker reads for an anonymous clone.
    pub fn attr_master_score(&self) -> String {
        format!("master-{}", self.ctx.resource)
    }
}

/// OCF booleans as ocf_is_true reads them.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" | "y" => Some(true),
        "false" | "no" | "off" | "0" | "n" | "" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::new(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn thirty_two_parameters_with_defaults() {
        assert_eq!(PARAMS.len(), 32);
        let p = Params::from_env(&env(&[]), "Node1").unwrap();
        assert_eq!(p.pgctl, "/usr/bin/pg_ctl");
        assert_eq!(p.config, "/var/lib/pgsql/data/postgresql.conf");
        assert_eq!(p.ctx.node, "node1");
        assert_eq!(p.rep_mode().unwrap(), RepMode::None);
        assert!(p.is_default_monitor_sql());
        assert_eq!(p.int("stop_escalate"), 90);
    }

    #[test]
    fn context_from_pacemaker() {
        let p = Params::from_env(
            &env(&[
                ("OCF_RESKEY_pgdata", "/d"),
                ("OCF_RESKEY_node_list", "Node1 node2"),
                ("OCF_RESKEY_rep_mode", "sync"),
                ("OCF_RESOURCE_INSTANCE", "pgsql:1"),
                ("OCF_RESKEY_CRM_meta_on_node", "NODE2"),
                ("OCF_RESKEY_CRM_meta_timeout", "60000"),
                ("OCF_RESKEY_CRM_meta_master_max", "1"),
                ("OCF_RESKEY_CRM_meta_notify_slave_uname", " "),
                ("OCF_RESKEY_CRM_meta_notify_promote_uname", "node1 "),
            ]),
            "h",
        )
        .unwrap();
        assert_eq!(p.config, "/d/postgresql.conf");
        assert_eq!(p.node_list, ["node1", "node2"]);
        assert_eq!(p.ctx.resource, "pgsql");
        assert_eq!(p.ctx.node, "node2");
        assert_eq!(p.ctx.timeout, Some(Duration::from_secs(60)));
        assert!(p.ctx.promotable && p.is_replication());
        assert_eq!(p.attr_status(), "pgsql-status");
        assert_eq!(p.attr_master_score(), "master-pgsql");
        assert_eq!(p.ctx.notify_slave_uname.as_deref(), Some(" "));
        assert_eq!(p.ctx.notify_promote_uname, "node1");
        assert!(p.is_probe("monitor"));
    }

    #[test]
    fn bad_values_are_named() {
        let e = Params::from_env(&env(&[("OCF_RESKEY_pgport", "x")]), "h").unwrap_err();
        assert!(e.0.contains("pgport"), "{e:?}");
        let e =
            Params::from_env(&env(&[("OCF_RESKEY_restart_on_promote", "maybe")]), "h").unwrap_err();
        assert!(e.0.contains("restart_on_promote"));
        let p = Params::from_env(&env(&[("OCF_RESKEY_rep_mode", "semi")]), "h").unwrap();
        assert!(p.rep_mode().is_err());
        assert!(!p.is_replication());
    }
}
