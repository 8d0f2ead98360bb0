//! Client of the fencer (pacemaker-fenced) on `stonith-ng`: sign-on (`register`) and purging
//! a removed node from the fencer's peer cache (`rm_node_cache`, what `crm_node -R` sends).
//!
//! The fencer never answers `rm_node_cache` (Pacemaker 2.1.5 and 3.0 forward it to every
//! fencer in the cluster and return without an ack), so the request goes out without the
//! "client waits" flag, and a `register` sent right after it on the same connection, which
//! the fencer does answer, proves the request was taken: the fencer handles one client's
//! requests in order. This module must never ask for fencing or change fencing devices.

use super::controller::{purge_node_request, reference};
use super::xml::{self, Element};
use super::{Connection, IpcError, Service, CLIENT_NAME};
use std::time::Duration;

/// Builds the `register` request (pure).
pub(crate) fn register_request() -> String {
    Element::new("stonith_command")
        .attr("t", "stonith-ng")
        .attr("st_op", "register")
        .attr("st_clientname", CLIENT_NAME)
        .build()
}

/// A connection to pacemaker-fenced (registered).
#[derive(Debug)]
pub struct FencerClient {
    conn: Connection,
    timeout: Duration,
    counter: u32,
    client_id: String,
}

impl FencerClient {
    /// Connects to `stonith-ng` and registers (the fencer answers with this client's id).
    pub fn connect(timeout: Duration) -> Result<FencerClient, IpcError> {
        let mut client = FencerClient {
            conn: Connection::open(Service::Fencer, timeout)?,
            timeout,
            counter: 0,
            client_id: String::new(),
        };
        client.client_id = client.register()?;
        Ok(client)
    }

    /// The id the fencer gave this client.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The underlying connection.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn register(&mut self) -> Result<String, IpcError> {
        let reply = self.conn.request(&register_request(), self.timeout)?;
        let root = xml::root(&reply.xml).map_err(|e| IpcError::protocol(self.conn.service(), e))?;
        if root.get("st_op") != Some("register") {
            return Err(IpcError::protocol(
                self.conn.service(),
                format!("register answered with {}", reply.xml),
            ));
        }
        Ok(root.get("st_clientid").unwrap_or_default().to_owned())
    }

    /// Asks every fencer in the cluster to forget `node` (and `id`, its corosync node id,
    /// when known), as `crm_node -R` does. The fencer forgets only a peer that is not active.
    /// Returns once the local fencer has taken the request.
    pub fn purge_node(&mut self, node: &str, id: Option<u32>) -> Result<(), IpcError> {
        IpcError::require_node(node)?;
        self.counter += 1;
        let req = purge_node_request(
            "stonith-ng",
            node,
            id,
            &reference("rm_node_cache", self.counter),
        );
        self.conn.send(&req, self.timeout)?;
        // The ordered barrier: its answer comes after the purge was handled.
        self.register().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_payload() {
        let r = register_request();
        assert_eq!(xml::root(&r).unwrap().get("st_op"), Some("register"));
    }
}
