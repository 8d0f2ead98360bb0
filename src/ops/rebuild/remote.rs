//! Where the data steps run: [`Host::Here`] when pgcrm runs on NODE, else through a remote
//! shell (`--ssh`, [`Remote`]) as a hidden `pgcrm rebuild-standby NODE --local-step` on NODE,
//! which reads a [`LocalCall`] as JSON on stdin and prints [`LocalLine`]s ([`local_call`] is
//! that side). The protocol is what an older or newer pgcrm on NODE reads too: change it
//! only compatibly. Nothing here decides what a step does (see `data_steps`).

use super::data_steps::{data_step, node_facts, Data, DataJob, NodeFacts, StepOut};
use super::{failed, wait, Observer, Request, Step, StepKind};
use crate::{Error, Result};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

/// How the data steps reach NODE from another node: like rsync's `-e`, a remote shell
/// program (`ssh -o BatchMode=yes` by default; the lab's `pgcrm-lab exec` in the drills)
/// called as `SHELL... NODE PGCRM rebuild-standby NODE --local-step`. Every word after the
/// shell is a plain word (checked), so that a shell on the far side splits them back the
/// same way.
#[derive(Debug, Clone)]
pub struct Remote {
    pub shell: Vec<String>,
    /// The pgcrm binary on NODE (this binary's own path: installed alike on every node).
    pub pgcrm: String,
    /// The options that asked for this (` --ssh`, with `--rsh` when not the default), for
    /// the command to continue after a failure.
    pub resume: String,
}

impl Remote {
    /// `--ssh` to `node` through the remote shell `rsh` (words, quoted as in a shell;
    /// `default`: the default one, left out of the command to continue), with the pgcrm
    /// binary at `pgcrm`. Refuses words a remote shell would split or expand.
    pub fn new(rsh: &str, default: bool, pgcrm: String, node: &str) -> Result<Remote> {
        let shell = shell_words::split(rsh)
            .ok()
            .filter(|w| !w.is_empty())
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--rsh '{rsh}' is not a command (words, quoted as in a shell)"
                ))
            })?;
        for (what, w) in [
            ("this pgcrm's path", pgcrm.as_str()),
            ("the node name", node),
        ] {
            if !plain_word(w) {
                return Err(Error::Usage(format!(
                    "--ssh: {what} '{w}' has characters a remote shell would split or expand; run pgcrm on {node} instead"
                )));
            }
        }
        let resume = if default {
            " --ssh".to_string()
        } else {
            format!(" --ssh --rsh {}", shell_words::quote(rsh))
        };
        Ok(Remote {
            shell,
            pgcrm,
            resume,
        })
    }
}

/// A word that passes through a remote shell unchanged.
fn plain_word(w: &str) -> bool {
    !w.is_empty()
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@".contains(&b))
}

/// A call of the hidden `--local-step`: the plan's facts, or one data step.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct LocalCall {
    pub job: DataJob,
    /// None: [`NodeFacts`].
    pub step: Option<StepKind>,
    /// The old data directory, for the finish step.
    pub old_pgdata: Option<String>,
}

/// A line `--local-step` prints on stdout.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LocalLine {
    Progress { done: u64, total: Option<u64> },
    Facts(NodeFacts),
    Step(StepOut),
}

/// The `--local-step` side: runs the [`LocalCall`] read as JSON (`input`, from stdin) on this
/// node, `node`; progress goes to `progress`, the result is the last line to print.
pub fn local_call(
    input: &str,
    node: &str,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<LocalLine> {
    let call: LocalCall = serde_json::from_str(input).map_err(|e| {
        Error::Usage(format!(
            "--local-step: not a job ({e}); it is only for rebuild-standby --ssh"
        ))
    })?;
    if call.job.node != node {
        return Err(Error::Usage(format!(
            "--local-step: the job is for {}, not {node}",
            call.job.node
        )));
    }
    let d = Data::new(call.job)?;
    match call.step {
        None => Ok(LocalLine::Facts(node_facts(&d))),
        Some(kind) => {
            let mut obs = ProgressOnly(progress);
            data_step(&d, kind, call.old_pgdata, &mut obs).map(LocalLine::Step)
        }
    }
}

/// An [`Observer`] that only passes the copy's progress on.
struct ProgressOnly<'a>(&'a mut dyn FnMut(u64, Option<u64>));

impl Observer for ProgressOnly<'_> {
    fn step_started(&mut self, _: &Step) {}
    fn step_finished(&mut self, _: &Step, _: bool, _: Duration) {}
    fn copy_progress(&mut self, done: u64, total: Option<u64>) {
        (self.0)(done, total)
    }
    fn action(&mut self, _: &wait::Action) {}
}

/// Where the data steps run.
pub(super) enum Host<'a> {
    Here,
    Remote(&'a Remote),
}

impl Host<'_> {
    pub(super) fn of(req: &Request) -> Host<'_> {
        match &req.remote {
            Some(r) if req.local_node.as_deref() != Some(req.node.as_str()) => Host::Remote(r),
            _ => Host::Here,
        }
    }

    pub(super) fn facts(&self, d: &Data) -> Result<NodeFacts> {
        match self {
            Host::Here => Ok(node_facts(d)),
            Host::Remote(r) => {
                let call = LocalCall {
                    job: d.job.clone(),
                    step: None,
                    old_pgdata: None,
                };
                let answer = remote_call(r, &call, &mut |_, _| {}).map_err(|e| match e {
                    Error::Unsafe(m) => Error::StepFailed(format!(
                        "cannot look at {}'s data directory: {m}; nothing was changed",
                        d.node
                    )),
                    e => e,
                })?;
                match answer {
                    LocalLine::Facts(f) => Ok(f),
                    other => Err(Error::Usage(format!(
                        "{}'s pgcrm answered {other:?} instead of its facts",
                        d.node
                    ))),
                }
            }
        }
    }

    pub(super) fn step(
        &self,
        d: &Data,
        kind: StepKind,
        old: Option<String>,
        obs: &mut dyn Observer,
    ) -> Result<StepOut> {
        match self {
            Host::Here => data_step(d, kind, old, obs),
            Host::Remote(r) => {
                let call = LocalCall {
                    job: d.job.clone(),
                    step: Some(kind),
                    old_pgdata: old,
                };
                match remote_call(r, &call, &mut |done, total| obs.copy_progress(done, total))
                    .map_err(|e| match e {
                        Error::StepFailed(m) => Error::StepFailed(m),
                        e => failed(
                            d,
                            kind,
                            e,
                            "unknown (the step may have run): see pgcrm status",
                        ),
                    })? {
                    LocalLine::Step(o) => Ok(o),
                    other => Err(Error::Usage(format!(
                        "{}'s pgcrm answered {other:?} instead of a step's result",
                        d.node
                    ))),
                }
            }
        }
    }
}

/// Runs `call` on NODE through the remote shell; NODE's failure (one line, `pgcrm: ...`) is
/// passed on as it is, a failure of the shell itself names the shell.
fn remote_call(
    r: &Remote,
    call: &LocalCall,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<LocalLine> {
    use std::io::{BufRead, Write};
    let node = &call.job.node;
    let mut words = r.shell.clone();
    words.extend(
        [node, &r.pgcrm, "rebuild-standby", node, "--local-step"]
            .iter()
            .map(|w| w.to_string()),
    );
    let how = words.join(" ");
    let mut child = Command::new(&words[0])
        .args(&words[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Error::Usage(format!(
                "cannot run the remote shell `{how}`: {e} (see --rsh)"
            ))
        })?;
    let json = serde_json::to_string(call).map_err(|e| Error::Usage(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        // a shell that failed at once closed its stdin: its exit tells why
        let _ = stdin.write_all(json.as_bytes());
    }
    let stderr = child.stderr.take().expect("piped");
    let errs = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::BufReader::new(stderr).read_to_string(&mut text);
        text
    });
    let mut last = None;
    for line in std::io::BufReader::new(child.stdout.take().expect("piped")).lines() {
        let Ok(line) = line else { break };
        match serde_json::from_str::<LocalLine>(&line) {
            Ok(LocalLine::Progress { done, total }) => progress(done, total),
            Ok(l) => last = Some(l),
            Err(_) => {}
        }
    }
    let status = child.wait().map_err(|e| Error::Usage(e.to_string()))?;
    let err_text = errs.join().unwrap_or_default();
    match (status.success(), last) {
        (true, Some(l)) => Ok(l),
        _ => {
            let msg = err_text
                .lines()
                .rev()
                .find_map(|l| l.strip_prefix("pgcrm: "))
                .map(str::to_string);
            Err(match msg {
                // pgcrm ran on NODE and said why
                Some(m) => Error::StepFailed(m),
                None => Error::Unsafe(format!(
                    "`{how}` failed ({status}): {}",
                    err_text.trim().lines().last().unwrap_or("no message")
                )),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::rebuild::Method;

    /// What --ssh sends to NODE and reads back survives JSON, and only plain words go
    /// through a remote shell.
    #[test]
    fn remote_protocol() {
        let call = LocalCall {
            job: DataJob {
                node: "node1".into(),
                resource: "pgsql".into(),
                resource_params: vec![("pgdata".into(), "/var/lib/pgsql/data".into())],
                method: Method::Basebackup,
                max_rate: Some("50M".into()),
                discard_old: false,
                source_bytes: Some(1),
                wal_bytes: None,
                resume: " --ssh".into(),
            },
            step: Some(StepKind::StandbyConfig),
            old_pgdata: None,
        };
        let back: LocalCall = serde_json::from_str(&serde_json::to_string(&call).unwrap()).unwrap();
        assert_eq!(back.step, Some(StepKind::StandbyConfig));
        assert_eq!(back.job.method, Method::Basebackup);
        let d = Data::new(back.job).unwrap();
        assert_eq!(d.pgdata, "/var/lib/pgsql/data");
        let e = failed(&d, StepKind::Copy, "x", "banned").to_string();
        assert!(
            e.ends_with("continue with: pgcrm rebuild-standby node1 --yes --ssh"),
            "{e}"
        );
        let line = serde_json::to_string(&LocalLine::Progress {
            done: 5,
            total: Some(9),
        })
        .unwrap();
        assert!(matches!(
            serde_json::from_str(&line).unwrap(),
            LocalLine::Progress {
                done: 5,
                total: Some(9)
            }
        ));
        assert!(plain_word("/usr/bin/pgcrm"));
        assert!(plain_word("node-1.example"));
        for w in ["", "a b", "$(x)", "a;b", "'q'"] {
            assert!(!plain_word(w), "{w:?}");
        }
        // the far side refuses what is not a job, or a job for another node, before acting
        let json = serde_json::to_string(&call).unwrap();
        let mut progress = |_: u64, _: Option<u64>| {};
        let e = local_call("{", "node1", &mut progress)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--local-step: not a job"), "{e}");
        let e = local_call(&json, "node2", &mut progress)
            .unwrap_err()
            .to_string();
        assert!(e.contains("the job is for node1, not node2"), "{e}");
        // --rsh: the default is left out of the command to continue, another one is quoted
        let r = Remote::new(
            "ssh -o BatchMode=yes",
            true,
            "/usr/bin/pgcrm".into(),
            "node1",
        )
        .unwrap();
        assert_eq!(r.shell, ["ssh", "-o", "BatchMode=yes"]);
        assert_eq!(r.resume, " --ssh");
        let r = Remote::new("ssh -p 2222", false, "/usr/bin/pgcrm".into(), "node1").unwrap();
        assert_eq!(r.resume, " --ssh --rsh 'ssh -p 2222'");
        assert!(Remote::new("", false, "/usr/bin/pgcrm".into(), "node1").is_err());
        let e = Remote::new("ssh", true, "/opt/my pgcrm".into(), "node1").unwrap_err();
        assert!(
            e.to_string().contains("this pgcrm's path '/opt/my pgcrm'"),
            "{e}"
        );
    }
}
