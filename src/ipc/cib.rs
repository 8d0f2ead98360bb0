//! Client of the CIB manager (pacemaker-based) on `cib_ro` / `cib_rw`: sign-on, query of the
//! whole CIB, a section or an XPath, the writes (`cib_modify`, `cib_create`, `cib_delete`,
//! `cib_replace`, `cib_apply_diff`) with the CIB version (`admin_epoch`, `epoch`,
//! `num_updates`) they produced, and change notifications.
//!
//! Requests are sent with `cib_sync_call` and the "client waits" header flag, so every reply
//! is a response matched by id. Replies are returned as XML strings for the CIB model to
//! parse; this module must not interpret CIB content beyond the version attributes of the
//! `<cib>` element, and must not send writes on a read-only connection (based forwards them
//! anyway, so the check is done here).

use super::xml::{self, Element};
use super::{exit, Connection, IpcError, Service, CLIENT_NAME};
use std::time::Duration;

/// `enum cib_call_options` values used by this client.
pub mod callopt {
    /// `cib_section` is an XPath expression.
    pub const XPATH: u32 = 0x2;
    /// XPath write: apply to every match, not only the first.
    pub const MULTIPLE: u32 = 0x4;
    /// Modify: create the element if it does not exist.
    pub const CAN_CREATE: u32 = 0x8;
    /// Query: return the element with its attributes only.
    pub const NO_CHILDREN: u32 = 0x20;
    /// Local instance (the stock tools set it on queries).
    pub const SCOPE_LOCAL: u32 = 0x100;
    /// Validate but do not apply.
    pub const DRYRUN: u32 = 0x200;
    /// Synchronous call: the reply is a response with the request's id.
    pub const SYNC_CALL: u32 = 0x1000;
}

/// Which CIB endpoint to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CibChannel {
    /// `cib_ro`: reads only (what `crm_mon` uses). Writes are refused by this client.
    ReadOnly,
    /// `cib_rw`: reads and writes.
    ReadWrite,
}

/// The CIB's version triple; ordered as Pacemaker compares versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct CibVersion {
    /// Bumped by administrators only.
    pub admin_epoch: u64,
    /// Bumped by every configuration change.
    pub epoch: u64,
    /// Bumped by every status change; reset when `epoch` changes.
    pub num_updates: u64,
}

impl CibVersion {
    /// Reads the version attributes of a `<cib …>` element (the root of `xml`).
    pub fn from_cib_xml(xml: &str) -> Result<CibVersion, String> {
        let root = xml::root(xml)?;
        if root.name != "cib" {
            return Err(format!("expected <cib>, got <{}>", root.name));
        }
        let num = |name: &str| -> Result<u64, String> {
            match root.get(name) {
                None => Ok(0), // Pacemaker treats a missing attribute as 0
                Some(v) => v
                    .parse()
                    .map_err(|_| format!("<cib {name}=\"{v}\"> is not a number")),
            }
        };
        Ok(CibVersion {
            admin_epoch: num("admin_epoch")?,
            epoch: num("epoch")?,
            num_updates: num("num_updates")?,
        })
    }
}

impl std::fmt::Display for CibVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{}.{}",
            self.admin_epoch, self.epoch, self.num_updates
        )
    }
}

/// What a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// The whole CIB.
    Whole,
    /// A section by name: `configuration`, `nodes`, `resources`, `constraints`, `crm_config`,
    /// `op_defaults`, `rsc_defaults`, `acls`, `tags`, `alerts`, `status`.
    Section(&'a str),
    /// An XPath expression.
    XPath(&'a str),
}

impl<'a> Scope<'a> {
    fn section_and_opts(self) -> (Option<&'a str>, u32) {
        match self {
            Scope::Whole => (None, 0),
            Scope::Section(s) => (Some(s), 0),
            Scope::XPath(x) => (Some(x), callopt::XPATH),
        }
    }
}

/// Options of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueryOptions {
    /// Only the addressed element with its attributes (`cib_no_children`).
    pub no_children: bool,
}

/// Options of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteOptions {
    /// `cib_modify`: create the element when it does not exist (`cib_can_create`).
    pub can_create: bool,
    /// XPath writes: every match, not only the first (`cib_multiple`).
    pub multiple: bool,
    /// Validate only (`cib_dryrun`).
    pub dry_run: bool,
}

impl WriteOptions {
    fn bits(self) -> u32 {
        let mut b = 0;
        if self.can_create {
            b |= callopt::CAN_CREATE;
        }
        if self.multiple {
            b |= callopt::MULTIPLE;
        }
        if self.dry_run {
            b |= callopt::DRYRUN;
        }
        b
    }
}

/// A raw CIB reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CibReply {
    /// `cib_rc`: 0, a negative errno, or a negative Pacemaker legacy code (-2xx).
    pub rc: i32,
    /// Inner XML of `<cib_calldata>`, when present.
    pub data: Option<String>,
    /// The whole reply.
    pub xml: String,
}

/// The result of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CibQueryResult {
    /// The requested XML: `<cib>…</cib>`, a section element, the XPath match, or
    /// `<xpath-query>…</xpath-query>` when an XPath matched several elements.
    pub xml: String,
    /// The CIB version. For [`Scope::Whole`] it is the version of the returned XML itself;
    /// otherwise it was read just *before* the query, so the data is at least this new (an
    /// update built on it and guarded by this version errs on the safe side).
    pub version: CibVersion,
}

/// Notification types a client can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyKind {
    /// Every change, with a v2 patchset (`cib_diff_notify`).
    Diff,
    /// The CIB was replaced or erased (`cib_refresh_notify`).
    Refresh,
}

impl NotifyKind {
    fn name(self) -> &'static str {
        match self {
            NotifyKind::Diff => "cib_diff_notify",
            NotifyKind::Refresh => "cib_refresh_notify",
        }
    }
}

/// One change notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CibNotification {
    /// `subt`: `cib_diff_notify` or `cib_refresh_notify`.
    pub kind: String,
    /// The operation that caused it (`cib_op`).
    pub op: String,
    /// Its result (`cib_rc`).
    pub rc: i32,
    /// The whole `<notify>` element.
    pub xml: String,
}

/// Human-readable reason and exit code for a legacy CIB return code.
pub fn cib_rc_reason(rc: i32) -> (&'static str, i32) {
    match rc {
        0 => ("ok", 0),
        -1 => ("operation not permitted", exit::INSUFFICIENT_PRIV),
        -6 => ("no such object (nothing matched)", exit::NOSUCH),
        -13 => (
            "permission denied by the CIB's ACLs",
            exit::INSUFFICIENT_PRIV,
        ),
        -16 | -11 => ("the CIB is busy, try again", exit::TEMPFAIL),
        -17 => ("object already exists", exit::EXISTS),
        -22 => ("invalid argument", exit::INVALID_PARAM),
        -62 => ("timer expired inside the CIB manager", exit::TIMEOUT),
        -107 => (
            "the CIB manager is not connected to the cluster",
            exit::DISCONNECT,
        ),
        -201 => ("generic CIB failure", exit::ERROR),
        -203 => (
            "the result does not validate against the CIB schema",
            exit::CONFIG,
        ),
        -204 => ("schema transformation failed", exit::CONFIG),
        -205 => (
            "update older than the current CIB (epoch check failed)",
            exit::OLD,
        ),
        -206 => ("the update diff could not be applied", exit::ERROR),
        -207 => (
            "the update diff is newer than the CIB (resync needed)",
            exit::ERROR,
        ),
        -211 => ("the schema is already the latest", exit::ERROR),
        _ => ("error", exit::ERROR),
    }
}

/// Parses a CIB reply envelope (pure; used on every response).
pub fn parse_reply(xml: &str) -> Result<CibReply, String> {
    let root = xml::root(xml)?;
    let rc = match root.get("cib_rc") {
        Some(v) => v
            .parse()
            .map_err(|_| format!("cib_rc=\"{v}\" is not a number"))?,
        None => return Err(format!("<{}> reply without cib_rc", root.name)),
    };
    let data = xml::child_inner(xml, "cib_calldata")?.map(str::to_owned);
    Ok(CibReply {
        rc,
        data,
        xml: xml.to_owned(),
    })
}

/// A signed-on CIB connection.
#[derive(Debug)]
pub struct CibClient {
    conn: Connection,
    channel: CibChannel,
    token: String,
    call_id: u32,
    timeout: Duration,
}

impl CibClient {
    /// Connects to `cib_ro` or `cib_rw` and signs on (`register`). `timeout` bounds every
    /// later request too (see [`CibClient::set_timeout`]).
    pub fn connect(channel: CibChannel, timeout: Duration) -> Result<CibClient, IpcError> {
        let service = match channel {
            CibChannel::ReadOnly => Service::CibRo,
            CibChannel::ReadWrite => Service::CibRw,
        };
        let mut conn = Connection::open(service, timeout)?;
        let req = Element::new("cib_command")
            .attr("t", "cib")
            .attr("cib_op", "register")
            .attr("cib_clientname", CLIENT_NAME)
            .attr("cib_callopt", callopt::SYNC_CALL.to_string())
            .build();
        let reply = conn.request(&req, timeout)?;
        let root = xml::root(&reply.xml).map_err(|e| IpcError::protocol(conn.service(), e))?;
        let token = root
            .get("cib_clientid")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                IpcError::protocol(
                    conn.service(),
                    format!("sign-on reply without cib_clientid: {}", reply.xml),
                )
            })?
            .to_owned();
        Ok(CibClient {
            conn,
            channel,
            token,
            call_id: 0,
            timeout,
        })
    }

    /// Connects to `cib_ro` for synchronous reads only, without signing on. The CIB
    /// manager answers `register` with nothing but the client id, which only asynchronous
    /// calls and notifications use, and fills in the id and name of every request itself:
    /// a reader saves that round trip (0.1 ms of a live `pgcrm status`). Such a client has
    /// no [`CibClient::client_id`].
    pub fn connect_reader(timeout: Duration) -> Result<CibClient, IpcError> {
        Ok(CibClient {
            conn: Connection::open(Service::CibRo, timeout)?,
            channel: CibChannel::ReadOnly,
            token: String::new(),
            call_id: 0,
            timeout,
        })
    }

    /// Changes the timeout of later requests (writes wait for a corosync round trip).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The client id the CIB manager assigned at sign-on.
    pub fn client_id(&self) -> &str {
        &self.token
    }

    /// The underlying connection (transport, buffer size, server credentials).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Sends one CIB operation and returns the reply whatever its `cib_rc`.
    pub fn call(
        &mut self,
        op: &str,
        section: Option<&str>,
        options: u32,
        data: Option<&str>,
    ) -> Result<CibReply, IpcError> {
        if let Some(d) = data {
            xml::check_single_element(d).map_err(|e| IpcError::InvalidRequest {
                detail: format!("{op} data: {e}"),
            })?;
        }
        self.call_id = self.call_id.wrapping_add(1).max(1);
        let mut e = Element::new("cib_command")
            .attr("__name__", "cib_command")
            .attr("t", "cib")
            .attr_opt("cib_async_id", Some(&self.token).filter(|t| !t.is_empty()))
            // a reader never signed on: name it here, as `register` would have
            .attr_opt(
                "cib_clientname",
                self.token.is_empty().then_some(CLIENT_NAME),
            )
            .attr("cib_op", op)
            .attr_opt("cib_section", section)
            .attr("cib_callid", self.call_id.to_string())
            .attr("cib_callopt", (options | callopt::SYNC_CALL).to_string());
        if let Some(d) = data {
            e = e.child(Element::new("cib_calldata").raw_child(d));
        }
        let msg = self.conn.request(&e.build(), self.timeout)?;
        parse_reply(&msg.xml).map_err(|e| IpcError::protocol(self.conn.service(), e))
    }

    fn checked(
        &mut self,
        op: &str,
        section: Option<&str>,
        options: u32,
        data: Option<&str>,
    ) -> Result<CibReply, IpcError> {
        let reply = self.call(op, section, options, data)?;
        if reply.rc != 0 {
            let (reason, exit) = cib_rc_reason(reply.rc);
            return Err(IpcError::Rejected {
                service: self.conn.service().to_owned(),
                op: op.to_owned(),
                rc: reply.rc,
                reason: format!("{reason} (cib_rc {})", reply.rc),
                exit,
            });
        }
        Ok(reply)
    }

    /// The current CIB version (a query of `<cib>` without children).
    pub fn version(&mut self) -> Result<CibVersion, IpcError> {
        let reply = self.checked(
            "cib_query",
            None,
            callopt::SCOPE_LOCAL | callopt::NO_CHILDREN,
            None,
        )?;
        let data = reply.data.unwrap_or_default();
        CibVersion::from_cib_xml(&data).map_err(|e| IpcError::protocol(self.conn.service(), e))
    }

    /// Queries the whole CIB, a section or an XPath.
    pub fn query(&mut self, scope: Scope<'_>) -> Result<CibQueryResult, IpcError> {
        self.query_with(scope, QueryOptions::default())
    }

    /// [`CibClient::query`] with options. An XPath or section that matches nothing is
    /// `Err(Rejected { rc: -6 })` (see [`IpcError::is_not_found`]).
    pub fn query_with(
        &mut self,
        scope: Scope<'_>,
        options: QueryOptions,
    ) -> Result<CibQueryResult, IpcError> {
        let before = match scope {
            Scope::Whole => None,
            _ => Some(self.version()?),
        };
        let (section, mut bits) = scope.section_and_opts();
        bits |= callopt::SCOPE_LOCAL;
        if options.no_children {
            bits |= callopt::NO_CHILDREN;
        }
        let reply = self.checked("cib_query", section, bits, None)?;
        let data = reply.data.ok_or_else(|| {
            IpcError::protocol(self.conn.service(), "query reply without cib_calldata")
        })?;
        let version = match before {
            Some(v) => v,
            None => CibVersion::from_cib_xml(&data)
                .map_err(|e| IpcError::protocol(self.conn.service(), e))?,
        };
        Ok(CibQueryResult { xml: data, version })
    }

    fn write(
        &mut self,
        op: &str,
        scope: Scope<'_>,
        options: WriteOptions,
        data: Option<&str>,
    ) -> Result<CibVersion, IpcError> {
        if self.channel == CibChannel::ReadOnly {
            return Err(IpcError::InvalidRequest {
                detail: format!("{op} on a read-only CIB connection (use CibChannel::ReadWrite)"),
            });
        }
        let (section, bits) = scope.section_and_opts();
        self.checked(op, section, bits | options.bits(), data)?;
        self.version()
    }

    /// `cib_modify`: merges `xml` into the element of the same tag and id under `scope`.
    /// Returns the CIB version observed right after the change was applied.
    pub fn modify(
        &mut self,
        scope: Scope<'_>,
        xml: &str,
        options: WriteOptions,
    ) -> Result<CibVersion, IpcError> {
        self.write("cib_modify", scope, options, Some(xml))
    }

    /// `cib_create`: adds `xml` as a new child of `section` (or of the root's matching
    /// section when `None`).
    pub fn create(&mut self, section: Option<&str>, xml: &str) -> Result<CibVersion, IpcError> {
        let scope = section.map_or(Scope::Whole, Scope::Section);
        self.write("cib_create", scope, WriteOptions::default(), Some(xml))
    }

    /// `cib_delete`: with `xml`, removes the element of that tag and id (whose given
    /// attributes match) under `scope`; with [`Scope::XPath`] and no `xml`, removes the
    /// match(es). Deleting something absent is not an error for the CIB manager.
    pub fn delete(
        &mut self,
        scope: Scope<'_>,
        xml: Option<&str>,
        options: WriteOptions,
    ) -> Result<CibVersion, IpcError> {
        self.write("cib_delete", scope, options, xml)
    }

    /// `cib_replace`: replaces the addressed element (or the whole CIB) by `xml`. A whole-CIB
    /// replacement older than the live CIB is refused by the daemon (`rc -205`, exit 103).
    pub fn replace(&mut self, scope: Scope<'_>, xml: &str) -> Result<CibVersion, IpcError> {
        self.write("cib_replace", scope, WriteOptions::default(), Some(xml))
    }

    /// `cib_apply_diff`: applies a v2 patchset whose source version must equal the live CIB's
    /// exactly (including `num_updates`), else `rc -205`/`-207`.
    pub fn apply_diff(&mut self, diff: &str) -> Result<CibVersion, IpcError> {
        self.write(
            "cib_apply_diff",
            Scope::Whole,
            WriteOptions::default(),
            Some(diff),
        )
    }

    /// Subscribes to (or with `active == false` unsubscribes from) change notifications.
    /// A subscriber must keep calling [`CibClient::next_notification`]: the daemon evicts
    /// clients with more than 500 undelivered events.
    pub fn subscribe(&mut self, kind: NotifyKind, active: bool) -> Result<(), IpcError> {
        let req = Element::new("cib-callback")
            .attr("cib_op", "cib_notify")
            .attr("cib_notify_type", kind.name())
            .attr("cib_notify_activate", if active { "1" } else { "0" })
            .build();
        let reply = self.conn.request(&req, self.timeout)?;
        super::check_ack(self.conn.service(), "cib_notify", &reply)
    }

    /// The next change notification, or `None` after `timeout`.
    pub fn next_notification(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<CibNotification>, IpcError> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let Some(msg) = self.conn.next_event(left)? else {
                return Ok(None);
            };
            let root =
                xml::root(&msg.xml).map_err(|e| IpcError::protocol(self.conn.service(), e))?;
            if root.name != "notify" {
                continue; // not a notification (nothing else is expected on this channel)
            }
            return Ok(Some(CibNotification {
                kind: root.get("subt").unwrap_or_default().to_owned(),
                op: root.get("cib_op").unwrap_or_default().to_owned(),
                rc: root.get("cib_rc").and_then(|v| v.parse().ok()).unwrap_or(0),
                xml: msg.xml,
            }));
        }
    }
}

impl IpcError {
    /// True for a CIB "no such object" refusal (an XPath or section that matched nothing).
    pub fn is_not_found(&self) -> bool {
        matches!(self, IpcError::Rejected { rc: -6, .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_parsing() {
        let r = parse_reply(r#"<cib-reply t="cib" cib_op="cib_query" cib_callid="1" cib_clientid="T" cib_callopt="4096" cib_rc="0"><cib_calldata><nodes><node id="1" uname="node1"/></nodes></cib_calldata></cib-reply>"#).unwrap();
        assert_eq!(r.rc, 0);
        assert_eq!(
            r.data.as_deref(),
            Some(r#"<nodes><node id="1" uname="node1"/></nodes>"#)
        );
        let r = parse_reply(r#"<cib-reply cib_op="cib_query" cib_rc="-6"/>"#).unwrap();
        assert_eq!(r.rc, -6);
        assert_eq!(r.data, None);
        assert!(parse_reply(r#"<cib-reply cib_op="x"/>"#).is_err());
        assert!(parse_reply(r#"<cib-reply cib_rc="zero"/>"#).is_err());
        assert!(parse_reply("garbage").is_err());
    }

    #[test]
    fn version_parsing_and_order() {
        let v = CibVersion::from_cib_xml(
            r#"<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="7" num_updates="12" admin_epoch="1"><configuration/></cib>"#,
        )
        .unwrap();
        assert_eq!(
            v,
            CibVersion {
                admin_epoch: 1,
                epoch: 7,
                num_updates: 12
            }
        );
        assert_eq!(v.to_string(), "1.7.12");
        let older = CibVersion {
            admin_epoch: 0,
            epoch: 99,
            num_updates: 99,
        };
        assert!(older < v);
        assert!(CibVersion::from_cib_xml("<nodes/>").is_err());
        assert!(CibVersion::from_cib_xml(r#"<cib epoch="x"/>"#).is_err());
        assert_eq!(
            CibVersion::from_cib_xml("<cib/>").unwrap(),
            CibVersion::default()
        );
    }

    #[test]
    fn rc_reasons() {
        assert_eq!(cib_rc_reason(-205).1, 103);
        assert_eq!(cib_rc_reason(-6).1, 105);
        assert_eq!(cib_rc_reason(-203).1, 78);
        assert_eq!(cib_rc_reason(-13).1, 4);
        assert_eq!(cib_rc_reason(-9999).1, 1);
    }
}
