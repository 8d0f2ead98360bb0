//! Client of the attribute manager (pacemaker-attrd) on `attrd`: set, delete and query
//! transient node attributes (lifetime `reboot`, optionally private), clear a resource's
//! failure attributes (the first half of a cleanup), and forget a removed node
//! (`peer-remove`, what `crm_node -R` asks of attrd).
//!
//! An acknowledged update means "accepted and broadcast to the cluster", not "written to the
//! CIB": the CIB write follows within milliseconds (after the dampening delay if any). This
//! module must not read the CIB, and must never send a request without the "client waits"
//! flag (attrd always acks updates; an unread ack would desynchronise the connection).

use super::xml::{self, Element};
use super::{check_ack, Connection, IpcError, Service, CLIENT_NAME};
use std::time::Duration;

/// One node's value of an attribute, as attrd knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrValue {
    /// Node name (`attr_host`).
    pub node: String,
    /// Value; `None` when the attribute is known but unset (e.g. after a delete).
    pub value: Option<String>,
}

/// Parses a `build_query_reply`: empty when attrd does not know the attribute.
pub fn parse_query_reply(xml: &str) -> Result<Vec<AttrValue>, String> {
    let root = xml::root(xml)?;
    if root.get("attr_name").is_none() {
        return Ok(Vec::new());
    }
    xml::all_elements(xml, "node")?
        .into_iter()
        .map(|n| {
            Ok(AttrValue {
                node: n
                    .get("attr_host")
                    .ok_or_else(|| "<node> without attr_host".to_string())?
                    .to_owned(),
                value: n.get("attr_value").map(str::to_owned),
            })
        })
        .collect()
}

/// A connection to pacemaker-attrd.
#[derive(Debug)]
pub struct AttrdClient {
    conn: Connection,
    timeout: Duration,
    protocol_version: Option<u32>,
}

impl AttrdClient {
    /// Connects to `attrd`; `timeout` bounds the setup and every request.
    pub fn connect(timeout: Duration) -> Result<AttrdClient, IpcError> {
        Ok(AttrdClient {
            conn: Connection::open(Service::Attrd, timeout)?,
            timeout,
            protocol_version: None,
        })
    }

    /// Changes the timeout of later requests.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// attrd's IPC protocol version as reported in its last ack (2.1.5: 4, 2.1.6: 5).
    pub fn protocol_version(&self) -> Option<u32> {
        self.protocol_version
    }

    /// The underlying connection.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn op(task: &str) -> Element {
        Element::new("create_attrd_op")
            .attr("t", "attrd")
            .attr("src", CLIENT_NAME)
            .attr("task", task)
    }

    fn acked(&mut self, op: &str, req: Element) -> Result<(), IpcError> {
        let reply = self.conn.request(&req.build(), self.timeout)?;
        check_ack(self.conn.service(), op, &reply)?;
        if let Ok(root) = xml::root(&reply.xml) {
            if let Some(v) = root
                .get("ipc-protocol-version")
                .and_then(|v| v.parse().ok())
            {
                self.protocol_version = Some(v);
            }
        }
        Ok(())
    }

    /// Sets (`value = Some`) or deletes (`None`) attribute `name` on `node` (the local node
    /// when `None`). A private attribute is kept by attrd but never written to the CIB.
    pub fn update(
        &mut self,
        name: &str,
        value: Option<&str>,
        node: Option<&str>,
        private: bool,
    ) -> Result<(), IpcError> {
        if name.is_empty() {
            return Err(IpcError::InvalidRequest {
                detail: "empty attribute name".into(),
            });
        }
        let req = Self::op("update")
            .attr("attr_name", name)
            .attr_opt("attr_value", value)
            .attr_opt("attr_host", node)
            .attr("attr_is_remote", "0")
            .attr("attr_is_private", if private { "1" } else { "0" });
        self.acked("update", req)
    }

    /// Sets attribute `name` to `value` on `node` (local node when `None`).
    pub fn set(&mut self, name: &str, value: &str, node: Option<&str>) -> Result<(), IpcError> {
        self.update(name, Some(value), node, false)
    }

    /// Deletes attribute `name` on `node` (local node when `None`).
    pub fn delete(&mut self, name: &str, node: Option<&str>) -> Result<(), IpcError> {
        self.update(name, None, node, false)
    }

    /// Values of `name` on `node`, or on every node when `node` is `None`. Empty when attrd
    /// does not know the attribute; entries with `value: None` are known but unset.
    pub fn query(&mut self, name: &str, node: Option<&str>) -> Result<Vec<AttrValue>, IpcError> {
        let req = Self::op("query")
            .attr("attr_name", name)
            .attr_opt("attr_host", node)
            .build();
        let reply = self.conn.request(&req, self.timeout)?;
        check_ack(self.conn.service(), "query", &reply)?;
        parse_query_reply(&reply.xml).map_err(|e| IpcError::protocol(self.conn.service(), e))
    }

    /// Asks every attrd in the cluster to drop all attribute values of `node` and to forget
    /// it as a peer (`peer-remove`, as `crm_node -R` does). attrd identifies the node by
    /// name; `id` (its corosync node id) is sent too, as Pacemaker's tools do, and is what
    /// attrd uses when the name is unknown to it. Values already written to the CIB's status
    /// section stay there: remove the node's `node_state` from the CIB as well.
    pub fn peer_remove(&mut self, node: &str, id: Option<u32>) -> Result<(), IpcError> {
        IpcError::require_node(node)?;
        let req = Self::op("peer-remove")
            .attr("attr_host", node)
            .attr_opt("attr_host_id", id.map(|i| i.to_string()));
        self.acked("peer-remove", req)
    }

    /// Clears fail counts and last-failure times (`clear-failure`): of `resource` (all when
    /// `None`; use the clone-stripped name for anonymous clones) on `node` (all when `None`),
    /// optionally only for one `operation` and `interval` (e.g. `"monitor"`, `"10s"`).
    pub fn clear_failure(
        &mut self,
        node: Option<&str>,
        resource: Option<&str>,
        operation: Option<&str>,
        interval: Option<&str>,
    ) -> Result<(), IpcError> {
        let req = Self::op("clear-failure")
            .attr_opt("attr_host", node)
            .attr_opt("attr_resource", resource)
            .attr_opt("attr_clear_operation", operation)
            .attr_opt("attr_clear_interval", interval)
            .attr("attr_is_remote", "0");
        self.acked("clear-failure", req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_replies() {
        let v = parse_query_reply(r#"<build_query_reply t="attrd" subt="query" attr_version="4" attr_name="master-pgsql"><node attr_host="node1" attr_value="100"/><node attr_host="node2"/></build_query_reply>"#).unwrap();
        assert_eq!(
            v,
            vec![
                AttrValue {
                    node: "node1".into(),
                    value: Some("100".into())
                },
                AttrValue {
                    node: "node2".into(),
                    value: None
                }
            ]
        );
        assert!(parse_query_reply(
            r#"<build_query_reply t="attrd" subt="query" attr_version="4"/>"#
        )
        .unwrap()
        .is_empty());
        assert!(parse_query_reply(r#"<r attr_name="x"><node attr_value="1"/></r>"#).is_err());
        assert!(parse_query_reply("<<").is_err());
    }

    #[test]
    fn peer_remove_payload() {
        let x = AttrdClient::op("peer-remove")
            .attr("attr_host", "node3")
            .attr_opt("attr_host_id", Some("3"))
            .build();
        let r = xml::root(&x).unwrap();
        assert_eq!(r.get("task"), Some("peer-remove"));
        assert_eq!(r.get("attr_host"), Some("node3"));
        assert_eq!(r.get("attr_host_id"), Some("3"));
        assert_eq!(r.get("t"), Some("attrd"));
    }

    #[test]
    fn values_are_escaped() {
        let x = AttrdClient::op("update")
            .attr("attr_name", "a\"b")
            .attr_opt("attr_value", Some("<v&'>"))
            .build();
        let r = xml::root(&x).unwrap();
        assert_eq!(r.get("attr_name"), Some("a\"b"));
        assert_eq!(r.get("attr_value"), Some("<v&'>"));
        assert_eq!(r.get("src"), Some(CLIENT_NAME));
    }
}
