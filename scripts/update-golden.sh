#!/usr/bin/env bash
# Regenerates the golden findings of tests/golden/findings/ from the sample database (build first:
# make). Review the diff before committing: a changed line is a changed finding.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
DD_UPDATE_GOLDEN=1 DRYDOCK_BIN="$root/$build/drydock" DD_SOURCE_DIR="$root" \
    python3 "$root/tests/integration/test_match_images.py"
git -C "$root" diff --stat -- tests/golden
