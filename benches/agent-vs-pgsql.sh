#!/usr/bin/env bash
# One `monitor` of ocf:heartbeat:pgsql against one of `pgcrm agent` (ocf:pgcrm:pgsql), on the
# same servers of a 2-node lab (primary on node1 with Pacemaker's 2 s interval, hot standby on
# node2 with 7 s), with the environment Pacemaker 2.1 passes (instance parameters from the
# CIB, OCF_RESKEY_crm_feature_set, CRM_meta_*). Prints, per role and agent, the median wall
# time, the mean CPU (user+sys of the agent and every program it runs) and the programs
# executed, then the ratios (issue 6 targets: >= 50x less CPU, no program run by a monitor).
# Then the latency of start, promote and stop of a streaming standby with each agent
# (rep_mode=async, its own resource name `benchpg` so the lab's resources are untouched): a
# scratch primary and standby inside node1 (127.0.0.1:5433 and a socket-only standby), the
# standby rebuilt with pg_basebackup before each round; wall median and CPU mean per action.
# The failover times of both agents (kill -9 of the primary's postgres until a write commits
# through the write VIP) are printed by the lab drills (cargo test --test lab_drills,
# drill kill-primary, one lab per agent with the same operation intervals).
# Usage (as root): benches/agent-vs-pgsql.sh [RUNS [ROUNDS]]   (default 20 monitors, 5 rounds)
# Measures a release build (cargo build --release, what operators install), or PGCRM_BIN=PATH
# (e.g. a debug build); the binary measured, and its build, are printed first. It is run
# through its own link bench-ocf/resource.d/pgcrm/pgsql in the lab's root, so the figures are
# those of PGCRM_BIN whichever binary the lab's cluster runs.
# Uses PGCRM_LAB_ROOT (default /var/tmp/pgcrm-bench-agent); brings a lab up with --agent pgcrm
# if none is running there and takes it down again at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
rounds=${2:-5}
export PGCRM_LAB_ROOT=${PGCRM_LAB_ROOT:-/var/tmp/pgcrm-bench-agent}
lab=tests/lab/pgcrm-lab
if [ -z "${PGCRM_BIN:-}" ]; then
    cargo build --release --quiet
    export PGCRM_BIN=${CARGO_TARGET_DIR:-target}/release/pgcrm
fi
PGCRM_BIN=$(readlink -f "$PGCRM_BIN")
case $PGCRM_BIN in
    */release/*) build=release ;;
    */debug/*) build="debug (unoptimised: not the figures to quote)" ;;
    *) build="unknown profile" ;;
esac
echo "pgcrm agent measured: $PGCRM_BIN, $build build"
own_lab=0
if ! "$lab" summary >/dev/null 2>&1; then
    "$lab" up --nodes 2 --agent pgcrm >&2
    own_lab=1
fi
[ "$own_lab" = 0 ] || trap '"$lab" down >&2' EXIT
"$lab" cib-dump "$PGCRM_LAB_ROOT/bench-cib.xml" 2>/dev/null
# the agent recognises its OCF name by the resource.d/<provider>/<agent> path it is run as
mkdir -p "$PGCRM_LAB_ROOT/bench-ocf/resource.d/pgcrm"
ln -sfn "$PGCRM_BIN" "$PGCRM_LAB_ROOT/bench-ocf/resource.d/pgcrm/pgsql"
agent_path() { # heartbeat|pgcrm
    if [ "$1" = pgcrm ]; then
        echo "$PGCRM_LAB_ROOT/bench-ocf/resource.d/pgcrm/pgsql"
    else
        echo /usr/lib/ocf/resource.d/heartbeat/pgsql
    fi
}

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
# two decimals: the ratios are computed from these, and 2 ms rounded to 0.1 moved them by 2.5%
print("%.2f %.2f %s %s" % (statistics.median(walls) * 1000, cpu * 1000, execs, ",".join(map(str, sorted(rcs)))))
'
measure() { # NODE INTERVAL AGENT-PATH
    "$lab" exec "$1" python3 -c "$BENCH_PY" "$3" "$1" "$2" "$runs" "$PGCRM_LAB_ROOT/bench-cib.xml"
}
printf '%-9s %-10s %10s %10s %8s %4s\n' role agent wall_ms cpu_ms programs rc
for spec in "primary node1 2000" "standby node2 7000"; do
    read -r role node interval <<<"$spec"
    read -r hw hc he hrc <<<"$(measure "$node" "$interval" "$(agent_path heartbeat)")"
    read -r pw pc pe prc <<<"$(measure "$node" "$interval" "$(agent_path pgcrm)")"
    printf '%-9s %-10s %10s %10s %8s %4s\n' "$role" heartbeat "$hw" "$hc" "$he" "$hrc" "$role" pgcrm "$pw" "$pc" "$pe" "$prc"
    awk -v r="$role" -v hw="$hw" -v pw="$pw" -v hc="$hc" -v pc="$pc" 'BEGIN {
        c = hc / (pc > 0 ? pc : 0.1)
        printf "%-9s ratio      wall %.1fx  cpu %.1fx (heartbeat / pgcrm; target cpu >= 50x: %s)\n",
            r, hw / pw, c, c >= 50 ? "met" : "NOT met" }'
done

# Runs inside node1: ROUNDS of start (as a standby), promote and stop of one agent, each call
# timed alone (wall, and CPU of the agent and its programs from getrusage; pg_ctl's server
# is a daemon, not counted).
LIFE_PY='
import os, resource, shutil, statistics, subprocess, sys, time
agent, rounds, root, feature = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
PG = "/usr/lib/postgresql/15/bin"
d = root + "/local/bench-life"
Q = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/")
def pg(*a):
    subprocess.run(["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + list(a), check=True, **Q)
def pgstop(data):
    if os.path.exists(data + "/postmaster.pid"):
        subprocess.run(["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--",
                        PG + "/pg_ctl", "-D", data, "stop", "-m", "immediate"], **Q)
def conf(data, listen, sock):
    with open(data + "/postgresql.auto.conf", "w") as f:
        f.write("listen_addresses = %r\nport = 5433\nunix_socket_directories = %r\nfsync = off\nshared_buffers = 16MB\n" % (listen, sock))
pri, std = d + "/primary", d + "/standby"
for x in (pri, std): pgstop(x)
shutil.rmtree(d, ignore_errors=True)
os.makedirs(d); shutil.chown(d, "postgres", "postgres")
for s in ("s1", "s2", "primary"):
    os.makedirs(d + "/" + s, mode=0o700); shutil.chown(d + "/" + s, "postgres", "postgres")
pg(PG + "/initdb", "-D", pri, "-U", "postgres", "--no-sync", "--auth-local=trust", "--auth-host=trust")
conf(pri, "127.0.0.1", d + "/s1")
pg(PG + "/pg_ctl", "-D", pri, "-l", d + "/primary.log", "-w", "start")
node = os.uname().nodename
env = {"PATH": PG + ":/usr/sbin:/usr/bin:/sbin:/bin", "OCF_ROOT": "/usr/lib/ocf",
       "OCF_RA_VERSION_MAJOR": "1", "OCF_RA_VERSION_MINOR": "1", "OCF_RESOURCE_INSTANCE": "benchpg",
       "OCF_RESOURCE_TYPE": "pgsql", "OCF_RESKEY_crm_feature_set": feature,
       "OCF_RESKEY_CRM_meta_interval": "0", "OCF_RESKEY_CRM_meta_timeout": "60000",
       "OCF_RESKEY_CRM_meta_on_node": node, "OCF_RESKEY_CRM_meta_notify": "true",
       "OCF_RESKEY_CRM_meta_clone_max": "2", "OCF_RESKEY_CRM_meta_clone_node_max": "1",
       "OCF_RESKEY_CRM_meta_promotable": "true", "OCF_RESKEY_CRM_meta_master_max": "1",
       "OCF_RESKEY_CRM_meta_promoted_max": "1", "OCF_RESKEY_CRM_meta_globally_unique": "false",
       "OCF_RESKEY_pgctl": PG + "/pg_ctl", "OCF_RESKEY_psql": PG + "/psql",
       "OCF_RESKEY_pgdata": std, "OCF_RESKEY_config": std + "/postgresql.conf",
       "OCF_RESKEY_pgport": "5433", "OCF_RESKEY_socketdir": d + "/s2",
       "OCF_RESKEY_logfile": d + "/standby.log", "OCF_RESKEY_tmpdir": d + "/tmp",
       "OCF_RESKEY_rep_mode": "async", "OCF_RESKEY_node_list": node,
       "OCF_RESKEY_master_ip": "127.0.0.1", "OCF_RESKEY_stop_escalate": "5", "HA_debug": "0"}
times = {a: [] for a in ("start", "promote", "stop")}
try:
    for _ in range(rounds):
        pgstop(std)
        shutil.rmtree(std, ignore_errors=True)
        shutil.rmtree(d + "/tmp", ignore_errors=True)
        os.makedirs(std, mode=0o700); shutil.chown(std, "postgres", "postgres")
        pg(PG + "/pg_basebackup", "-h", "127.0.0.1", "-p", "5433", "-U", "postgres", "-D", std, "-X", "stream", "-c", "fast", "--no-sync")
        conf(std, "", d + "/s2")
        for action in ("start", "promote", "stop"):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            rc = subprocess.run([agent, action], env=env, capture_output=True, text=True)
            wall = time.perf_counter() - t
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            if rc.returncode != 0:
                sys.exit("%s %s exited %d: %s" % (agent, action, rc.returncode, rc.stderr[-600:]))
            times[action].append((wall, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime))
finally:
    for x in (std, pri): pgstop(x)
    shutil.rmtree(d, ignore_errors=True)
    for attr in ("benchpg-status", "benchpg-xlog-loc", "benchpg-timeline", "benchpg-master-baseline", "master-benchpg"):
        subprocess.run(["attrd_updater", "-D", "-n", attr, "-N", node], **Q)
    subprocess.run(["crm_attribute", "-D", "-l", "forever", "-n", "benchpg-data-status", "-N", node], **Q)
print(" ".join("%.1f %.1f" % (statistics.median(w for w, _ in v) * 1000, statistics.mean(c for _, c in v) * 1000)
               for v in times.values()))
'
feature=$(sed -n 's/.*crm_feature_set="\([^"]*\)".*/\1/p' "$PGCRM_LAB_ROOT/bench-cib.xml" | head -n1)
echo
printf '%-10s %11s %10s %11s %10s %11s %10s   (%s rounds)\n' agent start_ms cpu_ms promote_ms cpu_ms stop_ms cpu_ms "$rounds"
declare -A life
for a in heartbeat pgcrm; do
    life[$a]=$("$lab" exec node1 python3 -c "$LIFE_PY" "$(agent_path "$a")" "$rounds" "$PGCRM_LAB_ROOT" "$feature")
    read -r sw sc pw pc tw tc <<<"${life[$a]}"
    printf '%-10s %11s %10s %11s %10s %11s %10s\n' "$a" "$sw" "$sc" "$pw" "$pc" "$tw" "$tc"
done
read -r hsw _ hpw _ htw _ <<<"${life[heartbeat]}"
read -r psw _ ppw _ ptw _ <<<"${life[pgcrm]}"
awk -v a="$hsw" -v b="$psw" -v c="$hpw" -v d="$ppw" -v e="$htw" -v f="$ptw" 'BEGIN {
    printf "ratio      start %.1fx  promote %.1fx  stop %.1fx (heartbeat / pgcrm, wall)\n", a / b, c / d, e / f }'
