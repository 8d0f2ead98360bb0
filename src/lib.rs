//! pgcrm's library: the CIB model, the cluster state derived from it, and the backends that
//! read it. Nothing in the library prints, prompts or exits; the `pgcrm` binary does that.

pub mod cib;
pub mod cluster;
pub mod error;
pub mod ops;
pub mod state;

pub use error::{Error, Result};
