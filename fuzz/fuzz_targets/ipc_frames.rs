//! Arbitrary bytes into the decoders of what a daemon sends: Pacemaker's message header and
//! payload (`ipc::header::decode`, bzip2 included) and libqb's connection response. They must
//! return an error, never panic, hang or allocate without bound. The first byte chooses the
//! decoder so that one corpus serves both.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgcrm::ipc::{header, qb};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok(msg) = header::decode(rest) {
                // what decode accepts is what the clients go on to read
                assert!(!msg.xml.contains('\0'));
                let _ = pgcrm::cib::Element::parse(&msg.xml);
            }
        }
        1 => {
            let _ = header::Header::decode(rest);
        }
        _ => {
            // the connection response is 12328 bytes: repeat short inputs so that the
            // fuzzer reaches the path fields without having to grow 12 KB inputs
            let mut buf = rest.to_vec();
            if !buf.is_empty() && buf.len() < 12328 {
                buf = rest.iter().copied().cycle().take(12328).collect();
            }
            let _ = qb::ConnResponse::decode(&buf);
        }
    }
});
