#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for FUZZ_SECONDS (default 20) on a copy of its corpus;
# new inputs stay in the scratch copy, crashes fail the run (and their input is printed).
set -euo pipefail
build=${1:-build-fuzz}
secs=${FUZZ_SECONDS:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for bin in "$build"/fuzz/*_fuzzer; do
    name=$(basename "$bin")
    corpus=${name%_fuzzer}
    work=$(mktemp -d)
    cp -r "$root/fuzz/corpora/$corpus/." "$work/" 2>/dev/null || true
    echo "fuzz: $name for ${secs}s"
    if ! "$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/crash-" \
        "$work" >"$work.log" 2>&1; then
        echo "fuzz: $name FAILED"; tail -40 "$work.log"; status=1
    else
        grep -E "stat::number_of_executed_units" "$work.log" || true
    fi
    rm -rf "$work" "$work.log"
done
exit $status
