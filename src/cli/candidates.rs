//! Dynamic shell completion: the cluster's resource and node names as candidates for the
//! arguments that take them (`pgcrm resource move <TAB>`, `--to <TAB>`), read from the same
//! CIB the command would read (--cib-file on the line being completed, CIB_file, the live
//! cluster).
//!
//! The shell calls `COMPLETE=<shell> pgcrm -- <words>` on every TAB (clap_complete's
//! `CompleteEnv`; the scripts under completions/ are that registration). So this must be
//! fast and must never print: any failure (no cluster, unreadable file, a daemon that does not
//! answer within a fraction of a second) means no candidates, not an error.

use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use pgcrm::cib::{Cib, Resource};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

/// How long a completion may wait for the live CIB. A TAB that hangs is worse than one that
/// offers nothing; a healthy cib daemon answers in a few milliseconds.
const LIVE_TIMEOUT: Duration = Duration::from_millis(500);

/// Resources at any depth (group members and clone children too): locate, start, stop,
/// cleanup, failcount...
pub fn resources() -> ArgValueCandidates {
    ArgValueCandidates::new(|| resource_candidates(false))
}

/// Top-level resources only (what constraints apply to): move, ban, clear, delete.
pub fn top_level_resources() -> ArgValueCandidates {
    ArgValueCandidates::new(|| resource_candidates(true))
}

/// The configured nodes (cluster members, remote and ping nodes).
pub fn nodes() -> ArgValueCandidates {
    ArgValueCandidates::new(node_candidates)
}

fn resource_candidates(top_level: bool) -> Vec<CompletionCandidate> {
    let Some(cib) = cib() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for r in &cib.resources {
        push_resource(r, top_level, &mut out);
    }
    out
}

fn push_resource(r: &Resource, top_level: bool, out: &mut Vec<CompletionCandidate>) {
    let help = match r {
        Resource::Primitive(p) => p.agent(),
        Resource::Group(g) => format!("group of {}", g.members.len()),
        Resource::Clone(c) if c.promotable => format!("promotable clone of {}", c.child.id()),
        Resource::Clone(c) => format!("clone of {}", c.child.id()),
        Resource::Bundle(b) => format!("{} bundle", b.container_kind),
    };
    out.push(CompletionCandidate::new(r.id()).help(Some(help.into())));
    if top_level {
        return;
    }
    match r {
        Resource::Group(g) => {
            for m in &g.members {
                push_resource(&Resource::Primitive(m.clone()), false, out);
            }
        }
        Resource::Clone(c) => push_resource(&c.child, false, out),
        Resource::Bundle(b) => {
            if let Some(p) = &b.primitive {
                push_resource(&Resource::Primitive(p.clone()), false, out);
            }
        }
        Resource::Primitive(_) => {}
    }
}

fn node_candidates() -> Vec<CompletionCandidate> {
    let Some(cib) = cib() else {
        return Vec::new();
    };
    cib.nodes
        .iter()
        .map(|n| {
            let help = (n.node_type != "member").then(|| format!("{} node", n.node_type).into());
            CompletionCandidate::new(&n.uname).help(help)
        })
        .collect()
}

/// The CIB, read once per completion (several candidate lists may need it).
fn cib() -> Option<&'static Cib> {
    static CIB: OnceLock<Option<Cib>> = OnceLock::new();
    CIB.get_or_init(|| {
        let file = cib_file_on_line(std::env::args_os());
        let env = std::env::var("CIB_file").ok();
        pgcrm::cluster::open(file.as_deref(), env.as_deref(), LIVE_TIMEOUT)
            .query_cib()
            .ok()
    })
    .as_ref()
}

/// The `--cib-file` given on the command line being completed: the words after `--` in
/// `pgcrm -- pgcrm resource move --cib-file X ''`. clap has not parsed them (completion runs
/// before parsing), so this looks for the option itself; the shell has not expanded `~`.
pub fn cib_file_on_line(args: impl IntoIterator<Item = OsString>) -> Option<PathBuf> {
    let words: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .skip_while(|a| a != "--")
        .collect();
    let mut found = None;
    let mut it = words.iter();
    while let Some(w) = it.next() {
        if w == "--cib-file" {
            found = it.next().cloned();
        } else if let Some(v) = w.strip_prefix("--cib-file=") {
            found = Some(v.to_string());
        }
    }
    let path = found.filter(|p| !p.is_empty())?;
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Some(PathBuf::from(home).join(rest)),
        _ => Some(PathBuf::from(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn cib_file_is_read_from_the_completed_line() {
        let line = os(&[
            "pgcrm",
            "--",
            "pgcrm",
            "--cib-file",
            "/x.xml",
            "resource",
            "",
        ]);
        assert_eq!(cib_file_on_line(line), Some(PathBuf::from("/x.xml")));
        let line = os(&["pgcrm", "--", "pgcrm", "resource", "--cib-file=/y.xml", ""]);
        assert_eq!(cib_file_on_line(line), Some(PathBuf::from("/y.xml")));
        // the path itself being completed: no file yet
        let line = os(&["pgcrm", "--", "pgcrm", "--cib-file", ""]);
        assert_eq!(cib_file_on_line(line), None);
        let line = os(&["pgcrm", "--", "pgcrm", "resource", "move", ""]);
        assert_eq!(cib_file_on_line(line), None);
    }
}
