//! What PostgreSQL itself says, next to what Pacemaker believes: live probes of every node's
//! server (`probe`), and how pgcrm reaches each one (`target`: the pgsql resource's
//! parameters, corosync's node list, `/etc/pgcrm/pgcrm.toml`, libpq's conventions).
//!
//! The facts are plain typed data so the rules that compare them with the CIB
//! (`ops::problems`) are pure functions. Nothing here prints, and no credential ever appears
//! in a fact, a target description or an error message.

pub mod probe;
pub mod settings;
pub mod target;

use serde::{Serialize, Serializer};
use std::fmt;

/// A WAL location (`pg_lsn`): printed and serialised as PostgreSQL prints it, `0/3000060`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lsn(pub u64);

impl Lsn {
    /// Parses PostgreSQL's `X/Y` text form.
    pub fn parse(s: &str) -> Option<Lsn> {
        let (hi, lo) = s.split_once('/')?;
        let hi = u32::from_str_radix(hi, 16).ok()? as u64;
        let lo = u32::from_str_radix(lo, 16).ok()? as u64;
        Some(Lsn(hi << 32 | lo))
    }

    /// Bytes of WAL from `other` up to `self` (0 when `other` is ahead).
    pub fn bytes_after(self, other: Lsn) -> u64 {
        self.0.saturating_sub(other.0)
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xffff_ffff)
    }
}

impl Serialize for Lsn {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What one server reported about itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PgFacts {
    /// `server_version`.
    pub server_version: String,
    /// `pg_is_in_recovery()`: true on a standby (read-only), false on a writable primary.
    pub in_recovery: bool,
    /// The timeline the server is on: from its current WAL file on a primary, from the WAL
    /// receiver (or the last replayed checkpoint) on a standby.
    pub timeline: Option<u32>,
    /// `pg_control_system()`: the same for every copy of one cluster; a string because it
    /// does not fit a JSON number.
    pub system_identifier: Option<String>,
    /// `pg_current_wal_lsn()` (primary only).
    pub current_lsn: Option<Lsn>,
    /// `pg_last_wal_receive_lsn()` (standby only).
    pub received_lsn: Option<Lsn>,
    /// `pg_last_wal_replay_lsn()` (standby only).
    pub replayed_lsn: Option<Lsn>,
    /// `pg_stat_wal_receiver.status` (`streaming`, `waiting`...), None without a receiver.
    pub wal_receiver_status: Option<String>,
    /// `synchronous_standby_names` as the server runs with it.
    pub synchronous_standby_names: String,
    /// `pg_stat_replication`: the standbys this server sends WAL to.
    pub replication: Vec<ReplicationRow>,
    /// `pg_replication_slots`.
    pub slots: Vec<Slot>,
}

impl PgFacts {
    /// The furthest WAL position this server has: written (primary) or received/replayed.
    pub fn position(&self) -> Option<Lsn> {
        self.current_lsn
            .or(self.received_lsn.max(self.replayed_lsn))
            .or(self.replayed_lsn)
    }

    pub fn streaming(&self) -> bool {
        self.wal_receiver_status.as_deref() == Some("streaming")
    }
}

/// One row of the primary's `pg_stat_replication`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReplicationRow {
    /// Which standby: the agent sets `application_name` to the node name.
    pub application_name: String,
    pub client_addr: Option<String>,
    /// `streaming`, `catchup`, `startup`, `backup`...
    pub state: Option<String>,
    /// `sync`, `async`, `potential`, `quorum`.
    pub sync_state: Option<String>,
    pub sent_lsn: Option<Lsn>,
    pub write_lsn: Option<Lsn>,
    pub flush_lsn: Option<Lsn>,
    pub replay_lsn: Option<Lsn>,
    /// Bytes of WAL the standby has not replayed yet (primary's current LSN − replay LSN).
    pub lag_bytes: Option<u64>,
    pub write_lag_s: Option<f64>,
    pub flush_lag_s: Option<f64>,
    pub replay_lag_s: Option<f64>,
}

/// One replication slot and the WAL it keeps on disk.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Slot {
    pub slot_name: String,
    pub slot_type: String,
    pub active: bool,
    pub restart_lsn: Option<Lsn>,
    /// WAL the server must keep for this slot: current position − `restart_lsn`.
    pub retained_bytes: Option<u64>,
    /// `wal_status`: reserved, extended, unreserved, lost.
    pub wal_status: Option<String>,
}

/// The outcome of probing one node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeProbe {
    pub node: String,
    /// Where pgcrm connected, without credentials: `10.200.0.11:5432`, `/run/postgresql:5432`.
    pub target: String,
    pub elapsed_ms: u64,
    /// None when the server could not be reached or queried; `error` says why.
    pub facts: Option<PgFacts>,
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsn_round_trips_postgresql_text() {
        for s in ["0/0", "0/3000060", "1A/FF00AB12"] {
            assert_eq!(Lsn::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Lsn::parse("1/0").unwrap().0, 1 << 32);
        assert_eq!(Lsn::parse("nope"), None);
        assert_eq!(Lsn(100).bytes_after(Lsn(40)), 60);
        assert_eq!(Lsn(40).bytes_after(Lsn(100)), 0);
        assert_eq!(
            serde_json::to_string(&Lsn(0x3000060)).unwrap(),
            "\"0/3000060\""
        );
    }
}
