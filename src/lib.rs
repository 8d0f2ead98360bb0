//! pgcrm's library: the CIB model, the cluster state derived from it, the backends that read
//! it (a saved CIB file, the live daemons over their own IPC), and what commands do with it.
//! Nothing in the library prints, prompts or exits; the `pgcrm` binary does that.

pub mod agent;
pub mod cib;
pub mod cluster;
pub mod corosync;
pub mod crmsh;
pub mod error;
pub mod ipc;
pub mod ops;
pub mod pg;
pub mod rules;
pub mod state;

pub use error::{Error, Result};
