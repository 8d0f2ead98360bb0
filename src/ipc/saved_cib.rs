//! What this node's saved CIB tells the IPC client before its first request: which Pacemaker
//! runs the daemons (the message layout to speak) and how big the configuration is (the ring
//! buffer size to ask for).
//!
//! Pacemaker 3.0.1 changed the IPC message header without changing its version byte: a
//! request in 2.1's layout is misread by a 3.0.1+ daemon (its flags land in the old
//! `size_compressed` field, so no reply is ever sent) and the client would only see a timeout.
//! Received messages can be told apart ([`super::header::decode`]), sent ones cannot, so the
//! version is read first from the one local source that names it: the `dc-version` cluster
//! property Pacemaker keeps in the CIB it saves on every node (`/var/lib/pacemaker/cib/cib.xml`,
//! mode 0600 hacluster: root and hacluster read it, haclient members do not).
//!
//! When that file cannot be read or names no version (a cluster that never elected a DC), the
//! 2.1 layout is used and the receive-side check still reports a newer daemon. In a rolling
//! upgrade the DC may run another release than this node; the message names where the version
//! was read so the operator can judge.
//!
//! The size matters because the CIB manager creates three shared-memory rings of the size a
//! client asks for on every connection, and a one-shot command pays for them: see
//! [`SavedCib::small_configuration`].
//!
//! Pure parsing plus one bounded file read; no I/O on sockets, never prints.

use std::io::Read;
use std::sync::OnceLock;

/// Where Pacemaker saves the CIB on each node (`CRM_CONFIG_DIR` of Debian's and upstream's builds).
pub const SAVED_CIB: &str = "/var/lib/pacemaker/cib/cib.xml";

/// Bytes of the saved CIB read to find `dc-version`: `crm_config` comes first in the file.
const HEAD_LEN: u64 = 256 * 1024;

/// A Pacemaker release number (`dc-version` is `2.1.5-a3f44794f94`: release, then build id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PacemakerVersion {
    /// x of x.y.z.
    pub major: u32,
    /// y of x.y.z.
    pub minor: u32,
    /// z of x.y.z.
    pub patch: u32,
}

impl std::fmt::Display for PacemakerVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The first release whose IPC header this client does not speak.
pub const FIRST_NEW_LAYOUT: PacemakerVersion = PacemakerVersion {
    major: 3,
    minor: 0,
    patch: 1,
};

impl PacemakerVersion {
    /// Parses the release part of a `dc-version` value (`2.1.5-a3f44794f94`, `3.0.1`).
    pub fn parse(text: &str) -> Option<PacemakerVersion> {
        let release = text.trim().split(['-', '+', ' ']).next()?;
        let mut parts = release.split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = parts.next().unwrap_or(Some(0))?;
        Some(PacemakerVersion {
            major,
            minor,
            patch,
        })
    }

    /// True when the daemons of this release speak the 2.1 IPC header (2.x and 3.0.0).
    pub fn speaks_21_layout(self) -> bool {
        self < FIRST_NEW_LAYOUT
    }
}

/// The version found on this node, and where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalVersion {
    /// The release.
    pub version: PacemakerVersion,
    /// Where it was read, for messages (`dc-version in /var/lib/pacemaker/cib/cib.xml`).
    pub source: String,
}

/// Finds the `dc-version` nvpair in the text of a CIB, or in its beginning (a truncated
/// document is read up to where it stops).
///
/// Only the tags that mention `dc-version` are read as XML: tokenising the whole saved
/// configuration cost a live `pgcrm status` about 0.1 ms, a twentieth of its CPU.
pub fn dc_version_in(cib_text: &str) -> Option<PacemakerVersion> {
    cib_text.match_indices("dc-version").find_map(|(at, _)| {
        // the tag around this mention: from the '<' before it to the '>' after it
        let start = cib_text[..at].rfind('<')?;
        let end = at + cib_text[at..].find('>')?;
        dc_version_of_tag(&cib_text[start..=end])
    })
}

/// The version in one tag, when it is `<nvpair name="dc-version" value="...">`.
fn dc_version_of_tag(tag: &str) -> Option<PacemakerVersion> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(tag);
    let (Ok(Event::Start(e)) | Ok(Event::Empty(e))) = reader.read_event() else {
        return None;
    };
    if e.name().as_ref() != b"nvpair" {
        return None;
    }
    let value_of = |key: &[u8]| {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == key)
            .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
    };
    if value_of(b"name").as_deref() != Some("dc-version") {
        return None;
    }
    value_of(b"value")
        .as_deref()
        .and_then(PacemakerVersion::parse)
}

/// Saved configurations up to this size belong to clusters whose whole live CIB (status
/// included: about twice the configuration for the runbook's cluster) fits the daemons'
/// default 128 KiB buffer.
pub const SMALL_CONFIGURATION: u64 = 24 * 1024;

/// What the saved CIB of this node says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedCib {
    /// The Pacemaker release of the DC that wrote it, when it names one.
    pub version: Option<LocalVersion>,
    /// Its size in bytes (configuration only: Pacemaker does not save the status section).
    pub bytes: u64,
}

impl SavedCib {
    /// True when the live CIB surely fits the daemons' default buffer, so a client can ask
    /// for 128 KiB rings instead of the 512 KiB Pacemaker's CIB clients ask for (measured in
    /// the lab: 0.6 ms less per connection, a sixth of a live `pgcrm status`). A reply that
    /// outgrew the guess is still delivered: the CIB manager compresses it.
    pub fn small_configuration(&self) -> bool {
        self.bytes <= SMALL_CONFIGURATION
    }
}

/// Reads the saved CIB at `path`: its size, and the version in its first [`HEAD_LEN`] bytes.
pub fn read_saved_cib(path: &str) -> Option<SavedCib> {
    let file = std::fs::File::open(path).ok()?;
    let bytes = file.metadata().ok()?.len();
    // sized from the start: one read instead of a dozen growing ones
    let mut head = Vec::with_capacity(bytes.min(HEAD_LEN) as usize + 1);
    file.take(HEAD_LEN).read_to_end(&mut head).ok()?;
    let text = String::from_utf8_lossy(&head);
    let version = dc_version_in(&text).map(|version| LocalVersion {
        version,
        source: format!("dc-version in {path}"),
    });
    Some(SavedCib { version, bytes })
}

/// This node's saved CIB, read once per process from [`SAVED_CIB`] (`None` when unreadable).
pub fn local() -> Option<&'static SavedCib> {
    static LOCAL: OnceLock<Option<SavedCib>> = OnceLock::new();
    LOCAL.get_or_init(|| read_saved_cib(SAVED_CIB)).as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u32, minor: u32, patch: u32) -> PacemakerVersion {
        PacemakerVersion {
            major,
            minor,
            patch,
        }
    }

    #[test]
    fn parses_dc_version_values() {
        assert_eq!(
            PacemakerVersion::parse("2.1.5-a3f44794f94"),
            Some(v(2, 1, 5))
        );
        assert_eq!(PacemakerVersion::parse("3.0.1"), Some(v(3, 0, 1)));
        assert_eq!(PacemakerVersion::parse("2.1"), Some(v(2, 1, 0)));
        assert_eq!(PacemakerVersion::parse("1.1.24-rc1"), Some(v(1, 1, 24)));
        assert_eq!(PacemakerVersion::parse("unknown"), None);
        assert_eq!(PacemakerVersion::parse(""), None);
    }

    #[test]
    fn layout_boundary_is_3_0_1() {
        assert!(v(2, 1, 10).speaks_21_layout());
        assert!(v(3, 0, 0).speaks_21_layout());
        assert!(!v(3, 0, 1).speaks_21_layout());
        assert!(!v(3, 1, 0).speaks_21_layout());
    }

    #[test]
    fn finds_dc_version_whatever_the_attribute_order() {
        let cib = r#"<cib crm_feature_set="3.16.1" epoch="5"><configuration><crm_config>
            <cluster_property_set id="cib-bootstrap-options">
              <nvpair id="cib-bootstrap-options-have-watchdog" name="have-watchdog" value="false"/>
              <nvpair value="2.1.5-a3f44794f94" name="dc-version" id="cib-bootstrap-options-dc-version"/>
            </cluster_property_set></crm_config></configuration></cib>"#;
        assert_eq!(dc_version_in(cib), Some(v(2, 1, 5)));
        let newer = r#"<nvpair id='x-dc-version' name='dc-version' value='3.0.2-6b0e5a4'/>"#;
        assert_eq!(dc_version_in(newer), Some(v(3, 0, 2)));
        // an attribute whose name merely ends in "name" is not the name
        let decoy = r#"<nvpair id="a" rename="dc-version" name="other" value="9.9.9"/>"#;
        assert_eq!(dc_version_in(decoy), None);
        // the saved CIB is read up to a bound: a cut-off document still gives what precedes
        assert_eq!(
            dc_version_in(r#"<cib><nvpair name="dc-version" value="2.1.7"/><status><node_st"#),
            Some(v(2, 1, 7))
        );
        assert_eq!(dc_version_in("<cib/>"), None);
        assert_eq!(dc_version_in("<nvpair name=\"dc-version\""), None);
    }

    #[test]
    fn reads_a_saved_cib_file() {
        let dir = std::env::temp_dir().join(format!("pgcrm-version-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cib.xml");
        std::fs::write(
            &path,
            r#"<cib><configuration><crm_config><cluster_property_set id="o"><nvpair id="o-dc" name="dc-version" value="3.0.1-abc"/></cluster_property_set></crm_config></configuration></cib>"#,
        )
        .unwrap();
        let saved = read_saved_cib(path.to_str().unwrap()).unwrap();
        let found = saved.version.clone().unwrap();
        assert_eq!(found.version, v(3, 0, 1));
        assert!(found.source.ends_with("cib.xml"), "{}", found.source);
        assert!(saved.small_configuration(), "{} bytes", saved.bytes);
        std::fs::write(&path, " ".repeat(SMALL_CONFIGURATION as usize + 1)).unwrap();
        let saved = read_saved_cib(path.to_str().unwrap()).unwrap();
        assert_eq!(saved.version, None);
        assert!(!saved.small_configuration());
        assert_eq!(
            read_saved_cib(dir.join("missing.xml").to_str().unwrap()),
            None
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
