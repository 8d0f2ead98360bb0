//! A planned change of the cluster: the CIB it was built on, the change, what it does in
//! words, and why it needs confirmation. One transaction: built, shown (`preview`), confirmed
//! by the caller, applied once (`apply`) with the version it was built on.
//!
//! Also the shared helpers of mutating ops: name lookup with suggestions, lifetimes.

use crate::cib::change::CibChange;
use crate::cib::{Cib, Element};
use crate::cluster::{Applied, Cluster};
use crate::ipc::cib::CibVersion;
use crate::{Error, Result};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Plan {
    pub base: Cib,
    pub change: CibChange,
    /// What the change does, one line each, for people ("Creating cli-prefer-...").
    pub actions: Vec<String>,
    /// Why the change needs a confirmation (moving the primary...), when it does.
    pub risk: Option<String>,
    /// Things the operator should know (risks accepted with --force...).
    pub notes: Vec<String>,
    /// Transient node attributes (lifetime reboot) to set (`Some`) or delete (`None`) after
    /// the change: they live in the status section, which belongs to attrd on a live cluster.
    pub transient: Vec<TransientEdit>,
}

/// A transient node attribute to set or delete (`standby --lifetime reboot`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransientEdit {
    pub node: String,
    pub name: String,
    pub value: Option<String>,
}

impl Plan {
    pub fn new(base: Cib) -> Plan {
        let change = CibChange::new(CibVersion::of(&base));
        Plan {
            base,
            change,
            actions: Vec::new(),
            risk: None,
            notes: Vec::new(),
            transient: Vec::new(),
        }
    }

    /// Nothing to change.
    pub fn is_empty(&self) -> bool {
        self.change.is_empty() && self.transient.is_empty()
    }

    /// The CIB before and after the change, as `cibadmin -Q` would print them.
    pub fn preview(&self) -> Result<(String, String)> {
        let mut after: Element = self.base.tree.clone();
        self.change
            .apply_to(&mut after)
            .map_err(|e| Error::Usage(e.to_string()))?;
        Ok((self.base.tree.to_xml_pretty(), after.to_xml_pretty()))
    }

    /// Applies the change, then the transient attributes (on the CIB as it is after the
    /// change: a file's version moved). Returns the version after the change, or the base
    /// version when the plan only has transient attributes.
    pub fn apply(&self, cluster: &dyn Cluster) -> Result<Applied> {
        let mut applied = Applied {
            version: CibVersion::of(&self.base),
        };
        if !self.change.is_empty() {
            applied = cluster.apply(&self.base, &self.change)?;
        }
        for t in &self.transient {
            let now = if self.change.is_empty() {
                self.base.clone()
            } else {
                cluster.query_cib()?
            };
            cluster.set_transient_attribute(&now, &t.node, &t.name, t.value.as_deref())?;
        }
        Ok(applied)
    }
}

/// "X 'name' not found" with the closest known names (Jaro-Winkler >= 0.8) as a hint.
pub fn no_such<'a>(
    kind: &'static str,
    name: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Error {
    let mut scored: Vec<(f64, &str)> = known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(name, k), k))
        .filter(|(s, _)| *s >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.dedup_by(|a, b| a.1 == b.1);
    let hint = match scored.as_slice() {
        [] => String::new(),
        [(_, one)] => format!(", did you mean '{one}'?"),
        more => format!(
            ", did you mean one of: {}?",
            more.iter()
                .take(3)
                .map(|(_, k)| format!("'{k}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Error::NoSuch {
        kind,
        name: name.to_string(),
        hint,
    }
}

/// A configured cluster node by name (uname), or `NoSuch` with suggestions.
pub fn node<'a>(cib: &'a Cib, name: &str) -> Result<&'a crate::cib::NodeConfig> {
    cib.nodes
        .iter()
        .find(|n| n.uname == name)
        .ok_or_else(|| no_such("node", name, cib.nodes.iter().map(|n| n.uname.as_str())))
}

/// Parses a lifetime: ISO 8601 as Pacemaker takes it (`PT5M`, `P1DT2H`) or a human
/// duration (`5m`, `1h 30m`). Years and months are refused: their length depends on the date.
pub fn parse_lifetime(s: &str) -> Result<Duration> {
    let bad = |why: &str| {
        Error::Usage(format!(
            "lifetime '{s}' {why} (use an ISO 8601 duration such as PT5M or P1DT2H, or 5m, 2h, 1d)"
        ))
    };
    let d = if s.starts_with('P') {
        match iso8601::duration(s).map_err(|_| bad("does not parse"))? {
            iso8601::Duration::YMDHMS { year, month, .. } if year != 0 || month != 0 => {
                return Err(bad("uses years or months"))
            }
            d => Duration::from(d),
        }
    } else {
        humantime::parse_duration(s).map_err(|_| bad("does not parse"))?
    };
    if d.is_zero() {
        return Err(bad("is zero"));
    }
    Ok(d)
}

/// The end of a lifetime as Pacemaker writes it in a `date_expression` (`crm_resource -u`):
/// UTC, `2026-11-24 23:56:01Z`.
pub fn lifetime_end(now: chrono::DateTime<chrono::Utc>, lifetime: Duration) -> String {
    let end = now + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::MAX);
    end.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// Parses a `date_expression` `end` as Pacemaker writes it (`2026-11-24 23:56:01Z`, or with
/// a `T`, or without a zone = UTC); `None` when it is in another form.
pub fn parse_date(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let t = s.trim().trim_end_matches('Z').replace('T', " ");
    if let Ok(d) = chrono::DateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S %z") {
        return Some(d.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|n| n.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes() {
        assert_eq!(parse_lifetime("PT5M").unwrap(), Duration::from_secs(300));
        assert_eq!(
            parse_lifetime("P1DT1H").unwrap(),
            Duration::from_secs(90000)
        );
        assert_eq!(parse_lifetime("5m").unwrap(), Duration::from_secs(300));
        assert!(parse_lifetime("P1M").is_err());
        assert!(parse_lifetime("soon").is_err());
        assert!(parse_lifetime("PT0S").is_err());
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-24T23:51:01Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let end = lifetime_end(now, Duration::from_secs(300));
        assert_eq!(end, "2026-11-24 23:56:01Z");
        assert_eq!(
            parse_date(&end).unwrap() - now,
            chrono::Duration::seconds(300)
        );
    }

    #[test]
    fn suggestions() {
        let e = no_such("resource", "msPostgresq", ["msPostgresql", "vip-master"]);
        assert_eq!(
            e.to_string(),
            "resource 'msPostgresq' not found, did you mean 'msPostgresql'?"
        );
        let e = no_such("resource", "zzz", ["msPostgresql"]);
        assert_eq!(e.to_string(), "resource 'zzz' not found");
    }
}
