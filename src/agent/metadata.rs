//! The agent's `meta-data` (OCF 1.1 XML) and `methods` output. Parameter names, types and
//! defaults are those of `ocf:heartbeat:pgsql` (the table in `params`); the actions add
//! `reload`, which the shell agent lacks. Pure text; nothing here touches the system.

use super::params::{Env, PARAMS};
use crate::cib::xml::escape;

/// The actions `methods` lists and the meta-data declares.
pub const METHODS: &[&str] = &[
    "start",
    "stop",
    "status",
    "monitor",
    "promote",
    "demote",
    "notify",
    "reload",
    "methods",
    "meta-data",
    "validate-all",
];

/// The meta-data XML. `config`'s default follows `pgdata` as the shell agent's does.
pub fn meta_data(env: &Env) -> String {
    let mut out = String::new();
    out.push_str(
        r#"<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="pgsql" version="1.0">
<version>1.1</version>
<longdesc lang="en">
PostgreSQL with streaming replication, by pgcrm: a drop-in successor of ocf:heartbeat:pgsql
with the same parameters and the same node attributes (pgsql-status, pgsql-data-status,
master-pgsql, pgsql-xlog-loc, pgsql-master-baseline) and PGSQL.lock. It runs no program in
a monitor: node attributes go to pacemaker-attrd and the CIB over Pacemaker's IPC, the server
is queried over its socket, WAL positions are compared as numbers after timelines (a node
whose timeline forked away is never promoted), and every wait is bounded by the operation's
timeout.
</longdesc>
<shortdesc lang="en">PostgreSQL with streaming replication (pgcrm)</shortdesc>
<parameters>
"#,
    );
    for spec in PARAMS {
        let default = if spec.name == "config" {
            let pgdata = env.reskey("pgdata").unwrap_or("/var/lib/pgsql/data");
            format!("{pgdata}/postgresql.conf")
        } else {
            spec.default.to_string()
        };
        out.push_str(&format!(
            "<parameter name=\"{}\" unique=\"0\" required=\"0\">\n<longdesc lang=\"en\">{}</longdesc>\n<shortdesc lang=\"en\">{}</shortdesc>\n<content type=\"{}\" default=\"{}\" />\n</parameter>\n",
            spec.name,
            escape(spec.longdesc),
            escape(spec.shortdesc),
            spec.kind,
            escape(&default)
        ));
    }
    out.push_str(
        r#"</parameters>
<actions>
<action name="start" timeout="120s" />
<action name="stop" timeout="120s" />
<action name="status" timeout="60s" />
<action name="monitor" depth="0" timeout="30s" interval="30s" />
<action name="monitor" depth="0" timeout="30s" interval="29s" role="Promoted" />
<action name="promote" timeout="120s" />
<action name="demote" timeout="120s" />
<action name="notify" timeout="90s" />
<action name="reload" timeout="5s" />
<action name="meta-data" timeout="5s" />
<action name="validate-all" timeout="5s" />
<action name="methods" timeout="5s" />
</actions>
</resource-agent>
"#,
    );
    out
}

/// The `methods` output: one action a line.
pub fn methods() -> String {
    METHODS.iter().map(|m| format!("{m}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_with_every_parameter() {
        let xml = meta_data(&Env::default());
        let doc = crate::cib::xml::Element::parse(&xml).expect("meta-data is XML");
        let params: Vec<_> = doc
            .child("parameters")
            .unwrap()
            .children_named("parameter")
            .map(|p| p.attr("name").unwrap().to_string())
            .collect();
        assert_eq!(params.len(), 32);
        assert_eq!(params[0], "pgctl");
        assert_eq!(params[31], "check_wal_receiver");
        assert!(xml.contains(r#"default="select now();""#));
        assert!(methods().contains("reload\n"));
    }
}
