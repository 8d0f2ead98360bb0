//! `validate-all`, run before every action as the shell agent does: the same checks with the
//! same OCF codes, each failure one sentence naming the parameter and the fix. Checks only
//! read the system, except creating `tmpdir` (mode 700, owned by pgdba) as the shell agent
//! does; the `include` lines it used to append to postgresql.conf on every call are written
//! by `start` instead.

use super::actions::Agent;
use super::params::RepMode;
use super::pg;
use super::{AResult, Fail, OcfRc};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

fn executable(path: &str) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

pub(super) fn validate(a: &mut Agent<'_>) -> AResult<()> {
    let probe = a.is_probe();
    let mode =
        a.p.rep_mode()
            .map_err(|e| Fail::new(OcfRc::ErrConfigured, e.0))?;
    for (name, path) in [("pgctl", a.p.pgctl.clone()), ("psql", a.p.psql.clone())] {
        if !executable(&path) {
            return Err(Fail::new(
                OcfRc::ErrInstalled,
                format!("{name}={path} is not an executable file: install PostgreSQL or set {name} to its path"),
            ));
        }
    }
    let Some(owner) = pg::lookup_user(&a.p.pgdba) else {
        return Err(Fail::new(
            OcfRc::ErrInstalled,
            format!("user {} (pgdba) does not exist", a.p.pgdba),
        ));
    };
    if !probe {
        match std::fs::metadata(&a.p.pgdata) {
            Ok(m) if m.is_dir() => {
                if m.uid() != owner.uid {
                    return Err(Fail::new(
                        OcfRc::ErrPerm,
                        format!(
                            "data directory {} is not owned by {} (pgdba)",
                            a.p.pgdata, a.p.pgdba
                        ),
                    ));
                }
            }
            _ => {
                return Err(Fail::new(
                    OcfRc::ErrInstalled,
                    format!(
                        "data directory {} does not exist: create it (initdb or pg_basebackup) or set pgdata",
                        a.p.pgdata
                    ),
                ))
            }
        }
        if pg::pg_version(&a.p.pgdata).is_none() {
            return Err(Fail::new(
                OcfRc::ErrInstalled,
                format!(
                    "{} is not a PostgreSQL data directory (no PG_VERSION): set pgdata",
                    a.p.pgdata
                ),
            ));
        }
    }
    let config_exists = Path::new(&a.p.config).is_file();
    if !config_exists && !probe {
        return Err(Fail::new(
            OcfRc::ErrInstalled,
            format!(
                "configuration file {} does not exist: check pgdata or set config",
                a.p.config
            ),
        ));
    }
    if !a.p.monitor_user.is_empty() && a.p.monitor_password.is_empty() {
        return Err(Fail::new(
            OcfRc::ErrConfigured,
            "monitor_user is set but monitor_password is empty",
        ));
    }
    if a.p.monitor_user.is_empty() && !a.p.monitor_password.is_empty() {
        return Err(Fail::new(
            OcfRc::ErrConfigured,
            "monitor_password is set but monitor_user is empty",
        ));
    }
    if a.p.pgport.parse::<u16>().is_err() {
        return Err(Fail::new(
            OcfRc::ErrConfigured,
            format!("pgport={} is not a port number", a.p.pgport),
        ));
    }
    let replication = matches!(mode, RepMode::Async | RepMode::Sync);
    if replication || mode == RepMode::Slave {
        if let Some(v) = pg::pg_version(&a.p.pgdata) {
            if v < (9, 1) {
                return Err(Fail::new(
                    OcfRc::ErrInstalled,
                    "replication needs PostgreSQL 9.1 or later",
                ));
            }
        }
        if a.p.master_ip.is_empty() {
            return Err(Fail::new(
                OcfRc::ErrConfigured,
                format!(
                    "rep_mode={} needs master_ip (the address standbys replicate from)",
                    a.p.rep_mode_text
                ),
            ));
        }
    }
    if replication {
        if !a.p.ctx.promotable {
            return Err(Fail::new(
                OcfRc::ErrConfigured,
                format!(
                    "rep_mode={} needs a promotable clone (clone meta promotable=true)",
                    a.p.rep_mode_text
                ),
            ));
        }
        if a.p.node_list.is_empty() {
            return Err(Fail::new(
                OcfRc::ErrConfigured,
                "node_list can't be empty with replication: list every node of the clone",
            ));
        }
        if a.p.ctx.resource.is_empty() {
            return Err(Fail::new(
                OcfRc::ErrConfigured,
                "OCF_RESOURCE_INSTANCE is not set: node attributes need the resource name",
            ));
        }
    }
    if mode == RepMode::Slave && a.p.ctx.promotable {
        return Err(Fail::new(
            OcfRc::ErrConfigured,
            "rep_mode=slave is for a plain resource, not a promotable clone",
        ));
    }
    // a standby of rep_mode=slave keeps its recovery settings in tmpdir too (PostgreSQL 12+)
    if replication || mode == RepMode::Slave {
        ensure_tmpdir(&a.p.tmpdir, &owner)?;
    }
    if !a.p.replication_slot_name.is_empty() {
        if pg::pg_version(&a.p.pgdata).is_some_and(|v| v < (9, 4)) {
            return Err(Fail::new(
                OcfRc::ErrConfigured,
                "replication slots need PostgreSQL 9.4 or later",
            ));
        }
        if !a
            .p
            .replication_slot_name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(Fail::new(
                OcfRc::ErrConfigured,
                format!(
                    "replication_slot_name={} may only use a-z, 0-9 and _",
                    a.p.replication_slot_name
                ),
            ));
        }
    }
    a.owner = Some(owner);
    Ok(())
}

fn ensure_tmpdir(dir: &str, owner: &pg::Owner) -> AResult<()> {
    let perm = |e: std::io::Error| {
        Fail::new(
            OcfRc::ErrPerm,
            format!(
                "cannot create {dir} (tmpdir) as a directory of {} with mode 700: {e}",
                owner.name
            ),
        )
    };
    std::fs::create_dir_all(dir).map_err(perm)?;
    std::os::unix::fs::chown(dir, Some(owner.uid), None).map_err(perm)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(perm)?;
    Ok(())
}
