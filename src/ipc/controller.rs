//! Client of the controller (pacemaker-controld) on `crmd`: the mandatory hello, deleting a
//! resource's operation history on a node (`lrm_delete`, the second half of
//! `crm_resource --cleanup/--refresh`, after which the resource is re-probed), reprobing a
//! node (`probe_again`) and the DC ping.
//!
//! Also builds the "crmd envelope" (`create_request_adv`) that pacemakerd shares. The
//! controller acks each request at once and sends the real answer as an event; this module
//! waits for that event with a timeout. It must not decide *what* to clean up (validating
//! resource and node names against the CIB is the caller's job: an unknown node gets an ack
//! and then silence).

use super::xml::{self, Element};
use super::{check_ack, exit, Connection, IpcError, Message, Service, CLIENT_NAME};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// `CRM_FEATURE_SET` sent in requests (Pacemaker 2.1.5's; daemons accept older ones).
pub const FEATURE_SET: &str = "3.16.1";

/// The `create_request_adv` envelope of a controller request (pure); `.build()` gives its
/// text. Requests such as `rm_node_cache` add their arguments as attributes of the envelope.
pub(crate) fn crm_envelope(
    origin: &str,
    task: &str,
    sys_to: Option<&str>,
    host_to: Option<&str>,
    reference: &str,
    data: Option<Element>,
) -> Element {
    let mut e = Element::new("create_request_adv")
        .attr("origin", origin)
        .attr("t", "crmd")
        .attr("version", FEATURE_SET)
        .attr("subt", "request")
        .attr("reference", reference)
        .attr("crm_task", task)
        .attr_opt("crm_sys_to", sys_to)
        .attr(
            "crm_sys_from",
            format!("{}_{CLIENT_NAME}", std::process::id()),
        )
        .attr_opt("crm_host_to", host_to);
    if let Some(d) = data {
        e = e.child(Element::new("crm_xml").child(d));
    }
    e
}

/// Builds the `rm_node_cache` request `crm_node -R` sends to the controller and the fencer
/// (`sys_to` `crmd` or `stonith-ng`): the node's name as `uname` and its corosync id, when
/// known, as `id`, on the envelope (pure).
pub(crate) fn purge_node_request(
    sys_to: &str,
    node: &str,
    id: Option<u32>,
    reference: &str,
) -> String {
    crm_envelope(
        "pgcrm_purge_node",
        "rm_node_cache",
        Some(sys_to),
        None,
        reference,
        None,
    )
    .attr_opt("id", id.map(|i| i.to_string()))
    .attr("uname", node)
    .build()
}

/// A unique request reference `TASK-CLIENT-EPOCHSECONDS-COUNTER`.
pub(crate) fn reference(task: &str, counter: u32) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{task}-{CLIENT_NAME}-{now}-{counter}")
}

/// Sends a request flagged "client waits", checks the ack, then waits for the event whose
/// `crm_task` is `reply_task` (other events are skipped until the timeout).
pub(crate) fn call_with_event_reply(
    conn: &mut Connection,
    op: &str,
    request: &str,
    reply_task: &str,
    timeout: Duration,
) -> Result<Message, IpcError> {
    let deadline = Instant::now() + timeout;
    let ack = conn.request(request, timeout)?;
    let root = xml::root(&ack.xml).map_err(|e| IpcError::protocol(conn.service(), e))?;
    if root.name != "ack" {
        return Ok(ack); // some daemons answer directly
    }
    check_ack(conn.service(), op, &ack)?;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ev = conn.expect_event(left, &format!("the {op} reply"))?;
        let root = xml::root(&ev.xml).map_err(|e| IpcError::protocol(conn.service(), e))?;
        if root.get("crm_task") == Some(reply_task) {
            return Ok(ev);
        }
    }
}

/// The resource whose history to delete, as the controller's executor knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LrmResource<'a> {
    /// The id in the node's status history (`lrm_resource@id`): for anonymous and
    /// promotable clones the id *without* `:N`.
    pub id: &'a str,
    /// The instance name (`pgsql:0`), optional.
    pub long_id: Option<&'a str>,
    /// `class` of the primitive (`ocf`, `systemd`, …).
    pub class: &'a str,
    /// `provider` (OCF only).
    pub provider: Option<&'a str>,
    /// `type` of the primitive.
    pub kind: &'a str,
}

/// Builds the `rsc_op` payload of `lrm_delete` (pure).
pub(crate) fn lrm_delete_data(
    rsc: &LrmResource<'_>,
    node: &str,
    router: Option<&str>,
    node_offline: bool,
) -> Element {
    let primitive = Element::new("primitive")
        .attr("id", rsc.id)
        .attr_opt("long-id", rsc.long_id)
        .attr("class", rsc.class)
        .attr_opt("provider", rsc.provider)
        .attr("type", rsc.kind);
    Element::new("rsc_op")
        .attr(
            "transition-key",
            format!(
                "{}:0:0:xxxxxxxx-xrsc-opxx-xcrm-resourcexxxx",
                std::process::id()
            ),
        )
        .attr("on_node", node)
        .attr_opt("router_node", router.filter(|r| *r != node))
        .attr_opt("mode", node_offline.then_some("cib"))
        .child(primitive)
        .child(
            Element::new("attributes")
                .attr("crm_feature_set", FEATURE_SET)
                .attr("CRM_meta_timeout", "60000"),
        )
}

/// Checks the `lrm_rsc_op` in an `lrm_delete` reply: op-status 0 and rc-code 0.
pub fn check_lrm_delete_reply(xml: &str) -> Result<(), String> {
    let Some(op) = xml::first_element(xml, "lrm_rsc_op")? else {
        return Ok(()); // nothing to check (older controllers reply without the result)
    };
    let status = op.get("op-status").unwrap_or("0");
    let rc = op.get("rc-code").unwrap_or("0");
    if status == "0" && rc == "0" {
        return Ok(());
    }
    let reason = op.get("exit-reason").unwrap_or("");
    Err(format!("op-status {status}, rc-code {rc} {reason}")
        .trim_end()
        .to_owned())
}

/// A connection to pacemaker-controld (hello already sent).
#[derive(Debug)]
pub struct ControllerClient {
    conn: Connection,
    timeout: Duration,
    counter: u32,
}

impl ControllerClient {
    /// Connects to `crmd` and sends the hello the controller requires (it is never answered).
    pub fn connect(timeout: Duration) -> Result<ControllerClient, IpcError> {
        let mut conn = Connection::open(Service::Controller, timeout)?;
        let pid = std::process::id().to_string();
        let hello = crm_envelope(
            "create_hello_message",
            "hello",
            None,
            None,
            &reference("hello", 0),
            Some(
                Element::new("options")
                    .attr("major_version", "1")
                    .attr("minor_version", "0")
                    .attr("client_name", CLIENT_NAME)
                    .attr("client_uuid", &pid),
            ),
        )
        .build();
        conn.send(&hello, timeout)?;
        Ok(ControllerClient {
            conn,
            timeout,
            counter: 0,
        })
    }

    /// Changes the timeout of later requests (history deletion waits for the executor).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The underlying connection.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn next_ref(&mut self, task: &str) -> String {
        self.counter += 1;
        reference(task, self.counter)
    }

    /// Deletes the operation history of `rsc` on `node` (`lrm_delete`), which makes the
    /// cluster re-probe it. `router` is the node whose controller routes the request (the
    /// connection host of a remote node; `None` = `node` itself); `node_offline` wipes the
    /// CIB history only (`mode="cib"`, what crm_resource does for offline nodes).
    /// Returns the controller's reply XML.
    pub fn lrm_delete(
        &mut self,
        rsc: &LrmResource<'_>,
        node: &str,
        router: Option<&str>,
        node_offline: bool,
    ) -> Result<String, IpcError> {
        let req = crm_envelope(
            "create_controller_request",
            "lrm_delete",
            Some("crmd"),
            Some(router.unwrap_or(node)),
            &self.next_ref("lrm_delete"),
            Some(lrm_delete_data(rsc, node, router, node_offline)),
        )
        .build();
        let reply = call_with_event_reply(
            &mut self.conn,
            "lrm_delete",
            &req,
            "lrm_invoke",
            self.timeout,
        )?;
        check_lrm_delete_reply(&reply.xml).map_err(|reason| IpcError::Rejected {
            service: self.conn.service().to_owned(),
            op: format!("lrm_delete of {} on {node}", rsc.id),
            rc: 1,
            reason,
            exit: exit::ERROR,
        })?;
        Ok(reply.xml)
    }

    /// Asks `node` (every node when `None`) to re-probe all resources (`probe_again`).
    /// Clear failures in attrd first if that is intended (as `crm_resource --refresh` does).
    pub fn reprobe(&mut self, node: Option<&str>) -> Result<String, IpcError> {
        let req = crm_envelope(
            "create_controller_request",
            "probe_again",
            Some("crmd"),
            node,
            &self.next_ref("probe_again"),
            Some(Element::new("data_for_probe_again").attr_opt("on_node", node)),
        )
        .build();
        let reply = call_with_event_reply(
            &mut self.conn,
            "probe_again",
            &req,
            "lrm_invoke",
            self.timeout,
        )?;
        Ok(reply.xml)
    }

    /// Asks the controller to forget `node` (`id`: its corosync node id, when known), the
    /// `rm_node_cache` request `crm_node -R` sends first: the local controller passes it on
    /// to every controller in the cluster, which drop the node from their peer caches if it
    /// is not active. Returns on the controller's acknowledgement (the request has no other
    /// answer). Remove the node from the CIB too; this request does not touch the CIB.
    pub fn purge_node(&mut self, node: &str, id: Option<u32>) -> Result<(), IpcError> {
        IpcError::require_node(node)?;
        let req = purge_node_request("crmd", node, id, &self.next_ref("rm_node_cache"));
        let ack = self.conn.request(&req, self.timeout)?;
        check_ack(self.conn.service(), "rm_node_cache", &ack)
    }

    /// Pings the DC; returns its controller state (`S_IDLE`, `S_TRANSITION_ENGINE`, …).
    pub fn ping_dc(&mut self) -> Result<String, IpcError> {
        let req = crm_envelope(
            "create_controller_request",
            "ping",
            Some("dc"),
            None,
            &self.next_ref("ping"),
            None,
        )
        .build();
        let reply = call_with_event_reply(&mut self.conn, "ping", &req, "ping", self.timeout)?;
        let resp = xml::first_element(&reply.xml, "ping_response")
            .map_err(|e| IpcError::protocol(self.conn.service(), e))?
            .ok_or_else(|| {
                IpcError::protocol(self.conn.service(), "ping reply without ping_response")
            })?;
        resp.get("crmd_state").map(str::to_owned).ok_or_else(|| {
            IpcError::protocol(self.conn.service(), "ping_response without crmd_state")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lrm_delete_payload() {
        let rsc = LrmResource {
            id: "pgsql",
            long_id: Some("pgsql:0"),
            class: "ocf",
            provider: Some("heartbeat"),
            kind: "pgsql",
        };
        let x = crm_envelope(
            "create_controller_request",
            "lrm_delete",
            Some("crmd"),
            Some("node1"),
            "lrm_delete-pgcrm-1-1",
            Some(lrm_delete_data(&rsc, "node1", Some("node1"), false)),
        )
        .build();
        let root = xml::root(&x).unwrap();
        assert_eq!(root.name, "create_request_adv");
        assert_eq!(root.get("crm_task"), Some("lrm_delete"));
        assert_eq!(root.get("crm_host_to"), Some("node1"));
        assert_eq!(root.get("version"), Some(FEATURE_SET));
        let op = xml::first_element(&x, "rsc_op").unwrap().unwrap();
        assert_eq!(op.get("on_node"), Some("node1"));
        assert_eq!(
            op.get("router_node"),
            None,
            "router equal to node is omitted"
        );
        assert_eq!(op.get("mode"), None);
        assert!(op
            .get("transition-key")
            .unwrap()
            .ends_with(":0:0:xxxxxxxx-xrsc-opxx-xcrm-resourcexxxx"));
        let p = xml::first_element(&x, "primitive").unwrap().unwrap();
        assert_eq!(p.get("long-id"), Some("pgsql:0"));
        assert_eq!(p.get("type"), Some("pgsql"));
        let x = lrm_delete_data(&rsc, "rnode", Some("node1"), true).build();
        let op = xml::root(&x).unwrap();
        assert_eq!(op.get("router_node"), Some("node1"));
        assert_eq!(op.get("mode"), Some("cib"));
    }

    #[test]
    fn lrm_delete_results() {
        assert!(check_lrm_delete_reply(r#"<create_request_adv crm_task="lrm_invoke"><crm_xml><node_state><lrm_rsc_op id="d_last_0" operation="delete" rc-code="0" op-status="0"/></node_state></crm_xml></create_request_adv>"#).is_ok());
        let e = check_lrm_delete_reply(
            r#"<x><lrm_rsc_op rc-code="1" op-status="4" exit-reason="boom"/></x>"#,
        )
        .unwrap_err();
        assert_eq!(e, "op-status 4, rc-code 1 boom");
        assert!(check_lrm_delete_reply("<x/>").is_ok());
    }

    #[test]
    fn purge_node_payload() {
        let x = purge_node_request("crmd", "node3", Some(3), "rm_node_cache-pgcrm-1-1");
        let r = xml::root(&x).unwrap();
        assert_eq!(r.name, "create_request_adv");
        assert_eq!(r.get("crm_task"), Some("rm_node_cache"));
        assert_eq!(r.get("crm_sys_to"), Some("crmd"));
        assert_eq!(r.get("crm_host_to"), None);
        assert_eq!(r.get("uname"), Some("node3"));
        assert_eq!(r.get("id"), Some("3"));
        assert!(!x.contains("crm_xml"), "{x}");
        let x = purge_node_request("stonith-ng", "node3", None, "r");
        let r = xml::root(&x).unwrap();
        assert_eq!(r.get("id"), None);
        assert_eq!(r.get("crm_sys_to"), Some("stonith-ng"));
    }

    #[test]
    fn references_are_unique_per_counter() {
        assert_ne!(reference("ping", 1), reference("ping", 2));
        assert!(reference("ping", 1).starts_with("ping-pgcrm-"));
    }
}
