//! Live tests of the native IPC client (`pgcrm::ipc`) against running Pacemaker daemons,
//! compared with the stock tools (`cibadmin`, `attrd_updater`, `crm_failcount`, `crm_mon`)
//! run on the same node at the same time.
//!
//! They run only when `PGCRM_IPC_TARGET` says how to reach the daemons, and are skipped
//! (with a message) otherwise:
//! * `PGCRM_IPC_TARGET=local` — the daemons are reachable from this process; read-only tests.
//! * `PGCRM_IPC_TARGET=lab`   — a throwaway lab with a resource `dummy1` (the project's lab
//!   as the drills set it up, or `shared/research/single-node-lab.sh`): also writes (objects
//!   named `pgcrm-ipc-test-*`, removed again), attribute changes and a resource cleanup.
//! * additionally `PGCRM_IPC_DISRUPT=1` (lab only) — stops and kills pacemaker-attrd to check
//!   the timeout and daemon-died errors (pacemakerd respawns it).
//!
//! The lab drills (`tests/lab_drills.rs`, drill `ipc-client`) run this binary inside node1 of
//! the project's lab with `PGCRM_IPC_TARGET=lab`, after creating `dummy1` (ocf:heartbeat:Dummy,
//! pinned to node1) and removing it afterwards. By hand, in a lab of your own:
//! `tests/lab/pgcrm-lab exec node1 env PGCRM_IPC_TARGET=lab target/debug/deps/ipc_live-* --test-threads=1`

use pgcrm::ipc::{
    AttrdClient, CibChannel, CibClient, CibQueryResult, ControllerClient, FencerClient, IpcError,
    LrmResource, NotifyKind, PacemakerdClient, QueryOptions, Scope, WriteOptions,
};
use quick_xml::events::Event;
use std::process::Command;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(30);

#[derive(PartialEq, PartialOrd)]
enum Target {
    Local,
    Lab,
}

fn target() -> Option<Target> {
    match std::env::var("PGCRM_IPC_TARGET").as_deref() {
        Ok("local") => Some(Target::Local),
        Ok("lab") => Some(Target::Lab),
        Ok(other) => panic!("PGCRM_IPC_TARGET={other}: expected 'local' or 'lab'"),
        Err(_) => {
            println!("skipped: set PGCRM_IPC_TARGET=local|lab to run the live IPC tests");
            None
        }
    }
}

fn lab() -> bool {
    match target() {
        Some(Target::Lab) => true,
        Some(Target::Local) => {
            println!("skipped: needs PGCRM_IPC_TARGET=lab (writes to the cluster)");
            false
        }
        None => false,
    }
}

/// Runs a stock tool; returns (exit code, stdout).
fn tool(cmd: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A whitespace- and attribute-order-insensitive rendering of an XML document.
fn canonical(xml: &str) -> Vec<String> {
    let mut r = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let start = |e: &quick_xml::events::BytesStart<'_>| {
        let mut attrs: Vec<String> = e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                format!(
                    "{}={}",
                    String::from_utf8_lossy(a.key.as_ref()),
                    a.unescape_value().unwrap()
                )
            })
            .collect();
        attrs.sort();
        format!(
            "<{} {}>",
            String::from_utf8_lossy(e.name().as_ref()),
            attrs.join(" ")
        )
    };
    loop {
        match r.read_event().expect("well-formed XML") {
            Event::Start(e) => out.push(start(&e)),
            Event::Empty(e) => {
                out.push(start(&e));
                out.push(format!("</{}>", String::from_utf8_lossy(e.name().as_ref())));
            }
            Event::End(e) => out.push(format!("</{}>", String::from_utf8_lossy(e.name().as_ref()))),
            Event::Text(t) => {
                let s = t.unescape().unwrap();
                if !s.trim().is_empty() {
                    out.push(s.trim().to_owned());
                }
            }
            Event::Eof => return out,
            _ => {}
        }
    }
}

/// Retries `f` a few times: the cluster may change between our read and the tool's.
fn eventually(what: &str, mut f: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match f() {
            Ok(()) => return,
            Err(e) if Instant::now() >= deadline => panic!("{what}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(300)),
        }
    }
}

fn local_node() -> String {
    let (rc, out) = tool("crm_node", &["-n"]);
    assert_eq!(rc, 0, "crm_node -n");
    out.trim().to_owned()
}

/// The whole CIB read by `client`, when it is what `cibadmin -Q` prints.
fn whole_cib_as_cibadmin_shows_it(client: &mut CibClient) -> Result<CibQueryResult, String> {
    let ours = client.query(Scope::Whole).map_err(|e| e.to_string())?;
    let (rc, theirs) = tool("cibadmin", &["-Q"]);
    if rc != 0 {
        return Err(format!("cibadmin rc {rc}"));
    }
    if canonical(&ours.xml) != canonical(&theirs) {
        return Err("content differs".into());
    }
    Ok(ours)
}

#[test]
fn cib_whole_query_matches_cibadmin() {
    if target().is_none() {
        return;
    }
    let mut cib = CibClient::connect(CibChannel::ReadOnly, T).unwrap();
    eventually("whole CIB equals cibadmin -Q", || {
        let ours = whole_cib_as_cibadmin_shows_it(&mut cib)?;
        println!(
            "whole CIB: {} bytes, version {}, identical to cibadmin -Q",
            ours.xml.len(),
            ours.version
        );
        Ok(())
    });
    // version() agrees with the <cib> element
    let v = cib.version().unwrap();
    let whole = cib.query(Scope::Whole).unwrap();
    assert!(whole.version >= v);
}

#[test]
fn cib_reader_without_sign_on_matches_cibadmin() {
    if target().is_none() {
        return;
    }
    // what `pgcrm status` and the agent use: no `register` round trip
    let mut reader = CibClient::connect_reader(T).unwrap();
    assert_eq!(reader.client_id(), "");
    eventually("reader's whole CIB equals cibadmin -Q", || {
        whole_cib_as_cibadmin_shows_it(&mut reader).map(drop)
    });
    // several requests on the same connection, and the section scope too
    let nodes = reader.query(Scope::Section("nodes")).unwrap();
    assert!(nodes.xml.starts_with("<nodes"), "{}", nodes.xml);
}

#[test]
fn cib_section_and_xpath_match_cibadmin() {
    if target().is_none() {
        return;
    }
    let mut cib = CibClient::connect(CibChannel::ReadWrite, T).unwrap();
    for section in ["nodes", "resources", "crm_config", "status"] {
        eventually(&format!("section {section}"), || {
            let ours = cib
                .query(Scope::Section(section))
                .map_err(|e| e.to_string())?;
            let (_, theirs) = tool("cibadmin", &["-Q", "-o", section]);
            (canonical(&ours.xml) == canonical(&theirs))
                .then_some(())
                .ok_or_else(|| "differs".to_string())
        });
    }
    let xp = "//nvpair[@name='stonith-enabled']";
    let ours = cib.query(Scope::XPath(xp)).unwrap();
    let (_, theirs) = tool("cibadmin", &["-Q", "--xpath", xp]);
    assert_eq!(canonical(&ours.xml), canonical(&theirs));
    // no children: the <cib> element alone
    let bare = cib
        .query_with(Scope::Whole, QueryOptions { no_children: true })
        .unwrap();
    assert!(bare.xml.starts_with("<cib ") && !bare.xml.contains("<configuration"));
    // nothing matched = "no such object", exit code 105 like the stock tools
    let e = cib
        .query(Scope::XPath("//primitive[@id='pgcrm-no-such-thing']"))
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert_eq!(e.exit_code(), 105);
    let (rc, _) = tool(
        "cibadmin",
        &["-Q", "--xpath", "//primitive[@id='pgcrm-no-such-thing']"],
    );
    assert_eq!(rc, 105);
}

#[test]
fn cib_many_queries_on_one_connection() {
    if target().is_none() {
        return;
    }
    let mut cib = CibClient::connect(CibChannel::ReadOnly, T).unwrap();
    let n = 2000;
    let t0 = Instant::now();
    let mut bytes = 0;
    for _ in 0..n {
        let r = cib.query(Scope::Whole).unwrap();
        assert!(r.xml.ends_with("</cib>"));
        bytes += r.xml.len();
    }
    let per = t0.elapsed() / n;
    println!(
        "{n} whole-CIB queries on one connection ({:?}): {per:?} each, {} MiB through the ring",
        cib.connection().transport(),
        bytes >> 20
    );
    // connect + sign-on + query + close, versus the stock tool
    let runs = 20;
    let t0 = Instant::now();
    for _ in 0..runs {
        let mut c = CibClient::connect(CibChannel::ReadOnly, T).unwrap();
        c.query(Scope::Whole).unwrap();
    }
    let ours = t0.elapsed() / runs;
    let t0 = Instant::now();
    for _ in 0..runs {
        assert_eq!(tool("cibadmin", &["-Q"]).0, 0);
    }
    let theirs = t0.elapsed() / runs;
    println!("connect+query+close: {ours:?} (cibadmin -Q: {theirs:?})");
}

#[test]
fn cib_read_only_channel_refuses_writes() {
    if target().is_none() {
        return;
    }
    let mut cib = CibClient::connect(CibChannel::ReadOnly, T).unwrap();
    let e = cib
        .create(
            Some("constraints"),
            r#"<rsc_location id="pgcrm-ipc-test-ro" rsc="dummy1" node="x" score="1"/>"#,
        )
        .unwrap_err();
    assert!(matches!(e, IpcError::InvalidRequest { .. }), "{e}");
    // bad data never reaches the daemon
    let mut rw = CibClient::connect(CibChannel::ReadWrite, T).unwrap();
    let e = rw.create(Some("constraints"), "<a><b></a>").unwrap_err();
    assert!(matches!(e, IpcError::InvalidRequest { .. }), "{e}");
}

#[test]
fn cib_writes_are_seen_by_cibadmin() {
    if !lab() {
        return;
    }
    let node = local_node();
    let mut cib = CibClient::connect(CibChannel::ReadWrite, T).unwrap();
    let id = "pgcrm-ipc-test-loc";
    let xp = format!("//rsc_location[@id='{id}']");
    let _ = cib.delete(Scope::XPath(&xp), None, WriteOptions::default());
    let v0 = cib.version().unwrap();

    // create
    let v1 = cib
        .create(
            Some("constraints"),
            &format!(r#"<rsc_location id="{id}" rsc="dummy1" node="{node}" score="50"/>"#),
        )
        .unwrap();
    assert!(
        v1.epoch > v0.epoch && v1.admin_epoch == v0.admin_epoch,
        "{v0} -> {v1}"
    );
    let (rc, out) = tool("cibadmin", &["-Q", "--xpath", &xp]);
    assert_eq!(rc, 0);
    assert!(out.contains(r#"score="50""#), "{out}");

    // modify (merge by id under the section)
    let v2 = cib
        .modify(
            Scope::Section("constraints"),
            &format!(r#"<constraints><rsc_location id="{id}" score="60"/></constraints>"#),
            WriteOptions::default(),
        )
        .unwrap();
    assert!(v2.epoch > v1.epoch);
    let (_, out) = tool("cibadmin", &["-Q", "--xpath", &xp]);
    assert!(out.contains(r#"score="60""#), "{out}");

    // creating it twice is refused with "exists"
    let e = cib
        .create(
            Some("constraints"),
            &format!(r#"<rsc_location id="{id}" rsc="dummy1" node="{node}" score="50"/>"#),
        )
        .unwrap_err();
    assert!(matches!(e, IpcError::Rejected { .. }), "{e}");

    // replace the constraints section with itself minus our constraint
    let current = cib.query(Scope::Section("constraints")).unwrap();
    let without: String = {
        let start = current
            .xml
            .find(&format!("<rsc_location id=\"{id}\""))
            .unwrap();
        let end = start + current.xml[start..].find("/>").unwrap() + 2;
        format!("{}{}", &current.xml[..start], &current.xml[end..])
    };
    let v3 = cib
        .replace(Scope::Section("constraints"), &without)
        .unwrap();
    assert!(v3 > v2);
    let (rc, _) = tool("cibadmin", &["-Q", "--xpath", &xp]);
    assert_eq!(rc, 105, "replaced away");

    // create again and delete by XML, then an idempotent xpath delete
    cib.create(
        Some("constraints"),
        &format!(r#"<rsc_location id="{id}" rsc="dummy1" node="{node}" score="5"/>"#),
    )
    .unwrap();
    let v4 = cib
        .delete(
            Scope::Section("constraints"),
            Some(&format!(r#"<rsc_location id="{id}"/>"#)),
            WriteOptions::default(),
        )
        .unwrap();
    assert!(v4 > v3);
    assert_eq!(tool("cibadmin", &["-Q", "--xpath", &xp]).0, 105);
    cib.delete(Scope::XPath(&xp), None, WriteOptions::default())
        .unwrap();

    // a schema-invalid change is refused with the schema code
    let e = cib
        .create(
            Some("constraints"),
            r#"<rsc_location id="pgcrm-ipc-test-bad"/>"#,
        )
        .unwrap_err();
    assert!(matches!(e, IpcError::Rejected { rc: -203, .. }), "{e}");
    assert_eq!(e.exit_code(), 78);
    println!("writes: {v0} -> {v1} -> {v2} -> {v3} -> {v4}");
}

#[test]
fn cib_large_change_compressed_both_ways_and_notified() {
    if !lab() {
        return;
    }
    let mut cib = CibClient::connect(CibChannel::ReadWrite, T).unwrap();
    let mut watcher = CibClient::connect(CibChannel::ReadOnly, T).unwrap();
    watcher.subscribe(NotifyKind::Diff, true).unwrap();
    let set = "pgcrm-ipc-test-big";
    let xp = format!("//cluster_property_set[@id='{set}']");
    let _ = cib.delete(Scope::XPath(&xp), None, WriteOptions::default());
    // ~600 KB of text: more than the 512 KiB buffer, so the request goes out compressed,
    // and every reply with the whole CIB comes back compressed (over the daemon's 128 KiB)
    let mut big = format!(r#"<cluster_property_set id="{set}">"#);
    for i in 0..6000 {
        big.push_str(&format!(
            r#"<nvpair id="{set}-{i}" name="pgcrm-ipc-test-pad-{i}" value="padding value number {i} for the compression test"/>"#
        ));
    }
    big.push_str("</cluster_property_set>");
    assert!(big.len() > 512 * 1024);
    cib.create(Some("crm_config"), &big).unwrap();
    // the watcher sees the change (a compressed event: the diff carries the 600 KB)
    let deadline = Instant::now() + T;
    let mut seen = false;
    while Instant::now() < deadline && !seen {
        if let Some(n) = watcher.next_notification(Duration::from_secs(1)).unwrap() {
            seen = n.kind == "cib_diff_notify" && n.op == "cib_create" && n.xml.contains(set);
        }
    }
    assert!(seen, "no cib_diff_notify for the big create");
    eventually("big CIB equals cibadmin -Q", || {
        let ours = cib.query(Scope::Whole).map_err(|e| e.to_string())?;
        let (_, theirs) = tool("cibadmin", &["-Q"]);
        if ours.xml.len() < 512 * 1024 {
            return Err(format!("CIB only {} bytes", ours.xml.len()));
        }
        (canonical(&ours.xml) == canonical(&theirs))
            .then(|| {
                println!(
                    "big CIB of {} bytes identical to cibadmin -Q",
                    ours.xml.len()
                )
            })
            .ok_or_else(|| "differs".to_string())
    });
    cib.delete(Scope::XPath(&xp), None, WriteOptions::default())
        .unwrap();
    assert_eq!(tool("cibadmin", &["-Q", "--xpath", &xp]).0, 105);
    watcher.subscribe(NotifyKind::Diff, false).unwrap();
}

#[test]
fn attrd_roundtrip_matches_attrd_updater() {
    if !lab() {
        return;
    }
    let node = local_node();
    let name = "pgcrm-ipc-test-attr";
    let mut attrd = AttrdClient::connect(T).unwrap();
    attrd.set(name, "LATEST & <greatest>", Some(&node)).unwrap();
    // the ack means "accepted and broadcast": the value is stored after the CPG round trip
    eventually("value stored", || {
        let v = attrd.query(name, Some(&node)).map_err(|e| e.to_string())?;
        (v.len() == 1 && v[0].node == node && v[0].value.as_deref() == Some("LATEST & <greatest>"))
            .then_some(())
            .ok_or(format!("{v:?}"))
    });
    let (rc, out) = tool("attrd_updater", &["-Q", "-n", name, "-N", &node]);
    assert_eq!(rc, 0);
    assert!(out.contains(r#"value="LATEST & <greatest>""#), "{out}");
    // written to the CIB status section shortly after
    eventually("attribute in the CIB", || {
        let (rc, out) = tool(
            "crm_attribute",
            &["-l", "reboot", "-N", &node, "-n", name, "-G", "-q"],
        );
        (rc == 0 && out.trim() == "LATEST & <greatest>")
            .then_some(())
            .ok_or(format!("rc {rc} {out}"))
    });
    // set by the stock tool, read by us (all nodes)
    assert_eq!(
        tool("attrd_updater", &["-U", "42", "-n", name, "-N", &node]).0,
        0
    );
    eventually("value from attrd_updater", || {
        let v = attrd.query(name, None).map_err(|e| e.to_string())?;
        (v.iter()
            .any(|a| a.node == node && a.value.as_deref() == Some("42")))
        .then_some(())
        .ok_or(format!("{v:?}"))
    });
    // private attribute: kept by attrd, never in the CIB
    let private = "pgcrm-ipc-test-private";
    attrd.update(private, Some("p"), Some(&node), true).unwrap();
    eventually("private value stored", || {
        let v = attrd
            .query(private, Some(&node))
            .map_err(|e| e.to_string())?;
        (v.len() == 1 && v[0].value.as_deref() == Some("p"))
            .then_some(())
            .ok_or(format!("{v:?}"))
    });
    let (rc, out) = tool("attrd_updater", &["-Q", "-p", "-n", private, "-N", &node]);
    assert!(rc == 0 && out.contains(r#"value="p""#), "{rc} {out}");
    std::thread::sleep(Duration::from_millis(500));
    let (rc, _) = tool(
        "crm_attribute",
        &["-l", "reboot", "-N", &node, "-n", private, "-G"],
    );
    assert_ne!(rc, 0, "private attribute must not reach the CIB");
    // delete: known but unset
    attrd.delete(name, Some(&node)).unwrap();
    attrd.delete(private, Some(&node)).unwrap();
    eventually("deleted", || {
        let v = attrd.query(name, Some(&node)).map_err(|e| e.to_string())?;
        v.iter()
            .all(|a| a.value.is_none())
            .then_some(())
            .ok_or(format!("{v:?}"))
    });
    assert!(attrd.query("pgcrm-ipc-never-set", None).unwrap().is_empty());
    println!("attrd protocol version {:?}", attrd.protocol_version());
}

/// A phantom peer known to attrd only (a value set for a node that never joined) is
/// forgotten by attrd's `peer-remove`, as `attrd_updater -Q -A` shows, while the local node's
/// value stays; the controller acknowledges `rm_node_cache` and the fencer takes it (its
/// `register` answer follows). This is what `pgcrm node delete` sends after the CIB change.
#[test]
fn peer_cache_purge_of_a_phantom_node() {
    if !lab() {
        return;
    }
    let node = local_node();
    let ghost = "pgcrm-ipc-test-ghost";
    let name = "pgcrm-ipc-test-peer";
    let mut attrd = AttrdClient::connect(T).unwrap();
    attrd.set(name, "kept", Some(&node)).unwrap();
    attrd.set(name, "ghostly", Some(ghost)).unwrap();
    let all = || tool("attrd_updater", &["-Q", "-A", "-n", name]).1;
    eventually("the phantom's value in attrd", || {
        let out = all();
        (out.contains(&format!(r#"host="{ghost}""#)) && out.contains(r#"value="kept""#))
            .then_some(())
            .ok_or(out)
    });
    let t0 = Instant::now();
    ControllerClient::connect(T)
        .unwrap()
        .purge_node(ghost, None)
        .unwrap();
    let mut fencer = FencerClient::connect(T).unwrap();
    assert!(!fencer.client_id().is_empty());
    fencer.purge_node(ghost, None).unwrap();
    attrd.peer_remove(ghost, None).unwrap();
    let took = t0.elapsed();
    eventually("the phantom gone from attrd", || {
        let out = all();
        (!out.contains(ghost) && out.contains(&format!(r#"host="{node}""#)))
            .then_some(())
            .ok_or(out)
    });
    let v = attrd.query(name, None).unwrap();
    assert!(v.iter().all(|a| a.node != ghost), "{v:?}");
    assert!(matches!(
        attrd.peer_remove("", None),
        Err(IpcError::InvalidRequest { .. })
    ));
    attrd.delete(name, Some(&node)).unwrap();
    println!("purge of a phantom peer from controller, fencer and attrd: {took:?}");
}

fn fail_count(rsc: &str, node: &str) -> String {
    let (_, out) = tool("crm_failcount", &["-G", "-r", rsc, "-N", node, "-q"]);
    out.trim().to_owned()
}

#[test]
fn controller_cleanup_and_reprobe() {
    if !lab() {
        return;
    }
    let node = local_node();
    let mut ctl = ControllerClient::connect(T).unwrap();
    let state = ctl.ping_dc().unwrap();
    assert!(state.starts_with("S_"), "{state}");
    // inject a failure with the stock tool, then clean it up natively
    assert_eq!(
        tool("crm_resource", &["--fail", "-r", "dummy1", "-N", &node]).0,
        0
    );
    eventually("fail-count set", || {
        let c = fail_count("dummy1", &node);
        (c != "0" && !c.is_empty()).then_some(()).ok_or(c)
    });
    // let the recovery of the injected failure finish first: deleting the history while a
    // start is running makes that start fail (exactly as with crm_resource --cleanup)
    eventually("recovered and idle", || {
        let state = ctl.ping_dc().map_err(|e| e.to_string())?;
        let (_, mon) = tool("crm_mon", &["-1", "--output-as=xml"]);
        let started =
            mon.contains(r#"id="dummy1" resource_agent="ocf:heartbeat:Dummy" role="Started""#);
        (state == "S_IDLE" && started)
            .then_some(())
            .ok_or(format!("{state}, started={started}"))
    });
    let mut attrd = AttrdClient::connect(T).unwrap();
    attrd
        .clear_failure(Some(&node), Some("dummy1"), None, None)
        .unwrap();
    let reply = ctl
        .lrm_delete(
            &LrmResource {
                id: "dummy1",
                long_id: None,
                class: "ocf",
                provider: Some("heartbeat"),
                kind: "Dummy",
            },
            &node,
            None,
            false,
        )
        .unwrap();
    assert!(reply.contains("lrm_rsc_op"), "{reply}");
    eventually("fail-count cleared and no failed action", || {
        let c = fail_count("dummy1", &node);
        let (_, mon) = tool("crm_mon", &["-1", "--output-as=xml"]);
        (c == "0" && !mon.contains("<failure ") && mon.contains(r#"id="dummy1""#))
            .then_some(())
            .ok_or(format!("fail-count {c}"))
    });
    let reply = ctl.reprobe(Some(&node)).unwrap();
    assert!(reply.contains("lrm_invoke"), "{reply}");
    println!("cleanup + reprobe done; DC state was {state}");
}

#[test]
fn pacemakerd_ping() {
    if target().is_none() {
        return;
    }
    let mut p = PacemakerdClient::connect(T).unwrap();
    let ping = p.ping().unwrap();
    assert!(ping.is_running(), "{ping:?}");
    assert_eq!(ping.result, "ok");
    assert!(ping.last_check.unwrap_or(0) > 0);
}

#[test]
fn errors_an_operator_meets() {
    if target().is_none() {
        return;
    }
    // nobody listening
    let e = pgcrm::ipc::Connection::connect("pgcrm-no-such-daemon", 131072, T).unwrap_err();
    assert!(matches!(e, IpcError::NotRunning { .. }), "{e}");
    assert_eq!(e.exit_code(), 102);
    // unprivileged user outside haclient (run the test binary via setpriv to exercise it)
    // SAFETY: plain libc getters.
    if unsafe { libc::geteuid() } != 0 {
        match CibClient::connect(CibChannel::ReadOnly, T) {
            Err(e @ IpcError::PermissionDenied { .. }) => {
                assert_eq!(e.exit_code(), 4);
                println!("as uid {}: {e}", unsafe { libc::geteuid() });
            }
            Ok(_) => println!("uid {} may read the CIB (haclient member)", unsafe {
                libc::geteuid()
            }),
            Err(e) => panic!("unexpected {e}"),
        }
    }
}

#[test]
fn timeout_and_daemon_death() {
    if !lab() || std::env::var("PGCRM_IPC_DISRUPT").as_deref() != Ok("1") {
        println!("skipped: needs PGCRM_IPC_DISRUPT=1 (stops and kills pacemaker-schedulerd)");
        return;
    }
    // The daemon stopped and killed is the scheduler of a node that is not the DC: it is
    // idle there, and pacemakerd respawns it without any resource noticing (attrd would
    // fail the monitors that set attributes meanwhile, e.g. ocf:pacemaker:ping's).
    // A harmless request: the scheduler acks a controller "hello" and ignores it.
    let hello = r#"<create_request_adv t="pe" subt="request" crm_task="hello" reference="pgcrm-ipc-test-1" crm_sys_to="pengine" crm_sys_from="pgcrm"/>"#;
    let open = || pgcrm::ipc::Connection::connect("pengine", 128 * 1024, T).unwrap();
    // a stopped daemon: timeout, exit 124
    let mut conn = open();
    let pid = conn.server_credentials().pid;
    // SAFETY: signalling the daemon behind our own connection, by its pid.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    let t0 = Instant::now();
    let e = conn.request(hello, Duration::from_secs(1)).unwrap_err();
    unsafe { libc::kill(pid, libc::SIGCONT) };
    assert!(matches!(e, IpcError::Timeout { .. }), "{e}");
    assert_eq!(e.exit_code(), 124);
    assert!(t0.elapsed() < Duration::from_secs(3));
    println!("{e}");
    // a daemon that dies mid-request: disconnected at once, exit 102
    let mut conn = open();
    let pid = conn.server_credentials().pid;
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        unsafe { libc::kill(pid, libc::SIGKILL) };
    });
    let t0 = Instant::now();
    let e = conn.request(hello, T).unwrap_err();
    killer.join().unwrap();
    assert!(matches!(e, IpcError::Disconnected { .. }), "{e}");
    assert_eq!(e.exit_code(), 102);
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    println!("{e}");
    // pacemakerd respawns the scheduler
    eventually("pacemaker-schedulerd back", || {
        pgcrm::ipc::Connection::connect("pengine", 128 * 1024, T)
            .and_then(|mut c| c.request(hello, T))
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
}
