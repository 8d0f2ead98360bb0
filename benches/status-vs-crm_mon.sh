#!/usr/bin/env bash
# Wall time of `pgcrm status --output json` against `crm_mon -1 -Afr --output-as=xml` on the
# same saved CIB, for the bundled example and for a generated large cluster (32 nodes,
# 2,000 resource instances). Prints the median of each and the ratio (target: >= 10x).
# Usage: benches/status-vs-crm_mon.sh [RUNS]     (default 15 runs per command)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-15}
cargo build --release --quiet
bin=target/release/pgcrm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 benches/gen-large-cib.py "$work/large.xml"

# Median wall time in milliseconds of running "$@" $runs times (output discarded). hyperfine
# (Debian package) measures without a shell in the way; the fallback loop adds the cost of two
# `date` forks to every run, which understates the ratio.
median_ms() {
    if command -v hyperfine >/dev/null; then
        hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/h.json" "${*@Q}" >/dev/null 2>&1
        python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$work/h.json"
        return
    fi
    local times=() start end
    for ((i = 0; i < runs; i++)); do
        start=$(date +%s%N)
        "$@" >/dev/null 2>&1
        end=$(date +%s%N)
        times+=($(((end - start) / 1000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'
}

printf '%-22s %12s %12s %8s\n' "CIB" "pgcrm (ms)" "crm_mon (ms)" "ratio"
for cib in examples/cluster.xml "$work/large.xml"; do
    ours=$(median_ms "$bin" status --output json --cib-file "$cib")
    theirs=$(median_ms env CIB_file="$cib" crm_mon -1 -Afr --output-as=xml)
    ratio=$(awk -v a="$theirs" -v b="$ours" 'BEGIN {printf "%.1fx", a/b}')
    printf '%-22s %12s %12s %8s\n' "$(basename "$cib")" "$ours" "$theirs" "$ratio"
done
