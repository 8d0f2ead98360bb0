# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pgcrm_global_optspecs
    string join \n cib-file= output= timeout= h/help V/version
end

function __fish_pgcrm_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_pgcrm_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_pgcrm_using_subcommand
    set -l cmd (__fish_pgcrm_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c pgcrm -n "__fish_pgcrm_needs_command" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_needs_command" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_needs_command" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -s V -l version -d 'Print version'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "status" -d 'Show the cluster as `crm_mon -1 -Afr` does, plus the PostgreSQL view'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "config" -d 'The configuration in crm shell syntax: show, check, load (plan), init'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "verify" -d 'Review the configuration as an expert would: fencing, timeouts, agents, replication'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "resource" -d 'Resources: list, locate, move, ban, clear, start, stop, manage, unmanage, cleanup, refresh, delete'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "failcount" -d 'Fail counts per resource, node and operation: show, set, delete'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "node" -d 'Nodes: list, standby, online, maintenance, delete'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "maintenance" -d 'Cluster-wide maintenance mode on or off (maintenance-mode property)'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "attribute" -d 'Read one cluster property or node attribute (like crm_attribute -G)'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "rebuild-standby" -d 'Bring a failed old primary back as a streaming standby, in one resumable run'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l pg-timeout -d 'How long each node\'s PostgreSQL probe (connect and queries) may take: 2s, 500ms' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l config -d 'Config file with per-node conninfo ([nodes.NODE] conninfo = "host=... user=..."); read when it exists. Passwords: PGPASSWORD, ~/.pgpass (PGPASSFILE), or the conninfo' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l warn-lag -d 'Standby replay lag that is a WARNING: WAL bytes (16MB, 1GB) or time (30s, 2min)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l crit-lag -d 'Standby replay lag that is CRITICAL: WAL bytes (1GB) or time (5min); none by default' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l interval -d 'With --watch: how often PostgreSQL is probed again when the CIB does not change' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l warn-slot-wal -d 'WAL a replication slot may retain before it is a WARNING' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -s A -l show-node-attributes -d 'Show node attributes (pgsql-status, master-pgsql...), like crm_mon -A'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -s f -l failcounts -d 'Show the migration summary with fail counts, like crm_mon -f'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -s r -l inactive -d 'Show inactive resources too, like crm_mon -r'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -s 1 -l one-shot -d 'Accepted for crm_mon muscle memory; pgcrm status always prints once'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l check -d 'Monitoring-plugin mode: print one line `PGCRM OK|WARNING|CRITICAL|UNKNOWN - summary | perfdata` and exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for any error, such as an unreadable cluster or a bad option)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l no-pg -d 'Do not connect to PostgreSQL: Pacemaker\'s view only'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l watch -d 'Keep running: redraw when the CIB changes (Pacemaker\'s change notifications) and every --interval (PostgreSQL\'s facts); Ctrl-C quits with exit 0. On a terminal the report is redrawn in place; otherwise it is printed again, after a blank line, only when it changed (for a log). Needs the live cluster; text output only'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -f -a "show" -d 'Print the configuration as `crm configure show` does (roles as Promoted/Unpromoted)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -f -a "check" -d 'Parse a crm file and translate it to CIB XML on its own; print what it defines'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -f -a "load" -d 'Load a crm file into the configuration, as one CIB change'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -f -a "init" -d 'Generate the runbook\'s whole configuration (pgsql.crm) for your nodes and addresses'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from show" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from show" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from show" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from show" -l xml -d 'Print the CIB XML instead of crm syntax'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from check" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from check" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from check" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from check" -l xml -d 'Also print the XML it translates to'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from load" -l ocf-root -d 'Where the OCF agents are installed' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from load" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from load" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from load" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from load" -l replace -d 'Make the configuration exactly the file (crm configure load replace)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from load" -l force -d 'Load even when the resulting configuration has errors (each one is named)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from load" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from load" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from load" -l no-agents -d 'Do not run the installed agents\' meta-data for the checks (built-in knowledge only)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from load" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l node -d 'A node and its corosync ring address, e.g. node1=192.168.1.1 (repeat per node)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l write-vip -d 'The writable VIP on the primary (vip-master)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l read-vip -d 'The read-only VIP on the synchronous standby (vip-slave)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l rep-vip -d 'The replication VIP standbys connect to (vip-rep, the agent\'s master_ip)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l nic -d 'Interface of the write and read VIPs' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l rep-nic -d 'Interface of the replication VIP (default: --nic)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l netmask -d 'Prefix length of the VIPs' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l ping -d 'Address the ping resource checks (usually the gateway)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l pgdata -d 'PostgreSQL data directory' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l bindir -d 'Directory holding pg_ctl and psql' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l rep-mode -d 'Replication mode' -r -f -a "sync\t''
async\t''"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l archive -d 'WAL archive directory for restore_command (none by default)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l pgsql-param -d 'Another parameter of the PostgreSQL resource, e.g. tmpdir=/var/lib/pgsql/tmp or start_opt="-p 5433" (repeat for more)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l agent -d 'Resource agent for PostgreSQL: the runbook\'s ocf:heartbeat:pgsql, or pgcrm\'s ocf:pgcrm:pgsql' -r -f -a "heartbeat\t''
pgcrm\t''"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l cluster-name -d 'Cluster name' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l corosync -d 'Also print a matching corosync.conf (after the crm text, separated by a comment line)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l no-input -d 'Never ask, even on a terminal'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the configuration as `crm configure show` does (roles as Promoted/Unpromoted)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "check" -d 'Parse a crm file and translate it to CIB XML on its own; print what it defines'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "load" -d 'Load a crm file into the configuration, as one CIB change'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "init" -d 'Generate the runbook\'s whole configuration (pgsql.crm) for your nodes and addresses'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -l corosync-conf -d 'This cluster\'s corosync.conf; repeat to add other clusters\' files, which are compared for a shared multicast address. Default: /etc/corosync/corosync.conf when it is readable and the CIB is the live cluster\'s (a saved CIB may come from elsewhere)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -l ocf-root -d 'Where the OCF agents are installed' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -l pg-timeout -d 'With --live: how long each node\'s PostgreSQL (connect and query) may take' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -l config -d 'With --live: config file with per-node conninfo ([nodes.NODE] conninfo = "..."); read when it exists' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -l strict -d 'Exit 1 when warnings are found (errors always exit 78)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -l no-agents -d 'Do not run the installed agents\' meta-data; use pgcrm\'s built-in knowledge of ocf:heartbeat:pgsql, ocf:pgcrm:pgsql, pgsqlms, IPaddr2 and ping only'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -l live -d 'Also check each node\'s PostgreSQL (PG701-PG710): wal_level, hot_standby, max_wal_senders, where synchronous_standby_names comes from, archiving, slots, and the agent\'s PGSQL.lock on this node. Servers are reached as `pgcrm status` reaches them'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -f -a "list" -d 'List every resource and where it runs, like crm_resource --list'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -f -a "locate" -d 'Show the nodes where a resource is active, like crm_resource --locate'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -f -a "constraints" -d 'List the cli-prefer/cli-ban constraints that move and ban commands left, with lifetime and "expired but present"'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -f -a "move" -d 'Move a resource to a node; a promotable clone moves its Promoted role (a switchover)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -f -a "ban" -d 'Keep a resource off a node (cli-ban-RSC-on-NODE, score -INFINITY)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -f -a "clear" -d 'Remove the cli-prefer/cli-ban constraints of a resource, listing each'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -f -a "start" -d 'Let the cluster start a resource (removes target-role=Stopped, like crm_resource -v started)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -f -a "stop" -d 'Stop a resource (meta target-role=Stopped)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -f -a "manage" -d 'Let the cluster manage a resource again (removes is-managed=false)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -f -a "unmanage" -d 'Stop the cluster from acting on a resource (meta is-managed=false)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -f -a "cleanup" -d 'Clear failures: fail counts, last-failure times and failed operations, like crm_resource --cleanup'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -f -a "refresh" -d 'Forget the operation history and re-probe, like crm_resource --refresh (fail counts are cleared too)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -f -a "delete" -d 'Delete a resource and the constraints that reference it, listing them'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and not __fish_seen_subcommand_from list locate constraints move ban clear start stop manage unmanage cleanup refresh delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from list" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from list" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from list" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from locate" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from locate" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from locate" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from locate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from constraints" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from constraints" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from constraints" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from constraints" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from move" -s N -l to -d 'The node to move to' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from move" -s u -l lifetime -d 'How long the constraint lasts: ISO 8601 (PT5M) or 5m, 2h' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from move" -l role -d 'The role to move (default: promoted for a promotable clone, else started)' -r -f -a "started\t'Any active role (for a promotable clone: the instance, not the primary)'
promoted\t'The Promoted role of a promotable clone (the primary)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from move" -l wait -d 'Wait until the cluster reaches the requested state (default on the live cluster), at most DURATION (e.g. 90s, 5m; default 2m); exit 124 on timeout, 113 when the cluster settled elsewhere' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from move" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from move" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from move" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from move" -l force -d 'Move even when the target fails a pre-check (the message says what risk it takes)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from move" -l keep-constraint -d 'Keep the cli-prefer constraint after a successful --wait'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from move" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from move" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from move" -l no-wait -d 'Return as soon as the change is applied'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from move" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from ban" -s u -l lifetime -d 'How long the ban lasts: ISO 8601 (PT5M) or 5m, 2h' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from ban" -l role -d 'Ban only this role (promoted: the node may still run a standby)' -r -f -a "started\t'Any active role (for a promotable clone: the instance, not the primary)'
promoted\t'The Promoted role of a promotable clone (the primary)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from ban" -l wait -d 'Wait until the cluster reaches the requested state (default on the live cluster), at most DURATION (e.g. 90s, 5m; default 2m); exit 124 on timeout, 113 when the cluster settled elsewhere' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from ban" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from ban" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from ban" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from ban" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from ban" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from ban" -l no-wait -d 'Return as soon as the change is applied'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from ban" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from clear" -s N -l node -d 'Only those naming this node' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from clear" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from clear" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from clear" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from clear" -l expired -d 'Only those whose lifetime has ended'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from clear" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from clear" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from clear" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from start" -l wait -d 'Wait until the cluster reaches the requested state (default on the live cluster), at most DURATION (e.g. 90s, 5m; default 2m); exit 124 on timeout, 113 when the cluster settled elsewhere' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from start" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from start" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from start" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from start" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from start" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from start" -l no-wait -d 'Return as soon as the change is applied'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from stop" -l wait -d 'Wait until the cluster reaches the requested state (default on the live cluster), at most DURATION (e.g. 90s, 5m; default 2m); exit 124 on timeout, 113 when the cluster settled elsewhere' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from stop" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from stop" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from stop" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from stop" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from stop" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from stop" -l no-wait -d 'Return as soon as the change is applied'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from stop" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from manage" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from manage" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from manage" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from manage" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from manage" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from manage" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from unmanage" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from unmanage" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from unmanage" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from unmanage" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from unmanage" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from unmanage" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from cleanup" -s N -l node -d 'Only on this node' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from cleanup" -s n -l operation -d 'Only the failures of this operation (e.g. monitor, start)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from cleanup" -s I -l interval -d 'With --operation: its interval (10s, 10000ms, PT10S; default 0 = one-shot)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from cleanup" -l wait -d 'Wait until the cluster reaches the requested state (default on the live cluster), at most DURATION (e.g. 90s, 5m; default 2m); exit 124 on timeout, 113 when the cluster settled elsewhere' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from cleanup" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from cleanup" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from cleanup" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from cleanup" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from cleanup" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from cleanup" -l no-wait -d 'Return as soon as the change is applied'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from cleanup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from refresh" -s N -l node -d 'Only on this node' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from refresh" -l wait -d 'Wait until the cluster reaches the requested state (default on the live cluster), at most DURATION (e.g. 90s, 5m; default 2m); exit 124 on timeout, 113 when the cluster settled elsewhere' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from refresh" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from refresh" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from refresh" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from refresh" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from refresh" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from refresh" -l no-wait -d 'Return as soon as the change is applied'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from refresh" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from delete" -l wait -d 'Wait until the cluster reaches the requested state (default on the live cluster), at most DURATION (e.g. 90s, 5m; default 2m); exit 124 on timeout, 113 when the cluster settled elsewhere' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from delete" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from delete" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from delete" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from delete" -l force -d 'Stop the resource first and wait for it (on the live cluster)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from delete" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from delete" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from delete" -l no-wait -d 'Return as soon as the change is applied'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from help" -f -a "list" -d 'List every resource and where it runs, like crm_resource --list'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from help" -f -a "locate" -d 'Show the nodes where a resource is active, like crm_resource --locate'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from help" -f -a "constraints" -d 'List the cli-prefer/cli-ban constraints that move and ban commands left, with lifetime and "expired but present"'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from help" -f -a "move" -d 'Move a resource to a node; a promotable clone moves its Promoted role (a switchover)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from help" -f -a "ban" -d 'Keep a resource off a node (cli-ban-RSC-on-NODE, score -INFINITY)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from help" -f -a "clear" -d 'Remove the cli-prefer/cli-ban constraints of a resource, listing each'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from help" -f -a "start" -d 'Let the cluster start a resource (removes target-role=Stopped, like crm_resource -v started)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from help" -f -a "stop" -d 'Stop a resource (meta target-role=Stopped)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from help" -f -a "manage" -d 'Let the cluster manage a resource again (removes is-managed=false)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from help" -f -a "unmanage" -d 'Stop the cluster from acting on a resource (meta is-managed=false)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from help" -f -a "cleanup" -d 'Clear failures: fail counts, last-failure times and failed operations, like crm_resource --cleanup'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from help" -f -a "refresh" -d 'Forget the operation history and re-probe, like crm_resource --refresh (fail counts are cleared too)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a resource and the constraints that reference it, listing them'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand resource; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and not __fish_seen_subcommand_from show set delete help" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and not __fish_seen_subcommand_from show set delete help" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and not __fish_seen_subcommand_from show set delete help" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and not __fish_seen_subcommand_from show set delete help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and not __fish_seen_subcommand_from show set delete help" -f -a "show" -d 'List fail counts, one line per resource, node, operation and interval'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and not __fish_seen_subcommand_from show set delete help" -f -a "set" -d 'Set a fail count (e.g. INFINITY to keep a resource off a node until cleanup)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and not __fish_seen_subcommand_from show set delete help" -f -a "delete" -d 'Delete a resource\'s fail counts on a node, with its failed operations, like crm_failcount -D (= resource cleanup RSC --node NODE)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and not __fish_seen_subcommand_from show set delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from show" -s N -l node -d 'Only on this node' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from show" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from show" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from show" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from set" -s n -l operation -d 'The operation (e.g. monitor, start)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from set" -s I -l interval -d 'Its interval (10s, 10000ms, PT10S; default 0 = one-shot)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from set" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from set" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from set" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from set" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from set" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from delete" -s n -l operation -d 'Only this operation (e.g. monitor)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from delete" -s I -l interval -d 'Its interval (10s, 10000ms, PT10S; default 0)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from delete" -l wait -d 'Wait until the cluster reaches the requested state (default on the live cluster), at most DURATION (e.g. 90s, 5m; default 2m); exit 124 on timeout, 113 when the cluster settled elsewhere' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from delete" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from delete" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from delete" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from delete" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from delete" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from delete" -l no-wait -d 'Return as soon as the change is applied'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from help" -f -a "show" -d 'List fail counts, one line per resource, node, operation and interval'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set a fail count (e.g. INFINITY to keep a resource off a node until cleanup)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a resource\'s fail counts on a node, with its failed operations, like crm_failcount -D (= resource cleanup RSC --node NODE)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand failcount; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and not __fish_seen_subcommand_from list standby online maintenance delete help" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and not __fish_seen_subcommand_from list standby online maintenance delete help" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and not __fish_seen_subcommand_from list standby online maintenance delete help" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and not __fish_seen_subcommand_from list standby online maintenance delete help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and not __fish_seen_subcommand_from list standby online maintenance delete help" -f -a "list" -d 'List the nodes: state, DC, resources running, roles of promotable clones'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and not __fish_seen_subcommand_from list standby online maintenance delete help" -f -a "standby" -d 'Put a node in standby: every resource on it stops or moves away'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and not __fish_seen_subcommand_from list standby online maintenance delete help" -f -a "online" -d 'Take a node out of standby (either lifetime)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and not __fish_seen_subcommand_from list standby online maintenance delete help" -f -a "maintenance" -d 'Put a node in maintenance (its resources keep running, unmonitored) or take it out'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and not __fish_seen_subcommand_from list standby online maintenance delete help" -f -a "delete" -d 'Remove a node from the configuration and status, like crm node delete'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and not __fish_seen_subcommand_from list standby online maintenance delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from list" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from list" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from list" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from standby" -l lifetime -d 'How long: reboot (transient) or forever (default, like crm node standby)' -r -f -a "reboot\t'Until the node restarts (a transient node attribute)'
forever\t'Until `pgcrm node online` (in the configuration)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from standby" -l wait -d 'Wait until the cluster reaches the requested state (default on the live cluster), at most DURATION (e.g. 90s, 5m; default 2m); exit 124 on timeout, 113 when the cluster settled elsewhere' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from standby" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from standby" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from standby" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from standby" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from standby" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from standby" -l no-wait -d 'Return as soon as the change is applied'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from standby" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from online" -l wait -d 'Wait until the cluster reaches the requested state (default on the live cluster), at most DURATION (e.g. 90s, 5m; default 2m); exit 124 on timeout, 113 when the cluster settled elsewhere' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from online" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from online" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from online" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from online" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from online" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from online" -l no-wait -d 'Return as soon as the change is applied'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from online" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from maintenance" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from maintenance" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from maintenance" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from maintenance" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from maintenance" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from maintenance" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from delete" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from delete" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from delete" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from delete" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from delete" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the nodes: state, DC, resources running, roles of promotable clones'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "standby" -d 'Put a node in standby: every resource on it stops or moves away'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "online" -d 'Take a node out of standby (either lifetime)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "maintenance" -d 'Put a node in maintenance (its resources keep running, unmonitored) or take it out'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Remove a node from the configuration and status, like crm node delete'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand maintenance" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand maintenance" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand maintenance" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand maintenance" -l dry-run -d 'Print the exact CIB change as a diff and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand maintenance" -s y -l yes -d 'Confirm a risky change without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand maintenance" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand attribute; and not __fish_seen_subcommand_from get help" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand attribute; and not __fish_seen_subcommand_from get help" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand attribute; and not __fish_seen_subcommand_from get help" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand attribute; and not __fish_seen_subcommand_from get help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand attribute; and not __fish_seen_subcommand_from get help" -f -a "get" -d 'Print one attribute\'s value (like crm_attribute -G -q); exit 105 when it is not set'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand attribute; and not __fish_seen_subcommand_from get help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand attribute; and __fish_seen_subcommand_from get" -s N -l node -d 'The node whose attribute to read (default: read a cluster property)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand attribute; and __fish_seen_subcommand_from get" -s l -l lifetime -d 'reboot: transient (status section); forever: permanent (nodes section). Needs --node' -r -f -a "reboot\t'Until the node leaves the cluster (status section; what attrd_updater sets)'
forever\t'Permanent (configuration\'s nodes section)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand attribute; and __fish_seen_subcommand_from get" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand attribute; and __fish_seen_subcommand_from get" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand attribute; and __fish_seen_subcommand_from get" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand attribute; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand attribute; and __fish_seen_subcommand_from help" -f -a "get" -d 'Print one attribute\'s value (like crm_attribute -G -q); exit 105 when it is not set'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand attribute; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand rebuild-standby" -l method -d 'How to copy the data' -r -f -a "auto\t'pg_rewind when the data directory allows it (wal_log_hints or data checksums), else pg_basebackup'
rewind\t'pg_rewind from the primary, in place (the old data is not kept)'
basebackup\t'pg_basebackup from the replication VIP into a new directory (the old one kept renamed)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand rebuild-standby" -l max-rate -d 'Limit pg_basebackup\'s transfer rate (kB/s, or with k or M: 50M)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand rebuild-standby" -l wait -d 'How long to wait for NODE to stream at the end (e.g. 90s, 5m)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand rebuild-standby" -l pg-timeout -d 'How long connecting to the primary\'s PostgreSQL may take for the plan' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand rebuild-standby" -l config -d 'Config file with per-node conninfo (as for pgcrm status)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand rebuild-standby" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand rebuild-standby" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand rebuild-standby" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand rebuild-standby" -l discard-old -d 'Delete the old data directory at the end instead of keeping it renamed'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand rebuild-standby" -l dry-run -d 'Print the plan and change nothing'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand rebuild-standby" -s y -l yes -d 'Run without asking (needed when stdin is not a terminal)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand rebuild-standby" -l no-wait -d 'Return once NODE is handed back to Pacemaker, without waiting for it to stream'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand rebuild-standby" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand completions" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand completions" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand completions" -l timeout -d 'How long to wait for the cluster\'s daemons, in seconds, before giving up with exit 124' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify resource failcount node maintenance attribute rebuild-standby completions help" -f -a "status" -d 'Show the cluster as `crm_mon -1 -Afr` does, plus the PostgreSQL view'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify resource failcount node maintenance attribute rebuild-standby completions help" -f -a "config" -d 'The configuration in crm shell syntax: show, check, load (plan), init'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify resource failcount node maintenance attribute rebuild-standby completions help" -f -a "verify" -d 'Review the configuration as an expert would: fencing, timeouts, agents, replication'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify resource failcount node maintenance attribute rebuild-standby completions help" -f -a "resource" -d 'Resources: list, locate, move, ban, clear, start, stop, manage, unmanage, cleanup, refresh, delete'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify resource failcount node maintenance attribute rebuild-standby completions help" -f -a "failcount" -d 'Fail counts per resource, node and operation: show, set, delete'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify resource failcount node maintenance attribute rebuild-standby completions help" -f -a "node" -d 'Nodes: list, standby, online, maintenance, delete'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify resource failcount node maintenance attribute rebuild-standby completions help" -f -a "maintenance" -d 'Cluster-wide maintenance mode on or off (maintenance-mode property)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify resource failcount node maintenance attribute rebuild-standby completions help" -f -a "attribute" -d 'Read one cluster property or node attribute (like crm_attribute -G)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify resource failcount node maintenance attribute rebuild-standby completions help" -f -a "rebuild-standby" -d 'Bring a failed old primary back as a streaming standby, in one resumable run'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify resource failcount node maintenance attribute rebuild-standby completions help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify resource failcount node maintenance attribute rebuild-standby completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print the configuration as `crm configure show` does (roles as Promoted/Unpromoted)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "check" -d 'Parse a crm file and translate it to CIB XML on its own; print what it defines'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "load" -d 'Load a crm file into the configuration, as one CIB change'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "init" -d 'Generate the runbook\'s whole configuration (pgsql.crm) for your nodes and addresses'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from resource" -f -a "list" -d 'List every resource and where it runs, like crm_resource --list'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from resource" -f -a "locate" -d 'Show the nodes where a resource is active, like crm_resource --locate'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from resource" -f -a "constraints" -d 'List the cli-prefer/cli-ban constraints that move and ban commands left, with lifetime and "expired but present"'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from resource" -f -a "move" -d 'Move a resource to a node; a promotable clone moves its Promoted role (a switchover)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from resource" -f -a "ban" -d 'Keep a resource off a node (cli-ban-RSC-on-NODE, score -INFINITY)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from resource" -f -a "clear" -d 'Remove the cli-prefer/cli-ban constraints of a resource, listing each'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from resource" -f -a "start" -d 'Let the cluster start a resource (removes target-role=Stopped, like crm_resource -v started)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from resource" -f -a "stop" -d 'Stop a resource (meta target-role=Stopped)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from resource" -f -a "manage" -d 'Let the cluster manage a resource again (removes is-managed=false)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from resource" -f -a "unmanage" -d 'Stop the cluster from acting on a resource (meta is-managed=false)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from resource" -f -a "cleanup" -d 'Clear failures: fail counts, last-failure times and failed operations, like crm_resource --cleanup'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from resource" -f -a "refresh" -d 'Forget the operation history and re-probe, like crm_resource --refresh (fail counts are cleared too)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from resource" -f -a "delete" -d 'Delete a resource and the constraints that reference it, listing them'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from failcount" -f -a "show" -d 'List fail counts, one line per resource, node, operation and interval'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from failcount" -f -a "set" -d 'Set a fail count (e.g. INFINITY to keep a resource off a node until cleanup)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from failcount" -f -a "delete" -d 'Delete a resource\'s fail counts on a node, with its failed operations, like crm_failcount -D (= resource cleanup RSC --node NODE)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "list" -d 'List the nodes: state, DC, resources running, roles of promotable clones'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "standby" -d 'Put a node in standby: every resource on it stops or moves away'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "online" -d 'Take a node out of standby (either lifetime)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "maintenance" -d 'Put a node in maintenance (its resources keep running, unmonitored) or take it out'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "delete" -d 'Remove a node from the configuration and status, like crm node delete'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from attribute" -f -a "get" -d 'Print one attribute\'s value (like crm_attribute -G -q); exit 105 when it is not set'
