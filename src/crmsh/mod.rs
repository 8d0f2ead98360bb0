//! The crm shell configuration language (`crm configure show` / `load`), natively.
//!
//! `parse` turns crm text into CIB elements with the ids crmsh would give them; `apply` puts
//! them into a `<configuration>` (update or replace semantics, references checked);
//! `show` prints a configuration as `crm configure show` does. Roles are written with the
//! Pacemaker 2.x names (Promoted/Unpromoted); 1.x names (Master/Slave) are accepted.
//! Nothing here reads files, talks to the cluster or prints.

mod apply;
mod ids;
mod lex;
mod parse;
mod show;

pub use apply::{apply, Mode};
pub use parse::{parse, Object, Reference, OWN_SECTION};
pub use show::{show, show_xml, ShowOptions};

/// A position in the text and what is wrong there, before the file name is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl Located {
    pub fn new(line: u32, col: u32, message: impl Into<String>) -> Self {
        Located {
            line,
            col,
            message: message.into(),
        }
    }
}

/// What kind of mistake a `ParseError` reports; decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Not valid crm syntax (exit 65, DATAERR).
    Syntax,
    /// Valid syntax naming something that does not exist, or defined twice (exit 78, CONFIG).
    Reference,
}

/// A mistake in crm text: `FILE:LINE:COL: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{line}:{col}: {message}")]
pub struct ParseError {
    pub origin: String,
    pub line: u32,
    pub col: u32,
    pub message: String,
    pub kind: ErrorKind,
}

impl ParseError {
    pub(crate) fn from_located(origin: &str, l: Located, kind: ErrorKind) -> Self {
        ParseError {
            origin: origin.to_string(),
            line: l.line,
            col: l.col,
            message: l.message,
            kind,
        }
    }
}

/// Pacemaker 2.x role names for the 1.x ones; other values unchanged.
pub fn modern_role(role: &str) -> &str {
    match role {
        "Master" => "Promoted",
        "Slave" => "Unpromoted",
        other => other,
    }
}
