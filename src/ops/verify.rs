//! `verify`: gathers what the rules need (the CIB through the `Cluster` trait, the installed
//! agents' meta-data, corosync.conf files), runs `crate::rules`, and returns the findings as
//! one serialisable report: the JSON contract of `pgcrm verify --output json` (docs/verify.md).
//! Runs agents' `meta-data` action only; never prints.

use crate::cib::Cib;
use crate::cluster::Cluster;
use crate::corosync::CorosyncConf;
use crate::rules::agents::{builtin, AgentInfo, AgentMeta, Agents};
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
    verify_cib(&cluster.query_cib()?, cluster.origin(), opts)
}

/// Runs every rule on a CIB already read (or not yet written: `config load` checks the CIB
/// it would write), with the other inputs named in `opts`.
pub fn verify_cib(cib: &Cib, source: String, opts: &VerifyOptions) -> Result<VerifyReport> {
    let confs = opts
        .corosync
        .iter()
        .map(|p| read_corosync(p))
        .collect::<Result<Vec<_>>>()?;
    let agents = match &opts.ocf_root {
        Some(root) => installed_agents(cib, root),
        None => Agents::builtin(cib),
    };
    Ok(report(cib, source, &agents, &confs))
}

/// The report for an already gathered input (used by tests with fixture agents).
pub fn report(cib: &Cib, source: String, agents: &Agents, confs: &[CorosyncConf]) -> VerifyReport {
    let mut findings = rules::check(&rules::Input {
        cib,
        agents,
        corosync: confs,
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
