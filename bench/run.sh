#!/usr/bin/env bash
# Runs the benchmarks against a freshly built drydock; prints ratios measured in one run.
# Usage: bench/run.sh [BUILD_DIR] [registry|scan|match|scanning|rematch|all]  (BUILD_DIR relative to the source
#   tree or absolute)
#   registry: env BENCH_BLOB_MIB=1024, BENCH_CONNS=200, BENCH_SECONDS=10
#   scan:     env BENCH_RUNS=3, BENCH_NO_TRIVY=1 to skip Trivy (fetched once from npm)
#   match:    bench/match_bench.c (built with the tests); its database goes to BENCH_DIR (/tmp)
#   scanning: push to COMPLETE / standalone scan per shared image (bench/scanning_bench.py)
#   rematch:  continuous re-match over BENCH_IMAGES (10000) images of 300 packages
#             (bench/rematch_bench.c; BENCH_CUT chooses the DB update, see the file)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
which=${2:-all}
case $build in /*) ;; *) build="$root/$build" ;; esac
export DRYDOCK_BIN="$build/drydock"
if [ "$which" = registry ] || [ "$which" = all ]; then
    command -v wrk >/dev/null || { echo "bench: installing wrk"; apt-get install -y -qq wrk >/dev/null; }
    python3 "$root/bench/registry_bench.py"
fi
if [ "$which" = scan ] || [ "$which" = all ]; then
    python3 "$root/bench/scan_bench.py"
fi
if [ "$which" = match ] || [ "$which" = all ]; then
    "$build/bench/match_bench" "$root" "$root/../shared/data/vulndb" "${BENCH_DIR:-/tmp}"
fi
if [ "$which" = scanning ] || [ "$which" = all ]; then
    python3 "$root/bench/scanning_bench.py"
fi
if [ "$which" = rematch ] || [ "$which" = all ]; then
    "$build/bench/rematch_bench" "$root" "${BENCH_DIR:-/tmp}" "${BENCH_IMAGES:-10000}" 300
fi
