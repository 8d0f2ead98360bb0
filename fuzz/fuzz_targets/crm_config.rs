//! Arbitrary text through `pgcrm config load`'s path, without a cluster: the crm shell parser
//! (`crmsh::parse`), `crmsh::apply` into an empty configuration (load replace) and into the
//! example cluster's (load update), `crmsh::show`, and the CIB change that turns the old
//! configuration into the new one (`CibChange::transform`, `apply_to`, `to_patchset`).
//! A crm file is pasted by operators from wikis and runbooks: any text must give a
//! positioned error or a configuration, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgcrm::cib::change::{CibChange, ElementPath};
use pgcrm::cib::Element;
use pgcrm::crmsh::{self, Mode, ShowOptions};
use pgcrm::ipc::cib::CibVersion;
use std::sync::OnceLock;

const EXAMPLE: &str = include_str!("../../examples/cluster.xml");

fn example() -> &'static Element {
    static E: OnceLock<Element> = OnceLock::new();
    E.get_or_init(|| Element::parse(EXAMPLE).expect("the example parses"))
}

/// Attribute order means nothing to Pacemaker.
fn canon(e: &Element) -> Element {
    let mut e = e.clone();
    e.attrs.sort();
    e.children = e.children.iter().map(canon).collect();
    e
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.lines().count() as u32 + 1;
    let objects = match crmsh::parse(text, "fuzz") {
        Ok(o) => o,
        Err(e) => {
            assert!(e.line >= 1 && e.line <= lines, "{e}: outside the text");
            return;
        }
    };
    let root = example();
    let empty = Element::new("configuration");
    let current = root.child("configuration").expect("example has a configuration");
    for (before, mode) in [(&empty, Mode::Replace), (current, Mode::Update)] {
        let after = match crmsh::apply(before, &objects, mode, "fuzz") {
            Ok(a) => a,
            Err(e) => {
                assert!(e.line <= lines, "{e}: outside the text");
                continue;
            }
        };
        // What is shown parses again.
        let shown = crmsh::show(&after, &ShowOptions::default()).expect("show everything");
        if let Err(e) = crmsh::parse(&shown, "shown") {
            panic!("show's own text does not parse: {e}\n{shown}");
        }
        // The change from the old configuration to the new gives exactly the new one.
        let mut tree = root.clone();
        *tree.child_mut("configuration").unwrap() = before.clone();
        let mut change = CibChange::new(CibVersion {
            admin_epoch: 0,
            epoch: 1,
            num_updates: 0,
        });
        change.transform(&ElementPath::section(&["configuration"]), before, &after);
        let mut applied = tree.clone();
        change.apply_to(&mut applied).expect("the change applies to its base");
        assert_eq!(
            canon(applied.child("configuration").unwrap()),
            canon(&after),
            "transform is not exact"
        );
        let patch = change.to_patchset(&tree, &tree).expect("patchset");
        Element::parse(&patch).expect("the patchset is XML");
    }
});
