//! Property tests of the crm parser over the fixtures, run with every `cargo test` (the
//! coverage-guided fuzzing is the cargo-fuzz target `crm_config`, docs/fuzzing.md): thousands
//! of mutated and truncated `config show` texts must never panic, every error must point
//! inside the text, and whatever parses and applies must show again as text that parses again.
//!
//! Longer runs without cargo-fuzz: `PGCRM_FUZZ_SEED=N PGCRM_FUZZ_ITER=20000 cargo test
//! --release --test crmsh_props` (about 10 minutes at 20000 mutations per fixture).

use pgcrm::cib::Element;
use pgcrm::crmsh::{self, Mode, ShowOptions};
use std::path::Path;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TRICKY: &[&str] = &[
    "\"",
    "'",
    "\\",
    "\\\n",
    "\n",
    " ",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    "=",
    "#",
    "$id=",
    "rule ",
    "inf:",
    "-inf: ",
    " and ",
    " or ",
    "op ",
    "meta ",
    "params ",
    "xml <",
    "_rsc_set_ ",
    "é",
    "date ",
];

fn check(text: &str, config: &Element) {
    let lines = text.lines().count() as u32 + 1;
    let objects = match crmsh::parse(text, "t") {
        Ok(o) => o,
        Err(e) => {
            assert!(
                e.line >= 1 && e.line <= lines,
                "{e} outside the text:\n{text}"
            );
            return;
        }
    };
    for mode in [Mode::Update, Mode::Replace] {
        match crmsh::apply(config, &objects, mode, "t") {
            Ok(c) => {
                let shown = crmsh::show(&c, &ShowOptions::default()).expect("show all");
                if let Err(e) = crmsh::parse(&shown, "again") {
                    panic!("show's own text does not parse: {e}\n{shown}\nfrom:\n{text}");
                }
            }
            Err(e) => assert!(e.line <= lines, "{e} outside the text"),
        }
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cib");
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let seed = env("PGCRM_FUZZ_SEED", 0x9E37_79B9_7F4A_7C15);
    let iterations = env("PGCRM_FUZZ_ITER", 100) as usize;
    eprintln!("seed {seed}, {iterations} mutations per fixture");
    let mut rng = Rng(seed | 1);
    let mut cases = 0;
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for p in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
    {
        let root = Element::parse(&std::fs::read_to_string(p).unwrap()).unwrap();
        let config = root.child("configuration").unwrap().clone();
        let text = crmsh::show(&config, &ShowOptions::default()).unwrap();
        let chars: Vec<char> = text.chars().collect();
        // every prefix cut at a character boundary, sampled
        for cut in (0..chars.len()).step_by(7) {
            check(&chars[..cut].iter().collect::<String>(), &config);
            cases += 1;
        }
        for _ in 0..iterations {
            let mut c = chars.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(c.len() + 1);
                match rng.below(3) {
                    0 if at < c.len() => {
                        c.remove(at);
                    }
                    1 if at < c.len() => {
                        let end = (at + rng.below(20)).min(c.len());
                        c.drain(at..end);
                    }
                    _ => {
                        let ins = TRICKY[rng.below(TRICKY.len())];
                        for (k, ch) in ins.chars().enumerate() {
                            c.insert(at + k, ch);
                        }
                    }
                }
            }
            check(&c.iter().collect::<String>(), &config);
            cases += 1;
        }
    }
    eprintln!("{cases} mutated texts parsed without panic");
    assert!(cases > 50 * iterations);
}
