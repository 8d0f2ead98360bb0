//! Where the CIB comes from: the one `Cluster` interface every command uses, and its backends.
//!
//! Two backends: a saved CIB file (`--cib-file`, or Pacemaker's own `CIB_file` variable) and
//! the live daemons on this node, reached over their own IPC (`crate::ipc`). Nothing here
//! prints.

use crate::cib::Cib;
use crate::ipc::cib::{CibChannel, CibClient, Scope};
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A source of cluster state and the target of cluster changes.
pub trait Cluster {
    /// A name for messages: the file path, or "live cluster".
    fn origin(&self) -> String;
    /// Reads the whole CIB.
    fn query_cib(&self) -> Result<Cib>;
    /// True for the running cluster: its node names are reachable hosts; a saved CIB's may
    /// not be.
    fn is_live(&self) -> bool {
        false
    }
}

/// A CIB saved in a file, read (and later written) the way Pacemaker's tools treat `CIB_file`.
#[derive(Debug, Clone)]
pub struct CibFile {
    path: PathBuf,
}

impl CibFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CibFile { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<String> {
        std::fs::read_to_string(&self.path).map_err(|e| {
            let path = self.path.clone();
            match e.kind() {
                std::io::ErrorKind::NotFound => Error::CibFileMissing { path },
                std::io::ErrorKind::PermissionDenied => Error::CibFilePermission { path },
                _ => Error::CibFileIo { path, source: e },
            }
        })
    }
}

impl Cluster for CibFile {
    fn origin(&self) -> String {
        self.path.display().to_string()
    }

    fn query_cib(&self) -> Result<Cib> {
        let text = self.read()?;
        Cib::parse(&text).map_err(|e| e.in_document(self.origin()))
    }
}

/// The cluster this node belongs to, through the CIB manager's read-only channel (`cib_ro`,
/// as crm_mon uses) for reads.
#[derive(Debug, Clone)]
pub struct LiveCluster {
    timeout: Duration,
}

impl LiveCluster {
    pub fn new(timeout: Duration) -> Self {
        LiveCluster { timeout }
    }
}

impl Cluster for LiveCluster {
    fn origin(&self) -> String {
        "live".to_string()
    }

    fn is_live(&self) -> bool {
        true
    }

    fn query_cib(&self) -> Result<Cib> {
        let mut client = CibClient::connect(CibChannel::ReadOnly, self.timeout)?;
        let reply = client.query(Scope::Whole)?;
        Cib::parse(&reply.xml).map_err(|e| e.in_document("the live CIB"))
    }
}

/// How long a live request may take before pgcrm gives up (and exits 124).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Chooses the backend as Pacemaker's tools do: an explicit file first, then `CIB_file`,
/// then the live cluster. `cib_file_env` is the value of `CIB_file`, passed in so the
/// library never reads the process environment behind the caller's back.
pub fn open(cib_file: Option<&Path>, cib_file_env: Option<&str>) -> Box<dyn Cluster> {
    match (cib_file, cib_file_env.filter(|v| !v.is_empty())) {
        (Some(path), _) => Box::new(CibFile::new(path)),
        (None, Some(path)) => Box::new(CibFile::new(path)),
        (None, None) => Box::new(LiveCluster::new(DEFAULT_TIMEOUT)),
    }
}
