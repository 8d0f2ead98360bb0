#!/usr/bin/env bash
# One `monitor` of ocf:heartbeat:pgsql against one of `pgcrm agent` (ocf:pgcrm:pgsql), on the
# same servers of a 2-node lab (primary on node1 with Pacemaker's 2 s interval, hot standby on
# node2 with 7 s), with the environment Pacemaker 2.1 passes (instance parameters from the
# CIB, OCF_RESKEY_crm_feature_set, CRM_meta_*). Prints, per role and agent, the median wall
# time, the mean CPU (user+sys of the agent and every program it runs) and the programs
# executed, then the ratios (issue 6 targets: >= 50x less CPU, no program run by a monitor).
# The failover times of both agents are printed by the lab drills (cargo test --test lab_drills).
# Usage (as root): benches/agent-vs-pgsql.sh [RUNS]     (default 20)
# PGCRM_BIN=path/to/release/pgcrm measures a release build (default: the debug build).
# Uses PGCRM_LAB_ROOT (default /var/tmp/pgcrm-bench-agent); brings a lab up with --agent pgcrm
# if none is running there and takes it down again at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
export PGCRM_LAB_ROOT=${PGCRM_LAB_ROOT:-/var/tmp/pgcrm-bench-agent}
lab=tests/lab/pgcrm-lab
cargo build --quiet
own_lab=0
if ! "$lab" summary >/dev/null 2>&1; then
    "$lab" up --nodes 2 --agent pgcrm >&2
    own_lab=1
fi
[ "$own_lab" = 0 ] || trap '"$lab" down >&2' EXIT
"$lab" cib-dump "$PGCRM_LAB_ROOT/bench-cib.xml" 2>/dev/null

# Runs inside a node: N monitors of one agent, measured from a python parent (wall per call,
# CPU of all children from getrusage), execve counted with strace when installed.
BENCH_PY='
import os, resource, shutil, statistics, subprocess, sys, time, xml.etree.ElementTree as ET
agent, node, interval, runs, cib = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
x = ET.parse(cib).getroot()
prim = x.find(".//primitive[@id=\"pgsql\"]")
env = {"PATH": "/usr/lib/postgresql/15/bin:/usr/sbin:/usr/bin:/sbin:/bin", "OCF_ROOT": "/usr/lib/ocf",
       "OCF_RA_VERSION_MAJOR": "1", "OCF_RA_VERSION_MINOR": "1", "OCF_RESOURCE_INSTANCE": "pgsql",
       "OCF_RESOURCE_TYPE": "pgsql", "OCF_RESKEY_crm_feature_set": x.get("crm_feature_set"),
       "OCF_RESKEY_CRM_meta_interval": interval, "OCF_RESKEY_CRM_meta_timeout": "60000",
       "OCF_RESKEY_CRM_meta_on_node": node, "OCF_RESKEY_CRM_meta_on_node_uuid": node[-1],
       "OCF_RESKEY_CRM_meta_notify": "true", "OCF_RESKEY_CRM_meta_clone_max": "2",
       "OCF_RESKEY_CRM_meta_clone_node_max": "1", "OCF_RESKEY_CRM_meta_promotable": "true",
       "OCF_RESKEY_CRM_meta_master_max": "1", "OCF_RESKEY_CRM_meta_promoted_max": "1",
       "OCF_RESKEY_CRM_meta_globally_unique": "false", "HA_debug": "0"}
for nv in prim.find("instance_attributes").findall("nvpair"):
    env["OCF_RESKEY_" + nv.get("name")] = nv.get("value")
walls, rcs = [], set()
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
for _ in range(runs):
    t = time.perf_counter()
    rcs.add(subprocess.run([agent, "monitor"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode)
    walls.append(time.perf_counter() - t)
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) / runs
execs = "-"
if shutil.which("strace"):
    out = subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve", "-o", "/dev/stdout", agent, "monitor"],
                         env=env, capture_output=True, text=True).stdout
    execs = str(sum(1 for l in out.splitlines() if "execve(" in l and "= 0" in l) - 1)
print("%.1f %.1f %s %s" % (statistics.median(walls) * 1000, cpu * 1000, execs, ",".join(map(str, sorted(rcs)))))
'
measure() { # NODE INTERVAL AGENT-PATH
    "$lab" exec "$1" python3 -c "$BENCH_PY" "$3" "$1" "$2" "$runs" "$PGCRM_LAB_ROOT/bench-cib.xml"
}
printf '%-9s %-10s %10s %10s %8s %4s\n' role agent wall_ms cpu_ms programs rc
for spec in "primary node1 2000" "standby node2 7000"; do
    read -r role node interval <<<"$spec"
    read -r hw hc he hrc <<<"$(measure "$node" "$interval" /usr/lib/ocf/resource.d/heartbeat/pgsql)"
    read -r pw pc pe prc <<<"$(measure "$node" "$interval" /usr/lib/ocf/resource.d/pgcrm/pgsql)"
    printf '%-9s %-10s %10s %10s %8s %4s\n' "$role" heartbeat "$hw" "$hc" "$he" "$hrc" "$role" pgcrm "$pw" "$pc" "$pe" "$prc"
    awk -v r="$role" -v hw="$hw" -v pw="$pw" -v hc="$hc" -v pc="$pc" 'BEGIN {
        printf "%-9s ratio      wall %.1fx  cpu %.1fx (heartbeat / pgcrm)\n", r, hw / pw, hc / (pc > 0 ? pc : 0.1) }'
done
