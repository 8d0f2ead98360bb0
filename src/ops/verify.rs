//! `verify`: gathers what the rules need (the CIB through the `Cluster` trait, the installed
//! agents' meta-data, corosync.conf files), runs `crate::rules`, and returns the findings as
//! one serialisable report: the JSON contract of `pgcrm verify --output json` (docs/verify.md).
//! With `--live` it also reads each node's PostgreSQL settings (through status' probe targets
//! and connections) and the agent's lock file on this node. Runs agents' `meta-data` action
//! and read-only queries only; never prints.

use crate::cib::Cib;
use crate::cluster::Cluster;
use crate::corosync::CorosyncConf;
use crate::ops::status::{self, ProbeOptions};
use crate::pg::settings;
use crate::rules::agents::{builtin, AgentInfo, AgentMeta, Agents};
use crate::rules::live::{self, LiveFacts, LiveNode, LockFile};
use crate::rules::{self, Finding, Severity};
use crate::{Error, Result};
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Bumped on an incompatible change of the JSON shape; additions keep the version.
pub const SCHEMA_VERSION: u32 = 1;

/// What agents advertise as their meta-data timeout; an agent slower than this is broken.
const META_DATA_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The OCF root whose agents are asked for their meta-data (`$OCF_ROOT`, normally
    /// /usr/lib/ocf); `None` uses built-in knowledge only.
    pub ocf_root: Option<PathBuf>,
    /// This cluster's corosync.conf first, then other clusters' (for PG604).
    pub corosync: Vec<PathBuf>,
    /// `--live`: how to reach the PostgreSQL servers; None checks the configuration only.
    pub live: Option<ProbeOptions>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub schema_version: u32,
    /// Where the CIB came from: a file path or "live".
    pub source: String,
    /// The corosync.conf files read, this cluster's first.
    pub corosync: Vec<String>,
    /// How each agent was known: "installed", "built-in", "not installed", "unknown".
    pub agents: Vec<AgentSource>,
    pub counts: Counts,
    /// Worst first, then by rule id and object.
    pub findings: Vec<Finding>,
    /// `--live` only: what each node's server and this node's lock file said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveReport>,
}

/// The live part of the report.
#[derive(Debug, Clone, Serialize)]
pub struct LiveReport {
    /// `live`, or `skipped: <why>` (no PostgreSQL resource, a saved CIB without conninfo).
    pub probes: String,
    #[serde(flatten)]
    pub facts: LiveFacts,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgentSource {
    pub agent: String,
    pub source: &'static str,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

impl VerifyReport {
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Reads the CIB from `cluster` and the other inputs named in `opts`, and runs every rule.
pub fn verify(cluster: &dyn Cluster, opts: &VerifyOptions) -> Result<VerifyReport> {
    let cib = cluster.query_cib()?;
    let live = match &opts.live {
        Some(p) => Some(gather_live(&cib, cluster, p)?),
        None => None,
    };
    verify_cib(&cib, cluster.origin(), opts, live)
}

/// Runs every rule on a CIB already read (or not yet written: `config load` checks the CIB
/// it would write), with the other inputs named in `opts` and the live facts gathered (the
/// servers are not asked here: `opts.live` is `verify`'s business).
pub fn verify_cib(
    cib: &Cib,
    source: String,
    opts: &VerifyOptions,
    live: Option<LiveReport>,
) -> Result<VerifyReport> {
    let confs = opts
        .corosync
        .iter()
        .map(|p| read_corosync(p))
        .collect::<Result<Vec<_>>>()?;
    let agents = match &opts.ocf_root {
        Some(root) => installed_agents(cib, root),
        None => Agents::builtin(cib),
    };
    Ok(report(cib, source, &agents, &confs, live))
}

/// Asks every node's server for its settings and looks for the agent's lock file here.
fn gather_live(cib: &Cib, cluster: &dyn Cluster, p: &ProbeOptions) -> Result<LiveReport> {
    let placed = rules::placed(cib);
    let pg_status = status::report_from_cib(cib, cluster.origin()).postgresql;
    let (Some(pg), Some(summary)) = (live::pg_resource(&placed), pg_status) else {
        return Ok(LiveReport {
            probes: "skipped: the configuration has no PostgreSQL resource".into(),
            facts: LiveFacts::default(),
        });
    };
    let mut facts = LiveFacts {
        resource: pg.prim.id.clone(),
        local_node: p.local_node.clone(),
        nodes: Vec::new(),
    };
    let answers = match status::probe_targets(cib, &summary, p, cluster.is_live())? {
        Ok(targets) => settings::read_all(targets, p.timeout),
        // nothing was asked: one line in the report, not one finding per node
        Err(skipped) => {
            return Ok(LiveReport {
                probes: skipped,
                facts,
            })
        }
    };
    let is_pgsql = rules::pg_agent(pg.prim) == Some(rules::PgAgent::Pgsql);
    let lock_path = Path::new(&live::tmpdir(pg)).join("PGSQL.lock");
    for row in &summary.nodes {
        let answer = answers.iter().find(|a| a.node == row.node);
        let lock_file = if !is_pgsql {
            LockFile::NotChecked {
                reason: "the agent keeps no PGSQL.lock".into(),
            }
        } else if !cluster.is_live() {
            LockFile::NotChecked {
                reason: "a saved CIB: the lock files are on the nodes".into(),
            }
        } else if p.local_node.as_deref() != Some(row.node.as_str()) {
            LockFile::NotChecked {
                reason: "not this node: run pgcrm verify --live there".into(),
            }
        } else {
            lock_file(&lock_path)
        };
        facts.nodes.push(LiveNode {
            node: row.node.clone(),
            role: row.role,
            target: answer.map(|a| a.target.clone()),
            settings: answer.and_then(|a| a.settings.clone()),
            error: match answer {
                Some(a) => a.error.clone(),
                None => Some(
                    "no conninfo for this node in the config (a saved CIB gives no addresses)"
                        .into(),
                ),
            },
            lock_file,
        });
    }
    Ok(LiveReport {
        probes: "live".into(),
        facts,
    })
}

/// Whether `path` exists; a directory pgcrm may not read (tmpdir is the database owner's,
/// mode 0700) is said so, not guessed.
fn lock_file(path: &Path) -> LockFile {
    let shown = path.display().to_string();
    match path.try_exists() {
        Ok(true) => LockFile::Present { path: shown },
        Ok(false) => LockFile::Absent { path: shown },
        Err(e) => LockFile::NotChecked {
            reason: format!("cannot read {shown}: {e} (run as root or the database owner)"),
        },
    }
}

/// The report for an already gathered input (used by tests with fixture agents).
pub fn report(
    cib: &Cib,
    source: String,
    agents: &Agents,
    confs: &[CorosyncConf],
    live: Option<LiveReport>,
) -> VerifyReport {
    let mut findings = rules::check(&rules::Input {
        cib,
        agents,
        corosync: confs,
        live: live.as_ref().map(|l| &l.facts),
    });
    for f in &mut findings {
        if f.file.is_none() {
            f.file = Some(source.clone());
        }
    }
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    let counts = Counts {
        error: count(Severity::Error),
        warning: count(Severity::Warning),
        info: count(Severity::Info),
    };
    VerifyReport {
        schema_version: SCHEMA_VERSION,
        source,
        corosync: confs.iter().map(|c| c.path.clone()).collect(),
        agents: agents
            .by_spec
            .iter()
            .map(|(spec, info)| AgentSource {
                agent: spec.clone(),
                source: match info {
                    AgentInfo::Installed { .. } => "installed",
                    AgentInfo::BuiltIn(_) => "built-in",
                    AgentInfo::NotInstalled { .. } => "not installed",
                    AgentInfo::Unknown { .. } => "unknown",
                },
            })
            .collect(),
        counts,
        findings,
        live,
    }
}

/// Reads and parses one corosync.conf, noting whether its key file exists.
pub fn read_corosync(path: &Path) -> Result<CorosyncConf> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::FileRead {
        path: path.to_path_buf(),
        source,
    })?;
    let mut conf = CorosyncConf::parse(path.display().to_string(), &text)?;
    conf.authkey_present = Some(conf.keyfile().exists());
    Ok(conf)
}

/// Asks every OCF agent the CIB uses for its meta-data under `root`, falling back on
/// built-in knowledge when an agent cannot answer.
pub fn installed_agents(cib: &Cib, root: &Path) -> Agents {
    let mut agents = Agents::builtin(cib);
    let has_agents = root.join("resource.d").is_dir();
    for (spec, info) in agents.by_spec.iter_mut() {
        let parts: Vec<&str> = spec.split(':').collect();
        let [class, provider, kind] = parts[..] else {
            continue;
        };
        if class != "ocf" || !has_agents {
            continue;
        }
        let path = root.join("resource.d").join(provider).join(kind);
        if !path.exists() {
            *info = AgentInfo::NotInstalled {
                path: path.display().to_string(),
            };
            continue;
        }
        match run_meta_data(&path, root) {
            Ok(meta) => {
                *info = AgentInfo::Installed {
                    meta,
                    path: path.display().to_string(),
                }
            }
            Err(reason) if builtin(spec).is_none() => {
                *info = AgentInfo::Unknown {
                    reason: format!("{} meta-data failed: {reason}", path.display()),
                }
            }
            Err(_) => {}
        }
    }
    agents
}

/// Runs `AGENT meta-data` with OCF_ROOT set, bounded by `META_DATA_TIMEOUT`.
fn run_meta_data(agent: &Path, root: &Path) -> Result<AgentMeta, String> {
    let mut child = Command::new(agent)
        .arg("meta-data")
        .env("OCF_ROOT", root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut stdout = child.stdout.take().expect("piped");
    // Read in a thread so a large meta-data cannot fill the pipe and stall the agent.
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let deadline = Instant::now() + META_DATA_TIMEOUT;
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {}s", META_DATA_TIMEOUT.as_secs()));
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let text = reader
        .join()
        .map_err(|_| "reader panicked".to_string())?
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("exited with {status}"));
    }
    AgentMeta::parse(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::CibFile;

    fn fixture(p: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cib")
            .join(p)
    }

    #[test]
    fn fake_ocf_root_with_an_old_pgsql_agent() {
        let cluster = CibFile::new(fixture("runbook-healthy.xml"));
        let opts = VerifyOptions {
            ocf_root: Some(fixture("verify/ocf-old")),
            corosync: vec![],
            live: None,
        };
        let r = verify(&cluster, &opts).unwrap();
        let ids: Vec<_> = r.findings.iter().map(|f| f.rule).collect();
        assert!(ids.contains(&"PG202"), "{ids:?}");
        // IPaddr2 is not in the fake root.
        assert!(ids.contains(&"PG204"), "{ids:?}");
        let pgsql = r
            .agents
            .iter()
            .find(|a| a.agent == "ocf:heartbeat:pgsql")
            .unwrap();
        assert_eq!(pgsql.source, "installed");
        assert!(r.findings.iter().all(|f| f.file.is_some()));
    }

    #[test]
    fn corosync_errors_are_errors() {
        let err = read_corosync(&fixture("verify/corosync/malformed.conf")).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::DATAERR);
        assert!(err.to_string().contains("malformed.conf:"), "{err}");
        let err = read_corosync(&fixture("verify/corosync/nonexistent.conf")).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::NOINPUT);
    }
}
