//! `pgcrm verify` against Pacemaker's own `crm_verify -x FILE` where they overlap: on every
//! fixture CIB, each crm_verify message that a pgcrm rule covers appears exactly when pgcrm
//! reports that rule. Everything else pgcrm checks is invisible to crm_verify (docs/verify.md).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// crm_verify's message and the pgcrm rule that says the same thing.
const OVERLAP: &[(&str, &str)] = &[
    ("no STONITH resources have been defined", "PG002"),
    ("(do not use same name and interval combination", "PG102"),
    (
        "because 'fence' is not valid when fencing is disabled",
        "PG106",
    ),
    ("group meta-attribute is deprecated", "PG301"),
];

fn fixtures() -> Vec<PathBuf> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cib");
    let mut out = Vec::new();
    for dir in [base.clone(), base.join("verify")] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "xml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn pgcrm_rules(file: &Path) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_pgcrm"))
        .args(["verify", "--no-agents", "--output", "json", "--cib-file"])
        .arg(file)
        .env_remove("CIB_file")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn overlapping_rules_agree_with_crm_verify() {
    if Command::new("crm_verify")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("crm_verify not installed: skipped (scripts/test-all installs pacemaker)");
        return;
    }
    let mut compared = 0;
    let mut hits = std::collections::BTreeMap::<&str, usize>::new();
    for file in fixtures() {
        // -VV: crm_verify prints warnings (deprecations) only when this verbose.
        let out = Command::new("crm_verify")
            .args(["-VV", "-x"])
            .arg(&file)
            .env_remove("CIB_file")
            .output()
            .unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if out.status.code().is_none() {
            // Pacemaker 2.1.5's crm_verify aborts on switches-left-on.xml (an assertion in
            // pcmk_sched_promotable.c with symmetric-cluster=false): nothing to compare.
            eprintln!("{name}: crm_verify died ({}), not compared", out.status);
            continue;
        }
        let text = String::from_utf8_lossy(&out.stderr);
        let ours = pgcrm_rules(&file);
        for (needle, rule) in OVERLAP {
            let theirs = text.contains(needle);
            let mine = ours.iter().any(|r| r == rule);
            assert_eq!(
                theirs,
                mine,
                "{name}: crm_verify {} '{needle}' but pgcrm {} {rule}\n{text}",
                if theirs { "says" } else { "does not say" },
                if mine { "reports" } else { "does not report" },
            );
            if mine {
                *hits.entry(rule).or_default() += 1;
            }
        }
        compared += 1;
    }
    assert!(compared >= 70, "only {compared} fixtures compared");
    // Every overlapping rule was seen firing on both sides at least once.
    for (_, rule) in OVERLAP {
        assert!(
            hits.get(rule).is_some_and(|n| *n > 0),
            "{rule} never fired: {hits:?}"
        );
    }
}
