//! The server settings `verify --live` reviews, read from `pg_settings` with where each value
//! comes from (`source`, `sourcefile`, `sourceline`), through the same connections as status'
//! probes (`probe::run_all`).
//!
//! One read-only statement per server; nothing here changes a setting or prints.

use super::probe;
use super::target::Target;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_postgres::SimpleQueryMessage;

/// The settings read. Names that a server version lacks (`wal_keep_segments` after 12,
/// `archive_library` before 15) are simply absent from the answer.
pub const NAMES: &[&str] = &[
    "wal_level",
    "hot_standby",
    "max_wal_senders",
    "max_replication_slots",
    "wal_keep_size",
    "wal_keep_segments",
    "wal_segment_size",
    "archive_mode",
    "archive_command",
    "archive_library",
    "synchronous_standby_names",
];

/// One row of `pg_settings`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Setting {
    /// `setting`: the value in the server's base unit (`unit`).
    pub value: String,
    pub unit: Option<String>,
    /// `default`, `configuration file`, `override`...
    pub source: String,
    /// The file that set the value; None when the source is not a file, or the role may
    /// not see it (only superusers and `pg_read_all_settings` members can).
    pub sourcefile: Option<String>,
    pub sourceline: Option<u32>,
}

/// What one server runs with.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PgSettings {
    pub server_version: String,
    pub in_recovery: bool,
    pub settings: BTreeMap<String, Setting>,
}

impl PgSettings {
    pub fn get(&self, name: &str) -> Option<&Setting> {
        self.settings.get(name)
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(|s| s.value.as_str())
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.value(name)?.parse().ok()
    }

    /// A boolean setting as PostgreSQL prints it (`on`/`off`).
    pub fn on(&self, name: &str) -> Option<bool> {
        self.value(name).map(|v| v == "on")
    }

    /// The WAL kept for standbys without a slot, in bytes: `wal_keep_size` (PostgreSQL 13+,
    /// in MB) or `wal_keep_segments` × `wal_segment_size` (before 13).
    pub fn wal_keep_bytes(&self) -> Option<u64> {
        if let Some(mb) = self.int("wal_keep_size") {
            return Some(mb.max(0) as u64 * unit_bytes(self.get("wal_keep_size")));
        }
        let segments = self.int("wal_keep_segments")?.max(0) as u64;
        let seg = self.int("wal_segment_size").unwrap_or(16 << 20).max(0) as u64;
        Some(segments * seg * unit_bytes(self.get("wal_segment_size")))
    }
}

/// Bytes per unit of a size setting (`MB`, `8kB`, `B`); 1 when unknown.
fn unit_bytes(s: Option<&Setting>) -> u64 {
    let Some(unit) = s.and_then(|s| s.unit.as_deref()) else {
        return 1;
    };
    let digits: String = unit.chars().take_while(|c| c.is_ascii_digit()).collect();
    let n: u64 = digits.parse().unwrap_or(1);
    let mult = match &unit[digits.len()..] {
        "kB" => 1 << 10,
        "MB" => 1 << 20,
        "GB" => 1 << 30,
        _ => 1,
    };
    n * mult
}

/// One server's answer, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingsProbe {
    pub node: String,
    /// Where pgcrm connected, without credentials.
    pub target: String,
    pub settings: Option<PgSettings>,
    pub error: Option<String>,
}

fn sql() -> String {
    let names: Vec<String> = NAMES.iter().map(|n| format!("'{n}'")).collect();
    format!(
        "SELECT current_setting('server_version'), pg_is_in_recovery(); \
         SELECT name, setting, unit, source, sourcefile, sourceline FROM pg_settings \
         WHERE name IN ({}) ORDER BY name",
        names.join(", ")
    )
}

/// Reads every target's settings at once, each bounded by `timeout`.
pub fn read_all(targets: Vec<Target>, timeout: Duration) -> Vec<SettingsProbe> {
    probe::run_all(targets, timeout, &sql(), parse)
        .into_iter()
        .map(|(t, _, r)| {
            let (settings, error) = match r {
                Ok(s) => (Some(s), None),
                Err(e) => (None, Some(e)),
            };
            SettingsProbe {
                node: t.node,
                target: t.description,
                settings,
                error,
            }
        })
        .collect()
}

fn parse(msgs: &[SimpleQueryMessage]) -> Result<PgSettings, String> {
    let mut statement = 0;
    let mut out = PgSettings::default();
    let mut seen_self = false;
    for m in msgs {
        match m {
            SimpleQueryMessage::CommandComplete(_) => statement += 1,
            SimpleQueryMessage::Row(r) if statement == 0 => {
                out.server_version = r.get(0).unwrap_or_default().to_string();
                out.in_recovery = r.get(1) == Some("t");
                seen_self = true;
            }
            SimpleQueryMessage::Row(r) => {
                let Some(name) = r.get(0) else { continue };
                out.settings.insert(
                    name.to_string(),
                    Setting {
                        value: r.get(1).unwrap_or_default().to_string(),
                        unit: r.get(2).map(str::to_string),
                        source: r.get(3).unwrap_or_default().to_string(),
                        sourcefile: r.get(4).map(str::to_string),
                        sourceline: r.get(5).and_then(|l| l.parse().ok()),
                    },
                );
            }
            _ => {}
        }
    }
    if !seen_self {
        return Err("the server returned no row for its own facts".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(value: &str, unit: Option<&str>) -> Setting {
        Setting {
            value: value.into(),
            unit: unit.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn wal_keep_in_bytes_across_versions() {
        let mut s = PgSettings::default();
        assert_eq!(s.wal_keep_bytes(), None);
        s.settings
            .insert("wal_keep_size".into(), setting("256", Some("MB")));
        assert_eq!(s.wal_keep_bytes(), Some(256 << 20));
        let mut old = PgSettings::default();
        old.settings
            .insert("wal_keep_segments".into(), setting("32", None));
        old.settings
            .insert("wal_segment_size".into(), setting("2048", Some("8kB")));
        assert_eq!(old.wal_keep_bytes(), Some(32 * 2048 * 8192));
    }

    #[test]
    fn the_statement_names_every_setting() {
        let q = sql();
        for n in NAMES {
            assert!(q.contains(&format!("'{n}'")), "{n}");
        }
    }
}
