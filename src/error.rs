//! The one error type of the library. Each variant knows the exit code the CLI returns for it,
//! taken from Pacemaker's table (`crm_error -l -X`), so scripts see the codes operators know.

use std::path::PathBuf;

/// Pacemaker's exit codes that pgcrm uses (`crm_error -l -X`).
pub mod exit {
    pub const OK: i32 = 0;
    /// Unspecified error.
    pub const ERROR: i32 = 1;
    pub const INVALID_PARAM: i32 = 2;
    /// Requested action not implemented (e.g. needs the live cluster).
    pub const UNIMPLEMENT_FEATURE: i32 = 3;
    pub const INSUFFICIENT_PRIV: i32 = 4;
    pub const USAGE: i32 = 64;
    /// The input is not what it must be (e.g. not XML).
    pub const DATAERR: i32 = 65;
    /// The input file does not exist.
    pub const NOINPUT: i32 = 66;
    /// A necessary service is unavailable.
    pub const UNAVAILABLE: i32 = 69;
    /// Cannot create the output file.
    pub const CANTCREAT: i32 = 73;
    pub const IOERR: i32 = 74;
    /// Temporary failure, try again.
    pub const TEMPFAIL: i32 = 75;
    /// Protocol violated.
    pub const PROTOCOL: i32 = 76;
    /// Refused for lack of permission.
    pub const NOPERM: i32 = 77;
    /// Invalid configuration.
    pub const CONFIG: i32 = 78;
    /// Lost connection to something / not connected.
    pub const DISCONNECT: i32 = 102;
    /// Update older than existing configuration.
    pub const OLD: i32 = 103;
    /// No such object.
    pub const NOSUCH: i32 = 105;
    /// Operation not safe.
    pub const UNSAFE: i32 = 107;
    /// Object already exists.
    pub const EXISTS: i32 = 108;
    /// Requested item has multiple matches.
    pub const MULTIPLE: i32 = 109;
    /// Requested action not yet finished.
    pub const INDETERMINATE: i32 = 112;
    /// The cluster settled, but not in the requested state.
    pub const UNSATISFIED: i32 = 113;
    pub const TIMEOUT: i32 = 124;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: no such file (check the path given to --cib-file or CIB_file)")]
    CibFileMissing { path: PathBuf },
    #[error("{path}: permission denied (run as root or a member of the haclient group)")]
    CibFilePermission { path: PathBuf },
    #[error("{path}: cannot read: {source}")]
    CibFileIo {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("not XML: {0}")]
    Xml(crate::cib::xml::XmlError),
    #[error("not a usable CIB: {0}")]
    Cib(#[from] crate::cib::CibError),
    /// Adds the name of the document to an error about its content.
    #[error("{origin}: {inner}")]
    In { origin: String, inner: Box<Error> },
    /// Talking to the live cluster's daemons failed.
    #[error("{0}")]
    Ipc(#[from] crate::ipc::IpcError),
    #[error("{path}: no such file (check the path given to --config)")]
    ConfigMissing { path: PathBuf },
    #[error("{path}: permission denied (the config may hold passwords: make it readable by the user running pgcrm only)")]
    ConfigPermission { path: PathBuf },
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    /// A PostgreSQL connection setting pgcrm cannot honour (never quotes a credential).
    #[error("{0}")]
    PgSettings(String),
    /// A crm shell text that is not valid, or names what does not exist.
    #[error("{0}")]
    Crmsh(#[from] crate::crmsh::ParseError),
    #[error("{path}:{line}: not a valid corosync.conf: {message}")]
    CorosyncConf {
        path: String,
        line: usize,
        message: String,
    },
    /// A file other than the CIB (corosync.conf) could not be read.
    #[error("{path}: cannot read: {source}")]
    FileRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{kind} '{name}' not found{hint}")]
    NoSuch {
        kind: &'static str,
        name: String,
        /// ", did you mean 'x'?" or a list of known names; empty when there is none.
        hint: String,
    },
    /// A bad argument or a missing confirmation: nothing was changed.
    #[error("{0}")]
    Usage(String),
    /// A pre-check refused an action (the message says why and how to override).
    #[error("{0}")]
    Unsafe(String),
    /// The object to create exists already.
    #[error("{0}")]
    Exists(String),
    /// The CIB changed between reading it and applying a change built on it.
    #[error("the CIB changed while the change was prepared (built on {built}, now {now}); nothing was changed, run the command again")]
    Stale {
        built: crate::ipc::cib::CibVersion,
        now: crate::ipc::cib::CibVersion,
    },
    /// Writing a CIB file failed.
    #[error("{path}: cannot write: {source}")]
    CibFileWrite {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The action needs the live cluster's daemons.
    #[error("{0} needs the live cluster (not a CIB file)")]
    NeedsLive(String),
    /// `--wait` ran out of time.
    #[error("{0}")]
    Timeout(String),
    /// The cluster settled, but not where it was asked to.
    #[error("{0}")]
    Unsatisfied(String),
    /// A step of a multi-step command (rebuild-standby) failed: the text names the step, the
    /// state left behind and the command to continue.
    #[error("{0}")]
    StepFailed(String),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::CibFileMissing { .. } => exit::NOINPUT,
            Error::CibFilePermission { .. } => exit::NOPERM,
            Error::CibFileIo { .. } => exit::ERROR,
            Error::Xml(_) => exit::DATAERR,
            Error::Cib(_) => exit::CONFIG,
            Error::In { inner, .. } => inner.exit_code(),
            Error::Ipc(e) => e.exit_code(),
            Error::NoSuch { .. } => exit::NOSUCH,
            Error::ConfigMissing { .. } => exit::NOINPUT,
            Error::ConfigPermission { .. } => exit::NOPERM,
            Error::Config { .. } | Error::PgSettings(_) => exit::CONFIG,
            Error::Crmsh(e) => match e.kind {
                crate::crmsh::ErrorKind::Syntax => exit::DATAERR,
                crate::crmsh::ErrorKind::Reference => exit::CONFIG,
            },
            Error::CorosyncConf { .. } => exit::DATAERR,
            Error::FileRead { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound => exit::NOINPUT,
                std::io::ErrorKind::PermissionDenied => exit::NOPERM,
                _ => exit::ERROR,
            },
            Error::Usage(_) => exit::USAGE,
            Error::Unsafe(_) => exit::UNSAFE,
            Error::Exists(_) => exit::EXISTS,
            Error::Stale { .. } => exit::TEMPFAIL,
            Error::CibFileWrite { .. } => exit::CANTCREAT,
            Error::NeedsLive(_) => exit::UNIMPLEMENT_FEATURE,
            Error::Timeout(_) => exit::TIMEOUT,
            Error::Unsatisfied(_) => exit::UNSATISFIED,
            Error::StepFailed(_) => exit::ERROR,
        }
    }

    /// Wraps an error about a document's content with the document's name.
    pub fn in_document(self, origin: impl Into<String>) -> Error {
        Error::In {
            origin: origin.into(),
            inner: Box::new(self),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
