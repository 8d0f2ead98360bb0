#!/bin/bash
# pgcrm status with live PostgreSQL probes vs crm_mon alone, on a running 2-node lab
# (docs/lab.md); then with node2's server unreachable (a conninfo pointing at an unused address
# of the lab's bridge, so the probe waits for --pg-timeout). Prints medians; not a test.
#
#   PGCRM_LAB_ROOT=/var/tmp/mylab tests/lab/pgcrm-lab up --nodes 2
#   PGCRM_LAB_ROOT=/var/tmp/mylab benches/status-with-probes.sh [RUNS]
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
LAB=$HERE/tests/lab/pgcrm-lab
BIN=${PGCRM_BIN:-${CARGO_TARGET_DIR:-$HERE/target}/release/pgcrm}
RUNS=${1:-20}
: "${PGCRM_LAB_ROOT:?set PGCRM_LAB_ROOT to a running 2-node lab}"
[ -x "$BIN" ] || { echo "no binary at $BIN: cargo build --release, or set PGCRM_BIN" >&2; exit 66; }
CONF=$PGCRM_LAB_ROOT/bench-unreachable.toml
# 10.200.0.250 is on the lab's bridge and owned by no node: connecting to it hangs
printf '[nodes.node1]\nconninfo = "host=10.200.0.11 user=postgres"\n[nodes.node2]\nconninfo = "host=10.200.0.250 user=postgres"\n' >"$CONF"
trap 'rm -f "$CONF"' EXIT

# median wall time in ms of RUNS runs of a command inside node1 (timed inside the node, so
# nsenter's own start-up is not counted)
median() {
    # shellcheck disable=SC2016  # the script runs inside the node, expanded there
    "$LAB" exec node1 bash -c '
        runs=$1; shift
        for _ in $(seq "$runs"); do
            t0=$(date +%s%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s%N)
            echo $(( (t1 - t0) / 1000 ))
        done | sort -n | awk "{a[NR]=\$1} END {m=a[int((NR+1)/2)]; printf \"%.1f\", m/1000}"
    ' bash "$RUNS" "$@"
}

mon=$(median crm_mon -1 -Afr)
nopg=$(median "$BIN" status -Afr --no-pg)
pg=$(median "$BIN" status -Afr)
check=$(median "$BIN" status --check)
down=$(median "$BIN" status -Afr --config "$CONF" --pg-timeout 2s)
down300=$(median "$BIN" status -Afr --config "$CONF" --pg-timeout 300ms)
printf 'runs: %s each, medians, inside node1 of the lab, binary %s\n' "$RUNS" "$BIN"
printf '%-66s %8s ms\n' \
    "crm_mon -1 -Afr (Pacemaker only)" "$mon" \
    "pgcrm status -Afr --no-pg (Pacemaker only)" "$nopg" \
    "pgcrm status -Afr (+ PostgreSQL probes of both nodes)" "$pg" \
    "pgcrm status --check" "$check" \
    "pgcrm status -Afr, node2's server unreachable, --pg-timeout 2s" "$down" \
    "pgcrm status -Afr, node2's server unreachable, --pg-timeout 300ms" "$down300"
echo "node2's probe said: $("$LAB" exec node1 "$BIN" status --config "$CONF" --pg-timeout 2s | grep -m1 -o '10.200.0.250:5432: [^│]*')"
awk -v a="$pg" -v b="$mon" 'BEGIN { printf "ratio status with probes / crm_mon: %.2f\n", a / b }'
