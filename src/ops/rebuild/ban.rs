//! Which `cli-ban` of the clone on NODE is rebuild-standby's own: how it is made (a rule
//! whose id marks it), how it is told apart from an operator's ban of the same id, and the
//! refusal when it is an operator's. It must never classify an operator's ban as ours: the
//! unban step lifts only ours.

use crate::cib::change::{CibChange, ElementPath};
use crate::cib::Cib;
use crate::ipc::cib::CibVersion;
use crate::Error;

/// The id of the ban that keeps the resource off NODE during the rebuild: the one
/// `crm_resource --ban` (and `pgcrm resource ban`) would give it, so that it shows in
/// `pgcrm status`'s cli-* banner and `crm_resource --clear` / `pgcrm resource clear` lift it
/// if a run is abandoned. What tells it apart from an operator's ban of the same id is its
/// rule (see [`REBUILD_RULE`]): those tools write either `node`/`score` attributes or a
/// rule named `<id>-rule`.
pub(super) fn ban_id(clone: &str, node: &str) -> String {
    format!("cli-ban-{clone}-on-{node}")
}

/// Suffix of the rule id inside rebuild-standby's own ban: `<ban id>-pgcrm-rebuild-standby`.
/// A location constraint carries no description in Pacemaker's schema; the rule id is the
/// one place of its own that every tool keeps as written.
const REBUILD_RULE: &str = "pgcrm-rebuild-standby";

/// Who made the `cli-ban` of the resource on NODE, if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ban {
    None,
    /// rebuild-standby's own (an earlier run's leftover when seen in the plan).
    Ours,
    /// Anyone else's: an operator's `crm_resource --ban`, `pgcrm resource ban`...
    Operator,
}

/// Classifies the `cli-ban-<clone>-on-<node>` constraint of `cib`.
pub fn ban_owner(cib: &Cib, clone: &str, node: &str) -> Ban {
    let id = ban_id(clone, node);
    let rule = format!("{id}-{REBUILD_RULE}");
    match cib.constraints.iter().find_map(|c| match c {
        crate::cib::Constraint::Location(l) if l.id == id => Some(l),
        _ => None,
    }) {
        None => Ban::None,
        Some(l) if l.node.is_none() && l.rules.len() == 1 && l.rules[0].id == rule => Ban::Ours,
        Some(_) => Ban::Operator,
    }
}

/// rebuild-standby's own ban of `clone` on `node`: `-INFINITY` for `#uname eq node`, in a
/// rule whose id marks it as ours (no lifetime: a run cut short must not let the node back
/// in with half a copy).
fn own_ban(clone: &str, node: &str) -> crate::cib::Element {
    use crate::cib::Element;
    let id = ban_id(clone, node);
    let rule = format!("{id}-{REBUILD_RULE}");
    let mut r = Element::new("rule")
        .with_attr("id", &rule)
        .with_attr("score", "-INFINITY")
        .with_attr("boolean-op", "and");
    r.children.push(
        Element::new("expression")
            .with_attr("id", format!("{rule}-expr"))
            .with_attr("attribute", "#uname")
            .with_attr("operation", "eq")
            .with_attr("value", node)
            .with_attr("type", "string"),
    );
    let mut loc = Element::new("rsc_location")
        .with_attr("id", &id)
        .with_attr("rsc", clone)
        .with_attr("role", "Started");
    loc.children.push(r);
    loc
}

/// The change that adds [`own_ban`] to `cib` (None when a `cli-ban` of that id exists).
pub fn own_ban_change(cib: &Cib, clone: &str, node: &str) -> Option<CibChange> {
    if ban_owner(cib, clone, node) != Ban::None {
        return None;
    }
    let mut change = CibChange::new(CibVersion::of(cib));
    change.create(
        ElementPath::section(&["configuration", "constraints"]),
        own_ban(clone, node),
    );
    Some(change)
}

/// The refusal of a node an operator banned: rebuilding it could not end with it streaming.
pub(super) fn operator_ban_refusal(clone: &str, node: &str) -> Error {
    Error::Unsafe(format!(
        "{clone} is banned from {node} by {}, which rebuild-standby did not make: {node} could not come back as a standby; if that ban is no longer wanted, lift it (pgcrm resource clear {clone} --node {node}), then run again",
        ban_id(clone, node)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::resource as rops;
    use crate::rules::fixtures::top as cib;

    fn applied(cib: &Cib, change: &CibChange) -> Cib {
        let mut tree = cib.tree.clone();
        change.apply_to(&mut tree).unwrap();
        Cib::parse(&tree.to_xml()).unwrap()
    }

    /// rebuild-standby's own ban is told apart from an operator's of the same id, and a
    /// re-run recognises it (no second ban, no refusal).
    #[test]
    fn own_ban_and_operator_ban() {
        let healthy = cib("runbook-healthy");
        assert_eq!(ban_owner(&healthy, "msPostgresql", "node1"), Ban::None);
        let change = own_ban_change(&healthy, "msPostgresql", "node1").unwrap();
        let banned = applied(&healthy, &change);
        assert_eq!(ban_owner(&banned, "msPostgresql", "node1"), Ban::Ours);
        assert!(own_ban_change(&banned, "msPostgresql", "node1").is_none());
        assert_eq!(ban_owner(&banned, "msPostgresql", "node2"), Ban::None);
        // what pgcrm status and resource clear see: a cli-ban of msPostgresql on node1
        let cli = rops::cli_constraints(&banned, None, chrono::Utc::now());
        assert_eq!(cli.len(), 1);
        assert_eq!(cli[0].id, "cli-ban-msPostgresql-on-node1");
        assert_eq!(cli[0].node.as_deref(), Some("node1"));
        assert_eq!(cli[0].score.as_deref(), Some("-INFINITY"));
        // crm_resource --ban's plain form (a fixture) and pgcrm resource ban, with and
        // without a lifetime (a rule named <id>-rule): an operator's
        let fixture = cib("runbook-cli-ban");
        assert_eq!(ban_owner(&fixture, "msPostgresql", "node2"), Ban::Operator);
        assert!(own_ban_change(&fixture, "msPostgresql", "node2").is_none());
        for lifetime in [None, Some(std::time::Duration::from_secs(3600))] {
            let (plan, _) = rops::plan_ban(
                &healthy,
                "msPostgresql",
                "node1",
                lifetime,
                None,
                chrono::Utc::now(),
            )
            .unwrap();
            let theirs = applied(&healthy, &plan.change);
            assert_eq!(
                ban_owner(&theirs, "msPostgresql", "node1"),
                Ban::Operator,
                "{lifetime:?}"
            );
        }
        let refusal = operator_ban_refusal("msPostgresql", "node1").to_string();
        assert!(refusal.contains("pgcrm resource clear msPostgresql --node node1"));
    }
}
