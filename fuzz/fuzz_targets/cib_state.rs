//! Arbitrary text through the whole read path of `pgcrm status`: the XML tree
//! (`cib::Element::parse`), the typed CIB (`Cib::from_tree`), what it means
//! (`state::derive`), the report and its JSON. A CIB comes from the network (a peer's CIB
//! manager) or a file an operator saved: any input must give an error or a report, never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgcrm::cib::{Cib, Element};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(tree) = Element::parse(text) else {
        return;
    };
    // the tree must serialise back to something that parses the same
    let again = Element::parse(&tree.to_xml()).expect("to_xml output parses");
    assert_eq!(again.to_xml(), tree.to_xml());
    let Ok(cib) = Cib::from_tree(tree) else {
        return;
    };
    let state = pgcrm::state::derive(&cib);
    let report = pgcrm::ops::status::report_from_cib(&cib, "fuzz".into());
    let _ = serde_json::to_string(&report).expect("report serialises");
    let _ = state.primitives();
});
