//! The one error type of the library. Each variant knows the exit code the CLI returns for it,
//! taken from Pacemaker's table (`crm_error -l -X`), so scripts see the codes operators know.

use std::path::PathBuf;

/// Pacemaker's exit codes that pgcrm uses (`crm_error -l -X`).
pub mod exit {
    pub const OK: i32 = 0;
    /// Unspecified error.
    pub const ERROR: i32 = 1;
    pub const INVALID_PARAM: i32 = 2;
    pub const INSUFFICIENT_PRIV: i32 = 4;
    pub const USAGE: i32 = 64;
    /// The input is not what it must be (e.g. not XML).
    pub const DATAERR: i32 = 65;
    /// The input file does not exist.
    pub const NOINPUT: i32 = 66;
    /// A necessary service is unavailable.
    pub const UNAVAILABLE: i32 = 69;
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
    /// Object already exists.
    pub const EXISTS: i32 = 108;
    /// Requested item has multiple matches.
    pub const MULTIPLE: i32 = 109;
    /// Requested action not yet finished.
    pub const INDETERMINATE: i32 = 112;
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
    #[error("{kind} '{name}' not found{hint}")]
    NoSuch {
        kind: &'static str,
        name: String,
        /// ", did you mean 'x'?" or a list of known names; empty when there is none.
        hint: String,
    },
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
