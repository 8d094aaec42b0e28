#!/usr/bin/env bash
# Runs the registry benchmarks against a freshly built server; prints ratios measured in one run.
# Usage: bench/run.sh [BUILD_DIR]   (env: BENCH_BLOB_MIB=1024, BENCH_CONNS=200, BENCH_SECONDS=10)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
command -v wrk >/dev/null || { echo "bench: installing wrk"; apt-get install -y -qq wrk >/dev/null; }
DRYDOCK_BIN="$root/$build/drydock" python3 "$root/bench/registry_bench.py"
