#!/bin/sh
# Runs one fuzz target for SECS seconds with the stable toolchain (RUSTC_BOOTSTRAP=1 lets
# cargo-fuzz pass its -Z flags), from the seed corpus, keeping what it learns in corpus/.
# Usage: fuzz/run.sh ipc_frames|cib_state|crm_config [SECS]   (docs/fuzzing.md)
set -eu
cd "$(dirname "$0")"
target=$1
secs=${2:-600}
./make-seeds.py
mkdir -p "corpus/$target"
dict=""
[ "$target" = cib_state ] && dict="-dict=cib.dict"
[ "$target" = crm_config ] && dict="-dict=crm.dict"
# shellcheck disable=SC2086 # $dict is empty or one word
RUSTC_BOOTSTRAP=1 exec cargo fuzz run "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $dict
