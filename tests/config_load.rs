//! `pgcrm config load` offline, on copies of the fixture CIBs, with Pacemaker's and crmsh's
//! own tools as oracles: the change pgcrm writes is the one `crm configure load` makes, the
//! written file is one `crm_verify -x` and `crm_mon` read, and the live patchset of the change
//! applied by Pacemaker's own code (`cibadmin --patch` on a CIB file) gives the same CIB.

use pgcrm::cib::change::{CibChange, ElementPath};
use pgcrm::cib::Element;
use pgcrm::ipc::cib::CibVersion;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cib")
        .join(name)
}

fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixture_path(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    v.sort();
    v
}

/// A copy of a fixture in a temporary directory.
fn copy(dir: &tempfile::TempDir, name: &str, as_name: &str) -> PathBuf {
    let path = dir.path().join(as_name);
    std::fs::copy(fixture_path(name), &path).unwrap();
    path
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn pgcrm(file: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pgcrm"))
        .args(args)
        .arg("--cib-file")
        .arg(file)
        .env_remove("CIB_file")
        .env("OCF_ROOT", "/nonexistent")
        .stdin(Stdio::null())
        .output()
        .expect("run pgcrm")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tool(file: &Path, tool: &str, args: &[&str]) -> Output {
    Command::new(tool)
        .args(args)
        .env("CIB_file", file)
        .env("TERM", "dumb")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{tool} is needed by this test: {e}"))
}

fn crm_available() -> bool {
    Command::new("crm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn root_of(file: &Path) -> Element {
    Element::parse(&std::fs::read_to_string(file).unwrap()).unwrap()
}

/// The configuration section, attributes sorted (their order means nothing).
fn canon(e: &Element) -> Element {
    let mut e = e.clone();
    e.attrs.sort();
    e.children = e.children.iter().map(canon).collect();
    e
}

fn configuration(file: &Path) -> Element {
    canon(root_of(file).child("configuration").unwrap())
}

fn epoch(file: &Path) -> u64 {
    root_of(file).attr("epoch").unwrap().parse().unwrap()
}

/// crm texts an operator loads into the runbook's cluster: a new resource and constraint, a
/// changed parameter and op of an existing resource, a changed and a new property, a new
/// member of a group, a role-based location rule.
const UPDATES: &[&str] = &[
    "primitive extra Dummy op monitor interval=10s timeout=20s\nlocation l-extra extra 100: node2\n",
    "primitive vip-slave IPaddr2 params ip=192.168.100.214 nic=eth0 cidr_netmask=24 \\\n  op start interval=0s timeout=60s on-fail=restart \\\n  op monitor interval=10s timeout=60s on-fail=restart \\\n  op stop interval=0s timeout=60s on-fail=block\n",
    "property cluster-recheck-interval=5min no-quorum-policy=stop\nrsc_defaults migration-threshold=3\n",
    "location l-rule msPostgresql rule $role=Promoted -inf: not_defined pingd or pingd lte 0\n",
];

/// `pgcrm config load FILE --yes` makes the configuration `crm configure load update FILE`
/// makes (elements, attributes, ids); the written CIB passes crm_verify and crm_mon reads it;
/// the epoch is bumped once.
#[test]
fn load_update_matches_crmsh() {
    if !crm_available() {
        eprintln!("crmsh not installed: skipping the crmsh comparison");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (i, text) in UPDATES.iter().enumerate() {
        let ours = copy(&dir, "runbook-healthy.xml", "ours.xml");
        let theirs = copy(&dir, "runbook-healthy.xml", "theirs.xml");
        let f = write(&dir, &format!("u{i}.crm"), text);
        let e0 = epoch(&ours);
        let o = pgcrm(&ours, &["config", "load", "--yes", f.to_str().unwrap()]);
        assert!(o.status.success(), "{text}\n{}", err(&o));
        assert!(out(&o).contains("Loaded "), "{}", out(&o));
        assert_eq!(epoch(&ours), e0 + 1, "one change, one epoch");
        let c = tool(
            &theirs,
            "crm",
            &["configure", "load", "update", f.to_str().unwrap()],
        );
        assert!(c.status.success(), "crmsh: {}", err(&c));
        assert_eq!(
            configuration(&ours).to_xml_pretty(),
            configuration(&theirs).to_xml_pretty(),
            "pgcrm and crmsh differ after loading:\n{text}"
        );
        let v = tool(&ours, "crm_verify", &["-x", ours.to_str().unwrap()]);
        assert!(v.status.success(), "crm_verify: {}", err(&v));
        let m = tool(&ours, "crm_mon", &["-1", "-r"]);
        assert!(m.status.success(), "crm_mon: {}", err(&m));
        // Loaded again: nothing to do, the file is not written.
        let before = std::fs::read(&ours).unwrap();
        let o = pgcrm(&ours, &["config", "load", f.to_str().unwrap()]);
        assert!(out(&o).contains("no change"), "{}{}", out(&o), err(&o));
        assert_eq!(std::fs::read(&ours).unwrap(), before);
    }
}

/// Fixtures crmsh cannot load as shown: bundle.xml makes crmsh 4.4 crash (KeyError 'podman');
/// validate-none-extras.xml has attributes the schema does not allow.
const CRMSH_CANNOT: &[&str] = &["bundle.xml", "validate-none-extras.xml"];

/// `config show` of every fixture, loaded with --replace into an empty CIB, shows the same
/// text again, and is the configuration `crm configure load replace` makes of that text, which
/// crm_verify judges alike.
#[test]
fn show_then_load_replace_into_an_empty_cib_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let crm = crm_available();
    for fx in fixtures() {
        let name = fx.file_name().unwrap().to_str().unwrap();
        let shown = pgcrm(&fx, &["config", "show"]);
        assert!(shown.status.success(), "{name}: {}", err(&shown));
        let f = write(&dir, "shown.crm", &out(&shown));
        let empty = Command::new("cibadmin").arg("--empty").output().unwrap();
        let target = write(&dir, "empty.xml", &String::from_utf8_lossy(&empty.stdout));
        let o = pgcrm(
            &target,
            &[
                "config",
                "load",
                "--replace",
                "--yes",
                "--force",
                f.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{name}: {}", err(&o));
        let again = pgcrm(&target, &["config", "show"]);
        assert_eq!(out(&again), out(&shown), "{name}: show after load differs");
        // The same configuration crmsh makes of the text (ids the text does not carry, such
        // as op ids, are generated as crmsh does).
        if crm && !CRMSH_CANNOT.contains(&name) {
            let theirs = write(&dir, "crmsh.xml", &String::from_utf8_lossy(&empty.stdout));
            let c = tool(
                &theirs,
                "crm",
                &["configure", "load", "replace", f.to_str().unwrap()],
            );
            assert!(c.status.success(), "{name}: crmsh: {}", err(&c));
            let (mut a, mut b) = (configuration(&theirs), configuration(&target));
            for c in [&mut a, &mut b] {
                c.children.retain(|s| !s.children.is_empty());
                c.children.sort_by(|x, y| x.name.cmp(&y.name));
            }
            // crmsh leaves out the default boolean-op="and" that pgcrm keeps from the text.
            let (a, b) = (
                a.to_xml_pretty().replace(" boolean-op=\"and\"", ""),
                b.to_xml_pretty().replace(" boolean-op=\"and\"", ""),
            );
            assert_eq!(a, b, "{name}: crmsh differs");
            // Both without a status section: crm_verify judges them alike.
            let ours = tool(&target, "crm_verify", &["-x", target.to_str().unwrap()]);
            let crmsh = tool(&theirs, "crm_verify", &["-x", theirs.to_str().unwrap()]);
            assert_eq!(
                ours.status.code(),
                crmsh.status.code(),
                "{name}: {}",
                err(&ours)
            );
        }
    }
}

/// The transform of one configuration into another, sent as the live v2 patchset and
/// applied by Pacemaker's own code (`cibadmin --patch` on a CIB file), gives exactly the
/// configuration pgcrm's file backend writes: for every fixture, with its resources and
/// constraints reordered, an attribute changed, one object deleted and one added.
#[test]
fn the_live_patchset_is_what_pacemaker_applies() {
    let dir = tempfile::tempdir().unwrap();
    for fx in fixtures() {
        let name = fx.file_name().unwrap().to_str().unwrap();
        let root = root_of(&fx);
        let before = root.child("configuration").unwrap().clone();
        let added = Element::new("primitive")
            .with_attr("id", "added-by-test")
            .with_attr("class", "ocf")
            .with_attr("provider", "heartbeat")
            .with_attr("type", "Dummy");
        let cons = before
            .child("constraints")
            .map(|c| c.to_xml())
            .unwrap_or_default();
        let mut after = before.clone();
        if let Some(r) = after.child_mut("resources") {
            r.children.reverse();
            // Delete one resource that no constraint names.
            if let Some(i) = (0..r.children.len())
                .find(|&i| !cons.contains(&format!("\"{}\"", r.children[i].id())))
            {
                r.children.remove(i);
            }
            r.children.insert(r.children.len() / 2, added);
        }
        if let Some(c) = after.child_mut("constraints") {
            c.children.reverse();
            if c.children.len() > 2 {
                c.children.remove(1);
            }
        }
        if let Some(p) = after
            .child_mut("crm_config")
            .and_then(|c| c.children.first_mut())
            .and_then(|s| s.children.first_mut())
        {
            p.set_attr("value", "changed-by-test");
        }
        let version = CibVersion {
            admin_epoch: root.attr("admin_epoch").unwrap_or("0").parse().unwrap(),
            epoch: root.attr("epoch").unwrap().parse().unwrap(),
            num_updates: root.attr("num_updates").unwrap_or("0").parse().unwrap(),
        };
        let mut change = CibChange::new(version);
        change.transform(&ElementPath::section(&["configuration"]), &before, &after);
        let mut expected = root.clone();
        change.apply_to(&mut expected).unwrap();
        assert_eq!(
            canon(expected.child("configuration").unwrap()),
            canon(&after),
            "{name}: apply_to"
        );
        let mut live_root = root.clone();
        live_root.children.clear();
        let patch = change.to_patchset(&root, &live_root).unwrap();
        let target = copy(&dir, name, "patched.xml");
        let p = write(&dir, "patch.xml", &patch);
        let o = tool(
            &target,
            "cibadmin",
            &["--patch", "--xml-file", p.to_str().unwrap()],
        );
        assert!(o.status.success(), "{name}: cibadmin --patch: {}", err(&o));
        assert_eq!(
            configuration(&target).to_xml_pretty(),
            canon(&after).to_xml_pretty(),
            "{name}: Pacemaker applied the patchset differently"
        );
    }
}

/// Errors of the result refuse (78, each named, nothing written) unless --force, which says
/// what it overrides; without a terminal and without --yes the load is refused (64).
#[test]
fn refusals_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cib = copy(&dir, "runbook-healthy.xml", "cib.xml");
    let before = std::fs::read(&cib).unwrap();
    let bad = write(&dir, "bad.crm", "property stonith-enabled=true\n");
    let o = pgcrm(&cib, &["config", "load", "--yes", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(78), "{}", err(&o));
    assert!(
        err(&o).contains("error: PG002 stonith-enabled")
            && err(&o).contains("pass --force to load anyway. Nothing was changed"),
        "{}",
        err(&o)
    );
    assert!(out(&o).is_empty(), "{}", out(&o));
    let good = write(&dir, "good.crm", UPDATES[0]);
    let o = pgcrm(&cib, &["config", "load", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(64), "{}", err(&o));
    assert!(
        err(&o)
            .lines()
            .last()
            .unwrap()
            .contains("pass --yes to confirm"),
        "{}",
        err(&o)
    );
    // The diff was shown before the question.
    assert!(
        out(&o).contains("+    <primitive id=\"extra\""),
        "{}",
        out(&o)
    );
    let o = pgcrm(
        &cib,
        &["config", "load", "--dry-run", good.to_str().unwrap()],
    );
    assert!(o.status.success());
    assert!(
        out(&o)
            .starts_with("Dry run: create primitive extra\nDry run: create rsc_location l-extra\n"),
        "{}",
        out(&o)
    );
    assert_eq!(std::fs::read(&cib).unwrap(), before, "nothing changed");

    let o = pgcrm(
        &cib,
        &["config", "load", "--yes", "--force", bad.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        err(&o).contains("--force: loading despite 1 error: PG002 stonith-enabled"),
        "{}",
        err(&o)
    );
    let v = tool(&cib, "crm_verify", &["-x", cib.to_str().unwrap()]);
    assert!(!v.status.success(), "crm_verify agrees it is an error");
}

/// The CIB `pgcrm-lab up --config runbook` starts node1 with: the lab's properties, both
/// nodes (corosync's node list puts them there before node2 joins), nothing else.
const LAB_START_CIB: &str = r#"<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="opt-quorum" name="no-quorum-policy" value="ignore"/>
        <nvpair id="opt-stonith" name="stonith-enabled" value="false"/>
        <nvpair id="opt-tdelay" name="transition-delay" value="0s"/>
        <nvpair id="opt-deadtime" name="dc-deadtime" value="5s"/>
      </cluster_property_set>
    </crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>
"#;

/// The runbook's own pgsql.crm as the heartbeat lab loads it (tests/lab/runbook-pgsql.crm
/// with the lab's root put in): it parses, loads with warnings only (the runbook's 60 s
/// timeouts, `ms`) into the resources and constraints of the runbook's cluster, with
/// Pacemaker 2.1's role names, and the objects and ids are the ones crmsh makes of the same
/// file; crm_verify and crm_mon accept the result.
#[test]
fn the_runbooks_pgsql_crm_loads() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lab/runbook-pgsql.crm"),
    )
    .unwrap()
    .replace("@LAB_ROOT@", "/var/tmp/pgcrm-lab");
    let crm = write(&dir, "pgsql.crm", &text);
    let cib = write(&dir, "cib.xml", LAB_START_CIB);
    let o = pgcrm(&cib, &["config", "check", crm.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("OK, 17 objects"), "{}", out(&o));
    let o = pgcrm(&cib, &["config", "load", "--yes", crm.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    assert!(!err(&o).contains("error:"), "{}", err(&o));
    assert!(
        err(&o).contains("warning: PG302 msPostgresql"),
        "{}",
        err(&o)
    );
    assert!(
        out(&o).contains("Loaded ") && out(&o).contains(": 17 objects, epoch 1 -> 2"),
        "{}",
        out(&o)
    );
    let root = root_of(&cib);
    let conf = root.child("configuration").unwrap();
    let find = |id: &str| {
        conf.find_by_id(id)
            .unwrap_or_else(|| panic!("{id} is missing:\n{}", conf.to_xml_pretty()))
    };
    let kind = |id: &str| {
        let e = find(id);
        format!(
            "{}:{}:{}",
            e.attr("class").unwrap_or(""),
            e.attr("provider").unwrap_or(""),
            e.attr("type").unwrap_or("")
        )
    };
    assert_eq!(find("msPostgresql").name, "master");
    assert_eq!(find("clnPingCheck").name, "clone");
    assert_eq!(kind("pgsql"), "ocf:heartbeat:pgsql");
    assert_eq!(kind("pingCheck"), "ocf:pacemaker:ping");
    let group: Vec<&str> = find("master-group")
        .children_named("primitive")
        .map(Element::id)
        .collect();
    assert_eq!(group, ["vip-master", "vip-rep"]);
    for vip in ["vip-master", "vip-rep", "vip-slave"] {
        assert_eq!(kind(vip), "ocf:heartbeat:IPaddr2");
    }
    let nv = |id: &str| find(id).attr("value").unwrap().to_string();
    assert_eq!(nv("vip-master-instance_attributes-ip"), "10.200.0.100");
    assert_eq!(nv("vip-rep-instance_attributes-ip"), "10.200.0.101");
    assert_eq!(nv("vip-slave-instance_attributes-ip"), "10.200.0.102");
    assert_eq!(nv("pgsql-instance_attributes-master_ip"), "10.200.0.101");
    assert_eq!(nv("pingCheck-instance_attributes-host_list"), "10.200.0.1");
    assert_eq!(
        nv("pgsql-instance_attributes-pgdata"),
        "/var/tmp/pgcrm-lab/local/pgdata/"
    );
    assert_eq!(nv("msPostgresql-meta_attributes-promoted-max"), "1");
    assert_eq!(find("pgsql-monitor-2s").attr("role"), Some("Promoted"));
    assert_eq!(
        find("rsc_colocation-2").attr("with-rsc-role"),
        Some("Promoted")
    );
    assert_eq!(find("rsc_order-2").attr("kind"), Some("Optional"));
    for id in [
        "rsc_location-1",
        "rsc_location-2",
        "rsc_colocation-1",
        "rsc_order-3",
    ] {
        find(id);
    }
    let props: Vec<(&str, &str)> = conf
        .path(&["crm_config", "cluster_property_set"])
        .unwrap()
        .children_named("nvpair")
        .map(|n| (n.attr("name").unwrap(), n.attr("value").unwrap()))
        .collect();
    assert!(props.contains(&("transition-delay", "0s")), "{props:?}");
    assert_eq!(props.len(), 4, "properties merged by name: {props:?}");
    assert!(!conf.to_xml().contains("@LAB_ROOT@"));
    let v = tool(&cib, "crm_verify", &["-x", cib.to_str().unwrap()]);
    assert!(v.status.success(), "crm_verify: {}", err(&v));
    let m = tool(&cib, "crm_mon", &["-1", "-r"]);
    assert!(
        out(&m).contains("Clone Set: msPostgresql [pgsql] (promotable)"),
        "{}",
        out(&m)
    );
    if !crm_available() {
        eprintln!("crmsh not installed: skipping the crmsh comparison");
        return;
    }
    // crmsh keeps the file's comments as XML comments and orders resources its own way:
    // compare the objects (element and id) only.
    let theirs = write(&dir, "crmsh.xml", LAB_START_CIB);
    let c = tool(
        &theirs,
        "crm",
        &["configure", "load", "update", crm.to_str().unwrap()],
    );
    assert!(c.status.success(), "crmsh: {}", err(&c));
    fn ids(e: &Element, out: &mut Vec<String>) {
        if let Some(id) = e.attr("id") {
            out.push(format!("{} {id}", e.name));
        }
        e.children.iter().for_each(|c| ids(c, out));
    }
    let (mut ours, mut crmsh) = (Vec::new(), Vec::new());
    ids(conf, &mut ours);
    ids(root_of(&theirs).child("configuration").unwrap(), &mut crmsh);
    ours.sort();
    crmsh.sort();
    assert_eq!(ours, crmsh);
}
