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
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "generate-assets" -d 'Regenerate completions/ and man/ from these definitions (for maintainers)'
complete -c pgcrm -n "__fish_pgcrm_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l pg-timeout -d 'How long each node\'s PostgreSQL probe (connect and queries) may take: 2s, 500ms' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l config -d 'Config file with per-node conninfo ([nodes.NODE] conninfo = "host=... user=..."); read when it exists. Passwords: PGPASSWORD, ~/.pgpass (PGPASSFILE), or the conninfo' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l warn-lag -d 'Standby replay lag that is a WARNING: WAL bytes (16MB, 1GB) or time (30s, 2min)' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l crit-lag -d 'Standby replay lag that is CRITICAL: WAL bytes (1GB) or time (5min); none by default' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l warn-slot-wal -d 'WAL a replication slot may retain before it is a WARNING' -r
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -s A -l show-node-attributes -d 'Show node attributes (pgsql-status, master-pgsql...), like crm_mon -A'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -s f -l failcounts -d 'Show the migration summary with fail counts, like crm_mon -f'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -s r -l inactive -d 'Show inactive resources too, like crm_mon -r'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -s 1 -l one-shot -d 'Accepted for crm_mon muscle memory; pgcrm status always prints once'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l check -d 'Monitoring-plugin mode: print one line `PGCRM OK|WARNING|CRITICAL|UNKNOWN - summary | perfdata` and exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for any error, such as an unreadable cluster or a bad option)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -l no-pg -d 'Do not connect to PostgreSQL: Pacemaker\'s view only'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand completions" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand completions" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand generate-assets" -l cib-file -d 'Read the cluster from this saved CIB instead of the live cluster (like CIB_file=PATH)' -r -F
complete -c pgcrm -n "__fish_pgcrm_using_subcommand generate-assets" -l output -d 'Output format' -r -f -a "text\t'For people: crm_mon\'s layout plus tables'
json\t'For scripts: a stable, versioned JSON object (see docs/json.md)'"
complete -c pgcrm -n "__fish_pgcrm_using_subcommand generate-assets" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status completions generate-assets help" -f -a "status" -d 'Show the cluster as `crm_mon -1 -Afr` does, plus the PostgreSQL view'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status completions generate-assets help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status completions generate-assets help" -f -a "generate-assets" -d 'Regenerate completions/ and man/ from these definitions (for maintainers)'
complete -c pgcrm -n "__fish_pgcrm_using_subcommand help; and not __fish_seen_subcommand_from status completions generate-assets help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
