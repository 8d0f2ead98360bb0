#!/usr/bin/env bash
# Wall time of pgcrm against Pacemaker's tools on a live lab node (the same node, one after
# the other, hyperfine inside the node):
#   pgcrm status --no-pg --output json            vs  crm_mon -1 -Afr --output-as=xml
#     (Pacemaker's view only, as crm_mon shows it: live status also probes PostgreSQL,
#     which benches/status-with-probes.sh measures)
#   pgcrm attribute get pgsql-status -N node1 -l reboot
#                                                 vs  crm_attribute -G -q -N node1 -l reboot -n pgsql-status
# Prints the median wall time of each and the ratio (target: >= 5x), and the CPU time
# (user + system) of each process and its ratio. Uses the lab of PGCRM_LAB_ROOT
# (default /var/tmp/pgcrm-lab-bench); brings one up (2 nodes) and down again if none is
# healthy there. Needs root (the lab) and hyperfine.
# Usage: benches/live-vs-crm_mon.sh [RUNS]     (default 30 runs per command)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
export PGCRM_LAB_ROOT=${PGCRM_LAB_ROOT:-/var/tmp/pgcrm-lab-bench}
lab=tests/lab/pgcrm-lab
command -v hyperfine >/dev/null || { echo "live-vs-crm_mon: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }

cargo build --release --quiet
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin=$target/release/pgcrm
case $bin in /tmp/*) echo "live-vs-crm_mon: $bin is under /tmp, which lab nodes do not share" >&2; exit 1 ;; esac

started=""
if ! "$lab" summary 2>/dev/null | grep -q '^HEALTHY'; then
    "$lab" up --nodes 2 >&2
    started=1
fi
# the JSON files must be visible from the host: nodes have their own /tmp, not /var/tmp
work=$(mktemp -d -p /var/tmp pgcrm-bench.XXXXXX)
cleanup() {
    rm -rf "$work"
    if [ -n "$started" ]; then "$lab" down >&2; fi
}
trap cleanup EXIT

# pgcrm and the tool must say the same before their times mean anything
ours=$("$lab" exec node1 "$bin" attribute get pgsql-status -N node1 -l reboot)
theirs=$("$lab" exec node1 crm_attribute -G -q -N node1 -l reboot -n pgsql-status)
[ "$ours" = "$theirs" ] || { echo "live-vs-crm_mon: pgcrm says '$ours', crm_attribute '$theirs'" >&2; exit 1; }

# Median milliseconds of each command, run inside node1 without a shell in the way.
bench() {   # NAME OURS THEIRS
    local json=$work/$1.json
    "$lab" exec node1 hyperfine -N --warmup 3 --runs "$runs" --export-json "$json" "$2" "$3" >/dev/null 2>&1
    python3 - "$json" "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
ours, theirs = (x["median"] * 1000 for x in r)
# CPU: user + system of the process, mean over the runs (the daemons' share is not counted)
cpu_ours, cpu_theirs = ((x["user"] + x["system"]) * 1000 for x in r)
print("%-10s %12.2f %14.2f %8.1fx %11.2f %11.2f %8.1fx" % (
    sys.argv[2], ours, theirs, theirs / ours, cpu_ours, cpu_theirs, cpu_theirs / cpu_ours))
PY
}

nodes=$("$lab" exec node1 crm_node -l | wc -l)
echo "live lab: $nodes nodes, node1, $runs runs each (pacemaker $("$lab" exec node1 pacemakerd --version | head -1 | awk '{print $2}'))"
printf '%-10s %12s %14s %9s %11s %11s %9s\n' "read" "pgcrm (ms)" "the tool (ms)" "ratio" \
    "pgcrm CPU" "tool CPU" "CPU ratio"
bench status "$bin status --no-pg --output json" "crm_mon -1 -Afr --output-as=xml"
bench attribute "$bin attribute get pgsql-status -N node1 -l reboot" \
    "crm_attribute -G -q -N node1 -l reboot -n pgsql-status"
