//! The steps that act on NODE's files, run on NODE (here, or as `--local-step` through the
//! remote shell): what NODE's data directory holds ([`NodeFacts`]), the check that no server
//! runs in it, the swap of the new copy into place, the standby settings, the lock file and
//! the finish. The copy itself is in `copy`. These steps touch only NODE's files, never the
//! CIB (see `cluster_steps`), and each one checks first whether it is done.

use super::copy::step_copy;
use super::{failed, Method, Observer, StepKind};
use crate::agent::params::{Env, Params};
use crate::agent::pg as agent_pg;
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What a data step needs, sent to NODE as JSON when it runs there through a remote shell.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct DataJob {
    pub node: String,
    /// The PostgreSQL primitive and its instance attributes (NODE derives the agent's
    /// parameters from them as the agent does).
    pub resource: String,
    pub resource_params: Vec<(String, String)>,
    pub method: Method,
    pub max_rate: Option<String>,
    pub discard_old: bool,
    pub source_bytes: Option<u64>,
    pub wal_bytes: Option<u64>,
    /// What a re-run needs besides `NODE --yes` (` --ssh`), for the failure messages.
    pub resume: String,
}

/// A [`DataJob`] with the agent's parameters it implies.
#[derive(Debug, Clone)]
pub(super) struct Data {
    pub job: DataJob,
    pub params: Params,
    pub pgdata: String,
}

impl std::ops::Deref for Data {
    type Target = DataJob;
    fn deref(&self) -> &DataJob {
        &self.job
    }
}

impl Data {
    pub(super) fn new(job: DataJob) -> Result<Data> {
        let params = params_from(&job.resource, &job.resource_params, &job.node)?;
        let pgdata = params.pgdata.trim_end_matches('/').to_string();
        Ok(Data {
            job,
            params,
            pgdata,
        })
    }
}

/// NODE's side of the plan: what its data directory holds now.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct NodeFacts {
    /// A live postmaster in the data directory.
    pub postmaster_pid: Option<i32>,
    /// Why pg_rewind cannot work on the data directory (None: it can).
    pub no_rewind: Option<String>,
    pub marker_in_pgdata: bool,
    pub marker_in_staging: bool,
    pub staging_exists: bool,
    pub pgdata_bytes: Option<u64>,
    pub lock_exists: bool,
}

pub(super) fn node_facts(d: &Data) -> NodeFacts {
    let pgdata = &d.pgdata;
    let rewind = controldata(&d.params.pgctl, pgdata);
    NodeFacts {
        postmaster_pid: agent_pg::postmaster_pid(pgdata),
        no_rewind: rewind.err(),
        marker_in_pgdata: Path::new(pgdata).join(MARKER).exists(),
        marker_in_staging: staging(pgdata).join(MARKER).exists(),
        staging_exists: staging(pgdata).exists(),
        pgdata_bytes: dir_size(Path::new(pgdata)),
        lock_exists: lock_file(&d.params).exists(),
    }
}

/// What a data step reports.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct StepOut {
    pub skipped: bool,
    pub old_pgdata: Option<String>,
}

/// One data step, here.
pub(super) fn data_step(
    d: &Data,
    kind: StepKind,
    old: Option<String>,
    obs: &mut dyn Observer,
) -> Result<StepOut> {
    let out = |skipped| StepOut {
        skipped,
        old_pgdata: None,
    };
    match kind {
        StepKind::Stop => step_stopped_here(d).map(|_| out(true)),
        StepKind::Copy => step_copy(d, obs).map(out),
        StepKind::Swap => step_swap(d).map(|(skipped, old_pgdata)| StepOut {
            skipped,
            old_pgdata,
        }),
        StepKind::StandbyConfig => step_standby_config(d).map(out),
        StepKind::LockFile => step_lock(d).map(out),
        StepKind::Finish => step_finish(d, old).map(|old_pgdata| StepOut {
            skipped: false,
            old_pgdata,
        }),
        other => Err(Error::Usage(format!(
            "{} is not a step that runs on the node's files",
            other.name()
        ))),
    }
}

/// Marker written into the new data directory once the copy is complete; holds the path the
/// old directory was (or will be) renamed to. Removed by the last step.
pub(super) const MARKER: &str = "pgcrm-rebuild.done";

/// The agent's `PGSQL.lock`: it marks a data directory that has been a primary, and the
/// agent refuses to start the node while it exists.
pub(super) fn lock_file(params: &Params) -> PathBuf {
    Path::new(&params.tmpdir).join("PGSQL.lock")
}

pub(super) fn staging(pgdata: &str) -> PathBuf {
    PathBuf::from(format!("{}.pgcrm-new", pgdata.trim_end_matches('/')))
}

/// The agent's parameters with its defaults, as the agent would read them on `node`.
fn params_from(resource: &str, set: &[(String, String)], node: &str) -> Result<Params> {
    let mut env: Vec<(String, String)> = set
        .iter()
        .map(|(k, v)| (format!("OCF_RESKEY_{k}"), v.clone()))
        .collect();
    env.push(("OCF_RESOURCE_INSTANCE".into(), resource.to_string()));
    Params::from_env(&Env::new(env), node).map_err(|e| {
        Error::Usage(format!(
            "the {resource} resource's parameters are not valid: {}; fix the resource first",
            e.0
        ))
    })
}

/// Bytes in a directory tree (files only; symlinks not followed).
fn dir_size(path: &Path) -> Option<u64> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_dir() {
        return Some(meta.len());
    }
    let mut total = 0;
    for e in std::fs::read_dir(path).ok()?.flatten() {
        total += dir_size(&e.path()).unwrap_or(0);
    }
    Some(total)
}

/// What `pg_controldata` says about a data directory: whether pg_rewind can work on it
/// (wal_log_hints on or checksums on).
fn controldata(pgctl: &str, pgdata: &str) -> std::result::Result<(), String> {
    match pg_controldata(pgctl, pgdata) {
        Ok(text) => {
            let field = |name: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim_start_matches(':').trim().to_string())
            };
            let hints = field("wal_log_hints setting").as_deref() == Some("on");
            let checksums = field("Data page checksum version").is_some_and(|v| v != "0");
            if hints || checksums {
                Ok(())
            } else {
                Err("the data directory has neither wal_log_hints nor data checksums".into())
            }
        }
        Err(e) => Err(e),
    }
}

fn pg_controldata(pgctl: &str, pgdata: &str) -> std::result::Result<String, String> {
    let bin = Path::new(pgctl).with_file_name("pg_controldata");
    let out = Command::new(&bin)
        .arg(pgdata)
        .env("LANG", "C")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "pg_controldata {pgdata} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// On NODE, after Pacemaker stopped the resource: no server may still run in the directory.
fn step_stopped_here(d: &Data) -> Result<()> {
    match agent_pg::postmaster_pid(&d.pgdata) {
        None => Ok(()),
        Some(pid) => Err(failed(
            d,
            StepKind::Stop,
            format!(
                "a PostgreSQL server (pid {pid}) still runs in {} although Pacemaker stopped {}",
                d.pgdata, d.resource
            ),
            "banned, data untouched",
        )),
    }
}

pub(super) fn owner(p: &Data) -> Result<agent_pg::Owner> {
    agent_pg::lookup_user(&p.params.pgdba).ok_or_else(|| {
        Error::Usage(format!(
            "the pgdba user '{}' does not exist on {}",
            p.params.pgdba, p.node
        ))
    })
}

/// Renames the old data directory away and the new copy into place; returns the old name.
fn step_swap(p: &Data) -> Result<(bool, Option<String>)> {
    let pgdata = Path::new(&p.pgdata);
    if let Ok(old) = std::fs::read_to_string(pgdata.join(MARKER)) {
        let old = old.trim().to_string();
        return Ok((true, Some(old).filter(|o| !o.is_empty())));
    }
    let stage = staging(&p.pgdata);
    let old = std::fs::read_to_string(stage.join(MARKER))
        .map_err(|e| {
            failed(
                p,
                StepKind::Swap,
                format!("the new copy {} is not complete: {e}", stage.display()),
                "banned, old data untouched",
            )
        })?
        .trim()
        .to_string();
    if pgdata.exists() {
        std::fs::rename(pgdata, &old).map_err(|e| {
            failed(
                p,
                StepKind::Swap,
                format!("cannot rename {} to {old}: {e}", p.pgdata),
                "banned, old data untouched, new copy complete",
            )
        })?;
    }
    std::fs::rename(&stage, pgdata).map_err(|e| {
        failed(
            p,
            StepKind::Swap,
            format!("cannot rename {} to {}: {e}", stage.display(), p.pgdata),
            &format!("banned, old data in {old}, new copy complete"),
        )
    })?;
    Ok((false, Some(old)))
}

fn write_owned(path: &Path, text: &str, owner: &agent_pg::Owner) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text)?;
    std::os::unix::fs::chown(path, Some(owner.uid), Some(owner.gid))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

/// The settings the agent writes when it starts a standby (so a start by hand can never make
/// a second primary out of the copy either).
fn step_standby_config(p: &Data) -> Result<bool> {
    let owner = owner(p)?;
    let fail = |e: std::io::Error, what: &Path| {
        failed(
            p,
            StepKind::StandbyConfig,
            format!("cannot write {}: {e}", what.display()),
            "banned, data copied",
        )
    };
    let signal = agent_pg::pg_version(&p.pgdata).is_some_and(|v| v >= (12, 0));
    let text = crate::agent::recovery_settings(&p.params, &p.node.to_lowercase(), signal);
    let conf = if signal {
        let s = Path::new(&p.pgdata).join("standby.signal");
        write_owned(&s, "", &owner).map_err(|e| fail(e, &s))?;
        let _ = std::fs::remove_file(Path::new(&p.pgdata).join("recovery.signal"));
        Path::new(&p.params.tmpdir).join("recovery.conf")
    } else {
        Path::new(&p.pgdata).join("recovery.conf")
    };
    write_owned(&conf, &text, &owner).map_err(|e| fail(e, &conf))?;
    Ok(false)
}

fn step_lock(p: &Data) -> Result<bool> {
    let lock = lock_file(&p.params);
    match std::fs::remove_file(&lock) {
        Ok(()) => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(failed(
            p,
            StepKind::LockFile,
            format!("cannot remove {}: {e}", lock.display()),
            "banned, data copied",
        )),
    }
}

fn step_finish(p: &Data, old: Option<String>) -> Result<Option<String>> {
    let marker = Path::new(&p.pgdata).join(MARKER);
    let old = old.or_else(|| {
        std::fs::read_to_string(&marker)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    });
    let _ = std::fs::remove_file(&marker);
    if p.discard_old {
        if let Some(o) = &old {
            if Path::new(o).exists() {
                std::fs::remove_dir_all(o).map_err(|e| {
                    failed(
                        p,
                        StepKind::Finish,
                        format!("cannot delete the old data directory {o}: {e}"),
                        "a streaming standby",
                    )
                })?;
            }
            return Ok(None);
        }
    }
    Ok(old.filter(|o| Path::new(o).exists()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_is_a_sibling() {
        assert_eq!(
            staging("/var/lib/pgsql/data/"),
            PathBuf::from("/var/lib/pgsql/data.pgcrm-new")
        );
    }
}
