//! One-line banners printed above `status`: things an operator must not miss that crm_mon
//! does not say (e.g. constraints that move and ban commands left behind).

use pgcrm::ops::resource::CliConstraint;

/// The start of the cli-* constraint banner (tests strip it before comparing with crm_mon).
pub const CLI_CONSTRAINTS: &str = "Constraints left by move/ban:";

/// `Constraints left by move/ban: cli-ban-pgsql-on-node1 (expired but present), ...; see
/// pgcrm resource constraints, ...`, or `None` when there are none.
pub fn cli_constraints(list: &[CliConstraint]) -> Option<String> {
    if list.is_empty() {
        return None;
    }
    let items: Vec<String> = list
        .iter()
        .map(|c| {
            if c.expired {
                format!("{} (expired but present)", c.id)
            } else {
                c.id.clone()
            }
        })
        .collect();
    Some(format!(
        "{CLI_CONSTRAINTS} {}; see pgcrm resource constraints, remove with pgcrm resource clear RSC\n",
        items.join(", ")
    ))
}
