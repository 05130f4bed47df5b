#!/usr/bin/env bash
# Configures and builds vpntund into $1 (default build/). Set SANITIZE=1 for
# the ASan+UBSan build that CI tests.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$src/build}
san=OFF
[ "${SANITIZE:-0}" = 1 ] && san=ON
cmake -S "$src" -B "$dir" -DVPNTUND_SANITIZE="$san" >/dev/null
cmake --build "$dir" -j"$(nproc)"
