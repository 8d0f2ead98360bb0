//! Oracle tests: on every fixture CIB, pgcrm must agree with Pacemaker's own `crm_mon`
//! (Debian's pacemaker-cli-utils), which renders a saved CIB offline with `CIB_file`.
//!
//! - the text view equals `crm_mon -1 -Afr` line for line (but for the clock line);
//! - the JSON agrees with `crm_mon -1 -Afr --output-as=xml` on node flags, each resource
//!   instance's role, nodes and flags, node attributes, failures and fail counts.

#[path = "common/crm_mon_compare.rs"]
mod crm_mon_compare;

use crm_mon_compare::comparable;
use pgcrm::cib::Element;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every fixture, plus two variants of each written to a temporary directory: fencing
/// switched the other way, and cluster-wide maintenance mode switched on. Both change how
/// Pacemaker judges nodes and failures, so each fixture is checked three ways.
fn fixtures() -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cib");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture directory")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 30,
        "the oracle needs at least 30 fixtures, found {}",
        files.len()
    );
    files.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cluster.xml"));
    let tmp = tempfile::tempdir().unwrap();
    let mut variants = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let stem = f.file_stem().unwrap().to_string_lossy();
        let on = r#"name="stonith-enabled" value="true""#;
        let off = r#"name="stonith-enabled" value="false""#;
        let flipped = if text.contains(on) {
            Some(text.replace(on, off))
        } else if text.contains(off) {
            Some(text.replace(off, on))
        } else {
            None
        };
        if let Some(flipped) = flipped {
            let path = tmp.path().join(format!("{stem}-fencing-flipped.xml"));
            std::fs::write(&path, flipped).unwrap();
            variants.push(path);
        }
        let set = r#"<cluster_property_set id="cib-bootstrap-options">"#;
        if text.contains(set) && !text.contains(r#"name="maintenance-mode""#) {
            let maint = text.replacen(
                set,
                &format!(
                    r#"{set}<nvpair id="oracle-maint" name="maintenance-mode" value="true"/>"#
                ),
                1,
            );
            let path = tmp.path().join(format!("{stem}-maintenance-mode.xml"));
            std::fs::write(&path, maint).unwrap();
            variants.push(path);
        }
    }
    files.extend(variants);
    (tmp, files)
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (install pacemaker-cli-utils)"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn crm_mon(cib: &Path, xml: bool) -> String {
    let mut cmd = Command::new("crm_mon");
    cmd.args(["-1", "-A", "-f", "-r"])
        .env("CIB_file", cib)
        .env("TZ", "UTC");
    if xml {
        cmd.arg("--output-as=xml");
    }
    run(&mut cmd)
}

fn pgcrm(cib: &Path, json: bool) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgcrm"));
    cmd.args(["status", "-A", "-f", "-r", "--cib-file"])
        .arg(cib)
        .env("TZ", "UTC");
    if json {
        cmd.args(["--output", "json"]);
    }
    run(&mut cmd)
}

#[test]
fn text_matches_crm_mon_on_every_fixture() {
    let mut failures = Vec::new();
    let (_tmp, files) = fixtures();
    for f in files {
        let theirs = comparable(&crm_mon(&f, false), false);
        let ours = comparable(&pgcrm(&f, false), true);
        if theirs != ours {
            failures.push(format!(
                "{}:\n--- crm_mon\n{theirs}\n--- pgcrm\n{ours}",
                f.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixtures differ:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn json_agrees_with_crm_mon_xml_on_every_fixture() {
    let mut problems = Vec::new();
    let (_tmp, files) = fixtures();
    for f in files {
        let xml = Element::parse(&crm_mon(&f, true)).expect("crm_mon XML");
        let json: Value = serde_json::from_str(&pgcrm(&f, true)).expect("pgcrm JSON");
        problems.extend(
            crm_mon_compare::json_disagreements(&xml, &json)
                .into_iter()
                .map(|p| format!("{}: {p}", f.display())),
        );
    }
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
