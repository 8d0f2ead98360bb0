//! How pgcrm reaches each node's PostgreSQL server, without asking the operator for anything
//! the cluster already says:
//!
//! 1. a per-node `conninfo` from the config file (`/etc/pgcrm/pgcrm.toml`, `--config`) wins;
//! 2. else the node's address (corosync's `nodelist`, `ring0_addr`; else the node name, left
//!    to name resolution) and the pgsql resource's `pgport`; on the node pgcrm runs on, the
//!    Unix socket in `socketdir` (or a `pghost` that is a directory) when the resource sets one;
//! 3. libpq's conventions for the rest: `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`,
//!    `PGPASSFILE` / `~/.pgpass`; then the resource's `monitor_user` / `pgdba` / `pgdb`.
//!
//! The process environment is read by the caller and handed in (`PgEnv`), as `cluster::open`
//! does with `CIB_file`. Targets describe themselves without credentials; nothing here prints.

use crate::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_postgres::config::{Host, SslMode};

/// The config file read when `--config` is not given; its absence is not an error.
pub const DEFAULT_CONFIG: &str = "/etc/pgcrm/pgcrm.toml";
/// Where corosync lists the cluster's nodes and their addresses.
pub const COROSYNC_CONF: &str = "/etc/corosync/corosync.conf";

/// libpq's environment variables, as the caller read them.
#[derive(Debug, Clone, Default)]
pub struct PgEnv {
    pub user: Option<String>,
    pub password: Option<String>,
    pub database: Option<String>,
    pub sslmode: Option<String>,
    /// `PGPASSFILE`, else `$HOME/.pgpass`.
    pub passfile: Option<PathBuf>,
}

impl PgEnv {
    /// Reads libpq's variables from a lookup function (the process environment in the CLI).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> PgEnv {
        let get = |k: &str| get(k).filter(|v| !v.is_empty());
        PgEnv {
            user: get("PGUSER"),
            password: get("PGPASSWORD"),
            database: get("PGDATABASE"),
            sslmode: get("PGSSLMODE"),
            passfile: get("PGPASSFILE")
                .map(PathBuf::from)
                .or_else(|| get("HOME").map(|h| Path::new(&h).join(".pgpass"))),
        }
    }
}

/// `/etc/pgcrm/pgcrm.toml`:
///
/// ```toml
/// [nodes.node1]
/// conninfo = "host=10.0.0.11 port=5432 user=monitor dbname=postgres"
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub nodes: BTreeMap<String, NodeConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// A libpq connection string (`key=value ...` or `postgresql://` URL).
    pub conninfo: Option<String>,
}

impl ConfigFile {
    /// Reads the config: `explicit` is the `--config` path (must exist); without it the
    /// default path is read when it exists.
    pub fn load(explicit: Option<&Path>) -> Result<Option<ConfigFile>> {
        let path = explicit.unwrap_or(Path::new(DEFAULT_CONFIG));
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
                return Ok(None)
            }
            Err(e) => {
                return Err(match e.kind() {
                    std::io::ErrorKind::NotFound => Error::ConfigMissing { path: path.into() },
                    std::io::ErrorKind::PermissionDenied => {
                        Error::ConfigPermission { path: path.into() }
                    }
                    _ => Error::Config {
                        path: path.into(),
                        message: format!("cannot read: {e}"),
                    },
                })
            }
        };
        Self::parse(&text)
            .map(Some)
            .map_err(|message| Error::Config {
                path: path.into(),
                message,
            })
    }

    /// Parses the config text; the message never quotes a value (a conninfo may hold a
    /// password).
    pub fn parse(text: &str) -> std::result::Result<ConfigFile, String> {
        let cfg: ConfigFile = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!(" at line {}", text[..s.start].matches('\n').count() + 1))
                .unwrap_or_default();
            format!("not valid{at}: {}", e.message())
        })?;
        for (node, n) in &cfg.nodes {
            if let Some(c) = &n.conninfo {
                c.parse::<tokio_postgres::Config>().map_err(|_| {
                    format!("[nodes.{node}] conninfo is not a valid libpq connection string (key=value pairs or a postgresql:// URL)")
                })?;
            }
        }
        Ok(cfg)
    }

    fn conninfo(&self, node: &str) -> Option<&str> {
        self.nodes.get(node)?.conninfo.as_deref()
    }
}

/// The pgsql resource's parameters that say how to reach its server.
#[derive(Debug, Clone, Default)]
pub struct ResourceParams {
    pub pgport: Option<String>,
    pub pghost: Option<String>,
    pub socketdir: Option<String>,
    pub pgdba: Option<String>,
    pub monitor_user: Option<String>,
    pub monitor_password: Option<String>,
    pub pgdb: Option<String>,
}

impl ResourceParams {
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> ResourceParams {
        let get = |k: &str| get(k).filter(|v| !v.is_empty());
        ResourceParams {
            pgport: get("pgport"),
            pghost: get("pghost"),
            socketdir: get("socketdir"),
            pgdba: get("pgdba"),
            monitor_user: get("monitor_user"),
            monitor_password: get("monitor_password"),
            pgdb: get("pgdb"),
        }
    }

    /// The directory of the server's Unix socket, when the resource names one.
    fn socket_dir(&self) -> Option<&str> {
        self.socketdir
            .as_deref()
            .or(self.pghost.as_deref().filter(|h| h.starts_with('/')))
    }
}

/// Node name → address from corosync.conf's `nodelist { node { ring0_addr name } }`; empty
/// when the file does not parse (then node names go to name resolution).
pub fn corosync_addresses(text: &str) -> BTreeMap<String, String> {
    let Ok(conf) = crate::corosync::CorosyncConf::parse(COROSYNC_CONF, text) else {
        return BTreeMap::new();
    };
    conf.nodes()
        .into_iter()
        .filter_map(|n| {
            let addr = n.get("ring0_addr")?;
            let name = crate::corosync::CorosyncConf::node_name(n)?;
            Some((name.to_string(), addr.to_string()))
        })
        .collect()
}

/// One server to probe.
#[derive(Clone)]
pub struct Target {
    pub node: String,
    pub config: tokio_postgres::Config,
    /// `host:port`, never a user or password.
    pub description: String,
    /// Secrets to scrub from any error text, should a library ever echo one.
    pub(crate) secrets: Vec<String>,
}

impl std::fmt::Debug for Target {
    // tokio_postgres::Config's Debug would show the password
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("node", &self.node)
            .field("description", &self.description)
            .finish()
    }
}

/// Everything that decides the targets.
pub struct TargetInputs<'a> {
    /// The nodes where PostgreSQL may run, in report order.
    pub nodes: &'a [String],
    pub params: &'a ResourceParams,
    /// From corosync.conf; empty when unreadable.
    pub addresses: &'a BTreeMap<String, String>,
    pub config: Option<&'a ConfigFile>,
    pub env: &'a PgEnv,
    /// The cluster node pgcrm runs on (its uname), for the Unix socket.
    pub local_node: Option<&'a str>,
    /// Only nodes with a conninfo in the config (a saved CIB says nothing about where its
    /// servers are now).
    pub only_configured: bool,
    pub timeout: Duration,
}

/// Builds the probe targets; an error only for settings pgcrm cannot honour.
pub fn targets(inp: &TargetInputs) -> Result<Vec<Target>> {
    let sslmode = match inp.env.sslmode.as_deref() {
        None | Some("prefer") | Some("allow") => SslMode::Prefer,
        Some("disable") => SslMode::Disable,
        Some(m @ ("require" | "verify-ca" | "verify-full")) => {
            return Err(Error::PgSettings(format!(
                "PGSSLMODE={m} needs TLS, which this pgcrm build does not include; unset it or use PGSSLMODE=prefer or disable"
            )))
        }
        Some(other) => {
            return Err(Error::PgSettings(format!(
                "PGSSLMODE={other} is not a libpq sslmode; use disable, allow, prefer, require, verify-ca or verify-full"
            )))
        }
    };
    let port: u16 = match inp.params.pgport.as_deref() {
        None => 5432,
        Some(p) => p.parse().map_err(|_| {
            Error::PgSettings(format!(
                "the pgsql resource's pgport '{p}' is not a port number; fix the resource parameter"
            ))
        })?,
    };
    let mut out = Vec::new();
    for node in inp.nodes {
        let conninfo = inp.config.and_then(|c| c.conninfo(node));
        if inp.only_configured && conninfo.is_none() {
            continue;
        }
        let mut cfg = match conninfo {
            Some(c) => c.parse::<tokio_postgres::Config>().map_err(|_| {
                Error::PgSettings(format!(
                    "[nodes.{node}] conninfo is not a valid libpq connection string"
                ))
            })?,
            None => {
                let mut cfg = tokio_postgres::Config::new();
                match (
                    inp.local_node == Some(node.as_str()),
                    inp.params.socket_dir(),
                ) {
                    (true, Some(dir)) => cfg.host_path(dir),
                    _ => cfg.host(inp.addresses.get(node).unwrap_or(node)),
                };
                cfg.port(port);
                cfg
            }
        };
        if cfg.get_ports().is_empty() {
            cfg.port(port);
        }
        if cfg.get_user().is_none() {
            let user = inp
                .env
                .user
                .clone()
                .or_else(|| inp.params.monitor_user.clone())
                .or_else(|| inp.params.pgdba.clone())
                .unwrap_or_else(|| "postgres".into());
            cfg.user(user);
        }
        if cfg.get_dbname().is_none() {
            let db = inp
                .env
                .database
                .clone()
                .or_else(|| inp.params.pgdb.clone())
                .unwrap_or_else(|| "postgres".into());
            cfg.dbname(db);
        }
        if conninfo.is_none() || inp.env.sslmode.is_some() {
            cfg.ssl_mode(sslmode);
        }
        let host = match cfg.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => {
                cfg.host(inp.addresses.get(node).unwrap_or(node));
                inp.addresses.get(node).unwrap_or(node).clone()
            }
        };
        let port = cfg.get_ports()[0];
        if cfg.get_password().is_none() {
            let user = cfg.get_user().unwrap_or_default().to_string();
            let db = cfg.get_dbname().unwrap_or_default().to_string();
            // libpq matches a socket directory as "localhost" in .pgpass
            let pass_host = if host.starts_with('/') {
                "localhost"
            } else {
                &host
            };
            let password = inp.env.password.clone().or_else(|| {
                inp.env
                    .passfile
                    .as_deref()
                    .and_then(|p| pgpass_lookup(p, pass_host, port, &db, &user))
                    .or_else(|| {
                        (inp.params.monitor_user.as_deref() == Some(user.as_str()))
                            .then(|| inp.params.monitor_password.clone())
                            .flatten()
                    })
            });
            if let Some(p) = password {
                cfg.password(p);
            }
        }
        cfg.connect_timeout(inp.timeout);
        cfg.application_name("pgcrm");
        let secrets = cfg
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .filter(|p| !p.is_empty())
            .into_iter()
            .collect();
        out.push(Target {
            node: node.clone(),
            description: format!("{host}:{port}"),
            config: cfg,
            secrets,
        });
    }
    Ok(out)
}

/// libpq's password file: the first `host:port:database:user:password` line that matches,
/// `*` matching anything, `\:` and `\\` escaped. Ignored, as libpq does, when group or others
/// can read it.
pub fn pgpass_lookup(path: &Path, host: &str, port: u16, db: &str, user: &str) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
        return None;
    }
    pgpass_match(&std::fs::read_to_string(path).ok()?, host, port, db, user)
}

fn pgpass_match(text: &str, host: &str, port: u16, db: &str, user: &str) -> Option<String> {
    let port = port.to_string();
    let want = [host, port.as_str(), db, user];
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = vec![String::new()];
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        fields.last_mut().unwrap().push(n);
                    }
                }
                ':' if fields.len() < 5 => fields.push(String::new()),
                c => fields.last_mut().unwrap().push(c),
            }
        }
        if fields.len() != 5 {
            continue;
        }
        if fields[..4]
            .iter()
            .zip(want)
            .all(|(f, w)| f == "*" || f == w)
        {
            return Some(fields[4].clone());
        }
    }
    None
}

/// Removes every secret from a message.
pub(crate) fn redact(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "********"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const COROSYNC: &str = "totem {\n    version: 2\n    interface {\n        linknumber: 0\n    }\n}\nnodelist {\n    node {\n        ring0_addr: 10.200.0.11\n        name: node1\n        nodeid: 1\n    }\n    node {\n        ring0_addr: 10.200.0.12\n        name: node2\n        nodeid: 2\n    }\n    node {\n        ring0_addr: 10.200.0.13\n        nodeid: 3\n    }\n}\nquorum {\n    provider: corosync_votequorum\n}\n";

    #[test]
    fn corosync_nodelist_gives_addresses() {
        let a = corosync_addresses(COROSYNC);
        assert_eq!(a.get("node1").unwrap(), "10.200.0.11");
        assert_eq!(a.get("node2").unwrap(), "10.200.0.12");
        assert_eq!(a.get("10.200.0.13").unwrap(), "10.200.0.13");
        assert_eq!(a.len(), 3);
    }

    #[test]
    fn pgpass_matching_follows_libpq() {
        let text = "# comment\nother:5432:*:postgres:nope\n10.0.0.1:5432:*:postgres:s\\:e\\\\cret\n*:*:*:*:fallback\n";
        assert_eq!(
            pgpass_match(text, "10.0.0.1", 5432, "postgres", "postgres").as_deref(),
            Some("s:e\\cret")
        );
        assert_eq!(
            pgpass_match(text, "10.0.0.2", 5433, "x", "y").as_deref(),
            Some("fallback")
        );
        assert_eq!(pgpass_match("a:1:b:c\n", "a", 1, "b", "c"), None);
    }

    #[test]
    fn pgpass_readable_by_others_is_ignored() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pgpass");
        std::fs::write(&p, "*:*:*:*:pw\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(pgpass_lookup(&p, "h", 5432, "d", "u"), None);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            pgpass_lookup(&p, "h", 5432, "d", "u").as_deref(),
            Some("pw")
        );
    }

    fn inputs<'a>(
        nodes: &'a [String],
        params: &'a ResourceParams,
        addresses: &'a BTreeMap<String, String>,
        config: Option<&'a ConfigFile>,
        env: &'a PgEnv,
    ) -> TargetInputs<'a> {
        TargetInputs {
            nodes,
            params,
            addresses,
            config,
            env,
            local_node: Some("node1"),
            only_configured: false,
            timeout: Duration::from_secs(2),
        }
    }

    #[test]
    fn targets_from_resource_corosync_config_and_env() {
        let nodes = vec!["node1".to_string(), "node2".into(), "node3".into()];
        let params = ResourceParams {
            pgport: Some("5433".into()),
            socketdir: Some("/run/pg".into()),
            pgdba: Some("pgdba".into()),
            ..Default::default()
        };
        let addrs = corosync_addresses(COROSYNC);
        let cfg = ConfigFile::parse(
            "[nodes.node3]\nconninfo = \"host=db3 port=6000 user=mon password=topsecret\"\n",
        )
        .unwrap();
        let env = PgEnv {
            password: Some("envpw".into()),
            ..Default::default()
        };
        let t = targets(&inputs(&nodes, &params, &addrs, Some(&cfg), &env)).unwrap();
        let d: Vec<_> = t.iter().map(|t| t.description.as_str()).collect();
        assert_eq!(d, ["/run/pg:5433", "10.200.0.12:5433", "db3:6000"]);
        assert_eq!(t[1].config.get_user(), Some("pgdba"));
        assert_eq!(t[1].config.get_password(), Some(&b"envpw"[..]));
        assert_eq!(t[2].config.get_user(), Some("mon"));
        assert_eq!(t[2].config.get_password(), Some(&b"topsecret"[..]));
        // no credential in anything a target prints
        let shown = format!("{t:?}");
        assert!(
            !shown.contains("topsecret") && !shown.contains("envpw"),
            "{shown}"
        );
        assert_eq!(
            redact("auth failed for topsecret", &t[2].secrets),
            "auth failed for ********"
        );
    }

    #[test]
    fn only_configured_nodes_for_a_saved_cib() {
        let nodes = vec!["node1".to_string(), "node2".into()];
        let cfg = ConfigFile::parse("[nodes.node2]\nconninfo = \"host=127.0.0.1\"\n").unwrap();
        let (p, a, e) = (ResourceParams::default(), BTreeMap::new(), PgEnv::default());
        let mut inp = inputs(&nodes, &p, &a, Some(&cfg), &e);
        inp.only_configured = true;
        let t = targets(&inp).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].description, "127.0.0.1:5432");
        assert_eq!(t[0].config.get_user(), Some("postgres"));
    }

    #[test]
    fn bad_settings_are_refused_without_quoting_secrets() {
        let e = ConfigFile::parse("[nodes.n1]\nconninfo = \"port=notanumber password=hunter2\"\n")
            .unwrap_err();
        assert!(e.contains("[nodes.n1]") && !e.contains("hunter2"), "{e}");
        let e = ConfigFile::parse("[nodes.n1]\nconnifo = \"x\"\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let nodes = vec!["node1".to_string()];
        let (p, a) = (ResourceParams::default(), BTreeMap::new());
        let env = PgEnv {
            sslmode: Some("require".into()),
            ..Default::default()
        };
        let e = targets(&inputs(&nodes, &p, &a, None, &env)).unwrap_err();
        assert!(e.to_string().contains("PGSSLMODE=require"), "{e}");
    }
}
