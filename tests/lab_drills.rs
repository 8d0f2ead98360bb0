//! Runbook drills against the real lab (see tests/lab/). Placeholder until the lab lands.
fn main() {
    println!("lab drills: not yet implemented");
}
