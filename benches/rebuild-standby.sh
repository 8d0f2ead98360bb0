#!/bin/bash
# Runbook 5.3 (rebuild the old primary as a standby) by hand vs `pgcrm rebuild-standby`, in the
# same running 2-node lab (docs/lab.md). Each round kills the primary's PostgreSQL, waits for
# the failover, then rebuilds the old primary, alternately by hand and with pgcrm, and times
# from the start of the rebuild to a healthy cluster (`pgcrm-lab wait-healthy`: HS:sync,
# STREAMING|SYNC, the read VIP on the standby, no failures). Not a test.
#
# By hand (the runbook, as the drill used to do it): stop the node's cluster stack, wipe the
# data directory, pg_basebackup from the replication VIP, remove PGSQL.lock, crm_resource
# --cleanup, start the stack, wait. pgcrm: `pgcrm rebuild-standby NODE --yes --discard-old`
# inside NODE (it bans the resource instead of restarting the stack; `--method auto` runs
# pg_rewind, as the lab keeps wal_log_hints = on), then the same wait.
#
#   PGCRM_LAB_ROOT=/var/tmp/mylab tests/lab/pgcrm-lab up --nodes 2
#   PGCRM_LAB_ROOT=/var/tmp/mylab benches/rebuild-standby.sh [ROUNDS]   # default 4 (2 each)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
LAB=$HERE/tests/lab/pgcrm-lab
BIN=${PGCRM_BIN:-${CARGO_TARGET_DIR:-$HERE/target}/debug/pgcrm}
ROUNDS=${1:-4}
REP_VIP=10.200.0.101
: "${PGCRM_LAB_ROOT:?set PGCRM_LAB_ROOT to a running 2-node lab}"
[ -x "$BIN" ] || { echo "no binary at $BIN: cargo build, or set PGCRM_BIN" >&2; exit 66; }

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

"$LAB" wait-healthy 120 >/dev/null 2>&1 || { echo "the lab is not healthy" >&2; exit 69; }

manual=() tool=()
for round in $(seq "$ROUNDS"); do
    old=$("$LAB" summary | sed -n 's/.*promoted=\([a-z0-9]*\).*/\1/p')
    new=$([ "$old" = node1 ] && echo node2 || echo node1)
    "$LAB" kill-pg "$old" >/dev/null 2>&1
    # the failover: the other node promoted
    for _ in $(seq 120); do
        "$LAB" summary 2>/dev/null | grep -q "promoted=$new " && break
        sleep 0.5
    done
    sleep 2 # let the failed node's failure be recorded
    t0=$(now)
    if [ $((round % 2)) = 1 ]; then
        how="by hand"
        "$LAB" stop-node "$old" >/dev/null 2>&1
        # shellcheck disable=SC2016  # expanded inside the node
        "$LAB" exec "$old" sh -c 'set -e; find "$PGDATA" -mindepth 1 -delete;
            runuser -u postgres -- pg_basebackup -h '"$REP_VIP"' -U postgres -D "$PGDATA" -X stream -c fast;
            rm -f "$PGCRM_LAB_ROOT/local/pgsql-tmp/PGSQL.lock"' >/dev/null 2>&1
        "$LAB" exec "$new" crm_resource --cleanup -r msPostgresql -N "$old" >/dev/null 2>&1
        "$LAB" start-node "$old" >/dev/null 2>&1
    else
        how="pgcrm"
        "$LAB" exec "$old" "$BIN" rebuild-standby "$old" --yes --discard-old >/dev/null 2>&1
    fi
    "$LAB" wait-healthy 180 >/dev/null 2>&1
    took=$(since "$t0")
    printf 'round %d: %-8s rebuild %s -> healthy in %s s\n' "$round" "$how" "$old" "$took"
    if [ "$how" = pgcrm ]; then tool+=("$took"); else manual+=("$took"); fi
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
m=$(median "${manual[@]}")
p=$(median "${tool[@]}")
printf '%-62s %6s s\n' \
    "runbook 5.3 by hand (stop stack, basebackup, cleanup, start) median" "$m" \
    "pgcrm rebuild-standby --yes --discard-old median" "$p"
awk -v a="$p" -v b="$m" 'BEGIN { printf "ratio pgcrm / by hand: %.2f (target: at most 0.5)\n", a / b }'
