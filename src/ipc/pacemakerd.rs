//! Client of pacemakerd on `pacemakerd`: the ping that tells whether the cluster stack on this
//! node is starting, running or shutting down.
//!
//! Read-only by design: this module must never send `quit` (shutdown) or use a client name
//! containing `sbd` (pacemakerd treats such clients as the SBD daemon).

use super::controller::{call_with_event_reply, crm_envelope, reference};
use super::xml;
use super::{Connection, IpcError, Service};
use std::time::Duration;

/// The answer to a ping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacemakerdPing {
    /// `pacemakerd_state`: `init`, `starting_daemons`, `wait_for_ping`, `running`,
    /// `shutting_down`, `shutdown_complete`, `remote`.
    pub state: String,
    /// `crm-timestamp`: when pacemakerd last checked all its subdaemons (epoch seconds).
    pub last_check: Option<i64>,
    /// `result` (`ok`).
    pub result: String,
    /// The whole reply.
    pub xml: String,
}

impl PacemakerdPing {
    /// True when every subdaemon is up.
    pub fn is_running(&self) -> bool {
        self.state == "running"
    }
}

/// Parses a ping reply (pure).
pub fn parse_ping_reply(reply: &str) -> Result<PacemakerdPing, String> {
    let resp = xml::first_element(reply, "ping_response")?
        .ok_or_else(|| "ping reply without ping_response".to_string())?;
    Ok(PacemakerdPing {
        state: resp
            .get("pacemakerd_state")
            .ok_or_else(|| "ping_response without pacemakerd_state".to_string())?
            .to_owned(),
        last_check: resp.get("crm-timestamp").and_then(|t| t.parse().ok()),
        result: resp.get("result").unwrap_or_default().to_owned(),
        xml: reply.to_owned(),
    })
}

/// A connection to pacemakerd.
#[derive(Debug)]
pub struct PacemakerdClient {
    conn: Connection,
    timeout: Duration,
    counter: u32,
}

impl PacemakerdClient {
    /// Connects to `pacemakerd`.
    pub fn connect(timeout: Duration) -> Result<PacemakerdClient, IpcError> {
        Ok(PacemakerdClient {
            conn: Connection::open(Service::Pacemakerd, timeout)?,
            timeout,
            counter: 0,
        })
    }

    /// The underlying connection.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Pings pacemakerd.
    pub fn ping(&mut self) -> Result<PacemakerdPing, IpcError> {
        self.counter += 1;
        let req = crm_envelope(
            "pgcrm_pacemakerd_ping",
            "ping",
            Some("pacemakerd"),
            None,
            &reference("ping", self.counter),
            None,
        )
        .build();
        let reply = call_with_event_reply(&mut self.conn, "ping", &req, "ping", self.timeout)?;
        parse_ping_reply(&reply.xml).map_err(|e| IpcError::protocol(self.conn.service(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_reply() {
        let p = parse_ping_reply(r#"<create_reply_adv origin="handle_ping_request" t="crmd" version="3.16.1" subt="response" reference="ping-crm_mon-1795564290-0" crm_task="ping" crm_sys_to="294_crm_mon" crm_sys_from="pacemakerd"><crm_xml><ping_response crm_subsystem="pacemakerd" pacemakerd_state="running" crm-timestamp="1795564289" result="ok"/></crm_xml></create_reply_adv>"#).unwrap();
        assert!(p.is_running());
        assert_eq!(p.last_check, Some(1_795_564_289));
        assert_eq!(p.result, "ok");
        assert!(parse_ping_reply("<create_reply_adv/>").is_err());
        assert!(parse_ping_reply(r#"<r><ping_response result="ok"/></r>"#).is_err());
    }
}
