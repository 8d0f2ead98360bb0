# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pgcrm_global_optspecs
    string join \n cib-file= output= h/help V/version
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
complete -c pgcrm -n "__fish_pgcrm_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -s V -l version -d 'Print version'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "status" -d 'Show the cluster as `crm_mon -1 -Afr` does, plus the PostgreSQL view'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "config" -d 'The configuration in crm shell syntax: show, check, load (plan), init'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "verify" -d 'Review the configuration as an expert would: fencing, timeouts, agents, replication'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "generate-assets" -d 'Regenerate completions/ and man/ from these definitions (for maintainers)'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -s A -l show-node-attributes -d 'Show node attributes (pgsql-status, master-pgsql...), like crm_mon -A'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -s f -l failcounts -d 'Show the migration summary with fail counts, like crm_mon -f'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -s r -l inactive -d 'Show inactive resources too, like crm_mon -r'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -s 1 -l one-shot -d 'Accepted for crm_mon muscle memory; pgcrm status always prints once'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -f -a "show" -d 'Print the configuration as `crm configure show` does (roles as Promoted/Unpromoted)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -f -a "check" -d 'Parse a crm file and translate it to CIB XML on its own; print what it defines'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -f -a "load" -d 'Show what loading a crm file would change in the CIB, as a diff of the XML'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -f -a "init" -d 'Generate the runbook\'s whole configuration (pgsql.crm) for your nodes and addresses'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and not __fish_seen_subcommand_from show check load init help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from show" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from show" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from show" -l xml -d 'Print the CIB XML instead of crm syntax'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from check" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from check" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from check" -l xml -d 'Also print the XML it translates to'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from load" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from load" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from load" -l replace -d 'Make the configuration exactly the file (crm configure load replace)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from load" -l dry-run -d 'Only show the change; required until the CIB write path exists'
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
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l agent -d 'Resource agent for PostgreSQL: the runbook\'s ocf:heartbeat:pgsql, or pgcrm\'s ocf:pgcrm:pgsql' -r -f -a "heartbeat\t''
pgcrm\t''"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l cluster-name -d 'Cluster name' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l corosync -d 'Also print a matching corosync.conf (after the crm text, separated by a comment line)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -l no-input -d 'Never ask, even on a terminal'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the configuration as `crm configure show` does (roles as Promoted/Unpromoted)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "check" -d 'Parse a crm file and translate it to CIB XML on its own; print what it defines'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "load" -d 'Show what loading a crm file would change in the CIB, as a diff of the XML'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "init" -d 'Generate the runbook\'s whole configuration (pgsql.crm) for your nodes and addresses'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -l corosync-conf -d 'This cluster\'s corosync.conf; repeat to add other clusters\' files, which are compared for a shared multicast address. Default: /etc/corosync/corosync.conf when it is readable and the CIB is the live cluster\'s (a saved CIB may come from elsewhere)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -l ocf-root -d 'Where the OCF agents are installed' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -l strict -d 'Exit 1 when warnings are found (errors always exit 78)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -l no-agents -d 'Do not run the installed agents\' meta-data; use pgcrm\'s built-in knowledge of ocf:heartbeat:pgsql, ocf:pgcrm:pgsql, pgsqlms, IPaddr2 and ping only'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand completions" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand completions" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand generate-assets" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand generate-assets" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand generate-assets" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify completions generate-assets help" -f -a "status" -d 'Show the cluster as `crm_mon -1 -Afr` does, plus the PostgreSQL view'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify completions generate-assets help" -f -a "config" -d 'The configuration in crm shell syntax: show, check, load (plan), init'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify completions generate-assets help" -f -a "verify" -d 'Review the configuration as an expert would: fencing, timeouts, agents, replication'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify completions generate-assets help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify completions generate-assets help" -f -a "generate-assets" -d 'Regenerate completions/ and man/ from these definitions (for maintainers)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status config verify completions generate-assets help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print the configuration as `crm configure show` does (roles as Promoted/Unpromoted)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "check" -d 'Parse a crm file and translate it to CIB XML on its own; print what it defines'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "load" -d 'Show what loading a crm file would change in the CIB, as a diff of the XML'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "init" -d 'Generate the runbook\'s whole configuration (pgsql.crm) for your nodes and addresses'
