//! Native client for the IPC of Pacemaker's daemons (Pacemaker 2.1.x over libqb 1.x/2.x):
//! no libqb, no Pacemaker library, no forked tool.
//!
//! Layers, bottom up:
//! * [`qb`] — libqb transport: abstract setup socket, credential handshake, shared-memory
//!   ring buffers (or the socket transport when the daemons run with `PCMK_ipc_type=socket`);
//! * [`header`] — Pacemaker's 40-byte message header and bzip2 payloads (pure functions);
//! * [`Connection`] — one framed connection: request/response with id matching, events;
//! * typed clients: [`cib::CibClient`], [`attrd::AttrdClient`],
//!   [`controller::ControllerClient`], [`pacemakerd::PacemakerdClient`],
//!   [`fencer::FencerClient`].
//!
//! Every wait has a timeout; every failure is an [`IpcError`] that says, in one line, what the
//! operator should do, and maps to a Pacemaker exit code ([`IpcError::exit_code`]).
//!
//! This module is a library: it must never print, never exit, never fork a Pacemaker tool, and
//! never guess across protocol versions (a daemon speaking another layout is reported as
//! [`IpcError::VersionMismatch`]). One connection serves one thread; requests on a connection
//! are strictly sequential.

pub mod attrd;
pub mod cib;
pub mod controller;
pub mod fencer;
pub mod header;
pub mod pacemakerd;
pub mod qb;
pub mod saved_cib;
mod xml;

pub use attrd::{AttrValue, AttrdClient};
pub use cib::{
    CibChannel, CibClient, CibNotification, CibQueryResult, CibReply, CibVersion, NotifyKind,
    QueryOptions, Scope, WriteOptions,
};
pub use controller::{ControllerClient, LrmResource};
pub use fencer::FencerClient;
pub use header::Message;
pub use pacemakerd::{PacemakerdClient, PacemakerdPing};
pub use qb::{ServerCredentials, TransportKind};

use std::io;
use std::time::{Duration, Instant};

/// Name this client gives itself in requests (`cib_clientname`, `src`, `crm_sys_from`, …).
pub const CLIENT_NAME: &str = "pgcrm";

/// Default timeout for one request, connection setup included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Buffer size Pacemaker's own CIB clients request (512 KiB).
pub const CIB_BUFFER_SIZE: u32 = 512 * 1024;

/// Buffer size Pacemaker's other clients request (128 KiB, the daemons' default).
pub const DEFAULT_BUFFER_SIZE: u32 = 128 * 1024;

/// The daemon endpoints this client talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// pacemaker-based, unprivileged channel (reads).
    CibRo,
    /// pacemaker-based, privileged channel (reads and writes).
    CibRw,
    /// pacemaker-attrd.
    Attrd,
    /// pacemaker-controld (exists only once the controller has started).
    Controller,
    /// pacemakerd.
    Pacemakerd,
    /// pacemaker-fenced.
    Fencer,
}

impl Service {
    /// The abstract socket name of the endpoint.
    pub fn socket_name(self) -> &'static str {
        match self {
            Service::CibRo => "cib_ro",
            Service::CibRw => "cib_rw",
            Service::Attrd => "attrd",
            Service::Controller => "crmd",
            Service::Pacemakerd => "pacemakerd",
            Service::Fencer => "stonith-ng",
        }
    }

    /// The buffer size to request from this endpoint: what Pacemaker's own clients ask for,
    /// except from the CIB manager of a cluster whose configuration is small, where the
    /// daemons' default is enough and cheaper to set up ([`saved_cib::SavedCib`]).
    pub fn buffer_size(self) -> u32 {
        match self {
            Service::CibRo | Service::CibRw => {
                if saved_cib::local().is_some_and(saved_cib::SavedCib::small_configuration) {
                    DEFAULT_BUFFER_SIZE
                } else {
                    CIB_BUFFER_SIZE
                }
            }
            _ => DEFAULT_BUFFER_SIZE,
        }
    }
}

/// Pacemaker exit codes (`crm_exit_t`): the crate's one table.
pub use crate::error::exit;

/// Everything that can go wrong talking to a daemon, phrased for the operator.
#[derive(Debug, thiserror::Error)]
pub enum IpcError {
    /// Nobody listens on the endpoint (connection refused).
    #[error("cannot connect to {service}: connection refused: is pacemaker running on this node?")]
    NotRunning {
        /// Endpoint name.
        service: String,
    },
    /// The kernel or the daemon refused access.
    #[error("permission denied talking to {service} ({detail}): run as root or as a member of the haclient group")]
    PermissionDenied {
        /// Endpoint name.
        service: String,
        /// What was refused.
        detail: String,
    },
    /// No answer in time.
    #[error("{service} did not answer {waiting_for} within {after:?}: the daemon is busy or hung; retry, or check the cluster logs")]
    Timeout {
        /// Endpoint name.
        service: String,
        /// What was being waited for.
        waiting_for: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// A reply that does not parse or does not follow the protocol.
    #[error("unexpected reply from {service}: {detail}")]
    Protocol {
        /// Endpoint name.
        service: String,
        /// What was wrong.
        detail: String,
    },
    /// The daemon closed the connection (died or restarted) while we were using it.
    #[error("{service} closed the connection during {during}: the daemon died or restarted; check `crm_mon` and the cluster logs, then retry")]
    Disconnected {
        /// Endpoint name.
        service: String,
        /// What was in progress.
        during: String,
    },
    /// The daemon speaks another protocol version than this client.
    #[error("{service} speaks an IPC protocol this client does not support ({detail}); pgcrm supports Pacemaker 2.1.x and 3.0.0: read a saved CIB instead (`cibadmin -Q > cib.xml`, then --cib-file cib.xml)")]
    VersionMismatch {
        /// Endpoint name.
        service: String,
        /// What was seen.
        detail: String,
    },
    /// The daemon exists but is not accepting clients (starting or shutting down).
    #[error("{service} is not accepting connections ({detail}): it is starting or shutting down; retry in a moment")]
    Unavailable {
        /// Endpoint name.
        service: String,
        /// The daemon's reason.
        detail: String,
    },
    /// The daemon understood the request and refused it.
    #[error("{service} refused {op}: {reason}")]
    Rejected {
        /// Endpoint name.
        service: String,
        /// The operation.
        op: String,
        /// The daemon's code (legacy negative errno for the CIB, exit code otherwise).
        rc: i32,
        /// Human-readable reason.
        reason: String,
        /// Pacemaker exit code for this refusal.
        exit: i32,
    },
    /// A request that does not fit the IPC buffer even compressed.
    #[error("request to {service} is too large: {detail}; raise PCMK_ipc_buffer on all nodes")]
    TooLarge {
        /// Endpoint name.
        service: String,
        /// Sizes.
        detail: String,
    },
    /// The process behind the socket is not a Pacemaker daemon (wrong owner).
    #[error("refusing to talk to {service}: its process (pid {pid}) runs as uid {uid} gid {gid}, not as root, hacluster or haclient")]
    UntrustedPeer {
        /// Endpoint name.
        service: String,
        /// Peer pid.
        pid: i32,
        /// Peer uid.
        uid: u32,
        /// Peer gid.
        gid: u32,
    },
    /// Caller-supplied request data is not acceptable (not one XML element, NUL byte, …).
    #[error("invalid request data: {detail}")]
    InvalidRequest {
        /// What is wrong.
        detail: String,
    },
    /// Any other system error.
    #[error("I/O error talking to {service} ({context}): {source}")]
    Io {
        /// Endpoint name.
        service: String,
        /// What was being done.
        context: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

impl IpcError {
    /// The Pacemaker exit code (`crm_exit_t`) a command failing with this error should use.
    pub fn exit_code(&self) -> i32 {
        match self {
            IpcError::NotRunning { .. } | IpcError::Disconnected { .. } => exit::DISCONNECT,
            IpcError::PermissionDenied { .. } => exit::INSUFFICIENT_PRIV,
            IpcError::UntrustedPeer { .. } => exit::NOPERM,
            IpcError::Timeout { .. } => exit::TIMEOUT,
            IpcError::Protocol { .. } | IpcError::VersionMismatch { .. } => exit::PROTOCOL,
            IpcError::Unavailable { .. } => exit::UNAVAILABLE,
            IpcError::Rejected { exit, .. } => *exit,
            IpcError::TooLarge { .. } => exit::ERROR,
            IpcError::InvalidRequest { .. } => exit::INVALID_PARAM,
            IpcError::Io { .. } => exit::IOERR,
        }
    }

    /// Classifies an OS error met while talking to `service`.
    pub(crate) fn os(service: &str, context: &str, e: io::Error) -> IpcError {
        let service = service.to_owned();
        match e.raw_os_error() {
            Some(libc::ECONNREFUSED) | Some(libc::ENOENT) => IpcError::NotRunning { service },
            Some(libc::EACCES) | Some(libc::EPERM) => IpcError::PermissionDenied {
                service,
                detail: format!("{context}: {e}"),
            },
            Some(libc::EPIPE) | Some(libc::ECONNRESET) | Some(libc::ENOTCONN) => {
                IpcError::Disconnected {
                    service,
                    during: context.to_owned(),
                }
            }
            _ => IpcError::Io {
                service,
                context: context.to_owned(),
                source: e,
            },
        }
    }

    /// Refuses a node name the daemons could not match (the purge requests of `node delete`).
    pub(crate) fn require_node(node: &str) -> Result<(), IpcError> {
        if node.is_empty() {
            return Err(IpcError::InvalidRequest {
                detail: "empty node name".into(),
            });
        }
        Ok(())
    }

    pub(crate) fn protocol(service: &str, detail: impl Into<String>) -> IpcError {
        IpcError::Protocol {
            service: service.to_owned(),
            detail: detail.into(),
        }
    }
}

/// Refuses, before anything is sent, daemons known to speak the 3.0.1+ header: a request in
/// 2.1's layout would be misread by them and never answered.
fn check_layout(service: &str, local: Option<&saved_cib::LocalVersion>) -> Result<(), IpcError> {
    match local {
        Some(found) if !found.version.speaks_21_layout() => Err(IpcError::VersionMismatch {
            service: service.to_owned(),
            detail: format!(
                "Pacemaker {} ({}) uses the 3.0.1+ message header",
                found.version, found.source
            ),
        }),
        _ => Ok(()),
    }
}

/// One framed connection to a daemon: Pacemaker messages over a libqb connection.
///
/// Requests are sequential: [`Connection::request`] sends one message flagged
/// "client waits for a response" and returns the response with the same id (stale responses
/// to earlier, timed-out requests are skipped). Events are read with [`Connection::next_event`].
pub struct Connection {
    qb: qb::QbConnection,
    next_id: i32,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("service", &self.qb.service())
            .field("transport", &self.qb.transport())
            .field("max_msg_size", &self.qb.max_msg_size())
            .finish()
    }
}

impl Connection {
    /// Connects to the endpoint `service` (an abstract socket name such as `cib_rw`),
    /// asking for a buffer of `buffer_size` bytes.
    pub fn connect(service: &str, buffer_size: u32, timeout: Duration) -> Result<Self, IpcError> {
        check_layout(service, saved_cib::local().and_then(|s| s.version.as_ref()))?;
        Ok(Connection {
            qb: qb::QbConnection::connect(service, buffer_size, timeout)?,
            next_id: 0,
        })
    }

    /// Connects to one of the known endpoints with the buffer size Pacemaker's tools use.
    pub fn open(service: Service, timeout: Duration) -> Result<Self, IpcError> {
        Self::connect(service.socket_name(), service.buffer_size(), timeout)
    }

    /// Endpoint name.
    pub fn service(&self) -> &str {
        self.qb.service()
    }

    /// The transport the daemon chose.
    pub fn transport(&self) -> TransportKind {
        self.qb.transport()
    }

    /// The negotiated maximum message size.
    pub fn max_msg_size(&self) -> u32 {
        self.qb.max_msg_size()
    }

    /// Who runs the daemon process (checked at connect time).
    pub fn server_credentials(&self) -> ServerCredentials {
        self.qb.server_credentials()
    }

    fn encode(&mut self, xml: &str, flags: u32) -> Result<(i32, Vec<u8>), IpcError> {
        self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        let id = self.next_id;
        let bytes =
            header::encode(id, flags, xml, self.qb.max_msg_size()).map_err(|e| match e {
                header::EncodeError::ContainsNul => IpcError::InvalidRequest {
                    detail: e.to_string(),
                },
                header::EncodeError::TooLarge { .. } => IpcError::TooLarge {
                    service: self.service().to_owned(),
                    detail: e.to_string(),
                },
                header::EncodeError::Compress(io) => {
                    IpcError::os(self.qb.service(), "compressing the request", io)
                }
            })?;
        Ok((id, bytes))
    }

    fn decode(&self, raw: &[u8]) -> Result<Message, IpcError> {
        header::decode(raw).map_err(|e| match e {
            header::DecodeError::NewerLayout | header::DecodeError::UnknownVersion(_) => {
                IpcError::VersionMismatch {
                    service: self.service().to_owned(),
                    detail: e.to_string(),
                }
            }
            e => IpcError::protocol(self.service(), e.to_string()),
        })
    }

    /// Sends `xml` without asking for a response (header flags 0).
    pub fn send(&mut self, xml: &str, timeout: Duration) -> Result<(), IpcError> {
        let (_, bytes) = self.encode(xml, 0)?;
        self.qb.send(&bytes, Instant::now() + timeout)
    }

    /// Sends `xml` flagged "client waits for a response" and returns that response.
    pub fn request(&mut self, xml: &str, timeout: Duration) -> Result<Message, IpcError> {
        let deadline = Instant::now() + timeout;
        let (id, bytes) = self.encode(xml, header::flags::CLIENT_RESPONSE)?;
        self.qb.send(&bytes, deadline)?;
        loop {
            let raw = self
                .qb
                .recv_response(deadline)?
                .ok_or_else(|| IpcError::Timeout {
                    service: self.service().to_owned(),
                    waiting_for: "the request".into(),
                    after: timeout,
                })?;
            let msg = self.decode(&raw)?;
            match msg.header.id.cmp(&id) {
                std::cmp::Ordering::Equal => return Ok(msg),
                // a late response to an earlier request that timed out
                std::cmp::Ordering::Less => continue,
                std::cmp::Ordering::Greater => {
                    return Err(IpcError::protocol(
                        self.service(),
                        format!("response id {} to request id {id}", msg.header.id),
                    ))
                }
            }
        }
    }

    /// Waits up to `timeout` for the next event; `Ok(None)` when none arrived.
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<Message>, IpcError> {
        match self.qb.recv_event(Instant::now() + timeout)? {
            None => Ok(None),
            Some(raw) => self.decode(&raw).map(Some),
        }
    }

    /// Waits up to `timeout` for an event, failing with [`IpcError::Timeout`] if none comes.
    pub fn expect_event(&mut self, timeout: Duration, what: &str) -> Result<Message, IpcError> {
        self.next_event(timeout)?.ok_or_else(|| IpcError::Timeout {
            service: self.service().to_owned(),
            waiting_for: what.to_owned(),
            after: timeout,
        })
    }
}

/// Checks the `<ack … status="N"/>` many daemons send as an immediate response; `Ok(())` for
/// status 0 (done) and 112 (answer follows as an event).
pub(crate) fn check_ack(service: &str, op: &str, msg: &Message) -> Result<(), IpcError> {
    let root = xml::root(&msg.xml).map_err(|e| IpcError::protocol(service, e))?;
    if root.name != "ack" {
        return Ok(());
    }
    let status: i32 = root
        .get("status")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| IpcError::protocol(service, format!("ack without status: {}", msg.xml)))?;
    match status {
        0 | 112 => Ok(()),
        76 => Err(IpcError::protocol(
            service,
            format!("the daemon could not parse the {op} request"),
        )),
        s => Err(IpcError::Rejected {
            service: service.to_owned(),
            op: op.to_owned(),
            rc: s,
            reason: format!("status {s}"),
            exit: if (0..=255).contains(&s) {
                s
            } else {
                exit::ERROR
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_header_layout_is_refused_before_sending() {
        let found = |text: &str| saved_cib::LocalVersion {
            version: saved_cib::PacemakerVersion::parse(text).unwrap(),
            source: "dc-version in /var/lib/pacemaker/cib/cib.xml".into(),
        };
        assert!(check_layout("cib_ro", None).is_ok());
        assert!(check_layout("cib_ro", Some(&found("2.1.5-a3f44794f94"))).is_ok());
        assert!(check_layout("cib_ro", Some(&found("3.0.0"))).is_ok());
        let e = check_layout("cib_ro", Some(&found("3.0.2-6b0e5a4"))).unwrap_err();
        assert_eq!(e.exit_code(), 76);
        let line = e.to_string();
        assert!(!line.contains('\n'), "{line}");
        for words in ["cib_ro", "Pacemaker 3.0.2", "dc-version in", "--cib-file"] {
            assert!(line.contains(words), "{words}: {line}");
        }
    }

    #[test]
    fn exit_codes() {
        let s = || "cib_rw".to_string();
        assert_eq!(IpcError::NotRunning { service: s() }.exit_code(), 102);
        assert_eq!(
            IpcError::os(
                "cib_rw",
                "connect",
                io::Error::from_raw_os_error(libc::ECONNREFUSED)
            )
            .exit_code(),
            102
        );
        assert_eq!(
            IpcError::os("cib_rw", "open", io::Error::from_raw_os_error(libc::EACCES)).exit_code(),
            4
        );
        assert_eq!(
            IpcError::os("cib_rw", "send", io::Error::from_raw_os_error(libc::EPIPE)).exit_code(),
            102
        );
        let t = IpcError::Timeout {
            service: s(),
            waiting_for: "x".into(),
            after: Duration::from_secs(1),
        };
        assert_eq!(t.exit_code(), 124);
        assert_eq!(IpcError::protocol("x", "y").exit_code(), 76);
    }

    #[test]
    fn messages_are_one_line_with_a_fix() {
        let e = IpcError::NotRunning {
            service: "cib_rw".into(),
        };
        assert_eq!(
            e.to_string(),
            "cannot connect to cib_rw: connection refused: is pacemaker running on this node?"
        );
        let e = IpcError::PermissionDenied {
            service: "attrd".into(),
            detail: "open ring".into(),
        };
        assert!(e.to_string().contains("haclient group"));
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn acks() {
        let m = |x: &str| Message {
            header: header::Header::default(),
            xml: x.into(),
        };
        assert!(check_ack("a", "u", &m(r#"<ack function="f" line="1" status="112"/>"#)).is_ok());
        assert!(check_ack("a", "u", &m(r#"<ack status="0"/>"#)).is_ok());
        assert!(matches!(
            check_ack("a", "u", &m(r#"<ack status="76"/>"#)),
            Err(IpcError::Protocol { .. })
        ));
        let e = check_ack("a", "u", &m(r#"<ack status="105"/>"#)).unwrap_err();
        assert_eq!(e.exit_code(), 105);
        assert!(check_ack("a", "u", &m(r#"<other/>"#)).is_ok());
        assert!(check_ack("a", "u", &m(r#"<ack/>"#)).is_err());
    }
}
