//! What is known of each resource agent the CIB uses: parameters and advised timeouts from
//! its OCF meta-data (read by `ops::verify` from the installed agent) or pgcrm's built-in
//! knowledge; and the agent rules (PG201-PG206). Never runs an agent itself.

use super::{placed, Finding, Input, PgAgent, Severity};
use crate::cib::{parse_duration_ms, Cib, Element, Role};
use std::collections::BTreeMap;

/// An agent's OCF meta-data, reduced to what the rules use.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AgentMeta {
    pub name: String,
    /// The agent calls itself deprecated (its shortdesc says so, or `<deprecated/>`).
    pub deprecated: bool,
    pub params: Vec<ParamMeta>,
    pub actions: Vec<ActionMeta>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParamMeta {
    pub name: String,
    pub required: bool,
    pub deprecated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionMeta {
    pub name: String,
    pub role: Option<Role>,
    pub timeout_ms: Option<u64>,
    pub interval_ms: Option<u64>,
}

impl AgentMeta {
    /// Parses `<resource-agent>` meta-data as agents print it for `meta-data`.
    pub fn parse(xml: &str) -> Result<AgentMeta, String> {
        let root = Element::parse(xml).map_err(|e| e.to_string())?;
        if root.name != "resource-agent" {
            return Err(format!(
                "root element is <{}>, not <resource-agent>",
                root.name
            ));
        }
        let shortdesc = root.child("shortdesc").map(|s| s.text.to_ascii_lowercase());
        let params = root
            .child("parameters")
            .map(|ps| {
                ps.children_named("parameter")
                    .map(|p| ParamMeta {
                        name: p.attr("name").unwrap_or("").to_string(),
                        required: p.attr("required").is_some_and(crate::cib::is_true),
                        deprecated: p.child("deprecated").is_some()
                            || p.attr("deprecated").is_some_and(crate::cib::is_true),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let actions = root
            .child("actions")
            .map(|a| {
                a.children_named("action")
                    .map(|a| ActionMeta {
                        name: a.attr("name").unwrap_or("").to_string(),
                        role: a.attr("role").and_then(Role::parse),
                        timeout_ms: a.attr("timeout").and_then(parse_duration_ms),
                        interval_ms: a.attr("interval").and_then(parse_duration_ms),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(AgentMeta {
            name: root.attr("name").unwrap_or("").to_string(),
            deprecated: root.child("deprecated").is_some()
                || shortdesc.is_some_and(|s| s.contains("deprecated")),
            params,
            actions,
        })
    }

    pub fn param(&self, name: &str) -> Option<&ParamMeta> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The timeout the agent advises for `op` in `role`: the role's own action first, then
    /// the action without a role (as crmsh reads it).
    pub fn advised_timeout(&self, op: &str, role: Option<Role>) -> Option<u64> {
        let named = |r: Option<Role>| {
            self.actions
                .iter()
                .find(|a| a.name == op && a.role == r)
                .and_then(|a| a.timeout_ms)
        };
        role.and_then(|r| named(Some(r))).or_else(|| named(None))
    }
}

/// Where an agent's meta-data came from.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentInfo {
    /// Read from the agent installed on this node (its path).
    Installed { meta: AgentMeta, path: String },
    /// pgcrm's built-in knowledge of a well-known agent.
    BuiltIn(AgentMeta),
    /// This node has agents installed, but not this one.
    NotInstalled { path: String },
    /// Nothing known (not an OCF agent, or not a cluster node and no built-in knowledge).
    Unknown { reason: String },
}

impl AgentInfo {
    pub fn meta(&self) -> Option<&AgentMeta> {
        match self {
            AgentInfo::Installed { meta, .. } | AgentInfo::BuiltIn(meta) => Some(meta),
            _ => None,
        }
    }
}

/// What is known of each agent, by `class:provider:type`.
#[derive(Debug, Clone, Default)]
pub struct Agents {
    pub by_spec: BTreeMap<String, AgentInfo>,
}

impl Agents {
    /// Only the built-in knowledge: used when no agent can be run (and by the unit tests).
    pub fn builtin(cib: &Cib) -> Agents {
        let mut by_spec = BTreeMap::new();
        for p in placed(cib) {
            let spec = p.prim.agent();
            let info = match builtin(&spec) {
                Some(m) => AgentInfo::BuiltIn(m),
                None => AgentInfo::Unknown {
                    reason: "no agent meta-data available here".into(),
                },
            };
            by_spec.entry(spec).or_insert(info);
        }
        Agents { by_spec }
    }

    pub fn get(&self, spec: &str) -> Option<&AgentInfo> {
        self.by_spec.get(spec)
    }
}

/// An action of the built-in tables: name, role, advised timeout in seconds.
type BuiltinAction = (&'static str, Option<Role>, u64);

/// Built-in meta-data of the agents a PostgreSQL cluster typically uses, taken from
/// resource-agents 4.12 and Pacemaker 2.1.5 (`<agent> meta-data`). pgcrm's own agent,
/// `ocf:pgcrm:pgsql`, declares exactly the shell agent's parameters and timeouts.
pub fn builtin(spec: &str) -> Option<AgentMeta> {
    let (name, params, required, actions): (&str, &[&str], &[&str], &[BuiltinAction]) = match spec {
        "ocf:heartbeat:pgsql" | "ocf:pgcrm:pgsql" => ("pgsql", PGSQL_PARAMS, &[], PGSQL_ACTIONS),
        "ocf:heartbeat:pgsqlms" => ("pgsqlms", PAF_PARAMS, &[], PAF_ACTIONS),
        "ocf:heartbeat:IPaddr2" => ("IPaddr2", IPADDR2_PARAMS, &["ip"], IPADDR2_ACTIONS),
        "ocf:pacemaker:ping" => ("ping", PING_PARAMS, &["host_list"], PING_ACTIONS),
        _ => return None,
    };
    Some(AgentMeta {
        name: name.into(),
        deprecated: false,
        params: params
            .iter()
            .map(|p| ParamMeta {
                name: p.to_string(),
                required: required.contains(p),
                deprecated: false,
            })
            .collect(),
        actions: actions
            .iter()
            .map(|(n, role, t)| ActionMeta {
                name: n.to_string(),
                role: *role,
                timeout_ms: Some(t * 1000),
                interval_ms: None,
            })
            .collect(),
    })
}

/// The 32 parameters of `ocf:heartbeat:pgsql` 4.12 (anchors.md D.1.1), in meta-data order.
pub const PGSQL_PARAMS: &[&str] = &[
    "pgctl",
    "start_opt",
    "ctl_opt",
    "psql",
    "pgdata",
    "pgdba",
    "pghost",
    "pgport",
    "pglibs",
    "monitor_user",
    "monitor_password",
    "monitor_sql",
    "config",
    "pgdb",
    "logfile",
    "socketdir",
    "stop_escalate",
    "rep_mode",
    "node_list",
    "restore_command",
    "archive_cleanup_command",
    "recovery_end_command",
    "master_ip",
    "repuser",
    "primary_conninfo_opt",
    "restart_on_promote",
    "replication_slot_name",
    "tmpdir",
    "xlog_check_count",
    "crm_attr_timeout",
    "stop_escalate_in_slave",
    "check_wal_receiver",
];

/// The parameters replication needs; an agent without them is too old for streaming
/// replication (PG202).
pub const PGSQL_REPLICATION_PARAMS: &[&str] = &[
    "rep_mode",
    "node_list",
    "restore_command",
    "master_ip",
    "repuser",
    "primary_conninfo_opt",
];

const PGSQL_ACTIONS: &[BuiltinAction] = &[
    ("start", None, 120),
    ("stop", None, 120),
    ("status", None, 60),
    ("monitor", None, 30),
    ("monitor", Some(Role::Promoted), 30),
    ("promote", None, 120),
    ("demote", None, 120),
    ("notify", None, 90),
];

const PAF_PARAMS: &[&str] = &[
    "system_user",
    "bindir",
    "pgdata",
    "datadir",
    "pghost",
    "pgport",
    "maxlag",
    "recovery_template",
    "start_opts",
];

const PAF_ACTIONS: &[BuiltinAction] = &[
    ("start", None, 60),
    ("stop", None, 60),
    ("reload", None, 20),
    ("promote", None, 30),
    ("demote", None, 120),
    ("monitor", None, 10),
    ("monitor", Some(Role::Promoted), 10),
    ("monitor", Some(Role::Unpromoted), 10),
    ("notify", None, 60),
];

const IPADDR2_PARAMS: &[&str] = &[
    "ip",
    "nic",
    "cidr_netmask",
    "broadcast",
    "iflabel",
    "lvs_support",
    "lvs_ipv6_addrlabel",
    "lvs_ipv6_addrlabel_value",
    "mac",
    "clusterip_hash",
    "unique_clone_address",
    "arp_interval",
    "arp_count",
    "arp_count_refresh",
    "arp_bg",
    "arp_sender",
    "send_arp_opts",
    "flush_routes",
    "run_arping",
    "nodad",
    "noprefixroute",
    "preferred_lft",
    "network_namespace",
];

const IPADDR2_ACTIONS: &[BuiltinAction] = &[
    ("start", None, 20),
    ("stop", None, 20),
    ("monitor", None, 20),
];

const PING_PARAMS: &[&str] = &[
    "pidfile",
    "dampen",
    "name",
    "multiplier",
    "host_list",
    "attempts",
    "timeout",
    "options",
    "failure_score",
    "use_fping",
    "debug",
];

const PING_ACTIONS: &[BuiltinAction] = &[
    ("start", None, 60),
    ("stop", None, 20),
    ("monitor", None, 60),
];

/// PG201-PG206.
pub fn check(input: &Input, out: &mut Vec<Finding>) {
    let mut unknown_reported = std::collections::BTreeSet::new();
    for p in placed(input.cib) {
        let prim = p.prim;
        let spec = prim.agent();
        // Only OCF agents have meta-data with parameters; fencing devices are described by
        // the fencer, systemd and LSB services take no parameters.
        if prim.class != "ocf" {
            continue;
        }
        let Some(info) = input.agents.get(&spec) else {
            continue;
        };
        let meta = match info {
            AgentInfo::NotInstalled { path } => {
                out.push(Finding::new(
                    Severity::Warning,
                    "PG204",
                    &prim.id,
                    format!("{} uses agent {spec}, which is not installed on this node ({path} does not exist): its probes and starts fail with 'not installed' here.", prim.id),
                    format!("Install the package that provides {spec} on every node (e.g. apt-get install resource-agents), or correct the agent name."),
                ));
                continue;
            }
            AgentInfo::Unknown { reason } => {
                if unknown_reported.insert(spec.clone()) {
                    out.push(Finding::new(
                        Severity::Info,
                        "PG206",
                        &prim.id,
                        format!("The parameters and timeouts of {} ({spec}) were not checked: {reason}.", prim.id),
                        format!("Run pgcrm verify on a cluster node where {spec} is installed (or set OCF_ROOT)."),
                    ));
                }
                continue;
            }
            _ => info.meta().expect("installed or built-in"),
        };
        if meta.deprecated {
            out.push(Finding::new(
                Severity::Warning,
                "PG205",
                &prim.id,
                format!(
                    "{} uses {spec}, which its own meta-data says is deprecated.",
                    prim.id
                ),
                if prim.agent_type == "pingd" {
                    "Replace it with ocf:pacemaker:ping (same attribute, maintained).".to_string()
                } else {
                    format!("Replace {spec} with the agent its meta-data recommends.")
                },
            ));
        }
        let declared: Vec<&str> = meta.params.iter().map(|m| m.name.as_str()).collect();
        let set = prim.params.effective();
        let too_old = super::pg_agent(prim) == Some(PgAgent::Pgsql)
            && set.contains_key("rep_mode")
            && !declared.contains(&"rep_mode");
        for name in set.keys() {
            if declared.contains(name) {
                if meta.param(name).is_some_and(|m| m.deprecated) {
                    out.push(Finding::new(
                        Severity::Warning,
                        "PG205",
                        &prim.id,
                        format!("Parameter {name} of {} is deprecated by {spec}.", prim.id),
                        format!("See `crm_resource --show-metadata {spec}` for its replacement."),
                    ));
                }
                continue;
            }
            if too_old && PGSQL_REPLICATION_PARAMS.contains(name) {
                continue;
            }
            out.push(Finding::new(
                Severity::Warning,
                "PG201",
                &prim.id,
                format!("{} sets parameter {name}, which {spec} does not declare: the agent ignores it or fails with 'invalid parameter'.", prim.id),
                format!("Remove it with `crm_resource --resource {} --delete-parameter {name}` (or fix its spelling).", prim.id),
            ));
        }
        if too_old {
            out.push(Finding::new(
                Severity::Error,
                "PG202",
                &prim.id,
                format!("{} sets rep_mode but the installed {spec} does not know it: the agent runs every node as a stand-alone primary.", prim.id),
                "Install resource-agents >= 3.9.3 (or pgcrm's agent: ocf:pgcrm:pgsql) on every node before enabling replication.".to_string(),
            ));
        }
        for m in meta.params.iter().filter(|m| m.required) {
            if !set.contains_key(m.name.as_str()) {
                out.push(Finding::new(
                    Severity::Error,
                    "PG203",
                    &prim.id,
                    format!("{} does not set {}, which {spec} requires: it will not start.", prim.id, m.name),
                    format!("Set it: `crm_resource --resource {} --set-parameter {} --parameter-value VALUE`.", prim.id, m.name),
                ));
            }
        }
    }
}

/// The advised timeout of `op` for the agent of `spec`, when known, for the op rules.
pub fn advised(agents: &Agents, spec: &str, op: &str, role: Option<Role>) -> Option<(u64, bool)> {
    let info = agents.get(spec)?;
    let t = info.meta()?.advised_timeout(op, role)?;
    Some((t, matches!(info, AgentInfo::BuiltIn(_))))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn parses_installed_style_meta_data() {
        let meta = AgentMeta::parse(&read("agents/pgsql-old.xml")).unwrap();
        assert_eq!(meta.name, "pgsql");
        assert!(meta.param("rep_mode").is_none());
        assert_eq!(meta.advised_timeout("start", None), Some(120_000));
        assert_eq!(
            meta.advised_timeout("monitor", Some(Role::Promoted)),
            Some(30_000)
        );
        assert!(AgentMeta::parse("<foo/>").is_err());
        assert!(AgentMeta::parse("not xml").is_err());
    }

    #[test]
    fn builtin_pgsql_has_the_32_parameters() {
        let m = builtin("ocf:heartbeat:pgsql").unwrap();
        assert_eq!(m.params.len(), 32);
        assert_eq!(m.advised_timeout("notify", None), Some(90_000));
        assert_eq!(builtin("ocf:pgcrm:pgsql").unwrap().params.len(), 32);
    }

    #[test]
    fn pg201_undeclared_parameter() {
        assert!(has("undeclared-param.xml", "PG201"));
        assert!(!has("clean.xml", "PG201"));
    }

    #[test]
    fn pg203_required_parameter_missing() {
        assert!(has("vip-no-ip.xml", "PG203"));
        assert!(!has("clean.xml", "PG203"));
    }

    fn with_meta(cib: &Cib, spec: &str, info: AgentInfo) -> Vec<&'static str> {
        let mut agents = Agents::builtin(cib);
        agents.by_spec.insert(spec.into(), info);
        let mut v: Vec<_> = super::super::check(&Input {
            cib,
            agents: &agents,
            corosync: &[],
            live: None,
        })
        .into_iter()
        .map(|f| f.rule)
        .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The runbook's failure case: rep_mode on a pgsql agent from before replication.
    #[test]
    fn pg202_old_agent() {
        let cib = runbook();
        let old = AgentMeta::parse(&read("agents/pgsql-old.xml")).unwrap();
        let ids = with_meta(
            &cib,
            "ocf:heartbeat:pgsql",
            AgentInfo::Installed {
                meta: old.clone(),
                path: "x".into(),
            },
        );
        assert!(ids.contains(&"PG202"), "{ids:?}");
        assert!(!ids.contains(&"PG201"), "{ids:?}");
        let ids = with_meta(
            &cib,
            "ocf:heartbeat:pgsql",
            AgentInfo::BuiltIn(builtin("ocf:heartbeat:pgsql").unwrap()),
        );
        assert!(!ids.contains(&"PG202"));
    }

    /// The runbook's other failure case: `multiplier` on the old `ocf:pacemaker:pingd`.
    #[test]
    fn pg201_pingd_multiplier_and_pg205_deprecated() {
        let cib = cib("pingd-multiplier.xml");
        let meta = AgentMeta::parse(&read("agents/pingd-old.xml")).unwrap();
        let ids = with_meta(
            &cib,
            "ocf:pacemaker:pingd",
            AgentInfo::Installed {
                meta,
                path: "x".into(),
            },
        );
        assert!(ids.contains(&"PG201"), "{ids:?}");
        assert!(ids.contains(&"PG205"), "{ids:?}");
    }

    #[test]
    fn pg204_not_installed_and_pg206_unknown() {
        let cib = cib("pingd-multiplier.xml");
        let ids = with_meta(
            &cib,
            "ocf:pacemaker:pingd",
            AgentInfo::NotInstalled {
                path: "/usr/lib/ocf/resource.d/pacemaker/pingd".into(),
            },
        );
        assert!(ids.contains(&"PG204"), "{ids:?}");
        // Built-in knowledge has no pingd: unknown, reported as info.
        assert!(has("pingd-multiplier.xml", "PG206"));
        assert!(!has("clean.xml", "PG204"));
        assert!(!has("clean.xml", "PG206"));
    }
}
